/* states: behaviour states ranked by size, checked against the live nodes' values. */
#include "bd_test.h"
#include "report/model.h"

#include <inttypes.h>

/* The JSON text of `states` on a fixture, with or without shapes. */
static char *states_json_shapes(const char *fixture, size_t limit, bool print, bool shapes)
{
	struct bd_dump *d = bd_test_open_fixture(fixture);
	struct bd_states_opts o;
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	char *json;

	memset(&o, 0, sizeof(o));
	o.limit = limit;
	o.print = print;
	o.no_shapes = !shapes;
	if (bd_report_states(d, &o, &r, &err) != BD_OK)
		fail_msg("states: %s", err.msg);
	json = bd_test_render(r, BD_FORMAT_JSON);
	bd_report_free(r);
	bd_dump_free(d);
	return json;
}

static char *states_json(const char *fixture, size_t limit, bool print)
{
	return states_json_shapes(fixture, limit, print, true);
}

/* The JSON object of the states row for pid (up to its closing brace). */
static char *row_of(char *json, const char *pid)
{
	char key[64];
	char *states = strstr(json, "\"states\": [");
	char *row;

	snprintf(key, sizeof(key), "\"pid\": \"%s\"", pid);
	assert_non_null(states);
	row = strstr(states, key);
	if (!row)
		fail_msg("no states row for %s", pid);
	*strchr(row, '}') = '\0';
	return row;
}

static void states_are_ranked_with_live_sizes(void **state)
{
	char *json = states_json("states.dump.gz", 0, false);
	char *list = strstr(json, "\"<0.79.0>\"");
	char *map = strstr(json, "\"<0.80.0>\"");
	char *record = strstr(json, "\"<0.81.0>\"");

	(void)state;
	/* largest first: list_srv, map_srv, then record_srv */
	assert_non_null(list);
	assert_true(list < map && map < record);
	char *copy = strdup(json);
	assert_non_null(strstr(row_of(copy, "<0.79.0>"), "\"state_words\": 1000000,"));
	free(copy);
	copy = strdup(json);
	char *row = row_of(copy, "<0.80.0>");
	assert_non_null(strstr(row, "\"state_words\": 750720,"));
	assert_non_null(strstr(row, "\"shape\": \"map(200000 × integer => integer)\""));
	free(copy);
	copy = strdup(json);
	row = row_of(copy, "<0.81.0>");
	assert_non_null(strstr(row, "\"state_words\": 86356,"));
	assert_non_null(strstr(row, "\"behaviour\": \"gen_server\""));
	assert_non_null(strstr(row, "\"module\": \"fx_srv\""));
	free(copy);
	/* binaries reachable from bin_srv's state: the 200000- and 1000-byte refc ones */
	copy = strdup(json);
	assert_non_null(strstr(row_of(copy, "<0.82.0>"), "\"binary_bytes\": 201000,"));
	free(copy);
	free(json);
}

static void hibernated_state_is_unknown_not_zero(void **state)
{
	char *json = states_json("states.dump.gz", 100, false);
	char *row = row_of(json, "<0.84.0>");

	(void)state;
	assert_non_null(strstr(row, "\"hibernated\": true"));
	assert_non_null(strstr(row, "\"state_words\": null"));
	assert_non_null(strstr(row, "\"heap_words_upper_bound\": 6033"));
	free(json);
}

static void dominating_states_are_findings(void **state)
{
	char *json = states_json("states.dump.gz", 3, false);
	char *findings = strstr(json, "\"findings\"");
	char *states = strstr(json, "\"states\": [");

	(void)state;
	assert_non_null(findings);
	/* list_srv holds 38 % and map_srv 29 % of process memory: both high */
	assert_non_null(strstr(findings, "list_srv (gen_server fx_srv) holds a 7.6 MiB state"));
	assert_non_null(strstr(findings, "map_srv (gen_server fx_srv) holds a 5.7 MiB state"));
	assert_non_null(strstr(findings, "\"severity\": \"high\""));
	/* record_srv (3 %) is not a finding */
	*states = '\0';
	assert_null(strstr(findings, "record_srv"));
	free(json);
}

