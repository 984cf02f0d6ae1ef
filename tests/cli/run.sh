#!/bin/sh
# Golden CLI tests: run each case in tests/cli/cases and compare stdout,
# stderr and the exit status byte for byte with tests/cli/expected/.
# --update rewrites the expected files (review the diff like code).
set -u
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
bin=$1
here=$(dirname "$0")
exp=$here/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
while IFS='|' read -r name args; do
	name=$(echo "$name" | tr -d ' ')
	case "$name" in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	BEAMDUMP_NO_PROGRESS=1 NO_COLOR=1 "$bin" $args >"$tmp/out" 2>"$tmp/err" </dev/null
	echo $? >"$tmp/rc"
	if [ $update = 1 ]; then
		cp "$tmp/out" "$exp/$name.out"; cp "$tmp/err" "$exp/$name.err"; cp "$tmp/rc" "$exp/$name.rc"
		pass=$((pass + 1))
		continue
	fi
	ok=1
	for k in out err rc; do
		if ! cmp -s "$tmp/$k" "$exp/$name.$k" 2>/dev/null; then
			ok=0
			echo "FAIL $name ($k differs):"
			diff -u "$exp/$name.$k" "$tmp/$k" 2>&1 | head -20
		fi
	done
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done <"$here/cases"

# stdin and gzip from a pipe must give the same report as the file
for f in fixtures/basic.dump.gz fixtures/multiline_slogan.dump; do
	"$bin" summary "$f" --format json | sed 's/"file": .*//' >"$tmp/a"
	"$bin" summary - --format json <"$f" | sed 's/"file": .*//' >"$tmp/b"
	cat "$f" | "$bin" summary - --format json | sed 's/"file": .*//' >"$tmp/c"
	if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a" "$tmp/c"; then
		pass=$((pass + 1))
	else
		echo "FAIL stdin/pipe report differs for $f"; fail=$((fail + 1))
	fi
done

# -o writes the report to a file
"$bin" summary fixtures/basic.dump.gz -o "$tmp/o.txt" >"$tmp/stdout"
if [ -s "$tmp/o.txt" ] && [ ! -s "$tmp/stdout" ] &&
	"$bin" summary fixtures/basic.dump.gz | cmp -s - "$tmp/o.txt"; then
	pass=$((pass + 1))
else
	echo "FAIL -o FILE"; fail=$((fail + 1))
fi

# every option in --help is documented in the man page
for cmd in summary procs ets alloc check diff capture; do
	for opt in $("$bin" $cmd --help | grep -o -- '--[a-z-]*' | sort -u); do
		if ! grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" "$here/../../man/beamdump.1"; then
			echo "FAIL $cmd $opt is in --help but not in man/beamdump.1"; fail=$((fail + 1))
		fi
	done
	grep -q "^\.SS $cmd\$\|^\.Ss $cmd\$\|^\.SS \"$cmd" "$here/../../man/beamdump.1" ||
		{ echo "FAIL no man section for $cmd"; fail=$((fail + 1)); }
done

echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
