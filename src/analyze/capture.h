/*
 * One capture of a node, as typed facts that `check` and `diff` compare:
 * processes, ETS tables, memory by category, allocators, atoms, findings.
 * Read from a crash dump (every process and table, plus what `analyze`
 * finds) or from a saved JSON report of `analyze` (its rows only), so a CI
 * job can keep a few KB as its baseline instead of the dump.
 */
#ifndef BD_ANALYZE_CAPTURE_H
#define BD_ANALYZE_CAPTURE_H

#include "analyze/analyze.h"

enum bd_mem_cat {
	BD_MEM_PROCESSES,
	BD_MEM_BINARY,
	BD_MEM_ETS,
	BD_MEM_ATOM,
	BD_MEM_CODE,
	BD_MEM_TOTAL,
	BD_MEM_N,
};

/* "processes", "binary", "ets", "atom", "code", "total" (the =memory keys). */
extern const char *const bd_mem_cat_names[BD_MEM_N];

/* Numbers are BD_UNSET when the capture does not know them. */
struct bd_cap_proc {
	const char *pid;          /* "<0.80.0>" */
	struct bd_pid id;         /* pid parsed, for ordering; all ones if pid is not one */
	const char *name;         /* registered name, or NULL */
	const char *label;        /* process label, or NULL */
	const char *initial_call; /* "mod:fun/arity", or NULL */
	const char *spawned_by;   /* pid, or NULL */
	const char *parent;       /* registered name of the process that spawned it, or NULL */
	uint64_t memory;          /* bytes */
	uint64_t heap_words;      /* young + old heap */
	uint64_t queue;           /* message queue length */
	uint64_t reductions;
	uint64_t pinned;          /* refc binary bytes pinned through slices */
	uint64_t state;           /* behaviour state bytes */
};

struct bd_cap_ets {
	const char *name;         /* the table's name atom */
	const char *owner;        /* pid */
	const char *owner_name;   /* or NULL */
	uint64_t bytes;
	uint64_t objects;
};

struct bd_cap_alloc {
	const char *name;
	uint64_t blocks;          /* bytes in use */
	uint64_t carriers;        /* bytes reserved */
};

struct bd_capture {
	struct bd_arena arena;
	struct bd_arena *arenas;  /* the process table's text, one per part read in parallel */
	size_t n_arenas;
	const char *file;
	const char *source;       /* "dump", "snapshot" or "report" */
	const char *time;         /* as the dump wrote it, or NULL */
	const char *node;
	uint64_t creation;        /* a snapshot's node creation (which run); 0 if unknown */
	bool all_processes;       /* the whole process table, not a report's top rows */
	uint64_t memory[BD_MEM_N];
	uint64_t processes, atoms, atom_limit;
	struct bd_cap_proc *procs;      /* ordered by pid */
	size_t n_procs;
	struct bd_cap_ets *ets;         /* ordered by name, then owner */
	size_t n_ets;
	struct bd_cap_alloc *allocs;
	size_t n_allocs;
	struct bd_finding *findings;    /* as analyze ranks them */
	size_t n_findings;
};

/*
 * Read path: a crash dump (plain, gzip, "-" for standard input) or a JSON
 * report written by `beamdump analyze --format json`.
 */
enum bd_status bd_capture_load(struct bd_capture **out, const char *path,
			       const struct bd_open_opts *opts, struct bd_error *err);
void bd_capture_free(struct bd_capture *c);

/*
 * Read paths[0..n) side by side into out[0..n) (check and diff read two or
 * three captures, each mostly waiting on one part of its own analysis).
 * Only the first reports progress. On failure every out[i] is NULL and the
 * error is that of the first path that failed.
 */
enum bd_status bd_capture_load_all(struct bd_capture **out, const char *const *paths, size_t n,
				   const struct bd_open_opts *opts, struct bd_error *err);


/* Order of pids as text ("<0.80.0>" before "<0.100.0>"); what is not a pid last. */
int bd_pid_text_cmp(const char *a, const char *b);

/* The process with this pid, or NULL. */
const struct bd_cap_proc *bd_capture_proc(const struct bd_capture *c, const char *pid);

#endif
