/*
 * An Erlang-syntax printer for external-term-format bytes, built on the
 * decoder of input/etf.h.
 */
#ifndef BD_TERM_ETF_H
#define BD_TERM_ETF_H

#include "input/etf.h"

/*
 * Maps a remote node name to the distribution channel a dump uses for it
 * (the N of <N.id.serial>, from =visible_node:N and friends).  Returns -1
 * when the node is unknown.
 */
typedef int64_t (*bd_etf_node_channel_fn)(void *ctx, const char *node,
					  size_t len);

/* Printer options; opts may be NULL, and zero fields take the defaults. */
struct bd_etf_print_opts {
	/*
	 * UTF-8 name of the local node (NUL-terminated); NULL means
	 * "nonode@nohost".  Pids, ports and refs of this node print with
	 * channel 0.
	 */
	const char *local_node;
	/*
	 * Channel of other nodes; when NULL or when it returns a negative
	 * value the channel is printed as the fixed placeholder "?", as in
	 * <?.80.0>, #Port<?.5> or #Ref<?.1.2.3>.
	 */
	bd_etf_node_channel_fn node_channel;
	void *node_ctx;
	/* containers at depth >= max_depth print as "..."; 0: no limit */
	size_t max_depth;
	/*
	 * At most max_width elements of a list or tuple, pairs of a map,
	 * characters of a string or bytes of a binary are printed, then
	 * "..." as io_lib's ~P does ([1,2|...], {1,2,...}, "ab"...,
	 * <<1,2,...>>, #{a => 1,...}); 0: no limit.
	 */
	size_t max_width;
};

/*
 * Print the ETF term in buf[0..len) as io_lib:format("~0p", [T]) does in
 * Erlang/OTP 25 (latin-1 printable range, no line breaks), passing the text
 * in UTF-8 pieces to write(wctx, s, n).  Strings are borrowed.
 *
 * Maps of up to 32 keys print in encoding order; larger ones (hash maps)
 * in the reverse order, as OTP 25 does (checked against the VM); to do so
 * the printer re-reads those maps, which costs a second pass over them and
 * an array of their term offsets.  Funs print as #Fun<M.OldIndex.OldUniq>
 * without their free variables; refs of fewer than three ids are padded
 * with zeros, as the VM does.  Known differences from ~0p: remote pids,
 * ports and refs use the channel rules of opts; bignums over 4096 bytes
 * print in base 16 (16#...) to stay linear; lists split over several
 * LIST_EXT tails (never written by term_to_binary) print element-wise.
 *
 * The printer is iterative and needs O(max_depth) memory.  Returns
 * BD_ETF_OK or an error as bd_etf_decode() does; on error, text written
 * so far is not taken back.
 */
int bd_etf_print(const uint8_t *buf, size_t len,
		 const struct bd_etf_print_opts *opts,
		 void (*write)(void *wctx, const char *s, size_t n), void *wctx,
		 struct bd_etf_error *err);

#endif /* BD_TERM_ETF_H */
