/*
 * Decoder and printer for the Erlang external term format.
 *
 * Format source: erts/doc "External Term Format" (OTP 25), cross-checked
 * against term_to_binary output of a real OTP 25 VM (tests/unit).  All
 * integers in the format are big-endian.  The walk is iterative: a stack of
 * "terms still to read" counters replaces recursion, so hostile nesting
 * costs heap, bounded by max_depth, never C stack.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "bd.h"
#include "term/etf.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* next_in is then const, so the input needs no cast */
#define ZLIB_CONST
#include <zlib.h>

/* Erlang atoms hold at most 255 characters; latin-1 doubles in UTF-8 */
#define ATOM_MAX_CHARS 255
#define ATOM_SCRATCH (ATOM_MAX_CHARS * 2)
/* deflate cannot expand data by more than about 1032:1 */
#define DEFLATE_MAX_RATIO 1032
#define INLINE_DEPTH 64

struct dec {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int in_inflated;
	size_t max_depth;
	size_t max_inflated;
	bd_etf_event_fn fn;
	void *ctx;
	struct bd_etf_error *err;
	int failed;
	uint64_t *stack;	/* terms still to read, per open container */
	size_t stack_cap;
	uint64_t inline_stack[INLINE_DEPTH];
	/* two atoms per event at most: fun module + pid node, M + F */
	char scratch[2][ATOM_SCRATCH];
};

static int fail(struct dec *d, enum bd_etf_status code, size_t off,
		const char *fmt, ...) BD_PRINTF(4, 5);

/* Record the first error only: it is the root cause. */
static int fail(struct dec *d, enum bd_etf_status code, size_t off,
		const char *fmt, ...)
{
	va_list ap;

	if (d->failed)
		return code;
	d->failed = 1;
	if (!d->err)
		return code;
	d->err->code = code;
	d->err->offset = off;
	d->err->in_inflated = d->in_inflated;
	d->err->cb_result = 0;
	va_start(ap, fmt);
	vsnprintf(d->err->message, sizeof(d->err->message), fmt, ap);
	va_end(ap);
	return code;
}

static int need(struct dec *d, size_t n, size_t tag_off, const char *what)
{
	if (d->len - d->pos >= n)
		return 0;
	return fail(d, BD_ETF_ETRUNCATED, tag_off,
		    "truncated %s: needs %zu more bytes at offset %zu, has %zu",
		    what, n, d->pos, d->len - d->pos);
}

static uint8_t get_u8(struct dec *d)
{
	return d->buf[d->pos++];
}

static uint16_t get_u16(struct dec *d)
{
	uint16_t v = (uint16_t)(d->buf[d->pos] << 8 | d->buf[d->pos + 1]);

	d->pos += 2;
	return v;
}

static uint32_t get_u32(struct dec *d)
{
	const uint8_t *p = d->buf + d->pos;

	d->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(struct dec *d)
{
	uint64_t hi = get_u32(d);

	return hi << 32 | get_u32(d);
}

/*
 * Validate UTF-8 (no overlongs, surrogates or code points past U+10FFFF)
 * and count its characters.  Returns the offset of the first bad byte,
 * or len when the text is valid.
 */
static size_t utf8_check(const uint8_t *s, size_t len, size_t *n_chars)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t k = bd_utf8_len(s + i, len - i, NULL);

		if (!k)
			return i;
		i += k;
		n++;
	}
	*n_chars = n;
	return len;
}

/* Read an atom of any encoding; latin-1 names go to scratch[slot]. */
static int read_atom(struct dec *d, int slot, struct bd_etf_atom *a)
{
	size_t off = d->pos, n, i, n_chars = 0, bad;
	int latin1;
	uint8_t tag;
	int rc;

	if ((rc = need(d, 1, off, "atom")))
		return rc;
	tag = get_u8(d);
	switch (tag) {
	case 'd':
	case 'v':
		if ((rc = need(d, 2, off, "atom")))
			return rc;
		n = get_u16(d);
		latin1 = tag == 'd';
		break;
	case 's':
	case 'w':
		if ((rc = need(d, 1, off, "atom")))
			return rc;
		n = get_u8(d);
		latin1 = tag == 's';
		break;
	case 'R':
		return fail(d, BD_ETF_EUNSUPPORTED, off,
			    "atom cache reference (distribution header) is not supported");
	default:
		return fail(d, BD_ETF_EFORMAT, off,
			    "expected an atom, found tag %u", (unsigned)tag);
	}
	if ((rc = need(d, n, off, "atom")))
		return rc;
	if (latin1) {
		char *out = d->scratch[slot];
		size_t k = 0;

		if (n > ATOM_MAX_CHARS)
			return fail(d, BD_ETF_EFORMAT, off,
				    "atom of %zu characters, the limit is 255", n);
		for (i = 0; i < n; i++) {
			uint8_t c = d->buf[d->pos + i];

			if (c < 0x80) {
				out[k++] = (char)c;
			} else {
				out[k++] = (char)(0xc0 | c >> 6);
				out[k++] = (char)(0x80 | (c & 0x3f));
			}
		}
		a->ptr = out;
		a->len = k;
	} else {
		bad = utf8_check(d->buf + d->pos, n, &n_chars);
		if (bad != n)
			return fail(d, BD_ETF_EFORMAT, d->pos + bad,
				    "invalid UTF-8 in atom");
		if (n_chars > ATOM_MAX_CHARS)
			return fail(d, BD_ETF_EFORMAT, off,
				    "atom of %zu characters, the limit is 255",
				    n_chars);
		a->ptr = (const char *)(d->buf + d->pos);
		a->len = n;
	}
	d->pos += n;
	return 0;
}

/* SMALL_INTEGER_EXT or INTEGER_EXT, as fun fields use them. */
static int read_small_int(struct dec *d, const char *what, int64_t *v)
{
	size_t off = d->pos;
	uint8_t tag;
	int rc;

	if ((rc = need(d, 2, off, what)))
		return rc;
	tag = get_u8(d);
	if (tag == 'a') {
		*v = get_u8(d);
		return 0;
	}
	if (tag != 'b')
		return fail(d, BD_ETF_EFORMAT, off,
			    "expected an integer for %s, found tag %u", what,
			    (unsigned)tag);
	if ((rc = need(d, 4, off, what)))
		return rc;
	*v = (int32_t)get_u32(d);
	return 0;
}

static int read_pid_body(struct dec *d, uint8_t tag, size_t off, int slot,
			 struct bd_etf_pid *pid)
{
	int rc;

	if ((rc = read_atom(d, slot, &pid->node)))
		return rc;
	if ((rc = need(d, tag == 'X' ? 12 : 9, off, "pid")))
		return rc;
	pid->id = get_u32(d);
	pid->serial = get_u32(d);
	pid->creation = tag == 'X' ? get_u32(d) : get_u8(d);
	return 0;
}

