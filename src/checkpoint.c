/* checkpoint.c: --save, --load and the rules around them. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "checkpoint.h"

#include <limits.h>
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
	struct role_ inputs[1 + N_DATA_FILES] = {{"--load", cfg->load_path, "the --load model"}};
	for (int i = 0; i < N_DATA_FILES; i++) {
		snprintf(data[i], sizeof data[i], "%s/%s", cfg->data_dir, data_files_[i]);
		inputs[1 + i] = (struct role_){"--data", data[i], "a data file"};
	}
	int n_out = (int)(sizeof outputs / sizeof outputs[0]);
	for (int o = 0; o < n_out; o++) {
		if (!outputs[o].path)
			continue;
		for (int p = 0; p < n_out + 1 + N_DATA_FILES; p++) {
			const struct role_ *other = p < n_out ? &outputs[p] : &inputs[p - n_out];
			if (p == o || !other->path || !same_file_(outputs[o].path, other->path))
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

static const struct layer *
find_kind_(const struct net *net, enum layer_kind kind)
{
	for (int i = 0; i < net->n_layers; i++)
		if (net->layer[i].kind == kind)
			return &net->layer[i];
	return NULL;
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
	if (cfg->batchnorm && !find_kind_(net, LAYER_BATCHNORM)) {
		warnf("--batchnorm: %s has no batch normalization", file);
		return -1;
	}
	const struct layer *dropout = find_kind_(net, LAYER_DROPOUT);
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
	const struct layer *dropout = find_kind_(net, LAYER_DROPOUT);
	cfg->n_hidden = net->n_affine - 1;
	for (int l = 0; l < cfg->n_hidden; l++)
		cfg->hidden[l] = net->dims[l + 1];
	cfg->activation = net->activation;
	cfg->batchnorm = find_kind_(net, LAYER_BATCHNORM) != NULL;
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

int
checkpoint_check_data(const struct config *cfg, const struct model *m,
		      const struct dataset *train, const struct dataset *test)
{
	const char *dir = cfg->data_dir;
	if (train->rows != m->rows || train->cols != m->cols) {
		warnf("%s: a net for %dx%d images, but %s/%s has %dx%d", cfg->load_path, m->rows,
		      m->cols, dir, data_files_[0], train->rows, train->cols);
		return -1;
	}
	int classes = m->net.dims[m->net.n_affine];
	const struct dataset *sets[2] = {train, test};
	for (int s = 0; s < 2; s++)
		if (sets[s]->classes > classes) {
			warnf("%s: a net for %d classes, but %s/%s has labels up to %d",
			      cfg->load_path, classes, dir, data_files_[2 * s + 1],
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
	for (int i = -1; i < flags_n_fields(); i++) {
		char buf[64];
		const char *name = i < 0 ? "load" : flags_field_name(i);
		const char *value = i < 0 ? cfg->load_path
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
	struct model_train tr = {
		.end = status == TRAIN_INTERRUPTED ? MODEL_END_INTERRUPTED : MODEL_END_DONE,
		.iters_done = (uint64_t)result->iters_done,
		.epoch_steps = (uint64_t)result->epoch_steps, .epoch_loss = result->epoch_loss,
		.rng = *rng, .optim = optim, .config = config,
	};
	int rc = model_save(cfg->save_path, net, train->rows, train->cols, &tr);
	free(config);
	return rc;
}
