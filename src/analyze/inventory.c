/*
 * Inventory reports: summary, procs, ets and alloc. They read the index and
 * the section parsers and fill the report model; nothing here prints.
 */
#include "bd.h"
#include "analyze/analyze.h"

#include <stdlib.h>
#include <strings.h>

/* ------------------------------------------------------------- stacks */

struct bd_stack_map {
	const struct bd_dump *d;
	uint32_t *slots; /* section index + 1; 0 = empty */
	size_t cap;
};

static struct bd_slice section_id(const struct bd_dump *d, size_t i)
{
	struct bd_section s;

	bd_section_get(d, i, &s);
	return s.id;
}

static uint32_t *stack_slot(const struct bd_stack_map *m, struct bd_slice pid)
{
	size_t i = (size_t)bd_hash_slice(pid) & (m->cap - 1);

	while (m->slots[i]) {
		struct bd_slice id = section_id(m->d, m->slots[i] - 1);
		if (id.len == pid.len && memcmp(id.ptr, pid.ptr, pid.len) == 0)
			break;
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

struct bd_stack_map *bd_stack_map_new(const struct bd_dump *d)
{
	struct bd_stack_map *m = bd_calloc(1, sizeof(*m));
	size_t n = d->index.count[BD_SECT_PROC_STACK];

	if (!m)
		return NULL;
	m->d = d;
	m->cap = 16;
	while (m->cap < 2 * n + 2)
		m->cap *= 2;
	m->slots = bd_calloc(m->cap, sizeof(*m->slots));
	if (!m->slots || d->index.n >= UINT32_MAX) {
		bd_stack_map_free(m);
		return NULL;
	}
	for (size_t i = bd_section_find(d, BD_SECT_PROC_STACK, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC_STACK, i + 1)) {
		uint32_t *slot = stack_slot(m, section_id(d, i));
		if (!*slot)
			*slot = (uint32_t)i + 1;
	}
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
	uint32_t slot;

	if (!m)
		return BD_UNSET;
	slot = *stack_slot(m, pid);
	if (!slot)
		return BD_UNSET;
	bd_section_get(m->d, slot - 1, &s);
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
	struct rm_node *mem = rm_obj(b, root, "memory");
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
		rm_bytes(b, mem, key, n);
	}
}

/* =loaded_modules: code sizes in bytes. */
static void add_loaded_code(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *o = rm_obj(b, root, "loaded_code");
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
	rm_uint(b, o, "modules", d->index.count[BD_SECT_MOD]);
	if (seen) {
		rm_label(rm_bytes(b, o, "current_bytes", cur), "current code");
		rm_label(rm_bytes(b, o, "old_bytes", old), "old code");
	} else {
		rm_label(rm_null(b, o, "current_bytes"), "current code");
		rm_label(rm_null(b, o, "old_bytes"), "old code");
	}
}

/* =allocated_areas: "name: allocated [used]" in bytes (format doc 6.4). */
static void add_allocated_areas(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *arr = rm_arr(b, root, "allocated_areas");
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
		struct rm_node *o = rm_obj(b, arr, NULL);
		rm_slice(b, o, "name", k);
		rm_label(rm_bytes(b, o, "allocated_bytes", allocated), "allocated");
		if (sp && bd_parse_u64(bd_slice_trim(bd_slice_make(sp, v.len - (size_t)(sp - v.ptr))), &used))
			rm_label(rm_bytes(b, o, "used_bytes", used), "used");
		else
			rm_label(rm_null(b, o, "used_bytes"), "used");
	}
}

