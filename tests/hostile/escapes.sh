#!/bin/sh
# Control characters (C0 but line feeds, DEL, C1) never reach the output
# raw: text replaces them with spaces, JSON escapes them, Markdown shows \xHH
# (here in a code span: the text holds markup characters).
. "$(dirname "$0")/lib"

d=$tmp/e.dump
make_dump "$d" '\033]0;pwned\007\033[2Jhello\010\302\233x\177'
printf '=proc:<0.80.0>\nState: Waiting\nName: evil\033[2J\nSpawned as: m:f/0\nMessage queue length: 0\nReductions: 1\nMemory: 1000\n=end\n' >>"$d"

check "no raw control character in any report" every_report "$d"
proc_clean() { run 0 proc "$d" '<0.80.0>' && clean "$tmp/out"; }
check "proc" proc_clean
dot_clean() { run 0 deadlocks "$d" --format dot && mv "$tmp/out" "$tmp/out.dot" && clean "$tmp/out.dot"; }
check "deadlocks --format dot" dot_clean

shown() { run 0 summary "$d" --format "$1" && grep -qF -- "$2" "$tmp/out" || { echo "  no '$2' in $1"; return 1; }; }
check "Markdown shows \\xHH" shown markdown 'slogan:** `\x1B]0;pwned\x07\x1B[2Jhello\x08\x9Bx\x7F`'
check "JSON escapes" shown json '"slogan": "\u001b]0;pwned\u0007\u001b[2Jhello\u0008\u009bx\u007f"'
check "text replaces with spaces" shown text 'slogan              ]0;pwned  [2Jhello  x '

finish
