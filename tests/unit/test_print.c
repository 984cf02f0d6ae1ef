/* The term printer: every element and object kind, both syntaxes, limits, corrupt input. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "bd_test.h"
#include "term/heap.h"
#include "term/print.h"
#include "term/shape.h"

#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#define HEADER                                                                                  \
	"=erl_crash_dump:0.5\nFri Jan  1 00:00:00 2021\nSlogan: s\n"                            \
	"System version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n"

/* One process heap, the literals and extra sections (=binary), as a dump in memory. */
struct tdump {
	char *text;
	struct bd_dump *d;
	struct bd_heap heap;
	struct bd_heap lits;
	struct bd_term_ctx c;
};

static void add_sections(struct tdump *t, enum bd_sect kind, struct bd_heap *h)
{
	struct bd_error err = { 0 };

	for (size_t i = 0; i < t->d->index.n; i++) {
		struct bd_section s;
		bd_section_get(t->d, i, &s);
		if (s.kind == kind)
			assert_int_equal(bd_heap_add_section(h, t->d, i, &err), BD_OK);
	}
}

static void tdump_open(struct tdump *t, const char *heap, const char *lits, const char *extra)
{
	size_t n = strlen(HEADER) + strlen(heap) + strlen(lits) + strlen(extra) + 64;

	memset(t, 0, sizeof(*t));
	t->text = malloc(n);
	assert_non_null(t->text);
	snprintf(t->text, n, "%s=proc_heap:<0.1.0>\n%s=literals\n%s%s=end\n", HEADER, heap, lits,
		 extra);
	t->d = bd_test_open_text(t->text);
	add_sections(t, BD_SECT_PROC_HEAP, &t->heap);
	add_sections(t, BD_SECT_LITERALS, &t->lits);
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

static void check_at(int line, struct tdump *t, const char *root, const struct bd_print_opts *o,
		     const struct bd_print_extra *x, const char *want)
{
	struct bd_elem e = elem(root);
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };

	assert_int_equal(bd_term_print_ex(&t->c, &e, o, x, &b, &err), BD_OK);
	if (strcmp(b.ptr, want) != 0)
		fail_msg("line %d: %s printed\n  %s\nwant\n  %s", line, root, b.ptr, want);
	bd_buf_release(&b);
}

#define CHECK(t, root, o, want) check_at(__LINE__, (t), (root), (o), NULL, (want))
#define CHECK_EX(t, root, o, x, want) check_at(__LINE__, (t), (root), (o), (x), (want))

static const struct bd_print_opts ERL = { BD_SYNTAX_ERLANG, 0, 0, 0 };
static const struct bd_print_opts EX = { BD_SYNTAX_ELIXIR, 0, 0, 0 };

static const struct bd_print_opts *limits(enum bd_syntax syn, unsigned depth, size_t width,
					  size_t max_bytes)
{
	static struct bd_print_opts o;

	memset(&o, 0, sizeof(o));
	o.syntax = syn;
	o.depth = depth;
	o.width = width;
	o.max_bytes = max_bytes;
	return &o;
}

