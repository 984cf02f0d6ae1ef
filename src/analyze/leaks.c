/*
 * `leaks`: where memory is held that should have been released, with
 * findings. Six lists, each read from what the dump really holds:
 *
 *  - refc binaries pinned by small slices (sub-binaries),
 *  - mailbox build-up (queue length, where the process is stuck, message
 *    shapes and the memory the queue holds),
 *  - ETS tables by memory,
 *  - the atom table against its limit, with the newest atoms,
 *  - allocator carriers against the blocks in them (fragmentation),
 *  - heaps that are mostly free space or garbage.
 *
 * One pass over the =proc sections reads a few numbers of each process
 * (queue length, heap and binary sizes, name) and keeps candidates; only
 * candidates are opened, and each opening reads only its own sections,
 * located from the process's position (bd_dump_proc_sections_at).
 *
 * Pinned binaries (crash-dump-format.md 3.2, 3.5). A sub-binary is
 * "Ys<target>:<offset>:<size>". When the original refc binary is reachable
 * only through such slices the dump has no =binary section for it, so its
 * size is not in the dump. What the dump does hold is the owner's
 * BinVHeap + OldBinVHeap (words of refc binaries its heaps reference).
 * Per process:
 *   whole   = bytes of the binaries it holds whole (Yc lines: known sizes)
 *   pinned  = (BinVHeap + OldBinVHeap) x word size - whole, when some
 *             slice's original has no =binary section (its size is then
 *             estimated, the unexplained bytes shared evenly among such
 *             originals); otherwise the sum of the known sizes of the
 *             binaries it holds only through slices
 *   used    = bytes of those slices
 * Slices of 64 bytes or less become heap binaries (Yh) at the next garbage
 * collection and pin nothing, so they never count; neither do slices of
 * heap binaries or of literals. In dumps of OTP 27 and later a slice of a
 * refc binary is a Yc whose size is below its binary's: it counts as a
 * slice too.
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "term/print.h"
#include "term/shape.h"

#include <stdio.h>
#include <stdlib.h>

#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)

#define DEFAULT_TOP 10

/* Binaries: heaps of processes with at least this much in BinVHeap + OldBinVHeap are read. */
#define BIN_SCAN_MIN MIB
/* ... the most binary-heavy of them, at most this many. */
#define BIN_SCAN_MAX 256
/* A slice leak is a finding from 1 MiB pinned and 10 times the bytes the slices use. */
#define BIN_FINDING_MIN MIB
#define BIN_FINDING_RATIO 10
/* High: 10 % of =memory binary and 16 MiB; critical: 50 % and 128 MiB. */
#define BIN_HIGH_SHARE 0.10
#define BIN_HIGH_MIN (16 * MIB)
#define BIN_CRITICAL_SHARE 0.50
#define BIN_CRITICAL_MIN (128 * MIB)

/* Mailboxes: queue lengths for warning, high and critical findings. */
#define MQ_WARNING 1000
#define MQ_HIGH 10000
#define MQ_CRITICAL 100000
/* Messages sized and shaped: per queue, for all queues, and at least per queue. */
#define MSG_SAMPLE_QUEUE 20000
#define MSG_SAMPLE_TOTAL 60000
#define MSG_SAMPLE_MIN 1000
#define SHAPE_DEPTH 3
#define MAX_SHAPES 1024
#define SHAPES_SHOWN 5
/* Innermost return addresses shown after the current function. */
#define FRAMES_SHOWN 3

/* ETS: a table is a finding from 64 MiB and 10 % of =memory total (25 % high, 50 % critical). */
#define ETS_FINDING_MIN (64 * MIB)
#define ETS_WARNING_SHARE 0.10
#define ETS_HIGH_SHARE 0.25
#define ETS_CRITICAL_SHARE 0.50

/* Atoms: share of the limit for warning, high and critical findings. */
#define ATOM_WARNING 0.80
#define ATOM_HIGH 0.95
#define ATOM_CRITICAL 1.00
#define NEWEST_ATOMS 20
/*
 * Atom leaks against a fresh node (~9 000 atoms on OTP 25, ~20 000 with
 * Elixir): a finding when one pattern (digit and hex runs folded) holds
 * ATOM_PATTERN_MIN atoms, or the table ATOM_TOTAL_MIN.
 */
#define ATOM_PATTERN_MIN 10000
#define ATOM_TOTAL_MIN 100000
/* atoms made during a snapshot's --window that make it a finding */
#define ATOM_WINDOW_MIN 100
#define ATOM_PATTERNS_MAX (1u << 18)
#define ATOM_EXAMPLES 3

/* Allocators: mbcs usage below this with this much unused is fragmentation. */
#define ALLOC_MAX_TYPES 64
#define ALLOC_FRAG_USAGE 0.50
#define ALLOC_WARNING (64 * MIB)
#define ALLOC_HIGH (256 * MIB)
#define ALLOC_CRITICAL GIB

/* Heaps: from 1 MiB, the largest at most this many, listed when 4 times what is reachable. */
#define HEAP_SCAN_MIN MIB
#define HEAP_SCAN_MAX 32
#define HEAP_GARBAGE_RATIO 4
/* A finding from 8 MiB free or garbage; high: 10 % of =memory processes and 64 MiB;
 * critical: 50 % and 256 MiB. */
#define HEAP_FINDING_MIN (8 * MIB)
#define HEAP_HIGH_SHARE 0.10
#define HEAP_HIGH_MIN (64 * MIB)
#define HEAP_CRITICAL_SHARE 0.50
#define HEAP_CRITICAL_MIN (256 * MIB)

/* ------------------------------------------------------------ the scan */

/* A process kept by the scan: its =proc section. */
struct cand {
	uint32_t section;
	uint64_t key;      /* queue length, binary words or heap words */
	uint64_t pid_key;  /* ties go by pid (bd_pid_order_key), then section */
};

struct name_slot {
	struct bd_slice pid;
	struct bd_slice name;  /* as written in Name: */
};

/* The few =proc numbers the scan reads. */
/* What the scan reads of each process. */
#define SCAN_FIELDS                                                                     \
	(BD_PF_BIT(BD_PF_NAME) | BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN) |                        \
	 BD_PF_BIT(BD_PF_STACK_HEAP) | BD_PF_BIT(BD_PF_OLD_HEAP) | BD_PF_BIT(BD_PF_BIN_VHEAP) | \
	 BD_PF_BIT(BD_PF_OLD_BIN_VHEAP))

struct cand_list {
	struct cand *v;
	size_t n;
	size_t cap;
};

static bool cand_push(struct cand_list *l, struct cand c)
{
	if (!bd_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return false;
	l->v[l->n++] = c;
	return true;
}

/* Largest key first; ties by pid. */
static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a;
	const struct cand *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->pid_key != y->pid_key)
		return x->pid_key < y->pid_key ? -1 : 1;
	return x->section < y->section ? -1 : x->section > y->section;
}

/* Process candidates ordered: largest key first, ties by pid (read only for them). */
static void sort_procs(const struct bd_dump *d, struct cand_list *l)
{
	for (size_t k = 0; k < l->n; k++)
		l->v[k].pid_key = bd_pid_order_key(bd_section_id(d, l->v[k].section));
	bd_sort(l->v, l->n, sizeof(*l->v), cand_cmp);
}

/* ------------------------------------------------------------ context */

struct leaks_ctx {
	struct bd_dump *d;
	struct rm_builder *b;
	size_t top;
	unsigned ws;
	/* from the scan */
	struct cand_list mq;       /* non-empty queues */
	struct cand_list bins;     /* BIN_SCAN_MIN of binaries or more */
	struct cand_list heaps;    /* HEAP_SCAN_MIN of heap or more */
	struct name_slot *names;   /* open addressing, power-of-two cap */
	size_t names_cap;
	size_t names_n;
	size_t n_procs;
	bool has_bin_vheap;
	/* findings, ranked by severity at the end */
	struct bd_findings findings;
};

static bool name_put(struct leaks_ctx *c, struct bd_slice pid, struct bd_slice name)
{
	size_t i;

	if (c->names_n + 1 > c->names_cap / 2) {
		size_t cap = c->names_cap ? c->names_cap * 2 : 64;
		struct name_slot *slots = bd_calloc(cap, sizeof(*slots));
		if (!slots)
			return false;
		for (size_t k = 0; k < c->names_cap; k++) {
			if (!c->names[k].pid.len)
				continue;
			i = (size_t)bd_hash_slice(c->names[k].pid) & (cap - 1);
			while (slots[i].pid.len)
				i = (i + 1) & (cap - 1);
			slots[i] = c->names[k];
		}
		bd_free(c->names);
		c->names = slots;
		c->names_cap = cap;
	}
	i = (size_t)bd_hash_slice(pid) & (c->names_cap - 1);
	while (c->names[i].pid.len) {
		if (bd_slice_eqs(c->names[i].pid, pid))
			return true;
		i = (i + 1) & (c->names_cap - 1);
	}
	c->names[i].pid = pid;
	c->names[i].name = name;
	c->names_n++;
	return true;
}

