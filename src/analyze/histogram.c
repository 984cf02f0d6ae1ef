/* Counting message shapes: a bounded table of distinct strings. */
#include "bd.h"
#include "analyze/analyze.h"

#include <stdlib.h>

bool bd_histogram_init(struct bd_histogram *h, size_t max_distinct)
{
	memset(h, 0, sizeof(*h));
	h->cap = 16;
	while (h->cap < 2 * max_distinct)
		h->cap *= 2;
	h->max = max_distinct;
	bd_arena_init(&h->arena);
	h->slots = bd_calloc(h->cap, sizeof(*h->slots));
	return h->slots != NULL;
}

bool bd_histogram_add(struct bd_histogram *h, const char *s, size_t len)
{
	size_t i = (size_t)bd_hash_slice(bd_slice_make(s, len)) & (h->cap - 1);

	while (h->slots[i].text) {
		if (strlen(h->slots[i].text) == len && memcmp(h->slots[i].text, s, len) == 0) {
			h->slots[i].count++;
			return true;
		}
		i = (i + 1) & (h->cap - 1);
	}
	if (h->n >= h->max) {
		h->other++;
		return true;
	}
	h->slots[i].text = bd_arena_strndup(&h->arena, s, len);
	if (!h->slots[i].text)
		return false;
	h->slots[i].count = 1;
	h->n++;
	return true;
}

static int count_cmp(const void *a, const void *b)
{
	const struct bd_histogram_entry *x = a;
	const struct bd_histogram_entry *y = b;

	if (!x->text || !y->text)
		return !x->text - !y->text;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->text, y->text);
}

void bd_histogram_sort(struct bd_histogram *h)
{
	bd_sort(h->slots, h->cap, sizeof(*h->slots), count_cmp);
}

void bd_histogram_release(struct bd_histogram *h)
{
	bd_free(h->slots);
	bd_arena_release(&h->arena);
	memset(h, 0, sizeof(*h));
}
