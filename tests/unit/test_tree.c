/*
 * Processes placed under spawner, supervisor and application, and grouped
 * with their siblings: checked on fixtures/explosion (200 000 processes
 * from one parent beside a 50-worker pool) and fixtures/basic (kernel's
 * supervision tree) against what those live nodes recorded.
 */
#include "bd_rm_test.h"
#include "analyze/tree.h"
#include "parse/parse.h"

static struct bd_proc_tree *build(struct bd_dump *d)
{
	static struct bd_proc_tree t;
	struct bd_error err = { 0 };

	assert_int_equal(bd_proc_tree_build(d, &t, &err), BD_OK);
	return &t;
}

static const struct bd_proc_group *group_of(const struct bd_proc_tree *t, const char *initial_call)
{
	for (size_t g = 0; g < t->n_groups; g++)
		if (bd_slice_eq(t->groups[g].initial_call, initial_call))
			return &t->groups[g];
	fail_msg("no group %s", initial_call);
	return NULL;
}

static uint32_t place(const struct bd_proc_tree *t, struct bd_dump *d, const char *pid)
{
	uint32_t i = bd_proc_tree_find(t, d, bd_slice_make(pid, strlen(pid)));

	assert_int_not_equal(i, BD_NO_PLACE);
	return i;
}

/*
 * Counts are exact. Memory too: the sessions and the pool workers sit in
 * a receive between the record and the halt, so their memory cannot move.
 */
static void the_200000_sessions_are_one_group_and_the_pool_another(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("explosion.dump.gz");
	struct bd_proc_tree *t = build(d);
	const struct bd_proc_group *s = group_of(t, "explosion:session/1");
	const struct bd_proc_group *pool = group_of(t, "fx_srv:init/1");
	char spawner[64];

	(void)state;
	bd_test_live_into("explosion", "group_spawned_by explosion:session/1", spawner, sizeof(spawner));
	assert_ptr_equal(s, &t->groups[0]); /* the largest group comes first */
	assert_int_equal(s->count, bd_test_live_u64("explosion", "group_count explosion:session/1"));
	assert_int_equal(s->memory_bytes, bd_test_live_u64("explosion", "group_memory explosion:session/1"));
	assert_int_equal(s->parent, place(t, d, spawner));
	assert_true(bd_slice_eq(bd_place_label(t, s->parent), "fx_spawner"));
	assert_int_equal(s->supervisor, BD_NO_PLACE); /* spawned by hand, not supervised */

	assert_int_equal(pool->count, bd_test_live_u64("explosion", "group_count fx_srv:init/1"));
	assert_int_equal(pool->memory_bytes, bd_test_live_u64("explosion", "group_memory fx_srv:init/1"));
	assert_true(bd_slice_eq(bd_place_label(t, pool->supervisor), "fx_pool_sup"));
	assert_int_equal(pool->supervisor, pool->parent);
	assert_true(t->procs[pool->supervisor].is_supervisor);
	assert_true(t->n_groups < 60);
	bd_proc_tree_release(t);
	bd_dump_free(d);
}

/* kernel_sup <- application_master:start_it <- application_master (kernel). */
static void kernel_processes_belong_to_kernel_and_init_to_no_application(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_proc_tree *t = build(d);
	char pid[64];
	uint32_t sup, code, init, ac;

	(void)state;
	sup = place(t, d, bd_test_live_into("basic", "pid kernel_sup", pid, sizeof(pid)));
	code = place(t, d, bd_test_live_into("basic", "pid code_server", pid, sizeof(pid)));
	init = place(t, d, bd_test_live_into("basic", "pid init", pid, sizeof(pid)));
	ac = place(t, d, bd_test_live_into("basic", "pid application_controller", pid, sizeof(pid)));
	assert_int_equal(t->n_apps, 1);
	assert_true(bd_slice_eq(t->apps[t->procs[sup].app], "kernel"));
	assert_true(t->procs[sup].is_supervisor);
	assert_true(bd_slice_eq(t->procs[sup].initial_call, "supervisor:kernel/1"));
	assert_int_equal(t->procs[code].app, t->procs[sup].app);
	assert_int_equal(t->procs[code].supervisor, sup);
	assert_int_equal(t->procs[init].app, BD_NO_PLACE);
	assert_int_equal(t->procs[ac].app, BD_NO_PLACE);
	/* every process is in exactly one group, and the groups add up */
	{
		uint64_t n = 0, mem = 0, want = 0;
		for (size_t g = 0; g < t->n_groups; g++) {
			n += t->groups[g].count;
			mem += t->groups[g].memory_bytes;
		}
		for (size_t i = 0; i < t->n; i++)
			want += t->procs[i].memory_bytes;
		assert_int_equal(n, t->n);
		assert_int_equal(mem, want);
	}
	bd_proc_tree_release(t);
	bd_dump_free(d);
}

