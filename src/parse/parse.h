/*
 * Section parsers: each reads one section's text into a plain struct of
 * slices (into the dump) and numbers. They never read outside the section
 * and tolerate missing, unknown and partial lines (truncated dumps).
 */
#ifndef BD_PARSE_PARSE_H
#define BD_PARSE_PARSE_H

#include "bd.h"
#include "index/dump.h"
#include "index/index.h"

#define BD_UNSET UINT64_MAX

/* =proc:<pid> (crash-dump-format.md section 2). Word counts as written. */
struct bd_proc {
	struct bd_slice pid;
	struct bd_slice state;
	struct bd_slice name;             /* as written: may be quoted */
	struct bd_slice spawned_as;
	struct bd_slice current_call;     /* "Current call" or "Last scheduled in for" */
	struct bd_slice spawned_by;
	struct bd_slice started;
	struct bd_slice link_list;
	struct bd_slice program_counter;  /* the function part: "gen_server:loop/7" */
	struct bd_slice cp;               /* the function part of CP (old dumps) */
	struct bd_slice internal_state;
	uint64_t message_queue_len;
	uint64_t heap_fragments;
	uint64_t heap_fragment_words;
	uint64_t reductions;
	uint64_t stack_heap_words;
	uint64_t old_heap_words;
	uint64_t heap_unused_words;
	uint64_t old_heap_unused_words;
	uint64_t bin_vheap_words;
	uint64_t old_bin_vheap_words;
	uint64_t bin_vheap_unused_words;
	uint64_t old_bin_vheap_unused_words;
	uint64_t memory_bytes;            /* BD_UNSET before dump 0.2 */
	uint64_t arity;                   /* live x registers; BD_UNSET if absent */
	/* live snapshots only (input/snapshot.h); BD_UNSET in dumps */
	uint64_t stack_words;             /* "Stack words": the stack's size, exact */
	uint64_t window_reductions;       /* "Window reductions": done in the --window */
	struct bd_slice application;      /* "Application": its group leader's (%T atom) */
	bool has_cp;                      /* marks the old stack layout */
	bool has_bin_vheap;               /* a BinVHeap line was read (dumps since R14) */
	bool partial;                     /* cut by truncation */
};

/* The fields of struct bd_proc, for asking for only some. */
enum bd_proc_field {
	BD_PF_STATE,
	BD_PF_NAME,
	BD_PF_SPAWNED_AS,
	BD_PF_CURRENT_CALL,     /* Current call, or Last scheduled in for: the later line */
	BD_PF_SPAWNED_BY,
	BD_PF_STARTED,
	BD_PF_LINK_LIST,
	BD_PF_PROGRAM_COUNTER,
	BD_PF_CP,
	BD_PF_INTERNAL_STATE,
	BD_PF_APPLICATION,
	BD_PF_MESSAGE_QUEUE_LEN,
	BD_PF_HEAP_FRAGMENTS,
	BD_PF_HEAP_FRAGMENT_WORDS,
	BD_PF_REDUCTIONS,
	BD_PF_STACK_HEAP,
	BD_PF_OLD_HEAP,
	BD_PF_HEAP_UNUSED,
	BD_PF_OLD_HEAP_UNUSED,
	BD_PF_BIN_VHEAP,
	BD_PF_OLD_BIN_VHEAP,
	BD_PF_BIN_VHEAP_UNUSED,
	BD_PF_OLD_BIN_VHEAP_UNUSED,
	BD_PF_MEMORY,
	BD_PF_ARITY,
	BD_PF_STACK_WORDS,
	BD_PF_WINDOW_REDUCTIONS,
	BD_PF__COUNT,
	/*
	 * Not a field: what bd_proc_memory needs. Memory, and only when a
	 * process has none (dumps before 0.2) the heap sizes it is estimated
	 * from, in a second look.
	 */
	BD_PF_MEMORY_OR_HEAPS = BD_PF__COUNT,
};

#define BD_PF_BIT(f) (UINT64_C(1) << (f))
#define BD_PF_ALL (BD_PF_BIT(BD_PF__COUNT) - 1)
#define BD_PF_MEMORY_ALL BD_PF_BIT(BD_PF_MEMORY_OR_HEAPS)

/*
 * The one =proc scanner: every key of the fields asked for (a mask of
 * BD_PF_BIT), the others left as a fresh parse leaves them (0, empty;
 * Memory, arity, Stack words, Window reductions BD_UNSET). Of a key
 * written twice the later line wins; a bad number reads as 0. A few
 * fields are read by visiting only the lines of their keys' first
 * letters, so asking for less reads less.
 */
void bd_parse_proc_fields(const struct bd_section *s, uint64_t fields, struct bd_proc *out);
/* Every field. */
void bd_parse_proc(const struct bd_section *s, struct bd_proc *out);

