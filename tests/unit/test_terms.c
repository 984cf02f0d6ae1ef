/*
 * Terms of every type, held as gen_server states by a real distributed node
 * (fixtures/terms.erl): their sizes must equal erts_debug:flat_size/1 and
 * their printed text io_lib:format("~0tp") as measured in that node
 * (fixtures/terms.live), except where the dump cannot hold the same text.
 */
#include "bd_test.h"

#include "analyze/analyze.h"
#include "term/heap.h"
#include "term/print.h"
#include "term/process.h"

#include <zlib.h>

#define FIXTURE "terms"

/* ------------------------------------------------------ the .live facts */

struct live {
	char *text;     /* the whole file, lines NUL-terminated */
	char **lines;
	size_t n;
};

static void live_load(struct live *l)
{
	char path[1024];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s.live", BD_FIXTURES, FIXTURE);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	l->text = malloc((size_t)size + 1);
	assert_non_null(l->text);
	assert_int_equal(fread(l->text, 1, (size_t)size, f), (size_t)size);
	l->text[size] = '\0';
	fclose(f);
	l->lines = calloc((size_t)size + 1, sizeof(*l->lines));
	assert_non_null(l->lines);
	l->n = 0;
	for (char *p = l->text; *p;) {
		char *nl = strchr(p, '\n');
		l->lines[l->n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

static void live_free(struct live *l)
{
	free(l->lines);
	free(l->text);
}

/* The rest of the line "KIND NAME_state REST", or NULL. */
static const char *live_get(const struct live *l, const char *kind, const char *name)
{
	char key[256];
	size_t n;

	n = (size_t)snprintf(key, sizeof(key), "%s %s_state ", kind, name);
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->lines[i], key, n) == 0)
			return l->lines[i] + n;
	return NULL;
}

static const char *live_fact(const struct live *l, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->lines[i], key, n) == 0 && l->lines[i][n] == ' ')
			return l->lines[i] + n + 1;
	return NULL;
}

/* ----------------------------------------- where the dump differs from ~0tp */

/*
 * States whose dump-side text is not what ~0tp printed in the live node.
 * Each is checked exactly, and so is the live text, so that the difference
 * stays the one described. Refs, fun ids, channels and hashmap orders
 * change with every regeneration of the fixture: update both texts then.
 */
struct text_differs {
	const char *name;
	const char *live;  /* the .live print text */
	const char *dump;  /* what bd_term_print prints from the dump */
};

static const struct text_differs text_differs[] = {
	/*
	 * ~tp prints a binary as UTF-8 text only if its characters are in
	 * io:printable_range(), latin1 unless the node runs with +pc unicode;
	 * the printer always shows printable UTF-8 as text (print.h), as a
	 * +pc unicode node would.
	 */
	{ "t_unicode_bin", "<<230,151,165,230,156,172>>", "<<\"日本\"/utf8>>" },
	/*
	 * A hashmap (over 32 keys) prints in the order the dump wrote its
	 * nodes (print.h); ~0tp follows the HAMT's own order, which is the
	 * order of the elements in the Mh/Mn lines, not the order of the lines.
	 */
	{ "t_map_33",
	  "#{k2 => 2,k21 => 21,k11 => 11,k6 => 6,k26 => 26,k12 => 12,k9 => 9,k4 => 4,k7 => 7,"
	  "k25 => 25,k1 => 1,k29 => 29,k19 => 19,k28 => 28,k15 => 15,k27 => 27,k23 => 23,"
	  "k31 => 31,k22 => 22,k14 => 14,k18 => 18,k33 => 33,k32 => 32,k20 => 20,k24 => 24,"
	  "k8 => 8,k13 => 13,k30 => 30,k5 => 5,k16 => 16,k17 => 17,k10 => 10,k3 => 3}",
	  "#{k2 => 2,k26 => 26,k11 => 11,k6 => 6,k21 => 21,k3 => 3,k17 => 17,k10 => 10,k5 => 5,"
	  "k16 => 16,k30 => 30,k13 => 13,k33 => 33,k24 => 24,k8 => 8,k20 => 20,k32 => 32,"
	  "k31 => 31,k18 => 18,k14 => 14,k22 => 22,k27 => 27,k23 => 23,k28 => 28,k15 => 15,"
	  "k19 => 19,k4 => 4,k7 => 7,k29 => 29,k1 => 1,k25 => 25,k12 => 12,k9 => 9}" },
	/*
	 * The slice's 2000-byte binary is reachable only through the
	 * sub-binary, so the dump has no =binary section for it (format doc
	 * 3.5): its bytes are not in the dump.
	 */
	{ "t_sub_bin",
	  "[<<\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"
	  "abcdefghijabcdefghij\">>]",
	  "[<<_:100 bytes, not in dump>>]" },
	{ NULL, NULL, NULL },
};

