/* The pieces of Erlang term syntax that both term printers write. */
#include "bd.h"
#include "term/text.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void bd_text_puts(struct bd_text *t, const char *s)
{
	t->put(t, s, strlen(s));
}

void bd_text_u64(struct bd_text *t, uint64_t v)
{
	char b[24];
	size_t i = bd_format_dec(b, v, false);

	t->put(t, b + i, sizeof(b) - i);
}

void bd_text_i64(struct bd_text *t, int64_t v)
{
	char b[24];
	/* -(v + 1) + 1 cannot overflow, even for INT64_MIN */
	size_t i = bd_format_dec(b, v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v, v < 0);

	t->put(t, b + i, sizeof(b) - i);
}

void bd_text_cp(struct bd_text *t, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		b[0] = (char)cp;
		t->put(t, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		t->put(t, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		t->put(t, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		t->put(t, b, 4);
	}
}

/* ----------------------------------------------------------- characters */

bool bd_latin1_printable(uint32_t c)
{
	return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) || c == 27;
}

bool bd_unicode_printable(uint32_t c)
{
	return bd_latin1_printable(c) || (c > 255 && c < 0xd800) || (c >= 0xe000 && c < 0xfffe) ||
	       (c >= 0x10000 && c <= 0x10ffff);
}

void bd_text_erl_char(struct bd_text *t, uint32_t c, char q, bool unicode)
{
	static const char named[] = "btnvfr";
	char b[16];

	if (c == (uint32_t)q || c == '\\') {
		b[0] = '\\';
		b[1] = (char)c;
		t->put(t, b, 2);
	} else if (c >= 8 && c <= 13) {
		b[0] = '\\';
		b[1] = named[c - 8];
		t->put(t, b, 2);
	} else if (c == 27) {
		t->put(t, "\\e", 2);
	} else if (c == 127) {
		t->put(t, "\\d", 2);
	} else if (c < 32 || (c >= 128 && c < 160)) {
		b[0] = '\\';
		b[1] = (char)('0' + (c >> 6));
		b[2] = (char)('0' + (c >> 3 & 7));
		b[3] = (char)('0' + (c & 7));
		t->put(t, b, 4);
	} else if (c < 256 || (unicode && bd_unicode_printable(c))) {
		bd_text_cp(t, c);
	} else {
		snprintf(b, sizeof(b), "\\x{%" PRIX32 "}", c);
		bd_text_puts(t, b);
	}
}

/* -------------------------------------------------------------- atoms */

static bool is_lower(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 0xdf && c <= 0xff && c != 0xf7);
}

/* The latin-1 letters erl_scan takes as name characters. */
static bool is_name_char(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '@' || (c >= 0xc0 && c <= 0xff && c != 0xd7 && c != 0xf7);
}

bool bd_erl_atom_bare(struct bd_slice t)
{
	/* erl_scan:reserved_word/1 of OTP 25 (maybe and else need a feature) */
	static const char *const reserved[] = {
		"after", "and",  "andalso", "band",    "begin", "bnot", "bor",
		"bsl",	 "bsr",  "bxor",    "case",    "catch", "cond", "div",
		"end",	 "fun",  "if",	    "let",     "not",   "of",   "or",
		"orelse", "receive", "rem", "try",     "when",  "xor",
	};
	const unsigned char *u = (const unsigned char *)t.ptr;
	size_t i = 0;

	if (!t.len)
		return false;
	for (bool first = true; i < t.len; first = false) {
		size_t n = bd_utf8_len(u + i, t.len - i, NULL);
		uint32_t c;
		if (!n)
			return false;
		c = bd_utf8_decode(u + i, n);
		i += n;
		if (first ? !is_lower(c) : !is_name_char(c))
			return false;
	}
	for (size_t k = 0; k < BD_ARRAY_SIZE(reserved); k++)
		if (bd_slice_eq(t, reserved[k]))
			return false;
	return true;
}

/* ------------------------------------------------------------- floats */

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

