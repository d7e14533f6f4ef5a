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

/* The y axis's grid lines and tick labels across the plot area. */
static void
draw_y_grid_(FILE *f, const struct axis_ *ya, double top, double bottom)
{
	int yd = tick_decimals_(ya->step);
	for (double t = ya->lo; t <= ya->hi + ya->step * 1e-6; t += ya->step) {
		double py = scale_(t, ya, bottom, top);
		fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
			LEFT, py, RIGHT_EDGE, py);
		fprintf(f, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\" dominant-baseline=\"middle\">"
			   "%.*f</text>\n", LEFT - 6, py, yd, fabs(t) < ya->step * 1e-6 ? 0.0 : t);
	}
}

/* A vertical grid line at px with its tick label under the plot area. */
static void
draw_x_tick_(FILE *f, double px, double top, double bottom, const char *label)
{
	fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n",
		px, top, px, bottom);
	fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", px, bottom + 16);
	put_text_(f, label);
	fprintf(f, "</text>\n");
}

/* Grid lines and tick labels of both axes over the plot area from top to bottom. */
static void
draw_grid_(FILE *f, const struct axis_ *xa, const struct axis_ *ya, double top, double bottom)
{
	draw_y_grid_(f, ya, top, bottom);
	int xd = tick_decimals_(xa->step);
	for (double t = xa->lo; t <= xa->hi + xa->step * 1e-6; t += xa->step) {
		char label[32];
		snprintf(label, sizeof label, "%.*f", xd, t);
		draw_x_tick_(f, scale_(t, xa, LEFT, RIGHT_EDGE), top, bottom, label);
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

/* The sweep figure: the scatter panel at TOP, the heatmap under it. */
#define HEAT_ROW_H 28
#define HEAT_TOP (TOP + PANEL_H + PANEL_GAP + 24)

static const char *const palette_[PLOT_MAX_GROUPS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

/* A colour on a dark-blue to yellow scale (viridis' ends and middle) for t in [0, 1], so
 * that better is lighter and the scale reads in greyscale too. */
static void
ramp_(double t, char buf[8])
{
	static const unsigned char stops[5][3] = {
		{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37},
	};
	t = isfinite(t) ? (t < 0 ? 0 : t > 1 ? 1 : t) : 0;
	int i = t >= 1 ? 3 : (int)(t * 4);
	double u = t * 4 - i;
	int rgb[3];
	for (int k = 0; k < 3; k++)
		rgb[k] = (int)lround(stops[i][k] + u * (stops[i + 1][k] - stops[i][k]));
	snprintf(buf, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* Where an x value goes: categories in equal slots, a log scale or a linear one. */
struct xmap_ {
	int n_cat, log;
	struct axis_ a; /* in log10 units on a log scale */
};

static double
xpos_(const struct xmap_ *m, double x)
{
	if (m->n_cat)
		return LEFT + (x + 0.5) / m->n_cat * (RIGHT_EDGE - LEFT);
	return scale_(m->log ? log10(x) : x, &m->a, LEFT, RIGHT_EDGE);
}

static struct xmap_
scatter_xmap_(const struct plot_scatter *s)
{
	struct xmap_ m = {.n_cat = s->n_x_names, .log = s->log_x && !s->n_x_names};
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < s->n; i++) {
		double x = m.log ? log10(s->points[i].x) : s->points[i].x;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	/* A margin, so that the extreme dots do not sit on the frame. */
	double pad = lo < hi ? (hi - lo) * 0.05 : 0.0;
	m.a = axis_fit_(lo - pad, hi + pad, 6);
	if (m.log) { /* ticks at whole decades, whatever the fitted step */
		m.a.lo = lo - pad - (lo < hi ? 0.0 : 0.5);
		m.a.hi = hi + pad + (lo < hi ? 0.0 : 0.5);
	}
	return m;
}

/* The x ticks: the categories' names, decades (and 2 and 5 between them when there are
 * few), or the linear axis's steps. */
static void
draw_scatter_x_(FILE *f, const struct plot_scatter *s, const struct xmap_ *m, double top,
		double bottom)
{
	char label[32];
	if (m->n_cat) {
		for (int i = 0; i < m->n_cat; i++)
			draw_x_tick_(f, xpos_(m, i), top, bottom, s->x_names[i]);
	} else if (m->log) {
		int few = m->a.hi - m->a.lo < 2.5;
		for (int e = (int)floor(m->a.lo); e <= (int)ceil(m->a.hi); e++)
			for (int k = 1; k <= 5; k += k == 1 ? 1 : 3) {
				double x = k * pow(10.0, e), lx = log10(x);
				if ((k > 1 && !few) || lx < m->a.lo || lx > m->a.hi)
					continue;
				snprintf(label, sizeof label, "%g", x);
				draw_x_tick_(f, xpos_(m, x), top, bottom, label);
			}
	} else {
		int xd = tick_decimals_(m->a.step);
		for (double t = m->a.lo; t <= m->a.hi + m->a.step * 1e-6; t += m->a.step) {
			snprintf(label, sizeof label, "%.*f", xd, fabs(t) < m->a.step * 1e-6 ? 0.0 : t);
			draw_x_tick_(f, xpos_(m, t), top, bottom, label);
		}
	}
}

/* The y axis: every dot and line point, with the same headroom as the line charts. */
static struct axis_
scatter_yaxis_(const struct plot_scatter *s)
{
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < s->n; i++) {
		lo = s->points[i].y < lo ? s->points[i].y : lo;
		hi = s->points[i].y > hi ? s->points[i].y : hi;
	}
	double pad = lo <= hi ? (hi - lo) * 0.04 : 0.0;
	struct axis_ a = axis_fit_(lo - pad, hi + pad, 5);
	if (hi <= 1.0 && a.hi > 1.0 && a.lo < 1.0)
		a.hi = 1.0; /* accuracies: no ticks above 1 */
	return a;
}

/* A dot's colour: its group's, its shade's on the ramp, or the one colour. */
static void
dot_color_(const struct plot_scatter *s, const struct plot_point *p, char buf[8])
{
	if (s->color_label && !s->n_groups) {
		double lo = s->shade_lo, hi = s->shade_hi, v = p->shade;
		if (s->log_shade) {
			lo = log10(lo);
			hi = log10(hi);
			v = log10(v);
		}
		ramp_(hi > lo ? (v - lo) / (hi - lo) : 0.5, buf);
	} else {
		snprintf(buf, 8, "%s", palette_[s->n_groups ? p->group % PLOT_MAX_GROUPS : 0]);
	}
}

/* The lines through each colour's means, then the dots, then the ring round the best. */
static void
draw_dots_(FILE *f, const struct plot_scatter *s, const struct xmap_ *m, const struct axis_ *ya,
	   double top, double bottom)
{
	for (int g = 0; s->n_line > 0 && g < (s->n_groups ? s->n_groups : 1); g++) {
		fprintf(f, "<g class=\"mean\" stroke=\"%s\"><title>mean ", palette_[g]);
		put_text_(f, s->ylabel);
		if (s->n_groups) {
			fprintf(f, ", ");
			put_text_(f, s->color_label);
			fprintf(f, " ");
			put_text_(f, s->group_names[g]);
		}
		fprintf(f, "</title>\n<polyline fill=\"none\" stroke-width=\"2\" points=\"");
		for (int i = 0, first = 1; i < s->n_line; i++) {
			double y = s->line_y[g * s->n_line + i];
			if (isfinite(y)) {
				fprintf(f, "%s%.2f,%.2f", first ? "" : " ", xpos_(m, s->line_x[i]),
					scale_(y, ya, bottom, top));
				first = 0;
			}
		}
		fprintf(f, "\"/>\n</g>\n");
	}
	fprintf(f, "<g class=\"runs\" fill-opacity=\"0.8\">\n");
	for (int i = 0; i < s->n; i++) {
		char color[8];
		dot_color_(s, &s->points[i], color);
		fprintf(f, "<circle class=\"run\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\"><title>",
			xpos_(m, s->points[i].x), scale_(s->points[i].y, ya, bottom, top), color);
		put_text_(f, s->points[i].label);
		fprintf(f, ": ");
		put_text_(f, s->ylabel);
		fprintf(f, " %.9g</title></circle>\n", s->points[i].y);
	}
	fprintf(f, "</g>\n");
	if (s->best >= 0 && s->best < s->n) {
		const struct plot_point *b = &s->points[s->best];
		fprintf(f, "<circle class=\"best\" cx=\"%.2f\" cy=\"%.2f\" r=\"8\" fill=\"none\" "
			   "stroke=\"#000\" stroke-width=\"2\"><title>the best run: ", xpos_(m, b->x),
			scale_(b->y, ya, bottom, top));
		put_text_(f, b->label);
		fprintf(f, ": ");
		put_text_(f, s->ylabel);
		fprintf(f, " %.9g</title></circle>\n", b->y);
	}
}

/* The legend right of the scatter: the colours (named, or a scale from low to high), then
 * the ring and the lines. */
static void
draw_scatter_legend_(FILE *f, const struct plot_scatter *s, double top)
{
	double x = RIGHT_EDGE + 14, y = top + 10;
	if (s->color_label) {
		fprintf(f, "<text class=\"legend\" x=\"%.2f\" y=\"%.2f\" font-weight=\"bold\">", x, y);
		put_text_(f, s->color_label);
		fprintf(f, "</text>\n");
		y += 18;
	}
	for (int g = 0; g < s->n_groups; g++, y += 18) {
		fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\"/><text class=\"legend\" "
			   "x=\"%.2f\" y=\"%.2f\" dominant-baseline=\"middle\">", x + 4, y, palette_[g],
			x + 14, y);
		put_text_(f, s->group_names[g]);
		fprintf(f, "</text>\n");
	}
	if (s->color_label && !s->n_groups) {
		for (int k = 0; k < 10; k++) {
			char color[8];
			ramp_(1 - k / 9.0, color);
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n",
				x, y - 5 + 10 * k, color);
		}
		fprintf(f, "<text class=\"legend\" x=\"%.2f\" y=\"%.2f\" dominant-baseline=\"middle\">"
			   "%g</text>\n<text class=\"legend\" x=\"%.2f\" y=\"%.2f\" dominant-baseline="
			   "\"middle\">%g%s</text>\n", x + 18, y, s->shade_hi, x + 18, y + 90,
			s->shade_lo, s->log_shade ? " (log)" : "");
		y += 112;
	}
	fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"7\" fill=\"none\" stroke=\"#000\" "
		   "stroke-width=\"2\"/><text class=\"legend\" x=\"%.2f\" y=\"%.2f\" "
		   "dominant-baseline=\"middle\">the best run</text>\n", x + 4, y + 4, x + 16, y + 4);
	if (s->n_line > 0)
		fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444\" "
			   "stroke-width=\"2\"/><text class=\"legend\" x=\"%.2f\" y=\"%.2f\" "
			   "dominant-baseline=\"middle\">mean at each value</text>\n", x - 2, y + 26,
			x + 12, y + 26, x + 16, y + 26);
}

