#!/bin/sh
# make bench, live snapshots: start a real node with N idle processes and a
# 10 ms timer probe, capture it with capture/beamdump-capture.escript, and
# report the capture's wall time, the CPU the target spent meanwhile (from
# /proc/PID/stat), the probe's worst lateness (how late a 10 ms timer woke:
# the scheduler delay the capture caused), the file's size, and beamdump's
# time to read the snapshot and run analyze on it.
# Usage: snapshot.sh BEAMDUMP ESCRIPT N [N ...]
set -eu
bin=$1
escript_file=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
command -v erl >/dev/null || { echo "snapshot bench: needs erlang-nox"; exit 1; }
tmp=$(mktemp -d)
target_pid=
cleanup() {
	[ -n "$target_pid" ] && kill "$target_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
umask 077
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/cookie"
clk=$(getconf CLK_TCK)

# utime + stime of a process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

for n in "$@"; do
	name=bdbench$$_$n
	rm -f "$tmp/ready" "$tmp/lat"
	# the target: N idle processes; a probe that wakes every 10 ms and writes,
	# every second, the worst lateness it saw (ms); it halts itself after 10 min
	erl -noshell -sname "$name" -setcookie "$(cat "$tmp/cookie")" +P 4000000 -eval "
		timer:apply_after(600000, erlang, halt, []),
		[spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, $n)],
		Lat = \"$tmp/lat\",
		Probe = fun Loop(T, Worst, Last) ->
			receive after 10 -> ok end,
			Now = erlang:monotonic_time(microsecond),
			W = max(Worst, (Now - T) / 1000 - 10),
			case Now - Last > 1000000 of
				true -> file:write_file(Lat, io_lib:format(\"~.1f~n\", [W]), [append]),
					Loop(Now, 0, Now);
				false -> Loop(Now, W, Last)
			end
		end,
		T0 = erlang:monotonic_time(microsecond),
		spawn(fun() -> Probe(T0, 0, T0) end),
		file:write_file(\"$tmp/ready\", os:getpid())." >/dev/null 2>&1 &
	target_pid=$!
	for _ in $(seq 1 600); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
	[ -s "$tmp/ready" ] || { echo "snapshot bench: the target with $n processes did not start"; exit 1; }
	os_pid=$(cat "$tmp/ready")
	sleep 2
	lines_before=$(wc -l <"$tmp/lat")
	cpu0=$(cpu_ticks "$os_pid")
	t0=$(date +%s.%N)
	escript "$escript_file" "$name@$(hostname -s)" -o "$tmp/snap.bdsnap" \
		--cookie-file "$tmp/cookie" --quiet --max-duration 600
	t1=$(date +%s.%N)
	cpu1=$(cpu_ticks "$os_pid")
	sleep 1.2
	worst=$(tail -n +"$((lines_before + 1))" "$tmp/lat" | sort -n | tail -1)
	base=$(head -n "$lines_before" "$tmp/lat" | sort -n | tail -1)
	[ -n "${BENCH_VERBOSE:-}" ] && echo "lateness before: $(head -n "$lines_before" "$tmp/lat" | tr "\n" " ") during: $(tail -n +"$((lines_before + 1))" "$tmp/lat" | tr "\n" " ")"
	size=$(wc -c <"$tmp/snap.bdsnap")
	awk -v n="$n" -v t0="$t0" -v t1="$t1" -v c0="$cpu0" -v c1="$cpu1" -v clk="$clk" \
		-v worst="${worst:-0}" -v base="${base:-0}" -v size="$size" 'BEGIN {
		printf "capture, %d processes (gentle): %.2f s wall, target CPU %.2f s, worst 10 ms timer lateness %.1f ms (%.1f ms idle), file %.1f MiB\n",
			n, t1 - t0, (c1 - c0) / clk, worst, base, size / 1048576 }'
	# reading is offline work: the target (and its memory) is gone first
	kill "$target_pid" 2>/dev/null || true
	wait "$target_pid" 2>/dev/null || true
	target_pid=
	python3 "$here/measure.py" "beamdump analyze" "$bin" analyze "$tmp/snap.bdsnap" |
		awk -F'\t' -v n="$n" '{ printf "read the %d-process snapshot + analyze: %.2f s, peak RSS %.1f MiB, exit %s\n", n, $2, $3, $5 }'
	python3 "$here/measure.py" "beamdump summary" "$bin" summary "$tmp/snap.bdsnap" |
		awk -F'\t' -v n="$n" '{ printf "read the %d-process snapshot + summary: %.2f s\n", n, $2 }'
done
