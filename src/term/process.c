/* One process's terms: heap index, stack frames, messages, dictionary. */
#include "bd.h"
#include "term/process.h"
#include "term/print.h"

struct bd_slice bd_where_function(struct bd_slice text)
{
	const char *open = memchr(text.ptr, '(', text.len);
	struct bd_slice w;

	if (!open || text.ptr[text.len - 1] != ')')
		return bd_slice_make("", 0);
	w = bd_slice_make(open + 1, (size_t)(text.ptr + text.len - 1 - (open + 1)));
	for (size_t i = 0; i + 2 < w.len; i++) {
		if (w.ptr[i] == ' ' && w.ptr[i + 1] == '+' && w.ptr[i + 2] == ' ')
			return bd_slice_make(w.ptr, i);
	}
	return w;
}

static bool add_frame(struct bd_process *p, size_t *cap, struct bd_slice function)
{
	if (!bd_grow((void **)&p->frames, cap, p->n_frames + 1, sizeof(*p->frames)))
		return false;
	p->frames[p->n_frames++] = (struct bd_frame){ function, p->n_slots, 0 };
	return true;
}

/*
 * Stack lines are "<label>:<value>"; a label is "y<N>" or a slot address.
 * Return addresses open frames. Which frame the y registers after a return
 * address belong to changed in OTP 23 (format doc 4.2): from then on they
 * belong to the function the address returns into; before, the CP sat at
 * the low end of each frame, so they belong to the frame before it.
 */
static enum bd_status parse_stack(struct bd_process *p, struct bd_slice body, struct bd_error *err)
{
	size_t frame_cap = 0;
	size_t slot_cap = 0;
	size_t n_returns = 0;
	bool old = p->d->old_stack_layout;
	struct bd_slice line;
	struct bd_slice rest = body;
	struct bd_slice unknown = { NULL, 0 };

	if (!add_frame(p, &frame_cap, bd_proc_current_function(&p->proc)))
		goto oom;
	while (bd_slice_next_line(&rest, &line)) {
		const char *colon = memchr(line.ptr, ':', line.len);
		struct bd_slice value;
		struct bd_slot *s;
		size_t f;

		if (!colon) {
			p->n_bad_stack_lines++;
			continue;
		}
		value = bd_slice_make(colon + 1, (size_t)(line.ptr + line.len - colon - 1));
		if (bd_slice_starts(value, "SReturn addr ")) {
			struct bd_slice fn = bd_where_function(value);
			/*
			 * With frame pointers every frame gains an "unknown function"
			 * return address just before the real one: it counts only if
			 * no other return address follows it.
			 */
			if (bd_slice_eq(fn, "unknown function") && !unknown.ptr) {
				unknown = fn;
				continue;
			}
			unknown.ptr = NULL;
			n_returns++;
			if (!add_frame(p, &frame_cap, fn))
				goto oom;
			continue;
		}
		if (unknown.ptr) {
			n_returns++;
			if (!add_frame(p, &frame_cap, unknown))
				goto oom;
			unknown.ptr = NULL;
		}
		if (!bd_grow((void **)&p->slots, &slot_cap, p->n_slots + 1, sizeof(*p->slots)))
			goto oom;
		s = &p->slots[p->n_slots];
		memset(s, 0, sizeof(*s));
		if (bd_slice_starts(value, "SCatch ")) {
			s->is_catch = true;
			s->elem.kind = BD_ELEM_TEXT;
			s->elem.text = bd_slice_skip(value, 1);
		} else if (!bd_elem_parse(value.ptr, value.ptr + value.len, &s->elem)) {
			p->n_bad_stack_lines++;
			continue;
		}
		/* frame k+1 owns what follows return address k; old layout: frame k */
		f = old && n_returns ? n_returns - 1 : n_returns;
		if (!p->frames[f].n)
			p->frames[f].first = p->n_slots;
		p->frames[f].n++;
		p->n_slots++;
	}
	if (unknown.ptr && !add_frame(p, &frame_cap, unknown))
		goto oom;
	return BD_OK;
oom:
	return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "cannot read the stack of %.*s",
		       (int)p->pid.len, p->pid.ptr);
}

static struct bd_slice section_body(struct bd_dump *d, size_t i)
{
	struct bd_section s;

	if (i == BD_NO_SECTION)
		return bd_slice_make("", 0);
	bd_section_get(d, i, &s);
	return s.body;
}

enum bd_status bd_process_open_at(struct bd_process *p, struct bd_dump *d, size_t proc_section,
				  struct bd_error *err)
{
	struct bd_section s;
	enum bd_status rc;

