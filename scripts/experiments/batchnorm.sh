#!/bin/sh
# batchnorm.sh [DIR]: the book's batch normalization experiment (chapter 6.3): 5 hidden layers
# of 100 ReLU units, SGD with lr 0.01, batches of 100, trained for 20 epochs on the first 1000
# training images, with and without --batchnorm, from 16 weight scales (the std of every
# layer's initial weights, logspace from 1 down to 1e-4). Writes DIR/batchnorm.csv (bptrain's
# own records of the 32 runs) and DIR/batchnorm.svg (train_acc per epoch, a panel per weight
# scale, as the book's figure 6-19). DIR defaults to docs/experiments. BPTRAIN names the
# binary (./bptrain), BPTRAIN_DATA the data (mnist).
set -eu
bptrain=${BPTRAIN:-./bptrain}
data=${BPTRAIN_DATA:-mnist}
out=${1:-docs/experiments}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=0
while [ $k -lt 16 ]; do
	std=$(awk -v k=$k 'BEGIN { printf "%.3g", 10 ^ (-4 * k / 15) }')
	for bn in "" --batchnorm; do
		# Without batch normalization the largest scales blow the loss up at once: bptrain
		# stops such a run as diverged (exit 1), and its panel shows no line for it.
		"$bptrain" --data "$data" --hidden 100,100,100,100,100 --lr 0.01 --batch 100 \
			--train-size 1000 --epochs 20 --init-std "$std" $bn --seed 1 \
			--log "$tmp/$k$bn.csv" -q || [ $? -eq 1 ]
		cat "$tmp/$k$bn.csv" >>"$tmp/all.csv"
	done
	k=$((k + 1))
done
mv "$tmp/all.csv" "$out/batchnorm.csv"
"$bptrain" --plot-runs "$out/batchnorm.csv" --group batchnorm --facet init_std \
	--metric train_acc --plot "$out/batchnorm.svg"