/* A spawner loop (pids reused) and a spawner missing from the dump. */
static void loops_and_missing_spawners_are_roots(void **state)
{
	static const char text[] =
		"=erl_crash_dump:0.5\nMon Dec  7 05:00:00 2026\nSlogan: t\n"
		"System version: Erlang/OTP 25 [erts-13.1.5]\n"
		"=proc:<0.1.0>\nState: Waiting\nSpawned as: m:a/0\nSpawned by: <0.2.0>\nMemory: 100\n"
		"=proc:<0.2.0>\nState: Waiting\nSpawned as: m:b/0\nSpawned by: <0.1.0>\nMemory: 200\n"
		"=proc:<0.3.0>\nState: Waiting\nSpawned as: m:c/0\nSpawned by: <0.9.0>\nMemory: 300\n"
		"=proc:<0.4.0>\nState: Waiting\nSpawned as: m:c/0\nSpawned by: <0.9.0>\nMemory: 300\n"
		"=end\n";
	struct bd_dump *d = bd_test_open_text(text);
	struct bd_proc_tree *t = build(d);

	(void)state;
	assert_int_equal(t->n, 4);
	assert_true(t->procs[0].parent == BD_NO_PLACE || t->procs[1].parent == BD_NO_PLACE);
	assert_int_equal(t->procs[2].parent, BD_NO_PLACE);
	assert_int_equal(t->procs[2].group, t->procs[3].group);
	assert_int_equal(t->groups[0].count, 2);
	assert_int_equal(t->groups[0].memory_bytes, 600);
	bd_proc_tree_release(t);
	bd_dump_free(d);
}

/*
 * A dump without Memory: lines (before 0.2) estimates each process's
 * memory from its heap sizes, heap fragments included, as procs does.
 */
static void memory_without_memory_lines_is_estimated_as_procs_does(void **state)
{
	static const char text[] =
		"=erl_crash_dump:0.1\nMon Dec  7 05:00:00 2026\nSlogan: t\n"
		"System version: Erlang (BEAM) emulator version 5.5.5\n"
		"=proc:<0.1.0>\nState: Waiting\nSpawned as: m:a/0\nStack+heap: 233\n"
		"OldHeap: 100\nHeap fragment data: 50\n"
		"=end\n";
	struct bd_dump *d = bd_test_open_text(text);
	struct bd_proc_tree *t = build(d);
	struct bd_section s;
	struct bd_proc full;

	(void)state;
	assert_int_equal(t->n, 1);
	bd_section_get(d, t->procs[0].section, &s);
	bd_parse_proc(&s, &full);
	assert_int_equal(full.heap_fragment_words, 50);
	assert_int_equal(t->procs[0].memory_bytes, bd_proc_memory(&full, d, NULL));
	bd_proc_tree_release(t);
	bd_dump_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_200000_sessions_are_one_group_and_the_pool_another),
		cmocka_unit_test(kernel_processes_belong_to_kernel_and_init_to_no_application),
		cmocka_unit_test(loops_and_missing_spawners_are_roots),
		cmocka_unit_test(memory_without_memory_lines_is_estimated_as_procs_does),
	};

	return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
