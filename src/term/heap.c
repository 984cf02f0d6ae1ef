/*
 * Heap lines and term sizes (crash-dump-format.md 3.1-3.5).
 *
 * A heap section is indexed by address once (open addressing, 16 bytes an
 * object); objects are re-parsed from the mapping when visited. Sizes are
 * computed by an explicit-stack post-order walk memoised by address, so a
 * million-element list is a loop, shared subterms are sized once, and a
 * pointer cycle in a corrupt dump ends the walk instead of the process.
 */
#include "bd.h"
#include "term/heap.h"
#include "term/etf.h"
#include "util/base64.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------ elements */

/* "<...>" */
static size_t angle(const char *p, const char *end)
{
	const char *q;

	if (p >= end || *p != '<')
		return 0;
	q = memchr(p, '>', (size_t)(end - p));
	return q ? (size_t)(q - p) + 1 : 0;
}

size_t bd_elem_parse(const char *p, const char *end, struct bd_elem *e)
{
	size_t n;
	uint64_t len;

	memset(e, 0, sizeof(*e));
	if (p >= end)
		return 0;
	switch (*p) {
	case 'N':
		e->kind = BD_ELEM_NIL;
		return 1;
	case 'I': {
		const char *q = p + 1;
		bool neg = q < end && *q == '-';
		uint64_t v = 0;
		if (neg)
			q++;
		const char *digits = q;
		while (q < end && *q >= '0' && *q <= '9' && q - digits < 20)
			v = v * 10 + (uint64_t)(*q++ - '0');
		if (q == digits || v > INT64_MAX)
			return 0;
		e->kind = BD_ELEM_SMALL;
		e->small = neg ? -(int64_t)v : (int64_t)v;
		return (size_t)(q - p);
	}
	case 'A':
		n = bd_hex_prefix(p + 1, end, &len);
		if (!n || p + 1 + n >= end || p[1 + n] != ':' ||
		    len > (uint64_t)(end - (p + 2 + n)))
			return 0;
		e->kind = BD_ELEM_ATOM;
		e->text = bd_slice_make(p + 2 + n, (size_t)len);
		return 2 + n + (size_t)len;
	case 'P':
	case 'p':
		n = angle(p + 1, end);
		if (!n)
			return 0;
		e->kind = *p == 'P' ? BD_ELEM_PID : BD_ELEM_PORT;
		e->text = bd_slice_make(p + 1, n);
		return 1 + n;
	case 'H':
		n = bd_hex_prefix(p + 1, end, &e->addr);
		if (!n || !e->addr)
			return 0;
		e->kind = BD_ELEM_PTR;
		return 1 + n;
	case 'S': {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l > 1 && p[l - 1] == '\r')
			l--;
		e->kind = BD_ELEM_TEXT;
		e->text = bd_slice_make(p + 1, l - 1);
		return l;
	}
	default:
		return 0;
	}
}

/* ------------------------------------------------------------- objects */

static size_t to_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

	if (n && p[n - 1] == '\r')
		n--;
	return n;
}

/* n elements separated by sep starting at p; returns the bytes, 0 if bad. */
static size_t elem_list(const char *p, const char *end, uint64_t n, char sep)
{
	const char *q = p;
	struct bd_elem e;

	for (uint64_t i = 0; i < n; i++) {
		size_t len = bd_elem_parse(q, end, &e);
		if (!len)
			return 0;
		q += len;
		if (i + 1 < n) {
			if (q >= end || *q != sep)
				return 0;
			q++;
		}
	}
	return (size_t)(q - p);
}

