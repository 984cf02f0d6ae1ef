/*
 * `check`: rules over one capture, and over its growth since a baseline,
 * turned into a verdict for CI. Each rule lists its violations with the
 * evidence: the process, its number, the threshold. Violations are ordered
 * by value, ties by pid, so the report is byte-stable.
 */
#include "bd.h"
#include "analyze/match.h"
#include "analyze/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_LISTED 20            /* violations listed per rule; all are counted */
#define PROCESS_GROWTH_FLOOR (64u << 10) /* process growth is judged from 64 KiB up */

enum unit { PLAIN, BYTES, PERCENT };

struct violation {
	const char *pid;
	const char *name;
	double value;                /* NAN: none */
	const char *evidence;
};

struct rule {
	const char *name;
	enum unit unit;
	double threshold;            /* NAN: none */
	const char *threshold_text;  /* instead of a number (fail_on) */
	struct violation *v;
	size_t n, cap;
};

struct checker {
	struct bd_report *r;
	struct bd_arena *a;
	const struct bd_check_rules *rules;
	const struct bd_capture *now, *base;
	struct rm_node *arr;
	bool passed;
	size_t broken, n_rules;
	bool oom;
};

static int violation_cmp(const void *x, const void *y)
{
	const struct violation *a = x, *b = y;
	bool an = isnan(a->value), bn = isnan(b->value);

	if (an != bn)
		return an ? 1 : -1;
	if (!an && a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return bd_pid_text_cmp(a->pid, b->pid);
}

static void violate(struct checker *k, struct rule *r, const char *pid, const char *name,
		    double value, const char *evidence)
{
	if (!evidence || !bd_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v))) {
		k->oom = true;
		return;
	}
	r->v[r->n++] = (struct violation){ pid, name, value, evidence };
}

/* A copy of s, or null. */
static struct rm_node *opt_str(struct rm_builder *b, struct rm_node *o, const char *key,
			       const char *s)
{
	return s ? bd_rm_str(b, o, key, s) : bd_rm_null(b, o, key);
}

static struct rm_node *number(struct rm_builder *b, struct rm_node *o, const char *key,
			      enum unit unit, double v)
{
	if (isnan(v))
		return bd_rm_null(b, o, key);
	if (unit == BYTES)
		return bd_rm_bytes(b, o, key, (uint64_t)v);
	if (unit == PERCENT || v != floor(v))
		return bd_rm_float(b, o, key, round(v * 100) / 100);
	return bd_rm_uint(b, o, key, (uint64_t)v);
}

/* Add the rule, with its verdict and violations, to the report. */
static void emit(struct checker *k, struct rule *r)
{
	struct rm_builder *b = &k->r->b;
	struct rm_node *o = bd_rm_obj(b, k->arr, NULL);
	struct rm_node *arr;

	bd_sort(r->v, r->n, sizeof(*r->v), violation_cmp);
	bd_rm_flags(bd_rm_str(b, o, "rule", r->name), RM_HEADING);
	if (r->threshold_text)
		bd_rm_str(b, o, "threshold", r->threshold_text);
	else
		bd_rm_label(number(b, o, "threshold", r->unit, r->threshold),
			 r->unit == PERCENT ? "threshold %" : NULL);
	bd_rm_bool(b, o, "passed", r->n == 0);
	bd_rm_label(bd_rm_uint(b, o, "violations_count", r->n), "violations");
	arr = bd_rm_label(bd_rm_arr(b, o, "violations"), r->n > MAX_LISTED ? "the first violations"
							 : "violations");
	if (!r->n)
		bd_rm_flags(arr, RM_NOTEXT);
	for (size_t i = 0; i < r->n && i < MAX_LISTED; i++) {
		struct rm_node *v = bd_rm_obj(b, arr, NULL);
		opt_str(b, v, "pid", r->v[i].pid);
		opt_str(b, v, "name", r->v[i].name);
		number(b, v, "value", r->unit, r->v[i].value);
		bd_rm_flags(bd_rm_str(b, v, "evidence", r->v[i].evidence), RM_FULL);
	}
	if (r->n) {
		k->passed = false;
		k->broken++;
	}
	k->n_rules++;
	bd_free(r->v);
}

