/*
 * jsonfile.h: JSON files read and written whole through jansson, with
 * atomic saves (temporary file in the same directory, then rename).
 */
#ifndef LR_JSONFILE_H
#define LR_JSONFILE_H

#include <jansson.h>

#include "common.h"

/* Load a JSON file; NULL with "FILE: line N: what" on error. */
json_t	*jsonfile_load(const char *path, char **cause) LR_WUR;

/* Save j (indented, keys sorted) atomically to path. */
int	 jsonfile_save(const json_t *j, const char *path, char **cause) LR_WUR;

/* Array of n floats as a JSON array (new reference). */
json_t	*jsonfile_floats(const float *v, int n);

/* Read a JSON array of exactly n numbers into v; -1 otherwise. */
int	 jsonfile_get_floats(const json_t *a, float *v, int n);

#endif
