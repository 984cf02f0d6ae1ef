/*
 * The leak report on dumps from real nodes made to leak (fixtures
 * binary_leak, leaks_elixir, atom_limit), each beside a control, checked
 * against the values recorded inside those nodes; edge cases on small
 * hand-written dumps; every real dump of the corpus read without a crash.
 */
#include "bd_test.h"
#include "bd_rm_test.h"

#include <dirent.h>

static struct bd_report *leaks(struct bd_dump *d, size_t top)
{
	struct bd_leaks_opts o = { top };
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };

	assert_int_equal(bd_report_leaks(d, &o, &r, &err), BD_OK);
	assert_non_null(r);
	return r;
}

/* --------------------------------------------------------- binary_leak */

static void leaky_srv_pins_its_uploads_and_the_controls_do_not(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("binary_leak.dump.gz");
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *bins = field(r->root, "binary_leaks");
	const struct rm_node *row;
	char leaky[64], pid[64];
	uint64_t n = bd_test_live_u64("binary_leak", "state_length leaky_srv");
	uint64_t slice = bd_test_live_u64("binary_leak", "state_elem_byte_size leaky_srv");

	(void)state;
	bd_test_live_into("binary_leak", "pid leaky_srv", leaky, sizeof(leaky));
	row = row_with(bins, "pid", leaky);
	assert_non_null(row);
	assert_true(str_is(field(row, "name"), "leaky_srv"));
	/* (BinVHeap + OldBinVHeap) x 8 - 0 held whole = the live process_info(P, binary) sum */
	assert_int_equal(u64(row, "pinned_bytes"), bd_test_live_u64("binary_leak", "binary_bytes leaky_srv"));
	assert_int_equal(u64(row, "slices"), n);
	assert_int_equal(u64(row, "used_bytes"), n * slice);
	assert_int_equal(u64(row, "binary_count"), bd_test_live_u64("binary_leak", "binary_count leaky_srv"));
	assert_true(field(row, "estimated")->v.b);
	/* none of the 200 originals is in the dump: each is estimated at the upload size */
	const struct rm_node *b0 = field(row, "binaries")->first;
	assert_non_null(b0);
	assert_int_equal(field(b0, "size")->kind, RM_NULL);
	assert_int_equal(u64(b0, "estimated_size"), bd_test_live_u64("binary_leak", "upload_byte_size"));
	assert_int_equal(u64(b0, "slices"), 1);
	assert_int_equal(u64(b0, "slice_bytes"), slice);
	assert_int_equal(u64(b0, "processes"), 1);
	assert_int_equal(bd_rm_n_rows(field(row, "binaries")), 10);
	assert_true(finding_names(r->root, "binary_slices", leaky));
	assert_true(str_is(field(finding_of(r->root, "binary_slices"), "severity"), "critical"));
	/* leaky_srv is the only process reported */
	assert_int_equal(bd_rm_n_rows(bins), 1);
	/* controls: binary:copy/1, 4-byte slices (heap binaries), whole binaries */
	static const char *const controls[] = { "copy_srv", "tiny_srv", "whole_srv" };
	for (size_t i = 0; i < BD_ARRAY_SIZE(controls); i++) {
		char key[64];
		snprintf(key, sizeof(key), "pid %s", controls[i]);
		bd_test_live_into("binary_leak", key, pid, sizeof(pid));
		assert_null(row_with(bins, "pid", pid));
		assert_false(finding_names(r->root, "binary_slices", pid));
	}
	bd_report_free(r);
	bd_dump_free(d);
}

