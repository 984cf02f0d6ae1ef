/* Section index, preamble and truncation (crash-dump-format.md 1.1-1.5). */
#include "bd_test.h"

#define PREAMBLE                                                                 \
	"=erl_crash_dump:0.5\n"                                                  \
	"Sun Nov 29 16:20:08 2026\n"                                             \
	"Slogan: halted\n"                                                       \
	"System version: Erlang/OTP 25 [erts-13.1.5] [source] [64-bit] [smp:2:2]\n" \
	"Taints: \n"                                                             \
	"Atoms: 8776\n"                                                          \
	"Calling Thread: scheduler:1\n"

static size_t count_kind(const struct bd_dump *d, enum bd_sect kind)
{
	return d->index.count[kind];
}

static void index_finds_every_section_with_its_id(void **state)
{
	struct bd_dump *d = bd_test_open_text(PREAMBLE
					      "=memory\ntotal: 100\n"
					      "=proc:<0.0.0>\nState: Waiting\n"
					      "=proc:<0.1.0>\nState: Running\n"
					      "=ets:<0.1.0>\nObjects: 1\n"
					      "=ets:<0.1.0>\nObjects: 2\n"
					      "=hash_table:export_list\nsize: 1\n"
					      "=hash_table:export_list\nsize: 2\n"
					      "=end\n");
	struct bd_section s;

	(void)state;
	assert_int_equal(d->index.n, 9);
	assert_int_equal(count_kind(d, BD_SECT_PROC), 2);
	assert_int_equal(count_kind(d, BD_SECT_ETS), 2);
	assert_int_equal(count_kind(d, BD_SECT_HASH_TABLE), 2);
	bd_section_get(d, 2, &s);
	assert_int_equal(s.kind, BD_SECT_PROC);
	assert_true(bd_slice_eq(s.id, "<0.0.0>"));
	assert_true(bd_slice_eq(s.body, "State: Waiting\n"));
	assert_false(bd_dump_info(d)->truncated);
	assert_int_equal(bd_dump_n_diagnostics(d), 0);
	bd_dump_free(d);
}

static void preamble_gives_versions_word_size_and_slogan(void **state)
{
	struct bd_dump *d = bd_test_open_text(PREAMBLE "=end\n");
	const struct bd_dump_info *in = bd_dump_info(d);

	(void)state;
	assert_string_equal(in->dump_version, "0.5");
	assert_int_equal(in->version_major, 0);
	assert_int_equal(in->version_minor, 5);
	assert_string_equal(in->time, "Sun Nov 29 16:20:08 2026");
	assert_string_equal(in->slogan, "halted");
	assert_string_equal(in->otp_release, "25");
	assert_string_equal(in->erts_version, "13.1.5");
	assert_int_equal(in->word_size, 8);
	assert_string_equal(in->taints, "");
	assert_int_equal(in->atoms, 8776);
	assert_string_equal(in->calling_thread, "scheduler:1");
	bd_dump_free(d);
}

static void multi_line_slogan_keeps_lines_even_those_starting_with_equals(void **state)
{
	struct bd_dump *d = bd_test_open_text("=erl_crash_dump:0.5\nSun Nov 29 16:20:08 2026\n"
					      "Slogan: first\n=proc:<0.1.0>\nthird\n"
					      "System version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n"
					      "=end\n");

	(void)state;
	assert_string_equal(bd_dump_info(d)->slogan, "first\n=proc:<0.1.0>\nthird");
	assert_int_equal(count_kind(d, BD_SECT_PROC), 0);
	assert_int_equal(d->index.n, 2);
	bd_dump_free(d);
}

static void break_menu_slogan_glued_to_system_version_is_split(void **state)
{
	struct bd_dump *d = bd_test_open_text(
		"=erl_crash_dump:0.5\nMon Jun 22 17:21:02 2020\n"
		"Slogan: Crash dump requested by userSystem version: Erlang/OTP 23 [erts-11.0.2] [64-bit]\n"
		"Compiled: Tue May 12 2020\nAtoms: 12956\nCalling Thread: aux\n=end\n");
	const struct bd_dump_info *in = bd_dump_info(d);

	(void)state;
	assert_string_equal(in->slogan, "Crash dump requested by user");
	assert_string_equal(in->system_version, "Erlang/OTP 23 [erts-11.0.2] [64-bit]");
	assert_string_equal(in->otp_release, "23");
	assert_int_equal(in->word_size, 8);
	assert_int_equal(in->atoms, 12956);
	bd_dump_free(d);
}

