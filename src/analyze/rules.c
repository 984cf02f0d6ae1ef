/*
 * Rules for `check`. Flags, `key = value` files and JSON files all end in
 * bd_check_rules_set, so a rule means the same wherever it is written.
 */
#include "bd.h"
#include "analyze/rules.h"
#include "util/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const char *const growth_names[BD_GROWTH_N] = { "processes", "binary", "ets", "atom",
						       "code", "total", "process" };

const char *bd_growth_name(size_t category)
{
	return category < BD_GROWTH_N ? growth_names[category] : "";
}

enum bd_status bd_check_rules_new(struct bd_check_rules **out, struct bd_error *err)
{
	struct bd_check_rules *r = bd_calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
	bd_arena_init(&r->arena);
	r->max_queue = r->max_pinned = r->max_state = r->max_ets = BD_UNSET;
	r->max_processes = r->max_memory = BD_UNSET;
	r->max_atoms_pct = -1;
	r->fail_on = -1;
	for (size_t i = 0; i < BD_GROWTH_N; i++)
		r->max_growth[i] = -1;
	*out = r;
	return BD_OK;
}

void bd_check_rules_free(struct bd_check_rules *r)
{
	if (!r)
		return;
	bd_free(r->allow);
	bd_arena_release(&r->arena);
	bd_free(r);
}

bool bd_rules_allowed(const struct bd_check_rules *r, const char *kind)
{
	for (size_t i = 0; r && kind && i < r->n_allow; i++)
		if (strcmp(r->allow[i].kind, kind) == 0)
			return true;
	return false;
}

/* P or P% (a non-negative number). */
static bool parse_pct(const char *s, double *out)
{
	char *end;
	double v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return false;
	if (*end == '%')
		end++;
	if (*end)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

static enum bd_status bad(struct bd_error *err, const char *key, const char *value,
			  const char *want)
{
	return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL, "%s: '%s' is not %s", key, value, want);
}

enum bd_status bd_check_rules_set(struct bd_check_rules *r, const char *key, const char *value,
				  const char *why, struct bd_error *err)
{
	static const struct {
		const char *key;
		size_t off;
	} byte_rules[] = {
		{ "max_queue", offsetof(struct bd_check_rules, max_queue) },
		{ "max_pinned", offsetof(struct bd_check_rules, max_pinned) },
		{ "max_state", offsetof(struct bd_check_rules, max_state) },
		{ "max_ets", offsetof(struct bd_check_rules, max_ets) },
		{ "max_processes", offsetof(struct bd_check_rules, max_processes) },
		{ "max_memory", offsetof(struct bd_check_rules, max_memory) },
	};

	for (size_t i = 0; i < BD_ARRAY_SIZE(byte_rules); i++) {
		if (strcmp(key, byte_rules[i].key) != 0)
			continue;
		uint64_t *to = (uint64_t *)((char *)r + byte_rules[i].off);
		bool counts = i == 0 || i == 4; /* max_queue, max_processes: plain numbers */
		uint64_t v;
		if (counts ? !bd_parse_u64(bd_slice_make(value, strlen(value)), &v)
			   : !bd_parse_size(value, &v))
			return bad(err, key, value,
				   counts ? "a whole number" : "a size in bytes (K, M, G suffixes)");
		*to = v;
		r->any = true;
		return BD_OK;
	}
	if (strcmp(key, "no_deadlocks") == 0) {
		if (!parse_bool(value, &r->no_deadlocks))
			return bad(err, key, value, "true or false");
		r->any = true;
		return BD_OK;
	}
	if (strcmp(key, "match") == 0) {
		struct bd_regex *re;
		enum bd_status rc = bd_regex_compile(&re, value, err);
		if (rc)
			return rc;
		bd_regex_free(re);
		r->match = bd_arena_strndup(&r->arena, value, strlen(value));
		return r->match ? BD_OK : bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
	}
	if (strcmp(key, "max_atoms_pct") == 0) {
		if (!parse_pct(value, &r->max_atoms_pct))
			return bad(err, key, value, "a percentage");
		r->any = true;
		return BD_OK;
	}
	if (strcmp(key, "fail_on") == 0) {
		for (int s = BD_SEV_INFO; s <= BD_SEV_CRITICAL; s++) {
			if (strcasecmp(value, bd_severity_name((enum bd_severity)s)) == 0) {
				r->fail_on = s;
				r->any = true;
				return BD_OK;
			}
		}
		return bad(err, key, value, "a severity (info, warning, high, critical)");
	}
	if (strcmp(key, "allow") == 0) {
		if (!*value || strchr(value, ' '))
			return bad(err, key, value, "a finding kind");
		if (bd_rules_allowed(r, value))
			return BD_OK;
		if (!bd_grow((void **)&r->allow, &r->cap_allow, r->n_allow + 1, sizeof(*r->allow)))
			return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
		struct bd_allow *a = &r->allow[r->n_allow];
		a->kind = bd_arena_strndup(&r->arena, value, strlen(value));
		a->why = why ? bd_arena_strndup(&r->arena, why, strlen(why)) : NULL;
		if (!a->kind || (why && !a->why))
			return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
		r->n_allow++;
		return BD_OK;
	}
	if (strncmp(key, "max_growth.", 11) == 0) {
		for (size_t c = 0; c < BD_GROWTH_N; c++) {
			if (strcmp(key + 11, growth_names[c]) == 0) {
				if (!parse_pct(value, &r->max_growth[c]))
					return bad(err, key, value, "a percentage");
				r->any = true;
				return BD_OK;
			}
		}
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
			       "unknown growth category '%s' (processes, binary, ets, atom, code, "
			       "total or process)", key + 11);
	}
	return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL, "unknown rule '%s'", key);
}

