/*
 * Decoder for the Erlang external term format.
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
#include "input/etf.h"
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
		/* ASCII reads the same in UTF-8: point into the buffer */
		for (i = 0; i < n && d->buf[d->pos + i] < 0x80; i++)
			;
		if (i == n) {
			a->ptr = (const char *)(d->buf + d->pos);
			a->len = n;
			d->pos += n;
			return 0;
		}
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
/*
 * walk() clears an event's header and its small members only (a term's
 * whole event is 150 bytes, and clearing it dominated decoding rows); the
 * kinds with larger members clear the rest before they fill it.
 */
#define EVENT_UNION offsetof(struct bd_etf_event, i)
#define EVENT_SMALL (EVENT_UNION + sizeof(((struct bd_etf_event *)0)->binary))
_Static_assert(sizeof(((struct bd_etf_event *)0)->big) <= sizeof(((struct bd_etf_event *)0)->binary),
	       "a small member is cleared by walk()");

static void clear_large_members(struct bd_etf_event *ev)
{
	memset((char *)ev + EVENT_SMALL, 0, sizeof(*ev) - EVENT_SMALL);
}

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
		clear_large_members(ev);
		ev->kind = BD_ETF_PID;
		return read_pid_body(d, tag, off, 0, &ev->pid);
	case 'f':
	case 'Y':
	case 'x':
		clear_large_members(ev);
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
		clear_large_members(ev);
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
		clear_large_members(ev);
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
		clear_large_members(ev);
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
		clear_large_members(ev);
		ev->kind = BD_ETF_FUN;
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

		clear_large_members(ev);
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
		memset(&ev, 0, EVENT_SMALL);
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

int bd_etf_decode_raw(const uint8_t *buf, size_t len, bd_etf_event_fn fn,
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

int bd_etf_no_memory(struct bd_etf_error *err)
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
		return bd_etf_no_memory(err);
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
