/*
 * Input stage: turns a path, stdin or a memory block into one read-only
 * byte range. Plain files are mapped; compressed input (gzip, zstd, xz) and
 * pipes are decoded once into an unlinked temporary file that is then
 * mapped, so offsets mean the same for every kind of input and no stage
 * holds the dump in anonymous memory. The only stage that knows codecs.
 */
#ifndef BD_INPUT_INPUT_H
#define BD_INPUT_INPUT_H

#include "bd.h"

/*
 * How much decoded text a compressed or piped input may write to the
 * temporary file unless bd_open_opts.max_inflate says otherwise. Most real
 * dumps compress 4-15 times, but one holding large zeroed binaries was seen at
 * 406 times; gzip cannot pass about 1032 times, zstd and xz go far beyond.
 */
#define BD_INFLATE_RATIO 1024                        /* times the compressed size */
#define BD_INFLATE_CEILING ((uint64_t)64 << 30)      /* whatever the ratio allows */
#define BD_PIPE_CEILING ((uint64_t)16 << 30)         /* size unknown: stdin, FIFOs */

/* Bytes the header check needs: the longest magic, "<Erlang crash dump>". */
#define BD_INPUT_HEAD_LEN 20

struct bd_input {
	const char *data;  /* the whole uncompressed dump */
	size_t size;
	void *map;         /* munmap() target, NULL for memory input */
	size_t map_len;
	int fd;            /* the mapped file, open while map is: a first pass over the
			      whole dump reads it, since touching every mapped page
			      costs several times more than reading (see index.c) */
	const char *compression;  /* "gzip", "zstd", "xz"; "" for plain text */
	const char *cut;   /* why the compressed data stops early; NULL if it does not */
	bool snapshot;     /* data is the text of a live snapshot (input/snapshot.h) */
};

enum bd_status bd_input_open(struct bd_input *in, const char *path,
			     const struct bd_open_opts *opts, struct bd_error *err);
void bd_input_from_mem(struct bd_input *in, const void *data, size_t len);
void bd_input_close(struct bd_input *in);

/*
 * If in holds a live snapshot, replace it by the snapshot's dump text, in
 * an unlinked temporary file; any other input is left as it is.
 */
enum bd_status bd_input_read_snapshot(struct bd_input *in, const char *name,
				      const struct bd_open_opts *opts, struct bd_error *err);

/*
 * BD_OK if the first n bytes of a dump (n >= BD_INPUT_HEAD_LEN, or all of
 * it) can start a crash dump or snapshot we read; else BD_EFORMAT saying what it is.
 */
enum bd_status bd_input_check_head(const void *p, size_t n, const char *name,
				   struct bd_error *err);

#endif
