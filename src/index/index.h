/*
 * Index stage: one pass over the dump finds every section header
 * ("=tag" or "=tag:id" in column 0) and records its kind and offset.
 * Nothing is copied: a section's id and body are found again from its
 * offset, and its length is the distance to the next header.
 */
#ifndef BD_INDEX_INDEX_H
#define BD_INDEX_INDEX_H

#include "bd.h"
#include "input/input.h"

/* Every tag of the format reference (crash-dump-format.md section 1.4). */
enum bd_sect {
	BD_SECT_UNKNOWN = 0,
	BD_SECT_ERL_CRASH_DUMP,
	BD_SECT_SCHEDULER,
	BD_SECT_DIRTY_CPU_SCHEDULER,
	BD_SECT_DIRTY_IO_SCHEDULER,
	BD_SECT_DIRTY_CPU_RUN_QUEUE,
	BD_SECT_DIRTY_IO_RUN_QUEUE,
	BD_SECT_MEMORY,
	BD_SECT_HASH_TABLE,
	BD_SECT_INDEX_TABLE,
	BD_SECT_ALLOCATED_AREAS,
	BD_SECT_ALLOCATOR,
	BD_SECT_PROC,
	BD_SECT_PORT,
	BD_SECT_ETS,
	BD_SECT_TIMER,
	BD_SECT_NODE,
	BD_SECT_NO_DISTRIBUTION,
	BD_SECT_VISIBLE_NODE,
	BD_SECT_HIDDEN_NODE,
	BD_SECT_NOT_CONNECTED,
	BD_SECT_LOADED_MODULES,
	BD_SECT_MOD,
	BD_SECT_FUN,
	BD_SECT_PROC_MESSAGES,
	BD_SECT_PROC_DICTIONARY,
	BD_SECT_PROC_STACK,
	BD_SECT_PROC_HEAP,
	BD_SECT_PERSISTENT_TERMS,
	BD_SECT_LITERALS,
	BD_SECT_BINARY,
	BD_SECT_ATOMS,
	BD_SECT_END,
	BD_SECT_ABORT,
	BD_SECT_INTERNAL_ETS,
	BD_SECT_INSTR_DATA,
	BD_SECT_OLD_INSTR_DATA,
	BD_SECT_MEMORY_MAP,
	BD_SECT_MEMORY_STATUS,
	BD_SECT_SNAPSHOT,  /* what a live snapshot's capture saw (input/snapshot.h) */
	BD_SECT__COUNT
};

const char *bd_sect_tag(enum bd_sect kind);

/* Kind in the top byte, offset in the low 56 bits: 8 bytes a section. */
#define BD_INDEX_OFF_BITS 56

struct bd_index {
	uint64_t *entries;
	size_t n;
	size_t cap;
	size_t count[BD_SECT__COUNT];
};

/* The kind of entry i (i < ix->n), without reading its header. */
static inline enum bd_sect bd_index_kind(const struct bd_index *ix, size_t i)
{
	return (enum bd_sect)(ix->entries[i] >> BD_INDEX_OFF_BITS);
}

/* The offset of entry i's '=' in the dump. */
static inline uint64_t bd_index_off(const struct bd_index *ix, size_t i)
{
	return ix->entries[i] & ((UINT64_C(1) << BD_INDEX_OFF_BITS) - 1);
}

struct bd_section {
	enum bd_sect kind;
	uint64_t off;            /* offset of the '=' */
	struct bd_slice header;  /* "=proc:<0.1.0>" without the line end */
	struct bd_slice id;      /* "<0.1.0>", may be empty */
	struct bd_slice body;    /* after the header line up to the next header */
	bool last;               /* the final section of a truncated dump */
};

struct bd_dump;

/* Diagnostics: recoverable problems, kept in order of discovery. */
void bd_diag(struct bd_dump *d, uint64_t off, struct bd_slice section, const char *fmt, ...)
	BD_PRINTF(4, 5);

/* Build the index and read the preamble; fills d->index and d->info. */
enum bd_status bd_index_build(struct bd_dump *d, struct bd_error *err);

/* Section i (i < d->index.n). */
void bd_section_get(const struct bd_dump *d, size_t i, struct bd_section *out);
/* Its id: "<0.1.0>" of "=proc:<0.1.0>", may be empty. */
struct bd_slice bd_section_id(const struct bd_dump *d, size_t i);

/* Body of the first section of a kind (=memory, =loaded_modules, ...); false if none. */
bool bd_section_body(const struct bd_dump *d, enum bd_sect kind, struct bd_slice *body);

/* First section of a kind at or after index start; d->index.n if none. */
size_t bd_section_find(const struct bd_dump *d, enum bd_sect kind, size_t start);

#endif
