/*
 * Markdown renderer, for pasting into a postmortem: a heading per object,
 * "- **label:** value" lines for scalars, tables for arrays of objects.
 * Pipes are escaped and multi-line text goes into code blocks; control
 * characters are shown as \xHH, never written raw.
 */
#include "bd.h"
#include "report/model.h"
#include "util/utf8.h"

#include <math.h>
#include <stdio.h>

/*
 * One character of dump text, made safe for Markdown read on a terminal or
 * rendered: a control character (C0, DEL, C1) becomes a visible \xHH, a
 * byte that is not well-formed UTF-8 becomes U+FFFD. Returns the bytes used.
 */
static size_t md_char(FILE *out, const unsigned char *p, size_t left)
{
	size_t n = bd_utf8_len(p, left, NULL);
	uint32_t cp;

	if (!n) {
		fputs("\xEF\xBF\xBD", out);
		return 1;
	}
	cp = bd_utf8_decode(p, n);
	if (bd_is_control(cp))
		fprintf(out, "\\x%02X", (unsigned)cp);
	else
		fwrite(p, 1, n, out);
	return n;
}

static void md_text(FILE *out, struct bd_slice s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;

	for (size_t i = 0; i < s.len;) {
		unsigned char c = p[i];
		if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>' ||
		    c == '[' || c == ']' || c == '\\')
			fputc('\\', out);
		if (c == '\n' || c == '\r') {
			fputc(' ', out);
			i++;
		} else {
			i += md_char(out, p + i, s.len - i);
		}
	}
}

static void md_scalar(FILE *out, const struct rm_node *n)
{
	char buf[64];

	switch ((enum rm_kind)n->kind) {
	case RM_NULL:
		fputs("-", out);
		break;
	case RM_BOOL:
		fputs(n->v.b ? "yes" : "no", out);
		break;
	case RM_INT:
		fprintf(out, "%lld", (long long)n->v.i);
		break;
	case RM_UINT:
		if (n->unit == RM_UNIT_BYTES) {
			rm_format_bytes(buf, sizeof(buf), n->v.u);
			fputs(buf, out);
		} else {
			fprintf(out, "%llu", (unsigned long long)n->v.u);
		}
		break;
	case RM_FLOAT:
		if (!isfinite(n->v.f))
			fputs("-", out);
		else if (n->unit == RM_UNIT_RATIO)
			fprintf(out, "%.1f%%", n->v.f * 100.0);
		else
			fprintf(out, "%.3g", n->v.f);
		break;
	case RM_STR:
		md_text(out, n->v.s);
		break;
	case RM_OBJ:
	case RM_ARR:
		break;
	}
}

static bool is_scalar(const struct rm_node *n)
{
	return n->kind != RM_OBJ && n->kind != RM_ARR;
}

static void md_table(FILE *out, const struct rm_node *arr)
{
	struct bd_arena arena;
	struct rm_builder scratch = { &arena, false };
	const struct rm_node *cursor = NULL;
	const struct rm_node *row;
	char label[64];
	size_t n = rm_n_rows(arr);

	bd_arena_init(&arena);
	row = rm_row(arr, 0, &cursor, &scratch);
	if (!row) {
		bd_arena_release(&arena);
		return;
	}
	fputc('|', out);
	for (const struct rm_node *c = row->first; c; c = c->next)
		if (!(c->flags & RM_NOTEXT) && is_scalar(c))
			fprintf(out, " %s |", rm_node_label(c, label, sizeof(label)));
	fputs("\n|", out);
	for (const struct rm_node *c = row->first; c; c = c->next)
		if (!(c->flags & RM_NOTEXT) && is_scalar(c))
			fputs(c->kind == RM_STR || c->kind == RM_NULL ? " --- |" : " ---: |", out);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		row = rm_row(arr, i, &cursor, &scratch);
		if (!row || (row->flags & RM_NOTEXT))
			continue;
		fputc('|', out);
		for (const struct rm_node *c = row->first; c; c = c->next) {
			if ((c->flags & RM_NOTEXT) || !is_scalar(c))
				continue;
			fputc(' ', out);
			md_scalar(out, c);
			fputs(" |", out);
		}
		fputc('\n', out);
	}
	bd_arena_release(&arena);
}

