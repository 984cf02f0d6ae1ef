/*
 * A small JSON reader for what beamdump reads back: saved reports (a
 * `--baseline`) and rules files. The whole text becomes a tree in an arena.
 */
#ifndef BD_UTIL_JSON_H
#define BD_UTIL_JSON_H

#include "bd.h"

enum bd_json_type {
	BD_JSON_NULL,
	BD_JSON_BOOL,
	BD_JSON_NUM,
	BD_JSON_STR,
	BD_JSON_ARR,
	BD_JSON_OBJ,
};

struct bd_json {
	enum bd_json_type type;
	const char *key;        /* member name inside an object, else NULL */
	bool b;
	double num;
	bool is_uint;           /* a whole number 0 .. 2^64-1, exact in u */
	uint64_t u;
	const char *str;        /* NUL-terminated, UTF-8; len excludes the NUL */
	size_t len;
	struct bd_json *first;  /* array elements or object members, in order */
	struct bd_json *next;
	size_t n;
};

/*
 * Parse text (len bytes) into a tree allocated in a. Errors are BD_EFORMAT
 * with the byte offset where the text stops being JSON; nesting deeper than
 * 256 levels is BD_ELIMIT.
 */
enum bd_status bd_json_parse(struct bd_arena *a, const char *text, size_t len,
			     struct bd_json **out, struct bd_error *err);

/* The member named key of an object, or NULL. */
const struct bd_json *bd_json_get(const struct bd_json *obj, const char *key);

#endif
