/* model.c: the model file (docs/model-format.md). The writer puts every number out byte by
 * byte, little-endian, so the file is the same on any machine; the loader checks the
 * envelope (magic, version, byte order, checksum) before it reads a single field, then each
 * field before it uses it. */
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h" /* IDX_MAX_CLASSES */
#include "util.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define HEADER_BYTES 16                /* magic, version, byte order */
#define SECTION_HEAD 12                /* tag, payload length */
#define SUM_BYTES (SECTION_HEAD + 8)   /* the last section: the checksum */
#define MAX_STEPS ((uint64_t)1 << 62)  /* iteration and step counts: far beyond any run */
#define MAX_SEED 0x7fffffffffffffffULL /* --seed's range */

/* The sections of version 1, in the order the writer puts them. The lowercase ones are
 * optional: a reader that does not know them skips them. */
enum section_ {
	SEC_NET, SEC_PARM, SEC_BNRS, SEC_TRAN, SEC_RNG, SEC_OPTM, SEC_RESM, SEC_SHUF, SEC_BEST,
	SEC_LAST, SEC_CONF, SEC_SUM,
};
#define N_SECTIONS_ (SEC_SUM + 1)
static const char section_tags_[N_SECTIONS_][5] = {
	"NET ", "PARM", "BNRS", "TRAN", "RNG ", "OPTM", "resm", "shuf", "best", "last", "conf",
	"SUM ",
};

static uint64_t
fnv1a_(uint64_t hash, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hash = (hash ^ p[i]) * FNV_PRIME;
	return hash;
}

uint64_t
model_checksum(const void *data, size_t size)
{
	return fnv1a_(FNV_OFFSET, data, size);
}

/* The file's codes for the enums: fixed numbers, so that reordering an enum in the code
 * never changes what a file means. */
static uint32_t
activation_code_(enum activation activation)
{
	switch (activation) {
	case ACT_RELU:
		return 0;
	case ACT_SIGMOID:
		return 1;
	}
	abort();
}

static int
activation_of_(uint32_t code, enum activation *activation)
{
	switch (code) {
	case 0:
		*activation = ACT_RELU;
		return 0;
	case 1:
		*activation = ACT_SIGMOID;
		return 0;
	}
	return -1;
}

static uint32_t
optim_code_(enum optim_kind kind)
{
	switch (kind) {
	case OPTIM_SGD: return 0;
	case OPTIM_MOMENTUM: return 1;
	case OPTIM_NESTEROV: return 2;
	case OPTIM_ADAGRAD: return 3;
	case OPTIM_RMSPROP: return 4;
	case OPTIM_ADAM: return 5;
	}
	abort();
}

static int
optim_of_(uint32_t code, enum optim_kind *kind)
{
	static const enum optim_kind kinds[] = {OPTIM_SGD, OPTIM_MOMENTUM, OPTIM_NESTEROV,
						OPTIM_ADAGRAD, OPTIM_RMSPROP, OPTIM_ADAM};
	if (code >= sizeof kinds / sizeof kinds[0] || optim_code_(kinds[code]) != code)
		return -1;
	*kind = kinds[code];
	return 0;
}

static uint32_t
layer_code_(enum layer_kind kind)
{
	switch (kind) {
	case LAYER_AFFINE: return 0;
	case LAYER_BATCHNORM: return 1;
	case LAYER_RELU: return 2;
	case LAYER_SIGMOID: return 3;
	case LAYER_DROPOUT: return 4;
	case LAYER_SOFTMAX_XENT: return 5;
	}
	abort();
}

static const char *
layer_code_name_(uint32_t code)
{
	static const char *const names[] = {"affine", "batchnorm", "relu", "sigmoid", "dropout",
					    "softmax-xent"};
	return code < sizeof names / sizeof names[0] ? names[code] : "unknown layer";
}

static uint32_t
end_code_(enum model_end end)
{
	switch (end) {
	case MODEL_END_DONE:
		return 0;
	case MODEL_END_INTERRUPTED:
		return 1;
	}
	abort();
}

/* ---- Writing ---- */

struct writer_ {
	FILE *f;        /* NULL: only count the bytes (a section's length, before writing it) */
	uint64_t bytes; /* put so far */
	uint64_t hash;  /* FNV-1a of them */
};

static void
put_(struct writer_ *w, const void *bytes, size_t n)
{
	w->bytes += n;
	if (!w->f)
		return;
	w->hash = fnv1a_(w->hash, bytes, n);
	/* A failed write sets the stream's error flag, which atomic_commit reports. */
	fwrite(bytes, 1, n, w->f);
}

static void
put_u32_(struct writer_ *w, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	put_(w, b, sizeof b);
}

static void
put_u64_(struct writer_ *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	put_(w, b, sizeof b);
}

/* Floats as their IEEE bits, so they read back identical, NaN payloads and -0 included. */
static void
put_f32_(struct writer_ *w, float v)
{
	uint32_t bits;
	memcpy(&bits, &v, sizeof bits);
	put_u32_(w, bits);
}

static void
put_f64_(struct writer_ *w, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	put_u64_(w, bits);
}

/* n floats, encoded a buffer at a time: one put_ per float would cost more than the rest. */
static void
put_floats_(struct writer_ *w, const float *v, size_t n)
{
	uint8_t buf[4096];
	size_t i = 0;
	while (i < n) {
		size_t k = 0;
		for (; i < n && k < sizeof buf; i++, k += 4) {
			uint32_t bits;
			memcpy(&bits, &v[i], sizeof bits);
			for (int b = 0; b < 4; b++)
				buf[k + b] = (uint8_t)(bits >> 8 * b);
		}
		put_(w, buf, k);
	}
}

/* What the section writers need. */
struct save_ {
	const struct net *net;
	int rows, cols;
	const struct model_train *train;
};

