/*
 * beamdump: read Erlang/BEAM crash dumps (erl_crash.dump) offline and say
 * what went wrong.
 *
 * The only installed header. Pipeline: input (mmap, gzip, stdin) -> section
 * index -> section parsers -> analyses -> report model -> renderers.
 *
 * Conventions:
 *  - Functions that can fail return enum bd_status and fill *err (which may
 *    be NULL). err is left untouched on success; the first error wins.
 *  - Pointers returned by the library are borrowed and stay valid until the
 *    object they came from is freed, unless the comment says otherwise.
 *  - The library never prints, exits or aborts on bad input.
 */
#ifndef BEAMDUMP_H
#define BEAMDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BD_API __attribute__((visibility("default")))
#else
#define BD_API
#endif

#define BD_VERSION "0.1.0"
#define BD_JSON_SCHEMA "beamdump/1"

/* Values are part of the ABI: append only. */
enum bd_status {
	BD_OK = 0,
	BD_ENOMEM,    /* allocation failed */
	BD_EIO,       /* open/read/mmap/inflate failed; err->sys_errno holds errno */
	BD_EFORMAT,   /* not a crash dump, or corrupt at err->offset */
	BD_ETRUNC,    /* the dump ends early */
	BD_ELIMIT,    /* a size or depth limit was hit */
	BD_EUSAGE,    /* the caller passed something invalid (e.g. a bad regex) */
	BD_ENOTFOUND, /* the named object is not in the dump */
	BD_EINTERNAL, /* a bug in beamdump */
};

#define BD_NO_OFFSET UINT64_MAX

struct bd_error {
	enum bd_status code;
	int sys_errno;     /* errno for BD_EIO, else 0 */
	uint64_t offset;   /* byte offset in the (uncompressed) dump, or BD_NO_OFFSET */
	char section[80];  /* section header being read, e.g. "=proc:<0.42.0>", or "" */
	char msg[256];     /* what went wrong, lower case, no trailing period */
};

/* A short English name for a status ("out of memory", "bad input", ...). */
BD_API const char *bd_status_name(enum bd_status status);

/*
 * A size as users write it: N bytes, or N with a K, M or G suffix (powers
 * of 1024; "Ki"/"KB"/"KiB" spellings too). False on anything else or past
 * UINT64_MAX.
 */
BD_API bool bd_parse_size(const char *s, uint64_t *out);

/* ---------------------------------------------------------------- dumps */

struct bd_dump;

/* Called while a large input is read; done and total are bytes. */
typedef void (*bd_progress_fn)(void *ctx, const char *phase, uint64_t done, uint64_t total);

/* Threads used when none are asked for: the online CPUs, at most this many. */
#define BD_THREADS_AUTO_MAX 8
/* The most threads any work on a dump runs on, whatever is asked for. */
#define BD_THREADS_MAX 64

struct bd_open_opts {
	const char *tmpdir;      /* where compressed and piped input is spooled; NULL: $TMPDIR or /tmp */
	bd_progress_fn progress; /* optional */
	void *progress_ctx;
	/*
	 * Most bytes a compressed or piped input may decode to; 0 for the
	 * default: 1024 times the compressed size, at most 64 GiB, and 16 GiB
	 * when the size is unknown (stdin, FIFOs). Past it: BD_ELIMIT.
	 */
	uint64_t max_inflate;
	unsigned threads;        /* most threads any work on the dump runs on (at most
	                            BD_THREADS_MAX); 0: the online CPUs, at most BD_THREADS_AUTO_MAX */
};

/*
 * Open the crash dump or live snapshot (docs/snapshot-format.md, told by
 * its magic bytes) at path ("-" for standard input). Plain files are
 * memory-mapped read-only. Gzip, zstd and xz input (recognised by magic
 * bytes) and pipes are decoded/copied once into an unlinked temporary file,
 * which is then mapped, so no stage ever holds the whole dump in anonymous
 * memory. The header is checked on the first decoded bytes, before anything
 * is written, and the decoded size is capped (opts->max_inflate).
 * The section index is built in one pass (O(size of the dump)).
 *
 * Truncated dumps (compressed ones cut short included) open successfully;
 * see bd_dump_info()->truncated.
 * Returns BD_EFORMAT for files that are not crash dumps (empty, pre-R10B,
 * encrypted, random bytes) and for damaged compressed data, BD_ELIMIT past
 * the decoded-size cap, BD_EIO when the file cannot be read, BD_ENOMEM when
 * it cannot be mapped or decoded for want of memory.
 * On success *out must be released with bd_dump_free().
 */
