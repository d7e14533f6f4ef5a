/* report.c: the per-epoch records and the final summary in text, CSV and JSON lines.
 *
 * A record is built once as a list of named fields, then written in whichever formats stdout
 * and the log want, so the three formats cannot drift apart: same names, same values. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "plot.h"
#include "util.h"


/* The CSV columns are these, then the configuration's: one per flag with a record name in
 * the flags table (hidden, activation, lr, max_iters, batch, init_std, seed, data). Epoch rows
 * leave status and iters empty, the final row leaves time_s empty; both carry the
 * configuration (from net on), so rows of several runs can be concatenated. iters is the
 * iterations done, as in the text summary; max_iters is --iters. */
static const char *const run_columns_[] = {
	"record", "epoch", "iter", "loss", "current_lr", "train_acc", "val_acc", "val_loss",
	"test_acc", "test_loss", "time_s", "samples_per_s", "train_s", "total_s", "status", "iters",
	"best_epoch", "net", "params",
};
#define N_RUN_COLUMNS (int)(sizeof run_columns_ / sizeof run_columns_[0])
#define MAX_COLUMNS 48 /* run and configuration columns together; n_columns_ checks */

struct field_ {
	char text[64];
	const char *str; /* a string value (not copied), or NULL: then text is a number */
	int set;
};

struct record_ {
	struct field_ f[MAX_COLUMNS];
};

static int
n_columns_(void)
{
	int n = N_RUN_COLUMNS + flags_n_fields();
	if (n > MAX_COLUMNS)
		abort(); /* more configuration fields than a record holds: raise MAX_COLUMNS */
	return n;
}

static const char *
column_name_(int i)
{
	return i < N_RUN_COLUMNS ? run_columns_[i] : flags_field_name(i - N_RUN_COLUMNS);
}

static int
column_(const char *name)
{
	for (int i = 0; i < n_columns_(); i++)
		if (strcmp(column_name_(i), name) == 0)
			return i;
	abort(); /* a misspelt column name is a bug in this file */
}

static void
set_num_(struct record_ *r, const char *name, const char *fmt, double v)
{
	struct field_ *f = &r->f[column_(name)];
	/* JSON has no NaN or infinity; an empty field (null in JSON) is honest. */
	if (!isfinite(v))
		return;
	snprintf(f->text, sizeof f->text, fmt, v);
	f->set = 1;
}

static void
set_int_(struct record_ *r, const char *name, long long v)
{
	struct field_ *f = &r->f[column_(name)];
	snprintf(f->text, sizeof f->text, "%lld", v);
	f->set = 1;
}

static void
set_str_(struct record_ *r, const char *name, const char *s)
{
	struct field_ *f = &r->f[column_(name)];
	f->str = s;
	f->set = 1;
}

/* The configuration fields, as the flags table formats them. */
static void
set_config_(struct record_ *r, const struct report *rep)
{
	set_str_(r, "net", rep->net_desc);
	set_int_(r, "params", (long long)rep->n_params);
	for (int i = 0; i < flags_n_fields(); i++) {
		struct field_ *f = &r->f[N_RUN_COLUMNS + i];
		int is_string;
		const char *value = flags_field_value(rep->cfg, i, f->text, sizeof f->text,
						      &is_string);
		if (!value)
			continue;
		/* A number is always in f->text; a string may point there ("100,64,32"). */
		f->str = is_string ? value : NULL;
		f->set = 1;
	}
}

/* The configuration field called name, as the records have it. */
static const char *
config_value_(const struct report *rep, const char *name, char *buf, size_t size)
{
	for (int i = 0; i < flags_n_fields(); i++)
		if (strcmp(flags_field_name(i), name) == 0)
			return flags_field_value(rep->cfg, i, buf, size, NULL);
	abort(); /* a misspelt field name is a bug in this file */
}

static void
write_csv_header_(FILE *f)
{
	for (int i = 0; i < n_columns_(); i++)
		fprintf(f, "%s%s", i ? "," : "", column_name_(i));
	fputc('\n', f);
}

