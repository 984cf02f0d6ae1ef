/*
 * The term text pieces both printers share (src/term/text.c), against what
 * io_lib:format("~0p", ...) and ~0tp print on OTP 25.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "term/text.h"

struct out {
	struct bd_text text;
	char buf[512];
	size_t len;
};

static void out_put(struct bd_text *t, const char *s, size_t n)
{
	struct out *o = (struct out *)t;

	assert_true(o->len + n < sizeof(o->buf));
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static struct out *fresh(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->text.put = out_put;
	return o;
}

static const char *float_text(double v)
{
	static struct out o;

	bd_text_float(&fresh(&o)->text, v);
	return o.buf;
}

/* io_lib_format:fwrite_g/1: shortest digits, plain or exponent form, as ~0p prints them */
static void floats_print_as_otp_does(void **state)
{
	(void)state;
	assert_string_equal(float_text(1.0e-7), "1.0e-7");
	assert_string_equal(float_text(123456789012345678.0), "1.2345678901234568e17");
	assert_string_equal(float_text(0.1), "0.1");
	assert_string_equal(float_text(-0.0), "-0.0");
	assert_string_equal(float_text(0.0), "0.0");
	assert_string_equal(float_text(2.5), "2.5");
	assert_string_equal(float_text(100.0), "100.0");
	assert_string_equal(float_text(-1.5e300), "-1.5e300");
	assert_string_equal(float_text(9007199254740992.0), "9.007199254740992e15");
	assert_string_equal(float_text(5e-324), "5.0e-324");
	assert_true(bd_c_strtod("2.50000000000000000000e+00", NULL) == 2.5);
}

static const char *quoted(uint32_t c, bool unicode)
{
	static struct out o;

	bd_text_erl_char(&fresh(&o)->text, c, '\'', unicode);
	return o.buf;
}

/* io_lib's escapes; above 255, ~p writes \x{H} and ~tp the character */
static void characters_are_escaped_as_io_lib_does(void **state)
{
	(void)state;
	assert_string_equal(quoted('a', false), "a");
	assert_string_equal(quoted('\'', false), "\\'");
	assert_string_equal(quoted('"', false), "\"");
	assert_string_equal(quoted('\\', true), "\\\\");
	assert_string_equal(quoted('\n', false), "\\n");
	assert_string_equal(quoted(27, false), "\\e");
	assert_string_equal(quoted(127, false), "\\d");
	assert_string_equal(quoted(1, false), "\\001");
	assert_string_equal(quoted(0x85, true), "\\205");
	assert_string_equal(quoted(0xe9, false), "\xc3\xa9");
	assert_string_equal(quoted(0x65e5, false), "\\x{65E5}");
	assert_string_equal(quoted(0x65e5, true), "\xe6\x97\xa5");
	assert_string_equal(quoted(0xffff, true), "\\x{FFFF}");
}

static bool bare(const char *s)
{
	return bd_erl_atom_bare(bd_slice_make(s, strlen(s)));
}

/* io_lib:write_atom/1: lower-case names that are not reserved words go bare */
static void atoms_are_quoted_as_write_atom_does(void **state)
{
	(void)state;
	assert_true(bare("ok"));
	assert_true(bare("a_B@1"));
	assert_true(bare("\xc3\xa9t\xc3\xa9")); /* été */
	assert_false(bare(""));
	assert_false(bare("Ok"));
	assert_false(bare("_x"));
	assert_false(bare("receive"));
	assert_false(bare("a b"));
	assert_false(bare("\xe6\x97\xa5")); /* not latin-1 */
	assert_false(bare("a\xff"));        /* not UTF-8 */
}

static const char *decimal(uint32_t *limbs, size_t n)
{
	static struct out o;
	uint32_t chunks[16];

	bd_text_limbs(&fresh(&o)->text, limbs, n, chunks);
	return o.buf;
}

static void bignums_print_in_decimal(void **state)
{
	uint32_t two64[] = { 0, 0, 1 };
	uint32_t zero[] = { 0, 0 };
	uint32_t billion[] = { 1000000000 };
	uint32_t max96[] = { 0xffffffff, 0xffffffff, 0xffffffff };

	(void)state;
	assert_string_equal(decimal(two64, 3), "18446744073709551616");
	assert_string_equal(decimal(zero, 2), "0");
	assert_string_equal(decimal(billion, 1), "1000000000");
	assert_string_equal(decimal(max96, 3), "79228162514264337593543950335");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(floats_print_as_otp_does),
		cmocka_unit_test(characters_are_escaped_as_io_lib_does),
		cmocka_unit_test(atoms_are_quoted_as_write_atom_does),
		cmocka_unit_test(bignums_print_in_decimal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
