/* test_model: the model file (src/model.h, docs/model-format.md).
 *
 * A round trip keeps every bit of a trained net and of its training state, for every layer
 * kind and optimizer, and training goes on from the loaded state exactly as from the
 * original; the resume sections (the seconds, the shuffled order, early stopping's best
 * epoch and the net training reached) come back bit for bit too. Hostile files are refused,
 * each with one line naming the file, and leave the model empty: cut at every length, every
 * byte flipped, a wrong magic, version or byte order; and, with the checksum made to match
 * so that the field checks are reached, every kind of field out of range, absurd sizes, and
 * sections missing, repeated, unknown or out of place. --resume refuses the files it cannot
 * go on from before it reads any data. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "model.h"
#include "train.h"

enum { ROWS = 3, COLS = 4, IN = ROWS * COLS, CLASSES = 3, N_IMAGES = 16, BATCH = 5,
       MAX_BATCH = 8, MAX_SECTIONS = 16 };

#define NAME_ "damaged.bpm"

static uint8_t pixels_[N_IMAGES * IN], labels_[N_IMAGES];
static char dir_[64];

/* A net to save. */
struct case_ {
	const char *what;
	int n_affine;
	int dims[4];
	enum activation activation;
	int batchnorm;
	float dropout, weight_decay;
	enum optim_kind optimizer;
};

static const struct case_ cases_[] = {
	{"relu sgd", 2, {IN, 5, CLASSES}, ACT_RELU, 0, 0.0f, 0.0f, OPTIM_SGD},
	{"sigmoid momentum", 2, {IN, 4, CLASSES}, ACT_SIGMOID, 0, 0.0f, 0.01f, OPTIM_MOMENTUM},
	{"deep nesterov", 3, {IN, 6, 4, CLASSES}, ACT_RELU, 0, 0.0f, 0.0f, OPTIM_NESTEROV},
	{"adagrad dropout", 2, {IN, 7, CLASSES}, ACT_RELU, 0, 0.5f, 0.0f, OPTIM_ADAGRAD},
	{"rmsprop batchnorm", 3, {IN, 5, 4, CLASSES}, ACT_RELU, 1, 0.0f, 0.0f, OPTIM_RMSPROP},
	{"adam everything", 3, {IN, 5, 4, CLASSES}, ACT_SIGMOID, 1, 0.25f, 0.001f, OPTIM_ADAM},
	{"one layer", 1, {IN, CLASSES}, ACT_RELU, 0, 0.0f, 0.0f, OPTIM_SGD},
};
#define ADAM_CASE 5 /* every section is in its file */

static void
make_data_(void)
{
	for (int i = 0; i < N_IMAGES; i++) {
		labels_[i] = (uint8_t)(i % CLASSES);
		for (int j = 0; j < IN; j++)
			pixels_[i * IN + j] = (uint8_t)(j / COLS == labels_[i] ? 200 + i
							: (i * 37 + j * 11) % 60);
	}
}

/* A trained net, its optimizer and sampling generator, as a run has them. */
struct run_ {
	struct net net;
	struct optim optim;
	struct rng rng;
	struct trainer t;
};

static void
run_init_(struct run_ *run, const struct case_ *c)
{
	struct net_options opts = {.init = INIT_XAVIER, .weight_decay = c->weight_decay,
				   .dropout = c->dropout, .batchnorm = c->batchnorm, .seed = 11};
	rng_seed(&run->rng, 7);
	if (net_init(&run->net, c->dims, c->n_affine, c->activation, MAX_BATCH, &opts, &run->rng))
		abort();
	struct optim_config oc = {.kind = c->optimizer, .lr = 0.05f, .momentum = 0.8f,
				  .alpha = 0.9f, .beta1 = 0.85f, .beta2 = 0.99f, .eps = 1e-6f};
	optim_init(&run->optim, &oc, run->net.n_params);
	trainer_init(&run->t, &run->net, NULL);
}

/* Training steps with batches drawn as train_run draws them; returns the summed loss. */
static double
train_(struct trainer *t, struct optim *optim, struct rng *rng, int steps)
{
	double loss = 0.0;
	for (int s = 0; s < steps; s++) {
		const uint8_t *images[BATCH];
		uint8_t labels[BATCH];
		for (int i = 0; i < BATCH; i++) {
			size_t row = (size_t)rng_below(rng, N_IMAGES);
			images[i] = pixels_ + row * IN;
			labels[i] = labels_[row];
		}
		optim_begin_step(optim);
		loss += trainer_step(t, images, labels, BATCH, optim);
	}
	return loss;
}

static void
run_free_(struct run_ *run)
{
	trainer_free(&run->t);
	optim_free(&run->optim);
	net_free(&run->net);
}

/* A resume state for run (docs/model-format.md's optional sections) into tr: an order of
 * the N_IMAGES rows, a best epoch and the net training reached, as --save writes them for a
 * shuffled run with early stopping. best and last (net_state_floats each) are the caller's. */
static void
resume_state_(struct model_train *tr, const struct run_ *run, size_t *order, float *best,
	      float *last)
{
	size_t n = net_state_floats(&run->net);
	for (size_t i = 0; i < N_IMAGES; i++)
		order[i] = (i * 5 + 3) % N_IMAGES; /* 5 is prime to 16: a permutation */
	net_state_save(&run->net, last);
	for (size_t i = 0; i < n; i++)
		best[i] = last[i] * 0.5f + 0.25f; /* running variances stay positive */
	tr->has_resume = 1;
	tr->train_s = 1.75;
	tr->train_images = N_IMAGES;
	tr->order = order;
	tr->next = 5;
	tr->best_epoch = 1;
	tr->best_val_acc = 0.625;
	tr->best_loss = 1.0 / 3.0;
	tr->stopped = 0;
	tr->best = best;
	tr->last = last;
}