static const char heap_text[] =
	/* {ok,1,[1,2|3]} */
	"100:t3:A2:ok,I1,H110\n"
	"110:lI1|H120\n"
	"120:lI2|I3\n"
	/* "hi" */
	"130:lI104|H140\n"
	"140:lI105|N\n"
	"150:t0:\n"
	/* [1,2,...,10] */
	"160:lI1|H161\n161:lI2|H162\n162:lI3|H163\n163:lI4|H164\n164:lI5|H165\n"
	"165:lI6|H166\n166:lI7|H167\n167:lI8|H168\n168:lI9|H169\n169:lI10|N\n"
	/* "hello world" as a list */
	"170:lI104|H171\n171:lI101|H172\n172:lI108|H173\n173:lI108|H174\n174:lI111|H175\n"
	"175:lI32|H176\n176:lI119|H177\n177:lI111|H178\n178:lI114|H179\n179:lI108|H17A\n"
	"17A:lI100|N\n"
	/* [233], [1000], "\n\"\\", "#{", [104|105], [-1] */
	"180:lI233|N\n"
	"181:lI1000|N\n"
	"182:lI10|H183\n183:lI34|H184\n184:lI92|N\n"
	"185:lI35|H186\n186:lI123|N\n"
	"187:lI104|I105\n"
	"188:lI-1|N\n"
	/* floats */
	"200:F1A:2.50000000000000000000e+00\n"
	"210:F1B:-0.00000000000000000000e+00\n"
	"220:F1A:1.00000000000000000000e+10\n"
	"230:F1A:1.00000000000000002082e-03\n"
	"240:F1A:1.00000000000000000000e+02\n"
	"250:F1A:1.00000000000000005551e-01\n"
	"260:F1A:3.00000000000000044409e-01\n"
	"270:F1A:1.00000000000000008180e-05\n"
	"280:F1A:1.23456789012345680000e+17\n"
	"290:F1B:4.94065645841246544177e-324\n"
	"2A0:F3:abc\n"
	/* bignums */
	"300:B1267650600228229401496703205376\n"
	"310:B-1180591620717411303424\n"
	"320:B-0000000000000000000000000000000016\n"
	"330:B16#10000000000000000\n"
	"340:B-16#FF\n"
	"350:B-000\n"
	"360:B12x\n"
	/* binaries: heap, refc, sub, missing */
	"400:Yh3:dGFn\n"
	"410:Yh0:\n"
	"420:Yh3:AQID\n"
	"430:Yh6:aMOpbGxv\n"
	"435:Yh1:6Q==\n"
	"437:Yh5:YSIje2I=\n"
	"440:Yc500:0:5\n"
	"450:Yc500:6:5\n"
	"460:Ys440:1:3\n"
	"470:Ys400:1:2\n"
	"480:YcDEAD:0:64\n"
	"490:Yc500:5000:3\n"
	"4A0:Yc500:0:B\n"
	"4B0:Ys500:6:5\n"
	"4C0:Yc500:0:14\n"
	/* maps */
	"600:Mf2:H610:I1,H400\n"
	"610:t2:A1:a,A1:b\n"
	"620:Mf2:H630:I1,I2\n"
	"630:t2:I1,H130\n"
	"640:Mf3:H650:AE:Elixir.MyApp.S,I1,N\n"
	"650:t3:AA:__struct__,A1:a,A1:b\n"
	"660:Mf0:H670:\n"
	"670:t0:\n"
	"700:Mh3:2:H710,H720\n"
	"710:lA1:x|I1\n"
	"720:Mn2:H730,H740\n"
	"730:lA1:y|I2\n"
	"740:lA1:z|I3\n"
	/* a keyword list */
	"800:lH810|H820\n"
	"810:t2:A1:a,I1\n"
	"820:lH830|N\n"
	"830:t2:AA:with space,I2\n"
	/* external terms */
	"900:E24:g1oAA2QADW5vbm9kZUBub2hvc3QAAAAAAAI2r1qOAAGLhQWm\n"
	"910:E4A:g3AAAABIAkDcxD+NJrWADP2trXpx+5AAAAACAAAAAGQABHJhbmRhAmICBuYhWGQADW5v"
	"bm9kZUBub2hvc3QAAAA3AAAAAAAAAAA=\n"
	"920:E16:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==\n"
	"930:E22:g1oAA2QAC2Zha2VAcmVtb3RlAAAAAQAAAAcAAAAIAAAACQ==\n"
	"940:E1C:g1hkAAtmYWtlQHJlbW90ZQAAAFkAAAAAAAAAAQ==\n"
	"950:E9:g2gCZAABYWEB\n"
	"960:EC:g3QAAAABZAABYWEB\n"
	"970:E1B:g3FkAApFbGl4aXIuRm9vZAAHYmFyIGJhemEC\n"
	"980:P<8760.7.0>\n"
	"990:p<8760.9>\n"
	"9A0:Rf144572560\n"
	"9B0:Zq99\n"
	"9C0:E5:!!!!\n"
	"9D0:E5:g2gCZA==\n"
	/* corrupt: cycles, dangling pointers, a map of bad nodes */
	"A00:t2:HA00,I1\n"
	"A10:lI1|HA20\n"
	"A20:lI2|HA10\n"
	"A30:lI1|HA40\n"
	"A40:lI2|HA50\n"
	"A50:lI3|HA40\n"
	"A60:t2:HDEAD0,I1\n"
	"A70:lI1|HDEAD0\n"
	"A80:Mh2:1:HA90\n"
	"A90:Mn1:HA90\n"
	"AA0:Mf2:HDEAD0:I1,I2\n"
	"AB0:Mh1:2:HAC0,HAC0\n"
	"AC0:lA1:k|I1\n"
	"AD0:t2:HAE0,HAE0\n"
	"AE0:t1:HAD0\n"
	"AF0:Mn1:HAC0\n";

static const char lits_text[] = "C00:t2:A4:lit!,I7\n";
static const char bin_text[] = "=binary:500\nB:aGVsbG8gd29ybGQ=\n";

