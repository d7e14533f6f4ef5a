/* flags.c: the command line as one table, flags_[]. A row per flag gives its names, the kind
 * and range of its value, its default, its help text, where the value goes in struct config
 * and what the report's records call it. The getopt_long options, the parsing, --help and
 * the configuration fields of the records are all made from the table, so they cannot
 * disagree, and a new flag is a new row (plus its struct config field).
 *
 * GNU-style long options (--lr 0.1 and --lr=0.1) with strict number parsing: no atoi, so
 * "--iters abc" is an error rather than a silent 0. */
#include "flags.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h" /* POOL_MAX_THREADS, pool_default_threads */
#include "util.h" /* warnf, fmt_float, BPTRAIN_VERSION */

/* Upper bounds that keep every size computation far from overflow. */
#define MAX_HIDDEN (1 << 16)
#define MAX_BATCH (1 << 20)
#define MAX_SEED 0x7fffffffffffffffLL /* so a seed also reads back as a long long */

/* --gradcheck's --batch unless one is given: the book's gradient check uses 3 images. */
#define GRADCHECK_BATCH 3
/* --dump-activations' --batch unless one is given: the book feeds 1000 inputs. */
#define DUMP_BATCH 1000
#define STR_(x) #x
#define STR(x) STR_(x)

/* --help: descriptions start at this column and lines end by HELP_WIDTH. */
#define HELP_COLUMN 22
#define HELP_WIDTH 79

/* getopt_long's value for a flag with no short name: its row index plus this, above any
 * character a short name could be. */
#define LONG_ONLY 256

enum flag_kind {
	FLAG_INT,     /* an int in [min, max] */
	FLAG_SEED,    /* a uint64_t from 0 to MAX_SEED */
	FLAG_FLOAT,   /* a float in [min, max], above min if min_open; normal unless zero */
	FLAG_LIST,    /* comma-separated ints, each in [min, max], into an int array */
	FLAG_CHOICE,  /* one of the names in choices, into an int-sized enum */
	FLAG_PATH,    /* a non-empty name (pointing into argv), ending in suffix if given */
	FLAG_SWITCH,  /* no value: raises an int to raise_to */
	FLAG_HELP,    /* no value: prints --help, then flags_parse returns FLAGS_EXIT */
	FLAG_VERSION, /* no value: prints the version, likewise */
};

struct flag_choice {
	const char *name;
	int value; /* the enum constant */
};

struct flag {
	const char *name;    /* the long option, without the dashes */
	char short_name;     /* a one-letter alias, or 0 */
	enum flag_kind kind;
	size_t offset;       /* where the value goes: AT_(type, member), or ENUM_AT_ */
	const char *metavar; /* the value in --help ("N", "FILE"); NULL for no value */
	double min, max;     /* FLAG_INT, FLAG_FLOAT, FLAG_LIST items: the range (exact for ints) */
	int min_open;        /* FLAG_FLOAT: min itself is out of range (a learning rate > 0) */
	const struct flag_choice *choices; /* FLAG_CHOICE: ends with a NULL name */
	const char *suffix;  /* FLAG_PATH: the name must end in this, or NULL */
	const char *noun;    /* FLAG_PATH: "file" or "directory"; FLAG_LIST: what items are */
	size_t count_offset; /* FLAG_LIST: where the number of items goes, an int, ... */
	int max_count;       /* ... at most this many (the array's length: CAPACITY_) ... */
	const char *count_noun; /* ... which are these ("hidden layers") */
	int raise_to;        /* FLAG_SWITCH: the int becomes at least this */
	const char *def;     /* the default, as text parsed like a given value; NULL: 0 or NULL */
	int (*def_fn)(void); /* FLAG_INT: instead of def, a default known only at run time */
	const char *env;     /* an environment variable whose non-empty value overrides def */
	const char *record;  /* the report's name for the value (docs/output.md), or NULL */
	const char *help;    /* --help text; the range and default are added from the row */
};

/* offsetof(struct config, member), which compiles only if the member has the C type the
 * row's kind stores (the member is not evaluated, as in sizeof). */
#define AT_(type, member) \
	_Generic(((struct config *)0)->member, type: offsetof(struct config, member))
#define CAPACITY_(member) \
	(int)(sizeof ((struct config *)0)->member / sizeof ((struct config *)0)->member[0])

/* AT_ for a FLAG_CHOICE's enum member, which also refuses to compile (an array of negative
 * size) unless the enum is int-sized, since the choice is written through an int. */
#define ENUM_AT_(type, member) \
	(AT_(type, member) + 0 * sizeof(char[sizeof(type) == sizeof(int) ? 1 : -1]))