BD_API enum bd_status bd_dump_open(struct bd_dump **out, const char *path,
				   const struct bd_open_opts *opts, struct bd_error *err);

/*
 * Open a dump held in memory (tests, fuzzers, embedders). data is borrowed
 * and must outlive the dump. name is used in messages.
 */
BD_API enum bd_status bd_dump_open_mem(struct bd_dump **out, const void *data, size_t len,
				       const char *name, struct bd_error *err);

/* Release a dump and everything borrowed from it. Accepts NULL. */
BD_API void bd_dump_free(struct bd_dump *dump);

/* What the preamble and the index say about a dump. Strings are NUL-terminated. */
struct bd_dump_info {
	const char *file;            /* path as given, or "<stdin>" */
	uint64_t bytes;              /* uncompressed size */
	bool gzipped;
	const char *dump_version;    /* "0.5" */
	unsigned version_major;
	unsigned version_minor;
	const char *time;            /* the date line, as written */
	const char *slogan;          /* may span lines; "" if absent */
	const char *system_version;  /* "Erlang/OTP 25 [erts-13.1.5] ..." */
	const char *otp_release;     /* "25", "R15B01"; "" if unknown */
	const char *erts_version;    /* "13.1.5"; "" if unknown */
	unsigned word_size;          /* 8 or 4 */
	const char *taints;          /* "" if none or absent */
	const char *calling_thread;  /* "" if absent */
	const char *node;            /* "'dumper@vm'" or "nonode@nohost"; "" if absent */
	uint64_t atoms;              /* from the preamble's Atoms: line */
	bool truncated;
	const char *truncation_reason;  /* "" when complete */
	const char *truncated_in;       /* header of the section where the dump stops */
	uint64_t truncated_at;          /* offset where the readable part ends */
	size_t n_sections;
	const char *compression;     /* "gzip", "zstd", "xz"; "" for plain text */
	const char *source;          /* "dump", or "snapshot" for a live capture */
	struct bd_snapshot_info {    /* zero unless source is "snapshot" */
		const char *profile;     /* "gentle" or "full" */
		uint64_t processes_read;      /* rows read in phase 1 */
		uint64_t processes_detailed;  /* of them, read in phase 2 too */
		uint64_t processes_vanished;  /* exited before they were read */
		uint64_t memory_estimated;    /* whose Memory is heap blocks + overhead */
		uint64_t overhead_bytes;      /* that overhead, measured on detailed ones */
		uint64_t duration_us;
		uint64_t window_s;            /* --window, 0 if none */
		uint64_t timeouts;
		const char *aborted;          /* why the capture stopped early; "" if it did not */
		uint64_t creation;            /* the node's creation: differs between runs */
		bool state;                   /* captured with --state */
		uint64_t states_asked;        /* processes asked for their state */
		uint64_t states_read;         /* of them, that answered with it */
		uint64_t states_unanswered;   /* that did not answer in time */
		const char *states_not_read;  /* why none was asked for ("" if asked) */
		uint64_t atoms_window_us;     /* --window: between the two atom counts; 0 if none */
		uint64_t atoms_before_window, atoms_after_window;
	} snapshot;
};

BD_API const struct bd_dump_info *bd_dump_info(const struct bd_dump *dump);

/* Recoverable problems found while reading (unknown tags, truncation, ...). */
struct bd_diagnostic {
	uint64_t offset;
	const char *section; /* header text, "" if none */
	const char *message;
};

BD_API size_t bd_dump_n_diagnostics(const struct bd_dump *dump);
BD_API const struct bd_diagnostic *bd_dump_diagnostic(const struct bd_dump *dump, size_t i);

/* -------------------------------------------------------------- reports */

