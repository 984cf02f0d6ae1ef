/* Analyses shared by several reports. */
#ifndef BD_ANALYZE_ANALYZE_H
#define BD_ANALYZE_ANALYZE_H

#include "bd.h"
#include "index/dump.h"
#include "parse/parse.h"
#include "report/findings.h"
#include "report/model.h"
#include "term/print.h"
#include "term/process.h"

/* pid -> =proc_stack section, for stack depths; built on first use. */
struct bd_stack_map;
struct bd_stack_map *bd_stack_map_new(const struct bd_dump *d);
void bd_stack_map_free(struct bd_stack_map *m);
/* Stack depth in words (slots printed), or BD_UNSET if the process has no stack section. */
uint64_t bd_stack_words(const struct bd_stack_map *m, struct bd_slice pid);

/* Lines in a section body (a stack's depth in words). */
uint64_t bd_count_lines(struct bd_slice body);

/*
 * What people call a process: its registered name, else the label
 * proc_lib:set_label/1 gave it. bd_proc_who gives the unquoted name, else
 * the label, else the pid (for titles); name is the Name: value as written,
 * or empty. bd_rm_name_label adds a row's "name" and "label".
 */
struct bd_slice bd_proc_who(struct rm_builder *b, struct bd_dump *d, struct bd_slice pid,
			    struct bd_slice name);
void bd_rm_name_label(struct rm_builder *b, struct rm_node *o, struct bd_dump *d,
		      struct bd_slice pid, struct bd_slice name);

/* A process row as in `procs` (JSON keys are the public contract). */
void bd_proc_row(struct rm_builder *b, struct rm_node *row, struct bd_dump *d,
		 const struct bd_proc *p, uint64_t stack_words);

/* An OTP behaviour process and where its state is (format doc 4.5). */
struct bd_behaviour {
	const char *kind;              /* "gen_server", "gen_statem", "gen_event", "supervisor",
					  "unknown" (hibernated, undeclared); NULL: not a behaviour */
	struct bd_slice module;        /* the callback module (atom text) */
	bool has_state;
	struct bd_elem state;          /* gen_statem: the data; gen_event: the handler list */
	struct bd_elem statem_state;   /* gen_statem: the state name (kind 0 if not found) */
	size_t frame;                  /* the frame it was found in, SIZE_MAX if none */
	bool suspended;                /* in sys:suspend_loop */
	bool hibernated;               /* state not in the dump (x registers) */
	uint64_t hibernated_heap_words;/* upper bound of a hibernated state: live heap words */
	uint64_t measured_words;       /* snapshot: the flat size the capture measured; 0 if none */
};

void bd_find_behaviour(const struct bd_process *p, struct bd_behaviour *out);

/* Whether p's heap is big enough that sizing and shaping its terms take two threads. */
bool bd_is_big_heap(const struct bd_process *p);

/*
 * Size the term e of process p and append its shape summary to shape (two
 * threads for a big heap; shape NULL: size only). Leaves p's resolve hint
 * where the walks began.
 */
enum bd_status bd_measure_term(struct bd_process *p, const struct bd_elem *e,
			       enum bd_syntax syntax, struct bd_term_size *size,
			       struct bd_buf *shape, struct bd_error *err);

/*
 * bd_measure_term of a behaviour's state; a snapshot's flat size is the
 * one the capture measured, as the node lays the term out (the external
 * format keeps neither sharing nor a big map's hash trie).
 */
enum bd_status bd_measure_state(struct bd_process *p, const struct bd_behaviour *beh,
				enum bd_syntax syntax, struct bd_term_size *size,
				struct bd_buf *shape, struct bd_error *err);

/* Distinct strings (message shapes) and how often each was seen. */
struct bd_histogram_entry {
	char *text;      /* NULL: an empty slot */
	uint64_t count;
};

struct bd_histogram {
	struct bd_histogram_entry *slots;
	size_t cap;      /* power of two */
	size_t max;      /* distinct strings kept */
	size_t n;
	uint64_t other;  /* adds of strings beyond max */
	struct bd_arena arena;
};

bool bd_histogram_init(struct bd_histogram *h, size_t max_distinct);
bool bd_histogram_add(struct bd_histogram *h, const char *s, size_t len);
/* Most frequent first (ties by text): entries 0 .. n-1 are the strings. */
void bd_histogram_sort(struct bd_histogram *h);
void bd_histogram_release(struct bd_histogram *h);

/* What killed the node, from the slogan. */
struct bd_slogan {
	const char *kind;   /* out_of_memory, sigusr1, user_requested, atom_table_full,
			       kernel_process_terminated, boot_failed, halt, unknown */
	char text[640];     /* one or two sentences in plain words */
	char allocator[64]; /* out_of_memory: the allocator that failed */
	uint64_t bytes;     /* out_of_memory: the request that failed */
	char type[32];      /* out_of_memory: the block type asked for ("heap", "binary") */
};

void bd_explain_slogan(const struct bd_dump *d, struct bd_slogan *out);

/* The process that was running on the thread that wrote the dump ("" if none). */
struct bd_slice bd_dump_writer_process(const struct bd_dump *d);

/* Whether d was read from a live snapshot (no heaps, messages or states). */
bool bd_is_snapshot(const struct bd_dump *d);

/*
 * A process as analyze's scan reads it (rank: its place among the =proc
 * sections; at least the fields of BD_VISIT_FIELDS parsed), called on one
 * thread.
 */
#define BD_VISIT_FIELDS                                                                   \
	(BD_PF_BIT(BD_PF_NAME) | BD_PF_BIT(BD_PF_SPAWNED_AS) | BD_PF_BIT(BD_PF_SPAWNED_BY) |    \
	 BD_PF_MEMORY_ALL | BD_PF_BIT(BD_PF_STACK_HEAP) | BD_PF_BIT(BD_PF_OLD_HEAP) |          \
	 BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN) | BD_PF_BIT(BD_PF_REDUCTIONS))
typedef void (*bd_proc_visit_fn)(void *ctx, size_t rank, const struct bd_proc *p);

/* bd_report_analyze, handing every process to visit as it reads them once for itself. */
enum bd_status bd_report_analyze_visit(struct bd_dump *d, const struct bd_analyze_opts *opts,
				       bd_proc_visit_fn visit, void *visit_ctx,
				       struct bd_report **out, struct bd_error *err);

/* The report's source: a crash dump, or a live snapshot and what it lacks. */
void bd_rm_source(struct rm_builder *b, struct rm_node *root, const struct bd_dump *d);
/* bd_rm_report_new() with the source of d as its first field after the title. */
struct bd_report *bd_report_new(const char *title, const struct bd_dump *d);

/* A =memory value in bytes ("processes", "binary", ...), or 0 if absent. */
uint64_t bd_memory_bytes(struct bd_dump *d, const char *key);

/* Printing options from the public ones, with the defaults filled in. */
struct bd_print_opts bd_print_opts_from(const struct bd_term_opts *t);
/* Add the printed term e to parent (a string node). */
struct rm_node *bd_rm_term(struct rm_builder *b, struct rm_node *parent, const char *key,
			   const struct bd_term_ctx *c, const struct bd_elem *e,
			   const struct bd_print_opts *o);

#endif
