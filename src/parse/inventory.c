/*
 * System sections (crash-dump-format.md section 6): ETS tables, ports,
 * timers, schedulers and erts_alloc statistics, in every release's form.
 */
#include "bd.h"
#include "parse/parse.h"

#include <stdio.h>

static uint64_t num(struct bd_slice v)
{
	uint64_t n = 0;

	if (!bd_parse_u64(bd_slice_trim(v), &n))
		return 0;
	return n;
}

void bd_parse_ets(const struct bd_section *s, struct bd_ets *e)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;

	memset(e, 0, sizeof(*e));
	e->owner = s->id;
	e->buckets = BD_UNSET;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		if (bd_slice_starts(line, "Ordered set")) {
			/* "Ordered set (AVL tree), Elements: N" */
			e->ordered = true;
			continue;
		}
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		v = bd_slice_trim(v);
		if (bd_slice_eq(k, "Slot"))
			e->slot = v;
		else if (bd_slice_eq(k, "Table"))
			e->table = v;
		else if (bd_slice_eq(k, "Name"))
			e->name = v;
		else if (bd_slice_eq(k, "Buckets"))
			e->buckets = num(v);
		else if (bd_slice_eq(k, "Objects"))
			e->objects = num(v);
		else if (bd_slice_eq(k, "Words"))
			e->words = num(v);
		else if (bd_slice_eq(k, "Type"))
			e->type = v;
		else if (bd_slice_eq(k, "Protection"))
			e->protection = v;
		else if (bd_slice_eq(k, "Compressed"))
			e->compressed = v;
		else if (bd_slice_eq(k, "Write Concurrency"))
			e->write_concurrency = v;
		else if (bd_slice_eq(k, "Read Concurrency"))
			e->read_concurrency = v;
	}
}

void bd_parse_port(const struct bd_section *s, struct bd_port *p)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;

	memset(p, 0, sizeof(*p));
	p->id = s->id;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		if (bd_slice_starts(line, "Port controls ")) {
			p->controls = bd_slice_trim(bd_slice_skip(line, 14));
			continue;
		}
		if (bd_slice_starts(line, "Port is ")) {
			p->controls = bd_slice_trim(bd_slice_skip(line, 8));
			continue;
		}
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		v = bd_slice_trim(v);
		if (bd_slice_eq(k, "State"))
			p->state = v;
		else if (bd_slice_eq(k, "Connected"))
			p->connected = v;
		else if (bd_slice_eq(k, "Links"))
			p->links = v;
		else if (bd_slice_eq(k, "Registered as"))
			p->registered_as = v;
		else if (bd_slice_eq(k, "Input"))
			p->input = num(v);
		else if (bd_slice_eq(k, "Output"))
			p->output = num(v);
		else if (bd_slice_eq(k, "Queue"))
			p->queue = num(v);
	}
}

void bd_parse_timer(const struct bd_section *s, struct bd_timer *t)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;

	memset(t, 0, sizeof(*t));
	t->owner = s->id;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		if (bd_slice_eq(k, "Message"))
			t->message = bd_slice_trim(v);
		else if (bd_slice_eq(k, "Time left"))
			t->time_left_ms = bd_parse_u64_prefix(bd_slice_trim(v)); /* "N ms" before OTP 17 */
	}
}

void bd_parse_scheduler(const struct bd_section *s, struct bd_scheduler *sc)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;

	memset(sc, 0, sizeof(*sc));
	sc->id = s->id;
	sc->kind = s->kind;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		v = bd_slice_trim(v);
		if (bd_slice_eq(k, "Scheduler Sleep Info Flags"))
			sc->sleep_flags = v;
		else if (bd_slice_eq(k, "Current Process"))
			sc->current_process = v;
		else if (bd_slice_eq(k, "Current Process State"))
			sc->current_process_state = v;
		else if (bd_slice_eq(k, "Current Port"))
			sc->current_port = v;
		else if (k.len >= 17 && bd_slice_starts(k, "Run Queue ") &&
			 memcmp(k.ptr + k.len - 7, " Length", 7) == 0) {
			struct bd_slice which = bd_slice_make(k.ptr + 10, k.len - 17);
			uint64_t n = num(v);
			sc->has_run_queue = true;
			if (bd_slice_eq(which, "Max"))
				sc->run_queue_max = n;
			else if (bd_slice_eq(which, "High"))
				sc->run_queue_high = n;
			else if (bd_slice_eq(which, "Normal"))
				sc->run_queue_normal = n;
			else if (bd_slice_eq(which, "Low"))
				sc->run_queue_low = n;
			else if (bd_slice_eq(which, "Port"))
				sc->run_queue_port = n;
		}
	}
}

/* ----------------------------------------------------------- allocators */

