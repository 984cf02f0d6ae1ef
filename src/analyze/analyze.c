/*
 * `analyze`: the one-page triage report. What killed the node, then every
 * finding of the focused reports ranked by severity, then a compact
 * inventory, then what the dump could not tell.
 *
 * The focused reports (summary, states, leaks, deadlocks, memory) are built as they
 * are on their own, side by side, and their parts are moved into this
 * report, which keeps them alive until it is freed.
 */
#include "bd.h"
#include "analyze/analyze.h"

#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_TOP 5
#define N_PARTS 5

struct part {
	const char *name;
	enum bd_status (*build)(struct bd_dump *d, const struct bd_analyze_opts *opts,
				struct bd_report **out, struct bd_error *err);
	struct bd_report *report;
	enum bd_status rc;
	struct bd_error err;
};

static enum bd_status build_summary(struct bd_dump *d, const struct bd_analyze_opts *a,
				    struct bd_report **out, struct bd_error *err)
{
	(void)a;
	return bd_report_summary(d, out, err);
}

static enum bd_status build_states(struct bd_dump *d, const struct bd_analyze_opts *a,
				   struct bd_report **out, struct bd_error *err)
{
	struct bd_states_opts o;

	memset(&o, 0, sizeof(o));
	o.limit = a->top;
	o.no_shapes = a->no_shapes;
	return bd_report_states(d, &o, out, err);
}

static enum bd_status build_leaks(struct bd_dump *d, const struct bd_analyze_opts *a,
				  struct bd_report **out, struct bd_error *err)
{
	struct bd_leaks_opts o;

	memset(&o, 0, sizeof(o));
	o.top = a->top;
	return bd_report_leaks(d, &o, out, err);
}

static enum bd_status build_deadlocks(struct bd_dump *d, const struct bd_analyze_opts *a,
				      struct bd_report **out, struct bd_error *err)
{
	(void)a;
	return bd_report_deadlocks(d, NULL, out, err);
}

static enum bd_status build_memory(struct bd_dump *d, const struct bd_analyze_opts *a,
				   struct bd_report **out, struct bd_error *err)
{
	struct bd_memory_opts o = { BD_MEMORY_BY_APP, 1, a->top };

	return bd_report_memory(d, &o, out, err);
}

/* ------------------------------------------------- top processes */

struct top_rec {
	uint64_t key;
	uint64_t pid_key;   /* equal keys go by pid (bd_pid_order_key), then section */
	uint32_t section;
};

/* Whether a ranks before b: the larger key, else the lower pid. */
static bool top_before(const struct top_rec *a, const struct top_rec *b)
{
	if (a->key != b->key)
		return a->key > b->key;
	if (a->pid_key != b->pid_key)
		return a->pid_key < b->pid_key;
	return a->section < b->section;
}

struct top_list {
	struct top_rec *v;
	size_t n, cap;
};

/* A process's pid, read into its order key only when a tie needs it. */
struct lazy_pid {
	struct bd_slice text;
	uint64_t key;
	bool read;
};

static uint64_t pid_key_of(struct lazy_pid *p)
{
	if (!p->read) {
		p->key = bd_pid_order_key(p->text);
		p->read = true;
	}
	return p->key;
}

static void top_add(struct top_list *t, uint64_t key, struct lazy_pid *pid, size_t section)
{
	struct top_rec r = { key, 0, (uint32_t)section };
	size_t at;

	if (t->n == t->cap && (t->n == 0 || key < t->v[t->n - 1].key))
		return;
	r.pid_key = pid_key_of(pid);
	if (t->n == t->cap && !top_before(&r, &t->v[t->n - 1]))
		return;
	at = t->n < t->cap ? t->n++ : t->n - 1;
	while (at > 0 && top_before(&r, &t->v[at - 1])) {
		t->v[at] = t->v[at - 1];
		at--;
	}
	t->v[at] = r;
}

/* The busiest processes kept for the runaway rule, whatever the rows shown. */
#define RUNAWAY_TOP 9

struct proc_stats {
	struct top_list memory, mq, reductions;
	struct top_list busiest;       /* RUNAWAY_TOP by reductions */
	uint64_t *all_reductions;      /* one a process, for the median; NULL if out of memory */
	uint64_t total_reductions;
	size_t n;
	/* a snapshot with a --window: reductions done in it, which say what is busy now */
	bool window;
	struct top_list by_window;
	/* a snapshot: every process's exact stack size (dumps count =proc_stack lines) */
	uint64_t *stack_words;
	struct top_list deepest;
	size_t n_stacks;
};

