#!/bin/sh
# fashion_mnist.sh [DIR]: put Fashion-MNIST (the same IDX format and sizes as MNIST: 60000 +
# 10000 images of 28x28, 10 classes of clothing) into DIR (default fashion/) for
# `bptrain --data DIR`, from Debian's dataset-fashion-mnist package, which ships the four
# files gzipped (install it with `apt-get install dataset-fashion-mnist`).
set -eu
dir=${1:-fashion}
src=/usr/share/datasets/fashion-mnist
if [ ! -f "$src/train-images-idx3-ubyte.gz" ]; then
	echo "fashion_mnist.sh: $src not found: apt-get install dataset-fashion-mnist" >&2
	exit 1
fi
mkdir -p "$dir"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
	t10k-labels-idx1-ubyte; do
	gzip -dc "$src/$f.gz" >"$dir/$f.tmp"
	mv "$dir/$f.tmp" "$dir/$f"
done
# The sizes the headers promise (bptrain checks every field again when it loads them).
for f in train-images-idx3-ubyte:47040016 train-labels-idx1-ubyte:60008 \
	t10k-images-idx3-ubyte:7840016 t10k-labels-idx1-ubyte:10008; do
	size=$(wc -c <"$dir/${f%%:*}")
	if [ "$size" -ne "${f##*:}" ]; then
		echo "fashion_mnist.sh: $dir/${f%%:*} is $size bytes, not ${f##*:}" >&2
		exit 1
	fi
done
echo "fashion_mnist.sh: Fashion-MNIST is in $dir/ (bptrain --data $dir)"
