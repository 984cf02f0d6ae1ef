/* Heap elements, objects, the address index and term sizes. */
#include "bd_test.h"
#include "term/heap.h"

/* Parse one element of a whole string. */
static size_t parse_elem(const char *s, struct bd_elem *e)
{
	return bd_elem_parse(s, s + strlen(s), e);
}

static void elements_read_atoms_by_length_even_with_separators(void **state)
{
	struct bd_elem e;
	const char atom[] = "A5:a\nb,|rest";
	const char uni[] = "AB:\xc3\x9c" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9" ",N";

	(void)state;
	assert_int_equal(bd_elem_parse(atom, atom + sizeof(atom) - 1, &e), 8);
	assert_int_equal(e.kind, BD_ELEM_ATOM);
	assert_true(bd_slice_eq(e.text, "a\nb,|"));
	assert_int_equal(bd_elem_parse(uni, uni + sizeof(uni) - 1, &e), 14);
	assert_int_equal(e.text.len, 11);
	assert_int_equal(parse_elem("I-7,", &e), 3);
	assert_int_equal(e.small, -7);
	assert_int_equal(parse_elem("H7FB36E8AD458|N", &e), 13);
	assert_true(e.kind == BD_ELEM_PTR && e.addr == 0x7FB36E8AD458ull);
	assert_int_equal(parse_elem("P<0.9.0>", &e), 8);
	assert_true(e.kind == BD_ELEM_PID && bd_slice_eq(e.text, "<0.9.0>"));
	/* an atom longer than the text left is malformed, not read past the end */
	assert_int_equal(parse_elem("AFF:abc", &e), 0);
	assert_int_equal(parse_elem("Q", &e), 0);
}

static size_t parse(const char *s, struct bd_obj *o)
{
	return bd_obj_parse(s, s + strlen(s), o);
}

static void objects_of_every_tag_are_parsed(void **state)
{
	struct bd_obj o;

	(void)state;
	assert_int_equal(parse("lI1|H7FB36E8AD438\n", &o), 17);
	assert_int_equal(o.kind, BD_OBJ_CONS);
	assert_int_equal(parse("t3:A9:big_state,H7FB36E8AD448,N", &o), 31);
	assert_true(o.kind == BD_OBJ_TUPLE && o.size == 3 && o.n_elems == 3);
	assert_int_equal(parse("t0:\n", &o), 3);
	assert_int_equal(parse("F1A:2.50000000000000000000e+00", &o), 30);
	assert_int_equal(o.kind, BD_OBJ_FLOAT);
	assert_int_equal(parse("Yh3:dGFn\r\n", &o), 8);
	assert_true(o.kind == BD_OBJ_HEAP_BIN && o.size == 3);
	assert_int_equal(parse("Yc55EF8F01D438:0:C8", &o), 19);
	assert_true(o.kind == BD_OBJ_REFC_BIN && o.ref == 0x55EF8F01D438ull && o.size == 200);
	assert_int_equal(parse("Ys55CEC3EBEA40:64:C8", &o), 20);
	assert_true(o.kind == BD_OBJ_SUB_BIN && o.offset == 100 && o.size == 200);
	assert_int_equal(parse("Mf3:H7FB371E97140:A4:dl_a,A4:dl_b,AF:dl_secret_state", &o), 52);
	assert_true(o.kind == BD_OBJ_FLATMAP && o.size == 3 && o.keys.addr == 0x7FB371E97140ull);
	assert_true(parse("Mh28:F:H1,H2,H3,H4,H5,H6,H7,H8,H9,HA,HB,HC,HD,HE,HF", &o) > 0);
	assert_true(o.kind == BD_OBJ_HASHMAP && o.size == 40 && o.n_elems == 15);
	assert_true(parse("Mn3:H1,H2,H3", &o) > 0 && o.kind == BD_OBJ_HASHNODE);
	assert_true(parse("P<8760.7.0>", &o) > 0 && o.kind == BD_OBJ_EXT_PID);
	assert_true(parse("E16:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==", &o) > 0 && o.kind == BD_OBJ_EXT_TERM);
	assert_true(parse("Rf144572560", &o) > 0 && o.kind == BD_OBJ_FUN_REF);
	assert_true(parse("Zq99", &o) > 0 && o.kind == BD_OBJ_UNKNOWN);
	/* a tuple claiming more elements than the line holds is rejected */
	assert_int_equal(parse("tFFFFFFFF:N,N", &o), 0);
	assert_int_equal(parse("t3:N,N", &o), 0);
}

struct live_size {
	const char *name;
	const char *pid;
};

