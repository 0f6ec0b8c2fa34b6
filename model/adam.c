/*
 * adam.c: gradient clipping and Adam over one float arena.
 */
#include "adam.h"

#include <math.h>
#include <string.h>

/* Clip by global norm; zero the gradient when it explodes (spec B 4). */
double
adam_clip(float *g, size_t n, float clip, float zero_at)
{
	double	ss = 0, norm;
	float	scale;
	size_t	i;

	/* Double accumulation: 4M squares in float would lose digits. */
	for (i = 0; i < n; i++)
		ss += (double)g[i] * g[i];
	norm = sqrt(ss);
	if (!isfinite(norm) || norm >= zero_at) {
		memset(g, 0, n * sizeof *g);
		return (norm);
	}
	if (norm > clip) {
		scale = (float)(clip / norm);
		for (i = 0; i < n; i++)
			g[i] *= scale;
	}
	return (norm);
}

/* TF's Adam: bias correction folded into the step size. */
void
adam_update(float *w, float *m, float *v, const float *g, size_t n, long t,
    float lr, float b1, float b2, float eps)
{
	double	lr_t;
	float	a, gi;
	size_t	i;

	lr_t = lr * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t));
	a = (float)lr_t;
	for (i = 0; i < n; i++) {
		gi = g[i];
		m[i] = b1 * m[i] + (1.0f - b1) * gi;
		v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
		w[i] -= a * m[i] / (sqrtf(v[i]) + eps);
	}
}
