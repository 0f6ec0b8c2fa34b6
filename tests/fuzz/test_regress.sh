#!/bin/sh
# test_regress.sh: every input a fuzz harness ever failed on
# (tests/fuzz/regress/NAME/) and the shipped fixtures it fits, through the
# same harness function built without libFuzzer (tests/fuzz/regress_NAME,
# driver.c), then the same for the seeds tests/fuzz/mkseeds writes with
# the project's own savers and the hand-made ones (tests/fuzz/seeds/): a
# file latentroll writes must load.  A regression aborts or crashes that
# program.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
T=$(mktemp -d /tmp/lr_fuzzreg.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0
for prog in "$top_builddir"/tests/fuzz/regress_*; do
	[ -x "$prog" ] || continue
	name=${prog##*/regress_}
	set --
	[ -d "$srcdir/tests/fuzz/regress/$name" ] &&
	    set -- "$srcdir/tests/fuzz/regress/$name"
	[ -d "$srcdir/tests/fuzz/seeds/$name" ] &&
	    set -- "$@" "$srcdir/tests/fuzz/seeds/$name"
	case $name in
	midi)	set -- "$@" "$srcdir"/share/clips/*.mid ;;
	abc)	;;
	*)	if "$top_builddir/tests/fuzz/mkseeds" "$name" "$T/$name" \
		    >"$T/mkseeds.log" 2>&1; then
			set -- "$@" "$T/$name"
		else
			fail=$((fail + 1))
			echo "FAIL: mkseeds $name: $(tail -1 "$T/mkseeds.log")" >&2
		fi ;;
	esac
	[ $# -gt 0 ] || continue
	out=$(FUZZ_VERBOSE= "$prog" "$@" 2>&1)
	rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	n=$(printf '%s\n' "$last" | sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p')
	if [ $rc -eq 0 ] && [ -n "$n" ]; then
		pass=$((pass + n))
		echo "$name: $n inputs"
	else
		fail=$((fail + 1))
		printf '%s\n' "$out" | tail -5 >&2
		echo "FAIL: $name: status $rc" >&2
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
