/*
 * Unit tests of the JSON reader (src/util/json.c) and of the check rules
 * it feeds (src/analyze/rules.c): values, escapes, errors with offsets,
 * limits; rule values, suffixes and rules files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/rules.h"
#include "util/json.h"

static enum bd_status parse(struct bd_arena *a, const char *text, struct bd_json **out,
			    struct bd_error *err)
{
	memset(err, 0, sizeof(*err));
	return bd_json_parse(a, text, strlen(text), out, err);
}

static void test_values(void **state)
{
	struct bd_arena a;
	struct bd_json *j;
	struct bd_error err;
	(void)state;

	bd_arena_init(&a);
	assert_int_equal(parse(&a, " {\"a\": [1, -2, 2.5, 18446744073709551615], \"b\": "
				   "\"x\\n\\u00e9\\ud83d\\ude00\", \"c\": true, \"d\": null} ",
			       &j, &err), BD_OK);
	assert_int_equal(j->type, BD_JSON_OBJ);
	assert_int_equal(j->n, 4);
	const struct bd_json *arr = bd_json_get(j, "a");
	assert_non_null(arr);
	assert_int_equal(arr->n, 4);
	assert_true(arr->first->is_uint);
	assert_int_equal(arr->first->u, 1);
	assert_false(arr->first->next->is_uint);
	assert_true(arr->first->next->num == -2.0);
	assert_true(arr->first->next->next->num == 2.5);
	assert_true(arr->first->next->next->next->u == UINT64_MAX);
	const struct bd_json *b = bd_json_get(j, "b");
	assert_string_equal(b->str, "x\n\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(b->len, 8);
	assert_true(bd_json_get(j, "c")->b);
	assert_int_equal(bd_json_get(j, "d")->type, BD_JSON_NULL);
	assert_null(bd_json_get(j, "e"));
	bd_arena_release(&a);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		enum bd_status rc;
		uint64_t offset;
	} bad[] = {
		{ "", BD_EFORMAT, 0 },
		{ "{\"a\": 1,}", BD_EFORMAT, 8 },
		{ "[1 2]", BD_EFORMAT, 3 },
		{ "\"abc", BD_EFORMAT, 4 },
		{ "\"a\tb\"", BD_EFORMAT, 2 },
		{ "\"\\x\"", BD_EFORMAT, 2 },
		{ "\"\\u12g4\"", BD_EFORMAT, 6 },
		{ "tru", BD_EFORMAT, 0 },
		{ "{} x", BD_EFORMAT, 3 },
		{ "-", BD_EFORMAT, 1 },
		{ "1e", BD_EFORMAT, 2 },
		{ "{1: 2}", BD_EFORMAT, 1 },
	};
	struct bd_arena a;
	struct bd_json *j;
	struct bd_error err;
	(void)state;

	bd_arena_init(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&a, bad[i].text, &j, &err), bad[i].rc);
		assert_null(j);
		assert_int_equal(err.offset, bad[i].offset);
		assert_true(err.msg[0] != '\0');
	}
	bd_arena_release(&a);
}

static void test_depth_limit(void **state)
{
	struct bd_arena a;
	struct bd_json *j;
	struct bd_error err;
	char deep[1200];
	(void)state;

	memset(deep, '[', 600);
	memset(deep + 600, ']', 600);
	deep[sizeof(deep) - 1] = '\0';
	deep[599] = '1';
	bd_arena_init(&a);
	assert_int_equal(parse(&a, deep, &j, &err), BD_ELIMIT);
	/* 256 levels are fine */
	memset(deep, 0, sizeof(deep));
	memset(deep, '[', 256);
	memset(deep + 256, ']', 256);
	assert_int_equal(parse(&a, deep, &j, &err), BD_OK);
	bd_arena_release(&a);
}

