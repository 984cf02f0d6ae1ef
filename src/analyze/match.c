/* Matching processes and findings across captures (see match.h). */
#include "bd.h"
#include "analyze/match.h"

#include <stdlib.h>

const char *bd_proc_key(struct bd_arena *a, const struct bd_cap_proc *p)
{
	if (p->name)
		return p->name;
	if (p->label)
		return bd_arena_printf(a, "label:%s", p->label);
	if (p->parent)
		return bd_arena_printf(a, "%s < %s", p->initial_call ? p->initial_call : "?",
				       p->parent);
	return p->initial_call ? p->initial_call : "?";
}

static int keyed_cmp(const void *a, const void *b)
{
	const struct bd_keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* the sort is not stable: ties in capture order */
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

void bd_keyed_sort(struct bd_keyed *k, size_t n)
{
	bd_sort(k, n, sizeof(*k), keyed_cmp);
}

static size_t run_end(const struct bd_keyed *k, size_t n, size_t i, const char *key)
{
	while (i < n && strcmp(k[i].key, key) == 0)
		i++;
	return i;
}

bool bd_keyed_merge(const struct bd_keyed *old, size_t n_old, const struct bd_keyed *new,
		    size_t n_new, bd_keyed_fn fn, void *ctx)
{
	size_t i = 0, j = 0;

	while (i < n_old || j < n_new) {
		int c = i == n_old ? 1 : j == n_new ? -1 : strcmp(old[i].key, new[j].key);
		const char *key = c <= 0 ? old[i].key : new[j].key;
		size_t ie = c <= 0 ? run_end(old, n_old, i, key) : i;
		size_t je = c >= 0 ? run_end(new, n_new, j, key) : j;
		if (!fn(ctx, key, old + i, ie - i, new + j, je - j))
			return false;
		i = ie;
		j = je;
	}
	return true;
}

static struct bd_keyed *keyed_procs(struct bd_arena *a, const struct bd_capture *c)
{
	struct bd_keyed *k = bd_calloc(c->n_procs + 1, sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < c->n_procs; i++) {
		k[i] = (struct bd_keyed){ bd_proc_key(a, &c->procs[i]), &c->procs[i], i };
		if (!k[i].key) {
			bd_free(k);
			return NULL;
		}
	}
	bd_keyed_sort(k, c->n_procs);
	return k;
}

static void add(uint64_t *sum, uint64_t v)
{
	if (v == BD_UNSET)
		return;
	*sum = *sum == BD_UNSET ? v : *sum + v;
}

static void sum_run(const struct bd_keyed *k, size_t n, struct bd_match_sums *s)
{
	s->memory = s->heap_words = s->queue = s->pinned = s->state = s->reductions = BD_UNSET;
	for (size_t i = 0; i < n; i++) {
		const struct bd_cap_proc *p = k[i].item;
		add(&s->memory, p->memory);
		add(&s->heap_words, p->heap_words);
		add(&s->queue, p->queue);
		add(&s->pinned, p->pinned);
		add(&s->state, p->state);
		add(&s->reductions, p->reductions);
	}
}

struct match_ctx {
	struct bd_match *m;
	size_t cap;
};

static bool match_row(void *arg, const char *key, const struct bd_keyed *old, size_t n_old,
		      const struct bd_keyed *new, size_t n_new)
{
	struct match_ctx *c = arg;
	struct bd_match_row *r;

	if (!bd_grow((void **)&c->m->rows, &c->cap, c->m->n + 1, sizeof(*c->m->rows)))
		return false;
	r = &c->m->rows[c->m->n++];
	r->key = key;
	r->n_old = n_old;
	r->n_new = n_new;
	r->old = n_old == 1 ? old->item : NULL;
	r->new = n_new == 1 ? new->item : NULL;
	sum_run(old, n_old, &r->s_old);
	sum_run(new, n_new, &r->s_new);
	return true;
}

enum bd_status bd_match_procs(const struct bd_capture *old, const struct bd_capture *new,
			      struct bd_match *m, struct bd_error *err)
{
	struct match_ctx c = { m, 0 };
	struct bd_keyed *ko, *kn;
	bool ok;

	memset(m, 0, sizeof(*m));
	bd_arena_init(&m->arena);
	ko = keyed_procs(&m->arena, old);
	kn = keyed_procs(&m->arena, new);
	ok = ko && kn && bd_keyed_merge(ko, old->n_procs, kn, new->n_procs, match_row, &c);
	bd_free(ko);
	bd_free(kn);
	if (ok)
		return BD_OK;
	bd_match_release(m);
	return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory matching processes");
}

void bd_match_release(struct bd_match *m)
{
	bd_free(m->rows);
	m->rows = NULL;
	m->n = 0;
	bd_arena_release(&m->arena);
}

const struct bd_match_row *bd_match_find(const struct bd_match *m, const char *key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->rows[mid].key, key);
		if (c == 0)
			return &m->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *bd_finding_key(struct bd_arena *a, const struct bd_capture *c,
			   const struct bd_finding *f)
{
	const char *keys[16];
	size_t n = 0;
	struct bd_buf b = BD_BUF_INIT;
	const char *out;

	for (size_t i = 0; i < f->n_pids && n < BD_ARRAY_SIZE(keys); i++) {
		const struct bd_cap_proc *p = f->pids[i] ? bd_capture_proc(c, f->pids[i]) : NULL;
		keys[n] = p ? bd_proc_key(a, p) : f->pids[i];
		if (keys[n])
			n++;
	}
	bd_sort(keys, n, sizeof(keys[0]), str_cmp);
	bd_buf_addstr(&b, f->kind ? f->kind : "?");
	for (size_t i = 0; i < n; i++) {
		bd_buf_addstr(&b, i ? ", " : ": ");
		bd_buf_addstr(&b, keys[i]);
	}
	out = b.oom ? NULL : bd_arena_strndup(a, b.ptr, b.len);
	bd_buf_release(&b);
	return out;
}

struct bd_keyed *bd_keyed_findings(struct bd_arena *a, const struct bd_capture *c)
{
	struct bd_keyed *k = bd_calloc(c->n_findings + 1, sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < c->n_findings; i++) {
		k[i] = (struct bd_keyed){ bd_finding_key(a, c, &c->findings[i]), &c->findings[i], i };
		if (!k[i].key) {
			bd_free(k);
			return NULL;
		}
	}
	bd_keyed_sort(k, c->n_findings);
	return k;
}
