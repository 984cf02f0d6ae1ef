#!/bin/sh
# Every real dump in REAL_DUMPS (default ../shared/real-dumps) and every
# fixture must open without a crash; summary's process count must equal the
# number of =proc sections; cut copies must be flagged truncated, never crash.
# Skips cleanly when the folder is absent.
set -u
bin=$1
dir=${2:-../shared/real-dumps}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
skip=0

here=$(cd "$(dirname "$0")" && pwd)
: "${PYTHON:=python3}"
schema="$here/../../docs/beamdump.schema.json"
check_json() { "$PYTHON" "$here/validate_json.py" "$schema" "$1" >"$tmp/schema.log" 2>&1 || { cat "$tmp/schema.log"; false; }; }

cat_dump() {
	case "$1" in *.gz) gzip -dc "$1" ;; *) cat "$1" ;; esac
}

run_all() { # file
	f=$1
	base=$(basename "$f")
	if head -c 32 "$f" | grep -q '^<Erlang crash dump>'; then
		"$bin" summary "$f" >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc = 3 ] && grep -q 'pre-R10B' "$tmp/err"; then pass=$((pass + 1)); else
			echo "FAIL $base: pre-R10B dump gave rc=$rc"; fail=$((fail + 1)); fi
		return
	fi
	for cmd in summary procs ets alloc analyze states leaks deadlocks memory; do
		"$bin" $cmd "$f" --format json >"$tmp/out.json" 2>"$tmp/err"
		rc=$?
		if [ $rc != 0 ] || ! check_json "$tmp/out.json"; then
			echo "FAIL $base: $cmd rc=$rc $(head -c 200 "$tmp/err")"; fail=$((fail + 1))
			continue
		fi
		"$bin" $cmd "$f" >/dev/null 2>&1 || { echo "FAIL $base: $cmd text"; fail=$((fail + 1)); continue; }
		pass=$((pass + 1))
	done
	want=$(cat_dump "$f" | grep -ac '^=proc:')
	"$bin" summary "$f" --format json >"$tmp/s.json"
	got=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["processes"])' "$tmp/s.json")
	if [ "$want" = "$got" ]; then pass=$((pass + 1)); else
		echo "FAIL $base: $got processes, file has $want =proc sections"; fail=$((fail + 1)); fi
}

truncate_all() { # file: cut the dump at several offsets, plain and gzipped
	f=$1
	base=$(basename "$f")
	cat_dump "$f" >"$tmp/full"
	size=$(wc -c <"$tmp/full")
	for frac in 1 7 23 50 77 93 99; do
		n=$((size * frac / 100 + 13))
		head -c $n "$tmp/full" >"$tmp/cut"
		"$bin" analyze "$tmp/cut" --format json >"$tmp/a.json" 2>"$tmp/err" && check_json "$tmp/a.json" ||
			{ echo "FAIL $base cut at $n: analyze rc=$? $(head -c 200 "$tmp/err")"; fail=$((fail + 1)); }
		"$bin" summary "$tmp/cut" --format json >"$tmp/t.json" 2>"$tmp/err"
		rc=$?
		if [ $rc = 0 ] && "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]))["dump"]; sys.exit(0 if d["truncated"] and d["truncation_reason"] else 1)' "$tmp/t.json"; then
			pass=$((pass + 1))
		else
			echo "FAIL $base cut at $n: rc=$rc, not flagged truncated $(head -c 200 "$tmp/err")"; fail=$((fail + 1))
		fi
		for cmd in procs ets alloc; do
			"$bin" $cmd "$tmp/cut" >/dev/null 2>&1
			rc=$?
			if [ $rc != 0 ]; then echo "FAIL $base cut at $n: $cmd rc=$rc"; fail=$((fail + 1)); fi
		done
	done
	# a .gz file cut short still gives its readable part
	gzip -c "$tmp/full" | head -c $(( $(gzip -c "$tmp/full" | wc -c) / 2 )) >"$tmp/cut.gz"
	"$bin" summary "$tmp/cut.gz" --format json >"$tmp/t.json" 2>"$tmp/err"
	if "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]))["dump"]; sys.exit(0 if d["truncated"] else 1)' "$tmp/t.json"; then
		pass=$((pass + 1))
	else
		echo "FAIL $base: half a .gz not flagged truncated $(head -c 200 "$tmp/err")"; fail=$((fail + 1))
	fi
}

# explosion (200 000 processes, 118 MB), memory_apps and oom_binary (70 and
# 90 MB of binaries) have their own unit and golden tests: a JSON process
# table of 200 000 rows is no check worth its minutes here
for f in fixtures/*.dump fixtures/*.dump.gz; do
	case "$f" in fixtures/explosion.dump.gz | fixtures/memory_apps.dump.gz | \
		fixtures/oom_binary.dump.gz) continue ;; esac
	[ -e "$f" ] && run_all "$f"
done
truncate_all fixtures/basic.dump.gz

if [ -d "$dir" ]; then
	for f in "$dir"/*.dump "$dir"/*.dump.gz; do
		[ -e "$f" ] && run_all "$f"
	done
	for f in "$dir"/r11b_erts5.5.5_32bit_code_completion.dump "$dir"/otp22_erts10.4_wiki_crawlers.dump \
		"$dir"/otp27_erts15.2_rabbitmq_109procs.dump.gz "$dir"/otp28_erts16.3_elixir_54procs.dump.gz; do
		[ -e "$f" ] && truncate_all "$f"
	done
else
	echo "real dumps: $dir not found, skipped"
	skip=1
fi
echo "realdumps: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
