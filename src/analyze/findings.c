/* Findings: what a report concludes, with severity, evidence and a next step. */
#include "bd.h"
#include "analyze/analyze.h"

static const char *const severity_names[] = { "info", "warning", "high", "critical" };

const char *bd_severity_name(enum bd_severity s)
{
	return s < BD_ARRAY_SIZE(severity_names) ? severity_names[s] : "info";
}

struct rm_node *bd_finding_add(struct rm_builder *b, struct rm_node *findings, const char *kind,
			       enum bd_severity severity, const char *title, const char *evidence,
			       const char *action)
{
	struct rm_node *f = bd_rm_obj(b, findings, NULL);

	bd_rm_str(b, f, "severity", bd_severity_name(severity));
	bd_rm_str(b, f, "kind", kind);
	bd_rm_flags(bd_rm_str(b, f, "title", title), RM_HEADING);
	bd_rm_flags(bd_rm_arr(b, f, "pids"), RM_NOTEXT);
	bd_rm_str(b, f, "evidence", evidence);
	bd_rm_label(bd_rm_str(b, f, "action", action), "next step");
	return f;
}

void bd_finding_pid(struct rm_builder *b, struct rm_node *finding, struct bd_slice pid)
{
	struct rm_node *pids = NULL;

	if (!finding)
		return;
	for (struct rm_node *c = finding->first; c; c = c->next)
		if (c->key && strcmp(c->key, "pids") == 0)
			pids = c;
	bd_rm_slice(b, pids, NULL, pid);
}

/* A =memory value in bytes ("processes", "binary", ...), or 0 if absent. */
uint64_t bd_memory_bytes(struct bd_dump *d, const char *key)
{
	struct bd_slice rest, line, k, v;
	uint64_t n;

	if (!bd_section_body(d, BD_SECT_MEMORY, &rest))
		return 0;
	while (bd_slice_next_line(&rest, &line)) {
		if (bd_slice_split_kv(line, &k, &v) && bd_slice_eq(k, key) &&
		    bd_parse_u64(bd_slice_trim(v), &n))
			return n;
	}
	return 0;
}
