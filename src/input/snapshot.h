/*
 * Live snapshots (docs/snapshot-format.md): frames of external-term-format
 * terms written by `beamdump capture`. The input stage turns a snapshot
 * into the same text a crash dump holds, so every later stage reads one
 * kind of input; what a snapshot adds or lacks is said in its =snapshot
 * section.
 */
#ifndef BD_INPUT_SNAPSHOT_H
#define BD_INPUT_SNAPSHOT_H

#include "bd.h"

#include <stdio.h>

#define BD_SNAPSHOT_MAGIC "\x89" "BDSNAP\n"
#define BD_SNAPSHOT_MAGIC_LEN 8
#define BD_SNAPSHOT_MAJOR 1
/* the largest frame a reader accepts, compressed and inflated */
#define BD_SNAPSHOT_FRAME_MAX ((size_t)256 << 20)

/* Whether the first n bytes (any n >= 1) can start a snapshot. */
bool bd_snapshot_sniff(const void *head, size_t n);

/*
 * Read the snapshot in data[0..len) (name for messages) and write its
 * dump text to out, reading frames of process rows on up to threads threads. A snapshot cut short, or with a damaged frame, gives
 * the text of every frame before it, ending in =abort with the reason;
 * a file that is no snapshot of a version we read is BD_EFORMAT.
 */
enum bd_status bd_snapshot_to_text(const unsigned char *data, size_t len, const char *name,
				   unsigned threads, FILE *out, struct bd_error *err);

#endif
