/* Processes: stack frames in both layouts, links, behaviours and their states. */
#include "bd_test.h"

#include "analyze/analyze.h"
#include "term/process.h"

static void open_named(struct bd_dump *d, const char *name, struct bd_process *p)
{
	struct bd_error err = { 0 };
	struct bd_slice pid = bd_dump_find_name(d, bd_slice_make(name, strlen(name)));

	if (!pid.len)
		fail_msg("no process named %s", name);
	assert_int_equal(bd_process_open(p, d, pid, &err), BD_OK);
}

static uint64_t state_words(struct bd_process *p, struct bd_behaviour *b)
{
	struct bd_term_size sz;
	struct bd_error err = { 0 };

	assert_true(b->has_state);
	assert_int_equal(bd_term_size(&p->ctx, &b->state, &sz, &err), BD_OK);
	assert_int_equal(sz.n_missing, 0);
	return sz.flat_words;
}

static void gen_server_states_equal_the_live_flat_sizes(void **state)
{
	static const char *const servers[] = { "list_srv", "map_srv", "record_srv", "bin_srv",
					       "small_map_srv" };
	struct bd_dump *d = bd_test_open_fixture("states.dump.gz");

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(servers); i++) {
		struct bd_process p;
		struct bd_behaviour b;
		char key[128];
		open_named(d, servers[i], &p);
		bd_find_behaviour(&p, &b);
		assert_string_equal(b.kind, "gen_server");
		assert_true(bd_slice_eq(b.module, "fx_srv"));
		assert_false(b.hibernated);
		snprintf(key, sizeof(key), "flat_size %s_state", servers[i]);
		if (state_words(&p, &b) != bd_test_live_u64("states", key))
			fail_msg("%s: state is %llu words, the live node said %llu", servers[i],
				 (unsigned long long)state_words(&p, &b), (unsigned long long)bd_test_live_u64("states", key));
		/* idle servers sit in gen_server:loop, called from proc_lib */
		assert_true(bd_slice_starts(p.frames[0].function, "gen_server:loop/"));
		assert_true(bd_slice_starts(p.frames[1].function, "proc_lib:init_p_do_apply/"));
		bd_process_close(&p);
	}
	bd_dump_free(d);
}

static void hibernated_server_has_no_state_but_a_known_behaviour(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("states.dump.gz");
	struct bd_process p;
	struct bd_behaviour b;

	(void)state;
	open_named(d, "hib_srv", &p);
	bd_find_behaviour(&p, &b);
	assert_true(b.hibernated);
	assert_false(b.has_state);
	/* from '$initial_call' and the module's -behaviour attribute */
	assert_string_equal(b.kind, "gen_server");
	assert_true(bd_slice_eq(b.module, "fx_srv"));
	/* the upper bound covers the live state */
	assert_true(b.hibernated_heap_words >= bd_test_live_u64("states", "flat_size hib_srv_state"));
	bd_process_close(&p);
	bd_dump_free(d);
}