static void md_fields(FILE *out, const struct rm_node *obj, int level);

static void md_array(FILE *out, const struct rm_node *arr, int level)
{
	struct bd_arena arena;
	struct rm_builder scratch = { &arena, false };
	const struct rm_node *cursor = NULL;
	size_t n = rm_n_rows(arr);
	const struct rm_node *first;

	bd_arena_init(&arena);
	first = n ? rm_row(arr, 0, &cursor, &scratch) : NULL;
	if (!first) {
		fputs("_(none)_\n", out);
	} else if (first->kind == RM_OBJ) {
		bool flat = !(arr->flags & RM_BLOCKS);
		for (const struct rm_node *c = first->first; c; c = c->next)
			if (!is_scalar(c) && !(c->flags & RM_NOTEXT))
				flat = false;
		if (flat) {
			md_table(out, arr);
		} else {
			for (size_t i = 0; i < n; i++) {
				const struct rm_node *row = rm_row(arr, i, &cursor, &scratch);
				if (!row)
					continue;
				for (const struct rm_node *c = row->first; c; c = c->next) {
					if (!(c->flags & RM_HEADING) || !is_scalar(c))
						continue;
					fprintf(out, "%.*s %zu. ", level + 1 > 6 ? 6 : level + 1, "######", i + 1);
					md_scalar(out, c);
					fputs("\n\n", out);
				}
				md_fields(out, row, level + 1);
				fputc('\n', out);
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			const struct rm_node *row = rm_row(arr, i, &cursor, &scratch);
			if (!row)
				continue;
			fputs("- ", out);
			md_scalar(out, row);
			fputc('\n', out);
		}
	}
	bd_arena_release(&arena);
}

static void md_fields(FILE *out, const struct rm_node *obj, int level)
{
	char label[64];
	bool any_scalar = false;

	for (const struct rm_node *c = obj->first; c; c = c->next) {
		if ((c->flags & (RM_NOTEXT | RM_HEADING)) || !is_scalar(c))
			continue;
		rm_node_label(c, label, sizeof(label));
		if ((c->flags & RM_MULTILINE) && c->kind == RM_STR && memchr(c->v.s.ptr, '\n', c->v.s.len)) {
			const unsigned char *p = (const unsigned char *)c->v.s.ptr;
			fprintf(out, "- **%s:**\n\n  ```\n  ", label);
			for (size_t i = 0; i < c->v.s.len;) {
				if (p[i] == '\n') {
					fputs("\n  ", out);
					i++;
				} else {
					i += md_char(out, p + i, c->v.s.len - i);
				}
			}
			fputs("\n  ```\n", out);
		} else {
			fprintf(out, "- **%s:** ", label);
			md_scalar(out, c);
			fputc('\n', out);
		}
		any_scalar = true;
	}
	for (const struct rm_node *c = obj->first; c; c = c->next) {
		if ((c->flags & RM_NOTEXT) || is_scalar(c))
			continue;
		if (any_scalar)
			fputc('\n', out);
		any_scalar = true;
		rm_node_label(c, label, sizeof(label));
		if (label[0] >= 'a' && label[0] <= 'z')
			label[0] = (char)(label[0] - 'a' + 'A');
		fprintf(out, "%.*s %s\n\n", level + 1 > 6 ? 6 : level + 1, "######", label);
		if (c->kind == RM_OBJ)
			md_fields(out, c, level + 1);
		else
			md_array(out, c, level + 1);
	}
}

bool rm_render_markdown(const struct bd_report *r, FILE *out)
{
	fprintf(out, "# %s\n\n", r->title ? r->title : "beamdump report");
	md_fields(out, r->root, 1);
	return !ferror(out);
}
