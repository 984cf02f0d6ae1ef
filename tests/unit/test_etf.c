/*
 * Unit tests of the ETF decoder and printer (src/term/etf.c).  The
 * vectors in etf_vectors.h come from a real OTP 25 VM; the hand-written
 * ones below cover old encodings and hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term/etf.h"
#include "util/base64.h"
#include "etf_vectors.h"

#define N_VECTORS (sizeof(etf_vectors) / sizeof(etf_vectors[0]))

struct text {
	char *buf;
	size_t len;
	size_t cap;
};

static void text_write(void *wctx, const char *s, size_t n)
{
	struct text *t = wctx;

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static int64_t remote_channel(void *ctx, const char *node, size_t len)
{
	(void)ctx;
	if (len == strlen(ETF_REMOTE_NODE) && !memcmp(node, ETF_REMOTE_NODE, len))
		return ETF_REMOTE_CHANNEL;
	return -1;
}

static const struct bd_etf_print_opts vm_opts = {
	.node_channel = remote_channel,
};

/* Print buf; returns the status and leaves the text in *t (caller frees). */
static int print_to(const uint8_t *buf, size_t len,
		    const struct bd_etf_print_opts *opts, struct text *t,
		    struct bd_etf_error *err)
{
	t->buf = calloc(1, 1);
	t->len = 0;
	t->cap = 1;
	return bd_etf_print(buf, len, opts, text_write, t, err);
}

static void assert_prints(const uint8_t *buf, size_t len,
			  const struct bd_etf_print_opts *opts,
			  const char *want)
{
	struct bd_etf_error err;
	struct text t;
	int rc = print_to(buf, len, opts, &t, &err);

	if (rc)
		print_error("error %d at %zu: %s\n", rc, err.offset, err.message);
	assert_int_equal(rc, BD_ETF_OK);
	assert_string_equal(t.buf, want);
	free(t.buf);
}

static int ignore_event(void *ctx, const struct bd_etf_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

/* Records a copy of the events, without their pointers. */
struct recorder {
	struct bd_etf_event ev[64];
	size_t n;
	char atoms[64][64];
};

static int record_event(void *ctx, const struct bd_etf_event *ev)
{
	struct recorder *r = ctx;

	if (r->n < 64) {
		r->ev[r->n] = *ev;
		if (ev->kind == BD_ETF_ATOM && ev->atom.len < 64)
			memcpy(r->atoms[r->n], ev->atom.ptr, ev->atom.len);
		r->n++;
	}
	return 0;
}

static int decode_ok(const uint8_t *buf, size_t len, struct recorder *r)
{
	struct bd_etf_error err;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = bd_etf_decode(buf, len, record_event, r, &err);
	if (rc)
		print_error("error %d at %zu: %s\n", rc, err.offset, err.message);
	return rc;
}

static void every_vm_vector_prints_as_io_lib_format_0p(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct etf_vector *v = &etf_vectors[i];
		struct bd_etf_error err;
		struct text t;
		int rc = print_to(v->bytes, v->len, &vm_opts, &t, &err);

		if (rc || strcmp(t.buf, v->text)) {
			print_error("vector '%s': rc %d (%s)\n  want %s\n  got  %s\n",
				    v->name, rc, rc ? err.message : "", v->text,
				    t.buf);
			bad++;
		}
		free(t.buf);
	}
	assert_int_equal(bad, 0);
}

/* Checks that children counts and depths agree, event by event. */
struct shape {
	uint64_t left[200];
	size_t depth;
	int bad;
};

static int check_shape(void *ctx, const struct bd_etf_event *ev)
{
	struct shape *s = ctx;
	uint64_t children = 0;

	if (ev->depth != s->depth)
		s->bad = 1;
	if (s->depth > 0)
		s->left[s->depth - 1]--;
	switch (ev->kind) {
	case BD_ETF_LIST:
		children = ev->count + 1;
		break;
	case BD_ETF_TUPLE:
		children = ev->count;
		break;
	case BD_ETF_MAP:
		children = 2 * (uint64_t)ev->count;
		break;
	case BD_ETF_FUN:
		children = ev->fun.n_free;
		break;
	default:
		break;
	}
	if (ev->raw[0] == 0 || ev->raw_len == 0)
		s->bad = 1;
	if (children)
		s->left[s->depth++] = children;
	while (s->depth > 0 && s->left[s->depth - 1] == 0)
		s->depth--;
	return 0;
}

