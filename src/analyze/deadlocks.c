/*
 * `deadlocks`: the wait-for graph of blocked synchronous calls.
 *
 * An edge A -> B means A is Waiting in a synchronous call to B. The caller
 * side is read from A's stack (format doc 4.4):
 *  - gen:do_call/4 (gen_server, gen_statem, gen_event, Elixir GenServer):
 *    the callee is the target of the {to,B,Mref} monitor whose ref is held
 *    in gen:do_call's frame. A frame without a ref names the callee by the
 *    one pid it holds (old releases keep Process there), else by the
 *    ServerRef of the API frame (gen_server:call/3 y2), a registered name
 *    resolved in this dump. A ref whose monitor is gone means the callee
 *    died and its 'DOWN' is on the way: no edge, unless the frame's pid is
 *    the caller itself (a call to oneself monitors nothing).
 *  - gen_statem:call_clean/4 (OTP 25 with a finite timeout): the caller
 *    monitors a proxy process that is itself in gen:do_call/4; the edge is
 *    folded through the proxy onto the statem.
 *  - 'Elixir.Task':await, erpc:receive_response and friends: the monitor
 *    whose ref the frame holds.
 *  - any other receive: only when the waiting function's own frame holds
 *    a monitor ref and that function was called from further up the stack
 *    (a request helper, not a process's top loop, which may keep a monitor
 *    ref while it waits for anything at all).
 * A process waits in one receive, so every node has at most one outgoing
 * edge: cycles are found by walking edges, chains end at a process that is
 * not waiting on a call, convoys count direct callers of one process.
 *
 * Cost: one pass over the =proc sections, reading four keys; a process is
 * opened (stack read, heap indexed lazily) only when it is Waiting and its
 * current function is a call, or it monitors something and is not in a
 * behaviour's idle loop. Memory is O(those candidates).
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "report/graph.h"
#include "term/etf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Until the public header carries them. */
#define DEFAULT_CONVOY_MIN 10
#define NONE SIZE_MAX
#define REQUEST_BYTES 200
#define REF_TEXT 160

enum wait_kind {
	WAIT_CALL,     /* gen:do_call and the behaviours' call functions */
	WAIT_AWAIT,    /* 'Elixir.Task':await */
	WAIT_ERPC,     /* erpc:receive_response, erpc:call */
	WAIT_RECEIVE,  /* a receive on a monitor ref in a request helper */
};

static const char *const wait_kind_names[] = { "call", "await", "erpc", "receive" };

/* One blocked caller. Slices point into the dump; strings into the graph's arena. */
struct dl_edge {
	size_t from;                 /* =proc section of the caller */
	size_t to;                   /* =proc section of the callee; NONE: not in this dump */
	size_t via;                  /* =proc section of gen_statem's proxy, or NONE */
	enum wait_kind kind;
	struct bd_slice frame;       /* the call as found: "gen_server:call/3" */
	struct bd_slice called_from; /* the function that made the call, if known */
	struct bd_slice target;      /* the callee as written: pid, name or {Name,Node} */
	const char *request;         /* printed request, or NULL */
	const char *timeout;         /* "infinity", "5000", or NULL */
	const char *found_by;        /* "monitor", "frame", "server_ref" or "sole_monitor" */
	bool via_clean;              /* the caller is in gen_statem:call_clean */
	bool is_proxy;               /* the caller is gen_statem's call proxy */
	bool dropped;                /* a proxy's own edge, folded into its caller's */
};

struct dl_node {
	size_t section;     /* =proc section */
	struct bd_slice pid;
	size_t edge;        /* outgoing edge, NONE if not waiting (or unresolved) */
	size_t out;         /* node the edge leads to, NONE */
	size_t cycle;       /* cycle it belongs to, NONE */
	size_t sink;        /* for nodes off cycles: the chain head it leads to, NONE */
	size_t sink_cycle;  /* ... or the cycle it leads into, NONE */
	size_t depth;       /* edges to the sink */
	size_t callers;     /* direct callers */
	size_t waiters;     /* heads: nodes that lead to it */
	struct bd_pid order;
};

struct dl_cycle {
	size_t first;  /* node with the smallest pid */
	size_t len;
	size_t behind; /* nodes off the cycle that wait on it */
};

struct dl_graph {
	struct bd_dump *d;
	struct bd_arena arena;
	size_t convoy_min;
	size_t n_procs;
	size_t n_candidates;
	struct dl_edge *edges;
	size_t n_edges;
	size_t cap_edges;
	struct dl_node *nodes;
	size_t n_nodes;
	size_t *slots;       /* section -> node + 1 (open addressing) */
	size_t cap_slots;
	struct dl_cycle *cycles;
	size_t n_cycles;
	size_t n_unresolved;
};

/* ------------------------------------------------------------ helpers */

static bool starts_any(struct bd_slice s, const char *const *prefixes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (bd_slice_starts(s, prefixes[i]))
			return true;
	return false;
}

/* Functions a caller can be blocked in (=proc Current call or Program counter). */
static const char *const call_functions[] = {
	"gen:do_call/", "gen:call/", "gen:wait_resp", "gen_statem:call", "gen_event:call",
	"gen_server:call/", "'Elixir.Task':await", "'Elixir.GenServer':call/", "erpc:",
};

/*
 * Where a process waits for any message, not for one reply: a behaviour's
 * loop, proc_lib, sys, hibernation. A monitor ref kept there is not a call.
 */
static const char *const idle_functions[] = {
	"gen_server:", "gen_statem:loop", "gen_event:fetch_msg", "proc_lib:", "sys:",
	"erlang:hibernate", "unknown function",
};

/* The =proc keys the pre-filter needs, read without parsing the rest. */
struct proc_keys {
	struct bd_slice program_counter;  /* the function part */
	struct bd_slice current_call;
	struct bd_slice link_list;
};

/*
 * Only Waiting processes are blocked: a runnable one may already hold its
 * reply. State comes first (format doc 2), so most others cost one line.
 */
static bool read_keys(struct bd_slice body, struct proc_keys *k)
{
	struct bd_slice line;
	bool waiting = false;

	memset(k, 0, sizeof(*k));
	while (bd_slice_next_line(&body, &line)) {
		if (line.len < 8)
			continue;
		switch (line.ptr[0]) {
		case 'S':
			if (bd_slice_starts(line, "State: ")) {
				if (!bd_slice_eq(bd_slice_trim(bd_slice_skip(line, 7)), "Waiting"))
					return false;
				waiting = true;
			}
			break;
		case 'C':
			if (bd_slice_starts(line, "Current call: "))
				k->current_call = bd_slice_trim(bd_slice_skip(line, 14));
			break;
		case 'L':
			if (bd_slice_starts(line, "Link list: "))
				k->link_list = bd_slice_skip(line, 11);
			break;
		case 'P':
			if (bd_slice_starts(line, "Program counter: "))
				k->program_counter = bd_code_location(bd_slice_skip(line, 17));
			break;
		default:
			break;
		}
	}
	return waiting;
}

