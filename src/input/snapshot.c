/*
 * Snapshot frames to dump text (docs/snapshot-format.md).
 *
 * Every frame is checked (length against the bytes present, CRC, inflated
 * size, a term that decodes) before any of it is used; the first bad one
 * ends the readable part, as a cut ends a crash dump. A frame is decoded
 * into an array of terms in pre-order, each knowing where its subtree
 * ends. Process rows are kept small; the phase-2 frames (candidates only)
 * and backtraces are kept whole until the text is written, because a
 * process's sections must follow its =proc.
 *
 * What the text says is what the node said, in the dump's own words:
 * status -> State, heap block sizes -> Stack+heap and OldHeap, the
 * dictionary's three proc_lib keys -> =proc_dictionary on a small
 * =proc_heap, backtraces -> =proc_stack (immediate values only: boxed
 * y-registers are printed text, not terms). What it does not know is left
 * out, never written as zero; Memory of a process that was not read in
 * phase 2 is its heap blocks plus the smallest per-process overhead
 * measured on the processes that were, and =snapshot counts how many.
 */
#include "bd.h"
#include "input/etf.h"
#include "input/snapshot.h"
#include "util/base64.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

#define NONE SIZE_MAX
#define NO_ROW UINT32_MAX
#define NO_TERM UINT32_MAX
#define HAS(r, field) (((r)->has >> (field)) & 1u)
/* nesting a dictionary value is written to before it is cut */
#define ENCODE_DEPTH 200

/* ----------------------------------------------------- decoded frames */

struct sterm {
	enum bd_etf_kind kind;
	uint32_t count;
	size_t end;  /* index past this term's subtree */
	size_t off;  /* of the tag byte in the frame's bytes */
	union {
		int64_t i;
		double f;
		struct {
			const char *p;
			size_t n;
		} s;          /* atom (a copy), string or binary (in the frame) */
		struct {
			uint32_t node;
			uint32_t id;
			uint32_t serial;
			uint32_t creation;
		} pid;
		struct {
			uint32_t node;
			uint64_t id;
		} port;
		struct {
			uint32_t node;
			uint32_t n;
			uint32_t ids[BD_ETF_MAX_REF_IDS];
		} ref;
	} v;
};

struct frame {
	unsigned char *bytes; /* inflated: 131, then the term */
	size_t len, bytes_cap;
	struct sterm *t;
	size_t n, cap;
	struct bd_arena arena;
};

/* A process's row: a million of them, so 32-bit fields are grouped first to leave no padding. */
struct row {
	uint32_t id, serial;
	uint32_t gl_id, gl_serial; /* the group leader, when local (HAS(r, F_GROUP_LEADER)) */
	uint32_t has;              /* bit per field read: HAS(r, F_...) */
	/* a frame and a term in it */
	uint32_t detail_frame, detail;  /* NO_TERM if not read in phase 2 */
	uint32_t bt_frame, bt;
	uint32_t st_frame, st;     /* --state: its {Pid, Kind, Answer}; NO_TERM if not asked */
	bool has_window;
	bool duplicate;            /* a second row of a process already read */
	bool is_master;            /* an application master */
	bool capturing;            /* one of the capture's own processes: left out */
	const char *name;          /* registered name, or NULL */
	const char *initial_call;  /* "M:F/A", or NULL */
	const char *status;        /* the dump's word for process_info's status */
	const char *app;           /* its application, from the applications frame */
	uint64_t mq, reds, heap_block, old_block, old_used, mbuf, binv, old_binv, stack;
	uint64_t window_reds;      /* reductions done during --window */
};

struct snap {
	const char *name;
	struct bd_error *err;
	struct frame *frames;       /* kept: header, detail, backtrace, system */
	size_t n_frames, cap_frames;
	char **nodes;               /* interned node names; channel = index */
	size_t n_nodes, cap_nodes;
	size_t local;               /* index of the target node in nodes */
	struct row **rows;          /* in frame order, each in its frame's block */
	size_t n_rows, cap_rows, n_dead;
	struct row **blocks;        /* the frames' rows, as their jobs read them */
	size_t n_blocks, cap_blocks;
	struct bd_arena *row_arenas;  /* the rows' names and initial calls, a frame's each */
	size_t n_row_arenas, cap_row_arenas;
	uint32_t *slots;            /* pid -> row, open addressing; NO_ROW if empty */
	size_t n_slots;
	struct bd_arena arena;
	size_t header, end;         /* frame of {header,..} and {'end',..}; NONE if absent */
	size_t memory, ets, atoms;  /* frames of the system sections */
	size_t atoms_window;        /* {atoms_window, IntervalUs, Before, After}, NONE if absent */
	int field_at[64];           /* the field at each row position, -1 for none */
	char cut[200];              /* why the readable part ends early */
	uint64_t cut_at;
	size_t detailed, estimated;
	size_t states_asked, states_read, states_unanswered;
	const char *states_not_read; /* the capture's reason for asking none, or NULL */
	size_t left_out;            /* rows of the capture's own processes */
	size_t duplicates;          /* rows of a process already read */
	uint32_t creation;          /* the node's creation: which run of it this is */
	unsigned threads;           /* most threads reading rows and writing their text */
	int64_t overhead;           /* bytes a process has beyond its heap blocks */
	unsigned wordsize;
	bool nomem;
};

enum field {
	F_NAME, F_INITIAL, F_STATUS, F_MQ, F_REDS, F_STACK, F_HEAP_BLOCK, F_OLD_BLOCK,
	F_OLD_USED, F_MBUF, F_BINV, F_OLD_BINV, F_GROUP_LEADER, N_FIELDS
};
static const char *const field_key[N_FIELDS] = {
	"registered_name", "initial_call", "status", "message_queue_len", "reductions",
	"stack_size", "heap_block_size", "old_heap_block_size", "old_heap_size", "mbuf_size",
	"bin_vheap_size", "bin_old_vheap_size", "group_leader",
};

static size_t intern_node(struct snap *s, const char *p, size_t n)
{
	for (size_t i = 0; i < s->n_nodes; i++)
		if (strlen(s->nodes[i]) == n && memcmp(s->nodes[i], p, n) == 0)
			return i;
	if (!bd_grow((void **)&s->nodes, &s->cap_nodes, s->n_nodes + 1, sizeof(*s->nodes)) ||
	    !(s->nodes[s->n_nodes] = bd_arena_strndup(&s->arena, p, n))) {
		s->nomem = true;
		return 0;
	}
	return s->n_nodes++;
}

/* ------------------------------------------------------ process rows */

/*
 * A frame {procs, Seq, TimeUs, [Row]} holds most of a snapshot: a row per
 * process, {Pid, Value...} in the header's key order. Frames of rows are
 * read side by side, each by a job of its own (the header, read first,
 * says what the rows hold), and their rows are read while the frame
 * decodes, instead of from a decoded copy of it (which would cost more
 * than the decoding). Every other frame is read in turn, afterwards.
 */
struct frame_job {
	const struct snap *s;        /* read only: the header's facts */
	const unsigned char *p;      /* the frame's bytes in the file */
	size_t len, seq;
	uint64_t at;
	enum { JOB_OTHER, JOB_ROWS, JOB_BAD, JOB_NOMEM } result;
	char cut[200];               /* JOB_BAD: why */
	struct row *rows;
	size_t n_rows, cap_rows;
	struct bd_arena arena;       /* the rows' names and initial calls */
	const char *last_mfa;        /* the last initial call read, shared by rows */
	size_t n_dead;
	uint32_t creation;
	unsigned char *bytes;        /* the inflated frame; kept for the next job in this slot */
	size_t bytes_cap;
};

struct row_reader {
	struct frame_job *job;
	size_t top;             /* terms seen at depth 1: the rows list is the fourth */
	bool procs;             /* the frame is {procs, ...} */
	bool in_row;            /* a row tuple is being read */
	bool skip;              /* a row to leave out (dead, remote, not a tuple) */
	struct row *r;          /* the row being read: in the job's block when it has room */
	struct row spare;       /* ... else here */
	size_t pos;             /* the element of the row being read */
	int field;              /* its field, -1 for none */
	/* initial_call {M, F, A}, gathered over its three terms */
	size_t mfa_seen;
	bool mfa_ok;
	char m[2 * 255 + 1], fn[2 * 255 + 1];
	size_t m_len, fn_len;
	int64_t arity;
};

/* Whether a pid's node is the captured node (any node, if the header named none). */
static bool is_local(const struct snap *s, const char *p, size_t n)
{
	const char *local = s->n_nodes ? s->nodes[s->local] : NULL;

	return !local || (strlen(local) == n && memcmp(local, p, n) == 0);
}

static void put_atom_quoted(struct bd_buf *b, const char *p, size_t n);

/* "M:F/A", atoms quoted as the dump quotes them; shared with the row before when equal. */
static const char *mfa_text(struct frame_job *job, const struct row_reader *rr)
{
	struct bd_buf b = BD_BUF_INIT;
	char arity[24];
	const char *out;

	put_atom_quoted(&b, rr->m, rr->m_len);
	bd_buf_addch(&b, ':');
	put_atom_quoted(&b, rr->fn, rr->fn_len);
	snprintf(arity, sizeof(arity), "/%" PRId64, rr->arity);
	bd_buf_addstr(&b, arity);
	/* most processes share an initial call with the one before */
	if (job->last_mfa && strcmp(job->last_mfa, b.ptr) == 0)
		out = job->last_mfa;
	else
		out = b.oom ? NULL : bd_arena_strndup(&job->arena, b.ptr, b.len);
	bd_buf_release(&b);
	job->last_mfa = out;
	return out;
}

/* The dump's State word for process_info's status. */
static const char *status_word(const char *p, size_t n)
{
	static const char *const words[][2] = {
		{ "running", "Running" },   { "runnable", "Scheduled" },
		{ "waiting", "Waiting" },   { "exiting", "Exiting" },
		{ "garbage_collecting", "Garbing" }, { "suspended", "Suspended" },
	};

	for (size_t i = 0; i < BD_ARRAY_SIZE(words); i++)
		if (strlen(words[i][0]) == n && memcmp(p, words[i][0], n) == 0)
			return words[i][1];
	return "Undefined";
}

static bool ev_is_atom(const struct bd_etf_event *ev, const char *name)
{
	return ev->kind == BD_ETF_ATOM && ev->atom.len == strlen(name) &&
	       memcmp(ev->atom.ptr, name, ev->atom.len) == 0;
}

/* The element just read ends: an initial call gathered over its terms is set. */
static void row_element_end(struct row_reader *rr)
{
	if (rr->field == F_INITIAL && rr->mfa_ok && rr->mfa_seen == 3)
		rr->r->initial_call = mfa_text(rr->job, rr);
	rr->field = -1;
}

/* The row being read ends: kept unless it was to be left out. */
static void row_end(struct row_reader *rr)
{
	struct frame_job *job = rr->job;

	if (!rr->in_row)
		return;
	row_element_end(rr);
	rr->in_row = false;
	if (rr->skip)
		return;
	if (rr->r != &rr->spare) {
		job->n_rows++;
		return;
	}
	if (!bd_grow((void **)&job->rows, &job->cap_rows, job->n_rows + 1, sizeof(*job->rows))) {
		job->result = JOB_NOMEM;
		return;
	}
	job->rows[job->n_rows++] = *rr->r;
}

