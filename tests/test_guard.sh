#!/bin/sh
# test_guard.sh: bench/guard.sh (issue J's quality guard) computes what it
# prints.  Finished runs written by hand (curve.tsv and `done`, no training)
# give the table, the gaps, their mean, standard error and the count within
# 0.005; a missing side is a miss; bad knobs are refused; and one real
# two-step run shows the script drives `latentroll train`.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
data=${SHARED_DIR:-$srcdir/../shared}/data/nottingham
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
check() {
	d=$1
	shift
	if "$@"; then ok; else bad "$d"; fi
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-tg.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

guard() {
	srcdir=$srcdir top_builddir=$top_builddir SHARED_DIR=${SHARED_DIR:-$srcdir/../shared} \
	    GUARD_DIR=$tmp/g "$@" sh "$srcdir/bench/guard.sh" >"$tmp/out" \
	    2>"$tmp/err"
}
# fake SEED VARIANT ACC500 ACC1000: a finished 1000-step run.
fake() {
	mkdir -p "$tmp/g/s$1_$2"
	printf '500\t0.5\t%s\t0.4\t9\t30\n1000\t0.6\t%s\t0.5\t9\t20\n' \
	    "$3" "$4" >"$tmp/g/s$1_$2/curve.tsv"
	touch "$tmp/g/s$1_$2/done"
}

# Three seeds: gaps bf16 - fp32 of +0.004, -0.010, +0.003 (mean -0.001,
# standard error 0.0045; two within 0.005); floor gaps +0.002, +0.020,
# -0.001 (two within); standard errors sqrt(sum (g - mean)^2 / 2 / 3).
fake 1 bf16_onednn 0.70 0.804
fake 1 fp32_onednn 0.71 0.800
fake 1 fp32_openblas 0.69 0.802
fake 2 bf16_onednn 0.72 0.890
fake 2 fp32_onednn 0.73 0.900
fake 2 fp32_openblas 0.74 0.920
fake 3 bf16_onednn 0.60 0.853
fake 3 fp32_onednn 0.61 0.850
fake 3 fp32_openblas 0.62 0.849
if guard env GUARD_SEEDS="1 2 3" GUARD_STEPS=1000; then
	ok
else
	bad "guard.sh on finished runs: exit $?: $(cat "$tmp/err")"
fi
check "no training when every run is done" [ ! -s "$tmp/err" ]
check "seed 2's row: accuracies and gaps" grep -Eq \
    '^  2 +0\.890 +0\.900 +-0\.0100 +0\.920 +\+0\.0200$' "$tmp/out"
check "bf16 summary: mean, standard error, 2 within" grep -Fq \
    "bf16 - fp32 over 3 of 3 seed(s): mean -0.0010 (standard error 0.0045); 2 within 0.005" \
    "$tmp/out"
check "floor summary" grep -Fq \
    "(the floor) over 3 of 3 seed(s): mean +0.0070 (standard error 0.0066); 2 within 0.005" \
    "$tmp/out"
check "every seed within 0.005: MISS (2 of 3)" grep -Fq \
    "every seed within 0.005: MISS (2 of 3)" "$tmp/out"
check "mean gap within 0.005: ok" grep -Fq "mean gap within 0.005: ok" \
    "$tmp/out"
check "curves side by side, every validation" grep -Fq \
    "seed 1: 500 0.70/0.71/0.69 1000 0.804/0.800/0.802" "$tmp/out"

# All three within: the per-seed target holds.
if guard env GUARD_SEEDS="1 3" GUARD_STEPS=1000 &&
    grep -Fq "every seed within 0.005: ok (2 of 2)" "$tmp/out"; then
	ok
else
	bad "seeds 1 and 3: want every seed ok: $(cat "$tmp/out")"
fi

# A side without the last step's accuracy (a run cut short) is "-", and
# a miss; the other column still counts.
fake 4 bf16_onednn 0.70 0.80
sed -i '$d' "$tmp/g/s4_bf16_onednn/curve.tsv"
fake 4 fp32_onednn 0.71 0.80
fake 4 fp32_openblas 0.72 0.81
if guard env GUARD_SEEDS="4" GUARD_STEPS=1000; then
	check "seed 4: bf16 '-'" grep -Eq '^  4 +- +0\.80 +- +0\.81 +\+0\.0100$' \
	    "$tmp/out"
	check "seed 4: no bf16 seed: a miss" grep -Fq \
	    "bf16 - fp32: no seed measured: MISS (a side missing)" "$tmp/out"
	check "seed 4: the floor still counts" grep -Fq \
	    "(the floor) over 1 of 1 seed(s): mean +0.0100" "$tmp/out"
else
	bad "seed 4: exit $?: $(cat "$tmp/err")"
fi

# Bad knobs and a missing corpus: refused up front with one line.
mkdir -p "$tmp/nodata"
if SHARED_DIR=$tmp/nodata guard env GUARD_SEEDS="3"; then
	bad "guard.sh without data: exit 0"
else
	check "no data: one line naming the folder" \
	    grep -q "nodata/data/nottingham: no such folder" "$tmp/err"
fi
for k in "GUARD_STEPS=x" "GUARD_SEEDS=1,2" "GUARD_THREADS=two" "GUARD_STEPS=0"; do
	if guard env "$k"; then
		bad "$k: accepted"
	else
		check "$k: refused with a reason" grep -q "guard.sh: " \
		    "$tmp/err"
	fi
done

# One real run of two steps, one thread: the OpenBLAS side always runs
# (bf16 and oneDNN need the CPU and the build: they run or say why).
if [ -d "$data" ] && [ -x "$top_builddir/latentroll" ]; then
	rm -rf "$tmp/g"
	guard env GUARD_SEEDS="5" GUARD_STEPS=2 GUARD_THREADS=1
	rc=$?
	check "two-step guard: exit 0 ($rc)" [ "$rc" -eq 0 ]
	check "two-step guard: the OpenBLAS run finished" \
	    [ -f "$tmp/g/s5_fp32_openblas/done" ]
	check "two-step guard: a number in the OpenBLAS column" \
	    grep -Eq '^  5 .* 0\.[0-9]+ +(-|[+-]0\.[0-9]{4})$' "$tmp/out"
	check "two-step guard: its curve has step 2" grep -q "^2	" \
	    "$tmp/g/s5_fp32_openblas/curve.tsv"
	# bf16 where it cannot run: a dash, a miss and the reason, once.
	if grep -q "^note: bf16_onednn did not run" "$tmp/out"; then
		check "no bf16: the table says MISS (a side missing)" grep -Fq \
		    "bf16 - fp32: no seed measured: MISS (a side missing)" \
		    "$tmp/out"
	fi
	# A latentroll that runs OpenBLAS whatever is asked (as a build
	# without oneDNN does): its "oneDNN" run is not counted, and says so.
	mkdir -p "$tmp/wrap"
	printf '#!/bin/sh\nLATENTROLL_BACKEND=openblas exec "%s" "$@"\n' \
	    "$(cd "$top_builddir" && pwd)/latentroll" >"$tmp/wrap/latentroll"
	chmod +x "$tmp/wrap/latentroll"
	rm -rf "$tmp/g"
	top_builddir=$tmp/wrap guard env GUARD_SEEDS="6" GUARD_STEPS=2 \
	    GUARD_THREADS=1 GUARD_FLOOR=0
	check "backend not the one asked: not counted" \
	    [ ! -f "$tmp/g/s6_fp32_onednn/done" ]
	check "backend not the one asked: the note says so" grep -Fq \
	    "note: fp32_onednn did not run (seed(s) 6): asked for onednn, ran openblas" \
	    "$tmp/out"
else
	echo "SKIP: two-step guard: no $data or no latentroll built"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
