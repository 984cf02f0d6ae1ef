/*
 * Report model: a tree of named values that every analysis fills and every
 * renderer reads, so text, Markdown and JSON can never disagree.
 *
 * Objects hold fields in insertion order (which is the output order).
 * Arrays hold rows; a large array can be "lazy": its rows are produced one
 * at a time by a callback into a scratch arena while rendering, so a table
 * of 400 000 processes never exists in memory all at once.
 */
#ifndef BD_REPORT_MODEL_H
#define BD_REPORT_MODEL_H

#include "bd.h"

enum rm_kind {
	RM_NULL,
	RM_BOOL,
	RM_INT,
	RM_UINT,
	RM_FLOAT,
	RM_STR,
	RM_OBJ,
	RM_ARR,
};

enum rm_unit {
	RM_UNIT_NONE,
	RM_UNIT_BYTES,   /* text shows "1.5 MiB" */
	RM_UNIT_RATIO,   /* 0..1; text shows "81.2%" */
};

enum rm_flag {
	RM_NOTEXT = 1u << 0,  /* JSON only: hidden in text and Markdown */
	RM_WIDE = 1u << 1,    /* a table column that may be long */
	RM_MULTILINE = 1u << 2, /* a string whose line breaks are kept in text */
	RM_FULL = 1u << 3,    /* a table column wrapped, not cut short (put it last) */
	RM_BLOCKS = 1u << 4,  /* an array of objects shown as blocks, not a table */
	RM_HEADING = 1u << 5, /* in a block: Markdown makes it the block's heading */
	RM_CODE = 1u << 6,    /* a term or shape: Markdown shows it as one code span */
	RM_AT_LEAST = 1u << 7, /* a lower bound: text and Markdown say "at least" */
};

struct rm_builder {
	struct bd_arena *arena;
	bool oom;
};

struct rm_node;
struct bd_finding;
struct bd_graph;
typedef struct rm_node *(*rm_row_fn)(void *ctx, size_t i, struct rm_builder *scratch);

struct rm_node {
	uint8_t kind;
	uint8_t unit;
	uint8_t flags;
	const char *key;    /* field name in JSON; NULL for array elements */
	const char *label;  /* text heading or column title; NULL: derived from key */
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double f;
		struct bd_slice s;
	} v;
	struct rm_node *first;
	struct rm_node *last;
	struct rm_node *next;
	size_t n_children;
	rm_row_fn gen;      /* lazy array: rows come from gen(gen_ctx, i, scratch) */
	void *gen_ctx;
	size_t n_rows;
};

struct bd_report {
	struct bd_arena arena;
	struct rm_builder b;
	struct rm_node *root;
	const char *title;          /* "beamdump summary" */
	void (*cleanup)(void *ctx); /* releases what gen callbacks borrow */
	void *cleanup_ctx;
	const struct bd_finding *findings; /* its "findings" rows, typed (findings.h) */
	size_t n_findings;
	const struct bd_graph *graph;      /* what DOT draws (graph.h); NULL: nothing */
};

/* A new report with "schema" as its first field; NULL on OOM. */
struct bd_report *bd_rm_report_new(const char *title);

/* Builders: all accept a NULL parent (after an earlier OOM) and do nothing. */
struct rm_node *bd_rm_obj(struct rm_builder *b, struct rm_node *parent, const char *key);
struct rm_node *bd_rm_arr(struct rm_builder *b, struct rm_node *parent, const char *key);
struct rm_node *bd_rm_lazy_arr(struct rm_builder *b, struct rm_node *parent, const char *key,
			    size_t n_rows, rm_row_fn gen, void *ctx);
struct rm_node *bd_rm_null(struct rm_builder *b, struct rm_node *parent, const char *key);
struct rm_node *bd_rm_bool(struct rm_builder *b, struct rm_node *parent, const char *key, bool v);
struct rm_node *bd_rm_int(struct rm_builder *b, struct rm_node *parent, const char *key, int64_t v);
struct rm_node *bd_rm_uint(struct rm_builder *b, struct rm_node *parent, const char *key, uint64_t v);
struct rm_node *bd_rm_bytes(struct rm_builder *b, struct rm_node *parent, const char *key, uint64_t v);
struct rm_node *bd_rm_float(struct rm_builder *b, struct rm_node *parent, const char *key, double v);
struct rm_node *bd_rm_ratio(struct rm_builder *b, struct rm_node *parent, const char *key, double v);
/* Strings longer than this are cut, with "... [cut: N bytes in all]" after them. */
#define RM_STR_MAX ((size_t)64 * 1024)

/* The slice is borrowed: it must outlive the report (dump text does). */
struct rm_node *bd_rm_slice(struct rm_builder *b, struct rm_node *parent, const char *key,
			 struct bd_slice v);
/* A copy of s is kept in the builder's arena. */
struct rm_node *bd_rm_str(struct rm_builder *b, struct rm_node *parent, const char *key,
		       const char *s);
/* A string, or null when the slice is empty. */
struct rm_node *bd_rm_slice_or_null(struct rm_builder *b, struct rm_node *parent, const char *key,
				 struct bd_slice v);

/*
 * Move nodes between trees (reports that gather other reports): detach the
 * child named key (NULL if none), attach a node as the last child. The
 * node's memory stays with the report that built it, which must live as
 * long as the tree it is attached to.
 */
struct rm_node *bd_rm_detach(struct rm_node *parent, const char *key);
void bd_rm_attach(struct rm_node *parent, struct rm_node *child);

/* Set a text label / flags on a node; returns the node. NULL-safe. */
struct rm_node *bd_rm_label(struct rm_node *n, const char *label);
struct rm_node *bd_rm_flags(struct rm_node *n, unsigned flags);

/*
 * A parsed JSON value (a saved report) as a tree of this model; strings and
 * keys are borrowed from v, which must outlive the tree.
 */
struct bd_json;
struct rm_node *bd_rm_from_json(struct rm_builder *b, struct rm_node *parent, const struct bd_json *v);
/* The child named key of an object node, or NULL. */
const struct rm_node *bd_rm_child(const struct rm_node *n, const char *key);

/* Renderers (pure: model -> stream). */
bool bd_rm_render_text(const struct bd_report *r, FILE *out, bool color);
bool bd_rm_render_json(const struct bd_report *r, FILE *out);
bool bd_rm_render_markdown(const struct bd_report *r, FILE *out);
/* A check report as JUnit XML; false if r has no rules. */
bool bd_rm_render_junit(const struct bd_report *r, FILE *out);
/* A report's graph as Graphviz DOT; false if r has none. */
bool bd_rm_render_dot(const struct bd_report *r, FILE *out);

/* Shared by the renderers. */
void bd_rm_format_bytes(char *out, size_t cap, uint64_t bytes);
const char *bd_rm_node_label(const struct rm_node *n, char *buf, size_t cap);
/* Visit row i of an array (materialised or lazy). */
const struct rm_node *bd_rm_row(const struct rm_node *arr, size_t i, const struct rm_node **cursor,
			     struct rm_builder *scratch);
size_t bd_rm_n_rows(const struct rm_node *arr);

#endif
