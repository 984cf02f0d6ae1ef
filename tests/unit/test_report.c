/*
 * Inventory reports on a dump from a real node (fixtures/basic.*), checked
 * against the values recorded inside that node just before it halted.
 */
#include "bd_test.h"
#include "report/findings.h"
#include "report/model.h"

static const struct rm_node *field(const struct rm_node *obj, const char *key)
{
	for (const struct rm_node *c = obj->first; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	fail_msg("no field '%s'", key);
	abort(); /* not reached: fail_msg does not return */
}

static bool field_is(const struct rm_node *obj, const char *key, const char *want)
{
	const struct rm_node *f = field(obj, key);

	return f->kind == RM_STR && bd_slice_eq(f->v.s, want);
}

/* Rows of a (possibly lazy) array; row i is valid until the next call. */
struct rows {
	struct bd_arena arena;
	struct rm_builder b;
	const struct rm_node *cursor;
};

static const struct rm_node *row_at(struct rows *r, const struct rm_node *arr, size_t i)
{
	r->b.arena = &r->arena;
	return bd_rm_row(arr, i, &r->cursor, &r->b);
}

struct live {
	char key[64];
	char a[256];
	char b[256];
	char rest[512];
};

/* Call fn for each line of fixtures/basic.live starting with key. */
static size_t each_live(const char *key, void (*fn)(const struct live *, void *), void *ctx)
{
	char path[1024];
	char line[1024];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/basic.live", BD_FIXTURES);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct live l;
		memset(&l, 0, sizeof(l));
		if (sscanf(line, "%63s %255s %255s %511[^\n]", l.key, l.a, l.b, l.rest) < 2)
			continue;
		if (strcmp(l.key, key) != 0)
			continue;
		fn(&l, ctx);
		n++;
	}
	fclose(f);
	return n;
}

static struct bd_report *procs(struct bd_dump *d, enum bd_proc_sort sort, size_t limit,
			       const char *match, const char *st)
{
	struct bd_procs_opts o = { sort, limit, match, st, false };
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };

	assert_int_equal(bd_report_procs(d, &o, &r, &err), BD_OK);
	return r;
}

static void procs_by_queue_puts_the_500_message_process_first(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = procs(d, BD_SORT_MQ, 1, NULL, NULL);
	const struct rm_node *arr = field(r->root, "processes");
	struct rows rows = { 0 };
	const struct rm_node *row;

	(void)state;
	assert_int_equal(bd_rm_n_rows(arr), 1);
	row = row_at(&rows, arr, 0);
	assert_true(field_is(row, "pid", "<0.88.0>"));
	assert_true(field_is(row, "name", "mailbox_500"));
	assert_int_equal(field(row, "message_queue_len")->v.u, 500);
	bd_arena_release(&rows.arena);
	bd_report_free(r);
	bd_dump_free(d);
}

static void procs_are_sorted_descending_by_memory(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = procs(d, BD_SORT_MEMORY, 0, NULL, NULL);
	const struct rm_node *arr = field(r->root, "processes");
	struct rows rows = { 0 };
	uint64_t prev = UINT64_MAX;

	(void)state;
	assert_int_equal(bd_rm_n_rows(arr), d->index.count[BD_SECT_PROC]);
	for (size_t i = 0; i < bd_rm_n_rows(arr); i++) {
		uint64_t m = field(row_at(&rows, arr, i), "memory_bytes")->v.u;
		assert_true(m <= prev);
		prev = m;
	}
	bd_arena_release(&rows.arena);
	bd_report_free(r);
	bd_dump_free(d);
}

static void match_and_state_filter_processes(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = procs(d, BD_SORT_MEMORY, 0, "^big_srv$", NULL);
	const struct rm_node *arr = field(r->root, "processes");
	struct rows rows = { 0 };

	(void)state;
	assert_int_equal(bd_rm_n_rows(arr), 1);
	assert_true(field_is(row_at(&rows, arr, 0), "pid", "<0.79.0>"));
	bd_report_free(r);

	/* the current function is matched too */
	r = procs(d, BD_SORT_MEMORY, 0, "erlang:hibernate", NULL);
	arr = field(r->root, "processes");
	assert_int_equal(bd_rm_n_rows(arr), 1);
	assert_true(field_is(row_at(&rows, arr, 0), "name", "hib_srv"));
	bd_report_free(r);

	r = procs(d, BD_SORT_MEMORY, 0, NULL, "runnable"); /* an alias of Scheduled */
	arr = field(r->root, "processes");
	assert_int_equal(bd_rm_n_rows(arr), 3);
	for (size_t i = 0; i < bd_rm_n_rows(arr); i++)
		assert_true(field_is(row_at(&rows, arr, i), "state", "Scheduled"));
	bd_arena_release(&rows.arena);
	bd_report_free(r);
	bd_dump_free(d);
}

