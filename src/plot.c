/* plot.c: SVG line charts and histogram grids. The file is plain SVG 1.1 with inline styles,
 * so it opens in any browser or viewer with nothing else next to it. Every point and bar
 * carries a <title> with its value, which browsers show as a tooltip and tests read back. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Figure geometry in SVG user units (pixels at 100%). */
#define FIG_W 820
#define TOP 64       /* title and subtitle */
#define PANEL_H 220
#define PANEL_GAP 56 /* tick labels and axis label under each panel */
#define LEFT 78
#define RIGHT_EDGE 620 /* plot area ends here; the legend goes to the right */
#define BOTTOM 16
#define MARKERS_MAX 80 /* more points than this: lines only, markers would be a smear */

double
plot_tick_step(double span, int target)
{
	if (!(span > 0) || !isfinite(span) || target < 1)
		return 1.0;
	double raw = span / target;
	double mag = pow(10.0, floor(log10(raw)));
	double norm = raw / mag;
	double nice = norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0;
	return nice * mag;
}

/* XML text with the five special characters escaped. Bytes that would make the document
 * ill-formed (control characters, broken UTF-8 from an odd file name) become '?'. */
static void
put_text_(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		int extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
			  : (c & 0xf8) == 0xf0 ? 3 : -1;
		int ok = extra >= 0;
		for (int k = 1; ok && k <= extra; k++)
			ok = (p[k] & 0xc0) == 0x80;
		if (!ok || (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			fputc('?', f);
			p++;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fwrite(p, 1, (size_t)extra + 1, f); break;
		}
		p += extra + 1;
	}
}

/* Decimals that show every tick of the given step distinctly. */
static int
tick_decimals_(double step)
{
	int d = (int)ceil(-log10(step) - 1e-9);
	return d < 0 ? 0 : d > 9 ? 9 : d;
}

struct axis_ {
	double lo, hi, step;
};

/* Round [lo, hi] outwards to whole ticks, widening an empty or flat range first. */
static struct axis_
axis_fit_(double lo, double hi, int target)
{
	if (!(lo <= hi)) {
		lo = 0.0;
		hi = 1.0;
	}
	if (hi - lo < 1e-12) {
		double pad = fabs(lo) > 1e-9 ? fabs(lo) * 0.05 : 0.5;
		lo -= pad;
		hi += pad;
	}
	struct axis_ a;
	a.step = plot_tick_step(hi - lo, target);
	a.lo = floor(lo / a.step + 1e-9) * a.step;
	a.hi = ceil(hi / a.step - 1e-9) * a.step;
	return a;
}

static double
scale_(double v, const struct axis_ *a, double pix_lo, double pix_hi)
{
	return pix_lo + (v - a->lo) / (a->hi - a->lo) * (pix_hi - pix_lo);
}

/* The y axis of a panel: every finite value of its series, with a little headroom so the
 * extreme points do not sit on the frame. */
static struct axis_
panel_axis_(const struct plot_figure *fig, const struct plot_panel *panel)
{
	double ymin = INFINITY, ymax = -INFINITY;
	for (int s = 0; s < panel->n_series; s++)
		for (int i = 0; i < fig->n; i++) {
			double v = panel->series[s].y[i];
			if (isfinite(v)) {
				ymin = v < ymin ? v : ymin;
				ymax = v > ymax ? v : ymax;
			}
		}
	if (ymin <= ymax) {
		double pad = (ymax - ymin) * 0.04;
		ymin -= pad;
		ymax += pad;
	}
	return axis_fit_(ymin, ymax, 5);
}

/* Grid lines and tick labels of both axes over the plot area from top to bottom. */
static void
draw_grid_(FILE *f, const struct axis_ *xa, const struct axis_ *ya, double top, double bottom)
{
	int yd = tick_decimals_(ya->step);
	for (double t = ya->lo; t <= ya->hi + ya->step * 1e-6; t += ya->step) {
		double py = scale_(t, ya, bottom, top);
		fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
			LEFT, py, RIGHT_EDGE, py);
		fprintf(f, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\" dominant-baseline=\"middle\">"
			   "%.*f</text>\n", LEFT - 6, py, yd, fabs(t) < ya->step * 1e-6 ? 0.0 : t);
	}
	int xd = tick_decimals_(xa->step);
	for (double t = xa->lo; t <= xa->hi + xa->step * 1e-6; t += xa->step) {
		double px = scale_(t, xa, LEFT, RIGHT_EDGE);
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
			px, top, px, bottom);
		fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%.*f</text>\n", px,
			bottom + 16, xd, t);
	}
}

