#!/bin/sh
# test_chapter6: the chapter 6 techniques from the command line: --init, --optimizer and its
# constants, --weight-decay, --dropout, --batchnorm. Bad values are usage errors naming the flag; every
# choice trains, shows in the header, the summary line, CSV and JSON; the thread count changes
# nothing; and --gradcheck checks weight decay, dropout and batch normalization (the fault
# build's decay-sign, dropout-scale and batchnorm-variance fail it and change training).
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
FAULT_BIN=${FAULT_BIN:-tests/bptrain-fault}

expect_usage_error --optimizer --optimizer adamw
expect_usage_error --optimizer --optimizer ""
expect_usage_error --init --init glorot
for flag in momentum alpha beta1 beta2 eps weight-decay dropout; do
	for v in abc -1 nan 1e400 2000; do expect_usage_error "--$flag" "--$flag" "$v"; done
done
expect_usage_error --beta1 --beta1 1
expect_usage_error --beta2 --beta2 1
expect_usage_error --eps --eps 0
expect_usage_error --dropout --dropout 1
run_bptrain --help
for flag in --init --optimizer --momentum --alpha --beta1 --beta2 --eps --weight-decay --dropout \
	--batchnorm; do
	check "--help lists $flag" sh -c 'printf "%s\n" "$1" | grep -q -- "$2"' sh "$out" "$flag"
done

