#!/bin/sh
# test_resume: --resume on real MNIST (the first 2000 training images; the first 1000 test
# images, to keep the evaluations short). A run of 600 iterations, and a run of 250 saved
# and resumed to 600, must print the same epoch rows and summary (timings apart) and save
# the same model (every section byte for byte, but the seconds and the path of the file
# resumed): for SGD, Adam (across --threads 1 and 2), a shuffled run with dropout, batch
# normalization, weight decay and a step schedule, --epochs as the total, and early
# stopping with augmentation, stopped after the resume or before it, whose best evaluation
# was a partial epoch's; batches larger than the evaluation's chunks. A run interrupted by
# SIGINT (cosine schedule with warmup), resumed without --iters, ends as the run that was
# never interrupted; a run resumed twice, saving over its own file, and a fine-tuning run
# (--load) resumed, as their runs in one go. Then the refusals: flags
# that contradict the file, targets already reached, a cosine schedule stretched, an
# early-stopped run, the wrong data, and --resume with the modes it excludes.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
require_mnist test_resume

# The data: the training files as they are, a test set of the first 1000 test images.
small=$tmp/data
mkdir "$small"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte; do
	ln -s "$(cd "$data" && pwd)/$f" "$small/$f"
done
{ printf "$(be32 2051)$(be32 1000)$(be32 28)$(be32 28)"
  tail -c +17 "$data/t10k-images-idx3-ubyte" | head -c 784000; } >"$small/t10k-images-idx3-ubyte"
{ printf "$(be32 2049)$(be32 1000)"; tail -c +9 "$data/t10k-labels-idx1-ubyte" | head -c 1000; } \
	>"$small/t10k-labels-idx1-ubyte"
d="--data $small --train-size 2000"

# value KEY LINE: the value of KEY=... in a summary line
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# summary FILE: the summary line (the last) without its timings.
summary() { tail -n 1 "$1" | sed 's/ train_s=[^ ]* total_s=[^ ]*//'; }
# rows FILE FROM: the table's epoch rows after iteration FROM, without time_s and
# samples_per_s.
rows() { awk -v from="$2" '/^ +[0-9]+ +[0-9]+ / && $2 > from { NF -= 2; print }' "$1"; }
# has_section FILE TAG, lacks_section FILE TAG
has_section() { section "$1" "$2" >/dev/null; }
lacks_section() { ! has_section "$@"; }
# optim_steps FILE: the optimizer's step count (OPTM's offset 28)
optim_steps() { section "$1" OPTM >"$tmp/optm" && le64 "$tmp/optm" 28; }

# equivalent NAME K ARGS...: 600 iterations in one run, and as K then a --resume of it to
# 600 (ARGS go to the first two runs, FIRST_ARGS to the run of K, RESUME_ARGS to the resumed
# one; WHOLE is how the whole run and the resumed one ask for 600, --iters 600 by default).
equivalent() {
	name=$1
	k=$2
	shift 2
	whole=${WHOLE:---iters 600}
	run_bptrain $d "$@" $whole --save "$tmp/a.bpm"
	printf '%s\n' "$out" >"$tmp/a.out"
	check "$name: the whole run exits 0 ($err)" [ "$status" -eq 0 ]
	run_bptrain $d "$@" --iters "$k" --save "$tmp/b.bpm" ${FIRST_ARGS:-}
	printf '%s\n' "$out" >"$tmp/b.out"
	check "$name: the run of $k exits 0 ($err)" [ "$status" -eq 0 ]
	run_bptrain --resume "$tmp/b.bpm" $whole --save "$tmp/c.bpm" --log "$tmp/c.csv" \
		${RESUME_ARGS:-}
	printf '%s\n' "$out" >"$tmp/c.out"
	check "$name: the resumed run exits 0 ($err)" [ "$status" -eq 0 ]
	check "$name: its header says where it resumed" \
		sh -c 'head -n 1 "$1" | grep -q "resumed from $2 at iteration $3"' sh \
		"$tmp/c.out" "$tmp/b.bpm" "$k"
	check "$name: the same epoch rows after iteration $k, numbered alike" \
		[ -n "$(rows "$tmp/c.out" "$k")" -a "$(rows "$tmp/a.out" "$k")" = "$(rows "$tmp/c.out" "$k")" ]
	check "$name: the same summary ($(summary "$tmp/c.out"))" \
		[ "$(summary "$tmp/a.out")" = "$(summary "$tmp/c.out")" ]
	check "$name: the same model saved" same_model "$tmp/a.bpm" "$tmp/c.bpm"
	# The first record after the resume comes a few steps later: its train_s is the saved
	# run's and then some, not those few steps' alone.
	first=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == "epoch" { print $c["train_s"]; exit }' "$tmp/c.csv")
	check "$name: train_s goes on from the run of $k's ($first)" awk \
		-v b="$(value train_s "$(tail -n 1 "$tmp/b.out")")" -v c="$first" \
		'BEGIN { exit !(b > 0 && c > b) }'
}

