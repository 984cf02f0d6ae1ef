/* states: behaviour states ranked by size, checked against the live nodes' values. */
#include "bd_test.h"

/* The JSON text of `states` on a fixture. */
static char *states_json(const char *fixture, size_t limit, bool print)
{
	struct bd_dump *d = bd_test_open_fixture(fixture);
	struct bd_states_opts o;
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	char *json;

	memset(&o, 0, sizeof(o));
	o.limit = limit;
	o.print = print;
	if (bd_report_states(d, &o, &r, &err) != BD_OK)
		fail_msg("states: %s", err.msg);
	json = bd_test_render(r, BD_FORMAT_JSON);
	bd_report_free(r);
	bd_dump_free(d);
	return json;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(states_are_ranked_with_live_sizes),
		cmocka_unit_test(hibernated_state_is_unknown_not_zero),
		cmocka_unit_test(dominating_states_are_findings),
		cmocka_unit_test(elixir_agent_and_genserver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
