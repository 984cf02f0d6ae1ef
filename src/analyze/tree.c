/* Processes placed under their spawner, supervisor and application. */
#include "bd.h"
#include "analyze/analyze.h"
#include "analyze/tree.h"
#include "parse/parse.h"
#include "term/heap.h"
#include "term/process.h"

/* What a process's dictionary says about where it came from. */
struct dict_facts {
	struct bd_slice initial_call;  /* M:F/A, in the tree's arena (kept once per part) */
	struct bd_slice ancestor;      /* first '$ancestors' entry found in the dump */
	bool supervisor;
	bool app_master;
};

static bool is_supervisor_module(struct bd_slice m)
{
	return bd_slice_eq(m, "supervisor") || bd_slice_eq(m, "supervisor_bridge") ||
	       bd_slice_eq(m, "Elixir.DynamicSupervisor") ||
	       bd_slice_eq(m, "Elixir.PartitionSupervisor");
}

/*
 * Initial calls, each kept once per part: a node's processes run a few
 * hundred distinct ones, so a copy per process would be most of the tree.
 */
struct call_set {
	struct bd_arena *arena;
	struct bd_slice *slots;   /* empty: len 0 */
	size_t cap, n;            /* cap: a power of two, at most half full */
};

static bool call_set_grow(struct call_set *cs)
{
	size_t cap = cs->cap ? cs->cap * 2 : 64;
	struct bd_slice *slots = bd_calloc(cap, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < cs->cap; i++) {
		if (!cs->slots[i].len)
			continue;
		size_t h = (size_t)bd_hash_slice(cs->slots[i]) & (cap - 1);
		while (slots[h].len)
			h = (h + 1) & (cap - 1);
		slots[h] = cs->slots[i];
	}
	bd_free(cs->slots);
	cs->slots = slots;
	cs->cap = cap;
	return true;
}

/* The kept copy of text, made on first sight; empty if out of memory. */
static struct bd_slice call_set_get(struct call_set *cs, struct bd_slice text)
{
	size_t h;

	if ((cs->n + 1) * 2 > cs->cap && !call_set_grow(cs))
		return bd_slice_make("", 0);
	h = (size_t)bd_hash_slice(text) & (cs->cap - 1);
	for (; cs->slots[h].len; h = (h + 1) & (cs->cap - 1)) {
		if (bd_slice_eqs(cs->slots[h], text))
			return cs->slots[h];
	}
	char *copy = bd_arena_strndup(cs->arena, text.ptr, text.len);
	if (!copy)
		return bd_slice_make("", 0);
	cs->slots[h] = bd_slice_make(copy, text.len);
	cs->n++;
	return cs->slots[h];
}

static void read_initial_call(struct call_set *calls, const struct bd_process *p,
			      const struct bd_elem *v, struct dict_facts *f)
{
	struct bd_elem m, fn, a;
	char text[768];

	if (!bd_tuple_elem(&p->ctx, v, 0, &m) || m.kind != BD_ELEM_ATOM ||
	    !bd_tuple_elem(&p->ctx, v, 1, &fn) || fn.kind != BD_ELEM_ATOM ||
	    !bd_tuple_elem(&p->ctx, v, 2, &a) || a.kind != BD_ELEM_SMALL)
		return;
	f->supervisor = is_supervisor_module(m.text);
	f->app_master = bd_slice_eq(m.text, "application_master") && bd_slice_eq(fn.text, "init");
	/* atoms are at most 255 characters */
	int len = snprintf(text, sizeof(text), "%.*s:%.*s/%lld", (int)m.text.len, m.text.ptr,
			   (int)fn.text.len, fn.text.ptr, (long long)a.small);
	if (len > 0 && (size_t)len < sizeof(text))
		f->initial_call = call_set_get(calls, bd_slice_make(text, (size_t)len));
}

/* The first '$ancestors' entry (a pid or a registered name) that is in the dump. */
static void read_ancestor(struct bd_dump *d, const struct bd_process *p, struct bd_elem list,
			  struct dict_facts *f)
{
	struct bd_elem head;

	for (int guard = 0; guard < 64 && bd_list_cell(&p->ctx, &list, &head, &list); guard++) {
		struct bd_slice pid = head.kind == BD_ELEM_PID    ? head.text
				      : head.kind == BD_ELEM_ATOM ? bd_dump_find_name(d, head.text)
								  : bd_slice_make("", 0);
		if (pid.len && bd_dump_proc_index(d, pid) != BD_NO_SECTION) {
			f->ancestor = pid;
			return;
		}
	}
}

