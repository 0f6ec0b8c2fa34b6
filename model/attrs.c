/*
 * attrs.c: attribute measurement and attribute vectors.
 *
 * Definitions (one sequence of T steps, 16 steps per bar, 4 per beat):
 *   c_diatonic    notes with pitch class in {C D E F G A B} / notes
 *   note_density  onsets / T
 *   avg_interval  mean |p[k+1] - p[k]| over successive onsets
 *   sync_16th     onsets at odd steps (between 8ths) / onsets
 *   sync_8th      onsets at steps = 2 mod 4 (off-beat 8ths) / onsets
 *   note_length   mean note length in steps (onset to its note off, the
 *                 next onset or the end): held notes against short ones,
 *                 the paper's own example of an attribute
 *   register      mean pitch
 * The paper used the first five; note_length and register are ours.
 * (note_length replaced legato, length over the time to the next onset,
 * which monophonic folk tunes hold at 1.0: the data barely varied it.)
 */
#include "attrs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"

static const char *attr_names[ATTR_N] = {
	"c_diatonic",
	"note_density",
	"avg_interval",
	"sync_16th",
	"sync_8th",
	"note_length",
	"register",
};

const char *
attrs_name(int i)
{
	if (i < 0 || i >= ATTR_N)
		return ("?");
	return (attr_names[i]);
}

int
attrs_find(const char *name)
{
	int	i;

	for (i = 0; i < ATTR_N; i++)
		if (strcmp(attr_names[i], name) == 0)
			return (i);
	return (-1);
}

/* Melody class tokens: 0 no event, 1 note off, 2..89 pitch 21..108. */
static int
measure_melody(const int *tok, int T, int stride, float *out)
{
	int	t, n = 0, in_c = 0, last_pitch = -1, n_int = 0;
	int	on16 = 0, on8 = 0, start = -1;
	double	sum_int = 0, sum_pitch = 0, sum_len = 0;
	int	n_len = 0;

	for (t = 0; t <= T; t++) {
		int c = t < T ? tok[(size_t)t * stride] : 1;

		if (c == 0)
			continue;
		/* A note off or a new note ends the sounding note. */
		if (start >= 0) {
			sum_len += t - start;
			n_len++;
			start = -1;
		}
		if (c >= 2 && t < T) {
			int p = c - 2 + 21;

			n++;
			switch (p % 12) {
			case 0: case 2: case 4: case 5: case 7: case 9: case 11:
				in_c++;
			}
			if (last_pitch >= 0) {
				sum_int += abs(p - last_pitch);
				n_int++;
			}
			last_pitch = p;
			sum_pitch += p;
			if (t % 2 == 1)
				on16++;
			if (t % 4 == 2)
				on8++;
			start = t;
		}
	}
	memset(out, 0, ATTR_N * sizeof *out);
	if (n == 0)
		return (0);
	out[ATTR_C_DIATONIC] = (float)in_c / n;
	out[ATTR_NOTE_DENSITY] = (float)n / T;
	out[ATTR_AVG_INTERVAL] = n_int > 0 ? (float)(sum_int / n_int) : 0;
	out[ATTR_SYNC_16TH] = (float)on16 / n;
	out[ATTR_SYNC_8TH] = (float)on8 / n;
	out[ATTR_NOTE_LENGTH] = n_len > 0 ? (float)(sum_len / n_len) : 0;
	out[ATTR_REGISTER] = (float)(sum_pitch / n);
	return (n);
}

/* Drum labels: a step with any hit is an onset. */
static int
measure_drums(const int *tok, int T, int stride, float *out)
{
	int	t, n = 0, on16 = 0, on8 = 0;

	memset(out, 0, ATTR_N * sizeof *out);
	for (t = 0; t < T; t++) {
		if (tok[(size_t)t * stride] == 0)
			continue;
		n++;
		if (t % 2 == 1)
			on16++;
		if (t % 4 == 2)
			on8++;
	}
	if (n == 0)
		return (0);
	out[ATTR_NOTE_DENSITY] = (float)n / T;
	out[ATTR_SYNC_16TH] = (float)on16 / n;
	out[ATTR_SYNC_8TH] = (float)on8 / n;
	return (n);
}

/* Measure every attribute of one token sequence (T, S). */
int
attrs_measure(const struct vae_arch *a, const int *tokens, float out[ATTR_N])
{
	int	S = a->n_splits;

	if (a->kind == VAE_DRUMS)
		return (measure_drums(tokens, a->num_steps, S, out));
	return (measure_melody(tokens, a->num_steps, S, out));
}

struct ranked {
	float	v;
	int	i;
};

static int
cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (a->v < b->v)
		return (-1);
	if (a->v > b->v)
		return (1);
	return (a->i - b->i);
}

