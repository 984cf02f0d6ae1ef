#!/bin/sh
# make bench: time beamdump against `wc -l` on the same file and against
# OTP's crashdump_viewer, on a large dump written by a real node.
# The dump is generated once into $BENCH_DIR (default build/bench) and reused.
set -eu
bin=$1
decode_all=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-build/bench}
dump=$dir/bench.dump
mkdir -p "$dir"
if [ ! -s "$dump" ]; then
	command -v erl >/dev/null || { echo "bench: needs erlang-nox (apt-get install -y erlang-nox erlang-observer)"; exit 1; }
	echo "generating $dump with a real node (a few minutes)..."
	"$here/gen_bench_dump.sh" "$dump"
fi
size=$(wc -c <"$dump")
echo "dump: $dump, $((size / 1048576)) MiB"
cat "$dump" >/dev/null # warm the page cache: every figure below is from a warm cache
m="python3 $here/measure.py"
out=$dir/results.tsv
{
	$m "wc -l" wc -l "$dump"
	$m "beamdump summary" "$bin" summary "$dump"
	$m "beamdump procs --limit 20" "$bin" procs "$dump" --limit 20
	$m "beamdump procs --sort mq -n 20" "$bin" procs "$dump" --sort mq --limit 20
	$m "beamdump ets" "$bin" ets "$dump"
	$m "beamdump alloc" "$bin" alloc "$dump"
	$m "beamdump proc mailbox_1m (1M msgs)" "$bin" proc "$dump" mailbox_1m
	$m "beamdump states" "$bin" states "$dump"
	$m "beamdump leaks" "$bin" leaks "$dump"
	$m "beamdump deadlocks" "$bin" deadlocks "$dump"
	$m "beamdump analyze" "$bin" analyze "$dump"
	# two captures (the same dump twice): the goal is at most twice analyze's time
	$m "beamdump check --baseline (2 dumps)" "$bin" check "$dump" --baseline "$dump" \
		--max-growth total=10 --max-queue 1000000
	$m "beamdump diff (2 dumps)" "$bin" diff "$dump" "$dump"
	if [ "${BENCH_SKIP_CDV:-0}" != 1 ] && command -v escript >/dev/null; then
		$m "crashdump_viewer read+processes" escript "$here/cdv_load.escript" "$dump"
	fi
} >"$out"
awk -F'\t' -v size="$size" '
	NR == 1 { wc = $2 }
	{ printf "%-34s %8.2f s  %7.2fx wc -l  peak RSS %7.1f MiB  peak anon %7.1f MiB (%.2f%% of dump)  exit %s\n",
		$1, $2, $2 / wc, $3, $4, $4 * 1048576 * 100 / size, $5 }' "$out"
if [ -n "$decode_all" ]; then
	"$decode_all" "$dump"
fi
