/*
 * What the slogan says, in plain words (crash-dump-format.md section 1.6):
 * the reason the emulator gave when it wrote the dump.
 */
#include "bd.h"
#include "analyze/analyze.h"

#include <stdio.h>
#include <stdlib.h>

/* The text between the first '(' after prefix and its matching ')'. */
static struct bd_slice paren(struct bd_slice s, size_t from)
{
	int depth = 0;
	size_t start = 0;

	for (size_t i = from; i < s.len; i++) {
		if (s.ptr[i] == '(' && depth++ == 0)
			start = i + 1;
		else if (s.ptr[i] == ')' && depth > 0 && --depth == 0)
			return bd_slice_make(s.ptr + start, i - start);
	}
	return start ? bd_slice_make(s.ptr + start, s.len - start) : bd_slice_make("", 0);
}

/* The first atom after "{application_start_failure," (the application that failed). */
static struct bd_slice failed_app(struct bd_slice reason)
{
	static const char key[] = "application_start_failure,";
	const char *p = bd_memmem(reason.ptr, reason.len, key, sizeof(key) - 1);
	const char *end = reason.ptr + reason.len;
	const char *q;

	if (!p)
		return bd_slice_make("", 0);
	p += sizeof(key) - 1;
	for (q = p; q < end && *q != ',' && *q != '}'; q++)
		;
	return bd_slice_make(p, (size_t)(q - p));
}

/* The error atom of "{undef,[{m,f,...}|...]}" style reasons, and its first frame. */
static void boot_error(struct bd_slice reason, char *out, size_t cap)
{
	const char *end = reason.ptr + reason.len;
	const char *p = reason.ptr;
	const char *q;

	if (!reason.len) {
		snprintf(out, cap, "with no reason given");
		return;
	}
	if (*p != '{') {
		snprintf(out, cap, "%.*s", (int)reason.len, reason.ptr);
		return;
	}
	for (q = p + 1; q < end && *q != ',' && *q != '}' && *q != '{'; q++)
		;
	if (q > p + 1 && *q == ',') {
		/* {Error, [{M, F, Args, _} | _]}: name the error and where it happened */
		const char *f = memchr(q, '{', (size_t)(end - q));
		const char *g = f ? f + 1 : NULL;
		int commas = 0;
		const char *e = g;
		for (; e && e < end && commas < 2; e++)
			if (*e == ',')
				commas++;
		if (g && commas == 2 && e - g > 1)
			snprintf(out, cap, "%.*s in %.*s", (int)(q - p - 1), p + 1,
				 (int)(e - g - 1), g);
		else
			snprintf(out, cap, "%.*s", (int)(q - p - 1), p + 1);
		/* m,f -> m:f */
		for (char *c = out; *c; c++)
			if (strncmp(c, " in ", 4) == 0) {
				char *comma = strchr(c + 4, ',');
				if (comma)
					*comma = ':';
				break;
			}
		return;
	}
	snprintf(out, cap, "%.*s", (int)(reason.len > 200 ? 200 : reason.len), reason.ptr);
}