static struct rule rule_of(const char *name, enum unit unit, double threshold)
{
	return (struct rule){ name, unit, threshold, NULL, NULL, 0, 0 };
}

static const char *who(struct checker *k, const struct bd_cap_proc *p)
{
	return p->name ? p->name : p->label ? p->label : bd_arena_printf(k->a, "%s", p->pid);
}

static char *bytes_text(struct checker *k, uint64_t v)
{
	char buf[32];

	bd_rm_format_bytes(buf, sizeof(buf), v);
	return bd_arena_printf(k->a, "%s", buf);
}

/* ------------------------------------------------------ the rules */

static const char *first_name(const struct bd_capture *c, const struct bd_finding *f)
{
	const struct bd_cap_proc *p = f->n_pids ? bd_capture_proc(c, f->pids[0]) : NULL;

	return p ? (p->name ? p->name : p->label) : NULL;
}

static void finding_rule(struct checker *k, const char *name, const char *kind, int min_sev)
{
	struct rule r = rule_of(name, PLAIN, NAN);

	if (min_sev >= 0)
		r.threshold_text = bd_severity_name((enum bd_severity)min_sev);
	for (size_t i = 0; i < k->now->n_findings; i++) {
		const struct bd_finding *f = &k->now->findings[i];
		if (bd_rules_allowed(k->rules, f->kind) || (kind && (!f->kind || strcmp(f->kind, kind))) ||
		    (min_sev >= 0 && (int)f->severity < min_sev))
			continue;
		violate(k, &r, f->n_pids ? f->pids[0] : NULL, first_name(k->now, f),
			kind ? (double)f->n_pids : NAN,
			bd_arena_printf(k->a, "%s %s: %s", bd_severity_name(f->severity),
					f->kind ? f->kind : "?", f->title ? f->title : ""));
	}
	emit(k, &r);
}

static bool in_scope(const struct bd_regex *re, const struct bd_cap_proc *p)
{
	const char *fields[] = { p->name, p->label, p->initial_call };

	if (!re)
		return true;
	for (size_t i = 0; i < BD_ARRAY_SIZE(fields); i++)
		if (fields[i] && bd_regex_match(re, bd_slice_make(fields[i], strlen(fields[i]))))
			return true;
	return false;
}

/* A per-process limit on one field (offset into bd_cap_proc). */
static enum bd_status proc_rule(struct checker *k, const char *name, enum unit unit,
				uint64_t limit, size_t field, const char *what, const char *match,
				struct bd_error *err)
{
	struct rule r = rule_of(name, unit, (double)limit);
	struct bd_regex *re = NULL;