/* The function part of "0x00007fb36ffcce34 (gen_server:loop/7 + 596)". */
struct bd_slice bd_code_location(struct bd_slice value);

/* The function a process is in: Current call, else the program counter. */
struct bd_slice bd_proc_current_function(const struct bd_proc *p);

/*
 * Memory in bytes; estimated from heap sizes when Memory: is absent (dumps
 * before 0.2, and processes a gentle snapshot did not read in phase 2,
 * for which the snapshot's measured per-process overhead is added).
 */
uint64_t bd_proc_memory(const struct bd_proc *p, const struct bd_dump *d, bool *estimated);

/* One entry of a process's `Link list:`. */
enum bd_link_kind {
	BD_LINK,          /* a link to target (pid or port) */
	BD_MONITOR_TO,    /* this process monitors target (pid, {Name,Node}, ...) */
	BD_MONITOR_FROM,  /* target monitors this process */
	BD_MONITOR_RESOURCE, /* a NIF resource monitors this process; target is {Module,Type} */
};

struct bd_link {
	enum bd_link_kind kind;
	struct bd_slice target;
	struct bd_slice ref;   /* "#Ref<0.1.2.3>" for monitors */
	struct bd_slice text;  /* the whole entry */
};

/* Iterate over a Link list value ("[<0.1.0>, {to,<0.2.0>,#Ref<...>}]"). */
bool bd_next_link(struct bd_slice *rest, struct bd_link *out);

/* =ets:<owner> (section 6.6). */
struct bd_ets {
	struct bd_slice owner;
	struct bd_slice slot;
	struct bd_slice table;
	struct bd_slice name;
	struct bd_slice type;         /* empty before OTP 18.3: derive from the tree line */
	struct bd_slice protection;
	struct bd_slice compressed;
	struct bd_slice write_concurrency;
	struct bd_slice read_concurrency;
	uint64_t buckets;             /* BD_UNSET for trees */
	uint64_t objects;
	uint64_t words;
	bool ordered;                 /* "Ordered set (AVL tree)" line seen */
};

void bd_parse_ets(const struct bd_section *s, struct bd_ets *out);

/* =port:<id> (section 6.7). */
struct bd_port {
	struct bd_slice id;
	struct bd_slice state;
	struct bd_slice connected;
	struct bd_slice links;
	struct bd_slice registered_as;
	struct bd_slice controls;     /* "linked-in driver: tcp_inet", "external process: cat" */
	uint64_t input;
	uint64_t output;
	uint64_t queue;
};

void bd_parse_port(const struct bd_section *s, struct bd_port *out);

/* =timer:<pid|name> (section 6.8). */
struct bd_timer {
	struct bd_slice owner;
	struct bd_slice message;
	uint64_t time_left_ms;
};

void bd_parse_timer(const struct bd_section *s, struct bd_timer *out);

/* =scheduler:N and friends (section 6.1). */
struct bd_scheduler {
	struct bd_slice id;
	enum bd_sect kind;
	struct bd_slice sleep_flags;
	struct bd_slice current_process;
	struct bd_slice current_process_state;
	struct bd_slice current_port;
	uint64_t run_queue_max;
	uint64_t run_queue_high;
	uint64_t run_queue_normal;
	uint64_t run_queue_low;
	uint64_t run_queue_port;
	bool has_run_queue;
};

void bd_parse_scheduler(const struct bd_section *s, struct bd_scheduler *out);

/* Per allocator type, summed over instances (section 6.5, both key forms). */
struct bd_alloc_type {
	char name[40];
	unsigned instances;
	uint64_t mbcs_blocks;
	uint64_t mbcs_carriers;
	uint64_t sbcs_blocks;
	uint64_t sbcs_carriers;
	uint64_t pool_blocks;
	uint64_t pool_carriers;
	uint64_t mbcs_block_count;
	uint64_t sbcs_block_count;
	uint64_t mbcs_carrier_count;
	uint64_t sbcs_carrier_count;
	uint64_t carriers_max;        /* max ever of mbcs + sbcs carriers size, summed */
};

/* Add one =allocator:NAME section to types[] (at most cap); returns new count. */
size_t bd_parse_allocator(const struct bd_section *s, struct bd_alloc_type *types, size_t n,
			  size_t cap);

/* For sorting: the largest carriers first, then by name. */
int bd_alloc_type_cmp(const void *a, const void *b);

/* part / whole, 1 when whole is 0 (nothing allocated is fully used). */
static inline double bd_ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 1.0;
}

/* Strip %T quoting from an atom: 'Elixir.Foo' -> Elixir.Foo (into the arena). */
struct bd_slice bd_atom_text(struct bd_arena *a, struct bd_slice quoted);

#endif