/* ------------------------------------------------------ rules files */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static enum bd_status at_line(struct bd_error *err, enum bd_status rc, const char *path,
			      size_t line)
{
	char msg[sizeof(err->msg)];

	if (rc && err) {
		snprintf(msg, sizeof(msg), "%.100s line %zu: %.140s", path, line, err->msg);
		memcpy(err->msg, msg, sizeof(msg));
	}
	return rc;
}

static enum bd_status load_lines(struct bd_check_rules *r, const char *path, char *text,
				 struct bd_error *err)
{
	char *comment_above = NULL;
	size_t line = 0;

	for (char *p = text, *next; p && *p; p = next) {
		char *why = NULL, *eq, *key, *value, *hash;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		line++;
		hash = strchr(p, '#');
		if (hash) {
			*hash = '\0';
			why = trim(hash + 1);
		}
		p = trim(p);
		if (!*p) {
			comment_above = why && *why ? why : NULL;
			continue;
		}
		eq = strchr(p, '=');
		if (!eq)
			return at_line(err, bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
						    "expected 'key = value'"), path, line);
		*eq = '\0';
		key = trim(p);
		value = trim(eq + 1);
		if (!(why && *why))
			why = comment_above;
		if (strcmp(key, "allow") == 0 && !why)
			return at_line(err, bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
						    "allow %s needs a comment saying why", value),
				       path, line);
		enum bd_status rc = bd_check_rules_set(r, key, value, why, err);
		if (rc)
			return at_line(err, rc, path, line);
		comment_above = NULL;
	}
	return BD_OK;
}

/* A JSON rules object: nested objects make dotted keys; arrays repeat a key. */
static enum bd_status load_json_value(struct bd_check_rules *r, const char *key,
				      const struct bd_json *v, struct bd_error *err)
{
	char text[64];
	const char *value = text;

	switch (v->type) {
	case BD_JSON_OBJ:
		for (const struct bd_json *c = v->first; c; c = c->next) {
			enum bd_status rc;
			if (strcmp(key, "allow") == 0) {
				if (c->type != BD_JSON_STR || !c->len)
					return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
						       "allow.%s needs a string saying why", c->key);
				rc = bd_check_rules_set(r, "allow", c->key, c->str, err);
			} else {
				char sub[128];
				snprintf(sub, sizeof(sub), "%s%s%s", key, *key ? "." : "", c->key);
				rc = load_json_value(r, sub, c, err);
			}
			if (rc)
				return rc;
		}
		return BD_OK;
	case BD_JSON_ARR:
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
			       "%s: a list is not a rule (allow is an object of kind: why)", key);
	case BD_JSON_STR:
		value = v->str;
		break;
	case BD_JSON_BOOL:
		value = v->b ? "true" : "false";
		break;
	case BD_JSON_NUM:
		if (v->is_uint)
			snprintf(text, sizeof(text), "%llu", (unsigned long long)v->u);
		else
			snprintf(text, sizeof(text), "%.17g", v->num);
		break;
	case BD_JSON_NULL:
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL, "%s: null is not a rule", key);
	}
	if (strcmp(key, "allow") == 0)
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
			       "allow is an object of kind: why");
	return bd_check_rules_set(r, key, value, NULL, err);
}

enum bd_status bd_check_rules_load(struct bd_check_rules *r, const char *path,
				   struct bd_error *err)
{
	FILE *f = fopen(path, "rb");
	struct bd_buf b = BD_BUF_INIT;
	char chunk[4096];
	size_t n;
	enum bd_status rc;

	if (!f)
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL, "cannot open rules file %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (1u << 20))
		bd_buf_add(&b, chunk, n);
	fclose(f);
	if (b.oom)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory");
	const char *first = b.ptr + strspn(b.ptr, " \t\r\n");
	if (*first == '{') {
		struct bd_arena a;
		struct bd_json *json;
		bd_arena_init(&a);
		rc = bd_json_parse(&a, b.ptr, b.len, &json, err);
		if (rc == BD_EFORMAT)
			rc = BD_EUSAGE;
		if (!rc)
			rc = load_json_value(r, "", json, err);
		if (rc && err) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%.100s: %.150s", path, err->msg);
			memcpy(err->msg, msg, sizeof(msg));
		}
		bd_arena_release(&a);
	} else {
		rc = load_lines(r, path, b.ptr, err);
	}
	bd_buf_release(&b);
	return rc;
}
