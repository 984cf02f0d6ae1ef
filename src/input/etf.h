/*
 * Erlang external term format (ETF): an exact, allocation-light decoder.
 * It is part of the input stage because live snapshots are ETF frames;
 * the printer built on it is term/etf.h.
 *
 * Input is the output of term_to_binary/1,2: a version byte 131 followed
 * by one term, optionally zlib-compressed (tag 'P').  Crash dumps carry
 * such bytes for refs, funs, export funs, remote pids and ports, pre-0.5
 * maps and module attributes (see docs/crash-dump-format.md section 3.2);
 * live snapshots will use the same decoder.
 *
 * The decoder is iterative: it walks the term in pre-order and calls one
 * callback per term.  Containers announce how many terms follow (their
 * children, in order) instead of producing end events; the depth field of
 * each event locates it in the tree.  Nothing is global and nothing is
 * shared between calls, so separate calls may run in separate threads.
 * Memory used: a depth stack (8 bytes per nesting level, at most
 * max_depth levels) and, for compressed terms only, the inflated bytes.
 */
#ifndef BD_INPUT_ETF_H
#define BD_INPUT_ETF_H

#include <stddef.h>
#include <stdint.h>

#define BD_ETF_VERSION 131
#define BD_ETF_DEFAULT_MAX_DEPTH 10000
/* the inflated size of a compressed term must not exceed this by default */
#define BD_ETF_DEFAULT_MAX_INFLATED ((size_t)64 << 20)
/* pid, port and ref NEWER_REFERENCE_EXT ids: Erlang/OTP writes up to 5 */
#define BD_ETF_MAX_REF_IDS 5

enum bd_etf_status {
	BD_ETF_OK = 0,
	BD_ETF_ETRUNCATED,	/* the input ends inside a term */
	BD_ETF_EFORMAT,		/* bad version byte, unknown tag, invalid field */
	BD_ETF_EUNSUPPORTED,	/* valid ETF this decoder does not handle */
	BD_ETF_EDEPTH,		/* nesting deeper than max_depth */
	BD_ETF_ELIMIT,		/* declared size over a limit, or not inflatable */
	BD_ETF_ETRAILING,	/* bytes left after the term */
	BD_ETF_ENOMEM,		/* allocation failed */
	BD_ETF_ESTOPPED		/* the callback returned non-zero */
};

struct bd_etf_error {
	enum bd_etf_status code;
	/*
	 * Byte offset of the problem: in the input, or in the inflated bytes
	 * of a compressed term when in_inflated is set (offset 0 there is the
	 * first byte after the version byte, as in term_to_binary/1 output).
	 */
	size_t offset;
	int in_inflated;
	int cb_result;		/* the callback's value for BD_ETF_ESTOPPED */
	char message[128];	/* NUL-terminated, lower case, no full stop */
};

enum bd_etf_kind {
	BD_ETF_INT,	/* integer that fits int64_t: i */
	BD_ETF_BIG,	/* integer that does not: big */
	BD_ETF_FLOAT,	/* f; always finite */
	BD_ETF_ATOM,	/* atom */
	BD_ETF_NIL,	/* [] */
	BD_ETF_STRING,	/* STRING_EXT: bytes, a proper list of integers 0..255 */
	BD_ETF_LIST,	/* count elements follow, then the tail (count + 1 terms) */
	BD_ETF_TUPLE,	/* count elements follow */
	BD_ETF_MAP,	/* 2 * count terms follow: k1, v1, k2, v2, ... */
	BD_ETF_BINARY,	/* bytes; bits used in the last byte (1..8) */
	BD_ETF_PID,	/* pid */
	BD_ETF_PORT,	/* port */
	BD_ETF_REF,	/* ref */
	BD_ETF_FUN,	/* fun; its fun.n_free free variables follow */
	BD_ETF_EXPORT	/* export: fun M:F/A */
};

/*
 * An atom name in UTF-8 (latin-1 atoms are converted), not NUL-terminated.
 * ptr points into the input (UTF-8 and ASCII names) or, for latin-1 names
 * beyond ASCII, into scratch space of the decoder valid only until the
 * callback returns.
 */
struct bd_etf_atom {
	const char *ptr;
	size_t len;
};

struct bd_etf_pid {
	struct bd_etf_atom node;
	uint32_t id;
	uint32_t serial;
	uint32_t creation;	/* 1 byte in PID_EXT, 4 in NEW_PID_EXT */
};

struct bd_etf_port {
	struct bd_etf_atom node;
	uint64_t id;		/* 64 bits in V4_PORT_EXT */
	uint32_t creation;
};

struct bd_etf_ref {
	struct bd_etf_atom node;
	uint32_t creation;
	size_t n_ids;		/* 1..BD_ETF_MAX_REF_IDS */
	uint32_t ids[BD_ETF_MAX_REF_IDS];	/* in encoding order: ids[0] first */
};