/* JSON text with every "shape" value, and what follows "found in M:F/A" in evidence, cut. */
static void cut_shapes(char *json)
{
	static const char *const keys[] = { "\"shape\": \"", " found in " };

	for (size_t k = 0; k < 2; k++) {
		for (char *at = strstr(json, keys[k]); at; at = strstr(at, keys[k])) {
			char *from = at + strlen(keys[k]);
			char *to = from;
			if (k == 1) {
				while (*to && !(to[0] == ':' && to[1] == ' ') && *to != '"')
					to++;
				from = to;
			}
			while (*to && !(*to == '"' && to[-1] != '\\'))
				to++;
			memmove(from, to, strlen(to) + 1);
			at = from;
		}
	}
}

static void without_shapes_only_the_shapes_are_gone(void **state)
{
	char *with = states_json_shapes("states.dump.gz", 100, false, true);
	char *without = states_json_shapes("states.dump.gz", 100, false, false);

	(void)state;
	assert_non_null(strstr(with, "\"shape\": \"map(200000 × integer => integer)\""));
	assert_null(strstr(without, "map(200000"));
	/* the same states, sizes and findings in the same order */
	cut_shapes(with);
	cut_shapes(without);
	assert_string_equal(with, without);
	free(with);
	free(without);
}

static void elixir_agent_and_genserver(void **state)
{
	char *json = states_json("states_elixir.dump.gz", 0, true);
	char *copy = strdup(json);

	(void)state;
	assert_non_null(strstr(row_of(copy, "<0.106.0>"), "\"module\": \"Elixir.Agent.Server\""));
	free(copy);
	copy = strdup(json);
	char *row = row_of(copy, "<0.106.0>");
	assert_non_null(strstr(row, "\"state_words\": 38699,"));
	free(copy);
	copy = strdup(json);
	assert_non_null(strstr(row_of(copy, "<0.107.0>"), "\"state_words\": 12901,"));
	free(copy);
	/* --print adds the printed states */
	assert_non_null(strstr(json, "\"printed\""));
	free(json);
}