static void bad_regex_is_a_usage_error_with_its_offset(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_procs_opts o = { BD_SORT_MEMORY, 0, "ab(c", NULL, false };
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };

	(void)state;
	assert_int_equal(bd_report_procs(d, &o, &r, &err), BD_EUSAGE);
	assert_null(r);
	assert_int_equal(err.offset, 4);
	assert_non_null(strstr(err.msg, "parenthesis"));
	bd_dump_free(d);
}

static void check_registered(const struct live *l, void *ctx)
{
	struct bd_dump *d = ctx;
	struct bd_slice name;

	if (l->b[0] != '<')
		return; /* ports */
	name = bd_dump_proc_name(d, bd_slice_make(l->b, strlen(l->b)));
	if (!name.len)
		return; /* unregistered helpers recorded under a label */
	if (!bd_slice_eq(name, l->a))
		fail_msg("%s: dump says %.*s, live node said %s", l->b, (int)name.len, name.ptr, l->a);
}

static void registered_names_match_the_live_node(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");

	(void)state;
	assert_true(each_live("pid", check_registered, d) > 30);
	bd_dump_free(d);
}

struct ets_check {
	struct bd_dump *d;
	const struct rm_node *arr;
};

static void check_ets(const struct live *l, void *ctx)
{
	struct ets_check *c = ctx;
	struct rows rows = { 0 };
	char name[256], owner[256], type[64], prot[64];
	unsigned long size, words;

	if (sscanf(l->rest, "%255s owner %255s type %63s protection %63s size %lu words %lu",
		   name, owner, type, prot, &size, &words) != 6)
		fail_msg("bad live line for %s", l->a);
	for (size_t i = 0; i < bd_rm_n_rows(c->arr); i++) {
		const struct rm_node *row = row_at(&rows, c->arr, i);
		if (!field_is(row, "name", name) || !field_is(row, "owner", owner))
			continue;
		assert_true(field_is(row, "type", type));
		assert_true(field_is(row, "protection", prot));
		assert_int_equal(field(row, "objects")->v.u, size);
		assert_int_equal(field(row, "words")->v.u, words);
		assert_int_equal(field(row, "bytes")->v.u, words * 8);
		bd_arena_release(&rows.arena);
		return;
	}
	fail_msg("table %s of %s is not in the report", name, owner);
}

static void ets_tables_match_the_live_node(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	struct ets_check c;

	(void)state;
	assert_int_equal(bd_report_ets(d, 0, &r, &err), BD_OK);
	c.d = d;
	c.arr = field(r->root, "ets");
	assert_int_equal(each_live("ets", check_ets, &c), bd_rm_n_rows(c.arr));
	/* the largest table comes first */
	assert_true(field_is(c.arr->first, "name", "fx_big_5000"));
	bd_report_free(r);
	bd_dump_free(d);
}

static void alloc_totals_add_up(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	const struct rm_node *total;
	uint64_t carriers = 0;

	(void)state;
	assert_int_equal(bd_report_alloc(d, &r, &err), BD_OK);
	total = field(r->root, "total");
	for (const struct rm_node *a = field(r->root, "allocators")->first; a; a = a->next) {
		carriers += field(a, "carriers_bytes")->v.u;
		assert_true(field(a, "blocks_bytes")->v.u <= field(a, "carriers_bytes")->v.u);
	}
	assert_int_equal(field(total, "allocated_bytes")->v.u, carriers);
	assert_true(field(total, "used_bytes")->v.u > 0);
	assert_true(field(total, "usage")->v.f > 0.5 && field(total, "usage")->v.f <= 1.0);
	bd_report_free(r);
	bd_dump_free(d);
}

static void every_format_starts_as_documented(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	char *json;
	char *md;
	char *text;

	(void)state;
	assert_int_equal(bd_report_summary(d, &r, &err), BD_OK);
	json = bd_test_render(r, BD_FORMAT_JSON);
	md = bd_test_render(r, BD_FORMAT_MARKDOWN);
	text = bd_test_render(r, BD_FORMAT_TEXT);
	assert_memory_equal(json, "{\n  \"schema\": \"beamdump/1\",\n  \"report\": \"summary\",\n"
			    "  \"source\": {\n    \"kind\": \"dump\"\n  },\n  \"dump\": {", 92);
	/* a dump's source is for programs; text says nothing of it */
	assert_null(strstr(text, "Source"));
	assert_non_null(strstr(json, "\"slogan\": \"basic fixture: halted on purpose\""));
	assert_non_null(strstr(json, "\"processes\": 53"));
	assert_memory_equal(md, "# beamdump summary\n", 19);
	assert_null(strstr(text, "schema"));
	assert_non_null(strstr(text, "basic fixture: halted on purpose"));
	free(json);
	free(md);
	free(text);
	bd_report_free(r);
	bd_dump_free(d);
}