static void blocked_caller_frames_follow_the_call_chain(void **state)
{
	static const char *const chain[] = { "gen:do_call/4", "gen_server:call/3",
					     "fx_srv:handle_cast/2", "gen_server:try_dispatch/4",
					     "gen_server:handle_msg/6", "proc_lib:init_p_do_apply/3",
					     "<terminate process normally>" };
	struct bd_dump *d = bd_test_open_fixture("deadlock.dump.gz");
	struct bd_process p;
	struct bd_behaviour b;
	struct bd_link l;
	struct bd_slice rest;
	int monitors_to = 0;

	(void)state;
	open_named(d, "dl_a", &p);
	assert_int_equal(p.n_frames, BD_ARRAY_SIZE(chain));
	for (size_t i = 0; i < BD_ARRAY_SIZE(chain); i++)
		if (!bd_slice_eq(p.frames[i].function, chain[i]))
			fail_msg("frame %zu is %.*s, want %s", i, (int)p.frames[i].function.len,
				 p.frames[i].function.ptr, chain[i]);
	/* gen_server:call/3's frame: Timeout, Request, ServerRef, then its catch */
	const struct bd_frame *call = &p.frames[1];
	assert_int_equal(call->n, 4);
	assert_true(bd_elem_is_atom(&p.slots[call->first].elem, "infinity"));
	assert_true(bd_elem_is_atom(&p.slots[call->first + 2].elem, "dl_b"));
	assert_true(p.slots[call->first + 3].is_catch);
	/* the state is found in handle_msg/6 while a callback runs */
	bd_find_behaviour(&p, &b);
	assert_string_equal(b.kind, "gen_server");
	assert_true(bd_slice_eq(p.frames[b.frame].function, "gen_server:handle_msg/6"));
	assert_int_equal(state_words(&p, &b), bd_test_live_u64("deadlock", "flat_size dl_a_state"));
	/* its pending call shows as a monitor on the callee */
	rest = p.proc.link_list;
	while (bd_next_link(&rest, &l)) {
		if (l.kind == BD_MONITOR_TO) {
			monitors_to++;
			assert_true(bd_slice_eq(l.target, "<0.80.0>"));
			assert_true(bd_slice_starts(l.ref, "#Ref<"));
		}
	}
	assert_int_equal(monitors_to, 1);
	bd_process_close(&p);
	bd_dump_free(d);
}

static void gen_statem_data_is_its_state(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("deadlock.dump.gz");
	struct bd_process p;
	struct bd_behaviour b;

	(void)state;
	open_named(d, "sm_x", &p);
	bd_find_behaviour(&p, &b);
	assert_string_equal(b.kind, "gen_statem");
	assert_true(bd_slice_eq(b.module, "fx_statem"));
	assert_true(bd_elem_is_atom(&b.statem_state, "waiting"));
	assert_int_equal(state_words(&p, &b), bd_test_live_u64("deadlock", "flat_size sm_x_state"));
	bd_process_close(&p);
	bd_dump_free(d);
}

static void elixir_agent_and_genserver_states(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("states_elixir.dump.gz");
	struct bd_process p;
	struct bd_behaviour b;

	(void)state;
	open_named(d, "Elixir.St.Agent", &p);
	bd_find_behaviour(&p, &b);
	assert_true(bd_slice_eq(b.module, "Elixir.Agent.Server"));
	assert_int_equal(state_words(&p, &b), bd_test_live_u64("states_elixir", "flat_size St.Agent_state"));
	bd_process_close(&p);
	open_named(d, "'Elixir.St.Ledger'", &p);
	bd_find_behaviour(&p, &b);
	assert_true(bd_slice_eq(b.module, "Elixir.St.Ledger"));
	assert_int_equal(state_words(&p, &b), bd_test_live_u64("states_elixir", "flat_size St.Ledger_state"));
	bd_process_close(&p);
	bd_dump_free(d);
}

static void supervisors_report_their_callback_module(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("states.dump.gz");
	struct bd_process p;
	struct bd_behaviour b;

	(void)state;
	open_named(d, "kernel_sup", &p);
	bd_find_behaviour(&p, &b);
	assert_string_equal(b.kind, "supervisor");
	assert_true(bd_slice_eq(b.module, "kernel"));
	bd_process_close(&p);
	bd_dump_free(d);
}

#define PREAMBLE(sysver) \
	"=erl_crash_dump:0.5\nSun Nov 29 10:00:00 2026\nSlogan: t\nSystem version: " sysver "\n"

