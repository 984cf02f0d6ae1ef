/*
 * Text renderer: "label  value" blocks for objects, aligned tables for
 * arrays of objects. Sized for a terminal: long cells are cut with a
 * visible "...", numbers are right-aligned, bytes are humanised.
 */
#include "bd.h"
#include "report/model.h"
#include "util/utf8.h"

#include <math.h>
#include <stdio.h>

#define TEXT_WIDTH 100 /* long values wrap to stay within it */
#define FULL_CELL_MAX 400 /* a never-cut column still stops here in text */
#define CELL_MAX 40
#define WIDE_CELL_MAX 64
#define CELL_BUF 2048

struct text_ctx {
	FILE *out;
	bool color;
};

static size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* Byte length of the first max_width characters of s. */
static size_t prefix_bytes(const char *s, size_t max_width)
{
	size_t w = 0;
	size_t i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (w == max_width)
				break;
			w++;
		}
	}
	return i;
}

/*
 * s made fit for a terminal, in buf: control characters (C0, DEL, C1)
 * become spaces (line breaks stay if keep_lines), bytes that are not
 * well-formed UTF-8 become U+FFFD, and what does not fit ends in "...".
 */
static const char *text_string(struct bd_slice s, char *buf, size_t cap, bool keep_lines)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;
	size_t o = 0;

	while (i < s.len) {
		size_t n = bd_utf8_len(p + i, s.len - i, NULL);
		const char *put = (const char *)p + i;
		size_t put_n = n;
		if (!n) {
			put = replacement;
			put_n = 3;
			n = 1;
		} else if (bd_is_control(bd_utf8_decode(p + i, n)) && !(keep_lines && p[i] == '\n')) {
			put = " ";
			put_n = 1;
		}
		if (o + put_n > cap - 1) {
			/* cut short: "..." replaces whole characters at the end */
			while (o > 0 && o + 3 > cap - 1)
				while (o > 0 && ((unsigned char)buf[--o] & 0xC0) == 0x80)
					;
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, put, put_n);
		o += put_n;
		i += n;
	}
	buf[o] = '\0';
	return buf;
}

/* Format a scalar; multi-line strings are flattened unless keep_lines. */
static const char *format_scalar(const struct rm_node *n, char *buf, size_t cap, bool keep_lines)
{

	switch ((enum rm_kind)n->kind) {
	case RM_NULL:
		return "-";
	case RM_BOOL:
		return n->v.b ? "yes" : "no";
	case RM_INT:
		snprintf(buf, cap, "%lld", (long long)n->v.i);
		return buf;
	case RM_UINT: {
		size_t at = 0;
		if (n->flags & RM_AT_LEAST)
			at = (size_t)snprintf(buf, cap, "at least ");
		if (n->unit == RM_UNIT_BYTES)
			bd_rm_format_bytes(buf + at, cap - at, n->v.u);
		else
			snprintf(buf + at, cap - at, "%llu", (unsigned long long)n->v.u);
		return buf;
	}
	case RM_FLOAT:
		if (!isfinite(n->v.f))
			return "-";
		if (n->unit == RM_UNIT_RATIO)
			snprintf(buf, cap, "%.1f%%", n->v.f * 100.0);
		else
			snprintf(buf, cap, "%.3g", n->v.f);
		return buf;
	case RM_STR:
		return text_string(n->v.s, buf, cap, keep_lines);
	case RM_OBJ:
	case RM_ARR:
		break;
	}
	return "";
}

static bool is_scalar(const struct rm_node *n)
{
	return n->kind != RM_OBJ && n->kind != RM_ARR;
}

static bool is_numeric(const struct rm_node *n)
{
	return n->kind == RM_INT || n->kind == RM_UINT || n->kind == RM_FLOAT;
}

static void heading(struct text_ctx *t, int indent, const char *label, const char *suffix)
{
	char first = label[0] >= 'a' && label[0] <= 'z' ? (char)(label[0] - 'a' + 'A') : label[0];

	fprintf(t->out, "\n%*s%s%c%s%s%s\n", indent, "", t->color ? "\033[1m" : "", first,
		label[0] ? label + 1 : "", t->color ? "\033[0m" : "", suffix);
}

static void put_cell(struct text_ctx *t, const char *s, size_t width, size_t max, bool right)
{
	size_t w = display_width(s);
	size_t bytes = strlen(s);

	if (w > max) {
		bytes = prefix_bytes(s, max - 3);
		fwrite(s, 1, bytes, t->out);
		fputs("...", t->out);
		w = max;
		right = false;
	} else if (right) {
		fprintf(t->out, "%*s", (int)(width - w), "");
		fputs(s, t->out);
		return;
	} else {
		fwrite(s, 1, bytes, t->out);
	}
	(void)right;
	if (width > w)
		fprintf(t->out, "%*s", (int)(width - w), "");
}

