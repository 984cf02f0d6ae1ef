/*
 * gzip (zlib), zstd (libzstd) and xz (liblzma) behind one streaming call.
 * Each decoder tells a stream that was cut short (the data stops: keep what
 * decoded) from one that is damaged (bad check, bad block: an input error).
 */
#include "bd.h"
#include "input/codec.h"

enum bd_codec bd_codec_sniff(const unsigned char *p, size_t n)
{
	static const unsigned char xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return BD_CODEC_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return BD_CODEC_ZSTD;
	if (n >= sizeof(xz) && memcmp(p, xz, sizeof(xz)) == 0)
		return BD_CODEC_XZ;
	return BD_CODEC_NONE;
}

const char *bd_codec_name(enum bd_codec codec)
{
	switch (codec) {
	case BD_CODEC_GZIP:
		return "gzip";
	case BD_CODEC_ZSTD:
		return "zstd";
	case BD_CODEC_XZ:
		return "xz";
	case BD_CODEC_NONE:
	default:
		return "";
	}
}

enum bd_decode bd_decoder_init(struct bd_decoder *dec, enum bd_codec codec)
{
	memset(dec, 0, sizeof(*dec));
	dec->codec = codec;
	switch (codec) {
	case BD_CODEC_GZIP:
		/* 15 + 16: gzip wrapper only, largest window */
		return inflateInit2(&dec->s.z, 15 + 16) == Z_OK ? BD_DECODE_MORE : BD_DECODE_NOMEM;
	case BD_CODEC_ZSTD:
		dec->s.zstd = ZSTD_createDCtx();
		if (!dec->s.zstd)
			return BD_DECODE_NOMEM;
		/* windows up to the memory limit (zstd --long=28); larger: BD_DECODE_TOOBIG */
		ZSTD_DCtx_setParameter(dec->s.zstd, ZSTD_d_windowLogMax, 28);
		return BD_DECODE_MORE;
	case BD_CODEC_XZ:
		dec->s.xz = (lzma_stream)LZMA_STREAM_INIT;
		return lzma_stream_decoder(&dec->s.xz, BD_DECODER_MEMLIMIT, LZMA_CONCATENATED) == LZMA_OK
			       ? BD_DECODE_MORE
			       : BD_DECODE_NOMEM;
	case BD_CODEC_NONE:
	default:
		return BD_DECODE_MORE;
	}
}

void bd_decoder_end(struct bd_decoder *dec)
{
	switch (dec->codec) {
	case BD_CODEC_GZIP:
		inflateEnd(&dec->s.z);
		break;
	case BD_CODEC_ZSTD:
		ZSTD_freeDCtx(dec->s.zstd);
		break;
	case BD_CODEC_XZ:
		lzma_end(&dec->s.xz);
		break;
	case BD_CODEC_NONE:
	default:
		break;
	}
	memset(dec, 0, sizeof(*dec));
}

/* Out of input: the end if no stream is open, else a cut or a wait for more. */
static enum bd_decode at_input_end(const struct bd_decoder *dec, bool eof)
{
	if (!eof)
		return BD_DECODE_MORE;
	return dec->in_stream ? BD_DECODE_CUT : BD_DECODE_DONE;
}

static enum bd_decode run_copy(const unsigned char **in, size_t *in_len, unsigned char *out,
			       size_t *out_len, bool eof)
{
	size_t n = *in_len < *out_len ? *in_len : *out_len;

	memcpy(out, *in, n);
	*in += n;
	*in_len -= n;
	*out_len = n;
	return !*in_len && eof ? BD_DECODE_DONE : BD_DECODE_MORE;
}

static enum bd_decode run_gzip(struct bd_decoder *dec, const unsigned char **in, size_t *in_len,
			       unsigned char *out, size_t *out_len, bool eof)
{
	z_stream *z = &dec->s.z;
	enum bd_decode rc = BD_DECODE_MORE;

	/* zlib counts in uInt: hand it at most 1 GiB at a time */
	z->next_in = (unsigned char *)(uintptr_t)*in;
	z->avail_in = (uInt)(*in_len < (1u << 30) ? *in_len : (1u << 30));
	z->next_out = out;
	z->avail_out = (uInt)(*out_len < (1u << 30) ? *out_len : (1u << 30));
	while (z->avail_out) {
		if (!dec->in_stream) {
			/* between members: another one, the end, or trailing garbage */
			if (z->avail_in < 2) {
				if (eof || z->avail_in == 0)
					rc = z->avail_in ? BD_DECODE_DONE : at_input_end(dec, eof);
				break;
			}
			if (bd_codec_sniff(z->next_in, z->avail_in) != BD_CODEC_GZIP) {
				rc = BD_DECODE_DONE;
				break;
			}
			dec->in_stream = true;
		}
		int zrc = inflate(z, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			dec->in_stream = false;
			inflateReset(z);
			continue;
		}
		if (zrc == Z_MEM_ERROR) {
			rc = BD_DECODE_NOMEM;
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			dec->msg = z->msg ? z->msg : "invalid data";
			rc = BD_DECODE_CORRUPT;
			break;
		}
		if (!z->avail_in) {
			rc = z->avail_out ? at_input_end(dec, eof) : BD_DECODE_MORE;
			break;
		}
	}
	size_t used = rc == BD_DECODE_DONE ? *in_len : (size_t)(z->next_in - *in);
	*out_len = (size_t)(z->next_out - out);
	*in += used;  /* at the end, trailing garbage is dropped */
	*in_len -= used;
	return rc;
}

