/* csv.h: reading and writing the CSV that bptrain's own records use (docs/output.md): a
 * field is quoted only when it holds a comma, a double quote or a line break, with an inner
 * quote doubled (RFC 4180). */
#ifndef BPTRAIN_CSV_H
#define BPTRAIN_CSV_H

#include <stdio.h>

/* Split one line (without its line break) into at most max fields, in place: fields[i]
 * point into line, unquoted. Returns the count, or -1 if the line is malformed or has more
 * than max fields. */
int csv_split(char *line, char **fields, int max);

/* Write s as one field, quoted if it needs to be. */
void csv_put(FILE *f, const char *s);

#endif
