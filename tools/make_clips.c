/*
 * make_clips.c: the two example clips in share/clips, written with our
 * own midifile_save so that they are exactly what latentroll writes.
 *   A: a stepwise folk tune in G major, quarters and eighths, legato,
 *	G4..E5 (a Nottingham-like line the melody models know well).
 *   B: a syncopated arpeggio line in E minor (3+3+2 sixteenths), short
 *	notes with rests, an octave and more below A: different in rhythm,
 *	register and articulation, so interpolating A to B moves audibly.
 * Both are 4 bars of 4/4 at 100 qpm: three 2-bar windows each.
 *   A16, B16: the same two, grown to 16 bars for the 16-bar model (one
 *	256-step window each): A as a folk tune's AABA strain (the B phrase
 *	is A a diatonic third higher), B as four rounds of its progression.
 *
 * make_clips --write DIR	writes DIR/{a,b,a16,b16}.mid
 * make_clips			(as a test) regenerates them and checks the
 *				shipped files are identical and usable
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/convert.h"
#include "src/midifile.h"
#include "tests/test.h"

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

/* Onsets 0 3 6 8 11 14 in every bar: the 3+3+2 pattern twice. */
static const int arp_on[6] = { 0, 3, 6, 8, 11, 14 };
static const int arp_pitch[4][6] = {
	{ 52, 55, 59, 64, 59, 55 },	/* E minor */
	{ 48, 52, 55, 60, 55, 52 },	/* C major */
	{ 45, 48, 52, 57, 52, 48 },	/* A minor */
	{ 47, 51, 54, 57, 54, 51 },	/* B7 */
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

/* A: 4 bars, or 16 as A A B A with B = A a diatonic third higher. */
static void
make_a(struct noteseq *s, int bars)
{
	size_t	i;
	int	phrase, p;

	clip_begin(s, bars == 4 ? "A: G major tune" : "A16: G major tune, "
	    "AABA", 1, 0, bars);
	for (phrase = 0; phrase < bars / 4; phrase++)
		for (i = 0; i < sizeof clip_a / sizeof clip_a[0]; i++) {
			p = clip_a[i][0];
			if (phrase == 2)
				p = diatonic_up(p, 2);
			note(s, p, 64 * phrase + clip_a[i][1],
			    64 * phrase + clip_a[i][2],
			    i % 4 == 0 ? 96 : 84);	/* a little accent */
		}
	noteseq_sort(s);
}

/* B: the 4-chord arpeggio round, once or four times. */
static void
make_b(struct noteseq *s, int bars)
{
	int	bar, i, start, last = bars - 1;

	clip_begin(s, bars == 4 ? "B: E minor arpeggios" : "B16: E minor "
	    "arpeggios", 1, 1, bars);
	for (bar = 0; bar < bars; bar++)
		for (i = 0; i < 6; i++) {
			/* The last bar ends on its fourth note. */
			if (bar == last && i > 3)
				break;
			start = bar * 16 + arp_on[i];
			note(s, arp_pitch[bar % 4][i], start, start +
			    (bar == last && i == 3 ? 8 : 2),
			    i == 0 ? 100 : 80);
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
			make_a(&s, k < 2 ? 4 : 16);
		else
			make_b(&s, k < 2 ? 4 : 16);
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
