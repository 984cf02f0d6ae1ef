/*
 * Inventory reports: summary, procs, ets and alloc. They read the index and
 * the section parsers and fill the report model; nothing here prints.
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "analyze/tree.h"

#include <stdlib.h>
#include <strings.h>

/* ------------------------------------------------------------- threads */

/*
 * Reports that read every process split the work into parts over
 * contiguous runs of the section index, one thread a part. Each part has
 * its own state and the parts are merged in order, so the results never
 * depend on how many threads ran.
 */
#define MAX_PARTS 8

/* Fewer sections than this are read by one thread: starting threads costs more. */
#ifndef PARALLEL_MIN
#define PARALLEL_MIN 4096
#endif

/* Threads worth starting for `items` sections of work. */
static size_t parts_for(const struct bd_dump *d, size_t items)
{
	if (items < PARALLEL_MIN)
		return 1;
	return d->threads > MAX_PARTS ? MAX_PARTS : d->threads;
}


/* Cut the sections of a kind into `parts` runs of about equal bytes; bounds[parts + 1]. */
static size_t split_kind(const struct bd_dump *d, enum bd_sect kind, size_t parts, size_t *bounds)
{
	size_t first = bd_section_find(d, kind, 0);
	size_t last = d->index.n;
	uint64_t lo_off;
	uint64_t hi_off;
	struct bd_section s;

	while (last > first && bd_index_kind(&d->index, last - 1) != kind)
		last--;
	if (first >= last)
		parts = 1;
	bounds[0] = first;
	bounds[parts] = last > first ? last : first;
	if (parts == 1)
		return 1;
	bd_section_get(d, first, &s);
	lo_off = s.off;
	bd_section_get(d, last - 1, &s);
	hi_off = s.off + s.header.len + s.body.len;
	for (size_t p = 1; p < parts; p++) {
		uint64_t want = lo_off + (hi_off - lo_off) / parts * p;
		size_t a = bounds[p - 1];
		size_t b = last;
		/* first section at or after `want` */
		while (a < b) {
			size_t mid = a + (b - a) / 2;
			bd_section_get(d, mid, &s);
			if (s.off < want)
				a = mid + 1;
			else
				b = mid;
		}
		bounds[p] = a;
	}
	return parts;
}

/* ------------------------------------------------------------- stacks */

/*
 * pid -> its first =proc_stack section: open addressing, 1.5 slots a
 * stack. A slot keeps 32 bits of the pid's hash, so a probe reads the dump
 * only on a likely match. The map is built in two steps, both split into
 * parts: the stacks' hashes are computed over runs of the dump, then each
 * part fills one region of the table (cut by the hash) from them, in dump
 * order as a single pass would: the first section of a pid wins either
 * way, and a region is small enough to stay in cache while it fills. A
 * region that fills up (hashes that do not spread) makes the map fall back
 * to one region.
 */
struct stack_slot {
	uint32_t section; /* section index + 1; 0 = empty */
	uint32_t hash;
};

struct bd_stack_map {
	const struct bd_dump *d;
	struct stack_slot *slots;
	size_t cap;
	unsigned region_bits;
	bool unique;       /* no pid has two stacks */
};

struct stack_fill {
	struct bd_stack_map *m;
	size_t lo, hi;     /* hashing: the section index range ... */
	size_t first;      /* ... and the number of stacks before it */
	uint64_t *hashes;  /* of every stack, in dump order */
	uint32_t *sections;
	size_t n;
	size_t region;     /* filling: this region */
	bool full;
	bool dup;
};

static struct bd_slice section_id(const struct bd_dump *d, size_t i)
{
	struct bd_section s;

	bd_section_get(d, i, &s);
	return s.id;
}

/*
 * The id and body of section i as bd_section_get gives them, read straight
 * from the header line when it starts with tag ("=proc:<0.1.0>"): the
 * id runs to the line end, less one CR before it.
 */
static void section_id_body(const struct bd_dump *d, size_t i, const char *tag,
			    struct bd_slice *id, struct bd_slice *body)
{
	const char *end = d->in.data + d->in.size;
	const char *p = d->in.data + bd_index_off(&d->index, i);
	const char *next = i + 1 < d->index.n ? d->in.data + bd_index_off(&d->index, i + 1) : end;
	size_t tag_len = strlen(tag);
	const char *q;

	if ((size_t)(next - p) < tag_len || memcmp(p, tag, tag_len) != 0) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		*id = s.id;
		*body = s.body;
		return;
	}
	p += tag_len;
	/* a header line ends before the next section, or at the end of the dump */
	q = memchr(p, '\n', (size_t)(next - p));
	if (q) {
		*body = bd_slice_make(q + 1, (size_t)(next - q - 1));
	} else {
		q = next;
		*body = bd_slice_make(next, 0);
	}
	if (q > p && q[-1] == '\r')
		q--;
	*id = bd_slice_make(p, (size_t)(q - p));
}

static uint64_t stack_id_hash(const struct bd_dump *d, size_t i, struct bd_slice *id)
{
	struct bd_slice body;

	section_id_body(d, i, "=proc_stack:", id, &body);
	return bd_hash_slice(*id);
}

static bool same_id(const struct bd_dump *d, size_t i, struct bd_slice pid)
{
	struct bd_slice id = section_id(d, i);

	return id.len == pid.len && memcmp(id.ptr, pid.ptr, pid.len) == 0;
}

/*
 * The slot of a pid (hash h): its stack's, or the empty one where it would
 * go. The pid is *pid, or if pid->ptr is NULL the id of section id_of, read
 * only when a slot's hash matches.
 */
static struct stack_slot *stack_slot(const struct bd_stack_map *m, struct bd_slice *pid,
				     size_t id_of, uint64_t h)
{
	size_t region_cap = m->cap >> m->region_bits;
	uint64_t high = h >> 32;
	struct stack_slot *region = m->slots + (size_t)(high & ((1u << m->region_bits) - 1)) * region_cap;
	size_t i = (size_t)((high * region_cap) >> 32);

	while (region[i].section) {
		if (region[i].hash == (uint32_t)h) {
			if (!pid->ptr)
				*pid = section_id(m->d, id_of);
			if (same_id(m->d, region[i].section - 1, *pid))
				break;
		}
		if (++i == region_cap)
			i = 0;
	}
	return &region[i];
}

