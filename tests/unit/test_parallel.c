/*
 * Unit tests of bd_parallel and bd_part_start (src/util/parallel.c): every
 * part runs once whatever the thread count, and the parts of a range cover
 * it exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bd.h"

#define MAX_TEST_PARTS 40

struct runs {
	int count[MAX_TEST_PARTS];
};

static void count_part(void *ctx, size_t part)
{
	struct runs *r = ctx;

	r->count[part]++; /* each part writes only its own slot */
}

static void every_part_runs_once_on_any_thread_count(void **state)
{
	(void)state;
	for (unsigned threads = 0; threads <= 9; threads++) {
		for (size_t n = 0; n <= MAX_TEST_PARTS; n++) {
			struct runs r;
			memset(&r, 0, sizeof(r));
			bd_parallel(n, threads, count_part, &r);
			for (size_t i = 0; i < MAX_TEST_PARTS; i++)
				assert_int_equal(r.count[i], i < n ? 1 : 0);
		}
	}
}

static void more_threads_than_the_cap_still_run_every_part(void **state)
{
	struct runs r;

	(void)state;
	memset(&r, 0, sizeof(r));
	bd_parallel(MAX_TEST_PARTS, 1000, count_part, &r);
	for (size_t i = 0; i < MAX_TEST_PARTS; i++)
		assert_int_equal(r.count[i], 1);
}

static void parts_cover_a_range_in_order_without_gaps(void **state)
{
	static const size_t totals[] = { 0, 1, 7, 100, 4096, SIZE_MAX / 3, SIZE_MAX };

	(void)state;
	for (size_t t = 0; t < BD_ARRAY_SIZE(totals); t++) {
		for (size_t n = 1; n <= 9; n++) {
			assert_int_equal(bd_part_start(totals[t], 0, n), 0);
			assert_true(bd_part_start(totals[t], n, n) == totals[t]);
			for (size_t i = 0; i < n; i++) {
				size_t a = bd_part_start(totals[t], i, n);
				size_t b = bd_part_start(totals[t], i + 1, n);
				/* in order, and no part more than one item longer than another */
				assert_true(a <= b);
				assert_true(b - a - totals[t] / n <= 1);
			}
		}
	}
}

static void the_default_thread_count_is_between_one_and_the_cap(void **state)
{
	unsigned n = bd_threads_online();

	(void)state;
	assert_true(n >= 1 && n <= BD_THREADS_AUTO_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_part_runs_once_on_any_thread_count),
		cmocka_unit_test(more_threads_than_the_cap_still_run_every_part),
		cmocka_unit_test(parts_cover_a_range_in_order_without_gaps),
		cmocka_unit_test(the_default_thread_count_is_between_one_and_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