	if (match) {
		enum bd_status rc = bd_regex_compile(&re, match, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < k->now->n_procs; i++) {
		const struct bd_cap_proc *p = &k->now->procs[i];
		uint64_t v = *(const uint64_t *)((const char *)p + field);
		if (v == BD_UNSET || v <= limit || !in_scope(re, p))
			continue;
		violate(k, &r, p->pid, p->name ? p->name : p->label, (double)v,
			unit == BYTES
				? bd_arena_printf(k->a, "%s (%s) %s %s, over %s", who(k, p), p->pid,
						  what, bytes_text(k, v), bytes_text(k, limit))
				: bd_arena_printf(k->a, "%s (%s) %s %llu, over %llu", who(k, p), p->pid,
						  what, (unsigned long long)v,
						  (unsigned long long)limit));
	}
	bd_regex_free(re);
	emit(k, &r);
	return BD_OK;
}

static void ets_rule(struct checker *k)
{
	struct rule r = rule_of("max_ets", BYTES, (double)k->rules->max_ets);

	for (size_t i = 0; i < k->now->n_ets; i++) {
		const struct bd_cap_ets *e = &k->now->ets[i];
		if (e->bytes == BD_UNSET || e->bytes <= k->rules->max_ets)
			continue;
		violate(k, &r, e->owner, e->name, (double)e->bytes,
			bd_arena_printf(k->a, "ETS table %s of %s (%s) holds %s in %llu objects, over %s",
					e->name ? e->name : "?",
					e->owner_name ? e->owner_name : "?", e->owner ? e->owner : "?",
					bytes_text(k, e->bytes), (unsigned long long)e->objects,
					bytes_text(k, k->rules->max_ets)));
	}
	emit(k, &r);
}

/* A node-wide number against a limit. */
static void node_rule(struct checker *k, const char *name, enum unit unit, double limit,
		      double value, const char *evidence)
{
	struct rule r = rule_of(name, unit, limit);

	if (!isnan(value) && value > limit)
		violate(k, &r, NULL, NULL, value, evidence);
	emit(k, &r);
}

static double pct_growth(uint64_t old, uint64_t now)
{
	if (old == BD_UNSET || now == BD_UNSET)
		return NAN;
	if (old == 0)
		return now ? INFINITY : 0;
	return ((double)now - (double)old) * 100.0 / (double)old;
}

static const char *pct_text(struct checker *k, double pct)
{
	return isinf(pct) ? "from nothing" : bd_arena_printf(k->a, "%+.1f%%", pct);
}

static void memory_growth_rule(struct checker *k, size_t cat)
{
	uint64_t old = k->base->memory[cat], now = k->now->memory[cat];
	double pct = pct_growth(old, now), limit = k->rules->max_growth[cat];
	struct rule r = rule_of(bd_arena_printf(k->a, "max_growth.%s", bd_growth_name(cat)),
				PERCENT, limit);

	if (!isnan(pct) && pct > limit)
		violate(k, &r, NULL, bd_growth_name(cat), isinf(pct) ? NAN : pct,
			bd_arena_printf(k->a, "memory %s grew from %s to %s (%s), over %g%%",
					bd_growth_name(cat), bytes_text(k, old), bytes_text(k, now),
					pct_text(k, pct), limit));
	emit(k, &r);
}

static enum bd_status process_growth_rule(struct checker *k, struct bd_error *err)
{
	double limit = k->rules->max_growth[BD_GROWTH_PROCESS];
	struct rule r = rule_of("max_growth.process", PERCENT, limit);
	struct bd_match m;
	enum bd_status rc = bd_match_procs(k->base, k->now, &m, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < m.n; i++) {
		const struct bd_match_row *row = &m.rows[i];
		double pct = pct_growth(row->s_old.memory, row->s_new.memory);
		if (!row->n_old || !row->n_new || isnan(pct) || pct <= limit ||
		    row->s_new.memory < PROCESS_GROWTH_FLOOR)
			continue;
		const char *key = bd_arena_printf(k->a, "%s", row->key);
		violate(k, &r, row->new ? row->new->pid : NULL, key, pct,
			row->n_old == 1 && row->n_new == 1
				? bd_arena_printf(k->a, "%s (%s, was %s) grew from %s to %s (%s), "
						  "over %g%%", key, row->new->pid, row->old->pid,
						  bytes_text(k, row->s_old.memory),
						  bytes_text(k, row->s_new.memory), pct_text(k, pct), limit)
				: bd_arena_printf(k->a, "group %s (%zu processes, was %zu) grew from %s "
						  "to %s (%s), over %g%%", key, row->n_new, row->n_old,
						  bytes_text(k, row->s_old.memory),
						  bytes_text(k, row->s_new.memory), pct_text(k, pct), limit));
	}
	bd_match_release(&m);
	emit(k, &r);
	return BD_OK;
}

struct new_findings {
	struct checker *k;
	struct rule *r;
};

static bool new_finding(void *arg, const char *key, const struct bd_keyed *old, size_t n_old,
			const struct bd_keyed *now, size_t n_now)
{
	struct new_findings *nf = arg;
	struct checker *k = nf->k;

	(void)key;
	(void)old;
	for (size_t i = n_old; i < n_now; i++) {
		const struct bd_finding *f = now[i].item;
		if (bd_rules_allowed(k->rules, f->kind))
			continue;
		violate(k, nf->r, f->n_pids ? f->pids[0] : NULL, first_name(k->now, f), NAN,
			bd_arena_printf(k->a, "new since the baseline: %s %s: %s",
					bd_severity_name(f->severity), f->kind ? f->kind : "?",
					f->title ? f->title : ""));
	}
	return true;
}

/* A finding present now and absent from the baseline (matched as diff matches them). */
static void new_findings_rule(struct checker *k)
{
	struct rule r = rule_of("new_findings", PLAIN, NAN);
	struct new_findings nf = { k, &r };
	struct bd_keyed *old = bd_keyed_findings(k->a, k->base);
	struct bd_keyed *now = bd_keyed_findings(k->a, k->now);

	if (old && now)
		bd_keyed_merge(old, k->base->n_findings, now, k->now->n_findings, new_finding, &nf);
	else
		k->oom = true;
	bd_free(old);
	bd_free(now);
	emit(k, &r);
}

/* ------------------------------------------------------------ report */

static void capture_ref(struct rm_builder *b, struct rm_node *root, const char *key,
			const char *label, const struct bd_capture *c)
{
	struct rm_node *o;

	if (!c) {
		bd_rm_null(b, root, key);
		return;
	}
	o = bd_rm_label(bd_rm_obj(b, root, key), label);
	opt_str(b, o, "file", c->file);
	opt_str(b, o, "source", c->source);
	opt_str(b, o, "time", c->time);
}

static enum bd_status run_rules(struct checker *k, struct bd_error *err)
{
	const struct bd_check_rules *ru = k->rules;
	const struct bd_capture *c = k->now;
	enum bd_status rc = BD_OK;

