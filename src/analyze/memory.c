/*
 * `memory`: who holds the node's memory.
 *
 *  - Reconciliation: each =memory category against what the dump lets us
 *    attribute (process Memory: lines, ETS words, distinct refc binaries,
 *    atom_used, loaded code, allocator blocks); the rest is shown as
 *    unattributed, never spread to make 100 %.
 *  - Retained size per process, roughly what killing it would free:
 *    exclusive = its Memory: (heap, stack, old heap, mailbox, as
 *    process_info(P, memory)) + the refc binaries no other process
 *    references + the ETS tables it owns; shared = the refc binaries it
 *    references together with others (each at its full size).
 *    Estimates: the dump does not record ETS heirs (an owned table counts
 *    as retained although an heir would inherit it), nor binaries held by
 *    ETS tables or ports, nor originals reachable only through slices.
 *  - Roll-up: application -> supervisor -> group of siblings -> process,
 *    from the process tree (analyze/tree.h).
 *  - For "Cannot allocate N bytes" slogans: the allocator, what it held,
 *    and whether the process that asked held the memory or only asked last.
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "analyze/tree.h"
#include "term/print.h"

#include <stdio.h>
#include <stdlib.h>

#define MIB ((uint64_t)1 << 20)
#define DEFAULT_TOP 10
#define DEFAULT_DEPTH 3
#define ALLOC_MAX_TYPES 64
/* Messages sized per mailbox; longer queues are extrapolated from these. */
#define MAILBOX_SAMPLE 1000
/* Heaps larger than this are not indexed to size their messages (estimated as 0). */
#define MAILBOX_HEAP_MAX (16 * MIB)

/* Findings (man page, memory). */
#define APP_SHARE 0.50            /* one application holds half of the node ... */
#define APP_MIN (64 * MIB)        /* ... and this much */
#define UNATTRIBUTED_SHARE 0.25   /* a quarter of the node not attributed ... */
#define UNATTRIBUTED_MIN (256 * MIB)
#define RETAIN_RATIO 10           /* retains 10x its own Memory: ... */
#define RETAIN_MIN (64 * MIB)     /* ... with this much in binaries only it references */
#define GROUP_SHARE 0.50          /* one group is half of all processes ... */
#define GROUP_MIN 10000           /* ... and this many */
/* OOM: the asker is the culprit when it held or asked this share of the node. */
#define CULPRIT_SHARE 0.25

struct held {
	uint64_t memory;      /* Memory: */
	uint64_t mailbox;     /* part of memory: the queued messages */
	uint64_t bin_excl;
	uint64_t bin_shared;
	uint64_t ets;
	bool mailbox_estimated;
	bool bin_estimated;       /* bin_excl includes binaries seen only in BinVHeap */
	bool hidden_originals;    /* a slice whose original binary the dump does not hold */
};

static uint64_t retained(const struct held *h)
{
	return h->memory + h->bin_excl + h->ets;
}

#define NO_EXTRA UINT32_MAX

struct memory_ctx {
	struct bd_dump *d;
	struct bd_proc_tree *t;
	/*
	 * What a place holds beyond its Memory: (queued messages, binaries,
	 * tables) is kept only for the few places that hold any, so that a
	 * node of a million processes costs 4 bytes a process here.
	 */
	uint32_t *extra_of;       /* one per place: index into extras, or NO_EXTRA */
	struct held *extras;
	size_t n_extras, cap_extras;
	struct held spare;        /* written to when extras cannot grow (c->oom) */
	bool oom;
	uint64_t *group_retained; /* one per group */
	uint64_t bin_distinct;    /* bytes of distinct refc binaries referenced by processes */
	uint64_t ets_total;
	uint64_t proc_total;
};

/* What place i holds, its Memory: included. */
static struct held held_at(const struct memory_ctx *c, uint32_t i)
{
	struct held h;

	if (c->extra_of[i] != NO_EXTRA)
		return c->extras[c->extra_of[i]];
	memset(&h, 0, sizeof(h));
	h.memory = c->t->procs[i].memory_bytes;
	return h;
}

static uint64_t retained_of(const struct memory_ctx *c, uint32_t i)
{
	if (c->extra_of[i] == NO_EXTRA)
		return c->t->procs[i].memory_bytes;
	return retained(&c->extras[c->extra_of[i]]);
}

/* Place i's entry, made on first use; valid until the next call. */
static struct held *held_touch(struct memory_ctx *c, uint32_t i)
{
	if (c->extra_of[i] == NO_EXTRA) {
		if (c->n_extras >= NO_EXTRA ||
		    !bd_grow((void **)&c->extras, &c->cap_extras, c->n_extras + 1, sizeof(*c->extras))) {
			c->oom = true;
			memset(&c->spare, 0, sizeof(c->spare));
			return &c->spare;
		}
		c->extras[c->n_extras] = held_at(c, i);
		c->extra_of[i] = (uint32_t)c->n_extras++;
	}
	return &c->extras[c->extra_of[i]];
}

/* ------------------------------------------------------------ binaries */

/* A reference to a refc binary that is not in the dump's =binary sections. */
struct bin_ref {
	uint64_t addr;
	uint64_t size;
	uint32_t place;
};

/* A reference to the binary at bi->v[bin]. */
struct bin_hold {
	uint32_t bin;
	uint32_t place;
	uint64_t size;
};

/*
 * What the processes' heaps reference, in place order: references to the
 * dump's binaries are summed per binary; the rare others are sorted.
 */
struct refs {
	struct bin_hold *held;
	size_t n_held, cap_held;
	struct bin_ref *other;
	size_t n_other, cap_other;
};

