/*
 * Heap terms as Erlang or Elixir text (crash-dump-format.md 3.1-3.6).
 *
 * Input: an element and the heap/literal index of one process. Output:
 * text appended to a bd_buf. Containers are walked with an explicit stack
 * of frames; a list is one frame that follows its chain of cons cells, so
 * its length costs nothing on the stack. The addresses of the open frames
 * form the current path: a pointer back into it is a cycle (only corrupt
 * dumps have them, the dump being a DAG). A cycle that runs along a tail
 * chain without returning to the list's first cell is caught by Brent's
 * method, so tails need no per-cell memory.
 */
#include "bd.h"
#include "term/print.h"
#include "term/etf.h"
#include "term/text.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------- output */

/* A bd_buf with an optional byte budget counted from where printing began. */
struct sink {
	struct bd_text text;  /* the shared pieces write through it: put */
	struct bd_buf *b;
	size_t start;
	size_t max;   /* 0: unlimited */
	bool full;    /* the budget was hit and "..." written */
};

/* Bytes that may still be written before the cut; SIZE_MAX if unlimited. */
static size_t sink_room(const struct sink *s)
{
	if (s->full)
		return 0;
	if (!s->max)
		return SIZE_MAX;
	return s->max - (s->b->len - s->start);
}

/* Callers pass whole UTF-8 sequences, so a cut never splits a character. */
static void put(struct sink *s, const char *p, size_t n)
{
	size_t room;

	if (s->full || s->b->oom)
		return;
	room = sink_room(s);
	if (n > room) {
		size_t k = room;
		while (k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80)
			k--;
		bd_buf_add(s->b, p, k);
		bd_buf_add(s->b, "...", 3);
		s->full = true;
		return;
	}
	bd_buf_add(s->b, p, n);
}

static void text_put(struct bd_text *t, const char *p, size_t n)
{
	put((struct sink *)t, p, n);
}

static void sink_init(struct sink *s, struct bd_buf *b, size_t max)
{
	*s = (struct sink){ { text_put }, b, b->len, max, false };
}

static void puts_(struct sink *s, const char *str)
{
	put(s, str, strlen(str));
}

static void put_hex_addr(struct sink *s, uint64_t a)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, a);
	puts_(s, b);
}

/* ----------------------------------------------------------- characters */

#define UTF8_BAD (-1)         /* not UTF-8: one byte consumed */
#define UTF8_INCOMPLETE (-2)  /* a valid start cut by the end of the text */

static int32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	bool cut;
	size_t len = bd_utf8_len(s + *i, n - *i, &cut);

	if (!len) {
		if (cut)
			return UTF8_INCOMPLETE;
		(*i)++;
		return UTF8_BAD;
	}
	*i += len;
	return (int32_t)bd_utf8_decode(s + *i - len, len);
}

/* List.ascii_printable?/1 (Elixir charlists) */
static bool ascii_printable(uint32_t c)
{
	return (c >= 32 && c <= 126) || (c >= 7 && c <= 13) || c == 27;
}

/* String.printable?/1, per code point (Elixir strings) */
static bool elixir_printable(uint32_t c)
{
	return (c >= 32 && c <= 126) || (c >= 7 && c <= 13) || c == 27 ||
	       (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	       (c >= 0x10000 && c <= 0x10ffff);
}

/* One character inside Elixir double quotes; next is the following one (for "#{"). */
static void put_ex_char(struct sink *s, uint32_t c, uint32_t next)
{
	static const char named[] = "abtnvfr";
	char b[16];

	if (c == '"' || c == '\\') {
		b[0] = '\\';
		b[1] = (char)c;
		put(s, b, 2);
	} else if (c == '#' && next == '{') {
		put(s, "\\#", 2);
	} else if (c >= 7 && c <= 13) {
		b[0] = '\\';
		b[1] = named[c - 7];
		put(s, b, 2);
	} else if (c == 27) {
		put(s, "\\e", 2);
	} else if (c == 0) {
		put(s, "\\0", 2);
	} else if (elixir_printable(c)) {
		bd_text_cp(&s->text, c);
	} else if (c < 256) {
		snprintf(b, sizeof(b), "\\x%02" PRIX32, c);
		puts_(s, b);
	} else {
		snprintf(b, sizeof(b), "\\u{%" PRIX32 "}", c);
		puts_(s, b);
	}
}

/* Text of an atom (possibly invalid UTF-8) inside quotes. */
static void put_quoted_text(struct sink *s, struct bd_slice t, enum bd_syntax syn, char q)
{
	const unsigned char *u = (const unsigned char *)t.ptr;
	size_t i = 0;

	while (i < t.len && !s->full) {
		size_t at = i;
		int32_t c = utf8_next(u, t.len, &i);
		if (c < 0) {
			char b[16];
			if (i == at)
				i++; /* an incomplete sequence at the end */
			snprintf(b, sizeof(b), syn == BD_SYNTAX_ELIXIR ? "\\x%02X" : "\\x{%X}",
				 (unsigned)u[at]);
			puts_(s, b);
			continue;
		}
		if (syn == BD_SYNTAX_ELIXIR) {
			uint32_t next = i < t.len ? u[i] : 0;
			put_ex_char(s, (uint32_t)c, next);
		} else {
			bd_text_erl_char(&s->text, (uint32_t)c, q, true);
		}
	}
}

/* ---------------------------------------------------------------- atoms */

static bool slice_in(struct bd_slice t, const char *const *words, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (bd_slice_eq(t, words[k]))
			return true;
	return false;
}

/* [A-Za-z_][A-Za-z0-9_@]*[?!]? : an Elixir atom or keyword key without quotes */
static bool ex_identifier(struct bd_slice t)
{
	if (!t.len)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		char c = t.ptr[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool digit = (c >= '0' && c <= '9') || c == '@';
		bool last_mark = (c == '?' || c == '!') && i == t.len - 1;
		if (i == 0 ? !alpha : !(alpha || digit || last_mark))
			return false;
	}
	return true;
}

/* "Elixir.A.B": every segment after the prefix is an alias */
static bool ex_alias(struct bd_slice t)
{
	bool start = true;

	if (!bd_slice_starts(t, "Elixir.") || t.len == 7)
		return false;
	for (size_t i = 7; i < t.len; i++) {
		char c = t.ptr[i];
		if (start) {
			if (!(c >= 'A' && c <= 'Z'))
				return false;
			start = false;
		} else if (c == '.') {
			start = true;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '_')) {
			return false;
		}
	}
	return !start;
}

