/*
 * Fuzz target: the input is a whole crash dump.
 *
 * It is opened from memory and, when it opens, every report is built
 * (summary, procs with several sort keys and filters, ets, alloc, proc
 * for a few processes, states with printing, leaks, deadlocks and its DOT
 * graph, analyze) and rendered in text, JSON and Markdown to /dev/null.  Public API only, so
 * this exercises exactly what the CLI exercises: the index, the preamble
 * reader, the section parsers, the analyses and the renderers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "beamdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keep single runs fast and memory bounded; the truncation sweep lifts it. */
extern size_t fuzz_dump_max_input;
size_t fuzz_dump_max_input = (size_t)1 << 20;
/* Only summary and procs (the sweep at every 1 %). */
extern int fuzz_dump_light;
int fuzz_dump_light;

static FILE *sink(void)
{
	static FILE *devnull;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	return devnull;
}

/* Read every string the info block exposes, so a missing NUL shows up. */
static size_t touch_info(const struct bd_dump *d)
{
	const struct bd_dump_info *info = bd_dump_info(d);
	const char *strs[13];
	size_t n = 0;

	if (!info)
		return 0;
	strs[0] = info->file;
	strs[1] = info->dump_version;
	strs[2] = info->time;
	strs[3] = info->slogan;
	strs[4] = info->system_version;
	strs[5] = info->otp_release;
	strs[6] = info->erts_version;
	strs[7] = info->taints;
	strs[8] = info->calling_thread;
	strs[9] = info->node;
	strs[10] = info->truncation_reason;
	strs[11] = info->truncated_in;
	strs[12] = bd_status_name(BD_EFORMAT);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		n += strs[i] ? strlen(strs[i]) : 0;
	for (size_t i = 0; i < bd_dump_n_diagnostics(d); i++) {
		const struct bd_diagnostic *g = bd_dump_diagnostic(d, i);
		if (g)
			n += strlen(g->section) + strlen(g->message);
	}
	return n + info->n_sections + (size_t)info->word_size;
}

static void render_all(struct bd_report *r)
{
	/*
	 * JUnit is for check reports and DOT for deadlocks asked with their
	 * graph: the others must refuse them cleanly, as an unknown format
	 */
	static const enum bd_format formats[] = { BD_FORMAT_TEXT, BD_FORMAT_JSON,
						  BD_FORMAT_MARKDOWN, BD_FORMAT_JUNIT,
						  BD_FORMAT_DOT, (enum bd_format)99 };
	FILE *out = sink();

	if (!r || !out)
		return;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct bd_error err;

		memset(&err, 0, sizeof(err));
		(void)bd_report_render(r, formats[i], 0, out, &err);
	}
	/* colour changes only text output */
	(void)bd_report_render(r, BD_FORMAT_TEXT, BD_RENDER_COLOR, out, NULL);
	fflush(out);
	bd_report_free(r);
}

static void procs(struct bd_dump *d, enum bd_proc_sort sort, size_t limit, const char *match,
		  const char *state)
{
	struct bd_procs_opts opts;
	struct bd_report *r = NULL;
	struct bd_error err;

	memset(&opts, 0, sizeof(opts));
	memset(&err, 0, sizeof(err));
	opts.sort = sort;
	opts.limit = limit;
	opts.match = match;
	opts.state = state;
	if (bd_report_procs(d, &opts, &r, &err) == BD_OK)
		render_all(r);
}

static void proc(struct bd_dump *d, const char *process, int variant)
{
	struct bd_proc_opts opts;
	struct bd_report *r = NULL;
	struct bd_error err;

	memset(&opts, 0, sizeof(opts));
	memset(&err, 0, sizeof(err));
	if (variant) {
		opts.terms.syntax = BD_TERM_ELIXIR;
		opts.terms.depth = 2;
		opts.terms.width = 3;
		opts.terms.max_bytes = 64;
		opts.messages = 2;
		opts.shapes = 1;
	}
	if (bd_report_proc(d, process, &opts, &r, &err) == BD_OK)
		render_all(r);
}

/*
 * The proc report for the first few =proc sections of the input (found by
 * scanning the bytes, as a user would pick a pid from the procs report),
 * once by pid and once without the angle brackets, plus a name lookup.
 */