static int
same_floats_(const float *a, const float *b, size_t n)
{
	return (n == 0 || (a && b)) && memcmp(a, b, n * sizeof *a) == 0;
}

/* The loaded net is the saved one: shape, layer list, parameters, running averages. */
static void
check_same_net_(const char *what, const struct net *a, const struct net *b)
{
	int shape = a->n_affine == b->n_affine && a->activation == b->activation &&
		    a->n_layers == b->n_layers && a->n_params == b->n_params &&
		    memcmp(a->dims, b->dims, sizeof a->dims) == 0 && a->seed == b->seed &&
		    a->step == b->step && memcmp(&a->weight_decay, &b->weight_decay, 4) == 0;
	CHECK(shape, "%s: the loaded net has another shape or counters", what);
	if (!shape)
		return;
	for (int i = 0; i < a->n_layers; i++) {
		const struct layer *la = &a->layer[i], *lb = &b->layer[i];
		CHECK(la->kind == lb->kind && la->in == lb->in && la->out == lb->out &&
		      memcmp(&la->rate, &lb->rate, sizeof la->rate) == 0,
		      "%s: layer %d differs", what, i);
		if (la->kind == LAYER_BATCHNORM)
			CHECK(same_floats_(la->run_mean, lb->run_mean, (size_t)la->out) &&
			      same_floats_(la->run_var, lb->run_var, (size_t)la->out),
			      "%s: layer %d's running averages differ", what, i);
	}
	CHECK(same_floats_(a->params, b->params, a->n_params), "%s: the parameters differ", what);
}

static void
check_same_optim_(const char *what, const struct optim *a, const struct optim *b, size_t n)
{
	const struct optim_config *ca = &a->cfg, *cb = &b->cfg;
	CHECK(ca->kind == cb->kind && ca->lr == cb->lr && ca->momentum == cb->momentum &&
	      ca->alpha == cb->alpha && ca->beta1 == cb->beta1 && ca->beta2 == cb->beta2 &&
	      ca->eps == cb->eps && a->step == b->step &&
	      memcmp(&a->lr_t, &b->lr_t, sizeof a->lr_t) == 0,
	      "%s: the optimizer's constants or counters differ", what);
	for (int s = 0; s < optim_state_arrays(ca->kind); s++)
		CHECK(same_floats_(a->state[s], b->state[s], n), "%s: optimizer state %d differs",
		      what, s);
}

static void
path_(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir_, name);
}

/* Save a trained case, load it back, compare everything, then train both on: same bits. */
static void
test_round_trip_(const struct case_ *c)
{
	struct run_ run;
	run_init_(&run, c);
	double loss_before = train_(&run.t, &run.optim, &run.rng, 6);
	struct model_train tr = {.end = MODEL_END_INTERRUPTED, .iters_done = 6, .epoch_steps = 2,
				 .epoch_loss = loss_before, .rng = run.rng, .optim = &run.optim,
				 .config = "lr=0.05\nhidden=5,4\ndata=a=b \xc3\xa9\n"};
	size_t order[N_IMAGES], n_state = net_state_floats(&run.net);
	float *best = malloc(n_state * sizeof *best), *last = malloc(n_state * sizeof *last);
	resume_state_(&tr, &run, order, best, last);
	char path[128];
	path_(path, sizeof path, "round.bpm");
	CHECK(model_save(path, &run.net, ROWS, COLS, &tr) == 0, "%s: save", c->what);
	struct model m;
	enum model_status status = model_load(&m, path, MAX_BATCH);
	CHECK(status == MODEL_OK, "%s: load gives status %d", c->what, status);
	if (status != MODEL_OK) {
		run_free_(&run);
		return;
	}
	check_same_net_(c->what, &run.net, &m.net);
	CHECK(m.rows == ROWS && m.cols == COLS, "%s: images %dx%d", c->what, m.rows, m.cols);
	CHECK(m.has_train && m.train.end == MODEL_END_INTERRUPTED && m.train.iters_done == 6 &&
	      m.train.epoch_steps == 2 &&
	      memcmp(&m.train.epoch_loss, &loss_before, sizeof loss_before) == 0 &&
	      memcmp(&m.train.rng, &run.rng, sizeof run.rng) == 0,
	      "%s: the training state differs", c->what);
	CHECK(m.train.config && strcmp(m.train.config, tr.config) == 0, "%s: config '%s'",
	      c->what, m.train.config ? m.train.config : "(null)");
	check_same_optim_(c->what, &run.optim, &m.optim, run.net.n_params);
	const struct model_train *mt = &m.train;
	CHECK(mt->has_resume && mt->train_s == tr.train_s && mt->train_images == N_IMAGES &&
	      mt->order && memcmp(mt->order, order, sizeof order) == 0 && mt->next == 5 &&
	      mt->best_epoch == 1 && mt->best_val_acc == tr.best_val_acc &&
	      memcmp(&mt->best_loss, &tr.best_loss, sizeof tr.best_loss) == 0 && !mt->stopped,
	      "%s: the resume state's counters or order differ", c->what);
	CHECK(same_floats_(mt->best, best, n_state) && same_floats_(mt->last, last, n_state),
	      "%s: the best or last net state differs", c->what);
	free(best);
	free(last);

	/* Training goes on from the file as it would have gone on in the run. */
	struct net loaded;
	model_take_net(&m, &loaded);
	struct trainer t;
	trainer_init(&t, &loaded, NULL);
	struct rng rng = m.train.rng;
	double a = train_(&run.t, &run.optim, &run.rng, 5), b = train_(&t, &m.optim, &rng, 5);
	CHECK(memcmp(&a, &b, sizeof a) == 0, "%s: loss after loading %.9g, in the run %.9g",
	      c->what, b, a);
	check_same_net_(c->what, &run.net, &loaded);
	check_same_optim_(c->what, &run.optim, &m.optim, run.net.n_params);
	trainer_free(&t);
	net_free(&loaded);
	model_free(&m);
	run_free_(&run);
}

