/*
 * Fuzz target: heap terms and the external term format.
 *
 * The first input byte selects a mode (its low two bits), the rest is the
 * payload:
 *
 *   0  heap lines, in a 0.5 dump of a 64-bit OTP 25 node
 *   1  heap lines, in a 0.3 dump of a 32-bit R15B01 node (hex payloads)
 *   2  ETF bytes: decode and print, as given and behind a 131 version byte
 *   3  the same with options: small depth/width limits, a local node name,
 *      a channel callback and a decoder that stops after the first term
 *
 * In the heap modes the payload becomes the body of =proc_heap:<0.1.0>
 * inside a minimal dump (preamble and =proc taken from real dumps), so a
 * payload line starting with '=' opens a new section: "=literals" lines
 * give a literal area and "=binary:ADDR" lines refc binary payloads, as in
 * a real dump.  Every proc_heap and literals section is indexed; the
 * payload's first line is read as elements, the way stack and message
 * lines are; then each element and each heap line's address (a bounded
 * number of them) is taken as the root of a term, which is sized
 * (bd_term_size) and printed (bd_term_print) with small limits in Erlang
 * and Elixir syntax, and for the first few roots without depth or width
 * limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bd.h"
#include "index/dump.h"
#include "index/index.h"
#include "term/etf.h"
#include "term/heap.h"
#include "term/print.h"

/* Keep single runs fast and memory bounded. */
#define FUZZ_MAX_INPUT ((size_t)1 << 20)
/* Each root walks what it reaches: cap the roots so big heaps stay linear-ish. */
#define FUZZ_MAX_ROOTS 256
#define FUZZ_MAX_LINE_ELEMS 64
/* Roots also printed without depth and width limits, and the output cap then. */
#define FUZZ_MAX_FULL_PRINTS 16
#define FUZZ_FULL_PRINT_BYTES ((size_t)64 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char preamble_new[] =
	"=erl_crash_dump:0.5\n"
	"Sun Nov 29 18:35:24 2026\n"
	"Slogan: fuzz: halted on purpose\n"
	"System version: Erlang/OTP 25 [erts-13.1.5] [source] [64-bit] [smp:2:2] "
	"[ds:2:2:10] [async-threads:1] [jit:ns]\n"
	"Taints: \n"
	"Atoms: 9223\n"
	"Calling Thread: scheduler:2\n";

static const char preamble_old[] =
	"=erl_crash_dump:0.3\n"
	"Tue Feb 28 10:11:12 2012\n"
	"Slogan: fuzz: halted on purpose\n"
	"System version: Erlang R15B01 (erts-5.9.1) [source] [smp:2:2] [async-threads:0] "
	"[hipe] [kernel-poll:false]\n"
	"Compiled: Sun Apr  1 12:00:00 2012\n"
	"Taints: \n"
	"Atoms: 6512\n";

static const char proc_section[] =
	"=proc:<0.1.0>\n"
	"State: Waiting\n"
	"Name: fuzz_srv\n"
	"Spawned as: proc_lib:init_p/5\n"
	"Spawned by: <0.0.0>\n"
	"Message queue length: 0\n"
	"Number of heap fragments: 0\n"
	"Heap fragment data: 0\n"
	"Link list: [<0.0.0>]\n"
	"Reductions: 7\n"
	"Stack+heap: 233\n"
	"OldHeap: 0\n"
	"Heap unused: 100\n"
	"OldHeap unused: 0\n"
	"BinVHeap: 0\n"
	"OldBinVHeap: 0\n"
	"BinVHeap unused: 46422\n"
	"OldBinVHeap unused: 46422\n"
	"Memory: 2640\n"
	"Program counter: 0x00007fb36ffcce34 (gen_server:loop/7 + 596)\n"
	"arity = 0\n"
	"Internal State: ACT_PRIO_NORMAL | USR_PRIO_NORMAL | PRQ_PRIO_NORMAL\n"
	"=proc_heap:<0.1.0>\n";

static const char end_section[] = "=end\n";

/* ------------------------------------------------------------- heap mode */