/* Where each numeric field is kept in a row. */
static const size_t number_at[N_FIELDS] = {
	[F_MQ] = offsetof(struct row, mq),
	[F_REDS] = offsetof(struct row, reds),
	[F_STACK] = offsetof(struct row, stack),
	[F_HEAP_BLOCK] = offsetof(struct row, heap_block),
	[F_OLD_BLOCK] = offsetof(struct row, old_block),
	[F_OLD_USED] = offsetof(struct row, old_used),
	[F_MBUF] = offsetof(struct row, mbuf),
	[F_BINV] = offsetof(struct row, binv),
	[F_OLD_BINV] = offsetof(struct row, old_binv),
};

/* A term below the rows list: depth 2 is a row, 3 its elements, 4 inside one. */
static void row_term(struct row_reader *rr, const struct bd_etf_event *ev)
{
	struct frame_job *job = rr->job;
	const struct snap *s = job->s;

	if (ev->depth == 2) {
		row_end(rr);
		rr->in_row = true;
		rr->skip = ev->kind != BD_ETF_TUPLE || !ev->count;
		/* built in place when the block has room (the rows list reserved it) */
		rr->r = job->n_rows < job->cap_rows ? &job->rows[job->n_rows] : &rr->spare;
		memset(rr->r, 0, sizeof(*rr->r));
		rr->r->detail_frame = rr->r->detail = rr->r->bt_frame = rr->r->bt = NO_TERM;
		rr->r->st_frame = rr->r->st = NO_TERM;
		rr->pos = 0;
		rr->field = -1;
		return;
	}
	if (!rr->in_row || rr->skip)
		return;
	if (ev->depth == 3) {
		size_t pos = rr->pos++;
		row_element_end(rr);
		if (pos == 0) {
			/* the pid, or 'dead' for a process that exited while being read */
			if (ev_is_atom(ev, "dead")) {
				job->n_dead++;
				rr->skip = true;
			} else if (ev->kind != BD_ETF_PID ||
				   !is_local(s, ev->pid.node.ptr, ev->pid.node.len)) {
				rr->skip = true;
			} else {
				if (!job->creation)
					job->creation = ev->pid.creation;
				rr->r->id = ev->pid.id;
				rr->r->serial = ev->pid.serial;
			}
			return;
		}
		rr->field = pos < BD_ARRAY_SIZE(s->field_at) ? s->field_at[pos] : -1;
		switch (rr->field) {
		case -1:
			break;
		case F_NAME:
			if (ev->kind == BD_ETF_ATOM &&
			    !(rr->r->name = bd_arena_strndup(&job->arena, ev->atom.ptr, ev->atom.len)))
				job->result = JOB_NOMEM;
			break;
		case F_INITIAL:
			rr->mfa_seen = 0;
			rr->mfa_ok = ev->kind == BD_ETF_TUPLE && ev->count == 3;
			break;
		case F_STATUS:
			if (ev->kind == BD_ETF_ATOM)
				rr->r->status = status_word(ev->atom.ptr, ev->atom.len);
			break;
		case F_GROUP_LEADER:
			if (ev->kind == BD_ETF_PID &&
			    is_local(s, ev->pid.node.ptr, ev->pid.node.len)) {
				rr->r->gl_id = ev->pid.id;
				rr->r->gl_serial = ev->pid.serial;
				rr->r->has |= 1u << F_GROUP_LEADER;
			}
			break;
		default:
			if (ev->kind == BD_ETF_INT && ev->i >= 0) {
				uint64_t v = (uint64_t)ev->i;
				memcpy((char *)rr->r + number_at[rr->field], &v, sizeof(v));
				rr->r->has |= 1u << rr->field;
			}
			break;
		}
		return;
	}
	/* depth 4 and deeper: only the initial call's M, F and A are read */
	if (rr->field != F_INITIAL || !rr->mfa_ok || ev->depth != 4)
		return;
	switch (rr->mfa_seen++) {
	case 0:
	case 1: {
		char *to = rr->mfa_seen == 1 ? rr->m : rr->fn;
		size_t *len = rr->mfa_seen == 1 ? &rr->m_len : &rr->fn_len;
		if (ev->kind != BD_ETF_ATOM || ev->atom.len >= sizeof(rr->m)) {
			rr->mfa_ok = false;
			break;
		}
		memcpy(to, ev->atom.ptr, ev->atom.len);
		*len = ev->atom.len;
		break;
	}
	case 2:
		rr->mfa_ok = ev->kind == BD_ETF_INT;
		rr->arity = ev->i;
		break;
	default:
		break;
	}
}

/* Callback results that stop decoding a frame of rows. */
#define STOP_NOMEM 1
#define STOP_NOT_ROWS 2

/* Every term of a frame, read as rows if it is {procs, Seq, TimeUs, [Row]}. */
static int on_row_term(void *ctx, const struct bd_etf_event *ev)
{
	struct row_reader *rr = ctx;

	if (ev->depth == 0)
		return ev->kind == BD_ETF_TUPLE && ev->count == 4 ? 0 : STOP_NOT_ROWS;
	if (ev->depth == 1) {
		row_end(rr);
		if (++rr->top == 1 && !ev_is_atom(ev, "procs"))
			return STOP_NOT_ROWS;
		rr->procs = true;
		/* the rows list: room for its rows at once (the decoder checked the count
		 * against the bytes left), so that a block is never moved as it fills */
		if (rr->top == 4 && ev->kind == BD_ETF_LIST && ev->count > rr->job->cap_rows) {
			struct row *rows = bd_realloc_array(rr->job->rows, ev->count, sizeof(*rows));
			if (!rows)
				return STOP_NOMEM;
			rr->job->rows = rows;
			rr->job->cap_rows = ev->count;
		}
	} else if (rr->top == 4) {
		/* below the rows list */
		row_term(rr, ev);
	}
	return rr->job->result == JOB_NOMEM ? STOP_NOMEM : 0;
}

struct build {
	struct snap *s;
	struct frame *f;
	size_t *open;
	size_t n_open, cap_open;
};

static int on_term(void *ctx, const struct bd_etf_event *ev)
{
	struct build *b = ctx;
	struct frame *f = b->f;
	struct sterm *t;
	uint64_t children;

	while (b->n_open > ev->depth)
		f->t[b->open[--b->n_open]].end = f->n;
	if (!bd_grow((void **)&f->t, &f->cap, f->n + 1, sizeof(*f->t)))
		return 1;
	t = &f->t[f->n];
	memset(t, 0, sizeof(*t));
	t->kind = ev->kind;
	t->off = ev->offset;
	t->end = f->n + 1;
	switch (ev->kind) {
	case BD_ETF_INT:
		t->v.i = ev->i;
		break;
	case BD_ETF_FLOAT:
		t->v.f = ev->f;
		break;
	case BD_ETF_ATOM:
		/* in the frame's bytes unless the decoder converted it from latin-1 */
		if ((const unsigned char *)ev->atom.ptr >= f->bytes &&
		    (const unsigned char *)ev->atom.ptr + ev->atom.len <= f->bytes + f->len)
			t->v.s.p = ev->atom.ptr;
		else if (!(t->v.s.p = bd_arena_strndup(&f->arena, ev->atom.ptr, ev->atom.len)))
			return 1;
		t->v.s.n = ev->atom.len;
		break;
	case BD_ETF_STRING:
		t->v.s.p = (const char *)ev->string.ptr;
		t->v.s.n = ev->string.len;
		break;
	case BD_ETF_BINARY:
		t->v.s.p = (const char *)ev->binary.ptr;
		t->v.s.n = ev->binary.len;
		break;
	case BD_ETF_PID:
		t->v.pid.node = (uint32_t)intern_node(b->s, ev->pid.node.ptr, ev->pid.node.len);
		t->v.pid.id = ev->pid.id;
		t->v.pid.serial = ev->pid.serial;
		t->v.pid.creation = ev->pid.creation;
		break;
	case BD_ETF_PORT:
		t->v.port.node = (uint32_t)intern_node(b->s, ev->port.node.ptr, ev->port.node.len);
		t->v.port.id = ev->port.id;
		break;
	case BD_ETF_REF:
		t->v.ref.node = (uint32_t)intern_node(b->s, ev->ref.node.ptr, ev->ref.node.len);
		t->v.ref.n = (uint32_t)ev->ref.n_ids;
		memcpy(t->v.ref.ids, ev->ref.ids, sizeof(t->v.ref.ids));
		break;
	default:
		break;
	}
	if (ev->kind == BD_ETF_LIST || ev->kind == BD_ETF_TUPLE || ev->kind == BD_ETF_MAP)
		t->count = (uint32_t)ev->count;
	children = bd_etf_children(ev);
	f->n++;
	if (children) {
		if (!bd_grow((void **)&b->open, &b->cap_open, b->n_open + 1, sizeof(*b->open)))
			return 1;
		b->open[b->n_open++] = f->n - 1;
	}
	return b->s->nomem;
}

static void frame_release(struct frame *f)
{
	bd_free(f->bytes);
	bd_free(f->t);
	bd_arena_release(&f->arena);
	memset(f, 0, sizeof(*f));
}

/* The k-th child of term i. */
static size_t child(const struct frame *f, size_t i, size_t k)
{
	size_t c = i + 1;

	while (k--)
		c = f->t[c].end;
	return c;
}

static bool is_atom(const struct frame *f, size_t i, const char *name)
{
	return i != NONE && f->t[i].kind == BD_ETF_ATOM && f->t[i].v.s.n == strlen(name) &&
	       memcmp(f->t[i].v.s.p, name, f->t[i].v.s.n) == 0;
}

/* The value under atom key in map m, or NONE. */
static size_t map_get(const struct frame *f, size_t m, const char *key)
{
	if (m == NONE || f->t[m].kind != BD_ETF_MAP)
		return NONE;
	for (size_t c = m + 1, k = 0; k < f->t[m].count; k++) {
		size_t v = f->t[c].end;
		if (is_atom(f, c, key))
			return v;
		c = f->t[v].end;
	}
	return NONE;
}

/* Elements of a proper list (or NIL) i: first index and count. */
static size_t list_len(const struct frame *f, size_t i)
{
	return i != NONE && f->t[i].kind == BD_ETF_LIST ? f->t[i].count : 0;
}

static bool as_u64(const struct frame *f, size_t i, uint64_t *out)
{
	if (i == NONE || f->t[i].kind != BD_ETF_INT || f->t[i].v.i < 0)
		return false;
	*out = (uint64_t)f->t[i].v.i;
	return true;
}

/* ------------------------------------------------------ reading frames */

static enum bd_status cut(struct snap *s, uint64_t at, const char *fmt, ...) BD_PRINTF(3, 4);
static enum bd_status cut(struct snap *s, uint64_t at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->cut, sizeof(s->cut), fmt, ap);
	va_end(ap);
	s->cut_at = at;
	return BD_OK;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Room for n bytes in *bytes, kept from the frame read before when it suffices. */
