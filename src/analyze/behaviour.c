/*
 * Where an OTP behaviour keeps its state on the stack (format doc 4.5).
 * The y registers of the gen_server loop frames hold Mod, State, Name and
 * Parent in that order; which frame and what surrounds them changed over
 * releases, so every rule checks what it finds (Mod must be an atom, Name
 * an atom or a pid) instead of trusting slot numbers.
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "term/etf.h"
#include "term/shape.h"
#include "util/base64.h"


static const struct bd_elem *slot(const struct bd_process *p, const struct bd_frame *f, size_t i)
{
	return &p->slots[f->first + i].elem;
}

static bool is_name(const struct bd_elem *e)
{
	return e->kind == BD_ELEM_ATOM || e->kind == BD_ELEM_PID || e->kind == BD_ELEM_PTR;
}

/* OTP 28: {server_data, Parent, NameSpec, Name, Mod, HibernateAfter, ...}, State before it */
static bool gen_server_28(const struct bd_process *p, const struct bd_frame *f,
			  struct bd_behaviour *b)
{
	for (size_t i = 1; i < f->n; i++) {
		struct bd_elem tag;
		struct bd_elem mod;
		if (!bd_tuple_elem(&p->ctx, slot(p, f, i), 0, &tag) ||
		    !bd_elem_is_atom(&tag, "server_data"))
			continue;
		if (!bd_tuple_elem(&p->ctx, slot(p, f, i), 4, &mod) || mod.kind != BD_ELEM_ATOM)
			continue;
		b->module = mod.text;
		b->state = *slot(p, f, i - 1);
		return true;
	}
	return false;
}

/* Up to OTP 27: ... Mod, State, Name, Parent ... with Parent the last pid that fits */
static bool gen_server_pid_rule(const struct bd_process *p, const struct bd_frame *f,
				struct bd_behaviour *b)
{
	for (size_t j = f->n; j-- > 3;) {
		const struct bd_elem *mod = slot(p, f, j - 3);
		struct bd_elem tag;
		struct bd_elem cached;
		if (slot(p, f, j)->kind != BD_ELEM_PID || !is_name(slot(p, f, j - 1)))
			continue;
		/* OTP 26-27 keep {callback_cache, Mod, ...} where Mod was */
		if (mod->kind == BD_ELEM_PTR && bd_tuple_elem(&p->ctx, mod, 0, &tag) &&
		    bd_elem_is_atom(&tag, "callback_cache") &&
		    bd_tuple_elem(&p->ctx, mod, 1, &cached))
			mod = &cached;
		if (mod->kind != BD_ELEM_ATOM)
			continue;
		b->module = mod->text;
		b->state = *slot(p, f, j - 2);
		return true;
	}
	return false;
}

static bool gen_server_state(const struct bd_process *p, struct bd_behaviour *b)
{
	static const char *const frames[] = {
		"gen_server:loop/", "gen_server:handle_msg/", "gen_server:decode_msg/",
	};

	for (size_t i = 0; i < p->n_frames; i++) {
		const struct bd_frame *f = &p->frames[i];
		for (size_t k = 0; k < BD_ARRAY_SIZE(frames); k++) {
			if (!bd_slice_starts(f->function, frames[k]))
				continue;
			if (gen_server_28(p, f, b) || gen_server_pid_rule(p, f, b)) {
				b->kind = "gen_server";
				b->has_state = true;
				b->frame = i;
				return true;
			}
		}
	}
	return false;
}