static void the_20000_message_mailbox_comes_first_with_its_shape(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("binary_leak.dump.gz");
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *mb = field(r->root, "mailboxes")->first;
	const struct rm_node *shape;
	char victim[64];
	uint64_t len = bd_test_live_u64("binary_leak", "mq_victim_queue");

	(void)state;
	bd_test_live_into("binary_leak", "pid mq_victim", victim, sizeof(victim));
	assert_non_null(mb);
	assert_true(str_is(field(mb, "pid"), victim));
	assert_true(str_is(field(mb, "name"), "mq_victim"));
	assert_int_equal(u64(mb, "message_queue_len"), len);
	assert_true(str_is(field(mb, "current_function"), "timer:sleep/1"));
	assert_non_null(strstr(field(mb, "stuck_in")->v.s.ptr, "fx_srv:handle_call/3"));
	assert_int_equal(u64(mb, "messages_read"), len);
	assert_false(field(mb, "estimated")->v.b);
	/* {'$gen_cast',{write,K,<<"v">>}}: 3 + 4 + 3 words each */
	assert_int_equal(u64(mb, "message_words"), len * 10);
	shape = field(mb, "shapes")->first;
	assert_true(str_is(field(shape, "shape"), "{'$gen_cast',{write,_,_}}"));
	assert_int_equal(u64(shape, "count"), len);
	assert_true(field(shape, "share")->v.f == 1.0);
	assert_true(finding_names(r->root, "mailbox", victim));
	assert_true(str_is(field(finding_of(r->root, "mailbox"), "severity"), "high"));
	assert_non_null(strstr(field(finding_of(r->root, "mailbox"), "action")->v.s.ptr,
			       "{write,_,_} casts"));
	/* the only non-empty queue */
	assert_int_equal(bd_rm_n_rows(field(r->root, "mailboxes")), 1);
	bd_report_free(r);
	bd_dump_free(d);
}

static const struct rm_node *report_row(const struct rm_node *arr, const char *name,
					const char *owner)
{
	for (const struct rm_node *r = arr->first; r; r = r->next)
		if (str_is(find_field(r, "name"), name) &&
		    (!owner || str_is(find_field(r, "owner"), owner)))
			return r;
	return NULL;
}

static void ets_and_allocators_equal_the_ets_and_alloc_reports(void **state)
{
	static const char *const dumps[] = { "binary_leak.dump.gz", "basic.dump.gz",
					     "leaks_elixir.dump.gz" };

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(dumps); k++) {
		struct bd_dump *d = bd_test_open_fixture(dumps[k]);
		struct bd_report *r = leaks(d, 5);
		struct bd_report *ets = NULL, *alloc = NULL;
		struct bd_error err = { 0 };
		const struct rm_node *mine, *theirs;
		size_t i = 0;

		assert_int_equal(bd_report_ets(d, 0, &ets, &err), BD_OK);
		assert_int_equal(bd_report_alloc(d, &alloc, &err), BD_OK);
		mine = field(r->root, "ets");
		theirs = field(ets->root, "ets");
		assert_int_equal(bd_rm_n_rows(mine), 5);
		/* the same tables in the same order, with the same figures */
		for (const struct rm_node *a = mine->first, *b = theirs->first; a; a = a->next, b = b->next, i++) {
			assert_non_null(b);
			assert_true(bd_slice_eqs(field(a, "name")->v.s, field(b, "name")->v.s));
			assert_true(bd_slice_eqs(field(a, "owner")->v.s, field(b, "owner")->v.s));
			assert_int_equal(u64(a, "objects"), u64(b, "objects"));
			assert_int_equal(u64(a, "bytes"), u64(b, "bytes"));
			assert_int_equal(u64(a, "words"), u64(b, "words"));
		}
		mine = field(r->root, "allocators");
		theirs = field(alloc->root, "allocators");
		assert_int_equal(bd_rm_n_rows(mine), bd_rm_n_rows(theirs));
		assert_true(bd_rm_n_rows(mine) > 5);
		for (const struct rm_node *a = mine->first; a; a = a->next) {
			const struct rm_node *b = report_row(theirs, field(a, "name")->v.s.ptr, NULL);
			assert_non_null(b);
			assert_int_equal(u64(a, "blocks_bytes"), u64(b, "blocks_bytes"));
			assert_int_equal(u64(a, "carriers_bytes"), u64(b, "carriers_bytes"));
			assert_true(field(a, "usage")->v.f == field(b, "usage")->v.f);
			assert_true(field(a, "mbcs_usage")->v.f == field(b, "mbcs_usage")->v.f);
			assert_true(field(a, "sbcs_usage")->v.f == field(b, "sbcs_usage")->v.f);
		}
		bd_report_free(ets);
		bd_report_free(alloc);
		bd_report_free(r);
		bd_dump_free(d);
	}
}

/* ---------------------------------------------------------- atom_limit */