	if (ru->no_deadlocks)
		finding_rule(k, "no_deadlocks", "deadlock", -1);
	if (ru->max_queue != BD_UNSET)
		rc = proc_rule(k, "max_queue", PLAIN, ru->max_queue,
			       offsetof(struct bd_cap_proc, queue), "has a message queue of",
			       ru->match, err);
	if (!rc && ru->max_pinned != BD_UNSET)
		rc = proc_rule(k, "max_pinned", BYTES, ru->max_pinned,
			       offsetof(struct bd_cap_proc, pinned),
			       "pins refc binaries through slices:", NULL, err);
	if (!rc && ru->max_state != BD_UNSET)
		rc = proc_rule(k, "max_state", BYTES, ru->max_state,
			       offsetof(struct bd_cap_proc, state), "holds a state of", NULL, err);
	if (rc)
		return rc;
	if (ru->max_ets != BD_UNSET)
		ets_rule(k);
	if (ru->max_atoms_pct >= 0) {
		double pct = c->atoms == BD_UNSET || c->atom_limit == BD_UNSET || !c->atom_limit
			? NAN : (double)c->atoms * 100.0 / (double)c->atom_limit;
		node_rule(k, "max_atoms_pct", PERCENT, ru->max_atoms_pct, pct,
			  bd_arena_printf(k->a, "%llu atoms of a limit of %llu (%.2f%%), over %g%%",
					  (unsigned long long)c->atoms,
					  (unsigned long long)c->atom_limit, pct, ru->max_atoms_pct));
	}
	if (ru->max_processes != BD_UNSET)
		node_rule(k, "max_processes", PLAIN, (double)ru->max_processes,
			  c->processes == BD_UNSET ? NAN : (double)c->processes,
			  bd_arena_printf(k->a, "%llu processes, over %llu",
					  (unsigned long long)c->processes,
					  (unsigned long long)ru->max_processes));
	if (ru->max_memory != BD_UNSET)
		node_rule(k, "max_memory", BYTES, (double)ru->max_memory,
			  c->memory[BD_MEM_TOTAL] == BD_UNSET ? NAN : (double)c->memory[BD_MEM_TOTAL],
			  bd_arena_printf(k->a, "total memory %s, over %s",
					  bytes_text(k, c->memory[BD_MEM_TOTAL]),
					  bytes_text(k, ru->max_memory)));
	if (ru->fail_on >= 0 || !ru->any)
		finding_rule(k, "fail_on", NULL, ru->fail_on >= 0 ? ru->fail_on : BD_SEV_CRITICAL);
	if (!k->base)
		return BD_OK;
	for (size_t cat = 0; cat < BD_MEM_N; cat++)
		if (ru->max_growth[cat] >= 0)
			memory_growth_rule(k, cat);
	if (ru->max_growth[BD_GROWTH_PROCESS] >= 0 &&
	    (rc = process_growth_rule(k, err)) != BD_OK)
		return rc;
	new_findings_rule(k);
	return BD_OK;
}

enum bd_status bd_report_check(const char *input, const struct bd_check_opts *opts,
			       struct bd_report **out, bool *passed, struct bd_error *err)
{
	struct bd_check_rules *empty = NULL;
	struct bd_capture *now = NULL, *base = NULL;
	struct checker k;
	struct rm_builder *b;
	struct rm_node *passed_node, *summary;
	enum bd_status rc;

