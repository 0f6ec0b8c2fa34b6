#!/bin/sh
# seeds.sh NAME DIR: the seed corpus of harness NAME into DIR, made at run
# time from the project's fixtures, ../shared (SHARED_DIR) when it is
# there, and the harness's regression inputs.  The structured formats
# (model folders, sets, settings, attribute vectors, training state,
# dataset cache) come from tests/fuzz/mkseeds, which writes them with the
# project's own savers.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
SHARED_DIR=${SHARED_DIR:-$srcdir/../shared}
name=$1
out=$2
[ -n "$name" ] && [ -n "$out" ] || { echo "usage: seeds.sh NAME DIR" >&2; exit 2; }
mkdir -p "$out" || exit 1
for d in regress seeds; do
	if [ -d "$srcdir/tests/fuzz/$d/$name" ]; then
		cp "$srcdir/tests/fuzz/$d/$name"/* "$out"/ 2>/dev/null
	fi
done
case $name in
midi)
	cp "$srcdir"/share/clips/*.mid "$out"/
	# Every 20th Nottingham file (about 50), sorted so runs agree.
	if [ -d "$SHARED_DIR/data/nottingham" ]; then
		ls "$SHARED_DIR/data/nottingham"/*.mid | sort |
		    awk 'NR % 20 == 1' | while read -r f; do
			cp "$f" "$out"/
		done
	fi
	;;
abc)
	# The first three tunes of every 40th folk-abc file, one seed each
	# (a seed's tunes all go through abc2midi: keep them short).
	if [ -d "$SHARED_DIR/data/folk-abc" ]; then
		find "$SHARED_DIR/data/folk-abc" -name '*.abc' | sort |
		    awk 'NR % 40 == 1' | while read -r f; do
			b=$(basename "$f" .abc)
			awk -v o="$out/$b" '
			    /^X:/ { n++; if (n > 3) exit;
				    f = o "-" n ".abc" }
			    n > 0 { print > f }' "$f"
		done
	fi
	;;
*)
	"$top_builddir/tests/fuzz/mkseeds" "$name" "$out" || exit 1
	;;
esac
exit 0
