/*
 * lstm.c: the LSTM layer (TF BasicLSTMCell semantics, as magenta.js runs
 * it).  No allocation here: every buffer is the caller's, so the decoder's
 * per-step loop never mallocs.
 *
 * B = batch rows, T = steps, H = units, in = input width.
 */
#include "lstm.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define LSTM_X86	1
#endif

#include "linalg.h"

static inline float	sigm(float);
static inline float	tanh_fast(float);

/*
 * tfjs computes sigmoid and tanh in double and rounds once; these float
 * versions are within about 1e-7 of that, far below the 5e-4 logit gaps
 * that decide an argmax (spec Part A).
 */
static inline float
sigm(float x)
{
	return (1.0f / (1.0f + expf(-x)));
}

/*
 * tanh(x) = 2 sig(2x) - 1: one expf (glibc's tanhf costs 2.5 times more,
 * and the cell is a tenth of a batch-1 decode and a third of a ladder).
 * Absolute error ~1e-7; saturates cleanly to +-1 (expf overflow gives 0).
 */
static inline float
tanh_fast(float x)
{
	return (2.0f / (1.0f + expf(-2.0f * x)) - 1.0f);
}

/* g = bias broadcast. */
void
lstm_gates_bias(float *g, const struct lstm_w *w, int B)
{
	linalg_set_rows(g, w->bias, B, 4 * w->H);
}

/* g += x . kernel[row0 : row0+n]. */
void
lstm_gates_dense(float *g, const float *x, int ldx, const struct lstm_w *w,
    int row0, int n, int B)
{
	const float	*k = w->kernel + (size_t)row0 * 4 * w->H;
	int		 G = 4 * w->H;

	if (n == 0 || B == 0)
		return;
	if (B == 1)
		linalg_gemv_row(G, n, x, k, G, 1.0f, g);
	else
		linalg_gemm(0, 0, B, G, n, x, ldx, k, G, 1.0f, g, G);
}

/*
 * One LSTM's packs.  Training multiplies the h block and (layers fed one
 * step at a time, above the first) the input block separately, forward
 * and backward; inference multiplies such a layer's [x, h] rows at once
 * (stack_step), so it packs the whole kernel there.
 */
static void
pack_one(const struct lstm_w *w, int stepped, int prec, int train)
{
	float	*Wh = w->kernel + (size_t)w->in * 4 * w->H;
	int	 G = 4 * w->H;

	if (!train && stepped) {
		(void)linalg_pack_add(0, w->in + w->H, G, w->kernel, G, prec);
		return;
	}
	(void)linalg_pack_add(0, w->H, G, Wh, G, prec);
	if (!train)
		return;
	(void)linalg_pack_add(1, G, w->H, Wh, G, prec);
	if (stepped)
		(void)linalg_pack_add(0, w->in, G, w->kernel, G, prec);
}

void
lstm_pack_params(const struct vae_params *p, int prec, int train)
{
	const struct vae_arch	*a = &p->arch;
	int			 l, k, sp;

	for (l = 0; l < a->enc_layers; l++) {
		pack_one(&p->enc_fw[l], 0, prec, train);
		pack_one(&p->enc_bw[l], 0, prec, train);
	}
	if (a->num_segments > 0)
		for (k = 0; k < a->cond_layers; k++)
			pack_one(&p->cond[k], k > 0, prec, train);
	for (sp = 0; sp < a->n_splits; sp++)
		for (k = 0; k < a->dec_layers; k++)
			pack_one(&p->dec[sp].cell[k], k > 0, prec, train);
}

/* g += sum of the kernel rows a 0/1 input selects. */
void
lstm_gates_gather(float *g, const int *rows, int nrows,
    const struct lstm_w *w, int row0)
{
	const float	*r;
	int		 G = 4 * w->H, k, u;

	for (k = 0; k < nrows; k++) {
		r = w->kernel + (size_t)(row0 + rows[k]) * G;
		for (u = 0; u < G; u++)
			g[u] += r[u];
	}
}

#ifdef LSTM_X86
/*
 * The cell kernels, written once for a vector width: AVX2 (8 floats, P
 * = _mm256) and AVX-512 (16, P = _mm512).  Both do the same operations
 * in the same order, so a unit gets the same bits whichever width takes
 * it (AVX-512 first, then AVX2, then the scalar loops for the last
 * units), and results never depend on the batch size or the CPU's
 * widest vectors.  Each returns the units it did, from u on.
 *
 * EXP: exp of W floats: x = n ln2 + r, |r| <= ln2/2, exp(r) by the
 * Cephes expf polynomial, times 2^n built in the exponent bits.  About 1
 * ulp, like expf; inputs clamped to the finite float range.
 * SIG: 1 / (1 + exp(-x)); TANH: 2 sig(2x) - 1, as the scalars.
 */