static int read_pid(struct dec *d, int slot, struct bd_etf_pid *pid)
{
	size_t off = d->pos;
	uint8_t tag;
	int rc;

	if ((rc = need(d, 1, off, "pid")))
		return rc;
	tag = get_u8(d);
	if (tag != 'g' && tag != 'X')
		return fail(d, BD_ETF_EFORMAT, off,
			    "expected a pid, found tag %u", (unsigned)tag);
	return read_pid_body(d, tag, off, slot, pid);
}

static int read_float_ext(struct dec *d, size_t off, double *f)
{
	char s[32];
	char *end;
	size_t n, i;
	locale_t c_loc, old = (locale_t)0;

	/* 31 bytes of "%.20e" text, NUL-padded */
	memcpy(s, d->buf + d->pos, 31);
	s[31] = '\0';
	n = strlen(s);
	for (i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", s[i]))
			break;
	if (n == 0 || i != n)
		return fail(d, BD_ETF_EFORMAT, off, "bad FLOAT_EXT text");
	/* the text always uses '.', whatever the caller's locale says */
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_loc)
		old = uselocale(c_loc);
	*f = strtod(s, &end);
	if (c_loc) {
		uselocale(old);
		freelocale(c_loc);
	}
	if (end != s + n || !isfinite(*f))
		return fail(d, BD_ETF_EFORMAT, off, "bad FLOAT_EXT text");
	d->pos += 31;
	return 0;
}

static int read_big(struct dec *d, size_t off, size_t n,
		    struct bd_etf_event *ev)
{
	const uint8_t *mag;
	uint8_t sign;
	uint64_t v = 0;
	size_t i;
	int rc;

	if ((rc = need(d, 1, off, "bignum")))
		return rc;
	sign = get_u8(d);
	if (sign > 1)
		return fail(d, BD_ETF_EFORMAT, off, "bignum sign byte %u",
			    (unsigned)sign);
	if ((rc = need(d, n, off, "bignum")))
		return rc;
	mag = d->buf + d->pos;
	d->pos += n;
	while (n > 0 && mag[n - 1] == 0)
		n--;
	if (n <= 8) {
		for (i = n; i-- > 0;)
			v = v << 8 | mag[i];
		if (!sign && v <= (uint64_t)INT64_MAX) {
			ev->kind = BD_ETF_INT;
			ev->i = (int64_t)v;
			return 0;
		}
		if (sign && v <= (uint64_t)INT64_MAX + 1) {
			ev->kind = BD_ETF_INT;
			/* v may be 2^63: negate in unsigned arithmetic */
			ev->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN
							     : -(int64_t)v;
			return 0;
		}
	}
	ev->kind = BD_ETF_BIG;
	ev->big.negative = sign;
	ev->big.mag = mag;
	ev->big.len = n;
	return 0;
}

/* A container may not announce more terms than bytes are left. */
static int check_count(struct dec *d, size_t off, uint64_t n_terms,
		       const char *what)
{
	if (n_terms <= d->len - d->pos)
		return 0;
	return fail(d, BD_ETF_ETRUNCATED, off,
		    "%s announces %" PRIu64 " terms but only %zu bytes remain",
		    what, n_terms, d->len - d->pos);
}

/*
 * Decode the term at d->pos into ev (all but depth/offset/raw) and store
 * the number of terms that follow as its children in *children.
 */