/* The registered name of pid as written in Name:, or empty. */
static struct bd_slice raw_name_of(struct leaks_ctx *c, struct bd_slice pid)
{
	size_t i;

	if (!c->names_cap || !pid.len)
		return bd_slice_make("", 0);
	i = (size_t)bd_hash_slice(pid) & (c->names_cap - 1);
	while (c->names[i].pid.len) {
		if (bd_slice_eqs(c->names[i].pid, pid))
			return c->names[i].name;
		i = (i + 1) & (c->names_cap - 1);
	}
	return bd_slice_make("", 0);
}

/* The registered name of pid (unquoted), or empty. */
static struct bd_slice name_of(struct leaks_ctx *c, struct bd_slice pid)
{
	return bd_atom_text(c->b->arena, raw_name_of(c, pid));
}

/* The name if registered, else the label, else the pid: for titles. */
static struct bd_slice who(struct leaks_ctx *c, struct bd_slice pid)
{
	return bd_proc_who(c->b, c->d, pid, raw_name_of(c, pid));
}

static enum bd_status scan(struct leaks_ctx *c, struct bd_error *err)
{
	struct bd_dump *d = c->d;
	uint32_t ordinal = 0;

	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1), ordinal++) {
		struct bd_section s;
		struct bd_proc br;
		uint64_t heap_words;
		bool ok = true;

		bd_section_get(d, i, &s);
		bd_parse_proc_fields(&s, SCAN_FIELDS, &br);
		if (br.name.len)
			ok = name_put(c, s.id, br.name);
		if (br.message_queue_len)
			ok = ok && cand_push(&c->mq, (struct cand){ (uint32_t)i, br.message_queue_len, 0 });
		/* absent before OTP 21 */
		if (br.has_bin_vheap) {
			uint64_t words = br.bin_vheap_words + br.old_bin_vheap_words;
			c->has_bin_vheap = true;
			if (words * c->ws >= BIN_SCAN_MIN)
				ok = ok && cand_push(&c->bins, (struct cand){ (uint32_t)i, words, 0 });
		}
		heap_words = br.stack_heap_words + br.old_heap_words;
		if (heap_words * c->ws >= HEAP_SCAN_MIN)
			ok = ok && cand_push(&c->heaps, (struct cand){ (uint32_t)i, heap_words, 0 });
		if (!ok)
			return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory scanning processes");
	}
	c->n_procs = ordinal;
	return BD_OK;
}


static struct bd_slice body_of(const struct bd_dump *d, size_t i)
{
	struct bd_section s;

	if (i == BD_NO_SECTION)
		return bd_slice_make("", 0);
	bd_section_get(d, i, &s);
	return s.body;
}

/* ------------------------------------------------------------ findings */

/* At most this many processes named by one finding. */
#define FINDING_PIDS 4

static void finding(struct leaks_ctx *c, const char *kind, enum bd_severity sev,
		    const char *title, const char *evidence, const char *action,
		    const struct bd_slice *pids, size_t n_pids)
{
	struct bd_finding *f = bd_finding_add(&c->findings, kind, sev, title, evidence, action);

	for (size_t i = 0; i < n_pids && i < FINDING_PIDS; i++)
		bd_finding_pid(&c->findings, f, pids[i]);
}

static const char *fmt_bytes(char *buf, size_t cap, uint64_t bytes)
{
	bd_rm_format_bytes(buf, cap, bytes);
	return buf;
}

static enum bd_severity by_share(double share, double high, double critical)
{
	return share >= critical ? BD_SEV_CRITICAL : share >= high ? BD_SEV_HIGH : BD_SEV_WARNING;
}

/* By share of a total, each level also needing a size. */
static enum bd_severity by_share_and_size(double share, uint64_t bytes, double high,
					  uint64_t high_min, double critical, uint64_t critical_min)
{
	if (share >= critical && bytes >= critical_min)
		return BD_SEV_CRITICAL;
	if (share >= high && bytes >= high_min)
		return BD_SEV_HIGH;
	return BD_SEV_WARNING;
}

/* ------------------------------------------------------- pinned binaries */

/* A Yc or Yh line of the heap being read, by its address. */
struct heap_bin {
	uint64_t line;
	uint64_t ref;      /* Yc: the binary */
	uint64_t size;
	bool refc;
};

/* A binary a process references, merged per address. */
struct bin_use {
	uint64_t addr;
	uint64_t size;         /* known size (=binary section or Yc), else 0 */
	uint64_t slice_bytes;
	uint32_t slices;
	bool known;
	bool whole;            /* held by a Yc of its full size */
};

struct bin_proc {
	uint32_t section;
	uint64_t pid_key;        /* ties go by pid */
	uint64_t vheap_bytes;
	uint64_t whole_bytes;
	uint64_t pinned_bytes;
	uint64_t used_bytes;
	uint64_t known_pinned;   /* slice-only binaries whose size is in the dump */
	uint64_t hidden_each;    /* estimated size of each slice-only binary not in the dump */
	uint32_t slices;
	uint32_t n_slice_only;
	uint32_t n_hidden;
	struct bin_use *uses;    /* slice-only ones first, largest first */
	size_t n_uses;
};

/* Address -> number of read processes that reference the binary. */
struct share_map {
	uint64_t *addr;
	uint32_t *count;
	size_t cap;
	size_t n;
};

static bool share_add(struct share_map *m, uint64_t addr)
{
	size_t i;

	if (m->n + 1 > m->cap / 2) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		uint64_t *a = bd_calloc(cap, sizeof(*a));
		uint32_t *n = bd_calloc(cap, sizeof(*n));
		if (!a || !n) {
			bd_free(a);
			bd_free(n);
			return false;
		}
		for (size_t k = 0; k < m->cap; k++) {
			if (!m->addr[k])
				continue;
			i = (size_t)(m->addr[k] * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
			while (a[i])
				i = (i + 1) & (cap - 1);
			a[i] = m->addr[k];
			n[i] = m->count[k];
		}
		bd_free(m->addr);
		bd_free(m->count);
		m->addr = a;
		m->count = n;
		m->cap = cap;
	}
	i = (size_t)(addr * 0x9E3779B97F4A7C15ull >> 20) & (m->cap - 1);
	while (m->addr[i] && m->addr[i] != addr)
		i = (i + 1) & (m->cap - 1);
	if (!m->addr[i]) {
		m->addr[i] = addr;
		m->n++;
	}
	m->count[i]++;
	return true;
}

static uint32_t share_get(const struct share_map *m, uint64_t addr)
{
	size_t i;

	if (!m->cap)
		return 0;
	i = (size_t)(addr * 0x9E3779B97F4A7C15ull >> 20) & (m->cap - 1);
	while (m->addr[i]) {
		if (m->addr[i] == addr)
			return m->count[i];
		i = (i + 1) & (m->cap - 1);
	}
	return 0;
}

static int heap_bin_cmp(const void *a, const void *b)
{
	const struct heap_bin *x = a;
	const struct heap_bin *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

static int use_addr_cmp(const void *a, const void *b)
{
	const struct bin_use *x = a;
	const struct bin_use *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct heap_bin *heap_bin_find(const struct heap_bin *v, size_t n, uint64_t line)
{
	size_t lo = 0;
	size_t hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].line < line)
			lo = mid + 1;
		else if (v[mid].line > line)
			hi = mid;
		else
			return &v[mid];
	}
	return NULL;
}

struct bin_scan {
	struct heap_bin *objs;   /* Yc and Yh lines */
	size_t n_objs, cap_objs;
	struct bin_use *uses;    /* one per Yc / Ys line, merged later */
	size_t n_uses, cap_uses;
	struct heap_bin *subs;   /* Ys lines: target in ref */
	size_t n_subs, cap_subs;
};

