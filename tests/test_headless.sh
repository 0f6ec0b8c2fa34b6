#!/bin/sh
# test_headless.sh: the commands scripts use without the instrument
# (issue G): sample and similar, --model by name (the user's models, then
# the shipped ones) or none (the shipped 2-bar model), import and models,
# the shipped data found from another folder, and an installed copy that
# finds its data after `make install DESTDIR=...` moved somewhere else.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
LR=${LATENTROLL:-$top_builddir/latentroll}
PY=${PYTHON:-/usr/bin/python3}
pass=0
fail=0

if [ ! -x "$LR" ]; then
	echo "SKIP: $LR not built"
	echo "0 passed, 0 failed"
	exit 77
fi
LR=$(cd "$(dirname "$LR")" && pwd)/$(basename "$LR")
T=$(mktemp -d /tmp/lr_headless.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
# A private home: the user's model folder and settings live in it.
HOME=$T/home
XDG_DATA_HOME=$T/data
XDG_CONFIG_HOME=$T/config
mkdir -p "$HOME"
export HOME XDG_DATA_HOME XDG_CONFIG_HOME
unset LATENTROLL_DATA
SRC=$(cd "$srcdir" && pwd)
A=$SRC/share/clips/a.mid
M2=$SRC/share/models/mel_2bar

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
run() {
	"$LR" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}
# expect RC DESCRIPTION ARGS...: that exit status; for 1 one stderr line.
expect() {
	want=$1
	d=$2
	shift 2
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		bad "$d: exit $rc (want $want): $(head -c 300 "$T/err")"
		return 1
	fi
	if [ "$want" -eq 1 ] && [ "$(wc -l <"$T/err")" -ne 1 ]; then
		bad "$d: want one error line: $(head -c 300 "$T/err")"
		return 1
	fi
	ok
}
# count FILE: JSON lines in FILE.
lines() { wc -l <"$1" | tr -d ' '; }

# --- sample: n clips from the prior, repeatable from the seed ---------
expect 0 "sample" sample --model "$M2" -n 4 --seed 3 && cp "$T/out" "$T/s3"
[ "$(lines "$T/s3")" = 4 ] && ok || bad "sample -n 4: $(lines "$T/s3") lines"
expect 0 "sample again" sample --model "$M2" -n 4 --seed 3
cmp -s "$T/out" "$T/s3" && ok || bad "sample: the same seed differs"
expect 0 "sample seed 4" sample --model "$M2" -n 4 --seed 4
cmp -s "$T/out" "$T/s3" && bad "sample: seeds 3 and 4 agree" || ok
# Four different clips, each a valid melody (tokens in 0..89, 32 steps).
if "$PY" - "$T/s3" <<'PYEOF'
import json, sys
rows = [json.loads(l)["tokens"] for l in open(sys.argv[1])]
assert all(len(t) == 32 and all(0 <= x < 90 for x in t) for t in rows)
assert len({tuple(t) for t in rows}) == 4
PYEOF
then ok; else bad "sample: tokens"; fi
expect 0 "sample --out" sample --model "$M2" -n 3 --seed 1 --out "$T/s"
n=$(ls "$T/s"/sample_*.mid 2>/dev/null | wc -l)
[ "$n" = 3 ] && ok || bad "sample --out: $n files"
expect 0 "inspect a sample" inspect "$T/s/sample_01.mid"
expect 1 "sample over files" sample --model "$M2" -n 3 --out "$T/s"
expect 0 "sample --force" sample --model "$M2" -n 3 --out "$T/s" --force
expect 2 "sample -n 0" sample --model "$M2" -n 0
# No --model: the shipped 2-bar model, the same result as naming it.
expect 0 "sample, no --model" sample -n 2 --seed 9 && cp "$T/out" "$T/d"
expect 0 "sample --model mel_2bar" sample --model mel_2bar -n 2 --seed 9
cmp -s "$T/out" "$T/d" && ok || bad "default model is not mel_2bar"

# --- similar: S = 1 at temperature 0 decodes the clip's own mu --------
expect 0 "encode" encode --model "$M2" "$A" && cp "$T/out" "$T/z.json"
expect 0 "decode mu" decode --model "$M2" --z "$T/z.json" --temperature 0
"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens"])' \
    "$T/out" >"$T/dec"
expect 0 "similar 1" similar --model "$M2" "$A" -n 2 --similarity 1 \
    --temperature 0
"$PY" -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["tokens"])' "$T/out" \
    >"$T/sim"
