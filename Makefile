# bptrain: GNU Make build. `make`, `make test`, `make run`, `make bench`, `make install`.
CC ?= cc
CFLAGS ?= -std=c11 -O3 -march=native -g -Wall -Wextra -pedantic
# PORTABLE=1 builds for any x86-64 (or whatever the compiler's default target is).
ifeq ($(PORTABLE),1)
CFLAGS := $(filter-out -march=native,$(CFLAGS))
endif
CPPFLAGS += -D_POSIX_C_SOURCE=200809L
LDLIBS = -lm
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
# EXTRA_CFLAGS is for one-off builds, e.g. make EXTRA_CFLAGS=-fsanitize=address,undefined
ALL_CFLAGS = $(CFLAGS) $(EXTRA_CFLAGS)

HDR = src/util.h src/rng.h src/idx.h src/matmul.h src/layers.h src/net.h src/train.h src/flags.h
LIB_OBJ = src/util.o src/rng.o src/idx.o src/matmul.o src/layers.o src/net.o src/train.o src/flags.o
OBJ = $(LIB_OBJ) src/main.o
BIN = bptrain

TESTS = tests/test_idx tests/test_matmul tests/test_layers tests/test_net tests/test_flags
TEST_HDR = tests/check.h

DATA_DIR ?= mnist
DATA_FILES = $(DATA_DIR)/train-images-idx3-ubyte $(DATA_DIR)/train-labels-idx1-ubyte \
	$(DATA_DIR)/t10k-images-idx3-ubyte $(DATA_DIR)/t10k-labels-idx1-ubyte

all: $(BIN)

$(BIN): $(OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(LDLIBS)

src/%.o: src/%.c
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(OBJ): $(HDR)

tests/%: tests/%.c $(LIB_OBJ) $(HDR) $(TEST_HDR)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

# Fetch MNIST only when a file is missing; the script verifies SHA-256 sums.
data: $(DATA_FILES)
$(DATA_FILES):
	scripts/fetch_mnist.sh --dir $(DATA_DIR)

run: $(BIN) data
	./$(BIN) --data $(DATA_DIR)

test: $(BIN) $(TESTS) data
	@sh tests/run.sh $(TESTS) tests/test_cli.sh tests/test_baddata.sh tests/test_stop.sh tests/test_e2e.sh

install: $(BIN)
	mkdir -p $(DESTDIR)$(BINDIR)
	cp $(BIN) $(DESTDIR)$(BINDIR)/$(BIN)
	chmod 755 $(DESTDIR)$(BINDIR)/$(BIN)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(BIN)

clean:
	rm -f $(BIN) $(OBJ) $(TESTS)

.PHONY: all data run test install uninstall clean
