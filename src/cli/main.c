/*
 * The beamdump command line. Uses only the public header: everything it
 * shows comes from a bd_report rendered by the library.
 *
 * Exit status: 0 ok, 1 a check rule broken, 2 usage, 3 input unreadable or
 * not a dump (damaged compressed data and decompression past the cap
 * included), 4 internal error or out of memory, 5 the output cannot be
 * written.
 *
 * A report for -o FILE is written to a temporary file beside FILE and
 * renamed over it only when the command succeeded, so a failed run never
 * empties or half-writes an existing file, and the input is never the
 * output.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */

#include <beamdump.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_INPUT = 3,
	EXIT_INTERNAL = 4,
	EXIT_OUTPUT = 5,
};

static const char *progname = "beamdump";

struct options {
	const char *dump;
	const char *target;  /* proc: PID or NAME */
	const char *output;
	enum bd_format format;
	struct bd_procs_opts procs;
	struct bd_term_opts terms;
	size_t limit;
	size_t messages;
	bool limit_set;
	bool print;
	size_t top;
	size_t convoy;
	const char *third;      /* diff: the final capture */
	const char *baseline;   /* check --baseline */
	const char *rules_file; /* check --rules */
	const char *junit;      /* check --junit */
	struct rule_flag {
		char key[80];
		const char *value;
	} rules[64];            /* check: rule flags, in order, as rules-file keys */
	size_t n_rules;
	struct bd_memory_opts memory;
	uint64_t max_inflate;  /* 0: the library's default */
	size_t threads;         /* 0: the library's default */
};

/* Options a command takes besides --format, --output and --help. */
enum {
	OPT_LIMIT = 1u << 0,    /* -n/--limit */
	OPT_FILTER = 1u << 1,   /* --sort, --match, --state */
	OPT_TERMS = 1u << 2,    /* --syntax, --depth, --width */
	OPT_MESSAGES = 1u << 3, /* --messages */
	OPT_TARGET = 1u << 4,   /* a second positional argument */
	OPT_PRINT = 1u << 5,    /* --print */
	OPT_TOP = 1u << 6,      /* --top */
	OPT_CONVOY = 1u << 7,   /* --convoy */
	OPT_RULES = 1u << 8,    /* check: rule flags, --rules, --baseline, --junit */
	OPT_CAPTURES = 1u << 9, /* diff: OLD NEW [THIRD] */
	OPT_MEMORY = 1u << 10,   /* --by, --depth (of the roll-up) */
};

struct command {
	const char *name;
	const char *summary;
	const char *usage;  /* arguments after DUMP */
	const char *help;   /* option lines */
	unsigned formats;   /* bit per enum bd_format */
	unsigned opts;
	int (*run)(struct bd_dump *d, const struct options *o, struct bd_report **r,
		   struct bd_error *err);
	/* instead of run: commands that open their inputs themselves; *failed sets exit 1 */
	int (*run_paths)(const struct options *o, struct bd_report **r, bool *failed,
			 struct bd_error *err);
	const char *operands;  /* NULL: "DUMP" */
};

#define FMT_BIT(f) (1u << (f))
#define FMT_TEXT_JSON (FMT_BIT(BD_FORMAT_TEXT) | FMT_BIT(BD_FORMAT_JSON) | FMT_BIT(BD_FORMAT_MARKDOWN))

static int run_summary(struct bd_dump *d, const struct options *o, struct bd_report **r,
		       struct bd_error *err)
{
	(void)o;
	return bd_report_summary(d, r, err);
}

static int run_procs(struct bd_dump *d, const struct options *o, struct bd_report **r,
		     struct bd_error *err)
{
	struct bd_procs_opts p = o->procs;

	p.limit = o->limit;
	return bd_report_procs(d, &p, r, err);
}

static int run_ets(struct bd_dump *d, const struct options *o, struct bd_report **r,
		   struct bd_error *err)
{
	return bd_report_ets(d, o->limit, r, err);
}

static int run_alloc(struct bd_dump *d, const struct options *o, struct bd_report **r,
		     struct bd_error *err)
{
	(void)o;
	return bd_report_alloc(d, r, err);
}

static int run_proc(struct bd_dump *d, const struct options *o, struct bd_report **r,
		    struct bd_error *err)
{
	struct bd_proc_opts p;

	memset(&p, 0, sizeof(p));
	p.terms = o->terms;
	p.messages = o->messages;
	return bd_report_proc(d, o->target, &p, r, err);
}

static int run_states(struct bd_dump *d, const struct options *o, struct bd_report **r,
		      struct bd_error *err)
{
	struct bd_states_opts s;

	memset(&s, 0, sizeof(s));
	s.limit = o->limit;
	s.print = o->print;
	s.terms = o->terms;
	return bd_report_states(d, &s, r, err);
}

static int run_leaks(struct bd_dump *d, const struct options *o, struct bd_report **r,
		     struct bd_error *err)
{
	struct bd_leaks_opts l;

	memset(&l, 0, sizeof(l));
	l.top = o->top;
	return bd_report_leaks(d, &l, r, err);
}

static int run_deadlocks(struct bd_dump *d, const struct options *o, struct bd_report **r,
			 struct bd_error *err)
{
	struct bd_deadlock_opts dl;

	memset(&dl, 0, sizeof(dl));
	dl.convoy_min = o->convoy;
	dl.graph = o->format == BD_FORMAT_DOT;
	return bd_report_deadlocks(d, &dl, r, err);
}

static int run_analyze(struct bd_dump *d, const struct options *o, struct bd_report **r,
		       struct bd_error *err)
{
	struct bd_analyze_opts a;