size_t bd_obj_parse(const char *p, const char *end, struct bd_obj *o)
{
	const char *q;
	size_t n;
	size_t len;
	uint64_t v;
	struct bd_elem e;

	memset(o, 0, sizeof(*o));
	o->elems_text.ptr = p; /* empty, never NULL, for objects without elements */
	if (p >= end)
		return 0;
	switch (*p) {
	case 'l':
		o->kind = BD_OBJ_CONS;
		n = bd_elem_parse(p + 1, end, &e);
		if (!n || p + 1 + n >= end || p[1 + n] != '|')
			return 0;
		len = bd_elem_parse(p + 2 + n, end, &e);
		if (!len)
			return 0;
		o->n_elems = 2;
		o->elems_text = bd_slice_make(p + 1, n + 1 + len);
		o->text = bd_slice_make(p, 2 + n + len);
		return o->text.len;
	case 't':
		o->kind = BD_OBJ_TUPLE;
		n = bd_hex_prefix(p + 1, end, &o->size);
		if (!n || p + 1 + n >= end || p[1 + n] != ':')
			return 0;
		q = p + 2 + n;
		/* each element takes at least one byte: reject absurd arities early */
		if (o->size > (uint64_t)(end - q))
			return 0;
		len = elem_list(q, end, o->size, ',');
		if (o->size && !len)
			return 0;
		o->n_elems = o->size;
		o->elems_text = bd_slice_make(q, len);
		o->text = bd_slice_make(p, (size_t)(q - p) + len);
		return o->text.len;
	case 'F':
		o->kind = BD_OBJ_FLOAT;
		n = bd_hex_prefix(p + 1, end, &v);
		if (!n || p + 1 + n >= end || p[1 + n] != ':' || v > (uint64_t)(end - (p + 2 + n)))
			return 0;
		o->text = bd_slice_make(p, 2 + n + (size_t)v);
		return o->text.len;
	case 'B':
		o->kind = BD_OBJ_BIG;
		o->text = bd_slice_make(p, to_eol(p, end));
		return o->text.len;
	case 'Y':
		if (p + 1 >= end)
			return 0;
		o->text = bd_slice_make(p, to_eol(p, end));
		q = p + 2;
		n = bd_hex_prefix(q, end, &v);
		if (!n || q + n >= end || q[n] != ':')
			return 0;
		if (p[1] == 'h') {
			o->kind = BD_OBJ_HEAP_BIN;
			o->size = v;
			return o->text.len;
		}
		if (p[1] != 'c' && p[1] != 's')
			return 0;
		o->kind = p[1] == 'c' ? BD_OBJ_REFC_BIN : BD_OBJ_SUB_BIN;
		o->ref = v;
		q += n + 1;
		n = bd_hex_prefix(q, end, &o->offset);
		if (!n || q + n >= end || q[n] != ':')
			return 0;
		q += n + 1;
		if (!bd_hex_prefix(q, end, &o->size))
			return 0;
		return o->text.len;
	case 'M':
		if (p + 1 >= end)
			return 0;
		q = p + 2;
		n = bd_hex_prefix(q, end, &o->size);
		if (!n || q + n >= end || q[n] != ':')
			return 0;
		q += n + 1;
		if (p[1] == 'f') {
			o->kind = BD_OBJ_FLATMAP;
			len = bd_elem_parse(q, end, &o->keys);
			if (!len || q + len >= end || q[len] != ':')
				return 0;
			q += len + 1;
			o->n_elems = o->size;
		} else if (p[1] == 'h') {
			o->kind = BD_OBJ_HASHMAP;
			n = bd_hex_prefix(q, end, &o->n_elems);
			if (!n || q + n >= end || q[n] != ':')
				return 0;
			q += n + 1;
		} else if (p[1] == 'n') {
			o->kind = BD_OBJ_HASHNODE;
			o->n_elems = o->size;
		} else {
			return 0;
		}
		if (o->n_elems > (uint64_t)(end - q))
			return 0;
		len = elem_list(q, end, o->n_elems, ',');
		if (o->n_elems && !len)
			return 0;
		o->elems_text = bd_slice_make(q, len);
		o->text = bd_slice_make(p, (size_t)(q - p) + len);
		return o->text.len;
	case 'P':
	case 'p':
		n = angle(p + 1, end);
		if (!n)
			return 0;
		o->kind = *p == 'P' ? BD_OBJ_EXT_PID : BD_OBJ_EXT_PORT;
		o->text = bd_slice_make(p, 1 + n);
		return o->text.len;
	case 'E':
		o->kind = BD_OBJ_EXT_TERM;
		n = bd_hex_prefix(p + 1, end, &o->size);
		if (!n || p + 1 + n >= end || p[1 + n] != ':')
			return 0;
		o->text = bd_slice_make(p, to_eol(p, end));
		return o->text.len;
	case 'R':
		o->kind = BD_OBJ_FUN_REF;
		o->text = bd_slice_make(p, to_eol(p, end));
		return o->text.len;
	default:
		/* unknown tags are kept as opaque lines (format doc 8.21) */
		o->kind = BD_OBJ_UNKNOWN;
		o->text = bd_slice_make(p, to_eol(p, end));
		return o->text.len;
	}
}

/* --------------------------------------------------------- heap index */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/*
 * A slot packs where an object's line starts (40 bits: dumps up to 1 TiB)
 * under 24 bits of its address's hash, so a heap costs 8 bytes a slot;
 * the full address is read back from the line to confirm a match.
 */
#define SLOT_OFF_BITS 40
#define SLOT_OFF_MASK ((UINT64_C(1) << SLOT_OFF_BITS) - 1)

static uint64_t slot_tag(uint64_t hash)
{
	return (hash >> SLOT_OFF_BITS) << SLOT_OFF_BITS;
}