	memset(p, 0, sizeof(*p));
	p->d = d;
	bd_section_get(d, proc_section, &s);
	p->pid = s.id;
	bd_parse_proc(&s, &p->proc);
	bd_dump_proc_sections_at(d, proc_section, &p->sect);
	p->sect.proc = proc_section;
	p->ctx.d = d;
	p->ctx.heap = &p->heap;
	p->ctx.literals = bd_dump_literals(d);
	p->ctx.hint = &p->hint;
	if (p->sect.heap != BD_NO_SECTION) {
		/* the heap starts with the first message's lines (see the hint) */
		bd_heap_defer_section(&p->heap, p->sect.heap);
		p->hint.next[0] = section_body(d, p->sect.heap).ptr;
	}
	rc = parse_stack(p, section_body(d, p->sect.stack), err);
	if (rc)
		goto fail;
	return BD_OK;
fail:
	bd_process_close(p);
	return rc;
}

enum bd_status bd_process_open(struct bd_process *p, struct bd_dump *d, struct bd_slice pid,
			       struct bd_error *err)
{
	size_t i = bd_dump_find_proc(d, pid);

	memset(p, 0, sizeof(*p));
	if (i == BD_NO_SECTION)
		return bd_fail(err, BD_ENOTFOUND, BD_NO_OFFSET, NULL, "no process %.*s in the dump",
			       (int)pid.len, pid.ptr);
	return bd_process_open_at(p, d, i, err);
}

void bd_process_close(struct bd_process *p)
{
	bd_heap_release(&p->heap);
	bd_free(p->frames);
	bd_free(p->slots);
	memset(p, 0, sizeof(*p));
}

size_t bd_process_find_frame(const struct bd_process *p, const char *prefix)
{
	for (size_t i = 0; i < p->n_frames; i++) {
		if (bd_slice_starts(p->frames[i].function, prefix))
			return i;
	}
	return p->n_frames;
}

struct bd_slice bd_process_messages(const struct bd_process *p)
{
	return section_body(p->d, p->sect.messages);
}

struct bd_slice bd_process_dictionary(const struct bd_process *p)
{
	return section_body(p->d, p->sect.dictionary);
}

/* "<msg>:<token>": split after a complete element, atoms may hold ':' */
bool bd_next_message(struct bd_slice *rest, struct bd_elem *msg, size_t *n_bad)
{
	struct bd_slice line;

	while (bd_slice_next_line(rest, &line)) {
		size_t n = bd_elem_parse(line.ptr, line.ptr + line.len, msg);
		if (n && n < line.len && line.ptr[n] == ':')
			return true;
		if (n_bad)
			(*n_bad)++;
	}
	return false;
}

bool bd_next_dict_entry(const struct bd_process *p, struct bd_slice *rest, struct bd_elem *key,
			struct bd_elem *value, size_t *n_bad)
{
	struct bd_slice line;

	while (bd_slice_next_line(rest, &line)) {
		struct bd_elem e;
		if (bd_elem_parse(line.ptr, line.ptr + line.len, &e) &&
		    bd_tuple_arity(&p->ctx, &e) == 2 && bd_tuple_elem(&p->ctx, &e, 0, key) &&
		    bd_tuple_elem(&p->ctx, &e, 1, value))
			return true;
		if (n_bad)
			(*n_bad)++;
	}
	return false;
}

/* Element i of an object's comma-separated element text. */
static bool nth_elem(const struct bd_obj *o, uint64_t i, char sep, struct bd_elem *out)
{
	const char *q = o->elems_text.ptr;
	const char *end = q + o->elems_text.len;

	if (i >= o->n_elems)
		return false;
	for (uint64_t k = 0;; k++) {
		size_t n = bd_elem_parse(q, end, out);
		if (!n)
			return false;
		if (k == i)
			return true;
		q += n;
		if (q >= end || *q != sep)
			return false;
		q++;
	}
}

bool bd_tuple_elem(const struct bd_term_ctx *c, const struct bd_elem *e, uint64_t i,
		   struct bd_elem *out)
{
	struct bd_obj o;

	if (e->kind != BD_ELEM_PTR || !bd_term_resolve(c, e->addr, &o) || o.kind != BD_OBJ_TUPLE)
		return false;
	return nth_elem(&o, i, ',', out);
}

uint64_t bd_tuple_arity(const struct bd_term_ctx *c, const struct bd_elem *e)
{
	struct bd_obj o;

	if (e->kind != BD_ELEM_PTR || !bd_term_resolve(c, e->addr, &o) || o.kind != BD_OBJ_TUPLE)
		return 0;
	return o.size;
}

bool bd_list_cell(const struct bd_term_ctx *c, const struct bd_elem *e, struct bd_elem *head,
		  struct bd_elem *tail)
{
	struct bd_obj o;

	if (e->kind != BD_ELEM_PTR || !bd_term_resolve(c, e->addr, &o) || o.kind != BD_OBJ_CONS)
		return false;
	return nth_elem(&o, 0, '|', head) && nth_elem(&o, 1, '|', tail);
}