static void add_diagnostics(struct rm_builder *b, struct rm_node *root, const struct bd_dump *d)
{
	struct rm_node *arr = rm_arr(b, root, "diagnostics");

	for (size_t i = 0; i < d->n_diags; i++) {
		const struct bd_diagnostic *dg = &d->diags[i];
		struct rm_node *o = rm_obj(b, arr, NULL);
		rm_uint(b, o, "offset", dg->offset);
		rm_flags(rm_slice(b, o, "section", bd_slice_make(dg->section, strlen(dg->section))), RM_WIDE);
		rm_flags(rm_slice(b, o, "message", bd_slice_make(dg->message, strlen(dg->message))), RM_WIDE);
	}
	if (d->n_diags_dropped) {
		struct rm_node *o = rm_obj(b, arr, NULL);
		rm_null(b, o, "offset");
		rm_slice(b, o, "section", BD_SLICE_LIT(""));
		rm_str(b, o, "message", "more diagnostics were dropped");
	}
}

static struct bd_slice cstr(const char *s)
{
	return bd_slice_make(s, strlen(s));
}

static void add_dump_info(struct rm_builder *b, struct rm_node *root, const struct bd_dump *d)
{
	const struct bd_dump_info *in = &d->info;
	struct rm_node *o = rm_obj(b, root, "dump");

	rm_flags(rm_slice(b, o, "slogan", cstr(in->slogan)), RM_MULTILINE);
	rm_slice(b, o, "time", cstr(in->time));
	rm_slice_or_null(b, o, "node", bd_atom_text(b->arena, cstr(in->node)));
	rm_slice(b, o, "system_version", cstr(in->system_version));
	rm_slice_or_null(b, o, "otp_release", cstr(in->otp_release));
	rm_slice_or_null(b, o, "erts_version", cstr(in->erts_version));
	rm_uint(b, o, "word_size", in->word_size);
	rm_slice(b, o, "file", cstr(in->file));
	rm_bytes(b, o, "bytes", in->bytes);
	rm_bool(b, o, "gzipped", in->gzipped);
	rm_slice(b, o, "dump_version", cstr(in->dump_version));
	rm_slice_or_null(b, o, "taints", cstr(in->taints));
	rm_slice_or_null(b, o, "calling_thread", cstr(in->calling_thread));
	rm_bool(b, o, "truncated", in->truncated);
	rm_slice_or_null(b, o, "truncation_reason", cstr(in->truncation_reason));
	rm_slice_or_null(b, o, "truncated_in", cstr(in->truncated_in));
}

static void add_schedulers(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct rm_node *arr = rm_arr(b, root, "schedulers");

	for (size_t i = 0; i < d->index.n; i++) {
		struct bd_section s;
		struct bd_scheduler sc;
		const char *type;
		uint64_t kind = d->index.entries[i] >> 56;
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
		struct rm_node *o = rm_obj(b, arr, NULL);
		/* idle dirty schedulers only clutter the text view */
		if (kind != BD_SECT_SCHEDULER && !sc.current_process.len)
			rm_flags(o, RM_NOTEXT);
		rm_slice(b, o, "id", sc.id);
		rm_str(b, o, "type", type);
		rm_slice_or_null(b, o, "current_process", sc.current_process);
		rm_slice_or_null(b, o, "current_process_state", sc.current_process_state);
		if (sc.has_run_queue) {
			rm_label(rm_uint(b, o, "run_queue_normal", sc.run_queue_normal), "rq normal");
			rm_label(rm_uint(b, o, "run_queue_max", sc.run_queue_max), "rq max");
			rm_label(rm_uint(b, o, "run_queue_high", sc.run_queue_high), "rq high");
			rm_label(rm_uint(b, o, "run_queue_low", sc.run_queue_low), "rq low");
			rm_label(rm_uint(b, o, "run_queue_port", sc.run_queue_port), "rq port");
		} else {
			rm_label(rm_null(b, o, "run_queue_normal"), "rq normal");
			rm_label(rm_null(b, o, "run_queue_max"), "rq max");
			rm_label(rm_null(b, o, "run_queue_high"), "rq high");
			rm_label(rm_null(b, o, "run_queue_low"), "rq low");
			rm_label(rm_null(b, o, "run_queue_port"), "rq port");
		}
	}
}

