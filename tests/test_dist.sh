#!/bin/sh
# test_dist.sh: `mpirun -np 2 latentroll train` (issue I) against one
# process, on a few Nottingham tunes with --tiny shapes, float32
# products (--precision fp32: bf16's rounding is the same in both runs,
# but float32 keeps the comparison about the ranks alone).
#
#   equivalence  2 ranks x 1 thread and 1 process x 2 threads at --batch
#                64 (32 examples a rank) reach the same parameters after
#                20 steps: max |difference| <= TOL.  They draw the same
#                batches and noise and differ only in the order the
#                gradients are added (two terms: a + b == b + a, so here
#                they agree bit for bit; more ranks could differ by a few
#                float roundings, which 20 Adam steps of lr 1e-3 keep far
#                below TOL: 3 ranks against 1 process x 3 threads differ
#                by 5e-8, checked too).  Control: 2 ranks x 2 threads
#                draw other noise and must differ by more than TOL, or
#                the check proves nothing.
#   kill -9      one rank killed mid-run (checkpointing every step): mpirun
#                stops the job naming the rank and the signal, the last
#                checkpoint loads, and resuming it in one process x 2
#                threads ends where a straight 2-rank run does.
#
# Needs a --with-mpi build (MPIRUN, from configure); a plain one checks
# only that it refuses to be one of several ranks, then skips.
top_builddir=${top_builddir:-.}
TOL=1e-5
srcdir=${srcdir:-.}
. "$srcdir/tests/train_lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
small_corpus "$tmp/data" || exit 99
args="--data $tmp/data --arch mel_2bar --tiny --batch 64 --valid-every 0 \
    --seed 3 --precision fp32"

if [ -z "${MPIRUN:-}" ]; then
	# A plain build under mpirun would train N times into one folder.
	OMPI_COMM_WORLD_SIZE=2 "$LR" train $args --steps 1 --out "$tmp/p" \
	    2>"$tmp/p.err"
	rc=$?
	if [ $rc -ne 1 ] || ! grep -q "built without MPI" "$tmp/p.err"; then
		echo "FAIL: a plain build started as one of 2 ranks" \
		    "(rc $rc): $(cat "$tmp/p.err")" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: built without --with-mpi (a plain build refuses to be" \
	    "one of several ranks: checked)"
	echo "1 passed, 0 failed"
	exit 77
fi

# CI runs as root; two ranks may exceed the cores.
OMPI_ALLOW_RUN_AS_ROOT=1
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
mpi="$MPIRUN -np 2 --oversubscribe"

# Parameters of a run: n_params floats after trainstate.bin's 96-byte
# header (src/storage/trainstate.h), one a line.
params() {
	n=$(od -An -t u8 -j 16 -N 8 "$1/trainstate.bin" | tr -d ' ')
	od -An -v -t f4 -j 96 -N $((n * 4)) "$1/trainstate.bin" |
	    tr -s ' ' '\n' | sed '/^$/d'
}

# Largest |a - b| between two runs' parameters ("count" if they differ in
# number).
maxdiff() {
	params "$1" >"$tmp/pa"
	params "$2" >"$tmp/pb"
	paste "$tmp/pa" "$tmp/pb" | awk '
	    NF != 2 { bad = 1 }
	    { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d }
	    END { if (bad || NR == 0) print "count"; else printf "%.3g\n", m }'
}

"$LR" train $args --threads 2 --steps 20 --quiet --out "$tmp/one" \
    2>"$tmp/one.err"
rc1=$?
$mpi "$LR" train $args --threads 1 --steps 20 --out "$tmp/two" \
    >"$tmp/two.out" 2>"$tmp/two.err"
rc2=$?
check "1 process x 2 threads and 2 ranks x 1 thread run (rc $rc1, $rc2)" \
    '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]'
d=$(maxdiff "$tmp/one" "$tmp/two")
same=differ
cmp -s "$tmp/one/trainstate.bin" "$tmp/two/trainstate.bin" && same=same
echo "2 ranks vs 1 process, 20 steps: max |dp| $d (tolerance $TOL;" \
    "trainstate.bin $same)"
check "2 ranks vs 1 process: max |dp| $d <= $TOL" \
    'awk -v d="$d" -v t=$TOL "BEGIN { exit !(d != \"count\" && d <= t) }"'
