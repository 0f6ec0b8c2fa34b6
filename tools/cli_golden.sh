#!/bin/sh
# cli_golden.sh OLD_BINARY NEW_BINARY: run the CLI's commands on the
# shipped clips and models with both builds and compare every byte they
# print and write (issue M: a refactor changes no output).  Run from the
# source tree; prints one line per difference and exits 1 on any.
set -u
# Absolute: each command runs in a folder of its own.
old=$(realpath "$1") || exit 1
new=$(realpath "$2") || exit 1
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
C=$top/share/clips
M=$top/share/models

# run NAME ARGS...: both builds, each in its own folder, outputs kept.
run() {
	name=$1
	shift
	for side in old new; do
		eval bin=\$$side
		mkdir -p "$tmp/$side/$name"
		(cd "$tmp/$side/$name" && "$bin" "$@" >stdout 2>stderr;
		    echo $? >status)
	done
}

for m in mel_2bar mel_16bar; do
	case $m in mel_2bar) a=$C/a.mid b=$C/b.mid;; *) a=$C/a16.mid b=$C/b16.mid;; esac
	run "$m-encode" encode --model "$M/$m" "$a"
	run "$m-encode-fp32" encode --model "$M/$m" "$a" --precision fp32
	"$new" encode --model "$M/$m" "$a" >"$tmp/z-$m.json" 2>/dev/null
	run "$m-decode" decode --model "$M/$m" --z "$tmp/z-$m.json" \
	    --seed 7 --out dec.mid
	run "$m-decode-t0" decode --model "$M/$m" --z "$tmp/z-$m.json" \
	    --temperature 0 --out dec.mid
	run "$m-interpolate" interpolate --model "$M/$m" "$a" "$b" -n 5 \
	    --out iv
	run "$m-interpolate-lerp" interpolate --model "$M/$m" "$a" "$b" \
	    -n 3 --lerp --out iv
done
for c in a b a16 b16; do
	run "inspect-$c" inspect "$C/$c.mid"
	run "convert-$c" convert "$C/$c.mid" out.mid
	run "convert16-$c" convert --steps 256 "$C/$c.mid" out.mid
	run "play-$c" play "$C/$c.mid" --offline --loops 2 --record rec.mid
done
run "play-tempo" play "$C/a.mid" --offline --tempo 90 --loops 3 \
    --record rec.mid
run "bad-option" decode --temperature -1
run "bad-file" inspect "$tmp/none.mid"

bad=0
n=0
(cd "$tmp/old" && find . -type f | sort) >"$tmp/list-old"
(cd "$tmp/new" && find . -type f | sort) >"$tmp/list-new"
if ! cmp -s "$tmp/list-old" "$tmp/list-new"; then
	echo "cli_golden: the builds wrote different files:"
	diff "$tmp/list-old" "$tmp/list-new"
	bad=1
fi
# Messages name each side's own folder: compare with it taken out.
while read -r f; do
	n=$((n + 1))
	sed "s#$tmp/old#T#g" "$tmp/old/$f" >"$tmp/a"
	sed "s#$tmp/new#T#g" "$tmp/new/$f" >"$tmp/b" 2>/dev/null
	if ! cmp -s "$tmp/a" "$tmp/b"; then
		echo "cli_golden: ${f#./} differs"
		bad=1
	fi
done <"$tmp/list-old"
if [ $bad = 0 ]; then
	echo "cli_golden: $n outputs compared, all identical"
fi
exit $bad