static void a_full_atom_table_is_critical_with_the_newest_atoms(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("atom_limit.dump.gz");
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *atoms = field(r->root, "atoms");
	const struct rm_node *f = finding_of(r->root, "atoms");
	const struct rm_node *newest = field(atoms, "newest");

	(void)state;
	assert_int_equal(u64(atoms, "count"), bd_dump_info(d)->atoms);
	assert_int_equal(u64(atoms, "count"), 10240);
	assert_int_equal(u64(atoms, "limit"), bd_test_live_u64("atom_limit", "atom_limit"));
	assert_int_equal(bd_rm_n_rows(newest), 20);
	for (const struct rm_node *a = newest->first; a; a = a->next)
		assert_true(bd_slice_starts(a->v.s, "fx_atom_"));
	assert_non_null(f);
	assert_true(str_is(field(f, "severity"), "critical"));
	assert_non_null(strstr(field(f, "title")->v.s.ptr, "102% full (10240 of 10000)"));
	/* every atom the loop made, counted over the whole table */
	assert_non_null(strstr(field(f, "evidence")->v.s.ptr, "1206 of them are fx_atom_<N>"));
	assert_true(str_is(field(field(atoms, "patterns")->first, "pattern"), "fx_atom_<N>"));
	assert_int_equal(u64(field(atoms, "patterns")->first, "count"), 1206);
	bd_report_free(r);
	bd_dump_free(d);
}

static void a_pattern_of_200000_atoms_is_a_leak_whatever_its_age(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("atom_leak.dump.gz");
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *atoms = field(r->root, "atoms");
	const struct rm_node *top = field(atoms, "patterns")->first;
	const struct rm_node *f = finding_of(r->root, "atoms");
	char want[64];

	(void)state;
	assert_int_equal(u64(atoms, "count"), bd_test_live_u64("atom_leak", "atoms"));
	/* the leak is older than every atom the newest list shows */
	for (const struct rm_node *a = field(atoms, "newest")->first; a; a = a->next)
		assert_false(bd_slice_starts(a->v.s, "user_attr_"));
	assert_true(str_is(field(top, "pattern"), bd_test_live_into("atom_leak", "leak_pattern", want, sizeof(want))));
	assert_int_equal(u64(top, "count"), bd_test_live_u64("atom_leak", "leak_atoms"));
	assert_int_equal(field(top, "examples")->n_children, 3);
	assert_true(str_is(field(top, "examples")->first, "user_attr_200000"));
	assert_non_null(f);
	assert_true(str_is(field(f, "severity"), "warning"));
	snprintf(want, sizeof(want), "%llu atoms are user_attr_<N>",
		 (unsigned long long)bd_test_live_u64("atom_leak", "leak_atoms"));
	assert_non_null(strstr(field(f, "title")->v.s.ptr, want));
	bd_report_free(r);
	bd_dump_free(d);

	/* the control made 300 atoms of its own: listed, no finding */
	d = bd_test_open_fixture("atom_control.dump.gz");
	r = leaks(d, 0);
	atoms = field(r->root, "atoms");
	assert_int_equal(u64(atoms, "count"), bd_test_live_u64("atom_control", "atoms"));
	assert_non_null(row_with(field(atoms, "patterns"), "pattern", "cfg_key_<N>"));
	assert_int_equal(u64(row_with(field(atoms, "patterns"), "pattern", "cfg_key_<N>"), "count"),
			 bd_test_live_u64("atom_control", "own_atoms"));
	assert_null(finding_of(r->root, "atoms"));
	bd_report_free(r);
	bd_dump_free(d);
}

static void atoms_far_from_the_limit_are_no_finding(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *atoms = field(r->root, "atoms");

	(void)state;
	assert_int_equal(u64(atoms, "count"), bd_test_live_u64("basic", "atoms"));
	assert_int_equal(u64(atoms, "limit"), bd_test_live_u64("basic", "atom_limit"));
	assert_null(finding_of(r->root, "atoms"));
	bd_report_free(r);
	bd_dump_free(d);
}

/* -------------------------------------------------------- leaks_elixir */

