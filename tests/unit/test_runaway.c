/*
 * analyze's runaway findings against a real node (fixtures/runaway.*): two
 * busy loops and a 100 000-frame body recursion among idle processes, with
 * the reductions and stack sizes the node recorded just before it halted.
 * The controls (a process that did bounded work, idle waiters, a 50-frame
 * recursion in the same function) must get no finding.
 */
#include "bd_test.h"

/* Every finding of a kind, as pid -> title. */
struct found {
	char pid[8][32];
	char title[8][512];
	size_t n;
};

static void findings_of(const struct bd_report *r, const char *kind, struct found *out)
{
	const struct rm_node *fs = bd_test_field(r->root, "findings");

	out->n = 0;
	for (const struct rm_node *f = fs ? fs->first : NULL; f; f = f->next) {
		const char *k = bd_test_str(f, "kind");
		const struct rm_node *pids = bd_test_field(f, "pids");
		if (!k || strcmp(k, kind) != 0)
			continue;
		assert_true(out->n < 8);
		if (!pids || pids->n_children != 1 || !pids->first || pids->first->kind != RM_STR)
			fail_msg("a %s finding without its one pid", kind);
		else
			snprintf(out->pid[out->n], sizeof(out->pid[0]), "%.*s",
				 (int)pids->first->v.s.len, pids->first->v.s.ptr);
		snprintf(out->title[out->n], sizeof(out->title[0]), "%s", bd_test_str(f, "title"));
		out->n++;
	}
}

static bool has_pid(const struct found *f, const char *pid)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->pid[i], pid) == 0)
			return true;
	return false;
}

/* The first number after `after` in s. */
static unsigned long long number_after(const char *s, const char *after)
{
	const char *p = strstr(s, after);

	assert_non_null(p);
	return strtoull(p + strlen(after), NULL, 10);
}

static void both_busy_loops_and_the_deep_recursion_are_found(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("runaway.dump.gz");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	struct found run, deep;
	char want[128];

	(void)state;
	assert_int_equal(bd_report_analyze(d, NULL, &r, &err), BD_OK);
	findings_of(r, "runaway_process", &run);
	findings_of(r, "deep_stack", &deep);

	/* both loops, each with at least the reductions the node recorded */
	assert_int_equal(run.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const char *name = i ? "spin_b" : "spin_a";
		char key[64];
		snprintf(key, sizeof(key), "pid %s", name);
		const char *pid = bd_test_live("runaway", key);
		assert_true(has_pid(&run, pid));
		snprintf(key, sizeof(key), "reductions %s", name);
		unsigned long long live = strtoull(bd_test_live("runaway", key), NULL, 10);
		for (size_t k = 0; k < run.n; k++)
			if (strcmp(run.pid[k], pid) == 0)
				assert_true(number_after(run.title[k], "work (") >= live);
	}

	/* the recursion: its stack and its repeated frame, one a recursive call plus the bottom */
	assert_int_equal(deep.n, 1);
	assert_string_equal(deep.pid[0], bd_test_live("runaway", "pid deep"));
	assert_int_equal(number_after(deep.title[0], "stack of "),
			 strtoull(bd_test_live("runaway", "stack_size deep"), NULL, 10));
	snprintf(want, sizeof(want), "deep recursion in runaway:deep/1 (%llu frames)",
		 strtoull(bd_test_live("runaway", "depth deep"), NULL, 10) + 1);
	assert_non_null(strstr(deep.title[0], want));

	/* controls: no finding of any kind names them */
	const struct rm_node *fs = bd_test_field(r->root, "findings");
	for (const struct rm_node *f = fs ? fs->first : NULL; f; f = f->next) {
		const struct rm_node *pids = bd_test_field(f, "pids");
		for (const struct rm_node *p = pids ? pids->first : NULL; p; p = p->next) {
			const char *ctl[] = { "pid warm", "pid shallow", "pid idle" };
			for (size_t c = 0; c < BD_ARRAY_SIZE(ctl); c++)
				assert_false(bd_slice_eq(p->v.s, bd_test_live("runaway", ctl[c])));
		}
	}
	assert_true(fs && fs->n_children == 3);
	bd_report_free(r);
	bd_dump_free(d);
}

/* Nodes where no process stands out have none; basic's three busy loops are three runaways. */
static void only_processes_far_above_the_rest_are_runaways(void **state)
{
	static const char *const quiet[] = { "triage.dump.gz", "labels.dump.gz", "deadlock.dump.gz" };
	struct bd_dump *d;
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	struct found f;

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(quiet); k++) {
		d = bd_test_open_fixture(quiet[k]);
		assert_int_equal(bd_report_analyze(d, NULL, &r, &err), BD_OK);
		findings_of(r, "runaway_process", &f);
		assert_int_equal(f.n, 0);
		findings_of(r, "deep_stack", &f);
		assert_int_equal(f.n, 0);
		bd_report_free(r);
		bd_dump_free(d);
	}
	d = bd_test_open_fixture("basic.dump.gz");
	assert_int_equal(bd_report_analyze(d, NULL, &r, &err), BD_OK);
	findings_of(r, "runaway_process", &f);
	assert_int_equal(f.n, 3);
	assert_true(has_pid(&f, bd_test_live("basic", "pid busy_loop")));
	assert_true(has_pid(&f, bd_test_live("basic", "pid busy_2")));
	assert_true(has_pid(&f, bd_test_live("basic", "pid busy_3")));
	bd_report_free(r);
	bd_dump_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_busy_loops_and_the_deep_recursion_are_found),
		cmocka_unit_test(only_processes_far_above_the_rest_are_runaways),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
