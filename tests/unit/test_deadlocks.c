/*
 * deadlocks: the wait-for graph checked against what the fixture nodes
 * recorded before they halted (NAME.live: every `calls A B pidA pidB`
 * edge, every `deadlock_cycle`), against real dumps of many releases, and
 * against small hand-written dumps that are wrong in the ways real ones
 * can be (missing callee, stale ref, cut stack).
 */
#include "bd_test.h"

#include <dirent.h>

#include "parse/parse.h"
#include "report/model.h"

/* ------------------------------------------------------------ .live */

#define MAX_FACTS 4096

struct live {
	char *lines[MAX_FACTS];
	size_t n;
};

static void live_read(struct live *l, const char *name)
{
	char path[1024], buf[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", BD_FIXTURES, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	l->n = 0;
	while (fgets(buf, sizeof(buf), f) && l->n < MAX_FACTS) {
		buf[strcspn(buf, "\n")] = '\0';
		l->lines[l->n++] = strdup(buf);
	}
	fclose(f);
}

static void live_free(struct live *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->lines[i]);
	l->n = 0;
}

/* "dl_a", "DL.Left" (for 'Elixir.DL.Left') or "erpc_executor" -> its pid, from pid and calls facts. */
static const char *live_pid(const struct live *l, const char *name)
{
	static char pid[64];
	char a[256], b[256], pa[64], pb[64], n[256];

	for (size_t i = 0; i < l->n; i++) {
		if (sscanf(l->lines[i], "calls %255s %255s %63s %63s", a, b, pa, pb) == 4) {
			if (strcmp(a, name) == 0) {
				snprintf(pid, sizeof(pid), "%s", pa);
				return pid;
			}
			if (strcmp(b, name) == 0) {
				snprintf(pid, sizeof(pid), "%s", pb);
				return pid;
			}
		}
		if (sscanf(l->lines[i], "pid %255s %63s", n, pa) == 2) {
			const char *bare = n;
			size_t len = strlen(n);
			if (len >= 2 && n[0] == '\'' && n[len - 1] == '\'') {
				n[len - 1] = '\0';
				bare = n + 1;
			}
			if (strncmp(bare, "Elixir.", 7) == 0 && strcmp(bare + 7, name) == 0)
				bare += 7;
			if (strcmp(bare, name) == 0) {
				snprintf(pid, sizeof(pid), "%s", pa);
				return pid;
			}
		}
	}
	fail_msg("no pid for %s in the .live file", name);
	return NULL;
}

/* ------------------------------------------------------ report model */

static const struct rm_node *field(const struct rm_node *o, const char *key)
{
	return bd_test_field(o, key);
}

static const struct rm_node *must(const struct rm_node *o, const char *key)
{
	const struct rm_node *n = field(o, key);

	if (!n)
		fail_msg("no field %s", key);
	return n;
}

/* The string value of o.key, or NULL when null or absent. */
static const char *str(const struct rm_node *o, const char *key)
{
	return bd_test_str(o, key);
}

static uint64_t uint_of(const struct rm_node *o, const char *key)
{
	const struct rm_node *n = must(o, key);

	assert_int_equal(n->kind, RM_UINT);
	return n->v.u;
}

static size_t count(const struct rm_node *arr)
{
	assert_non_null(arr);
	assert_int_equal(arr->kind, RM_ARR);
	return arr->n_children;
}

