/*
 * abcfile.c: ABC tunes through abc2midi (see abcfile.h).
 */
#include "abcfile.h"

#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "midifile.h"

extern char **environ;

int
abcfile_is_abc(const char *name)
{
	const char	*dot = strrchr(name, '.');

	return (dot != NULL && strcasecmp(dot, ".abc") == 0);
}

int
abcfile_tunes(const char *path, int **xs, int *n, char **cause)
{
	FILE	*f;
	char	 line[1024], *p, *end;
	long	 x;
	int	 cap = 0, i, lineno = 0, *at = NULL;

	*xs = NULL;
	*n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] != 'X' || line[1] != ':')
			continue;
		p = line + 2;
		while (isspace((unsigned char)*p))
			p++;
		errno = 0;
		x = strtol(p, &end, 10);
		if (end == p || errno != 0 || x < 0 || x > 1000000)
			continue;
		/* abc2midi picks a tune by its number: two tunes with one
		   number would give the other tune than the one asked. */
		for (i = 0; i < *n; i++)
			if ((*xs)[i] == x) {
				fclose(f);
				lr_fail(cause, "%s: X: %ld names two tunes (lines "
				    "%d and %d); number them apart", path, x,
				    at[i], lineno);
				free(*xs);
				free(at);
				*xs = NULL;
				*n = 0;
				return (-1);
			}
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*xs = lr_realloc(*xs, cap * sizeof **xs);
			at = lr_realloc(at, cap * sizeof *at);
		}
		at[*n] = lineno;
		(*xs)[(*n)++] = (int)x;
	}
	free(at);
	fclose(f);
	if (*n == 0) {
		free(*xs);
		*xs = NULL;
		return (lr_fail(cause, "%s: no tune (no X: line)", path));
	}
	return (0);
}

/* Run abc2midi PATH X -o OUT quietly; 0 when it exited 0. */
static int
run_abc2midi(const char *path, int x, const char *out, char **cause)
{
	posix_spawn_file_actions_t	 fa;
	pid_t				 pid;
	char				 xs[16];
	int				 st, rc;
	char *const argv[] = { "abc2midi", (char *)path, xs, "-o",
	    (char *)out, "-NGRA", "-NFER", "-NGUI", "-quiet", "-silent",
	    NULL };

	snprintf(xs, sizeof xs, "%d", x);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "abc2midi", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return (lr_fail(cause, "%s: cannot run abc2midi (%s; "
		    "apt-get install abcmidi)", path, strerror(rc)));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return (lr_fail(cause, "%s: abc2midi: %s", path,
			    strerror(errno)));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return (lr_fail(cause, "%s: tune %d: abc2midi failed", path,
		    x));
	return (0);
}

int
abcfile_load(const char *path, int x, const char *tmpdir,
    struct noteseq *seq, char **cause)
{
	char	*out;
	int	 rc;

	out = lr_path_join(tmpdir, "tune.mid");
	unlink(out);
	if (run_abc2midi(path, x, out, cause) != 0) {
		unlink(out);
		free(out);
		return (-1);
	}
	if (access(out, F_OK) != 0) {
		free(out);
		return (lr_fail(cause, "%s: tune %d: abc2midi wrote no MIDI",
		    path, x));
	}
	rc = midifile_load(out, seq, cause);
	if (rc != 0)
		lr_cause_prefix(cause, "%s: tune %d", path, x);
	unlink(out);
	free(out);
	return (rc);
}
