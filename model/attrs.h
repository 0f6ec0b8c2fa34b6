/*
 * attrs.h: musical attributes of a decoded token sequence, and attribute
 * vectors in latent space (Roberts et al. 2018, section 5.4; spec Part A).
 * The same code measures training windows (to build vectors) and the live
 * result in the instrument (so the user sees a nudge worked).
 * Tokens and floats only.
 */
#ifndef LR_ATTRS_H
#define LR_ATTRS_H

#include "params.h"

enum attr_id {
	ATTR_C_DIATONIC,	/* share of notes whose pitch class is in C major */
	ATTR_NOTE_DENSITY,	/* note onsets per step */
	ATTR_AVG_INTERVAL,	/* mean |interval| between successive notes, semitones */
	ATTR_SYNC_16TH,		/* share of onsets on an off-beat 16th */
	ATTR_SYNC_8TH,		/* share of onsets on an off-beat 8th */
	ATTR_NOTE_LENGTH,	/* mean note length in steps */
	ATTR_REGISTER,		/* mean pitch (MIDI number) */
	ATTR_N
};

/* Name as used in attribute_vecs.json ("note_density", ...). */
const char	*attrs_name(int i);
/* Index of a name, or -1. */
int		 attrs_find(const char *name);

/*
 * Measure every attribute of one token sequence (T, S) of architecture a.
 * Melody: the class tokens; trio: its melody split; drums: onsets are
 * steps with any hit (pitch-based attributes are 0).  Returns the number of
 * notes found; with no notes every attribute is 0.
 */
int	attrs_measure(const struct vae_arch *a, const int *tokens,
	    float out[ATTR_N]);

/*
 * Bars of the first split (the melody) of one token sequence (T, S): a
 * bar is T / num_segments steps (16 for a flat model).  Returns how many
 * distinct bars there are; *all_same is 1 when every bar equals the
 * first (a loop of one bar).
 */
int	attrs_bars(const struct vae_arch *a, const int *tokens, int *all_same);

/*
 * Attribute vectors: for each attribute, mean mu of the windows in the top
 * quartile of that attribute minus mean mu of the bottom quartile.
 * mu (N, Z), vals (N, ATTR_N) -> vecs (ATTR_N, Z).  Windows are ranked by
 * value with ties broken by index.  Where the two quartiles share a value
 * (most windows tie there), the ends are the windows beyond that value and
 * all the windows at it; an attribute with one value gets a zero vector.
 * -1 if N < 4.
 */
int	attrs_vectors(float *vecs, const float *mu, const float *vals, int N,
	    int Z, char **cause) LR_WUR;

/* Mean and standard deviation (over N) of each attribute; vals (N,
   ATTR_N). */
void	attrs_moments(const float *vals, int N, double mean[ATTR_N],
	    double sd[ATTR_N]);

/*
 * Partial attribute vectors: mu regressed on all the attributes at once
 * (least squares, standardized attributes and an intercept), so each
 * vector is the move in mu that goes with its attribute while the others
 * stay where they are; scaled to the same top-minus-bottom quartile gap
 * of its attribute as attrs_vectors.  Where attributes move together in
 * the data (denser melodies have more off-beat onsets), the quartile
 * vector carries the others along; this one does not, as far as a linear
 * fit of mu can tell.  A constant attribute gets a zero vector.  -1 if
 * N < 80 (ten windows per coefficient) or an attribute is (nearly) a
 * linear function of the others.
 */
int	attrs_vectors_partial(float *vecs, const float *mu, const float *vals,
	    int N, int Z, char **cause) LR_WUR;

/*
 * Calibrated vectors: each vector mixed with the others so that, to first
 * order, it moves its own attribute as much as before and no other.
 * eff[k][j] is the measured change of attribute j (in its standard
 * deviations) when vector k is added to every window's mu; the mix C
 * solves C eff = diag(eff) over the attributes whose own effect is at
 * least ATTRS_MIN_EFFECT (the others are copied), and out_i = sum_k
 * C[i][k] vecs_k.  Decodes are argmax and not linear, so the result must
 * be measured again.  gain[k] is the mix's length over its vector's (0:
 * not mixed, its own effect too small); a mix longer than max_gain
 * times its vector is dropped (the vector is copied).
 * -1 if the effects are linearly dependent.
 */
#define ATTRS_MIN_EFFECT	0.05
int	attrs_calibrate(float *out, const float *vecs,
	    const double eff[ATTR_N][ATTR_N], int Z, double max_gain,
	    double gain[ATTR_N], char **cause) LR_WUR;

#endif