enum bd_format {
	BD_FORMAT_TEXT = 0,
	BD_FORMAT_JSON,
	BD_FORMAT_MARKDOWN,
	BD_FORMAT_JUNIT,    /* JUnit XML, for check reports only */
	BD_FORMAT_DOT,      /* Graphviz DOT, for deadlocks reports asked with graph = true */
};

/* A finished report: a tree of named values, rendered in any format. */
struct bd_report;

/* Release a report. Accepts NULL. */
BD_API void bd_report_free(struct bd_report *report);

enum bd_render_flags {
	BD_RENDER_COLOR = 1u << 0, /* ANSI colour in text output */
};

/* Write a report to out in the given format. */
BD_API enum bd_status bd_report_render(const struct bd_report *report, enum bd_format format,
				       unsigned flags, FILE *out, struct bd_error *err);

/* summary: what killed the node, when, versions, truncation, counts, memory. */
BD_API enum bd_status bd_report_summary(struct bd_dump *dump, struct bd_report **out,
					struct bd_error *err);

enum bd_proc_sort {
	BD_SORT_MEMORY = 0,
	BD_SORT_MQ,
	BD_SORT_REDUCTIONS,
	BD_SORT_HEAP,
	BD_SORT_STACK,
	BD_SORT_BINARY,
};

struct bd_procs_opts {
	enum bd_proc_sort sort; /* descending; ties by pid */
	size_t limit;           /* 0: all */
	const char *match;      /* PCRE2 pattern against name, initial call, current function; NULL: all */
	const char *state;      /* keep processes in this state (case-insensitive); NULL: all */
	bool group;             /* list groups of sibling processes (same spawner, application
				   and initial call) instead of processes; match applies to the
				   group's initial call */
};

/*
 * procs: the process table. A bad match pattern gives BD_EUSAGE with
 * err->offset set to the character offset in the pattern where it fails.
 * Memory is O(number of processes) small records; rows are parsed from the
 * dump when rendered.
 */
BD_API enum bd_status bd_report_procs(struct bd_dump *dump, const struct bd_procs_opts *opts,
				      struct bd_report **out, struct bd_error *err);

/*
 * With opts->group, procs lists groups of siblings, most members first:
 * {initial_call, spawned_by, supervisor, application, count, memory_bytes};
 * a process's application is found through its spawners up to an
 * application master (crash dumps do not record group leaders).
 */

/* ets: tables by memory, with owner, name, type and objects. */
BD_API enum bd_status bd_report_ets(struct bd_dump *dump, size_t limit, struct bd_report **out,
				    struct bd_error *err);

/* alloc: per allocator type, blocks against carriers (usage), mbcs and sbcs. */
BD_API enum bd_status bd_report_alloc(struct bd_dump *dump, struct bd_report **out,
				      struct bd_error *err);

/* --------------------------------------------------------------- memory */

enum bd_memory_by {
	BD_MEMORY_BY_APP = 0,     /* application -> supervisor -> group -> process */
	BD_MEMORY_BY_SUPERVISOR,  /* supervisor -> group -> process */
	BD_MEMORY_BY_PROCESS,     /* processes only, no roll-up */
};

struct bd_memory_opts {
	enum bd_memory_by by;
	size_t depth;  /* levels of the roll-up shown, 1..4; 0: 3 */
	size_t top;    /* rows per list and per level of the roll-up; 0: 10 */
};

/*
 * memory: who holds the node's memory. Each =memory category reconciled
 * against what the dump attributes (the rest shown as unattributed); the
 * retained size of each process (its Memory:, the refc binaries only it
 * references, the ETS tables it owns; binaries it shares listed apart);
 * the roll-up by application and supervision tree (crash dumps do not
 * record group leaders: a process's application is found through its
 * spawners up to an application master); for out-of-memory slogans, the
 * allocator, the request and whether the process that asked held the
 * memory. Findings join analyze. opts may be NULL.
 */
BD_API enum bd_status bd_report_memory(struct bd_dump *dump, const struct bd_memory_opts *opts,
				       struct bd_report **out, struct bd_error *err);

/* ---------------------------------------------------------- one process */

