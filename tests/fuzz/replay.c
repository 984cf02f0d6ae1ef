/*
 * Corpus replay without libFuzzer: feeds every file named on the command
 * line, and every regular file under each directory named (recursively,
 * in name order), to LLVMFuzzerTestOneInput of the target it is linked
 * with.  Each input is read into a buffer of exactly its size, so that
 * AddressSanitizer catches reads past the end as the fuzzer would.
 *
 *   replay_term tests/fuzz/corpus/term [more dirs or files...]
 *
 * Exit status: 0 when every input ran (the target aborts on a bug), 2 on
 * a usage or I/O error, including a path that does not exist.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_inputs;
static size_t n_bytes;
static int verbose;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t len;

	if (!f || fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	len = (size_t)st.st_size;
	/* malloc(0) may return NULL: keep one byte, pass the real length */
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != len) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (verbose)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	n_inputs++;
	n_bytes += len;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path);

static int run_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	size_t cap = 0;
	int rc = 0;

	if (!dir) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden files such as .gitkeep */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(names, ncap * sizeof(*names));
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
			cap = ncap;
		}
		size_t len = strlen(path) + 1 + strlen(de->d_name) + 1;
		names[n] = malloc(len);
		if (!names[n]) {
			rc = -1;
			break;
		}
		snprintf(names[n], len, "%s/%s", path, de->d_name);
		n++;
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && run_path(names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static int run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	if (S_ISREG(st.st_mode))
		return run_file(path);
	return 0;
}

int main(int argc, char **argv)
{
	int first = 1;
	clock_t t0 = clock();

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [-v] DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = first; i < argc; i++)
		if (run_path(argv[i]) != 0)
			return 2;
	printf("%s: %zu inputs, %zu bytes, %.2f s cpu\n", argv[0], n_inputs, n_bytes,
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	return 0;
}
