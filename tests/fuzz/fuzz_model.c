/* fuzz_model: the model loader on arbitrary bytes. Each input is one whole file, loaded
 * twice through model_load: as it is, and with its last 8 bytes replaced by the checksum of
 * the rest, so that mutations get past the checksum and reach the section and field checks.
 * The file lives in a memfd, so the real open/fstat/read path runs with no disk I/O.
 * Oracles: the sanitizers; a failed load leaves the model empty; a successful one has a
 * net within the documented limits, finite parameters and optimizer state, and runs a
 * forward pass. The seeds are models saved by model_save, whole, cut and damaged. */
#define _GNU_SOURCE /* memfd_create */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "idx.h"
#include "model.h"
#include "train.h"

/* A net built for 2 rows: what a hostile file makes us allocate stays small. */
enum { MAX_BATCH = 2, MAX_FILE = 1 << 20 };

static int fd_ = -1;
static char path_[64];

static void
file_set_(const void *data, size_t size)
{
	if (fd_ < 0) {
		fd_ = memfd_create("model", 0);
		if (fd_ < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path_, sizeof path_, "/proc/self/fd/%d", fd_);
	}
	if (ftruncate(fd_, 0) != 0 || (size && pwrite(fd_, data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
}

static int
finite_(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

/* The shuffled order is a permutation of the training rows resm counts, and the next
 * batch starts within it. */
static int
resume_order_ok_(const struct model *m)
{
	size_t n = m->n_order;
	if (n != m->train.train_images || m->train.next > n || m->train.order != m->order)
		return 0;
	uint8_t *seen = calloc(n, 1);
	int ok = seen != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		ok = m->order[i] < n && !seen[m->order[i]];
		if (ok)
			seen[m->order[i]] = 1;
	}
	free(seen);
	return ok;
}

/* What a successful load must satisfy, whatever the bytes were. */
static void
check_loaded_(struct model *m)
{
	struct net *net = &m->net;
	int k = net->dims[net->n_affine];
	int ok = net->n_affine >= 1 && net->n_affine <= NET_MAX_AFFINE && k >= 2 &&
		 k <= IDX_MAX_CLASSES && (long)m->rows * m->cols == net->dims[0] &&
		 net->max_batch == MAX_BATCH && finite_(net->params, net->n_params) &&
		 net->n_params <= MAX_FILE / 4;
	for (int i = 0; ok && i < net->n_layers; i++)
		if (net->layer[i].kind == LAYER_BATCHNORM)
			ok = finite_(net->layer[i].run_mean, (size_t)net->layer[i].out) &&
			     finite_(net->layer[i].run_var, (size_t)net->layer[i].out);
	if (ok && m->has_train)
		for (int a = 0; ok && a < optim_state_arrays(m->optim.cfg.kind); a++)
			ok = finite_(m->optim.state[a], net->n_params);
	if (ok && m->has_train && m->config)
		ok = strlen(m->config) <= MODEL_MAX_CONFIG;
	if (ok && (m->order || m->best || m->last))
		ok = m->has_train && m->train.has_resume;
	if (ok && m->order)
		ok = resume_order_ok_(m);
	size_t n_state = net_state_floats(net);
	if (ok && m->best)
		ok = finite_(m->best, n_state) && m->train.best_epoch >= 1 &&
		     m->train.best_epoch <= m->train.iters_done && m->train.best_val_acc >= 0 &&
		     m->train.best_val_acc <= 1;
	if (ok && m->last)
		ok = m->best && finite_(m->last, n_state);
	if (!ok) {
		fprintf(stderr, "fuzz_model: loaded a model that breaks an invariant\n");
		abort();
	}
	/* The net runs: one zero image through the path evaluation takes. */
	uint8_t *image = calloc((size_t)net->dims[0], 1);
	const uint8_t *images[1] = {image};
	struct trainer t;
	trainer_init(&t, net, NULL);
	if (t.use_fast) {
		fast_logits(&t.fast, images, 1);
	} else {
		images_to_floats(t.x, images, 1, net->dims[0]);
		net_forward(net, t.x, NULL, 1, NET_EVAL);
	}
	uint8_t predicted;
	net_argmax(net, &predicted, 1);
	if (predicted >= k)
		abort();
	trainer_free(&t);
	free(image);
}

static void
load_once_(const uint8_t *data, size_t size)
{
	file_set_(data, size);
	struct model m;
	enum model_status status = model_load(&m, path_, MAX_BATCH);
	if (status == MODEL_OK) {
		check_loaded_(&m);
		model_free(&m);
	} else if (m.net.memory || m.optim.memory || m.config || m.has_train) {
		fprintf(stderr, "fuzz_model: a failed load (status %d) kept memory\n", status);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_FILE)
		return 0;
	load_once_(data, size);
	if (size < 8)
		return 0;
	uint8_t *sealed = malloc(size);
	memcpy(sealed, data, size);
	uint64_t sum = model_checksum(sealed, size - 8);
	for (int i = 0; i < 8; i++)
		sealed[size - 8 + i] = (uint8_t)(sum >> 8 * i);
	load_once_(sealed, size);
	free(sealed);
	return 0;
}

/* A small trained-looking model saved by model_save, its bytes into buf; with_state 2 adds
 * the resume sections of a shuffled run with early stopping (resm, shuf, best, last). */
static size_t
saved_(uint8_t *buf, size_t cap, int batchnorm, enum optim_kind kind, int with_state)
{
	int dims[] = {6, 4, 3};
	struct net_options opts = {.init = INIT_HE, .batchnorm = batchnorm,
				   .dropout = batchnorm ? 0.5f : 0.0f, .seed = 5};
	struct rng rng;
	rng_seed(&rng, 3);
	struct net net;
	if (net_init(&net, dims, 2, ACT_RELU, 4, &opts, &rng) != 0)
		abort();
	struct optim_config oc = {.kind = kind, .lr = 0.1f, .momentum = 0.9f, .alpha = 0.99f,
				  .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f};
	struct optim optim;
	optim_init(&optim, &oc, net.n_params);
	for (int s = 0; s < optim_state_arrays(kind); s++)
		for (size_t i = 0; i < net.n_params; i++)
			optim.state[s][i] = 0.01f * (float)(i % 7);
	struct model_train tr = {.end = MODEL_END_DONE, .iters_done = 3, .rng = rng,
				 .optim = &optim, .config = "lr=0.1\nhidden=4\n"};
	size_t order[7] = {3, 0, 6, 2, 5, 1, 4};
	float state[128];
	size_t n_state = net_state_floats(&net);
	if (n_state > sizeof state / sizeof state[0])
		abort();
	net_state_save(&net, state);
	if (with_state == 2)
		tr = (struct model_train){.end = MODEL_END_INTERRUPTED, .iters_done = 3,
			.epoch_steps = 1, .epoch_loss = 0.5, .rng = rng, .optim = &optim,
			.config = "lr=0.1\nhidden=4\nsampling=shuffle\n", .has_resume = 1,
			.train_s = 0.25, .train_images = 7, .order = order, .next = 2,
			.best_epoch = 1, .best_val_acc = 0.5, .best_loss = 1.5, .best = state,
			.last = state};
	char path[64];
	snprintf(path, sizeof path, "/tmp/fuzz_model_seed.%ld", (long)getpid());
	if (model_save(path, &net, 2, 3, with_state ? &tr : NULL) != 0)
		abort();
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap, f) : 0;
	if (f)
		fclose(f);
	unlink(path);
	optim_free(&optim);
	net_free(&net);
	return n;
}

void
fuzz_seeds(void (*emit)(const char *name, const void *data, size_t size))
{
	static uint8_t buf[8192];
	size_t n = saved_(buf, sizeof buf, 0, OPTIM_SGD, 1);
	emit("sgd", buf, n);
	emit("cut-header", buf, 15);
	emit("cut-net", buf, 40);
	emit("cut-last", buf, n - 1);
	buf[60] ^= 0x10;
	emit("flipped", buf, n);
	n = saved_(buf, sizeof buf, 0, OPTIM_SGD, 0);
	emit("no-state", buf, n);
	n = saved_(buf, sizeof buf, 1, OPTIM_ADAM, 1);
	emit("batchnorm-adam", buf, n);
	n = saved_(buf, sizeof buf, 0, OPTIM_MOMENTUM, 1);
	emit("momentum", buf, n);
	n = saved_(buf, sizeof buf, 1, OPTIM_RMSPROP, 1);
	emit("batchnorm-rmsprop", buf, n);
	n = saved_(buf, sizeof buf, 1, OPTIM_ADAM, 2);
	emit("resume-batchnorm-adam", buf, n);
	emit("resume-cut-shuf", buf, n / 2);
	n = saved_(buf, sizeof buf, 0, OPTIM_SGD, 2);
	emit("resume-sgd", buf, n);
	emit("magic-only", MODEL_MAGIC, 8);
	emit("empty", buf, 0);
}