static void
write_csv_(FILE *f, const struct record_ *r)
{
	for (int i = 0; i < n_columns_(); i++) {
		if (i)
			fputc(',', f);
		if (r->f[i].set)
			csv_put(f, r->f[i].str ? r->f[i].str : r->f[i].text);
	}
	fputc('\n', f);
}

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 if it is not one. */
static int
utf8_length_(const unsigned char *p)
{
	int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
	      : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	for (int k = 1; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms and UTF-16 surrogates are not valid UTF-8 either. */
	if ((n == 2 && p[0] < 0xc2) || (n == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
	    (n == 3 && p[0] == 0xed && p[1] >= 0xa0) || (n == 4 && p[0] == 0xf0 && p[1] < 0x90) ||
	    (n == 4 && (p[0] > 0xf4 || (p[0] == 0xf4 && p[1] >= 0x90))))
		return 0;
	return n;
}

/* A JSON string: quotes, backslashes and control characters escaped, and a byte that is not
 * part of valid UTF-8 (an odd file name) replaced by U+FFFD, so the line always parses. */
static void
json_string_(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = utf8_length_(p);
		if (n == 0)
			fputs("\\ufffd", f), n = 1;
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, (size_t)n, f);
		p += n;
	}
	fputc('"', f);
}

/* One object per line; fields a record does not have are left out. */
static void
write_json_(FILE *f, const struct record_ *r)
{
	int first = 1;
	fputc('{', f);
	for (int i = 0; i < n_columns_(); i++) {
		if (!r->f[i].set)
			continue;
		fprintf(f, "%s\"%s\":", first ? "" : ",", column_name_(i));
		if (r->f[i].str)
			json_string_(f, r->f[i].str);
		else
			fputs(r->f[i].text, f);
		first = 0;
	}
	fputs("}\n", f);
}

static void
write_record_(FILE *f, enum format format, const struct record_ *r)
{
	if (format == FORMAT_CSV)
		write_csv_(f, r);
	else if (format == FORMAT_JSON)
		write_json_(f, r);
}

/* .json, .jsonl and .ndjson logs get JSON lines; anything else gets CSV. */
static enum format
log_format_(const char *path)
{
	static const char *const json_ext[] = {".json", ".jsonl", ".ndjson"};
	size_t len = strlen(path);
	for (size_t i = 0; i < sizeof json_ext / sizeof json_ext[0]; i++) {
		size_t elen = strlen(json_ext[i]);
		if (len > elen && strcmp(path + len - elen, json_ext[i]) == 0)
			return FORMAT_JSON;
	}
	return FORMAT_CSV;
}

int
report_open(struct report *rep, const struct config *cfg, double start)
{
	memset(rep, 0, sizeof *rep);
	rep->cfg = cfg;
	rep->out = stdout;
	rep->start = start;
	if (cfg->log_path) {
		if (atomic_open(&rep->log_file, cfg->log_path) != 0) {
			warnf("--log: cannot create %s:", cfg->log_path);
			return -1;
		}
		rep->log = rep->log_file.f;
		rep->log_format = log_format_(cfg->log_path);
	}
	return 0;
}

/* "sgd: lr 0.1, batch 100, 10000 iterations (600 per epoch), 2 threads" and what else
 * shapes training. */