static void every_vm_vector_decodes_to_consistent_depths_and_counts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		struct shape s;

		memset(&s, 0, sizeof(s));
		assert_int_equal(bd_etf_decode(etf_vectors[i].bytes,
					       etf_vectors[i].len, check_shape,
					       &s, NULL), BD_ETF_OK);
		assert_int_equal(s.bad, 0);
		assert_int_equal(s.depth, 0);
	}
}

static void every_prefix_of_every_vector_fails_with_an_error(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct etf_vector *v = &etf_vectors[i];

		for (n = 0; n < v->len; n++) {
			struct bd_etf_error err;
			struct text t;
			int rc;

			memset(&err, 0, sizeof(err));
			rc = bd_etf_decode(v->bytes, n, ignore_event, NULL, &err);
			assert_int_not_equal(rc, BD_ETF_OK);
			assert_int_equal(err.code, rc);
			assert_true(err.in_inflated || err.offset <= n);
			assert_true(err.message[0] != '\0');
			rc = print_to(v->bytes, n, &vm_opts, &t, &err);
			assert_int_not_equal(rc, BD_ETF_OK);
			free(t.buf);
		}
	}
}

static void flipping_any_byte_of_any_vector_never_crashes(void **state)
{
	static const uint8_t masks[] = { 0xff, 0x01, 0x80, 0x7f };
	size_t i, k, m;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct etf_vector *v = &etf_vectors[i];
		uint8_t *b = malloc(v->len);

		assert_non_null(b);
		for (k = 0; k < v->len; k++) {
			for (m = 0; m < sizeof(masks); m++) {
				struct bd_etf_error err;
				struct text t;
				int rc;

				memcpy(b, v->bytes, v->len);
				b[k] ^= masks[m];
				rc = bd_etf_decode(b, v->len, ignore_event,
						   NULL, &err);
				if (rc)
					assert_int_equal(err.code, rc);
				print_to(b, v->len, &vm_opts, &t, &err);
				free(t.buf);
			}
		}
		free(b);
	}
}

/* 131, depth x [ (LIST_EXT of 1 element) ], 'j', then depth tails 'j' */
static uint8_t *deep_list(size_t depth, size_t *len)
{
	uint8_t *b = malloc(2 + depth * 6), *p = b;
	size_t i;

	assert_non_null(b);
	*p++ = 131;
	for (i = 0; i < depth; i++) {
		memcpy(p, "l\0\0\0\1", 5);
		p += 5;
	}
	*p++ = 'j';
	for (i = 0; i < depth; i++)
		*p++ = 'j';
	*len = (size_t)(p - b);
	return b;
}

static void a_list_nested_100000_deep_fails_with_a_depth_error(void **state)
{
	struct bd_etf_error err;
	struct text t;
	size_t len;
	uint8_t *b = deep_list(100000, &len);

	(void)state;
	assert_int_equal(bd_etf_decode(b, len, ignore_event, NULL, &err),
			 BD_ETF_EDEPTH);
	assert_int_equal(err.offset, 1 + 5 * BD_ETF_DEFAULT_MAX_DEPTH);
	assert_int_equal(print_to(b, len, NULL, &t, &err), BD_ETF_EDEPTH);
	free(t.buf);
	free(b);
}

static void a_list_nested_100000_deep_decodes_without_recursion_when_allowed(void **state)
{
	struct bd_etf_decode_opts opts = { .max_depth = 200000 };
	size_t len, consumed = 0;
	uint8_t *b = deep_list(100000, &len);

	(void)state;
	assert_int_equal(bd_etf_decode_ex(b, len, &opts, ignore_event, NULL,
					  &consumed, NULL), BD_ETF_OK);
	assert_int_equal(consumed, len);
	free(b);
}

static void printing_a_deep_list_closes_every_bracket(void **state)
{
	struct text t;
	size_t len, i;
	uint8_t *b = deep_list(5000, &len);

	(void)state;
	assert_int_equal(print_to(b, len, NULL, &t, NULL), BD_ETF_OK);
	assert_int_equal(t.len, 5000 * 2 + 2);
	for (i = 0; i < 5001; i++)
		assert_int_equal(t.buf[i], '[');
	assert_int_equal(t.buf[t.len - 1], ']');
	free(t.buf);
	free(b);
}

