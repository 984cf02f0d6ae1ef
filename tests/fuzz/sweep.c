/*
 * Truncation sweep: every dump named on the command line (plain or gzip)
 * is cut short at every STEP % of its size and handed to the dump fuzz
 * target, which builds every report and renders it in every format. At
 * every tenth cut, three more cuts fall inside lines: just before a line
 * feed, just after it, and in the middle of the next section header.
 *
 *   sweep [--light] [--step PCT] [--large-step PCT] DUMP...
 *
 * --large-step applies to dumps over 16 MiB, whose cuts cost the most.
 * --light builds only summary and procs (for a sweep at every 1 %, the
 * reports a user runs first); without it, every report runs. Each cut is
 * copied to a buffer of exactly its size, so AddressSanitizer sees a read
 * past the end. A cut dump must open (once its first two lines are there)
 * and, unless the cut kept "=end", say it is truncated. Exit status: 0, or 1 on the first cut that
 * breaks that (the target itself aborts on a sanitizer report).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "beamdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern size_t fuzz_dump_max_input;
extern int fuzz_dump_light;

static size_t n_cuts;

static uint8_t *inflate_file(const char *path, size_t *len)
{
	gzFile f = gzopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0;
	int n;

	*len = 0;
	if (!f)
		return NULL;
	do {
		if (cap - *len < 1 << 20) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 1 << 22);
			if (!nb) {
				free(buf);
				gzclose(f);
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 1 << 22;
		}
		n = gzread(f, buf + *len, 1 << 20);
		if (n > 0)
			*len += (size_t)n;
	} while (n > 0);
	gzclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Bytes up to the end of the second line (header and time), or len. */
static size_t two_lines(const uint8_t *d, size_t len)
{
	const uint8_t *nl = memchr(d, '\n', len);

	if (nl)
		nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - d));
	return nl ? (size_t)(nl + 1 - d) : len;
}

/* Bytes up to the end of the final "=end" (len if there is none). */
static size_t end_marker(const uint8_t *d, size_t len)
{
	for (size_t i = len; i >= 5; i--)
		if (memcmp(d + i - 5, "\n=end", 5) == 0)
			return i;
	return len;
}

static int cut_at(const char *path, const uint8_t *d, size_t len, size_t cut)
{
	uint8_t *buf = malloc(cut ? cut : 1);
	struct bd_dump *dump = NULL;
	struct bd_error err;
	int rc = 0;

	if (!buf)
		return 1;
	memcpy(buf, d, cut);
	(void)LLVMFuzzerTestOneInput(buf, cut);
	memset(&err, 0, sizeof(err));
	if (bd_dump_open_mem(&dump, buf, cut, path, &err) != BD_OK) {
		if (cut >= two_lines(d, len)) {
			fprintf(stderr, "sweep: %s cut at %zu of %zu does not open: %s\n", path, cut,
				len, err.msg);
			rc = 1;
		}
	} else if (!bd_dump_info(dump)->truncated && cut < end_marker(d, len)) {
		fprintf(stderr, "sweep: %s cut at %zu of %zu is not flagged truncated\n", path,
			cut, len);
		rc = 1;
	}
	bd_dump_free(dump);
	free(buf);
	n_cuts++;
	return rc;
}

static int sweep(const char *path, unsigned step, unsigned large_step)
{
	size_t len;
	uint8_t *d = inflate_file(path, &len);
	int rc = 0;

	if (!d) {
		fprintf(stderr, "sweep: cannot read %s\n", path);
		return 1;
	}
	if (len > (size_t)16 << 20 && large_step > step)
		step = large_step;
	for (unsigned pct = step; pct < 100 && !rc; pct += step) {
		size_t cut = len / 100 * pct;
		rc = cut_at(path, d, len, cut);
		if (rc || pct % 10)
			continue;
		const uint8_t *nl = memchr(d + cut, '\n', len - cut);
		if (!nl || nl + 1 >= d + len)
			continue;
		size_t at_nl = (size_t)(nl - d);
		rc = cut_at(path, d, len, at_nl) || cut_at(path, d, len, at_nl + 1);
		/* inside the next section header: "=pro" of "=proc:<0.80.0>" */
		for (size_t i = at_nl; !rc && i + 5 < len; i++) {
			if (d[i] == '\n' && d[i + 1] == '=') {
				rc = cut_at(path, d, len, i + 5);
				break;
			}
		}
	}
	free(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned step = 1;
	unsigned large_step = 0;
	int i = 1;
	int first;

	fuzz_dump_max_input = SIZE_MAX;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--light") == 0)
			fuzz_dump_light = 1;
		else if (strcmp(argv[i], "--step") == 0 && i + 1 < argc)
			step = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--large-step") == 0 && i + 1 < argc)
			large_step = (unsigned)atoi(argv[++i]);
		else
			break;
	}
	first = i;
	if (i >= argc || step == 0 || step >= 100 || large_step >= 100) {
		fprintf(stderr, "usage: %s [--light] [--step PCT] [--large-step PCT] DUMP...\n",
			argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		if (sweep(argv[i], step, large_step))
			return 1;
	printf("sweep%s: %zu cuts of %d dumps at every %u %%\n", fuzz_dump_light ? " --light" : "",
	       n_cuts, argc - first, step);
	return 0;
}