static struct bd_report *report(struct bd_dump *d, size_t convoy_min)
{
	struct bd_deadlock_opts o = { convoy_min, false };
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };

	if (bd_report_deadlocks(d, &o, &r, &err) != BD_OK)
		fail_msg("report failed: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* Is from -> to an edge of the report? */
static bool has_edge(const struct bd_report *r, const char *from, const char *to)
{
	for (const struct rm_node *e = must(r->root, "edges")->first; e; e = e->next) {
		const char *f = str(e, "from");
		const char *t = str(e, "to");
		if (f && t && strcmp(f, from) == 0 && strcmp(t, to) == 0)
			return true;
	}
	return false;
}

static const struct rm_node *edge_from(const struct bd_report *r, const char *from)
{
	for (const struct rm_node *e = must(r->root, "edges")->first; e; e = e->next) {
		const char *f = str(e, "from");
		if (f && strcmp(f, from) == 0)
			return e;
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "pid pid ..." sorted, of the processes array of o. */
static void pid_set(const struct rm_node *procs, char *out, size_t cap)
{
	char *pids[64];
	size_t n = 0;

	for (const struct rm_node *p = procs->first; p && n < 64; p = p->next)
		pids[n++] = strdup(str(p, "pid"));
	qsort(pids, n, sizeof(pids[0]), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, pids[i], cap - strlen(out) - 1);
		free(pids[i]);
	}
}

/* The same for a `deadlock_cycle name name ...` fact. */
static void live_cycle_set(const struct live *l, const char *names, char *out, size_t cap)
{
	char copy[512], *pids[64], *save = NULL;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", names);
	for (char *t = strtok_r(copy, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
		pids[n++] = strdup(live_pid(l, t));
	qsort(pids, n, sizeof(pids[0]), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, pids[i], cap - strlen(out) - 1);
		free(pids[i]);
	}
}

/* The report's cycles are exactly the .live's deadlock_cycle facts. */
static void assert_cycles(const struct bd_report *r, const struct live *l)
{
	const struct rm_node *cycles = must(r->root, "cycles");
	size_t want = 0;

	for (size_t i = 0; i < l->n; i++) {
		char expect[1024], got[1024];
		bool found = false;
		if (strncmp(l->lines[i], "deadlock_cycle ", 15) != 0)
			continue;
		want++;
		live_cycle_set(l, l->lines[i] + 15, expect, sizeof(expect));
		for (const struct rm_node *c = cycles->first; c; c = c->next) {
			pid_set(must(c, "processes"), got, sizeof(got));
			if (strcmp(got, expect) == 0)
				found = true;
		}
		if (!found)
			fail_msg("cycle %s (%s) not reported", l->lines[i] + 15, expect);
	}
	assert_int_equal(count(cycles), want);
	assert_int_equal(uint_of(must(r->root, "totals"), "cycles"), want);
}

/* Every `calls A B pidA pidB` fact is an edge (except those listed in skip). */
static size_t assert_live_edges(const struct bd_report *r, const struct live *l, const char *skip)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		char a[256], b[256], pa[64], pb[64];
		if (sscanf(l->lines[i], "calls %255s %255s %63s %63s", a, b, pa, pb) != 4)
			continue;
		if (skip && strcmp(a, skip) == 0)
			continue;
		if (!has_edge(r, pa, pb))
			fail_msg("edge %s -> %s (%s -> %s) missing", a, b, pa, pb);
		n++;
	}
	return n;
}

/* Is pid a member of a reported cycle? */
static bool in_any_cycle(const struct bd_report *r, const char *pid)
{
	for (const struct rm_node *c = must(r->root, "cycles")->first; c; c = c->next)
		for (const struct rm_node *p = must(c, "processes")->first; p; p = p->next)
			if (strcmp(str(p, "pid"), pid) == 0)
				return true;
	return false;
}

static size_t findings_of_kind(const struct bd_report *r, const char *kind, const char *severity)
{
	size_t n = 0;

	for (const struct rm_node *f = must(r->root, "findings")->first; f; f = f->next) {
		if (strcmp(str(f, "kind"), kind) != 0)
			continue;
		assert_string_equal(str(f, "severity"), severity);
		n++;
	}
	return n;
}

static bool finding_has_pid(const struct bd_report *r, const char *kind, const char *pid)
{
	for (const struct rm_node *f = must(r->root, "findings")->first; f; f = f->next) {
		if (strcmp(str(f, "kind"), kind) != 0)
			continue;
		for (const struct rm_node *p = must(f, "pids")->first; p; p = p->next)
			if ((size_t)p->v.s.len == strlen(pid) && memcmp(p->v.s.ptr, pid, p->v.s.len) == 0)
				return true;
	}
	return false;
}

static const struct rm_node *chain_with_head(const struct bd_report *r, const char *pid)
{
	for (const struct rm_node *c = must(r->root, "chains")->first; c; c = c->next)
		if (strcmp(str(must(c, "head"), "pid"), pid) == 0)
			return c;
	return NULL;
}

/*
 * Every format renders, and DOT too; a report asked without its graph
 * refuses DOT as a usage error, and a format that does not exist too.
 */
static void render_all(struct bd_dump *d, const struct bd_report *r)
{
	enum bd_format fmts[] = { BD_FORMAT_TEXT, BD_FORMAT_JSON, BD_FORMAT_MARKDOWN };
	char *dot = NULL;
	size_t len = 0;
	FILE *f;
	struct bd_error err = { 0 };

	for (size_t i = 0; i < BD_ARRAY_SIZE(fmts); i++)
		free(bd_test_render(r, fmts[i]));
	f = open_memstream(&dot, &len);
	assert_non_null(f);
	assert_int_equal(bd_report_render(r, BD_FORMAT_DOT, 0, f, &err), BD_EUSAGE);
	assert_int_equal(bd_report_render(r, (enum bd_format)99, 0, f, &err), BD_EUSAGE);
	fclose(f);
	assert_int_equal(len, 0);
	free(dot);
	dot = NULL;
	f = open_memstream(&dot, &len);
	assert_non_null(f);
	assert_int_equal(bd_deadlocks_dot(d, NULL, f, &err), BD_OK);
	fclose(f);
	assert_non_null(strstr(dot, "digraph deadlocks {"));
	assert_non_null(strstr(dot, "}\n"));
	free(dot);
}

/* --------------------------------------------------------- fixtures */

static void deadlock_fixture_cycles_chain_convoy(void **state)
{
	struct live l;
	struct bd_dump *d = bd_test_open_fixture("deadlock.dump.gz");
	struct bd_report *r = report(d, 0);
	const struct rm_node *chain, *convoys, *conv, *procs;
	char *convoy_srv, *ch_c;
	size_t n_calls = 0, n_clients = 0;
	char want_mq[128];

	(void)state;
	live_read(&l, "deadlock.live");
	assert_cycles(r, &l);

	/* every edge of the .live, the 50 clients' calls, and nothing else */
	n_calls = assert_live_edges(r, &l, NULL);
	assert_int_equal(n_calls, 9);
	convoy_srv = strdup(live_pid(&l, "convoy_srv"));
	for (size_t i = 0; i < l.n; i++) {
		char pid[64];
		if (strncmp(l.lines[i], "convoy_client <", 15) != 0 ||
		    sscanf(l.lines[i], "convoy_client %63s", pid) != 1)
			continue;
		assert_true(has_edge(r, pid, convoy_srv));
		n_clients++;
	}
	assert_int_equal(n_clients, 50);
	assert_int_equal(count(must(r->root, "edges")), n_calls + n_clients);
	assert_int_equal(uint_of(must(r->root, "totals"), "blocked_calls"), n_calls + n_clients);

	/* the chain ch_a -> ch_b -> ch_c: head ch_c, not a deadlock */
	ch_c = strdup(live_pid(&l, "ch_c"));
	chain = chain_with_head(r, ch_c);
	assert_non_null(chain);
	procs = must(chain, "processes");
	assert_int_equal(count(procs), 2);
	assert_string_equal(str(procs->first, "pid"), live_pid(&l, "ch_a"));
	assert_string_equal(str(procs->first, "waiting_on"), live_pid(&l, "ch_b"));
	assert_string_equal(str(procs->first->next, "pid"), live_pid(&l, "ch_b"));
	assert_string_equal(str(procs->first->next, "waiting_on"), ch_c);
	assert_string_equal(str(procs->first, "waiting_in"), "gen_server:call/3");
	assert_string_equal(str(procs->first, "request"), "{call_on,ch_c,sleep_forever}");
	assert_string_equal(str(procs->first->next, "request"), "sleep_forever");
	assert_string_equal(str(must(chain, "head"), "name"), "ch_c");
	assert_string_equal(str(must(chain, "head"), "state"), "Waiting");
	assert_string_equal(str(must(chain, "head"), "current_function"), "timer:sleep/1");
	assert_int_equal(uint_of(chain, "length"), 2);
	for (const char *const *n = (const char *const[]){ "ch_a", "ch_b", "ch_c", NULL }; *n; n++)
		assert_false(in_any_cycle(r, live_pid(&l, *n)));
	assert_false(in_any_cycle(r, convoy_srv));
	assert_true(finding_has_pid(r, "blocked_chain", ch_c));
	assert_false(finding_has_pid(r, "deadlock", ch_c));

	/*
	 * The convoy: all 50 clients are blocked in gen:do_call on convoy_srv,
	 * 49 of them queued in its mailbox and one being served (convoy_srv
	 * sleeps inside that client's handle_call). Waiters counts all 50.
	 */
	convoys = must(r->root, "convoys");
	assert_int_equal(count(convoys), 1);
	conv = convoys->first;
	assert_string_equal(str(must(conv, "target"), "pid"), convoy_srv);
	assert_string_equal(str(must(conv, "target"), "name"), "convoy_srv");
	assert_int_equal(uint_of(conv, "waiters"), 50);
	snprintf(want_mq, sizeof(want_mq), "message_queue_len %s 49", convoy_srv);
	bool mq_fact = false;
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.lines[i], want_mq) == 0)
			mq_fact = true;
	assert_true(mq_fact);
	assert_int_equal(uint_of(must(conv, "target"), "message_queue_len"), 49);
	assert_int_equal(findings_of_kind(r, "call_convoy", "high"), 1);
	assert_true(finding_has_pid(r, "call_convoy", convoy_srv));
	assert_false(finding_has_pid(r, "deadlock", convoy_srv));
	/* the convoy's target heads a chain too, but is reported once, as the convoy */
	assert_non_null(chain_with_head(r, convoy_srv));
	assert_int_equal(uint_of(chain_with_head(r, convoy_srv), "waiters"), 50);
	assert_false(finding_has_pid(r, "blocked_chain", convoy_srv));
	assert_int_equal(findings_of_kind(r, "deadlock", "critical"), 3);
	assert_int_equal(findings_of_kind(r, "blocked_chain", "warning"), 1);

	/* the mixed cycle names its frames: gen_statem:call_dirty/4 and gen_server:call/3 */
	const struct rm_node *srv_y = edge_from(r, live_pid(&l, "srv_y"));
	const struct rm_node *sm_x = edge_from(r, live_pid(&l, "sm_x"));
	assert_string_equal(str(srv_y, "frame"), "gen_statem:call_dirty/4");
	assert_string_equal(str(sm_x, "frame"), "gen_server:call/3");
	assert_string_equal(str(sm_x, "request"), "ping");

	render_all(d, r);
	bd_report_free(r);
	free(convoy_srv);
	free(ch_c);
	live_free(&l);
	bd_dump_free(d);
}

