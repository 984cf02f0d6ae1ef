/*
 * Input backends: mmap for plain files; compressed input (by magic bytes,
 * not by name) and non-seekable input decoded into an unlinked temporary
 * file under $TMPDIR, then mapped. The head is checked before the temporary
 * file exists and the decoded size is capped, so neither a file that is not
 * a dump nor a decompression bomb fills the disk. The input itself is only
 * ever opened read-only.
 */
#include "bd.h"
#include "input/codec.h"
#include "input/input.h"
#include "input/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_CHUNK ((size_t)1 << 20)
/* Refill the input buffer below this: enough for a gzip member's magic. */
#define REFILL_BELOW 64

void bd_input_from_mem(struct bd_input *in, const void *data, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->data = data;
	in->size = len;
	in->compression = "";
}

void bd_input_close(struct bd_input *in)
{
	if (in->map && in->map != MAP_FAILED) {
		munmap(in->map, in->map_len);
		close(in->fd);
	}
	memset(in, 0, sizeof(*in));
}

enum bd_status bd_input_check_head(const void *head, size_t n, const char *name,
				   struct bd_error *err)
{
	const char *p = head;

	if (!n)
		return bd_fail(err, BD_EFORMAT, 0, NULL, "'%s' is empty, not a crash dump", name);
	if (n >= 20 && memcmp(p, "<Erlang crash dump>", 19) == 0)
		return bd_fail(err, BD_EFORMAT, 0, NULL,
			       "'%s' is a pre-R10B crash dump ('<Erlang crash dump>'), which is not supported",
			       name);
	if (n >= 4 && memcmp(p, "ENC0", 4) == 0)
		return bd_fail(err, BD_EFORMAT, 0, NULL,
			       "'%s' is an encrypted crash dump (ENC0): it can be read only after "
			       "decrypting it with the node's private key", name);
	if (bd_snapshot_sniff(p, n < BD_SNAPSHOT_MAGIC_LEN ? n : BD_SNAPSHOT_MAGIC_LEN))
		return BD_OK;
	if (n < 16 || memcmp(p, "=erl_crash_dump:", 16) != 0)
		return bd_fail(err, BD_EFORMAT, 0, NULL,
			       "'%s' is not an Erlang crash dump (no '=erl_crash_dump:' header)", name);
	return BD_OK;
}

static enum bd_status io_fail(struct bd_error *err, int errnum, const char *what,
			      const char *path)
{
	bd_fail(err, BD_EIO, BD_NO_OFFSET, NULL, "cannot %s '%s': %s", what, path,
		strerror(errnum));
	if (err)
		err->sys_errno = errnum;
	return BD_EIO;
}

static enum bd_status map_fd(struct bd_input *in, int fd, size_t size, const char *path,
			     struct bd_error *err)
{
	void *p;

	if (!size) {
		in->data = "";
		in->size = 0;
		return BD_OK;
	}
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED && errno == ENOMEM)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
			       "out of memory: cannot map the %zu bytes of '%s'", size, path);
	if (p == MAP_FAILED)
		return io_fail(err, errno, "map", path);
	in->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (in->fd < 0) {
		int e = errno;
		munmap(p, size);
		return io_fail(err, e, "read", path);
	}
	posix_madvise(p, size, POSIX_MADV_SEQUENTIAL);
	in->map = p;
	in->map_len = size;
	in->data = p;
	in->size = size;
	return BD_OK;
}

static bool write_all(int fd, const void *p, size_t len)
{
	const char *s = p;

	while (len) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		s += n;
		len -= (size_t)n;
	}
	return true;
}

