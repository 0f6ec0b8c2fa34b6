/*
 * convert.c: note sequences <-> model tokens (spec B 1.1-1.4).
 *
 * Quantization follows note-seq: step = floor(seconds * steps_per_second
 * + 0.5), and a note that rounds to zero length gets one step.  Where the
 * tempo changes, Magenta splits the sequence and quantizes each piece at
 * its own tempo; we do the same in one pass by measuring each time from
 * the last tempo change (piecewise steps), so the grid follows the music.
 * With one tempo this is exactly note-seq's formula.
 *
 * Melody extraction mirrors note-seq's Melody.from_quantized_sequence and
 * extract_melodies (gap 1 bar, highest pitch on shared onsets, pad to a
 * bar, at most 100 bars per melody).  Time-signature changes split the
 * sequence as Magenta's presplit does: each stretch in a meter of 16
 * steps per bar (4/4, 2/2, 8/8) is extracted on its own, bars counted
 * from the start of the stretch; others are skipped as "wrong meter".
 *
 * An instrument (spec B 1.2) is one part: the pitched notes of one
 * (track, channel), so a format-0 file's melody on channel 1 and bass on
 * channel 2 are two parts, never one line woven of both.  One deliberate
 * difference: Python extracts from every instrument, we from one part
 * (the user's, or by default the one with the most distinct onsets, not
 * the most notes as issue A words it: in 275 of the 1021 Nottingham files
 * with two tracks the chord track has more notes than the tune, and
 * counting notes would pick it; counting onsets picks the tune, the
 * higher of the two, in all of them).
 */
#include "convert.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS_TRUNCATE	1600	/* max_bars 100 */
#define GAP_STEPS		16	/* gap_bars 1.0 */
#define TRIO_COVER_GAP		2	/* bars of silence a part may have */
#define MEL_PROG_MAX		31	/* trio: melody programs 0..31 */
#define BASS_PROG_MIN		32
#define BASS_PROG_MAX		39

/* magenta.js DEFAULT_DRUM_PITCH_CLASSES (spec B 1.3); first = exemplar. */
static const int drum_table[DRUM_CLASSES][16] = {
	{ 36, 35, -1 },
	{ 38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85, -1 },
	{ 42, 44, 54, 68, 69, 70, 71, 73, 78, 80, -1 },
	{ 46, 67, 72, 74, 79, 81, -1 },
	{ 45, 29, 41, 61, 64, 84, -1 },
	{ 48, 47, 60, 63, 77, 86, 87, -1 },
	{ 50, 30, 43, 62, 76, 83, -1 },
	{ 49, 55, 57, 58, -1 },
	{ 51, 52, 53, 59, 82, -1 },
};

int
convert_drum_class(int pitch)
{
	int	c, i;

	for (c = 0; c < DRUM_CLASSES; c++)
		for (i = 0; drum_table[c][i] != -1; i++)
			if (drum_table[c][i] == pitch)
				return (c);
	return (-1);
}

int
convert_drum_pitch(int cls)
{
	if (cls < 0 || cls >= DRUM_CLASSES)
		return (-1);
	return (drum_table[cls][0]);
}

/* ------------------------------------------------------------------ */
/* Quantization. */

/* Exact (unrounded) step of time t through the tempo map. */
static double
steps_at(const struct noteseq *s, double t, int spq)
{
	double	steps = 0, at = 0, qpm = LR_QPM_DEFAULT;
	size_t	i;

	for (i = 0; i < s->n_tempos; i++) {
		if (s->tempos[i].time_s > t)
			break;
		if (s->tempos[i].time_s > at) {
			steps += (s->tempos[i].time_s - at) * (qpm / 60.0 *
			    spq);
			at = s->tempos[i].time_s;
		}
		if (s->tempos[i].qpm > 0)
			qpm = s->tempos[i].qpm;
	}
	/* With one tempo at 0 this is note-seq's seconds*steps_per_second. */
	return (steps + (t - at) * (qpm / 60.0 * spq));
}

static int
quantize_time(const struct noteseq *s, double t, int spq, int *step)
{
	double	v = floor(steps_at(s, t, spq) + 0.5);

	if (!isfinite(v) || v < 0 || v > INT_MAX / 4)
		return (-1);
	*step = (int)v;
	return (0);
}

