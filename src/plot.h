/* plot.h: line charts as a self-contained SVG file, written by hand (no libraries).
 * A figure is a column of panels sharing one x axis; each panel has its own y axis and up to
 * PLOT_MAX_SERIES lines with a legend. */
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

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about target ticks over span. */
double plot_tick_step(double span, int target);

/* s as XML text, with the special characters escaped and bytes that would make the document
 * ill-formed replaced by '?'. */
void plot_xml_text(FILE *f, const char *s);

#endif