/* In --help order, which is also the order of the configuration in the report's records. */
static const struct flag flags_[] = {
	{.name = "hidden", .kind = FLAG_LIST, .offset = AT_(int *, hidden), .metavar = "LIST",
	 .min = 1, .max = MAX_HIDDEN, .noun = "sizes", .count_offset = AT_(int, n_hidden),
	 .max_count = CAPACITY_(hidden), .count_noun = "hidden layers", .def = "50",
	 .record = "hidden", .help = "hidden layer sizes, comma-separated"},
	{.name = "activation", .kind = FLAG_CHOICE,
	 .offset = ENUM_AT_(enum activation, activation), .metavar = "NAME", .def = "relu",
	 .record = "activation",
	 .choices = (const struct flag_choice[]){{"relu", ACT_RELU}, {"sigmoid", ACT_SIGMOID},
						 {NULL, 0}},
	 .help = "the hidden layers' activation function"},
	{.name = "lr", .kind = FLAG_FLOAT, .offset = AT_(float, lr), .metavar = "X", .min = 0,
	 .min_open = 1, .max = 1e6, .def = "0.1", .record = "lr", .help = "learning rate"},
	{.name = "schedule", .kind = FLAG_CHOICE, .offset = ENUM_AT_(enum schedule_kind, schedule),
	 .metavar = "NAME", .def = "constant", .record = "schedule",
	 .choices = (const struct flag_choice[]){{"constant", SCHEDULE_CONSTANT},
						 {"step", SCHEDULE_STEP},
						 {"cosine", SCHEDULE_COSINE}, {NULL, 0}},
	 .help = "the learning rate over training: constant, times --lr-gamma every --lr-step "
		 "epochs, or a cosine down to 0 at the last step"},
	{.name = "lr-step", .kind = FLAG_INT, .offset = AT_(int, lr_step), .metavar = "EPOCHS",
	 .min = 1, .max = FLAGS_MAX_ITERS, .def = "1", .record = "lr_step",
	 .help = "--schedule step: epochs between decays"},
	{.name = "lr-gamma", .kind = FLAG_FLOAT, .offset = AT_(float, lr_gamma), .metavar = "G",
	 .min = 0, .min_open = 1, .max = 1, .def = "0.1", .record = "lr_gamma",
	 .help = "--schedule step: the factor of each decay"},
	{.name = "warmup", .kind = FLAG_INT, .offset = AT_(int, warmup), .metavar = "EPOCHS",
	 .min = 0, .max = FLAGS_MAX_ITERS, .def = "0", .record = "warmup",
	 .help = "raise the learning rate linearly to --lr over the first EPOCHS epochs"},
	{.name = "iters", .kind = FLAG_INT, .offset = AT_(int, iters), .metavar = "N", .min = 1,
	 .max = FLAGS_MAX_ITERS, .def = "10000", .record = "max_iters",
	 .help = "training steps (records show the number run, also when --epochs sets it)"},
	{.name = "epochs", .kind = FLAG_INT, .offset = AT_(int, epochs), .metavar = "N", .min = 0,
	 .max = FLAGS_MAX_ITERS, .def = "0", .record = "epochs",
	 .help = "instead of --iters, train N epochs of ⌈training images / batch⌉ steps (0: use "
		 "--iters)"},
	{.name = "sampling", .kind = FLAG_CHOICE, .offset = ENUM_AT_(enum sampling, sampling),
	 .metavar = "NAME", .def = "replace", .record = "sampling",
	 .choices = (const struct flag_choice[]){{"replace", SAMPLING_REPLACE},
						 {"shuffle", SAMPLING_SHUFFLE}, {NULL, 0}},
	 .help = "each batch drawn with replacement (the book's), or a new seeded shuffle each "
		 "epoch that uses every image once"},
	{.name = "batch", .kind = FLAG_INT, .offset = AT_(int, batch), .metavar = "N", .min = 1,
	 .max = MAX_BATCH, .def = "100", .record = "batch",
	 .help = "samples per iteration"},
	{.name = "init-std", .kind = FLAG_FLOAT, .offset = AT_(float, init_std), .metavar = "X",
	 .min = 0, .max = 100, .def = "0.01", .record = "init_std",
	 .help = "std of the initial weights"},
	{.name = "init", .kind = FLAG_CHOICE, .offset = ENUM_AT_(enum weight_init, init),
	 .metavar = "NAME", .def = "std", .record = "init",
	 .choices = (const struct flag_choice[]){{"std", INIT_STD}, {"xavier", INIT_XAVIER},
						 {"he", INIT_HE}, {NULL, 0}},
	 .help = "initial weights: N(0, init-std²), Xavier's N(0, 1/n_in) or He's "
		 "N(0, 2/n_in)"},
	{.name = "optimizer", .kind = FLAG_CHOICE, .offset = ENUM_AT_(enum optim_kind, optimizer),
	 .metavar = "NAME", .def = "sgd", .record = "optimizer",
	 .choices = (const struct flag_choice[]){{"sgd", OPTIM_SGD}, {"momentum", OPTIM_MOMENTUM},
						 {"nesterov", OPTIM_NESTEROV},
						 {"adagrad", OPTIM_ADAGRAD},
						 {"rmsprop", OPTIM_RMSPROP}, {"adam", OPTIM_ADAM},
						 {NULL, 0}},
	 .help = "the update rule (the book's formulas, docs/optimizers.md)"},
	{.name = "momentum", .kind = FLAG_FLOAT, .offset = AT_(float, momentum), .metavar = "X",
	 .min = 0, .max = 1, .def = "0.9", .record = "momentum",
	 .help = "momentum and nesterov: the velocity's decay"},
	{.name = "alpha", .kind = FLAG_FLOAT, .offset = AT_(float, alpha), .metavar = "X",
	 .min = 0, .max = 1, .def = "0.99", .record = "alpha",
	 .help = "rmsprop: the squared gradients' decay"},
	{.name = "beta1", .kind = FLAG_FLOAT, .offset = AT_(float, beta1), .metavar = "X",
	 .min = 0, .max = 0.9999999, .def = "0.9", .record = "beta1",
	 .help = "adam: the first moment's decay"},
	{.name = "beta2", .kind = FLAG_FLOAT, .offset = AT_(float, beta2), .metavar = "X",
	 .min = 0, .max = 0.9999999, .def = "0.999", .record = "beta2",
	 .help = "adam: the second moment's decay"},
	{.name = "eps", .kind = FLAG_FLOAT, .offset = AT_(float, eps), .metavar = "X", .min = 0,
	 .min_open = 1, .max = 1, .def = "1e-07", .record = "eps",
	 .help = "adagrad, rmsprop, adam: added to the root of the squared gradients"},
	{.name = "weight-decay", .kind = FLAG_FLOAT, .offset = AT_(float, weight_decay),
	 .metavar = "X", .min = 0, .max = 1000, .def = "0", .record = "weight_decay",
	 .help = "λ of the L2 penalty ½λ‖W‖² on the weights (not the biases)"},
	{.name = "dropout", .kind = FLAG_FLOAT, .offset = AT_(float, dropout), .metavar = "P",
	 .min = 0, .max = 0.99, .def = "0", .record = "dropout",
	 .help = "drop each hidden unit with probability P in training (inverted dropout: "
		 "the kept ones scaled by 1/(1-P)); none in evaluation"},
	{.name = "batchnorm", .kind = FLAG_SWITCH, .offset = AT_(int, batchnorm), .raise_to = 1,
	 .record = "batchnorm",
	 .help = "batch normalization after each hidden affine layer (learnable gamma, beta; "
		 "running averages in evaluation)"},
	{.name = "augment", .kind = FLAG_SWITCH, .offset = AT_(int, augment), .raise_to = 1,
	 .record = "augment",
	 .help = "distort every training image a little (shift, rotation, scale, an elastic "
		 "field: src/augment.h), drawn anew each step; evaluation sees the originals"},
	{.name = "seed", .kind = FLAG_SEED, .offset = AT_(uint64_t, seed), .metavar = "N",
	 .def = "42", .record = "seed", .help = "random seed for init and sampling"},
	{.name = "threads", .kind = FLAG_INT, .offset = AT_(int, threads), .metavar = "N",
	 .min = 1, .max = POOL_MAX_THREADS, .def_fn = pool_default_threads,
	 .help = "threads, by default one per online CPU; results are identical for any N"},
	{.name = "train-size", .kind = FLAG_INT, .offset = AT_(int, train_size), .metavar = "N",
	 .min = 0, .max = FLAGS_MAX_ITERS, .def = "0", .record = "train_size",
	 .help = "train on the first N training images only (0: all of them but --val's)"},
	{.name = "val", .kind = FLAG_INT, .offset = AT_(int, val), .metavar = "N", .min = 0,
	 .max = FLAGS_MAX_ITERS, .def = "0", .record = "val",
	 .help = "hold out the last N training images as a validation set (val_acc, val_loss) "
		 "and train on the others"},
	{.name = "early-stop", .kind = FLAG_INT, .offset = AT_(int, early_stop), .metavar = "K",
	 .min = 0, .max = FLAGS_MAX_ITERS, .def = "0", .record = "early_stop",
	 .help = "with --val: stop after K epochs without a better val_acc and keep the best "
		 "epoch's weights (0: never)"},
	{.name = "data", .kind = FLAG_PATH, .offset = AT_(const char *, data_dir),
	 .metavar = "DIR", .noun = "directory", .def = "mnist", .env = "BPTRAIN_DATA",
	 .record = "data", .help = "directory with the four MNIST IDX files"},
	{.name = "format", .kind = FLAG_CHOICE, .offset = ENUM_AT_(enum format, format),
	 .metavar = "NAME", .def = "text",
	 .choices = (const struct flag_choice[]){{"text", FORMAT_TEXT}, {"csv", FORMAT_CSV},
						 {"json", FORMAT_JSON}, {NULL, 0}},
	 .help = "what stdout shows: a table, CSV, or JSON (one object per line); the last "
		 "record is the summary"},
	{.name = "quiet", .short_name = 'q', .kind = FLAG_SWITCH, .offset = AT_(int, quiet),
	 .raise_to = 1, .help = "print only the final summary and no progress (progress goes "
				"to stderr only when stderr is a terminal)"},
	{.name = "log", .kind = FLAG_PATH, .offset = AT_(const char *, log_path),
	 .metavar = "FILE", .noun = "file",
	 .help = "also write every record to FILE: JSON lines if FILE ends in .json or .jsonl, "
		 "CSV otherwise"},
	{.name = "log-every", .kind = FLAG_INT, .offset = AT_(int, log_every), .metavar = "N",
	 .min = 0, .max = FLAGS_MAX_ITERS, .def = "0",
	 .help = "also a 'step' record every N iterations with their mean training loss, in "
		 "CSV and JSON and in the --log file (0: none)"},
	{.name = "plot", .kind = FLAG_PATH, .offset = AT_(const char *, plot_path),
	 .metavar = "FILE", .suffix = ".svg", .noun = "file",
	 .help = "write the learning curves (accuracy, loss) as SVG"},
	{.name = "plot-runs", .kind = FLAG_PATH, .offset = AT_(const char *, plot_runs),
	 .metavar = "FILE", .noun = "file",
	 .help = "instead of training, draw the runs in the CSV FILE, one line per value of "
		 "--group (and a panel per value of --facet), into the --plot SVG, and exit"},
	{.name = "plot-activations", .kind = FLAG_PATH,
	 .offset = AT_(const char *, plot_activations), .metavar = "FILE", .noun = "file",
	 .help = "instead of training, draw the histograms (--dump-activations) in the CSV FILE, "
		 "a row per value of --group and a column per hidden layer, into the --plot SVG, "
		 "and exit"},
	{.name = "group", .kind = FLAG_PATH, .offset = AT_(const char *, group),
	 .metavar = "COLUMN", .noun = "column name",
	 .help = "with --plot-runs or --plot-activations: the column that tells the runs apart"},
	{.name = "facet", .kind = FLAG_PATH, .offset = AT_(const char *, facet),
	 .metavar = "COLUMN", .noun = "column name",
	 .help = "with --plot-runs: a grid of small panels, one per value of this column"},
	{.name = "metric", .kind = FLAG_PATH, .offset = AT_(const char *, metric),
	 .metavar = "FIELD", .noun = "field name",
	 .help = "what to draw: with --plot-runs, the step records' loss (--log-every, the "
		 "default) against the iteration, or any field of the epoch records (train_acc, "
		 "val_acc, test_loss, ...) against the epoch; with --plot-sweep, the y axis "
		 "(default val_acc when every run has one, else test_acc)"},
	{.name = "plot-sweep", .kind = FLAG_PATH, .offset = AT_(const char *, plot_sweep),
	 .metavar = "FILE", .noun = "file",
	 .help = "instead of training, draw the runs in the CSV FILE (scripts/sweep.sh's, or "
		 "final records) as dots against --x, coloured by --color, the best ringed, with "
		 "a heatmap for a 2-D grid, into the --plot SVG, and exit"},
	{.name = "x", .kind = FLAG_PATH, .offset = AT_(const char *, x_column),
	 .metavar = "COLUMN", .noun = "column name",
	 .help = "with --plot-sweep: the column along the x axis"},
	{.name = "color", .kind = FLAG_PATH, .offset = AT_(const char *, color),
	 .metavar = "COLUMN", .noun = "column name",
	 .help = "with --plot-sweep: the column that colours the dots (and the heatmap's rows)"},
	{.name = "gradcheck", .kind = FLAG_SWITCH, .offset = AT_(int, gradcheck), .raise_to = 1,
	 .help = "check backprop against numerical gradients on the first --batch training "
		 "images (default " STR(GRADCHECK_BATCH) " there) and exit"},
	{.name = "gradcheck-all", .kind = FLAG_SWITCH, .offset = AT_(int, gradcheck),
	 .raise_to = 2, .help = "the same, checking every parameter instead of a sample"},
	{.name = "dump-activations", .kind = FLAG_PATH,
	 .offset = AT_(const char *, dump_activations), .metavar = "FILE", .noun = "file",
	 .help = "instead of training, run the first --batch training images (default "
		 STR(DUMP_BATCH) " there) through the untrained net and write a histogram of each "
		 "hidden layer's activations to the CSV FILE, and exit"},
	{.name = "save", .kind = FLAG_PATH, .offset = AT_(const char *, save_path),
	 .metavar = "FILE", .noun = "file",
	 .help = "after training (also when interrupted), write the model to FILE: the net and "
		 "the training state (docs/model-format.md)"},
	{.name = "load", .kind = FLAG_PATH, .offset = AT_(const char *, load_path),
	 .metavar = "FILE", .noun = "file",
	 .help = "take the net from the model FILE instead of initialising one, and train it "
		 "further with the training flags given; --hidden, --activation, --batchnorm and "
		 "--dropout, if given, must match the file"},
	{.name = "resume", .kind = FLAG_PATH, .offset = AT_(const char *, resume_path),
	 .metavar = "FILE", .noun = "file",
	 .help = "go on with the run saved in the model FILE from the step where it stopped, "
		 "until --iters N or --epochs N in all (default: the run's own), with the same "
		 "results as had it never stopped; the flags that shaped training come from FILE "
		 "and, if given, must agree with it"},
	{.name = "evaluate", .kind = FLAG_SWITCH, .offset = AT_(int, evaluate), .raise_to = 1,
	 .help = "with --load: no training; the accuracy on the training and test sets and "
		 "the test set's confusion matrix"},
	{.name = "misclassified", .kind = FLAG_PATH,
	 .offset = AT_(const char *, misclassified_path), .metavar = "FILE", .suffix = ".svg", .noun = "file",
	 .help = "with --evaluate: draw the first " STR(MISCLASSIFIED_SHOWN) " test digits it "
		 "gets wrong, with their true and predicted labels, as SVG"},
	{.name = "predict", .kind = FLAG_SWITCH, .offset = AT_(int, predict), .raise_to = 1,
	 .metavar = "FILE...",
	 .help = "with --load: classify the images FILE... (binary PGM of the net's input size, "
		 "or - for raw bytes on stdin, one image per input size) and print each one's "
		 "class and probability"},
	{.name = "help", .short_name = 'h', .kind = FLAG_HELP, .help = "show this help and exit"},
	{.name = "version", .short_name = 'V', .kind = FLAG_VERSION,
	 .help = "show the version and exit"},
};
#define N_FLAGS (int)(sizeof flags_ / sizeof flags_[0])
_Static_assert(N_FLAGS <= 64, "struct config's given has a bit per flag");

