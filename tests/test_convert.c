/*
 * test_convert.c: quantization, melody/drums/trio extraction and the
 * way back, against spec B 1.1-1.4 and the reference input of spec 8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "test.h"

#define SPS	0.125	/* seconds per step at 120 qpm, 4 per quarter */

/* A note given in steps (seconds follow at 120 qpm). */
static void
add(struct noteseq *s, int pitch, int start, int end, int track)
{
	struct note	*nt = noteseq_add(s);

	nt->pitch = pitch;
	nt->velocity = 90;
	nt->track = track;
	nt->start_s = start * SPS;
	nt->end_s = end * SPS;
	if (s->n_tracks <= track)
		s->n_tracks = track + 1;
	if (nt->end_s > s->total_s)
		s->total_s = nt->end_s;
}

static int
windows_of(const struct noteseq *s, enum convert_kind kind, int track,
    int steps, struct windows *w)
{
	struct convert_opts	o;
	char			*cause = NULL;
	int			 rc;

	memset(&o, 0, sizeof o);
	o.kind = kind;
	o.track = track;
	o.channel = -1;
	o.steps = steps;
	windows_init(w);
	rc = convert_windows(s, &o, w, &cause);
	free(cause);
	return (rc);
}

static void
test_reference(void)
{
	static const int notes[][3] = { { 69, 0, 2 }, { 71, 2, 4 },
	    { 73, 4, 6 }, { 74, 6, 8 }, { 76, 8, 10 }, { 81, 12, 16 },
	    { 78, 16, 20 }, { 81, 20, 24 }, { 76, 24, 32 } };
	static const int want[32] = { 50, 0, 52, 0, 54, 0, 55, 0, 57, 0, 1,
	    0, 62, 0, 0, 0, 59, 0, 0, 0, 62, 0, 0, 0, 57, 0, 0, 0, 0, 0, 0,
	    0 };
	struct noteseq	s;
	struct windows	w;
	size_t		i;

	noteseq_init(&s);
	for (i = 0; i < sizeof notes / sizeof notes[0]; i++)
		add(&s, notes[i][0], notes[i][1], notes[i][2], 0);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 1 && w.S == 1 && w.steps == 32);
	if (w.n == 1) {
		CHECK(memcmp(w.tokens, want, sizeof want) == 0);
		CHECK(w.start_step[0] == 0);
	}
	windows_free(&w);
	noteseq_free(&s);
}

static void
test_quantize(void)
{
	struct noteseq	s;
	char		*cause = NULL;

	noteseq_init(&s);
	/* 8 steps per second: 0.0624 s -> 0.4992 -> 0; 0.0625 -> 1. */
	add(&s, 60, 0, 1, 0);
	s.notes[0].start_s = 0.0624;
	s.notes[0].end_s = 0.0625;
	add(&s, 62, 0, 1, 0);
	s.notes[1].start_s = 0.1;	/* 0.8 -> 1 */
	s.notes[1].end_s = 0.11;	/* 0.88 -> 1 -> end = start + 1 */
	add(&s, 64, 0, 1, 0);
	s.notes[2].start_s = 0.3124;	/* 2.4992 -> 2 */
	s.notes[2].end_s = 0.3125;	/* 2.5 -> 3 */
	CHECK(convert_quantize(&s, 4, &cause) == 0);
	CHECK(s.quantized == 1);
	/* Sorted by start: 60 (0), 62 (1), 64 (2). */
	CHECK(s.notes[0].pitch == 60 && s.notes[0].start_step == 0 &&
	    s.notes[0].end_step == 1);
	CHECK(s.notes[1].pitch == 62 && s.notes[1].start_step == 1 &&
	    s.notes[1].end_step == 2);
	CHECK(s.notes[2].pitch == 64 && s.notes[2].start_step == 2 &&
	    s.notes[2].end_step == 3);
	CHECK(convert_quantize(&s, 0, &cause) == -1 && cause != NULL);
	noteseq_free(&s);

	/* A tempo change: 120 qpm to 1 s (8 steps), then 60 qpm. */
	noteseq_init(&s);
	s.tempos = realloc(s.tempos, 2 * sizeof *s.tempos);
	s.tempos[1].time_s = 1.0;
	s.tempos[1].tick = -1;
	s.tempos[1].qpm = 60.0;
	s.n_tempos = 2;
	add(&s, 60, 0, 1, 0);
	s.notes[0].start_s = 2.0;	/* 8 + 4 */
	s.notes[0].end_s = 2.5;		/* 8 + 6 */
	CHECK(convert_quantize(&s, 4, &cause) == 0);
	CHECK(s.notes[0].start_step == 12 && s.notes[0].end_step == 14);
	noteseq_free(&s);
	free(cause);
}

