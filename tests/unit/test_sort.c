/*
 * Unit tests of bd_sort_keys (src/util/sort.c): the radix sort orders by
 * the whole 64-bit key and keeps equal keys in their first order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "bd.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Ordered by key; equal keys in the order of `at` (their first order). */
static void assert_sorted_stably(const struct bd_sort_key *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		assert_true(v[i - 1].key <= v[i].key);
		if (v[i - 1].key == v[i].key)
			assert_true(v[i - 1].at < v[i].at);
	}
}

static void sort_and_check(uint64_t (*make)(size_t i), size_t n)
{
	struct bd_sort_key *v = calloc(n + 1, sizeof(*v));
	uint64_t sum = 0;

	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		v[i] = (struct bd_sort_key){ make(i), i };
		sum += v[i].key;
	}
	assert_true(bd_sort_keys(v, n));
	assert_sorted_stably(v, n);
	for (size_t i = 0; i < n; i++)
		sum -= v[i].key;
	assert_int_equal(sum, 0);
	free(v);
}

static uint64_t any_bits(size_t i)
{
	(void)i;
	return next_rand();
}

/* Pids of a large node: serial above number, as the capture keys them. */
static uint64_t pid_like(size_t i)
{
	uint64_t serial = (i * 7) % 11, number = (i * 40503u) % 32768u;
	return serial << 32 | number;
}

static uint64_t few_values(size_t i)
{
	(void)i;
	return (next_rand() % 5) << 60 | (next_rand() % 3);
}

static uint64_t descending(size_t i)
{
	return UINT64_MAX - i;
}

static uint64_t all_equal(size_t i)
{
	(void)i;
	return 42;
}

static void orders_by_the_whole_key(void **state)
{
	(void)state;
	sort_and_check(any_bits, 5000);
	sort_and_check(pid_like, 100000);
	sort_and_check(descending, 3000);
}

static void keeps_equal_keys_in_their_first_order(void **state)
{
	(void)state;
	sort_and_check(few_values, 20000);
	sort_and_check(all_equal, 1000);
}

static void small_arrays(void **state)
{
	struct bd_sort_key one = { 7, 0 };
	struct bd_sort_key two[2] = { { 9, 0 }, { 1, 1 } };

	(void)state;
	assert_true(bd_sort_keys(NULL, 0));
	assert_true(bd_sort_keys(&one, 1));
	assert_int_equal(one.key, 7);
	assert_true(bd_sort_keys(two, 2));
	assert_int_equal(two[0].key, 1);
	assert_int_equal(two[0].at, 1);
	assert_int_equal(two[1].key, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(orders_by_the_whole_key),
		cmocka_unit_test(keeps_equal_keys_in_their_first_order),
		cmocka_unit_test(small_arrays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
