/*
 * make_clips.c: the two example clips in share/clips, written with our
 * own midifile_save so that they are exactly what latentroll writes.
 *   A: a stepwise folk tune in G major, quarters and eighths, legato,
 *	G4..E5 (a Nottingham-like line the melody models know well).
 *   B: a reel-like line in E minor, running eighths, D4..C5: the relative
 *	minor (same notes as A, another tonal centre) in another rhythm and
 *	contour, so the way from A to B changes audibly and stays in key.
 *	(The first B, a 3+3+2 staccato arpeggio line an octave lower, was
 *	too far from anything in the corpus: the trained mel_2bar rebuilt 23
 *	of its 96 tokens, so slider 1.0 did not sound like B; this B, 94.)
 * Both are 4 bars of 4/4 at 100 qpm: three 2-bar windows each.
 *   A16, B16: the same two grown to 16 bars for the 16-bar model (one
 *	256-step window each), as a folk strain AABA whose B phrase is the
 *	tune a diatonic third higher.
 *
 * make_clips --write DIR	writes DIR/{a,b,a16,b16}.mid
 * make_clips			(as a test) regenerates them and checks the
 *				shipped files are identical and usable
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "midifile.h"
#include "test.h"

#define QPM	100.0

/* pitch, start step, end step */
static const int clip_a[][3] = {
	{ 67, 0, 4 }, { 69, 4, 6 }, { 71, 6, 8 }, { 72, 8, 12 },
	{ 71, 12, 16 },
	{ 69, 16, 18 }, { 67, 18, 20 }, { 69, 20, 22 }, { 71, 22, 24 },
	{ 74, 24, 32 },
	{ 76, 32, 36 }, { 74, 36, 38 }, { 72, 38, 40 }, { 71, 40, 44 },
	{ 69, 44, 48 },
	{ 71, 48, 50 }, { 69, 50, 52 }, { 66, 52, 56 }, { 67, 56, 63 },
};

/* pitch, start step, end step: E minor, eighths, the last bar a half. */
static const int clip_b[][3] = {
	{ 64, 0, 2 }, { 66, 2, 4 }, { 67, 4, 6 }, { 69, 6, 8 },
	{ 71, 8, 10 }, { 69, 10, 12 }, { 67, 12, 14 }, { 66, 14, 16 },
	{ 64, 16, 18 }, { 67, 18, 20 }, { 71, 20, 22 }, { 67, 22, 24 },
	{ 69, 24, 26 }, { 66, 26, 28 }, { 62, 28, 30 }, { 66, 30, 32 },
	{ 64, 32, 34 }, { 69, 34, 36 }, { 69, 36, 38 }, { 71, 38, 40 },
	{ 72, 40, 42 }, { 71, 42, 44 }, { 69, 44, 46 }, { 67, 46, 48 },
	{ 66, 48, 50 }, { 69, 50, 52 }, { 67, 52, 54 }, { 66, 54, 56 },
	{ 64, 56, 64 },
};

static void
note(struct noteseq *s, int pitch, int start, int end, int vel)
{
	struct note	*nt = noteseq_add(s);
	double		 sps = 60.0 / (QPM * NOTESEQ_STEPS_PER_QUARTER);

	nt->pitch = pitch;
	nt->velocity = vel;
	nt->start_step = start;
	nt->end_step = end;
	nt->start_s = start * sps;
	nt->end_s = end * sps;
}

static void
clip_begin(struct noteseq *s, const char *name, int key, int minor, int bars)
{
	noteseq_init(s);
	s->tempos[0].qpm = QPM;
	s->quantized = 1;
	s->steps_per_quarter = NOTESEQ_STEPS_PER_QUARTER;
	s->total_steps = 16 * bars;
	s->total_s = 16 * bars * 60.0 / (QPM * NOTESEQ_STEPS_PER_QUARTER);
	s->n_tracks = 1;
	s->track_names = lr_calloc(1, sizeof *s->track_names);
	s->track_names[0] = lr_strdup(name);
	s->name = lr_strdup(name);
	s->keysigs = lr_calloc(1, sizeof *s->keysigs);
	s->keysigs[0].key = key;
	s->keysigs[0].minor = minor;
	s->n_keysigs = 1;
}

/*
 * Move a G major pitch up `deg` steps of the G major scale.  Pitch classes
 * are counted up from G (G A B = 7 9 11, C D E F# = 12 14 16 18), so a
 * step past F# lands on the G above.
 */
static int
diatonic_up(int pitch, int deg)
{
	static const int	g_major[7] = { 7, 9, 11, 12, 14, 16, 18 };
	int			i, k, pc = pitch % 12;

	for (i = 0; i < 7 && g_major[i] % 12 != pc; i++)
		;
	if (i == 7)		/* not in G major: no such note in A */
		return (pitch);
	k = i + deg;
	return (pitch - g_major[i] + g_major[k % 7] + 12 * (k / 7));
}

