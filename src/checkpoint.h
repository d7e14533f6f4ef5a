/* checkpoint.h: the command line's side of model files. --save after training, --load with
 * the flags it must agree with, and the paths a model must not be written over. The format
 * itself is src/model.h. */
#ifndef BPTRAIN_CHECKPOINT_H
#define BPTRAIN_CHECKPOINT_H

#include "flags.h" /* struct config */
#include "idx.h"   /* struct dataset */
#include "model.h" /* struct model */
#include "net.h"
#include "optim.h"
#include "rng.h"
#include "train.h" /* struct train_result, enum train_status */

/* No output file (--save, --log, --plot, --misclassified) may be an input (--load, the data
 * files) or another output: the run would destroy what it reads or write two things into
 * one file (EXIT_USAGE). And --save's directory must be writable (EXIT_RUNTIME). Returns
 * EXIT_OK, or that status after a one-line message naming the flag. */
int checkpoint_check_paths(const struct config *cfg);

/* --load: the model, its net built for cfg's batches, after checking that the net flags
 * given (--hidden, --activation, --batchnorm, --dropout) agree with the file; then cfg's net
 * fields take the file's values, so the records describe the net that runs. For training,
 * the command line's --weight-decay and --seed replace the file's (a new run's loss and
 * dropout masks). Returns EXIT_OK, EXIT_RUNTIME (a bad file) or EXIT_USAGE (a flag that
 * contradicts it), after a one-line message. */
int checkpoint_load(struct model *m, struct config *cfg);

/* A model file a run goes on from (--resume): the model, and its configuration. */
struct resume {
	struct model model;
	char *lines; /* the configuration as strings, which cfg->data_dir may point into */
	int iters;   /* the run's own --iters (max_iters) */
};

/* --resume: the model with its training state, and cfg set as its run was configured (the
 * file's conf section): every flag that shaped training takes the file's value, and one
 * given that says otherwise is a usage error naming it. Free to differ: --iters and
 * --epochs (the total to reach; by default the run's own), --data (the images' shape is
 * checked once they are loaded), and the output flags. Returns EXIT_OK, EXIT_RUNTIME (a
 * file that is bad, or holds no run to resume) or EXIT_USAGE, after a one-line message;
 * res is freed with checkpoint_resume_free either way. */
int checkpoint_resume(struct resume *res, struct config *cfg);

/* Once the data are loaded and cfg->iters is known: they are the run's (image shape,
 * classes, the number of training images), its state is consistent with them, and there
 * is something left to run. Returns EXIT_OK, EXIT_RUNTIME or EXIT_USAGE (a target not past
 * the iterations done, or a cosine schedule asked to end elsewhere), after a message. */
int checkpoint_check_resume(const struct config *cfg, const struct resume *res,
			    const struct dataset *train, const struct dataset *test);

/* The state train_run goes on from; it points into res, which must outlive the run. */
void checkpoint_resume_state(const struct resume *res, struct train_state *s);

void checkpoint_resume_free(struct resume *res);

/* The data sets suit the loaded model: the same image size, no label past its classes.
 * Returns 0, or -1 after a message naming both files. */
int checkpoint_check_data(const struct config *cfg, const struct model *m,
			  const struct dataset *train, const struct dataset *test);

/* --save after train_run: the net, and the state the run ended in (optimizer, generator,
 * counters, the configuration). A diverged run is not saved. Returns 0, or -1 after a
 * message. */
int checkpoint_save(const struct config *cfg, const struct net *net, const struct dataset *train,
		    const struct optim *optim, const struct rng *rng,
		    const struct train_result *result, enum train_status status);

#endif
