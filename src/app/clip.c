/*
 * clip.c: clips for the instrument.  A clip keeps its whole source (for
 * windows and velocities) and shows the window the model encodes, decoded
 * back to notes through the same converter as the result, so what the
 * lane shows is exactly what the model was given.
 */
#include "clip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "midifile.h"
#include "musicfile.h"

/* The program convert_trio_to_noteseq gives the bass. */
#define CLIP_BASS_PROGRAM	33
/* The programs a trio's bass comes from (src/convert.c). */
#define CLIP_BASS_PROG_MIN	32
#define CLIP_BASS_PROG_MAX	39

static void	clip_title(struct clip *);
static void	clip_ref(struct clip *, const struct clip_fmt *);

void
clip_tokens_to_seq(const struct clip_fmt *f, const int *tok,
    struct noteseq *out)
{
	switch (f->kind) {
	case VAE_DRUMS:
		convert_drums_to_noteseq(tok, f->T, f->qpm, 0, out);
		break;
	case VAE_TRIO:
		convert_trio_to_noteseq(tok, f->T, f->qpm, 0, out);
		break;
	default:
		convert_melody_to_noteseq(tok, f->T, f->qpm, 0, 0, out);
		break;
	}
}

void
clip_seq_to_notes(const struct noteseq *s, struct ui_note **v, size_t *n)
{
	size_t	i;

	free(*v);
	*v = lr_calloc(s->n + 1, sizeof **v);
	for (i = 0; i < s->n; i++) {
		(*v)[i].pitch = s->notes[i].pitch;
		(*v)[i].start = s->notes[i].start_step;
		(*v)[i].end = s->notes[i].end_step;
		/* The decoders' channels: bass on 2, drums on 10. */
		if (s->notes[i].drum)
			(*v)[i].part = UI_PART_DRUMS;
		else if (s->notes[i].channel == CLIP_BASS_CHANNEL)
			(*v)[i].part = UI_PART_BASS;
		else
			(*v)[i].part = UI_PART_MELODY;
	}
	*n = s->n;
}

/*
 * A sequence from UI notes (what is shown and heard): tempo and meter
 * come from converting an empty token sequence, so they match decoding,
 * and each part goes where the decoder puts it (the player's pattern
 * channels, src/live.h): melody on channel 1, a trio's bass on 2 with
 * a bass program (its own track, as decoded), drums on 10.
 */
void
clip_notes_to_seq(const struct clip_fmt *f, const struct ui_note *v,
    size_t n, struct noteseq *out)
{
	int		*zero;
	double		 sps = 60.0 / (f->qpm * NOTESEQ_STEPS_PER_QUARTER);
	size_t		 i;
	int		 part;
	struct note	*nt;

	zero = lr_calloc((size_t)f->T * f->S, sizeof *zero);
	clip_tokens_to_seq(f, zero, out);
	free(zero);
	out->n = 0;
	for (i = 0; i < n; i++) {
		part = f->kind == VAE_DRUMS ? UI_PART_DRUMS :
		    (f->kind == VAE_TRIO ? v[i].part : UI_PART_MELODY);
		nt = noteseq_add(out);
		memset(nt, 0, sizeof *nt);
		nt->pitch = v[i].pitch;
		nt->velocity = 80;
		nt->drum = part == UI_PART_DRUMS;
		if (nt->drum)
			nt->channel = NOTESEQ_DRUM_CHANNEL;
		else if (part == UI_PART_BASS) {
			nt->channel = CLIP_BASS_CHANNEL;
			nt->program = CLIP_BASS_PROGRAM;
		}
		if (f->kind == VAE_TRIO)
			nt->track = part;
		nt->start_step = v[i].start;
		nt->end_step = v[i].end;
		nt->start_s = v[i].start * sps;
		nt->end_s = v[i].end * sps;
	}
	noteseq_sort(out);
	out->quantized = 1;
	out->steps_per_quarter = NOTESEQ_STEPS_PER_QUARTER;
	out->total_steps = f->T;
	out->total_s = f->T * sps;
}

/* The drum classes hit at each step by notes of part (-1: any). */
static void
notes_to_drums(const struct clip_fmt *f, const struct ui_note *v, size_t n,
    int part, int *tok, int stride)
{
	size_t	i;
	int	c;

	for (i = 0; i < n; i++)
		if ((part < 0 || v[i].part == part) && v[i].start >= 0 &&
		    v[i].start < f->T &&
		    (c = convert_drum_class(v[i].pitch)) >= 0)
			tok[(size_t)v[i].start * stride] |= 1 << c;
}

