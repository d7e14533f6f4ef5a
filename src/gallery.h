/* gallery.h: a grid of grey-level images with a caption each, as a self-contained SVG
 * (--misclassified). Written by hand like src/plot.c: plain SVG 1.1, inline styles. */
#ifndef BPTRAIN_GALLERY_H
#define BPTRAIN_GALLERY_H

#include <stdint.h>

struct gallery_item {
	const uint8_t *pixels; /* (rows, cols), row-major, 0 white to 255 black (as MNIST) */
	const char *caption;   /* under the image */
	const char *tooltip;   /* its <title>, or NULL */
};

struct gallery {
	const char *title;
	const char *subtitle; /* may be NULL */
	int rows, cols;       /* every image's size */
	int n;                /* items; 0 draws the titles alone */
	const struct gallery_item *items;
};

/* Write g to path through a temporary file renamed into place. Returns 0, or -1 with a
 * message naming the file. */
int gallery_write_svg(const char *path, const struct gallery *g);

#endif