/* First value of "c lm m" (current); *max gets the last one. */
static uint64_t first_value(struct bd_slice v, uint64_t *max)
{
	struct bd_slice t = bd_slice_trim(v);
	const char *sp = memchr(t.ptr, ' ', t.len);
	const char *last = t.ptr;
	uint64_t cur = 0;

	for (const char *p = t.ptr; p < t.ptr + t.len; p++)
		if (*p == ' ')
			last = p + 1;
	bd_parse_u64(bd_slice_make(t.ptr, sp ? (size_t)(sp - t.ptr) : t.len), &cur);
	if (max && !bd_parse_u64(bd_slice_make(last, (size_t)(t.ptr + t.len - last)), max))
		*max = cur;
	return cur;
}

/* "mbcs blocks[binary_alloc] size" or "mbcs blocks size": the blocks' byte size */
static bool is_blocks_size(struct bd_slice k, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!bd_slice_starts(k, prefix))
		return false;
	k = bd_slice_skip(k, n);
	if (bd_slice_eq(k, " blocks size"))
		return true;
	return bd_slice_starts(k, " blocks[") && k.len > 5 &&
	       memcmp(k.ptr + k.len - 6, "] size", 6) == 0;
}

static bool is_blocks_count(struct bd_slice k, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!bd_slice_starts(k, prefix))
		return false;
	k = bd_slice_skip(k, n);
	if (bd_slice_eq(k, " blocks"))
		return true;
	return bd_slice_starts(k, " blocks[") && k.len > 6 &&
	       memcmp(k.ptr + k.len - 7, "] count", 7) == 0;
}

size_t bd_parse_allocator(const struct bd_section *s, struct bd_alloc_type *types, size_t n,
			  size_t cap)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;
	struct bd_alloc_type inst;
	struct bd_slice type = s->id;
	const char *br = memchr(s->id.ptr, '[', s->id.len);
	bool alloc_util = false;
	size_t i;

	if (br)
		type.len = (size_t)(br - s->id.ptr);
	memset(&inst, 0, sizeof(inst));
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		uint64_t max = 0;
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		if (is_blocks_size(k, "mbcs")) {
			inst.mbcs_blocks += first_value(v, NULL);
		} else if (is_blocks_size(k, "sbcs")) {
			inst.sbcs_blocks += first_value(v, NULL);
		} else if (is_blocks_size(k, "mbcs_pool")) {
			inst.pool_blocks += first_value(v, NULL);
		} else if (is_blocks_count(k, "mbcs")) {
			inst.mbcs_block_count += first_value(v, NULL);
		} else if (is_blocks_count(k, "sbcs")) {
			inst.sbcs_block_count += first_value(v, NULL);
		} else if (bd_slice_eq(k, "mbcs carriers size")) {
			inst.mbcs_carriers = first_value(v, &max);
			inst.carriers_max += max;
			alloc_util = true;
		} else if (bd_slice_eq(k, "sbcs carriers size")) {
			inst.sbcs_carriers = first_value(v, &max);
			inst.carriers_max += max;
			alloc_util = true;
		} else if (bd_slice_eq(k, "mbcs_pool carriers size")) {
			inst.pool_carriers = first_value(v, NULL);
		} else if (bd_slice_eq(k, "mbcs carriers")) {
			inst.mbcs_carrier_count = first_value(v, NULL);
		} else if (bd_slice_eq(k, "sbcs carriers")) {
			inst.sbcs_carrier_count = first_value(v, NULL);
		}
	}
	/* Only alloc_util instances have carriers; sys_alloc, mseg_alloc, ... do not. */
	if (!alloc_util)
		return n;
	for (i = 0; i < n; i++)
		if (strlen(types[i].name) == type.len && memcmp(types[i].name, type.ptr, type.len) == 0)
			break;
	if (i == n) {
		if (n == cap)
			return n;
		memset(&types[i], 0, sizeof(types[i]));
		snprintf(types[i].name, sizeof(types[i].name), "%.*s",
			 (int)(type.len < sizeof(types[i].name) ? type.len : sizeof(types[i].name) - 1),
			 type.ptr);
		n++;
	}
	types[i].instances++;
	types[i].mbcs_blocks += inst.mbcs_blocks;
	types[i].mbcs_carriers += inst.mbcs_carriers;
	types[i].sbcs_blocks += inst.sbcs_blocks;
	types[i].sbcs_carriers += inst.sbcs_carriers;
	types[i].pool_blocks += inst.pool_blocks;
	types[i].pool_carriers += inst.pool_carriers;
	types[i].mbcs_block_count += inst.mbcs_block_count;
	types[i].sbcs_block_count += inst.sbcs_block_count;
	types[i].mbcs_carrier_count += inst.mbcs_carrier_count;
	types[i].sbcs_carrier_count += inst.sbcs_carrier_count;
	types[i].carriers_max += inst.carriers_max;
	return n;
}

int bd_alloc_type_cmp(const void *a, const void *b)
{
	const struct bd_alloc_type *x = a;
	const struct bd_alloc_type *y = b;
	uint64_t cx = x->mbcs_carriers + x->sbcs_carriers + x->pool_carriers;
	uint64_t cy = y->mbcs_carriers + y->sbcs_carriers + y->pool_carriers;

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(x->name, y->name);
}