/* The address at the start of a heap line (0 if unreadable). */
static uint64_t line_addr(const struct bd_dump *d, uint64_t off)
{
	uint64_t addr = 0;

	bd_hex_prefix(d->in.data + off, d->in.data + d->in.size, &addr);
	return addr;
}

static void slot_insert(uint64_t *slots, size_t cap, uint64_t hash, uint64_t slot)
{
	size_t j = (size_t)hash & (cap - 1);

	while (slots[j])
		j = (j + 1) & (cap - 1);
	slots[j] = slot;
}

/* Grow to hold need objects at a load of at most 3/4. */
static bool heap_reserve(struct bd_heap *h, const struct bd_dump *d, size_t need)
{
	size_t cap = h->cap ? h->cap : 64;
	uint64_t *slots;

	while (need > cap / 4 * 3)
		cap *= 2;
	if (cap == h->cap)
		return true;
	slots = bd_calloc(cap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < h->cap; i++) {
		uint64_t off;
		if (!h->slots[i])
			continue;
		off = (h->slots[i] & SLOT_OFF_MASK) - 1;
		slot_insert(slots, cap, mix(line_addr(d, off)), h->slots[i]);
	}
	bd_free(h->slots);
	h->slots = slots;
	h->cap = cap;
	return true;
}

/* The slot of addr, or of the empty place where it would go. */
static size_t heap_find(const struct bd_heap *h, const struct bd_dump *d, uint64_t addr,
			uint64_t hash)
{
	size_t j = (size_t)hash & (h->cap - 1);
	uint64_t tag = slot_tag(hash);

	while (h->slots[j]) {
		if ((h->slots[j] & ~SLOT_OFF_MASK) == tag &&
		    line_addr(d, (h->slots[j] & SLOT_OFF_MASK) - 1) == addr)
			break;
		j = (j + 1) & (h->cap - 1);
	}
	return j;
}

static size_t count_lines(const char *p, const char *end)
{
	size_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n + 1;
}

enum bd_status bd_heap_add_section(struct bd_heap *h, struct bd_dump *d, size_t i,
				   struct bd_error *err)
{
	struct bd_section s;
	const char *p;
	const char *end;

	char where[80];

	bd_section_get(d, i, &s);
	p = s.body.ptr;
	end = p + s.body.len;
	if ((uint64_t)(end - d->in.data) >= SLOT_OFF_MASK) {
		snprintf(where, sizeof(where), "%.*s", (int)s.header.len, s.header.ptr);
		return bd_fail(err, BD_ELIMIT, s.off, where, "heap beyond 1 TiB into the dump");
	}
	/* sized once from the line count, so the table is not rebuilt while filling */
	if (!heap_reserve(h, d, h->n + count_lines(p, end))) {
		snprintf(where, sizeof(where), "%.*s", (int)s.header.len, s.header.ptr);
		return bd_fail(err, BD_ENOMEM, s.off, where, "cannot index a heap");
	}
	while (p < end) {
		uint64_t addr;
		struct bd_obj o;
		size_t n = bd_hex_prefix(p, end, &addr);
		size_t len = 0;
		if (n && p + n < end && p[n] == ':' && addr)
			len = bd_obj_parse(p + n + 1, end, &o);
		if (len) {
			uint64_t hash = mix(addr);
			size_t j = heap_find(h, d, addr, hash);
			if (!h->slots[j])
				h->n++;
			/* a repeated address keeps its last line, as a lookup table would */
			h->slots[j] = slot_tag(hash) | (uint64_t)(p - d->in.data + 1);
			p += n + 1 + len;
		} else {
			h->n_bad++;
		}
		/* to the next line: past the object, or past a line we cannot read */
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	return BD_OK;
}

void bd_heap_defer_section(struct bd_heap *h, size_t i)
{
	h->deferred = i + 1;
}

void bd_heap_release(struct bd_heap *h)
{
	bd_free(h->slots);
	memset(h, 0, sizeof(*h));
}

bool bd_heap_get(const struct bd_heap *h, const struct bd_dump *d, uint64_t addr,
		 struct bd_obj *obj)
{
	size_t j;
	const char *p;
	const char *end = d->in.data + d->in.size;