static bool ex_operator(struct bd_slice t)
{
	static const char *const ops[] = {
		"+",  "-",   "*",   "/",   "==",  "!=",  "===", "!==", "<",   ">",	 "<=",
		">=", "&&",  "||",  "!",   "<>",  "++",  "--",  "..",  "|>",  "=~",	 "<-",
		"->", "::",  "\\\\", "^",  "^^^", "&&&", "|||", "<<<", ">>>", "~>>", "<<~",
		"~>", "<~",  "<~>", "<|>", "@",   "&",   "=",   "|",   "**",  "+++", "---",
		"%",  "%{}", "{}",  "<<>>", "...", "..//", ".",
	};
	return slice_in(t, ops, BD_ARRAY_SIZE(ops));
}

/*
 * The part of t that the sink can still show (and a character more): the
 * rest of a long atom is never looked at, so a crafted 10 MB atom costs
 * what is printed of it, not its length, however often it is referenced.
 */
static struct bd_slice visible_text(const struct sink *s, struct bd_slice t)
{
	size_t room = sink_room(s);

	if (room >= t.len || t.len - room <= 4)
		return t;
	return bd_slice_make(t.ptr, room + 4);
}

static void put_atom(struct sink *s, struct bd_slice t, enum bd_syntax syn)
{
	t = visible_text(s, t);
	if (syn == BD_SYNTAX_ELIXIR) {
		if (bd_slice_eq(t, "true") || bd_slice_eq(t, "false") || bd_slice_eq(t, "nil") ||
		    bd_slice_eq(t, "Elixir")) {
			put(s, t.ptr, t.len);
		} else if (ex_alias(t)) {
			put(s, t.ptr + 7, t.len - 7);
		} else if (ex_identifier(t) || ex_operator(t)) {
			put(s, ":", 1);
			put(s, t.ptr, t.len);
		} else {
			put(s, ":\"", 2);
			put_quoted_text(s, t, syn, '"');
			put(s, "\"", 1);
		}
		return;
	}
	if (bd_erl_atom_bare(t)) {
		put(s, t.ptr, t.len);
		return;
	}
	put(s, "'", 1);
	put_quoted_text(s, t, syn, '\'');
	put(s, "'", 1);
}

/* An Elixir keyword key: "a: ", "Foo: " or "\"with space\": " */
static void put_kw_key(struct sink *s, struct bd_slice t)
{
	t = visible_text(s, t);
	if (ex_identifier(t)) {
		put(s, t.ptr, t.len);
	} else {
		put(s, "\"", 1);
		put_quoted_text(s, t, BD_SYNTAX_ELIXIR, '"');
		put(s, "\"", 1);
	}
	put(s, ": ", 2);
}

/* Real atoms have at most 255 characters: a longer, crafted one is cut. */
#define ATOM_PRINT_MAX 4096

void bd_print_atom(struct bd_slice name, enum bd_syntax syntax, struct bd_buf *out)
{
	struct sink s;

	sink_init(&s, out, ATOM_PRINT_MAX);
	put_atom(&s, name, syntax);
}

void bd_print_kw_key(struct bd_slice name, struct bd_buf *out)
{
	struct sink s;

	sink_init(&s, out, ATOM_PRINT_MAX);
	put_kw_key(&s, name);
}

/* --------------------------------------------------------------- numbers */

/* Past this many hex digits a B16# bignum stays in base 16: the conversion is quadratic. */
#define BIG_HEX_MAX 8192

/* hex digits -> limbs -> decimal */
static bool put_hex_as_decimal(struct sink *s, struct bd_slice hex)
{
	size_t n_limbs = (hex.len + 7) / 8;
	uint32_t *limbs = bd_calloc(n_limbs, sizeof(*limbs));
	uint32_t *chunks = bd_calloc(n_limbs + n_limbs / 8 + 1, sizeof(*chunks));

	if (!limbs || !chunks) {
		bd_free(limbs);
		bd_free(chunks);
		return false;
	}
	for (size_t i = 0; i < hex.len; i++) {
		size_t bit = 4 * (hex.len - 1 - i);
		limbs[bit / 32] |= (uint32_t)bd_hex_digit(hex.ptr[i]) << (bit % 32);
	}
	bd_text_limbs(&s->text, limbs, n_limbs, chunks);
	bd_free(limbs);
	bd_free(chunks);
	return true;
}

static void put_unknown(struct sink *s, struct bd_slice t);

/* "B123", "B-000123" (leading zeros happen), "B16#7F", "B-16#7F" */
static bool put_big(struct sink *s, struct bd_slice t)
{
	struct bd_slice v = bd_slice_skip(t, 1);
	bool neg = v.len && v.ptr[0] == '-';
	bool hex;
	size_t i;

	if (neg)
		v = bd_slice_skip(v, 1);
	hex = bd_slice_starts(v, "16#");
	if (hex)
		v = bd_slice_skip(v, 3);
	if (!v.len)
		goto bad;
	for (i = 0; i < v.len; i++)
		if (hex ? bd_hex_digit(v.ptr[i]) < 0 : !(v.ptr[i] >= '0' && v.ptr[i] <= '9'))
			goto bad;
	for (i = 0; i + 1 < v.len && v.ptr[i] == '0'; i++)
		;
	v = bd_slice_skip(v, i);
	if (neg && !(v.len == 1 && v.ptr[0] == '0'))
		put(s, "-", 1);
	if (!hex) {
		put(s, v.ptr, v.len);
	} else if (v.len > BIG_HEX_MAX) {
		put(s, "16#", 3);
		put(s, v.ptr, v.len);
	} else if (!put_hex_as_decimal(s, v)) {
		return false;
	}
	return true;
bad:
	put_unknown(s, t);
	return true;
}

