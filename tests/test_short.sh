#!/bin/sh
# test_short: short training runs on real MNIST, for the sanitizer build (make test-asan),
# where the full end-to-end run would take too long: the book's net, a deeper sigmoid net with
# an awkward batch size, and a batch larger than the evaluation chunk.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_short
run_bptrain --data "$data" --iters 300
last=$(printf '%s\n' "$out" | tail -n 1)
check "300 iterations of the book's net exit 0 ($err)" [ "$status" -eq 0 ]
check "300 iterations learn something ($last)" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "test_acc=0\.[5-9].* status=ok$"' sh "$last"
run_bptrain --data "$data" --hidden 30,20 --activation sigmoid --batch 37 --iters 60 --lr 0.5
check "a deeper sigmoid net with batch 37 exits 0 ($err)" [ "$status" -eq 0 ]
run_bptrain --data "$data" --batch 1500 --iters 4 --hidden 16
check "a batch larger than the evaluation chunk exits 0 ($err)" [ "$status" -eq 0 ]
report test_short