	*out = NULL;
	*passed = false;
	memset(&k, 0, sizeof(k));
	k.rules = opts ? opts->rules : NULL;
	if (!k.rules && (rc = bd_check_rules_new(&empty, err)) != BD_OK)
		return rc;
	if (!k.rules)
		k.rules = empty;
	{
		const char *paths[2] = { input, opts ? opts->baseline : NULL };
		struct bd_capture *caps[2] = { NULL, NULL };
		rc = bd_capture_load_all(caps, paths, paths[1] ? 2 : 1, opts ? opts->open : NULL, err);
		now = caps[0];
		base = caps[1];
	}
	if (rc)
		goto done;
	k.r = bd_rm_report_new("beamdump check");
	if (!k.r) {
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
		goto done;
	}
	b = &k.r->b;
	k.a = b->arena;
	k.now = now;
	k.base = base;
	k.passed = true;
	passed_node = bd_rm_bool(b, k.r->root, "passed", true);
	summary = bd_rm_str(b, k.r->root, "summary", "");
	capture_ref(b, k.r->root, "input", "Input", now);
	capture_ref(b, k.r->root, "baseline", "Baseline", base);
	k.arr = bd_rm_flags(bd_rm_label(bd_rm_arr(b, k.r->root, "rules"), "Rules"), RM_BLOCKS);
	rc = run_rules(&k, err);
	if (!rc && k.rules->n_allow) {
		struct rm_node *allowed = bd_rm_label(bd_rm_arr(b, k.r->root, "allowed"),
						   "Allowed finding kinds");
		for (size_t i = 0; i < k.rules->n_allow; i++) {
			struct rm_node *o = bd_rm_obj(b, allowed, NULL);
			bd_rm_str(b, o, "kind", k.rules->allow[i].kind);
			bd_rm_flags(opt_str(b, o, "why", k.rules->allow[i].why), RM_FULL);
		}
	}
	if (!rc && (k.oom || b->oom))
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory checking rules");
	if (rc) {
		bd_report_free(k.r);
		goto done;
	}
	if (passed_node)
		passed_node->v.b = k.passed;
	if (summary) {
		const char *text = bd_arena_printf(k.a, "%zu of %zu rules broken", k.broken,
						   k.n_rules);
		summary->v.s = text ? bd_slice_make(text, strlen(text)) : summary->v.s;
	}
	*passed = k.passed;
	*out = k.r;
done:
	bd_capture_free(now);
	bd_capture_free(base);
	bd_check_rules_free(empty);
	return rc;
}