	memset(&a, 0, sizeof(a));
	a.top = o->top;
	return bd_report_analyze(d, &a, r, err);
}

static int run_check(const struct options *o, struct bd_report **r, bool *failed,
		     struct bd_error *err)
{
	struct bd_check_rules *rules;
	struct bd_open_opts open = { NULL, NULL, NULL, o->max_inflate, (unsigned)o->threads };
	struct bd_check_opts c = { o->baseline, NULL, &open };
	bool passed = false;
	int rc = bd_check_rules_new(&rules, err);

	if (!rc && o->rules_file)
		rc = bd_check_rules_load(rules, o->rules_file, err);
	for (size_t i = 0; !rc && i < o->n_rules; i++)
		rc = bd_check_rules_set(rules, o->rules[i].key, o->rules[i].value,
					NULL, err);
	if (!rc) {
		c.rules = rules;
		rc = bd_report_check(o->dump, &c, r, &passed, err);
	}
	bd_check_rules_free(rules);
	*failed = !rc && !passed;
	return rc;
}

static int run_diff(const struct options *o, struct bd_report **r, bool *failed,
		    struct bd_error *err)
{
	struct bd_open_opts open = { NULL, NULL, NULL, o->max_inflate, (unsigned)o->threads };
	struct bd_diff_opts d = { o->top, &open };

	*failed = false;
	return bd_report_diff(o->dump, o->target, o->third, &d, r, err);
}

static int run_memory(struct bd_dump *d, const struct options *o, struct bd_report **r,
		      struct bd_error *err)
{
	struct bd_memory_opts m = o->memory;

	m.top = o->limit;
	return bd_report_memory(d, &m, r, err);
}

#define TERMS_HELP \
	"      --syntax S    print terms in erlang (default) or elixir syntax\n" \
	"      --depth N     nesting levels printed (default 8)\n" \
	"      --width N     elements printed per list, tuple, map or binary (default 20)\n"

static const char common_help[] =
	"  -f, --format FMT  text (default), json or markdown\n"
	"  -o, --output FILE write the report to FILE instead of standard output;\n"
	"                    FILE is replaced only when the command succeeds\n"
	"      --max-inflate SIZE\n"
	"                    most bytes a compressed or piped dump may decompress to\n"
	"                    (K, M, G: powers of 1024; default 1024 times the file,\n"
	"                    at most 64G, 16G from a pipe)\n"
	"      --threads N   use at most N threads (default: the online CPUs, at most 8)\n"
	"  -h, --help        show this help\n";

