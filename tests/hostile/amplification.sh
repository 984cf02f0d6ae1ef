#!/bin/sh
# A report repeats some dump text (the slogan is in several sections):
# a string longer than 64 KiB is cut, with the length it had, so a 100 MB
# slogan is never written in full, let alone twice.
. "$(dirname "$0")/lib"

d=$tmp/big.dump
{
	printf '=erl_crash_dump:0.5\nSun Dec  6 12:00:00 2026\nSlogan: '
	head -c 100000000 /dev/zero | tr '\0' s
	printf '\n=end\n'
} >"$d"

small() {
	run 0 "$1" "$d" --format "$2" || return 1
	size=$(wc -c <"$tmp/out")
	[ "$size" -lt 1000000 ] || { echo "  $1 --format $2: $size bytes"; return 1; }
}
for cmd in analyze summary; do
	for fmt in json markdown text; do
		check "$cmd --format $fmt stays small" small "$cmd" "$fmt"
	done
done
marked() { run 0 analyze "$d" --format json && grep -qF 'sss... [cut: 100000000 bytes in all]"' "$tmp/out"; }
check "a cut string says how long it was" marked
valid() { run 0 analyze "$d" --format json && mv "$tmp/out" "$tmp/out.json" && clean "$tmp/out.json"; }
check "the cut JSON is valid" valid

# a cut never splits a character: 2-byte characters across the 64 KiB mark
{
	printf '=erl_crash_dump:0.5\nSun Dec  6 12:00:00 2026\nSlogan: s'
	i=0
	while [ $i -lt 40 ]; do printf '\303\251%.0s' $(seq 1000); i=$((i + 1)); done
	printf '\n=end\n'
} >"$tmp/wide.dump"
whole_chars() {
	run 0 summary "$tmp/wide.dump" --format json && mv "$tmp/out" "$tmp/out.json" &&
		clean "$tmp/out.json" && grep -qF '... [cut: 80001 bytes in all]' "$tmp/out.json"
}
check "the cut falls between characters" whole_chars

finish