/* sys:suspend_loop(Hib, Misc, Debug, gen_server, Parent): Misc = [Name, State, Mod | _] */
static bool suspended_state(const struct bd_process *p, struct bd_behaviour *b)
{
	size_t i = bd_process_find_frame(p, "sys:suspend_loop/");
	const struct bd_frame *f;

	if (i == p->n_frames)
		return false;
	f = &p->frames[i];
	for (size_t k = 0; k < f->n; k++) {
		struct bd_elem name, rest, state, rest2, mod, rest3;
		if (!bd_elem_is_atom(slot(p, f, k), "gen_server"))
			continue;
		for (size_t m = 0; m < f->n; m++) {
			if (!bd_list_cell(&p->ctx, slot(p, f, m), &name, &rest) || !is_name(&name) ||
			    !bd_list_cell(&p->ctx, &rest, &state, &rest2) ||
			    !bd_list_cell(&p->ctx, &rest2, &mod, &rest3) || mod.kind != BD_ELEM_ATOM)
				continue;
			b->kind = "gen_server";
			b->module = mod.text;
			b->state = state;
			b->has_state = true;
			b->suspended = true;
			b->frame = i;
			return true;
		}
	}
	return false;
}

/*
 * gen_statem keeps #state{state_data = {StateName, Data}} and
 * #params{modules = [Mod | _]} in its loop frames (OTP 25 records).
 */
static bool gen_statem_state(const struct bd_process *p, struct bd_behaviour *b)
{
	bool found = false;

	if (bd_process_find_frame(p, "gen_statem:") == p->n_frames)
		return false;
	for (size_t i = 0; i < p->n_frames; i++) {
		const struct bd_frame *f = &p->frames[i];
		if (!bd_slice_starts(f->function, "gen_statem:"))
			continue;
		for (size_t k = 0; k < f->n; k++) {
			const struct bd_elem *e = slot(p, f, k);
			struct bd_elem tag, pair, v, mods, tail;
			if (!bd_tuple_elem(&p->ctx, e, 0, &tag) || tag.kind != BD_ELEM_ATOM)
				continue;
			if (!found && bd_slice_eq(tag.text, "state") &&
			    bd_tuple_elem(&p->ctx, e, 1, &pair) && bd_tuple_arity(&p->ctx, &pair) == 2 &&
			    bd_tuple_elem(&p->ctx, &pair, 1, &v)) {
				bd_tuple_elem(&p->ctx, &pair, 0, &b->statem_state);
				b->state = v;
				b->has_state = true;
				b->frame = i;
				found = true;
			} else if (!b->module.len && bd_slice_eq(tag.text, "params")) {
				for (uint64_t m = 1; m < bd_tuple_arity(&p->ctx, e); m++) {
					struct bd_elem head;
					if (bd_tuple_elem(&p->ctx, e, m, &mods) &&
					    bd_list_cell(&p->ctx, &mods, &head, &tail) &&
					    head.kind == BD_ELEM_ATOM) {
						b->module = head.text;
						break;
					}
				}
			}
		}
		if (found && b->module.len)
			break;
	}
	if (found)
		b->kind = "gen_statem";
	return found;
}

/* gen_event: a list of {handler, Mod, Id, State, Supervised} in the manager's frames */
static bool gen_event_state(const struct bd_process *p, struct bd_behaviour *b)
{
	for (size_t i = 0; i < p->n_frames; i++) {
		const struct bd_frame *f = &p->frames[i];
		if (!bd_slice_starts(f->function, "gen_event:"))
			continue;
		for (size_t k = 0; k < f->n; k++) {
			struct bd_elem head, tail, tag, mod;
			if (!bd_list_cell(&p->ctx, slot(p, f, k), &head, &tail) ||
			    bd_tuple_arity(&p->ctx, &head) != 5 ||
			    !bd_tuple_elem(&p->ctx, &head, 0, &tag) ||
			    !bd_elem_is_atom(&tag, "handler") ||
			    !bd_tuple_elem(&p->ctx, &head, 1, &mod) || mod.kind != BD_ELEM_ATOM)
				continue;
			b->kind = "gen_event";
			b->module = mod.text;
			b->state = *slot(p, f, k);
			b->has_state = true;
			b->frame = i;
			return true;
		}
	}
	return false;
}

