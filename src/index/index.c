/*
 * Section index and preamble (crash-dump-format.md sections 1.1-1.5).
 *
 * The scan looks for '=' right after a LF, which is cheaper than walking
 * lines: most of a dump is heap lines, and '=' only occurs inside them as
 * base64 padding. Candidate headers are re-validated (lower-case tag, then
 * ':' or end of line), and lines of a multi-line slogan are never headers.
 */
#include "bd.h"
#include "index/dump.h"
#include "index/index.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#define OFF_BITS BD_INDEX_OFF_BITS
#define OFF_MASK (((uint64_t)1 << OFF_BITS) - 1)
#define MAX_TAG_LEN 32

static const struct {
	const char *tag;
	size_t len;
	enum bd_sect kind;
} tags[] = {
#define TAG(t, kind) { t, sizeof(t) - 1, kind }
	/* most frequent first: the lookup is linear */
	TAG("proc_heap", BD_SECT_PROC_HEAP),
	TAG("proc_stack", BD_SECT_PROC_STACK),
	TAG("proc", BD_SECT_PROC),
	TAG("proc_messages", BD_SECT_PROC_MESSAGES),
	TAG("proc_dictionary", BD_SECT_PROC_DICTIONARY),
	TAG("binary", BD_SECT_BINARY),
	TAG("fun", BD_SECT_FUN),
	TAG("mod", BD_SECT_MOD),
	TAG("ets", BD_SECT_ETS),
	TAG("port", BD_SECT_PORT),
	TAG("timer", BD_SECT_TIMER),
	TAG("allocator", BD_SECT_ALLOCATOR),
	TAG("erl_crash_dump", BD_SECT_ERL_CRASH_DUMP),
	TAG("scheduler", BD_SECT_SCHEDULER),
	TAG("dirty_cpu_scheduler", BD_SECT_DIRTY_CPU_SCHEDULER),
	TAG("dirty_io_scheduler", BD_SECT_DIRTY_IO_SCHEDULER),
	TAG("dirty_cpu_run_queue", BD_SECT_DIRTY_CPU_RUN_QUEUE),
	TAG("dirty_io_run_queue", BD_SECT_DIRTY_IO_RUN_QUEUE),
	TAG("memory", BD_SECT_MEMORY),
	TAG("hash_table", BD_SECT_HASH_TABLE),
	TAG("index_table", BD_SECT_INDEX_TABLE),
	TAG("allocated_areas", BD_SECT_ALLOCATED_AREAS),
	TAG("node", BD_SECT_NODE),
	TAG("no_distribution", BD_SECT_NO_DISTRIBUTION),
	TAG("visible_node", BD_SECT_VISIBLE_NODE),
	TAG("hidden_node", BD_SECT_HIDDEN_NODE),
	TAG("not_connected", BD_SECT_NOT_CONNECTED),
	TAG("loaded_modules", BD_SECT_LOADED_MODULES),
	TAG("persistent_terms", BD_SECT_PERSISTENT_TERMS),
	TAG("literals", BD_SECT_LITERALS),
	TAG("atoms", BD_SECT_ATOMS),
	TAG("end", BD_SECT_END),
	TAG("abort", BD_SECT_ABORT),
	TAG("internal_ets", BD_SECT_INTERNAL_ETS),
	TAG("instr_data", BD_SECT_INSTR_DATA),
	TAG("old_instr_data", BD_SECT_OLD_INSTR_DATA),
	TAG("memory_map", BD_SECT_MEMORY_MAP),
	TAG("memory_status", BD_SECT_MEMORY_STATUS),
	TAG("snapshot", BD_SECT_SNAPSHOT),
#undef TAG
};

const char *bd_sect_tag(enum bd_sect kind)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(tags); i++)
		if (tags[i].kind == kind)
			return tags[i].tag;
	return "unknown";
}

static enum bd_sect tag_kind(const char *p, size_t len)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(tags); i++)
		if (tags[i].len == len && memcmp(tags[i].tag, p, len) == 0)
			return tags[i].kind;
	return BD_SECT_UNKNOWN;
}

/* Length of the tag at p ("=" already skipped), or 0 if this is not a header. */
static size_t header_tag_len(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && n <= MAX_TAG_LEN) {
		char c = p[n];
		if (c == ':' || c == '\n' || c == '\r')
			return n;
		if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9')))
			return 0;
		n++;
	}
	return p + n == end ? n : 0;
}

