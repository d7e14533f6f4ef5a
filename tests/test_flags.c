/* test_flags: flags_parse called directly, several times in one process (as the fuzz harness
 * does): each call must start from a clean slate, and a repeated flag keeps its last value.
 * Then what the flag table also drives: the rules between flags, the environment default,
 * the record fields the report prints, and --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flags.h"

/* The argv of the latest parse: cfg.data_dir points into it until the next parse. */
static char *argv_[64];

/* Parse a NULL-terminated list of arguments (copied, since getopt_long permutes argv). */
static enum flags_result
parse_(struct config *cfg, const char *const *args)
{
	/* The previous argv is freed first: a parser that kept pointers into it would now read
	 * freed memory, which the sanitizer build reports. */
	for (int i = 0; argv_[i]; i++) {
		free(argv_[i]);
		argv_[i] = NULL;
	}
	int argc = 0;
	for (; args[argc]; argc++)
		argv_[argc] = strcpy(malloc(strlen(args[argc]) + 1), args[argc]);
	return flags_parse(cfg, argc, argv_);
}

/* The value of the record field called name after the latest parse, or "(none)". */
static const char *
field_(const struct config *cfg, const char *name, int *is_string)
{
	static char buf[64];
	for (int i = 0; i < flags_n_fields(); i++)
		if (strcmp(flags_field_name(i), name) == 0) {
			const char *v = flags_field_value(cfg, i, buf, sizeof buf, is_string);
			return v ? v : "(none)";
		}
	return "(none)";
}

