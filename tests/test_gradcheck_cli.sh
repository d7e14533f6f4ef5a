#!/bin/sh
# test_gradcheck_cli: `bptrain --gradcheck` proves the backward pass training uses on real MNIST
# (ReLU, sigmoid, deeper nets, huge and cancelling gradients), and a build with a deliberately
# wrong backward formula in the training code (tests/bptrain-fault, see tests/fault.c) makes
# it report FAIL and exit 1, sampled or not, and trains to a different result.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=${BPTRAIN_DATA:-mnist}
FAULT_BIN=${FAULT_BIN:-tests/bptrain-fault}

if [ ! -f "$data/train-images-idx3-ubyte" ]; then
	echo "test_gradcheck_cli: no MNIST in $data/: run scripts/fetch_mnist.sh" >&2
	fail=1
	report test_gradcheck_cli
	exit 1
fi

# value KEY: KEY's value in the key=value summary, the last line of $out.
value() { printf '%s\n' "$out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# results: "param:result" for every table row, space-separated.
results() { printf '%s\n' "$out" | awk '$NF ~ /^(PASS|FAIL|WEAK)$/ { printf "%s:%s ", $1, $NF }'; }
# means_below BOUND: every row's mean_abs_diff (column 5) is at most BOUND.
means_below() {
	printf '%s\n' "$out" | awk -v b="$1" '$NF ~ /^(PASS|FAIL|WEAK)$/ { n++; if ($5 + 0 > b + 0) bad = 1 }
		END { exit !(n > 0 && !bad) }'
}

# The book's check: defaults (784-50-10, init-std 0.01, the first 3 images), every element.
for act in relu sigmoid; do
	run_bptrain --gradcheck --data "$data" --activation "$act"
	check "$act: exits 0 ($err)" [ "$status" -eq 0 ]
	check "$act: the summary says pass ($(value gradcheck))" [ "$(value gradcheck)" = pass ]
	check "$act: W1 b1 W2 b2 pass ($(results))" [ "$(results)" = "W1:PASS b1:PASS W2:PASS b2:PASS " ]
	check "$act: every mean |diff| <= 1e-7" means_below 1e-7
	check "$act: checks all 39760 parameters ($(value checked))" [ "$(value checked)" = 39760 ]
	check "$act: 3 images by default ($(value batch))" [ "$(value batch)" = 3 ]
	check "$act: says what batch it used" sh -c 'printf "%s\n" "$1" | grep -q "the first 3 training images"' sh "$out"
	check "$act: nothing on stderr" [ -z "$err" ]
done
[ -n "$out" ] && printf '%s\n' "$out" | tail -n 6

# Deeper nets and other batch sizes keep passing; each affine layer gets its W and b row.
run_bptrain --gradcheck --data "$data" --hidden 100,64 --seed 7
check "100,64: passes ($(results))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
check "100,64: six tensors" [ "$(results)" = "W1:PASS b1:PASS W2:PASS b2:PASS W3:PASS b3:PASS " ]
run_bptrain --gradcheck --data "$data" --hidden 20,10,10 --activation sigmoid --init-std 0.3 --batch 1
check "20,10,10 sigmoid, batch 1: passes ($(results))" [ "$status" -eq 0 -a "$(value params)" = 8 ]
check "--batch sets the gradcheck batch" [ "$(value batch)" = 1 ]
# A batch too big for the budget is sampled, and says so.
run_bptrain --gradcheck --data "$data" --batch 100
check "batch 100: passes ($(results))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
check "batch 100: checks a sample ($(value checked))" [ "$(value checked)" -lt 39760 ]
check "batch 100: says it sampled" sh -c 'printf "%s\n" "$1" | grep -q -- "--gradcheck-all checks every one"' sh "$out"
run_bptrain --gradcheck --data "$data" --batch 70000
check "a batch bigger than the training set exits 1" [ "$status" -eq 1 ]
check "... naming --batch ($err)" sh -c 'printf "%s\n" "$1" | grep -q -- "--batch"' sh "$err"

# Gradients of every size pass: huge ones (init-std 100), a deep net of large weights, big
# sampled nets, and (on the tiny set below) an output bias that cancels to about 1e-8.
for args in "--init-std 100" "--init-std 3 --hidden 200,200" "--hidden 1000" \
	"--hidden 500 --batch 50" "--activation sigmoid --init-std 100"; do
	run_bptrain --gradcheck --data "$data" $args
	check "$args: passes ($(results))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
done
check "the gradient checked is the fast path's" sh -c 'printf "%s\n" "$1" | grep -q "the fast path"' sh "$out"

# --gradcheck-all on a tiny synthetic set: every element, also with a deeper net.
write_tiny_mnist "$tmp/tiny" 12
run_bptrain --gradcheck-all --data "$tmp/tiny" --hidden 5,4 --init-std 0.5 --batch 7
check "tiny --gradcheck-all passes ($(results))" [ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
check "tiny --gradcheck-all checks all 16*5+5+5*4+4+4*3+3 = 124 ($(value checked))" \
	[ "$(value checked)" = 124 ]
# One image of each of the 3 classes and tiny weights: every p is about 1/3, so b2's
# gradient (p - onehot summed over the batch) cancels to float32 rounding.
run_bptrain --gradcheck-all --data "$tmp/tiny" --batch 3 --init-std 0.0001
b2_abs=$(printf '%s\n' "$out" | awk '$1 == "b2" { print $6 }')
check "cancelling b2 (max |diff| $b2_abs) passes ($(results))" \
	[ "$status" -eq 0 -a "$(value gradcheck)" = pass ]
check "... and its gradient really cancels: max |diff| < 1e-7" \
	awk -v d="$b2_abs" 'BEGIN { exit !(d != "" && d + 0 < 1e-7) }' 

# The fault build: unset, it is the real binary (the same table); each fault must fail,
# and only in the tensors the broken formula feeds.
run_bptrain --gradcheck --data "$data"
real_rows=$(printf '%s\n' "$out" | grep -E ' (PASS|FAIL|WEAK)$')
BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data"
check "fault build without a fault passes, as the real binary" \
	[ "$status" -eq 0 -a "$real_rows" = "$(printf '%s\n' "$out" | grep -E ' (PASS|FAIL|WEAK)$')" ]
expect_fault() {
	fault=$1
	want=$2
	shift 2
	BPTRAIN_FAULT=$fault BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data" "$@"
	check "fault $fault: exits 1 (got $status)" [ "$status" -eq 1 ]
	check "fault $fault: the summary says fail" [ "$(value gradcheck)" = fail ]
	check "fault $fault: fails exactly where expected ($(results))" [ "$(results)" = "$want" ]
}
expect_fault softmax-mean "W1:FAIL b1:FAIL W2:FAIL b2:FAIL "
expect_fault relu-mask "W1:FAIL b1:FAIL W2:PASS b2:PASS "
expect_fault sigmoid-derivative "W1:FAIL b1:FAIL W2:PASS b2:PASS " --activation sigmoid
expect_fault bias-sum "W1:PASS b1:FAIL W2:PASS b2:FAIL "
expect_fault weight-element "W1:FAIL b1:PASS W2:FAIL b2:PASS "
expect_fault sparse-last-image "W1:FAIL b1:PASS W2:PASS b2:PASS "
expect_fault relu-mask "W1:FAIL b1:FAIL W2:FAIL b2:FAIL W3:PASS b3:PASS " --hidden 30,20

# Sampled checks catch every fault too: the sample always holds each tensor's largest
# gradient. And every fault changes what a short training run ends with.
numbers() { printf '%s\n' "$out" | tail -n 1 | tr ',' '\n' | grep -E '"(loss|train_acc|test_acc|iters)"'; }
for act in relu sigmoid; do
	run_bptrain --data "$data" --iters 600 --activation $act --format json -q
	eval "trained_$act=\$(numbers)"
done
for fault in softmax-mean relu-mask sigmoid-derivative bias-sum weight-element sparse-last-image; do
	act=relu
	[ "$fault" = sigmoid-derivative ] && act=sigmoid
	for args in "--hidden 1000" "--hidden 500 --batch 50"; do
		BPTRAIN_FAULT=$fault BPTRAIN="$FAULT_BIN" run_bptrain --gradcheck --data "$data" \
			--activation $act $args
		check "fault $fault, $args (sampled): fails ($(results))" \
			[ "$status" -eq 1 -a "$(value gradcheck)" = fail ]
		check "fault $fault, $args: was sampled" \
			sh -c 'printf "%s\n" "$1" | grep -q -- "--gradcheck-all checks every one"' sh "$out"
	done
	BPTRAIN_FAULT=$fault BPTRAIN="$FAULT_BIN" run_bptrain --data "$data" --iters 600 \
		--activation $act --format json -q
	eval "want=\$trained_$act"
	check "fault $fault changes 600 iterations of training ($(numbers | tr '\n' ' '))" \
		[ -n "$want" -a "$(numbers)" != "$want" ]
done
BPTRAIN="$FAULT_BIN" run_bptrain --data "$data" --iters 600 --format json -q
check "the fault build without a fault trains as the real binary" [ "$(numbers)" = "$trained_relu" ]
report test_gradcheck_cli