	if (!h || !h->cap || !addr)
		return false;
	j = heap_find(h, d, addr, mix(addr));
	if (!h->slots[j])
		return false;
	p = d->in.data + (h->slots[j] & SLOT_OFF_MASK) - 1;
	p = memchr(p, ':', (size_t)(end - p));
	return p && bd_obj_parse(p + 1, end, obj) != 0;
}

/* The start of the heap line "ADDR:object" whose object text starts at obj. */
static const char *line_start(const struct bd_dump *d, const char *obj)
{
	const char *p = obj - 1; /* the ':' */

	while (p > d->in.data && bd_hex_digit(p[-1]) >= 0)
		p--;
	return p;
}

static bool hinted(const char *p, const char *end, uint64_t addr, struct bd_obj *obj)
{
	uint64_t a = 0;
	size_t n;

	if (!p)
		return false;
	n = bd_hex_prefix(p, end, &a);
	return n && a == addr && p + n < end && p[n] == ':' && bd_obj_parse(p + n + 1, end, obj);
}

/* Heap lines looked at past the hint before the table is asked. */
#define LOOK_AHEAD 4

/*
 * The heap lines just after the last find, and after the finds before it:
 * where a walk in another order than the writer's finds most objects.
 */
static bool near_hint(const struct bd_resolve_hint *h, const char *end, uint64_t addr,
		      struct bd_obj *obj)
{
	const char *p = h->next[0];

	for (unsigned i = 0; i < BD_HINT_RECENT; i++)
		if (hinted(h->recent[i], end, addr, obj))
			return true;
	for (unsigned k = 0; p && k < LOOK_AHEAD; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : NULL;
		if (hinted(p, end, addr, obj))
			return true;
	}
	return false;
}

/* Resolve addr; *literal tells whether it was found in the literal areas. */
static bool resolve(const struct bd_term_ctx *c, uint64_t addr, struct bd_obj *obj, bool *literal)
{
	const char *end = c->d->in.data + c->d->in.size;
	struct bd_resolve_hint *h = c->hint;
	bool found;

	*literal = false;
	if (h && (hinted(h->next[0], end, addr, obj) || hinted(h->last[0], end, addr, obj))) {
		found = true;
	} else if (h && (hinted(h->next[1], end, addr, obj) || hinted(h->last[1], end, addr, obj))) {
		found = *literal = true;
	} else if (h && near_hint(h, end, addr, obj)) {
		found = true;
	} else if (c->heap && c->heap->deferred) {
		/* literals first: the heap's table is not built until it must be */
		found = *literal = bd_heap_get(c->literals, c->d, addr, obj);
		if (!found) {
			size_t i = c->heap->deferred - 1;
			c->heap->deferred = 0;
			c->heap->failed = bd_heap_add_section(c->heap, c->d, i, NULL) != BD_OK;
			found = bd_heap_get(c->heap, c->d, addr, obj);
		}
	} else {
		found = bd_heap_get(c->heap, c->d, addr, obj);
		if (!found)
			found = *literal = bd_heap_get(c->literals, c->d, addr, obj);
	}
	if (found && h) {
		const char *after = obj->text.ptr + obj->text.len;
		/* most objects end their line */
		const char *nl = after < end && *after == '\n' ? after
				 : memchr(after, '\n', (size_t)(end - after));
		if (!*literal && h->next[0])
			h->recent[h->n_recent++ % BD_HINT_RECENT] = h->next[0];
		h->last[*literal] = line_start(c->d, obj->text.ptr);
		h->next[*literal] = nl ? nl + 1 : NULL;
	}
	return found;
}

bool bd_term_resolve(const struct bd_term_ctx *c, uint64_t addr, struct bd_obj *obj)
{
	bool literal;

	return resolve(c, addr, obj, &literal);
}

/* --------------------------------------------------------------- sizes */

#define PROC_BIN_WORDS 6
#define EXTERNAL_PID_WORDS 4

/* Bit length of a decimal bignum ("B-000123"), exactly. */
static uint64_t big_bits(struct bd_slice text)
{
	uint32_t limbs[512];
	size_t n = 0;
	size_t i = 1;

	if (i < text.len && text.ptr[i] == '-')
		i++;
	for (; i < text.len; i++) {
		unsigned dgt = (unsigned)(text.ptr[i] - '0');
		uint64_t carry = dgt;
		if (dgt > 9)
			break;
		for (size_t k = 0; k < n; k++) {
			uint64_t t = (uint64_t)limbs[k] * 10 + carry;
			limbs[k] = (uint32_t)t;
			carry = t >> 32;
		}
		if (carry) {
			if (n == BD_ARRAY_SIZE(limbs))
				return (uint64_t)text.len * 4; /* beyond 16 kbit: an upper bound */
			limbs[n++] = (uint32_t)carry;
		}
	}
	if (!n)
		return 0;
	uint64_t bits = (uint64_t)(n - 1) * 32;
	for (uint32_t top = limbs[n - 1]; top; top >>= 1)
		bits++;
	return bits;
}

struct etf_kind_ctx {
	enum bd_etf_kind kind;
	uint64_t n_free;
	uint64_t n_ids;
	bool seen;
	bool remote;            /* a ref of another node */
	struct bd_slice local;  /* this node's name, unquoted */
};

static int first_event(void *ctx, const struct bd_etf_event *ev)
{
	struct etf_kind_ctx *k = ctx;

	if (k->seen)
		return 0;
	k->seen = true;
	k->kind = ev->kind;
	if (ev->kind == BD_ETF_FUN)
		k->n_free = ev->fun.n_free;
	if (ev->kind == BD_ETF_REF) {
		k->n_ids = ev->ref.n_ids;
		k->remote = !(ev->ref.node.len == k->local.len &&
			      memcmp(ev->ref.node.ptr, k->local.ptr, k->local.len) == 0);
	}
	return 0;
}

/* The erts major version (13 for "13.1.5"), 0 if unknown. */
static unsigned erts_major(const struct bd_dump *d)
{
	return (unsigned)strtoul(d->info.erts_version, NULL, 10);
}

/* This node's name without quotes ("nonode@nohost" when not distributed). */
static struct bd_slice local_node(const struct bd_dump *d)
{
	struct bd_slice n = bd_slice_make(d->info.node, strlen(d->info.node));

