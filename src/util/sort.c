/* Sorting: qsort for anything, a radix sort for tables ordered by a number. */
#include "bd.h"

#include <stdlib.h>

void bd_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/*
 * Least significant digit first, 11 bits a digit: six passes cover 64
 * bits, and a digit that is the same in every key (the high bits of small
 * numbers) costs no pass. Each pass is stable, so the whole sort is.
 */
#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
#define RADIX ((size_t)1 << DIGIT_BITS)

static unsigned digit(uint64_t key, unsigned d)
{
	return (unsigned)(key >> (d * DIGIT_BITS)) & (RADIX - 1);
}

bool bd_sort_keys(struct bd_sort_key *v, size_t n)
{
	size_t (*count)[RADIX];
	struct bd_sort_key *tmp, *src = v, *dst;

	if (n < 2)
		return true;
	count = bd_calloc(DIGITS, sizeof(*count));
	tmp = bd_realloc_array(NULL, n, sizeof(*tmp));
	if (!count || !tmp) {
		bd_free(count);
		bd_free(tmp);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < DIGITS; d++)
			count[d][digit(v[i].key, d)]++;
	dst = tmp;
	for (unsigned d = 0; d < DIGITS; d++) {
		size_t *c = count[d], sum = 0;
		if (c[digit(v[0].key, d)] == n)
			continue;               /* one value of this digit: already in order */
		for (size_t k = 0; k < RADIX; k++) {
			size_t here = c[k];
			c[k] = sum;
			sum += here;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[digit(src[i].key, d)]++] = src[i];
		struct bd_sort_key *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	bd_free(count);
	bd_free(tmp);
	return true;
}
