/*
 * The `source` of every report: a crash dump, or a live snapshot with what
 * its capture read and which facts it does not hold, so that a reader
 * never takes a missing fact for a zero.
 */
#include "bd.h"
#include "analyze/analyze.h"

#include <inttypes.h>

/* What a snapshot never holds (docs/snapshot-format.md). */
static const char *const not_in_snapshot[] = {
	"process heaps and behaviour states",
	"message contents",
	"binary contents",
	"ETS rows",
	"allocator carriers",
	"timers and ports",
	"loaded code",
	"atom names",
};

bool bd_is_snapshot(const struct bd_dump *d)
{
	return strcmp(d->info.source, "snapshot") == 0;
}

void bd_rm_source(struct rm_builder *b, struct rm_node *root, const struct bd_dump *d)
{
	const struct bd_dump_info *i = &d->info;
	const struct bd_snapshot_info *sn = &i->snapshot;
	bool snapshot = bd_is_snapshot(d);
	struct rm_node *o = bd_rm_label(bd_rm_obj(b, root, "source"), "Source");
	struct rm_node *gaps;

	bd_rm_str(b, o, "kind", i->source);
	if (!snapshot) {
		bd_rm_flags(o, RM_NOTEXT);
		return;
	}
	bd_rm_str(b, o, "profile", sn->profile);
	bd_rm_uint(b, o, "processes_read", sn->processes_read);
	bd_rm_uint(b, o, "processes_detailed", sn->processes_detailed);
	bd_rm_uint(b, o, "processes_vanished", sn->processes_vanished);
	bd_rm_uint(b, o, "memory_estimated", sn->memory_estimated);
	bd_rm_uint(b, o, "duration_ms", sn->duration_us / 1000);
	bd_rm_uint(b, o, "window_s", sn->window_s);
	bd_rm_uint(b, o, "timeouts", sn->timeouts);
	bd_rm_bool(b, o, "complete", !i->truncated && !sn->aborted[0]);
	if (sn->aborted[0])
		bd_rm_str(b, o, "aborted", sn->aborted);
	gaps = bd_rm_flags(bd_rm_arr(b, o, "not_in_input"), RM_WIDE);
	for (size_t k = 0; k < BD_ARRAY_SIZE(not_in_snapshot); k++) {
		/* --state read some states: only the heaps and the other states are missing */
		if (k == 0 && sn->states_read)
			bd_rm_str(b, gaps, NULL,
			       bd_arena_printf(b->arena, "process heaps, and the behaviour states of all "
					       "but the %" PRIu64 " processes read with --state",
					       sn->states_read));
		else
			bd_rm_str(b, gaps, NULL, not_in_snapshot[k]);
	}
	if (sn->processes_detailed < sn->processes_read)
		bd_rm_str(b, gaps, NULL,
		       bd_arena_printf(b->arena,
				       "links, monitors, stacks, dictionaries and exact memory of the %" PRIu64
				       " processes not read in phase 2 (their memory is estimated from "
				       "their heap blocks)",
				       sn->processes_read - sn->processes_detailed));
}

struct bd_report *bd_report_new(const char *title, const struct bd_dump *d)
{
	struct bd_report *r = bd_rm_report_new(title);

	if (r)
		bd_rm_source(&r->b, r->root, d);
	return r;
}