static void open_std(struct tdump *t)
{
	tdump_open(t, heap_text, lits_text, bin_text);
}

static void atoms_are_quoted_by_the_rules_of_each_syntax(void **state)
{
	static const struct {
		const char *name;
		const char *erl;
		const char *ex;
	} cases[] = {
		{ "foo", "foo", ":foo" },
		{ "Foo", "'Foo'", ":Foo" },
		{ "hello world", "'hello world'", ":\"hello world\"" },
		{ "Elixir.MyApp.Worker", "'Elixir.MyApp.Worker'", "MyApp.Worker" },
		{ "Elixir.foo", "'Elixir.foo'", ":\"Elixir.foo\"" },
		{ "Elixir", "'Elixir'", "Elixir" },
		{ "$gen_call", "'$gen_call'", ":\"$gen_call\"" },
		{ "after", "'after'", ":after" },
		{ "a\nb", "'a\\nb'", ":\"a\\nb\"" },
		{ "it's", "'it\\'s'", ":\"it's\"" },
		{ "say\"hi\"", "'say\"hi\"'", ":\"say\\\"hi\\\"\"" },
		{ "x,y|z", "'x,y|z'", ":\"x,y|z\"" },
		{ "foo@bar", "foo@bar", ":foo@bar" },
		{ "valid?", "'valid?'", ":valid?" },
		{ "true", "true", "true" },
		{ "nil", "nil", "nil" },
		{ "+", "'+'", ":+" },
		{ "", "''", ":\"\"" },
		{ "\xc3\xa9lan", "\xc3\xa9lan", ":\"\xc3\xa9lan\"" },
		{ "\xc3\x9cn\xc3\xaf", "'\xc3\x9cn\xc3\xaf'", ":\"\xc3\x9cn\xc3\xaf\"" },
		{ "\xe6\x97\xa5", "'\xe6\x97\xa5'", ":\"\xe6\x97\xa5\"" },
		{ "bad\xff", "'bad\\x{FF}'", ":\"bad\\xFF\"" },
		{ "tab\there", "'tab\\there'", ":\"tab\\there\"" },
		{ "\x01", "'\\001'", ":\"\\x01\"" },
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++) {
		struct bd_buf b = BD_BUF_INIT;
		struct bd_slice name = bd_slice_make(cases[i].name, strlen(cases[i].name));
		bd_print_atom(name, BD_SYNTAX_ERLANG, &b);
		assert_string_equal(b.ptr, cases[i].erl);
		bd_buf_reset(&b);
		bd_print_atom(name, BD_SYNTAX_ELIXIR, &b);
		assert_string_equal(b.ptr, cases[i].ex);
		bd_buf_release(&b);
	}
}

static void immediates_print_in_both_syntaxes(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "N", &ERL, "[]");
	CHECK(&t, "I-42", &ERL, "-42");
	CHECK(&t, "I1152921504606846975", &EX, "1152921504606846975");
	CHECK(&t, "A5:hello", &ERL, "hello");
	CHECK(&t, "A5:hello", &EX, ":hello");
	CHECK(&t, "A4:true", &EX, "true");
	CHECK(&t, "P<0.1.0>", &ERL, "<0.1.0>");
	CHECK(&t, "P<0.1.0>", &EX, "#PID<0.1.0>");
	CHECK(&t, "p<0.3>", &ERL, "#Port<0.3>");
	CHECK(&t, "p<0.3>", &EX, "#Port<0.3>");
	CHECK(&t, "SReturn addr 0x6FFBF840 (gen:do_call/4 + 776)", &ERL,
	      "Return addr 0x6FFBF840 (gen:do_call/4 + 776)");
	tdump_close(&t);
}

static void floats_print_the_shortest_round_trip_digits(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H200", &ERL, "2.5");
	CHECK(&t, "H210", &ERL, "-0.0");
	CHECK(&t, "H220", &ERL, "1.0e10");
	CHECK(&t, "H230", &ERL, "0.001");
	CHECK(&t, "H240", &ERL, "100.0");
	CHECK(&t, "H250", &EX, "0.1");
	CHECK(&t, "H260", &ERL, "0.30000000000000004");
	CHECK(&t, "H270", &ERL, "1.0e-5");
	CHECK(&t, "H280", &ERL, "1.2345678901234568e17");
	CHECK(&t, "H290", &ERL, "5.0e-324");
	CHECK(&t, "H2A0", &ERL, "<unknown F3:abc>");
	tdump_close(&t);
}