/* The frame and the y label; the x label only under the last panel. */
static void
draw_frame_(FILE *f, const struct plot_figure *fig, const struct plot_panel *panel, double top,
	    double bottom, int last)
{
	fprintf(f, "<rect x=\"%d\" y=\"%.2f\" width=\"%d\" height=\"%d\" fill=\"none\" "
		   "stroke=\"#444\"/>\n", LEFT, top, RIGHT_EDGE - LEFT, PANEL_H);
	fprintf(f, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"middle\" "
		   "transform=\"rotate(-90 %d %.2f)\">", LEFT - 56, top + PANEL_H / 2.0, LEFT - 56,
		top + PANEL_H / 2.0);
	put_text_(f, panel->ylabel);
	fprintf(f, "</text>\n");
	if (last) {
		fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">",
			(LEFT + RIGHT_EDGE) / 2.0, bottom + 36);
		put_text_(f, fig->xlabel);
		fprintf(f, "</text>\n");
	}
}

/* One series as a group: the line, then a marker per finite point whose <title> carries the
 * exact value. */
static void
draw_series_(FILE *f, const struct plot_figure *fig, const struct plot_series *ser,
	     const struct axis_ *xa, const struct axis_ *ya, double top, double bottom)
{
	fprintf(f, "<g class=\"series\" id=\"");
	put_text_(f, ser->name);
	fprintf(f, "\" stroke=\"%s\" fill=\"%s\">\n<polyline fill=\"none\" "
		   "stroke-width=\"2\" points=\"", ser->color, ser->color);
	for (int i = 0; i < fig->n; i++)
		if (isfinite(ser->y[i]))
			fprintf(f, "%s%.2f,%.2f", i ? " " : "",
				scale_(fig->x[i], xa, LEFT, RIGHT_EDGE),
				scale_(ser->y[i], ya, bottom, top));
	fprintf(f, "\"/>\n");
	for (int i = 0; i < fig->n; i++) {
		if (!isfinite(ser->y[i]))
			continue;
		fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%s\"><title>",
			scale_(fig->x[i], xa, LEFT, RIGHT_EDGE),
			scale_(ser->y[i], ya, bottom, top), fig->n <= MARKERS_MAX ? "3" : "0");
		put_text_(f, fig->xlabel);
		fprintf(f, " %.9g: ", fig->x[i]);
		put_text_(f, ser->name);
		fprintf(f, " %.9g</title></circle>\n", ser->y[i]);
	}
	fprintf(f, "</g>\n");
}

/* Entry s of a panel's legend, beside the plot area. */
static void
draw_legend_entry_(FILE *f, const struct plot_series *ser, int s, double top)
{
	double ly = top + 14 + 22 * s;
	fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"%s\" "
		   "stroke-width=\"2\"/>\n", RIGHT_EDGE + 14, ly, RIGHT_EDGE + 40, ly, ser->color);
	fprintf(f, "<text class=\"legend\" x=\"%d\" y=\"%.2f\" dominant-baseline=\"middle\">",
		RIGHT_EDGE + 46, ly);
	put_text_(f, ser->name);
	fprintf(f, "</text>\n");
}

/* One panel with its own y axis, sharing the x axis xa; top is its upper edge. */
static void
draw_panel_(FILE *f, const struct plot_figure *fig, const struct plot_panel *panel,
	    const struct axis_ *xa, double top, int last)
{
	struct axis_ ya = panel_axis_(fig, panel);
	double bottom = top + PANEL_H;
	fprintf(f, "<g class=\"panel\">\n");
	draw_grid_(f, xa, &ya, top, bottom);
	draw_frame_(f, fig, panel, top, bottom, last);
	for (int s = 0; s < panel->n_series; s++) {
		draw_series_(f, fig, &panel->series[s], xa, &ya, top, bottom);
		draw_legend_entry_(f, &panel->series[s], s, top);
	}
	fprintf(f, "</g>\n");
}

