/*
 * Typed facts of one capture for check and diff. A dump gives its whole
 * process and ETS tables through the section parsers, and what analyze
 * finds (pinned binaries, states, findings, allocators) from analyze's
 * report model; a saved JSON report of analyze is read back into the same
 * model and read by the same code, so both kinds of baseline agree.
 */
#include "bd.h"
#include "analyze/capture.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define ANALYZE_TOP 64            /* rows per list asked of analyze (its maximum) */
#define MAX_REPORT_BYTES (64u << 20)

const char *const bd_mem_cat_names[BD_MEM_N] = { "processes", "binary", "ets", "atom", "code",
						 "total" };

struct loader {
	struct bd_capture *c;
	size_t cap_procs, cap_ets, cap_allocs, cap_findings;
	size_t n_table;           /* a dump's whole process table, ordered: procs[0 .. n_table) */
	bool oom;
};

/* A copy of s in arena a, NULL if s is empty; *oom set when it cannot be made. */
static const char *arena_dup(struct bd_arena *a, struct bd_slice s, bool *oom)
{
	char *p;

	if (!s.len)
		return NULL;
	p = bd_arena_strndup(a, s.ptr, s.len);
	if (!p)
		*oom = true;
	return p;
}

static const char *dup_slice(struct loader *l, struct bd_slice s)
{
	return arena_dup(&l->c->arena, s, &l->oom);
}

/* ------------------------------------------------ reading the model */

static uint64_t num(const struct rm_node *o, const char *key)
{
	const struct rm_node *n = bd_rm_child(o, key);

	if (n && n->kind == RM_UINT)
		return n->v.u;
	if (n && n->kind == RM_INT && n->v.i >= 0)
		return (uint64_t)n->v.i;
	return BD_UNSET;
}

static const char *str(struct loader *l, const struct rm_node *o, const char *key)
{
	const struct rm_node *n = bd_rm_child(o, key);

	return n && n->kind == RM_STR ? dup_slice(l, n->v.s) : NULL;
}

typedef void (*row_fn)(struct loader *l, const struct rm_node *row);

static void each_row(struct loader *l, const struct rm_node *arr, row_fn fn)
{
	struct bd_arena scratch_arena;
	struct rm_builder scratch = { &scratch_arena, false };
	const struct rm_node *cursor = NULL;

	if (!arr || arr->kind != RM_ARR)
		return;
	bd_arena_init(&scratch_arena);
	for (size_t i = 0, n = bd_rm_n_rows(arr); i < n; i++) {
		const struct rm_node *row = bd_rm_row(arr, i, &cursor, &scratch);
		if (row && row->kind == RM_OBJ)
			fn(l, row);
	}
	bd_arena_release(&scratch_arena);
}

static struct bd_cap_proc *new_proc(struct loader *l)
{
	struct bd_capture *c = l->c;
	struct bd_cap_proc *p;

	if (!bd_grow((void **)&c->procs, &l->cap_procs, c->n_procs + 1, sizeof(*c->procs))) {
		l->oom = true;
		return NULL;
	}
	p = &c->procs[c->n_procs++];
	memset(p, 0, sizeof(*p));
	p->memory = p->heap_words = p->queue = p->reductions = p->pinned = p->state = BD_UNSET;
	return p;
}

static void parse_id(const char *pid, struct bd_pid *id)
{
	if (!pid || !bd_parse_pid(bd_slice_make(pid, strlen(pid)), id))
		id->node = id->num = id->serial = UINT32_MAX;
}

static void merge_u(uint64_t *to, uint64_t from)
{
	if (*to == BD_UNSET)
		*to = from;
}

static void merge_s(const char **to, const char *from)
{
	if (!*to)
		*to = from;
}