	if (n.len >= 2 && n.ptr[0] == '\'' && n.ptr[n.len - 1] == '\'')
		n = bd_slice_make(n.ptr + 1, n.len - 2);
	return n.len ? n : BD_SLICE_LIT("nonode@nohost");
}

/* Words of an E object: refs, funs and export funs (format doc 3.4). */
static uint64_t ext_term_words(const struct bd_term_ctx *c, const struct bd_obj *o)
{
	uint8_t buf[2048];
	size_t n = 0;
	struct bd_slice payload;
	const char *colon = memchr(o->text.ptr, ':', o->text.len);
	struct etf_kind_ctx k = { BD_ETF_NIL, 0, 0, false, false, local_node(c->d) };
	struct bd_etf_error e;
	int rc;

	if (!colon)
		return 0;
	payload = bd_slice_make(colon + 1, o->text.len - (size_t)(colon + 1 - o->text.ptr));
	if (c->d->info.version_major == 0 && c->d->info.version_minor < 5)
		rc = bd_hex_decode(payload.ptr, payload.len, buf, sizeof(buf), &n);
	else
		rc = bd_base64_decode(payload.ptr, payload.len, buf, sizeof(buf), &n);
	if (rc != 0)
		return 0;
	memset(&e, 0, sizeof(e));
	bd_etf_decode(buf, n, first_event, &k, &e);
	unsigned w = c->d->info.word_size;
	unsigned erts = erts_major(c->d);
	switch (k.kind) {
	case BD_ETF_REF:
		/* a remote ref is an external thing: header, next, node, then the ids */
		if (k.remote)
			return 3 + (k.n_ids * 4 + w - 1) / w;
		return 1 + (k.n_ids * 4 + w - 1) / w;
	case BD_ETF_FUN:
		return 5 + k.n_free;
	case BD_ETF_EXPORT:
		/* 5 measured on OTP 25 (erts 13); 2 before funs became fun things (OTP 23) */
		return erts >= 11 ? 5 : 2;
	case BD_ETF_PID:
	case BD_ETF_PORT:
		return EXTERNAL_PID_WORDS;
	default:
		return 0;
	}
}

/* Own words of an object, not counting its children. */
static uint64_t own_words(const struct bd_term_ctx *c, const struct bd_obj *o)
{
	unsigned w = c->d->info.word_size;
	struct bd_obj orig;

	switch (o->kind) {
	case BD_OBJ_CONS:
		return 2;
	case BD_OBJ_TUPLE:
		/* from OTP 25 (erts 13) the empty tuple is a shared constant: 0 words */
		if (!o->size && erts_major(c->d) >= 13)
			return 0;
		return o->size + 1;
	case BD_OBJ_FLOAT:
		return w == 8 ? 2 : 3;
	case BD_OBJ_BIG:
		return 1 + (big_bits(o->text) + 8 * w - 1) / (8 * w);
	case BD_OBJ_HEAP_BIN:
		return 2 + (o->size + w - 1) / w;
	case BD_OBJ_REFC_BIN:
		return PROC_BIN_WORDS;
	case BD_OBJ_SUB_BIN:
		/* copying a slice of a heap binary makes a heap binary */
		if (bd_term_resolve(c, o->ref, &orig) && orig.kind == BD_OBJ_HEAP_BIN)
			return 2 + (o->size + w - 1) / w;
		return PROC_BIN_WORDS;
	case BD_OBJ_FLATMAP:
		return o->size + 3;
	case BD_OBJ_HASHMAP:
		return o->n_elems + 2;
	case BD_OBJ_HASHNODE:
		return o->n_elems + 1;
	case BD_OBJ_EXT_PID:
	case BD_OBJ_EXT_PORT:
		return EXTERNAL_PID_WORDS;
	case BD_OBJ_EXT_TERM:
		return ext_term_words(c, o);
	case BD_OBJ_FUN_REF:
		return 3;
	case BD_OBJ_UNKNOWN:
		break;
	}
	return 0;
}

/* Memo: address -> flat size; IN_PROGRESS marks the current path. */
#define IN_PROGRESS UINT64_MAX

struct memo {
	uint64_t *addrs;
	uint64_t *vals;
	size_t cap;
	size_t n;
};

static uint64_t *memo_slot(struct memo *m, uint64_t addr, bool *fresh)
{
	if (2 * (m->n + 1) > m->cap) {
		/* most terms are small: start small, a table is made per term */
		struct memo g = { NULL, NULL, m->cap ? m->cap * 2 : 16, 0 };
		g.addrs = bd_calloc(g.cap, sizeof(*g.addrs));
		g.vals = bd_calloc(g.cap, sizeof(*g.vals));
		if (!g.addrs || !g.vals) {
			bd_free(g.addrs);
			bd_free(g.vals);
			return NULL;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->addrs[i])
				continue;
			bool f;
			uint64_t *v = memo_slot(&g, m->addrs[i], &f);
			*v = m->vals[i];
		}
		bd_free(m->addrs);
		bd_free(m->vals);
		*m = g;
	}
	size_t j = (size_t)mix(addr) & (m->cap - 1);
	while (m->addrs[j] && m->addrs[j] != addr)
		j = (j + 1) & (m->cap - 1);
	*fresh = !m->addrs[j];
	if (*fresh) {
		m->addrs[j] = addr;
		m->n++;
	}
	return &m->vals[j];
}

