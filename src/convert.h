/*
 * convert.h: note sequences <-> model tokens, exactly as spec
 * (../shared/spec/musicvae.md) B 1.1-1.4: quantization at 4 steps per
 * quarter, melody extraction, windows of 32/256 steps with a 1-bar hop,
 * melody (90 classes), drums (9 classes, 512-way labels), trio.
 * The only code that knows both notes and tokens.
 */
#ifndef LR_CONVERT_H
#define LR_CONVERT_H

#include "common/common.h"
#include "src/noteseq.h"

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

struct convert_opts {
	enum convert_kind	kind;
	int			track;	/* source track, -1: the non-drum track
					   with the most notes (melody) */
	int			channel; /* -1: any */
	int			steps;	/* window length: 32, 64 or 256 */
};

/*
 * Windows extracted from a sequence.  tokens is (n, steps, S) with S = 1
 * (melody class / drums label) or 3 (trio: melody, bass, drums).
 * start_step[i] is the window's first step in the quantized source.
 * When n == 0, why says (one line) why no window could be made: wrong
 * meter, too short, polyphonic gap, no notes in range...
 */
struct windows {
	int	 n;
	int	 steps;
	int	 S;
	int	*tokens;
	int	*start_step;
	int	 track;		/* track the melody came from */
	char	*why;		/* heap, or NULL */
	int	 n_refused;	/* windows refused (e.g. too many rests) */
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
