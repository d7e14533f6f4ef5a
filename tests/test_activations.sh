#!/bin/sh
# test_activations: --dump-activations (the book's activation histograms, chapter 6.2) and
# --plot-activations on small IDX files made here. Every layer's counts add up to images x
# units; sigmoid with weights of std 1 piles up in the end bins and with std 0.01 in the
# middle ones, Xavier in neither; batch normalization spreads std 1 out again (batch
# statistics, not the empty running averages); dropout leaves the first layer's own
# histogram alone; and bad combinations, sizes and files are one-line errors.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# write_pattern_mnist DIR COUNT: COUNT 16x16 images (both splits) whose pixels, never 0, vary
# from image to image and pixel to pixel; labels 0-2.
write_pattern_mnist() {
	mkdir -p "$1"
	pixels=$(awk -v n="$2" 'BEGIN { for (i = 0; i < n * 256; i++) printf "\\%03o", (i * 131 + int(i / 256) * 57 + 7) % 255 + 1 }')
	labels=$(awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "\\%03o", i % 3 }')
	for split in train t10k; do
		printf "$(be32 2051)$(be32 "$2")$(be32 16)$(be32 16)$pixels" >"$1/$split-images-idx3-ubyte"
		printf "$(be32 2049)$(be32 "$2")$labels" >"$1/$split-labels-idx1-ubyte"
	done
}
write_pattern_mnist "$tmp/data" 200
net="--data $tmp/data --hidden 100,100,100 --batch 200"

# shares CSV: per hidden layer "layer total ends middle at_most_0 above_1", where ends is the
# share of the values in the first and last 3 bins ((0, 0.1] and (0.9, 1]) and middle the
# share in (0.4, 0.6]. The first seven columns come before any quoted one.
shares() {
	awk -F, '$1 == "activations" {
		l = $3; total[l] += $7
		if ($5 == "-inf") zero[l] += $7
		else if ($6 == "inf") above[l] += $7
		else {
			if ($6 + 0 <= 0.1 + 1e-9 || $5 + 0 >= 0.9 - 1e-9) ends[l] += $7
			if ($5 + 0 >= 0.4 - 1e-9 && $6 + 0 <= 0.6 + 1e-9) middle[l] += $7
		}
	} END {
		for (l = 1; l in total; l++)
			printf "%d %d %.4f %.4f %d %d\n", l, total[l], ends[l] / total[l],
				middle[l] / total[l], zero[l], above[l]
	}' "$1"
}

# every_layer CSV AWK-CONDITION: three hidden layers, and each one's shares line (fields as
# in shares: $2 total, $3 ends, $4 middle, $5 at_most_0, $6 above_1) meets the condition.
every_layer() {
	shares "$1" | awk "{ n++ } !($2) { bad++ } END { exit !(n == 3 && !bad) }"
}

# dump NAME ARGS...: --dump-activations into $tmp/NAME.csv, checking it succeeds.
dump() {
	name=$1
	shift
	run_bptrain $net --dump-activations "$tmp/$name.csv" "$@"
	check "$name: exits 0 ($err)" [ "$status" -eq 0 ]
}

dump std1 --activation sigmoid --init-std 1
check "std1: a header of the histogram and configuration columns" \
	grep -q '^record,weights,layer,units,bin_lo,bin_hi,count,hidden,activation,.*,init_std,init,' \
	"$tmp/std1.csv"
check "std1: 32 rows per layer (at most 0, 30 bins, above 1)" \
	[ "$(grep -c '^activations,' "$tmp/std1.csv")" -eq 96 ]
check "std1: the rows name the weights and the configuration" \
	grep -q '^activations,std 1,2,100,0.5,0.533333333,[0-9]*,"100,100,100",sigmoid,' "$tmp/std1.csv"
check "std1: each layer counts 200 images x 100 units ($(shares "$tmp/std1.csv" | tr '\n' ';'))" \
	every_layer "$tmp/std1.csv" '$2 == 20000'
