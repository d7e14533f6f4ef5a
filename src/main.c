/* bptrain: train a small neural net on MNIST with hand-written backpropagation.
 *
 * main parses the flags, loads the data, builds the net, trains, prints the report, and is
 * the only place that decides the exit status: 0 ok, 1 runtime failure, 2 bad usage,
 * 128 + the signal number when SIGINT or SIGTERM stopped training. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "activations.h" /* activations_dump */
#include "checkpoint.h" /* checkpoint_load, checkpoint_save, checkpoint_check_paths */
#include "evaluate.h"  /* evaluate_run */
#include "flags.h"     /* struct config, flags_parse */
#include "gradcheck.h" /* gradcheck_run, gradcheck_print */
#include "histplot.h"  /* histplot_draw */
#include "idx.h"       /* struct dataset, idx_load */
#include "net.h"       /* struct net, net_init */
#include "optim.h"     /* struct optim */
#include "pool.h"      /* struct pool, pool_create */
#include "predict.h"   /* predict_run */
#include "report.h"    /* struct report, report_open, report_begin, report_finish */
#include "rng.h"       /* struct rng */
#include "runs.h"      /* runs_plot, runs_plot_sweep */
#include "train.h"     /* struct trainer, train_run, EVAL_CHUNK */
#include "util.h"      /* warnf, now_sec, exit statuses */

/* The signal that asked training to stop, or 0. The one mutable global: a signal handler
 * can reach nothing else. The training loop sees it through train_options.stop. */
static volatile sig_atomic_t stop_signal_;

static void
on_stop_signal_(int signo)
{
	/* The first signal is the one that stopped the run (SIGTERM, then an impatient ^C). */
	if (!stop_signal_)
		stop_signal_ = signo;
}

/* Ctrl-C or SIGTERM during training: finish the step, evaluate, report, exit 128+signo.
 * SA_RESETHAND makes a second Ctrl-C kill at once, for when even the evaluation is too long. */
static void
catch_stop_signals_(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal_;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* The data directory: --data or $BPTRAIN_DATA if given; else ./mnist, or, when there is none
 * (bptrain installed, run from anywhere), where bptrain-fetch-mnist puts the data:
 * $XDG_DATA_HOME/bptrain/mnist, ~/.local/share/bptrain/mnist by default. */
static const char *
data_dir_(const struct config *cfg, char *buf, size_t size)
{
	const char *env = getenv("BPTRAIN_DATA");
	struct stat st;
	if (flags_given(cfg, "data") || (env && *env) || stat(cfg->data_dir, &st) == 0)
		return cfg->data_dir;
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n = xdg && *xdg ? snprintf(buf, size, "%s/bptrain/mnist", xdg)
		: home && *home ? snprintf(buf, size, "%s/.local/share/bptrain/mnist", home) : -1;
	if (n < 0 || (size_t)n >= size || stat(buf, &st) != 0)
		return cfg->data_dir;
	return buf;
}

/* Load "<dir>/<prefix>-images-idx3-ubyte" and its labels. */
static int
load_set_(struct dataset *ds, const char *dir, const char *prefix)
{
	char images[4096], labels[4096];
	int n1 = snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte", dir, prefix);
	int n2 = snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte", dir, prefix);
	if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof images || (size_t)n2 >= sizeof labels) {
		warnf("--data: directory name too long");
		return -1;
	}
	return idx_load(ds, images, labels) == IDX_OK ? 0 : -1;
}