/*
 * The dictionary's '$initial_call' {M, F, A}: M is the real callback module;
 * supervisors write {supervisor, Mod, 1}.
 */
static struct bd_slice initial_call_module(const struct bd_process *p)
{
	struct bd_slice rest = bd_process_dictionary(p);
	struct bd_elem key, value, mod, fun;

	while (bd_next_dict_entry(p, &rest, &key, &value, NULL)) {
		if (!bd_elem_is_atom(&key, "$initial_call") ||
		    !bd_tuple_elem(&p->ctx, &value, 0, &mod) || mod.kind != BD_ELEM_ATOM)
			continue;
		if ((bd_slice_eq(mod.text, "supervisor") || bd_slice_eq(mod.text, "supervisor_bridge")) &&
		    bd_tuple_elem(&p->ctx, &value, 1, &fun) && fun.kind == BD_ELEM_ATOM)
			return fun.text;
		return mod.text;
	}
	return bd_slice_make("", 0);
}

struct attr_scan {
	const char *behaviour;
	int state; /* 0 nothing, 1 saw the atom behaviour/behavior */
};

static int attr_event(void *ctx, const struct bd_etf_event *ev)
{
	static const char *const known[] = { "gen_server", "gen_statem", "gen_event", "supervisor",
					     "Elixir.GenServer", "Elixir.Agent",
					     "Elixir.Supervisor" };
	struct attr_scan *s = ctx;

	struct bd_slice atom;

	if (ev->kind != BD_ETF_ATOM)
		return 0;
	atom = bd_slice_make(ev->atom.ptr, ev->atom.len);
	if (bd_slice_eq(atom, "behaviour") || bd_slice_eq(atom, "behavior")) {
		s->state = 1;
		return 0;
	}
	if (s->state == 1) {
		for (size_t i = 0; i < BD_ARRAY_SIZE(known); i++) {
			if (bd_slice_eq(atom, known[i])) {
				s->behaviour = known[i];
				return 1;
			}
		}
	}
	return 0;
}

/* Decode the attributes line (base64, hex before dump 0.5) and scan it. */
static void scan_attributes(const struct bd_dump *d, struct bd_slice text, struct attr_scan *scan)
{
	size_t cap = bd_base64_decoded_len(text.len);
	uint8_t *buf;
	size_t n = 0;
	int rc;

	if (cap > ((size_t)16 << 20) || !(buf = bd_malloc(cap ? cap : 1)))
		return;
	if (d->info.version_major == 0 && d->info.version_minor < 5)
		rc = bd_hex_decode(text.ptr, text.len, buf, cap, &n);
	else
		rc = bd_base64_decode(text.ptr, text.len, buf, cap, &n);
	if (rc == 0)
		bd_etf_decode(buf, n, attr_event, scan, NULL);
	bd_free(buf);
}

/* The behaviour a module declares, read from its =mod attributes. */
static const char *module_behaviour(struct bd_dump *d, struct bd_slice mod)
{
	struct attr_scan scan = { NULL, 0 };

	for (size_t i = bd_section_find(d, BD_SECT_MOD, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_MOD, i + 1)) {
		struct bd_section s;
		struct bd_slice rest, line;
		bd_section_get(d, i, &s);
		if (!bd_slice_eqs(s.id, mod))
			continue;
		rest = s.body;
		while (bd_slice_next_line(&rest, &line)) {
			if (bd_slice_starts(line, "Current attributes: "))
				scan_attributes(d, bd_slice_trim(bd_slice_skip(line, 20)), &scan);
		}
		break;
	}
	if (!scan.behaviour)
		return NULL;
	if (strcmp(scan.behaviour, "Elixir.GenServer") == 0 ||
	    strcmp(scan.behaviour, "Elixir.Agent") == 0)
		return "gen_server";
	if (strcmp(scan.behaviour, "Elixir.Supervisor") == 0)
		return "supervisor";
	return scan.behaviour;
}