static int bin_ref_cmp(const void *a, const void *b)
{
	const struct bin_ref *x = a;
	const struct bin_ref *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->place < y->place ? -1 : x->place > y->place;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Each binary line ("ADDR:Y...") of a heap body, to fn. Binary lines are
 * few: jump from one ":Y" to the next, not line by line; by its 'Y', which
 * only tags and atoms hold, where every line has a ':'.
 */
static bool each_binary_line(struct bd_slice body,
			     bool (*fn)(void *ctx, uint64_t addr, const struct bd_obj *o), void *ctx)
{
	const char *p = body.ptr, *end = body.ptr + body.len;

	while (p < end) {
		const char *y = memchr(p, 'Y', (size_t)(end - p));
		const char *ls, *e, *nl;
		uint64_t addr;
		size_t k;
		struct bd_obj o;

		if (!y)
			break;
		if (y == body.ptr || y[-1] != ':') {
			p = y + 1;
			continue;
		}
		y--;
		for (ls = y; ls > body.ptr && ls[-1] != '\n'; ls--)
			;
		nl = memchr(y, '\n', (size_t)(end - y));
		e = nl ? nl : end;
		p = e;
		k = bd_hex_prefix(ls, e, &addr);
		if (k && ls + k == y && y + 3 < e && bd_obj_parse(y + 1, e, &o) && !fn(ctx, addr, &o))
			return false;
	}
	return true;
}

struct heap_refs {
	struct bd_dump *d;
	const struct bd_bin_index *bi;
	uint32_t place;
	struct refs *r;
	struct bd_buf *targets;   /* the slices' originals */
	struct bd_buf *lines;     /* every other binary line */
};

/* A Yc (ProcBin) is a refc binary the process references; a Ys, a slice of one. */
static bool add_ref(void *ctx, uint64_t addr, const struct bd_obj *o)
{
	struct heap_refs *h = ctx;
	struct refs *r = h->r;
	struct bd_slice payload;
	uint64_t full, size = o->size;
	size_t at;

	(void)addr;
	if (o->kind == BD_OBJ_SUB_BIN) {
		bd_buf_add(h->targets, &o->ref, sizeof(o->ref));
		return !h->targets->oom;
	}
	if (o->kind != BD_OBJ_REFC_BIN)
		return true;
	at = bd_bin_index_find(h->bi, o->ref);
	/* from OTP 27 a Yc may view part of its binary: count the binary */
	if (bd_bin_index_read(h->bi, h->d, at, &payload, &full) && full > size)
		size = full;
	if (at != SIZE_MAX && at < UINT32_MAX) {
		if (!bd_grow((void **)&r->held, &r->cap_held, r->n_held + 1, sizeof(*r->held)))
			return false;
		r->held[r->n_held++] = (struct bin_hold){ (uint32_t)at, h->place, size };
	} else {
		if (!bd_grow((void **)&r->other, &r->cap_other, r->n_other + 1, sizeof(*r->other)))
			return false;
		r->other[r->n_other++] = (struct bin_ref){ o->ref, size, h->place };
	}
	return true;
}

static bool add_line(void *ctx, uint64_t addr, const struct bd_obj *o)
{
	struct heap_refs *h = ctx;

	if (o->kind != BD_OBJ_SUB_BIN)
		bd_buf_add(h->lines, &addr, sizeof(addr));
	return !h->lines->oom;
}

/*
 * The refc binaries one heap section references, into r. *hidden tells
 * whether some slice (Ys) points to no binary line of the heap: its
 * original is then not in the dump. The heap's other binary lines are
 * listed only then, in a second pass: most heaps hold no slice.
 */
static bool collect_refs(struct bd_dump *d, const struct bd_bin_index *bi, size_t heap,
			 uint32_t place, struct refs *r, struct bd_buf *lines, struct bd_buf *targets,
			 bool *hidden)
{
	struct bd_section s;
	struct heap_refs h = { d, bi, place, r, targets, lines };

	bd_section_get(d, heap, &s);
	bd_buf_reset(lines);
	bd_buf_reset(targets);
	*hidden = false;
	if (!each_binary_line(s.body, add_ref, &h))
		return false;
	if (!targets->len)
		return true;
	if (!each_binary_line(s.body, add_line, &h))
		return false;
	uint64_t *l = (uint64_t *)(void *)lines->ptr;
	size_t nl = lines->len / sizeof(uint64_t);
	bd_sort(l, nl, sizeof(*l), u64_cmp);
	for (size_t i = 0; i < targets->len / sizeof(uint64_t) && !*hidden; i++) {
		uint64_t t;
		memcpy(&t, targets->ptr + i * sizeof(t), sizeof(t));
		/* OTP 27 may tag the target's low bits */
		*hidden = !bsearch(&t, l, nl, sizeof(*l), u64_cmp) &&
			  !bsearch(&(uint64_t){ t & ~(uint64_t)7 }, l, nl, sizeof(*l), u64_cmp);
	}
	return true;
}

/* A binary's bytes go to its one holder as exclusive, or to each of several as shared. */
static void credit(struct memory_ctx *c, uint32_t place, uint64_t size, bool alone)
{
	if (alone)
		held_touch(c, place)->bin_excl += size;
	else
		held_touch(c, place)->bin_shared += size;
}

/*
 * References to the dump's binaries, summed per binary in two passes over
 * them (references come in place order, so a holder is counted once): no
 * sort of a million references, and 16 bytes a binary.
 */
static bool share_held(struct memory_ctx *c, size_t n_bins, const struct refs *r)
{
	struct bin_total {
		uint32_t holders;
		uint32_t last;            /* the last place seen; UINT32_MAX: none */
		uint64_t size;
	} *t;

	if (!r->n_held)
		return true;
	if (!(t = bd_realloc_array(NULL, n_bins, sizeof(*t))))
		return false;
	for (size_t b = 0; b < n_bins; b++)
		t[b] = (struct bin_total){ 0, UINT32_MAX, 0 };
	for (size_t i = 0; i < r->n_held; i++) {
		struct bin_total *bt = &t[r->held[i].bin];
		if (bt->last != r->held[i].place) {
			bt->holders++;
			bt->last = r->held[i].place;
		}
		if (r->held[i].size > bt->size)
			bt->size = r->held[i].size;
	}
	for (size_t b = 0; b < n_bins; b++) {
		c->bin_distinct += t[b].size;
		t[b].last = UINT32_MAX;
	}
	for (size_t i = 0; i < r->n_held; i++) {
		struct bin_total *bt = &t[r->held[i].bin];
		if (bt->last == r->held[i].place)
			continue;
		bt->last = r->held[i].place;
		credit(c, r->held[i].place, bt->size, bt->holders == 1);
	}
	bd_free(t);
	return true;
}

/* References to binaries the dump does not hold: sorted by address, then place. */
static void share_other(struct memory_ctx *c, struct bin_ref *v, size_t n)
{
	bd_sort(v, n, sizeof(*v), bin_ref_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i, holders = 0;
		uint64_t size = 0;
		for (; j < n && v[j].addr == v[i].addr; j++) {
			if (j == i || v[j].place != v[j - 1].place)
				holders++;
			if (v[j].size > size)
				size = v[j].size;
		}
		c->bin_distinct += size;
		for (size_t k = i; k < j; k++)
			if (k == i || v[k].place != v[k - 1].place)
				credit(c, v[k].place, size, holders == 1);
		i = j;
	}
}

/*
 * Every process's refc binaries, and how many processes reference each:
 * a binary one process alone references is exclusive to it, else shared.
 */
static enum bd_status share_binaries(struct memory_ctx *c, struct bd_error *err)
{
	const struct bd_bin_index *bi = bd_dump_binaries(c->d);
	struct refs r;
	struct bd_buf lines = BD_BUF_INIT, targets = BD_BUF_INIT;
	bool has_vheap = false;
	enum bd_status rc = BD_OK;

	if (!bi)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory indexing binaries");
	memset(&r, 0, sizeof(r));
	/* most binaries have one holder: room for that many references, grown if not */
	if (bi->n && !bd_grow((void **)&r.held, &r.cap_held, bi->n, sizeof(*r.held)))
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory reading binaries");
	if (c->t->n) {
		/* BinVHeap: is written from OTP 21 on; before, every heap is read */
		struct bd_section first;
		bd_section_get(c->d, c->t->procs[0].section, &first);
		has_vheap = bd_memmem(first.body.ptr, first.body.len, "\nBinVHeap: ", 11) != NULL;
	}
	for (size_t i = 0; i < c->t->n; i++) {
		struct bd_proc_sections s;
		/* a heap with no refc binary (BinVHeap 0, OldBinVHeap 0) is not read */
		if (has_vheap && !c->t->procs[i].holds_binaries && !c->t->procs[i].queued)
			continue;
		if (!bd_dump_proc_sections_at(c->d, c->t->procs[i].section, &s) ||
		    s.heap == BD_NO_SECTION)
			continue;
		bool hidden = false;
		if (!collect_refs(c->d, bi, s.heap, (uint32_t)i, &r, &lines, &targets, &hidden)) {
			rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory reading binaries");
			goto out;
		}
		if (hidden)
			held_touch(c, (uint32_t)i)->hidden_originals = true;
	}
	if (!share_held(c, bi->n, &r)) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory summing binaries");
		goto out;
	}
	share_other(c, r.other, r.n_other);
out:
	bd_free(r.held);
	bd_free(r.other);
	bd_buf_release(&lines);
	bd_buf_release(&targets);
	return rc;
}

