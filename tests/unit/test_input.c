/*
 * The input stage: gzip, zstd and xz give the same bytes as the plain dump,
 * one stream or several; a cut stream keeps what decoded; damaged data, a
 * file that is not a dump and a decompression bomb are refused before the
 * disk fills.
 */
#include "bd_test.h"

#include "input/codec.h"
#include "input/input.h"

#include <unistd.h>

/* A real dump written by a node (fixtures/multiline_slogan.erl), plain. */
#define PLAIN_FIXTURE BD_FIXTURES "/multiline_slogan.dump"

struct bytes {
	unsigned char *p;
	size_t n;
};

static struct bytes read_file(const char *path)
{
	struct bytes b = { NULL, 0 };
	FILE *f = fopen(path, "rb");
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	b.n = (size_t)len;
	b.p = malloc(b.n);
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, b.n, f), b.n);
	fclose(f);
	return b;
}

static void append(struct bytes *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n);
	assert_non_null(b->p);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* One gzip member, zstd frame or xz stream holding p[0..n), appended to out. */
static void compress_append(enum bd_codec codec, const void *p, size_t n, struct bytes *out)
{
	size_t cap = n + n / 8 + 4096;
	unsigned char *buf = malloc(cap);
	size_t len = 0;

	assert_non_null(buf);
	if (codec == BD_CODEC_GZIP) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (unsigned char *)(uintptr_t)p;
		z.avail_in = (uInt)n;
		z.next_out = buf;
		z.avail_out = (uInt)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		len = z.total_out;
		deflateEnd(&z);
	} else if (codec == BD_CODEC_ZSTD) {
		ZSTD_CCtx *c = ZSTD_createCCtx();
		assert_non_null(c);
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		len = ZSTD_compress2(c, buf, cap, p, n);
		assert_false(ZSTD_isError(len));
		ZSTD_freeCCtx(c);
	} else {
		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, p, n, buf, &len,
							 cap),
				 LZMA_OK);
	}
	append(out, buf, len);
	free(buf);
}

static struct bytes compressed(enum bd_codec codec, const struct bytes *plain, size_t parts)
{
	struct bytes out = { NULL, 0 };
	size_t step = plain->n / parts;

	for (size_t i = 0; i < parts; i++)
		compress_append(codec, plain->p + i * step,
				i + 1 == parts ? plain->n - i * step : step, &out);
	return out;
}

static void write_temp(char *path, const struct bytes *b)
{
	int fd;

	strcpy(path, "/tmp/bd-test-input-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
	close(fd);
}

/* Open b as a file; returns the status, the input left open on success. */
static enum bd_status open_bytes(const struct bytes *b, const struct bd_open_opts *opts,
				 struct bd_input *in, struct bd_error *err)
{
	char path[64];
	enum bd_status rc;

	write_temp(path, b);
	rc = bd_input_open(in, path, opts, err);
	unlink(path);
	return rc;
}

static const enum bd_codec codecs[] = { BD_CODEC_GZIP, BD_CODEC_ZSTD, BD_CODEC_XZ };

static void every_codec_gives_the_plain_bytes_in_one_stream_or_many(void **state)
{
	struct bytes plain = read_file(PLAIN_FIXTURE);
	struct bd_input ref;
	struct bd_error err = { 0 };

	(void)state;
	assert_int_equal(bd_input_open(&ref, PLAIN_FIXTURE, NULL, &err), BD_OK);
	assert_string_equal(ref.compression, "");
	assert_int_equal(ref.size, plain.n);
	assert_memory_equal(ref.data, plain.p, plain.n);
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		for (size_t parts = 1; parts <= 3; parts += 2) {
			struct bytes z = compressed(codecs[c], &plain, parts);
			struct bd_input in;

			assert_int_equal(open_bytes(&z, NULL, &in, &err), BD_OK);
			assert_string_equal(in.compression, bd_codec_name(codecs[c]));
			assert_null(in.cut);
			assert_int_equal(in.size, ref.size);
			assert_memory_equal(in.data, ref.data, ref.size);
			bd_input_close(&in);
			free(z.p);
		}
	}
	bd_input_close(&ref);
	free(plain.p);
}

