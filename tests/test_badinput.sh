#!/bin/sh
# test_badinput.sh: bad MIDI input never crashes latentroll and always
# gives one line "latentroll: FILE: what is wrong" and exit status 1.
# The bad files are made here, in a temporary directory: truncations of
# a good file, random bytes, wrong chunk lengths, huge delta times, empty
# tracks, a directory, a missing file, a zero-byte file, plus a few
# hundred random mutations of a good file.  Every file that could reach
# the loader's code (not just the ones that must fail) runs under
# valgrind when it is installed and the binary is not built with
# AddressSanitizer (which then does the same job); without either the
# memory part is reported as SKIP, not passed.  Valgrind runs take about
# a second of CPU each, so they run $JOBS at a time, and of the 100
# mutations the first $VG_MUTATIONS (default 30) run under valgrind, the
# rest bare (still checked for crashes and the one-line error).
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
LR=${LATENTROLL:-$top_builddir/latentroll}
pass=0
fail=0

if [ ! -x "$LR" ]; then
	echo "SKIP: $LR not built"
	echo "0 passed, 0 failed"
	exit 77
fi
T=$(mktemp -d /tmp/lr_badinput.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM

VG=""
memcheck=""
if ldd "$LR" 2>/dev/null | grep -q libasan ||
    grep -q __asan_init "$LR" 2>/dev/null; then
	memcheck="AddressSanitizer"
	# ASan's default exit status, 1, is our user error's: make a report
	# fail the status check as well as the one-line check.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99"
	export ASAN_OPTIONS
elif command -v valgrind >/dev/null 2>&1; then
	memcheck="valgrind"
	VG="valgrind -q --error-exitcode=99 --leak-check=no"
fi
if [ -n "$memcheck" ]; then
	echo "memory checks: $memcheck"
else
	echo "SKIP: memory checks: neither valgrind nor AddressSanitizer" \
	    "(apt-get install valgrind); crashes and messages still checked"
fi
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
VG_MUTATIONS=${VG_MUTATIONS:-30}

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# Checks run in the background, $JOBS at a time; each leaves "ok" or a
# FAIL line in $T/res.N, counted at the end.
njob=0
running=0
spawn() {
	njob=$((njob + 1))
	"$@" "$njob" >"$T/res.$njob" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
}

# run FILE VG N: inspect FILE (under valgrind if VG is set) into $T/*.N.
run() {
	if [ -n "$2" ] && [ -n "$VG" ]; then
		$VG "$LR" inspect "$1" >"$T/out.$3" 2>"$T/err.$3"
	else
		"$LR" inspect "$1" >"$T/out.$3" 2>"$T/err.$3"
	fi
}

# expect_error FILE [vg]: exit 1, one stderr line naming FILE.
expect_error() { spawn expect_error_job "$1" "$2"; }
expect_error_job() {
	run "$1" "$2" "$3"
	rc=$?
	n=$(wc -l <"$T/err.$3")
	if [ "$rc" -ne 1 ]; then
		echo "FAIL: $1: exit $rc (want 1): $(head -c 300 "$T/err.$3")"
	elif [ "$n" -ne 1 ]; then
		echo "FAIL: $1: $n lines on stderr: $(head -c 300 "$T/err.$3")"
	elif ! grep -q "^latentroll: $1: ." "$T/err.$3"; then
		echo "FAIL: $1: message does not name the file:" \
		    "$(cat "$T/err.$3")"
	else
		echo ok
	fi
}

# no_crash FILE [vg]: exit 0 or 1; on 1, the one-line error.
no_crash() { spawn no_crash_job "$1" "$2"; }
no_crash_job() {
	run "$1" "$2" "$3"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo ok
	elif [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err.$3")" -eq 1 ] &&
	    grep -q "^latentroll: $1: ." "$T/err.$3"; then
		echo ok
	else
		echo "FAIL: $1: exit $rc: $(head -c 300 "$T/err.$3")"
		cp "$1" "$T/../lr_badinput_crash.mid" 2>/dev/null
	fi
}

# b OCTAL-ESCAPED-BYTES: printf without a format string surprise.
b() { printf "$@"; }

# A small good file: format 1, two tracks, eight notes.
good="$T/good.mid"
{
	b 'MThd\000\000\000\006\000\001\000\002\001\340'
	b 'MTrk\000\000\000\023'
	b '\000\377\121\003\007\241\040'
	b '\000\377\130\004\004\002\030\010'
	b '\000\377\057\000'
	b 'MTrk\000\000\000\114'
	for p in 074 076 100 101 103 105 107 110; do
		b "\\000\\220\\$p\\144\\203\\140\\200\\$p\\000"
	done
	b '\000\377\057\000'
} >"$good"
if "$LR" inspect "$good" >"$T/out" 2>"$T/err" &&
    grep -q '2-bar windows: 1' "$T/out"; then
	ok
else
	bad "the good fixture does not load: $(cat "$T/err")"
fi

# Truncations of the good file at every interesting length.
size=$(wc -c <"$good")
for n in 1 4 8 13 14 18 22 30 40 45 49 60 70 80 $((size - 1)); do
	head -c "$n" "$good" >"$T/trunc$n.mid"
	expect_error "$T/trunc$n.mid" vg
done

# Random bytes, and random bytes behind a valid header.
for i in 1 2 3; do
	head -c $((i * 700)) /dev/urandom >"$T/random$i.mid"
	expect_error "$T/random$i.mid" vg
	{ head -c 14 "$good"; b 'MTrk\000\000\001\000'
	  head -c 256 /dev/urandom; } >"$T/randtrack$i.mid"
	no_crash "$T/randtrack$i.mid" vg
done

# Wrong chunk lengths: too long, far too long, too short.
{ head -c 14 "$good"; b 'MTrk\000\000\001\000'; tail -c +23 "$good"; } \
    >"$T/len_long.mid"
expect_error "$T/len_long.mid" vg
{ head -c 14 "$good"; b 'MTrk\177\377\377\377'; tail -c +23 "$good"; } \
    >"$T/len_huge.mid"
expect_error "$T/len_huge.mid" vg
{ head -c 14 "$good"; b 'MTrk\000\000\000\005'; tail -c +23 "$good"; } \
    >"$T/len_short.mid"
expect_error "$T/len_short.mid" vg
{ b 'MThd\000\000\377\377\000\001\000\001\001\340'; tail -c +15 "$good"; } \
    >"$T/hdr_len.mid"
expect_error "$T/hdr_len.mid" vg
{ b 'MThd\000\000\000\006\000\001\000\011\001\340'; tail -c +15 "$good"; } \
    >"$T/ntracks.mid"
expect_error "$T/ntracks.mid" vg
{ b 'MThd\000\000\000\006\000\001\000\002\347\050'; tail -c +15 "$good"; } \
    >"$T/smpte.mid"
expect_error "$T/smpte.mid" vg

# Huge delta times: 0x0fffffff ticks, many times over, and a 5-byte one.
{
	b 'MThd\000\000\000\006\000\000\000\001\000\001'
	b 'MTrk\000\000\000\103'
	for i in 1 2 3 4 5 6 7 8 9; do
		b '\377\377\377\177\220\074\144'
	done
	b '\000\377\057\000'
} >"$T/huge_delta.mid"
expect_error "$T/huge_delta.mid" vg
{
	b 'MThd\000\000\000\006\000\000\000\001\001\340'
	b 'MTrk\000\000\000\014'
	b '\377\377\377\377\177\220\074\144\000\377\057\000'
} >"$T/vlq5.mid"
expect_error "$T/vlq5.mid" vg

# Empty tracks: a zero-length chunk, only an end-of-track; both load and
# say there is no melody, or refuse in one line.
{ head -c 14 "$good"; b 'MTrk\000\000\000\000';
  b 'MTrk\000\000\000\004\000\377\057\000'; } >"$T/empty_tracks.mid"
no_crash "$T/empty_tracks.mid" vg
{ b 'MThd\000\000\000\006\000\000\000\001\001\340';
  b 'MTrk\000\000\000\004\000\377\057\000'; } >"$T/eot_only.mid"
no_crash "$T/eot_only.mid" vg

# Not files.
mkdir "$T/dir.mid"
expect_error "$T/dir.mid" vg
expect_error "$T/missing.mid" vg
: >"$T/zero.mid"
expect_error "$T/zero.mid" vg
head -c 20 /dev/zero >"$T/zeros.mid"
expect_error "$T/zeros.mid"

# Mutations of the good file: three bytes changed, never crash.  The
# mutations are seeded (awk's srand) so a failure reproduces; set
# FUZZ_SEED to explore others.  Each has its own file: checks run
# side by side.
i=0
while [ $i -lt 100 ]; do
	cp "$good" "$T/mut$i.mid"
	awk -v seed=$((${FUZZ_SEED:-0} * 1000 + i)) -v size="$size" \
	    'BEGIN { srand(seed); for (k = 0; k < 3; k++)
	    print int(rand() * size), int(rand() * 256) }' |
	while read -r off byte; do
		printf "$(printf '\\%03o' "$byte")" |
		    dd of="$T/mut$i.mid" bs=1 seek="$off" conv=notrunc \
		    2>/dev/null
	done
	if [ $i -lt "$VG_MUTATIONS" ]; then
		no_crash "$T/mut$i.mid" vg
	else
		no_crash "$T/mut$i.mid"
	fi
	i=$((i + 1))
done
wait
n=1
while [ $n -le $njob ]; do
	if [ "$(cat "$T/res.$n")" = ok ]; then
		ok
	else
		fail=$((fail + 1))
		cat "$T/res.$n" >&2
	fi
	n=$((n + 1))
done
if [ -n "$VG" ] && [ "$VG_MUTATIONS" -lt 100 ]; then
	echo "not under valgrind: the 20 zero bytes and mutations" \
	    "$VG_MUTATIONS..99 (VG_MUTATIONS=100 runs them all)"
fi

# convert refuses to overwrite its input, in one line.
cp "$good" "$T/in.mid"
"$LR" convert "$T/in.mid" "$T/in.mid" >"$T/out" 2>"$T/err"
if [ $? -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    cmp -s "$good" "$T/in.mid"; then
	ok
else
	bad "convert overwrote its input or said: $(cat "$T/err")"
fi
# Usage errors exit 2.
"$LR" convert "$T/in.mid" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "convert with one file: want exit 2"
"$LR" convert --steps 33 "$T/in.mid" "$T/o.mid" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "convert --steps 33: want exit 2"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