static void deadlock_fixture_convoy_threshold(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("deadlock.dump.gz");
	struct bd_report *r;

	(void)state;
	r = report(d, 50);
	assert_int_equal(count(must(r->root, "convoys")), 1);
	assert_int_equal(uint_of(must(r->root, "totals"), "convoy_min"), 50);
	bd_report_free(r);
	r = report(d, 51);
	assert_int_equal(count(must(r->root, "convoys")), 0);
	assert_int_equal(findings_of_kind(r, "call_convoy", "high"), 0);
	/* without the convoy, its target's chain becomes a finding */
	assert_int_equal(findings_of_kind(r, "blocked_chain", "warning"), 2);
	assert_int_equal(uint_of(must(r->root, "totals"), "cycles"), 3);
	bd_report_free(r);
	bd_dump_free(d);
}

static void deadlock_fixture_dot(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("deadlock.dump.gz");
	struct bd_error err = { 0 };
	char *dot = NULL;
	size_t len = 0, red_edges = 0;
	FILE *f = open_memstream(&dot, &len);

	(void)state;
	assert_int_equal(bd_deadlocks_dot(d, NULL, f, &err), BD_OK);
	fclose(f);
	assert_non_null(strstr(dot, "\"<0.79.0>\" [label=\"dl_a\\n<0.79.0>\", color=red"));
	assert_non_null(strstr(dot, "\"<0.79.0>\" -> \"<0.80.0>\" [label=\"gen_server:call/3\", color=red"));
	assert_non_null(strstr(dot, "\"<0.85.0>\" -> \"<0.86.0>\" [label=\"gen_server:call/3\"];"));
	for (char *line = dot, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (strstr(line, " -> ") && strstr(line, "color=red"))
			red_edges++;
	}
	/* 2 + 3 + 2 cycle edges */
	assert_int_equal(red_edges, 7);
	free(dot);
	/* the report asked with its graph renders the same DOT */
	{
		struct bd_deadlock_opts o = { 0, true };
		struct bd_report *r = NULL;
		char *again;
		f = open_memstream(&dot, &len);
		assert_int_equal(bd_deadlocks_dot(d, NULL, f, &err), BD_OK);
		fclose(f);
		assert_int_equal(bd_report_deadlocks(d, &o, &r, &err), BD_OK);
		again = bd_test_render(r, BD_FORMAT_DOT);
		assert_string_equal(again, dot);
		free(again);
		free(dot);
		bd_report_free(r);
	}
	bd_dump_free(d);
}