static void bignums_print_in_decimal_with_their_sign(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H300", &ERL, "1267650600228229401496703205376");
	CHECK(&t, "H310", &ERL, "-1180591620717411303424");
	CHECK(&t, "H320", &EX, "-16");
	CHECK(&t, "H330", &ERL, "18446744073709551616");
	CHECK(&t, "H340", &ERL, "-255");
	CHECK(&t, "H350", &ERL, "0");
	CHECK(&t, "H360", &ERL, "<unknown B12x>");
	tdump_close(&t);
}

static void tuples_and_lists_print_like_io_lib_and_inspect(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H100", &ERL, "{ok,1,[1,2|3]}");
	CHECK(&t, "H100", &EX, "{:ok, 1, [1, 2 | 3]}");
	CHECK(&t, "H150", &ERL, "{}");
	CHECK(&t, "H160", &ERL, "[1,2,3,4,5,6,7,8,9,10]");
	CHECK(&t, "H160", &EX, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
	CHECK(&t, "H187", &ERL, "[104|105]");
	CHECK(&t, "H188", &ERL, "[-1]");
	/* a pointer into the literal area */
	CHECK(&t, "HC00", &ERL, "{'lit!',7}");
	CHECK(&t, "HC00", &EX, "{:lit!, 7}");
	tdump_close(&t);
}

static void printable_lists_print_as_strings(void **state)
{
	struct tdump t;
	struct bd_print_extra uni = { true, NULL };

	(void)state;
	open_std(&t);
	CHECK(&t, "H130", &ERL, "\"hi\"");
	CHECK(&t, "H130", &EX, "~c\"hi\"");
	CHECK(&t, "H170", &ERL, "\"hello world\"");
	/* latin-1 is printable in Erlang, not in Elixir charlists */
	CHECK(&t, "H180", &ERL, "\"\xc3\xa9\"");
	CHECK(&t, "H180", &EX, "[233]");
	/* code points past 255 only with +pc unicode */
	CHECK(&t, "H181", &ERL, "[1000]");
	CHECK_EX(&t, "H181", &ERL, &uni, "\"\xcf\xa8\"");
	CHECK(&t, "H182", &ERL, "\"\\n\\\"\\\\\"");
	CHECK(&t, "H182", &EX, "~c\"\\n\\\"\\\\\"");
	CHECK(&t, "H185", &ERL, "\"#{\"");
	CHECK(&t, "H185", &EX, "~c\"\\#{\"");
	tdump_close(&t);
}

static void binaries_print_as_text_or_bytes(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H400", &ERL, "<<\"tag\">>");
	CHECK(&t, "H400", &EX, "\"tag\"");
	CHECK(&t, "H410", &ERL, "<<>>");
	CHECK(&t, "H410", &EX, "\"\"");
	CHECK(&t, "H420", &ERL, "<<1,2,3>>");
	CHECK(&t, "H420", &EX, "<<1, 2, 3>>");
	CHECK(&t, "H430", &ERL, "<<\"h\xc3\xa9llo\"/utf8>>");
	CHECK(&t, "H430", &EX, "\"h\xc3\xa9llo\"");
	CHECK(&t, "H435", &ERL, "<<\"\xc3\xa9\">>");
	CHECK(&t, "H435", &EX, "<<233>>");
	CHECK(&t, "H437", &ERL, "<<\"a\\\"#{b\">>");
	CHECK(&t, "H437", &EX, "\"a\\\"\\#{b\"");
	/* refc binaries read their =binary section, at their offset */
	CHECK(&t, "H440", &ERL, "<<\"hello\">>");
	CHECK(&t, "H450", &ERL, "<<\"world\">>");
	CHECK(&t, "H4A0", &EX, "\"hello world\"");
	/* an offset past the payload is an OTP 27 pointer: read from 0 */
	CHECK(&t, "H490", &ERL, "<<\"hel\">>");
	/* sub binaries of a Yc line, of a Yh line and of a =binary section */
	CHECK(&t, "H460", &ERL, "<<\"ell\">>");
	CHECK(&t, "H470", &ERL, "<<\"ag\">>");
	CHECK(&t, "H4B0", &ERL, "<<\"world\">>");
	/* payloads the dump lacks, or that are shorter than claimed */
	CHECK(&t, "H480", &ERL, "<<_:100 bytes, not in dump>>");
	CHECK(&t, "H4C0", &EX, "<<_:20 bytes, not in dump>>");
	tdump_close(&t);
}

