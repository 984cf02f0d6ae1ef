#!/bin/sh
# beamdump capture against a real node with planted problems (scenario.erl):
# what the snapshot holds, what the capture leaves on the target (no module
# loaded, a hidden node with the fixed name) and on this host (no cookie
# written, a 0600 file, no temp file), and its refusals and exit statuses.
# Usage: tests/capture/run.sh BEAMDUMP
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pass=0
fail=0
ok() { echo "ok $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
# expect WHAT CONDITION...: ok or FAIL
expect() { what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# finding the escript and escript itself (no Erlang needed)
BEAMDUMP_CAPTURE=/nonexistent/beamdump-capture.escript "$bin" capture n@h -o x 2>/tmp/bd_cap_err.$$
expect "a missing capture script is exit 2" [ $? = 2 ]
expect "  naming it" grep -q "/nonexistent/beamdump-capture.escript" /tmp/bd_cap_err.$$
PATH=/nonexistent "$bin" capture n@h -o x 2>/tmp/bd_cap_err.$$
expect "no escript on PATH is exit 2" [ $? = 2 ]
expect "  saying so" grep -q "escript.*not on PATH" /tmp/bd_cap_err.$$
rm -f /tmp/bd_cap_err.$$

for p in erl erlc escript; do
	command -v $p >/dev/null 2>&1 ||
		{ echo "capture: skipped the captures ($p is not on PATH)"; echo "capture: $pass passed, $fail failed"; [ $fail = 0 ]; exit; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/beamdump-capture.XXXXXX")
target_pid=
cleanup() {
	touch "$T/done"
	[ -n "$target_pid" ] && { sleep 0.3; kill "$target_pid" 2>/dev/null; }
	[ -n "${BD_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP
no_temp() { [ -z "$(find "$T/out" -name '*.tmp-*')" ]; }

mkdir -p "$T/thome" "$T/caphome" "$T/out"
export ERL_CRASH_DUMP="$T/erl_crash.dump"
(umask 077; head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/cookie")
cp "$T/cookie" "$T/thome/.erlang.cookie"
erlc -o "$T" "$here/scenario.erl" "$here/capcheck.erl" "$root/fixtures/fxlib.erl" \
	"$root/fixtures/fx_srv.erl" "$root/fixtures/fx_statem.erl" "$root/fixtures/fx_evh.erl" || { bad "erlc"; exit 1; }
node=capture_t$$@127.0.0.1
probe="env HOME=$T/thome timeout 30 erl -name capture_p$$@127.0.0.1 -hidden -noshell -pa $T"
HOME="$T/thome" timeout 150 erl -name "$node" -noshell -pa "$T" -run scenario main "$T" \
	>"$T/target.out" 2>&1 &
target_pid=$!
i=0
while [ ! -s "$T/ready" ]; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $target_pid 2>/dev/null; then
		bad "the target never got ready"; cat "$T/target.out"; exit 1
	fi
	sleep 0.1
done

capture() { HOME="$T/caphome" timeout 100 "$bin" capture "$node" "$@"; }

# refusals: a cookie file others can read, a wrong cookie
cp "$T/cookie" "$T/cookie644"; chmod 644 "$T/cookie644"
capture --cookie-file "$T/cookie644" -o "$T/out/a.bdsnap" 2>"$T/err644"
expect "a 0644 cookie file is refused with exit 2" [ $? = 2 ]
expect "  and says why" grep -q "accessible by owner only" "$T/err644"
(umask 077; echo wrong_cookie > "$T/wrong")
capture --cookie-file "$T/wrong" -o "$T/out/b.bdsnap" 2>"$T/errwrong"
expect "a wrong cookie gives exit 3" [ $? = 3 ]
expect "  saying it cannot reach the node, with hints" grep -q "cannot reach $node" "$T/errwrong"
expect "  and leaves no file" [ -z "$(ls -A "$T/out")" ]
capture -o "$T/out/c.bdsnap" --cookie-file "$T/cookie" --batch 0 2>/dev/null
expect "--batch 0 is a usage error" [ $? = 2 ]

# the capture itself, through the CLI (after the refusals: the target's
# logger loads io to report the wrong cookie)
$probe -run capcheck loaded "$node" "$T/loaded.before"
capture --cookie-file "$T/cookie" --batch 2000 --window 1 -o "$T/out/snap.bdsnap" 2>"$T/errsnap"
rc=$?
expect "capture exits 0" [ $rc = 0 ]
cat "$T/errsnap"
expect "the snapshot is 0600" [ "$(stat -c %a "$T/out/snap.bdsnap" 2>/dev/null)" = 600 ]
expect "no temp file beside it" no_temp
expect "HOME stayed empty (no .erlang.cookie)" [ -z "$(ls -A "$T/caphome")" ]
$probe -run capcheck loaded "$node" "$T/loaded.after"
expect "the target loaded no module ($(wc -l <"$T/loaded.before") before)" \
	cmp -s "$T/loaded.before" "$T/loaded.after"
diff "$T/loaded.before" "$T/loaded.after"
expect "the target saw the hidden node beamdump_<user>" \
	grep -q "^'\?beamdump_[A-Za-z0-9_]*@" "$T/nodeups"
erl -noshell -pa "$T" -run capcheck verify "$T/out/snap.bdsnap" "$T/live" >"$T/verify" 2>&1
vrc=$?
cat "$T/verify"
pass=$((pass + $(grep -c '^ok ' "$T/verify")))
fail=$((fail + $(grep -c '^FAIL ' "$T/verify")))
[ $vrc = 0 ] || grep -q '^FAIL ' "$T/verify" || bad "the checker failed: $(tail -3 "$T/verify")"

# the reports read the snapshot
"$bin" analyze "$T/out/snap.bdsnap" >"$T/analyze" 2>&1
expect "analyze: hog_srv's queue" grep -Eq "hog_srv has [0-9]{6} queued messages" "$T/analyze"
expect "analyze: the 2-cycle" \
	grep -Eq "deadlock: 2 processes wait on each other: (dl_a -> dl_b -> dl_a|dl_b -> dl_a -> dl_b)" \
	"$T/analyze"
expect "analyze: the 3-cycle with the gen_statem" \
	grep -Eq "deadlock: 3 processes wait on each other: cyc_. -> cyc_. -> cyc_. -> cyc_." "$T/analyze"
expect "analyze: slice_srv's binaries" grep -Eq "slice_srv alone holds 20.0 MiB of refc binaries" "$T/analyze"
expect "analyze: the atoms made during the window" \
	grep -Eq "[0-9]+ atoms made in 1\.[0-9] s of running \(([2-9][0-9]{2}) a second\)" "$T/analyze"
expect "analyze: capture_big first among ETS tables" \
	sh -c "grep -A2 '^ETS tables' '$T/analyze' | tail -1 | grep -q '^  capture_big '"
"$bin" summary "$T/out/snap.bdsnap" >"$T/summary" 2>&1
expect "summary: the input is a snapshot of $node" grep -q "live snapshot of $node" "$T/summary"

# --state: states are read by asking each process (a system message that
# sys answers on the target); where sys is not loaded, asking would load
# it, so nothing is asked
capture --cookie-file "$T/cookie" --state -o "$T/out/nosys.bdsnap" 2>"$T/errnosys"
expect "--state where sys is not loaded exits 0" [ $? = 0 ]
expect "  saying why no state was read" grep -q "module sys is not loaded" "$T/errnosys"
$probe -run capcheck loaded "$node" "$T/loaded.nosys"
expect "  and the target loaded no module" cmp -s "$T/loaded.after" "$T/loaded.nosys"
"$bin" states --format json "$T/out/nosys.bdsnap" >"$T/nosys.json" 2>&1
expect "  states says so" grep -q "no state was read (sys_not_loaded" "$T/nosys.json"
$probe -run capcheck load "$node" sys
$probe -run capcheck loaded "$node" "$T/loaded.sys"
capture --cookie-file "$T/cookie" --state -o "$T/out/state.bdsnap" 2>"$T/errstate"
expect "--state where sys is loaded exits 0" [ $? = 0 ]
$probe -run capcheck loaded "$node" "$T/loaded.state"
expect "  and the target loaded no module" cmp -s "$T/loaded.sys" "$T/loaded.state"
"$bin" states --format json --limit 100 "$T/out/state.bdsnap" >"$T/states.json" 2>"$T/states.err"
expect "  states reads the snapshot" [ $? = 0 ]
expect "  analyze lists state_srv's state first" \
	sh -c "'$bin' analyze '$T/out/state.bdsnap' | grep -A2 '^Largest states' | grep -q state_srv"
# each planted state, found with the flat size the node measured
python3 - "$T/states.json" "$T/live" <<'PY' >"$T/statecheck"
import json, re, sys
rep = json.load(open(sys.argv[1]))
live = dict(re.findall(r'^\{(\w+),\s*"?([^"}]*)"?\}\.$', open(sys.argv[2]).read(), re.M))
rows = {r["pid"]: r for r in rep["states"]}
want = {"state_srv": "gen_server", "bin_srv": "gen_server", "hib_srv": "gen_server",
        "idle_statem": "gen_statem", "ev_mgr": "gen_event"}
for name, kind in want.items():
    r = rows.get(live[name])
    words = int(live[name + "_words"])
    ok = r is not None and r["behaviour"] == kind and r["state_words"] == words
    got = (r["behaviour"], r["state_words"]) if r else "no row"
    print("%s --state: %s is a %s of %d words (got %s)" % ("ok" if ok else "FAIL", name, kind, words, got))
ok = live["hib_srv_hibernated"] == "true"
print("%s --state: hib_srv was hibernated when read" % ("ok" if ok else "FAIL"))
b = rows.get(live["bin_srv"])
ok = b is not None and b["binary_bytes"] == 170000
print("%s --state: bin_srv holds 170000 bytes of binaries (one of its two twice) (got %s)" % ("ok" if ok else "FAIL", b and b["binary_bytes"]))
busy = [live[n] for n in ("dl_a", "dl_b", "cyc_1", "cyc_2", "cyc_3", "hog_srv")]
ok = not any(p in rows for p in busy)
print("%s --state: busy and deadlocked servers were not asked" % ("ok" if ok else "FAIL"))
ok = re.search(r"(\d+) answered, 0 did not answer", rep.get("states_note", "")) is not None
print("%s --state: the note says how many answered: %s" % ("ok" if ok else "FAIL", rep.get("states_note")))
PY
cat "$T/statecheck"
pass=$((pass + $(grep -c '^ok ' "$T/statecheck")))
fail=$((fail + $(grep -c '^FAIL ' "$T/statecheck")))
grep -q '^ok ' "$T/statecheck" || bad "the --state check did not run: $(cat "$T/states.err")"

# a node whose distribution runs over TLS (certificates made here; both
# sides verify the other's): read with --proto-dist and --ssl-dist-optfile,
# refused without them
mkdir -p "$T/tls"
erl -noshell -pa "$T" -run capcheck tls "$T/tls" || bad "making the TLS certificates"
tls_node=capture_tls$$@127.0.0.1
HOME="$T/thome" timeout 60 erl -name "$tls_node" -proto_dist inet_tls \
	-ssl_dist_optfile "$T/tls/dist.conf" -noshell \
	-eval 'F = fun W() -> case filelib:is_file("'"$T"'/done") of true -> halt(); false -> timer:sleep(100), W() end end, F().' \
	>"$T/tls.out" 2>&1 &
tls_pid=$!
i=0
while ! epmd -names 2>/dev/null | grep -q "name capture_tls$$ " && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
HOME="$T/caphome" timeout 60 "$bin" capture "$tls_node" --cookie-file "$T/cookie" --timeout 5 --quiet \
	-o "$T/out/plain_to_tls.bdsnap" 2>"$T/errtls0"
expect "a TLS node without --proto-dist: cannot reach it (exit 3)" [ $? = 3 ]
HOME="$T/caphome" timeout 60 "$bin" capture "$tls_node" --cookie-file "$T/cookie" --quiet \
	--proto-dist inet_tls --ssl-dist-optfile "$T/tls/dist.conf" -o "$T/out/tls.bdsnap" 2>"$T/errtls"
expect "a TLS node with --proto-dist inet_tls --ssl-dist-optfile: exit 0" [ $? = 0 ]
cat "$T/errtls"
"$bin" summary "$T/out/tls.bdsnap" >"$T/summary.tls" 2>&1
expect "  its snapshot reads as the node's" grep -q "live snapshot of $tls_node" "$T/summary.tls"
kill "$tls_pid" 2>/dev/null

# the README's fallback: the same format written by the target itself through
# erl_call -e (erl_call finds the cookie in HOME)
sed -n '/^    F = "/,/length(Ps)\.$/s/^    //p' "$root/README.md" |
	sed "s|^F = \"[^\"]*\"|F = \"$T/out/shell.bdsnap\"|" >"$T/snapshot.erl"
HOME="$T/thome" timeout 60 erl_call -name "$node" -e <"$T/snapshot.erl" >"$T/shell.out" 2>&1
expect "the README's erl_call snapshot runs" grep -q '^{ok, *[0-9]' "$T/shell.out"
erl -noshell -pa "$T" -run capcheck verify_rows "$T/out/shell.bdsnap" "$T/live" >"$T/verify2" 2>&1
expect "  and writes a readable snapshot of every process: $(cat "$T/verify2")" \
	grep -q '^ok' "$T/verify2"

# SIGKILL in the middle (during the window's sleep at the latest): the temp
# file goes, whatever was written
HOME="$T/caphome" escript "$root/capture/beamdump-capture.escript" "$node" \
	--cookie-file "$T/cookie" --window 30 --max-duration 60 --quiet -o "$T/out/killed.bdsnap" &
kpid=$!
i=0
while [ -z "$(find "$T/out" -name 'killed.bdsnap.tmp-*')" ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
sleep 0.5
kill -KILL $kpid 2>/dev/null
wait $kpid 2>/dev/null
i=0
while ! no_temp && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
expect "SIGKILL mid-capture leaves no temp file" no_temp

echo "capture: $pass passed, $fail failed"
[ $fail = 0 ]
