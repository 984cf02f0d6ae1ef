/*
 * Payloads the dump holds as text: refc binaries (=binary sections, found
 * through an index by address), heap and sub binaries (Yh, Ys) and
 * external-format terms (E objects), in base64 or, before dump 0.5, hex.
 */
#include "bd.h"
#include "term/payload.h"
#include "input/etf.h"
#include "util/base64.h"

/* ------------------------------------------------------ binary index */

static int address_cmp(const void *a, const void *b)
{
	const struct bd_sort_key *x = a;
	const struct bd_sort_key *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

enum bd_status bd_bin_index_build(const struct bd_dump *d, struct bd_bin_index *out,
				  struct bd_error *err)
{
	size_t cap = 0;
	bool sorted = true;

	memset(out, 0, sizeof(*out));
	/* one allocation: the index counted the sections */
	if (!bd_grow((void **)&out->v, &cap, d->index.count[BD_SECT_BINARY] + 1, sizeof(*out->v)))
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory indexing binaries");
	for (size_t i = bd_section_find(d, BD_SECT_BINARY, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_BINARY, i + 1)) {
		struct bd_section s;
		uint64_t addr;
		bd_section_get(d, i, &s);
		if (!bd_parse_hex(s.id, &addr))
			continue;
		if (!bd_grow((void **)&out->v, &cap, out->n + 1, sizeof(*out->v))) {
			bd_bin_index_release(out);
			return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
				       "out of memory indexing binaries");
		}
		out->v[out->n] = (struct bd_sort_key){ addr, i };
		sorted = sorted && (!out->n || out->v[out->n - 1].key <= addr);
		out->n++;
	}
	/*
	 * A dump with many binaries lists them in no address order when their
	 * processes were spawned out of it: a radix sort takes a few passes
	 * (1M binaries: qsort spent 0.5 s of CPU).
	 */
	if (!sorted && !bd_sort_keys(out->v, out->n))
		bd_sort(out->v, out->n, sizeof(*out->v), address_cmp);
	return BD_OK;
}

static void bin_index_free(void *p)
{
	bd_bin_index_release(p);
	bd_free(p);
}

const struct bd_bin_index *bd_dump_binaries(struct bd_dump *d)
{
	if (!d->binaries) {
		struct bd_bin_index *bi = bd_calloc(1, sizeof(*bi));
		if (!bi || bd_bin_index_build(d, bi, NULL) != BD_OK) {
			bd_free(bi);
			return NULL;
		}
		d->binaries = bi;
		d->binaries_free = bin_index_free;
	}
	return d->binaries;
}

void bd_bin_index_release(struct bd_bin_index *bi)
{
	bd_free(bi->v);
	memset(bi, 0, sizeof(*bi));
}

size_t bd_bin_index_find(const struct bd_bin_index *bi, uint64_t addr)
{
	size_t lo = 0;
	size_t hi = bi ? bi->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bi->v[mid].key < addr)
			lo = mid + 1;
		else if (bi->v[mid].key > addr)
			hi = mid;
		else
			return mid;
	}
	return SIZE_MAX;
}

/* The body is "<HEX size>:<payload>" on one line. */
bool bd_bin_index_read(const struct bd_bin_index *bi, const struct bd_dump *d, size_t at,
		       struct bd_slice *payload, uint64_t *size)
{
	struct bd_section s;
	struct bd_slice line;
	struct bd_slice body;

	if (!bi || at >= bi->n)
		return false;
	bd_section_get(d, bi->v[at].at, &s);
	body = s.body;
	if (!bd_slice_next_line(&body, &line))
		return false;
	size_t n = bd_hex_prefix(line.ptr, line.ptr + line.len, size);
	if (!n || n >= line.len || line.ptr[n] != ':')
		return false;
	*payload = bd_slice_skip(line, n + 1);
	return true;
}

bool bd_bin_index_get(const struct bd_bin_index *bi, const struct bd_dump *d, uint64_t addr,
		      struct bd_slice *payload, uint64_t *size)
{
	return bd_bin_index_read(bi, d, bd_bin_index_find(bi, addr), payload, size);
}

/* ---------------------------------------------------------- binaries */

static bool old_encoding(const struct bd_term_ctx *c)
{
	return c->d->info.version_major == 0 && c->d->info.version_minor < 5;
}

