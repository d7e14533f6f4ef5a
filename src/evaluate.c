/* evaluate.c: --evaluate. The net classifies the training and test sets exactly as
 * training's evaluation does (the same path, the same chunks), so a saved model shows the
 * accuracy its run ended with, to the bit. */
#include "evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "gallery.h"
#include "pool.h"
#include "util.h"

void
evaluate_classify(struct trainer *t, const uint8_t *const *images, size_t n,
		  uint8_t *predicted, double *prob)
{
	struct net *net = t->net;
	int k = net->dims[net->n_affine];
	for (size_t first = 0; first < n; first += EVAL_CHUNK) {
		int rows = n - first < EVAL_CHUNK ? (int)(n - first) : EVAL_CHUNK;
		if (t->use_fast) {
			fast_logits(&t->fast, images + first, rows);
		} else {
			images_to_floats(t->x, images + first, rows, net->dims[0]);
			net_forward(net, t->x, NULL, rows, NET_EVAL);
		}
		net_argmax(net, predicted + first, rows);
		for (int i = 0; prob && i < rows; i++) {
			/* softmax of the best logit: 1 / Σ exp(l_j - l_best), in double. */
			const float *logits = net_logits(net) + (size_t)i * k;
			double best = logits[predicted[first + i]], sum = 0.0;
			for (int j = 0; j < k; j++)
				sum += exp((double)logits[j] - best);
			prob[first + i] = 1.0 / sum;
		}
	}
}

/* Classify the whole of ds; returns the fraction correct, computed as evaluate() does. */
static double
classify_set_(struct trainer *t, const struct dataset *ds, uint8_t *predicted, double *prob)
{
	const uint8_t **images = xmalloc(ds->count * sizeof *images);
	for (size_t i = 0; i < ds->count; i++)
		images[i] = ds->pixels + i * (size_t)ds->input_size;
	evaluate_classify(t, images, ds->count, predicted, prob);
	free(images);
	size_t correct = 0;
	for (size_t i = 0; i < ds->count; i++)
		correct += predicted[i] == ds->labels[i];
	return (double)correct / (double)ds->count;
}

/* One class of the test set's confusion matrix: count[true][predicted]. Accuracy is the
 * one-against-the-rest kind, (true positives + true negatives) / all; precision and recall
 * are NaN (an empty field) when nothing was predicted as, or nothing is, that class. */
struct class_stats_ {
	size_t images, tp;
	double accuracy, precision, recall;
};

struct eval_ {
	const struct config *cfg;
	const struct model *m;
	const struct dataset *train, *test;
	double train_acc, test_acc, start;
	size_t errors;
	int k;
	size_t count[IDX_MAX_CLASSES][IDX_MAX_CLASSES];
	uint8_t *predicted; /* the test set's */
	double *prob;
	char net_desc[128];
};

static struct class_stats_
class_stats_(const struct eval_ *e, int c)
{
	struct class_stats_ s = {.tp = e->count[c][c]};
	size_t predicted = 0, n = e->test->count;
	for (int j = 0; j < e->k; j++) {
		s.images += e->count[c][j];
		predicted += e->count[j][c];
	}
	s.accuracy = (double)(n - s.images - predicted + 2 * s.tp) / (double)n;
	s.precision = predicted ? (double)s.tp / (double)predicted : NAN;
	s.recall = s.images ? (double)s.tp / (double)s.images : NAN;
	return s;
}

static const char *
model_status_(const struct model *m)
{
	if (!m->has_train)
		return "";
	switch (m->train.end) {
	case MODEL_END_DONE:
		return "ok";
	case MODEL_END_INTERRUPTED:
		return "interrupted";
	}
	return "";
}

/* "1200" or "": the iterations the model was trained for, if the file says. */
static const char *
model_iters_(const struct model *m, char *buf, size_t size)
{
	if (!m->has_train)
		return "";
	snprintf(buf, size, "%llu", (unsigned long long)m->train.iters_done);
	return buf;
}

