/*
 * `states`: whose behaviour state is big, how big, and what it is made of.
 *
 * One pass over the =proc sections. Only processes spawned by proc_lib
 * (every OTP behaviour is) or hibernated are opened: their stack is read
 * and the state located (analyze/behaviour.c), then sized and summarised.
 * Other processes only feed a small top list of heaps, whose frames are
 * searched for their biggest terms at the end.
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "term/shape.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_LIMIT 20
#define TOP_HEAPS 5
#define TERMS_PER_HEAP 3

struct state_rec {
	uint32_t section;          /* the =proc section */
	uint64_t pid_key;          /* ties are ranked by pid (bd_pid_order_key) */
	const char *kind;
	struct bd_slice module;
	bool hibernated;
	bool suspended;
	uint64_t words;            /* flat words; hibernated: heap upper bound */
	uint64_t shared_words;
	uint64_t binary_bytes;
	uint64_t missing;
	char *shape;               /* in the report's arena */
	char *found_in;
};

struct heap_rec {
	uint32_t section;
	uint64_t words;            /* Stack+heap + OldHeap */
	uint64_t pid_key;
};

/* Larger first; of equal size, the lower pid. */
static int heap_cmp(const void *a, const void *b)
{
	const struct heap_rec *x = a;
	const struct heap_rec *y = b;

	if (x->words != y->words)
		return x->words > y->words ? -1 : 1;
	if (x->pid_key != y->pid_key)
		return x->pid_key < y->pid_key ? -1 : 1;
	return x->section < y->section ? -1 : x->section > y->section;
}

/* The TOP_HEAPS largest heaps of non-behaviour processes. */
struct heap_top {
	struct heap_rec v[TOP_HEAPS];
	size_t n;
};

struct states_ctx {
	struct bd_dump *d;
	struct rm_builder *b;
	const struct bd_states_opts *opts;
	struct bd_print_opts po;
	struct state_rec *recs;
	size_t n;
	size_t cap;
	struct heap_top heaps;
	size_t n_opened;
	uint64_t process_bytes;    /* =memory processes */
};

static int state_cmp(const void *a, const void *b)
{
	const struct state_rec *x = a;
	const struct state_rec *y = b;

	/* a hibernated state ranks by its live heap, its upper bound */
	if (x->words != y->words)
		return x->words > y->words ? -1 : 1;
	if (x->pid_key != y->pid_key)
		return x->pid_key < y->pid_key ? -1 : 1;
	return x->section < y->section ? -1 : x->section > y->section;
}

static bool may_be_behaviour(const struct bd_proc *p)
{
	struct bd_slice cur = bd_proc_current_function(p);

	return !p->spawned_as.len || bd_slice_starts(p->spawned_as, "proc_lib:") ||
	       bd_slice_eq(cur, "erlang:hibernate/3") || bd_slice_starts(cur, "gen_") ||
	       bd_slice_starts(cur, "sys:");
}

static void note_heap(struct heap_top *t, size_t section, const struct bd_proc *p)
{
	struct heap_rec h = { (uint32_t)section, 0, 0 };
	size_t worst = 0;

	if (p->stack_heap_words != BD_UNSET)
		h.words += p->stack_heap_words;
	if (p->old_heap_words != BD_UNSET)
		h.words += p->old_heap_words;
	if (t->n < TOP_HEAPS) {
		h.pid_key = bd_pid_order_key(p->pid);
		t->v[t->n++] = h;
		return;
	}
	for (size_t i = 1; i < TOP_HEAPS; i++)
		if (heap_cmp(&t->v[i], &t->v[worst]) > 0)
			worst = i;
	/* the pid is read only when it may decide */
	if (h.words < t->v[worst].words)
		return;
	h.pid_key = bd_pid_order_key(p->pid);
	if (heap_cmp(&h, &t->v[worst]) < 0)
		t->v[worst] = h;
}

static char *arena_buf(struct rm_builder *b, const struct bd_buf *buf)
{
	char *s = bd_arena_strndup(b->arena, buf->ptr, buf->len);

	if (!s)
		b->oom = true;
	return s;
}

