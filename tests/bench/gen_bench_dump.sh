#!/bin/sh
# Write a large crash dump (~500 MB) with a real node: 400 000 idle
# processes, one process with 1 000 000 queued messages, and a registered
# gen_server whose state is a 600 000-entry map. Output is never committed.
# Usage: gen_bench_dump.sh OUT.dump
set -eu
out=$(realpath -m "$1")
rm -f "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
(cd "$tmp" && erlc bench_srv.erl)
start=$(date +%s)
ERL_CRASH_DUMP="$out" ERL_CRASH_DUMP_SECONDS=-1 erl -noshell +P 2000000 +S 2:2 -pa "$tmp" -run bench_srv main >/dev/null 2>&1 || true
[ -s "$out" ] || { echo "gen_bench_dump: no dump written" >&2; exit 1; }
echo "wrote $out: $(($(wc -c <"$out") / 1048576)) MiB in $(($(date +%s) - start)) s"
