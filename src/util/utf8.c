/*
 * Table-driven UTF-8 validation: the lead byte picks a row of Unicode's
 * Table 3-7, which fixes the sequence length and the range the second byte
 * must lie in; later bytes are plain continuation bytes (80..BF).
 */
#include "bd.h"
#include "util/utf8.h"

struct utf8_row {
	unsigned char len;
	unsigned char lo; /* second byte range */
	unsigned char hi;
};

static const struct utf8_row rows[] = {
	{ 0, 0, 0 },          /* 0: 80..C1, F5..FF: never a lead byte */
	{ 1, 0, 0 },          /* 1: 00..7F */
	{ 2, 0x80, 0xBF },    /* 2: C2..DF */
	{ 3, 0xA0, 0xBF },    /* 3: E0, no overlongs */
	{ 3, 0x80, 0xBF },    /* 4: E1..EC, EE..EF */
	{ 3, 0x80, 0x9F },    /* 5: ED, no surrogates */
	{ 4, 0x90, 0xBF },    /* 6: F0, no overlongs */
	{ 4, 0x80, 0xBF },    /* 7: F1..F3 */
	{ 4, 0x80, 0x8F },    /* 8: F4, nothing past U+10FFFF */
};

static const unsigned char lead_row[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 00 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 10 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* A0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* B0 */
	0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* C0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* D0 */
	3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 4, 4, /* E0 */
	6, 7, 7, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* F0 */
};

size_t bd_utf8_len(const unsigned char *p, size_t left, bool *cut)
{
	const struct utf8_row *r = &rows[lead_row[p[0]]];
	size_t i;

	if (cut)
		*cut = false;
	if (r->len <= 1)
		return r->len;
	for (i = 1; i < r->len && i < left; i++) {
		unsigned char lo = i == 1 ? r->lo : 0x80;
		unsigned char hi = i == 1 ? r->hi : 0xBF;
		if (p[i] < lo || p[i] > hi)
			return 0;
	}
	if (i < r->len) {
		if (cut)
			*cut = true;
		return 0;
	}
	return r->len;
}

uint32_t bd_utf8_decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead_mask[5] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
	uint32_t cp = p[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3Fu);
	return cp;
}

bool bd_utf8_valid(struct bd_slice s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;

	while (i < s.len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = bd_utf8_len(p + i, s.len - i, NULL);
		if (!n)
			return false;
		i += n;
	}
	return true;
}