check "rank 0 alone writes and prints (one progress line, one report)" \
    '[ "$(grep -c "^step 20 " "$tmp/two.err")" -eq 1 ] &&
    grep -q "^train: 2 ranks x 1 thread (Open MPI.*MPI_Allreduce of" \
    "$tmp/two.err" && [ "$(grep -c "^train: done" "$tmp/two.err")" -eq 1 ]'
check "the state records 2 workers (ranks x threads)" \
    '[ "$(od -An -t u4 -j 68 -N 4 "$tmp/two/trainstate.bin")" -eq 2 ]'

# Three ranks: uneven slices (22, 21, 21) and a sum of three terms, whose
# order may differ from one process's (5e-8 here, December 2026).
"$LR" train $args --threads 3 --steps 20 --quiet --out "$tmp/one3" \
    2>"$tmp/one3.err"
rc1=$?
$MPIRUN -np 3 --oversubscribe "$LR" train $args --threads 1 --steps 20 \
    --quiet --out "$tmp/three" >/dev/null 2>"$tmp/three.err"
rc2=$?
d3=$(maxdiff "$tmp/one3" "$tmp/three")
echo "3 ranks vs 1 process x 3 threads, 20 steps: max |dp| $d3"
check "3 ranks vs 1 process x 3 threads (rc $rc1, $rc2): max |dp| $d3 <= $TOL" \
    '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] &&
    awk -v d="$d3" -v t=$TOL "BEGIN { exit !(d != \"count\" && d <= t) }"'

$mpi "$LR" train $args --threads 2 --steps 20 --quiet --out "$tmp/four" \
    >/dev/null 2>"$tmp/four.err"
rc=$?
d4=$(maxdiff "$tmp/one" "$tmp/four")
echo "control, 2 ranks x 2 threads (other noise): max |dp| $d4"
check "control: other noise draws differ by more than $TOL ($d4)" \
    '[ $rc -eq 0 ] &&
    awk -v d="$d4" -v t=$TOL "BEGIN { exit !(d != \"count\" && d > t) }"'

# kill -9 of rank 1 while rank 0 checkpoints every step.
$mpi "$LR" train $args --threads 1 --steps 100000 --ckpt-minutes 0 \
    --quiet --out "$tmp/k" >"$tmp/k.out" 2>"$tmp/k.err" &
job=$!
i=0
while [ $i -lt 300 ] && [ ! -f "$tmp/k/trainstate.bin" ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
victim=""
for p in $(pgrep -P $job); do
	if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
	    grep -qx "OMPI_COMM_WORLD_RANK=1"; then
		victim=$p
	fi
done
check "found rank 1 among mpirun's children" '[ -n "$victim" ]'
[ -n "$victim" ] && kill -9 "$victim"
# The job must end by itself; after 60 s it is stopped here (a failure).
i=0
while [ $i -lt 600 ] && kill -0 $job 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
hung=0
if kill -0 $job 2>/dev/null; then
	hung=1
	kill -9 $job
fi
wait $job
rc=$?
check "kill -9 of rank 1: the job stops by itself (rc $rc)" \
    '[ $hung -eq 0 ] && [ $rc -ne 0 ]'
check "kill -9 of rank 1: mpirun says which rank and why" \
    'grep -q "rank 1 .*exited on signal 9" "$tmp/k.err"'
at=$(od -An -t d8 -j 24 -N 8 "$tmp/k/trainstate.bin" 2>/dev/null | tr -d ' ')
at=${at:-0}
echo "kill -9 of rank 1: last checkpoint at step $at"
# The checkpoint is whole (resume checks both CRCs), and a run of
# another number of ranks with the same ranks x threads goes on from it
# as the job would have.
"$LR" train $args --threads 2 --steps $((at + 10)) --resume --quiet \
    --out "$tmp/k" 2>"$tmp/kr.err"
rc=$?
$mpi "$LR" train $args --threads 1 --steps $((at + 10)) --quiet \
    --out "$tmp/ks" >/dev/null 2>"$tmp/ks.err"
rc2=$?
d=$(maxdiff "$tmp/k" "$tmp/ks")
check "last checkpoint (step $at) resumes in 1 process (rc $rc)" \
    '[ $at -gt 0 ] && [ $rc -eq 0 ] && [ $rc2 -eq 0 ]'
check "resumed in 1 process x 2 threads = straight 2 ranks (max |dp| $d)" \
    'awk -v d="$d" -v t=$TOL "BEGIN { exit !(d != \"count\" && d <= t) }"'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
