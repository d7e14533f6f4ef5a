/* histplot.c: a grid of activation histograms from bptrain's own CSV (--dump-activations). */
#include "histplot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activations.h" /* ACTIVATIONS_RECORD */
#include "csv.h"
#include "net.h"         /* NET_MAX_AFFINE */
#include "plot.h"
#include "util.h"

enum { MAX_FIELDS = 64, MAX_LINE = 8192, MAX_VALUE = 64, MAX_ROWS = 8, MAX_BINS = 64 };
#define MAX_COLS (NET_MAX_AFFINE - 1) /* hidden layers */

/* One CSV row's histogram entry: the count of values in (lo, hi]. */
struct entry_ {
	double lo, hi, count;
};

/* The histogram of one run (a value of the group column) and one hidden layer. */
struct panel_ {
	struct entry_ e[MAX_BINS];
	int n;
};

struct hists_ {
	char names[MAX_ROWS][MAX_VALUE]; /* the group's values, in order of appearance */
	/* The CSV header (counted from 1) after which each value appeared: every dump starts
	 * with one, so a value under two headers is two runs that the figure could not tell
	 * apart. */
	int header_of[MAX_ROWS];
	int n_rows, n_cols, n_headers;
	/* The activation column's value if every row has the same one, else "". */
	char activation[MAX_VALUE];
	long n_entries;
	struct panel_ panel[MAX_ROWS][MAX_COLS];
};

/* The columns the reader needs, looked up by name in each header; then activation, which
 * names the figure when every run has the same. */
enum {
	COL_RECORD, COL_LAYER, COL_LO, COL_HI, COL_COUNT, COL_GROUP, N_REQUIRED,
	COL_ACTIVATION = N_REQUIRED, N_COLS
};

/* A whole field as a number (strtod, so "inf" and "-inf" too); -1 if it is not one. */
static int
number_(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return end == s || *end != '\0' || isnan(*out) ? -1 : 0;
}

static int
row_for_(struct hists_ *h, const char *value)
{
	for (int r = 0; r < h->n_rows; r++)
		if (strcmp(h->names[r], value) == 0)
			return r;
	if (h->n_rows == MAX_ROWS)
		return -1;
	h->header_of[h->n_rows] = h->n_headers;
	snprintf(h->names[h->n_rows], MAX_VALUE, "%s", value);
	return h->n_rows++;
}

/* One data row into its panel; a message and -1 if it is malformed. */
static int
add_row_(struct hists_ *h, char **fields, int n, const int *cols, const char *where,
	 const char *group)
{
	for (int k = 0; k < N_REQUIRED; k++)
		if (cols[k] >= n) {
			warnf("%s: fewer fields than the header", where);
			return -1;
		}
	int r = row_for_(h, fields[cols[COL_GROUP]]);
	if (r < 0) {
		warnf("%s: more than %d values of '%s'", where, MAX_ROWS, group);
		return -1;
	}
	if (h->header_of[r] != h->n_headers) {
		warnf("%s: a second run with %s '%s'", where, group, h->names[r]);
		return -1;
	}
	double layer;
	struct entry_ e;
	if (number_(fields[cols[COL_LAYER]], &layer) != 0 || layer != floor(layer) || layer < 1 ||
	    layer > MAX_COLS) {
		warnf("%s: layer '%s' is not 1 to %d", where, fields[cols[COL_LAYER]], MAX_COLS);
		return -1;
	}
	if (number_(fields[cols[COL_LO]], &e.lo) != 0 || number_(fields[cols[COL_HI]], &e.hi) != 0 ||
	    number_(fields[cols[COL_COUNT]], &e.count) != 0 || !(e.lo < e.hi) || e.count < 0 ||
	    !isfinite(e.count)) {
		warnf("%s: not a bin (lo < hi) and a count", where);
		return -1;
	}
	struct panel_ *p = &h->panel[r][(int)layer - 1];
	if (p->n == MAX_BINS) {
		warnf("%s: more than %d bins in layer %d of '%s'", where, MAX_BINS, (int)layer,
		      h->names[r]);
		return -1;
	}
	p->e[p->n++] = e;
	const char *act = cols[COL_ACTIVATION] >= 0 && cols[COL_ACTIVATION] < n
				  ? fields[cols[COL_ACTIVATION]] : "";
	if (h->n_entries++ == 0)
		snprintf(h->activation, sizeof h->activation, "%s", act);
	else if (strcmp(h->activation, act) != 0)
		h->activation[0] = '\0';
	h->n_cols = (int)layer > h->n_cols ? (int)layer : h->n_cols;
	return 0;
}