static bool room(unsigned char **bytes, size_t *cap, size_t n)
{
	if (*cap < n) {
		bd_free(*bytes);
		*cap = 0;
		if (!(*bytes = bd_malloc(n)))
			return false;
		*cap = n;
	}
	return true;
}

/* What became of a frame's bytes on the way to its term. */
enum term_at { TERM_OK, TERM_NOT_ETF, TERM_BAD_SIZE, TERM_NO_INFLATE, TERM_NOMEM };

/*
 * The term_to_binary bytes p[0..len) of a frame, as a term with its
 * version byte: inflated into *bytes (kept from the frame before when it
 * has room), else copied there when copy is set, else read in place. *raw
 * gets the declared inflated size.
 */
static enum term_at frame_term(const unsigned char *p, size_t len, bool copy,
			       unsigned char **bytes, size_t *cap, const unsigned char **term,
			       size_t *term_len, size_t *raw)
{
	*raw = 0;
	if (len < 2 || p[0] != BD_ETF_VERSION)
		return TERM_NOT_ETF;
	if (p[1] != 'P') {
		/* a term that compression would not shrink is stored as it is */
		if (copy) {
			if (!room(bytes, cap, len))
				return TERM_NOMEM;
			memcpy(*bytes, p, len);
			p = *bytes;
		}
		*term = p;
		*term_len = len;
		return TERM_OK;
	}
	if (len < 6 || (*raw = be32(p + 2)) == 0 || *raw > BD_SNAPSHOT_FRAME_MAX)
		return TERM_BAD_SIZE;
	if (!room(bytes, cap, *raw + 1))
		return TERM_NOMEM;
	uLongf out = (uLongf)*raw;
	(*bytes)[0] = BD_ETF_VERSION;
	if (uncompress(*bytes + 1, &out, p + 6, (uLong)(len - 6)) != Z_OK || out != *raw)
		return TERM_NO_INFLATE;
	*term = *bytes;
	*term_len = *raw + 1;
	return TERM_OK;
}

/*
 * A job's frame, inflated and read as rows. Anything but a good frame of
 * rows is left as JOB_OTHER, to be read (and judged) in turn.
 */
static void run_job(void *ctx, size_t k)
{
	struct frame_job *job = &((struct frame_job *)ctx)[k];
	const unsigned char *p;
	struct row_reader rr;
	struct bd_etf_error e;
	size_t len, raw;
	int rc;

	switch (frame_term(job->p, job->len, false, &job->bytes, &job->bytes_cap, &p, &len, &raw)) {
	case TERM_OK:
		break;
	case TERM_NOMEM:
		job->result = JOB_NOMEM;
		return;
	default:
		job->result = JOB_OTHER;
		return;
	}
	job->result = JOB_OTHER;
	memset(&rr, 0, sizeof(rr));
	rr.job = job;
	rr.field = -1;
	rc = bd_etf_decode(p, len, on_row_term, &rr, &e);
	if (rc == BD_ETF_OK)
		row_end(&rr);
	if (job->result == JOB_NOMEM || (rc == BD_ETF_ESTOPPED && e.cb_result == STOP_NOMEM)) {
		job->result = JOB_NOMEM;
	} else if (rc == BD_ETF_OK && rr.procs) {
		job->result = JOB_ROWS;
	} else if (rc != BD_ETF_ESTOPPED && rr.procs) {
		/* a frame of rows that does not decode: none of its rows are used */
		job->result = JOB_BAD;
		snprintf(job->cut, sizeof(job->cut), "frame %zu does not decode: %s at byte %zu",
			 job->seq, e.message, e.offset);
	}
	if (job->result != JOB_ROWS)
		job->n_rows = 0;
}

/*
 * Inflate (or copy) one frame's term_to_binary bytes into f->bytes and
 * decode them. false with s->cut set when the frame is bad. The buffers of
 * f are reused: a million processes come in a hundred frames of rows, and
 * growing each one's buffers anew costs more than decoding it.
 */
static bool frame_read(struct snap *s, struct frame *f, const unsigned char *p, size_t len,
		       uint64_t at, size_t seq)
{
	struct build b = { s, f, NULL, 0, 0 };
	struct bd_etf_error e;
	const unsigned char *term;
	size_t raw;

	f->len = f->n = 0;
	bd_arena_release(&f->arena);
	bd_arena_init(&f->arena);
	/* a kept frame owns its bytes, which its terms point into */
	switch (frame_term(p, len, true, &f->bytes, &f->bytes_cap, &term, &f->len, &raw)) {
	case TERM_OK:
		break;
	case TERM_NOT_ETF:
		cut(s, at, "frame %zu is not an external term", seq);
		return false;
	case TERM_BAD_SIZE:
		cut(s, at, "frame %zu declares a bad inflated size", seq);
		return false;
	case TERM_NO_INFLATE:
		cut(s, at, "frame %zu does not inflate to its declared %zu bytes", seq, raw);
		return false;
	case TERM_NOMEM:
		s->nomem = true;
		return false;
	}
	int rc = bd_etf_decode(term, f->len, on_term, &b, &e);
	while (b.n_open)
		f->t[b.open[--b.n_open]].end = f->n;
	bd_free(b.open);
	if (rc == BD_ETF_ESTOPPED || rc == BD_ETF_ENOMEM) {
		s->nomem = true;
		return false;
	}
	if (rc) {
		cut(s, at, "frame %zu does not decode: %s at byte %zu", seq, e.message, e.offset);
		return false;
	}
	if (!f->n || f->t[0].kind != BD_ETF_TUPLE || !f->t[0].count ||
	    f->t[1].kind != BD_ETF_ATOM) {
		cut(s, at, "frame %zu is not a tagged tuple", seq);
		return false;
	}
	return true;
}

static size_t pid_slot(const struct snap *s, uint32_t id, uint32_t serial)
{
	uint64_t h = ((uint64_t)serial << 32 | id) * 0x9E3779B97F4A7C15u;
	size_t i = (size_t)(h >> 20) & (s->n_slots - 1);

	while (s->slots[i] != NO_ROW) {
		const struct row *r = s->rows[s->slots[i]];
		if (r->id == id && r->serial == serial)
			break;
		i = (i + 1) & (s->n_slots - 1);
	}
	return i;
}

static bool index_rows(struct snap *s)
{
	size_t n = 64;

	if (s->n_rows >= NO_ROW)
		return false;
	while (n < 2 * s->n_rows + 2)
		n *= 2;
	s->slots = bd_malloc(n * sizeof(*s->slots));
	if (!s->slots)
		return false;
	memset(s->slots, 0xff, n * sizeof(*s->slots));
	s->n_slots = n;
	for (size_t i = 0; i < s->n_rows; i++) {
		uint32_t *slot = &s->slots[pid_slot(s, s->rows[i]->id, s->rows[i]->serial)];
		/* a process listed twice is written once, as first read */
		if (*slot == NO_ROW)
			*slot = (uint32_t)i;
		else
			s->rows[i]->duplicate = true;
	}
	return true;
}

static struct row *row_of(const struct snap *s, const struct frame *f, size_t pid)
{
	size_t slot;

	if (pid == NONE || f->t[pid].kind != BD_ETF_PID || f->t[pid].v.pid.node != s->local ||
	    !s->n_slots)
		return NULL;
	slot = s->slots[pid_slot(s, f->t[pid].v.pid.id, f->t[pid].v.pid.serial)];
	return slot == NO_ROW ? NULL : s->rows[slot];
}

static void read_header(struct snap *s, const struct frame *f)
{
	size_t meta = child(f, 0, 1), node = map_get(f, meta, "node");
	size_t keys = map_get(f, map_get(f, meta, "capture"), "keys_p1");
	uint64_t w = 8;

	if (node != NONE && f->t[node].kind == BD_ETF_ATOM)
		s->local = intern_node(s, f->t[node].v.s.p, f->t[node].v.s.n);
	if (as_u64(f, map_get(f, meta, "wordsize"), &w) && (w == 4 || w == 8))
		s->wordsize = (unsigned)w;
	for (size_t c = keys + 1, k = 0; k < list_len(f, keys); k++, c = f->t[c].end)
		for (int j = 0; j < N_FIELDS; j++)
			if (is_atom(f, c, field_key[j]) && k + 1 < BD_ARRAY_SIZE(s->field_at))
				s->field_at[k + 1] = j;  /* the pid is element 0 */
}

static bool keep(struct snap *s, struct frame *f)
{
	if (!bd_grow((void **)&s->frames, &s->cap_frames, s->n_frames + 1, sizeof(*s->frames))) {
		s->nomem = true;
		return false;
	}
	s->frames[s->n_frames++] = *f;
	memset(f, 0, sizeof(*f));
	return true;
}

/* One frame read in turn: judged, and kept when it is wanted for writing. */
static enum bd_status read_other(struct snap *s, struct frame *f, const unsigned char *p, size_t n,
				 uint64_t at, size_t seq)
{
	if (!frame_read(s, f, p, n, at, seq))
		return BD_OK; /* s->cut or s->nomem says why */
	if (seq == 1 && !is_atom(f, 1, "header"))
		return bd_fail(s->err, BD_EFORMAT, at, "frame 1",
			       "'%s': the first frame of a snapshot must be its header", s->name);
	if (is_atom(f, 1, "procs") && f->t[0].count == 4)
		return BD_OK; /* rows before the header: a job reads rows once it is known */
	size_t *slot = is_atom(f, 1, "header")   ? &s->header
		       : is_atom(f, 1, "end")    ? &s->end
		       : is_atom(f, 1, "memory") ? &s->memory
		       : is_atom(f, 1, "ets")    ? &s->ets
		       : is_atom(f, 1, "atoms")  ? &s->atoms
		       : is_atom(f, 1, "atoms_window") ? &s->atoms_window
					     : NULL;
	bool wanted = slot || is_atom(f, 1, "detail") || is_atom(f, 1, "backtrace") ||
		      is_atom(f, 1, "sample") || is_atom(f, 1, "applications") ||
		      is_atom(f, 1, "states") || is_atom(f, 1, "states_not_read");
	if (slot == &s->header && s->header == NONE)
		read_header(s, f);
	if (slot && *slot == NONE)
		*slot = s->n_frames;
	if (wanted)
		keep(s, f);
	return BD_OK;
}

/*
 * A job's rows, appended in frame order: the rows stay where the job read
 * them (a million rows are not copied on one thread), as does their text
 * in the job's arena; both now belong to s.
 */
static void take_rows(struct snap *s, struct frame_job *job)
{
	if (!bd_grow((void **)&s->rows, &s->cap_rows, s->n_rows + job->n_rows, sizeof(*s->rows)) ||
	    !bd_grow((void **)&s->blocks, &s->cap_blocks, s->n_blocks + 1, sizeof(*s->blocks)) ||
	    !bd_grow((void **)&s->row_arenas, &s->cap_row_arenas, s->n_row_arenas + 1,
		     sizeof(*s->row_arenas))) {
		s->nomem = true;
		return;
	}
	for (size_t i = 0; i < job->n_rows; i++)
		s->rows[s->n_rows++] = &job->rows[i];
	s->n_dead += job->n_dead;
	if (!s->creation)
		s->creation = job->creation;
	s->blocks[s->n_blocks++] = job->rows;
	s->row_arenas[s->n_row_arenas++] = job->arena;
	bd_arena_init(&job->arena);
	job->rows = NULL;
	job->n_rows = job->cap_rows = 0;
}