/* Made once, kept for the life of the program; without it the digits are still right in most. */
static void make_c_numeric(void)
{
	c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static locale_t use_c_numeric(void)
{
	pthread_once(&c_numeric_once, make_c_numeric);
	return c_numeric ? uselocale(c_numeric) : (locale_t)0;
}

static void restore_locale(locale_t old)
{
	if (old)
		uselocale(old);
}

double bd_c_strtod(const char *s, char **end)
{
	locale_t old = use_c_numeric();
	double v = strtod(s, end);

	restore_locale(old);
	return v;
}

/* Digits of b ("d.ddde+x") into dig, exponent into *e; returns the digit count. */
static size_t split_e(const char *b, char *dig, int *e)
{
	size_t k = 0;
	const char *p = b;

	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			dig[k++] = *p;
	dig[k] = '\0';
	*e = *p ? atoi(p + 1) : 0;
	return k;
}

/*
 * The shortest digits that read back as v (v > 0, finite), in the "C"
 * locale. The correctly rounded digits of each length are tried, then
 * their neighbours: next to a power of two the rounding interval is
 * lopsided and a neighbour may read back when the nearest does not.
 */
static size_t shortest_digits(double v, char *dig, int *e)
{
	char b[48];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(b, sizeof(b), "%.*e", prec - 1, v);
		size_t n = split_e(b, dig, e);
		bool ok = strtod(b, NULL) == v;
		for (int delta = 1; !ok && delta >= -1; delta -= 2) {
			char alt[24];
			size_t j = n;
			memcpy(alt, dig, n + 1);
			/* add delta to the last digit, with carry or borrow */
			while (j-- > 0) {
				if (delta > 0 && alt[j] == '9') {
					alt[j] = '0';
				} else if (delta < 0 && alt[j] == '0') {
					alt[j] = '9';
				} else {
					alt[j] = (char)(alt[j] + delta);
					break;
				}
			}
			if (j == (size_t)-1 || alt[0] == '0')
				continue; /* the digit count changed */
			snprintf(b, sizeof(b), "%c.%se%d", alt[0], alt + 1, *e);
			if (strtod(b, NULL) == v) {
				memcpy(dig, alt, n + 1);
				ok = true;
			}
		}
		if (ok) {
			while (n > 1 && dig[n - 1] == '0')
				dig[--n] = '\0';
			return n;
		}
	}
	/* 17 digits always read back: not reached */
	snprintf(b, sizeof(b), "%.16e", v);
	return split_e(b, dig, e);
}

/* Characters of the decimal form of e. */
static size_t int_width(int e)
{
	size_t n = e < 0 ? 2 : 1;

	for (e = e < 0 ? -e : e; e >= 10; e /= 10)
		n++;
	return n;
}

void bd_text_float(struct bd_text *t, double v)
{
	char dig[24];
	char b[48];
	int e, place;
	size_t n, plain, expo;
	locale_t old;

	if (v == 0) {
		bd_text_puts(t, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	if (v < 0)
		t->put(t, "-", 1);
	old = use_c_numeric();
	n = shortest_digits(fabs(v), dig, &e);
	restore_locale(old);
	place = e + 1; /* digits before the point */
	if (place <= 0)
		plain = 2 + (size_t)-place + n;
	else if ((size_t)place >= n)
		plain = (size_t)place + 2;
	else
		plain = n + 1;
	expo = (n == 1 ? 3 : n + 1) + 1 + int_width(e);
	if (plain > expo || fabs(v) >= 9007199254740992.0) {
		snprintf(b, sizeof(b), "%c.%se%d", dig[0], n == 1 ? "0" : dig + 1, e);
		bd_text_puts(t, b);
	} else if (place <= 0) {
		t->put(t, "0.", 2);
		for (int i = 0; i < -place; i++)
			t->put(t, "0", 1);
		t->put(t, dig, n);
	} else if ((size_t)place >= n) {
		t->put(t, dig, n);
		for (size_t i = n; i < (size_t)place; i++)
			t->put(t, "0", 1);
		t->put(t, ".0", 2);
	} else {
		t->put(t, dig, (size_t)place);
		t->put(t, ".", 1);
		t->put(t, dig + place, n - (size_t)place);
	}
}

/* ----------------------------------------------------------- bignums */

/* By repeated division by 10^9: quadratic, so callers bound n. */
void bd_text_limbs(struct bd_text *t, uint32_t *limbs, size_t n, uint32_t *chunks)
{
	size_t n_chunks = 0;
	char b[16];

	while (n && !limbs[n - 1])
		n--;
	while (n) {
		uint64_t rem = 0;
		for (size_t i = n; i-- > 0;) {
			uint64_t cur = rem << 32 | limbs[i];
			limbs[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		chunks[n_chunks++] = (uint32_t)rem;
		while (n && !limbs[n - 1])
			n--;
	}
	if (!n_chunks)
		chunks[n_chunks++] = 0;
	bd_text_u64(t, chunks[n_chunks - 1]);
	for (size_t i = n_chunks - 1; i-- > 0;) {
		snprintf(b, sizeof(b), "%09" PRIu32, chunks[i]);
		t->put(t, b, 9);
	}
}