static enum bd_status add_state(struct states_ctx *c, struct bd_process *p,
				const struct bd_behaviour *beh, size_t section, struct bd_error *err)
{
	struct state_rec *r;
	enum bd_status rc;

	if (!bd_grow((void **)&c->recs, &c->cap, c->n + 1, sizeof(*c->recs)))
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing states");
	r = &c->recs[c->n];
	memset(r, 0, sizeof(*r));
	r->section = (uint32_t)section;
	r->pid_key = bd_pid_order_key(p->pid);
	r->kind = beh->kind;
	r->module = beh->module;
	r->hibernated = beh->hibernated;
	r->suspended = beh->suspended;
	if (beh->has_state) {
		struct bd_term_size sz;
		struct bd_buf shape = BD_BUF_INIT;
		/* a big state's shape is summarised beside its sizing; others' when shown */
		bool big = bd_is_big_heap(p) && !(c->opts && c->opts->no_shapes);
		rc = bd_measure_state(p, beh, c->po.syntax, &sz, big ? &shape : NULL, err);
		if (rc) {
			bd_buf_release(&shape);
			return rc;
		}
		r->words = sz.flat_words;
		r->shared_words = sz.shared_words;
		r->binary_bytes = sz.binary_bytes;
		r->missing = sz.n_missing;
		if (big)
			r->shape = arena_buf(c->b, &shape);
		bd_buf_release(&shape);
		r->found_in = bd_arena_strndup(c->b->arena, p->frames[beh->frame].function.ptr,
					       p->frames[beh->frame].function.len);
	} else {
		r->words = beh->hibernated_heap_words;
	}
	c->n++;
	return BD_OK;
}

/*
 * A part of the =proc sections, read on its own thread: the processes that
 * may be behaviours (to be opened), and the largest heaps of the others.
 */
struct scan_part {
	const struct bd_dump *d;
	size_t from, to;     /* section indexes */
	uint32_t *cands;
	size_t n, cap;
	struct heap_top heaps;
	bool oom;
};

static void scan_part_run(void *parts, size_t part)
{
	struct scan_part *sp = (struct scan_part *)parts + part;
	const struct bd_dump *d = sp->d;

	for (size_t i = bd_section_find(d, BD_SECT_PROC, sp->from); i < sp->to;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_section s;
		struct bd_proc proc;
		bd_section_get(d, i, &s);
		bd_parse_proc_fields(&s,
				     BD_PF_BIT(BD_PF_SPAWNED_AS) | BD_PF_BIT(BD_PF_CURRENT_CALL) |
					     BD_PF_BIT(BD_PF_PROGRAM_COUNTER) |
					     BD_PF_BIT(BD_PF_STACK_HEAP) | BD_PF_BIT(BD_PF_OLD_HEAP),
				     &proc);
		if (!may_be_behaviour(&proc)) {
			note_heap(&sp->heaps, i, &proc);
		} else if (bd_grow((void **)&sp->cands, &sp->cap, sp->n + 1, sizeof(*sp->cands))) {
			sp->cands[sp->n++] = (uint32_t)i;
		} else {
			sp->oom = true;
			break;
		}
	}
}

/* Dumps with fewer processes are read on one thread. */
#define THREADED_PROCS 10000
#define SCAN_PARTS_MAX 8

static enum bd_status scan(struct states_ctx *c, struct bd_error *err)
{
	struct bd_dump *d = c->d;
	struct scan_part parts[SCAN_PARTS_MAX];
	size_t first = bd_section_find(d, BD_SECT_PROC, 0);
	size_t n_procs = d->index.count[BD_SECT_PROC];
	size_t n = 1;
	enum bd_status rc = BD_OK;

	memset(parts, 0, sizeof(parts));
	if (n_procs >= THREADED_PROCS && first < d->index.n)
		n = d->threads < SCAN_PARTS_MAX ? d->threads : SCAN_PARTS_MAX;
	/* =proc sections are written together: cut their index range into equal runs */
	for (size_t k = 0; k < n; k++) {
		parts[k].d = d;
		parts[k].from = k ? first + bd_part_start(n_procs, k, n) : 0;
		parts[k].to = k + 1 < n ? first + bd_part_start(n_procs, k + 1, n) : d->index.n;
	}
	bd_parallel(n, d->threads, scan_part_run, parts);
	for (size_t k = 0; k < n; k++) {
		for (size_t h = 0; h < parts[k].heaps.n; h++) {
			struct bd_section s;
			struct bd_proc proc;
			bd_section_get(d, parts[k].heaps.v[h].section, &s);
			bd_parse_proc(&s, &proc);
			note_heap(&c->heaps, parts[k].heaps.v[h].section, &proc);
		}
		if (parts[k].oom && !rc)
			rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing processes");
		for (size_t j = 0; j < parts[k].n && !rc; j++) {
			size_t i = parts[k].cands[j];
			struct bd_section s;
			struct bd_proc proc;
			struct bd_process p;
			struct bd_behaviour beh;
			bd_section_get(d, i, &s);
			bd_parse_proc(&s, &proc);
			rc = bd_process_open_at(&p, d, i, err);
			if (rc)
				break;
			c->n_opened++;
			bd_find_behaviour(&p, &beh);
			/* a snapshot holds only the states --state read; the rest, heap sizes */
			if (beh.kind && (beh.has_state || !bd_is_snapshot(d)))
				rc = add_state(c, &p, &beh, i, err);
			else
				note_heap(&c->heaps, i, &proc);
			bd_process_close(&p);
		}
	}
	for (size_t k = 0; k < n; k++)
		bd_free(parts[k].cands);
	return rc;
}

