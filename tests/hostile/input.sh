#!/bin/sh
# Compressed and piped input: gzip, zstd and xz give the plain dump's report;
# what is not a dump stops before anything is written; bombs stop at the
# --max-inflate cap with bounded disk use; damaged data is an input error,
# data cut short a truncated dump; out of memory is exit status 4.
. "$(dirname "$0")/lib"

spool=$tmp/spool
mkdir "$spool"
export TMPDIR="$spool"
# limited KIB CMD...: CMD may write no file past KIB KiB (POSIX ulimit -f
# counts 512-byte blocks); beyond it the kernel stops it with SIGXFSZ
limited() { (ulimit -f $(($1 * 2)) && shift && "$@"); }

plain=$fixtures/multiline_slogan.dump
gzip -c <"$plain" >"$tmp/d.gz"
zstd -q -c <"$plain" >"$tmp/d.zst"
xz -c <"$plain" >"$tmp/d.xz"
half=$(($(wc -c <"$plain") / 2))
head -c "$half" "$plain" >"$tmp/a"
tail -c +"$((half + 1))" "$plain" >"$tmp/b"
{ gzip -c "$tmp/a"; gzip -c "$tmp/b"; } >"$tmp/multi.gz"
{ zstd -q -c "$tmp/a"; zstd -q -c "$tmp/b"; } >"$tmp/multi.zst"
{ xz -c "$tmp/a"; xz -c "$tmp/b"; } >"$tmp/multi.xz"

# the same report, key by key, but for the name and the compression
report() {
	"$bin" summary "$@" --format json | grep -v '"file"\|"gzipped"\|"compression"'
}
report "$plain" >"$tmp/want"
same_report() { report "$@" | cmp -s - "$tmp/want"; }
for f in d.gz d.zst d.xz multi.gz multi.zst multi.xz; do
	check "$f reads as the plain dump" same_report "$tmp/$f"
	check "$f from a pipe reads as the plain dump" eval 'cat "$tmp/$f" | same_report -'
done
check "zstd is named in the report" eval '"$bin" summary "$tmp/d.zst" | grep -q "compression *zstd"'
check "xz is named in the JSON" eval '"$bin" summary "$tmp/d.xz" -f json | grep -q "\"compression\": \"xz\""'

# cut short: read as far as it goes, flagged, exit 0
for c in gz zst xz; do
	size=$(wc -c <"$tmp/d.$c")
	head -c $((size * 2 / 3)) "$tmp/d.$c" >"$tmp/cut.$c"
done
check "cut gzip is truncated" eval 'run 0 summary "$tmp/cut.gz" && grep -q "the gzip file ends early" "$tmp/out"'
check "cut zstd is truncated" eval 'run 0 summary "$tmp/cut.zst" && grep -q "the zstd file ends early" "$tmp/out"'
check "cut xz is truncated" eval 'run 0 summary "$tmp/cut.xz" && grep -q "the xz file ends early" "$tmp/out"'