/*
 * A snapshot taken with --state holds what sys:get_state/2 answered, in a
 * frame of that name (input/snapshot.c): y0 the behaviour the process was
 * waiting in, y1 the answer. gen_statem answers {StateName, Data};
 * gen_event a list of {Mod, Id, State}, the first handler's Mod standing
 * for the module as in a dump.
 */
static bool snapshot_state(const struct bd_process *p, struct bd_behaviour *b)
{
	static const char *const kinds[] = { "gen_server", "gen_statem", "gen_event", "supervisor" };
	size_t i = bd_process_find_frame(p, "sys:get_state/2");
	const struct bd_frame *f;
	struct bd_elem head, tail, mod;

	if (i == p->n_frames || p->frames[i].n < 2)
		return false;
	f = &p->frames[i];
	for (size_t k = 0; k < BD_ARRAY_SIZE(kinds) && !b->kind; k++)
		if (bd_elem_is_atom(slot(p, f, 0), kinds[k]))
			b->kind = kinds[k];
	if (!b->kind)
		return false;
	b->state = *slot(p, f, 1);
	b->module = initial_call_module(p);
	if (strcmp(b->kind, "gen_statem") == 0 && bd_tuple_arity(&p->ctx, &b->state) == 2) {
		struct bd_elem data;
		bd_tuple_elem(&p->ctx, &b->state, 0, &b->statem_state);
		bd_tuple_elem(&p->ctx, &b->state, 1, &data);
		b->state = data;
	} else if (strcmp(b->kind, "gen_event") == 0 &&
		   bd_list_cell(&p->ctx, &b->state, &head, &tail) &&
		   bd_tuple_elem(&p->ctx, &head, 0, &mod) && mod.kind == BD_ELEM_ATOM) {
		b->module = mod.text;
	}
	/* y2: the flat size as the node lays the state out (a big map is a hash trie there) */
	if (f->n > 2 && slot(p, f, 2)->kind == BD_ELEM_SMALL && slot(p, f, 2)->small > 0)
		b->measured_words = (uint64_t)slot(p, f, 2)->small;
	b->has_state = true;
	b->frame = i;
	return true;
}

/* A hibernated process has only its terminate frame; its state is in x registers. */
static bool is_hibernated(const struct bd_process *p)
{
	struct bd_slice cur = bd_proc_current_function(&p->proc);

	return bd_slice_eq(cur, "erlang:hibernate/3") ||
	       (bd_slice_eq(p->proc.program_counter, "unknown function") && p->proc.arity == 3 &&
		p->n_slots == 0 && p->n_frames <= 2);
}

void bd_find_behaviour(const struct bd_process *p, struct bd_behaviour *b)
{
	struct bd_slice init;

	memset(b, 0, sizeof(*b));
	b->frame = SIZE_MAX;
	if (bd_is_snapshot(p->d) && snapshot_state(p, b))
		return;
	if (!gen_server_state(p, b) && !suspended_state(p, b) && !gen_statem_state(p, b) &&
	    !gen_event_state(p, b)) {
		if (!is_hibernated(p))
			return;
		b->hibernated = true;
		init = initial_call_module(p);
		if (!init.len)
			return;
		b->module = init;
		b->kind = module_behaviour(p->d, init);
		if (!b->kind)
			b->kind = "unknown";
		/* the live heap is an upper bound of the state's size */
		if (p->proc.stack_heap_words != BD_UNSET && p->proc.heap_unused_words != BD_UNSET &&
		    p->proc.stack_heap_words >= p->proc.heap_unused_words)
			b->hibernated_heap_words = p->proc.stack_heap_words - p->proc.heap_unused_words;
		return;
	}
	/* supervisors are gen_servers run by the supervisor module */
	if (strcmp(b->kind, "gen_server") == 0 && bd_slice_eq(b->module, "supervisor")) {
		b->kind = "supervisor";
		init = initial_call_module(p);
		if (init.len && !bd_slice_eq(init, "supervisor"))
			b->module = init;
	}
	/*
	 * A snapshot's stack holds only the immediate y-registers of a
	 * backtrace: which behaviour loop the process is in is known, its
	 * state and the slots around it are not; the module is the one its
	 * $initial_call names.
	 */
	if (bd_is_snapshot(p->d)) {
		b->has_state = false;
		b->statem_state.kind = 0;
		b->module = initial_call_module(p);
		if (bd_slice_eq(b->module, "supervisor") && strcmp(b->kind, "gen_server") == 0)
			b->kind = "supervisor";
	}
}

