/*
 * Findings: what a report concludes. An analysis gathers them typed, as it
 * finds them; the report's "findings" array is built from them at the end,
 * and the report keeps them, so analyze ranks the findings of its parts by
 * their severity, not by reading their text back.
 */
#ifndef BD_REPORT_FINDINGS_H
#define BD_REPORT_FINDINGS_H

#include "bd.h"

enum bd_severity {
	BD_SEV_INFO,
	BD_SEV_WARNING,
	BD_SEV_HIGH,
	BD_SEV_CRITICAL,
};

struct bd_finding {
	enum bd_severity severity;
	const char *kind;      /* "deadlock", "binary_slices", ... */
	const char *title;
	const char *evidence;
	const char *action;    /* the next step; NULL when read back without one */
	const char **pids;     /* the processes it names, first the one to look at */
	size_t n_pids;
	size_t cap_pids;
	int8_t exact;          /* -1: not said; else whether its figures are exact, not bounds */
	size_t order;          /* its place when gathered: equal severities keep it */
};

/* A list being gathered; its text and pids live in arena, the list on the heap. */
struct bd_findings {
	struct bd_arena *arena;
	struct bd_finding *v;
	size_t n, cap;
	bool oom;
};

const char *bd_severity_name(enum bd_severity s);
/* The severity named s; false if s names none. */
bool bd_severity_parse(struct bd_slice s, enum bd_severity *out);

void bd_findings_init(struct bd_findings *fs, struct bd_arena *arena);
void bd_findings_release(struct bd_findings *fs);

/* A new finding, its text copied; NULL (and fs->oom) when out of memory. */
struct bd_finding *bd_finding_add(struct bd_findings *fs, const char *kind,
				  enum bd_severity severity, const char *title,
				  const char *evidence, const char *action);
/* Name one more process in f (which may be NULL after an earlier failure). */
void bd_finding_pid(struct bd_findings *fs, struct bd_finding *f, struct bd_slice pid);
/* Append n findings gathered elsewhere; their text stays where it is. */
void bd_findings_append(struct bd_findings *fs, const struct bd_finding *v, size_t n);
/* Most severe first; equal severities in the order they were gathered. */
void bd_findings_rank(struct bd_findings *fs);

struct bd_report;
struct rm_node;
/*
 * Put fs's findings into arr as rows, in their order, and keep them typed in
 * r (r->findings); fs is released. BD_ENOMEM if any was lost to memory.
 */
enum bd_status bd_report_findings(struct bd_report *r, struct rm_node *arr,
				  struct bd_findings *fs);

#endif
