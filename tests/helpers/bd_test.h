/* Shared by the cmocka unit tests; may use internal headers. */
#ifndef BD_TEST_H
#define BD_TEST_H

#include "bd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "index/dump.h"
#include "index/index.h"
#include "report/model.h"
#include "term/heap.h"

#ifndef BD_FIXTURES
#define BD_FIXTURES "fixtures"
#endif
#ifndef BD_REAL_DUMPS
#define BD_REAL_DUMPS "../shared/real-dumps"
#endif

/* Open a dump held in a string; fails the test on error. */
static inline struct bd_dump *bd_test_open_text(const char *text)
{
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	if (bd_dump_open_mem(&d, text, strlen(text), "test", &err) != BD_OK)
		fail_msg("open failed: %s", err.msg);
	return d;
}

/* Open fixtures/NAME; fails the test on error. */
static inline struct bd_dump *bd_test_open_fixture(const char *name)
{
	char path[1024];
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", BD_FIXTURES, name);
	if (bd_dump_open(&d, path, NULL, &err) != BD_OK)
		fail_msg("open %s failed: %s", path, err.msg);
	return d;
}

/* Open BD_REAL_DUMPS/NAME, or NULL (said on stdout) when it is not there. */
static inline struct bd_dump *bd_test_open_real(const char *name)
{
	char path[1024];
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", BD_REAL_DUMPS, name);
	if (bd_dump_open(&d, path, NULL, &err) != BD_OK) {
		printf("# skipped %s (not present)\n", name);
		return NULL;
	}
	return d;
}

/* Render a report to a malloc'd string (caller frees). */
static inline char *bd_test_render(const struct bd_report *r, enum bd_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct bd_error err = { 0 };

	assert_non_null(f);
	assert_int_equal(bd_report_render(r, fmt, 0, f, &err), BD_OK);
	fclose(f);
	return buf;
}

/* y3 of the idle gen_server loop frame of pid (format doc 4.5): its state. */
static inline struct bd_elem bd_test_loop_state(struct bd_dump *d, const char *pid)
{
	struct bd_elem e = { 0 };

	for (size_t i = 0; i < d->index.n; i++) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		if (s.kind != BD_SECT_PROC_STACK || !bd_slice_eq(s.id, pid))
			continue;
		const char *p = bd_memmem(s.body.ptr, s.body.len, "y3:", 3);
		assert_non_null(p);
		assert_true(bd_elem_parse(p + 3, s.body.ptr + s.body.len, &e) > 0);
		return e;
	}
	fail_msg("no stack for %s", pid);
	abort(); /* not reached */
}

/* Index every section of a kind (of pid, or of any pid when NULL) into h. */
static inline void bd_test_heap_of(struct bd_dump *d, const char *pid, enum bd_sect kind,
				   struct bd_heap *h)
{
	struct bd_error err = { 0 };

	for (size_t i = 0; i < d->index.n; i++) {
		struct bd_section s;
		bd_section_get(d, i, &s);
		if (s.kind == kind && (!pid || bd_slice_eq(s.id, pid)))
			assert_int_equal(bd_heap_add_section(h, d, i, &err), BD_OK);
	}
}

/* The field key of a report object, or NULL. */
static inline const struct rm_node *bd_test_field(const struct rm_node *o, const char *key)
{
	for (const struct rm_node *c = o ? o->first : NULL; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

/* The string o.key, NUL-terminated in a rotating buffer, or NULL when null or absent. */
static inline const char *bd_test_str(const struct rm_node *o, const char *key)
{
	static char buf[8][1024];
	static size_t turn;
	const struct rm_node *n = bd_test_field(o, key);
	char *out;

	if (!n || n->kind != RM_STR)
		return NULL;
	out = buf[turn++ % 8];
	snprintf(out, sizeof(buf[0]), "%.*s", (int)n->v.s.len, n->v.s.ptr);
	return out;
}

/*
 * Call each(line, ctx) for every line of fixtures/NAME.live (without its
 * newline) until it returns true; whether one did. The one reader of .live
 * files in the unit tests.
 */
static inline bool bd_test_live_lines(const char *fixture, bool (*each)(char *line, void *ctx),
				      void *ctx)
{
	char path[1024], line[2048];
	bool stop = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.live", BD_FIXTURES, fixture);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (!stop && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		stop = each(line, ctx);
	}
	fclose(f);
	return stop;
}

struct bd_test_fact {
	const char *key;
	char *val;
};

static inline bool bd_test_fact_line(char *line, void *ctx)
{
	struct bd_test_fact *q = ctx;
	size_t klen = strlen(q->key);

	if (strncmp(line, q->key, klen) != 0 || line[klen] != ' ')
		return false;
	snprintf(q->val, 2048, "%s", line + klen + 1);
	return true;
}

/*
 * A fixture's .live value of the line "key VALUE" (the first such line); the
 * test fails when there is none. In a rotating buffer, so that a few values
 * can be held at once.
 */
static inline char *bd_test_live(const char *fixture, const char *key)
{
	static char vals[8][2048];
	static size_t turn;
	struct bd_test_fact q = { key, vals[turn++ % 8] };

	if (!bd_test_live_lines(fixture, bd_test_fact_line, &q)) {
		fail_msg("no fact '%s' in %s.live", key, fixture);
		q.val[0] = '\0';
	}
	return q.val;
}

/* bd_test_live copied to buf; fails the test when the fact is missing. */
static inline const char *bd_test_live_into(const char *fixture, const char *key, char *buf,
					    size_t cap)
{
	const char *v = bd_test_live(fixture, key);
	size_t n = strlen(v);

	assert_true(n < cap);
	memcpy(buf, v, n + 1);
	return buf;
}

static inline uint64_t bd_test_live_u64(const char *fixture, const char *key)
{
	char buf[256];

	return strtoull(bd_test_live_into(fixture, key, buf, sizeof(buf)), NULL, 10);
}

#endif
