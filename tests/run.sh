#!/bin/sh
# run.sh: run each test program (C binaries or shell scripts), add up the
# "name: N passed, M failed" lines they print, and end with the total line CI reads. A test
# that passes shows only that line; a failing one shows all it printed.
# A test that exits non-zero without reporting a failure (a crash) counts as one failure,
# and so does one that runs past TEST_TIMEOUT seconds (default 1200; a hang, say a lost
# wake-up in the thread pool), which is then killed so the run still ends with its line.
limit=${TEST_TIMEOUT:-1200}
total_pass=0
total_fail=0
for t in "$@"; do
	case "$t" in
	*.sh) out=$(timeout -k 10 "$limit" sh "$t" 2>&1) ;;
	*) out=$(timeout -k 10 "$limit" "./$t" 2>&1) ;;
	esac
	status=$?
	[ "$status" -eq 124 ] && out="$out
$t: killed after $limit seconds"
	line=$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	pass=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	fail=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	pass=${pass:-0}
	fail=${fail:-0}
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		out="$out
$t: exited with status $status without reporting a failure"
		fail=1
	fi
	# A test that passed shows its result line only (its expected error messages are noise);
	# one that failed shows everything it printed.
	if [ "$fail" -eq 0 ] && [ -n "$line" ]; then
		printf '%s\n' "$line"
	else
		printf '%s\n' "$out"
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