static int
load_data_(struct dataset *train, struct dataset *test, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		warnf("--data: '%s' is not a directory (give the directory that holds the four "
		      "IDX files)", dir);
		return -1;
	}
	if (stat(dir, &st) != 0) {
		warnf("data directory '%s' not found: run scripts/fetch_mnist.sh (or make data, or "
		      "bptrain-fetch-mnist once installed), or pass --data DIR", dir);
		return -1;
	}
	if (load_set_(train, dir, "train") != 0)
		return -1;
	if (load_set_(test, dir, "t10k") != 0) {
		dataset_free(train);
		return -1;
	}
	/* The net's input size comes from the training images (784 for MNIST), so other sizes
	 * work, but both sets must agree. */
	if (test->rows != train->rows || test->cols != train->cols) {
		warnf("%s/t10k-images-idx3-ubyte: test images are %dx%d but training images are "
		      "%dx%d", dir, test->rows, test->cols, train->rows, train->cols);
		goto fail;
	}
	/* A zeroed label file is valid IDX, but a one-class net learns nothing. */
	if (train->classes < 2) {
		warnf("%s/train-labels-idx1-ubyte: every label is 0: nothing to learn", dir);
		goto fail;
	}
	if (test->classes > train->classes) {
		warnf("%s/t10k-labels-idx1-ubyte: test labels go up to %d but training labels only "
		      "to %d", dir, test->classes - 1, train->classes - 1);
		goto fail;
	}
	return 0;
fail:
	dataset_free(train);
	dataset_free(test);
	return -1;
}

/* --val, --train-size and --epochs, which need the training set's size: val becomes a view
 * of the training file's last cfg->val images (not to be freed), train the first
 * cfg->train_size of the others (all of them for 0), and cfg->iters what --epochs asks for.
 * The labels' classes still come from the whole file. */
static int
split_(struct config *cfg, struct dataset *train, struct dataset *val)
{
	if ((size_t)cfg->val >= train->count) {
		warnf("--val: %d images asked for, but %s/train-images-idx3-ubyte has only %zu, and "
		      "training needs some", cfg->val, cfg->data_dir, train->count);
		return -1;
	}
	size_t left = train->count - (size_t)cfg->val;
	*val = *train;
	val->pixels += left * (size_t)train->input_size;
	val->labels += left;
	val->count = (size_t)cfg->val;
	if ((size_t)cfg->train_size > left) {
		warnf("--train-size: %d images asked for, but %s/train-images-idx3-ubyte has only "
		      "%zu%s", cfg->train_size, cfg->data_dir, left,
		      cfg->val ? " besides --val's" : "");
		return -1;
	}
	train->count = cfg->train_size > 0 ? (size_t)cfg->train_size : left;
	long long epoch_iters = batches_per_epoch(train->count, cfg->batch);
	if (cfg->epochs > 0 && cfg->epochs * epoch_iters > FLAGS_MAX_ITERS) {
		warnf("--epochs: %d epochs of %lld steps are more than %d steps", cfg->epochs,
		      epoch_iters, FLAGS_MAX_ITERS);
		return -1;
	}
	if (cfg->epochs > 0)
		cfg->iters = (int)(cfg->epochs * epoch_iters);
	return 0;
}

static struct net_options
net_options_(const struct config *cfg)
{
	return (struct net_options){.init = cfg->init, .init_std = cfg->init_std,
				    .weight_decay = cfg->weight_decay, .dropout = cfg->dropout,
				    .batchnorm = cfg->batchnorm, .seed = cfg->seed};
}

static void
print_dims_(FILE *out, const struct net *net)
{
	for (int a = 0; a <= net->n_affine; a++)
		fprintf(out, "%s%d", a ? "-" : "", net->dims[a]);
}

