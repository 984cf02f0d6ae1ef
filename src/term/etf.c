/*
 * Printer for the Erlang external term format, on the decoder of
 * input/etf.c.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "bd.h"
#include "term/etf.h"
#include "term/text.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_DEPTH 64

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
	struct bd_text text;	/* the shared pieces write through it: put */
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
	struct pframe inline_frames[INLINE_DEPTH];
	uint32_t limbs[BIG_LIMBS];
	uint32_t chunks[BIG_LIMBS + BIG_LIMBS / 8 + 1];
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

static void text_put(struct bd_text *t, const char *s, size_t n)
{
	put((struct printer *)t, s, n);
}

static void put_u64(struct printer *p, uint64_t v)
{
	bd_text_u64(&p->text, v);
}

static void put_i64(struct printer *p, int64_t v)
{
	bd_text_i64(&p->text, v);
}

/* ~p: latin-1 characters as themselves, the others escaped */
static void put_quoted_char(struct printer *p, uint32_t c, char q)
{
	bd_text_erl_char(&p->text, c, q, false);
}

static void put_atom(struct printer *p, const struct bd_etf_atom *a)
{
	const uint8_t *u = (const uint8_t *)a->ptr;
	size_t i = 0;

	if (bd_erl_atom_bare(bd_slice_make(a->ptr, a->len))) {
		put(p, a->ptr, a->len);
		return;
	}
	put(p, "'", 1);
	/* the decoder checked the text is UTF-8 */
	while (i < a->len) {
		size_t n = bd_utf8_len(u + i, a->len - i, NULL);
		put_quoted_char(p, bd_utf8_decode(u + i, n ? n : 1), '\'');
		i += n ? n : 1;
	}
	put(p, "'", 1);
}

/* Decimal (or, past BIG_DECIMAL_MAX bytes, 16#hex) of a bignum. */
static void put_big(struct printer *p, const struct bd_etf_event *ev)
{
	const uint8_t *mag = ev->big.mag;
	size_t len = ev->big.len, n_limbs, i;
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
	bd_text_limbs(&p->text, p->limbs, n_limbs, p->chunks);
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
		printable = bd_latin1_printable(s[i]);
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
		if (r[5 + 2 * i] != 'a' || !bd_latin1_printable(r[6 + 2 * i]))
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
		if (bd_etf_decode_raw(body + pos, len - pos, skip_event, NULL, &used)) {
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
		rc = bd_etf_decode_raw(body + starts[i % 2 ? i : i - 2],
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
		bd_text_float(&p->text, ev->f);
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
			printable = bd_latin1_printable(ev->string.ptr[i]);
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
		return bd_etf_no_memory(err);
	}
	p->text.put = text_put;
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
	if (p->frames != p->inline_frames)
		free(p->frames);
	free(p);
	return rc;
}
