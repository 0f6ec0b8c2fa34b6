#!/bin/sh
# guard.sh: issue J's quality guard, as one command (`make bench-guard`).
#
# For each seed, mel_2bar is trained GUARD_STEPS steps (3000) at batch 64
# on Nottingham three times: bf16 on oneDNN, float32 on oneDNN, and float32
# on OpenBLAS, the noise floor (the same arithmetic as oneDNN's float32,
# summed in another order).  Prints, per seed, the valid teacher-forced
# accuracy at the last step of each run and the two gaps (bf16 - float32,
# float32 - float32), the curves side by side, and over the seeds: the mean
# gap, its standard error, and how many seeds are within 0.005.
#
# A run that cannot start (no AVX512-BF16, a build without oneDNN) is a
# missing side, "-", and the line says why; missing sides count as misses.
# Runs live in GUARD_DIR and resume where they stopped (train --resume), so
# an interrupted guard costs only the steps since its last checkpoint.
# About an hour a seed on a 2-core machine with AVX-512 (bf16 ~4 minutes,
# float32 ~10, OpenBLAS ~12 at 2 threads), more without it.
#
#   srcdir=. top_builddir=. sh bench/guard.sh
#
# Knobs: GUARD_SEEDS ("7 8 9 10 11 12"), GUARD_STEPS (3000), GUARD_THREADS
# (2), GUARD_DIR ($top_builddir/guard.d), GUARD_FLOOR (1; 0 skips the
# OpenBLAS runs), SHARED_DIR ($srcdir/../shared).

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
seeds=${GUARD_SEEDS:-7 8 9 10 11 12}
steps=${GUARD_STEPS:-3000}
threads=${GUARD_THREADS:-2}
dir=${GUARD_DIR:-$top_builddir/guard.d}
floor=${GUARD_FLOOR:-1}
data=${SHARED_DIR:-$srcdir/../shared}/data/nottingham
lr=$top_builddir/latentroll

for v in "$steps" "$threads" $seeds; do
	case $v in
	''|*[!0-9]*) echo "guard.sh: \"$v\": want whole numbers (GUARD_STEPS," \
	    "GUARD_THREADS, GUARD_SEEDS)" >&2; exit 2 ;;
	esac
done
if [ "$steps" -lt 1 ] || [ -z "$seeds" ]; then
	echo "guard.sh: want GUARD_STEPS >= 1 and one seed or more" >&2
	exit 2
fi
if [ ! -x "$lr" ]; then
	echo "guard.sh: $lr: not built (make first)" >&2
	exit 2
fi
if [ ! -d "$data" ]; then
	echo "guard.sh: $data: no such folder (set SHARED_DIR)" >&2
	exit 2
fi
# Validate every 500 steps where that ends on the last step, else once.
every=500
[ $((steps % every)) -eq 0 ] || every=$steps
mkdir -p "$dir" || exit 1

variants="bf16_onednn fp32_onednn"
[ "$floor" = 0 ] || variants="$variants fp32_openblas"

# run SEED VARIANT: train (or resume) one run; its folder's `done` marks a
# finished run, `why` the one line of a run that could not.
run() {
	d=$dir/s$1_$2
	[ -f "$d/done" ] && return 0
	rm -f "$d.why"
	r=
	[ -f "$d/trainstate.bin" ] && r=--resume
	echo "guard: seed $1, $2${r:+ (resumed)}" >&2
	if LATENTROLL_BACKEND=${2#*_} "$lr" train --data "$data" \
	    --arch mel_2bar --out "$d" --steps "$steps" --batch 64 \
	    --seed "$1" --threads "$threads" --precision "${2%_*}" \
	    --valid-every "$every" --cache "$dir/cache" --quiet $r \
	    </dev/null >"$d.log" 2>&1; then
		# A build without oneDNN runs OpenBLAS whatever is asked:
		# that run is not the side asked for.
		if grep -q "\"backend\": \"${2#*_}\"" "$d/model_card.json"; then
			touch "$d/done"
		else
			echo "asked for ${2#*_}, ran $(grep -o \
			    '"backend": "[a-z]*"' "$d/model_card.json" |
			    cut -d'"' -f4) (a build without oneDNN?)" >"$d.why"
		fi
	else
		grep -v '^$' "$d.log" | tail -n 1 >"$d.why"
	fi
}

