#!/bin/sh
# test_cli.sh: the latentroll command line end to end, as a script would
# use it: exit statuses (0 ok, 1 user error, 2 usage), one-line errors
# naming the file, the JSON of encode/decode/interpolate checked with
# Debian's python3, and the MIDI files the commands write read back by
# `latentroll inspect`.
#
# The model is the committed tiny parity checkpoint (mel_2bar: random
# weights, z of 8; mel_16bar for the hierarchical path): loading it takes
# milliseconds, and its weights are the ones magenta.js was checked
# against.  The clips are share/clips/a.mid and b.mid, or two 4/4
# Nottingham tunes when those are absent; every file a command could write
# lives in a private temporary directory (the clips are copied there
# first, so a wrong --out can never reach the corpus).
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
if ! "$PY" -c 'import json' 2>/dev/null; then
	echo "SKIP: $PY with the json module is needed to read the output"
	echo "0 passed, 0 failed"
	exit 77
fi
T=$(mktemp -d /tmp/lr_cli.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
# An empty configuration: a user's remembered settings must not leak in.
XDG_CONFIG_HOME=$T/config
HOME=$T
export XDG_CONFIG_HOME HOME

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# check DESCRIPTION COMMAND...: the command succeeds (exit status 0).
check() {
	d=$1
	shift
	if "$@"; then ok; else bad "$d"; fi
}

# run ARGS...: latentroll with ARGS; output in $T/out, $T/err, status $rc.
run() {
	"$LR" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

# expect_ok DESCRIPTION ARGS...: exit 0, nothing on stderr.
expect_ok() {
	d=$1
	shift
	run "$@"
	if [ "$rc" -ne 0 ]; then
		bad "$d: exit $rc (want 0): $(head -c 300 "$T/err")"
		return 1
	fi
	ok
	return 0
}

# expect_error DESCRIPTION FILE ARGS...: exit 1 and exactly one stderr
# line "latentroll: FILE...: what".  FILE is matched as a fixed prefix.
expect_error() {
	d=$1
	f=$2
	shift 2
	run "$@"
	n=$(wc -l <"$T/err")
	if [ "$rc" -ne 1 ]; then
		bad "$d: exit $rc (want 1): $(head -c 300 "$T/err")"
	elif [ "$n" -ne 1 ]; then
		bad "$d: $n lines on stderr (want 1): $(head -c 300 "$T/err")"
	elif ! grep -qF "latentroll: $f" "$T/err" ||
	    [ "$(cut -c1-$((12 + ${#f})) "$T/err")" != "latentroll: $f" ]; then
		bad "$d: does not start 'latentroll: $f': $(cat "$T/err")"
	elif ! grep -q "^latentroll: .*: ." "$T/err"; then
		bad "$d: no 'FILE: what': $(cat "$T/err")"
	else
		ok
	fi
}

# expect_usage DESCRIPTION COMMAND ARGS...: exit 2 and the command's
# usage line on stderr.
expect_usage() {
	d=$1
	shift
	run "$@"
	if [ "$rc" -ne 2 ]; then
		bad "$d: exit $rc (want 2): $(head -c 300 "$T/err")"
	elif ! grep -q "usage: latentroll $1" "$T/err"; then
		bad "$d: no usage line: $(head -c 300 "$T/err")"
	else
		ok
	fi
}

# py FILE EXPR: evaluate a Python expression over d, the JSON in FILE (or
# a list of the JSON objects, one per line, with `lines`); print it.
py() {
	"$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
try:
	lines = [json.loads(text)]	# one document, maybe indented
except ValueError:
	lines = [json.loads(l) for l in text.splitlines() if l.strip()]
d = lines[0] if len(lines) == 1 else None
r = eval("(" + sys.argv[2] + ")")
print(json.dumps(r) if not isinstance(r, str) else r)
' "$@"
}

# differ A B DESCRIPTION: files A and B are not identical.
differ() {
	if cmp -s "$1" "$2"; then bad "$3: the files are identical"; else ok; fi
}

# same A B DESCRIPTION: files A and B are identical.
same() {
	if cmp -s "$1" "$2"; then ok; else
		bad "$3: $(head -c 200 "$1") vs $(head -c 200 "$2")"
	fi
}

# loads FILE DESCRIPTION: `latentroll inspect` reads FILE; echo its notes.
loads() {
	"$LR" inspect "$1" >"$T/insp" 2>"$T/insp.err"
	if [ $? -ne 0 ]; then
		bad "$2: inspect $1: $(cat "$T/insp.err")"
		echo -1
		return 1
	fi
	ok
	sed -n '1s/^.*: \([0-9][0-9]*\) notes,.*$/\1/p' "$T/insp"
}

# ---- The frame: version, help, usage errors, missing files. ----

expect_ok "--version" --version
ver=$(sed -n 's/^AC_INIT(\[latentroll\], \[\([^]]*\)\].*/\1/p' \
    "$srcdir/configure.ac" 2>/dev/null)
if grep -qE "^latentroll [0-9]+\.[0-9]+" "$T/out" &&
    { [ -z "$ver" ] || grep -qF "latentroll $ver" "$T/out"; }; then
	ok
else
	bad "--version prints '$(cat "$T/out")' (configure.ac: $ver)"
fi
expect_ok "--help" --help
check "--help lists encode" grep -q "latentroll encode" "$T/out"
for c in inspect convert encode decode interpolate export train eval attrs play \
    render devices; do
	expect_ok "$c --help" "$c" --help &&
	    check "$c --help: usage on stdout" \
	    grep -q "^usage: latentroll $c" "$T/out"
done
# What the errors tell the user to use is in the synopsis.
"$LR" play --help >"$T/out" 2>&1
check "play --help lists --force and --loops" sh -c "grep -q -- '--loops N' \
    '$T/out' && grep -q -- '--force' '$T/out'"
# A file that says 0 bytes but holds some (/proc) is read to its end.
if [ -r /proc/self/status ]; then
	expect_error "inspect /proc/self/status" "/proc/self/status: not a MIDI" \
	    inspect /proc/self/status
fi
# What a command lacks is said before its usage.
run similar "$srcdir/share/clips/a.mid" -n 2
check "similar without --similarity says so ($rc)" sh -c "[ $rc -eq 2 ] &&
    grep -q 'similar: wants --similarity S' '$T/err' &&
    grep -q '^usage: latentroll similar' '$T/err'"
run sample
check "sample without -n says so ($rc)" sh -c "[ $rc -eq 2 ] &&
    grep -q 'sample: wants -n N' '$T/err'"
# The README's synopsis is the one --help prints (it said less).
"$LR" --help | sed -n '3,$p' | grep -v '^Options:' | sed 's/^   //' \
    >"$T/help.syn"
awk '/^## Command line \(stable, for scripts\)/ { on = 1; next }
    on && /^    / { print; seen = 1; next } on && seen { exit }' \
    "$srcdir/README.md" >"$T/readme.syn"
check "README's command synopsis is --help's" cmp -s "$T/help.syn" \
    "$T/readme.syn"
# The man page's entry of each command names the options its usage does.
for c in inspect convert encode decode interpolate sample similar export \
    import models train eval attrs play render devices; do
	h=$("$LR" $c --help | awk 'NR == 1 || /^ / { print; next } { exit }' |
	    grep -o -- '--[a-z0-9-]*\| -n ' | tr -d ' ' | sort -u | tr '\n' ' ')
	m=$(grep "^\.It Cm $c " "$srcdir/share/latentroll.1" |
	    grep -o 'Fl -[a-z0-9-]*\|Fl n ' | sed 's/Fl -/--/; s/Fl n/-n/' |
	    tr -d ' ' | sort -u | tr '\n' ' ')
	check "man page: $c's options are its usage's ($m / $h)" [ "$h" = "$m" ]
done
# Every help fits 80 columns (usages break between options).
for c in "" inspect convert encode decode interpolate sample similar export \
    import models train eval attrs play render devices; do
	"$LR" $c --help >"$T/out" 2>&1
	check "${c:-latentroll} --help fits 80 columns" awk \
	    '{ if (length($0) > 80) bad = 1 } END { exit bad }' "$T/out"
done
run frobnicate
if [ "$rc" -eq 2 ] && grep -q "frobnicate" "$T/err"; then ok; else
	bad "unknown command: exit $rc (want 2): $(head -c 200 "$T/err")"
fi

M=$srcdir/tests/data/parity/mel_2bar
M16=$srcdir/tests/data/parity/mel_16bar
# Without --model the shipped 2-bar model (tests/test_headless.sh): the
# missing clip is the error, not the option.
expect_error "encode without --model" "$T/x.mid" encode "$T/x.mid"
expect_usage "encode without a file" encode --model "$M"
expect_usage "encode with two files" encode --model "$M" "$T/x.mid" "$T/y"
expect_usage "encode --window -1" encode --model "$M" --window -1 "$T/x.mid"
expect_usage "decode without --z" decode --model "$M"
expect_error "decode without --model" "$T/z.json" decode --z "$T/z.json"
expect_usage "decode --temperature x" decode --model "$M" --z "$T/z.json" \
    --temperature x
expect_usage "decode --temperature -1" decode --model "$M" --z "$T/z.json" \
    --temperature -1
# Whole numbers only, and only the options the command takes: a script's
# typo is an error, never a silently different result.
expect_usage "decode --seed -5" decode --model "$M" --z "$T/z.json" \
    --seed -5
expect_usage "decode --seed ''" decode --model "$M" --z "$T/z.json" --seed ""
expect_usage "decode --temperature ''" decode --model "$M" --z "$T/z.json" \
    --temperature ""
expect_usage "encode --window ''" encode --model "$M" --window "" "$T/x.mid"
expect_usage "encode --window 1x" encode --model "$M" --window 1x "$T/x.mid"
expect_usage "decode --window (not a decode option)" decode --model "$M" \
    --z "$T/z.json" --window 1
expect_usage "decode --lerp" decode --model "$M" --z "$T/z.json" --lerp
expect_usage "encode -n 3" encode --model "$M" -n 3 "$T/x.mid"
expect_usage "encode --seed 1" encode --model "$M" --seed 1 "$T/x.mid"
expect_usage "interpolate --temperature 1" interpolate --model "$M" \
    a.mid b.mid -n 3 --temperature 1
expect_usage "decode --bogus" decode --model "$M" --z "$T/z.json" --bogus
expect_usage "interpolate -n 3x" interpolate --model "$M" a.mid b.mid -n 3x
expect_usage "interpolate without -n" interpolate --model "$M" a.mid b.mid
expect_usage "interpolate -n 0" interpolate --model "$M" a.mid b.mid -n 0
expect_usage "interpolate with one clip" interpolate --model "$M" a.mid -n 3
# The usage error names the option at fault and what it takes.
for c in "decode --temperature -1:--temperature -1: want a number from 0" \
    "interpolate -n 0:-n 0: want a whole number from 1 to 10000" \
    "decode --precision x:--precision x: want bf16, fp16 or fp32" \
    "decode --window 1:--window: not an option of decode"; do
	args=${c%%:*}
	want=${c#*:}
	# shellcheck disable=SC2086
	run $args --model "$M" --z "$T/z.json" a.mid b.mid
	if [ "$rc" -eq 2 ] && grep -qF "latentroll: $want" "$T/err"; then
		ok
	else
		bad "$args: exit $rc, wants 'latentroll: $want': $(head -c 300 \
		    "$T/err")"
	fi
done
expect_usage "inspect without a file" inspect
expect_usage "convert with one file" convert "$T/x.mid"
expect_usage "play without a file" play
run play "$T/x.mid" --offline --tempo 120x
if [ "$rc" -eq 2 ] && grep -q "^latentroll: --tempo 120x: " "$T/err"; then
	ok
else
	bad "play --tempo 120x: exit $rc (want 2): $(head -c 200 "$T/err")"
fi
# train and eval: whole numbers where a count is meant, in range; never a
# fraction cut, a negative read as a default or wrapped to a huge seed.
for o in "--steps 1.5" "--steps 0x10" "--seed -1" "--seed 1.5" \
    "--transpose -3" "--valid-every -1" "--enc-size -5" "--lr -1" \
    "--ckpt-minutes -1" "--batch 2.9"; do
	# shellcheck disable=SC2086
	expect_usage "train $o" train --data "$T/nodata" --arch mel_2bar \
	    --out "$T/norun" $o
done
expect_usage "eval --batch 2x" eval --model "$M" --data "$T/nodata" \
    --batch 2x
expect_usage "eval --threads 1x" eval --model "$M" --data "$T/nodata" \
    --threads 1x
expect_usage "eval --batch 4294967297" eval --model "$M" --data "$T/nodata" \
    --batch 4294967297

expect_error "inspect: missing file" "$T/none.mid" inspect "$T/none.mid"
expect_error "convert: missing file" "$T/none.mid" \
    convert "$T/none.mid" "$T/c.mid"
expect_error "play: missing file" "$T/none.mid" \
    play "$T/none.mid" --offline --loops 1
expect_error "encode: missing file" "$T/none.mid" \
    encode --model "$M" "$T/none.mid"
expect_error "decode: missing --z file" "$T/none.json" \
    decode --model "$M" --z "$T/none.json"
expect_error "decode: --z is a directory" "$T" decode --model "$M" --z "$T"
expect_error "encode: missing model" "$T/nomodel" \
    encode --model "$T/nomodel" "$T/none.mid"

# The instrument's clock comes from outside or from here, not both.
for args in "--follow --master" "--no-midi --in" "--model"; do
	run $args
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -qF -- "${args##* }" "$T/err"; then
		ok
	else
		bad "instrument $args: exit $rc: $(head -c 300 "$T/err")"
	fi
done

# The instrument's own file option fails before the screen opens.  (Its
# message must not leak jansson's "line -1" for a file it could not open.)
run --model "$srcdir/tests/data/parity/mel_2bar" --set "$T/none.json"
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "^latentroll: $T/none.json: ." "$T/err" &&
    ! grep -q "line -1" "$T/err"; then
	ok
else
	bad "--set missing file: exit $rc: $(head -c 300 "$T/err")"
fi

# ---- Corrupted models: one line naming the file at fault. ----

cpmodel() {
	rm -rf "$T/$2"
	mkdir "$T/$2" && cp "$1"/* "$T/$2"/
}
cpmodel "$M" trunc
sz=$(wc -c <"$T/trunc/group1-shard1of1")
"$PY" -c 'import os, sys; os.truncate(sys.argv[1], int(sys.argv[2]))' \
    "$T/trunc/group1-shard1of1" $((sz / 2))
echo '{"z": [0]}' >"$T/z1.json"
expect_error "truncated shard" "$T/trunc/group1-shard1of1" \
    decode --model "$T/trunc" --z "$T/z1.json"
cpmodel "$M16" trunc16
"$PY" -c 'import os, sys; os.truncate(sys.argv[1], 1000)' \
    "$T/trunc16/group1-shard5of16.bin"
expect_error "truncated middle shard" "$T/trunc16/group1-shard5of16.bin" \
    decode --model "$T/trunc16" --z "$T/z1.json"
cpmodel "$M" long
printf 'xyz' >>"$T/long/group1-shard1of1"
expect_error "shard with extra bytes" "$T/long/group1-shard1of1" \
    decode --model "$T/long" --z "$T/z1.json"
cpmodel "$M" noman
rm "$T/noman/weights_manifest.json"
expect_error "missing manifest" "$T/noman/weights_manifest.json" \
    decode --model "$T/noman" --z "$T/z1.json"
cpmodel "$M" noshard
rm "$T/noshard/group1-shard1of1"
expect_error "missing shard" "$T/noshard/group1-shard1of1" \
    decode --model "$T/noshard" --z "$T/z1.json"
cpmodel "$M" nocfg
rm "$T/nocfg/config.json"
expect_error "missing config" "$T/nocfg: not a model folder" \
    decode --model "$T/nocfg" --z "$T/z1.json"
expect_error "a model that is a file" "$M/config.json: not a model folder" \
    decode --model "$M/config.json" --z "$T/z1.json"
expect_error "a model folder that is not there" "$T/nomodel: No such" \
    decode --model "$T/nomodel" --z "$T/z1.json"
run --data-dir "$T/nodatadir" models
check "--data-dir that is not there: usage error, named ($rc)" sh -c \
    "[ $rc -eq 2 ] && grep -q -- '--data-dir $T/nodatadir: No such' '$T/err'"
cpmodel "$M" badcfg
printf '{"type": "MusicVAE", ' >"$T/badcfg/config.json"
expect_error "truncated config" "$T/badcfg/config.json" \
    decode --model "$T/badcfg" --z "$T/z1.json"
cpmodel "$M" badman
printf '[{"paths": ["group1-shard1of1"]' >"$T/badman/weights_manifest.json"
expect_error "truncated manifest" "$T/badman/weights_manifest.json" \
    decode --model "$T/badman" --z "$T/z1.json"

# ---- decode alone (no clip needed): a z made here. ----

expect_error "z of the wrong length" "$T/z1.json" \
    decode --model "$M" --z "$T/z1.json"
# The model's z size, from its manifest (encoder/mu/kernel is [H, Z]).
Z=$("$PY" -c '
import json, sys
for g in json.load(open(sys.argv[1])):
    for w in g["weights"]:
        if w["name"] == "encoder/mu/kernel":
            print(w["shape"][1])
' "$M/weights_manifest.json")
"$PY" -c '
import json, random, sys
random.seed(7)
json.dump({"z": [random.gauss(0, 1) for _ in range(int(sys.argv[2]))]},
    open(sys.argv[1], "w"))
' "$T/zr.json" "$Z"
printf '{"z": [1, 2' >"$T/zbad.json"
expect_error "bad JSON in --z" "$T/zbad.json" \
    decode --model "$M" --z "$T/zbad.json"
echo '{"x": 1}' >"$T/znone.json"
expect_error "no z in --z" "$T/znone.json" \
    decode --model "$M" --z "$T/znone.json"
py "$T/zr.json" '{"z": d["z"][:-1] + ["a"]}' >"$T/zstr.json"
expect_error "a string in z" "$T/zstr.json" \
    decode --model "$M" --z "$T/zstr.json"
py "$T/zr.json" '{"z": d["z"][:-1] + [1e300]}' >"$T/zinf.json"
expect_error "z beyond float range" "$T/zinf.json" \
    decode --model "$M" --z "$T/zinf.json"

if expect_ok "decode a random z" decode --model "$M" --z "$T/zr.json"; then
	cp "$T/out" "$T/d0"
	check "decode: 32 melody tokens in 0..89" [ "$(py "$T/d0" \
	    'len(d["tokens"]) == 32 and all(isinstance(t, int) and
	    0 <= t < 90 for t in d["tokens"])')" = true ]
fi
expect_ok "decode --temperature 0" decode --model "$M" --z "$T/zr.json" \
    --temperature 0 && same "$T/d0" "$T/out" "temperature 0 is the default"
# A mu key is read like z.
py "$T/zr.json" '{"mu": d["z"]}' >"$T/zmu.json"
expect_ok "decode {mu}" decode --model "$M" --z "$T/zmu.json" &&
    same "$T/d0" "$T/out" "decode of {mu} equals decode of {z}"
for s in 5 5b 6 7 8 9; do
	expect_ok "decode --seed ${s%b}" decode --model "$M" --z "$T/zr.json" \
	    --temperature 1 --seed "${s%b}" && cp "$T/out" "$T/s$s"
done
same "$T/s5" "$T/s5b" "temperature 1, seed 5 twice"
# Seeds are decimal, as for attrs and train: 09 is nine, not an error.
expect_ok "decode --seed 09" decode --model "$M" --z "$T/zr.json" \
    --temperature 1 --seed 09 && same "$T/s9" "$T/out" "--seed 09 = --seed 9"
n=$(cat "$T/s5" "$T/s6" "$T/s7" "$T/s8" "$T/s9" | sort -u | wc -l)
check "5 seeds give >= 2 different samples (got $n)" [ "$n" -ge 2 ]
n=$(cat "$T/d0" "$T/s5" "$T/s6" "$T/s7" | sort -u | wc -l)
check "sampling differs from argmax (got $n distinct)" [ "$n" -ge 2 ]

if expect_ok "decode --out" decode --model "$M" --z "$T/zr.json" \
    --out "$T/dec.mid"; then
	same "$T/d0" "$T/out" "decode --out prints the same tokens"
	notes=$(loads "$T/dec.mid" "decode --out writes MIDI")
	# Notes in the file = pitch tokens (2..89) in the sequence.
	want=$(py "$T/d0" 'str(sum(1 for t in d["tokens"] if t >= 2))')
	check "decode --out: $notes notes, tokens say $want" \
	    [ "$notes" = "$want" ]
fi
cp "$T/dec.mid" "$T/dec.keep"
expect_error "decode --out refuses an existing file" "$T/dec.mid" \
    decode --model "$M" --z "$T/zr.json" --out "$T/dec.mid"
check "refused --out printed nothing" [ ! -s "$T/out" ]
same "$T/dec.mid" "$T/dec.keep" "refused --out left the file alone"
expect_ok "decode --out --force" decode --model "$M" \
    --z "$T/zr.json" --temperature 1 --seed 5 --out "$T/dec.mid" --force &&
    same "$T/s5" "$T/out" "--force decode prints the seed-5 sample"
differ "$T/dec.mid" "$T/dec.keep" "--force replaced the file"
expect_error "decode --out in a missing directory" "$T/nodir/x.mid" \
    decode --model "$M" --z "$T/zr.json" --out "$T/nodir/x.mid"
check "--out in a missing directory: refused before printing" [ ! -s "$T/out" ]

# Every architecture (flat and hierarchical melody, drums, trio): a random
# z decoded to MIDI and encoded back gives the decoded tokens, through the
# file: the converters and the model agree on the token layout.
for m in mel_2bar mel_16bar drums_2bar trio_4bar; do
	MM=$srcdir/tests/data/parity/$m
	zm=$("$PY" -c '
import json, sys
for g in json.load(open(sys.argv[1])):
    for w in g["weights"]:
        if w["name"] == "encoder/mu/kernel":
            print(w["shape"][1])
' "$MM/weights_manifest.json")
	"$PY" -c '
import json, random, sys
random.seed(3)
json.dump({"z": [random.gauss(0, 1) for _ in range(int(sys.argv[2]))]},
    open(sys.argv[1], "w"))
' "$T/z_$m.json" "$zm"
	expect_ok "$m: decode --out" decode --model "$MM" --z "$T/z_$m.json" \
	    --out "$T/rt_$m.mid" || continue
	cp "$T/out" "$T/dt_$m.json"
	check "$m: decode gave tokens" [ "$(py "$T/dt_$m.json" \
	    'len(d["tokens"]) > 0')" = true ]
	expect_ok "$m: encode the decoded file" encode --model "$MM" \
	    "$T/rt_$m.mid" || continue
	check "$m: decode -> MIDI -> encode gives the same tokens" \
	    [ "$(py "$T/out" 'd["tokens"]')" = "$(py "$T/dt_$m.json" \
	    'd["tokens"]')" ]
done

# ---- Clips: encode, decode, interpolate, convert, play. ----

A=$srcdir/share/clips/a.mid
B=$srcdir/share/clips/b.mid
if [ ! -f "$A" ] || [ ! -f "$B" ]; then
	# Two 4/4 Nottingham tunes with 2-bar windows (`latentroll inspect`).
	A=${SHARED_DIR:-$srcdir/../shared}/data/nottingham/ashover2.mid
	B=${SHARED_DIR:-$srcdir/../shared}/data/nottingham/reelsa-c1.mid
fi
if [ ! -f "$A" ] || [ ! -f "$B" ]; then
	echo "SKIP: clip checks: no share/clips/a.mid, b.mid and no" \
	    "Nottingham corpus (SHARED_DIR)"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 77
	exit 1
fi
echo "clips: $A $B"
cp "$A" "$T/a.mid" && cp "$B" "$T/b.mid" && chmod u+w "$T/a.mid" "$T/b.mid"
A=$T/a.mid
B=$T/b.mid

if expect_ok "encode a.mid" encode --model "$M" "$A"; then
	cp "$T/out" "$T/ea.json"
	check "encode: mu and sigma of $Z floats, 32 tokens" [ "$(py \
	    "$T/ea.json" 'len(d["mu"]) == '"$Z"' and
	    len(d["sigma"]) == '"$Z"' and all(s > 0 for s in d["sigma"]) and
	    all(isinstance(x, float) for x in d["mu"]) and
	    len(d["tokens"]) == 32 and
	    all(isinstance(t, int) and 0 <= t < 90 for t in d["tokens"])')" \
	    = true ]
	check "encode: the clip has notes" [ "$(py "$T/ea.json" \
	    'any(t >= 2 for t in d["tokens"])')" = true ]
fi
expect_ok "encode a.mid again" encode --model "$M" "$A" &&
    same "$T/ea.json" "$T/out" "encode is deterministic"
expect_ok "encode b.mid" encode --model "$M" "$B" && cp "$T/out" "$T/eb.json"
differ "$T/ea.json" "$T/eb.json" "a and b encode differently"
# --precision bf16: mu within 2% of float32's (a one-clip encode of a
# one-layer model has no product bf16 changes: one-hot inputs are gathered
# and one-row products stay float32; test_vae sees bf16 move a batch's mu);
# where bf16 cannot run, one note line and float32's very output.
if expect_ok "encode --precision fp32" encode --model "$M" "$A" \
    --precision fp32; then
	same "$T/ea.json" "$T/out" "encode --precision fp32 is the default"
fi
run encode --model "$M" "$A" --precision bf16
if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ]; then
	err=$(py "$T/out" 'max(abs(x - y) for x, y in
	    zip(d["mu"], json.load(open("'"$T/ea.json"'"))["mu"]))
	    / max(abs(x) for x in d["mu"])')
	check "encode --precision bf16: mu within 2% ($err)" \
	    "$PY" -c "import sys; sys.exit(not 0 <= $err < 0.02)"
elif [ "$rc" -eq 0 ] && grep -q "^latentroll: note: bf16: " "$T/err"; then
	echo "SKIP: bf16 here: $(cat "$T/err")"
	same "$T/ea.json" "$T/out" "bf16 unavailable: float32's output"
else
	bad "encode --precision bf16: exit $rc: $(head -c 300 "$T/err")"
fi
LATENTROLL_NO_BF16=1 "$LR" encode --model "$M" "$A" --precision bf16 \
    </dev/null >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "^latentroll: note: bf16: " "$T/err"; then
	ok
else
	bad "no bf16: exit $rc, want 0 and one note: $(head -c 300 "$T/err")"
fi
same "$T/ea.json" "$T/out" "no bf16: float32's output"
# ... and the note points to the 16-bit weights that do run here, if any.
cp "$T/err" "$T/nobf16.err"
"$LR" encode --model "$M" "$A" --precision fp16 </dev/null >/dev/null \
    2>"$T/err"
if [ -s "$T/err" ]; then
	echo "SKIP: no fp16 weights on this CPU either: $(cat "$T/err")"
	check "no bf16, no fp16: the note names no fp16" \
	    sh -c "! grep -q 'precision fp16' '$T/nobf16.err'"
else
	check "no bf16: the note names --precision fp16" \
	    grep -q "(--precision fp16 decodes with 16-bit weights here)" \
	    "$T/nobf16.err"
fi

# export: float32 re-save encodes bit for bit alike; uint16 and uint8 come
# close (affine quantization); the input is never the output.
mkdir -p "$T/exp" && cp -r "$M" "$T/exp/src"
for dt in float32 uint16 uint8; do
	if expect_ok "export --dtype $dt" export --model "$T/exp/src" \
	    --out "$T/exp/$dt" --dtype $dt &&
	    expect_ok "encode with the $dt export" encode \
	    --model "$T/exp/$dt" "$A"; then
		check "$dt export's manifest says $dt" grep -q \
		    "$([ $dt = float32 ] && echo '"float32"' || echo "\"$dt\"")" \
		    "$T/exp/$dt/weights_manifest.json"
		case $dt in
		float32) same "$T/ea.json" "$T/out" "float32 export: same mu" ;;
		*)	err=$(py "$T/out" 'max(abs(x - y) for x, y in
			    zip(d["mu"], json.load(open("'"$T/ea.json"'"))["mu"]))
			    / max(abs(x) for x in d["mu"])')
			check "$dt export: mu within 5% (rel err $err)" \
			    "$PY" -c "import sys; sys.exit(not $err < 0.05)" ;;
		esac
	fi
done
# A quantized export's card keeps the source's measured numbers as the
# source's: they were not measured on these weights.
mkdir -p "$T/exp/carded" && cp "$M"/* "$T/exp/carded/" &&
    printf '{"test": {"tf_acc": 0.99}, "steps": 5}\n' \
    >"$T/exp/carded/model_card.json"
if expect_ok "export a model with a card as uint8" export --model \
    "$T/exp/carded" --out "$T/exp/carded8" --dtype uint8; then
	check "uint8 card: no test of its own, the source's kept" [ \
	    "$(py "$T/exp/carded8/model_card.json" \
	    '"test" in d, d["source_test"]["tf_acc"], d["weights_dtype"]')" \
	    = '[false, 0.99, "uint8"]' ]
fi
check "uint8 export is smaller than float32" [ \
    "$(cat "$T"/exp/uint8/group1-* | wc -c)" -lt \
    "$(cat "$T"/exp/float32/group1-* | wc -c)" ]
expect_error "export onto its input" "$T/exp/src" \
    export --model "$T/exp/src" --out "$T/exp/src" --dtype uint8
same "$M/weights_manifest.json" "$T/exp/src/weights_manifest.json" \
    "refused export left the input alone"
expect_error "export over a model" "$T/exp/uint8" \
    export --model "$T/exp/src" --out "$T/exp/uint8"
# A folder of someone's files is no model folder, --force or not.
mkdir -p "$T/exp/mine" && echo 'my notes' >"$T/exp/mine/notes.txt"
expect_error "export into a folder of other files" "$T/exp/mine: holds other files" \
    export --model "$T/exp/src" --out "$T/exp/mine" --force
check "that folder keeps only its own file" \
    [ "$(ls "$T/exp/mine")" = "notes.txt" ]
run export --model "$T/exp/src" --out "$T/exp/f32" --dtype f32
check "export --dtype f32: a usage error naming it ($rc)" sh -c \
    "[ $rc -eq 2 ] && grep -q -- '--dtype f32: want float32, uint16 or uint8' '$T/err'"
# The replaced model's vectors and card must not pass for the new one's.
echo '{"register": [1, 2], "_meta": {}}' >"$T/exp/uint8/attribute_vecs.json"
echo '{"steps": 999}' >"$T/exp/uint8/model_card.json"
expect_ok "export --force over a model" \
    export --model "$T/exp/src" --out "$T/exp/uint8" --force
check "export --force removed the old attribute vectors" \
    [ ! -e "$T/exp/uint8/attribute_vecs.json" ]
check "export --force removed the old card (the source has none)" \
    [ ! -e "$T/exp/uint8/model_card.json" ]
# A broken card of the source is said before any weights are written.
cp -r "$M" "$T/exp/badcard" && printf '{"x": ' >"$T/exp/badcard/model_card.json"
expect_error "export of a model with a broken card" \
    "$T/exp/badcard/model_card.json" \
    export --model "$T/exp/badcard" --out "$T/exp/fromcard"
check "broken card: nothing exported" [ ! -e "$T/exp/fromcard" ]
mkdir -p "$T/exp/card" && echo '{"mine": 1}' >"$T/exp/card/model_card.json"
expect_error "export over a model card" "$T/exp/card" \
    export --model "$T/exp/src" --out "$T/exp/card"
check "refused export kept the card" \
    [ "$(cat "$T/exp/card/model_card.json")" = '{"mine": 1}' ]
expect_usage "export --dtype int4" \
    export --model "$T/exp/src" --out "$T/exp/x" --dtype int4
# Windows and tracks count from 1, as inspect and the instrument show
# them: 0 is no window.
expect_usage "encode --window 0" encode --model "$M" --window 0 "$A"
expect_usage "encode --track 0" encode --model "$M" --track 0 "$A"
expect_ok "encode --window 2" encode --model "$M" --window 2 "$A" &&
    cp "$T/out" "$T/ea1.json"
expect_error "encode --window past the end" "$A" \
    encode --model "$M" --window 100000 "$A"

# The tokens encode sees are the ones convert writes: encode of convert's
# output of window 2 gives the same tokens as encode --window 2.
if expect_ok "convert --window 2" convert "$A" "$T/w1.mid" --window 2 &&
    expect_ok "encode the converted window" encode --model "$M" "$T/w1.mid"
then
	check "convert --window 2 = encode --window 2 tokens" [ "$(py \
	    "$T/out" 'd["tokens"]')" = "$(py "$T/ea1.json" 'd["tokens"]')" ]
fi

# decode(encode(a)) through the CLI equals the first interpolation point,
# which encodes a and b in one batch and decodes the ladder in another.
expect_ok "decode the encode output" decode --model "$M" --z "$T/ea.json" &&
    cp "$T/out" "$T/da.json"
py "$T/ea.json" '{"z": d["mu"]}' >"$T/za.json"
expect_ok "decode {z: mu}" decode --model "$M" --z "$T/za.json" &&
    same "$T/da.json" "$T/out" "decode of {z: mu} = decode of encode output"
expect_ok "decode eb" decode --model "$M" --z "$T/eb.json" &&
    cp "$T/out" "$T/db.json"

# --precision fp16: half-precision weights for batch-1 decoding only, so
# encoding gives float32's mu; the decode of a's mu agrees with float32's
# on most tokens (test_vae asks 90%); where fp16 cannot run, one note line
# and float32's output.
run encode --model "$M" "$A" --precision fp16
if [ "$rc" -eq 0 ] && [ ! -s "$T/err" ]; then
	same "$T/ea.json" "$T/out" "encode --precision fp16: float32's mu"
	if expect_ok "decode --precision fp16" decode --model "$M" \
	    --z "$T/ea.json" --precision fp16; then
		agree=$(py "$T/out" 'sum(x == y for x, y in zip(d["tokens"],
		    json.load(open("'"$T/da.json"'"))["tokens"]))
		    / len(d["tokens"])')
		check "decode --precision fp16: tokens agree ($agree)" \
		    "$PY" -c "import sys; sys.exit(not $agree >= 0.9)"
	fi
elif [ "$rc" -eq 0 ] && grep -q "^latentroll: note: " "$T/err"; then
	echo "SKIP: fp16 here: $(cat "$T/err")"
	same "$T/ea.json" "$T/out" "fp16 unavailable: float32's output"
else
	bad "encode --precision fp16: exit $rc: $(head -c 300 "$T/err")"
fi
expect_usage "--precision fp17" encode --model "$M" "$A" --precision fp17

for mode in slerp lerp; do
	[ $mode = lerp ] && l=--lerp || l=
	if expect_ok "interpolate -n 5 $l" interpolate --model "$M" "$A" "$B" \
	    -n 5 $l; then
		cp "$T/out" "$T/i_$mode"
		check "$mode: 5 points of 32 tokens" [ "$(py "$T/i_$mode" \
		    'len(lines) == 5 and
		    all(len(o["tokens"]) == 32 for o in lines) and
		    [o["t"] for o in lines] == [0, .25, .5, .75, 1]')" = true ]
		check "$mode: first = decode(encode(a))" [ "$(py "$T/i_$mode" \
		    'lines[0]["tokens"]')" = "$(py "$T/da.json" 'd["tokens"]')" ]
		check "$mode: last = decode(encode(b))" [ "$(py "$T/i_$mode" \
		    'lines[4]["tokens"]')" = "$(py "$T/db.json" 'd["tokens"]')" ]
	fi
done
if expect_ok "interpolate --out" interpolate --model "$M" "$A" "$B" -n 5 \
    --out "$T/iv"; then
	same "$T/i_slerp" "$T/out" "interpolate --out prints the same points"
	i=0
	while [ $i -lt 5 ]; do
		f=$T/iv/interp_0$((i + 1)).mid
		notes=$(loads "$f" "interpolate point $i loads")
		want=$(py "$T/i_slerp" \
		    'str(sum(1 for t in lines['$i']["tokens"] if t >= 2))')
		check "point $i: $notes notes, tokens say $want" \
		    [ "$notes" = "$want" ]
		i=$((i + 1))
	done
	n=$(ls "$T/iv" | wc -l)
	check "interpolate --out wrote 5 files (got $n)" [ "$n" -eq 5 ]
fi
expect_error "interpolate --out again refuses" "$T/iv/interp_01.mid" \
    interpolate --model "$M" "$A" "$B" -n 5 --out "$T/iv"
expect_ok "interpolate --out --force" interpolate --model "$M" "$A" "$B" \
    -n 5 --out "$T/iv" --force
# Slerp between a clip and itself (angle 0) must not divide by sin(0).
expect_ok "interpolate a a" interpolate --model "$M" "$A" "$A" -n 4 &&
    check "interpolate a a: every point = decode(encode(a))" [ "$(py \
    "$T/out" 'all(o["tokens"] == lines[0]["tokens"] for o in lines) and
    len(lines) == 4')" = true ] &&
    check "interpolate a a: the points are a's" [ "$(py "$T/out" \
    'lines[0]["tokens"]')" = "$(py "$T/da.json" 'd["tokens"]')" ]
expect_error "interpolate --out a file" "$T/dec.mid" \
    interpolate --model "$M" "$A" "$B" -n 2 --out "$T/dec.mid"
expect_error "interpolate --out in a missing directory" "$T/nodir/iv" \
    interpolate --model "$M" "$A" "$B" -n 2 --out "$T/nodir/iv" &&
    check "interpolate --out in a missing directory: nothing printed" \
    [ ! -s "$T/out" ]
expect_error "interpolate: missing clip b" "$T/none.mid" \
    interpolate --model "$M" "$A" "$T/none.mid" -n 2
expect_error "interpolate: b is not MIDI" "$T/zr.json" \
    interpolate --model "$M" "$A" "$T/zr.json" -n 2

# The hierarchical decoder through the CLI: 16 bars, 256 tokens, from a
# 16-bar window of a Nottingham tune (the example clips are 4 bars).
N16=${SHARED_DIR:-$srcdir/../shared}/data/nottingham/ashover2.mid
if [ -f "$N16" ]; then
	cp "$N16" "$T/n16.mid"
	if expect_ok "encode, 16-bar model" encode --model "$M16" "$T/n16.mid"
	then
		cp "$T/out" "$T/e16.json"
		check "16-bar encode: 256 tokens" [ "$(py "$T/e16.json" \
		    'len(d["tokens"])')" = 256 ]
		expect_ok "decode, 16-bar model" decode --model "$M16" \
		    --z "$T/e16.json" --out "$T/d16.mid" &&
		    check "16-bar decode: 256 tokens" [ "$(py "$T/out" \
		    'len(d["tokens"])')" = 256 ]
		loads "$T/d16.mid" "16-bar decode --out loads" >/dev/null
		check "16-bar: 16 bars in the file" \
		    grep -q "(16 bars of 16)" "$T/insp"
		# convert --steps 256 writes the window the 16-bar model sees.
		expect_ok "convert --steps 256" convert "$T/n16.mid" \
		    "$T/c256.mid" --steps 256 &&
		    expect_ok "encode the 16-bar conversion" encode \
		    --model "$M16" "$T/c256.mid" &&
		    same "$T/out" "$T/e16.json" \
		    "encode of convert --steps 256 = encode of the tune"
	fi
else
	echo "SKIP: 16-bar encode of a tune: no $N16 (the round trip" \
	    "above covers the 16-bar model)"
fi
expect_error "2-bar clip for the 16-bar model" "$T/dec.mid" \
    encode --model "$M16" "$T/dec.mid"
expect_error "convert --steps 256 of a 2-bar clip" "$T/dec.mid" \
    convert "$T/dec.mid" "$T/c256b.mid" --steps 256
# A clip the melody model cannot use: one line saying why.
if [ -f "${SHARED_DIR:-$srcdir/../shared}/data/nottingham/jigs1.mid" ]; then
	cp "${SHARED_DIR:-$srcdir/../shared}/data/nottingham/jigs1.mid" \
	    "$T/jig.mid"
	expect_error "6/8 clip" "$T/jig.mid" encode --model "$M" "$T/jig.mid"
fi

# convert: what the model sees, as a file; never over its input.
if expect_ok "convert" convert "$A" "$T/c.mid"; then
	notes=$(loads "$T/c.mid" "convert output loads")
	check "convert: 2 bars" grep -q "(2 bars of 16)" "$T/insp"
	want=$(py "$T/ea.json" 'str(sum(1 for t in d["tokens"] if t >= 2))')
	check "convert: $notes notes, window 0 tokens say $want" \
	    [ "$notes" = "$want" ]
fi
cp "$A" "$T/a.keep"
expect_error "convert over its input" "$A" convert "$A" "$A"
same "$A" "$T/a.keep" "refused convert left the input alone"
expect_error "convert over its input --force" "$A" convert "$A" "$A" --force
same "$A" "$T/a.keep" "--force does not replace the input either"
cp "$T/c.mid" "$T/c.keep"
expect_error "convert over an existing file" "$T/c.mid" \
    convert "$A" "$T/c.mid" --window 1
same "$T/c.mid" "$T/c.keep" "refused convert left the file alone"
expect_ok "convert --force over an existing file" \
    convert "$A" "$T/c.mid" --window 1 --force

# A recording that cannot be written is refused before playing (live, the
# null sink here: one line, at once, not after a loop).
expect_error "play --record in a missing folder" "$T/nodir/r.mid" \
    play "$A" --loops 1 --record "$T/nodir/r.mid"
expect_error "play --record a directory" "$T/iv" \
    play "$A" --offline --loops 1 --record "$T/iv" --force

# A long offline render stops on SIGTERM (Ctrl-C, kill), as live does.
"$LR" play "$A" --offline --loops 1000000 >"$T/out" 2>"$T/err" &
pid=$!
sleep 1
kill -TERM $pid 2>/dev/null
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid 2>/dev/null
	bad "play --offline --loops 1000000 ignored SIGTERM"
else
	ok
fi
wait $pid 2>/dev/null

# play offline records what it played.
if expect_ok "play --offline --record" play "$A" --offline \
    --record "$T/rec.mid" --loops 1; then
	rn=$(loads "$T/rec.mid" "recording loads")
	an=$(loads "$A" "clip loads")
	check "recording has the clip's $an notes (got $rn)" [ "$rn" = "$an" ]
	# Same timing too: the model sees the same tokens in both.
	for w in 1 2; do
		"$LR" encode --model "$M" --window $w "$A" >"$T/pa" 2>&1
		"$LR" encode --model "$M" --window $w "$T/rec.mid" >"$T/pr" 2>&1
		same "$T/pa" "$T/pr" "window $w of the recording = of the clip"
	done
	if expect_ok "play --loops 2" play "$A" --offline \
	    --record "$T/rec2.mid" --loops 2; then
		rn=$(loads "$T/rec2.mid" "2-loop recording loads")
		check "2 loops record $((2 * an)) notes (got $rn)" \
		    [ "$rn" = $((2 * an)) ]
	fi
fi

# attrs on the tiny model over a slice of the corpus: seven vectors of z
# floats with their _meta, the 7x7 table and the interpolation report in
# the card, keys already there kept.
NOTT=${SHARED_DIR:-$srcdir/../shared}/data/nottingham
if [ -d "$NOTT" ]; then
	cp -r "$M" "$T/am"
	echo '{"keep": 1}' >"$T/am/model_card.json"
	if expect_ok "attrs" attrs --model "$T/am" --data "$NOTT" \
	    --max-windows 400 --test-windows 40 --pairs 5; then
		check "attrs: 7 vectors of $Z floats and _meta" [ "$(py \
		    "$T/am/attribute_vecs.json" 'sorted(d) == ["_meta",
		    "avg_interval", "c_diatonic", "note_density", "note_length",
		    "register", "sync_16th", "sync_8th"] and all(len(v) == '"$Z"'
		    for k, v in d.items() if k != "_meta") and
		    d["_meta"]["windows"] == 400')" = true ]
		check "attrs: 7x7 table and interpolation in the card" [ "$(py \
		    "$T/am/model_card.json" 'd["keep"] == 1 and
		    len(d["attribute_experiment"]["relative_change"]) == 7 and
		    all(len(r) == 7 for r in
		    d["attribute_experiment"]["relative_change"].values()) and
		    d["interpolation"]["pairs"] == 5 and
		    -1 <= d["interpolation"]["mean_spearman_position_vs_hamming_to_A"] <= 1')" \
		    = true ]
		# The data bound: every attribute's own quartile gap is
		# positive and its ratio is own over the largest other.
		check "attrs: data bound in the card, ratios from its table" \
		    [ "$(py "$T/am/model_card.json" '(lambda b: len(b["sd_gap"])
		    == 7 and all(b["sd_gap"][k][k] > 0 and abs(
		    b["own_over_max_other"][k] - b["sd_gap"][k][k] / max(abs(v)
		    for j, v in b["sd_gap"][k].items() if j != k)) < 1e-6 *
		    b["own_over_max_other"][k] for k in b["sd_gap"]))(
		    d["attribute_experiment"]["data_bound"])')" = true ]
		check "attrs: stdout is the card's report" [ "$(py "$T/out" \
		    'sorted(d) == ["attribute_experiment", "interpolation"]')" \
		    = true ]
		# --method best (the default) says which vector each
		# attribute got and what each kind scored on the valid
		# split; a calibrated vector is taken only where it
		# scored above both others.
		check "attrs: each vector's method and its scores" [ "$(py \
		    "$T/am/attribute_vecs.json" '(lambda m: m["chosen_by"] ==
		    "best" and len(m["vector_method"]) == 7 and
		    all(x in ("quartile", "partial", "calibrated") for x in
		    m["vector_method"].values()) and m["scores"]["split"] ==
		    "valid" and m["scores"]["calibration_scale"] == 2 and
		    all(m["scores"][k]["chosen"] == m["vector_method"][k] and
		    ("calibrated" in m["scores"][k] or "calibration" in
		    m["scores"]) for k in m["vector_method"]) and all(m["scores"][k]["calibrated"] >
		    max(m["scores"][k]["quartile"], m["scores"][k]["partial"])
		    for k in m["vector_method"] if m["vector_method"][k] ==
		    "calibrated"))(d["_meta"])')" = true ]
	fi
	cp -r "$M" "$T/am3"
	if expect_ok "attrs --method partial" attrs --model "$T/am3" \
	    --data "$NOTT" --max-windows 400 --test-windows 20 --pairs 2 \
	    --method partial; then
		check "attrs --method partial: all partial" [ "$(py \
		    "$T/am3/attribute_vecs.json" 'set(d["_meta"]["vector_method"]
		    .values()) == {"partial"}')" = true ]
	fi
	run attrs --model "$T/am3" --data "$NOTT" --force --method nonsense
	if [ "$rc" -eq 2 ] && grep -qF "latentroll: --method nonsense: want \
quartile, partial or best" "$T/err"; then
		ok
	else
		bad "attrs --method nonsense: exit $rc (want 2): $(head -c 200 \
		    "$T/err")"
	fi
	cp -r "$M" "$T/am2"
	printf '{"x": ' >"$T/am2/model_card.json"
	expect_error "attrs with a broken model card" \
	    "$T/am2/model_card.json" attrs --model "$T/am2" --data "$NOTT" \
	    --max-windows 40 --test-windows 4 --pairs 2
	check "broken card: no vectors written, card kept" [ ! -e \
	    "$T/am2/attribute_vecs.json" ] && check "broken card kept" \
	    [ "$(cat "$T/am2/model_card.json")" = '{"x": ' ]
	# A folder of test-split tunes only: eval works, train and attrs
	# say why they cannot.
	mkdir -p "$T/testonly"
	cp "$NOTT/hpps36.mid" "$NOTT/morris20.mid" "$T/testonly/"
	if expect_ok "eval --split test of test-split tunes only" \
	    eval --model "$M" --data "$T/testonly" --split test; then
		check "eval: windows counted" [ "$(py "$T/out" \
		    'd["windows"] > 0')" = true ]
	fi
	expect_error "train on test-split tunes only" "$T/testonly" \
	    train --data "$T/testonly" --arch mel_2bar --out "$T/tro" \
	    --steps 1 --quiet
	# Measured vectors are replaced only with --force, and a run that
	# fails writes nothing.
	cp "$T/am/attribute_vecs.json" "$T/am_vecs"
	cp "$T/am/model_card.json" "$T/am_card"
	expect_error "attrs over vectors" "$T/am/attribute_vecs.json" \
	    attrs --model "$T/am" --data "$NOTT"
	expect_error "attrs on test-split tunes only" "$T/testonly" \
	    attrs --model "$T/am" --data "$T/testonly" --force
	expect_error "attrs on a missing data dir" "$T/nodata" \
	    attrs --model "$T/am" --data "$T/nodata" --force
	check "failed attrs: vectors and card unchanged" cmp -s \
	    "$T/am_vecs" "$T/am/attribute_vecs.json"
	check "failed attrs: card unchanged" cmp -s "$T/am_card" \
	    "$T/am/model_card.json"
	expect_usage "attrs --pairs x" attrs --model "$T/am" --data "$NOTT" \
	    --pairs x
	# train: a model that is no run (shipped, exported) is never
	# replaced; --cache is where the windows go.
	mkdir -p "$T/data" "$T/cache"
	for f in "$NOTT"/ashover1*.mid; do cp "$f" "$T/data/"; done
	cp -r "$M" "$T/tm"
	expect_error "train over a model" "$T/tm" train --data "$T/data" \
	    --arch mel_2bar --out "$T/tm" --tiny --batch 2 --steps 1 --quiet
	same "$M/group1-shard1of1" "$T/tm/group1-shard1of1" \
	    "refused train left the model alone"
	expect_ok "train --cache" train --data "$T/data" --arch mel_2bar \
	    --out "$T/tr" --tiny --batch 2 --steps 1 --quiet --cache "$T/cache"
	# A resumed run keeps its seed: another one is an error, not dropped.
	expect_error "train --resume --seed other" "$T/tr/trainstate.bin" \
	    train --data "$T/data" --arch mel_2bar --out "$T/tr" --tiny \
	    --batch 2 --steps 2 --quiet --cache "$T/cache" --resume --seed 7
	expect_ok "train --resume --seed same" train --data "$T/data" \
	    --arch mel_2bar --out "$T/tr" --tiny --batch 2 --steps 2 --quiet \
	    --cache "$T/cache" --resume --seed 1
	# An --out that cannot hold a run is said before training, not at
	# the first checkpoint.
	expect_error "train --out a file" "$T/dec.mid" train --data "$T/data" \
	    --arch mel_2bar --out "$T/dec.mid" --tiny --batch 2 --steps 1 \
	    --quiet && check "train --out a file: said at once" \
	    [ "$(cat "$T/err")" = "latentroll: $T/dec.mid: not a directory" ]
	check "train --cache wrote the windows there" \
	    [ -e "$T/cache/windows-melody32.cache" ] &&
	    check "and not in the run" [ ! -e "$T/tr/windows-melody32.cache" ]
else
	echo "SKIP: attrs checks: no Nottingham corpus ($NOTT)"
fi

# A full disk on stdout is a failure a script must see (exit 1, one line).
if [ -w /dev/full ]; then
	for c in encode decode interpolate; do
		case $c in
		encode)	set -- encode --model "$M" "$A" ;;
		decode)	set -- decode --model "$M" --z "$T/zr.json" ;;
		*)	set -- interpolate --model "$M" "$A" "$B" -n 3 ;;
		esac
		"$LR" "$@" >/dev/full 2>"$T/err"
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
		    grep -q "^latentroll: stdout: ." "$T/err"; then
			ok
		else
			bad "$c >/dev/full: exit $rc: $(head -c 200 "$T/err")"
		fi
	done
fi

# ---- The built-in synth: render, devices, interpolate --wav. ----
SF2=/usr/share/sounds/sf2/TimGM6mb.sf2
[ -r "$SF2" ] || SF2=/usr/share/sounds/sf2/default-GM.sf2
if [ -r "$SF2" ]; then
	expect_ok "render" render "$A" "$T/r.wav" --loops 2 --soundfont "$SF2"
	check "render wrote a RIFF WAVE" sh -c \
	    "head -c 12 '$T/r.wav' | grep -q WAVE"
	check "render says how fast" grep -q "x real time" "$T/out"
	expect_error "render over a file" "$T/r.wav" render "$A" "$T/r.wav" \
	    --soundfont "$SF2"
	check "render: the error says --force" grep -q -- "--force" "$T/err"
	expect_ok "render --force" render "$A" "$T/r.wav" --force \
	    --soundfont "$SF2" --tempo 140
	expect_error "render to .ogg" "$T/r.ogg" render "$A" "$T/r.ogg"
	expect_error "render, missing soundfont" "$T/none.sf2" render "$A" \
	    "$T/r2.wav" --soundfont "$T/none.sf2"
	printf 'RIFF\040\000\000\000sfbkLIST junk' >"$T/bad.sf2"
	expect_error "render, corrupt soundfont" "$T/bad.sf2" render "$A" \
	    "$T/r2.wav" --soundfont "$T/bad.sf2"
	check "no file after a failed render" test ! -e "$T/r2.wav"
	check "no temporary file left" sh -c "! ls -a '$T' | grep -q '^\.r'"
	expect_usage "render with one file" render "$A"
	expect_ok "interpolate --wav" interpolate --model "$M" "$A" "$B" -n 2 \
	    --out "$T/iw" --wav --soundfont "$SF2"
	check "interpolate --wav wrote interp_01.wav" test -s \
	    "$T/iw/interp_01.wav"
	expect_usage "interpolate --wav without --out" interpolate --model \
	    "$M" "$A" "$B" -n 2 --wav
else
	echo "render: no General MIDI soundfont, not checked"
fi
expect_ok "devices" devices
check "devices lists the built-in synth" grep -q "built-in synth" "$T/out"

# No output replaces one of the command's inputs, --force or not (by any
# name: ./x, a symlink), nor a device or FIFO (a save renames a regular
# file over the name: /dev/null would stop being a device); each refusal
# is one line and leaves the input as it was.
mkdir -p "$T/inp/io"
cp "$A" "$T/inp/a.mid"
cp "$A" "$T/inp/a.wav"
ln -sf a.mid "$T/inp/ln.mid"
mkfifo "$T/inp/fifo" 2>/dev/null
cp "$T/inp/a.mid" "$T/inp/keep.mid"
cp "$T/ea.json" "$T/inp/z.json"
cp "$T/ea.json" "$T/inp/keep.json"
expect_error "convert onto its input" "$T/inp/a.mid" convert \
    "$T/inp/a.mid" "$T/inp/a.mid" --force
expect_error "convert onto its input, another name" "$T/inp/./a.mid" \
    convert "$T/inp/a.mid" "$T/inp/./a.mid" --force
expect_error "convert onto a symlink to its input" "$T/inp/ln.mid" \
    convert "$T/inp/a.mid" "$T/inp/ln.mid" --force
expect_error "decode onto its z" "$T/inp/z.json" decode --model "$M" \
    --z "$T/inp/z.json" --out "$T/inp/z.json" --force
expect_error "play --record onto its clip" "$T/inp/a.mid" play \
    "$T/inp/a.mid" --offline --record "$T/inp/a.mid" --force
expect_error "render onto its clip" "$T/inp/a.wav" render \
    "$T/inp/a.wav" "$T/inp/a.wav" --force
if expect_ok "interpolate into io" interpolate --model "$M" "$A" "$B" \
    -n 3 --out "$T/inp/io"; then
	cp "$T/inp/io/interp_01.mid" "$T/inp/keep1.mid"
	expect_error "interpolate over its own inputs" \
	    "$T/inp/io/interp_01.mid" interpolate --model "$M" \
	    "$T/inp/io/interp_01.mid" "$T/inp/io/interp_03.mid" -n 3 \
	    --out "$T/inp/io" --force
	same "$T/inp/keep1.mid" "$T/inp/io/interp_01.mid" \
	    "interpolate: its input kept"
fi
same "$T/inp/keep.mid" "$T/inp/a.mid" "refused outputs: the clip kept"
same "$T/inp/keep.json" "$T/inp/z.json" "refused outputs: the z kept"
check "refused outputs: the symlink kept" [ -L "$T/inp/ln.mid" ]
if [ -p "$T/inp/fifo" ]; then
	expect_error "convert onto a FIFO" "$T/inp/fifo" convert \
	    "$T/inp/a.mid" "$T/inp/fifo" --force
	check "the FIFO is still one" [ -p "$T/inp/fifo" ]
fi
expect_error "convert onto /dev/null" "/dev/null" convert "$T/inp/a.mid" \
    /dev/null --force
check "/dev/null is still a device" [ -c /dev/null ]
# A clip given as a set: said so, before the screen opens.
expect_error "--set a MIDI file" "$T/inp/a.mid: a MIDI file, not a set" \
    --no-midi --set "$T/inp/a.mid"
# A bad soundfont for --wav: refused before any clip is written.
expect_error "interpolate --wav, a bad soundfont" "$T/inp/a.mid" \
    interpolate --model "$M" "$A" "$B" -n 2 --out "$T/inp/w" --wav \
    --soundfont "$T/inp/a.mid"
check "a bad soundfont: no folder left behind" [ ! -e "$T/inp/w" ]
expect_usage "attrs --pairs 1000000 (hours of decoding)" attrs --model "$M" \
    --data "$T/inp" --pairs 1000000
# A file whose tempo event says 60000000 BPM: said, and --tempo plays it.
printf 'MThd\000\000\000\006\000\000\000\001\000\140MTrk\000\000\000\023\000\377\121\003\000\000\001\000\220\074\100\140\200\074\000\000\377\057\000' \
    >"$T/inp/tempo1.mid"
expect_error "render of a 60000000 BPM file" "$T/inp/tempo1.mid: tempo" \
    render "$T/inp/tempo1.mid" "$T/inp/t1.wav"
expect_ok "the same with --tempo 120" render "$T/inp/tempo1.mid" \
    "$T/inp/t1.wav" --tempo 120
# A render longer than an hour: refused up front, nothing written.
expect_error "render of 1000000 loops" "$T/inp/long.wav" render \
    "$T/inp/a.mid" "$T/inp/long.wav" --loops 1000000
check "a refused render writes nothing" [ ! -e "$T/inp/long.wav" ]

# Memory: the model commands under valgrind (errors and definite leaks),
# unless the binary carries AddressSanitizer, which checks every run above.
if command -v valgrind >/dev/null 2>&1 &&
    ! ldd "$LR" 2>/dev/null | grep -q libasan; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full"
	VG="$VG --errors-for-leak-kinds=definite --show-leak-kinds=definite"
	rm -rf "$T/iv"
	for c in encode decode sample interpolate trio badz badclip; do
		case $c in
		encode)	set -- encode --model "$M" "$A" ;;
		decode)	set -- decode --model "$M" --z "$T/ea.json" \
			    --out "$T/vg.mid" ;;
		sample)	set -- decode --model "$M" --z "$T/zr.json" \
			    --temperature 1 --seed 3 ;;
		interpolate) set -- interpolate --model "$M" "$A" "$B" -n 4 \
			    --out "$T/iv" ;;
		trio)	set -- decode --model "$srcdir/tests/data/parity/trio_4bar" \
			    --z "$T/z_trio_4bar.json" ;;
		badz)	set -- decode --model "$M" --z "$T/zstr.json" ;;
		*)	set -- encode --model "$M" "$T/dec.mid" --window 9 ;;
		esac
		$VG "$LR" "$@" >/dev/null 2>"$T/err"
		rc=$?
		if [ "$rc" -eq 99 ] || grep -q "==[0-9]*==" "$T/err"; then
			bad "valgrind $c: $(head -c 600 "$T/err")"
		else
			ok
		fi
	done
else
	echo "valgrind: not used (absent, or the binary has AddressSanitizer)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