/* The row called name; a misspelt name is a bug in this file. */
static int
row_named_(const char *name)
{
	for (int i = 0; i < N_FLAGS; i++)
		if (strcmp(flags_[i].name, name) == 0)
			return i;
	abort();
}

static int
takes_value_(const struct flag *fl)
{
	switch (fl->kind) {
	case FLAG_INT:
	case FLAG_SEED:
	case FLAG_FLOAT:
	case FLAG_LIST:
	case FLAG_CHOICE:
	case FLAG_PATH:
		return 1;
	case FLAG_SWITCH:
	case FLAG_HELP:
	case FLAG_VERSION:
		return 0;
	}
	abort();
}

/* Why a value was refused, without the "bptrain: " prefix: the command line prints it as it
 * is; a model's configuration prints it after the file's name. */
struct why_ {
	char text[256];
};

static int
refuse_(struct why_ *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fill why; returns -1, for the parsers' "return refuse_(...)". */
static int
refuse_(struct why_ *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why->text, sizeof why->text, fmt, ap);
	va_end(ap);
	return -1;
}

/* Parse a whole decimal integer in [min, max]; the error names the flag. */
static int
parse_long_(const char *flag, const char *text, long long min, long long max, long long *out,
	    struct why_ *why)
{
	char *end;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	/* strto* skip leading blanks; a flag value with blanks is a quoting mistake. */
	if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
		return refuse_(why, "--%s: '%s' is not an integer", flag, text);
	if (errno == ERANGE || value < min || value > max)
		return refuse_(why, "--%s: %s is out of range (%lld to %lld)", flag, text, min, max);
	*out = value;
	return 0;
}

