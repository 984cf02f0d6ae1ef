/*
 * Live snapshots (src/input/snapshot.c) read through the same reports as
 * dumps: fixtures/snapshot_small.bdsnap was captured by beamdump capture
 * from a real node with a 2-cycle deadlock, a 5000-message queue and a
 * process holding slices of 20 large binaries; snapshot_small.live holds
 * what the node recorded just before. Cut and damaged copies must read as
 * far as they are sound, flagged, and never crash.
 */
#include "bd_test.h"
#include "input/snapshot.h"

#include <zlib.h>

#define FIXTURE "snapshot_small"

static unsigned char *read_fixture(size_t *len)
{
	char path[1024];
	FILE *f;
	unsigned char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s.bdsnap", BD_FIXTURES, FIXTURE);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The pid string of a finding of kind, NULL if there is none. */
static const struct rm_node *finding(const struct bd_report *r, const char *kind, size_t nth)
{
	const struct rm_node *fs = bd_test_field(r->root, "findings");

	for (const struct rm_node *f = fs ? fs->first : NULL; f; f = f->next) {
		const char *k = bd_test_str(f, "kind");
		if (k && strcmp(k, kind) == 0 && nth-- == 0)
			return f;
	}
	return NULL;
}

static bool finding_names_pid(const struct rm_node *f, const char *pid)
{
	const struct rm_node *pids = bd_test_field(f, "pids");

	for (const struct rm_node *p = pids ? pids->first : NULL; p; p = p->next)
		if (p->kind == RM_STR && p->v.s.len == strlen(pid) && memcmp(p->v.s.ptr, pid, p->v.s.len) == 0)
			return true;
	return false;
}

static void reads_as_a_complete_snapshot_of_the_node(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".bdsnap");
	const struct bd_dump_info *i = bd_dump_info(d);
	char node[256];
	uint64_t live_procs = bd_test_live_u64(FIXTURE, "processes");

	(void)state;
	assert_string_equal(i->source, "snapshot");
	assert_string_equal(i->snapshot.profile, "gentle");
	assert_false(i->truncated);
	assert_string_equal(i->snapshot.aborted, "");
	assert_string_equal(i->otp_release, bd_test_live_into(FIXTURE, "otp_release", node, sizeof(node)));
	assert_int_equal(i->word_size, bd_test_live_u64(FIXTURE, "wordsize"));
	/* the capture itself adds a few processes on the node */
	assert_in_range(i->snapshot.processes_read, live_procs, live_procs + live_procs / 50);
	assert_true(i->snapshot.processes_detailed > 0);
	assert_true(i->snapshot.processes_detailed < i->snapshot.processes_read);
	assert_int_equal(i->snapshot.memory_estimated,
			 i->snapshot.processes_read - i->snapshot.processes_detailed);
	assert_true(i->snapshot.overhead_bytes > 0);
	bd_dump_free(d);
}

static void analyze_finds_every_planted_problem(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".bdsnap");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	const struct rm_node *f;
	char a[64], b[64], holder[64], hog[64];
	char expect[128];

	(void)state;
	bd_test_live_into(FIXTURE, "pid dl_a", a, sizeof(a));
	bd_test_live_into(FIXTURE, "pid dl_b", b, sizeof(b));
	bd_test_live_into(FIXTURE, "pid slice_srv", holder, sizeof(holder));
	bd_test_live_into(FIXTURE, "pid mq_srv", hog, sizeof(hog));
	assert_int_equal(bd_report_analyze(d, NULL, &r, &err), BD_OK);

	f = finding(r, "deadlock", 0);
	assert_non_null(f);
	assert_string_equal(bd_test_str(f, "severity"), "critical");
	assert_true(finding_names_pid(f, a) && finding_names_pid(f, b));

	/* the holder's binaries, with the size the node gave */
	f = finding(r, "binary_held", 0);
	assert_non_null(f);
	assert_true(finding_names_pid(f, holder));
	snprintf(expect, sizeof(expect), "%.1f MiB",
		 (double)bd_test_live_u64(FIXTURE, "binary_bytes slice_srv") / (1 << 20));
	assert_non_null(strstr(bd_test_str(f, "title"), expect));

	f = finding(r, "mailbox", 0);
	assert_non_null(f);
	assert_true(finding_names_pid(f, hog));
	snprintf(expect, sizeof(expect), "has %llu queued",
		 (unsigned long long)bd_test_live_u64(FIXTURE, "mq_srv_queue"));
	assert_non_null(strstr(bd_test_str(f, "title"), expect));
	assert_non_null(strstr(bd_test_str(f, "evidence"), "no message contents"));

	/* what happened says a snapshot, not a crash */
	f = bd_test_field(r->root, "what_happened");
	assert_string_equal(bd_test_str(f, "kind"), "live_snapshot");
	bd_report_free(r);
	bd_dump_free(d);
}

