/*
 * `diff`: what changed between two captures of the same system, and with a
 * third (baseline, target, final) the leak candidates of the memlab method:
 * what the target added and the final still holds. Lists are ordered by
 * the size of the change, ties by key then pid, so the output is byte-stable.
 */
#include "bd.h"
#include "analyze/match.h"

#include <stdlib.h>

#define DEFAULT_TOP 20

struct differ {
	struct rm_builder *b;
	struct bd_arena *a;
	const struct bd_capture *old, *new, *final;
	size_t top;
	double seconds;  /* from the old capture to the new one, on the same node; 0 if unknown */
};

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/*
 * A capture's date line ("Mon Dec  7 09:26:01 2026", as ctime writes it)
 * in seconds on its own clock; -1 if it does not read as one.
 */
static double capture_time(const char *text)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char wday[4], mon[4];
	int day, hh, mm, ss, year, used = 0;
	const char *at;

	if (!text || sscanf(text, "%3s %3s %d %d:%d:%d %d%n", wday, mon, &day, &hh, &mm, &ss, &year,
			    &used) != 7 || text[used] || !(at = strstr(months, mon)) ||
	    (at - months) % 3 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	return (double)days_from_civil(year, (at - months) / 3 + 1, day) * 86400 + hh * 3600 +
	       mm * 60 + ss;
}

/*
 * Seconds between two snapshots of one run of one node (the same name and
 * creation), when the new one is later: a process with the same pid in
 * both is the same process, and its reductions make a rate. Dumps cannot
 * tell one run of a node from the next, whose pids repeat.
 */
static double between(const struct bd_capture *old, const struct bd_capture *new)
{
	double t0 = capture_time(old->time), t1 = capture_time(new->time);

	if (t0 < 0 || t1 <= t0 || !old->node || !new->node || strcmp(old->node, new->node) != 0 ||
	    !old->creation || old->creation != new->creation)
		return 0;
	return t1 - t0;
}

static int64_t delta(uint64_t old, uint64_t now)
{
	if (old == BD_UNSET || now == BD_UNSET)
		return 0;
	return (int64_t)(now - old);
}

