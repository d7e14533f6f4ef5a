/* fields.c: records of named fields as CSV rows and JSON lines. */
#include "fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"    /* csv_put */
#include "report.h" /* report_json_string */

void
fields_init(struct fields *r)
{
	r->n = 0;
}

void
fields_add(struct fields *r, const char *name)
{
	if (r->n == FIELDS_MAX || strlen(name) >= sizeof r->f[0].name)
		abort(); /* a schema this file cannot hold: raise FIELDS_MAX */
	strcpy(r->f[r->n].name, name);
	r->f[r->n].set = 0;
	r->n++;
}

void
fields_clear(struct fields *r)
{
	for (int i = 0; i < r->n; i++)
		r->f[i].set = 0;
}

static int
index_(const struct fields *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return i;
	abort(); /* a field the schema lacks is a bug in the caller */
}

void
fields_num(struct fields *r, const char *name, const char *fmt, double v)
{
	int i = index_(r, name);
	if (!isfinite(v))
		return;
	snprintf(r->f[i].text, sizeof r->f[i].text, fmt, v);
	r->f[i].str = NULL;
	r->f[i].set = 1;
}

void
fields_int(struct fields *r, const char *name, long long v)
{
	int i = index_(r, name);
	snprintf(r->f[i].text, sizeof r->f[i].text, "%lld", v);
	r->f[i].str = NULL;
	r->f[i].set = 1;
}

void
fields_str(struct fields *r, const char *name, const char *s)
{
	int i = index_(r, name);
	r->f[i].str = s;
	r->f[i].set = 1;
}

void
fields_csv_header(FILE *f, const struct fields *r)
{
	for (int i = 0; i < r->n; i++)
		fprintf(f, "%s%s", i ? "," : "", r->f[i].name);
	fputc('\n', f);
}

static void
write_csv_(FILE *f, const struct fields *r)
{
	for (int i = 0; i < r->n; i++) {
		if (i)
			fputc(',', f);
		if (r->f[i].set)
			csv_put(f, r->f[i].str ? r->f[i].str : r->f[i].text);
	}
	fputc('\n', f);
}

static void
write_json_(FILE *f, const struct fields *r)
{
	int first = 1;
	fputc('{', f);
	for (int i = 0; i < r->n; i++) {
		if (!r->f[i].set)
			continue;
		fprintf(f, "%s\"%s\":", first ? "" : ",", r->f[i].name);
		if (r->f[i].str)
			report_json_string(f, r->f[i].str);
		else
			fputs(r->f[i].text, f);
		first = 0;
	}
	fputs("}\n", f);
}

void
fields_write(FILE *f, enum format format, const struct fields *r)
{
	switch (format) {
	case FORMAT_CSV:
		write_csv_(f, r);
		break;
	case FORMAT_JSON:
		write_json_(f, r);
		break;
	case FORMAT_TEXT:
		break;
	}
}