/* ------------------------------------------------- mailboxes and ETS */

/* Words of the queued messages (flat, as they were sent), sampled on long queues. */
static void size_mailbox(struct memory_ctx *c, uint32_t place)
{
	struct held *h = held_touch(c, place);
	struct bd_process p;
	struct bd_elem msg;
	struct bd_slice rest;
	uint64_t words = 0, seen = 0;
	unsigned ws = c->d->info.word_size;

	if (bd_process_open_at(&p, c->d, c->t->procs[place].section, NULL) != BD_OK)
		return;
	if (p.sect.heap != BD_NO_SECTION) {
		struct bd_section hs;
		bd_section_get(c->d, p.sect.heap, &hs);
		if (hs.body.len > MAILBOX_HEAP_MAX) {
			/* indexing a heap this large costs more than the split is worth */
			h->mailbox_estimated = true;
			bd_process_close(&p);
			return;
		}
	}
	rest = bd_process_messages(&p);
	while (seen < MAILBOX_SAMPLE && bd_next_message(&rest, &msg, NULL)) {
		struct bd_term_size sz;
		seen++;
		if (bd_term_size(&p.ctx, &msg, &sz, NULL) == BD_OK)
			words += sz.flat_words;
	}
	if (seen && p.proc.message_queue_len > seen) {
		words = words / seen * p.proc.message_queue_len;
		h->mailbox_estimated = true;
	}
	h->mailbox = words * ws < h->memory ? words * ws : h->memory;
	bd_process_close(&p);
}

/*
 * Mailboxes, and the binaries the heap scan could not see: BinVHeap and
 * OldBinVHeap count every refc binary a process's heap references, also
 * those reachable only through slices, whose ProcBin the dump does not
 * print. When such slices exist, what they count beyond the binaries found
 * is taken as the process's alone (an estimate; leaks lists the slices).
 * Without them the difference is garbage not yet collected, not retained.
 */
static void read_mailboxes_and_vheaps(struct memory_ctx *c)
{
	unsigned ws = c->d->info.word_size;

	for (size_t i = 0; i < c->t->n; i++) {
		struct held *h;
		struct bd_section s;
		struct bd_proc p;
		bool hidden = c->extra_of[i] != NO_EXTRA && c->extras[c->extra_of[i]].hidden_originals;
		if (!c->t->procs[i].queued && !hidden)
			continue;
		bd_section_get(c->d, c->t->procs[i].section, &s);
		bd_parse_proc_fields(&s, BD_PF_BIT(BD_PF_BIN_VHEAP) | BD_PF_BIT(BD_PF_OLD_BIN_VHEAP), &p);
		if (c->t->procs[i].queued)
			size_mailbox(c, (uint32_t)i);
		h = held_touch(c, (uint32_t)i);
		if (h->hidden_originals && p.has_bin_vheap) {
			uint64_t vheap = (p.bin_vheap_words + p.old_bin_vheap_words) * ws;
			if (vheap > h->bin_excl + h->bin_shared) {
				uint64_t unseen = vheap - h->bin_excl - h->bin_shared;
				h->bin_excl += unseen;
				h->bin_estimated = true;
				c->bin_distinct += unseen;
			}
		}
	}
}

static void read_ets(struct memory_ctx *c)
{
	for (size_t i = bd_section_find(c->d, BD_SECT_ETS, 0); i < c->d->index.n;
	     i = bd_section_find(c->d, BD_SECT_ETS, i + 1)) {
		struct bd_section s;
		struct bd_ets e;
		uint32_t owner;
		uint64_t bytes;
		bd_section_get(c->d, i, &s);
		bd_parse_ets(&s, &e);
		bytes = e.words == BD_UNSET ? 0 : e.words * c->d->info.word_size;
		c->ets_total += bytes;
		owner = bd_proc_tree_find(c->t, c->d, e.owner);
		if (owner != BD_NO_PLACE)
			held_touch(c, owner)->ets += bytes;
	}
}

/* ------------------------------------------------------ reconciliation */

