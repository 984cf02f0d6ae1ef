#!/bin/sh
# Rebuild the seed corpus of the fuzz targets (tests/fuzz/corpus/{term,dump})
# from fixtures/*.dump.gz, the ETF vectors of the unit tests and a set of
# hand-made edge cases.  Deterministic: running it twice gives the same files.
#
#   tests/fuzz/make_corpus.sh          (from anywhere in the tree)
#
# Needs a POSIX shell, awk, gzip, base64 and od.  Keep the whole corpus under
# 2 MB: the sizes below (bytes kept per section, sections kept per tag) are
# chosen for that.
#
# fuzz_term inputs start with a mode byte (see fuzz_term.c):
#   \000 heap lines (0.5, 64-bit)   \001 heap lines (0.3, 32-bit, hex payloads)
#   \002 ETF                        \003 ETF with print limits and options
set -eu
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
fx=$top/fixtures
out=$top/tests/fuzz/corpus
vectors=$top/tests/unit/etf_vectors.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

rm -rf "$out/term" "$out/dump"
mkdir -p "$out/term" "$out/dump"
T=$out/term
D=$out/dump

# with a mode byte in front: seed MODE NAME < payload
seed() {
	{ printf "\\$1"; cat; } > "$T/$2"
}

# ------------------------------------------------------------------- dumps

# sample FIXTURE: the preamble, the first K sections of every tag, the
# proc_* sections of the processes kept and =end, each section cut to MAX
# bytes (a long line, such as a =binary payload, is cut mid-line).
# Processes kept: the first two, plus up to four named or busy ones.
sample() {
	zcat "$1" | awk '
		/^=proc:/ { pid = substr($0, 7); n++; all[n] = pid; next }
		/^=/ { pid = "" ; next }
		pid != "" && (/^Name: / || /^Message queue length: [1-9]/ ||
			      (/^State: / && !/Waiting/)) { busy[pid] = 1 }
		END {
			for (i = 1; i <= n && i <= 2; i++) printf "%s\n", all[i]
			k = 0
			for (i = n; i > 2 && k < 4; i--)
				if (all[i] in busy) { printf "%s\n", all[i]; k++ }
		}' > "$tmp/pids"
	zcat "$1" | awk -v K=2 -v MAX=1024 -v pidfile="$tmp/pids" '
		BEGIN { while ((getline p < pidfile) > 0) want[p] = 1 }
		/^=/ {
			tag = substr($0, 2); id = ""
			i = index(tag, ":")
			if (i) { id = substr(tag, i + 1); tag = substr(tag, 1, i - 1) }
			if (tag == "erl_crash_dump" || tag == "end" || tag == "abort")
				keep = 1
			else if (tag == "proc" || tag ~ /^proc_/)
				keep = (id in want)
			else
				keep = (++seen[tag] <= K)
			if (keep) print
			bytes = 0
			next
		}
		keep && bytes < MAX {
			left = MAX - bytes
			if (length($0) + 1 > left) { print substr($0, 1, left); bytes = MAX; next }
			print; bytes += length($0) + 1
		}'
}

