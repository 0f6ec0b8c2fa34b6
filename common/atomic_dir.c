/*
 * atomic_dir.c: replace a folder's set of files as one (see atomic.h):
 * the new set is written into a sibling temporary folder, which gets hard
 * links to the folder's other entries and is then exchanged with it in
 * one renameat2.
 */
#include "atomic.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Write a whole buffer to path, a new name in our own temporary folder;
 * fsync'ed so that the renames that follow never publish a file whose
 * data is not on disk.
 */
static int
write_file(const char *path, const void *buf, size_t len, char **cause)
{
	FILE	*f;
	int	 bad;

	if ((f = fopen(path, "wb")) == NULL)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	bad = fwrite(buf, 1, len, f) != len;
	bad |= fflush(f) != 0;
	bad |= fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad) {
		unlink(path);
		return (lr_fail(cause, "%s: write error", path));
	}
	return (0);
}

/* Remove a tree this file made; symbolic links are removed, not followed. */
static void
rm_tree(const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*sub;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = lr_path_join(path, de->d_name);
			rm_tree(sub);
			free(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/*
 * Hard-link every entry of src into dst (which exists), directories as new
 * directories linked recursively; at the top level, not the model's own
 * files (own).  Links share the inode, so a file held open (curve.tsv) keeps
 * being the file in the new directory.
 */
static int
link_tree(const char *src, const char *dst, int (*own)(const char *),
    char **cause)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*a, *b;
	int		 rc = 0;

	if ((d = opendir(src)) == NULL)
		return (lr_fail(cause, "%s: %s", src, strerror(errno)));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (own != NULL && own(de->d_name)))
			continue;
		a = lr_path_join(src, de->d_name);
		b = lr_path_join(dst, de->d_name);
		if (lstat(a, &st) != 0)
			;	/* gone meanwhile */
		else if (S_ISDIR(st.st_mode)) {
			if (mkdir(b, st.st_mode & 07777) != 0)
				rc = lr_fail(cause, "%s: %s", b,
				    strerror(errno));
			else
				rc = link_tree(a, b, NULL, cause);
		} else if (link(a, b) != 0 && errno != ENOENT)
			rc = lr_fail(cause, "%s: %s", b, strerror(errno));
		free(a);
		free(b);
	}
	closedir(d);
	return (rc);
}

/* The parent of dir's first k characters, and (into it) the last name. */
static char *
parent_of(const char *dir, int k, char **base)
{
	char	*parent;

	parent = lr_malloc(k + 3);
	snprintf(parent, k + 3, "%.*s", k, dir);
	if ((*base = strrchr(parent, '/')) != NULL) {
		if (*base == parent) {	/* "/name" */
			memmove(parent + 1, parent, strlen(parent) + 1);
			*base = parent + 2;
			parent[1] = '\0';
		} else
			*(*base)++ = '\0';
	} else {
		memmove(parent + 2, parent, strlen(parent) + 1);
		*base = parent + 2;
		parent[0] = '.';
		parent[1] = '\0';
	}
	return (parent);
}

/*
 * Remove what an interrupted save left beside dir: its temporary
 * directories, named dir.tmpXXXXXX (mkdtemp's six characters).
 */
static void
clean_stale(const char *dir, int k)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*parent, *base, *path;
	size_t		 n;

	parent = parent_of(dir, k, &base);
	n = strlen(base);
	if ((d = opendir(parent)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, base, n) != 0 ||
			    strncmp(de->d_name + n, ".tmp", 4) != 0 ||
			    strlen(de->d_name + n + 4) != 6)
				continue;
			path = lr_path_join(parent, de->d_name);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(path);
			free(path);
		}
		closedir(d);
	}
	free(parent);
}

/* Whether this process's working directory is dir (a real path) or in it. */
static int
cwd_inside(const char *dir)
{
	char	*cwd;
	size_t	 n = strlen(dir);
	int	 in;

	if ((cwd = realpath(".", NULL)) == NULL)
		return (1);	/* removed already: do not make it worse */
	in = strncmp(cwd, dir, n) == 0 && (cwd[n] == '\0' || cwd[n] == '/' ||
	    strcmp(dir, "/") == 0);
	free(cwd);
	return (in);
}