[ "$(sort -u "$T/sim")" = "$(cat "$T/dec")" ] && ok ||
    bad "similar --similarity 1: not the clip's own decode"
expect 0 "similar 0.5" similar --model "$M2" "$A" -n 5 --similarity 0.5 \
    --seed 2
[ "$(lines "$T/out")" = 5 ] && ok || bad "similar -n 5"
expect 2 "similarity 1.5" similar --model "$M2" "$A" -n 2 --similarity 1.5
expect 2 "no similarity" similar --model "$M2" "$A" -n 2
expect 1 "similar of a missing clip" similar --model "$M2" "$T/none.mid" \
    -n 2 --similarity 0.5

# --- ABC tunes open like MIDI files: --tune X or FILE.abc#X -----------
ABC=${SHARED_DIR:-$SRC/../shared}/data/folk-abc/oneills1850/0001-0050.abc
if [ -f "$ABC" ] && command -v abc2midi >/dev/null; then
	expect 0 "encode --tune 4" encode --model "$M2" "$ABC" --tune 4 &&
	    cp "$T/out" "$T/abc4"
	expect 0 "encode FILE.abc#4" encode --model "$M2" "$ABC#4"
	cmp -s "$T/out" "$T/abc4" && ok || bad "--tune 4 and #4 differ"
	# No tune named: the first, a 2/4 tune (8 steps a bar): refused.
	expect 1 "encode the first tune" encode --model "$M2" "$ABC"
	grep -q "2/4" "$T/err" && ok || bad "first tune: $(cat "$T/err")"
	expect 0 "encode --tune 3" encode --model "$M2" "$ABC" --tune 3
	cmp -s "$T/out" "$T/abc4" && bad "tune 3 is tune 4" || ok
	expect 0 "inspect --tune 3" inspect "$ABC" --tune 3
	grep -q "notes" "$T/out" && ok || bad "inspect abc: $(head -2 "$T/out")"
	expect 0 "convert an ABC tune" convert "$ABC#4" "$T/abc4.mid"
	expect 0 "similar of an ABC tune" similar --model "$M2" "$ABC#4" -n 2 \
	    --similarity 0.8
	expect 1 "no tune 999" encode --model "$M2" "$ABC" --tune 999
	grep -q "no tune X: 999" "$T/err" && ok || bad "tune 999: $(cat "$T/err")"
	expect 1 "--tune on a MIDI file" encode --model "$M2" "$A" --tune 2
	# The same tune asked twice, differently: which one was meant?
	expect 1 "FILE.abc#4 --tune 3" encode --model "$M2" "$ABC#4" --tune 3
	grep -q "names tune 4, and --tune 3" "$T/err" && ok ||
	    bad "#4 --tune 3: $(cat "$T/err")"
	expect 0 "FILE.abc#4 --tune 4" encode --model "$M2" "$ABC#4" --tune 4
	# play and render take --tune as the other commands do.
	expect 0 "play --tune 4 --offline" play "$ABC" --tune 4 --offline &&
	    cp "$T/out" "$T/play4"
	expect 0 "play FILE.abc#4 --offline" play "$ABC#4" --offline
	sed "s|#4||" "$T/out" | cmp -s - "$T/play4" && ok ||
	    bad "play --tune 4 and #4 differ: $(cat "$T/play4" "$T/out")"
	# Two tunes numbered alike: abc2midi would give the second for
	# the first; said, with the lines.
	printf 'X:1\nT:one\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc dedB|\n\nX:1\nT:two\nM:4/4\nL:1/8\nK:D\nDEFG ABAF|DEFG ABAF|\n' \
	    >"$T/dup.abc"
	expect 1 "two tunes X:1" inspect "$T/dup.abc"
	grep -q "X: 1 names two tunes (lines 1 and 8)" "$T/err" && ok ||
	    bad "dup X: $(cat "$T/err")"
else
	echo "SKIP: ABC checks: no $ABC or no abc2midi (Debian: abcmidi)"
fi

# --- import and models ---------------------------------------------------
expect 0 "import" import "$M2" --name mine
grep -q "melody, 2 bars" "$T/out" && grep -q "mel_2bar_small" "$T/out" &&
    ok || bad "import: what it is: $(cat "$T/out")"
[ -f "$XDG_DATA_HOME/latentroll/models/mine/weights_manifest.json" ] &&
    ok || bad "import: not in the user's folder"
