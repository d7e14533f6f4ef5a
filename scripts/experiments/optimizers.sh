#!/bin/sh
# optimizers.sh [DIR]: the book's comparison of update rules on MNIST (chapter 6.1,
# optimizer_compare_mnist.py): 4 hidden layers of 100 ReLU units with He's initial weights,
# batches of 128, 2000 iterations; SGD, Momentum and AdaGrad at lr 0.01, Adam at 0.001.
# Writes DIR/optimizers.csv and DIR/optimizers.svg (training loss every 10 iterations).
# DIR defaults to docs/experiments; BPTRAIN and BPTRAIN_DATA as in init.sh.
set -eu
bptrain=${BPTRAIN:-./bptrain}
data=${BPTRAIN_DATA:-mnist}
out=${1:-docs/experiments}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for run in sgd:0.01 momentum:0.01 adagrad:0.01 adam:0.001; do
	optimizer=${run%%:*}
	"$bptrain" --data "$data" --hidden 100,100,100,100 --init he --batch 128 --iters 2000 \
		--optimizer "$optimizer" --lr "${run#*:}" --log-every 10 \
		--log "$tmp/$optimizer.csv" -q
done
cat "$tmp/sgd.csv" "$tmp/momentum.csv" "$tmp/adagrad.csv" "$tmp/adam.csv" >"$out/optimizers.csv"
"$bptrain" --plot-runs "$out/optimizers.csv" --group optimizer --plot "$out/optimizers.svg"
