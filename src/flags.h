/* flags.h: the command line, parsed into a struct config with every value range-checked.
 * One table in flags.c describes every flag (see there). */
#ifndef BPTRAIN_FLAGS_H
#define BPTRAIN_FLAGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batches.h"
#include "net.h"
#include "optim.h"
#include "schedule.h"

/* The most steps a run may take, however they are asked for (--iters, --epochs). */
#define FLAGS_MAX_ITERS 1000000000

/* --misclassified draws at most this many digits. */
#define MISCLASSIFIED_SHOWN 100

/* Output formats for stdout (--format) and the --log file. */
enum format { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON };

struct config {
	int hidden[NET_MAX_AFFINE - 1]; /* hidden layer sizes, input side first */
	int n_hidden;
	enum activation activation;
	float lr;
	int iters;               /* steps; set from epochs once the training set is known */
	int epochs;              /* 0: iters says how long */
	enum sampling sampling;
	enum schedule_kind schedule;
	int lr_step;             /* SCHEDULE_STEP: epochs between decays ... */
	float lr_gamma;          /* ... by this factor */
	int warmup;              /* epochs of linear warmup */
	int batch;
	float init_std;
	enum weight_init init;   /* std (uses init_std), xavier or he */
	enum optim_kind optimizer;
	float momentum, alpha, beta1, beta2, eps; /* the optimizers' constants (src/optim.h) */
	float weight_decay;      /* λ of the L2 penalty on the weights */
	float dropout;           /* the rate of dropout after each hidden activation, or 0 */
	int batchnorm;           /* batch normalization after each hidden affine layer */
	int augment;             /* distort the training images (src/augment.h) */
	uint64_t seed;
	int threads; /* worker threads including the main one; results do not depend on it */
	const char *data_dir;
	int train_size; /* train on the first this many training images; 0: all */
	int val;        /* hold out the last this many training images for validation */
	int early_stop; /* with val: epochs without a better val_acc before stopping; 0: never */
	enum format format;      /* what stdout gets: the text table, CSV or JSON lines */
	int quiet;               /* stdout gets only the final summary */
	const char *log_path;    /* CSV or JSON records also go here, or NULL */
	const char *plot_path;   /* an SVG of the learning curves goes here, or NULL */
	const char *plot_runs;   /* instead of training, plot this CSV of runs, or NULL */
	const char *plot_activations; /* instead of training, plot this CSV of histograms */
	const char *group;       /* with plot_runs: the column whose values are the lines; with
	                          * plot_activations, the rows */
	const char *facet;       /* with plot_runs: the column whose values are the panels */
	const char *metric;      /* with plot_runs: the field drawn ("loss": step records);
	                          * with plot_sweep: the y axis, or NULL for the default */
	const char *plot_sweep;  /* instead of training, plot this CSV of a sweep's runs */
	const char *x_column;    /* with plot_sweep: the column along the x axis */
	const char *color;       /* with plot_sweep: the column that colours the dots, or NULL */
	int log_every;           /* a step record (mean loss) every this many steps; 0: none */
	int gradcheck;     /* 0 train; 1 --gradcheck; 2 --gradcheck-all (every element) */
	const char *dump_activations; /* instead of training, write activation histograms here */
	/* Models (docs/model-format.md). */
	const char *save_path;   /* --save: the model goes here after training, or NULL */
	const char *load_path;   /* --load: the net comes from here instead of init, or NULL */
	const char *resume_path; /* --resume: go on with the run saved here, or NULL */
	const char *resumed_load; /* --resume: the model the saved run had started from (its
				   * configuration's load=), or NULL; not a flag */
	int evaluate;            /* --evaluate: with --load, evaluate instead of training */
	const char *misclassified_path; /* --evaluate: an SVG of the digits it got wrong */
	int predict;             /* --predict: with --load, classify the images below */
	char **predict_files;    /* the command line's other arguments (into argv) ... */
	int n_predict;           /* ... this many: PGM files, or - for raw bytes on stdin */
	uint64_t given;          /* bit i: row i of the flag table was on the command line */
};

/* What flags_parse decided. */
enum flags_result {
	FLAGS_RUN,   /* cfg is filled in: go on */
	FLAGS_EXIT,  /* --help or --version was printed: exit 0 */
	FLAGS_USAGE, /* a one-line error was printed: exit 2 */
};

/* Fill cfg with the defaults, then apply argv. Errors name the offending flag. */
enum flags_result flags_parse(struct config *cfg, int argc, char **argv);

/* Whether the flag called name (its long name, as in --help) was on the command line,
 * rather than left at its default. */
int flags_given(const struct config *cfg, const char *name);

/* The full --help text, showing the range and default of every flag. */
void flags_usage(FILE *out);

/* The configuration as the fields of the report's records (docs/output.md): one per flag
 * that has a record name, in --help order (hidden, activation, lr, max_iters, batch,
 * init_std, seed, data), so a new flag's field shows up without touching the report. */
int flags_n_fields(void);
/* The name of field i, 0 <= i < flags_n_fields(). */
const char *flags_field_name(int i);
/* The value of field i in cfg as text, or NULL when it has none (a file flag not given).
 * A number or a list is written to buf (size bytes); a name or a path is returned as it is,
 * pointing into cfg's strings. *is_string (if not NULL) says whether the value is a string
 * (a list, a name, a path: JSON quotes it) rather than a number. */
const char *flags_field_value(const struct config *cfg, int i, char *buf, size_t size,
			      int *is_string);

/* The long name of field i's flag: "lr-step" for the field lr_step. */
const char *flags_field_flag(int i);

/* Set the field called name (a record name: "lr", "max_iters") to value, its text as the
 * records write it, parsed as its flag's value is (a switch takes 0 or 1). Returns 1; 0
 * when no field has that name; -1 when the value is one its flag refuses, and why (size
 * bytes) says so as the command line would ("--lr: 'x' is not a number"). */
int flags_set_field(struct config *cfg, const char *name, const char *value, char *why,
		    size_t size);

#endif
