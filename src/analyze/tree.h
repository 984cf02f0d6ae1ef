/*
 * Where each process belongs: its spawner, its nearest supervisor, its
 * application, and the group of siblings it shares an initial call with.
 * Crash dumps do not record group leaders, so a process's application is
 * found by walking its spawners (`Spawned by`, else the dictionary's
 * '$ancestors') up to an application master, whose state names the
 * application; a live snapshot names it for every process, from its group
 * leader (`Application`). Used by `procs --group`, `memory` and `diff`.
 */
#ifndef BD_ANALYZE_TREE_H
#define BD_ANALYZE_TREE_H

#include "bd.h"
#include "index/dump.h"
#include "report/model.h"

#define BD_NO_PLACE UINT32_MAX

/* One a process: 64 bytes, a million of them on a large node. */
struct bd_place {
	struct bd_slice name;          /* registered name (atom text), or empty */
	struct bd_slice initial_call;  /* '$initial_call' as M:F/A, else `Spawned as` */
	uint64_t memory_bytes;         /* the =proc Memory: (estimated when absent) */
	uint32_t section;              /* its =proc section */
	uint32_t parent;               /* the spawner (or first live ancestor); BD_NO_PLACE */
	uint32_t supervisor;           /* nearest supervisor above it; BD_NO_PLACE */
	uint32_t app;                  /* index into apps; BD_NO_PLACE outside applications */
	uint32_t group;                /* index into groups */
	uint64_t pid_key;              /* its pid's order as a number: ties between places go by it */
	bool is_supervisor;            /* supervisor, supervisor_bridge, DynamicSupervisor */
	bool is_app_master;            /* application_master:init/4 */
	bool queued;                   /* its message queue is not empty */
	bool holds_binaries;           /* BinVHeap or OldBinVHeap is not 0 */
};

/* Siblings: the processes with the same parent, application and initial call. */
struct bd_proc_group {
	struct bd_slice initial_call;
	uint32_t parent;
	uint32_t supervisor;
	uint32_t app;
	uint32_t first;                /* its member of the lowest pid */
	uint64_t order;                /* that member's pid_key: ties between groups go by it */
	uint64_t count;
	uint64_t memory_bytes;
};

struct bd_proc_tree {
	struct bd_place *procs;        /* dump order */
	size_t n;
	struct bd_slice *apps;         /* application names, in byte order */
	size_t n_apps;
	struct bd_proc_group *groups;  /* most members first, then most memory */
	size_t n_groups;
	struct bd_arena *arenas;       /* names and initial calls: one per part of the build */
	size_t n_arenas;
	struct bd_dump *d;             /* the dump it was built from */
};

/*
 * Place every process of the dump. Reads each =proc's keys and, for the
 * processes that have one, the dictionary, on d->threads threads;
 * O(processes) memory.
 */
enum bd_status bd_proc_tree_build(struct bd_dump *d, struct bd_proc_tree *t, struct bd_error *err);
void bd_proc_tree_release(struct bd_proc_tree *t);

/* The place of pid ("<0.80.0>"), or BD_NO_PLACE. */
uint32_t bd_proc_tree_find(const struct bd_proc_tree *t, struct bd_dump *d, struct bd_slice pid);

/* Its pid ("<0.80.0>"), read from its =proc header; "" for BD_NO_PLACE. */
struct bd_slice bd_place_pid(const struct bd_proc_tree *t, uint32_t i);

/* How a place is named in reports: its registered name, else its pid; "" for BD_NO_PLACE. */
struct bd_slice bd_place_label(const struct bd_proc_tree *t, uint32_t i);

/*
 * A group's row: initial_call, spawned_by, supervisor, application, count,
 * memory_bytes (the contract of `procs --group`; `memory` adds its own).
 */
void bd_group_row(struct rm_builder *b, struct rm_node *row, const struct bd_proc_tree *t,
		  const struct bd_proc_group *g);

/* Build a tree that lives as long as report r (its cleanup); NULL and *rc on failure. */
struct bd_proc_tree *bd_report_own_tree(struct bd_dump *d, struct bd_report *r,
					struct bd_error *err, enum bd_status *rc);

/* procs --group: the groups whose initial call matches re (NULL: all), at most limit (0: all). */
enum bd_status bd_report_proc_groups(struct bd_dump *d, const struct bd_regex *re, size_t limit,
				     struct bd_report **out, struct bd_error *err);

#endif