static const struct command commands[] = {
	{ "analyze", "the triage report: what happened, findings ranked by severity, inventory",
	  " [--top N]", "  -t, --top N       rows per list (default 5)\n", FMT_TEXT_JSON, OPT_TOP,
	  run_analyze, NULL, NULL },
	{ "memory", "who holds the memory: reconciled totals, retained sizes, roll-up by application",
	  " [--by app|supervisor|process] [--depth N] [--limit N]",
	  "      --by KEY      roll up by app (default: application, supervisor, group,\n"
	  "                    process), supervisor, or process (no roll-up)\n"
	  "      --depth N     levels of the roll-up shown, 1 to 4 (default 3)\n"
	  "  -n, --limit N     rows per list and per level (default 10)\n",
	  FMT_TEXT_JSON, OPT_MEMORY | OPT_LIMIT, run_memory, NULL, NULL },
	{ "summary", "what killed the node, when, versions, truncation, counts, memory", "",
	  "", FMT_TEXT_JSON, 0, run_summary, NULL, NULL },
	{ "procs", "the process table, sorted (recon's proc_count on a dump)",
	  " [--sort KEY] [--limit N] [--match REGEX] [--state STATE] [--group]",
	  "  -s, --sort KEY    memory (default), mq, reductions, heap, stack or binary\n"
	  "  -n, --limit N     show the first N processes (default: all)\n"
	  "  -m, --match RE    keep processes whose registered name, initial call or\n"
	  "                    current function matches the PCRE2 regex RE\n"
	  "      --state S     keep processes in state S (Waiting, Running, Scheduled,\n"
	  "                    Garbing, Suspended, Exiting, ...; case-insensitive)\n"
	  "      --group       list groups of siblings (same spawner, application and\n"
	  "                    initial call) with their count and memory, largest first;\n"
	  "                    --match then applies to the initial call\n",
	  FMT_TEXT_JSON, OPT_LIMIT | OPT_FILTER, run_procs, NULL, NULL },
	{ "proc", "one process: fields, links, stack, dictionary, messages, behaviour state",
	  " PID|NAME [--syntax S] [--depth N] [--width N] [--messages N]",
	  "  PID|NAME          a pid (<0.80.0> or 0.80.0) or a registered name\n"
	  TERMS_HELP
	  "      --messages N  messages printed, oldest first (default 10)\n",
	  FMT_TEXT_JSON, OPT_TERMS | OPT_MESSAGES | OPT_TARGET, run_proc, NULL, NULL },
	{ "states", "behaviour processes ranked by the size of their state, with its shape",
	  " [--limit N] [--print] [--syntax S] [--depth N] [--width N]",
	  "  -n, --limit N     show the N largest states (default 20)\n"
	  "      --print       print each state shown\n"
	  TERMS_HELP,
	  FMT_TEXT_JSON, OPT_LIMIT | OPT_TERMS | OPT_PRINT, run_states, NULL, NULL },
	{ "leaks", "binaries pinned by slices, mailbox build-up, ETS, atoms, allocators, garbage",
	  " [--top N]", "  -t, --top N       rows per list (default 10)\n", FMT_TEXT_JSON, OPT_TOP,
	  run_leaks, NULL, NULL },
	{ "deadlocks", "blocked calls: deadlock cycles, chains of waiters, convoys", " [--convoy N]",
	  "      --convoy N    callers on one process that make a convoy (default 10)\n"
	  "                    --format dot writes the wait-for graph for Graphviz\n",
	  FMT_TEXT_JSON | FMT_BIT(BD_FORMAT_DOT), OPT_CONVOY, run_deadlocks, NULL, NULL },
	{ "ets", "ETS tables by memory, with owner, name, type and objects", " [--limit N]",
	  "  -n, --limit N     show the N largest tables (default: all)\n", FMT_TEXT_JSON,
	  OPT_LIMIT, run_ets, NULL, NULL },
	{ "alloc", "per allocator type: blocks against carriers (usage), mbcs and sbcs", "", "",
	  FMT_TEXT_JSON, 0, run_alloc, NULL, NULL },
	{ "check", "CI gate: exit 1 when a rule is broken (thresholds, growth since a baseline)",
	  " [--rules FILE] [RULES] [--baseline OLD] [--junit FILE]",
	  "  INPUT             a dump, or a JSON report of 'beamdump analyze --format json'\n"
	  "      --rules FILE  rules as 'key = value' lines or a JSON object (see the man page)\n"
	  "      --no-deadlocks          fail on any deadlock cycle\n"
	  "      --max-queue N           fail when a message queue is longer than N\n"
	  "      --match REGEX           only --max-queue processes whose name, label or\n"
	  "                              initial call matches the PCRE2 REGEX\n"
	  "      --max-pinned BYTES      refc binaries a process pins through slices\n"
	  "      --max-state BYTES       a behaviour process's state\n"
	  "      --max-ets BYTES         one ETS table\n"
	  "      --max-atoms-pct P       atoms against the atom limit, in percent\n"
	  "      --max-processes N       processes on the node\n"
	  "      --max-memory BYTES      total memory of the node\n"
	  "      --fail-on SEVERITY      any finding at or above info, warning, high or\n"
	  "                              critical (the only rule when none is given:\n"
	  "                              critical)\n"
	  "      --allow KIND            accept findings of this kind (repeatable)\n"
	  "      --baseline OLD          compare with an earlier capture (dump or JSON\n"
	  "                              report): a finding new since then fails\n"
	  "      --max-growth CATEGORY=PCT\n"
	  "                              growth since OLD; CATEGORY: processes, binary,\n"
	  "                              ets, atom, code, total, or process (each matched\n"
	  "                              process or group of 64 KiB or more)\n"
	  "      --junit FILE            also write JUnit XML, one test case per rule\n"
	  "                    BYTES take K, M, G suffixes (powers of 1024)\n",
	  FMT_TEXT_JSON, OPT_RULES, NULL, run_check, "INPUT" },
	{ "diff", "what grew between captures: processes, groups, memory, ETS, atoms, findings",
	  " [--top N]",
	  "  OLD NEW           two captures of the same system: dumps or JSON reports of\n"
	  "                    'beamdump analyze --format json'\n"
	  "  THIRD             a third capture (baseline, target, final): lists as leak\n"
	  "                    candidates what the target added and the final still holds\n"
	  "  -t, --top N       rows per list (default 20)\n",
	  FMT_TEXT_JSON, OPT_TOP | OPT_CAPTURES, NULL, run_diff, "OLD NEW [THIRD]" },
	{ "capture", "read a running node into a snapshot file (NODE -o FILE; runs escript)",
	  " -o FILE [--cookie-file F] [--full] [--state]\n"
	  "         [--window S] [--timeout S] [--max-duration S] [--batch N]\n"
	  "         [--name NAME] [--proto-dist P] [--ssl-dist-optfile F] [--quiet]",
	  "  NODE              the node's name: name@host (longnames when host has a dot)\n"
	  "  -o, --output FILE the snapshot; written beside FILE as FILE.tmp-*, mode 0600,\n"
	  "                    renamed when done (an aborted capture keeps what it read)\n"
	  "      --cookie-file F\n"
	  "                    the node's cookie (else $BEAMDUMP_COOKIE, else\n"
	  "                    ~/.erlang.cookie); refused if group or others can read it\n"
	  "      --full        read every key of every process, not only of candidates\n"
	  "                    (several times the target's CPU and a larger file)\n"
	  "      --state       also read the behaviour state (sys:get_state) of the\n"
	  "                    candidates waiting in their loop or hibernated; needs\n"
	  "                    module sys loaded on the target (never loads it)\n"
	  "      --window S    S seconds after the capture, sample reductions, queues\n"
	  "                    and the atom count again (default 0: no sample)\n"
	  "      --timeout S   give up on one remote call after S seconds (default 10)\n"
	  "      --max-duration S\n"
	  "                    stop the whole capture after S seconds (default 300)\n"
	  "      --batch N     processes per remote call (default 5000)\n"
	  "      --name NAME   this side's node name (default beamdump_$USER: a fixed\n"
	  "                    name, because every name becomes an atom on the target)\n"
	  "      --proto-dist P, --ssl-dist-optfile F\n"
	  "                    the node's distribution carrier and its TLS options\n"
	  "                    file (as -proto_dist and -ssl_dist_optfile of erl)\n"
	  "      --quiet       no summary line on standard error\n"
	  "  -h, --help        show this help\n"
	  "\n"
	  "Exit status: 0 ok, 1 aborted (the file holds what was read), 2 usage,\n"
	  "3 the node cannot be reached.\n",
	  0, 0, NULL, NULL, "NODE" },
};

