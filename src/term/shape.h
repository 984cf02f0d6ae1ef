/*
 * Term shapes: short descriptions of what a term is made of, for message
 * histograms and for summarising huge states without printing them.
 */
#ifndef BD_TERM_SHAPE_H
#define BD_TERM_SHAPE_H

#include "bd.h"
#include "term/heap.h"
#include "term/print.h"

/* Elements of a tuple shown by bd_term_shape; more print as "...". */
#define BD_SHAPE_TUPLE_MAX 16
/* Bytes of a bd_term_shape; longer shapes end with "...". */
#define BD_SHAPE_MAX_BYTES 1024

/*
 * A message shape for histograms: tuple/list structure and atoms kept, every other leaf "_",
 * e.g. {'$gen_cast',{write,_,_}} ; lists as [_|_] or [] ; maps as #{...}; nested to `depth` levels
 * (deeper: "_"). Deterministic so equal shapes compare equal as strings.
 *
 * The root is level 1; depth 0 means no limit (the byte cap still holds).
 * Elixir: {:"$gen_cast", {:write, _, _}}, [_ | _], %{...}, %MyApp.S{...}.
 * Pointer cycles and missing objects are "_". Tuples show at most
 * BD_SHAPE_TUPLE_MAX elements and the text at most BD_SHAPE_MAX_BYTES
 * bytes. Cost O(output). Returns BD_ENOMEM only when out->oom.
 */
enum bd_status bd_term_shape(const struct bd_term_ctx *c, const struct bd_elem *root,
			     unsigned depth, enum bd_syntax syntax, struct bd_buf *out,
			     struct bd_error *err);

/* Container nesting the summary looks into; deeper ones print as {...}, list(...), map(...). */
#define BD_SUMMARY_DEPTH 8
/* Distinct shapes a summary keeps; past it, parts print as "...". */
#define BD_SUMMARY_NODES 4096
/* Bytes of a summary; longer ones end with "...". */
#define BD_SUMMARY_MAX_BYTES 8192

/*
 * A summary of what a (possibly huge) term is made of, without printing it:
 * e.g. #{entries => map(200000 × integer => {record, integer, binary, list(2 × integer)})}
 *      list(500000 × {integer, <<_:8>>})   or  {state, list(3 × atom), map(0)}
 * Collections report their length and a unified element shape; heterogeneous
 * elements show up to 3 alternatives with counts, e.g. list(10 × (7 × integer | 3 × atom)).
 * Bounded work per element and bounded output size, even for 1M-element lists/maps.
 *
 * Wording (", " between items in both syntaxes):
 *   leaves: integer (bignums too), float, atom, pid, port, reference, fun,
 *     term (an external term of another kind), missing (a pointer that
 *     resolves nowhere), cycle (a pointer back into the path)
 *   binaries: <<_:BITS>> when every binary merged there has the same size
 *     (Elixir <<_::BITS>>), else binary
 *   tuples: element by element, {tag, integer, ...}; an atom in the first
 *     position is kept literally (record tags, '$gen_call'), so tuples with
 *     different tags or arities are different shapes; past 16 elements "..."
 *   lists: [] when always empty, else list(N × S), list(A..B × S) when the
 *     lengths vary, list(N × S | T) with an improper tail of shape T
 *   maps: map(0) when empty; a map of at most 32 atom keys shows them:
 *     #{entries => S, count => integer} (Elixir %{entries: S}, structs
 *     %MyApp.S{id: integer}); others map(N × K => V)
 *   alternatives: (N1 × S1 | N2 × S2 | N3 × S3 | N4 × ...), most frequent
 *     first, ties in the order first seen; the last part counts terms of
 *     any further shape
 * Containers nested deeper than BD_SUMMARY_DEPTH print as {...}, list(...)
 * or map(...). A summary that gave up (more than 2^27 objects visited, as
 * only a pathological DAG can need) ends with " (partial)".
 *
 * Cost: O(flat size) time; memory: BD_SUMMARY_NODES shape nodes and
 * BD_SUMMARY_DEPTH frames, whatever the term. Returns BD_ENOMEM when that
 * memory cannot be had or out->oom.
 */
enum bd_status bd_term_shape_summary(const struct bd_term_ctx *c, const struct bd_elem *root,
				     enum bd_syntax syntax, struct bd_buf *out,
				     struct bd_error *err);

#endif
