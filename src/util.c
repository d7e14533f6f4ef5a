/* util.c: error reporting, checked allocation, timing, float printing and atomic output files. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

void *
xmalloc_aligned(size_t size)
{
	/* C11 wants the size of an aligned_alloc to be a multiple of the alignment. */
	void *p = aligned_alloc(ALIGN_BYTES, align_up(size ? size : 1));
	if (!p)
		dief(EXIT_RUNTIME, "out of memory allocating %zu bytes", size);
	return p;
}

size_t
align_up(size_t bytes)
{
	return (bytes + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
}

FILE *
fopen_regular(const char *path, long long *file_size)
{
	/* O_NONBLOCK: opening a FIFO with no writer would otherwise hang before we can see
	 * that it is not a regular file. Reads from a regular file ignore the flag. */
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		warnf("%s:", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		warnf("%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		warnf("%s:", path);
		close(fd);
		return NULL;
	}
	*file_size = (long long)st.st_size;
	return f;
}

double
now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
fmt_float(char *buf, size_t size, float v)
{
	/* 9 significant digits always read back (FLT_DECIMAL_DIG): stop at the first that does.
	 * (Written as a while loop: gcc's sanitizer build warns of a null buf for a for loop
	 * that returns from inside.) */
	int digits = 6;
	snprintf(buf, size, "%.*g", digits, (double)v);
	while (digits < 9 && strtof(buf, NULL) != v)
		snprintf(buf, size, "%.*g", ++digits, (double)v);
}

static void
atomic_free_(struct atomic_file *af)
{
	free(af->path);
	free(af->tmp);
	af->f = NULL;
	af->path = af->tmp = NULL;
}

int
atomic_open(struct atomic_file *af, const char *path)
{
	af->path = af->tmp = NULL;
	af->error = 0;
	/* A device, FIFO or terminal (/dev/stdout, /dev/null, a named pipe) is written directly:
	 * renaming a regular file over it would replace the device node itself. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		af->f = fopen(path, "w");
		return af->f ? 0 : -1;
	}
	size_t len = strlen(path) + 32;
	af->path = xmalloc(strlen(path) + 1);
	strcpy(af->path, path);
	af->tmp = xmalloc(len);
	snprintf(af->tmp, len, "%s.%ld.tmp", path, (long)getpid());
	/* O_EXCL: never follow a symlink planted at the temporary name or reuse a stale file. */
	int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
	af->f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!af->f) {
		int saved = errno;
		if (fd >= 0) {
			close(fd);
			unlink(af->tmp);
		}
		atomic_free_(af);
		errno = saved;
		return -1;
	}
	return 0;
}

int
atomic_flush(struct atomic_file *af)
{
	int status = fflush(af->f);
	if (status != 0 && af->error == 0)
		af->error = errno;
	return status;
}

int
atomic_commit(struct atomic_file *af)
{
	/* A last flush, so a failure of the buffer's final write is named too. */
	atomic_flush(af);
	int bad = ferror(af->f);
	int saved = bad ? (af->error ? af->error : EIO) : 0;
	if (fclose(af->f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (af->tmp && !bad && rename(af->tmp, af->path) != 0) {
		bad = 1;
		saved = errno;
	}
	if (af->tmp && bad)
		unlink(af->tmp);
	atomic_free_(af);
	errno = saved;
	return bad ? -1 : 0;
}
