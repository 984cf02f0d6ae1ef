/* Building report trees; see model.h. */
#include "bd.h"
#include "report/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bd_report *bd_rm_report_new(const char *title)
{
	struct bd_report *r = bd_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	bd_arena_init(&r->arena);
	r->b.arena = &r->arena;
	r->title = title;
	r->root = bd_rm_obj(&r->b, NULL, NULL);
	if (!r->root) {
		bd_report_free(r);
		return NULL;
	}
	bd_rm_flags(bd_rm_str(&r->b, r->root, "schema", BD_JSON_SCHEMA), RM_NOTEXT);
	/* which report this is: "beamdump procs" -> "procs" */
	if (strncmp(title, "beamdump ", 9) == 0)
		bd_rm_flags(bd_rm_str(&r->b, r->root, "report", title + 9), RM_NOTEXT);
	return r;
}

void bd_report_free(struct bd_report *r)
{
	if (!r)
		return;
	if (r->cleanup)
		r->cleanup(r->cleanup_ctx);
	bd_arena_release(&r->arena);
	bd_free(r);
}

static struct rm_node *add(struct rm_builder *b, struct rm_node *parent, const char *key,
			   enum rm_kind kind, bool orphan_ok)
{
	struct rm_node *n;

	if (b->oom || (!parent && !orphan_ok))
		return NULL;
	n = bd_arena_calloc(b->arena, 1, sizeof(*n));
	if (!n) {
		b->oom = true;
		return NULL;
	}
	n->kind = (uint8_t)kind;
	n->key = key;
	if (parent) {
		if (parent->last)
			parent->last->next = n;
		else
			parent->first = n;
		parent->last = n;
		parent->n_children++;
	}
	return n;
}

struct rm_node *bd_rm_obj(struct rm_builder *b, struct rm_node *parent, const char *key)
{
	return add(b, parent, key, RM_OBJ, true);
}

struct rm_node *bd_rm_arr(struct rm_builder *b, struct rm_node *parent, const char *key)
{
	return add(b, parent, key, RM_ARR, true);
}

struct rm_node *bd_rm_lazy_arr(struct rm_builder *b, struct rm_node *parent, const char *key,
			    size_t n_rows, rm_row_fn gen, void *ctx)
{
	struct rm_node *n = add(b, parent, key, RM_ARR, false);

	if (n) {
		n->gen = gen;
		n->gen_ctx = ctx;
		n->n_rows = n_rows;
	}
	return n;
}

struct rm_node *bd_rm_null(struct rm_builder *b, struct rm_node *parent, const char *key)
{
	return add(b, parent, key, RM_NULL, false);
}

struct rm_node *bd_rm_bool(struct rm_builder *b, struct rm_node *parent, const char *key, bool v)
{
	struct rm_node *n = add(b, parent, key, RM_BOOL, false);

	if (n)
		n->v.b = v;
	return n;
}

struct rm_node *bd_rm_int(struct rm_builder *b, struct rm_node *parent, const char *key, int64_t v)
{
	struct rm_node *n = add(b, parent, key, RM_INT, false);

	if (n)
		n->v.i = v;
	return n;
}

struct rm_node *bd_rm_uint(struct rm_builder *b, struct rm_node *parent, const char *key, uint64_t v)
{
	struct rm_node *n = add(b, parent, key, RM_UINT, false);

	if (n)
		n->v.u = v;
	return n;
}

struct rm_node *bd_rm_bytes(struct rm_builder *b, struct rm_node *parent, const char *key, uint64_t v)
{
	struct rm_node *n = bd_rm_uint(b, parent, key, v);

	if (n)
		n->unit = RM_UNIT_BYTES;
	return n;
}

struct rm_node *bd_rm_float(struct rm_builder *b, struct rm_node *parent, const char *key, double v)
{
	struct rm_node *n = add(b, parent, key, RM_FLOAT, false);

	if (n)
		n->v.f = v;
	return n;
}

struct rm_node *bd_rm_ratio(struct rm_builder *b, struct rm_node *parent, const char *key, double v)
{
	struct rm_node *n = bd_rm_float(b, parent, key, v);

	if (n)
		n->unit = RM_UNIT_RATIO;
	return n;
}

/*
 * A string longer than RM_STR_MAX keeps its first RM_STR_MAX bytes (whole
 * characters) and says how long it was: a report repeats dump text (the
 * slogan is in several sections), and a crafted 100 MB slogan must not
 * make every copy 100 MB.
 */
static struct bd_slice cap_string(struct rm_builder *b, struct bd_slice v)
{
	char marker[64];
	size_t keep = RM_STR_MAX;
	size_t m;
	char *copy;

	if (v.len <= RM_STR_MAX)
		return v;
	while (keep > 0 && ((unsigned char)v.ptr[keep] & 0xC0) == 0x80)
		keep--;
	m = (size_t)snprintf(marker, sizeof(marker), "... [cut: %zu bytes in all]", v.len);
	copy = bd_arena_alloc(b->arena, keep + m + 1);
	if (!copy) {
		b->oom = true;
		return bd_slice_make("", 0);
	}
	memcpy(copy, v.ptr, keep);
	memcpy(copy + keep, marker, m + 1);
	return bd_slice_make(copy, keep + m);
}

