/* checkpoint.c: --save, --load and the rules around them. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "checkpoint.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train.h" /* EVAL_CHUNK */
#include "util.h"

enum { N_DATA_FILES = 4 };
static const char *const data_files_[N_DATA_FILES] = {
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
	"t10k-labels-idx1-ubyte",
};

/* path with its directory resolved (the file itself need not exist), into buf; the path
 * as it is when the directory does not exist either. */
static void
resolve_(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], real[PATH_MAX];
	size_t dir_len = slash ? (size_t)(slash - path) : 0;
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(dir_len ? dir_len : 1), path);
	if (realpath(dir, real))
		snprintf(buf, size, "%s/%s", real, slash ? slash + 1 : path);
	else
		snprintf(buf, size, "%s", path);
}

/* Whether a and b are one file: the same inode when both exist, else the same path once
 * their directories are resolved ("x" and "./x"). Two devices or FIFOs (/dev/null twice)
 * are not: writing them destroys nothing. */
static int
same_file_(const char *a, const char *b)
{
	struct stat sa, sb;
	int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
	if (ea && eb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && S_ISREG(sa.st_mode);
	if (ea || eb)
		return 0;
	char ra[2 * PATH_MAX], rb[2 * PATH_MAX];
	resolve_(a, ra, sizeof ra);
	resolve_(b, rb, sizeof rb);
	return strcmp(ra, rb) == 0;
}

/* A file a run names, and what it is to the run. */
struct role_ {
	const char *flag;
	const char *path; /* NULL: not given */
	const char *what; /* "the --load model", "a data file" */
};

/* The directory an output file is written into (under a temporary name, then renamed) must
 * exist and be writable: found out now, not after an hour of training. A device or FIFO that
 * exists (/dev/stdout) is written directly, so its directory does not matter. */
static int
check_dir_(const char *flag, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return 0;
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1,
		 slash ? path : ".");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
		warnf("%s: cannot write %s into %s:", flag, path, dir);
		return -1;
	}
	return 0;
}

int
checkpoint_check_paths(const struct config *cfg)
{
	const struct role_ outputs[] = {
		{"--save", cfg->save_path, "the --save model"},
		{"--log", cfg->log_path, "the --log file"},
		{"--plot", cfg->plot_path, "the --plot SVG"},
		{"--misclassified", cfg->misclassified_path, "the --misclassified SVG"},
	};
	char data[N_DATA_FILES][PATH_MAX];
	struct role_ inputs[2 + N_DATA_FILES] = {{"--load", cfg->load_path, "the --load model"},
						 {"--resume", cfg->resume_path, "the --resume model"}};
	for (int i = 0; i < N_DATA_FILES; i++) {
		snprintf(data[i], sizeof data[i], "%s/%s", cfg->data_dir, data_files_[i]);
		inputs[2 + i] = (struct role_){"--data", data[i], "a data file"};
	}
	int n_out = (int)(sizeof outputs / sizeof outputs[0]);
	for (int o = 0; o < n_out; o++) {
		if (!outputs[o].path)
			continue;
		for (int p = 0; p < n_out + 2 + N_DATA_FILES; p++) {
			const struct role_ *other = p < n_out ? &outputs[p] : &inputs[p - n_out];
			/* A resumed run may save over the file it went on from: it was read whole
			 * before training, and --save replaces a file only once its new one is
			 * complete, so a run that fails leaves it as it was. */
			int save_over_resume = o == 0 && other == &inputs[1];
			if (p == o || !other->path || save_over_resume ||
			    !same_file_(outputs[o].path, other->path))
				continue;
			warnf("%s: '%s' is %s: choose another name", outputs[o].flag,
			      outputs[o].path, other->what);
			return EXIT_USAGE;
		}
	}
	for (int o = 0; o < n_out; o++)
		if (outputs[o].path && check_dir_(outputs[o].flag, outputs[o].path) != 0)
			return EXIT_RUNTIME;
	return EXIT_OK;
}

/* "50" or "100,64,32": the hidden sizes of dims[1 .. n_affine-1]. */
static void
hidden_text_(char *buf, size_t size, const int *sizes, int n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%d", i ? "," : "", sizes[i]);
	if (n == 0)
		snprintf(buf, size, "none");
}