static void usage_main(FILE *out)
{
	fprintf(out,
		"usage: %s COMMAND DUMP [OPTIONS]\n"
		"\n"
		"Analyse an Erlang/BEAM crash dump (erl_crash.dump, plain, gzip, zstd or xz)\n"
		"offline.\n"
		"DUMP is a path, or - for standard input.\n"
		"\n"
		"Commands:\n",
		progname);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Run '%s COMMAND --help' for a command's options; 'man beamdump' for more.\n"
		"  -h, --help      show this help\n"
		"  -V, --version   print the version\n"
		"\n"
		"Exit status: 0 ok, 1 a check rule broken, 2 usage error, 3 unreadable input\n"
		"or not a crash dump, 4 internal error or out of memory, 5 the output cannot\n"
		"be written.\n",
		progname);
}

static void usage_command(FILE *out, const struct command *c)
{
	fprintf(out, "usage: %s %s %s%s [--format FMT] [-o FILE]\n\n%s.\n\nOptions:\n%s%s",
		progname, c->name, c->operands ? c->operands : "DUMP", c->usage, c->summary,
		c->help, common_help);
}

static int usage_error(const struct command *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s%s--help' for more information.\n", progname,
		c ? c->name : "", c ? " " : "");
	return EXIT_USAGE;
}

static bool parse_format(const char *s, enum bd_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = BD_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = BD_FORMAT_JSON;
	else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0)
		*out = BD_FORMAT_MARKDOWN;
	else if (strcmp(s, "dot") == 0)
		*out = BD_FORMAT_DOT;
	else
		return false;
	return true;
}

static bool parse_sort(const char *s, enum bd_proc_sort *out)
{
	static const struct {
		const char *name;
		enum bd_proc_sort sort;
	} keys[] = {
		{ "memory", BD_SORT_MEMORY }, { "mq", BD_SORT_MQ },
		{ "reductions", BD_SORT_REDUCTIONS }, { "heap", BD_SORT_HEAP },
		{ "stack", BD_SORT_STACK }, { "binary", BD_SORT_BINARY },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(s, keys[i].name) == 0) {
			*out = keys[i].sort;
			return true;
		}
	}
	return false;
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

/* "--opt=value", "--opt value" or "-o value"; returns the value or NULL. */
static const char *option_value(const char *arg, const char *lng, const char *shrt, int *i,
				int argc, char **argv, bool *matched)
{
	size_t n = strlen(lng);

	*matched = false;
	if (strncmp(arg, lng, n) == 0 && arg[n] == '=') {
		*matched = true;
		return arg + n + 1;
	}
	if (strcmp(arg, lng) == 0 || (shrt && strcmp(arg, shrt) == 0)) {
		*matched = true;
		if (*i + 1 >= argc)
			return NULL;
		return argv[++*i];
	}
	return NULL;
}

/*
 * check's rule flags, kept as rules-file keys ("--max-growth binary=20" is
 * max_growth.binary = 20). Returns -1 when a was one, 0 when not, else an
 * exit status.
 */
static int parse_rule_flag(const struct command *c, const char *a, int *i, int argc,
			   char **argv, struct options *o)
{
	static const struct {
		const char *flag;
		const char *key;
	} valued[] = {
		{ "--max-queue", "max_queue" }, { "--match", "match" },
		{ "--max-pinned", "max_pinned" }, { "--max-state", "max_state" },
		{ "--max-ets", "max_ets" }, { "--max-atoms-pct", "max_atoms_pct" },
		{ "--max-processes", "max_processes" }, { "--max-memory", "max_memory" },
		{ "--fail-on", "fail_on" }, { "--allow", "allow" }, { "--max-growth", NULL },
	};
	const char *v;
	bool m;

	if (o->n_rules == sizeof(o->rules) / sizeof(o->rules[0]))
		return usage_error(c, "too many rule flags");
	struct rule_flag *f = &o->rules[o->n_rules];

	if (strcmp(a, "--no-deadlocks") == 0) {
		snprintf(f->key, sizeof(f->key), "no_deadlocks");
		f->value = "true";
		o->n_rules++;
		return -1;
	}
	const struct {
		const char *flag;
		const char **to;
	} paths[] = {
		{ "--baseline", &o->baseline }, { "--rules", &o->rules_file }, { "--junit", &o->junit },
	};
	for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
		v = option_value(a, paths[k].flag, NULL, i, argc, argv, &m);
		if (!m)
			continue;
		if (!v)
			return usage_error(c, "%s needs a value", a);
		*paths[k].to = v;
		return -1;
	}
	for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
		v = option_value(a, valued[k].flag, NULL, i, argc, argv, &m);
		if (!m)
			continue;
		if (!v)
			return usage_error(c, "%s needs a value", a);
		if (valued[k].key) {
			snprintf(f->key, sizeof(f->key), "%s", valued[k].key);
			f->value = v;
		} else {
			/* --max-growth CATEGORY=PCT */
			const char *eq = strchr(v, '=');
			if (!eq || eq == v || (size_t)(eq - v) > 60)
				return usage_error(c, "--max-growth needs CATEGORY=PCT, not '%s'", v);
			snprintf(f->key, sizeof(f->key), "max_growth.%.*s", (int)(eq - v), v);
			f->value = eq + 1;
		}
		o->n_rules++;
		return -1;
	}
	return 0;
}