static void
print_gradcheck_(const struct config *cfg, const struct net *net,
		 const struct gradcheck_report *rep, int pass, double seconds, double start)
{
	printf("batch: the first %d training images; loss %.9f (float32), %.9f (float64)\n",
	       cfg->batch, rep->loss32, rep->loss64);
	printf("numerical: float64 central differences, h %g; checked %zu of %zu parameters%s\n",
	       GRADCHECK_STEP, rep->checked, net->n_params,
	       rep->all ? "" : " (a sample with each tensor's largest gradient; --gradcheck-all "
			       "checks every one)");
	printf("pass: |diff| <= max(%g x (|backprop| + |numerical|), floor), floor = %g x "
	       "FLT_EPSILON x the terms' magnitudes + %.1e\n", GRADCHECK_REL_TOL,
	       GRADCHECK_F32_MARGIN, rep->noise_floor);
	gradcheck_print(stdout, rep);
	printf("gradcheck=%s params=%d checked=%zu kinks=%zu weak=%d max_rel_err=%.3e "
	       "max_score=%.3f batch=%d activation=%s init=%s weight_decay=%g dropout=%g "
	       "batchnorm=%d seconds=%.3f total_s=%.3f\n",
	       pass ? "pass" : "fail", rep->n_tensors, rep->checked, rep->kinks, rep->n_weak,
	       rep->max_rel_err, rep->max_score, cfg->batch, activation_name(cfg->activation),
	       init_name(cfg->init), (double)cfg->weight_decay, (double)cfg->dropout,
	       cfg->batchnorm, seconds, now_sec() - start);
}

/* --gradcheck: the net exactly as training would build it, the gradients a training step
 * computes on the first cfg->batch training images, and central differences to compare
 * them with. */
static int
gradcheck_(const struct config *cfg, const struct dataset *train, const int *dims, double start)
{
	if ((size_t)cfg->batch > train->count) {
		warnf("--batch: %d images asked for, but the training set has only %zu", cfg->batch,
		      train->count);
		return EXIT_RUNTIME;
	}
	struct rng rng;
	rng_seed(&rng, cfg->seed);
	struct net net;
	struct net_options opts = net_options_(cfg);
	if (net_init(&net, dims, cfg->n_hidden + 1, cfg->activation, cfg->batch, &opts, &rng) != 0)
		return EXIT_RUNTIME;
	struct trainer t;
	trainer_init(&t, &net, NULL);
	const uint8_t **images = xmalloc((size_t)cfg->batch * sizeof *images);
	for (int i = 0; i < cfg->batch; i++)
		images[i] = train->pixels + (size_t)i * train->input_size;

	printf("bptrain %s gradcheck: net ", BPTRAIN_VERSION);
	print_dims_(stdout, &net);
	printf(" %s, %zu parameters, init %s (W1 std %g), seed %llu; the %s path\n",
	       activation_name(cfg->activation), net.n_params, init_name(cfg->init),
	       init_std_of(cfg->init, cfg->init_std, dims[0]), (unsigned long long)cfg->seed,
	       t.use_fast ? "fast" : "reference");
	double check_start = now_sec();
	struct gradcheck_options opt = {.all = cfg->gradcheck == 2, .seed = cfg->seed};
	struct gradcheck_report rep;
	int pass = gradcheck_run(&rep, &t, images, train->labels, cfg->batch, &opt);
	print_gradcheck_(cfg, &net, &rep, pass, now_sec() - check_start, start);
	free(images);
	trainer_free(&t);
	net_free(&net);
	return pass ? EXIT_OK : EXIT_RUNTIME;
}

/* --dump-activations: the net exactly as training would build it, run once on the first
 * cfg->batch training images. */
