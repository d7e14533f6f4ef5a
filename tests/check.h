/* check.h: the tiny test harness every C test uses. Each CHECK counts as one check; a
 * failure prints file:line and a message to stderr. check_report prints the
 * "name: N passed, M failed" line that tests/run.sh adds up, and returns the exit status. */
#ifndef BPTRAIN_CHECK_H
#define BPTRAIN_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed_, check_failed_;

#define CHECK(cond, ...)                                                          \
	do {                                                                      \
		if (cond) {                                                       \
			check_passed_++;                                          \
		} else {                                                          \
			check_failed_++;                                          \
			fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);     \
			fprintf(stderr, __VA_ARGS__);                             \
			fputc('\n', stderr);                                      \
		}                                                                 \
	} while (0)

/* |a - b| <= tol, with the values in the failure message. */
#define CHECK_NEAR(a, b, tol, what)                                                      \
	CHECK(fabs((double)(a) - (double)(b)) <= (tol), "%s: got %.9g, want %.9g (tol %g)", \
	      what, (double)(a), (double)(b), (double)(tol))

static inline int
check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed_, check_failed_);
	return check_failed_ ? 1 : 0;
}

#endif