/* What q does not know yet, from p (two rows of one process). */
static void fold(struct bd_cap_proc *q, const struct bd_cap_proc *p)
{
	merge_s(&q->name, p->name);
	merge_s(&q->label, p->label);
	merge_s(&q->initial_call, p->initial_call);
	merge_s(&q->spawned_by, p->spawned_by);
	merge_u(&q->memory, p->memory);
	merge_u(&q->heap_words, p->heap_words);
	merge_u(&q->queue, p->queue);
	merge_u(&q->reductions, p->reductions);
	merge_u(&q->pinned, p->pinned);
	merge_u(&q->state, p->state);
}

static int proc_cmp(const void *a, const void *b)
{
	const struct bd_cap_proc *x = a, *y = b;
	int c = bd_pid_cmp(&x->id, &y->id);

	return c ? c : strcmp(x->pid, y->pid);
}

static int proc_ptr_cmp(const void *a, const void *b)
{
	return proc_cmp(*(const struct bd_cap_proc *const *)a, *(const struct bd_cap_proc *const *)b);
}

/*
 * Where each row goes, by pid: in by[0..n). A dump lists its processes by
 * slot of the process table, which interleaves serials, so a large table
 * is far from pid order. Pids of one node order as the number
 * (serial, number), sorted by radix in a few passes; anything else (a pid
 * that did not parse, several nodes) by comparison.
 */
static void pid_order(struct bd_cap_proc *rows, size_t n, struct bd_cap_proc **by)
{
	struct bd_sort_key *keys = bd_realloc_array(NULL, n, sizeof(*keys));
	bool numeric = keys != NULL;

	for (size_t i = 0; i < n && numeric; i++) {
		numeric = bd_pid_sort_key(&rows[i].id, &rows[0].id, &keys[i].key);
		keys[i].at = i;
	}
	if (numeric && bd_sort_keys(keys, n)) {
		for (size_t i = 0; i < n; i++)
			by[i] = &rows[keys[i].at];
		/* one pid written two ways (rare) is ordered by its text too, as proc_cmp does */
		for (size_t i = 0, j; i < n; i = j) {
			for (j = i + 1; j < n && keys[j].key == keys[i].key; j++)
				;
			if (j - i > 1)
				bd_sort(by + i, j - i, sizeof(*by), proc_ptr_cmp);
		}
	} else {
		for (size_t i = 0; i < n; i++)
			by[i] = &rows[i];
		bd_sort(by, n, sizeof(*by), proc_ptr_cmp);
	}
	bd_free(keys);
}

/*
 * Order by pid and fold the rows of one process. Where each row goes is
 * found first, then the rows follow in place, each moved once: a second
 * table would be as large as the first.
 */
static void order_procs(struct bd_capture *c, bool *oom)
{
	size_t n = 0;
	bool sorted = true;
	struct bd_cap_proc **by, *rows = c->procs;

	for (size_t i = 1; i < c->n_procs && sorted; i++)
		sorted = proc_cmp(&rows[i - 1], &rows[i]) < 0;
	if (sorted)
		return;
	by = bd_realloc_array(NULL, c->n_procs, sizeof(*by));
	if (!by) {
		*oom = true;
		return;
	}
	pid_order(rows, c->n_procs, by);
	/* place i takes row by[i]; follow each cycle, marking places done with NULL */
	for (size_t i = 0; i < c->n_procs; i++) {
		if (!by[i] || by[i] == &rows[i]) {
			by[i] = NULL;
			continue;
		}
		struct bd_cap_proc first = rows[i];
		size_t at = i;
		while (by[at] != &rows[i]) {
			size_t from = (size_t)(by[at] - rows);
			rows[at] = rows[from];
			by[at] = NULL;
			at = from;
		}
		rows[at] = first;
		by[at] = NULL;
	}
	bd_free(by);
	for (size_t i = 0; i < c->n_procs; i++) {
		if (n && proc_cmp(&rows[n - 1], &rows[i]) == 0)
			fold(&rows[n - 1], &rows[i]);
		else if (n++ != i)
			rows[n - 1] = rows[i];
	}
	c->n_procs = n;
}