void bd_diag(struct bd_dump *d, uint64_t off, struct bd_slice section, const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	struct bd_diagnostic *dg;

	if (d->n_diags >= BD_MAX_DIAGNOSTICS ||
	    !bd_grow((void **)&d->diags, &d->cap_diags, d->n_diags + 1, sizeof(*d->diags))) {
		d->n_diags_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dg = &d->diags[d->n_diags];
	dg->offset = off;
	dg->section = bd_arena_strndup(&d->arena, section.ptr, section.len > 200 ? 200 : section.len);
	dg->message = bd_arena_strndup(&d->arena, msg, strlen(msg));
	if (!dg->section || !dg->message) {
		d->n_diags_dropped++;
		return;
	}
	d->n_diags++;
}

static bool index_add(struct bd_dump *d, enum bd_sect kind, uint64_t off)
{
	struct bd_index *ix = &d->index;

	if (!bd_grow((void **)&ix->entries, &ix->cap, ix->n + 1, sizeof(*ix->entries)))
		return false;
	ix->entries[ix->n++] = ((uint64_t)kind << OFF_BITS) | off;
	ix->count[kind]++;
	return true;
}

static struct bd_slice line_at(const struct bd_dump *d, uint64_t off)
{
	const char *p = d->in.data + off;
	size_t rest = d->in.size - (size_t)off;
	const char *nl = memchr(p, '\n', rest);
	size_t len = nl ? (size_t)(nl - p) : rest;

	if (len && p[len - 1] == '\r')
		len--;
	return bd_slice_make(p, len);
}

void bd_section_get(const struct bd_dump *d, size_t i, struct bd_section *out)
{
	uint64_t e = d->index.entries[i];
	uint64_t off = e & OFF_MASK;
	uint64_t next = i + 1 < d->index.n ? d->index.entries[i + 1] & OFF_MASK : d->in.size;
	struct bd_slice h = line_at(d, off);
	const char *colon = memchr(h.ptr, ':', h.len);
	size_t body_start = (size_t)off + h.len;

	out->kind = (enum bd_sect)(e >> OFF_BITS);
	out->off = off;
	out->header = h;
	out->id = colon ? bd_slice_make(colon + 1, h.len - (size_t)(colon + 1 - h.ptr))
			: bd_slice_make(h.ptr + h.len, 0);
	/* skip the line end of the header ("\r\n" or "\n") */
	while (body_start < next && (d->in.data[body_start] == '\r' || d->in.data[body_start] == '\n')) {
		body_start++;
		if (d->in.data[body_start - 1] == '\n')
			break;
	}
	out->body = bd_slice_make(d->in.data + body_start, (size_t)next - body_start);
	out->last = d->info.truncated && (i + 1 == d->index.n ||
					   (i + 2 == d->index.n && (d->index.entries[i + 1] >> OFF_BITS) == BD_SECT_ABORT));
}

struct bd_slice bd_section_id(const struct bd_dump *d, size_t i)
{
	struct bd_section s;

	bd_section_get(d, i, &s);
	return s.id;
}

size_t bd_section_find(const struct bd_dump *d, enum bd_sect kind, size_t start)
{
	for (size_t i = start; i < d->index.n; i++)
		if ((enum bd_sect)(d->index.entries[i] >> OFF_BITS) == kind)
			return i;
	return d->index.n;
}

bool bd_section_body(const struct bd_dump *d, enum bd_sect kind, struct bd_slice *body)
{
	size_t i = bd_section_find(d, kind, 0);
	struct bd_section s;

	if (i == d->index.n)
		return false;
	bd_section_get(d, i, &s);
	*body = s.body;
	return true;
}

static char *dup_slice(struct bd_dump *d, struct bd_slice s)
{
	return bd_arena_strndup(&d->arena, s.ptr, s.len);
}

/* ------------------------------------------------------------ preamble */

/* "13.1.5" out of "... [erts-13.1.5] ...", "(erts-5.9.1)" or "emulator version 5.5.5". */
static struct bd_slice find_erts_version(struct bd_slice sv)
{
	const char *keys[] = { "erts-", "emulator version " };

	for (size_t k = 0; k < BD_ARRAY_SIZE(keys); k++) {
		const char *p = bd_memmem(sv.ptr, sv.len, keys[k], strlen(keys[k]));
		if (!p)
			continue;
		p += strlen(keys[k]);
		size_t n = 0;
		while (p + n < sv.ptr + sv.len && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
			n++;
		if (n)
			return bd_slice_make(p, n);
	}
	return bd_slice_make(sv.ptr, 0);
}

/* The OTP release an erts version belongs to (format reference section 11). */
static const char *release_of_erts(struct bd_dump *d, unsigned major, unsigned minor)
{
	static const char *const r5[] = { "R9B", "R9B", "R10B", "R10B", "R10B", "R11B",
					  "R12B", "R13B", "R14B", "R15B", "R16B" };

	if (major == 5 && minor < BD_ARRAY_SIZE(r5))
		return r5[minor];
	if (major >= 6 && major <= 9)
		return bd_arena_printf(&d->arena, "%u", major + 11);
	if (major == 10)
		return minor <= 3 ? "21" : "22";
	if (major >= 11)
		return bd_arena_printf(&d->arena, "%u", major + 12);
	return "";
}

static void parse_release(struct bd_dump *d, struct bd_slice sv)
{
	struct bd_slice erts = find_erts_version(sv);
	const char *otp = bd_memmem(sv.ptr, sv.len, "Erlang/OTP ", 11);
	const char *old = bd_memmem(sv.ptr, sv.len, "Erlang R", 8);
	unsigned major = 0;
	unsigned minor = 0;
	size_t i = 0;

	d->info.erts_version = dup_slice(d, erts);
	while (i < erts.len && erts.ptr[i] != '.')
		major = major * 10 + (unsigned)(erts.ptr[i++] - '0');
	if (i < erts.len)
		i++;
	while (i < erts.len && erts.ptr[i] != '.')
		minor = minor * 10 + (unsigned)(erts.ptr[i++] - '0');
	if (major > 0 && major < 11)
		d->old_stack_layout = true;

	if (otp || old) {
		const char *p = otp ? otp + 11 : old + 7;
		size_t n = 0;
		while (p + n < sv.ptr + sv.len && p[n] != ' ')
			n++;
		d->info.otp_release = dup_slice(d, bd_slice_make(p, n));
	} else if (major) {
		d->info.otp_release = release_of_erts(d, major, minor);
	}
	d->info.word_size = bd_memmem(sv.ptr, sv.len, "[64-bit]", 8) ? 8 : 4;
}

static void parse_preamble(struct bd_dump *d, const struct bd_section *s)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;
	const char *sv_key = "System version: ";
	const char *slogan_key = "Slogan: ";

	d->info.dump_version = dup_slice(d, s->id);
	{
		uint64_t maj = 0;
		uint64_t min = 0;
		const char *dot = memchr(s->id.ptr, '.', s->id.len);
		if (dot && bd_parse_u64(bd_slice_make(s->id.ptr, (size_t)(dot - s->id.ptr)), &maj) &&
		    bd_parse_u64(bd_slice_make(dot + 1, s->id.len - (size_t)(dot + 1 - s->id.ptr)), &min) &&
		    maj < 1000 && min < 1000) {
			d->info.version_major = (unsigned)maj;
			d->info.version_minor = (unsigned)min;
		} else {
			bd_diag(d, s->off, s->header, "cannot read the dump version '%.*s'",
				(int)(s->id.len > 40 ? 40 : s->id.len), s->id.ptr);
		}
		if (maj > 0 || min > 5)
			bd_diag(d, s->off, s->header,
				"dump version %.*s is newer than 0.5: read with the 0.5 rules",
				(int)(s->id.len > 40 ? 40 : s->id.len), s->id.ptr);
	}

	if (bd_slice_next_line(&rest, &line) && !bd_slice_starts(line, slogan_key))
		d->info.time = dup_slice(d, line);
	else
		rest = s->body;

	/* The slogan runs to "System version: ", which may even share its line. */
	const char *sl = bd_memmem(rest.ptr, rest.len, slogan_key, strlen(slogan_key));
	if (sl && (sl == rest.ptr || sl[-1] == '\n')) {
		const char *start = sl + strlen(slogan_key);
		size_t avail = rest.len - (size_t)(start - rest.ptr);
		const char *sv = bd_memmem(start, avail, sv_key, strlen(sv_key));
		const char *stop = sv ? sv : start + avail;
		const char *slogan_end = stop;
		if (slogan_end > start && slogan_end[-1] == '\n')
			slogan_end--;
		if (slogan_end > start && slogan_end[-1] == '\r')
			slogan_end--;
		d->info.slogan = dup_slice(d, bd_slice_make(start, (size_t)(slogan_end - start)));
		rest = bd_slice_make(stop, rest.len - (size_t)(stop - rest.ptr));
	}

	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice key;
		struct bd_slice val;
		if (!bd_slice_split_kv(line, &key, &val))
			continue;
		if (bd_slice_eq(key, "System version")) {
			d->info.system_version = dup_slice(d, bd_slice_trim(val));
			parse_release(d, val);
		} else if (bd_slice_eq(key, "Taints")) {
			d->info.taints = dup_slice(d, bd_slice_trim(val));
		} else if (bd_slice_eq(key, "Atoms")) {
			bd_parse_u64(bd_slice_trim(val), &d->info.atoms);
		} else if (bd_slice_eq(key, "Calling Thread")) {
			d->info.calling_thread = dup_slice(d, bd_slice_trim(val));
		}
	}
	if (!*d->info.system_version)
		bd_diag(d, s->off, s->header, "no 'System version:' line: word size assumed 8");
}

