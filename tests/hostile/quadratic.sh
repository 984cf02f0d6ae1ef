#!/bin/sh
# Printing costs what is printed: 68 references to a tuple that holds a
# 100 MB atom, in one message. Walking the atom once per reference took
# 75 s of CPU; the CPU limit (far above what the bounded printer needs,
# even under sanitizers) turns a regression into a failure, not a hang.
. "$(dirname "$0")/lib"

d=$tmp/q.dump
refs=$(i=0; while [ $i -lt 68 ]; do printf 'H7F0000000100'; i=$((i + 1)); [ $i -lt 68 ] && printf ','; done)
{
	printf '=erl_crash_dump:0.5\nSun Dec  6 12:00:00 2026\nSlogan: quadratic\n'
	printf 'System version: Erlang/OTP 26 [erts-14.0] [source] [64-bit]\n'
	printf '=proc:<0.80.0>\nState: Waiting\nSpawned as: m:f/0\nMessage queue length: 1\n'
	printf 'Reductions: 1\nStack+heap: 233\nOldHeap: 0\nHeap unused: 0\nOldHeap unused: 0\n'
	printf 'Memory: 1000\nProgram counter: 0x00007f7bc220120c (m:f/0 + 68)\n'
	printf '=proc_messages:<0.80.0>\nH7F0000000200:N\n'
	printf '=proc_stack:<0.80.0>\n0x00007f7bc3fe63f0:SReturn addr 0xC2200C30 (<terminate process normally>)\n'
	printf '=proc_heap:<0.80.0>\n7F0000000200:t44:%s\n7F0000000100:t1:A5F5E100:' "$refs"
	head -c 100000000 /dev/zero | tr '\0' a
	printf '\n=end\n'
} >"$d"

bounded() {
	(ulimit -t 60; "$bin" "$@" >"$tmp/out" 2>"$tmp/err")
	st=$?
	[ $st = 0 ] || { echo "  $*: exit $st"; return 1; }
	size=$(wc -c <"$tmp/out")
	[ "$size" -lt 1000000 ] || { echo "  $*: $size bytes of output"; return 1; }
}
for fmt in text json markdown; do
	check "proc --format $fmt" bounded proc "$d" '<0.80.0>' --format "$fmt"
done
check "states --print" bounded states "$d" --print
check "analyze" bounded analyze "$d"
printed() { grep -q '{{aaaaaaaa*\.\.\.' "$tmp/out"; }
check "the message is printed, cut" eval 'bounded proc "$d" "<0.80.0>" && printed'

finish