static ssize_t read_some(int fd, void *p, size_t len)
{
	ssize_t n;

	do
		n = read(fd, p, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static int make_spool(const char *tmpdir, struct bd_error *err)
{
	char path[4096];
	int fd;

	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	snprintf(path, sizeof(path), "%s/beamdump-XXXXXX", tmpdir);
	fd = mkstemp(path);
	if (fd < 0) {
		io_fail(err, errno, "create a temporary file in", tmpdir);
		return -1;
	}
	unlink(path);
	return fd;
}

/* "46.0 MiB": sizes in messages, in powers of 1024 like --max-inflate. */
static const char *human_size(char buf[32], uint64_t n)
{
	static const char units[][4] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 32, "%" PRIu64 " bytes", n);
	else
		snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

/* The cap on decoded bytes, and how to say where it came from. */
struct inflate_limit {
	uint64_t bytes;
	char why[96];
};

static void choose_limit(struct inflate_limit *lim, const struct bd_open_opts *opts,
			 const struct stat *st, bool compressed)
{
	char size[32];

	if (opts && opts->max_inflate) {
		lim->bytes = opts->max_inflate;
		snprintf(lim->why, sizeof(lim->why), "the --max-inflate limit");
	} else if (!S_ISREG(st->st_mode)) {
		lim->bytes = BD_PIPE_CEILING;
		snprintf(lim->why, sizeof(lim->why), "the default limit for a pipe");
	} else if (!compressed) {
		lim->bytes = UINT64_MAX;  /* a file read at an offset: its size is known */
	} else if ((uint64_t)st->st_size > BD_INFLATE_CEILING / BD_INFLATE_RATIO) {
		lim->bytes = BD_INFLATE_CEILING;
		snprintf(lim->why, sizeof(lim->why), "the default ceiling");
	} else {
		lim->bytes = (uint64_t)st->st_size * BD_INFLATE_RATIO;
		snprintf(lim->why, sizeof(lim->why), "%d times its compressed size of %s",
			 BD_INFLATE_RATIO, human_size(size, (uint64_t)st->st_size));
	}
}

struct spool {
	int in_fd;
	int out_fd;          /* -1 until the head has been checked */
	const char *path;
	const struct bd_open_opts *opts;
	struct inflate_limit limit;
	uint64_t written;    /* decoded bytes in the temporary file */
	uint64_t read;       /* input bytes read so far */
};

static void progress(const struct spool *s, const char *phase)
{
	if (s->opts && s->opts->progress)
		s->opts->progress(s->opts->progress_ctx, phase, s->written, 0);
}

/* Append decoded bytes to the temporary file, creating it on first use. */
static enum bd_status spool_write(struct spool *s, const unsigned char *p, size_t len,
				  struct bd_error *err)
{
	char lim[32];

	if (len > s->limit.bytes - s->written)
		return bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL,
			       "'%s' decodes to more than %s (%s): stopped as a likely "
			       "decompression bomb; if it is a dump that large, raise the limit "
			       "with --max-inflate SIZE",
			       s->path, human_size(lim, s->limit.bytes), s->limit.why);
	if (s->out_fd < 0) {
		s->out_fd = make_spool(s->opts ? s->opts->tmpdir : NULL, err);
		if (s->out_fd < 0)
			return BD_EIO;
	}
	if (!write_all(s->out_fd, p, len))
		return io_fail(err, errno, "write the temporary copy of", s->path);
	s->written += len;
	return BD_OK;
}

/* text: bytes decoded before the decoder stopped */
static enum bd_status decode_failed(const struct spool *s, const struct bd_decoder *dec,
				    enum bd_decode st, uint64_t text, struct bd_error *err)
{
	char mem[32];
	const char *codec = bd_codec_name(dec->codec);

	switch (st) {
	case BD_DECODE_NOMEM:
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL,
			       "out of memory decompressing '%s'", s->path);
	case BD_DECODE_TOOBIG:
		return bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL,
			       "'%s' needs more than %s of memory to decompress (%s)", s->path,
			       human_size(mem, BD_DECODER_MEMLIMIT), dec->msg ? dec->msg : codec);
	default:
		return bd_fail(err, BD_EFORMAT, BD_NO_OFFSET, NULL,
			       "corrupt %s data in '%s' (within its first %" PRIu64 " bytes, after %"
			       PRIu64 " bytes of dump text): %s; the file is damaged, not cut short",
			       codec, s->path, s->read, text, dec->msg ? dec->msg : "bad data");
	}
}

