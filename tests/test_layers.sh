#!/bin/sh
# test_layers.sh: the layer boundaries (the table in Makefile.am and
# tools/check_layers.sh) hold in every direction: every library calls only
# into the layers it may use, every source includes only their headers
# (both fail when a library or folder is missing: a check that finds
# nothing must not pass); and in the source: model/ knows no MIDI, files
# beyond the checkpoint loader, or curses; ui/ never calls BLAS, PortMidi
# or libsmf; no exit() or printing in model/ or ui/.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
pass=0
fail=0
for m in "--symbols $top_builddir" "--includes $srcdir"; do
	# shellcheck disable=SC2086
	if out=$(sh "$srcdir/tools/check_layers.sh" $m 2>&1); then
		pass=$((pass + 1))
	else
		echo "FAIL: check_layers.sh $m" >&2
		echo "$out" >&2
		fail=$((fail + 1))
	fi
done
# The check is not vacuous: an empty folder, and a library that calls a
# layer above it, fail.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lr-tl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/common" "$tmp/model"
if sh "$srcdir/tools/check_layers.sh" --includes "$tmp" >/dev/null 2>&1; then
	echo "FAIL: check_layers.sh passes a tree with no sources" >&2
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
if command -v cc >/dev/null 2>&1 && command -v ar >/dev/null 2>&1; then
	for d in common model ui src/notes src/music src/player src/storage \
	    src/data src/train src/app; do
		mkdir -p "$tmp/b/$d"
		cp "$top_builddir/$d"/lib*.a "$tmp/b/$d/" 2>/dev/null
	done
	# ui/ calling the model's vae_decode: not an allowed edge.
	printf 'int vae_decode(void);\nint ui_bad(void) { return vae_decode(); }\n' \
	    >"$tmp/bad.c"
	if cc -c -o "$tmp/bad.o" "$tmp/bad.c" 2>/dev/null &&
	    ar r "$tmp/b/ui/libui.a" "$tmp/bad.o" 2>/dev/null; then
		if sh "$srcdir/tools/check_layers.sh" --symbols "$tmp/b" \
		    >"$tmp/out" 2>&1; then
			echo "FAIL: a ui/ call into model/ passed" >&2
			fail=$((fail + 1))
		elif grep -q "calls vae_decode of model" "$tmp/out"; then
			pass=$((pass + 1))
		else
			echo "FAIL: unexpected: $(cat "$tmp/out")" >&2
			fail=$((fail + 1))
		fi
	fi
fi
check() {
	# check DESCRIPTION DIR PATTERN [EXCLUDE-FILE]
	hits=$(grep -nE "$3" "$srcdir"/$2/*.c "$srcdir"/$2/*.h 2>/dev/null |
	    grep -v "^$srcdir/$2/${4:-NONE}:" | grep -vE ':[0-9]+:\s*(/\*|\*)')
	if [ -n "$hits" ]; then
		echo "FAIL: $1" >&2
		echo "$hits" >&2
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}
check "curses in model/" model 'curses|initscr|wrefresh'
check "PortMidi in model/" model 'Pm_|Pt_|portmidi'
check "libsmf in model/" model 'smf_|<smf\.h>'
check "MIDI files in model/" model '\.mid\b|\.midi\b'
check "file I/O outside the checkpoint loader in model/" model \
    '\bfopen\(|\bopen\(' ckpt.c
check "exit() in model/" model '\bexit\(|\babort\('
check "printing in model/" model '\bprintf\(|fprintf\(|\bputs\(|perror\('
check "BLAS in ui/" ui 'cblas_|<cblas\.h>'
check "PortMidi in ui/" ui 'Pm_|Pt_|portmidi'
check "libsmf in ui/" ui 'smf_|<smf\.h>'
check "model headers in ui/" ui '"(vae|ckpt|lstm|train|params|attrs)\.h"'
check "exit() in ui/" ui '\bexit\(|\babort\('
check "printing in ui/" ui '\bprintf\(|fprintf\(|\bputs\(|perror\('
# MPI at the edge of training only (issue I): one file of src/train.
for d in model ui common src/notes src/music src/player src/storage \
    src/data src/app src/cli; do
	check "MPI in $d/" $d '\bMPI_[A-Za-z_]+ *\(|<mpi\.h>'
done
check "MPI in src/train/ outside dist_mpi.c" src/train \
    '\bMPI_[A-Za-z_]+ *\(|<mpi\.h>' dist_mpi.c
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
