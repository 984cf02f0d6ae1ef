/*
 * Base64 (RFC 4648 standard alphabet) and hex decoders for dump payloads.
 * Input is a slice of the dump, not a C string; output never passes cap.
 * Groups of four characters are decoded one at a time so that the same
 * code serves whole payloads and byte ranges of huge ones.
 */
#include "bd.h"
#include "util/base64.h"

/* Value of a base64 digit, or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode the group of up to four characters that starts at src[g].  Only
 * the last group of the text may be short or padded.  On success *n_out
 * is 1..3; on failure *bad is the offset of the offending character.
 */
static int decode_group(const char *src, size_t len, size_t g, uint8_t out[3],
			size_t *n_out, size_t *bad)
{
	size_t end = len - g < 4 ? len : g + 4;
	int is_last = len - g <= 4;
	unsigned v[4] = { 0, 0, 0, 0 };
	size_t n_data = 0, n_pad = 0, i;

	for (i = g; i < end; i++) {
		unsigned char c = (unsigned char)src[i];
		int x;

		if (c == '=') {
			/* padding ends the text and follows two or three digits */
			if (!is_last || n_data < 2) {
				*bad = i;
				return -1;
			}
			n_pad++;
			continue;
		}
		x = b64_value(c);
		if (x < 0 || n_pad) {
			*bad = i;
			return -1;
		}
		v[n_data++] = (unsigned)x;
	}
	if (n_data < 2) {
		/* a lone digit: padding was caught above */
		*bad = g;
		return -1;
	}
	if (n_pad && n_data + n_pad != 4) {
		*bad = end - 1;
		return -1;
	}
	out[0] = (uint8_t)(v[0] << 2 | v[1] >> 4);
	out[1] = (uint8_t)(v[1] << 4 | v[2] >> 2);
	out[2] = (uint8_t)(v[2] << 6 | v[3]);
	*n_out = n_data - 1;
	return 0;
}

size_t bd_base64_decoded_len(size_t n_chars)
{
	return n_chars / 4 * 3 + (n_chars % 4 ? n_chars % 4 - 1 : 0);
}

int bd_base64_decode(const char *src, size_t len, uint8_t *dst, size_t cap,
		     size_t *out_len)
{
	size_t total = 0, g, n, bad, i;
	uint8_t grp[3];

	for (g = 0; g < len; g += 4) {
		if (decode_group(src, len, g, grp, &n, &bad)) {
			*out_len = bad;
			return BD_BASE64_EINVAL;
		}
		/* keep scanning past a full buffer so that EINVAL wins */
		for (i = 0; i < n; i++, total++)
			if (total < cap)
				dst[total] = grp[i];
	}
	*out_len = total;
	return total > cap ? BD_BASE64_ENOSPC : BD_BASE64_OK;
}

int bd_base64_decode_range(const char *src, size_t len, uint64_t off,
			   size_t n, uint8_t *dst, size_t *out_len)
{
	uint64_t group = off / 3;
	size_t skip = (size_t)(off % 3), done = 0, g, got, bad, i;
	uint8_t grp[3];

	*out_len = 0;
	if (n == 0)
		return BD_BASE64_OK;
	/* compare before multiplying so that a huge off cannot overflow */
	if (group >= len / 4 + (len % 4 != 0))
		return BD_BASE64_ERANGE;
	for (g = (size_t)group * 4; g < len && done < n; g += 4) {
		if (decode_group(src, len, g, grp, &got, &bad)) {
			*out_len = bad;
			return BD_BASE64_EINVAL;
		}
		for (i = skip; i < got && done < n; i++)
			dst[done++] = grp[i];
		skip = 0;
	}
	*out_len = done;
	return done == n ? BD_BASE64_OK : BD_BASE64_ERANGE;
}

int bd_hex_decode(const char *src, size_t len, uint8_t *dst, size_t cap,
		  size_t *out_len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (bd_hex_digit(src[i]) < 0) {
			*out_len = i;
			return BD_BASE64_EINVAL;
		}
	}
	if (len % 2) {
		*out_len = len - 1;
		return BD_BASE64_EINVAL;
	}
	if (len / 2 > cap) {
		*out_len = len / 2;
		return BD_BASE64_ENOSPC;
	}
	for (i = 0; i < len / 2; i++)
		dst[i] = (uint8_t)(bd_hex_digit(src[2 * i]) << 4 |
				   bd_hex_digit(src[2 * i + 1]));
	*out_len = len / 2;
	return BD_BASE64_OK;
}

void bd_base64_encode(const uint8_t *src, size_t n, char *dst)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)src[i + 1] << 8;
		if (i + 2 < n)
			v |= src[i + 2];
		*dst++ = alphabet[v >> 18];
		*dst++ = alphabet[(v >> 12) & 63];
		*dst++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*dst++ = i + 2 < n ? alphabet[v & 63] : '=';
	}
}
