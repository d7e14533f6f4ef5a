#!/bin/sh
# test_epochs: --epochs, --sampling, --val, --train-size, --schedule, --warmup, --early-stop
# on real MNIST (small slices of it): how many steps run, which images they use, what the
# records show, and the flag errors.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_epochs
d="--data $data"

# value KEY LINE: the value of KEY=... in a summary line
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# col NAME FILE: the column NAME of the epoch rows of a CSV, one per line
col() {
	awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == "epoch" { print $c[name] }' "$2"
}
# final NAME FILE: the column NAME of the final row of a CSV
final() {
	awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == "final" { print $c[name] }' "$2"
}
# near A B TOL: |A - B| <= TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; }
far() { ! near "$@"; }

# How long: --epochs N is N x ceil(train / batch) steps.
run_bptrain $d --epochs 2 --sampling shuffle -q
check "--epochs 2 --sampling shuffle exits 0 ($err)" [ "$status" -eq 0 ]
check "--epochs 2: 1200 iterations ($out)" [ "$(value iters "$out")" = 1200 ]
check "--epochs 2: max_iters shows them too" [ "$(value max_iters "$out")" = 1200 ]
check "--epochs 2: epochs=2 sampling=shuffle" \
	[ "$(value epochs "$out") $(value sampling "$out")" = "2 shuffle" ]
run_bptrain $d --train-size 1000 --epochs 5
check "--train-size 1000 --epochs 5: 50 iterations" [ "$(value iters "$out")" = 50 ]
check "--train-size 1000 --epochs 5: 5 epoch rows" \
	[ "$(printf '%s\n' "$out" | grep -cE '^ +[0-9]+ +[0-9]+ ')" -eq 5 ]
run_bptrain $d --train-size 1050 --batch 100 --epochs 2 --sampling shuffle -q
check "a short last batch: 1050 images, batch 100 are 11 steps an epoch" \
	[ "$(value iters "$out")" = 22 ]

# Every image once per epoch. With a learning rate too small to move any weight, each step's
# loss is its batch's loss at the initial weights, so the epoch's mean loss over equal
# batches is the mean over the images it used: the whole set's (one full batch) exactly when
# each image was used once. Drawing with replacement misses that.
frozen="$d --train-size 600 --lr 1e-30 --init-std 1 --format csv"
run_bptrain $frozen --batch 600 --epochs 1 --sampling shuffle
printf '%s\n' "$out" >"$tmp/full.csv"
whole=$(col loss "$tmp/full.csv")
run_bptrain $frozen --batch 100 --epochs 3 --sampling shuffle
printf '%s\n' "$out" >"$tmp/shuffle.csv"
check "shuffle: 3 epochs of 6 steps" [ "$(final iters "$tmp/shuffle.csv")" = 18 ]
for l in $(col loss "$tmp/shuffle.csv"); do
	check "shuffle: the epoch's loss $l is the whole set's $whole" near "$l" "$whole" 1e-5
done
run_bptrain $frozen --batch 100 --epochs 3 --sampling replace
printf '%s\n' "$out" >"$tmp/replace.csv"
check "replace: the epoch's loss is not the whole set's (the check can tell)" \
	far "$(col loss "$tmp/replace.csv" | head -n 1)" "$whole" 1e-3
check "shuffle is seeded: the same run gives the same records" sh -c '
	"$1" $2 --batch 100 --epochs 3 --sampling shuffle | cut -d, -f1-10 >"$3.a"
	"$1" $2 --batch 100 --epochs 3 --sampling shuffle | cut -d, -f1-10 >"$3.b"
	cmp -s "$3.a" "$3.b"' sh "$BPTRAIN" "$frozen --lr 0.1" "$tmp/seeded"

# --val N: the last N training images. Training uses only the others (the loss of one full
# batch of what is left is that of the first 600 images) ...
run_bptrain $d --val 59400 --lr 1e-30 --init-std 1 --format csv --batch 600 --epochs 1 \
	--sampling shuffle