static void
print_training_line_(const struct report *rep, int epoch_iters)
{
	const struct config *cfg = rep->cfg;
	fprintf(rep->out, "%s: lr %g", optim_name(cfg->optimizer), (double)cfg->lr);
	if (cfg->schedule == SCHEDULE_STEP)
		fprintf(rep->out, " x %g every %d epoch%s", (double)cfg->lr_gamma, cfg->lr_step,
			cfg->lr_step == 1 ? "" : "s");
	if (cfg->schedule == SCHEDULE_COSINE)
		fprintf(rep->out, " on a cosine to 0");
	if (cfg->warmup > 0)
		fprintf(rep->out, " after %d warmup epoch%s", cfg->warmup, cfg->warmup == 1 ? "" : "s");
	fprintf(rep->out, ", batch %d", cfg->batch);
	if (cfg->sampling == SAMPLING_SHUFFLE)
		fprintf(rep->out, " (shuffled each epoch)");
	fprintf(rep->out, ", %d iterations (%d per epoch), %d thread%s", cfg->iters, epoch_iters,
		cfg->threads, cfg->threads == 1 ? "" : "s");
	if (cfg->weight_decay != 0.0f)
		fprintf(rep->out, ", weight decay %g", (double)cfg->weight_decay);
	if (cfg->dropout != 0.0f)
		fprintf(rep->out, ", dropout %g", (double)cfg->dropout);
	if (cfg->batchnorm)
		fprintf(rep->out, ", batchnorm");
	if (cfg->augment)
		fprintf(rep->out, ", augmented");
	if (cfg->early_stop)
		fprintf(rep->out, ", early stop after %d", cfg->early_stop);
	fprintf(rep->out, "\n");
}

void
report_begin(struct report *rep, const struct net *net, const struct dataset *train,
	     const struct dataset *val, const struct dataset *test, int epoch_iters, int done)
{
	const struct config *cfg = rep->cfg;
	size_t used = 0;
	for (int l = 0; l <= net->n_affine && used < sizeof rep->net_desc; l++)
		used += (size_t)snprintf(rep->net_desc + used, sizeof rep->net_desc - used, "%s%d",
					 l ? "-" : "", net->dims[l]);
	rep->n_params = net->n_params;
	rep->epoch_iters = epoch_iters;
	rep->show_lr = cfg->schedule != SCHEDULE_CONSTANT || cfg->warmup > 0;
	rep->show_val = val->count > 0;
	rep->last_epoch = done / epoch_iters; /* the whole epochs a resumed run has behind it */
	progress_init(&rep->progress, !cfg->quiet && isatty(STDERR_FILENO), cfg->iters,
		      epoch_iters, cfg->batch, train->count + val->count + test->count, done);
	if (rep->log && rep->log_format == FORMAT_CSV)
		write_csv_header_(rep->log);
	if (cfg->format == FORMAT_CSV && !cfg->quiet)
		write_csv_header_(rep->out);
	if (cfg->format != FORMAT_TEXT || cfg->quiet)
		return;
	char init[320];
	if (cfg->resume_path)
		snprintf(init, sizeof init, "resumed from %.250s at iteration %d", cfg->resume_path,
			 done);
	else if (cfg->load_path)
		snprintf(init, sizeof init, "loaded from %.300s", cfg->load_path);
	else if (cfg->init == INIT_STD)
		snprintf(init, sizeof init, "init-std %g", (double)cfg->init_std);
	else
		snprintf(init, sizeof init, "init %s", init_name(cfg->init));
	fprintf(rep->out, "bptrain %s: net %s %s, %zu parameters, %s, seed %llu\n",
		BPTRAIN_VERSION, rep->net_desc, activation_name(cfg->activation), net->n_params,
		init, (unsigned long long)cfg->seed);
	fprintf(rep->out, "data %s: %zu train, ", cfg->data_dir, train->count);
	if (val->count > 0)
		fprintf(rep->out, "%zu validation (the training file's last), ", val->count);
	fprintf(rep->out, "%zu test images of %dx%d, %d classes\n", test->count, train->rows,
		train->cols, train->classes);
	print_training_line_(rep, epoch_iters);
	fprintf(rep->out, "%5s %7s %9s", "epoch", "iter", "loss");
	if (rep->show_lr)
		fprintf(rep->out, " %10s", "current_lr");
	fprintf(rep->out, " %9s", "train_acc");
	if (rep->show_val)
		fprintf(rep->out, " %9s %9s", "val_acc", "val_loss");
	fprintf(rep->out, " %9s %9s %8s %13s\n", "test_acc", "test_loss", "time_s",
		"samples_per_s");
	fflush(rep->out);
}