/* Frames read side by side at a time: enough to keep the threads busy, few rows held twice. */
#define JOBS_AT_ONCE 8

/*
 * Walk the frames: rows into s->rows, the rest kept for writing. A frame
 * is read only when every frame before it was good; the first bad one ends
 * the readable part, as a cut ends a crash dump.
 */
static enum bd_status read_frames(struct snap *s, const unsigned char *data, size_t len,
				  unsigned threads)
{
	size_t pos = BD_SNAPSHOT_MAGIC_LEN + 4, seq = 0;
	struct frame_job jobs[JOBS_AT_ONCE];
	struct frame f;
	enum bd_status rc = BD_OK;
	bool stop = false;

	memset(&f, 0, sizeof(f));
	memset(jobs, 0, sizeof(jobs));
	s->header = s->end = s->memory = s->ets = s->atoms = s->atoms_window = NONE;
	while (!stop && pos < len && s->end == NONE && !s->cut[0] && !s->nomem && !rc) {
		size_t n_jobs = 0;
		/* why the frame after the batch cannot be read, said once the batch is read */
		char bad[200] = "";
		uint64_t bad_at = pos;
		/* the next frames whose length and CRC hold: the header alone, then a batch */
		while (n_jobs < (s->header == NONE ? 1 : JOBS_AT_ONCE) && pos < len) {
			uint32_t n;
			seq++;
			bad_at = pos;
			if (len - pos < 4) {
				snprintf(bad, sizeof(bad), "the file ends inside the length of frame %zu", seq);
				break;
			}
			n = be32(data + pos);
			if (n == 0 || n > BD_SNAPSHOT_FRAME_MAX) {
				snprintf(bad, sizeof(bad), "frame %zu declares %" PRIu32 " bytes", seq, n);
				break;
			}
			if (len - pos - 4 < (uint64_t)n + 4) {
				snprintf(bad, sizeof(bad), "the file ends inside frame %zu", seq);
				break;
			}
			if ((uint32_t)crc32(0L, data + pos + 4, n) != be32(data + pos + 4 + n)) {
				snprintf(bad, sizeof(bad), "frame %zu fails its CRC check", seq);
				break;
			}
			struct frame_job *job = &jobs[n_jobs++];
			job->s = s;
			job->p = data + pos + 4;
			job->len = n;
			job->at = pos;
			job->seq = seq;
			job->n_dead = 0;
			job->creation = 0;
			job->last_mfa = NULL;
			bd_arena_release(&job->arena);
			bd_arena_init(&job->arena);
			pos += 8 + (size_t)n;
		}
		/* the header says what rows hold: it is read in turn, before any row */
		if (s->header != NONE)
			bd_parallel(n_jobs, threads, run_job, jobs);
		else
			for (size_t k = 0; k < n_jobs; k++)
				jobs[k].result = JOB_OTHER;
		for (size_t k = 0; k < n_jobs; k++) {
			struct frame_job *job = &jobs[k];
			if (s->end != NONE || s->nomem || rc) {
				stop = true; /* frames after the end frame, or after a failure, are not read */
				break;
			}
			if (job->result == JOB_NOMEM) {
				s->nomem = true;
			} else if (job->result == JOB_BAD) {
				cut(s, job->at, "%s", job->cut);
			} else if (job->result == JOB_ROWS) {
				take_rows(s, job);
			} else {
				rc = read_other(s, &f, job->p, job->len, job->at, job->seq);
			}
			if (s->cut[0] && !s->nomem && !rc) {
				stop = true;
				break;
			}
		}
		if (!stop && bad[0] && s->end == NONE && !s->nomem && !rc)
			cut(s, bad_at, "%s", bad);
	}
	for (size_t k = 0; k < JOBS_AT_ONCE; k++) {
		bd_free(jobs[k].rows);
		bd_free(jobs[k].bytes);
		bd_arena_release(&jobs[k].arena);
	}
	frame_release(&f);
	if (rc)
		return rc;
	if (s->nomem)
	{
		char where[32];
		snprintf(where, sizeof(where), "frame %zu", seq);
		return bd_fail(s->err, BD_ENOMEM, pos, where, "out of memory reading frame %zu of '%s'",
			       seq, s->name);
	}
	if (s->end == NONE && !s->cut[0])
		cut(s, pos, "the snapshot has no end frame: the capture stopped after %zu frames",
		    seq);
	if (!seq)
		cut(s, pos, "the file holds no frames");
	return BD_OK;
}

/* The window pass: {sample, Seq, TimeUs, [{Pid, Reductions, QueueLen, HeapWords}]}. */
static void attach_sample(struct snap *s, const struct frame *f)
{
	size_t list = child(f, 0, 3);

	for (size_t c = list + 1, k = 0; k < list_len(f, list); k++, c = f->t[c].end) {
		struct row *r;
		uint64_t reds;
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count < 2 || !(r = row_of(s, f, c + 1)) ||
		    !HAS(r, F_REDS) || !as_u64(f, child(f, c, 1), &reds) || reds < r->reds)
			continue;
		r->window_reds = reds - r->reds;
		r->has_window = true;
	}
}

/*
 * {applications, [{App, MasterPid}]}: each running application's master,
 * which is the group leader of every process of the application. A row
 * is placed in the application of its group leader (a master is in its own).
 */
static void attach_applications(struct snap *s, const struct frame *f)
{
	size_t list = child(f, 0, 1);

	for (size_t c = list + 1, k = 0; k < list_len(f, list); k++, c = f->t[c].end) {
		size_t app = c + 1;
		struct row *master;
		const char *name;
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count != 2 || f->t[app].kind != BD_ETF_ATOM ||
		    !(master = row_of(s, f, child(f, c, 1))))
			continue;
		name = bd_arena_strndup(&s->arena, f->t[app].v.s.p, f->t[app].v.s.n);
		if (!name) {
			s->nomem = true;
			return;
		}
		master->app = name;
		master->is_master = true;
	}
	for (size_t i = 0; i < s->n_rows; i++) {
		struct row *r = s->rows[i];
		size_t slot;
		if (r->app || !HAS(r, F_GROUP_LEADER))
			continue;
		slot = s->slots[pid_slot(s, r->gl_id, r->gl_serial)];
		if (slot != NO_ROW && s->rows[slot]->is_master)
			r->app = s->rows[slot]->app;
	}
}

/* Mark the header's capturing_pids, which the text leaves out. */
static void mark_capturing(struct snap *s)
{
	const struct frame *f = &s->frames[s->header];
	size_t pids = map_get(f, map_get(f, child(f, 0, 1), "capture"), "capturing_pids");
	struct row *r;

	for (size_t c = pids + 1, k = 0; k < list_len(f, pids); k++, c = f->t[c].end)
		if ((r = row_of(s, f, c)) != NULL)
			r->capturing = true;
}

/* {states, Seq, [{Pid, Kind, {ok, State} | no_answer | ...}]}: what --state read. */
static void attach_states(struct snap *s, const struct frame *f, size_t fi)
{
	size_t list = child(f, 0, 2);

	for (size_t c = list + 1, k = 0; k < list_len(f, list); k++, c = f->t[c].end) {
		struct row *r;
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count != 3 ||
		    f->t[child(f, c, 1)].kind != BD_ETF_ATOM || !(r = row_of(s, f, c + 1)) ||
		    r->st != NO_TERM)
			continue;
		size_t answer = child(f, c, 2);
		s->states_asked++;
		if (f->t[answer].kind == BD_ETF_TUPLE &&
		    (f->t[answer].count == 2 || f->t[answer].count == 3) &&
		    is_atom(f, answer + 1, "ok")) {
			r->st_frame = (uint32_t)fi;
			r->st = (uint32_t)c;
			s->states_read++;
		} else if (is_atom(f, answer, "no_answer")) {
			s->states_unanswered++;
		}
	}
}

/* Attach phase-2 maps, backtraces and window samples to their rows. */
static void attach(struct snap *s)
{
	mark_capturing(s);
	for (size_t fi = 0; fi < s->n_frames; fi++) {
		const struct frame *f = &s->frames[fi];
		bool detail = is_atom(f, 1, "detail");

		if (is_atom(f, 1, "sample") && f->t[0].count == 4) {
			attach_sample(s, f);
			continue;
		}
		if (is_atom(f, 1, "applications") && f->t[0].count == 2) {
			attach_applications(s, f);
			continue;
		}
		if (is_atom(f, 1, "states") && f->t[0].count == 3) {
			attach_states(s, f, fi);
			continue;
		}
		if (is_atom(f, 1, "states_not_read") && f->t[0].count == 2 &&
		    f->t[child(f, 0, 1)].kind == BD_ETF_ATOM) {
			const struct sterm *why = &f->t[child(f, 0, 1)];
			s->states_not_read = bd_arena_strndup(&s->arena, why->v.s.p, why->v.s.n);
			continue;
		}
		size_t list = child(f, 0, detail ? 2 : 1);

		if (!detail && !is_atom(f, 1, "backtrace"))
			continue;
		for (size_t c = list + 1, k = 0; k < list_len(f, list); k++, c = f->t[c].end) {
			struct row *r;
			if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count < 2)
				continue;
			r = row_of(s, f, c + 1);
			if (!r)
				continue;
			if (detail && f->t[c].count == 3) {
				size_t m = child(f, c, 2);
				if (f->t[m].kind == BD_ETF_MAP && r->detail == NO_TERM) {
					r->detail_frame = (uint32_t)fi;
					r->detail = (uint32_t)m;
					s->detailed++;
				}
			} else if (!detail) {
				size_t b = child(f, c, 1);
				if (f->t[b].kind == BD_ETF_BINARY) {
					r->bt_frame = (uint32_t)fi;
					r->bt = (uint32_t)b;
				}
			}
		}
	}
}

static uint64_t heap_words(const struct row *r)
{
	return r->heap_block + r->old_block + r->mbuf;
}

/* The least a process's memory exceeds its heap blocks, over those read in phase 2. */
static void measure_overhead(struct snap *s)
{
	s->overhead = -1;
	for (size_t i = 0; i < s->n_rows; i++) {
		const struct row *r = s->rows[i];
		uint64_t mem;
		if (r->detail == NO_TERM ||
		    !as_u64(&s->frames[r->detail_frame], map_get(&s->frames[r->detail_frame], r->detail, "memory"), &mem))
			continue;
		int64_t over = (int64_t)mem - (int64_t)(heap_words(r) * s->wordsize);
		if (over >= 0 && (s->overhead < 0 || over < s->overhead))
			s->overhead = over;
	}
}

/* ------------------------------------------------------- writing text */

/* Decimal digits without printf, which dominates writing a million processes. */
static void put_u64(struct bd_buf *b, uint64_t v)
{
	char digits[24];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	bd_buf_add(b, digits + n, sizeof(digits) - n);
}

