#!/bin/sh
# test_mido.sh: files saved by midifile_save, read back by an independent
# reader (Debian's python3-mido, through /usr/bin/python3: the python3
# first on PATH may be another one) and compared note for note, and one
# with a tempo map, meters, keys, track names and programs compared in
# all of those too.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
PY=/usr/bin/python3
if [ ! -x "$PY" ] || ! "$PY" -c 'import mido' 2>/dev/null; then
	echo "SKIP: python3-mido is not installed (apt-get install python3-mido)"
	exit 77
fi
T=$(mktemp -d /tmp/lr_mido.XXXXXX) || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
"${TEST_MIDIFILE:-$top_builddir/tests/test_midifile}" --write "$T" || exit 99
"$PY" "$srcdir/tests/mido_check.py" "$T"