/* The first =proc_stack section of pid, or SIZE_MAX. */
static size_t stack_find(const struct bd_stack_map *m, struct bd_slice pid)
{
	uint32_t section = stack_slot(m, &pid, 0, bd_hash_slice(pid))->section;

	return section ? (size_t)section - 1 : SIZE_MAX;
}

static void stack_hash(void *parts, size_t part)
{
	struct stack_fill *f = (struct stack_fill *)parts + part;
	const struct bd_dump *d = f->m->d;
	size_t k = f->first;

	for (size_t i = bd_section_find(d, BD_SECT_PROC_STACK, f->lo); i < f->hi;
	     i = bd_section_find(d, BD_SECT_PROC_STACK, i + 1)) {
		struct bd_slice id;
		f->hashes[k] = stack_id_hash(d, i, &id);
		f->sections[k++] = (uint32_t)i;
	}
}

static void stack_fill(void *parts, size_t part)
{
	struct stack_fill *f = (struct stack_fill *)parts + part;
	struct bd_stack_map *m = f->m;
	size_t region_cap = m->cap >> m->region_bits;
	uint64_t mask = ((uint64_t)1 << m->region_bits) - 1;
	size_t used = 0;

	for (size_t k = 0; k < f->n; k++) {
		uint64_t h = f->hashes[k];
		if (((h >> 32) & mask) != f->region)
			continue;
		struct bd_slice id = { NULL, 0 };
		struct stack_slot *slot = stack_slot(m, &id, f->sections[k], h);
		if (slot->section) {
			f->dup = true;
			continue;
		}
		if (++used >= region_cap) {
			f->full = true;
			return;
		}
		slot->section = f->sections[k] + 1;
		slot->hash = (uint32_t)h;
	}
}

struct bd_stack_map *bd_stack_map_new(const struct bd_dump *d)
{
	struct bd_stack_map *m = bd_calloc(1, sizeof(*m));
	size_t n = d->index.count[BD_SECT_PROC_STACK];
	size_t parts = parts_for(d, n);
	size_t bounds[MAX_PARTS + 1];
	struct stack_fill fills[MAX_PARTS];
	uint64_t *hashes = NULL;
	uint32_t *sections = NULL;
	size_t regions;
	bool full = false;

	if (!m)
		return NULL;
	m->d = d;
	m->unique = true;
	while (((size_t)2 << m->region_bits) <= parts)
		m->region_bits++;
	regions = (size_t)1 << m->region_bits;
	/* one region always has room for every stack, with an empty slot left */
	m->cap = (n + n / 2 + 16) / regions * regions;
	m->slots = bd_calloc(m->cap, sizeof(*m->slots));
	hashes = bd_calloc(n ? n : 1, sizeof(*hashes));
	sections = bd_calloc(n ? n : 1, sizeof(*sections));
	if (!m->slots || !hashes || !sections || d->index.n >= UINT32_MAX) {
		bd_free(hashes);
		bd_free(sections);
		bd_stack_map_free(m);
		return NULL;
	}
	memset(fills, 0, sizeof(fills));
	parts = split_kind(d, BD_SECT_PROC_STACK, parts, bounds);
	for (size_t p = 0; p < MAX_PARTS; p++) {
		fills[p].m = m;
		fills[p].hashes = hashes;
		fills[p].sections = sections;
		fills[p].n = n;
		fills[p].region = p;
	}
	for (size_t p = 0; p < parts; p++) {
		fills[p].lo = bounds[p];
		fills[p].hi = bounds[p + 1];
		if (p + 1 < parts) {
			fills[p + 1].first = fills[p].first;
			for (size_t i = bounds[p]; i < bounds[p + 1]; i++)
				fills[p + 1].first += bd_index_kind(&d->index, i) == BD_SECT_PROC_STACK;
		}
	}
	bd_parallel(parts, d->threads, stack_hash, fills);
	bd_parallel(regions, d->threads, stack_fill, fills);
	for (size_t p = 0; p < regions; p++) {
		full |= fills[p].full;
		m->unique &= !fills[p].dup;
	}
	if (full) {
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
		m->region_bits = 0;
		fills[0].region = 0;
		fills[0].full = false;
		fills[0].dup = false;
		stack_fill(fills, 0);
		m->unique = !fills[0].dup;
	}
	bd_free(hashes);
	bd_free(sections);
	return m;
}

void bd_stack_map_free(struct bd_stack_map *m)
{
	if (!m)
		return;
	bd_free(m->slots);
	bd_free(m);
}

uint64_t bd_stack_words(const struct bd_stack_map *m, struct bd_slice pid)
{
	struct bd_section s;
	size_t i;

	if (!m)
		return BD_UNSET;
	i = stack_find(m, pid);
	if (i == SIZE_MAX)
		return BD_UNSET;
	bd_section_get(m->d, i, &s);
	return bd_count_lines(s.body);
}

/* One line a stack slot. */
uint64_t bd_count_lines(struct bd_slice body)
{
	const char *p = body.ptr;
	const char *end = p + body.len;
	uint64_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	if (body.len && body.ptr[body.len - 1] != '\n')
		n++;
	return n;
}

/* ------------------------------------------------------------ summary */

static void add_memory(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *mem = bd_rm_obj(b, root, "memory");
	struct bd_slice rest;
	struct bd_slice line;

	if (!bd_section_body(d, BD_SECT_MEMORY, &rest))
		return;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		uint64_t n;
		if (!bd_slice_split_kv(line, &k, &v) || !bd_parse_u64(bd_slice_trim(v), &n))
			continue;
		char *key = bd_arena_strndup(b->arena, k.ptr, k.len);
		if (!key) {
			b->oom = true;
			return;
		}
		bd_rm_bytes(b, mem, key, n);
	}
}