/* "F1A:2.50000000000000000000e+00" (%.20e) */
static void put_float_obj(struct sink *s, struct bd_slice t)
{
	struct bd_slice v = bd_slice_after(t, ':');
	char b[64];
	char *end;
	double d;

	if (!v.len || v.len >= sizeof(b))
		goto bad;
	memcpy(b, v.ptr, v.len);
	b[v.len] = '\0';
	d = bd_c_strtod(b, &end);
	if (end != b + v.len || !isfinite(d))
		goto bad;
	bd_text_float(&s->text, d);
	return;
bad:
	put_unknown(s, t);
}

/* "<unknown Zq99>", clipped and with unprintable bytes as '?' */
static void put_unknown(struct sink *s, struct bd_slice t)
{
	char b[48];
	size_t n = t.len < 32 ? t.len : 32;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t.ptr[i];
		b[i] = c >= 32 && c < 127 ? (char)c : '?';
	}
	put(s, "<unknown ", 9);
	put(s, b, n);
	put(s, n < t.len ? "...>" : ">", n < t.len ? 4 : 1);
}

/* -------------------------------------------------------------- printer */

struct addrset {
	uint64_t *v;   /* 0 = empty */
	size_t cap;    /* power of two */
	size_t n;
};

static size_t addr_hash(uint64_t a, size_t cap)
{
	a ^= a >> 31;
	a *= 0x9e3779b97f4a7c15ull;
	a ^= a >> 29;
	return (size_t)a & (cap - 1);
}

static bool set_has(const struct addrset *s, uint64_t a)
{
	if (!s->cap)
		return false;
	for (size_t i = addr_hash(a, s->cap); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == a)
			return true;
	return false;
}

static void set_put(uint64_t *v, size_t cap, uint64_t a)
{
	size_t i = addr_hash(a, cap);

	while (v[i])
		i = (i + 1) & (cap - 1);
	v[i] = a;
}

static bool set_add(struct addrset *s, uint64_t a)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t *v = bd_calloc(cap, sizeof(*v));
		if (!v)
			return false;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				set_put(v, cap, s->v[i]);
		bd_free(s->v);
		s->v = v;
		s->cap = cap;
	}
	set_put(s->v, s->cap, a);
	s->n++;
	return true;
}