static void print_root(const struct bd_term_ctx *c, const struct bd_elem *e,
		       const struct bd_print_opts *o, const struct bd_print_extra *x)
{
	struct bd_buf out = BD_BUF_INIT;
	struct bd_error err;

	memset(&err, 0, sizeof(err));
	if (x)
		(void)bd_term_print_ex(c, e, o, x, &out, &err);
	else
		(void)bd_term_print(c, e, o, &out, &err);
	/* the cap holds: at most max_bytes plus the "..." that ends the text */
	if (o->max_bytes && !out.oom && out.len > o->max_bytes + 3)
		abort();
	if (out.ptr[out.len] != '\0')
		abort();
	bd_buf_release(&out);
}

/* Size a root, print it with small limits and, for the first few, without. */
static void size_root(const struct bd_term_ctx *c, const struct bd_elem *e,
		      const struct bd_bin_index *bins, size_t *full_prints)
{
	struct bd_term_size sz;
	struct bd_error err;
	struct bd_print_opts small;
	struct bd_print_opts full;
	struct bd_print_extra extra;

	memset(&err, 0, sizeof(err));
	(void)bd_term_size(c, e, &sz, &err);

	memset(&small, 0, sizeof(small));
	small.syntax = BD_SYNTAX_ERLANG;
	small.depth = 3;
	small.width = 4;
	small.max_bytes = 200;
	print_root(c, e, &small, NULL);
	memset(&extra, 0, sizeof(extra));
	extra.unicode = true;
	extra.binaries = bins;
	small.syntax = BD_SYNTAX_ELIXIR;
	print_root(c, e, &small, &extra);

	if (*full_prints >= FUZZ_MAX_FULL_PRINTS)
		return;
	(*full_prints)++;
	/*
	 * No depth or width limit. A shared subterm prints once per
	 * reference, so a small heap can denote a huge text: an output cap
	 * keeps the run finite.
	 */
	memset(&full, 0, sizeof(full));
	full.syntax = (*full_prints & 1) ? BD_SYNTAX_ERLANG : BD_SYNTAX_ELIXIR;
	full.max_bytes = FUZZ_FULL_PRINT_BYTES;
	extra.unicode = (*full_prints & 2) != 0;
	print_root(c, e, &full, (*full_prints & 4) ? &extra : NULL);
}

/* The address that starts a heap line ("7FB36E8AD458:..."), or 0. */
static uint64_t line_address(const char *p, const char *end)
{
	uint64_t v = 0;
	size_t n = 0;

	while (p + n < end && n < 16) {
		int dgt = bd_hex_digit(p[n]);
		if (dgt < 0)
			break;
		v = (v << 4) | (uint64_t)dgt;
		n++;
	}
	return n && p + n < end && p[n] == ':' ? v : 0;
}

/*
 * Every address that starts a line of the heap sections of one kind, as
 * the root of a term (the index itself is opaque, so lines are re-read).
 */
static void size_every_address(const struct bd_term_ctx *c, const struct bd_heap *h,
			       enum bd_sect kind, const struct bd_bin_index *bins,
			       size_t *full_prints)
{
	size_t roots = 0;

	for (size_t i = 0; i < c->d->index.n && roots < FUZZ_MAX_ROOTS; i++) {
		struct bd_section s;

		bd_section_get(c->d, i, &s);
		if (s.kind != kind)
			continue;
		const char *p = s.body.ptr;
		const char *end = p + s.body.len;
		while (p < end && roots < FUZZ_MAX_ROOTS) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			struct bd_elem e;
			struct bd_obj o;

			memset(&e, 0, sizeof(e));
			e.kind = BD_ELEM_PTR;
			e.addr = line_address(p, end);
			p = nl ? nl + 1 : end;
			if (!e.addr)
				continue;
			/* what the index found reads back as an object */
			if (bd_heap_get(h, c->d, e.addr, &o) && o.text.len == 0)
				abort();
			size_root(c, &e, bins, full_prints);
			roots++;
		}
	}
}

