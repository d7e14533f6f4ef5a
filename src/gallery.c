/* gallery.c: images as SVG. A pixel is a square in the image's own units, scaled to the
 * tile by a transform; the grey levels are quantized to 16 and each row's runs of one level
 * become one rectangle, which keeps a hundred MNIST digits near half a megabyte. */
#include "gallery.h"

#include <stdio.h>

#include "plot.h" /* plot_xml_text */
#include "util.h"

#define PER_ROW 10   /* tiles per row of the grid */
#define TILE 56      /* the image's longer side, in SVG units */
#define CAPTION 18   /* the caption line under it */
#define GAP 10
#define MARGIN 20
#define TOP 60       /* title and subtitle */
#define LEVELS 15    /* grey levels besides white */

/* One image in the tile whose top left corner is (x, y). */
static void
draw_image_(FILE *f, const struct gallery *g, const struct gallery_item *it, int x, int y)
{
	int side = g->rows > g->cols ? g->rows : g->cols;
	double scale = (double)TILE / side;
	fprintf(f, "<g class=\"digit\">\n");
	if (it->tooltip) {
		fprintf(f, "<title>");
		plot_xml_text(f, it->tooltip);
		fprintf(f, "</title>\n");
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"white\" "
		   "stroke=\"#bbb\"/>\n", x - 1, y - 1, TILE + 2, TILE + 2);
	fprintf(f, "<g transform=\"translate(%d %d) scale(%.6g)\" fill=\"black\" "
		   "shape-rendering=\"crispEdges\">\n", x, y, scale);
	for (int r = 0; r < g->rows; r++) {
		const uint8_t *row = it->pixels + (size_t)r * g->cols;
		for (int c = 0; c < g->cols;) {
			int level = (row[c] * LEVELS + 127) / 255, start = c;
			while (c < g->cols && (row[c] * LEVELS + 127) / 255 == level)
				c++;
			if (level > 0)
				fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\" "
					   "fill-opacity=\"%.3g\"/>\n", start, r, c - start,
					(double)level / LEVELS);
		}
	}
	fprintf(f, "</g>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x + TILE / 2,
		y + TILE + CAPTION - 4);
	plot_xml_text(f, it->caption);
	fprintf(f, "</text>\n</g>\n");
}

static void
write_gallery_(FILE *f, const struct gallery *g)
{
	int grid_rows = (g->n + PER_ROW - 1) / PER_ROW;
	int width = 2 * MARGIN + PER_ROW * TILE + (PER_ROW - 1) * GAP;
	int height = TOP + grid_rows * (TILE + CAPTION + GAP) + MARGIN;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
		   "font-size=\"12\">\n<title>", width, height, width, height);
	plot_xml_text(f, g->title);
	fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		   "<text class=\"title\" x=\"%d\" y=\"26\" font-size=\"15\" "
		   "font-weight=\"bold\">", MARGIN);
	plot_xml_text(f, g->title);
	fprintf(f, "</text>\n");
	if (g->subtitle) {
		fprintf(f, "<text class=\"subtitle\" x=\"%d\" y=\"46\" fill=\"#555\">", MARGIN);
		plot_xml_text(f, g->subtitle);
		fprintf(f, "</text>\n");
	}
	for (int i = 0; i < g->n; i++)
		draw_image_(f, g, &g->items[i], MARGIN + i % PER_ROW * (TILE + GAP),
			    TOP + i / PER_ROW * (TILE + CAPTION + GAP));
	fprintf(f, "</svg>\n");
}

int
gallery_write_svg(const char *path, const struct gallery *g)
{
	struct atomic_file out;
	if (atomic_open(&out, path) != 0) {
		warnf("--misclassified: cannot create %s:", path);
		return -1;
	}
	write_gallery_(out.f, g);
	if (atomic_commit(&out) != 0) {
		warnf("--misclassified: cannot write %s:", path);
		return -1;
	}
	return 0;
}