static bool fn_in(const struct proc_keys *k, const char *const *list, size_t n)
{
	return starts_any(k->program_counter, list, n) || starts_any(k->current_call, list, n);
}

/*
 * A Waiting process in a call function, or one that monitors something
 * and does not sit in an idle loop; the rest of the dump is never opened.
 */
static bool may_be_caller(const struct bd_section *s)
{
	struct proc_keys k;

	if (!read_keys(s->body, &k))
		return false;
	if (fn_in(&k, call_functions, BD_ARRAY_SIZE(call_functions)))
		return true;
	return k.link_list.len && bd_memmem(k.link_list.ptr, k.link_list.len, "{to,", 4) &&
	       !fn_in(&k, idle_functions, BD_ARRAY_SIZE(idle_functions));
}

/*
 * API frames a gen:do_call comes from, with where their y registers hold
 * the request, the server as given and the timeout (-1: not there). Seen
 * in OTP 17 to 27 dumps; every slot is checked for the kind it must be.
 */
struct api_layout {
	const char *function;
	int request;
	int server;
	int timeout;
};

static const struct api_layout api_layouts[] = {
	{ "gen_server:call/3", 1, 2, 0 },
	{ "gen_server:call/2", 0, 1, -1 },
	{ "gen_statem:call_dirty/4", 1, 2, 0 },
	{ "gen_statem:call_clean/4", 4, 5, 3 },
	{ "gen_event:call1/4", 1, 3, 0 },
	{ "'Elixir.GenServer':call/3", 1, 2, 0 },
};

static const struct api_layout *api_layout(struct bd_slice function)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(api_layouts); i++)
		if (bd_slice_eq(function, api_layouts[i].function))
			return &api_layouts[i];
	return NULL;
}

/* Modules whose frames are call plumbing, not the code that made the call. */
static bool is_plumbing(struct bd_slice fn)
{
	static const char *const prefixes[] = {
		"gen:", "gen_server:call", "gen_statem:call", "gen_event:call", "gen_event:rpc",
		"'Elixir.GenServer':call", "'Elixir.Task':await", "erpc:",
	};

	return starts_any(fn, prefixes, BD_ARRAY_SIZE(prefixes));
}

/* The bottom of a stack: nothing called the frame above it. */
static bool is_stack_bottom(struct bd_slice fn)
{
	return !fn.len || fn.ptr[0] == '<' || bd_slice_starts(fn, "proc_lib:init_p") ||
	       bd_slice_eq(fn, "erlang:apply/2") || bd_slice_eq(fn, "unknown function");
}

static const struct bd_elem *slot_of(const struct bd_process *p, const struct bd_frame *f, int i)
{
	if (i < 0 || (size_t)i >= f->n || p->slots[f->first + (size_t)i].is_catch)
		return NULL;
	return &p->slots[f->first + (size_t)i].elem;
}

struct fixbuf {
	char s[REF_TEXT];
	size_t n;
	bool over;
};