/* A model without the training state (a file from a future --save-net, say) loads too. */
static void
test_no_state_(void)
{
	struct run_ run;
	run_init_(&run, &cases_[0]);
	train_(&run.t, &run.optim, &run.rng, 3);
	char path[128];
	path_(path, sizeof path, "net-only.bpm");
	CHECK(model_save(path, &run.net, ROWS, COLS, NULL) == 0, "save without state");
	struct model m;
	CHECK(model_load(&m, path, MAX_BATCH) == MODEL_OK && !m.has_train && !m.config,
	      "a model without training state loads, and says so");
	check_same_net_("no state", &run.net, &m.net);
	model_free(&m);
	run_free_(&run);
}

/* The bytes of the file saved for case c (with the resume sections if with_resume), into
 * a malloc'ed buffer. */
static uint8_t *
saved_bytes_(const struct case_ *c, int with_resume, size_t *size)
{
	struct run_ run;
	run_init_(&run, c);
	train_(&run.t, &run.optim, &run.rng, 4);
	struct model_train tr = {.end = MODEL_END_DONE, .iters_done = 4, .rng = run.rng,
				 .optim = &run.optim, .config = "lr=0.05\n"};
	size_t order[N_IMAGES], n_state = net_state_floats(&run.net);
	float *best = malloc(n_state * sizeof *best), *last = malloc(n_state * sizeof *last);
	if (with_resume)
		resume_state_(&tr, &run, order, best, last);
	char path[128];
	path_(path, sizeof path, "bytes.bpm");
	if (model_save(path, &run.net, ROWS, COLS, &tr) != 0)
		abort();
	free(best);
	free(last);
	run_free_(&run);
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 16);
	*size = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

/* What a parse did. */
struct outcome_ {
	enum model_status status;
	int one_line; /* a failure printed exactly one line, naming the file; success none */
	int empty;    /* a failure left the model empty */
};

static struct outcome_
parse_(const uint8_t *buf, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *real = stderr;
	stderr = open_memstream(&text, &len);
	struct model m;
	struct outcome_ o = {.status = model_parse(&m, buf, size, NAME_, MAX_BATCH)};
	fclose(stderr);
	stderr = real;
	const char *prefix = "bptrain: " NAME_ ": ";
	if (o.status == MODEL_OK)
		o.one_line = len == 0;
	else
		o.one_line = len > 0 && strchr(text, '\n') == text + len - 1 &&
			     strncmp(text, prefix, strlen(prefix)) == 0;
	o.empty = !m.net.memory && !m.optim.memory && !m.config && !m.has_train;
	if (o.status == MODEL_OK)
		model_free(&m);
	free(text);
	return o;
}

/* A refusal with the given status (any failure for MODEL_OK), one line, nothing kept. */
static void
expect_refused_(const uint8_t *buf, size_t size, enum model_status want, const char *what)
{
	struct outcome_ o = parse_(buf, size);
	CHECK(o.status != MODEL_OK && (want == MODEL_OK || o.status == want),
	      "%s: status %d, want %d", what, o.status, want);
	CHECK(o.one_line, "%s: not one line naming the file", what);
	CHECK(o.status == MODEL_OK || o.empty, "%s: the refused model was not left empty", what);
}

/* Cut at every length; every byte flipped, in two ways. */
static void
test_cut_and_flipped_(const uint8_t *good, size_t size)
{
	uint8_t *buf = malloc(size);
	int cut_ok = 1, flip_ok = 1, flip_checksum = 1;
	for (size_t n = 0; n < size; n++) {
		struct outcome_ o = parse_(good, n);
		cut_ok &= o.status != MODEL_OK && o.one_line && o.empty;
	}
	CHECK(cut_ok, "a model cut at some length below %zu bytes was not refused cleanly", size);
	for (size_t i = 0; i < size; i++)
		for (int mask = 1; mask <= 0xff; mask += 0xfe) {
			memcpy(buf, good, size);
			buf[i] ^= (uint8_t)mask;
			struct outcome_ o = parse_(buf, size);
			flip_ok &= o.status != MODEL_OK && o.one_line && o.empty;
			/* Past the header and before the checksum's own tag, only the checksum
			 * can notice. */
			if (i >= 16 && (i < size - 20 || i >= size - 8))
				flip_checksum &= o.status == MODEL_ERR_CHECKSUM;
		}
	CHECK(flip_ok, "a model with a flipped byte was not refused cleanly");
	CHECK(flip_checksum, "a flipped byte in the contents was not refused for its checksum");
	struct outcome_ o = parse_(good, size);
	CHECK(o.status == MODEL_OK && o.one_line, "the undamaged bytes load (status %d)", o.status);
	free(buf);
}