static void a_cut_stream_keeps_what_decoded_and_says_so(void **state)
{
	static const char *const why[] = { "the gzip file ends early", "the zstd file ends early",
					   "the xz file ends early" };
	struct bytes plain = read_file(PLAIN_FIXTURE);
	struct bd_error err = { 0 };

	(void)state;
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		struct bytes z = compressed(codecs[c], &plain, 1);
		struct bd_input in;

		z.n = z.n * 2 / 3;
		assert_int_equal(open_bytes(&z, NULL, &in, &err), BD_OK);
		assert_string_equal(in.cut, why[c]);
		assert_true(in.size > 0 && in.size < plain.n);
		assert_memory_equal(in.data, plain.p, in.size);
		bd_input_close(&in);
		free(z.p);
	}
	free(plain.p);
}

static void a_cut_gzip_dump_is_flagged_truncated(void **state)
{
	struct bytes plain = read_file(PLAIN_FIXTURE);
	struct bytes z = compressed(BD_CODEC_GZIP, &plain, 1);
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };
	char path[64];

	(void)state;
	z.n -= 4;  /* the length in the trailer: every byte of the text inflates */
	write_temp(path, &z);
	assert_int_equal(bd_dump_open(&d, path, NULL, &err), BD_OK);
	unlink(path);
	assert_true(bd_dump_info(d)->truncated);
	assert_string_equal(bd_dump_info(d)->truncation_reason, "the gzip file ends early");
	assert_int_equal(bd_dump_info(d)->bytes, plain.n);
	bd_dump_free(d);
	free(z.p);
	free(plain.p);
}

static void damaged_data_is_an_input_error_not_a_cut(void **state)
{
	struct bytes plain = read_file(PLAIN_FIXTURE);
	struct bd_error err = { 0 };

	(void)state;
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		/* the check near the end (gzip's CRC-32 is 8 bytes from it) and the middle */
		for (int where = 0; where < 2; where++) {
			struct bytes z = compressed(codecs[c], &plain, 1);
			struct bd_input in;
			size_t at = where ? z.n / 2 : z.n - (codecs[c] == BD_CODEC_XZ ? 30 : 8);
			char want[64];

			z.p[at] ^= 0x55;
			memset(&err, 0, sizeof(err));
			assert_int_equal(open_bytes(&z, NULL, &in, &err), BD_EFORMAT);
			snprintf(want, sizeof(want), "corrupt %s data", bd_codec_name(codecs[c]));
			assert_non_null(strstr(err.msg, want));
			assert_non_null(strstr(err.msg, "not cut short"));
			free(z.p);
		}
	}
	free(plain.p);
}

/* n zero bytes after an optional header, as many members/frames/streams of 1 MiB. */
static struct bytes zeros_bomb(enum bd_codec codec, const char *header, size_t mib)
{
	struct bytes out = { NULL, 0 };
	struct bytes member = { NULL, 0 };
	unsigned char *zero = calloc(1, (size_t)1 << 20);

	assert_non_null(zero);
	if (header)
		compress_append(codec, header, strlen(header), &out);
	compress_append(codec, zero, (size_t)1 << 20, &member);
	for (size_t i = 0; i < mib; i++)
		append(&out, member.p, member.n);
	free(member.p);
	free(zero);
	return out;
}

static void a_bomb_that_is_not_a_dump_stops_before_any_write(void **state)
{
	struct bd_open_opts opts = { 0 };
	struct bd_error err = { 0 };

	(void)state;
	/* no temporary file can be made there: reaching the write would say so */
	opts.tmpdir = "/nonexistent/beamdump-test";
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		struct bytes z = zeros_bomb(codecs[c], NULL, 1024);
		struct bd_input in;

		memset(&err, 0, sizeof(err));
		assert_int_equal(open_bytes(&z, &opts, &in, &err), BD_EFORMAT);
		assert_non_null(strstr(err.msg, "not an Erlang crash dump"));
		free(z.p);
	}
}