/* The net flags given must describe the file's net: a loaded net keeps its shape. */
static int
check_net_flags_(const struct config *cfg, const struct net *net)
{
	const char *file = cfg->load_path;
	int n_hidden = net->n_affine - 1;
	char want[128], have[128];
	hidden_text_(want, sizeof want, cfg->hidden, cfg->n_hidden);
	hidden_text_(have, sizeof have, net->dims + 1, n_hidden);
	if (flags_given(cfg, "hidden") && strcmp(want, have) != 0) {
		warnf("--hidden %s: %s has hidden layers %s (a loaded net keeps its shape)", want,
		      file, have);
		return -1;
	}
	if (flags_given(cfg, "activation") && cfg->activation != net->activation) {
		warnf("--activation %s: %s is a %s net", activation_name(cfg->activation), file,
		      activation_name(net->activation));
		return -1;
	}
	if (cfg->batchnorm && !net_first_of(net, LAYER_BATCHNORM)) {
		warnf("--batchnorm: %s has no batch normalization", file);
		return -1;
	}
	const struct layer *dropout = net_first_of(net, LAYER_DROPOUT);
	float rate = dropout ? dropout->rate : 0.0f;
	if (flags_given(cfg, "dropout") && cfg->dropout != rate) {
		warnf("--dropout %g: %s has dropout %g", (double)cfg->dropout, file, (double)rate);
		return -1;
	}
	return 0;
}

/* The net flags take the file's values, so that the records describe the net run. */
static void
adopt_net_flags_(struct config *cfg, const struct net *net)
{
	const struct layer *dropout = net_first_of(net, LAYER_DROPOUT);
	cfg->n_hidden = net->n_affine - 1;
	for (int l = 0; l < cfg->n_hidden; l++)
		cfg->hidden[l] = net->dims[l + 1];
	cfg->activation = net->activation;
	cfg->batchnorm = net_first_of(net, LAYER_BATCHNORM) != NULL;
	cfg->dropout = dropout ? dropout->rate : 0.0f;
}

int
checkpoint_load(struct model *m, struct config *cfg)
{
	int max_batch = cfg->batch > EVAL_CHUNK ? cfg->batch : EVAL_CHUNK;
	if (model_load(m, cfg->load_path, max_batch) != MODEL_OK)
		return EXIT_RUNTIME;
	if (check_net_flags_(cfg, &m->net) != 0) {
		model_free(m);
		return EXIT_USAGE;
	}
	adopt_net_flags_(cfg, &m->net);
	if (!cfg->evaluate && !cfg->predict) {
		m->net.weight_decay = cfg->weight_decay;
		m->net.seed = cfg->seed;
	}
	return EXIT_OK;
}

/* ---- --resume ---- */

/* The index of the configuration field called name, or -1. */
static int
field_index_(const char *name)
{
	for (int i = 0; i < flags_n_fields(); i++)
		if (strcmp(flags_field_name(i), name) == 0)
			return i;
	return -1;
}

/* The fields a resumed run may change: how far it goes (the total), and where the images
 * are (their shape is checked). Every other field shaped training. */
static int
free_field_(const char *name)
{
	return strcmp(name, "max_iters") == 0 || strcmp(name, "epochs") == 0 ||
	       strcmp(name, "data") == 0;
}

/* The file's configuration lines into cfg, each as its flag would set it; res->lines keeps
 * them, split into strings (cfg->data_dir may point there). Every field must be there: a
 * file without one cannot say how its run was trained. Lines that are no field (bptrain=,
 * load=, resume=) are provenance. Returns 0, or -1 after a message naming the file. */
static int
adopt_config_(struct resume *res, struct config *cfg)
{
	const char *file = cfg->resume_path;
	size_t len = strlen(res->model.config);
	res->lines = xmalloc(len + 1);
	memcpy(res->lines, res->model.config, len + 1);
	uint64_t seen = 0;
	/* The loader checked the shape: lines that end, each a name, '=' and a value. */
	for (char *line = res->lines, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		char *eq = strchr(line, '=');
		*end = *eq = '\0';
		int i = field_index_(line);
		char why[256];
		/* A resumed run started where its saved run did: its provenance goes on. */
		if (strcmp(line, "load") == 0)
			cfg->resumed_load = eq + 1;
		if (i < 0)
			continue;
		if (flags_set_field(cfg, line, eq + 1, why, sizeof why) < 0) {
			warnf("%s: its configuration's %s=%s is refused: %s", file, line, eq + 1, why);
			return -1;
		}
		seen |= (uint64_t)1 << i;
	}
	for (int i = 0; i < flags_n_fields(); i++)
		if (!(seen >> i & 1)) {
			warnf("%s: its configuration does not say %s= (saved by an older bptrain?)",
			      file, flags_field_name(i));
			return -1;
		}
	return 0;
}