for f in "$fx"/*.dump.gz; do
	name=$(basename "$f" .dump.gz)
	sample "$f" > "$D/sample-$name"
done

# the first 16 KiB of a few dumps: preamble, schedulers, memory, cut mid-line
for name in basic truncated_bytes multiline_slogan elixir_basic do_boot; do
	zcat "$fx/$name.dump.gz" | head -c 16384 > "$D/head-$name"
done

# truncation the two ways a writer stops: ERL_CRASH_DUMP_BYTES and a kill
head -c 20000 "$D/sample-basic" > "$D/trunc-abort-basic"
printf '\n=abort:CRASH DUMP SIZE LIMIT REACHED\n' >> "$D/trunc-abort-basic"
head -c 15000 "$D/sample-deadlock" > "$D/trunc-kill-deadlock"
# a Windows dump: CRLF everywhere
awk '{ printf "%s\r\n", $0 }' "$D/sample-oom" > "$D/crlf-oom"

P25='=erl_crash_dump:0.5
Sun Nov 29 18:35:24 2026
Slogan: edge
System version: Erlang/OTP 25 [erts-13.1.5] [source] [64-bit] [smp:2:2] [ds:2:2:10] [async-threads:1] [jit:ns]
Taints: 
Atoms: 12
Calling Thread: scheduler:1
'
dump() { printf '%s' "$2" > "$D/edge-$1"; }

: > "$D/edge-empty"
dump version-only '=erl_crash_dump:0.5
'
dump end-only '=end
'
dump pre-r10b '<Erlang crash dump>
Slogan: old
Erlang (BEAM) emulator version 5.1
<End of Erlang crash dump>
'
printf 'ENC0\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020\040\000secret\377\376' > "$D/edge-encrypted"
dump future-version '=erl_crash_dump:9.99
x
Slogan: from the future
System version: Erlang/OTP 99 [erts-99.0] [64-bit]
=end
'
dump bad-version '=erl_crash_dump:0.18446744073709551616
x
Slogan: s
=erl_crash_dump:
=erl_crash_dump:a.b
=end
'
dump glued-slogan '=erl_crash_dump:0.5
Wed Dec 04 23:40:49 2019
Slogan: Crash dump requested by userSystem version: Erlang/OTP 24 [erts-12.0.2] [source] [64-bit]
Taints: asn1rt_nif,crypto
Atoms: 1
Calling Thread: 1_aux
=end
'
dump multiline-slogan '=erl_crash_dump:0.5
x
Slogan: line one
=line two starts with =
System version: not really
System version: Erlang/OTP 25 [erts-13.1.5]
Atoms: 99999999999999999999999
=end
'
dump r11b '=erl_crash_dump:0.1
Tue Feb  6 10:00:00 2007
Slogan: init terminating in do_boot ()
Erlang (BEAM) emulator version 5.5.5 [async-threads:0]
Compiled: Tue Jan 16 10:00:00 2007
Atoms: 4000
=proc:<0.0.0>
State: Running
Spawned as: otp_ring0:start/2
Message queue length: 0
Number of heap fragments: 0
Reductions: 2
Stack+heap: 610
OldHeap: 0
Heap unused: 12
OldHeap unused: 0
Program counter: 0x0804d4f8 (init:loop/1 + 8)
CP: 0x00000000 (invalid)
=proc_heap:<0.0.0>
E54F79F8:t3:A9:gen_event,A7:init_it,I6
E54F7A00:E16:8371640005
E54F7A10:Yh3:616263
=end
'
dump absurd-proc "$P25"'=proc:<0.1.0>
State: Garbing
Name: '"'"'a\nb'"'"'
Spawned as: erlang:apply/2
Message queue length: 99999999999999999999999
Number of heap fragments: -1
Heap fragment data: 18446744073709551615
Reductions: 18446744073709551615
Stack+heap: 18446744073709551615
OldHeap: 18446744073709551615
Heap unused: 18446744073709551615
OldHeap unused: 1
BinVHeap: 18446744073709551615
OldBinVHeap: 18446744073709551615
BinVHeap unused: 0
OldBinVHeap unused: 0
Memory: 18446744073709551615
Program counter: 0x
Current call: 
arity = 99999999999
=proc:<0.1.0>
State: Exiting
Memory: 1
=proc:
State:
=proc:<0.2
Spawned as:
Link list: [<0.1.0>, #Port<0.3>, {from,<0.2.0>,#Ref<0.1.2.3>}
=proc:<4294967296.4294967296.4294967296>
Stack+heap: 1
=proc_stack:<0.1.0>
y0:H7FB36E8AD458
y1:SReturn addr 0x00007fb36ffcce34 (gen_server:loop/7 + 596)
0x00007f0000000000:SReturn addr 0x
y99999999999999999999:N
=proc_heap:<0.1.0>
7FB36E8AD458:t3:A9:big_state,H7FB36E8AD448,N
7FB36E8AD448:lI1|H7FB36E8AD448
=proc_messages:<0.1.0>
H7FB36E8AD458:N
=proc_dictionary:<0.1.0>
H7FB36E8AD458
=end
'
dump absurd-ets "$P25"'=ets:<0.1.0>
Slot: 18446744073709551615
Table: 4242
Name: '"'"'weird,name'"'"'
Buckets: many
Chain Length Avg: nan
Objects: 18446744073709551615
Words: 18446744073709551615
Type: bag
Protection: private
Compressed: maybe
Write Concurrency: true
Read Concurrency: true
=ets:<0.1.0>
Ordered set (AVL tree), Elements: 7
Objects: 7
Words: 99999999999999999999999
=ets:
=ets:<0.99.0>
Words: -5
=end
'
long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
dump absurd-alloc "$P25"'=allocator:'"$long"'[0]
versions: 0.9 3.0
option e: true
mbcs blocks[sys_alloc] count: 18446744073709551615 18446744073709551615 18446744073709551615
mbcs blocks[sys_alloc] size: 18446744073709551615 18446744073709551615 18446744073709551615
mbcs carriers size: 18446744073709551615 18446744073709551615 18446744073709551615
sbcs carriers size: 18446744073709551615 18446744073709551615 18446744073709551615
=allocator:'"$long"'[1]
mbcs blocks[sys_alloc] size: 18446744073709551615 18446744073709551615 18446744073709551615
=allocator:eheap_alloc[0]
mbcs blocks size: 1
mbcs carriers size: 0
sbcs blocks size:
sbcs carriers: 
=allocator:eheap_alloc[99999999999999999999]
=allocator:[
=allocator:
=allocator:erts_mmap.literal_mmap
total: 1
=allocated_areas
sys_misc: 18446744073709551615
processes: 1 2 3
=memory
total: 18446744073709551615
processes: 18446744073709551615
processes_used: 1
binary: -1
ets: x
=loaded_modules
Current code: 18446744073709551615
Old code: 18446744073709551615
=end
'
dump scheduler-port-timer "$P25"'=scheduler:1
Scheduler Sleep Info Flags: SLEEPING | TSE_SLEEPING | UNKNOWN(134217728)
Current Port: #Port<0.5>
Run Queue Max Length: 18446744073709551615
Run Queue High Length: 99999999999999999999999
Run Queue Normal Length: -1
Run Queue Flags: NONEMPTY_NORMAL | NONEMPTY | EXEC
Current Process: <0.1.0>
Current Process State: Running
Current Process Limited Stack Trace:
0x00007f3eee31cbd0:SReturn addr 0x0 (<terminate process normally>)
0x00007f3eee31cbd8: skipping 99999999999 frames
** crashed **
=dirty_cpu_run_queue
Run Queue Max Length: 1
=port:#Port<0.5>
State: CONNECTED|SOFT_EOF
Slot: 40
Connected: <0.1.0>
Links: <0.1.0>
Registered as: '"'"'port name'"'"'
Port controls external process: cat
Input: 18446744073709551615
Output: 99999999999999999999
Queue: -3
=port:
=timer:<0.1.0>
Message: {timeout,'"'"'a\nb'"'"'}
Time left: 18446744073709551615 ms
=timer:some_name
Time left: ms
=node:'"'"'fuzz@host'"'"'
=visible_node:8607
Name: '"'"'other@host'"'"'
Controller: #Port<0.7>
=not_connected:18446744073709551616
=mod:'"'"'Elixir.My.Srv'"'"'
Current size: 18446744073709551615
Current attributes: !!!!
Current compilation info: g2o=
Old size: 1
=fun
Module: lists
Uniq: 1
Index: 99999999999999999999
Address: 0x0
Refc: 1
=atoms
'"'"'a\nb'"'"'
true
false
=end
'
# headers without bodies, '=' alone, NUL bytes and a header at end of file
printf '=erl_crash_dump:0.5\n=\n==\n=:\n=proc:<0.1.0>\000\nState: W\000aiting\n=proc_heap:<0.1.0>\n1000:t1:H1000\n=end' > "$D/edge-nul-headers"
# a raw newline inside an atom that makes "=end" a line of its own
printf '%s=proc:<0.1.0>\nState: Waiting\n=proc_heap:<0.1.0>\n1000:t2:A6:a\n=end\n,N\n1010:lI1|H1000\n=end\n' "$P25" > "$D/edge-atom-newline"

# live snapshots (fixtures/*.bdsnap): whole, cut inside a frame, and with a
# damaged byte in the middle (a CRC that no longer matches)
for f in "$fx"/*.bdsnap; do
	[ -e "$f" ] || continue
	n=$(basename "$f" .bdsnap)
	size=$(wc -c < "$f")
	cp "$f" "$D/snap-$n"
	head -c $((size / 2)) "$f" > "$D/snap-$n-cut"
	{ head -c $((size / 2)) "$f"; printf '\377'; tail -c +$((size / 2 + 2)) "$f"; } > "$D/snap-$n-bad"
done

# --------------------------------------------------------------- heap terms

# the proc_heap sections of a fixture that bring a new object tag, up to
# six, each cut to 8 KiB at a line end
heaps() {
	zcat "$1" | awk -v dir="$tmp" -v base="$2" -v MAX=8192 '
		function flush() {
			if (body != "" && nnew > 0 && kept < 6) {
				kept++
				f = dir "/heap-" base "-" kept
				printf "%s", body > f
				close(f)
				for (t in cur) have[t] = 1
			}
			body = ""; nnew = 0; bytes = 0
			for (t in cur) delete cur[t]
		}
		/^=/ { if (inheap) flush(); inheap = ($0 ~ /^=proc_heap:/); next }
		inheap {
			i = index($0, ":")
			tag = substr($0, i + 1, 1)
			if (tag == "Y" || tag == "M") tag = substr($0, i + 1, 2)
			if (!(tag in have) && !(tag in cur)) { cur[tag] = 1; nnew++ }
			if (bytes + length($0) + 1 <= MAX) { body = body $0 "\n"; bytes += length($0) + 1 }
		}
		END { if (inheap) flush() }'
	for h in "$tmp"/heap-"$2"-*; do
		[ -f "$h" ] || continue
		seed 000 "$(basename "$h")" < "$h"
		rm -f "$h"
	done
}

for name in basic binary_leak states_elixir elixir_basic deadlock oom; do
	heaps "$fx/$name.dump.gz" "$name"
done

# a heap that points into literals: the first heap of basic with a
# Mf line, then its =literals section (both cut), as one payload
zcat "$fx/basic.dump.gz" | awk -v MAX=6144 '
	function endsec() {
		if (inheap && got && !done) { printf "%s", buf; done = 1 }
		inheap = 0; buf = ""; got = 0
	}
	/^=/ {
		endsec()
		inheap = !done && /^=proc_heap:/
		lit = /^=literals/
		if (lit) print
		bytes = 0
		next
	}
	inheap && length(buf) + length($0) < MAX { buf = buf $0 "\n"; if ($0 ~ /:Mf/) got = 1 }
	lit && bytes < MAX { print; bytes += length($0) + 1 }' > "$tmp/heaplit"
seed 000 heaplit-basic < "$tmp/heaplit"
# the same heap read as a 32-bit 0.3 dump
seed 001 old-heaplit-basic < "$tmp/heaplit"

# hand-made heap edge cases (mode 0), one per file
theap() { printf '%s' "$2" | seed 000 "edge-$1"; }

theap absurd-sizes '1000:t999999999999:N
1010:tFFFFFFFFFFFFFFFF:N,N
1020:t10000000000000000:N
1030:Yh7FFFFFFFFFFFFFFF:AAAA
1040:F7FFFFFFFFFFFFFFF:1.0
1050:AFFFFFFFFFFFFFFFF:x
1060:Mf7FFFFFFFFFFFFFFF:H1000:N
1070:Mh7FFFFFFFFFFFFFFF:7FFFFFFFFFFFFFFF:N
1080:Mn7FFFFFFFFFFFFFFF:N
1090:EFFFFFFFFFFFFFFFF:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==
10A0:t2:H1000,H1010
'
theap truncated-lines 'H1000,I-9223372036854775808,I99999999999999999999999,A3:a|b,P<0.1.0>,p<0.2>,AFF:x,H,I-,SReturn addr
1000:t3:A3:abc,H10
1010:lI1|
1020:l
1030:t
1040:Mf2:H2000:I1
1050:Mf2:H1000
1060:Yc
1070:YcDEAD:
1080:Ys1000:0
1090:F1A:2.5
10A0:B
10B0:B-
10C0:A3:ab
10D0:E
10E0:P<0.1.0
10F0:t1:
1100:t1:A'
theap dangling-binaries 'H1000
1000:t6:H1010,H1020,H1030,H1040,H1050,H1060
1010:YcDEAD:0:FFFFFFFFFFFFFFFF
1020:YsDEAD:FFFFFFFF:10
1030:Ys1030:0:10
1040:Ys1050:4:2
1050:Yh3:dGFn
1060:Yc55EF8F01D438:55EF8F01D440:6C
'
theap binaries 'H1000
1000:t5:H1010,H1020,H1030,H1040,H1050
1010:Yc2000:0:3
1020:Ys2000:1:2
1030:Yc3000:2:FFFF
1040:Ys1010:0:3
1050:Yh0:
=binary:2000
3:YWJj
=binary:3000
5:!!
=binary:zz
=binary:4000
FFFFFFFFFFFFFFFF:
'
theap cycles 'H1000,H1020,H1030,H1040,H1050
1000:lI1|H1010
1010:lI2|H1000
1020:t1:H1020
1030:Mf1:H1030:I1
1040:Mh2:2:H1041,H1040
1041:Mn2:H1040,H1041
1050:t2:H1060,H1060
1060:t2:H1050,H1000
'
theap atom-newlines 'H1000
1000:t4:A3:a
b,A5:=end
,A7:x|y:z,w,AB:Ünïcödé
1010:lA1:
|N
=end
1020:lI1|H1000
'
theap literals-split 'H1000,H2000
1000:t2:H2000,H3000
=literals
2000:t2:A1:a,H1000
3000:Rf144572560
=proc_heap:<0.2.0>
3000:lI1|N
'
theap floats-bigs-ext '1000:F1A:2.50000000000000000000e+00
1010:F1B:-0.00000000000000000000e+00
1020:F0:
1030:B-0000000000000000000000000000000016
1040:B16#FFFF
1050:B1267650600228229401496703205376
1060:E16:g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==
1070:E4:!!!!
1080:E24:g1oAA2QADW5vbm9kZUBub2hvc3QAAAAAAAB5gIlEAAELluLs
1090:P<8760.7.0>
10A0:p<8760.9>
10B0:Rf144572560
10C0:Zq99
0:t0:
10000000000000000:N
10D0:t0:
10D0:t1:I1
'
printf '1000:Yh3:dGFn\r\n1010:t2:H1000,A2:\r\n\r\n1020:lI1|H1010\r\n' | seed 000 edge-crlf

# deep and long structures: a 3000-deep tuple chain, a DAG whose flat size
# doubles 80 times, a bignum past 16 kbit and an E payload over 2 KiB
awk 'BEGIN {
	print "H100000"
	for (i = 0; i < 3000; i++) printf "%X:t1:H%X\n", 1048576 + 16 * i, 1048576 + 16 * (i + 1)
	printf "%X:N\n", 1048576 + 16 * 3000
}' | seed 000 edge-deep-chain
awk 'BEGIN {
	for (i = 0; i < 80; i++) printf "%X:t2:H%X,H%X\n", 4096 + 16 * i, 4096 + 16 * (i + 1), 4096 + 16 * (i + 1)
	printf "%X:lI1|N\n", 4096 + 16 * 80
}' | seed 000 edge-dag
awk 'BEGIN {
	printf "1000:B"; for (i = 0; i < 6000; i++) printf "%d", i % 10; printf "\n"
	printf "1010:E800:g2"; for (i = 0; i < 2800; i++) printf "A"; printf "\n"
}' | seed 000 edge-huge-objects

# an old (0.3) dump: hex payloads, 32-bit words
theap_old() { printf '%s' "$2" | seed 001 "edge-old-$1"; }
hexfun=$(printf 'g3FkAAVsaXN0c2QAB3JldmVyc2VhAQ==' | base64 -d | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
theap_old hex 'HE54F79F8
E54F79F8:t4:A9:gen_event,H1000,H1010,H1020
1000:E16:'"$hexfun"'
1010:Yh3:616263
1020:E16:ZZ
'

# ------------------------------------------------------------ ETF blobs

# E payloads of every fixture: per tag (first base64 characters) and size,
# the first one
for f in "$fx"/*.dump.gz; do zcat "$f"; done | awk '
	/^[0-9A-F]+:E[0-9A-F]+:/ {
		p = $0; sub(/^[0-9A-F]+:E[0-9A-F]+:/, "", p)
		k = substr(p, 1, 3) " " length(p)
		if (!(k in n)) { n[k] = 1; print p }
	}' > "$tmp/eterms"
i=0
while read -r b64; do
	i=$((i + 1))
	mode=002; [ $((i % 2)) = 0 ] && mode=003
	printf '%s' "$b64" | base64 -d | seed $mode "$(printf 'ext-%03d' $i)"
done < "$tmp/eterms"

# module attributes and compilation info: bigger lists, tuples and strings
for name in basic elixir_basic; do
	zcat "$fx/$name.dump.gz" | awk '
		/^Current (attributes|compilation info): / && length($0) < 3000 {
			sub(/^[^:]*: /, ""); if (++n <= 3) print }' > "$tmp/attrs"
	i=0
	while read -r b64; do
		i=$((i + 1))
		printf '%s' "$b64" | base64 -d | seed 002 "attr-$name-$i"
	done < "$tmp/attrs"
done

# the unit tests' term_to_binary vectors; every other one without its
# version byte, so that both decoding paths of fuzz_term start from a term
awk '/^static const uint8_t etf_v[0-9]+\[\] = \{/ {
	s = $0; sub(/^[^{]*\{/, "", s); sub(/\};.*$/, "", s); print s }' "$vectors" > "$tmp/vectors"
i=0
while read -r bytes; do
	oct=$(printf '%s\n' "$bytes" | tr ',' '\n' | awk 'NF { printf "\\%03o", $1 }')
	if [ $((i % 2)) = 0 ]; then
		printf "$oct" | seed 002 "$(printf 'vec-%03d' $i)"
	else
		printf "$oct" | tail -c +2 | seed 003 "$(printf 'vec-%03d' $i)"
	fi
	i=$((i + 1))
done < "$tmp/vectors"

# hand-made ETF edge cases (octal escapes; \203 is the version byte 131)
tetf() { printf "$2" | seed 002 "edge-etf-$1"; }
tetf compressed-huge '\203P\377\377\377\377x\234\003\000\000\000\000\001'
tetf compressed-lying '\203P\000\000\000\020x\234\313\001\000\000j\000j'
tetf tuple-arity '\203i\377\377\377\377a\001'
tetf list-len '\203l\177\377\377\377a\001j'
tetf map-arity '\203t\377\377\377\377'
tetf big-len '\203o\377\377\377\377\000\001'
tetf big-zero '\203n\010\000\000\000\000\000\000\000\000\000'
tetf string-len '\203k\377\377ab'
tetf binary-len '\203m\377\377\377\377ab'
tetf bitstring-bits '\203M\000\000\000\002\000\377\377\203M\000\000\000\001\011\377'
tetf atom-utf8-bad '\203v\000\004\377\376\300\200'
tetf atom-latin1-long "\\203s\\377$(awk 'BEGIN { for (i = 0; i < 255; i++) printf "\\351" }')"
tetf atom-len '\203d\377\377abc'
tetf float-nan '\203F\177\370\000\000\000\000\000\000'
tetf float-inf '\203F\377\360\000\000\000\000\000\000'
tetf float-text '\203cnan\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
tetf float-text-unterminated '\203c11111111111111111111111111111111'
tetf ref-ids '\203Z\000\006w\001a\000\000\000\001\000\000\000\001\000\000\000\002\000\000\000\003\000\000\000\004\000\000\000\005\000\000\000\006'
tetf ref-zero '\203Z\000\000w\001a\000\000\000\001'
tetf old-ref '\203r\000\003d\000\015nonode@nohost\000\000\000\000\001\000\000\000\002\000\000\000\003'
tetf pid-port '\203l\000\000\000\003XwAfoo\000\000\000\001\000\000\000\002\000\000\000\003YwAfoo\000\000\000\004\000\000\000\005xwAfoo\377\377\377\377\377\377\377\377\000\000\000\001j'
tetf fun-lying '\203p\000\000\000\001\001\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\377\377\377\377w\001ma\000a\000XwAfoo\000\000\000\001\000\000\000\002\000\000\000\003'
tetf old-fun '\203u\377\377\377\377Xw\001n\000\000\000\001\000\000\000\002\000\000\000\003w\001ma\001a\002'
tetf export-bad '\203qw\001mw\001fb\377\377\377\377'
tetf unsupported '\203D\000\203R\000\203y'
tetf trailing '\203a\001a\002'
tetf empty ''
tetf version-only '\203'
tetf not-etf '=erl_crash_dump:0.5\n'
# nesting past the default depth limit (10000): [[[...]]]
i=0
{
	printf '\203'
	while [ $i -lt 12000 ]; do printf 'l\000\000\000\001'; i=$((i + 1)); done
	printf 'j'
} | seed 003 edge-etf-deep
# a bignum over 4096 bytes (printed in base 16)
awk 'BEGIN { printf "\\203o\\000\\000\\023\\210\\000"; for (i = 0; i < 5000; i++) printf "\\%03o", (i * 37) % 256 }' > "$tmp/bigbig"
printf "$(cat "$tmp/bigbig")" | seed 002 edge-etf-bignum-4k

# drop inputs that came out identical
for dir in "$T" "$D"; do
	(cd "$dir" && cksum * | sort -k1,2 -s | awk 'seen[$1 " " $2]++ { print $3 }' | xargs rm -f)
done

printf '%s bytes\n' "$(cat "$T"/* "$D"/* | wc -c)"
printf '%s files in term, %s in dump\n' "$(ls "$T" | wc -l)" "$(ls "$D" | wc -l)"
