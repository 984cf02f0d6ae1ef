/* `proc`: everything about one process. */
#include "bd.h"
#include "analyze/analyze.h"
#include "term/print.h"
#include "term/shape.h"

#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_DEPTH 8
#define DEFAULT_WIDTH 20
#define DEFAULT_MAX_BYTES 4096
#define DEFAULT_MESSAGES 10
#define DEFAULT_SHAPES 10
#define SHAPE_DEPTH 3
#define MAX_DISTINCT_SHAPES 4096

struct bd_print_opts bd_print_opts_from(const struct bd_term_opts *t)
{
	struct bd_print_opts o;

	memset(&o, 0, sizeof(o));
	o.syntax = t && t->syntax == BD_TERM_ELIXIR ? BD_SYNTAX_ELIXIR : BD_SYNTAX_ERLANG;
	o.depth = t && t->depth ? t->depth : DEFAULT_DEPTH;
	o.width = t && t->width ? t->width : DEFAULT_WIDTH;
	o.max_bytes = t && t->max_bytes ? t->max_bytes : DEFAULT_MAX_BYTES;
	return o;
}

/* The printed term as a report string (copied into the report's arena). */
struct rm_node *bd_rm_term(struct rm_builder *b, struct rm_node *parent, const char *key,
			   const struct bd_term_ctx *c, const struct bd_elem *e,
			   const struct bd_print_opts *o)
{
	struct bd_buf buf = BD_BUF_INIT;
	struct rm_node *n;

	if (bd_term_print(c, e, o, &buf, NULL) != BD_OK || buf.oom) {
		bd_buf_release(&buf);
		b->oom = true;
		return NULL;
	}
	n = bd_rm_flags(bd_rm_str(b, parent, key, buf.ptr), RM_CODE);
	bd_buf_release(&buf);
	return n;
}

/*
 * One walk over the queue, oldest first: either sizes or shapes. The two
 * are independent, so a long queue is walked by two threads at once, each
 * with its own resolve hint (and its own heap table, if it needs one).
 */
struct queue_walk {
	struct bd_term_ctx ctx;
	struct bd_resolve_hint hint;
	struct bd_heap heap;         /* used when the process's table is not built yet */
	struct bd_slice messages;
	bool shapes;
	enum bd_syntax syntax;
	uint64_t listed;
	uint64_t words;
	uint64_t missing;
	size_t n_bad;
	struct bd_histogram t;
	enum bd_status rc;
	struct bd_error err;
};

static void queue_walk_run(struct queue_walk *w)
{
	struct bd_slice rest = w->messages;
	struct bd_buf shape = BD_BUF_INIT;
	struct bd_elem msg;

	while (!w->rc && bd_next_message(&rest, &msg, &w->n_bad)) {
		w->listed++;
		if (!w->shapes) {
			struct bd_term_size sz;
			w->rc = bd_term_size(&w->ctx, &msg, &sz, &w->err);
			w->words += sz.flat_words;
			w->missing += sz.n_missing;
			continue;
		}
		bd_buf_reset(&shape);
		w->rc = bd_term_shape(&w->ctx, &msg, SHAPE_DEPTH, w->syntax, &shape, &w->err);
		if (!w->rc && !bd_histogram_add(&w->t, shape.ptr, shape.len))
			w->rc = bd_fail(&w->err, BD_ENOMEM, BD_NO_OFFSET, NULL,
					"cannot count message shapes");
	}
	bd_buf_release(&shape);
}

/* Part 0 sizes the messages, part 1 counts their shapes. */
static void queue_walk_part(void *walks, size_t part)
{
	queue_walk_run((struct queue_walk *)walks + part);
}

static void queue_walk_init(struct queue_walk *w, const struct bd_process *p, bool shapes,
			    enum bd_syntax syntax)
{
	memset(w, 0, sizeof(*w));
	w->ctx = p->ctx;
	w->hint = *p->ctx.hint;
	w->ctx.hint = &w->hint;
	w->messages = bd_process_messages(p);
	w->shapes = shapes;
	w->syntax = syntax;
	w->err.offset = BD_NO_OFFSET;
}

/* Walks sharing nothing mutable: a table not built yet is built per walk. */
static void queue_walk_own_heap(struct queue_walk *w, const struct bd_process *p)
{
	if (p->heap.deferred) {
		w->heap.deferred = p->heap.deferred;
		w->ctx.heap = &w->heap;
	}
}

static void queue_walk_release(struct queue_walk *w)
{
	bd_heap_release(&w->heap);
	bd_histogram_release(&w->t);
}

#define THREADED_QUEUE 10000