static void
print_text_header_(const struct eval_ *e)
{
	const struct model *m = e->m;
	char iters[32];
	printf("bptrain %s: model %s: net %s %s, %zu parameters, %s iterations%s%s\n",
	       BPTRAIN_VERSION, e->cfg->load_path, e->net_desc, activation_name(m->net.activation),
	       m->net.n_params, m->has_train ? model_iters_(m, iters, sizeof iters) : "unknown",
	       m->has_train ? ", " : "", model_status_(m));
	printf("data %s: %zu train, %zu test images of %dx%d, %d classes\n", e->cfg->data_dir,
	       e->train->count, e->test->count, e->test->rows, e->test->cols, e->k);
	printf("confusion matrix of the test set: a row per true class, a column per predicted "
	       "class\nclass");
	for (int j = 0; j < e->k; j++)
		printf(" %5d", j);
	printf(" %7s %9s %9s %7s\n", "images", "accuracy", "precision", "recall");
}

/* A table cell: 4 decimals, or "-" for NaN (no such prediction, or no such image). */
static void
print_ratio_(double v, int width)
{
	if (isnan(v))
		printf(" %*s", width, "-");
	else
		printf(" %*.4f", width, v);
}

/* The table (text), or a confusion record per class (CSV, JSON). */
static void
print_confusion_(const struct eval_ *e, struct fields *r)
{
	enum format format = e->cfg->format;
	if (format == FORMAT_TEXT)
		print_text_header_(e);
	for (int c = 0; c < e->k; c++) {
		struct class_stats_ s = class_stats_(e, c);
		if (format == FORMAT_TEXT) {
			printf("%5d", c);
			for (int j = 0; j < e->k; j++)
				printf(" %5zu", e->count[c][j]);
			printf(" %7zu %9.4f", s.images, s.accuracy);
			print_ratio_(s.precision, 9);
			print_ratio_(s.recall, 7);
			putchar('\n');
			continue;
		}
		fields_clear(r);
		fields_str(r, "record", "confusion");
		fields_int(r, "class", c);
		fields_int(r, "images", (long long)s.images);
		for (int j = 0; j < e->k; j++) {
			char name[24];
			snprintf(name, sizeof name, "predicted_%d", j);
			fields_int(r, name, (long long)e->count[c][j]);
		}
		fields_num(r, "accuracy", "%.9g", s.accuracy);
		fields_num(r, "precision", "%.9g", s.precision);
		fields_num(r, "recall", "%.9g", s.recall);
		fields_write(stdout, format, r);
	}
}

/* The last record: the summary line (text), or the evaluate record. */
static void
print_final_(const struct eval_ *e, struct fields *r)
{
	const struct model *m = e->m;
	char iters[32];
	double total_s = now_sec() - e->start;
	if (e->cfg->format == FORMAT_TEXT) {
		printf("train_acc=%.4f test_acc=%.4f errors=%zu model=%s net=%s params=%zu "
		       "activation=%s iters=%s model_status=%s total_s=%.3f\n", e->train_acc,
		       e->test_acc, e->errors, e->cfg->load_path, e->net_desc, m->net.n_params,
		       activation_name(m->net.activation), model_iters_(m, iters, sizeof iters),
		       model_status_(m), total_s);
		return;
	}
	fields_clear(r);
	fields_str(r, "record", "evaluate");
	fields_num(r, "train_acc", "%.9g", e->train_acc);
	fields_num(r, "test_acc", "%.9g", e->test_acc);
	fields_int(r, "errors", (long long)e->errors);
	fields_int(r, "train_images", (long long)e->train->count);
	fields_int(r, "test_images", (long long)e->test->count);
	fields_str(r, "model", e->cfg->load_path);
	fields_str(r, "net", e->net_desc);
	fields_int(r, "params", (long long)m->net.n_params);
	fields_str(r, "activation", activation_name(m->net.activation));
	if (m->has_train) {
		fields_int(r, "iters", (long long)m->train.iters_done);
		fields_str(r, "model_status", model_status_(m));
	}
	fields_str(r, "data", e->cfg->data_dir);
	fields_num(r, "total_s", "%.6f", total_s);
	fields_write(stdout, e->cfg->format, r);
}

/* The records' columns (docs/output.md): the confusion records', then the final one's. */
static void
schema_(struct fields *r, int k)
{
	static const char *const head[] = {"record", "class", "images"};
	static const char *const tail[] = {
		"accuracy", "precision", "recall", "train_acc", "test_acc", "errors",
		"train_images", "test_images", "model", "net", "params", "activation", "iters",
		"model_status", "data", "total_s",
	};
	fields_init(r);
	for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
		fields_add(r, head[i]);
	for (int j = 0; j < k; j++) {
		char name[24];
		snprintf(name, sizeof name, "predicted_%d", j);
		fields_add(r, name);
	}
	for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
		fields_add(r, tail[i]);
}

