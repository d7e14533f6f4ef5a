/* model.h: a trained net in a file (--save, --load), with the training state a later run
 * needs to go on bit for bit where this one stopped. The format is docs/model-format.md:
 * little-endian, written byte by byte, a list of tagged sections, a checksum over the whole.
 *
 * The loader trusts nothing in the file, as the IDX loader does: the checksum is verified,
 * every field is range-checked and checked against the others, and every size is bounded
 * before anything is allocated (the parameters must all be in the file, so a header cannot
 * ask for more memory than the file is large). */
#ifndef BPTRAIN_MODEL_H
#define BPTRAIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "optim.h"
#include "rng.h"

#define MODEL_MAGIC "BPTRAINM" /* the first 8 bytes */
#define MODEL_VERSION 1u
#define MODEL_BYTE_ORDER 0x01020304u /* stored little-endian: 04 03 02 01 */
/* Larger files are refused before reading: a 784-800-10 net with Adam's state is 26 MB. */
#define MODEL_MAX_BYTES ((uint64_t)1 << 32)
/* Layer widths the loader accepts: what --hidden and the IDX loader accept. */
#define MODEL_MAX_INPUTS (1 << 24)
#define MODEL_MAX_HIDDEN (1 << 16)
#define MODEL_MAX_CONFIG 65536 /* bytes of the configuration text */

enum model_status {
	MODEL_OK = 0,
	MODEL_ERR_OPEN,      /* cannot open or stat, or not a regular file */
	MODEL_ERR_READ,      /* an I/O error, or no memory to read the file into */
	MODEL_ERR_MAGIC,     /* not a bptrain model */
	MODEL_ERR_VERSION,   /* a format version this build does not read, or another byte order */
	MODEL_ERR_SIZE,      /* larger than MODEL_MAX_BYTES */
	MODEL_ERR_TRUNCATED, /* cut short: no checksum at the end, or a section past the end */
	MODEL_ERR_CHECKSUM,  /* the checksum does not match: the file is damaged */
	MODEL_ERR_SECTION,   /* a section missing, repeated, unknown or of the wrong length */
	MODEL_ERR_FIELD,     /* a field out of range or disagreeing with another */
};

/* How the run that saved the model ended. */
enum model_end { MODEL_END_DONE, MODEL_END_INTERRUPTED };

/* The training state. */
struct model_train {
	enum model_end end;
	uint64_t iters_done;
	/* The epoch the run stopped in, when it stopped before that epoch's end: its steps so
	 * far and their summed loss (0 and 0 at an epoch's end). */
	uint64_t epoch_steps;
	double epoch_loss;
	struct rng rng;            /* the sampling generator after the last step */
	const struct optim *optim; /* the update rule, its constants, step count and state */
	const char *config;        /* the run's configuration, "name=value" lines, or NULL */
	/* What --resume needs besides (optional sections, which an older bptrain skips and
	 * whose absence marks a file that cannot be resumed). has_resume: there are any. */
	int has_resume;
	double train_s;            /* seconds spent in training steps so far */
	uint64_t train_images;     /* the training rows sampling draws from */
	const size_t *order;       /* --sampling shuffle: the epoch's order of them, else NULL */
	uint64_t next;             /* ... and where the next batch starts in it */
	/* --early-stop: the best whole epoch so far (0: none, and no section), its val_acc
	 * and mean training loss, its net state (net_state_floats), and whether early
	 * stopping ended the run. */
	uint64_t best_epoch;
	double best_val_acc, best_loss;
	int stopped;
	const float *best;
	/* The net's state after the last step when the net saved is another (early stopping
	 * put back the best epoch's), else NULL. */
	const float *last;
};

/* A loaded model. */
struct model {
	struct net net;
	int rows, cols; /* the shape of the input images: rows * cols = net.dims[0] */
	int has_train;  /* the file had the training state: train, whose optim and config
			 * point to the two members below */
	struct model_train train;
	struct optim optim;
	char *config;
	size_t *order;     /* what train.order (n_order rows), best and last point to */
	size_t n_order;
	float *best, *last;
};

/* Write net (its shape, parameters and batch normalization averages), for images of rows x
 * cols, and the training state if train is not NULL, to path: under a temporary name that
 * is renamed into place when complete (atomic_open). Returns 0, or -1 after a message naming
 * the file. */
int model_save(const char *path, const struct net *net, int rows, int cols,
	       const struct model_train *train);

/* Load the model in path into m, its net built for passes of up to max_batch rows. On
 * failure a one-line message naming the file goes to stderr, m is left empty (model_free
 * is harmless), and the status says what was wrong. */
enum model_status model_load(struct model *m, const char *path, int max_batch);

/* The same from size bytes at data; name is the file's name for the messages. */
enum model_status model_parse(struct model *m, const uint8_t *data, size_t size,
			      const char *name, int max_batch);

/* Move the net out of m to *net, which the caller then frees with net_free. */
void model_take_net(struct model *m, struct net *net);
/* Move the optimizer (its constants, step count and state) out of m to *optim, which the
 * caller then frees with optim_free. */
void model_take_optim(struct model *m, struct optim *optim);
void model_free(struct model *m);

/* The checksum the format uses: FNV-1a, 64 bits, of size bytes. */
uint64_t model_checksum(const void *data, size_t size);

#endif
