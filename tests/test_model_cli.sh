#!/bin/sh
# test_model_cli: models you keep, as a user meets them. On real MNIST: --save then --load
# --evaluate gives the run's final accuracies exactly, with a confusion matrix in every
# format and the misclassified digits drawn; --predict classifies PGM copies of the first
# test digits (written here from the IDX file) and the same bytes on stdin; an interrupted
# --save leaves a loadable model; fine-tuning is deterministic. On a tiny data set: the
# model flags' usage errors (exit 2), hostile model files (cut at every header byte, a byte
# flipped anywhere, another version, not a model, not a file, absurdly large: exit 1, one
# line naming the file), hostile images, and failures to save.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_model_cli
for tool in node xmllint; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "test_model_cli: $tool is missing (see tests/test_output.sh)" >&2
		fail=$((fail + 1))
		report test_model_cli
		exit 1
	fi
done

# csv_field RECORD FIELD FILE: the FIELD column of the first row whose record is RECORD.
csv_field() {
	awk -F, -v rec="$1" -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == rec { print $col[name]; exit }' "$3"
}
# value KEY LINE: the value of KEY=... in a summary line
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# --- Real MNIST: save, evaluate, predict.
run_bptrain --data "$data" --iters 1200 --save "$tmp/m.bpm" --format csv
check "training with --save exits 0 ($err)" [ "$status" -eq 0 ]
printf '%s\n' "$out" >"$tmp/train.csv"
check "the model file exists, with no temporary file left" \
	sh -c '[ -s "$1/m.bpm" ] && ! ls "$1"/*.tmp >/dev/null 2>&1' sh "$tmp"
check "the model file starts with its magic" \
	sh -c '[ "$(head -c 8 "$1")" = BPTRAINM ]' sh "$tmp/m.bpm"
run_bptrain --data "$data" --load "$tmp/m.bpm" --evaluate --format csv
check "--evaluate --format csv exits 0 ($err)" [ "$status" -eq 0 ]
printf '%s\n' "$out" >"$tmp/eval.csv"
for acc in train_acc test_acc; do
	trained=$(csv_field final $acc "$tmp/train.csv")
	evaluated=$(csv_field evaluate $acc "$tmp/eval.csv")
	check "--evaluate reproduces the run's final $acc exactly ($trained, $evaluated)" \
		[ -n "$trained" -a "$trained" = "$evaluated" ]
done
check "csv: a header, 10 confusion rows, the evaluate row" \
	[ "$(cut -d, -f1 "$tmp/eval.csv" | tr '\n' ' ')" = \
		"record $(printf 'confusion %.0s' 1 2 3 4 5 6 7 8 9 10)evaluate " ]
check "csv: every row has the header's field count" \
	awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$tmp/eval.csv"
# The matrix: its cells add up to the test set, each row to that class's images (the
# labels counted here from the IDX file), and its diagonal to test_acc.
od -An -v -tu1 -j8 "$data/t10k-labels-idx1-ubyte" | tr -s ' ' '\n' | grep -v '^$' |
	sort -n | uniq -c | awk '{ print $2, $1 }' >"$tmp/label_counts"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $1 == "confusion" {
		sum = 0; for (j = 0; j < 10; j++) sum += $col["predicted_" j]
		print $col["class"], sum }' "$tmp/eval.csv" >"$tmp/row_sums"
check "each confusion row adds up to its class's test images" cmp -s "$tmp/row_sums" "$tmp/label_counts"
diag=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$1 == "confusion" { d += $col["predicted_" $col["class"]] } END { print d / 10000 }' "$tmp/eval.csv")
check "the diagonal is test_acc ($diag)" \
	awk -v a="$diag" -v b="$(csv_field evaluate test_acc "$tmp/eval.csv")" 'BEGIN { exit !(a == b) }'
check "recall of class 0 is its diagonal over its images" \
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $1 == "confusion" {
		r = $col["predicted_0"] / $col["images"]; d = r - $col["recall"]
		exit !(d < 1e-8 && d > -1e-8) }' "$tmp/eval.csv"