/* Collect the Yc, Yh and Ys lines of one heap section. */
static bool collect_bins(struct bd_slice body, struct bin_scan *s)
{
	const char *p = body.ptr;
	const char *end = p + body.len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		uint64_t addr;
		size_t n = bd_hex_prefix(p, e, &addr);

		if (n && p + n + 2 < e && p[n] == ':' && p[n + 1] == 'Y') {
			struct bd_obj o;
			if (bd_obj_parse(p + n + 1, e, &o)) {
				struct heap_bin hb = { addr, o.ref, o.size,
						       o.kind == BD_OBJ_REFC_BIN };
				if (o.kind == BD_OBJ_SUB_BIN) {
					if (!bd_grow((void **)&s->subs, &s->cap_subs, s->n_subs + 1,
						     sizeof(*s->subs)))
						return false;
					s->subs[s->n_subs++] = hb;
				} else {
					if (!bd_grow((void **)&s->objs, &s->cap_objs, s->n_objs + 1,
						     sizeof(*s->objs)))
						return false;
					s->objs[s->n_objs++] = hb;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	return true;
}

static bool use_add(struct bin_scan *s, struct bin_use u)
{
	if (!bd_grow((void **)&s->uses, &s->cap_uses, s->n_uses + 1, sizeof(*s->uses)))
		return false;
	s->uses[s->n_uses++] = u;
	return true;
}

/* Size of the =binary section at addr, if the dump has one. */
static bool binary_size(struct bd_dump *d, const struct bd_bin_index *bi, uint64_t addr,
			uint64_t *size)
{
	struct bd_slice payload;

	return bd_bin_index_get(bi, d, addr, &payload, size);
}

/* Classify the lines collected into per-binary uses. */
static bool classify_bins(struct bd_dump *d, const struct bd_bin_index *bi, struct bin_scan *s)
{
	const struct bd_heap *lits = bd_dump_literals(d);

	if (s->n_objs)
		bd_sort(s->objs, s->n_objs, sizeof(*s->objs), heap_bin_cmp);
	for (size_t i = 0; i < s->n_objs; i++) {
		const struct heap_bin *o = &s->objs[i];
		struct bin_use u = { o->ref, o->size, 0, 0, false, true };
		uint64_t full;
		if (!o->refc)
			continue;
		if (binary_size(d, bi, o->ref, &full)) {
			u.known = true;
			u.size = full;
			if (o->size < full) {
				/* a view of part of the binary: a slice (OTP 27 on) */
				u.whole = false;
				u.slices = 1;
				u.slice_bytes = o->size;
			}
		} else {
			u.known = true; /* a ProcBin's size is its binary's */
		}
		if (!use_add(s, u))
			return false;
	}
	for (size_t i = 0; i < s->n_subs; i++) {
		const struct heap_bin *sub = &s->subs[i];
		struct bin_use u = { 0, 0, sub->size, 1, false, false };
		bool placed = false;
		for (int pass = 0; pass < 2 && !placed; pass++) {
			/* OTP 27 may tag the target's low bits */
			uint64_t t = pass ? sub->ref & ~(uint64_t)7 : sub->ref;
			const struct heap_bin *o;
			struct bd_obj lo;
			uint64_t size;
			if (pass && t == sub->ref)
				break;
			o = heap_bin_find(s->objs, s->n_objs, t);
			if (o && !o->refc) {
				placed = true; /* a slice of a heap binary pins nothing */
				u.slices = 0;
			} else if (o) {
				u.addr = o->ref;
				u.known = true;
				u.size = o->size;
				placed = true;
			} else if (bd_heap_get(lits, d, t, &lo)) {
				placed = true; /* nor does a slice of a literal */
				u.slices = 0;
			} else if (binary_size(d, bi, t, &size)) {
				u.addr = t;
				u.known = true;
				u.size = size;
				placed = true;
			}
		}
		if (!placed) {
			/* the original has no =binary section: reachable only through slices */
			u.addr = sub->ref;
		}
		if (u.slices && u.addr && !use_add(s, u))
			return false;
	}
	return true;
}

/* Slice-only binaries first, then by size (estimated for those not in the dump). */
static int use_rank_cmp(const void *a, const void *b)
{
	const struct bin_use *x = a;
	const struct bin_use *y = b;

	if (x->whole != y->whole)
		return x->whole ? 1 : -1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->slices != y->slices)
		return x->slices > y->slices ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Merge the uses per binary and work out the process's figures (method at the top). */
static void settle_bins(struct bin_proc *bp, struct bin_scan *s, unsigned ws)
{
	size_t n = 0;

	if (s->n_uses)
		bd_sort(s->uses, s->n_uses, sizeof(*s->uses), use_addr_cmp);
	for (size_t i = 0; i < s->n_uses; i++) {
		struct bin_use *u = &s->uses[i];
		if (n && s->uses[n - 1].addr == u->addr) {
			struct bin_use *m = &s->uses[n - 1];
			m->whole = m->whole || u->whole;
			m->known = m->known || u->known;
			if (u->size > m->size)
				m->size = u->size;
			m->slices += u->slices;
			m->slice_bytes += u->slice_bytes;
		} else {
			s->uses[n++] = *u;
		}
	}
	s->n_uses = n;
	for (size_t i = 0; i < n; i++) {
		const struct bin_use *u = &s->uses[i];
		if (u->whole) {
			bp->whole_bytes += u->size;
			continue;
		}
		bp->n_slice_only++;
		bp->slices += u->slices;
		bp->used_bytes += u->slice_bytes;
		if (u->known)
			bp->known_pinned += u->size;
		else
			bp->n_hidden++;
	}
	bp->pinned_bytes = bp->known_pinned;
	if (bp->n_hidden && bp->vheap_bytes != BD_UNSET) {
		uint64_t unexplained = bp->vheap_bytes > bp->whole_bytes ?
					       bp->vheap_bytes - bp->whole_bytes : 0;
		if (unexplained > bp->known_pinned) {
			bp->pinned_bytes = unexplained;
			bp->hidden_each = (unexplained - bp->known_pinned) / bp->n_hidden;
			/* BinVHeap counts whole words of each binary */
			bp->hidden_each -= bp->hidden_each % ws;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!s->uses[i].whole && !s->uses[i].known)
			s->uses[i].size = bp->hidden_each;
	if (n)
		bd_sort(s->uses, n, sizeof(*s->uses), use_rank_cmp);
	bp->uses = s->uses;
	bp->n_uses = n;
	s->uses = NULL;
	s->cap_uses = 0;
	s->n_uses = 0;
}

static int bin_proc_cmp(const void *a, const void *b)
{
	const struct bin_proc *x = a;
	const struct bin_proc *y = b;

	if (x->pinned_bytes != y->pinned_bytes)
		return x->pinned_bytes > y->pinned_bytes ? -1 : 1;
	if (x->pid_key != y->pid_key)
		return x->pid_key < y->pid_key ? -1 : 1;
	return x->section < y->section ? -1 : x->section > y->section;
}

static void fmt_addr(char *buf, size_t cap, uint64_t addr)
{
	snprintf(buf, cap, "%llX", (unsigned long long)addr);
}

static void bin_row(struct leaks_ctx *c, struct rm_node *arr, const struct bin_proc *bp,
		    const struct share_map *shares)
{
	struct rm_builder *b = c->b;
	struct bd_slice pid = bd_section_id(c->d, bp->section);
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	struct rm_node *bins;
	char addr[32];

	bd_rm_slice(b, o, "pid", pid);
	bd_rm_name_label(b, o, c->d, pid, raw_name_of(c, pid));
	bd_rm_label(bd_rm_bytes(b, o, "pinned_bytes", bp->pinned_bytes), "pinned");
	bd_rm_label(bd_rm_bytes(b, o, "used_bytes", bp->used_bytes), "used by the slices");
	bd_rm_uint(b, o, "slices", bp->slices);
	bd_rm_label(bd_rm_uint(b, o, "binary_count", bp->n_slice_only), "binaries");
	bd_rm_label(bd_rm_bool(b, o, "estimated", bp->n_hidden > 0), "pinned size estimated");
	if (bp->vheap_bytes != BD_UNSET)
		bd_rm_label(bd_rm_bytes(b, o, "bin_vheap_bytes", bp->vheap_bytes), "BinVHeap + OldBinVHeap");
	else
		bd_rm_label(bd_rm_null(b, o, "bin_vheap_bytes"), "BinVHeap + OldBinVHeap");
	bd_rm_label(bd_rm_bytes(b, o, "whole_bytes", bp->whole_bytes), "held whole");
	bins = bd_rm_label(bd_rm_arr(b, o, "binaries"), "Binaries held through slices");
	for (size_t i = 0; i < bp->n_uses && i < c->top; i++) {
		const struct bin_use *u = &bp->uses[i];
		struct rm_node *row;
		if (u->whole)
			break;
		row = bd_rm_obj(b, bins, NULL);
		fmt_addr(addr, sizeof(addr), u->addr);
		bd_rm_str(b, row, "address", addr);
		if (u->known)
			bd_rm_bytes(b, row, "size", u->size);
		else
			bd_rm_null(b, row, "size");
		bd_rm_label(bd_rm_bytes(b, row, "estimated_size", u->size), "size (est.)");
		bd_rm_label(bd_rm_bool(b, row, "in_dump", u->known), "in dump");
		bd_rm_uint(b, row, "slices", u->slices);
		bd_rm_label(bd_rm_bytes(b, row, "slice_bytes", u->slice_bytes), "slice bytes");
		bd_rm_label(bd_rm_uint(b, row, "processes", share_get(shares, u->addr)), "processes");
	}
}

static void bin_finding(struct leaks_ctx *c, const struct bin_proc *bp, uint64_t bin_total)
{
	struct bd_slice pid = bd_section_id(c->d, bp->section);
	struct bd_slice w = who(c, pid);
	double share = bin_total ? (double)bp->pinned_bytes / (double)bin_total : 0;
	char title[512], evidence[1024], pinned[32], used[32], whole[32], vheap[32];

	if (bp->pinned_bytes < BIN_FINDING_MIN ||
	    bp->pinned_bytes < BIN_FINDING_RATIO * bp->used_bytes)
		return;
	snprintf(title, sizeof(title),
		 "%.*s pins %s of refc binaries through %u small slices (%s)", (int)w.len, w.ptr,
		 fmt_bytes(pinned, sizeof(pinned), bp->pinned_bytes), bp->slices,
		 fmt_bytes(used, sizeof(used), bp->used_bytes));
	if (bp->n_hidden && bp->vheap_bytes != BD_UNSET)
		snprintf(evidence, sizeof(evidence),
			 "%u sub-binaries of %u binaries, %u of them with no =binary section "
			 "(reachable only through the slices); BinVHeap + OldBinVHeap %s, "
			 "minus %s held whole; %.0f%% of =memory binary",
			 bp->slices, bp->n_slice_only, bp->n_hidden,
			 fmt_bytes(vheap, sizeof(vheap), bp->vheap_bytes),
			 fmt_bytes(whole, sizeof(whole), bp->whole_bytes), share * 100);
	else
		snprintf(evidence, sizeof(evidence),
			 "%u sub-binaries of %u binaries whose sizes are in the dump; "
			 "%.0f%% of =memory binary",
			 bp->slices, bp->n_slice_only, share * 100);
	finding(c, "binary_slices",
		by_share_and_size(share, bp->pinned_bytes, BIN_HIGH_SHARE, BIN_HIGH_MIN,
				  BIN_CRITICAL_SHARE, BIN_CRITICAL_MIN),
		title, evidence,
		"copy each slice with binary:copy/1 before storing it (or keep only the "
		"fields needed), so that the large originals can be freed",
		&pid, 1);
}

/*
 * A snapshot lists every refc binary a process references, with its full
 * size, but not how much of it the process uses. Binaries only this
 * process references, many times its own memory, are held by it alone:
 * through small slices, or kept whole in its state.
 */
static void held_finding(struct leaks_ctx *c, const struct bin_proc *bp,
			 const struct share_map *shares, uint64_t bin_total)
{
	struct bd_slice pid = bd_section_id(c->d, bp->section);
	struct bd_slice w = who(c, pid);
	struct bd_section s;
	struct bd_proc proc;
	uint64_t own = 0;
	uint32_t n_own = 0;
	char title[512], evidence[1024], held[32], mem[32];

	for (size_t i = 0; i < bp->n_uses; i++)
		if (bp->uses[i].whole && share_get(shares, bp->uses[i].addr) == 1) {
			own += bp->uses[i].size;
			n_own++;
		}
	bd_section_get(c->d, bp->section, &s);
	bd_parse_proc_fields(&s, BD_PF_BIT(BD_PF_MEMORY), &proc);
	if (own < BIN_FINDING_MIN || proc.memory_bytes == BD_UNSET ||
	    own < BIN_FINDING_RATIO * proc.memory_bytes)
		return;
	double share = bin_total ? (double)own / (double)bin_total : 0;
	snprintf(title, sizeof(title), "%.*s alone holds %s of refc binaries, %.0f times its own memory",
		 (int)w.len, w.ptr, fmt_bytes(held, sizeof(held), own),
		 (double)own / (double)(proc.memory_bytes ? proc.memory_bytes : 1));
	snprintf(evidence, sizeof(evidence),
		 "its binary list names %u binaries that no other process read references "
		 "(%s in all), while its memory is %s; %.0f%% of =memory binary",
		 n_own, held, fmt_bytes(mem, sizeof(mem), proc.memory_bytes), share * 100);
	finding(c, "binary_held",
		by_share_and_size(share, own, BIN_HIGH_SHARE, BIN_HIGH_MIN, BIN_CRITICAL_SHARE,
				  BIN_CRITICAL_MIN),
		title, evidence,
		"see what it keeps: small slices of large binaries pin the originals (copy them "
		"with binary:copy/1 before storing); whole binaries kept in state stay until dropped",
		&pid, 1);
}

static void free_bin_procs(struct bin_proc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bd_free(v[i].uses);
	bd_free(v);
}

static enum bd_status add_binaries(struct leaks_ctx *c, struct rm_node *root,
				   struct bd_error *err)
{
	struct bd_dump *d = c->d;
	const struct bd_bin_index *bi;
	struct bin_scan s;
	struct share_map shares;
	struct bin_proc *procs = NULL;
	size_t n_procs = 0;
	size_t n_scan = c->bins.n < BIN_SCAN_MAX ? c->bins.n : BIN_SCAN_MAX;
	size_t shown = 0;
	uint64_t bin_total = bd_memory_bytes(d, "binary");
	struct rm_node *arr, *info;
	enum bd_status rc = BD_OK;

	memset(&s, 0, sizeof(s));
	memset(&shares, 0, sizeof(shares));
	info = bd_rm_label(bd_rm_obj(c->b, root, "binary_scan"), "Binaries");
	bd_rm_flags(info, RM_NOTEXT);
	bd_rm_bool(c->b, info, "bin_vheap_in_dump", c->has_bin_vheap);
	bd_rm_uint(c->b, info, "candidates", c->bins.n);
	bd_rm_uint(c->b, info, "read", n_scan);
	bd_rm_uint(c->b, info, "min_bytes", BIN_SCAN_MIN);
	if (!c->has_bin_vheap && c->n_procs)
		bd_rm_label(bd_rm_str(c->b, root, "binary_note",
				"the dump has no BinVHeap figures (written from OTP 21 on): "
				"binaries held through slices are not looked for"),
			 "binaries");
	arr = bd_rm_flags(bd_rm_label(bd_rm_arr(c->b, root, "binary_leaks"),
				"Refc binaries pinned by small slices"), RM_BLOCKS);
	if (!n_scan)
		return BD_OK;
	sort_procs(c->d, &c->bins);
	bi = bd_dump_binaries(d);
	if (!bi)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory indexing binaries");
	procs = bd_calloc(n_scan, sizeof(*procs));
	if (!procs)
		goto oom;
	for (size_t k = 0; k < n_scan; k++) {
		const struct cand *cd = &c->bins.v[k];
		struct bd_proc_sections sect;
		struct bin_proc *bp = &procs[n_procs];
		bd_dump_proc_sections_at(c->d, cd->section, &sect);
		if (sect.heap == BD_NO_SECTION)
			continue;
		s.n_objs = s.n_subs = s.n_uses = 0;
		if (!collect_bins(body_of(d, sect.heap), &s) || !classify_bins(d, bi, &s))
			goto oom;
		bp->section = cd->section;
		bp->pid_key = cd->pid_key;
		bp->vheap_bytes = cd->key * c->ws;
		settle_bins(bp, &s, c->ws);
		n_procs++;
		for (size_t i = 0; i < bp->n_uses; i++)
			if (!share_add(&shares, bp->uses[i].addr))
				goto oom;
	}
	if (n_procs)
		bd_sort(procs, n_procs, sizeof(*procs), bin_proc_cmp);
	if (bd_is_snapshot(d))
		for (size_t k = 0; k < n_procs; k++)
			held_finding(c, &procs[k], &shares, bin_total);
	for (size_t k = 0; k < n_procs; k++) {
		const struct bin_proc *bp = &procs[k];
		if (!bp->n_slice_only || bp->pinned_bytes <= bp->used_bytes)
			continue;
		if (shown < c->top) {
			bin_row(c, arr, bp, &shares);
			shown++;
		}
		bin_finding(c, bp, bin_total);
	}
	goto out;
oom:
	rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory reading binaries");
out:
	free_bin_procs(procs, procs ? n_scan : 0);
	bd_free(s.objs);
	bd_free(s.subs);
	bd_free(s.uses);
	bd_free(shares.addr);
	bd_free(shares.count);
	return rc;
}

/* ------------------------------------------------------------ mailboxes */

/* "current < caller < ..." : the current function, then the innermost return addresses. */
static void stuck_in(struct bd_buf *out, struct bd_slice current, struct bd_slice stack)
{
	struct bd_slice line;
	size_t shown = 0;

	bd_buf_add(out, current.ptr, current.len);
	while (shown < FRAMES_SHOWN && bd_slice_next_line(&stack, &line)) {
		const char *colon = memchr(line.ptr, ':', line.len);
		struct bd_slice value, fn;
		if (!colon)
			continue;
		value = bd_slice_make(colon + 1, (size_t)(line.ptr + line.len - colon - 1));
		if (!bd_slice_starts(value, "SReturn addr "))
			continue;
		fn = bd_where_function(value);
		/* frame-pointer builds add "unknown function" entries; the end is not a caller */
		if (!fn.len || bd_slice_eq(fn, "unknown function") || fn.ptr[0] == '<')
			continue;
		if (out->len)
			bd_buf_addstr(out, " < ");
		bd_buf_add(out, fn.ptr, fn.len);
		shown++;
	}
}

struct mq_facts {
	uint64_t sampled;
	uint64_t words;
	uint64_t missing;
	bool all;           /* every listed message was read */
};

/*
 * Size and shape the first `cap` messages, oldest first. The heap holds
 * their objects in that order, so walking them in order (size, then shape
 * from the same start) resolves almost every pointer from the hint, and
 * the heap is never indexed.
 */
static enum bd_status read_queue(struct leaks_ctx *c, const struct bd_proc_sections *sect,
				 uint64_t cap, struct bd_histogram *t, struct mq_facts *f,
				 struct bd_error *err)
{
	struct bd_heap heap;
	struct bd_resolve_hint hint;
	struct bd_term_ctx ctx;
	struct bd_slice rest = body_of(c->d, sect->messages);
	struct bd_buf shape = BD_BUF_INIT;
	struct bd_elem msg;
	enum bd_status rc = BD_OK;

	memset(&heap, 0, sizeof(heap));
	memset(&hint, 0, sizeof(hint));
	memset(f, 0, sizeof(*f));
	ctx.d = c->d;
	ctx.heap = &heap;
	ctx.literals = bd_dump_literals(c->d);
	ctx.hint = &hint;
	if (sect->heap != BD_NO_SECTION) {
		bd_heap_defer_section(&heap, sect->heap);
		hint.next[0] = body_of(c->d, sect->heap).ptr;
	}
	while (f->sampled < cap && bd_next_message(&rest, &msg, NULL)) {
		struct bd_term_size sz;
		struct bd_resolve_hint start = hint;
		rc = bd_term_size(&ctx, &msg, &sz, err);
		if (rc)
			goto out;
		f->words += sz.flat_words;
		f->missing += sz.n_missing;
		hint = start;
		bd_buf_reset(&shape);
		rc = bd_term_shape(&ctx, &msg, SHAPE_DEPTH, BD_SYNTAX_ERLANG, &shape, err);
		if (rc)
			goto out;
		if (!bd_histogram_add(t, shape.ptr, shape.len)) {
			rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot count message shapes");
			goto out;
		}
		f->sampled++;
	}
	f->all = !bd_next_message(&rest, &msg, NULL);
	if (heap.failed)
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory indexing a heap");
out:
	bd_buf_release(&shape);
	bd_heap_release(&heap);
	return rc;
}

/* {'$gen_cast',X} -> "X casts"; {'$gen_call',_,X} -> "X calls"; else "SHAPE messages". */
static void describe_shape(char *buf, size_t cap, const char *shape)
{
	size_t n = strlen(shape);

	if (strncmp(shape, "{'$gen_cast',", 13) == 0 && n > 14 && shape[n - 1] == '}')
		snprintf(buf, cap, "%.*s casts", (int)(n - 14), shape + 13);
	else if (strncmp(shape, "{'$gen_call',_,", 15) == 0 && n > 16 && shape[n - 1] == '}')
		snprintf(buf, cap, "%.*s calls", (int)(n - 16), shape + 15);
	else
		snprintf(buf, cap, "%s messages", shape);
}

static void mq_finding(struct leaks_ctx *c, struct bd_slice pid, uint64_t len,
		       const char *where, struct bd_slice current, const struct bd_histogram_entry *top,
		       uint64_t sampled, bool all, uint64_t bytes)
{
	struct bd_slice w = who(c, pid);
	enum bd_severity sev;
	char title[512], evidence[1024], action[1024], size[32], what[512];
	double share = top && sampled ? (double)top->count / (double)sampled : 0;

	if (len < MQ_WARNING)
		return;
	sev = len >= MQ_CRITICAL ? BD_SEV_CRITICAL : len >= MQ_HIGH ? BD_SEV_HIGH : BD_SEV_WARNING;
	if (top)
		snprintf(title, sizeof(title), "%.*s has %llu queued messages, %.0f%% %s",
			 (int)w.len, w.ptr, (unsigned long long)len, share * 100, top->text);
	else
		snprintf(title, sizeof(title), "%.*s has %llu queued messages", (int)w.len, w.ptr,
			 (unsigned long long)len);
	bool snapshot = bd_is_snapshot(c->d);
	if (snapshot)
		snprintf(evidence, sizeof(evidence),
			 "stuck in %s; a snapshot holds no message contents, so their size and "
			 "shapes are unknown", where);
	else if (all)
		snprintf(evidence, sizeof(evidence),
			 "stuck in %s; the %llu messages hold %s (flat size)", where,
			 (unsigned long long)sampled, fmt_bytes(size, sizeof(size), bytes));
	else
		snprintf(evidence, sizeof(evidence),
			 "stuck in %s; the queue holds about %s (flat size of the oldest %llu "
			 "messages, scaled to the queue length)",
			 where, fmt_bytes(size, sizeof(size), bytes), (unsigned long long)sampled);
	if (top) {
		describe_shape(what, sizeof(what), top->text);
		snprintf(action, sizeof(action),
			 "add back-pressure to the producers of %s (a call instead of a cast, or "
			 "a bounded queue), and see why %.*s is slow in %.*s",
			 what, (int)w.len, w.ptr, (int)current.len, current.ptr);
	} else {
		snprintf(action, sizeof(action),
			 "see why %.*s is slow in %.*s; its messages are not in the %s",
			 (int)w.len, w.ptr, (int)current.len, current.ptr,
			 snapshot ? "snapshot (sample them live with erlang:process_info(Pid, "
				    "messages) only if the queue is short)"
				  : "dump (exiting or sensitive process)");
	}
	finding(c, "mailbox", sev, title, evidence, action, &pid, 1);
}

static enum bd_status mailbox_row(struct leaks_ctx *c, struct rm_node *arr, const struct cand *cd,
				  uint64_t cap, uint64_t *budget, struct bd_error *err)
{
	struct rm_builder *b = c->b;
	struct bd_dump *d = c->d;
	struct bd_section s;
	struct bd_proc proc;
	struct bd_proc_sections sect;
	struct bd_histogram *t;
	struct mq_facts f;
	struct bd_buf where = BD_BUF_INIT;
	struct rm_node *o, *shapes;
	uint64_t words;
	enum bd_status rc;

	t = bd_calloc(1, sizeof(*t));
	if (!t || !bd_histogram_init(t, MAX_SHAPES)) {
		bd_free(t);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot count message shapes");
	}
	bd_section_get(d, cd->section, &s);
	bd_parse_proc(&s, &proc);
	bd_dump_proc_sections_at(c->d, cd->section, &sect);
	rc = read_queue(c, &sect, cap, t, &f, err);
	if (rc)
		goto out;
	*budget = *budget > f.sampled ? *budget - f.sampled : 0;
	stuck_in(&where, bd_proc_current_function(&proc), body_of(d, sect.stack));
	bd_histogram_sort(t);
	words = f.words;
	if (!f.all && f.sampled)
		words = (uint64_t)((double)f.words * ((double)proc.message_queue_len / (double)f.sampled));

	o = bd_rm_obj(b, arr, NULL);
	bd_rm_slice(b, o, "pid", s.id);
	bd_rm_name_label(b, o, d, s.id, proc.name);
	bd_rm_label(bd_rm_uint(b, o, "message_queue_len", proc.message_queue_len), "queue length");
	bd_rm_label(bd_rm_flags(bd_rm_slice_or_null(b, o, "current_function",
					   bd_proc_current_function(&proc)), RM_WIDE),
		 "current function");
	bd_rm_label(bd_rm_str(b, o, "stuck_in", where.ptr), "stuck in");
	bd_rm_slice_or_null(b, o, "state", proc.state);
	bd_rm_label(bd_rm_uint(b, o, "messages_read", f.sampled), "messages read");
	bd_rm_label(bd_rm_uint(b, o, "message_words", words), "words (flat)");
	bd_rm_label(bd_rm_bytes(b, o, "message_bytes", words * c->ws), "queue size");
	bd_rm_label(bd_rm_bool(b, o, "estimated", !f.all), "size estimated");
	if (f.missing)
		bd_rm_label(bd_rm_uint(b, o, "missing", f.missing), "pointers not in the dump");
	shapes = bd_rm_label(bd_rm_arr(b, o, "shapes"), "Message shapes");
	for (size_t i = 0; i < t->n && i < SHAPES_SHOWN; i++) {
		struct rm_node *row = bd_rm_obj(b, shapes, NULL);
		bd_rm_flags(bd_rm_str(b, row, "shape", t->slots[i].text), RM_FULL | RM_CODE);
		bd_rm_uint(b, row, "count", t->slots[i].count);
		bd_rm_ratio(b, row, "share", f.sampled ? (double)t->slots[i].count / (double)f.sampled : 0);
	}
	if (t->other)
		bd_rm_label(bd_rm_uint(b, o, "other_shapes", t->other), "messages of other shapes");
	mq_finding(c, s.id, proc.message_queue_len, where.ptr, bd_proc_current_function(&proc),
		   t->n ? &t->slots[0] : NULL, f.sampled, f.all, words * c->ws);
	if (where.oom)
		b->oom = true;
out:
	bd_buf_release(&where);
	bd_histogram_release(t);
	bd_free(t);
	return rc;
}

static enum bd_status add_mailboxes(struct leaks_ctx *c, struct rm_node *root, struct bd_error *err)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_label(bd_rm_arr(c->b, root, "mailboxes"),
						"Mailboxes, longest first"), RM_BLOCKS);
	uint64_t budget = MSG_SAMPLE_TOTAL;

	if (c->mq.n)
		sort_procs(c->d, &c->mq);
	for (size_t i = 0; i < c->mq.n && i < c->top; i++) {
		uint64_t cap = budget < MSG_SAMPLE_QUEUE ? budget : MSG_SAMPLE_QUEUE;
		enum bd_status rc;
		if (cap < MSG_SAMPLE_MIN)
			cap = MSG_SAMPLE_MIN;
		rc = mailbox_row(c, arr, &c->mq.v[i], cap, &budget, err);
		if (rc)
			return rc;
	}
	return BD_OK;
}

/* ------------------------------------------------------------------ ETS */

static enum bd_status add_ets(struct leaks_ctx *c, struct rm_node *root, struct bd_error *err)
{
	struct bd_dump *d = c->d;
	struct rm_builder *b = c->b;
	struct cand_list l = { NULL, 0, 0 };
	uint64_t total = bd_memory_bytes(d, "total");
	uint64_t all_words = 0;
	struct rm_node *arr;

	for (size_t i = bd_section_find(d, BD_SECT_ETS, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_ETS, i + 1)) {
		struct bd_section s;
		struct bd_ets e;
		bd_section_get(d, i, &s);
		bd_parse_ets(&s, &e);
		all_words += e.words;
		if (!cand_push(&l, (struct cand){ (uint32_t)i, e.words, 0 })) {
			bd_free(l.v);
			return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing ETS tables");
		}
	}
	if (l.n)
		bd_sort(l.v, l.n, sizeof(*l.v), cand_cmp);
	arr = bd_rm_label(bd_rm_arr(b, root, "ets"), "ETS tables, largest first");
	for (size_t k = 0; k < l.n && k < c->top; k++) {
		struct bd_section s;
		struct bd_ets e;
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		struct bd_slice name, owner_name;
		uint64_t bytes;
		bd_section_get(d, l.v[k].section, &s);
		bd_parse_ets(&s, &e);
		bytes = e.words * c->ws;
		name = bd_atom_text(b->arena, e.name);
		owner_name = name_of(c, e.owner);
		bd_rm_slice_or_null(b, o, "name", name);
		bd_rm_slice(b, o, "owner", e.owner);
		bd_rm_label(bd_rm_slice_or_null(b, o, "owner_name", owner_name), "owner name");
		bd_rm_flags(bd_rm_slice_or_null(b, o, "table", e.table), RM_NOTEXT);
		bd_rm_uint(b, o, "objects", e.objects);
		bd_rm_flags(bd_rm_uint(b, o, "words", e.words), RM_NOTEXT);
		bd_rm_label(bd_rm_bytes(b, o, "bytes", bytes), "memory");
		bd_rm_label(bd_rm_ratio(b, o, "share", total ? (double)bytes / (double)total : 0),
			 "of node memory");
		if (bytes >= ETS_FINDING_MIN && total &&
		    (double)bytes / (double)total >= ETS_WARNING_SHARE) {
			double share = (double)bytes / (double)total;
			char title[512], evidence[512], action[512], size[32];
			struct bd_slice ow = owner_name.len ? owner_name : e.owner;
			snprintf(title, sizeof(title), "ETS table %.*s holds %s, %.0f%% of node memory",
				 (int)name.len, name.ptr, fmt_bytes(size, sizeof(size), bytes),
				 share * 100);
			snprintf(evidence, sizeof(evidence),
				 "%llu objects, %llu words; owner %.*s; all tables: %llu words",
				 (unsigned long long)e.objects, (unsigned long long)e.words,
				 (int)ow.len, ow.ptr, (unsigned long long)all_words);
			snprintf(action, sizeof(action),
				 "find what inserts into %.*s without ever deleting; expire or cap its "
				 "entries (or delete the table when its owner is done with it)",
				 (int)name.len, name.ptr);
			finding(c, "ets_table", by_share(share, ETS_HIGH_SHARE, ETS_CRITICAL_SHARE),
				title, evidence, action, &e.owner, 1);
		}
	}
	bd_free(l.v);
	return BD_OK;
}

/* ---------------------------------------------------------------- atoms */

/*
 * The pattern of an atom as written in =atoms (quotes dropped): runs of
 * digits become <N>, runs of hex digits with a letter and a digit (4 or
 * more) become <X>, so that user_attr_17 and user_attr_200000 are one
 * pattern. Returns its length in out (cap bytes).
 */
static size_t atom_pattern(struct bd_slice a, char *out, size_t cap)
{
	size_t n = 0;

	if (a.len >= 2 && a.ptr[0] == '\'' && a.ptr[a.len - 1] == '\'')
		a = bd_slice_make(a.ptr + 1, a.len - 2);
	for (size_t i = 0; i < a.len && n + 4 <= cap;) {
		size_t j = i, digits = 0;
		while (j < a.len && bd_hex_digit(a.ptr[j]) >= 0) {
			digits += a.ptr[j] >= '0' && a.ptr[j] <= '9';
			j++;
		}
		if (digits && digits == j - i) {
			memcpy(out + n, "<N>", 3);
			n += 3;
			i = j;
		} else if (digits && j - i >= 4) {
			memcpy(out + n, "<X>", 3);
			n += 3;
			i = j;
		} else if (j > i) {
			/* letters a-f with at most a few digits: a word, digits still fold */
			for (; i < j && n + 4 <= cap; i++) {
				if (a.ptr[i] >= '0' && a.ptr[i] <= '9') {
					memcpy(out + n, "<N>", 3);
					n += 3;
					while (i + 1 < j && a.ptr[i + 1] >= '0' && a.ptr[i + 1] <= '9')
						i++;
				} else {
					out[n++] = a.ptr[i];
				}
			}
		} else {
			out[n++] = a.ptr[i++];
		}
	}
	return n;
}

/* The most common patterns of the whole atom table, with a few atoms of each. */
static void add_atom_patterns(struct leaks_ctx *c, struct rm_node *o, struct bd_histogram *h)
{
	struct bd_dump *d = c->d;
	struct rm_builder *b = c->b;
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, o, "patterns"), "Atom patterns (most atoms first)");
	struct rm_node *ex[64];
	size_t n_ex[64] = { 0 };
	size_t shown = 0;
	struct bd_slice rest, line;
	char buf[512];

	for (size_t i = 0; i < h->n && shown < c->top && shown < BD_ARRAY_SIZE(ex); i++) {
		struct rm_node *row = bd_rm_obj(b, arr, NULL);
		bd_rm_str(b, row, "pattern", h->slots[i].text);
		bd_rm_label(bd_rm_uint(b, row, "count", h->slots[i].count), "atoms");
		ex[shown++] = bd_rm_flags(bd_rm_arr(b, row, "examples"), RM_WIDE);
	}
	/* the examples: the newest atoms of each pattern, in a second pass */
	if (!shown || !bd_section_body(d, BD_SECT_ATOMS, &rest))
		return;
	while (bd_slice_next_line(&rest, &line)) {
		size_t len = atom_pattern(line, buf, sizeof(buf));
		for (size_t i = 0; i < shown; i++) {
			if (n_ex[i] >= ATOM_EXAMPLES || strlen(h->slots[i].text) != len ||
			    memcmp(h->slots[i].text, buf, len) != 0)
				continue;
			bd_rm_slice(b, ex[i], NULL, bd_atom_text(b->arena, line));
			n_ex[i]++;
			break;
		}
	}
}