static uint64_t mag(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* A number, or null when unknown. */
static struct rm_node *num(struct rm_builder *b, struct rm_node *o, const char *key, uint64_t v,
			   bool bytes)
{
	if (v == BD_UNSET)
		return bd_rm_null(b, o, key);
	return bytes ? bd_rm_bytes(b, o, key, v) : bd_rm_uint(b, o, key, v);
}

static struct rm_node *change(struct rm_builder *b, struct rm_node *o, const char *key,
			      uint64_t old, uint64_t now)
{
	if (old == BD_UNSET || now == BD_UNSET)
		return bd_rm_null(b, o, key);
	return bd_rm_int(b, o, key, delta(old, now));
}

static struct rm_node *opt_str(struct rm_builder *b, struct rm_node *o, const char *key,
			       const char *s)
{
	return s ? bd_rm_str(b, o, key, s) : bd_rm_null(b, o, key);
}

/* ------------------------------------------------------- captures */

static void captures(struct differ *d, struct rm_node *root)
{
	const struct bd_capture *cs[3] = { d->old, d->new, d->final };
	const char *roles[3] = { d->final ? "baseline" : "old", d->final ? "target" : "new", "final" };
	struct rm_node *arr = bd_rm_label(bd_rm_arr(d->b, root, "captures"), "Captures");

	for (size_t i = 0; i < 3 && cs[i]; i++) {
		struct rm_node *o = bd_rm_obj(d->b, arr, NULL);
		bd_rm_str(d->b, o, "role", roles[i]);
		bd_rm_flags(opt_str(d->b, o, "file", cs[i]->file), RM_WIDE);
		bd_rm_str(d->b, o, "source", cs[i]->source);
		opt_str(d->b, o, "time", cs[i]->time);
		opt_str(d->b, o, "node", cs[i]->node);
		num(d->b, o, "processes", cs[i]->processes, false);
		num(d->b, o, "atoms", cs[i]->atoms, false);
	}
}

static void memory(struct differ *d, struct rm_node *root)
{
	struct rm_node *arr = bd_rm_label(bd_rm_arr(d->b, root, "memory"), "Memory");

	for (size_t i = 0; i < BD_MEM_N; i++) {
		uint64_t old = d->old->memory[i], now = d->new->memory[i];
		struct rm_node *o = bd_rm_obj(d->b, arr, NULL);
		bd_rm_str(d->b, o, "category", bd_mem_cat_names[i]);
		num(d->b, o, "old_bytes", old, true);
		num(d->b, o, "new_bytes", now, true);
		change(d->b, o, "growth_bytes", old, now);
		if (old == BD_UNSET || now == BD_UNSET || old == 0)
			bd_rm_null(d->b, o, "growth");
		else
			bd_rm_ratio(d->b, o, "growth", ((double)now - (double)old) / (double)old);
	}
	struct rm_node *atoms = bd_rm_label(bd_rm_obj(d->b, root, "atoms"), "Atoms");
	num(d->b, atoms, "old", d->old->atoms, false);
	num(d->b, atoms, "new", d->new->atoms, false);
	change(d->b, atoms, "growth", d->old->atoms, d->new->atoms);
}

/* ------------------------------------------------------ allocators */

struct alloc_pair {
	const char *name;
	const struct bd_cap_alloc *old, *new;
	uint64_t order;
};

static int alloc_pair_cmp(const void *x, const void *y)
{
	const struct alloc_pair *a = x, *b = y;

	if (a->order != b->order)
		return a->order > b->order ? -1 : 1;
	return strcmp(a->name, b->name);
}

static enum bd_status allocators(struct differ *d, struct rm_node *root)
{
	struct alloc_pair *p = bd_calloc(d->old->n_allocs + d->new->n_allocs + 1, sizeof(*p));
	size_t n = 0;
	struct rm_node *arr = bd_rm_label(bd_rm_arr(d->b, root, "allocators"), "Allocators");

	if (!p)
		return BD_ENOMEM;
	for (size_t i = 0; i < d->new->n_allocs; i++)
		if (d->new->allocs[i].name)
			p[n++] = (struct alloc_pair){ d->new->allocs[i].name, NULL, &d->new->allocs[i], 0 };
	for (size_t i = 0; i < d->old->n_allocs; i++) {
		const struct bd_cap_alloc *o = &d->old->allocs[i];
		size_t j = 0;
		while (j < n && (!o->name || strcmp(p[j].name, o->name) != 0))
			j++;
		if (!o->name)
			continue;
		if (j == n)
			p[n++] = (struct alloc_pair){ o->name, o, NULL, 0 };
		else
			p[j].old = o;
	}
	for (size_t i = 0; i < n; i++)
		p[i].order = mag(delta(p[i].old ? p[i].old->blocks : 0, p[i].new ? p[i].new->blocks : 0));
	bd_sort(p, n, sizeof(*p), alloc_pair_cmp);
	for (size_t i = 0; i < n && i < d->top; i++) {
		struct rm_node *o = bd_rm_obj(d->b, arr, NULL);
		uint64_t ob = p[i].old ? p[i].old->blocks : BD_UNSET;
		uint64_t nb = p[i].new ? p[i].new->blocks : BD_UNSET;
		bd_rm_str(d->b, o, "name", p[i].name);
		bd_rm_label(num(d->b, o, "old_blocks_bytes", ob, true), "old blocks");
		bd_rm_label(num(d->b, o, "new_blocks_bytes", nb, true), "new blocks");
		bd_rm_label(change(d->b, o, "growth_bytes", ob, nb), "growth");
		bd_rm_label(num(d->b, o, "old_carriers_bytes", p[i].old ? p[i].old->carriers : BD_UNSET,
			     true), "old carriers");
		bd_rm_label(num(d->b, o, "new_carriers_bytes", p[i].new ? p[i].new->carriers : BD_UNSET,
			     true), "new carriers");
	}
	bd_free(p);
	return BD_OK;
}

/* ------------------------------------------------------- processes */

struct ranked {
	const struct bd_match_row *row;
	uint64_t order;
};

static int ranked_cmp(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;

	if (a->order != b->order)
		return a->order > b->order ? -1 : 1;
	return strcmp(a->row->key, b->row->key);
}

static const char *pid_of(const struct bd_cap_proc *p)
{
	return p ? p->pid : NULL;
}

static void growth_row(struct differ *d, struct rm_node *arr, const struct bd_match_row *r)
{
	struct rm_builder *b = d->b;
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	const struct bd_match_sums *x = &r->s_old, *y = &r->s_new;

	bd_rm_flags(bd_rm_label(bd_rm_str(b, o, "key", r->key), "process or group"), RM_WIDE);
	opt_str(b, o, "old_pid", pid_of(r->old));
	opt_str(b, o, "new_pid", pid_of(r->new));
	bd_rm_uint(b, o, "old_count", r->n_old);
	bd_rm_uint(b, o, "new_count", r->n_new);
	bd_rm_label(num(b, o, "old_memory_bytes", x->memory, true), "old memory");
	bd_rm_label(num(b, o, "new_memory_bytes", y->memory, true), "new memory");
	bd_rm_label(change(b, o, "memory_growth_bytes", x->memory, y->memory), "memory growth");
	bd_rm_flags(num(b, o, "old_heap_words", x->heap_words, false), RM_NOTEXT);
	bd_rm_flags(num(b, o, "new_heap_words", y->heap_words, false), RM_NOTEXT);
	bd_rm_label(change(b, o, "heap_growth_words", x->heap_words, y->heap_words), "heap growth");
	bd_rm_label(num(b, o, "old_message_queue_len", x->queue, false), "old mq");
	bd_rm_label(num(b, o, "new_message_queue_len", y->queue, false), "new mq");
	bd_rm_flags(num(b, o, "old_pinned_bytes", x->pinned, true), RM_NOTEXT);
	bd_rm_flags(num(b, o, "new_pinned_bytes", y->pinned, true), RM_NOTEXT);
	bd_rm_label(change(b, o, "pinned_growth_bytes", x->pinned, y->pinned), "pinned growth");
	bd_rm_flags(num(b, o, "old_state_bytes", x->state, true), RM_NOTEXT);
	bd_rm_flags(num(b, o, "new_state_bytes", y->state, true), RM_NOTEXT);
	bd_rm_label(change(b, o, "state_growth_bytes", x->state, y->state), "state growth");
	bd_rm_flags(num(b, o, "old_reductions", x->reductions, false), RM_NOTEXT);
	bd_rm_flags(num(b, o, "new_reductions", y->reductions, false), RM_NOTEXT);
	/* one process in both, the same pid on the same running node: its rate */
	if (d->seconds > 0 && r->old && r->new && r->n_old == 1 && r->n_new == 1 &&
	    strcmp(r->old->pid, r->new->pid) == 0 && x->reductions != BD_UNSET &&
	    y->reductions != BD_UNSET && y->reductions >= x->reductions)
		bd_rm_label(bd_rm_uint(b, o, "reductions_per_s",
				 (uint64_t)((double)(y->reductions - x->reductions) / d->seconds + 0.5)),
			 "reductions/s");
}

static void presence_row(struct differ *d, struct rm_node *arr, const struct bd_match_row *r,
			 bool born)
{
	struct rm_node *o = bd_rm_obj(d->b, arr, NULL);
	const struct bd_match_sums *s = born ? &r->s_new : &r->s_old;

	bd_rm_flags(bd_rm_label(bd_rm_str(d->b, o, "key", r->key), "process or group"), RM_WIDE);
	opt_str(d->b, o, "pid", pid_of(born ? r->new : r->old));
	bd_rm_uint(d->b, o, "count", born ? r->n_new : r->n_old);
	bd_rm_label(num(d->b, o, "memory_bytes", s->memory, true), "memory");
	bd_rm_label(num(d->b, o, "message_queue_len", s->queue, false), "mq");
}

enum which { CHANGED, BORN, GONE };

static enum bd_status process_lists(struct differ *d, struct rm_node *root, const struct bd_match *m)
{
	static const char *const keys[] = { "processes", "born", "gone" };
	static const char *const labels[] = { "Processes and groups that changed (by memory growth)",
					      "Born (absent from the old capture)",
					      "Gone (absent from the new capture)" };
	struct ranked *rk = bd_calloc(m->n + 1, sizeof(*rk));
	bool complete = d->old->all_processes && d->new->all_processes;

	if (!rk)
		return BD_ENOMEM;
	for (int w = CHANGED; w <= GONE; w++) {
		size_t n = 0;
		struct rm_node *arr;
		if (w != CHANGED && !complete) {
			bd_rm_label(bd_rm_null(d->b, root, keys[w]), labels[w]);
			continue;
		}
		for (size_t i = 0; i < m->n; i++) {
			const struct bd_match_row *r = &m->rows[i];
			uint64_t order;
			if (w == CHANGED && r->n_old && r->n_new)
				order = mag(delta(r->s_old.memory, r->s_new.memory));
			else if (w == BORN && !r->n_old)
				order = r->s_new.memory == BD_UNSET ? 0 : r->s_new.memory;
			else if (w == GONE && !r->n_new)
				order = r->s_old.memory == BD_UNSET ? 0 : r->s_old.memory;
			else
				continue;
			if (w == CHANGED && !order && r->n_old == r->n_new &&
			    !delta(r->s_old.queue, r->s_new.queue))
				continue;
			rk[n++] = (struct ranked){ r, order };
		}
		bd_sort(rk, n, sizeof(*rk), ranked_cmp);
		arr = bd_rm_label(bd_rm_arr(d->b, root, keys[w]), labels[w]);
		for (size_t i = 0; i < n && i < d->top; i++) {
			if (w == CHANGED)
				growth_row(d, arr, rk[i].row);
			else
				presence_row(d, arr, rk[i].row, w == BORN);
		}
	}
	bd_free(rk);
	return BD_OK;
}

/* ------------------------------------------------------------ ETS */

/* "name of owner-key": a table is known by its name and its owner's key. */
static struct bd_keyed *ets_keys(struct differ *d, const struct bd_capture *c)
{
	struct bd_keyed *k = bd_calloc(c->n_ets + 1, sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < c->n_ets; i++) {
		const struct bd_cap_ets *e = &c->ets[i];
		const struct bd_cap_proc *owner = e->owner ? bd_capture_proc(c, e->owner) : NULL;
		k[i].item = e;
		k[i].order = i;
		k[i].key = bd_arena_printf(d->a, "%s of %s", e->name ? e->name : "?",
					   owner ? bd_proc_key(d->a, owner)
						 : e->owner_name ? e->owner_name : "?");
		if (!k[i].key) {
			bd_free(k);
			return NULL;
		}
	}
	bd_keyed_sort(k, c->n_ets);
	return k;
}

struct ets_row {
	const char *key;
	size_t n_old, n_new;
	uint64_t bytes_old, bytes_new, objects_old, objects_new;
	uint64_t order;
};

static int ets_row_cmp(const void *x, const void *y)
{
	const struct ets_row *a = x, *b = y;

	if (a->order != b->order)
		return a->order > b->order ? -1 : 1;
	return strcmp(a->key, b->key);
}

static void ets_sum(const struct bd_keyed *k, size_t n, uint64_t *bytes, uint64_t *objects)
{
	*bytes = *objects = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bd_cap_ets *e = k[i].item;
		*bytes += e->bytes == BD_UNSET ? 0 : e->bytes;
		*objects += e->objects == BD_UNSET ? 0 : e->objects;
	}
}

