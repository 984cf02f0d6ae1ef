#!/bin/sh
# Every report in every format is strict UTF-8, whatever bytes the dump
# holds; JSON reads a byte that is not UTF-8 as Latin-1 (\u00XX), text
# and Markdown show U+FFFD.
. "$(dirname "$0")/lib"

# Kuhn's decoder stress test: overlongs, surrogates, past U+10FFFF, lone
# continuation bytes, impossible bytes, a sequence cut by the end of line
cases='overlong:\340\200\200 overlong_slash:\300\257 surrogate:\355\240\200 pair:\355\240\200\355\260\200 past_max:\364\220\200\200 lone:\200\277 impossible:\376\377 cut:\342\202'

for c in $cases; do
	name=${c%%:*}
	bytes=${c#*:}
	d=$tmp/$name.dump
	make_dump "$d" "a${bytes}b"
	printf '=proc:<0.80.0>\nState: Waiting\nName: n%bm\nSpawned as: m:f/0\nMessage queue length: 0\nReductions: 1\nMemory: 1000\n=end\n' "$bytes" >>"$d"
	check "$name: every report is UTF-8" every_report "$d"
done

# the issue's reproducer: ED A0 80 in the slogan
make_dump "$tmp/s.dump" 'a\355\240\200b'
latin1() { run 0 summary "$tmp/s.dump" --format json && grep -qF '"slogan": "a\u00ed\u00a0\u0080b"' "$tmp/out"; }
check "JSON writes a stray byte as \\u00XX" latin1
fffd() { run 0 summary "$tmp/s.dump" && grep -q "slogan  *a$(printf '\357\277\275\357\277\275\357\277\275')b" "$tmp/out"; }
check "text shows U+FFFD" fffd
# well-formed text passes as it is
make_dump "$tmp/k.dump" '\316\272\341\275\271\317\203\316\274\316\265'
kosme() { run 0 summary "$tmp/k.dump" --format json && grep -qF "\"slogan\": \"$(printf '\316\272\341\275\271\317\203\316\274\316\265')\"" "$tmp/out"; }
check "valid UTF-8 is kept" kosme

finish