/* Look for the dictionary's lines this far from the end of a heap before indexing it. */
#define DICT_TAIL ((size_t)4 << 20)

/*
 * The dictionary's terms are written at the end of the process's heap
 * section: point the resolve hint at the first one, so that reading them
 * does not index a heap of a million messages.
 */
static void hint_dictionary(struct bd_dump *d, struct bd_process *p, struct bd_slice dict)
{
	struct bd_slice line, rest = dict;
	struct bd_section h;
	char needle[24];
	const char *tail, *at;

	if (p->sect.heap == BD_NO_SECTION || !bd_slice_next_line(&rest, &line) || line.len < 2 ||
	    line.ptr[0] != 'H' || line.len - 1 > 17)
		return;
	bd_section_get(d, p->sect.heap, &h);
	if (h.body.len <= DICT_TAIL)
		return;
	needle[0] = '\n';
	memcpy(needle + 1, line.ptr + 1, line.len - 1);
	needle[line.len] = ':';
	tail = h.body.ptr + h.body.len - DICT_TAIL;
	at = bd_memmem(tail, DICT_TAIL, needle, line.len + 1);
	if (at)
		p->hint.next[0] = at + 1;
}

static void read_dictionary(struct call_set *calls, struct bd_dump *d, struct bd_process *p,
			    struct dict_facts *f)
{
	struct bd_slice rest = bd_process_dictionary(p);
	struct bd_elem key, value;

	hint_dictionary(d, p, rest);

	while (bd_next_dict_entry(p, &rest, &key, &value, NULL)) {
		if (bd_elem_is_atom(&key, "$initial_call"))
			read_initial_call(calls, p, &value, f);
		else if (bd_elem_is_atom(&key, "$ancestors"))
			read_ancestor(d, p, value, f);
	}
}

/*
 * An application master keeps #state{child, appl_data, ...} on its stack;
 * appl_data's second element is the application's name.
 */
static struct bd_slice app_master_name(const struct bd_process *p)
{
	for (size_t i = 0; i < p->n_slots; i++) {
		const struct bd_elem *s = &p->slots[i].elem;
		struct bd_elem tag, field, name;
		if (!bd_tuple_elem(&p->ctx, s, 0, &tag) || !bd_elem_is_atom(&tag, "state"))
			continue;
		for (uint64_t k = 1; bd_tuple_elem(&p->ctx, s, k, &field) && k < 8; k++) {
			if (bd_tuple_elem(&p->ctx, &field, 0, &tag) &&
			    bd_elem_is_atom(&tag, "appl_data") &&
			    bd_tuple_elem(&p->ctx, &field, 1, &name) && name.kind == BD_ELEM_ATOM)
				return name.text;
		}
	}
	return bd_slice_make("", 0);
}

/* Applications are numbered per part of the build, then once for the tree. */
struct app_names {
	struct bd_slice *names;
	size_t n;
	size_t cap;
};

static uint32_t app_index(struct app_names *a, struct bd_slice name)
{
	for (size_t i = 0; i < a->n; i++) {
		if (bd_slice_eqs(a->names[i], name))
			return (uint32_t)i;
	}
	if (!bd_grow((void **)&a->names, &a->cap, a->n + 1, sizeof(*a->names)))
		return BD_NO_PLACE;
	a->names[a->n] = name;
	return (uint32_t)a->n++;
}

static uint32_t place_of_section(const struct bd_dump *d, size_t section)
{
	size_t i = bd_dump_proc_rank(d, section);

	return i < d->n_proc_list && d->proc_list[i] == section ? (uint32_t)i : BD_NO_PLACE;
}

uint32_t bd_proc_tree_find(const struct bd_proc_tree *t, struct bd_dump *d, struct bd_slice pid)
{
	size_t at = pid.len ? bd_dump_proc_index(d, pid) : BD_NO_SECTION;
	uint32_t i;

	if (at == BD_NO_SECTION)
		return BD_NO_PLACE;
	i = place_of_section(d, at);
	return i < t->n ? i : BD_NO_PLACE;
}

struct bd_slice bd_place_pid(const struct bd_proc_tree *t, uint32_t i)
{
	struct bd_section s;