static void every_report_reads_it_and_names_its_source(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".bdsnap");
	struct bd_report *r[10] = { 0 };
	struct bd_error err = { 0 };
	struct bd_procs_opts po = { 0 };
	char a[64];

	(void)state;
	assert_int_equal(bd_report_summary(d, &r[0], &err), BD_OK);
	assert_int_equal(bd_report_procs(d, &po, &r[1], &err), BD_OK);
	assert_int_equal(bd_report_proc(d, bd_test_live_into(FIXTURE, "pid dl_a", a, sizeof(a)), NULL,
					&r[2], &err), BD_OK);
	assert_int_equal(bd_report_leaks(d, NULL, &r[3], &err), BD_OK);
	assert_int_equal(bd_report_deadlocks(d, NULL, &r[4], &err), BD_OK);
	assert_int_equal(bd_report_states(d, NULL, &r[5], &err), BD_OK);
	assert_int_equal(bd_report_ets(d, 0, &r[6], &err), BD_OK);
	assert_int_equal(bd_report_alloc(d, &r[7], &err), BD_OK);
	assert_int_equal(bd_report_memory(d, NULL, &r[8], &err), BD_OK);
	assert_int_equal(bd_report_analyze(d, NULL, &r[9], &err), BD_OK);
	for (size_t k = 0; k < BD_ARRAY_SIZE(r); k++) {
		const struct rm_node *src = bd_test_field(r[k]->root, "source");
		assert_non_null(src);
		assert_string_equal(bd_test_str(src, "kind"), "snapshot");
		for (int fmt = BD_FORMAT_TEXT; fmt <= BD_FORMAT_MARKDOWN; fmt++)
			free(bd_test_render(r[k], (enum bd_format)fmt));
		bd_report_free(r[k]);
	}
	bd_dump_free(d);
}

/* ETS tables and =memory as the node listed them. */
static void ets_and_memory_match_the_node(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".bdsnap");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	const struct rm_node *tabs;
	size_t n = 0;
	bool ac_tab = false;

	(void)state;
	assert_int_equal(bd_report_ets(d, 0, &r, &err), BD_OK);
	tabs = bd_test_field(r->root, "ets");
	for (const struct rm_node *t = tabs ? tabs->first : NULL; t; t = t->next, n++)
		if (strcmp(bd_test_str(t, "name"), "ac_tab") == 0) {
			/* "ets ac_tab name ac_tab owner <0.44.0> type set ... size 11 words 1048" */
			char owner[64], live[2048];
			unsigned long long size = 0, words = 0;
			const struct rm_node *objects = bd_test_field(t, "objects");
			const struct rm_node *bytes = bd_test_field(t, "bytes");
			const char *rest = strstr(bd_test_live_into(FIXTURE, "ets ac_tab", live, sizeof(live)),
						  " size ");
			ac_tab = true;
			assert_non_null(objects);
			assert_non_null(bytes);
			assert_non_null(rest);
			assert_int_equal(sscanf(rest, " size %llu words %llu", &size, &words), 2);
			assert_int_equal(sscanf(strstr(live, "owner "), "owner %63s", owner), 1);
			assert_int_equal(objects->v.u, size);
			assert_int_equal(bytes->v.u, words * 8);
			assert_string_equal(bd_test_str(t, "owner"), owner);
		}
	assert_true(ac_tab);
	assert_int_equal(n, bd_test_live_u64(FIXTURE, "ets_tables"));
	bd_report_free(r);
	bd_dump_free(d);
}