static void read_tables(struct bd_dump *d)
{
	for (size_t i = 0; i < d->index.n; i++) {
		struct bd_section s;
		uint64_t kind = d->index.entries[i] >> OFF_BITS;
		if (kind != BD_SECT_INDEX_TABLE && kind != BD_SECT_NODE)
			continue;
		bd_section_get(d, i, &s);
		if (s.kind == BD_SECT_NODE) {
			if (!*d->info.node)
				d->info.node = dup_slice(d, s.id);
			continue;
		}
		/* the export table was renamed in OTP 28 (format doc 6.3) */
		bool atoms = bd_slice_eq(s.id, "atom_tab");
		bool exports = bd_slice_eq(s.id, "export_list") ||
			       bd_slice_eq(s.id, "export_staged_index");
		if (!atoms && !exports)
			continue;
		struct bd_slice rest = s.body;
		struct bd_slice line;
		while (bd_slice_next_line(&rest, &line)) {
			struct bd_slice key;
			struct bd_slice val;
			if (!bd_slice_split_kv(line, &key, &val))
				continue;
			if (atoms && bd_slice_eq(key, "limit"))
				bd_parse_u64(bd_slice_trim(val), &d->atom_limit);
			else if (bd_slice_eq(key, "entries"))
				bd_parse_u64(bd_slice_trim(val), atoms ? &d->atom_entries : &d->export_entries);
		}
	}
}

