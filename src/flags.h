/* flags.h: the command line, parsed into a struct config with every value range-checked. */
#ifndef BPTRAIN_FLAGS_H
#define BPTRAIN_FLAGS_H

#include <stdint.h>
#include <stdio.h>

#include "net.h"

/* Output formats for stdout (--format) and the --log file. */
enum format { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON };

struct config {
	int hidden[NET_MAX_AFFINE - 1]; /* hidden layer sizes, input side first */
	int n_hidden;
	enum activation activation;
	float lr;
	int iters;
	int batch;
	float init_std;
	uint64_t seed;
	int threads; /* worker threads including the main one; results do not depend on it */
	const char *data_dir;
	enum format format;      /* what stdout gets: the text table, CSV or JSON lines */
	int quiet;               /* stdout gets only the final summary */
	const char *log_path;    /* CSV or JSON records also go here, or NULL */
	const char *plot_path;   /* an SVG of the learning curves goes here, or NULL */
	int gradcheck;     /* 0 train; 1 --gradcheck; 2 --gradcheck-all (every element) */
};

/* What flags_parse decided. */
enum flags_result {
	FLAGS_RUN,   /* cfg is filled in: go on */
	FLAGS_EXIT,  /* --help or --version was printed: exit 0 */
	FLAGS_USAGE, /* a one-line error was printed: exit 2 */
};

/* Fill cfg with the defaults, then apply argv. Errors name the offending flag. */
enum flags_result flags_parse(struct config *cfg, int argc, char **argv);

/* The full --help text, showing the default of every flag. */
void flags_usage(FILE *out);

#endif
