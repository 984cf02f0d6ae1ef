/*
 * Decode every process heap of a dump: size every term reachable from each
 * process's messages, dictionary and stack, as the analyses do, and print
 * the heap bytes decoded per second. Part of `make bench`.
 *
 * Usage: decode_all DUMP
 */
#include "bd.h"
#include "analyze/analyze.h"
#include "index/index.h"

#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void size_elem(struct bd_process *p, const struct bd_elem *e, uint64_t *words)
{
	struct bd_term_size sz;

	if (e->kind == BD_ELEM_PTR && bd_term_size(&p->ctx, e, &sz, NULL) == BD_OK)
		*words += sz.flat_words;
}

int main(int argc, char **argv)
{
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };
	uint64_t heap_bytes = 0, words = 0, procs = 0;
	double t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: decode_all DUMP\n");
		return 2;
	}
	if (bd_dump_open(&d, argv[1], NULL, &err) != BD_OK) {
		fprintf(stderr, "decode_all: %s\n", err.msg);
		return 3;
	}
	t0 = now();
	bd_dump_literals(d);
	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		struct bd_process p;
		struct bd_slice rest;
		struct bd_elem e, k, v;
		if (bd_process_open_at(&p, d, i, &err) != BD_OK)
			continue;
		procs++;
		if (p.sect.heap != BD_NO_SECTION) {
			struct bd_section s;
			bd_section_get(d, p.sect.heap, &s);
			heap_bytes += s.body.len;
		}
		/* the order the dump wrote them: messages, dictionary, stack */
		rest = bd_process_messages(&p);
		while (bd_next_message(&rest, &e, NULL))
			size_elem(&p, &e, &words);
		rest = bd_process_dictionary(&p);
		while (bd_next_dict_entry(&p, &rest, &k, &v, NULL)) {
			size_elem(&p, &k, &words);
			size_elem(&p, &v, &words);
		}
		for (size_t s = 0; s < p.n_slots; s++)
			if (!p.slots[s].is_catch)
				size_elem(&p, &p.slots[s].elem, &words);
		bd_process_close(&p);
	}
	t1 = now();
	printf("decoded %llu process heaps, %.1f MiB of heap text, %llu words in %.2f s: %.0f MiB/s\n",
	       (unsigned long long)procs, (double)heap_bytes / 1048576.0, (unsigned long long)words,
	       t1 - t0, (double)heap_bytes / 1048576.0 / (t1 - t0));
	bd_dump_free(d);
	return 0;
}
