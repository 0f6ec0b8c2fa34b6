/*
 * musicfile.c: open a MIDI or ABC file the same way everywhere.
 */
#include "musicfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abcfile.h"
#include "midifile.h"

/* "FILE.abc#3": the file and the tune; the name unchanged otherwise. */
static char *
split_tune(const char *path, int *tune)
{
	const char	*hash = strrchr(path, '#');
	char		*file, *end;
	long		 x;

	if (hash == NULL || hash == path)
		return (lr_strdup(path));
	x = strtol(hash + 1, &end, 10);
	if (*end != '\0' || end == hash + 1 || x < 1 || x > 1000000)
		return (lr_strdup(path));
	file = lr_strdup(path);
	file[hash - path] = '\0';
	if (!abcfile_is_abc(file)) {
		free(file);
		return (lr_strdup(path));
	}
	*tune = (int)x;
	return (file);
}

/* Tune x (0: the first) of an ABC file, through a folder of our own. */
static int
load_abc(const char *path, int x, struct noteseq *seq, char **cause)
{
	const char	*t = getenv("TMPDIR");
	char		 tmpdir[256];
	int		*xs = NULL, n = 0, i, rc;

	if (abcfile_tunes(path, &xs, &n, cause) != 0)
		return (-1);
	for (i = 0; i < n && x != 0 && xs[i] != x; i++)
		;
	if (x == 0)
		x = xs[0];
	else if (i == n) {
		rc = lr_fail(cause, "%s: no tune X: %d (it has %d tune%s, X: "
		    "%d to %d)", path, x, n, n == 1 ? "" : "s", xs[0],
		    xs[n - 1]);
		free(xs);
		return (rc);
	}
	free(xs);
	snprintf(tmpdir, sizeof tmpdir, "%s/lr-abc.XXXXXX",
	    t != NULL && *t != '\0' && strlen(t) < 200 ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return (lr_fail(cause, "%s: no temporary folder for abc2midi",
		    path));
	rc = abcfile_load(path, x, tmpdir, seq, cause);
	rmdir(tmpdir);
	return (rc);
}

int
musicfile_load(const char *path, int tune, struct noteseq *seq,
    char **cause)
{
	char	*file;
	int	 rc, named = 0;

	file = split_tune(path, &named);
	/* "FILE.abc#X" and --tune Y: one tune, asked twice. */
	if (named != 0 && tune != 0 && named != tune) {
		rc = lr_fail(cause, "%s: names tune %d, and --tune %d another",
		    path, named, tune);
		free(file);
		return (rc);
	}
	if (named != 0)
		tune = named;
	if (abcfile_is_abc(file))
		rc = load_abc(file, tune, seq, cause);
	else if (tune != 0)
		rc = lr_fail(cause, "%s: a tune number is for ABC files",
		    file);
	else
		rc = midifile_load(file, seq, cause);
	free(file);
	return (rc);
}
