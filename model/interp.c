/*
 * interp.c: paths in latent space: slerp (Magenta Python), lerp
 * (magenta.js), and the "similar" jitter.  Computed in double; endpoints
 * are copied, so t = 0 and t = 1 give a and b bit for bit.
 */
#include "vae.h"

#include <math.h>
#include <string.h>

/* One point at t in [0, 1]. */
void
vae_interp_point(float *out, const float *a, const float *b, int Z, float t,
    enum vae_interp_kind kind)
{
	double	na = 0, nb = 0, dot = 0, om, so, wa, wb;
	int	i;

	if (t == 0.0f) {
		memmove(out, a, (size_t)Z * sizeof *out);
		return;
	}
	if (t == 1.0f) {
		memmove(out, b, (size_t)Z * sizeof *out);
		return;
	}
	wa = 1.0 - t;
	wb = t;
	if (kind == VAE_SLERP) {
		for (i = 0; i < Z; i++) {
			na += (double)a[i] * a[i];
			nb += (double)b[i] * b[i];
			dot += (double)a[i] * b[i];
		}
		/*
		 * The angle between the directions; (anti)parallel or zero
		 * vectors have no plane to rotate in, so fall back to lerp
		 * there (Python would return NaN).
		 */
		if (na > 0 && nb > 0) {
			dot /= sqrt(na) * sqrt(nb);
			dot = dot > 1 ? 1 : dot < -1 ? -1 : dot;
			om = acos(dot);
			so = sin(om);
			if (so > 1e-6) {
				wa = sin((1.0 - t) * om) / so;
				wb = sin(t * om) / so;
			}
		}
	}
	for (i = 0; i < Z; i++)
		out[i] = (float)(wa * a[i] + wb * b[i]);
}

/* n points from a to b inclusive: t_i = i / (n - 1). */
void
vae_interpolate(float *out, const float *a, const float *b, int Z, int n,
    enum vae_interp_kind kind)
{
	int	i;

	for (i = 0; i < n; i++)
		vae_interp_point(out + (size_t)i * Z, a, b, Z,
		    n == 1 ? 0.0f : i == n - 1 ? 1.0f :
		    (float)((double)i / (n - 1)), kind);
}

/* z' = s z + (1 - s) eps, eps ~ N(0, I). */
void
vae_similar(float *out, const float *z, int Z, float s, struct rng *rng)
{
	int	i;

	for (i = 0; i < Z; i++)
		out[i] = s * z[i] + (1.0f - s) * rng_normal(rng);
}