# The chapter 6 layers too: batch normalization's running averages, dropout, Adam.
run_bptrain --data "$data" --iters 200 --hidden 30 --batchnorm --dropout 0.1 --optimizer adam \
	--lr 0.01 --save "$tmp/bn.bpm" --format csv
printf '%s\n' "$out" >"$tmp/bn.csv"
run_bptrain --data "$data" --load "$tmp/bn.bpm" --evaluate --format csv
printf '%s\n' "$out" >"$tmp/bn_eval.csv"
for acc in train_acc test_acc; do
	check "batchnorm, dropout, adam: --evaluate reproduces $acc exactly" \
		[ -n "$(csv_field final $acc "$tmp/bn.csv")" -a \
		  "$(csv_field final $acc "$tmp/bn.csv")" = "$(csv_field evaluate $acc "$tmp/bn_eval.csv")" ]
done

run_bptrain --data "$data" --load "$tmp/m.bpm" --evaluate --misclassified "$tmp/wrong.svg"
check "--evaluate (text) exits 0" [ "$status" -eq 0 ]
last=$(printf '%s\n' "$out" | tail -n 1)
check "text: the summary line is last, with the same test_acc ($last)" \
	[ "$(value test_acc "$last")" = "$(printf '%.4f' "$(csv_field evaluate test_acc "$tmp/eval.csv")")" ]
check "text: model_status=ok and the run's iterations" \
	[ "$(value model_status "$last")" = ok -a "$(value iters "$last")" = 1200 ]
check "text: a header and 10 rows of the confusion matrix" \
	[ "$(printf '%s\n' "$out" | grep -Ec '^ +[0-9] +([0-9]+ +){11}0\.[0-9]{4} ')" -eq 10 ]
check "text: the matrix's columns are named" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "^class +0 +1 .* 9 +images +accuracy +precision +recall$"' sh "$out"
run_bptrain --data "$data" --load "$tmp/m.bpm" --evaluate --format json
printf '%s\n' "$out" >"$tmp/eval.json"
check "json: 10 confusion objects then the evaluate object, with csv's numbers" node -e '
	const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	const r = lines.map(l => JSON.parse(l));
	if (r.length !== 11 || r.slice(0, 10).some((x, i) => x.record !== "confusion" || x.class !== i))
		process.exit(1);
	const last = r[10];
	process.exit(last.record === "evaluate" && String(last.test_acc) === process.argv[2] &&
		last.errors + r.reduce((s, x, i) => s + (i < 10 ? x["predicted_" + i] : 0), 0) === 10000
		? 0 : 1);' "$tmp/eval.json" "$(csv_field evaluate test_acc "$tmp/eval.csv")"
run_bptrain --data "$data" --load "$tmp/m.bpm" --evaluate --quiet
check "--quiet: only the summary line" \
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a "$(value test_acc "$out")" = "$(value test_acc "$last")" ]

# The misclassified digits: valid XML, 100 of them (or all, if fewer), each with its true
# and predicted label; the errors count of the summary in the title.
errors=$(value errors "$last")
check "--misclassified is valid XML" xmllint --noout "$tmp/wrong.svg"
shown=$(grep -c '<g class="digit">' "$tmp/wrong.svg")
check "--misclassified draws the first 100 of $errors errors ($shown)" \
	[ "$shown" -eq $((errors < 100 ? errors : 100)) ]
check "--misclassified names the error count" grep -q "of the $errors misclassified" "$tmp/wrong.svg"
# index true predicted, for every digit drawn
sed -n 's/.*<title>test image \([0-9]*\): true \([0-9]\), predicted \([0-9]\).*/\1 \2 \3/p' \
	"$tmp/wrong.svg" >"$tmp/wrong.txt"