/* ---------------------------------------------------------- truncation */

static void detect_truncation(struct bd_dump *d)
{
	struct bd_index *ix = &d->index;
	struct bd_section last;
	struct bd_section before;
	const char *why;

	bd_section_get(d, ix->n - 1, &last);
	if (last.kind == BD_SECT_END && !d->in.cut)
		return;
	d->info.truncated = true;
	if (last.kind == BD_SECT_ABORT && ix->n >= 2) {
		bd_section_get(d, ix->n - 2, &before);
		d->info.truncation_reason = dup_slice(d, bd_slice_trim(last.id));
		d->info.truncated_in = dup_slice(d, before.header);
		d->info.truncated_at = last.off;
	} else {
		if (d->in.cut)
			why = d->in.cut;
		else if (last.kind == BD_SECT_END)
			why = "";
		else if (d->in.size && d->in.data[d->in.size - 1] != '\n')
			why = "the file ends in the middle of a line (no =end)";
		else if (d->in.size % 65536 == 0)
			why = "the file stops at a 64 KiB boundary (no =end): the writer was killed, e.g. by ERL_CRASH_DUMP_SECONDS";
		else
			why = "the file ends without =end";
		d->info.truncation_reason = why;
		d->info.truncated_in = dup_slice(d, last.header);
		d->info.truncated_at = d->in.size;
	}
	bd_diag(d, d->info.truncated_at, bd_slice_make(d->info.truncated_in, strlen(d->info.truncated_in)),
		"dump is truncated: %s; sections after this point are missing",
		d->info.truncation_reason);
}