/*
 * Write s from column col, breaking at spaces so that lines end by
 * TEXT_WIDTH; continuation lines start at column col. A word longer than
 * the room left is cut where the line ends.
 */
static void put_wrapped(struct text_ctx *t, const char *s, size_t col)
{
	size_t room = col + 20 < TEXT_WIDTH ? TEXT_WIDTH - col : 20;

	for (;;) {
		size_t w = display_width(s);
		if (w <= room) {
			fputs(s, t->out);
			return;
		}
		size_t cut = prefix_bytes(s, room);
		size_t brk = cut;
		while (brk > 0 && s[brk] != ' ')
			brk--;
		if (brk == 0)
			brk = cut;
		fwrite(s, 1, brk, t->out);
		s += brk;
		while (*s == ' ')
			s++;
		if (!*s)
			return;
		fprintf(t->out, "\n%*s", (int)col, "");
	}
}

#define MAX_COLS 24

static void render_table(struct text_ctx *t, const struct rm_node *arr, int indent)
{
	struct bd_arena arena;
	struct rm_builder scratch = { &arena, false };
	const struct rm_node *cursor = NULL;
	const struct rm_node *row;
	const char *keys[MAX_COLS];
	const char *labels[MAX_COLS];
	char label_buf[MAX_COLS][64];
	size_t width[MAX_COLS];
	size_t max[MAX_COLS];
	bool right[MAX_COLS];
	size_t n_cols = 0;
	size_t n_rows = bd_rm_n_rows(arr);
	char cell[CELL_BUF];

	bd_arena_init(&arena);
	row = bd_rm_row(arr, 0, &cursor, &scratch);
	if (!row)
		goto out;
	for (const struct rm_node *c = row->first; c && n_cols < MAX_COLS; c = c->next) {
		if ((c->flags & RM_NOTEXT) || !is_scalar(c))
			continue;
		keys[n_cols] = c->key;
		labels[n_cols] = bd_rm_node_label(c, label_buf[n_cols], sizeof(label_buf[n_cols]));
		width[n_cols] = display_width(labels[n_cols]);
		max[n_cols] = (c->flags & RM_FULL) ? SIZE_MAX : (c->flags & RM_WIDE) ? WIDE_CELL_MAX : CELL_MAX;
		right[n_cols] = is_numeric(c);
		n_cols++;
	}
	/* pass 1: column widths */
	for (size_t i = 0; i < n_rows; i++) {
		row = bd_rm_row(arr, i, &cursor, &scratch);
		if (row && (row->flags & RM_NOTEXT))
			continue;
		size_t col = 0;
		for (const struct rm_node *c = row ? row->first : NULL; c && col < n_cols; c = c->next) {
			if (c->key != keys[col])
				continue;
			size_t w = display_width(format_scalar(c, cell, sizeof(cell), false));
			if (w > max[col])
				w = max[col];
			if (w > width[col])
				width[col] = w;
			col++;
		}
	}
	/* pass 2: header and rows */
	fprintf(t->out, "%*s", indent, "");
	for (size_t col = 0; col < n_cols; col++) {
		if (col)
			fputs("  ", t->out);
		put_cell(t, labels[col], col + 1 == n_cols && !right[col] ? 0 : width[col],
			 width[col], right[col]);
	}
	fputc('\n', t->out);
	for (size_t i = 0; i < n_rows; i++) {
		row = bd_rm_row(arr, i, &cursor, &scratch);
		if (row && (row->flags & RM_NOTEXT))
			continue;
		size_t col = 0;
		fprintf(t->out, "%*s", indent, "");
		for (const struct rm_node *c = row ? row->first : NULL; c && col < n_cols; c = c->next) {
			if (c->key != keys[col])
				continue;
			if (max[col] == SIZE_MAX) {
				/* a column not cut short: wrapped under itself, or on a line of
				   its own when the columns before leave it little room */
				size_t at = (size_t)indent;
				for (size_t k = 0; k < col; k++)
					at += width[k] + 2;
				if (at + 40 > TEXT_WIDTH) {
					at = (size_t)indent + 4;
					fprintf(t->out, "\n%*s", (int)at, "");
				} else if (col) {
					fputs("  ", t->out);
				}
				const char *v = format_scalar(c, cell, sizeof(cell), false);
				if (display_width(v) > FULL_CELL_MAX) {
					if (v != cell) {
						snprintf(cell, sizeof(cell), "%s", v);
						v = cell;
					}
					strcpy(cell + prefix_bytes(cell, FULL_CELL_MAX - 3), "...");
				}
				put_wrapped(t, v, at);
			} else {
				if (col)
					fputs("  ", t->out);
				put_cell(t, format_scalar(c, cell, sizeof(cell), false),
					 col + 1 == n_cols && !right[col] ? 0 : width[col], max[col],
					 right[col]);
			}
			col++;
		}
		fputc('\n', t->out);
	}
out:
	bd_arena_release(&arena);
}

