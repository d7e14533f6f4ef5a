/* util.h: error reporting, checked allocation and timing shared by every module. */
#ifndef BPTRAIN_UTIL_H
#define BPTRAIN_UTIL_H

#include <stddef.h>
#include <stdio.h>

#define BPTRAIN_VERSION "0.1.0"

/* Exit statuses, the same for every entry point (see README). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Print "bptrain: <message>" to stderr. A format ending in ':' gets ": <strerror(errno)>"
 * appended, so callers can write warnf("%s:", path) for I/O failures. */
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* warnf, then exit with the given status. */
_Noreturn void dief(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc that dies on failure: running out of memory is the one error modules do not report
 * back to main, since no caller could do anything useful with it. */
void *xmalloc(size_t size);
/* The same, aligned to ALIGN_BYTES: a cache line, and the widest vector. The kernels load
 * unaligned, but a vector that straddles two cache lines costs two loads: W1's rows of 800
 * floats, misaligned by 16 bytes, made evaluation at --hidden 800 half as slow again. */
#define ALIGN_BYTES 64
void *xmalloc_aligned(size_t size);
/* bytes rounded up to a whole number of ALIGN_BYTES: the next region of one allocation then
 * starts aligned too. */
size_t align_up(size_t bytes);

/* Open path for reading, refusing anything but a regular file (a directory, FIFO or device
 * would make a size check meaningless, and opening a FIFO with no writer would block).
 * Returns the stream and the file's size, or NULL after a message naming the file. */
FILE *fopen_regular(const char *path, long long *file_size);

/* Seconds on a monotonic clock, for measuring intervals. */
double now_sec(void);

/* The shortest decimal that reads back as the same float, into buf: 0.1f prints as 0.1, not
 * as the 0.100000001 that %.9g would give, yet no precision is lost. */
void fmt_float(char *buf, size_t size, float v);

/* An output file written under a temporary name next to its target (same file system, so the
 * rename is atomic) and renamed into place only when complete: an interrupt, a crash or a full
 * disk never leaves a half-written file under the name the user asked for. A path that names
 * an existing device or FIFO (/dev/stdout, a pipe) is written directly instead. */
struct atomic_file {
	FILE *f;    /* write here between atomic_open and atomic_commit */
	char *path; /* the final name */
	char *tmp;  /* "<path>.<pid>.tmp", or NULL when writing a device directly */
	int error;  /* the errno of the first failed atomic_flush, or 0 */
};

/* Create the temporary file. Returns 0, or -1 with errno set (nothing is left behind). */
int atomic_open(struct atomic_file *af, const char *path);
/* fflush, remembering why the first failure failed: stdio keeps only the error flag, and by
 * atomic_commit errno says something else. Returns fflush's result. */
int atomic_flush(struct atomic_file *af);
/* Close and rename into place. Returns 0, or -1 with errno set after removing the temporary
 * file (a write error, a failed close or rename). */
int atomic_commit(struct atomic_file *af);

#endif
