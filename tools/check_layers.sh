#!/bin/sh
# check_layers.sh: the allowed edges between latentroll's libraries, and
# the check that the tree keeps to them.
#
#   check_layers.sh --symbols BUILDDIR   every library calls only into
#                                        itself and the layers it may use
#   check_layers.sh --includes SRCDIR    every source includes only its own
#                                        and those layers' headers
#
# Runs after every build (tools/local.am, all-local): a call across a
# forbidden edge fails a plain `make`; tests/test_layers.sh runs both
# modes.  Prints one line per violation and exits 1 on any, and also when
# a library or folder of the table is missing or empty (a check that finds
# nothing to check must not pass).  The table is the one in Makefile.am's
# top comment and the README.  MPI (issue I) sits at the edge of training:
# src/train/dist_mpi.c alone includes <mpi.h>, and no library but
# src/train's calls MPI.
LAYERS='
common  common                 common/libcommon.a         -
model   model                  model/libmodel.a           common
ui      ui                     ui/libui.a                 common
notes   src/notes              src/notes/libnotes.a       common
music   src/music              src/music/libmusic.a       notes common
player  src/player             src/player/libplayer.a     notes common
storage src/storage            src/storage/libstorage.a   model common
data    src/data               src/data/libdata.a         music notes model common
train   src/train              src/train/libtrain.a       data storage music notes model common
app     src/app                src/app/libapp.a           ui model player storage data music notes common
cli     src/cli                -                          app train data ui model player storage music notes common
'

# What touching the file system looks like from the symbols.
FILE_CALLS='fopen fdopen open openat creat rename renameat renameat2 unlink
unlinkat mkdir rmdir opendir link symlink stat lstat fstat access realpath
mkdtemp mkstemp chmod fchmod umask fsync json_load_file json_dump_file
atomic_write atomic_write_path atomic_dir_replace atomic_sync_folder atomic_mkdir_p
atomic_dir_remove'

mode=$1
dir=${2:-.}
bad=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-layers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# allowed NAME OTHER: 0 when NAME may use OTHER (itself included).
allowed() {
	[ "$1" = "$2" ] && return 0
	echo "$LAYERS" | awk -v n="$1" -v o="$2" '
	    $1 == n { for (i = 4; i <= NF; i++) if ($i == o) f = 1 }
	    END { exit !f }'
}

case $mode in
--symbols)
	# Who defines what: "symbol layer" for every global definition.
	echo "$LAYERS" | while read -r name folder lib deps; do
		[ -n "$name" ] && [ "$lib" != "-" ] || continue
		if [ ! -s "$dir/$lib" ]; then
			echo "check_layers: $dir/$lib: missing or empty"
			echo x >"$tmp/missing"
			continue
		fi
		nm -g --defined-only "$dir/$lib" 2>/dev/null |
		    awk -v l="$name" 'NF == 3 && $2 ~ /[TDBRCGSV]/ {
			print $3, l }'
	done >"$tmp/defs"
	[ -e "$tmp/missing" ] && exit 1
	echo "$LAYERS" | while read -r name folder lib deps; do
		[ -n "$name" ] && [ "$lib" != "-" ] || continue
		nm -u "$dir/$lib" 2>/dev/null | awk 'NF == 2 { print $2 }' |
		    sort -u >"$tmp/undef"
		if [ "$name" != train ] && grep -q '^P\{0,1\}MPI_' \
		    "$tmp/undef"; then
			echo "check_layers: $lib ($name) calls MPI: only" \
			    "src/train may"
			echo x >>"$tmp/bad"
		fi
		# Each undefined symbol defined by another layer of ours.
		awk 'NR == FNR { owner[$1] = $2; next }
		    ($1 in owner) { print $1, owner[$1] }' "$tmp/defs" \
		    "$tmp/undef" | while read -r sym owner; do
			if ! allowed "$name" "$owner"; then
				echo "check_layers: $lib ($name) calls $sym" \
				    "of $owner: not an allowed edge"
				echo x >>"$tmp/bad"
			fi
		done
		# No library exits or prints (errors go back with a cause);
		# model/ works on bytes and floats and touches no file.
		forbid='exit _exit printf puts perror putchar vprintf stdout'
		[ "$name" = model ] && forbid="$forbid $FILE_CALLS"
		for sym in $forbid; do
			grep -qx "$sym" "$tmp/undef" || continue
			case " $FILE_CALLS " in
			*[[:space:]]"$sym"[[:space:]]*) why="model/ touches no file (src/storage does)";;
			*) why="a library returns an error with a cause";;
			esac
			echo "check_layers: $lib ($name) calls $sym: $why"
			echo x >>"$tmp/bad"
		done
	done
	;;
--includes)
	# Which layer owns each header name.
	echo "$LAYERS" | while read -r name folder lib deps; do
		[ -n "$name" ] || continue
		n=0
		for h in "$dir/$folder"/*.h; do
			[ -e "$h" ] || continue
			echo "$(basename "$h") $name"
			n=$((n + 1))
		done
		[ "$n" -gt 0 ] || { echo "check_layers: $dir/$folder: no" \
		    "headers" >&2; echo x >"$tmp/missing"; }
	done >"$tmp/owners"
	[ -e "$tmp/missing" ] && exit 1
	echo "$LAYERS" | while read -r name folder lib deps; do
		[ -n "$name" ] || continue
		for f in "$dir/$folder"/*.c "$dir/$folder"/*.h; do
			[ -e "$f" ] || continue
			if [ "$f" != "$dir/src/train/dist_mpi.c" ] &&
			    grep -q '^#include <mpi\.h>' "$f"; then
				echo "check_layers: $f includes <mpi.h>:" \
				    "only src/train/dist_mpi.c may"
				echo x >>"$tmp/bad"
			fi
			sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" |
			while read -r inc; do
				owner=$(awk -v h="$inc" '$1 == h { print $2 }' \
				    "$tmp/owners")
				if [ -z "$owner" ]; then
					echo "check_layers: $f includes" \
					    "\"$inc\": no layer has it"
					echo x >>"$tmp/bad"
				elif ! allowed "$name" "$owner"; then
					echo "check_layers: $f ($name)" \
					    "includes $inc of $owner: not an" \
					    "allowed edge"
					echo x >>"$tmp/bad"
				fi
			done
		done
	done
	;;
*)
	echo "usage: check_layers.sh --symbols BUILDDIR | --includes SRCDIR" >&2
	exit 2
	;;
esac
[ -e "$tmp/bad" ] && bad=1
exit $bad