static void
set_u32_(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void
set_u64_(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void
set_f32_(uint8_t *p, float v)
{
	uint32_t bits;
	memcpy(&bits, &v, sizeof bits);
	set_u32_(p, bits);
}

static uint64_t
get_u64_(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The checksum made to match again, so that a test reaches the field checks. */
static void
reseal_(uint8_t *buf, size_t size)
{
	set_u64_(buf + size - 8, model_checksum(buf, size - 8));
}

/* The sections of a file: where each starts (its tag) and how long it is with its head. */
struct sections_ {
	int n;
	size_t at[MAX_SECTIONS], len[MAX_SECTIONS];
	char tag[MAX_SECTIONS][5];
};

static void
sections_of_(const uint8_t *buf, size_t size, struct sections_ *s)
{
	s->n = 0;
	for (size_t at = 16; at + 12 <= size && s->n < MAX_SECTIONS; s->n++) {
		s->at[s->n] = at;
		s->len[s->n] = 12 + (size_t)get_u64_(buf + at + 4);
		memcpy(s->tag[s->n], buf + at, 4);
		s->tag[s->n][4] = '\0';
		at += s->len[s->n];
	}
}

/* The payload of the section tagged tag, or abort. */
static size_t
payload_(const struct sections_ *s, const char *tag)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->tag[i], tag) == 0)
			return s->at[i] + 12;
	abort();
}

enum width_ { U32, U64, F32 };

/* One field of a valid file changed, the checksum resealed. */
struct edit_ {
	const char *tag;
	size_t offset; /* in the section's payload */
	enum width_ width;
	uint64_t value;
	float fvalue;  /* F32 */
	enum model_status want;
	const char *what;
};

/* Offsets in the ADAM_CASE file (docs/model-format.md): a net 12-5-4-3 with batch
 * normalization, 122 parameters (65 + 24 + 15 in the affine layers, 18 for γ and β). */
