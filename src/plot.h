/* plot.h: line charts and histogram grids as self-contained SVG files, written by hand (no
 * libraries). A figure of line charts is a column of panels sharing one x axis;
 * each panel has its own y axis and up to PLOT_MAX_SERIES lines with a legend. */
#ifndef BPTRAIN_PLOT_H
#define BPTRAIN_PLOT_H

#include <stdio.h>

#define PLOT_MAX_SERIES 4

struct plot_series {
	const char *name;  /* legend text, also the id of the SVG group */
	const char *color; /* an SVG colour, e.g. "#1f77b4" */
	const double *y;   /* (n) values, one per x */
};

struct plot_panel {
	const char *ylabel;
	int n_series;
	struct plot_series series[PLOT_MAX_SERIES];
};

struct plot_figure {
	const char *title;
	const char *subtitle; /* may be NULL */
	const char *xlabel;
	const double *x;      /* (n) increasing x values shared by every panel */
	int n;                /* points per series; 0 draws empty axes */
	int n_panels;
	const struct plot_panel *panels;
};

/* Write fig to path through a temporary file renamed into place, so a failure or a kill
 * leaves either the old file or none, never half an SVG. Returns 0, or -1 with a message
 * naming the file. */
int plot_write_svg(const char *path, const struct plot_figure *fig);

/* A grid of histograms (bar charts) sharing their bins: a row per run, a column per layer,
 * as the book draws activation distributions. Each row has its own count axis, shared by its
 * panels, so a row shows how the distribution changes from layer to layer. */
struct plot_hist {
	const double *count; /* (n_bins) */
	const char *note;    /* a line under the panel (what fell outside the bins), or NULL */
};

struct plot_grid {
	const char *title;
	const char *subtitle;             /* may be NULL */
	const char *xlabel;               /* under the bottom row */
	int n_bins;
	const double *lo, *hi;            /* (n_bins) each bin's edges, increasing */
	int n_rows, n_cols;
	const char *const *row_names;     /* (n_rows), beside each row */
	const char *const *col_names;     /* (n_cols), above the top row */
	const struct plot_hist *hists;    /* (n_rows * n_cols), row by row */
};

/* Write grid to path as plot_write_svg does. Returns 0, or -1 with a message. */
int plot_write_grid_svg(const char *path, const struct plot_grid *grid);

/* A grid of small line charts sharing their x values, their series and one y axis, as the
 * book draws batch normalization against none over 16 weight scales: a panel per value of
 * one thing, a line per value of another. */
struct plot_line_grid {
	const char *title;
	const char *subtitle;            /* may be NULL */
	const char *xlabel, *ylabel;     /* named once, under the grid */
	const double *x;                 /* (n) increasing */
	int n;
	int n_panels, n_cols;            /* panels fill rows of n_cols, left to right */
	const char *const *panel_names;  /* (n_panels), above each panel */
	int n_series;                    /* at most PLOT_MAX_SERIES */
	const char *const *series_names; /* (n_series), in the legend */
	const char *const *colors;       /* (n_series) */
	const double *y;                 /* (n_panels, n_series, n); NaN: no point */
};

/* Write grid to path as plot_write_svg does. Returns 0, or -1 with a message. */
int plot_write_line_grid_svg(const char *path, const struct plot_line_grid *grid);

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about target ticks over span. */
double plot_tick_step(double span, int target);

/* s as XML text, with the special characters escaped and bytes that would make the document
 * ill-formed replaced by '?'. */
void plot_xml_text(FILE *f, const char *s);
/* A sweep's result: a dot per run at (x, y), coloured by another parameter, the best run
 * ringed; lines through each colour's mean where x values repeat (a grid); and for a 2-D
 * grid a heatmap of the cells' means under it. */
#define PLOT_MAX_GROUPS 8

struct plot_point {
	double x;          /* the value, or with x_names the category's index 0, 1, ... */
	double y;
	int group;         /* with group_names: the colour's index */
	double shade;      /* with shade_label: the value the colour scale shows */
	const char *label; /* the tooltip: which run this is */
};

struct plot_heatmap {
	int n_cols, n_rows;
	const char *const *col_names;  /* (n_cols), under the columns: the x values */
	const char *const *row_names;  /* (n_rows), left of the rows: the colour's values */
	const double *mean;            /* (n_rows * n_cols), row by row; NaN: no run */
	const int *count;              /* (n_rows * n_cols) runs behind each mean */
	int best;                      /* the outlined cell */
};

struct plot_scatter {
	const char *title;
	const char *subtitle;                /* may be NULL */
	const char *xlabel, *ylabel;
	int n;
	const struct plot_point *points;     /* (n) */
	int best;                            /* the ringed point, or -1 */
	int n_x_names;                       /* a categorical x axis: this many names, ... */
	const char *const *x_names;          /* ... else 0 and NULL (a numeric axis) */
	int log_x;                           /* numeric x on a log scale (all x > 0) */
	const char *color_label;             /* what the colours mean, or NULL: one colour */
	int n_groups;                        /* at most PLOT_MAX_GROUPS named colours, ... */
	const char *const *group_names;      /* ... or 0 and NULL for a continuous scale: */
	double shade_lo, shade_hi;           /* the shade's range, and */
	int log_shade;                       /* whether it is logarithmic */
	int n_line;                          /* lines: points per line, 0 for none */
	const double *line_x;                /* (n_line) increasing, in the points' x units */
	const double *line_y;                /* (max(n_groups, 1) * n_line); NaN: no point */
	const struct plot_heatmap *heat;     /* drawn under the dots, or NULL */
};

/* Write s to path as plot_write_svg does. Returns 0, or -1 with a message. */
int plot_write_scatter_svg(const char *path, const struct plot_scatter *s);

#endif