static void deadlock_elixir_fixture(void **state)
{
	struct live l;
	struct bd_dump *d = bd_test_open_fixture("deadlock_elixir.dump.gz");
	struct bd_report *r = report(d, 0);
	const struct rm_node *c;

	(void)state;
	live_read(&l, "deadlock_elixir.live");
	assert_cycles(r, &l);
	assert_int_equal(assert_live_edges(r, &l, NULL), 2);
	c = must(must(r->root, "cycles")->first, "processes")->first;
	assert_string_equal(str(c, "waiting_in"), "'Elixir.GenServer':call/3");
	assert_string_equal(str(c, "name"), "Elixir.DL.Left");
	assert_string_equal(str(c, "request"), "x");
	assert_int_equal(findings_of_kind(r, "deadlock", "critical"), 1);
	/*
	 * The boot process waits on the one that called System.halt/1 and is
	 * writing the dump: listed as a chain, not a finding.
	 */
	assert_int_equal(count(must(r->root, "chains")), 1);
	assert_string_equal(str(must(must(r->root, "chains")->first, "head"), "state"), "Running");
	assert_int_equal(findings_of_kind(r, "blocked_chain", "warning"), 0);
	render_all(d, r);
	bd_report_free(r);
	live_free(&l);
	bd_dump_free(d);
}

/*
 * Finite timeouts (callee pid in gen:do_call's frame), gen_statem's call
 * proxy, gen_event:call, erpc, and plain monitor + receive request helpers.
 */
static void deadlock_calls_fixture(void **state)
{
	struct live l;
	struct bd_dump *d = bd_test_open_fixture("deadlock_calls.dump.gz");
	struct bd_report *r = report(d, 0);
	const struct rm_node *e;
	const char *proxy;

	(void)state;
	live_read(&l, "deadlock_calls.live");
	assert_cycles(r, &l);
	/* the proxy's own call is folded into px_srv's: px_srv -> px_sm via the proxy */
	assert_int_equal(assert_live_edges(r, &l, "statem_proxy"), 11);
	assert_int_equal(count(must(r->root, "edges")), 11);
	proxy = live_pid(&l, "statem_proxy");
	assert_null(edge_from(r, proxy));
	e = edge_from(r, live_pid(&l, "px_srv"));
	assert_string_equal(str(e, "to"), live_pid(&l, "px_sm"));
	assert_string_equal(str(e, "via"), live_pid(&l, "statem_proxy"));
	assert_string_equal(str(e, "frame"), "gen_statem:call_clean/4");
	assert_string_equal(str(e, "request"), "ping");

	e = edge_from(r, live_pid(&l, "fin_a"));
	assert_string_equal(str(e, "to"), live_pid(&l, "fin_b"));
	e = edge_from(r, live_pid(&l, "ev_srv"));
	assert_string_equal(str(e, "frame"), "gen_event:call1/4");
	e = edge_from(r, live_pid(&l, "rpc_srv"));
	assert_string_equal(str(e, "kind"), "erpc");
	assert_string_equal(str(e, "to"), live_pid(&l, "erpc_executor"));
	e = edge_from(r, live_pid(&l, "rcv_c"));
	assert_string_equal(str(e, "kind"), "receive");
	assert_string_equal(str(e, "frame"), "deadlock_calls:ask/1");
	/* monitored by name: {to,{rcv_d,nonode@nohost},Ref} */
	assert_string_equal(str(e, "to"), live_pid(&l, "rcv_d"));

	/* rcv_a -> rcv_b (sleeping) is a chain, not a deadlock */
	const struct rm_node *chain = chain_with_head(r, live_pid(&l, "rcv_b"));
	assert_non_null(chain);
	assert_string_equal(str(must(chain, "processes")->first, "pid"), live_pid(&l, "rcv_a"));
	assert_false(in_any_cycle(r, live_pid(&l, "rcv_a")));
	/* an idle loop keeping its monitor's ref is not waiting on the monitored process */
	assert_null(edge_from(r, live_pid(&l, "mon_idle")));
	assert_int_equal(findings_of_kind(r, "deadlock", "critical"), 5);
	render_all(d, r);
	bd_report_free(r);
	live_free(&l);
	bd_dump_free(d);
}