static void expect_error(const uint8_t *b, size_t len, int code, size_t off)
{
	struct bd_etf_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = bd_etf_decode(b, len, ignore_event, NULL, &err);
	if (rc != code)
		print_error("got %d (%s), want %d\n", rc, err.message, code);
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	assert_int_equal(err.offset, off);
}

static void huge_declared_lengths_fail_fast(void **state)
{
	static const uint8_t list[] = { 131, 'l', 255, 255, 255, 255, 'a', 1, 'j' };
	static const uint8_t tuple[] = { 131, 'i', 255, 255, 255, 255, 'j' };
	static const uint8_t map[] = { 131, 't', 128, 0, 0, 0, 'j', 'j' };
	static const uint8_t bin[] = { 131, 'm', 255, 255, 255, 255, 1, 2 };
	static const uint8_t bits[] = { 131, 'M', 255, 255, 255, 255, 3, 1 };
	static const uint8_t str[] = { 131, 'k', 255, 255, 'a' };
	static const uint8_t big[] = { 131, 'o', 255, 255, 255, 255, 0, 1 };
	static const uint8_t atom[] = { 131, 'v', 255, 255, 'a' };
	static const uint8_t fun[] = { 131, 'p', 255, 255, 255, 255, 0 };
	static const uint8_t zip[] = { 131, 'P', 255, 255, 255, 255, 0x78, 0x9c };
	static const uint8_t zip2[] = { 131, 'P', 0, 240, 0, 0, 0x78, 0x9c, 1, 2 };
	static const uint8_t nested[] = { 131, 'h', 2, 'l', 255, 255, 255, 0, 'j' };

	(void)state;
	expect_error(list, sizeof(list), BD_ETF_ETRUNCATED, 1);
	expect_error(tuple, sizeof(tuple), BD_ETF_ETRUNCATED, 1);
	expect_error(map, sizeof(map), BD_ETF_ETRUNCATED, 1);
	expect_error(bin, sizeof(bin), BD_ETF_ETRUNCATED, 1);
	expect_error(bits, sizeof(bits), BD_ETF_ETRUNCATED, 1);
	expect_error(str, sizeof(str), BD_ETF_ETRUNCATED, 1);
	expect_error(big, sizeof(big), BD_ETF_ETRUNCATED, 1);
	expect_error(atom, sizeof(atom), BD_ETF_ETRUNCATED, 1);
	expect_error(fun, sizeof(fun), BD_ETF_ETRUNCATED, 1);
	expect_error(zip, sizeof(zip), BD_ETF_ELIMIT, 1);
	expect_error(zip2, sizeof(zip2), BD_ETF_ELIMIT, 1);
	expect_error(nested, sizeof(nested), BD_ETF_ETRUNCATED, 3);
}

static void a_missing_version_byte_is_a_format_error_at_offset_0(void **state)
{
	static const uint8_t b[] = { 130, 'a', 1 };

	(void)state;
	expect_error(b, sizeof(b), BD_ETF_EFORMAT, 0);
	expect_error(b, 0, BD_ETF_ETRUNCATED, 0);
}

static void bytes_after_the_term_are_an_error_unless_allowed(void **state)
{
	static const uint8_t b[] = { 131, 'a', 1, 'j' };
	struct bd_etf_decode_opts opts = { .allow_trailing = 1 };
	size_t consumed = 0;

	(void)state;
	expect_error(b, sizeof(b), BD_ETF_ETRAILING, 3);
	assert_int_equal(bd_etf_decode_ex(b, sizeof(b), &opts, ignore_event,
					  NULL, &consumed, NULL), BD_ETF_OK);
	assert_int_equal(consumed, 3);
}