static int parse_args(const struct command *c, int argc, char **argv, struct options *o,
		      bool *help)
{
	memset(o, 0, sizeof(*o));
	o->format = BD_FORMAT_TEXT;
	o->procs.sort = BD_SORT_MEMORY;
	*help = false;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v;
		bool m;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			*help = true;
			return EXIT_OK;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (!o->dump)
				o->dump = a;
			else if ((c->opts & (OPT_TARGET | OPT_CAPTURES)) && !o->target)
				o->target = a;
			else if ((c->opts & OPT_CAPTURES) && !o->third)
				o->third = a;
			else
				return usage_error(c, "unexpected argument '%s'", a);
			continue;
		}
		v = option_value(a, "--format", "-f", &i, argc, argv, &m);
		if (m) {
			if (!v)
				return usage_error(c, "%s needs a value", a);
			if (!parse_format(v, &o->format) || !(c->formats & FMT_BIT(o->format)))
				return usage_error(c, "unknown format '%s' (text, json, markdown%s)", v,
						   (c->formats & FMT_BIT(BD_FORMAT_DOT)) ? " or dot"
											  : "");
			continue;
		}
		v = option_value(a, "--output", "-o", &i, argc, argv, &m);
		if (m) {
			if (!v)
				return usage_error(c, "%s needs a value", a);
			o->output = v;
			continue;
		}
		v = option_value(a, "--max-inflate", NULL, &i, argc, argv, &m);
		if (m) {
			if (!v || !bd_parse_size(v, &o->max_inflate) || !o->max_inflate)
				return usage_error(c, "--max-inflate needs a size from 1 (bytes, or with K, M or G), not '%s'",
						   v ? v : "");
			continue;
		}
		v = option_value(a, "--threads", NULL, &i, argc, argv, &m);
		if (m) {
			if (!v || !parse_size(v, &o->threads) || o->threads == 0 ||
			    o->threads > BD_THREADS_MAX)
				return usage_error(c, "--threads needs a whole number from 1 to %d, not '%s'",
						   BD_THREADS_MAX, v ? v : "");
			continue;
		}
		if (c->opts & OPT_TERMS) {
			v = option_value(a, "--syntax", NULL, &i, argc, argv, &m);
			if (m) {
				if (v && strcmp(v, "erlang") == 0)
					o->terms.syntax = BD_TERM_ERLANG;
				else if (v && strcmp(v, "elixir") == 0)
					o->terms.syntax = BD_TERM_ELIXIR;
				else
					return usage_error(c, "unknown syntax '%s' (erlang or elixir)",
							   v ? v : "");
				continue;
			}
			v = option_value(a, "--depth", NULL, &i, argc, argv, &m);
			if (m) {
				size_t depth;
				if (!v || !parse_size(v, &depth) || depth == 0 || depth > 1000000)
					return usage_error(c, "--depth needs a whole number from 1, not '%s'",
							   v ? v : "");
				o->terms.depth = (unsigned)depth;
				continue;
			}
			v = option_value(a, "--width", NULL, &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_size(v, &o->terms.width) || o->terms.width == 0)
					return usage_error(c, "--width needs a whole number from 1, not '%s'",
							   v ? v : "");
				continue;
			}
		}
		if (c->opts & OPT_TOP) {
			v = option_value(a, "--top", "-t", &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_size(v, &o->top) || o->top == 0)
					return usage_error(c, "--top needs a whole number from 1, not '%s'",
							   v ? v : "");
				continue;
			}
		}
		if (c->opts & OPT_CONVOY) {
			v = option_value(a, "--convoy", NULL, &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_size(v, &o->convoy) || o->convoy == 0)
					return usage_error(c, "--convoy needs a whole number from 1, not '%s'",
							   v ? v : "");
				continue;
			}
		}
		if (c->opts & OPT_RULES) {
			int r = parse_rule_flag(c, a, &i, argc, argv, o);
			if (r < 0)
				continue;
			if (r > 0)
				return r;
		}
		if (c->opts & OPT_MEMORY) {
			v = option_value(a, "--by", NULL, &i, argc, argv, &m);
			if (m) {
				if (v && strcmp(v, "app") == 0)
					o->memory.by = BD_MEMORY_BY_APP;
				else if (v && strcmp(v, "supervisor") == 0)
					o->memory.by = BD_MEMORY_BY_SUPERVISOR;
				else if (v && strcmp(v, "process") == 0)
					o->memory.by = BD_MEMORY_BY_PROCESS;
				else
					return usage_error(c, "unknown --by '%s' (app, supervisor or process)",
							   v ? v : "");
				continue;
			}
			v = option_value(a, "--depth", NULL, &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_size(v, &o->memory.depth) || o->memory.depth == 0 ||
				    o->memory.depth > 4)
					return usage_error(c, "--depth needs a whole number from 1 to 4, not '%s'",
							   v ? v : "");
				continue;
			}
		}
		if ((c->opts & OPT_PRINT) && strcmp(a, "--print") == 0) {
			o->print = true;
			continue;
		}
		if (c->opts & OPT_MESSAGES) {
			v = option_value(a, "--messages", NULL, &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_size(v, &o->messages) || o->messages == 0)
					return usage_error(c, "--messages needs a whole number from 1, not '%s'",
							   v ? v : "");
				continue;
			}
		}
		if (c->opts & OPT_LIMIT) {
			v = option_value(a, "--limit", "-n", &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_size(v, &o->limit))
					return usage_error(c, "--limit needs a whole number, not '%s'",
							   v ? v : "");
				o->limit_set = true;
				continue;
			}
		}
		if (c->opts & OPT_FILTER) {
			v = option_value(a, "--sort", "-s", &i, argc, argv, &m);
			if (m) {
				if (!v || !parse_sort(v, &o->procs.sort))
					return usage_error(c, "unknown sort key '%s' (memory, mq, reductions, heap, stack, binary)",
							   v ? v : "");
				continue;
			}
			v = option_value(a, "--match", "-m", &i, argc, argv, &m);
			if (m) {
				if (!v)
					return usage_error(c, "%s needs a value", a);
				o->procs.match = v;
				continue;
			}
			v = option_value(a, "--state", NULL, &i, argc, argv, &m);
			if (m) {
				if (!v)
					return usage_error(c, "%s needs a value", a);
				o->procs.state = v;
				continue;
			}
			if (strcmp(a, "--group") == 0) {
				o->procs.group = true;
				continue;
			}
		}
		return usage_error(c, "unknown option '%s'", a);
	}
	if (!o->dump)
		return usage_error(c, c->opts & OPT_CAPTURES ? "no captures given (OLD NEW [THIRD])"
				      : "no dump given");
	if ((c->opts & OPT_CAPTURES) && !o->target)
		return usage_error(c, "diff needs two captures: OLD NEW [THIRD]");
	if ((c->opts & OPT_TARGET) && !o->target)
		return usage_error(c, "no process given (a pid like <0.80.0>, or a registered name)");
	return EXIT_OK;
}

