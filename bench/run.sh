#!/bin/sh
# bench/run.sh: what `make bench` runs. Writes docs/benchmarks.md.
#   1. GEMM GFLOP/s on the training and evaluation shapes and on 1024^3 (bench/bench_matmul),
#      and the bound: a whole run's arithmetic at the square GEMM's speed.
#   2. The default run and --hidden 800, wall time and peak RSS, median of several runs.
#   3. If python3 with NumPy (and PyTorch) is installed: the book's two-layer net in NumPy
#      and PyTorch (bench/*_twolayer.py, PyTorch on 1 and on 2 threads) on the same data,
#      interleaved with bptrain runs, so all see the same machine state; the same at
#      --hidden 800 (a NumPy or PyTorch run takes a minute or two there).
# Environment: BENCH_RUNS (default 5) and BENCH_RUNS_800 (default 3) runs per median;
# BENCH_RUNS_CH6 (default 3) runs of each chapter 6 technique on the default net;
# BENCH_BASELINE=BINARY also times another build (say, the previous commit's bptrain) in the
# same interleaved loop, for a side-by-side row, named by BENCH_BASELINE_NAME;
# BENCH_LOCK=FILE runs every timed command under `flock FILE` (for shared machines);
# PYTHON (default python3); DATA_DIR (default mnist).
set -eu
data=${DATA_DIR:-mnist}
runs=${BENCH_RUNS:-5}
runs_800=${BENCH_RUNS_800:-3}
runs_ch6=${BENCH_RUNS_CH6:-3}
baseline=${BENCH_BASELINE:-}
baseline_name=${BENCH_BASELINE_NAME:-$baseline}
py=${PYTHON:-python3}
out=docs/benchmarks.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
times=$tmp/times
: >"$times"

locked() {
	if [ -n "${BENCH_LOCK:-}" ]; then flock "$BENCH_LOCK" "$@"; else "$@"; fi
}

# timed NAME COMMAND...: run it once, record "NAME seconds kib test_acc" in $times.
timed() {
	name=$1
	shift
	if ! locked bench/timeit "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "bench: '$*' failed:" >&2
		tail -n 5 "$tmp/err" >&2
		exit 1
	fi
	t=$(sed -n 's/^timeit: //p' "$tmp/err")
	acc=$(tail -n 1 "$tmp/out" | sed -n 's/.*test_acc=\([0-9.]*\).*/\1/p')
	echo "$name $t ${acc:-?}" >>"$times"
	echo "  $name: $t s/KiB, test_acc ${acc:-?}" >&2
}

# median NAME FIELD: the median of field 2 (seconds), 3 (KiB) or 4 (accuracy) of NAME's
# runs (the lower of the middle two for an even count, so it is always a measured value).
median() {
	awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$times" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "—"; else print v[int((NR + 1) / 2)] }'
}