/* Tokens of a melody made of notes (pitch, start, end) in 32 steps. */
static void
melody_tokens(const int (*nv)[3], int n, int *out)
{
	struct noteseq	s;
	struct windows	w;
	int		i;

	noteseq_init(&s);
	for (i = 0; i < n; i++)
		add(&s, nv[i][0], nv[i][1], nv[i][2], 0);
	memset(out, -1, 32 * sizeof *out);
	if (windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0 && w.n >= 1)
		memcpy(out, w.tokens, 32 * sizeof *out);
	windows_free(&w);
	noteseq_free(&s);
}

static void
test_melody_rules(void)
{
	int	t[32];

	/* Held vs rest: 60 for 4 steps then a rest, vs held to 8. */
	melody_tokens((const int[][3]){ { 60, 0, 4 }, { 62, 8, 32 } }, 2, t);
	CHECK(t[0] == 41 && t[1] == 0 && t[3] == 0 && t[4] == MEL_NOTE_OFF &&
	    t[5] == 0 && t[8] == 43);
	melody_tokens((const int[][3]){ { 60, 0, 8 }, { 62, 8, 32 } }, 2, t);
	CHECK(t[0] == 41 && t[4] == 0 && t[7] == 0 && t[8] == 43);
	/* Legato: no NOTE_OFF between touching notes. */
	melody_tokens((const int[][3]){ { 60, 0, 3 }, { 64, 4, 32 } }, 2, t);
	CHECK(t[3] == MEL_NOTE_OFF && t[4] == 45);
	/* Highest pitch wins on a shared onset. */
	melody_tokens((const int[][3]){ { 60, 0, 8 }, { 67, 0, 8 },
	    { 64, 0, 8 }, { 62, 8, 32 } }, 4, t);
	CHECK(t[0] == 67 - 19 && t[8] == 43);
	/* An overlapping later note cuts the earlier one. */
	melody_tokens((const int[][3]){ { 60, 0, 16 }, { 62, 4, 6 },
	    { 64, 16, 32 } }, 3, t);
	CHECK(t[0] == 41 && t[4] == 43 && t[6] == MEL_NOTE_OFF &&
	    t[16] == 45);
	/* Out of range pitches are removed before extraction. */
	melody_tokens((const int[][3]){ { 110, 0, 4 }, { 60, 0, 32 },
	    { 20, 4, 8 } }, 3, t);
	CHECK(t[0] == 41 && t[4] == 0);
	melody_tokens((const int[][3]){ { 21, 0, 16 }, { 108, 16, 32 } }, 2,
	    t);
	CHECK(t[0] == 2 && t[16] == 89);
	/* The last note of a window sustains: no NOTE_OFF at the end. */
	melody_tokens((const int[][3]){ { 60, 0, 31 } }, 1, t);
	CHECK(t[0] == 41 && t[30] == 0 && t[31] == MEL_NOTE_OFF);
	/* Leading rest: the melody starts at the bar of its first note. */
	melody_tokens((const int[][3]){ { 60, 20, 40 }, { 62, 40, 64 } }, 2,
	    t);
	CHECK(t[0] == 0 && t[3] == 0 && t[4] == 41);
}