static int decode_one(struct dec *d, struct bd_etf_event *ev,
		      uint64_t *children)
{
	size_t off = d->pos, n;
	uint8_t tag;
	int rc;

	*children = 0;
	if ((rc = need(d, 1, off, "term")))
		return rc;
	tag = get_u8(d);
	switch (tag) {
	case 'a':
		if ((rc = need(d, 1, off, "small integer")))
			return rc;
		ev->kind = BD_ETF_INT;
		ev->i = get_u8(d);
		return 0;
	case 'b':
		if ((rc = need(d, 4, off, "integer")))
			return rc;
		ev->kind = BD_ETF_INT;
		ev->i = (int32_t)get_u32(d);
		return 0;
	case 'n':
		if ((rc = need(d, 1, off, "bignum")))
			return rc;
		return read_big(d, off, get_u8(d), ev);
	case 'o':
		if ((rc = need(d, 4, off, "bignum")))
			return rc;
		return read_big(d, off, get_u32(d), ev);
	case 'F': {
		uint64_t bits;

		if ((rc = need(d, 8, off, "float")))
			return rc;
		bits = get_u64(d);
		ev->kind = BD_ETF_FLOAT;
		memcpy(&ev->f, &bits, sizeof(ev->f));
		if (!isfinite(ev->f))
			return fail(d, BD_ETF_EFORMAT, off, "float is not finite");
		return 0;
	}
	case 'c':
		if ((rc = need(d, 31, off, "float")))
			return rc;
		ev->kind = BD_ETF_FLOAT;
		return read_float_ext(d, off, &ev->f);
	case 'd':
	case 's':
	case 'v':
	case 'w':
		d->pos = off;
		ev->kind = BD_ETF_ATOM;
		return read_atom(d, 0, &ev->atom);
	case 'j':
		ev->kind = BD_ETF_NIL;
		return 0;
	case 'k':
		if ((rc = need(d, 2, off, "string")))
			return rc;
		n = get_u16(d);
		if ((rc = need(d, n, off, "string")))
			return rc;
		ev->kind = BD_ETF_STRING;
		ev->string.ptr = d->buf + d->pos;
		ev->string.len = n;
		d->pos += n;
		return 0;
	case 'l':
		if ((rc = need(d, 4, off, "list")))
			return rc;
		ev->kind = BD_ETF_LIST;
		ev->count = get_u32(d);
		*children = (uint64_t)ev->count + 1;
		return check_count(d, off, *children, "list");
	case 'h':
	case 'i':
		if ((rc = need(d, tag == 'h' ? 1 : 4, off, "tuple")))
			return rc;
		ev->kind = BD_ETF_TUPLE;
		ev->count = tag == 'h' ? get_u8(d) : get_u32(d);
		*children = ev->count;
		return check_count(d, off, *children, "tuple");
	case 't':
		if ((rc = need(d, 4, off, "map")))
			return rc;
		ev->kind = BD_ETF_MAP;
		ev->count = get_u32(d);
		*children = 2 * (uint64_t)ev->count;
		return check_count(d, off, *children, "map");
	case 'm':
	case 'M': {
		unsigned bits = 8;

		if ((rc = need(d, tag == 'm' ? 4 : 5, off, "binary")))
			return rc;
		n = get_u32(d);
		if (tag == 'M') {
			bits = get_u8(d);
			if (bits < 1 || bits > 8 || n == 0)
				return fail(d, BD_ETF_EFORMAT, off,
					    "bitstring of %zu bytes with %u bits in the last",
					    n, bits);
		}
		if ((rc = need(d, n, off, "binary")))
			return rc;
		ev->kind = BD_ETF_BINARY;
		ev->binary.ptr = d->buf + d->pos;
		ev->binary.len = n;
		ev->binary.bits = n ? bits : 0;
		d->pos += n;
		return 0;
	}
	case 'g':
	case 'X':
		ev->kind = BD_ETF_PID;
		return read_pid_body(d, tag, off, 0, &ev->pid);
	case 'f':
	case 'Y':
	case 'x':
		ev->kind = BD_ETF_PORT;
		if ((rc = read_atom(d, 0, &ev->port.node)))
			return rc;
		if ((rc = need(d, tag == 'f' ? 5 : tag == 'Y' ? 8 : 12, off,
			       "port")))
			return rc;
		ev->port.id = tag == 'x' ? get_u64(d) : get_u32(d);
		ev->port.creation = tag == 'f' ? get_u8(d) : get_u32(d);
		return 0;
	case 'e':
		ev->kind = BD_ETF_REF;
		if ((rc = read_atom(d, 0, &ev->ref.node)))
			return rc;
		if ((rc = need(d, 5, off, "reference")))
			return rc;
		ev->ref.n_ids = 1;
		ev->ref.ids[0] = get_u32(d);
		ev->ref.creation = get_u8(d);
		return 0;
	case 'r':
	case 'Z': {
		size_t i;

		if ((rc = need(d, 2, off, "reference")))
			return rc;
		n = get_u16(d);
		if (n < 1 || n > BD_ETF_MAX_REF_IDS)
			return fail(d, BD_ETF_EFORMAT, off,
				    "reference with %zu ids, expected 1..%d", n,
				    BD_ETF_MAX_REF_IDS);
		ev->kind = BD_ETF_REF;
		if ((rc = read_atom(d, 0, &ev->ref.node)))
			return rc;
		if ((rc = need(d, (tag == 'Z' ? 4 : 1) + 4 * n, off,
			       "reference")))
			return rc;
		ev->ref.creation = tag == 'Z' ? get_u32(d) : get_u8(d);
		ev->ref.n_ids = n;
		for (i = 0; i < n; i++)
			ev->ref.ids[i] = get_u32(d);
		return 0;
	}
	case 'p': {
		struct bd_etf_fun *fn = &ev->fun;
		uint32_t size;

		/* Size counts itself and the free variables, not the tag */
		if ((rc = need(d, 4 + 1 + 16 + 4 + 4, off, "fun")))
			return rc;
		size = get_u32(d);
		if (size < 29 || size - 4 > d->len - d->pos)
			return fail(d, BD_ETF_ETRUNCATED, off,
				    "fun declares %" PRIu32 " bytes, %zu remain",
				    size, d->len - d->pos + 4);
		ev->kind = BD_ETF_FUN;
		fn->is_old = 0;
		fn->arity = get_u8(d);
		memcpy(fn->uniq, d->buf + d->pos, 16);
		d->pos += 16;
		fn->index = get_u32(d);
		fn->n_free = get_u32(d);
		if ((rc = read_atom(d, 0, &fn->module)) ||
		    (rc = read_small_int(d, "fun old index", &fn->old_index)) ||
		    (rc = read_small_int(d, "fun old uniq", &fn->old_uniq)) ||
		    (rc = read_pid(d, 1, &fn->pid)))
			return rc;
		*children = fn->n_free;
		return check_count(d, off, *children, "fun");
	}
	case 'u': {
		struct bd_etf_fun *fn = &ev->fun;
		int64_t index;

		if ((rc = need(d, 4, off, "fun")))
			return rc;
		ev->kind = BD_ETF_FUN;
		memset(fn, 0, sizeof(*fn));
		fn->is_old = 1;
		fn->arity = -1;
		fn->n_free = get_u32(d);
		if ((rc = read_pid(d, 1, &fn->pid)) ||
		    (rc = read_atom(d, 0, &fn->module)) ||
		    (rc = read_small_int(d, "fun index", &index)) ||
		    (rc = read_small_int(d, "fun uniq", &fn->old_uniq)))
			return rc;
		fn->index = (uint32_t)index;
		fn->old_index = index;
		*children = fn->n_free;
		return check_count(d, off, *children, "fun");
	}
	case 'q': {
		int64_t arity;

		ev->kind = BD_ETF_EXPORT;
		if ((rc = read_atom(d, 0, &ev->export.module)) ||
		    (rc = read_atom(d, 1, &ev->export.function)))
			return rc;
		if ((rc = need(d, 1, off, "export")))
			return rc;
		if (d->buf[d->pos] != 'a')
			return fail(d, BD_ETF_EFORMAT, d->pos,
				    "export arity is not a small integer");
		if ((rc = read_small_int(d, "export arity", &arity)))
			return rc;
		ev->export.arity = (unsigned)arity;
		return 0;
	}
	case 'P':
		return fail(d, BD_ETF_EFORMAT, off,
			    "compressed term inside a term");
	case 'R':
	case 'D':
	case 'E':
		return fail(d, BD_ETF_EUNSUPPORTED, off,
			    "atom cache references and distribution headers are not supported");
	case 'y':
		return fail(d, BD_ETF_EUNSUPPORTED, off,
			    "LOCAL_EXT is not supported");
	default:
		return fail(d, BD_ETF_EFORMAT, off, "unknown tag %u",
			    (unsigned)tag);
	}
}

static int push(struct dec *d, size_t depth, uint64_t n, size_t off)
{
	if (depth >= d->max_depth)
		return fail(d, BD_ETF_EDEPTH, off,
			    "terms nested deeper than %zu levels", d->max_depth);
	if (depth == d->stack_cap) {
		size_t cap = d->stack_cap * 2;
		uint64_t *s;

		if (cap > d->max_depth)
			cap = d->max_depth;
		s = malloc(cap * sizeof(*s));
		if (!s)
			return fail(d, BD_ETF_ENOMEM, off, "out of memory");
		memcpy(s, d->stack, depth * sizeof(*s));
		if (d->stack != d->inline_stack)
			free(d->stack);
		d->stack = s;
		d->stack_cap = cap;
	}
	d->stack[depth] = n;
	return 0;
}

/* Decode one whole term at d->pos, without recursion. */
static int walk(struct dec *d)
{
	size_t depth = 0;
	struct bd_etf_event ev;
	uint64_t children;
	int rc, cb;

	for (;;) {
		memset(&ev, 0, sizeof(ev));
		ev.offset = d->pos;
		ev.in_inflated = d->in_inflated;
		ev.depth = depth;
		ev.raw = d->buf + d->pos;
		ev.raw_len = d->len - d->pos;
		if ((rc = decode_one(d, &ev, &children)))
			return rc;
		if (depth > 0)
			d->stack[depth - 1]--;
		if (children && (rc = push(d, depth, children, ev.offset)))
			return rc;
		cb = d->fn(d->ctx, &ev);
		if (cb) {
			fail(d, BD_ETF_ESTOPPED, ev.offset,
			     "stopped by the callback");
			if (d->err)
				d->err->cb_result = cb;
			return BD_ETF_ESTOPPED;
		}
		if (children)
			depth++;
		while (depth > 0 && d->stack[depth - 1] == 0)
			depth--;
		if (depth == 0)
			return 0;
	}
}