/*
 * The queue: count, words, a histogram of shapes and the first messages.
 */
static enum bd_status fill_messages(struct rm_builder *b, struct rm_node *m,
				    struct bd_process *p, const struct bd_proc_opts *opts,
				    const struct bd_print_opts *po, struct bd_error *err)
{
	struct queue_walk walks[2];
	struct queue_walk *sizes = &walks[0], *shapes = &walks[1];
	struct rm_node *first;
	struct bd_slice rest;
	struct bd_elem msg;
	struct bd_resolve_hint queue_start = *p->ctx.hint;
	size_t n_print = opts && opts->messages ? opts->messages : DEFAULT_MESSAGES;
	size_t n_shapes = opts && opts->shapes ? opts->shapes : DEFAULT_SHAPES;
	unsigned threads = p->proc.message_queue_len >= THREADED_QUEUE ? p->d->threads : 1;
	enum bd_status rc = BD_OK;

	queue_walk_init(sizes, p, false, po->syntax);
	queue_walk_init(shapes, p, true, po->syntax);
	if (!bd_histogram_init(&shapes->t, MAX_DISTINCT_SHAPES)) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot count message shapes");
		goto out;
	}
	if (threads > 1)
		queue_walk_own_heap(shapes, p);
	bd_parallel(2, threads, queue_walk_part, walks);
	rc = sizes->rc ? sizes->rc : shapes->rc;
	if (rc) {
		*err = sizes->rc ? sizes->err : shapes->err;
		goto out;
	}
	bd_rm_label(bd_rm_uint(b, m, "count", p->proc.message_queue_len), "queue length");
	bd_rm_label(bd_rm_uint(b, m, "listed", sizes->listed), "listed in the dump");
	bd_rm_label(bd_rm_uint(b, m, "words", sizes->words), "words (flat)");
	bd_rm_label(bd_rm_bytes(b, m, "bytes", sizes->words * p->d->info.word_size), "size");
	if (sizes->missing || sizes->n_bad)
		bd_rm_label(bd_rm_uint(b, m, "incomplete", sizes->missing + sizes->n_bad), "incomplete terms");
	bd_histogram_sort(&shapes->t);
	struct rm_node *rows = bd_rm_arr(b, m, "shapes");
	for (size_t i = 0; i < shapes->t.n && i < n_shapes; i++) {
		struct rm_node *row = bd_rm_obj(b, rows, NULL);
		bd_rm_flags(bd_rm_str(b, row, "shape", shapes->t.slots[i].text), RM_WIDE | RM_CODE);
		bd_rm_uint(b, row, "count", shapes->t.slots[i].count);
		bd_rm_ratio(b, row, "share",
			 sizes->listed ? (double)shapes->t.slots[i].count / (double)sizes->listed : 0);
	}
	if (shapes->t.other)
		bd_rm_label(bd_rm_uint(b, m, "other_shapes", shapes->t.other), "messages of other shapes");
	/* the oldest few, printed; the walk after them goes on from where sizes ended */
	first = bd_rm_label(bd_rm_arr(b, m, "first"), "first messages");
	rest = bd_process_messages(p);
	*p->ctx.hint = queue_start;
	for (size_t i = 0; i < n_print && bd_next_message(&rest, &msg, NULL); i++)
		bd_rm_flags(bd_rm_term(b, first, NULL, &p->ctx, &msg, po), RM_MULTILINE);
	*p->ctx.hint = sizes->hint;
out:
	queue_walk_release(sizes);
	queue_walk_release(shapes);
	return rc;
}

/* ------------------------------------------------------------ pieces */

static void add_links(struct rm_builder *b, struct rm_node *o, struct bd_process *p)
{
	static const char *const directions[] = {
		[BD_MONITOR_TO] = "monitors",
		[BD_MONITOR_FROM] = "monitored_by",
		[BD_MONITOR_RESOURCE] = "monitored_by_resource",
	};
	struct rm_node *links = bd_rm_arr(b, o, "links");
	struct rm_node *mons = bd_rm_arr(b, o, "monitors");
	struct bd_slice rest = p->proc.link_list;
	struct bd_link l;

	while (bd_next_link(&rest, &l)) {
		struct rm_node *row;
		if (l.kind == BD_LINK) {
			row = bd_rm_obj(b, links, NULL);
			bd_rm_slice(b, row, "pid", l.target);
			bd_rm_name_label(b, row, p->d, l.target, bd_dump_proc_name(p->d, l.target));
			continue;
		}
		row = bd_rm_obj(b, mons, NULL);
		bd_rm_str(b, row, "direction", directions[l.kind]);
		if (l.kind == BD_MONITOR_RESOURCE) {
			/* held by a NIF resource ({Module,Type}), not by a process */
			bd_rm_null(b, row, "pid");
			bd_rm_null(b, row, "name");
			bd_rm_null(b, row, "label");
			bd_rm_slice(b, row, "resource", l.target);
		} else {
			bd_rm_slice(b, row, "pid", l.target);
			bd_rm_name_label(b, row, p->d, l.target, bd_dump_proc_name(p->d, l.target));
			bd_rm_null(b, row, "resource");
		}
		bd_rm_flags(bd_rm_slice(b, row, "ref", l.ref), RM_WIDE);
	}
}

