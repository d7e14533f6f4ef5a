/* flags.c: GNU-style long options (--lr 0.1 and --lr=0.1) with strict number parsing:
 * no atoi, so "--iters abc" is an error rather than a silent 0. */
#include "flags.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "util.h"

#define DEFAULT_HIDDEN 50
#define DEFAULT_LR 0.1f
#define DEFAULT_ITERS 10000
#define DEFAULT_BATCH 100
#define DEFAULT_GRADCHECK_BATCH 3 /* the book's gradient check uses 3 images */
#define DEFAULT_INIT_STD 0.01f
#define DEFAULT_SEED 42
#define DEFAULT_DATA_DIR "mnist"

/* Upper bounds that keep every size computation far from overflow. */
#define MAX_HIDDEN (1 << 16)
#define MAX_ITERS 1000000000
#define MAX_BATCH (1 << 20)

static void
defaults_(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->hidden[0] = DEFAULT_HIDDEN;
	cfg->n_hidden = 1;
	cfg->activation = ACT_RELU;
	cfg->lr = DEFAULT_LR;
	cfg->iters = DEFAULT_ITERS;
	cfg->batch = DEFAULT_BATCH;
	cfg->init_std = DEFAULT_INIT_STD;
	cfg->seed = DEFAULT_SEED;
	cfg->threads = pool_default_threads();
	const char *env = getenv("BPTRAIN_DATA");
	cfg->data_dir = env && *env ? env : DEFAULT_DATA_DIR;
	cfg->format = FORMAT_TEXT;
}

void
flags_usage(FILE *out)
{
	fprintf(out,
		"usage: bptrain [options]\n"
		"Train a neural net on MNIST with backpropagation and minibatch SGD.\n"
		"\n"
		"  --hidden LIST       hidden layer sizes, comma-separated (default %d)\n"
		"  --activation NAME   relu or sigmoid (default relu)\n"
		"  --lr X              learning rate, > 0 (default %g)\n"
		"  --iters N           SGD iterations (default %d)\n"
		"  --batch N           samples per iteration, drawn with replacement (default %d)\n"
		"  --init-std X        std of the initial weights, >= 0 (default %g)\n"
		"  --seed N            random seed for init and sampling (default %d)\n"
		"  --threads N         threads, 1 to %d; results are identical for any N\n"
		"                      (default: the online CPUs, %d here)\n"
		"  --data DIR          directory with the four MNIST IDX files\n"
		"                      (default $BPTRAIN_DATA, else %s)\n"
		"  --format NAME       what stdout shows: text (a table), csv or json (one\n"
		"                      object per line); the last record is the summary\n"
		"                      (default text)\n"
		"  -q, --quiet         print only the final summary and no progress (progress\n"
		"                      goes to stderr only when stderr is a terminal)\n"
		"  --log FILE          also write every record to FILE: JSON lines if FILE ends\n"
		"                      in .json or .jsonl, CSV otherwise\n"
		"  --plot FILE.svg     write the learning curves (accuracy, loss) as SVG\n"
		"  --gradcheck         check backprop against numerical gradients on the first\n"
		"                      --batch training images (default %d there) and exit\n"
		"  --gradcheck-all     the same, checking every parameter instead of a sample\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"A repeated flag: the last one wins. Ctrl-C (SIGINT) or SIGTERM stops after the\n"
		"current step, evaluates, and prints the summary with status=interrupted.\n"
		"\n"
		"Exit status: 0 ok, 1 runtime error (bad data, diverged, gradient check failed),\n"
		"2 bad usage, 130 or 143 interrupted by SIGINT or SIGTERM.\n",
		DEFAULT_HIDDEN, (double)DEFAULT_LR, DEFAULT_ITERS, DEFAULT_BATCH,
		(double)DEFAULT_INIT_STD, DEFAULT_SEED, POOL_MAX_THREADS, pool_default_threads(),
		DEFAULT_DATA_DIR, DEFAULT_GRADCHECK_BATCH);
}

/* Parse a whole decimal integer in [min, max]; the error names the flag. */
static int
parse_long_(const char *flag, const char *text, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	/* strto* skip leading blanks; a flag value with blanks is a quoting mistake. */
	if (end == text || *end != '\0' || isspace((unsigned char)text[0])) {
		warnf("--%s: '%s' is not an integer", flag, text);
		return -1;
	}
	if (errno == ERANGE || value < min || value > max) {
		warnf("--%s: %s is out of range (%lld to %lld)", flag, text, min, max);
		return -1;
	}
	*out = value;
	return 0;
}

