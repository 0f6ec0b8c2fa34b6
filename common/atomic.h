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

/* fsync folder dir, so the entries renamed into it last; 0, or -1 (a
   file system that cannot sync a folder is not an error). */
int	atomic_sync_folder(const char *dir);

/* One file of a set that atomic_dir_replace publishes. */
struct atomic_file {
	const char	*name;
	const void	*data;
	size_t		 len;
};

/*
 * Replace the set of files in folder dir (created if missing) as one:
 * they are written and fsync'ed into a sibling dir.tmpXXXXXX; if dir
 * exists, that gets hard links to dir's other entries (those own() does
 * not claim: an older set's files are dropped, everything else stays by
 * the same path) and the two folders are exchanged in one
 * renameat2(RENAME_EXCHANGE), so a crash or a reader sees either the old
 * set or the new one, never parts of two (another process whose working
 * directory is dir is left in the removed old one).  A file system
 * without the exchange, or a dir holding our own working directory, falls
 * back to renaming file by file in the order given, so put the file that
 * commits the set last.  Temporary folders an interrupted replace left
 * are removed by the next one.
 */
int	atomic_dir_replace(const char *dir, const struct atomic_file *files,
	    int n, int (*own)(const char *name), char **cause) LR_WUR;

/*
 * Make folder dir and its missing parents (mkdir -p); -1 with a cause
 * naming the one that could not be made (and nothing made left).  made
 * (or NULL) gets the first folder it made, to remove again with
 * atomic_dir_remove, or NULL when dir was there.
 */
int	atomic_mkdir_p(const char *dir, char **made, char **cause) LR_WUR;
/* Remove a folder this process made, with what is in it (symbolic
   links are removed, not followed). */
void	atomic_dir_remove(const char *dir);

#endif