static void deadlock_task_fixture(void **state)
{
	struct live l;
	struct bd_dump *d = bd_test_open_fixture("deadlock_task.dump.gz");
	struct bd_report *r = report(d, 0);
	const struct rm_node *e, *chain;

	(void)state;
	live_read(&l, "deadlock_task.live");
	assert_cycles(r, &l);
	assert_int_equal(assert_live_edges(r, &l, NULL), 3);
	e = edge_from(r, live_pid(&l, "TA.Loop"));
	assert_string_equal(str(e, "kind"), "await");
	assert_string_equal(str(e, "frame"), "'Elixir.Task':await/2");
	chain = chain_with_head(r, live_pid(&l, "waiter_task"));
	assert_non_null(chain);
	assert_string_equal(str(must(chain, "processes")->first, "pid"), live_pid(&l, "TA.Waiter"));
	assert_string_equal(str(must(chain, "head"), "current_function"), "'Elixir.Process':sleep/1");
	assert_false(in_any_cycle(r, live_pid(&l, "TA.Waiter")));
	render_all(d, r);
	bd_report_free(r);
	live_free(&l);
	bd_dump_free(d);
}

/* -------------------------------------------------------- real dumps */

struct real_expect {
	const char *file;
	size_t cycles;
	const char *from;  /* an edge that must be there, or NULL */
	const char *to;
	const char *frame;
	const char *stuck_head; /* the one chain finding, NULL: none */
};

static const struct real_expect real_expect[] = {
	/* mod_webserver calls gen_server:call(mod_webserver, stop) from terminate/2 */
	{ "otp17_erts6.1_sngyai_113procs.dump", 1, "<0.143.0>", "<0.143.0>", "gen_server:call/2",
	  NULL },
	/* 'Elixir.Logger' calls logger, which is Suspended, with no timeout: a stuck chain */
	{ "otp23_erts11.2.2.16_elixir_dynamo_98procs.dump.gz", 0, "<0.2208.0>", "<0.42.0>",
	  "gen_server:call/3", "<0.42.0>" },
	/* application_master's prep_stop calls systemd_socket, Scheduled: work in flight */
	{ "otp26_erts14.2.5.4_rabbitmq_93procs.dump.gz", 0, "<0.159.0>", "<0.161.0>",
	  "gen_server:call/2", NULL },
	{ "otp27_erts15.2_rabbitmq_109procs.dump.gz", 0, "<0.146.0>", "<0.148.0>",
	  "gen_server:call/2", NULL },
};

/* An edge source must be Waiting and never in a behaviour's idle loop. */
static void assert_sources_blocked(struct bd_dump *d, const struct bd_report *r)
{
	for (const struct rm_node *e = must(r->root, "edges")->first; e; e = e->next) {
		const char *from = str(e, "from");
		struct bd_proc_sections s;
		struct bd_section sec;
		struct bd_proc p;
		struct bd_slice cur;
		assert_true(bd_dump_proc_sections(d, bd_slice_make(from, strlen(from)), &s));
		bd_section_get(d, s.proc, &sec);
		bd_parse_proc(&sec, &p);
		cur = bd_proc_current_function(&p);
		assert_true(bd_slice_eq(p.state, "Waiting"));
		assert_false(bd_slice_starts(cur, "gen_server:loop"));
		assert_false(bd_slice_starts(cur, "gen_statem:loop"));
		assert_false(bd_slice_starts(cur, "gen_event:fetch_msg"));
		assert_false(bd_slice_starts(cur, "proc_lib:"));
	}
}