check "std1: sigmoid has nothing at most 0 or above 1" every_layer "$tmp/std1.csv" '$5 == 0 && $6 == 0'
check "std1: most of every layer is in the end bins" every_layer "$tmp/std1.csv" '$3 > 0.6'
check "std1: the table has a row per layer" \
	[ "$(printf '%s\n' "$out" | grep -cE '^ +[123] +100 ')" -eq 3 ]
check "std1: the summary line" sh -c 'printf "%s\n" "$1" | tail -n 1 | grep -q "^dump_activations=.* layers=3 images=200 activation=sigmoid init=std init_std=1 "' sh "$out"

dump std001 --activation sigmoid --init-std 0.01
check "std 0.01: each layer counts 20000 values" every_layer "$tmp/std001.csv" '$2 == 20000'
check "std 0.01: everything is in the middle bins ($(shares "$tmp/std001.csv" | tr '\n' ';'))" \
	every_layer "$tmp/std001.csv" '$4 > 0.99 && $3 == 0'

# All weights 0: every sigmoid output is exactly 0.5, the upper edge of bin (14/30, 15/30],
# which bins are (k/30, (k+1)/30] must count it in.
dump zero --activation sigmoid --init-std 0
check "std 0: every value 0.5 is in the bin that ends at 0.5 ($(grep -c ',0.466666667,0.5,20000,' "$tmp/zero.csv"))" \
	[ "$(grep -c '^activations,std 0,[123],100,0.466666667,0.5,20000,' "$tmp/zero.csv")" -eq 3 ]

dump xavier --activation sigmoid --init xavier
check "xavier: spread, neither in the end bins nor all in the middle ($(shares "$tmp/xavier.csv" | tr '\n' ';'))" \
	every_layer "$tmp/xavier.csv" '$3 < 0.2 && $4 < 0.9'

# Batch normalization with the batch's statistics makes the std 1 layers' inputs unit
# variance again; evaluation's running averages (still 0) would scale them by 1000.
dump bn --activation sigmoid --init-std 1 --batchnorm
check "batchnorm: std 1 spread out again ($(shares "$tmp/bn.csv" | tr '\n' ';'))" \
	every_layer "$tmp/bn.csv" '$2 == 20000 && $3 < 0.3'
dump dropout --activation sigmoid --init-std 1 --dropout 0.5
check "dropout comes after a layer's activation: the first layer is as without it" \
	[ "$(grep '^activations,std 1,1,' "$tmp/dropout.csv" | cut -d, -f1-7)" = \
	  "$(grep '^activations,std 1,1,' "$tmp/std1.csv" | cut -d, -f1-7)" ]

# ReLU: the exact zeros and the values above 1 have their own rows, in the count.
dump relu --init he
check "relu: each layer counts 20000 values, zeros and above 1 included ($(shares "$tmp/relu.csv" | tr '\n' ';'))" \
	every_layer "$tmp/relu.csv" '$2 == 20000 && $5 > 1000 && $6 > 0'
check "relu: the weights are called he" grep -q '^activations,he,1,' "$tmp/relu.csv"

# The first --batch images of --train-size; too few images is a runtime error naming --batch.
run_bptrain --data "$tmp/data" --hidden 4 --dump-activations "$tmp/x.csv"
check "the default batch of 1000 > 200 images: exit 1 ($status)" [ "$status" -eq 1 ]
check "... naming --batch ($err)" one_line_naming "$err" "--batch"
run_bptrain $net --train-size 100 --dump-activations "$tmp/x.csv"
check "--batch 200 --train-size 100: exit 1 ($status)" [ "$status" -eq 1 ]
check "... and no file ($err)" [ ! -e "$tmp/x.csv" ]
dump small --train-size 100 --batch 100 -q
check "-q: only the summary line" [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]
check "--batch 100: 100 images x 100 units per layer" every_layer "$tmp/small.csv" '$2 == 10000'
run_bptrain $net --dump-activations "$tmp/none/x.csv"
check "an unwritable file: exit 1 ($status)" [ "$status" -eq 1 ]
check "... naming it ($err)" one_line_naming "$err" "$tmp/none/x.csv"

