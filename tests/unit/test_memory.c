/*
 * `memory` on dumps from real nodes with a known layout, against what the
 * live nodes recorded: fixtures/memory_apps (three applications with
 * supervisors, pools, owned ETS tables, exclusive and shared binaries),
 * the out-of-memory fixtures (a heap request too large, a binary hoarder,
 * an ETS filler, and a bystander that asked last), and explosion.
 */
#include "bd_rm_test.h"

static struct bd_report *memory(struct bd_dump *d, enum bd_memory_by by, size_t depth, size_t top)
{
	struct bd_memory_opts o = { by, depth, top };
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };

	assert_int_equal(bd_report_memory(d, &o, &r, &err), BD_OK);
	assert_non_null(r);
	return r;
}

static uint64_t app_live(const char *what, const char *app)
{
	char key[128];

	snprintf(key, sizeof(key), "%s %s", what, app);
	return bd_test_live_u64("memory_apps", key);
}

static uint64_t proc_live(const char *what, const char *name)
{
	char key[128];

	snprintf(key, sizeof(key), "%s %s", what, name);
	return bd_test_live_u64("memory_apps", key);
}

/* The roll-up row of kind and (indented) name. */
static const struct rm_node *rollup_row(const struct rm_node *root, const char *kind, const char *name)
{
	for (const struct rm_node *r = field(root, "rollup")->first; r; r = r->next) {
		const struct rm_node *n = field(r, "name");
		struct bd_slice s = n->v.s;
		while (s.len && s.ptr[0] == ' ')
			s = bd_slice_skip(s, 1);
		if (str_is(field(r, "kind"), kind) && bd_slice_eq(s, name))
			return r;
	}
	fail_msg("no %s %s in the roll-up", kind, name);
	return NULL;
}

/*
 * Each application's process count is exact (the node counted by group
 * leader, beamdump by spawner: the same set). Retained = memory + owned
 * ETS + binaries no one else references. Memory and ETS are exact: the
 * processes are idle between the record and the halt. Binaries within
 * 1 %: the node's refcounts also count ProcBins in heap garbage, which a
 * dump does not print (shop_pool_sup still held one worker's 2 MiB
 * argument), so the dump can only find the same bytes or fewer holders.
 */
static void applications_roll_up_to_what_the_node_recorded(void **state)
{
	static const char *const apps[] = { "shop", "billing", "audit" };
	struct bd_dump *d = bd_test_open_fixture("memory_apps.dump.gz");
	struct bd_report *r = memory(d, BD_MEMORY_BY_APP, 4, 50);

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(apps); i++) {
		const struct rm_node *row = rollup_row(r->root, "application", apps[i]);
		uint64_t want = app_live("app_memory", apps[i]) + app_live("app_ets", apps[i]) +
				app_live("app_bin_exclusive", apps[i]);
		uint64_t got = u64(row, "retained_bytes");
		assert_int_equal(u64(row, "count"), app_live("app_count", apps[i]));
		assert_true(got >= want - want / 100 && got <= want + want / 100 + 2 * 1048576);
	}
	/* largest first: shop, then billing, then audit */
	assert_true(u64(rollup_row(r->root, "application", "shop"), "retained_bytes") >
		    u64(rollup_row(r->root, "application", "billing"), "retained_bytes"));
	/* the pool is one group of 20 siblings under its supervisor */
	assert_int_equal(u64(rollup_row(r->root, "supervisor", "shop_pool_sup"), "count"), 20);
	assert_non_null(rollup_row(r->root, "group", "20 x memory_apps:init/1"));
	/* shop holds most of the node: the one finding */
	assert_non_null(finding_of(r->root, "application_memory"));
	assert_null(finding_of(r->root, "process_explosion"));
	bd_report_free(r);
	bd_dump_free(d);
}