static void real_dumps_no_false_deadlocks(void **state)
{
	DIR *dir = opendir(BD_REAL_DUMPS);
	struct dirent *de;
	size_t n_dumps = 0, n_expect = 0;

	(void)state;
	if (!dir)
		skip();
	while ((de = readdir(dir))) {
		char path[2048];
		struct bd_dump *d = NULL;
		struct bd_error err = { 0 };
		struct bd_report *r;
		const struct real_expect *want = NULL;
		size_t cycles;

		if (!strstr(de->d_name, ".dump"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", BD_REAL_DUMPS, de->d_name);
		if (bd_dump_open(&d, path, NULL, &err) != BD_OK) {
			/* only the pre-R10B text format is refused */
			assert_int_equal(err.code, BD_EFORMAT);
			assert_non_null(strstr(de->d_name, "pre-r10b"));
			continue;
		}
		n_dumps++;
		r = report(d, 0);
		for (size_t i = 0; i < BD_ARRAY_SIZE(real_expect); i++)
			if (strcmp(real_expect[i].file, de->d_name) == 0)
				want = &real_expect[i];
		cycles = count(must(r->root, "cycles"));
		if (want) {
			const struct rm_node *e = edge_from(r, want->from);
			n_expect++;
			assert_int_equal(cycles, want->cycles);
			assert_non_null(e);
			assert_string_equal(str(e, "to"), want->to);
			assert_string_equal(str(e, "frame"), want->frame);
		} else if (cycles) {
			fail_msg("%s: %zu cycles reported in a dump without a deadlock", de->d_name, cycles);
		}
		/* calls in flight to running processes, group leaders, code_server: no finding */
		if (want && want->stuck_head) {
			assert_int_equal(findings_of_kind(r, "blocked_chain", "warning"), 1);
			assert_true(finding_has_pid(r, "blocked_chain", want->stuck_head));
		} else if (findings_of_kind(r, "blocked_chain", "warning")) {
			fail_msg("%s: a chain of work in flight reported as a finding", de->d_name);
		}
		assert_sources_blocked(d, r);
		render_all(d, r);
		bd_report_free(r);
		bd_dump_free(d);
	}
	closedir(dir);
	if (!n_dumps)
		skip();
	assert_int_equal(n_expect, BD_ARRAY_SIZE(real_expect));
}

/* ------------------------------------------------------- synthetic */

#define PREAMBLE                                                                 \
	"=erl_crash_dump:0.5\n"                                                  \
	"Sun Nov 29 16:20:08 2026\n"                                             \
	"Slogan: halted\n"                                                       \
	"System version: Erlang/OTP 25 [erts-13.1.5] [source] [64-bit] [smp:2:2]\n" \
	"Atoms: 10\n"

/* #Ref<0.194437868.2302935041.31104> and ...31105 (format doc section 9) */
#define REF_04 "E24:g1oAA2QADW5vbm9kZUBub2hvc3QAAAAAAAB5gIlEAAELluLs"
#define REF_05 "E24:g1oAA2QADW5vbm9kZUBub2hvc3QAAAAAAAB5gYlEAAELluLs"
#define MON_04 "#Ref<0.194437868.2302935041.31104>"
#define MON_05 "#Ref<0.194437868.2302935041.31105>"

#define PROC(pid, name, links, pc)                                               \
	"=proc:" pid "\nState: Waiting\nName: " name "\nSpawned as: proc_lib:init_p/5\n" \
	"Message queue length: 0\nLink list: " links "\n"                       \
	"Program counter: 0x00007fb36ff30e78 (" pc ")\narity = 0\n"

/* gen:do_call's frame (Mref in y3), then gen_server:call/3's (Timeout, Request, ServerRef). */
#define CALL_STACK(pid, server)                                                  \
	"=proc_stack:" pid "\ny0:N\ny1:N\ny2:N\ny3:H1000\n"                       \
	"0x00007fb36e8376d0:SReturn addr 0x6FFCA16C (gen_server:call/3 + 140)\n" \
	"y0:A8:infinity\ny1:A2:go\ny2:" server "\n"                               \
	"y3:SCatch 0x6FFCA16C (gen_server:call/3 + 140)\n"                        \
	"0x00007fb36e8376f8:SReturn addr 0x7019B04C (my_srv:handle_cast/2 + 196)\n" \
	"0x00007fb36e837710:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"

static struct bd_report *synthetic(const char *text, struct bd_dump **dp)
{
	struct bd_dump *d = bd_test_open_text(text);
	struct bd_report *r = report(d, 0);

	render_all(d, r);
	*dp = d;
	return r;
}

static void synthetic_two_cycle(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>," MON_04 "}, {from,<0.2.0>," MON_05 "}]",
		     "gen:do_call/4 + 776")
		PROC("<0.2.0>", "b_srv", "[{to,<0.1.0>," MON_05 "}, {from,<0.1.0>," MON_04 "}]",
		     "gen:do_call/4 + 776")
		CALL_STACK("<0.1.0>", "A5:b_srv") "=proc_heap:<0.1.0>\n1000:" REF_04 "\n"
		CALL_STACK("<0.2.0>", "A5:a_srv") "=proc_heap:<0.2.0>\n1000:" REF_05 "\n"
		"=end\n", &d);

	(void)state;
	assert_int_equal(count(must(r->root, "cycles")), 1);
	assert_true(has_edge(r, "<0.1.0>", "<0.2.0>"));
	assert_true(has_edge(r, "<0.2.0>", "<0.1.0>"));
	assert_string_equal(str(edge_from(r, "<0.1.0>"), "found_by"), "monitor");
	assert_string_equal(str(edge_from(r, "<0.1.0>"), "request"), "go");
	assert_string_equal(str(edge_from(r, "<0.1.0>"), "frame"), "gen_server:call/3");
	bd_report_free(r);
	bd_dump_free(d);
}

/* The callee named by the monitor (and by ServerRef) has no =proc. */
static void synthetic_callee_missing(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.9.0>," MON_04 "}]", "gen:do_call/4 + 776")
		CALL_STACK("<0.1.0>", "A6:nobody") "=proc_heap:<0.1.0>\n1000:" REF_04 "\n"
		"=end\n", &d);

	(void)state;
	assert_int_equal(count(must(r->root, "cycles")), 0);
	assert_int_equal(uint_of(must(r->root, "totals"), "blocked_calls"), 0);
	assert_int_equal(uint_of(must(r->root, "totals"), "unresolved_calls"), 1);
	assert_int_equal(count(must(r->root, "chains")), 0);
	assert_null(str(edge_from(r, "<0.1.0>"), "to"));
	bd_report_free(r);
	bd_dump_free(d);
}

/* A monitor on another node, by name: not in this dump. */
static void synthetic_remote_callee(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,{b_srv,'peer@host'}," MON_04 "}]", "gen:do_call/4 + 776")
		PROC("<0.2.0>", "b_srv", "[]", "gen_server:loop/7 + 596")
		CALL_STACK("<0.1.0>", "A5:b_srv") "=proc_heap:<0.1.0>\n1000:" REF_04 "\n"
		"=end\n", &d);

	(void)state;
	assert_int_equal(uint_of(must(r->root, "totals"), "blocked_calls"), 0);
	assert_int_equal(uint_of(must(r->root, "totals"), "unresolved_calls"), 1);
	assert_false(has_edge(r, "<0.1.0>", "<0.2.0>"));
	bd_report_free(r);
	bd_dump_free(d);
}

/*
 * The frame's ref matches no monitor: the callee is gone (its 'DOWN' is
 * on the way). No edge, even though ServerRef would name a process.
 */
static void synthetic_stale_ref(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>," MON_05 "}]", "gen:do_call/4 + 776")
		PROC("<0.2.0>", "b_srv", "[]", "gen_server:loop/7 + 596")
		CALL_STACK("<0.1.0>", "A5:b_srv") "=proc_heap:<0.1.0>\n1000:" REF_04 "\n"
		"=end\n", &d);

	(void)state;
	assert_int_equal(count(must(r->root, "edges")), 0);
	assert_int_equal(count(must(r->root, "cycles")), 0);
	bd_report_free(r);
	bd_dump_free(d);
}