/* Inflate a 'P' payload (the term without its version byte) and walk it. */
static int walk_compressed(struct dec *d)
{
	size_t off = d->pos, in_left, used;
	uint32_t usize;
	uint8_t *out;
	z_stream zs;
	int rc, zrc;

	d->pos++;
	if ((rc = need(d, 4, off, "compressed term")))
		return rc;
	usize = get_u32(d);
	in_left = d->len - d->pos;
	if (usize == 0)
		return fail(d, BD_ETF_EFORMAT, off, "compressed term of 0 bytes");
	if (usize > d->max_inflated)
		return fail(d, BD_ETF_ELIMIT, off,
			    "compressed term inflates to %" PRIu32
			    " bytes, the limit is %zu", usize, d->max_inflated);
	if (usize / DEFLATE_MAX_RATIO > in_left)
		return fail(d, BD_ETF_ELIMIT, off,
			    "%zu compressed bytes cannot inflate to %" PRIu32,
			    in_left, usize);
	/* one spare byte shows a stream that inflates past the declared size */
	out = malloc((size_t)usize + 1);
	if (!out)
		return fail(d, BD_ETF_ENOMEM, off, "out of memory");
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		free(out);
		return fail(d, BD_ETF_ENOMEM, off, "cannot start zlib");
	}
	zs.next_out = out;
	zs.avail_out = (uInt)usize + 1;
	zs.next_in = d->buf + d->pos;
	for (;;) {
		if (zs.avail_in == 0 && in_left > 0) {
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= zs.avail_in;
		}
		zrc = inflate(&zs, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END)
			break;
		if (zrc == Z_OK && zs.avail_out > 0)
			continue;
		if (zs.avail_out == 0)
			rc = fail(d, BD_ETF_EFORMAT, off,
				  "compressed term inflates past %" PRIu32
				  " bytes", usize);
		else if (zrc == Z_BUF_ERROR)
			rc = fail(d, BD_ETF_ETRUNCATED, off,
				  "compressed term is truncated");
		else if (zrc == Z_MEM_ERROR)
			rc = fail(d, BD_ETF_ENOMEM, off, "out of memory");
		else
			rc = fail(d, BD_ETF_EFORMAT, off,
				  "corrupt compressed term: %s",
				  zs.msg ? zs.msg : "zlib error");
		goto out;
	}
	if (zs.total_out != usize) {
		rc = fail(d, BD_ETF_EFORMAT, off,
			  "compressed term inflates to %lu bytes, declares %"
			  PRIu32, (unsigned long)zs.total_out, usize);
		goto out;
	}
	used = d->len - d->pos - in_left - zs.avail_in;
	{
		/* 'P' only starts a term, so nothing is on the stack yet */
		struct dec inner = *d;

		inner.buf = out;
		inner.len = usize;
		inner.pos = 0;
		inner.in_inflated = 1;
		inner.stack = inner.inline_stack;
		inner.stack_cap = INLINE_DEPTH;
		rc = walk(&inner);
		if (!rc && inner.pos != inner.len)
			rc = fail(&inner, BD_ETF_ETRAILING, inner.pos,
				  "%zu bytes after the compressed term",
				  inner.len - inner.pos);
		d->failed = inner.failed;
		if (inner.stack != inner.inline_stack)
			free(inner.stack);
	}
	d->pos += used;
out:
	inflateEnd(&zs);
	free(out);
	return rc;
}

/*
 * Walk the one term at buf (no version byte) and report the bytes it
 * used; the printer uses it to re-read parts of its input.
 */
static int decode_raw(const uint8_t *buf, size_t len, bd_etf_event_fn fn,
		      void *ctx, size_t *consumed)
{
	struct dec *d = malloc(sizeof(*d));
	int rc;

	if (!d)
		return BD_ETF_ENOMEM;
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->len = len;
	d->max_depth = BD_ETF_DEFAULT_MAX_DEPTH;
	d->max_inflated = BD_ETF_DEFAULT_MAX_INFLATED;
	d->fn = fn;
	d->ctx = ctx;
	d->stack = d->inline_stack;
	d->stack_cap = INLINE_DEPTH;
	rc = walk(d);
	*consumed = d->pos;
	if (d->stack != d->inline_stack)
		free(d->stack);
	free(d);
	return rc;
}

/* Allocation of the decoder or printer itself failed: no context to fail() on. */
static int no_memory(struct bd_etf_error *err)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = BD_ETF_ENOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
	}
	return BD_ETF_ENOMEM;
}

int bd_etf_decode_ex(const uint8_t *buf, size_t len,
		     const struct bd_etf_decode_opts *opts, bd_etf_event_fn fn,
		     void *ctx, size_t *consumed, struct bd_etf_error *err)
{
	struct dec *d;
	int rc;

	/* the decoder holds atom scratch space: keep it off small stacks */
	d = malloc(sizeof(*d));
	if (!d) {
		return no_memory(err);
	}
	d->buf = buf;
	d->len = len;
	d->pos = 0;
	d->in_inflated = 0;
	d->max_depth = opts && opts->max_depth ? opts->max_depth
					       : BD_ETF_DEFAULT_MAX_DEPTH;
	d->max_inflated = opts && opts->max_inflated
				  ? opts->max_inflated
				  : BD_ETF_DEFAULT_MAX_INFLATED;
	d->fn = fn;
	d->ctx = ctx;
	d->err = err;
	d->failed = 0;
	d->stack = d->inline_stack;
	d->stack_cap = INLINE_DEPTH;

	if (len == 0) {
		rc = fail(d, BD_ETF_ETRUNCATED, 0, "empty input");
		goto out;
	}
	if (buf[0] != BD_ETF_VERSION) {
		rc = fail(d, BD_ETF_EFORMAT, 0,
			  "version byte is %u, expected 131", (unsigned)buf[0]);
		goto out;
	}
	d->pos = 1;
	if (len > 1 && buf[1] == 'P')
		rc = walk_compressed(d);
	else
		rc = walk(d);
	if (!rc && d->pos != len && !(opts && opts->allow_trailing))
		rc = fail(d, BD_ETF_ETRAILING, d->pos,
			  "%zu bytes after the term", len - d->pos);
	if (!rc && consumed)
		*consumed = d->pos;
out:
	if (d->stack != d->inline_stack)
		free(d->stack);
	free(d);
	return rc;
}

int bd_etf_decode(const uint8_t *buf, size_t len, bd_etf_event_fn fn,
		  void *ctx, struct bd_etf_error *err)
{
	return bd_etf_decode_ex(buf, len, NULL, fn, ctx, NULL, err);
}

