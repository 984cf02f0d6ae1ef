/*
 * Term shapes (see shape.h): message shapes for histograms, and summaries
 * of huge terms.
 *
 * A summary is a tree of shape nodes built while the term is walked: each
 * element of a collection is merged into the one node that stands for all
 * its elements, so memory depends on how varied the term is, not on how
 * big. Nodes live in one fixed pool; merging a term whose shape differs
 * from a node's turns the node into a set of at most three alternatives,
 * and anything further is only counted. The walk uses a fixed stack of
 * BD_SUMMARY_DEPTH frames; lists are followed along their tails within one
 * frame, with Brent's method against tail cycles.
 */
#include "bd.h"
#include "term/shape.h"
#include "term/etf.h"

#include <inttypes.h>
#include <stdio.h>

#define TIMES "\xc3\x97" /* U+00D7, "×" */

/* Cut out to start + max bytes on a UTF-8 boundary and end it with "...". */
static void cap_output(struct bd_buf *out, size_t start, size_t max)
{
	size_t k;

	if (out->oom || out->len - start <= max)
		return;
	k = start + max;
	while (k > start && ((unsigned char)out->ptr[k] & 0xc0) == 0x80)
		k--;
	out->len = k;
	out->ptr[k] = '\0';
	bd_buf_add(out, "...", 3);
}

static bool is_struct_key(const struct bd_elem *k)
{
	return k->kind == BD_ELEM_ATOM && bd_slice_eq(k->text, "__struct__");
}

/* The atom value of a flatmap's __struct__ key, if it has one. */
static bool struct_name(const struct bd_term_ctx *c, const struct bd_obj *map,
			struct bd_slice *name)
{
	struct bd_map_iter it;
	struct bd_elem k;
	struct bd_elem v;
	uint64_t bad;
	enum bd_map_step st;