static void unsupported_and_unknown_tags_are_reported_with_their_offset(void **state)
{
	static const uint8_t cache[] = { 131, 'h', 1, 'R', 0 };
	static const uint8_t dist[] = { 131, 'D', 0 };
	static const uint8_t local[] = { 131, 'y', 0 };
	static const uint8_t unknown[] = { 131, 'h', 2, 'a', 1, 'Q' };
	static const uint8_t inner_zip[] = { 131, 'h', 1, 'P', 0, 0, 0, 1 };

	(void)state;
	expect_error(cache, sizeof(cache), BD_ETF_EUNSUPPORTED, 3);
	expect_error(dist, sizeof(dist), BD_ETF_EUNSUPPORTED, 1);
	expect_error(local, sizeof(local), BD_ETF_EUNSUPPORTED, 1);
	expect_error(unknown, sizeof(unknown), BD_ETF_EFORMAT, 5);
	expect_error(inner_zip, sizeof(inner_zip), BD_ETF_EFORMAT, 3);
}

static void invalid_atoms_and_floats_are_format_errors(void **state)
{
	static const uint8_t bad_utf8[] = { 131, 'w', 3, 'a', 0xc3, 'b' };
	static const uint8_t overlong[] = { 131, 'w', 2, 0xc0, 0x80 };
	static const uint8_t nan[] = { 131, 'F', 0x7f, 0xf8, 0, 0, 0, 0, 0, 0 };
	static const uint8_t bad_text[31 + 2] = { 131, 'c', '1', 'x' };
	static const uint8_t bad_sign[] = { 131, 'n', 1, 2, 5 };
	static const uint8_t zero_bits[] = { 131, 'M', 0, 0, 0, 1, 0, 5 };
	static const uint8_t six_ids[] = { 131, 'Z', 0, 6, 's', 0 };
	uint8_t long_atom[4 + 300];

	(void)state;
	expect_error(bad_utf8, sizeof(bad_utf8), BD_ETF_EFORMAT, 4);
	expect_error(overlong, sizeof(overlong), BD_ETF_EFORMAT, 3);
	expect_error(nan, sizeof(nan), BD_ETF_EFORMAT, 1);
	expect_error(bad_text, sizeof(bad_text), BD_ETF_EFORMAT, 1);
	expect_error(bad_sign, sizeof(bad_sign), BD_ETF_EFORMAT, 1);
	expect_error(zero_bits, sizeof(zero_bits), BD_ETF_EFORMAT, 1);
	expect_error(six_ids, sizeof(six_ids), BD_ETF_EFORMAT, 1);
	long_atom[0] = 131;
	long_atom[1] = 'd';
	long_atom[2] = 1;
	long_atom[3] = 44;	/* 300 */
	memset(long_atom + 4, 'a', 300);
	expect_error(long_atom, sizeof(long_atom), BD_ETF_EFORMAT, 1);
}

static int stop_at_second(void *ctx, const struct bd_etf_event *ev)
{
	int *n = ctx;

	(void)ev;
	return ++*n == 2 ? 42 : 0;
}

static void a_nonzero_callback_result_stops_decoding(void **state)
{
	static const uint8_t b[] = { 131, 'h', 3, 'a', 1, 'a', 2, 'a', 3 };
	struct bd_etf_error err;
	int n = 0;

	(void)state;
	assert_int_equal(bd_etf_decode(b, sizeof(b), stop_at_second, &n, &err),
			 BD_ETF_ESTOPPED);
	assert_int_equal(n, 2);
	assert_int_equal(err.cb_result, 42);
	assert_int_equal(err.offset, 3);
}