/* What a snapshot says of states: which were read, and what bounds the rest. */
static const char *snapshot_note(struct rm_builder *b, const struct bd_snapshot_info *sn)
{
	static const char bound[] = "the largest heaps below bound the other states from above "
				    "(heap, not state)";

	if (!sn->state)
		return "a snapshot holds no heaps, so no behaviour state is in it unless captured "
		       "with --state; the largest heaps below bound states from above (heap, not state)";
	if (sn->states_not_read[0] && !sn->states_asked)
		return bd_arena_printf(b->arena, "captured with --state, but no state was read (%s: "
				       "asking would have loaded module sys on the node); %s",
				       sn->states_not_read, bound);
	return bd_arena_printf(b->arena,
			       "states read with --state from the %" PRIu64 " processes waiting in a "
			       "behaviour's loop among those read in phase 2: %" PRIu64
			       " answered, %" PRIu64 " did not answer in time; busy or blocked "
			       "processes were not asked; %s",
			       sn->states_asked, sn->states_read, sn->states_unanswered, bound);
}

/* The registered name in a =proc section itself: no dump-wide name map for a few rows. */
static struct bd_slice own_name(const struct bd_section *s)
{
	struct bd_proc p;

	bd_parse_proc(s, &p);
	return p.name;
}

static void state_row(struct states_ctx *c, struct rm_node *arr, const struct state_rec *r)
{
	struct rm_builder *b = c->b;
	struct bd_dump *d = c->d;
	struct bd_section s;
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	unsigned ws = d->info.word_size;

	bd_section_get(d, r->section, &s);
	bd_rm_slice(b, o, "pid", s.id);
	bd_rm_name_label(b, o, d, s.id, own_name(&s));
	bd_rm_str(b, o, "behaviour", r->kind);
	bd_rm_slice_or_null(b, o, "module", r->module);
	bd_rm_flags(bd_rm_bool(b, o, "hibernated", r->hibernated), RM_NOTEXT);
	/* hibernated: no size; pointers not in the dump (a cut dump): a lower bound */
	bd_rm_flags(bd_rm_bool(b, o, "exact", !r->hibernated && !r->missing), RM_NOTEXT);
	if (r->hibernated) {
		bd_rm_label(bd_rm_null(b, o, "state_words"), "words");
		bd_rm_label(bd_rm_null(b, o, "state_bytes"), "size");
		bd_rm_label(bd_rm_null(b, o, "binary_bytes"), "binaries");
		bd_rm_flags(bd_rm_uint(b, o, "heap_words_upper_bound", r->words), RM_NOTEXT);
		bd_rm_flags(bd_rm_str(b, o, "shape", "(hibernated: state not in the dump)"), RM_FULL);
		return;
	}
	unsigned bound = r->missing ? RM_AT_LEAST : 0;
	bd_rm_flags(bd_rm_label(bd_rm_uint(b, o, "state_words", r->words), "words"), bound);
	bd_rm_flags(bd_rm_label(bd_rm_bytes(b, o, "state_bytes", r->words * ws), "size"), bound);
	bd_rm_flags(bd_rm_uint(b, o, "shared_words", r->shared_words), RM_NOTEXT);
	bd_rm_label(bd_rm_bytes(b, o, "binary_bytes", r->binary_bytes), "binaries");
	if (r->missing)
		bd_rm_flags(bd_rm_uint(b, o, "missing", r->missing), RM_NOTEXT);
	if (r->suspended)
		bd_rm_flags(bd_rm_bool(b, o, "suspended", true), RM_NOTEXT);
	bd_rm_flags(bd_rm_str(b, o, "found_in", r->found_in ? r->found_in : ""), RM_NOTEXT);
	bd_rm_flags(bd_rm_str(b, o, "shape", r->shape ? r->shape : ""), RM_FULL | RM_CODE);
}

