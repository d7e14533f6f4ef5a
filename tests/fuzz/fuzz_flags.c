/* fuzz_flags: the command-line parser on arbitrary argument lists. The input is split at NUL
 * bytes into arguments after argv[0] ("--lr\0" "0.5" is bptrain --lr 0.5); each argument gets
 * its own exact-size allocation so the sanitizers catch any read past its end. flags_parse
 * runs many times in one process, which is what needs its getopt state fully reset. --help
 * and --version print to stdout: the drivers send it to /dev/null. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "pool.h" /* POOL_MAX_THREADS */
#include "fuzz.h"

enum { MAX_ARGS = 64 };

/* What a successful parse must satisfy: the ranges flags.c promises (see --help). */
static int
config_ok_(const struct config *cfg)
{
	/* Non-zero floats must be normal: a subnormal or zero lr from "--lr 1e-50" trains
	 * nothing (the first finding, tests/fuzz/regress/flags/lr-underflow). */
	if (!(isnormal(cfg->lr) && cfg->lr > 0 && cfg->lr <= 1e6f))
		return 0;
	if (!((cfg->init_std == 0 || isnormal(cfg->init_std)) && cfg->init_std >= 0 &&
	      cfg->init_std <= 100))
		return 0;
	if (cfg->iters < 1 || cfg->iters > 1000000000 || cfg->batch < 1 || cfg->batch > (1 << 20))
		return 0;
	if (cfg->seed > 0x7fffffffffffffffULL)
		return 0;
	if (cfg->activation != ACT_RELU && cfg->activation != ACT_SIGMOID)
		return 0;
	if (cfg->gradcheck < 0 || cfg->gradcheck > 2)
		return 0;
	/* The chapter 6 options (docs/optimizers.md). */
	if (cfg->init < INIT_STD || cfg->init > INIT_HE || cfg->optimizer < OPTIM_SGD ||
	    cfg->optimizer > OPTIM_ADAM || (cfg->batchnorm & ~1))
		return 0;
	if (!(cfg->momentum >= 0 && cfg->momentum <= 1 && cfg->alpha >= 0 && cfg->alpha <= 1 &&
	      cfg->beta1 >= 0 && cfg->beta1 < 1 && cfg->beta2 >= 0 && cfg->beta2 < 1))
		return 0;
	if (!(cfg->eps > 0 && cfg->eps <= 1 && cfg->weight_decay >= 0 && cfg->weight_decay <= 1000 &&
	      cfg->dropout >= 0 && cfg->dropout < 1))
		return 0;
	if (cfg->threads < 1 || cfg->threads > POOL_MAX_THREADS)
		return 0;
	if (cfg->format < FORMAT_TEXT || cfg->format > FORMAT_JSON || (cfg->quiet & ~1))
		return 0;
	if ((cfg->log_path && !cfg->log_path[0]) || (cfg->plot_path && !cfg->plot_path[0]))
		return 0;
	/* The activation modes: names not empty, never with a gradient check or each other. */
	if ((cfg->dump_activations && (!cfg->dump_activations[0] || cfg->gradcheck ||
				       cfg->plot_runs || cfg->plot_activations || cfg->plot_path)) ||
	    (cfg->plot_activations && (!cfg->plot_activations[0] || !cfg->group || !cfg->plot_path)))
		return 0;
	/* The model flags' rules (combine_model_ in flags.c). */
	if ((cfg->evaluate & ~1) || (cfg->predict & ~1) || cfg->n_predict < 0 ||
	    ((cfg->evaluate || cfg->predict) && (!cfg->load_path || cfg->save_path)) ||
	    (cfg->evaluate && cfg->predict) || (cfg->misclassified_path && !cfg->evaluate) ||
	    (cfg->n_predict > 0) != (cfg->predict != 0))
		return 0;
	if ((cfg->save_path && !cfg->save_path[0]) || (cfg->load_path && !cfg->load_path[0]))
		return 0;
	/* --plot-sweep: a file, an x column and an SVG; --x and --color only with it. */
	if ((cfg->plot_sweep && (!cfg->plot_sweep[0] || !cfg->x_column || !cfg->plot_path)) ||
	    ((cfg->x_column || cfg->color) && !cfg->plot_sweep))
		return 0;
	/* --resume trains on from its file: no other source of a net, no other mode. */
	if (cfg->resume_path && (!cfg->resume_path[0] || cfg->load_path || cfg->evaluate ||
				 cfg->predict || cfg->gradcheck || cfg->dump_activations ||
				 cfg->plot_runs || cfg->plot_activations))
		return 0;
	if (cfg->n_hidden < 1 || cfg->n_hidden > NET_MAX_LAYERS - 1)
		return 0;
	for (int l = 0; l < cfg->n_hidden; l++)
		if (cfg->hidden[l] < 1 || cfg->hidden[l] > (1 << 16))
			return 0;
	/* Every configuration field of the report's records has a value, and one written out
	 * fits the 64 bytes a record keeps (a truncated "hidden" would go unnoticed). */
	for (int i = 0; i < flags_n_fields(); i++) {
		char buf[64];
		const char *value = flags_field_value(cfg, i, buf, sizeof buf, NULL);
		if (!value || (value == buf && strlen(buf) + 1 >= sizeof buf))
			return 0;
	}
	return cfg->data_dir && cfg->data_dir[0] != '\0';
}