/* The value kept for addr, or NULL. */
static const uint64_t *memo_find(const struct memo *m, uint64_t addr)
{
	if (!m->cap)
		return NULL;
	size_t j = (size_t)mix(addr) & (m->cap - 1);
	while (m->addrs[j] && m->addrs[j] != addr)
		j = (j + 1) & (m->cap - 1);
	return m->addrs[j] ? &m->vals[j] : NULL;
}

/*
 * A refc binary's payload counts once, at the largest size any of its
 * handles gives, so the sum does not depend on which is reached first.
 */
static bool count_binary(struct memo *bins, const struct bd_obj *o, struct bd_term_size *out)
{
	bool fresh;
	uint64_t *counted = memo_slot(bins, o->ref ? o->ref : 1, &fresh);

	if (!counted)
		return false;
	if (o->size > *counted) {
		out->binary_bytes += o->size - *counted;
		*counted = o->size;
	}
	return true;
}

/*
 * Which dump lines a walk has seen: one bit per 8 bytes of dump text (a
 * heap line is longer than that), in 512 KiB chunks made on demand.
 */
#define SEEN_CHUNK_SHIFT 19
#define SEEN_SMALL 32

/* Small terms (most messages) are tracked in a short list before any bitmap. */
struct seen {
	uint64_t small[SEEN_SMALL];
	size_t n_small;
	uint64_t **chunks;
	size_t n_chunks;
	size_t dump_size;
};

static int seen_mark_bit(struct seen *s, uint64_t off)
{
	size_t chunk = (size_t)(off >> SEEN_CHUNK_SHIFT);
	size_t bit = (size_t)(off & ((1u << SEEN_CHUNK_SHIFT) - 1)) >> 3;
	uint64_t *words;
	int was;

	if (!s->chunks) {
		s->n_chunks = (size_t)(s->dump_size >> SEEN_CHUNK_SHIFT) + 1;
		s->chunks = bd_calloc(s->n_chunks, sizeof(*s->chunks));
		if (!s->chunks)
			return -1;
	}
	if (chunk >= s->n_chunks)
		return -1;
	words = s->chunks[chunk];
	if (!words) {
		words = bd_calloc((1u << SEEN_CHUNK_SHIFT) / 8 / 64, sizeof(*words));
		if (!words)
			return -1;
		s->chunks[chunk] = words;
	}
	was = (int)((words[bit / 64] >> (bit % 64)) & 1);
	words[bit / 64] |= UINT64_C(1) << (bit % 64);
	return was;
}

/* Mark the line at off; returns whether it was marked before, -1 on OOM. */
static int seen_mark(struct seen *s, uint64_t off)
{
	if (s->n_small < SEEN_SMALL) {
		for (size_t i = 0; i < s->n_small; i++)
			if (s->small[i] == off)
				return 1;
		s->small[s->n_small++] = off;
		return 0;
	}
	if (!s->chunks) {
		/* the list is full: move it into the bitmap */
		for (size_t i = 0; i < SEEN_SMALL; i++)
			if (seen_mark_bit(s, s->small[i]) < 0)
				return -1;
	}
	return seen_mark_bit(s, off);
}