/*
 * Decode (or copy) in_fd into the temporary file, starting with the head
 * bytes already read. Nothing is written before the first decoded bytes
 * pass the header check. A stream that stops early keeps what decoded:
 * truncated .gz dumps are common and the readable part is still worth
 * analysing. Damaged data is an error.
 */
static enum bd_status spool_decode(struct spool *s, struct bd_input *in, enum bd_codec codec,
				   const unsigned char *head, size_t head_len, struct bd_error *err)
{
	unsigned char *ibuf = bd_malloc(2 * SPOOL_CHUNK);
	unsigned char *obuf = ibuf + SPOOL_CHUNK;
	const unsigned char *next = ibuf;
	size_t in_len = head_len;
	size_t out_len = 0;
	bool eof = false;
	bool checked = false;
	struct bd_decoder dec;
	enum bd_decode st = BD_DECODE_MORE;
	enum bd_status rc = BD_OK;

	if (!ibuf)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a read buffer");
	if (bd_decoder_init(&dec, codec) != BD_DECODE_MORE) {
		bd_free(ibuf);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot start the %s decoder",
			       bd_codec_name(codec));
	}
	memcpy(ibuf, head, head_len);
	s->read = head_len;
	do {
		if (!eof && in_len < REFILL_BELOW) {
			memmove(ibuf, next, in_len);
			next = ibuf;
			ssize_t n = read_some(s->in_fd, ibuf + in_len, SPOOL_CHUNK - in_len);
			if (n < 0) {
				rc = io_fail(err, errno, "read", s->path);
				break;
			}
			eof = n == 0;
			in_len += (size_t)n;
			s->read += (uint64_t)n;
		}
		size_t room = SPOOL_CHUNK - out_len;
		st = bd_decoder_run(&dec, &next, &in_len, obuf + out_len, &room, eof);
		out_len += room;
		if (st != BD_DECODE_MORE && st != BD_DECODE_DONE && st != BD_DECODE_CUT) {
			rc = decode_failed(s, &dec, st, s->written + out_len, err);
			break;
		}
		if (!checked && (out_len >= BD_INPUT_HEAD_LEN || st != BD_DECODE_MORE)) {
			rc = bd_input_check_head(obuf, out_len, s->path, err);
			if (rc)
				break;
			checked = true;
		}
		if (checked && out_len && (out_len == SPOOL_CHUNK || st != BD_DECODE_MORE)) {
			rc = spool_write(s, obuf, out_len, err);
			if (rc)
				break;
			out_len = 0;
			progress(s, codec == BD_CODEC_NONE ? "copying" : "decompressing");
		}
	} while (st == BD_DECODE_MORE);
	if (!rc && st == BD_DECODE_CUT) {
		static const char *const why[] = {
			[BD_CODEC_GZIP] = "the gzip file ends early",
			[BD_CODEC_ZSTD] = "the zstd file ends early",
			[BD_CODEC_XZ] = "the xz file ends early",
		};
		in->cut = why[codec];
	}
	bd_decoder_end(&dec);
	bd_free(ibuf);
	return rc;
}

static enum bd_status spool_and_map(struct bd_input *in, int fd, const char *path,
				    const struct bd_open_opts *opts, const struct stat *st,
				    const unsigned char *head, size_t head_len, struct bd_error *err)
{
	struct spool s = { fd, -1, path, opts, { 0, "" }, 0, 0 };
	enum bd_codec codec = bd_codec_sniff(head, head_len);
	enum bd_status rc;

	in->compression = bd_codec_name(codec);
	choose_limit(&s.limit, opts, st, codec != BD_CODEC_NONE);
	rc = spool_decode(&s, in, codec, head, head_len, err);
	if (!rc && s.written > SIZE_MAX)
		rc = bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL, "'%s' is too large", path);
	if (!rc)
		rc = map_fd(in, s.out_fd, (size_t)s.written, path, err);
	if (s.out_fd >= 0)
		close(s.out_fd);
	return rc;
}

