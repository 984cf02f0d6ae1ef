/*
 * Input backends: mmap for plain files; gzip (by magic bytes, not by name)
 * and non-seekable input spooled into an unlinked temporary file under
 * $TMPDIR, then mapped. The input itself is only ever opened read-only.
 */
#include "bd.h"
#include "input/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SPOOL_CHUNK ((size_t)1 << 20)

void bd_input_from_mem(struct bd_input *in, const void *data, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->data = data;
	in->size = len;
}

void bd_input_close(struct bd_input *in)
{
	if (in->map && in->map != MAP_FAILED)
		munmap(in->map, in->map_len);
	memset(in, 0, sizeof(*in));
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
	if (p == MAP_FAILED)
		return io_fail(err, errno, "map", path);
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

struct spool {
	int in_fd;
	int out_fd;
	uint64_t written;
	const char *path;
	const struct bd_open_opts *opts;
};

static void progress(const struct spool *s, const char *phase)
{
	if (s->opts && s->opts->progress)
		s->opts->progress(s->opts->progress_ctx, phase, s->written, 0);
}

/* Copy the rest of in_fd (after the already-read head) to the spool. */
static enum bd_status spool_copy(struct spool *s, const unsigned char *head, size_t head_len,
				 unsigned char *buf, struct bd_error *err)
{
	ssize_t n;

	if (head_len && !write_all(s->out_fd, head, head_len))
		return io_fail(err, errno, "write the temporary copy of", s->path);
	s->written += head_len;
	while ((n = read_some(s->in_fd, buf, SPOOL_CHUNK)) > 0) {
		if (!write_all(s->out_fd, buf, (size_t)n))
			return io_fail(err, errno, "write the temporary copy of", s->path);
		s->written += (uint64_t)n;
		progress(s, "copying");
	}
	if (n < 0)
		return io_fail(err, errno, "read", s->path);
	return BD_OK;
}

/*
 * Inflate gzip (all members, as gzip -d does) into the spool. A stream that
 * stops early keeps what was inflated: truncated .gz dumps are common and
 * the readable part is still worth analysing.
 */
static enum bd_status spool_inflate(struct spool *s, struct bd_input *in,
				    const unsigned char *head, size_t head_len,
				    unsigned char *buf, struct bd_error *err)
{
	unsigned char *out = buf + SPOOL_CHUNK;
	z_stream z;
	int zrc = Z_OK;
	bool eof = false;
	uint64_t consumed = 0;
	enum bd_status rc = BD_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot start zlib");
	memcpy(buf, head, head_len);
	z.next_in = buf;
	z.avail_in = (uInt)head_len;
	for (;;) {
		if (!z.avail_in && !eof) {
			ssize_t n = read_some(s->in_fd, buf, SPOOL_CHUNK);
			if (n < 0) {
				rc = io_fail(err, errno, "read", s->path);
				break;
			}
			if (!n)
				eof = true;
			z.next_in = buf;
			z.avail_in = (uInt)n;
		}
		if (!z.avail_in && eof) {
			if (zrc != Z_STREAM_END)
				in->gzip_truncated = true;
			break;
		}
		z.next_out = out;
		z.avail_out = (uInt)SPOOL_CHUNK;
		uInt before = z.avail_in;
		zrc = inflate(&z, Z_NO_FLUSH);
		consumed += before - z.avail_in;
		size_t produced = SPOOL_CHUNK - z.avail_out;
		if (produced && !write_all(s->out_fd, out, produced)) {
			rc = io_fail(err, errno, "write the temporary copy of", s->path);
			break;
		}
		s->written += produced;
		progress(s, "inflating");
		if (zrc == Z_STREAM_END) {
			/* Another member may follow; trailing garbage ends the input. */
			if (!z.avail_in && !eof) {
				ssize_t n = read_some(s->in_fd, buf, SPOOL_CHUNK);
				if (n <= 0)
					break;
				z.next_in = buf;
				z.avail_in = (uInt)n;
			}
			if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b)
				break;
			inflateReset(&z);
			zrc = Z_OK;
			continue;
		}
		if (zrc == Z_BUF_ERROR && !produced && z.avail_in)
			continue;
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			if (s->written) {
				in->gzip_truncated = true;
				break;
			}
			rc = bd_fail(err, BD_EFORMAT, consumed, NULL,
				     "corrupt gzip data in '%s' at compressed offset %llu: %s",
				     s->path, (unsigned long long)consumed,
				     z.msg ? z.msg : "inflate failed");
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

static enum bd_status spool_and_map(struct bd_input *in, int fd, const char *path,
				    const struct bd_open_opts *opts, const unsigned char *head,
				    size_t head_len, struct bd_error *err)
{
	struct spool s = { fd, -1, 0, path, opts };
	unsigned char *buf;
	enum bd_status rc;
	bool gzip = head_len >= 2 && head[0] == 0x1f && head[1] == 0x8b;

	buf = bd_malloc(2 * SPOOL_CHUNK);
	if (!buf)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a read buffer");
	s.out_fd = make_spool(opts ? opts->tmpdir : NULL, err);
	if (s.out_fd < 0) {
		bd_free(buf);
		return BD_EIO;
	}
	in->gzipped = gzip;
	if (gzip)
		rc = spool_inflate(&s, in, head, head_len, buf, err);
	else
		rc = spool_copy(&s, head, head_len, buf, err);
	bd_free(buf);
	if (!rc && s.written > SIZE_MAX)
		rc = bd_fail(err, BD_ELIMIT, BD_NO_OFFSET, NULL, "'%s' is too large", path);
	if (!rc)
		rc = map_fd(in, s.out_fd, (size_t)s.written, path, err);
	close(s.out_fd);
	return rc;
}

enum bd_status bd_input_open(struct bd_input *in, const char *path,
			     const struct bd_open_opts *opts, struct bd_error *err)
{
	unsigned char head[2];
	size_t head_len = 0;
	struct stat st;
	int fd;
	bool is_stdin = strcmp(path, "-") == 0;
	enum bd_status rc;

	memset(in, 0, sizeof(*in));
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
		if (n < 2 || head[0] != 0x1f || head[1] != 0x8b) {
			/* stdin may be a redirected file at an offset: only map whole files */
			if (!is_stdin || lseek(fd, 0, SEEK_CUR) == 0) {
				rc = map_fd(in, fd, (size_t)st.st_size, path, err);
				goto out;
			}
		}
	}
	/* Pipes, gzip: read the head to sniff gzip, then spool. */
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
	rc = spool_and_map(in, fd, path, opts, head, head_len, err);
out:
	if (!is_stdin)
		close(fd);
	if (rc)
		bd_input_close(in);
	return rc;
}