static void
test_reasons(void)
{
	struct noteseq	s;
	struct windows	w;
	struct convert_opts o;
	char		*cause = NULL;

	/* Only out-of-range notes. */
	noteseq_init(&s);
	add(&s, 10, 0, 32, 0);
	add(&s, 120, 0, 32, 0);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 0 && w.why != NULL && strstr(w.why, "21..108"));
	windows_free(&w);
	noteseq_free(&s);

	/* Wrong meter. */
	noteseq_init(&s);
	s.timesigs[0].num = 3;
	add(&s, 60, 0, 64, 0);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 0 && w.why != NULL && strstr(w.why, "wrong meter") &&
	    strstr(w.why, "12 steps"));
	windows_free(&w);
	s.timesigs[0].num = 2;
	s.timesigs[0].den = 2;		/* 2/2: 16 steps per bar */
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0 && w.n == 3);
	windows_free(&w);
	/* 2/4: 8 steps per bar, refused unless two_four pairs the bars
	   (then as 4/4: 64 steps give windows at 0, 16 and 32). */
	s.timesigs[0].den = 4;
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 0 && w.why != NULL && strstr(w.why, "8 steps"));
	windows_free(&w);
	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = -1;
	o.channel = -1;
	o.steps = 32;
	o.two_four = 1;
	windows_init(&w);
	CHECK(convert_windows(&s, &o, &w, &cause) == 0 && w.n == 3 &&
	    w.start_step[1] == 16);
	windows_free(&w);
	/* Drums keep Magenta's meters: two_four is for melodies. */
	s.notes[0].drum = 1;
	s.notes[0].channel = NOTESEQ_DRUM_CHANNEL;
	o.kind = CONVERT_DRUMS;
	windows_init(&w);
	CHECK(convert_windows(&s, &o, &w, &cause) == 0 && w.n == 0);
	windows_free(&w);
	noteseq_free(&s);

	/* A gap of two bars splits the melody into one-bar pieces. */
	noteseq_init(&s);
	add(&s, 60, 0, 8, 0);
	add(&s, 62, 48, 56, 0);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 0 && w.n_refused == 2 && w.why != NULL &&
	    strstr(w.why, "too short") && strstr(w.why, "2 pieces"));
	windows_free(&w);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 16, &w) == 0);
	CHECK(w.n == 2 && w.start_step[0] == 0 && w.start_step[1] == 48);
	windows_free(&w);
	/* A gap of just under a bar of silence does not split. */
	s.notes[1].start_s = (8 + 15) * SPS;
	s.notes[1].end_s = (8 + 24) * SPS;
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0 && w.n == 1);
	windows_free(&w);
	noteseq_free(&s);

	/* Bad options are hard errors. */
	noteseq_init(&s);
	memset(&o, 0, sizeof o);
	o.track = -1;
	o.channel = -1;
	o.steps = 30;
	windows_init(&w);
	CHECK(convert_windows(&s, &o, &w, &cause) == -1 && cause != NULL);
	o.steps = 32;
	o.track = 5;
	s.n_tracks = 2;
	CHECK(convert_windows(&s, &o, &w, &cause) == -1);
	o.track = -1;
	CHECK(convert_windows(&s, &o, &w, &cause) == 0 && w.n == 0 &&
	    w.why != NULL);
	windows_free(&w);
	noteseq_free(&s);
	free(cause);
}

/* The tune (many onsets) beats the chords (more notes, fewer onsets). */
static void
test_track_choice(void)
{
	struct noteseq	s;
	struct windows	w;
	int		i;

	noteseq_init(&s);
	for (i = 0; i < 8; i++)
		add(&s, 72 + (i % 3), i * 4, i * 4 + 4, 0);
	for (i = 0; i < 2; i++) {
		add(&s, 48, i * 16, i * 16 + 16, 1);
		add(&s, 52, i * 16, i * 16 + 16, 1);
		add(&s, 55, i * 16, i * 16 + 16, 1);
	}
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 1 && w.track == 0 && w.tokens[0] == 72 - 19);
	windows_free(&w);
	CHECK(windows_of(&s, CONVERT_MELODY, 1, 32, &w) == 0);
	CHECK(w.n == 1 && w.track == 1 && w.tokens[0] == 55 - 19);
	windows_free(&w);
	noteseq_free(&s);
}