/* Markdown: identifiers and terms in code spans, whatever backticks or pipes they hold. */
static void markdown_puts_identifiers_in_code_spans(void **state)
{
	struct bd_report *r = bd_rm_report_new("beamdump test");
	struct rm_node *row = bd_rm_obj(&r->b, bd_rm_arr(&r->b, r->root, "rows"), NULL);
	char *md;

	(void)state;
	bd_rm_str(&r->b, r->root, "title", "ch_a (<0.85.0>) waits in gen:do_call/4: a -> b, 2 * 3");
	bd_rm_flags(bd_rm_str(&r->b, r->root, "term", "{'a`b',<<\"|\">>}"), RM_CODE);
	bd_rm_str(&r->b, row, "pid", "<0.9.0>");
	bd_rm_flags(bd_rm_str(&r->b, row, "shape", "list(2 × atom | integer)"), RM_CODE);
	md = bd_test_render(r, BD_FORMAT_MARKDOWN);
	assert_non_null(strstr(md, "- **title:** `ch_a` (`<0.85.0>`) waits in `gen:do_call/4`: a -> b, 2 \\* 3\n"));
	assert_non_null(strstr(md, "- **term:** ``{'a`b',<<\"|\">>}``\n"));
	assert_non_null(strstr(md, "| `<0.9.0>` | `list(2 × atom \\| integer)` |\n"));
	free(md);
	bd_report_free(r);
}

/* Findings are ranked by their severity, equal ones kept in the order found, and kept typed. */
static void findings_rank_by_severity_and_stay_typed(void **state)
{
	static const struct {
		const char *kind;
		enum bd_severity sev;
	} found[] = {
		{ "a", BD_SEV_WARNING }, { "b", BD_SEV_CRITICAL }, { "c", BD_SEV_WARNING },
		{ "d", BD_SEV_HIGH },    { "e", BD_SEV_CRITICAL }, { "f", BD_SEV_INFO },
	};
	static const char *const ranked = "bedacf";
	struct bd_report *r = bd_rm_report_new("beamdump test");
	struct rm_node *arr;
	struct bd_findings fs;
	enum bd_severity parsed;
	size_t i = 0;

	(void)state;
	assert_non_null(r);
	arr = bd_rm_arr(&r->b, r->root, "findings");
	bd_findings_init(&fs, &r->arena);
	for (size_t k = 0; k < BD_ARRAY_SIZE(found); k++) {
		struct bd_finding *f = bd_finding_add(&fs, found[k].kind, found[k].sev, "title",
						      "evidence", "action");
		bd_finding_pid(&fs, f, bd_slice_make("<0.1.0>", 7));
		if (k == 1)
			for (int p = 0; p < 9; p++)
				bd_finding_pid(&fs, f, bd_slice_make("<0.2.0>", 7));
	}
	bd_findings_rank(&fs);
	assert_int_equal(bd_report_findings(r, arr, &fs), BD_OK);
	assert_int_equal(r->n_findings, BD_ARRAY_SIZE(found));
	assert_int_equal(arr->n_children, BD_ARRAY_SIZE(found));
	for (const struct rm_node *row = arr->first; row; row = row->next, i++) {
		const struct bd_finding *f = &r->findings[i];
		assert_int_equal(f->kind[0], ranked[i]);
		assert_true(field_is(row, "kind", f->kind));
		assert_true(field_is(row, "severity", bd_severity_name(f->severity)));
		assert_true(bd_severity_parse(field(row, "severity")->v.s, &parsed));
		assert_int_equal(parsed, f->severity);
		assert_int_equal(field(row, "pids")->n_children, f->n_pids);
		assert_int_equal(f->n_pids, f->kind[0] == 'b' ? 10 : 1);
		assert_string_equal(f->pids[f->n_pids - 1], f->kind[0] == 'b' ? "<0.2.0>" : "<0.1.0>");
	}
	assert_false(bd_severity_parse(bd_slice_make("severe", 6), &parsed));
	bd_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(procs_by_queue_puts_the_500_message_process_first),
		cmocka_unit_test(procs_are_sorted_descending_by_memory),
		cmocka_unit_test(match_and_state_filter_processes),
		cmocka_unit_test(bad_regex_is_a_usage_error_with_its_offset),
		cmocka_unit_test(registered_names_match_the_live_node),
		cmocka_unit_test(ets_tables_match_the_live_node),
		cmocka_unit_test(alloc_totals_add_up),
		cmocka_unit_test(every_format_starts_as_documented),
		cmocka_unit_test(markdown_puts_identifiers_in_code_spans),
		cmocka_unit_test(findings_rank_by_severity_and_stay_typed),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