# acc SEED VARIANT [STEP]: valid teacher-forced accuracy at STEP (the
# last by default) from curve.tsv's third column, or "-".
acc() {
	d=$dir/s$1_$2
	if [ ! -f "$d/done" ]; then
		echo -
		return
	fi
	awk -v s="${3:-$steps}" '$1 == s { a = $3 } END {
	    print (a == "" ? "-" : a) }' "$d/curve.tsv"
}

for s in $seeds; do
	for v in $variants; do
		run "$s" "$v"
	done
done

echo "quality guard: mel_2bar, $steps steps, batch 64, $threads thread(s);" \
    "valid teacher-forced accuracy at step $steps"
printf '  %-5s %8s %12s %10s %14s %10s\n' seed bf16 "fp32 oneDNN" \
    "bf16-fp32" "fp32 OpenBLAS" "fp32-fp32"
for s in $seeds; do
	printf '%s %s %s %s\n' "$s" "$(acc "$s" bf16_onednn)" \
	    "$(acc "$s" fp32_onednn)" "$(if [ "$floor" = 0 ]; then echo -;
	    else acc "$s" fp32_openblas; fi)"
done | awk -v lim=0.005 '
function gap(a, b) { return (a == "-" || b == "-") ? "-" : a - b }
function fmt(x) { return x == "-" ? "-" : sprintf("%+.4f", x) }
{
	g = gap($2, $3); f = gap($4, $3)
	printf "  %-5s %8s %12s %10s %14s %10s\n", $1, $2, $3, fmt(g), $4,
	    fmt(f)
	n++
	if (g != "-") { ng++; sg += g; qg += g * g; wg += (g < 0 ? -g : g) <= lim }
	if (f != "-") { nf++; sf += f; qf += f * f; wf += (f < 0 ? -f : f) <= lim }
}
function summary(what, k, s, q, w,    m, se) {
	if (k == 0) {
		printf "  %s: no seed measured: MISS (a side missing)\n", what
		return 1
	}
	m = s / k
	se = k > 1 ? sqrt((q - k * m * m) / (k - 1) / k) : 0
	printf "  %s over %d of %d seed(s): mean %+.4f (standard error %.4f);" \
	    " %d within %.3f\n", what, k, n, m, se, w, lim
	return 0
}
END {
	miss = summary("bf16 - fp32", ng, sg, qg, wg)
	if (nf > 0)
		summary("fp32 OpenBLAS - fp32 oneDNN (the floor)", nf, sf, qf,
		    wf)
	if (!miss) {
		printf "  target: every seed within %.3f: %s (%d of %d)\n", lim,
		    wg == n ? "ok" : "MISS", wg, n
		printf "  mean gap within %.3f: %s\n", lim,
		    (sg / ng < 0 ? -sg / ng : sg / ng) <= lim ? "ok" : "MISS"
	}
}'

echo "curves (valid teacher-forced accuracy: bf16 / fp32 oneDNN / fp32" \
    "OpenBLAS)"
for s in $seeds; do
	line="  seed $s:"
	st=$every
	while [ "$st" -le "$steps" ]; do
		line="$line $st $(acc "$s" bf16_onednn "$st")/$(acc "$s" \
		    fp32_onednn "$st")/$(acc "$s" fp32_openblas "$st")"
		st=$((st + every))
	done
	echo "$line"
done
# One line for each variant that did not run, with its seeds.
for v in $variants; do
	miss= why=
	for s in $seeds; do
		[ -s "$dir/s${s}_$v.why" ] || continue
		miss="$miss $s"
		[ -n "$why" ] || why=$(cat "$dir/s${s}_$v.why")
	done
	[ -z "$miss" ] || echo "note: $v did not run (seed(s)$miss): $why"
done
exit 0