/* The first payload line read as elements, as stack and message lines are. */
static void first_line_elements(const struct bd_term_ctx *c, const char *p, size_t len,
				const struct bd_bin_index *bins, size_t *full_prints)
{
	const char *nl = memchr(p, '\n', len);
	const char *end = nl ? nl : p + len;
	size_t sized = 0;

	while (p < end) {
		struct bd_elem e;
		size_t n = bd_elem_parse(p, end, &e);

		if (!n) {
			p++;
			continue;
		}
		if (n > (size_t)(end - p))
			abort(); /* consumed more than the line holds */
		if (e.text.len && (e.text.ptr < p || e.text.ptr + e.text.len > end))
			abort(); /* text outside what was parsed */
		if (e.kind == BD_ELEM_ATOM) {
			struct bd_buf out = BD_BUF_INIT;
			bd_print_atom(e.text, BD_SYNTAX_ERLANG, &out);
			bd_print_atom(e.text, BD_SYNTAX_ELIXIR, &out);
			bd_buf_release(&out);
		}
		if (sized < FUZZ_MAX_LINE_ELEMS) {
			struct bd_obj o;
			if (e.kind == BD_ELEM_PTR)
				(void)bd_term_resolve(c, e.addr, &o);
			/* immediates print too */
			size_root(c, &e, bins, full_prints);
			sized++;
		}
		p += n;
		/* one separator (',', '|', ':' or anything else) between elements */
		if (p < end)
			p++;
	}
}

static void heap_mode(const uint8_t *payload, size_t len, int old)
{
	const char *pre = old ? preamble_old : preamble_new;
	size_t pre_len = strlen(pre);
	size_t proc_len = sizeof(proc_section) - 1;
	size_t end_len = sizeof(end_section) - 1;
	size_t total = pre_len + proc_len + len + 1 + end_len;
	char *text = malloc(total);
	size_t at = 0;
	struct bd_dump *d = NULL;
	struct bd_error err;
	struct bd_heap heap;
	struct bd_heap literals;

	if (!text)
		return;
	memcpy(text + at, pre, pre_len);
	at += pre_len;
	memcpy(text + at, proc_section, proc_len);
	at += proc_len;
	const char *body = text + at;
	if (len)
		memcpy(text + at, payload, len);
	at += len;
	if (len && payload[len - 1] != '\n')
		text[at++] = '\n';
	memcpy(text + at, end_section, end_len);
	at += end_len;

	memset(&err, 0, sizeof(err));
	if (bd_dump_open_mem(&d, text, at, "fuzz", &err) != BD_OK) {
		free(text);
		return;
	}
	memset(&heap, 0, sizeof(heap));
	memset(&literals, 0, sizeof(literals));
	for (size_t i = 0; i < d->index.n; i++) {
		struct bd_section s;

		bd_section_get(d, i, &s);
		if (s.kind == BD_SECT_PROC_HEAP)
			(void)bd_heap_add_section(&heap, d, i, &err);
		else if (s.kind == BD_SECT_LITERALS)
			(void)bd_heap_add_section(&literals, d, i, &err);
	}

	struct bd_bin_index bins;
	size_t full_prints = 0;
	memset(&bins, 0, sizeof(bins));
	(void)bd_bin_index_build(d, &bins, &err);

	struct bd_term_ctx c;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.heap = &heap;
	c.literals = &literals;
	first_line_elements(&c, body, len, &bins, &full_prints);
	size_every_address(&c, &heap, BD_SECT_PROC_HEAP, &bins, &full_prints);
	size_every_address(&c, &literals, BD_SECT_LITERALS, &bins, &full_prints);

	bd_bin_index_release(&bins);
	bd_heap_release(&heap);
	bd_heap_release(&literals);
	bd_dump_free(d);
	free(text);
}

/* -------------------------------------------------------------- ETF mode */

struct touch {
	uint64_t sum;
	size_t events;
};

static uint64_t touch_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