void
report_progress(struct report *rep, int iter)
{
	progress_step(&rep->progress, iter);
}

void
report_evaluating(struct report *rep)
{
	progress_evaluating(&rep->progress);
}

static void
keep_(struct report *rep, const struct report_epoch *e)
{
	if (rep->n_series == rep->cap_series) {
		int cap = rep->cap_series ? 2 * rep->cap_series : 64;
		struct report_epoch *grown = realloc(rep->series, (size_t)cap * sizeof *grown);
		if (!grown)
			dief(EXIT_RUNTIME, "out of memory keeping %d epochs for --plot", cap);
		rep->series = grown;
		rep->cap_series = cap;
	}
	rep->series[rep->n_series++] = *e;
}

/* The epoch's row of the text table, with the columns report_begin's header has. */
static void
write_text_row_(const struct report *rep, const struct report_epoch *e)
{
	fprintf(rep->out, "%5d %7d %9.4f", e->epoch, e->iter, e->loss);
	if (rep->show_lr)
		fprintf(rep->out, " %10.4g", e->lr);
	fprintf(rep->out, " %9.4f", e->train_acc);
	if (rep->show_val)
		fprintf(rep->out, " %9.4f %9.4f", e->val_acc, e->val_loss);
	fprintf(rep->out, " %9.4f %9.4f %8.3f %13.0f\n", e->test_acc, e->test_loss, e->time_s,
		e->samples_per_s);
}

void
report_epoch(struct report *rep, const struct report_epoch *e)
{
	const struct config *cfg = rep->cfg;
	rep->last_epoch = e->epoch;
	progress_evaluated(&rep->progress);
	progress_clear(&rep->progress);
	if (cfg->plot_path)
		keep_(rep, e);
	struct record_ r = {0};
	set_str_(&r, "record", "epoch");
	set_int_(&r, "epoch", e->epoch);
	set_int_(&r, "iter", e->iter);
	set_num_(&r, "loss", "%.9g", e->loss);
	set_num_(&r, "current_lr", "%.9g", e->lr);
	set_num_(&r, "train_acc", "%.9g", e->train_acc);
	set_num_(&r, "val_acc", "%.9g", e->val_acc);
	set_num_(&r, "val_loss", "%.9g", e->val_loss);
	set_num_(&r, "test_acc", "%.9g", e->test_acc);
	set_num_(&r, "test_loss", "%.9g", e->test_loss);
	set_num_(&r, "time_s", "%.6f", e->time_s);
	set_num_(&r, "samples_per_s", "%.1f", e->samples_per_s);
	set_num_(&r, "train_s", "%.6f", e->train_s);
	set_num_(&r, "total_s", "%.6f", now_sec() - rep->start);
	struct record_ with_config = r;
	set_config_(&with_config, rep);
	/* CSV rows carry the configuration; JSON epoch lines stay short and leave it to the
	 * final record. */
	if (rep->log)
		write_record_(rep->log, rep->log_format,
			      rep->log_format == FORMAT_CSV ? &with_config : &r);
	if (rep->log)
		atomic_flush(&rep->log_file);
	if (cfg->quiet)
		return;
	if (cfg->format == FORMAT_TEXT)
		write_text_row_(rep, e);
	else
		write_record_(rep->out, cfg->format,
			      cfg->format == FORMAT_CSV ? &with_config : &r);
	fflush(rep->out);
}