/* Every process of kernel is placed in it, from its group leader. */
static void applications_come_from_group_leaders(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".bdsnap");
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	const struct rm_node *where, *kernel = NULL;
	uint64_t live = bd_test_live_u64(FIXTURE, "app_processes kernel");

	(void)state;
	assert_int_equal(bd_report_memory(d, NULL, &r, &err), BD_OK);
	where = bd_test_field(r->root, "where");
	for (const struct rm_node *w = where ? where->first : NULL; w; w = w->next)
		if (strcmp(bd_test_str(w, "what"), "kernel") == 0)
			kernel = bd_test_field(w, "processes");
	/* the capture's own connection adds a process or two to kernel */
	if (!kernel || kernel->v.u < live || kernel->v.u > live + 2)
		fail_msg("kernel: %llu processes placed, %llu recorded",
			 kernel ? (unsigned long long)kernel->v.u : 0ULL, (unsigned long long)live);
	bd_report_free(r);
	bd_dump_free(d);
}

static struct bd_dump *open_bytes(const unsigned char *p, size_t n, enum bd_status *rc)
{
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	*rc = bd_dump_open_mem(&d, p, n, "cut", &err);
	return d;
}

/* Every report on a reader's result, in JSON; only that it finishes. */
static void run_reports(struct bd_dump *d)
{
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };

	if (bd_report_analyze(d, NULL, &r, &err) == BD_OK)
		free(bd_test_render(r, BD_FORMAT_JSON));
	bd_report_free(r);
}

/* The frames' offsets, read from the length prefixes. */
static size_t frame_starts(const unsigned char *p, size_t len, size_t *out, size_t cap)
{
	size_t pos = BD_SNAPSHOT_MAGIC_LEN + 4, n = 0;

	while (pos + 4 <= len && n < cap) {
		uint32_t flen = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
				(uint32_t)p[pos + 2] << 8 | p[pos + 3];
		out[n++] = pos;
		pos += 8 + (size_t)flen;
	}
	return n;
}

static void a_cut_copy_reads_up_to_the_cut(void **state)
{
	size_t len, starts[64], n;
	unsigned char *p = read_fixture(&len);

	(void)state;
	n = frame_starts(p, len, starts, 64);
	assert_true(n >= 4);
	/* every 1 %, and one byte on either side of every frame boundary */
	for (size_t k = 0; k < 100 + 2 * n; k++) {
		size_t at = k < 100 ? len * k / 100 : starts[(k - 100) / 2] + ((k - 100) % 2 ? 1 : 0) - 1;
		enum bd_status rc;
		struct bd_dump *d = open_bytes(p, at, &rc);
		if (at < starts[1]) {
			/* nothing but the header, or less: not readable */
			assert_int_equal(rc, BD_EFORMAT);
			continue;
		}
		assert_int_equal(rc, BD_OK);
		assert_true(bd_dump_info(d)->truncated);
		assert_string_equal(bd_dump_info(d)->source, "snapshot");
		run_reports(d);
		bd_dump_free(d);
	}
	free(p);
}

static void a_damaged_frame_ends_the_readable_part(void **state)
{
	size_t len, starts[64], n;
	unsigned char *p = read_fixture(&len);

	(void)state;
	n = frame_starts(p, len, starts, 64);
	for (size_t k = 1; k < n; k++) {
		enum bd_status rc;
		struct bd_dump *d;
		p[starts[k] + 9] ^= 0x5a;
		d = open_bytes(p, len, &rc);
		assert_int_equal(rc, BD_OK);
		assert_true(bd_dump_info(d)->truncated);
		assert_non_null(strstr(bd_dump_info(d)->truncation_reason, "CRC"));
		run_reports(d);
		bd_dump_free(d);
		p[starts[k] + 9] ^= 0x5a;
	}
	/* a damaged header: nothing to read */
	p[starts[0] + 9] ^= 0x5a;
	assert_null(open_bytes(p, len, &(enum bd_status){ 0 }));
	p[starts[0] + 9] ^= 0x5a;
	free(p);
}