/* =loaded_modules: code sizes in bytes. */
static void add_loaded_code(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *o = bd_rm_obj(b, root, "loaded_code");
	struct bd_slice rest;
	struct bd_slice line;
	uint64_t cur = 0;
	uint64_t old = 0;
	bool seen = false;

	if (bd_section_body(d, BD_SECT_LOADED_MODULES, &rest)) {
		while (bd_slice_next_line(&rest, &line)) {
			struct bd_slice k;
			struct bd_slice v;
			if (!bd_slice_split_kv(line, &k, &v))
				continue;
			if (bd_slice_eq(k, "Current code"))
				seen = bd_parse_u64(bd_slice_trim(v), &cur);
			else if (bd_slice_eq(k, "Old code"))
				bd_parse_u64(bd_slice_trim(v), &old);
		}
	}
	bd_rm_uint(b, o, "modules", d->index.count[BD_SECT_MOD]);
	if (seen) {
		bd_rm_label(bd_rm_bytes(b, o, "current_bytes", cur), "current code");
		bd_rm_label(bd_rm_bytes(b, o, "old_bytes", old), "old code");
	} else {
		bd_rm_label(bd_rm_null(b, o, "current_bytes"), "current code");
		bd_rm_label(bd_rm_null(b, o, "old_bytes"), "old code");
	}
}

/* =allocated_areas: "name: allocated [used]" in bytes (format doc 6.4). */
static void add_allocated_areas(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *arr = bd_rm_arr(b, root, "allocated_areas");
	struct bd_slice rest;
	struct bd_slice line;

	if (!bd_section_body(d, BD_SECT_ALLOCATED_AREAS, &rest))
		return;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		uint64_t allocated = 0;
		uint64_t used = 0;
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		v = bd_slice_trim(v);
		const char *sp = memchr(v.ptr, ' ', v.len);
		struct bd_slice first = bd_slice_make(v.ptr, sp ? (size_t)(sp - v.ptr) : v.len);
		if (!bd_parse_u64(first, &allocated))
			continue;
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_rm_slice(b, o, "name", k);
		bd_rm_label(bd_rm_bytes(b, o, "allocated_bytes", allocated), "allocated");
		if (sp && bd_parse_u64(bd_slice_trim(bd_slice_make(sp, v.len - (size_t)(sp - v.ptr))), &used))
			bd_rm_label(bd_rm_bytes(b, o, "used_bytes", used), "used");
		else
			bd_rm_label(bd_rm_null(b, o, "used_bytes"), "used");
	}
}

static void add_diagnostics(struct rm_builder *b, struct rm_node *root, const struct bd_dump *d)
{
	struct rm_node *arr = bd_rm_arr(b, root, "diagnostics");

	for (size_t i = 0; i < d->n_diags; i++) {
		const struct bd_diagnostic *dg = &d->diags[i];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_rm_uint(b, o, "offset", dg->offset);
		bd_rm_flags(bd_rm_slice(b, o, "section", bd_slice_make(dg->section, strlen(dg->section))), RM_WIDE);
		bd_rm_flags(bd_rm_slice(b, o, "message", bd_slice_make(dg->message, strlen(dg->message))), RM_WIDE);
	}
	if (d->n_diags_dropped) {
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_rm_null(b, o, "offset");
		bd_rm_slice(b, o, "section", BD_SLICE_LIT(""));
		bd_rm_str(b, o, "message", "more diagnostics were dropped");
	}
}

static struct bd_slice cstr(const char *s)
{
	return bd_slice_make(s, strlen(s));
}

static void add_dump_info(struct rm_builder *b, struct rm_node *root, const struct bd_dump *d)
{
	const struct bd_dump_info *in = &d->info;
	struct rm_node *o = bd_rm_obj(b, root, "dump");

	bd_rm_flags(bd_rm_slice(b, o, "slogan", cstr(in->slogan)), RM_MULTILINE);
	bd_rm_slice(b, o, "time", cstr(in->time));
	bd_rm_slice_or_null(b, o, "node", bd_atom_text(b->arena, cstr(in->node)));
	bd_rm_slice(b, o, "system_version", cstr(in->system_version));
	bd_rm_slice_or_null(b, o, "otp_release", cstr(in->otp_release));
	bd_rm_slice_or_null(b, o, "erts_version", cstr(in->erts_version));
	bd_rm_uint(b, o, "word_size", in->word_size);
	bd_rm_slice(b, o, "file", cstr(in->file));
	bd_rm_bytes(b, o, "bytes", in->bytes);
	bd_rm_bool(b, o, "gzipped", in->gzipped);
	bd_rm_slice(b, o, "compression", cstr(in->compression[0] ? in->compression : "none"));
	bd_rm_slice(b, o, "dump_version", cstr(in->dump_version));
	bd_rm_slice_or_null(b, o, "taints", cstr(in->taints));
	bd_rm_slice_or_null(b, o, "calling_thread", cstr(in->calling_thread));
	bd_rm_bool(b, o, "truncated", in->truncated);
	bd_rm_slice_or_null(b, o, "truncation_reason", cstr(in->truncation_reason));
	bd_rm_slice_or_null(b, o, "truncated_in", cstr(in->truncated_in));
}