od -An -v -tu1 -j8 "$data/t10k-labels-idx1-ubyte" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/all_labels.txt"
check "each digit drawn is wrong, its true class its label, in test set order" awk '
	NR == FNR { label[NR - 1] = $1; next }
	{ if ($2 == $3 || label[$1] != $2 || $1 <= last) exit 1; last = $1 }
	END { exit FNR == 0 }' "$tmp/all_labels.txt" "$tmp/wrong.txt"

# PGM copies of the first 30 test digits, written from the IDX file with head and tail.
n=30
i=0
: >"$tmp/stdin.raw"
while [ $i -lt $n ]; do
	tail -c +$((17 + i * 784)) "$data/t10k-images-idx3-ubyte" | head -c 784 >"$tmp/digit.raw"
	{ printf 'P5\n# test digit %d\n28 28\n255\n' $i; cat "$tmp/digit.raw"; } >"$tmp/d$i.pgm"
	cat "$tmp/digit.raw" >>"$tmp/stdin.raw"
	i=$((i + 1))
done
od -An -v -tu1 -j8 -N$n "$data/t10k-labels-idx1-ubyte" | tr -s ' ' '\n' | grep -v '^$' >"$tmp/labels.txt"
# What --evaluate says the net predicts for each of them: the label, unless drawn as wrong.
awk -v n=$n 'NR == FNR { wrong[$1] = $3; next } { i = FNR - 1; if (i < n) print (i in wrong) ? wrong[i] : $1 }' \
	"$tmp/wrong.txt" "$tmp/labels.txt" >"$tmp/expected.txt"
files=$(i=0; while [ $i -lt $n ]; do printf '%s ' "$tmp/d$i.pgm"; i=$((i + 1)); done)
run_bptrain --load "$tmp/m.bpm" --predict $files
check "--predict exits 0 ($err)" [ "$status" -eq 0 ]
printf '%s\n' "$out" | awk '{ print $2 }' >"$tmp/predicted.txt"
check "--predict: a line per image, named, in order" \
	[ "$(printf '%s\n' "$out" | awk '{ print $1 }' | tr '\n' ' ')" = "$files" ]
check "--predict classifies each PGM as --evaluate does" cmp -s "$tmp/predicted.txt" "$tmp/expected.txt"
right=$(paste -d ' ' "$tmp/predicted.txt" "$tmp/labels.txt" | awk '$1 == $2' | wc -l)
check "--predict gets the first test digits right ($right of $n; --evaluate knows the rest)" \
	[ "$right" -ge $((n - 3)) ]
check "--predict: probabilities in (0, 1]" \
	sh -c 'printf "%s\n" "$1" | awk "{ if (!(\$3 > 0 && \$3 <= 1)) exit 1 }"' sh "$out"
pgm_out=$out
run_bptrain --load "$tmp/m.bpm" --predict - <"$tmp/stdin.raw"
check "--predict - (raw bytes on stdin) exits 0 ($err)" [ "$status" -eq 0 ]
check "--predict -: the same classes and probabilities, named -:1 to -:$n" \
	[ "$(printf '%s\n' "$out" | awk '{ print $2, $3 }')" = "$(printf '%s\n' "$pgm_out" | awk '{ print $2, $3 }')" -a \
	  "$(printf '%s\n' "$out" | tail -n 1 | cut -d' ' -f1)" = "-:$n" ]
run_bptrain --load "$tmp/m.bpm" --predict "$tmp/d0.pgm" - --format csv <"$tmp/digit.raw"
check "--predict --format csv: a header and a row per image ($out)" \
	[ "$(printf '%s\n' "$out" | cut -d, -f1-3 | tr '\n' ' ')" = \
		"record,name,class predict,$tmp/d0.pgm,$(sed -n 1p "$tmp/expected.txt") predict,-:1,$(sed -n ${n}p "$tmp/expected.txt") " ]
printf '%s\n' "$out" >"$tmp/predict.csv"
check "--predict --format csv: the text's probability, to more digits" \
	[ "$(printf '%.6f' "$(csv_field predict probability "$tmp/predict.csv")")" = \
		"$(printf '%s\n' "$pgm_out" | awk 'NR == 1 { print $3 }')" ]