printf '%s\n' "$out" >"$tmp/val_train.csv"
check "--val 59400 trains on the first 600 images" \
	near "$(col loss "$tmp/val_train.csv")" "$whole" 1e-5
# ... and val_acc is measured on the last N: with a test set made of those very images,
# val_acc and val_loss equal test_acc and test_loss in every record.
mkdir "$tmp/tail"
ln -s "$(cd "$data" && pwd)/train-images-idx3-ubyte" "$tmp/tail/train-images-idx3-ubyte"
ln -s "$(cd "$data" && pwd)/train-labels-idx1-ubyte" "$tmp/tail/train-labels-idx1-ubyte"
{ printf "$(be32 2051)$(be32 1000)$(be32 28)$(be32 28)"
  tail -c 784000 "$data/train-images-idx3-ubyte"; } >"$tmp/tail/t10k-images-idx3-ubyte"
{ printf "$(be32 2049)$(be32 1000)"; tail -c 1000 "$data/train-labels-idx1-ubyte"; } \
	>"$tmp/tail/t10k-labels-idx1-ubyte"
run_bptrain --data "$tmp/tail" --val 1000 --train-size 5000 --epochs 3 --format csv \
	--log "$tmp/val.json" --plot "$tmp/val.svg"
printf '%s\n' "$out" >"$tmp/val.csv"
check "--val exits 0 ($err)" [ "$status" -eq 0 ]
check "--val: val_acc equals test_acc when the test set is the last 1000 training images" \
	[ "$(col val_acc "$tmp/val.csv")" = "$(col test_acc "$tmp/val.csv")" ]
check "--val: val_loss equals test_loss likewise" \
	[ "$(col val_loss "$tmp/val.csv")" = "$(col test_loss "$tmp/val.csv")" ]
check "--val: the CSV has 3 val_acc values" [ "$(col val_acc "$tmp/val.csv" | grep -c .)" -eq 3 ]
check "--val: the final CSV row has val_acc" [ -n "$(final val_acc "$tmp/val.csv")" ]
check "--val: every JSON line of the log has val_acc" \
	[ "$(grep -c '"val_acc":0\.' "$tmp/val.json")" -eq 4 ]
