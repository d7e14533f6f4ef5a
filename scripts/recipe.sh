#!/bin/sh
# recipe.sh NAME [FLAGS...]: print the bptrain command of a named accuracy recipe, then run
# it; its last line is bptrain's summary. Extra flags go after the recipe's (--seed 2, or
# --data DIR for Fashion-MNIST). The recipes and how they were chosen (on --val data, never
# on the test set) are in docs/accuracy.md. BPTRAIN names the binary (./bptrain).
#   98  one hidden layer of 800, >= 98.4% test accuracy in under 2 minutes on 2 cores
#   99  an MLP trained on augmented images (--augment), >= 99.0% in under 10 minutes
set -eu
bptrain=${BPTRAIN:-./bptrain}
usage() { echo "usage: scripts/recipe.sh 98|99 [bptrain flags...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
name=$1
shift
case $name in
98) flags="--hidden 800 --init he --optimizer momentum --lr 0.1 --epochs 40 --sampling shuffle --schedule cosine --dropout 0.2" ;;
99) flags="--hidden 800,800 --init he --optimizer momentum --lr 0.05 --epochs 60 --sampling shuffle --schedule cosine --dropout 0.2 --augment" ;;
-h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "recipe.sh: no recipe '$name' (98 or 99)" >&2; exit 2 ;;
esac
echo "$bptrain $flags $*"
# shellcheck disable=SC2086 # the recipe's flags are words
exec "$bptrain" $flags "$@"