static const struct edit_ edits_[] = {
	{"NET ", 0, U32, 0, 0, MODEL_ERR_FIELD, "no affine layer"},
	{"NET ", 0, U32, 9, 0, MODEL_ERR_FIELD, "9 affine layers"},
	{"NET ", 0, U32, 0xffffffffu, 0, MODEL_ERR_FIELD, "2^32-1 affine layers"},
	{"NET ", 0, U32, 2, 0, MODEL_ERR_SECTION, "2 affine layers in a section sized for 3"},
	{"NET ", 4, U32, 0, 0, MODEL_ERR_FIELD, "no inputs"},
	{"NET ", 4, U32, (1u << 24) + 1, 0, MODEL_ERR_FIELD, "2^24+1 inputs"},
	{"NET ", 4, U32, 13, 0, MODEL_ERR_FIELD, "13 inputs for 3x4 images"},
	{"NET ", 8, U32, 0, 0, MODEL_ERR_FIELD, "a hidden layer of 0"},
	{"NET ", 8, U32, 65537, 0, MODEL_ERR_FIELD, "a hidden layer of 65537"},
	{"NET ", 8, U32, 0xffffffffu, 0, MODEL_ERR_FIELD, "a hidden layer of 2^32-1"},
	{"NET ", 8, U32, 6, 0, MODEL_ERR_FIELD, "a hidden layer the parameters disagree with"},
	{"NET ", 16, U32, 1, 0, MODEL_ERR_FIELD, "1 class"},
	{"NET ", 16, U32, 11, 0, MODEL_ERR_FIELD, "11 classes"},
	{"NET ", 20, U32, 4, 0, MODEL_ERR_FIELD, "4x4 images of 12 inputs"},
	{"NET ", 20, U32, 0, 0, MODEL_ERR_FIELD, "images of 0 rows"},
	{"NET ", 24, U32, 0x40000000u, 0, MODEL_ERR_FIELD, "images of 2^30 columns"},
	{"NET ", 28, U32, 2, 0, MODEL_ERR_FIELD, "activation 2"},
	{"NET ", 32, U32, 2, 0, MODEL_ERR_FIELD, "batchnorm 2"},
	{"NET ", 32, U32, 0, 0, MODEL_ERR_FIELD, "no batchnorm, but its parameters"},
	{"NET ", 36, F32, 0, NAN, MODEL_ERR_FIELD, "dropout NaN"},
	{"NET ", 36, F32, 0, 1.0f, MODEL_ERR_FIELD, "dropout 1"},
	{"NET ", 36, F32, 0, -0.5f, MODEL_ERR_FIELD, "dropout -0.5"},
	{"NET ", 40, F32, 0, NAN, MODEL_ERR_FIELD, "weight decay NaN"},
	{"NET ", 40, F32, 0, -1.0f, MODEL_ERR_FIELD, "weight decay -1"},
	{"NET ", 40, F32, 0, INFINITY, MODEL_ERR_FIELD, "weight decay inf"},
	{"NET ", 44, U64, 1ull << 63, 0, MODEL_ERR_FIELD, "seed 2^63"},
	{"NET ", 52, U64, ~0ull, 0, MODEL_ERR_FIELD, "step 2^64-1"},
	{"NET ", 60, U64, 0, 0, MODEL_ERR_FIELD, "0 parameters"},
	{"NET ", 60, U64, 1ull << 40, 0, MODEL_ERR_FIELD, "2^40 parameters"},
	/* The layer list from offset 68: 10 layers of (kind, in, out), affine 12 to 5 first. */
	{"NET ", 68, U32, 9, 0, MODEL_ERR_SECTION, "9 layers in a section sized for 10"},
	{"NET ", 68, U32, 0xffffffffu, 0, MODEL_ERR_SECTION, "2^32-1 layers"},
	{"NET ", 72 + 12 * 3, U32, 2, 0, MODEL_ERR_FIELD, "a relu where the dropout is"},
	{"NET ", 72 + 12 * 2, U32, 7, 0, MODEL_ERR_FIELD, "layer kind 7"},
	{"NET ", 72 + 8, U32, 6, 0, MODEL_ERR_FIELD, "the first layer's 6 outputs for 5"},
	{"NET ", 72 + 12 * 9 + 4, U32, 4, 0, MODEL_ERR_FIELD, "the loss's 4 inputs for 3"},
	{"PARM", 0, U64, 1ull << 40, 0, MODEL_ERR_FIELD, "PARM's count 2^40"},
	{"PARM", 0, U64, 1, 0, MODEL_ERR_FIELD, "PARM's count 1"},
	{"PARM", 8, F32, 0, NAN, MODEL_ERR_FIELD, "a NaN parameter"},
	{"PARM", 12, F32, 0, -INFINITY, MODEL_ERR_FIELD, "an infinite parameter"},
	{"BNRS", 0, U32, 1, 0, MODEL_ERR_FIELD, "running averages of 1 layer for 2"},
	{"BNRS", 4, U32, 6, 0, MODEL_ERR_FIELD, "running averages of 6 units for 5"},
	{"BNRS", 8, F32, 0, NAN, MODEL_ERR_FIELD, "a NaN running mean"},
	{"BNRS", 28, F32, 0, -1.0f, MODEL_ERR_FIELD, "a negative running variance"},
	{"BNRS", 68, F32, 0, INFINITY, MODEL_ERR_FIELD, "an infinite running variance"},
	{"TRAN", 0, U32, 2, 0, MODEL_ERR_FIELD, "a run that ended in way 2"},
	{"TRAN", 4, U64, 1ull << 63, 0, MODEL_ERR_FIELD, "iteration 2^63"},
	{"TRAN", 12, U64, 5, 0, MODEL_ERR_FIELD, "5 steps into the epoch after 4"},
	{"TRAN", 20, U64, 0x7ff8000000000000ull, 0, MODEL_ERR_FIELD, "an epoch loss of NaN"},
	{"TRAN", 20, U64, 0x3ff0000000000000ull, 0, MODEL_ERR_FIELD, "a loss of 1 for 0 steps"},
	{"OPTM", 0, U32, 6, 0, MODEL_ERR_FIELD, "optimizer 6"},
	{"OPTM", 0, U32, 4, 0, MODEL_ERR_SECTION, "rmsprop with adam's two state arrays"},
	{"OPTM", 4, F32, 0, 0.0f, MODEL_ERR_FIELD, "lr 0"},
	{"OPTM", 4, F32, 0, NAN, MODEL_ERR_FIELD, "lr NaN"},
	{"OPTM", 4, F32, 0, 2e6f, MODEL_ERR_FIELD, "lr 2e6"},
	{"OPTM", 4, F32, 0, 1e-40f, MODEL_ERR_FIELD, "a subnormal lr"},
	{"OPTM", 8, F32, 0, 1.5f, MODEL_ERR_FIELD, "momentum 1.5"},
	{"OPTM", 12, F32, 0, -0.1f, MODEL_ERR_FIELD, "alpha -0.1"},
	{"OPTM", 16, F32, 0, 1.0f, MODEL_ERR_FIELD, "beta1 1"},
	{"OPTM", 20, F32, 0, NAN, MODEL_ERR_FIELD, "beta2 NaN"},
	{"OPTM", 24, F32, 0, 0.0f, MODEL_ERR_FIELD, "eps 0"},
	{"OPTM", 28, U64, 1ull << 63, 0, MODEL_ERR_FIELD, "optimizer step 2^63"},
	{"OPTM", 36, F32, 0, INFINITY, MODEL_ERR_FIELD, "an infinite step rate"},
	{"OPTM", 40, U32, 1, 0, MODEL_ERR_FIELD, "adam with 1 state array"},
	{"OPTM", 44, U64, 7, 0, MODEL_ERR_FIELD, "optimizer state for 7 parameters"},
	{"OPTM", 52, F32, 0, NAN, MODEL_ERR_FIELD, "a NaN first moment"},
	{"OPTM", 52 + 4 * 122, F32, 0, -1.0f, MODEL_ERR_FIELD, "a negative second moment"},
	{"resm", 0, U64, 0x7ff8000000000000ull, 0, MODEL_ERR_FIELD, "a training time of NaN"},
	{"resm", 0, U64, 0xbff0000000000000ull, 0, MODEL_ERR_FIELD, "a training time of -1"},
	{"resm", 8, U64, 0, 0, MODEL_ERR_FIELD, "no training images"},
	{"resm", 8, U64, 1ull << 32, 0, MODEL_ERR_FIELD, "2^32 training images"},
	{"resm", 8, U64, 17, 0, MODEL_ERR_FIELD, "17 training images for an order of 16"},
	/* shuf: count, next, then the order (i * 5 + 3) % 16: 3, 8, 13, ... */
	{"shuf", 0, U64, 0, 0, MODEL_ERR_FIELD, "an order of no rows"},
	{"shuf", 0, U64, 1ull << 32, 0, MODEL_ERR_FIELD, "an order of 2^32 rows"},
	{"shuf", 0, U64, 15, 0, MODEL_ERR_SECTION, "15 rows in a section sized for 16"},
	{"shuf", 0, U64, ~0ull, 0, MODEL_ERR_FIELD, "an order of 2^64-1 rows"},
	{"shuf", 8, U64, 17, 0, MODEL_ERR_FIELD, "the next batch past the 16 rows"},
	{"shuf", 16, U32, 16, 0, MODEL_ERR_FIELD, "row 16 of 16"},
	{"shuf", 16, U32, 0xffffffffu, 0, MODEL_ERR_FIELD, "row 2^32-1"},
	{"shuf", 16, U32, 8, 0, MODEL_ERR_FIELD, "row 8 twice"},
	{"shuf", 16 + 4 * 15, U32, 3, 0, MODEL_ERR_FIELD, "row 3 twice, the last entry"},
	/* best: epoch, val_acc, loss, stopped, count, then 140 floats: 122 parameters, the
	 * first batch normalization's 5 means and 5 variances, the second's 4 and 4. */
	{"best", 0, U64, 0, 0, MODEL_ERR_FIELD, "best epoch 0"},
	{"best", 0, U64, 5, 0, MODEL_ERR_FIELD, "best epoch 5 after 4 iterations"},
	{"best", 0, U64, ~0ull, 0, MODEL_ERR_FIELD, "best epoch 2^64-1"},
	{"best", 8, U64, 0x7ff8000000000000ull, 0, MODEL_ERR_FIELD, "a best val_acc of NaN"},
	{"best", 8, U64, 0x3ff0000000000001ull, 0, MODEL_ERR_FIELD, "a best val_acc above 1"},
	{"best", 16, U64, 0xbff0000000000000ull, 0, MODEL_ERR_FIELD, "a best loss of -1"},
	{"best", 16, U64, 0x7ff0000000000000ull, 0, MODEL_ERR_FIELD, "an infinite best loss"},
	{"best", 24, U32, 2, 0, MODEL_ERR_FIELD, "stopped 2"},
	{"best", 28, U64, 139, 0, MODEL_ERR_FIELD, "a best state of 139 values for 140"},
	{"best", 28, U64, 1ull << 40, 0, MODEL_ERR_FIELD, "a best state of 2^40 values"},
	{"best", 36, F32, 0, NAN, MODEL_ERR_FIELD, "a NaN parameter in the best state"},
	{"best", 36 + 4 * 127, F32, 0, -1.0f, MODEL_ERR_FIELD,
	 "a negative running variance in the best state"},
	{"best", 36 + 4 * 139, F32, 0, INFINITY, MODEL_ERR_FIELD,
	 "an infinite last running variance in the best state"},
	{"last", 0, U64, 141, 0, MODEL_ERR_FIELD, "a last state of 141 values for 140"},
	{"last", 8 + 4 * 121, F32, 0, -INFINITY, MODEL_ERR_FIELD, "an infinite last parameter"},
	{"last", 8 + 4 * 122, F32, 0, NAN, MODEL_ERR_FIELD, "a NaN running mean in the last state"},
	{"last", 8 + 4 * 136, F32, 0, -0.5f, MODEL_ERR_FIELD,
	 "a negative running variance in the last state"},
	{"conf", 2, U32, 0x0a303d01, 0, MODEL_ERR_FIELD, "a control byte in the configuration"},
	{"conf", 0, U32, 0x2e303d3d, 0, MODEL_ERR_FIELD, "a configuration line with no name"},
};