/* --gradcheck and --batch, and --gradcheck with the training outputs. */
static void
test_rules_(void)
{
	struct config cfg;
	enum flags_result r;
	r = parse_(&cfg, (const char *const[]){"bptrain", "--gradcheck", NULL});
	CHECK(r == FLAGS_RUN && cfg.gradcheck == 1 && cfg.batch == 3,
	      "--gradcheck: batch 3 unless given (batch %d)", cfg.batch);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--batch", "7", "--gradcheck", NULL});
	CHECK(r == FLAGS_RUN && cfg.batch == 7, "--batch 7 --gradcheck keeps 7 (%d)", cfg.batch);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--gradcheck-all", "--batch=100", NULL});
	CHECK(r == FLAGS_RUN && cfg.gradcheck == 2 && cfg.batch == 100,
	      "--gradcheck-all --batch=100 (gradcheck %d, batch %d)", cfg.gradcheck, cfg.batch);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--gradcheck-all", "--gradcheck", NULL});
	CHECK(r == FLAGS_RUN && cfg.gradcheck == 2, "--gradcheck does not undo --gradcheck-all");
	r = parse_(&cfg, (const char *const[]){"bptrain", "--batch", "7", NULL});
	CHECK(r == FLAGS_RUN && cfg.gradcheck == 0 && cfg.batch == 7, "no --gradcheck: batch 7");
	const char *const outputs[][3] = {
		{"--format", "csv"}, {"--format", "json"}, {"--log", "x.csv"}, {"--plot", "x.svg"},
	};
	for (int i = 0; i < 4; i++) {
		r = parse_(&cfg, (const char *const[]){"bptrain", "--gradcheck", outputs[i][0],
						       outputs[i][1], NULL});
		CHECK(r == FLAGS_USAGE, "--gradcheck %s %s is a usage error", outputs[i][0],
		      outputs[i][1]);
	}
	r = parse_(&cfg, (const char *const[]){"bptrain", "--gradcheck", "--format", "text", NULL});
	CHECK(r == FLAGS_RUN, "--gradcheck --format text is fine (result %d)", r);
	/* --dump-activations: the book's 1000 inputs unless --batch says otherwise. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--dump-activations", "a.csv", NULL});
	CHECK(r == FLAGS_RUN && cfg.batch == 1000 && strcmp(cfg.dump_activations, "a.csv") == 0,
	      "--dump-activations: batch 1000 unless given (batch %d)", cfg.batch);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--batch", "7", "--dump-activations",
					       "a.csv", NULL});
	CHECK(r == FLAGS_RUN && cfg.batch == 7, "--batch 7 --dump-activations keeps 7 (%d)",
	      cfg.batch);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--dump-activations", "a.csv",
					       "--gradcheck", NULL});
	CHECK(r == FLAGS_USAGE, "--dump-activations --gradcheck is a usage error");
}

/* The model flags: --predict's images are the other arguments, wherever they stand;
 * flags_given tells a flag given from its default; the rules between the model flags. */
static void
test_model_flags_(void)
{
	struct config cfg;
	enum flags_result r;
	r = parse_(&cfg, (const char *const[]){"bptrain", "a.pgm", "--load", "m.bpm", "--predict",
					       "-", "--lr", "0.5", "b.pgm", "--", "--c.pgm", NULL});
	CHECK(r == FLAGS_RUN && cfg.predict && cfg.n_predict == 4 &&
		      strcmp(cfg.predict_files[0], "a.pgm") == 0 &&
		      strcmp(cfg.predict_files[1], "-") == 0 &&
		      strcmp(cfg.predict_files[3], "--c.pgm") == 0 &&
		      strcmp(cfg.load_path, "m.bpm") == 0,
	      "--predict: the other arguments in order, - and after -- included (%d images)",
	      cfg.n_predict);
	CHECK(flags_given(&cfg, "lr") && flags_given(&cfg, "load") &&
		      !flags_given(&cfg, "hidden") && !flags_given(&cfg, "iters"),
	      "flags_given: given or default");
	r = parse_(&cfg, (const char *const[]){"bptrain", "--hidden", "50", NULL});
	CHECK(r == FLAGS_RUN && flags_given(&cfg, "hidden") && !flags_given(&cfg, "lr"),
	      "flags_given: a flag given with its default value is given");
	static const char *const refused[][7] = {
		{"--evaluate"}, {"--predict", "x.pgm"}, {"--load", "m", "--predict"},
		{"--load", "m", "--evaluate", "--predict", "x"}, {"--misclassified", "x.svg"},
		{"--load", "m", "--evaluate", "--save", "n"},
		{"--load", "m", "--evaluate", "--log", "l"},
		{"--load", "m", "--predict", "-", "--plot", "p.svg"},
		{"--load", "m", "--evaluate", "--log-every", "5"}, {"--gradcheck", "--load", "m"},
		{"--gradcheck", "--save", "m"}, {"--load", "m", "--init", "he"},
		{"--load", "m", "--init-std", "0.1"}, {"stray.pgm", "--load", "m"},
		{"--resume", "r", "--load", "m"}, {"--resume", "r", "--evaluate"},
		{"--resume", "r", "--predict", "x.pgm"}, {"--resume", "r", "--gradcheck"},
		{"--resume", "r", "--dump-activations", "a.csv"}, {"--resume", ""},
		{"--resume", "r", "--iters", "5", "--epochs", "2"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		const char *args[9] = {"bptrain"};
		for (int k = 0; k < 7 && refused[i][k]; k++)
			args[k + 1] = refused[i][k];
		CHECK(parse_(&cfg, args) == FLAGS_USAGE, "refused: %s %s %s ...", refused[i][0],
		      refused[i][1] ? refused[i][1] : "", refused[i][2] ? refused[i][2] : "");
	}
	r = parse_(&cfg, (const char *const[]){"bptrain", "--load", "m", "--evaluate",
					       "--misclassified", "w.svg", "--format", "json", NULL});
	CHECK(r == FLAGS_RUN && cfg.evaluate && !strcmp(cfg.misclassified_path, "w.svg"),
	      "--load --evaluate --misclassified --format json (result %d)", r);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--load", "m", "--save", "n", "--iters",
					       "5", "--hidden", "7", NULL});
	CHECK(r == FLAGS_RUN && cfg.n_predict == 0, "fine-tuning flags (result %d)", r);
	/* --resume's schedule and validation set come from its file, where they are checked:
	 * --lr-step and --early-stop alone are not refused here. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--resume", "r.bpm", "--iters", "900",
					       "--lr-step", "2", "--early-stop", "3", "--save",
					       "r.bpm", "--threads", "1", NULL});
	CHECK(r == FLAGS_RUN && strcmp(cfg.resume_path, "r.bpm") == 0 && cfg.iters == 900 &&
	      flags_given(&cfg, "resume") && flags_given(&cfg, "lr-step"),
	      "--resume with the flags its file checks (result %d)", r);
}

/* A model's configuration lines set the fields as the flags would; a bad value is refused
 * with the flag's own message, and a name that is no field is left alone. */
static void
test_set_field_(void)
{
	struct config cfg;
	char why[256] = "";
	parse_(&cfg, (const char *const[]){"bptrain", NULL});
	CHECK(flags_set_field(&cfg, "lr", "0.25", why, sizeof why) == 1 && cfg.lr == 0.25f &&
	      flags_set_field(&cfg, "max_iters", "1200", why, sizeof why) == 1 &&
	      cfg.iters == 1200 && flags_set_field(&cfg, "hidden", "100,64", why, sizeof why) == 1 &&
	      cfg.n_hidden == 2 && cfg.hidden[1] == 64 &&
	      flags_set_field(&cfg, "sampling", "shuffle", why, sizeof why) == 1 &&
	      cfg.sampling == SAMPLING_SHUFFLE,
	      "flags_set_field sets numbers, lists and names");
	CHECK(flags_set_field(&cfg, "batchnorm", "1", why, sizeof why) == 1 && cfg.batchnorm &&
	      flags_set_field(&cfg, "batchnorm", "0", why, sizeof why) == 1 && !cfg.batchnorm,
	      "a switch takes its recorded 0 or 1 either way");
	CHECK(flags_set_field(&cfg, "batchnorm", "2", why, sizeof why) == -1 &&
	      strstr(why, "--batchnorm") != NULL, "a switch's 2 is refused (%s)", why);
	CHECK(flags_set_field(&cfg, "lr", "x", why, sizeof why) == -1 &&
	      strcmp(why, "--lr: 'x' is not a number") == 0 && cfg.lr == 0.25f,
	      "a bad value: the flag's message, the field unchanged (%s)", why);
	CHECK(flags_set_field(&cfg, "bptrain", "0.1.0", why, sizeof why) == 0 &&
	      flags_set_field(&cfg, "lr-step", "2", why, sizeof why) == 0,
	      "a name that is no record field (a flag's name is not one)");
	int i = 0;
	while (i < flags_n_fields() && strcmp(flags_field_name(i), "lr_step") != 0)
		i++;
	CHECK(i < flags_n_fields() && strcmp(flags_field_flag(i), "lr-step") == 0,
	      "flags_field_flag: lr_step is --lr-step's");
}

/* $BPTRAIN_DATA is --data's default; --data still wins, and an empty value is no value. */
static void
test_env_(void)
{
	struct config cfg;
	setenv("BPTRAIN_DATA", "/from/env", 1);
	CHECK(parse_(&cfg, (const char *const[]){"bptrain", NULL}) == FLAGS_RUN &&
		      strcmp(cfg.data_dir, "/from/env") == 0, "BPTRAIN_DATA sets the data dir");
	CHECK(parse_(&cfg, (const char *const[]){"bptrain", "--data", "d", NULL}) == FLAGS_RUN &&
		      strcmp(cfg.data_dir, "d") == 0, "--data beats BPTRAIN_DATA");
	setenv("BPTRAIN_DATA", "", 1);
	CHECK(parse_(&cfg, (const char *const[]){"bptrain", NULL}) == FLAGS_RUN &&
		      strcmp(cfg.data_dir, "mnist") == 0, "an empty BPTRAIN_DATA: mnist");
	unsetenv("BPTRAIN_DATA");
	CHECK(parse_(&cfg, (const char *const[]){"bptrain", NULL}) == FLAGS_RUN &&
		      strcmp(cfg.data_dir, "mnist") == 0, "no BPTRAIN_DATA: mnist");
}

/* The configuration fields of the report's records: their names and order are the CSV
 * schema (docs/output.md), their text the values the records show. */
static void
test_fields_(void)
{
	static const char *const names[] = {
		"hidden", "activation", "lr", "schedule", "lr_step", "lr_gamma", "warmup",
		"max_iters", "epochs", "sampling", "batch", "init_std", "init", "optimizer",
		"momentum", "alpha", "beta1", "beta2", "eps", "weight_decay", "dropout", "batchnorm",
		"augment", "seed", "train_size", "val", "early_stop", "data",
	};
	int n = (int)(sizeof names / sizeof names[0]);
	CHECK(flags_n_fields() == n, "%d record fields, want %d", flags_n_fields(), n);
	for (int i = 0; i < n && i < flags_n_fields(); i++)
		CHECK(strcmp(flags_field_name(i), names[i]) == 0, "field %d is %s, want %s", i,
		      flags_field_name(i), names[i]);

	struct config cfg;
	parse_(&cfg, (const char *const[]){"bptrain", "--hidden", "100,64,32", "--activation",
					   "sigmoid", "--lr", "0.30000001", "--iters", "12",
					   "--init-std=0", "--seed", "9223372036854775807",
					   "--data", "a,b", "--init", "he", "--optimizer", "adam",
					   "--momentum", "0.5", "--alpha", "0.9", "--beta1", "0.8",
					   "--beta2", "0.99", "--eps", "1e-08", "--weight-decay",
					   "0.001", "--dropout", "0.25", "--batchnorm",
					   "--train-size", "1000", "--sampling", "shuffle",
					   "--schedule", "step", "--lr-step", "3", "--lr-gamma",
					   "0.5", "--warmup", "2", "--val", "500", "--early-stop",
					   "4", "--augment", NULL});
	static const char *const want[][2] = {
		{"hidden", "100,64,32"}, {"activation", "sigmoid"}, {"lr", "0.3"},
		{"max_iters", "12"}, {"batch", "100"}, {"init_std", "0"}, {"init", "he"},
		{"optimizer", "adam"}, {"momentum", "0.5"}, {"alpha", "0.9"}, {"beta1", "0.8"},
		{"beta2", "0.99"}, {"eps", "1e-08"}, {"weight_decay", "0.001"}, {"dropout", "0.25"},
		{"batchnorm", "1"}, {"seed", "9223372036854775807"}, {"train_size", "1000"},
		{"data", "a,b"}, {"sampling", "shuffle"}, {"schedule", "step"}, {"lr_step", "3"},
		{"lr_gamma", "0.5"}, {"warmup", "2"}, {"val", "500"}, {"early_stop", "4"},
		{"epochs", "0"}, {"augment", "1"},
	};
	_Static_assert(sizeof want / sizeof want[0] == sizeof names / sizeof names[0],
		       "a wanted value for every field");
	for (int i = 0; i < n; i++) {
		int is_string = -1;
		const char *got = field_(&cfg, want[i][0], &is_string);
		CHECK(strcmp(got, want[i][1]) == 0, "field %s is '%s', want '%s'", want[i][0], got,
		      want[i][1]);
		int string = strcmp(want[i][0], "hidden") == 0 ||
			     strcmp(want[i][0], "activation") == 0 || strcmp(want[i][0], "data") == 0 ||
			     strcmp(want[i][0], "init") == 0 || strcmp(want[i][0], "optimizer") == 0 ||
			     strcmp(want[i][0], "sampling") == 0 || strcmp(want[i][0], "schedule") == 0;
		CHECK(is_string == string, "field %s: is_string %d, want %d", want[i][0], is_string,
		      string);
	}
	parse_(&cfg, (const char *const[]){"bptrain", "--lr", "0.1", NULL});
	CHECK(strcmp(field_(&cfg, "lr", NULL), "0.1") == 0, "lr 0.1 shows as 0.1, not 0.100000001");
}

/* --help: every flag on a line of its own, each default shown as the records would show it,
 * and no line past 79 columns. */
static void
test_help_(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	flags_usage(f);
	fclose(f);
	static const char *const flags[] = {
		"  --hidden LIST ", "  --activation NAME ", "  --lr X ", "  --iters N ",
		"  --batch N ", "  --init-std X ", "  --seed N ", "  --threads N ", "  --data DIR ",
		"  --format NAME ", "  -q, --quiet ", "  --log FILE ", "  --plot FILE.svg ",
		"  --gradcheck ", "  --gradcheck-all ", "  -h, --help ", "  -V, --version ",
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		char line[64];
		snprintf(line, sizeof line, "\n%s", flags[i]);
		CHECK(strstr(text, line), "--help has a line starting '%s'", flags[i]);
	}
	static const char *const defaults[] = {
		"default 50)", "default relu)", "default 0.1)", "default 10000)", "default 100)",
		"default 0.01)", "default 42)", "default $BPTRAIN_DATA, else mnist)", "default text)",
		"above 0 to 1000000", "from 0 to 100", "1 to 1000000000", "relu or sigmoid",
		"text, csv or json", "at most 7 hidden layers of 1 to 65536", "default 3 there",
	};
	/* The text may wrap between any two words: compare with each run of blanks as one space. */
	char flat[16384];
	size_t n = 0;
	for (const char *p = text; *p && n + 1 < sizeof flat; p++)
		if (*p != ' ' && *p != '\n')
			flat[n++] = *p;
		else if (n && flat[n - 1] != ' ')
			flat[n++] = ' ';
	flat[n] = '\0';
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		CHECK(strstr(flat, defaults[i]), "--help shows '%s'", defaults[i]);
	int longest = 0;
	for (const char *line = text; *line;) {
		int len = (int)strcspn(line, "\n");
		longest = len > longest ? len : longest;
		line += len + (line[len] == '\n');
	}
	CHECK(longest <= 79, "--help lines fit 79 columns (longest %d)", longest);
	free(text);
}

int
main(void)
{
	struct config cfg;
	enum flags_result r;
	unsetenv("BPTRAIN_DATA");

	r = parse_(&cfg, (const char *const[]){"bptrain", NULL});
	CHECK(r == FLAGS_RUN && cfg.lr == 0.1f && cfg.iters == 10000 && cfg.n_hidden == 1,
	      "no flags: the defaults (result %d)", r);
	CHECK(cfg.hidden[0] == 50 && cfg.activation == ACT_RELU && cfg.batch == 100 &&
		      cfg.init_std == 0.01f && cfg.seed == 42 && cfg.threads >= 1 &&
		      strcmp(cfg.data_dir, "mnist") == 0 && cfg.format == FORMAT_TEXT && !cfg.quiet &&
		      !cfg.log_path && !cfg.plot_path && !cfg.gradcheck,
	      "no flags: every default");
	r = parse_(&cfg, (const char *const[]){"bptrain", "--it", "5", "--gradcheck-a", "-q",
					       "--form=json", NULL});
	CHECK(r == FLAGS_USAGE, "--gradcheck-a with --form json is the --gradcheck error");
	r = parse_(&cfg, (const char *const[]){"bptrain", "--it", "5", "--thr", "1", "-q",
					       "--form=csv", "--plot", "x.svg", NULL});
	CHECK(r == FLAGS_RUN && cfg.iters == 5 && cfg.threads == 1 && cfg.quiet &&
		      cfg.format == FORMAT_CSV && strcmp(cfg.plot_path, "x.svg") == 0,
	      "unambiguous prefixes of long flags (result %d)", r);

	/* getopt stops inside "-Vx" after the V; the next parse must not resume at the x. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "-Vx", NULL});
	CHECK(r == FLAGS_EXIT, "-Vx prints the version (result %d)", r);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--lr", "0.5", NULL});
	CHECK(r == FLAGS_RUN && cfg.lr == 0.5f, "a parse after -Vx starts afresh (result %d)", r);

	/* An error part-way through, then a clean parse: nothing carries over. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--iters", "7", "--lr", "x", NULL});
	CHECK(r == FLAGS_USAGE, "--lr x is a usage error (result %d)", r);
	r = parse_(&cfg, (const char *const[]){"bptrain", "--batch", "3", NULL});
	CHECK(r == FLAGS_RUN && cfg.iters == 10000 && cfg.batch == 3,
	      "a parse after an error starts from the defaults (iters %d)", cfg.iters);

	/* Repeated flags: the last one wins (the GNU norm), for every kind of value. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--lr", "5", "--lr=0.25", "--iters", "9",
					       "--iters", "11", "--hidden", "100,64,32", "--hidden",
					       "8", "--activation", "sigmoid", "--activation", "relu",
					       "--seed", "1", "--seed", "2", "--data", "a", "--data",
					       "b", NULL});
	CHECK(r == FLAGS_RUN, "repeated flags parse (result %d)", r);
	CHECK(cfg.lr == 0.25f && cfg.iters == 11 && cfg.seed == 2, "repeated numbers: the last");
	CHECK(cfg.n_hidden == 1 && cfg.hidden[0] == 8, "repeated --hidden: the last list, whole");
	CHECK(cfg.activation == ACT_RELU && strcmp(cfg.data_dir, "b") == 0,
	      "repeated names: the last");
	/* A bad value is an error even when a good one follows. */
	r = parse_(&cfg, (const char *const[]){"bptrain", "--lr", "abc", "--lr", "0.1", NULL});
	CHECK(r == FLAGS_USAGE, "a bad value before a good one is still an error (result %d)", r);

	test_rules_();
	test_model_flags_();
	test_set_field_();
	test_env_();
	test_fields_();
	test_help_();
	parse_(&cfg, (const char *const[]){NULL});
	return check_report("test_flags");
}