static void
net_body_(struct writer_ *w, const struct save_ *s)
{
	const struct net *net = s->net;
	const struct layer *dropout = net_first_of(net, LAYER_DROPOUT);
	put_u32_(w, (uint32_t)net->n_affine);
	for (int a = 0; a <= net->n_affine; a++)
		put_u32_(w, (uint32_t)net->dims[a]);
	put_u32_(w, (uint32_t)s->rows);
	put_u32_(w, (uint32_t)s->cols);
	put_u32_(w, activation_code_(net->activation));
	put_u32_(w, net_first_of(net, LAYER_BATCHNORM) != NULL);
	put_f32_(w, dropout ? dropout->rate : 0.0f);
	put_f32_(w, net->weight_decay);
	put_u64_(w, net->seed);
	put_u64_(w, (uint64_t)net->step);
	put_u64_(w, net->n_params);
	/* The list these fields make, spelt out: a file is refused, rather than misread, by a
	 * build that would make another list from them. */
	put_u32_(w, (uint32_t)net->n_layers);
	for (int i = 0; i < net->n_layers; i++) {
		put_u32_(w, layer_code_(net->layer[i].kind));
		put_u32_(w, (uint32_t)net->layer[i].in);
		put_u32_(w, (uint32_t)net->layer[i].out);
	}
}

static void
params_body_(struct writer_ *w, const struct save_ *s)
{
	put_u64_(w, s->net->n_params);
	put_floats_(w, s->net->params, s->net->n_params);
}

static void
running_body_(struct writer_ *w, const struct save_ *s)
{
	const struct net *net = s->net;
	uint32_t count = 0;
	for (int i = 0; i < net->n_layers; i++)
		count += net->layer[i].kind == LAYER_BATCHNORM;
	put_u32_(w, count);
	for (int i = 0; i < net->n_layers; i++) {
		const struct layer *layer = &net->layer[i];
		if (layer->kind != LAYER_BATCHNORM)
			continue;
		put_u32_(w, (uint32_t)layer->out);
		put_floats_(w, layer->run_mean, (size_t)layer->out);
		put_floats_(w, layer->run_var, (size_t)layer->out);
	}
}

static void
train_body_(struct writer_ *w, const struct save_ *s)
{
	put_u32_(w, end_code_(s->train->end));
	put_u64_(w, s->train->iters_done);
	put_u64_(w, s->train->epoch_steps);
	put_f64_(w, s->train->epoch_loss);
}

static void
rng_body_(struct writer_ *w, const struct save_ *s)
{
	for (int i = 0; i < 4; i++)
		put_u64_(w, s->train->rng.s[i]);
}

static void
optim_body_(struct writer_ *w, const struct save_ *s)
{
	const struct optim *o = s->train->optim;
	int arrays = optim_state_arrays(o->cfg.kind);
	put_u32_(w, optim_code_(o->cfg.kind));
	put_f32_(w, o->cfg.lr);
	put_f32_(w, o->cfg.momentum);
	put_f32_(w, o->cfg.alpha);
	put_f32_(w, o->cfg.beta1);
	put_f32_(w, o->cfg.beta2);
	put_f32_(w, o->cfg.eps);
	put_u64_(w, (uint64_t)o->step);
	put_f32_(w, o->lr_t);
	put_u32_(w, (uint32_t)arrays);
	put_u64_(w, s->net->n_params);
	for (int a = 0; a < arrays; a++)
		put_floats_(w, o->state[a], s->net->n_params);
}

static void
resume_body_(struct writer_ *w, const struct save_ *s)
{
	put_f64_(w, s->train->train_s);
	put_u64_(w, s->train->train_images);
}

/* The shuffled order as u32, a buffer at a time (row numbers are below 2^32: IDX counts
 * are u32). */
static void
shuffle_body_(struct writer_ *w, const struct save_ *s)
{
	const struct model_train *t = s->train;
	put_u64_(w, t->train_images);
	put_u64_(w, t->next);
	uint8_t buf[4096];
	for (uint64_t i = 0; i < t->train_images;) {
		size_t k = 0;
		for (; i < t->train_images && k < sizeof buf; i++, k += 4)
			for (int b = 0; b < 4; b++)
				buf[k + b] = (uint8_t)(t->order[i] >> 8 * b);
		put_(w, buf, k);
	}
}

static void
best_body_(struct writer_ *w, const struct save_ *s)
{
	const struct model_train *t = s->train;
	size_t n = net_state_floats(s->net);
	put_u64_(w, t->best_epoch);
	put_f64_(w, t->best_val_acc);
	put_f64_(w, t->best_loss);
	put_u32_(w, t->stopped != 0);
	put_u64_(w, n);
	put_floats_(w, t->best, n);
}

static void
last_body_(struct writer_ *w, const struct save_ *s)
{
	size_t n = net_state_floats(s->net);
	put_u64_(w, n);
	put_floats_(w, s->train->last, n);
}

static void
config_body_(struct writer_ *w, const struct save_ *s)
{
	put_(w, s->train->config, strlen(s->train->config));
}

typedef void section_body_(struct writer_ *w, const struct save_ *s);

/* A section: its tag, its length (found by a counting pass of the same body), its body. */
static void
put_section_(struct writer_ *w, enum section_ sec, section_body_ *body, const struct save_ *s)
{
	struct writer_ count = {0};
	body(&count, s);
	put_(w, section_tags_[sec], 4);
	put_u64_(w, count.bytes);
	body(w, s);
}