static void
test_fields_(const uint8_t *good, size_t size)
{
	struct sections_ s;
	sections_of_(good, size, &s);
	uint8_t *buf = malloc(size);
	for (size_t e = 0; e < sizeof edits_ / sizeof edits_[0]; e++) {
		const struct edit_ *ed = &edits_[e];
		memcpy(buf, good, size);
		uint8_t *p = buf + payload_(&s, ed->tag) + ed->offset;
		switch (ed->width) {
		case U32: set_u32_(p, (uint32_t)ed->value); break;
		case U64: set_u64_(p, ed->value); break;
		case F32: set_f32_(p, ed->fvalue); break;
		}
		reseal_(buf, size);
		expect_refused_(buf, size, ed->want, ed->what);
	}
	/* Absurd sizes that agree with each other: hidden layers of 65536 and the parameter
	 * count they imply, 60 times what the file holds; refused before anything is built. */
	memcpy(buf, good, size);
	size_t net = payload_(&s, "NET ");
	set_u32_(buf + net + 8, 65536);
	set_u32_(buf + net + 12, 65536);
	uint64_t params = 12ull * 65536 + 65536 + 65536ull * 65536 + 65536 + 65536 * 3 + 3 +
			  2 * (65536 + 65536);
	set_u64_(buf + net + 60, params);
	reseal_(buf, size);
	expect_refused_(buf, size, MODEL_ERR_FIELD, "hidden layers of 65536 in a small file");
	/* A section claiming more than the file holds. */
	memcpy(buf, good, size);
	set_u64_(buf + payload_(&s, "PARM") - 8, ~0ull);
	reseal_(buf, size);
	expect_refused_(buf, size, MODEL_ERR_TRUNCATED, "a section of 2^64-1 bytes");
	/* Just past the end: conf, the last section before the checksum, claiming the rest of
	 * the file and 4 bytes more. The length is checked against what is left, exactly. */
	memcpy(buf, good, size);
	size_t conf = payload_(&s, "conf");
	set_u64_(buf + conf - 8, size - conf + 4);
	reseal_(buf, size);
	expect_refused_(buf, size, MODEL_ERR_TRUNCATED, "a section running 4 bytes past the end");
	memcpy(buf, good, size);
	set_u64_(buf + payload_(&s, "PARM") - 8, get_u64_(good + payload_(&s, "PARM") - 8) - 4);
	reseal_(buf, size);
	expect_refused_(buf, size, MODEL_OK, "a section 4 bytes shorter than its fields");
	free(buf);
}

