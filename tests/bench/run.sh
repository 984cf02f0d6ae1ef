#!/bin/sh
# make bench: time beamdump against `wc -l` on the same file (and against
# OTP's crashdump_viewer on the first), on dumps of different shapes written
# by real nodes:
#   bench        400k processes, a 1M-message mailbox, a 600k-entry map state
#   map_state    the same, with the map state built in an escript (its heap is
#                not in the order the dump writes it)
#   mailbox_hog  100k linked workers with 200-element lists, a 3M-message
#                mailbox of heap binaries
# --huge: the same table on one ~14 GB dump (make bench-huge; not run by CI).
# Dumps are generated once into $BENCH_DIR (default build/bench) and reused.
# Usage: run.sh [--huge] BEAMDUMP [DECODE_ALL]
set -eu
huge=0
if [ "${1:-}" = "--huge" ]; then huge=1; shift; fi
bin=$1
decode_all=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-build/bench}
mkdir -p "$dir"
command -v erl >/dev/null || { echo "bench: needs erlang-nox (apt-get install -y erlang-nox erlang-observer)"; exit 1; }
m="python3 $here/measure.py"
# each beamdump figure is the median of three runs (BENCH_RUNS), wc -l's too
export BENCH_RUNS=${BENCH_RUNS:-3}
rates=$dir/rates.tsv
: >"$rates"

# shape, mailbox process, messages in it
if [ $huge = 1 ]; then
	shapes="huge:mailbox_hog:2460000"
else
	shapes="bench:mailbox_1m:1000000 map_state:mailbox_1m:1000000 mailbox_hog:mailbox_hog:3000000"
fi
echo "$(nproc) online CPUs; every figure from a warm page cache; times are wall clock," \
	"each the median of $BENCH_RUNS runs"
for spec in $shapes; do
	shape=${spec%%:*}
	rest=${spec#*:}
	mbox=${rest%%:*}
	msgs=${rest#*:}
	dump=$dir/$shape.dump
	if [ ! -s "$dump" ]; then
		echo "generating $dump with a real node..."
		"$here/gen_dump.sh" "$shape" "$dump"
	fi
	size=$(wc -c <"$dump")
	echo
	echo "== $shape: $dump, $((size / 1048576)) MiB"
	cat "$dump" >/dev/null # warm the page cache
	out=$dir/$shape.tsv
	{
		$m "wc -l" wc -l "$dump"
		$m "beamdump summary" "$bin" summary "$dump"
		$m "beamdump procs --limit 20" "$bin" procs "$dump" --limit 20
		$m "beamdump procs --sort mq -n 20" "$bin" procs "$dump" --sort mq --limit 20
		$m "beamdump ets" "$bin" ets "$dump"
		$m "beamdump alloc" "$bin" alloc "$dump"
		$m "beamdump proc $mbox" "$bin" proc "$dump" "$mbox"
		$m "beamdump states" "$bin" states "$dump"
		$m "beamdump leaks" "$bin" leaks "$dump"
		$m "beamdump deadlocks" "$bin" deadlocks "$dump"
		$m "beamdump memory" "$bin" memory "$dump"
		$m "beamdump analyze" "$bin" analyze "$dump"
		# two captures (the same dump twice): the goal is at most twice analyze's time
		$m "beamdump check --baseline (2 dumps)" "$bin" check "$dump" --baseline "$dump" \
			--max-growth total=10 --max-queue 1000000
		$m "beamdump diff (2 dumps)" "$bin" diff "$dump" "$dump"
		$m "beamdump analyze --threads 1" "$bin" analyze "$dump" --threads 1
		$m "beamdump states --threads 1" "$bin" states "$dump" --threads 1
		if [ "$shape" = bench ] && [ "${BENCH_SKIP_CDV:-0}" != 1 ] && command -v escript >/dev/null; then
			BENCH_RUNS=1 $m "crashdump_viewer read+processes" escript "$here/cdv_load.escript" "$dump"
		fi
	} >"$out"
	awk -F'\t' -v size="$size" -v msgs="$msgs" '
		NR == 1 { wc = $2 }
		{ t[$1] = $2
		  printf "%-36s %8.2f s  %7.2fx wc -l  peak RSS %7.1f MiB  peak anon %7.1f MiB (%.2f%% of dump)  exit %s\n",
			$1, $2, $2 / wc, $3, $4, $4 * 1048576 * 100 / size, $5
		  if ($1 ~ /^beamdump proc /) printf "%-36s %8.2f s per million queued messages\n", "", $2 / (msgs / 1e6) }
		END {
		  printf "speed-up on %d threads: analyze %.2fx, states %.2fx (against --threads 1)\n", cpus,
			t["beamdump analyze --threads 1"] / t["beamdump analyze"],
			t["beamdump states --threads 1"] / t["beamdump states"] }' cpus="$(nproc)" "$out"
	if [ -n "$decode_all" ]; then
		"$decode_all" "$dump" | tee "$dir/$shape.decode"
		awk -v s="$shape" '{ for (i = 1; i < NF; i++) if ($(i + 1) == "MiB/s") print s "\t" $i }' \
			"$dir/$shape.decode" >>"$rates"
	fi
done
if [ -s "$rates" ]; then
	echo
	sort -t "$(printf '\t')" -k2,2n "$rates" | awk -F'\t' '
		NR == 1 { slow = $1; rate = $2 }
		{ printf "heap decoding: %-12s %8.0f MiB/s\n", $1, $2 }
		END { printf "slowest shape: %s (%.0f MiB/s)\n", slow, rate }'
fi