	if (i >= t->n)
		return bd_slice_make("", 0);
	bd_section_get(t->d, t->procs[i].section, &s);
	return s.id;
}

struct bd_slice bd_place_label(const struct bd_proc_tree *t, uint32_t i)
{
	if (i >= t->n)
		return bd_slice_make("", 0);
	return t->procs[i].name.len ? t->procs[i].name : bd_place_pid(t, i);
}

/* A run of processes placed by one thread; apps numbered in its own list. */
struct place_part {
	struct bd_proc_tree *t;
	size_t lo, hi;
	struct bd_arena *arena;
	struct call_set calls;
	struct app_names apps;
	enum bd_status rc;
	struct bd_error err;
};

/* Read one process: its keys, and its dictionary when it has one. */
static enum bd_status read_place(struct place_part *part, size_t i)
{
	struct bd_proc_tree *t = part->t;
	struct bd_dump *d = t->d;
	struct bd_error *err = &part->err;
	struct bd_place *pl = &t->procs[i];
	struct bd_proc_sections sect;
	struct bd_section s;
	struct bd_proc p;
	bool estimated;

	bd_section_get(d, d->proc_list[i], &s);
	/* a snapshot's Application too */
	bd_parse_proc_fields(&s,
			     BD_PF_BIT(BD_PF_NAME) | BD_PF_BIT(BD_PF_SPAWNED_AS) |
				     BD_PF_BIT(BD_PF_SPAWNED_BY) | BD_PF_MEMORY_ALL |
				     BD_PF_BIT(BD_PF_MESSAGE_QUEUE_LEN) | BD_PF_BIT(BD_PF_BIN_VHEAP) |
				     BD_PF_BIT(BD_PF_OLD_BIN_VHEAP) | BD_PF_BIT(BD_PF_APPLICATION),
			     &p);
	pl->section = d->proc_list[i];
	pl->pid_key = bd_pid_order_key(s.id);
	pl->name = bd_atom_text(part->arena, p.name);
	pl->initial_call = p.spawned_as;
	pl->memory_bytes = bd_proc_memory(&p, d, &estimated);
	pl->queued = p.message_queue_len && p.message_queue_len != BD_UNSET;
	pl->holds_binaries = p.bin_vheap_words || p.old_bin_vheap_words;
	pl->supervisor = pl->app = pl->group = BD_NO_PLACE;
	/* a snapshot knows each process's application from its group leader */
	if (p.application.len)
		pl->app = app_index(&part->apps, bd_atom_text(part->arena, p.application));
	/* the spawner, else (it has died) the first live ancestor */
	pl->parent = bd_proc_tree_find(t, d, p.spawned_by);
	bd_dump_proc_sections_at(d, d->proc_list[i], &sect);
	if (sect.dictionary != BD_NO_SECTION) {
		struct bd_process proc;
		struct dict_facts f;
		enum bd_status rc = bd_process_open_at(&proc, d, d->proc_list[i], err);
		if (rc)
			return rc;
		memset(&f, 0, sizeof(f));
		read_dictionary(&part->calls, d, &proc, &f);
		if (f.initial_call.len)
			pl->initial_call = f.initial_call;
		pl->is_supervisor = f.supervisor;
		if (pl->parent == BD_NO_PLACE)
			pl->parent = bd_proc_tree_find(t, d, f.ancestor);
		if (f.app_master) {
			struct bd_slice app = app_master_name(&proc);
			pl->is_app_master = true;
			if (app.len && pl->app == BD_NO_PLACE)
				pl->app = app_index(&part->apps, app);
		}
		bd_process_close(&proc);
	}
	return BD_OK;
}

/*
 * Supervisor and application come from the parent: resolve each chain
 * once, top down. A chain that loops (pids reused by spawners) is cut.
 */
static bool resolve_chains(struct bd_proc_tree *t)
{
	uint8_t *done = bd_calloc(t->n ? t->n : 1, 1);
	uint32_t *chain = bd_calloc(t->n ? t->n : 1, sizeof(*chain));

	if (!done || !chain) {
		bd_free(done);
		bd_free(chain);
		return false;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t len = 0;
		uint32_t at = (uint32_t)i;
		while (at != BD_NO_PLACE && !done[at]) {
			done[at] = 2; /* on the chain */
			chain[len++] = at;
			at = t->procs[at].parent;
		}
		if (at != BD_NO_PLACE && done[at] == 2) /* a loop: cut it here */
			t->procs[chain[len - 1]].parent = BD_NO_PLACE;
		while (len) {
			struct bd_place *c = &t->procs[chain[--len]];
			if (c->parent != BD_NO_PLACE) {
				const struct bd_place *up = &t->procs[c->parent];
				c->supervisor = up->is_supervisor ? c->parent : up->supervisor;
				if (c->app == BD_NO_PLACE)
					c->app = up->app;
			}
			done[chain[len]] = 1;
		}
	}
	bd_free(done);
	bd_free(chain);
	return true;
}

