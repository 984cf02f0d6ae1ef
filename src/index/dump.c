/* Opening and releasing dumps; the public accessors of the index stage. */
#include "bd.h"
#include "index/dump.h"
#include "index/index.h"

#include <stdatomic.h>

static void info_init(struct bd_dump_info *info, const char *file)
{
	memset(info, 0, sizeof(*info));
	info->file = file;
	info->dump_version = "";
	info->time = "";
	info->slogan = "";
	info->system_version = "";
	info->otp_release = "";
	info->erts_version = "";
	info->taints = "";
	info->calling_thread = "";
	info->node = "";
	info->truncation_reason = "";
	info->truncated_in = "";
	info->source = "dump";
	info->snapshot.profile = "";
	info->snapshot.aborted = "";
}

static enum bd_status dump_new(struct bd_dump **out, const char *name, struct bd_error *err)
{
	struct bd_dump *d = bd_calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a dump handle");
	bd_arena_init(&d->arena);
	d->threads = bd_threads_online();
	info_init(&d->info, "");
	d->info.file = bd_arena_strndup(&d->arena, name, strlen(name));
	if (!d->info.file) {
		bd_free(d);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a dump handle");
	}
	*out = d;
	return BD_OK;
}

static enum bd_status dump_index(struct bd_dump *d, struct bd_error *err)
{
	d->info.bytes = d->in.size;
	d->info.gzipped = strcmp(d->in.compression, "gzip") == 0;
	d->info.compression = d->in.compression;
	return bd_index_build(d, err);
}

enum bd_status bd_dump_open(struct bd_dump **out, const char *path,
			    const struct bd_open_opts *opts, struct bd_error *err)
{
	struct bd_dump *d;
	enum bd_status rc;

	rc = dump_new(&d, strcmp(path, "-") == 0 ? "<stdin>" : path, err);
	if (rc)
		return rc;
	if (opts) {
		d->progress = opts->progress;
		d->progress_ctx = opts->progress_ctx;
		if (opts->threads)
			d->threads = opts->threads < BD_THREADS_MAX ? opts->threads : BD_THREADS_MAX;
	}
	rc = bd_input_open(&d->in, path, opts, err);
	if (!rc)
		rc = bd_input_read_snapshot(&d->in, d->info.file, opts, err);
	if (!rc)
		rc = dump_index(d, err);
	if (rc) {
		bd_dump_free(d);
		return rc;
	}
	*out = d;
	return BD_OK;
}

enum bd_status bd_dump_open_mem(struct bd_dump **out, const void *data, size_t len,
				const char *name, struct bd_error *err)
{
	struct bd_dump *d;
	enum bd_status rc;

	rc = dump_new(&d, name ? name : "<memory>", err);
	if (rc)
		return rc;
	bd_input_from_mem(&d->in, data, len);
	rc = bd_input_read_snapshot(&d->in, d->info.file, NULL, err);
	if (!rc)
		rc = dump_index(d, err);
	if (rc) {
		bd_dump_free(d);
		return rc;
	}
	*out = d;
	return BD_OK;
}

static void proc_map_free(struct bd_proc_map *m);

void bd_dump_free(struct bd_dump *d)
{
	if (!d)
		return;
	if (d->literals && d->literals_free)
		d->literals_free(d->literals);
	if (d->binaries && d->binaries_free)
		d->binaries_free(d->binaries);
	proc_map_free(d->procs);
	bd_free(d->proc_list);
	bd_free(d->stack_list);
	bd_input_close(&d->in);
	bd_free(d->index.entries);
	bd_free(d->diags);
	bd_arena_release(&d->arena);
	bd_free(d);
}

const struct bd_dump_info *bd_dump_info(const struct bd_dump *d)
{
	return &d->info;
}

size_t bd_dump_n_diagnostics(const struct bd_dump *d)
{
	return d->n_diags;
}

const struct bd_diagnostic *bd_dump_diagnostic(const struct bd_dump *d, size_t i)
{
	return i < d->n_diags ? &d->diags[i] : NULL;
}

/* ------------------------------------------------ pid -> registered name */

struct name_entry {
	struct bd_slice pid;
	struct bd_slice name;
};

struct bd_name_map {
	struct name_entry *slots;
	size_t cap; /* power of two */
	size_t n;
};

