/*
 * keylock.c: snap pitches to a scale.  Applied by src/app.c to the decoded
 * result before it is shown and played (the model itself is untouched, so
 * the measured attributes stay those of the model's output).
 */
#include "keylock.h"

#include <stdio.h>

/* Pitch classes of the major scale. */
static const int	major[12] = { 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1 };

int
keylock_in_scale(int root, int pc)
{
	return (major[((pc - root) % 12 + 12) % 12]);
}

int
keylock_pitch(int root, int pitch)
{
	int	d;

	if (keylock_in_scale(root, pitch % 12))
		return (pitch);
	/* Out-of-scale tones of a major scale are one semitone from a
	   scale tone on both sides; going down keeps within 0..127. */
	for (d = 1; d < 12; d++) {
		if (pitch - d >= 0 && keylock_in_scale(root, (pitch - d) % 12))
			return (pitch - d);
		if (pitch + d <= 127 && keylock_in_scale(root, (pitch + d) % 12))
			return (pitch + d);
	}
	return (pitch);
}

int
keylock_estimate(const struct noteseq *s)
{
	double	weight[12] = { 0 }, best = -1, sc;
	int	root, pc, best_root = 0, first = -1;
	size_t	i;

	if (s->n_keysigs > 0)	/* sharps: each one a fifth up */
		return (((s->keysigs[0].key * 7) % 12 + 12) % 12);
	for (i = 0; i < s->n; i++) {
		if (s->notes[i].drum)
			continue;
		weight[s->notes[i].pitch % 12] += s->notes[i].end_s -
		    s->notes[i].start_s;
		if (first < 0)
			first = s->notes[i].pitch % 12;
	}
	for (root = 0; root < 12; root++) {
		sc = 0;
		for (pc = 0; pc < 12; pc++)
			if (keylock_in_scale(root, pc))
				sc += weight[pc];
		if (sc > best + 1e-9 || (sc > best - 1e-9 && root == first)) {
			best = sc;
			best_root = root;
		}
	}
	return (best_root);
}

void
keylock_name(int root, char *buf, size_t len)
{
	static const char *names[12] = { "C", "Db", "D", "Eb", "E", "F",
	    "F#", "G", "Ab", "A", "Bb", "B" };

	snprintf(buf, len, "%s major", names[((root % 12) + 12) % 12]);
}