run_bptrain --load "$tmp/m.bpm" --predict "$tmp/d1.pgm" --format json
check "--predict --format json: one object per image" node -e '
	const r = JSON.parse(process.argv[1]);
	process.exit(r.record === "predict" && r.name === process.argv[2] &&
		r.class === Number(process.argv[3]) && r.probability > 0 ? 0 : 1);' \
	"$out" "$tmp/d1.pgm" "$(sed -n 2p "$tmp/expected.txt")"

# An interrupted run's model loads, and gives the interrupted run's accuracies.
"$BPTRAIN" --data "$data" --iters 100000000 --save "$tmp/int.bpm" >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for_table "$tmp/out" 1200
sleep 1
kill -s INT $pid
wait $pid
status=$?
check "SIGINT with --save exits 130 ($status)" [ "$status" -eq 130 ]
last=$(tail -n 1 "$tmp/out")
check "no temporary file is left" sh -c '! ls "$1"/*.tmp >/dev/null 2>&1' sh "$tmp"
run_bptrain --data "$data" --load "$tmp/int.bpm" --evaluate --quiet
check "the interrupted run's model loads ($err)" [ "$status" -eq 0 ]
for key in train_acc test_acc iters; do
	check "the interrupted model's $key is the interrupted run's ($(value $key "$last"))" \
		[ -n "$(value $key "$last")" -a "$(value $key "$last")" = "$(value $key "$out")" ]
done
check "the interrupted model says so" [ "$(value model_status "$out")" = interrupted ]

# Fine-tuning: the loaded net trains on, and the same command gives the same model.
for k in 1 2; do
	run_bptrain --data "$data" --load "$tmp/m.bpm" --iters 300 --lr 0.05 --save "$tmp/tuned$k.bpm"
done
check "fine-tuning exits 0 ($err)" [ "$status" -eq 0 ]
check "fine-tuning says where the net came from" \
	sh -c 'printf "%s\n" "$1" | head -n 1 | grep -q "loaded from $2"' sh "$out" "$tmp/m.bpm"
check "fine-tuning twice gives the same model (all but the seconds it took)" \
	same_model "$tmp/tuned1.bpm" "$tmp/tuned2.bpm"
check "fine-tuning changed the net" sh -c '! cmp -s "$1" "$2"' sh "$tmp/m.bpm" "$tmp/tuned1.bpm"

# --- A tiny data set for everything else.
write_tiny_mnist "$tmp/tiny" 30
# $tiny trains a new net; $tiny_run is what a run with --load may add.
tiny_run="--data $tmp/tiny --iters 20 --batch 10 --lr 0.5"
tiny="$tiny_run --hidden 4 --init-std 0.1"
run_bptrain $tiny --save "$tmp/t.bpm" --optimizer adam --batchnorm --dropout 0.2 --format csv
check "tiny: adam, batchnorm and dropout saved ($err)" [ "$status" -eq 0 ]
printf '%s\n' "$out" >"$tmp/tiny.csv"
run_bptrain --data "$tmp/tiny" --load "$tmp/t.bpm" --evaluate --format csv
printf '%s\n' "$out" >"$tmp/tiny_eval.csv"
check "tiny: the same test_acc after loading" \
	[ "$(csv_field final test_acc "$tmp/tiny.csv")" = "$(csv_field evaluate test_acc "$tmp/tiny_eval.csv")" ]
check "tiny: 3 classes, 3 confusion rows" [ "$(grep -c '^confusion,' "$tmp/tiny_eval.csv")" -eq 3 ]
run_bptrain $tiny --save "$tmp/plain.bpm"
check "tiny: a plain model saved" [ "$status" -eq 0 ]

run_bptrain --help
for flag in --save --load --evaluate --misclassified --predict; do
	check "--help lists $flag" sh -c 'printf "%s\n" "$1" | grep -q -- "^  $2 "' sh "$out" "$flag"
