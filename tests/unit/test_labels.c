/*
 * What people call processes that have no registered name: process labels
 * ('$process_label' in the dictionary, proc_lib:set_label/1 on OTP 27+),
 * checked against the labels a real node recorded (fixtures/labels.live);
 * and OTP 27/28 NIF resource monitors in `Link list:`, on real dumps.
 */
#include "bd_test.h"

#include "analyze/analyze.h"
#include "parse/parse.h"
#include "term/process.h"

/* Each `label PID TERM` line of labels.live. */
static size_t live_labels(char pids[][32], char labels[][128], size_t cap)
{
	char path[1024], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/labels.live", BD_FIXTURES);
	f = fopen(path, "r");
	assert_non_null(f);
	while (n < cap && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "label %31s %127[^\n]", pids[n], labels[n]) == 2)
			n++;
	}
	fclose(f);
	return n;
}

static void labels_equal_the_live_nodes(void **state)
{
	char pids[16][32], labels[16][128];
	size_t n = live_labels(pids, labels, 16);
	struct bd_dump *d = bd_test_open_fixture("labels.dump.gz");
	size_t labelled = 0;

	(void)state;
	assert_int_equal(n, 9);
	for (size_t k = 0; k < n; k++) {
		struct bd_slice got = bd_dump_proc_label(d, bd_slice_make(pids[k], strlen(pids[k])));
		if (!bd_slice_eq(got, labels[k]))
			fail_msg("%s: label %.*s, the live node had %s", pids[k], (int)got.len, got.ptr,
				 labels[k]);
	}
	/* no process gets a label it did not have: the controls have other dictionary keys */
	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		labelled += bd_dump_proc_label(d, s.id).len > 0;
	}
	assert_int_equal(labelled, n);
	assert_int_equal(bd_dump_proc_label(d, BD_SLICE_LIT("<0.999.0>")).len, 0);
	bd_dump_free(d);
}

/* Titles name a process by its registered name, else its label, else its pid. */
static void titles_use_the_name_then_the_label(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("labels.dump.gz");
	struct bd_arena a;
	struct rm_builder b = { &a, false };
	const char *named = bd_test_live("labels", "pid named_srv");
	const char *sink = bd_test_live("labels", "pid sink");
	const char *plain = bd_test_live("labels", "pid plain_1");
	struct bd_slice who;

	(void)state;
	bd_arena_init(&a);
	assert_non_null(named);
	who = bd_proc_who(&b, d, bd_slice_make(named, strlen(named)), BD_SLICE_LIT("named_srv"));
	assert_true(bd_slice_eq(who, "named_srv"));
	who = bd_proc_who(&b, d, bd_slice_make(sink, strlen(sink)), bd_slice_make("", 0));
	assert_true(bd_slice_eq(who, "{mailbox,sink}"));
	who = bd_proc_who(&b, d, bd_slice_make(plain, strlen(plain)), bd_slice_make("", 0));
	assert_true(bd_slice_eq(who, plain));
	bd_arena_release(&a);
	bd_dump_free(d);
}

/* The first finding of a kind in an analyze report. */
static const struct rm_node *finding(const struct bd_report *r, const char *kind)
{
	const struct rm_node *fs = bd_test_field(r->root, "findings");

	for (const struct rm_node *f = fs ? fs->first : NULL; f; f = f->next) {
		const char *k = bd_test_str(f, "kind");
		if (k && strcmp(k, kind) == 0)
			return f;
	}
	fail_msg("no %s finding", kind);
	return NULL;
}

static void findings_and_rows_show_labels(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("labels.dump.gz");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	struct bd_procs_opts po = { BD_SORT_MEMORY, 0, "^\\{worker,", NULL, false };
	const struct rm_node *f;
	const struct rm_node *rows;
	const char *title;

	(void)state;
	assert_int_equal(bd_report_analyze(d, NULL, &r, &err), BD_OK);
	/* the live node's cycle lb_a <-> lb_b, named by the labels {peer,a} and {peer,b} */
	title = bd_test_str(finding(r, "deadlock"), "title");
	assert_non_null(strstr(title, "{peer,a} -> {peer,b} -> {peer,a}"));
	f = finding(r, "mailbox");
	title = bd_test_str(f, "title");
	assert_non_null(strstr(title, "{mailbox,sink} has 5000 queued messages"));
	rows = bd_test_field(r->root, "mailboxes");
	assert_non_null(rows);
	assert_string_equal(bd_test_str(rows->first, "pid"), bd_test_live("labels", "pid sink"));
	assert_null(bd_test_str(rows->first, "name"));
	assert_string_equal(bd_test_str(rows->first, "label"), "{mailbox,sink}");
	bd_report_free(r);

	/* procs --match reads labels too: the three workers, by label only */
	assert_int_equal(bd_report_procs(d, &po, &r, &err), BD_OK);
	f = bd_test_field(r->root, "matching_processes");
	assert_true(f && f->kind == RM_UINT && f->v.u == 3);
	bd_report_free(r);
	bd_dump_free(d);
}