#define CELL_KERNELS(W, V, VI, P, TGT, ROUND, CASTI, CASTF)		\
TGT static inline V							\
exp##W(V x)								\
{									\
	V	n, r, p;						\
	VI	e;							\
									\
	x = P##_min_ps(P##_max_ps(x, P##_set1_ps(-87.3f)),		\
	    P##_set1_ps(88.3f));					\
	n = ROUND(P##_mul_ps(x, P##_set1_ps(1.44269504f)));		\
	r = P##_fnmadd_ps(n, P##_set1_ps(0.693359375f), x);		\
	r = P##_fnmadd_ps(n, P##_set1_ps(-2.12194440e-4f), r);		\
	p = P##_set1_ps(1.9875691500e-4f);				\
	p = P##_fmadd_ps(p, r, P##_set1_ps(1.3981999507e-3f));		\
	p = P##_fmadd_ps(p, r, P##_set1_ps(8.3334519073e-3f));		\
	p = P##_fmadd_ps(p, r, P##_set1_ps(4.1665795894e-2f));		\
	p = P##_fmadd_ps(p, r, P##_set1_ps(1.6666665459e-1f));		\
	p = P##_fmadd_ps(p, r, P##_set1_ps(5.0000001201e-1f));		\
	p = P##_fmadd_ps(p, P##_mul_ps(r, r),				\
	    P##_add_ps(r, P##_set1_ps(1.0f)));				\
	e = P##_slli_epi32(P##_add_epi32(P##_cvtps_epi32(n),		\
	    P##_set1_epi32(127)), 23);					\
	return (P##_mul_ps(p, CASTF(e)));				\
}									\
									\
TGT static inline V							\
sig##W(V x)								\
{									\
	const V	one = P##_set1_ps(1.0f);				\
									\
	return (P##_div_ps(one, P##_add_ps(one, exp##W(		\
	    P##_sub_ps(P##_setzero_ps(), x)))));			\
}									\
									\
TGT static inline V							\
tanh##W(V x)								\
{									\
	const V	two = P##_set1_ps(2.0f);				\
									\
	return (P##_sub_ps(P##_mul_ps(two, sig##W(P##_mul_ps(two,	\
	    x))), P##_set1_ps(1.0f)));					\
}									\
									\
/* lstm_cell's units of one row. */					\
TGT static int								\
cell##W(float *hb, float *cb, const float *gi, int H, int u)		\
{									\
	const float	*gj = gi + H, *gf = gj + H, *go = gf + H;	\
	const V		 fb = P##_set1_ps(LSTM_FORGET_BIAS);		\
	V		 c;						\
									\
	for (; u + W <= H; u += W) {					\
		c = P##_add_ps(P##_mul_ps(P##_loadu_ps(cb + u),		\
		    sig##W(P##_add_ps(P##_loadu_ps(gf + u), fb))),	\
		    P##_mul_ps(sig##W(P##_loadu_ps(gi + u)),		\
		    tanh##W(P##_loadu_ps(gj + u))));			\
		P##_storeu_ps(cb + u, c);				\
		P##_storeu_ps(hb + u, P##_mul_ps(tanh##W(c),		\
		    sig##W(P##_loadu_ps(go + u))));			\
	}								\
	return (u);							\
}									\
									\
/* The trainer's cell (lstm_cell_train): the activated gates go back	\
   into g for the backward pass, with c, tanh(c) and h. */		\
TGT static int								\
cell##W##_train(float *gi, float *cb, float *tcb, float *hb,		\
    const float *cpb, int H, int u)					\
{									\
	float		*gj = gi + H, *gf = gj + H, *go = gf + H;	\
	const V		 fb = P##_set1_ps(LSTM_FORGET_BIAS);		\
	V		 i, j, f, o, c, tc;				\
									\
	for (; u + W <= H; u += W) {					\
		i = sig##W(P##_loadu_ps(gi + u));			\
		j = tanh##W(P##_loadu_ps(gj + u));			\
		f = sig##W(P##_add_ps(P##_loadu_ps(gf + u), fb));	\
		o = sig##W(P##_loadu_ps(go + u));			\
		c = P##_fmadd_ps(f, P##_loadu_ps(cpb + u),		\
		    P##_mul_ps(i, j));					\
		tc = tanh##W(c);					\
		P##_storeu_ps(gi + u, i);				\
		P##_storeu_ps(gj + u, j);				\
		P##_storeu_ps(gf + u, f);				\
		P##_storeu_ps(go + u, o);				\
		P##_storeu_ps(cb + u, c);				\
		P##_storeu_ps(tcb + u, tc);				\
		P##_storeu_ps(hb + u, P##_mul_ps(tc, o));		\
	}								\
	return (u);							\
}									\
									\