/* Whether the line at off is marked, without marking it. */
static bool seen_has(const struct seen *s, uint64_t off)
{
	size_t chunk = (size_t)(off >> SEEN_CHUNK_SHIFT);
	size_t bit = (size_t)(off & ((1u << SEEN_CHUNK_SHIFT) - 1)) >> 3;

	if (!s->chunks) {
		for (size_t i = 0; i < s->n_small; i++)
			if (s->small[i] == off)
				return true;
		return false;
	}
	return chunk < s->n_chunks && s->chunks[chunk] &&
	       ((s->chunks[chunk][bit / 64] >> (bit % 64)) & 1);
}

static void seen_init(struct seen *s, const struct bd_dump *d)
{
	s->n_small = 0;
	s->chunks = NULL;
	s->n_chunks = 0;
	s->dump_size = d->in.size;
}

static void seen_release(struct seen *s)
{
	for (size_t i = 0; s->chunks && i < s->n_chunks; i++)
		bd_free(s->chunks[i]);
	bd_free(s->chunks);
}

/*
 * A walk entry: an object to visit, or (end != NOT_END) the end of a shared
 * object's subterm, whose flat size is then the words counted since `end`.
 */
#define NOT_END UINT64_MAX

struct ordered_entry {
	uint64_t addr;
	uint64_t end;
};

struct ordered_walk {
	const struct bd_term_ctx *c;
	struct bd_term_ctx plain;      /* lookups on the side must not move the hint */
	struct memo *bins;
	struct bd_term_size *out;
	struct seen seen;              /* objects reached (first pass) */
	struct seen shared;            /* objects reached more than once */
	bool any_shared;
	struct memo flat;              /* second pass: flat size of each shared object */
	struct ordered_entry *stack;
	size_t depth, cap;
};

static bool walk_push(struct ordered_walk *w, uint64_t addr, uint64_t end)
{
	if (!bd_grow((void **)&w->stack, &w->cap, w->depth + 1, sizeof(*w->stack)))
		return false;
	w->stack[w->depth++] = (struct ordered_entry){ addr, end };
	return true;
}

/*
 * Push the heap children of o so that they pop in the order the dump wrote
 * them (erts' heap_dump): a list cell's head before its tail; a tuple's
 * elements last to first; a flatmap's keys, then its values last to first;
 * a hash node's first child, then the others last to first. Every lookup
 * is then the line after the previous one, read in sequence.
 */
static bool push_children(struct ordered_walk *w, const struct bd_obj *o)
{
	const char *p = o->elems_text.ptr;
	const char *end = p + o->elems_text.len;
	char sep = o->kind == BD_OBJ_CONS ? '|' : ',';
	size_t base = w->depth;
	bool first_is_ptr = false;

	for (uint64_t k = 0; k < o->n_elems && p < end; k++) {
		struct bd_elem e;
		size_t len = bd_elem_parse(p, end, &e);
		if (!len) {
			w->out->n_missing++;
			break;
		}
		p += len;
		if (p < end && *p == sep)
			p++;
		if (e.kind != BD_ELEM_PTR)
			continue;
		if (k == 0)
			first_is_ptr = true;
		if (!walk_push(w, e.addr, NOT_END))
			return false;
	}
	if (o->kind == BD_OBJ_FLATMAP && o->keys.kind == BD_ELEM_PTR)
		return walk_push(w, o->keys.addr, NOT_END);
	bool first_on_top = o->kind == BD_OBJ_CONS || o->kind == BD_OBJ_HASHMAP ||
			    o->kind == BD_OBJ_HASHNODE;
	if (first_on_top && first_is_ptr && w->depth - base > 1) {
		struct ordered_entry f = w->stack[base];
		memmove(&w->stack[base], &w->stack[base + 1],
			(w->depth - base - 1) * sizeof(*w->stack));
		w->stack[w->depth - 1] = f;
	}
	return true;
}

/*
 * One walk of the term in the dump's order. The first pass counts every
 * object once (shared, literal and binary sizes, and the flat size if
 * nothing is shared) and notes the objects reached twice without walking
 * them again. The second, only when something is shared, adds up flat
 * sizes, keeping by address the flat size of the shared objects alone.
 */