static void add_schedulers(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *arr = bd_rm_arr(b, root, "schedulers");

	for (size_t i = 0; i < d->index.n; i++) {
		struct bd_section s;
		struct bd_scheduler sc;
		const char *type;
		enum bd_sect kind = bd_index_kind(&d->index, i);
		if (kind == BD_SECT_SCHEDULER)
			type = "normal";
		else if (kind == BD_SECT_DIRTY_CPU_SCHEDULER)
			type = "dirty_cpu";
		else if (kind == BD_SECT_DIRTY_IO_SCHEDULER)
			type = "dirty_io";
		else
			continue;
		bd_section_get(d, i, &s);
		bd_parse_scheduler(&s, &sc);
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_rm_slice(b, o, "id", sc.id);
		bd_rm_str(b, o, "type", type);
		bd_rm_slice_or_null(b, o, "current_process", sc.current_process);
		bd_rm_slice_or_null(b, o, "current_process_state", sc.current_process_state);
		if (sc.has_run_queue) {
			bd_rm_label(bd_rm_uint(b, o, "run_queue_normal", sc.run_queue_normal), "rq normal");
			bd_rm_label(bd_rm_uint(b, o, "run_queue_max", sc.run_queue_max), "rq max");
			bd_rm_label(bd_rm_uint(b, o, "run_queue_high", sc.run_queue_high), "rq high");
			bd_rm_label(bd_rm_uint(b, o, "run_queue_low", sc.run_queue_low), "rq low");
			bd_rm_label(bd_rm_uint(b, o, "run_queue_port", sc.run_queue_port), "rq port");
		} else {
			bd_rm_label(bd_rm_null(b, o, "run_queue_normal"), "rq normal");
			bd_rm_label(bd_rm_null(b, o, "run_queue_max"), "rq max");
			bd_rm_label(bd_rm_null(b, o, "run_queue_high"), "rq high");
			bd_rm_label(bd_rm_null(b, o, "run_queue_low"), "rq low");
			bd_rm_label(bd_rm_null(b, o, "run_queue_port"), "rq port");
		}
	}
}

enum bd_status bd_report_summary(struct bd_dump *d, struct bd_report **out, struct bd_error *err)
{
	struct bd_report *r = bd_report_new("beamdump summary", d);
	struct rm_builder *b;
	struct rm_node *counts;

	*out = NULL;
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	b = &r->b;
	add_dump_info(b, r->root, d);
	counts = bd_rm_obj(b, r->root, "counts");
	bd_rm_uint(b, counts, "processes", d->index.count[BD_SECT_PROC]);
	bd_rm_uint(b, counts, "ports", d->index.count[BD_SECT_PORT]);
	bd_rm_uint(b, counts, "ets_tables", d->index.count[BD_SECT_ETS]);
	bd_rm_uint(b, counts, "timers", d->index.count[BD_SECT_TIMER]);
	bd_rm_uint(b, counts, "atoms", d->info.atoms);
	if (d->atom_limit)
		bd_rm_uint(b, counts, "atom_limit", d->atom_limit);
	else
		bd_rm_null(b, counts, "atom_limit");
	bd_rm_uint(b, counts, "modules", d->index.count[BD_SECT_MOD]);
	if (d->export_entries)
		bd_rm_uint(b, counts, "exports", d->export_entries);
	else
		bd_rm_null(b, counts, "exports");
	bd_rm_uint(b, counts, "funs", d->index.count[BD_SECT_FUN]);
	bd_rm_uint(b, counts, "binaries", d->index.count[BD_SECT_BINARY]);
	bd_rm_uint(b, counts, "connected_nodes",
		d->index.count[BD_SECT_VISIBLE_NODE] + d->index.count[BD_SECT_HIDDEN_NODE]);
	add_memory(b, r->root, d);
	add_loaded_code(b, r->root, d);
	add_allocated_areas(b, r->root, d);
	add_schedulers(b, r->root, d);
	add_diagnostics(b, r->root, d);
	if (b->oom) {
		bd_report_free(r);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	}
	*out = r;
	return BD_OK;
}

/* --------------------------------------------------------------- procs */

/*
 * Rows are ordered by (key descending, pid number, section index): a total
 * order, so the rows kept and their order are the same however the
 * process table was split into parts.
 */
struct proc_rec {
	uint64_t key;
	uint32_t pid_num;
	uint32_t section;
};

/* Stack depths of the rows shown, when looked up by one pass over the stacks. */
#define FEW_ROWS 64

struct procs_ctx {
	struct bd_dump *d;
	struct proc_rec *recs;
	size_t n;
	struct bd_stack_map *stacks; /* the rows' stack depths come from here ... */
	uint64_t *stack_words;       /* ... or from here, one a row */
};

static void procs_cleanup(void *p)
{
	struct procs_ctx *c = p;

	bd_free(c->recs);
	bd_free(c->stack_words);
	bd_stack_map_free(c->stacks);
	bd_free(c);
}

static int rec_cmp(const void *a, const void *b)
{
	const struct proc_rec *x = a;
	const struct proc_rec *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->pid_num != y->pid_num)
		return x->pid_num < y->pid_num ? -1 : 1;
	return x->section < y->section ? -1 : x->section > y->section;
}

struct bd_slice bd_proc_who(struct rm_builder *b, struct bd_dump *d, struct bd_slice pid,
			    struct bd_slice name)
{
	struct bd_slice label;

	if (name.len)
		return bd_atom_text(b->arena, name);
	label = bd_dump_proc_label(d, pid);
	return label.len ? label : pid;
}

void bd_rm_name_label(struct rm_builder *b, struct rm_node *o, struct bd_dump *d,
		      struct bd_slice pid, struct bd_slice name)
{
	bd_rm_slice_or_null(b, o, "name", bd_atom_text(b->arena, name));
	bd_rm_slice_or_null(b, o, "label", bd_dump_proc_label(d, pid));
}