struct ets_rows {
	struct ets_row *v;
	size_t n;
};

static bool ets_pair(void *arg, const char *key, const struct bd_keyed *old, size_t n_old,
		     const struct bd_keyed *new, size_t n_new)
{
	struct ets_rows *rows = arg;
	struct ets_row *r = &rows->v[rows->n++];

	r->key = key;
	r->n_old = n_old;
	r->n_new = n_new;
	ets_sum(old, n_old, &r->bytes_old, &r->objects_old);
	ets_sum(new, n_new, &r->bytes_new, &r->objects_new);
	return true;
}

/* Tables of two captures matched by key, in key order; *n rows. */
static struct ets_row *ets_match(struct differ *d, const struct bd_capture *x,
				 const struct bd_capture *y, size_t *n)
{
	struct bd_keyed *kx = ets_keys(d, x), *ky = ets_keys(d, y);
	struct ets_rows rows = { bd_calloc(x->n_ets + y->n_ets + 1, sizeof(*rows.v)), 0 };

	if (kx && ky && rows.v)
		bd_keyed_merge(kx, x->n_ets, ky, y->n_ets, ets_pair, &rows);
	else {
		bd_free(rows.v);
		rows.v = NULL;
	}
	bd_free(kx);
	bd_free(ky);
	*n = rows.n;
	return rows.v;
}

