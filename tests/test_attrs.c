/*
 * test_attrs.c: attribute measurement on hand-made token sequences, and
 * attribute vectors on synthetic latent codes.
 */
#include "attrs.h"

#include <stdint.h>
#include <string.h>

#include "test.h"

#define MEL(p)	((p) - 21 + 2)

static struct vae_arch
mel_arch(int T)
{
	struct vae_arch	a;

	memset(&a, 0, sizeof a);
	a.kind = VAE_MELODY;
	a.num_steps = T;
	a.n_splits = 1;
	return (a);
}

/* C major quarter notes C D E F G A B C, each held 3 steps, 1 rest. */
static void
test_scale(void)
{
	struct vae_arch	a = mel_arch(32);
	int		tok[32] = { 0 }, p[8] = { 60, 62, 64, 65, 67, 69, 71, 72 };
	float		v[ATTR_N];
	int		k, n;

	for (k = 0; k < 8; k++) {
		tok[4 * k] = MEL(p[k]);
		tok[4 * k + 3] = 1;	/* note off after 3 steps */
	}
	n = attrs_measure(&a, tok, v);
	CHECK(n == 8);
	CHECK(fabsf(v[ATTR_C_DIATONIC] - 1.0f) < 1e-6);
	CHECK(fabsf(v[ATTR_NOTE_DENSITY] - 8.0f / 32) < 1e-6);
	/* intervals 2 2 1 2 2 2 1 -> 12/7 */
	CHECK(fabsf(v[ATTR_AVG_INTERVAL] - 12.0f / 7) < 1e-5);
	CHECK(v[ATTR_SYNC_16TH] == 0.0f);
	CHECK(v[ATTR_SYNC_8TH] == 0.0f);
	CHECK(fabsf(v[ATTR_NOTE_LENGTH] - 3.0f) < 1e-6);
	CHECK(fabsf(v[ATTR_REGISTER] - (60 + 62 + 64 + 65 + 67 + 69 + 71 +
	    72) / 8.0f) < 1e-4);
}

/* Syncopated, chromatic line, its notes 1, 4 and 10 steps long. */
static void
test_syncopated(void)
{
	struct vae_arch	a = mel_arch(16);
	int		tok[16] = { 0 };
	float		v[ATTR_N];

	tok[1] = MEL(61);	/* odd 16th */
	tok[2] = MEL(63);	/* off-beat 8th */
	tok[6] = MEL(66);	/* off-beat 8th, held to the end */
	CHECK(attrs_measure(&a, tok, v) == 3);
	CHECK(fabsf(v[ATTR_C_DIATONIC] - 0.0f) < 1e-6);
	CHECK(fabsf(v[ATTR_SYNC_16TH] - 1.0f / 3) < 1e-6);
	CHECK(fabsf(v[ATTR_SYNC_8TH] - 2.0f / 3) < 1e-6);
	CHECK(fabsf(v[ATTR_NOTE_LENGTH] - 5.0f) < 1e-6);
	CHECK(fabsf(v[ATTR_AVG_INTERVAL] - 2.5f) < 1e-6);
}

static void
test_empty_and_drums(void)
{
	struct vae_arch	a = mel_arch(32);
	int		tok[32] = { 0 };
	float		v[ATTR_N];
	int		k;

	CHECK(attrs_measure(&a, tok, v) == 0);
	for (k = 0; k < ATTR_N; k++)
		CHECK(v[k] == 0.0f);
	a.kind = VAE_DRUMS;
	tok[0] = 1;
	tok[4] = 3;
	tok[6] = 2;
	tok[9] = 5;
	CHECK(attrs_measure(&a, tok, v) == 4);
	CHECK(fabsf(v[ATTR_NOTE_DENSITY] - 4.0f / 32) < 1e-6);
	CHECK(fabsf(v[ATTR_SYNC_16TH] - 0.25f) < 1e-6);
	CHECK(fabsf(v[ATTR_SYNC_8TH] - 0.25f) < 1e-6);
	CHECK(v[ATTR_REGISTER] == 0.0f);
}

static void
test_names(void)
{
	int	k;

	for (k = 0; k < ATTR_N; k++)
		CHECK(attrs_find(attrs_name(k)) == k);
	CHECK(attrs_find("nope") == -1);
	CHECK(strcmp(attrs_name(ATTR_NOTE_DENSITY), "note_density") == 0);
}