equivalent sgd 250
WHOLE="--epochs 30" equivalent "sgd, --epochs 30 as the total" 250
FIRST_ARGS="--threads 1" RESUME_ARGS="--threads 2" equivalent "adam, 1 then 2 threads" 250 \
	--optimizer adam --lr 0.005 --threads 2
check "adam: the model has no shuffled order" lacks_section "$tmp/c.bpm" shuf
check "adam: its optimizer counts 250 steps, then 600" \
	[ "$(optim_steps "$tmp/b.bpm") $(optim_steps "$tmp/c.bpm")" = "250 600" ]
equivalent "shuffle, dropout, batchnorm, weight decay, step schedule" 250 --optimizer adam \
	--lr 0.01 --sampling shuffle --dropout 0.2 --batchnorm --weight-decay 0.0001 --init he \
	--schedule step --lr-step 5 --lr-gamma 0.5
check "shuffle: the model keeps the epoch's order" has_section "$tmp/b.bpm" shuf
# Batches larger than the evaluation's chunks of 1000: the loaded net is built anew for them.
WHOLE="--iters 8" equivalent "batches of 1200" 3 --batch 1200 --sampling shuffle
stop="--val 1000 --early-stop 3 --optimizer momentum --lr 0.05 --sampling shuffle --augment"
equivalent "early stopping after the resume, augmented" 250 $stop
check "early stopping: it stopped at iteration 260, after the resume" \
	[ "$(value iters "$(tail -n 1 "$tmp/c.out")")" = 260 ]
check "early stopping: the run of 250 kept the best epoch" has_section "$tmp/b.bpm" best
check "early stopping: ... and the net it had reached" has_section "$tmp/b.bpm" last
# At 150 the run's last evaluation (epoch 8, a partial one) was its best: the resumed run
# goes on without it, from the best whole epoch before.
equivalent "early stopping, a partial epoch's evaluation the best" 150 $stop
check "early stopping at 150: the partial epoch 8 was the best the run reported" \
	[ "$(value best_epoch "$(tail -n 1 "$tmp/b.out")")" = 8 ]
check "early stopping at 150: no net besides the best (it is the one reached)" \
	lacks_section "$tmp/b.bpm" last
run_bptrain --resume "$tmp/c.bpm" --iters 900
check "an early-stopped run cannot be resumed: exit 1 ($status)" [ "$status" -eq 1 ]
check "an early-stopped run: one line naming the file ($err)" \
	one_line_naming "$err" "$tmp/c.bpm: early stopping ended its run"

# Interrupted by SIGINT, then resumed with no --iters: to the run's own 5000.
int="--schedule cosine --warmup 1 --optimizer nesterov --lr 0.05"
run_bptrain $d $int --iters 5000 --save "$tmp/whole.bpm"
printf '%s\n' "$out" >"$tmp/whole.out"
"$BPTRAIN" $d $int --iters 5000 --save "$tmp/int.bpm" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
wait_for_table "$tmp/int.out" 1200
kill -s INT $pid
guard $pid 120
wait $pid
status=$?
unguard
k=$(value iters "$(tail -n 1 "$tmp/int.out")")
check "SIGINT: exit 130 ($status)" [ "$status" -eq 130 ]
check "SIGINT: it stopped before the end (iteration $k of 5000)" [ "${k:-5000}" -lt 5000 ]
run_bptrain --resume "$tmp/int.bpm" --save "$tmp/int2.bpm"
printf '%s\n' "$out" >"$tmp/int2.out"
check "the interrupted run resumed to its own 5000 ($err)" \
	[ "$status" -eq 0 -a "$(value iters "$(tail -n 1 "$tmp/int2.out")")" = 5000 ]
check "interrupted: the same epoch rows after iteration $k" \
	[ "$(rows "$tmp/whole.out" "$k")" = "$(rows "$tmp/int2.out" "$k")" ]
check "interrupted: the same summary as the run never interrupted" \
	[ "$(summary "$tmp/whole.out")" = "$(summary "$tmp/int2.out")" ]
check "interrupted: the same model" same_model "$tmp/whole.bpm" "$tmp/int2.bpm"

# --save may write over the file it resumes; the run goes on from it again.
run_bptrain $d --iters 600 --save "$tmp/a600.bpm" -q
run_bptrain $d --iters 250 --save "$tmp/own.bpm" -q
run_bptrain --resume "$tmp/own.bpm" --iters 400 --save "$tmp/own.bpm" -q
check "--save over the --resume file ($err)" [ "$status" -eq 0 ]
run_bptrain --resume "$tmp/own.bpm" --iters 600 --save "$tmp/own.bpm" -q
check "resumed at 250 and at 400, saved over itself: the model of one run of 600" \
	same_model "$tmp/a600.bpm" "$tmp/own.bpm"