struct rm_node *bd_rm_slice(struct rm_builder *b, struct rm_node *parent, const char *key,
			 struct bd_slice v)
{
	struct rm_node *n = add(b, parent, key, RM_STR, false);

	if (n)
		n->v.s = v.ptr ? cap_string(b, v) : bd_slice_make("", 0);
	return n;
}

struct rm_node *bd_rm_str(struct rm_builder *b, struct rm_node *parent, const char *key,
		       const char *s)
{
	char *copy;

	if (!parent || b->oom)
		return NULL;
	if (strlen(s) > RM_STR_MAX)
		return bd_rm_slice(b, parent, key, bd_slice_make(s, strlen(s)));
	copy = bd_arena_strndup(b->arena, s, strlen(s));
	if (!copy) {
		b->oom = true;
		return NULL;
	}
	return bd_rm_slice(b, parent, key, bd_slice_make(copy, strlen(copy)));
}

struct rm_node *bd_rm_slice_or_null(struct rm_builder *b, struct rm_node *parent, const char *key,
				 struct bd_slice v)
{
	return v.len ? bd_rm_slice(b, parent, key, v) : bd_rm_null(b, parent, key);
}

struct rm_node *bd_rm_label(struct rm_node *n, const char *label)
{
	if (n)
		n->label = label;
	return n;
}

struct rm_node *bd_rm_flags(struct rm_node *n, unsigned flags)
{
	if (n)
		n->flags |= (uint8_t)flags;
	return n;
}

/* ------------------------------------------------------------- shared */

void bd_rm_format_bytes(char *out, size_t cap, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, cap, "%llu B", (unsigned long long)bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < BD_ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, "%.1f %s", v, units[u]);
}

const char *bd_rm_node_label(const struct rm_node *n, char *buf, size_t cap)
{
	size_t i;
	const char *k = n->label ? n->label : n->key;

	if (!k)
		return "";
	for (i = 0; k[i] && i + 1 < cap; i++)
		buf[i] = k[i] == '_' ? ' ' : k[i];
	buf[i] = '\0';
	return buf;
}

size_t bd_rm_n_rows(const struct rm_node *arr)
{
	return arr->gen ? arr->n_rows : arr->n_children;
}

const struct rm_node *bd_rm_row(const struct rm_node *arr, size_t i, const struct rm_node **cursor,
			     struct rm_builder *scratch)
{
	if (arr->gen) {
		bd_arena_release(scratch->arena);
		scratch->oom = false;
		return arr->gen(arr->gen_ctx, i, scratch);
	}
	*cursor = i == 0 ? arr->first : (*cursor ? (*cursor)->next : NULL);
	return *cursor;
}

enum bd_status bd_report_render(const struct bd_report *r, enum bd_format format,
				 unsigned flags, FILE *out, struct bd_error *err)
{
	bool ok;

	if (r->b.oom)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory building the report");
	switch (format) {
	case BD_FORMAT_JSON:
		ok = bd_rm_render_json(r, out);
		break;
	case BD_FORMAT_MARKDOWN:
		ok = bd_rm_render_markdown(r, out);
		break;
	case BD_FORMAT_JUNIT:
		if (!bd_rm_child(r->root, "rules"))
			return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
				       "JUnit XML is written for check reports only");
		ok = bd_rm_render_junit(r, out);
		break;
	case BD_FORMAT_DOT:
		if (!r->graph)
			return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL,
				       "DOT is written for deadlocks only, asked with its graph");
		ok = bd_rm_render_dot(r, out);
		break;
	case BD_FORMAT_TEXT:
		ok = bd_rm_render_text(r, out, flags & BD_RENDER_COLOR);
		break;
	default:
		return bd_fail(err, BD_EUSAGE, BD_NO_OFFSET, NULL, "unknown output format %d",
			       (int)format);
	}
	if (!ok || ferror(out))
		return bd_fail(err, BD_EIO, BD_NO_OFFSET, NULL, "cannot write the report");
	return BD_OK;
}

struct rm_node *bd_rm_detach(struct rm_node *parent, const char *key)
{
	struct rm_node *prev = NULL;

	if (!parent)
		return NULL;
	for (struct rm_node *c = parent->first; c; prev = c, c = c->next) {
		if (!c->key || strcmp(c->key, key) != 0)
			continue;
		if (prev)
			prev->next = c->next;
		else
			parent->first = c->next;
		if (parent->last == c)
			parent->last = prev;
		parent->n_children--;
		c->next = NULL;
		return c;
	}
	return NULL;
}

void bd_rm_attach(struct rm_node *parent, struct rm_node *child)
{
	if (!parent || !child)
		return;
	child->next = NULL;
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
	parent->n_children++;
}