static uint64_t stack_words_of(struct bd_dump *d, size_t proc_section)
{
	struct bd_proc_sections s;
	struct bd_section sec;

	if (!bd_dump_proc_sections_at(d, proc_section, &s) || s.stack == BD_NO_SECTION)
		return BD_UNSET;
	bd_section_get(d, s.stack, &sec);
	return bd_count_lines(sec.body);
}

/* What the scan reads of each process: memory, queue, reductions and a snapshot's extras. */
#define SCAN_FIELDS                                                                        \
	(BD_PF_MEMORY_ALL | BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN) | BD_PF_BIT(BD_PF_REDUCTIONS) | \
	 BD_PF_BIT(BD_PF_STACK_WORDS) | BD_PF_BIT(BD_PF_WINDOW_REDUCTIONS))

static void scan_procs(struct bd_dump *d, struct proc_stats *st, bd_proc_visit_fn visit,
		       void *visit_ctx)
{
	st->all_reductions = bd_calloc(d->index.count[BD_SECT_PROC] + 1, sizeof(uint64_t));
	if (bd_is_snapshot(d))
		st->stack_words = bd_calloc(d->index.count[BD_SECT_PROC] + 1, sizeof(uint64_t));
	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_section s;
		struct bd_proc p;
		bd_section_get(d, i, &s);
		/* a snapshot's Stack words and Window reductions too */
		bd_parse_proc_fields(&s, SCAN_FIELDS | (visit ? BD_VISIT_FIELDS : 0), &p);
		if (visit)
			visit(visit_ctx, st->n, &p);
		struct lazy_pid pid = { s.id, 0, false };
		/* runaways are judged on the window's work when there is one */
		uint64_t work = p.window_reductions != BD_UNSET ? p.window_reductions : p.reductions;
		if (p.window_reductions != BD_UNSET) {
			st->window = true;
			top_add(&st->by_window, p.window_reductions, &pid, i);
		}
		if (st->all_reductions)
			st->all_reductions[st->n] = work;
		st->n++;
		top_add(&st->memory, bd_proc_memory(&p, d, NULL), &pid, i);
		if (p.message_queue_len != BD_UNSET && p.message_queue_len)
			top_add(&st->mq, p.message_queue_len, &pid, i);
		top_add(&st->reductions, p.reductions, &pid, i);
		top_add(&st->busiest, work, &pid, i);
		st->total_reductions += work;
		if (p.stack_words != BD_UNSET && st->stack_words) {
			st->stack_words[st->n_stacks++] = p.stack_words;
			top_add(&st->deepest, p.stack_words, &pid, i);
		}
	}
}

/*
 * What analyze runs side by side: the five parts and the process scan,
 * handed to the threads as they become free, the longest first (states
 * on a dump's heaps, memory on a snapshot's million rows).
 */
struct side_by_side {
	struct bd_dump *d;
	const struct bd_analyze_opts *opts;
	struct part *parts;
	struct proc_stats *st;
	bd_proc_visit_fn visit;
	void *visit_ctx;
};

static const size_t run_order[N_PARTS] = { 2, 4, 0, 3, 1 }; /* states, memory, leaks, ... */

static void run_side(void *arg, size_t job)
{
	struct side_by_side *run = arg;
	struct part *p;

	if (job == N_PARTS) {
		scan_procs(run->d, run->st, run->visit, run->visit_ctx);
		return;
	}
	p = &run->parts[run_order[job]];
	p->err.offset = BD_NO_OFFSET;
	p->rc = p->build(run->d, run->opts, &p->report, &p->err);
}

static void add_top(struct rm_builder *b, struct rm_node *parent, const char *key,
		    const char *label, struct bd_dump *d, const struct top_list *t)
{
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, parent, key), label);

	for (size_t i = 0; i < t->n; i++) {
		struct bd_section s;
		struct bd_proc p;
		bd_section_get(d, t->v[i].section, &s);
		bd_parse_proc(&s, &p);
		bd_proc_row(b, bd_rm_obj(b, arr, NULL), d, &p, stack_words_of(d, t->v[i].section));
	}
}

