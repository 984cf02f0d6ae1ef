/* Message shapes and shape summaries: wording, unification, bounds, real fixture states. */
#include "bd_test.h"
#include "term/heap.h"
#include "term/print.h"
#include "term/shape.h"

#include <inttypes.h>

#define HEADER                                                                                  \
	"=erl_crash_dump:0.5\nFri Jan  1 00:00:00 2021\nSlogan: s\n"                            \
	"System version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n"
#define X "\xc3\x97"

struct tdump {
	char *text;
	struct bd_dump *d;
	struct bd_heap heap;
	struct bd_heap lits;
	struct bd_term_ctx c;
};

static void tdump_open(struct tdump *t, const char *heap, const char *lits)
{
	size_t n = strlen(HEADER) + strlen(heap) + strlen(lits) + 64;
	struct bd_error err = { 0 };

	memset(t, 0, sizeof(*t));
	t->text = malloc(n);
	assert_non_null(t->text);
	snprintf(t->text, n, "%s=proc_heap:<0.1.0>\n%s=literals\n%s=end\n", HEADER, heap, lits);
	t->d = bd_test_open_text(t->text);
	for (size_t i = 0; i < t->d->index.n; i++) {
		struct bd_section s;
		bd_section_get(t->d, i, &s);
		if (s.kind == BD_SECT_PROC_HEAP)
			assert_int_equal(bd_heap_add_section(&t->heap, t->d, i, &err), BD_OK);
		if (s.kind == BD_SECT_LITERALS)
			assert_int_equal(bd_heap_add_section(&t->lits, t->d, i, &err), BD_OK);
	}
	t->c.d = t->d;
	t->c.heap = &t->heap;
	t->c.literals = &t->lits;
}

static void tdump_close(struct tdump *t)
{
	bd_heap_release(&t->heap);
	bd_heap_release(&t->lits);
	bd_dump_free(t->d);
	free(t->text);
}

static struct bd_elem elem(const char *text)
{
	struct bd_elem e;

	if (!bd_elem_parse(text, text + strlen(text), &e))
		fail_msg("bad element %s", text);
	return e;
}

static void shape_at(int line, struct tdump *t, const char *root, unsigned depth,
		     enum bd_syntax syn, const char *want)
{
	struct bd_elem e = elem(root);
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };

	assert_int_equal(bd_term_shape(&t->c, &e, depth, syn, &b, &err), BD_OK);
	if (strcmp(b.ptr, want) != 0)
		fail_msg("line %d: shape of %s is\n  %s\nwant\n  %s", line, root, b.ptr, want);
	bd_buf_release(&b);
}

static void summary_at(int line, struct tdump *t, const char *root, enum bd_syntax syn,
		       const char *want)
{
	struct bd_elem e = elem(root);
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };

	assert_int_equal(bd_term_shape_summary(&t->c, &e, syn, &b, &err), BD_OK);
	if (strcmp(b.ptr, want) != 0)
		fail_msg("line %d: summary of %s is\n  %s\nwant\n  %s", line, root, b.ptr, want);
	bd_buf_release(&b);
}

#define SHAPE(t, root, depth, syn, want) shape_at(__LINE__, (t), (root), (depth), (syn), (want))
#define SUMMARY(t, root, syn, want) summary_at(__LINE__, (t), (root), (syn), (want))
#define ERL BD_SYNTAX_ERLANG
#define EX BD_SYNTAX_ELIXIR

