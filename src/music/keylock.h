/*
 * keylock.h: the key/scale lock post-filter of the instrument's output:
 * every pitch outside the major scale of a root (or its relative minor,
 * the same pitch set) moves to the nearest scale tone, down on a tie.
 */
#ifndef LR_KEYLOCK_H
#define LR_KEYLOCK_H

#include "noteseq.h"

/* 1 if pitch class pc is in the major scale of root (0 = C). */
int	keylock_in_scale(int root, int pc);
/* The pitch snapped into the scale of root. */
int	keylock_pitch(int root, int pitch);
/*
 * The major-scale root that fits a sequence best: its key signature when
 * it has one, else the root whose scale holds the most note time (ties to
 * the root of the first note's pitch class, then to the lowest root).
 */
int	keylock_estimate(const struct noteseq *s);
/* "G major" style name of a root into buf. */
void	keylock_name(int root, char *buf, size_t len);

#endif
