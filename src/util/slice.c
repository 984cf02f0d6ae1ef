/* Slices over dump text, and checked number parsing on them. */
#include "bd.h"

#include <errno.h>
#include <stdlib.h>

struct bd_slice bd_slice_trim(struct bd_slice s)
{
	while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t' || s.ptr[0] == '\r'))
		s = bd_slice_skip(s, 1);
	while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' ||
			 s.ptr[s.len - 1] == '\r'))
		s.len--;
	return s;
}

struct bd_slice bd_slice_after(struct bd_slice s, char c)
{
	const char *at = s.len ? memchr(s.ptr, c, s.len) : NULL;

	if (!at)
		return bd_slice_make(s.ptr + s.len, 0);
	return bd_slice_make(at + 1, s.len - (size_t)(at + 1 - s.ptr));
}

bool bd_slice_next_line(struct bd_slice *rest, struct bd_slice *line)
{
	const char *nl;

	if (!rest->len)
		return false;
	nl = memchr(rest->ptr, '\n', rest->len);
	if (nl) {
		*line = bd_slice_make(rest->ptr, (size_t)(nl - rest->ptr));
		*rest = bd_slice_skip(*rest, line->len + 1);
	} else {
		*line = *rest;
		*rest = bd_slice_make(rest->ptr + rest->len, 0);
	}
	if (line->len && line->ptr[line->len - 1] == '\r')
		line->len--;
	return true;
}

bool bd_slice_split_kv(struct bd_slice line, struct bd_slice *key, struct bd_slice *value)
{
	const char *p = bd_memmem(line.ptr, line.len, ": ", 2);

	if (p) {
		*key = bd_slice_make(line.ptr, (size_t)(p - line.ptr));
		*value = bd_slice_make(p + 2, line.len - key->len - 2);
		return true;
	}
	if (line.len && line.ptr[line.len - 1] == ':') {
		*key = bd_slice_make(line.ptr, line.len - 1);
		*value = bd_slice_make(line.ptr + line.len, 0);
		return true;
	}
	return false;
}

const char *bd_memmem(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
	const char *p = hay;
	const char *end = hay + hay_len;

	if (!needle_len)
		return hay;
	while ((size_t)(end - p) >= needle_len) {
		p = memchr(p, needle[0], (size_t)(end - p) - needle_len + 1);
		if (!p)
			return NULL;
		if (memcmp(p, needle, needle_len) == 0)
			return p;
		p++;
	}
	return NULL;
}

bool bd_parse_u64(struct bd_slice s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s.len)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.ptr[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool bd_parse_i64(struct bd_slice s, int64_t *out)
{
	uint64_t v;
	bool neg = s.len && s.ptr[0] == '-';

	if (neg)
		s = bd_slice_skip(s, 1);
	if (!bd_parse_u64(s, &v))
		return false;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > INT64_MAX)
			return false;
		*out = (int64_t)v;
	}
	return true;
}

bool bd_parse_hex(struct bd_slice s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len >= 2 && s.ptr[0] == '0' && (s.ptr[1] == 'x' || s.ptr[1] == 'X'))
		s = bd_slice_skip(s, 2);
	if (!s.len || s.len > 16)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		int d = bd_hex_digit(s.ptr[i]);
		if (d < 0)
			return false;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return true;
}

uint64_t bd_parse_u64_prefix(struct bd_slice s)
{
	size_t n = 0;
	uint64_t v = 0;

	while (n < s.len && s.ptr[n] >= '0' && s.ptr[n] <= '9')
		n++;
	if (!bd_parse_u64(bd_slice_make(s.ptr, n), &v))
		return 0;
	return v;
}

bool bd_parse_pid(struct bd_slice s, struct bd_pid *out)
{
	uint64_t part[3];
	size_t i = 1;

	if (s.len < 7 || s.ptr[0] != '<' || s.ptr[s.len - 1] != '>')
		return false;
	for (int k = 0; k < 3; k++) {
		size_t start = i;
		while (i < s.len - 1 && s.ptr[i] != '.')
			i++;
		if ((k < 2) != (i < s.len - 1))
			return false;
		if (!bd_parse_u64(bd_slice_make(s.ptr + start, i - start), &part[k]) ||
		    part[k] > UINT32_MAX)
			return false;
		i++;
	}
	out->node = (uint32_t)part[0];
	out->num = (uint32_t)part[1];
	out->serial = (uint32_t)part[2];
	return true;
}

int bd_pid_cmp(const struct bd_pid *a, const struct bd_pid *b)
{
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	if (a->serial != b->serial)
		return a->serial < b->serial ? -1 : 1;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return 0;
}

bool bd_pid_sort_key(const struct bd_pid *id, const struct bd_pid *first, uint64_t *key)
{
	*key = (uint64_t)id->serial << 32 | id->num;
	return id->node == first->node && id->num != UINT32_MAX;
}

uint64_t bd_pid_order_key(struct bd_slice pid)
{
	static const struct bd_pid local;
	struct bd_pid id;
	uint64_t key;

	return bd_parse_pid(pid, &id) && bd_pid_sort_key(&id, &local, &key) ? key : UINT64_MAX;
}

#define HEX_ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
const signed char bd_hex_values[256] = {
	HEX_ROW(-1), HEX_ROW(-1), HEX_ROW(-1),
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	HEX_ROW(-1),
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	HEX_ROW(-1),
	HEX_ROW(-1), HEX_ROW(-1), HEX_ROW(-1), HEX_ROW(-1),
	HEX_ROW(-1), HEX_ROW(-1), HEX_ROW(-1), HEX_ROW(-1),
};

/* Sizes as users write them (public: the CLI and the check rules share it). */
bool bd_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)
		end++;
	if ((*end == 'B' || *end == 'b') && shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}