static void elixir_genservers_leak_beside_their_controls(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("leaks_elixir.dump.gz");
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *row;
	char store[64], copy[64], sink[64], drain[64], burst[64], burst_gc[64], owner[64];
	uint64_t n = bd_test_live_u64("leaks_elixir", "state_length Leak.Store");

	(void)state;
	bd_test_live_into("leaks_elixir", "pid 'Elixir.Leak.Store'", store, sizeof(store));
	bd_test_live_into("leaks_elixir", "pid 'Elixir.Leak.CopyStore'", copy, sizeof(copy));
	bd_test_live_into("leaks_elixir", "pid 'Elixir.Leak.Sink'", sink, sizeof(sink));
	bd_test_live_into("leaks_elixir", "pid 'Elixir.Leak.Drain'", drain, sizeof(drain));
	bd_test_live_into("leaks_elixir", "pid 'Elixir.Leak.Burst'", burst, sizeof(burst));
	bd_test_live_into("leaks_elixir", "pid 'Elixir.Leak.BurstGC'", burst_gc, sizeof(burst_gc));
	bd_test_live_into("leaks_elixir", "pid cache_owner", owner, sizeof(owner));

	/* binaries: the slices pin every upload; the copies pin nothing */
	row = row_with(field(r->root, "binary_leaks"), "pid", store);
	assert_non_null(row);
	assert_true(str_is(field(row, "name"), "Elixir.Leak.Store"));
	assert_int_equal(u64(row, "pinned_bytes"), bd_test_live_u64("leaks_elixir", "binary_bytes Leak.Store"));
	assert_int_equal(u64(row, "slices"), n);
	assert_int_equal(u64(row, "used_bytes"),
			 n * bd_test_live_u64("leaks_elixir", "state_elem_byte_size Leak.Store"));
	assert_int_equal(u64(field(row, "binaries")->first, "estimated_size"),
			 bd_test_live_u64("leaks_elixir", "state_elem_referenced_byte_size Leak.Store"));
	assert_true(finding_names(r->root, "binary_slices", store));
	/* 50 MiB, all of =memory binary: high (critical needs 128 MiB) */
	assert_true(str_is(field(finding_of(r->root, "binary_slices"), "severity"), "high"));
	assert_null(row_with(field(r->root, "binary_leaks"), "pid", copy));
	assert_false(finding_names(r->root, "binary_slices", copy));

	/* mailbox: the blocked sink, not the drain that kept up */
	row = field(r->root, "mailboxes")->first;
	assert_true(str_is(field(row, "pid"), sink));
	assert_int_equal(u64(row, "message_queue_len"), bd_test_live_u64("leaks_elixir", "mailbox_len Leak.Sink"));
	assert_true(str_is(field(field(row, "shapes")->first, "shape"), "{'$gen_cast',{put,_,_}}"));
	assert_true(str_is(field(row, "current_function"), "'Elixir.Process':sleep/1"));
	assert_true(finding_names(r->root, "mailbox", sink));
	assert_null(row_with(field(r->root, "mailboxes"), "pid", drain));
	assert_false(finding_names(r->root, "mailbox", drain));

	/* heaps: the burst left garbage; the collected one did not */
	row = row_with(field(r->root, "garbage_heaps"), "pid", burst);
	assert_non_null(row);
	assert_int_equal(u64(row, "heap_bytes"),
			 bd_test_live_u64("leaks_elixir", "total_heap_size Leak.Burst") * 8);
	assert_true(u64(row, "reachable_bytes") * 4 < u64(row, "heap_bytes"));
	assert_true(finding_names(r->root, "garbage_heap", burst));
	assert_null(row_with(field(r->root, "garbage_heaps"), "pid", burst_gc));
	assert_false(finding_names(r->root, "garbage_heap", burst_gc));

	/* ETS: the big cache is a finding, the small table beside it is not */
	row = field(r->root, "ets")->first;
	assert_true(str_is(field(row, "name"), "leak_cache"));
	assert_true(str_is(field(row, "owner"), owner));
	assert_true(str_is(field(row, "owner_name"), "Elixir.Leak.Cache"));
	assert_int_equal(u64(row, "objects"), 150000);
	assert_true(finding_names(r->root, "ets_table", owner));
	assert_non_null(strstr(field(finding_of(r->root, "ets_table"), "title")->v.s.ptr, "leak_cache"));
	const struct rm_node *small = row_with(field(r->root, "ets"), "name", "leak_small");
	assert_non_null(small);
	for (const struct rm_node *f = field(r->root, "findings")->first; f; f = f->next)
		assert_null(strstr(field(f, "title")->v.s.ptr, "leak_small"));

	/* atoms: the ones made from strings are the newest */
	row = field(field(r->root, "atoms"), "newest")->first;
	assert_true(str_is(row, "leak_atom_3000"));
	assert_null(finding_of(r->root, "atoms"));
	bd_report_free(r);
	bd_dump_free(d);
}

/* ------------------------------------------------------ no false alarms */