/* --print: the state printed, for the listed processes. */
static enum bd_status print_states(struct states_ctx *c, struct rm_node *root, size_t n,
				   struct bd_error *err)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_arr(c->b, root, "printed"), RM_BLOCKS);

	for (size_t i = 0; i < n; i++) {
		struct bd_process p;
		struct bd_behaviour beh;
		enum bd_status rc;
		if (c->recs[i].hibernated)
			continue;
		rc = bd_process_open_at(&p, c->d, c->recs[i].section, err);
		if (rc)
			return rc;
		bd_find_behaviour(&p, &beh);
		if (beh.has_state) {
			struct rm_node *o = bd_rm_obj(c->b, arr, NULL);
			bd_rm_slice(c->b, o, "pid", p.pid);
			bd_rm_flags(bd_rm_term(c->b, o, "state", &p.ctx, &beh.state, &c->po), RM_MULTILINE);
		}
		bd_process_close(&p);
	}
	return BD_OK;
}

struct term_rec {
	size_t slot;
	uint64_t words;
};

/* Insert into top[] (sorted, largest first, at most TERMS_PER_HEAP). */
static void keep_top(struct term_rec *top, size_t *n, struct term_rec t)
{
	size_t at = *n < TERMS_PER_HEAP ? (*n)++ : TERMS_PER_HEAP;

	while (at > 0 && top[at - 1].words < t.words) {
		if (at < TERMS_PER_HEAP)
			top[at] = top[at - 1];
		at--;
	}
	if (at < TERMS_PER_HEAP)
		top[at] = t;
}

/* The biggest terms held by the frames of one large non-behaviour process. */
static enum bd_status heap_row(struct states_ctx *c, struct rm_node *arr, const struct heap_rec *h,
			       struct bd_error *err)
{
	struct rm_builder *b = c->b;
	struct bd_process p;
	struct term_rec top[TERMS_PER_HEAP];
	size_t n_top = 0;
	enum bd_status rc = bd_process_open_at(&p, c->d, h->section, err);

	if (rc)
		return rc;
	for (size_t f = 0; f < p.n_frames; f++) {
		for (size_t k = 0; k < p.frames[f].n; k++) {
			size_t i = p.frames[f].first + k;
			struct bd_term_size sz;
			if (p.slots[i].elem.kind != BD_ELEM_PTR)
				continue;
			rc = bd_term_size(&p.ctx, &p.slots[i].elem, &sz, err);
			if (rc)
				goto out;
			keep_top(top, &n_top, (struct term_rec){ i, sz.flat_words });
		}
	}
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	bd_rm_slice(b, o, "pid", p.pid);
	bd_rm_name_label(b, o, c->d, p.pid, p.proc.name);
	bd_rm_label(bd_rm_uint(b, o, "heap_words", h->words), "heap words");
	bd_rm_label(bd_rm_bytes(b, o, "heap_bytes", h->words * c->d->info.word_size), "heap size");
	bd_rm_flags(bd_rm_slice_or_null(b, o, "current_function", bd_proc_current_function(&p.proc)),
		 RM_WIDE);
	struct rm_node *terms = bd_rm_arr(b, o, "terms");
	for (size_t t = 0; t < n_top; t++) {
		struct rm_node *row = bd_rm_obj(b, terms, NULL);
		struct bd_buf shape = BD_BUF_INIT;
		const struct bd_frame *fr = NULL;
		for (size_t f = 0; f < p.n_frames; f++)
			if (top[t].slot >= p.frames[f].first && top[t].slot < p.frames[f].first + p.frames[f].n)
				fr = &p.frames[f];
		bd_rm_flags(bd_rm_slice(b, row, "frame", fr ? fr->function : bd_slice_make("", 0)), RM_WIDE);
		bd_rm_uint(b, row, "words", top[t].words);
		bd_rm_bytes(b, row, "bytes", top[t].words * c->d->info.word_size);
		if (!(c->opts && c->opts->no_shapes))
			rc = bd_term_shape_summary(&p.ctx, &p.slots[top[t].slot].elem, c->po.syntax,
						   &shape, err);
		if (!rc)
			bd_rm_flags(bd_rm_str(b, row, "shape", shape.ptr), RM_FULL | RM_CODE);
		bd_buf_release(&shape);
		if (rc)
			goto out;
	}
out:
	bd_process_close(&p);
	return rc;
}