/* ------------------------------------------------------------ the scan */

static enum bd_status check_magic(struct bd_dump *d, struct bd_error *err)
{
	return bd_input_check_head(d->in.data, d->in.size, d->info.file, err);
}

/*
 * The scan for headers. Every '=' is tested on its own, so the dump can be
 * cut anywhere into parts scanned by threads; their entries, concatenated
 * in order, are those of one pass. The first part, on the calling thread,
 * appends to the index and alone reports progress; the others fill arrays
 * of their own, appended after the join. Unknown tags are reported after
 * the scan, in the order of the dump.
 */
#define SCAN_MAX_PARTS 8
/* Smaller dumps are scanned by the calling thread alone. */
#ifndef SCAN_PARALLEL_MIN
#define SCAN_PARALLEL_MIN ((size_t)16 << 20)
#endif

struct scan_part {
	const struct bd_dump *d;
	const char *from;          /* headers whose '=' is in [from, to) */
	const char *to;
	struct bd_index ix;        /* entries and counts of this part */
	size_t n_parts;
	struct bd_dump *report;    /* part 0: the dump whose progress to report */
	bool oom;
};

/*
 * The headers whose '=' is at w[lo .. hi): w holds the dump's bytes from
 * offset w_off, w_len of them, starting at least one byte before lo and
 * running MAX_TAG_LEN + 2 bytes past hi unless the dump ends sooner.
 * report: the dump whose progress callback to call, or NULL (off the
 * calling thread).
 */
static bool scan_window(struct scan_part *sp, const char *w, size_t w_off, size_t w_len,
			size_t lo, size_t hi, struct bd_dump *report)
{
	const char *p = w + lo;
	const char *to = w + hi;
	const char *end = w + w_len;
	struct bd_index *ix = &sp->ix;

	while (p < to) {
		const char *q = memchr(p, '=', (size_t)(to - p));
		if (!q)
			break;
		p = q + 1;
		if (q[-1] != '\n')
			continue;
		size_t tlen = header_tag_len(p, end);
		if (!tlen)
			continue;
		enum bd_sect kind = tag_kind(p, tlen);
		if (!bd_grow((void **)&ix->entries, &ix->cap, ix->n + 1, sizeof(*ix->entries)))
			return false;
		uint64_t off = w_off + (uint64_t)(q - w);
		ix->entries[ix->n++] = ((uint64_t)kind << OFF_BITS) | off;
		ix->count[kind]++;
		if (report && ix->n % 65536 == 0 && report->info.bytes && report->progress) {
			/* the other parts move at about the same pace */
			uint64_t from = (uint64_t)(sp->from - sp->d->in.data);
			uint64_t done = from + (off - from) * sp->n_parts;
			report->progress(report->progress_ctx, "indexing",
					 done < report->in.size ? done : report->in.size, report->in.size);
		}
	}
	return true;
}

/*
 * A mapped dump is read through its file in blocks: the pass touches every
 * byte once, and on some virtual machines the first touch of each mapped
 * page costs more than copying it (measured: a 458 MiB dump scanned in
 * 0.07 s read, 0.25-0.30 s mapped). Later stages map only the sections
 * they read.
 */
#define SCAN_BLOCK ((size_t)256 << 10)
#define SCAN_TAIL (MAX_TAG_LEN + 2)

/*
 * Entries reserved for a part, one per this many bytes: more than real
 * dumps have (one per 200-300 bytes where binaries or small processes
 * abound), so the list seldom moves as it grows. Pages of it never
 * written are never touched, so what is not used costs no memory.
 */
#define BYTES_PER_ENTRY 64