check "--val: the plot has a val_acc series of 3 points" \
	[ "$(xmllint --xpath "count(//*[local-name()='g'][@id='val_acc']/*[local-name()='circle'])" "$tmp/val.svg")" = 3 ]
run_bptrain --data "$tmp/tail" --val 1000 --train-size 5000 --epochs 3
check "--val: the text table has val_acc and val_loss columns" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "^epoch +iter +loss +train_acc +val_acc +val_loss +test_acc +test_loss "' sh "$out"
last=$(printf '%s\n' "$out" | tail -n 1)
check "--val: the summary has val_acc ($last)" [ -n "$(value val_acc "$last")" ]
check "--val: the summary's val_acc is test_acc here" \
	[ "$(value val_acc "$last")" = "$(value test_acc "$last")" ]
run_bptrain $d --val 10000 --iters 1200
last=$(printf '%s\n' "$out" | tail -n 1)
check "--val 10000 on MNIST: 50000 train, 10000 validation" \
	sh -c 'printf "%s\n" "$1" | grep -q "50000 train, 10000 validation"' sh "$out"
check "--val 10000: val_acc above 0.9 ($(value val_acc "$last"))" \
	awk -v a="$(value val_acc "$last")" 'BEGIN { exit !(a > 0.9) }'
run_bptrain $d --iters 600
check "no --val: the summary's val_acc is empty" [ "$(value val_acc "$(printf '%s\n' "$out" | tail -n 1)")" = "" ]

# Schedules: the current_lr of each epoch's last step (6 steps an epoch, 4 epochs).
sched="$d --train-size 600 --epochs 4 --format csv"
run_bptrain $sched
printf '%s\n' "$out" >"$tmp/constant.csv"
check "constant: current_lr is lr" [ "$(col current_lr "$tmp/constant.csv" | sort -u)" = 0.100000001 ]
run_bptrain $sched --schedule step --lr-step 1 --lr-gamma 0.5
printf '%s\n' "$out" >"$tmp/step.csv"
check "step: 0.1 halved every epoch ($(col current_lr "$tmp/step.csv" | tr '\n' ' '))" \
	[ "$(col current_lr "$tmp/step.csv" | tr '\n' ' ')" = "0.100000001 0.0500000007 0.0250000004 0.0125000002 " ]
check "step: training follows the schedule (a different loss from constant)" \
	[ "$(final loss "$tmp/step.csv")" != "$(final loss "$tmp/constant.csv")" ]
run_bptrain $sched --schedule step --lr-step 2 --lr-gamma 0.1
printf '%s\n' "$out" >"$tmp/step2.csv"
check "step --lr-step 2: decays after epoch 2" \
	[ "$(col current_lr "$tmp/step2.csv" | tr '\n' ' ')" = "0.100000001 0.100000001 0.0100000007 0.0100000007 " ]
run_bptrain $sched --schedule cosine
printf '%s\n' "$out" >"$tmp/cosine.csv"
e=1
for l in $(col current_lr "$tmp/cosine.csv"); do
	want=$(awk -v e=$e 'BEGIN { printf "%.9g", 0.1 * 0.5 * (1 + cos(3.141592653589793 * (6 * e - 1) / 24)) }')
	check "cosine: epoch $e ends at lr $want ($l)" near "$l" "$want" 1e-8
	e=$((e + 1))
done
run_bptrain $sched --warmup 2
printf '%s\n' "$out" >"$tmp/warmup.csv"
check "warmup 2: lr/2 at the end of epoch 1, then lr" \
	[ "$(col current_lr "$tmp/warmup.csv" | tr '\n' ' ')" = "0.0500000007 0.100000001 0.100000001 0.100000001 " ]
run_bptrain $d --train-size 600 --epochs 4 --schedule cosine --warmup 1
check "cosine with warmup: the text table has a current_lr column" \
	sh -c 'printf "%s\n" "$1" | grep -Eq "^epoch +iter +loss +current_lr +train_acc"' sh "$out"
check "cosine with warmup: the training line says so" \
	sh -c 'printf "%s\n" "$1" | grep -q "on a cosine to 0 after 1 warmup epoch"' sh "$out"
# On the whole of MNIST both schedules train well in 5 epochs.
for s in "step --lr-step 2 --lr-gamma 0.5" cosine; do
	run_bptrain $d --epochs 5 --sampling shuffle --lr 0.5 --schedule $s -q
	check "--schedule $s, 5 epochs: test_acc above 0.965 ($(value test_acc "$out"))" \
		awk -v a="$(value test_acc "$out")" 'BEGIN { exit !(a > 0.965) }'
done

# Early stopping. Weights that cannot move never improve val_acc: the run stops K epochs
# after the first.
run_bptrain $d --train-size 600 --val 1000 --epochs 20 --early-stop 3 --lr 1e-30 -q
check "frozen weights: early stop after epoch 4 of 20 (24 iterations: $(value iters "$out"))" \
	[ "$(value iters "$out")" = 24 ]
check "frozen weights: best_epoch 1" [ "$(value best_epoch "$out")" = 1 ]
# Overfitting 1000 images: val_acc peaks, then the run stops 3 epochs later, and the final
# record is the best epoch's (its weights are put back and evaluated again).
run_bptrain $d --train-size 1000 --val 1000 --epochs 60 --early-stop 3 --lr 0.5 \
	--sampling shuffle --format csv
printf '%s\n' "$out" >"$tmp/early.csv"
n=$(col epoch "$tmp/early.csv" | tail -n 1)
best=$(final best_epoch "$tmp/early.csv")
check "early stop: stopped before epoch 60 (at $n)" [ "$n" -lt 60 ]
check "early stop: 3 epochs after the best ($best)" [ "$n" -eq $((best + 3)) ]
check "early stop: the best epoch has the first highest val_acc" [ "$best" = "$(awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$1 == "epoch" && $c["val_acc"] > max { max = $c["val_acc"]; e = $c["epoch"] }
	END { print e }' "$tmp/early.csv")" ]
for k in train_acc val_acc test_acc test_loss; do
	check "early stop: the final $k is the best epoch's" \
		[ "$(final $k "$tmp/early.csv")" = "$(col $k "$tmp/early.csv" | sed -n "${best}p")" ]
done
check "early stop: the last epoch's test_acc differs, so the check can tell" \
	[ "$(col test_acc "$tmp/early.csv" | tail -n 1)" != "$(final test_acc "$tmp/early.csv")" ]
run_bptrain $d --train-size 1000 --val 1000 --epochs 60 --early-stop 3 --lr 0.5 --sampling shuffle
check "early stop: the text output says which epoch is kept" \
	sh -c 'printf "%s\n" "$1" | grep -q "the best val_acc was epoch $2"' sh "$out" "$best"
check "early stop: --threads 1 and 2 stop at the same epoch with the same numbers" sh -c '
	a=$("$1" $2 --threads 1 -q | cut -d" " -f1-8); b=$("$1" $2 --threads 2 -q | cut -d" " -f1-8)
	[ "$a" = "$b" ]' sh "$BPTRAIN" "$d --train-size 1000 --val 1000 --epochs 60 --early-stop 3 --lr 0.5 --sampling shuffle"

# --augment: training sees distorted images, evaluation the originals. With weights that
# cannot move, train_acc and test_acc are those of the same net on the same images, with or
# without --augment, while the training loss (of the distorted images) differs.
frozen_aug="$d --train-size 600 --lr 1e-30 --init-std 1 --iters 12"
run_bptrain $frozen_aug -q
plain=$out
run_bptrain $frozen_aug --augment -q
check "--augment exits 0 ($err)" [ "$status" -eq 0 ]
check "--augment: evaluation is of the original images (same train_acc, test_acc)" \
	[ "$(value train_acc "$out") $(value test_acc "$out")" = "$(value train_acc "$plain") $(value test_acc "$plain")" ]
check "--augment: training is on distorted ones (another loss)" \
	[ "$(value loss "$out")" != "$(value loss "$plain")" ]
check "--augment: the summary says augment=1" [ "$(value augment "$out")" = 1 ]
check "--augment: the same bits on 1 and 2 threads" sh -c '
	a=$("$1" $2 --threads 1 -q | cut -d" " -f1-5); b=$("$1" $2 --threads 2 -q | cut -d" " -f1-5)
	[ "$a" = "$b" ]' sh "$BPTRAIN" "$d --train-size 1000 --iters 30 --augment --dropout 0.1"
run_bptrain $d --train-size 1000 --iters 10 --augment
check "--augment: the training line says so" sh -c 'printf "%s\n" "$1" | grep -q ", augmented"' sh "$out"

# Flag errors: usage (exit 2) ...
expect_usage_error --epochs $d --epochs 2 --iters 100
expect_usage_error --early-stop $d --early-stop 3
expect_usage_error --lr-step $d --lr-step 2
expect_usage_error --lr-gamma $d --schedule cosine --lr-gamma 0.5
expect_usage_error --sampling $d --sampling sometimes
expect_usage_error --schedule $d --schedule linear
expect_usage_error --lr-gamma $d --schedule step --lr-gamma 0
expect_usage_error --epochs $d --epochs -1
expect_usage_error --val $d --val x
# ... and sizes only the data can refuse (exit 1, naming the flag).
for args in "--val 60000" "--val 59000 --train-size 2000" "--epochs 1000000000 --batch 1"; do
	run_bptrain $d $args
	check "'$args' exits 1 ($status)" [ "$status" -eq 1 ]
	flag=$(printf '%s\n' "$args" | sed 's/ --batch 1//; s/^.* \(--[a-z-]*\) [0-9]*$/\1/; s/^\(--[a-z-]*\) .*/\1/')
	check "'$args' error names a flag in one line ($err)" one_line_naming "$err" "--"
done

report test_epochs