static int exit_for(enum bd_status rc)
{
	switch (rc) {
	case BD_OK:
		return EXIT_OK;
	case BD_EUSAGE:
	case BD_ENOTFOUND:
		return EXIT_USAGE;
	case BD_EIO:
	case BD_EFORMAT:
	case BD_ETRUNC:
	case BD_ELIMIT:
		return EXIT_INPUT;
	case BD_ENOMEM:
	case BD_EINTERNAL:
	default:
		return EXIT_INTERNAL;
	}
}

static void report_error(const struct bd_error *err)
{
	fprintf(stderr, "%s: ", progname);
	if (err->offset != BD_NO_OFFSET && err->code != BD_EUSAGE &&
	    (err->offset || err->section[0]))
		fprintf(stderr, "at offset %llu%s%s%s: ", (unsigned long long)err->offset,
			err->section[0] ? " (" : "", err->section, err->section[0] ? ")" : "");
	fprintf(stderr, "%s\n", err->msg[0] ? err->msg : bd_status_name(err->code));
}

static void report_bad_regex(const char *pattern, const struct bd_error *err)
{
	fprintf(stderr, "%s: bad --match pattern at offset %llu: %s\n  %s\n  %*s^\n", progname,
		(unsigned long long)err->offset, err->msg, pattern, (int)err->offset, "");
}

/* ------------------------------------------------------------- output */

/* The temporary file being written, for a fatal signal to remove. */
static char tmp_path[PATH_MAX + 32];
static volatile sig_atomic_t tmp_live;

/*
 * Where the report goes. A regular file (or a new one) is written through
 * a temporary file beside it, renamed over it on success; anything else
 * that is not a directory (a terminal, /dev/null, a FIFO) is written as it is.
 */
struct output {
	FILE *f;
	const char *name;     /* as the user gave it, for messages */
	char final[PATH_MAX]; /* what the temporary file becomes */
	bool via_tmp;
};

static int output_error(const char *name, int errnum)
{
	fprintf(stderr, "%s: cannot write '%s': %s\n", progname, name,
		errnum ? strerror(errnum) : "write error");
	return EXIT_OUTPUT;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Is the report about to overwrite the dump? Compared by device and inode,
 * so symlinks, hard links, other spellings and "- < dump" are all caught;
 * with no -o, standard output appended to the dump counts too.
 */
static bool output_is_input(const char *dump, const char *output)
{
	struct stat in;
	struct stat out;

	if (strcmp(dump, "-") == 0 ? fstat(STDIN_FILENO, &in) != 0 : stat(dump, &in) != 0)
		return false;
	if (!S_ISREG(in.st_mode))
		return false;
	if (output ? stat(output, &out) != 0 : fstat(STDOUT_FILENO, &out) != 0)
		return false;
	return same_file(&in, &out);
}

/* Say so and return true when -o (or standard output) is one of the inputs. */
static bool refuse_output_over_input(const struct options *o)
{
	const char *inputs[] = { o->dump, o->target, o->third, o->baseline };

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		if (inputs[i] && output_is_input(inputs[i], o->output)) {
			fprintf(stderr, "%s: refusing to write the report over the dump it reads ('%s')\n",
				progname, o->output ? o->output : "standard output");
			return true;
		}
	}
	return false;
}