/*
 * Per process, exactly: shop_cache retains its table (no heir), the
 * ledger its table too (the dump does not record the heir, so the table
 * counts as retained: the report says so), audit_log its heap; the
 * billing workers share one binary, which none of them retains.
 */
static void retained_sizes_split_exclusive_from_shared(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("memory_apps.dump.gz");
	struct bd_report *r = memory(d, BD_MEMORY_BY_PROCESS, 0, 200);
	const struct rm_node *procs = field(r->root, "processes");
	const struct rm_node *cache = row_with(procs, "name", "shop_cache");
	const struct rm_node *ledger = row_with(procs, "name", "billing_ledger");
	const struct rm_node *audit = row_with(procs, "name", "audit_log");
	size_t billing_workers = 0;

	(void)state;
	assert_non_null(cache);
	assert_non_null(ledger);
	assert_non_null(audit);
	assert_null(find_field(r->root, "rollup"));
	assert_int_equal(u64(cache, "ets_bytes"), proc_live("proc_ets", "shop_cache"));
	assert_int_equal(u64(cache, "retained_bytes"),
			 proc_live("proc_memory", "shop_cache") + proc_live("proc_ets", "shop_cache"));
	assert_int_equal(u64(ledger, "ets_bytes"), proc_live("proc_ets", "billing_ledger"));
	assert_int_equal(u64(audit, "heap_bytes"), proc_live("proc_memory", "audit_log"));
	assert_int_equal(u64(audit, "retained_bytes"), proc_live("proc_memory", "audit_log"));
	/* rows are largest first, and the table owner leads */
	assert_ptr_equal(procs->first, cache);
	for (const struct rm_node *p = procs->first; p; p = p->next) {
		if (u64(p, "shared_bytes") == 8 * 1048576) {
			billing_workers++;
			assert_int_equal(u64(p, "binary_bytes"), 0);
		}
	}
	assert_int_equal(billing_workers, 5);
	bd_report_free(r);
	bd_dump_free(d);
}

static bool near(uint64_t got, uint64_t want)
{
	return got >= want - want / 100 && got <= want + want / 100;
}

/* Each =memory category against what is attributed; nothing forced to add up. */
static void reconciliation_attributes_what_the_dump_holds(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("memory_apps.dump.gz");
	struct bd_report *r = memory(d, BD_MEMORY_BY_APP, 0, 0);
	const struct rm_node *rec = field(r->root, "reconciliation");
	const struct rm_node *ets = row_with(rec, "category", "ets");
	const struct rm_node *bin = row_with(rec, "category", "binary");
	const struct rm_node *total = row_with(rec, "category", "total");

	(void)state;
	assert_non_null(ets);
	assert_non_null(bin);
	assert_non_null(total);
	/* =memory is written at the halt, after the record: within 1 % of it */
	assert_true(near(u64(total, "total_bytes"), bd_test_live_u64("memory_apps", "memory total")));
	assert_true(near(u64(ets, "total_bytes"), bd_test_live_u64("memory_apps", "memory ets")));
	/* ETS words cover the tables; the category also counts the runtime's own */
	assert_true(u64(ets, "attributed_bytes") <= u64(ets, "total_bytes"));
	assert_true(u64(ets, "attributed_bytes") > u64(ets, "total_bytes") / 100 * 99);
	/* 20 x 2 MiB + 8 MiB of binaries: found, each counted once */
	assert_true(u64(bin, "attributed_bytes") >= 48 * 1048576);
	assert_true(u64(bin, "attributed_bytes") <= u64(bin, "total_bytes"));
	bd_report_free(r);
	bd_dump_free(d);
}

static const struct rm_node *oom_of(struct bd_dump *d, struct bd_report **r)
{
	*r = memory(d, BD_MEMORY_BY_APP, 1, 5);
	return field((*r)->root, "oom");
}