static void fix_write(void *ctx, const char *s, size_t n)
{
	struct fixbuf *b = ctx;

	if (b->over || n >= sizeof(b->s) - b->n) {
		b->over = true;
		return;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
}

/* The ids of "#Ref<0.1.2.3>" after the node channel: "1.2.3>". */
static struct bd_slice ref_ids(struct bd_slice ref)
{
	const char *dot;

	if (!bd_slice_starts(ref, "#Ref<"))
		return bd_slice_make("", 0);
	dot = memchr(ref.ptr, '.', ref.len);
	if (!dot)
		return bd_slice_make("", 0);
	return bd_slice_make(dot + 1, (size_t)(ref.ptr + ref.len - dot - 1));
}

/*
 * If e points to a reference, its ids as printed in a Link list (without
 * the channel, which depends on how the node name is known). Refs are
 * written as E lines: ETF tags 'r', 'Z' (NEW/NEWER_REFERENCE_EXT) or 'e'.
 */
static bool elem_ref(const struct bd_process *p, const struct bd_elem *e, struct fixbuf *out)
{
	struct bd_obj o;
	uint8_t local[256];
	uint8_t *bytes;
	size_t len;
	bool ok = false;

	if (!e || e->kind != BD_ELEM_PTR || !bd_term_resolve(&p->ctx, e->addr, &o) ||
	    o.kind != BD_OBJ_EXT_TERM || o.size > sizeof(local))
		return false;
	if (!bd_ext_term_bytes(&p->ctx, &o, local, sizeof(local), &bytes, &len))
		return false;
	out->n = 0;
	out->over = false;
	if (len > 2 && bytes[0] == BD_ETF_VERSION && (bytes[1] == 'r' || bytes[1] == 'Z' || bytes[1] == 'e') &&
	    bd_etf_print(bytes, len, NULL, fix_write, out, NULL) == BD_ETF_OK && !out->over)
		ok = ref_ids(bd_slice_make(out->s, out->n)).len > 0;
	if (bytes != local)
		bd_free(bytes);
	return ok;
}

/*
 * The target of the {to,Target,Ref} monitor whose ref frame f holds.
 * *has_ref tells whether the frame holds any ref at all.
 */
static bool monitor_in_frame(const struct bd_process *p, const struct bd_frame *f,
			     struct bd_slice *target, bool *has_ref)
{
	struct fixbuf ref;

	*has_ref = false;
	for (size_t k = 0; k < f->n; k++) {
		struct bd_slice ids, rest;
		struct bd_link l;
		if (!elem_ref(p, slot_of(p, f, (int)k), &ref))
			continue;
		*has_ref = true;
		ids = ref_ids(bd_slice_make(ref.s, ref.n));
		rest = p->proc.link_list;
		while (bd_next_link(&rest, &l)) {
			if (l.kind == BD_MONITOR_TO && bd_slice_eqs(ref_ids(l.ref), ids)) {
				*target = l.target;
				return true;
			}
		}
	}
	return false;
}

/* The target of the one process this process monitors, or an empty slice. */
static struct bd_slice sole_monitor(const struct bd_process *p)
{
	struct bd_slice rest = p->proc.link_list, found = { NULL, 0 };
	struct bd_link l;
	size_t n = 0;

	while (bd_next_link(&rest, &l))
		if (l.kind == BD_MONITOR_TO && n++ == 0)
			found = l.target;
	return n == 1 ? found : bd_slice_make("", 0);
}

static struct bd_slice unquote(struct bd_slice s)
{
	if (s.len >= 2 && s.ptr[0] == '\'' && s.ptr[s.len - 1] == '\'')
		return bd_slice_make(s.ptr + 1, s.len - 2);
	return s;
}

/* The local node's name, unquoted ("nonode@nohost" when the dump does not say). */
static struct bd_slice local_node(const struct bd_dump *d)
{
	const char *n = d->info.node;

	if (!n || !*n)
		return BD_SLICE_LIT("nonode@nohost");
	return unquote(bd_slice_make(n, strlen(n)));
}

/* Split "{Name,Node}" (Name possibly quoted, with commas inside quotes). */
static bool split_name_node(struct bd_slice t, struct bd_slice *name, struct bd_slice *node)
{
	size_t i = 1;

	if (t.len < 5 || t.ptr[0] != '{' || t.ptr[t.len - 1] != '}')
		return false;
	if (t.ptr[1] == '\'') {
		for (i = 2; i < t.len - 1 && t.ptr[i] != '\''; i++)
			if (t.ptr[i] == '\\')
				i++;
		i++;
	}
	while (i < t.len - 1 && t.ptr[i] != ',')
		i++;
	if (i >= t.len - 1)
		return false;
	*name = bd_slice_make(t.ptr + 1, i - 1);
	*node = bd_slice_trim(bd_slice_make(t.ptr + i + 1, t.len - i - 2));
	return name->len > 0;
}

/*
 * The =proc section of a callee written as a local pid, a registered name
 * (atom text, quoted or not) or {Name,Node} for this node; NONE otherwise.
 */
static size_t resolve_target(struct bd_dump *d, struct bd_slice t)
{
	struct bd_proc_sections s;
	struct bd_slice name, node;
	struct bd_pid pid;

	t = bd_slice_trim(t);
	if (!t.len)
		return NONE;
	if (t.ptr[0] == '<') {
		if (!bd_parse_pid(t, &pid) || pid.node != 0)
			return NONE;
	} else if (t.ptr[0] == '{') {
		if (!split_name_node(t, &name, &node) || !bd_slice_eqs(unquote(node), local_node(d)))
			return NONE;
		t = bd_dump_find_name(d, name);
	} else {
		t = bd_dump_find_name(d, t);
	}
	if (!t.len || !bd_dump_proc_sections(d, t, &s))
		return NONE;
	return s.proc;
}

static char *arena_text(struct dl_graph *g, const struct bd_buf *b)
{
	return b->oom ? NULL : bd_arena_strndup(&g->arena, b->ptr, b->len);
}

static const char *print_elem(struct dl_graph *g, const struct bd_process *p, const struct bd_elem *e)
{
	struct bd_print_opts o = { BD_SYNTAX_ERLANG, 4, 8, REQUEST_BYTES };
	struct bd_buf buf = BD_BUF_INIT;
	const char *s = NULL;

	if (bd_term_print(&p->ctx, e, &o, &buf, NULL) == BD_OK)
		s = arena_text(g, &buf);
	bd_buf_release(&buf);
	return s;
}

static const char *timeout_text(struct dl_graph *g, const struct bd_elem *e)
{
	if (!e)
		return NULL;
	if (bd_elem_is_atom(e, "infinity"))
		return "infinity";
	if (e->kind == BD_ELEM_SMALL && e->small >= 0)
		return bd_arena_printf(&g->arena, "%lld", (long long)e->small);
	return NULL;
}

/* --------------------------------------------------- one blocked caller */

/* The one distinct local pid in frame f, or an empty slice (none, or several). */
static struct bd_slice sole_pid(const struct bd_process *p, const struct bd_frame *f)
{
	struct bd_slice found = { NULL, 0 };

	for (size_t k = 0; k < f->n; k++) {
		const struct bd_elem *e = slot_of(p, f, (int)k);
		if (!e || e->kind != BD_ELEM_PID)
			continue;
		if (found.len && !bd_slice_eqs(found, e->text))
			return bd_slice_make("", 0);
		found = e->text;
	}
	return found;
}

/*
 * Read what p waits on into e (from and to set; to may be NONE when the
 * callee is not in this dump). False when p is not blocked in a call.
 */
static bool find_wait(struct dl_graph *g, const struct bd_process *p, struct dl_edge *e)
{
	const struct bd_frame *f0, *api = NULL;
	const struct api_layout *lay = NULL;
	struct bd_slice fn0, target = { NULL, 0 };
	size_t api_i = NONE;
	bool gen, has_ref;

	if (!p->n_frames)
		return false;
	f0 = &p->frames[0];
	fn0 = f0->function;
	memset(e, 0, sizeof(*e));
	e->to = NONE;
	e->via = NONE;
	e->frame = fn0;
	gen = bd_slice_starts(fn0, "gen:do_call/") || bd_slice_starts(fn0, "gen:call/") ||
	      bd_slice_starts(fn0, "gen:wait_resp");
	e->via_clean = bd_slice_starts(fn0, "gen_statem:call_clean/");
	for (size_t i = 0; i < p->n_frames; i++)
		if (bd_slice_starts(p->frames[i].function, "gen_statem:'-call_clean/"))
			e->is_proxy = true;
	if (gen || e->via_clean) {
		e->kind = WAIT_CALL;
		/* the API frame: the first that is not gen's own */
		for (size_t i = gen ? 1 : 0; i < p->n_frames; i++) {
			if (!bd_slice_starts(p->frames[i].function, "gen:")) {
				api_i = i;
				break;
			}
		}
		if (api_i != NONE) {
			api = &p->frames[api_i];
			lay = api_layout(api->function);
			if (!is_stack_bottom(api->function))
				e->frame = api->function;
		}
	} else if (bd_slice_starts(fn0, "'Elixir.Task':await")) {
		e->kind = WAIT_AWAIT;
	} else if (bd_slice_starts(fn0, "erpc:")) {
		e->kind = WAIT_ERPC;
	} else {
		/* a request helper: called from further up, not the process's loop */
		if (p->n_frames < 2 || is_stack_bottom(p->frames[1].function) ||
		    starts_any(fn0, idle_functions, BD_ARRAY_SIZE(idle_functions)) ||
		    bd_slice_starts(fn0, "gen_statem:") || bd_slice_starts(fn0, "gen_event:"))
			return false;
		e->kind = WAIT_RECEIVE;
	}
	/*
	 * The callee: the monitor whose ref the waiting frame holds. A ref
	 * without its monitor means the callee is gone (its 'DOWN' is on the
	 * way), except for a call to oneself, which monitors nothing: then
	 * only the frame's own pid is believed. Without any ref, the frame's
	 * pid, then the ServerRef the call was given.
	 */
	if (monitor_in_frame(p, f0, &target, &has_ref)) {
		e->found_by = "monitor";
	} else if (gen) {
		struct bd_slice pid = sole_pid(p, f0);
		const struct bd_elem *srv = lay ? slot_of(p, api, lay->server) : NULL;
		if (pid.len && (!has_ref || bd_slice_eqs(pid, p->pid))) {
			target = pid;
			e->found_by = "frame";
		} else if (!has_ref && srv && (srv->kind == BD_ELEM_PID || srv->kind == BD_ELEM_ATOM)) {
			target = srv->text;
			e->found_by = "server_ref";
		} else if (!has_ref && bd_is_snapshot(g->d)) {
			/* a snapshot without a backtrace: process_info's monitors carry no refs */
			target = sole_monitor(p);
			e->found_by = "sole_monitor";
		}
	}
	if (!target.len)
		return false;
	e->target = target;
	e->to = resolve_target(g->d, target);
	if (lay) {
		const struct bd_elem *req = slot_of(p, api, lay->request);
		if (req)
			e->request = print_elem(g, p, req);
		e->timeout = timeout_text(g, slot_of(p, api, lay->timeout));
	}
	/* the code that made the call: the first frame past the plumbing */
	for (size_t i = 1; i < p->n_frames; i++) {
		struct bd_slice fn = p->frames[i].function;
		if (is_plumbing(fn))
			continue;
		if (!is_stack_bottom(fn))
			e->called_from = fn;
		break;
	}
	return true;
}

static enum bd_status add_edge(struct dl_graph *g, const struct dl_edge *e, struct bd_error *err)
{
	if (!bd_grow((void **)&g->edges, &g->cap_edges, g->n_edges + 1, sizeof(*g->edges)))
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory listing blocked calls");
	g->edges[g->n_edges++] = *e;
	return BD_OK;
}

/* One pass over the =proc sections; candidates are opened, the rest skipped. */
static enum bd_status scan(struct dl_graph *g, struct bd_error *err)
{
	struct bd_dump *d = g->d;

	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_section s;
		struct bd_process p;
		struct dl_edge e;
		enum bd_status rc = BD_OK;

		g->n_procs++;
		bd_section_get(d, i, &s);
		if (!may_be_caller(&s))
			continue;
		g->n_candidates++;
		rc = bd_process_open_at(&p, d, i, err);
		if (rc)
			return rc;
		if (find_wait(g, &p, &e)) {
			e.from = i;
			rc = add_edge(g, &e, err);
		}
		if (!rc && p.heap.failed)
			rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
				     "out of memory indexing the heap of %.*s", (int)p.pid.len, p.pid.ptr);
		bd_process_close(&p);
		if (rc)
			return rc;
	}
	return BD_OK;
}

