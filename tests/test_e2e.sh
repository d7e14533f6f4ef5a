#!/bin/sh
# test_e2e: the book's reference run on real MNIST (hidden 50, lr 0.1, batch 100, 10000
# iterations) must reach the book's accuracy. Needs the data: make data, or scripts/fetch_mnist.sh.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_e2e
run_bptrain --data "$data" --hidden 50 --lr 0.1 --iters 10000
check "default run exits 0 ($err)" [ "$status" -eq 0 ]
last=$(printf '%s\n' "$out" | tail -n 1)
echo "$last"
test_acc=$(printf '%s\n' "$last" | sed -n 's/.*test_acc=\([0-9.]*\).*/\1/p')
check "default run reaches 96.5% test accuracy (got $test_acc)" \
	awk -v a="$test_acc" 'BEGIN { exit !(a != "" && a >= 0.965) }'
check "17 evaluations: 16 epochs of 600 plus the final 400" \
	[ "$(printf '%s\n' "$out" | grep -Ec '^ +[0-9]+ +[0-9]+ ')" -eq 17 ]
# The thread count never changes a result: the same 1200 iterations on 1, 2 and 3 threads
# print the same numbers (timing columns and fields left out).
numbers() {
	printf '%s\n' "$out" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }'
	printf '%s\n' "$out" | tail -n 1 | sed 's/ train_s=[^ ]*//; s/ total_s=[^ ]*//'
}
run_bptrain --data "$data" --iters 1200 --threads 1
one=$(numbers)
for threads in 2 3; do
	run_bptrain --data "$data" --iters 1200 --threads $threads
	check "--threads $threads prints the same numbers as --threads 1" \
		[ -n "$one" -a "$one" = "$(numbers)" ]
done
report test_e2e
