/* report.c: the per-epoch records and the final summary in text, CSV and JSON lines.
 *
 * A record is built once as a list of named fields, then written in whichever formats stdout
 * and the log want, so the three formats cannot drift apart: same names, same values. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot.h"
#include "util.h"

#define PROGRESS_EVERY_S 0.25
#define PROGRESS_WIDTH 72 /* columns the progress line covers, padding included */

/* The CSV columns are these, then the configuration's: one per flag with a record name in
 * the flags table (hidden, activation, lr, max_iters, batch, init_std, seed, data). Epoch rows
 * leave status and iters empty, the final row leaves time_s empty; both carry the
 * configuration (from net on), so rows of several runs can be concatenated. iters is the
 * iterations done, as in the text summary; max_iters is --iters. */
static const char *const run_columns_[] = {
	"record", "epoch", "iter", "loss", "train_acc", "test_acc", "time_s", "samples_per_s",
	"train_s", "total_s", "status", "iters", "net", "params",
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
csv_field_(FILE *f, const char *s)
{
	/* RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. */
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
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
			csv_field_(f, r->f[i].str ? r->f[i].str : r->f[i].text);
	}
	fputc('\n', f);
}

static void
json_string_(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
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
	rep->progress = !cfg->quiet && isatty(STDERR_FILENO);
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

void
report_begin(struct report *rep, const struct net *net, const struct dataset *train,
	     const struct dataset *test, int epoch_iters)
{
	const struct config *cfg = rep->cfg;
	size_t used = 0;
	for (int l = 0; l <= net->n_affine && used < sizeof rep->net_desc; l++)
		used += (size_t)snprintf(rep->net_desc + used, sizeof rep->net_desc - used, "%s%d",
					 l ? "-" : "", net->dims[l]);
	rep->n_params = net->n_params;
	rep->epoch_iters = epoch_iters;
	rep->last_progress = -1.0;
	if (rep->log && rep->log_format == FORMAT_CSV)
		write_csv_header_(rep->log);
	if (cfg->format == FORMAT_CSV && !cfg->quiet)
		write_csv_header_(rep->out);
	if (cfg->format != FORMAT_TEXT || cfg->quiet)
		return;
	char init[320];
	if (cfg->load_path)
		snprintf(init, sizeof init, "loaded from %.300s", cfg->load_path);
	else if (cfg->init == INIT_STD)
		snprintf(init, sizeof init, "init-std %g", (double)cfg->init_std);
	else
		snprintf(init, sizeof init, "init %s", init_name(cfg->init));
	fprintf(rep->out, "bptrain %s: net %s %s, %zu parameters, %s, seed %llu\n",
		BPTRAIN_VERSION, rep->net_desc, activation_name(cfg->activation), net->n_params,
		init, (unsigned long long)cfg->seed);
	fprintf(rep->out, "data %s: %zu train, %zu test images of %dx%d, %d classes\n",
		cfg->data_dir, train->count, test->count, train->rows, train->cols, train->classes);
	fprintf(rep->out, "%s: lr %g, batch %d, %d iterations (%d per epoch), %d thread%s",
		optim_name(cfg->optimizer), (double)cfg->lr, cfg->batch, cfg->iters, epoch_iters,
		cfg->threads, cfg->threads == 1 ? "" : "s");
	if (cfg->weight_decay != 0.0f)
		fprintf(rep->out, ", weight decay %g", (double)cfg->weight_decay);
	if (cfg->dropout != 0.0f)
		fprintf(rep->out, ", dropout %g", (double)cfg->dropout);
	if (cfg->batchnorm)
		fprintf(rep->out, ", batchnorm");
	fprintf(rep->out, "\n");
	fprintf(rep->out, "%5s %7s %9s %9s %9s %8s %13s\n", "epoch", "iter", "loss", "train_acc",
		"test_acc", "time_s", "samples_per_s");
	fflush(rep->out);
}

/* Blank the progress line so the next stdout line (often the same terminal) starts clean. */
static void
clear_progress_(struct report *rep)
{
	if (!rep->progress_shown)
		return;
	fprintf(stderr, "%*s\r", PROGRESS_WIDTH, "");
	fflush(stderr);
	rep->progress_shown = 0;
}

void
report_progress(struct report *rep, int iter)
{
	if (!rep->progress)
		return;
	double now = now_sec();
	/* The first iteration always shows, so even a short run shows the line once. */
	if (rep->last_progress >= 0 && now - rep->last_progress < PROGRESS_EVERY_S)
		return;
	rep->last_progress = now;
	int iters = rep->cfg->iters;
	double elapsed = now - rep->start;
	double eta = iter > 0 ? elapsed / iter * (iters - iter) : 0.0;
	char line[96];
	snprintf(line, sizeof line, "bptrain: epoch %d, iteration %d/%d (%d%%), %.0f s left",
		 (iter - 1) / rep->epoch_iters + 1, iter, iters, (int)(100.0 * iter / iters), eta);
	/* The cursor goes back to the line start, so a warning printed next overwrites it. */
	fprintf(stderr, "%-*s\r", PROGRESS_WIDTH, line);
	fflush(stderr);
	rep->progress_shown = 1;
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

void
report_epoch(struct report *rep, const struct report_epoch *e)
{
	const struct config *cfg = rep->cfg;
	rep->last_epoch = e->epoch;
	clear_progress_(rep);
	if (cfg->plot_path)
		keep_(rep, e);
	struct record_ r = {0};
	set_str_(&r, "record", "epoch");
	set_int_(&r, "epoch", e->epoch);
	set_int_(&r, "iter", e->iter);
	set_num_(&r, "loss", "%.9g", e->loss);
	set_num_(&r, "train_acc", "%.9g", e->train_acc);
	set_num_(&r, "test_acc", "%.9g", e->test_acc);
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
		fflush(rep->log);
	if (cfg->quiet)
		return;
	if (cfg->format == FORMAT_TEXT)
		fprintf(rep->out, "%5d %7d %9.4f %9.4f %9.4f %8.3f %13.0f\n", e->epoch, e->iter,
			e->loss, e->train_acc, e->test_acc, e->time_s, e->samples_per_s);
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
		fflush(rep->log);
	}
	if (cfg->quiet || cfg->format == FORMAT_TEXT)
		return;
	clear_progress_(rep);
	write_record_(rep->out, cfg->format, cfg->format == FORMAT_CSV ? &with_config : &r);
	fflush(rep->out);
}

static void
write_summary_line_(const struct report *rep, const struct report_final *fin, double total_s)
{
	/* The configuration part of the line, in the order scripts have always read it. */
	static const char *const config_keys[] = {
		"max_iters", "hidden", "activation", "lr", "batch", "init_std", "seed", "init",
		"optimizer", "weight_decay", "dropout", "batchnorm",
	};
	fprintf(rep->out, "train_acc=%.4f test_acc=%.4f loss=%.4f iters=%d", fin->train_acc,
		fin->test_acc, fin->loss, fin->iter);
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
	double *x = xmalloc(4 * (size_t)(n ? n : 1) * sizeof *x);
	double *train = x + n, *test = x + 2 * n, *loss = x + 3 * n;
	for (int i = 0; i < n; i++) {
		x[i] = rep->series[i].iter;
		train[i] = rep->series[i].train_acc;
		test[i] = rep->series[i].test_acc;
		loss[i] = rep->series[i].loss;
	}
	char lr[32], init_std[32], title[512], subtitle[512];
	fmt_float(lr, sizeof lr, cfg->lr);
	fmt_float(init_std, sizeof init_std, cfg->init_std);
	snprintf(title, sizeof title, "bptrain %s %s: lr %s, batch %d, %d iterations, "
		 "init-std %s, seed %llu", rep->net_desc, activation_name(cfg->activation), lr,
		 cfg->batch, cfg->iters, init_std, (unsigned long long)cfg->seed);
	snprintf(subtitle, sizeof subtitle, "data %s: final test_acc %.4f, train_acc %.4f, "
		 "loss %.4f after %d iterations (%s)", cfg->data_dir, fin->test_acc, fin->train_acc,
		 fin->loss, fin->iter, fin->status);
	struct plot_panel panels[2] = {
		{.ylabel = "accuracy", .n_series = 2,
		 .series = {{"train_acc", "#1f77b4", train}, {"test_acc", "#d62728", test}}},
		{.ylabel = "training loss", .n_series = 1, .series = {{"loss", "#2ca02c", loss}}},
	};
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
	clear_progress_(rep);

	struct record_ r = {0};
	set_str_(&r, "record", "final");
	set_int_(&r, "epoch", rep->last_epoch);
	set_int_(&r, "iter", fin->iter);
	set_num_(&r, "loss", "%.9g", fin->loss);
	set_num_(&r, "train_acc", "%.9g", fin->train_acc);
	set_num_(&r, "test_acc", "%.9g", fin->test_acc);
	if (fin->train_s > 0)
		set_num_(&r, "samples_per_s", "%.1f", fin->iter * (double)cfg->batch / fin->train_s);
	set_num_(&r, "train_s", "%.6f", fin->train_s);
	set_num_(&r, "total_s", "%.6f", total_s);
	set_str_(&r, "status", fin->status);
	set_int_(&r, "iters", fin->iter);
	set_config_(&r, rep);

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
report_csv_field(FILE *f, const char *s)
{
	csv_field_(f, s);
}

void
report_json_string(FILE *f, const char *s)
{
	json_string_(f, s);
}