static uint64_t loaded_code_bytes(struct bd_dump *d)
{
	struct bd_slice rest, line, k, v;
	uint64_t cur = 0, old = 0;

	if (!bd_section_body(d, BD_SECT_LOADED_MODULES, &rest))
		return BD_UNSET;
	while (bd_slice_next_line(&rest, &line)) {
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		if (bd_slice_eq(k, "Current code"))
			bd_parse_u64(bd_slice_trim(v), &cur);
		else if (bd_slice_eq(k, "Old code"))
			bd_parse_u64(bd_slice_trim(v), &old);
	}
	return cur + old;
}

/* Allocator carriers and the blocks in them, over all types. */
static void allocator_totals(struct bd_dump *d, struct bd_alloc_type *types, size_t *n_types,
			     uint64_t *carriers, uint64_t *blocks)
{
	size_t n = 0;

	for (size_t i = bd_section_find(d, BD_SECT_ALLOCATOR, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_ALLOCATOR, i + 1)) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		n = bd_parse_allocator(&s, types, n, ALLOC_MAX_TYPES);
	}
	*carriers = *blocks = 0;
	for (size_t i = 0; i < n; i++) {
		*carriers += types[i].mbcs_carriers + types[i].sbcs_carriers;
		*blocks += types[i].mbcs_blocks + types[i].sbcs_blocks;
	}
	*n_types = n;
}

static void recon_row(struct rm_builder *b, struct rm_node *arr, const char *category,
		      uint64_t total, uint64_t attributed, const char *attributed_to)
{
	struct rm_node *o = bd_rm_obj(b, arr, NULL);

	bd_rm_str(b, o, "category", category);
	if (total == BD_UNSET) {
		bd_rm_label(bd_rm_null(b, o, "total_bytes"), "total");
		bd_rm_label(bd_rm_bytes(b, o, "attributed_bytes", attributed), "attributed");
		bd_rm_label(bd_rm_null(b, o, "unattributed_bytes"), "unattributed");
	} else {
		bd_rm_label(bd_rm_bytes(b, o, "total_bytes", total), "total");
		bd_rm_label(bd_rm_bytes(b, o, "attributed_bytes", attributed), "attributed");
		/* more attributed than the total is shown as such, not clipped */
		if (total >= attributed)
			bd_rm_label(bd_rm_bytes(b, o, "unattributed_bytes", total - attributed), "unattributed");
		else
			bd_rm_label(bd_rm_int(b, o, "unattributed_bytes", (int64_t)total - (int64_t)attributed),
				 "unattributed");
	}
	bd_rm_flags(bd_rm_label(bd_rm_str(b, o, "attributed_to", attributed_to), "attributed to"), RM_WIDE);
}

static uint64_t mem_or_unset(struct bd_dump *d, const char *key)
{
	uint64_t v = bd_memory_bytes(d, key);

	return v ? v : BD_UNSET;
}

static uint64_t add_reconciliation(struct memory_ctx *c, struct rm_builder *b, struct rm_node *root,
				   struct bd_alloc_type *types, size_t *n_types)
{
	struct bd_dump *d = c->d;
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, root, "reconciliation"), "Reconciliation");
	uint64_t atom_used = bd_memory_bytes(d, "atom_used");
	uint64_t code = loaded_code_bytes(d);
	uint64_t carriers, blocks;
	uint64_t total = mem_or_unset(d, "total");
	uint64_t attributed;

	allocator_totals(d, types, n_types, &carriers, &blocks);
	attributed = c->proc_total + c->ets_total + c->bin_distinct + atom_used +
		     (code == BD_UNSET ? 0 : code);
	recon_row(b, arr, "total", total, attributed,
		  "the rows below: processes, ETS, binaries, atoms, code");
	recon_row(b, arr, "processes", mem_or_unset(d, "processes"), c->proc_total,
		  "Memory: of every process");
	recon_row(b, arr, "ets", mem_or_unset(d, "ets"), c->ets_total, "Words: of every table");
	recon_row(b, arr, "binary", mem_or_unset(d, "binary"), c->bin_distinct,
		  "distinct refc binaries referenced by processes");
	recon_row(b, arr, "atom", mem_or_unset(d, "atom"), atom_used, "atom_used (the rest is table slack)");
	recon_row(b, arr, "code", mem_or_unset(d, "code"), code == BD_UNSET ? 0 : code,
		  "loaded modules, current and old code");
	{
		uint64_t system = mem_or_unset(d, "system");
		uint64_t known = bd_memory_bytes(d, "atom") + bd_memory_bytes(d, "binary") +
				 bd_memory_bytes(d, "code") + bd_memory_bytes(d, "ets");
		recon_row(b, arr, "system", system, known, "atom, binary, code and ets");
	}
	if (*n_types)
		recon_row(b, arr, "allocator_carriers", carriers, blocks,
			  "blocks in use (the rest is free space in carriers: fragmentation)");
	bd_rm_label(bd_rm_str(b, root, "unattributed_causes",
			"NIF and driver allocations, port buffers, binaries held by ETS tables or "
			"ports, caches in the runtime, and free space in allocator carriers"),
		 "unattributed is likely");
	return total;
}

/* ------------------------------------------------------------- roll-up */

static const char *app_name(struct rm_builder *b, const struct bd_proc_tree *t, uint32_t app)
{
	if (app == BD_NO_PLACE)
		return "(no application)";
	return bd_arena_strndup(b->arena, t->apps[app].ptr, t->apps[app].len);
}

static const char *sup_name(struct rm_builder *b, const struct bd_proc_tree *t, uint32_t sup)
{
	struct bd_slice l = bd_place_label(t, sup);

	if (!l.len)
		return "(no supervisor)";
	return bd_arena_strndup(b->arena, l.ptr, l.len);
}

static void rollup_row(struct rm_builder *b, struct rm_node *arr, unsigned level, const char *kind,
		       const char *name, uint64_t count, uint64_t bytes)
{
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	static const char pad[] = "        ";

	bd_rm_flags(bd_rm_uint(b, o, "level", level), RM_NOTEXT);
	bd_rm_str(b, o, "kind", kind);
	/* indented by level in text and Markdown; JSON consumers use level */
	bd_rm_flags(bd_rm_str(b, o, "name", bd_arena_printf(b->arena, "%.*s%s", (int)(2 * level), pad, name)),
		 RM_WIDE);
	bd_rm_uint(b, o, "count", count);
	bd_rm_label(bd_rm_bytes(b, o, "retained_bytes", bytes), "retained");
}