static void a_newer_format_is_refused_with_its_version(void **state)
{
	size_t len;
	unsigned char *p = read_fixture(&len);
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	(void)state;
	p[9] = 2;
	assert_int_equal(bd_dump_open_mem(&d, p, len, "v2", &err), BD_EFORMAT);
	assert_non_null(strstr(err.msg, "format 2"));
	free(p);
}

/* A frame that claims more than the file holds, or a huge size, is a cut. */
static void lengths_are_checked_against_the_bytes_present(void **state)
{
	size_t len, starts[64];
	unsigned char *p = read_fixture(&len);
	enum bd_status rc;
	struct bd_dump *d;

	(void)state;
	assert_true(frame_starts(p, len, starts, 64) >= 3);
	p[starts[2]] = 0xff;
	d = open_bytes(p, len, &rc);
	assert_int_equal(rc, BD_OK);
	assert_non_null(strstr(bd_dump_info(d)->truncation_reason, "declares"));
	bd_dump_free(d);
	free(p);
}

/* The fixture without its backtrace frames, as a capture that read none. */
static unsigned char *without_backtraces(const unsigned char *p, size_t len, size_t *out_len)
{
	unsigned char *out = malloc(len);
	size_t pos = BD_SNAPSHOT_MAGIC_LEN + 4, n = pos, dropped = 0;

	assert_non_null(out);
	memcpy(out, p, pos);
	while (pos + 8 <= len) {
		uint32_t flen = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
				(uint32_t)p[pos + 2] << 8 | p[pos + 3];
		unsigned char head[64];
		uLongf hl = sizeof(head);
		const unsigned char *t = p + pos + 4;
		/* the tag is the first atom of the frame's tuple; small frames are not compressed */
		int z = t[1] == 'P' ? uncompress(head, &hl, t + 6, flen - 6) : Z_OK;
		if (t[1] != 'P')
			memcpy(head, t, hl = flen < sizeof(head) ? flen : sizeof(head));
		bool bt = (z == Z_OK || z == Z_BUF_ERROR) && bd_memmem((const char *)head, hl, "backtrace", 9);
		if (bt)
			dropped++;
		else {
			memcpy(out + n, p + pos, 8 + (size_t)flen);
			n += 8 + (size_t)flen;
		}
		pos += 8 + (size_t)flen;
	}
	assert_true(dropped > 0);
	*out_len = n;
	return out;
}

/* Without backtraces, a blocked caller's one monitor names its callee. */
static void a_cycle_is_found_from_monitors_alone(void **state)
{
	size_t len, n;
	unsigned char *p = read_fixture(&len), *q = without_backtraces(p, len, &n);
	enum bd_status rc;
	struct bd_dump *d = open_bytes(q, n, &rc);
	struct bd_report *r = NULL;
	struct bd_error err = { 0 };
	const struct rm_node *f;
	char a[64], b[64];

	(void)state;
	assert_int_equal(rc, BD_OK);
	assert_false(bd_dump_info(d)->truncated);
	assert_int_equal(bd_report_deadlocks(d, NULL, &r, &err), BD_OK);
	f = finding(r, "deadlock", 0);
	assert_non_null(f);
	assert_true(finding_names_pid(f, bd_test_live_into(FIXTURE, "pid dl_a", a, sizeof(a))));
	assert_true(finding_names_pid(f, bd_test_live_into(FIXTURE, "pid dl_b", b, sizeof(b))));
	bd_report_free(r);
	bd_dump_free(d);
	free(q);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_as_a_complete_snapshot_of_the_node),
		cmocka_unit_test(analyze_finds_every_planted_problem),
		cmocka_unit_test(every_report_reads_it_and_names_its_source),
		cmocka_unit_test(ets_and_memory_match_the_node),
		cmocka_unit_test(applications_come_from_group_leaders),
		cmocka_unit_test(a_cut_copy_reads_up_to_the_cut),
		cmocka_unit_test(a_damaged_frame_ends_the_readable_part),
		cmocka_unit_test(a_newer_format_is_refused_with_its_version),
		cmocka_unit_test(lengths_are_checked_against_the_bytes_present),
		cmocka_unit_test(a_cycle_is_found_from_monitors_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
