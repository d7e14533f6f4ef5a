/* fields.h: a record of named fields written as a CSV row or a JSON object, with the
 * report's quoting (src/report.h), for the records of --evaluate and --predict. A record's
 * schema (its field names, in CSV column order) is set once; each record fills some fields,
 * and the others are empty in CSV and left out in JSON, as in docs/output.md. */
#ifndef BPTRAIN_FIELDS_H
#define BPTRAIN_FIELDS_H

#include <stdio.h>

#include "flags.h" /* enum format */

#define FIELDS_MAX 48

struct fields {
	int n;
	struct {
		char name[24];
		char text[64];   /* a number */
		const char *str; /* a string value (not copied), or NULL: then text */
		int set;
	} f[FIELDS_MAX];
};

/* Start an empty schema; then add its names in column order. */
void fields_init(struct fields *r);
void fields_add(struct fields *r, const char *name);
/* Unset every field, keeping the schema. */
void fields_clear(struct fields *r);

/* Set the named field (which must be in the schema): a number printed with fmt, an
 * integer, or a string. A number that is not finite stays unset (JSON has no NaN). */
void fields_num(struct fields *r, const char *name, const char *fmt, double v);
void fields_int(struct fields *r, const char *name, long long v);
void fields_str(struct fields *r, const char *name, const char *s);

void fields_csv_header(FILE *f, const struct fields *r);
/* The record as a CSV row (FORMAT_CSV) or a JSON line (FORMAT_JSON); nothing for text. */
void fields_write(FILE *f, enum format format, const struct fields *r);

#endif