/* The process with this pid among the first n (ordered by pid), or NULL. */
static struct bd_cap_proc *proc_find(const struct bd_capture *c, size_t n, const char *pid)
{
	struct bd_cap_proc want;
	size_t lo = 0, hi = n;

	want.pid = pid;
	parse_id(pid, &want.id);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = proc_cmp(&c->procs[mid], &want);
		if (r == 0)
			return &c->procs[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A process row of any list: folded into the process table, or a new row. */
static void proc_row(struct loader *l, const struct rm_node *row)
{
	struct bd_cap_proc t, *p;
	uint64_t young = num(row, "stack_heap_words"), old = num(row, "old_heap_words");

	memset(&t, 0, sizeof(t));
	if (!(t.pid = str(l, row, "pid")))
		return;
	parse_id(t.pid, &t.id);
	t.name = str(l, row, "name");
	t.label = str(l, row, "label");
	t.initial_call = str(l, row, "initial_call");
	t.spawned_by = str(l, row, "spawned_by");
	t.memory = num(row, "memory_bytes");
	t.queue = num(row, "message_queue_len");
	t.reductions = num(row, "reductions");
	t.pinned = num(row, "pinned_bytes");
	t.state = num(row, "state_bytes");
	t.heap_words = young == BD_UNSET ? BD_UNSET : young + (old == BD_UNSET ? 0 : old);
	/* a dump's table is ordered before analyze's rows are read */
	p = l->c->all_processes ? proc_find(l->c, l->n_table, t.pid) : NULL;
	if (p) {
		fold(p, &t);
		return;
	}
	if ((p = new_proc(l)))
		*p = t;
}

static void ets_row(struct loader *l, const struct rm_node *row)
{
	struct bd_capture *c = l->c;
	struct bd_cap_ets *e;

	if (!bd_grow((void **)&c->ets, &l->cap_ets, c->n_ets + 1, sizeof(*c->ets))) {
		l->oom = true;
		return;
	}
	e = &c->ets[c->n_ets++];
	e->name = str(l, row, "name");
	if (!e->name)
		e->name = str(l, row, "table");
	e->owner = str(l, row, "owner");
	e->owner_name = str(l, row, "owner_name");
	e->bytes = num(row, "bytes");
	e->objects = num(row, "objects");
}

static void alloc_row(struct loader *l, const struct rm_node *row)
{
	struct bd_capture *c = l->c;
	struct bd_cap_alloc *a;

	if (!bd_grow((void **)&c->allocs, &l->cap_allocs, c->n_allocs + 1, sizeof(*c->allocs))) {
		l->oom = true;
		return;
	}
	a = &c->allocs[c->n_allocs++];
	a->name = str(l, row, "name");
	a->blocks = num(row, "blocks_bytes");
	a->carriers = num(row, "carriers_bytes");
}

static void finding_row(struct loader *l, const struct rm_node *row)
{
	struct bd_capture *c = l->c;
	struct bd_finding *f;
	const struct rm_node *sev = bd_rm_child(row, "severity");
	const struct rm_node *pids = bd_rm_child(row, "pids");

	if (!bd_grow((void **)&c->findings, &l->cap_findings, c->n_findings + 1,
		     sizeof(*c->findings))) {
		l->oom = true;
		return;
	}
	f = &c->findings[c->n_findings++];
	memset(f, 0, sizeof(*f));
	if (sev && sev->kind == RM_STR)
		bd_severity_parse(sev->v.s, &f->severity);
	f->exact = -1;
	f->kind = str(l, row, "kind");
	f->title = str(l, row, "title");
	f->evidence = str(l, row, "evidence");
	if (pids && pids->kind == RM_ARR && pids->n_children) {
		f->pids = bd_arena_calloc(&c->arena, pids->n_children, sizeof(*f->pids));
		if (!f->pids) {
			l->oom = true;
			return;
		}
		for (const struct rm_node *p = pids->first; p; p = p->next)
			if (p->kind == RM_STR)
				f->pids[f->n_pids++] = dup_slice(l, p->v.s);
	}
}

/* An analyze report (built now, or read back from JSON). */
static void read_analyze(struct loader *l, const struct rm_node *root)
{
	struct bd_capture *c = l->c;
	const struct rm_node *memory = bd_rm_child(root, "memory");
	const struct rm_node *counts = bd_rm_child(root, "counts");
	const struct rm_node *procs = bd_rm_child(root, "processes");
	const struct rm_node *dump = bd_rm_child(root, "dump");

	c->time = str(l, dump, "time");
	c->node = str(l, dump, "node");
	for (size_t i = 0; i < BD_MEM_N; i++)
		c->memory[i] = num(memory, bd_mem_cat_names[i]);
	c->processes = num(counts, "processes");
	c->atoms = num(counts, "atoms");
	c->atom_limit = num(counts, "atom_limit");
	each_row(l, bd_rm_child(root, "findings"), finding_row);
	each_row(l, bd_rm_child(root, "allocators"), alloc_row);
	if (!c->all_processes) {
		each_row(l, bd_rm_child(procs, "by_memory"), proc_row);
		each_row(l, bd_rm_child(procs, "by_message_queue"), proc_row);
		each_row(l, bd_rm_child(procs, "by_reductions"), proc_row);
		each_row(l, bd_rm_child(root, "mailboxes"), proc_row);
		each_row(l, bd_rm_child(root, "ets"), ets_row);
	}
	each_row(l, bd_rm_child(root, "states"), proc_row);
	each_row(l, bd_rm_child(root, "binary_leaks"), proc_row);
}

/* ------------------------------------------------------ from a dump */

struct last_text {
	const char *text;            /* the last copy made, or NULL */
	size_t len;
};

/*
 * The whole process table, filled as analyze's scan reads each =proc: the
 * dump is read once for both. Room for every process and analyze's rows is
 * made first, so the table never moves as it fills.
 */
struct procs_fill {
	struct bd_dump *d;
	struct bd_cap_proc *procs;   /* the table */
	uint32_t *place;             /* rank -> row in pid order; NULL: row = rank */
	size_t n;
	struct bd_arena *arena;
	struct last_text call, spawned_by;
	bool oom;
};

/*
 * A copy of s, or the last one made if s reads the same: workers spawned one
 * after another share their initial call and parent, and one copy serves
 * the run of them.
 */
static const char *dup_or_last(struct procs_fill *pf, struct last_text *last, struct bd_slice s)
{
	if (last->text && s.len == last->len && memcmp(s.ptr, last->text, s.len) == 0)
		return last->text;
	last->text = arena_dup(pf->arena, s, &pf->oom);
	last->len = last->text ? s.len : 0;
	return last->text;
}

static bool procs_prepare(struct loader *l, struct bd_dump *d, struct procs_fill *pf)
{
	struct bd_capture *c = l->c;

	bd_dump_prepare_shared(d);
	pf->d = d;
	pf->n = d->n_proc_list;
	if (!bd_grow((void **)&c->procs, &l->cap_procs, pf->n + 8 * ANALYZE_TOP, sizeof(*c->procs)) ||
	    (pf->n && !d->proc_list) || !(c->arenas = bd_calloc(1, sizeof(*c->arenas))))
		return false;
	c->n_arenas = 1;
	bd_arena_init(&c->arenas[0]);
	pf->procs = c->procs;
	/* each process's row in pid order: moving 112-byte rows into order after costs a miss each */
	pf->place = pf->n > 1 ? bd_dump_pid_places(d) : NULL;
	pf->arena = &c->arenas[0];
	pf->call = pf->spawned_by = (struct last_text){ NULL, 0 };
	pf->oom = false;
	return true;
}

static void proc_visit(void *ctx, size_t rank, const struct bd_proc *p)
{
	struct procs_fill *pf = ctx;
	struct bd_cap_proc *cp;

	if (rank >= pf->n)
		return;
	cp = &pf->procs[pf->place ? pf->place[rank] : rank];
	memset(cp, 0, sizeof(*cp));
	cp->pinned = cp->state = BD_UNSET;
	cp->pid = arena_dup(pf->arena, p->pid, &pf->oom);
	if (!bd_parse_pid(p->pid, &cp->id))
		cp->id.node = cp->id.num = cp->id.serial = UINT32_MAX;
	cp->name = arena_dup(pf->arena, bd_atom_text(pf->arena, p->name), &pf->oom);
	cp->label = arena_dup(pf->arena, bd_dump_proc_label(pf->d, p->pid), &pf->oom);
	cp->initial_call = dup_or_last(pf, &pf->call, p->spawned_as);
	if (!bd_slice_eq(p->spawned_by, "[]"))
		cp->spawned_by = dup_or_last(pf, &pf->spawned_by, p->spawned_by);
	cp->memory = bd_proc_memory(p, pf->d, NULL);
	cp->queue = p->message_queue_len;
	cp->reductions = p->reductions;
	cp->heap_words = BD_UNSET;
	if (p->stack_heap_words != BD_UNSET)
		cp->heap_words = p->stack_heap_words +
				 (p->old_heap_words == BD_UNSET ? 0 : p->old_heap_words);
}

static void dump_ets(struct loader *l, struct bd_dump *d)
{
	struct bd_capture *c = l->c;

	for (size_t i = bd_section_find(d, BD_SECT_ETS, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_ETS, i + 1)) {
		struct bd_section s;
		struct bd_ets e;
		bd_section_get(d, i, &s);
		bd_parse_ets(&s, &e);
		if (!bd_grow((void **)&c->ets, &l->cap_ets, c->n_ets + 1, sizeof(*c->ets))) {
			l->oom = true;
			return;
		}
		struct bd_cap_ets *t = &c->ets[c->n_ets++];
		t->name = dup_slice(l, bd_atom_text(&c->arena, e.name.len ? e.name : e.table));
		t->owner = dup_slice(l, e.owner);
		t->owner_name = NULL; /* filled from the process table */
		t->bytes = e.words == BD_UNSET ? BD_UNSET : e.words * d->info.word_size;
		t->objects = e.objects;
	}
}

static enum bd_status load_dump(struct loader *l, const char *path,
				const struct bd_open_opts *opts, struct bd_error *err)
{
	struct bd_dump *d = NULL;
	struct bd_report *r = NULL;
	/* check and diff read states' sizes, never their shapes: a big state is walked once */
	struct bd_analyze_opts ao = { ANALYZE_TOP, true };
	enum bd_status rc = bd_dump_open(&d, path, opts, err);

	if (rc)
		return rc;
	struct procs_fill pf;
	if (!procs_prepare(l, d, &pf)) {
		bd_dump_free(d);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory reading processes");
	}
	rc = bd_report_analyze_visit(d, &ao, proc_visit, &pf, &r, err);
	bd_free(pf.place);
	if (!rc) {
		l->c->source = bd_dump_info(d)->source;  /* "dump" or "snapshot" */
		l->c->creation = bd_dump_info(d)->snapshot.creation;
		l->c->all_processes = true;
		l->c->n_procs = pf.n;
		l->oom = l->oom || pf.oom;
		dump_ets(l, d);
		order_procs(l->c, &l->oom);
		l->n_table = l->c->n_procs;
		read_analyze(l, r->root);
	}
	bd_report_free(r);
	bd_dump_free(d);
	return rc;
}

/* ------------------------------------------------- from a JSON report */

static enum bd_status read_file(const char *path, struct bd_buf *b, struct bd_error *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return bd_fail(err, BD_EIO, BD_NO_OFFSET, NULL, "cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		bd_buf_add(b, chunk, n);
		if (b->len > MAX_REPORT_BYTES) {
			fclose(f);
			return bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL,
				       "%s: a saved report over %u MiB", path, MAX_REPORT_BYTES >> 20);
		}
	}
	if (ferror(f)) {
		fclose(f);
		return bd_fail(err, BD_EIO, BD_NO_OFFSET, NULL, "cannot read %s", path);
	}
	fclose(f);
	return b->oom ? bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory") : BD_OK;
}

static enum bd_status load_report(struct loader *l, const char *path, struct bd_error *err)
{
	struct bd_buf text = BD_BUF_INIT;
	struct bd_arena arena;
	struct rm_builder b = { &arena, false };
	struct bd_json *json;
	const struct rm_node *root;
	const struct rm_node *report;
	enum bd_status rc;