static void integers_that_fit_int64_are_ints_and_others_bigs(void **state)
{
	/* -2^63 as SMALL_BIG, 2^64 as SMALL_BIG, 2^63 with a high zero byte */
	static const uint8_t min[] = { 131, 'n', 8, 1, 0, 0, 0, 0, 0, 0, 0, 0x80 };
	static const uint8_t two64[] = { 131, 'n', 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t two63[] = { 131, 'o', 0, 0, 0, 10, 0,
					 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0 };
	struct recorder r;

	(void)state;
	assert_int_equal(decode_ok(min, sizeof(min), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_INT);
	assert_true(r.ev[0].i == INT64_MIN);
	assert_int_equal(decode_ok(two64, sizeof(two64), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_BIG);
	assert_int_equal(r.ev[0].big.len, 9);
	assert_int_equal(r.ev[0].big.negative, 0);
	assert_int_equal(decode_ok(two63, sizeof(two63), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_BIG);
	assert_int_equal(r.ev[0].big.len, 8);
	assert_prints(two63, sizeof(two63), NULL, "9223372036854775808");
	assert_prints(min, sizeof(min), NULL, "-9223372036854775808");
}

static void a_new_reference_ext_with_one_byte_creation_prints_ids_reversed(void **state)
{
	/* OTP 22 style: 'r', 3 ids, node 'a@b' as ATOM_EXT, creation 2 */
	static const uint8_t b[] = { 131, 'r', 0, 3, 'd', 0, 3, 'a', '@', 'b', 2,
				     0, 0, 0x79, 0x80, 0x89, 0x44, 0, 1,
				     0x0b, 0x96, 0xe2, 0xec };
	struct bd_etf_print_opts opts = { .local_node = "a@b" };
	struct recorder r;

	(void)state;
	assert_int_equal(decode_ok(b, sizeof(b), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_REF);
	assert_int_equal(r.ev[0].ref.creation, 2);
	assert_int_equal(r.ev[0].ref.n_ids, 3);
	assert_int_equal(r.ev[0].ref.ids[0], 0x7980);
	/* the example of crash-dump-format.md section 3.2 */
	assert_prints(b, sizeof(b), &opts, "#Ref<0.194437868.2302935041.31104>");
	assert_prints(b, sizeof(b), NULL, "#Ref<?.194437868.2302935041.31104>");
}

static void a_pid_ext_of_a_known_node_prints_with_its_channel(void **state)
{
	static const uint8_t b[] = { 131, 'g', 's', 13, 'f', 'a', 'k', 'e', '@',
				     'r', 'e', 'm', 'o', 't', 'e', '9', '9',
				     0, 0, 0, 89, 0, 0, 0, 0, 3 };
	struct recorder r;
	char want[32];

	(void)state;
	assert_int_equal(decode_ok(b, sizeof(b), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_PID);
	assert_int_equal(r.ev[0].pid.id, 89);
	assert_int_equal(r.ev[0].pid.creation, 3);
	snprintf(want, sizeof(want), "<%d.89.0>", ETF_REMOTE_CHANNEL);
	assert_prints(b, sizeof(b), &vm_opts, want);
	assert_prints(b, sizeof(b), NULL, "<?.89.0>");
}

static void a_latin1_atom_ext_is_delivered_as_utf8(void **state)
{
	static const uint8_t b[] = { 131, 'd', 0, 4, 'c', 0xe9, 0xe8, 'z' };
	struct recorder r;

	(void)state;
	assert_int_equal(decode_ok(b, sizeof(b), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].atom.len, 6);
	assert_memory_equal(r.atoms[0], "c\xc3\xa9\xc3\xa8z", 6);
	assert_prints(b, sizeof(b), NULL, "c\xc3\xa9\xc3\xa8z");
}

static void a_float_ext_string_is_parsed_exactly(void **state)
{
	uint8_t b[33] = { 131, 'c' };
	struct recorder r;

	(void)state;
	memcpy(b + 2, "1.00000000000000005250e+300", 27);
	assert_int_equal(decode_ok(b, sizeof(b), &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_FLOAT);
	assert_true(r.ev[0].f == 1e300);
	assert_prints(b, sizeof(b), NULL, "1.0e300");
}

static void an_old_fun_ext_prints_and_announces_its_free_variables(void **state)
{
	/* FUN_EXT: 1 free var, pid, module m, index 3, uniq 77, free var 5 */
	static const uint8_t b[] = { 131, 'u', 0, 0, 0, 1,
				     'X', 's', 1, 'n', 0, 0, 0, 9, 0, 0, 0, 0,
				     0, 0, 0, 0,
				     's', 1, 'm', 'a', 3, 'a', 77, 'a', 5 };
	struct recorder r;

	(void)state;
	assert_int_equal(decode_ok(b, sizeof(b), &r), BD_ETF_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ev[0].kind, BD_ETF_FUN);
	assert_true(r.ev[0].fun.is_old);
	assert_int_equal(r.ev[0].fun.arity, -1);
	assert_int_equal(r.ev[0].fun.n_free, 1);
	assert_int_equal(r.ev[0].fun.pid.id, 9);
	assert_int_equal(r.ev[1].kind, BD_ETF_INT);
	assert_int_equal(r.ev[1].depth, 1);
	assert_prints(b, sizeof(b), NULL, "#Fun<m.3.77>");
}

static const struct etf_vector *find_vector(const char *name)
{
	size_t i;

	for (i = 0; i < N_VECTORS; i++)
		if (!strcmp(etf_vectors[i].name, name))
			return &etf_vectors[i];
	fail_msg("no vector '%s'", name);
	abort(); /* not reached: fail_msg does not return */
}

static void a_vm_fun_reports_its_fields_and_free_variables(void **state)
{
	const struct etf_vector *v = find_vector("fun with two free variables");
	struct recorder r;

	(void)state;
	assert_int_equal(decode_ok(v->bytes, v->len, &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_FUN);
	assert_false(r.ev[0].fun.is_old);
	assert_int_equal(r.ev[0].fun.arity, 1);
	assert_int_equal(r.ev[0].fun.n_free, 2);
	/* the free variables {a,"b"} and 5, in some order, at depth 1 */
	assert_true(r.n >= 3);
	assert_int_equal(r.ev[1].depth, 1);
}

static void a_make_ref_vector_is_a_newer_reference_with_three_ids(void **state)
{
	const struct etf_vector *v = find_vector("ref local");
	struct recorder r;

	(void)state;
	assert_int_equal(v->bytes[1], 'Z');
	assert_int_equal(decode_ok(v->bytes, v->len, &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_REF);
	assert_int_equal(r.ev[0].ref.n_ids, 3);
	assert_int_equal(r.ev[0].ref.node.len, strlen("nonode@nohost"));
}

static void a_compressed_vector_reports_offsets_in_the_inflated_bytes(void **state)
{
	const struct etf_vector *v = find_vector("compressed list");
	struct recorder r;

	(void)state;
	assert_int_equal(v->bytes[1], 'P');
	assert_int_equal(decode_ok(v->bytes, v->len, &r), BD_ETF_OK);
	assert_int_equal(r.ev[0].kind, BD_ETF_LIST);
	assert_int_equal(r.ev[0].count, 500);
	assert_int_equal(r.ev[0].offset, 0);
	assert_true(r.ev[0].in_inflated);
	assert_int_equal(r.ev[1].offset, 5);
}

static void a_compressed_term_that_lies_about_its_size_is_rejected(void **state)
{
	const struct etf_vector *v = find_vector("compressed list");
	uint8_t *b = malloc(v->len + 1);

	(void)state;
	assert_non_null(b);
	memcpy(b, v->bytes, v->len);
	b[5]++;		/* declared size one more than the real one */
	expect_error(b, v->len, BD_ETF_EFORMAT, 1);
	b[5] -= 2;	/* one less */
	expect_error(b, v->len, BD_ETF_EFORMAT, 1);
	b[5]++;
	b[v->len - 1] ^= 1;	/* adler32 */
	expect_error(b, v->len, BD_ETF_EFORMAT, 1);
	memcpy(b, v->bytes, v->len);
	b[v->len] = 'j';	/* a byte after the zlib stream */
	expect_error(b, v->len + 1, BD_ETF_ETRAILING, v->len);
	free(b);
}

static void a_dump_e_line_payload_prints_as_an_export_fun(void **state)
{
	/* crash-dump-format.md section 3.2: E16:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ== */
	static const char e[] = "g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==";
	uint8_t b[0x16];
	size_t n;

	(void)state;
	assert_int_equal(bd_base64_decode(e, strlen(e), b, sizeof(b), &n),
			 BD_BASE64_OK);
	assert_int_equal(n, 0x16);
	assert_prints(b, n, NULL, "fun lists:reverse/1");
}

static void the_width_limit_cuts_containers_as_io_lib_p_does(void **state)
{
	const struct etf_vector *list = find_vector("list 300");
	const struct etf_vector *tuple = find_vector("tuple large");
	const struct etf_vector *map = find_vector("map small");
	const struct etf_vector *str = find_vector("string");
	const struct etf_vector *bin = find_vector("binary bytes");
	const struct etf_vector *text = find_vector("binary text");
	struct bd_etf_print_opts o = { .max_width = 2 };

	(void)state;
	assert_prints(list->bytes, list->len, &o, "[1,2|...]");
	assert_prints(tuple->bytes, tuple->len, &o, "{1,2,...}");
	assert_prints(map->bytes, map->len, &o, "#{a => 1,b => [x|y],...}");
	assert_prints(str->bytes, str->len, &o, "\"he\"...");
	assert_prints(bin->bytes, bin->len, &o, "<<1,2,...>>");
	assert_prints(text->bytes, text->len, &o, "<<\"ab\"...>>");
}

static void the_depth_limit_prints_deeper_containers_as_dots(void **state)
{
	const struct etf_vector *v = find_vector("tuple mixed");
	const struct etf_vector *deep = find_vector("tuple deep");
	struct bd_etf_print_opts o = { .max_depth = 1 };
	struct bd_etf_print_opts o2 = { .max_depth = 3 };

	(void)state;
	assert_prints(v->bytes, v->len, &o, "{[],{},#{},<<>>,[],-5}");
	assert_prints(deep->bytes, deep->len, &o, "{40,...}");
	assert_prints(deep->bytes, deep->len, &o2, "{40,{39,{38,...}}}");
}

static void hand_made_lists_print_like_the_terms_they_denote(void **state)
{
	/* [1|[2]] split over two LIST_EXT, and [1|"ab"] with a STRING_EXT tail */
	static const uint8_t split[] = { 131, 'l', 0, 0, 0, 1, 'a', 1,
					 'l', 0, 0, 0, 1, 'a', 2, 'j' };
	static const uint8_t str_tail[] = { 131, 'l', 0, 0, 0, 1, 'a', 1,
					    'k', 0, 2, 'a', 'b' };
	static const uint8_t empty[] = { 131, 'l', 0, 0, 0, 0, 'a', 7 };

	(void)state;
	assert_prints(split, sizeof(split), NULL, "[1,2]");
	assert_prints(str_tail, sizeof(str_tail), NULL, "[1,97,98]");
	assert_prints(empty, sizeof(empty), NULL, "7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_vm_vector_prints_as_io_lib_format_0p),
		cmocka_unit_test(every_vm_vector_decodes_to_consistent_depths_and_counts),
		cmocka_unit_test(every_prefix_of_every_vector_fails_with_an_error),
		cmocka_unit_test(flipping_any_byte_of_any_vector_never_crashes),
		cmocka_unit_test(a_list_nested_100000_deep_fails_with_a_depth_error),
		cmocka_unit_test(a_list_nested_100000_deep_decodes_without_recursion_when_allowed),
		cmocka_unit_test(printing_a_deep_list_closes_every_bracket),
		cmocka_unit_test(huge_declared_lengths_fail_fast),
		cmocka_unit_test(a_missing_version_byte_is_a_format_error_at_offset_0),
		cmocka_unit_test(bytes_after_the_term_are_an_error_unless_allowed),
		cmocka_unit_test(unsupported_and_unknown_tags_are_reported_with_their_offset),
		cmocka_unit_test(invalid_atoms_and_floats_are_format_errors),
		cmocka_unit_test(a_nonzero_callback_result_stops_decoding),
		cmocka_unit_test(integers_that_fit_int64_are_ints_and_others_bigs),
		cmocka_unit_test(a_new_reference_ext_with_one_byte_creation_prints_ids_reversed),
		cmocka_unit_test(a_pid_ext_of_a_known_node_prints_with_its_channel),
		cmocka_unit_test(a_latin1_atom_ext_is_delivered_as_utf8),
		cmocka_unit_test(a_float_ext_string_is_parsed_exactly),
		cmocka_unit_test(an_old_fun_ext_prints_and_announces_its_free_variables),
		cmocka_unit_test(a_vm_fun_reports_its_fields_and_free_variables),
		cmocka_unit_test(a_make_ref_vector_is_a_newer_reference_with_three_ids),
		cmocka_unit_test(a_compressed_vector_reports_offsets_in_the_inflated_bytes),
		cmocka_unit_test(a_compressed_term_that_lies_about_its_size_is_rejected),
		cmocka_unit_test(a_dump_e_line_payload_prints_as_an_export_fun),
		cmocka_unit_test(the_width_limit_cuts_containers_as_io_lib_p_does),
		cmocka_unit_test(the_depth_limit_prints_deeper_containers_as_dots),
		cmocka_unit_test(hand_made_lists_print_like_the_terms_they_denote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
