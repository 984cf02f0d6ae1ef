/* =proc sections (crash-dump-format.md section 2): every key by name. */
#include "bd.h"
#include "parse/parse.h"

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

/* Only lines whose key starts with a letter in firsts (NULL: every line). */
static void parse_proc(const struct bd_section *s, struct bd_proc *p, const char *firsts)
{
	struct bd_slice rest = s->body;
	struct bd_slice line;
	bool wanted[256] = { false };

	for (const char *f = firsts; f && *f; f++)
		wanted[(unsigned char)*f] = true;
	memset(p, 0, sizeof(*p));
	p->pid = s->id;
	p->memory_bytes = BD_UNSET;
	p->arity = BD_UNSET;
	p->stack_words = BD_UNSET;
	p->window_reductions = BD_UNSET;
	p->partial = s->last;
	while (bd_slice_next_line(&rest, &line)) {
		struct bd_slice k;
		struct bd_slice v;
		if (firsts && (!line.len || !wanted[(unsigned char)line.ptr[0]]))
			continue;
		if (bd_slice_starts(line, "arity = ")) {
			p->arity = num(bd_slice_skip(line, 8));
			continue;
		}
		if (!bd_slice_split_kv(line, &k, &v))
			continue;
		if (!k.len)
			continue;
		switch (k.ptr[0]) {
		case 'S':
			if (bd_slice_eq(k, "State"))
				p->state = bd_slice_trim(v);
			else if (bd_slice_eq(k, "Spawned as"))
				p->spawned_as = bd_slice_trim(v);
			else if (bd_slice_eq(k, "Spawned by"))
				p->spawned_by = bd_slice_trim(v);
			else if (bd_slice_eq(k, "Stack+heap"))
				p->stack_heap_words = num(v);
			else if (bd_slice_eq(k, "Started"))
				p->started = bd_slice_trim(v);
			else if (bd_slice_eq(k, "Stack words"))
				p->stack_words = num(v);
			break;
		case 'W':
			if (bd_slice_eq(k, "Window reductions"))
				p->window_reductions = num(v);
			break;
		case 'A':
			if (bd_slice_eq(k, "Application"))
				p->application = bd_slice_trim(v);
			break;
		case 'N':
			if (bd_slice_eq(k, "Name"))
				p->name = bd_slice_trim(v);
			else if (bd_slice_eq(k, "Number of heap fragments"))
				p->heap_fragments = num(v);
			break;
		case 'C':
			if (bd_slice_eq(k, "Current call"))
				p->current_call = bd_slice_trim(v);
			else if (bd_slice_eq(k, "CP")) {
				p->cp = bd_code_location(v);
				p->has_cp = true;
			}
			break;
		case 'L':
			if (bd_slice_eq(k, "Link list"))
				p->link_list = bd_slice_trim(v);
			else if (bd_slice_eq(k, "Last scheduled in for"))
				p->current_call = bd_slice_trim(v);
			break;
		case 'M':
			if (bd_slice_eq(k, "Message queue length"))
				p->message_queue_len = num(v);
			else if (bd_slice_eq(k, "Memory"))
				p->memory_bytes = num(v);
			break;
		case 'H':
			if (bd_slice_eq(k, "Heap fragment data"))
				p->heap_fragment_words = num(v);
			else if (bd_slice_eq(k, "Heap unused"))
				p->heap_unused_words = num(v);
			break;
		case 'R':
			if (bd_slice_eq(k, "Reductions"))
				p->reductions = num(v);
			break;
		case 'O':
			if (bd_slice_eq(k, "OldHeap"))
				p->old_heap_words = num(v);
			else if (bd_slice_eq(k, "OldHeap unused"))
				p->old_heap_unused_words = num(v);
			else if (bd_slice_eq(k, "OldBinVHeap"))
				p->old_bin_vheap_words = num(v);
			else if (bd_slice_eq(k, "OldBinVHeap unused"))
				p->old_bin_vheap_unused_words = num(v); /* "overflow" reads as 0 */
			break;
		case 'B':
			if (bd_slice_eq(k, "BinVHeap"))
				p->bin_vheap_words = num(v);
			else if (bd_slice_eq(k, "BinVHeap unused"))
				p->bin_vheap_unused_words = num(v);
			break;
		case 'P':
			if (bd_slice_eq(k, "Program counter"))
				p->program_counter = bd_code_location(v);
			break;
		case 'I':
			if (bd_slice_eq(k, "Internal State"))
				p->internal_state = bd_slice_trim(v);
			break;
		default:
			break;
		}
	}
}

void bd_parse_proc(const struct bd_section *s, struct bd_proc *p)
{
	parse_proc(s, p, NULL);
}

void bd_parse_proc_brief(const struct bd_section *s, struct bd_proc *p)
{
	/* State, Spawned as, Stack+heap, Current call, Last scheduled, OldHeap, Program counter */
	parse_proc(s, p, "SCLOP");
}

void bd_parse_proc_keys(const struct bd_section *s, struct bd_proc *p, const char *firsts)
{
	parse_proc(s, p, firsts);
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