void bd_proc_row(struct rm_builder *b, struct rm_node *o, struct bd_dump *d,
		 const struct bd_proc *p, uint64_t stack_words)
{
	bool estimated = false;
	uint64_t mem = bd_proc_memory(p, d, &estimated);
	struct bd_slice spawned_by = p->spawned_by;

	if (bd_slice_eq(spawned_by, "[]"))
		spawned_by.len = 0;
	if (p->stack_words != BD_UNSET)
		stack_words = p->stack_words;  /* a snapshot's exact figure */
	bd_rm_slice(b, o, "pid", p->pid);
	bd_rm_name_label(b, o, d, p->pid, p->name);
	bd_rm_slice_or_null(b, o, "state", p->state);
	bd_rm_label(bd_rm_bytes(b, o, "memory_bytes", mem), "memory");
	bd_rm_flags(bd_rm_bool(b, o, "memory_estimated", estimated), RM_NOTEXT);
	bd_rm_label(bd_rm_uint(b, o, "message_queue_len", p->message_queue_len), "mq");
	bd_rm_uint(b, o, "reductions", p->reductions);
	if (p->window_reductions != BD_UNSET)
		bd_rm_label(bd_rm_uint(b, o, "window_reductions", p->window_reductions), "in window");
	bd_rm_label(bd_rm_uint(b, o, "stack_heap_words", p->stack_heap_words), "heap words");
	bd_rm_flags(bd_rm_uint(b, o, "old_heap_words", p->old_heap_words), RM_NOTEXT);
	bd_rm_flags(bd_rm_uint(b, o, "heap_unused_words", p->heap_unused_words), RM_NOTEXT);
	if (stack_words == BD_UNSET)
		bd_rm_label(bd_rm_null(b, o, "stack_words"), "stack");
	else
		bd_rm_label(bd_rm_uint(b, o, "stack_words", stack_words), "stack");
	bd_rm_flags(bd_rm_uint(b, o, "bin_vheap_words", p->bin_vheap_words), RM_NOTEXT);
	bd_rm_flags(bd_rm_uint(b, o, "old_bin_vheap_words", p->old_bin_vheap_words), RM_NOTEXT);
	bd_rm_label(bd_rm_flags(bd_rm_slice_or_null(b, o, "current_function", bd_proc_current_function(p)),
			  RM_WIDE),
		 "current function");
	bd_rm_flags(bd_rm_slice_or_null(b, o, "initial_call", p->spawned_as), RM_NOTEXT);
	bd_rm_flags(bd_rm_slice_or_null(b, o, "spawned_by", spawned_by), RM_NOTEXT);
}

static struct rm_node *proc_row_gen(void *ctx, size_t i, struct rm_builder *b)
{
	struct procs_ctx *c = ctx;
	struct bd_section s;
	struct bd_proc p;
	struct rm_node *o = bd_rm_obj(b, NULL, NULL);

	bd_section_get(c->d, c->recs[i].section, &s);
	bd_parse_proc(&s, &p);
	bd_proc_row(b, o, c->d, &p,
		    c->stack_words ? c->stack_words[i] : bd_stack_words(c->stacks, s.id));
	return o;
}

/*
 * Keep the best `limit` records in a heap whose root is the worst of them,
 * so `procs --limit N` needs O(N) memory however many processes there are.
 */
static void heap_sift_down(struct proc_rec *h, size_t n, size_t i)
{
	for (;;) {
		size_t worst = i;
		size_t l = 2 * i + 1;
		size_t r = l + 1;
		if (l < n && rec_cmp(&h[l], &h[worst]) > 0)
			worst = l;
		if (r < n && rec_cmp(&h[r], &h[worst]) > 0)
			worst = r;
		if (worst == i)
			return;
		struct proc_rec t = h[i];
		h[i] = h[worst];
		h[worst] = t;
		i = worst;
	}
}

static void heap_sift_up(struct proc_rec *h, size_t i)
{
	while (i) {
		size_t parent = (i - 1) / 2;
		if (rec_cmp(&h[i], &h[parent]) <= 0)
			return;
		struct proc_rec t = h[i];
		h[i] = h[parent];
		h[parent] = t;
		i = parent;
	}
}

/* ---- stack depths of the rows shown */

static enum bd_status fill_stack_words(struct procs_ctx *c)
{
	struct bd_dump *d = c->d;

	if (c->stacks || !c->n)
		return BD_OK;
	if (c->n > FEW_ROWS) {
		/* many rows: map every stack, look the rows up as they are shown */
		c->stacks = bd_stack_map_new(d);
		return c->stacks ? BD_OK : BD_ENOMEM;
	}
	c->stack_words = bd_calloc(c->n, sizeof(*c->stack_words));
	if (!c->stack_words)
		return BD_ENOMEM;
	/* by the row's position: a few stack headers read, not every one */
	for (size_t k = 0; k < c->n; k++) {
		struct bd_proc_sections s;
		struct bd_section st;
		c->stack_words[k] = BD_UNSET;
		if (bd_dump_proc_sections_at(d, c->recs[k].section, &s) && s.stack != BD_NO_SECTION) {
			bd_section_get(d, s.stack, &st);
			c->stack_words[k] = bd_count_lines(st.body);
		}
	}
	return BD_OK;
}

/* ---- reading the process table */

/* The =proc fields a listing reads, beyond the pid: its filters and its sort key. */
static uint64_t needed_fields(const struct bd_procs_opts *opts, bool match)
{
	uint64_t need = 0;

	if (opts->state)
		need |= BD_PF_BIT(BD_PF_STATE);
	if (match)
		need |= BD_PF_BIT(BD_PF_NAME) | BD_PF_BIT(BD_PF_SPAWNED_AS) |
			BD_PF_BIT(BD_PF_CURRENT_CALL) | BD_PF_BIT(BD_PF_PROGRAM_COUNTER);
	switch (opts->sort) {
	case BD_SORT_MQ:
		return need | BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN);
	case BD_SORT_REDUCTIONS:
		return need | BD_PF_BIT(BD_PF_REDUCTIONS);
	case BD_SORT_HEAP:
		return need | BD_PF_BIT(BD_PF_STACK_HEAP) | BD_PF_BIT(BD_PF_OLD_HEAP);
	case BD_SORT_STACK:
		return need;
	case BD_SORT_BINARY:
		return need | BD_PF_BIT(BD_PF_BIN_VHEAP) | BD_PF_BIT(BD_PF_OLD_BIN_VHEAP);
	case BD_SORT_MEMORY:
	default:
		return need | BD_PF_MEMORY_ALL;
	}
}

static bool state_matches(struct bd_slice state, const char *want)
{
	if (strcasecmp(want, "runnable") == 0)
		want = "Scheduled";
	return state.len == strlen(want) && strncasecmp(state.ptr, want, state.len) == 0;
}