struct agg {
	uint32_t key;
	uint64_t count;
	uint64_t bytes;
	uint64_t tie;             /* equal bytes: lower first (a place's pid order, else key) */
};

static int agg_cmp(const void *a, const void *b)
{
	const struct agg *x = a;
	const struct agg *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->tie != y->tie)
		return x->tie < y->tie ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* What ranks equal rows of places by pid, not by where the dump wrote them. */
static uint64_t place_tie(const struct memory_ctx *c, uint32_t place)
{
	return place == BD_NO_PLACE ? UINT64_MAX : c->t->procs[place].pid_key;
}

/* Sum the groups that pass keep() by key() (places, or not); largest first. */
static size_t aggregate(struct memory_ctx *c, struct agg *out, uint32_t (*key)(const struct bd_proc_group *),
			bool places, bool (*keep)(const struct bd_proc_group *, uint32_t), uint32_t filter)
{
	size_t n = 0;

	for (size_t g = 0; g < c->t->n_groups; g++) {
		const struct bd_proc_group *gr = &c->t->groups[g];
		uint32_t k;
		size_t i;
		if (keep && !keep(gr, filter))
			continue;
		k = key(gr);
		for (i = 0; i < n && out[i].key != k; i++)
			;
		if (i == n)
			out[n++] = (struct agg){ k, 0, 0, places ? place_tie(c, k) : k };
		out[i].count += gr->count;
		out[i].bytes += c->group_retained[g];
	}
	bd_sort(out, n, sizeof(*out), agg_cmp);
	return n;
}

static uint32_t by_app(const struct bd_proc_group *g) { return g->app; }
static uint32_t by_sup(const struct bd_proc_group *g) { return g->supervisor; }
static bool in_app(const struct bd_proc_group *g, uint32_t app) { return g->app == app; }
static bool under_sup(const struct bd_proc_group *g, uint32_t sup) { return g->supervisor == sup; }

struct rollup {
	struct memory_ctx *c;
	struct rm_builder *b;
	struct rm_node *arr;
	struct agg *scratch;      /* one per group, per level */
	size_t top;
	unsigned depth;
	enum bd_memory_by by;
};

static int place_cmp_ctx_bytes(const struct memory_ctx *c, uint32_t a, uint32_t b)
{
	uint64_t x = retained_of(c, a), y = retained_of(c, b);

	if (x != y)
		return x > y ? -1 : 1;
	if (place_tie(c, a) != place_tie(c, b))
		return place_tie(c, a) < place_tie(c, b) ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Keep place i in best[0 .. *n), the `top` largest retained first: top is small, processes many. */
static void top_insert(const struct memory_ctx *c, uint32_t *best, size_t *n, size_t top,
		       uint32_t i)
{
	size_t at;

	if (!top || (*n == top && place_cmp_ctx_bytes(c, i, best[*n - 1]) > 0))
		return;
	at = *n < top ? (*n)++ : *n - 1;
	while (at > 0 && place_cmp_ctx_bytes(c, i, best[at - 1]) < 0) {
		best[at] = best[at - 1];
		at--;
	}
	best[at] = i;
}

/* The largest members of group g. */
static void rollup_members(struct rollup *r, uint32_t g, unsigned level)
{
	uint32_t best[64];
	size_t n = 0, top = r->top < 64 ? r->top : 64;

	for (size_t i = 0; i < r->c->t->n; i++)
		if (r->c->t->procs[i].group == g)
			top_insert(r->c, best, &n, top, (uint32_t)i);
	for (size_t k = 0; k < n; k++) {
		struct bd_slice l = bd_place_label(r->c->t, best[k]);
		rollup_row(r->b, r->arr, level, "process", bd_arena_strndup(r->b->arena, l.ptr, l.len), 1,
			   retained_of(r->c, best[k]));
	}
}

static void rollup_groups(struct rollup *r, bool (*keep)(const struct bd_proc_group *, uint32_t),
			  uint32_t filter, bool (*keep2)(const struct bd_proc_group *, uint32_t),
			  uint32_t filter2, unsigned level)
{
	struct agg *v = r->scratch + (size_t)level * r->c->t->n_groups;
	size_t n = 0, shown = 0;

	for (size_t g = 0; g < r->c->t->n_groups; g++) {
		const struct bd_proc_group *gr = &r->c->t->groups[g];
		if ((keep && !keep(gr, filter)) || (keep2 && !keep2(gr, filter2)))
			continue;
		v[n++] = (struct agg){ (uint32_t)g, gr->count, r->c->group_retained[g], (uint32_t)g };
	}
	bd_sort(v, n, sizeof(*v), agg_cmp);
	for (size_t i = 0; i < n && shown < r->top; i++, shown++) {
		const struct bd_proc_group *gr = &r->c->t->groups[v[i].key];
		rollup_row(r->b, r->arr, level, "group",
			   bd_arena_printf(r->b->arena, "%llu x %.*s", (unsigned long long)gr->count,
					   (int)gr->initial_call.len, gr->initial_call.ptr),
			   gr->count, v[i].bytes);
		if (level + 1 < r->depth)
			rollup_members(r, v[i].key, level + 1);
	}
}

static void rollup_sups(struct rollup *r, bool (*keep)(const struct bd_proc_group *, uint32_t),
			uint32_t filter, unsigned level)
{
	struct agg *v = r->scratch + (size_t)level * r->c->t->n_groups;
	size_t n = aggregate(r->c, v, by_sup, true, keep, filter);

	for (size_t i = 0; i < n && i < r->top; i++) {
		rollup_row(r->b, r->arr, level, "supervisor", sup_name(r->b, r->c->t, v[i].key),
			   v[i].count, v[i].bytes);
		if (level + 1 < r->depth)
			rollup_groups(r, keep, filter, under_sup, v[i].key, level + 1);
	}
}

static void add_rollup(struct memory_ctx *c, struct rm_builder *b, struct rm_node *root,
		       const struct bd_memory_opts *o, size_t top)
{
	struct rollup r = { c, b, NULL, NULL, top, 0, o->by };

	r.depth = o->depth ? (unsigned)(o->depth < 4 ? o->depth : 4) : DEFAULT_DEPTH;
	if (o->by == BD_MEMORY_BY_PROCESS)
		return;
	r.scratch = bd_calloc((c->t->n_groups ? c->t->n_groups : 1) * 4, sizeof(*r.scratch));
	r.arr = bd_rm_label(bd_rm_arr(b, root, "rollup"),
			 o->by == BD_MEMORY_BY_SUPERVISOR ? "By supervisor" : "By application");
	if (!r.scratch) {
		b->oom = true;
		return;
	}
	if (o->by == BD_MEMORY_BY_SUPERVISOR) {
		rollup_sups(&r, NULL, 0, 0);
	} else {
		size_t n = aggregate(c, r.scratch, by_app, false, NULL, 0);
		for (size_t i = 0; i < n && i < top; i++) {
			rollup_row(b, r.arr, 0, "application", app_name(b, c->t, r.scratch[i].key),
				   r.scratch[i].count, r.scratch[i].bytes);
			if (r.depth > 1)
				rollup_sups(&r, in_app, r.scratch[i].key, 1);
		}
	}
	bd_free(r.scratch);
}

/* ------------------------------------------------------ the row lists */

static void process_row(struct memory_ctx *c, struct rm_builder *b, struct rm_node *arr, uint32_t i)
{
	const struct bd_place *p = &c->t->procs[i];
	struct held hv = held_at(c, i);
	const struct held *h = &hv;
	struct rm_node *o = bd_rm_obj(b, arr, NULL);

	bd_rm_slice(b, o, "pid", bd_place_pid(c->t, i));
	bd_rm_slice_or_null(b, o, "name", p->name);
	bd_rm_label(bd_rm_bytes(b, o, "retained_bytes", retained(h)), "retained");
	bd_rm_flags(bd_rm_bytes(b, o, "exclusive_bytes", retained(h)), RM_NOTEXT);
	bd_rm_label(bd_rm_bytes(b, o, "shared_bytes", h->bin_shared), "shared");
	bd_rm_label(bd_rm_bytes(b, o, "heap_bytes", h->memory - h->mailbox), "heap");
	bd_rm_label(bd_rm_bytes(b, o, "mailbox_bytes", h->mailbox), "mailbox");
	bd_rm_flags(bd_rm_bool(b, o, "mailbox_estimated", h->mailbox_estimated), RM_NOTEXT);
	bd_rm_label(bd_rm_bytes(b, o, "binary_bytes", h->bin_excl), "binaries");
	bd_rm_flags(bd_rm_bool(b, o, "binary_estimated", h->bin_estimated), RM_NOTEXT);
	bd_rm_label(bd_rm_bytes(b, o, "ets_bytes", h->ets), "ets");
	bd_rm_flags(bd_rm_slice_or_null(b, o, "initial_call", p->initial_call), RM_WIDE);
}

static void add_processes(struct memory_ctx *c, struct rm_builder *b, struct rm_node *root, size_t top)
{
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, root, "processes"), "Processes by retained size");
	uint32_t *order = bd_malloc((top ? top : 1) * sizeof(*order));
	size_t n = 0;

	if (!order) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < c->t->n; i++)
		top_insert(c, order, &n, top, (uint32_t)i);
	for (size_t k = 0; k < n; k++)
		process_row(c, b, arr, order[k]);
	bd_free(order);
}