static enum bd_status ets(struct differ *d, struct rm_node *root)
{
	static const char *const keys[] = { "ets", "ets_born", "ets_gone" };
	static const char *const labels[] = { "ETS tables that changed", "ETS tables born",
					      "ETS tables gone" };
	size_t n;
	struct ets_row *rows = ets_match(d, d->old, d->new, &n);
	struct ets_row *pick = bd_calloc(n + 1, sizeof(*pick));

	if (!rows || !pick) {
		bd_free(rows);
		bd_free(pick);
		return BD_ENOMEM;
	}
	for (int w = CHANGED; w <= GONE; w++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			struct ets_row r = rows[i];
			if ((w == CHANGED) != (r.n_old && r.n_new) || (w == BORN && r.n_old) ||
			    (w == GONE && r.n_new))
				continue;
			r.order = w == CHANGED ? mag(delta(r.bytes_old, r.bytes_new))
					       : w == BORN ? r.bytes_new : r.bytes_old;
			if (w == CHANGED && !r.order && r.objects_old == r.objects_new)
				continue;
			pick[k++] = r;
		}
		bd_sort(pick, k, sizeof(*pick), ets_row_cmp);
		struct rm_node *arr = bd_rm_label(bd_rm_arr(d->b, root, keys[w]), labels[w]);
		for (size_t i = 0; i < k && i < d->top; i++) {
			struct rm_node *o = bd_rm_obj(d->b, arr, NULL);
			bd_rm_flags(bd_rm_str(d->b, o, "table", pick[i].key), RM_WIDE);
			if (w != BORN) {
				bd_rm_label(bd_rm_bytes(d->b, o, "old_bytes", pick[i].bytes_old), "old");
				bd_rm_label(bd_rm_uint(d->b, o, "old_objects", pick[i].objects_old),
					 "old objects");
			}
			if (w != GONE) {
				bd_rm_label(bd_rm_bytes(d->b, o, "new_bytes", pick[i].bytes_new), "new");
				bd_rm_label(bd_rm_uint(d->b, o, "new_objects", pick[i].objects_new),
					 "new objects");
			}
			if (w == CHANGED)
				bd_rm_label(bd_rm_int(d->b, o, "growth_bytes",
						delta(pick[i].bytes_old, pick[i].bytes_new)), "growth");
		}
	}
	bd_free(rows);
	bd_free(pick);
	return BD_OK;
}