/* The trainer's cell backward (lstm_cell_backward): the same products	\
   in the same order as the scalar loop, no fused multiply-adds, so	\
   every path gives the same bits. */					\
TGT static int								\
cell##W##_backward(float *dg, float *dcb, const float *g,		\
    const float *tcb, const float *cpb, const float *dh_above,		\
    const float *dhb, int H, int u)					\
{									\
	const V		 one = P##_set1_ps(1.0f);			\
	V		 gi, gj, gf, go, tc, dh, dc;			\
									\
	for (; u + W <= H; u += W) {					\
		gi = P##_loadu_ps(g + u);				\
		gj = P##_loadu_ps(g + H + u);				\
		gf = P##_loadu_ps(g + 2 * H + u);			\
		go = P##_loadu_ps(g + 3 * H + u);			\
		tc = P##_loadu_ps(tcb + u);				\
		dh = P##_add_ps(P##_loadu_ps(dh_above + u),		\
		    P##_loadu_ps(dhb + u));				\
		dc = P##_add_ps(P##_loadu_ps(dcb + u),			\
		    P##_mul_ps(P##_mul_ps(dh, go), P##_sub_ps(one,	\
		    P##_mul_ps(tc, tc))));				\
		P##_storeu_ps(dg + u, P##_mul_ps(P##_mul_ps(		\
		    P##_mul_ps(dc, gj), gi), P##_sub_ps(one, gi)));	\
		P##_storeu_ps(dg + H + u, P##_mul_ps(P##_mul_ps(dc,	\
		    gi), P##_sub_ps(one, P##_mul_ps(gj, gj))));		\
		P##_storeu_ps(dg + 2 * H + u, P##_mul_ps(P##_mul_ps(	\
		    P##_mul_ps(dc, P##_loadu_ps(cpb + u)), gf),		\
		    P##_sub_ps(one, gf)));				\
		P##_storeu_ps(dg + 3 * H + u, P##_mul_ps(P##_mul_ps(	\
		    P##_mul_ps(dh, tc), go), P##_sub_ps(one, go)));	\
		P##_storeu_ps(dcb + u, P##_mul_ps(dc, gf));		\
	}								\
	return (u);							\
}

#define ROUND8(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT |	\
	    _MM_FROUND_NO_EXC)
#define ROUND16(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | \
	    _MM_FROUND_NO_EXC)
CELL_KERNELS(8, __m256, __m256i, _mm256,
    __attribute__((target("avx2,fma"))), ROUND8, _mm256_castps_si256,
    _mm256_castsi256_ps)
CELL_KERNELS(16, __m512, __m512i, _mm512,
    __attribute__((target("avx512f"))), ROUND16, _mm512_castps_si512,
    _mm512_castsi512_ps)

static int	has_cell16 = -1;	/* AVX-512 cells */
static int	has_avx2 = -1;
#endif

#ifdef LSTM_X86
static pthread_once_t	cpu_once = PTHREAD_ONCE_INIT;

static void
cpu_probe(void)
{
	__builtin_cpu_init();
	has_avx2 = __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("fma");
	has_cell16 = has_avx2 && __builtin_cpu_supports("avx512f");
}
#endif

/* Once, whichever thread first runs a cell (the encoder's two directions
   and a decode's helper can start at once). */
static void
check_cpu(void)
{
#ifdef LSTM_X86
	(void)pthread_once(&cpu_once, cpu_probe);
#endif
}

