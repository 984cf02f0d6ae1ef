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

struct keyed {
	const char *key;
	const struct bd_cap_proc *p;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* within a key the capture's own (pid) order: the sort is not stable */
	return c ? c : (x->p < y->p ? -1 : x->p > y->p);
}

static struct keyed *keyed_procs(struct bd_arena *a, const struct bd_capture *c)
{
	struct keyed *k = bd_calloc(c->n_procs ? c->n_procs : 1, sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < c->n_procs; i++) {
		k[i].p = &c->procs[i];
		k[i].key = bd_proc_key(a, &c->procs[i]);
		if (!k[i].key) {
			bd_free(k);
			return NULL;
		}
	}
	bd_sort(k, c->n_procs, sizeof(*k), keyed_cmp);
	return k;
}

static void add(uint64_t *sum, uint64_t v)
{
	if (v == BD_UNSET)
		return;
	*sum = *sum == BD_UNSET ? v : *sum + v;
}

static void sum_run(const struct keyed *k, size_t from, size_t to, struct bd_match_sums *s)
{
	s->memory = s->heap_words = s->queue = s->pinned = s->state = s->reductions = BD_UNSET;
	for (size_t i = from; i < to; i++) {
		add(&s->memory, k[i].p->memory);
		add(&s->heap_words, k[i].p->heap_words);
		add(&s->queue, k[i].p->queue);
		add(&s->pinned, k[i].p->pinned);
		add(&s->state, k[i].p->state);
		add(&s->reductions, k[i].p->reductions);
	}
}

static size_t run_end(const struct keyed *k, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && strcmp(k[j].key, k[i].key) == 0)
		j++;
	return j;
}

enum bd_status bd_match_procs(const struct bd_capture *old, const struct bd_capture *new,
			      struct bd_match *m, struct bd_error *err)
{
	struct keyed *ko, *kn;
	size_t i = 0, j = 0, cap = 0;

	memset(m, 0, sizeof(*m));
	bd_arena_init(&m->arena);
	ko = keyed_procs(&m->arena, old);
	kn = keyed_procs(&m->arena, new);
	if (!ko || !kn)
		goto oom;
	while (i < old->n_procs || j < new->n_procs) {
		int c = i == old->n_procs ? 1 : j == new->n_procs ? -1 : strcmp(ko[i].key, kn[j].key);
		size_t ie = c <= 0 ? run_end(ko, old->n_procs, i) : i;
		size_t je = c >= 0 ? run_end(kn, new->n_procs, j) : j;
		struct bd_match_row *r;
		if (!bd_grow((void **)&m->rows, &cap, m->n + 1, sizeof(*m->rows)))
			goto oom;
		r = &m->rows[m->n++];
		memset(r, 0, sizeof(*r));
		r->key = c <= 0 ? ko[i].key : kn[j].key;
		r->n_old = ie - i;
		r->n_new = je - j;
		r->old = r->n_old == 1 ? ko[i].p : NULL;
		r->new = r->n_new == 1 ? kn[j].p : NULL;
		sum_run(ko, i, ie, &r->s_old);
		sum_run(kn, j, je, &r->s_new);
		i = ie;
		j = je;
	}
	bd_free(ko);
	bd_free(kn);
	return BD_OK;
oom:
	bd_free(ko);
	bd_free(kn);
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
			   const struct bd_cap_finding *f)
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