/* The document's start: the SVG element, a white background, the title and subtitle. */
static void
write_head_(FILE *f, int height, const char *title, const char *subtitle)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		FIG_W, height, FIG_W, height);
	fprintf(f, "<title>");
	put_text_(f, title);
	fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text class=\"title\" x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">",
		LEFT);
	put_text_(f, title);
	fprintf(f, "</text>\n");
	if (subtitle) {
		fprintf(f, "<text class=\"subtitle\" x=\"%d\" y=\"44\" fill=\"#555\">", LEFT);
		put_text_(f, subtitle);
		fprintf(f, "</text>\n");
	}
}

static void
write_figure_(FILE *f, const void *arg)
{
	const struct plot_figure *fig = arg;
	write_head_(f, TOP + fig->n_panels * (PANEL_H + PANEL_GAP) + BOTTOM, fig->title,
		    fig->subtitle);
	double xmin = fig->n > 0 && fig->x[0] < 0 ? fig->x[0] : 0.0;
	double xmax = fig->n > 0 ? fig->x[fig->n - 1] : 1.0;
	struct axis_ xa = axis_fit_(xmin, xmax, 8);
	for (int p = 0; p < fig->n_panels; p++)
		draw_panel_(f, fig, &fig->panels[p], &xa, TOP + p * (PANEL_H + PANEL_GAP),
			    p == fig->n_panels - 1);
	fprintf(f, "</svg>\n");
}

/* Write a document through a temporary file renamed into place (util.h). */
static int
write_atomic_(const char *path, void (*emit)(FILE *, const void *), const void *arg)
{
	struct atomic_file out;
	if (atomic_open(&out, path) != 0) {
		warnf("--plot: cannot create %s:", path);
		return -1;
	}
	emit(out.f, arg);
	if (atomic_commit(&out) != 0) {
		warnf("--plot: cannot write %s:", path);
		return -1;
	}
	return 0;
}

int
plot_write_svg(const char *path, const struct plot_figure *fig)
{
	return write_atomic_(path, write_figure_, fig);
}

/* The histogram grid's geometry: columns between GRID_LEFT and GRID_RIGHT, rows of
 * GRID_PANEL_H with room under each for its tick labels and notes. */
#define GRID_LEFT 96
#define GRID_RIGHT (FIG_W - 16)
#define GRID_COL_GAP 10
#define GRID_PANEL_H 110
#define GRID_ROW_GAP 46
#define GRID_TOP (TOP + 22) /* the column names go above the first row */
#define GRID_COLOR "#1f77b4"

/* A panel's place in the figure. */
struct box_ {
	double left, right, top, bottom;
};

static struct box_
grid_box_(const struct plot_grid *g, int r, int c)
{
	double width = (GRID_RIGHT - GRID_LEFT - (g->n_cols - 1) * GRID_COL_GAP) / (double)g->n_cols;
	struct box_ b;
	b.left = GRID_LEFT + c * (width + GRID_COL_GAP);
	b.right = b.left + width;
	b.top = GRID_TOP + r * (GRID_PANEL_H + GRID_ROW_GAP);
	b.bottom = b.top + GRID_PANEL_H;
	return b;
}

/* Row r's count axis: from 0 to its tallest bar. */
static struct axis_
grid_row_axis_(const struct plot_grid *g, int r)
{
	double top = 0.0;
	for (int c = 0; c < g->n_cols; c++)
		for (int k = 0; k < g->n_bins; k++) {
			double v = g->hists[r * g->n_cols + c].count[k];
			top = isfinite(v) && v > top ? v : top;
		}
	return axis_fit_(0.0, top > 0.0 ? top : 1.0, 3);
}

/* Grid lines, ticks and frame of one panel of a grid: y labels only left of the first
 * column. */
static void
draw_hist_axes_(FILE *f, const struct box_ *b, const struct axis_ *xa, const struct axis_ *ya,
		int labels)
{
	for (double t = ya->lo; t <= ya->hi + ya->step * 1e-6; t += ya->step) {
		double py = scale_(t, ya, b->bottom, b->top);
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
			b->left, py, b->right, py);
		if (labels)
			fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" "
				   "dominant-baseline=\"middle\">%.*f</text>\n", b->left - 5, py,
				tick_decimals_(ya->step), t);
	}
	/* %g: "0" and "1" rather than "0.0" and "1.0", which would run into the next panel's. */
	for (double t = xa->lo; t <= xa->hi + xa->step * 1e-6; t += xa->step)
		fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%g</text>\n",
			scale_(t, xa, b->left, b->right), b->bottom + 14, fabs(t) < xa->step * 1e-6 ? 0.0 : t);
	fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
		   "stroke=\"#444\"/>\n", b->left, b->top, b->right - b->left, b->bottom - b->top);
}

