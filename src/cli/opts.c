/*
 * opts.c: the one way a command reads a number from its options.  Every
 * error names the option, what it got and what it takes, on one line:
 * "--steps 1.5: want a whole number from 1 to 1e+12".  Whole numbers are
 * decimal and exact ("010" is ten, "2x", "" and "1.5" are errors), reals
 * are finite.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"

/* "--name" or "-n": a one-letter option has one dash. */
static const char *
dashes(const char *name)
{
	return (name[0] != '\0' && name[1] == '\0' ? "-" : "--");
}

int
opt_whole(const char *name, const char *s, long lo, long hi,
    const char *what, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && v >= lo && v <= hi) {
		*out = v;
		return (0);
	}
	cmd_error("%s%s %s: want %s from %ld to %ld", dashes(name), name, s,
	    what != NULL ? what : "a whole number", lo, hi);
	return (-1);
}

int
opt_real(const char *name, const char *s, double lo, double hi,
    const char *what, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno == 0 && end != s && *end == '\0' && isfinite(v) &&
	    v >= lo && v <= hi) {
		*out = v;
		return (0);
	}
	cmd_error("%s%s %s: want %s", dashes(name), name, s, what);
	return (-1);
}

int
opt_seed(const char *name, const char *s, unsigned long long max,
    unsigned long long *out)
{
	char	*end;

	/* strtoull, not a double: every digit of a 64-bit seed counts; and
	   no sign, which strtoull would wrap. */
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' &&
	    s[strspn(s, " \t")] != '-' && s[strspn(s, " \t")] != '+' &&
	    *out <= max)
		return (0);
	cmd_error("%s%s %s: want a whole number from 0 to %llu", dashes(name),
	    name, s, max);
	return (-1);
}