/* Old releases keep Process in gen:do_call's frame; without a ref, ServerRef names the callee. */
static void synthetic_frame_pid_and_server_ref(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[]", "gen:do_call/4 + 392")
		PROC("<0.2.0>", "b_srv", "[]", "gen:do_call/4 + 392")
		PROC("<0.3.0>", "c_srv", "[]", "timer:sleep/1 + 10")
		"=proc_stack:<0.1.0>\ny0:I5000\ny1:P<0.3.0>\n"
		"0x00007fb36e8376f8:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"
		"=proc_stack:<0.2.0>\ny0:N\n"
		"0x00007fb36e8376d0:SReturn addr 0x6FFCA16C (gen_server:call/3 + 140)\n"
		"y0:I5000\ny1:A2:go\ny2:A5:c_srv\ny3:SCatch 0x6FFCA16C (gen_server:call/3 + 140)\n"
		"0x00007fb36e8376f8:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"
		"=end\n", &d);
	const struct rm_node *chain;

	(void)state;
	assert_true(has_edge(r, "<0.1.0>", "<0.3.0>"));
	assert_string_equal(str(edge_from(r, "<0.1.0>"), "found_by"), "frame");
	assert_true(has_edge(r, "<0.2.0>", "<0.3.0>"));
	assert_string_equal(str(edge_from(r, "<0.2.0>"), "found_by"), "server_ref");
	chain = chain_with_head(r, "<0.3.0>");
	assert_non_null(chain);
	assert_int_equal(uint_of(chain, "waiters"), 2);
	assert_string_equal(str(must(chain, "head"), "current_function"), "timer:sleep/1");
	bd_report_free(r);
	bd_dump_free(d);
}

/* A caller in gen:do_call/4 whose frame holds the callee's pid (no timeout known). */
#define FRAME_CALL(pid, callee)                                                  \
	"=proc_stack:" pid "\ny0:I5000\ny1:P" callee "\n"                         \
	"0x00007fb36e8376f8:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"

/*
 * A chain is a finding only when its head is stuck: here one waits on a
 * port and one has queued messages its receive does not match; a head
 * busy in a receive of its own with nothing queued is a call in flight.
 */
static void synthetic_stuck_heads(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[]", "gen:do_call/4 + 392")
		PROC("<0.2.0>", "b_sock", "[]", "prim_inet:recv0/3 + 20")
		PROC("<0.3.0>", "c_srv", "[]", "gen:do_call/4 + 392")
		PROC("<0.4.0>", "d_busy", "[]", "my_loop:wait/1 + 8")
		PROC("<0.5.0>", "e_srv", "[]", "gen:do_call/4 + 392")
		"=proc:<0.6.0>\nState: Waiting\nName: f_picky\nMessage queue length: 2\n"
		"Program counter: 0x00007fb36ff30e78 (my_loop:wait/1 + 8)\narity = 0\n"
		FRAME_CALL("<0.1.0>", "<0.2.0>") FRAME_CALL("<0.3.0>", "<0.4.0>")
		FRAME_CALL("<0.5.0>", "<0.6.0>")
		"=end\n", &d);

	(void)state;
	assert_non_null(chain_with_head(r, "<0.2.0>"));
	assert_non_null(chain_with_head(r, "<0.4.0>"));
	assert_non_null(chain_with_head(r, "<0.6.0>"));
	assert_true(finding_has_pid(r, "blocked_chain", "<0.2.0>"));
	assert_false(finding_has_pid(r, "blocked_chain", "<0.4.0>"));
	assert_true(finding_has_pid(r, "blocked_chain", "<0.6.0>"));
	assert_int_equal(findings_of_kind(r, "blocked_chain", "warning"), 2);
	bd_report_free(r);
	bd_dump_free(d);
}

/* A gen_server:call to itself (possible before OTP 24): monitors nothing, frame holds self. */
static void synthetic_self_call(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{from,<0.5.0>," MON_05 "}]", "gen:do_call/4 + 392")
		"=proc_stack:<0.1.0>\ny0:H1000\ny1:I5000\ny2:A4:stop\ny3:A9:$gen_call\ny4:P<0.1.0>\n"
		"0x00007fb36e8376d0:SReturn addr 0x1D5C05D0 (gen_server:call/2 + 128)\n"
		"y0:A4:stop\ny1:A5:a_srv\ny2:SCatch 0x1D5C05D0 (gen_server:call/2 + 128)\n"
		"0x00007fb36e8376f8:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"
		"=proc_heap:<0.1.0>\n1000:" REF_04 "\n"
		"=end\n", &d);
	const struct rm_node *cycles = must(r->root, "cycles");

	(void)state;
	assert_int_equal(count(cycles), 1);
	assert_int_equal(uint_of(cycles->first, "size"), 1);
	assert_true(has_edge(r, "<0.1.0>", "<0.1.0>"));
	assert_non_null(strstr(str(must(r->root, "findings")->first, "title"), "a_srv calls itself"));
	bd_report_free(r);
	bd_dump_free(d);
}