static const char heap_text[] =
	/* {'$gen_cast',{write,K,V}} twice, with different leaves */
	"100:t2:A9:$gen_cast,H110\n"
	"110:t3:A5:write,I1,H400\n"
	"120:t2:A9:$gen_cast,H130\n"
	"130:t3:A5:write,H300,H900\n"
	/* {'$gen_call',{Pid,Ref},get} */
	"140:t3:A9:$gen_call,H150,A3:get\n"
	"150:t2:P<0.9.0>,H900\n"
	/* lists, maps, a struct */
	"160:t4:H170,N,H600,H640\n"
	"170:lI1|N\n"
	/* a tuple of 18 integers */
	"180:t12:I1,I2,I3,I4,I5,I6,I7,I8,I9,I10,I11,I12,I13,I14,I15,I16,I17,I18\n"
	"300:B1267650600228229401496703205376\n"
	"310:F1A:2.50000000000000000000e+00\n"
	"400:Yh3:dGFn\n"
	"410:Yh1:AQ==\n"
	"420:Yc500:0:64\n"
	"430:Ys420:0:8\n"
	"600:Mf2:H610:I1,H400\n"
	"610:t2:A7:entries,A5:count\n"
	"620:Mf0:H630:\n"
	"630:t0:\n"
	"640:Mf3:H650:AE:Elixir.MyApp.S,I1,N\n"
	"650:t3:AA:__struct__,A1:a,A1:b\n"
	"660:Mf2:H670:I1,I2\n"
	"670:t2:I1,I2\n"
	"900:E24:g1oAA2QADW5vbm9kZUBub2hvc3QAAAAAAAI2r1qOAAGLhQWm\n"
	"910:E16:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==\n"
	"920:P<8760.7.0>\n"
	"930:p<8760.9>\n"
	/* {state, [a,b,c], #{}} */
	"A00:t3:A5:state,HA10,H620\n"
	"A10:lA1:a|HA20\n"
	"A20:lA1:b|HA30\n"
	"A30:lA1:c|N\n"
	/* [1,a,2,b,3,c,4,5,6,7]: 7 integers, 3 atoms */
	"B00:lI1|HB01\nB01:lA1:a|HB02\nB02:lI2|HB03\nB03:lA1:b|HB04\nB04:lI3|HB05\n"
	"B05:lA1:c|HB06\nB06:lI4|HB07\nB07:lI5|HB08\nB08:lI6|HB09\nB09:lI7|N\n"
	/* [1, 2.5, a, <<"tag">>, b, {x}, []]: more than three shapes */
	"C00:lI1|HC01\nC01:lH310|HC02\nC02:lA1:a|HC03\nC03:lH400|HC04\nC04:lA1:b|HC05\n"
	"C05:lHC10|HC06\nC06:lN|N\n"
	"C10:t1:A1:x\n"
	/* [{ok,1},{error,closed},{ok,2},[1,2]|tail] */
	"D00:lHD10|HD01\nD01:lHD20|HD02\nD02:lHD30|HD03\nD03:lHD40|A4:tail\n"
	"D10:t2:A2:ok,I1\nD20:t2:A5:error,A6:closed\nD30:t2:A2:ok,I2\nD40:lI1|HD41\nD41:lI2|N\n"
	/* binaries of one size, and of several */
	"E00:lH400|HE01\nE01:lH400|N\n"
	"E10:lH400|HE11\nE11:lH410|HE12\nE12:lH430|N\n"
	/* refs, funs, pids, ports, bignums */
	"E20:t6:H900,H910,P<0.1.0>,H920,p<0.3>,H930\n"
	"E30:t2:H300,H310\n"
	/* maps of the same keys merge; others are alternatives */
	"E40:lH600|HE41\nE41:lHE50|HE42\nE42:lH660|N\n"
	"E50:Mf2:H610:I7,H410\n"
	/* corrupt */
	"F00:t2:HF00,I1\n"
	"F10:lI1|HF20\nF20:lI2|HF10\n"
	"F30:t2:HDEAD0,I1\n"
	"F40:lI1|HDEAD0\n";

static void message_shapes_keep_tuples_and_atoms(void **state)
{
	struct tdump t;

	(void)state;
	tdump_open(&t, heap_text, "");
	SHAPE(&t, "H100", 0, ERL, "{'$gen_cast',{write,_,_}}");
	SHAPE(&t, "H120", 0, ERL, "{'$gen_cast',{write,_,_}}");
	SHAPE(&t, "H100", 0, EX, "{:\"$gen_cast\", {:write, _, _}}");
	SHAPE(&t, "H140", 0, ERL, "{'$gen_call',{_,_},get}");
	SHAPE(&t, "H160", 0, ERL, "{[_|_],[],#{...},#{...}}");
	SHAPE(&t, "H160", 0, EX, "{[_ | _], [], %{...}, %MyApp.S{...}}");
	SHAPE(&t, "H620", 0, EX, "%{}");
	SHAPE(&t, "H620", 0, ERL, "#{}");
	SHAPE(&t, "A5:hello", 0, ERL, "hello");
	SHAPE(&t, "I5", 0, ERL, "_");
	SHAPE(&t, "H310", 0, ERL, "_");
	/* depth: the root is level 1 */
	SHAPE(&t, "H100", 1, ERL, "{'$gen_cast',_}");
	SHAPE(&t, "H100", 2, ERL, "{'$gen_cast',{write,_,_}}");
	SHAPE(&t, "H180", 0, ERL, "{_,_,_,_,_,_,_,_,_,_,_,_,_,_,_,_,...}");
	SHAPE(&t, "HF00", 0, ERL, "{_,_}");
	SHAPE(&t, "HF30", 0, ERL, "{_,_}");
	SHAPE(&t, "HDEAD0", 0, ERL, "_");
	tdump_close(&t);
}