/* Slogan type, size asked and the process, against the four nodes' records. */
static void oom_names_the_allocator_the_request_and_the_asker(void **state)
{
	static const struct {
		const char *fixture, *allocator, *type, *asker, *verdict;
	} cases[] = {
		{ "oom", "eheap_alloc", "heap_frag", "oom_victim", "culprit" },
		{ "oom_binary", "binary_alloc", "binary", "bin_hoarder", "culprit" },
		{ "oom_ets", "ets_alloc", "db_term", "ets_filler", "culprit" },
		{ "oom_last", "eheap_alloc", "heap", "bystander", "victim" },
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++) {
		char path[64], key[64], pid[64];
		struct bd_report *r;
		struct bd_dump *d;
		const struct rm_node *o;
		snprintf(path, sizeof(path), "%s.dump.gz", cases[i].fixture);
		snprintf(key, sizeof(key), "pid %s", cases[i].asker);
		d = bd_test_open_fixture(path);
		o = oom_of(d, &r);
		assert_true(str_is(field(o, "allocator"), cases[i].allocator));
		assert_true(str_is(field(o, "type"), cases[i].type));
		assert_true(str_is(field(o, "pid"), bd_test_live_into(cases[i].fixture, key, pid, sizeof(pid))));
		if (!str_is(field(o, "verdict"), cases[i].verdict))
			fail_msg("%s: verdict is not %s", cases[i].fixture, cases[i].verdict);
		assert_true(u64(o, "requested_bytes") > 0);
		bd_report_free(r);
		bd_dump_free(d);
	}
}

/* The hoarders hold what they asked for; the bystander's memory is elsewhere. */
static void the_holder_of_the_memory_is_the_largest_process(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("oom_last.dump.gz");
	struct bd_report *r;
	const struct rm_node *o = oom_of(d, &r);
	const struct rm_node *top = field(r->root, "processes")->first;
	char hoarder[64];

	(void)state;
	bd_test_live_into("oom_last", "pid ets_hoarder", hoarder, sizeof(hoarder));
	assert_true(str_is(field(top, "pid"), hoarder));
	assert_true(u64(top, "ets_bytes") > 2 * u64(o, "retained_bytes"));
	bd_report_free(r);
	bd_dump_free(d);

	d = bd_test_open_fixture("oom_binary.dump.gz");
	o = oom_of(d, &r);
	/* 4 MiB chunks: what it held is a whole number of them */
	assert_int_equal(u64(o, "requested_bytes"), bd_test_live_u64("oom_binary", "chunk_bytes"));
	assert_true(u64(field(r->root, "processes")->first, "binary_bytes") % (4 * 1048576) == 0);
	assert_true(u64(field(r->root, "processes")->first, "binary_bytes") >= 8 * 4 * 1048576);
	bd_report_free(r);
	bd_dump_free(d);
}

/* The explosion is a finding; memory_apps' 20-worker pool is not. */
static void one_group_of_200000_processes_is_a_finding(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("explosion.dump.gz");
	struct bd_report *r = memory(d, BD_MEMORY_BY_APP, 1, 3);
	const struct rm_node *f = finding_of(r->root, "process_explosion");
	char spawner[64];

	(void)state;
	assert_non_null(f);
	bd_test_live_into("explosion", "group_spawned_by explosion:session/1", spawner, sizeof(spawner));
	assert_true(str_is(field(f, "pids")->first, spawner));
	assert_true(strstr(field(f, "title")->v.s.ptr, "200000 of") != NULL);
	bd_report_free(r);
	bd_dump_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(applications_roll_up_to_what_the_node_recorded),
		cmocka_unit_test(retained_sizes_split_exclusive_from_shared),
		cmocka_unit_test(reconciliation_attributes_what_the_dump_holds),
		cmocka_unit_test(oom_names_the_allocator_the_request_and_the_asker),
		cmocka_unit_test(the_holder_of_the_memory_is_the_largest_process),
		cmocka_unit_test(one_group_of_200000_processes_is_a_finding),
	};

	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
