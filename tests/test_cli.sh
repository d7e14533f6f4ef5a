#!/bin/sh
# test_cli: the command line as a user meets it: help, version, bad flags, bad data, exit codes.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_bptrain --help
check "--help exits 0" [ "$status" -eq 0 ]
for flag in --hidden --activation --lr --iters --batch --init-std --seed --threads --data \
	--gradcheck --gradcheck-all --help --version; do
	check "--help lists $flag" sh -c 'printf "%s\n" "$1" | grep -q -- "$2"' sh "$out" "$flag"
done
check "--help shows the defaults" sh -c 'printf "%s\n" "$1" | grep -q "default 0.1"' sh "$out"
run_bptrain --version
check "--version exits 0" [ "$status" -eq 0 ]
check "--version prints the version" sh -c 'printf "%s\n" "$1" | grep -Eq "^bptrain [0-9]+\.[0-9]+\.[0-9]+$"' sh "$out"

# Every numeric flag against every kind of hostile value, as a separate word and after '='.
# Zero is valid for --init-std and --seed; that it is accepted is checked below.
for flag in lr iters batch init-std seed hidden; do
	for v in abc "" -1 0 99999999999999999999 1e400 nan inf -inf 0.1x " 1" 1e; do
		case "$flag=$v" in init-std=0 | seed=0) continue ;; esac
		expect_usage_error "--$flag" "--$flag" "$v"
		expect_usage_error "--$flag" "--$flag=$v"
	done
	expect_usage_error "--$flag" --iters 5 "--$flag"
done
for v in 2.5 1e3 0x10 +-1; do
	for flag in iters batch seed hidden; do expect_usage_error "--$flag" "--$flag" "$v"; done
done
expect_usage_error --lr --lr 1e7
# Values that would underflow to 0 (or a subnormal) as a float: found by fuzzing.
for v in 4e-207 1e-50 1e-40; do
	expect_usage_error --lr --lr "$v"
	expect_usage_error --init-std --init-std "$v"
done
expect_usage_error --batch --batch 10000000
expect_usage_error --init-std --init-std 101
for v in 50,,10 50, ,50 1,2,3,4,5,6,7,8 "50 10" 10,-3 10,abc 100000; do
	expect_usage_error --hidden --hidden "$v"
done
expect_usage_error --activation --activation tanh
expect_usage_error --activation --activation ""
expect_usage_error --data --data ""
for v in 0 -1 257 1.5 abc ""; do expect_usage_error --threads --threads "$v"; done
expect_usage_error --bogus --bogus
expect_usage_error --bogus --bogus=1
expect_usage_error --gradcheck --gradcheck=1
expect_usage_error --batch --gradcheck --batch 0
expect_usage_error -x -x
expect_usage_error stray stray
expect_usage_error stray --iters 5 stray
# A bad value is an error even when a good one follows it.
expect_usage_error --lr --lr abc --lr 0.1

# Missing data: exit 1 and tell the user how to get it.
run_bptrain --data "$tmp/nowhere"
check "missing data dir exits 1" [ "$status" -eq 1 ]
check "missing data dir points to the fetch script" \
	sh -c 'printf "%s\n" "$1" | grep -q fetch_mnist' sh "$err"

# A tiny learnable data set: training runs and the last line is the key=value summary.
write_tiny_mnist "$tmp/tiny" 30
run_bptrain --data "$tmp/tiny" --iters 60 --batch 10 --hidden 8 --lr 0.5 --init-std 0.1
check "tiny run exits 0 ($err)" [ "$status" -eq 0 ]
last=$(printf '%s\n' "$out" | tail -n 1)
for key in train_acc test_acc loss iters hidden lr batch seed train_s total_s; do
	check "summary has $key=" sh -c 'printf "%s\n" "$1" | grep -Eq "(^| )$2=[^ ]+"' sh "$last" "$key"
done
check "tiny run learns the task ($last)" sh -c 'printf "%s\n" "$1" | grep -q "test_acc=1.0000"' sh "$last"
check "one line per epoch (3 iterations each): 20 rows" \
	[ "$(printf '%s\n' "$out" | grep -Ec '^ +[0-9]+ +[0-9]+ ')" -eq 20 ]
BPTRAIN_DATA="$tmp/tiny" run_bptrain --iters 3 --batch 10 --hidden 8
check "BPTRAIN_DATA names the data dir" [ "$status" -eq 0 ]
# Which data ran: the tiny set's 16 inputs, not ./mnist's 784 (which may be there too).
check "BPTRAIN_DATA: the tiny set ran, not ./mnist ($(printf '%s\n' "$out" | head -n 2 | tr '\n' ' '))" \
	sh -c 'printf "%s\n" "$1" | grep -q "net 16-8-3 " && printf "%s\n" "$1" | grep -q "^data $2: 30 train"' \
	sh "$out" "$tmp/tiny"