static void test_rules_values(void **state)
{
	struct bd_check_rules *r;
	struct bd_error err;
	(void)state;

	memset(&err, 0, sizeof(err));
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_false(r->any);
	assert_int_equal(bd_check_rules_set(r, "max_pinned", "100M", NULL, &err), BD_OK);
	assert_int_equal(r->max_pinned, 100ull << 20);
	assert_int_equal(bd_check_rules_set(r, "max_ets", "2GiB", NULL, &err), BD_OK);
	assert_int_equal(r->max_ets, 2ull << 30);
	assert_int_equal(bd_check_rules_set(r, "max_state", "512k", NULL, &err), BD_OK);
	assert_int_equal(r->max_state, 512ull << 10);
	assert_int_equal(bd_check_rules_set(r, "max_queue", "10000", NULL, &err), BD_OK);
	assert_int_equal(r->max_queue, 10000);
	assert_int_equal(bd_check_rules_set(r, "max_queue", "10K", NULL, &err), BD_EUSAGE);
	assert_int_equal(bd_check_rules_set(r, "max_memory", "-1", NULL, &err), BD_EUSAGE);
	assert_int_equal(bd_check_rules_set(r, "max_memory", "99999999999G", NULL, &err),
			 BD_EUSAGE);
	assert_int_equal(bd_check_rules_set(r, "max_growth.binary", "20%", NULL, &err), BD_OK);
	assert_true(r->max_growth[BD_MEM_BINARY] == 20.0);
	assert_int_equal(bd_check_rules_set(r, "max_growth.process", "7.5", NULL, &err), BD_OK);
	assert_true(r->max_growth[BD_GROWTH_PROCESS] == 7.5);
	assert_int_equal(bd_check_rules_set(r, "max_growth.heap", "5", NULL, &err), BD_EUSAGE);
	assert_int_equal(bd_check_rules_set(r, "fail_on", "HIGH", NULL, &err), BD_OK);
	assert_int_equal(r->fail_on, BD_SEV_HIGH);
	assert_int_equal(bd_check_rules_set(r, "fail_on", "severe", NULL, &err), BD_EUSAGE);
	assert_int_equal(bd_check_rules_set(r, "match", "(", NULL, &err), BD_EUSAGE);
	assert_int_equal(bd_check_rules_set(r, "allow", "mailbox", "known", &err), BD_OK);
	assert_true(bd_rules_allowed(r, "mailbox"));
	assert_false(bd_rules_allowed(r, "deadlock"));
	assert_int_equal(bd_check_rules_set(r, "max_speed", "1", NULL, &err), BD_EUSAGE);
	assert_true(r->any);
	bd_check_rules_free(r);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_rules_files(void **state)
{
	char path[] = "/tmp/bd-rules-XXXXXX";
	int fd = mkstemp(path);
	struct bd_check_rules *r;
	struct bd_error err;
	(void)state;

	assert_true(fd >= 0);
	close(fd);
	memset(&err, 0, sizeof(err));
	write_file(path, "# CI rules\nno_deadlocks = true\nmax_growth.ets = 50%  # tables\n\n"
			 "# queues of the importer are expected\nallow = mailbox\n"
			 "allow = blocked_chain # the importer's callers\n");
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_int_equal(bd_check_rules_load(r, path, &err), BD_OK);
	assert_true(r->no_deadlocks);
	assert_true(r->max_growth[BD_MEM_ETS] == 50.0);
	assert_int_equal(r->n_allow, 2);
	assert_string_equal(r->allow[0].why, "queues of the importer are expected");
	assert_string_equal(r->allow[1].why, "the importer's callers");
	bd_check_rules_free(r);

	/* an allow without a reason, a line without '=' */
	write_file(path, "max_queue = 5\n\nallow = mailbox\n");
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_int_equal(bd_check_rules_load(r, path, &err), BD_EUSAGE);
	assert_non_null(strstr(err.msg, "line 3"));
	bd_check_rules_free(r);
	write_file(path, "max_queue 5\n");
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_int_equal(bd_check_rules_load(r, path, &err), BD_EUSAGE);
	assert_non_null(strstr(err.msg, "line 1"));
	bd_check_rules_free(r);

	/* JSON: nested categories, numbers, allow as kind: why */
	write_file(path, "{\"max_queue\": 100, \"max_growth\": {\"binary\": \"20%\", \"atom\": 5},"
			 " \"no_deadlocks\": true, \"allow\": {\"mailbox\": \"expected\"}}");
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_int_equal(bd_check_rules_load(r, path, &err), BD_OK);
	assert_int_equal(r->max_queue, 100);
	assert_true(r->max_growth[BD_MEM_BINARY] == 20.0);
	assert_true(r->max_growth[BD_MEM_ATOM] == 5.0);
	assert_true(r->no_deadlocks);
	assert_string_equal(r->allow[0].why, "expected");
	bd_check_rules_free(r);
	write_file(path, "{\"allow\": [\"mailbox\"]}");
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_int_equal(bd_check_rules_load(r, path, &err), BD_EUSAGE);
	bd_check_rules_free(r);
	write_file(path, "{\"max_queue\": ");
	assert_int_equal(bd_check_rules_new(&r, &err), BD_OK);
	assert_int_equal(bd_check_rules_load(r, path, &err), BD_EUSAGE);
	bd_check_rules_free(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_rules_values),
		cmocka_unit_test(test_rules_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