enum bd_status bd_report_summary(struct bd_dump *d, struct bd_report **out, struct bd_error *err)
{
	struct bd_report *r = rm_report_new("beamdump summary");
	struct rm_builder *b;
	struct rm_node *counts;

	*out = NULL;
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	b = &r->b;
	add_dump_info(b, r->root, d);
	counts = rm_obj(b, r->root, "counts");
	rm_uint(b, counts, "processes", d->index.count[BD_SECT_PROC]);
	rm_uint(b, counts, "ports", d->index.count[BD_SECT_PORT]);
	rm_uint(b, counts, "ets_tables", d->index.count[BD_SECT_ETS]);
	rm_uint(b, counts, "timers", d->index.count[BD_SECT_TIMER]);
	rm_uint(b, counts, "atoms", d->info.atoms);
	if (d->atom_limit)
		rm_uint(b, counts, "atom_limit", d->atom_limit);
	else
		rm_null(b, counts, "atom_limit");
	rm_uint(b, counts, "modules", d->index.count[BD_SECT_MOD]);
	rm_uint(b, counts, "funs", d->index.count[BD_SECT_FUN]);
	rm_uint(b, counts, "binaries", d->index.count[BD_SECT_BINARY]);
	rm_uint(b, counts, "connected_nodes",
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

struct proc_rec {
	uint64_t key;
	uint64_t stack_words;  /* filled for the rows shown */
	uint32_t pid_num;
	uint32_t section;
};

struct procs_ctx {
	struct bd_dump *d;
	struct proc_rec *recs;
	size_t n;
	struct bd_stack_map *stacks;
};

static void procs_cleanup(void *p)
{
	struct procs_ctx *c = p;

	bd_free(c->recs);
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

void bd_proc_row(struct rm_builder *b, struct rm_node *o, struct bd_dump *d,
		 const struct bd_proc *p, uint64_t stack_words)
{
	bool estimated = false;
	uint64_t mem = bd_proc_memory(p, d->info.word_size, &estimated);
	struct bd_slice spawned_by = p->spawned_by;

	if (bd_slice_eq(spawned_by, "[]"))
		spawned_by.len = 0;
	rm_slice(b, o, "pid", p->pid);
	rm_slice_or_null(b, o, "name", bd_atom_text(b->arena, p->name));
	rm_slice_or_null(b, o, "state", p->state);
	rm_label(rm_bytes(b, o, "memory_bytes", mem), "memory");
	rm_flags(rm_bool(b, o, "memory_estimated", estimated), RM_NOTEXT);
	rm_label(rm_uint(b, o, "message_queue_len", p->message_queue_len), "mq");
	rm_uint(b, o, "reductions", p->reductions);
	rm_label(rm_uint(b, o, "stack_heap_words", p->stack_heap_words), "heap words");
	rm_flags(rm_uint(b, o, "old_heap_words", p->old_heap_words), RM_NOTEXT);
	rm_flags(rm_uint(b, o, "heap_unused_words", p->heap_unused_words), RM_NOTEXT);
	if (stack_words == BD_UNSET)
		rm_label(rm_null(b, o, "stack_words"), "stack");
	else
		rm_label(rm_uint(b, o, "stack_words", stack_words), "stack");
	rm_flags(rm_uint(b, o, "bin_vheap_words", p->bin_vheap_words), RM_NOTEXT);
	rm_flags(rm_uint(b, o, "old_bin_vheap_words", p->old_bin_vheap_words), RM_NOTEXT);
	rm_label(rm_flags(rm_slice_or_null(b, o, "current_function", bd_proc_current_function(p)),
			  RM_WIDE),
		 "current function");
	rm_flags(rm_slice_or_null(b, o, "initial_call", p->spawned_as), RM_NOTEXT);
	rm_flags(rm_slice_or_null(b, o, "spawned_by", spawned_by), RM_NOTEXT);
}

static struct rm_node *proc_row_gen(void *ctx, size_t i, struct rm_builder *b)
{
	struct procs_ctx *c = ctx;
	struct bd_section s;
	struct bd_proc p;
	struct rm_node *o = rm_obj(b, NULL, NULL);

	bd_section_get(c->d, c->recs[i].section, &s);
	bd_parse_proc(&s, &p);
	bd_proc_row(b, o, c->d, &p, c->recs[i].stack_words);
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

/* Stack depths of the selected rows: one pass over =proc_stack sections. */
static void fill_stack_words(struct procs_ctx *c)
{
	struct bd_dump *d = c->d;
	struct bd_stack_map *m = c->stacks;

	if (!m && c->n <= 64) {
		/* a few rows: compare ids directly instead of mapping every stack */
		for (size_t i = bd_section_find(d, BD_SECT_PROC_STACK, 0); i < d->index.n;
		     i = bd_section_find(d, BD_SECT_PROC_STACK, i + 1)) {
			struct bd_section st;
			bd_section_get(d, i, &st);
			for (size_t k = 0; k < c->n; k++) {
				struct bd_section s;
				if (c->recs[k].stack_words != BD_UNSET)
					continue;
				bd_section_get(d, c->recs[k].section, &s);
				if (s.id.len == st.id.len && memcmp(s.id.ptr, st.id.ptr, s.id.len) == 0) {
					c->recs[k].stack_words = bd_count_lines(st.body);
				}
			}
		}
		return;
	}
	if (!m)
		m = bd_stack_map_new(d);
	for (size_t i = 0; i < c->n; i++) {
		struct bd_section s;
		bd_section_get(d, c->recs[i].section, &s);
		c->recs[i].stack_words = bd_stack_words(m, s.id);
	}
	if (m != c->stacks)
		bd_stack_map_free(m);
}

static bool state_matches(struct bd_slice state, const char *want)
{
	if (strcasecmp(want, "runnable") == 0)
		want = "Scheduled";
	return state.len == strlen(want) && strncasecmp(state.ptr, want, state.len) == 0;
}

static uint64_t sort_key(const struct procs_ctx *c, const struct bd_proc *p,
			 enum bd_proc_sort sort)
{
	switch (sort) {
	case BD_SORT_MQ:
		return p->message_queue_len;
	case BD_SORT_REDUCTIONS:
		return p->reductions;
	case BD_SORT_HEAP:
		return p->stack_heap_words + p->old_heap_words;
	case BD_SORT_STACK: {
		uint64_t w = bd_stack_words(c->stacks, p->pid);
		return w == BD_UNSET ? 0 : w;
	}
	case BD_SORT_BINARY:
		return p->bin_vheap_words + p->old_bin_vheap_words;
	case BD_SORT_MEMORY:
	default:
		return bd_proc_memory(p, c->d->info.word_size, NULL);
	}
}

static bool proc_matches(struct bd_arena *scratch, const struct bd_regex *re,
			 const struct bd_proc *p)
{
	struct bd_slice subjects[3];

	subjects[0] = bd_atom_text(scratch, p->name);
	subjects[1] = p->spawned_as;
	subjects[2] = bd_proc_current_function(p);
	for (size_t i = 0; i < 3; i++)
		if (subjects[i].len && bd_regex_match(re, subjects[i]))
			return true;
	return false;
}

enum bd_status bd_report_procs(struct bd_dump *d, const struct bd_procs_opts *opts,
			       struct bd_report **out, struct bd_error *err)
{
	struct bd_procs_opts defaults = { BD_SORT_MEMORY, 0, NULL, NULL };
	struct bd_regex *re = NULL;
	struct procs_ctx *c;
	struct bd_report *r;
	struct bd_arena scratch;
	size_t cap;
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
	r = rm_report_new("beamdump procs");
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
	cap = opts->limit ? opts->limit : d->index.count[BD_SECT_PROC];
	c->recs = bd_calloc(cap ? cap : 1, sizeof(*c->recs));
	if (!c->recs)
		goto oom;
	bd_arena_init(&scratch);
	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_section s;
		struct bd_proc p;
		struct bd_pid pid = { 0, 0, 0 };
		struct proc_rec rec;
		bd_section_get(d, i, &s);
		bd_parse_proc(&s, &p);
		if (opts->state && !state_matches(p.state, opts->state))
			continue;
		if (re) {
			bool ok = proc_matches(&scratch, re, &p);
			if (scratch.used_total > ((size_t)1 << 20))
				bd_arena_release(&scratch);
			if (!ok)
				continue;
		}
		bd_parse_pid(p.pid, &pid);
		rec.key = sort_key(c, &p, opts->sort);
		rec.stack_words = BD_UNSET;
		rec.pid_num = pid.num;
		rec.section = (uint32_t)i;
		matching++;
		if (c->n < cap) {
			c->recs[c->n++] = rec;
			if (opts->limit)
				heap_sift_up(c->recs, c->n - 1);
		} else if (rec_cmp(&rec, &c->recs[0]) < 0) {
			c->recs[0] = rec;
			heap_sift_down(c->recs, c->n, 0);
		}
	}
	bd_arena_release(&scratch);
	bd_regex_free(re);
	re = NULL;
	if (c->n)
		qsort(c->recs, c->n, sizeof(*c->recs), rec_cmp);
	fill_stack_words(c);
	rm_uint(&r->b, r->root, "total_processes", d->index.count[BD_SECT_PROC]);
	rm_uint(&r->b, r->root, "matching_processes", matching);
	rm_lazy_arr(&r->b, r->root, "processes", c->n, proc_row_gen, c);
	if (r->b.oom)
		goto oom;
	*out = r;
	return BD_OK;
oom:
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
	struct bd_report *r = rm_report_new("beamdump ets");
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
		qsort(recs, n, sizeof(*recs), ets_cmp);
	rm_uint(b, r->root, "tables", n);
	rm_bytes(b, r->root, "total_bytes", total_words * d->info.word_size);
	arr = rm_label(rm_arr(b, r->root, "ets"), "ETS tables");
	for (size_t i = 0; i < n && (!limit || i < limit); i++) {
		struct bd_section s;
		struct bd_ets e;
		struct rm_node *o = rm_obj(b, arr, NULL);
		bd_section_get(d, recs[i].section, &s);
		bd_parse_ets(&s, &e);
		struct bd_slice type = e.type;
		if (!type.len)
			type = e.ordered ? BD_SLICE_LIT("ordered_set") : bd_slice_make("", 0);
		rm_slice_or_null(b, o, "name", bd_atom_text(b->arena, e.name));
		rm_slice(b, o, "owner", e.owner);
		rm_label(rm_slice_or_null(b, o, "owner_name",
					  bd_atom_text(b->arena, bd_dump_proc_name(d, e.owner))),
			 "owner name");
		rm_flags(rm_slice_or_null(b, o, "table", e.table), RM_NOTEXT);
		rm_slice_or_null(b, o, "type", type);
		rm_slice_or_null(b, o, "protection", e.protection);
		rm_uint(b, o, "objects", e.objects);
		rm_flags(rm_uint(b, o, "words", e.words), RM_NOTEXT);
		rm_label(rm_bytes(b, o, "bytes", e.words * d->info.word_size), "memory");
		rm_flags(rm_slice_or_null(b, o, "compressed", e.compressed), RM_NOTEXT);
		rm_flags(rm_slice_or_null(b, o, "write_concurrency", e.write_concurrency), RM_NOTEXT);
		rm_flags(rm_slice_or_null(b, o, "read_concurrency", e.read_concurrency), RM_NOTEXT);
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

static double ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 1.0;
}

static int alloc_cmp(const void *a, const void *b)
{
	const struct bd_alloc_type *x = a;
	const struct bd_alloc_type *y = b;
	uint64_t cx = x->mbcs_carriers + x->sbcs_carriers + x->pool_carriers;
	uint64_t cy = y->mbcs_carriers + y->sbcs_carriers + y->pool_carriers;

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(x->name, y->name);
}

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
	struct bd_report *r = rm_report_new("beamdump alloc");
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
	qsort(types, n, sizeof(types[0]), alloc_cmp);
	for (size_t i = 0; i < n; i++) {
		blocks += types[i].mbcs_blocks + types[i].sbcs_blocks + types[i].pool_blocks;
		carriers += types[i].mbcs_carriers + types[i].sbcs_carriers + types[i].pool_carriers;
	}
	tot = rm_obj(b, r->root, "total");
	rm_label(rm_bytes(b, tot, "allocated_bytes", carriers), "allocated (carriers)");
	rm_label(rm_bytes(b, tot, "blocks_bytes", blocks), "in blocks");
	rm_label(rm_bytes(b, tot, "used_bytes", used), "used (memory total)");
	rm_label(rm_bytes(b, tot, "unused_bytes", carriers > used ? carriers - used : 0),
		 "unused");
	rm_ratio(b, tot, "usage", carriers ? ratio(used, carriers) : 0.0);
	arr = rm_arr(b, r->root, "allocators");
	for (size_t i = 0; i < n; i++) {
		const struct bd_alloc_type *t = &types[i];
		struct rm_node *o = rm_obj(b, arr, NULL);
		uint64_t tb = t->mbcs_blocks + t->sbcs_blocks + t->pool_blocks;
		uint64_t tc = t->mbcs_carriers + t->sbcs_carriers + t->pool_carriers;
		rm_str(b, o, "name", t->name);
		rm_uint(b, o, "instances", t->instances);
		rm_label(rm_bytes(b, o, "blocks_bytes", tb), "blocks");
		rm_label(rm_bytes(b, o, "carriers_bytes", tc), "carriers");
		rm_ratio(b, o, "usage", ratio(tb, tc));
		rm_label(rm_ratio(b, o, "mbcs_usage", ratio(t->mbcs_blocks, t->mbcs_carriers)), "mbcs usage");
		rm_flags(rm_label(rm_bytes(b, o, "mbcs_blocks_bytes", t->mbcs_blocks), "mbcs blocks"), RM_NOTEXT);
		rm_flags(rm_label(rm_bytes(b, o, "mbcs_carriers_bytes", t->mbcs_carriers), "mbcs carriers"), RM_NOTEXT);
		rm_label(rm_ratio(b, o, "sbcs_usage", ratio(t->sbcs_blocks, t->sbcs_carriers)), "sbcs usage");
		rm_flags(rm_label(rm_bytes(b, o, "sbcs_blocks_bytes", t->sbcs_blocks), "sbcs blocks"), RM_NOTEXT);
		rm_label(rm_bytes(b, o, "sbcs_carriers_bytes", t->sbcs_carriers), "sbcs carriers");
		rm_flags(rm_uint(b, o, "mbcs_carriers", t->mbcs_carrier_count), RM_NOTEXT);
		rm_flags(rm_uint(b, o, "sbcs_carriers", t->sbcs_carrier_count), RM_NOTEXT);
		rm_flags(rm_uint(b, o, "mbcs_blocks", t->mbcs_block_count), RM_NOTEXT);
		rm_flags(rm_uint(b, o, "sbcs_blocks", t->sbcs_block_count), RM_NOTEXT);
		rm_flags(rm_bytes(b, o, "pool_blocks_bytes", t->pool_blocks), RM_NOTEXT);
		rm_flags(rm_bytes(b, o, "pool_carriers_bytes", t->pool_carriers), RM_NOTEXT);
		rm_flags(rm_bytes(b, o, "carriers_max_bytes", t->carriers_max), RM_NOTEXT);
	}
	if (b->oom) {
		bd_report_free(r);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	}
	*out = r;
	return BD_OK;
}