static void fill_stack(struct rm_builder *b, struct rm_node *stack, const struct bd_process *p)
{
	struct bd_print_opts small = { BD_SYNTAX_ERLANG, 3, 5, 120 };

	for (size_t i = 0; i < p->n_frames; i++) {
		const struct bd_frame *f = &p->frames[i];
		struct rm_node *row = bd_rm_obj(b, stack, NULL);
		struct rm_node *values;
		bd_rm_flags(bd_rm_slice(b, row, "function", f->function), RM_WIDE);
		bd_rm_label(bd_rm_uint(b, row, "slots", f->n), "y registers");
		values = bd_rm_flags(bd_rm_arr(b, row, "values"), RM_NOTEXT);
		for (size_t k = 0; k < f->n; k++) {
			const struct bd_slot *s = &p->slots[f->first + k];
			if (s->is_catch)
				bd_rm_slice(b, values, NULL, s->elem.text);
			else
				bd_rm_term(b, values, NULL, &p->ctx, &s->elem, &small);
		}
	}
}

static void fill_dictionary(struct rm_builder *b, struct rm_node *dict, const struct bd_process *p,
			    const struct bd_print_opts *po)
{
	struct bd_slice rest = bd_process_dictionary(p);
	struct bd_elem key, value;

	while (bd_next_dict_entry(p, &rest, &key, &value, NULL)) {
		struct rm_node *row = bd_rm_obj(b, dict, NULL);
		bd_rm_term(b, row, "key", &p->ctx, &key, po);
		bd_rm_flags(bd_rm_term(b, row, "value", &p->ctx, &value, po), RM_WIDE);
	}
}
/* The behaviour's fields; the state object is returned to be filled later. */
static struct rm_node *add_behaviour_head(struct rm_builder *b, struct rm_node *o,
					  const struct bd_behaviour *beh)
{
	if (beh->kind)
		bd_rm_str(b, o, "behaviour", beh->kind);
	else
		bd_rm_null(b, o, "behaviour");
	bd_rm_slice_or_null(b, o, "module", beh->module);
	bd_rm_bool(b, o, "hibernated", beh->hibernated);
	if (beh->suspended)
		bd_rm_bool(b, o, "suspended", true);
	if (beh->has_state)
		return bd_rm_obj(b, o, "state");
	bd_rm_null(b, o, "state");
	if (beh->hibernated)
		bd_rm_label(bd_rm_uint(b, o, "hibernated_heap_words", beh->hibernated_heap_words),
			 "state not in the dump (hibernated); live heap words");
	return NULL;
}

static enum bd_status fill_state(struct rm_builder *b, struct rm_node *st,
				 struct bd_process *p, const struct bd_behaviour *beh,
				 const struct bd_print_opts *po, struct bd_error *err)
{
	struct bd_term_size sz;
	struct bd_buf shape = BD_BUF_INIT;
	struct bd_resolve_hint start = *p->ctx.hint;
	enum bd_status rc = bd_measure_state(p, beh, po->syntax, &sz, &shape, err);

	if (rc) {
		bd_buf_release(&shape);
		return rc;
	}
	bd_rm_slice(b, st, "found_in", p->frames[beh->frame].function);
	if (beh->statem_state.kind || beh->statem_state.text.len)
		bd_rm_term(b, st, "state_name", &p->ctx, &beh->statem_state, po);
	/* a pointer not in the dump (a cut dump) makes the sizes lower bounds */
	unsigned bound = sz.n_missing ? RM_AT_LEAST : 0;
	bd_rm_flags(bd_rm_label(bd_rm_uint(b, st, "words", sz.flat_words), "words (flat_size)"), bound);
	bd_rm_flags(bd_rm_label(bd_rm_bytes(b, st, "bytes", sz.flat_words * p->d->info.word_size), "size"),
		 bound);
	bd_rm_flags(bd_rm_bool(b, st, "exact", !sz.n_missing), RM_NOTEXT);
	bd_rm_label(bd_rm_uint(b, st, "shared_words", sz.shared_words), "words (shared once)");
	bd_rm_label(bd_rm_uint(b, st, "literal_words", sz.literal_words), "in literal areas");
	bd_rm_label(bd_rm_bytes(b, st, "binary_bytes", sz.binary_bytes), "off-heap binaries");
	if (sz.n_missing)
		bd_rm_label(bd_rm_uint(b, st, "missing", sz.n_missing), "pointers not in the dump");
	bd_rm_flags(bd_rm_str(b, st, "shape", shape.ptr), RM_MULTILINE | RM_CODE);
	bd_buf_release(&shape);
	*p->ctx.hint = start;
	bd_rm_flags(bd_rm_term(b, st, "printed", &p->ctx, &beh->state, po), RM_MULTILINE);
	return BD_OK;
}