/* "Key: N\n" */
static void put_field(struct bd_buf *b, const char *key, uint64_t v)
{
	bd_buf_addstr(b, key);
	put_u64(b, v);
	bd_buf_addch(b, '\n');
}

/* A section header for a local process: "=tag:<0.Id.Serial>\n" */
static void put_header(struct bd_buf *b, const char *tag, const struct row *r)
{
	bd_buf_addstr(b, tag);
	bd_buf_add(b, ":<0.", 4);
	put_u64(b, r->id);
	bd_buf_addch(b, '.');
	put_u64(b, r->serial);
	bd_buf_add(b, ">\n", 2);
}

static bool plain_atom(const char *p, size_t n)
{
	if (!n || p[0] < 'a' || p[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '@'))
			return false;
	}
	return true;
}

/*
 * An atom as the dump quotes it (%T). Nothing from the node may break a
 * line of the text: control characters are escaped as Erlang does, or
 * replaced when Erlang has no short escape for them.
 */
static void put_atom_quoted(struct bd_buf *b, const char *p, size_t n)
{
	if (plain_atom(p, n)) {
		bd_buf_add(b, p, n);
		return;
	}
	bd_buf_addch(b, '\'');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" :
				  c == 27 ? "\\e" : c == '\'' ? "\\'" : c == '\\' ? "\\\\" : NULL;
		if (esc)
			bd_buf_addstr(b, esc);
		else
			bd_buf_addch(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	bd_buf_addch(b, '\'');
}

/* Whether text from the node holds no control character, so can go on a line as it is. */
static bool plain_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* Text from the node on one line of ours: control characters become spaces. */
static void put_text(struct bd_buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bd_buf_addch(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

static void put_pid(const struct snap *s, struct bd_buf *b, const struct frame *f, size_t i)
{
	uint32_t node = f->t[i].v.pid.node;

	bd_buf_printf(b, "<%u.%" PRIu32 ".%" PRIu32 ">",
		      node == s->local ? 0u : (unsigned)node + 1, f->t[i].v.pid.id, f->t[i].v.pid.serial);
}

/* Bytes above which a binary lives off the process heap (ERL_ONHEAP_BIN_LIMIT). */
#define HEAP_BIN_MAX 64

/* A refc binary the process references, from phase 2's binary key. */
struct held_bin {
	uint64_t id, size;
	uint64_t addr;  /* of the ProcBin a term's line names it by; 0 if none yet */
};

/* A process's =proc_heap, built while its other sections are written. */
struct heap {
	struct bd_buf lines;
	uint64_t next;  /* the next address handed out */
	struct held_bin *bins;
	size_t n_bins;
};

static uint64_t heap_line(struct heap *h, struct bd_buf *elem, const char *obj, size_t n)
{
	uint64_t a = h->next;

	h->next += 16;
	bd_buf_printf(&h->lines, "%" PRIX64 ":", a);
	bd_buf_add(&h->lines, obj, n);
	bd_buf_addch(&h->lines, '\n');
	bd_buf_printf(elem, "H%" PRIX64, a);
	return a;
}

static void add_base64(struct bd_buf *b, const void *p, size_t n)
{
	char *text = bd_malloc(BD_BASE64_ENCODED_LEN(n) + 1);

	if (!text) {
		b->oom = true;
		return;
	}
	bd_base64_encode(p, n, text);
	bd_buf_add(b, text, BD_BASE64_ENCODED_LEN(n));
	bd_free(text);
}

static int skip_term(void *ctx, const struct bd_etf_event *ev)
{
	BD_UNUSED(ctx);
	BD_UNUSED(ev);
	return 0;
}

/* The whole external term at i, as an E line (refs, funs, bignums, remote ports). */
static void encode_external(struct heap *h, struct bd_buf *elem, const struct frame *f, size_t i)
{
	struct bd_buf obj = BD_BUF_INIT, raw = BD_BUF_INIT;
	size_t used = 0;

	if (bd_etf_decode_raw(f->bytes + f->t[i].off, f->len - f->t[i].off, skip_term, NULL, &used) ||
	    !used) {
		bd_buf_addstr(elem, "A3:...");
		return;
	}
	bd_buf_addch(&raw, (char)BD_ETF_VERSION);
	bd_buf_add(&raw, f->bytes + f->t[i].off, used);
	bd_buf_printf(&obj, "E%zX:", raw.len);
	add_base64(&obj, raw.ptr, raw.len);
	heap_line(h, elem, obj.ptr, obj.len);
	bd_buf_release(&obj);
	bd_buf_release(&raw);
}

/* The process's binary of a size that fits best: one no term named yet, else any. */
static struct held_bin *pick_bin(struct heap *h, uint64_t size, bool exact)
{
	struct held_bin *best = NULL;

	for (size_t k = 0; k < h->n_bins; k++) {
		struct held_bin *b = &h->bins[k];
		if (exact ? b->size != size : b->size <= size)
			continue;
		if (!best || (best->addr && !b->addr) ||
		    (!best->addr == !b->addr && b->size < best->size))
			best = b;
	}
	return best;
}

/*
 * An off-heap binary in a term, as the process has it. The external format
 * carries its bytes, not which binary they are: a binary of the process of
 * that size is its ProcBin (Yc); else the bytes are a slice (Ys) of a
 * larger one, which it keeps whole. Both are matched by size, binaries no
 * term named yet first. False if the process holds none that fits.
 */
static bool put_procbin(struct heap *h, struct bd_buf *elem, uint64_t size)
{
	struct held_bin *b = pick_bin(h, size, true);
	struct bd_buf line = BD_BUF_INIT;
	bool slice = !b;

	if (slice && !(b = pick_bin(h, size, false)))
		return false;
	if (!b->addr || !slice) {
		struct bd_buf procbin = BD_BUF_INIT;
		bd_buf_printf(&line, "Yc%" PRIX64 ":0:%" PRIX64, b->id, b->size);
		b->addr = heap_line(h, slice ? &procbin : elem, line.ptr, line.len);
		bd_buf_release(&procbin);
		bd_buf_reset(&line);
	}
	if (slice) {
		bd_buf_printf(&line, "Ys%" PRIX64 ":0:%" PRIX64, b->addr, size);
		heap_line(h, elem, line.ptr, line.len);
	}
	h->lines.oom |= line.oom;
	bd_buf_release(&line);
	return true;
}

/* Write term i as a dump element into elem, its boxed parts as heap lines. */
static void encode(const struct snap *s, struct heap *h, struct bd_buf *elem, const struct frame *f,
		   size_t i, unsigned depth)
{
	const struct sterm *t = &f->t[i];
	struct bd_buf obj = BD_BUF_INIT;

	if (depth > ENCODE_DEPTH) {
		bd_buf_addstr(elem, "A3:...");
		return;
	}
	switch (t->kind) {
	case BD_ETF_INT:
		if (t->v.i >= -((int64_t)1 << 59) && t->v.i < ((int64_t)1 << 59))
			bd_buf_printf(elem, "I%" PRId64, t->v.i);
		else
			encode_external(h, elem, f, i);
		return;
	case BD_ETF_ATOM:
		/* a control character would end the line: such an atom goes whole, as E */
		if (!plain_text(t->v.s.p, t->v.s.n)) {
			encode_external(h, elem, f, i);
			return;
		}
		bd_buf_printf(elem, "A%zX:", t->v.s.n);
		bd_buf_add(elem, t->v.s.p, t->v.s.n);
		return;
	case BD_ETF_NIL:
		bd_buf_addch(elem, 'N');
		return;
	case BD_ETF_PID:
		if (t->v.pid.node == s->local) {
			bd_buf_addch(elem, 'P');
			put_pid(s, elem, f, i);
		} else {
			bd_buf_addch(&obj, 'P');
			put_pid(s, &obj, f, i);
			heap_line(h, elem, obj.ptr, obj.len);
		}
		break;
	case BD_ETF_PORT:
		if (t->v.port.node == s->local)
			bd_buf_printf(elem, "p<0.%" PRIu64 ">", t->v.port.id);
		else
			encode_external(h, elem, f, i);
		return;
	case BD_ETF_FLOAT: {
		char num[64];
		int n = snprintf(num, sizeof(num), "%.20e", t->v.f);
		bd_buf_printf(&obj, "F%X:%s", (unsigned)n, num);
		heap_line(h, elem, obj.ptr, obj.len);
		break;
	}
	case BD_ETF_BINARY:
		if (t->v.s.n > HEAP_BIN_MAX && put_procbin(h, elem, t->v.s.n))
			break;
		bd_buf_printf(&obj, "Yh%zX:", t->v.s.n);
		add_base64(&obj, t->v.s.p, t->v.s.n);
		heap_line(h, elem, obj.ptr, obj.len);
		break;
	case BD_ETF_STRING:
	case BD_ETF_LIST: {
		/* cons cells from the last element back, each pointing at the next */
		struct bd_buf tail = BD_BUF_INIT;
		size_t n = t->kind == BD_ETF_STRING ? t->v.s.n : t->count;
		size_t *el = NULL;
		if (t->kind == BD_ETF_LIST) {
			el = bd_malloc((n + 1) * sizeof(*el));
			if (!el) {
				bd_buf_addstr(elem, "A3:...");
				return;
			}
			for (size_t c = i + 1, k = 0; k <= n; k++, c = f->t[c].end)
				el[k] = c;
			encode(s, h, &tail, f, el[n], depth + 1);
		} else {
			bd_buf_addch(&tail, 'N');
		}
		for (size_t k = n; k-- > 0;) {
			bd_buf_reset(&obj);
			bd_buf_addch(&obj, 'l');
			if (el)
				encode(s, h, &obj, f, el[k], depth + 1);
			else
				bd_buf_printf(&obj, "I%u", (unsigned char)t->v.s.p[k]);
			bd_buf_addch(&obj, '|');
			bd_buf_add(&obj, tail.ptr, tail.len);
			bd_buf_reset(&tail);
			heap_line(h, k ? &tail : elem, obj.ptr, obj.len);
		}
		bd_free(el);
		bd_buf_release(&tail);
		break;
	}
	case BD_ETF_TUPLE:
		bd_buf_printf(&obj, "t%X:", t->count);
		for (size_t c = i + 1, k = 0; k < t->count; k++, c = f->t[c].end) {
			if (k)
				bd_buf_addch(&obj, ',');
			encode(s, h, &obj, f, c, depth + 1);
		}
		heap_line(h, elem, obj.ptr, obj.len);
		break;
	case BD_ETF_MAP: {
		struct bd_buf keys = BD_BUF_INIT, kelem = BD_BUF_INIT;
		bd_buf_printf(&keys, "t%X:", t->count);
		bd_buf_printf(&obj, "Mf%X:", t->count);
		struct bd_buf vals = BD_BUF_INIT;
		for (size_t c = i + 1, k = 0; k < t->count; k++) {
			size_t v = f->t[c].end;
			if (k) {
				bd_buf_addch(&keys, ',');
				bd_buf_addch(&vals, ',');
			}
			encode(s, h, &keys, f, c, depth + 1);
			encode(s, h, &vals, f, v, depth + 1);
			c = f->t[v].end;
		}
		heap_line(h, &kelem, keys.ptr, keys.len);
		bd_buf_add(&obj, kelem.ptr, kelem.len);
		bd_buf_addch(&obj, ':');
		bd_buf_add(&obj, vals.ptr, vals.len);
		heap_line(h, elem, obj.ptr, obj.len);
		bd_buf_release(&keys);
		bd_buf_release(&kelem);
		bd_buf_release(&vals);
		break;
	}
	default:
		encode_external(h, elem, f, i);
		break;
	}
	bd_buf_release(&obj);
}

static void put_ref(const struct snap *s, struct bd_buf *b, const struct frame *f, size_t i)
{
	const struct sterm *t = &f->t[i];
	uint32_t ids[3] = { 0, 0, 0 };

	for (uint32_t k = 0; k < t->v.ref.n && k < 3; k++)
		ids[k] = t->v.ref.ids[k];
	bd_buf_printf(b, "#Ref<%u.%" PRIu32 ".%" PRIu32 ".%" PRIu32 ">",
		      t->v.ref.node == s->local ? 0u : (unsigned)t->v.ref.node + 1, ids[2], ids[1], ids[0]);
}

/* A pid, port or {Name,Node} as a Link list prints it. */
static void put_target(const struct snap *s, struct bd_buf *b, const struct frame *f, size_t i)
{
	const struct sterm *t = &f->t[i];

	if (t->kind == BD_ETF_PID) {
		put_pid(s, b, f, i);
	} else if (t->kind == BD_ETF_PORT) {
		bd_buf_printf(b, "#Port<%u.%" PRIu64 ">",
			      t->v.port.node == s->local ? 0u : (unsigned)t->v.port.node + 1, t->v.port.id);
	} else if (t->kind == BD_ETF_ATOM) {
		put_atom_quoted(b, t->v.s.p, t->v.s.n);
	} else if (t->kind == BD_ETF_TUPLE && t->count == 2) {
		bd_buf_addch(b, '{');
		put_target(s, b, f, child(f, i, 0));
		bd_buf_addch(b, ',');
		put_target(s, b, f, child(f, i, 1));
		bd_buf_addch(b, '}');
	} else {
		bd_buf_addstr(b, "[]");
	}
}

/*
 * Links, then monitors this process holds ({process, Target} ->
 * {to,Target,Ref}), then those held on it. process_info gives no monitor
 * refs: they print as #Ref<?>, which matches no ref on any stack.
 */
static void put_link_list(const struct snap *s, struct bd_buf *b, const struct frame *f, size_t m)
{
	size_t links = map_get(f, m, "links"), mons = map_get(f, m, "monitors");
	size_t by = map_get(f, m, "monitored_by");
	bool first = true;

	if (!list_len(f, links) && !list_len(f, mons) && !list_len(f, by))
		return;
	bd_buf_addstr(b, "Link list: [");
	for (size_t c = links + 1, k = 0; k < list_len(f, links); k++, c = f->t[c].end) {
		bd_buf_addstr(b, first ? "" : ", ");
		put_target(s, b, f, c);
		first = false;
	}
	for (size_t c = mons + 1, k = 0; k < list_len(f, mons); k++, c = f->t[c].end) {
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count != 2)
			continue;
		bd_buf_addstr(b, first ? "{to," : ", {to,");
		put_target(s, b, f, child(f, c, 1));
		bd_buf_addstr(b, ",#Ref<?>}");
		first = false;
	}
	for (size_t c = by + 1, k = 0; k < list_len(f, by); k++, c = f->t[c].end) {
		bd_buf_addstr(b, first ? "{from," : ", {from,");
		put_target(s, b, f, c);
		bd_buf_addstr(b, ",#Ref<?>}");
		first = false;
	}
	bd_buf_addstr(b, "]\n");
}

struct named {
	const char *name;
	size_t row;
};

static int named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* Registered names, sorted, for the $ancestors that name their parent. */
static struct named *name_table(const struct snap *s, size_t *n)
{
	struct named *t = bd_malloc((s->n_rows + 1) * sizeof(*t));

	*n = 0;
	if (!t)
		return NULL;
	for (size_t i = 0; i < s->n_rows; i++)
		if (s->rows[i]->name)
			t[(*n)++] = (struct named){ s->rows[i]->name, i };
	qsort(t, *n, sizeof(*t), named_cmp);
	return t;
}

/* The pid a dictionary's $ancestors starts with: its parent. */
static void put_parent(const struct snap *s, struct bd_buf *b, const struct frame *f, size_t dict,
		       const struct named *names, size_t n_names)
{
	for (size_t c = dict + 1, k = 0; k < list_len(f, dict); k++, c = f->t[c].end) {
		size_t key, anc;
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count != 2)
			continue;
		key = child(f, c, 0);
		anc = child(f, c, 1);
		if (!is_atom(f, key, "$ancestors") || !list_len(f, anc))
			continue;
		size_t p = anc + 1;
		if (f->t[p].kind == BD_ETF_PID) {
			bd_buf_addstr(b, "Spawned by: ");
			put_pid(s, b, f, p);
			bd_buf_addch(b, '\n');
		} else if (f->t[p].kind == BD_ETF_ATOM && names) {
			char *name = bd_malloc(f->t[p].v.s.n + 1);
			if (!name)
				return;
			memcpy(name, f->t[p].v.s.p, f->t[p].v.s.n);
			name[f->t[p].v.s.n] = '\0';
			struct named key2 = { name, 0 };
			const struct named *hit = bsearch(&key2, names, n_names, sizeof(*names), named_cmp);
			if (hit)
				bd_buf_printf(b, "Spawned by: <0.%" PRIu32 ".%" PRIu32 ">\n",
					      s->rows[hit->row]->id, s->rows[hit->row]->serial);
			bd_free(name);
		}
		return;
	}
}

/* One y-register value of a backtrace as a dump element; false if boxed. */
static bool backtrace_elem(struct bd_buf *b, const char *p, size_t n)
{
	struct bd_pid pid;

	if (n == 2 && memcmp(p, "[]", 2) == 0) {
		bd_buf_addch(b, 'N');
		return true;
	}
	if (n > 6 && memcmp(p, "Catch ", 6) == 0) {
		bd_buf_addch(b, 'S');
		bd_buf_add(b, p, n);
		return true;
	}
	if (bd_parse_pid(bd_slice_make(p, n), &pid)) {
		bd_buf_addch(b, 'P');
		bd_buf_add(b, p, n);
		return true;
	}
	size_t i = p[0] == '-' ? 1 : 0;
	if (i < n && n - i <= 17) {
		size_t j = i;
		while (j < n && p[j] >= '0' && p[j] <= '9')
			j++;
		if (j == n) {
			bd_buf_addch(b, 'I');
			bd_buf_add(b, p, n);
			return true;
		}
	}
	if (plain_atom(p, n)) {
		bd_buf_printf(b, "A%zX:", n);
		bd_buf_add(b, p, n);
		return true;
	}
	if (n >= 2 && p[0] == '\'' && p[n - 1] == '\'') {
		struct bd_buf name = BD_BUF_INIT;
		for (size_t k = 1; k + 1 < n; k++) {
			if (p[k] == '\\' && k + 2 < n)
				k++;
			bd_buf_addch(&name, p[k]);
		}
		bd_buf_printf(b, "A%zX:", name.len);
		bd_buf_add(b, name.ptr, name.len);
		bd_buf_release(&name);
		return true;
	}
	return false;
}

/*
 * process_info(P, backtrace) is printed by the code that writes a dump's
 * stacks, in a slightly different spelling: "y(0)     V" for "y0:V",
 * "0x.. Return addr" for "0x..:SReturn addr". Values are printed terms,
 * so only immediates come through; the rest are left out (the numbering
 * is kept, so the registers that remain mean what they meant).
 */
static void put_backtrace(struct bd_buf *b, const char *p, size_t n, struct bd_buf *pc)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *ret;

		if (len > 17 && memcmp(p, "Program counter: ", 17) == 0) {
			bd_buf_reset(pc);
			bd_buf_add(pc, p + 17, len - 17);
		} else if (len > 4 && memcmp(p, "y(", 2) == 0) {
			const char *close = memchr(p, ')', len);
			if (close) {
				const char *v = close + 1;
				while (v < p + len && *v == ' ')
					v++;
				size_t mark = b->len;
				size_t digits = (size_t)(close - p - 2);
				if (!digits || digits > 9 || strspn(p + 2, "0123456789") < digits) {
					p += len + (nl ? 1 : 0);
					continue;
				}
				bd_buf_printf(b, "y%.*s:", (int)digits, p + 2);
				if (backtrace_elem(b, v, (size_t)(p + len - v)))
					bd_buf_addch(b, '\n');
				else
					b->len = mark;
			}
		} else if (len > 2 && memcmp(p, "0x", 2) == 0 &&
			   (ret = memchr(p, ' ', len)) != NULL &&
			   (size_t)(p + len - ret) > 13 && memcmp(ret, " Return addr ", 13) == 0) {
			bd_buf_add(b, p, (size_t)(ret - p));
			bd_buf_addstr(b, ":SReturn addr ");
			bd_buf_add(b, ret + 13, (size_t)(p + len - ret - 13));
			bd_buf_addch(b, '\n');
		}
		p += len + (nl ? 1 : 0);
	}
}

