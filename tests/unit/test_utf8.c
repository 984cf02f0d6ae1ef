/*
 * Unit tests of the UTF-8 validator (src/util/utf8.c), by the categories of
 * Markus Kuhn's UTF-8 decoder stress test, and exhaustively against a
 * decoder written from the definition (RFC 3629).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/utf8.h"

static bool valid(const char *s)
{
	return bd_utf8_valid(bd_slice_make(s, strlen(s)));
}

/* Length bd_utf8_len gives for the n bytes at s, and whether it says "cut". */
static size_t len_of(const char *s, size_t n, bool *cut)
{
	return bd_utf8_len((const unsigned char *)s, n, cut);
}

static void accepts_correct_text(void **state)
{
	(void)state;
	assert_true(valid("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")); /* 1: kosme */
	assert_true(valid("plain ascii, and \x7f"));
	assert_true(valid(""));
}

static void accepts_the_boundaries_of_each_length(void **state)
{
	static const struct {
		const char *s;
		uint32_t cp;
	} ok[] = {
		/* 2.1 first of each length, 2.2 last, 2.3 other boundaries */
		{ "\xc2\x80", 0x80 },         { "\xe0\xa0\x80", 0x800 },
		{ "\xf0\x90\x80\x80", 0x10000 }, { "\x7f", 0x7f },
		{ "\xdf\xbf", 0x7ff },        { "\xef\xbf\xbf", 0xffff },
		{ "\xf4\x8f\xbf\xbf", 0x10ffff }, { "\xed\x9f\xbf", 0xd7ff },
		{ "\xee\x80\x80", 0xe000 },   { "\xef\xbf\xbd", 0xfffd },
		{ "\xef\xbf\xbe", 0xfffe },   /* 5.3 noncharacters are well formed */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i].s);
		bool cut = true;
		assert_int_equal(len_of(ok[i].s, n, &cut), n);
		assert_false(cut);
		assert_int_equal(bd_utf8_decode((const unsigned char *)ok[i].s, n), ok[i].cp);
	}
	assert_int_equal(len_of("", 1, NULL), 1); /* NUL is a character */
}

static void rejects_malformed_sequences(void **state)
{
	static const char *const bad[] = {
		/* 2.3.5 past U+10FFFF */
		"\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf",
		/* 3.1 lone continuation bytes */
		"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80",
		/* 3.2 lonely start characters followed by a space */
		"\xc0 ", "\xdf ", "\xe0 ", "\xef ", "\xf0 ", "\xf4 ", "\xf8 ", "\xfc ",
		/* 3.5 impossible bytes */
		"\xfe", "\xff", "\xfe\xfe\xff\xff",
		/* 4.1 overlong '/', 4.2 maximum overlongs, 4.3 overlong NUL */
		"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf",
		"\xfc\x80\x80\x80\x80\xaf", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
		"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80",
		/* 5.1 single surrogates, 5.2 paired surrogates */
		"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80",
		"\xed\xbe\x80", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80",
		/* a sequence broken by a non-continuation byte in the middle */
		"\xe1\x80\x41", "\xf1\x80\x80\x41",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool cut = true;
		assert_int_equal(len_of(bad[i], strlen(bad[i]), &cut), 0);
		assert_false(cut);
		assert_false(valid(bad[i]));
	}
}

static void tells_a_cut_sequence_from_a_bad_one(void **state)
{
	/* 3.3 sequences with the last byte missing, at the end of the text */
	static const char *const cut_short[] = {
		"\xc2", "\xe0\xa0", "\xe1\x80", "\xf0\x90\x80", "\xf4\x8f", "\xf1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cut_short) / sizeof(cut_short[0]); i++) {
		bool cut = false;
		assert_int_equal(len_of(cut_short[i], strlen(cut_short[i]), &cut), 0);
		assert_true(cut);
		assert_false(valid(cut_short[i]));
	}
	/* 3.4 concatenated incomplete sequences are invalid, not "cut" */
	bool cut = true;
	assert_int_equal(len_of("\xc2\xe0\x80", 3, &cut), 0);
	assert_false(cut);
	/* a prefix that is already wrong is invalid even when short */
	assert_int_equal(len_of("\xe0\x80", 2, &cut), 0);
	assert_false(cut);
	assert_int_equal(len_of("\xf4\x90", 2, &cut), 0);
	assert_false(cut);
}

/* The definition: shortest form, no surrogates, at most U+10FFFF. */
static size_t reference_len(const unsigned char *p, size_t n)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xc0 && p[0] < 0xe0 ? 2
			      : p[0] >= 0xe0 && p[0] < 0xf0 ? 3 : p[0] >= 0xf0 && p[0] < 0xf8 ? 4 : 0;
	uint32_t cp;

	if (!len || len > n)
		return 0;
	cp = p[0] & (0xffu >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void agrees_with_the_definition_on_every_short_sequence(void **state)
{
	unsigned char b[4] = { 0, 0, 0, 0 };
	size_t n = 0;

	(void)state;
	/* every 1-, 2- and 3-byte input, and 4-byte ones with the last byte
	   at each edge of the continuation range and just outside it */
	for (uint32_t v = 0; v < 1u << 24; v++) {
		b[0] = (unsigned char)(v >> 16);
		b[1] = (unsigned char)(v >> 8);
		b[2] = (unsigned char)v;
		for (size_t len = 1; len <= 4; len++) {
			if (len == 4) {
				static const unsigned char last[] = { 0x7f, 0x80, 0xbf, 0xc0 };
				if (b[0] < 0xf0)
					break;
				for (size_t k = 0; k < 4; k++) {
					b[3] = last[k];
					size_t want = reference_len(b, 4);
					if (bd_utf8_len(b, 4, NULL) != want)
						fail_msg("%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
					n++;
				}
				break;
			}
			size_t want = reference_len(b, len);
			size_t got = bd_utf8_len(b, len, NULL);
			if (got != want)
				fail_msg("%zu bytes %02x %02x %02x: %zu, want %zu", len, b[0], b[1],
					 b[2], got, want);
			n++;
		}
	}
	assert_true(n > 1u << 24);
}

static void names_the_controls(void **state)
{
	(void)state;
	assert_true(bd_is_control(0x1b));
	assert_true(bd_is_control(0x07));
	assert_true(bd_is_control(0x7f));
	assert_true(bd_is_control(0x9b)); /* C1 CSI */
	assert_false(bd_is_control(' '));
	assert_false(bd_is_control(0xa0));
	assert_false(bd_is_control(0x2028));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_correct_text),
		cmocka_unit_test(accepts_the_boundaries_of_each_length),
		cmocka_unit_test(rejects_malformed_sequences),
		cmocka_unit_test(tells_a_cut_sequence_from_a_bad_one),
		cmocka_unit_test(agrees_with_the_definition_on_every_short_sequence),
		cmocka_unit_test(names_the_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