static int
newer(const struct stat *a, const struct stat *b)
{
	return (a->st_mtim.tv_sec != b->st_mtim.tv_sec ?
	    a->st_mtim.tv_sec > b->st_mtim.tv_sec :
	    a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/*
 * After the exchange, old (the previous directory) may hold files that
 * others wrote into dir while the new one was being linked: entries the
 * new directory lacks, or that were replaced there later than the new
 * directory's copy was written, move over.  Then old is removed.
 */
static void
reconcile(const char *old, const char *dir, int (*own)(const char *))
{
	struct dirent	*de;
	struct stat	 so, sn;
	DIR		*d;
	char		*a, *b;

	if ((d = opendir(old)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    own(de->d_name))
				continue;
			a = lr_path_join(old, de->d_name);
			b = lr_path_join(dir, de->d_name);
			if (lstat(a, &so) == 0 && !S_ISDIR(so.st_mode) &&
			    (lstat(b, &sn) != 0 || (sn.st_ino != so.st_ino &&
			    newer(&so, &sn))))
				(void)rename(a, b);
			free(a);
			free(b);
		}
		closedir(d);
	}
	rm_tree(old);
}

/*
 * A new sibling temporary folder dir.tmpXXXXXX (dir's first dlen
 * characters) holding the files, with the mode mkdir would give.
 */
static char *
write_tmpdir(const char *dir, int dlen, const struct atomic_file *files,
    int n, char **cause)
{
	char	*tmpdir, *path;
	size_t	 len = (size_t)dlen + 16;
	mode_t	 mask;
	int	 i, rc;

	tmpdir = lr_malloc(len);
	snprintf(tmpdir, len, "%.*s.tmpXXXXXX", dlen, dir);
	clean_stale(dir, dlen);
	if (mkdtemp(tmpdir) == NULL) {
		/* The user named dir, not the temporary beside it. */
		lr_fail(cause, "%.*s: %s", dlen, dir, strerror(errno));
		free(tmpdir);
		return (NULL);
	}
	/* mkdtemp makes it 0700; a model directory is as mkdir would make. */
	mask = umask(0);
	umask(mask);
	chmod(tmpdir, 0777 & ~mask);
	for (i = 0; i < n; i++) {
		path = lr_path_join(tmpdir, files[i].name);
		rc = write_file(path, files[i].data, files[i].len, cause);
		free(path);
		if (rc != 0) {
			rm_tree(tmpdir);
			free(tmpdir);
			return (NULL);
		}
	}
	return (tmpdir);
}

/*
 * No exchange here (another kernel or file system, a mount point), or our
 * own working directory is in dir (the exchange would leave us in the
 * removed old one, where "./trainstate.bin" goes next): replace the files
 * one by one, in order, the last one last; a kill -9 in between can mix
 * two saves' files.
 */
static int
replace_one_by_one(const char *tmpdir, const char *dir,
    const struct atomic_file *files, int n, char **cause)
{
	char	*src, *dst;
	int	 i, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		src = lr_path_join(tmpdir, files[i].name);
		dst = lr_path_join(dir, files[i].name);
		if ((rc = rename(src, dst)) != 0)
			lr_fail(cause, "%s: %s", dst, strerror(errno));
		free(src);
		free(dst);
	}
	return (rc);
}

/*
 * An existing folder may hold other entries (training state, curve, model
 * card, attribute vectors): the new folder gets hard links to them, then
 * the two are exchanged in one renameat2, so a reader or a kill -9 sees
 * the whole old set or the whole new one.  The old folder, now under the
 * temporary name, is removed (or, after a kill, by the next replace).
 */
static int
exchange(const char *tmpdir, const char *dir, int dlen,
    const struct stat *st, const struct atomic_file *files, int n,
    int (*own)(const char *), char **cause)
{
	char	*base, *parent;

	chmod(tmpdir, st->st_mode & 07777);
	if (cwd_inside(dir))
		return (replace_one_by_one(tmpdir, dir, files, n, cause));
	if (link_tree(dir, tmpdir, own, cause) != 0)
		return (-1);
	(void)atomic_sync_folder(tmpdir);
	if (renameat2(AT_FDCWD, tmpdir, AT_FDCWD, dir, RENAME_EXCHANGE) != 0)
		return (replace_one_by_one(tmpdir, dir, files, n, cause));
	parent = parent_of(dir, dlen, &base);
	(void)atomic_sync_folder(parent);
	free(parent);
	reconcile(tmpdir, dir, own);
	return (0);
}

int
atomic_dir_replace(const char *dir, const struct atomic_file *files, int n,
    int (*own)(const char *), char **cause)
{
	struct stat	 st;
	char		*real, *tmpdir;
	int		 dlen, rc = -1;

	/* An existing directory by its real path: "." or "m/.." has no
	   sibling name. */
	if ((real = realpath(dir, NULL)) != NULL)
		dir = real;
	/* "model/" names the same directory as "model": drop the slashes. */
	dlen = (int)strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if ((tmpdir = write_tmpdir(dir, dlen, files, n, cause)) == NULL)
		goto out;
	if (stat(dir, &st) != 0) {
		if ((rc = rename(tmpdir, dir)) == 0)
			goto out;
		lr_fail(cause, "%s: %s", dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode))
		lr_fail(cause, "%s: exists and is not a directory", dir);
	else
		rc = exchange(tmpdir, dir, dlen, &st, files, n, own, cause);
	rm_tree(tmpdir);
out:
	free(tmpdir);
	free(real);
	return (rc);
}

int
atomic_mkdir_p(const char *dir, char **made, char **cause)
{
	struct stat	 st;
	char		*p = lr_strdup(dir), *s, c;
	int		 rc = 0;

	if (made != NULL)
		*made = NULL;
	/* Each prefix at a slash, then the whole. */
	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0777) == 0) {
			if (made != NULL && *made == NULL)
				*made = lr_strdup(p);
		} else if (errno != EEXIST)
			rc = lr_fail(cause, "%s: %s", p, strerror(errno));
		if (rc == 0 && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)))
			rc = lr_fail(cause, "%s: not a directory", p);
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (rc != 0 && made != NULL && *made != NULL) {
		rm_tree(*made);
		free(*made);
		*made = NULL;
	}
	return (rc);
}

void
atomic_dir_remove(const char *dir)
{
	rm_tree(dir);
}