/* A melody line from the notes of part (-1: any). */
static void
notes_to_melody(const struct clip_fmt *f, const struct ui_note *v,
    size_t n, int part, int *tok, int stride)
{
	int	*on, *end, t, p, cur_end = -1;
	size_t	 i;

	on = lr_calloc(f->T, sizeof *on);
	end = lr_calloc(f->T, sizeof *end);
	for (i = 0; i < n; i++) {
		if ((part >= 0 && v[i].part != part) || v[i].start < 0 ||
		    v[i].start >= f->T)
			continue;
		p = v[i].pitch < MEL_MIN_PITCH ? MEL_MIN_PITCH :
		    (v[i].pitch > MEL_MAX_PITCH ? MEL_MAX_PITCH : v[i].pitch);
		/* Class 2 is MEL_MIN_PITCH; 0 here means no note starts. */
		if (p - MEL_MIN_PITCH + 2 > on[v[i].start]) {
			on[v[i].start] = p - MEL_MIN_PITCH + 2;
			end[v[i].start] = v[i].end;
		}
	}
	for (t = 0; t < f->T; t++) {
		if (on[t] > 0) {
			tok[(size_t)t * stride] = on[t];
			cur_end = end[t];
		} else if (t == cur_end) {
			tok[(size_t)t * stride] = MEL_NOTE_OFF;
			cur_end = -1;
		}
	}
	free(on);
	free(end);
}

void
clip_notes_to_tokens(const struct clip_fmt *f, const struct ui_note *v,
    size_t n, int *tok)
{
	memset(tok, 0, (size_t)f->T * f->S * sizeof *tok);
	switch (f->kind) {
	case VAE_DRUMS:
		notes_to_drums(f, v, n, -1, tok, 1);
		break;
	case VAE_TRIO:
		notes_to_melody(f, v, n, UI_PART_MELODY, tok, 3);
		notes_to_melody(f, v, n, UI_PART_BASS, tok + 1, 3);
		notes_to_drums(f, v, n, UI_PART_DRUMS, tok + 2, 3);
		break;
	default:
		notes_to_melody(f, v, n, -1, tok, 1);
		break;
	}
}

void
clip_free(struct clip *c)
{
	int	letter = c->letter;

	free(c->path);
	if (c->have_seq)
		noteseq_free(&c->seq);
	if (c->have_ref)
		noteseq_free(&c->ref);
	windows_free(&c->win);
	free(c->tokens);
	free(c->notes);
	free(c->poly);
	memset(c, 0, sizeof *c);
	c->letter = letter;
}

static void
clip_title(struct clip *c)
{
	const char	*base;
	char		 track[32];

	if (c->path == NULL && c->win.n == 0 && c->why[0] != '\0') {
		snprintf(c->title, sizeof c->title, "%c (empty: %s)",
		    c->letter, c->why);
		return;
	}
	if (c->path == NULL)
		base = c->win.n > 0 ? "(copied result)" : "(empty)";
	else if ((base = strrchr(c->path, '/')) != NULL)
		base++;
	else
		base = c->path;
	if (c->have_seq && c->seq.n_tracks > 1 && c->win.track >= 0)
		snprintf(track, sizeof track, "  track %d/%d", c->win.track + 1,
		    c->seq.n_tracks);
	else
		track[0] = '\0';
	if (c->win.n > 1)
		snprintf(c->title, sizeof c->title, "%c %s%s  window %d/%d "
		    "(bar %d)", c->letter, base, track, c->wi + 1, c->win.n,
		    c->win.start_step[c->wi] / STEPS_PER_BAR + 1);
	else
		snprintf(c->title, sizeof c->title, "%c %s%s", c->letter, base,
		    track);
	if (c->poly != NULL && c->win.track >= 0 &&
	    c->win.track < c->seq.n_tracks && c->poly[c->win.track])
		snprintf(c->title + strlen(c->title), sizeof c->title -
		    strlen(c->title), "  polyphonic, top voice");
	/* A stand-in for a clip that did not load says so for as long
	   as it stands in (clip_load clears why). */
	if (c->path != NULL && c->why[0] != '\0')
		snprintf(c->title + strlen(c->title), sizeof c->title -
		    strlen(c->title), "  (stand-in: %s)", c->why);
}

void
clip_stand_in(struct clip *c, const char *why)
{
	snprintf(c->why, sizeof c->why, "%s", why);
	clip_title(c);
}

/*
 * A melody model hears one line.  A part written in several voices (a
 * chorale's lower three on one track, a piano's chords) would come out
 * as its voices flattened into one line that jumps between them, so such
 * a part keeps its top voice (notes under a higher one for half their
 * length go), and when the file also has a monophonic part, that one is
 * the melody by default.  Returns the track to load (track if >= 0).
 */