static void a_bomb_behind_a_header_stops_at_the_cap(void **state)
{
	struct bd_open_opts opts = { 0 };
	struct bd_error err = { 0 };

	(void)state;
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		struct bytes z = zeros_bomb(codecs[c], "=erl_crash_dump:0.5\nSun Dec  6 12:00:00 2026\n", 16);
		struct bd_input in;

		/* the default ratio: zstd and xz pack zeros far tighter than it
		 * allows; gzip's deflate cannot, so only its explicit caps apply */
		if (codecs[c] != BD_CODEC_GZIP) {
			assert_true(z.n * BD_INFLATE_RATIO < ((size_t)16 << 20));
			memset(&err, 0, sizeof(err));
			assert_int_equal(open_bytes(&z, NULL, &in, &err), BD_ELIMIT);
			assert_non_null(strstr(err.msg, "times its compressed size"));
			assert_non_null(strstr(err.msg, "--max-inflate"));
		}
		/* an explicit cap below the size, then one above it */
		opts.max_inflate = (uint64_t)8 << 20;
		memset(&err, 0, sizeof(err));
		assert_int_equal(open_bytes(&z, &opts, &in, &err), BD_ELIMIT);
		assert_non_null(strstr(err.msg, "more than 8.0 MiB (the --max-inflate limit)"));
		opts.max_inflate = (uint64_t)17 << 20;
		assert_int_equal(open_bytes(&z, &opts, &in, &err), BD_OK);
		assert_true(in.size > ((size_t)16 << 20));
		bd_input_close(&in);
		opts.max_inflate = 0;
		free(z.p);
	}
}

static void encrypted_dumps_ask_for_the_private_key(void **state)
{
	static const char enc[] = "ENC0\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10";
	struct bytes plain = { (unsigned char *)(uintptr_t)enc, sizeof(enc) - 1 };
	struct bytes z = { NULL, 0 };
	struct bd_input in;
	struct bd_error err = { 0 };

	(void)state;
	compress_append(BD_CODEC_ZSTD, plain.p, plain.n, &z);
	assert_int_equal(open_bytes(&z, NULL, &in, &err), BD_EFORMAT);
	assert_non_null(strstr(err.msg, "encrypted"));
	assert_non_null(strstr(err.msg, "private key"));
	free(z.p);
}

static void codecs_are_known_by_magic_bytes(void **state)
{
	(void)state;
	assert_int_equal(bd_codec_sniff((const unsigned char *)"\x1f\x8b\x08", 3), BD_CODEC_GZIP);
	assert_int_equal(bd_codec_sniff((const unsigned char *)"\x28\xb5\x2f\xfd", 4), BD_CODEC_ZSTD);
	assert_int_equal(bd_codec_sniff((const unsigned char *)"\xfd" "7zXZ\0", 6), BD_CODEC_XZ);
	assert_int_equal(bd_codec_sniff((const unsigned char *)"\xfd" "7zXZ", 5), BD_CODEC_NONE);
	assert_int_equal(bd_codec_sniff((const unsigned char *)"=erl_crash_dump:0.5", 19),
			 BD_CODEC_NONE);
	assert_int_equal(bd_codec_sniff((const unsigned char *)"\x1f", 1), BD_CODEC_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_codec_gives_the_plain_bytes_in_one_stream_or_many),
		cmocka_unit_test(a_cut_stream_keeps_what_decoded_and_says_so),
		cmocka_unit_test(a_cut_gzip_dump_is_flagged_truncated),
		cmocka_unit_test(damaged_data_is_an_input_error_not_a_cut),
		cmocka_unit_test(a_bomb_that_is_not_a_dump_stops_before_any_write),
		cmocka_unit_test(a_bomb_behind_a_header_stops_at_the_cap),
		cmocka_unit_test(encrypted_dumps_ask_for_the_private_key),
		cmocka_unit_test(codecs_are_known_by_magic_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