/* The heatmap's cells, each coloured by its mean between the lowest and the highest, with
 * the mean written in it; the best cell outlined. */
static void
draw_heat_cells_(FILE *f, const struct plot_scatter *s, const struct plot_heatmap *h)
{
	double lo = INFINITY, hi = -INFINITY, w = (RIGHT_EDGE - LEFT) / (double)h->n_cols;
	for (int c = 0; c < h->n_rows * h->n_cols; c++)
		if (isfinite(h->mean[c])) {
			lo = h->mean[c] < lo ? h->mean[c] : lo;
			hi = h->mean[c] > hi ? h->mean[c] : hi;
		}
	for (int c = 0; c < h->n_rows * h->n_cols; c++) {
		double x = LEFT + (c % h->n_cols) * w, y = HEAT_TOP + (c / h->n_cols) * HEAT_ROW_H;
		double t = hi > lo ? (h->mean[c] - lo) / (hi - lo) : 1.0;
		char color[8];
		ramp_(t, color);
		fprintf(f, "<rect class=\"cell\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
			   "fill=\"%s\"><title>", x, (int)y, w, HEAT_ROW_H,
			isfinite(h->mean[c]) ? color : "#ffffff");
		put_text_(f, s->xlabel);
		fprintf(f, " ");
		put_text_(f, h->col_names[c % h->n_cols]);
		fprintf(f, ", ");
		put_text_(f, s->color_label);
		fprintf(f, " ");
		put_text_(f, h->row_names[c / h->n_cols]);
		fprintf(f, ": mean ");
		put_text_(f, s->ylabel);
		fprintf(f, " %.9g of %d runs</title></rect>\n", h->mean[c], h->count[c]);
		if (isfinite(h->mean[c]))
			fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" dominant-baseline="
				   "\"middle\" fill=\"%s\">%.4f</text>\n", x + w / 2, y + HEAT_ROW_H / 2.0,
				t < 0.6 ? "#fff" : "#000", h->mean[c]);
	}
	int b = h->best;
	fprintf(f, "<rect class=\"best-cell\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
		   "fill=\"none\" stroke=\"#000\" stroke-width=\"3\"/>\n", LEFT + (b % h->n_cols) * w,
		HEAT_TOP + (b / h->n_cols) * HEAT_ROW_H, w, HEAT_ROW_H);
}