/* A header: every dump starts with one, and concatenated dumps repeat it. */
static int
read_header_(char **fields, int n, const char *group, int *cols, const char *where)
{
	const char *names[N_COLS] = {"record", "layer", "bin_lo", "bin_hi", "count", group,
				     "activation"};
	for (int k = 0; k < N_COLS; k++) {
		cols[k] = -1;
		for (int i = 0; i < n; i++)
			if (strcmp(fields[i], names[k]) == 0)
				cols[k] = i;
		if (cols[k] < 0 && k < N_REQUIRED) {
			warnf("%s: no '%s' column", where, names[k]);
			return -1;
		}
	}
	return 0;
}

static int
read_hists_(const char *csv_path, const char *group, struct hists_ *h)
{
	FILE *f = fopen(csv_path, "r");
	if (!f) {
		warnf("%s:", csv_path);
		return -1;
	}
	char line[MAX_LINE], *fields[MAX_FIELDS], where[4200];
	int cols[N_COLS] = {-1}, lineno = 0, status = 0;
	while (status == 0 && fgets(line, sizeof line, f)) {
		snprintf(where, sizeof where, "%s:%d", csv_path, ++lineno);
		line[strcspn(line, "\r\n")] = '\0';
		int n = csv_split(line, fields, MAX_FIELDS);
		if (n < 0) {
			warnf("%s: not a CSV line of bptrain's records", where);
			status = -1;
		} else if (strcmp(fields[0], "record") == 0) {
			h->n_headers++;
			status = read_header_(fields, n, group, cols, where);
		} else if (cols[COL_RECORD] < 0) {
			warnf("%s: a record before the CSV header", where);
			status = -1;
		} else if (strcmp(fields[0], ACTIVATIONS_RECORD) == 0) {
			status = add_row_(h, fields, n, cols, where, group);
		}
	}
	if (status == 0 && ferror(f)) {
		warnf("%s: read error:", csv_path);
		status = -1;
	}
	fclose(f);
	return status;
}

static int
same_bins_(const struct panel_ *a, const struct panel_ *b)
{
	if (a->n != b->n)
		return 0;
	for (int k = 0; k < a->n; k++)
		if (a->e[k].lo != b->e[k].lo || a->e[k].hi != b->e[k].hi)
			return 0;
	return 1;
}

/* Every run has every layer, all with the first one's bins. */
static int
check_hists_(const char *csv_path, const struct hists_ *h)
{
	if (h->n_rows == 0) {
		warnf("%s: no activation histograms (write them with --dump-activations FILE)",
		      csv_path);
		return -1;
	}
	const struct panel_ *first = &h->panel[0][0];
	for (int r = 0; r < h->n_rows; r++)
		for (int c = 0; c < h->n_cols; c++)
			if (!same_bins_(&h->panel[r][c], first)) {
				warnf("%s: '%s' differs from '%s' in layer %d: other layers or "
				      "bins", csv_path, h->names[r], h->names[0], c + 1);
				return -1;
			}
	return 0;
}

/* What the figure needs, made from the histograms: the bars are the finite bins, and the
 * open-ended rows (at most 0, above 1) become a note under their panel. */
