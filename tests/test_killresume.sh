#!/bin/sh
# test_killresume.sh: a training run killed with SIGKILL at ten random
# moments (seeded, so a failure repeats), checkpointing every step so
# most kills land inside a checkpoint write, each time resumed with
# --resume.  After every kill the checkpoint folder loads (encode) and the
# state never goes back; the run finally ends bit for bit where an
# unbroken run ends (training state, manifest and shards).
top_builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
SEED=${KILL_SEED:-20261202}
. "$srcdir/tests/train_lib.sh"
tmp=$(mktemp -d /tmp/lr_killresume.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
small_corpus "$tmp/data" || exit 99
args="--data $tmp/data --arch mel_2bar --tiny --batch 8 --threads 1 \
    --valid-every 50 --quiet --seed 3"
N=300

"$LR" train $args --out "$tmp/a" --steps $N 2>"$tmp/a.err"
check "unbroken run succeeds" '[ $? -eq 0 ] && [ -f "$tmp/a/trainstate.bin" ]'

# Ten kill points spread over the run, by progress, not by the clock (a
# fast machine would finish a timed run before its kills): each is a
# seeded random step in its tenth of the run, then a seeded 0-30 ms more,
# so the kill lands anywhere in a step, its checkpoint write included.
points=$(awk -v s="$SEED" -v n=$N 'BEGIN { srand(s); for (i = 0; i < 10; i++)
	printf "%d:%.3f ", int(n * (i + 0.2 + 0.6 * rand()) / 11) + 1,
	    0.03 * rand() }')
last=0
kills=0
inwrite=0
k=0
for p in $points; do
	k=$((k + 1))
	target=${p%%:*}
	d=${p#*:}
	resume=""
	[ -f "$tmp/c/trainstate.bin" ] && resume=--resume
	"$LR" train $args --out "$tmp/c" --steps $N --ckpt-minutes 0 \
	    $resume 2>"$tmp/c.err.$k" &
	pid=$!
	# Until the saved state reaches the target step (or the run ends).
	while kill -0 $pid 2>/dev/null; do
		at=$(od -An -t d8 -j 24 -N 8 "$tmp/c/trainstate.bin" \
		    2>/dev/null | tr -d ' ')
		[ -n "$at" ] && [ "$at" -ge "$target" ] && break
		sleep 0.01
	done
	sleep "$d"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		break			# finished before the kill
	fi
	check "kill $k: killed, not failed (status $rc: \
$(head -c 200 "$tmp/c.err.$k"))" '[ $rc -eq 137 ]'
	kills=$((kills + 1))
	# A checkpoint write cut short leaves its temporaries (the next
	# save or resume removes them).
	if [ -n "$(ls -d "$tmp"/c.tmp* "$tmp"/c/.*.?????? 2>/dev/null)" ]; then
		inwrite=$((inwrite + 1))
	fi
	[ -f "$tmp/c/trainstate.bin" ] || continue
	at=$(od -An -t d8 -j 24 -N 8 "$tmp/c/trainstate.bin" | tr -d ' ')
	check "kill $k past step $target: state at step $at, not behind $last" \
	    '[ -n "$at" ] && [ "$at" -ge "$last" ]'
	last=${at:-$last}
	"$LR" encode --model "$tmp/c" "$srcdir/share/clips/a.mid" \
	    >"$tmp/enc.out" 2>"$tmp/enc.err"
	check "kill $k: the checkpoint loads ($(head -c 200 "$tmp/enc.err"))" \
	    '[ $? -eq 0 ] && [ -s "$tmp/enc.out" ]'
done
echo "$kills kills ($inwrite inside a checkpoint write), last at step" \
    "$last of $N"
check "at least 5 kills came mid-run ($kills)" '[ $kills -ge 5 ]'
"$LR" train $args --out "$tmp/c" --steps $N --ckpt-minutes 0 --resume \
    2>>"$tmp/c.err.end"
check "the last resume finishes ($(head -c 200 "$tmp/c.err.end"))" \
    '[ $? -eq 0 ]'
check "killed $kills times + resumed: same training state" \
    'cmp -s "$tmp/a/trainstate.bin" "$tmp/c/trainstate.bin"'
check "killed $kills times + resumed: same checkpoint" \
    'cmp -s "$tmp/a/weights_manifest.json" "$tmp/c/weights_manifest.json" &&
    for s in "$tmp"/a/group1-shard*; do
	cmp -s "$s" "$tmp/c/$(basename "$s")" || exit 1; done'
check "no temporary folder left beside the model" \
    '[ -z "$(ls -d "$tmp"/c.tmp* 2>/dev/null)" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
