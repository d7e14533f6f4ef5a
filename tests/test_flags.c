/* test_flags: flags_parse called directly, several times in one process (as the fuzz harness
 * does): each call must start from a clean slate, and a repeated flag keeps its last value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flags.h"

/* The argv of the latest parse: cfg.data_dir points into it until the next parse. */
static char *argv_[32];

/* Parse a NULL-terminated list of arguments (copied, since getopt_long permutes argv). */
static enum flags_result
parse_(struct config *cfg, const char *const *args)
{
	/* The previous argv is freed first: a parser that kept pointers into it would now read
	 * freed memory, which the sanitizer build reports. */
	for (int i = 0; argv_[i]; i++) {
		free(argv_[i]);
		argv_[i] = NULL;
	}
	int argc = 0;
	for (; args[argc]; argc++)
		argv_[argc] = strcpy(malloc(strlen(args[argc]) + 1), args[argc]);
	return flags_parse(cfg, argc, argv_);
}

int
main(void)
{
	struct config cfg;
	enum flags_result r;

	r = parse_(&cfg, (const char *const[]){"bptrain", NULL});
	CHECK(r == FLAGS_RUN && cfg.lr == 0.1f && cfg.iters == 10000 && cfg.n_hidden == 1,
	      "no flags: the defaults (result %d)", r);

	/* getopt stops inside "-Vx" after the V; the next parse must not resume at the x. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "-Vx", NULL});
	CHECK(r == FLAGS_EXIT, "-Vx prints the version (result %d)", r);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--lr", "0.5", NULL});
	CHECK(r == FLAGS_RUN && cfg.lr == 0.5f, "a parse after -Vx starts afresh (result %d)", r);

	/* An error part-way through, then a clean parse: nothing carries over. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--iters", "7", "--lr", "x", NULL});
	CHECK(r == FLAGS_USAGE, "--lr x is a usage error (result %d)", r);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--batch", "3", NULL});
	CHECK(r == FLAGS_RUN && cfg.iters == 10000 && cfg.batch == 3,
	      "a parse after an error starts from the defaults (iters %d)", cfg.iters);

	/* Repeated flags: the last one wins (the GNU norm), for every kind of value. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--lr", "5", "--lr=0.25", "--iters", "9",
					       "--iters", "11", "--hidden", "100,64,32", "--hidden",
					       "8", "--activation", "sigmoid", "--activation", "relu",
					       "--seed", "1", "--seed", "2", "--data", "a", "--data",
					       "b", NULL});
	CHECK(r == FLAGS_RUN, "repeated flags parse (result %d)", r);
	CHECK(cfg.lr == 0.25f && cfg.iters == 11 && cfg.seed == 2, "repeated numbers: the last");
	CHECK(cfg.n_hidden == 1 && cfg.hidden[0] == 8, "repeated --hidden: the last list, whole");
	CHECK(cfg.activation == ACT_RELU && strcmp(cfg.data_dir, "b") == 0,
	      "repeated names: the last");
	/* A bad value is an error even when a good one follows. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--lr", "abc", "--lr", "0.1", NULL});
	CHECK(r == FLAGS_USAGE, "a bad value before a good one is still an error (result %d)", r);

	parse_(&cfg, (const char *const[]){NULL});
	return check_report("test_flags");
}