/* The shape of a state that is shown or is a finding, if add_state left it for later. */
static enum bd_status fill_shape(struct states_ctx *c, struct state_rec *r, struct bd_error *err)
{
	struct bd_process p;
	struct bd_behaviour beh;
	struct bd_buf shape = BD_BUF_INIT;
	enum bd_status rc;

	if (r->shape || !r->found_in || (c->opts && c->opts->no_shapes))
		return BD_OK;
	rc = bd_process_open_at(&p, c->d, r->section, err);
	if (rc)
		return rc;
	bd_find_behaviour(&p, &beh);
	if (beh.has_state) {
		rc = bd_term_shape_summary(&p.ctx, &beh.state, c->po.syntax, &shape, err);
		if (!rc)
			r->shape = arena_buf(c->b, &shape);
	}
	bd_buf_release(&shape);
	bd_process_close(&p);
	return rc;
}

/*
 * Why a size is a lower bound: where the dump was cut, or that some of the
 * state is not in it.
 */
static void lower_bound_reason(const struct bd_dump *d, const struct state_rec *r, char *out,
			       size_t cap)
{
	const struct bd_dump_info *i = &d->info;

	if (i->truncated)
		snprintf(out, cap, "the dump was cut in %s (%s) and %llu pointer%s of this state "
			 "past the cut", i->truncated_in[0] ? i->truncated_in : "its last section",
			 i->truncation_reason, (unsigned long long)r->missing,
			 r->missing == 1 ? " leads" : "s lead");
	else
		snprintf(out, cap, "%llu pointer%s of this state nowhere in the dump",
			 (unsigned long long)r->missing, r->missing == 1 ? " leads" : "s lead");
}

/*
 * A state is a finding when it holds a large share of the memory of all
 * processes (=memory processes): 10 % warning, 25 % high, 50 % critical;
 * states under 1 MiB never are. On a cut dump the size is a lower bound,
 * and the finding says so.
 */
static double finding_share(const struct states_ctx *c, const struct state_rec *r)
{
	uint64_t procs = c->process_bytes;
	uint64_t bytes = r->words * c->d->info.word_size;
	double share = procs ? (double)bytes / (double)procs : 0;

	return r->hibernated || bytes < ((uint64_t)1 << 20) || share < 0.10 ? 0 : share;
}

static void add_findings(struct states_ctx *c, struct bd_findings *findings)
{
	unsigned ws = c->d->info.word_size;

	for (size_t i = 0; i < c->n; i++) {
		const struct state_rec *r = &c->recs[i];
		uint64_t bytes = r->words * ws;
		double share = finding_share(c, r);
		enum bd_severity sev;
		char title[256], evidence[1024], size[32], why[384];
		struct bd_section s;
		struct bd_slice name;
		struct bd_finding *f;

		if (share == 0)
			continue;
		sev = share >= 0.50 ? BD_SEV_CRITICAL : share >= 0.25 ? BD_SEV_HIGH : BD_SEV_WARNING;
		bd_section_get(c->d, r->section, &s);
		name = bd_proc_who(c->b, c->d, s.id, own_name(&s));
		bd_rm_format_bytes(size, sizeof(size), bytes);
		if (r->missing)
			snprintf(title, sizeof(title), "%.*s (%s %.*s) holds a state of at least %s, at "
				 "least %.0f%% of all process memory", (int)name.len, name.ptr, r->kind,
				 (int)r->module.len, r->module.ptr, size, share * 100);
		else
			snprintf(title, sizeof(title), "%.*s (%s %.*s) holds a %s state, %.0f%% of all "
				 "process memory", (int)name.len, name.ptr, r->kind, (int)r->module.len,
				 r->module.ptr, size, share * 100);
		why[0] = '\0';
		if (r->missing)
			lower_bound_reason(c->d, r, why, sizeof(why));
		snprintf(evidence, sizeof(evidence), "%s%llu words (erts_debug:flat_size) found in %s"
			 "%s%s%s%s", r->missing ? "at least " : "", (unsigned long long)r->words,
			 r->found_in ? r->found_in : "?", r->shape && *r->shape ? ": " : "",
			 r->shape ? r->shape : "", r->missing ? "; a lower bound: " : "", why);
		f = bd_finding_add(findings, "large_state", sev, title, evidence,
				   "look at what the shape says grows without bound (a list or map "
				   "that is only ever added to); cap it, expire entries, or move it to ETS");
		if (f)
			f->exact = !r->missing;
		bd_finding_pid(findings, f, s.id);
	}
}

