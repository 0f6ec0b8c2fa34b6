/*
 * noteseq.h: the note sequence every module shares: notes with both clocks
 * (seconds and quantized steps), tempo map, time and key signatures.
 * A sequence is plain data; anyone may read it, its owner frees it.
 */
#ifndef LR_NOTESEQ_H
#define LR_NOTESEQ_H

#include <stddef.h>

#include "common.h"

#define NOTESEQ_STEPS_PER_QUARTER	4
#define NOTESEQ_DRUM_CHANNEL		9	/* 0-based: MIDI channel 10 */

struct note {
	int	pitch;		/* 0..127 */
	int	velocity;	/* 1..127 */
	int	channel;	/* 0..15 */
	int	program;	/* 0..127 */
	int	drum;		/* 1 if on the drum channel */
	int	track;		/* source track index in the file */
	double	start_s;	/* seconds */
	double	end_s;
	int	start_step;	/* quantized, valid when seq->quantized */
	int	end_step;	/* > start_step */
};

struct tempo_change {
	double	time_s;
	long	tick;		/* pulses in the source file, or -1 */
	double	qpm;		/* quarter notes per minute */
};

struct timesig_change {
	double	time_s;
	int	num;		/* 4 */
	int	den;		/* 4 */
};

struct keysig_change {
	double	time_s;
	int	key;		/* -7..7: flats negative, sharps positive */
	int	minor;		/* 0 major, 1 minor */
};

struct noteseq {
	struct note		*notes;		/* sorted by (start, -pitch) */
	size_t			 n, cap;

	struct tempo_change	*tempos;	/* at least one: 120 qpm at 0 */
	size_t			 n_tempos;
	struct timesig_change	*timesigs;	/* at least one: 4/4 at 0 */
	size_t			 n_timesigs;
	struct keysig_change	*keysigs;	/* may be empty */
	size_t			 n_keysigs;

	int			 n_tracks;	/* tracks in the source file */
	char			**track_names;	/* n_tracks entries, may be NULL */
	char			*name;		/* name for saving (track 0) */

	double			 total_s;	/* end of the last note/event */
	int			 quantized;	/* start_step/end_step valid */
	int			 steps_per_quarter;
	int			 total_steps;
};

void	noteseq_init(struct noteseq *s);
void	noteseq_free(struct noteseq *s);
/* Deep copy. */
void	noteseq_copy(struct noteseq *dst, const struct noteseq *src);
/* Append a note (keeps no order; call noteseq_sort after). */
struct note *noteseq_add(struct noteseq *s);
/* Sort notes by (start, -pitch). */
void	noteseq_sort(struct noteseq *s);
/* First tempo in qpm (120 if none). */
double	noteseq_qpm(const struct noteseq *s);

#endif