/* A stack from current_stacktrace: frames without registers. */
static void put_stacktrace(struct bd_buf *b, const struct frame *f, size_t st, struct bd_buf *pc)
{
	for (size_t c = st + 1, k = 0; k < list_len(f, st); k++, c = f->t[c].end) {
		size_t m, fn, a;
		int64_t arity;
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count != 4)
			continue;
		m = child(f, c, 0);
		fn = child(f, c, 1);
		a = child(f, c, 2);
		if (f->t[m].kind != BD_ETF_ATOM || f->t[fn].kind != BD_ETF_ATOM)
			continue;
		arity = f->t[a].kind == BD_ETF_INT ? f->t[a].v.i : (int64_t)list_len(f, a);
		struct bd_buf *out = k ? b : pc;
		if (k)
			bd_buf_addstr(b, "0x0000000000000000:SReturn addr 0x0000000000000000 (");
		else
			bd_buf_addstr(pc, "0x0000000000000000 (");
		put_atom_quoted(out, f->t[m].v.s.p, f->t[m].v.s.n);
		bd_buf_addch(out, ':');
		put_atom_quoted(out, f->t[fn].v.s.p, f->t[fn].v.s.n);
		bd_buf_printf(out, "/%" PRId64 " + 0)%s", arity, k ? "\n" : "");
	}
}

static void put_dictionary(const struct snap *s, struct bd_buf *b, struct heap *h,
			   const struct frame *f, size_t dict)
{
	for (size_t c = dict + 1, k = 0; k < list_len(f, dict); k++, c = f->t[c].end) {
		encode(s, h, b, f, c, 0);
		bd_buf_addch(b, '\n');
	}
}

