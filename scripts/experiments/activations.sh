#!/bin/sh
# activations.sh [DIR]: the book's activation histograms (chapter 6.2,
# weight_init_activation_histogram.py): 5 hidden layers of 100 units, no training, the
# first 1000 training images through the net once, and a histogram of each layer's outputs
# in 30 bins over (0, 1]. Sigmoid with weights of std 1, std 0.01 and Xavier's (the book's
# figures 6-10, 6-11 and 6-13) into DIR/activations.csv and DIR/activations.svg; ReLU with
# std 0.01, Xavier's and He's (figure 6-14) into DIR/activations-relu.csv and .svg.
# DIR defaults to docs/experiments; BPTRAIN and BPTRAIN_DATA as in init.sh.
set -eu
bptrain=${BPTRAIN:-./bptrain}
data=${BPTRAIN_DATA:-mnist}
out=${1:-docs/experiments}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# figure NAME ACTIVATION WEIGHTS...: one dump per weights ("std:X" or an --init name),
# concatenated into DIR/NAME.csv, and their grid, a row per weights, into DIR/NAME.svg.
figure() {
	name=$1
	activation=$2
	shift 2
	for weights in "$@"; do
		case "$weights" in
		std:*) init="--init std --init-std ${weights#std:}" ;;
		*) init="--init $weights" ;;
		esac
		"$bptrain" --data "$data" --hidden 100,100,100,100,100 --activation "$activation" \
			$init --dump-activations "$tmp/$name-$weights.csv" -q
		cat "$tmp/$name-$weights.csv" >>"$tmp/$name.csv"
	done
	mv "$tmp/$name.csv" "$out/$name.csv"
	"$bptrain" --plot-activations "$out/$name.csv" --group weights --plot "$out/$name.svg"
}
figure activations sigmoid std:1 std:0.01 xavier
figure activations-relu relu std:0.01 xavier he
