/* Analyses shared by several reports. */
#ifndef BD_ANALYZE_ANALYZE_H
#define BD_ANALYZE_ANALYZE_H

#include "bd.h"
#include "index/dump.h"
#include "parse/parse.h"
#include "report/model.h"

/* pid -> =proc_stack section, for stack depths; built on first use. */
struct bd_stack_map;
struct bd_stack_map *bd_stack_map_new(const struct bd_dump *d);
void bd_stack_map_free(struct bd_stack_map *m);
/* Stack depth in words (slots printed), or BD_UNSET if the process has no stack section. */
uint64_t bd_stack_words(const struct bd_stack_map *m, struct bd_slice pid);

/* Lines in a section body (a stack's depth in words). */
uint64_t bd_count_lines(struct bd_slice body);

/* A process row as in `procs` (JSON keys are the public contract). */
void bd_proc_row(struct rm_builder *b, struct rm_node *row, struct bd_dump *d,
		 const struct bd_proc *p, uint64_t stack_words);

#endif