static int
parse_int_(const char *flag, const char *text, double min, double max, int *out,
	   struct why_ *why)
{
	long long value;
	if (parse_long_(flag, text, (long long)min, (long long)max, &value, why) != 0)
		return -1;
	*out = (int)value;
	return 0;
}

static int
parse_seed_(const char *flag, const char *text, uint64_t *out, struct why_ *why)
{
	long long value;
	if (parse_long_(flag, text, 0, MAX_SEED, &value, why) != 0)
		return -1;
	*out = (uint64_t)value;
	return 0;
}

/* Parse a finite number; min_open selects > min instead of >= min. */
static int
parse_float_(const char *flag, const char *text, double min, int min_open, double max,
	     float *out, struct why_ *why)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);
	if (end == text || *end != '\0' || isspace((unsigned char)text[0]))
		return refuse_(why, "--%s: '%s' is not a number", flag, text);
	if (!isfinite(value) || errno == ERANGE)
		return refuse_(why, "--%s: '%s' is not a finite number", flag, text);
	if (value < min || (min_open && value == min) || value > max)
		return refuse_(why, "--%s: %s is out of range (%s %.9g to %.9g)", flag, text,
			       min_open ? "above" : "from", min, max);
	/* The value is used as a float: 1e-50 would silently become 0 (and 1e-40 a slow
	 * subnormal), so a non-zero value must stay a normal float. Found by fuzzing. */
	float f = (float)value;
	if (value != 0.0 && !isnormal(f))
		return refuse_(why, "--%s: %s is too small to use (the smallest is %g)", flag,
			       text, (double)FLT_MIN);
	*out = f;
	return 0;
}

