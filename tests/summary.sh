#!/bin/sh
# summary.sh: add up the "N passed, N failed" lines of every test log into
# one closing line, and list the failures (the FAIL lines of each log).
top=${1:-.}
p=0; f=0; s=0
for log in $(find "$top/tests" -name '*.log' ! -name test-suite.log); do
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	# automake's record of the program: ":test-result: SKIP" (exit 77).
	skipped=0
	if grep -q '^:test-result: SKIP' "${log%.log}.trs" 2>/dev/null; then
		skipped=1
		s=$((s + 1))
	fi
	if [ -z "$line" ]; then
		if [ "$skipped" -eq 0 ]; then
			echo "no summary line in $log" >&2
			f=$((f + 1))
		fi
		continue
	fi
	np=${line%% passed*}
	nf=${line#*passed, }; nf=${nf%% failed*}
	p=$((p + np)); f=$((f + nf))
	if [ "$nf" -gt 0 ]; then
		# The failing checks themselves, so a CI excerpt says which.
		echo "failures in $log:" >&2
		# test.h prints "file:line: CHECK(...) failed[: why]" and
		# check_close "file:line: label: maxdiff ..."; TAP and shell
		# tests print FAIL / not ok.
		grep -E '^(FAIL|not ok)|CHECK\(.*\) failed|: maxdiff ' "$log" |
		    head -n 20 >&2
		# and what the test measured ("# ..." lines), the last few.
		grep -E '^# ' "$log" | tail -n 8 >&2
	fi
done
echo "total: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