/* The header's fields, the checksum left as it is: the envelope is checked first. */
static void
test_envelope_(const uint8_t *good, size_t size)
{
	uint8_t *buf = malloc(size);
	static const uint32_t versions[] = {0, 2, 0x01000000, 0xffffffffu};
	for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
		memcpy(buf, good, size);
		set_u32_(buf + 8, versions[v]);
		reseal_(buf, size);
		expect_refused_(buf, size, MODEL_ERR_VERSION, "another format version");
	}
	memcpy(buf, good, size);
	set_u32_(buf + 12, 0x04030201);
	reseal_(buf, size);
	expect_refused_(buf, size, MODEL_ERR_VERSION, "big-endian byte order mark");
	memcpy(buf, good, size);
	memcpy(buf, "BPTRAINX", 8);
	reseal_(buf, size);
	expect_refused_(buf, size, MODEL_ERR_MAGIC, "another magic");
	memcpy(buf, "\x08\x03\x00\x00", 4);
	expect_refused_(buf, 4, MODEL_ERR_MAGIC, "4 bytes of something else");
	expect_refused_(good, 0, MODEL_ERR_TRUNCATED, "an empty file");
	expect_refused_(good, 7, MODEL_ERR_TRUNCATED, "7 bytes of the magic");
	expect_refused_(good, size - 1, MODEL_ERR_TRUNCATED, "one byte short");
	free(buf);
}

/* A file made of the good file's header, the sections listed (indices into s, -1 for
 * extra), and its checksum section, resealed. Returns the size. */
static size_t
assemble_(uint8_t *out, const uint8_t *good, const struct sections_ *s, const int *list,
	  int n, const uint8_t *extra, size_t extra_len)
{
	size_t size = 16;
	memcpy(out, good, 16);
	for (int i = 0; i < n; i++) {
		const uint8_t *from = list[i] < 0 ? extra : good + s->at[list[i]];
		size_t len = list[i] < 0 ? extra_len : s->len[list[i]];
		memcpy(out + size, from, len);
		size += len;
	}
	memcpy(out + size, good + s->at[s->n - 1], 20);
	size += 20;
	reseal_(out, size);
	return size;
}

/* Sections missing, repeated, unknown, out of order. The ADAM_CASE file has NET PARM BNRS
 * TRAN RNG OPTM resm shuf best last conf SUM, indices 0 to 11. */
static void
test_sections_(const uint8_t *good, size_t size)
{
	struct sections_ s;
	sections_of_(good, size, &s);
	CHECK(s.n == 12 && strcmp(s.tag[0], "NET ") == 0 && strcmp(s.tag[6], "resm") == 0 &&
	      strcmp(s.tag[9], "last") == 0 && strcmp(s.tag[11], "SUM ") == 0,
	      "the file has its 12 sections (%d)", s.n);
	if (s.n != 12)
		return;
	uint8_t *buf = malloc(3 * size), extra[16];
	static const struct {
		int list[13], n;
		int extra; /* 0 none, 1 an unknown uppercase section, 2 lowercase, 3 a SUM */
		enum model_status want;
		const char *what;
	} shapes[] = {
		{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 11, 0, MODEL_OK, "all of it"},
		{{0, 1, 2}, 3, 0, MODEL_OK, "no training state"},
		{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10, 0, MODEL_OK, "no configuration"},
		{{0, 1, 2, 3, 4, 5, 10}, 7, 0, MODEL_OK, "no resume state (an older bptrain's)"},
		{{0, 1, 2, 3, 4, 5, 6, 10}, 8, 0, MODEL_OK, "resm alone (drawn with replacement)"},
		{{0, 1, 2, 3, 4, 5, 6, 8, 10}, 9, 0, MODEL_OK, "best without last or shuf"},
		{{0, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 11, 0, MODEL_OK,
		 "NET first, the rest in any order"},
		{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1}, 12, 2, MODEL_OK,
		 "an unknown optional section"},
		{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1}, 12, 1, MODEL_ERR_SECTION,
		 "an unknown required section"},
		{{0, 1, 2, -1, 3, 4, 5, 6}, 8, 3, MODEL_ERR_SECTION, "a checksum in the middle"},
		{{1, 0, 2, 3, 4, 5, 6}, 7, 0, MODEL_ERR_SECTION, "PARM before NET"},
		{{-1, 0, 1, 2, 3, 4, 5, 6}, 8, 2, MODEL_ERR_SECTION, "an optional one before NET"},
		{{0, 1, 1, 2, 3, 4, 5, 6}, 8, 0, MODEL_ERR_SECTION, "PARM twice"},
		{{0, 0, 1, 2}, 4, 0, MODEL_ERR_SECTION, "NET twice"},
		{{0, 2, 3, 4, 5, 6}, 6, 0, MODEL_ERR_SECTION, "no PARM"},
		{{0, 1, 3, 4, 5, 6}, 6, 0, MODEL_ERR_SECTION, "no BNRS for a batchnorm net"},
		{{0, 1, 2, 3, 4, 10}, 6, 0, MODEL_ERR_SECTION, "TRAN and RNG without OPTM"},
		{{0, 1, 2, 5}, 4, 0, MODEL_ERR_SECTION, "OPTM alone"},
		{{1, 2}, 2, 0, MODEL_ERR_SECTION, "no NET"},
		{{0}, 0, 0, MODEL_ERR_SECTION, "no section but the checksum"},
		{{0, 1, 2, 6, 10}, 5, 0, MODEL_ERR_SECTION, "resm without the training state"},
		{{0, 1, 2, 3, 4, 5, 7, 8, 9}, 9, 0, MODEL_ERR_SECTION,
		 "shuf, best and last without resm"},
		{{0, 1, 2, 3, 4, 5, 6, 7, 9}, 9, 0, MODEL_ERR_SECTION, "last without best"},
		{{0, 1, 2, 3, 4, 5, 6, 6, 7}, 9, 0, MODEL_ERR_SECTION, "resm twice"},
		{{0, 1, 2, 3, 4, 5, 6, 7, 7}, 9, 0, MODEL_ERR_SECTION, "shuf twice"},
		{{0, 1, 2, 3, 4, 5, 6, 8, 9, 8}, 10, 0, MODEL_ERR_SECTION, "best twice"},
		{{0, 1, 2, 3, 4, 5, 6, 8, 9, 9}, 10, 0, MODEL_ERR_SECTION, "last twice"},
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		static const char tags[][5] = {"none", "XTRA", "xtra", "SUM "};
		memcpy(extra, tags[shapes[i].extra], 4);
		set_u64_(extra + 4, 4);
		memset(extra + 12, 0, 4);
		size_t n = assemble_(buf, good, &s, shapes[i].list, shapes[i].n, extra, 16);
		if (shapes[i].want == MODEL_OK) {
			struct outcome_ o = parse_(buf, n);
			CHECK(o.status == MODEL_OK && o.one_line, "%s: status %d", shapes[i].what,
			      o.status);
		} else
			expect_refused_(buf, n, shapes[i].want, shapes[i].what);
	}
	free(buf);
}

