/*
 * Payloads the dump holds as text: refc binaries (=binary sections, found
 * by address), heap and sub binaries, and external-format terms (E
 * objects), in base64 or, before dump 0.5, hex.
 */
#ifndef BD_TERM_PAYLOAD_H
#define BD_TERM_PAYLOAD_H

#include "bd.h"
#include "term/heap.h"

/* Address -> =binary:ADDR section, for refc binary payloads. */
struct bd_bin_index {
	struct bd_sort_key *v;   /* key: a binary's address, at: its section; by address */
	size_t n;
};

/* Index every =binary section of d (O(sections)); release with bd_bin_index_release. */
enum bd_status bd_bin_index_build(const struct bd_dump *d, struct bd_bin_index *out,
				  struct bd_error *err);
void bd_bin_index_release(struct bd_bin_index *bi);
/*
 * The dump's own index, built on first use and kept with the dump; NULL
 * when out of memory. Build it before threads share the dump.
 */
const struct bd_bin_index *bd_dump_binaries(struct bd_dump *d);
/*
 * Payload text (base64, or hex before dump 0.5) and byte size of the
 * binary at addr; false if the dump has no such section.
 */
bool bd_bin_index_get(const struct bd_bin_index *bi, const struct bd_dump *d, uint64_t addr,
		      struct bd_slice *payload, uint64_t *size);
/* The same in two steps: the binary's place in bi->v (SIZE_MAX: none), then its payload. */
size_t bd_bin_index_find(const struct bd_bin_index *bi, uint64_t addr);
bool bd_bin_index_read(const struct bd_bin_index *bi, const struct bd_dump *d, size_t at,
		       struct bd_slice *payload, uint64_t *size);

/* Bytes [off, off + size) of a binary's payload text. */
struct bd_binview {
	struct bd_slice text;
	bool hex;
	uint64_t off;
	uint64_t size;
	bool missing;   /* the payload is not in the dump */
};

/* n bytes from pos of the view into dst; false if they are not all there. */
bool bd_binview_read(const struct bd_binview *v, uint64_t pos, size_t n, uint8_t *dst);
/* A Yc's payload: the =binary section at addr. */
bool bd_binview_refc(const struct bd_term_ctx *c, const struct bd_bin_index *bins, uint64_t addr,
		     uint64_t off, uint64_t size, struct bd_binview *v);
/* A Yh's payload: the object's own text. */
bool bd_binview_heap(const struct bd_term_ctx *c, const struct bd_obj *o, uint64_t off,
		     uint64_t size, struct bd_binview *v);
/* A Ys target: the original Yc/Yh line, or a =binary section (format doc 3.2, 3.5). */
bool bd_binview_sub(const struct bd_term_ctx *c, const struct bd_bin_index *bins,
		    const struct bd_obj *o, struct bd_binview *v);

/*
 * The term_to_binary bytes of an E object, decoded into local (cap bytes)
 * or, when larger, into memory the caller frees with bd_free(*bytes) if
 * *bytes != local. False if the payload cannot be decoded.
 */
bool bd_ext_term_bytes(const struct bd_term_ctx *c, const struct bd_obj *o, uint8_t *local,
		       size_t cap, uint8_t **bytes, size_t *len);

/* Kind (enum bd_etf_kind) of the term an E object holds, or -1 if undecodable. */
int bd_ext_term_kind(const struct bd_term_ctx *c, const struct bd_obj *o);

#endif
