/*
 * =proc sections (crash-dump-format.md section 2): the one scanner of their
 * keys, which reads only the fields asked for.
 */
#include "bd.h"
#include "parse/parse.h"

#include <pthread.h>

struct bd_slice bd_code_location(struct bd_slice v)
{
	const char *open = memchr(v.ptr, '(', v.len);
	const char *end = v.ptr + v.len;
	const char *plus;

	if (!open)
		return bd_slice_trim(v);
	open++;
	if (end > open && end[-1] == ')')
		end--;
	plus = bd_memmem(open, (size_t)(end - open), " + ", 3);
	if (plus)
		end = plus;
	return bd_slice_trim(bd_slice_make(open, (size_t)(end - open)));
}

static uint64_t num(struct bd_slice v)
{
	uint64_t n = 0;

	if (!bd_parse_u64(bd_slice_trim(v), &n))
		return 0;
	return n;
}

/* How a key's value is kept. */
enum value_kind { TEXT, NUMBER, CODE };

/* Every key read, by first letter; "arity = N" is the one line that is not "Key: value". */
static const struct proc_key {
	const char *key;
	uint8_t len;
	uint8_t field;           /* enum bd_proc_field */
	uint8_t kind;            /* enum value_kind */
} keys[] = {
#define K(lit, f, kind) { lit, sizeof(lit) - 1, BD_PF_##f, kind }
	K("Application", APPLICATION, TEXT),
	K("BinVHeap", BIN_VHEAP, NUMBER),
	K("BinVHeap unused", BIN_VHEAP_UNUSED, NUMBER),
	K("CP", CP, CODE),
	K("Current call", CURRENT_CALL, TEXT),
	K("Heap fragment data", HEAP_FRAGMENT_WORDS, NUMBER),
	K("Heap unused", HEAP_UNUSED, NUMBER),
	K("Internal State", INTERNAL_STATE, TEXT),
	K("Last scheduled in for", CURRENT_CALL, TEXT),
	K("Link list", LINK_LIST, TEXT),
	K("Memory", MEMORY, NUMBER),
	K("Message queue length", MESSAGE_QUEUE_LEN, NUMBER),
	K("Name", NAME, TEXT),
	K("Number of heap fragments", HEAP_FRAGMENTS, NUMBER),
	K("OldBinVHeap", OLD_BIN_VHEAP, NUMBER),
	K("OldBinVHeap unused", OLD_BIN_VHEAP_UNUSED, NUMBER), /* "overflow" reads as 0 */
	K("OldHeap", OLD_HEAP, NUMBER),
	K("OldHeap unused", OLD_HEAP_UNUSED, NUMBER),
	K("Program counter", PROGRAM_COUNTER, CODE),
	K("Reductions", REDUCTIONS, NUMBER),
	K("Spawned as", SPAWNED_AS, TEXT),
	K("Spawned by", SPAWNED_BY, TEXT),
	K("Stack words", STACK_WORDS, NUMBER),
	K("Stack+heap", STACK_HEAP, NUMBER),
	K("Started", STARTED, TEXT),
	K("State", STATE, TEXT),
	K("Window reductions", WINDOW_REDUCTIONS, NUMBER),
	K("arity", ARITY, NUMBER),
#undef K
};

/* Keys are at most this many 8-byte words long. */
#define KEY_WORDS 3

/* Each key as words, and which bytes of each word are the key's: built once. */
static uint64_t key_word[BD_ARRAY_SIZE(keys)][KEY_WORDS];
static uint64_t key_mask[BD_ARRAY_SIZE(keys)][KEY_WORDS];

/* Does [p, p + n) start with key ki (n > its length)? Word by word, without a call. */
static inline bool starts_with_key(const char *p, size_t n, size_t ki)
{
	for (size_t j = 0; 8 * j < keys[ki].len; j++) {
		uint64_t w = 0;
		memcpy(&w, p + 8 * j, n - 8 * j >= 8 ? 8 : n - 8 * j);
		if ((w & key_mask[ki][j]) != key_word[ki][j])
			return false;
	}
	return true;
}

/* Is the line [p, e) "key: value" (or "key:"), or for arity "arity = value"? *v: the value. */
static inline bool key_is(const char *p, const char *e, size_t ki, struct bd_slice *v)
{
	const struct proc_key *k = &keys[ki];
	size_t n = (size_t)(e - p);
	size_t len = k->len;

	if (n < len + 1 || !starts_with_key(p, n, ki))
		return false;
	if (k->field == BD_PF_ARITY) {
		if (n < len + 3 || memcmp(p + len, " = ", 3) != 0)
			return false;
		*v = bd_slice_make(p + len + 3, n - len - 3);
		return true;
	}
	if (p[len] != ':')
		return false;
	if (n == len + 1) {
		*v = bd_slice_make(e, 0);
		return true;
	}
	if (p[len + 1] != ' ')
		return false;
	*v = bd_slice_make(p + len + 2, n - len - 2);
	return true;
}