/* A whole list replaces the previous one: --hidden 3,3 --hidden 7 is one hidden layer. */
static int
parse_list_(const struct flag *fl, const char *text, struct config *cfg, struct why_ *why)
{
	int *items = (int *)((char *)cfg + fl->offset);
	int count = 0;
	const char *p = text;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[32];
		if (len == 0 || len >= sizeof item)
			return refuse_(why, "--%s: '%s' is not a comma-separated list of %s",
				       fl->name, text, fl->noun);
		if (count == fl->max_count)
			return refuse_(why, "--%s: at most %d %s", fl->name, fl->max_count,
				       fl->count_noun);
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_int_(fl->name, item, fl->min, fl->max, &items[count], why) != 0)
			return -1;
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*(int *)((char *)cfg + fl->count_offset) = count;
	return 0;
}

/* "relu or sigmoid", "text, csv or json": for errors and --help. */
static void
choice_list_(const struct flag *fl, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; fl->choices[i].name && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i == 0 ? "" : fl->choices[i + 1].name ? ", " : " or ",
					 fl->choices[i].name);
}

static int
parse_choice_(const struct flag *fl, const char *text, int *out, struct why_ *why)
{
	for (const struct flag_choice *c = fl->choices; c->name; c++)
		if (strcmp(text, c->name) == 0) {
			*out = c->value;
			return 0;
		}
	char names[128];
	choice_list_(fl, names, sizeof names);
	return refuse_(why, "--%s: '%s' is not %s", fl->name, text, names);
}

/* A file or directory name: not empty and, if the row has a suffix, ending in it (so --plot
 * x.png is caught here rather than producing an SVG named .png). */
static int
parse_path_(const struct flag *fl, const char *text, const char **out, struct why_ *why)
{
	size_t len = strlen(text), slen = fl->suffix ? strlen(fl->suffix) : 0;
	if (len == 0)
		return refuse_(why, "--%s: the %s name is empty", fl->name, fl->noun);
	if (fl->suffix && (len <= slen || strcmp(text + len - slen, fl->suffix) != 0))
		return refuse_(why, "--%s: '%s' does not end in %s", fl->name, text, fl->suffix);
	*out = text;
	return 0;
}

/* fl's value arg into cfg; -1 with the reason in why. A switch's arg is NULL on the command
 * line (it raises the int to raise_to), or its recorded value, 0 to raise_to, from a
 * model's configuration. */
static int
set_value_(const struct flag *fl, struct config *cfg, const char *arg, struct why_ *why)
{
	void *at = (char *)cfg + fl->offset;
	switch (fl->kind) {
	case FLAG_INT:
		return parse_int_(fl->name, arg, fl->min, fl->max, at, why);
	case FLAG_SEED:
		return parse_seed_(fl->name, arg, at, why);
	case FLAG_FLOAT:
		return parse_float_(fl->name, arg, fl->min, fl->min_open, fl->max, at, why);
	case FLAG_LIST:
		return parse_list_(fl, arg, cfg, why);
	case FLAG_CHOICE:
		return parse_choice_(fl, arg, at, why);
	case FLAG_PATH:
		return parse_path_(fl, arg, at, why);
	case FLAG_SWITCH:
		if (arg)
			return parse_int_(fl->name, arg, 0, fl->raise_to, at, why);
		if (*(int *)at < fl->raise_to)
			*(int *)at = fl->raise_to;
		return 0;
	case FLAG_HELP:
	case FLAG_VERSION:
		break;
	}
	abort(); /* they have no value: apply_ handles them */
}

/* Apply one flag, with its value arg (NULL for a flag that takes none), to cfg. */
static enum flags_result
apply_(const struct flag *fl, struct config *cfg, const char *arg)
{
	switch (fl->kind) {
	case FLAG_HELP:
		flags_usage(stdout);
		return FLAGS_EXIT;
	case FLAG_VERSION:
		printf("bptrain %s\n", BPTRAIN_VERSION);
		return FLAGS_EXIT;
	case FLAG_INT:
	case FLAG_SEED:
	case FLAG_FLOAT:
	case FLAG_LIST:
	case FLAG_CHOICE:
	case FLAG_PATH:
	case FLAG_SWITCH:
		break;
	}
	struct why_ why;
	if (set_value_(fl, cfg, arg, &why) == 0)
		return FLAGS_RUN;
	warnf("%s", why.text);
	return FLAGS_USAGE;
}

/* Every flag's default into cfg, through the same parsing as a given value; use_env lets
 * the environment override (not for --help, which names the variable instead). */
static enum flags_result
defaults_(struct config *cfg, int use_env)
{
	memset(cfg, 0, sizeof *cfg);
	for (int i = 0; i < N_FLAGS; i++) {
		const struct flag *fl = &flags_[i];
		const char *env = use_env && fl->env ? getenv(fl->env) : NULL;
		const char *text = env && *env ? env : fl->def;
		if (fl->def_fn)
			*(int *)((char *)cfg + fl->offset) = fl->def_fn();
		else if (text && apply_(fl, cfg, text) != FLAGS_RUN)
			return FLAGS_USAGE;
	}
	return FLAGS_RUN;
}

/* cfg's value of fl as text: a number or list is written to buf, a name or path returned as
 * it is; NULL for a path not given, or a flag with no value. */