static int
windows_ch(const struct noteseq *s, int track, int channel, int steps,
    struct windows *w, char **cause)
{
	struct convert_opts	o;

	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = track;
	o.channel = channel;
	o.steps = steps;
	windows_init(w);
	return (convert_windows(s, &o, w, cause));
}

/*
 * Format 0: one track, a tune on channel 1 (every other step) and a bass
 * on channel 2 (higher at times, in the tune's rests).  Each (track,
 * channel) is a part: the tune by default, the bass when asked, never
 * the two woven together.
 */
static void
test_channel_parts(void)
{
	struct noteseq		 s;
	struct windows		 w;
	struct convert_part	*v;
	char			*cause = NULL;
	int			 i, t, best, n, tune_only, bass_only;

	noteseq_init(&s);
	for (i = 0; i < 16; i++)
		add(&s, 60 + i % 5, i * 2, i * 2 + 1, 0);
	for (i = 0; i < 8; i++) {
		add(&s, 76 + i % 3, i * 4 + 1, i * 4 + 2, 0);
		s.notes[s.n - 1].channel = 1;
		s.notes[s.n - 1].program = 33;
	}
	/* A drum on channel 10 with more onsets than either. */
	for (i = 0; i < 32; i++) {
		add(&s, 42, i, i + 1, 0);
		s.notes[s.n - 1].channel = NOTESEQ_DRUM_CHANNEL;
		s.notes[s.n - 1].drum = 1;
	}
	n = convert_parts(&s, &v, &best);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(v[0].track == 0 && v[0].channel == 0 &&
		    v[0].n_notes == 16 && v[0].n_onsets == 16 &&
		    v[0].program == 0 && !v[0].drum);
		CHECK(v[1].track == 0 && v[1].channel == 1 &&
		    v[1].n_notes == 8 && v[1].program == 33);
		CHECK(v[2].channel == NOTESEQ_DRUM_CHANNEL && v[2].drum &&
		    v[2].n_notes == 32 && v[2].n_pitched == 0);
		CHECK(best == 0);
	}
	free(v);

	/* Default: the tune alone, on even steps; the bass is not in it. */
	CHECK(windows_ch(&s, -1, -1, 32, &w, &cause) == 0 && w.n == 1);
	CHECK(w.track == 0 && w.channel == 0);
	tune_only = w.n == 1;
	for (t = 0; tune_only && t < 32; t++)
		tune_only = t % 2 == 0 ? w.tokens[t] == 60 + (t / 2) % 5 -
		    19 : w.tokens[t] == MEL_NOTE_OFF;
	CHECK_MSG(tune_only, "the default melody mixes channels");
	windows_free(&w);
	/* The same with the track given: its best channel, not all. */
	CHECK(windows_ch(&s, 0, -1, 32, &w, &cause) == 0 && w.n == 1 &&
	    w.channel == 0 && w.tokens[1] == MEL_NOTE_OFF);
	windows_free(&w);

	/* --channel 2: the bass alone. */
	CHECK(windows_ch(&s, -1, 1, 32, &w, &cause) == 0 && w.n == 1);
	CHECK(w.track == 0 && w.channel == 1);
	bass_only = w.n == 1;
	for (t = 0; bass_only && t < 32; t++)
		bass_only = t % 4 == 1 ? w.tokens[t] == 76 + (t / 4) % 3 -
		    19 : t % 4 == 2 ? w.tokens[t] == MEL_NOTE_OFF :
		    w.tokens[t] == MEL_NO_EVENT;
	CHECK_MSG(bass_only, "channel 2 is not the bass alone");
	windows_free(&w);
	CHECK(windows_ch(&s, 0, 1, 32, &w, &cause) == 0 && w.n == 1 &&
	    w.tokens[1] == 76 - 19);
	windows_free(&w);

	/* An empty channel says so; the drum channel is no melody. */
	CHECK(windows_ch(&s, -1, 4, 32, &w, &cause) == 0 && w.n == 0 &&
	    w.why != NULL && strstr(w.why, "channel 5"));
	windows_free(&w);
	CHECK(windows_ch(&s, -1, NOTESEQ_DRUM_CHANNEL, 32, &w, &cause) ==
	    0 && w.n == 0 && w.why != NULL && strstr(w.why, "drum"));
	windows_free(&w);
	CHECK(windows_ch(&s, 0, 3, 32, &w, &cause) == 0 && w.n == 0 &&
	    w.why != NULL && strstr(w.why, "track 1 ") &&
	    strstr(w.why, "channel 4"));
	windows_free(&w);
	/* A channel out of 0..15 is a hard error. */
	CHECK(windows_ch(&s, -1, 16, 32, &w, &cause) == -1 && cause != NULL &&
	    strstr(cause, "channel"));
	windows_free(&w);
	noteseq_free(&s);
	free(cause);
}