void
lstm_cell_backward(float *dg, float *dc, const float *g, const float *tc,
    const float *cp, const float *dh_above, const float *dh, int B, int H)
{
	int	b, u;

	check_cpu();
	for (b = 0; b < B; b++) {
		const float *gb = g + (size_t)b * 4 * H;
		float	*dgb = dg + (size_t)b * 4 * H, *dcb = dc + (size_t)b * H;
		size_t	 o = (size_t)b * H;

		u = 0;
#ifdef LSTM_X86
		if (has_cell16)
			u = cell16_backward(dgb, dcb, gb, tc + o, cp + o,
			    dh_above + o, dh + o, H, u);
		if (has_avx2)
			u = cell8_backward(dgb, dcb, gb, tc + o, cp + o,
			    dh_above + o, dh + o, H, u);
#endif
		for (; u < H; u++) {
			float	gi = gb[u], gj = gb[H + u];
			float	gf = gb[2 * H + u], go = gb[3 * H + u];
			float	t = tc[o + u];
			float	d = dh_above[o + u] + dh[o + u];
			float	c = dcb[u] + d * go * (1 - t * t);

			dgb[u] = c * gj * gi * (1 - gi);
			dgb[H + u] = c * gi * (1 - gj * gj);
			dgb[2 * H + u] = c * cp[o + u] * gf * (1 - gf);
			dgb[3 * H + u] = d * t * go * (1 - go);
			dcb[u] = c * gf;
		}
	}
}

void
lstm_cell_train(float *g, float *c, float *tc, float *h, const float *cp,
    int B, int H)
{
	float	*gi, *gj, *gf, *go, *cb, *tcb, *hb;
	const float *cpb;
	int	 b, u;

	check_cpu();
	for (b = 0; b < B; b++) {
		gi = g + (size_t)b * 4 * H;
		gj = gi + H;
		gf = gj + H;
		go = gf + H;
		cb = c + (size_t)b * H;
		tcb = tc + (size_t)b * H;
		hb = h + (size_t)b * H;
		cpb = cp + (size_t)b * H;
		u = 0;
#ifdef LSTM_X86
		if (has_cell16)
			u = cell16_train(gi, cb, tcb, hb, cpb, H, u);
		if (has_avx2)
			u = cell8_train(gi, cb, tcb, hb, cpb, H, u);
#endif
		for (; u < H; u++) {
			gi[u] = sigm(gi[u]);
			gj[u] = tanh_fast(gj[u]);
			gf[u] = sigm(gf[u] + LSTM_FORGET_BIAS);
			go[u] = sigm(go[u]);
			cb[u] = gi[u] * gj[u] + gf[u] * cpb[u];
			tcb[u] = tanh_fast(cb[u]);
			hb[u] = tcb[u] * go[u];
		}
	}
}

/* Gate nonlinearities; gate blocks i, j, f, o of width H. */
void
lstm_cell(float *h, int ldh, float *h2, int ldh2, float *c, const float *g,
    int B, int H)
{
	const float	*gi, *gj, *gf, *go;
	float		*cb, *hb, nc;
	int		 b, u;

	check_cpu();
	for (b = 0; b < B; b++) {
		gi = g + (size_t)b * 4 * H;
		gj = gi + H;
		gf = gj + H;
		go = gf + H;
		cb = c + (size_t)b * H;
		hb = h + (size_t)b * ldh;
		u = 0;
#ifdef LSTM_X86
		/* Same units always take the same path: results never depend
		 * on the batch size. */
		if (has_cell16)
			u = cell16(hb, cb, gi, H, u);
		if (has_avx2)
			u = cell8(hb, cb, gi, H, u);
#endif
		for (; u < H; u++) {
			nc = cb[u] * sigm(gf[u] + LSTM_FORGET_BIAS) +
			    sigm(gi[u]) * tanh_fast(gj[u]);
			cb[u] = nc;
			hb[u] = tanh_fast(nc) * sigm(go[u]);
		}
		if (h2 != NULL)
			memcpy(h2 + (size_t)b * ldh2, hb,
			    (size_t)H * sizeof *hb);
	}
}

/* One layer over a whole sequence from zero state (encoder). */
void
lstm_layer(float *y, int ldy, float *c, float *gin, const struct lstm_w *w,
    int T, int B, int reverse)
{
	size_t	 step = (size_t)B * 4 * w->H, ystep = (size_t)B * ldy;
	float	*g;
	int	 s, t, tp;

	memset(c, 0, (size_t)B * w->H * sizeof *c);
	for (s = 0; s < T; s++) {
		t = reverse ? T - 1 - s : s;
		g = gin + (size_t)t * step;
		/* h_{-1} = 0: the h block adds nothing on the first step. */
		if (s > 0) {
			tp = reverse ? t + 1 : t - 1;
			lstm_gates_dense(g, y + (size_t)tp * ystep, ldy, w,
			    w->in, w->H, B);
		}
		lstm_cell(y + (size_t)t * ystep, ldy, NULL, 0, c, g, B,
		    w->H);
	}
}