/* How long until the atom table is full at rate atoms a second, as "3.2 hours". */
static void time_to_full(char *buf, size_t n, uint64_t left, double rate)
{
	double s = (double)left / rate;

	if (s < 3600)
		snprintf(buf, n, "%.0f minutes", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, n, "%.1f hours", s / 3600);
	else
		snprintf(buf, n, "%.0f days", s / 86400);
}

/*
 * A snapshot with --window counted atoms twice: atoms made while the node
 * runs steadily are data turned into atoms, which are never freed.
 */
static void add_atom_window(struct leaks_ctx *c, struct rm_node *o)
{
	const struct bd_snapshot_info *sn = &c->d->info.snapshot;
	struct rm_builder *b = c->b;
	uint64_t limit = c->d->atom_limit, made;
	double secs, rate;
	char title[256], evidence[512], full[64] = "";

	if (!sn->atoms_window_us || sn->atoms_after_window < sn->atoms_before_window)
		return;
	made = sn->atoms_after_window - sn->atoms_before_window;
	secs = (double)sn->atoms_window_us / 1e6;
	rate = (double)made / secs;
	struct rm_node *w = bd_rm_label(bd_rm_obj(b, o, "window"), "During the capture's window");
	bd_rm_label(bd_rm_uint(b, w, "ms", sn->atoms_window_us / 1000), "milliseconds");
	bd_rm_label(bd_rm_uint(b, w, "atoms_made", made), "atoms made");
	bd_rm_label(bd_rm_uint(b, w, "per_second", (uint64_t)(rate + 0.5)), "per second");
	if (made < ATOM_WINDOW_MIN)
		return;
	enum bd_severity sev = BD_SEV_WARNING;
	if (limit > sn->atoms_after_window) {
		double left_s = (double)(limit - sn->atoms_after_window) / rate;
		sev = left_s < 3600 ? BD_SEV_CRITICAL : left_s < 86400 ? BD_SEV_HIGH : BD_SEV_WARNING;
		time_to_full(full, sizeof(full), limit - sn->atoms_after_window, rate);
	}
	snprintf(title, sizeof(title), "%llu atoms made in %.1f s of running (%.0f a second)",
		 (unsigned long long)made, secs, rate);
	snprintf(evidence, sizeof(evidence),
		 "the atom count went from %llu to %llu during the capture's --window%s%s",
		 (unsigned long long)sn->atoms_before_window,
		 (unsigned long long)sn->atoms_after_window,
		 full[0] ? "; at this rate the table is full in " : "", full);
	finding(c, "atoms", sev, title, evidence,
		"atoms are never freed: find the code that makes atoms from data (list_to_atom/1, "
		"binary_to_atom/2, String.to_atom/1; a snapshot holds no atom names, a crash dump "
		"does) and use list_to_existing_atom/1 or keep the names as binaries",
		NULL, 0);
}