done
# Usage errors: exit 2, one line naming the flag, nothing on stdout.
expect_usage_error --evaluate --evaluate $tiny
expect_usage_error --predict --predict "$tmp/d0.pgm"
expect_usage_error --predict --load "$tmp/plain.bpm" --predict
expect_usage_error --predict --load "$tmp/plain.bpm" --predict "$tmp/d0.pgm" --evaluate
expect_usage_error --misclassified --load "$tmp/plain.bpm" --misclassified "$tmp/x.svg" $tiny_run
expect_usage_error --misclassified --load "$tmp/plain.bpm" --evaluate --misclassified "$tmp/x.png"
expect_usage_error --evaluate --load "$tmp/plain.bpm" --evaluate --save "$tmp/x.bpm"
expect_usage_error --evaluate --load "$tmp/plain.bpm" --evaluate --log "$tmp/x.csv"
expect_usage_error --predict --load "$tmp/plain.bpm" --predict - --plot "$tmp/x.svg"
expect_usage_error --gradcheck --gradcheck --load "$tmp/plain.bpm"
expect_usage_error --gradcheck --gradcheck --save "$tmp/x.bpm"
expect_usage_error --init --load "$tmp/plain.bpm" --init he $tiny_run
expect_usage_error --init-std --load "$tmp/plain.bpm" --init-std 0.5
expect_usage_error stray --load "$tmp/plain.bpm" stray.pgm
expect_usage_error --save --save "" $tiny
expect_usage_error --load --load "" --evaluate
# A model path that is an input, or another output; the files stay as they were.
cp "$tmp/tiny/train-images-idx3-ubyte" "$tmp/images.copy"
cp "$tmp/plain.bpm" "$tmp/plain.copy"
expect_usage_error --save --save "$tmp/tiny/train-images-idx3-ubyte" $tiny
expect_usage_error --save --save "$tmp/tiny/../tiny/t10k-labels-idx1-ubyte" $tiny
expect_usage_error --save --save "$tmp/same.csv" --log "$tmp/same.csv" $tiny
expect_usage_error --save --save "$tmp/plain.bpm" --load "$tmp/plain.bpm" $tiny_run
expect_usage_error --log --log "$tmp/plain.bpm" --load "$tmp/plain.bpm" $tiny_run
expect_usage_error --misclassified --load "$tmp/wrong.svg" --evaluate --misclassified "$tmp/wrong.svg"
check "the refusals left the data alone" cmp -s "$tmp/tiny/train-images-idx3-ubyte" "$tmp/images.copy"
check "the refusals left the model alone" cmp -s "$tmp/plain.bpm" "$tmp/plain.copy"
# Net flags that contradict the file: exit 2 naming the flag; agreeing ones are fine.
for bad in "--hidden 5" "--hidden 4,4" "--activation sigmoid" "--batchnorm" "--dropout 0.5"; do
	expect_usage_error "${bad%% *}" --load "$tmp/plain.bpm" $bad --data "$tmp/tiny" --iters 5
done
run_bptrain --load "$tmp/plain.bpm" --hidden 4 --activation relu --dropout 0 $tiny_run --iters 5
check "net flags that agree with the file are fine ($err)" [ "$status" -eq 0 ]
run_bptrain --load "$tmp/t.bpm" --batchnorm --dropout 0.2 --data "$tmp/tiny" --evaluate
check "--batchnorm and --dropout that agree with the file are fine ($err)" [ "$status" -eq 0 ]

