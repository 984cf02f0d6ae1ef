/*
 * Printing heap terms (crash-dump-format.md section 3) as Erlang or Elixir
 * text, without line breaks, like io_lib:format("~0p") and Kernel.inspect/1.
 *
 * The printer walks the term with an explicit stack, so a million-element
 * list or a deeply nested term costs heap memory, not C stack. Malformed
 * input prints as a marker and never stops the walk:
 *   <missing 0x7fb36e8ad458>   a pointer that resolves nowhere
 *   <cycle>                    a pointer back to a term being printed
 *   <unknown Zq99>             an object with an unknown tag
 *   <<_:N bytes, not in dump>> a refc or sub binary whose payload is absent
 *
 * Number formats:
 *   integers: decimal; bignums too (B16#hex forms are converted), except
 *     that past 8192 hex digits they stay in base 16 (16#...) to stay linear
 *   floats: the shortest digits that read back as the same double, written
 *     as io_lib_format:fwrite_g/1 does: plain (1.5, 100.0, 0.001) unless the
 *     exponent form is shorter or |x| >= 2^53, then d.ddde[-]x (1.0e10)
 */
#ifndef BD_TERM_PRINT_H
#define BD_TERM_PRINT_H

#include "bd.h"
#include "term/heap.h"
#include "term/maps.h"
#include "term/payload.h"

enum bd_syntax {
	BD_SYNTAX_ERLANG,
	BD_SYNTAX_ELIXIR,
};

struct bd_print_opts {
	enum bd_syntax syntax;
	unsigned depth;    /* nesting levels printed; deeper terms print as "..." ; 0 = unlimited */
	/* elements shown per list/tuple/map/binary bytes before "..." ; 0 = unlimited */
	size_t width;
	size_t max_bytes;  /* output cap; on reaching it output ends with "..." ; 0 = unlimited */
};

/* Less common options, for bd_term_print_ex (kept apart so that opts stays four fields). */
struct bd_print_extra {
	/*
	 * Lists of printable Unicode code points print as strings too (as
	 * with erl +pc unicode); by default only latin-1 printable lists do.
	 * Elixir charlists are ASCII-only either way.
	 */
	bool unicode;
	/*
	 * Refc binary payloads, for callers that print many terms of one dump;
	 * NULL: the printer indexes the =binary sections itself, once a call,
	 * when it first meets a refc or sub binary (O(sections)).
	 */
	const struct bd_bin_index *binaries;
};

/*
 * Append the text of the term root (resolved through c) to out.
 *
 * The root is nesting level 1. A list, tuple or map at a level beyond
 * o->depth prints as "..."; atoms, numbers, binaries, pids and the like
 * always print. At most o->width elements of a list or tuple, pairs of a
 * map, characters of a string or bytes of a binary are shown, then the
 * rest is elided: [1,2|...], {a,...}, #{a => 1,...}, "ab"..., <<1,2,...>>
 * (Elixir: [1, 2, ...], "ab" <> ...). A printable list is recognised from
 * its first o->width characters. Once o->max_bytes bytes are written the
 * text is cut (on a UTF-8 boundary) and "..." ends it: the output grows by
 * at most max_bytes + 3 bytes.
 *
 * Erlang: a non-empty proper list of latin-1 printable characters prints
 * as "text" (escaped as io_lib does); a binary as <<"text">> when its
 * bytes are latin-1 printable, <<"text"/utf8>> when they are printable
 * UTF-8 with non-ASCII characters, else <<1,2,3>>.
 * Elixir: ASCII-printable lists as ~c"text", printable UTF-8 binaries as
 * "text", lists of {atom, _} as [a: 1], maps whose keys are all atoms as
 * %{a: 1} (else %{:a => 1, "k" => 2}), flatmaps with an atom __struct__
 * as %Name{a: 1}; ", " between items, " | " before improper tails.
 *
 * Maps print in dump order (flatmaps in key order, hashmaps in the order
 * the dump wrote their nodes). External terms (E lines: refs, funs, remote pids) go
 * through bd_etf_print; the local node's channel is 0, another node's is
 * the id of its =visible_node (=hidden_node, =not_connected) section, or
 * "?" when the dump has none. Elixir syntax prints refs, funs, pids and ports in Elixir form and
 * any other external term in Erlang form.
 *
 * o may be NULL: Erlang syntax, no limits.
 *
 * Never fails on malformed input (see the markers above) and terminates on
 * pointer cycles whatever the limits. Cost: O(objects printed), plus per
 * list a scan of up to o->width cells (to the end without a width, or as
 * far as max_bytes could show) to tell strings and keyword lists apart,
 * and per Elixir flatmap a look at its keys. Without limits a subterm
 * shared N times prints N times, as in the VM. Memory O(nesting depth).
 * Returns BD_ENOMEM only when out->oom or the walk's own stack cannot grow.
 */
enum bd_status bd_term_print(const struct bd_term_ctx *c, const struct bd_elem *root,
			     const struct bd_print_opts *o, struct bd_buf *out,
			     struct bd_error *err);
/* bd_term_print with extra options; o and x may be NULL (defaults). */
enum bd_status bd_term_print_ex(const struct bd_term_ctx *c, const struct bd_elem *root,
				const struct bd_print_opts *o, const struct bd_print_extra *x,
				struct bd_buf *out, struct bd_error *err);

/*
 * Print an atom name (unquoted UTF-8 text, as in the dump) in the given
 * syntax. Erlang: quoted unless it is a lower-case name ([a-z] then
 * letters, digits, _ and @, latin-1 letters included) and not a reserved
 * word: foo, 'Foo bar', 'Elixir.X', '$gen_call'. Elixir: true, false and
 * nil bare, aliases without "Elixir.", others with a colon: :foo, X,
 * :"foo bar", :+. Real atoms have at most 255 characters; a longer one
 * (only a crafted dump has it) is cut after 4096 bytes with "...".
 */
void bd_print_atom(struct bd_slice name, enum bd_syntax syntax, struct bd_buf *out);

/* An atom as an Elixir keyword key with its colon: "a: ", "\"a b\": ". */
void bd_print_kw_key(struct bd_slice name, struct bd_buf *out);

#endif