/* Group siblings: an open-addressing table keyed by (parent, app, initial call). */
static uint64_t group_hash(const struct bd_place *p)
{
	return bd_hash_slice(p->initial_call) ^ ((uint64_t)p->parent * 0x9E3779B97F4A7C15ull) ^
	       ((uint64_t)p->app << 32);
}

static bool same_group(const struct bd_proc_group *g, const struct bd_place *p)
{
	return g->parent == p->parent && g->app == p->app && bd_slice_eqs(g->initial_call, p->initial_call);
}

static int group_cmp(const void *a, const void *b)
{
	const struct bd_proc_group *x = a;
	const struct bd_proc_group *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->memory_bytes != y->memory_bytes)
		return x->memory_bytes > y->memory_bytes ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Slots of the group table for n groups: at most half full. */
static bool group_slots(const struct bd_proc_tree *t, uint32_t **slots, size_t *cap, size_t n)
{
	size_t want = 64;
	uint32_t *s;

	while (want < 2 * n + 2)
		want <<= 1;
	if (want <= *cap)
		return true;
	s = bd_malloc(want * sizeof(*s));
	if (!s)
		return false;
	memset(s, 0xff, want * sizeof(*s));
	for (size_t g = 0; g < n; g++) {
		size_t h = (size_t)group_hash(&t->procs[t->groups[g].first]) & (want - 1);
		while (s[h] != BD_NO_PLACE)
			h = (h + 1) & (want - 1);
		s[h] = (uint32_t)g;
	}
	bd_free(*slots);
	*slots = s;
	*cap = want;
	return true;
}

/*
 * The table of groups grows with the groups, not with the processes: a
 * node of a million processes has a few thousand groups.
 */
static bool make_groups(struct bd_proc_tree *t)
{
	size_t cap = 0, groups_cap = 0;
	uint32_t *slots = NULL, *renum;

	if (!group_slots(t, &slots, &cap, 0))
		return false;
	for (size_t i = 0; i < t->n; i++) {
		struct bd_place *p = &t->procs[i];
		size_t h = (size_t)group_hash(p) & (cap - 1);
		while (slots[h] != BD_NO_PLACE && !same_group(&t->groups[slots[h]], p))
			h = (h + 1) & (cap - 1);
		if (slots[h] == BD_NO_PLACE) {
			struct bd_proc_group *g;
			if (!bd_grow((void **)&t->groups, &groups_cap, t->n_groups + 1,
				     sizeof(*t->groups))) {
				bd_free(slots);
				return false;
			}
			g = &t->groups[t->n_groups];
			memset(g, 0, sizeof(*g));
			g->initial_call = p->initial_call;
			g->parent = p->parent;
			g->supervisor = p->supervisor;
			g->app = p->app;
			g->first = (uint32_t)i;
			g->order = p->pid_key;
			slots[h] = (uint32_t)t->n_groups++;
			p->group = slots[h];
			if (!group_slots(t, &slots, &cap, t->n_groups)) {
				bd_free(slots);
				return false;
			}
		} else {
			struct bd_proc_group *g = &t->groups[slots[h]];
			p->group = slots[h];
			if (p->pid_key < g->order) {
				g->first = (uint32_t)i;
				g->order = p->pid_key;
			}
		}
		t->groups[p->group].count++;
		t->groups[p->group].memory_bytes += p->memory_bytes;
	}
	bd_free(slots);
	/* sort, then point each process at its group's new position */
	renum = bd_malloc((t->n_groups ? t->n_groups : 1) * sizeof(*renum));
	if (!renum)
		return false;
	bd_sort(t->groups, t->n_groups, sizeof(*t->groups), group_cmp);
	for (size_t g = 0; g < t->n_groups; g++)
		renum[t->procs[t->groups[g].first].group] = (uint32_t)g;
	for (size_t i = 0; i < t->n; i++)
		t->procs[i].group = renum[t->procs[i].group];
	bd_free(renum);
	return true;
}

