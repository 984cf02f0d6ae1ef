/*
 * JSON renderer: two-space indented, keys in model order, "schema" first.
 * Strings are escaped once here; bytes that are not valid UTF-8 (latin-1
 * atoms of old dumps) are written as \u00XX, so the output is always valid.
 */
#include "bd.h"
#include "report/model.h"

#include <math.h>
#include <stdio.h>

static size_t utf8_seq_len(const unsigned char *p, size_t left)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0 && p[0] >= 0xC2)
		n = 2;
	else if ((p[0] & 0xF0) == 0xE0)
		n = 3;
	else if ((p[0] & 0xF8) == 0xF0 && p[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

void rm_json_string(FILE *out, struct bd_slice s);
void rm_json_string(FILE *out, struct bd_slice s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;
	size_t run = 0; /* start of the bytes written as they are, not yet flushed */

	fputc('"', out);
	while (i < s.len) {
		unsigned char c = p[i];
		const char *esc = NULL;
		size_t n;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			break;
		}
		n = esc || c < 0x20 || c == 0x7f ? 0 : c < 0x80 ? 1 : utf8_seq_len(p + i, s.len - i);
		if (n) {
			i += n;
			continue;
		}
		/* an escape: flush the plain run before it */
		fwrite(p + run, 1, i - run, out);
		if (esc)
			fputs(esc, out);
		else
			fprintf(out, "\\u%04x", c);
		run = ++i;
	}
	fwrite(p + run, 1, i - run, out);
	fputc('"', out);
}

static void indent(FILE *out, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", out);
}

static void render(const struct rm_node *n, FILE *out, int depth, struct rm_builder *scratch);

static void render_children(const struct rm_node *n, FILE *out, int depth,
			    struct rm_builder *scratch)
{
	bool obj = n->kind == RM_OBJ;
	size_t rows = obj ? n->n_children : rm_n_rows(n);
	const struct rm_node *cursor = NULL;
	/* rows of a lazy array live in their own arena, reset per row */
	struct bd_arena row_arena;
	struct rm_builder row_b = { &row_arena, false };

	bd_arena_init(&row_arena);
	fputc(obj ? '{' : '[', out);
	for (size_t i = 0; i < rows; i++) {
		const struct rm_node *c = obj ? (i ? cursor->next : n->first)
					      : rm_row(n, i, &cursor, &row_b);
		if (obj)
			cursor = c;
		fputs(i ? ",\n" : "\n", out);
		indent(out, depth + 1);
		if (!c) {
			fputs("null", out);
			continue;
		}
		if (obj) {
			rm_json_string(out, bd_slice_make(c->key, strlen(c->key)));
			fputs(": ", out);
		}
		render(c, out, depth + 1, scratch);
	}
	bd_arena_release(&row_arena);
	if (rows) {
		fputc('\n', out);
		indent(out, depth);
	}
	fputc(obj ? '}' : ']', out);
}

static void render(const struct rm_node *n, FILE *out, int depth, struct rm_builder *scratch)
{
	switch ((enum rm_kind)n->kind) {
	case RM_NULL:
		fputs("null", out);
		break;
	case RM_BOOL:
		fputs(n->v.b ? "true" : "false", out);
		break;
	case RM_INT:
		fprintf(out, "%lld", (long long)n->v.i);
		break;
	case RM_UINT:
		fprintf(out, "%llu", (unsigned long long)n->v.u);
		break;
	case RM_FLOAT:
		if (isfinite(n->v.f))
			fprintf(out, "%.6g", n->v.f);
		else
			fputs("null", out);
		break;
	case RM_STR:
		rm_json_string(out, n->v.s);
		break;
	case RM_OBJ:
	case RM_ARR:
		render_children(n, out, depth, scratch);
		break;
	}
}

bool rm_render_json(const struct bd_report *r, FILE *out)
{
	struct bd_arena scratch_arena;
	struct rm_builder scratch = { &scratch_arena, false };

	bd_arena_init(&scratch_arena);
	render(r->root, out, 0, &scratch);
	fputc('\n', out);
	bd_arena_release(&scratch_arena);
	return !ferror(out);
}
