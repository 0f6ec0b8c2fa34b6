#!/bin/sh
# chaos_tui.sh: the instrument driven by random keys under tmux, the way a
# cat on the keyboard would (issue H; run by hand, not by make check):
#	tools/chaos_tui.sh [SECONDS [KEYS [SEED]]]	(default 600 10000 1)
# Starts latentroll on share/clips/a.mid and b.mid with share/models/
# mel_2bar (--no-midi), then sends KEYS random keys over SECONDS, every
# key of the instrument but q, and every ~150 keys one of: open a good
# clip, open a bad one, open a missing one, save the result, save the
# set, resize the window (down to 20x6).  At the end it quits with q y
# and reports: the exit status, whether the terminal modes are those it
# started with, what stderr got, and the resident memory (RSS, KiB) of
# the process after start-up, at the first minute and before quitting.
# Exit 0 when it survived, exited 0, restored the terminal and wrote
# nothing to stderr.  KEEP=DIR keeps the work folder.
top_builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
LR=$(cd "$top_builddir" && pwd)/latentroll
MODEL=${MODEL:-$(cd "$srcdir" && pwd)/share/models/mel_2bar}
SECS=${1:-600}
KEYS=${2:-10000}
SEED=${3:-1}
SOCK=lrchaos$$
TM="tmux -L $SOCK -f /dev/null"
tmp=$(mktemp -d /tmp/lr_chaos.XXXXXX) || exit 1
TMUX_TMPDIR=$tmp
XDG_CONFIG_HOME=$tmp/config
export TMUX_TMPDIR XDG_CONFIG_HOME
unset TMUX
cleanup() {
	[ -n "$KEEP" ] && cp -r "$tmp" "$KEEP"
	$TM kill-server >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cp "$srcdir"/share/clips/a.mid "$srcdir"/share/clips/b.mid "$tmp"/
chmod u+w "$tmp"/*.mid
printf 'not a MIDI file\n' >"$tmp/bad.mid"
head -c 3000 /dev/urandom >"$tmp/noise.mid"
cat >"$tmp/run.sh" <<EOF2
cd "$tmp" || exit 1
stty -g > "$tmp/stty-before"
"$LR" --no-midi --model "$MODEL" a.mid b.mid 2> "$tmp/stderr"
echo "EXIT=\$?"
stty -g > "$tmp/stty-after"
echo "DONE"
sleep 3600
EOF2
$TM new-session -d -s chaos -x 80 -y 24 "sh $tmp/run.sh"

pid_of() {	# the latentroll process under the pane's shell
	pgrep -P "$($TM display -p -t chaos '#{pane_pid}')" -x latentroll
}
rss() { ps -o rss= -p "$1" 2>/dev/null | tr -d ' '; }
i=0
while [ $i -lt 200 ] && ! $TM capture-pane -p -t chaos | grep -q 'ready'; do
	sleep 0.1
	i=$((i + 1))
done
pid=$(pid_of)
[ -n "$pid" ] || { echo "chaos: latentroll did not start" >&2; exit 1; }
rss0=$(rss "$pid")
echo "chaos: pid $pid, RSS after start-up $rss0 KiB"

# The key plan: one line per tmux send-keys call, made by awk from SEED.
awk -v n="$KEYS" -v s="$SEED" 'BEGIN {
	srand(s)
	k = split("Left Right Up Down H L 0 1 2 3 4 5 6 7 8 9 + = - x t T " \
	    "r i Space < > d m o w c s S F1 F2 F3 F4 F5 F6 F7 F8 F13 F14 " \
	    "M-1 M-2 p P [ ] g k K Tab e u C-r C-l ? Escape Enter a v V " \
	    "BSpace y n A B C D Home End PageUp PageDown DC Z z 0 / .", keys, " ")
	sent = 0
	while (sent < n) {
		if (rand() < 1 / 30) {
			a = int(rand() * 6)
			if (a == 0) print "A Escape Escape o a C-u a.mid Enter"
			else if (a == 1) print "A Escape Escape o b C-u bad.mid Enter"
			else if (a == 2) print "A Escape Escape o c C-u noise.mid Enter"
			else if (a == 3) print "A Escape Escape o d C-u gone.mid Enter"
			else if (a == 4) print "A Escape Escape s C-u out.mid Enter y"
			else print "A Escape Escape S C-u live.set Enter y"
			sent += 7
			continue
		}
		if (rand() < 1 / 60) {
			w = int(20 + rand() * 180); h = int(6 + rand() * 54)
			print "R " w " " h
			continue
		}
		line = "K"
		for (j = 0; j < 5 && sent < n; j++) {
			line = line " " keys[1 + int(rand() * k)]
			sent++
		}
		print line
	}
}' >"$tmp/plan"
lines=$(wc -l <"$tmp/plan")
# Spread the plan over SECS: a pause after each line.
pause=$(awk -v s="$SECS" -v l="$lines" 'BEGIN { printf "%.3f", s / l }')
start=$(date +%s)
nkeys=0
nres=0
nact=0
rss1=""
while read -r kind rest; do
	case $kind in
	K)	# shellcheck disable=SC2086
		$TM send-keys -t chaos $rest
		nkeys=$((nkeys + $(echo "$rest" | wc -w))) ;;
	A)	# shellcheck disable=SC2086
		$TM send-keys -t chaos $rest
		nkeys=$((nkeys + $(echo "$rest" | wc -w)))
		nact=$((nact + 1)) ;;
	R)	# shellcheck disable=SC2086
		$TM resize-window -t chaos -x ${rest% *} -y ${rest#* }
		nres=$((nres + 1)) ;;
	esac
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "chaos: latentroll is gone after $nkeys keys" >&2
		$TM capture-pane -p -t chaos >&2
		break
	fi
	if [ -z "$rss1" ] && [ $(( $(date +%s) - start )) -ge 60 ]; then
		rss1=$(rss "$pid")
	fi
	sleep "$pause"
done <"$tmp/plan"
rss2=$(rss "$pid")
$TM resize-window -t chaos -x 80 -y 24
$TM send-keys -t chaos Escape Escape Escape
sleep 0.5
$TM send-keys -t chaos q
sleep 0.5
$TM send-keys -t chaos y
i=0
while [ $i -lt 100 ] && ! $TM capture-pane -p -t chaos | grep -q '^DONE'; do
	sleep 0.1
	i=$((i + 1))
done
screen=$($TM capture-pane -p -t chaos)
status=$(printf '%s\n' "$screen" | sed -n 's/^EXIT=//p')
echo "chaos: $nkeys keys, $nact opens/saves, $nres resizes in" \
    "$(( $(date +%s) - start )) s"
echo "chaos: RSS KiB: start $rss0, at 1 min ${rss1:-?}, end ${rss2:-?}"
echo "chaos: exit status ${status:-none}"
rc=0
if [ "$status" != 0 ]; then
	echo "chaos: FAIL: no clean exit; screen:" >&2
	printf '%s\n' "$screen" >&2
	rc=1
fi
if ! cmp -s "$tmp/stty-before" "$tmp/stty-after"; then
	echo "chaos: FAIL: terminal modes not restored" >&2
	rc=1
else
	echo "chaos: terminal modes restored"
fi
if [ -s "$tmp/stderr" ]; then
	echo "chaos: FAIL: stderr:" >&2
	head -20 "$tmp/stderr" >&2
	rc=1
fi
exit $rc
