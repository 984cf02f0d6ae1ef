/*
 * Every fixture dump against what its node recorded just before it wrote
 * the dump (fixtures/NAME.live): the release and word size, the counts of
 * processes, ports, ETS tables and atoms, and the pid of every registered
 * name. A fact missing from a .live file fails the test.
 */
#include "bd_test.h"
#include "index/dump.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * The fixtures, and whether their counts still hold in the dump: in a few
 * the planted failure runs after the node's record (it fills the atom
 * table, fails the boot, or kills kernel processes), so only what cannot
 * change is compared.
 */
static const struct {
	const char *name;
	bool counts_hold;
} fixtures[] = {
	{ "atom_control", true }, { "atom_leak", true },
	{ "atom_limit", false },  /* fills the atom table after the record */
	{ "basic", true }, { "binary_leak", true }, { "ci_atoms", true }, { "ci_base", true },
	{ "ci_clean", true }, { "ci_deadlock", true }, { "ci_ets", true }, { "ci_final", true },
	{ "ci_mailbox", true }, { "ci_slices", true }, { "ci_state", true }, { "ci_target", true },
	{ "cut_state", true }, { "deadlock", true }, { "deadlock_calls", true },
	{ "deadlock_elixir", true }, { "deadlock_task", true },
	{ "do_boot", false },     /* the boot fails after the record: a process exits */
	{ "elixir_basic", true }, { "explosion", true },
	{ "kernel_pid_terminated", false },  /* kernel processes are killed after it */
	{ "labels", true }, { "leaks_elixir", true }, { "memory_apps", true },
	{ "multiline_slogan", true }, { "oom", true }, { "oom_binary", true }, { "oom_ets", true },
	{ "oom_last", false },    /* makes atoms on its way to the failed allocation */
	{ "runaway", true }, { "sigusr1", true }, { "states", true }, { "states_elixir", true },
	{ "terms", true }, { "triage", true }, { "truncated_bytes", true },
};

static uint64_t count_of(const struct bd_report *r, const char *key)
{
	const struct rm_node *n = bd_test_field(bd_test_field(r->root, "counts"), key);

	if (!n || n->kind != RM_UINT)
		fail_msg("summary has no count '%s'", key);
	return n->v.u;
}

static void expect(const char *fixture, const char *key, uint64_t got)
{
	uint64_t want = bd_test_live_u64(fixture, key);

	if (got != want)
		fail_msg("%s: %s is %llu on the node, %llu in the dump", fixture, key,
			 (unsigned long long)want, (unsigned long long)got);
}

struct names {
	const char *fixture;
	struct bd_dump *d;
	size_t found;
};

/*
 * A "pid NAME PID" line whose NAME the dump has registered names PID there
 * too (some name processes the test kept, unregistered).
 */
static bool check_name(char *line, void *ctx)
{
	struct names *nm = ctx;
	char *name = line + 4, *pid;

	if (strncmp(line, "pid ", 4) != 0 || !(pid = strrchr(name, ' ')))
		return false;
	*pid++ = '\0';
	struct bd_slice found = bd_dump_find_name(nm->d, bd_slice_make(name, strlen(name)));
	if (!found.len)
		return false;
	if (!bd_slice_eq(found, pid))
		fail_msg("%s: %s is %s on the node, %.*s in the dump", nm->fixture, name, pid,
			 (int)found.len, found.ptr);
	nm->found++;
	return false;
}

static void every_fixture_matches_its_node(void **state)
{
	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(fixtures); i++) {
		const char *fx = fixtures[i].name;
		char file[256];
		struct bd_dump *d;
		struct bd_report *r = NULL;
		struct bd_error err = { 0 };

		snprintf(file, sizeof(file), "%s.dump.gz", fx);
		d = bd_test_open_fixture(file);
		if (bd_report_summary(d, &r, &err) != BD_OK)
			fail_msg("%s: %s", fx, err.msg);
		const struct bd_dump_info *info = bd_dump_info(d);
		char want[64];
		assert_string_equal(info->otp_release,
				    bd_test_live_into(fx, "otp_release", want, sizeof(want)));
		assert_string_equal(info->erts_version,
				    bd_test_live_into(fx, "erts_version", want, sizeof(want)));
		expect(fx, "wordsize", info->word_size);
		expect(fx, "atom_limit", count_of(r, "atom_limit"));
		if (fixtures[i].counts_hold) {
			expect(fx, "processes", count_of(r, "processes"));
			expect(fx, "ports", count_of(r, "ports"));
			expect(fx, "ets_tables", count_of(r, "ets_tables"));
			expect(fx, "atoms", count_of(r, "atoms"));
		}
		/* init at least is registered in every dump */
		struct names nm = { fx, d, 0 };
		bd_test_live_lines(fx, check_name, &nm);
		if (nm.found == 0)
			fail_msg("%s: no registered name of the record is in the dump", fx);
		bd_report_free(r);
		bd_dump_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_fixture_matches_its_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