	if (map->kind != BD_OBJ_FLATMAP || !bd_map_iter_init(&it, c, map, &bad))
		return false;
	while ((st = bd_map_iter_next(&it, &k, &v, &bad)) != BD_MAP_END) {
		if (st == BD_MAP_PAIR && is_struct_key(&k) && v.kind == BD_ELEM_ATOM) {
			*name = v.text;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------ message shapes */

struct shape_frame {
	struct bd_map_cursor cur;
	uint64_t addr;
	uint64_t shown;
};

static bool shape_on_path(const struct shape_frame *st, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (st[i].addr == addr)
			return true;
	return false;
}

enum bd_status bd_term_shape(const struct bd_term_ctx *c, const struct bd_elem *root,
			     unsigned depth, enum bd_syntax syntax, struct bd_buf *out,
			     struct bd_error *err)
{
	/*
	 * Every frame opened writes a "{": the byte cap bounds the stack.
	 * Shapes of shallow depth (one per queued message) use the C stack.
	 */
	struct shape_frame local[16];
	bool small = depth && depth <= BD_ARRAY_SIZE(local);
	struct shape_frame *st = small ? local : bd_calloc(BD_SHAPE_MAX_BYTES + 1, sizeof(*st));
	const char *sep = syntax == BD_SYNTAX_ELIXIR ? ", " : ",";
	size_t start = out->len;
	size_t n = 0;
	struct bd_elem e = *root;

	if (!st)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory shaping a term");
	for (;;) {
		struct bd_obj o;
		/* e: the next term to write, at level n + 1 */
		if (e.kind == BD_ELEM_ATOM) {
			bd_print_atom(e.text, syntax, out);
		} else if (e.kind == BD_ELEM_NIL) {
			bd_buf_add(out, "[]", 2);
		} else if (e.kind != BD_ELEM_PTR || shape_on_path(st, n, e.addr) ||
			   !bd_term_resolve(c, e.addr, &o)) {
			bd_buf_add(out, "_", 1);
		} else if (o.kind == BD_OBJ_CONS) {
			bd_buf_addstr(out, syntax == BD_SYNTAX_ELIXIR ? "[_ | _]" : "[_|_]");
		} else if (o.kind == BD_OBJ_FLATMAP || o.kind == BD_OBJ_HASHMAP) {
			struct bd_slice name;
			const char *body = o.size ? "...}" : "}";
			if (syntax != BD_SYNTAX_ELIXIR) {
				bd_buf_addstr(out, "#{");
			} else if (struct_name(c, &o, &name)) {
				bd_buf_addch(out, '%');
				bd_print_atom(name, syntax, out);
				bd_buf_addch(out, '{');
				body = "...}";
			} else {
				bd_buf_addstr(out, "%{");
			}
			bd_buf_addstr(out, body);
		} else if (o.kind != BD_OBJ_TUPLE || (depth && n + 1 > depth)) {
			bd_buf_add(out, "_", 1);
		} else if (!o.size) {
			bd_buf_add(out, "{}", 2);
		} else {
			st[n].cur.next = o.elems_text.ptr;
			st[n].cur.end = o.elems_text.ptr + o.elems_text.len;
			st[n].cur.left = o.n_elems;
			st[n].addr = e.addr;
			st[n].shown = 0;
			n++;
			bd_buf_addch(out, '{');
		}
		/* the next element, closing finished tuples on the way */
		for (;;) {
			if (!n || out->len - start > BD_SHAPE_MAX_BYTES || out->oom)
				goto done;
			struct shape_frame *f = &st[n - 1];
			size_t len = 0;
			if (f->cur.left && f->shown < BD_SHAPE_TUPLE_MAX)
				len = bd_elem_parse(f->cur.next, f->cur.end, &e);
			if (len) {
				f->cur.next += len;
				if (f->cur.next < f->cur.end && *f->cur.next == ',')
					f->cur.next++;
				f->cur.left--;
				if (f->shown++)
					bd_buf_addstr(out, sep);
				break;
			}
			if (f->cur.left) {
				bd_buf_addstr(out, sep);
				bd_buf_addstr(out, "...");
			}
			bd_buf_addch(out, '}');
			n--;
		}
	}
done:
	if (!small)
		bd_free(st);
	cap_output(out, start, BD_SHAPE_MAX_BYTES);
	if (out->oom)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory shaping a term");
	return BD_OK;
}

/* ------------------------------------------------------------ summaries */

enum nkind {
	N_EMPTY,     /* nothing merged yet */
	N_INTEGER,
	N_FLOAT,
	N_ATOM,
	N_TAG,       /* an atom kept literally: a tuple's first element */
	N_PID,
	N_PORT,
	N_REF,
	N_FUN,
	N_TERM,      /* an external term of another kind, stack text */
	N_MISSING,
	N_CYCLE,
	N_BINARY,    /* min, max: sizes in bytes */
	N_TUPLE,     /* children: elements; arity */
	N_LIST,      /* a: elements, b: improper tails; min, max: lengths */
	N_MAP,       /* a: keys, b: values; min, max: sizes */
	N_RECMAP,    /* children: N_FIELD per atom key; name: struct name or empty */
	N_FIELD,     /* name: key; a: values */
	N_ALT,       /* children: up to 3 alternatives; other: terms of further shapes */
};

#define ALT_MAX 3
/* flatmaps of at most this many atom keys show their keys */
#define RECMAP_MAX 32
/* objects visited before a summary gives up (only DAGs with much sharing get there) */
#define WORK_MAX ((uint64_t)1 << 27)

struct snode {
	enum nkind kind;
	bool deep;          /* a container past BD_SUMMARY_DEPTH: contents not looked at */
	uint32_t first;     /* first child; 0 = none (node 0 is never used) */
	uint32_t next;      /* next sibling */
	uint32_t a;
	uint32_t b;
	uint64_t arity;
	uint64_t count;     /* terms merged here */
	uint64_t other;
	uint64_t min;
	uint64_t max;
	struct bd_slice name;
};

/* What a term is, as far as matching it against a node goes. */
struct cls {
	enum nkind kind;
	uint64_t addr;
	struct bd_obj o;
	struct bd_slice name;  /* tuple tag or struct name */
	uint64_t size;
};

enum sframe_kind { SF_LIST, SF_TUPLE, SF_MAP, SF_RECMAP };

struct sframe {
	enum sframe_kind kind;
	uint32_t node;
	uint64_t addr;
	uint64_t len;                /* list: cells seen */
	struct bd_elem tail;         /* list: the rest of the chain */
	uint64_t mark;               /* list: Brent's cycle check */
	uint64_t power;
	uint64_t lam;
	struct bd_map_cursor cur;    /* tuple elements */
	uint64_t shown;
	uint32_t *slot;              /* tuple: where the next element merges; recmap: field */
	bool value_next;             /* map: pend merges into b next */
	struct bd_elem pend;
	struct bd_map_iter it;       /* maps */
};

struct summ {
	const struct bd_term_ctx *c;
	enum bd_syntax syn;
	struct snode *pool;
	uint32_t n_pool;
	struct sframe st[BD_SUMMARY_DEPTH];
	size_t n_st;
	uint64_t work;
	bool partial;
};

static uint32_t node_new(struct summ *s)
{
	if (s->n_pool >= BD_SUMMARY_NODES)
		return 0;
	memset(&s->pool[s->n_pool], 0, sizeof(s->pool[0]));
	return s->n_pool++;
}

static bool on_path(const struct summ *s, uint64_t addr)
{
	for (size_t i = 0; i < s->n_st; i++)
		if (s->st[i].addr == addr)
			return true;
	return false;
}

static enum nkind ext_kind(const struct summ *s, const struct bd_obj *o)
{
	switch (bd_ext_term_kind(s->c, o)) {
	case BD_ETF_REF:
		return N_REF;
	case BD_ETF_FUN:
	case BD_ETF_EXPORT:
		return N_FUN;
	case BD_ETF_PID:
		return N_PID;
	case BD_ETF_PORT:
		return N_PORT;
	default:
		return N_TERM;
	}
}

/* A flatmap of 1..RECMAP_MAX atom keys (its struct name, if any, in *name). */
static bool recmap_like(const struct summ *s, const struct bd_obj *o, struct bd_slice *name)
{
	struct bd_map_iter it;
	struct bd_elem k;
	struct bd_elem v;
	uint64_t bad;
	enum bd_map_step st;

	name->len = 0;
	if (o->kind != BD_OBJ_FLATMAP || !o->size || o->size > RECMAP_MAX ||
	    !bd_map_iter_init(&it, s->c, o, &bad))
		return false;
	while ((st = bd_map_iter_next(&it, &k, &v, &bad)) != BD_MAP_END) {
		if (st != BD_MAP_PAIR || k.kind != BD_ELEM_ATOM)
			return false;
		if (is_struct_key(&k) && v.kind == BD_ELEM_ATOM)
			*name = v.text;
	}
	return true;
}

static void classify(struct summ *s, const struct bd_elem *e, struct cls *k)
{
	memset(k, 0, sizeof(*k));
	switch (e->kind) {
	case BD_ELEM_NIL:
		k->kind = N_LIST;
		return;
	case BD_ELEM_SMALL:
		k->kind = N_INTEGER;
		return;
	case BD_ELEM_ATOM:
		k->kind = N_ATOM;
		return;
	case BD_ELEM_PID:
		k->kind = N_PID;
		return;
	case BD_ELEM_PORT:
		k->kind = N_PORT;
		return;
	case BD_ELEM_PTR:
		break;
	case BD_ELEM_TEXT:
	default:
		k->kind = N_TERM;
		return;
	}
	k->addr = e->addr;
	if (on_path(s, e->addr)) {
		k->kind = N_CYCLE;
		return;
	}
	if (!bd_term_resolve(s->c, e->addr, &k->o)) {
		k->kind = N_MISSING;
		return;
	}
	k->size = k->o.size;
	switch (k->o.kind) {
	case BD_OBJ_CONS:
		k->kind = N_LIST;
		break;
	case BD_OBJ_TUPLE: {
		struct bd_elem first;
		k->kind = N_TUPLE;
		if (k->o.size && bd_elem_parse(k->o.elems_text.ptr,
					       k->o.elems_text.ptr + k->o.elems_text.len, &first) &&
		    first.kind == BD_ELEM_ATOM)
			k->name = first.text;
		break;
	}
	case BD_OBJ_FLOAT:
		k->kind = N_FLOAT;
		break;
	case BD_OBJ_BIG:
		k->kind = N_INTEGER;
		break;
	case BD_OBJ_HEAP_BIN:
	case BD_OBJ_REFC_BIN:
	case BD_OBJ_SUB_BIN:
		k->kind = N_BINARY;
		break;
	case BD_OBJ_FLATMAP:
	case BD_OBJ_HASHMAP:
		k->kind = recmap_like(s, &k->o, &k->name) ? N_RECMAP : N_MAP;
		break;
	case BD_OBJ_EXT_PID:
		k->kind = N_PID;
		break;
	case BD_OBJ_EXT_PORT:
		k->kind = N_PORT;
		break;
	case BD_OBJ_EXT_TERM:
		k->kind = ext_kind(s, &k->o);
		break;
	case BD_OBJ_FUN_REF:
		k->kind = N_FUN;
		break;
	case BD_OBJ_HASHNODE:
	case BD_OBJ_UNKNOWN:
	default:
		k->kind = N_TERM;
		break;
	}
}

static bool same_name(struct bd_slice a, struct bd_slice b)
{
	return a.len == b.len && (!a.len || !memcmp(a.ptr, b.ptr, a.len));
}

/* The same atom keys in the same order, and the same struct name. */
static bool recmap_matches(const struct summ *s, const struct snode *n, const struct cls *k)
{
	struct bd_map_iter it;
	struct bd_elem key;
	struct bd_elem v;
	uint64_t bad;
	uint32_t f = n->first;

	if (!same_name(n->name, k->name) || !bd_map_iter_init(&it, s->c, &k->o, &bad))
		return false;
	while (bd_map_iter_next(&it, &key, &v, &bad) == BD_MAP_PAIR) {
		if (k->name.len && is_struct_key(&key))
			continue;
		if (!f || !same_name(s->pool[f].name, key.text))
			return false;
		f = s->pool[f].next;
	}
	return !f;
}

static bool matches(const struct summ *s, const struct snode *n, const struct cls *k)
{
	if (n->kind == N_TAG)
		return k->kind == N_ATOM;
	if (n->kind != k->kind)
		return false;
	if (n->kind == N_TUPLE)
		return n->arity == k->size && same_name(n->name, k->name);
	if (n->kind == N_RECMAP)
		return recmap_matches(s, n, k);
	return true;
}

/* A new node for k: its fields, for a recmap, made now so that later maps can be matched. */
static void node_init(struct summ *s, uint32_t idx, const struct cls *k)
{
	struct snode *n = &s->pool[idx];

	n->kind = k->kind;
	n->min = UINT64_MAX;
	n->arity = k->size;
	n->name = k->name;
	if (k->kind == N_RECMAP) {
		struct bd_map_iter it;
		struct bd_elem key;
		struct bd_elem v;
		uint64_t bad;
		uint32_t *link = &n->first;
		if (!bd_map_iter_init(&it, s->c, &k->o, &bad))
			return;
		while (bd_map_iter_next(&it, &key, &v, &bad) == BD_MAP_PAIR) {
			if (k->name.len && is_struct_key(&key))
				continue;
			uint32_t fi = node_new(s);
			if (!fi)
				return;
			s->pool[fi].kind = N_FIELD;
			s->pool[fi].name = key.text;
			*link = fi;
			link = &s->pool[fi].next;
		}
	}
}

/* The node of *slot that k merges into, made or split as needed; 0 if none. */
static uint32_t target(struct summ *s, uint32_t *slot, const struct cls *k)
{
	uint32_t idx = *slot;
	struct snode *n;

	if (!idx) {
		idx = node_new(s);
		if (!idx)
			return 0;
		*slot = idx;
	}
	n = &s->pool[idx];
	if (n->kind == N_EMPTY) {
		node_init(s, idx, k);
		return idx;
	}
	if (n->kind != N_ALT) {
		if (matches(s, n, k))
			return idx;
		/* the node becomes alternatives: its content moves to a first alternative */
		uint32_t m = node_new(s);
		if (!m)
			return 0;
		s->pool[m] = *n;
		s->pool[m].next = 0;
		n->kind = N_ALT;
		n->first = m;
		n->other = 0;
		n->a = n->b = 0;
		n->name.len = 0;
	}
	s->pool[idx].count++;
	uint32_t *link = &s->pool[idx].first;
	size_t n_alts = 0;
	for (; *link; link = &s->pool[*link].next, n_alts++)
		if (matches(s, &s->pool[*link], k))
			return *link;
	uint32_t fresh = n_alts < ALT_MAX ? node_new(s) : 0;
	if (!fresh) {
		s->pool[idx].other++;
		return 0;
	}
	*link = fresh;
	node_init(s, fresh, k);
	return fresh;
}

static void set_range(struct snode *n, uint64_t v)
{
	if (v < n->min)
		n->min = v;
	if (v > n->max)
		n->max = v;
}

static struct sframe *push(struct summ *s, enum sframe_kind kind, uint32_t node, uint64_t addr)
{
	struct sframe *f = &s->st[s->n_st++];

	/* the map iterator, last and large, is set up by its user */
	memset(f, 0, offsetof(struct sframe, it));
	f->kind = kind;
	f->node = node;
	f->addr = addr;
	return f;
}

/* Merge the term e into the node at *slot, opening a frame for its contents. */
static void merge(struct summ *s, const struct bd_elem *e, uint32_t *slot)
{
	struct cls k;
	uint32_t t;
	struct snode *n;
	struct sframe *f;

	if (++s->work > WORK_MAX) {
		s->partial = true;
		return;
	}
	classify(s, e, &k);
	t = target(s, slot, &k);
	if (!t)
		return;
	n = &s->pool[t];
	n->count++;
	if (k.kind == N_BINARY)
		set_range(n, k.size);
	if (k.kind == N_LIST && e->kind == BD_ELEM_NIL)
		set_range(n, 0);
	if (k.kind == N_MAP)
		set_range(n, k.size);
	if (k.kind != N_LIST && k.kind != N_TUPLE && k.kind != N_MAP && k.kind != N_RECMAP)
		return;
	if (e->kind == BD_ELEM_NIL || (k.kind == N_MAP && !k.size))
		return;
	if (s->n_st == BD_SUMMARY_DEPTH) {
		n->deep = true;
		return;
	}
	switch (k.kind) {
	case N_LIST:
		f = push(s, SF_LIST, t, k.addr);
		f->tail = *e;
		f->mark = k.addr;
		f->power = 1;
		break;
	case N_TUPLE:
		f = push(s, SF_TUPLE, t, k.addr);
		f->cur.next = k.o.elems_text.ptr;
		f->cur.end = k.o.elems_text.ptr + k.o.elems_text.len;
		f->cur.left = k.o.n_elems;
		f->slot = &n->first;
		break;
	case N_MAP:
	case N_RECMAP:
	default:
		f = push(s, k.kind == N_MAP ? SF_MAP : SF_RECMAP, t, k.addr);
		uint64_t bad;
		if (!bd_map_iter_init(&f->it, s->c, &k.o, &bad))
			f->it.keys.left = 0;
		f->slot = &n->first;
		break;
	}
}

/* Count a leaf of a kind no term stands for (a cycle, a missing entry) at *slot. */
static void merge_kind(struct summ *s, enum nkind kind, uint32_t *slot)
{
	struct cls k;
	uint32_t t;

	memset(&k, 0, sizeof(k));
	k.kind = kind;
	t = target(s, slot, &k);
	if (t)
		s->pool[t].count++;
}

static void step_list(struct summ *s, struct sframe *f)
{
	struct snode *n = &s->pool[f->node];
	struct bd_obj o;
	struct bd_elem head;
	struct bd_elem tail = f->tail;
	size_t len;

	if (tail.kind == BD_ELEM_NIL)
		goto finish;
	if (tail.kind == BD_ELEM_PTR && f->len) {
		bool cycle = on_path(s, tail.addr) || tail.addr == f->mark;
		if (++f->lam == f->power) {
			f->mark = tail.addr;
			f->power *= 2;
			f->lam = 0;
		}
		if (cycle) {
			/* a tail back into the chain: shown as an improper tail "cycle" */
			s->n_st--;
			set_range(n, f->len);
			merge_kind(s, N_CYCLE, &n->b);
			return;
		}
	}
	if (tail.kind != BD_ELEM_PTR || !bd_term_resolve(s->c, tail.addr, &o) ||
	    o.kind != BD_OBJ_CONS) {
		/* an improper tail, or a missing cell: its shape goes to b */
		s->n_st--;
		set_range(n, f->len);
		merge(s, &tail, &n->b);
		return;
	}
	const char *p = o.elems_text.ptr;
	const char *end = p + o.elems_text.len;
	len = bd_elem_parse(p, end, &head);
	if (!len || p + len >= end || p[len] != '|' || !bd_elem_parse(p + len + 1, end, &f->tail))
		goto finish;
	f->len++;
	merge(s, &head, &n->a);
	return;
finish:
	s->n_st--;
	set_range(&s->pool[f->node], f->len);
}

static void step_tuple(struct summ *s, struct sframe *f)
{
	struct bd_elem e;
	size_t len;

	if (!f->cur.left || f->shown >= BD_SHAPE_TUPLE_MAX || !f->slot) {
		s->n_st--;
		return;
	}
	len = bd_elem_parse(f->cur.next, f->cur.end, &e);
	if (!len) {
		s->n_st--;
		return;
	}
	f->cur.next += len;
	if (f->cur.next < f->cur.end && *f->cur.next == ',')
		f->cur.next++;
	f->cur.left--;
	f->shown++;
	/* frames and nodes sit in fixed arrays: f and slot stay valid across merge() */
	uint32_t *slot = f->slot;
	if (f->shown == 1 && s->pool[f->node].name.len) {
		/* the tag: the same atom in every tuple merged here, kept literally */
		if (!*slot) {
			uint32_t t = node_new(s);
			if (t) {
				s->pool[t].kind = N_TAG;
				s->pool[t].name = e.text;
				*slot = t;
			}
		}
		if (*slot)
			s->pool[*slot].count++;
	} else {
		merge(s, &e, slot);
	}
	f->slot = *slot ? &s->pool[*slot].next : NULL;
}

static void step_map(struct summ *s, struct sframe *f)
{
	struct snode *n = &s->pool[f->node];
	struct bd_elem key;
	struct bd_elem val;
	uint64_t bad;
	enum bd_map_step st;

	if (f->value_next) {
		f->value_next = false;
		val = f->pend;
		merge(s, &val, &n->b);
		return;
	}
	st = bd_map_iter_next(&f->it, &key, &val, &bad);
	if (st == BD_MAP_END) {
		s->n_st--;
		return;
	}
	if (st == BD_MAP_BAD) {
		merge_kind(s, N_MISSING, &n->b);
		return;
	}
	f->pend = val;
	f->value_next = true;
	merge(s, &key, &n->a);
}

static void step_recmap(struct summ *s, struct sframe *f)
{
	struct snode *n = &s->pool[f->node];
	struct bd_elem key;
	struct bd_elem val;
	uint64_t bad;

	for (;;) {
		if (bd_map_iter_next(&f->it, &key, &val, &bad) != BD_MAP_PAIR || !f->slot ||
		    !*f->slot) {
			s->n_st--;
			return;
		}
		if (!(n->name.len && is_struct_key(&key)))
			break;
	}
	uint32_t field = *f->slot;
	f->slot = &s->pool[field].next;
	merge(s, &val, &s->pool[field].a);
}

/* Returns the root's node. */
static uint32_t walk(struct summ *s, const struct bd_elem *root)
{
	uint32_t top = 0;

	merge(s, root, &top);
	while (s->n_st && !s->partial) {
		struct sframe *f = &s->st[s->n_st - 1];
		switch (f->kind) {
		case SF_LIST:
			step_list(s, f);
			break;
		case SF_TUPLE:
			step_tuple(s, f);
			break;
		case SF_MAP:
			step_map(s, f);
			break;
		case SF_RECMAP:
		default:
			step_recmap(s, f);
			break;
		}
	}
	return top;
}

/* ---- writing the shape tree (its depth is bounded: 3 nodes per container level) */

static void put_node(const struct summ *s, uint32_t idx, struct bd_buf *out, size_t start);

static void put_count(struct bd_buf *out, uint64_t min, uint64_t max)
{
	if (min >= max)
		bd_buf_printf(out, "%" PRIu64, max);
	else
		bd_buf_printf(out, "%" PRIu64 "..%" PRIu64, min, max);
}

static void put_alts(const struct summ *s, const struct snode *n, struct bd_buf *out, size_t start)
{
	uint32_t alts[ALT_MAX];
	size_t k = 0;

	for (uint32_t i = n->first; i && k < ALT_MAX; i = s->pool[i].next)
		alts[k++] = i;
	/* most frequent first; insertion sort keeps ties in first-seen order */
	for (size_t i = 1; i < k; i++) {
		uint32_t v = alts[i];
		size_t j = i;
		while (j > 0 && s->pool[alts[j - 1]].count < s->pool[v].count) {
			alts[j] = alts[j - 1];
			j--;
		}
		alts[j] = v;
	}
	bd_buf_addch(out, '(');
	for (size_t i = 0; i < k; i++) {
		if (i)
			bd_buf_addstr(out, " | ");
		bd_buf_printf(out, "%" PRIu64 " " TIMES " ", s->pool[alts[i]].count);
		put_node(s, alts[i], out, start);
	}
	if (n->other)
		bd_buf_printf(out, " | %" PRIu64 " " TIMES " ...", n->other);
	bd_buf_addch(out, ')');
}

static void put_recmap(const struct summ *s, const struct snode *n, struct bd_buf *out,
		       size_t start)
{
	bool ex = s->syn == BD_SYNTAX_ELIXIR;

	if (!ex) {
		bd_buf_addstr(out, "#{");
		if (n->name.len) {
			bd_buf_addstr(out, "'__struct__' => ");
			bd_print_atom(n->name, s->syn, out);
			if (n->first)
				bd_buf_addstr(out, ", ");
		}
	} else if (n->name.len) {
		bd_buf_addch(out, '%');
		bd_print_atom(n->name, s->syn, out);
		bd_buf_addch(out, '{');
	} else {
		bd_buf_addstr(out, "%{");
	}
	if (n->deep) {
		bd_buf_addstr(out, "...}");
		return;
	}
	for (uint32_t i = n->first; i; i = s->pool[i].next) {
		if (i != n->first)
			bd_buf_addstr(out, ", ");
		if (ex) {
			bd_print_kw_key(s->pool[i].name, out);
		} else {
			bd_print_atom(s->pool[i].name, s->syn, out);
			bd_buf_addstr(out, " => ");
		}
		put_node(s, s->pool[i].a, out, start);
	}
	bd_buf_addch(out, '}');
}

static void put_tuple(const struct summ *s, const struct snode *n, struct bd_buf *out,
		      size_t start)
{
	uint64_t k = 0;

	if (!n->arity) {
		bd_buf_addstr(out, "{}");
		return;
	}
	if (n->deep) {
		bd_buf_addstr(out, "{...}");
		return;
	}
	bd_buf_addch(out, '{');
	for (uint32_t i = n->first; i; i = s->pool[i].next, k++) {
		if (k)
			bd_buf_addstr(out, ", ");
		if (s->pool[i].kind == N_TAG)
			bd_print_atom(s->pool[i].name, s->syn, out);
		else
			put_node(s, i, out, start);
	}
	if (k < n->arity)
		bd_buf_addstr(out, k ? ", ..." : "...");
	bd_buf_addch(out, '}');
}

static void put_node(const struct summ *s, uint32_t idx, struct bd_buf *out, size_t start)
{
	static const char *const words[] = {
		[N_EMPTY] = "_",	 [N_INTEGER] = "integer", [N_FLOAT] = "float",
		[N_ATOM] = "atom",	 [N_PID] = "pid",	  [N_PORT] = "port",
		[N_REF] = "reference",	 [N_FUN] = "fun",	  [N_TERM] = "term",
		[N_MISSING] = "missing", [N_CYCLE] = "cycle",
	};
	const struct snode *n = &s->pool[idx];

	if (!idx || out->len - start > BD_SUMMARY_MAX_BYTES) {
		bd_buf_addstr(out, "...");
		return;
	}
	switch (n->kind) {
	case N_TAG:
		bd_print_atom(n->name, s->syn, out);
		break;
	case N_BINARY:
		if (n->min == n->max)
			bd_buf_printf(out, s->syn == BD_SYNTAX_ELIXIR ? "<<_::%" PRIu64 ">>"
								     : "<<_:%" PRIu64 ">>",
				      n->min * 8);
		else
			bd_buf_addstr(out, "binary");
		break;
	case N_TUPLE:
		put_tuple(s, n, out, start);
		break;
	case N_LIST:
		if (!n->max && !n->deep && !n->b) {
			bd_buf_addstr(out, "[]");
			break;
		}
		bd_buf_addstr(out, "list(");
		if (n->deep) {
			bd_buf_addstr(out, "...)");
			break;
		}
		put_count(out, n->min, n->max);
		bd_buf_addstr(out, " " TIMES " ");
		put_node(s, n->a, out, start);
		if (n->b) {
			bd_buf_addstr(out, " | ");
			put_node(s, n->b, out, start);
		}
		bd_buf_addch(out, ')');
		break;
	case N_MAP:
		if (!n->max && !n->deep) {
			bd_buf_addstr(out, "map(0)");
			break;
		}
		bd_buf_addstr(out, "map(");
		if (n->deep) {
			bd_buf_addstr(out, "...)");
			break;
		}
		put_count(out, n->min, n->max);
		bd_buf_addstr(out, " " TIMES " ");
		put_node(s, n->a, out, start);
		bd_buf_addstr(out, " => ");
		put_node(s, n->b, out, start);
		bd_buf_addch(out, ')');
		break;
	case N_RECMAP:
		put_recmap(s, n, out, start);
		break;
	case N_ALT:
		put_alts(s, n, out, start);
		break;
	case N_FIELD:
		put_node(s, n->a, out, start);
		break;
	case N_EMPTY:
	case N_INTEGER:
	case N_FLOAT:
	case N_ATOM:
	case N_PID:
	case N_PORT:
	case N_REF:
	case N_FUN:
	case N_TERM:
	case N_MISSING:
	case N_CYCLE:
	default:
		bd_buf_addstr(out, words[n->kind]);
		break;
	}
}

enum bd_status bd_term_shape_summary(const struct bd_term_ctx *c, const struct bd_elem *root,
				     enum bd_syntax syntax, struct bd_buf *out,
				     struct bd_error *err)
{
	struct summ *s = bd_calloc(1, sizeof(*s));
	size_t start = out->len;
	uint32_t top;

	if (s)
		s->pool = bd_calloc(BD_SUMMARY_NODES, sizeof(*s->pool));
	if (!s || !s->pool) {
		if (s)
			bd_free(s->pool);
		bd_free(s);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
			       "out of memory summarising a term");
	}
	s->c = c;
	s->syn = syntax;
	s->n_pool = 1; /* index 0 means "no node" */
	top = walk(s, root);
	put_node(s, top, out, start);
	cap_output(out, start, BD_SUMMARY_MAX_BYTES);
	if (s->partial)
		bd_buf_addstr(out, " (partial)");
	bd_free(s->pool);
	bd_free(s);
	if (out->oom)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
			       "out of memory summarising a term");
	return BD_OK;
}
