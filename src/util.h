/* util.h: error reporting, checked allocation and timing shared by every module. */
#ifndef BPTRAIN_UTIL_H
#define BPTRAIN_UTIL_H

#include <stddef.h>

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

/* Seconds on a monotonic clock, for measuring intervals. */
double now_sec(void);

#endif