/*
 * Printer.  It follows io_lib:format("~0p", [T]) of OTP 25: latin-1
 * printable lists and binaries print as strings, atoms are quoted as
 * io_lib:write_atom/1 does, floats use the shortest round-trip digits
 * (io_lib_format:fwrite_g/1).  It keeps its own stack of open containers;
 * an event at depth D closes every container at depth >= D.
 */

/* bignums up to this many bytes print in decimal, longer ones in base 16 */
#define BIG_DECIMAL_MAX 4096
#define BIG_LIMBS (BIG_DECIMAL_MAX / 4)
/* 1e9-chunks of a BIG_DECIMAL_MAX-byte number: 32768 bits * log10(2) / 9 */
#define BIG_CHUNKS 1100
/* large maps inside large maps re-read their input; bound the nesting */
#define MAP_REVERSE_NEST 4

enum pkind {
	PK_LIST,	/* "[" elements "|" tail "]" */
	PK_TAIL,	/* LIST_EXT of no elements: only its tail prints */
	PK_TUPLE,
	PK_MAP
};

struct pframe {
	size_t depth;		/* depth of the container's event */
	uint64_t n_elems;	/* elements before the tail (lists), or children */
	uint64_t idx;		/* children seen */
	uint64_t shown;		/* elements (map: pairs) printed */
	enum pkind kind;
};

struct printer {
	const char *local;
	size_t local_len;
	bd_etf_node_channel_fn node_channel;
	void *node_ctx;
	size_t max_depth;
	size_t max_width;
	void (*write)(void *wctx, const char *s, size_t n);
	void *wctx;
	int rc;			/* the printer's own failure */
	size_t depth_off;	/* added to event depths while re-reading */
	size_t frame_floor;	/* frames below belong to an outer reading */
	unsigned nest;		/* large maps being re-read */
	int skipping;		/* ignore events deeper than skip_depth */
	size_t skip_depth;
	struct pframe *frames;
	size_t n_frames;
	size_t cap;
	locale_t c_locale;	/* float digits are formatted in "C" */
	struct pframe inline_frames[INLINE_DEPTH];
	uint32_t limbs[BIG_LIMBS];
	uint32_t chunks[BIG_CHUNKS];
	size_t out_len;
	char out[4096];
};

static void flush(struct printer *p)
{
	if (p->out_len)
		p->write(p->wctx, p->out, p->out_len);
	p->out_len = 0;
}