static void store(struct bd_proc *p, const struct proc_key *k, struct bd_slice v)
{
	struct bd_slice text = k->kind == CODE ? bd_code_location(v)
			       : k->kind == TEXT ? bd_slice_trim(v)
						 : v;
	uint64_t n = k->kind == NUMBER ? num(v) : 0;

	switch ((enum bd_proc_field)k->field) {
	case BD_PF_STATE: p->state = text; break;
	case BD_PF_NAME: p->name = text; break;
	case BD_PF_SPAWNED_AS: p->spawned_as = text; break;
	case BD_PF_CURRENT_CALL: p->current_call = text; break;
	case BD_PF_SPAWNED_BY: p->spawned_by = text; break;
	case BD_PF_STARTED: p->started = text; break;
	case BD_PF_LINK_LIST: p->link_list = text; break;
	case BD_PF_PROGRAM_COUNTER: p->program_counter = text; break;
	case BD_PF_CP: p->cp = text; p->has_cp = true; break;
	case BD_PF_INTERNAL_STATE: p->internal_state = text; break;
	case BD_PF_APPLICATION: p->application = text; break;
	case BD_PF_MESSAGE_QUEUE_LEN: p->message_queue_len = n; break;
	case BD_PF_HEAP_FRAGMENTS: p->heap_fragments = n; break;
	case BD_PF_HEAP_FRAGMENT_WORDS: p->heap_fragment_words = n; break;
	case BD_PF_REDUCTIONS: p->reductions = n; break;
	case BD_PF_STACK_HEAP: p->stack_heap_words = n; break;
	case BD_PF_OLD_HEAP: p->old_heap_words = n; break;
	case BD_PF_HEAP_UNUSED: p->heap_unused_words = n; break;
	case BD_PF_OLD_HEAP_UNUSED: p->old_heap_unused_words = n; break;
	case BD_PF_BIN_VHEAP: p->bin_vheap_words = n; p->has_bin_vheap = true; break;
	case BD_PF_OLD_BIN_VHEAP: p->old_bin_vheap_words = n; break;
	case BD_PF_BIN_VHEAP_UNUSED: p->bin_vheap_unused_words = n; break;
	case BD_PF_OLD_BIN_VHEAP_UNUSED: p->old_bin_vheap_unused_words = n; break;
	case BD_PF_MEMORY: p->memory_bytes = n; break;
	case BD_PF_ARITY: p->arity = n; break;
	case BD_PF_STACK_WORDS: p->stack_words = n; break;
	case BD_PF_WINDOW_REDUCTIONS: p->window_reductions = n; break;
	case BD_PF__COUNT: break; /* BD_PF_MEMORY_OR_HEAPS names no key */
	}
}

static void index_keys(void)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(keys); i++) {
		for (size_t b = 0; b < keys[i].len && b < 8 * KEY_WORDS; b++) {
			key_word[i][b / 8] |= (uint64_t)(unsigned char)keys[i].key[b] << 8 * (b % 8);
			key_mask[i][b / 8] |= (uint64_t)0xff << 8 * (b % 8);
		}
	}
}

static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

/*
 * What reading a mask of fields takes: the first letters of their keys, in
 * keys[] order, and the wanted keys of each letter (wanted[first[c] ..
 * first[c] + n[c])). Kept for the last mask asked, on each thread.
 */
struct letters {
	uint64_t fields;
	size_t n;
	char v[BD_ARRAY_SIZE(keys)];
	uint8_t first[128], n_keys[128];
	uint8_t wanted[BD_ARRAY_SIZE(keys)];
};

/* One line [line, e) without its line end, starting with a letter of a wanted key. */
static inline void scan_line(const char *line, const char *e, const struct letters *l,
			     struct bd_proc *p)
{
	unsigned char c = (unsigned char)line[0];
	struct bd_slice v;

	for (size_t j = l->first[c]; j < (size_t)l->first[c] + l->n_keys[c]; j++) {
		if (key_is(line, e, l->wanted[j], &v)) {
			store(p, &keys[l->wanted[j]], v);
			return;
		}
	}
}

/* Every line of the body, in order: those of a wanted letter are read. */
static void scan_lines(struct bd_slice body, const struct letters *l, struct bd_proc *p)
{
	const char *q = body.ptr;
	const char *end = q + body.len;

	while (q < end) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		const char *e = nl ? nl : end;
		const char *line = q;

		q = nl ? nl + 1 : end;
		if (e == line || (unsigned char)line[0] >= 128 || !l->n_keys[(unsigned char)line[0]])
			continue;
		if (e[-1] == '\r')
			e--;
		if (e > line)
			scan_line(line, e, l, p);
	}
}

/*
 * The lines of the body that start with c, in order. A search for c skips
 * most lines at once; a c inside a line skips the rest of that line.
 */
