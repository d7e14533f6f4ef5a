/* csv.c: the records' CSV dialect, shared by the readers (runs.c, histplot.c) and the
 * activation dump. */
#include "csv.h"

#include <string.h>

int
csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		if (n == max)
			return -1;
		char *out = p;
		fields[n++] = out;
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] != '"')
					break;
				*out++ = *p == '"' ? *++p : *p;
			}
			p++;
		} else {
			while (*p && *p != ',')
				*out++ = *p++;
		}
		if (*p != ',' && *p != '\0')
			return -1;
		int more = *p == ',';
		*out = '\0';
		if (!more)
			return n;
		p++;
	}
}

void
csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