/* --------------------------------------------------------------- graph */

static size_t edge_of(const struct dl_graph *g, size_t section)
{
	/* edges are in section order: binary search */
	size_t lo = 0, hi = g->n_edges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->edges[mid].from < section)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->n_edges && g->edges[lo].from == section ? lo : NONE;
}

/* A call made through gen_statem's proxy goes on to where the proxy calls. */
static void fold_proxies(struct dl_graph *g)
{
	for (size_t i = 0; i < g->n_edges; i++) {
		struct dl_edge *e = &g->edges[i];
		size_t k;
		if (!e->via_clean || e->to == NONE || (k = edge_of(g, e->to)) == NONE ||
		    !g->edges[k].is_proxy || g->edges[k].via_clean)
			continue;
		e->via = e->to;
		e->to = g->edges[k].to;
		e->target = g->edges[k].target;
		g->edges[k].dropped = true;
	}
}

static size_t node_slot(const struct dl_graph *g, size_t section)
{
	size_t i = (size_t)(section * 0x9E3779B97F4A7C15ull >> 7) & (g->cap_slots - 1);

	while (g->slots[i] && g->nodes[g->slots[i] - 1].section != section)
		i = (i + 1) & (g->cap_slots - 1);
	return i;
}

static size_t node_add(struct dl_graph *g, size_t section)
{
	size_t i = node_slot(g, section);
	struct dl_node *n;
	struct bd_section s;

	if (g->slots[i])
		return g->slots[i] - 1;
	n = &g->nodes[g->n_nodes];
	memset(n, 0, sizeof(*n));
	n->section = section;
	bd_section_get(g->d, section, &s);
	n->pid = s.id;
	if (!bd_parse_pid(s.id, &n->order))
		memset(&n->order, 0xff, sizeof(n->order));
	n->edge = n->out = n->cycle = n->sink = n->sink_cycle = NONE;
	g->slots[i] = ++g->n_nodes;
	return g->n_nodes - 1;
}

static int node_cmp(const struct dl_node *a, const struct dl_node *b)
{
	int c = bd_pid_cmp(&a->order, &b->order);

	if (c)
		return c;
	return a->section < b->section ? -1 : a->section > b->section;
}

static enum bd_status build_graph(struct dl_graph *g, struct bd_error *err)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_edges; i++)
		if (!g->edges[i].dropped)
			n += 2;
	g->cap_slots = 16;
	while (g->cap_slots < 2 * n + 2)
		g->cap_slots *= 2;
	g->slots = bd_calloc(g->cap_slots, sizeof(*g->slots));
	g->nodes = bd_calloc(n ? n : 1, sizeof(*g->nodes));
	if (!g->slots || !g->nodes)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the graph");
	for (size_t i = 0; i < g->n_edges; i++) {
		struct dl_edge *e = &g->edges[i];
		size_t a;
		if (e->dropped)
			continue;
		a = node_add(g, e->from);
		g->nodes[a].edge = i;
		if (e->to == NONE) {
			g->n_unresolved++;
			continue;
		}
		g->nodes[a].out = node_add(g, e->to);
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i].out != NONE)
			g->nodes[g->nodes[i].out].callers++;
	return BD_OK;
}

/*
 * Out-degree is at most one, so walking edges from any node ends at a
 * node without one (a chain head) or runs into a cycle. mark[] holds the
 * walk that visited a node; a walk that meets its own mark found a cycle.
 */
static enum bd_status find_cycles(struct dl_graph *g, struct bd_error *err)
{
	size_t *mark = bd_calloc(g->n_nodes ? g->n_nodes : 1, sizeof(*mark));
	size_t cap = 0;

	if (!mark)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory finding cycles");
	for (size_t s = 0; s < g->n_nodes; s++) {
		size_t v = s;
		while (v != NONE && !mark[v]) {
			mark[v] = s + 1;
			v = g->nodes[v].out;
		}
		if (v == NONE || mark[v] != s + 1)
			continue;
		/* a new cycle through v */
		if (!bd_grow((void **)&g->cycles, &cap, g->n_cycles + 1, sizeof(*g->cycles))) {
			bd_free(mark);
			return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory finding cycles");
		}
		struct dl_cycle *c = &g->cycles[g->n_cycles];
		size_t u = v;
		c->first = v;
		c->len = 0;
		c->behind = 0;
		do {
			g->nodes[u].cycle = g->n_cycles;
			if (node_cmp(&g->nodes[u], &g->nodes[c->first]) < 0)
				c->first = u;
			c->len++;
			u = g->nodes[u].out;
		} while (u != v);
		g->n_cycles++;
	}
	bd_free(mark);
	return BD_OK;
}

/* Where each node off the cycles ends up, and how far away; iterative. */
static enum bd_status find_sinks(struct dl_graph *g, struct bd_error *err)
{
	size_t *path = bd_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof(*path));
	bool *done = bd_calloc(g->n_nodes ? g->n_nodes : 1, sizeof(*done));

	if (!path || !done) {
		bd_free(path);
		bd_free(done);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory following chains");
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct dl_node *n = &g->nodes[i];
		if (n->cycle != NONE) {
			done[i] = true;
		} else if (n->out == NONE) {
			n->sink = i;
			done[i] = true;
		}
	}
	for (size_t s = 0; s < g->n_nodes; s++) {
		size_t len = 0, v = s, sink, sink_cycle, depth;
		while (!done[v]) {
			path[len++] = v;
			v = g->nodes[v].out;
		}
		if (g->nodes[v].cycle != NONE) {
			sink = NONE;
			sink_cycle = g->nodes[v].cycle;
			depth = 0;
		} else {
			sink = g->nodes[v].sink;
			sink_cycle = g->nodes[v].sink_cycle;
			depth = g->nodes[v].depth;
		}
		while (len) {
			struct dl_node *n = &g->nodes[path[--len]];
			n->sink = sink;
			n->sink_cycle = sink_cycle;
			n->depth = ++depth;
			done[path[len]] = true;
		}
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct dl_node *n = &g->nodes[i];
		if (n->cycle != NONE)
			continue;
		if (n->sink_cycle != NONE)
			g->cycles[n->sink_cycle].behind++;
		else if (n->sink != i)
			g->nodes[n->sink].waiters++;
	}
	bd_free(path);
	bd_free(done);
	return BD_OK;
}

