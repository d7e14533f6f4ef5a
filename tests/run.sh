#!/bin/sh
# run.sh: run each test program (C binaries or shell scripts), add up the
# "name: N passed, M failed" lines they print, and end with the total line CI reads.
# A test that exits non-zero without reporting a failure (a crash) counts as one failure.
total_pass=0
total_fail=0
for t in "$@"; do
	case "$t" in
	*.sh) out=$(sh "$t" 2>&1) ;;
	*) out=$("./$t" 2>&1) ;;
	esac
	status=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	pass=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	fail=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	pass=${pass:-0}
	fail=${fail:-0}
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "$t: exited with status $status without reporting a failure"
		fail=1
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