static bool proc_matches(struct bd_arena *scratch, struct bd_dump *d, const struct bd_regex *re,
			 const struct bd_proc *p)
{
	struct bd_slice subjects[4];

	subjects[0] = bd_atom_text(scratch, p->name);
	subjects[1] = bd_dump_proc_label(d, p->pid);
	subjects[2] = p->spawned_as;
	subjects[3] = bd_proc_current_function(p);
	for (size_t i = 0; i < BD_ARRAY_SIZE(subjects); i++)
		if (subjects[i].len && bd_regex_match(re, subjects[i]))
			return true;
	return false;
}

/* One part of the process table: the =proc sections in [lo, hi). */
struct procs_part {
	struct bd_dump *d;
	const struct bd_procs_opts *opts;
	const struct bd_stack_map *stacks;
	struct bd_regex *re;           /* its own: match data is per regex */
	size_t last_stack;             /* --sort stack: the last stack found */
	uint64_t need;           /* bd_parse_proc_fields mask */
	size_t lo, hi;
	struct proc_rec *recs;         /* room for cap records */
	size_t cap;
	size_t n;
	size_t matching;
};

/*
 * Stack depth of a process while reading the table in order. Stacks are
 * written in the order of the processes, so the stack after the last one
 * found is tried first; when no pid has two stacks, a stack with the pid is
 * its first. Otherwise the map says.
 */
static uint64_t next_stack_words(struct procs_part *t, struct bd_slice pid)
{
	const struct bd_dump *d = t->d;
	size_t i = SIZE_MAX;
	struct bd_slice id;
	struct bd_slice body;

	if (t->stacks->unique && t->last_stack != SIZE_MAX) {
		size_t g = bd_section_find(d, BD_SECT_PROC_STACK, t->last_stack + 1);
		if (g < d->index.n) {
			section_id_body(d, g, "=proc_stack:", &id, &body);
			if (id.len == pid.len && memcmp(id.ptr, pid.ptr, pid.len) == 0)
				i = g;
		}
	}
	if (i == SIZE_MAX) {
		i = stack_find(t->stacks, pid);
		if (i == SIZE_MAX)
			return BD_UNSET;
		section_id_body(d, i, "=proc_stack:", &id, &body);
	}
	t->last_stack = i;
	return bd_count_lines(body);
}

static uint64_t sort_key(struct procs_part *t, const struct bd_proc *p)
{
	switch (t->opts->sort) {
	case BD_SORT_MQ:
		return p->message_queue_len;
	case BD_SORT_REDUCTIONS:
		return p->reductions;
	case BD_SORT_HEAP:
		return p->stack_heap_words + p->old_heap_words;
	case BD_SORT_STACK: {
		uint64_t w = next_stack_words(t, p->pid);
		return w == BD_UNSET ? 0 : w;
	}
	case BD_SORT_BINARY:
		return p->bin_vheap_words + p->old_bin_vheap_words;
	case BD_SORT_MEMORY:
	default:
		return bd_proc_memory(p, t->d, NULL);
	}
}

static void procs_part_run(void *parts, size_t part)
{
	struct procs_part *t = (struct procs_part *)parts + part;
	struct bd_dump *d = t->d;
	const struct bd_procs_opts *opts = t->opts;
	struct proc_rec *recs = t->recs;
	size_t n = 0;
	size_t matching = 0;
	struct bd_arena scratch;

	/* counters in locals: the parts' structs share cache lines */
	bd_arena_init(&scratch);
	for (size_t i = bd_section_find(d, BD_SECT_PROC, t->lo); i < t->hi;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_slice id;
		struct bd_slice body;
		struct bd_proc p;
		struct bd_pid pid = { 0, 0, 0 };
		struct proc_rec rec;
		section_id_body(d, i, "=proc:", &id, &body);
		bd_parse_proc_fields(&(struct bd_section){ .kind = BD_SECT_PROC, .id = id, .body = body },
				     t->need, &p);
		if (opts->state && !state_matches(p.state, opts->state))
			continue;
		if (t->re) {
			bool ok = proc_matches(&scratch, d, t->re, &p);
			if (scratch.used_total > ((size_t)1 << 20))
				bd_arena_release(&scratch);
			if (!ok)
				continue;
		}
		bd_parse_pid(p.pid, &pid);
		rec.key = sort_key(t, &p);
		rec.pid_num = pid.num;
		rec.section = (uint32_t)i;
		matching++;
		if (n < t->cap) {
			recs[n++] = rec;
			if (opts->limit)
				heap_sift_up(recs, n - 1);
		} else if (n && rec_cmp(&rec, &recs[0]) < 0) {
			recs[0] = rec;
			heap_sift_down(recs, n, 0);
		}
	}
	bd_arena_release(&scratch);
	t->n = n;
	t->matching = matching;
}

/*
 * Plan the parts: runs of about equal bytes, each with room for its best
 * `limit` rows (or all of its rows) and, but for the first, a regex of its
 * own. parts[] must be zeroed; *n_parts counts the parts set up even when
 * this fails (out of memory).
 */
static enum bd_status plan_parts(struct procs_ctx *c, const struct bd_procs_opts *opts,
				 struct bd_regex *re, struct procs_part *parts, size_t *n_parts,
				 struct bd_error *err)
{
	struct bd_dump *d = c->d;
	size_t bounds[MAX_PARTS + 1];
	size_t n = split_kind(d, BD_SECT_PROC, parts_for(d, d->index.count[BD_SECT_PROC]), bounds);
	size_t total = 0;
	uint64_t need = needed_fields(opts, re != NULL);
	enum bd_status rc;

	for (size_t p = 0; p < n; p++) {
		struct procs_part *t = &parts[p];
		size_t procs = 0;
		for (size_t i = bounds[p]; i < bounds[p + 1]; i++)
			procs += bd_index_kind(&d->index, i) == BD_SECT_PROC;
		*n_parts = p + 1;
		t->d = d;
		t->opts = opts;
		t->stacks = c->stacks;
		t->last_stack = SIZE_MAX;
		t->need = need;
		t->lo = bounds[p];
		t->hi = bounds[p + 1];
		t->cap = opts->limit && opts->limit < procs ? opts->limit : procs;
		total += t->cap;
		t->re = re;
		if (re && p > 0) {
			rc = bd_regex_compile(&t->re, opts->match, err);
			if (rc)
				return rc;
		}
	}
	c->recs = bd_calloc(total ? total : 1, sizeof(*c->recs));
	if (!c->recs)
		return BD_ENOMEM;
	total = 0;
	for (size_t p = 0; p < n; p++) {
		parts[p].recs = c->recs + total;
		total += parts[p].cap;
	}
	return BD_OK;
}