static void old_releases_get_release_and_32_bit_word_size(void **state)
{
	struct bd_dump *r11 = bd_test_open_text(
		"=erl_crash_dump:0.1\nSun Apr 13 22:21:02 2008\nSlogan: x\n"
		"System version: Erlang (BEAM) emulator version 5.5.5 [source] [hipe]\n=end\n");
	struct bd_dump *r15 = bd_test_open_text(
		"=erl_crash_dump:0.1\nx\nSlogan: x\n"
		"System version: Erlang R15B01 (erts-5.9.1) [source] [64-bit]\n=end\n");

	(void)state;
	assert_string_equal(bd_dump_info(r11)->otp_release, "R11B");
	assert_string_equal(bd_dump_info(r11)->erts_version, "5.5.5");
	assert_int_equal(bd_dump_info(r11)->word_size, 4);
	assert_true(r11->old_stack_layout);
	assert_string_equal(bd_dump_info(r15)->otp_release, "R15B01");
	assert_string_equal(bd_dump_info(r15)->erts_version, "5.9.1");
	assert_int_equal(bd_dump_info(r15)->word_size, 8);
	bd_dump_free(r11);
	bd_dump_free(r15);
}

static void crlf_line_ends_are_stripped(void **state)
{
	struct bd_dump *d = bd_test_open_text(
		"=erl_crash_dump:0.5\r\nWed Dec 04 23:40:49 2019\r\nSlogan: boom\r\n"
		"System version: Erlang/OTP 22 [erts-10.4] [64-bit]\r\nAtoms: 5\r\n"
		"=proc:<0.0.0>\r\nState: Waiting\r\n=end\r\n");
	struct bd_section s;

	(void)state;
	assert_string_equal(bd_dump_info(d)->slogan, "boom");
	assert_string_equal(bd_dump_info(d)->time, "Wed Dec 04 23:40:49 2019");
	assert_int_equal(bd_dump_info(d)->atoms, 5);
	bd_section_get(d, 1, &s);
	assert_true(bd_slice_eq(s.id, "<0.0.0>"));
	assert_false(bd_dump_info(d)->truncated);
	bd_dump_free(d);
}

static void abort_marker_gives_reason_and_section(void **state)
{
	struct bd_dump *d = bd_test_open_text(PREAMBLE "=proc:<0.0.0>\nState: Waiting\n"
					      "=proc_heap:<0.0.0>\n7F00:lI\n"
					      "=abort:CRASH DUMP SIZE LIMIT REACHED\n");
	const struct bd_dump_info *in = bd_dump_info(d);

	(void)state;
	assert_true(in->truncated);
	assert_string_equal(in->truncation_reason, "CRASH DUMP SIZE LIMIT REACHED");
	assert_string_equal(in->truncated_in, "=proc_heap:<0.0.0>");
	assert_int_equal(count_kind(d, BD_SECT_PROC), 1);
	assert_true(bd_dump_n_diagnostics(d) >= 1);
	bd_dump_free(d);
}

static void file_cut_mid_line_is_truncated(void **state)
{
	struct bd_dump *d = bd_test_open_text(PREAMBLE "=proc:<0.0.0>\nState: Wai");
	const struct bd_dump_info *in = bd_dump_info(d);
	struct bd_section s;

	(void)state;
	assert_true(in->truncated);
	assert_non_null(strstr(in->truncation_reason, "middle of a line"));
	assert_string_equal(in->truncated_in, "=proc:<0.0.0>");
	bd_section_get(d, 1, &s);
	assert_true(s.last);
	bd_dump_free(d);
}

static void file_stopping_at_64k_boundary_is_truncated(void **state)
{
	size_t len = 65536;
	char *text = malloc(len + 1);
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	(void)state;
	memset(text, 'x', len);
	memcpy(text, PREAMBLE "=proc_heap:<0.0.0>\n", strlen(PREAMBLE "=proc_heap:<0.0.0>\n"));
	text[len - 1] = '\n';
	assert_int_equal(bd_dump_open_mem(&d, text, len, "t", &err), BD_OK);
	assert_true(bd_dump_info(d)->truncated);
	assert_non_null(strstr(bd_dump_info(d)->truncation_reason, "64 KiB"));
	bd_dump_free(d);
	free(text);
}

static void unknown_tags_are_kept_and_diagnosed(void **state)
{
	struct bd_dump *d = bd_test_open_text(PREAMBLE "=future_thing:42\nx: 1\n=end\n");

	(void)state;
	assert_int_equal(count_kind(d, BD_SECT_UNKNOWN), 1);
	assert_int_equal(bd_dump_n_diagnostics(d), 1);
	assert_non_null(strstr(bd_dump_diagnostic(d, 0)->message, "future_thing"));
	assert_string_equal(bd_dump_diagnostic(d, 0)->section, "=future_thing:42");
	assert_false(bd_dump_info(d)->truncated);
	bd_dump_free(d);
}

static void equals_inside_heap_lines_is_not_a_header(void **state)
{
	struct bd_dump *d = bd_test_open_text(PREAMBLE "=proc_heap:<0.0.0>\n"
					      "7F00:Yh3:dGE=\n7F10:E20:g3F3DWxvZ2dlcl9zZXJ2ZXJ3C2hhbmRsZV9pbmZvYQI=\n"
					      "=end\n");

	(void)state;
	assert_int_equal(d->index.n, 3);
	bd_dump_free(d);
}

