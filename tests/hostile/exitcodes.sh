#!/bin/sh
# Exit statuses: 2 usage, 3 input, 4 internal, 5 the output cannot be written.
. "$(dirname "$0")/lib"

d=$tmp/d.dump
make_dump "$d" 'hello'
mkdir "$tmp/dir"

check "ok" run 0 summary "$d"
check "unknown option" run 2 summary "$d" --nope
check "bad regex" run 2 procs "$d" --match '('
check "missing input" eval 'run 3 summary "$tmp/none" && err_has "cannot open"'
check "input is a directory" run 3 summary "$tmp/dir"
check "-o in a missing directory" eval 'run 5 summary "$d" -o "$tmp/none/x" && err_has "cannot write"'
check "-o a directory" eval 'run 5 summary "$d" -o "$tmp/dir" && err_has "Is a directory"'
if [ -w /dev/full ]; then
	check "-o /dev/full" eval 'run 5 summary "$d" -o /dev/full && err_has "No space left"'
	full() { "$bin" summary "$d" >/dev/full 2>"$tmp/err"; [ $? = 5 ] && err_has "No space left"; }
	check "stdout on /dev/full" full
fi
closed() { "$bin" summary "$d" >&- 2>"$tmp/err"; [ $? = 5 ]; }
check "closed stdout" closed
# a reader that is gone: EPIPE is an output error, not a death by SIGPIPE
piped() {
	status=$(python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print(subprocess.call(sys.argv[1:], stdout=w, stderr=subprocess.DEVNULL))' "$bin" summary "$d")
	[ "$status" = 5 ] || { echo "  exit $status, want 5"; return 1; }
}
check "closed pipe" piped
check "--help documents 5" eval '"$bin" --help | grep -q "5 the output cannot"'

finish
