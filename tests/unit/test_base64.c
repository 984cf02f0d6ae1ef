/*
 * Unit tests of the base64 and hex decoders (src/util/base64.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/base64.h"

/* A plain encoder, only to produce test input. */
static size_t encode(const uint8_t *src, size_t n, char *out, int pad)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, k = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | src[i + 1] << 8 | src[i + 2];

		out[k++] = abc[v >> 18];
		out[k++] = abc[v >> 12 & 63];
		out[k++] = abc[v >> 6 & 63];
		out[k++] = abc[v & 63];
	}
	if (n - i == 1) {
		out[k++] = abc[src[i] >> 2];
		out[k++] = abc[(src[i] & 3) << 4];
		if (pad) {
			out[k++] = '=';
			out[k++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)src[i] << 8 | src[i + 1];

		out[k++] = abc[v >> 10];
		out[k++] = abc[v >> 4 & 63];
		out[k++] = abc[(v & 15) << 2];
		if (pad)
			out[k++] = '=';
	}
	return k;
}

static void expect_decode(const char *in, const char *want)
{
	uint8_t out[64];
	size_t n = 99;

	assert_int_equal(bd_base64_decode(in, strlen(in), out, sizeof(out), &n),
			 BD_BASE64_OK);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
}

static void decodes_the_rfc4648_test_vectors(void **state)
{
	(void)state;
	expect_decode("", "");
	expect_decode("Zg==", "f");
	expect_decode("Zm8=", "fo");
	expect_decode("Zm9v", "foo");
	expect_decode("Zm9vYg==", "foob");
	expect_decode("Zm9vYmE=", "fooba");
	expect_decode("Zm9vYmFy", "foobar");
	/* crash-dump-format.md section 3.2: Yh3:dGFn is <<"tag">> */
	expect_decode("dGFn", "tag");
}

static void accepts_missing_padding(void **state)
{
	(void)state;
	expect_decode("Zg", "f");
	expect_decode("Zm8", "fo");
	expect_decode("Zm9vYmE", "fooba");
}

static void expect_invalid(const char *in, size_t bad)
{
	uint8_t out[64];
	size_t n = 99;

	assert_int_equal(bd_base64_decode(in, strlen(in), out, sizeof(out), &n),
			 BD_BASE64_EINVAL);
	assert_int_equal(n, bad);
}

static void reports_the_offset_of_the_first_invalid_character(void **state)
{
	(void)state;
	expect_invalid("Zm9v!mFy", 4);
	expect_invalid("Zm9vYmF\n", 7);
	expect_invalid("Zm9v YmFy", 4);
	expect_invalid("-m9v", 0);
}

static void rejects_misplaced_or_inconsistent_padding(void **state)
{
	(void)state;
	expect_invalid("Zg==Zm9v", 2);	/* padding before more groups */
	expect_invalid("Z===", 1);	/* one digit cannot make a byte */
	expect_invalid("Zg=", 2);	/* padding that does not fill the group */
	expect_invalid("Zm=v", 3);	/* a digit after padding */
	expect_invalid("====", 0);
	expect_invalid("Zm9vY", 4);	/* a lone final digit */
}

static void never_writes_past_the_capacity(void **state)
{
	uint8_t out[8];
	size_t n = 0;

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(bd_base64_decode("Zm9vYmFy", 8, out, 4, &n),
			 BD_BASE64_ENOSPC);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foob", 4);
	assert_int_equal(out[4], 0xaa);
	assert_int_equal(bd_base64_decode("Zm9v", 4, NULL, 0, &n),
			 BD_BASE64_ENOSPC);
	assert_int_equal(n, 3);
}

static void the_decoded_length_bound_holds_for_every_length(void **state)
{
	uint8_t src[100], out[100];
	char text[140];
	size_t len, n, chars;

	(void)state;
	for (len = 0; len < sizeof(src); len++)
		src[len] = (uint8_t)(len * 37 + 11);
	for (len = 0; len <= sizeof(src); len++) {
		chars = encode(src, len, text, 0);
		assert_int_equal(bd_base64_decoded_len(chars), len);
		assert_int_equal(bd_base64_decode(text, chars, out, len, &n),
				 BD_BASE64_OK);
		assert_int_equal(n, len);
		assert_memory_equal(out, src, len);
		chars = encode(src, len, text, 1);
		assert_true(bd_base64_decoded_len(chars) >= len);
	}
	assert_true(bd_base64_decoded_len(SIZE_MAX) <= SIZE_MAX / 4 * 3 + 2);
}