bool bd_binview_read(const struct bd_binview *v, uint64_t pos, size_t n, uint8_t *dst)
{
	size_t got = 0;
	uint64_t at = v->off + pos;

	if (v->hex) {
		if (at > v->text.len / 2 || n > v->text.len / 2 - at)
			return false;
		return bd_hex_decode(v->text.ptr + 2 * at, 2 * n, dst, n, &got) == BD_BASE64_OK &&
		       got == n;
	}
	return bd_base64_decode_range(v->text.ptr, v->text.len, at, n, dst, &got) ==
		       BD_BASE64_OK &&
	       got == n;
}

/* Payload of a Yc pointing at the =binary section addr. */
bool bd_binview_refc(const struct bd_term_ctx *c, const struct bd_bin_index *bins, uint64_t addr,
		     uint64_t off, uint64_t size, struct bd_binview *v)
{
	struct bd_slice payload;
	uint64_t psize;

	if (!bd_bin_index_get(bins, c->d, addr, &payload, &psize))
		return false;
	/* OTP 27 bare BinRefs put a pointer in the offset field (format doc 3.2) */
	if (off >= psize)
		off = 0;
	if (size > psize - off)
		return false;
	v->text = payload;
	v->hex = old_encoding(c);
	v->off = off;
	v->size = size;
	return true;
}

bool bd_binview_heap(const struct bd_term_ctx *c, const struct bd_obj *o, uint64_t off,
		     uint64_t size, struct bd_binview *v)
{
	if (off > o->size || size > o->size - off)
		return false;
	v->text = bd_slice_after(bd_slice_skip(o->text, 2), ':');
	v->hex = old_encoding(c);
	v->off = off;
	v->size = size;
	return true;
}

/* A Ys target: the original Yc/Yh line, or a =binary section (format doc 3.2, 3.5). */
bool bd_binview_sub(const struct bd_term_ctx *c, const struct bd_bin_index *bins,
		    const struct bd_obj *o, struct bd_binview *v)
{
	for (int pass = 0; pass < 2; pass++) {
		/* OTP 27 may tag the target's low bits */
		uint64_t t = pass ? o->ref & ~(uint64_t)7 : o->ref;
		struct bd_obj orig;
		if (pass && t == o->ref)
			break;
		if (bd_term_resolve(c, t, &orig)) {
			if (orig.kind == BD_OBJ_HEAP_BIN)
				return bd_binview_heap(c, &orig, o->offset, o->size, v);
			if (orig.kind == BD_OBJ_REFC_BIN)
				return bd_binview_refc(c, bins, orig.ref, orig.offset + o->offset,
					       o->size, v);
			return false;
		}
		if (bd_binview_refc(c, bins, t, o->offset, o->size, v))
			return true;
	}
	return false;
}

/* ---------------------------------------------------- external terms */

bool bd_ext_term_bytes(const struct bd_term_ctx *c, const struct bd_obj *o, uint8_t *local,
		       size_t cap, uint8_t **bytes, size_t *len)
{
	struct bd_slice p = bd_slice_after(o->text, ':');
	bool hex = old_encoding(c);
	size_t need = hex ? p.len / 2 + 1 : bd_base64_decoded_len(p.len);
	uint8_t *buf = local;
	int rc;

	if (need > cap) {
		buf = bd_malloc(need);
		if (!buf)
			return false;
	}
	if (hex)
		rc = bd_hex_decode(p.ptr, p.len, buf, need, len);
	else
		rc = bd_base64_decode(p.ptr, p.len, buf, need, len);
	if (rc != BD_BASE64_OK) {
		if (buf != local)
			bd_free(buf);
		return false;
	}
	*bytes = buf;
	return true;
}

struct first_kind {
	int kind;
};

static int take_first_kind(void *ctx, const struct bd_etf_event *ev)
{
	struct first_kind *k = ctx;

	k->kind = (int)ev->kind;
	return 1;
}

int bd_ext_term_kind(const struct bd_term_ctx *c, const struct bd_obj *o)
{
	uint8_t local[1024];
	uint8_t *bytes;
	size_t len;
	struct first_kind k = { -1 };

	if (!bd_ext_term_bytes(c, o, local, sizeof(local), &bytes, &len))
		return -1;
	bd_etf_decode(bytes, len, take_first_kind, &k, NULL);
	if (bytes != local)
		bd_free(bytes);
	return k.kind;
}

