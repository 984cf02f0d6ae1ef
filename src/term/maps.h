/*
 * Maps of a heap, pair by pair, and the cursor over an object's elements
 * (a map's keys and values, a cons cell's head and tail).
 */
#ifndef BD_TERM_MAPS_H
#define BD_TERM_MAPS_H

#include "bd.h"
#include "term/heap.h"

/* HAMT levels followed; deeper nodes count as malformed (real maps use < 10). */
#define BD_MAP_ITER_LEVELS 24

struct bd_map_cursor {
	const char *next;
	const char *end;
	uint64_t left;
	uint64_t total;
};

/*
 * Walks the pairs of a flatmap (in key order) or of a hashmap (Mh/Mn
 * nodes, [K|V] leaves) in the order the dump wrote its nodes.
 */
struct bd_map_iter {
	const struct bd_term_ctx *c;
	bool hashed;
	uint64_t size;            /* entries the map declares */
	uint64_t items;           /* pairs and bad entries returned so far */
	uint64_t nodes;           /* Mn nodes entered, bounded for malformed input */
	struct bd_map_cursor keys;  /* flatmap */
	struct bd_map_cursor vals;  /* flatmap */
	struct bd_map_cursor lv[BD_MAP_ITER_LEVELS];
	uint64_t lv_addr[BD_MAP_ITER_LEVELS];  /* node of each level, against node cycles */
	unsigned n_lv;
};

enum bd_map_step {
	BD_MAP_END,
	BD_MAP_PAIR,
	BD_MAP_BAD,   /* a missing or malformed entry; *bad_addr is its address or 0 */
};

/*
 * Start iterating map (a BD_OBJ_FLATMAP or BD_OBJ_HASHMAP). False when a
 * flatmap's keys tuple does not resolve or does not match the map size;
 * *bad_addr is then the keys' address (0 if not a pointer).
 */
bool bd_map_iter_init(struct bd_map_iter *it, const struct bd_term_ctx *c,
		      const struct bd_obj *map, uint64_t *bad_addr);
enum bd_map_step bd_map_iter_next(struct bd_map_iter *it, struct bd_elem *key,
				  struct bd_elem *val, uint64_t *bad_addr);

/* Start a cursor over o's elements. */
void bd_map_cursor_init(struct bd_map_cursor *k, const struct bd_obj *o);
/* The next element of a run separated by sep (',' or '|'); false at its end or if malformed. */
bool bd_map_cursor_next(struct bd_map_cursor *k, char sep, struct bd_elem *e);

#endif