static void add_groups(struct memory_ctx *c, struct rm_builder *b, struct rm_node *root, size_t top)
{
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, root, "groups"), "Groups by retained size");
	struct agg *v = bd_malloc((c->t->n_groups ? c->t->n_groups : 1) * sizeof(*v));

	if (!v) {
		b->oom = true;
		return;
	}
	for (size_t g = 0; g < c->t->n_groups; g++)
		v[g] = (struct agg){ (uint32_t)g, c->t->groups[g].count, c->group_retained[g], (uint32_t)g };
	bd_sort(v, c->t->n_groups, sizeof(*v), agg_cmp);
	for (size_t i = 0; i < c->t->n_groups && i < top; i++) {
		const struct bd_proc_group *g = &c->t->groups[v[i].key];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_rm_label(bd_rm_slice_or_null(b, o, "application",
					  g->app != BD_NO_PLACE ? c->t->apps[g->app] : bd_slice_make("", 0)),
			 "app");
		bd_rm_slice_or_null(b, o, "supervisor", bd_place_label(c->t, g->supervisor));
		bd_rm_flags(bd_rm_label(bd_rm_slice_or_null(b, o, "initial_call", g->initial_call), "initial call"),
			 RM_WIDE);
		bd_rm_uint(b, o, "count", g->count);
		bd_rm_label(bd_rm_bytes(b, o, "retained_bytes", v[i].bytes), "retained");
		bd_rm_flags(bd_rm_bytes(b, o, "memory_bytes", g->memory_bytes), RM_NOTEXT);
	}
	bd_free(v);
}

/* ----------------------------------------------------------------- OOM */

/*
 * The process the failing scheduler ran ("Calling Thread: scheduler:N").
 * N is 0 when a dirty scheduler wrote the dump (format doc 1.1, 9): then
 * the one process a dirty CPU scheduler was running, if only one was.
 */
static uint32_t asking_process(struct memory_ctx *c)
{
	const char *t = c->d->info.calling_thread;
	struct bd_slice want, found = { NULL, 0 };
	bool dirty;

	if (strncmp(t, "scheduler:", 10) != 0)
		return BD_NO_PLACE;
	want = bd_slice_make(t + 10, strlen(t + 10));
	dirty = bd_slice_eq(want, "0");
	for (size_t i = bd_section_find(c->d, dirty ? BD_SECT_DIRTY_CPU_SCHEDULER : BD_SECT_SCHEDULER, 0);
	     i < c->d->index.n;
	     i = bd_section_find(c->d, dirty ? BD_SECT_DIRTY_CPU_SCHEDULER : BD_SECT_SCHEDULER, i + 1)) {
		struct bd_section s;
		struct bd_scheduler sch;
		bd_section_get(c->d, i, &s);
		if (!dirty && !bd_slice_eqs(s.id, want))
			continue;
		bd_parse_scheduler(&s, &sch);
		if (!dirty)
			return bd_proc_tree_find(c->t, c->d, sch.current_process);
		if (sch.current_process.len) {
			if (found.len)
				return BD_NO_PLACE; /* two candidates: cannot tell */
			found = sch.current_process;
		}
	}
	return bd_proc_tree_find(c->t, c->d, found);
}