static void add_atoms(struct leaks_ctx *c, struct rm_node *root)
{
	struct bd_dump *d = c->d;
	struct rm_builder *b = c->b;
	struct rm_node *o = bd_rm_label(bd_rm_obj(b, root, "atoms"), "Atoms");
	struct rm_node *newest;
	struct bd_slice rest, line;
	struct bd_histogram h;
	size_t n_seen = 0;
	uint64_t count = d->info.atoms ? d->info.atoms : d->atom_entries;
	uint64_t limit = d->atom_limit;
	double usage = limit ? (double)count / (double)limit : 0;
	char buf[512];

	bd_rm_uint(b, o, "count", count);
	if (limit)
		bd_rm_uint(b, o, "limit", limit);
	else
		bd_rm_null(b, o, "limit");
	bd_rm_ratio(b, o, "usage", usage);
	newest = bd_rm_label(bd_rm_arr(b, o, "newest"), "Newest atoms (last created first)");
	if (!bd_histogram_init(&h, ATOM_PATTERNS_MAX)) {
		b->oom = true;
		return;
	}
	if (bd_section_body(d, BD_SECT_ATOMS, &rest)) {
		while (bd_slice_next_line(&rest, &line)) {
			if (n_seen++ < NEWEST_ATOMS)
				bd_rm_slice(b, newest, NULL, bd_atom_text(b->arena, line));
			if (!bd_histogram_add(&h, buf, atom_pattern(line, buf, sizeof(buf))))
				b->oom = true;
		}
	}
	bd_histogram_sort(&h);
	add_atom_patterns(c, o, &h);

	uint64_t top = h.n ? h.slots[0].count : 0;
	bool leak = top >= ATOM_PATTERN_MIN || count >= ATOM_TOTAL_MIN;
	if ((limit && usage >= ATOM_WARNING) || leak) {
		enum bd_severity sev = !limit || usage < ATOM_WARNING ? BD_SEV_WARNING :
				       usage >= ATOM_CRITICAL ? BD_SEV_CRITICAL :
				       usage >= ATOM_HIGH ? BD_SEV_HIGH : BD_SEV_WARNING;
		char title[384], evidence[1024], pattern[384] = "";
		if (top > 1 && top * 10 >= n_seen)
			snprintf(pattern, sizeof(pattern),
				 "; %llu of them are %.200s, a sign of list_to_atom or binary_to_atom "
				 "on generated names",
				 (unsigned long long)top, h.slots[0].text);
		if (limit && usage >= ATOM_WARNING)
			snprintf(title, sizeof(title), "the atom table is %.0f%% full (%llu of %llu)",
				 usage * 100, (unsigned long long)count, (unsigned long long)limit);
		else if (top >= ATOM_PATTERN_MIN)
			snprintf(title, sizeof(title), "%llu atoms are %.200s: atoms made from data",
				 (unsigned long long)top, h.slots[0].text);
		else
			snprintf(title, sizeof(title), "%llu atoms, %.0f times a fresh node's",
				 (unsigned long long)count, (double)count / 10000.0);
		snprintf(evidence, sizeof(evidence),
			 "%llu atoms (a fresh node has about 10 000), limit %llu (+t), %.1f%% used%s",
			 (unsigned long long)count, (unsigned long long)limit, usage * 100, pattern);
		finding(c, "atoms", sev, title, evidence,
			"atoms are never freed: find the code that makes atoms from data "
			"(list_to_atom/1, binary_to_atom/2, String.to_atom/1) and use "
			"list_to_existing_atom/1 or keep the names as binaries; raise +t only as a stopgap",
			NULL, 0);
	}
	bd_histogram_release(&h);
	add_atom_window(c, o);
}