enum bd_status bd_report_states(struct bd_dump *d, const struct bd_states_opts *opts,
				struct bd_report **out, struct bd_error *err)
{
	struct states_ctx c;
	struct bd_report *r;
	struct rm_node *arr, *heaps, *findings, *totals;
	struct bd_findings found;
	size_t limit = opts && opts->limit ? opts->limit : DEFAULT_LIMIT;
	size_t shown;
	uint64_t total_words = 0;
	size_t hibernated = 0;
	bool total_exact = true;
	enum bd_status rc;

	*out = NULL;
	r = bd_report_new("beamdump states", d);
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.b = &r->b;
	c.opts = opts;
	c.po = bd_print_opts_from(opts ? &opts->terms : NULL);
	c.process_bytes = bd_memory_bytes(d, "processes");
	bd_dump_literals(d);
	rc = scan(&c, err);
	if (rc)
		goto fail;
	bd_sort(c.recs, c.n, sizeof(*c.recs), state_cmp);
	for (size_t i = 0; i < c.n; i++) {
		if (c.recs[i].hibernated)
			hibernated++;
		else
			total_words += c.recs[i].words;
		if (c.recs[i].missing)
			total_exact = false;
	}
	shown = c.n < limit ? c.n : limit;
	for (size_t i = 0; i < c.n && !rc; i++) {
		if (i < shown || finding_share(&c, &c.recs[i]) > 0)
			rc = fill_shape(&c, &c.recs[i], err);
	}
	if (rc)
		goto fail;
	totals = bd_rm_label(bd_rm_obj(c.b, r->root, "totals"), "Behaviour processes");
	bd_rm_uint(c.b, totals, "behaviours", c.n);
	bd_rm_uint(c.b, totals, "hibernated", hibernated);
	if (bd_is_snapshot(d) && !d->info.snapshot.states_read)
		bd_rm_label(bd_rm_null(c.b, totals, "state_bytes"), "all states");  /* not in the input */
	else if (bd_is_snapshot(d))
		/* only the states --state read: the others are more */
		bd_rm_flags(bd_rm_label(bd_rm_bytes(c.b, totals, "state_bytes", total_words * d->info.word_size),
				  "all states read"), RM_AT_LEAST);
	else
		bd_rm_flags(bd_rm_label(bd_rm_bytes(c.b, totals, "state_bytes", total_words * d->info.word_size),
				  "all states"), total_exact ? 0 : RM_AT_LEAST);
	bd_rm_label(bd_rm_bytes(c.b, totals, "process_memory_bytes", c.process_bytes),
		 "all process memory");
	bd_rm_uint(c.b, totals, "shown", shown);
	findings = bd_rm_flags(bd_rm_arr(c.b, r->root, "findings"), RM_BLOCKS);
	arr = bd_rm_label(bd_rm_arr(c.b, r->root, "states"), "States, largest first");
	for (size_t i = 0; i < shown; i++)
		state_row(&c, arr, &c.recs[i]);
	if (opts && opts->print) {
		rc = print_states(&c, r->root, shown, err);
		if (rc)
			goto fail;
	}
	bd_sort(c.heaps.v, c.heaps.n, sizeof(c.heaps.v[0]), heap_cmp);
	bool snapshot = bd_is_snapshot(d);
	if (snapshot)
		bd_rm_label(bd_rm_str(c.b, r->root, "states_note", snapshot_note(c.b, &d->info.snapshot)),
			 "states");
	heaps = bd_rm_flags(bd_rm_label(bd_rm_arr(c.b, r->root, "largest_heaps"),
				  snapshot ? "Largest heaps" : "Largest heaps of other processes"),
			 RM_BLOCKS);
	for (size_t i = 0; i < c.heaps.n; i++) {
		rc = heap_row(&c, heaps, &c.heaps.v[i], err);
		if (rc)
			goto fail;
	}
	bd_findings_init(&found, &r->arena);
	add_findings(&c, &found);
	if (bd_report_findings(r, findings, &found) || c.b->oom) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
		goto fail;
	}
	bd_free(c.recs);
	*out = r;
	return BD_OK;
fail:
	bd_free(c.recs);
	bd_report_free(r);
	return rc;
}
