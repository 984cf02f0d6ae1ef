/*
 * One process opened for its terms: its =proc fields, a heap index, the
 * stack split into frames, and the message queue and dictionary lines.
 * Opening costs O(size of the process's sections), nothing else.
 */
#ifndef BD_TERM_PROCESS_H
#define BD_TERM_PROCESS_H

#include "bd.h"
#include "index/dump.h"
#include "parse/parse.h"
#include "term/heap.h"

/* One stack slot: a y register, or a catch label (elem is then BD_ELEM_TEXT). */
struct bd_slot {
	struct bd_elem elem;
	bool is_catch;
};

/*
 * A frame of the call chain, innermost first: frame 0 is the function in
 * `Program counter`, the next ones are the functions return addresses lead
 * to, the last is usually "<terminate process normally>".
 */
struct bd_frame {
	struct bd_slice function;  /* "gen_server:loop/7", "<terminate process normally>" */
	size_t first;              /* its y registers: slots[first .. first + n) */
	size_t n;
};

struct bd_process {
	struct bd_dump *d;
	struct bd_slice pid;
	struct bd_proc_sections sect;
	struct bd_proc proc;
	struct bd_heap heap;
	struct bd_term_ctx ctx;     /* heap, then the dump's literals; points into *this */
	struct bd_resolve_hint hint;
	struct bd_frame *frames;
	size_t n_frames;
	struct bd_slot *slots;
	size_t n_slots;
	size_t n_bad_stack_lines;   /* lines of =proc_stack that could not be read */
};

/*
 * Open pid ("<0.80.0>"). BD_ENOTFOUND if the dump has no =proc for it.
 * A process without stack or heap sections (exiting, sensitive, truncated)
 * opens with no frames and an empty heap.
 */
enum bd_status bd_process_open(struct bd_process *p, struct bd_dump *d, struct bd_slice pid,
			       struct bd_error *err);
/* Same, for a =proc section already found; its other sections are looked up. */
enum bd_status bd_process_open_at(struct bd_process *p, struct bd_dump *d, size_t proc_section,
				  struct bd_error *err);
void bd_process_close(struct bd_process *p);

/* The function part of "0x6FFCA16C (gen_server:call/3 + 140)" or "(<terminate ...>)". */
struct bd_slice bd_where_function(struct bd_slice text);

/* The index of the first frame whose function starts with prefix, or n_frames. */
size_t bd_process_find_frame(const struct bd_process *p, const char *prefix);

/*
 * Message queue lines, oldest first: each gives the message and its
 * seq-trace token. rest starts as the =proc_messages body (empty if none).
 * Lines that cannot be read are skipped and counted in *n_bad.
 */
struct bd_slice bd_process_messages(const struct bd_process *p);
bool bd_next_message(struct bd_slice *rest, struct bd_elem *msg, size_t *n_bad);

/* Dictionary entries: each line is a pointer to a {Key, Value} tuple. */
struct bd_slice bd_process_dictionary(const struct bd_process *p);
bool bd_next_dict_entry(const struct bd_process *p, struct bd_slice *rest, struct bd_elem *key,
			struct bd_elem *value, size_t *n_bad);

/*
 * Process labels: the dictionary key '$process_label' that
 * proc_lib:set_label/1 sets (OTP 27), the name people give unregistered
 * processes. bd_process_label prints p's label as an Erlang term into out;
 * false if it has none.
 */
bool bd_process_label(struct bd_process *p, struct bd_buf *out);
/*
 * The label of pid, printed, or empty. Every label is read on the first
 * call (not thread-safe: call it before starting threads), opening only
 * the processes whose heap holds the atom '$process_label'.
 */
struct bd_slice bd_dump_proc_label(struct bd_dump *d, struct bd_slice pid);

/* Element i (0-based) of the tuple that e points to; false if e is no such tuple. */
bool bd_tuple_elem(const struct bd_term_ctx *c, const struct bd_elem *e, uint64_t i,
		   struct bd_elem *out);
/* Arity of the tuple e points to, or 0 (also for anything else). */
uint64_t bd_tuple_arity(const struct bd_term_ctx *c, const struct bd_elem *e);
/* Head and tail of the list cell e points to; false if e is not a cons. */
bool bd_list_cell(const struct bd_term_ctx *c, const struct bd_elem *e, struct bd_elem *head,
		  struct bd_elem *tail);
/* e is the atom lit. */
bool bd_elem_is_atom(const struct bd_elem *e, const char *lit);

#endif