static void graph_release(struct dl_graph *g)
{
	bd_free(g->edges);
	bd_free(g->nodes);
	bd_free(g->slots);
	bd_free(g->cycles);
	bd_arena_release(&g->arena);
}

static enum bd_status graph_build(struct dl_graph *g, struct bd_dump *d,
				  const struct bd_deadlock_opts *opts, struct bd_error *err)
{
	enum bd_status rc;

	memset(g, 0, sizeof(*g));
	bd_arena_init(&g->arena);
	g->d = d;
	g->convoy_min = opts && opts->convoy_min ? opts->convoy_min : DEFAULT_CONVOY_MIN;
	rc = scan(g, err);
	if (!rc) {
		fold_proxies(g);
		rc = build_graph(g, err);
	}
	if (!rc)
		rc = find_cycles(g, err);
	if (!rc)
		rc = find_sinks(g, err);
	return rc;
}

/* -------------------------------------------------------------- report */

/* The registered name, else the label, else empty. */
static struct bd_slice node_name(struct dl_graph *g, struct rm_builder *b, const struct dl_node *n)
{
	struct bd_slice who = bd_proc_who(b, g->d, n->pid, bd_dump_proc_name(g->d, n->pid));

	return who.ptr == n->pid.ptr ? bd_slice_make("", 0) : who;
}

/* "name (<0.1.0>)" or "<0.1.0>", into buf. */
static const char *who(struct dl_graph *g, struct rm_builder *b, const struct dl_node *n, char *buf,
		       size_t cap)
{
	struct bd_slice name = node_name(g, b, n);

	if (name.len)
		snprintf(buf, cap, "%.*s (%.*s)", (int)name.len, name.ptr, (int)n->pid.len, n->pid.ptr);
	else
		snprintf(buf, cap, "%.*s", (int)n->pid.len, n->pid.ptr);
	return buf;
}

static struct bd_slice short_name(struct dl_graph *g, struct rm_builder *b, const struct dl_node *n)
{
	struct bd_slice name = node_name(g, b, n);

	return name.len ? name : n->pid;
}

/* {pid, name, waiting_in, waiting_on, ...} of a node that waits. */
static void waiter_row(struct dl_graph *g, struct rm_builder *b, struct rm_node *arr,
		       const struct dl_node *n)
{
	const struct dl_edge *e = &g->edges[n->edge];
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	struct bd_section s;

	bd_rm_slice(b, o, "pid", n->pid);
	bd_rm_name_label(b, o, g->d, n->pid, bd_dump_proc_name(g->d, n->pid));
	bd_rm_flags(bd_rm_slice(b, o, "waiting_in", e->frame), RM_WIDE);
	if (n->out != NONE)
		bd_rm_slice(b, o, "waiting_on", g->nodes[n->out].pid);
	else
		bd_rm_slice(b, o, "waiting_on", e->target);
	bd_rm_flags(bd_rm_str(b, o, "kind", wait_kind_names[e->kind]), RM_NOTEXT);
	if (e->request)
		bd_rm_flags(bd_rm_str(b, o, "request", e->request), RM_WIDE);
	else
		bd_rm_null(b, o, "request");
	bd_rm_flags(e->timeout ? bd_rm_str(b, o, "timeout", e->timeout) : bd_rm_null(b, o, "timeout"),
		 RM_NOTEXT);
	/* every row has the same keys, so that text tables keep their columns */
	if (e->via != NONE) {
		bd_section_get(g->d, e->via, &s);
		bd_rm_flags(bd_rm_slice(b, o, "via", s.id), RM_NOTEXT);
	} else {
		bd_rm_flags(bd_rm_null(b, o, "via"), RM_NOTEXT);
	}
	bd_rm_flags(bd_rm_slice_or_null(b, o, "called_from", e->called_from), RM_WIDE);
}

/* The head of a chain: a process that is not waiting on a call. */
static void head_obj(struct dl_graph *g, struct rm_builder *b, struct rm_node *parent,
		     const char *key, const struct dl_node *n, struct bd_proc *out)
{
	struct rm_node *o = bd_rm_obj(b, parent, key);
	struct bd_section s;

	bd_section_get(g->d, n->section, &s);
	bd_parse_proc(&s, out);
	bd_rm_slice(b, o, "pid", n->pid);
	bd_rm_name_label(b, o, g->d, n->pid, bd_dump_proc_name(g->d, n->pid));
	bd_rm_slice_or_null(b, o, "state", out->state);
	bd_rm_flags(bd_rm_slice_or_null(b, o, "current_function", bd_proc_current_function(out)), RM_WIDE);
	bd_rm_label(bd_rm_uint(b, o, "message_queue_len", out->message_queue_len), "message queue");
	if (n->edge != NONE) /* blocked itself, on a process that is not in the dump */
		bd_rm_label(bd_rm_slice(b, o, "waiting_on", g->edges[n->edge].target),
			 "waiting on (not in dump)");
}

/* Rows to sort: cycles by their smallest pid, chains and convoys by weight. */
struct rank {
	size_t node;
	size_t key1;  /* larger first */
	size_t key2;  /* larger first */
	struct bd_pid order;
	size_t section;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a;
	const struct rank *y = b;
	int c;

	if (x->key1 != y->key1)
		return x->key1 > y->key1 ? -1 : 1;
	if (x->key2 != y->key2)
		return x->key2 > y->key2 ? -1 : 1;
	c = bd_pid_cmp(&x->order, &y->order);
	if (c)
		return c;
	return x->section < y->section ? -1 : x->section > y->section;
}

static struct rank rank_of(const struct dl_graph *g, size_t node, size_t key1, size_t key2)
{
	struct rank r = { node, key1, key2, g->nodes[node].order, g->nodes[node].section };

	return r;
}

static const char *const cycle_action =
	"break the cycle: a process must not make a synchronous call to a process that may be "
	"calling it; reply later (gen_server:reply/2 from a noreply), use a cast, or move the work "
	"out of the callback";

static const char *const self_call_action =
	"a process cannot answer its own call: call the code directly instead of through the "
	"behaviour, or send the request as a message to handle after the current callback";