/* The refc binaries the process references, {Id, Bytes, RefCount}, into h->bins. */
static void read_binaries(struct heap *h, const struct frame *f, size_t bins)
{
	size_t n = list_len(f, bins);

	if (!n || !(h->bins = bd_malloc(n * sizeof(*h->bins)))) {
		h->lines.oom |= n > 0;
		return;
	}
	for (size_t c = bins + 1, k = 0; k < n; k++, c = f->t[c].end) {
		uint64_t id, size;
		if (f->t[c].kind != BD_ETF_TUPLE || f->t[c].count != 3 ||
		    !as_u64(f, child(f, c, 0), &id) || !as_u64(f, child(f, c, 1), &size))
			continue;
		h->bins[h->n_bins++] = (struct held_bin){ id, size, 0 };
	}
}

/*
 * Each refc binary no term of the heap named yet, as the ProcBin a dump
 * would show: "Yc<Id>:0:<Bytes>". Id is the binary's address, so binaries
 * shared between processes match as in a dump.
 */
static void put_binaries(struct heap *h)
{
	for (size_t k = 0; k < h->n_bins; k++) {
		if (h->bins[k].addr)
			continue;
		bd_buf_printf(&h->lines, "%" PRIX64 ":Yc%" PRIX64 ":0:%" PRIX64 "\n", h->next,
			      h->bins[k].id, h->bins[k].size);
		h->next += 16;
	}
}

/*
 * The state --state read, {ok, State} or {ok, State, FlatWords}, as a frame
 * of its own at the stack's end: sys:get_state/2 is where the value came
 * from, y0 the behaviour the capture found the process waiting in, y1 the
 * state on the heap, y2 its flat size as the capture measured it.
 */
static void put_state(const struct snap *s, struct bd_buf *stack, struct heap *h, const struct row *r)
{
	const struct frame *f = &s->frames[r->st_frame];
	size_t answer = child(f, r->st, 2);
	uint64_t words;

	bd_buf_addstr(stack, "0x0000000000000000:SReturn addr 0x0000000000000000 (sys:get_state/2 + 0)\ny0:");
	encode(s, h, stack, f, child(f, r->st, 1), 0);
	bd_buf_addstr(stack, "\ny1:");
	encode(s, h, stack, f, child(f, answer, 1), 0);
	bd_buf_addch(stack, '\n');
	if (f->t[answer].count == 3 && as_u64(f, child(f, answer, 2), &words) &&
	    words < ((uint64_t)1 << 59))
		bd_buf_printf(stack, "y2:I%" PRIu64 "\n", words);
}

/* A run of processes whose text is made on one thread, written in order after. */
struct text_part {
	const struct snap *s;
	const struct named *names;
	size_t n_names;
	size_t lo, hi;           /* rows */
	struct bd_buf text;
	size_t estimated;        /* rows whose Memory is estimated */
	size_t duplicates, left_out, undetailed;
};

static void write_proc(const struct snap *s, struct text_part *tp, const struct row *r)
{
	const struct frame *f = r->detail != NO_TERM ? &s->frames[r->detail_frame] : NULL;
	const struct named *names = tp->names;
	size_t n_names = tp->n_names;
	struct bd_buf *b = &tp->text;
	struct bd_buf stack = BD_BUF_INIT, pc = BD_BUF_INIT, dict = BD_BUF_INIT;
	struct heap h = { BD_BUF_INIT, 0x100000, NULL, 0 };
	uint64_t mem;

	put_header(b, "=proc", r);
	bd_buf_addstr(b, "State: ");
	bd_buf_addstr(b, r->status ? r->status : "Undefined");
	bd_buf_addch(b, '\n');
	if (r->name) {
		bd_buf_addstr(b, "Name: ");
		put_atom_quoted(b, r->name, strlen(r->name));
		bd_buf_addch(b, '\n');
	}
	if (r->initial_call) {
		bd_buf_addstr(b, "Spawned as: ");
		bd_buf_addstr(b, r->initial_call);
		bd_buf_addch(b, '\n');
	}
	if (f)
		put_parent(s, b, f, map_get(f, r->detail, "dictionary"), names, n_names);
	if (HAS(r, F_MQ))
		put_field(b, "Message queue length: ", r->mq);
	if (HAS(r, F_MBUF))
		put_field(b, "Heap fragment data: ", r->mbuf);
	if (f)
		put_link_list(s, b, f, r->detail);
	if (HAS(r, F_REDS))
		put_field(b, "Reductions: ", r->reds);
	if (HAS(r, F_HEAP_BLOCK))
		put_field(b, "Stack+heap: ", r->heap_block);
	if (HAS(r, F_OLD_BLOCK))
		put_field(b, "OldHeap: ", r->old_block);
	if (HAS(r, F_OLD_BLOCK) && HAS(r, F_OLD_USED) && r->old_block >= r->old_used)
		put_field(b, "OldHeap unused: ", r->old_block - r->old_used);
	if (HAS(r, F_BINV))
		put_field(b, "BinVHeap: ", r->binv);
	if (HAS(r, F_OLD_BINV))
		put_field(b, "OldBinVHeap: ", r->old_binv);
	/* what a snapshot knows beyond a dump: the exact stack size, the window's work */
	if (HAS(r, F_STACK))
		put_field(b, "Stack words: ", r->stack);
	if (r->has_window)
		put_field(b, "Window reductions: ", r->window_reds);
	if (r->app) {
		bd_buf_addstr(b, "Application: ");
		put_atom_quoted(b, r->app, strlen(r->app));
		bd_buf_addch(b, '\n');
	}
	if (f && as_u64(f, map_get(f, r->detail, "memory"), &mem)) {
		put_field(b, "Memory: ", mem);
	} else {
		/* estimated by the reports from the heap blocks and Process overhead */
		tp->estimated++;
	}
	if (r->bt != NO_TERM) {
		const struct frame *bf = &s->frames[r->bt_frame];
		put_backtrace(&stack, bf->t[r->bt].v.s.p, bf->t[r->bt].v.s.n, &pc);
	} else if (f) {
		size_t cf = map_get(f, r->detail, "current_stacktrace");
		if (list_len(f, cf))
			put_stacktrace(&stack, f, cf, &pc);
	}
	if (pc.len)
		bd_buf_printf(b, "Program counter: %s\n", pc.ptr);
	if (f) {
		read_binaries(&h, f, map_get(f, r->detail, "binary"));
		put_dictionary(s, &dict, &h, f, map_get(f, r->detail, "dictionary"));
	}
	if (r->st != NO_TERM)
		put_state(s, &stack, &h, r);
	put_binaries(&h);
	if (dict.len) {
		put_header(b, "=proc_dictionary", r);
		bd_buf_add(b, dict.ptr, dict.len);
	}
	/* a dump writes a stack in every group of per-process sections */
	if (stack.len || dict.len || h.lines.len) {
		put_header(b, "=proc_stack", r);
		bd_buf_add(b, stack.ptr, stack.len);
	}
	if (h.lines.len) {
		put_header(b, "=proc_heap", r);
		bd_buf_add(b, h.lines.ptr, h.lines.len);
	}
	if (stack.oom || pc.oom || dict.oom || h.lines.oom)
		b->oom = true;
	bd_buf_release(&stack);
	bd_buf_release(&pc);
	bd_buf_release(&dict);
	bd_buf_release(&h.lines);
	bd_free(h.bins);
}

/* The value of key in a proplist [{Key, Value}], or NONE. */
static size_t plist_get(const struct frame *f, size_t list, const char *key)
{
	for (size_t c = list + 1, k = 0; k < list_len(f, list); k++, c = f->t[c].end)
		if (f->t[c].kind == BD_ETF_TUPLE && f->t[c].count == 2 && is_atom(f, c + 1, key))
			return child(f, c, 1);
	return NONE;
}

static void write_ets(const struct snap *s, FILE *out, struct bd_buf *b)
{
	const struct frame *f = &s->frames[s->ets];
	size_t tabs = child(f, 0, 1), slot = 0;
	static const char *const keys[][2] = {
		{ "type", "Type" }, { "protection", "Protection" }, { "compressed", "Compressed" },
		{ "write_concurrency", "Write Concurrency" }, { "read_concurrency", "Read Concurrency" },
	};

	for (size_t c = tabs + 1, k = 0; k < list_len(f, tabs); k++, c = f->t[c].end) {
		size_t owner = plist_get(f, c, "owner"), name = plist_get(f, c, "name");
		size_t id = plist_get(f, c, "id");
		uint64_t v;
		if (owner == NONE || f->t[owner].kind != BD_ETF_PID || name == NONE)
			continue;
		bd_buf_reset(b);
		bd_buf_addstr(b, "=ets:");
		put_pid(s, b, f, owner);
		bd_buf_printf(b, "\nSlot: %zu\nTable: ", ++slot);
		if (is_atom(f, plist_get(f, c, "named_table"), "true") || id == NONE ||
		    f->t[id].kind != BD_ETF_REF)
			put_target(s, b, f, name);
		else
			put_ref(s, b, f, id);
		bd_buf_addstr(b, "\nName: ");
		put_target(s, b, f, name);
		bd_buf_addch(b, '\n');
		if (as_u64(f, plist_get(f, c, "size"), &v))
			put_field(b, "Objects: ", v);
		if (as_u64(f, plist_get(f, c, "memory"), &v))
			put_field(b, "Words: ", v);
		for (size_t j = 0; j < BD_ARRAY_SIZE(keys); j++) {
			size_t val = plist_get(f, c, keys[j][0]);
			if (val != NONE && f->t[val].kind == BD_ETF_ATOM) {
				bd_buf_printf(b, "%s: ", keys[j][1]);
				put_atom_quoted(b, f->t[val].v.s.p, f->t[val].v.s.n);
				bd_buf_addch(b, '\n');
			}
		}
		fwrite(b->ptr, 1, b->len, out);
	}
}

static void put_time(struct bd_buf *b, uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char text[64];

	if (gmtime_r(&t, &tm) && strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm))
		bd_buf_addstr(b, text);
	else
		bd_buf_addstr(b, "unknown time");
}

static void header_text(const struct snap *s, struct bd_buf *b, const char *key, const char *label)
{
	const struct frame *f = &s->frames[s->header];
	size_t v = map_get(f, child(f, 0, 1), key);

	if (v == NONE)
		return;
	bd_buf_printf(b, "%s: ", label);
	if (f->t[v].kind == BD_ETF_STRING || f->t[v].kind == BD_ETF_BINARY)
		put_text(b, f->t[v].v.s.p, f->t[v].v.s.n);
	else if (f->t[v].kind == BD_ETF_ATOM)
		put_atom_quoted(b, f->t[v].v.s.p, f->t[v].v.s.n);
	else if (f->t[v].kind == BD_ETF_INT)
		bd_buf_printf(b, "%" PRId64, f->t[v].v.i);
	bd_buf_addch(b, '\n');
}