static bool walk_ordered(struct ordered_walk *w, const struct bd_elem *root, bool second,
			 uint64_t *flat_out, struct bd_error *err)
{
	struct bd_term_size *out = w->out;
	uint64_t flat = 0;

	w->depth = 0;
	if (!walk_push(w, root->addr, NOT_END))
		goto oom;
	while (w->depth) {
		struct ordered_entry e = w->stack[--w->depth];
		struct bd_obj o;
		bool literal;
		if (e.end != NOT_END) {
			bool fresh;
			uint64_t *v = memo_slot(&w->flat, e.addr, &fresh);
			if (!v)
				goto oom;
			*v = flat - e.end;
			continue;
		}
		if (second) {
			/* shared objects and missing addresses are kept by address */
			const uint64_t *v = memo_find(&w->flat, e.addr);
			if (v && *v == IN_PROGRESS) {
				out->n_missing++; /* a cycle, in a corrupt dump */
				continue;
			}
			if (v) {
				flat += *v;
				continue;
			}
		}
		if (!resolve(w->c, e.addr, &o, &literal)) {
			bool fresh;
			out->n_missing++;
			if (second && !memo_slot(&w->flat, e.addr, &fresh))
				goto oom;
			continue;
		}
		uint64_t off = (uint64_t)(o.text.ptr - w->c->d->in.data);
		if (second) {
			if (seen_has(&w->shared, off)) {
				bool fresh;
				uint64_t *v = memo_slot(&w->flat, e.addr, &fresh);
				if (!v || !walk_push(w, e.addr, flat))
					goto oom;
				*v = IN_PROGRESS;
			}
			flat += own_words(&w->plain, &o);
		} else {
			int was = seen_mark(&w->seen, off);
			if (was < 0 || (was && seen_mark(&w->shared, off) < 0))
				goto oom;
			if (was) {
				w->any_shared = true;
				continue;
			}
			uint64_t own = own_words(&w->plain, &o);
			flat += own;
			out->shared_words += own;
			if (literal)
				out->literal_words += own;
			if (o.kind == BD_OBJ_REFC_BIN) {
				if (!count_binary(w->bins, &o, out))
					goto oom;
			}
		}
		if (!push_children(w, &o))
			goto oom;
	}
	*flat_out = flat;
	return true;
oom:
	bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory sizing a term");
	return false;
}

enum bd_status bd_term_size(const struct bd_term_ctx *c, const struct bd_elem *root,
			    struct bd_term_size *out, struct bd_error *err)
{
	struct memo bins = { NULL, NULL, 0, 0 };
	struct bd_resolve_hint start;
	struct ordered_walk w;
	enum bd_status rc = BD_OK;

	memset(out, 0, sizeof(*out));
	if (c->hint)
		start = *c->hint;
	else
		memset(&start, 0, sizeof(start));
	if (root->kind != BD_ELEM_PTR)
		return BD_OK; /* immediates take no heap words */
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.plain = *c;
	w.plain.hint = NULL;
	w.bins = &bins;
	w.out = out;
	seen_init(&w.seen, c->d);
	seen_init(&w.shared, c->d);
	if (!walk_ordered(&w, root, false, &out->flat_words, err)) {
		rc = BD_ENOMEM;
	} else if (w.any_shared) {
		/* missing pointers are then counted once per address, cycles once per visit */
		out->n_missing = 0;
		if (c->hint)
			*c->hint = start;
		if (!walk_ordered(&w, root, true, &out->flat_words, err))
			rc = BD_ENOMEM;
	}
	seen_release(&w.seen);
	seen_release(&w.shared);
	bd_free(w.stack);
	bd_free(w.flat.addrs);
	bd_free(w.flat.vals);
	bd_free(bins.addrs);
	bd_free(bins.vals);
	return rc;
}

/* ------------------------------------------------------------ literals */

static void literals_free(void *p)
{
	struct bd_heap *h = p;
	bd_heap_release(h);
	bd_free(h);
}

/*
 * Literal areas are shared by every process, so they are indexed once per
 * dump. Before dump version 0.5 there is no =literals section and a heap
 * pointer may lead into another process's =proc_heap (format doc 11.6), so
 * then every heap section is indexed.
 */
const struct bd_heap *bd_dump_literals(struct bd_dump *d)
{
	enum bd_sect kind = BD_SECT_LITERALS;
	struct bd_heap *h;

	if (d->literals)
		return d->literals;
	if (!d->index.count[BD_SECT_LITERALS]) {
		bool old = d->info.version_major == 0 && d->info.version_minor < 5;
		if (!old)
			return NULL;
		kind = BD_SECT_PROC_HEAP;
	}
	h = bd_calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	for (size_t i = bd_section_find(d, kind, 0); i < d->index.n;
	     i = bd_section_find(d, kind, i + 1)) {
		if (bd_heap_add_section(h, d, i, NULL) != BD_OK)
			break; /* out of memory: what is indexed still resolves */
	}
	d->literals = h;
	d->literals_free = literals_free;
	return h;
}
