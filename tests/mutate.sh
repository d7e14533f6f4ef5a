#!/bin/sh
# mutate.sh TEST...: mutation testing. Each tests/mutants/NAME.patch is one small, realistic
# bug; the suite is only as good as the bugs it notices. For each mutant: a fresh scratch
# copy of the built tree under build/mutate/, the patch applied, then TEST... in the order
# given, each built with `make` there (only the mutated file recompiles), until one fails
# (the mutant is killed) or all pass (it survived).
# A patch that no longer applies (stale) or a mutant that does not build (stillborn) is an
# error of the patch, never skipped. MUTANTS="a b" runs only those; MUTATE_FLOOR (default 90)
# is the lowest score, in percent, that passes; MUTATE_TIMEOUT (default 120) the seconds one
# test may take, after which it counts as failing (a mutant that hangs is caught).
floor=${MUTATE_FLOOR:-90}
limit=${MUTATE_TIMEOUT:-120}
src=$(pwd)
top=$src/build/mutate
base=$top/base
work=$top/work
# The scratch builds are plain makes of their own, not part of a parallel parent make.
unset MAKEFLAGS MFLAGS MAKELEVEL
BPTRAIN=./bptrain
export BPTRAIN

tests=$*
# The test programs among TEST... (the scripts need no building).
binaries=
for t in $tests; do
	case $t in *.sh) ;; *) binaries="$binaries $t" ;; esac
done

# run_tests DIR: run the tests in DIR, stopping at the first to fail; sets $by to its name
# (empty when all pass) and leaves its output in $top/out. Each test program is built just
# before it runs, and bptrain before the first script: most mutants die in the first unit
# tests, so most never need the rest relinked. A build that fails sets $stillborn instead.
run_tests() {
	by=
	stillborn=
	have_bptrain=
	for t in $tests; do
		case $t in *.sh) target=bptrain ;; *) target=$t ;; esac
		if [ "$target" != bptrain ] || [ -z "$have_bptrain" ]; then
			if ! make -s -C "$1" "$target" >"$top/out" 2>&1; then
				stillborn=$target
				return
			fi
			[ "$target" = bptrain ] && have_bptrain=1
		fi
		case $t in
		*.sh) (cd "$1" && timeout -k 5 "$limit" sh "$t") ;;
		*) (cd "$1" && timeout -k 5 "$limit" "./$t") ;;
		esac >"$top/out" 2>&1 </dev/null
		[ $? -eq 0 ] && grep -Eq '^[A-Za-z0-9_.-]+: [0-9]+ passed, 0 failed$' "$top/out" && continue
		by=$t
		return
	done
}

# The pristine built tree, once: the sources with their objects and binaries, and the data.
rm -rf "$top"
mkdir -p "$base"
for f in "$src"/*; do
	[ "$f" = "$src/build" ] || cp -pR "$f" "$base/" || exit 1
done
if ! make -s -C "$base" bptrain $binaries >"$top/build.log" 2>&1; then
	cat "$top/build.log"
	echo "mutate: the unmutated tree does not build"
	echo "0 passed, 1 failed"
	exit 1
fi
# Without this every mutant would be "killed" by whatever already fails.
run_tests "$base"
if [ -n "$by$stillborn" ]; then
	cat "$top/out"
	echo "mutate: $by$stillborn fails on the unmutated tree"
	echo "0 passed, 1 failed"
	exit 1
fi

if [ -n "${MUTANTS:-}" ]; then
	names=$MUTANTS
else
	names=$(for p in "$src"/tests/mutants/*.patch; do basename "$p" .patch; done)
fi
killed=0
survived=0
broken=0
for name in $names; do
	patch=$src/tests/mutants/$name.patch
	rm -rf "$work"
	cp -pR "$base" "$work"
	# -F0: no fuzz, so a patch whose context has changed is stale rather than misplaced.
	if ! (cd "$work" && patch -p1 -s -F0 -N --no-backup-if-mismatch <"$patch") \
		>"$top/out" 2>&1; then
		cat "$top/out"
		echo "STALE $name: the patch no longer applies"
		broken=$((broken + 1))
		continue
	fi
	run_tests "$work"
	if [ -n "$stillborn" ]; then
		tail -n 20 "$top/out"
		echo "STILLBORN $name: the mutant does not build ($stillborn)"
		broken=$((broken + 1))
	elif [ -n "$by" ]; then
		echo "killed $name (by $by)"
		killed=$((killed + 1))
	else
		echo "SURVIVED $name"
		survived=$((survived + 1))
	fi
done

total=$((killed + survived))
pct=0
[ "$total" -gt 0 ] && pct=$((100 * killed / total))
echo "mutation score: $killed/$total ($pct%), floor $floor%"
failed=$((survived + broken))
if [ "$pct" -lt "$floor" ]; then
	echo "mutate: the score is under the floor"
	failed=$((failed + 1))
fi
echo "$killed passed, $failed failed"
[ "$failed" -eq 0 ]
