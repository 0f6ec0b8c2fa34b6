/*
 * test_atomic: common/atomic.c, the one file writer.  A new file and a
 * replaced one hold exactly what fill wrote, with the umask's mode; a
 * fill that fails, or a folder that is not there, leaves the old file as
 * it was and no temporary file behind, with a cause naming the target;
 * the by-name variant likewise.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "test.h"

static int
fill_text(FILE *f, void *arg, char **cause)
{
	(void)cause;
	return (fputs(arg, f) < 0 ? -1 : 0);
}

static int
fill_fail(FILE *f, void *arg, char **cause)
{
	(void)arg;
	fputs("half", f);
	lr_fail(cause, "planted failure");
	return (-1);
}

static int
fill_name(const char *tmp, void *arg, char **cause)
{
	FILE	*f;

	(void)cause;
	if ((f = fopen(tmp, "w")) == NULL)
		return (-1);
	fputs(arg, f);
	return (fclose(f) == 0 ? 0 : -1);
}

/* The file's contents (static buffer), or "" when absent. */
static const char *
slurp(const char *path)
{
	static char	 buf[256];
	FILE		*f;
	size_t		 n = 0;

	buf[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return (buf);
}

/* Entries in dir besides "." and "..". */
static int
entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return (n);
}

int
main(void)
{
	char		 dir[] = "/tmp/test_atomic.XXXXXX", path[256], bad[300];
	char		*cause = NULL;
	struct stat	 sb;
	mode_t		 old;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (99);
	}
	snprintf(path, sizeof path, "%s/file.txt", dir);
	old = umask(022);
	CHECK(atomic_write(path, fill_text, "one\n", &cause) == 0);
	CHECK(strcmp(slurp(path), "one\n") == 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644);
	CHECK(atomic_write(path, fill_text, "two\n", &cause) == 0);
	CHECK(strcmp(slurp(path), "two\n") == 0);
	umask(077);
	CHECK(atomic_write(path, fill_text, "three\n", &cause) == 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	umask(old);
	CHECK(entries(dir) == 1);

	/* A failing fill: old contents kept, no temporary left. */
	CHECK(atomic_write(path, fill_fail, NULL, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "planted failure") != NULL);
	CHECK(strcmp(slurp(path), "three\n") == 0);
	CHECK(entries(dir) == 1);
	free(cause);
	cause = NULL;

	/* No such folder: a cause naming the target. */
	snprintf(bad, sizeof bad, "%s/none/file.txt", dir);
	CHECK(atomic_write(bad, fill_text, "x", &cause) == -1);
	CHECK(cause != NULL && strncmp(cause, bad, strlen(bad)) == 0);
	free(cause);
	cause = NULL;

	/* By name. */
	CHECK(atomic_write_path(path, fill_name, "four\n", &cause) == 0);
	CHECK(strcmp(slurp(path), "four\n") == 0);
	CHECK(entries(dir) == 1);

	unlink(path);
	rmdir(dir);
	return (test_report());
}