static void procs_one_by_one(struct bd_dump *d, const uint8_t *data, size_t size)
{
	static const char tag[] = "=proc:";
	const char *p = (const char *)data;
	const char *end = p + size;
	int n = 0;

	/* p is at the start of a line */
	for (; n < 3 && p < end; p++) {
		const char *hit = p;
		char id[64];
		size_t len = 0;

		if ((size_t)(end - p) < sizeof(tag) - 1 || memcmp(p, tag, sizeof(tag) - 1) != 0) {
			p = memchr(p, '\n', (size_t)(end - p));
			if (!p)
				break;
			continue;
		}
		hit += sizeof(tag) - 1;
		while (hit + len < end && hit[len] != '\n' && hit[len] != '\r' &&
		       len < sizeof(id) - 1)
			len++;
		memcpy(id, hit, len);
		id[len] = '\0';
		proc(d, id, n & 1);
		if (n == 0 && len > 2 && id[0] == '<' && id[len - 1] == '>') {
			id[len - 1] = '\0';
			proc(d, id + 1, 1);
		}
		n++;
		p = memchr(hit, '\n', (size_t)(end - hit));
		if (!p)
			break;
	}
	proc(d, "init", 0);
	proc(d, "<0.999999.0>", 0); /* BD_ENOTFOUND */
}

/* The reports that read the whole dump: states, leaks, deadlocks, memory, analyze. */
static void reports(struct bd_dump *d, size_t size)
{
	struct bd_memory_opts mem = { (enum bd_memory_by)(size % 3), 1 + size % 4, 1 + size % 7 };
	struct bd_states_opts st;
	struct bd_leaks_opts lk;
	struct bd_deadlock_opts dl;
	struct bd_analyze_opts an;
	struct bd_report *r = NULL;
	struct bd_error err;

	memset(&st, 0, sizeof(st));
	memset(&lk, 0, sizeof(lk));
	memset(&dl, 0, sizeof(dl));
	memset(&an, 0, sizeof(an));
	memset(&err, 0, sizeof(err));
	st.print = true;
	st.terms.syntax = size & 1 ? BD_TERM_ELIXIR : BD_TERM_ERLANG;
	if (bd_report_states(d, &st, &r, &err) == BD_OK)
		render_all(r);
	lk.top = 1 + size % 4;
	if (bd_report_leaks(d, &lk, &r, &err) == BD_OK)
		render_all(r);
	dl.convoy_min = 1 + size % 3;
	if (bd_report_deadlocks(d, &dl, &r, &err) == BD_OK)
		render_all(r);
	dl.graph = true;
	if (bd_report_deadlocks(d, &dl, &r, &err) == BD_OK)
		render_all(r);
	if (sink())
		(void)bd_deadlocks_dot(d, &dl, sink(), &err);
	if (bd_report_memory(d, &mem, &r, &err) == BD_OK)
		render_all(r);
	if (bd_report_analyze(d, &an, &r, &err) == BD_OK)
		render_all(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bd_dump *d = NULL;
	struct bd_report *r;
	struct bd_error err;

	if (size > fuzz_dump_max_input)
		return 0;
	memset(&err, 0, sizeof(err));
	if (bd_dump_open_mem(&d, data, size, "fuzz", &err) != BD_OK) {
		/* a failed open leaves no dump and a described error */
		(void)strlen(err.msg);
		(void)strlen(err.section);
		return 0;
	}
	(void)touch_info(d);

	/* the report functions set *out to NULL when they fail */
	if (bd_report_summary(d, &r, &err) == BD_OK)
		render_all(r);

	procs(d, BD_SORT_MEMORY, 0, NULL, NULL);
	if (fuzz_dump_light) {
		bd_dump_free(d);
		return 0;
	}
	/* the other keys in turn, chosen by the input length */
	procs(d, (enum bd_proc_sort)(BD_SORT_MQ + size % 5), 5, "gen_server|^proc_lib:|init", NULL);
	procs(d, BD_SORT_STACK, 2, NULL, "waiting");
	procs(d, BD_SORT_HEAP, 1, "[", NULL); /* a bad pattern: BD_EUSAGE, nothing to render */

	if (bd_report_ets(d, 0, &r, &err) == BD_OK)
		render_all(r);
	if (bd_report_ets(d, 3, &r, &err) == BD_OK)
		render_all(r);
	if (bd_report_alloc(d, &r, &err) == BD_OK)
		render_all(r);
	procs_one_by_one(d, data, size);
	reports(d, size);

	bd_dump_free(d);
	return 0;
}