static const char *
format_value_(const struct flag *fl, const struct config *cfg, char *buf, size_t size)
{
	const void *at = (const char *)cfg + fl->offset;
	const char *text = buf;
	switch (fl->kind) {
	case FLAG_INT:
	case FLAG_SWITCH:
		snprintf(buf, size, "%d", *(const int *)at);
		break;
	case FLAG_SEED:
		snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)at);
		break;
	case FLAG_FLOAT:
		fmt_float(buf, size, *(const float *)at);
		break;
	case FLAG_LIST: {
		int count = *(const int *)((const char *)cfg + fl->count_offset);
		size_t used = 0;
		buf[0] = '\0';
		for (int i = 0; i < count && used < size; i++)
			used += (size_t)snprintf(buf + used, size - used, "%s%d", i ? "," : "",
						 ((const int *)at)[i]);
		break;
	}
	case FLAG_CHOICE:
		text = NULL;
		for (const struct flag_choice *c = fl->choices; c->name; c++)
			if (c->value == *(const int *)at)
				text = c->name;
		break;
	case FLAG_PATH:
		text = *(const char *const *)at;
		break;
	case FLAG_HELP:
	case FLAG_VERSION:
		text = NULL;
		break;
	}
	return text;
}

/* The range of fl's values in words, for --help; "" when it has none. */
static void
range_text_(const struct flag *fl, char *buf, size_t size)
{
	buf[0] = '\0';
	switch (fl->kind) {
	case FLAG_INT:
		snprintf(buf, size, "%lld to %lld", (long long)fl->min, (long long)fl->max);
		break;
	case FLAG_SEED:
		snprintf(buf, size, "0 to %lld", MAX_SEED);
		break;
	case FLAG_FLOAT:
		/* %.9g: the exact bound (0.9999999 must not show as 1, which is refused). */
		snprintf(buf, size, "%s %.9g to %.9g", fl->min_open ? "above" : "from", fl->min,
			 fl->max);
		break;
	case FLAG_LIST:
		snprintf(buf, size, "at most %d %s of %lld to %lld", fl->max_count, fl->count_noun,
			 (long long)fl->min, (long long)fl->max);
		break;
	case FLAG_CHOICE:
		choice_list_(fl, buf, size);
		break;
	case FLAG_PATH:
	case FLAG_SWITCH:
	case FLAG_HELP:
	case FLAG_VERSION:
		break;
	}
}

/* What --help adds to a row's text: " (range; default value)", either part alone, or "".
 * The default is the value defaults holds, so it is the one parsing starts from. */
static void
help_extra_(const struct flag *fl, const struct config *defaults, char *buf, size_t size)
{
	char range[128], value[64];
	range_text_(fl, range, sizeof range);
	const char *def = fl->def || fl->def_fn ? format_value_(fl, defaults, value, sizeof value)
						: NULL;
	buf[0] = '\0';
	if (!range[0] && !def)
		return;
	size_t used = (size_t)snprintf(buf, size, " (%s%s", range, range[0] && def ? "; " : "");
	if (used >= size)
		return;
	if (def && fl->env)
		snprintf(buf + used, size - used, "default $%s, else %s)", fl->env, def);
	else if (def)
		snprintf(buf + used, size - used, "default %s)", def);
	else
		snprintf(buf + used, size - used, ")");
}

/* text word-wrapped to the --help column, its first line going on from column col. */
static void
put_wrapped_(FILE *out, int col, const char *text)
{
	if (col > HELP_COLUMN - 2) {
		fputc('\n', out);
		col = 0;
	}
	fprintf(out, "%*s", HELP_COLUMN - col, "");
	col = HELP_COLUMN;
	for (const char *p = text; *p; p += strspn(p, " ")) {
		int len = (int)strcspn(p, " ");
		if (col > HELP_COLUMN && col + 1 + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		} else if (col > HELP_COLUMN) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, (size_t)len, out);
		col += len;
		p += len;
	}
	fputc('\n', out);
}

/* One flag's entry in --help: "  -q, --quiet" or "  --plot FILE.svg", then its text. */
static void
usage_row_(FILE *out, const struct flag *fl, const struct config *defaults)
{
	int col = fprintf(out, "  ");
	if (fl->short_name)
		col += fprintf(out, "-%c, ", fl->short_name);
	col += fprintf(out, "--%s", fl->name);
	if (fl->metavar)
		col += fprintf(out, " %s%s", fl->metavar, fl->suffix ? fl->suffix : "");
	char text[512];
	size_t used = (size_t)snprintf(text, sizeof text, "%s", fl->help);
	if (used < sizeof text)
		help_extra_(fl, defaults, text + used, sizeof text - used);
	put_wrapped_(out, col, text);
}

void
flags_usage(FILE *out)
{
	struct config defaults;
	/* The table's own defaults cannot fail to parse (test_flags parses them every run). */
	(void)defaults_(&defaults, 0);
	fputs("usage: bptrain [options]\n"
	      "Train a neural net on MNIST with backpropagation and minibatch SGD.\n"
	      "\n", out);
	for (int i = 0; i < N_FLAGS; i++)
		usage_row_(out, &flags_[i], &defaults);
	fputs("\n"
	      "A repeated flag: the last one wins. Ctrl-C (SIGINT) or SIGTERM stops after the\n"
	      "current step, evaluates, and prints the summary with status=interrupted.\n"
	      "\n"
	      "Exit status: 0 ok, 1 runtime error (bad data, model or image, diverged,\n"
	      "gradient check failed), 2 bad usage, 130 or 143 interrupted by SIGINT or\n"
	      "SIGTERM.\n", out);
}

/* The getopt_long option array and short-option string for the table. */
static void
make_options_(struct option options[], char *shorts)
{
	int n = 0;
	shorts[n++] = ':'; /* a missing value is reported as ':', not as an unknown '?' */
	for (int i = 0; i < N_FLAGS; i++) {
		const struct flag *fl = &flags_[i];
		int has_arg = takes_value_(fl) ? required_argument : no_argument;
		options[i] = (struct option){fl->name, has_arg, NULL,
					     fl->short_name ? fl->short_name : LONG_ONLY + i};
		if (fl->short_name) {
			shorts[n++] = fl->short_name;
			if (has_arg == required_argument)
				shorts[n++] = ':';
		}
	}
	options[N_FLAGS] = (struct option){NULL, 0, NULL, 0};
	shorts[n] = '\0';
}