# expect_refused WHAT FILE: --load FILE exits 1 with one line naming FILE, nothing on stdout.
expect_refused() {
	run_within 10 --load "$2" --evaluate --data "$tmp/tiny"
	check "$1: exits 1 (got $status)" [ "$status" -eq 1 ]
	check "$1: one line naming the file ($err)" one_line_naming "$err" "$2"
	check "$1: nothing on stdout" [ -z "$out" ]
}
good=$tmp/plain.bpm
size=$(wc -c <"$good" | tr -d ' ')
# Cut at every byte of the header, the NET section (116 bytes for this net) and PARM's
# head, then at a few places further on.
cut=0
while [ $cut -lt 160 ]; do
	head -c $cut "$good" >"$tmp/bad.bpm"
	expect_refused "a model cut to $cut bytes" "$tmp/bad.bpm"
	cut=$((cut + 1))
done
for cut in $((size / 2)) $((size - 20)) $((size - 9)) $((size - 1)); do
	head -c $cut "$good" >"$tmp/bad.bpm"
	expect_refused "a model cut to $cut of $size bytes" "$tmp/bad.bpm"
done
# flip FILE OFFSET: invert every bit of one byte.
flip() {
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
off=0
while [ $off -lt "$size" ]; do
	cp "$good" "$tmp/bad.bpm"
	flip "$tmp/bad.bpm" $off
	expect_refused "a model with byte $off flipped" "$tmp/bad.bpm"
	if [ $off -lt 160 ]; then off=$((off + 1)); else off=$((off + 53)); fi
done
cp "$good" "$tmp/bad.bpm"
flip "$tmp/bad.bpm" $((size - 1))
expect_refused "a model with its last byte flipped" "$tmp/bad.bpm"
# Another format version (2), and a big-endian byte order mark: named as such.
{ head -c 8 "$good"; printf '\002\000\000\000'; tail -c +13 "$good"; } >"$tmp/v2.bpm"
expect_refused "format version 2" "$tmp/v2.bpm"
check "format version 2: the message says version" sh -c 'printf "%s\n" "$1" | grep -q "version 2"' sh "$err"
{ head -c 12 "$good"; printf '\001\002\003\004'; tail -c +17 "$good"; } >"$tmp/be.bpm"
expect_refused "a big-endian byte order mark" "$tmp/be.bpm"
# Not models, and not files.
expect_refused "an IDX file" "$tmp/tiny/train-images-idx3-ubyte"
expect_refused "a PGM" "$tmp/d0.pgm"
: >"$tmp/empty.bpm"
expect_refused "an empty file" "$tmp/empty.bpm"
expect_refused "a missing file" "$tmp/nowhere.bpm"
expect_refused "a directory" "$tmp/tiny"
mkfifo "$tmp/fifo.bpm"
expect_refused "a FIFO (no writer: must not block)" "$tmp/fifo.bpm"
# Absurdly large: refused by its size, before anything is read or allocated.
if truncate -s 5G "$tmp/huge.bpm" 2>/dev/null; then
	expect_refused "a 5 GB file" "$tmp/huge.bpm"
	rm -f "$tmp/huge.bpm"
fi
# The right model for the wrong data.
run_within 30 --load "$tmp/plain.bpm" --evaluate --data "$data"
check "a 4x4 model on 28x28 data exits 1 ($status)" [ "$status" -eq 1 ]
check "a 4x4 model on 28x28 data: one line naming both ($err)" \
	sh -c 'one_line() { [ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ]; }
		one_line "$1" && printf "%s\n" "$1" | grep -q "$2.*$3"' sh "$err" "$tmp/plain.bpm" "$data"

# Hostile images: exit 1, one line naming the image, nothing on stdout.
expect_bad_image() {
	run_within 10 --load "$tmp/m.bpm" --predict "$tmp/d0.pgm" "$2"
	check "$1: exits 1 (got $status)" [ "$status" -eq 1 ]
	check "$1: one line naming it ($err)" one_line_naming "$err" "$2"
	check "$1: nothing on stdout, not even for the good image" [ -z "$out" ]
}
pixels() { tail -c +$((17 + $1 * 784)) "$data/t10k-images-idx3-ubyte" | head -c $2; }
{ printf 'P5\n28 27\n255\n'; pixels 0 756; } >"$tmp/small.pgm"
expect_bad_image "a 28x27 PGM" "$tmp/small.pgm"
{ printf 'P5\n14 56\n255\n'; pixels 0 784; } >"$tmp/wide.pgm"
expect_bad_image "a 14x56 PGM of 784 pixels" "$tmp/wide.pgm"
{ printf 'P5\n28 28\n65535\n'; pixels 0 784; pixels 1 784; } >"$tmp/deep.pgm"
expect_bad_image "a 16-bit PGM" "$tmp/deep.pgm"
{ printf 'P5\n28 28\n255\n'; pixels 0 783; } >"$tmp/short.pgm"
expect_bad_image "a PGM one pixel short" "$tmp/short.pgm"
{ printf 'P5\n28 28\n255\n'; pixels 0 785; } >"$tmp/long.pgm"
expect_bad_image "a PGM with a trailing byte" "$tmp/long.pgm"
{ printf 'P2\n28 28\n255\n'; pixels 0 784 | od -An -tu1; } >"$tmp/ascii.pgm"
expect_bad_image "an ASCII PGM" "$tmp/ascii.pgm"
printf 'P5\n28 x8\n255\n' >"$tmp/header.pgm"
expect_bad_image "a PGM with a bad header" "$tmp/header.pgm"
printf 'P5\n28 28' >"$tmp/cut.pgm"
expect_bad_image "a PGM cut in its header" "$tmp/cut.pgm"
printf 'hello, world\n' >"$tmp/text.pgm"
expect_bad_image "a text file" "$tmp/text.pgm"
expect_bad_image "a model file" "$tmp/m.bpm"
expect_bad_image "a missing image" "$tmp/nowhere.pgm"
expect_bad_image "a directory" "$tmp/tiny"
# expect_bad_stdin WHAT: the same for "-" with standard input from $tmp/in.
expect_bad_stdin() {
	timeout -k 5 10 "$BPTRAIN" --load "$tmp/m.bpm" --predict - <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
	status=$?
	check "$1: exits 1 (got $status)" [ "$status" -eq 1 ]
	check "$1: one line naming standard input ($(cat "$tmp/err"))" one_line_naming "$(cat "$tmp/err")" "-:"
	check "$1: nothing on stdout" [ ! -s "$tmp/out" ]
}
: >"$tmp/in"
expect_bad_stdin "empty standard input"
{ pixels 0 784; pixels 1 100; } >"$tmp/in"
expect_bad_stdin "one image and a part on standard input"
run_within 10 --load "$tmp/m.bpm" --predict - - <"$tmp/stdin.raw"
check "- twice: exits 1 naming it ($err)" [ "$status" -eq 1 ] && one_line_naming "$err" "-"

# Saving cannot work: a missing directory is found before training (exit 1, one line naming
# it); a write that fails at the end still leaves the report, then exits 1 naming the file
# (/dev/full: every write fails with ENOSPC); a diverged run is not saved at all.
run_bptrain $tiny --save "$tmp/nowhere/m.bpm"
check "--save into a missing directory exits 1 ($status)" [ "$status" -eq 1 ]
check "--save into a missing directory: before training" [ -z "$out" ]
check "--save into a missing directory: one line naming it ($err)" one_line_naming "$err" "$tmp/nowhere/m.bpm"
if [ -w /dev/full ]; then
	run_bptrain $tiny --save /dev/full
	check "--save /dev/full exits 1 ($status)" [ "$status" -eq 1 ]
	check "--save /dev/full: the summary is still printed" \
		sh -c 'printf "%s\n" "$1" | tail -n 1 | grep -q "status=ok$"' sh "$out"
	check "--save /dev/full: one line naming it ($err)" one_line_naming "$err" /dev/full
fi
run_bptrain $tiny --lr 1e6 --iters 50 --save "$tmp/diverged.bpm"
check "a diverged run exits 1 and saves nothing" [ "$status" -eq 1 -a ! -e "$tmp/diverged.bpm" ]
report test_model_cli