static int output_open(struct output *o, const char *path)
{
	struct stat st;
	const char *target = path;
	const char *slash;
	size_t dir_len;
	sigset_t block;
	sigset_t old;
	mode_t mode;
	int fd;

	memset(o, 0, sizeof(*o));
	o->name = path;
	if (stat(path, &st) == 0) {
		struct stat std_out;
		if (S_ISDIR(st.st_mode))
			return output_error(path, EISDIR);
		/* /dev/stdout and the like: the file the shell opened, maybe to append */
		if (fstat(STDOUT_FILENO, &std_out) == 0 && same_file(&st, &std_out)) {
			o->f = stdout;
			return EXIT_OK;
		}
		if (!S_ISREG(st.st_mode)) {
			o->f = fopen(path, "w");
			return o->f ? EXIT_OK : output_error(path, errno);
		}
		/* a symlink is kept: the file it names is replaced */
		if (realpath(path, o->final))
			target = o->final;
		mode = st.st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if (strlen(target) >= sizeof(o->final))
		return output_error(path, ENAMETOOLONG);
	if (target != o->final)
		strcpy(o->final, target);
	slash = strrchr(o->final, '/');
	dir_len = slash ? (size_t)(slash - o->final) + 1 : 0;
	/* ".NAME.XXXXXX" beside it: same file system, so the rename is atomic */
	snprintf(tmp_path, sizeof(tmp_path), "%.*s.%.200s.XXXXXX", (int)dir_len, o->final,
		 o->final + dir_len);
	sigfillset(&block);
	sigprocmask(SIG_BLOCK, &block, &old);
	fd = mkstemp(tmp_path);
	tmp_live = fd >= 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0)
		return output_error(path, errno);
	o->via_tmp = true;
	if (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "w"))) {
		int e = errno;
		if (!o->f)
			close(fd);
		unlink(tmp_path);
		tmp_live = 0;
		return output_error(path, e);
	}
	return EXIT_OK;
}

/* Finish the output: kept (renamed into place) only if keep; 0 or an errno. */
static int output_close(struct output *o, bool keep)
{
	int e = 0;

	if (!o->f)
		return 0;
	errno = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		e = errno ? errno : EIO;
	if (o->f != stdout && fclose(o->f) != 0 && !e)
		e = errno ? errno : EIO;
	o->f = NULL;
	if (o->via_tmp) {
		if (keep && !e && rename(tmp_path, o->final) != 0)
			e = errno;
		if (!keep || e)
			unlink(tmp_path);
		tmp_live = 0;
	}
	return e;
}

static void on_fatal_signal(int sig)
{
	if (tmp_live)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_sigbus(int sig)
{
	static const char msg[] = "beamdump: the input file changed (shrank) while it was read\n";

	(void)sig;
	if (tmp_live)
		unlink(tmp_path);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_INPUT);
	_exit(EXIT_INPUT);
}

static void progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (total)
		fprintf(stderr, "\r%s %llu/%llu MiB (%d%%)   ", phase,
			(unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
			(int)(done * 100 / total));
	else
		fprintf(stderr, "\r%s %llu MiB   ", phase, (unsigned long long)(done >> 20));
}

#define STDOUT_OUTPUT { stdout, "standard output", "", false }

/* Colour only for text on a terminal, and only when NO_COLOR is unset. */
static unsigned render_flags(const struct output *out, enum bd_format format)
{
	if (out->f == stdout && format == BD_FORMAT_TEXT && isatty(STDOUT_FILENO) &&
	    !getenv("NO_COLOR"))
		return BD_RENDER_COLOR;
	return 0;
}

/*
 * The end of a command: the output is kept if rc is BD_OK, else discarded
 * and the error said. A write that failed is an output error (5), not the
 * input's nor an internal one. pattern: the --match regex, if any.
 */
static int finish(struct output *out, int rc, const struct bd_error *err, const char *pattern)
{
	int e = errno;

	if (rc == BD_EIO && ferror(out->f)) {
		output_close(out, false);
		return output_error(out->name, e);
	}
	if (rc) {
		if (rc == BD_EUSAGE && pattern)
			report_bad_regex(pattern, err);
		else
			report_error(err);
		output_close(out, false);
		return exit_for(rc);
	}
	e = output_close(out, true);
	return e ? output_error(out->name, e) : EXIT_OK;
}

/* Render r to path (NULL: standard output) through a temporary file. */
static int write_report(const struct bd_report *r, const char *path, enum bd_format format)
{
	struct bd_error err = { BD_OK, 0, BD_NO_OFFSET, "", "" };
	struct output out = STDOUT_OUTPUT;
	int rc;

	if (path && (rc = output_open(&out, path)) != EXIT_OK)
		return rc;
	rc = bd_report_render(r, format, render_flags(&out, format), out.f, &err);
	return finish(&out, rc, &err, NULL);
}

/*
 * capture: this binary stays offline (no sockets, no cookie); it hands the
 * arguments to the capture escript shipped beside it, run by escript from PATH.
 */
static const char capture_rel[][48] = {
	"/../libexec/beamdump/beamdump-capture.escript", /* installed */
	"/../../capture/beamdump-capture.escript",       /* build tree: build/rel */
};