/*
 * Runaway processes, judged against the node's own distribution:
 *  - the busiest few (up to RUNAWAY_TOP - 1) when they stand far above the
 *    rest: at least RUNAWAY_GAP times the reductions of the next process,
 *    RUNAWAY_MIN reductions each and over half of the node's together; of
 *    the cuts that qualify, the one with the widest gap (so that two
 *    runaways of about the same size are reported together);
 *  - a stack of DEEP_MIN words or more and DEEP_MEDIAN times the median
 *    process's, or one function repeated REPEAT_MIN times or more in a
 *    stack (deep non-tail recursion), naming that function.
 */
#define RUNAWAY_MIN 10000000
#define RUNAWAY_GAP 10
#define DEEP_MIN 10000
#define DEEP_MEDIAN 100
#define DEEP_HIGH 1000000
#define REPEAT_MIN 1000
#define DEEP_CANDIDATES 16

/*
 * The median of v[0..n) (reordered); 0 if n is 0. A selection, not a sort:
 * it runs on every process of the dump after the parallel parts.
 */
static uint64_t median(uint64_t *v, size_t n)
{
	size_t lo = 0, hi = n, k = n / 2;

	if (!n)
		return 0;
	/* v[k] ends where a sort would put it: Hoare's partition on a middle pivot */
	while (hi - lo > 1) {
		uint64_t pivot = v[lo + (hi - lo - 1) / 2];
		size_t i = lo, j = hi - 1;
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			uint64_t t = v[i];
			v[i++] = v[j];
			v[j--] = t;
		}
		/* [lo, j] <= pivot <= [j + 1, hi) */
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
	return v[k];
}

/* How many of the busiest processes are runaways: 0 if none stands out. */
static size_t runaway_count(const struct proc_stats *st)
{
	const struct top_list *t = &st->busiest;
	uint64_t sum = 0;
	double best = 0;
	size_t k_best = 0;

	for (size_t k = 1; k < t->n; k++) {
		uint64_t last = t->v[k - 1].key;
		uint64_t next = t->v[k].key;
		sum += last;
		if (last < RUNAWAY_MIN || last < RUNAWAY_GAP * next || sum * 2 < st->total_reductions)
			continue;
		double gap = (double)last / (double)(next ? next : 1);
		if (gap > best) {
			best = gap;
			k_best = k;
		}
	}
	return k_best;
}

static void runaway_reductions(struct rm_builder *b, struct bd_findings *findings,
			       struct bd_dump *d, struct proc_stats *st)
{
	size_t k = runaway_count(st);
	uint64_t next = k < st->busiest.n ? st->busiest.v[k].key : 0;
	uint64_t med = st->all_reductions ? median(st->all_reductions, st->n) : 0;
	char title[320], evidence[512], window_text[64];

	snprintf(window_text, sizeof(window_text), " in the %llu s window",
		 (unsigned long long)d->info.snapshot.window_s);

	for (size_t i = 0; i < k; i++) {
		const struct top_rec *a = &st->busiest.v[i];
		struct bd_section s;
		bd_section_get(d, a->section, &s);
		struct bd_slice who = bd_proc_who(b, d, s.id, bd_dump_proc_name(d, s.id));
		snprintf(title, sizeof(title), "%.*s did %.0f%% of all the node's work%s (%llu reductions)",
			 (int)who.len, who.ptr, 100.0 * (double)a->key / (double)st->total_reductions,
			 st->window ? window_text : "", (unsigned long long)a->key);
		snprintf(evidence, sizeof(evidence),
			 "%llu reductions; %zu process%s far above the rest: the next busiest has %llu, "
			 "the median process %llu",
			 (unsigned long long)a->key, k, k == 1 ? " stands" : "es stand",
			 (unsigned long long)next, (unsigned long long)med);
		bd_finding_pid(findings,
			       bd_finding_add(findings, "runaway_process", BD_SEV_WARNING, title,
					      evidence,
					      "see what it runs (beamdump proc); a busy loop "
					      "or a hot process starves the others"),
			       s.id);
	}
}

struct deep_rec {
	uint64_t words;
	size_t stack;      /* its =proc_stack section */
};