/* Each flag the command line gave (in given) that shaped training says what the file says. */
static int
check_given_(const struct config *given, const struct config *cfg)
{
	for (int i = 0; i < flags_n_fields(); i++) {
		const char *name = flags_field_name(i), *flag = flags_field_flag(i);
		char want[64], have[64];
		const char *a = flags_field_value(given, i, want, sizeof want, NULL);
		const char *b = flags_field_value(cfg, i, have, sizeof have, NULL);
		if (free_field_(name) || !flags_given(given, flag) ||
		    strcmp(a ? a : "", b ? b : "") == 0)
			continue;
		warnf("--%s %s: %s was trained with %s=%s, and a resumed run keeps its "
		      "configuration", flag, a ? a : "", cfg->resume_path, name, b ? b : "");
		return -1;
	}
	return 0;
}

/* The configuration says what the net and the optimizer in the file are: a file whose
 * sections disagree was not written by a run. */
static int
check_agrees_(const struct config *cfg, const struct model *m)
{
	const struct net *net = &m->net;
	const struct optim_config *o = &m->optim.cfg;
	const struct layer *dropout = net_first_of(net, LAYER_DROPOUT);
	int hidden = cfg->n_hidden == net->n_affine - 1 &&
		     memcmp(cfg->hidden, net->dims + 1, sizeof *cfg->hidden * cfg->n_hidden) == 0;
	const char *bad = !hidden ? "hidden"
		: cfg->activation != net->activation ? "activation"
		: cfg->batchnorm != (net_first_of(net, LAYER_BATCHNORM) != NULL) ? "batchnorm"
		: cfg->dropout != (dropout ? dropout->rate : 0.0f) ? "dropout"
		: cfg->weight_decay != net->weight_decay ? "weight_decay"
		: cfg->seed != net->seed ? "seed"
		: cfg->optimizer != o->kind ? "optimizer"
		: cfg->momentum != o->momentum ? "momentum"
		: cfg->alpha != o->alpha ? "alpha"
		: cfg->beta1 != o->beta1 ? "beta1"
		: cfg->beta2 != o->beta2 ? "beta2"
		: cfg->eps != o->eps ? "eps" : NULL;
	if (!bad)
		return 0;
	warnf("%s: its configuration's %s disagrees with its net or optimizer", cfg->resume_path,
	      bad);
	return -1;
}

/* The net built again for passes of max_batch rows (a --batch larger than the evaluation's
 * chunks), with its state, counters and options. */
static void
regrow_net_(struct net *net, int max_batch)
{
	const struct layer *dropout = net_first_of(net, LAYER_DROPOUT);
	struct net_options opt = {.init = INIT_STD, .weight_decay = net->weight_decay,
				  .dropout = dropout ? dropout->rate : 0.0f,
				  .batchnorm = net_first_of(net, LAYER_BATCHNORM) != NULL,
				  .seed = net->seed};
	struct rng scratch; /* the weights it draws are all replaced */
	rng_seed(&scratch, 0);
	struct net bigger;
	if (net_init(&bigger, net->dims, net->n_affine, net->activation, max_batch, &opt,
		     &scratch) != 0)
		abort(); /* the same sizes built the net before */
	float *state = xmalloc(net_state_floats(net) * sizeof *state);
	net_state_save(net, state);
	net_state_load(&bigger, state);
	free(state);
	bigger.step = net->step;
	net_free(net);
	*net = bigger;
}