int
convert_quantize(struct noteseq *s, int steps_per_quarter, char **cause)
{
	struct note	*nt;
	size_t		 i;
	int		 total;

	if (steps_per_quarter <= 0)
		return (lr_fail(cause, "bad steps per quarter %d",
		    steps_per_quarter));
	for (i = 0; i < s->n; i++) {
		nt = &s->notes[i];
		if (quantize_time(s, nt->start_s, steps_per_quarter,
		    &nt->start_step) != 0 || quantize_time(s, nt->end_s,
		    steps_per_quarter, &nt->end_step) != 0)
			return (lr_fail(cause, "note at %.1f s is too late to "
			    "quantize", nt->start_s));
		if (nt->end_step <= nt->start_step)
			nt->end_step = nt->start_step + 1;
	}
	if (quantize_time(s, s->total_s, steps_per_quarter, &total) != 0)
		return (lr_fail(cause, "sequence too long to quantize"));
	for (i = 0; i < s->n; i++)
		if (s->notes[i].end_step > total)
			total = s->notes[i].end_step;
	s->total_steps = total;
	s->steps_per_quarter = steps_per_quarter;
	s->quantized = 1;
	noteseq_sort(s);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Event lists (melody events or drum labels) that grow like Python's. */

struct evlist {
	int	*ev;
	int	 len, cap;
	int	 start;		/* absolute step of ev[0] */
};

static void
ev_resize(struct evlist *e, int len, int pad)
{
	if (len > e->cap) {
		e->cap = len + 64;
		e->ev = lr_realloc(e->ev, (size_t)e->cap * sizeof *e->ev);
	}
	while (e->len < len)
		e->ev[e->len++] = pad;
	e->len = len;
}

/*
 * Melody.set_length: growing on the right ends a sustained note with a
 * NOTE_OFF at the old end (note-seq melodies_lib set_length).
 */
static void
mel_set_length(struct evlist *e, int len)
{
	int	old = e->len, i;

	ev_resize(e, len, MEL_NO_EVENT);
	if (len <= old)
		return;
	for (i = old - 1; i >= 0; i--) {
		if (e->ev[i] == MEL_NOTE_OFF)
			break;
		if (e->ev[i] != MEL_NO_EVENT) {
			e->ev[old] = MEL_NOTE_OFF;
			break;
		}
	}
}

/* _add_note: resize to end+1 (dropping later events), write the note. */
static void
mel_add_note(struct evlist *e, int cls, int start, int end)
{
	int	i;

	mel_set_length(e, end + 1);
	e->ev[start] = cls;
	e->ev[end] = MEL_NOTE_OFF;
	for (i = start + 1; i < end; i++)
		e->ev[i] = MEL_NO_EVENT;
}

/* (last note-on index, first NOTE_OFF after it or len). */
static void
mel_last_on_off(const struct evlist *e, int *on, int *off)
{
	int	i;

	*on = -1;
	*off = e->len;
	for (i = e->len - 1; i >= 0; i--) {
		if (e->ev[i] == MEL_NOTE_OFF)
			*off = i;
		if (e->ev[i] >= 2) {
			*on = i;
			return;
		}
	}
}

/* Notes chosen for one part, sorted by (start, -pitch). */
struct part {
	const struct note	**v;
	int			  n;
};

static int
part_cmp(const void *a, const void *b)
{
	const struct note	*x = *(const struct note * const *)a;
	const struct note	*y = *(const struct note * const *)b;

	if (x->start_step != y->start_step)
		return (x->start_step < y->start_step ? -1 : 1);
	return (y->pitch - x->pitch);
}

/*
 * One melody from notes starting at or after from, inside [base, end).
 * gap 0: no split on silence and the melody starts at base (trio).
 * Returns the index of the first note not used, or -1 if no melody.
 */
static int
melody_extract(const struct part *p, int from_idx, int base, int end,
    int gap, struct evlist *e, int *gap_from, int *cut_to)
{
	const struct note	*nt;
	int			 i, si, ei, on, off;

	*gap_from = *cut_to = -1;
	e->len = 0;
	if (from_idx >= p->n)
		return (-1);
	e->start = gap == 0 ? base : base + (p->v[from_idx]->start_step -
	    base) / STEPS_PER_BAR * STEPS_PER_BAR;
	for (i = from_idx; i < p->n; i++) {
		nt = p->v[i];
		si = nt->start_step - e->start;
		/* Notes are cut where the stretch (meter) ends. */
		ei = (nt->end_step < end ? nt->end_step : end) - e->start;
		if (ei <= si)
			ei = si + 1;
		/*
		 * Memory bounds: everything past MAX_STEPS_TRUNCATE is cut
		 * off below, so a note need not last longer than that, and
		 * without gap splitting (trio) later notes are not needed.
		 */
		if (gap == 0 && si >= MAX_STEPS_TRUNCATE)
			break;
		if (ei - si > 2 * MAX_STEPS_TRUNCATE)
			ei = si + 2 * MAX_STEPS_TRUNCATE;
		if (e->len == 0) {
			mel_add_note(e, nt->pitch - 19, si, ei);
			continue;
		}
		mel_last_on_off(e, &on, &off);
		if (si <= on)
			continue;	/* shared onset: highest pitch won */
		if (gap > 0 && si - off >= gap) {
			*gap_from = e->start + off;
			break;
		}
		mel_add_note(e, nt->pitch - 19, si, ei);
	}
	if (e->len > 0 && e->ev[e->len - 1] == MEL_NOTE_OFF)
		e->len--;
	mel_set_length(e, e->len + (STEPS_PER_BAR - e->len % STEPS_PER_BAR) %
	    STEPS_PER_BAR);
	if (e->len > MAX_STEPS_TRUNCATE) {
		*cut_to = e->start + e->len;
		e->len = MAX_STEPS_TRUNCATE;
	}
	return (i);
}

/* Drum track: label bits per step; unmapped pitches still set length. */
static int
drums_extract(const struct part *p, int from_idx, int base, int gap,
    struct evlist *e, int *gap_from, int *cut_to)
{
	const struct note	*nt;
	int			 i, si, c;

	*gap_from = *cut_to = -1;
	e->len = 0;
	if (from_idx >= p->n)
		return (-1);
	e->start = gap == 0 ? base : base + (p->v[from_idx]->start_step -
	    base) / STEPS_PER_BAR * STEPS_PER_BAR;
	for (i = from_idx; i < p->n; i++) {
		nt = p->v[i];
		si = nt->start_step - e->start;
		if (gap > 0 && e->len > 0 && si - e->len >= gap) {
			*gap_from = e->start + e->len;
			break;
		}
		if (gap == 0 && si >= MAX_STEPS_TRUNCATE)
			break;
		if (si >= e->len)
			ev_resize(e, si + 1, 0);
		if ((c = convert_drum_class(nt->pitch)) >= 0)
			e->ev[si] |= 1 << c;
	}
	ev_resize(e, e->len + (STEPS_PER_BAR - e->len % STEPS_PER_BAR) %
	    STEPS_PER_BAR, 0);
	if (e->len > MAX_STEPS_TRUNCATE) {
		*cut_to = e->start + e->len;
		e->len = MAX_STEPS_TRUNCATE;
	}
	return (i);
}

/* ------------------------------------------------------------------ */
/* Windows. */

void
windows_init(struct windows *w)
{
	memset(w, 0, sizeof *w);
	w->track = -1;
	w->channel = -1;
}

void
windows_free(struct windows *w)
{
	free(w->tokens);
	free(w->start_step);
	free(w->why);
	free(w->refused);
	windows_init(w);
}

/* Note a refused stretch; one that continues the last is merged. */
static void
win_refuse(struct windows *w, enum convert_refusal why, int from, int to,
    int num, int den)
{
	struct convert_refused	*r;
	int			 n = w->n_refusals;

	if (to <= from)
		return;
	r = n > 0 ? &w->refused[n - 1] : NULL;
	if (r != NULL && r->why == why && from <= r->to && from >= r->from &&
	    r->num == num && r->den == den) {
		if (to > r->to)
			r->to = to;
		return;
	}
	/* Grown at powers of two: the capacity is implied by n. */
	if (n == 0 || (n & (n - 1)) == 0)
		w->refused = lr_realloc(w->refused, (size_t)(n == 0 ? 1 :
		    2 * n) * sizeof *w->refused);
	r = &w->refused[n];
	r->why = why;
	r->from = from;
	r->to = to;
	r->num = num;
	r->den = den;
	w->n_refusals++;
}

void
convert_refused_str(const struct convert_refused *r, int steps, char *buf,
    size_t len)
{
	int	spb, bars, n = r->to - r->from;

	switch (r->why) {
	case REFUSE_METER:
		spb = r->den > 0 ? 16 * r->num / r->den : 0;
		if (spb <= 0) {
			snprintf(buf, len, "steps %d-%d: in %d/%d, a meter "
			    "without whole steps", r->from, r->to, r->num,
			    r->den);
			break;
		}
		bars = (n + spb - 1) / spb;
		snprintf(buf, len, "steps %d-%d: %d bar%s of %d/%d (%d steps "
		    "a bar, the model needs %d)", r->from, r->to, bars,
		    bars == 1 ? "" : "s", r->num, r->den, spb, STEPS_PER_BAR);
		break;
	case REFUSE_SHORT:
		snprintf(buf, len, "steps %d-%d: a piece of %d steps, shorter "
		    "than a %d-step window", r->from, r->to, n, steps);
		break;
	case REFUSE_GAP:
		snprintf(buf, len, "steps %d-%d: %d steps of silence split the "
		    "part (a window holds less than a bar of rest)", r->from,
		    r->to, n);
		break;
	case REFUSE_LONG:
		snprintf(buf, len, "steps %d-%d: past %d bars of one piece, "
		    "cut off", r->from, r->to, MAX_STEPS_TRUNCATE /
		    STEPS_PER_BAR);
		break;
	case REFUSE_TRIO:
		snprintf(buf, len, "steps %d-%d: melody, bass or drums is "
		    "silent for more than %d bars", r->from, r->to,
		    TRIO_COVER_GAP);
		break;
	default:
		snprintf(buf, len, "steps %d-%d: refused", r->from, r->to);
		break;
	}
}

static void
win_add(struct windows *w, int *cap, const int *tok, int start)
{
	size_t	len = (size_t)w->steps * w->S;

	if (w->n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		w->tokens = lr_realloc(w->tokens, (size_t)*cap * len *
		    sizeof *w->tokens);
		w->start_step = lr_realloc(w->start_step, (size_t)*cap *
		    sizeof *w->start_step);
	}
	memcpy(w->tokens + (size_t)w->n * len, tok, len * sizeof *tok);
	w->start_step[w->n] = start;
	w->n++;
}

static void
win_why(struct windows *w, const char *fmt, ...) LR_PRINTF(2, 3);

static void
win_why(struct windows *w, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	free(w->why);
	w->why = s;
}

/* A stretch of the sequence in one meter. */
struct stretch {
	int	from, to;	/* steps */
	int	num, den;
};

/* The time-signature stretches of a quantized sequence. */
static int
stretches(const struct noteseq *s, struct stretch **out)
{
	struct stretch	*v;
	size_t		 i;
	int		 n = 0, at, end;

	end = s->total_steps;
	v = lr_calloc(s->n_timesigs + 1, sizeof *v);
	for (i = 0; i < s->n_timesigs; i++) {
		if (quantize_time(s, s->timesigs[i].time_s,
		    s->steps_per_quarter, &at) != 0)
			break;
		if (n > 0 && at <= v[n - 1].from) {
			n--;	/* two signatures on one step: the later */
		}
		if (n > 0)
			v[n - 1].to = at;
		v[n].from = n == 0 ? 0 : at;
		v[n].to = end;
		v[n].num = s->timesigs[i].num;
		v[n].den = s->timesigs[i].den;
		n++;
	}
	if (n == 0) {
		v[0].from = 0;
		v[0].to = end;
		v[0].num = v[0].den = 4;
		n = 1;
	}
	*out = v;
	return (n);
}

static int
meter_ok(const struct stretch *st, int two_four)
{
	/* steps per bar = 4 steps/quarter * 4 quarters * num/den = 16 */
	if (st->den > 0 && st->num == st->den)
		return (1);
	/* 8 steps per bar: two of them make one (convert_opts) */
	return (two_four && st->den > 0 && 2 * st->num == st->den);
}

/* Notes of one part in [from, to), sorted; caller frees p->v. */
enum part_kind { PART_MELODY, PART_BASS, PART_DRUMS, PART_ANY_PITCHED };

static int
note_fits(const struct note *nt, enum part_kind k, int track, int channel)
{
	if (nt->velocity <= 0)
		return (0);
	if (track >= 0 && nt->track != track)
		return (0);
	if (channel >= 0 && nt->channel != channel)
		return (0);
	if (k == PART_DRUMS)
		return (nt->drum);
	if (nt->drum || nt->pitch < MEL_MIN_PITCH || nt->pitch > MEL_MAX_PITCH)
		return (0);
	if (k == PART_MELODY)
		return (nt->program <= MEL_PROG_MAX);
	if (k == PART_BASS)
		return (nt->program >= BASS_PROG_MIN &&
		    nt->program <= BASS_PROG_MAX);
	return (1);
}

static void
part_collect(const struct noteseq *s, enum part_kind k, int track,
    int channel, int from, int to, struct part *p)
{
	size_t	i;

	p->v = lr_calloc(s->n + 1, sizeof *p->v);
	p->n = 0;
	for (i = 0; i < s->n; i++)
		if (note_fits(&s->notes[i], k, track, channel) &&
		    s->notes[i].start_step >= from &&
		    s->notes[i].start_step < to)
			p->v[p->n++] = &s->notes[i];
	qsort(p->v, p->n, sizeof *p->v, part_cmp);
}

static int
cpart_cmp(const void *a, const void *b)
{
	const struct convert_part	*x = a, *y = b;

	if (x->track != y->track)
		return (x->track < y->track ? -1 : 1);
	return (x->channel - y->channel);
}

/*
 * The (track, channel) parts of a sequence, counting the notes that fit
 * kind k in n_pitched and their distinct onsets in n_onsets.  Notes are
 * sorted by start, so an onset is new when it differs from the part's
 * last one.
 */
static int
part_scan(const struct noteseq *s, enum part_kind k,
    struct convert_part **out)
{
	struct convert_part	*v;
	const struct note	*nt;
	double			*last;
	uint32_t		(*progs)[4];
	int			*idx, ntr = 0, n = 0, i, j;
	size_t			 m;
	double			 at;

	*out = NULL;
	for (m = 0; m < s->n; m++)
		if (s->notes[m].track >= ntr)
			ntr = s->notes[m].track + 1;
	if (s->n == 0 || ntr <= 0)
		return (0);
	idx = lr_calloc((size_t)ntr * 16, sizeof *idx);
	for (m = 0; m < s->n; m++) {
		nt = &s->notes[m];
		if (nt->track < 0 || nt->velocity <= 0)
			continue;
		j = nt->track * 16 + (nt->channel & 15);
		if (idx[j] == 0)
			idx[j] = ++n;
	}
	v = lr_calloc(n + 1, sizeof *v);
	for (j = 0; j < ntr * 16; j++)
		if (idx[j] != 0) {
			v[idx[j] - 1].track = j / 16;
			v[idx[j] - 1].channel = j % 16;
		}
	qsort(v, n, sizeof *v, cpart_cmp);
	for (i = 0; i < n; i++) {
		idx[v[i].track * 16 + v[i].channel] = i + 1;
		v[i].program = -1;
	}
	last = lr_calloc(n + 1, sizeof *last);
	progs = lr_calloc(n + 1, sizeof *progs);
	for (m = 0; m < s->n; m++) {
		nt = &s->notes[m];
		if (nt->track < 0 || nt->velocity <= 0)
			continue;
		i = idx[nt->track * 16 + (nt->channel & 15)] - 1;
		if (v[i].n_notes++ == 0)
			v[i].program = nt->program;
		j = nt->program & 127;
		if (!(progs[i][j / 32] & (1u << (j % 32)))) {
			progs[i][j / 32] |= 1u << (j % 32);
			v[i].programs++;
		}
		v[i].drum |= nt->drum;
		if (!note_fits(nt, k, -1, -1))
			continue;
		at = s->quantized ? nt->start_step : nt->start_s;
		if (v[i].n_pitched++ == 0 || at != last[i])
			v[i].n_onsets++;
		last[i] = at;
	}
	free(progs);
	free(last);
	free(idx);
	*out = v;
	return (n);
}

/*
 * The part (of track and on channel, where >= 0) a line of kind k comes
 * from: the most distinct onsets, then the most notes, then the first.
 */
static int
part_best(const struct convert_part *v, int n, int track, int channel)
{
	int	i, best = -1;

	for (i = 0; i < n; i++) {
		if (v[i].n_pitched == 0 || (track >= 0 &&
		    v[i].track != track) || (channel >= 0 &&
		    v[i].channel != channel))
			continue;
		if (best < 0 || v[i].n_onsets > v[best].n_onsets ||
		    (v[i].n_onsets == v[best].n_onsets &&
		    v[i].n_pitched > v[best].n_pitched))
			best = i;
	}
	return (best);
}

/* The (track, channel) of the best part of kind k; -1 if none. */
static int
best_part(const struct noteseq *s, enum part_kind k, int track,
    int channel, int *bt, int *bc)
{
	struct convert_part	*v;
	int			 n, i;

	n = part_scan(s, k, &v);
	i = part_best(v, n, track, channel);
	*bt = i >= 0 ? v[i].track : -1;
	*bc = i >= 0 ? v[i].channel : -1;
	free(v);
	return (i >= 0 ? 0 : -1);
}

int
convert_parts(const struct noteseq *s, struct convert_part **out, int *best)
{
	int	n;

	n = part_scan(s, PART_ANY_PITCHED, out);
	if (best != NULL)
		*best = part_best(*out, n, -1, -1);
	return (n);
}

static int
in_part(const struct note *nt, int track, int channel)
{
	return (nt->track == track && nt->channel == channel && !nt->drum &&
	    nt->velocity > 0);
}

int
convert_top_voice(struct noteseq *s, int track, int channel, int remove)
{
	unsigned char	*top;
	const struct note *nt;
	size_t		 i, k;
	int		 len = 1, t, under, n = 0;

	if (!s->quantized)
		return (0);
	for (i = 0; i < s->n; i++)
		if (in_part(&s->notes[i], track, channel) &&
		    s->notes[i].end_step >= len)
			len = s->notes[i].end_step + 1;
	/* top[t]: the highest pitch of the part sounding at step t, + 1. */
	top = lr_calloc(len, 1);
	for (i = 0; i < s->n; i++) {
		nt = &s->notes[i];
		if (!in_part(nt, track, channel))
			continue;
		for (t = nt->start_step < 0 ? 0 : nt->start_step;
		    t < nt->end_step; t++)
			if (nt->pitch + 1 > top[t])
				top[t] = nt->pitch + 1;
	}
	for (i = k = 0; i < s->n; i++) {
		nt = &s->notes[i];
		under = 0;
		if (in_part(nt, track, channel) && nt->start_step >= 0) {
			for (t = nt->start_step; t < nt->end_step; t++)
				under += top[t] > nt->pitch + 1;
			under = 2 * under >= (nt->end_step > nt->start_step ?
			    nt->end_step - nt->start_step : 1) && under > 0;
		}
		n += under;
		if (remove && !under)
			s->notes[k++] = *nt;
	}
	if (remove)
		s->n = k;
	free(top);
	return (n);
}

/* Melody or drums windows over every 16-step stretch. */
static void
windows_single(const struct noteseq *s, const struct convert_opts *o,
    struct windows *w)
{
	struct stretch	*st;
	struct part	 p;
	struct evlist	 e;
	int		 nst, i, k, idx, cap = 0, longest = 0, pieces = 0;
	int		 bad_num = 0, bad_den = 1, good_meter = 0, any = 0;
	int		 drums, gap_from, cut_to;

	drums = o->kind == CONVERT_DRUMS;
	if (drums) {
		w->track = o->track;
		w->channel = o->channel;
	} else if (best_part(s, PART_ANY_PITCHED, o->track, o->channel,
	    &w->track, &w->channel) != 0) {
		if (o->track >= 0 && o->channel >= 0)
			win_why(w, "track %d has no notes in %d..%d on "
			    "channel %d", o->track + 1, MEL_MIN_PITCH,
			    MEL_MAX_PITCH, o->channel + 1);
		else if (o->channel >= 0)
			win_why(w, "channel %d has no notes in %d..%d%s",
			    o->channel + 1, MEL_MIN_PITCH, MEL_MAX_PITCH,
			    o->channel == NOTESEQ_DRUM_CHANNEL ?
			    " (it is the drum channel)" : "");
		else if (o->track >= 0)
			win_why(w, "track %d has no notes in %d..%d outside "
			    "the drum channel", o->track + 1, MEL_MIN_PITCH,
			    MEL_MAX_PITCH);
		else
			win_why(w, "no notes in %d..%d outside the drum "
			    "channel", MEL_MIN_PITCH, MEL_MAX_PITCH);
		return;
	}
	memset(&e, 0, sizeof e);
	nst = stretches(s, &st);
	for (i = 0; i < nst; i++) {
		part_collect(s, drums ? PART_DRUMS : PART_ANY_PITCHED,
		    w->track, w->channel, st[i].from, st[i].to, &p);
		if (p.n == 0) {
			free(p.v);
			continue;
		}
		any = 1;
		if (!meter_ok(&st[i], !drums && o->two_four)) {
			bad_num = st[i].num;
			bad_den = st[i].den > 0 ? st[i].den : 1;
			win_refuse(w, REFUSE_METER, st[i].from, st[i].to,
			    st[i].num, st[i].den);
			free(p.v);
			continue;
		}
		good_meter++;
		idx = 0;
		while (idx < p.n) {
			idx = drums ? drums_extract(&p, idx, st[i].from,
			    GAP_STEPS, &e, &gap_from, &cut_to) :
			    melody_extract(&p, idx, st[i].from, st[i].to,
			    GAP_STEPS, &e, &gap_from, &cut_to);
			if (idx < 0 || e.len == 0)
				break;
			pieces++;
			if (e.len > longest)
				longest = e.len;
			if (e.len < w->steps) {
				w->n_refused++;
				win_refuse(w, REFUSE_SHORT, e.start, e.start +
				    e.len, 0, 0);
			}
			for (k = w->steps; k <= e.len; k += STEPS_PER_BAR)
				win_add(w, &cap, e.ev + k - w->steps,
				    e.start + k - w->steps);
			if (cut_to >= 0)
				win_refuse(w, REFUSE_LONG, e.start + e.len,
				    cut_to, 0, 0);
			if (gap_from >= 0 && idx < p.n)
				win_refuse(w, REFUSE_GAP, gap_from,
				    p.v[idx]->start_step, 0, 0);
		}
		free(p.v);
	}
	free(e.ev);
	free(st);
	if (w->n > 0)
		return;
	if (!any)
		win_why(w, drums ? "no drum notes" : "track %d has no notes "
		    "in %d..%d", w->track + 1, MEL_MIN_PITCH, MEL_MAX_PITCH);
	else if (good_meter == 0)
		win_why(w, "wrong meter: %d/%d gives %d steps per bar, the "
		    "model needs %d", bad_num, bad_den, 16 * bad_num /
		    bad_den, STEPS_PER_BAR);
	else if (pieces > 1)
		win_why(w, "too short: silences of a bar or more split the "
		    "%s into %d pieces, the longest %d steps; a window needs "
		    "%d", drums ? "drums" : "melody", pieces, longest,
		    w->steps);
	else
		win_why(w, "too short: the %s is %d steps, a window needs %d",
		    drums ? "drum track" : "melody", longest, w->steps);
}

/* Bars of a part that sound, with gaps up to TRIO_COVER_GAP filled. */
static void
cover_bars(const struct part *p, int base, int nbars, char *cov)
{
	int	i, b, last = -1, j;

	memset(cov, 0, (size_t)nbars);
	for (i = 0; i < p->n; i++)
		for (b = (p->v[i]->start_step - base) / STEPS_PER_BAR;
		    b < nbars && b * STEPS_PER_BAR + base <
		    p->v[i]->end_step; b++)
			if (b >= 0)
				cov[b] = 1;
	for (b = 0; b < nbars; b++) {
		if (!cov[b])
			continue;
		if (last >= 0 && b - last - 1 <= TRIO_COVER_GAP)
			for (j = last + 1; j < b; j++)
				cov[j] = 1;
		last = b;
	}
}

/* Trio: melody, bass and drums, each over the whole stretch. */
static void
windows_trio(const struct noteseq *s, const struct convert_opts *o,
    struct windows *w)
{
	struct stretch	*st;
	struct part	 p[3];
	struct evlist	 e[3];
	enum part_kind	 kinds[3] = { PART_MELODY, PART_BASS, PART_DRUMS };
	const char	*names[3] = { "melody", "bass", "drums" };
	int		 tracks[3], chans[3], nst, i, j, k, t, b, len, cap = 0;
	int		 ok, gap_from, cut_to;
	int		 missing = -1, metered = 0;
	char		*cov[3];
	int		*tok;

	/* The user's track/channel pin the melody; bass is found. */
	if (best_part(s, kinds[0], o->track, o->channel, &tracks[0],
	    &chans[0]) != 0) {
		tracks[0] = o->track;	/* none there: "no melody part" */
		chans[0] = o->channel;
	}
	(void)best_part(s, kinds[1], -1, -1, &tracks[1], &chans[1]);
	tracks[2] = chans[2] = -1;
	w->track = tracks[0];
	w->channel = chans[0];
	memset(e, 0, sizeof e);
	tok = lr_calloc((size_t)w->steps * 3, sizeof *tok);
	nst = stretches(s, &st);
	for (i = 0; i < nst; i++) {
		if (!meter_ok(&st[i], 0)) {
			win_refuse(w, REFUSE_METER, st[i].from, st[i].to,
			    st[i].num, st[i].den);
			continue;
		}
		metered++;
		for (j = 0; j < 3; j++)
			part_collect(s, kinds[j], tracks[j], chans[j],
			    st[i].from, st[i].to, &p[j]);
		len = st[i].to - st[i].from;
		len += (STEPS_PER_BAR - len % STEPS_PER_BAR) % STEPS_PER_BAR;
		if (len > MAX_STEPS_TRUNCATE)
			len = MAX_STEPS_TRUNCATE;
		ok = 1;
		for (j = 0; j < 3; j++) {
			cov[j] = lr_calloc(len / STEPS_PER_BAR + 1, 1);
			if (p[j].n == 0) {
				ok = 0;
				missing = j;
				continue;
			}
			if (j < 2) {
				melody_extract(&p[j], 0, st[i].from,
				    st[i].to, 0, &e[j], &gap_from, &cut_to);
				mel_set_length(&e[j], len);
			} else {
				drums_extract(&p[j], 0, st[i].from, 0, &e[j],
				    &gap_from, &cut_to);
				ev_resize(&e[j], len, 0);
			}
			e[j].len = len;
			cover_bars(&p[j], st[i].from, len / STEPS_PER_BAR,
			    cov[j]);
		}
		for (k = 0; ok && k + w->steps <= len; k += STEPS_PER_BAR) {
			for (b = k / STEPS_PER_BAR; b < (k + w->steps) /
			    STEPS_PER_BAR; b++)
				for (j = 0; j < 3; j++)
					if (!cov[j][b])
						goto skip;
			for (t = 0; t < w->steps; t++)
				for (j = 0; j < 3; j++)
					tok[t * 3 + j] = e[j].ev[k + t];
			win_add(w, &cap, tok, st[i].from + k);
			continue;
skip:
			w->n_refused++;
			win_refuse(w, REFUSE_TRIO, st[i].from + k,
			    st[i].from + k + w->steps, 0, 0);
		}
		if (!ok)
			win_refuse(w, REFUSE_TRIO, st[i].from, st[i].to, 0, 0);
		for (j = 0; j < 3; j++) {
			free(p[j].v);
			free(cov[j]);
		}
	}
	for (j = 0; j < 3; j++)
		free(e[j].ev);
	free(tok);
	free(st);
	if (w->n > 0)
		return;
	if (metered == 0)
		win_why(w, "wrong meter: no stretch in a meter of 16 steps "
		    "per bar");
	else if (missing >= 0)
		win_why(w, "no %s part (trio needs melody programs 0-31, bass "
		    "32-39 and drums)", names[missing]);
	else
		win_why(w, "too short: no %d-step stretch where melody, bass "
		    "and drums all play", w->steps);
}

int
convert_windows(const struct noteseq *s, const struct convert_opts *o,
    struct windows *w, char **cause)
{
	struct noteseq	 q;
	const struct noteseq *src = s;
	int		 rc = 0;

	windows_free(w);
	if (o->steps <= 0 || o->steps % STEPS_PER_BAR != 0 ||
	    o->steps > MAX_STEPS_TRUNCATE)
		return (lr_fail(cause, "bad window length %d (a multiple of "
		    "%d up to %d)", o->steps, STEPS_PER_BAR,
		    MAX_STEPS_TRUNCATE));
	if (o->kind != CONVERT_MELODY && o->kind != CONVERT_DRUMS &&
	    o->kind != CONVERT_TRIO)
		return (lr_fail(cause, "bad conversion kind %d", o->kind));
	if (o->track >= 0 && s->n_tracks > 0 && o->track >= s->n_tracks)
		return (lr_fail(cause, "no track %d (the file has %d)",
		    o->track, s->n_tracks));
	if (o->channel < -1 || o->channel > 15)
		return (lr_fail(cause, "bad channel %d (1..16)",
		    o->channel + 1));
	w->steps = o->steps;
	w->S = o->kind == CONVERT_TRIO ? 3 : 1;
	if (!s->quantized || s->steps_per_quarter !=
	    NOTESEQ_STEPS_PER_QUARTER) {
		noteseq_copy(&q, s);
		if (convert_quantize(&q, NOTESEQ_STEPS_PER_QUARTER,
		    cause) != 0) {
			noteseq_free(&q);
			return (-1);
		}
		src = &q;
	}
	if (src->n == 0)
		win_why(w, "no notes");
	else if (o->kind == CONVERT_TRIO)
		windows_trio(src, o, w);
	else
		windows_single(src, o, w);
	if (src == &q)
		noteseq_free(&q);
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Tokens back to notes. */

static void
seq_begin(struct noteseq *out, int steps, double qpm, int ntracks)
{
	static const char *names[3] = { "melody", "bass", "drums" };
	int	i;

	noteseq_free(out);
	noteseq_init(out);
	out->tempos[0].qpm = qpm > 0 ? qpm : LR_QPM_DEFAULT;
	out->quantized = 1;
	out->steps_per_quarter = NOTESEQ_STEPS_PER_QUARTER;
	out->total_steps = steps;
	out->total_s = steps * 60.0 / (out->tempos[0].qpm *
	    NOTESEQ_STEPS_PER_QUARTER);
	out->n_tracks = ntracks;
	out->track_names = lr_calloc(ntracks, sizeof *out->track_names);
	for (i = 0; i < ntracks; i++)
		out->track_names[i] = lr_strdup(ntracks == 1 ? "latentroll" :
		    names[i]);
	out->name = lr_strdup("latentroll");
}

static void
seq_note(struct noteseq *out, int pitch, int start, int end, int vel,
    int channel, int program, int track)
{
	struct note	*nt = noteseq_add(out);
	double		 sps = 60.0 / (out->tempos[0].qpm *
			    NOTESEQ_STEPS_PER_QUARTER);

	nt->pitch = pitch;
	nt->velocity = vel > 0 && vel < 128 ? vel : 80;
	nt->channel = channel;
	nt->program = program;
	nt->drum = channel == NOTESEQ_DRUM_CHANNEL;
	nt->track = track;
	nt->start_step = start;
	nt->end_step = end;
	nt->start_s = start * sps;
	nt->end_s = end * sps;
}

/*
 * Melody decode (spec B 1.2 end): NO_EVENT continues, NOTE_OFF ends the
 * current note, a pitch ends it and starts another, the end closes it.
 */
static void
melody_decode(struct noteseq *out, const int *tok, int stride, int steps,
    int vel, int channel, int program, int track)
{
	int	t, c, cur = -1, start = 0;

	for (t = 0; t < steps; t++) {
		c = tok[(size_t)t * stride];
		if (c <= MEL_NO_EVENT || c >= MEL_CLASSES)
			continue;
		if (cur >= 0)
			seq_note(out, cur, start, t, vel, channel, program,
			    track);
		cur = c == MEL_NOTE_OFF ? -1 : c + 19;
		start = t;
	}
	if (cur >= 0)
		seq_note(out, cur, start, steps, vel, channel, program, track);
}

static void
drums_decode(struct noteseq *out, const int *lab, int stride, int steps,
    int vel, int track)
{
	int	t, c, l;

	for (t = 0; t < steps; t++) {
		l = lab[(size_t)t * stride];
		if (l <= 0 || l >= DRUM_LABELS)
			continue;
		for (c = 0; c < DRUM_CLASSES; c++)
			if (l & (1 << c))
				seq_note(out, convert_drum_pitch(c), t, t + 1,
				    vel, NOTESEQ_DRUM_CHANNEL, 0, track);
	}
}

void
convert_melody_to_noteseq(const int *tokens, int steps, double qpm,
    int program, int velocity, struct noteseq *out)
{
	seq_begin(out, steps, qpm, 1);
	melody_decode(out, tokens, 1, steps, velocity, 0, program, 0);
	noteseq_sort(out);
}

void
convert_drums_to_noteseq(const int *labels, int steps, double qpm,
    int velocity, struct noteseq *out)
{
	seq_begin(out, steps, qpm, 1);
	drums_decode(out, labels, 1, steps, velocity, 0);
	noteseq_sort(out);
}

void
convert_trio_to_noteseq(const int *tokens, int steps, double qpm,
    int velocity, struct noteseq *out)
{
	seq_begin(out, steps, qpm, 3);
	melody_decode(out, tokens, 3, steps, velocity, 0, 0, 0);
	/* Bass on its own channel, program 33 as Magenta's Python. */
	melody_decode(out, tokens + 1, 3, steps, velocity, 1, 33, 1);
	drums_decode(out, tokens + 2, 3, steps, velocity, 2);
	noteseq_sort(out);
}