static struct name_entry *name_slot(const struct bd_name_map *m, struct bd_slice pid)
{
	size_t i = (size_t)bd_hash_slice(pid) & (m->cap - 1);

	while (m->slots[i].pid.len) {
		if (m->slots[i].pid.len == pid.len && memcmp(m->slots[i].pid.ptr, pid.ptr, pid.len) == 0)
			break;
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

static bool lists_build(struct bd_dump *d);

/* The Name: line of a =proc, if any: it follows State: and precedes Spawned as: */
static bool proc_name_line(const struct bd_dump *d, size_t i, struct bd_section *s,
			   struct bd_slice *name)
{
	struct bd_slice rest, line;

	bd_section_get(d, i, s);
	rest = s->body;
	for (int k = 0; k < 3 && bd_slice_next_line(&rest, &line); k++) {
		if (bd_slice_starts(line, "Name: ")) {
			*name = bd_slice_trim(bd_slice_skip(line, 6));
			return true;
		}
	}
	return false;
}

/* Processes a part of the name scan reads. */
#define NAME_PART 65536

struct name_scan {
	const struct bd_dump *d;
	uint32_t *named;        /* =proc sections with a Name:, of this part */
	size_t n, cap;
	bool oom;
};

static void name_scan_run(void *ctx, size_t k)
{
	struct name_scan *ns = &((struct name_scan *)ctx)[k];
	const struct bd_dump *d = ns->d;
	size_t end = (k + 1) * NAME_PART < d->n_proc_list ? (k + 1) * NAME_PART : d->n_proc_list;

	for (size_t r = k * NAME_PART; r < end; r++) {
		struct bd_section s;
		struct bd_slice name;
		if (!proc_name_line(d, d->proc_list[r], &s, &name) || !s.id.len)
			continue;
		if (!bd_grow((void **)&ns->named, &ns->cap, ns->n + 1, sizeof(*ns->named))) {
			ns->oom = true;
			return;
		}
		ns->named[ns->n++] = d->proc_list[r];
	}
}

/*
 * Registered processes are few: the =proc sections are scanned for them
 * on every thread, then the few found are put in a table sized to them.
 */
static void name_map_build(struct bd_dump *d)
{
	struct bd_name_map *m = bd_arena_calloc(&d->arena, 1, sizeof(*m));
	size_t n_parts, n = 0;
	struct name_scan *parts;

	if (!m)
		return;
	if (!d->lists_built)
		lists_build(d);
	if (d->n_proc_list && !d->proc_list)
		return;
	n_parts = d->n_proc_list / NAME_PART + 1;
	parts = bd_calloc(n_parts, sizeof(*parts));
	if (!parts)
		return;
	for (size_t k = 0; k < n_parts; k++)
		parts[k].d = d;
	bd_parallel(n_parts, d->threads, name_scan_run, parts);
	for (size_t k = 0; k < n_parts; k++)
		n += parts[k].n;
	m->cap = 16;
	while (m->cap < 2 * n + 2)
		m->cap *= 2;
	m->slots = bd_arena_calloc(&d->arena, m->cap, sizeof(*m->slots));
	for (size_t k = 0; k < n_parts; k++) {
		for (size_t j = 0; j < parts[k].n && m->slots && !parts[k].oom; j++) {
			struct bd_section s;
			struct bd_slice name;
			proc_name_line(d, parts[k].named[j], &s, &name);
			struct name_entry *e = name_slot(m, s.id);
			e->pid = s.id;
			e->name = name;
		}
		bd_free(parts[k].named);
	}
	bd_free(parts);
	d->names = m;
}

struct bd_slice bd_dump_proc_name(struct bd_dump *d, struct bd_slice pid)
{
	if (!d->names)
		name_map_build(d);
	if (!d->names || !d->names->slots || !pid.len)
		return bd_slice_make("", 0);
	return name_slot(d->names, pid)->name;
}

/* The pid a name is registered to; a linear scan, since it is asked once. */
struct bd_slice bd_dump_find_name(struct bd_dump *d, struct bd_slice name)
{
	if (!d->names)
		name_map_build(d);
	if (!d->names || !d->names->slots || !name.len)
		return bd_slice_make("", 0);
	for (size_t i = 0; i < d->names->cap; i++) {
		struct name_entry *e = &d->names->slots[i];
		struct bd_slice n = e->name;
		if (!e->pid.len)
			continue;
		if (n.len >= 2 && n.ptr[0] == '\'' && n.ptr[n.len - 1] == '\'')
			n = bd_slice_make(n.ptr + 1, n.len - 2);
		if ((n.len == name.len && memcmp(n.ptr, name.ptr, n.len) == 0) ||
		    (e->name.len == name.len && memcmp(e->name.ptr, name.ptr, name.len) == 0))
			return e->pid;
	}
	return bd_slice_make("", 0);
}

/* ------------------------------------------------- pid -> its sections */

/*
 * A slot holds a process's rank (its =proc's place in d->proc_list) and
 * the high bits of its pid's hash, in one word so that threads can claim
 * it at once; a probe reads a section header (a random access into the
 * dump) only when the hash bits match. Beside the slots, by rank, the
 * first of each process's per-process sections (=proc_messages ...
 * =proc_heap, grouped by process), so that a process found by position
 * needs no hashing at all. Where a pid has several candidates the first in
 * the dump wins, whichever thread saw it first, so the map never depends
 * on the thread count.
 */
struct bd_proc_map {
	size_t cap;               /* n + n/2 + 1 slots: two thirds full at most */
	_Atomic uint64_t *keys;   /* (hash >> 32) << 32 | (rank + 1); 0 = empty */
	struct proc_extras *extras; /* NULL until sections by pid are asked */
};

/* By rank: section index + 1 of each process's first per-process section; 0 = none. */
struct proc_extras {
	size_t n;                   /* processes */
	_Atomic uint32_t first[];
};

static void proc_map_free(struct bd_proc_map *m)
{
	if (m)
		bd_free(m->extras);
	bd_free(m);
}

static bool is_proc_extra(enum bd_sect k)
{
	return k == BD_SECT_PROC_MESSAGES || k == BD_SECT_PROC_DICTIONARY ||
	       k == BD_SECT_PROC_STACK || k == BD_SECT_PROC_HEAP;
}

/*
 * Where pid's probe starts: the low half of its hash scaled to the table
 * (the high half is the tag), so the table need not be a power of two.
 */
static size_t first_slot(const struct bd_proc_map *m, uint64_t h)
{
	return (size_t)(((h & 0xFFFFFFFFu) * (uint64_t)m->cap) >> 32);
}

/* Rank + 1 of the process in slot i; 0 if empty. */
static uint32_t slot_rank(const struct bd_proc_map *m, size_t i)
{
	return (uint32_t)atomic_load_explicit(&m->keys[i], memory_order_relaxed);
}

/* The slot of pid, or the empty slot where it would go. */
static size_t proc_slot(const struct bd_dump *d, const struct bd_proc_map *m, struct bd_slice pid)
{
	uint64_t h = bd_hash_slice(pid);
	size_t i = first_slot(m, h);

	for (;; i = i + 1 == m->cap ? 0 : i + 1) {
		uint64_t key = atomic_load_explicit(&m->keys[i], memory_order_relaxed);
		if (!key || ((key >> 32) == (h >> 32) &&
			     bd_slice_eqs(bd_section_id(d, d->proc_list[(uint32_t)key - 1]), pid)))
			return i;
	}
}

/* Lower *at to v unless it holds a smaller non-zero value. */
static void keep_first(_Atomic uint32_t *at, uint32_t v)
{
	uint32_t old = atomic_load_explicit(at, memory_order_relaxed);

	while ((!old || v < old) &&
	       !atomic_compare_exchange_weak_explicit(at, &old, v, memory_order_relaxed,
						      memory_order_relaxed))
		;
}

/* Claim pid's slot for the process of rank k, or keep the earlier one already there. */
static void insert_proc(const struct bd_dump *d, struct bd_proc_map *m, size_t k)
{
	struct bd_slice pid = bd_section_id(d, d->proc_list[k]);
	uint64_t h = bd_hash_slice(pid);
	uint64_t key = (h >> 32) << 32 | (uint64_t)(k + 1);
	size_t at = first_slot(m, h);

	if (!pid.len)
		return;
	for (;;) {
		uint64_t old = atomic_load_explicit(&m->keys[at], memory_order_relaxed);
		while (!old) {
			if (atomic_compare_exchange_weak_explicit(&m->keys[at], &old, key,
								  memory_order_relaxed,
								  memory_order_relaxed))
				return;
		}
		if ((old >> 32) == (h >> 32) &&
		    bd_slice_eqs(bd_section_id(d, d->proc_list[(uint32_t)old - 1]), pid)) {
			/* the same pid twice: the first in the dump keeps the slot */
			while ((uint32_t)old > k + 1 &&
			       !atomic_compare_exchange_weak_explicit(&m->keys[at], &old, key,
								      memory_order_relaxed,
								      memory_order_relaxed))
				;
			return;
		}
		at = at + 1 == m->cap ? 0 : at + 1;
	}
}

/* Sections handed to one part of the build. */
#define MAP_PART 16384

struct map_build {
	struct bd_dump *d;
	struct bd_proc_map *m;
	bool full_groups;
};

static void insert_procs(void *ctx, size_t part)
{
	struct map_build *b = ctx;
	size_t end = (part + 1) * MAP_PART;

	for (size_t k = part * MAP_PART; k < end && k < b->d->n_proc_list; k++)
		insert_proc(b->d, b->m, k);
}

/*
 * Every process with per-process sections has a =proc_stack; its messages
 * and dictionary come just before it and its heap just after, so only the
 * stacks are read (one header per process). When some process has no
 * stack (a truncated dump), every per-process header is read instead.
 */
static void insert_extras(void *ctx, size_t part)
{
	struct map_build *b = ctx;
	const struct bd_dump *d = b->d;
	size_t end = (part + 1) * MAP_PART;
	struct bd_slice prev = { "", 0 };

	if (!b->full_groups) {
		for (size_t k = part * MAP_PART; k < end && k < d->n_stack_list; k++) {
			size_t i = d->stack_list[k];
			uint32_t rank = slot_rank(b->m, proc_slot(d, b->m, bd_section_id(d, i)));
			if (rank)
				keep_first(&b->m->extras->first[rank - 1], (uint32_t)(i + 1));
		}
		return;
	}
	for (size_t i = part * MAP_PART; i < end && i < d->index.n; i++) {
		struct bd_slice id;
		uint32_t rank;
		if (!is_proc_extra(bd_index_kind(&d->index, i)))
			continue;
		id = bd_section_id(d, i);
		if (bd_slice_eqs(id, prev))
			continue;
		prev = id;
		rank = slot_rank(b->m, proc_slot(d, b->m, id));
		if (rank)
			keep_first(&b->m->extras->first[rank - 1], (uint32_t)(i + 1));
	}
}

/*
 * The pids, without the per-process sections (extras_build adds them):
 * finding a process by pid and its sections by position needs no more.
 * Built once, complete, on d->threads threads; never rebuilt under a reader.
 */
static struct bd_proc_map *proc_map_build(struct bd_dump *d)
{
	size_t n = d->index.count[BD_SECT_PROC];
	size_t cap = n + n / 2 + 1;
	struct map_build b = { d, NULL, false };

	/* section indexes are stored in 32 bits */
	if (d->index.n >= UINT32_MAX || !d->lists_built || (n && !d->proc_list))
		return NULL;
	b.m = bd_calloc(1, sizeof(*b.m) + cap * sizeof(*b.m->keys));
	if (!b.m)
		return NULL;
	b.m->cap = cap;
	b.m->keys = (_Atomic uint64_t *)(b.m + 1);
	bd_parallel(d->n_proc_list / MAP_PART + 1, d->threads, insert_procs, &b);
	return b.m;
}

/* Each process's first per-process section, by rank; false if it cannot be had. */
static bool extras_build(struct bd_dump *d, struct bd_proc_map *m)
{
	size_t n = d->index.count[BD_SECT_PROC];
	struct map_build b = { d, m, d->index.count[BD_SECT_PROC_STACK] < n };
	size_t extras = b.full_groups ? d->index.n : d->n_stack_list;

	m->extras = bd_calloc(1, sizeof(*m->extras) + n * sizeof(m->extras->first[0]));
	if (!m->extras)
		return false;
	m->extras->n = n;
	bd_parallel(extras / MAP_PART + 1, d->threads, insert_extras, &b);
	return true;
}

static bool same_process(const struct bd_dump *d, size_t i, struct bd_slice pid)
{
	return is_proc_extra(bd_index_kind(&d->index, i)) &&
	       bd_slice_eqs(bd_section_id(d, i), pid);
}

static bool proc_map_ready(struct bd_dump *d)
{
	if (!d->procs) {
		if (!d->lists_built)
			lists_build(d);
		d->procs = proc_map_build(d);
	}
	return d->procs != NULL;
}

/* The pid map with each process's sections. */
static bool sections_map_ready(struct bd_dump *d)
{
	return proc_map_ready(d) && (d->procs->extras || extras_build(d, d->procs));
}

/* The per-process sections of the process of rank k, from the map. */
static void sections_of_rank(const struct bd_dump *d, size_t k, struct bd_slice pid,
			     struct bd_proc_sections *out)
{
	uint32_t extra = atomic_load_explicit(&d->procs->extras->first[k], memory_order_relaxed);
	size_t first;

	if (!extra)
		return;
	first = extra - 1;
	while (first > 0 && same_process(d, first - 1, pid))
		first--;
	for (size_t i = first; i < d->index.n && same_process(d, i, pid); i++) {
		enum bd_sect kind = bd_index_kind(&d->index, i);
		if (kind == BD_SECT_PROC_MESSAGES)
			out->messages = i;
		else if (kind == BD_SECT_PROC_DICTIONARY)
			out->dictionary = i;
		else if (kind == BD_SECT_PROC_STACK)
			out->stack = i;
		else
			out->heap = i;
	}
}

bool bd_dump_proc_sections(struct bd_dump *d, struct bd_slice pid, struct bd_proc_sections *out)
{
	uint32_t rank;

	out->proc = out->messages = out->dictionary = out->stack = out->heap = BD_NO_SECTION;
	if (!sections_map_ready(d) || !pid.len)
		return false;
	rank = slot_rank(d->procs, proc_slot(d, d->procs, pid));
	if (!rank)
		return false;
	out->proc = d->proc_list[rank - 1];
	sections_of_rank(d, rank - 1, pid, out);
	return true;
}

size_t bd_dump_proc_index(struct bd_dump *d, struct bd_slice pid)
{
	uint32_t rank;

	if (!pid.len || !proc_map_ready(d))
		return BD_NO_SECTION;
	rank = slot_rank(d->procs, proc_slot(d, d->procs, pid));
	return rank ? d->proc_list[rank - 1] : BD_NO_SECTION;
}

/* ------------------------------------------- sections from a position */

static bool lists_build(struct bd_dump *d)
{
	size_t np = d->index.count[BD_SECT_PROC];
	size_t ns = d->index.count[BD_SECT_PROC_STACK];

	d->lists_built = true;
	if (d->index.n >= UINT32_MAX)
		return false;
	d->proc_list = bd_calloc(np ? np : 1, sizeof(*d->proc_list));
	d->stack_list = bd_calloc(ns ? ns : 1, sizeof(*d->stack_list));
	if (!d->proc_list || !d->stack_list) {
		bd_free(d->proc_list);
		bd_free(d->stack_list);
		d->proc_list = d->stack_list = NULL;
		return false;
	}
	for (size_t i = 0; i < d->index.n; i++) {
		enum bd_sect k = bd_index_kind(&d->index, i);
		if (k == BD_SECT_PROC && d->n_proc_list < np)
			d->proc_list[d->n_proc_list++] = (uint32_t)i;
		else if (k == BD_SECT_PROC_STACK && d->n_stack_list < ns)
			d->stack_list[d->n_stack_list++] = (uint32_t)i;
	}
	return true;
}

size_t bd_dump_proc_rank(const struct bd_dump *d, size_t proc_i)
{
	size_t lo = 0, hi = d->n_proc_list;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->proc_list[mid] < proc_i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint32_t *bd_dump_pid_places(const struct bd_dump *d)
{
	size_t n = d->n_proc_list;
	struct bd_sort_key *keys = n && d->proc_list ? bd_realloc_array(NULL, n, sizeof(*keys)) : NULL;
	uint32_t *place = keys && n < UINT32_MAX ? bd_realloc_array(NULL, n, sizeof(*place)) : NULL;
	struct bd_pid first, id;
	bool numeric = place != NULL;

	for (size_t i = 0; i < n && numeric; i++) {
		numeric = bd_parse_pid(bd_section_id(d, d->proc_list[i]), &id);
		if (numeric && i == 0)
			first = id;
		numeric = numeric && bd_pid_sort_key(&id, &first, &keys[i].key);
		keys[i].at = i;
	}
	if (numeric && bd_sort_keys(keys, n)) {
		for (size_t k = 0; k < n; k++)
			place[keys[k].at] = (uint32_t)k;
	} else {
		bd_free(place);
		place = NULL;
	}
	bd_free(keys);
	return place;
}

/* Most stacks probed before asking the pid map. */
#define PROBE_MAX 1024

/* Processes without per-process sections: too many to probe past, and the map is asked. */
static bool too_many_missing(const struct bd_dump *d)
{
	return d->n_proc_list > d->n_stack_list && d->n_proc_list - d->n_stack_list >= PROBE_MAX;
}

bool bd_dump_proc_sections_at(struct bd_dump *d, size_t proc_i, struct bd_proc_sections *out)
{
	struct bd_slice pid;
	size_t lo, hi, missing, at = SIZE_MAX;

	out->proc = out->messages = out->dictionary = out->stack = out->heap = BD_NO_SECTION;
	if (proc_i >= d->index.n || bd_index_kind(&d->index, proc_i) != BD_SECT_PROC)
		return false;
	pid = bd_section_id(d, proc_i);
	if (!d->lists_built)
		lists_build(d);
	lo = bd_dump_proc_rank(d, proc_i);
	missing = d->n_proc_list > d->n_stack_list ? d->n_proc_list - d->n_stack_list : 0;
	if (!d->proc_list || lo >= d->n_proc_list || d->proc_list[lo] != proc_i) {
		bd_dump_proc_sections(d, pid, out);
		out->proc = proc_i;
		return true;
	}
	if (too_many_missing(d)) {
		/* too many processes without sections to probe: the map has them by rank */
		out->proc = proc_i;
		if (sections_map_ready(d))
			sections_of_rank(d, lo, pid, out);
		return true;
	}
	out->proc = proc_i;
	if (!d->n_stack_list)
		return true;
	hi = lo < d->n_stack_list ? lo : d->n_stack_list - 1;
	for (size_t k = 0; k <= missing && k <= hi; k++) {
		if (bd_slice_eqs(bd_section_id(d, d->stack_list[hi - k]), pid)) {
			at = d->stack_list[hi - k];
			break;
		}
	}
	if (at == SIZE_MAX) {
		/* not where the dump's order puts it: stacks listed in another order, or none */
		bd_dump_proc_sections(d, pid, out);
		out->proc = proc_i;
		return true;
	}
	out->stack = at;
	for (size_t i = at; i > 0 && same_process(d, i - 1, pid); i--) {
		enum bd_sect k = bd_index_kind(&d->index, i - 1);
		if (k == BD_SECT_PROC_MESSAGES)
			out->messages = i - 1;
		else if (k == BD_SECT_PROC_DICTIONARY)
			out->dictionary = i - 1;
		else
			break;
	}
	for (size_t i = at + 1; i < d->index.n && same_process(d, i, pid); i++) {
		if (bd_index_kind(&d->index, i) != BD_SECT_PROC_HEAP)
			break;
		out->heap = i;
	}
	return true;
}

/* The =proc section of pid: a scan that compares each header in place. */
size_t bd_dump_find_proc(const struct bd_dump *d, struct bd_slice pid)
{
	static const char tag[] = "=proc:";
	const size_t n = sizeof(tag) - 1;

	if (!pid.len)
		return BD_NO_SECTION;
	for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
		uint64_t off = bd_index_off(&d->index, i);
		const char *h = d->in.data + off;
		size_t left = d->in.size - (size_t)off;
		if (left > n + pid.len && memcmp(h + n, pid.ptr, pid.len) == 0 &&
		    (h[n + pid.len] == '\n' || h[n + pid.len] == '\r'))
			return i;
	}
	return BD_NO_SECTION;
}

/*
 * Build what lookups build on first use, so that threads can then share
 * the dump read-only: the name map, the position lists and the pid map.
 * Each is built once, complete; nothing changes them after.
 */
void bd_dump_prepare_shared(struct bd_dump *d)
{
	bd_dump_prepare_pids(d);
	sections_map_ready(d);
}

void bd_dump_prepare_pids(struct bd_dump *d)
{
	bd_dump_proc_name(d, BD_SLICE_LIT("<0.0.0>"));
	if (!d->lists_built)
		lists_build(d);
	proc_map_ready(d);
	/* bd_dump_proc_sections_at asks the map for the sections then */
	if (d->procs && too_many_missing(d))
		sections_map_ready(d);
}
