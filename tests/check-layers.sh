#!/bin/sh
# Dependencies point down the pipeline only:
#   util <- input <- index <- parse, term <- analyze <- report model <- renderers
# and the CLI includes nothing but the public header.
set -u
fail=0
rank() {
	case "$1" in
	util) echo 0 ;; input) echo 1 ;; index) echo 2 ;; parse | term) echo 3 ;;
	report) echo 4 ;; analyze) echo 5 ;; cli) echo 9 ;; *) echo 0 ;;
	esac
}
for f in src/*/*.c src/*/*.h; do
	stage=$(basename "$(dirname "$f")")
	for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_]*\.h"/\1/p' "$f"); do
		if [ "$stage" = cli ] || [ "$(rank "$inc")" -gt "$(rank "$stage")" ]; then
			echo "FAIL $f includes $inc/ (a higher stage)"
			fail=1
		fi
	done
done
if grep -n '#include "' src/cli/*.c; then
	echo "FAIL the CLI must include only <beamdump.h>"
	fail=1
fi
[ $fail = 0 ] && echo "layers: ok"
exit $fail