static bool find_on_path(const char *prog, char *out, size_t n)
{
	const char *p = getenv("PATH");

	while (p && *p) {
		size_t len = strcspn(p, ":");
		if (len && (size_t)snprintf(out, n, "%.*s/%s", (int)len, p, prog) < n &&
		    access(out, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

/*
 * The distribution carrier is chosen when the VM starts, so --proto-dist
 * and --ssl-dist-optfile reach the escript's VM as ERL_FLAGS (which splits
 * on blanks); the escript checks that it got them.
 */
static int pass_dist_flags(const struct command *c, int argc, char **argv)
{
	static const char *const opts[][2] = {
		{ "--proto-dist", "-proto_dist" },
		{ "--ssl-dist-optfile", "-ssl_dist_optfile" },
	};
	const char *old = getenv("ERL_FLAGS");
	size_t cap = (old ? strlen(old) : 0) + 1;
	char *flags;

	for (int i = 2; i < argc; i++)
		cap += strlen(argv[i]) + 24;
	flags = malloc(cap);
	if (!flags)
		return EXIT_INTERNAL;
	snprintf(flags, cap, "%s", old ? old : "");
	for (int i = 2; i + 1 < argc; i++)
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
			if (strcmp(argv[i], opts[k][0]) != 0)
				continue;
			if (!argv[i + 1][0] || strpbrk(argv[i + 1], " \t\n\"'\\")) {
				free(flags);
				return usage_error(c, "%s %s: the Erlang VM takes it through ERL_FLAGS, "
						   "which cannot hold blanks or quotes", argv[i], argv[i + 1]);
			}
			size_t n = strlen(flags);
			snprintf(flags + n, cap - n, "%s%s %s", n ? " " : "", opts[k][1], argv[i + 1]);
		}
	if (setenv("ERL_FLAGS", flags, 1) != 0) {
		free(flags);
		return EXIT_INTERNAL;
	}
	free(flags);
	return EXIT_OK;
}

static int run_capture(const struct command *c, int argc, char **argv)
{
	char self[PATH_MAX], script[PATH_MAX + 64], escript[PATH_MAX];
	const char *env = getenv("BEAMDUMP_CAPTURE");
	ssize_t len;

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: %s %s %s%s\n\n%s.\n\nOptions:\n%s", progname, c->name,
			       c->operands, c->usage, c->summary, c->help);
			return EXIT_OK;
		}
	script[0] = '\0';
	if (env && *env) {
		if ((size_t)snprintf(script, sizeof(script), "%s", env) >= sizeof(script))
			script[0] = '\0';
	} else if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0 ||
		   (realpath(argv[0], self) && (len = (ssize_t)strlen(self)) > 0)) {
		self[len] = '\0';
		*strrchr(self, '/') = '\0';
		for (size_t i = 0; i < sizeof(capture_rel) / sizeof(capture_rel[0]); i++) {
			if ((size_t)snprintf(script, sizeof(script), "%s%s", self, capture_rel[i]) <
				    sizeof(script) &&
			    access(script, R_OK) == 0)
				break;
			script[0] = '\0';
		}
	}
	if (!script[0] || access(script, R_OK) != 0)
		return usage_error(c, "the capture script is not installed (looked for %s, "
				   "then ../libexec/beamdump/ and ../../capture/ beside this "
				   "program); set BEAMDUMP_CAPTURE to its path",
				   env && *env ? env : "$BEAMDUMP_CAPTURE");
	if (!find_on_path("escript", escript, sizeof(escript)))
		return usage_error(c, "escript (Erlang/OTP 23 or later) is not on PATH: "
				   "capture runs it to read the node");
	int rc = pass_dist_flags(c, argc, argv);
	if (rc != EXIT_OK)
		return rc;
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return EXIT_INTERNAL;
	args[0] = escript;
	args[1] = script;
	for (int i = 2; i < argc; i++)
		args[i] = argv[i];
	signal(SIGPIPE, SIG_DFL); /* ignored here; an ignored signal stays so across exec */
	execv(escript, args);
	fprintf(stderr, "%s: cannot run %s: %s\n", progname, escript, strerror(errno));
	free(args);
	return EXIT_INTERNAL;
}

/* check and diff: the library opens the captures; 1 when a check fails. */
static int run_on_paths(const struct command *c, const struct options *o)
{
	struct bd_error err = { BD_OK, 0, BD_NO_OFFSET, "", "" };
	struct bd_report *r = NULL;
	bool failed = false;
	int rc = c->run_paths(o, &r, &failed, &err);

	if (rc) {
		report_error(&err);
		return exit_for(rc);
	}
	rc = write_report(r, o->output, o->format);
	if (!rc && o->junit)
		rc = write_report(r, o->junit, BD_FORMAT_JUNIT);
	bd_report_free(r);
	return rc ? rc : failed ? EXIT_FAILED : EXIT_OK;
}

static int run_command(const struct command *c, int argc, char **argv)
{
	struct options o;
	struct bd_error err = { BD_OK, 0, BD_NO_OFFSET, "", "" };
	struct bd_open_opts open_opts = { NULL, NULL, NULL, 0, 0 };
	struct bd_dump *d = NULL;
	struct bd_report *r = NULL;
	struct output out = STDOUT_OUTPUT;
	bool help;
	bool show_progress = isatty(STDERR_FILENO) && !getenv("BEAMDUMP_NO_PROGRESS");
	int rc;

	rc = parse_args(c, argc, argv, &o, &help);
	if (rc)
		return rc;
	if (help) {
		usage_command(stdout, c);
		return EXIT_OK;
	}
	if (refuse_output_over_input(&o))
		return EXIT_USAGE;
	if (c->run_paths)
		return run_on_paths(c, &o);
	if (o.output && (rc = output_open(&out, o.output)) != EXIT_OK)
		return rc;
	if (show_progress)
		open_opts.progress = progress;
	open_opts.max_inflate = o.max_inflate;
	open_opts.threads = (unsigned)o.threads;
	rc = bd_dump_open(&d, o.dump, &open_opts, &err);
	if (show_progress)
		fputs("\r\033[K", stderr);
	if (rc) {
		report_error(&err);
		output_close(&out, false);
		return exit_for(rc);
	}
	rc = c->run(d, &o, &r, &err);
	if (!rc && r)
		rc = bd_report_render(r, o.format, render_flags(&out, o.format), out.f, &err);
	rc = finish(&out, rc, &err, o.procs.match);
	bd_report_free(r);
	bd_dump_free(d);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed pipe is a write error (exit 5), not a silent death */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage_main(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("beamdump %s\n", BD_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return strcmp(argv[1], "capture") == 0 ? run_capture(&commands[i], argc, argv)
							       : run_command(&commands[i], argc, argv);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}