static void maps_print_in_dump_order(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H600", &ERL, "#{a => 1,b => <<\"tag\">>}");
	CHECK(&t, "H600", &EX, "%{a: 1, b: \"tag\"}");
	CHECK(&t, "H620", &ERL, "#{1 => 1,\"hi\" => 2}");
	CHECK(&t, "H620", &EX, "%{1 => 1, ~c\"hi\" => 2}");
	CHECK(&t, "H640", &ERL, "#{'__struct__' => 'Elixir.MyApp.S',a => 1,b => []}");
	CHECK(&t, "H640", &EX, "%MyApp.S{a: 1, b: []}");
	CHECK(&t, "H660", &ERL, "#{}");
	CHECK(&t, "H660", &EX, "%{}");
	CHECK(&t, "H700", &ERL, "#{x => 1,y => 2,z => 3}");
	CHECK(&t, "H700", &EX, "%{x: 1, y: 2, z: 3}");
	tdump_close(&t);
}

static void keyword_lists_print_as_keywords_in_elixir(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H800", &ERL, "[{a,1},{'with space',2}]");
	CHECK(&t, "H800", &EX, "[a: 1, \"with space\": 2]");
	CHECK(&t, "H800", limits(BD_SYNTAX_ELIXIR, 0, 1, 0), "[a: 1, ...]");
	tdump_close(&t);
}

static void external_terms_print_through_the_etf_decoder(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H900", &ERL, "#Ref<0.2340750758.1519255553.145071>");
	CHECK(&t, "H900", &EX, "#Reference<0.2340750758.1519255553.145071>");
	CHECK(&t, "H910", &ERL, "#Fun<rand.2.34006561>");
	CHECK(&t, "H910", &EX, "#Function<2.34006561/2 in :rand>");
	CHECK(&t, "H920", &ERL, "fun lists:reverse/1");
	CHECK(&t, "H920", &EX, "&:lists.reverse/1");
	CHECK(&t, "H930", &ERL, "#Ref<?.9.8.7>");
	CHECK(&t, "H930", &EX, "#Reference<?.9.8.7>");
	CHECK(&t, "H940", &ERL, "<?.89.0>");
	CHECK(&t, "H940", &EX, "#PID<?.89.0>");
	CHECK(&t, "H950", &ERL, "{a,1}");
	CHECK(&t, "H960", &ERL, "#{a => 1}");
	CHECK(&t, "H970", &ERL, "fun 'Elixir.Foo':'bar baz'/2");
	CHECK(&t, "H970", &EX, "&Foo.\"bar baz\"/2");
	CHECK(&t, "H980", &ERL, "<8760.7.0>");
	CHECK(&t, "H980", &EX, "#PID<8760.7.0>");
	CHECK(&t, "H990", &ERL, "#Port<8760.9>");
	CHECK(&t, "H9A0", &ERL, "#FunRef<144572560>");
	CHECK(&t, "H9B0", &ERL, "<unknown Zq99>");
	CHECK(&t, "H9C0", &ERL, "<bad external term>");
	CHECK(&t, "H9D0", &EX, "<bad external term>");
	tdump_close(&t);
}