/* States whose size from the dump is not erts_debug:flat_size/1 in the live node. */
struct size_differs {
	const char *name;
	unsigned long long live;  /* the .live flat_size */
	unsigned long long dump;  /* bd_term_size's flat_words */
};

static const struct size_differs size_differs[] = {
	/*
	 * The dump writes a fun's free variables as [] (format doc 3.2): the
	 * 6-word list and 3-word binary t_fun_env's closure holds are gone.
	 */
	{ "t_fun_env", 16, 7 },
	{ NULL, 0, 0 },
};

static const struct text_differs *text_differs_for(const char *name)
{
	for (size_t i = 0; text_differs[i].name; i++)
		if (strcmp(text_differs[i].name, name) == 0)
			return &text_differs[i];
	return NULL;
}

static const struct size_differs *size_differs_for(const char *name)
{
	for (size_t i = 0; size_differs[i].name; i++)
		if (strcmp(size_differs[i].name, name) == 0)
			return &size_differs[i];
	return NULL;
}

/* ------------------------------------------------------ opening a state */

struct state {
	struct bd_process p;
	struct bd_behaviour b;
};

static void state_open(struct bd_dump *d, const char *name, struct state *s)
{
	struct bd_error err = { 0 };
	struct bd_slice pid = bd_dump_find_name(d, bd_slice_make(name, strlen(name)));

	if (!pid.len)
		fail_msg("no process named %s", name);
	assert_int_equal(bd_process_open(&s->p, d, pid, &err), BD_OK);
	bd_find_behaviour(&s->p, &s->b);
	if (!s->b.kind || strcmp(s->b.kind, "gen_server") != 0 || !s->b.has_state)
		fail_msg("%s: no gen_server state found", name);
	assert_true(bd_slice_eq(s->b.module, "fx_srv"));
}

static char *print_state(struct state *s, enum bd_syntax syntax, bool unicode)
{
	struct bd_print_opts o = { syntax, 0, 0, 0 };
	struct bd_print_extra x = { unicode, NULL };
	struct bd_buf b = BD_BUF_INIT;
	struct bd_error err = { 0 };
	char *text;

	assert_int_equal(bd_term_print_ex(&s->p.ctx, &s->b.state, &o, &x, &b, &err), BD_OK);
	text = strdup(b.ptr);
	assert_non_null(text);
	bd_buf_release(&b);
	return text;
}

/* --------------------------------------------------------------- tests */