static void render_fields(struct text_ctx *t, const struct rm_node *obj, int indent);

static void render_array(struct text_ctx *t, const struct rm_node *arr, int indent)
{
	struct bd_arena arena;
	struct rm_builder scratch = { &arena, false };
	const struct rm_node *cursor = NULL;
	const struct rm_node *first;
	char cell[CELL_BUF];
	size_t n = bd_rm_n_rows(arr);

	bd_arena_init(&arena);
	first = n ? bd_rm_row(arr, 0, &cursor, &scratch) : NULL;
	if (!first) {
		fprintf(t->out, "%*s(none)\n", indent, "");
	} else if (first->kind == RM_OBJ) {
		bool flat = !(arr->flags & RM_BLOCKS);
		for (const struct rm_node *c = first->first; c; c = c->next)
			if (!is_scalar(c) && !(c->flags & RM_NOTEXT))
				flat = false;
		if (flat) {
			render_table(t, arr, indent);
		} else {
			for (size_t i = 0; i < n; i++) {
				const struct rm_node *row = bd_rm_row(arr, i, &cursor, &scratch);
				if (i)
					fputc('\n', t->out);
				if (row)
					render_fields(t, row, indent);
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			const struct rm_node *row = bd_rm_row(arr, i, &cursor, &scratch);
			if (row)
				fprintf(t->out, "%*s%s\n", indent, "",
					format_scalar(row, cell, sizeof(cell), false));
		}
	}
	bd_arena_release(&arena);
}

/* Findings stand out on a terminal: critical and high in red, warnings in yellow. */
static const char *severity_color(const char *v)
{
	if (strcmp(v, "critical") == 0)
		return "\033[1;31m";
	if (strcmp(v, "high") == 0)
		return "\033[31m";
	if (strcmp(v, "warning") == 0)
		return "\033[33m";
	return NULL;
}

static void render_fields(struct text_ctx *t, const struct rm_node *obj, int indent)
{
	size_t label_w = 0;
	char label[64];
	char value[4096];

	for (const struct rm_node *c = obj->first; c; c = c->next) {
		if (!(c->flags & RM_NOTEXT) && is_scalar(c)) {
			size_t w = display_width(bd_rm_node_label(c, label, sizeof(label)));
			if (w > label_w)
				label_w = w;
		}
	}
	for (const struct rm_node *c = obj->first; c; c = c->next) {
		if (c->flags & RM_NOTEXT)
			continue;
		bd_rm_node_label(c, label, sizeof(label));
		if (is_scalar(c)) {
			const char *v = format_scalar(c, value, sizeof(value), c->flags & RM_MULTILINE);
			const char *sev = t->color && c->key && strcmp(c->key, "severity") == 0
						  ? severity_color(v) : NULL;
			fprintf(t->out, "%*s%s%*s  ", indent, "", label,
				(int)(label_w - display_width(label)), "");
			if (sev) {
				fprintf(t->out, "%s%s\033[0m\n", sev, v);
				continue;
			}
			/* continuation lines line up under the value */
			size_t at = (size_t)indent + label_w + 2;
			const char *line = v;
			for (const char *p = v;; p++) {
				if (*p != '\n' && *p)
					continue;
				char one[sizeof(value)];
				size_t n = (size_t)(p - line) < sizeof(one) - 1 ? (size_t)(p - line)
										: sizeof(one) - 1;
				memcpy(one, line, n);
				one[n] = '\0';
				put_wrapped(t, one, at);
				if (!*p)
					break;
				fprintf(t->out, "\n%*s", (int)at, "");
				line = p + 1;
			}
			fputc('\n', t->out);
		} else if (c->kind == RM_OBJ) {
			heading(t, indent, label, "");
			render_fields(t, c, indent + 2);
		} else {
			char count[32];
			snprintf(count, sizeof(count), " (%zu)", bd_rm_n_rows(c));
			heading(t, indent, label, count);
			render_array(t, c, indent + 2);
		}
	}
}

bool bd_rm_render_text(const struct bd_report *r, FILE *out, bool color)
{
	struct text_ctx t = { out, color };

	render_fields(&t, r->root, 0);
	return !ferror(out);
}
