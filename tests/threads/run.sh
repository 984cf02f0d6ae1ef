#!/bin/sh
# analyze, states, leaks and deadlocks on a truncated 200 000-process dump
# must give the same report on one thread as on several, and (built with
# SAN=thread) run without a data race report. The dump is written by a real
# node, then cut halfway through the per-process sections, so that 100 000
# processes have no stack or heap: lookups then use the pid map, which
# threads share. It is made once into DIR (default build/threads).
# Usage: run.sh BEAMDUMP [DIR]
set -eu
bin=$1
dir=${2:-build/threads}
cut=$dir/procs200k.cut.dump
mkdir -p "$dir"
if [ ! -s "$cut" ]; then
	command -v erl >/dev/null || { echo "threads: needs erlang-nox (apt-get install -y erlang-nox)"; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cat >"$tmp/threads_dump.erl" <<'ERL'
-module(threads_dump).
-export([main/0]).

idle(State) -> receive stop -> State end.

main() ->
    [spawn(fun() -> idle({I, [I], <<"state">>}) end) || I <- lists:seq(1, 200000)],
    Sink = spawn(fun() -> idle(sink) end),
    [Sink ! {msg, I} || I <- lists:seq(1, 1000)],
    erlang:halt("threads: 200k processes").
ERL
	(cd "$tmp" && erlc threads_dump.erl)
	# no distribution, so no node name to clash; timeout bounds the node's life
	ERL_CRASH_DUMP="$tmp/full.dump" ERL_CRASH_DUMP_SECONDS=-1 timeout 600 \
		erl -noshell +P 1000000 -pa "$tmp" -run threads_dump main >/dev/null 2>&1 || true
	[ -s "$tmp/full.dump" ] || { echo "threads: no dump written"; exit 1; }
	first=$(grep -a -b -m1 '^=proc_stack:' "$tmp/full.dump" | cut -d: -f1)
	size=$(wc -c <"$tmp/full.dump")
	head -c $((first + (size - first) / 2)) "$tmp/full.dump" >"$cut.tmp"
	mv "$cut.tmp" "$cut"
fi
fail=0
for cmd in analyze states leaks deadlocks; do
	for n in 1 4; do
		TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" \
			"$bin" "$cmd" "$cut" --format json --threads $n >"$dir/$cmd.$n" 2>"$dir/$cmd.$n.err" ||
			{ echo "FAIL $cmd --threads $n: exit $?"; head -40 "$dir/$cmd.$n.err"; fail=1; }
	done
	cmp -s "$dir/$cmd.1" "$dir/$cmd.4" || { echo "FAIL $cmd: --threads 4 differs from --threads 1"; fail=1; }
done
grep -q '"truncated": true' "$dir/analyze.1" || { echo "FAIL the cut dump is not reported truncated"; fail=1; }
[ $fail = 0 ] && echo "threads: 4 reports on a cut 200k-process dump, 1 and 4 threads: ok"
exit $fail
