/*
 * Processes and findings matched across two captures of the same system,
 * whose pids differ between runs: by registered name, then by process
 * label, then by initial call plus the registered name of the spawning
 * process (its supervisor, the first of its $ancestors). A key held by
 * one process on both sides is a one-to-one match; any other key is a
 * group, compared by count and totals.
 */
#ifndef BD_ANALYZE_MATCH_H
#define BD_ANALYZE_MATCH_H

#include "analyze/capture.h"

/* Sums over a key's processes; BD_UNSET when no process knows the value. */
struct bd_match_sums {
	uint64_t memory, heap_words, queue, pinned, state, reductions;
};

struct bd_match_row {
	const char *key;
	size_t n_old, n_new;
	const struct bd_cap_proc *old, *new; /* the processes when there is one on that side */
	struct bd_match_sums s_old, s_new;
};

struct bd_match {
	struct bd_arena arena;
	struct bd_match_row *rows; /* ordered by key */
	size_t n;
};

/* How a process is known across captures: "name", "label:L" or "mod:f/a < parent". */
const char *bd_proc_key(struct bd_arena *a, const struct bd_cap_proc *p);

enum bd_status bd_match_procs(const struct bd_capture *old, const struct bd_capture *new,
			      struct bd_match *out, struct bd_error *err);
void bd_match_release(struct bd_match *m);
/* The row of key, or NULL. */
const struct bd_match_row *bd_match_find(const struct bd_match *m, const char *key);

/* How a finding is known across captures: its kind and the keys of its processes. */
const char *bd_finding_key(struct bd_arena *a, const struct bd_capture *c,
			   const struct bd_finding *f);

/*
 * Things known by a key (processes, tables, findings), compared across two
 * captures: sort each list by key (ties in capture order), then walk both
 * key by key.
 */
struct bd_keyed {
	const char *key;
	const void *item;
	size_t order;
};

void bd_keyed_sort(struct bd_keyed *k, size_t n);
/* fn gets each key once, with its run of items on each side (one run may be empty). */
typedef bool (*bd_keyed_fn)(void *ctx, const char *key, const struct bd_keyed *old, size_t n_old,
			    const struct bd_keyed *new, size_t n_new);
bool bd_keyed_merge(const struct bd_keyed *old, size_t n_old, const struct bd_keyed *new,
		    size_t n_new, bd_keyed_fn fn, void *ctx);
/* A capture's findings with their keys, sorted; NULL when out of memory. Free with bd_free. */
struct bd_keyed *bd_keyed_findings(struct bd_arena *a, const struct bd_capture *c);

#endif