static void add_cycles(struct dl_graph *g, struct rm_builder *b, struct rm_node *root,
		       struct bd_findings *findings)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_label(bd_rm_arr(b, root, "cycles"), "Deadlocks (cycles)"),
				       RM_BLOCKS);
	struct rank *order = bd_malloc((g->n_cycles ? g->n_cycles : 1) * sizeof(*order));
	struct bd_buf title = BD_BUF_INIT, ev = BD_BUF_INIT;
	char w[512];

	if (!order) {
		b->oom = true;
		return;
	}
	for (size_t c = 0; c < g->n_cycles; c++) {
		order[c] = rank_of(g, g->cycles[c].first, 0, 0);
		order[c].node = c;
	}
	bd_sort(order, g->n_cycles, sizeof(*order), rank_cmp);
	for (size_t c = 0; c < g->n_cycles && !b->oom; c++) {
		const struct dl_cycle *cy = &g->cycles[order[c].node];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		struct rm_node *procs;
		struct bd_finding *f;
		size_t u = cy->first;
		bool finite = false;

		bd_rm_label(bd_rm_uint(b, o, "size", cy->len), "processes");
		bd_rm_label(bd_rm_uint(b, o, "blocked_behind", cy->behind), "others blocked behind it");
		procs = bd_rm_arr(b, o, "processes");
		bd_buf_reset(&title);
		bd_buf_reset(&ev);
		if (cy->len == 1) {
			struct bd_slice nm = short_name(g, b, &g->nodes[u]);
			bd_buf_printf(&title, "deadlock: %.*s calls itself", (int)nm.len, nm.ptr);
		} else {
			bd_buf_printf(&title, "deadlock: %zu processes wait on each other: ", cy->len);
		}
		do {
			const struct dl_node *n = &g->nodes[u];
			const struct dl_edge *e = &g->edges[n->edge];
			struct bd_slice nm = short_name(g, b, n);
			waiter_row(g, b, procs, n);
			if (cy->len > 1)
				bd_buf_printf(&title, "%.*s -> ", (int)nm.len, nm.ptr);
			if (ev.len)
				bd_buf_addstr(&ev, "; ");
			bd_buf_printf(&ev, "%s waits in %.*s", who(g, b, n, w, sizeof(w)),
				      (int)e->frame.len, e->frame.ptr);
			if (e->called_from.len)
				bd_buf_printf(&ev, " (called from %.*s)", (int)e->called_from.len,
					      e->called_from.ptr);
			if (e->request)
				bd_buf_printf(&ev, " with request %s", e->request);
			bd_buf_printf(&ev, " on %s", who(g, b, &g->nodes[n->out], w, sizeof(w)));
			if (e->via != NONE)
				bd_buf_addstr(&ev, " through gen_statem's call proxy");
			if (e->timeout && strcmp(e->timeout, "infinity") != 0) {
				bd_buf_printf(&ev, " (timeout %s ms)", e->timeout);
				finite = true;
			}
			u = n->out;
		} while (u != cy->first);
		if (cy->len > 1) {
			struct bd_slice nm = short_name(g, b, &g->nodes[cy->first]);
			bd_buf_add(&title, nm.ptr, nm.len);
		}
		if (cy->behind)
			bd_buf_printf(&ev, "; %zu other process%s blocked behind the cycle", cy->behind,
				      cy->behind == 1 ? " is" : "es are");
		if (finite)
			bd_buf_addstr(&ev, "; a finite timeout will end the wait with an exit, "
				      "not resolve it");
		if (title.oom || ev.oom) {
			b->oom = true;
			break;
		}
		f = bd_finding_add(findings, "deadlock", BD_SEV_CRITICAL, title.ptr, ev.ptr,
				   cy->len == 1 ? self_call_action : cycle_action);
		u = cy->first;
		do {
			bd_finding_pid(findings, f, g->nodes[u].pid);
			u = g->nodes[u].out;
		} while (u != cy->first);
	}
	bd_buf_release(&title);
	bd_buf_release(&ev);
	bd_free(order);
}

static bool is_convoy(const struct dl_graph *g, const struct dl_node *n)
{
	return n->callers >= g->convoy_min;
}

/* A chain head: not waiting on a call (or on one out of this dump), not in a cycle. */
static bool is_head(const struct dl_graph *g, size_t i)
{
	const struct dl_node *n = &g->nodes[i];

	return n->cycle == NONE && n->sink == i && n->waiters > 0;
}

/* Where a head waits on a port (a socket, a file, an external program). */
static const char *const port_wait_functions[] = {
	"prim_inet:", "gen_tcp:", "gen_udp:", "gen_sctp:", "erlang:port_", "os:cmd",
};

/*
 * Why a chain is worth acting on, or NULL when it is work in flight (a
 * call to a process that is running, or busy in a receive of its own):
 * its head is stuck, it holds several waiters, or a call in it never
 * times out. The process that wrote the dump (the one that halted the
 * node) never is: its callers only wait for the node to stop.
 */
static const char *chain_concern(const struct dl_graph *g, size_t head, size_t from,
				 const struct bd_proc *hp, struct bd_slice writer)
{
	const struct dl_node *h = &g->nodes[head];
	struct bd_slice cur = bd_proc_current_function(hp);

	if (writer.len && bd_slice_eqs(h->pid, writer))
		return NULL;
	if (bd_slice_eq(hp->state, "Suspended"))
		return "it is suspended";
	if (bd_slice_starts(cur, "erlang:hibernate"))
		return "it is hibernated";
	if (bd_slice_eq(cur, "timer:sleep/1") || bd_slice_eq(cur, "'Elixir.Process':sleep/1"))
		return "it sleeps";
	if (h->edge != NONE)
		return "it is blocked itself";
	if (bd_slice_eq(hp->state, "Waiting")) {
		if (starts_any(cur, port_wait_functions, BD_ARRAY_SIZE(port_wait_functions)))
			return "it waits on a port";
		if (hp->message_queue_len != BD_UNSET && hp->message_queue_len > 0)
			return "its receive matches none of its queued messages";
	}
	if (h->waiters > 1)
		return "several processes wait on it";
	for (size_t u = from; u != head; u = g->nodes[u].out) {
		const struct dl_edge *e = &g->edges[g->nodes[u].edge];
		if (e->timeout && strcmp(e->timeout, "infinity") == 0)
			return "a call in the chain has no timeout";
	}
	return NULL;
}