/* Read everything an event points to, so a bad pointer or length shows up. */
static int on_event(void *ctx, const struct bd_etf_event *ev)
{
	struct touch *t = ctx;

	t->events++;
	t->sum += touch_bytes(ev->raw, ev->raw_len) + ev->depth;
	switch (ev->kind) {
	case BD_ETF_BIG:
		t->sum += touch_bytes(ev->big.mag, ev->big.len);
		break;
	case BD_ETF_ATOM:
		t->sum += touch_bytes(ev->atom.ptr, ev->atom.len);
		break;
	case BD_ETF_STRING:
		t->sum += touch_bytes(ev->string.ptr, ev->string.len);
		break;
	case BD_ETF_BINARY:
		t->sum += touch_bytes(ev->binary.ptr, ev->binary.len) + ev->binary.bits;
		break;
	case BD_ETF_PID:
		t->sum += touch_bytes(ev->pid.node.ptr, ev->pid.node.len);
		break;
	case BD_ETF_PORT:
		t->sum += touch_bytes(ev->port.node.ptr, ev->port.node.len);
		break;
	case BD_ETF_REF:
		if (ev->ref.n_ids < 1 || ev->ref.n_ids > BD_ETF_MAX_REF_IDS)
			abort();
		t->sum += touch_bytes(ev->ref.node.ptr, ev->ref.node.len);
		t->sum += touch_bytes(ev->ref.ids, ev->ref.n_ids * sizeof(ev->ref.ids[0]));
		break;
	case BD_ETF_FUN:
		t->sum += touch_bytes(ev->fun.module.ptr, ev->fun.module.len);
		t->sum += touch_bytes(ev->fun.pid.node.ptr, ev->fun.pid.node.len);
		break;
	case BD_ETF_EXPORT:
		t->sum += touch_bytes(ev->export.module.ptr, ev->export.module.len);
		t->sum += touch_bytes(ev->export.function.ptr, ev->export.function.len);
		break;
	default:
		break;
	}
	/* stop now and then, to exercise the early exit */
	return t->events > 100000 ? 1 : 0;
}

static void on_write(void *wctx, const char *s, size_t n)
{
	struct touch *t = wctx;

	t->sum += touch_bytes(s, n);
}

static int64_t node_channel(void *ctx, const char *node, size_t len)
{
	(void)ctx;
	/* some nodes are known, some are not */
	return len && (node[0] & 1) ? (int64_t)len : -1;
}

static void etf_once(const uint8_t *buf, size_t len, int with_opts)
{
	struct touch t = { 0, 0 };
	struct bd_etf_error err;

	memset(&err, 0, sizeof(err));
	if (bd_etf_decode(buf, len, on_event, &t, &err) != BD_ETF_OK)
		(void)strlen(err.message);

	memset(&err, 0, sizeof(err));
	if (!with_opts) {
		(void)bd_etf_print(buf, len, NULL, on_write, &t, &err);
		return;
	}

	struct bd_etf_decode_opts dopts;
	size_t consumed = 0;
	memset(&dopts, 0, sizeof(dopts));
	dopts.max_depth = 8;
	dopts.max_inflated = 1 << 16;
	dopts.allow_trailing = 1;
	if (bd_etf_decode_ex(buf, len, &dopts, on_event, &t, &consumed, &err) == BD_ETF_OK &&
	    consumed > len)
		abort();

	struct bd_etf_print_opts popts;
	memset(&popts, 0, sizeof(popts));
	popts.local_node = "fuzz@host";
	popts.node_channel = node_channel;
	popts.max_depth = 3;
	popts.max_width = 4;
	memset(&err, 0, sizeof(err));
	(void)bd_etf_print(buf, len, &popts, on_write, &t, &err);
	(void)strlen(err.message);
}

static void etf_mode(const uint8_t *payload, size_t len, int with_opts)
{
	uint8_t *copy = malloc(len + 1);

	/* as given (the payload may or may not start with 131) */
	etf_once(payload, len, with_opts);
	if (!copy)
		return;
	/* and behind a version byte, so that raw tags reach the term decoder */
	copy[0] = BD_ETF_VERSION;
	if (len)
		memcpy(copy + 1, payload, len);
	etf_once(copy, len + 1, with_opts);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	switch (data[0] & 3) {
	case 0:
	case 1:
		heap_mode(data + 1, size - 1, data[0] & 1);
		break;
	default:
		etf_mode(data + 1, size - 1, data[0] & 1);
		break;
	}
	return 0;
}
