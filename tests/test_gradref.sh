#!/bin/sh
# test_gradref.sh: one full-size training step of the C trainer (loss and
# every tensor's gradient, float32 on OpenBLAS) against PyTorch autograd
# from the same weights, tokens and noise, for mel_2bar (flat) and
# mel_16bar (hierarchical encoder, conductor, core decoder per bar):
# tests/gradref_dump writes the step, tests/gradref.py recomputes it.
# test_grad checks the backward by finite differences on tiny shapes; this
# checks the full shapes against an independent transcription of the
# model.  Skips when /usr/bin/python3 cannot import torch and numpy
# (Debian: python3-torch python3-numpy).
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
PY=/usr/bin/python3
DUMP=$top_builddir/tests/gradref_dump

if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
	echo "SKIP: $PY cannot import torch and numpy" \
	    "(apt-get install python3-torch python3-numpy)"
	echo "0 passed, 0 failed"
	exit 77
fi
if [ ! -x "$DUMP" ]; then
	echo "SKIP: $DUMP not built (make tests/gradref_dump)"
	echo "0 passed, 0 failed"
	exit 77
fi

T=$(mktemp -d /tmp/lr_gradref.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
pass=0
fail=0
# Batch 3 and 2: rows of the batch differ, so a gradient summed over the
# wrong rows (or averaged by the wrong B) shows, at mel_16bar's 256 steps
# within the run time of the other checks.  Free bits 0 (every example's
# KL gradient live), then mel_2bar again with the budget between two
# examples' KLs ("split"), so one gets no KL gradient.
for run in "mel_2bar 3" "mel_16bar 2" "mel_2bar 3 split"; do
	set -- $run
	out=$T/$1$3
	if ! "$DUMP" "$1" "$out" "$2" 1 $3 2>"$out.err"; then
		echo "FAIL: gradref_dump $run: $(cat "$out.err")" >&2
		fail=$((fail + 1))
		continue
	fi
	"$PY" "$srcdir/tests/gradref.py" "$out" >"$out.out" 2>&1
	cat "$out.out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out.out" |
	    tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: gradref.py $run gave no summary line" >&2
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + ${line%% passed*}))
	nf=${line#*passed, }
	fail=$((fail + ${nf%% failed}))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