/* Split the input into a fresh argv, parse it, check the config, free the argv. */
static enum flags_result
parse_once_(const uint8_t *data, size_t size, struct config *cfg, char **strings)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = strdup("bptrain");
	size_t start = 0;
	while (start <= size && argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + start, 0, size - start);
		size_t len = nul ? (size_t)(nul - (data + start)) : size - start;
		if (!nul && len == 0 && argc > 1)
			break; /* a trailing NUL ends the list rather than adding "" */
		char *arg = malloc(len + 1);
		memcpy(arg, data + start, len);
		arg[len] = '\0';
		argv[argc++] = arg;
		start += len + 1;
	}
	argv[argc] = NULL;
	/* getopt_long permutes argv; keep the pointers to free them all afterwards. */
	char *owned[MAX_ARGS + 2];
	memcpy(owned, argv, sizeof argv);

	enum flags_result result = flags_parse(cfg, argc, argv);
	if (result != FLAGS_RUN && result != FLAGS_EXIT && result != FLAGS_USAGE)
		abort();
	if (result == FLAGS_RUN && !config_ok_(cfg)) {
		fprintf(stderr, "fuzz_flags: flags_parse accepted an out-of-range config\n");
		abort();
	}
	/* The path fields point into argv, which differs between parses: compare copies of the
	 * strings (one buffer, NUL-separated, "-" for NULL) and null the pointers. */
	enum { N_NAMED = 16, N_PATHS = N_NAMED + MAX_ARGS };
	const char *paths[N_PATHS] = {cfg->data_dir, cfg->log_path, cfg->plot_path,
				      cfg->plot_runs, cfg->group, cfg->plot_activations,
				      cfg->dump_activations, cfg->save_path, cfg->load_path,
				      cfg->misclassified_path, cfg->facet, cfg->metric,
				      cfg->plot_sweep, cfg->x_column, cfg->color, cfg->resume_path};
	/* --predict's images, then "-" for the unused places. */
	for (int i = 0; i < MAX_ARGS; i++)
		paths[N_NAMED + i] = result == FLAGS_RUN && i < cfg->n_predict
					     ? cfg->predict_files[i] : NULL;
	for (int i = 0; i < N_PATHS; i++)
		if (result != FLAGS_RUN || !paths[i])
			paths[i] = "-";
	size_t total = 1;
	for (int i = 0; i < N_PATHS; i++)
		total += strlen(paths[i]) + 1;
	*strings = malloc(total);
	size_t used = 0;
	for (int i = 0; i < N_PATHS; i++) {
		memcpy(*strings + used, paths[i], strlen(paths[i]) + 1);
		used += strlen(paths[i]) + 1;
	}
	(*strings)[used] = '\0';
	cfg->data_dir = cfg->log_path = cfg->plot_path = cfg->plot_runs = cfg->group = NULL;
	cfg->plot_activations = cfg->dump_activations = NULL;
	cfg->save_path = cfg->load_path = cfg->misclassified_path = cfg->resume_path = NULL;
	cfg->facet = cfg->metric = NULL;
	cfg->predict_files = NULL;
	cfg->plot_sweep = cfg->x_column = cfg->color = NULL;
	for (int i = 0; i < argc; i++)
		free(owned[i]);
	return result;
}

/* Length of a buffer of parse_once_'s NUL-terminated path strings, the terminators
 * included: the buffer ends with an empty string. */
