/* Section parsers: =proc, =ets, =port, =timer, =scheduler, =allocator. */
#include "bd_test.h"
#include "parse/parse.h"

#define PRE "=erl_crash_dump:0.5\nx\nSlogan: s\nSystem version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n"

static struct bd_dump *open_one(const char *text, struct bd_section *s)
{
	struct bd_dump *d = bd_test_open_text(text);

	bd_section_get(d, 1, s);
	return d;
}

static void proc_keys_are_read_by_name_with_units(void **state)
{
	struct bd_section s;
	struct bd_proc p;
	struct bd_dump *d = open_one(PRE "=proc:<0.80.0>\n"
				     "State: Waiting\nName: 'Elixir.My.Srv'\nSpawned as: proc_lib:init_p/5\n"
				     "Spawned by: <0.9.0>\nMessage queue length: 3\n"
				     "Number of heap fragments: 1\nHeap fragment data: 5\n"
				     "Link list: [<0.9.0>, {to,<0.81.0>,#Ref<0.1.2.3>}]\nReductions: 59\n"
				     "Stack+heap: 233\nOldHeap: 10\nHeap unused: 134\nOldHeap unused: 2\n"
				     "BinVHeap: 12500\nOldBinVHeap: 25\nBinVHeap unused: 46422\n"
				     "OldBinVHeap unused: overflow\nMemory: 2944\n"
				     "Program counter: 0x00007fb36ff30e78 (gen:do_call/4 + 776)\n"
				     "arity = 0\nInternal State: ACT_PRIO_NORMAL | USR_PRIO_NORMAL\n=end\n",
				     &s);

	(void)state;
	bd_parse_proc(&s, &p);
	assert_true(bd_slice_eq(p.pid, "<0.80.0>"));
	assert_true(bd_slice_eq(p.state, "Waiting"));
	assert_true(bd_slice_eq(p.name, "'Elixir.My.Srv'"));
	assert_true(bd_slice_eq(p.spawned_as, "proc_lib:init_p/5"));
	assert_true(bd_slice_eq(p.spawned_by, "<0.9.0>"));
	assert_int_equal(p.message_queue_len, 3);
	assert_int_equal(p.heap_fragments, 1);
	assert_int_equal(p.heap_fragment_words, 5);
	assert_int_equal(p.reductions, 59);
	assert_int_equal(p.stack_heap_words, 233);
	assert_int_equal(p.old_heap_words, 10);
	assert_int_equal(p.heap_unused_words, 134);
	assert_int_equal(p.bin_vheap_words, 12500);
	assert_int_equal(p.old_bin_vheap_words, 25);
	assert_int_equal(p.old_bin_vheap_unused_words, 0);
	assert_int_equal(p.memory_bytes, 2944);
	assert_int_equal(p.arity, 0);
	assert_true(bd_slice_eq(p.program_counter, "gen:do_call/4"));
	assert_true(bd_slice_eq(bd_proc_current_function(&p), "gen:do_call/4"));
	assert_false(p.has_cp);
	bd_dump_free(d);
}

static void old_proc_without_memory_gets_an_estimate_from_words(void **state)
{
	struct bd_section s;
	struct bd_proc p;
	bool estimated = false;
	struct bd_dump *d = open_one("=erl_crash_dump:0.1\nx\nSlogan: s\n"
				     "System version: Erlang R14B03 (erts-5.8.4) [smp:4:4]\n"
				     "=proc:<0.3.0>\nState: Waiting\nStarted: Sun Apr 13 22:21:00 2008\n"
				     "Stack+heap: 100\nOldHeap: 20\nHeap fragment data: 5\n"
				     "Current call: erlang:hibernate/3\n"
				     "CP: 0x00400e3c (proc_lib:init_p/5 + 164)\n=end\n",
				     &s);

	(void)state;
	bd_parse_proc(&s, &p);
	assert_int_equal(p.memory_bytes, BD_UNSET);
	assert_int_equal(bd_dump_info(d)->word_size, 4);
	assert_int_equal(bd_proc_memory(&p, d, &estimated), 125 * 4);
	assert_true(estimated);
	assert_true(p.has_cp);
	assert_true(bd_slice_eq(p.cp, "proc_lib:init_p/5"));
	assert_true(bd_slice_eq(bd_proc_current_function(&p), "erlang:hibernate/3"));
	assert_true(bd_slice_eq(p.started, "Sun Apr 13 22:21:00 2008"));
	bd_dump_free(d);
}