int
checkpoint_resume(struct resume *res, struct config *cfg)
{
	memset(res, 0, sizeof *res);
	struct model *m = &res->model;
	const char *file = cfg->resume_path;
	if (model_load(m, file, EVAL_CHUNK) != MODEL_OK)
		return EXIT_RUNTIME;
	const char *missing = !m->has_train ? "it holds a net but no training state"
		: !m->train.has_resume || !m->config ? "it has no resume state (sections resm "
						       "and conf: saved by an older bptrain?)"
		: NULL;
	if (missing) {
		warnf("%s: cannot be resumed: %s; --load trains its net on as a new run", file,
		      missing);
		return EXIT_RUNTIME;
	}
	struct config given = *cfg;
	if (adopt_config_(res, cfg) != 0 || check_agrees_(cfg, m) != 0)
		return EXIT_RUNTIME;
	res->iters = cfg->iters;
	if (check_given_(&given, cfg) != 0)
		return EXIT_USAGE;
	if (flags_given(&given, "iters"))
		cfg->iters = given.iters, cfg->epochs = 0;
	if (flags_given(&given, "epochs"))
		cfg->epochs = given.epochs;
	if (flags_given(&given, "data"))
		cfg->data_dir = given.data_dir;
	if (cfg->batch > m->net.max_batch)
		regrow_net_(&m->net, cfg->batch);
	return EXIT_OK;
}

