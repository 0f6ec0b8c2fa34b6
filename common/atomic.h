/*
 * atomic.h: the one way latentroll replaces a file.
 *
 * A unique, hidden temporary file beside the target (".NAME.XXXXXX" by
 * mkstemp: two processes saving the same path never share one, and no
 * folder scan takes it for a file), written by the caller, flushed
 * and fsync'ed, given the mode a plain create would give (0666 less the
 * umask), renamed over the target, and the directory fsync'ed so the
 * rename survives a crash.  Every step's error is checked; on any, the
 * temporary file is removed, the target is left as it was, and -1 comes
 * back with a cause naming the target.
 */
#ifndef LR_ATOMIC_H
#define LR_ATOMIC_H

#include <stdio.h>

#include "common.h"

/* fill writes the new contents to f; -1 with a cause (or errno) on error. */
int	atomic_write(const char *path, int (*fill)(FILE *f, void *arg,
	    char **cause), void *arg, char **cause) LR_WUR;

/*
 * The same for writers that take a file name (libsmf's smf_save): fill
 * writes the new contents to the file tmp, which exists, empty; a cause
 * it sets is prefixed with path.
 */
int	atomic_write_path(const char *path, int (*fill)(const char *tmp,
	    void *arg, char **cause), void *arg, char **cause) LR_WUR;

#endif