struct figure_ {
	int n_bins;
	double lo[MAX_BINS], hi[MAX_BINS];
	double count[MAX_ROWS * MAX_COLS][MAX_BINS];
	char notes[MAX_ROWS * MAX_COLS][96];
	struct plot_hist hists[MAX_ROWS * MAX_COLS];
	const char *row_names[MAX_ROWS];
	char col_text[MAX_COLS][24];
	const char *col_names[MAX_COLS];
};

/* The note of panel p: the share of each open-ended row that holds anything. */
static void
note_(char *buf, size_t size, const struct panel_ *p)
{
	double total = 0.0;
	for (int k = 0; k < p->n; k++)
		total += p->e[k].count;
	size_t used = 0;
	buf[0] = '\0';
	for (int k = 0; k < p->n && used < size; k++) {
		const struct entry_ *e = &p->e[k];
		if ((isfinite(e->lo) && isfinite(e->hi)) || e->count == 0)
			continue;
		double share = 100.0 * e->count / total;
		/* Not "0.0%" for a count that is not 0. */
		used += (size_t)snprintf(buf + used, size - used, "%s%s%g: %s%.1f%%", used ? ", " : "",
					 isfinite(e->lo) ? ">" : "\u2264",
					 isfinite(e->lo) ? e->lo : e->hi, share < 0.05 ? "<" : "",
					 share < 0.05 ? 0.1 : share);
	}
}

static void
make_figure_(struct figure_ *fig, const struct hists_ *h)
{
	const struct panel_ *first = &h->panel[0][0];
	fig->n_bins = 0;
	for (int k = 0; k < first->n; k++)
		if (isfinite(first->e[k].lo) && isfinite(first->e[k].hi)) {
			fig->lo[fig->n_bins] = first->e[k].lo;
			fig->hi[fig->n_bins++] = first->e[k].hi;
		}
	for (int r = 0; r < h->n_rows; r++) {
		fig->row_names[r] = h->names[r];
		for (int c = 0; c < h->n_cols; c++) {
			int i = r * h->n_cols + c, b = 0;
			const struct panel_ *p = &h->panel[r][c];
			for (int k = 0; k < p->n; k++)
				if (isfinite(p->e[k].lo) && isfinite(p->e[k].hi))
					fig->count[i][b++] = p->e[k].count;
			note_(fig->notes[i], sizeof fig->notes[i], p);
			fig->hists[i] = (struct plot_hist){fig->count[i],
							   fig->notes[i][0] ? fig->notes[i] : NULL};
		}
	}
	for (int c = 0; c < h->n_cols; c++) {
		snprintf(fig->col_text[c], sizeof fig->col_text[c], "layer %d", c + 1);
		fig->col_names[c] = fig->col_text[c];
	}
}

int
histplot_draw(const char *csv_path, const char *group, const char *svg_path)
{
	struct hists_ *h = xmalloc(sizeof *h);
	memset(h, 0, sizeof *h);
	int status = read_hists_(csv_path, group, h);
	if (status == 0)
		status = check_hists_(csv_path, h);
	if (status == 0) {
		struct figure_ *fig = xmalloc(sizeof *fig);
		make_figure_(fig, h);
		char title[128], xlabel[96];
		snprintf(title, sizeof title, "%s outputs of each hidden layer, by %s",
			 h->activation[0] ? h->activation : "activation", group);
		snprintf(xlabel, sizeof xlabel, "activation output in %d bins; each row has its own count "
			 "scale", fig->n_bins);
		struct plot_grid grid = {.title = title, .subtitle = csv_path,
					 .xlabel = xlabel,
					 .n_bins = fig->n_bins, .lo = fig->lo, .hi = fig->hi,
					 .n_rows = h->n_rows, .n_cols = h->n_cols,
					 .row_names = fig->row_names, .col_names = fig->col_names,
					 .hists = fig->hists};
		status = plot_write_grid_svg(svg_path, &grid);
		free(fig);
	}
	free(h);
	return status;
}