static void write_preamble(const struct snap *s, FILE *out, struct bd_buf *b)
{
	const struct frame *f = &s->frames[s->header];
	size_t meta = child(f, 0, 1), node = map_get(f, meta, "node");
	uint64_t us = 0, count = 0, limit = 0;

	bd_buf_reset(b);
	bd_buf_addstr(b, "=erl_crash_dump:0.5\n");
	as_u64(f, map_get(f, meta, "time"), &us);
	put_time(b, us);
	bd_buf_addstr(b, "\nSlogan: live snapshot");
	if (node != NONE && f->t[node].kind == BD_ETF_ATOM) {
		bd_buf_addstr(b, " of ");
		put_text(b, f->t[node].v.s.p, f->t[node].v.s.n);
	}
	bd_buf_addstr(b, " (the node was running; nothing crashed)\n");
	header_text(s, b, "system_version", "System version");
	if (s->atoms != NONE) {
		const struct frame *a = &s->frames[s->atoms];
		if (as_u64(a, child(a, 0, 1), &count))
			put_field(b, "Atoms: ", count);
	}
	bd_buf_addch(b, '\0');
	b->len--;
	if (node != NONE && f->t[node].kind == BD_ETF_ATOM) {
		bd_buf_addstr(b, "=node:");
		put_atom_quoted(b, f->t[node].v.s.p, f->t[node].v.s.n);
		bd_buf_addch(b, '\n');
	}
	if (s->memory != NONE) {
		const struct frame *m = &s->frames[s->memory];
		size_t list = child(m, 0, 1);
		bd_buf_addstr(b, "=memory\n");
		for (size_t c = list + 1, k = 0; k < list_len(m, list); k++, c = m->t[c].end) {
			uint64_t v;
			size_t key = child(m, c, 0);
			if (m->t[c].kind == BD_ETF_TUPLE && m->t[c].count == 2 &&
			    m->t[key].kind == BD_ETF_ATOM && as_u64(m, child(m, c, 1), &v)) {
				put_text(b, m->t[key].v.s.p, m->t[key].v.s.n);
				put_field(b, ": ", v);
			}
		}
	}
	if (s->atoms != NONE) {
		const struct frame *a = &s->frames[s->atoms];
		if (as_u64(a, child(a, 0, 1), &count) && as_u64(a, child(a, 0, 2), &limit))
			bd_buf_printf(b, "=index_table:atom_tab\nsize: %" PRIu64 "\nlimit: %" PRIu64
				      "\nentries: %" PRIu64 "\n", count, limit, count);
	}
	fwrite(b->ptr, 1, b->len, out);
}

/* Whether the header's capture map holds key => the atom value. */
static bool capture_says(const struct frame *f, size_t cap, const char *key, const char *value)
{
	size_t v = map_get(f, cap, key);

	return v != NONE && is_atom(f, v, value);
}

/* What the capture was and how much of the node it saw. */
static void write_snapshot_section(const struct snap *s, FILE *out, struct bd_buf *b)
{
	const struct frame *f = &s->frames[s->header];
	size_t cap = map_get(f, child(f, 0, 1), "capture");
	size_t profile = map_get(f, cap, "profile");
	uint64_t v;

	bd_buf_reset(b);
	bd_buf_addstr(b, "=snapshot\n");
	header_text(s, b, "otp_release", "OTP release");
	if (profile != NONE && f->t[profile].kind == BD_ETF_ATOM) {
		bd_buf_addstr(b, "Profile: ");
		put_atom_quoted(b, f->t[profile].v.s.p, f->t[profile].v.s.n);
		bd_buf_addch(b, '\n');
	}
	if (as_u64(f, map_get(f, cap, "window"), &v))
		put_field(b, "Window: ", v);
	if (as_u64(f, map_get(f, child(f, 0, 1), "process_count"), &v))
		put_field(b, "Process count: ", v);
	bd_buf_printf(b, "Processes read: %zu\nProcesses vanished: %zu\nProcesses detailed: %zu\n"
		      "Capturing processes left out: %zu\n",
		      s->n_rows - s->left_out - s->duplicates, s->n_dead, s->detailed, s->left_out);
	if (s->duplicates)
		put_field(b, "Duplicate rows: ", s->duplicates);
	if (s->atoms_window != NONE) {
		const struct frame *a = &s->frames[s->atoms_window];
		uint64_t us, before, after;
		if (a->t[0].count == 4 && as_u64(a, child(a, 0, 1), &us) &&
		    as_u64(a, child(a, 0, 2), &before) && as_u64(a, child(a, 0, 3), &after)) {
			put_field(b, "Atoms window us: ", us);
			put_field(b, "Atoms before window: ", before);
			put_field(b, "Atoms after window: ", after);
		}
	}
	if (capture_says(f, cap, "state", "true")) {
		bd_buf_addstr(b, "States: read\n");
		put_field(b, "States asked: ", s->states_asked);
		put_field(b, "States read: ", s->states_read);
		put_field(b, "States unanswered: ", s->states_unanswered);
		if (s->states_not_read) {
			bd_buf_addstr(b, "States not read: ");
			put_text(b, s->states_not_read, strlen(s->states_not_read));
			bd_buf_addch(b, '\n');
		}
	}
	put_field(b, "Word size: ", s->wordsize);
	if (s->creation)
		put_field(b, "Node creation: ", s->creation);
	if (s->overhead >= 0)
		bd_buf_printf(b, "Process overhead: %" PRId64 "\nMemory estimated: %zu\n", s->overhead,
			      s->estimated);
	if (s->end != NONE) {
		const struct frame *e = &s->frames[s->end];
		size_t m = child(e, 0, 1), aborted = map_get(e, m, "aborted");
		if (as_u64(e, map_get(e, m, "duration_us"), &v))
			put_field(b, "Duration us: ", v);
		if (as_u64(e, map_get(e, m, "timeouts"), &v))
			put_field(b, "Timeouts: ", v);
		if (aborted != NONE && !is_atom(e, aborted, "false")) {
			bd_buf_addstr(b, "Aborted: ");
			put_target(s, b, e, aborted);
			bd_buf_addch(b, '\n');
		}
	}
	fwrite(b->ptr, 1, b->len, out);
}

bool bd_snapshot_sniff(const void *head, size_t n)
{
	return n > 0 && memcmp(head, BD_SNAPSHOT_MAGIC, n < BD_SNAPSHOT_MAGIC_LEN ? n : BD_SNAPSHOT_MAGIC_LEN) == 0;
}

static void snap_release(struct snap *s)
{
	for (size_t i = 0; i < s->n_frames; i++)
		frame_release(&s->frames[i]);
	bd_free(s->frames);
	bd_free(s->nodes);
	bd_free(s->rows);
	for (size_t i = 0; i < s->n_blocks; i++)
		bd_free(s->blocks[i]);
	bd_free(s->blocks);
	for (size_t i = 0; i < s->n_row_arenas; i++)
		bd_arena_release(&s->row_arenas[i]);
	bd_free(s->row_arenas);
	bd_free(s->slots);
	bd_arena_release(&s->arena);
}

static void text_part_run(void *ctx, size_t k)
{
	struct text_part *tp = &((struct text_part *)ctx)[k];
	const struct snap *s = tp->s;

	bd_buf_reset(&tp->text);
	tp->estimated = tp->duplicates = tp->left_out = tp->undetailed = 0;
	for (size_t i = tp->lo; i < tp->hi && !tp->text.oom; i++) {
		const struct row *r = s->rows[i];
		if (r->duplicate) {
			tp->duplicates++;
		} else if (r->capturing) {
			tp->left_out++;
			tp->undetailed += r->detail != NO_TERM;
		} else {
			write_proc(s, tp, r);
		}
	}
}

/* Rows whose text one thread makes at a time, and how many such runs are held at once. */
#define TEXT_PART 8192
#define TEXT_PARTS_AT_ONCE 8

static enum bd_status write_text(struct snap *s, FILE *out)
{
	struct bd_buf b = BD_BUF_INIT;
	size_t n_names = 0;
	struct named *names = name_table(s, &n_names);

	struct text_part parts[TEXT_PARTS_AT_ONCE];

	measure_overhead(s);
	write_preamble(s, out, &b);
	memset(parts, 0, sizeof(parts));
	for (size_t k = 0; k < TEXT_PARTS_AT_ONCE; k++)
		parts[k].text = (struct bd_buf)BD_BUF_INIT;
	for (size_t lo = 0; lo < s->n_rows && !s->nomem;) {
		size_t n_parts = 0;
		for (; n_parts < TEXT_PARTS_AT_ONCE && lo < s->n_rows; n_parts++, lo += TEXT_PART) {
			struct text_part *tp = &parts[n_parts];
			tp->s = s;
			tp->names = names;
			tp->n_names = n_names;
			tp->lo = lo;
			tp->hi = lo + TEXT_PART < s->n_rows ? lo + TEXT_PART : s->n_rows;
		}
		bd_parallel(n_parts, s->threads, text_part_run, parts);
		for (size_t k = 0; k < n_parts; k++) {
			struct text_part *tp = &parts[k];
			fwrite(tp->text.ptr, 1, tp->text.len, out);
			s->estimated += tp->estimated;
			s->duplicates += tp->duplicates;
			s->left_out += tp->left_out;
			s->detailed -= tp->undetailed;
			if (tp->text.oom)
				s->nomem = true;
		}
	}
	for (size_t k = 0; k < TEXT_PARTS_AT_ONCE; k++)
		bd_buf_release(&parts[k].text);
	if (s->ets != NONE)
		write_ets(s, out, &b);
	write_snapshot_section(s, out, &b);
	if (s->cut[0])
		fprintf(out, "=abort:%s (at byte %" PRIu64 ")\n", s->cut, s->cut_at);
	else
		fputs("=end\n", out);
	if (b.oom)
		s->nomem = true;
	bd_buf_release(&b);
	bd_free(names);
	return s->nomem ? bd_fail(s->err, BD_ENOMEM, BD_NO_OFFSET, NULL,
				  "out of memory writing the text of snapshot '%s'", s->name)
			: BD_OK;
}

enum bd_status bd_snapshot_to_text(const unsigned char *data, size_t len, const char *name,
				   unsigned threads, FILE *out, struct bd_error *err)
{
	struct snap s;
	enum bd_status rc;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.err = err;
	s.wordsize = 8;
	memset(s.field_at, 0xff, sizeof(s.field_at));
	bd_arena_init(&s.arena);
	if (len < BD_SNAPSHOT_MAGIC_LEN + 4 || !bd_snapshot_sniff(data, BD_SNAPSHOT_MAGIC_LEN))
		return bd_fail(err, BD_EFORMAT, 0, NULL, "'%s' is not a beamdump snapshot (too short)",
			       name);
	unsigned major = (unsigned)data[8] << 8 | data[9];
	if (major != BD_SNAPSHOT_MAJOR)
		return bd_fail(err, BD_EFORMAT, 8, NULL,
			       "'%s' is a snapshot of format %u; this beamdump reads format %d", name,
			       major, BD_SNAPSHOT_MAJOR);
	s.threads = threads ? threads : 1;
	rc = read_frames(&s, data, len, s.threads);
	if (!rc && s.header == NONE)
		rc = bd_fail(err, BD_EFORMAT, BD_SNAPSHOT_MAGIC_LEN + 4, NULL,
			     "'%s' has no readable header frame: %s", name, s.cut);
	if (!rc && !index_rows(&s))
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory indexing '%s'", name);
	if (!rc) {
		attach(&s);
		rc = write_text(&s, out);
	}
	snap_release(&s);
	return rc;
}