static void large_live_states_are_not_garbage(void **state)
{
	static const char *const dumps[] = { "states.dump.gz", "states_elixir.dump.gz",
					     "basic.dump.gz", "deadlock.dump.gz" };

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(dumps); k++) {
		struct bd_dump *d = bd_test_open_fixture(dumps[k]);
		struct bd_report *r = leaks(d, 0);
		assert_int_equal(bd_rm_n_rows(field(r->root, "garbage_heaps")), 0);
		assert_int_equal(bd_rm_n_rows(field(r->root, "binary_leaks")), 0);
		assert_null(finding_of(r->root, "garbage_heap"));
		assert_null(finding_of(r->root, "binary_slices"));
		assert_null(finding_of(r->root, "allocator"));
		bd_report_free(r);
		bd_dump_free(d);
	}
}

static void short_queues_are_listed_but_not_findings(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("deadlock.dump.gz");
	struct bd_report *r = leaks(d, 2);
	const struct rm_node *mb = field(r->root, "mailboxes");
	char convoy[64];

	(void)state;
	bd_test_live_into("deadlock", "pid convoy_srv", convoy, sizeof(convoy));
	assert_int_equal(bd_rm_n_rows(mb), 2);
	assert_true(str_is(field(mb->first, "pid"), convoy));
	assert_int_equal(u64(mb->first, "message_queue_len"), 49);
	assert_null(finding_of(r->root, "mailbox"));
	bd_report_free(r);
	bd_dump_free(d);
}

/* --------------------------------------------------- hand-written dumps */

#define PREAMBLE                                                                 \
	"=erl_crash_dump:0.5\n"                                                  \
	"Sun Nov 29 16:20:08 2026\n"                                             \
	"Slogan: halted\n"                                                       \
	"System version: Erlang/OTP 25 [erts-13.1.5] [source] [64-bit] [smp:2:2]\n" \
	"Atoms: 850\n"

#define PROC(pid, name, extra)                                                   \
	"=proc:" pid "\nState: Waiting\nName: " name "\nMessage queue length: 0\n"   \
	"Stack+heap: 233\nOldHeap: 0\nHeap unused: 100\nOldHeap unused: 0\n"       \
	extra "arity = 0\n"

/* 1 MiB in BinVHeap words */
#define VHEAP_1M "BinVHeap: 131072\nOldBinVHeap: 0\n"