/* The regexes the parts compiled for themselves. */
static void free_part_regexes(struct procs_part *parts, size_t n)
{
	for (size_t p = 1; p < n; p++) {
		bd_regex_free(parts[p].re);
		parts[p].re = NULL;
	}
}

enum bd_status bd_report_procs(struct bd_dump *d, const struct bd_procs_opts *opts,
			       struct bd_report **out, struct bd_error *err)
{
	struct bd_procs_opts defaults = { BD_SORT_MEMORY, 0, NULL, NULL, false };
	struct procs_part parts[MAX_PARTS];
	struct bd_regex *re = NULL;
	struct procs_ctx *c;
	struct bd_report *r;
	size_t n_parts = 0;
	size_t matching = 0;
	enum bd_status rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->match && *opts->match) {
		rc = bd_regex_compile(&re, opts->match, err);
		if (rc)
			return rc;
	}
	if (opts->group) {
		rc = bd_report_proc_groups(d, re, opts->limit, out, err);
		bd_regex_free(re);
		return rc;
	}
	memset(parts, 0, sizeof(parts));
	r = bd_report_new("beamdump procs", d);
	c = r ? bd_calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		bd_report_free(r);
		bd_regex_free(re);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing processes");
	}
	r->cleanup = procs_cleanup;
	r->cleanup_ctx = c;
	c->d = d;
	/* the stack map costs memory: build it only when sorting by stack depth */
	if (opts->sort == BD_SORT_STACK) {
		c->stacks = bd_stack_map_new(d);
		if (!c->stacks)
			goto oom;
	}
	if (plan_parts(c, opts, re, parts, &n_parts, err) != BD_OK)
		goto oom;
	if (re)
		bd_dump_proc_label(d, bd_slice_make("", 0)); /* read the labels before the threads */
	bd_parallel(n_parts, d->threads, procs_part_run, parts);
	free_part_regexes(parts, n_parts);
	bd_regex_free(re);
	re = NULL;
	/* merge: the parts' rows side by side, sorted, the best `limit` kept */
	for (size_t p = 0; p < n_parts; p++) {
		memmove(c->recs + c->n, parts[p].recs, parts[p].n * sizeof(*c->recs));
		c->n += parts[p].n;
		matching += parts[p].matching;
	}
	if (c->n)
		bd_sort(c->recs, c->n, sizeof(*c->recs), rec_cmp);
	if (opts->limit && c->n > opts->limit)
		c->n = opts->limit;
	if (fill_stack_words(c) != BD_OK)
		goto oom;
	bd_rm_uint(&r->b, r->root, "total_processes", d->index.count[BD_SECT_PROC]);
	bd_rm_uint(&r->b, r->root, "matching_processes", matching);
	bd_rm_lazy_arr(&r->b, r->root, "processes", c->n, proc_row_gen, c);
	if (r->b.oom)
		goto oom;
	*out = r;
	return BD_OK;
oom:
	free_part_regexes(parts, n_parts);
	bd_regex_free(re);
	bd_report_free(r);
	return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing processes");
}

/* ----------------------------------------------------------------- ets */

struct ets_rec {
	uint64_t words;
	uint32_t section;
};

static int ets_cmp(const void *a, const void *b)
{
	const struct ets_rec *x = a;
	const struct ets_rec *y = b;

	if (x->words != y->words)
		return x->words > y->words ? -1 : 1;
	return x->section < y->section ? -1 : x->section > y->section;
}

enum bd_status bd_report_ets(struct bd_dump *d, size_t limit, struct bd_report **out,
			     struct bd_error *err)
{
	struct bd_report *r = bd_report_new("beamdump ets", d);
	struct ets_rec *recs = NULL;
	size_t n = 0;
	size_t cap = 0;
	uint64_t total_words = 0;
	struct rm_node *arr;
	struct rm_builder *b;

	*out = NULL;
	if (!r)
		goto oom;
	b = &r->b;
	for (size_t i = bd_section_find(d, BD_SECT_ETS, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_ETS, i + 1)) {
		struct bd_section s;
		struct bd_ets e;
		bd_section_get(d, i, &s);
		bd_parse_ets(&s, &e);
		if (!bd_grow((void **)&recs, &cap, n + 1, sizeof(*recs)))
			goto oom;
		recs[n].words = e.words;
		recs[n].section = (uint32_t)i;
		total_words += e.words;
		n++;
	}
	if (n)
		bd_sort(recs, n, sizeof(*recs), ets_cmp);
	bd_rm_uint(b, r->root, "tables", n);
	bd_rm_bytes(b, r->root, "total_bytes", total_words * d->info.word_size);
	arr = bd_rm_label(bd_rm_arr(b, r->root, "ets"), "ETS tables");
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		struct bd_section s;
		struct bd_ets e;
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		bd_section_get(d, recs[i].section, &s);
		bd_parse_ets(&s, &e);
		struct bd_slice type = e.type;
		if (!type.len)
			type = e.ordered ? BD_SLICE_LIT("ordered_set") : bd_slice_make("", 0);
		bd_rm_slice_or_null(b, o, "name", bd_atom_text(b->arena, e.name));
		bd_rm_slice(b, o, "owner", e.owner);
		bd_rm_label(bd_rm_slice_or_null(b, o, "owner_name",
					  bd_atom_text(b->arena, bd_dump_proc_name(d, e.owner))),
			 "owner name");
		bd_rm_flags(bd_rm_slice_or_null(b, o, "table", e.table), RM_NOTEXT);
		bd_rm_slice_or_null(b, o, "type", type);
		bd_rm_slice_or_null(b, o, "protection", e.protection);
		bd_rm_uint(b, o, "objects", e.objects);
		bd_rm_flags(bd_rm_uint(b, o, "words", e.words), RM_NOTEXT);
		bd_rm_label(bd_rm_bytes(b, o, "bytes", e.words * d->info.word_size), "memory");
		bd_rm_flags(bd_rm_slice_or_null(b, o, "compressed", e.compressed), RM_NOTEXT);
		bd_rm_flags(bd_rm_slice_or_null(b, o, "write_concurrency", e.write_concurrency), RM_NOTEXT);
		bd_rm_flags(bd_rm_slice_or_null(b, o, "read_concurrency", e.read_concurrency), RM_NOTEXT);
	}
	bd_free(recs);
	recs = NULL;
	if (b->oom)
		goto oom;
	*out = r;
	return BD_OK;