# A fine-tuning run (--load) resumed: the same model as the fine-tuning run in one go, its
# load= provenance kept.
run_bptrain $d --iters 100 --save "$tmp/m.bpm" -q
tune="--load $tmp/m.bpm --lr 0.05 --optimizer rmsprop --seed 3"
run_bptrain $d $tune --iters 600 --save "$tmp/t600.bpm" -q
printf '%s\n' "$out" >"$tmp/t600.out"
run_bptrain $d $tune --iters 250 --save "$tmp/t250.bpm" -q
run_bptrain --resume "$tmp/t250.bpm" --iters 600 --save "$tmp/t600r.bpm" -q
printf '%s\n' "$out" >"$tmp/t600r.out"
check "a fine-tuning run resumed: the same summary ($err)" \
	[ "$(summary "$tmp/t600.out")" = "$(summary "$tmp/t600r.out")" ]
check "a fine-tuning run resumed: the same model, load= kept" \
	same_model "$tmp/t600.bpm" "$tmp/t600r.bpm"

# Refusals. The file: SGD, 250 of 250 iterations done.
b=$tmp/b250.bpm
run_bptrain $d --iters 250 --save "$b" -q
for bad in "--lr 0.5" "--hidden 100" "--optimizer adam" "--seed 7" "--batchnorm" \
	"--sampling shuffle" "--train-size 1000" "--batch 50" "--schedule step" "--lr-step 2" \
	"--val 100" "--activation sigmoid" "--momentum 0.5" "--augment" "--init he"; do
	expect_usage_error "${bad%% *}" --resume "$b" --iters 600 $bad
done
run_bptrain --resume "$b" --iters 260 --lr 0.1 --hidden 50 --train-size 2000 --threads 1 \
	--format csv --quiet --data "$small"
check "flags that agree with the file, and output flags, are fine ($err)" [ "$status" -eq 0 ]
expect_usage_error --iters --resume "$b"
check "a complete run: the message says so ($err)" one_line_naming "$err" "is complete"
expect_usage_error --iters --resume "$b" --iters 250
expect_usage_error --iters --resume "$b" --iters 200
expect_usage_error --epochs --resume "$b" --epochs 12
run_bptrain $d --schedule cosine --iters 250 --save "$tmp/cos.bpm" -q
expect_usage_error --iters --resume "$tmp/cos.bpm" --iters 600
for mode in "--load $b" "--evaluate" "--predict x.pgm" "--gradcheck" \
	"--dump-activations $tmp/a.csv"; do
	expect_usage_error --resume --resume "$b" $mode
done
expect_usage_error --log --resume "$b" --iters 600 --log "$b"
# The wrong data: 2000 images of 14x56, the same bytes; a run on all 60000 training images
# resumed on 2000.
mkdir "$tmp/wide" "$tmp/few"
{ printf "$(be32 2051)$(be32 2000)$(be32 14)$(be32 56)"
  tail -c +17 "$data/train-images-idx3-ubyte" | head -c 1568000; } >"$tmp/wide/train-images-idx3-ubyte"
{ printf "$(be32 2051)$(be32 1000)$(be32 14)$(be32 56)"
  tail -c +17 "$small/t10k-images-idx3-ubyte"; } >"$tmp/wide/t10k-images-idx3-ubyte"
{ printf "$(be32 2049)$(be32 2000)"; tail -c +9 "$data/train-labels-idx1-ubyte" | head -c 2000; } \
	>"$tmp/few/train-labels-idx1-ubyte"
cp "$tmp/few/train-labels-idx1-ubyte" "$tmp/wide/"
cp "$small/t10k-labels-idx1-ubyte" "$tmp/wide/"
{ printf "$(be32 2051)$(be32 2000)$(be32 28)$(be32 28)"
  tail -c +17 "$data/train-images-idx3-ubyte" | head -c 1568000; } >"$tmp/few/train-images-idx3-ubyte"
cp "$small"/t10k-* "$tmp/few/"
run_bptrain --resume "$b" --iters 600 --data "$tmp/wide"
check "images of another shape: exit 1 ($status)" [ "$status" -eq 1 ]
check "images of another shape: one line naming the file ($err)" one_line_naming "$err" "$b"
run_bptrain --data "$small" --iters 1 --save "$tmp/all.bpm" -q
run_bptrain --resume "$tmp/all.bpm" --iters 600 --data "$tmp/few"
check "another number of training images: exit 1 ($status)" [ "$status" -eq 1 ]
check "another number of training images: one line naming the file ($err)" \
	one_line_naming "$err" "$tmp/all.bpm: cannot be resumed: its run trained on 60000 images"
run_bptrain --resume "$tmp/nowhere.bpm"
check "a missing file: exit 1 ($status)" [ "$status" -eq 1 ]
check "a missing file: one line naming it ($err)" one_line_naming "$err" "$tmp/nowhere.bpm"
cp "$b" "$tmp/flip.bpm"
printf '\377' | dd of="$tmp/flip.bpm" bs=1 seek=3000 conv=notrunc 2>/dev/null
run_bptrain --resume "$tmp/flip.bpm" --iters 600
check "a damaged file: exit 1 ($status)" [ "$status" -eq 1 ]
check "a damaged file: one line naming it ($err)" one_line_naming "$err" "$tmp/flip.bpm"
report test_resume