/*
 * Every refused stretch is reported, windows or not: 4 bars of 4/4 then
 * 8 bars of 3/4 give 3 windows and a refused 3/4 stretch; a silence of
 * two bars and a one-bar piece are each reported too.
 */
static void
test_refused(void)
{
	struct noteseq	s;
	struct windows	w;
	char		*cause = NULL, line[256];
	int		i, meter = -1, gap = -1, shrt = -1;

	noteseq_init(&s);
	s.timesigs = realloc(s.timesigs, 2 * sizeof *s.timesigs);
	s.timesigs[1].time_s = 64 * SPS;
	s.timesigs[1].num = 3;
	s.timesigs[1].den = 4;
	s.n_timesigs = 2;
	for (i = 0; i < 16 + 24; i++)
		add(&s, 60 + i % 7, i * 4, i * 4 + 4, 0);
	CHECK(windows_ch(&s, -1, -1, 32, &w, &cause) == 0 && w.n == 3);
	CHECK(w.n_refusals == 1);
	if (w.n_refusals == 1) {
		CHECK(w.refused[0].why == REFUSE_METER &&
		    w.refused[0].from == 64 && w.refused[0].to == 160 &&
		    w.refused[0].num == 3 && w.refused[0].den == 4);
		convert_refused_str(&w.refused[0], 32, line, sizeof line);
		CHECK_MSG(strstr(line, "steps 64-160") &&
		    strstr(line, "8 bars of 3/4") &&
		    strstr(line, "12 steps"), "%s", line);
	}
	windows_free(&w);
	noteseq_free(&s);

	/* 4 bars, 2 bars of rest, 4 bars, 2 of rest, one bar. */
	noteseq_init(&s);
	for (i = 0; i < 16; i++)
		add(&s, 60 + i % 5, i * 4, i * 4 + 4, 0);
	for (i = 0; i < 16; i++)
		add(&s, 62 + i % 5, 96 + i * 4, 96 + i * 4 + 4, 0);
	add(&s, 67, 192, 200, 0);
	CHECK(windows_ch(&s, -1, -1, 32, &w, &cause) == 0 && w.n == 6);
	for (i = 0; i < w.n_refusals; i++) {
		if (w.refused[i].why == REFUSE_GAP && gap < 0)
			gap = i;
		if (w.refused[i].why == REFUSE_SHORT)
			shrt = i;
		if (w.refused[i].why == REFUSE_METER)
			meter = i;
	}
	CHECK_MSG(w.n_refusals == 3 && meter < 0, "%d refusals",
	    w.n_refusals);
	CHECK(gap >= 0 && w.refused[gap].from == 64 &&
	    w.refused[gap].to == 96);
	CHECK(shrt >= 0 && w.refused[shrt].from == 192 &&
	    w.refused[shrt].to == 208);
	if (shrt >= 0) {
		convert_refused_str(&w.refused[shrt], 32, line, sizeof line);
		CHECK_MSG(strstr(line, "16 steps") && strstr(line, "32-step"),
		    "%s", line);
	}
	if (gap >= 0) {
		convert_refused_str(&w.refused[gap], 32, line, sizeof line);
		CHECK_MSG(strstr(line, "silence"), "%s", line);
	}
	windows_free(&w);
	/* 256 steps: every piece is too short, and says so. */
	CHECK(windows_ch(&s, -1, -1, 256, &w, &cause) == 0 && w.n == 0);
	for (i = 0, shrt = 0; i < w.n_refusals; i++)
		shrt += w.refused[i].why == REFUSE_SHORT;
	CHECK(shrt == 3 && w.why != NULL && strstr(w.why, "too short"));
	windows_free(&w);
	noteseq_free(&s);
	free(cause);
}

