/* report.h: everything a run tells its user. Training hands over one record per epoch; the
 * reporter writes it as a text table, CSV or JSON lines to stdout and/or the --log file,
 * shows progress on a terminal, keeps the series for --plot, and ends with the summary.
 * Field names are the same in every format (docs/output.md). */
#ifndef BPTRAIN_REPORT_H
#define BPTRAIN_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "util.h" /* struct atomic_file */

#include "flags.h" /* struct config, enum format */
#include "idx.h"   /* struct dataset */
#include "net.h"   /* struct net */
#include "progress.h" /* struct progress */

/* One evaluation: at the end of each epoch and after the last iteration. The val_ fields are
 * NaN without a validation set (the records then leave them empty). */
struct report_epoch {
	int epoch;            /* 1-based; the last one may be partial */
	int iter;             /* iterations done so far */
	double loss;          /* mean training loss over this epoch's iterations */
	double lr;            /* the learning rate of the epoch's last step */
	double train_acc;     /* fraction of the training set classified correctly */
	double val_acc, val_loss; /* accuracy and mean cross-entropy on the validation set */
	double test_acc, test_loss; /* the same on the test set */
	double time_s;        /* this epoch's wall time, evaluation included */
	double samples_per_s; /* training throughput this epoch, evaluation excluded */
	double train_s;       /* seconds spent in SGD steps since the start */
};

/* How the run ended, for the final record. */
struct report_final {
	int iter;         /* iterations actually done */
	int best_epoch;   /* --early-stop: the epoch whose weights and numbers these are; else 0 */
	double loss;      /* as in the last epoch record (the best one's with best_epoch) */
	double train_acc, val_acc, val_loss, test_acc, test_loss;
	double train_s;   /* seconds in SGD steps */
	const char *status; /* "ok", "diverged" or "interrupted" */
};

struct report {
	const struct config *cfg;
	FILE *out;          /* stdout */
	FILE *log;          /* the --log file's stream (log_file.f), or NULL */
	struct atomic_file log_file; /* renamed into place by report_finish */
	enum format log_format;
	struct progress progress; /* on stderr when it is a terminal and not --quiet */
	double start;       /* when the run started, for total_s */
	char net_desc[128]; /* "784-50-10" */
	size_t n_params;
	int epoch_iters;
	int show_lr;        /* the text table has a learning rate column */
	int show_val;       /* ... and validation columns */
	int last_epoch;     /* the last epoch reported, 0 before the first */

	/* Every epoch record, kept only when a plot is wanted. */
	struct report_epoch *series;
	int n_series, cap_series;
};

/* Set up reporting for cfg; start is the program's start time (now_sec). Opens the --log
 * file. Returns 0, or -1 with a message naming the file. */
int report_open(struct report *rep, const struct config *cfg, double start);

/* The run's description: the header lines in text mode, the CSV header. done: the
 * iterations a resumed run (--resume) went on from, 0 for a new run. */
void report_begin(struct report *rep, const struct net *net, const struct dataset *train,
		  const struct dataset *val, const struct dataset *test, int epoch_iters,
		  int done);

/* Called every iteration: redraws the progress line on a terminal a few times a second. */
void report_progress(struct report *rep, int iter);
/* Called as an evaluation starts: the progress line says so until the epoch's record. */
void report_evaluating(struct report *rep);

void report_epoch(struct report *rep, const struct report_epoch *e);

/* --log-every: the mean training loss of the steps since the last such record, at
 * iteration iter; a "step" record in CSV and JSON (the text table stays per epoch). */
void report_step(struct report *rep, int iter, double loss);

/* The final record (in text mode the key=value summary line, always stdout's last line),
 * then the plot, then closing the log. Returns 0, or -1 with a message if the log or the
 * plot could not be written. Frees everything report_open allocated. */
int report_finish(struct report *rep, const struct report_final *fin);

/* s as a JSON string with its quotes, as every record writer quotes it (CSV fields:
 * csv_put, src/csv.h). */
void report_json_string(FILE *f, const char *s);

#endif