static void depth_width_and_byte_limits_elide_with_dots(void **state)
{
	struct tdump t;

	(void)state;
	open_std(&t);
	CHECK(&t, "H100", limits(BD_SYNTAX_ERLANG, 1, 0, 0), "{ok,1,...}");
	CHECK(&t, "H100", limits(BD_SYNTAX_ELIXIR, 1, 0, 0), "{:ok, 1, ...}");
	CHECK(&t, "H100", limits(BD_SYNTAX_ERLANG, 2, 0, 0), "{ok,1,[1,2|3]}");
	CHECK(&t, "H100", limits(BD_SYNTAX_ERLANG, 0, 2, 0), "{ok,1,...}");
	CHECK(&t, "H160", limits(BD_SYNTAX_ERLANG, 0, 3, 0), "[1,2,3|...]");
	CHECK(&t, "H160", limits(BD_SYNTAX_ELIXIR, 0, 3, 0), "[1, 2, 3, ...]");
	CHECK(&t, "H160", limits(BD_SYNTAX_ERLANG, 0, 10, 0), "[1,2,3,4,5,6,7,8,9,10]");
	CHECK(&t, "H170", limits(BD_SYNTAX_ERLANG, 0, 5, 0), "\"hello\"...");
	CHECK(&t, "H170", limits(BD_SYNTAX_ELIXIR, 0, 5, 0), "~c\"hello\" ++ ...");
	CHECK(&t, "H4A0", limits(BD_SYNTAX_ERLANG, 0, 5, 0), "<<\"hello\"...>>");
	CHECK(&t, "H4A0", limits(BD_SYNTAX_ELIXIR, 0, 5, 0), "\"hello\" <> ...");
	CHECK(&t, "H420", limits(BD_SYNTAX_ERLANG, 0, 2, 0), "<<1,2,...>>");
	CHECK(&t, "H420", limits(BD_SYNTAX_ELIXIR, 0, 2, 0), "<<1, 2, ...>>");
	/* a cut inside a UTF-8 sequence shows the characters before it */
	CHECK(&t, "H430", limits(BD_SYNTAX_ERLANG, 0, 2, 0), "<<\"h\"/utf8...>>");
	CHECK(&t, "H600", limits(BD_SYNTAX_ERLANG, 0, 1, 0), "#{a => 1,...}");
	CHECK(&t, "H700", limits(BD_SYNTAX_ELIXIR, 0, 2, 0), "%{x: 1, y: 2, ...}");
	CHECK(&t, "H640", limits(BD_SYNTAX_ELIXIR, 0, 1, 0), "%MyApp.S{a: 1, ...}");
	/* maps, tuples and lists past the depth limit; empty ones are shown */
	CHECK(&t, "H600", limits(BD_SYNTAX_ERLANG, 0, 0, 0), "#{a => 1,b => <<\"tag\">>}");
	CHECK(&t, "HA60", limits(BD_SYNTAX_ERLANG, 1, 0, 0), "{<missing 0xdead0>,1}");
	/* the byte cap: output ends with "..." right after max_bytes bytes */
	CHECK(&t, "H100", limits(BD_SYNTAX_ERLANG, 0, 0, 5), "{ok,1...");
	CHECK(&t, "H100", limits(BD_SYNTAX_ERLANG, 0, 0, 14), "{ok,1,[1,2|3]}");
	CHECK(&t, "H100", limits(BD_SYNTAX_ERLANG, 0, 0, 13), "{ok,1,[1,2|3]...");
	CHECK(&t, "H170", limits(BD_SYNTAX_ERLANG, 0, 0, 4), "\"hel...");
	/* never inside a UTF-8 sequence */
	CHECK(&t, "H430", limits(BD_SYNTAX_ELIXIR, 0, 0, 3), "\"h...");
	CHECK(&t, "H430", limits(BD_SYNTAX_ELIXIR, 0, 0, 4), "\"h\xc3\xa9...");
	tdump_close(&t);
}

static void corrupt_terms_print_markers_and_terminate(void **state)
{
	struct tdump t;
	const struct bd_print_opts *none = limits(BD_SYNTAX_ERLANG, 0, 0, 0);

	(void)state;
	open_std(&t);
	CHECK(&t, "HA00", none, "{<cycle>,1}");
	CHECK(&t, "HA10", none, "[1,2|<cycle>]");
	CHECK(&t, "HA10", &EX, "[1, 2 | <cycle>]");
	/* a tail cycle that does not return to the first cell */
	CHECK(&t, "HA30", none, "[1,2,3|<cycle>]");
	CHECK(&t, "HA60", none, "{<missing 0xdead0>,1}");
	CHECK(&t, "HA70", none, "[1|<missing 0xdead0>]");
	CHECK(&t, "HDEAD0", none, "<missing 0xdead0>");
	CHECK(&t, "HA80", none, "#{<bad map entry>}");
	CHECK(&t, "HAA0", none, "<missing 0xdead0>");
	/* more leaves than the declared size */
	CHECK(&t, "HAB0", none, "#{k => 1,<bad map entry>}");
	/* a shared subterm prints each time it is reached */
	CHECK(&t, "HAD0", none, "{{<cycle>},{<cycle>}}");
	CHECK(&t, "HAF0", none, "<unknown Mn1:HAC0>");
	tdump_close(&t);
}

/* A heap of n cells, each the head of the next: [[[...]]]; or a flat list of n integers. */
static char *long_heap(size_t n, bool nested)
{
	size_t cap = 64 + n * 48;
	char *s = malloc(cap);
	size_t len = 0;

	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = 0x100000 + (uint64_t)i * 16;
		char next[32];
		if (i + 1 < n)
			snprintf(next, sizeof(next), "H%" PRIX64, a + 16);
		else
			snprintf(next, sizeof(next), "N");
		if (nested)
			len += (size_t)snprintf(s + len, cap - len, "%" PRIX64 ":l%s|N\n", a, next);
		else
			len += (size_t)snprintf(s + len, cap - len, "%" PRIX64 ":lI%zu|%s\n", a, i,
						next);
	}
	return s;
}