/* ----------------------------------------------------------- allocators */

static void add_allocators(struct leaks_ctx *c, struct rm_node *root)
{
	struct bd_dump *d = c->d;
	struct rm_builder *b = c->b;
	struct bd_alloc_type types[ALLOC_MAX_TYPES];
	size_t n = 0;
	struct rm_node *arr;

	for (size_t i = bd_section_find(d, BD_SECT_ALLOCATOR, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_ALLOCATOR, i + 1)) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		n = bd_parse_allocator(&s, types, n, ALLOC_MAX_TYPES);
	}
	if (n)
		bd_sort(types, n, sizeof(types[0]), bd_alloc_type_cmp);
	arr = bd_rm_label(bd_rm_arr(b, root, "allocators"), "Allocators: carriers against blocks");
	for (size_t i = 0; i < n; i++) {
		const struct bd_alloc_type *t = &types[i];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		uint64_t tb = t->mbcs_blocks + t->sbcs_blocks + t->pool_blocks;
		uint64_t tc = t->mbcs_carriers + t->sbcs_carriers + t->pool_carriers;
		uint64_t mb = t->mbcs_blocks + t->pool_blocks;
		uint64_t mc = t->mbcs_carriers + t->pool_carriers;
		uint64_t unused = mc > mb ? mc - mb : 0;
		double mu = bd_ratio(mb, mc);
		bd_rm_str(b, o, "name", t->name);
		bd_rm_label(bd_rm_bytes(b, o, "blocks_bytes", tb), "blocks");
		bd_rm_label(bd_rm_bytes(b, o, "carriers_bytes", tc), "carriers");
		bd_rm_ratio(b, o, "usage", bd_ratio(tb, tc));
		bd_rm_flags(bd_rm_bytes(b, o, "mbcs_blocks_bytes", t->mbcs_blocks), RM_NOTEXT);
		bd_rm_flags(bd_rm_bytes(b, o, "mbcs_carriers_bytes", t->mbcs_carriers), RM_NOTEXT);
		bd_rm_label(bd_rm_ratio(b, o, "mbcs_usage", bd_ratio(t->mbcs_blocks, t->mbcs_carriers)),
			 "mbcs usage");
		bd_rm_flags(bd_rm_bytes(b, o, "sbcs_blocks_bytes", t->sbcs_blocks), RM_NOTEXT);
		bd_rm_flags(bd_rm_bytes(b, o, "sbcs_carriers_bytes", t->sbcs_carriers), RM_NOTEXT);
		bd_rm_label(bd_rm_ratio(b, o, "sbcs_usage", bd_ratio(t->sbcs_blocks, t->sbcs_carriers)),
			 "sbcs usage");
		bd_rm_label(bd_rm_bytes(b, o, "mbcs_unused_bytes", unused), "mbcs unused");
		if (mu < ALLOC_FRAG_USAGE && unused >= ALLOC_WARNING) {
			enum bd_severity sev = unused >= ALLOC_CRITICAL ? BD_SEV_CRITICAL :
					       unused >= ALLOC_HIGH ? BD_SEV_HIGH : BD_SEV_WARNING;
			char title[256], evidence[512], u1[32], u2[32], u3[32];
			bd_rm_format_bytes(u1, sizeof(u1), unused);
			snprintf(title, sizeof(title),
				 "%.40s is fragmented: %.31s of its multiblock carriers hold no blocks",
				 t->name, u1);
			snprintf(evidence, sizeof(evidence),
				 "mbcs carriers %s, blocks in them %s (usage %.0f%%), over %u instances",
				 fmt_bytes(u2, sizeof(u2), mc), fmt_bytes(u3, sizeof(u3), mb), mu * 100,
				 t->instances);
			finding(c, "allocator", sev, title, evidence,
				"memory freed inside carriers is not returned to the OS: look for "
				"long-lived small allocations spread over many carriers (recon_alloc:"
				"fragmentation/1 on the live node); try +M<S>as aobf or a smaller "
				"+M<S>lmbcs for this allocator",
				NULL, 0);
		}
	}
}

