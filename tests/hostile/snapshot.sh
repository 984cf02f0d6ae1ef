#!/bin/sh
# Snapshots whose frames are sound but whose terms are not what the format
# says (tests/hostile/snapshot_gen.erl writes them with a real node): every
# report in every format still exits 0 with clean output, names from the
# node cannot forge a section, a process listed twice is written once, and
# a snapshot that does not start with its header is refused.
. "$(dirname "$0")/lib"

if ! command -v erl >/dev/null || ! command -v erlc >/dev/null; then
	echo "snapshot: skipped (needs erlang-nox for erl and erlc)"
	exit 0
fi
erlc -o "$tmp" "$here/snapshot_gen.erl" &&
	erl -noshell -pa "$tmp" -run snapshot_gen main "$tmp" ||
	{ echo "FAIL snapshot: cannot write the hostile snapshots"; exit 1; }

for f in "$tmp"/*.bdsnap; do
	case $f in */first_not_header.bdsnap) continue ;; esac
	check "$(basename "$f" .bdsnap): every report" every_report "$f"
done
check "a snapshot must start with its header" \
	eval 'run 3 summary "$tmp/first_not_header.bdsnap" && err_has "must be its header"'

# an atom holding "\n=proc:<0.1.0>\nState: Running" (a registered name, a
# dictionary value, a state, a behaviour): no such process
forged() {
	run 0 procs "$tmp/$1.bdsnap" --format json &&
		! grep -q '"state": "Running' "$tmp/out" &&
		[ "$(grep -c '"pid": "<0.1.0>"' "$tmp/out")" = 1 ]
}
for f in rows_wrong detail_wrong states_wrong; do
	check "an atom cannot forge a section ($f)" forged $f
done
twice() { run 0 procs "$tmp/rows_wrong.bdsnap" --format json && [ "$(grep -c '"pid": "<0.2.0>"' "$tmp/out")" = 1 ]; }
check "a process listed twice is written once" twice
words() { run 0 summary "$tmp/rows_wrong.bdsnap" --format json && grep -q '"word_size": 8' "$tmp/out"; }
check "the word size is the header's" words
ended() { run 0 summary "$tmp/after_end.bdsnap" --format json && grep -q '"processes": 1,' "$tmp/out"; }
check "frames after the end frame are not read" ended
# states of the wrong shape are skipped or read as terms; the list of
# binaries is matched to pid 2's binary list by size: 100 and 65 bytes whole,
# the others slices of its 1 TiB binary (a slice counts no bytes, as in a dump)
states() {
	run 0 states "$tmp/states_wrong.bdsnap" --format json --limit 100 &&
		grep -q '"pid": "<0.2.0>"' "$tmp/out" && grep -q '"binary_bytes": 165,' "$tmp/out"
}
check "states of every wrong shape" states
# --window's atom counts: 2000 atoms in 2 s is a finding; a zero interval,
# a frame of the wrong shape or a count that went down is none
atoms_grew() {
	run 0 leaks "$tmp/atoms_window.bdsnap" --format json &&
		grep -q '"title": "2000 atoms made in 2.0 s of running (1000 a second)"' "$tmp/out" &&
		grep -q '"per_second": 1000' "$tmp/out"
}
check "atoms made during the window" atoms_grew
no_growth() {
	for f in atoms_window_wrong atoms_shrunk; do
		run 0 leaks "$tmp/$f.bdsnap" --format json && ! grep -q 'atoms made' "$tmp/out" || return 1
	done
}
check "no atom finding from a bad window" no_growth

finish
