/*
 * Heap terms (crash-dump-format.md section 3): inline elements, heap
 * object lines "<ADDR>:<object>", an address index per heap section, and
 * term sizes computed the way erts_debug:flat_size/1 counts them.
 *
 * Atoms are read by their byte length, never up to a delimiter, because
 * they may hold ',', '|', ':' and raw newlines.
 */
#ifndef BD_TERM_HEAP_H
#define BD_TERM_HEAP_H

#include "bd.h"
#include "index/dump.h"

enum bd_elem_kind {
	BD_ELEM_NIL,
	BD_ELEM_SMALL,
	BD_ELEM_ATOM,
	BD_ELEM_PID,
	BD_ELEM_PORT,
	BD_ELEM_PTR,
	BD_ELEM_TEXT, /* S... in stack lines */
};

struct bd_elem {
	enum bd_elem_kind kind;
	int64_t small;
	uint64_t addr;         /* BD_ELEM_PTR */
	struct bd_slice text;  /* atom name, pid/port text, or stack text */
};

/* Parse one element at p; returns the bytes consumed, 0 if malformed. */
size_t bd_elem_parse(const char *p, const char *end, struct bd_elem *out);

enum bd_obj_kind {
	BD_OBJ_CONS,
	BD_OBJ_TUPLE,
	BD_OBJ_FLOAT,
	BD_OBJ_BIG,
	BD_OBJ_HEAP_BIN,
	BD_OBJ_REFC_BIN,
	BD_OBJ_SUB_BIN,
	BD_OBJ_FLATMAP,
	BD_OBJ_HASHMAP,
	BD_OBJ_HASHNODE,
	BD_OBJ_EXT_PID,
	BD_OBJ_EXT_PORT,
	BD_OBJ_EXT_TERM,   /* E: external term format bytes */
	BD_OBJ_FUN_REF,    /* Rf (OTP 27 literals) */
	BD_OBJ_UNKNOWN,
};


/* One heap object; elements are re-parsed from elems_text when needed. */
struct bd_obj {
	enum bd_obj_kind kind;
	struct bd_slice text;        /* after "ADDR:", up to the end of the object */
	struct bd_slice elems_text;  /* the comma/bar separated elements, if any */
	uint64_t n_elems;            /* elements in elems_text */
	uint64_t size;               /* tuple arity, binary bytes, map size, E bytes */
	uint64_t ref;                /* Yc/Ys: the binary or original's address */
	uint64_t offset;             /* Yc/Ys offset */
	struct bd_elem keys;         /* Mf: the keys tuple */
};

/* Parse the object at p (after "ADDR:"); returns its length, 0 if malformed. */
size_t bd_obj_parse(const char *p, const char *end, struct bd_obj *out);

/* Address -> object offset, for one heap section (or all of them). */
struct bd_heap {
	uint64_t *slots;   /* hash bits | line offset + 1; 0 = empty */
	size_t cap;        /* power of two */
	size_t n;
	size_t n_bad;      /* lines that could not be read */
	size_t deferred;   /* 1 + a section to index on the first lookup; 0: none */
	bool failed;       /* indexing the deferred section ran out of memory */
};

/* Add every "ADDR:object" line of section i to h (h zeroed before first use). */
enum bd_status bd_heap_add_section(struct bd_heap *h, struct bd_dump *d, size_t i,
				   struct bd_error *err);
/*
 * Index section i only when a lookup first needs it (h zeroed before).
 * Walks that follow the dump's own order are served by the resolve hint
 * alone, so a million-message queue read in order never builds the table.
 */
void bd_heap_defer_section(struct bd_heap *h, size_t i);
void bd_heap_release(struct bd_heap *h);
/* Find addr; fills *obj. */
bool bd_heap_get(const struct bd_heap *h, const struct bd_dump *d, uint64_t addr,
		 struct bd_obj *obj);

/*
 * The dump-wide heap that every process's pointers may reach: =literals,
 * or all heaps in dumps older than 0.5. Built on first use (not thread-safe:
 * call it before starting threads); NULL if the dump has none.
 */
const struct bd_heap *bd_dump_literals(struct bd_dump *d);

/*
 * The dump writes heap lines in the order a walk reaches them, so the line
 * after the last object found is usually the next one asked for: trying it
 * first turns most lookups into a sequential read. Heap and literal
 * lookups interleave, so each keeps its own. One per thread.
 */
#define BD_HINT_RECENT 4
struct bd_resolve_hint {
	const char *next[2];  /* the line after the last object found in the heap, in literals */
	const char *last[2];  /* that object's own line: walks often look twice */
	/* the lines after the heap objects found before it: a walk that visits
	 * a tuple's elements first to last finds them there, the dump having
	 * written them last to first */
	const char *recent[BD_HINT_RECENT];
	unsigned n_recent;
};

/* Where pointers of one process resolve: its heap, then literals. */
struct bd_term_ctx {
	struct bd_dump *d;
	struct bd_heap *heap;            /* may be indexed on first use */
	const struct bd_heap *literals;  /* may be NULL */
	struct bd_resolve_hint *hint;    /* may be NULL */
};

bool bd_term_resolve(const struct bd_term_ctx *c, uint64_t addr, struct bd_obj *obj);

struct bd_term_size {
	uint64_t flat_words;     /* as erts_debug:flat_size/1: shared subterms counted each time */
	uint64_t shared_words;   /* each object counted once */
	uint64_t literal_words;  /* part of shared_words that lives in literal areas */
	uint64_t binary_bytes;   /* refc binary payloads reachable, each binary once */
	uint64_t n_missing;      /* pointers that resolve nowhere (truncation, garbing) */
};

/* Sizes of the term that elem denotes; iterative, memoised by address. */
enum bd_status bd_term_size(const struct bd_term_ctx *c, const struct bd_elem *root,
			    struct bd_term_size *out, struct bd_error *err);

#endif