static int
parse_int_(const char *flag, const char *text, int min, int max, int *out)
{
	long long value;
	if (parse_long_(flag, text, min, max, &value) != 0)
		return -1;
	*out = (int)value;
	return 0;
}

/* Parse a finite number; min_exclusive selects > min instead of >= min. */
static int
parse_float_(const char *flag, const char *text, double min, int min_exclusive, double max,
	     float *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);
	if (end == text || *end != '\0' || isspace((unsigned char)text[0])) {
		warnf("--%s: '%s' is not a number", flag, text);
		return -1;
	}
	if (!isfinite(value) || errno == ERANGE) {
		warnf("--%s: '%s' is not a finite number", flag, text);
		return -1;
	}
	if (value < min || (min_exclusive && value == min) || value > max) {
		warnf("--%s: %s is out of range (%s %g to %g)", flag, text,
		      min_exclusive ? "above" : "from", min, max);
		return -1;
	}
	/* The value is used as a float: 1e-50 would silently become 0 (and 1e-40 a slow
	 * subnormal), so a non-zero value must stay a normal float. Found by fuzzing. */
	float f = (float)value;
	if (value != 0.0 && !isnormal(f)) {
		warnf("--%s: %s is too small to use (the smallest is %g)", flag, text,
		      (double)FLT_MIN);
		return -1;
	}
	*out = f;
	return 0;
}

static int
parse_hidden_(const char *text, struct config *cfg)
{
	int count = 0;
	const char *p = text;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[32];
		if (len == 0 || len >= sizeof item) {
			warnf("--hidden: '%s' is not a comma-separated list of sizes", text);
			return -1;
		}
		if (count == NET_MAX_AFFINE - 1) {
			warnf("--hidden: at most %d hidden layers", NET_MAX_AFFINE - 1);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_int_("hidden", item, 1, MAX_HIDDEN, &cfg->hidden[count]) != 0)
			return -1;
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	cfg->n_hidden = count;
	return 0;
}

static int
parse_format_(const char *text, enum format *out)
{
	if (strcmp(text, "text") == 0)
		*out = FORMAT_TEXT;
	else if (strcmp(text, "csv") == 0)
		*out = FORMAT_CSV;
	else if (strcmp(text, "json") == 0)
		*out = FORMAT_JSON;
	else {
		warnf("--format: '%s' is not text, csv or json", text);
		return -1;
	}
	return 0;
}

/* An output file name: not empty and, if suffix is given, ending in it (so --plot x.png is
 * caught here rather than producing an SVG named .png). */
static int
parse_path_(const char *flag, const char *text, const char *suffix, const char **out)
{
	size_t len = strlen(text), slen = suffix ? strlen(suffix) : 0;
	if (len == 0) {
		warnf("--%s: the file name is empty", flag);
		return -1;
	}
	if (suffix && (len <= slen || strcmp(text + len - slen, suffix) != 0)) {
		warnf("--%s: '%s' does not end in %s", flag, text, suffix);
		return -1;
	}
	*out = text;
	return 0;
}