/* v += sign * mean of mu over the ranked windows [s, e). */
static void
add_mean(float *v, const float *mu, const struct ranked *r, int s, int e,
    int Z, float sign)
{
	int	i, j;

	for (i = s; i < e; i++) {
		const float *m = mu + (size_t)r[i].i * Z;

		for (j = 0; j < Z; j++)
			v[j] += sign * m[j] / (e - s);
	}
}

/*
 * Top-quartile mean mu minus bottom-quartile mean mu, per attribute.
 * Where the quartiles share a value t (most windows tie there: sync_16th
 * is 0 in ~83% of 2-bar windows), a quartile's windows at t are no higher
 * (or lower) than the other's: each end is the windows beyond t on its
 * side, and where none lie beyond (t is the lowest value, or the
 * highest), that end is every window at t.  So sync_16th's vector is the
 * windows above 0 minus those at 0, not a top quartile one third zeros.
 * An attribute with one value gets a zero vector.
 */
int
attrs_vectors(float *vecs, const float *mu, const float *vals, int N, int Z,
    char **cause)
{
	struct ranked	*r;
	float		 t;
	int		 k, i, q, lo, hi, a, b;

	if (N < 4)
		return (lr_fail(cause, "%d windows: need at least 4 for "
		    "quartiles", N));
	q = N / 4;
	r = lr_malloc((size_t)N * sizeof *r);
	for (k = 0; k < ATTR_N; k++) {
		float *v = vecs + (size_t)k * Z;

		for (i = 0; i < N; i++) {
			r[i].v = vals[(size_t)i * ATTR_N + k];
			r[i].i = i;
		}
		qsort(r, N, sizeof *r, cmp_ranked);
		memset(v, 0, (size_t)Z * sizeof *v);
		/* Bottom [0, lo), top [hi, N). */
		lo = q;
		hi = N - q;
		if (r[q - 1].v == r[N - q].v) {
			t = r[q - 1].v;
			for (a = q - 1; a > 0 && r[a - 1].v == t; a--)
				;
			for (b = N - q; b < N && r[b].v == t; b++)
				;
			if (a == 0 && b == N)
				continue;
			lo = a > 0 ? a : b;
			hi = b < N ? b : a;
		}
		add_mean(v, mu, r, hi, N, Z, 1.0f);
		add_mean(v, mu, r, 0, lo, Z, -1.0f);
	}
	free(r);
	return (0);
}

void
attrs_moments(const float *vals, int N, double mean[ATTR_N],
    double sd[ATTR_N])
{
	double	d;
	int	i, k;

	for (k = 0; k < ATTR_N; k++)
		mean[k] = sd[k] = 0;
	for (i = 0; i < N; i++)
		for (k = 0; k < ATTR_N; k++)
			mean[k] += vals[(size_t)i * ATTR_N + k] / N;
	for (i = 0; i < N; i++)
		for (k = 0; k < ATTR_N; k++) {
			d = vals[(size_t)i * ATTR_N + k] - mean[k];
			sd[k] += d * d / N;
		}
	for (k = 0; k < ATTR_N; k++)
		sd[k] = sqrt(sd[k]);
}

int
attrs_vectors_partial(float *vecs, const float *mu, const float *vals,
    int N, int Z, char **cause)
{
	enum { P = ATTR_N + 1 };	/* intercept, then the attributes */
	float	 gap[ATTR_N * ATTR_N], G[P * P], diag[P], *A, *W;
	double	 mean[ATTR_N], sd[ATTR_N], d;
	int	 i, j, k, rc;

	/* Ten windows per coefficient at least: fewer fit noise. */
	if (N < 10 * P)
		return (lr_fail(cause, "%d windows: a partial fit of %d "
		    "coefficients needs at least %d", N, P, 10 * P));
	if (attrs_vectors(gap, vals, vals, N, ATTR_N, cause) != 0)
		return (-1);
	attrs_moments(vals, N, mean, sd);
	A = lr_malloc((size_t)N * P * sizeof *A);
	W = lr_malloc((size_t)Z * P * sizeof *W);
	for (i = 0; i < N; i++) {
		A[(size_t)i * P] = 1;
		for (k = 0; k < ATTR_N; k++)
			A[(size_t)i * P + 1 + k] = sd[k] > 0 ?
			    (float)((vals[(size_t)i * ATTR_N + k] - mean[k]) /
			    sd[k]) : 0;
	}
	/* Normal equations: (A^T A) W = A^T mu, one right-hand side per
	   latent dimension (rows of W = mu^T A). */
	linalg_gemm(1, 0, P, P, N, A, P, A, P, 0.0f, G, P);
	for (k = 0; k < ATTR_N; k++)
		if (!(sd[k] > 0))
			G[(1 + k) * P + 1 + k] = 1;	/* its column is 0 */
	linalg_gemm(1, 0, Z, P, N, mu, Z, A, P, 0.0f, W, P);
	for (k = 0; k < P; k++)
		diag[k] = G[k * P + k];
	rc = linalg_solve_spd(P, Z, G, W);
	/*
	 * The factor's pivots: one that lost all but 1e-4 of its column's
	 * own size is an attribute the others nearly determine (in float,
	 * Cholesky may still pass it), and its coefficients are noise.
	 */
	for (k = 0; rc == 0 && k < P; k++)
		if ((double)G[k * P + k] * G[k * P + k] < 1e-4 * diag[k])
			rc = -1;
	if (rc != 0)
		(void)lr_fail(cause, "attribute fit: the attributes of the %d "
		    "windows are (nearly) linearly dependent", N);
	for (k = 0; rc == 0 && k < ATTR_N; k++) {
		/* Its quartile gap, in its standard deviations. */
		d = sd[k] > 0 ? gap[k * ATTR_N + k] / sd[k] : 0;
		for (j = 0; j < Z; j++)
			vecs[(size_t)k * Z + j] = (float)(d *
			    W[(size_t)j * P + 1 + k]);
	}
	free(A);
	free(W);
	return (rc);
}