static void state_sizes_equal_flat_size_measured_in_the_live_node(void **state)
{
	static const struct live_size servers[] = {
		{ "big_srv", "<0.79.0>" },     { "small_srv", "<0.80.0>" },
		{ "odd_srv", "<0.81.0>" },     { "anonymous_srv", "<0.82.0>" },
	};
	struct bd_dump *d = bd_test_open_fixture("basic.dump.gz");
	struct bd_heap literals = { 0 };
	char path[1024];
	char line[256];

	(void)state;
	bd_test_heap_of(d, NULL, BD_SECT_LITERALS, &literals);
	snprintf(path, sizeof(path), "%s/basic.live", BD_FIXTURES);
	for (size_t k = 0; k < BD_ARRAY_SIZE(servers); k++) {
		struct bd_heap heap = { 0 };
		struct bd_term_size sz;
		struct bd_error err = { 0 };
		char want_key[128];
		unsigned long want = 0;
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		snprintf(want_key, sizeof(want_key), "flat_size %s_state ", servers[k].name);
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, want_key, strlen(want_key)) == 0)
				want = strtoul(line + strlen(want_key), NULL, 10);
		fclose(f);
		assert_true(want > 0);

		bd_test_heap_of(d, servers[k].pid, BD_SECT_PROC_HEAP, &heap);
		struct bd_term_ctx c = { d, &heap, &literals, NULL };
		struct bd_elem st = bd_test_loop_state(d, servers[k].pid);
		assert_int_equal(bd_term_size(&c, &st, &sz, &err), BD_OK);
		if (sz.flat_words != want)
			fail_msg("%s: flat size %llu, live node said %lu", servers[k].name,
				 (unsigned long long)sz.flat_words, want);
		assert_int_equal(sz.n_missing, 0);
		assert_true(sz.shared_words <= sz.flat_words);
		bd_heap_release(&heap);
	}
	bd_heap_release(&literals);
	bd_dump_free(d);
}

static void long_lists_and_cycles_are_sized_without_recursion(void **state)
{
	/* a 200000-element list, then a two-cell cycle (corrupt input) */
	size_t n = 200000;
	size_t cap = 128 + n * 40;
	char *text = malloc(cap);
	size_t len;
	struct bd_dump *d = NULL;
	struct bd_error err = { 0 };
	struct bd_heap heap = { 0 };
	struct bd_term_size sz;

	(void)state;
	len = (size_t)snprintf(text, cap, "=erl_crash_dump:0.5\nx\nSlogan: s\n"
				       "System version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n"
				       "=proc_heap:<0.1.0>\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%zX:lI%zu|%s%zX\n", 0x1000 + i * 16,
					i, i + 1 < n ? "H" : "N", i + 1 < n ? 0x1000 + (i + 1) * 16 : 0);
	len += (size_t)snprintf(text + len, cap - len, "90000000:lI1|H90000010\n90000010:lI2|H90000000\n=end\n");
	/* the last cell's tail "N0" must read as N: rewrite it */
	char *nz = strstr(text, "|N0\n");
	assert_non_null(nz);
	memmove(nz + 2, nz + 3, strlen(nz + 3) + 1);
	len--;
	assert_int_equal(bd_dump_open_mem(&d, text, len, "t", &err), BD_OK);
	bd_test_heap_of(d, "<0.1.0>", BD_SECT_PROC_HEAP, &heap);
	assert_int_equal(heap.n, n + 2);

	struct bd_term_ctx c = { d, &heap, NULL, NULL };
	struct bd_elem root = { BD_ELEM_PTR, 0, 0x1000, { NULL, 0 } };
	assert_int_equal(bd_term_size(&c, &root, &sz, &err), BD_OK);
	assert_int_equal(sz.flat_words, 2 * n);
	assert_int_equal(sz.n_missing, 0);

	root.addr = 0x90000000;
	assert_int_equal(bd_term_size(&c, &root, &sz, &err), BD_OK);
	assert_int_equal(sz.flat_words, 4);
	assert_int_equal(sz.n_missing, 1);

	root.addr = 0xDEAD;
	assert_int_equal(bd_term_size(&c, &root, &sz, &err), BD_OK);
	assert_int_equal(sz.n_missing, 1);
	bd_heap_release(&heap);
	bd_dump_free(d);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(elements_read_atoms_by_length_even_with_separators),
		cmocka_unit_test(objects_of_every_tag_are_parsed),
		cmocka_unit_test(state_sizes_equal_flat_size_measured_in_the_live_node),
		cmocka_unit_test(long_lists_and_cycles_are_sized_without_recursion),
	};

	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