# damaged: its own message, exit 3, even when all of the text inflated
flip() {  # flip FILE OFFSET_FROM_END OUT
	cp "$1" "$3"
	at=$(($(wc -c <"$1") - $2))
	byte=$(od -An -tu1 -j "$at" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of="$3" bs=1 seek="$at" conv=notrunc 2>/dev/null
}
flip "$tmp/d.gz" 8 "$tmp/crc.gz"
flip "$tmp/d.gz" $(($(wc -c <"$tmp/d.gz") / 2)) "$tmp/deflate.gz"
flip "$tmp/d.zst" 2 "$tmp/sum.zst"
flip "$tmp/d.xz" 30 "$tmp/bad.xz"
check "gzip -t sees the bad CRC" eval '! gzip -t "$tmp/crc.gz" 2>/dev/null'
check "bad gzip CRC" eval 'run 3 summary "$tmp/crc.gz" && err_has "corrupt gzip data" && err_has "not cut short"'
check "bad deflate data" eval 'run 3 summary "$tmp/deflate.gz" && err_has "corrupt gzip data"'
check "bad zstd checksum" eval 'run 3 summary "$tmp/sum.zst" && err_has "corrupt zstd data"'
check "bad xz data" eval 'run 3 summary "$tmp/bad.xz" && err_has "corrupt xz data"'

# not a dump: refused on its first bytes, nothing written (1 KiB file limit)
check "summary /dev/zero" eval 'limited 1 run 3 summary /dev/zero && err_has "not an Erlang crash dump"'
check "stdin from /dev/zero" eval 'limited 1 run 3 summary - </dev/zero && err_has "not an Erlang crash dump"'
# 10 GiB of zeros as 160 gzip members of 64 MiB (46 MB), built here, never committed
head -c 64M /dev/zero | gzip -1 >"$tmp/z64.gz"
i=0
while [ $i -lt 160 ]; do cat "$tmp/z64.gz"; i=$((i + 1)); done >"$tmp/bomb.gz"
rm "$tmp/z64.gz"
check "10 GiB gzip bomb" eval 'limited 1 run 3 summary "$tmp/bomb.gz" && err_has "not an Erlang crash dump"'
check "10 GiB gzip bomb on stdin" eval 'limited 1 run 3 summary - <"$tmp/bomb.gz"'
check "10 GiB gzip bomb from a pipe" eval 'cat "$tmp/bomb.gz" | limited 1 run 3 analyze -'
rm "$tmp/bomb.gz"
check "zstd bomb" eval 'head -c 256M /dev/zero | zstd -q -c | limited 1 run 3 leaks - && err_has "not an Erlang crash dump"'
check "xz bomb" eval 'head -c 64M /dev/zero | xz -1 -c | limited 1 run 3 states - && err_has "not an Erlang crash dump"'

# a dump header, then 64 MiB of zeros: stopped at the cap, disk use bounded by it
header='=erl_crash_dump:0.5\nSun Dec  6 12:00:00 2026\nSlogan: bomb\n'
{ printf "$header" | gzip -c; head -c 64M /dev/zero | gzip -1 -c; } >"$tmp/hbomb.gz"
# deflate cannot beat the default ratio; xz packs the same zeros far tighter
{ printf "$header"; head -c 64M /dev/zero; } | xz -c >"$tmp/hbomb.xz"
cap_kib=$(($(wc -c <"$tmp/hbomb.xz") + 1024))  # KiB: 1024 times the file, and room
check "default cap: 1024 times the file" eval 'limited $cap_kib run 3 summary "$tmp/hbomb.xz" &&
	err_has "times its compressed size" && err_has "--max-inflate SIZE"'
check "--max-inflate lowers the cap" eval 'limited 2048 run 3 procs "$tmp/hbomb.gz" --max-inflate 1M &&
	err_has "more than 1.0 MiB (the --max-inflate limit)"'
check "--max-inflate raises the cap" eval 'run 0 summary "$tmp/hbomb.gz" --max-inflate=65M'
check "cap on a pipe" eval 'cat "$tmp/hbomb.gz" | limited 2048 run 3 summary - --max-inflate 1M'
check "cap on plain stdin" eval '{ printf "$header"; head -c 8M /dev/zero; } |
	limited 2048 run 3 summary - --max-inflate 1M && err_has "the --max-inflate limit"'
check "bad --max-inflate" eval 'run 2 summary "$plain" --max-inflate 10X && err_has "--max-inflate needs a size"'
check "zero --max-inflate" run 2 summary "$plain" --max-inflate 0
check "--max-inflate past 2^64" run 2 summary "$plain" --max-inflate 17179869184G
for c in analyze summary procs states leaks deadlocks ets alloc; do
	check "$c takes --max-inflate" run 0 $c "$tmp/d.zst" --max-inflate 2G
done
check "proc takes --max-inflate" run 0 proc "$tmp/d.xz" '<0.0.0>' --max-inflate 1m
check "check applies --max-inflate" eval 'run 3 check "$tmp/d.gz" --max-inflate 64K && err_has "the --max-inflate limit"'
check "diff applies --max-inflate" eval 'run 3 diff "$tmp/d.zst" "$tmp/d.xz" --max-inflate 64K && err_has "the --max-inflate limit"'

# encrypted dumps need the node's private key, compressed or not
printf 'ENC0\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' >"$tmp/enc.dump"
gzip -c "$tmp/enc.dump" >"$tmp/enc.dump.gz"
check "ENC0" eval 'run 3 summary "$tmp/enc.dump" && err_has "encrypted" && err_has "private key"'
check "ENC0 in gzip" eval 'run 3 summary "$tmp/enc.dump.gz" && err_has "private key"'

# out of memory is 4: a 2 GiB dump cannot be mapped in 512 MiB of address space
# (not under AddressSanitizer or ThreadSanitizer, which reserve terabytes of it)
if ! grep -q '__asan_init\|__tsan_init' "$bin"; then
	cp "$plain" "$tmp/big.dump"
	truncate -s 2G "$tmp/big.dump"
	check "mmap ENOMEM is exit 4" eval '(ulimit -v 524288 && run 4 summary "$tmp/big.dump") && err_has "out of memory"'
	rm "$tmp/big.dump"
fi

check "temporary space is left empty" eval '[ -z "$(ls -A "$spool")" ]'
finish