/* The heatmap with its names: the columns' under it, the rows' left of it. */
static void
draw_heatmap_(FILE *f, const struct plot_scatter *s, const struct plot_heatmap *h)
{
	double w = (RIGHT_EDGE - LEFT) / (double)h->n_cols, bottom = HEAT_TOP + h->n_rows * HEAT_ROW_H;
	fprintf(f, "<g class=\"heatmap\">\n<text x=\"%d\" y=\"%d\">mean ", LEFT, HEAT_TOP - 8);
	put_text_(f, s->ylabel);
	fprintf(f, " of each cell's runs (lightest: best)</text>\n");
	draw_heat_cells_(f, s, h);
	for (int c = 0; c < h->n_cols; c++) {
		fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", LEFT + (c + 0.5) * w,
			bottom + 16);
		put_text_(f, h->col_names[c]);
		fprintf(f, "</text>\n");
	}
	for (int r = 0; r < h->n_rows; r++) {
		fprintf(f, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\" dominant-baseline=\"middle\">",
			LEFT - 6, HEAT_TOP + (r + 0.5) * HEAT_ROW_H);
		put_text_(f, h->row_names[r]);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">", (LEFT + RIGHT_EDGE) / 2.0,
		bottom + 36);
	put_text_(f, s->xlabel);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%.2f\" text-anchor=\"middle\" transform=\"rotate(-90 "
		   "%d %.2f)\">", LEFT - 56, (HEAT_TOP + bottom) / 2, LEFT - 56, (HEAT_TOP + bottom) / 2);
	put_text_(f, s->color_label);
	fprintf(f, "</text>\n</g>\n");
}

