/*
 * adam.c: gradient clipping and Adam over one float arena (or a range of
 * it: the training workers split the update, model/train_par.c).
 */
#include "adam.h"

#include <math.h>
#include <string.h>

#include "linalg.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/*
 * Sixteen double lanes, lane j taking the elements at j mod 16 of the
 * whole sixteens, then the lanes in order, then the tail: the digits of
 * the scalar loop below, which an AVX-512 build of it reaches with two
 * vectors.  A float's square is exact in double, so the products are the
 * same however they are formed.  One running double was a chain of adds
 * whose latency bound 1.6-1.9% of a bf16 mel_2bar step (perf, December
 * 2026).
 */
#define SUMSQ_LANES	16

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static size_t
sumsq_avx512(const float *g, size_t n, double lane[SUMSQ_LANES])
{
	__m512d	lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd(), x;
	size_t	i;

	for (i = 0; i + 16 <= n; i += 16) {
		x = _mm512_cvtps_pd(_mm256_loadu_ps(g + i));
		lo = _mm512_add_pd(lo, _mm512_mul_pd(x, x));
		x = _mm512_cvtps_pd(_mm256_loadu_ps(g + i + 8));
		hi = _mm512_add_pd(hi, _mm512_mul_pd(x, x));
	}
	_mm512_storeu_pd(lane, lo);
	_mm512_storeu_pd(lane + 8, hi);
	return (i);
}
#endif

double
adam_sumsq(const float *g, size_t n)
{
	double	lane[SUMSQ_LANES], ss = 0;
	size_t	i = 0;
	int	j;

	/* Double accumulation: 65536 squares in float would lose digits. */
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		i = sumsq_avx512(g, n, lane);
	else
#endif
	{
		for (j = 0; j < SUMSQ_LANES; j++)
			lane[j] = 0;
		for (; i + SUMSQ_LANES <= n; i += SUMSQ_LANES)
			for (j = 0; j < SUMSQ_LANES; j++)
				lane[j] += (double)g[i + j] * g[i + j];
	}
	for (j = 0; j < SUMSQ_LANES; j++)
		ss += lane[j];
	for (; i < n; i++)
		ss += (double)g[i] * g[i];
	return (ss);
}

double
adam_norm(const float *g, size_t n)
{
	double	ss = 0;
	size_t	o;

	for (o = 0; o < n; o += ADAM_BLOCK)
		ss += adam_sumsq(g + o, n - o < ADAM_BLOCK ? n - o :
		    ADAM_BLOCK);
	return (sqrt(ss));
}

float
adam_clip_factor(double norm, float clip, float zero_at)
{
	if (!isfinite(norm) || norm >= zero_at)
		return (0.0f);
	if (norm > clip)
		return ((float)(clip / norm));
	return (1.0f);
}

void
adam_scale(float *g, size_t n, float f)
{
	if (f == 0.0f)
		memset(g, 0, n * sizeof *g);	/* NaN * 0 is NaN: clear */
	else if (f != 1.0f)
		linalg_scale(g, f, n);
}

/* Clip by global norm; zero the gradient when it explodes (spec B 4). */
double
adam_clip(float *g, size_t n, float clip, float zero_at)
{
	double	norm = adam_norm(g, n);

	adam_scale(g, n, adam_clip_factor(norm, clip, zero_at));
	return (norm);
}

#if defined(__x86_64__)
/*
 * Lanes of the scalar loop below, the same operations in order: g times
 * the clipping factor f (0: a zero gradient, 1: g as it is, as adam_scale
 * leaves them), the moments, the step.  Sixteen lanes on AVX-512, eight
 * on AVX2 (whose target leaves FMA out, so nothing is fused).
 */
#define UPDATE_KERNEL(SUF, TGT, VT, W, LD, ST, ADD, SUB, MUL, DIV, SQRT,	\
    SET1, ZERO)								\
TGT static size_t							\
update_##SUF(float *w, float *m, float *v, const float *g, size_t n,	\
    float a, float b1, float b2, float eps, float f)			\
{									\
	VT	vb1 = SET1(b1), vc1 = SET1(1.0f - b1);			\
	VT	vb2 = SET1(b2), vc2 = SET1(1.0f - b2);			\
	VT	va = SET1(a), ve = SET1(eps);				\
	VT	vf = SET1(f), zero = ZERO();				\
	VT	gi, mi, vi;						\
	size_t	i;							\
									\
	for (i = 0; i + W <= n; i += W) {				\
		gi = f == 0.0f ? zero : LD(g + i);			\
		if (f != 0.0f && f != 1.0f)				\
			gi = MUL(vf, gi);				\
		mi = ADD(MUL(vb1, LD(m + i)), MUL(vc1, gi));		\
		vi = ADD(MUL(vb2, LD(v + i)), MUL(MUL(vc2, gi), gi));	\
		ST(m + i, mi);						\
		ST(v + i, vi);						\
		ST(w + i, SUB(LD(w + i), DIV(MUL(va, mi),		\
		    ADD(SQRT(vi), ve))));				\
	}								\
	return (i);							\
}

UPDATE_KERNEL(avx512, __attribute__((target("avx512f"))), __m512, 16,
    _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps, _mm512_sub_ps,
    _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps, _mm512_set1_ps,
    _mm512_setzero_ps)
UPDATE_KERNEL(avx2, __attribute__((target("avx2"))), __m256, 8,
    _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps, _mm256_sub_ps,
    _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps, _mm256_set1_ps,
    _mm256_setzero_ps)
#endif

/* TF's Adam: bias correction folded into the step size. */
void
adam_update_clipped(float *w, float *m, float *v, const float *g, size_t n,
    long t, float lr, float b1, float b2, float eps, float f)
{
	double	lr_t;
	float	a, gi;
	size_t	i = 0;

	lr_t = lr * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t));
	a = (float)lr_t;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		i = update_avx512(w, m, v, g, n, a, b1, b2, eps, f);
	else if (__builtin_cpu_supports("avx2"))
		i = update_avx2(w, m, v, g, n, a, b1, b2, eps, f);
#endif
	for (; i < n; i++) {
		gi = f == 0.0f ? 0.0f : g[i];
		if (f != 0.0f && f != 1.0f)
			gi *= f;
		m[i] = b1 * m[i] + (1.0f - b1) * gi;
		v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
		w[i] -= a * m[i] / (sqrtf(v[i]) + eps);
	}
}

void
adam_update(float *w, float *m, float *v, const float *g, size_t n, long t,
    float lr, float b1, float b2, float eps)
{
	adam_update_clipped(w, m, v, g, n, t, lr, b1, b2, eps, 1.0f);
}
