#!/bin/sh
# Write a bench crash dump of a given shape with a real node; never committed.
#   bench        ~500 MB: 400 000 idle processes, a 1M-message mailbox and a
#                registered gen_server whose state is a 600 000-entry map
#   map_state    ~570 MB: 400 000 processes, a 1M-message mailbox and a
#                600 000-entry map state built in an escript (its heap is not
#                in the order the dump writes it)
#   mailbox_hog  ~1.3 GB: 100 000 linked workers holding 200-element lists and a
#                3M-message mailbox of heap binaries
#   huge         ~14 GB: 100 000 linked workers holding 3 800-element lists and a
#                2.46M-message mailbox of heap binaries (needs ~8 GB of memory)
# Usage: gen_dump.sh SHAPE OUT.dump
set -eu
shape=$1
out=$(realpath -m "$2")
rm -f "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the gen_server holding a state it is given, and a worker holding a list
cat >"$tmp/bench_shape.erl" <<'ERL'
-module(bench_shape).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2, workers/2, fill/2, idle/1]).

init(State) -> {ok, State}.
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.

idle(State) -> receive stop -> State end.

%% N workers, each linked to the one before it, each holding a Len-element list
workers(N, Len) -> workers(N, Len, self()).
workers(0, _, _) -> ok;
workers(N, Len, Prev) ->
    W = spawn(fun() -> link(Prev), idle(lists:seq(N, N + Len - 1)) end),
    workers(N - 1, Len, W).

%% M messages to Sink, each holding heap binaries (64 bytes or less)
fill(Sink, M) ->
    [Sink ! {msg, I, <<"heap binary payload ", I:64>>, [<<I:32>>, <<"x">>]}
     || I <- lists:seq(1, M)],
    ok.
ERL
cat >"$tmp/map_state.escript" <<'ERL'
#!/usr/bin/env escript
%% the state is built here, in interpreted code, then handed to the server
main(_) ->
    [spawn(fun() -> bench_shape:idle({I, [I]}) end) || I <- lists:seq(1, 400000)],
    Entries = maps:from_list([{K, {record, K, integer_to_binary(K), [K, K + 1]}}
                              || K <- lists:seq(1, 600000)]),
    {ok, _} = gen_server:start({local, map_state_srv}, bench_shape, #{entries => Entries}, []),
    Sink = spawn(fun() -> bench_shape:idle(sink) end),
    register(mailbox_1m, Sink),
    [Sink ! {msg, I, <<"payload">>, {I, [I]}} || I <- lists:seq(1, 1000000)],
    erlang:halt("bench: 400k processes, a 1M-message mailbox, a 600k-entry map state built in an escript").
ERL
cat >"$tmp/mailbox_hog.escript" <<'ERL'
#!/usr/bin/env escript
main([Workers, Len, Msgs]) ->
    [W, L, M] = [list_to_integer(A) || A <- [Workers, Len, Msgs]],
    process_flag(trap_exit, true),
    ok = bench_shape:workers(W, L),
    Hog = spawn(fun() -> bench_shape:idle(hog) end),
    register(mailbox_hog, Hog),
    ok = bench_shape:fill(Hog, M),
    erlang:halt(lists:flatten(io_lib:format("bench: ~b linked workers, a ~b-message mailbox", [W, M]))).
ERL
cat >"$tmp/bench_srv.erl" <<'ERL'
-module(bench_srv).
-behaviour(gen_server).
-export([main/0, init/1, handle_call/3, handle_cast/2]).

init(N) -> {ok, maps:from_list([{K, {K, <<"v">>, [K]}} || K <- lists:seq(1, N)])}.
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.

idle() -> receive stop -> ok end.

%% an idle process with a little state of its own (a stack slot and a heap term)
idle(State) -> receive stop -> State end.

main() ->
    [spawn(fun() -> idle({I, [I]}) end) || I <- lists:seq(1, 400000)],
    {ok, _} = gen_server:start({local, big_map_srv}, ?MODULE, 600000, []),
    Sink = spawn(fun idle/0),
    register(mailbox_1m, Sink),
    [Sink ! {msg, I, <<"payload">>, {I, [I]}} || I <- lists:seq(1, 1000000)],
    erlang:halt("bench: 400k processes, a 1M-message mailbox, a 600k-entry map state").
ERL
(cd "$tmp" && erlc bench_shape.erl bench_srv.erl)
case $shape in
bench) script= args= ;;
map_state) script=map_state.escript args= ;;
mailbox_hog) script=mailbox_hog.escript args="100000 200 3000000" ;;
huge) script=mailbox_hog.escript args="100000 3800 2460000" ;;
*) echo "gen_dump: unknown shape $shape" >&2; exit 2 ;;
esac
start=$(date +%s)
# the node stops itself with erlang:halt/1; timeout bounds it if it does not
export ERL_CRASH_DUMP="$out" ERL_CRASH_DUMP_SECONDS=-1
if [ -z "$script" ]; then
	timeout 3600 erl -noshell +P 2000000 +S 2:2 -pa "$tmp" -run bench_srv main >/dev/null 2>&1 || true
else
	# shellcheck disable=SC2086
	ERL_FLAGS="+P 4000000 +S 2:2 -pa $tmp" timeout 3600 escript "$tmp/$script" $args \
		>/dev/null 2>&1 || true
fi
[ -s "$out" ] || { echo "gen_dump: no dump written" >&2; exit 1; }
echo "wrote $out: $(($(wc -c <"$out") / 1048576)) MiB in $(($(date +%s) - start)) s"