static void
write_scatter_(FILE *f, const void *arg)
{
	const struct plot_scatter *s = arg;
	int height = TOP + PANEL_H + PANEL_GAP + BOTTOM;
	if (s->heat)
		height = HEAT_TOP + s->heat->n_rows * HEAT_ROW_H + PANEL_GAP + BOTTOM;
	write_head_(f, height, s->title, s->subtitle);
	struct xmap_ m = scatter_xmap_(s);
	struct axis_ ya = scatter_yaxis_(s);
	double top = TOP, bottom = TOP + PANEL_H;
	fprintf(f, "<g class=\"panel\">\n");
	draw_y_grid_(f, &ya, top, bottom);
	draw_scatter_x_(f, s, &m, top, bottom);
	char xlabel[256];
	snprintf(xlabel, sizeof xlabel, "%s%s", s->xlabel, m.log ? " (log scale)" : "");
	struct plot_panel panel = {.ylabel = s->ylabel};
	struct plot_figure fig = {.xlabel = xlabel};
	draw_frame_(f, &fig, &panel, top, bottom, 1);
	draw_dots_(f, s, &m, &ya, top, bottom);
	draw_scatter_legend_(f, s, top);
	fprintf(f, "</g>\n");
	if (s->heat)
		draw_heatmap_(f, s, s->heat);
	fprintf(f, "</svg>\n");
}

int
plot_write_scatter_svg(const char *path, const struct plot_scatter *s)
{
	return write_atomic_(path, write_scatter_, s);
}