static void add_chains(struct dl_graph *g, struct rm_builder *b, struct rm_node *root,
		       struct bd_findings *findings)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_label(bd_rm_arr(b, root, "chains"),
						"Chains (not deadlocks)"), RM_BLOCKS);
	size_t cap = g->n_nodes ? g->n_nodes : 1;
	size_t *deepest = bd_malloc(cap * sizeof(*deepest));
	struct rank *heads = bd_malloc(cap * sizeof(*heads));
	size_t n_heads = 0;
	struct bd_buf title = BD_BUF_INIT, ev = BD_BUF_INIT;
	struct bd_slice writer = bd_dump_writer_process(g->d);
	char w[512];

	if (!deepest || !heads) {
		b->oom = true;
		goto out;
	}
	/* the start of the longest path to each head (ties: the smallest pid) */
	for (size_t i = 0; i < g->n_nodes; i++)
		deepest[i] = NONE;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct dl_node *n = &g->nodes[i];
		size_t *dp;
		if (n->cycle != NONE || n->sink == NONE || n->sink == i)
			continue;
		dp = &deepest[n->sink];
		if (*dp == NONE || n->depth > g->nodes[*dp].depth ||
		    (n->depth == g->nodes[*dp].depth && node_cmp(n, &g->nodes[*dp]) < 0))
			*dp = i;
	}
	/* longest first, then most waiters, then by pid */
	for (size_t i = 0; i < g->n_nodes; i++)
		if (is_head(g, i))
			heads[n_heads++] = rank_of(g, i, g->nodes[deepest[i]].depth, g->nodes[i].waiters);
	bd_sort(heads, n_heads, sizeof(*heads), rank_cmp);
	for (size_t i = 0; i < n_heads && !b->oom; i++) {
		size_t hi = heads[i].node;
		const struct dl_node *h = &g->nodes[hi];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		struct rm_node *procs;
		struct bd_finding *f;
		struct bd_proc hp;
		struct bd_slice cur, hn = short_name(g, b, h);
		const char *concern;
		size_t u;

		bd_buf_reset(&title);
		bd_buf_reset(&ev);
		bd_rm_label(bd_rm_uint(b, o, "length", g->nodes[deepest[hi]].depth), "edges");
		bd_rm_label(bd_rm_uint(b, o, "waiters", h->waiters), "processes waiting on the head");
		head_obj(g, b, o, "head", h, &hp);
		procs = bd_rm_arr(b, o, "processes");
		for (u = deepest[hi]; u != hi; u = g->nodes[u].out) {
			struct bd_slice nm = short_name(g, b, &g->nodes[u]);
			waiter_row(g, b, procs, &g->nodes[u]);
			bd_buf_printf(&title, "%.*s -> ", (int)nm.len, nm.ptr);
		}
		cur = bd_proc_current_function(&hp);
		bd_buf_printf(&title, "%.*s: %zu process%s blocked on %.*s, which is not waiting on a call",
			      (int)hn.len, hn.ptr, h->waiters, h->waiters == 1 ? "" : "es",
			      (int)hn.len, hn.ptr);
		bd_buf_printf(&ev, "%s is %.*s in %.*s with %llu message%s queued",
			      who(g, b, h, w, sizeof(w)), (int)hp.state.len, hp.state.ptr,
			      (int)(cur.len ? cur.len : 1), cur.len ? cur.ptr : "?",
			      (unsigned long long)hp.message_queue_len,
			      hp.message_queue_len == 1 ? "" : "s");
		if (h->edge != NONE)
			bd_buf_printf(&ev, "; it waits on %.*s, which is not in this dump",
				      (int)g->edges[h->edge].target.len, g->edges[h->edge].target.ptr);
		/* a convoy's target is reported, with more weight, as the convoy */
		if (is_convoy(g, h))
			continue;
		concern = chain_concern(g, hi, deepest[hi], &hp, writer);
		if (!concern)
			continue; /* work in flight: listed, not a finding */
		bd_buf_printf(&ev, "; %s", concern);
		if (title.oom || ev.oom) {
			b->oom = true;
			break;
		}
		f = bd_finding_add(findings, "blocked_chain", BD_SEV_WARNING, title.ptr, ev.ptr,
				   "not a deadlock: the head is the likely culprit; see what it is doing "
				   "(beamdump proc) and why it does not answer: a long or stuck callback, "
				   "a sleep, a full mailbox, or a call to another node");
		for (u = deepest[hi];; u = g->nodes[u].out) {
			bd_finding_pid(findings, f, g->nodes[u].pid);
			if (u == hi)
				break;
		}
	}
out:
	bd_buf_release(&title);
	bd_buf_release(&ev);
	bd_free(heads);
	bd_free(deepest);
}

static void add_convoys(struct dl_graph *g, struct rm_builder *b, struct rm_node *root,
			struct bd_findings *findings)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_label(bd_rm_arr(b, root, "convoys"),
						"Convoys: many callers blocked on one process"),
				       RM_BLOCKS);
	struct rank *t = bd_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof(*t));
	size_t n = 0;
	char title[768], ev[1024], w[512];

	if (!t) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		if (is_convoy(g, &g->nodes[i]))
			t[n++] = rank_of(g, i, g->nodes[i].callers, 0);
	bd_sort(t, n, sizeof(*t), rank_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct dl_node *tn = &g->nodes[t[i].node];
		struct rm_node *o = bd_rm_obj(b, arr, NULL);
		struct bd_proc tp;
		struct bd_slice cur;
		struct bd_finding *f;

		bd_rm_label(bd_rm_uint(b, o, "waiters", tn->callers), "blocked callers");
		bd_rm_label(bd_rm_bool(b, o, "in_cycle", tn->cycle != NONE), "deadlocked itself");
		head_obj(g, b, o, "target", tn, &tp);
		cur = bd_proc_current_function(&tp);
		snprintf(title, sizeof(title), "%zu processes are blocked calling %s", tn->callers,
			 who(g, b, tn, w, sizeof(w)));
		snprintf(ev, sizeof(ev), "%s is %.*s in %.*s with %llu message%s queued%s",
			 who(g, b, tn, w, sizeof(w)), (int)tp.state.len, tp.state.ptr,
			 (int)(cur.len ? cur.len : 1), cur.len ? cur.ptr : "?",
			 (unsigned long long)tp.message_queue_len,
			 tp.message_queue_len == 1 ? "" : "s",
			 tn->cycle != NONE ? "; it is itself deadlocked" : "");
		f = bd_finding_add(findings, "call_convoy", BD_SEV_HIGH, title, ev,
				   "a bottleneck, not a deadlock: the target serves calls one at a time; "
				   "find what makes each call slow (its current function), make the "
				   "work asynchronous, or spread it over several processes");
		bd_finding_pid(findings, f, tn->pid);
	}
	bd_free(t);
}

static int node_ptr_cmp(const void *a, const void *b)
{
	return node_cmp(*(const struct dl_node *const *)a, *(const struct dl_node *const *)b);
}

/* Every edge, by its caller's pid. */
static void add_edges(struct dl_graph *g, struct rm_builder *b, struct rm_node *root)
{
	struct rm_node *arr = bd_rm_flags(bd_rm_arr(b, root, "edges"), RM_NOTEXT);
	const struct dl_node **by_pid = bd_calloc(g->n_nodes + 1, sizeof(*by_pid));
	size_t n_callers = 0;

	if (!by_pid) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i].edge != NONE)
			by_pid[n_callers++] = &g->nodes[i];
	bd_sort(by_pid, n_callers, sizeof(*by_pid), node_ptr_cmp);
	for (size_t i = 0; i < n_callers; i++) {
		const struct dl_node *n = by_pid[i];
		const struct dl_edge *e = &g->edges[n->edge];
		struct rm_node *o;
		o = bd_rm_obj(b, arr, NULL);
		bd_rm_slice(b, o, "from", n->pid);
		if (n->out != NONE)
			bd_rm_slice(b, o, "to", g->nodes[n->out].pid);
		else
			bd_rm_null(b, o, "to");
		bd_rm_slice(b, o, "target", e->target);
		bd_rm_slice(b, o, "frame", e->frame);
		if (e->request)
			bd_rm_str(b, o, "request", e->request);
		else
			bd_rm_null(b, o, "request");
		bd_rm_str(b, o, "kind", wait_kind_names[e->kind]);
		bd_rm_str(b, o, "found_by", e->found_by ? e->found_by : "");
		if (e->via != NONE) {
			struct bd_section s;
			bd_section_get(g->d, e->via, &s);
			bd_rm_slice(b, o, "via", s.id);
		} else {
			bd_rm_null(b, o, "via");
		}
	}
	bd_free(by_pid);
}

