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

#endif