bool bd_elem_is_atom(const struct bd_elem *e, const char *lit)
{
	return e->kind == BD_ELEM_ATOM && bd_slice_eq(e->text, lit);
}

/* ------------------------------------------------------------- labels */

#define LABEL_KEY "$process_label"

bool bd_process_label(struct bd_process *p, struct bd_buf *out)
{
	/* short enough for a table column, like a registered name */
	static const struct bd_print_opts opts = { BD_SYNTAX_ERLANG, 4, 32, 80 };
	struct bd_slice rest = bd_process_dictionary(p);
	struct bd_elem key;
	struct bd_elem value;

	while (bd_next_dict_entry(p, &rest, &key, &value, NULL)) {
		if (bd_elem_is_atom(&key, LABEL_KEY))
			return bd_term_print(&p->ctx, &value, &opts, out, NULL) == BD_OK && !out->oom;
	}
	return false;
}

struct label_entry {
	struct bd_slice pid;
	struct bd_slice label;
};

struct label_map {
	struct label_entry *v;  /* sorted by pid text */
	size_t n;
};

static int label_cmp(const void *a, const void *b)
{
	const struct label_entry *x = a;
	const struct label_entry *y = b;
	int c = memcmp(x->pid.ptr, y->pid.ptr, x->pid.len < y->pid.len ? x->pid.len : y->pid.len);

	if (c)
		return c;
	return x->pid.len < y->pid.len ? -1 : x->pid.len > y->pid.len;
}

/* A dump whose atom table lacks '$process_label' has no labels to look for. */
static bool may_have_labels(const struct bd_dump *d)
{
	struct bd_slice atoms;

	if (!bd_section_body(d, BD_SECT_ATOMS, &atoms))
		return true;
	return bd_memmem(atoms.ptr, atoms.len, "'" LABEL_KEY "'", strlen(LABEL_KEY) + 2) != NULL;
}

/* The label of the process with these sections into the dump's arena; empty if none. */
static struct bd_slice read_label(struct bd_dump *d, const struct bd_proc_sections *ps)
{
	struct bd_process p;
	struct bd_buf buf = BD_BUF_INIT;
	struct bd_slice out = bd_slice_make("", 0);

	if (bd_process_open_at(&p, d, ps->proc, NULL) != BD_OK)
		return out;
	if (bd_process_label(&p, &buf)) {
		char *s = bd_arena_strndup(&d->arena, buf.ptr, buf.len);
		if (s)
			out = bd_slice_make(s, buf.len);
	}
	bd_buf_release(&buf);
	bd_process_close(&p);
	return out;
}

static struct label_map *labels_build(struct bd_dump *d)
{
	struct label_map *m = bd_arena_calloc(&d->arena, 1, sizeof(*m));
	size_t cap = 0;

	if (!m || !may_have_labels(d))
		return m;
	for (size_t i = bd_section_find(d, BD_SECT_PROC_DICTIONARY, 0); i < d->index.n;
	     i = bd_section_find(d, BD_SECT_PROC_DICTIONARY, i + 1)) {
		struct bd_section s;
		struct bd_section heap;
		struct bd_proc_sections ps;
		struct bd_slice label;
		bd_section_get(d, i, &s);
		/* the key is a heap atom, "AE:$process_label" */
		if (!bd_dump_proc_sections(d, s.id, &ps) || ps.heap == BD_NO_SECTION)
			continue;
		bd_section_get(d, ps.heap, &heap);
		if (!bd_memmem(heap.body.ptr, heap.body.len, ":" LABEL_KEY, strlen(LABEL_KEY) + 1))
			continue;
		label = read_label(d, &ps);
		if (!label.len)
			continue;
		if (!bd_grow((void **)&m->v, &cap, m->n + 1, sizeof(*m->v)))
			break;
		m->v[m->n++] = (struct label_entry){ s.id, label };
	}
	if (m->n) {
		/* into the arena, so that the map is released with the dump */
		struct label_entry *v = bd_arena_alloc(&d->arena, m->n * sizeof(*v));
		if (v) {
			memcpy(v, m->v, m->n * sizeof(*v));
			bd_sort(v, m->n, sizeof(*v), label_cmp);
		}
		bd_free(m->v);
		m->v = v;
		if (!v)
			m->n = 0;
	} else {
		bd_free(m->v);
		m->v = NULL;
	}
	return m;
}

struct bd_slice bd_dump_proc_label(struct bd_dump *d, struct bd_slice pid)
{
	struct label_map *m = d->labels;
	struct label_entry want = { pid, { NULL, 0 } };
	size_t lo = 0;

	if (!m)
		m = d->labels = labels_build(d);
	if (!m || !pid.len)
		return bd_slice_make("", 0);
	for (size_t hi = m->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int c = label_cmp(&m->v[mid], &want);
		if (c == 0)
			return m->v[mid].label;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return bd_slice_make("", 0);
}
