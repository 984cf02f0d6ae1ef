/*
 * analyze against a real node with every kind of problem planted at once
 * (fixtures/triage.erl), checked against what the node recorded
 * (fixtures/triage.live): the two-server deadlock, the slice leak beside
 * its copying twin, the mailbox build-up and the call blocked behind it,
 * the big ETS table and the largest state, each with its numbers.
 */
#include "bd_rm_test.h"
#include "report/findings.h"

#define FX "triage"

struct triage {
	struct bd_dump *d;
	struct bd_report *r;
};

static int setup(void **state)
{
	static struct triage t;
	struct bd_error err = { 0 };

	t.d = bd_test_open_fixture(FX ".dump.gz");
	if (bd_report_analyze(t.d, NULL, &t.r, &err) != BD_OK)
		fail_msg("analyze: %s", err.msg);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct triage *t = *state;

	bd_report_free(t->r);
	bd_dump_free(t->d);
	return 0;
}

static const struct rm_node *root(void **state)
{
	return ((struct triage *)*state)->r->root;
}

static const char *pid_of(const char *name, char *buf, size_t cap)
{
	char key[128];

	snprintf(key, sizeof(key), "pid %s", name);
	return bd_test_live_into(FX, key, buf, cap);
}

static void the_deadlock_is_found_with_both_servers(void **state)
{
	char orders[32], inventory[32];
	const struct rm_node *f = finding_of(root(state), "deadlock");

	pid_of("orders", orders, sizeof(orders));
	pid_of("inventory", inventory, sizeof(inventory));
	assert_non_null(f);
	assert_true(str_is(field(f, "severity"), "critical"));
	assert_true(finding_names(root(state), "deadlock", orders));
	assert_true(finding_names(root(state), "deadlock", inventory));
	const struct rm_node *cycle = field(root(state), "cycles")->first;
	assert_non_null(cycle);
	assert_int_equal(u64(cycle, "size"), 2);
	assert_non_null(row_with(field(cycle, "processes"), "waiting_on", inventory));
	assert_non_null(row_with(field(cycle, "processes"), "waiting_on", orders));
}

static void the_slice_leak_is_found_and_its_copying_twin_is_not(void **state)
{
	char leaky[32], copier[32];
	uint64_t n = bd_test_live_u64(FX, "state_length ingest_srv");
	uint64_t slice = bd_test_live_u64(FX, "state_elem_byte_size ingest_srv");
	const struct rm_node *row;

	pid_of("ingest_srv", leaky, sizeof(leaky));
	pid_of("ingest_copy_srv", copier, sizeof(copier));
	assert_true(finding_names(root(state), "binary_slices", leaky));
	assert_false(finding_names(root(state), "binary_slices", copier));
	row = row_with(field(root(state), "binary_leaks"), "pid", leaky);
	assert_non_null(row);
	assert_int_equal(u64(row, "pinned_bytes"), bd_test_live_u64(FX, "binary_bytes ingest_srv"));
	assert_int_equal(u64(row, "slices"), bd_test_live_u64(FX, "binary_count ingest_srv"));
	assert_int_equal(u64(row, "used_bytes"), n * slice);
	assert_null(row_with(field(root(state), "binary_leaks"), "pid", copier));
}

static void the_mailbox_and_the_call_blocked_behind_it_are_found(void **state)
{
	char writer[32], caller[32];
	const struct rm_node *row, *chain;

	pid_of("writer", writer, sizeof(writer));
	pid_of("writer_caller", caller, sizeof(caller));
	assert_true(finding_names(root(state), "mailbox", writer));
	row = row_with(field(root(state), "mailboxes"), "pid", writer);
	assert_non_null(row);
	assert_int_equal(u64(row, "message_queue_len"), bd_test_live_u64(FX, "writer_queue"));
	/* a chain, not a deadlock: the writer sleeps, it does not wait on a call */
	assert_true(finding_names(root(state), "blocked_chain", caller));
	assert_false(finding_names(root(state), "deadlock", writer));
	chain = field(root(state), "chains")->first;
	assert_non_null(chain);
	assert_true(str_is(field(field(chain, "head"), "pid"), writer));
	assert_non_null(row_with(field(chain, "processes"), "pid", caller));
}

static void the_big_table_is_found_with_its_owner(void **state)
{
	char owner[32];
	const struct rm_node *row;

	bd_test_live_into(FX, "sessions_owner", owner, sizeof(owner));
	assert_true(finding_names(root(state), "ets_table", owner));
	row = row_with(field(root(state), "ets"), "name", "sessions");
	assert_non_null(row);
	assert_true(row == field(root(state), "ets")->first);
	assert_true(str_is(field(row, "owner"), owner));
	assert_int_equal(u64(row, "objects"), bd_test_live_u64(FX, "sessions_size"));
}

static void the_largest_state_comes_first_with_its_flat_size(void **state)
{
	char largest[64], pid[32];
	const struct rm_node *states = field(root(state), "states");

	bd_test_live_into(FX, "largest_state", largest, sizeof(largest));
	pid_of(largest, pid, sizeof(pid));
	assert_true(str_is(field(states->first, "pid"), pid));
	assert_int_equal(u64(states->first, "state_words"),
			 bd_test_live_u64(FX, "flat_size metrics_srv_state"));
	pid_of("ingest_srv", pid, sizeof(pid));
	assert_int_equal(u64(row_with(states, "pid", pid), "state_words"),
			 bd_test_live_u64(FX, "flat_size ingest_srv_state"));
}

/* Only what was planted: the five findings, and none of another kind. */
static void nothing_else_is_a_finding(void **state)
{
	static const char *const planted[] = { "deadlock", "binary_slices", "mailbox", "ets_table",
						"blocked_chain" };
	size_t n = 0;

	for (const struct rm_node *f = field(root(state), "findings")->first; f; f = f->next, n++) {
		bool known = false;
		for (size_t k = 0; k < BD_ARRAY_SIZE(planted); k++)
			known = known || str_is(field(f, "kind"), planted[k]);
		if (!known)
			fail_msg("a finding of kind %.*s", (int)field(f, "kind")->v.s.len,
				 field(f, "kind")->v.s.ptr);
	}
	assert_int_equal(n, BD_ARRAY_SIZE(planted));
}

/* The rows are the typed findings, most severe first: the deadlock, then the leaks. */
static void findings_are_ranked_and_kept_typed(void **state)
{
	const struct bd_report *r = ((struct triage *)*state)->r;
	size_t i = 0;

	assert_int_equal(r->n_findings, field(r->root, "findings")->n_children);
	for (const struct rm_node *f = field(r->root, "findings")->first; f; f = f->next, i++) {
		assert_true(str_is(field(f, "kind"), r->findings[i].kind));
		assert_true(str_is(field(f, "severity"), bd_severity_name(r->findings[i].severity)));
		if (i)
			assert_true(r->findings[i - 1].severity >= r->findings[i].severity);
	}
	assert_string_equal(r->findings[0].kind, "deadlock");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_deadlock_is_found_with_both_servers),
		cmocka_unit_test(the_slice_leak_is_found_and_its_copying_twin_is_not),
		cmocka_unit_test(the_mailbox_and_the_call_blocked_behind_it_are_found),
		cmocka_unit_test(the_big_table_is_found_with_its_owner),
		cmocka_unit_test(the_largest_state_comes_first_with_its_flat_size),
		cmocka_unit_test(nothing_else_is_a_finding),
		cmocka_unit_test(findings_are_ranked_and_kept_typed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