static size_t
total_len_(const char *strings)
{
	size_t len = 0;
	while (strings[len] != '\0')
		len += strlen(strings + len) + 1;
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Parse twice: the second parse must agree with the first. getopt keeps state between
	 * calls, and a parse that resumed where the previous one stopped (say, at the x of
	 * "-Vx") would disagree. The sanitizers cannot see that: the stale reads happen in
	 * uninstrumented libc. */
	struct config first, second;
	char *first_paths, *second_paths;
	memset(&first, 0, sizeof first);
	memset(&second, 0, sizeof second);
	enum flags_result r1 = parse_once_(data, size, &first, &first_paths);
	enum flags_result r2 = parse_once_(data, size, &second, &second_paths);
	if (r1 != r2 || memcmp(&first, &second, sizeof first) != 0 ||
	    total_len_(first_paths) != total_len_(second_paths) ||
	    memcmp(first_paths, second_paths, total_len_(first_paths)) != 0) {
		fprintf(stderr, "fuzz_flags: parsing the same arguments twice gave %d, then %d\n",
			r1, r2);
		abort();
	}
	free(first_paths);
	free(second_paths);
	return 0;
}

void
fuzz_seeds(void (*emit)(const char *name, const void *data, size_t size))
{
	/* Each seed is an argument list with NUL separators (sizeof - 1 drops the final NUL). */
#define SEED(name, args) emit(name, args, sizeof(args) - 1)
	SEED("none", "");
	SEED("all", "--hidden\0" "100,64,32\0--activation\0sigmoid\0--lr\0" "0.05\0--iters\0"
	     "100\0--batch\0" "50\0--init-std\0" "0.1\0--seed\0" "7\0--data\0/tmp");
	SEED("equals", "--lr=0.5\0--iters=3\0--hidden=8,8\0--data=mnist");
	SEED("help", "--help");
	SEED("version", "-V");
	SEED("cluster", "-Vx");
	SEED("bad-lr", "--lr\0" "0.1x");
	SEED("nan", "--lr\0nan");
	SEED("huge", "--iters\0" "99999999999999999999");
	SEED("missing", "--lr");
	SEED("unknown", "--bogus\0-q");
	SEED("stray", "--iters\0" "5\0stray");
	SEED("empty-arg", "--data\0");
	SEED("hidden-odd", "--hidden\0" "1,2,3,4,5,6,7,8");
	SEED("repeated", "--lr\0" "5\0--lr\0" "0.5\0--hidden\0" "3,3\0--hidden\0" "7");
	SEED("dashdash", "--\0--lr");
	SEED("abbrev", "--it\0" "9\0--i\0" "3");
	SEED("gradcheck", "--gradcheck\0--hidden\0" "5");
	SEED("gradcheck-all", "--gradcheck-all\0--batch\0" "2\0--gradcheck=1");
	SEED("outputs", "--format\0json\0--log\0x.csv\0--plot=y.svg\0--threads\0" "2\0-q");
	SEED("gradcheck-plot", "--gradcheck\0--plot\0x.svg");
	SEED("bad-plot", "--plot\0x.png");
	SEED("activations", "--dump-activations\0a.csv\0--hidden\0" "100,100\0--init-std\0" "1");
	SEED("plot-activations", "--plot-activations\0a.csv\0--group\0weights\0--plot\0b.svg");
	SEED("plot-sweep", "--plot-sweep\0runs.csv\0--x\0lr\0--color\0hidden\0--plot\0s.svg");
	SEED("switch-value", "--quiet=1");
	SEED("models", "--load\0m.bpm\0--evaluate\0--misclassified\0x.svg\0--format\0csv");
	SEED("predict", "a.pgm\0--load=m.bpm\0--predict\0-\0b.pgm\0--\0--lr");
	SEED("predict-none", "--load\0m.bpm\0--predict");
	SEED("save-load", "--save\0n.bpm\0--load\0m.bpm\0--hidden\0" "8\0--init\0he");
	SEED("evaluate-save", "--load\0m.bpm\0--evaluate\0--save\0x");
	SEED("resume", "--resume\0r.bpm\0--iters\0" "600\0--save\0r.bpm\0--lr-step\0" "2");
	SEED("resume-load", "--resume=r.bpm\0--load\0m.bpm\0--early-stop\0" "3");
	SEED("widest", "--hidden\0" "65536,65536,65536,65536,65536,65536,65536\0--seed\0"
	     "9223372036854775807\0--lr\0" "1.17549435e-38");
#undef SEED
}