static void add_oom(struct memory_ctx *c, struct rm_builder *b, struct rm_node *root,
		    const struct bd_alloc_type *types, size_t n_types, uint64_t total)
{
	struct bd_slogan s;
	struct rm_node *o;
	uint32_t asker;
	uint64_t node = total != BD_UNSET ? total : c->proc_total;

	bd_explain_slogan(c->d, &s);
	if (strcmp(s.kind, "out_of_memory") != 0)
		return;
	o = bd_rm_label(bd_rm_obj(b, root, "oom"), "Out of memory");
	bd_rm_str(b, o, "allocator", s.allocator);
	bd_rm_str(b, o, "type", s.type);
	bd_rm_label(bd_rm_bytes(b, o, "requested_bytes", s.bytes), "asked for");
	for (size_t i = 0; i < n_types; i++) {
		if (strcmp(types[i].name, s.allocator) != 0)
			continue;
		bd_rm_label(bd_rm_bytes(b, o, "allocator_blocks_bytes",
				  types[i].mbcs_blocks + types[i].sbcs_blocks),
			 "the allocator held (blocks)");
		bd_rm_label(bd_rm_bytes(b, o, "allocator_carriers_bytes",
				  types[i].mbcs_carriers + types[i].sbcs_carriers),
			 "in carriers");
	}
	asker = asking_process(c);
	if (asker == BD_NO_PLACE) {
		bd_rm_label(bd_rm_null(b, o, "pid"), "asked by");
		bd_rm_str(b, o, "verdict", "unknown");
		bd_rm_flags(bd_rm_str(b, o, "explanation",
				"the dump does not say which process was running on the scheduler that failed"),
			 RM_WIDE);
		return;
	}
	const struct bd_place *p = &c->t->procs[asker];
	struct held hv = held_at(c, asker);
	const struct held *h = &hv;
	uint64_t holds = retained(h);
	bool held = (double)holds >= CULPRIT_SHARE * (double)node;
	bool asked = (double)s.bytes >= CULPRIT_SHARE * (double)node;
	char a[32], q[32], n[32];

	bd_rm_format_bytes(a, sizeof(a), holds);
	bd_rm_format_bytes(q, sizeof(q), s.bytes);
	bd_rm_format_bytes(n, sizeof(n), node);
	bd_rm_label(bd_rm_slice(b, o, "pid", bd_place_pid(c->t, asker)), "asked by");
	bd_rm_slice_or_null(b, o, "name", p->name);
	bd_rm_label(bd_rm_bytes(b, o, "retained_bytes", holds), "it retained");
	bd_rm_label(bd_rm_bytes(b, o, "heap_bytes", h->memory - h->mailbox), "its heap");
	bd_rm_str(b, o, "verdict", held || asked ? "culprit" : "victim");
	bd_rm_flags(bd_rm_str(b, o, "explanation",
			bd_arena_printf(b->arena,
					held ? "it held %s of the node's %s and asked for %s more: it "
					       "holds the memory"
					: asked ? "it held only %s of the node's %s but asked for %s at "
						  "once: the request itself was too large"
						: "it held only %s of the node's %s and asked for %s: it was "
						  "only the last to ask; the memory is held elsewhere (see "
						  "the largest holders)",
					a, n, q)),		 RM_WIDE);
}

/* ------------------------------------------------------------ findings */

static void find(struct memory_ctx *c, struct rm_builder *b, struct bd_findings *f,
		 uint64_t total)
{
	uint64_t node = total != BD_UNSET ? total : 0;
	char x[32], y[32];
	struct agg *apps = bd_malloc((c->t->n_groups ? c->t->n_groups : 1) * sizeof(*apps));

	if (!apps) {
		f->oom = true;
		return;
	}
	/* one application holding most of the node */
	if (node && aggregate(c, apps, by_app, false, NULL, 0) && apps[0].key != BD_NO_PLACE &&
	    apps[0].bytes >= APP_MIN && (double)apps[0].bytes >= APP_SHARE * (double)node) {
		bd_rm_format_bytes(x, sizeof(x), apps[0].bytes);
		bd_rm_format_bytes(y, sizeof(y), node);
		bd_finding_add(f, "application_memory", BD_SEV_HIGH,
			       bd_arena_printf(b->arena, "Application %s holds %s of the node's %s",
					       app_name(b, c->t, apps[0].key), x, y),
			       bd_arena_printf(b->arena, "%llu processes; retained sizes: their memory, "
					       "binaries they alone reference, ETS tables they own",
					       (unsigned long long)apps[0].count),
			       "beamdump memory DUMP --depth 4 shows its supervisors, groups and processes");
	}
	bd_free(apps);
	/* large unattributed memory */
	if (node) {
		uint64_t attributed = c->proc_total + c->ets_total + c->bin_distinct +
				      bd_memory_bytes(c->d, "atom_used") + bd_memory_bytes(c->d, "code");
		uint64_t rest = node > attributed ? node - attributed : 0;
		if (rest >= UNATTRIBUTED_MIN && (double)rest >= UNATTRIBUTED_SHARE * (double)node) {
			bd_rm_format_bytes(x, sizeof(x), rest);
			bd_rm_format_bytes(y, sizeof(y), node);
			bd_finding_add(f, "unattributed_memory", BD_SEV_WARNING,
				       bd_arena_printf(b->arena, "%s of the node's %s is held by no process, "
						       "table, binary, atom or module", x, y),
				       "the reconciliation lists each category's unattributed part",
				       "look for NIF and driver allocations (the allocator types that "
				       "grew), port buffers and binaries held by ETS tables");
		}
	}
	/*
	 * A process that retains far more than its own memory through binaries
	 * no other process references (large tables and slices are leaks'
	 * findings already).
	 */
	for (size_t i = 0; i < c->t->n; i++) {
		if (c->extra_of[i] == NO_EXTRA)
			continue; /* retains only its own memory */
		const struct held *h = &c->extras[c->extra_of[i]];
		uint64_t r = retained(h);
		if (h->bin_estimated || h->bin_excl < RETAIN_MIN ||
		    r < RETAIN_RATIO * (h->memory ? h->memory : 1))
			continue;
		bd_rm_format_bytes(x, sizeof(x), r);
		bd_rm_format_bytes(y, sizeof(y), h->memory);
		struct bd_slice l = bd_place_label(c->t, (uint32_t)i);
		bd_finding_pid(f, bd_finding_add(f, "retains_beyond_heap", BD_SEV_WARNING,
				 bd_arena_printf(b->arena, "%.*s retains %s, its own memory is %s",
						 (int)l.len, l.ptr, x, y),
				 bd_arena_printf(b->arena, "binaries only it references: %llu bytes; "
						 "ETS tables it owns: %llu bytes",
						 (unsigned long long)h->bin_excl,
						 (unsigned long long)h->ets),
				 "killing it frees this much; check what it keeps (beamdump proc)"),
			       bd_place_pid(c->t, (uint32_t)i));
	}
	/* a process explosion: one group of siblings is most of the processes */
	if (c->t->n_groups) {
		const struct bd_proc_group *g = &c->t->groups[0];
		if (g->count >= GROUP_MIN && (double)g->count >= GROUP_SHARE * (double)c->t->n) {
			struct bd_slice by = bd_place_label(c->t, g->parent);
			bd_rm_format_bytes(x, sizeof(x), g->memory_bytes);
			bd_finding_pid(f, bd_finding_add(f, "process_explosion", BD_SEV_HIGH,
					 bd_arena_printf(b->arena, "%llu of %zu processes are %.*s, spawned by %.*s",
							 (unsigned long long)g->count, c->t->n,
							 (int)g->initial_call.len, g->initial_call.ptr,
							 by.len ? (int)by.len : 7, by.len ? by.ptr : "unknown"),
					 bd_arena_printf(b->arena, "they hold %s together", x),
					 "find why the spawner does not stop (beamdump procs DUMP --group)"),
				       bd_place_pid(c->t, g->parent != BD_NO_PLACE ? g->parent : g->first));
		}
	}
}

