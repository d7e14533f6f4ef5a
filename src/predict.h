/* predict.h: --predict, classifying images given one by one: binary PGM files (P5) of the
 * net's input size with maxval 255, or raw bytes on standard input ("-"), input-size bytes
 * per image, as many images as there are. */
#ifndef BPTRAIN_PREDICT_H
#define BPTRAIN_PREDICT_H

#include "flags.h" /* struct config */
#include "model.h" /* struct model */

/* A header longer than this is not one we wrote or could expect ("P5 28 28 255\n" is 13
 * bytes, comments aside). */
#define PGM_MAX_HEADER 4096
/* Standard input may hold at most this many bytes of images. */
#define PREDICT_MAX_STDIN ((size_t)1 << 30)

/* Read every image (any bad one is a one-line error naming it, exit 1, and nothing is
 * printed), classify them with m's net, and print one record per image: its name (the
 * file, or "-:N" for the N-th image on standard input), class and probability. Returns the
 * exit status. */
int predict_run(const struct config *cfg, struct model *m);

/* Parse the binary PGM in data(size) from path, which must be rows x cols with maxval 255,
 * into pixels(rows * cols). Returns 0, or -1 after a message naming path. */
int predict_parse_pgm(const char *path, const uint8_t *data, size_t size, int rows,
		      int cols, uint8_t *pixels);

#endif