/* The row getopt_long's return value opt stands for, or -1 for ':' and '?'. */
static int
row_of_(int opt)
{
	if (opt >= LONG_ONLY && opt < LONG_ONLY + N_FLAGS)
		return opt - LONG_ONLY;
	for (int i = 0; i < N_FLAGS; i++)
		if (flags_[i].short_name && flags_[i].short_name == opt)
			return i;
	return -1;
}

/* getopt_long takes any unique prefix of a long option; a prefix of several gets the same
 * '?' as an unknown one. Say which flags it could be; returns 0 if it is not a prefix of
 * two or more. */
static int
ambiguous_(const char *arg)
{
	if (strncmp(arg, "--", 2) != 0)
		return 0;
	size_t len = strcspn(arg + 2, "=");
	char names[256] = "";
	int n = 0;
	for (int i = 0; i < N_FLAGS; i++)
		if (len > 0 && strncmp(flags_[i].name, arg + 2, len) == 0) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof names - used, "%s--%s", n ? ", " : "",
				 flags_[i].name);
			n++;
		}
	if (n < 2)
		return 0;
	warnf("ambiguous option '%.*s': it could be %s", (int)len + 2, arg, names);
	return 1;
}

/* The one-line error for what getopt_long refused (opt is ':' or '?'). */
static enum flags_result
bad_option_(int opt, char **argv)
{
	const char *arg = argv[optind - 1];
	if (opt == ':')
		warnf("%s: missing argument (see --help)", arg);
	/* getopt_long sets optopt to a known long option's value when it was given a value it
	 * does not take (--gradcheck=1), and to 0 when it is unknown. */
	else if (optopt && strncmp(arg, "--", 2) == 0)
		warnf("'%s': %.*s takes no value (see --help)", arg, (int)strcspn(arg, "="), arg);
	else if (optopt && optopt < LONG_ONLY)
		warnf("unknown option '-%c' (see --help)", optopt);
	else if (!ambiguous_(arg))
		warnf("unknown option '%s' (see --help)", arg);
	return FLAGS_USAGE;
}

/* The rules between the model flags (--save, --load, --evaluate, --predict) and the rest. */
static enum flags_result
combine_model_(const struct config *cfg, const int given[])
{
	if (cfg->resume_path && (cfg->load_path || cfg->evaluate || cfg->predict ||
				 cfg->gradcheck || cfg->dump_activations || cfg->plot_runs ||
				 cfg->plot_activations)) {
		warnf("--resume: trains on from the file; not with --load, --evaluate, --predict, "
		      "--gradcheck, --dump-activations, --plot-runs or --plot-activations");
		return FLAGS_USAGE;
	}
	const char *mode = cfg->evaluate ? "--evaluate" : cfg->predict ? "--predict" : NULL;
	const char *error = NULL;
	if (mode && !cfg->load_path)
		error = "needs --load FILE, the model to use";
	else if (cfg->evaluate && cfg->predict)
		error = "one or the other of --evaluate and --predict";
	else if (cfg->predict && cfg->n_predict == 0)
		error = "no image given (PGM files, or - for raw bytes on stdin)";
	else if (mode && (cfg->save_path || cfg->log_path || cfg->plot_path || cfg->log_every))
		error = "prints its own records: --save, --log, --plot and --log-every are for "
			"training";
	if (error) {
		warnf("%s: %s", mode, error);
		return FLAGS_USAGE;
	}
	if (cfg->misclassified_path && !cfg->evaluate) {
		warnf("--misclassified: only with --evaluate");
		return FLAGS_USAGE;
	}
	if ((cfg->gradcheck || cfg->plot_runs) && (cfg->load_path || cfg->save_path)) {
		warnf("%s: not with --load or --save",
		      cfg->gradcheck ? "--gradcheck" : "--plot-runs");
		return FLAGS_USAGE;
	}
	/* A loaded net is not initialised: better an error than flags that do nothing. */
	static const char *const init_flags[] = {"init", "init-std"};
	for (int i = 0; i < 2 && cfg->load_path; i++)
		if (given[row_named_(init_flags[i])]) {
			warnf("--%s: the net comes from --load %s, not from initial weights",
			      init_flags[i], cfg->load_path);
			return FLAGS_USAGE;
		}
	return FLAGS_RUN;
}

/* The rules of the modes that draw a CSV instead of training. */
static enum flags_result
plot_modes_(struct config *cfg, const int given[])
{
	if (cfg->plot_runs && (!cfg->plot_path || !cfg->group || cfg->gradcheck)) {
		warnf("--plot-runs: needs --plot FILE.svg and --group COLUMN, and no --gradcheck");
		return FLAGS_USAGE;
	}
	if (cfg->plot_activations && (!cfg->plot_path || !cfg->group || cfg->gradcheck ||
				      cfg->plot_runs)) {
		warnf("--plot-activations: needs --plot FILE.svg and --group COLUMN, and no "
		      "--gradcheck or --plot-runs");
		return FLAGS_USAGE;
	}
	if (cfg->plot_sweep && (!cfg->plot_path || !cfg->x_column || cfg->gradcheck ||
				cfg->plot_runs || cfg->plot_activations)) {
		warnf("--plot-sweep: needs --plot FILE.svg and --x COLUMN, and no --gradcheck, "
		      "--plot-runs or --plot-activations");
		return FLAGS_USAGE;
	}
	if (given[row_named_("facet")] && !cfg->plot_runs) {
		warnf("--facet: only means something with --plot-runs");
		return FLAGS_USAGE;
	}
	if (given[row_named_("metric")] && !cfg->plot_runs && !cfg->plot_sweep) {
		warnf("--metric: only means something with --plot-runs or --plot-sweep");
		return FLAGS_USAGE;
	}
	if ((cfg->x_column || cfg->color) && !cfg->plot_sweep) {
		warnf("--%s: only means something with --plot-sweep", cfg->x_column ? "x" : "color");
		return FLAGS_USAGE;
	}
	if (cfg->group && !cfg->plot_runs && !cfg->plot_activations) {
		warnf("--group: only means something with --plot-runs or --plot-activations");
		return FLAGS_USAGE;
	}
	/* --plot-sweep's default y axis depends on its rows (val_acc when every run has one),
	 * so the table has no default; --plot-runs' is the training loss. */
	if (cfg->plot_runs && !cfg->metric)
		cfg->metric = "loss";
	return FLAGS_RUN;
}