static void scan_part(struct scan_part *sp, struct bd_dump *report)
{
	const struct bd_input *in = &sp->d->in;
	size_t from = (size_t)(sp->from - in->data);
	size_t to = (size_t)(sp->to - in->data);
	char *buf = in->map ? bd_malloc(1 + SCAN_BLOCK + SCAN_TAIL) : NULL;

	/* if it cannot be had, the list grows as it goes */
	bool reserved = bd_grow((void **)&sp->ix.entries, &sp->ix.cap,
				(to - from) / BYTES_PER_ENTRY + 16, sizeof(*sp->ix.entries));
	(void)reserved;

	if (!buf) {
		sp->oom = !scan_window(sp, in->data, 0, in->size, from, to, report);
		return;
	}
	for (size_t at = from; at < to && !sp->oom;) {
		size_t n = to - at < SCAN_BLOCK ? to - at : SCAN_BLOCK;
		size_t stop = at + n + SCAN_TAIL < in->size ? at + n + SCAN_TAIL : in->size;
		size_t got = 0;
		/* from one byte back: a header needs the newline before it */
		while (got < stop - (at - 1)) {
			ssize_t r = pread(in->fd, buf + got, stop - (at - 1) - got,
					  (off_t)(at - 1 + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got < stop - (at - 1)) {
			/* the file changed under the map: scan what is mapped */
			sp->oom = !scan_window(sp, in->data, 0, in->size, at, to, report);
			break;
		}
		sp->oom = !scan_window(sp, buf, at - 1, got, 1, 1 + n, report);
		at += n;
	}
	bd_free(buf);
}

/* Part 0 reports progress: it runs on the calling thread. */
static void scan_one(void *ctx, size_t i)
{
	struct scan_part *parts = ctx;

	scan_part(&parts[i], parts[i].report);
}

static size_t scan_parts_for(const struct bd_dump *d, size_t bytes)
{
	if (bytes < SCAN_PARALLEL_MIN)
		return 1;
	return d->threads > SCAN_MAX_PARTS ? SCAN_MAX_PARTS : d->threads;
}

/* Scan [p, end) and append the headers found to d->index. */
static bool scan_headers(struct bd_dump *d, const char *p)
{
	const char *base = d->in.data;
	const char *end = base + d->in.size;
	size_t n = scan_parts_for(d, (size_t)(end - p));
	struct scan_part parts[SCAN_MAX_PARTS];
	struct bd_index *ix = &d->index;
	bool ok = true;

	memset(parts, 0, sizeof(parts));
	for (size_t i = 0; i < n; i++) {
		parts[i].d = d;
		parts[i].from = p + bd_part_start((size_t)(end - p), i, n);
		parts[i].to = i + 1 < n ? p + bd_part_start((size_t)(end - p), i + 1, n) : end;
		parts[i].n_parts = n;
	}
	/* the first part appends to the index itself */
	parts[0].ix = *ix;
	parts[0].report = d;
	bd_parallel(n, d->threads, scan_one, parts);
	*ix = parts[0].ix;
	ok = !parts[0].oom;
	for (size_t i = 1; i < n; i++) {
		struct bd_index *pi = &parts[i].ix;
		if (ok && !parts[i].oom && pi->n &&
		    bd_grow((void **)&ix->entries, &ix->cap, ix->n + pi->n, sizeof(*ix->entries))) {
			memcpy(ix->entries + ix->n, pi->entries, pi->n * sizeof(*pi->entries));
			ix->n += pi->n;
			for (size_t k = 0; k < BD_SECT__COUNT; k++)
				ix->count[k] += pi->count[k];
		} else if (parts[i].oom || pi->n) {
			ok = false;
		}
		bd_free(pi->entries);
	}
	return ok;
}

static void diag_unknown_tags(struct bd_dump *d)
{
	if (!d->index.count[BD_SECT_UNKNOWN])
		return;
	for (size_t i = 0; i < d->index.n; i++) {
		if ((enum bd_sect)(d->index.entries[i] >> OFF_BITS) != BD_SECT_UNKNOWN)
			continue;
		uint64_t off = d->index.entries[i] & OFF_MASK;
		const char *p = d->in.data + off + 1;
		struct bd_slice h = line_at(d, off);
		bd_diag(d, off, h, "unknown section tag '=%.*s': skipped",
			(int)header_tag_len(p, d->in.data + d->in.size), p);
	}
}

/* The =snapshot section of a live snapshot's text: what its capture saw. */
static void read_snapshot(struct bd_dump *d)
{
	struct bd_snapshot_info *sn = &d->info.snapshot;
	struct bd_section s;
	struct bd_slice rest, line;
	size_t i = bd_section_find(d, BD_SECT_SNAPSHOT, 0);
	static const struct {
		const char *key;
		size_t field;
	} nums[] = {
		{ "Processes read: ", offsetof(struct bd_snapshot_info, processes_read) },
		{ "Processes detailed: ", offsetof(struct bd_snapshot_info, processes_detailed) },
		{ "Processes vanished: ", offsetof(struct bd_snapshot_info, processes_vanished) },
		{ "Memory estimated: ", offsetof(struct bd_snapshot_info, memory_estimated) },
		{ "Process overhead: ", offsetof(struct bd_snapshot_info, overhead_bytes) },
		{ "Duration us: ", offsetof(struct bd_snapshot_info, duration_us) },
		{ "Window: ", offsetof(struct bd_snapshot_info, window_s) },
		{ "Timeouts: ", offsetof(struct bd_snapshot_info, timeouts) },
		{ "Node creation: ", offsetof(struct bd_snapshot_info, creation) },
		{ "States asked: ", offsetof(struct bd_snapshot_info, states_asked) },
		{ "States read: ", offsetof(struct bd_snapshot_info, states_read) },
		{ "States unanswered: ", offsetof(struct bd_snapshot_info, states_unanswered) },
		{ "Atoms window us: ", offsetof(struct bd_snapshot_info, atoms_window_us) },
		{ "Atoms before window: ", offsetof(struct bd_snapshot_info, atoms_before_window) },
		{ "Atoms after window: ", offsetof(struct bd_snapshot_info, atoms_after_window) },
	};

	d->info.source = d->in.snapshot ? "snapshot" : "dump";
	sn->profile = "";
	sn->aborted = "";
	sn->states_not_read = "";
	if (!d->in.snapshot || i >= d->index.n)
		return;
	bd_section_get(d, i, &s);
	rest = s.body;
	while (bd_slice_next_line(&rest, &line)) {
		for (size_t k = 0; k < BD_ARRAY_SIZE(nums); k++)
			if (bd_slice_starts(line, nums[k].key))
				*(uint64_t *)((char *)sn + nums[k].field) = bd_parse_u64_prefix(
					bd_slice_skip(line, strlen(nums[k].key)));
		if (bd_slice_starts(line, "Profile: "))
			sn->profile = dup_slice(d, bd_slice_skip(line, 9));
		else if (bd_slice_eq(line, "Word size: 4") || bd_slice_eq(line, "Word size: 8"))
			d->info.word_size = (unsigned)(line.ptr[line.len - 1] - '0');
		else if (bd_slice_starts(line, "Aborted: "))
			sn->aborted = dup_slice(d, bd_slice_skip(line, 9));
		else if (bd_slice_eq(line, "States: read"))
			sn->state = true;
		else if (bd_slice_starts(line, "States not read: "))
			sn->states_not_read = dup_slice(d, bd_slice_skip(line, 17));
	}
}

enum bd_status bd_index_build(struct bd_dump *d, struct bd_error *err)
{
	const char *base = d->in.data;
	const char *p;
	const char *sv;
	enum bd_status rc;
	struct bd_section s;

	rc = check_magic(d, err);
	if (rc)
		return rc;
	if (d->in.size > OFF_MASK)
		return bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL, "'%s' is too large", d->info.file);
	if (!index_add(d, BD_SECT_ERL_CRASH_DUMP, 0))
		goto oom;

	/* Lines of a multi-line slogan are text, whatever they start with. */
	sv = bd_memmem(base, d->in.size, "System version: ", 16);
	p = sv ? sv : base + 1;

	if (!scan_headers(d, p))
		goto oom;
	/* the index lives as long as the dump: give back what doubling left unused */
	if (d->index.n && d->index.n < d->index.cap) {
		uint64_t *fit = bd_realloc_array(d->index.entries, d->index.n, sizeof(*fit));
		if (fit) {
			d->index.entries = fit;
			d->index.cap = d->index.n;
		}
	}
	diag_unknown_tags(d);

	bd_section_get(d, 0, &s);
	parse_preamble(d, &s);
	if (!d->info.word_size)
		d->info.word_size = 8;
	detect_truncation(d);
	read_tables(d);
	read_snapshot(d);
	d->info.n_sections = d->index.n;
	return BD_OK;
oom:
	return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot grow the section index");
}