static uint64_t stack_words(const struct bd_process *p)
{
	struct bd_section s;

	if (p->sect.stack == BD_NO_SECTION)
		return BD_UNSET;
	bd_section_get(p->d, p->sect.stack, &s);
	return bd_count_lines(s.body);
}

/* "<0.80.0>", "0.80.0" or a registered name -> the pid as written in the dump. */
static struct bd_slice resolve_process(struct bd_dump *d, const char *arg, char *buf, size_t cap)
{
	size_t len = strlen(arg);
	unsigned a, b2, c;
	char tail;

	if (len && arg[0] == '<')
		return bd_slice_make(arg, len);
	if (sscanf(arg, "%u.%u.%u%c", &a, &b2, &c, &tail) == 3) {
		snprintf(buf, cap, "<%u.%u.%u>", a, b2, c);
		return bd_slice_make(buf, strlen(buf));
	}
	return bd_dump_find_name(d, bd_slice_make(arg, len));
}

enum bd_status bd_report_proc(struct bd_dump *d, const char *process,
			      const struct bd_proc_opts *opts, struct bd_report **out,
			      struct bd_error *err)
{
	struct bd_process p;
	struct bd_behaviour beh;
	struct bd_report *r;
	struct rm_builder *b;
	struct rm_node *o, *st, *stack, *dict, *msgs;
	struct bd_print_opts po = bd_print_opts_from(opts ? &opts->terms : NULL);
	char pidbuf[64];
	struct bd_slice pid;
	enum bd_status rc;

	*out = NULL;
	pid = resolve_process(d, process, pidbuf, sizeof(pidbuf));
	if (!pid.len)
		return bd_fail(err, BD_ENOTFOUND, BD_NO_OFFSET, NULL,
			       "no process is registered as %s in the dump", process);
	rc = bd_process_open(&p, d, pid, err);
	if (rc)
		return rc;
	r = bd_report_new("beamdump proc", d);
	if (!r) {
		bd_process_close(&p);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	}
	b = &r->b;
	o = bd_rm_label(bd_rm_obj(b, r->root, "process"), "Process");
	bd_proc_row(b, o, d, &p.proc, stack_words(&p));
	/* here "state" is the behaviour's state: the process's own is process_state */
	for (struct rm_node *c = o ? o->first : NULL; c; c = c->next)
		if (c->key && strcmp(c->key, "state") == 0)
			bd_rm_label(c, "process state")->key = "process_state";
	/*
	 * Containers are made in display order but filled in the order the
	 * dump wrote the heap (messages, dictionary, stack), so that most
	 * lookups are the next line (see struct bd_resolve_hint).
	 */
	bd_find_behaviour(&p, &beh);
	st = add_behaviour_head(b, o, &beh);
	add_links(b, o, &p);
	stack = bd_rm_arr(b, o, "stack");
	dict = bd_rm_arr(b, o, "dictionary");
	msgs = bd_rm_obj(b, o, "messages");
	rc = fill_messages(b, msgs, &p, opts, &po, err);
	if (!rc) {
		fill_dictionary(b, dict, &p, &po);
		fill_stack(b, stack, &p);
		if (st)
			rc = fill_state(b, st, &p, &beh, &po, err);
	}
	if (p.heap.failed)
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory indexing the heap of %.*s",
			     (int)p.pid.len, p.pid.ptr);
	if (p.n_bad_stack_lines || p.heap.n_bad)
		bd_rm_label(bd_rm_uint(b, o, "unreadable_lines", p.n_bad_stack_lines + p.heap.n_bad),
			 "unreadable stack/heap lines");
	bd_process_close(&p);
	if (!rc && b->oom)
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	if (rc) {
		bd_report_free(r);
		return rc;
	}
	*out = r;
	return BD_OK;
}
