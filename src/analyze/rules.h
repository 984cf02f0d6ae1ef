/* The rules of `check`: from flags and rules files, through one setter. */
#ifndef BD_ANALYZE_RULES_H
#define BD_ANALYZE_RULES_H

#include "analyze/capture.h"

/* max_growth categories: the memory ones, then each matched process or group. */
#define BD_GROWTH_PROCESS BD_MEM_N
#define BD_GROWTH_N (BD_MEM_N + 1)

struct bd_allow {
	const char *kind;
	const char *why;  /* or NULL */
};

struct bd_check_rules {
	struct bd_arena arena;
	bool any;                   /* a rule was set */
	bool no_deadlocks;
	uint64_t max_queue;         /* BD_UNSET: no such rule */
	const char *match;          /* scopes max_queue; NULL: every process */
	uint64_t max_pinned;
	uint64_t max_state;
	uint64_t max_ets;
	uint64_t max_processes;
	uint64_t max_memory;
	double max_atoms_pct;       /* < 0: no such rule */
	int fail_on;                /* enum bd_severity, -1: no such rule */
	double max_growth[BD_GROWTH_N]; /* percent, < 0: no such rule */
	struct bd_allow *allow;
	size_t n_allow, cap_allow;
};

/* "processes", ..., "total", "process". */
const char *bd_growth_name(size_t category);
bool bd_rules_allowed(const struct bd_check_rules *r, const char *kind);

#endif