	bd_arena_init(&arena);
	rc = read_file(path, &text, err);
	if (!rc)
		rc = bd_json_parse(&arena, text.ptr, text.len, &json, err);
	if (!rc) {
		root = bd_rm_from_json(&b, NULL, json);
		report = bd_rm_child(root, "report");
		if (b.oom)
			rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
		else if (!report || report->kind != RM_STR || !bd_slice_eq(report->v.s, "analyze"))
			rc = bd_fail(err, BD_EFORMAT, BD_NO_OFFSET, NULL,
				     "%s: not a report of beamdump analyze --format json", path);
		else {
			l->c->source = "report";
			read_analyze(l, root);
		}
	}
	if (rc == BD_EFORMAT && err && !strstr(err->msg, path)) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%.100s: %.150s", path, err->msg);
		memcpy(err->msg, msg, sizeof(msg));
	}
	bd_arena_release(&arena);
	bd_buf_release(&text);
	return rc;
}

/* A JSON report starts with '{'; a dump with '=' (or gzip's magic). */
static bool is_json(const char *path)
{
	FILE *f;
	int ch;

	if (strcmp(path, "-") == 0 || !(f = fopen(path, "rb")))
		return false;
	do
		ch = fgetc(f);
	while (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t');
	fclose(f);
	return ch == '{';
}

/* ------------------------------------------------------------ order */

int bd_pid_text_cmp(const char *a, const char *b)
{
	struct bd_pid x, y;
	bool px = a && bd_parse_pid(bd_slice_make(a, strlen(a)), &x);
	bool py = b && bd_parse_pid(bd_slice_make(b, strlen(b)), &y);

	if (px && py)
		return bd_pid_cmp(&x, &y);
	if (px != py)
		return px ? -1 : 1;
	return strcmp(a ? a : "", b ? b : "");
}

static int ets_cmp(const void *a, const void *b)
{
	const struct bd_cap_ets *x = a, *y = b;
	int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");

	return c ? c : bd_pid_text_cmp(x->owner, y->owner);
}

/* Order the processes, name parents and table owners. */
static void finish(struct loader *l)
{
	struct bd_capture *c = l->c;
	size_t n;

	const char *by = NULL;
	const struct bd_cap_proc *parent = NULL;

	order_procs(c, &l->oom);
	n = c->n_procs;
	for (size_t i = 0; i < n; i++) {
		const char *pby = c->procs[i].spawned_by;
		/* siblings usually follow each other: their parent is looked up once */
		if (pby && (!by || (pby != by && strcmp(pby, by) != 0))) {
			parent = bd_capture_proc(c, pby);
			by = pby;
		}
		c->procs[i].parent = pby && parent ? parent->name : NULL;
	}
	for (size_t i = 0; i < c->n_ets; i++) {
		const struct bd_cap_proc *owner = c->ets[i].owner ? bd_capture_proc(c, c->ets[i].owner)
								   : NULL;
		if (owner && owner->name)
			c->ets[i].owner_name = owner->name;
	}
	bd_sort(c->ets, c->n_ets, sizeof(*c->ets), ets_cmp);
}

const struct bd_cap_proc *bd_capture_proc(const struct bd_capture *c, const char *pid)
{
	return proc_find(c, c->n_procs, pid);
}

enum bd_status bd_capture_load(struct bd_capture **out, const char *path,
			       const struct bd_open_opts *opts, struct bd_error *err)
{
	struct bd_capture *c = bd_calloc(1, sizeof(*c));
	struct loader l;
	enum bd_status rc;

	*out = NULL;
	if (!c)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
	bd_arena_init(&c->arena);
	memset(&l, 0, sizeof(l));
	l.c = c;
	c->file = bd_arena_strndup(&c->arena, path, strlen(path));
	rc = is_json(path) ? load_report(&l, path, err) : load_dump(&l, path, opts, err);
	if (!rc)
		finish(&l);
	if (!rc && (l.oom || !c->file))
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory reading %s", path);
	if (rc) {
		bd_capture_free(c);
		return rc;
	}
	*out = c;
	return BD_OK;
}

struct load_job {
	struct bd_capture *c;
	const char *path;
	const struct bd_open_opts *opts;
	struct bd_error err;
	enum bd_status rc;
};

static void load_one(void *ctx, size_t i)
{
	struct load_job *j = &((struct load_job *)ctx)[i];

	j->err.offset = BD_NO_OFFSET;
	j->rc = bd_capture_load(&j->c, j->path, j->opts, &j->err);
}

#define LOAD_MAX 3

/* The size of a dump to read, 0 for a saved report or standard input. */
static uint64_t dump_size(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0 || is_json(path) || stat(path, &st) != 0)
		return 0;
	return (uint64_t)st.st_size;
}