/* Random canonical melodies: tokens -> notes -> tokens is the identity. */
static void
test_melody_roundtrip(void)
{
	struct noteseq	s;
	struct windows	w;
	int		tok[32], t, k, len, trial, ok = 0, steps_ok = 1;

	srand(7);
	for (trial = 0; trial < 500; trial++) {
		memset(tok, 0, sizeof tok);
		t = 0;
		while (t < 32) {
			tok[t] = 2 + rand() % 88;
			t += 1 + rand() % 6;
			if (t < 32 && rand() % 3 == 0) {
				/* a rest shorter than a bar */
				tok[t] = MEL_NOTE_OFF;
				t += 1 + rand() % 6;
			}
		}
		noteseq_init(&s);
		convert_melody_to_noteseq(tok, 32, 120, 0, 0, &s);
		steps_ok &= s.quantized && s.total_steps == 32 &&
		    s.n_tempos == 1 && s.tempos[0].qpm == 120;
		k = windows_of(&s, CONVERT_MELODY, -1, 32, &w);
		ok += k == 0 && w.n == 1 &&
		    memcmp(w.tokens, tok, sizeof tok) == 0;
		windows_free(&w);
		noteseq_free(&s);
	}
	CHECK_MSG(ok == 500, "%d of 500 round trips", ok);
	CHECK(steps_ok);

	/* Decoding rules and seconds at another tempo. */
	memset(tok, 0, sizeof tok);
	tok[0] = 41;			/* 60 */
	tok[4] = 1;			/* off */
	tok[8] = 43;			/* 62, ended by the next pitch */
	tok[12] = 45;			/* 64, runs to the end */
	noteseq_init(&s);
	convert_melody_to_noteseq(tok, 32, 60, 5, 100, &s);
	CHECK(s.n == 3);
	if (s.n == 3) {
		CHECK(s.notes[0].pitch == 60 && s.notes[0].start_step == 0 &&
		    s.notes[0].end_step == 4);
		CHECK(s.notes[1].pitch == 62 && s.notes[1].end_step == 12);
		CHECK(s.notes[2].pitch == 64 && s.notes[2].end_step == 32);
		/* 60 qpm, 4 steps per quarter: 0.25 s per step. */
		CHECK(s.notes[1].start_s == 2.0 && s.notes[2].end_s == 8.0);
		CHECK(s.notes[0].program == 5 && s.notes[0].velocity == 100);
	}
	len = s.total_steps;
	CHECK(len == 32);
	noteseq_free(&s);
	/* Velocity 0 means 80. */
	noteseq_init(&s);
	convert_melody_to_noteseq(tok, 32, 120, 0, 0, &s);
	CHECK(s.n == 3 && s.notes[0].velocity == 80);
	noteseq_free(&s);
}