/* ---------------------------------------------------------------- heaps */

/* Words of one heap object, from its line (crash-dump-format.md 3.4). */
static uint64_t line_words(const char *p, const char *e, unsigned ws)
{
	uint64_t v = 0;
	size_t n;

	if (p >= e)
		return 1;
	switch (p[0]) {
	case 'l':
		return 2;
	case 't':
		return bd_hex_prefix(p + 1, e, &v) ? v + 1 : 1;
	case 'F':
		return ws == 8 ? 2 : 3;
	case 'B':
		/* decimal digits: 3.33 bits each */
		n = (size_t)(e - p - 1);
		return 1 + ((uint64_t)n * 10 / 3 + ws * 8 - 1) / (ws * 8);
	case 'Y':
		if (p + 1 < e && p[1] == 'h' && bd_hex_prefix(p + 2, e, &v))
			return 2 + (v + ws - 1) / ws;
		return 6;
	case 'M':
		n = p + 1 < e ? bd_hex_prefix(p + 2, e, &v) : 0;
		if (!n)
			return 1;
		if (p[1] == 'f')
			return v + 3;
		if (p[1] == 'n')
			return v + 1;
		/* Mh<map size>:<n>: */
		if (p + 2 + n < e && p[2 + n] == ':' && bd_hex_prefix(p + 3 + n, e, &v))
			return v + 2;
		return 1;
	case 'P':
	case 'p':
		return 4;
	case 'E':
	case 'R':
		return 3;
	default:
		return 1;
	}
}