/* OTP 27 and 28 dumps have the atom (proc_lib uses it) but no labelled process. */
static void real_dumps_have_no_labelled_process(void **state)
{
	static const char *const dumps[] = {
		"otp27_erts15.2_cdv_cli_simple.dump.gz", "otp27_erts15.2_rabbitmq_109procs.dump.gz",
		"otp27_erts15.2.7.10_rabbitmq_prelaunch.dump.gz",
		"otp28_erts16.2_rabbitmq_prelaunch.dump.gz", "otp28_erts16.3_elixir_54procs.dump.gz",
	};

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(dumps); k++) {
		struct bd_dump *d = bd_test_open_real(dumps[k]);
		if (!d)
			continue;
		for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
		     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
			struct bd_section s;
			bd_section_get(d, i, &s);
			assert_int_equal(bd_dump_proc_label(d, s.id).len, 0);
		}
		bd_dump_free(d);
	}
}

static void link_list_resource_monitors(void **state)
{
	struct bd_slice rest = BD_SLICE_LIT(
		"[<0.67.0>, {from,<0.80.0>,#Ref<0.1.2.3>}, {from,{prim_tty,tty},#Ref<0.2.3.4>}]");
	struct bd_link l;

	(void)state;
	assert_true(bd_next_link(&rest, &l));
	assert_int_equal(l.kind, BD_LINK);
	assert_true(bd_next_link(&rest, &l));
	assert_int_equal(l.kind, BD_MONITOR_FROM);
	assert_true(bd_slice_eq(l.target, "<0.80.0>"));
	assert_true(bd_next_link(&rest, &l));
	assert_int_equal(l.kind, BD_MONITOR_RESOURCE);
	assert_true(bd_slice_eq(l.target, "{prim_tty,tty}"));
	assert_true(bd_slice_eq(l.ref, "#Ref<0.2.3.4>"));
	assert_false(bd_next_link(&rest, &l));
}

/* proc on the real processes that prim_tty's resource monitors. */
static void real_resource_monitors_are_not_processes(void **state)
{
	static const struct {
		const char *dump, *process, *ref;
	} cases[] = {
		{ "otp28_erts16.3_elixir_54procs.dump.gz", "<0.69.0>",
		  "#Ref<0.1341961745.1262747655.104566>" },
		{ "otp27_erts15.2_cdv_cli_simple.dump.gz", "user_drv_reader",
		  "#Ref<0.2533003900.3996385284.3899>" },
	};

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(cases); k++) {
		struct bd_dump *d = bd_test_open_real(cases[k].dump);
		struct bd_report *r = NULL;
		struct bd_error err = { 0 };
		const struct rm_node *p, *mons;
		size_t resources = 0;
		if (!d)
			continue;
		assert_int_equal(bd_report_proc(d, cases[k].process, NULL, &r, &err), BD_OK);
		p = bd_test_field(r->root, "process");
		assert_string_equal(bd_test_str(p, "name"), "user_drv_reader");
		mons = bd_test_field(p, "monitors");
		for (const struct rm_node *m = mons ? mons->first : NULL; m; m = m->next) {
			const char *dir = bd_test_str(m, "direction");
			if (strcmp(dir, "monitored_by_resource") != 0) {
				assert_null(bd_test_str(m, "resource"));
				continue;
			}
			resources++;
			assert_null(bd_test_str(m, "pid"));
			assert_string_equal(bd_test_str(m, "resource"), "{prim_tty,tty}");
			assert_string_equal(bd_test_str(m, "ref"), cases[k].ref);
		}
		assert_int_equal(resources, 1);
		bd_report_free(r);
		bd_dump_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(labels_equal_the_live_nodes),
		cmocka_unit_test(titles_use_the_name_then_the_label),
		cmocka_unit_test(findings_and_rows_show_labels),
		cmocka_unit_test(real_dumps_have_no_labelled_process),
		cmocka_unit_test(link_list_resource_monitors),
		cmocka_unit_test(real_resource_monitors_are_not_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
