/* progress.h: the progress line on a terminal: a bar, percent, samples per second, elapsed
 * time and ETA, redrawn in place on stderr a few times a second and never wider than the
 * terminal (a wrapped line would leave a trail of copies). */
#ifndef BPTRAIN_PROGRESS_H
#define BPTRAIN_PROGRESS_H

#include <stddef.h>

struct progress {
	int enabled;       /* stderr is a terminal and not --quiet */
	int iters, epoch_iters, batch;
	size_t eval_rows;  /* images one evaluation runs through (train, validation, test) */
	int start;         /* steps done before this run (--resume), 0 for a new one */
	double first;      /* when step start + 1 began */
	double last_draw;  /* -1 before the first */
	double eval_start; /* while evaluating, when it began; else -1 */
	double eval_s;     /* seconds spent evaluating so far ... */
	int n_evals;       /* ... in this many evaluations */
	int done;          /* steps done */
	int shown;         /* characters on the line now, which a redraw or clear covers */
};

/* What one line shows; progress_format lays it out. */
struct progress_view {
	int epoch, epochs;    /* the epoch under way, 1-based, and how many there are */
	double fraction;      /* of the steps done, 0 to 1 */
	double samples_per_s; /* training throughput; 0: not known yet */
	double elapsed_s, eta_s; /* eta_s < 0: not known yet */
	int evaluating;
};

/* start: the steps a resumed run has behind it (0 for a new run); the bar starts there,
 * and the rate and ETA count only the steps this run takes. */
void progress_init(struct progress *p, int enabled, int iters, int epoch_iters, int batch,
		   size_t eval_rows, int start);
/* Step iter (1-based) is starting. */
void progress_step(struct progress *p, int iter);
/* An evaluation starts, and ends. */
void progress_evaluating(struct progress *p);
void progress_evaluated(struct progress *p);
/* Blank the line, so that whatever is printed next starts clean. */
void progress_clear(struct progress *p);

/* What the line shows at time now (now_sec): the view of p's counts and timings. */
struct progress_view progress_view(const struct progress *p, double now);

/* The line for v in at most width - 1 columns into buf (size > width), dropping the rate,
 * then the epoch, then the bar when they do not fit; returns its length. */
int progress_format(char *buf, size_t size, int width, const struct progress_view *v);

#endif