count() { awk -v n="$1" '$1 == n' "$times" | wc -l | tr -d ' '; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1f×", a / b; else print "—" }'; }

mib() { awk -v k="$1" 'BEGIN { if (k + 0 > 0) printf "%.0f", k / 1024; else print "—" }'; }

have_numpy=0
have_torch=0
if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import numpy' 2>/dev/null; then
	have_numpy=1
	"$py" -c 'import torch' 2>/dev/null && have_torch=1
fi
# Some machines set these for an older OpenBLAS; they slow a current one down, so the
# NumPy runs (only) go without them.
numpy_env="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
blas=$($numpy_env "$py" -c '
try:
    import numpy, threadpoolctl
    for i in threadpoolctl.threadpool_info():
        if i["user_api"] == "blas":
            print(i["internal_api"], i.get("version"), i.get("architecture"), i["num_threads"], "threads")
except Exception:
    print("unknown")' 2>/dev/null || echo unknown)
torch_version=$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)
numpy_version=$("$py" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo none)

echo "bench: GEMM" >&2
locked bench/bench_matmul "$data" >"$tmp/gemm"

echo "bench: end to end ($runs runs each, interleaved)" >&2
i=0
while [ "$i" -lt "$runs" ]; do
	timed bptrain ./bptrain --data "$data"
	timed bptrain_1t ./bptrain --data "$data" --threads 1
	[ -z "$baseline" ] || timed baseline "$baseline" --data "$data"
	if [ "$have_numpy" -eq 1 ]; then
		timed numpy $numpy_env "$py" bench/numpy_twolayer.py --data "$data"
	fi
	if [ "$have_torch" -eq 1 ]; then
		timed torch "$py" bench/torch_twolayer.py --data "$data" --threads 1
		timed torch_2t "$py" bench/torch_twolayer.py --data "$data" --threads 2
	fi
	i=$((i + 1))
done
i=0
while [ "$i" -lt "$runs_800" ]; do
	timed bptrain_800 ./bptrain --data "$data" --hidden 800
	[ -z "$baseline" ] || timed baseline_800 "$baseline" --data "$data" --hidden 800
	if [ "$have_numpy" -eq 1 ]; then
		timed numpy_800 $numpy_env "$py" bench/numpy_twolayer.py --data "$data" --hidden 800
	fi
	if [ "$have_torch" -eq 1 ]; then
		timed torch_800 "$py" bench/torch_twolayer.py --data "$data" --hidden 800 --threads 1
		timed torch_800_2t "$py" bench/torch_twolayer.py --data "$data" --hidden 800 \
			--threads 2
	fi
	i=$((i + 1))
done

# The chapter 6 techniques on the default net, interleaved with plain SGD.
echo "bench: chapter 6 techniques ($runs_ch6 runs each, interleaved)" >&2
i=0
while [ "$i" -lt "$runs_ch6" ]; do
	timed ch6_sgd ./bptrain --data "$data"
	timed ch6_momentum ./bptrain --data "$data" --optimizer momentum --lr 0.05
	timed ch6_adam ./bptrain --data "$data" --optimizer adam --lr 0.001
	timed ch6_decay ./bptrain --data "$data" --weight-decay 0.0001
	timed ch6_dropout ./bptrain --data "$data" --dropout 0.2
	timed ch6_batchnorm ./bptrain --data "$data" --batchnorm
	timed ch6_augment ./bptrain --data "$data" --augment
	i=$((i + 1))
done

# A busy core: another process that never sleeps (a shell loop, as a browser tab or a second
# sweep would be) while bptrain runs with its default threads, and with --threads 1.
echo "bench: with one core busy ($runs_ch6 runs each, interleaved)" >&2
sh -c 'while :; do :; done' &
busy=$!
i=0
while [ "$i" -lt "$runs_ch6" ]; do
	timed busy_default ./bptrain --data "$data"
	timed busy_1t ./bptrain --data "$data" --threads 1
	i=$((i + 1))
done
kill "$busy"

row() { # row LABEL NAME BASELINE_NAME
	s=$(median "$2" 2)
	printf '| %s | %s | %s | %s MiB | %s | %s |\n' "$1" "$(count "$2")" "$s" \
		"$(mib "$(median "$2" 3)")" "$(median "$2" 4)" "$(ratio "$s" "$(median "$3" 2)")"
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
# A virtual machine's model name may be only the vendor's: the family and model say which
# generation, the flags which vector width the native build uses.
family=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
model=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
if grep -q ' avx512f' /proc/cpuinfo 2>/dev/null; then simd=AVX-512
elif grep -q ' avx2' /proc/cpuinfo 2>/dev/null; then simd=AVX2
else simd='no AVX2'; fi
cpu="${cpu:-unknown} (family ${family:-?} model ${model:-?}, $simd)"
{
	cat <<HEADER
# Benchmarks

Written by \`make bench\` (\`bench/run.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC').

- CPU: ${cpu}, $(getconf _NPROCESSORS_ONLN) online CPUs ($(uname -m), Linux $(uname -r))
- Compiler: $(${CC:-cc} --version | head -n 1), flags \`$(sed -n 's/^CFLAGS ?= //p' Makefile)\`
- bptrain uses all online CPUs unless \`--threads\` says otherwise.

## 1. GEMM

GFLOP/s (2·M·N·K per call; median of 5 samples of at least 0.1 s), on random dense data.
"Triple loop" is the textbook i-j-k loop accumulating in float, compiled with the same flags.
M×N×K is C(M,N) += op(A)(M,K)·op(B)(K,N); the training shapes are those of a batch of 100
through the 784-H layer, evaluation uses blocks of 1000 images.

$(sed '/^| run (defaults otherwise)/,$d' "$tmp/gemm")

The dense kernel skips the steps k where a whole strip of A is zero, which the random data
here never has: these are dense numbers. Training does not use the dense kernel for the
first layer: its forward product and its weight gradient Xᵀ·dY are the sparse kernels of
the last table (MNIST pixels are about 80% zeros; "dense-equivalent" counts the FLOPs a
dense product would do, "on the nonzeros" the ones actually done), and its input gradient
is never computed. The other layers are small and dense; those at most four vectors wide
(the 10 logits; with AVX-512 also H=50) go through the narrow path, and those up to eight
vectors wide over at most 32 steps (dY·Wᵀ below the 10 logits) through the short path:
neither packs tiles.

The bound: a whole run's arithmetic (the first layer's nonzero pixels only, forward and
weight gradient, and the dense layers above it; training and the 17 evaluations) at the
speed of the square GEMM on all threads, the fastest this machine multiplies. The sparse
products read scattered rows of W1 and cannot reach that speed; the end-to-end times below
say how far off each run is.

$(sed -n '/^| run (defaults otherwise)/,$p' "$tmp/gemm")

## 2. End to end

Whole processes, data loading included, \`./bptrain\` with the defaults (hidden 50, lr 0.1,
batch 100, 10000 iterations, full train and test evaluation after each of the 17 epochs)
and with \`--hidden 800\`. Median wall time and peak RSS; the last column is the speed-up
of the default run over that row.

| run | runs | wall s | peak RSS | test acc | default run is faster by |
|---|---:|---:|---:|---:|---:|
$(row "bptrain (all threads)" bptrain bptrain)
$(row "bptrain --threads 1" bptrain_1t bptrain)
HEADER
	[ -z "$baseline" ] || row "$baseline_name" baseline bptrain
	if [ "$have_numpy" -eq 1 ]; then
		row "NumPy $numpy_version, book's code, float32 ($blas)" numpy bptrain
	else
		echo "| NumPy | skipped: $py has no numpy | | | | |"
	fi
	if [ "$have_torch" -eq 1 ]; then
		row "PyTorch $torch_version, float32, 1 thread" torch bptrain
		row "PyTorch $torch_version, float32, 2 threads" torch_2t bptrain
	else
		echo "| PyTorch | skipped: $py has no torch | | | | |"
	fi
	echo
	echo "| run | runs | wall s | peak RSS | test acc | --hidden 800 is faster by |"
	echo "|---|---:|---:|---:|---:|---:|"
	row "bptrain --hidden 800" bptrain_800 bptrain_800
	[ -z "$baseline" ] || row "$baseline_name --hidden 800" baseline_800 bptrain_800
	if [ "$have_numpy" -eq 1 ]; then
		row "NumPy --hidden 800" numpy_800 bptrain_800
	fi
	if [ "$have_torch" -eq 1 ]; then
		row "PyTorch --hidden 800, 1 thread" torch_800 bptrain_800
		row "PyTorch --hidden 800, 2 threads" torch_800_2t bptrain_800
	fi
	echo
	echo "Chapter 6 techniques on the default net (10000 iterations), against plain SGD in the"
	echo "same interleaved loop; the last column is the technique's cost in time over SGD's."
	echo
	echo "| run | runs | wall s | peak RSS | test acc | time over SGD |"
	echo "|---|---:|---:|---:|---:|---:|"
	for name in sgd momentum adam decay dropout batchnorm augment; do
		case $name in
		sgd) label="SGD (the default)" ;;
		momentum) label="--optimizer momentum --lr 0.05" ;;
		adam) label="--optimizer adam --lr 0.001" ;;
		decay) label="--weight-decay 0.0001" ;;
		dropout) label="--dropout 0.2" ;;
		batchnorm) label="--batchnorm" ;;
		augment) label="--augment" ;;
		esac
		s=$(median ch6_$name 2)
		printf '| %s | %s | %s | %s MiB | %s | %s |\n' "$label" "$(count ch6_$name)" "$s" \
			"$(mib "$(median ch6_$name 3)")" "$(median ch6_$name 4)" \
			"$(ratio "$s" "$(median ch6_sgd 2)")"
	done
	echo
	echo "With one core busy (another process that never sleeps, for the whole loop): the"
	echo "default thread count against --threads 1, interleaved; the last column is the"
	echo "default's time over --threads 1's (the thread pool must not make it much above 1)."
	echo
	echo "| run | runs | wall s | peak RSS | test acc | time over --threads 1 |"
	echo "|---|---:|---:|---:|---:|---:|"
	row "bptrain, default threads, one core busy" busy_default busy_1t
	row "bptrain --threads 1, one core busy" busy_1t busy_1t
	cat <<'NOTES'

Runs of the different programs alternate (bptrain, bptrain --threads 1, the baseline build
if one was given, NumPy, PyTorch, then again), so a slow spell of the machine hits all of
them. NumPy and PyTorch run the
scripts in `bench/`: the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss, float32,
N(0, 0.01²) weights, batch 100 drawn with replacement, lr 0.1, 10000 iterations, full
train and test accuracy every 600 iterations, each set evaluated in one piece as the book
does), reading the same IDX files. PyTorch runs on 1 and on 2 threads (its intra-op
threads; the faster of the two is its best). KANN is not packaged for Debian, and `make
bench` builds nothing it would have to fetch: README.md (Speed) has a measurement by hand.

## What is dense and what is sparse

- Layer 1 forward (X·W1, training and evaluation): sparse. The training, validation and
  test sets are compacted once, when training starts, to their nonzero pixels, two bytes
  each (the value, and the distance from the previous one; 21 MB for MNIST's 70000
  images), and only those rows of W1 are read; images made during the run (`--augment`,
  `--predict`) are compacted as they are used. The sum over pixels runs in four fixed
  blocks of pixels, each owned by one thread in training (docs/design.md). Bitwise the same result as the dense
  reference path (src/net.c), which sums the same blocks, since every kernel adds the terms
  of each output in the same order and adding 0·w is exact.
- Layer 1 weight gradient (Xᵀ·dY): sparse, from the same compacted rows, block by block on
  the thread that ran the block forward. Where one pass of at most four vectors covers a
  row of dW1 (50 units with AVX-512), each sample's row of dY stays in registers and each of
  its nonzeros adds it into its pixel's row of dW1; wider rows regroup the batch's nonzeros
  by pixel (each pixel's samples in order) and sum each row of dW1 in registers. Either way
  each element gets the same terms in sample order, and its update is applied (src/optim.c)
  by the same thread.
- Layer 1 input gradient: not computed (nothing needs it).
- Every other product (hidden layers, output layer, their gradients): dense; the packed
  GEMM (which also drops all-zero strips, e.g. of ReLU outputs), or for outputs at most four
  vectors wide the narrow path, and up to eight vectors over at most 32 steps the short path.
NOTES
} >"$out"
echo "bench: wrote $out" >&2
