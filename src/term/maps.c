/*
 * Maps of a heap: the pairs of a flatmap in key order, and of a hashmap
 * (Mh/Mn nodes, [K|V] leaves) in the order the dump wrote its nodes; and
 * the cursor over an object's elements they read them with.
 */
#include "bd.h"
#include "term/maps.h"

/* ------------------------------------------------------------ maps */

void bd_map_cursor_init(struct bd_map_cursor *k, const struct bd_obj *o)
{
	k->next = o->elems_text.ptr;
	k->end = o->elems_text.ptr + o->elems_text.len;
	k->left = o->n_elems;
	k->total = o->n_elems;
}

/*
 * The next child of a hashmap node, in the order the dump wrote them: the
 * first, then the others last to first (the writer stacks them), so that
 * each node looked up is the line after the previous one. Node children
 * are all pointers, so they can be read from the back.
 */
static bool node_next(struct bd_map_cursor *k, struct bd_elem *e)
{
	const char *p;

	if (!k->left || k->next >= k->end)
		return false;
	if (k->left == k->total) {
		size_t n = bd_elem_parse(k->next, k->end, e);
		if (!n) {
			k->left = 0;
			return false;
		}
		k->next += n;
		if (k->next < k->end && *k->next == ',')
			k->next++;
		k->left--;
		return true;
	}
	p = k->end;
	while (p > k->next && p[-1] != ',')
		p--;
	if (!bd_elem_parse(p, k->end, e) || e->kind != BD_ELEM_PTR) {
		k->left = 0;
		return false;
	}
	k->end = p > k->next ? p - 1 : p;
	k->left--;
	return true;
}

/* Next element of a comma- or bar-separated run; false at its end or if malformed. */
bool bd_map_cursor_next(struct bd_map_cursor *k, char sep, struct bd_elem *e)
{
	size_t n;

	if (!k->left || k->next >= k->end)
		return false;
	n = bd_elem_parse(k->next, k->end, e);
	if (!n) {
		k->left = 0;
		return false;
	}
	k->next += n;
	if (k->next < k->end && *k->next == sep)
		k->next++;
	k->left--;
	return true;
}

bool bd_map_iter_init(struct bd_map_iter *it, const struct bd_term_ctx *c,
		      const struct bd_obj *map, uint64_t *bad_addr)
{
	memset(it, 0, sizeof(*it));
	it->c = c;
	it->size = map->size;
	*bad_addr = 0;
	if (map->kind == BD_OBJ_HASHMAP) {
		it->hashed = true;
		bd_map_cursor_init(&it->lv[0], map);
		it->n_lv = 1;
		it->lv_addr[0] = 0;
		return true;
	}
	struct bd_obj keys;
	if (map->keys.kind != BD_ELEM_PTR)
		return map->size == 0;
	*bad_addr = map->keys.addr;
	if (!bd_term_resolve(c, map->keys.addr, &keys) || keys.kind != BD_OBJ_TUPLE ||
	    keys.size != map->size)
		return false;
	*bad_addr = 0;
	bd_map_cursor_init(&it->keys, &keys);
	bd_map_cursor_init(&it->vals, map);
	return true;
}

static enum bd_map_step hamt_next(struct bd_map_iter *it, struct bd_elem *key, struct bd_elem *val,
				  uint64_t *bad_addr)
{
	while (it->n_lv) {
		struct bd_map_cursor *k = &it->lv[it->n_lv - 1];
		struct bd_elem e;
		struct bd_obj o;
		if (!k->left || k->next >= k->end) {
			it->n_lv--;
			continue;
		}
		/* nodes that lead to no leaf: bounded, for DAGs of empty nodes */
		if (it->nodes > (it->size + 1) * BD_MAP_ITER_LEVELS) {
			it->n_lv = 0;
			*bad_addr = 0;
			return BD_MAP_BAD;
		}
		if (!node_next(k, &e))
			continue;
		/* leaves beyond the declared size: a corrupt map, stop here */
		if (it->items >= it->size) {
			it->n_lv = 0;
			return BD_MAP_BAD;
		}
		it->items++;
		*bad_addr = e.addr;
		if (e.kind != BD_ELEM_PTR || !bd_term_resolve(it->c, e.addr, &o))
			return BD_MAP_BAD;
		if (o.kind == BD_OBJ_HASHNODE) {
			bool loop = false;
			for (unsigned i = 0; i < it->n_lv; i++)
				loop = loop || it->lv_addr[i] == e.addr;
			it->items--;
			it->nodes++;
			if (loop || it->n_lv == BD_MAP_ITER_LEVELS) {
				*bad_addr = 0;
				return BD_MAP_BAD;
			}
			it->lv_addr[it->n_lv] = e.addr;
			bd_map_cursor_init(&it->lv[it->n_lv++], &o);
			continue;
		}
		/* leaves are cons cells [K|V] */
		struct bd_map_cursor leaf;
		bd_map_cursor_init(&leaf, &o);
		if (o.kind != BD_OBJ_CONS || !bd_map_cursor_next(&leaf, '|', key) ||
		    !bd_map_cursor_next(&leaf, '|', val))
			return BD_MAP_BAD;
		return BD_MAP_PAIR;
	}
	return BD_MAP_END;
}

enum bd_map_step bd_map_iter_next(struct bd_map_iter *it, struct bd_elem *key,
				  struct bd_elem *val, uint64_t *bad_addr)
{
	*bad_addr = 0;
	if (it->hashed)
		return hamt_next(it, key, val, bad_addr);
	if (!it->keys.left)
		return BD_MAP_END;
	it->items++;
	if (!bd_map_cursor_next(&it->keys, ',', key) || !bd_map_cursor_next(&it->vals, ',', val)) {
		it->keys.left = 0;
		return BD_MAP_BAD;
	}
	return BD_MAP_PAIR;
}