/*
 * A tune of 4 bars, or of 16 as A A B A with B = the tune a diatonic third
 * higher (both clips use the notes of G major).
 */
static void
make_tune(struct noteseq *s, const int (*tune)[3], size_t n,
    const char *name, int minor, int bars)
{
	size_t	i;
	int	phrase, p;

	clip_begin(s, name, 1, minor, bars);
	for (phrase = 0; phrase < bars / 4; phrase++)
		for (i = 0; i < n; i++) {
			p = tune[i][0];
			if (phrase == 2)
				p = diatonic_up(p, 2);
			note(s, p, 64 * phrase + tune[i][1],
			    64 * phrase + tune[i][2],
			    i % 4 == 0 ? 96 : 84);	/* a little accent */
		}
	noteseq_sort(s);
}

static int
write_clips(const char *dir, char **cause)
{
	static const char	*names[4] = { "a", "b", "a16", "b16" };
	struct noteseq		 s;
	char			*path;
	int			 rc, k;

	for (k = 0; k < 4; k++) {
		if (k % 2 == 0)
			make_tune(&s, clip_a, sizeof clip_a / sizeof clip_a[0],
			    k < 2 ? "A: G major tune" : "A16: G major tune, "
			    "AABA", 0, k < 2 ? 4 : 16);
		else
			make_tune(&s, clip_b, sizeof clip_b / sizeof clip_b[0],
			    k < 2 ? "B: E minor reel" : "B16: E minor reel, "
			    "AABA", 1, k < 2 ? 4 : 16);
		if (asprintf(&path, "%s/%s.mid", dir, names[k]) == -1)
			return (-1);
		rc = midifile_save(path, &s, 1, cause);
		free(path);
		noteseq_free(&s);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	buf = lr_malloc(1 << 16);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return (buf);
}

/* The shipped clip is what we generate, loads, and gives windows. */
static void
check_clip(const char *name, const char *tmp, int bars)
{
	struct convert_opts	 o;
	struct windows		 w;
	struct noteseq		 s;
	char			*shipped, *fresh, *a, *b, *cause = NULL;
	size_t			 la = 0, lb = 0;

	if (asprintf(&shipped, "%s/share/clips/%s", test_srcdir(), name) ==
	    -1 || asprintf(&fresh, "%s/%s", tmp, name) == -1)
		exit(99);
	a = slurp(shipped, &la);
	b = slurp(fresh, &lb);
	CHECK_MSG(a != NULL && b != NULL && la == lb && la > 0 &&
	    memcmp(a, b, la) == 0, "%s differs from what make_clips writes",
	    shipped);
	free(a);
	free(b);
	CHECK(midifile_load(shipped, &s, &cause) == 0);
	CHECK(s.n >= 16 && s.n_timesigs == 1 && s.timesigs[0].num == 4 &&
	    s.timesigs[0].den == 4 && noteseq_qpm(&s) > 99.9 &&
	    noteseq_qpm(&s) < 100.1);
	/* The tracks end at the clip's end, not at its last note-off. */
	CHECK(convert_quantize(&s, 4, &cause) == 0 &&
	    s.total_steps == 16 * bars);
	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = -1;
	o.channel = -1;
	o.steps = 32;
	windows_init(&w);
	CHECK(convert_windows(&s, &o, &w, &cause) == 0);
	CHECK_MSG(w.n == bars - 1, "%s: %d two-bar windows", name, w.n);
	windows_free(&w);
	o.steps = 256;
	windows_init(&w);
	CHECK(convert_windows(&s, &o, &w, &cause) == 0);
	CHECK_MSG(w.n == (bars == 16), "%s: %d 16-bar windows", name, w.n);
	windows_free(&w);
	noteseq_free(&s);
	free(shipped);
	free(fresh);
	free(cause);
}

int
main(int argc, char **argv)
{
	char	 tmp[] = "/tmp/lr_clips.XXXXXX", *cause = NULL, *cmd;

	midifile_log_init();
	if (argc == 3 && strcmp(argv[1], "--write") == 0) {
		if (write_clips(argv[2], &cause) != 0) {
			fprintf(stderr, "make_clips: %s\n", cause);
			return (1);
		}
		return (0);
	}
	if (mkdtemp(tmp) == NULL)
		return (99);
	CHECK(write_clips(tmp, &cause) == 0);
	check_clip("a.mid", tmp, 4);
	check_clip("b.mid", tmp, 4);
	check_clip("a16.mid", tmp, 16);
	check_clip("b16.mid", tmp, 16);
	if (asprintf(&cmd, "rm -rf '%s'", tmp) != -1) {
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmp);
		free(cmd);
	}
	free(cause);
	return (test_report());
}