static void atom_text_strips_quotes_and_escapes(void **state)
{
	struct bd_arena a;

	(void)state;
	bd_arena_init(&a);
	assert_true(bd_slice_eq(bd_atom_text(&a, BD_SLICE_LIT("'Elixir.My.Srv'")), "Elixir.My.Srv"));
	assert_true(bd_slice_eq(bd_atom_text(&a, BD_SLICE_LIT("'it\\'s'")), "it's"));
	assert_true(bd_slice_eq(bd_atom_text(&a, BD_SLICE_LIT("'a\\nb'")), "a\nb"));
	assert_true(bd_slice_eq(bd_atom_text(&a, BD_SLICE_LIT("plain")), "plain"));
	bd_arena_release(&a);
}

static void ets_tables_of_both_eras_are_read(void **state)
{
	struct bd_section s;
	struct bd_ets e;
	struct bd_dump *d = open_one(PRE "=ets:<0.50.0>\nSlot: 140408629498000\nTable: code\n"
				     "Name: code\nBuckets: 256\nChain Length Avg: 1.0\nFixed: false\n"
				     "Objects: 363\nWords: 14221\nType: set\nProtection: private\n"
				     "Compressed: false\nWrite Concurrency: false\nRead Concurrency: false\n"
				     "=ets:<0.9.0>\nSlot: 11\nTable: 4098\nName: ac_tab\n"
				     "Ordered set (AVL tree), Elements: 7\nObjects: 7\nWords: 300\n=end\n",
				     &s);

	(void)state;
	bd_parse_ets(&s, &e);
	assert_true(bd_slice_eq(e.owner, "<0.50.0>"));
	assert_true(bd_slice_eq(e.name, "code"));
	assert_true(bd_slice_eq(e.type, "set"));
	assert_true(bd_slice_eq(e.protection, "private"));
	assert_int_equal(e.buckets, 256);
	assert_int_equal(e.objects, 363);
	assert_int_equal(e.words, 14221);
	bd_section_get(d, 2, &s);
	bd_parse_ets(&s, &e);
	assert_true(e.ordered);
	assert_int_equal(e.buckets, BD_UNSET);
	assert_int_equal(e.type.len, 0);
	assert_int_equal(e.words, 300);
	bd_dump_free(d);
}

static void ports_timers_and_schedulers_are_read(void **state)
{
	struct bd_section s;
	struct bd_port port;
	struct bd_timer timer;
	struct bd_scheduler sc;
	struct bd_dump *d = bd_test_open_text(
		PRE "=scheduler:1\nScheduler Sleep Info Flags: \nCurrent Port: \n"
		"Run Queue Max Length: 0\nRun Queue High Length: 1\nRun Queue Normal Length: 7\n"
		"Run Queue Low Length: 0\nRun Queue Port Length: 2\nCurrent Process: <0.9.0>\n"
		"Current Process State: Running\n"
		"=port:#Port<0.5>\nState: CONNECTED|BINARY_IO\nSlot: 40\nConnected: <0.88.0>\n"
		"Links: <0.61.0><0.100.0>\nPort controls external process: cat\nInput: 10\nOutput: 20\n"
		"Queue: 30\n=timer:<0.88.0>\nMessage: hello\nTime left: 3599957 ms\n=end\n");

	(void)state;
	bd_section_get(d, 1, &s);
	bd_parse_scheduler(&s, &sc);
	assert_true(sc.has_run_queue);
	assert_int_equal(sc.run_queue_normal, 7);
	assert_int_equal(sc.run_queue_high, 1);
	assert_int_equal(sc.run_queue_port, 2);
	assert_true(bd_slice_eq(sc.current_process, "<0.9.0>"));
	bd_section_get(d, 2, &s);
	bd_parse_port(&s, &port);
	assert_true(bd_slice_eq(port.controls, "external process: cat"));
	assert_true(bd_slice_eq(port.links, "<0.61.0><0.100.0>"));
	assert_int_equal(port.input, 10);
	assert_int_equal(port.output, 20);
	assert_int_equal(port.queue, 30);
	bd_section_get(d, 3, &s);
	bd_parse_timer(&s, &timer);
	assert_int_equal(timer.time_left_ms, 3599957);
	assert_true(bd_slice_eq(timer.message, "hello"));
	bd_dump_free(d);
}