void
report_step(struct report *rep, int iter, double loss)
{
	const struct config *cfg = rep->cfg;
	struct record_ r = {0};
	set_str_(&r, "record", "step");
	set_int_(&r, "epoch", rep->last_epoch + 1);
	set_int_(&r, "iter", iter);
	set_num_(&r, "loss", "%.9g", loss);
	set_num_(&r, "total_s", "%.6f", now_sec() - rep->start);
	struct record_ with_config = r;
	set_config_(&with_config, rep);
	if (rep->log) {
		write_record_(rep->log, rep->log_format,
			      rep->log_format == FORMAT_CSV ? &with_config : &r);
		atomic_flush(&rep->log_file);
	}
	if (cfg->quiet || cfg->format == FORMAT_TEXT)
		return;
	progress_clear(&rep->progress);
	write_record_(rep->out, cfg->format, cfg->format == FORMAT_CSV ? &with_config : &r);
	fflush(rep->out);
}

/* A number for the summary line, or nothing after the '=' when there is none (NaN). */
static void
summary_num_(FILE *out, const char *key, double v)
{
	/* No space before the line's first key. */
	const char *sep = strcmp(key, "train_acc") == 0 ? "" : " ";
	if (isfinite(v))
		fprintf(out, "%s%s=%.4f", sep, key, v);
	else
		fprintf(out, "%s%s=", sep, key);
}

static void
write_summary_line_(const struct report *rep, const struct report_final *fin, double total_s)
{
	/* The configuration part of the line, in the order scripts have always read it, new
	 * keys after the old. */
	static const char *const config_keys[] = {
		"max_iters", "hidden", "activation", "lr", "batch", "init_std", "seed", "init",
		"optimizer", "weight_decay", "dropout", "batchnorm", "epochs", "sampling",
		"schedule", "train_size", "val", "early_stop", "augment",
	};
	/* The first four keys as scripts have always read them; with nothing measured (a run
	 * that diverged at once), empty like the others. */
	summary_num_(rep->out, "train_acc", fin->train_acc);
	summary_num_(rep->out, "test_acc", fin->test_acc);
	summary_num_(rep->out, "loss", fin->loss);
	fprintf(rep->out, " iters=%d", fin->iter);
	summary_num_(rep->out, "test_loss", fin->test_loss);
	summary_num_(rep->out, "val_acc", fin->val_acc);
	summary_num_(rep->out, "val_loss", fin->val_loss);
	if (fin->best_epoch > 0)
		fprintf(rep->out, " best_epoch=%d", fin->best_epoch);
	else
		fprintf(rep->out, " best_epoch=");
	for (size_t k = 0; k < sizeof config_keys / sizeof config_keys[0]; k++) {
		char buf[64];
		const char *value = config_value_(rep, config_keys[k], buf, sizeof buf);
		fprintf(rep->out, " %s=%s", config_keys[k], value ? value : "");
	}
	fprintf(rep->out, " train_s=%.3f total_s=%.3f status=%s\n", fin->train_s, total_s,
		fin->status);
}