static void
print_(const struct eval_ *e)
{
	struct fields r;
	schema_(&r, e->k);
	if (e->cfg->format == FORMAT_CSV)
		fields_csv_header(stdout, &r);
	if (!e->cfg->quiet)
		print_confusion_(e, &r);
	print_final_(e, &r);
	fflush(stdout);
}

/* --misclassified: the first MISCLASSIFIED_SHOWN test images classified wrongly. */
static int
write_misclassified_(const struct eval_ *e)
{
	enum { CAPTION = 32, TOOLTIP = 96 };
	const struct dataset *test = e->test;
	struct gallery_item items[MISCLASSIFIED_SHOWN];
	char (*text)[CAPTION + TOOLTIP] = xmalloc(MISCLASSIFIED_SHOWN * sizeof *text);
	int n = 0;
	for (size_t i = 0; i < test->count && n < MISCLASSIFIED_SHOWN; i++) {
		if (e->predicted[i] == test->labels[i])
			continue;
		snprintf(text[n], CAPTION, "%d \xe2\x86\x92 %d", test->labels[i], e->predicted[i]);
		snprintf(text[n] + CAPTION, TOOLTIP, "test image %zu: true %d, predicted %d "
			 "(probability %.3f)", i, test->labels[i], e->predicted[i], e->prob[i]);
		items[n] = (struct gallery_item){test->pixels + i * (size_t)test->input_size,
						 text[n], text[n] + CAPTION};
		n++;
	}
	char title[160], subtitle[512];
	snprintf(title, sizeof title, "bptrain: %s%d of the %zu misclassified test digits "
		 "(true \xe2\x86\x92 predicted)", e->errors > (size_t)n ? "the first " : "", n,
		 e->errors);
	snprintf(subtitle, sizeof subtitle, "model %s: net %s %s, test_acc %.4f on %s",
		 e->cfg->load_path, e->net_desc, activation_name(e->m->net.activation), e->test_acc,
		 e->cfg->data_dir);
	struct gallery g = {.title = title, .subtitle = subtitle, .rows = test->rows,
			    .cols = test->cols, .n = n, .items = items};
	int status = gallery_write_svg(e->cfg->misclassified_path, &g);
	free(text);
	return status;
}

static void
describe_net_(char *buf, size_t size, const struct net *net)
{
	size_t used = 0;
	for (int a = 0; a <= net->n_affine && used < size; a++)
		used += (size_t)snprintf(buf + used, size - used, "%s%d", a ? "-" : "",
					 net->dims[a]);
}

int
evaluate_run(const struct config *cfg, struct model *m, const struct dataset *train,
	     const struct dataset *test, double start)
{
	struct pool *pool = pool_create(cfg->threads, trainer_scratch_bytes(train->input_size));
	if (!pool)
		return EXIT_RUNTIME;
	struct eval_ *e = xmalloc(sizeof *e);
	*e = (struct eval_){.cfg = cfg, .m = m, .train = train, .test = test, .start = start,
			    .k = m->net.dims[m->net.n_affine]};
	describe_net_(e->net_desc, sizeof e->net_desc, &m->net);
	size_t most = train->count > test->count ? train->count : test->count;
	e->predicted = xmalloc(most);
	e->prob = xmalloc(test->count * sizeof *e->prob);
	struct trainer t;
	trainer_init(&t, &m->net, pool);
	trainer_compact(&t, train);
	trainer_compact(&t, test);
	e->train_acc = classify_set_(&t, train, e->predicted, NULL);
	e->test_acc = classify_set_(&t, test, e->predicted, e->prob);
	for (size_t i = 0; i < test->count; i++) {
		e->count[test->labels[i]][e->predicted[i]]++;
		e->errors += e->predicted[i] != test->labels[i];
	}
	print_(e);
	int status = cfg->misclassified_path && write_misclassified_(e) != 0 ? EXIT_RUNTIME
									      : EXIT_OK;
	trainer_free(&t);
	pool_free(pool);
	free(e->predicted);
	free(e->prob);
	free(e);
	return status;
}