/* -------------------------------------------------------- findings */

static void finding_row(struct differ *d, struct rm_node *arr, const struct bd_finding *f)
{
	struct rm_node *o = bd_rm_obj(d->b, arr, NULL);

	bd_rm_str(d->b, o, "severity", bd_severity_name(f->severity));
	opt_str(d->b, o, "kind", f->kind);
	bd_rm_flags(opt_str(d->b, o, "title", f->title), RM_FULL);
}

struct finding_lists {
	struct differ *d;
	struct rm_node *new, *resolved, *unchanged;
};

static bool finding_pair(void *arg, const char *key, const struct bd_keyed *old, size_t n_old,
			 const struct bd_keyed *new, size_t n_new)
{
	struct finding_lists *l = arg;

	(void)key;
	for (size_t i = 0; i < n_new; i++)
		finding_row(l->d, i < n_old ? l->unchanged : l->new, new[i].item);
	for (size_t i = n_new; i < n_old; i++)
		finding_row(l->d, l->resolved, old[i].item);
	return true;
}

static enum bd_status findings(struct differ *d, struct rm_node *root)
{
	struct bd_keyed *ko = bd_keyed_findings(d->a, d->old), *kn = bd_keyed_findings(d->a, d->new);
	struct rm_node *o = bd_rm_label(bd_rm_obj(d->b, root, "findings"), "Findings");
	struct finding_lists l = { d, bd_rm_label(bd_rm_arr(d->b, o, "new"), "new"),
				   bd_rm_label(bd_rm_arr(d->b, o, "resolved"), "resolved"),
				   bd_rm_label(bd_rm_arr(d->b, o, "unchanged"), "unchanged") };

	if (ko && kn)
		bd_keyed_merge(ko, d->old->n_findings, kn, d->new->n_findings, finding_pair, &l);
	bd_free(ko);
	bd_free(kn);
	return ko && kn ? BD_OK : BD_ENOMEM;
}

/* --------------------------------------------------- leak candidates */

struct candidate {
	const char *what;
	const char *key;
	uint64_t count, memory;
	const char *pid;
};

static int candidate_cmp(const void *x, const void *y)
{
	const struct candidate *a = x, *b = y;

	if (a->memory != b->memory)
		return a->memory > b->memory ? -1 : 1;
	int c = strcmp(a->what, b->what);
	return c ? c : strcmp(a->key, b->key);
}

/*
 * Present in the target and still in the final, absent from the baseline:
 * for a process or group, the count both later captures have beyond the
 * baseline's; for ETS tables, the tables of a key.
 */
static enum bd_status leak_candidates(struct differ *d, struct rm_node *root, struct bd_error *err)
{
	struct bd_match bt, bf;
	size_t n_bt, n_bf, n = 0;
	struct ets_row *et = NULL, *ef = NULL;
	struct candidate *c = NULL;
	enum bd_status rc = bd_match_procs(d->old, d->new, &bt, err);

