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
	bool old_stack_layout;         /* erts < 11: CP stored at the low end of frames */
	bd_progress_fn progress;
	void *progress_ctx;
	/* pid -> registered name, built on first use */
	struct bd_name_map *names;
};

/* Registered name of a pid in this dump (slice into the dump), or empty. */
struct bd_slice bd_dump_proc_name(struct bd_dump *d, struct bd_slice pid);

#endif