# The figure: a row per --group value, a column per layer, a bar per bin.
cat "$tmp/std1.csv" "$tmp/std001.csv" "$tmp/xavier.csv" >"$tmp/three.csv"
run_bptrain --plot-activations "$tmp/three.csv" --group weights --plot "$tmp/three.svg"
check "--plot-activations exits 0 ($err)" [ "$status" -eq 0 ]
check "... writes well-formed XML" xmllint --noout "$tmp/three.svg"
count() { xmllint --xpath "count($1)" "$tmp/three.svg" 2>/dev/null; }
check "... 3 rows x 3 layers of histograms" [ "$(count '//*[@class="hist"]')" = 9 ]
check "... of 30 bars each" [ "$(count '//*[@class="bar"]')" = 270 ]
check "... titled by the activation" grep -q "<title>sigmoid outputs of each hidden layer, by weights" "$tmp/three.svg"
check "... rows named by the weights" [ "$(xmllint --xpath '//*[@class="row"]/text()' \
	"$tmp/three.svg" 2>/dev/null | tr -d '\n')" = "std 1std 0.01xavier" ]
run_bptrain --plot-activations "$tmp/relu.csv" --group weights --plot "$tmp/relu.svg"
check "relu: the shares at most 0 and above 1 are noted under each panel" \
	[ "$(grep -c 'class="note"[^>]*>≤0: [0-9.]*%, &gt;1: ' "$tmp/relu.svg")" -eq 3 ]
cat "$tmp/std1.csv" "$tmp/std1.csv" >"$tmp/twice.csv"
run_bptrain --plot-activations "$tmp/twice.csv" --group weights --plot "$tmp/x.svg"
check "two runs with the same group value: exit 1 naming the file ($err)" \
	[ "$status" -eq 1 ] && one_line_naming "$err" "$tmp/twice.csv"
# Runs whose bins differ in an upper edge only cannot share the figure's bars.
sed 's/^\(activations,std 0.01,2,100,0.5,\)0.533333333,/\10.55,/' "$tmp/std001.csv" >"$tmp/edge.csv"
cat "$tmp/std1.csv" "$tmp/edge.csv" >"$tmp/edges.csv"
run_bptrain --plot-activations "$tmp/edges.csv" --group weights --plot "$tmp/x.svg"
check "bins differing in an upper edge: exit 1 ($status)" [ "$status" -eq 1 ]
check "... naming the file ($err)" one_line_naming "$err" "$tmp/edges.csv"
run_bptrain --plot-activations "$tmp/three.csv" --group colour --plot "$tmp/x.svg"
check "an unknown --group column: exit 1 ($err)" [ "$status" -eq 1 ] && one_line_naming "$err" colour
run_bptrain --data "$tmp/data" --hidden 4 --iters 2 --batch 10 --log "$tmp/log.csv" -q
run_bptrain --plot-activations "$tmp/log.csv" --group init --plot "$tmp/x.svg"
check "a training log is not histograms: exit 1 ($err)" [ "$status" -eq 1 ]
check "... and no figure" [ ! -e "$tmp/x.svg" ]

expect_usage_error --dump-activations --dump-activations ""
expect_usage_error --dump-activations $net --dump-activations "$tmp/x.csv" --gradcheck
for extra in "--format csv" "--log $tmp/l.csv" "--plot $tmp/p.svg" "--plot-runs $tmp/r.csv --group init --plot $tmp/p.svg"; do
	expect_usage_error --dump-activations $net --dump-activations "$tmp/x.csv" $extra
done
expect_usage_error --plot-activations --plot-activations "$tmp/three.csv" --plot "$tmp/x.svg"
expect_usage_error --plot-activations --plot-activations "$tmp/three.csv" --group weights
expect_usage_error --plot-activations --plot-activations "$tmp/three.csv" --group weights \
	--plot "$tmp/x.svg" --plot-runs "$tmp/three.csv"
run_bptrain --help
for flag in --dump-activations --plot-activations; do
	check "--help lists $flag" sh -c 'printf "%s\n" "$1" | grep -q -- "$2"' sh "$out" "$flag"
done

report test_activations
