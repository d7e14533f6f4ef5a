#!/bin/sh
# test_valgrind: valgrind memcheck on a short real training run and on the error paths.
# Each must keep its usual exit status: memcheck turns any error, or a definite or indirect
# leak, into exit 99. Run by `make test-valgrind` with BPTRAIN set to the valgrind build.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=${BPTRAIN_DATA:-mnist}

if ! command -v valgrind >/dev/null; then
	echo "test_valgrind: valgrind is not installed (apt-get install valgrind)" >&2
	fail=1
	report test_valgrind
	exit 1
fi
BPTRAIN_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"

# expect CODE WHAT ARGS...: under memcheck, bptrain ARGS exits CODE (99 means memcheck errors).
expect() {
	code=$1
	what=$2
	shift 2
	run_bptrain "$@"
	check "$what under memcheck exits $code (got $status): $(printf '%s\n' "$err" | head -n 20)" \
		[ "$status" -eq "$code" ]
}

if [ -f "$data/train-images-idx3-ubyte" ]; then
	expect 0 "200 iterations on real MNIST" --data "$data" --iters 200
	expect 1 "a diverging run on real MNIST" --data "$data" --iters 50 --lr 1e6
else
	echo "test_valgrind: no MNIST in $data/: run scripts/fetch_mnist.sh" >&2
	fail=$((fail + 1))
fi
write_tiny_mnist "$tmp/tiny" 30
expect 0 "a deeper sigmoid net on tiny data" --data "$tmp/tiny" --iters 40 --batch 7 \
	--hidden 8,5,4 --activation sigmoid
expect 0 "--help" --help
expect 2 "a bad flag" --lr 0.1x
expect 2 "a missing flag value" --lr
expect 1 "a missing data directory" --data "$tmp/nowhere"
cp -r "$tmp/tiny" "$tmp/bad"
head -c 100 "$tmp/tiny/t10k-images-idx3-ubyte" >"$tmp/bad/t10k-images-idx3-ubyte"
expect 1 "a truncated test image file" --data "$tmp/bad"
printf '\001' | dd of="$tmp/bad/t10k-labels-idx1-ubyte" bs=1 seek=7 conv=notrunc 2>/dev/null
cp "$tmp/tiny/t10k-images-idx3-ubyte" "$tmp/bad/"
expect 1 "a label file whose count lies" --data "$tmp/bad"

# Models: saved, evaluated, used to predict, fine-tuned; a damaged one and a contradiction.
expect 0 "--save with batchnorm, dropout and adam" --data "$tmp/tiny" --iters 30 --batch 10 \
	--hidden 6 --batchnorm --dropout 0.2 --optimizer adam --save "$tmp/m.bpm"
expect 0 "--evaluate --misclassified" --data "$tmp/tiny" --load "$tmp/m.bpm" --evaluate \
	--misclassified "$tmp/wrong.svg" --format json
{ printf 'P5\n4 4\n255\n'; tail -c 16 "$tmp/tiny/t10k-images-idx3-ubyte"; } >"$tmp/d.pgm"
expect 0 "--predict" --load "$tmp/m.bpm" --predict "$tmp/d.pgm" "$tmp/d.pgm"
expect 0 "fine-tuning a loaded net" --data "$tmp/tiny" --load "$tmp/m.bpm" --iters 20 --batch 10
head -c 200 "$tmp/m.bpm" >"$tmp/cut.bpm"
expect 1 "a truncated model" --load "$tmp/cut.bpm" --evaluate --data "$tmp/tiny"
expect 2 "a net flag that contradicts the model" --load "$tmp/m.bpm" --hidden 7 --evaluate \
	--data "$tmp/tiny"
expect 1 "an image of the wrong size" --load "$tmp/m.bpm" --predict "$tmp/tiny/t10k-images-idx3-ubyte"

# Interrupted: the evaluation and summary after SIGINT must be as clean as a normal end.
$BPTRAIN_WRAPPER "$BPTRAIN" --data "$tmp/tiny" --iters 1000000000 --batch 10 >"$tmp/out" \
	2>"$tmp/err" &
pid=$!
wait_for_table "$tmp/out" 600
sleep 1
kill -s INT $pid
wait $pid
status=$?
check "SIGINT under memcheck exits 130 (got $status): $(head -n 20 "$tmp/err")" \
	[ "$status" -eq 130 ]
report test_valgrind
