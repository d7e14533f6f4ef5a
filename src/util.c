/* util.c: error reporting, checked allocation, timing, float printing and atomic output files. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
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

/* The end of a temporary name, after a prefix of the target's name: ".bptrain-PID-HASH.tmp",
 * HASH the target's full name (two long names that share their first bytes differ). */
#define TMP_TAG ".bptrain-"
#define TMP_PREFIX_MAX 96 /* bytes of the target's name kept: NAME_MAX is 255 */

static uint32_t
name_hash_(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Remove the temporary files in dir left by processes that no longer exist (SIGKILL, a
 * crash, a second Ctrl-C): a live process's, even another run's, are left alone. */
static void
remove_stale_(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		const char *tag = strstr(e->d_name, TMP_TAG);
		long pid;
		unsigned hash;
		char end[8];
		if (!tag || sscanf(tag, TMP_TAG "%ld-%8x%7s", &pid, &hash, end) != 3 ||
		    strcmp(end, ".tmp") != 0 || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			char path[PATH_MAX];
			if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
				unlink(path);
		}
	}
	closedir(d);
}

/* The descriptor, stdout's or stderr's, that already writes the file st describes (--log
 * /dev/stdout with stdout redirected to a file), or -1: writing it under another name and
 * renaming would cut that stream off, and opening it again would write over it. */
static int
std_stream_(const struct stat *st)
{
	struct stat fd;
	for (int i = STDOUT_FILENO; i <= STDERR_FILENO; i++)
		if (fstat(i, &fd) == 0 && fd.st_dev == st->st_dev && fd.st_ino == st->st_ino)
			return i;
	return -1;
}

/* Write path directly: a device, FIFO or terminal, or through the very descriptor of stdout
 * or stderr when it is theirs (sharing its offset, so the two interleave whole records). */
static int
open_direct_(struct atomic_file *af, const char *path, const struct stat *st)
{
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		return -1;
	}
	int stream = std_stream_(st), fd = stream >= 0 ? dup(stream) : -1;
	af->f = stream >= 0 ? (fd >= 0 ? fdopen(fd, "w") : NULL) : fopen(path, "w");
	if (!af->f && fd >= 0)
		close(fd);
	return af->f ? 0 : -1;
}

int
atomic_open(struct atomic_file *af, const char *path)
{
	af->path = af->tmp = NULL;
	af->error = 0;
	struct stat st;
	if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || std_stream_(&st) >= 0))
		return open_direct_(af, path, &st);
	/* A symlink to a regular file: the file is replaced, not the link. */
	char *target = realpath(path, NULL);
	af->path = target ? target : xmalloc(strlen(path) + 1);
	if (!target)
		strcpy(af->path, path);
	const char *slash = strrchr(af->path, '/');
	const char *base = slash ? slash + 1 : af->path;
	int dir_len = slash ? (int)(slash - af->path) : 0;
	size_t len = strlen(af->path) + 64;
	af->tmp = xmalloc(len);
	snprintf(af->tmp, len, "%.*s%s%.*s" TMP_TAG "%ld-%08x.tmp", dir_len, af->path,
		 slash ? "/" : "", TMP_PREFIX_MAX, base, (long)getpid(), name_hash_(af->path));
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", slash ? (dir_len ? dir_len : 1) : 1, slash ? af->path : ".");
	remove_stale_(dir);
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
