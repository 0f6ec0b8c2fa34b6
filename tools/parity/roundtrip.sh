#!/bin/sh
# roundtrip.sh: do checkpoints WRITTEN by latentroll (ckpt_save) load in
# magenta.js 1.23.1 and give latentroll's mu and argmax tokens?
#
#   tools/parity/roundtrip.sh [BUILDDIR [OUTDIR]]
#
# BUILDDIR holds tests/test_parity (default: the top of this checkout);
# OUTDIR (default a fresh temporary directory, removed afterwards) receives
# the re-saved fixture models (float32, uint16, uint8) and random models of
# the shipped shapes, each with windows.json; check.js then loads each one
# in magenta.js.  Exit status 1 if any directory fails.  Takes ~1.5 min.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top}
out=${2:-}
if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/lr-roundtrip.XXXXXX") || exit 2
	trap 'rm -rf "$out"' EXIT
fi
if [ ! -d "$here/node_modules/@magenta/music" ]; then
	echo "roundtrip.sh: run 'npm ci' in $here first" >&2
	exit 2
fi
srcdir=$top "$build/tests/test_parity" --save "$out" >/dev/null || {
	echo "roundtrip.sh: tests/test_parity --save failed" >&2
	exit 1
}
fail=0
for d in "$out"/*/; do
	d=${d%/}
	printf '%s: ' "$(basename "$d")"
	if node "$here/check.js" "$d" "$d/windows.json" 2>&1 >"$d/check.out" |
	    grep '^check.js:'; then :; fi
	grep -q '"tokens_ok":false\|"mu_ok":false' "$d/check.out" && fail=1
	[ -s "$d/check.out" ] || fail=1
done
[ $fail -eq 0 ] && echo "roundtrip.sh: all directories match" ||
    echo "roundtrip.sh: MISMATCHES (see check.out files in $out)"
exit $fail
