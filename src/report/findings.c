/* Findings gathered typed, ranked by severity, and turned into report rows. */
#include "bd.h"
#include "report/findings.h"
#include "report/model.h"

static const char *const severity_names[] = { "info", "warning", "high", "critical" };

const char *bd_severity_name(enum bd_severity s)
{
	return (size_t)s < BD_ARRAY_SIZE(severity_names) ? severity_names[s] : "info";
}

bool bd_severity_parse(struct bd_slice s, enum bd_severity *out)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(severity_names); i++) {
		if (bd_slice_eq(s, severity_names[i])) {
			*out = (enum bd_severity)i;
			return true;
		}
	}
	return false;
}

void bd_findings_init(struct bd_findings *fs, struct bd_arena *arena)
{
	memset(fs, 0, sizeof(*fs));
	fs->arena = arena;
}

void bd_findings_release(struct bd_findings *fs)
{
	bd_free(fs->v);
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

static const char *copy(struct bd_findings *fs, const char *s)
{
	char *p = s ? bd_arena_strndup(fs->arena, s, strlen(s)) : NULL;

	if (s && !p)
		fs->oom = true;
	return p;
}

static struct bd_finding *slot(struct bd_findings *fs)
{
	if (fs->oom || !bd_grow((void **)&fs->v, &fs->cap, fs->n + 1, sizeof(*fs->v))) {
		fs->oom = true;
		return NULL;
	}
	return &fs->v[fs->n++];
}

struct bd_finding *bd_finding_add(struct bd_findings *fs, const char *kind,
				  enum bd_severity severity, const char *title,
				  const char *evidence, const char *action)
{
	struct bd_finding *f = slot(fs);

	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->severity = severity;
	f->kind = kind;
	f->title = copy(fs, title);
	f->evidence = copy(fs, evidence);
	f->action = copy(fs, action);
	f->exact = -1;
	f->order = fs->n - 1;
	if (!kind || !title || !evidence)
		fs->oom = true; /* their text could not be made */
	if (fs->oom) {
		fs->n--;
		return NULL;
	}
	return f;
}

void bd_finding_pid(struct bd_findings *fs, struct bd_finding *f, struct bd_slice pid)
{
	const char *text;

	if (!f || fs->oom)
		return;
	if (f->n_pids == f->cap_pids) {
		/* grown in the arena: a finding names few processes */
		size_t cap = f->cap_pids ? 2 * f->cap_pids : 4;
		const char **v = bd_arena_calloc(fs->arena, cap, sizeof(*v));
		if (!v) {
			fs->oom = true;
			return;
		}
		if (f->n_pids)
			memcpy(v, f->pids, f->n_pids * sizeof(*v));
		f->pids = v;
		f->cap_pids = cap;
	}
	text = bd_arena_strndup(fs->arena, pid.ptr ? pid.ptr : "", pid.len);
	if (!text) {
		fs->oom = true;
		return;
	}
	f->pids[f->n_pids++] = text;
}

void bd_findings_append(struct bd_findings *fs, const struct bd_finding *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bd_finding *f = slot(fs);
		if (!f)
			return;
		*f = v[i];
		f->order = fs->n - 1;
	}
}

static int rank_cmp(const void *a, const void *b)
{
	const struct bd_finding *x = a;
	const struct bd_finding *y = b;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void bd_findings_rank(struct bd_findings *fs)
{
	if (fs->n > 1)
		bd_sort(fs->v, fs->n, sizeof(*fs->v), rank_cmp);
}

/* {severity, kind, title, pids, evidence, action}: the order every report shows. */
static void finding_row(struct rm_builder *b, struct rm_node *arr, const struct bd_finding *f)
{
	struct rm_node *o = bd_rm_obj(b, arr, NULL);
	struct rm_node *pids;

	bd_rm_str(b, o, "severity", bd_severity_name(f->severity));
	bd_rm_str(b, o, "kind", f->kind ? f->kind : "");
	bd_rm_flags(bd_rm_str(b, o, "title", f->title ? f->title : ""), RM_HEADING);
	pids = bd_rm_flags(bd_rm_arr(b, o, "pids"), RM_NOTEXT);
	for (size_t i = 0; i < f->n_pids; i++)
		bd_rm_str(b, pids, NULL, f->pids[i]);
	bd_rm_str(b, o, "evidence", f->evidence ? f->evidence : "");
	bd_rm_label(bd_rm_str(b, o, "action", f->action ? f->action : ""), "next step");
	if (f->exact >= 0)
		bd_rm_flags(bd_rm_bool(b, o, "exact", f->exact), RM_NOTEXT);
}

enum bd_status bd_report_findings(struct bd_report *r, struct rm_node *arr,
				  struct bd_findings *fs)
{
	struct bd_finding *kept = NULL;

	if (!fs->oom && fs->n) {
		kept = bd_arena_alloc(&r->arena, fs->n * sizeof(*kept));
		if (kept)
			memcpy(kept, fs->v, fs->n * sizeof(*kept));
		else
			fs->oom = true;
	}
	if (fs->oom) {
		bd_findings_release(fs);
		r->b.oom = true;
		return BD_ENOMEM;
	}
	for (size_t i = 0; i < fs->n; i++)
		finding_row(&r->b, arr, &kept[i]);
	r->findings = kept;
	r->n_findings = fs->n;
	bd_findings_release(fs);
	return r->b.oom ? BD_ENOMEM : BD_OK;
}
