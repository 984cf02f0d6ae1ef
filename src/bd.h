/*
 * Internal umbrella header: first include of every library .c file.
 * Feature macros, the public API, and the small utilities every stage uses
 * (slices, arenas, growable buffers, checked number parsing, errors).
 */
#ifndef BD_BD_H
#define BD_BD_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "beamdump.h"

#define BD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BD_UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#define BD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define BD_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define BD_PRINTF(fmt, args)
#define BD_WARN_UNUSED
#endif

/* ---------------------------------------------------------------- slices */

/* A view into dump text. Not NUL-terminated: use mem* functions, never str*. */
struct bd_slice {
	const char *ptr;
	size_t len;
};

#define BD_SLICE_LIT(s) ((struct bd_slice){ (s), sizeof(s) - 1 })

static inline struct bd_slice bd_slice_make(const char *ptr, size_t len)
{
	struct bd_slice s = { ptr, len };
	return s;
}

static inline bool bd_slice_eq(struct bd_slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static inline bool bd_slice_eqs(struct bd_slice a, struct bd_slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool bd_slice_starts(struct bd_slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

/* Drop n bytes from the front (n <= s.len). */
static inline struct bd_slice bd_slice_skip(struct bd_slice s, size_t n)
{
	return bd_slice_make(s.ptr + n, s.len - n);
}

struct bd_slice bd_slice_trim(struct bd_slice s);

/* The text after the first c in s ("F1A:2.5e+00", ':' -> "2.5e+00"); empty if none. */
struct bd_slice bd_slice_after(struct bd_slice s, char c);

/*
 * Take the next line from *rest into *line, without its LF and without one
 * CR before it (Windows dumps). Returns false when *rest is empty.
 */
bool bd_slice_next_line(struct bd_slice *rest, struct bd_slice *line);

/* Split "Key: value" at the first ": " (or a trailing ':'). */
bool bd_slice_split_kv(struct bd_slice line, struct bd_slice *key, struct bd_slice *value);

/* FNV-1a of a slice, for small hash tables keyed by dump text (pids). */
static inline uint64_t bd_hash_slice(struct bd_slice s)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.ptr[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Find needle in hay; NULL if absent. */
const char *bd_memmem(const char *hay, size_t hay_len, const char *needle, size_t needle_len);

/* Value of a hex digit (either case), or -1. */
/* Value of each byte as a hex digit, -1 if it is not one (util/slice.c). */
extern const signed char bd_hex_values[256];

static inline int bd_hex_digit(char c)
{
	return bd_hex_values[(unsigned char)c];
}

/*
 * The decimal digits of v (and a leading '-' when neg), written at the end
 * of buf[24]; returns where they start.
 */
static inline size_t bd_format_dec(char buf[24], uint64_t v, bool neg)
{
	size_t i = 24;

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	return i;
}

/* Hex digits at p (at most 16): their count, or 0 if none or too many. */
static inline size_t bd_hex_prefix(const char *p, const char *end, uint64_t *out)
{
	size_t n = 0;
	uint64_t v = 0;

	while (p + n < end && n < 17) {
		int dgt = bd_hex_digit(p[n]);
		if (dgt < 0)
			break;
		v = (v << 4) | (uint64_t)dgt;
		n++;
	}
	if (n == 0 || n > 16)
		return 0;
	*out = v;
	return n;
}

/* Checked parsing of whole slices; false on any stray character or overflow. */
bool bd_parse_u64(struct bd_slice s, uint64_t *out);
bool bd_parse_i64(struct bd_slice s, int64_t *out);
bool bd_parse_hex(struct bd_slice s, uint64_t *out);

/* Leading decimal digits of s as a number (0 if none); for "3599957 ms". */
uint64_t bd_parse_u64_prefix(struct bd_slice s);

/* A pid "<A.B.C>"; false if s is not one. */
struct bd_pid {
	uint32_t node;
	uint32_t num;
	uint32_t serial;
};
bool bd_parse_pid(struct bd_slice s, struct bd_pid *out);
int bd_pid_cmp(const struct bd_pid *a, const struct bd_pid *b);
/*
 * bd_pid_cmp's order as a number, for pids of first's node: (serial,
 * number). False for a pid of another node or one that did not parse.
 */
bool bd_pid_sort_key(const struct bd_pid *id, const struct bd_pid *first, uint64_t *key);
/*
 * A local pid's ("<0.N.S>") bd_pid_cmp order as one number, for ranking
 * ties by pid; UINT64_MAX (after every local pid) for any other text.
 */
uint64_t bd_pid_order_key(struct bd_slice pid);

/* ---------------------------------------------------------------- arena */

/*
 * Bump allocator for things that live as long as their owner (a dump or a
 * report). Freed all at once; no per-object free.
 */
struct bd_arena_block;
struct bd_arena {
	struct bd_arena_block *head;
	size_t used_total;
};

void bd_arena_init(struct bd_arena *a);
void bd_arena_release(struct bd_arena *a);
void *bd_arena_alloc(struct bd_arena *a, size_t size) BD_WARN_UNUSED;
void *bd_arena_calloc(struct bd_arena *a, size_t n, size_t size) BD_WARN_UNUSED;
/* Copy of [p, p+len) with a NUL appended. */
char *bd_arena_strndup(struct bd_arena *a, const char *p, size_t len) BD_WARN_UNUSED;
char *bd_arena_printf(struct bd_arena *a, const char *fmt, ...) BD_PRINTF(2, 3);

/* ------------------------------------------------------- growable buffer */

/* Binary-safe growable string: ptr is never NULL and always NUL-terminated. */
struct bd_buf {
	char *ptr;
	size_t len;
	size_t cap;
	bool oom; /* sticky: an append failed */
};

extern char bd_buf_empty[1];
#define BD_BUF_INIT { bd_buf_empty, 0, 0, false }

void bd_buf_release(struct bd_buf *b);
void bd_buf_reset(struct bd_buf *b);
void bd_buf_add(struct bd_buf *b, const void *p, size_t len);
void bd_buf_addstr(struct bd_buf *b, const char *s);
void bd_buf_addch(struct bd_buf *b, char c);
void bd_buf_printf(struct bd_buf *b, const char *fmt, ...) BD_PRINTF(2, 3);

/* qsort that accepts an empty (possibly NULL) array. */
void bd_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* A 64-bit sort key and the caller's index of what it was made from. */
struct bd_sort_key {
	uint64_t key;
	size_t at;
};

/*
 * Order v[0..n) by key, stably, in a few linear passes: for large tables
 * whose order is a number (pids as (serial, number)), where a comparison
 * sort would take log2(n) passes. False when out of memory, v unchanged.
 */
bool bd_sort_keys(struct bd_sort_key *v, size_t n) BD_WARN_UNUSED;

/* --------------------------------------------------- checked allocation */

void *bd_malloc(size_t size);
void *bd_calloc(size_t n, size_t size);
void *bd_realloc_array(void *p, size_t n, size_t size);
void bd_free(void *p);

/* Grow *arr (of *cap elements) so that it holds at least need elements. */
bool bd_grow(void **arr, size_t *cap, size_t need, size_t elem_size) BD_WARN_UNUSED;

/* ------------------------------------------------------------- threads */

/* The online CPUs, between 1 and BD_THREADS_AUTO_MAX. */
unsigned bd_threads_online(void);

/*
 * Run fn(ctx, part) for every part in [0, n_parts) on at most `threads`
 * threads, the calling one included; a thread that cannot be started is
 * not an error: its parts run on the calling thread. What the parts share
 * is built before and read-only during the call.
 */
void bd_parallel(size_t n_parts, unsigned threads, void (*fn)(void *ctx, size_t part),
		 void *ctx);

/* Where part `part` of n_parts starts when [0, total) is cut into equal runs. */
size_t bd_part_start(size_t total, size_t part, size_t n_parts);

/* ---------------------------------------------------------------- errors */

/* Fill err (if not NULL and not already set) and return code. */
enum bd_status bd_fail(struct bd_error *err, enum bd_status code, uint64_t offset,
		       const char *section, const char *fmt, ...) BD_PRINTF(5, 6);

/* ----------------------------------------------------------------- regex */

struct bd_regex;
enum bd_status bd_regex_compile(struct bd_regex **out, const char *pattern,
				struct bd_error *err);
bool bd_regex_match(const struct bd_regex *re, struct bd_slice subject);
void bd_regex_free(struct bd_regex *re);

#endif /* BD_BD_H */