static void million_element_lists_and_deep_nesting_need_no_recursion(void **state)
{
	struct tdump t;
	char *heap = long_heap(1000000, false);
	struct bd_elem root = elem("H100000");
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };

	(void)state;
	tdump_open(&t, heap, "", "");
	free(heap);
	CHECK(&t, "H100000", limits(BD_SYNTAX_ERLANG, 0, 4, 0), "[0,1,2,3|...]");
	CHECK(&t, "H100000", limits(BD_SYNTAX_ELIXIR, 0, 3, 0), "[0, 1, 2, ...]");
	CHECK(&t, "H100000", limits(BD_SYNTAX_ERLANG, 0, 0, 12), "[0,1,2,3,4,5...");
	/* unlimited: every element, in order */
	assert_int_equal(bd_term_print(&t.c, &root, &ERL, &b, &err), BD_OK);
	assert_int_equal(b.len, 6888891);
	assert_memory_equal(b.ptr + b.len - 14, "999998,999999]", 14);
	bd_buf_reset(&b);
	assert_int_equal(bd_term_shape_summary(&t.c, &root, BD_SYNTAX_ERLANG, &b, &err), BD_OK);
	assert_string_equal(b.ptr, "list(1000000 \xc3\x97 integer)");
	bd_buf_release(&b);
	tdump_close(&t);

	heap = long_heap(200000, true);
	tdump_open(&t, heap, "", "");
	free(heap);
	CHECK(&t, "H100000", limits(BD_SYNTAX_ERLANG, 3, 0, 0), "[[[...]]]");
	root = elem("H100000");
	assert_int_equal(bd_term_print(&t.c, &root, &ERL, &b, &err), BD_OK);
	assert_int_equal(b.len, 400002);
	assert_int_equal(b.ptr[199999], '[');
	assert_memory_equal(b.ptr + 199999, "[[]]", 4);
	bd_buf_release(&b);
	tdump_close(&t);
}

static void cycles_terminate_without_any_limit(void **state)
{
	/* a hashmap node and a list that loop back, and a two-cell cycle reached from a tuple */
	static const char heap[] = "10:t3:H20,H30,H50\n"
				   "20:lI1|H40\n"
				   "40:lI2|H20\n"
				   "30:Mh5:1:H60\n"
				   "60:Mn2:H70,H60\n"
				   "70:lA1:a|H10\n"
				   "50:t1:H10\n";
	struct tdump t;

	(void)state;
	tdump_open(&t, heap, "", "");
	CHECK(&t, "H10", &ERL, "{[1,2|<cycle>],#{a => <cycle>,<bad map entry>},{<cycle>}}");
	CHECK(&t, "H10", &EX, "{[1, 2 | <cycle>], %{:a => <cycle>, <bad map entry>}, {<cycle>}}");
	tdump_close(&t);
}

static char *print_state(struct bd_dump *d, const struct bd_heap *lits, const char *pid,
			 const struct bd_print_opts *o, const struct bd_print_extra *x)
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
	assert_int_equal(bd_term_print_ex(&c, &st, o, x, &b, &err), BD_OK);
	bd_heap_release(&heap);
	return b.ptr;
}

static void fixture_states_print_as_the_node_held_them(void **state)
{
	struct bd_dump *d = bd_test_open_fixture("states.dump.gz");
	struct bd_heap lits = { 0 };
	struct bd_bin_index bins;
	struct bd_error err = { 0 };
	char *s;

	(void)state;
	bd_test_heap_of(d, NULL, BD_SECT_LITERALS, &lits);
	assert_int_equal(bd_bin_index_build(d, &bins, &err), BD_OK);
	assert_int_equal(bins.n, 2);

	/* bin_srv: {bins, <<"heap binary">>, Big, Sub, binary:copy(<<"r">>, 1000)} */
	struct bd_print_opts o = { BD_SYNTAX_ERLANG, 0, 4, 0 };
	struct bd_print_extra x = { false, &bins };
	s = print_state(d, &lits, "<0.82.0>", &o, &x);
	assert_string_equal(s, "{bins,<<\"heap\"...>>,<<\"BBBB\"...>>,<<\"BBBB\"...>>,...}");
	free(s);
	o.width = 0;
	o.max_bytes = 100000;
	s = print_state(d, &lits, "<0.82.0>", &o, &x);
	assert_int_equal(strlen(s), 100003);
	assert_memory_equal(s, "{bins,<<\"heap binary\">>,<<\"BBB", 30);
	free(s);

	o.max_bytes = 0;
	o.width = 0;
	s = print_state(d, &lits, "<0.83.0>", &o, NULL);
	assert_string_equal(s, "#{a => 1,b => <<\"two\">>,c => [3],d => {4},e => 5.0}");
	free(s);
	o.syntax = BD_SYNTAX_ELIXIR;
	s = print_state(d, &lits, "<0.83.0>", &o, NULL);
	assert_string_equal(s, "%{a: 1, b: \"two\", c: [3], d: {4}, e: 5.0}");
	free(s);

	o.syntax = BD_SYNTAX_ERLANG;
	o.width = 3;
	s = print_state(d, &lits, "<0.81.0>", &o, NULL);
	assert_string_equal(s, "[{customer,1,<<\"cus\"...>>,...},{customer,2,<<\"cus\"...>>,...},"
			       "{customer,3,<<\"cus\"...>>,...}|...]");
	free(s);
	o.width = 0;
	o.depth = 2;
	s = print_state(d, &lits, "<0.81.0>", &o, NULL);
	assert_memory_equal(s, "[{customer,1,<<\"customer\">>,...,1.5,[],...},", 42);
	free(s);

	bd_bin_index_release(&bins);
	bd_heap_release(&lits);
	bd_dump_free(d);
}