static const char synthetic[] =
	PREAMBLE
	"=memory\ntotal: 2000000000\nprocesses: 100000000\nbinary: 8388608\nets: 300000000\n"
	"=index_table:atom_tab\nsize: 1024\nlimit: 1000\nentries: 850\n"
	"=allocator:binary_alloc[0]\n"
	"mbcs blocks size: 100000000 100000000 100000000\n"
	"mbcs carriers: 10 10 10\n"
	"mbcs carriers size: 420000000 420000000 420000000\n"
	"sbcs blocks size: 0 0 0\n"
	"sbcs carriers size: 0 0 0\n"
	"=allocator:ets_alloc[0]\n"
	"mbcs blocks size: 1000000 1000000 1000000\n"
	"mbcs carriers size: 1100000 1100000 1100000\n"
	"sbcs carriers size: 0 0 0\n"
	/* a slice of a binary whose =binary section is in the dump */
	PROC("<0.10.0>", "known_slicer", VHEAP_1M)
	/* a slice of a binary the process also holds whole */
	PROC("<0.11.0>", "self_holder", VHEAP_1M)
	/* a slice of a heap binary */
	PROC("<0.12.0>", "heap_slicer", VHEAP_1M)
	/* an OTP 27 view: a Yc smaller than its binary */
	PROC("<0.13.0>", "view_slicer", VHEAP_1M)
	/* two processes slicing one binary that is not in the dump */
	PROC("<0.14.0>", "sharer_a", VHEAP_1M)
	PROC("<0.15.0>", "sharer_b", VHEAP_1M)
	/* a slice of a literal binary */
	PROC("<0.20.0>", "literal_slicer", VHEAP_1M)
	/* an exiting process: a long queue, no sections */
	"=proc:<0.16.0>\nState: Exiting\nName: dying\nMessage queue length: 5000\n"
	"Stack+heap: 233\nOldHeap: 0\n"
	/* a heap of 16 MB of which 3 words are reachable; then hibernated, and running ones */
	"=proc:<0.17.0>\nState: Waiting\nName: bursty\nMessage queue length: 0\n"
	"Stack+heap: 2000000\nOldHeap: 0\nHeap unused: 1800000\nOldHeap unused: 0\narity = 0\n"
	"=proc:<0.18.0>\nState: Waiting\nName: sleepy\nMessage queue length: 0\n"
	"Stack+heap: 1000000\nOldHeap: 0\nHeap unused: 900000\nOldHeap unused: 0\narity = 3\n"
	"=proc:<0.19.0>\nState: Running\nName: runner\nMessage queue length: 0\n"
	"Stack+heap: 1000000\nOldHeap: 0\nHeap unused: 900000\nOldHeap unused: 0\n"
	/* a heap the dump reaches nothing of: no measure of its garbage */
	"=proc:<0.21.0>\nState: Waiting\nName: unreached\nMessage queue length: 0\n"
	"Stack+heap: 2000000\nOldHeap: 0\nHeap unused: 100\nOldHeap unused: 0\narity = 0\n"
	"=ets:<0.10.0>\nSlot: 1\nTable: big_tab\nName: big_tab\nObjects: 1000000\nWords: 30000000\n"
	"=ets:<0.11.0>\nSlot: 2\nTable: small_tab\nName: small_tab\nObjects: 10\nWords: 1000\n"
	"=proc_stack:<0.10.0>\ny0:H100\n"
	"=proc_heap:<0.10.0>\n100:lH110|N\n110:Ys5000:0:64\n"
	"=proc_stack:<0.11.0>\ny0:H200\n"
	"=proc_heap:<0.11.0>\n200:lH210|H220\n210:Ys230:0:64\n220:lH230|N\n230:Yc6000:0:100000\n"
	"=proc_stack:<0.12.0>\ny0:H300\n"
	"=proc_heap:<0.12.0>\n300:lH310|H320\n310:Ys330:0:1\n320:lH330|N\n330:Yh4:AAAAAA==\n"
	"=proc_stack:<0.13.0>\ny0:H400\n"
	"=proc_heap:<0.13.0>\n400:lH410|N\n410:Yc8000:10:64\n"
	"=proc_stack:<0.14.0>\ny0:H500\n"
	"=proc_heap:<0.14.0>\n500:lH510|N\n510:Ys9000:0:64\n"
	"=proc_stack:<0.15.0>\ny0:H600\n"
	"=proc_heap:<0.15.0>\n600:lH610|N\n610:Ys9000:0:64\n"
	"=proc_stack:<0.20.0>\ny0:HA00\n"
	"=proc_heap:<0.20.0>\nA00:lHA10|N\nA10:Ys7000:0:64\n"
	"=proc_stack:<0.17.0>\ny0:H700\n"
	"=proc_heap:<0.17.0>\n700:t2:I1,I2\n"
	"=proc_stack:<0.18.0>\ny0:H800\n"
	"=proc_heap:<0.18.0>\n800:t2:I1,I2\n"
	"=proc_stack:<0.19.0>\ny0:H900\n"
	"=proc_heap:<0.19.0>\n900:t2:I1,I2\n"
	"=proc_stack:<0.21.0>\ny0:I1\n"
	"=proc_heap:<0.21.0>\n"
	"=literals\n7000:Yc7100:0:100000\n"
	"=binary:5000\n100000:AAAA\n"
	"=binary:6000\n100000:AAAA\n"
	"=binary:8000\n100000:AAAA\n"
	"=atoms\ngen_7\ngen_6\ngen_5\ngen_4\ngen_3\nok\n"
	"=end\n";

static void slices_are_told_apart_from_whole_heap_and_literal_binaries(void **state)
{
	struct bd_dump *d = bd_test_open_text(synthetic);
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *bins = field(r->root, "binary_leaks");
	const struct rm_node *row, *b;

	(void)state;
	/* known size: pinned is exact */
	row = row_with(bins, "name", "known_slicer");
	assert_non_null(row);
	assert_int_equal(u64(row, "pinned_bytes"), 0x100000);
	assert_int_equal(u64(row, "used_bytes"), 0x64);
	assert_false(field(row, "estimated")->v.b);
	b = field(row, "binaries")->first;
	assert_true(str_is(field(b, "address"), "5000"));
	assert_int_equal(u64(b, "size"), 0x100000);
	assert_true(finding_names(r->root, "binary_slices", "<0.10.0>"));
	/* 1 MiB is 12.5 % of =memory binary, but high needs 16 MiB */
	assert_true(str_is(field(finding_of(r->root, "binary_slices"), "severity"), "warning"));
	/* OTP 27 views count as slices */
	row = row_with(bins, "name", "view_slicer");
	assert_non_null(row);
	assert_int_equal(u64(row, "pinned_bytes"), 0x100000);
	assert_int_equal(u64(row, "slices"), 1);
	/* not in the dump: estimated from BinVHeap, shared by two processes */
	row = row_with(bins, "name", "sharer_a");
	assert_non_null(row);
	assert_int_equal(u64(row, "pinned_bytes"), 131072 * 8);
	assert_true(field(row, "estimated")->v.b);
	b = field(row, "binaries")->first;
	assert_int_equal(field(b, "size")->kind, RM_NULL);
	assert_int_equal(u64(b, "processes"), 2);
	assert_non_null(row_with(bins, "name", "sharer_b"));
	/* held whole, or a slice of a heap binary: no leak */
	assert_null(row_with(bins, "name", "self_holder"));
	assert_null(row_with(bins, "name", "heap_slicer"));
	assert_null(row_with(bins, "name", "literal_slicer"));
	assert_int_equal(bd_rm_n_rows(bins), 4);
	bd_report_free(r);
	bd_dump_free(d);
}