int
model_save(const char *path, const struct net *net, int rows, int cols,
	   const struct model_train *train)
{
	struct atomic_file af;
	if (atomic_open(&af, path) != 0) {
		warnf("cannot create model %s:", path);
		return -1;
	}
	struct writer_ w = {.f = af.f, .hash = FNV_OFFSET};
	struct save_ s = {net, rows, cols, train};
	put_(&w, MODEL_MAGIC, 8);
	put_u32_(&w, MODEL_VERSION);
	put_u32_(&w, MODEL_BYTE_ORDER);
	put_section_(&w, SEC_NET, net_body_, &s);
	put_section_(&w, SEC_PARM, params_body_, &s);
	if (net_first_of(net, LAYER_BATCHNORM))
		put_section_(&w, SEC_BNRS, running_body_, &s);
	if (train) {
		put_section_(&w, SEC_TRAN, train_body_, &s);
		put_section_(&w, SEC_RNG, rng_body_, &s);
		put_section_(&w, SEC_OPTM, optim_body_, &s);
		if (train->has_resume)
			put_section_(&w, SEC_RESM, resume_body_, &s);
		if (train->has_resume && train->order)
			put_section_(&w, SEC_SHUF, shuffle_body_, &s);
		if (train->has_resume && train->best_epoch > 0)
			put_section_(&w, SEC_BEST, best_body_, &s);
		if (train->has_resume && train->last)
			put_section_(&w, SEC_LAST, last_body_, &s);
		if (train->config)
			put_section_(&w, SEC_CONF, config_body_, &s);
	}
	/* The checksum covers every byte before it, its own section's tag and length too. */
	put_(&w, section_tags_[SEC_SUM], 4);
	put_u64_(&w, 8);
	put_u64_(&w, w.hash);
	if (atomic_commit(&af) != 0) {
		warnf("cannot write model %s:", path);
		return -1;
	}
	return 0;
}

/* ---- Reading ---- */

/* A section's bytes. The parsers check a section's whole length before reading its fields,
 * so the get_ functions below never run past the end (they abort if they would: a bug). */
struct reader_ {
	const uint8_t *p;
	size_t left;
	const char *name; /* the file, for messages */
	const char *tag;  /* the section, for messages */
};

