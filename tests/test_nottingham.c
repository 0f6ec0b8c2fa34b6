/*
 * test_nottingham.c: every file of the Nottingham corpus loads, and the
 * melody windows we would train on are counted.  The counts are printed
 * (the team records them) and checked for plausibility: most tunes are in
 * 4/4 or 2/4-free reels, jigs (6/8) and waltzes (3/4) give none.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "midifile.h"
#include "test.h"

static long	distinct[2];

/* Windows of a file; distinct ones (per file, as Magenta's set) too. */
static int
windows_count(const struct noteseq *s, int steps, int *n, char **why)
{
	struct convert_opts	o;
	struct windows		w;
	char			*cause = NULL;
	int			 rc, i, j, dup;

	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = -1;
	o.channel = -1;
	o.steps = steps;
	windows_init(&w);
	rc = convert_windows(s, &o, &w, &cause);
	*n = w.n;
	for (i = 0; i < w.n; i++) {
		for (j = 0, dup = 0; j < i && !dup; j++)
			dup = memcmp(w.tokens + (size_t)i * steps,
			    w.tokens + (size_t)j * steps,
			    steps * sizeof *w.tokens) == 0;
		distinct[steps == 32 ? 0 : 1] += !dup;
	}
	if (why != NULL && w.n == 0 && w.why != NULL) {
		free(*why);
		*why = strdup(w.why);
	}
	windows_free(&w);
	free(cause);
	return (rc);
}

int
main(void)
{
	const char	*shared = test_shared_dir();
	char		*dir, *path, *cause = NULL, *why = NULL;
	DIR		*d;
	struct dirent	*de;
	struct noteseq	 s;
	int		 files = 0, loaded = 0, f2 = 0, f16 = 0, n2, n16;
	int		 wrong_meter = 0, errors = 0;
	long		 w2 = 0, w16 = 0, notes = 0;

	if (shared == NULL) {
		printf("SKIP: SHARED_DIR is not set (the corpus lives in "
		    "../shared/data/nottingham)\n");
		return (77);
	}
	if (asprintf(&dir, "%s/data/nottingham", shared) == -1)
		return (99);
	if ((d = opendir(dir)) == NULL) {
		printf("SKIP: %s: cannot open\n", dir);
		free(dir);
		return (77);
	}
	midifile_log_init();
	while ((de = readdir(d)) != NULL) {
		size_t	len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".mid") != 0)
			continue;
		files++;
		if (asprintf(&path, "%s/%s", dir, de->d_name) == -1)
			return (99);
		if (midifile_load(path, &s, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			free(path);
			continue;
		}
		loaded++;
		notes += (long)s.n;
		if (windows_count(&s, 32, &n2, &why) != 0 ||
		    windows_count(&s, 256, &n16, NULL) != 0)
			errors++;
		if (n2 == 0 && why != NULL && strstr(why, "wrong meter"))
			wrong_meter++;
		f2 += n2 > 0;
		f16 += n16 > 0;
		w2 += n2;
		w16 += n16;
		noteseq_free(&s);
		free(path);
	}
	closedir(d);
	printf("nottingham: %d files, %d load, %ld notes\n", files, loaded,
	    notes);
	printf("  2-bar windows: %d files, %ld windows (%ld distinct per "
	    "file)\n", f2, w2, distinct[0]);
	printf(" 16-bar windows: %d files, %ld windows (%ld distinct per "
	    "file)\n", f16, w16, distinct[1]);
	printf("  no 2-bar window for a wrong meter: %d files\n", wrong_meter);
	CHECK(files >= 1000);
	CHECK(loaded == files);
	CHECK(errors == 0);
	/* Plausible: the reels and hornpipes (about half) are in 4/4. */
	CHECK(f2 > files / 3 && f2 < files);
	CHECK(f16 > 0 && f16 <= f2);
	CHECK(w2 > 10L * f2 && w16 < w2);
	CHECK(distinct[0] > 0 && distinct[0] <= w2 && distinct[1] <= w16);
	CHECK(wrong_meter > 0 && wrong_meter + f2 <= files);
	free(dir);
	free(why);
	free(cause);
	return (test_report());
}