/* Linear probing with backward-shift deletion: no tombstones pile up. */
static void set_del(struct addrset *s, uint64_t a)
{
	size_t mask = s->cap - 1;
	size_t i;

	if (!s->cap)
		return;
	for (i = addr_hash(a, s->cap); s->v[i] != a; i = (i + 1) & mask)
		if (!s->v[i])
			return;
	s->v[i] = 0;
	s->n--;
	for (size_t j = (i + 1) & mask; s->v[j]; j = (j + 1) & mask) {
		size_t home = addr_hash(s->v[j], s->cap);
		/* move v[j] into the hole unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			s->v[i] = s->v[j];
			s->v[j] = 0;
			i = j;
		}
	}
}

enum frame_kind { FR_TUPLE, FR_LIST, FR_MAP };

enum frame_mode {
	MODE_PLAIN,
	MODE_KW,      /* Elixir: keyword list, or map with atom keys */
	MODE_STRUCT,  /* Elixir: struct, __struct__ not shown */
};

struct frame {
	enum frame_kind kind;
	enum frame_mode mode;
	bool value_next;             /* map: pend (a value) prints next */
	bool tail_done;              /* list: an improper tail was printed */
	bool hashed;                 /* map: iterated through its bd_map_iter */
	unsigned level;
	uint64_t addr;               /* on the path while the frame is open */
	uint64_t shown;
	struct bd_map_cursor cur;    /* tuple elements; flatmap keys */
	struct bd_map_cursor vals;   /* flatmap values */
	struct bd_elem pend;         /* list: rest of the chain; map: the next value */
	uint64_t mark;               /* list: Brent's cycle check along the tails */
	uint64_t power;
	uint64_t lam;
};

struct printer {
	const struct bd_term_ctx *c;
	struct bd_print_opts o;
	struct bd_print_extra x;
	struct sink s;
	struct frame *st;
	size_t n_st;
	size_t cap_st;
	struct bd_map_iter *its;     /* one per open hashmap frame, innermost last */
	size_t n_its;
	size_t cap_its;
	struct addrset path;
	const struct bd_bin_index *bins;
	bool bins_tried;
	char local[256];             /* the dump's node name, unquoted */
	bool nomem;
};

static bool elixir(const struct printer *p)
{
	return p->o.syntax == BD_SYNTAX_ELIXIR;
}

static void put_sep(struct printer *p)
{
	if (elixir(p))
		put(&p->s, ", ", 2);
	else
		put(&p->s, ",", 1);
}

static void put_missing(struct printer *p, uint64_t addr)
{
	put(&p->s, "<missing ", 9);
	put_hex_addr(&p->s, addr);
	put(&p->s, ">", 1);
}

static bool too_deep(const struct printer *p, unsigned level)
{
	return p->o.depth && level > p->o.depth;
}

/* Width and byte budget together: how many items a scan may look at (0: all). */
static size_t scan_limit(const struct printer *p)
{
	size_t lim = p->o.width;
	size_t room = sink_room(&p->s);

	if (room != SIZE_MAX && (!lim || room + 1 < lim))
		lim = room + 1;
	return lim;
}

/*
 * The dump's one binary index, built by the first term that needs it:
 * every term printed used to index every =binary section again (20 messages
 * of a 1M-binary dump: 20 indexes). Printers run on one thread, or after
 * analyze built the index for its parts, so the build is never shared.
 */
static const struct bd_bin_index *printer_bins(struct printer *p)
{
	if (p->bins || p->bins_tried)
		return p->bins;
	p->bins_tried = true;
	p->bins = bd_dump_binaries(p->c->d);
	if (!p->bins)
		p->nomem = true;
	return p->bins;
}

static bool push(struct printer *p, enum frame_kind kind, uint64_t addr, unsigned level,
		 struct frame **out)
{
	struct frame *f;

	if (!bd_grow((void **)&p->st, &p->cap_st, p->n_st + 1, sizeof(*p->st)) ||
	    !set_add(&p->path, addr)) {
		p->nomem = true;
		return false;
	}
	f = &p->st[p->n_st++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->addr = addr;
	f->level = level;
	*out = f;
	return true;
}

static void pop(struct printer *p, const char *close)
{
	struct frame *f = &p->st[p->n_st - 1];

	if (f->kind == FR_MAP && f->hashed)
		p->n_its--;
	set_del(&p->path, f->addr);
	p->n_st--;
	puts_(&p->s, close);
}

static void visit(struct printer *p, const struct bd_elem *e, unsigned level);

/* ---- strings and lists */

typedef bool (*cell_pred)(const struct printer *p, const struct bd_elem *head);

static bool head_printable(const struct printer *p, const struct bd_elem *h)
{
	if (h->kind != BD_ELEM_SMALL || h->small < 0 || h->small > 0x10ffff)
		return false;
	if (elixir(p))
		return ascii_printable((uint32_t)h->small);
	return p->x.unicode ? bd_unicode_printable((uint32_t)h->small)
			    : bd_latin1_printable((uint32_t)h->small);
}

/* {atom, _} */
static bool head_keyword(const struct printer *p, const struct bd_elem *h)
{
	struct bd_obj t;
	struct bd_map_cursor k;
	struct bd_elem first;

	if (h->kind != BD_ELEM_PTR || !bd_term_resolve(p->c, h->addr, &t) ||
	    t.kind != BD_OBJ_TUPLE || t.size != 2)
		return false;
	bd_map_cursor_init(&k, &t);
	return bd_map_cursor_next(&k, ',', &first) && first.kind == BD_ELEM_ATOM;
}

enum scan { SCAN_NO, SCAN_ALL, SCAN_PREFIX };

/*
 * Do the first `limit` heads of the list at addr (0: all of them) satisfy
 * pred, and does the list end properly? *count gets the cells checked.
 */
static enum scan scan_list(const struct printer *p, uint64_t addr, size_t limit, cell_pred pred,
			   uint64_t *count)
{
	uint64_t cell = addr;
	uint64_t mark = addr;
	uint64_t power = 1;
	uint64_t lam = 0;

	*count = 0;
	for (;;) {
		struct bd_obj o;
		struct bd_map_cursor k;
		struct bd_elem head;
		struct bd_elem tail;
		if (limit && *count == limit)
			return SCAN_PREFIX;
		if (!bd_term_resolve(p->c, cell, &o) || o.kind != BD_OBJ_CONS)
			return SCAN_NO;
		bd_map_cursor_init(&k, &o);
		if (!bd_map_cursor_next(&k, '|', &head) || !bd_map_cursor_next(&k, '|', &tail) ||
		    !pred(p, &head))
			return SCAN_NO;
		++*count;
		if (tail.kind == BD_ELEM_NIL)
			return SCAN_ALL;
		if (tail.kind != BD_ELEM_PTR || tail.addr == mark)
			return SCAN_NO;
		cell = tail.addr;
		if (++lam == power) {
			mark = cell;
			power *= 2;
			lam = 0;
		}
	}
}

/* The first n cells of the list at addr, whose heads are known printable. */
static void put_charlist(struct printer *p, uint64_t addr, uint64_t n, bool prefix)
{
	struct bd_elem heads[2] = { { BD_ELEM_NIL, 0, 0, { NULL, 0 } },
				    { BD_ELEM_NIL, 0, 0, { NULL, 0 } } };
	uint64_t cell = addr;

	put(&p->s, elixir(p) ? "~c\"" : "\"", elixir(p) ? 3 : 1);
	/* one cell of lookahead, for Elixir's "#{" */
	for (uint64_t i = 0; i <= n && !p->s.full; i++) {
		struct bd_obj o;
		struct bd_map_cursor k;
		struct bd_elem tail;
		heads[0] = heads[1];
		heads[1].kind = BD_ELEM_NIL;
		if (i < n && bd_term_resolve(p->c, cell, &o)) {
			bd_map_cursor_init(&k, &o);
			if (bd_map_cursor_next(&k, '|', &heads[1]) && bd_map_cursor_next(&k, '|', &tail))
				cell = tail.addr;
		}
		if (i == 0)
			continue;
		uint32_t ch = (uint32_t)heads[0].small;
		if (elixir(p))
			put_ex_char(&p->s, ch,
				    heads[1].kind == BD_ELEM_SMALL ? (uint32_t)heads[1].small : 0);
		else
			bd_text_erl_char(&p->s.text, ch, '"', true);
	}
	put(&p->s, "\"", 1);
	if (prefix)
		puts_(&p->s, elixir(p) ? " ++ ..." : "...");
}

static void open_list(struct printer *p, uint64_t addr, unsigned level)
{
	size_t lim = scan_limit(p);
	uint64_t n;
	enum scan sc = scan_list(p, addr, lim, head_printable, &n);
	struct frame *f;

	if (sc != SCAN_NO) {
		put_charlist(p, addr, n, sc == SCAN_PREFIX);
		return;
	}
	if (!push(p, FR_LIST, addr, level, &f))
		return;
	if (elixir(p) && scan_list(p, addr, lim, head_keyword, &n) != SCAN_NO)
		f->mode = MODE_KW;
	f->pend.kind = BD_ELEM_PTR;
	f->pend.addr = addr;
	f->mark = addr;
	f->power = 1;
	put(&p->s, "[", 1);
}

/* [a: 1] */
static bool put_kw_pair(struct printer *p, const struct bd_elem *head, unsigned level)
{
	struct bd_obj t;
	struct bd_map_cursor k;
	struct bd_elem key;
	struct bd_elem val;

	if (!head_keyword(p, head) || !bd_term_resolve(p->c, head->addr, &t))
		return false;
	bd_map_cursor_init(&k, &t);
	if (!bd_map_cursor_next(&k, ',', &key) || !bd_map_cursor_next(&k, ',', &val))
		return false;
	put_kw_key(&p->s, key.text);
	visit(p, &val, level + 1);
	return true;
}

static void close_list_with(struct printer *p, const char *tail_text)
{
	put(&p->s, elixir(p) ? " | " : "|", elixir(p) ? 3 : 1);
	puts_(&p->s, tail_text);
	pop(p, "]");
}

static void step_list(struct printer *p, struct frame *f)
{
	struct bd_elem e = f->pend;
	unsigned level = f->level;
	struct bd_obj o;
	struct bd_map_cursor k;
	struct bd_elem head;

	if (f->tail_done || e.kind == BD_ELEM_NIL) {
		pop(p, "]");
		return;
	}
	if (f->shown && p->o.width && f->shown >= p->o.width) {
		if (elixir(p)) {
			put(&p->s, ", ...", 5);
			pop(p, "]");
		} else {
			close_list_with(p, "...");
		}
		return;
	}
	if (e.kind != BD_ELEM_PTR) {
		f->tail_done = true;
		put(&p->s, elixir(p) ? " | " : "|", elixir(p) ? 3 : 1);
		visit(p, &e, level + 1);
		return;
	}
	if (f->shown) {
		bool cycle = set_has(&p->path, e.addr) || e.addr == f->mark;
		if (++f->lam == f->power) {
			f->mark = e.addr;
			f->power *= 2;
			f->lam = 0;
		}
		if (cycle) {
			close_list_with(p, "<cycle>");
			return;
		}
	}
	if (!bd_term_resolve(p->c, e.addr, &o)) {
		put(&p->s, elixir(p) ? " | " : "|", elixir(p) ? 3 : 1);
		put_missing(p, e.addr);
		pop(p, "]");
		return;
	}
	if (o.kind != BD_OBJ_CONS) {
		f->tail_done = true;
		put(&p->s, elixir(p) ? " | " : "|", elixir(p) ? 3 : 1);
		visit(p, &e, level + 1);
		return;
	}
	bd_map_cursor_init(&k, &o);
	if (!bd_map_cursor_next(&k, '|', &head) || !bd_map_cursor_next(&k, '|', &f->pend)) {
		close_list_with(p, "<unknown cons>");
		return;
	}
	if (f->shown)
		put_sep(p);
	f->shown++;
	if (f->mode == MODE_KW && put_kw_pair(p, &head, level))
		return;
	visit(p, &head, level + 1);
}

/* ---- tuples */

static void step_tuple(struct printer *p, struct frame *f)
{
	struct bd_elem e;
	unsigned level = f->level;

	if (!f->cur.left) {
		pop(p, "}");
		return;
	}
	if (p->o.width && f->shown >= p->o.width) {
		put_sep(p);
		pop(p, "...}");
		return;
	}
	if (!bd_map_cursor_next(&f->cur, ',', &e)) {
		if (f->shown)
			put_sep(p);
		pop(p, "<bad element>}");
		return;
	}
	if (f->shown)
		put_sep(p);
	f->shown++;
	visit(p, &e, level + 1);
}

/* ---- maps */

static bool is_struct_key(const struct bd_elem *k)
{
	return k->kind == BD_ELEM_ATOM && bd_slice_eq(k->text, "__struct__");
}

/*
 * Elixir: is the map a struct (its name in *name), and are all its keys
 * atoms? Only the first `limit` pairs are looked at (0: all).
 */
static void classify_map(struct printer *p, const struct bd_obj *map, size_t limit,
			 bool *all_atoms, struct bd_slice *name)
{
	struct bd_map_iter it;
	struct bd_elem key;
	struct bd_elem val;
	uint64_t bad;
	uint64_t seen = 0;

	*all_atoms = true;
	name->len = 0;
	if (!bd_map_iter_init(&it, p->c, map, &bad))
		return;
	for (;;) {
		enum bd_map_step st = bd_map_iter_next(&it, &key, &val, &bad);
		if (st == BD_MAP_END)
			break;
		if (st == BD_MAP_BAD || key.kind != BD_ELEM_ATOM) {
			*all_atoms = false;
			return;
		}
		if (is_struct_key(&key) && val.kind == BD_ELEM_ATOM)
			*name = val.text;
		if (limit && ++seen >= limit && it.hashed)
			break;
	}
}

static void open_map(struct printer *p, uint64_t addr, const struct bd_obj *o, unsigned level)
{
	struct bd_map_iter it;
	uint64_t bad;
	struct frame *f;
	bool kw = false;
	struct bd_slice name = { NULL, 0 };

	if (!bd_map_iter_init(&it, p->c, o, &bad)) {
		put_missing(p, bad);
		return;
	}
	if (elixir(p))
		classify_map(p, o, scan_limit(p), &kw, &name);
	if (!push(p, FR_MAP, addr, level, &f))
		return;
	f->mode = name.len ? MODE_STRUCT : kw ? MODE_KW : MODE_PLAIN;
	f->hashed = it.hashed;
	if (it.hashed) {
		if (!bd_grow((void **)&p->its, &p->cap_its, p->n_its + 1, sizeof(*p->its))) {
			p->nomem = true;
			f->hashed = false;
			return;
		}
		p->its[p->n_its++] = it;
	} else {
		f->cur = it.keys;
		f->vals = it.vals;
	}
	if (!elixir(p)) {
		put(&p->s, "#{", 2);
	} else if (f->mode == MODE_STRUCT) {
		put(&p->s, "%", 1);
		put_atom(&p->s, name, BD_SYNTAX_ELIXIR);
		put(&p->s, "{", 1);
	} else {
		put(&p->s, "%{", 2);
	}
}

static void step_map(struct printer *p, struct frame *f)
{
	struct bd_elem key;
	struct bd_elem val;
	uint64_t bad = 0;
	enum bd_map_step st;
	unsigned level = f->level;

	if (f->value_next) {
		f->value_next = false;
		val = f->pend;
		put(&p->s, " => ", 4);
		visit(p, &val, level + 1);
		return;
	}
	if (f->hashed) {
		st = bd_map_iter_next(&p->its[p->n_its - 1], &key, &val, &bad);
	} else if (!f->cur.left) {
		st = BD_MAP_END;
	} else if (bd_map_cursor_next(&f->cur, ',', &key) && bd_map_cursor_next(&f->vals, ',', &val)) {
		st = BD_MAP_PAIR;
	} else {
		f->cur.left = 0;
		st = BD_MAP_BAD;
	}
	if (st == BD_MAP_END) {
		pop(p, "}");
		return;
	}
	if (st == BD_MAP_PAIR && f->mode == MODE_STRUCT && is_struct_key(&key))
		return;
	if (p->o.width && f->shown >= p->o.width) {
		put_sep(p);
		pop(p, "...}");
		return;
	}
	if (f->shown)
		put_sep(p);
	f->shown++;
	if (st == BD_MAP_BAD) {
		if (bad)
			put_missing(p, bad);
		else
			puts_(&p->s, "<bad map entry>");
		return;
	}
	if (f->mode != MODE_PLAIN && key.kind == BD_ELEM_ATOM) {
		put_kw_key(&p->s, key.text);
		visit(p, &val, level + 1);
		return;
	}
	f->pend = val;
	f->value_next = true;
	visit(p, &key, level + 1);
}

/* ---- binaries */

enum bin_style { BIN_BYTES, BIN_LATIN1, BIN_UTF8 };

/* Decoding happens in chunks of this many bytes. */
#define BIN_CHUNK 3072

/*
 * How bytes [0, n) of v print: as UTF-8 text, latin-1 text (Erlang only)
 * or bytes. *text_n gets the bytes shown as text, which can be shorter
 * than n when n cuts a UTF-8 sequence. False if the bytes cannot be read.
 */
static bool classify_bin(const struct printer *p, const struct bd_binview *v, uint64_t n,
			 enum bin_style *style, uint64_t *text_n)
{
	uint8_t buf[BIN_CHUNK];
	bool utf8 = true;
	bool latin1 = !elixir(p);
	bool ascii = true;
	uint64_t pos = 0;

	*text_n = n;
	while (pos < n && (utf8 || latin1)) {
		size_t len = n - pos < sizeof(buf) ? (size_t)(n - pos) : sizeof(buf);
		size_t i = 0;
		if (!bd_binview_read(v, pos, len, buf))
			return false;
		while (i < len) {
			size_t at = i;
			if (latin1 && !bd_latin1_printable(buf[i]))
				latin1 = false;
			if (buf[i] >= 0x80)
				ascii = false;
			if (!utf8) {
				i++;
				continue;
			}
			int32_t c = utf8_next(buf, len, &i);
			if (c == UTF8_INCOMPLETE && pos + len < v->size) {
				if (pos + len < n && at > 0) {
					len = at; /* re-read the sequence with the next chunk */
					break;
				}
				if (pos + len == n) {
					*text_n = pos + at; /* the width limit cut it */
					break;
				}
			}
			if (c < 0 || !(elixir(p) ? elixir_printable((uint32_t)c)
						 : bd_unicode_printable((uint32_t)c))) {
				utf8 = false;
				i = at + 1;
			}
		}
		pos += len;
	}
	if (utf8 && (elixir(p) || !ascii))
		*style = BIN_UTF8;
	else if (latin1 || (utf8 && ascii))
		*style = BIN_LATIN1;
	else
		*style = BIN_BYTES;
	if (*style != BIN_UTF8)
		*text_n = n;
	return true;
}

static void put_bin_text(struct printer *p, const struct bd_binview *v, uint64_t n,
			 enum bin_style style)
{
	uint8_t buf[BIN_CHUNK + 4];
	uint64_t pos = 0;

	while (pos < n && !p->s.full) {
		size_t len = n - pos < BIN_CHUNK ? (size_t)(n - pos) : BIN_CHUNK;
		size_t i = 0;
		/* one byte of lookahead for "#{" and whole sequences at the chunk end */
		size_t extra = n - pos - len < 4 ? (size_t)(n - pos - len) : 4;
		if (!bd_binview_read(v, pos, len + extra, buf))
			return;
		while (i < len) {
			size_t at = i;
			int32_t c;
			if (style == BIN_LATIN1) {
				c = buf[i++];
			} else {
				c = utf8_next(buf, len + extra, &i);
				if (c < 0) {
					c = buf[at];
					i = at + 1;
				}
			}
			if (elixir(p))
				put_ex_char(&p->s, (uint32_t)c, i < len + extra ? buf[i] : 0);
			else
				bd_text_erl_char(&p->s.text, (uint32_t)c, '"', true);
		}
		pos += i;
	}
}

static void put_bin_bytes(struct printer *p, const struct bd_binview *v, uint64_t n)
{
	uint8_t buf[BIN_CHUNK];
	uint64_t pos = 0;

	while (pos < n && !p->s.full) {
		size_t len = n - pos < sizeof(buf) ? (size_t)(n - pos) : sizeof(buf);
		if (!bd_binview_read(v, pos, len, buf))
			return;
		for (size_t i = 0; i < len && !p->s.full; i++) {
			if (pos + i)
				put_sep(p);
			bd_text_u64(&p->s.text, buf[i]);
		}
		pos += len;
	}
}

static void put_bin_missing(struct printer *p, uint64_t size)
{
	put(&p->s, "<<_:", 4);
	bd_text_u64(&p->s.text, size);
	puts_(&p->s, size == 1 ? " byte, not in dump>>" : " bytes, not in dump>>");
}

static void put_binary(struct printer *p, const struct bd_obj *o)
{
	struct bd_binview v;
	bool ok;
	uint64_t n;
	uint64_t text_n;
	bool cut;
	enum bin_style style;

	memset(&v, 0, sizeof(v));
	if (o->kind == BD_OBJ_HEAP_BIN)
		ok = bd_binview_heap(p->c, o, 0, o->size, &v);
	else if (o->kind == BD_OBJ_REFC_BIN)
		ok = bd_binview_refc(p->c, printer_bins(p), o->ref, o->offset, o->size, &v);
	else
		ok = bd_binview_sub(p->c, printer_bins(p), o, &v);
	n = o->size;
	cut = p->o.width && n > p->o.width;
	if (cut)
		n = p->o.width;
	/* bytes past the output budget would never show */
	if (sink_room(&p->s) != SIZE_MAX && n > sink_room(&p->s) + 1) {
		n = sink_room(&p->s) + 1;
		cut = true;
	}
	if (!ok || !classify_bin(p, &v, n, &style, &text_n)) {
		put_bin_missing(p, o->size);
		return;
	}
	if (!o->size) {
		puts_(&p->s, elixir(p) ? "\"\"" : "<<>>");
		return;
	}
	if (style == BIN_BYTES) {
		put(&p->s, "<<", 2);
		put_bin_bytes(p, &v, n);
		if (cut) {
			put_sep(p);
			put(&p->s, "...", 3);
		}
		put(&p->s, ">>", 2);
		return;
	}
	put(&p->s, elixir(p) ? "\"" : "<<\"", elixir(p) ? 1 : 3);
	put_bin_text(p, &v, text_n, style);
	put(&p->s, "\"", 1);
	if (elixir(p)) {
		if (cut)
			put(&p->s, " <> ...", 7);
		return;
	}
	if (style == BIN_UTF8)
		put(&p->s, "/utf8", 5);
	puts_(&p->s, cut ? "...>>" : ">>");
}

/* ---- external terms */

static void etf_write(void *ctx, const char *s, size_t n)
{
	put(ctx, s, n);
}

static bool local_node(const struct printer *p, const struct bd_etf_atom *node)
{
	return strlen(p->local) == node->len && !memcmp(p->local, node->ptr, node->len);
}

/*
 * The channel of a remote node: the id of its =visible_node, =hidden_node
 * or =not_connected section whose Name is node; -1 if the dump has none.
 */
static int64_t node_channel(void *ctx, const char *node, size_t len)
{
	static const enum bd_sect kinds[] = { BD_SECT_VISIBLE_NODE, BD_SECT_HIDDEN_NODE,
					      BD_SECT_NOT_CONNECTED };
	const struct bd_dump *d = ctx;

	for (size_t k = 0; k < BD_ARRAY_SIZE(kinds); k++) {
		for (size_t i = bd_section_find(d, kinds[k], 0); i < d->index.n;
		     i = bd_section_find(d, kinds[k], i + 1)) {
			struct bd_section s;
			struct bd_slice rest, line;
			uint64_t ch;
			bd_section_get(d, i, &s);
			rest = s.body;
			while (bd_slice_next_line(&rest, &line)) {
				struct bd_slice name;
				if (!bd_slice_starts(line, "Name: "))
					continue;
				name = bd_slice_trim(bd_slice_skip(line, 6));
				if (name.len >= 2 && name.ptr[0] == '\'' && name.ptr[name.len - 1] == '\'')
					name = bd_slice_make(name.ptr + 1, name.len - 2);
				if (name.len == len && memcmp(name.ptr, node, len) == 0 &&
				    bd_parse_u64(s.id, &ch) && ch <= INT64_MAX)
					return (int64_t)ch;
			}
		}
	}
	return -1;
}

static void put_ex_channel(struct printer *p, const struct bd_etf_atom *node)
{
	int64_t ch = local_node(p, node) ? 0 : node_channel(p->c->d, node->ptr, node->len);

	if (ch < 0)
		put(&p->s, "?", 1);
	else
		bd_text_u64(&p->s.text, (uint64_t)ch);
}

struct ex_ctx {
	struct printer *p;
	bool done;
};

/* Elixir forms of the kinds E lines hold; anything else is left to bd_etf_print. */
static int ex_first(void *ctx, const struct bd_etf_event *ev)
{
	struct ex_ctx *x = ctx;
	struct printer *p = x->p;
	struct sink *s = &p->s;
	char b[64];

	x->done = true;
	switch (ev->kind) {
	case BD_ETF_PID:
		put(s, "#PID<", 5);
		put_ex_channel(p, &ev->pid.node);
		snprintf(b, sizeof(b), ".%" PRIu32 ".%" PRIu32 ">", ev->pid.id, ev->pid.serial);
		puts_(s, b);
		break;
	case BD_ETF_PORT:
		put(s, "#Port<", 6);
		put_ex_channel(p, &ev->port.node);
		snprintf(b, sizeof(b), ".%" PRIu64 ">", ev->port.id);
		puts_(s, b);
		break;
	case BD_ETF_REF: {
		size_t n = ev->ref.n_ids < 3 ? 3 : ev->ref.n_ids;
		put(s, "#Reference<", 11);
		put_ex_channel(p, &ev->ref.node);
		for (size_t k = n; k-- > 0;) {
			uint32_t id = k < ev->ref.n_ids ? ev->ref.ids[k] : 0;
			snprintf(b, sizeof(b), ".%" PRIu32, id);
			puts_(s, b);
		}
		put(s, ">", 1);
		break;
	}
	case BD_ETF_FUN:
		put(s, "#Function<", 10);
		snprintf(b, sizeof(b), "%" PRId64 ".%" PRId64, ev->fun.old_index, ev->fun.old_uniq);
		puts_(s, b);
		if (ev->fun.arity >= 0) {
			snprintf(b, sizeof(b), "/%d", ev->fun.arity);
			puts_(s, b);
		}
		put(s, " in ", 4);
		put_atom(s, bd_slice_make(ev->fun.module.ptr, ev->fun.module.len),
			 BD_SYNTAX_ELIXIR);
		put(s, ">", 1);
		break;
	case BD_ETF_EXPORT: {
		struct bd_slice fn = bd_slice_make(ev->export.function.ptr,
						   ev->export.function.len);
		put(s, "&", 1);
		put_atom(s, bd_slice_make(ev->export.module.ptr, ev->export.module.len),
			 BD_SYNTAX_ELIXIR);
		put(s, ".", 1);
		if (ex_identifier(fn)) {
			put(s, fn.ptr, fn.len);
		} else {
			put(s, "\"", 1);
			put_quoted_text(s, fn, BD_SYNTAX_ELIXIR, '"');
			put(s, "\"", 1);
		}
		snprintf(b, sizeof(b), "/%u", ev->export.arity);
		puts_(s, b);
		break;
	}
	default:
		x->done = false;
		break;
	}
	return 1;
}

static int etf_noop(void *ctx, const struct bd_etf_event *ev)
{
	BD_UNUSED(ctx);
	BD_UNUSED(ev);
	return 0;
}

static void put_ext(struct printer *p, const struct bd_obj *o, unsigned level)
{
	uint8_t local[2048];
	uint8_t *bytes;
	size_t len;
	struct bd_etf_error ee;

	struct bd_etf_print_opts eo;
	struct ex_ctx x = { p, false };

	if (!bd_ext_term_bytes(p->c, o, local, sizeof(local), &bytes, &len)) {
		puts_(&p->s, "<bad external term>");
		return;
	}
	memset(&ee, 0, sizeof(ee));
	memset(&eo, 0, sizeof(eo));
	eo.local_node = p->local;
	eo.node_channel = node_channel;
	eo.node_ctx = p->c->d;
	if (p->o.depth)
		eo.max_depth = level <= p->o.depth ? p->o.depth - level + 1 : 1;
	eo.max_width = p->o.width;
	/* validate first: the printer would leave half a term behind */
	if (bd_etf_decode(bytes, len, etf_noop, NULL, &ee) != BD_ETF_OK) {
		puts_(&p->s, "<bad external term>");
		x.done = true;
	} else if (elixir(p)) {
		bd_etf_decode(bytes, len, ex_first, &x, NULL);
	}
	if (!x.done)
		bd_etf_print(bytes, len, &eo, etf_write, &p->s, NULL);
	if (bytes != local)
		bd_free(bytes);
}

/* ---- dispatch */

static void visit_ptr(struct printer *p, uint64_t addr, unsigned level)
{
	struct bd_obj o;
	struct frame *f;

	if (set_has(&p->path, addr)) {
		puts_(&p->s, "<cycle>");
		return;
	}
	if (!bd_term_resolve(p->c, addr, &o)) {
		put_missing(p, addr);
		return;
	}
	switch (o.kind) {
	case BD_OBJ_CONS:
		if (too_deep(p, level))
			put(&p->s, "...", 3);
		else
			open_list(p, addr, level);
		break;
	case BD_OBJ_TUPLE:
		if (!o.size) {
			put(&p->s, "{}", 2);
		} else if (too_deep(p, level)) {
			put(&p->s, "...", 3);
		} else if (push(p, FR_TUPLE, addr, level, &f)) {
			bd_map_cursor_init(&f->cur, &o);
			put(&p->s, "{", 1);
		}
		break;
	case BD_OBJ_FLATMAP:
	case BD_OBJ_HASHMAP:
		if (too_deep(p, level) && o.size)
			put(&p->s, "...", 3);
		else
			open_map(p, addr, &o, level);
		break;
	case BD_OBJ_FLOAT:
		put_float_obj(&p->s, o.text);
		break;
	case BD_OBJ_BIG:
		if (!put_big(&p->s, o.text))
			p->nomem = true;
		break;
	case BD_OBJ_HEAP_BIN:
	case BD_OBJ_REFC_BIN:
	case BD_OBJ_SUB_BIN:
		put_binary(p, &o);
		break;
	case BD_OBJ_EXT_PID:
		if (elixir(p))
			put(&p->s, "#PID", 4);
		put(&p->s, o.text.ptr + 1, o.text.len - 1);
		break;
	case BD_OBJ_EXT_PORT:
		put(&p->s, "#Port", 5);
		put(&p->s, o.text.ptr + 1, o.text.len - 1);
		break;
	case BD_OBJ_EXT_TERM:
		put_ext(p, &o, level);
		break;
	case BD_OBJ_FUN_REF:
		put(&p->s, "#FunRef<", 8);
		put(&p->s, o.text.ptr + 2, o.text.len > 2 ? o.text.len - 2 : 0);
		put(&p->s, ">", 1);
		break;
	case BD_OBJ_HASHNODE:
	case BD_OBJ_UNKNOWN:
	default:
		put_unknown(&p->s, o.text);
		break;
	}
}

static void visit(struct printer *p, const struct bd_elem *e, unsigned level)
{
	if (p->s.full || p->nomem)
		return;
	switch (e->kind) {
	case BD_ELEM_NIL:
		put(&p->s, "[]", 2);
		break;
	case BD_ELEM_SMALL:
		bd_text_i64(&p->s.text, e->small);
		break;
	case BD_ELEM_ATOM:
		put_atom(&p->s, e->text, p->o.syntax);
		break;
	case BD_ELEM_PID:
		if (elixir(p))
			put(&p->s, "#PID", 4);
		put(&p->s, e->text.ptr, e->text.len);
		break;
	case BD_ELEM_PORT:
		put(&p->s, "#Port", 5);
		put(&p->s, e->text.ptr, e->text.len);
		break;
	case BD_ELEM_PTR:
		visit_ptr(p, e->addr, level);
		break;
	case BD_ELEM_TEXT:
	default:
		put(&p->s, e->text.ptr, e->text.len);
		break;
	}
}

static void step(struct printer *p)
{
	struct frame *f = &p->st[p->n_st - 1];

	switch (f->kind) {
	case FR_TUPLE:
		step_tuple(p, f);
		break;
	case FR_LIST:
		step_list(p, f);
		break;
	case FR_MAP:
	default:
		step_map(p, f);
		break;
	}
}

static void set_local_node(struct printer *p)
{
	const char *node = p->c->d->info.node;
	size_t n = node ? strlen(node) : 0;

	if (n >= 2 && node[0] == '\'' && node[n - 1] == '\'') {
		node++;
		n -= 2;
	}
	if (!n || n >= sizeof(p->local)) {
		node = "nonode@nohost";
		n = strlen(node);
	}
	memcpy(p->local, node, n);
	p->local[n] = '\0';
}

enum bd_status bd_term_print_ex(const struct bd_term_ctx *c, const struct bd_elem *root,
				const struct bd_print_opts *o, const struct bd_print_extra *x,
				struct bd_buf *out, struct bd_error *err)
{
	struct printer *p = bd_calloc(1, sizeof(*p));
	enum bd_status rc = BD_OK;

	if (!p)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory printing a term");
	p->c = c;
	if (o)
		p->o = *o;
	if (x)
		p->x = *x;
	sink_init(&p->s, out, p->o.max_bytes);
	p->bins = p->x.binaries;
	set_local_node(p);

	visit(p, root, 1);
	while (p->n_st && !p->s.full && !p->nomem && !out->oom)
		step(p);

	if (p->nomem || out->oom)
		rc = bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory printing a term");
	bd_free(p->st);
	bd_free(p->its);
	bd_free(p->path.v);
	bd_free(p);
	return rc;
}

enum bd_status bd_term_print(const struct bd_term_ctx *c, const struct bd_elem *root,
			     const struct bd_print_opts *o, struct bd_buf *out,
			     struct bd_error *err)
{
	return bd_term_print_ex(c, root, o, NULL, out, err);
}