static int
clip_voices(struct clip *c, const struct clip_fmt *f, int track)
{
	struct convert_part	*v;
	int			 n, i, best = -1, any = 0, *poly;

	if (f->kind != VAE_MELODY || c->seq.n_tracks <= 0)
		return (track);
	n = convert_parts(&c->seq, &v, NULL);
	poly = lr_calloc(n + 1, sizeof *poly);
	for (i = 0; i < n; i++) {
		if (v[i].n_pitched == 0 || v[i].drum)
			continue;
		/* An eighth of its notes under another: several voices. */
		poly[i] = 8 * convert_top_voice(&c->seq, v[i].track,
		    v[i].channel, 0) > v[i].n_pitched;
		any |= poly[i];
		if (!poly[i] && (best < 0 || v[i].n_onsets > v[best].n_onsets ||
		    (v[i].n_onsets == v[best].n_onsets &&
		    v[i].n_pitched > v[best].n_pitched)))
			best = i;
	}
	if (any) {
		c->poly = lr_calloc(c->seq.n_tracks + 1, 1);
		for (i = 0; i < n; i++) {
			if (!poly[i])
				continue;
			(void)convert_top_voice(&c->seq, v[i].track,
			    v[i].channel, 1);
			if (v[i].track >= 0 && v[i].track < c->seq.n_tracks)
				c->poly[v[i].track] = 1;
		}
		if (track < 0 && best >= 0)
			track = v[best].track;
	}
	free(poly);
	free(v);
	return (track);
}

/*
 * The played result takes its velocities from the nearest clip (the
 * player's live_ref_velocity, same channel first): keep the notes of
 * the parts the window was taken from, on steps counted from the window
 * start and on the channels the result plays them on (clip_notes_to_seq):
 * the melody's (track, channel) on 1 (another channel of a format-0 file
 * is another part: its velocities stay out), a trio's bass (a bass
 * program, as the converter finds it) on 2, drums on 10.
 */
static void
clip_ref(struct clip *c, const struct clip_fmt *f)
{
	struct note	*nt;
	size_t		 i;
	int		 s0, ch, mel;

	if (c->have_ref)
		noteseq_free(&c->ref);
	c->have_ref = 0;
	if (!c->have_seq || !c->seq.quantized || c->win.n == 0)
		return;
	s0 = c->win.start_step[c->wi];
	noteseq_init(&c->ref);
	c->have_ref = 1;
	for (i = 0; i < c->seq.n; i++) {
		const struct note *src = &c->seq.notes[i];

		if (src->start_step < s0 || src->start_step >= s0 + f->T)
			continue;
		mel = (c->win.track < 0 || src->track == c->win.track) &&
		    (c->win.channel < 0 || src->channel == c->win.channel);
		if (f->kind == VAE_DRUMS) {
			if (!src->drum || !mel)
				continue;
			ch = NOTESEQ_DRUM_CHANNEL;
		} else if (src->drum) {
			if (f->kind != VAE_TRIO)
				continue;
			ch = NOTESEQ_DRUM_CHANNEL;
		} else if (mel)
			ch = 0;
		else if (f->kind == VAE_TRIO &&
		    src->program >= CLIP_BASS_PROG_MIN &&
		    src->program <= CLIP_BASS_PROG_MAX)
			ch = CLIP_BASS_CHANNEL;
		else
			continue;
		nt = noteseq_add(&c->ref);
		*nt = *src;
		nt->start_step -= s0;
		nt->end_step -= s0;
		nt->channel = ch;
	}
	c->ref.quantized = 1;
}

void
clip_window(struct clip *c, const struct clip_fmt *f, int wi)
{
	struct noteseq	 s;
	size_t		 ts = (size_t)f->T * f->S;

	free(c->tokens);
	c->tokens = lr_calloc(ts, sizeof *c->tokens);
	if (c->win.n > 0) {
		c->wi = wi % c->win.n;
		memcpy(c->tokens, c->win.tokens + c->wi * ts,
		    ts * sizeof *c->tokens);
	}
	noteseq_init(&s);
	clip_tokens_to_seq(f, c->tokens, &s);
	clip_seq_to_notes(&s, &c->notes, &c->n);
	noteseq_free(&s);
	clip_title(c);
	clip_ref(c, f);
}

int
clip_windows(const struct clip_fmt *f, const struct noteseq *s, int track,
    const char *name, struct windows *w, char **cause)
{
	return (data_windows(f->kind, f->T, f->S, s, track, -1, name, w,
	    cause));
}