static enum bd_decode run_zstd(struct bd_decoder *dec, const unsigned char **in, size_t *in_len,
			       unsigned char *out, size_t *out_len, bool eof)
{
	ZSTD_inBuffer ib = { *in, *in_len, 0 };
	ZSTD_outBuffer ob = { out, *out_len, 0 };
	enum bd_decode rc = BD_DECODE_MORE;

	while (ob.pos < ob.size) {
		if (ib.pos == ib.size && !dec->in_stream) {
			rc = at_input_end(dec, eof);
			break;
		}
		size_t hint = ZSTD_decompressStream(dec->s.zstd, &ob, &ib);
		if (ZSTD_isError(hint)) {
			ZSTD_ErrorCode e = ZSTD_getErrorCode(hint);
			dec->msg = ZSTD_getErrorString(e);
			rc = e == ZSTD_error_memory_allocation ? BD_DECODE_NOMEM
			     : e == ZSTD_error_frameParameter_windowTooLarge ? BD_DECODE_TOOBIG
									      : BD_DECODE_CORRUPT;
			break;
		}
		/* 0: a frame ended and all of it is out */
		dec->in_stream = hint != 0;
		if (ib.pos == ib.size && ob.pos < ob.size) {
			rc = at_input_end(dec, eof);
			break;
		}
	}
	*out_len = ob.pos;
	*in += ib.pos;
	*in_len -= ib.pos;
	return rc;
}

static enum bd_decode run_xz(struct bd_decoder *dec, const unsigned char **in, size_t *in_len,
			     unsigned char *out, size_t *out_len, bool eof)
{
	lzma_stream *x = &dec->s.xz;
	enum bd_decode rc = BD_DECODE_MORE;
	lzma_ret xrc;

	x->next_in = *in;
	x->avail_in = *in_len;
	x->next_out = out;
	x->avail_out = *out_len;
	/* LZMA_CONCATENATED learns where the last stream ends only from FINISH */
	xrc = lzma_code(x, eof ? LZMA_FINISH : LZMA_RUN);
	switch (xrc) {
	case LZMA_OK:
		/* at the end of input, repeated calls that move nothing mean a cut */
		if (eof && !x->avail_in && x->avail_out == *out_len && ++dec->stalls > 2)
			rc = BD_DECODE_CUT;
		break;
	case LZMA_STREAM_END:
		rc = BD_DECODE_DONE;
		break;
	case LZMA_BUF_ERROR:
		rc = eof ? BD_DECODE_CUT : BD_DECODE_MORE;
		break;
	case LZMA_MEM_ERROR:
		rc = BD_DECODE_NOMEM;
		break;
	case LZMA_MEMLIMIT_ERROR:
		rc = BD_DECODE_TOOBIG;
		break;
	case LZMA_FORMAT_ERROR:
		dec->msg = "not in the xz format";
		rc = BD_DECODE_CORRUPT;
		break;
	case LZMA_OPTIONS_ERROR:
		dec->msg = "unsupported compression options";
		rc = BD_DECODE_CORRUPT;
		break;
	case LZMA_DATA_ERROR:
		dec->msg = "compressed data is corrupt";
		rc = BD_DECODE_CORRUPT;
		break;
	default:
		dec->msg = "decoder error";
		rc = BD_DECODE_CORRUPT;
		break;
	}
	*out_len -= x->avail_out;
	*in = x->next_in;
	*in_len = x->avail_in;
	return rc;
}

enum bd_decode bd_decoder_run(struct bd_decoder *dec, const unsigned char **in, size_t *in_len,
			      unsigned char *out, size_t *out_len, bool eof)
{
	switch (dec->codec) {
	case BD_CODEC_GZIP:
		return run_gzip(dec, in, in_len, out, out_len, eof);
	case BD_CODEC_ZSTD:
		return run_zstd(dec, in, in_len, out, out_len, eof);
	case BD_CODEC_XZ:
		return run_xz(dec, in, in_len, out, out_len, eof);
	case BD_CODEC_NONE:
	default:
		return run_copy(in, in_len, out, out_len, eof);
	}
}