struct bd_etf_fun {
	struct bd_etf_atom module;
	int is_old;		/* FUN_EXT ('u'): no arity, uniq or index fields */
	int arity;		/* -1 for FUN_EXT */
	uint8_t uniq[16];	/* MD5 of the module; zero for FUN_EXT */
	uint32_t index;		/* NEW_FUN_EXT index; FUN_EXT's index for 'u' */
	int64_t old_index;	/* the index printed in #Fun<M.I.U> */
	int64_t old_uniq;	/* the uniq printed in #Fun<M.I.U> */
	struct bd_etf_pid pid;	/* the creating process */
	uint32_t n_free;	/* free variables that follow as terms */
};

struct bd_etf_export {
	struct bd_etf_atom module;
	struct bd_etf_atom function;
	unsigned arity;
};

/* One decoded term.  Every pointer is valid only during the callback. */
struct bd_etf_event {
	enum bd_etf_kind kind;
	size_t offset;		/* offset of the tag byte (see bd_etf_error) */
	int in_inflated;	/* offset is in the inflated bytes */
	size_t depth;		/* 0 for the root, parent's depth + 1 otherwise */
	const uint8_t *raw;	/* the tag byte; raw_len bytes are readable */
	size_t raw_len;
	union {
		int64_t i;
		struct {
			int negative;
			const uint8_t *mag;	/* little-endian, no high zero bytes */
			size_t len;		/* > 8 */
		} big;
		double f;
		struct bd_etf_atom atom;
		size_t count;		/* LIST, TUPLE, MAP */
		struct {
			const uint8_t *ptr;
			size_t len;
		} string;		/* STRING */
		struct {
			const uint8_t *ptr;
			size_t len;	/* bytes, including a partial last one */
			unsigned bits;	/* 8 unless a bitstring; 0 if len is 0 */
		} binary;
		struct bd_etf_pid pid;
		struct bd_etf_port port;
		struct bd_etf_ref ref;
		struct bd_etf_fun fun;
		struct bd_etf_export export;
	};
};

/*
 * Called once per term in pre-order.  ev is borrowed for the call.  A
 * non-zero return stops decoding: bd_etf_decode then returns
 * BD_ETF_ESTOPPED and stores the value in err->cb_result.
 */
typedef int (*bd_etf_event_fn)(void *ctx, const struct bd_etf_event *ev);

/* Options for bd_etf_decode_ex(); zero fields take the defaults. */
struct bd_etf_decode_opts {
	size_t max_depth;	/* 0: BD_ETF_DEFAULT_MAX_DEPTH */
	size_t max_inflated;	/* 0: BD_ETF_DEFAULT_MAX_INFLATED */
	int allow_trailing;	/* stop after the term instead of failing */
};

/*
 * Decode the ETF bytes buf[0..len), which must start with the version byte
 * 131, calling fn(ctx, ev) for every term.  The bytes are borrowed.
 *
 * Supported: integers, bignums, both float encodings, the four atom
 * encodings, all pid, port and ref encodings, tuples, maps, nil, strings,
 * lists (improper too), binaries, bitstrings, NEW_FUN_EXT, FUN_EXT,
 * EXPORT_EXT and a compressed root.  Atom cache references, distribution
 * headers and LOCAL_EXT give BD_ETF_EUNSUPPORTED.
 *
 * Every length is checked against the input before use, and a count larger
 * than the bytes left fails at once, so the cost is O(len) (plus inflating).
 * Atoms must be valid UTF-8 of at most 255 characters; floats must be finite.
 *
 * Returns BD_ETF_OK, or an error code that is also stored in *err (if err
 * is not NULL) with an offset and a message.  Events already delivered stay
 * delivered.  err is left alone on success.
 */
int bd_etf_decode(const uint8_t *buf, size_t len, bd_etf_event_fn fn,
		  void *ctx, struct bd_etf_error *err);

/*
 * bd_etf_decode() with options (opts may be NULL).  When consumed is not
 * NULL it receives the number of input bytes the term used, which is less
 * than len only with allow_trailing.
 */
int bd_etf_decode_ex(const uint8_t *buf, size_t len,
		     const struct bd_etf_decode_opts *opts, bd_etf_event_fn fn,
		     void *ctx, size_t *consumed, struct bd_etf_error *err);

/* How many terms follow ev as its children (see bd_etf_event_fn). */
static inline uint64_t bd_etf_children(const struct bd_etf_event *ev)
{
	switch (ev->kind) {
	case BD_ETF_LIST:
		return (uint64_t)ev->count + 1;
	case BD_ETF_TUPLE:
		return ev->count;
	case BD_ETF_MAP:
		return 2 * (uint64_t)ev->count;
	case BD_ETF_FUN:
		return ev->fun.n_free;
	default:
		return 0;
	}
}

/*
 * Walk the one term at buf, which has no version byte, with the default
 * limits, and report the bytes it used: a term inside a term can be read
 * again on its own.
 */
int bd_etf_decode_raw(const uint8_t *buf, size_t len, bd_etf_event_fn fn,
		      void *ctx, size_t *consumed);

/* Fill err for a decoder or printer that could not allocate itself. */
int bd_etf_no_memory(struct bd_etf_error *err);

#endif /* BD_INPUT_ETF_H */