BPTRAIN_DATA="$tmp/tiny" run_bptrain --iters 3 --batch 10 --hidden 8 --data mnist-nowhere
check "--data overrides BPTRAIN_DATA ($err)" one_line_naming "$err" "mnist-nowhere"
run_bptrain --data "$tmp/tiny" --iters 30 --batch 10 --hidden 8,5,4 --activation sigmoid --lr 1
check "deeper sigmoid net runs" [ "$status" -eq 0 ]
check "deeper net reported as 16-8-5-4-3" sh -c 'printf "%s\n" "$1" | grep -q "16-8-5-4-3 sigmoid"' sh "$out"
# Values at the edge of their ranges are accepted.
run_bptrain --data "$tmp/tiny" --iters 2 --batch 1 --hidden 1 --init-std 0 --seed 0 --lr 1e-30
check "--init-std 0 --seed 0 --batch 1 --hidden 1 run ($err)" [ "$status" -eq 0 ]
# Repeated flags: the last one wins (the GNU norm).
run_bptrain --data "$tmp/nowhere" --data "$tmp/tiny" --iters 99 --iters 2 --lr 5 --lr 0.5 \
	--hidden 3,3 --hidden 7 --batch 10
check "repeated flags: the last one wins ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q "lr=0.5 batch=10 .*status=ok" &&
		printf "%s\n" "$1" | grep -q "iters=2 hidden=7 "' sh "$out"
# Same seed, same numbers: epoch rows without their timing columns.
numbers() { printf '%s\n' "$out" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3, $4, $5 }'; }
run_bptrain --data "$tmp/tiny" --iters 20 --batch 10 --seed 5
first=$(numbers)
run_bptrain --data "$tmp/tiny" --iters 20 --batch 10 --seed 5
check "same seed, same numbers" [ -n "$first" -a "$first" = "$(numbers)" ]
run_bptrain --data "$tmp/tiny" --iters 20 --batch 10 --seed 6
check "another seed, other numbers" [ "$first" != "$(numbers)" ]

# Divergence stops with a message naming the iteration.
run_bptrain --data "$tmp/tiny" --iters 200 --batch 10 --lr 1e6 --init-std 10
check "diverging run exits 1 (got $status)" [ "$status" -eq 1 ]
check "divergence names the iteration ($err)" sh -c 'printf "%s\n" "$1" | grep -q "at iteration [0-9]"' sh "$err"

# Damaged data: exit 1, one line naming the file.
cp -r "$tmp/tiny" "$tmp/bad"
head -c 100 "$tmp/tiny/t10k-images-idx3-ubyte" >"$tmp/bad/t10k-images-idx3-ubyte"
run_bptrain --data "$tmp/bad" --iters 3
check "truncated test images exit 1" [ "$status" -eq 1 ]
check "the error names the truncated file ($err)" \
	sh -c 'printf "%s\n" "$1" | grep -q "t10k-images-idx3-ubyte"' sh "$err"
check "the error is one line" [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]

# A write error on stdout is a failure, not a silent success.
if [ -w /dev/full ]; then
	"$BPTRAIN" --version >/dev/full 2>/dev/null
	check "writing to a full disk exits 1" [ $? -eq 1 ]
fi
# --train-size N: the first N training images are the training set: epochs of N / batch
# steps, train_acc on those N; more than the file holds is a runtime error naming the flag.
write_tiny_mnist "$tmp/sized" 30
run_bptrain --data "$tmp/sized" --train-size 10 --batch 5 --iters 4 --hidden 4
check "--train-size 10 runs ($err)" [ "$status" -eq 0 ]
check "--train-size 10 --batch 5: 2 iterations per epoch" sh -c 'printf "%s\n" "$1" | grep -q "^data .*: 10 train, 30 test" && printf "%s\n" "$1" | grep -q "4 iterations (2 per epoch)"' sh "$out"
check "--train-size 10 --batch 5 --iters 4: two epoch rows" \
	[ "$(printf '%s\n' "$out" | grep -Ec '^ +[0-9]+ +[0-9]+ ')" -eq 2 ]
run_bptrain --data "$tmp/sized" --train-size 10 --batch 5 --iters 4 --hidden 4 --format json -q
check "--train-size is in the record" sh -c 'printf "%s\n" "$1" | grep -q "\"train_size\":10"' sh "$out"
run_bptrain --data "$tmp/sized" --train-size 31 --iters 4
check "--train-size past the file exits 1 ($status)" [ "$status" -eq 1 ]
check "... naming --train-size ($err)" one_line_naming "$err" "--train-size"
# --val N holds out N of the file's images and must leave at least one to train on.
run_bptrain --data "$tmp/sized" --val 29 --batch 1 --iters 2 --hidden 4
check "--val 29 of 30 images runs ($err)" [ "$status" -eq 0 ]
check "... on 1 image, 29 held out" sh -c 'printf "%s\n" "$1" | grep -q "^data .*: 1 train, 29 validation"' sh "$out"
run_bptrain --data "$tmp/sized" --val 30 --batch 1 --iters 2 --hidden 4
check "--val of all 30 images exits 1 ($status)" [ "$status" -eq 1 ]
check "... naming --val ($err)" one_line_naming "$err" "--val"
expect_usage_error --train-size --train-size abc
expect_usage_error --train-size --train-size -1
report test_cli