enum bd_status bd_input_open(struct bd_input *in, const char *path,
			     const struct bd_open_opts *opts, struct bd_error *err)
{
	unsigned char head[BD_CODEC_MAGIC_LEN];
	size_t head_len = 0;
	struct stat st;
	int fd;
	bool is_stdin = strcmp(path, "-") == 0;
	enum bd_status rc;

	memset(in, 0, sizeof(*in));
	in->compression = "";
	if (is_stdin) {
		fd = STDIN_FILENO;
		path = "<stdin>";
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return io_fail(err, errno, "open", path);
	}
	if (fstat(fd, &st) < 0) {
		rc = io_fail(err, errno, "stat", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = bd_fail(err, BD_EFORMAT, BD_NO_OFFSET, NULL,
			     "'%s' is a directory, not a crash dump", path);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > SIZE_MAX) {
			rc = bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL, "'%s' is too large", path);
			goto out;
		}
		ssize_t n = pread(fd, head, sizeof(head), 0);
		if (n < 0) {
			rc = io_fail(err, errno, "read", path);
			goto out;
		}
		if (bd_codec_sniff(head, (size_t)n) == BD_CODEC_NONE) {
			/* stdin may be a redirected file at an offset: only map whole files */
			if (!is_stdin || lseek(fd, 0, SEEK_CUR) == 0) {
				rc = map_fd(in, fd, (size_t)st.st_size, path, err);
				goto out;
			}
		}
	}
	/* Pipes, compressed files: read the head to sniff the codec, then spool. */
	while (head_len < sizeof(head)) {
		ssize_t n = read_some(fd, head + head_len, sizeof(head) - head_len);
		if (n < 0) {
			rc = io_fail(err, errno, "read", path);
			goto out;
		}
		if (!n)
			break;
		head_len += (size_t)n;
	}
	rc = spool_and_map(in, fd, path, opts, &st, head, head_len, err);
out:
	if (!is_stdin)
		close(fd);
	if (rc)
		bd_input_close(in);
	return rc;
}

enum bd_status bd_input_read_snapshot(struct bd_input *in, const char *name,
				      const struct bd_open_opts *opts, struct bd_error *err)
{
	struct bd_input text;
	FILE *out;
	int fd;
	enum bd_status rc;

	if (!in->size || !bd_snapshot_sniff(in->data, in->size < BD_SNAPSHOT_MAGIC_LEN ?
							  in->size : BD_SNAPSHOT_MAGIC_LEN))
		return BD_OK;
	fd = make_spool(opts ? opts->tmpdir : NULL, err);
	if (fd < 0)
		return BD_EIO;
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		return io_fail(err, errno, "write the text of", name);
	}
	fd = dup(fileno(out));
	rc = bd_snapshot_to_text((const unsigned char *)in->data, in->size, name,
				 opts && opts->threads ? opts->threads : bd_threads_online(), out, err);
	if (fclose(out) != 0 && !rc)
		rc = io_fail(err, errno, "write the text of", name);
	if (!rc && fd < 0)
		rc = io_fail(err, errno, "write the text of", name);
	if (!rc) {
		struct stat st;
		memset(&text, 0, sizeof(text));
		if (fstat(fd, &st) < 0)
			rc = io_fail(err, errno, "read the text of", name);
		else
			rc = map_fd(&text, fd, (size_t)st.st_size, name, err);
	}
	if (fd >= 0)
		close(fd);
	if (rc)
		return rc;
	text.compression = in->compression;
	text.cut = in->cut;
	text.snapshot = true;
	bd_input_close(in);
	*in = text;
	return BD_OK;
}