static void
test_drums(void)
{
	static const int table[9][16] = {
		{ 36, 35, -1 },
		{ 38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85,
		    -1 },
		{ 42, 44, 54, 68, 69, 70, 71, 73, 78, 80, -1 },
		{ 46, 67, 72, 74, 79, 81, -1 },
		{ 45, 29, 41, 61, 64, 84, -1 },
		{ 48, 47, 60, 63, 77, 86, 87, -1 },
		{ 50, 30, 43, 62, 76, 83, -1 },
		{ 49, 55, 57, 58, -1 },
		{ 51, 52, 53, 59, 82, -1 },
	};
	struct noteseq	s;
	struct windows	w;
	int		c, i, p, lab[32], mapped = 0, ok = 0, bad = 0;

	for (c = 0; c < 9; c++) {
		CHECK(convert_drum_pitch(c) == table[c][0]);
		for (i = 0; table[c][i] != -1; i++) {
			bad += convert_drum_class(table[c][i]) != c;
			mapped++;
		}
	}
	CHECK(bad == 0);
	for (p = 0, i = 0; p < 128; p++)
		i += convert_drum_class(p) >= 0;
	CHECK(i == mapped && mapped == 61);
	CHECK(convert_drum_class(22) == -1 && convert_drum_class(26) == -1);
	CHECK(convert_drum_pitch(9) == -1 && convert_drum_pitch(-1) == -1);

	/* Every label at step 0, then a kick every bar, both ways. */
	for (i = 1; i < DRUM_LABELS; i++) {
		memset(lab, 0, sizeof lab);
		lab[0] = i;
		lab[16] = 1;
		lab[27] = 2 | 256;
		noteseq_init(&s);
		convert_drums_to_noteseq(lab, 32, 120, 0, &s);
		if (windows_of(&s, CONVERT_DRUMS, -1, 32, &w) == 0 &&
		    w.n == 1 && memcmp(w.tokens, lab, sizeof lab) == 0 &&
		    s.n > 0 && s.notes[0].drum &&
		    s.notes[0].channel == NOTESEQ_DRUM_CHANNEL)
			ok++;
		windows_free(&w);
		noteseq_free(&s);
	}
	CHECK_MSG(ok == DRUM_LABELS - 1, "%d drum labels round trip", ok);

	/* Non-exemplar pitches map; unmapped ones and pitched notes drop. */
	noteseq_init(&s);
	add(&s, 35, 0, 1, 0);
	add(&s, 44, 0, 1, 0);
	add(&s, 22, 4, 5, 0);
	add(&s, 60, 8, 9, 1);
	for (i = 0; i < 3; i++)
		s.notes[i].drum = 1;
	add(&s, 52, 20, 21, 0);
	s.notes[4].drum = 1;
	CHECK(windows_of(&s, CONVERT_DRUMS, -1, 32, &w) == 0 && w.n == 1);
	if (w.n == 1)
		CHECK(w.tokens[0] == (1 | 4) && w.tokens[4] == 0 &&
		    w.tokens[8] == 0 && w.tokens[20] == 256);
	windows_free(&w);
	noteseq_free(&s);
	/* No drums at all. */
	noteseq_init(&s);
	add(&s, 60, 0, 32, 0);
	CHECK(windows_of(&s, CONVERT_DRUMS, -1, 32, &w) == 0 && w.n == 0 &&
	    w.why != NULL && strstr(w.why, "drum"));
	windows_free(&w);
	noteseq_free(&s);
}