static const struct rm_node *child(const struct rm_node *o, const char *key)
{
	assert_non_null(o);
	for (const struct rm_node *c = o->first; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	fail_msg("no field '%s'", key);
	abort(); /* not reached */
}

static const struct rm_node *with_str(const struct rm_node *arr, const char *key, const char *v)
{
	for (const struct rm_node *o = arr->first; o; o = o->next) {
		const struct rm_node *c = child(o, key);
		if (c->kind == RM_STR && bd_slice_eq(c->v.s, v))
			return o;
	}
	fail_msg("no row with %s %s", key, v);
	abort(); /* not reached */
}

/*
 * A real dump cut halfway through cut_srv's heap: its state's size is a
 * lower bound, never above the live flat_size, and says so; whole_srv's
 * heap was written before the cut and stays exact.
 */
static void cut_heap_sizes_are_lower_bounds(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("cut_state.dump.gz");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	char cut_pid[64], whole_pid[64], where[96];
	uint64_t live_cut = bd_test_live_u64("cut_state", "flat_size cut_srv_state");
	uint64_t live_whole = bd_test_live_u64("cut_state", "flat_size whole_srv_state");
	const struct rm_node *row, *f;
	char *text, *md;

	(void)state;
	bd_test_live_into("cut_state", "pid cut_srv", cut_pid, sizeof(cut_pid));
	bd_test_live_into("cut_state", "pid whole_srv", whole_pid, sizeof(whole_pid));
	snprintf(where, sizeof(where), "=proc_heap:%s", cut_pid);
	/* the fixture is the first cut_at bytes of the node's dump */
	assert_int_equal(d->in.size, bd_test_live_u64("cut_state", "cut_at"));
	assert_true(d->info.truncated);
	assert_string_equal(d->info.truncated_in, where);

	assert_int_equal(bd_report_states(d, NULL, &r, &err), BD_OK);
	row = with_str(child(r->root, "states"), "pid", cut_pid);
	assert_false(child(row, "exact")->v.b);
	assert_true(child(row, "state_words")->v.u <= live_cut);
	assert_true(child(row, "state_words")->v.u >= live_cut / 4);
	assert_true(child(row, "state_bytes")->flags & RM_AT_LEAST);
	row = with_str(child(r->root, "states"), "pid", whole_pid);
	assert_true(child(row, "exact")->v.b);
	assert_int_equal(child(row, "state_words")->v.u, live_whole);

	/* the finding: a lower bound, and where the dump was cut */
	f = child(r->root, "findings")->first;
	assert_non_null(f);
	assert_true(bd_slice_eq(child(f, "kind")->v.s, "large_state"));
	assert_non_null(child(f, "pids")->first);
	assert_true(bd_slice_eq(child(f, "pids")->first->v.s, cut_pid));
	assert_false(child(f, "exact")->v.b);
	assert_non_null(strstr(child(f, "title")->v.s.ptr, "state of at least "));
	assert_non_null(strstr(child(f, "evidence")->v.s.ptr, where));
	assert_null(f->next);

	text = bd_test_render(r, BD_FORMAT_TEXT);
	md = bd_test_render(r, BD_FORMAT_MARKDOWN);
	assert_non_null(strstr(text, "at least "));
	assert_non_null(strstr(md, "at least "));
	free(text);
	free(md);
	bd_report_free(r);
	bd_dump_free(d);
}

/*
 * fixtures/snapshot_state.bdsnap: capture --state of a node whose idle
 * servers' flat sizes the node measured (.live); a big map is a hash trie
 * there, so only the size the capture measured can match. Servers blocked
 * in a call or busy in a callback are never asked.
 */
static void capture_state_sizes_match_the_node(void **state)
{
	static const char *const asked[] = { "cfg_srv", "slice_srv" };
	static const char *const not_asked[] = { "dl_a", "dl_b", "mq_srv" };
	struct bd_dump *d = bd_test_open_fixture("snapshot_state.bdsnap");
	const struct bd_dump_info *i = bd_dump_info(d);
	char key[64], pid[64], want[96];

	(void)state;
	assert_true(i->snapshot.state);
	assert_true(i->snapshot.states_read >= BD_ARRAY_SIZE(asked));
	assert_int_equal(i->snapshot.states_read, i->snapshot.states_asked);
	assert_int_equal(i->snapshot.states_unanswered, 0);
	assert_string_equal(i->snapshot.states_not_read, "");
	bd_dump_free(d);
	for (size_t k = 0; k < BD_ARRAY_SIZE(asked); k++) {
		char *json = states_json("snapshot_state.bdsnap", 100, false);
		snprintf(key, sizeof(key), "pid %s", asked[k]);
		char *row = row_of(json, bd_test_live_into("snapshot_state", key, pid, sizeof(pid)));
		snprintf(key, sizeof(key), "state_words %s", asked[k]);
		snprintf(want, sizeof(want), "\"state_words\": %" PRIu64 ",",
			 bd_test_live_u64("snapshot_state", key));
		if (!strstr(row, want))
			fail_msg("%s: want %s in %s", asked[k], want, row);
		assert_non_null(strstr(row, "\"behaviour\": \"gen_server\""));
		free(json);
	}
	for (size_t k = 0; k < BD_ARRAY_SIZE(not_asked); k++) {
		char *json = states_json("snapshot_state.bdsnap", 100, false);
		snprintf(key, sizeof(key), "pid %s", not_asked[k]);
		snprintf(want, sizeof(want), "\"pid\": \"%s\"",
			 bd_test_live_into("snapshot_state", key, pid, sizeof(pid)));
		if (strstr(strstr(json, "\"states\": ["), want))
			fail_msg("%s (%s) was asked for its state while busy", not_asked[k], pid);
		free(json);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(states_are_ranked_with_live_sizes),
		cmocka_unit_test(hibernated_state_is_unknown_not_zero),
		cmocka_unit_test(dominating_states_are_findings),
		cmocka_unit_test(without_shapes_only_the_shapes_are_gone),
		cmocka_unit_test(elixir_agent_and_genserver),
		cmocka_unit_test(cut_heap_sizes_are_lower_bounds),
		cmocka_unit_test(capture_state_sizes_match_the_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