/* One histogram as a group of bars, each with a <title> naming its row, column, bin and
 * count; then its note. */
static void
draw_hist_(FILE *f, const struct plot_grid *g, int r, int c, const struct axis_ *xa,
	   const struct axis_ *ya)
{
	const struct plot_hist *h = &g->hists[r * g->n_cols + c];
	struct box_ b = grid_box_(g, r, c);
	fprintf(f, "<g class=\"hist\">\n");
	draw_hist_axes_(f, &b, xa, ya, c == 0);
	for (int k = 0; k < g->n_bins; k++) {
		double x0 = scale_(g->lo[k], xa, b.left, b.right);
		double x1 = scale_(g->hi[k], xa, b.left, b.right);
		double y = isfinite(h->count[k]) ? scale_(h->count[k], ya, b.bottom, b.top) : b.bottom;
		fprintf(f, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			   "fill=\"%s\"><title>", x0, y, x1 - x0, b.bottom - y, GRID_COLOR);
		put_text_(f, g->row_names[r]);
		fprintf(f, ", ");
		put_text_(f, g->col_names[c]);
		fprintf(f, ", (%.9g, %.9g]: %.9g</title></rect>\n", g->lo[k], g->hi[k], h->count[k]);
	}
	if (h->note) {
		fprintf(f, "<text class=\"note\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" "
			   "font-size=\"10\" fill=\"#555\">", (b.left + b.right) / 2, b.bottom + 30);
		put_text_(f, h->note);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</g>\n");
}

/* The names: columns above the top row, rows beside their first panel (turned, as the
 * line charts' y labels). */
static void
draw_grid_names_(FILE *f, const struct plot_grid *g)
{
	for (int c = 0; c < g->n_cols; c++) {
		struct box_ b = grid_box_(g, 0, c);
		fprintf(f, "<text class=\"column\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">",
			(b.left + b.right) / 2, b.top - 8);
		put_text_(f, g->col_names[c]);
		fprintf(f, "</text>\n");
	}
	for (int r = 0; r < g->n_rows; r++) {
		struct box_ b = grid_box_(g, r, 0);
		double y = (b.top + b.bottom) / 2;
		fprintf(f, "<text class=\"row\" x=\"24\" y=\"%.2f\" text-anchor=\"middle\" "
			   "font-weight=\"bold\" transform=\"rotate(-90 24 %.2f)\">", y, y);
		put_text_(f, g->row_names[r]);
		fprintf(f, "</text>\n");
	}
}

static void
write_grid_(FILE *f, const void *arg)
{
	const struct plot_grid *g = arg;
	int height = GRID_TOP + g->n_rows * (GRID_PANEL_H + GRID_ROW_GAP) + 20 + BOTTOM;
	write_head_(f, height, g->title, g->subtitle);
	draw_grid_names_(f, g);
	struct axis_ xa = axis_fit_(g->n_bins > 0 ? g->lo[0] : 0.0,
				    g->n_bins > 0 ? g->hi[g->n_bins - 1] : 1.0, 2);
	for (int r = 0; r < g->n_rows; r++) {
		struct axis_ ya = grid_row_axis_(g, r);
		for (int c = 0; c < g->n_cols; c++)
			draw_hist_(f, g, r, c, &xa, &ya);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (GRID_LEFT + GRID_RIGHT) / 2,
		height - BOTTOM - 4);
	put_text_(f, g->xlabel);
	fprintf(f, "</text>\n</svg>\n");
}

int
plot_write_grid_svg(const char *path, const struct plot_grid *grid)
{
	return write_atomic_(path, write_grid_, grid);
}

/* A grid of small line charts: GRID_* geometry, a panel title above each, one y axis for
 * all (so panels compare at a glance) and the legend once, above the grid. */
#define LGRID_TOP (TOP + 40) /* the legend, then the first row's panel titles */
#define LGRID_PANEL_H 96
#define LGRID_ROW_GAP 40

static struct box_
line_box_(const struct plot_line_grid *g, int p)
{
	int r = p / g->n_cols, c = p % g->n_cols;
	double width = (GRID_RIGHT - GRID_LEFT - (g->n_cols - 1) * 2 * GRID_COL_GAP) /
		       (double)g->n_cols;
	struct box_ b;
	b.left = GRID_LEFT + c * (width + 2 * GRID_COL_GAP);
	b.right = b.left + width;
	b.top = LGRID_TOP + r * (LGRID_PANEL_H + LGRID_ROW_GAP);
	b.bottom = b.top + LGRID_PANEL_H;
	return b;
}

/* The value of series s at point i of panel p. */
static double
line_y_(const struct plot_line_grid *g, int p, int s, int i)
{
	return g->y[((size_t)p * g->n_series + s) * g->n + i];
}

static void
draw_line_panel_(FILE *f, const struct plot_line_grid *g, int p, const struct axis_ *xa,
		 const struct axis_ *ya)
{
	struct box_ b = line_box_(g, p);
	fprintf(f, "<g class=\"panel\">\n<text class=\"panel-title\" x=\"%.2f\" y=\"%.2f\" "
		   "text-anchor=\"middle\">", (b.left + b.right) / 2, b.top - 6);
	put_text_(f, g->panel_names[p]);
	fprintf(f, "</text>\n");
	draw_hist_axes_(f, &b, xa, ya, p % g->n_cols == 0);
	for (int s = 0; s < g->n_series; s++) {
		fprintf(f, "<g class=\"series\" stroke=\"%s\" fill=\"%s\"><title>", g->colors[s],
			g->colors[s]);
		put_text_(f, g->panel_names[p]);
		fprintf(f, ": ");
		put_text_(f, g->series_names[s]);
		fprintf(f, "</title>\n<polyline fill=\"none\" stroke-width=\"1.5\" points=\"");
		for (int i = 0, first = 1; i < g->n; i++)
			if (isfinite(line_y_(g, p, s, i))) {
				fprintf(f, "%s%.2f,%.2f", first ? "" : " ",
					scale_(g->x[i], xa, b.left, b.right),
					scale_(line_y_(g, p, s, i), ya, b.bottom, b.top));
				first = 0;
			}
		fprintf(f, "\"/>\n</g>\n");
	}
	fprintf(f, "</g>\n");
}

/* The legend in one row above the grid. */
static void
draw_line_legend_(FILE *f, const struct plot_line_grid *g)
{
	double x = GRID_LEFT, y = TOP + 6;
	for (int s = 0; s < g->n_series; s++) {
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
			   "stroke-width=\"2\"/>\n", x, y, x + 26, y, g->colors[s]);
		fprintf(f, "<text class=\"legend\" x=\"%.2f\" y=\"%.2f\" dominant-baseline=\"middle\">",
			x + 32, y);
		put_text_(f, g->series_names[s]);
		fprintf(f, "</text>\n");
		x += 60 + 7 * (double)strlen(g->series_names[s]);
	}
}