static void hand_written_findings_follow_the_thresholds(void **state)
{
	struct bd_dump *d = bd_test_open_text(synthetic);
	struct bd_report *r = leaks(d, 0);
	const struct rm_node *f, *row;

	(void)state;
	/* mailbox of an exiting process: listed without messages, still a finding */
	row = field(r->root, "mailboxes")->first;
	assert_true(str_is(field(row, "name"), "dying"));
	assert_int_equal(u64(row, "messages_read"), 0);
	assert_int_equal(bd_rm_n_rows(field(row, "shapes")), 0);
	f = finding_of(r->root, "mailbox");
	assert_true(str_is(field(f, "severity"), "warning"));
	assert_non_null(strstr(field(f, "action")->v.s.ptr, "not in the dump"));
	/* garbage: only where every root is in the dump */
	assert_non_null(row_with(field(r->root, "garbage_heaps"), "name", "bursty"));
	assert_null(row_with(field(r->root, "garbage_heaps"), "name", "sleepy"));
	assert_null(row_with(field(r->root, "garbage_heaps"), "name", "runner"));
	assert_null(row_with(field(r->root, "garbage_heaps"), "name", "unreached"));
	f = finding_of(r->root, "garbage_heap");
	assert_true(str_is(field(f, "severity"), "warning")); /* 16 MB: under 64 MiB */
	assert_non_null(strstr(field(f, "title")->v.s.ptr, "bursty"));
	/* 240 MB of ETS is 12 % of 2 GB: a warning */
	f = finding_of(r->root, "ets_table");
	assert_true(str_is(field(f, "severity"), "warning"));
	assert_non_null(strstr(field(f, "title")->v.s.ptr, "big_tab"));
	/* atoms at 85 %, most of those listed of one pattern */
	f = finding_of(r->root, "atoms");
	assert_true(str_is(field(f, "severity"), "warning"));
	assert_non_null(strstr(field(f, "evidence")->v.s.ptr, "5 of them are gen_<N>"));
	/* binary_alloc: 320 MB unused in its carriers */
	f = finding_of(r->root, "allocator");
	assert_non_null(f);
	assert_true(str_is(field(f, "severity"), "high"));
	assert_non_null(strstr(field(f, "title")->v.s.ptr, "binary_alloc"));
	/* findings come most severe first */
	const char *order[] = { "critical", "high", "warning", "info" };
	size_t at = 0;
	for (f = field(r->root, "findings")->first; f; f = f->next) {
		while (at < 4 && !str_is(field(f, "severity"), order[at]))
			at++;
		assert_true(at < 4);
	}
	bd_report_free(r);
	bd_dump_free(d);
}

static void top_limits_every_list(void **state)
{
	struct bd_dump *d = bd_test_open_text(synthetic);
	struct bd_report *r = leaks(d, 1);

	(void)state;
	assert_int_equal(bd_rm_n_rows(field(r->root, "binary_leaks")), 1);
	assert_int_equal(bd_rm_n_rows(field(r->root, "mailboxes")), 1);
	assert_int_equal(bd_rm_n_rows(field(r->root, "ets")), 1);
	assert_int_equal(bd_rm_n_rows(field(r->root, "garbage_heaps")), 1);
	/* findings are not cut */
	assert_true(bd_rm_n_rows(field(r->root, "findings")) >= 4);
	bd_report_free(r);
	bd_dump_free(d);
}