static void a_range_decodes_like_a_slice_of_the_whole(void **state)
{
	uint8_t src[50], out[50];
	char text[80];
	size_t chars, off, n, got;
	int pad;

	(void)state;
	for (off = 0; off < sizeof(src); off++)
		src[off] = (uint8_t)(off * 101 + 7);
	for (pad = 0; pad < 2; pad++) {
		chars = encode(src, sizeof(src), text, pad);
		for (off = 0; off <= sizeof(src); off++) {
			for (n = 0; off + n <= sizeof(src); n++) {
				assert_int_equal(bd_base64_decode_range(text, chars, off, n, out, &got),
						 BD_BASE64_OK);
				assert_int_equal(got, n);
				assert_memory_equal(out, src + off, n);
			}
		}
	}
}

static void a_range_reads_only_the_groups_that_cover_it(void **state)
{
	/* garbage before and after the covering groups is never looked at */
	static const char text[] = "!!!!Zm9vYmFy!!!!";
	uint8_t out[4];
	size_t got;

	(void)state;
	assert_int_equal(bd_base64_decode_range(text, 16, 3, 3, out, &got),
			 BD_BASE64_OK);
	assert_memory_equal(out, "foo", 3);
	assert_int_equal(bd_base64_decode_range(text, 16, 4, 4, out, &got),
			 BD_BASE64_OK);
	assert_memory_equal(out, "ooba", 4);
	assert_int_equal(bd_base64_decode_range(text, 16, 2, 1, out, &got),
			 BD_BASE64_EINVAL);
	assert_int_equal(got, 0);
}

static void a_range_past_the_end_reports_what_exists(void **state)
{
	uint8_t out[8];
	size_t got;

	(void)state;
	assert_int_equal(bd_base64_decode_range("Zm9vYmE=", 8, 3, 4, out, &got),
			 BD_BASE64_ERANGE);
	assert_int_equal(got, 2);
	assert_memory_equal(out, "ba", 2);
	assert_int_equal(bd_base64_decode_range("Zm9v", 4, UINT64_MAX - 1, 1,
						out, &got), BD_BASE64_ERANGE);
	assert_int_equal(got, 0);
}

static void hex_decodes_both_cases(void **state)
{
	uint8_t out[8];
	size_t n;

	(void)state;
	/* the pre-0.5 form of an E payload: 83 70 ... */
	assert_int_equal(bd_hex_decode("8370aBcDeF", 10, out, sizeof(out), &n),
			 BD_BASE64_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\x83\x70\xab\xcd\xef", 5);
	assert_int_equal(bd_hex_decode("", 0, out, 0, &n), BD_BASE64_OK);
	assert_int_equal(n, 0);
}

static void hex_rejects_odd_lengths_bad_digits_and_small_buffers(void **state)
{
	uint8_t out[8];
	size_t n;

	(void)state;
	assert_int_equal(bd_hex_decode("837", 3, out, sizeof(out), &n),
			 BD_BASE64_EINVAL);
	assert_int_equal(n, 2);
	assert_int_equal(bd_hex_decode("83g0", 4, out, sizeof(out), &n),
			 BD_BASE64_EINVAL);
	assert_int_equal(n, 2);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(bd_hex_decode("00112233", 8, out, 3, &n),
			 BD_BASE64_ENOSPC);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 0xaa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_the_rfc4648_test_vectors),
		cmocka_unit_test(accepts_missing_padding),
		cmocka_unit_test(reports_the_offset_of_the_first_invalid_character),
		cmocka_unit_test(rejects_misplaced_or_inconsistent_padding),
		cmocka_unit_test(never_writes_past_the_capacity),
		cmocka_unit_test(the_decoded_length_bound_holds_for_every_length),
		cmocka_unit_test(a_range_decodes_like_a_slice_of_the_whole),
		cmocka_unit_test(a_range_reads_only_the_groups_that_cover_it),
		cmocka_unit_test(a_range_past_the_end_reports_what_exists),
		cmocka_unit_test(hex_decodes_both_cases),
		cmocka_unit_test(hex_rejects_odd_lengths_bad_digits_and_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
