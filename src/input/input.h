/*
 * Input stage: turns a path, stdin or a memory block into one read-only
 * byte range. Plain files are mapped; gzip and pipes are spooled once into
 * an unlinked temporary file that is then mapped, so offsets mean the same
 * for every kind of input and no stage holds the dump in anonymous memory.
 */
#ifndef BD_INPUT_INPUT_H
#define BD_INPUT_INPUT_H

#include "bd.h"

struct bd_input {
	const char *data;  /* the whole uncompressed dump */
	size_t size;
	void *map;         /* munmap() target, NULL for memory input */
	size_t map_len;
	bool gzipped;
	bool gzip_truncated;  /* the gzip stream stopped early; data is what inflated */
};

enum bd_status bd_input_open(struct bd_input *in, const char *path,
			     const struct bd_open_opts *opts, struct bd_error *err);
void bd_input_from_mem(struct bd_input *in, const void *data, size_t len);
void bd_input_close(struct bd_input *in);

#endif
