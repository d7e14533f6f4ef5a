/* evaluate.h: what a loaded model does instead of training. --evaluate: the accuracy on the
 * training and test sets and the test set's confusion matrix, in every output format, and
 * the digits it gets wrong (--misclassified); --predict is src/predict.h. */
#ifndef BPTRAIN_EVALUATE_H
#define BPTRAIN_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "flags.h" /* struct config */
#include "idx.h"   /* struct dataset */
#include "model.h" /* struct model */
#include "train.h" /* struct trainer */

/* Classify n images (pointers to their bytes) with t's net in evaluation mode, EVAL_CHUNK
 * at a time, as training's evaluation does: predicted(n) gets each one's class and, if prob
 * is not NULL, prob(n) the softmax probability of that class. */
void evaluate_classify(struct trainer *t, const uint8_t *const *images, size_t n,
		       uint8_t *predicted, double *prob);

/* --evaluate with the model m on train and test (checked to suit it); start is the
 * program's start time. Prints the records and writes --misclassified; returns the exit
 * status. */
int evaluate_run(const struct config *cfg, struct model *m, const struct dataset *train,
		 const struct dataset *test, double start);

#endif
