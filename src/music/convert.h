/*
 * convert.h: note sequences <-> model tokens, exactly as spec
 * (../shared/spec/musicvae.md) B 1.1-1.4: quantization at 4 steps per
 * quarter, melody extraction, windows of 32/256 steps with a 1-bar hop,
 * melody (90 classes), drums (9 classes, 512-way labels), trio.
 * The only code that knows both notes and tokens.
 */
#ifndef LR_CONVERT_H
#define LR_CONVERT_H

#include "common.h"
#include "noteseq.h"

#define MEL_CLASSES	90
#define MEL_NO_EVENT	0
#define MEL_NOTE_OFF	1
#define MEL_MIN_PITCH	21
#define MEL_MAX_PITCH	108
#define DRUM_CLASSES	9
#define DRUM_LABELS	512
#define STEPS_PER_BAR	16

/* Quantize in place at steps_per_quarter (spec B 1.1). -1 if impossible. */
int	convert_quantize(struct noteseq *s, int steps_per_quarter,
	    char **cause) LR_WUR;

enum convert_kind {
	CONVERT_MELODY,
	CONVERT_DRUMS,
	CONVERT_TRIO,
};

/*
 * The melody comes from one part: the pitched notes of one (track,
 * channel), spec B 1.2's instrument.  track and channel (0-based) pin it;
 * -1 leaves the choice to the converter: the part (of that track or on
 * that channel, if one is given) with the most distinct onsets.
 */
struct convert_opts {
	enum convert_kind	kind;
	int			track;	/* source track or -1 */
	int			channel; /* 0..15 or -1 */
	int			steps;	/* window length: 32, 64 or 256 */
	/*
	 * Melodies in 2/4 (and 4/8) read as 4/4, two bars to one 16-step
	 * bar, bars counted from the start of the stretch.  Magenta drops
	 * them (spec B 1.3: 16 steps per bar); `train --two-four` takes them,
	 * since 932 of folk-abc's tunes are reels and polkas in 2/4 whose
	 * pairs of bars are 4/4 bars in all but the bar lines.
	 */
	int			two_four;
};

/* One (track, channel) of a sequence, for listing and choosing. */
struct convert_part {
	int	track;
	int	channel;	/* 0-based */
	int	program;	/* of its first note */
	int	programs;	/* distinct programs (program changes) */
	int	drum;		/* on the drum channel */
	int	n_notes;	/* every note */
	int	n_pitched;	/* notes a melody may use: 21..108, no drums */
	int	n_onsets;	/* distinct onsets of those */
};

/*
 * Every part with notes, sorted by (track, channel); *out is heap (NULL
 * when none).  best, if not NULL, is the index of the part a melody is
 * taken from by default, or -1.
 */
int	convert_parts(const struct noteseq *s, struct convert_part **out,
	    int *best);

/*
 * The notes of one part (track, channel; 0-based) of a quantized sequence
 * that sound under a higher note of the same part for at least half their
 * length: the lower voices of a chord or of a part written in several
 * voices.  A legato overlap (the next note starting a step before the last
 * one ends) is not one.  With remove, they are taken out of s, leaving the
 * top voice for melody extraction.  Returns how many there are.
 */
int	convert_top_voice(struct noteseq *s, int track, int channel,
	    int remove);

/*
 * A stretch of the source no window could be taken from, and why.
 * from/to are steps of the quantized source (to exclusive).
 */
enum convert_refusal {
	REFUSE_METER,		/* a meter without 16 steps per bar */
	REFUSE_SHORT,		/* a piece shorter than a window */
	REFUSE_GAP,		/* a bar or more of silence splits the part */
	REFUSE_LONG,		/* past 100 bars of one piece (max_bars) */
	REFUSE_TRIO,		/* trio: a part is silent in these bars */
};

struct convert_refused {
	enum convert_refusal	why;
	int			from, to;
	int			num, den;	/* REFUSE_METER */
};

/* One line, "steps 64-160: 8 bars of 3/4 (12 steps a bar, not 16)". */
void	convert_refused_str(const struct convert_refused *r, int steps,
	    char *buf, size_t len);

/*
 * Windows extracted from a sequence.  tokens is (n, steps, S) with S = 1
 * (melody class / drums label) or 3 (trio: melody, bass, drums).
 * start_step[i] is the window's first step in the quantized source.
 * When n == 0, why says (one line) why no window could be made: wrong
 * meter, too short, polyphonic gap, no notes in range...  Whatever n,
 * refused lists the stretches of the part that gave no window.
 */
struct windows {
	int	 n;
	int	 steps;
	int	 S;
	int	*tokens;
	int	*start_step;
	int	 track;		/* track the melody came from */
	int	 channel;	/* its channel, -1 if several (drums) */
	char	*why;		/* heap, or NULL */
	int	 n_refused;	/* pieces too short for a window */
	struct convert_refused *refused; /* every stretch refused, in order */
	int	 n_refusals;
};

void	windows_init(struct windows *w);
void	windows_free(struct windows *w);

/*
 * Extract every window of a (quantized or not; quantized here if needed)
 * sequence.  -1 only on a hard error (bad options); an unusable clip gives
 * 0 with w->n == 0 and w->why set.
 */
int	convert_windows(const struct noteseq *s, const struct convert_opts *o,
	    struct windows *w, char **cause) LR_WUR;

/*
 * Tokens back to notes: a quantized sequence at qpm with 4 steps per
 * quarter.  tokens is (steps, S) as above.  velocity 0 means 80.
 */
void	convert_melody_to_noteseq(const int *tokens, int steps, double qpm,
	    int program, int velocity, struct noteseq *out);
void	convert_drums_to_noteseq(const int *labels, int steps, double qpm,
	    int velocity, struct noteseq *out);
void	convert_trio_to_noteseq(const int *tokens, int steps, double qpm,
	    int velocity, struct noteseq *out);

/* Drum pitch -> class (magenta.js table), -1 if unmapped; class -> pitch. */
int	convert_drum_class(int pitch);
int	convert_drum_pitch(int cls);

#endif
