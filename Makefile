# bptrain: GNU Make build. `make`, `make test`, `make run`, `make bench`, `make install`;
# hardening: `make test-asan`, `make test-valgrind`, `make fuzz FUZZ_SECONDS=N`, `make mutate`
# (docs/robustness.md);
# `make test-slurm`, the sweep on a real one-node Slurm cluster.
CC ?= cc
CFLAGS ?= -std=c11 -O3 -march=native -g -Wall -Wextra -pedantic
# PORTABLE=1 builds for any x86-64 (or whatever the compiler's default target is).
ifeq ($(PORTABLE),1)
CFLAGS := $(filter-out -march=native,$(CFLAGS))
endif
CPPFLAGS += -D_POSIX_C_SOURCE=200809L
LDLIBS = -lm -lpthread
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
# EXTRA_CFLAGS is for one-off builds, e.g. make EXTRA_CFLAGS=-fsanitize=address,undefined
ALL_CFLAGS = $(CFLAGS) $(EXTRA_CFLAGS)

HDR = src/util.h src/rng.h src/idx.h src/pool.h src/vec.h src/gemm.h src/sparse.h src/layers.h \
	src/net.h src/optim.h src/fast.h src/train.h src/flags.h src/report.h src/plot.h \
	src/gradcheck.h src/runs.h src/batches.h src/schedule.h src/progress.h src/csv.h \
	src/activations.h src/histplot.h src/augment.h src/model.h src/checkpoint.h src/fields.h \
	src/gallery.h src/evaluate.h src/predict.h
LIB_OBJ = src/util.o src/rng.o src/idx.o src/pool.o src/gemm.o src/sparse.o src/layers.o \
	src/net.o src/optim.o src/fast.o src/train.o src/flags.o src/report.o src/plot.o \
	src/gradcheck.o src/runs.o src/batches.o src/schedule.o src/progress.o src/csv.o \
	src/activations.o src/histplot.o src/augment.o src/model.o src/checkpoint.o src/fields.o \
	src/gallery.o src/evaluate.o src/predict.o
OBJ = $(LIB_OBJ) src/main.o
BIN = bptrain

TESTS = tests/test_idx tests/test_pool tests/test_matmul tests/test_layers tests/test_net tests/test_fast \
	tests/test_optim tests/test_batches tests/test_progress tests/test_augment \
	tests/test_gradcheck tests/test_flags tests/test_model
TEST_HDR = tests/check.h
# Fuzz harnesses, each also built with tests/fuzz/replay.c as a test over its seeds and
# regression inputs, so `make test` replays them without clang.
FUZZERS = idx flags model
FUZZ_TESTS = $(FUZZERS:%=tests/test_fuzz_%)
SH_TESTS = tests/test_cli.sh tests/test_baddata.sh tests/test_stop.sh tests/test_output.sh \
	tests/test_sweep.sh tests/test_chapter6.sh tests/test_epochs.sh tests/test_activations.sh \
	tests/test_hardening.sh tests/test_limits.sh tests/test_man.sh tests/test_install.sh \
	tests/test_model_cli.sh tests/test_resume.sh tests/test_docs.sh
# The fault-injection build for tests/test_gradcheck_cli.sh: the product objects, with the
# training code's calls to the layer backward functions and the sparse weight gradient
# redirected by the linker (--wrap, GNU ld and lld) to the deliberately wrong versions in
# tests/fault.c. The product binary has no fault hook.
FAULT_BIN = tests/bptrain-fault
FAULT_WRAP = -Wl,--wrap=softmax_xent_backward,--wrap=softmax_xent_backward_rows \
	-Wl,--wrap=relu_backward,--wrap=sigmoid_backward,--wrap=affine_backward \
	-Wl,--wrap=affine_backward_weight,--wrap=affine_backward_bias,--wrap=mm_sparse_tn \
	-Wl,--wrap=l2_backward,--wrap=dropout_backward,--wrap=batchnorm_backward_sums \
	-Wl,--wrap=batchnorm_backward_rows

DATA_DIR ?= mnist
DATA_FILES = $(DATA_DIR)/train-images-idx3-ubyte $(DATA_DIR)/train-labels-idx1-ubyte \
	$(DATA_DIR)/t10k-images-idx3-ubyte $(DATA_DIR)/t10k-labels-idx1-ubyte

all: $(BIN)