/* An idle gen_server holding a monitor ref in its loop frame is no caller. */
static void synthetic_idle_loop_is_not_a_caller(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>," MON_04 "}]", "gen_server:loop/7 + 596")
		PROC("<0.2.0>", "b_srv", "[{to,<0.1.0>," MON_05 "}]", "my_mod:loop/2 + 84")
		"=proc_stack:<0.1.0>\ny0:N\ny1:A8:infinity\ny2:A6:my_mod\ny3:H1000\ny4:A5:a_srv\n"
		"y5:P<0.9.0>\n"
		"0x00007fb36e8376f8:SReturn addr 0x6FE0C840 (proc_lib:init_p_do_apply/3 + 192)\n"
		"y0:N\ny1:N\ny2:SCatch 0x6FE0C85E (proc_lib:init_p_do_apply/3 + 222)\n"
		"0x00007fb36e837790:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"
		"=proc_heap:<0.1.0>\n1000:" REF_04 "\n"
		/* a top loop keeping its monitor's ref: waits for anything, not for <0.1.0> */
		"=proc_stack:<0.2.0>\ny0:H1000\ny1:P<0.1.0>\n"
		"0x00007fb36e8376f8:SReturn addr 0x6FE00C30 (<terminate process normally>)\n"
		"=proc_heap:<0.2.0>\n1000:" REF_05 "\n"
		"=end\n", &d);

	(void)state;
	assert_int_equal(count(must(r->root, "edges")), 0);
	assert_int_equal(uint_of(must(r->root, "totals"), "candidates"), 1);
	bd_report_free(r);
	bd_dump_free(d);
}

/* Cut stacks, missing heaps, broken refs and link lists: no crash, no edge. */
static void synthetic_truncated_and_malformed(void **state)
{
	static const char *const texts[] = {
		/* the dump stops inside the caller's stack */
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>," MON_04 "}]", "gen:do_call/4 + 776")
		PROC("<0.2.0>", "b_srv", "[{to,<0.1.0>," MON_05 "}]", "gen:do_call/4 + 776")
		"=proc_stack:<0.1.0>\ny0:N\ny1:N\ny2:N\ny3:H10\n=abort:CRASH DUMP SIZE LIMIT REACHED\n",
		/* the ref's heap line is cut, the stack has garbage lines */
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>," MON_04 "}]", "gen:do_call/4 + 776")
		PROC("<0.2.0>", "b_srv", "[]", "gen:do_call/4 + 776")
		"=proc_stack:<0.1.0>\ny0:N\ngarbage\ny3:H1000\ny4:Pxx\n"
		"0x00007fb36e8376d0:SReturn addr 0x6FFCA16C (gen_server:call/3 + 140)\ny0:A8:infinity\n"
		"=proc_heap:<0.1.0>\n1000:E24:g1oAA2QADW5v\n"
		"=proc_stack:<0.2.0>\n"
		"=end\n",
		/* no stack sections at all; a malformed Link list; an E that is not a ref */
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>,#Ref<0.1.2", "gen:do_call/4 + 776")
		PROC("<0.2.0>", "b_srv", "[{to,{,}, {to,", "erpc:receive_response/2 + 636")
		"=end\n",
		PREAMBLE
		PROC("<0.1.0>", "a_srv", "[{to,<0.2.0>,#Ref<>}]", "'Elixir.Task':await/2 + 400")
		PROC("<0.2.0>", "b_srv", "[{to,<0.1.0>," MON_05 "}]", "gen_statem:call_clean/4 + 652")
		"=proc_stack:<0.1.0>\ny0:H1000\ny1:A8:infinity\n"
		"0x00007fb36e8376d0:SReturn addr 0x6FFCA16C (my:f/1 + 140)\n"
		"=proc_heap:<0.1.0>\n1000:E16:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==\n"
		"=proc_stack:<0.2.0>\ny0:H2000\n"
		"=proc_heap:<0.2.0>\n2000:t2:H2000,H2000\n"
		"=end\n",
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(texts); i++) {
		struct bd_dump *d;
		struct bd_report *r = synthetic(texts[i], &d);
		assert_int_equal(uint_of(must(r->root, "totals"), "blocked_calls"), 0);
		assert_int_equal(count(must(r->root, "cycles")), 0);
		bd_report_free(r);
		bd_dump_free(d);
	}
}

/* A dump with no process at all. */
static void synthetic_empty(void **state)
{
	struct bd_dump *d;
	struct bd_report *r = synthetic(PREAMBLE "=end\n", &d);

	(void)state;
	assert_int_equal(uint_of(must(r->root, "totals"), "processes"), 0);
	assert_int_equal(count(must(r->root, "findings")), 0);
	bd_report_free(r);
	bd_dump_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deadlock_fixture_cycles_chain_convoy),
		cmocka_unit_test(deadlock_fixture_convoy_threshold),
		cmocka_unit_test(deadlock_fixture_dot),
		cmocka_unit_test(deadlock_elixir_fixture),
		cmocka_unit_test(deadlock_calls_fixture),
		cmocka_unit_test(deadlock_task_fixture),
		cmocka_unit_test(real_dumps_no_false_deadlocks),
		cmocka_unit_test(synthetic_two_cycle),
		cmocka_unit_test(synthetic_callee_missing),
		cmocka_unit_test(synthetic_remote_callee),
		cmocka_unit_test(synthetic_stale_ref),
		cmocka_unit_test(synthetic_frame_pid_and_server_ref),
		cmocka_unit_test(synthetic_self_call),
		cmocka_unit_test(synthetic_stuck_heads),
		cmocka_unit_test(synthetic_idle_loop_is_not_a_caller),
		cmocka_unit_test(synthetic_truncated_and_malformed),
		cmocka_unit_test(synthetic_empty),
	};

	return cmocka_run_group_tests_name("deadlocks", tests, NULL, NULL);
}
