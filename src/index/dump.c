/* Opening and releasing dumps; the public accessors of the index stage. */
#include "bd.h"
#include "index/dump.h"
#include "index/index.h"

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
}

static enum bd_status dump_new(struct bd_dump **out, const char *name, struct bd_error *err)
{
	struct bd_dump *d = bd_calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot allocate a dump handle");
	bd_arena_init(&d->arena);
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
	d->info.gzipped = d->in.gzipped;
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
	}
	rc = bd_input_open(&d->in, path, opts, err);
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
	rc = dump_index(d, err);
	if (rc) {
		bd_dump_free(d);
		return rc;
	}
	*out = d;
	return BD_OK;
}

void bd_dump_free(struct bd_dump *d)
{
	if (!d)
		return;
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

static void name_map_build(struct bd_dump *d)
{
	struct bd_name_map *m = bd_arena_calloc(&d->arena, 1, sizeof(*m));
	size_t n = 0;

	if (!m)
		return;
	/* Registered processes are few; size the table from a first count. */
	for (size_t pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			m->cap = 16;
			while (m->cap < 2 * n + 2)
				m->cap *= 2;
			m->slots = bd_arena_calloc(&d->arena, m->cap, sizeof(*m->slots));
			if (!m->slots)
				return;
		}
		for (size_t i = bd_section_find(d, BD_SECT_PROC, 0); i < d->index.n;
		     i = bd_section_find(d, BD_SECT_PROC, i + 1)) {
			struct bd_section s;
			struct bd_slice rest;
			struct bd_slice line;
			bd_section_get(d, i, &s);
			rest = s.body;
			/* Name: follows State: and precedes Spawned as: (format doc section 2) */
			for (int k = 0; k < 3 && bd_slice_next_line(&rest, &line); k++) {
				if (!bd_slice_starts(line, "Name: "))
					continue;
				if (pass == 0) {
					n++;
				} else if (s.id.len) {
					struct name_entry *e = name_slot(m, s.id);
					e->pid = s.id;
					e->name = bd_slice_trim(bd_slice_skip(line, 6));
				}
				break;
			}
		}
	}
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