static void place_part_run(void *ctx, size_t k)
{
	struct place_part *part = &((struct place_part *)ctx)[k];

	for (size_t i = part->lo; i < part->hi && !part->rc; i++) {
		part->rc = read_place(part, i);
		if (part->t->procs[i].parent == i)
			part->t->procs[i].parent = BD_NO_PLACE;
	}
	bd_free(part->calls.slots);
	part->calls.slots = NULL;
}

struct app_rank {
	struct bd_slice name;
	uint32_t was;
};

static int app_rank_cmp(const void *a, const void *b)
{
	const struct app_rank *x = a, *y = b;
	size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
	int c = n ? memcmp(x->name.ptr, y->name.ptr, n) : 0;

	return c ? c : x->name.len < y->name.len ? -1 : x->name.len > y->name.len;
}

/* Number the applications by name, so that no order depends on the dump's. */
static bool number_apps_by_name(struct bd_proc_tree *t)
{
	struct app_rank *r = bd_calloc(t->n_apps ? t->n_apps : 1, sizeof(*r));
	uint32_t *to = bd_calloc(t->n_apps ? t->n_apps : 1, sizeof(*to));

	if (!r || !to) {
		bd_free(r);
		bd_free(to);
		return false;
	}
	for (size_t a = 0; a < t->n_apps; a++)
		r[a] = (struct app_rank){ t->apps[a], (uint32_t)a };
	bd_sort(r, t->n_apps, sizeof(*r), app_rank_cmp);
	for (size_t a = 0; a < t->n_apps; a++) {
		t->apps[a] = r[a].name;
		to[r[a].was] = (uint32_t)a;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->procs[i].app != BD_NO_PLACE)
			t->procs[i].app = to[t->procs[i].app];
	bd_free(r);
	bd_free(to);
	return true;
}

/* Number the parts' applications once for the tree. */
static bool merge_apps(struct bd_proc_tree *t, struct place_part *parts, size_t n_parts)
{
	struct app_names all = { NULL, 0, 0 };
	bool ok = true;

	for (size_t k = 0; k < n_parts && ok; k++) {
		struct place_part *part = &parts[k];
		uint32_t *to = bd_calloc(part->apps.n ? part->apps.n : 1, sizeof(*to));
		if (!to) {
			ok = false;
			break;
		}
		for (size_t a = 0; a < part->apps.n; a++) {
			to[a] = app_index(&all, part->apps.names[a]);
			ok = ok && to[a] != BD_NO_PLACE;
		}
		for (size_t i = part->lo; i < part->hi && part->apps.n; i++) {
			uint32_t *app = &t->procs[i].app;
			if (*app != BD_NO_PLACE)
				*app = to[*app];
		}
		bd_free(to);
	}
	t->apps = all.names;
	t->n_apps = all.n;
	return ok && number_apps_by_name(t);
}

/* Processes a part places: enough that starting it costs little beside it. */
#define PLACE_PART 4096

enum bd_status bd_proc_tree_build(struct bd_dump *d, struct bd_proc_tree *t, struct bd_error *err)
{
	struct place_part *parts = NULL;
	size_t n_parts = 0;
	enum bd_status rc = BD_OK;

	memset(t, 0, sizeof(*t));
	t->d = d;
	/* what the parts share is built before they run */
	bd_dump_prepare_pids(d);
	bd_dump_literals(d);
	if (d->n_proc_list && !d->proc_list)
		goto oom;
	t->n = d->n_proc_list;
	n_parts = t->n / PLACE_PART + 1;
	t->procs = bd_calloc(t->n ? t->n : 1, sizeof(*t->procs));
	parts = bd_calloc(n_parts, sizeof(*parts));
	t->arenas = bd_calloc(n_parts, sizeof(*t->arenas));
	if (!t->procs || !parts || !t->arenas)
		goto oom;
	t->n_arenas = n_parts;
	for (size_t k = 0; k < n_parts; k++) {
		bd_arena_init(&t->arenas[k]);
		parts[k].t = t;
		parts[k].arena = &t->arenas[k];
		parts[k].calls.arena = &t->arenas[k];
		parts[k].lo = k * PLACE_PART;
		parts[k].hi = k + 1 < n_parts ? (k + 1) * PLACE_PART : t->n;
	}
	bd_parallel(n_parts, d->threads, place_part_run, parts);
	for (size_t k = 0; k < n_parts; k++) {
		if (parts[k].rc) {
			rc = parts[k].rc;
			if (err)
				*err = parts[k].err;
			goto fail;
		}
	}
	if (!merge_apps(t, parts, n_parts) || !resolve_chains(t) || !make_groups(t))
		goto oom;
	goto out;
oom:
	rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory placing processes");
fail:
	bd_proc_tree_release(t);
out:
	for (size_t k = 0; parts && k < n_parts; k++)
		bd_free(parts[k].apps.names);
	bd_free(parts);
	return rc;
}