static void put(struct printer *p, const char *s, size_t n)
{
	while (n > 0) {
		size_t k = sizeof(p->out) - p->out_len;

		if (k == 0) {
			flush(p);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(p->out + p->out_len, s, k);
		p->out_len += k;
		s += k;
		n -= k;
	}
}

static void puts_(struct printer *p, const char *s)
{
	put(p, s, strlen(s));
}

static void put_u64(struct printer *p, uint64_t v)
{
	char b[24];
	size_t i = bd_format_dec(b, v, false);

	put(p, b + i, sizeof(b) - i);
}

static void put_i64(struct printer *p, int64_t v)
{
	char b[24];
	/* -(v + 1) + 1 cannot overflow, even for INT64_MIN */
	size_t i = bd_format_dec(b, v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v, v < 0);

	put(p, b + i, sizeof(b) - i);
}

/* Output a code point as UTF-8. */
static void put_cp(struct printer *p, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		b[0] = (char)cp;
		put(p, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		put(p, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		put(p, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		put(p, b, 4);
	}
}

/* io_lib:printable_latin1_list/1 accepts exactly these characters */
static int is_printable(uint32_t c)
{
	return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) ||
	       (c >= 8 && c <= 13) || c == 27;
}

/* One character of a quoted atom or string, escaped as io_lib does. */
static void put_quoted_char(struct printer *p, uint32_t c, char q)
{
	static const char esc[] = "btnvfr";
	char b[16];

	if (c == (uint32_t)q || c == '\\') {
		b[0] = '\\';
		b[1] = (char)c;
		put(p, b, 2);
	} else if ((c >= 32 && c <= 126) || (c >= 160 && c <= 255)) {
		put_cp(p, c);
	} else if (c >= 8 && c <= 13) {
		b[0] = '\\';
		b[1] = esc[c - 8];
		put(p, b, 2);
	} else if (c == 27) {
		put(p, "\\e", 2);
	} else if (c == 127) {
		put(p, "\\d", 2);
	} else if (c < 160) {
		b[0] = '\\';
		b[1] = (char)('0' + (c >> 6));
		b[2] = (char)('0' + (c >> 3 & 7));
		b[3] = (char)('0' + (c & 7));
		put(p, b, 4);
	} else {
		snprintf(b, sizeof(b), "\\x{%" PRIX32 "}", c);
		puts_(p, b);
	}
}

/* Decode one code point of text the decoder validated as UTF-8. */
static uint32_t next_cp(const uint8_t *s, size_t *i)
{
	uint8_t c = s[(*i)++];
	uint32_t cp;
	int extra;

	if (c < 0x80)
		return c;
	extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	cp = c & (0x3f >> extra);
	while (extra--)
		cp = cp << 6 | (s[(*i)++] & 0x3f);
	return cp;
}

/* Letters of latin-1 that erl_scan takes as name characters */
static int is_name_char(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '@' ||
	       (c >= 0xc0 && c <= 0xff && c != 0xd7 && c != 0xf7);
}

static int atom_needs_quotes(const struct bd_etf_atom *a)
{
	/* erl_scan:reserved_word/1 of OTP 25 (maybe/else need a feature) */
	static const char *const reserved[] = {
		"after", "and", "andalso", "band", "begin", "bnot", "bor",
		"bsl", "bsr", "bxor", "case", "catch", "cond", "div", "end",
		"fun", "if", "let", "not", "of", "or", "orelse", "receive",
		"rem", "try", "when", "xor"
	};
	const uint8_t *s = (const uint8_t *)a->ptr;
	size_t i = 0, k;
	uint32_t c;

	if (a->len == 0)
		return 1;
	c = next_cp(s, &i);
	/* a lower-case first letter: a-z or latin-1 sharp s to y diaeresis */
	if (!((c >= 'a' && c <= 'z') || (c >= 0xdf && c <= 0xff && c != 0xf7)))
		return 1;
	while (i < a->len)
		if (!is_name_char(next_cp(s, &i)))
			return 1;
	for (k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
		if (strlen(reserved[k]) == a->len &&
		    !memcmp(reserved[k], a->ptr, a->len))
			return 1;
	return 0;
}

static void put_atom(struct printer *p, const struct bd_etf_atom *a)
{
	size_t i = 0;

	if (!atom_needs_quotes(a)) {
		put(p, a->ptr, a->len);
		return;
	}
	put(p, "'", 1);
	while (i < a->len)
		put_quoted_char(p, next_cp((const uint8_t *)a->ptr, &i), '\'');
	put(p, "'", 1);
}

static int round_trips(const char *s, double v)
{
	return strtod(s, NULL) == v;
}

/*
 * Shortest digit string that reads back as v (v > 0, finite): the digits
 * go to dig (NUL-terminated, no trailing zeros) and the decimal exponent
 * of the first digit to *exp10.  For each length the correctly rounded
 * digits are tried first, then their neighbours, because near a power of
 * two the rounding interval is lopsided and a neighbour may fit when the
 * nearest does not.
 */
static size_t shortest_digits(double v, char *dig, int *exp10)
{
	char buf[48], cand[48];
	int prec, delta;

	for (prec = 1; prec <= 17; prec++) {
		size_t k = 0, n;
		const char *s;
		int e;

		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		for (s = buf; *s && *s != 'e'; s++)
			if (*s >= '0' && *s <= '9')
				dig[k++] = *s;
		dig[k] = '\0';
		e = (int)strtol(s + 1, NULL, 10);
		n = k;
		if (round_trips(buf, v))
			goto found;
		for (delta = 1; delta >= -1; delta -= 2) {
			char alt[24];
			size_t j = n;

			memcpy(alt, dig, n + 1);
			/* add delta to the last digit, with carry or borrow */
			while (j-- > 0) {
				if (delta > 0 && alt[j] == '9') {
					alt[j] = '0';
				} else if (delta < 0 && alt[j] == '0') {
					alt[j] = '9';
				} else {
					alt[j] = (char)(alt[j] + delta);
					break;
				}
			}
			if (j == (size_t)-1 || alt[0] == '0')
				continue;	/* the digit count changed */
			snprintf(cand, sizeof(cand), "%c.%se%d", alt[0],
				 alt + 1, e);
			if (round_trips(cand, v)) {
				memcpy(dig, alt, n + 1);
				goto found;
			}
		}
		continue;
found:
		while (n > 1 && dig[n - 1] == '0')
			dig[--n] = '\0';
		*exp10 = e;
		return n;
	}
	/* 17 digits always round-trip: not reached */
	*exp10 = 0;
	memcpy(dig, "0", 2);
	return 1;
}

/* Number of characters of the decimal form of e. */
static size_t int_width(int e)
{
	size_t n = e < 0 ? 2 : 1;

	for (e = e < 0 ? -e : e; e >= 10; e /= 10)
		n++;
	return n;
}

/*
 * io_lib_format:fwrite_g/1 (OTP 25): the shortest digits, written in plain
 * notation when that is not longer than the exponent form and |v| < 2^53,
 * else as d.ddde[-]x (always with a digit after the point).
 */
static void put_float(struct printer *p, double v)
{
	char dig[24];
	char buf[48];
	size_t n, plain_len, exp_len, i;
	int e, place;
	locale_t old = (locale_t)0;

	if (v == 0) {
		puts_(p, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	if (v < 0)
		put(p, "-", 1);
	if (p->c_locale)
		old = uselocale(p->c_locale);
	n = shortest_digits(fabs(v), dig, &e);
	if (p->c_locale)
		uselocale(old);
	place = e + 1;		/* digits before the decimal point */
	if (place <= 0)
		plain_len = 2 + (size_t)-place + n;
	else if ((size_t)place >= n)
		plain_len = (size_t)place + 2;
	else
		plain_len = n + 1;
	exp_len = (n == 1 ? 3 : n + 1) + 1 + int_width(e);
	if (plain_len > exp_len || fabs(v) >= 9007199254740992.0) {
		if (n == 1)
			snprintf(buf, sizeof(buf), "%c.0e%d", dig[0], e);
		else
			snprintf(buf, sizeof(buf), "%c.%se%d", dig[0], dig + 1,
				 e);
		puts_(p, buf);
		return;
	}
	if (place <= 0) {
		put(p, "0.", 2);
		for (i = 0; i < (size_t)-place; i++)
			put(p, "0", 1);
		put(p, dig, n);
	} else if ((size_t)place >= n) {
		put(p, dig, n);
		for (i = n; i < (size_t)place; i++)
			put(p, "0", 1);
		put(p, ".0", 2);
	} else {
		put(p, dig, (size_t)place);
		put(p, ".", 1);
		put(p, dig + place, n - (size_t)place);
	}
}

/* Decimal (or, past BIG_DECIMAL_MAX bytes, 16#hex) of a bignum. */
static void put_big(struct printer *p, const struct bd_etf_event *ev)
{
	const uint8_t *mag = ev->big.mag;
	size_t len = ev->big.len, n_limbs, n_chunks = 0, i;
	char b[16];

	if (ev->big.negative)
		put(p, "-", 1);
	if (len > BIG_DECIMAL_MAX) {
		/* schoolbook division would be quadratic: keep it exact, fast */
		put(p, "16#", 3);
		for (i = len; i-- > 0;) {
			snprintf(b, sizeof(b), i == len - 1 ? "%X" : "%02X",
				 (unsigned)mag[i]);
			puts_(p, b);
		}
		return;
	}
	n_limbs = (len + 3) / 4;
	memset(p->limbs, 0, n_limbs * sizeof(p->limbs[0]));
	for (i = 0; i < len; i++)
		p->limbs[i / 4] |= (uint32_t)mag[i] << (8 * (i % 4));
	while (n_limbs > 0) {
		uint64_t rem = 0;

		for (i = n_limbs; i-- > 0;) {
			uint64_t cur = rem << 32 | p->limbs[i];

			p->limbs[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		p->chunks[n_chunks++] = (uint32_t)rem;
		while (n_limbs > 0 && p->limbs[n_limbs - 1] == 0)
			n_limbs--;
	}
	put_u64(p, p->chunks[n_chunks - 1]);
	for (i = n_chunks - 1; i-- > 0;) {
		snprintf(b, sizeof(b), "%09" PRIu32, p->chunks[i]);
		puts_(p, b);
	}
}

/* "0" for the local node, the caller's channel, or the "?" placeholder */
static void put_channel(struct printer *p, const struct bd_etf_atom *node)
{
	int64_t ch = -1;

	if (node->len == p->local_len && !memcmp(node->ptr, p->local, p->local_len))
		ch = 0;
	else if (p->node_channel)
		ch = p->node_channel(p->node_ctx, node->ptr, node->len);
	if (ch < 0)
		put(p, "?", 1);
	else
		put_i64(p, ch);
}

/* A string of latin-1 characters, cut after max_width with "...". */
static void put_string(struct printer *p, const uint8_t *s, size_t n,
		       size_t stride)
{
	size_t i, shown = n;

	if (p->max_width && shown > p->max_width)
		shown = p->max_width;
	put(p, "\"", 1);
	for (i = 0; i < shown; i++)
		put_quoted_char(p, s[i * stride], '"');
	put(p, "\"", 1);
	if (shown < n)
		put(p, "...", 3);
}

static void put_byte_list(struct printer *p, const uint8_t *s, size_t n,
			  const char *open, const char *close)
{
	size_t i;

	puts_(p, open);
	for (i = 0; i < n; i++) {
		if (p->max_width && i == p->max_width) {
			puts_(p, "|...");
			break;
		}
		if (i)
			put(p, ",", 1);
		put_u64(p, s[i]);
	}
	puts_(p, close);
}

static void put_binary(struct printer *p, const struct bd_etf_event *ev)
{
	const uint8_t *s = ev->binary.ptr;
	size_t len = ev->binary.len, whole, i;
	int printable = ev->binary.bits == 8 && len > 0;

	if (len == 0) {
		put(p, "<<>>", 4);
		return;
	}
	for (i = 0; printable && i < len; i++)
		printable = is_printable(s[i]);
	put(p, "<<", 2);
	if (printable) {
		put_string(p, s, len, 1);
		put(p, ">>", 2);
		return;
	}
	whole = ev->binary.bits == 8 ? len : len - 1;
	for (i = 0; i < whole; i++) {
		if (p->max_width && i == p->max_width) {
			put(p, ",...>>", 6);
			return;
		}
		if (i)
			put(p, ",", 1);
		put_u64(p, s[i]);
	}
	if (whole < len) {
		if (whole)
			put(p, ",", 1);
		put_u64(p, s[whole] >> (8 - ev->binary.bits));
		put(p, ":", 1);
		put_u64(p, ev->binary.bits);
	}
	put(p, ">>", 2);
}

/* LIST_EXT whose elements are all printable SMALL_INTEGER_EXT, then NIL? */
static int list_is_string(const struct bd_etf_event *ev)
{
	const uint8_t *r = ev->raw;
	uint64_t n = ev->count, i;

	if (n == 0 || ev->raw_len < 6 || (ev->raw_len - 6) / 2 < n)
		return 0;
	for (i = 0; i < n; i++)
		if (r[5 + 2 * i] != 'a' || !is_printable(r[6 + 2 * i]))
			return 0;
	return r[5 + 2 * n] == 'j';
}

static void skip_children(struct printer *p, size_t depth)
{
	p->skipping = 1;
	p->skip_depth = depth;
}

static void close_frame(struct printer *p)
{
	struct pframe *f = &p->frames[--p->n_frames];

	if (f->kind == PK_LIST)
		put(p, "]", 1);
	else if (f->kind == PK_TUPLE || f->kind == PK_MAP)
		put(p, "}", 1);
}

static int push_frame(struct printer *p, size_t depth, enum pkind kind,
		      uint64_t n_elems)
{
	struct pframe *f;

	if (p->n_frames == p->cap) {
		size_t cap = p->cap * 2;
		struct pframe *nf = malloc(cap * sizeof(*nf));

		if (!nf) {
			p->rc = BD_ETF_ENOMEM;
			return 1;
		}
		memcpy(nf, p->frames, p->n_frames * sizeof(*nf));
		if (p->frames != p->inline_frames)
			free(p->frames);
		p->frames = nf;
		p->cap = cap;
	}
	f = &p->frames[p->n_frames++];
	f->depth = depth;
	f->n_elems = n_elems;
	f->idx = 0;
	f->shown = 0;
	f->kind = kind;
	return 0;
}

/*
 * Print what goes between the parent's previous child and this one.
 * Returns 1 when the event is consumed here (a nil tail, a merged tail,
 * or a cut by max_width).
 */
static int separate(struct printer *p, struct pframe *f,
		    const struct bd_etf_event *ev, size_t depth)
{
	size_t w = p->max_width, i;
	uint64_t idx = f->idx++;

	switch (f->kind) {
	case PK_LIST:
		if (idx < f->n_elems) {
			if (w && f->shown == w) {
				put(p, "|...", 4);
				skip_children(p, f->depth);
				return 1;
			}
			if (f->shown)
				put(p, ",", 1);
			f->shown++;
			return 0;
		}
		/* the tail: [] ends the list, a list continues it */
		if (ev->kind == BD_ETF_NIL)
			return 1;
		if (ev->kind == BD_ETF_LIST) {
			f->depth = depth;
			f->n_elems = ev->count;
			f->idx = 0;
			return 1;
		}
		if (ev->kind == BD_ETF_STRING) {
			for (i = 0; i < ev->string.len; i++, f->shown++) {
				if (w && f->shown == w) {
					put(p, "|...", 4);
					break;
				}
				put(p, ",", 1);
				put_u64(p, ev->string.ptr[i]);
			}
			return 1;
		}
		put(p, "|", 1);
		return 0;
	case PK_TUPLE:
		if (w && f->shown == w) {
			puts_(p, f->shown ? ",..." : "...");
			skip_children(p, f->depth);
			return 1;
		}
		if (f->shown++)
			put(p, ",", 1);
		return 0;
	case PK_MAP:
		if (idx % 2) {
			put(p, " => ", 4);
			return 0;
		}
		if (w && f->shown == w) {
			put(p, ",...", 4);
			skip_children(p, f->depth);
			return 1;
		}
		if (f->shown++)
			put(p, ",", 1);
		return 0;
	case PK_TAIL:
		return 0;
	}
	return 0;
}

static int print_event(void *ctx, const struct bd_etf_event *ev);

static int skip_event(void *ctx, const struct bd_etf_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

/*
 * OTP 25 prints a map of more than 32 keys (a hash map) in the reverse
 * of the order term_to_binary wrote it, so find where each of its terms
 * starts, then print the pairs backwards, re-reading each one.  Returns 0
 * when it could not (bad input, no memory, deep nesting): the caller then
 * prints the pairs in encoding order and the decoder reports any error.
 */
static int print_map_reversed(struct printer *p, const struct bd_etf_event *ev,
			      size_t depth)
{
	const uint8_t *body = ev->raw + 5;
	size_t len = ev->raw_len - 5, n = 2 * ev->count, i, pos = 0, used;
	size_t saved_floor = p->frame_floor, saved_off = p->depth_off, shown;
	size_t *starts;
	int rc = 0;

	if (p->nest >= MAP_REVERSE_NEST)
		return 0;
	starts = malloc((n + 1) * sizeof(*starts));
	if (!starts)
		return 0;
	for (i = 0; i < n; i++) {
		starts[i] = pos;
		if (decode_raw(body + pos, len - pos, skip_event, NULL, &used)) {
			free(starts);
			return 0;
		}
		pos += used;
	}
	starts[n] = pos;
	put(p, "#{", 2);
	p->nest++;
	p->frame_floor = p->n_frames;
	p->depth_off = depth + 1;
	for (shown = 0, i = n; i > 0 && !rc; i--, shown++) {
		if (i % 2 == 0 && p->max_width && shown / 2 == p->max_width) {
			put(p, ",...", 4);
			break;
		}
		if (shown)
			put(p, i % 2 ? " => " : ",", i % 2 ? 4 : 1);
		p->skipping = 0;
		/* pairs are key, value: the key of pair k is term 2k */
		rc = decode_raw(body + starts[i % 2 ? i : i - 2],
				starts[(i % 2 ? i : i - 2) + 1] -
					starts[i % 2 ? i : i - 2],
				print_event, p, &used);
		while (p->n_frames > p->frame_floor)
			close_frame(p);
	}
	p->nest--;
	p->frame_floor = saved_floor;
	p->depth_off = saved_off;
	put(p, "}", 1);
	free(starts);
	skip_children(p, depth);
	return 1;
}

static int print_event(void *ctx, const struct bd_etf_event *ev)
{
	struct printer *p = ctx;
	size_t depth = ev->depth + p->depth_off, i;

	if (p->skipping) {
		if (depth > p->skip_depth)
			return 0;
		p->skipping = 0;
	}
	while (p->n_frames > p->frame_floor &&
	       p->frames[p->n_frames - 1].depth >= depth)
		close_frame(p);
	if (p->n_frames > p->frame_floor &&
	    separate(p, &p->frames[p->n_frames - 1], ev, depth))
		return 0;
	if (p->max_depth && depth >= p->max_depth &&
	    ((ev->kind == BD_ETF_LIST) ||
	     ((ev->kind == BD_ETF_TUPLE || ev->kind == BD_ETF_MAP) &&
	      ev->count > 0))) {
		put(p, "...", 3);
		skip_children(p, depth);
		return 0;
	}
	switch (ev->kind) {
	case BD_ETF_INT:
		put_i64(p, ev->i);
		break;
	case BD_ETF_BIG:
		put_big(p, ev);
		break;
	case BD_ETF_FLOAT:
		put_float(p, ev->f);
		break;
	case BD_ETF_ATOM:
		put_atom(p, &ev->atom);
		break;
	case BD_ETF_NIL:
		put(p, "[]", 2);
		break;
	case BD_ETF_STRING: {
		int printable = 1;

		for (i = 0; printable && i < ev->string.len; i++)
			printable = is_printable(ev->string.ptr[i]);
		if (printable)
			put_string(p, ev->string.ptr, ev->string.len, 1);
		else
			put_byte_list(p, ev->string.ptr, ev->string.len, "[",
				      "]");
		break;
	}
	case BD_ETF_LIST:
		if (list_is_string(ev)) {
			put_string(p, ev->raw + 6, ev->count, 2);
			skip_children(p, depth);
			break;
		}
		if (ev->count == 0)
			return push_frame(p, depth, PK_TAIL, 0);
		put(p, "[", 1);
		return push_frame(p, depth, PK_LIST, ev->count);
	case BD_ETF_TUPLE:
		if (ev->count == 0) {
			put(p, "{}", 2);
			break;
		}
		put(p, "{", 1);
		return push_frame(p, depth, PK_TUPLE, ev->count);
	case BD_ETF_MAP:
		if (ev->count == 0) {
			put(p, "#{}", 3);
			break;
		}
		if (ev->count > 32 && print_map_reversed(p, ev, depth))
			return p->rc ? 1 : 0;
		put(p, "#{", 2);
		return push_frame(p, depth, PK_MAP, 2 * (uint64_t)ev->count);
	case BD_ETF_BINARY:
		put_binary(p, ev);
		break;
	case BD_ETF_PID:
		put(p, "<", 1);
		put_channel(p, &ev->pid.node);
		put(p, ".", 1);
		put_u64(p, ev->pid.id);
		put(p, ".", 1);
		put_u64(p, ev->pid.serial);
		put(p, ">", 1);
		break;
	case BD_ETF_PORT:
		put(p, "#Port<", 6);
		put_channel(p, &ev->port.node);
		put(p, ".", 1);
		put_u64(p, ev->port.id);
		put(p, ">", 1);
		break;
	case BD_ETF_REF:
		put(p, "#Ref<", 5);
		put_channel(p, &ev->ref.node);
		/*
		 * The last id is the most significant and prints first; the VM
		 * widens shorter old refs to three ids, so pad with zeros.
		 */
		for (i = ev->ref.n_ids; i < 3; i++)
			put(p, ".0", 2);
		for (i = ev->ref.n_ids; i-- > 0;) {
			put(p, ".", 1);
			put_u64(p, ev->ref.ids[i]);
		}
		put(p, ">", 1);
		break;
	case BD_ETF_FUN:
		put(p, "#Fun<", 5);
		put_atom(p, &ev->fun.module);
		put(p, ".", 1);
		put_i64(p, ev->fun.old_index);
		put(p, ".", 1);
		put_i64(p, ev->fun.old_uniq);
		put(p, ">", 1);
		/* ~p does not show the environment */
		if (ev->fun.n_free)
			skip_children(p, depth);
		break;
	case BD_ETF_EXPORT:
		put(p, "fun ", 4);
		put_atom(p, &ev->export.module);
		put(p, ":", 1);
		put_atom(p, &ev->export.function);
		put(p, "/", 1);
		put_u64(p, ev->export.arity);
		break;
	}
	return 0;
}

int bd_etf_print(const uint8_t *buf, size_t len,
		 const struct bd_etf_print_opts *opts,
		 void (*write)(void *wctx, const char *s, size_t n), void *wctx,
		 struct bd_etf_error *err)
{
	struct printer *p;
	int rc;

	p = malloc(sizeof(*p));
	if (!p) {
		return no_memory(err);
	}
	p->local = opts && opts->local_node ? opts->local_node : "nonode@nohost";
	p->local_len = strlen(p->local);
	p->node_channel = opts ? opts->node_channel : NULL;
	p->node_ctx = opts ? opts->node_ctx : NULL;
	p->max_depth = opts ? opts->max_depth : 0;
	p->max_width = opts ? opts->max_width : 0;
	p->write = write;
	p->wctx = wctx;
	p->rc = 0;
	p->skipping = 0;
	p->skip_depth = 0;
	p->depth_off = 0;
	p->frame_floor = 0;
	p->nest = 0;
	p->frames = p->inline_frames;
	p->n_frames = 0;
	p->cap = INLINE_DEPTH;
	p->out_len = 0;
	/* without a C locale the float digits still come out right in most */
	p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);

	rc = bd_etf_decode(buf, len, print_event, p, err);
	if (rc == BD_ETF_ESTOPPED && p->rc) {
		rc = p->rc;
		if (err) {
			err->code = rc;
			snprintf(err->message, sizeof(err->message),
				 "out of memory");
		}
	}
	if (!rc)
		while (p->n_frames)
			close_frame(p);
	flush(p);
	if (p->c_locale)
		freelocale(p->c_locale);
	if (p->frames != p->inline_frames)
		free(p->frames);
	free(p);
	return rc;
}