static void
test_trio(void)
{
	struct noteseq	s;
	struct windows	w;
	int		tok[32 * 3], t, nm = 0, nb = 0, nd = 0;
	size_t		i;

	memset(tok, 0, sizeof tok);
	for (t = 0; t < 32; t += 4) {
		tok[t * 3] = 60 - 19 + t / 4;		/* melody */
		tok[t * 3 + 2] = t % 8 == 0 ? 1 : 2;	/* kick / snare */
	}
	tok[0 * 3 + 1] = 36 - 19;			/* bass, bar 1 */
	tok[14 * 3 + 1] = MEL_NOTE_OFF;
	tok[16 * 3 + 1] = 43 - 19;			/* bass, bar 2 */
	noteseq_init(&s);
	convert_trio_to_noteseq(tok, 32, 120, 0, &s);
	for (i = 0; i < s.n; i++) {
		if (s.notes[i].drum) {
			nd++;
			CHECK(s.notes[i].channel == NOTESEQ_DRUM_CHANNEL);
		} else if (s.notes[i].program >= 32 &&
		    s.notes[i].program <= 39)
			nb++;
		else
			nm++;
	}
	CHECK(nm == 8 && nb == 2 && nd == 8 && s.n_tracks == 3);
	CHECK(windows_of(&s, CONVERT_TRIO, -1, 32, &w) == 0);
	CHECK(w.n == 1 && w.S == 3);
	if (w.n == 1)
		CHECK_MSG(memcmp(w.tokens, tok, sizeof tok) == 0,
		    "trio round trip");
	windows_free(&w);
	/* Without drums there is no trio. */
	for (i = 0; i < s.n; i++)
		if (s.notes[i].drum)
			s.notes[i].velocity = 0;
	CHECK(windows_of(&s, CONVERT_TRIO, -1, 32, &w) == 0 && w.n == 0 &&
	    w.why != NULL && strstr(w.why, "drums"));
	/* ... and the whole stretch is refused for it. */
	CHECK(w.n_refusals == 1 && w.refused[0].why == REFUSE_TRIO &&
	    w.refused[0].from == 0 && w.refused[0].to == 32);
	windows_free(&w);
	noteseq_free(&s);
}

/* Windows: 1-bar hop over a long melody, start steps, 256 steps. */
static void
test_windows(void)
{
	struct noteseq	s;
	struct windows	w;
	int		i;

	noteseq_init(&s);
	for (i = 0; i < 20 * 4; i++)
		add(&s, 60 + i % 12, i * 4, i * 4 + 3, 0);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0);
	CHECK(w.n == 19);
	CHECK(w.n == 19 && w.start_step[5] == 80 &&
	    w.tokens[5 * 32] == 60 + 20 % 12 - 19);
	windows_free(&w);
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 256, &w) == 0 && w.n == 5);
	windows_free(&w);
	noteseq_free(&s);
}

/* Absurd tempos give huge step numbers: bounded memory, no crash. */
static void
test_huge_steps(void)
{
	struct noteseq	s;
	struct windows	w;

	noteseq_init(&s);
	s.tempos[0].qpm = 6e6;		/* 400000 steps per second */
	add(&s, 60, 0, 1, 0);
	s.notes[0].start_s = 100.0;
	s.notes[0].end_s = 300.0;
	add(&s, 36, 0, 1, 0);
	s.notes[1].start_s = 100.0;
	s.notes[1].end_s = 100.1;
	s.notes[1].drum = 1;
	add(&s, 40, 0, 1, 0);
	s.notes[2].start_s = 200.0;
	s.notes[2].end_s = 201.0;
	s.notes[2].program = 33;
	s.total_s = 300.0;
	/* Two melodies (a gap), each truncated at 100 bars: 99 + 99. */
	CHECK(windows_of(&s, CONVERT_MELODY, -1, 32, &w) == 0 &&
	    w.n == 198);
	windows_free(&w);
	CHECK(windows_of(&s, CONVERT_TRIO, -1, 32, &w) == 0);
	windows_free(&w);
	CHECK(windows_of(&s, CONVERT_DRUMS, -1, 32, &w) == 0 && w.n == 0 &&
	    w.why != NULL && strstr(w.why, "too short"));
	windows_free(&w);
	noteseq_free(&s);
}

int
main(void)
{
	test_reference();
	test_quantize();
	test_melody_rules();
	test_reasons();
	test_track_choice();
	test_channel_parts();
	test_refused();
	test_melody_roundtrip();
	test_drums();
	test_trio();
	test_windows();
	test_huge_steps();
	return (test_report());
}