/* Size and ~0tp text of one state against the .live facts; returns the mismatches. */
static size_t check_state(struct bd_dump *d, const struct live *l, const char *name,
			  unsigned long long live_words)
{
	struct state s;
	struct bd_term_size sz;
	struct bd_error err = { 0 };
	const struct size_differs *sd = size_differs_for(name);
	const struct text_differs *td = text_differs_for(name);
	const char *want_text = live_get(l, "print", name);
	unsigned long long want_words = sd ? sd->dump : live_words;
	size_t failures = 0;
	char *got;

	state_open(d, name, &s);
	assert_int_equal(bd_term_size(&s.p.ctx, &s.b.state, &sz, &err), BD_OK);
	if (sd && sd->live != live_words) {
		print_message("%s: the live node now says %llu words, not %llu\n", name, live_words,
			      sd->live);
		failures++;
	}
	if (sz.flat_words != want_words || sz.n_missing != 0) {
		print_message("%s: %llu words, %llu missing; want %llu (live flat_size %llu)\n", name,
			      (unsigned long long)sz.flat_words, (unsigned long long)sz.n_missing,
			      want_words, live_words);
		failures++;
	}

	got = print_state(&s, BD_SYNTAX_ERLANG, false);
	if (td) {
		if (!want_text || strcmp(want_text, td->live) != 0) {
			print_message("%s: the live text is now\n  %s\nnot\n  %s\n", name,
				      want_text ? want_text : "(none)", td->live);
			failures++;
		}
		want_text = td->dump;
	}
	if (want_text) {
		if (strcmp(got, want_text) != 0) {
			print_message("%s: printed\n  %s\nwant\n  %s\n", name, got, want_text);
			failures++;
		}
	} else {
		/* long texts: the byte size and crc32 of the live node's text */
		const char *bytes = live_get(l, "print_bytes", name);
		const char *crc = live_get(l, "print_crc32", name);
		unsigned long got_crc = crc32(0L, (const Bytef *)got, (uInt)strlen(got));

		if (!bytes || !crc)
			fail_msg("%s: no print, print_bytes or print_crc32 fact", name);
		if (strlen(got) != strtoul(bytes, NULL, 10) || got_crc != strtoul(crc, NULL, 10)) {
			print_message("%s: printed %zu bytes with crc32 %lu, the live text has %s "
				      "bytes with crc32 %s; printed\n  %.300s...\n",
				      name, strlen(got), got_crc, bytes, crc, got);
			failures++;
		}
	}
	free(got);
	bd_process_close(&s.p);
	return failures;
}

static void every_state_has_the_live_size_and_text(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".dump.gz");
	struct live l;
	size_t checked = 0, servers = 0, failures = 0;

	(void)state;
	live_load(&l);
	for (size_t i = 0; i < l.n; i++) {
		char name[128];
		const char *line = l.lines[i];
		const char *sp;

		if (strncmp(line, "pid t_", 6) == 0)
			servers++;
		if (strncmp(line, "flat_size ", 10) != 0)
			continue;
		sp = strstr(line + 10, "_state ");
		assert_non_null(sp);
		snprintf(name, sizeof(name), "%.*s", (int)(sp - (line + 10)), line + 10);
		failures += check_state(d, &l, name, strtoull(sp + 7, NULL, 10));
		checked++;
	}
	/* one state per registered t_ server, and every exception still applies */
	assert_int_equal(checked, servers);
	assert_true(checked >= 40);
	for (size_t i = 0; text_differs[i].name; i++)
		if (!live_get(&l, "flat_size", text_differs[i].name))
			fail_msg("%s is not in %s.live", text_differs[i].name, FIXTURE);
	for (size_t i = 0; size_differs[i].name; i++)
		if (!live_get(&l, "flat_size", size_differs[i].name))
			fail_msg("%s is not in %s.live", size_differs[i].name, FIXTURE);
	live_free(&l);
	bd_dump_free(d);
	if (failures)
		fail_msg("%zu mismatches in %zu states", failures, checked);
}

static void servers_are_the_live_pids(void **state)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".dump.gz");
	struct live l;

	(void)state;
	live_load(&l);
	for (size_t i = 0; i < l.n; i++) {
		const char *line = l.lines[i];
		const char *sp;
		struct bd_slice pid;

		if (strncmp(line, "pid t_", 6) != 0)
			continue;
		sp = strchr(line + 4, ' ');
		assert_non_null(sp);
		pid = bd_dump_find_name(d, bd_slice_make(line + 4, (size_t)(sp - (line + 4))));
		if (!bd_slice_eq(pid, sp + 1))
			fail_msg("%s: the dump has %.*s", line, (int)pid.len, pid.ptr);
	}
	assert_non_null(live_fact(&l, "peer_node"));
	live_free(&l);
	bd_dump_free(d);
}

struct spot {
	const char *name;
	const char *text;
};