$(BIN): $(OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

src/%.o: src/%.c
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(OBJ): $(HDR)

# The kernels rely on fused multiply-add where the target has it (c += a*b as one rounding);
# ISO C mode turns contraction off by default. This is not -ffast-math: nothing is
# reordered, and every element is still one fixed chain of operations (see src/gemm.h).
# (The same for the hardening builds, below.)
src/gemm.o src/sparse.o: ALL_CFLAGS += -ffp-contract=fast
# --augment's distortions are the same images whatever the compiler (Clang contracts by
# default): tests/test_augment checks them against its own plain version in every bit.
# (`private`, so that the test's flags do not pass to the objects it needs built.)
src/augment.o: ALL_CFLAGS += -ffp-contract=off
tests/test_augment: private ALL_CFLAGS += -ffp-contract=off
# sqrtf never sees a negative number in the optimizers; without errno to set, GCC can use the
# vector square root (which rounds exactly as the scalar one: IEEE sqrt is correctly rounded).
src/optim.o: ALL_CFLAGS += -fno-math-errno

tests/%: tests/%.c $(LIB_OBJ) $(HDR) $(TEST_HDR)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(LIB_OBJ) $(HDR)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -Isrc -Itests/fuzz -DFUZZ_NAME='"test_fuzz_$*"' \
		-DREGRESS_DIR='"tests/fuzz/regress/$*"' -o $@ tests/fuzz/replay.c $< $(LIB_OBJ) \
		$(LDFLAGS) $(LDLIBS)

$(FAULT_BIN): tests/fault.c $(OBJ) $(HDR)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -Isrc $(LDFLAGS) $(FAULT_WRAP) -o $@ tests/fault.c $(OBJ) \
		$(LDLIBS)

# Fetch MNIST only when a file is missing; the script verifies SHA-256 sums.
data: $(DATA_FILES)
$(DATA_FILES):
	scripts/fetch_mnist.sh --dir $(DATA_DIR)

run: $(BIN) data
	./$(BIN) --data $(DATA_DIR)

test: $(BIN) $(TESTS) $(FUZZ_TESTS) $(FAULT_BIN) $(BENCH_BIN) data
	@sh tests/run.sh $(TESTS) $(FUZZ_TESTS) $(SH_TESTS) tests/test_gradcheck_cli.sh \
		tests/test_e2e.sh

# --- Hardening builds, each in its own directory under build/ so they never mix with the
# normal objects. See docs/robustness.md.

# AddressSanitizer + UndefinedBehaviorSanitizer: the unit, fuzz-replay and CLI tests and a
# short real training run (the full end-to-end run is too slow under ASan). Any sanitizer
# report makes the program exit 99 (or abort), which fails the test that ran it.
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:exitcode=99:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
ASAN = build/asan
ASAN_LIB_OBJ = $(LIB_OBJ:src/%=$(ASAN)/%)
ASAN_TESTS = $(TESTS:tests/%=$(ASAN)/%) $(FUZZ_TESTS:tests/%=$(ASAN)/%)

$(ASAN)/%.o: src/%.c $(HDR)
	@mkdir -p $(ASAN)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) -c -o $@ $<
$(ASAN)/$(BIN): $(ASAN_LIB_OBJ) $(ASAN)/main.o
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(ASAN)/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(ASAN_LIB_OBJ) $(HDR)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) -Isrc -Itests/fuzz \
		-DFUZZ_NAME='"test_fuzz_$*"' -DREGRESS_DIR='"tests/fuzz/regress/$*"' -o $@ \
		tests/fuzz/replay.c $< $(ASAN_LIB_OBJ) $(LDFLAGS) $(LDLIBS)
$(ASAN)/test_%: tests/test_%.c $(ASAN_LIB_OBJ) $(HDR) $(TEST_HDR)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) -Isrc -o $@ $< $(ASAN_LIB_OBJ) $(LDFLAGS) $(LDLIBS)

test-asan: $(ASAN)/$(BIN) $(ASAN_TESTS) $(FAULT_BIN) data
	@$(SAN_ENV) BPTRAIN=$(ASAN)/$(BIN) sh tests/run.sh $(ASAN_TESTS) $(SH_TESTS) \
		tests/test_short.sh

# valgrind memcheck on short training runs and the error paths: zero errors, no leaks. Built
# without -march=native, since valgrind does not decode AVX-512 instructions.
VG = build/valgrind
VG_CFLAGS = $(filter-out -march=native,$(ALL_CFLAGS))
VG_OBJ = $(OBJ:src/%=$(VG)/%)

$(VG)/%.o: src/%.c $(HDR)
	@mkdir -p $(VG)
	$(CC) $(VG_CFLAGS) $(CPPFLAGS) -c -o $@ $<