enum flags_result
flags_parse(struct config *cfg, int argc, char **argv)
{
	enum { OPT_HIDDEN = 256, OPT_ACTIVATION, OPT_LR, OPT_ITERS, OPT_BATCH, OPT_INIT_STD,
	       OPT_SEED, OPT_THREADS, OPT_DATA, OPT_FORMAT, OPT_LOG, OPT_PLOT, OPT_GRADCHECK,
	       OPT_GRADCHECK_ALL };
	static const struct option options[] = {
		{"hidden", required_argument, NULL, OPT_HIDDEN},
		{"activation", required_argument, NULL, OPT_ACTIVATION},
		{"lr", required_argument, NULL, OPT_LR},
		{"iters", required_argument, NULL, OPT_ITERS},
		{"batch", required_argument, NULL, OPT_BATCH},
		{"init-std", required_argument, NULL, OPT_INIT_STD},
		{"seed", required_argument, NULL, OPT_SEED},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"data", required_argument, NULL, OPT_DATA},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"quiet", no_argument, NULL, 'q'},
		{"log", required_argument, NULL, OPT_LOG},
		{"plot", required_argument, NULL, OPT_PLOT},
		{"gradcheck", no_argument, NULL, OPT_GRADCHECK},
		{"gradcheck-all", no_argument, NULL, OPT_GRADCHECK_ALL},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	defaults_(cfg);
	opterr = 0; /* we print our own one-line messages */
	/* 0, not 1: glibc then also forgets where it was inside a previous argv (say, after
	 * returning 'V' for "-Vx"), so flags_parse can run again on a fresh argv. */
	optind = 0;
	int opt, batch_given = 0;
	long long seed;
	while ((opt = getopt_long(argc, argv, ":hqV", options, NULL)) != -1) {
		int bad = 0;
		switch (opt) {
		case OPT_HIDDEN:
			bad = parse_hidden_(optarg, cfg);
			break;
		case OPT_ACTIVATION:
			if (strcmp(optarg, "relu") == 0)
				cfg->activation = ACT_RELU;
			else if (strcmp(optarg, "sigmoid") == 0)
				cfg->activation = ACT_SIGMOID;
			else {
				warnf("--activation: '%s' is not relu or sigmoid", optarg);
				bad = 1;
			}
			break;
		case OPT_LR:
			bad = parse_float_("lr", optarg, 0.0, 1, 1e6, &cfg->lr);
			break;
		case OPT_ITERS:
			bad = parse_int_("iters", optarg, 1, MAX_ITERS, &cfg->iters);
			break;
		case OPT_BATCH:
			bad = parse_int_("batch", optarg, 1, MAX_BATCH, &cfg->batch);
			batch_given = 1;
			break;
		case OPT_INIT_STD:
			bad = parse_float_("init-std", optarg, 0.0, 0, 100.0, &cfg->init_std);
			break;
		case OPT_SEED:
			bad = parse_long_("seed", optarg, 0, 0x7fffffffffffffffLL, &seed);
			if (!bad)
				cfg->seed = (uint64_t)seed;
			break;
		case OPT_THREADS:
			bad = parse_int_("threads", optarg, 1, POOL_MAX_THREADS, &cfg->threads);
			break;
		case OPT_DATA:
			if (optarg[0] == '\0') {
				warnf("--data: the directory name is empty");
				bad = 1;
			}
			cfg->data_dir = optarg;
			break;
		case OPT_FORMAT:
			bad = parse_format_(optarg, &cfg->format);
			break;
		case 'q':
			cfg->quiet = 1;
			break;
		case OPT_LOG:
			bad = parse_path_("log", optarg, NULL, &cfg->log_path);
			break;
		case OPT_PLOT:
			bad = parse_path_("plot", optarg, ".svg", &cfg->plot_path);
			break;
		case OPT_GRADCHECK:
			if (cfg->gradcheck < 1)
				cfg->gradcheck = 1;
			break;
		case OPT_GRADCHECK_ALL:
			cfg->gradcheck = 2;
			break;
		case 'h':
			flags_usage(stdout);
			return FLAGS_EXIT;
		case 'V':
			printf("bptrain %s\n", BPTRAIN_VERSION);
			return FLAGS_EXIT;
		case ':':
			warnf("%s: missing argument (see --help)", argv[optind - 1]);
			return FLAGS_USAGE;
		default:
			/* getopt_long sets optopt to a known long option's value when it was given
			 * a value it does not take (--gradcheck=1), and to 0 when it is unknown. */
			if (optopt && strncmp(argv[optind - 1], "--", 2) == 0)
				warnf("'%s': %.*s takes no value (see --help)", argv[optind - 1],
				      (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			else if (optopt && optopt < 256)
				warnf("unknown option '-%c' (see --help)", optopt);
			else
				warnf("unknown option '%s' (see --help)", argv[optind - 1]);
			return FLAGS_USAGE;
		}
		if (bad)
			return FLAGS_USAGE;
	}
	if (optind < argc) {
		warnf("unexpected argument '%s' (see --help)", argv[optind]);
		return FLAGS_USAGE;
	}
	/* A gradient check has no epochs to log or plot: better an error than silence. */
	if (cfg->gradcheck && (cfg->format != FORMAT_TEXT || cfg->log_path || cfg->plot_path)) {
		warnf("--gradcheck: prints its own table; --format, --log and --plot are for training");
		return FLAGS_USAGE;
	}
	if (cfg->gradcheck && !batch_given)
		cfg->batch = DEFAULT_GRADCHECK_BATCH;
	return FLAGS_RUN;
}