/* ------------------------------------------------------ the drawn graph */

/* Node labels are cut at 1023 bytes, edge labels at 511. */
#define NODE_LABEL_MAX 1024
#define EDGE_LABEL_MAX 512

/* A label of at most cap - 1 bytes, in a. */
static struct bd_slice graph_label(struct bd_arena *a, bool *oom, size_t cap,
				   const char *fmt, ...) BD_PRINTF(4, 5);

static struct bd_slice graph_label(struct bd_arena *a, bool *oom, size_t cap,
				   const char *fmt, ...)
{
	char buf[NODE_LABEL_MAX];
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if (cap > sizeof(buf))
		cap = sizeof(buf);
	if ((size_t)len >= cap)
		len = (int)cap - 1;
	p = bd_arena_strndup(a, buf, (size_t)len);
	if (!p)
		*oom = true;
	return bd_slice_make(p ? p : "", p ? (size_t)len : 0);
}

/*
 * The wait-for graph, typed for the DOT renderer: every process in it named,
 * the ends of chains bold, cycles red; an edge says the call and, for a
 * call made through a helper, the helper.
 */
static void keep_graph(struct dl_graph *g, struct bd_report *r)
{
	struct rm_builder *b = &r->b;
	struct bd_graph *kept = bd_arena_calloc(&r->arena, 1, sizeof(*kept));
	struct bd_graph_node *nodes = bd_arena_calloc(&r->arena, g->n_nodes + 1, sizeof(*nodes));
	struct bd_graph_edge *edges = bd_arena_calloc(&r->arena, g->n_nodes + 1, sizeof(*edges));
	size_t n_edges = 0;

	if (!kept || !nodes || !edges) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct dl_node *n = &g->nodes[i];
		struct bd_slice name = node_name(g, b, n);
		nodes[i].id = n->pid;
		if (name.len)
			nodes[i].label = graph_label(&r->arena, &b->oom, NODE_LABEL_MAX, "%.*s\n%.*s",
						     (int)name.len, name.ptr, (int)n->pid.len,
						     n->pid.ptr);
		else
			nodes[i].label = graph_label(&r->arena, &b->oom, NODE_LABEL_MAX, "%.*s",
						     (int)n->pid.len, n->pid.ptr);
		nodes[i].mark = n->cycle != NONE ? BD_MARK_CYCLE
			      : n->edge == NONE || n->out == NONE ? BD_MARK_END : BD_MARK_PLAIN;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct dl_node *n = &g->nodes[i];
		const struct dl_edge *e;
		struct bd_graph_edge *ge;
		if (n->out == NONE)
			continue;
		e = &g->edges[n->edge];
		ge = &edges[n_edges++];
		ge->from = i;
		ge->to = n->out;
		if (e->via != NONE) {
			struct bd_section s;
			bd_section_get(g->d, e->via, &s);
			ge->label = graph_label(&r->arena, &b->oom, EDGE_LABEL_MAX, "%.*s\nvia %.*s",
						(int)e->frame.len, e->frame.ptr, (int)s.id.len,
						s.id.ptr);
		} else {
			ge->label = e->frame;
		}
		ge->cycle = n->cycle != NONE && g->nodes[n->out].cycle == n->cycle;
	}
	*kept = (struct bd_graph){ "deadlocks", nodes, g->n_nodes, edges, n_edges };
	r->graph = kept;
}

enum bd_status bd_report_deadlocks(struct bd_dump *d, const struct bd_deadlock_opts *opts,
				   struct bd_report **out, struct bd_error *err)
{
	struct dl_graph g;
	struct bd_report *r;
	struct rm_builder *b;
	struct rm_node *totals, *findings;
	struct bd_findings found;
	size_t n_chains = 0, n_convoys = 0, n_calls = 0;
	enum bd_status rc;

	*out = NULL;
	rc = graph_build(&g, d, opts, err);
	if (rc) {
		graph_release(&g);
		return rc;
	}
	r = bd_report_new("beamdump deadlocks", d);
	if (!r) {
		graph_release(&g);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate the report");
	}
	b = &r->b;
	for (size_t i = 0; i < g.n_nodes; i++) {
		if (g.nodes[i].out != NONE)
			n_calls++;
		if (is_head(&g, i))
			n_chains++;
		if (is_convoy(&g, &g.nodes[i]))
			n_convoys++;
	}
	totals = bd_rm_label(bd_rm_obj(b, r->root, "totals"), "Blocked calls");
	bd_rm_label(bd_rm_uint(b, totals, "processes", g.n_procs), "processes in the dump");
	bd_rm_label(bd_rm_uint(b, totals, "candidates", g.n_candidates), "waiting processes examined");
	bd_rm_label(bd_rm_uint(b, totals, "blocked_calls", n_calls), "blocked calls (edges)");
	bd_rm_label(bd_rm_uint(b, totals, "unresolved_calls", g.n_unresolved),
		 "on processes not in the dump");
	bd_rm_label(bd_rm_uint(b, totals, "cycles", g.n_cycles), "deadlocks");
	bd_rm_uint(b, totals, "chains", n_chains);
	bd_rm_uint(b, totals, "convoys", n_convoys);
	bd_rm_label(bd_rm_uint(b, totals, "convoy_min", g.convoy_min), "convoy threshold");
	findings = bd_rm_flags(bd_rm_arr(b, r->root, "findings"), RM_BLOCKS);
	bd_findings_init(&found, &r->arena);
	add_cycles(&g, b, r->root, &found);
	add_chains(&g, b, r->root, &found);
	add_convoys(&g, b, r->root, &found);
	add_edges(&g, b, r->root);
	if (opts && opts->graph)
		keep_graph(&g, r);
	graph_release(&g);
	if (bd_report_findings(r, findings, &found) || b->oom) {
		bd_report_free(r);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	}
	*out = r;
	return BD_OK;
}

enum bd_status bd_deadlocks_dot(struct bd_dump *d, const struct bd_deadlock_opts *opts, FILE *out,
				struct bd_error *err)
{
	struct bd_deadlock_opts o = { 0, true };
	struct bd_report *r;
	enum bd_status rc;

	if (opts)
		o.convoy_min = opts->convoy_min;
	rc = bd_report_deadlocks(d, &o, &r, err);
	if (!rc)
		rc = bd_report_render(r, BD_FORMAT_DOT, 0, out, err);
	bd_report_free(r);
	return rc;
}