static void frame_layouts_of_old_and_new_releases(void **state)
{
	/* OTP 25 with frame pointers: the "unknown function" lines are not frames */
	static const char fp[] = PREAMBLE("Erlang/OTP 25 [erts-13.1.5] [64-bit]")
		"=proc:<0.9.0>\nState: Waiting\nProgram counter: 0x1 (m:f/1 + 4)\n"
		"=proc_stack:<0.9.0>\ny0:I1\n"
		"0x00007f0000000010:SReturn addr 0x10 (unknown function)\n"
		"0x00007f0000000018:SReturn addr 0x6FFCA16C (m:g/2 + 140)\ny0:I2\ny1:I3\n"
		"0x00007f0000000030:SReturn addr 0x6FE00C30 (<terminate process normally>)\n=end\n";
	/* OTP 19: the CP sits below the frame it returns from */
	static const char old[] = PREAMBLE("Erlang/OTP 19 [erts-8.2] [64-bit]")
		"=proc:<0.9.0>\nState: Waiting\nProgram counter: 0x1 (gen_server:loop/6 + 232)\n"
		"CP: 0x0 (proc_lib:init_p_do_apply/3 + 56)\n"
		"=proc_stack:<0.9.0>\n0x1:SReturn addr 0x1E806DC8 (proc_lib:init_p_do_apply/3 + 56)\n"
		"y0:N\ny1:A8:infinity\ny2:A3:rpc\ny3:I7\ny4:A3:rex\ny5:P<0.35.0>\n"
		"0x2:SReturn addr 0x133C94 (<terminate process normally>)\ny0:SCatch 0x1 (proc_lib:init_p_do_apply/3 + 80)\n=end\n";
	/* OTP 23: the top frame's slots are labelled by address */
	static const char otp23[] = PREAMBLE("Erlang/OTP 23 [erts-11.0.2] [64-bit]")
		"=proc:<0.9.0>\nState: Waiting\nProgram counter: 0x1 (m:f/1 + 4)\n"
		"=proc_stack:<0.9.0>\n0x00000000165cc240:I5\n0x00000000165cc248:I6\n"
		"0x00000000165cc250:SReturn addr 0x1356F178 (<terminate process normally>)\n=end\n";
	struct bd_process p;
	struct bd_error err = { 0 };
	struct bd_dump *d;

	(void)state;
	d = bd_test_open_text(fp);
	assert_int_equal(bd_process_open(&p, d, BD_SLICE_LIT("<0.9.0>"), &err), BD_OK);
	assert_int_equal(p.n_frames, 3);
	assert_true(bd_slice_eq(p.frames[0].function, "m:f/1"));
	assert_int_equal(p.frames[0].n, 1);
	assert_true(bd_slice_eq(p.frames[1].function, "m:g/2"));
	assert_int_equal(p.frames[1].n, 2);
	assert_int_equal(p.slots[p.frames[1].first].elem.small, 2);
	bd_process_close(&p);
	bd_dump_free(d);

	d = bd_test_open_text(old);
	assert_true(d->old_stack_layout);
	assert_int_equal(bd_process_open(&p, d, BD_SLICE_LIT("<0.9.0>"), &err), BD_OK);
	assert_int_equal(p.n_frames, 3);
	assert_true(bd_slice_eq(p.frames[0].function, "gen_server:loop/6"));
	assert_int_equal(p.frames[0].n, 6);
	assert_true(bd_slice_eq(p.frames[1].function, "proc_lib:init_p_do_apply/3"));
	assert_int_equal(p.frames[1].n, 1);
	assert_true(p.slots[p.frames[1].first].is_catch);
	struct bd_behaviour b;
	bd_find_behaviour(&p, &b);
	assert_string_equal(b.kind, "gen_server");
	assert_true(bd_slice_eq(b.module, "rpc"));
	assert_int_equal(b.state.kind, BD_ELEM_SMALL);
	assert_int_equal(b.state.small, 7);
	bd_process_close(&p);
	bd_dump_free(d);

	d = bd_test_open_text(otp23);
	assert_int_equal(bd_process_open(&p, d, BD_SLICE_LIT("<0.9.0>"), &err), BD_OK);
	assert_int_equal(p.n_frames, 2);
	assert_int_equal(p.frames[0].n, 2);
	assert_int_equal(p.slots[1].elem.small, 6);
	bd_process_close(&p);
	bd_dump_free(d);
}