/* checkpoint_resume on the model at path: its status, and whether it printed one line
 * naming the file and saying want. */
static int
resume_refused_(const char *path, const char *want, int *one_line)
{
	char *text = NULL;
	size_t len = 0;
	FILE *real = stderr;
	stderr = open_memstream(&text, &len);
	char *argv[] = {"bptrain", "--resume", (char *)path, NULL};
	struct config cfg;
	int status = flags_parse(&cfg, 3, argv) == FLAGS_RUN ? 0 : -1;
	struct resume res;
	if (status == 0)
		status = checkpoint_resume(&res, &cfg);
	checkpoint_resume_free(&res);
	fclose(stderr);
	stderr = real;
	*one_line = len > 0 && strchr(text, '\n') == text + len - 1 && strstr(text, path) &&
		    strstr(text, want);
	free(text);
	return status;
}

/* What --resume refuses before it reads any data (exit 1, one line naming the file): a
 * net without training state, a file without the resume sections (an older bptrain's),
 * and a configuration that lacks a field or holds a value its flag refuses. */
static void
test_not_resumable_(void)
{
	struct run_ run;
	run_init_(&run, &cases_[0]);
	train_(&run.t, &run.optim, &run.rng, 3);
	size_t order[N_IMAGES];
	float *best = malloc(net_state_floats(&run.net) * sizeof *best);
	float *last = malloc(net_state_floats(&run.net) * sizeof *last);
	static const struct {
		const char *name, *config, *want;
		int state, resume;
	} files[] = {
		{"none.bpm", NULL, "no training state", 0, 0},
		{"older.bpm", "lr=0.05\n", "no resume state", 1, 0},
		{"short.bpm", "lr=0.05\n", "does not say hidden=", 1, 1},
		{"bad.bpm", "lr=x\n", "lr=x is refused: --lr: 'x' is not a number", 1, 1},
	};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		struct model_train tr = {.end = MODEL_END_INTERRUPTED, .iters_done = 3,
					 .rng = run.rng, .optim = &run.optim,
					 .config = files[f].config};
		if (files[f].resume)
			resume_state_(&tr, &run, order, best, last);
		char path[128];
		path_(path, sizeof path, files[f].name);
		if (model_save(path, &run.net, ROWS, COLS, files[f].state ? &tr : NULL) != 0)
			abort();
		int one_line, status = resume_refused_(path, files[f].want, &one_line);
		CHECK(status == EXIT_RUNTIME && one_line, "--resume %s: status %d, want 1 and one "
		      "line saying '%s'", files[f].name, status, files[f].want);
		unlink(path);
	}
	free(best);
	free(last);
	run_free_(&run);
}

/* Files that are not files: refused by model_load without blocking. */
static void
test_not_files_(void)
{
	char path[128];
	struct model m;
	FILE *real = stderr;
	stderr = fopen("/dev/null", "w");
	path_(path, sizeof path, "missing.bpm");
	enum model_status missing = model_load(&m, path, MAX_BATCH);
	enum model_status dir = model_load(&m, dir_, MAX_BATCH);
	path_(path, sizeof path, "fifo.bpm");
	enum model_status fifo = mkfifo(path, 0600) == 0 ? model_load(&m, path, MAX_BATCH)
							  : MODEL_OK;
	fclose(stderr);
	stderr = real;
	CHECK(missing == MODEL_ERR_OPEN, "a missing file: status %d", missing);
	CHECK(dir == MODEL_ERR_OPEN, "a directory: status %d", dir);
	CHECK(fifo == MODEL_ERR_OPEN, "a FIFO: status %d", fifo);
	unlink(path);
}

int
main(void)
{
	snprintf(dir_, sizeof dir_, "/tmp/test_model.%ld", (long)getpid());
	if (mkdir(dir_, 0700) != 0) {
		perror(dir_);
		return 1;
	}
	make_data_();
	for (size_t c = 0; c < sizeof cases_ / sizeof cases_[0]; c++)
		test_round_trip_(&cases_[c]);
	test_no_state_();
	size_t size;
	uint8_t *good = saved_bytes_(&cases_[ADAM_CASE], 1, &size);
	test_cut_and_flipped_(good, size);
	test_envelope_(good, size);
	test_fields_(good, size);
	test_sections_(good, size);
	free(good);
	size_t small_size;
	uint8_t *small = saved_bytes_(&cases_[0], 0, &small_size);
	test_cut_and_flipped_(small, small_size);
	free(small);
	test_not_files_();
	test_not_resumable_();
	char path[128];
	for (const char *name = "round.bpm", *names[] = {"net-only.bpm", "bytes.bpm", NULL},
			*const *next = names; name; name = *next++) {
		path_(path, sizeof path, name);
		unlink(path);
	}
	rmdir(dir_);
	return check_report("test_model");
}