static void allocators_of_both_key_forms_sum_per_type(void **state)
{
	struct bd_alloc_type t[4];
	size_t n = 0;
	struct bd_section s;
	struct bd_dump *d = bd_test_open_text(
		PRE "=allocator:binary_alloc[0]\nversions: 0.9 3.0\n"
		"mbcs blocks[sys_alloc] count: 0 0 0\nmbcs blocks[binary_alloc] count: 4 5 6\n"
		"mbcs blocks[binary_alloc] size: 1000 2000 3000\nmbcs blocks[ets_alloc] size: 24 0 0\n"
		"mbcs carriers: 1 1 1\nmbcs carriers size: 4000 4000 4000\n"
		"sbcs blocks[binary_alloc] size: 100 100 100\nsbcs carriers size: 200 200 300\n"
		"=allocator:binary_alloc[1]\nmbcs blocks: 2 2 2\nmbcs blocks size: 500 600 700\n"
		"mbcs carriers: 1 1 1\nmbcs carriers size: 1000 1000 1000\n"
		"sbcs blocks size: 0 0 0\nsbcs carriers size: 0 0 0\n"
		"=allocator:sys_alloc\noption e: true\n=allocator:mseg_alloc[0]\nsegments: 1 1 1\n=end\n");

	(void)state;
	for (size_t i = 1; i < d->index.n - 1; i++) {
		bd_section_get(d, i, &s);
		n = bd_parse_allocator(&s, t, n, 4);
	}
	assert_int_equal(n, 1);
	assert_string_equal(t[0].name, "binary_alloc");
	assert_int_equal(t[0].instances, 2);
	assert_int_equal(t[0].mbcs_blocks, 1000 + 24 + 500);
	assert_int_equal(t[0].mbcs_carriers, 5000);
	assert_int_equal(t[0].sbcs_blocks, 100);
	assert_int_equal(t[0].sbcs_carriers, 200);
	assert_int_equal(t[0].mbcs_block_count, 6);
	assert_int_equal(t[0].carriers_max, 4000 + 300 + 1000);
	bd_dump_free(d);
}

static void number_parsers_reject_junk_and_overflow(void **state)
{
	uint64_t u;
	int64_t i;
	struct bd_pid pid;

	(void)state;
	assert_true(bd_parse_u64(BD_SLICE_LIT("18446744073709551615"), &u));
	assert_true(u == UINT64_MAX);
	assert_false(bd_parse_u64(BD_SLICE_LIT("18446744073709551616"), &u));
	assert_false(bd_parse_u64(BD_SLICE_LIT("12a"), &u));
	assert_false(bd_parse_u64(BD_SLICE_LIT(""), &u));
	assert_true(bd_parse_i64(BD_SLICE_LIT("-7"), &i));
	assert_int_equal(i, -7);
	assert_true(bd_parse_hex(BD_SLICE_LIT("7FB36E8AD458"), &u));
	assert_true(u == 0x7FB36E8AD458ull);
	assert_true(bd_parse_hex(BD_SLICE_LIT("0x00007fb36ff30e78"), &u));
	assert_false(bd_parse_hex(BD_SLICE_LIT("12345678901234567"), &u));
	assert_true(bd_parse_pid(BD_SLICE_LIT("<0.80.0>"), &pid));
	assert_int_equal(pid.num, 80);
	assert_true(bd_parse_pid(BD_SLICE_LIT("<8607.89.2>"), &pid));
	assert_int_equal(pid.node, 8607);
	assert_int_equal(pid.serial, 2);
	assert_false(bd_parse_pid(BD_SLICE_LIT("<0.80>"), &pid));
	assert_false(bd_parse_pid(BD_SLICE_LIT("<0.80.0.1>"), &pid));
	assert_int_equal(bd_parse_u64_prefix(BD_SLICE_LIT("3599957 ms")), 3599957);
}

/* Where each field of struct bd_proc is, for comparing one field at a time. */
#define AT(f, member) [BD_PF_##f] = { offsetof(struct bd_proc, member), sizeof(((struct bd_proc *)0)->member) }
static const struct {
	size_t off, size;
} field_at[BD_PF__COUNT] = {
	AT(STATE, state), AT(NAME, name), AT(SPAWNED_AS, spawned_as),
	AT(CURRENT_CALL, current_call), AT(SPAWNED_BY, spawned_by), AT(STARTED, started),
	AT(LINK_LIST, link_list), AT(PROGRAM_COUNTER, program_counter), AT(CP, cp),
	AT(INTERNAL_STATE, internal_state), AT(APPLICATION, application),
	AT(MESSAGE_QUEUE_LEN, message_queue_len), AT(HEAP_FRAGMENTS, heap_fragments),
	AT(HEAP_FRAGMENT_WORDS, heap_fragment_words), AT(REDUCTIONS, reductions),
	AT(STACK_HEAP, stack_heap_words), AT(OLD_HEAP, old_heap_words),
	AT(HEAP_UNUSED, heap_unused_words), AT(OLD_HEAP_UNUSED, old_heap_unused_words),
	AT(BIN_VHEAP, bin_vheap_words), AT(OLD_BIN_VHEAP, old_bin_vheap_words),
	AT(BIN_VHEAP_UNUSED, bin_vheap_unused_words),
	AT(OLD_BIN_VHEAP_UNUSED, old_bin_vheap_unused_words), AT(MEMORY, memory_bytes),
	AT(ARITY, arity), AT(STACK_WORDS, stack_words), AT(WINDOW_REDUCTIONS, window_reductions),
};
#undef AT