static const uint8_t *
take_(struct reader_ *r, size_t n)
{
	if (r->left < n)
		abort();
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t
le32_(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64_(const uint8_t *p)
{
	return (uint64_t)le32_(p) | (uint64_t)le32_(p + 4) << 32;
}

static uint32_t
get_u32_(struct reader_ *r)
{
	return le32_(take_(r, 4));
}

static uint64_t
get_u64_(struct reader_ *r)
{
	return le64_(take_(r, 8));
}

static float
get_f32_(struct reader_ *r)
{
	uint32_t bits = get_u32_(r);
	float v;
	memcpy(&v, &bits, sizeof v);
	return v;
}

static double
get_f64_(struct reader_ *r)
{
	uint64_t bits = get_u64_(r);
	double v;
	memcpy(&v, &bits, sizeof v);
	return v;
}

/* "NAME: section TAG: <message>" (the tag without its padding), then the status. */
static enum model_status
fail_(const struct reader_ *r, enum model_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum model_status
fail_(const struct reader_ *r, enum model_status status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	warnf("%s: section %.*s: %s", r->name, (int)strcspn(r->tag, " "), r->tag, msg);
	return status;
}

/* The section must be exactly want bytes long. */
static enum model_status
want_length_(const struct reader_ *r, uint64_t want)
{
	if (r->left == want)
		return MODEL_OK;
	return fail_(r, MODEL_ERR_SECTION, "%zu bytes long, but its fields take %llu", r->left,
		     (unsigned long long)want);
}

static enum model_status
bad_(const struct reader_ *r, const char *field, unsigned long long v, const char *range)
{
	return fail_(r, MODEL_ERR_FIELD, "%s is %llu (must be %s)", field, v, range);
}

/* n floats into dst, each finite and, if nonneg, not negative (a variance, a sum of
 * squares). */
static enum model_status
get_floats_(struct reader_ *r, float *dst, size_t n, const char *what, int nonneg)
{
	for (size_t i = 0; i < n; i++) {
		float v = get_f32_(r);
		if (!isfinite(v) || (nonneg && v < 0.0f))
			return fail_(r, MODEL_ERR_FIELD, "%s %zu is %g (must be finite%s)", what, i,
				     (double)v, nonneg ? " and not negative" : "");
		dst[i] = v;
	}
	return MODEL_OK;
}

/* What the NET section says, checked, before the net is built. */
struct net_header_ {
	int n_affine;
	int dims[NET_MAX_AFFINE + 1];
	int rows, cols;
	enum activation activation;
	int batchnorm;
	float dropout, weight_decay;
	uint64_t seed, step, n_params;
	int n_layers;
	uint32_t layer[NET_MAX_LAYERS][3]; /* kind code, in, out */
};

/* The parameter count of a net of that shape (the layout of src/net.c: W and b per affine
 * layer, γ and β per batch normalization). The sizes are bounded, so it cannot overflow. */
static uint64_t
params_of_(const struct net_header_ *h)
{
	uint64_t n = 0;
	for (int a = 0; a < h->n_affine; a++) {
		n += (uint64_t)h->dims[a] * (uint64_t)h->dims[a + 1] + (uint64_t)h->dims[a + 1];
		if (h->batchnorm && a + 1 < h->n_affine)
			n += 2 * (uint64_t)h->dims[a + 1];
	}
	return n;
}

/* n_affine, the sizes, and the images' shape. */
static enum model_status
read_shape_(struct reader_ *r, struct net_header_ *h)
{
	if (r->left < 4)
		return want_length_(r, 4);
	/* n_affine, the first field, and the layer count after the fixed fields say how long
	 * the section is. */
	uint32_t n_affine = le32_(r->p);
	if (n_affine < 1 || n_affine > NET_MAX_AFFINE)
		return bad_(r, "the affine layer count", n_affine, "1 to 8");
	size_t fixed = 4 + 4 * (n_affine + 1) + 6 * 4 + 3 * 8;
	if (r->left < fixed + 4)
		return want_length_(r, fixed + 4);
	uint32_t n_layers = le32_(r->p + fixed);
	enum model_status status = want_length_(r, fixed + 4 + 12 * (uint64_t)n_layers);
	if (status != MODEL_OK)
		return status;
	if (n_layers < 2 || n_layers > NET_MAX_LAYERS)
		return bad_(r, "the layer count", n_layers, "2 to 32");
	h->n_layers = (int)n_layers;
	h->n_affine = (int)get_u32_(r);
	for (uint32_t a = 0; a <= n_affine; a++) {
		uint32_t d = get_u32_(r), lo = a == n_affine ? 2 : 1;
		uint32_t hi = a == 0 ? MODEL_MAX_INPUTS : a == n_affine ? IDX_MAX_CLASSES
									: MODEL_MAX_HIDDEN;
		if (d < lo || d > hi) {
			char field[32], range[32];
			snprintf(field, sizeof field, "layer size %u", a);
			snprintf(range, sizeof range, "%u to %u", lo, hi);
			return bad_(r, field, d, range);
		}
		h->dims[a] = (int)d;
	}
	uint32_t rows = get_u32_(r), cols = get_u32_(r);
	if ((uint64_t)rows * cols != (uint64_t)h->dims[0])
		return fail_(r, MODEL_ERR_FIELD, "images of %ux%u pixels, but %d inputs", rows,
			     cols, h->dims[0]);
	h->rows = (int)rows;
	h->cols = (int)cols;
	return MODEL_OK;
}

/* The rest of NET: the layers' options and counters. */
static enum model_status
read_options_(struct reader_ *r, struct net_header_ *h, size_t file_size)
{
	uint32_t activation = get_u32_(r), batchnorm = get_u32_(r);
	if (activation_of_(activation, &h->activation) != 0)
		return bad_(r, "the activation", activation, "0 (relu) or 1 (sigmoid)");
	if (batchnorm > 1)
		return bad_(r, "the batch normalization flag", batchnorm, "0 or 1");
	h->batchnorm = (int)batchnorm;
	h->dropout = get_f32_(r);
	h->weight_decay = get_f32_(r);
	/* The ranges of --dropout and --weight-decay; written so that NaN fails too. */
	if (!(h->dropout >= 0.0f && h->dropout <= 0.99f))
		return fail_(r, MODEL_ERR_FIELD, "the dropout rate is %g (must be 0 to 0.99)",
			     (double)h->dropout);
	if (!(h->weight_decay >= 0.0f && h->weight_decay <= 1000.0f))
		return fail_(r, MODEL_ERR_FIELD, "the weight decay is %g (must be 0 to 1000)",
			     (double)h->weight_decay);
	h->seed = get_u64_(r);
	h->step = get_u64_(r);
	h->n_params = get_u64_(r);
	if (h->seed > MAX_SEED)
		return bad_(r, "the seed", h->seed, "at most 2^63-1");
	if (h->step > MAX_STEPS)
		return bad_(r, "the step count", h->step, "at most 2^62");
	uint64_t want = params_of_(h);
	if (h->n_params != want)
		return fail_(r, MODEL_ERR_FIELD, "%llu parameters, but that net has %llu",
			     (unsigned long long)h->n_params, (unsigned long long)want);
	/* Every parameter is in the file: this bounds what building the net allocates. */
	if (h->n_params > file_size / 4)
		return fail_(r, MODEL_ERR_FIELD, "%llu parameters cannot fit in %zu bytes",
			     (unsigned long long)h->n_params, file_size);
	get_u32_(r); /* the layer count, checked by read_shape_ */
	for (int i = 0; i < h->n_layers; i++)
		for (int k = 0; k < 3; k++)
			h->layer[i][k] = get_u32_(r);
	return MODEL_OK;
}

/* The layer list the file spells out is the one this build made from its fields. */
static enum model_status
check_layers_(const struct reader_ *r, const struct net_header_ *h, const struct net *net)
{
	for (int i = 0; i < h->n_layers || i < net->n_layers; i++) {
		const uint32_t *f = h->layer[i];
		const struct layer *l = &net->layer[i];
		if (i < h->n_layers && i < net->n_layers && f[0] == layer_code_(l->kind) &&
		    f[1] == (uint32_t)l->in && f[2] == (uint32_t)l->out)
			continue;
		if (i >= h->n_layers || i >= net->n_layers)
			return fail_(r, MODEL_ERR_FIELD, "%d layers, but this bptrain makes %d of "
				     "that net", h->n_layers, net->n_layers);
		return fail_(r, MODEL_ERR_FIELD, "layer %d is %s %u to %u, but this bptrain makes "
			     "%s %d to %d there", i, layer_code_name_(f[0]), f[1], f[2],
			     layer_code_name_(layer_code_(l->kind)), l->in, l->out);
	}
	return MODEL_OK;
}

static enum model_status
parse_net_(struct reader_ *r, struct model *m, int max_batch, size_t file_size)
{
	struct net_header_ h;
	enum model_status status = read_shape_(r, &h);
	if (status == MODEL_OK)
		status = read_options_(r, &h, file_size);
	if (status != MODEL_OK)
		return status;
	struct net_options opt = {.init = INIT_STD, .init_std = 0.0f,
				  .weight_decay = h.weight_decay, .dropout = h.dropout,
				  .batchnorm = h.batchnorm, .seed = h.seed};
	/* The weights net_init draws are all overwritten by PARM. */
	struct rng scratch;
	rng_seed(&scratch, 0);
	if (net_init(&m->net, h.dims, h.n_affine, h.activation, max_batch, &opt, &scratch) != 0)
		return fail_(r, MODEL_ERR_FIELD, "a net this build cannot make");
	if (m->net.n_params != h.n_params)
		abort(); /* params_of_ disagrees with net.c's layout: a bug */
	status = check_layers_(r, &h, &m->net);
	if (status != MODEL_OK)
		return status;
	m->net.step = (long)h.step;
	m->rows = h.rows;
	m->cols = h.cols;
	return MODEL_OK;
}

static enum model_status
parse_params_(struct reader_ *r, struct net *net)
{
	enum model_status status = want_length_(r, 8 + 4 * (uint64_t)net->n_params);
	if (status != MODEL_OK)
		return status;
	uint64_t count = get_u64_(r);
	if (count != net->n_params)
		return fail_(r, MODEL_ERR_FIELD, "%llu parameters, but the net has %zu",
			     (unsigned long long)count, net->n_params);
	return get_floats_(r, net->params, net->n_params, "parameter", 0);
}

/* The running averages of each batch normalization layer, in the list's order. */
static enum model_status
parse_running_(struct reader_ *r, struct net *net)
{
	uint64_t want = 4, count = 0;
	for (int i = 0; i < net->n_layers; i++)
		if (net->layer[i].kind == LAYER_BATCHNORM) {
			want += 4 + 8 * (uint64_t)net->layer[i].out;
			count++;
		}
	enum model_status status = want_length_(r, want);
	if (status != MODEL_OK)
		return status;
	uint32_t stored = get_u32_(r);
	if (stored != count)
		return fail_(r, MODEL_ERR_FIELD, "%u layers, but the net has %llu", stored,
			     (unsigned long long)count);
	for (int i = 0; i < net->n_layers && status == MODEL_OK; i++) {
		struct layer *layer = &net->layer[i];
		if (layer->kind != LAYER_BATCHNORM)
			continue;
		uint32_t width = get_u32_(r);
		if (width != (uint32_t)layer->out)
			return fail_(r, MODEL_ERR_FIELD, "a layer of %u units, but the net's "
				     "has %d", width, layer->out);
		status = get_floats_(r, layer->run_mean, (size_t)layer->out, "running mean", 0);
		if (status == MODEL_OK)
			status = get_floats_(r, layer->run_var, (size_t)layer->out,
					     "running variance", 1);
	}
	return status;
}

static enum model_status
parse_train_(struct reader_ *r, struct model_train *t)
{
	enum model_status status = want_length_(r, 4 + 3 * 8);
	if (status != MODEL_OK)
		return status;
	uint32_t end = get_u32_(r);
	if (end > 1)
		return bad_(r, "how the run ended", end, "0 (done) or 1 (interrupted)");
	t->end = end == 0 ? MODEL_END_DONE : MODEL_END_INTERRUPTED;
	t->iters_done = get_u64_(r);
	t->epoch_steps = get_u64_(r);
	t->epoch_loss = get_f64_(r);
	if (t->iters_done > MAX_STEPS)
		return bad_(r, "the iteration", t->iters_done, "at most 2^62");
	if (t->epoch_steps > t->iters_done)
		return fail_(r, MODEL_ERR_FIELD, "%llu steps in the epoch, but %llu in all",
			     (unsigned long long)t->epoch_steps, (unsigned long long)t->iters_done);
	/* A sum of cross-entropies: finite, not negative, and 0 for no steps. */
	if (!(isfinite(t->epoch_loss) && t->epoch_loss >= 0.0) ||
	    (t->epoch_steps == 0 && t->epoch_loss != 0.0))
		return fail_(r, MODEL_ERR_FIELD, "the epoch's loss sum is %g after %llu steps",
			     t->epoch_loss, (unsigned long long)t->epoch_steps);
	return MODEL_OK;
}

static enum model_status
parse_rng_(struct reader_ *r, struct model_train *t)
{
	enum model_status status = want_length_(r, 4 * 8);
	if (status != MODEL_OK)
		return status;
	uint64_t any = 0;
	for (int i = 0; i < 4; i++)
		any |= t->rng.s[i] = get_u64_(r);
	/* xoshiro256**'s one forbidden state: it would draw zeros forever. */
	if (any == 0)
		return fail_(r, MODEL_ERR_FIELD, "the generator's state is all zero");
	return MODEL_OK;
}

/* OPTM's constants, in the ranges their flags allow. */
static enum model_status
read_optim_config_(struct reader_ *r, struct optim_config *c)
{
	/* Checked by parse_optim_. */
	if (optim_of_(get_u32_(r), &c->kind) != 0)
		abort();
	c->lr = get_f32_(r);
	c->momentum = get_f32_(r);
	c->alpha = get_f32_(r);
	c->beta1 = get_f32_(r);
	c->beta2 = get_f32_(r);
	c->eps = get_f32_(r);
	/* Written so that NaN fails every test. */
	int ok = isnormal(c->lr) && c->lr > 0.0f && c->lr <= 1e6f &&
		 c->momentum >= 0.0f && c->momentum <= 1.0f && c->alpha >= 0.0f &&
		 c->alpha <= 1.0f && c->beta1 >= 0.0f && c->beta1 < 1.0f && c->beta2 >= 0.0f &&
		 c->beta2 < 1.0f && isnormal(c->eps) && c->eps > 0.0f && c->eps <= 1.0f;
	if (!ok)
		return fail_(r, MODEL_ERR_FIELD, "a constant is out of its flag's range (lr %g, "
			     "momentum %g, alpha %g, beta1 %g, beta2 %g, eps %g)", (double)c->lr,
			     (double)c->momentum, (double)c->alpha, (double)c->beta1,
			     (double)c->beta2, (double)c->eps);
	return MODEL_OK;
}

static enum model_status
parse_optim_(struct reader_ *r, struct model *m)
{
	size_t n = m->net.n_params;
	if (r->left < 4)
		return want_length_(r, 4);
	/* The first field, the kind, says how many state arrays follow. */
	enum optim_kind kind;
	if (optim_of_(le32_(r->p), &kind) != 0)
		return bad_(r, "the optimizer", le32_(r->p), "0 to 5");
	int arrays = optim_state_arrays(kind);
	enum model_status status = want_length_(r, 4 + 6 * 4 + 8 + 4 + 4 + 8 +
						      (uint64_t)arrays * 4 * n);
	struct optim_config c;
	if (status == MODEL_OK)
		status = read_optim_config_(r, &c);
	if (status != MODEL_OK)
		return status;
	uint64_t step = get_u64_(r);
	float lr_t = get_f32_(r);
	uint32_t stored_arrays = get_u32_(r);
	uint64_t count = get_u64_(r);
	if (step > MAX_STEPS)
		return bad_(r, "the step count", step, "at most 2^62");
	if (!isfinite(lr_t))
		return fail_(r, MODEL_ERR_FIELD, "the step's rate is %g", (double)lr_t);
	if (stored_arrays != (uint32_t)arrays || count != n)
		return fail_(r, MODEL_ERR_FIELD, "%u state arrays of %llu, but %s keeps %d of %zu",
			     stored_arrays, (unsigned long long)count, optim_name(c.kind), arrays,
			     n);
	optim_init(&m->optim, &c, n);
	m->optim.step = (long)step;
	m->optim.lr_t = lr_t;
	/* AdaGrad's and RMSprop's h and Adam's v are sums of squares; velocities and Adam's m
	 * have any sign. */
	for (int a = 0; a < arrays && status == MODEL_OK; a++)
		status = get_floats_(r, m->optim.state[a], n, "optimizer state value",
				     c.kind == OPTIM_ADAGRAD || c.kind == OPTIM_RMSPROP || a == 1);
	return status;
}

/* Lines "name=value": a name of [a-z0-9_], a value of any printable text. */
static enum model_status
parse_config_(struct reader_ *r, struct model *m)
{
	if (r->left > MODEL_MAX_CONFIG)
		return fail_(r, MODEL_ERR_SECTION, "%zu bytes, more than %d", r->left,
			     MODEL_MAX_CONFIG);
	size_t len = r->left;
	const uint8_t *text = take_(r, len);
	size_t line_start = 0;
	int in_name = 1;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];
		int name_char = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
		if (c == '\n' && !in_name) {
			line_start = i + 1;
			in_name = 1;
		} else if (in_name && c == '=' && i > line_start) {
			in_name = 0;
		} else if ((in_name && !name_char) || (!in_name && (c < 0x20 || c == 0x7f)))
			return fail_(r, MODEL_ERR_FIELD, "byte %zu (0x%02x) does not belong in "
				     "name=value lines", i, c);
	}
	if (len > 0 && text[len - 1] != '\n')
		return fail_(r, MODEL_ERR_FIELD, "the last line does not end");
	m->config = xmalloc(len + 1);
	memcpy(m->config, text, len);
	m->config[len] = '\0';
	return MODEL_OK;
}

/* resm: the seconds spent so far, the training set's size. */
static enum model_status
parse_resume_(struct reader_ *r, struct model_train *t)
{
	enum model_status status = want_length_(r, 8 + 8);
	if (status != MODEL_OK)
		return status;
	t->train_s = get_f64_(r);
	t->train_images = get_u64_(r);
	if (!(isfinite(t->train_s) && t->train_s >= 0.0))
		return fail_(r, MODEL_ERR_FIELD, "the training time is %g seconds", t->train_s);
	if (t->train_images < 1 || t->train_images > UINT32_MAX)
		return bad_(r, "the training image count", t->train_images, "1 to 2^32-1");
	t->has_resume = 1;
	return MODEL_OK;
}

/* shuf: the epoch's order, a permutation of 0 .. count-1, and where the next batch starts. */
static enum model_status
parse_shuffle_(struct reader_ *r, struct model *m)
{
	if (r->left < 16)
		return want_length_(r, 16);
	uint64_t count = le64_(r->p);
	if (count < 1 || count > UINT32_MAX)
		return bad_(r, "the row count", count, "1 to 2^32-1");
	enum model_status status = want_length_(r, 16 + 4 * count);
	if (status != MODEL_OK)
		return status;
	get_u64_(r); /* the count, read above */
	uint64_t next = get_u64_(r);
	if (next > count)
		return fail_(r, MODEL_ERR_FIELD, "the next batch starts at row %llu of %llu",
			     (unsigned long long)next, (unsigned long long)count);
	/* A bit per row, to see each once; the section's length bounds both allocations. */
	uint8_t *seen = xmalloc((size_t)(count + 7) / 8);
	memset(seen, 0, (size_t)(count + 7) / 8);
	m->order = xmalloc((size_t)count * sizeof *m->order);
	for (uint64_t i = 0; i < count && status == MODEL_OK; i++) {
		uint32_t row = get_u32_(r);
		if (row >= count || (seen[row / 8] >> row % 8 & 1))
			status = fail_(r, MODEL_ERR_FIELD, "entry %llu is row %u, %s",
				       (unsigned long long)i, row, row >= count ? "past the rows"
				       : "a second time (the order must be a permutation)");
		else
			seen[row / 8] |= (uint8_t)(1u << row % 8);
		m->order[i] = row;
	}
	free(seen);
	m->n_order = (size_t)count;
	m->train.order = m->order;
	m->train.next = next;
	return status;
}

/* A net state in net_state_save's layout: the parameters, then each batch normalization
 * layer's running means and variances. */
static enum model_status
get_state_(struct reader_ *r, const struct net *net, float *dst)
{
	enum model_status status = get_floats_(r, dst, net->n_params, "parameter", 0);
	dst += net->n_params;
	for (int i = 0; i < net->n_layers && status == MODEL_OK; i++) {
		size_t d = (size_t)net->layer[i].out;
		if (net->layer[i].kind != LAYER_BATCHNORM)
			continue;
		status = get_floats_(r, dst, d, "running mean", 0);
		if (status == MODEL_OK)
			status = get_floats_(r, dst + d, d, "running variance", 1);
		dst += 2 * d;
	}
	return status;
}

/* A state's float count, which must be the net's. */
static enum model_status
state_count_(struct reader_ *r, uint64_t count, size_t n)
{
	if (count == n)
		return MODEL_OK;
	return fail_(r, MODEL_ERR_FIELD, "a net state of %llu values, but the net's has %zu",
		     (unsigned long long)count, n);
}

/* best: early stopping's best whole epoch so far, and its net state. */
static enum model_status
parse_best_(struct reader_ *r, struct model *m)
{
	size_t n = net_state_floats(&m->net);
	enum model_status status = want_length_(r, 8 + 8 + 8 + 4 + 8 + 4 * (uint64_t)n);
	if (status != MODEL_OK)
		return status;
	struct model_train *t = &m->train;
	t->best_epoch = get_u64_(r);
	t->best_val_acc = get_f64_(r);
	t->best_loss = get_f64_(r);
	uint32_t stopped = get_u32_(r);
	status = state_count_(r, get_u64_(r), n);
	if (status != MODEL_OK)
		return status;
	if (t->best_epoch < 1 || t->best_epoch > MAX_STEPS)
		return bad_(r, "the best epoch", t->best_epoch, "1 to 2^62");
	/* Written so that NaN fails too. */
	if (!(t->best_val_acc >= 0.0 && t->best_val_acc <= 1.0))
		return fail_(r, MODEL_ERR_FIELD, "its val_acc is %.17g (must be 0 to 1)",
			     t->best_val_acc);
	if (!(isfinite(t->best_loss) && t->best_loss >= 0.0))
		return fail_(r, MODEL_ERR_FIELD, "its loss is %g", t->best_loss);
	if (stopped > 1)
		return bad_(r, "whether early stopping ended the run", stopped, "0 or 1");
	t->stopped = (int)stopped;
	m->best = xmalloc(n * sizeof *m->best);
	t->best = m->best;
	return get_state_(r, &m->net, m->best);
}

/* last: the net's state after the last step. */
static enum model_status
parse_last_(struct reader_ *r, struct model *m)
{
	size_t n = net_state_floats(&m->net);
	enum model_status status = want_length_(r, 8 + 4 * (uint64_t)n);
	if (status == MODEL_OK)
		status = state_count_(r, get_u64_(r), n);
	if (status != MODEL_OK)
		return status;
	m->last = xmalloc(n * sizeof *m->last);
	m->train.last = m->last;
	return get_state_(r, &m->net, m->last);
}

/* The section with this tag, or -1. */
static int
section_of_(const uint8_t *tag)
{
	for (int s = 0; s < N_SECTIONS_; s++)
		if (memcmp(tag, section_tags_[s], 4) == 0)
			return s;
	return -1;
}

static enum model_status
parse_section_(enum section_ sec, struct reader_ *r, struct model *m, int max_batch,
	       size_t file_size)
{
	switch (sec) {
	case SEC_NET:
		return parse_net_(r, m, max_batch, file_size);
	case SEC_PARM:
		return parse_params_(r, &m->net);
	case SEC_BNRS:
		return parse_running_(r, &m->net);
	case SEC_TRAN:
		return parse_train_(r, &m->train);
	case SEC_RNG:
		return parse_rng_(r, &m->train);
	case SEC_OPTM:
		return parse_optim_(r, m);
	case SEC_RESM:
		return parse_resume_(r, &m->train);
	case SEC_SHUF:
		return parse_shuffle_(r, m);
	case SEC_BEST:
		return parse_best_(r, m);
	case SEC_LAST:
		return parse_last_(r, m);
	case SEC_CONF:
		return parse_config_(r, m);
	case SEC_SUM:
		/* Verified with the envelope, before any section was read. */
		return want_length_(r, 8);
	}
	abort();
}

/* The resume sections, which come with the training state and agree with it. */
static enum model_status
check_resume_(const struct reader_ *sum, const int seen[], const struct model *m)
{
	const struct model_train *t = &m->train;
	struct reader_ r = {NULL, 0, sum->name, "resm"};
	int state = seen[SEC_TRAN] && seen[SEC_RNG] && seen[SEC_OPTM];
	int more = seen[SEC_SHUF] || seen[SEC_BEST] || seen[SEC_LAST];
	if ((seen[SEC_RESM] || more) && !state)
		return fail_(&r, MODEL_ERR_SECTION, "the resume sections (resm, shuf, best, last) "
			     "come only with the training state");
	if (more && !seen[SEC_RESM])
		return fail_(&r, MODEL_ERR_SECTION, "missing: shuf, best and last come only with "
			     "it");
	r.tag = "last";
	if (seen[SEC_LAST] && !seen[SEC_BEST])
		return fail_(&r, MODEL_ERR_SECTION, "the net early stopping did not keep comes only "
			     "with the one it kept (section best)");
	r.tag = "shuf";
	if (seen[SEC_SHUF] && m->n_order != t->train_images)
		return fail_(&r, MODEL_ERR_FIELD, "an order of %zu rows, but resm says the run "
			     "trained on %llu", m->n_order, (unsigned long long)t->train_images);
	r.tag = "best";
	/* Every epoch has a step at least. */
	if (seen[SEC_BEST] && t->best_epoch > t->iters_done)
		return fail_(&r, MODEL_ERR_FIELD, "the best epoch is %llu, after %llu iterations",
			     (unsigned long long)t->best_epoch, (unsigned long long)t->iters_done);
	return MODEL_OK;
}

/* Which sections a file must have, given those it has. */
static enum model_status
check_present_(const struct reader_ *r, const int seen[], const struct model *m)
{
	int batchnorm = net_first_of(&m->net, LAYER_BATCHNORM) != NULL;
	int state = seen[SEC_TRAN] + seen[SEC_RNG] + seen[SEC_OPTM];
	if (!seen[SEC_PARM])
		return fail_(r, MODEL_ERR_SECTION, "no parameters (section PARM)");
	if (seen[SEC_BNRS] != batchnorm)
		return fail_(r, MODEL_ERR_SECTION, "the running averages (section BNRS) must be "
			     "there exactly when the net has batch normalization");
	if (state != 0 && state != 3)
		return fail_(r, MODEL_ERR_SECTION, "the training state is TRAN, RNG and OPTM "
			     "together, or none of them");
	return check_resume_(r, seen, m);
}

/* The sections after the 16-byte header: NET first, the checksum last, every other one at
 * most once in any order. An unknown tag whose first letter is lowercase is optional
 * (ancillary, as in PNG) and skipped; any other unknown tag is refused. */
static enum model_status
parse_sections_(struct model *m, struct reader_ *file, int max_batch, size_t file_size)
{
	int seen[N_SECTIONS_] = {0}, count = 0;
	char tag[5] = "";
	for (;;) {
		if (file->left < SECTION_HEAD) {
			warnf("%s: truncated: %zu bytes after section %s, too few for another",
			      file->name, file->left, tag);
			return MODEL_ERR_TRUNCATED;
		}
		const uint8_t *head = take_(file, SECTION_HEAD);
		uint64_t len = le64_(head + 4);
		for (int i = 0; i < 4; i++)
			tag[i] = head[i] >= 0x20 && head[i] < 0x7f ? (char)head[i] : '?';
		struct reader_ r = {file->p, 0, file->name, tag};
		if (len > file->left)
			return fail_(&r, MODEL_ERR_TRUNCATED, "%llu bytes long, but only %zu "
				     "remain", (unsigned long long)len, file->left);
		r.left = (size_t)len;
		take_(file, (size_t)len);
		int sec = section_of_(head);
		if (count++ == 0 && sec != SEC_NET)
			return fail_(&r, MODEL_ERR_SECTION, "NET must be the first section");
		if (sec < 0 && head[0] >= 'a' && head[0] <= 'z')
			continue;
		if (sec < 0)
			return fail_(&r, MODEL_ERR_SECTION, "unknown to format version %u",
				     MODEL_VERSION);
		enum model_status status;
		if (seen[sec])
			status = fail_(&r, MODEL_ERR_SECTION, "appears twice");
		else if (sec == SEC_SUM && file->left != 0)
			status = fail_(&r, MODEL_ERR_SECTION, "the checksum must be the last "
				       "section");
		else
			status = parse_section_(sec, &r, m, max_batch, file_size);
		if (status != MODEL_OK)
			return status;
		seen[sec] = 1;
		if (sec == SEC_SUM) {
			m->has_train = seen[SEC_TRAN];
			return check_present_(&r, seen, m);
		}
	}
}

/* Magic, version, byte order, size, and the checksum over everything before it: all of
 * it before any field is read. */
static enum model_status
check_envelope_(const uint8_t *data, size_t size, const char *name)
{
	size_t magic_len = strlen(MODEL_MAGIC);
	if (memcmp(data, MODEL_MAGIC, size < magic_len ? size : magic_len) != 0) {
		warnf("%s: not a bptrain model (it does not start with %s)", name, MODEL_MAGIC);
		return MODEL_ERR_MAGIC;
	}
	if (size >= 12 && le32_(data + 8) != MODEL_VERSION) {
		warnf("%s: model format version %u, but this bptrain reads version %u", name,
		      le32_(data + 8), MODEL_VERSION);
		return MODEL_ERR_VERSION;
	}
	if (size >= 16 && le32_(data + 12) != MODEL_BYTE_ORDER) {
		warnf("%s: byte order mark 0x%08x, not 0x%08x: not a little-endian model", name,
		      le32_(data + 12), MODEL_BYTE_ORDER);
		return MODEL_ERR_VERSION;
	}
	if ((uint64_t)size > MODEL_MAX_BYTES) {
		warnf("%s: %zu bytes, larger than any model (at most %llu)", name, size,
		      (unsigned long long)MODEL_MAX_BYTES);
		return MODEL_ERR_SIZE;
	}
	const uint8_t *sum = size >= HEADER_BYTES + SUM_BYTES ? data + size - SUM_BYTES : NULL;
	if (!sum || memcmp(sum, section_tags_[SEC_SUM], 4) != 0 || le64_(sum + 4) != 8) {
		warnf("%s: truncated: it does not end with its checksum (%zu bytes)", name, size);
		return MODEL_ERR_TRUNCATED;
	}
	uint64_t stored = le64_(sum + SECTION_HEAD), computed = model_checksum(data, size - 8);
	if (stored != computed) {
		warnf("%s: damaged: checksum %016llx, but the contents give %016llx", name,
		      (unsigned long long)stored, (unsigned long long)computed);
		return MODEL_ERR_CHECKSUM;
	}
	return MODEL_OK;
}

enum model_status
model_parse(struct model *m, const uint8_t *data, size_t size, const char *name, int max_batch)
{
	memset(m, 0, sizeof *m);
	enum model_status status = check_envelope_(data, size, name);
	if (status == MODEL_OK) {
		struct reader_ file = {data + HEADER_BYTES, size - HEADER_BYTES, name, "NET "};
		status = parse_sections_(m, &file, max_batch, size);
	}
	if (status != MODEL_OK) {
		model_free(m);
		return status;
	}
	if (m->has_train) {
		m->train.optim = &m->optim;
		m->train.config = m->config;
	}
	return MODEL_OK;
}

enum model_status
model_load(struct model *m, const char *path, int max_batch)
{
	memset(m, 0, sizeof *m);
	long long size;
	FILE *f = fopen_regular(path, &size);
	if (!f)
		return MODEL_ERR_OPEN;
	if ((uint64_t)size > MODEL_MAX_BYTES) {
		warnf("%s: %lld bytes, larger than any model (at most %llu)", path, size,
		      (unsigned long long)MODEL_MAX_BYTES);
		fclose(f);
		return MODEL_ERR_SIZE;
	}
	uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
	enum model_status status = MODEL_OK;
	if (!data) {
		warnf("%s: cannot allocate %lld bytes to read it", path, size);
		status = MODEL_ERR_READ;
	} else if (fread(data, 1, (size_t)size, f) != (size_t)size || getc(f) != EOF) {
		warnf(ferror(f) ? "%s: read error:" : "%s: changed size while being read", path);
		status = MODEL_ERR_READ;
	}
	fclose(f);
	if (status == MODEL_OK)
		status = model_parse(m, data, (size_t)size, path, max_batch);
	free(data);
	return status;
}

void
model_take_net(struct model *m, struct net *net)
{
	*net = m->net;
	memset(&m->net, 0, sizeof m->net);
}

void
model_take_optim(struct model *m, struct optim *optim)
{
	*optim = m->optim;
	memset(&m->optim, 0, sizeof m->optim);
	m->train.optim = NULL;
}

void
model_free(struct model *m)
{
	net_free(&m->net);
	optim_free(&m->optim);
	free(m->config);
	free(m->order);
	free(m->best);
	free(m->last);
	memset(m, 0, sizeof *m);
}