static int deep_cmp(const void *a, const void *b)
{
	const struct deep_rec *x = a;
	const struct deep_rec *y = b;

	if (x->words != y->words)
		return x->words > y->words ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int slice_cmp(const void *a, const void *b)
{
	const struct bd_slice *x = a;
	const struct bd_slice *y = b;
	int c = memcmp(x->ptr, y->ptr, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The function most frames of p are in, and how many; false without frames. */
static bool most_repeated_frame(const struct bd_process *p, struct bd_slice *fn, size_t *count)
{
	struct bd_slice *fns = bd_calloc(p->n_frames ? p->n_frames : 1, sizeof(*fns));
	size_t run = 0;

	*count = 0;
	if (!fns)
		return false;
	for (size_t i = 0; i < p->n_frames; i++)
		fns[i] = p->frames[i].function;
	bd_sort(fns, p->n_frames, sizeof(*fns), slice_cmp);
	for (size_t i = 0; i < p->n_frames; i++) {
		run = i && slice_cmp(&fns[i], &fns[i - 1]) == 0 ? run + 1 : 1;
		if (run > *count) {
			*count = run;
			*fn = fns[i];
		}
	}
	/* fn points into the dump, not into fns */
	bd_free(fns);
	return *count > 0;
}

static void deep_stack(struct rm_builder *b, struct bd_findings *findings, struct bd_dump *d,
		       const struct deep_rec *r, uint64_t med)
{
	struct bd_section s;
	struct bd_process p;
	struct bd_slice fn = bd_slice_make("", 0);
	size_t repeats = 0;
	char title[384], evidence[512];

	bd_section_get(d, r->stack, &s);
	size_t at = bd_dump_find_proc(d, s.id);
	if (at == BD_NO_SECTION || bd_process_open_at(&p, d, at, NULL) != BD_OK)
		return;
	most_repeated_frame(&p, &fn, &repeats);
	bool deep = r->words >= DEEP_MIN && r->words >= DEEP_MEDIAN * (med ? med : 1);
	if (deep || repeats >= REPEAT_MIN) {
		struct bd_slice who = bd_proc_who(b, d, p.pid, p.proc.name);
		snprintf(title, sizeof(title),
			 "%.*s has a stack of %llu words: deep recursion in %.*s (%zu frames)",
			 (int)who.len, who.ptr, (unsigned long long)r->words, (int)fn.len, fn.ptr,
			 repeats);
		snprintf(evidence, sizeof(evidence),
			 "=proc_stack holds %llu slots, the median process's %llu; %.*s is %zu of its "
			 "%zu frames",
			 (unsigned long long)r->words, (unsigned long long)med, (int)fn.len, fn.ptr,
			 repeats, p.n_frames);
		bd_finding_pid(findings,
			       bd_finding_add(findings, "deep_stack",
					      r->words >= DEEP_HIGH ? BD_SEV_HIGH : BD_SEV_WARNING,
					      title, evidence,
					      "make the repeated function tail-recursive or bound "
					      "its input (beamdump proc shows the frames)"),
			       p.pid);
	}
	bd_process_close(&p);
}

/* Stacks far deeper than the node's median, or long enough to repeat a frame REPEAT_MIN times. */
static void deep_stacks(struct rm_builder *b, struct bd_findings *findings, struct bd_dump *d)
{
	size_t n = d->index.count[BD_SECT_PROC_STACK];
	uint64_t *words = bd_calloc(n ? n : 1, sizeof(*words));
	struct deep_rec top[DEEP_CANDIDATES];
	size_t n_top = 0, k = 0;
	uint64_t med;

	if (!words)
		return;
	for (size_t i = bd_section_find(d, BD_SECT_PROC_STACK, 0); i < d->index.n && k < n;
	     i = bd_section_find(d, BD_SECT_PROC_STACK, i + 1)) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		words[k] = bd_count_lines(s.body);
		if (words[k] >= REPEAT_MIN) {
			struct deep_rec r = { words[k], i };
			if (n_top < DEEP_CANDIDATES)
				top[n_top++] = r;
			else if (deep_cmp(&r, &top[DEEP_CANDIDATES - 1]) < 0)
				top[DEEP_CANDIDATES - 1] = r;
			bd_sort(top, n_top, sizeof(top[0]), deep_cmp);
		}
		k++;
	}
	med = median(words, k);
	bd_free(words);
	for (size_t i = 0; i < n_top; i++)
		deep_stack(b, findings, d, &top[i], med);
}

/*
 * A snapshot has every process's exact stack size (stack_size, read
 * without waking it) but at most a few frames: the deep ones are named by
 * the function they are in.
 */
static void deep_snapshot_stacks(struct rm_builder *b, struct bd_findings *findings,
				 struct bd_dump *d, struct proc_stats *st)
{
	uint64_t med = median(st->stack_words, st->n_stacks);
	char title[384], evidence[512];

	for (size_t i = 0; i < st->deepest.n; i++) {
		uint64_t words = st->deepest.v[i].key;
		struct bd_section s;
		struct bd_proc p;
		if (words < DEEP_MIN || words < DEEP_MEDIAN * (med ? med : 1))
			break;
		bd_section_get(d, st->deepest.v[i].section, &s);
		bd_parse_proc(&s, &p);
		struct bd_slice who = bd_proc_who(b, d, p.pid, p.name);
		struct bd_slice fn = bd_proc_current_function(&p);
		snprintf(title, sizeof(title), "%.*s has a stack of %llu words: deep recursion in %.*s",
			 (int)who.len, who.ptr, (unsigned long long)words, (int)fn.len, fn.ptr);
		snprintf(evidence, sizeof(evidence),
			 "its stack_size is %llu words, the median process's %llu; it is running "
			 "%.*s (a snapshot holds only the top frames of a stack)",
			 (unsigned long long)words, (unsigned long long)med, (int)fn.len, fn.ptr);
		bd_finding_pid(findings,
			       bd_finding_add(findings, "deep_stack",
					      words >= DEEP_HIGH ? BD_SEV_HIGH : BD_SEV_WARNING,
					      title, evidence,
					      "make the recursion tail-recursive or bound its input"),
			       p.pid);
	}
}

static void runaway_findings(struct rm_builder *b, struct bd_findings *findings,
			     struct bd_dump *d, struct proc_stats *st)
{
	runaway_reductions(b, findings, d, st);
	if (st->stack_words)
		deep_snapshot_stacks(b, findings, d, st);
	else
		deep_stacks(b, findings, d);
}

/* --------------------------------------------------------- report */

struct analyze_ctx {
	struct part parts[N_PARTS];
};

static void analyze_cleanup(void *arg)
{
	struct analyze_ctx *c = arg;

	for (size_t i = 0; i < N_PARTS; i++)
		bd_report_free(c->parts[i].report);
	bd_free(c);
}

static void move(struct rm_node *to, struct rm_node *from, const char *key, const char *label)
{
	struct rm_node *n = bd_rm_detach(from, key);

	if (n) {
		if (label)
			bd_rm_label(n, label);
		bd_rm_attach(to, n);
	}
}

/*
 * The process that was running when the dump was written: for an
 * out-of-memory crash, the one that asked.
 */
static void culprit(struct rm_builder *b, struct rm_node *o, struct bd_dump *d)
{
	struct bd_slice pid = bd_dump_writer_process(d);

	if (!pid.len)
		return;
	bd_rm_label(bd_rm_slice(b, o, "running_process", pid), "running process");
	bd_rm_slice_or_null(b, o, "running_process_name",
			 bd_atom_text(b->arena, bd_dump_proc_name(d, pid)));
	bd_rm_slice_or_null(b, o, "running_process_label", bd_dump_proc_label(d, pid));
	size_t at = bd_dump_find_proc(d, pid);
	if (at != BD_NO_SECTION) {
		struct bd_section ps_s;
		struct bd_proc p;
		bd_section_get(d, at, &ps_s);
		bd_parse_proc(&ps_s, &p);
		bd_rm_label(bd_rm_slice_or_null(b, o, "running_function", bd_proc_current_function(&p)),
			 "running function");
		bd_rm_label(bd_rm_bytes(b, o, "running_process_memory_bytes",
				  bd_proc_memory(&p, d, NULL)),
			 "its memory");
	}
}

/* What a truncated dump lacks: sections a complete one has, per-process sections. */
static void missing_parts(struct rm_builder *b, struct rm_node *o, struct bd_dump *d)
{
	static const struct {
		enum bd_sect kind;
		const char *what;
	} tail[] = {
		{ BD_SECT_ETS, "ETS tables (=ets)" },
		{ BD_SECT_PORT, "ports (=port)" },
		{ BD_SECT_LOADED_MODULES, "loaded code (=loaded_modules, =mod)" },
		{ BD_SECT_LITERALS, "literal areas (=literals): states that use them are incomplete" },
		{ BD_SECT_ATOMS, "the atom list (=atoms): no newest atoms" },
	};
	struct rm_node *arr = bd_rm_label(bd_rm_arr(b, o, "missing"), "missing because of it");
	size_t procs = d->index.count[BD_SECT_PROC];
	size_t stacks = d->index.count[BD_SECT_PROC_STACK];
	bool new_enough = d->info.version_major > 0 || d->info.version_minor >= 5;

	if (stacks < procs)
		bd_rm_str(b, arr, NULL,
		       bd_arena_printf(b->arena, "stack and heap of %zu of %zu processes (their states, "
				       "queues and calls cannot be read)", procs - stacks, procs));
	for (size_t k = 0; k < BD_ARRAY_SIZE(tail); k++) {
		if (tail[k].kind == BD_SECT_LITERALS && !new_enough)
			continue;
		if (!d->index.count[tail[k].kind])
			bd_rm_str(b, arr, NULL, tail[k].what);
	}
}

static void what_happened(struct rm_builder *b, struct rm_node *root, struct bd_dump *d)
{
	struct bd_slogan s;
	const struct bd_dump_info *i = &d->info;
	struct rm_node *o = bd_rm_label(bd_rm_obj(b, root, "what_happened"), "What happened");

	bd_explain_slogan(d, &s);
	bd_rm_str(b, o, "kind", s.kind);
	bd_rm_flags(bd_rm_str(b, o, "explanation", s.text), RM_MULTILINE);
	if (s.bytes) {
		bd_rm_str(b, o, "allocator", s.allocator);
		bd_rm_bytes(b, o, "requested_bytes", s.bytes);
	}
	culprit(b, o, d);
	bd_rm_flags(bd_rm_str(b, o, "slogan", i->slogan), RM_MULTILINE);
	bd_rm_str(b, o, "time", i->time);
	bd_rm_slice_or_null(b, o, "node", bd_atom_text(b->arena, bd_slice_make(i->node, strlen(i->node))));
	bd_rm_str(b, o, "otp_release", i->otp_release);
	bd_rm_str(b, o, "erts_version", i->erts_version);
	bd_rm_bool(b, o, "complete", !i->truncated);
	if (i->truncated) {
		bd_rm_str(b, o, "truncation_reason", i->truncation_reason);
		bd_rm_label(bd_rm_str(b, o, "truncated_in", i->truncated_in), "stops in");
		if (!bd_is_snapshot(d))
			missing_parts(b, o, d);
	}
}

enum bd_status bd_report_analyze(struct bd_dump *d, const struct bd_analyze_opts *opts,
				 struct bd_report **out, struct bd_error *err)
{
	return bd_report_analyze_visit(d, opts, NULL, NULL, out, err);
}

enum bd_status bd_report_analyze_visit(struct bd_dump *d, const struct bd_analyze_opts *opts,
				       bd_proc_visit_fn visit, void *visit_ctx,
				       struct bd_report **out, struct bd_error *err)
{
	static const struct {
		const char *name;
		enum bd_status (*build)(struct bd_dump *, const struct bd_analyze_opts *,
					struct bd_report **, struct bd_error *);
	} kinds[N_PARTS] = {
		{ "leaks", build_leaks },
		{ "summary", build_summary },
		{ "states", build_states },
		{ "deadlocks", build_deadlocks },
		{ "memory", build_memory },
	};
	size_t top = opts && opts->top ? opts->top : DEFAULT_TOP;
	struct bd_analyze_opts part_opts = { top, opts && opts->no_shapes };
	struct analyze_ctx *c = bd_calloc(1, sizeof(*c));
	struct bd_report *r = bd_report_new("beamdump analyze", d);
	struct proc_stats st;
	struct top_rec tops[3][64], by_window[64], deepest[DEEP_CANDIDATES];
	struct top_rec busiest[RUNAWAY_TOP];
	static const size_t merge_order[] = { 3, 0, 2, 4 }; /* deadlocks, leaks, states, memory */
	struct bd_findings all;
	struct side_by_side run;
	enum bd_status rc = BD_OK;

	*out = NULL;
	if (!c || !r) {
		bd_free(c);
		bd_report_free(r);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	}
	r->cleanup = analyze_cleanup;
	r->cleanup_ctx = c;
	if (top > 64)
		top = part_opts.top = 64;
	for (size_t i = 0; i < N_PARTS; i++) {
		c->parts[i].name = kinds[i].name;
		c->parts[i].build = kinds[i].build;
	}
	/* what the parts share is built before they run side by side */
	bd_dump_literals(d);
	bd_dump_binaries(d);
	bd_dump_prepare_shared(d);
	bd_dump_proc_label(d, bd_slice_make("", 0));
	run = (struct side_by_side){ d, &part_opts, c->parts, &st, visit, visit_ctx };
	memset(&st, 0, sizeof(st));
	st.memory = (struct top_list){ tops[0], 0, top };
	st.mq = (struct top_list){ tops[1], 0, top };
	st.reductions = (struct top_list){ tops[2], 0, top };
	st.busiest = (struct top_list){ busiest, 0, RUNAWAY_TOP };
	st.by_window = (struct top_list){ by_window, 0, top };
	st.deepest = (struct top_list){ deepest, 0, DEEP_CANDIDATES };
	bd_parallel(N_PARTS + 1, d->threads, run_side, &run);
	for (size_t i = 0; i < N_PARTS; i++) {
		if (c->parts[i].rc) {
			rc = c->parts[i].rc;
			if (err)
				*err = c->parts[i].err;
			goto fail;
		}
	}

	struct rm_builder *b = &r->b;
	struct rm_node *root = r->root;
	struct rm_node *leaks = c->parts[0].report->root;
	struct rm_node *summary = c->parts[1].report->root;
	struct rm_node *states = c->parts[2].report->root;
	struct rm_node *deadlocks = c->parts[3].report->root;
	struct rm_node *memory = c->parts[4].report->root;

	what_happened(b, root, d);
	struct rm_node *findings = bd_rm_flags(bd_rm_label(bd_rm_arr(b, root, "findings"), "Findings"),
					    RM_BLOCKS);
	/* the parts' findings and the runaways, ranked; equal severities keep this order */
	bd_findings_init(&all, &r->arena);
	for (size_t i = 0; i < BD_ARRAY_SIZE(merge_order); i++) {
		const struct bd_report *part = c->parts[merge_order[i]].report;
		bd_findings_append(&all, part->findings, part->n_findings);
	}
	runaway_findings(b, &all, d, &st);
	bd_findings_rank(&all);
	if (bd_report_findings(r, findings, &all)) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory ranking findings");
		goto fail;
	}

	/* the inventory: the summary's parts, then the focused lists */
	move(root, summary, "dump", "Dump");
	move(root, summary, "counts", "Counts");
	move(root, summary, "memory", "Memory");
	move(root, memory, "where", "Where the memory went");
	struct rm_node *procs = bd_rm_label(bd_rm_obj(b, root, "processes"), "Top processes");
	add_top(b, procs, "by_memory", "by memory", d, &st.memory);
	add_top(b, procs, "by_message_queue", "by message queue", d, &st.mq);
	add_top(b, procs, "by_reductions", "by reductions", d, &st.reductions);
	if (st.window)
		add_top(b, procs, "by_window_reductions", "by reductions in the window", d,
			&st.by_window);
	move(root, states, "states", "Largest states");
	move(root, leaks, "mailboxes", "Mailboxes");
	move(root, leaks, "binary_leaks", "Binaries pinned by slices");
	move(root, deadlocks, "cycles", "Deadlock cycles");
	move(root, deadlocks, "chains", "Call chains");
	move(root, deadlocks, "convoys", "Convoys");
	move(root, leaks, "ets", "ETS tables");
	move(root, leaks, "atoms", "Atoms");
	move(root, leaks, "allocators", "Allocators");
	move(root, summary, "schedulers", "Schedulers");
	move(root, summary, "loaded_code", "Loaded code");
	move(root, summary, "diagnostics", "Diagnostics");
	bd_free(st.all_reductions);
	bd_free(st.stack_words);
	if (b->oom) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
		bd_report_free(r);
		return rc;
	}
	*out = r;
	return BD_OK;
fail:
	bd_free(st.all_reductions);
	bd_report_free(r);
	return rc;
}