# value KEY: KEY's value in the key=value summary, the last line of $out.
value() { printf '%s\n' "$out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
write_tiny_mnist "$tmp/tiny" 30
for opt in sgd momentum nesterov adagrad rmsprop adam; do
	run_bptrain --data "$tmp/tiny" --iters 60 --batch 10 --hidden 8 --lr 0.05 \
		--optimizer $opt --init he --weight-decay 0.001 --dropout 0.1 --batchnorm
	check "$opt trains on the tiny set ($err)" [ "$status" -eq 0 -a "$(value status)" = ok ]
	check "$opt: summary says dropout=0.1 batchnorm=1" \
		[ "$(value dropout)" = 0.1 -a "$(value batchnorm)" = 1 ]
	check "$opt: summary says optimizer=$opt ($(value optimizer))" [ "$(value optimizer)" = $opt ]
	check "$opt: summary says init=he weight_decay=0.001" \
		[ "$(value init)" = he -a "$(value weight_decay)" = 0.001 ]
	check "$opt: the header names it" sh -c 'printf "%s\n" "$1" | grep -q "^$2: lr 0.05, .*weight decay 0.001, dropout 0.1, batchnorm"' sh "$out" $opt
	check "$opt: learns the tiny task (train_acc $(value train_acc))" \
		awk -v a="$(value train_acc)" 'BEGIN { exit !(a >= 0.9) }'
done
run_bptrain --data "$tmp/tiny" --iters 20 --batch 10 --hidden 8 --optimizer adam --init xavier \
	--format json -q
check "json carries the choices" sh -c 'printf "%s\n" "$1" | grep -q "\"init\":\"xavier\",\"optimizer\":\"adam\",\"momentum\":0.9,\"alpha\":0.99,\"beta1\":0.9,\"beta2\":0.999,\"eps\":1e-07,\"weight_decay\":0,\"dropout\":0,\"batchnorm\":0"' sh "$out"
run_bptrain --data "$tmp/tiny" --iters 20 --batch 10 --hidden 8 --optimizer rmsprop --format csv -q
header=$(printf '%s\n' "$out" | head -n 1)
check "csv has the columns ($header)" sh -c 'printf "%s\n" "$1" | grep -q ",init,optimizer,momentum,alpha,beta1,beta2,eps,weight_decay,dropout,batchnorm,"' sh "$header"

# Real MNIST: the defaults are the book's run, unchanged; every optimizer and weight decay
# give the same numbers on 1, 2 and 3 threads.
require_mnist test_chapter6
numbers() { printf '%s\n' "$out" | tail -n 1 | sed 's/ train_s=[^ ]*//; s/ total_s=[^ ]*//'; }
for args in "--optimizer adam --lr 0.001 --weight-decay 0.0001 --init he" \
	"--optimizer nesterov --lr 0.01 --hidden 100,50 --init xavier --activation sigmoid" \
	"--dropout 0.5 --hidden 200,100 --optimizer momentum --lr 0.01" \
	"--batchnorm --dropout 0.1 --optimizer adam --lr 0.001 --hidden 100,50"; do
	run_bptrain --data "$data" --iters 600 --threads 1 -q $args
	one=$(numbers)
	check "$args: trains ($one)" [ "$status" -eq 0 ]
	for threads in 2 3; do
		run_bptrain --data "$data" --iters 600 --threads $threads -q $args
		check "$args: --threads $threads prints the same numbers" [ "$(numbers)" = "$one" ]
	done
done

# Dropout is in the gradient check (with the step's masks), and evaluation does not drop: the
# same net evaluated twice gives the same accuracy, so train_acc is not noisy.
for args in "--dropout 0.5" "--dropout 0.2 --hidden 100,64 --activation sigmoid" \
	"--dropout 0.5 --hidden 1000" "--dropout 0.3 --batch 50 --hidden 500 --weight-decay 0.01"; do
	run_bptrain --gradcheck --data "$data" $args
	check "gradcheck $args passes ($(value max_score))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
	BPTRAIN_FAULT=dropout-scale BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data" $args
	check "dropout-scale fails gradcheck $args" [ "$status" -eq 1 -a "$(value gradcheck)" = fail ]
done
run_bptrain --data "$data" --iters 600 --dropout 0.5 -q
trained=$(numbers)
BPTRAIN_FAULT=dropout-scale BPTRAIN="$FAULT_BIN" run_bptrain --data "$data" --iters 600 \
	--dropout 0.5 -q
check "dropout-scale changes 600 iterations of training" [ -n "$trained" -a "$(numbers)" != "$trained" ]
run_bptrain --data "$data" --iters 600 --dropout 0.5 -q
check "--dropout 0.5 repeats exactly" [ "$(numbers)" = "$trained" ]

# Batch normalization (relu and sigmoid) is in the gradient check, which runs the reference
# path for it; a wrong backward fails it and trains differently; evaluation uses the running
# averages, so it is deterministic.
for args in "--batchnorm" "--batchnorm --activation sigmoid" "--batchnorm --hidden 1000" \
	"--batchnorm --dropout 0.2 --weight-decay 0.01 --init he"; do
	run_bptrain --gradcheck --data "$data" $args
	check "gradcheck $args passes ($(value max_score))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
	check "gradcheck $args names gamma1 and beta1" sh -c 'printf "%s\n" "$1" | grep -q "^gamma1 " && printf "%s\n" "$1" | grep -q "^beta1 "' sh "$out"
	check "gradcheck $args checks the fast path (what trains)" sh -c 'printf "%s\n" "$1" | grep -q "the fast path"' sh "$out"
	BPTRAIN_FAULT=batchnorm-variance BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data" $args
	check "batchnorm-variance fails gradcheck $args" [ "$status" -eq 1 -a "$(value gradcheck)" = fail ]
done
# The training code's other faults reach the reference path too.
for fault in relu-mask softmax-mean bias-sum weight-element; do
	BPTRAIN_FAULT=$fault BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data" --batchnorm
	check "$fault fails gradcheck --batchnorm" [ "$status" -eq 1 -a "$(value gradcheck)" = fail ]
done
run_bptrain --data "$data" --iters 600 --batchnorm -q
trained=$(numbers)
BPTRAIN_FAULT=batchnorm-variance BPTRAIN="$FAULT_BIN" run_bptrain --data "$data" --iters 600 \
	--batchnorm -q
check "batchnorm-variance changes 600 iterations of training" [ -n "$trained" -a "$(numbers)" != "$trained" ]

# Weight decay is in the gradient check, and a wrong sign in it fails and trains differently.
for args in "--weight-decay 0.1" "--weight-decay 0.01 --hidden 1000" \
	"--weight-decay 1 --init xavier --activation sigmoid"; do
	run_bptrain --gradcheck --data "$data" $args
	check "gradcheck $args passes ($(value max_score))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
	BPTRAIN_FAULT=decay-sign BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data" $args
	check "decay-sign fails gradcheck $args" [ "$status" -eq 1 -a "$(value gradcheck)" = fail ]
done
run_bptrain --data "$data" --iters 600 --weight-decay 0.01 -q
trained=$(numbers)
BPTRAIN_FAULT=decay-sign BPTRAIN="$FAULT_BIN" run_bptrain --data "$data" --iters 600 \
	--weight-decay 0.01 -q
check "decay-sign changes 600 iterations of training" [ -n "$trained" -a "$(numbers)" != "$trained" ]
report test_chapter6
