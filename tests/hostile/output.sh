#!/bin/sh
# -o FILE: written beside the target and renamed over it only on success;
# never the input; no temporary file left behind, even when killed.
. "$(dirname "$0")/lib"

basic=$fixtures/basic.dump.gz
d=$tmp/d.dump
make_dump "$d" 'hello'
cp "$d" "$tmp/orig"
cp "$basic" "$tmp/d.gz"
ln -s d.dump "$tmp/link.dump"
ln "$d" "$tmp/hard.dump"

unchanged() { cmp -s "$d" "$tmp/orig" && cmp -s "$basic" "$tmp/d.gz"; }
no_temp() { [ -z "$(find "$tmp" -name '.*.??????' | head -n 1)" ] || { find "$tmp" -name '.*.??????'; return 1; }; }
refused() { run 2 "$@" && err_has "refusing to write the report over the dump" && unchanged; }

check "-o the input" refused summary "$d" -o "$d"
check "-o the gzip input" refused summary "$tmp/d.gz" -o "$tmp/d.gz"
check "-o through a symlink" refused summary "$tmp/link.dump" -o "$d"
check "-o a hard link" refused summary "$d" -o "$tmp/hard.dump"
check "-o another spelling" refused summary "$d" -o "$tmp/../$(basename "$tmp")/./d.dump"
check "-o the file on stdin" refused summary - -o "$d" <"$d"
appended() { "$bin" summary "$d" >>"$d" 2>"$tmp/err"; [ $? = 2 ] && unchanged; }
check "stdout appended to the input" appended

echo keep >"$tmp/keep.txt"
kept() { cmp -s "$tmp/keep.txt" "$tmp/keep.orig"; }
cp "$tmp/keep.txt" "$tmp/keep.orig"
check "unknown pid keeps -o" eval 'run 2 proc "$basic" "<0.9999.0>" -o "$tmp/keep.txt" && kept'
check "bad regex keeps -o" eval 'run 2 procs "$basic" --match "(" -o "$tmp/keep.txt" && kept'
check "missing input keeps -o" eval 'run 3 summary "$tmp/none" -o "$tmp/keep.txt" && kept'
printf 'not a dump\n' >"$tmp/junk"
check "not a dump keeps -o" eval 'run 3 summary "$tmp/junk" -o "$tmp/keep.txt" && kept'

replaced() {
	run 0 summary "$d" -o "$tmp/keep.txt" && [ ! -s "$tmp/out" ] &&
		grep -q '^  slogan  *hello$' "$tmp/keep.txt"
}
check "success replaces -o" replaced
mode_kept() {
	chmod 640 "$tmp/keep.txt"
	run 0 summary "$d" -o "$tmp/keep.txt" && [ "$(stat -c %a "$tmp/keep.txt")" = 640 ]
}
check "an existing file keeps its mode" mode_kept
new_mode() {
	(umask 027 && "$bin" summary "$d" -o "$tmp/new.txt") &&
		[ "$(stat -c %a "$tmp/new.txt")" = 640 ]
}
check "a new file follows the umask" new_mode
link_kept() {
	ln -s keep.txt "$tmp/out-link" && run 0 summary "$d" -o "$tmp/out-link" &&
		[ -L "$tmp/out-link" ] && grep -q hello "$tmp/keep.txt"
}
check "a symlinked -o stays a symlink" link_kept
check "-o /dev/null" run 0 summary "$d" -o /dev/null
appends() {
	echo first >"$tmp/app.txt"
	"$bin" summary "$d" -o /dev/stdout >>"$tmp/app.txt" &&
		[ "$(head -n 1 "$tmp/app.txt")" = first ] && grep -q hello "$tmp/app.txt"
}
check "-o /dev/stdout writes where the shell opened it" appends
check "no temporary file after all that" no_temp

# killed while writing: the temporary file goes with it
killed() {
	big=$(ls -S "$here"/../../../shared/real-dumps/* 2>/dev/null | head -n 1)
	[ -n "$big" ] || big=$basic
	for sig in INT TERM HUP; do
		"$bin" procs "$big" -o "$tmp/killed.txt" 2>/dev/null &
		pid=$!
		sleep 0.2
		kill -s "$sig" "$pid" 2>/dev/null
		wait "$pid"
		no_temp || return 1
	done
}
check "signals remove the temporary file" killed

finish