/*
 * Words of the objects in a heap section: what the dump reached from the
 * stack, the messages and the dictionary, so an estimate of the live
 * data. Stops once past `stop` words.
 */
static uint64_t reachable_words(struct bd_slice body, unsigned ws, uint64_t stop)
{
	const char *p = body.ptr;
	const char *end = p + body.len;
	uint64_t words = 0;

	while (p < end && words <= stop) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		uint64_t addr;
		size_t n = bd_hex_prefix(p, e, &addr);
		if (n && p + n < e && p[n] == ':')
			words += line_words(p + n + 1, e, ws);
		p = nl ? nl + 1 : end;
	}
	return words;
}

static void add_heaps(struct leaks_ctx *c, struct rm_node *root)
{
	struct bd_dump *d = c->d;
	struct rm_builder *b = c->b;
	uint64_t procs_total = bd_memory_bytes(d, "processes");
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, root, "garbage_heaps"),
				       "Heaps mostly free or garbage");
	size_t read = 0;
	size_t shown = 0;

	if (c->heaps.n)
		sort_procs(c->d, &c->heaps);
	for (size_t k = 0; k < c->heaps.n && read < HEAP_SCAN_MAX; k++) {
		const struct cand *cd = &c->heaps.v[k];
		struct bd_section s;
		struct bd_proc p;
		struct bd_proc_sections sect;
		uint64_t heap_words = cd->key;
		uint64_t live, unused, waste;
		struct rm_node *o;

		bd_section_get(d, cd->section, &s);
		bd_parse_proc(&s, &p);
		/*
		 * Only when every root is in the dump: x registers are not
		 * (a hibernated process keeps its state there), nor is the
		 * heap of an exiting or garbing process.
		 */
		if (p.arity != 0 || !bd_slice_eq(p.state, "Waiting"))
			continue;
		bd_dump_proc_sections_at(c->d, cd->section, &sect);
		if (sect.heap == BD_NO_SECTION)
			continue;
		read++;
		live = reachable_words(body_of(d, sect.heap), c->ws, heap_words / HEAP_GARBAGE_RATIO);
		/* nothing reachable in the dump is no measure of the live data */
		if (live == 0 || live * HEAP_GARBAGE_RATIO > heap_words)
			continue;
		unused = (p.heap_unused_words != BD_UNSET ? p.heap_unused_words : 0) +
			 (p.old_heap_unused_words != BD_UNSET ? p.old_heap_unused_words : 0);
		waste = (heap_words - live) * c->ws;
		if (shown >= c->top)
			continue;
		shown++;
		o = bd_rm_obj(b, arr, NULL);
		bd_rm_slice(b, o, "pid", s.id);
		bd_rm_name_label(b, o, c->d, s.id, p.name);
		bd_rm_label(bd_rm_bytes(b, o, "heap_bytes", heap_words * c->ws), "heap");
		bd_rm_label(bd_rm_bytes(b, o, "reachable_bytes", live * c->ws), "reachable");
		bd_rm_label(bd_rm_bytes(b, o, "unused_bytes", unused * c->ws), "free");
		bd_rm_label(bd_rm_bytes(b, o, "old_heap_bytes",
				  (p.old_heap_words != BD_UNSET ? p.old_heap_words : 0) * c->ws),
			 "old heap");
		bd_rm_label(bd_rm_bytes(b, o, "wasted_bytes", waste), "free or garbage");
		bd_rm_label(bd_rm_flags(bd_rm_slice_or_null(b, o, "current_function",
						   bd_proc_current_function(&p)), RM_WIDE),
			 "current function");
		if (waste >= HEAP_FINDING_MIN) {
			double share = procs_total ? (double)waste / (double)procs_total : 0;
			struct bd_slice w = who(c, s.id);
			uint64_t garbage = heap_words - live > unused ? heap_words - live - unused : 0;
			char title[512], evidence[512], s1[32], s2[32];
			bool mostly_free = unused >= garbage;
			snprintf(title, sizeof(title), "%.*s holds a %s heap but reaches only %s of it",
				 (int)w.len, w.ptr, fmt_bytes(s1, sizeof(s1), heap_words * c->ws),
				 fmt_bytes(s2, sizeof(s2), live * c->ws));
			bd_rm_format_bytes(s1, sizeof(s1), unused * c->ws);
			bd_rm_format_bytes(s2, sizeof(s2), garbage * c->ws);
			snprintf(evidence, sizeof(evidence),
				 "Stack+heap + OldHeap = %llu words; the dump reaches about %llu words "
				 "from the stack, messages and dictionary; free (Heap unused + OldHeap "
				 "unused) %s, garbage %s",
				 (unsigned long long)heap_words, (unsigned long long)live, s1, s2);
			finding(c, "garbage_heap",
				by_share_and_size(share, waste, HEAP_HIGH_SHARE, HEAP_HIGH_MIN,
						  HEAP_CRITICAL_SHARE, HEAP_CRITICAL_MIN),
				title, evidence,
				mostly_free ? "the heap grew for a burst and stayed large: "
					      "hibernate the process when idle, or call "
					      "erlang:garbage_collect/1 after the burst"
					    : "garbage waits for the next collection: call "
					      "erlang:garbage_collect/1 after large transient work, or lower "
					      "fullsweep_after (spawn_opt/process_flag) when it sits in the "
					      "old heap",
				&s.id, 1);
		}
	}
}

/* ----------------------------------------------------------------- main */

static void add_memory(struct leaks_ctx *c, struct rm_node *root)
{
	static const char *const keys[] = { "total", "processes", "binary", "ets", "atom" };
	struct rm_node *o = bd_rm_label(bd_rm_obj(c->b, root, "memory"), "Node memory (=memory)");

	for (size_t i = 0; i < BD_ARRAY_SIZE(keys); i++)
		bd_rm_label(bd_rm_bytes(c->b, o, keys[i], bd_memory_bytes(c->d, keys[i])), keys[i]);
}

BD_API enum bd_status bd_report_leaks(struct bd_dump *d, const struct bd_leaks_opts *opts,
				      struct bd_report **out, struct bd_error *err)
{
	struct leaks_ctx c;
	struct bd_report *r;
	struct rm_node *findings;
	enum bd_status rc;

	*out = NULL;
	r = bd_report_new("beamdump leaks", d);
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.b = &r->b;
	c.top = opts && opts->top ? opts->top : DEFAULT_TOP;
	c.ws = d->info.word_size ? d->info.word_size : 8;
	bd_findings_init(&c.findings, &r->arena);
	add_memory(&c, r->root);
	/* first in the output, filled last */
	findings = bd_rm_flags(bd_rm_arr(c.b, r->root, "findings"), RM_BLOCKS);
	rc = scan(&c, err);
	if (!rc)
		rc = add_binaries(&c, r->root, err);
	if (!rc)
		rc = add_mailboxes(&c, r->root, err);
	if (!rc)
		rc = add_ets(&c, r->root, err);
	if (!rc) {
		add_atoms(&c, r->root);
		add_allocators(&c, r->root);
		add_heaps(&c, r->root);
		bd_findings_rank(&c.findings);
		if (bd_report_findings(r, findings, &c.findings) || c.b->oom)
			rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
				     "out of memory building the report");
	}
	bd_free(c.mq.v);
	bd_free(c.bins.v);
	bd_free(c.heaps.v);
	bd_free(c.names);
	bd_findings_release(&c.findings);
	if (rc) {
		bd_report_free(r);
		return rc;
	}
	*out = r;
	return BD_OK;
}