/* ---- fp16 weights (batch-1 decode, optional). ---- */

/*
 * Packed layout of a (K, N) matrix: column panels of HALF_PANEL columns,
 * each stored row after row (K x HALF_PANEL contiguous), so the kernel
 * streams memory strictly forward; the last N % HALF_PANEL columns follow
 * as a plain (K, rem) row-major block.  Same size as the matrix.
 */
#define HALF_PANEL	LSTM_HALF_PANEL

#ifdef LSTM_X86
#define HALF_TARGET __attribute__((target("avx2,fma,f16c")))

static int	has_avx512 = -1;

/* F16C: CPUID leaf 1, ECX bit 29 (clang 14's __builtin_cpu_supports
   does not know "f16c", gcc's does; CPUID works for both). */
static int
cpu_f16c(void)
{
	unsigned	eax, ebx, ecx, edx;

	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0)
		return (0);
	return ((ecx & bit_F16C) != 0);
}

static pthread_once_t	half_once = PTHREAD_ONCE_INIT;
static int		has_half;

static void
half_probe(void)
{
	__builtin_cpu_init();
	has_avx512 = __builtin_cpu_supports("avx512f");
	has_half = __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("fma") && cpu_f16c();
}

int
lstm_half_supported(void)
{
	(void)pthread_once(&half_once, half_probe);
	return (has_half);
}

HALF_TARGET static uint16_t
to_half(float x)
{
	return (_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT));
}

/* n contiguous floats to fmt at dst. */
static void
pack_run(uint16_t *dst, const float *src, int n, int fmt)
{
	int	j;

	if (fmt == LSTM_HALF_BF16) {
		linalg_to_bf16(dst, src, (size_t)n);
		return;
	}
	for (j = 0; j < n; j++)
		dst[j] = to_half(src[j]);
}

int
lstm_half_dp_supported(void)
{
	return (lstm_half_supported() && has_avx512 &&
	    linalg_bf16_supported(NULL));
}

/* Round src (K, N) to fp16 or bf16 (nearest even) in the packed layout. */
void
lstm_half_pack(uint16_t *dst, const float *src, int K, int N, int fmt)
{
	uint16_t	row[2][HALF_PANEL];
	int		nb = N / HALF_PANEL, rem = N % HALF_PANEL, b, k, j;

	if (fmt == LSTM_HALF_BF16DP && K % 2 != 0)
		fmt = LSTM_HALF_BF16;
	if (fmt == LSTM_HALF_BF16DP) {
		/* Panels of row pairs: (k, c) and (k+1, c) side by side. */
		for (b = 0; b < nb; b++)
			for (k = 0; k < K; k += 2, dst += 2 * HALF_PANEL) {
				for (j = 0; j < 2; j++)
					linalg_to_bf16(row[j], src + (size_t)(k +
					    j) * N + b * HALF_PANEL, HALF_PANEL);
				for (j = 0; j < HALF_PANEL; j++) {
					dst[2 * j] = row[0][j];
					dst[2 * j + 1] = row[1][j];
				}
			}
		fmt = LSTM_HALF_BF16;	/* the remainder block */
	} else
		for (b = 0; b < nb; b++)
			for (k = 0; k < K; k++, dst += HALF_PANEL)
				pack_run(dst, src + (size_t)k * N + b *
				    HALF_PANEL, HALF_PANEL, fmt);
	for (k = 0; k < K; k++, dst += rem)
		pack_run(dst, src + (size_t)k * N + nb * HALF_PANEL, rem, fmt);
}

/* 16 (8) stored values to floats: fp16 by F16C, bf16 by a shift. */
#define LOAD16_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256(		\
	    (const __m256i *)(p)))
#define LOAD16_BF16(p) _mm512_castsi512_ps(_mm512_slli_epi32(		\
	    _mm512_cvtepu16_epi32(_mm256_loadu_si256(			\
	    (const __m256i *)(p))), 16))
#define LOAD8_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define LOAD8_BF16(p) _mm256_castsi256_ps(_mm256_slli_epi32(		\
	    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))

