/*
 * where.c: where latentroll finds its data and models, whatever was built
 * or installed where.
 *
 * Shipped data (models, clips) is looked up at run time, not fixed at
 * compile time: --data-dir, $LATENTROLL_DATA, the share/ of the tree an
 * uninstalled binary was built in, the installed pkgdatadir found from
 * the binary's own folder (so `make install DESTDIR=...` and a moved
 * prefix work), and the configured pkgdatadir last.  The configured
 * folders come from paths.c, which the Makefile rewrites only when they
 * change, so a new --prefix rebuilds what depends on it.
 *
 * A model is named by a path or by a name: the user's model folder
 * ($XDG_DATA_HOME/latentroll/models, where `import` copies to) first,
 * then the shipped models.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "cmds.h"

extern const char lr_conf_bindir[], lr_conf_pkgdatadir[], lr_conf_srcdir[];

static const char *datadir_override;

void
cmd_set_datadir(const char *dir)
{
	datadir_override = dir;
}

static int
is_dir(const char *path)
{
	struct stat	sb;

	return (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
}

/* The folder of the running binary, or "" when /proc does not say. */
static const char *
exe_dir(void)
{
	static char	 dir[PATH_MAX];
	static int	 done;
	char		*slash;
	ssize_t		 n;

	if (done)
		return (dir);
	done = 1;
	if ((n = readlink("/proc/self/exe", dir, sizeof dir - 1)) <= 0) {
		dir[0] = '\0';
		return (dir);
	}
	dir[n] = '\0';
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	return (dir);
}

/*
 * pkgdatadir relative to bindir, component by component ("../share/
 * latentroll" for the usual prefix layout), into buf; -1 when the two
 * share no root.
 */
static int
relative_datadir(char *buf, size_t len)
{
	const char	*b = lr_conf_bindir, *d = lr_conf_pkgdatadir;
	size_t		 i = 0, common = 0, n = 0;

	if (b[0] != '/' || d[0] != '/')
		return (-1);
	for (i = 0; b[i] != '\0' && b[i] == d[i]; i++)
		if (b[i] == '/')
			common = i;
	if (b[i] == '\0' && (d[i] == '/' || d[i] == '\0'))
		common = i;
	buf[0] = '\0';
	for (i = common; b[i] != '\0'; i++)
		if (b[i] == '/' && b[i + 1] != '\0')
			n += snprintf(buf + n, len > n ? len - n : 0, "../");
	snprintf(buf + n, len > n ? len - n : 0, "%s", d[common] == '/' ?
	    d + common + 1 : d + common);
	return (0);
}

const char *
cmd_datadir(void)
{
	static char	 found[PATH_MAX];
	const char	*env, *exe = exe_dir();
	char		 rel[PATH_MAX];

	if (datadir_override != NULL)
		return (datadir_override);
	if ((env = getenv("LATENTROLL_DATA")) != NULL && *env != '\0')
		return (env);
	if (*exe != '\0') {
		/* Uninstalled, built in the tree: its share/. */
		snprintf(found, sizeof found, "%s/share/models", exe);
		if (is_dir(found)) {
			snprintf(found, sizeof found, "%s/share", exe);
			return (found);
		}
		/* Uninstalled, built beside the tree (VPATH). */
		snprintf(found, sizeof found, "%s/config.status", exe);
		if (access(found, F_OK) == 0) {
			snprintf(found, sizeof found, "%s/share/models",
			    lr_conf_srcdir);
			if (is_dir(found)) {
				snprintf(found, sizeof found, "%s/share",
				    lr_conf_srcdir);
				return (found);
			}
		}
		/* Installed: pkgdatadir where it is from bindir. */
		if (relative_datadir(rel, sizeof rel) == 0) {
			snprintf(found, sizeof found, "%s/%s/models", exe, rel);
			if (is_dir(found)) {
				snprintf(found, sizeof found, "%s/%s", exe,
				    rel);
				return (found);
			}
		}
	}
	return (lr_conf_pkgdatadir);
}

/* $XDG_DATA_HOME/latentroll/models, or ~/.local/share/latentroll/models. */
char *
cmd_user_models(void)
{
	const char	*xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char		*p;

	if (xdg != NULL && xdg[0] == '/')
		return (lr_path_join(xdg, "latentroll/models"));
	if (asprintf(&p, "%s/.local/share/latentroll/models",
	    home != NULL && *home != '\0' ? home : ".") == -1)
		return (NULL);
	return (p);
}

/*
 * The folder of model name: a path as given (anything with a slash, or a
 * folder that exists here), else the user's models, else the shipped
 * ones; NULL for the shipped 2-bar model.  NULL back with a cause that
 * says where it looked.
 */
static char *
model_dir(const char *name, char **cause)
{
	char	*user, *p, *shipped;

	if (name == NULL) {
		shipped = lr_path_join(cmd_datadir(), "models");
		p = lr_path_join(shipped, "mel_2bar");
		free(shipped);
		return (p);
	}
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || is_dir(name))
		return (lr_strdup(name));
	if (*name == '\0') {
		lr_fail(cause, "--model: empty name");
		return (NULL);
	}
	if ((user = cmd_user_models()) != NULL) {
		p = lr_path_join(user, name);
		if (is_dir(p)) {
			free(user);
			return (p);
		}
		free(p);
	}
	shipped = lr_path_join(cmd_datadir(), "models");
	p = lr_path_join(shipped, name);
	if (is_dir(p)) {
		free(user);
		free(shipped);
		return (p);
	}
	free(p);
	lr_fail(cause, "%s: no such model (looked in %s and %s; a folder is "
	    "named with a path, the shipped data with --data-dir DIR)", name,
	    user != NULL ? user : "(no home folder)", shipped);
	free(user);
	free(shipped);
	return (NULL);
}

/*
 * model_dir() for a command's option: the string lives as long as the
 * process (a command resolves one or two models), kept here.
 */
const char *
cmd_model_path(const char *name, char **cause)
{
	static char	*kept[8];
	static int	 n;
	char		*p;

	if ((p = model_dir(name, cause)) == NULL)
		return (NULL);
	if (n == (int)(sizeof kept / sizeof kept[0])) {
		free(kept[0]);
		memmove(kept, kept + 1, --n * sizeof kept[0]);
	}
	kept[n++] = p;
	return (p);
}