/* ------------------------------------------------ measuring a state */

struct measure_job {
	struct bd_process *p;
	const struct bd_elem *root;
	struct bd_term_size *size;
	enum bd_status size_rc;
	struct bd_error size_err;
	/* the shape walk: its own resolve hint, and heap table if one must be built */
	struct bd_term_ctx ctx;
	struct bd_resolve_hint hint;
	struct bd_heap heap;
	enum bd_syntax syntax;
	struct bd_buf *out;
	enum bd_status rc;
	struct bd_error err;
};

/* Part 0 sizes the term, part 1 summarises its shape. */
static void measure_part(void *arg, size_t part)
{
	struct measure_job *j = arg;

	if (part == 0)
		j->size_rc = bd_term_size(&j->p->ctx, j->root, j->size, &j->size_err);
	else
		j->rc = bd_term_shape_summary(&j->ctx, j->root, j->syntax, j->out, &j->err);
}

/* Big enough that a second thread pays for itself (words of live heap). */
#define THREADED_STATE_WORDS 100000

bool bd_is_big_heap(const struct bd_process *p)
{
	return p->proc.stack_heap_words != BD_UNSET &&
	       p->proc.stack_heap_words >= THREADED_STATE_WORDS;
}

/*
 * Size a term and summarise its shape. Both walk the same lines from the
 * same start, independently: for a big heap they run side by side.
 */
enum bd_status bd_measure_term(struct bd_process *p, const struct bd_elem *e,
			       enum bd_syntax syntax, struct bd_term_size *size,
			       struct bd_buf *shape, struct bd_error *err)
{
	struct measure_job j;
	unsigned threads = bd_is_big_heap(p) ? p->d->threads : 1;
	enum bd_status rc;

	if (!shape)
		return bd_term_size(&p->ctx, e, size, err);

	struct bd_resolve_hint start = *p->ctx.hint;

	memset(&j, 0, sizeof(j));
	j.p = p;
	j.root = e;
	j.size = size;
	j.size_err.offset = BD_NO_OFFSET;
	j.ctx = p->ctx;
	j.hint = start;
	j.ctx.hint = &j.hint;
	j.syntax = syntax;
	j.out = shape;
	j.err.offset = BD_NO_OFFSET;
	if (threads > 1 && p->heap.deferred) {
		/* side by side, each walk builds the heap table it needs: neither changes the other's */
		j.heap.deferred = p->heap.deferred;
		j.ctx.heap = &j.heap;
	}
	bd_parallel(2, threads, measure_part, &j);
	bd_heap_release(&j.heap);
	rc = j.size_rc ? j.size_rc : j.rc;
	if (rc && err)
		*err = j.size_rc ? j.size_err : j.err;
	*p->ctx.hint = start;
	return rc;
}

enum bd_status bd_measure_state(struct bd_process *p, const struct bd_behaviour *beh,
				enum bd_syntax syntax, struct bd_term_size *size,
				struct bd_buf *shape, struct bd_error *err)
{
	enum bd_status rc = bd_measure_term(p, &beh->state, syntax, size, shape, err);

	if (!rc && beh->measured_words)
		size->flat_words = size->shared_words = beh->measured_words;
	return rc;
}
