#!/bin/sh
# test_manpage.sh: the man page says what the binary does.  mandoc's lint
# finds nothing at warning level; every command of `latentroll --help`
# has its entry, and every option its usage line names appears in that
# entry (so a new option cannot ship undocumented).
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
LR=$top_builddir/latentroll
MAN=$srcdir/share/latentroll.1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -Wwarning "$MAN" 2>&1)
	[ -z "$out" ] && ok || bad "mandoc -Tlint: $out"
	# The title names no operating system ("BSD General Commands").
	mandoc "$MAN" | head -1 | grep -q "BSD" && bad "title says BSD" || ok
else
	# The coverage checks below still read the page itself.
	echo "SKIP: mandoc -Tlint: mandoc not installed (Debian: mandoc)"
fi
if [ ! -x "$LR" ]; then
	echo "SKIP: $LR not built"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
fi
"$LR" --help >"${TMPDIR:-/tmp}/lr_help.$$" 2>&1
cmds=$(sed -n 's/^ *latentroll \([a-z]*\) .*/\1/p; s/^ *latentroll \([a-z]*\)$/\1/p' \
    "${TMPDIR:-/tmp}/lr_help.$$")
rm -f "${TMPDIR:-/tmp}/lr_help.$$"
[ -n "$cmds" ] && ok || bad "no commands in latentroll --help"
for c in $cmds; do
	entry=$(grep "^\.It Cm $c\( \|$\)" "$MAN")
	if [ -z "$entry" ]; then
		bad "man page: no entry for $c"
		continue
	fi
	ok
	# Each --option of the usage line is in the entry or the text
	# below it.
	usage=$("$LR" "$c" --help 2>&1 | head -1)
	for o in $(echo "$usage" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		if grep -q -- "Fl -${o#--}\b\|Fl $o\b" "$MAN"; then ok
		else bad "man page: $c $o undocumented"; fi
	done
done
# The instrument's own options, from --help's first line.
for o in --model --out --in --follow --master --no-midi --set --data-dir; do
	grep -q -- "Fl -${o#--}" "$MAN" && ok || bad "man page: $o"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