/* Refuse to resume file, saying why; returns -1. */
static int
not_resumable_(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
not_resumable_(const char *file, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	warnf("%s: cannot be resumed: %s", file, why);
	return -1;
}

/* The saved state fits the data and the configuration: a file that does not was not
 * written by a run on them. */
static int
check_state_(const struct config *cfg, const struct model_train *t, const struct dataset *train)
{
	const char *file = cfg->resume_path;
	unsigned long long done = t->iters_done, per = (unsigned long long)batches_per_epoch(
		train->count, cfg->batch);
	if (train->count != t->train_images)
		return not_resumable_(file, "its run trained on %llu images, but %s gives %zu "
				      "(--train-size %d, --val %d)", (unsigned long long)
				      t->train_images, cfg->data_dir, train->count,
				      cfg->train_size, cfg->val);
	if (t->epoch_steps != done % per)
		return not_resumable_(file, "its unfinished epoch has %llu steps, but %llu "
				      "iterations of %llu an epoch leave %llu",
				      (unsigned long long)t->epoch_steps, done, per, done % per);
	if ((cfg->sampling == SAMPLING_SHUFFLE) != (t->order != NULL))
		return not_resumable_(file, "its run %s, but it %s a shuffled order (section "
				      "shuf)", sampling_name(cfg->sampling),
				      t->order ? "has" : "has no");
	if ((cfg->early_stop > 0 && done >= per) != (t->best_epoch > 0))
		return not_resumable_(file, "early_stop=%d after %llu epochs, but it %s a best "
				      "epoch (section best)", cfg->early_stop, done / per,
				      t->best_epoch ? "has" : "has no");
	if (t->best_epoch > done / per)
		return not_resumable_(file, "its best epoch, %llu, is past the %llu done",
				      (unsigned long long)t->best_epoch, done / per);
	if (t->stopped) {
		warnf("%s: early stopping ended its run after iteration %llu (--early-stop %d): "
		      "there is nothing to resume", file, done, cfg->early_stop);
		return -1;
	}
	return 0;
}

/* The iterations asked for go past the ones done, and a cosine schedule ends where its run
 * planned it: it was shaped by the run's length from the first step. */
static int
check_target_(const struct config *cfg, const struct resume *res)
{
	const char *file = cfg->resume_path;
	const char *flag = cfg->epochs > 0 ? "--epochs" : "--iters";
	int value = cfg->epochs > 0 ? cfg->epochs : cfg->iters;
	unsigned long long done = res->model.train.iters_done;
	if (cfg->schedule == SCHEDULE_COSINE && cfg->iters != res->iters) {
		warnf("%s %d: %s's cosine schedule is planned over its %d iterations, and a resumed "
		      "run keeps it (%d iterations asked for)", flag, value, file, res->iters,
		      cfg->iters);
		return -1;
	}
	if ((unsigned long long)cfg->iters > done)
		return 0;
	if (!flags_given(cfg, "iters") && !flags_given(cfg, "epochs"))
		warnf("--iters: %s's run is complete (%llu of %d iterations); give a larger "
		      "--iters or --epochs to go on", file, done, cfg->iters);
	else
		warnf("%s %d: %s's run has done %llu iterations already (%d asked for: the "
		      "total, not more)", flag, value, file, done, cfg->iters);
	return -1;
}

int
checkpoint_check_resume(const struct config *cfg, const struct resume *res,
			const struct dataset *train, const struct dataset *test)
{
	if (checkpoint_check_data(cfg, &res->model, train, test) != 0 ||
	    check_state_(cfg, &res->model.train, train) != 0)
		return EXIT_RUNTIME;
	return check_target_(cfg, res) != 0 ? EXIT_USAGE : EXIT_OK;
}

void
checkpoint_resume_state(const struct resume *res, struct train_state *s)
{
	const struct model *m = &res->model;
	const struct model_train *t = &m->train;
	*s = (struct train_state){.iters_done = (int)t->iters_done,
		.epoch_steps = (int)t->epoch_steps, .epoch_loss = t->epoch_loss,
		.train_s = t->train_s, .order = m->order, .count = (size_t)t->train_images,
		.next = (size_t)t->next, .best_epoch = (int)t->best_epoch,
		.best_val_acc = t->best_val_acc, .best_loss = t->best_loss, .best = m->best,
		.stopped = t->stopped, .last = m->last};
}

void
checkpoint_resume_free(struct resume *res)
{
	model_free(&res->model);
	free(res->lines);
	memset(res, 0, sizeof *res);
}

int
checkpoint_check_data(const struct config *cfg, const struct model *m,
		      const struct dataset *train, const struct dataset *test)
{
	const char *dir = cfg->data_dir;
	const char *file = cfg->load_path ? cfg->load_path : cfg->resume_path;
	if (train->rows != m->rows || train->cols != m->cols) {
		warnf("%s: a net for %dx%d images, but %s/%s has %dx%d", file, m->rows, m->cols,
		      dir, data_files_[0], train->rows, train->cols);
		return -1;
	}
	int classes = m->net.dims[m->net.n_affine];
	const struct dataset *sets[2] = {train, test};
	for (int s = 0; s < 2; s++)
		if (sets[s]->classes > classes) {
			warnf("%s: a net for %d classes, but %s/%s has labels up to %d", file,
			      classes, dir, data_files_[2 * s + 1],
			      sets[s]->classes - 1);
			return -1;
		}
	return 0;
}

/* The run's configuration as "name=value" lines: the records' fields (docs/output.md),
 * the version that wrote it and the model it started from. A control character in a value
 * (a newline in the data path) becomes '?', since lines are the format. */
static char *
config_text_(const struct config *cfg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	if (!f)
		dief(EXIT_RUNTIME, "out of memory writing the model's configuration");
	fprintf(f, "bptrain=%s\n", BPTRAIN_VERSION);
	for (int i = -2; i < flags_n_fields(); i++) {
		char buf[64];
		const char *name = i == -2 ? "load" : i == -1 ? "resume" : flags_field_name(i);
		const char *load = cfg->load_path ? cfg->load_path : cfg->resumed_load;
		const char *value = i == -2 ? load : i == -1 ? cfg->resume_path
				     : flags_field_value(cfg, i, buf, sizeof buf, NULL);
		if (!value)
			continue;
		fprintf(f, "%s=", name);
		for (const unsigned char *p = (const unsigned char *)value; *p; p++)
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		dief(EXIT_RUNTIME, "out of memory writing the model's configuration");
	return text;
}

int
checkpoint_save(const struct config *cfg, const struct net *net, const struct dataset *train,
		const struct optim *optim, const struct rng *rng,
		const struct train_result *result, enum train_status status)
{
	if (status == TRAIN_DIVERGED) {
		warnf("--save: %s not written: the run diverged", cfg->save_path);
		return -1;
	}
	char *config = config_text_(cfg);
	const struct train_state *st = &result->state;
	struct model_train tr = {
		.end = status == TRAIN_INTERRUPTED ? MODEL_END_INTERRUPTED : MODEL_END_DONE,
		.iters_done = (uint64_t)result->iters_done,
		.epoch_steps = (uint64_t)st->epoch_steps, .epoch_loss = st->epoch_loss,
		.rng = *rng, .optim = optim, .config = config,
		.has_resume = 1, .train_s = st->train_s, .train_images = st->count,
		.order = st->order, .next = st->next, .best_epoch = (uint64_t)st->best_epoch,
		.best_val_acc = st->best_val_acc, .best_loss = st->best_loss,
		.stopped = st->stopped, .best = st->best, .last = st->last,
	};
	int rc = model_save(cfg->save_path, net, train->rows, train->cols, &tr);
	free(config);
	return rc;
}