static int
write_plot_(const struct report *rep, const struct report_final *fin)
{
	const struct config *cfg = rep->cfg;
	int n = rep->n_series;
	double *x = xmalloc(7 * (size_t)(n ? n : 1) * sizeof *x);
	double *train = x + n, *val = x + 2 * n, *test = x + 3 * n, *loss = x + 4 * n;
	double *test_loss = x + 5 * n, *val_loss = x + 6 * n;
	for (int i = 0; i < n; i++) {
		x[i] = rep->series[i].iter;
		train[i] = rep->series[i].train_acc;
		val[i] = rep->series[i].val_acc;
		test[i] = rep->series[i].test_acc;
		loss[i] = rep->series[i].loss;
		test_loss[i] = rep->series[i].test_loss;
		val_loss[i] = rep->series[i].val_loss;
	}
	char lr[32], init_std[32], title[512], subtitle[512];
	fmt_float(lr, sizeof lr, cfg->lr);
	fmt_float(init_std, sizeof init_std, cfg->init_std);
	snprintf(title, sizeof title, "bptrain %s %s: lr %s, batch %d, %d iterations, "
		 "init-std %s, seed %llu", rep->net_desc, activation_name(cfg->activation), lr,
		 cfg->batch, cfg->iters, init_std, (unsigned long long)cfg->seed);
	if (strcmp(fin->status, "diverged") == 0)
		snprintf(subtitle, sizeof subtitle, "data %s: training diverged at iteration %d "
			 "(the loss was %.4g, or not a number)", cfg->data_dir, fin->iter + 1,
			 fin->loss);
	else
		snprintf(subtitle, sizeof subtitle, "data %s: final test_acc %.4f, train_acc %.4f, "
			 "loss %.4f after %d iterations (%s)", cfg->data_dir, fin->test_acc,
			 fin->train_acc, fin->loss, fin->iter, fin->status);
	struct plot_panel panels[2] = {
		{.ylabel = "accuracy", .n_series = 2,
		 .series = {{"train_acc", "#1f77b4", train}, {"test_acc", "#d62728", test}}},
		{.ylabel = "loss", .n_series = 2,
		 .series = {{"loss", "#2ca02c", loss}, {"test_loss", "#9467bd", test_loss}}},
	};
	if (rep->show_val) {
		panels[0].series[panels[0].n_series++] = (struct plot_series){"val_acc", "#ff7f0e",
									     val};
		panels[1].series[panels[1].n_series++] = (struct plot_series){"val_loss", "#8c564b",
									     val_loss};
	}
	struct plot_figure fig = {.title = title, .subtitle = subtitle, .xlabel = "iteration",
				  .x = x, .n = n, .n_panels = 2, .panels = panels};
	int status = plot_write_svg(cfg->plot_path, &fig);
	free(x);
	return status;
}

int
report_finish(struct report *rep, const struct report_final *fin)
{
	const struct config *cfg = rep->cfg;
	int status = 0;
	double total_s = now_sec() - rep->start;
	progress_clear(&rep->progress);

	struct record_ r = {0};
	set_str_(&r, "record", "final");
	set_int_(&r, "epoch", rep->last_epoch);
	set_int_(&r, "iter", fin->iter);
	set_num_(&r, "loss", "%.9g", fin->loss);
	set_num_(&r, "train_acc", "%.9g", fin->train_acc);
	set_num_(&r, "val_acc", "%.9g", fin->val_acc);
	set_num_(&r, "val_loss", "%.9g", fin->val_loss);
	set_num_(&r, "test_acc", "%.9g", fin->test_acc);
	set_num_(&r, "test_loss", "%.9g", fin->test_loss);
	if (fin->best_epoch > 0)
		set_int_(&r, "best_epoch", fin->best_epoch);
	if (fin->train_s > 0)
		set_num_(&r, "samples_per_s", "%.1f", fin->iter * (double)cfg->batch / fin->train_s);
	set_num_(&r, "train_s", "%.6f", fin->train_s);
	set_num_(&r, "total_s", "%.6f", total_s);
	set_str_(&r, "status", fin->status);
	set_int_(&r, "iters", fin->iter);
	set_config_(&r, rep);

	if (cfg->format == FORMAT_TEXT && !cfg->quiet && fin->best_epoch > 0)
		fprintf(rep->out, "early stopping: the best val_acc was epoch %d's; its weights are "
			"kept, and evaluated again for this summary\n", fin->best_epoch);
	if (cfg->format == FORMAT_TEXT)
		write_summary_line_(rep, fin, total_s);
	else {
		if (cfg->quiet && cfg->format == FORMAT_CSV)
			write_csv_header_(rep->out);
		write_record_(rep->out, cfg->format, &r);
	}
	fflush(rep->out);

	if (rep->log) {
		write_record_(rep->log, rep->log_format, &r);
		if (atomic_commit(&rep->log_file) != 0) {
			warnf("--log: error writing %s:", cfg->log_path);
			status = -1;
		}
		rep->log = NULL;
	}
	if (cfg->plot_path && write_plot_(rep, fin) != 0)
		status = -1;
	free(rep->series);
	rep->series = NULL;
	return status;
}

void
report_json_string(FILE *f, const char *s)
{
	json_string_(f, s);
}