expect 1 "import over it" import "$M2" --name mine
expect 0 "import --force" import "$M2" --name mine --force
expect 1 "import a clip folder" import "$SRC/share/clips" --name x
[ -e "$XDG_DATA_HOME/latentroll/models/x" ] && bad "import: bad folder copied" || ok
# A damaged copy is refused with the file named, and nothing is copied.
mkdir "$T/broken" && cp "$M2"/*.json "$M2"/group1-shard1of5 "$T/broken"
expect 1 "import a broken model" import "$T/broken" --name broken
grep -q "group1-shard2of5" "$T/err" && ok || bad "import: $(cat "$T/err")"
expect 0 "models" models
grep -q "^mine .*user" "$T/out" && grep -q "^mel_2bar .*shipped" "$T/out" &&
    grep -q "^mel_16bar .*shipped" "$T/out" && ok ||
    bad "models: $(cat "$T/out")"
# A shipped model's name: the import stands first, and both say so.
expect 0 "import as mel_2bar" import "$M2" --name mel_2bar
grep -q "note: --model mel_2bar now means this import" "$T/err" && ok ||
    bad "import over a shipped name: $(cat "$T/err")"
expect 0 "models with a hidden one" models
grep -q "^mel_2bar .*user" "$T/out" && grep -q "^mel_2bar .*hidden" "$T/out" &&
    grep -q "^hidden: " "$T/out" && ok || bad "models: $(cat "$T/out")"
rm -rf "$XDG_DATA_HOME/latentroll/models/mel_2bar"
expect 0 "models, nothing hidden" models
grep -q "hidden" "$T/out" && bad "models: $(cat "$T/out")" || ok
# By name: the user's copy; a name nobody has says where it looked.
expect 0 "encode --model mine" encode --model mine "$A"
cmp -s "$T/out" "$T/z.json" && ok || bad "--model mine differs"
expect 1 "--model nope" encode --model nope "$A"
grep -q "looked in" "$T/err" && ok || bad "--model nope: $(cat "$T/err")"

# --- train: parents made, a failed start leaves nothing, Ctrl-C is 130 -
NOTT=${SHARED_DIR:-$SRC/../shared}/data/nottingham
if [ -d "$NOTT" ]; then
	mkdir "$T/small"
	# Tunes of the train split, one in 3/4 (dropped, with its meter).
	for f in ashover1 ashover2 ashover3 ashover4 ashover5 ashover6 \
	    jigs10 reelsa-c1; do
		[ -f "$NOTT/$f.mid" ] && cp "$NOTT/$f.mid" "$T/small/"
	done
	cp "$NOTT"/waltzes1.mid "$T/small/" 2>/dev/null
	expect 0 "train into missing parents" train --data "$T/small" \
	    --arch mel_2bar --tiny --steps 2 --batch 4 --out "$T/runs/a/m"
	[ -f "$T/runs/a/m/trainstate.bin" ] && ok ||
	    bad "train: no run in runs/a/m"
	# The data report says what was dropped with its real numbers.
	if grep -q "N/N\|gives N " "$T/err"; then
		bad "train: report has blanked numbers: $(grep dropped "$T/err")"
	else ok; fi
	mkdir "$T/empty"
	expect 1 "train on no data" train --data "$T/empty" --arch mel_2bar \
	    --tiny --steps 2 --out "$T/runs2/x/m"
	[ -e "$T/runs2" ] && bad "failed train left $T/runs2" || ok
	# One folder twice in --data (any spelling) would weigh it double;
	# an empty name in the list is a slip: both refused, nothing made.
	for d in "$T/small,$T/small" "$T/small,$T/./small/" \
	    "$T/small,,$T/empty" "$T/small," ""; do
		if expect 1 "train --data '$d'" train --data "$d" \
		    --arch mel_2bar --tiny --steps 2 --out "$T/runs2/y"; then
			grep -q "named twice\|an empty name\|no data folder" \
			    "$T/err" && ok || bad "--data '$d': $(cat "$T/err")"
		fi
	done
	[ -e "$T/runs2" ] && bad "refused --data left $T/runs2" || ok
	# A fresh run needs a folder of its own: not the data's, nor one
	# of other files (a run's own files are fine: an empty start).
	expect 1 "train --out the data folder" train --data "$T/small" \
	    --arch mel_2bar --tiny --steps 2 --out "$T/small"
	grep -q "holds other files" "$T/err" && ok ||
	    bad "--out the data: $(cat "$T/err")"
	ls "$T/small" | grep -q "shard\|trainstate\|\.cache" &&
	    bad "refused run wrote into the data folder" || ok
	# A resume refused for its data (here --two-four: other windows)
	# leaves the run as it was, its window cache too.
	if expect 0 "train a run to resume" train --data "$T/small" \
	    --arch mel_2bar --tiny --steps 2 --batch 4 --out "$T/runs/fp"; then
		c=$(ls "$T/runs/fp"/windows-*.cache 2>/dev/null | head -1)
		[ -n "$c" ] && cp "$c" "$T/fp.cache"
		expect 1 "resume with other data" train --data "$T/small" \
		    --arch mel_2bar --tiny --steps 4 --batch 4 \
		    --out "$T/runs/fp" --resume --two-four &&
		    { grep -q "the data changed" "$T/err" && ok ||
		    bad "resume with other data: $(cat "$T/err")"; }
		if [ -n "$c" ] && cmp -s "$c" "$T/fp.cache"; then ok; else
			bad "a refused resume changed the window cache ($c)"
		fi
		expect 0 "the run resumes with its own data" train \
		    --data "$T/small" --arch mel_2bar --tiny --steps 4 \
		    --batch 4 --out "$T/runs/fp" --resume
	fi
	# Ctrl-C: the run is saved and the status says it was stopped.
	"$LR" train --data "$T/small" --arch mel_2bar --tiny --steps 1000000 \
	    --batch 4 --out "$T/runs/int" >/dev/null 2>&1 &
	pid=$!
	i=0
	while [ ! -f "$T/runs/int/curve.tsv" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
	kill -INT $pid
	wait $pid
	st=$?
	[ "$st" = 130 ] && ok || bad "train after SIGINT: exit $st (want 130)"
	[ -f "$T/runs/int/trainstate.bin" ] && ok ||
	    bad "train after SIGINT: no state saved"
	expect 2 "train --threads 99" train --data "$T/small" \
	    --arch mel_2bar --threads 99 --out "$T/runs/t"
	grep -q "1 to 16\|1\.\.16" "$T/err" && ok ||
	    bad "--threads 99: $(head -1 "$T/err")"
else
	echo "SKIP: train checks: no corpus at $NOTT"
fi

# --- play --record: a recording is whole loops, not up to the last note -
if /usr/bin/python3 -c 'import mido' 2>/dev/null; then
	for c in a b a16 b16; do
		expect 0 "play --record $c" play "$SRC/share/clips/$c.mid" \
		    --offline --loops 3 --record "$T/rec_$c.mid"
		steps=$(sed -n 's/.* \([0-9]*\) steps per loop.*/\1/p' "$T/out" "$T/err")
		ticks=$(/usr/bin/python3 -c 'import mido, sys
m = mido.MidiFile(sys.argv[1])
print(max(sum(e.time for e in t) for t in m.tracks) * 4 // m.ticks_per_beat)' \
		    "$T/rec_$c.mid")
		[ -n "$steps" ] && [ "$ticks" = $((3 * steps)) ] && ok ||
		    bad "record $c: $ticks steps long, want 3 x ${steps:-?}"
	done
else
	echo "SKIP: record length: no python3-mido"
fi

# --- the data from another folder, and installed elsewhere ------------
(cd "$T" && "$LR" encode --model mel_16bar "$SRC/share/clips/a16.mid" \
    >/dev/null 2>"$T/err") && ok || bad "from another folder: $(cat "$T/err")"
if [ -n "${MAKE:-}" ] || command -v make >/dev/null; then
	if ${MAKE:-make} -C "$top_builddir" install DESTDIR="$T/dest" \
	    >"$T/install.log" 2>&1; then
		ok
		# Move the installed tree: it must not depend on the prefix.
		bin=$(find "$T/dest" -type f -name latentroll -path "*/bin/*" |
		    head -1)
		root=${bin%/bin/latentroll}
		mv "$root" "$T/moved" && ok || bad "move the install"
		(cd / && "$T/moved/bin/latentroll" models >"$T/out" 2>"$T/err")
		if grep -q "^mel_2bar .*shipped" "$T/out"; then ok; else
			bad "installed models: $(cat "$T/out" "$T/err")"; fi
		(cd / && "$T/moved/bin/latentroll" sample -n 1 --model \
		    mel_16bar >/dev/null 2>"$T/err") && ok ||
		    bad "installed sample: $(cat "$T/err")"
		[ -f "$T/moved/share/man/man1/latentroll.1" ] && ok ||
		    bad "man page not installed"
	else
		bad "make install DESTDIR: $(tail -5 "$T/install.log")"
	fi
else
	echo "SKIP: no make for the install check"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