enum bd_term_syntax {
	BD_TERM_ERLANG = 0,
	BD_TERM_ELIXIR,
};

/* How terms are printed; zero fields take the defaults. */
struct bd_term_opts {
	enum bd_term_syntax syntax;
	unsigned depth;    /* nesting levels shown; 0: 8 */
	size_t width;      /* elements shown per list, tuple, map or binary; 0: 20 */
	size_t max_bytes;  /* bytes of one printed term; 0: 4096 */
};

struct bd_proc_opts {
	struct bd_term_opts terms;
	size_t messages;   /* messages printed, oldest first; 0: 10 */
	size_t shapes;     /* message shapes listed, most frequent first; 0: 10 */
};

/*
 * proc: everything about one process, named by pid ("<0.80.0>" or
 * "0.80.0") or registered name: its =proc fields, links and monitors,
 * the stack as frames, the dictionary, the message queue (count, shapes,
 * the first messages) and, for OTP behaviours, the callback module and the
 * state with its sizes. BD_ENOTFOUND if the dump has no such process.
 */
BD_API enum bd_status bd_report_proc(struct bd_dump *dump, const char *process,
				     const struct bd_proc_opts *opts, struct bd_report **out,
				     struct bd_error *err);

struct bd_states_opts {
	size_t limit;              /* states listed, largest first; 0: 20 */
	bool print;                /* print each listed state */
	struct bd_term_opts terms; /* how states are printed and shapes written */
	bool no_shapes;            /* sizes only: every "shape" empty, a big state walked once */
};

/*
 * states: every gen_server, gen_statem, gen_event and supervisor process
 * (Elixir GenServer and Agent included), ranked by the size of the state
 * found on its stack, with a shape summary; hibernated ones flagged (their
 * state is not in the dump); the largest heaps of other processes with the
 * biggest terms their frames hold; findings for states that dominate the
 * node's process memory.
 */
BD_API enum bd_status bd_report_states(struct bd_dump *dump, const struct bd_states_opts *opts,
				       struct bd_report **out, struct bd_error *err);

/* ---------------------------------------------------------------- leaks */

struct bd_leaks_opts {
	size_t top; /* rows per list; 0: 10 */
};

/*
 * leaks: what holds memory that should have been freed. Refc binaries
 * pinned by small slices (per process: pinned and used bytes, slices, the
 * binaries and how many processes share each); the longest queues with
 * where the process is stuck and the dominant message shapes; ETS tables
 * by memory; atoms against the limit with the newest ones; allocator
 * carriers against blocks; heaps that are mostly free space or garbage.
 * Findings carry severity, evidence and a next step. One pass over the
 * =proc sections; only candidates are opened.
 */
BD_API enum bd_status bd_report_leaks(struct bd_dump *dump, const struct bd_leaks_opts *opts,
				      struct bd_report **out, struct bd_error *err);

/* ------------------------------------------------------------ deadlocks */

struct bd_deadlock_opts {
	size_t convoy_min; /* callers on one target that make a convoy; 0: 10 */
	bool graph;        /* keep the wait-for graph, so the report renders as BD_FORMAT_DOT */
};

/*
 * deadlocks: the wait-for graph of blocked synchronous calls. An edge A -> B
 * when A is Waiting in a call to B: gen_server, gen_statem and gen_event
 * calls (Elixir GenServer.call included; gen_statem's call proxy is followed
 * to the statem), Task.await, erpc, and request helpers waiting on one of
 * their monitors. Reports cycles (deadlocks, critical), chains ending at a
 * process that is not waiting on a call (warning) and convoys of convoy_min
 * or more callers on one process (high). opts may be NULL. One pass over
 * the =proc keys; only candidate callers are opened; memory O(candidates).
 */
BD_API enum bd_status bd_report_deadlocks(struct bd_dump *dump, const struct bd_deadlock_opts *opts,
					  struct bd_report **out, struct bd_error *err);
/*
 * Graphviz DOT of the same graph, cycles highlighted, written to out: the
 * report asked with graph = true and rendered as BD_FORMAT_DOT.
 */