/* The rules between flags, once all are read; given[i] says whether row i was given. */
static enum flags_result
combine_(struct config *cfg, const int given[])
{
	if (combine_model_(cfg, given) != FLAGS_RUN)
		return FLAGS_USAGE;
	/* A gradient check has no epochs to log or plot: better an error than silence. */
	if (cfg->gradcheck && (cfg->format != FORMAT_TEXT || cfg->log_path || cfg->plot_path)) {
		warnf("--gradcheck: prints its own table; --format, --log and --plot are for training");
		return FLAGS_USAGE;
	}
	if (cfg->dump_activations && (cfg->gradcheck || cfg->plot_runs || cfg->plot_activations ||
				      cfg->plot_sweep || cfg->format != FORMAT_TEXT ||
				      cfg->log_path || cfg->plot_path)) {
		warnf("--dump-activations: writes its own CSV; not with --gradcheck, --plot-runs, "
		      "--plot-activations, --plot-sweep, --format, --log or --plot");
		return FLAGS_USAGE;
	}
	if (plot_modes_(cfg, given) != FLAGS_RUN)
		return FLAGS_USAGE;
	if (given[row_named_("epochs")] && given[row_named_("iters")]) {
		warnf("--epochs: says how long to train instead of --iters; give one of them");
		return FLAGS_USAGE;
	}
	/* A resumed run's schedule and validation set come from its file, which is checked
	 * against these flags (checkpoint_resume). */
	if ((given[row_named_("lr-step")] || given[row_named_("lr-gamma")]) &&
	    cfg->schedule != SCHEDULE_STEP && !cfg->resume_path) {
		warnf("--%s: only means something with --schedule step",
		      given[row_named_("lr-step")] ? "lr-step" : "lr-gamma");
		return FLAGS_USAGE;
	}
	if (cfg->early_stop && !cfg->val && !cfg->resume_path) {
		warnf("--early-stop: needs a validation set (--val N) to watch");
		return FLAGS_USAGE;
	}
	if (cfg->gradcheck && !given[row_named_("batch")])
		cfg->batch = GRADCHECK_BATCH;
	if (cfg->dump_activations && !given[row_named_("batch")])
		cfg->batch = DUMP_BATCH;
	return FLAGS_RUN;
}

enum flags_result
flags_parse(struct config *cfg, int argc, char **argv)
{
	struct option options[N_FLAGS + 1];
	char shorts[2 * N_FLAGS + 2];
	make_options_(options, shorts);
	if (defaults_(cfg, 1) != FLAGS_RUN)
		return FLAGS_USAGE;
	opterr = 0; /* we print our own one-line messages */
	/* 0, not 1: glibc then also forgets where it was inside a previous argv (say, after
	 * returning 'V' for "-Vx"), so flags_parse can run again on a fresh argv. */
	optind = 0;
	int given[N_FLAGS] = {0}, opt;
	while ((opt = getopt_long(argc, argv, shorts, options, NULL)) != -1) {
		int i = row_of_(opt);
		if (i < 0)
			return bad_option_(opt, argv);
		given[i] = 1;
		cfg->given |= (uint64_t)1 << i;
		enum flags_result result = apply_(&flags_[i], cfg, optarg);
		if (result != FLAGS_RUN)
			return result;
	}
	/* The arguments that are not flags (getopt_long moves them to the end) are --predict's
	 * images. */
	cfg->predict_files = argv + optind;
	cfg->n_predict = argc - optind;
	if (optind < argc && !cfg->predict) {
		warnf("unexpected argument '%s' (see --help)", argv[optind]);
		return FLAGS_USAGE;
	}
	return combine_(cfg, given);
}

int
flags_given(const struct config *cfg, const char *name)
{
	return (cfg->given >> row_named_(name)) & 1;
}

/* Whether the record holds fl's value as a string (JSON quotes it) rather than a number:
 * "100,64,32" is one string. */
static int
is_string_(const struct flag *fl)
{
	switch (fl->kind) {
	case FLAG_LIST:
	case FLAG_CHOICE:
	case FLAG_PATH:
		return 1;
	case FLAG_INT:
	case FLAG_SEED:
	case FLAG_FLOAT:
	case FLAG_SWITCH:
	case FLAG_HELP:
	case FLAG_VERSION:
		return 0;
	}
	abort();
}

/* The i-th row with a record name. */
static const struct flag *
field_row_(int i)
{
	for (int r = 0; r < N_FLAGS; r++)
		if (flags_[r].record && i-- == 0)
			return &flags_[r];
	abort(); /* i is past flags_n_fields() */
}

const char *
flags_field_flag(int i)
{
	return field_row_(i)->name;
}

int
flags_set_field(struct config *cfg, const char *name, const char *value, char *why,
		size_t size)
{
	for (int r = 0; r < N_FLAGS; r++) {
		if (!flags_[r].record || strcmp(flags_[r].record, name) != 0)
			continue;
		struct why_ reason;
		if (set_value_(&flags_[r], cfg, value, &reason) == 0)
			return 1;
		snprintf(why, size, "%s", reason.text);
		return -1;
	}
	return 0;
}

int
flags_n_fields(void)
{
	int n = 0;
	for (int r = 0; r < N_FLAGS; r++)
		n += flags_[r].record != NULL;
	return n;
}

const char *
flags_field_name(int i)
{
	return field_row_(i)->record;
}

const char *
flags_field_value(const struct config *cfg, int i, char *buf, size_t size, int *is_string)
{
	const struct flag *fl = field_row_(i);
	if (is_string)
		*is_string = is_string_(fl);
	return format_value_(fl, cfg, buf, size);
}