static void newer_dump_versions_are_read_with_a_warning(void **state)
{
	struct bd_dump *d = bd_test_open_text("=erl_crash_dump:0.6\nx\nSlogan: s\n"
					      "System version: Erlang/OTP 30 [erts-18.0] [64-bit]\n=end\n");

	(void)state;
	assert_int_equal(bd_dump_info(d)->version_minor, 6);
	assert_int_equal(bd_dump_n_diagnostics(d), 1);
	assert_string_equal(bd_dump_info(d)->otp_release, "30");
	bd_dump_free(d);
}

static void expect_not_a_dump(const char *data, size_t len, const char *what)
{
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	assert_int_equal(bd_dump_open_mem(&d, data, len, "x", &err), BD_EFORMAT);
	assert_null(d);
	assert_non_null(strstr(err.msg, what));
}

static void inputs_that_are_not_dumps_are_rejected_clearly(void **state)
{
	static const char enc[] = "ENC0\x01\x02\x03";
	static const unsigned char junk[] = { 0x7f, 'E', 'L', 'F', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
					      10, 11, 12, 13, 14 };

	(void)state;
	expect_not_a_dump("", 0, "empty");
	expect_not_a_dump("<Erlang crash dump>\nSlogan: x\n", 29, "pre-R10B");
	expect_not_a_dump(enc, sizeof(enc) - 1, "encrypted");
	expect_not_a_dump((const char *)junk, sizeof(junk), "not an Erlang crash dump");
}

static void fixture_process_count_matches_the_live_node(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	char path[1024];
	char line[512];
	unsigned long live_procs = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/basic.live", BD_FIXTURES);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "processes %lu", &live_procs) == 1)
			break;
	fclose(f);
	assert_true(live_procs > 0);
	assert_int_equal(d->index.count[BD_SECT_PROC], live_procs);
	assert_true(bd_dump_info(d)->gzipped);
	assert_false(bd_dump_info(d)->truncated);
	bd_dump_free(d);
}

static void missing_file_is_an_io_error(void **state)
{
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	(void)state;
	assert_int_equal(bd_dump_open(&d, "/nonexistent/erl_crash.dump", NULL, &err), BD_EIO);
	assert_int_not_equal(err.sys_errno, 0);
}

static void directory_is_not_a_dump(void **state)
{
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	(void)state;
	assert_int_equal(bd_dump_open(&d, BD_FIXTURES, NULL, &err), BD_EFORMAT);
	assert_non_null(strstr(err.msg, "directory"));
}

/* The export table's size under both of its names (OTP 28 renamed it), and neither. */
static void export_count_under_both_table_names(void **state)
{
	static const struct {
		const char *dump;
		uint64_t exports;  /* `entries:` of its =index_table */
	} real[] = {
		{ "otp27_erts15.2_cdv_cli_simple.dump.gz", 3466 },   /* export_list */
		{ "otp28_erts16.3_elixir_54procs.dump.gz", 6667 },   /* export_staged_index */
		{ "r11b_erts5.5.5_32bit_code_completion.dump", 2251 },
	};
	struct bd_dump *d = bd_test_open_text(PREAMBLE
					      "=index_table:atom_tab\nlimit: 1048576\nentries: 8776\n"
					      "=index_table:fun_staged_index\nentries: 900\n"
					      "=end\n");

	(void)state;
	assert_int_equal(d->atom_entries, 8776);
	assert_int_equal(d->export_entries, 0);
	bd_dump_free(d);
	for (size_t k = 0; k < BD_ARRAY_SIZE(real); k++) {
		d = bd_test_open_real(real[k].dump);
		if (!d)
			continue;
		assert_int_equal(d->export_entries, real[k].exports);
		bd_dump_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index_finds_every_section_with_its_id),
		cmocka_unit_test(preamble_gives_versions_word_size_and_slogan),
		cmocka_unit_test(multi_line_slogan_keeps_lines_even_those_starting_with_equals),
		cmocka_unit_test(break_menu_slogan_glued_to_system_version_is_split),
		cmocka_unit_test(old_releases_get_release_and_32_bit_word_size),
		cmocka_unit_test(crlf_line_ends_are_stripped),
		cmocka_unit_test(abort_marker_gives_reason_and_section),
		cmocka_unit_test(file_cut_mid_line_is_truncated),
		cmocka_unit_test(file_stopping_at_64k_boundary_is_truncated),
		cmocka_unit_test(unknown_tags_are_kept_and_diagnosed),
		cmocka_unit_test(equals_inside_heap_lines_is_not_a_header),
		cmocka_unit_test(newer_dump_versions_are_read_with_a_warning),
		cmocka_unit_test(inputs_that_are_not_dumps_are_rejected_clearly),
		cmocka_unit_test(fixture_process_count_matches_the_live_node),
		cmocka_unit_test(missing_file_is_an_io_error),
		cmocka_unit_test(directory_is_not_a_dump),
		cmocka_unit_test(export_count_under_both_table_names),
	};

	return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