/*
 * Printing costs what is printed: a 10 MB atom of which only the first
 * pages are readable (the rest faults) prints as long as nothing past
 * what is shown, and a character of look-ahead, is read. A crafted dump
 * with many references to one such atom was quadratic.
 */
static void a_long_atom_is_read_only_as_far_as_it_is_printed(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)10 << 20;
	size_t readable = 4 * page;
	char *m = mmap(NULL, len + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };
	struct tdump t;
	struct bd_elem e;
	int head;

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m, readable, PROT_READ | PROT_WRITE), 0);
	memset(m, 'a', readable);
	for (int quoted = 0; quoted < 2; quoted++) {
		m[16] = quoted ? ' ' : 'a'; /* a space makes both syntaxes quote it */
		for (int syn = 0; syn < 2; syn++) {
			bd_buf_reset(&b);
			bd_print_atom(bd_slice_make(m, len), syn ? BD_SYNTAX_ELIXIR : BD_SYNTAX_ERLANG,
				      &b);
			assert_true(b.len > 4000 && b.len <= 4096 + 3);
			assert_memory_equal(b.ptr + b.len - 3, "...", 3);
		}
	}
	/* through the term printer, with its byte cap, as an element "A<len>:" */
	head = snprintf(m, 32, "A%zX:", len - 32);
	assert_true(bd_elem_parse(m, m + head + len - 32, &e) > 0);
	open_std(&t);
	for (int syn = 0; syn < 2; syn++) {
		struct bd_print_opts o = { syn ? BD_SYNTAX_ELIXIR : BD_SYNTAX_ERLANG, 0, 0, 100 };
		bd_buf_reset(&b);
		assert_int_equal(bd_term_print(&t.c, &e, &o, &b, &err), BD_OK);
		assert_true(b.len <= 100 + 3);
		assert_memory_equal(b.ptr + b.len - 3, "...", 3);
	}
	tdump_close(&t);
	bd_buf_release(&b);
	munmap(m, len + page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(atoms_are_quoted_by_the_rules_of_each_syntax),
		cmocka_unit_test(immediates_print_in_both_syntaxes),
		cmocka_unit_test(floats_print_the_shortest_round_trip_digits),
		cmocka_unit_test(bignums_print_in_decimal_with_their_sign),
		cmocka_unit_test(tuples_and_lists_print_like_io_lib_and_inspect),
		cmocka_unit_test(printable_lists_print_as_strings),
		cmocka_unit_test(binaries_print_as_text_or_bytes),
		cmocka_unit_test(maps_print_in_dump_order),
		cmocka_unit_test(keyword_lists_print_as_keywords_in_elixir),
		cmocka_unit_test(external_terms_print_through_the_etf_decoder),
		cmocka_unit_test(depth_width_and_byte_limits_elide_with_dots),
		cmocka_unit_test(corrupt_terms_print_markers_and_terminate),
		cmocka_unit_test(million_element_lists_and_deep_nesting_need_no_recursion),
		cmocka_unit_test(cycles_terminate_without_any_limit),
		cmocka_unit_test(fixture_states_print_as_the_node_held_them),
		cmocka_unit_test(a_long_atom_is_read_only_as_far_as_it_is_printed),
	};

	return cmocka_run_group_tests_name("print", tests, NULL, NULL);
}
