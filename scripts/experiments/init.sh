#!/bin/sh
# init.sh [DIR]: the book's comparison of initial weights (chapter 6.2): 4 hidden layers of 100
# ReLU units, SGD with lr 0.01, batches of 128, 2000 iterations, from std 0.01, Xavier and He.
# Writes DIR/init.csv (bptrain's own records of the three runs) and DIR/init.svg (their
# training loss every 10 iterations). DIR defaults to docs/experiments. BPTRAIN names the
# binary (./bptrain), BPTRAIN_DATA the data (mnist).
set -eu
bptrain=${BPTRAIN:-./bptrain}
data=${BPTRAIN_DATA:-mnist}
out=${1:-docs/experiments}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for init in std xavier he; do
	"$bptrain" --data "$data" --hidden 100,100,100,100 --lr 0.01 --batch 128 --iters 2000 \
		--init "$init" --log-every 10 --log "$tmp/$init.csv" -q
done
cat "$tmp/std.csv" "$tmp/xavier.csv" "$tmp/he.csv" >"$out/init.csv"
"$bptrain" --plot-runs "$out/init.csv" --group init --plot "$out/init.svg"