/* mu[0] tracks attribute 1 exactly: the vector must point along dim 0. */
static void
test_vectors(void)
{
	enum { N = 40, Z = 3 };
	float	mu[N * Z], vals[N * ATTR_N], vecs[ATTR_N * Z];
	char	*cause = NULL;
	int	i;

	memset(vals, 0, sizeof vals);
	for (i = 0; i < N; i++) {
		vals[i * ATTR_N + ATTR_NOTE_DENSITY] = (float)i;
		mu[i * Z + 0] = (float)i;
		mu[i * Z + 1] = 5.0f;
		mu[i * Z + 2] = (i % 2) ? 1.0f : -1.0f;
	}
	CHECK(attrs_vectors(vecs, mu, vals, N, Z, &cause) == 0);
	/* top 10 mean 34.5, bottom 10 mean 4.5 */
	CHECK(fabsf(vecs[ATTR_NOTE_DENSITY * Z + 0] - 30.0f) < 1e-4);
	CHECK(fabsf(vecs[ATTR_NOTE_DENSITY * Z + 1]) < 1e-5);
	CHECK(fabsf(vecs[ATTR_NOTE_DENSITY * Z + 2]) < 1e-5);
	CHECK(attrs_vectors(vecs, mu, vals, 3, Z, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "at least 4") != NULL);
	free(cause);

	/*
	 * Ties (sync_16th's case): 6 of 40 windows at 1, the rest at 0.  The
	 * top quartile (10) would hold 4 zeros: the ends are the six ones and
	 * all 34 zeros, so the vector is 1 on dim 0, not 0.6.  An attribute
	 * at 0 everywhere gets a zero vector.
	 */
	for (i = 0; i < N; i++) {
		vals[i * ATTR_N + ATTR_SYNC_16TH] = (i % 7 == 3) ? 1.0f : 0.0f;
		mu[i * Z + 0] = vals[i * ATTR_N + ATTR_SYNC_16TH];
	}
	CHECK(attrs_vectors(vecs, mu, vals, N, Z, &cause) == 0);
	CHECK_MSG(fabsf(vecs[ATTR_SYNC_16TH * Z + 0] - 1.0f) < 1e-5f &&
	    fabsf(vecs[ATTR_SYNC_16TH * Z + 1]) < 1e-5f, "tied: %.4f %.4f",
	    vecs[ATTR_SYNC_16TH * Z + 0], vecs[ATTR_SYNC_16TH * Z + 1]);
	for (i = 0; i < Z; i++)
		CHECK(vecs[ATTR_REGISTER * Z + i] == 0.0f);
}

/*
 * Two attributes that move together: density a, sync_8th a + b.  mu[0]
 * is a, mu[1] is b, mu[2] a constant.  The quartile vector of sync_8th
 * carries density along (mu[0]); the partial one moves b alone, by
 * sync_8th's own quartile gap, and density's moves a against b (sync_8th
 * held).  A constant attribute gets a zero vector.
 */
static void
test_partial(void)
{
	enum { N = 400, Z = 3 };
	static float	mu[N * Z], vals[N * ATTR_N];
	float		qv[ATTR_N * Z], pv[ATTR_N * Z], gap[ATTR_N * ATTR_N];
	uint32_t	x = 12345;
	float		a, b, g;
	char		*cause = NULL;
	int		i, k, s8 = ATTR_SYNC_8TH, nd = ATTR_NOTE_DENSITY;

	memset(vals, 0, sizeof vals);
	for (i = 0; i < N; i++) {
		x = x * 1664525u + 1013904223u;
		a = (float)(x >> 8) / (float)(1u << 24);
		x = x * 1664525u + 1013904223u;
		b = 0.3f * (float)(x >> 8) / (float)(1u << 24);
		vals[i * ATTR_N + nd] = a;
		vals[i * ATTR_N + s8] = a + b;
		mu[i * Z + 0] = a;
		mu[i * Z + 1] = b;
		mu[i * Z + 2] = 7.0f;
	}
	CHECK(attrs_vectors(qv, mu, vals, N, Z, &cause) == 0);
	CHECK(attrs_vectors_partial(pv, mu, vals, N, Z, &cause) == 0);
	CHECK(attrs_vectors(gap, vals, vals, N, ATTR_N, &cause) == 0);
	g = gap[s8 * ATTR_N + s8];
	/* The paper's vector: sync_8th's top quartile is denser too. */
	CHECK_MSG(qv[s8 * Z + 0] > 0.5f * g, "quartile sync_8th %.4f %.4f",
	    qv[s8 * Z + 0], qv[s8 * Z + 1]);
	/* The partial one: b by sync_8th's gap, nothing else. */
	CHECK_MSG(fabsf(pv[s8 * Z + 0]) < 1e-3f * g &&
	    fabsf(pv[s8 * Z + 1] - g) < 1e-3f * g &&
	    fabsf(pv[s8 * Z + 2]) < 1e-3f * g, "partial sync_8th %.5f %.5f "
	    "%.5f, gap %.5f", pv[s8 * Z + 0], pv[s8 * Z + 1], pv[s8 * Z + 2],
	    g);
	CHECK_MSG(pv[nd * Z + 0] > 0 && fabsf(pv[nd * Z + 0] +
	    pv[nd * Z + 1]) < 1e-3f * pv[nd * Z + 0], "partial density %.5f "
	    "%.5f", pv[nd * Z + 0], pv[nd * Z + 1]);
	for (k = 0; k < Z; k++)
		CHECK(pv[ATTR_C_DIATONIC * Z + k] == 0.0f);
	/* Too few windows for eight coefficients: a cause, no vectors. */
	CHECK(attrs_vectors_partial(pv, mu, vals, 79, Z, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "at least 80") != NULL);
	free(cause);
	cause = NULL;
	/* sync_8th in lockstep with density: no partial fit. */
	for (i = 0; i < N; i++)
		vals[i * ATTR_N + s8] = 2 * vals[i * ATTR_N + nd] + 1;
	CHECK(attrs_vectors_partial(pv, mu, vals, N, Z, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "linearly dependent") != NULL);
	free(cause);
}

