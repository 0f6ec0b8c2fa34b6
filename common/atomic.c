/*
 * atomic.c: replace a file whole or not at all (see atomic.h).
 */
#include "atomic.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
atomic_sync_folder(const char *dir)
{
	int	fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return (-1);
	/* Some file systems cannot sync a directory: not an error. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = -1;
	close(fd);
	return (rc);
}

/* fsync the directory holding path, so a rename into it lasts. */
static int
sync_dir(const char *path)
{
	char	*copy = lr_strdup(path);
	int	 rc;

	rc = atomic_sync_folder(dirname(copy));
	free(copy);
	return (rc);
}

/* A new empty temporary file beside path: its fd, name in *tmp. */
static int
make_tmp(const char *path, char **tmp, char **cause)
{
	mode_t		 mask;
	int		 fd;

	const char	*slash = strrchr(path, '/');
	int		 rc;

	/* Hidden (".NAME.XXXXXX"), so no folder scan takes it for a file. */
	if (slash != NULL)
		rc = asprintf(tmp, "%.*s.%s.XXXXXX", (int)(slash - path + 1),
		    path, slash + 1);
	else
		rc = asprintf(tmp, ".%s.XXXXXX", path);
	if (rc == -1) {
		*tmp = NULL;
		return (lr_fail(cause, "%s: out of memory", path));
	}
	if ((fd = mkstemp(*tmp)) == -1) {
		lr_fail(cause, "%s: %s", path, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return (-1);
	}
	/* mkstemp made it 0600: the mode a plain create would give. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		lr_fail(cause, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return (-1);
	}
	return (fd);
}

/* fsync tmp's data, rename it over path, sync the directory. */
static int
commit(const char *tmp, const char *path, char **cause)
{
	int	fd, rc;

	if ((fd = open(tmp, O_RDONLY)) < 0)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	rc = fsync(fd);
	close(fd);
	if (rc != 0 || rename(tmp, path) != 0)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	if (sync_dir(path) != 0)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	return (0);
}

int
atomic_write(const char *path, int (*fill)(FILE *, void *, char **),
    void *arg, char **cause)
{
	FILE	*f;
	char	*tmp;
	int	 fd, ok;

	if ((fd = make_tmp(path, &tmp, cause)) < 0)
		return (-1);
	if ((f = fdopen(fd, "w")) == NULL) {
		lr_fail(cause, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	errno = 0;
	ok = fill(f, arg, cause) == 0;
	if (ok && (fflush(f) != 0 || ferror(f)))
		ok = lr_fail(cause, "%s: %s", path, strerror(errno)) == 0;
	else if (!ok && (cause == NULL || *cause == NULL))
		lr_fail(cause, "%s: %s", path, errno != 0 ? strerror(errno) :
		    "write failed");
	if (fclose(f) != 0 && ok)
		ok = lr_fail(cause, "%s: %s", path, strerror(errno)) == 0;
	if (!ok || commit(tmp, path, cause) != 0)
		goto fail;
	free(tmp);
	return (0);
fail:
	unlink(tmp);
	free(tmp);
	return (-1);
}

int
atomic_write_path(const char *path, int (*fill)(const char *, void *,
    char **), void *arg, char **cause)
{
	char	*tmp;
	int	 fd;

	if ((fd = make_tmp(path, &tmp, cause)) < 0)
		return (-1);
	close(fd);
	if (fill(tmp, arg, cause) != 0) {
		if (cause != NULL && *cause == NULL)
			lr_fail(cause, "%s: write failed", path);
		else
			lr_cause_prefix(cause, "%s", path);
		goto fail;
	}
	if (commit(tmp, path, cause) != 0)
		goto fail;
	free(tmp);
	return (0);
fail:
	unlink(tmp);
	free(tmp);
	return (-1);
}
