/*
 * Streaming decoders for compressed dumps (gzip, zstd, xz), chosen by magic
 * bytes, never by file name. The input stage is the only user: everything
 * after it sees plain dump text.
 */
#ifndef BD_INPUT_CODEC_H
#define BD_INPUT_CODEC_H

#include "bd.h"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* The longest magic we test: xz's six bytes. */
#define BD_CODEC_MAGIC_LEN 6

enum bd_codec {
	BD_CODEC_NONE,  /* plain text, copied as is */
	BD_CODEC_GZIP,
	BD_CODEC_ZSTD,
	BD_CODEC_XZ,
};

/* What one bd_decoder_run() call came to. */
enum bd_decode {
	BD_DECODE_MORE,     /* call again (with more input unless it is all there) */
	BD_DECODE_DONE,     /* every stream is complete and the input is used up */
	BD_DECODE_CUT,      /* the input ends inside a stream */
	BD_DECODE_CORRUPT,  /* damaged data; decoder->msg says how */
	BD_DECODE_NOMEM,    /* the decoder could not allocate */
	BD_DECODE_TOOBIG,   /* the stream needs more decoder memory than we allow */
};

/* Decoder memory we allow: xz -9 needs 65 MiB, zstd -19 at most 8 MiB. */
#define BD_DECODER_MEMLIMIT ((uint64_t)256 << 20)

struct bd_decoder {
	enum bd_codec codec;
	const char *msg;  /* why the data is corrupt */
	bool in_stream;   /* inside a gzip member or zstd frame */
	unsigned stalls;  /* calls at end of input that made no progress */
	union {
		z_stream z;
		ZSTD_DCtx *zstd;
		lzma_stream xz;
	} s;
};

/* The codec whose magic starts p (n bytes, up to BD_CODEC_MAGIC_LEN). */
enum bd_codec bd_codec_sniff(const unsigned char *p, size_t n);

/* "gzip", "zstd", "xz", or "" for plain text. */
const char *bd_codec_name(enum bd_codec codec);

/* BD_DECODE_MORE when ready, BD_DECODE_NOMEM otherwise. */
enum bd_decode bd_decoder_init(struct bd_decoder *dec, enum bd_codec codec);

/*
 * Decode from *in (*in_len bytes) into out (*out_len bytes of room), moving
 * *in on and setting *out_len to what was written. eof says no input follows
 * *in. Gzip members, zstd frames and xz streams that follow one another are
 * all decoded, as the tools do; bytes after the last gzip member that do not
 * start another are ignored, like gzip -d's "trailing garbage".
 */
enum bd_decode bd_decoder_run(struct bd_decoder *dec, const unsigned char **in, size_t *in_len,
			      unsigned char *out, size_t *out_len, bool eof);

void bd_decoder_end(struct bd_decoder *dec);

#endif