/*
 * Threads for each capture's analysis. Dumps of about one size read side
 * by side each take their share, so their analyses do not take turns on
 * the same cores; a saved report reads in milliseconds and a much smaller
 * dump is done early, so then each dump is given every thread.
 */
static unsigned threads_each(const char *const *paths, size_t n, unsigned threads)
{
	uint64_t least = UINT64_MAX, most = 0;
	size_t dumps = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t size = dump_size(paths[i]);
		if (!size)
			continue;
		dumps++;
		least = size < least ? size : least;
		most = size > most ? size : most;
	}
	if (dumps < 2 || most > least + least / 2)
		return threads;
	return threads / dumps ? threads / (unsigned)dumps : 1;
}

enum bd_status bd_capture_load_all(struct bd_capture **out, const char *const *paths, size_t n,
				   const struct bd_open_opts *opts, struct bd_error *err)
{
	struct load_job jobs[LOAD_MAX];
	struct bd_open_opts quiet, each[LOAD_MAX];
	enum bd_status rc = BD_OK;

	if (n > LOAD_MAX)
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL, "at most %d captures", LOAD_MAX);
	if (opts) {
		/* one progress line, not several interleaved */
		quiet = *opts;
		quiet.progress = NULL;
		quiet.progress_ctx = NULL;
	}
	unsigned threads = opts && opts->threads ? opts->threads : bd_threads_online();
	unsigned per = threads_each(paths, n, threads);
	memset(jobs, 0, sizeof(jobs));
	for (size_t i = 0; i < n; i++) {
		jobs[i].path = paths[i];
		if (opts) {
			each[i] = i ? quiet : *opts;
			each[i].threads = per;
			jobs[i].opts = &each[i];
		}
	}
	size_t stdin_reads = 0;
	for (size_t i = 0; i < n; i++)
		stdin_reads += strcmp(paths[i], "-") == 0;
	/* standard input read twice: in turn, so the second finds it spent, as it is */
	bd_parallel(n, stdin_reads > 1 ? 1 : threads, load_one, jobs);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rc && !rc) {
			rc = jobs[i].rc;
			if (err)
				*err = jobs[i].err;
		}
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = rc ? NULL : jobs[i].c;
		if (rc)
			bd_capture_free(jobs[i].c);
	}
	return rc;
}

void bd_capture_free(struct bd_capture *c)
{
	if (!c)
		return;
	bd_free(c->procs);
	bd_free(c->ets);
	bd_free(c->allocs);
	bd_free(c->findings);
	for (size_t k = 0; k < c->n_arenas; k++)
		bd_arena_release(&c->arenas[k]);
	bd_free(c->arenas);
	bd_arena_release(&c->arena);
	bd_free(c);
}