static void message_shapes_are_bounded(void **state)
{
	/* 3000 nested 1-tuples, and a cycle: {{{...}}} */
	size_t n = 3000;
	char *heap = malloc(n * 40 + 64);
	size_t len = 0;
	struct tdump t;
	struct bd_elem root;
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(heap + len, "%zX:t1:H%zX\n", 0x1000 + i * 16,
				       0x1000 + (i + 1 < n ? i + 1 : 0) * 16);
	tdump_open(&t, heap, "");
	free(heap);
	root = elem("H1000");
	assert_int_equal(bd_term_shape(&t.c, &root, 0, ERL, &b, &err), BD_OK);
	assert_int_equal(b.len, BD_SHAPE_MAX_BYTES + 3);
	assert_memory_equal(b.ptr, "{{{{", 4);
	assert_memory_equal(b.ptr + b.len - 3, "...", 3);
	bd_buf_reset(&b);
	assert_int_equal(bd_term_shape(&t.c, &root, 4, ERL, &b, &err), BD_OK);
	assert_string_equal(b.ptr, "{{{{_}}}}");
	bd_buf_release(&b);
	/* the last tuple points back at the first, far below the summary's depth */
	SUMMARY(&t, "H1000", ERL, "{{{{{{{{{...}}}}}}}}}");
	tdump_close(&t);
}

static void summaries_describe_collections_and_records(void **state)
{
	struct tdump t;

	(void)state;
	tdump_open(&t, heap_text, "");
	SUMMARY(&t, "HA00", ERL, "{state, list(3 " X " atom), map(0)}");
	SUMMARY(&t, "HA00", EX, "{:state, list(3 " X " atom), map(0)}");
	SUMMARY(&t, "HB00", ERL, "list(10 " X " (7 " X " integer | 3 " X " atom))");
	/* three alternatives at most; the rest are counted */
	SUMMARY(&t, "HC00", ERL,
		"list(7 " X " (2 " X " atom | 1 " X " integer | 1 " X " float | 3 " X " ...))");
	/* tuples with other tags are other shapes; an improper tail */
	SUMMARY(&t, "HD00", ERL,
		"list(4 " X " (2 " X " {ok, integer} | 1 " X " {error, atom} | 1 " X
		" list(2 " X " integer)) | atom)");
	SUMMARY(&t, "H100", ERL, "{'$gen_cast', {write, integer, <<_:24>>}}");
	SUMMARY(&t, "H140", EX, "{:\"$gen_call\", {pid, reference}, atom}");
	tdump_close(&t);
}

static void summaries_of_leaves_maps_and_binaries(void **state)
{
	struct tdump t;

	(void)state;
	tdump_open(&t, heap_text, "");
	SUMMARY(&t, "HE20", ERL, "{reference, fun, pid, pid, port, port}");
	SUMMARY(&t, "HE30", ERL, "{integer, float}");
	SUMMARY(&t, "HE00", ERL, "list(2 " X " <<_:24>>)");
	SUMMARY(&t, "HE10", ERL, "list(3 " X " binary)");
	SUMMARY(&t, "HE10", EX, "list(3 " X " binary)");
	SUMMARY(&t, "H400", EX, "<<_::24>>");
	SUMMARY(&t, "H420", ERL, "<<_:800>>");
	SUMMARY(&t, "H600", ERL, "#{entries => integer, count => <<_:24>>}");
	SUMMARY(&t, "H600", EX, "%{entries: integer, count: <<_::24>>}");
	SUMMARY(&t, "H640", ERL, "#{'__struct__' => 'Elixir.MyApp.S', a => integer, b => []}");
	SUMMARY(&t, "H640", EX, "%MyApp.S{a: integer, b: []}");
	SUMMARY(&t, "H660", ERL, "map(2 " X " integer => integer)");
	SUMMARY(&t, "H620", ERL, "map(0)");
	/* maps with the same atom keys unify field by field */
	SUMMARY(&t, "HE40", ERL,
		"list(3 " X " (2 " X " #{entries => integer, count => binary} | 1 " X
		" map(2 " X " integer => integer)))");
	SUMMARY(&t, "I1", ERL, "integer");
	SUMMARY(&t, "N", ERL, "[]");
	SUMMARY(&t, "A2:ok", ERL, "atom");
	SUMMARY(&t, "P<0.1.0>", ERL, "pid");
	/* corrupt terms */
	SUMMARY(&t, "HF00", ERL, "{cycle, integer}");
	SUMMARY(&t, "HF10", ERL, "list(2 " X " integer | cycle)");
	SUMMARY(&t, "HF30", ERL, "{missing, integer}");
	SUMMARY(&t, "HF40", ERL, "list(1 " X " integer | missing)");
	SUMMARY(&t, "HDEAD0", ERL, "missing");
	tdump_close(&t);
}