/*
 * One 128-column panel, rows [0, n) of it, AVX-512: 8 zmm accumulators;
 * and the same with AVX2 in two passes of 64 columns.  One body per
 * storage format (LOAD).
 */
#define PANEL512(name, LOAD)						\
__attribute__((target("avx512f"))) static void				\
name(float *y, const float *x, const uint16_t *r, int n)		\
{									\
	__m512	a[8], xb;						\
	int	k, i;							\
									\
	_Pragma("GCC unroll 8")						\
	for (i = 0; i < 8; i++)						\
		a[i] = _mm512_loadu_ps(y + 16 * i);			\
	for (k = 0; k < n; k++, r += HALF_PANEL) {			\
		xb = _mm512_set1_ps(x[k]);				\
		_Pragma("GCC unroll 8")					\
		for (i = 0; i < 8; i++)					\
			a[i] = _mm512_fmadd_ps(xb, LOAD(r + 16 * i),	\
			    a[i]);					\
	}								\
	_Pragma("GCC unroll 8")						\
	for (i = 0; i < 8; i++)						\
		_mm512_storeu_ps(y + 16 * i, a[i]);			\
}

#define PANEL256(name, LOAD)						\
HALF_TARGET static void							\
name(float *y, const float *x, const uint16_t *r0, int n)		\
{									\
	const uint16_t	*r;						\
	__m256		 a[8], xb;					\
	int		 k, h, i;					\
									\
	for (h = 0; h < HALF_PANEL; h += 64) {				\
		_Pragma("GCC unroll 8")					\
		for (i = 0; i < 8; i++)					\
			a[i] = _mm256_loadu_ps(y + h + 8 * i);		\
		for (k = 0, r = r0 + h; k < n; k++, r += HALF_PANEL) {	\
			xb = _mm256_set1_ps(x[k]);			\
			_Pragma("GCC unroll 8")				\
			for (i = 0; i < 8; i++)				\
				a[i] = _mm256_fmadd_ps(xb,		\
				    LOAD(r + 8 * i), a[i]);		\
		}							\
		_Pragma("GCC unroll 8")					\
		for (i = 0; i < 8; i++)					\
			_mm256_storeu_ps(y + h + 8 * i, a[i]);		\
	}								\
}

PANEL512(panel512_f16, LOAD16_F16)
PANEL512(panel512_bf16, LOAD16_BF16)
PANEL256(panel256_f16, LOAD8_F16)
PANEL256(panel256_bf16, LOAD8_BF16)

/*
 * One panel of row pairs [p0, p0+np) with AVX512-BF16: xp holds x's
 * pairs, rounded, as 32-bit words; 8 accumulators of 16 columns, each
 * vdpbf16ps adding two rows.
 */
__attribute__((target("avx512f,avx512bf16"))) static void
panel_dp(float *y, const uint32_t *xp, const uint16_t *r, int np)
{
	__m512	a[8];
	__m512i	xb;
	int	p, i;

	_Pragma("GCC unroll 8")
	for (i = 0; i < 8; i++)
		a[i] = _mm512_loadu_ps(y + 16 * i);
	for (p = 0; p < np; p++, r += 2 * HALF_PANEL) {
		xb = _mm512_set1_epi32((int)xp[p]);
		_Pragma("GCC unroll 8")
		for (i = 0; i < 8; i++)
			a[i] = _mm512_dpbf16_ps(a[i], (__m512bh)
			    _mm512_loadu_si512((const void *)(r + 32 * i)),
			    (__m512bh)xb);
	}
	_Pragma("GCC unroll 8")
	for (i = 0; i < 8; i++)
		_mm512_storeu_ps(y + 16 * i, a[i]);
}

/*
 * lstm_half_gemv's panels for LSTM_HALF_BF16DP: x's rows [row0, row0+n)
 * rounded into pairs aligned with the stored ones (a row outside the
 * range pairs with zero), a chunk of pairs at a time.
 */