static void check_spots(const struct spot *spots, size_t n, enum bd_syntax syntax, bool unicode)
{
	struct bd_dump *d = bd_test_open_fixture(FIXTURE ".dump.gz");
	size_t failures = 0;

	for (size_t i = 0; i < n; i++) {
		struct state s;
		char *got;

		state_open(d, spots[i].name, &s);
		got = print_state(&s, syntax, unicode);
		if (strcmp(got, spots[i].text) != 0) {
			print_message("%s: printed\n  %s\nwant\n  %s\n", spots[i].name, got,
				      spots[i].text);
			failures++;
		}
		free(got);
		bd_process_close(&s.p);
	}
	bd_dump_free(d);
	if (failures)
		fail_msg("%zu of %zu states printed wrong", failures, n);
}

static void elixir_syntax_of_maps_binaries_charlists_and_atoms(void **state)
{
	static const struct spot spots[] = {
		{ "t_flatmap", "%{a: 1, b: [2]}" },
		{ "t_map_nested",
		  "%{42 => ~c\"str\", :config => %{depth: 2, opts: [:x, :y]}, {:t, 1} => %{}, "
		  "\"bin key\" => {1, 2.5}}" },
		{ "t_struct", "%MyApp.User{age: 3, name: \"Ann\"}" },
		{ "t_empty", "{[], %{}, \"\", {}}" },
		{ "t_binary", "\"text\"" },
		{ "t_bin_bytes", "<<0, 1, 2, 255>>" },
		{ "t_unicode_bin", "\"日本\"" },
		{ "t_latin1_bin", "{\"ünïcödé\", <<252, 110, 239>>, \"a\\nb\\t\\\"q\\\"\\\\\"}" },
		{ "t_string", "~c\"hello\"" },
		/* charlists are ASCII-only: "ünïcödé" is a list of integers */
		{ "t_strings",
		  "{[252, 110, 239, 99, 246, 100, 233], ~c\"tab\\there \\\"q\\\" \\\\ nl\\n\", "
		  "[104, 105, 0], [], ~c\"ab\"}" },
		{ "t_unicode_list", "[26085, 26412, 35486]" },
		{ "t_keyword", "[a: 1, b: ~c\"two\", \"C d\": \"x\"]" },
		{ "t_improper_more", "{[:a | :b], [~c\"ab\" | \"c\"], [[:x | :y] | :z]}" },
		{ "t_atom_quoted",
		  "[:\"Hello World\", :\"a,b|c:d\", :\"a\\nb\", :\"it's\", :after, Foo, "
		  ":\"$gen_call\", :x@y_Z9, :\"\", :\"back\\\\slash\", true]" },
		/*
		 * Kernel.inspect/1 writes :ünïcödé_日本, :ünïcödé, :Ärger and :ß
		 * bare (Unicode identifiers); the printer quotes every non-ASCII
		 * atom, which reads back as the same atom.
		 */
		{ "t_atom_unicode", ":\"ünïcödé_日本\"" },
		{ "t_atom_latin1", "{:\"ünïcödé\", :\"Ärger\", :\"ß\"}" },
		{ "t_ext_fun", "&:lists.reverse/1" },
	};

	(void)state;
	check_spots(spots, BD_ARRAY_SIZE(spots), BD_SYNTAX_ELIXIR, false);
}

static void unicode_option_prints_unicode_lists_as_strings(void **state)
{
	static const struct spot erlang[] = {
		{ "t_unicode_list", "\"日本語\"" },
		{ "t_strings", "{\"ünïcödé\",\"tab\\there \\\"q\\\" \\\\ nl\\n\",[104,105,0],[],\"ab\"}" },
		{ "t_unicode_bin", "<<\"日本\"/utf8>>" },
	};
	/* Elixir charlists stay ASCII-only */
	static const struct spot elixir[] = {
		{ "t_unicode_list", "[26085, 26412, 35486]" },
	};

	(void)state;
	check_spots(erlang, BD_ARRAY_SIZE(erlang), BD_SYNTAX_ERLANG, true);
	check_spots(elixir, BD_ARRAY_SIZE(elixir), BD_SYNTAX_ELIXIR, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_state_has_the_live_size_and_text),
		cmocka_unit_test(servers_are_the_live_pids),
		cmocka_unit_test(elixir_syntax_of_maps_binaries_charlists_and_atoms),
		cmocka_unit_test(unicode_option_prints_unicode_lists_as_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