$(VG)/$(BIN): $(VG_OBJ)
	$(CC) $(VG_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test-valgrind: $(VG)/$(BIN) data
	@BPTRAIN=$(VG)/$(BIN) sh tests/run.sh tests/test_valgrind.sh

# The sweep's Slurm job array on a real one-node cluster on localhost (tests/test_slurm.sh):
# needs Debian's slurm-wlm and munge, which .ci/run installs; skips, saying why, where the
# daemons cannot start.
test-slurm: $(BIN)
	@sh tests/run.sh tests/test_slurm.sh

# libFuzzer (clang only): harnesses and library objects with ASan and UBSan in build/fuzz.
# `make fuzz FUZZ_SECONDS=N` runs each harness for N seconds on a corpus kept in
# build/fuzz/corpus/NAME, seeded by the replay tests; findings land in build/fuzz/findings/.
FUZZ_CC = clang
FUZZ_SECONDS = 30
FUZZ_CFLAGS = -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ = build/fuzz
FUZZ_LIB_OBJ = $(LIB_OBJ:src/%=$(FUZZ)/%)
FUZZ_BINS = $(FUZZERS:%=$(FUZZ)/fuzz_%)

$(FUZZ)/%.o: src/%.c $(HDR)
	@mkdir -p $(FUZZ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) -c -o $@ $<
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ) $(HDR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(CPPFLAGS) -Isrc -Itests/fuzz -o $@ $< \
		$(FUZZ_LIB_OBJ) $(LDLIBS)

# The GEMM kernels' fused multiply-add, as for src/gemm.o and src/sparse.o.
$(ASAN)/gemm.o $(ASAN)/sparse.o $(VG)/gemm.o $(VG)/sparse.o: ALL_CFLAGS += -ffp-contract=fast
$(ASAN)/optim.o $(VG)/optim.o: ALL_CFLAGS += -fno-math-errno
$(ASAN)/augment.o $(VG)/augment.o: ALL_CFLAGS += -ffp-contract=off
$(ASAN)/test_augment: private ALL_CFLAGS += -ffp-contract=off
$(FUZZ)/gemm.o $(FUZZ)/sparse.o: FUZZ_CFLAGS += -ffp-contract=fast
$(FUZZ)/optim.o: FUZZ_CFLAGS += -fno-math-errno
$(FUZZ)/augment.o: FUZZ_CFLAGS += -ffp-contract=off

# Objects built only through pattern rules would otherwise be deleted as intermediates.
.SECONDARY: $(ASAN_LIB_OBJ) $(VG_OBJ) $(FUZZ_LIB_OBJ)

fuzz: $(FUZZ_BINS) $(FUZZ_TESTS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZERS='$(FUZZERS)' sh tests/run.sh tests/fuzz/run.sh

# Mutation testing (tests/mutate.sh): each patch in tests/mutants/ is a small bug, built in a
# scratch copy under build/mutate/ and run against the fast tests below, in this order (the
# cheap ones first: the first failure kills a mutant), until one fails. The end-to-end
# accuracy run and the slow sweep and fault-injection tests are left out, to keep a whole
# run near ten minutes. MUTANTS="a b" runs only those.
MUTATE_SH_TESTS = tests/test_limits.sh tests/test_activations.sh tests/test_man.sh \
	tests/test_output.sh tests/test_baddata.sh tests/test_hardening.sh tests/test_short.sh \
	tests/test_stop.sh tests/test_cli.sh tests/test_epochs.sh tests/test_model_cli.sh \
	tests/test_resume.sh tests/test_chapter6.sh

mutate: $(BIN) $(TESTS) $(FUZZ_TESTS) $(FAULT_BIN) data
	@sh tests/mutate.sh $(TESTS) $(FUZZ_TESTS) $(MUTATE_SH_TESTS)

# Benchmarks (not part of test): GEMM GFLOP/s and end-to-end runs, written to
# docs/benchmarks.md, beside NumPy and PyTorch when python3 has them.
BENCH_BIN = bench/bench_matmul bench/timeit

bench/bench_matmul: bench/bench_matmul.c $(LIB_OBJ) $(HDR)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

bench/timeit: bench/timeit.c
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -o $@ $<

bench: $(BIN) $(BENCH_BIN) data
	sh bench/run.sh

# The manual page is made from --help (scripts/mkman.sh); tests/test_man.sh checks that the
# committed one is current.
man: $(BIN)
	sh scripts/mkman.sh ./$(BIN) >docs/bptrain.1

install: $(BIN)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	cp $(BIN) $(DESTDIR)$(BINDIR)/$(BIN)
	chmod 755 $(DESTDIR)$(BINDIR)/$(BIN)
	cp docs/bptrain.1 $(DESTDIR)$(MANDIR)/bptrain.1
	chmod 644 $(DESTDIR)$(MANDIR)/bptrain.1
	cp scripts/fetch_mnist.sh $(DESTDIR)$(BINDIR)/bptrain-fetch-mnist
	cp scripts/sweep.sh $(DESTDIR)$(BINDIR)/bptrain-sweep
	chmod 755 $(DESTDIR)$(BINDIR)/bptrain-fetch-mnist $(DESTDIR)$(BINDIR)/bptrain-sweep

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(BIN) $(DESTDIR)$(MANDIR)/bptrain.1 \
		$(DESTDIR)$(BINDIR)/bptrain-fetch-mnist $(DESTDIR)$(BINDIR)/bptrain-sweep

clean:
	rm -f $(BIN) $(OBJ) $(TESTS) $(FUZZ_TESTS) $(FAULT_BIN) $(BENCH_BIN)
	rm -rf $(ASAN) $(VG) $(FUZZ)/*.o $(FUZZ_BINS)

.PHONY: all data run test test-asan test-valgrind test-slurm fuzz mutate bench man install \
	uninstall clean