static void scan_lines_at(struct bd_slice body, char c, const struct letters *l,
			  struct bd_proc *p)
{
	const char *q = body.ptr;
	const char *end = q + body.len;

	while (q < end) {
		const char *h = memchr(q, c, (size_t)(end - q));
		if (!h)
			return;
		const char *nl = memchr(h, '\n', (size_t)(end - h));
		const char *e = nl ? nl : end;
		q = nl ? nl + 1 : end;
		if (h != body.ptr && h[-1] != '\n')
			continue;
		if (e > h && e[-1] == '\r')
			e--;
		scan_line(h, e, l, p);
	}
}

/* Keys of up to this many first letters visit only their lines; more visit every line. */
#define LETTER_PASSES 4

static _Thread_local struct letters last_letters = { .fields = UINT64_MAX };

static const struct letters *letters_of(uint64_t fields)
{
	struct letters *l = &last_letters;

	if (l->fields == fields)
		return l;
	memset(l, 0, sizeof(*l));
	l->fields = fields;
	for (size_t i = 0, w = 0; i < BD_ARRAY_SIZE(keys); i++) {
		unsigned char c = (unsigned char)keys[i].key[0];
		if (!(fields & BD_PF_BIT(keys[i].field)))
			continue;
		if (!l->n || l->v[l->n - 1] != (char)c) {
			l->v[l->n++] = (char)c;
			l->first[c] = (uint8_t)w;
		}
		l->wanted[w++] = (uint8_t)i;
		l->n_keys[c]++;
	}
	return l;
}

static void scan_fields(struct bd_slice body, uint64_t fields, struct bd_proc *p)
{
	const struct letters *l = letters_of(fields);
	/*
	 * Each field comes from the keys of one letter, but for the current
	 * call (Current call, Last scheduled in for), where the later line
	 * wins: so a few letters are visited letter by letter, skipping the
	 * lines no key needs, unless that field is wanted.
	 */
	if (l->n > LETTER_PASSES || (fields & BD_PF_BIT(BD_PF_CURRENT_CALL))) {
		scan_lines(body, l, p);
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		scan_lines_at(body, l->v[i], l, p);
}

void bd_parse_proc_fields(const struct bd_section *s, uint64_t fields, struct bd_proc *p)
{
	const uint64_t heaps = BD_PF_BIT(BD_PF_STACK_HEAP) | BD_PF_BIT(BD_PF_OLD_HEAP) |
			       BD_PF_BIT(BD_PF_HEAP_FRAGMENT_WORDS);
	bool estimate = fields & BD_PF_MEMORY_ALL;

	pthread_once(&keys_once, index_keys);
	memset(p, 0, sizeof(*p));
	p->pid = s->id;
	p->memory_bytes = BD_UNSET;
	p->arity = BD_UNSET;
	p->stack_words = BD_UNSET;
	p->window_reductions = BD_UNSET;
	p->partial = s->last;
	if (estimate)
		fields = (fields & ~BD_PF_MEMORY_ALL) | BD_PF_BIT(BD_PF_MEMORY);
	scan_fields(s->body, fields, p);
	if (estimate && p->memory_bytes == BD_UNSET && (fields & heaps) != heaps)
		scan_fields(s->body, heaps & ~fields, p);
}

void bd_parse_proc(const struct bd_section *s, struct bd_proc *p)
{
	bd_parse_proc_fields(s, BD_PF_ALL, p);
}

struct bd_slice bd_proc_current_function(const struct bd_proc *p)
{
	if (p->current_call.len)
		return p->current_call;
	return p->program_counter;
}

uint64_t bd_proc_memory(const struct bd_proc *p, const struct bd_dump *d, bool *estimated)
{
	if (p->memory_bytes != BD_UNSET) {
		if (estimated)
			*estimated = false;
		return p->memory_bytes;
	}
	if (estimated)
		*estimated = true;
	/* a snapshot measured what a process has beyond its heaps on those it read */
	return (p->stack_heap_words + p->old_heap_words + p->heap_fragment_words) *
		       d->info.word_size + d->info.snapshot.overhead_bytes;
}

struct bd_slice bd_atom_text(struct bd_arena *a, struct bd_slice q)
{
	char *out;
	size_t n = 0;

	if (q.len < 2 || q.ptr[0] != '\'' || q.ptr[q.len - 1] != '\'')
		return q;
	out = bd_arena_alloc(a, q.len);
	if (!out)
		return q;
	for (size_t i = 1; i + 1 < q.len; i++) {
		char c = q.ptr[i];
		if (c == '\\' && i + 2 < q.len) {
			c = q.ptr[++i];
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 's':
				c = ' ';
				break;
			case 'e':
				c = 27;
				break;
			default:
				break;
			}
		}
		out[n++] = c;
	}
	return bd_slice_make(out, n);
}