/* A hashmap of n integer keys (one Mn level of 16-way nodes) and a list of n {I, <<X>>}. */
static char *big_heap(size_t n_map, size_t n_list)
{
	size_t cap = 256 + n_map * 64 + n_list * 48;
	char *s = malloc(cap);
	size_t len = 0;
	size_t n_nodes = (n_map + 15) / 16;

	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "10:Mh%zX:%zX:", n_map, n_nodes);
	for (size_t k = 0; k < n_nodes; k++)
		len += (size_t)snprintf(s + len, cap - len, "%sH%zX", k ? "," : "",
					0x100000 + k * 16);
	s[len++] = '\n';
	for (size_t k = 0; k < n_nodes; k++) {
		size_t first = k * 16;
		size_t last = first + 16 < n_map ? first + 16 : n_map;
		len += (size_t)snprintf(s + len, cap - len, "%zX:Mn%zX:", 0x100000 + k * 16,
					last - first);
		for (size_t i = first; i < last; i++)
			len += (size_t)snprintf(s + len, cap - len, "%sH%zX", i > first ? "," : "",
						0x2000000 + i * 16);
		s[len++] = '\n';
	}
	for (size_t i = 0; i < n_map; i++)
		len += (size_t)snprintf(s + len, cap - len, "%zX:lI%zu|H%X\n", 0x2000000 + i * 16,
					i, i % 2 ? 0x30 : 0x40);
	len += (size_t)snprintf(s + len, cap - len, "30:t2:A1:a,I1\n40:t2:A1:b,I1\n"
					    "50:t2:I1,H60\n60:Yh1:AQ==\n70:t2:I2,H60\n");
	for (size_t i = 0; i < n_list; i++) {
		if (i + 1 < n_list)
			len += (size_t)snprintf(s + len, cap - len, "%zX:lH%X|H%zX\n",
						0x8000000 + i * 16, i % 3 ? 0x50 : 0x70,
						0x8000000 + (i + 1) * 16);
		else
			len += (size_t)snprintf(s + len, cap - len, "%zX:lH50|N\n",
						0x8000000 + i * 16);
	}
	s[len] = '\0';
	return s;
}

static void summaries_of_huge_terms_stay_small(void **state)
{
	struct tdump t;
	char *heap = big_heap(1000, 1000000);

	(void)state;
	tdump_open(&t, heap, "");
	free(heap);
	/* equal counts keep the order first seen */
	SUMMARY(&t, "H10", ERL, "map(1000 " X " integer => (500 " X " {b, integer} | 500 " X
		" {a, integer}))");
	SUMMARY(&t, "H8000000", ERL, "list(1000000 " X " {integer, <<_:8>>})");
	SUMMARY(&t, "H8000000", EX, "list(1000000 " X " {integer, <<_::8>>})");
	tdump_close(&t);
}

