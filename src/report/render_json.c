/*
 * JSON renderer: two-space indented, keys in model order, "schema" first.
 * Strings are escaped once here, so the output is always valid UTF-8 with
 * no raw control character: C0, DEL and C1 controls become \u00XX, and a
 * byte that is not part of well-formed UTF-8 (util/utf8.h) is read as
 * Latin-1, which is what old dumps' atoms are, and written as \u00XX.
 */
#include "bd.h"
#include "report/model.h"
#include "util/utf8.h"

#include <math.h>
#include <stdio.h>

void bd_rm_json_string(FILE *out, struct bd_slice s);
void bd_rm_json_string(FILE *out, struct bd_slice s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;
	size_t run = 0; /* start of the bytes written as they are, not yet flushed */

	fputc('"', out);
	while (i < s.len) {
		unsigned char c = p[i];
		const char *esc = NULL;
		uint32_t cp = c;
		size_t n = 1;
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
		if (c >= 0x80) {
			n = bd_utf8_len(p + i, s.len - i, NULL);
			if (n)
				cp = bd_utf8_decode(p + i, n);
		}
		if (!esc && n && !bd_is_control(cp)) {
			i += n;
			continue;
		}
		/* an escape: flush the plain run before it */
		fwrite(p + run, 1, i - run, out);
		if (esc)
			fputs(esc, out);
		else
			fprintf(out, "\\u%04x", (unsigned)cp);
		i += n ? n : 1;
		run = i;
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
	size_t rows = obj ? n->n_children : bd_rm_n_rows(n);
	const struct rm_node *cursor = NULL;
	/* rows of a lazy array live in their own arena, reset per row */
	struct bd_arena row_arena;
	struct rm_builder row_b = { &row_arena, false };

	bd_arena_init(&row_arena);
	fputc(obj ? '{' : '[', out);
	for (size_t i = 0; i < rows; i++) {
		const struct rm_node *c = obj ? (i ? cursor->next : n->first)
					      : bd_rm_row(n, i, &cursor, &row_b);
		if (obj)
			cursor = c;
		fputs(i ? ",\n" : "\n", out);
		indent(out, depth + 1);
		if (!c) {
			fputs("null", out);
			continue;
		}
		if (obj) {
			bd_rm_json_string(out, bd_slice_make(c->key, strlen(c->key)));
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
		bd_rm_json_string(out, n->v.s);
		break;
	case RM_OBJ:
	case RM_ARR:
		render_children(n, out, depth, scratch);
		break;
	}
}

bool bd_rm_render_json(const struct bd_report *r, FILE *out)
{
	struct bd_arena scratch_arena;
	struct rm_builder scratch = { &scratch_arena, false };

	bd_arena_init(&scratch_arena);
	render(r->root, out, 0, &scratch);
	fputc('\n', out);
	bd_arena_release(&scratch_arena);
	return !ferror(out);
}