BD_API enum bd_status bd_deadlocks_dot(struct bd_dump *dump, const struct bd_deadlock_opts *opts,
				       FILE *out, struct bd_error *err);

/* -------------------------------------------------------------- analyze */

struct bd_analyze_opts {
	size_t top;     /* rows per list; 0: 5 */
	bool no_shapes; /* states sized, not summarised (as bd_states_opts.no_shapes) */
};

/*
 * analyze: the one-page triage report. What happened (the slogan in plain
 * words, when, node, versions, whether the dump is complete); the findings
 * of leaks, deadlocks and states plus runaway processes, ranked by
 * severity; a compact inventory (memory, top processes, largest states,
 * mailboxes, pinned binaries, deadlock cycles, chains and convoys, ETS,
 * atoms, allocators, schedulers, loaded code); the diagnostics.
 */
BD_API enum bd_status bd_report_analyze(struct bd_dump *dump, const struct bd_analyze_opts *opts,
					struct bd_report **out, struct bd_error *err);

/* ------------------------------------------------------- check and diff */

/*
 * Both read a capture from a path: a crash dump (plain, gzip, "-" for
 * standard input) or a JSON report saved with `beamdump analyze --format
 * json` (a small baseline for CI; it holds only analyze's rows).
 */

/* The rules check applies, set one at a time. */
struct bd_check_rules;

BD_API enum bd_status bd_check_rules_new(struct bd_check_rules **out, struct bd_error *err);
BD_API void bd_check_rules_free(struct bd_check_rules *rules);

/*
 * Set one rule by its rules-file key and a value as text: "no_deadlocks"
 * (true/false), "max_queue" N, "match" REGEX (scopes max_queue),
 * "max_pinned", "max_state", "max_ets", "max_memory" BYTES (K, M, G
 * suffixes: powers of 1024), "max_atoms_pct" P, "max_processes" N,
 * "fail_on" SEVERITY (info, warning, high, critical), "allow" KIND (may be
 * repeated; why is the reason recorded, or NULL), "max_growth.CATEGORY" PCT
 * (CATEGORY: processes, binary, ets, atom, code, total, or process for each
 * matched process or group). BD_EUSAGE names what is wrong.
 */
BD_API enum bd_status bd_check_rules_set(struct bd_check_rules *rules, const char *key,
					 const char *value, const char *why, struct bd_error *err);

/*
 * Read a rules file: `key = value` lines (`#` starts a comment; an `allow`
 * line needs one saying why) or one JSON object of the same keys
 * ({"max_growth": {"binary": "20%"}, "allow": {"mailbox": "why"}}).
 * Errors say the line.
 */
BD_API enum bd_status bd_check_rules_load(struct bd_check_rules *rules, const char *path,
					  struct bd_error *err);

struct bd_check_opts {
	const char *baseline;                /* a capture to compare with, or NULL */
	const struct bd_check_rules *rules;  /* NULL or empty: fail_on critical */
	const struct bd_open_opts *open;     /* may be NULL */
};

/*
 * check: apply rules to the capture at input (and, with a baseline, growth
 * rules and "a finding new since the baseline"). *passed is true when every
 * rule holds. Render as text, JSON, Markdown or BD_FORMAT_JUNIT.
 */
BD_API enum bd_status bd_report_check(const char *input, const struct bd_check_opts *opts,
				      struct bd_report **out, bool *passed, struct bd_error *err);

struct bd_diff_opts {
	size_t top;                          /* rows per list; 0: 20 */
	const struct bd_open_opts *open;     /* may be NULL */
};

/*
 * diff: what changed between two captures of the same system: processes
 * matched by registered name, process label, then initial call and
 * parent, unmatched ones compared as groups; memory per category and
 * allocator; ETS tables; atoms; findings new, resolved and unchanged. With
 * a third capture (baseline, target, final): leak candidates, what the
 * target added that the final still holds.
 */
BD_API enum bd_status bd_report_diff(const char *old_path, const char *new_path,
				     const char *final_path, const struct bd_diff_opts *opts,
				     struct bd_report **out, struct bd_error *err);

#ifdef __cplusplus
}
#endif

#endif /* BEAMDUMP_H */