	if (rc)
		return rc;
	if ((rc = bd_match_procs(d->old, d->final, &bf, err)) != BD_OK) {
		bd_match_release(&bt);
		return rc;
	}
	et = ets_match(d, d->old, d->new, &n_bt);
	ef = ets_match(d, d->old, d->final, &n_bf);
	c = bd_calloc(bf.n + n_bf + 1, sizeof(*c));
	if (!et || !ef || !c) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < bf.n; i++) {
		const struct bd_match_row *f = &bf.rows[i];
		const struct bd_match_row *t = bd_match_find(&bt, f->key);
		size_t later = t ? (t->n_new < f->n_new ? t->n_new : f->n_new) : 0;
		if (later <= f->n_old)
			continue;
		uint64_t mem = f->s_new.memory == BD_UNSET ? 0 : f->s_new.memory;
		c[n++] = (struct candidate){ "process", f->key, later - f->n_old,
					     f->n_old ? mem / f->n_new * (later - f->n_old) : mem,
					     f->new ? f->new->pid : NULL };
	}
	for (size_t i = 0; i < n_bf; i++) {
		const struct ets_row *f = &ef[i];
		bool in_target = false;
		for (size_t j = 0; j < n_bt && !in_target; j++)
			in_target = et[j].n_new && strcmp(et[j].key, f->key) == 0;
		if (f->n_old || !f->n_new || !in_target)
			continue;
		c[n++] = (struct candidate){ "ets", f->key, f->n_new, f->bytes_new, NULL };
	}
	bd_sort(c, n, sizeof(*c), candidate_cmp);
	/* added in the target, still in the final, absent from the baseline */
	struct rm_node *arr = bd_rm_label(bd_rm_arr(d->b, root, "leak_candidates"), "Leak candidates");
	for (size_t i = 0; i < n && i < d->top; i++) {
		struct rm_node *o = bd_rm_obj(d->b, arr, NULL);
		bd_rm_str(d->b, o, "what", c[i].what);
		bd_rm_flags(bd_rm_label(bd_rm_str(d->b, o, "key", c[i].key), "process, group or table"),
			 RM_WIDE);
		opt_str(d->b, o, "pid", c[i].pid);
		bd_rm_uint(d->b, o, "count", c[i].count);
		bd_rm_label(bd_rm_bytes(d->b, o, "memory_bytes", c[i].memory), "memory in the final");
	}
done:
	bd_free(et);
	bd_free(ef);
	bd_free(c);
	bd_match_release(&bt);
	bd_match_release(&bf);
	return rc;
}

/* ------------------------------------------------------------ report */

enum bd_status bd_report_diff(const char *old_path, const char *new_path, const char *final_path,
			      const struct bd_diff_opts *opts, struct bd_report **out,
			      struct bd_error *err)
{
	const struct bd_open_opts *open = opts ? opts->open : NULL;
	struct bd_capture *old = NULL, *new = NULL, *final = NULL;
	struct bd_report *r = NULL;
	struct bd_match m;
	struct differ d;
	enum bd_status rc;

	*out = NULL;
	{
		const char *paths[3] = { old_path, new_path, final_path };
		struct bd_capture *caps[3] = { NULL, NULL, NULL };
		rc = bd_capture_load_all(caps, paths, final_path ? 3 : 2, open, err);
		old = caps[0];
		new = caps[1];
		final = caps[2];
	}
	if (rc)
		goto done;
	if (!(r = bd_rm_report_new("beamdump diff"))) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
		goto done;
	}
	d = (struct differ){ &r->b, &r->arena, old, new, final,
			     opts && opts->top ? opts->top : DEFAULT_TOP, between(old, new) };
	if ((rc = bd_match_procs(old, new, &m, err)) != BD_OK)
		goto done;
	captures(&d, r->root);
	memory(&d, r->root);
	rc = process_lists(&d, r->root, &m);
	bd_match_release(&m);
	if (!rc)
		rc = ets(&d, r->root);
	if (!rc)
		rc = allocators(&d, r->root);
	if (!rc)
		rc = findings(&d, r->root);
	if (rc)
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory comparing captures");
	else if (final)
		rc = leak_candidates(&d, r->root, err);
	if (!rc && r->b.oom)
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	if (!rc) {
		*out = r;
		r = NULL;
	}
done:
	bd_report_free(r);
	bd_capture_free(old);
	bd_capture_free(new);
	bd_capture_free(final);
	return rc;
}