int
clip_load(struct clip *dst, const struct clip_fmt *f, const char *path,
    int track, int wi, char **cause)
{
	struct clip	c;
	int		letter = dst->letter;

	memset(&c, 0, sizeof c);
	/* fopen("") would say ": No such file or directory". */
	if (*path == '\0')
		return (letter != 0 ? lr_fail(cause, "%c: no file name given",
		    letter) : lr_fail(cause, "no file name given"));
	if (musicfile_load(path, 0, &c.seq, cause) != 0)
		return (-1);
	c.have_seq = 1;
	/* Quantized here too for the velocity reference (the converter
	   accepts a quantized sequence as it is). */
	if (!c.seq.quantized && convert_quantize(&c.seq,
	    NOTESEQ_STEPS_PER_QUARTER, cause) != 0) {
		lr_cause_prefix(cause, "%s", path);
		noteseq_free(&c.seq);
		return (-1);
	}
	track = clip_voices(&c, f, track);
	if ((track < 0 || clip_windows(f, &c.seq, track, path, &c.win,
	    NULL) != 0) && clip_windows(f, &c.seq, -1, path, &c.win,
	    cause) != 0) {
		noteseq_free(&c.seq);
		free(c.poly);
		return (-1);
	}
	clip_free(dst);
	*dst = c;
	dst->letter = letter;
	dst->path = lr_strdup(path);
	clip_window(dst, f, wi);
	return (0);
}

int
clip_next_track(struct clip *c, const struct clip_fmt *f, char **cause)
{
	struct windows	w;
	int		n, k, t;

	if (!c->have_seq || (n = c->seq.n_tracks) <= 1)
		return (lr_fail(cause, "%c has one track", c->letter));
	for (k = 1; k < n; k++) {
		t = ((c->win.track < 0 ? 0 : c->win.track) + k) % n;
		if (clip_windows(f, &c->seq, t, "", &w, NULL) != 0)
			continue;
		windows_free(&c->win);
		c->win = w;
		clip_window(c, f, 0);
		return (0);
	}
	return (lr_fail(cause, "%c: no other track gives a %d-step window",
	    c->letter, f->T));
}

int
clip_tracks(const struct clip *c, const struct clip_fmt *f)
{
	struct windows	w;
	int		t, n = 0;

	if (!c->have_seq || c->seq.n_tracks <= 1)
		return (c->win.n > 0);
	for (t = 0; t < c->seq.n_tracks; t++)
		if (clip_windows(f, &c->seq, t, "", &w, NULL) == 0) {
			windows_free(&w);
			n++;
		}
	return (n);
}

int
clip_choose(struct clip *c, const struct clip_fmt *f, int track, int wi,
    char **cause)
{
	struct windows	w;
	char		*why = NULL;
	int		n;

	if (track == c->win.track) {
		if (wi < 0 || wi >= c->win.n)
			return (lr_fail(cause, "%c: window %d: there are 1-%d",
			    c->letter, wi + 1, c->win.n));
		clip_window(c, f, wi);
		return (0);
	}
	if (!c->have_seq || track < 0 || track >= c->seq.n_tracks)
		return (lr_fail(cause, "%c: track %d: there are 1-%d",
		    c->letter, track + 1, c->have_seq ? c->seq.n_tracks : 1));
	if (clip_windows(f, &c->seq, track, "", &w, &why) != 0) {
		lr_fail(cause, "%c: track %d%s", c->letter, track + 1,
		    why != NULL ? why : ": no window");
		free(why);
		return (-1);
	}
	if (wi < 0 || wi >= w.n) {
		n = w.n;
		windows_free(&w);
		return (lr_fail(cause, "%c: track %d has windows 1-%d, not %d",
		    c->letter, track + 1, n, wi + 1));
	}
	windows_free(&c->win);
	c->win = w;
	clip_window(c, f, wi);
	return (0);
}

int
clip_unsaved(const struct clip *c)
{
	return (c->path == NULL && c->have_seq);
}

void
clip_set_path(struct clip *c, const char *path)
{
	free(c->path);
	c->path = lr_strdup(path);
	clip_title(c);
}

void
clip_empty(struct clip *c, const struct clip_fmt *f)
{
	clip_free(c);
	windows_init(&c->win);
	clip_window(c, f, 0);
}

void
clip_missing(struct clip *c, const struct clip_fmt *f, const char *why)
{
	clip_empty(c, f);
	snprintf(c->why, sizeof c->why, "%s", why != NULL ? why : "");
	clip_title(c);
}

