/* util.c: error reporting, checked allocation and timing. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
vwarn_(const char *fmt, va_list ap)
{
	int saved_errno = errno;
	fputs("bptrain: ", stderr);
	vfprintf(stderr, fmt, ap);
	size_t len = strlen(fmt);
	if (len > 0 && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved_errno));
	fputc('\n', stderr);
}

void
warnf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_(fmt, ap);
	va_end(ap);
}

void
dief(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_(fmt, ap);
	va_end(ap);
	exit(status);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		dief(EXIT_RUNTIME, "out of memory allocating %zu bytes", size);
	return p;
}

double
now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