int
attrs_calibrate(float *out, const float *vecs, const double eff[ATTR_N][ATTR_N],
    int Z, double max_gain, double gain[ATTR_N], char **cause)
{
	float	 A[ATTR_N * ATTR_N], C[ATTR_N * ATTR_N];
	double	 n0, n1, x;
	int	 S[ATTR_N], m = 0, i, j, k;

	for (k = 0; k < ATTR_N; k++) {
		gain[k] = 0;
		if (fabs(eff[k][k]) >= ATTRS_MIN_EFFECT)
			S[m++] = k;
	}
	memcpy(out, vecs, (size_t)ATTR_N * Z * sizeof *out);
	if (m == 0)
		return (0);
	/*
	 * Row i of C solves sum_k C[i][k] eff[k][j] = (i == j) eff[i][i]
	 * over the attributes in S: E^T c_i = eff[i][i] e_i, so A is E^T
	 * (row-major) and the right-hand sides are the rows of diag(eff).
	 */
	for (j = 0; j < m; j++)
		for (k = 0; k < m; k++) {
			A[j * m + k] = (float)eff[S[k]][S[j]];
			C[j * m + k] = j == k ? (float)eff[S[j]][S[j]] : 0;
		}
	if (linalg_solve(m, m, A, C) != 0)
		return (lr_fail(cause, "attribute calibration: the vectors' "
		    "effects are linearly dependent"));
	for (i = 0; i < m; i++) {
		float	*o = out + (size_t)S[i] * Z;

		n0 = n1 = 0;
		for (j = 0; j < Z; j++) {
			x = 0;
			for (k = 0; k < m; k++)
				x += (double)C[i * m + k] *
				    vecs[(size_t)S[k] * Z + j];
			o[j] = (float)x;
			n1 += x * x;
			x = vecs[(size_t)S[i] * Z + j];
			n0 += x * x;
		}
		/* A mix that asks for a much longer move than the vector
		   itself leaves the region the effects were measured in. */
		gain[S[i]] = n0 > 0 ? sqrt(n1 / n0) : INFINITY;
		if (!(gain[S[i]] <= max_gain))
			memcpy(o, vecs + (size_t)S[i] * Z,
			    (size_t)Z * sizeof *o);
	}
	return (0);
}

int
attrs_bars(const struct vae_arch *a, const int *tokens, int *all_same)
{
	int	T = a->num_steps, S = a->n_splits, bar, nb, i, j, t, distinct;
	int	same;

	bar = a->num_segments > 0 ? T / a->num_segments : 16;
	if (bar <= 0 || T % bar != 0)
		bar = T;
	nb = T / bar;
	distinct = 0;
	*all_same = 1;
	for (i = 0; i < nb; i++) {
		same = 0;
		for (j = 0; j < i && !same; j++) {
			same = 1;
			for (t = 0; t < bar && same; t++)
				same = tokens[(size_t)(i * bar + t) * S] ==
				    tokens[(size_t)(j * bar + t) * S];
		}
		distinct += !same;
		/* Bar i repeats bar 0? */
		for (t = 0; t < bar && i > 0; t++)
			if (tokens[(size_t)(i * bar + t) * S] !=
			    tokens[(size_t)t * S]) {
				*all_same = 0;
				break;
			}
	}
	return (distinct);
}
