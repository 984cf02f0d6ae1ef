/* Test helpers for report trees (the facts a node recorded: bd_test_live). */
#ifndef BD_RM_TEST_H
#define BD_RM_TEST_H

#include "bd_test.h"
#include "report/model.h"

#include <stdlib.h>

/* Not every test uses every helper; kept out of line as they were in one file. */
#define BD_TEST_HELPER static __attribute__((unused, noinline))

BD_TEST_HELPER const struct rm_node *find_field(const struct rm_node *obj, const char *key)
{
	for (const struct rm_node *c = obj ? obj->first : NULL; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

BD_TEST_HELPER const struct rm_node *field(const struct rm_node *obj, const char *key)
{
	const struct rm_node *f = find_field(obj, key);

	if (!f)
		fail_msg("no field '%s'", key);
	return f;
}

BD_TEST_HELPER bool str_is(const struct rm_node *n, const char *want)
{
	return n && n->kind == RM_STR && bd_slice_eq(n->v.s, want);
}

BD_TEST_HELPER uint64_t u64(const struct rm_node *obj, const char *key)
{
	const struct rm_node *f = field(obj, key);

	assert_true(f->kind == RM_UINT);
	return f->v.u;
}

/* The row of arr whose `key` is the string want, or NULL. */
BD_TEST_HELPER const struct rm_node *row_with(const struct rm_node *arr, const char *key, const char *want)
{
	for (const struct rm_node *r = arr->first; r; r = r->next)
		if (str_is(find_field(r, key), want))
			return r;
	return NULL;
}

/* Does some finding of this kind name pid? */
BD_TEST_HELPER bool finding_names(const struct rm_node *root, const char *kind, const char *pid)
{
	for (const struct rm_node *f = field(root, "findings")->first; f; f = f->next) {
		if (!str_is(field(f, "kind"), kind))
			continue;
		for (const struct rm_node *p = field(f, "pids")->first; p; p = p->next)
			if (str_is(p, pid))
				return true;
	}
	return false;
}

BD_TEST_HELPER const struct rm_node *finding_of(const struct rm_node *root, const char *kind)
{
	for (const struct rm_node *f = field(root, "findings")->first; f; f = f->next)
		if (str_is(field(f, "kind"), kind))
			return f;
	return NULL;
}

#endif
