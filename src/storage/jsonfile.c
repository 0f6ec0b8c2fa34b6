/*
 * jsonfile.c: whole-file JSON through jansson, saved atomically.
 */
#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atomic.h"

/* Load a JSON file. */
json_t *
jsonfile_load(const char *path, char **cause)
{
	json_error_t	 err;
	json_t		*j;

	if ((j = json_load_file(path, 0, &err)) == NULL) {
		struct stat	sb;

		/* jansson's own text repeats the path: say it once. */
		if (stat(path, &sb) != 0)
			lr_fail(cause, "%s: %s", path, strerror(errno));
		else if (S_ISDIR(sb.st_mode))
			lr_fail(cause, "%s: is a directory", path);
		else if (err.line <= 0)
			lr_fail(cause, "%s: cannot read it", path);
		else
			lr_fail(cause, "%s: line %d: %s", path, err.line,
			    err.text);
	}
	return (j);
}

static int
fill_json(FILE *f, void *arg, char **cause)
{
	(void)cause;
	if (json_dumpf(arg, f, JSON_INDENT(1) | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(9)) != 0 || fputc('\n', f) == EOF)
		return (-1);
	return (0);
}

/* Save atomically (atomic_write). */
int
jsonfile_save(const json_t *j, const char *path, char **cause)
{
	return (atomic_write(path, fill_json, (void *)j, cause));
}

/* Array of floats. */
json_t *
jsonfile_floats(const float *v, int n)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return (a);
}

/* Read exactly n numbers. */
int
jsonfile_get_floats(const json_t *a, float *v, int n)
{
	size_t	i;

	if (!json_is_array(a) || json_array_size(a) != (size_t)n)
		return (-1);
	for (i = 0; i < (size_t)n; i++) {
		json_t *x = json_array_get(a, i);

		if (!json_is_number(x))
			return (-1);
		v[i] = (float)json_number_value(x);
	}
	return (0);
}
