#!/bin/sh
# test_tui.sh: the instrument end to end under tmux.  Starts latentroll on
# two clips with a model, presses keys with send-keys, reads the screen with
# capture-pane and checks: the roll shows the clips, the slider moves, the
# result changes across the middle, a nudge changes the measured attribute,
# s writes a MIDI file that loads back, a set saved with S reopens with
# --set, resizing to 40x12 and back survives, q exits 0 with the terminal
# restored, and a bad clip is an error on the status line, not an exit.
# A private tmux server (-L) and fixed window sizes; every wait polls with a
# timeout.  SKIP (77) only when tmux is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
LR=$top_builddir/latentroll
passed=0
failed=0

if ! command -v tmux >/dev/null 2>&1; then
	echo "SKIP: tmux is not installed"
	exit 77
fi
if [ ! -x "$LR" ]; then
	echo "test_tui: $LR not built" >&2
	exit 99
fi

SOCK=lrtui$$
TM="tmux -L $SOCK -f /dev/null"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_tui.XXXXXX")
# The server's socket lives in our directory and goes with it.
TMUX_TMPDIR=$tmp
export TMUX_TMPDIR
unset TMUX
cleanup() {
	# KEEP=DIR keeps the screens, logs and files for a post-mortem.
	[ -n "$KEEP" ] && cp -r "$tmp" "$KEEP"
	$TM kill-server >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# The user's own config (key remaps, CC bindings) must not leak in.
XDG_CONFIG_HOME=$tmp/config
export XDG_CONFIG_HOME
# ... and one remap of our own: z moves the slider right (checked below).
mkdir -p "$tmp/config/latentroll"
printf 'key slider-right = z\n' > "$tmp/config/latentroll/config"

ok() {
	passed=$((passed + 1))
}
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}
check() {	# check WHAT COMMAND...
	what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

screen() {
	$TM capture-pane -p -t "$1" 2>/dev/null
}
# retry SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds.
retry() {
	i=0
	n=$(( $1 * 10 ))
	shift
	while [ $i -lt $n ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
screen_has() {	# screen_has SESSION REGEX
	screen "$1" | grep -q -- "$2"
}
# wait_for SESSION REGEX [SECONDS]: poll the screen until it matches.
wait_for() {
	retry "${3:-10}" screen_has "$1" "$2" && return 0
	echo "--- screen of $1 while waiting for /$2/:" >&2
	screen "$1" >&2
	return 1
}
prints() {	# prints COMMAND VALUE
	[ "$(sh -c "$1" 2>/dev/null)" = "$2" ]
}
# poll COMMAND VALUE [SECONDS]: poll until COMMAND prints VALUE.
poll() {
	retry "${3:-10}" prints "$1" "$2" && return 0
	echo "--- '$1' printed '$(sh -c "$1" 2>/dev/null)', not '$2'" >&2
	return 1
}
# The rows of the result lane (between its title and the time axis).
result_lane() {
	screen "$1" | sed -n '/^-- result/,/^ *1 /p' | sed '1d;$d'
}
norm() {	# the result lane without the changed marks
	result_lane "$1" | tr '{#' '[='
}
lane_now_is() {	# lane_now_is SESSION FILE
	norm "$1" > "$tmp/lane-now"
	cmp -s "$2" "$tmp/lane-now"
}
# lane_is SESSION FILE [SECONDS]: poll until the result lane (marks
# normalised) is the one in FILE; on a timeout show the difference.
lane_is() {
	retry "${3:-5}" lane_now_is "$1" "$2" && return 0
	diff "$2" "$tmp/lane-now" >&2
	return 1
}
# The measured value of the selected attribute ("=12.34" after ">").
attr_value() {
	screen "$1" | grep -o '>[a-z0-9_ ]*[+-][0-9.]*= *[0-9.?]*' | head -1 |
	    sed 's/.*= *//'
}

# A model: the shipped one (with its attribute vectors, for the nudge
# check), else random weights: the screen logic does not depend on the
# model being trained.
model=$srcdir/share/models/mel_2bar
if [ ! -f "$model/config.json" ] || [ ! -f "$model/attribute_vecs.json" ]
then
	model=$tmp/model
	if ! "$top_builddir/tests/tui_mkmodel" "$model" mel_2bar 7 \
	    >"$tmp/mk.log" 2>&1; then
		cat "$tmp/mk.log" >&2
		exit 99
	fi
fi

# Clips: the shipped examples, else two small melodies written here.
if [ -f "$srcdir/share/clips/a.mid" ] && [ -f "$srcdir/share/clips/b.mid" ]
then
	cp "$srcdir/share/clips/a.mid" "$tmp/a.mid"
	cp "$srcdir/share/clips/b.mid" "$tmp/b.mid"
else
	python3 - "$tmp" <<'EOF' || exit 99
import struct, sys
def clip(path, pitches):
    ev = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20")        # 120 qpm
    ev += b"\x00\xff\x58\x04\x04\x02\x18\x08"              # 4/4
    for p in pitches:                                      # eighth notes
        ev += bytes([0x00, 0x90, p, 90, 0x60, 0x80, p, 0])
    ev += b"\x00\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96))
        f.write(b"MTrk" + struct.pack(">I", len(ev)) + ev)
clip(sys.argv[1] + "/a.mid", [60, 62, 64, 65, 67, 65, 64, 62] * 2)
clip(sys.argv[1] + "/b.mid", [72, 71, 69, 67, 69, 71, 72, 74] * 2)
EOF
fi
printf 'this is not a MIDI file\n' > "$tmp/bad.mid"
cp "$tmp/a.mid" "$tmp/a.orig"

# start SESSION ARGS...: run latentroll in a fresh 80x24 window; the shell
# around it records the exit status and the terminal modes after it.
start() {
	s=$1
	shift
	cat > "$tmp/run-$s.sh" <<EOF
cd "$tmp" || exit 1
stty -g > "$tmp/stty-before-$s"
"$LR" --no-midi --model "$model" $* 2> "$tmp/stderr-$s"
echo "EXIT=\$?"
stty -g > "$tmp/stty-after-$s"
echo "DONE"
sleep 600
EOF
	$TM new-session -d -s "$s" -x 80 -y 24 "sh $tmp/run-$s.sh"
}

# ---- main session ----
start main a.mid b.mid
check "roll drawn" wait_for main '^-- result' 20
check "lane A shows a.mid" wait_for main '^-- A a.mid'
check "lane B shows b.mid" wait_for main '^-- B b.mid'
# Notes of the clips are on screen: A's lane has note starts.
check "clip A notes drawn" sh -c "$TM capture-pane -p -t main |
    sed -n '/^-- A/,/^-- B/p' | grep -q '\\['"
check "result decoded" wait_for main 'ms *$\|ms |' 10
check "slider at 0.50" wait_for main 'slider 0.50'

# The slider moves by 1/32 and 1/8 and jumps.
$TM send-keys -t main Right
check "Right: slider 0.53" wait_for main 'slider 0.53'
$TM send-keys -t main H
check "H: slider 0.41" wait_for main 'slider 0.41'
$TM send-keys -t main 9
check "9: slider 1.00" wait_for main 'slider 1.00'
$TM send-keys -t main 0
check "0: slider 0.00" wait_for main 'slider 0.00'
$TM send-keys -t main z
check "config remap: z = slider-right" wait_for main 'slider 0.03'
# m without a MIDI input (--no-midi) says so instead of waiting forever.
$TM send-keys -t main m
check "m: no MIDI input said" wait_for main 'MIDI-learn needs a MIDI input'
# Tempo: three presses of > in one burst are three steps of 5 (each from
# the tempo asked for, not from the player's last report).
bpm0=$(screen main | grep -o '| [0-9]* bpm' | head -1 | tr -dc 0-9)
$TM send-keys -t main '>' '>' '>'
check "> > > in a burst: $bpm0 + 15 bpm" wait_for main "| $((bpm0 + 15)) bpm"
$TM send-keys -t main '<' '<' '<'
check "< < <: back to $bpm0 bpm" wait_for main "| $bpm0 bpm"

# The result lane changes when the slider crosses the middle: from a
# point left of it to one right of it (nearest pair first, widening when
# a trained model happens to decode both the same).
changed=no
for pair in "4 5 0.44 0.56" "3 6 0.34 0.66" "1 8 0.12 0.88" "0 9 0.00 1.00"
do
	set -- $pair
	$TM send-keys -t main "$1"
	wait_for main "slider $3" >/dev/null
	sleep 0.3
	result_lane main > "$tmp/before"
	$TM send-keys -t main "$2"
	wait_for main "slider $4" >/dev/null
	sleep 0.3
	result_lane main > "$tmp/after"
	if ! cmp -s "$tmp/before" "$tmp/after"; then
		changed="$3 -> $4"
		break
	fi
done
check "result lane has notes" grep -q '[[{]' "$tmp/after"
check "result changes across the middle ($changed)" test "$changed" != no

# A nudge changes the measured attribute of the result: the last one in
# the panel (register with the test model, sync_8th with the shipped one).
$TM send-keys -t main Up
sleep 0.2
v0=$(attr_value main)
$TM send-keys -t main + + + +
check "nudge shown" wait_for main '>[a-z0-9_ ]*+1.00='
i=0
v1=$v0
while [ $i -lt 50 ] && [ "$v1" = "$v0" ]; do
	sleep 0.1
	v1=$(attr_value main)
	i=$((i + 1))
done
check "measured value present ($v0)" test -n "$v0" -a "$v0" != "?"
check "nudge changed the measured value ($v0 -> $v1)" test "$v0" != "$v1"
$TM send-keys -t main x
check "x resets nudges" wait_for main '>[a-z0-9_ ]*+0.00='

# s: a prompt with a new name; Enter saves; the file loads back.
$TM send-keys -t main s
check "save prompt" wait_for main 'save result as: latentroll-001.mid'
$TM send-keys -t main Enter
check "saved message" wait_for main 'saved latentroll-001.mid'
check "saved file exists" test -s "$tmp/latentroll-001.mid"
check "saved file loads back" sh -c \
    "'$LR' inspect '$tmp/latentroll-001.mid' >'$tmp/inspect.out' 2>&1"
# Saving again suggests a new name: never over the first.
$TM send-keys -t main s
check "second save suggests a new name" \
    wait_for main 'save result as: latentroll-002.mid'
$TM send-keys -t main Escape
# Never over an input clip.
$TM send-keys -t main s C-u a.mid Enter
check "refuses to save over an input" wait_for main 'a.mid: exists'
# Nor a set (S): an input clip stays as it was.
$TM send-keys -t main S C-u a.mid Enter
check "set refuses to save over an input" \
    wait_for main 'a.mid: exists (not overwritten'
check "input clip intact" cmp -s "$tmp/a.mid" "$tmp/a.orig"

# S: save the set (slider, nudges, seed...).  Each start has its own
# seed; r steps it by the LCG (seed * 1103515245 + 12345 mod 2^32).
seed0=$(screen main | sed -n 's/.* seed \([0-9][0-9]*\).*/\1/p' | head -1)
seed0=${seed0:-0}
seed2=$(( (seed0 * 1103515245 + 12345) % 4294967296 ))
seed2=$(( (seed2 * 1103515245 + 12345) % 4294967296 ))
check "a seed on the slider line ($seed0)" test "$seed0" -gt 0
$TM send-keys -t main r r
check "reseeded twice" wait_for main "seed $seed2"

$TM send-keys -t main 7
wait_for main 'slider 0.78' >/dev/null
$TM send-keys -t main S
check "set prompt" wait_for main 'save set as: latentroll-001.set'
$TM send-keys -t main Enter
check "set saved" wait_for main 'saved set'
# S again saves over the set this session saved (an editor's save), not
# over another set that exists.
cp "$tmp/latentroll-001.set" "$tmp/other.set"
$TM send-keys -t main S C-u other.set Enter
check "S: another existing set is not replaced" \
    wait_for main 'other.set: exists (not overwritten'
check "S: the other set is intact" cmp -s "$tmp/other.set" \
    "$tmp/latentroll-001.set"
$TM send-keys -t main S
check "S again offers its own set" wait_for main \
    'save set as: latentroll-001.set'
$TM send-keys -t main Enter
check "S again updates it" wait_for main 'saved set latentroll-001.set'

# Help overlay lists keys, any key closes it.
$TM send-keys -t main '?'
check "help overlay" wait_for main 'slider 1/32 toward A'
check "help: o asks for the window" wait_for main \
    'open a clip; asks window/track'
$TM send-keys -t main Escape
check "help closed" wait_for main '^-- result'
check "help text gone" sh -c \
    "! $TM capture-pane -p -t main | grep -q 'slider 1/32 toward A'"

# The 2-D pad: g turns it on, arrows move, g again back to the slider.
$TM send-keys -t main g
# It starts on the A-B edge at the slider's point (0.78: x 0.75).
check "pad on, at the slider's point" wait_for main '^pad x 0.75 y 0.00'
$TM send-keys -t main Right Down Down
check "pad moves" wait_for main '^pad x 1.00 y 0.50'
$TM send-keys -t main g
check "pad off" wait_for main '^slider 0.78'

# Edit mode: delete and add a note, undo.
$TM send-keys -t main e
check "edit mode" wait_for main 'EDIT'
# The cursor starts on the first note: x deletes it, a adds one back
# (either alone is an edit even when the result is empty).
# The lane after each step, to check undo and redo bring back exactly
# the notes before.
sleep 0.3
norm main > "$tmp/edit0"
$TM send-keys -t main x
check "x: edited" wait_for main '^-- result (edited)'
sleep 0.3
norm main > "$tmp/edit1"
$TM send-keys -t main a
check "editing marks unsaved" wait_for main 'unsaved'
sleep 0.3
norm main > "$tmp/edit2"
check "x deleted a note" sh -c "! cmp -s '$tmp/edit0' '$tmp/edit1'"
check "a added a note" sh -c "! cmp -s '$tmp/edit1' '$tmp/edit2'"
# Undo and redo are polled until the lane is the one expected (a slow
# redraw, e.g. under a sanitizer, is not a failure; a wrong lane is).
$TM send-keys -t main u
check "u: the notes before a" lane_is main "$tmp/edit1"
$TM send-keys -t main u
check "u u: the notes before x" lane_is main "$tmp/edit0"
$TM send-keys -t main C-r
check "C-r: x again" lane_is main "$tmp/edit1"
$TM send-keys -t main e
check "edit mode left" sh -c "! $TM capture-pane -p -t main | grep -q EDIT"

# Space plays (null sink, real clock): the playhead runs; a triangle
# sweep moves the slider with the bars.
$TM send-keys -t main 0 p
check "sweep on" wait_for main 'sweep tri/4'
$TM send-keys -t main Space
check "playing" wait_for main 'playing'
check "playhead drawn" wait_for main '^    .*\^'
check "sweep moves the slider" wait_for main 'slider 0.50' 5
$TM send-keys -t main .
check ". while playing says why the view stays" \
    wait_for main 'the view follows the playhead while playing'
# P: the sweep moves the selected nudge instead (down from -max at 0).
$TM send-keys -t main P
check "sweep target: attribute" wait_for main 'sweep tri/4 attr'
$TM send-keys -t main p p Space
check "stopped" wait_for main 'stopped'
$TM send-keys -t main P x
$TM send-keys -t main 7
wait_for main 'slider 0.78' >/dev/null

# Snapshots: F1 stores (empty slot), F1 again recalls; M-2 likewise.
$TM send-keys -t main 2 F1 9
wait_for main 'slider 1.00' >/dev/null
$TM send-keys -t main F1
check "F1 recalls the snapshot" wait_for main 'slider 0.22'
$TM send-keys -t main 0 M-2 9 M-2
check "M-2 recalls its snapshot" wait_for main 'slider 0.00'
$TM send-keys -t main 7
wait_for main 'slider 0.78' >/dev/null

# k: key lock to the key of A, then C major, then off.
$TM send-keys -t main k
check "key lock on" wait_for main 'key [A-G][b#]* major'
$TM send-keys -t main k
check "key lock C major" wait_for main 'key C major'
$TM send-keys -t main K
check "K: a fifth up" wait_for main 'key G major'
$TM send-keys -t main k
check "key lock off" wait_for main 'key lock off'

# Resize to 40x12 and back.
$TM resize-window -t main -x 40 -y 12
# The slider line alone would match the old 80x24 screen that tmux has
# just cropped (its bottom rows, no lane title among them); the compact
# status line and slider exist only in the 40-column layout.  The lane
# count is polled as well: a capture can land inside a redraw.
check "40x12 drawn" wait_for main '^no MIDI *|'
check "40x12: compact slider" wait_for main '^slider 0.78 A=*|-*B slerp t0'
check "40x12: one lane" poll "$TM capture-pane -p -t main | grep -c '^-- '" 1
$TM resize-window -t main -x 80 -y 24
check "80x24 again: three lanes" wait_for main '^-- A a.mid'
# The first key after a resize is read as itself: an arrow came in as
# ESC [ C (read as Alt-[ and then C: "C: no command") once curses had
# left keypad mode to re-read the size.
$TM send-keys -t main Left
check "an arrow after a resize moves the slider" wait_for main \
    '^slider 0.75 '
check "an arrow after a resize is no stray letter" sh -c \
    "! $TM capture-pane -p -t main | grep -q 'no command'"
$TM send-keys -t main Right
check "and back" wait_for main '^slider 0.78 '

# q: asks because of the unsaved edit; y quits with status 0.
$TM send-keys -t main q
check "quit asks about unsaved edits" wait_for main 'quit anyway'
$TM send-keys -t main y
check "exit status 0" wait_for main 'EXIT=0'
check "terminal restored (roll gone)" sh -c \
    "! $TM capture-pane -p -t main | grep -q '^slider '"
wait_for main 'DONE' 5 >/dev/null
check "terminal modes restored" cmp -s "$tmp/stty-before-main" \
    "$tmp/stty-after-main"
check "nothing printed on stderr" test ! -s "$tmp/stderr-main"

# ---- the set reopens ----
if [ -f "$tmp/latentroll-001.set" ]; then
	start set --set latentroll-001.set
	check "--set: roll drawn" wait_for set '^-- result' 20
	check "--set: slider restored" wait_for set 'slider 0.78'
	check "--set: seed restored" wait_for set "seed $seed2"
	$TM send-keys -t set q
	check "--set: exit 0" wait_for set 'EXIT=0'
else
	bad "no set file written"
fi

# ---- c: the result becomes a new endpoint ----
start copy a.mid b.mid
check "copy: roll drawn" wait_for copy '^-- result' 20
wait_for copy 'ms *$' 10 >/dev/null
# Esc and an arrow at once are two keys (not Alt+Right): edit mode
# left, then the slider moves.
$TM send-keys -t copy e
check "copy: edit mode" wait_for copy 'EDIT'
$TM send-keys -t copy Escape Right
check "Esc then Right: the slider moves" wait_for copy 'slider 0.53'
$TM send-keys -t copy c b
check "copy: message" wait_for copy 'result copied into B'
check "copy: lane B is the result" wait_for copy '^-- B (copied result)'
# The copy is in no file yet: q asks (nothing else is unsaved here).
$TM send-keys -t copy q
check "copy: q asks about the copied clip" \
    wait_for copy 'unsaved copied clip B (S saves it): quit anyway'
$TM send-keys -t copy n
# An edit dropped by the slider, then s saves the plain result: the
# edit is still unsaved, so q asks.
$TM send-keys -t copy e x a
check "copy: edited" wait_for copy 'unsaved'
$TM send-keys -t copy e Right s Enter
check "copy: saved the result" wait_for copy 'saved latentroll-'
$TM send-keys -t copy q
check "copy: a dropped edit is still unsaved" \
    wait_for copy 'unsaved edits and copied clip B'
$TM send-keys -t copy n
# S writes the copy beside the set (never over a file: copy-B.mid is
# taken, so copy-B-2.mid) and the set names it; then only the edit is
# unsaved.
printf 'not mine\n' > "$tmp/copy-B.mid"
$TM send-keys -t copy S C-u copy.set Enter
check "copy: S saves the copied clip" \
    wait_for copy 'saved set copy.set, copy B in copy-B-2.mid'
check "copy: a taken name is left alone" \
    sh -c "[ \"\$(cat '$tmp/copy-B.mid')\" = 'not mine' ]"
check "copy: the copy loads back" sh -c \
    "'$LR' inspect '$tmp/copy-B-2.mid' >'$tmp/inspect-copy.out' 2>&1"
check "copy: the set names the copy" grep -q '"path": *"[^"]*/copy-B-2.mid"' \
    "$tmp/copy.set"
check "copy: the lane names its file" wait_for copy '^-- B copy-B-2.mid'
$TM send-keys -t copy q
check "copy: only the edit is unsaved now" \
    wait_for copy 'unsaved edits: quit anyway'
$TM send-keys -t copy y
check "copy: exit 0" wait_for copy 'EXIT=0'
start copyset --set copy.set
check "copy: the set reopens with the copy in B" \
    wait_for copyset '^-- B copy-B-2.mid' 20
check "copy: its notes are drawn" sh -c "$TM capture-pane -p -t copyset |
    sed -n '/^-- B/,/^-- result/p' | grep -q '\\['"
$TM send-keys -t copyset q
check "copy: the set quits at once (nothing unsaved)" \
    wait_for copyset 'EXIT=0'

# ---- an edit with two notes at once copied into A: A holds the melody
# the model reads, so S saves one voice and the set brings back the notes
# A showed (a raw two-voice edit could come back through the loader's
# top-voice rule as other notes) ----
start poly a.mid b.mid
check "poly: roll drawn" wait_for poly '^-- result' 20
wait_for poly 'ms *$' 10 >/dev/null
$TM send-keys -t poly e Right Right Up Up Up a
check "poly: a note added above an onset" wait_for poly 'unsaved'
$TM send-keys -t poly a
check "an edit key that does nothing says why" \
    wait_for poly 'note-add: a note is already here'
$TM send-keys -t poly Escape
check "poly: edit mode left" retry 5 sh -c \
    "! $TM capture-pane -p -t poly | grep -q '| EDIT'"
$TM send-keys -t poly c a
check "poly: copied into A" wait_for poly '^-- A (copied result)'
$TM capture-pane -p -t poly | sed -n '/^-- A/,/^-- B/p' | sed '1d;$d' \
    >"$tmp/poly-A-before"
$TM send-keys -t poly S C-u poly.set Enter
check "poly: set saved" wait_for poly 'saved set poly.set, copy A in'
$TM send-keys -t poly q
wait_for poly 'quit anyway' 5 >/dev/null && $TM send-keys -t poly y
check "poly: exit 0" wait_for poly 'EXIT=0'
start polyset --set poly.set
check "poly: the set reopens" wait_for polyset '^-- A poly-A.mid' 20
$TM capture-pane -p -t polyset | sed -n '/^-- A/,/^-- B/p' | sed '1d;$d' \
    >"$tmp/poly-A-after"
check "poly: A has notes" grep -q '\[' "$tmp/poly-A-after"
check "poly: the reopened copy is not a top voice" sh -c \
    "! $TM capture-pane -p -t polyset | grep -q '^-- A.*polyphonic'"
"$LR" inspect "$tmp/poly-A.mid" >"$tmp/poly-A.insp" 2>&1
check "poly: the saved copy is one voice (its notes are the melody's)" \
    [ "$(sed -n 's/.* \([0-9][0-9]*\) notes$/\1/p' "$tmp/poly-A.insp")" \
    = "$(($(grep '^  notes:' "$tmp/poly-A.insp" | wc -w) - 1))" ]
check "poly: A reopens with the notes it showed" cmp -s \
    "$tmp/poly-A-before" "$tmp/poly-A-after"
$TM send-keys -t polyset q
check "poly: exit 0 again" wait_for polyset 'EXIT=0'

# ---- an edit back (u) while a nudge decodes, then dropped: the result
# lane shows the nudged point, not the one before the nudge ----
start stale a.mid b.mid
check "stale: roll drawn" wait_for stale '^-- result' 20
wait_for stale 'ms *$' 10 >/dev/null
$TM send-keys -t stale e x
check "stale: edited" wait_for stale '^-- result (edited)'
$TM send-keys -t stale e Up
sleep 0.3
$TM send-keys -t stale + + + + u
check "stale: edit back" wait_for stale '^-- result (edited)'
sleep 1
$TM send-keys -t stale F1
sleep 0.3
$TM send-keys -t stale F1
check "stale: snapshot drops the edit" wait_for stale '^-- result [v^0-9 ]*--'
sleep 0.5
norm stale > "$tmp/stale-shown"
$TM send-keys -t stale x
sleep 1
$TM send-keys -t stale + + + +
sleep 1.5
norm stale > "$tmp/stale-fresh"
check "stale: the dropped edit shows the nudged point" \
    cmp -s "$tmp/stale-shown" "$tmp/stale-fresh"
$TM send-keys -t stale q
wait_for stale 'quit anyway' 5 >/dev/null
$TM send-keys -t stale y
check "stale: exit 0" wait_for stale 'EXIT=0'

# ---- a bad clip: an error on the status line, the app goes on ----
start badclip a.mid bad.mid
check "bad clip: roll drawn" wait_for badclip '^-- result' 20
check "bad clip: error on the status line" wait_for badclip 'bad.mid: '
# B is not silence: A's next window, and the message says so.
check "bad clip: B is A's next window" wait_for badclip \
    '^-- B a.mid .*window 2/'
check "bad clip: says B is A's" wait_for badclip "B is A's next window"
check "bad clip: B's title says it stands in" wait_for badclip \
    '^-- B a.mid .*(stand-in: bad.mid did not load)'

$TM send-keys -t badclip Right
check "bad clip: still answers keys" wait_for badclip 'slider 0.53'
# o: open a missing file: an error, the app goes on.
$TM send-keys -t badclip o b
check "open prompt" wait_for badclip 'open into B:'
# A path longer than the screen: its end stays in view as it is typed.
long=$(printf 'x%.0s' $(seq 120))
$TM send-keys -t badclip "$long" end-of-path
check "long prompt shows its end" wait_for badclip '<x*end-of-path$'
$TM send-keys -t badclip C-u
$TM send-keys -t badclip nosuch.mid Enter
check "open error shown" \
    wait_for badclip 'nosuch.mid: No such file or directory'
check "open error: the prompt is closed" sh -c \
    "! $TM capture-pane -p -t badclip | grep -q 'open into B:'"
# o with a file that exists but is not MIDI: the error, B unchanged, keys
# still answer.
check "open a bad clip: no old error on screen" sh -c \
    "! $TM capture-pane -p -t badclip | grep -q 'not a MIDI file'"
$TM send-keys -t badclip o b bad.mid Enter
check "open a bad clip: error on the status line" \
    wait_for badclip 'bad.mid: not a MIDI file'
check "open a bad clip: B unchanged" wait_for badclip '^-- B a.mid'
$TM send-keys -t badclip Left
check "open a bad clip: still answers keys" wait_for badclip 'slider 0.50'
# A new clip is heard even over an edit: the edit goes to undo.
$TM send-keys -t badclip e x a
check "bad clip: edited" wait_for badclip '^-- result (edited)'
$TM send-keys -t badclip e o b b.mid Enter
check "open loads b.mid" wait_for badclip '^-- B b.mid'
check "a loaded clip stands in no more" sh -c \
    "! $TM capture-pane -p -t badclip | grep -q 'stand-in'"
check "a new clip drops the edit" wait_for badclip '^-- result [v^0-9 ]*--'
# A clip with several windows asks which, window 1 preselected.
nwin=$(screen badclip | sed -n 's/^-- B b.mid.*  window 1\/\([0-9]*\).*/\1/p')
check "open asks for the window of b.mid ($nwin)" \
    wait_for badclip "B: window 1-$nwin: 1\$"
$TM send-keys -t badclip C-u "$nwin" Enter
check "the window chosen: $nwin" \
    wait_for badclip "^-- B b.mid.*  window $nwin/$nwin"
# a16.mid (15 windows on this model): window 15 in one answer, not 14
# presses of w; a bad answer is an error and the clip stays.
if [ -f "$srcdir/share/clips/a16.mid" ]; then
	cp "$srcdir/share/clips/a16.mid" "$tmp/a16.mid"
	$TM send-keys -t badclip o a a16.mid Enter
	check "a16: asks for the window" wait_for badclip 'A: window 1-15: 1$'
	$TM send-keys -t badclip C-u 15 Enter
	check "a16: window 15 at once" \
	    wait_for badclip '^-- A a16.mid.*  window 15/15 (bar 15)'
	$TM send-keys -t badclip o a a16.mid Enter
	wait_for badclip 'A: window 1-15: 1$' >/dev/null
	$TM send-keys -t badclip C-u 16 Enter
	check "a16: window 16 is an error, and asks again" \
	    wait_for badclip 'A: window 16: there are 1-15; A: window 1-15: 1$'
	check "a16: the clip stays at window 1" \
	    wait_for badclip '^-- A a16.mid.*  window 1/15'
	$TM send-keys -t badclip C-u 7 Enter
	check "a16: the second answer is taken" \
	    wait_for badclip '^-- A a16.mid.*  window 7/15'
fi
# Several tracks: window and track, the converter's track preselected.
python3 - "$tmp/three.mid" <<'PY' || bad "three.mid not written"
import struct, sys
def track(ev):
    ev = bytearray(ev) + b"\x00\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(ev)) + ev
def notes(pitches, dur):
    ev = bytearray()
    for p in pitches:
        ev += bytes([0x00, 0x90, p, 90]) + bytes([dur, 0x80, p, 0])
    return ev
tempo = b"\x00\xff\x51\x03\x07\xa1\x20\x00\xff\x58\x04\x04\x02\x18\x08"
with open(sys.argv[1], "wb") as f:
    f.write(b"MThd" + struct.pack(">IHHH", 6, 1, 3, 96))
    f.write(track(tempo))
    f.write(track(notes([60, 62, 64, 65, 67, 65, 64, 62] * 2, 0x30)))
    f.write(track(notes([79, 76, 72, 76] * 2, 0x60)))
PY
$TM send-keys -t badclip o b three.mid Enter
check "tracks: asks for window and track" \
    wait_for badclip 'B: window 1-1, track 1-3: 1 2$'
$TM send-keys -t badclip C-u '1 3' Enter
check "tracks: track 3 chosen" wait_for badclip '^-- B three.mid  track 3/3'
$TM send-keys -t badclip o b three.mid Enter
wait_for badclip 'track 1-3: 1 2$' >/dev/null
$TM send-keys -t badclip C-u '1 1' Enter
check "tracks: a track without notes is an error" \
    wait_for badclip 'B: track 1: .*no notes'
$TM send-keys -t badclip Escape
check "tracks: asked again, Esc closes the question" retry 5 sh -c \
    "! $TM capture-pane -p -t badclip | grep -q 'track 1-3: \\|>1 2\$'"
check "tracks: ... and keeps the track shown" \
    wait_for badclip '^-- B three.mid  track 2/3'
$TM send-keys -t badclip q
check "bad clip: asks (the edit is unsaved)" wait_for badclip 'quit anyway'
$TM send-keys -t badclip y
check "bad clip: exit 0" wait_for badclip 'EXIT=0'

# ---- plain `latentroll` on a 16-bar model opens the 16-bar examples ----
m16=$srcdir/share/models/mel_16bar
if [ ! -f "$m16/config.json" ]; then
	m16=$tmp/m16
	"$top_builddir/tests/tui_mkmodel" "$m16" mel_16bar 7 >/dev/null 2>&1 ||
	    bad "tui_mkmodel mel_16bar"
fi
data=$(cd "$srcdir/share" && pwd)
m16=$(cd "$m16" && pwd)
cat > "$tmp/run-sixteen.sh" <<EOF
cd "$tmp" || exit 1
"$LR" --data-dir "$data" --no-midi --model "$m16" 2> "$tmp/stderr-sixteen"
echo "EXIT=\$?"
sleep 600
EOF
$TM new-session -d -s sixteen -x 80 -y 24 "sh $tmp/run-sixteen.sh"
check "16-bar: lane A shows a16.mid" wait_for sixteen '^-- A a16.mid' 20
check "16-bar: lane B shows b16.mid" wait_for sixteen '^-- B b16.mid'
check "16-bar: result decoded" wait_for sixteen 'ms *$\|ms |' 20
$TM send-keys -t sixteen q
check "16-bar: exit 0" wait_for sixteen 'EXIT=0'

# ---- no model: a clear error before the screen ----
if "$LR" --model "$tmp/nonexistent" a.mid b.mid >"$tmp/nomodel.out" \
    2>&1 </dev/null; then
	bad "no model: should fail"
else
	ok
fi
check "no model: message names the directory" grep -q nonexistent \
    "$tmp/nomodel.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
