#!/bin/sh
# run.sh SECONDS NAME...: run each harness tests/fuzz/fuzz_NAME for SECONDS
# (one at a time), its corpus in fuzz-out/corpus/NAME (seeded by seeds.sh
# on the first run, kept after), anything it finds in
# fuzz-out/artifacts/NAME/, its log in fuzz-out/NAME.log.  Prints one line
# per harness: executions, coverage (edges), corpus size, findings.
# Exit status 1 if any harness found something.  FUZZ_NICE (default 10)
# is the nice level; FUZZ_ARGS adds libFuzzer options.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
export srcdir top_builddir
secs=$1
shift
found=0
for name in "$@"; do
	c=fuzz-out/corpus/$name
	a=fuzz-out/artifacts/$name
	log=fuzz-out/$name.log
	mkdir -p "$c" "$a" || exit 1
	if [ -z "$(ls "$c")" ]; then
		$SHELL "$srcdir/tests/fuzz/seeds.sh" "$name" "$c" || exit 1
	fi
	before=$(ls "$a" | wc -l)
	nice -n "${FUZZ_NICE:-10}" "$top_builddir/tests/fuzz/fuzz_$name" \
	    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -close_fd_mask=1 \
	    -artifact_prefix="$a/" ${FUZZ_ARGS:-} "$c" >"$log" 2>&1
	rc=$?
	after=$(ls "$a" | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	printf '%-11s %6ss %10s execs %6s edges %6s inputs %s\n' "$name" \
	    "$secs" "${execs:-?}" "${cov:-?}" "$(ls "$c" | wc -l)" \
	    "$( [ "$after" -gt "$before" ] || [ $rc -ne 0 ] &&
	    echo "FOUND: see $a/ and $log" || echo "no findings")"
	if [ "$after" -gt "$before" ] || [ $rc -ne 0 ]; then
		found=1
	fi
done
exit $found