/*
 * Calibration on a linear "decoder" (attribute change = M times the move
 * in z): the mixes move their own attribute by what their vector did and
 * every other by 0; an attribute the vectors cannot move is copied, a
 * mix longer than max_gain is dropped, dependent effects are refused.
 */
static void
eff_of(const float *M, const float *vecs, int Z, double eff[ATTR_N][ATTR_N])
{
	int	k, j, z;

	for (k = 0; k < ATTR_N; k++)
		for (j = 0; j < ATTR_N; j++) {
			eff[k][j] = 0;
			for (z = 0; z < Z; z++)
				eff[k][j] += (double)M[j * Z + z] *
				    vecs[k * Z + z];
		}
}

static void
test_calibrate(void)
{
	enum { Z = 9 };
	float		M[ATTR_N * Z], vecs[ATTR_N * Z], out[ATTR_N * Z];
	double		eff[ATTR_N][ATTR_N], after[ATTR_N][ATTR_N];
	double		gain[ATTR_N], worst = 0, d;
	char		*cause = NULL;
	uint32_t	x = 777;
	int		i, j, z, reg = ATTR_REGISTER, copied = 1;

	for (i = 0; i < ATTR_N * Z; i++) {
		x = x * 1664525u + 1013904223u;
		M[i] = (float)(x >> 8) / (float)(1u << 24) - 0.5f;
		x = x * 1664525u + 1013904223u;
		vecs[i] = 0.2f * ((float)(x >> 8) / (float)(1u << 24) - 0.5f);
	}
	/* Each vector mostly along its own attribute's direction in M. */
	for (i = 0; i < ATTR_N; i++)
		for (z = 0; z < Z; z++)
			vecs[i * Z + z] += M[i * Z + z];
	/* register: the decoder ignores it, and its vector moves nothing. */
	for (z = 0; z < Z; z++) {
		M[reg * Z + z] = 0;
		vecs[reg * Z + z] = 0;
	}
	vecs[reg * Z + 0] = 1e-3f;
	eff_of(M, vecs, Z, eff);
	CHECK(attrs_calibrate(out, vecs, eff, Z, 10.0, gain, &cause) == 0);
	eff_of(M, out, Z, after);
	for (i = 0; i < ATTR_N; i++) {
		if (i == reg)
			continue;
		CHECK_MSG(gain[i] > 0 && gain[i] <= 10, "gain %s %g",
		    attrs_name(i), gain[i]);
		for (j = 0; j < ATTR_N; j++) {
			d = fabs(after[i][j] - (i == j ? eff[i][i] : 0));
			worst = d > worst ? d : worst;
		}
	}
	CHECK_MSG(worst < 1e-4, "calibrated effects off by %g", worst);
	CHECK(gain[reg] == 0);
	for (z = 0; z < Z; z++)
		copied &= out[reg * Z + z] == vecs[reg * Z + z];
	CHECK(copied);
	/* No mix may grow: every mixed row is dropped, the set copied. */
	CHECK(attrs_calibrate(out, vecs, eff, Z, 1e-3, gain, &cause) == 0);
	CHECK(memcmp(out, vecs, sizeof out) == 0);
	/* Two vectors with the same effects: refused. */
	for (z = 0; z < Z; z++)
		vecs[ATTR_SYNC_8TH * Z + z] = vecs[ATTR_SYNC_16TH * Z + z];
	eff_of(M, vecs, Z, eff);
	CHECK(attrs_calibrate(out, vecs, eff, Z, 10.0, gain, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "linearly dependent") != NULL);
	free(cause);
}

int
main(void)
{
	test_scale();
	test_syncopated();
	test_empty_and_drums();
	test_names();
	test_vectors();
	test_partial();
	test_calibrate();
	return (test_report());
}