/* A fresh parse with the fields of mask copied from full: what asking for mask must give. */
static void expect(const struct bd_section *s, const struct bd_proc *full, uint64_t mask,
		   struct bd_proc *out)
{
	bd_parse_proc_fields(s, 0, out);
	for (int f = 0; f < BD_PF__COUNT; f++) {
		if (!(mask & BD_PF_BIT(f)))
			continue;
		memcpy((char *)out + field_at[f].off, (const char *)full + field_at[f].off,
		       field_at[f].size);
		if (f == BD_PF_CP)
			out->has_cp = full->has_cp;
		if (f == BD_PF_BIN_VHEAP)
			out->has_bin_vheap = full->has_bin_vheap;
	}
}

/*
 * Asking for some fields reads them exactly as the full parse does and
 * leaves every other one as a fresh parse does: each field alone, the
 * masks the reports use, on dumps of every era and on a snapshot.
 */
static void each_field_alone_reads_as_the_full_parse(void **state)
{
	static const char *const fixtures[] = { "basic.dump.gz", "snapshot_small.bdsnap" };
	static const char *const real[] = { "pre-r10b_emu5.1_yaws.dump",
					    "r11b_erts5.5.5_32bit_code_completion.dump",
					    "r15b01_erts5.9.1_kadmin.dump",
					    "otp20_erts9.0_tsung.dump",
					    "otp28_erts16.3_elixir_54procs.dump.gz" };
	const uint64_t masks[] = {
		BD_PF_BIT(BD_PF_NAME) | BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN) |
			BD_PF_BIT(BD_PF_STACK_HEAP) | BD_PF_BIT(BD_PF_OLD_HEAP) |
			BD_PF_BIT(BD_PF_BIN_VHEAP) | BD_PF_BIT(BD_PF_OLD_BIN_VHEAP),
		BD_PF_BIT(BD_PF_SPAWNED_AS) | BD_PF_BIT(BD_PF_CURRENT_CALL) |
			BD_PF_BIT(BD_PF_PROGRAM_COUNTER) | BD_PF_BIT(BD_PF_STACK_HEAP) |
			BD_PF_BIT(BD_PF_OLD_HEAP),
		BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN) | BD_PF_BIT(BD_PF_REDUCTIONS) |
			BD_PF_BIT(BD_PF_STACK_WORDS) | BD_PF_BIT(BD_PF_WINDOW_REDUCTIONS),
		BD_PF_ALL,
	};
	size_t procs = 0, dumps = 0;

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(fixtures) + BD_ARRAY_SIZE(real); k++) {
		struct bd_dump *d = k < BD_ARRAY_SIZE(fixtures)
					    ? bd_test_open_fixture(fixtures[k])
					    : bd_test_open_real(real[k - BD_ARRAY_SIZE(fixtures)]);
		if (!d)
			continue;
		dumps++;
		for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
		     i = bd_section_find(d, BD_SECT_PROC, i + 1), procs++) {
			struct bd_section s;
			struct bd_proc full, got, want;
			bd_section_get(d, i, &s);
			bd_parse_proc(&s, &full);
			for (int f = 0; f < BD_PF__COUNT; f++) {
				bd_parse_proc_fields(&s, BD_PF_BIT(f), &got);
				expect(&s, &full, BD_PF_BIT(f), &want);
				if (memcmp(&got, &want, sizeof(got)) != 0)
					fail_msg("field %d of %.*s differs", f, (int)s.id.len, s.id.ptr);
			}
			for (size_t m = 0; m < BD_ARRAY_SIZE(masks); m++) {
				bd_parse_proc_fields(&s, masks[m], &got);
				expect(&s, &full, masks[m], &want);
				assert_memory_equal(&got, &want, sizeof(got));
			}
			/* Memory, else (before dump 0.2) the heap sizes for the estimate */
			bd_parse_proc_fields(&s, BD_PF_MEMORY_ALL, &got);
			assert_int_equal(bd_proc_memory(&got, d, NULL), bd_proc_memory(&full, d, NULL));
		}
		bd_dump_free(d);
	}
	assert_true(dumps >= 2);
	assert_true(procs >= 53);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_keys_are_read_by_name_with_units),
		cmocka_unit_test(each_field_alone_reads_as_the_full_parse),
		cmocka_unit_test(old_proc_without_memory_gets_an_estimate_from_words),
		cmocka_unit_test(atom_text_strips_quotes_and_escapes),
		cmocka_unit_test(ets_tables_of_both_eras_are_read),
		cmocka_unit_test(ports_timers_and_schedulers_are_read),
		cmocka_unit_test(allocators_of_both_key_forms_sum_per_type),
		cmocka_unit_test(number_parsers_reject_junk_and_overflow),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
