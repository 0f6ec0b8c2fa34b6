/*
 * test.h: the tiny test harness every test program shares.
 * CHECK counts instead of aborting; main ends with test_report(), which
 * prints exactly one line "N passed, N failed" and returns the exit status
 * (0 all passed, 1 something failed).  Exit 77 means SKIP, 99 a setup error.
 */
#ifndef LR_TEST_H
#define LR_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int test_passed, test_failed;

#define CHECK(cond) do {						\
	if (cond)							\
		test_passed++;						\
	else {								\
		test_failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_MSG(cond, ...) do {					\
	if (cond)							\
		test_passed++;						\
	else {								\
		test_failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed: ",		\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* Compare n floats within tol; print the first values and the max diff. */
static inline int
check_close(const float *a, const float *b, size_t n, double tol,
    const char *label, const char *file, int line)
{
	double	maxdiff = 0;
	size_t	i, at = 0;

	for (i = 0; i < n; i++) {
		double d = fabs((double)a[i] - (double)b[i]);
		if (d > maxdiff || isnan(d)) {
			maxdiff = isnan(d) ? INFINITY : d;
			at = i;
		}
	}
	if (maxdiff <= tol) {
		test_passed++;
		return (1);
	}
	test_failed++;
	fprintf(stderr, "%s:%d: %s: maxdiff %g > %g at %zu (%g vs %g)\n",
	    file, line, label, maxdiff, tol, at, (double)a[at], (double)b[at]);
	return (0);
}
#define CHECK_CLOSE(a, b, n, tol, label) \
	check_close((a), (b), (n), (tol), (label), __FILE__, __LINE__)

static inline int
test_report(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return (test_failed == 0 ? 0 : 1);
}

/* Directory of ../shared (SHARED_DIR from make check), or NULL. */
static inline const char *
test_shared_dir(void)
{
	const char	*d = getenv("SHARED_DIR");

	return (d != NULL && *d != '\0' ? d : NULL);
}

/* Source directory (srcdir from make check), or ".". */
static inline const char *
test_srcdir(void)
{
	const char	*d = getenv("srcdir");

	return (d != NULL && *d != '\0' ? d : ".");
}

#endif
