#!/bin/sh
# compare.sh: latentroll against its PyTorch peers, in one run, same threads.
#
# Writes random-weight mel_2bar and mel_16bar checkpoints with bench_infer
# --save-model, checks the peers agree with each other and with a numpy
# transcription of the spec on them (a fast wrong peer must not count) and,
# when `latentroll decode` works, with C's argmax tokens, then
# for each thread count runs bench_infer/bench_train --json and the peers
# (bench/peers/) back to back and prints the ratio tables against the targets
# of issues B and C.  Missed targets are reported, not fatal; a peer that
# fails its self-test is.  Run by `make bench`; by hand:
#
#   srcdir=. top_builddir=. sh bench/compare.sh
#
# Knobs: COMPARE_THREADS ("1 2"), COMPARE_RUNS (20), COMPARE_TRAIN_STEPS (3),
# PEER_PYTHON (/usr/bin/python3: Debian's python3-torch lives there).

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
threads=${COMPARE_THREADS:-1 2}
runs=${COMPARE_RUNS:-20}
steps=${COMPARE_TRAIN_STEPS:-3}
py=${PEER_PYTHON:-/usr/bin/python3}
peers=$srcdir/bench/peers
bi=$top_builddir/bench/bench_infer
bt=$top_builddir/bench/bench_train

# bench_infer takes medians of 20 runs or more: refuse fewer up front
# rather than leave every C cell empty.
case $runs in
''|*[!0-9]*) echo "compare.sh: COMPARE_RUNS=$runs: want a whole number" \
    ">= 20" >&2; exit 2 ;;
esac
if [ "$runs" -lt 20 ]; then
	echo "compare.sh: COMPARE_RUNS=$runs: bench_infer needs 20 or more" >&2
	exit 2
fi

if ! "$py" -c 'import torch, numpy' >/dev/null 2>&1; then
	echo "SKIP: PyTorch peers: $py cannot import torch and numpy" \
	    "(apt-get install python3-torch python3-numpy)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-compare.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# One line saying why a C side is missing; its table cells then show "-".
note() {
	echo "note: $*"
}

status=0
for a in mel_2bar mel_16bar; do
	if [ -x "$bi" ] && "$bi" --save-model "$tmp/$a" --arch "$a" \
	    >/dev/null 2>"$tmp/err"; then
		src="bench_infer --save-model"
	else
		[ -x "$bi" ] && note "bench_infer --save-model $a failed:" \
		    "$(head -n 1 "$tmp/err")"
		rm -rf "$tmp/$a"
		"$py" "$peers/musicvae_torch.py" --write-random "$tmp/$a" \
		    --arch "$a" || exit 1
		src="musicvae_torch.py --write-random (C writer unavailable)"
	fi
	if "$py" "$peers/musicvae_torch.py" --selftest "$tmp/$a" \
	    >"$tmp/selftest" 2>&1; then
		echo "peers on $a ($src): self-test ok" \
		    "($(grep -c '^ok' "$tmp/selftest") checks)"
	else
		echo "FAIL: peers on $a ($src): self-test:"
		sed 's/^/  /' "$tmp/selftest"
		status=1
	fi
	# Same function on both sides, or the ratios mean nothing: C's
	# argmax decode of a few z must equal the peers' (a warning only,
	# since a C bug should not hide the timings).
	"$py" "$peers/musicvae_torch.py" --parity "$tmp/$a" \
	    --latentroll "$top_builddir/latentroll" >"$tmp/parity" 2>&1
	case $? in
	0)	echo "  $a: $(cat "$tmp/parity")" ;;
	1)	echo "  WARNING: $a: $(cat "$tmp/parity")" ;;
	*)	echo "  $a: $(head -n 1 "$tmp/parity") (not checked)" ;;
	esac
done
if "$py" "$peers/bench_train_peer.py" --selftest >"$tmp/selftest" 2>&1; then
	echo "training peer: self-test ok (tiny flat and hierarchical models" \
	    "overfit a batch)"
else
	echo "FAIL: training peer self-test:"
	sed 's/^/  /' "$tmp/selftest"
	status=1
fi
[ $status -eq 0 ] || exit 1

[ -r /proc/loadavg ] && note "before the runs, load average" \
    "$(cut -d ' ' -f 1-3 /proc/loadavg)"
[ -x "$bi" ] || note "$bi not built: inference C column empty"
[ -x "$bt" ] || note "$bt not built: training C column empty"
for n in $threads; do
	if [ -x "$bi" ] && ! "$bi" --json --threads "$n" --runs "$runs" \
	    >"$tmp/c_infer_$n.json" 2>"$tmp/err"; then
		note "bench_infer --json --threads $n failed:" \
		    "$(head -n 1 "$tmp/err")"
	fi
	for a in mel_2bar mel_16bar; do
		"$py" "$peers/bench_infer_peer.py" "$tmp/$a" --threads "$n" \
		    --runs "$runs" >"$tmp/p_infer_${a}_$n.json" || exit 1
	done
	# C: the default training path (bf16 where the CPU has it), and
	# float32 on OpenBLAS, the path before oneDNN, in the same run.
	if [ -x "$bt" ] && ! "$bt" --json --threads "$n" --precision bf16 \
	    >"$tmp/c_train_$n.json" 2>"$tmp/err"; then
		note "bench_train --json --threads $n --precision bf16" \
		    "failed: $(head -n 1 "$tmp/err")"
	fi
	if [ -x "$bt" ] && ! "$bt" --json --threads "$n" --backend openblas \
	    >"$tmp/c_train_ob_$n.json" 2>"$tmp/err"; then
		note "bench_train --json --threads $n --backend openblas" \
		    "failed: $(head -n 1 "$tmp/err")"
	fi
	# Shapes from the checkpoints, i.e. from the table the C side uses.
	"$py" "$peers/bench_train_peer.py" --threads "$n" --steps "$steps" \
	    --model "$tmp/mel_2bar" --model "$tmp/mel_16bar" \
	    >"$tmp/p_train_$n.json" || exit 1
	"$py" "$peers/bench_train_peer.py" --threads "$n" --steps "$steps" \
	    --model "$tmp/mel_2bar" --model "$tmp/mel_16bar" --autocast \
	    >"$tmp/p_train_ac_$n.json" || exit 1
	# Two cores shared with other work: say how busy they were.
	[ -r /proc/loadavg ] && note "after the $n-thread runs, load" \
	    "average $(cut -d ' ' -f 1-3 /proc/loadavg)"
done
"$py" "$peers/report.py" "$tmp" $threads