static void
write_line_grid_(FILE *f, const void *arg)
{
	const struct plot_line_grid *g = arg;
	int rows = (g->n_panels + g->n_cols - 1) / g->n_cols;
	int height = LGRID_TOP + rows * (LGRID_PANEL_H + LGRID_ROW_GAP) + 20 + BOTTOM;
	write_head_(f, height, g->title, g->subtitle);
	draw_line_legend_(f, g);
	double lo = INFINITY, hi = -INFINITY;
	for (int p = 0; p < g->n_panels; p++)
		for (int s = 0; s < g->n_series; s++)
			for (int i = 0; i < g->n; i++) {
				double v = line_y_(g, p, s, i);
				lo = isfinite(v) && v < lo ? v : lo;
				hi = isfinite(v) && v > hi ? v : hi;
			}
	struct axis_ ya = axis_fit_(lo, hi, 3);
	struct axis_ xa = axis_fit_(g->n > 0 && g->x[0] < 0 ? g->x[0] : 0.0,
				    g->n > 0 ? g->x[g->n - 1] : 1.0, 3);
	for (int p = 0; p < g->n_panels; p++)
		draw_line_panel_(f, g, p, &xa, &ya);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (GRID_LEFT + GRID_RIGHT) / 2,
		height - BOTTOM - 4);
	put_text_(f, g->xlabel);
	fprintf(f, "; ");
	put_text_(f, g->ylabel);
	fprintf(f, " on every panel's y axis</text>\n</svg>\n");
}

int
plot_write_line_grid_svg(const char *path, const struct plot_line_grid *grid)
{
	return write_atomic_(path, write_line_grid_, grid);
}

void
plot_xml_text(FILE *f, const char *s)
{
	put_text_(f, s);
}