static void
gemv_dp(float *y, const float *x, const uint16_t *W, int K, int b0, int b1,
    int row0, int n)
{
	enum { CHUNK = 1024 };
	uint32_t	 xp[CHUNK];
	uint16_t	*xs = (uint16_t *)xp;
	int		 p0, p1, q0, q1, k0, k1, b;

	p0 = row0 / 2;
	p1 = (row0 + n + 1) / 2;
	for (q0 = p0; q0 < p1; q0 = q1) {
		q1 = q0 + CHUNK < p1 ? q0 + CHUNK : p1;
		/* Rows [2 q0, 2 q1) of which [k0, k1) are x's. */
		k0 = 2 * q0 > row0 ? 2 * q0 : row0;
		k1 = 2 * q1 < row0 + n ? 2 * q1 : row0 + n;
		xs[0] = xs[2 * (q1 - q0) - 1] = 0;
		linalg_to_bf16(xs + (k0 - 2 * q0), x + (k0 - row0),
		    (size_t)(k1 - k0));
		for (b = b0; b < b1; b++)
			panel_dp(y + b * HALF_PANEL, xp, W + ((size_t)b * K +
			    2 * (size_t)q0) * HALF_PANEL, q1 - q0);
	}
}

/* One stored value to float. */
HALF_TARGET static float
from_half(uint16_t h, int fmt)
{
	float	f;

	if (fmt == LSTM_HALF_BF16) {
		linalg_from_bf16(&f, &h, 1);
		return (f);
	}
	return (_cvtsh_ss(h));
}

void
lstm_half_gemv_panels(float *y, const float *x, const uint16_t *W, int K,
    int row0, int n, int fmt, int b0, int b1)
{
	int	b, bf = fmt != LSTM_HALF_FP16;

	if (fmt == LSTM_HALF_BF16DP && K % 2 == 0) {
		gemv_dp(y, x, W, K, b0, b1, row0, n);
		return;
	}
	for (b = b0; b < b1; b++) {
		const uint16_t *p = W + ((size_t)b * K + row0) * HALF_PANEL;
		float *yb = y + b * HALF_PANEL;

		if (has_avx512)
			(bf ? panel512_bf16 : panel512_f16)(yb, x, p, n);
		else
			(bf ? panel256_bf16 : panel256_f16)(yb, x, p, n);
	}
}

/* y (N) += x (n) . rows [row0, row0+n) of a packed (K, N) matrix. */
HALF_TARGET void
lstm_half_gemv(float *y, const float *x, const uint16_t *W, int K, int N,
    int row0, int n, int fmt)
{
	const uint16_t	*tail, *t;
	__m256		 a0, xb;
	int		 nb = N / HALF_PANEL, rem = N % HALF_PANEL, j, k;
	int		 bf;
	float		 acc;

	lstm_half_gemv_panels(y, x, W, K, row0, n, fmt, 0, nb);
	bf = fmt != LSTM_HALF_FP16;
	fmt = bf ? LSTM_HALF_BF16 : fmt;	/* the remainder block */
	/* The remainder block: (K, rem) row-major. */
	tail = W + (size_t)nb * K * HALF_PANEL;
	y += nb * HALF_PANEL;
	for (j = 0; j + 8 <= rem; j += 8) {
		a0 = _mm256_loadu_ps(y + j);
		for (k = 0; k < n; k++) {
			xb = _mm256_set1_ps(x[k]);
			t = tail + (size_t)(row0 + k) * rem + j;
			a0 = _mm256_fmadd_ps(xb, bf ? LOAD8_BF16(t) :
			    LOAD8_F16(t), a0);
		}
		_mm256_storeu_ps(y + j, a0);
	}
	for (; j < rem; j++) {
		acc = y[j];
		for (k = 0; k < n; k++)
			acc += x[k] * from_half(tail[(size_t)(row0 + k) * rem +
			    j], fmt);
		y[j] = acc;
	}
}
#else
int
lstm_half_supported(void)
{
	return (0);
}

int
lstm_half_dp_supported(void)
{
	return (0);
}

void
lstm_half_gemv_panels(float *y, const float *x, const uint16_t *W, int K,
    int row0, int n, int fmt, int b0, int b1)
{
	(void)y; (void)x; (void)W; (void)K; (void)row0; (void)n; (void)fmt;
	(void)b0; (void)b1;
}

void
lstm_half_pack(uint16_t *dst, const float *src, int K, int N, int fmt)
{
	(void)dst;
	(void)src;
	(void)K;
	(void)N;
	(void)fmt;
}

void
lstm_half_gemv(float *y, const float *x, const uint16_t *W, int K, int N,
    int row0, int n, int fmt)
{
	(void)fmt;
	(void)y;
	(void)x;
	(void)W;
	(void)K;
	(void)N;
	(void)row0;
	(void)n;
}
#endif
