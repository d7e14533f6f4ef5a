#!/bin/sh
# fuzz/run.sh: run each libFuzzer harness in $FUZZERS for $FUZZ_SECONDS seconds (make fuzz).
# The corpus in build/fuzz/corpus/NAME starts from the seeds the replay test writes and grows
# across runs; a crash, leak or timeout leaves its input in build/fuzz/findings/. One line per
# harness "fuzz_NAME: 1 passed, 0 failed" plus the executions, then a "fuzz:" total line.
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZERS=${FUZZERS:-idx flags model}
pass=0
fail=0
mkdir -p build/fuzz/findings
for name in $FUZZERS; do
	corpus=build/fuzz/corpus/$name
	mkdir -p "$corpus" "build/fuzz/seeds/$name"
	tests/test_fuzz_$name --write-seeds "build/fuzz/seeds/$name"
	log=build/fuzz/$name.log
	# -close_fd_mask=3: the harness's stdout/stderr (expected error lines) are dropped, while
	# libFuzzer and the sanitizers keep reporting on a duplicate of stderr.
	# -timeout=10: an input taking 10 s counts as a hang; -rss_limit_mb: an input making the
	# loader allocate absurdly counts as a finding too.
	build/fuzz/fuzz_$name -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="build/fuzz/findings/$name-" \
		"$corpus" "build/fuzz/seeds/$name" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	units=$(ls "$corpus" | wc -l)
	if [ $status -eq 0 ]; then
		pass=$((pass + 1))
		echo "fuzz_$name: $FUZZ_SECONDS s, ${execs:-?} executions, corpus $units inputs"
		echo "fuzz_$name: 1 passed, 0 failed"
	else
		fail=$((fail + 1))
		tail -n 40 "$log"
		echo "fuzz_$name: FINDING (exit $status), input in build/fuzz/findings/, log $log"
		echo "fuzz_$name: 0 passed, 1 failed"
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
