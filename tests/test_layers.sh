#!/bin/sh
# test_layers.sh: the layer boundaries hold in the source, not only in the
# link: model/ knows no MIDI, files beyond the checkpoint loader, or curses;
# ui/ never calls BLAS, PortMidi or libsmf; no exit() or printing in model/
# or ui/.
srcdir=${srcdir:-.}
pass=0
fail=0
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
check "model internals in ui/" ui '"model/'
check "exit() in ui/" ui '\bexit\(|\babort\('
check "printing in ui/" ui '\bprintf\(|fprintf\(|\bputs\(|perror\('
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