static void link_lists_of_every_form(void **state)
{
	struct bd_slice rest = BD_SLICE_LIT(
		"[<0.49.0>, #Port<0.3>, {to,<0.57.0>,#Ref<0.1.2.3>}, "
		"{from,{prim_tty,tty},#Ref<0.2.3.4>}, {to,{logger,'a@b'},#Ref<0.5.6.7>}]");
	struct bd_link l;

	(void)state;
	assert_true(bd_next_link(&rest, &l));
	assert_int_equal(l.kind, BD_LINK);
	assert_true(bd_slice_eq(l.target, "<0.49.0>"));
	assert_true(bd_next_link(&rest, &l));
	assert_true(bd_slice_eq(l.target, "#Port<0.3>"));
	assert_true(bd_next_link(&rest, &l));
	assert_int_equal(l.kind, BD_MONITOR_TO);
	assert_true(bd_slice_eq(l.target, "<0.57.0>"));
	assert_true(bd_slice_eq(l.ref, "#Ref<0.1.2.3>"));
	assert_true(bd_next_link(&rest, &l));
	assert_int_equal(l.kind, BD_MONITOR_RESOURCE);
	assert_true(bd_slice_eq(l.target, "{prim_tty,tty}"));
	assert_true(bd_next_link(&rest, &l));
	assert_true(bd_slice_eq(l.target, "{logger,'a@b'}"));
	assert_false(bd_next_link(&rest, &l));
}

static void old_and_garbled_real_dumps_never_fail_to_open_processes(void **state)
{
	static const char *const dumps[] = {
		"r11b_erts5.5.5_32bit_code_completion.dump", "r15b01_erts5.9.1_kadmin.dump",
		"otp19_erts8.2_poxos.dump", "otp23_erts11.0.2_breakA_dist_game_server.dump.gz",
		"otp27_erts15.2_rabbitmq_109procs.dump.gz", "otp28_erts16.3_elixir_54procs.dump.gz",
	};

	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(dumps); k++) {
		char path[1024];
		struct bd_dump *d = NULL;
		struct bd_error err = { 0 };
		size_t servers = 0, loops = 0;
		snprintf(path, sizeof(path), "%s/%s", BD_REAL_DUMPS, dumps[k]);
		if (bd_dump_open(&d, path, NULL, &err) != BD_OK) {
			printf("# skipped %s (not present)\n", dumps[k]);
			continue;
		}
		for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
		     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
			struct bd_process p;
			struct bd_behaviour b;
			assert_int_equal(bd_process_open_at(&p, d, i, &err), BD_OK);
			bd_find_behaviour(&p, &b);
			if (bd_slice_starts(p.frames[0].function, "gen_server:loop/")) {
				loops++;
				/* every idle gen_server is found, with an atom module */
				if (!b.kind || !b.module.len)
					fail_msg("%s %.*s: idle gen_server without a state", dumps[k],
						 (int)p.pid.len, p.pid.ptr);
			}
			if (b.kind && b.has_state) {
				struct bd_term_size sz;
				assert_int_equal(bd_term_size(&p.ctx, &b.state, &sz, &err), BD_OK);
				servers++;
			}
			bd_process_close(&p);
		}
		assert_true(servers >= loops);
		bd_dump_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gen_server_states_equal_the_live_flat_sizes),
		cmocka_unit_test(hibernated_server_has_no_state_but_a_known_behaviour),
		cmocka_unit_test(blocked_caller_frames_follow_the_call_chain),
		cmocka_unit_test(gen_statem_data_is_its_state),
		cmocka_unit_test(elixir_agent_and_genserver_states),
		cmocka_unit_test(supervisors_report_their_callback_module),
		cmocka_unit_test(frame_layouts_of_old_and_new_releases),
		cmocka_unit_test(link_lists_of_every_form),
		cmocka_unit_test(old_and_garbled_real_dumps_never_fail_to_open_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