void bd_explain_slogan(const struct bd_dump *d, struct bd_slogan *out)
{
	struct bd_slice s = bd_slice_trim(bd_slice_make(d->info.slogan, strlen(d->info.slogan)));
	const char *alloc_key = ": Cannot allocate ";
	const char *p;

	memset(out, 0, sizeof(*out));
	if (bd_is_snapshot(d)) {
		out->kind = "live_snapshot";
		snprintf(out->text, sizeof(out->text),
			 "A live snapshot taken by beamdump capture (%s profile) while the node was "
			 "running: nothing crashed; the findings are what the node looked like then.",
			 d->info.snapshot.profile[0] ? d->info.snapshot.profile : "unknown");
		return;
	}
	out->kind = "halt";
	if (!s.len) {
		out->kind = "unknown";
		snprintf(out->text, sizeof(out->text), "The dump gives no reason (no slogan).");
		return;
	}
	p = bd_memmem(s.ptr, s.len, alloc_key, strlen(alloc_key));
	if (p && bd_memmem(s.ptr, s.len, "bytes of memory", 15)) {
		/* "eheap_alloc: Cannot allocate 128000048 bytes of memory (of type "heap_frag")." */
		struct bd_slice type = { "", 0 };
		const char *t = bd_memmem(s.ptr, s.len, "of type \"", 9);
		out->kind = "out_of_memory";
		out->bytes = strtoull(p + strlen(alloc_key), NULL, 10);
		snprintf(out->allocator, sizeof(out->allocator), "%.*s", (int)(p - s.ptr), s.ptr);
		if (t) {
			const char *q = memchr(t + 9, '"', (size_t)(s.ptr + s.len - t - 9));
			if (q)
				type = bd_slice_make(t + 9, (size_t)(q - t - 9));
		}
		snprintf(out->type, sizeof(out->type), "%.*s", (int)type.len, type.ptr);
		char size[32];
		bd_rm_format_bytes(size, sizeof(size), out->bytes);
		snprintf(out->text, sizeof(out->text),
			 "The node ran out of memory: %s could not allocate %s (%llu bytes)%s%.*s%s.",
			 out->allocator, size, (unsigned long long)out->bytes,
			 type.len ? " for a " : "", (int)type.len, type.ptr,
			 type.len ? " block" : "");
		return;
	}
	if (bd_slice_starts(s, "Received SIGUSR1")) {
		out->kind = "sigusr1";
		snprintf(out->text, sizeof(out->text),
			 "A dump was requested with SIGUSR1 (kill -USR1): the node was not crashing "
			 "by itself; it was stopped to be inspected.");
		return;
	}
	if (bd_slice_starts(s, "Crash dump requested by user")) {
		out->kind = "user_requested";
		snprintf(out->text, sizeof(out->text),
			 "A dump was requested from the break menu (Ctrl-C, then A): the node was "
			 "stopped to be inspected.");
		return;
	}
	if (bd_slice_starts(s, "no more index entries in atom_tab")) {
		struct bd_slice max = paren(s, 0);
		out->kind = "atom_table_full";
		snprintf(out->text, sizeof(out->text),
			 "The atom table is full (%.*s): atoms are never freed, and something kept "
			 "making new ones (list_to_atom/binary_to_atom on outside input?).",
			 (int)max.len, max.ptr);
		return;
	}
	if (bd_slice_starts(s, "Kernel pid terminated") ||
	    bd_slice_starts(s, "could not start kernel pid")) {
		struct bd_slice who = paren(s, 0);
		struct bd_slice why = paren(s, (size_t)(who.ptr + who.len - s.ptr) + 1);
		struct bd_slice app = failed_app(why);
		out->kind = "kernel_process_terminated";
		if (app.len)
			snprintf(out->text, sizeof(out->text),
				 "A kernel process (%.*s) terminated because application %.*s failed "
				 "to start; the node cannot run without it.",
				 (int)who.len, who.ptr, (int)app.len, app.ptr);
		else
			snprintf(out->text, sizeof(out->text),
				 "A kernel process (%.*s) terminated (%.*s); the node cannot run "
				 "without it.",
				 (int)who.len, who.ptr, (int)(why.len > 300 ? 300 : why.len), why.ptr);
		return;
	}
	if (bd_slice_starts(s, "init terminating in do_boot") ||
	    bd_slice_starts(s, "Runtime terminating during boot")) {
		char err[320];
		boot_error(paren(s, 0), err, sizeof(err));
		out->kind = "boot_failed";
		snprintf(out->text, sizeof(out->text),
			 "The node failed while booting (init could not run its start commands): %s.",
			 err);
		return;
	}
	snprintf(out->text, sizeof(out->text),
		 "The node was halted with this message (erlang:halt/1 or an emulator error): "
		 "\"%.*s\".",
		 (int)(s.len > 400 ? 400 : s.len), s.ptr);
}

/*
 * The process the scheduler that wrote the dump was running ("Calling
 * Thread: scheduler:N"), or an empty slice.
 */
struct bd_slice bd_dump_writer_process(const struct bd_dump *d)
{
	const char *t = d->info.calling_thread;
	struct bd_slice want;

	if (strncmp(t, "scheduler:", 10) != 0)
		return bd_slice_make("", 0);
	want = bd_slice_make(t + 10, strlen(t + 10));
	for (size_t i = bd_section_find(d, BD_SECT_SCHEDULER, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_SCHEDULER, i + 1)) {
		struct bd_section s;
		struct bd_scheduler sch;
		bd_section_get(d, i, &s);
		if (!bd_slice_eqs(s.id, want))
			continue;
		bd_parse_scheduler(&s, &sch);
		return sch.current_process;
	}
	return bd_slice_make("", 0);
}