static void json_keys_follow_the_contract(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("binary_leak.dump.gz");
	struct bd_report *r = leaks(d, 0);
	char *json = bd_test_render(r, BD_FORMAT_JSON);
	char *text = bd_test_render(r, BD_FORMAT_TEXT);
	char *md = bd_test_render(r, BD_FORMAT_MARKDOWN);
	static const char *const keys[] = {
		"\"binary_leaks\": [", "\"pinned_bytes\": 209715200", "\"used_bytes\": 20000",
		"\"slices\": 200", "\"binaries\": [", "\"mailboxes\": [",
		"\"message_queue_len\": 20000", "\"current_function\": \"timer:sleep/1\"",
		"\"shapes\": [", "\"shape\": \"{'$gen_cast',{write,_,_}}\"", "\"count\": 20000",
		"\"ets\": [", "\"owner\": \"<0.50.0>\"", "\"objects\": ", "\"bytes\": ",
		"\"atoms\": {", "\"count\": 9080", "\"limit\": 1048576", "\"newest\": [",
		"\"allocators\": [", "\"blocks_bytes\": ", "\"carriers_bytes\": ", "\"usage\": ",
		"\"findings\": [", "\"kind\": \"binary_slices\"", "\"severity\": \"critical\"",
		"\"title\": ", "\"pids\": [", "\"evidence\": ", "\"action\": ",
	};

	(void)state;
	assert_memory_equal(json, "{\n  \"schema\": \"beamdump/1\"", 26);
	for (size_t i = 0; i < BD_ARRAY_SIZE(keys); i++)
		if (!strstr(json, keys[i]))
			fail_msg("no %s in the JSON", keys[i]);
	assert_non_null(strstr(text, "leaky_srv pins 200.0 MiB of refc binaries through 200 small slices"));
	assert_memory_equal(md, "# beamdump leaks\n", 17);
	free(json);
	free(text);
	free(md);
	bd_report_free(r);
	bd_dump_free(d);
}

/* ------------------------------------------------------------ real dumps */

static void every_real_dump_gives_a_report(void **state)
{
	DIR *dir = opendir(BD_REAL_DUMPS);
	struct dirent *e;
	size_t n = 0;

	(void)state;
	if (!dir)
		skip();
	while ((e = readdir(dir)) != NULL) {
		char path[2048];
		struct bd_dump *d = NULL;
		struct bd_report *r = NULL;
		struct bd_error err = { 0 };
		if (!strstr(e->d_name, ".dump"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", BD_REAL_DUMPS, e->d_name);
		if (bd_dump_open(&d, path, NULL, &err) != BD_OK)
			continue; /* not a dump beamdump reads (pre-R10B): other tests cover it */
		if (bd_report_leaks(d, NULL, &r, &err) != BD_OK)
			fail_msg("%s: %s", e->d_name, err.msg);
		for (int fmt = BD_FORMAT_TEXT; fmt <= BD_FORMAT_MARKDOWN; fmt++)
			free(bd_test_render(r, (enum bd_format)fmt));
		/* none of these nodes leaked binaries through slices */
		assert_null(finding_of(r->root, "binary_slices"));
		bd_report_free(r);
		bd_dump_free(d);
		n++;
	}
	closedir(dir);
	assert_true(n >= 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaky_srv_pins_its_uploads_and_the_controls_do_not),
		cmocka_unit_test(the_20000_message_mailbox_comes_first_with_its_shape),
		cmocka_unit_test(ets_and_allocators_equal_the_ets_and_alloc_reports),
		cmocka_unit_test(a_full_atom_table_is_critical_with_the_newest_atoms),
		cmocka_unit_test(a_pattern_of_200000_atoms_is_a_leak_whatever_its_age),
		cmocka_unit_test(atoms_far_from_the_limit_are_no_finding),
		cmocka_unit_test(elixir_genservers_leak_beside_their_controls),
		cmocka_unit_test(large_live_states_are_not_garbage),
		cmocka_unit_test(short_queues_are_listed_but_not_findings),
		cmocka_unit_test(slices_are_told_apart_from_whole_heap_and_literal_binaries),
		cmocka_unit_test(hand_written_findings_follow_the_thresholds),
		cmocka_unit_test(top_limits_every_list),
		cmocka_unit_test(json_keys_follow_the_contract),
		cmocka_unit_test(every_real_dump_gives_a_report),
	};

	return cmocka_run_group_tests_name("leaks", tests, NULL, NULL);
}