void bd_proc_tree_release(struct bd_proc_tree *t)
{
	bd_free(t->procs);
	bd_free(t->apps);
	bd_free(t->groups);
	for (size_t k = 0; k < t->n_arenas; k++)
		bd_arena_release(&t->arenas[k]);
	bd_free(t->arenas);
	memset(t, 0, sizeof(*t));
}

void bd_group_row(struct rm_builder *b, struct rm_node *row, const struct bd_proc_tree *t,
		  const struct bd_proc_group *g)
{
	struct bd_slice spawned_by = bd_place_label(t, g->parent);

	if (g->parent == BD_NO_PLACE) {
		/* a spawner that is not in the dump: as its members' =proc says */
		struct bd_section s;
		struct bd_proc p;
		bd_section_get(t->d, t->procs[g->first].section, &s);
		bd_parse_proc_fields(&s, BD_PF_BIT(BD_PF_SPAWNED_BY), &p);
		if (!bd_slice_eq(p.spawned_by, "[]"))
			spawned_by = p.spawned_by;
	}

	bd_rm_label(bd_rm_uint(b, row, "count", g->count), "count");
	bd_rm_label(bd_rm_bytes(b, row, "memory_bytes", g->memory_bytes), "memory");
	bd_rm_flags(bd_rm_label(bd_rm_slice_or_null(b, row, "initial_call", g->initial_call), "initial call"),
		 RM_WIDE);
	bd_rm_label(bd_rm_slice_or_null(b, row, "spawned_by", spawned_by), "spawned by");
	bd_rm_slice_or_null(b, row, "supervisor", bd_place_label(t, g->supervisor));
	bd_rm_label(bd_rm_slice_or_null(b, row, "application",
				  g->app != BD_NO_PLACE ? t->apps[g->app] : bd_slice_make("", 0)),
		 "app");
}

static void tree_cleanup(void *ctx)
{
	bd_proc_tree_release(ctx);
	bd_free(ctx);
}

struct bd_proc_tree *bd_report_own_tree(struct bd_dump *d, struct bd_report *r,
					struct bd_error *err, enum bd_status *rc)
{
	struct bd_proc_tree *t = bd_calloc(1, sizeof(*t));

	if (!t) {
		*rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory placing processes");
		return NULL;
	}
	*rc = bd_proc_tree_build(d, t, err);
	if (*rc) {
		bd_free(t);
		return NULL;
	}
	r->cleanup = tree_cleanup;
	r->cleanup_ctx = t;
	return t;
}

enum bd_status bd_report_proc_groups(struct bd_dump *d, const struct bd_regex *re, size_t limit,
				     struct bd_report **out, struct bd_error *err)
{
	struct bd_report *r = bd_report_new("beamdump procs", d);
	struct bd_proc_tree *t;
	struct rm_node *arr;
	size_t shown = 0;
	enum bd_status rc;

	*out = NULL;
	if (!r)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory grouping processes");
	t = bd_report_own_tree(d, r, err, &rc);
	if (!t) {
		bd_report_free(r);
		return rc;
	}
	bd_rm_uint(&r->b, r->root, "total_processes", t->n);
	bd_rm_uint(&r->b, r->root, "total_groups", t->n_groups);
	arr = bd_rm_arr(&r->b, r->root, "groups");
	for (size_t g = 0; g < t->n_groups && (!limit || shown < limit); g++) {
		if (re && !bd_regex_match(re, t->groups[g].initial_call))
			continue;
		bd_group_row(&r->b, bd_rm_obj(&r->b, arr, NULL), t, &t->groups[g]);
		shown++;
	}
	if (r->b.oom) {
		bd_report_free(r);
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory grouping processes");
	}
	*out = r;
	return BD_OK;
}
