/* The dump handle: input, section index, preamble facts and diagnostics. */
#ifndef BD_INDEX_DUMP_H
#define BD_INDEX_DUMP_H

#include "bd.h"
#include "index/index.h"
#include "input/input.h"

#define BD_MAX_DIAGNOSTICS 1000

struct bd_dump {
	struct bd_input in;
	struct bd_index index;
	struct bd_dump_info info;
	struct bd_arena arena;        /* lives as long as the dump */
	struct bd_diagnostic *diags;
	size_t n_diags;
	size_t cap_diags;
	size_t n_diags_dropped;
	uint64_t atom_limit;           /* 0 if unknown */
	uint64_t atom_entries;
	uint64_t export_entries;       /* exported functions; 0 if unknown */
	bool old_stack_layout;         /* erts < 11: CP stored at the low end of frames */
	bd_progress_fn progress;
	void *progress_ctx;
	unsigned threads;              /* most threads a job on this dump runs on, >= 1 */
	/* pid -> registered name, built on first use */
	struct bd_name_map *names;
	/* pid -> its sections, built on first use */
	struct bd_proc_map *procs;
	/* every =proc and every =proc_stack section index, in dump order, built on first use */
	uint32_t *proc_list;
	uint32_t *stack_list;
	size_t n_proc_list;
	size_t n_stack_list;
	bool lists_built;
	/* The literal heap index of the term stage, built on first use. */
	void *literals;
	void (*literals_free)(void *literals);
	/* pid -> process label, of the term stage, in the arena; built on first use */
	void *labels;
	/* address -> =binary section, of the term stage, built on first use */
	void *binaries;
	void (*binaries_free)(void *binaries);
};

/* The sections of one process: indexes into the section index, BD_NO_SECTION if absent. */
#define BD_NO_SECTION SIZE_MAX
struct bd_proc_sections {
	size_t proc;
	size_t messages;
	size_t dictionary;
	size_t stack;
	size_t heap;
};

/*
 * Find the sections of the process pid ("<0.80.0>"). The map behind it is
 * built on the first call in one pass over the index (about 20 bytes a process).
 * Returns false if the dump has no =proc for pid.
 */
bool bd_dump_proc_sections(struct bd_dump *d, struct bd_slice pid, struct bd_proc_sections *out);

/*
 * The same for the process whose =proc is section proc_i, found from its
 * position: the groups of per-process sections follow the =proc order, so
 * its =proc_stack is among the few at its rank. Reads a few headers where
 * the pid map reads one per process; falls back to the map when many
 * processes have no sections. Returns false if proc_i is not a =proc.
 */
bool bd_dump_proc_sections_at(struct bd_dump *d, size_t proc_i, struct bd_proc_sections *out);

/*
 * Each process's place in pid order, by its rank in d->proc_list (a dump
 * lists processes by slot of the process table, not by pid): a new array
 * for the caller to free, or NULL when the pids are not all of one node or
 * memory is short. Needs bd_dump_prepare_pids.
 */
uint32_t *bd_dump_pid_places(const struct bd_dump *d);

/*
 * Where the =proc section proc_i ranks in d->proc_list (built on first
 * use; see bd_dump_prepare_shared): an index < n_proc_list whose entry is
 * proc_i, else not a =proc.
 */
size_t bd_dump_proc_rank(const struct bd_dump *d, size_t proc_i);

/* The =proc section of pid, from the pid map; BD_NO_SECTION if none. */
size_t bd_dump_proc_index(struct bd_dump *d, struct bd_slice pid);

/*
 * Build the lazily built lookup tables now, before threads share the dump:
 * names, positions, the pid map and each process's sections by pid.
 */
void bd_dump_prepare_shared(struct bd_dump *d);
/*
 * The same without the sections by pid (one header read per process):
 * enough for threads that find processes with bd_dump_proc_index, their
 * sections with bd_dump_proc_sections_at, and names.
 */
void bd_dump_prepare_pids(struct bd_dump *d);

/* The =proc section of pid, found by a scan (for one lookup); BD_NO_SECTION if none. */
size_t bd_dump_find_proc(const struct bd_dump *d, struct bd_slice pid);

/* The pid registered as name (as written in Name:, quotes optional), or empty. */
struct bd_slice bd_dump_find_name(struct bd_dump *d, struct bd_slice name);

/* Registered name of a pid in this dump (slice into the dump), or empty. */
struct bd_slice bd_dump_proc_name(struct bd_dump *d, struct bd_slice pid);

#endif
