/* replay.c: a main for a fuzz harness without libFuzzer. With no arguments it runs the
 * harness on its seeds and on every file kept in REGRESS_DIR (inputs that once crashed it),
 * then prints "NAME: N passed, 0 failed" for tests/run.sh; a failing input aborts the program,
 * which run.sh counts as a failure. `--write-seeds DIR` writes the seeds for libFuzzer, and
 * any other arguments are input files to run (to reproduce a finding under gdb, say). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static const char *seed_dir_;
static int runs_;
static char current_[512]; /* the input being run, for the crash message */

/* On abort or a crash, say which input it was, then die of the same signal. */
static void
on_crash_(int signo)
{
	const char *prefix = FUZZ_NAME ": crashed on input ";
	write(2, prefix, strlen(prefix));
	write(2, current_, strlen(current_));
	write(2, "\n", 1);
	signal(signo, SIG_DFL);
	raise(signo);
}

static void
run_(const char *name, const void *data, size_t size)
{
	snprintf(current_, sizeof current_, "%s", name);
	LLVMFuzzerTestOneInput(data, size);
	runs_++;
}

static void
write_seed_(const char *name, const void *data, size_t size)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", seed_dir_, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Run the harness on the file at path; returns -1 if it cannot be read. */
static int
run_file_(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 16, size = 0;
	unsigned char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + size, 1, cap - size, f)) > 0) {
		size += n;
		if (size == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	run_(path, buf, size);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		seed_dir_ = argv[2];
		fuzz_seeds(write_seed_);
		return 0;
	}
	signal(SIGABRT, on_crash_);
	signal(SIGSEGV, on_crash_);
	/* Replaying the whole suite, the one-line errors and --help text that hostile inputs
	 * provoke are expected: keep them out of the test output. glibc lets a program assign
	 * stdout and stderr (the sanitizers' reports and on_crash_ write to fd 2 directly, so
	 * they still show). Given files, show everything: that is how a finding is studied. */
	FILE *real_stderr = stderr, *out = stdout;
	if (argc == 1) {
		stdout = stderr = fopen("/dev/null", "w");
		if (!stdout) {
			perror("/dev/null");
			return 1;
		}
	}
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (run_file_(argv[i]) != 0) {
				fprintf(real_stderr, "%s: cannot read %s\n", FUZZ_NAME, argv[i]);
				return 1;
			}
	} else {
		fuzz_seeds(run_);
		DIR *dir = opendir(REGRESS_DIR);
		struct dirent *entry;
		while (dir && (entry = readdir(dir))) {
			char path[4096];
			if (entry->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", REGRESS_DIR, entry->d_name);
			run_file_(path);
		}
		if (dir)
			closedir(dir);
	}
	fprintf(out, "%s: %d passed, 0 failed\n", FUZZ_NAME, runs_);
	return 0;
}
