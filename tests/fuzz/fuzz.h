/* fuzz.h: what each fuzz harness (tests/fuzz/fuzz_*.c) provides. The same harness file is
 * linked two ways: with clang's libFuzzer (make fuzz), which supplies main and calls
 * LLVMFuzzerTestOneInput with generated inputs; and with tests/fuzz/replay.c (make test), which
 * runs it on its seeds and on every kept regression input, with no fuzzer needed. */
#ifndef BPTRAIN_FUZZ_H
#define BPTRAIN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input. Returns 0; a broken invariant calls abort(), which both drivers report. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Hand each seed input (valid and edge-case ones) to emit, with a file name for it. */
void fuzz_seeds(void (*emit)(const char *name, const void *data, size_t size));

#endif