static void add_findings(struct memory_ctx *c, struct bd_report *r, uint64_t total)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_label(bd_rm_arr(&r->b, r->root, "findings"),
						      "Findings"), RM_BLOCKS);
	struct bd_findings found;

	bd_findings_init(&found, &r->arena);
	find(c, &r->b, &found, total);
	bd_report_findings(r, arr, &found);
}

/* The short block analyze shows: the largest applications, then what is not attributed. */
static void add_where(struct memory_ctx *c, struct rm_builder *b, struct rm_node *root, size_t top,
		      uint64_t total)
{
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, root, "where"), "Where the memory went");
	struct agg *apps = bd_malloc((c->t->n_groups ? c->t->n_groups : 1) * sizeof(*apps));
	size_t n;

	if (!apps) {
		b->oom = true;
		return;
	}
	n = aggregate(c, apps, by_app, false, NULL, 0);
	for (size_t i = 0; i < n && i < top; i++) {
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_rm_str(b, o, "what", app_name(b, c->t, apps[i].key));
		bd_rm_uint(b, o, "processes", apps[i].count);
		bd_rm_label(bd_rm_bytes(b, o, "retained_bytes", apps[i].bytes), "retained");
		if (total != BD_UNSET)
			bd_rm_ratio(b, o, "share", bd_ratio(apps[i].bytes, total));
	}
	bd_free(apps);
	if (total != BD_UNSET) {
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		uint64_t all = 0;
		for (size_t g = 0; g < c->t->n_groups; g++)
			all += c->group_retained[g];
		bd_rm_str(b, o, "what", "retained by no process");
		bd_rm_null(b, o, "processes");
		bd_rm_label(bd_rm_bytes(b, o, "retained_bytes", total > all ? total - all : 0), "retained");
		bd_rm_ratio(b, o, "share", bd_ratio(total > all ? total - all : 0, total));
	}
}

/* ---------------------------------------------------------------- entry */

static void memory_cleanup(void *ctx)
{
	struct memory_ctx *c = ctx;

	bd_proc_tree_release(c->t);
	bd_free(c->t);
	bd_free(c->extra_of);
	bd_free(c->extras);
	bd_free(c->group_retained);
	bd_free(c);
}

enum bd_status bd_report_memory(struct bd_dump *d, const struct bd_memory_opts *opts,
				struct bd_report **out, struct bd_error *err)
{
	struct bd_memory_opts defaults = { BD_MEMORY_BY_APP, 0, 0 };
	struct bd_report *r = bd_report_new("beamdump memory", d);
	struct memory_ctx *c = bd_calloc(1, sizeof(*c));
	struct bd_alloc_type types[ALLOC_MAX_TYPES];
	size_t n_types = 0, top;
	uint64_t total;
	enum bd_status rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	top = opts->top ? opts->top : DEFAULT_TOP;
	if (!r || !c || !(c->t = bd_calloc(1, sizeof(*c->t)))) {
		bd_report_free(r);
		if (c)
			bd_free(c->t);
		bd_free(c);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory sizing memory");
	}
	c->d = d;
	rc = bd_proc_tree_build(d, c->t, err);
	if (rc) {
		bd_free(c->t);
		bd_free(c);
		bd_report_free(r);
		return rc;
	}
	r->cleanup = memory_cleanup;
	r->cleanup_ctx = c;
	c->extra_of = bd_malloc((c->t->n ? c->t->n : 1) * sizeof(*c->extra_of));
	c->group_retained = bd_calloc(c->t->n_groups ? c->t->n_groups : 1, sizeof(uint64_t));
	if (!c->extra_of || !c->group_retained)
		goto oom;
	for (size_t i = 0; i < c->t->n; i++) {
		c->extra_of[i] = NO_EXTRA;
		c->proc_total += c->t->procs[i].memory_bytes;
	}
	rc = share_binaries(c, err);
	if (rc)
		goto fail;
	read_ets(c);
	read_mailboxes_and_vheaps(c);
	if (c->oom)
		goto oom;
	for (size_t i = 0; i < c->t->n; i++)
		c->group_retained[c->t->procs[i].group] += retained_of(c, (uint32_t)i);

	struct rm_builder *b = &r->b;
	bd_rm_uint(b, r->root, "total_processes", c->t->n);
	total = add_reconciliation(c, b, r->root, types, &n_types);
	add_where(c, b, r->root, top, total);
	add_oom(c, b, r->root, types, n_types, total);
	add_findings(c, r, total);
	add_rollup(c, b, r->root, opts, top);
	add_groups(c, b, r->root, top);
	add_processes(c, b, r->root, top);
	if (b->oom)
		goto oom;
	*out = r;
	return BD_OK;
oom:
	rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory sizing memory");
fail:
	bd_report_free(r);
	return rc;
}