static int
dump_activations_(const struct config *cfg, const struct dataset *train, const int *dims)
{
	struct rng rng;
	rng_seed(&rng, cfg->seed);
	struct net net;
	struct net_options opts = net_options_(cfg);
	if (net_init(&net, dims, cfg->n_hidden + 1, cfg->activation, cfg->batch, &opts, &rng) != 0)
		return EXIT_RUNTIME;
	int status = activations_dump(&net, train, cfg, stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	net_free(&net);
	return status;
}

/* Flush stdout and report a write failure (full disk, closed pipe) as a runtime error. */
static int
close_stdout_(void)
{
	int failed = fflush(stdout) != 0;
	if (!failed && ferror(stdout)) {
		/* An earlier write failed, and errno has long moved on: one more write says why
		 * (a reader gone, a full disk), since the cause is still there. */
		clearerr(stdout);
		failed = fputc('\n', stdout) == EOF || fflush(stdout) != 0;
		if (!failed)
			errno = EIO;
		failed = 1;
	}
	if (failed || fclose(stdout) != 0) {
		warnf("error writing standard output:");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* A run that ends no better than guessing has not learned, whatever its status says: a rate
 * so large that the net saturates into one class (--lr 2 and up for the book's net) ends
 * "ok" at 10% and a loss of ln 10. */
static void
warn_if_chance_(const struct net *net, const struct train_result *r, enum train_status status,
		int epoch_iters)
{
	int classes = net->dims[net->n_affine];
	/* Less than an epoch may just be too short to tell. */
	if (status != TRAIN_OK || r->iters_done < epoch_iters || !(r->train.acc < 1.5 / classes))
		return;
	warnf("the net did not learn: train_acc %.4f is chance level for %d classes (try "
	      "another --lr, or more iterations)", r->train.acc, classes);
}

/* The training loop and its final record; returns the exit status. resume: the saved run
 * it goes on from (the net, optim and rng as that run left them), or NULL. */
static int
run_(const struct config *cfg, struct trainer *t, const struct train_data *data,
     struct rng *rng, struct report *rep, struct optim *optim,
     const struct train_state *resume)
{
	struct schedule schedule = {.kind = cfg->schedule, .lr = cfg->lr,
		.step_epochs = cfg->lr_step, .gamma = cfg->lr_gamma, .warmup_epochs = cfg->warmup,
		.epoch_iters = batches_per_epoch(data->train->count, cfg->batch),
		.iters = cfg->iters};
	struct train_options opt = {.iters = cfg->iters, .batch = cfg->batch,
		.sampling = cfg->sampling, .schedule = schedule, .early_stop = cfg->early_stop,
		.augment = cfg->augment, .seed = cfg->seed, .optim = optim,
		.log_every = cfg->log_every, .stop = &stop_signal_, .resume = resume};
	struct train_result result;
	/* Only now: before this, being killed outright loses nothing worth reporting. */
	catch_stop_signals_();
	enum train_status trained = train_run(t, data, &opt, rng, rep, &result);
	int unsaved = cfg->save_path && checkpoint_save(cfg, t->net, data->train, optim, rng,
							&result, trained) != 0;
	static const char *const status_names[] = {
		[TRAIN_OK] = "ok", [TRAIN_DIVERGED] = "diverged", [TRAIN_INTERRUPTED] = "interrupted",
	};
	int status = trained == TRAIN_OK ? EXIT_OK
		     : trained == TRAIN_DIVERGED ? EXIT_RUNTIME
		     : 128 + stop_signal_; /* the shell's code for "killed by signal" */
	warn_if_chance_(t->net, &result, trained, schedule.epoch_iters);
	if (trained == TRAIN_INTERRUPTED)
		warnf("interrupted by %s after iteration %d", stop_signal_ == SIGINT ? "SIGINT"
			: "SIGTERM", result.iters_done);
	struct report_final fin = {.iter = result.iters_done, .best_epoch = result.best_epoch,
		.loss = result.loss, .train_acc = result.train.acc, .val_acc = result.val.acc,
		.val_loss = result.val.loss, .test_acc = result.test.acc,
		.test_loss = result.test.loss, .train_s = result.train_s,
		.status = status_names[trained]};
	if ((report_finish(rep, &fin) != 0 || unsaved) && status == EXIT_OK)
		status = EXIT_RUNTIME;
	train_state_free(&result.state);
	return status;
}

/* The rows a pass of the net must take: the batch, and the evaluation's chunks, which are
 * no larger than the largest set (a set of 2 huge images must not ask for 1000 rows). */
static int
eval_rows_(const struct config *cfg, const struct train_data *data)
{
	size_t largest = data->train->count;
	largest = data->val->count > largest ? data->val->count : largest;
	largest = data->test->count > largest ? data->test->count : largest;
	int chunk = largest < EVAL_CHUNK ? (int)largest : EVAL_CHUNK;
	return cfg->batch > chunk ? cfg->batch : chunk;
}

/* What a run starts from: a new net, optimizer and generator, or a model's. */
struct origin_ {
	struct net net;
	struct optim optim;
	struct rng rng;
	struct train_state state;        /* --resume: where the saved run stopped */
	const struct train_state *resume; /* &state with --resume, else NULL */
};

/* The net from model (--load) or from res's model (--resume, with its optimizer, generator
 * and state), else a new one; returns 0, or -1 after a message. */
static int
origin_(struct origin_ *o, const struct config *cfg, const struct train_data *data,
	const int *dims, struct model *model, struct resume *res)
{
	memset(o, 0, sizeof *o);
	rng_seed(&o->rng, cfg->seed);
	struct net_options opts = net_options_(cfg);
	if (res) {
		model_take_net(&res->model, &o->net);
		model_take_optim(&res->model, &o->optim);
		o->rng = res->model.train.rng;
		checkpoint_resume_state(res, &o->state);
		o->resume = &o->state;
		return 0;
	}
	if (model)
		model_take_net(model, &o->net);
	else if (net_init(&o->net, dims, cfg->n_hidden + 1, cfg->activation, eval_rows_(cfg, data),
			  &opts, &o->rng) != 0)
		return -1;
	struct optim_config oc = {.kind = cfg->optimizer, .lr = cfg->lr, .momentum = cfg->momentum,
				  .alpha = cfg->alpha, .beta1 = cfg->beta1, .beta2 = cfg->beta2,
				  .eps = cfg->eps};
	optim_init(&o->optim, &oc, o->net.n_params);
	return 0;
}

/* Train with cfg (the net from model or res if not NULL), report, and return the exit
 * status. */
static int
train_(const struct config *cfg, const struct train_data *data, const int *dims, double start,
       struct model *model, struct resume *res)
{
	/* A batch drawn with replacement could be larger, but it is always a mistake. */
	if ((size_t)cfg->batch > data->train->count) {
		warnf("--batch: %d images per step, but the training set has only %zu", cfg->batch,
		      data->train->count);
		return EXIT_RUNTIME;
	}
	/* One pool for the whole run, created before the net so a failure leaves nothing to
	 * undo. */
	struct pool *pool = pool_create(cfg->threads, trainer_scratch_bytes(dims[0]));
	if (!pool)
		return EXIT_RUNTIME;
	struct origin_ o;
	if (origin_(&o, cfg, data, dims, model, res) != 0) {
		pool_free(pool);
		return EXIT_RUNTIME;
	}
	struct trainer t;
	trainer_init(&t, &o.net, pool);
	/* The log opens only now, so a run that never starts leaves no empty log behind. */
	struct report rep;
	int status = EXIT_RUNTIME;
	if (report_open(&rep, cfg, start) == 0) {
		int epoch_iters = batches_per_epoch(data->train->count, cfg->batch);
		report_begin(&rep, &o.net, data->train, data->val, data->test, epoch_iters,
			     o.resume ? o.resume->iters_done : 0);
		status = run_(cfg, &t, data, &o.rng, &rep, &o.optim, o.resume);
	}
	trainer_free(&t);
	optim_free(&o.optim);
	net_free(&o.net);
	pool_free(pool);
	return status;
}

/* The modes that read no data set: --plot-runs, --plot-sweep, --plot-activations, and
 * --predict with its model. */
static int
without_data_(const struct config *cfg, struct model *model)
{
	struct runs_plot_spec spec = {.csv_path = cfg->plot_runs, .group = cfg->group,
				      .facet = cfg->facet, .metric = cfg->metric,
				      .svg_path = cfg->plot_path};
	struct sweep_plot_spec sweep = {.csv_path = cfg->plot_sweep, .x = cfg->x_column,
					.color = cfg->color, .metric = cfg->metric,
					.svg_path = cfg->plot_path};
	int status;
	if (cfg->predict)
		status = predict_run(cfg, model);
	else if (cfg->plot_runs)
		status = runs_plot(&spec) ? EXIT_RUNTIME : EXIT_OK;
	else if (cfg->plot_sweep)
		status = runs_plot_sweep(&sweep) ? EXIT_RUNTIME : EXIT_OK;
	else
		status = histplot_draw(cfg->plot_activations, cfg->group, cfg->plot_path)
			     ? EXIT_RUNTIME : EXIT_OK;
	model_free(model);
	int close_status = close_stdout_();
	return status != EXIT_OK ? status : close_status;
}

/* Everything after the flags and the models: the data, then training, --evaluate,
 * --gradcheck or --dump-activations. */
static int
with_data_(struct config *cfg, struct model *model, struct resume *res, double start)
{
	/* After --resume has set cfg->data_dir from its file: that directory when it exists. */
	char xdg[4096];
	cfg->data_dir = data_dir_(cfg, xdg, sizeof xdg);
	struct dataset train, test, val;
	if (load_data_(&train, &test, cfg->data_dir) != 0)
		return EXIT_RUNTIME;
	if (split_(cfg, &train, &val) != 0) {
		dataset_free(&train);
		dataset_free(&test);
		return EXIT_RUNTIME;
	}
	int dims[NET_MAX_AFFINE + 1];
	dims[0] = train.input_size;
	for (int l = 0; l < cfg->n_hidden; l++)
		dims[l + 1] = cfg->hidden[l];
	dims[cfg->n_hidden + 1] = train.classes;
	struct train_data data = {.train = &train, .val = &val, .test = &test};
	int status = EXIT_OK;
	if (cfg->load_path && checkpoint_check_data(cfg, model, &train, &test) != 0)
		status = EXIT_RUNTIME;
	if (status == EXIT_OK && cfg->resume_path)
		status = checkpoint_check_resume(cfg, res, &train, &test);
	if (status == EXIT_OK && cfg->evaluate)
		status = evaluate_run(cfg, model, &train, &test, start);
	else if (status == EXIT_OK)
		status = cfg->gradcheck ? gradcheck_(cfg, &train, dims, start)
			 : cfg->dump_activations ? dump_activations_(cfg, &train, dims)
			 : train_(cfg, &data, dims, start, cfg->load_path ? model : NULL,
				  cfg->resume_path ? res : NULL);
	dataset_free(&train);
	dataset_free(&test);
	return status;
}

int
main(int argc, char **argv)
{
	double start = now_sec();
	/* A reader that goes away (| head) must not kill the run before its log, plot and model
	 * are written: the write error is reported at the end instead (close_stdout_). */
	signal(SIGPIPE, SIG_IGN);
	struct config cfg;
	switch (flags_parse(&cfg, argc, argv)) {
	case FLAGS_EXIT:
		return close_stdout_();
	case FLAGS_USAGE:
		return EXIT_USAGE;
	case FLAGS_RUN:
		break;
	}
	/* --resume reads its file first: it says where the data are. */
	struct resume res = {0};
	int status = cfg.resume_path ? checkpoint_resume(&res, &cfg) : EXIT_OK;
	if (status == EXIT_OK)
		status = checkpoint_check_paths(&cfg);
	struct model model = {0};
	if (status == EXIT_OK && cfg.load_path)
		status = checkpoint_load(&model, &cfg);
	if (status != EXIT_OK) {
		checkpoint_resume_free(&res);
		return status;
	}
	if (cfg.plot_runs || cfg.plot_activations || cfg.plot_sweep || cfg.predict)
		return without_data_(&cfg, &model);
	status = with_data_(&cfg, &model, &res, start);
	model_free(&model);
	checkpoint_resume_free(&res);
	int close_status = close_stdout_();
	return status != EXIT_OK ? status : close_status;
}
