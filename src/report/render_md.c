/*
 * Markdown renderer, for pasting into a postmortem: a heading per object,
 * "- **label:** value" lines for scalars, tables for arrays of objects.
 * Identifiers and terms go into code spans, pipes in tables are escaped,
 * and multi-line text goes into code blocks; control characters are shown
 * as \xHH, never written raw.
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

/* Characters that Markdown would read as markup in running text. */
static bool md_special(char c)
{
	return c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>' || c == '[' ||
	       c == ']' || c == '\\' || c == '{' || c == '}' || c == '#';
}

/* Markup characters even between spaces (a lone "<" or "->" is read as itself). */
static bool md_markup(char c)
{
	return c == '|' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' || c == '\\';
}

/*
 * A word is code (a pid, an MFA, an atom or a term) when it holds a
 * character Markdown would read as markup, or looks like mod:fun/arity.
 * Words of punctuation only ("->", "|") are not.
 */
static bool is_code(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	bool special = false, alnum = false;

	for (size_t i = 0; i < n; i++) {
		special |= md_special(p[i]);
		alnum |= (p[i] >= '0' && p[i] <= '9') || ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z');
	}
	if (!alnum)
		return false;
	return special || (colon && colon > p && memchr(colon, '/', n - (size_t)(colon - p)));
}

/*
 * A code span that holds any text: the fence is one backtick more than the
 * longest run inside, padded when the text starts or ends with one. In a
 * table cell a pipe is still escaped (tables are split before code spans).
 */
static void md_code(FILE *out, const char *p, size_t n, bool table)
{
	size_t run = 0, longest = 0;
	bool pad;

	for (size_t i = 0; i < n; i++) {
		run = p[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = n && (p[0] == '`' || p[n - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
	if (pad)
		fputc(' ', out);
	for (size_t i = 0; i < n;) {
		if (table && p[i] == '|')
			fputc('\\', out);
		if (p[i] == '\n' || p[i] == '\r') {
			fputc(' ', out);
			i++;
		} else {
			i += md_char(out, (const unsigned char *)p + i, n - i);
		}
	}
	if (pad)
		fputc(' ', out);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
}

/*
 * Running text, word by word: identifiers and terms go into code spans so
 * that the raw Markdown reads as the rendered one; punctuation around them
 * stays outside. Other markup characters are escaped.
 */
static void md_text(FILE *out, struct bd_slice s, bool table)
{
	size_t i = 0;

	while (i < s.len) {
		size_t start = i, end;
		if (s.ptr[i] == ' ' || s.ptr[i] == '\n' || s.ptr[i] == '\r') {
			fputc(' ', out);
			i++;
			continue;
		}
		while (i < s.len && s.ptr[i] != ' ' && s.ptr[i] != '\n' && s.ptr[i] != '\r')
			i++;
		end = i;
		if (!is_code(s.ptr + start, end - start)) {
			for (size_t k = start; k < end;) {
				if (md_markup(s.ptr[k]))
					fputc('\\', out);
				k += md_char(out, (const unsigned char *)s.ptr + k, end - k);
			}
			continue;
		}
		/* "(<0.9.0>)," -> "(" code ","; "f/1:" -> code ":" */
		while (start < end && s.ptr[start] == '(')
			fputc(s.ptr[start++], out);
		size_t tail = end;
		while (tail > start && strchr("),;.:", s.ptr[tail - 1]) &&
		       !(s.ptr[tail - 1] == ')' && memchr(s.ptr + start, '(', tail - start)))
			tail--;
		md_code(out, s.ptr + start, tail - start, table);
		fwrite(s.ptr + tail, 1, end - tail, out);
	}
}

static void md_scalar(FILE *out, const struct rm_node *n, bool table)
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
		if (n->flags & RM_AT_LEAST)
			fputs("at least ", out);
		if (n->unit == RM_UNIT_BYTES) {
			bd_rm_format_bytes(buf, sizeof(buf), n->v.u);
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
		if ((n->flags & RM_CODE) && n->v.s.len)
			md_code(out, n->v.s.ptr, n->v.s.len, table);
		else
			md_text(out, n->v.s, table);
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
	size_t n = bd_rm_n_rows(arr);

	bd_arena_init(&arena);
	row = bd_rm_row(arr, 0, &cursor, &scratch);
	if (!row) {
		bd_arena_release(&arena);
		return;
	}
	fputc('|', out);
	for (const struct rm_node *c = row->first; c; c = c->next)
		if (!(c->flags & RM_NOTEXT) && is_scalar(c))
			fprintf(out, " %s |", bd_rm_node_label(c, label, sizeof(label)));
	fputs("\n|", out);
	for (const struct rm_node *c = row->first; c; c = c->next)
		if (!(c->flags & RM_NOTEXT) && is_scalar(c))
			fputs(c->kind == RM_STR || c->kind == RM_NULL ? " --- |" : " ---: |", out);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		row = bd_rm_row(arr, i, &cursor, &scratch);
		if (!row || (row->flags & RM_NOTEXT))
			continue;
		fputc('|', out);
		for (const struct rm_node *c = row->first; c; c = c->next) {
			if ((c->flags & RM_NOTEXT) || !is_scalar(c))
				continue;
			fputc(' ', out);
			md_scalar(out, c, true);
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
	size_t n = bd_rm_n_rows(arr);
	const struct rm_node *first;

	bd_arena_init(&arena);
	first = n ? bd_rm_row(arr, 0, &cursor, &scratch) : NULL;
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
				const struct rm_node *row = bd_rm_row(arr, i, &cursor, &scratch);
				if (!row)
					continue;
				for (const struct rm_node *c = row->first; c; c = c->next) {
					if (!(c->flags & RM_HEADING) || !is_scalar(c))
						continue;
					fprintf(out, "%.*s %zu. ", level + 1 > 6 ? 6 : level + 1, "######", i + 1);
					md_scalar(out, c, false);
					fputs("\n\n", out);
				}
				md_fields(out, row, level + 1);
				fputc('\n', out);
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			const struct rm_node *row = bd_rm_row(arr, i, &cursor, &scratch);
			if (!row)
				continue;
			fputs("- ", out);
			md_scalar(out, row, false);
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
		bd_rm_node_label(c, label, sizeof(label));
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
			md_scalar(out, c, false);
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
		bd_rm_node_label(c, label, sizeof(label));
		if (label[0] >= 'a' && label[0] <= 'z')
			label[0] = (char)(label[0] - 'a' + 'A');
		fprintf(out, "%.*s %s\n\n", level + 1 > 6 ? 6 : level + 1, "######", label);
		if (c->kind == RM_OBJ)
			md_fields(out, c, level + 1);
		else
			md_array(out, c, level + 1);
	}
}

bool bd_rm_render_markdown(const struct bd_report *r, FILE *out)
{
	fprintf(out, "# %s\n\n", r->title ? r->title : "beamdump report");
	md_fields(out, r->root, 1);
	return !ferror(out);
}