static void summaries_are_bounded_in_size(void **state)
{
	/* a tuple of 16 maps of 32 distinct long keys each: more text than the cap */
	size_t cap = 200000;
	char *heap = malloc(cap);
	size_t len = 0;
	struct tdump t;
	struct bd_elem root;
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };

	(void)state;
	len += (size_t)snprintf(heap + len, cap - len, "10:t10:");
	for (size_t m = 0; m < 16; m++)
		len += (size_t)snprintf(heap + len, cap - len, "%sH%zX", m ? "," : "",
					0x1000 + m * 32);
	heap[len++] = '\n';
	for (size_t m = 0; m < 16; m++) {
		len += (size_t)snprintf(heap + len, cap - len, "%zX:Mf20:H%zX:", 0x1000 + m * 32,
					0x1010 + m * 32);
		for (size_t k = 0; k < 32; k++)
			len += (size_t)snprintf(heap + len, cap - len, "%sI%zu", k ? "," : "", k);
		len += (size_t)snprintf(heap + len, cap - len, "\n%zX:t20:", 0x1010 + m * 32);
		for (size_t k = 0; k < 32; k++)
			len += (size_t)snprintf(heap + len, cap - len,
						"%sA1A:key_%02zu_%02zu_with_a_long_name",
						k ? "," : "", m, k);
		heap[len++] = '\n';
	}
	heap[len] = '\0';
	tdump_open(&t, heap, "");
	free(heap);
	root = elem("H10");
	assert_int_equal(bd_term_shape_summary(&t.c, &root, ERL, &b, &err), BD_OK);
	assert_int_equal(b.len, BD_SUMMARY_MAX_BYTES + 3);
	assert_memory_equal(b.ptr, "{#{key_00_00_with_a_long_name => integer, ", 42);
	bd_buf_release(&b);
	tdump_close(&t);
}

static void summary_of_state(struct bd_dump *d, const struct bd_heap *lits, const char *pid,
			     enum bd_syntax syn, const char *want)
{
	struct bd_heap heap = { 0 };
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };
	struct bd_elem st = bd_test_loop_state(d, pid);

	bd_test_heap_of(d, pid, BD_SECT_PROC_HEAP, &heap);
	struct bd_term_ctx c;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.heap = &heap;
	c.literals = lits;
	assert_int_equal(bd_term_shape_summary(&c, &st, syn, &b, &err), BD_OK);
	if (strcmp(b.ptr, want) != 0)
		fail_msg("state of %s is\n  %s\nwant\n  %s", pid, b.ptr, want);
	bd_buf_release(&b);
	bd_heap_release(&heap);
}

static void fixture_states_are_summarised(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("states.dump.gz");
	struct bd_heap lits = { 0 };

	(void)state;
	bd_test_heap_of(d, NULL, BD_SECT_LITERALS, &lits);
	summary_of_state(d, &lits, "<0.79.0>", ERL, "list(500000 " X " integer)");
	summary_of_state(d, &lits, "<0.80.0>", ERL, "map(200000 " X " integer => integer)");
	summary_of_state(d, &lits, "<0.81.0>", ERL,
			 "list(2000 " X " {customer, integer, <<_:64>>, list(8..11 " X
			 " integer), float, list(0..1 " X " atom), {street, integer, <<_:56>>}})");
	summary_of_state(d, &lits, "<0.82.0>", ERL,
			 "{bins, <<_:88>>, <<_:1600000>>, <<_:4000>>, <<_:8000>>}");
	summary_of_state(d, &lits, "<0.83.0>", EX,
			 "%{a: integer, b: <<_::24>>, c: list(1 " X
			 " integer), d: {integer}, e: float}");
	bd_heap_release(&lits);
	bd_dump_free(d);

	d = bd_test_open_fixture("states_elixir.dump.gz");
	memset(&lits, 0, sizeof(lits));
	bd_test_heap_of(d, NULL, BD_SECT_LITERALS, &lits);
	summary_of_state(d, &lits, "<0.106.0>", EX, "map(5000 " X " integer => binary)");
	summary_of_state(d, &lits, "<0.107.0>", EX,
			 "list(500 " X " %St.Account{balance: float, history: list(2 " X
			 " integer), id: integer, owner: binary})");
	bd_heap_release(&lits);
	bd_dump_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_shapes_keep_tuples_and_atoms),
		cmocka_unit_test(message_shapes_are_bounded),
		cmocka_unit_test(summaries_describe_collections_and_records),
		cmocka_unit_test(summaries_of_leaves_maps_and_binaries),
		cmocka_unit_test(summaries_of_huge_terms_stay_small),
		cmocka_unit_test(summaries_are_bounded_in_size),
		cmocka_unit_test(fixture_states_are_summarised),
	};

	return cmocka_run_group_tests_name("shape", tests, NULL, NULL);
}