oom:
	bd_free(recs);
	bd_report_free(r);
	return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing ETS tables");
}

/* --------------------------------------------------------------- alloc */

#define MAX_ALLOC_TYPES 64

static uint64_t memory_total(struct bd_dump *d)
{
	struct bd_slice rest;
	struct bd_slice line;
	uint64_t total = 0;

	if (!bd_section_body(d, BD_SECT_MEMORY, &rest))
		return 0;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		if (bd_slice_split_kv(line, &k, &v) && bd_slice_eq(k, "total"))
			bd_parse_u64(bd_slice_trim(v), &total);
	}
	return total;
}

enum bd_status bd_report_alloc(struct bd_dump *d, struct bd_report **out, struct bd_error *err)
{
	struct bd_report *r = bd_report_new("beamdump alloc", d);
	struct bd_alloc_type types[MAX_ALLOC_TYPES];
	size_t n = 0;
	uint64_t blocks = 0;
	uint64_t carriers = 0;
	uint64_t used = memory_total(d);
	struct rm_builder *b;
	struct rm_node *tot;
	struct rm_node *arr;

	*out = NULL;
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	b = &r->b;
	for (size_t i = bd_section_find(d, BD_SECT_ALLOCATOR, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_ALLOCATOR, i + 1)) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		n = bd_parse_allocator(&s, types, n, MAX_ALLOC_TYPES);
	}
	bd_sort(types, n, sizeof(types[0]), bd_alloc_type_cmp);
	for (size_t i = 0; i < n; i++) {
		blocks += types[i].mbcs_blocks + types[i].sbcs_blocks + types[i].pool_blocks;
		carriers += types[i].mbcs_carriers + types[i].sbcs_carriers + types[i].pool_carriers;
	}
	tot = bd_rm_obj(b, r->root, "total");
	bd_rm_label(bd_rm_bytes(b, tot, "allocated_bytes", carriers), "allocated (carriers)");
	bd_rm_label(bd_rm_bytes(b, tot, "blocks_bytes", blocks), "in blocks");
	bd_rm_label(bd_rm_bytes(b, tot, "used_bytes", used), "used (memory total)");
	bd_rm_label(bd_rm_bytes(b, tot, "unused_bytes", carriers > used ? carriers - used : 0),
		 "unused");
	bd_rm_ratio(b, tot, "usage", carriers ? bd_ratio(used, carriers) : 0.0);
	arr = bd_rm_arr(b, r->root, "allocators");
	for (size_t i = 0; i < n; i++) {
		const struct bd_alloc_type *t = &types[i];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		uint64_t tb = t->mbcs_blocks + t->sbcs_blocks + t->pool_blocks;
		uint64_t tc = t->mbcs_carriers + t->sbcs_carriers + t->pool_carriers;
		bd_rm_str(b, o, "name", t->name);
		bd_rm_uint(b, o, "instances", t->instances);
		bd_rm_label(bd_rm_bytes(b, o, "blocks_bytes", tb), "blocks");
		bd_rm_label(bd_rm_bytes(b, o, "carriers_bytes", tc), "carriers");
		bd_rm_ratio(b, o, "usage", bd_ratio(tb, tc));
		bd_rm_label(bd_rm_ratio(b, o, "mbcs_usage", bd_ratio(t->mbcs_blocks, t->mbcs_carriers)), "mbcs usage");
		bd_rm_flags(bd_rm_label(bd_rm_bytes(b, o, "mbcs_blocks_bytes", t->mbcs_blocks), "mbcs blocks"), RM_NOTEXT);
		bd_rm_flags(bd_rm_label(bd_rm_bytes(b, o, "mbcs_carriers_bytes", t->mbcs_carriers), "mbcs carriers"), RM_NOTEXT);
		bd_rm_label(bd_rm_ratio(b, o, "sbcs_usage", bd_ratio(t->sbcs_blocks, t->sbcs_carriers)), "sbcs usage");
		bd_rm_flags(bd_rm_label(bd_rm_bytes(b, o, "sbcs_blocks_bytes", t->sbcs_blocks), "sbcs blocks"), RM_NOTEXT);
		bd_rm_label(bd_rm_bytes(b, o, "sbcs_carriers_bytes", t->sbcs_carriers), "sbcs carriers");
		bd_rm_flags(bd_rm_uint(b, o, "mbcs_carriers", t->mbcs_carrier_count), RM_NOTEXT);
		bd_rm_flags(bd_rm_uint(b, o, "sbcs_carriers", t->sbcs_carrier_count), RM_NOTEXT);
		bd_rm_flags(bd_rm_uint(b, o, "mbcs_blocks", t->mbcs_block_count), RM_NOTEXT);
		bd_rm_flags(bd_rm_uint(b, o, "sbcs_blocks", t->sbcs_block_count), RM_NOTEXT);
		bd_rm_flags(bd_rm_bytes(b, o, "pool_blocks_bytes", t->pool_blocks), RM_NOTEXT);
		bd_rm_flags(bd_rm_bytes(b, o, "pool_carriers_bytes", t->pool_carriers), RM_NOTEXT);
		bd_rm_flags(bd_rm_bytes(b, o, "carriers_max_bytes", t->carriers_max), RM_NOTEXT);
	}
	if (b->oom) {
		bd_report_free(r);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	}
	*out = r;
	return BD_OK;
}
