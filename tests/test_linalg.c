/*
 * test_linalg: the compute path's backends and precisions (issue J).
 *
 * - oneDNN float32 against OpenBLAS and the double-accumulating reference,
 *   every transpose pair, row strides wider than the matrices, beta 0, 1
 *   and 0.5, batch-1 rows: within 1e-5 of the result's scale.
 * - bf16 products are exactly "round both operands to bf16, accumulate in
 *   float32": they match the reference run on the rounded operands within
 *   1e-5, and differ from float32 (the test is not vacuous) by under 1e-2;
 *   one-row products (linalg_gemv_row) stay float32 bit for bit.
 * - A weight block's shadow copy is what a bf16 product reads.
 * - Rounding to bf16 is to nearest even, the vector path equal to the
 *   scalar one.
 * - Every tensor's gradient and the loss of a training forward and
 *   backward, flat (mel_2bar) and hierarchical (mel_16bar): oneDNN float32
 *   against OpenBLAS within 1e-4 (relative L2 per tensor), bf16 against
 *   float32 within the bound stated at BF16_GRAD_TOL.
 * - Two-worker bf16 steps are deterministic, and bf16 on the OpenBLAS
 *   backend is refused with a cause.
 *
 * Without oneDNN built in, or without AVX512-BF16, the parts that need
 * them say SKIP with the reason; OpenBLAS against the reference still
 * runs.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "linalg.h"
#include "params.h"
#include "rng.h"
#include "train.h"
#include "test.h"

/*
 * bf16 keeps 8 significant bits (relative rounding 2^-9 = 2e-3 per
 * operand); the gradients of a whole sequence model add many such
 * products through 32 (or 256) recurrent steps.  Measured on these
 * random-weight models (December 2026): the largest per-tensor relative
 * L2 error is 0.53% (flat) and 0.43% (hierarchical), loss 5e-5; 2% leaves
 * room for other seeds without letting a wrong product through.
 */
#define BF16_GRAD_TOL	2e-2
#define FP32_GRAD_TOL	1e-4

static int	have_dnnl, have_bf16;

static void
fill(float *x, size_t n, struct rng *r)
{
	size_t	i;

	for (i = 0; i < n; i++)
		x[i] = (float)(rng_uniform(r) * 2 - 1);
}

static double
max_abs(const float *x, int M, int N, int ld)
{
	double	m = 0;
	int	i, j;

	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++)
			if (fabs(x[(size_t)i * ld + j]) > m)
				m = fabs(x[(size_t)i * ld + j]);
	return (m);
}

static double
max_diff(const float *a, const float *b, int M, int N, int ld)
{
	double	m = 0, d;
	int	i, j;

	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++) {
			d = fabs((double)a[(size_t)i * ld + j] -
			    b[(size_t)i * ld + j]);
			if (d > m || isnan(d))
				m = isnan(d) ? INFINITY : d;
		}
	return (m);
}

/* Run one product with the given backend/precision/reference. */
static void
product(int backend, int prec, int ref, int ta, int tb, int M, int N, int K,
    const float *A, int lda, const float *B, int ldb, float beta,
    const float *C0, float *C, size_t csize)
{
	memcpy(C, C0, csize * sizeof *C);
	linalg_set_reference(ref);
	if (linalg_set_backend(backend, NULL) != 0)
		abort();
	prec = linalg_set_precision(prec);
	if (M == 1 && !ta && !tb)
		linalg_gemv_row(N, K, A, B, ldb, beta, C);
	else
		linalg_gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, N + 3);
	linalg_set_precision(prec);
	linalg_set_reference(0);
}

static void
round_trip(float *dst, const float *src, size_t n)
{
	uint16_t	*h = malloc(n * sizeof *h);

	linalg_to_bf16(h, src, n);
	linalg_from_bf16(dst, h, n);
	free(h);
}

static void
test_products(void)
{
	static const int shapes[][3] = {
		{ 7, 13, 5 }, { 64, 96, 33 }, { 1, 64, 40 }, { 32, 128, 256 },
		{ 3, 9, 1 }, { 130, 17, 70 },
	};
	static const float betas[] = { 0.0f, 1.0f, 0.5f };
	struct rng	 r;
	size_t		 s, asz, bsz, csz;
	int		 ta, tb, bi, M, N, K, lda, ldb, ldc;
	float		*A, *B, *Ar, *Br, *C0, *c_ob, *c_dn, *c_ref, *c_bf;
	double		 scale, d;

	rng_seed(&r, 5);
	for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
	for (ta = 0; ta < 2; ta++)
	for (tb = 0; tb < 2; tb++)
	for (bi = 0; bi < 3; bi++) {
		M = shapes[s][0];
		N = shapes[s][1];
		K = shapes[s][2];
		if (M == 1 && (ta || tb))
			continue;
		/* Stored shapes with rows 2 wider than used. */
		lda = (ta ? M : K) + 2;
		ldb = (tb ? K : N) + 2;
		if (M == 1 && !ta)
			lda = K;	/* gemv_row takes a packed x */
		ldc = N + 3;
		asz = (size_t)(ta ? K : M) * lda;
		bsz = (size_t)(tb ? N : K) * ldb;
		csz = (size_t)M * ldc;
		A = malloc(asz * 4);
		B = malloc(bsz * 4);
		Ar = malloc(asz * 4);
		Br = malloc(bsz * 4);
		C0 = malloc(csz * 4);
		c_ob = malloc(csz * 4);
		c_dn = malloc(csz * 4);
		c_ref = malloc(csz * 4);
		c_bf = malloc(csz * 4);
		fill(A, asz, &r);
		fill(B, bsz, &r);
		fill(C0, csz, &r);
		product(LINALG_OPENBLAS, LINALG_FP32, 1, ta, tb, M, N, K, A,
		    lda, B, ldb, betas[bi], C0, c_ref, csz);
		product(LINALG_OPENBLAS, LINALG_FP32, 0, ta, tb, M, N, K, A,
		    lda, B, ldb, betas[bi], C0, c_ob, csz);
		scale = max_abs(c_ref, M, N, ldc) + 1;
		d = max_diff(c_ob, c_ref, M, N, ldc) / scale;
		CHECK_MSG(d <= 1e-5, "openblas %dx%dx%d t%d%d beta %g: %g",
		    M, N, K, ta, tb, betas[bi], d);
		if (have_dnnl) {
			product(LINALG_DNNL, LINALG_FP32, 0, ta, tb, M, N, K,
			    A, lda, B, ldb, betas[bi], C0, c_dn, csz);
			d = max_diff(c_dn, c_ob, M, N, ldc) / scale;
			CHECK_MSG(d <= 1e-5, "onednn vs openblas %dx%dx%d "
			    "t%d%d beta %g: %g", M, N, K, ta, tb, betas[bi],
			    d);
			/* Columns past N untouched. */
			CHECK(memcmp(c_dn + N, C0 + N, 3 * 4) == 0);
		}
		if (have_bf16) {
			round_trip(Ar, A, asz);
			round_trip(Br, B, bsz);
			product(LINALG_OPENBLAS, LINALG_FP32, 1, ta, tb, M, N,
			    K, Ar, lda, Br, ldb, betas[bi], C0, c_ref, csz);
			product(LINALG_DNNL, LINALG_BF16, 0, ta, tb, M, N, K,
			    A, lda, B, ldb, betas[bi], C0, c_bf, csz);
			if (M == 1 && !ta && !tb) {
				/* One-row products stay float32. */
				CHECK(memcmp(c_bf, c_ob, csz * 4) == 0);
				goto next;
			}
			d = max_diff(c_bf, c_ref, M, N, ldc) / scale;
			CHECK_MSG(d <= 1e-5, "bf16 vs rounded reference "
			    "%dx%dx%d t%d%d beta %g: %g", M, N, K, ta, tb,
			    betas[bi], d);
			d = max_diff(c_bf, c_ob, M, N, ldc) / scale;
			CHECK_MSG(d < 1e-2 && (K < 4 || d > 1e-6), "bf16 vs "
			    "fp32 %dx%dx%d: %g", M, N, K, d);
		}
next:
		free(A);
		free(B);
		free(Ar);
		free(Br);
		free(C0);
		free(c_ob);
		free(c_dn);
		free(c_ref);
		free(c_bf);
	}
}

static void
test_rounding(void)
{
	/* bits in -> bf16 bits out, round to nearest even */
	static const uint32_t cases[][2] = {
		{ 0x3f800000, 0x3f80 },	/* 1.0 */
		{ 0x3f808000, 0x3f80 },	/* tie, even stays */
		{ 0x3f818000, 0x3f82 },	/* tie, odd rounds up */
		{ 0x3f808001, 0x3f81 },	/* above the tie */
		{ 0x3f807fff, 0x3f80 },	/* below the tie */
		{ 0xbf818000, 0xbf82 },	/* negative tie */
		{ 0x7f7fffff, 0x7f80 },	/* largest float -> inf */
		{ 0x00000000, 0x0000 },
	};
	float		 x[40];
	uint16_t	 h[40], h1;
	size_t		 i, n = sizeof cases / sizeof cases[0];
	int		 ok = 1;

	/* 40 values: the vector path takes 32, the scalar tail 8. */
	for (i = 0; i < 40; i++)
		memcpy(&x[i], &cases[i % n][0], 4);
	linalg_to_bf16(h, x, 40);
	for (i = 0; i < 40; i++) {
		linalg_to_bf16(&h1, &x[i], 1);
		if (h[i] != cases[i % n][1] || h1 != h[i]) {
			fprintf(stderr, "bf16(%08x) = %04x / %04x, want "
			    "%04x\n", cases[i % n][0], h[i], h1,
			    cases[i % n][1]);
			ok = 0;
		}
	}
	CHECK(ok);
}

/* A bf16 product reads the shadow copy, not the float32 weights. */
static void
test_shadow(void)
{
	float		 W[64 * 32], x[4 * 64], y1[4 * 32], y2[4 * 32];
	uint16_t	 Wh[64 * 32];
	struct rng	 r;
	int		 prec;

	if (!have_bf16)
		return;
	rng_seed(&r, 9);
	fill(W, 64 * 32, &r);
	fill(x, 4 * 64, &r);
	linalg_set_backend(LINALG_DNNL, NULL);
	prec = linalg_set_precision(LINALG_BF16);
	linalg_gemm(0, 0, 4, 32, 64, x, 64, W, 32, 0.0f, y1, 32);
	linalg_to_bf16(Wh, W, 64 * 32);
	CHECK(linalg_shadow_add(W, 64 * 32, Wh) == 0);
	/* The float32 weights change, the copy does not: same result. */
	W[5] += 100.0f;
	linalg_gemm(0, 0, 4, 32, 64, x, 64, W, 32, 0.0f, y2, 32);
	CHECK(memcmp(y1, y2, sizeof y1) == 0);
	/* Removed, the change shows. */
	linalg_shadow_remove(W);
	linalg_gemm(0, 0, 4, 32, 64, x, 64, W, 32, 0.0f, y2, 32);
	CHECK(memcmp(y1, y2, sizeof y1) != 0);
	linalg_set_precision(prec);
}

/* Another thread's product of the held x: its own rounding. */
struct held_arg {
	const float	*x, *W;
	float		*y;
};

static void *
held_thread(void *arg)
{
	struct held_arg	*h = arg;

	linalg_serial_begin();
	linalg_set_precision(LINALG_BF16);
	linalg_gemm(0, 0, 4, 32, 64, h->x, 64, h->W, 32, 0.0f, h->y, 32);
	linalg_serial_end();
	return (NULL);
}

/*
 * A held activation block (linalg_hold): this thread's bf16 products read
 * the caller's rounding, as a shadow but for one thread; other threads
 * and, after linalg_release, this one round x themselves.
 */
static void
test_hold(void)
{
	float		 W[64 * 32], x[4 * 64], y1[4 * 32], y2[4 * 32];
	float		 y3[4 * 32];
	uint16_t	 xh[4 * 64];
	struct rng	 r;
	struct held_arg	 h;
	pthread_t	 th;
	int		 prec;

	if (!have_bf16)
		return;
	rng_seed(&r, 10);
	fill(W, 64 * 32, &r);
	fill(x, 4 * 64, &r);
	linalg_set_backend(LINALG_DNNL, NULL);
	prec = linalg_set_precision(LINALG_BF16);
	linalg_gemm(0, 0, 4, 32, 64, x, 64, W, 32, 0.0f, y1, 32);
	/* Held, the product reads the held copy, not x. */
	linalg_to_bf16(xh, x, 4 * 64);
	CHECK(linalg_hold(x, 4 * 64, xh) == 0);
	x[3] += 100.0f;
	linalg_gemm(0, 0, 4, 32, 64, x, 64, W, 32, 0.0f, y2, 32);
	CHECK(memcmp(y1, y2, sizeof y1) == 0);
	/* ... in this thread only. */
	h.x = x;
	h.W = W;
	h.y = y3;
	CHECK(pthread_create(&th, NULL, held_thread, &h) == 0);
	pthread_join(th, NULL);
	CHECK(memcmp(y1, y3, sizeof y1) != 0);
	/* Released, the change shows here too, as the other thread saw. */
	linalg_release(x);
	linalg_gemm(0, 0, 4, 32, 64, x, 64, W, 32, 0.0f, y2, 32);
	CHECK(memcmp(y2, y3, sizeof y2) == 0);
	linalg_set_precision(prec);
}

/* AVX-512 as oneDNN's avx512_core needs it: F, BW, DQ, VL. */
static int
cpu_avx512(void)
{
	__builtin_cpu_init();
	return (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vl"));
}

/* C (M,N) = x W with W as passed: op(W) (K,N), stored transposed if tb. */
static void
pack_product(int tb, int M, int K, int N, const float *x, const float *W,
    int ldw, float *C)
{
	linalg_gemm(0, tb, M, N, K, x, K, W, ldw, 0.0f, C, N);
}

/*
 * Packed weights: a product reads the packed copy (a change of W without a
 * refresh does not show), gives what the plain product gives, and follows
 * W after a refresh; oneDNN's own reorder and our bf16 packer agree.
 */
static void
test_pack(void)
{
	static const int shapes[][3] = {	/* tb, K, N */
		{ 0, 64, 128 }, { 1, 128, 64 }, { 0, 90, 100 }, { 1, 100, 90 },
		{ 0, 256, 1024 }, { 1, 1024, 256 },
	};
	struct rng	 r;
	float		*W, *x, *c0, *c1, *c2;
	int		 i, q, tb, K, N, M = 32, ldw, prec, old, n, cnt;
	int		 brgemm;
	size_t		 wsz;

	if (!have_dnnl)
		return;
	/* oneDNN's brgemm matmul, the one that reads packed weights, needs
	   AVX-512. */
	brgemm = cpu_avx512();
	if (!brgemm)
		printf("test_pack: no AVX-512 here: packing must be refused\n");
	linalg_set_backend(LINALG_DNNL, NULL);
	rng_seed(&r, 17);
	for (q = 0; q < 2; q++) {
		prec = q ? LINALG_BF16 : LINALG_FP32;
		if (prec == LINALG_BF16 && !have_bf16)
			break;
		old = linalg_set_precision(prec);
		for (i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++) {
			tb = shapes[i][0];
			K = shapes[i][1];
			N = shapes[i][2];
			/* A wider stride than the matrix: a block of a
			   bigger kernel, as the LSTM's W_h is. */
			ldw = (tb ? K : N) + 16;
			wsz = (size_t)(tb ? N : K) * ldw;
			W = malloc(wsz * 4);
			x = malloc((size_t)2 * M * K * 4);
			c0 = malloc((size_t)2 * M * N * 4);
			c1 = malloc((size_t)2 * M * N * 4);
			c2 = malloc((size_t)2 * M * N * 4);
			fill(W, wsz, &r);
			fill(x, (size_t)2 * M * K, &r);
			pack_product(tb, 2 * M, K, N, x, W, ldw, c0);
			cnt = linalg_pack_count();
			if (!brgemm) {
				/* No kernel here reads a packed B: refused,
				   and products follow W as stored. */
				CHECK(linalg_pack_add(tb, K, N, W, ldw,
				    prec) == -1);
				CHECK(linalg_pack_count() == cnt);
				W[3] += 50.0f;
				pack_product(tb, M, K, N, x, W, ldw, c1);
				CHECK(memcmp(c1, c0, (size_t)M * N * 4) != 0);
				goto next;
			}
			CHECK(linalg_pack_add(tb, K, N, W, ldw, prec) == 0);
			CHECK(linalg_pack_count() == cnt + 1);
			/* 64 rows: where oneDNN has no fast kernel for the
			   layout (fp32) B is read as stored; either way the
			   plain product's numbers. */
			pack_product(tb, 2 * M, K, N, x, W, ldw, c1);
			CHECK(max_diff(c1, c0, 2 * M, N, N) <=
			    1e-6 * max_abs(c0, 2 * M, N, N));
			/* 32 rows after it still read the packed copy (the
			   change below does not show). */
			pack_product(tb, M, K, N, x, W, ldw, c1);
			CHECK(max_diff(c1, c0, M, N, N) <=
			    1e-6 * max_abs(c0, M, N, N));
			/* Changed and not refreshed: the packed copy. */
			W[3] += 50.0f;
			pack_product(tb, M, K, N, x, W, ldw, c2);
			CHECK(memcmp(c2, c1, (size_t)M * N * 4) == 0);
			/* Refreshed: the new weights. */
			linalg_pack_refresh(W, wsz, 0, 1);
			pack_product(tb, M, K, N, x, W, ldw, c2);
			CHECK(memcmp(c2, c1, (size_t)M * N * 4) != 0);
			linalg_pack_remove(W, wsz);
			CHECK(linalg_pack_count() == cnt);
			pack_product(tb, M, K, N, x, W, ldw, c1);
			CHECK(max_diff(c2, c1, M, N, N) <=
			    1e-6 * max_abs(c1, M, N, N));
			if (prec == LINALG_BF16) {
				/* oneDNN's reorder lays it out too. */
				setenv("LATENTROLL_PACK_REORDER", "1", 1);
				CHECK(linalg_pack_add(tb, K, N, W, ldw,
				    prec) == 0);
				unsetenv("LATENTROLL_PACK_REORDER");
				pack_product(tb, M, K, N, x, W, ldw, c2);
				CHECK(memcmp(c2, c1, (size_t)M * N * 4) == 0);
				linalg_pack_remove(W, wsz);
			}
		next:
			free(W);
			free(x);
			free(c0);
			free(c1);
			free(c2);
		}
		linalg_set_precision(old);
	}
	/* OpenBLAS has no packed copies: refused, products unchanged. */
	linalg_set_backend(LINALG_OPENBLAS, NULL);
	n = 64;
	W = calloc((size_t)n * n, 4);
	CHECK(linalg_pack_add(0, n, n, W, n, LINALG_FP32) == -1);
	free(W);
	linalg_set_backend(LINALG_DNNL, NULL);
}

/* The element-wise helpers equal their plain loops, tails included. */
static void
test_elementwise(void)
{
	float		 y[77], y0[77], x[77], x2[77];
	struct rng	 r;
	int		 i, n, ok = 1;

	rng_seed(&r, 5);
	for (n = 0; n <= 77; n += 11) {
		fill(y0, 77, &r);
		fill(x, 77, &r);
		memcpy(y, y0, sizeof y);
		linalg_add(y, x, (size_t)n);
		for (i = 0; i < 77; i++)
			ok &= y[i] == (i < n ? y0[i] + x[i] : y0[i]);
		memcpy(y, y0, sizeof y);
		linalg_axpy(y, -1.5f, x, (size_t)n);
		for (i = 0; i < 77; i++)
			ok &= y[i] == (i < n ? y0[i] + -1.5f * x[i] : y0[i]);
		memcpy(y, y0, sizeof y);
		linalg_scale(y, 0.3f, (size_t)n);
		for (i = 0; i < 77; i++)
			ok &= y[i] == (i < n ? y0[i] * 0.3f : y0[i]);
		linalg_sum(y, y0, x, (size_t)n);
		for (i = 0; i < n; i++)
			ok &= y[i] == y0[i] + x[i];
		memcpy(y, y0, sizeof y);
		memcpy(x2, x, sizeof x2);
		linalg_axpy_take(y, 0.7f, x2, (size_t)n);
		for (i = 0; i < 77; i++)
			ok &= y[i] == (i < n ? y0[i] + 0.7f * x[i] : y0[i]) &&
			    x2[i] == (i < n ? 0.0f : x[i]);
		memcpy(y, y0, sizeof y);
		memcpy(x2, x, sizeof x2);
		linalg_axpby_take(y, 0.9f, -0.2f, x2, (size_t)n);
		for (i = 0; i < 77; i++)
			ok &= y[i] == (i < n ? 0.9f * y0[i] + -0.2f * x[i] :
			    y0[i]) && x2[i] == (i < n ? 0.0f : x[i]);
	}
	CHECK(ok);
}

/*
 * Adam's update, clipped (f) or not, zeroed (f = 0): the digits of TF's
 * formula as a plain loop, on whatever vector path this CPU takes.
 */
static void
test_adam_update(void)
{
	enum { N = 77 };
	static const float fs[] = { 1.0f, 0.25f, 0.0f };
	float		 w[N], m[N], v[N], g[N], w0[N], m0[N], v0[N];
	float		 a, gi, mi, vi;
	struct rng	 r;
	double		 lr_t;
	int		 i, k, n, ok = 1;
	long		 t = 7;

	rng_seed(&r, 9);
	/* adam.c's step size, from the same float arguments. */
	lr_t = 1e-3f * sqrt(1.0 - pow(0.999f, (double)t)) /
	    (1.0 - pow(0.9f, (double)t));
	a = (float)lr_t;
	for (k = 0; k < 3; k++)
		for (n = 0; n <= N; n += 19) {
			fill(w0, N, &r);
			fill(m0, N, &r);
			fill(v0, N, &r);
			fill(g, N, &r);
			for (i = 0; i < N; i++)
				v0[i] = fabsf(v0[i]);
			memcpy(w, w0, sizeof w);
			memcpy(m, m0, sizeof m);
			memcpy(v, v0, sizeof v);
			adam_update_clipped(w, m, v, g, (size_t)n, t, 1e-3f,
			    0.9f, 0.999f, 1e-8f, fs[k]);
			for (i = 0; i < N; i++) {
				if (i >= n) {
					ok &= w[i] == w0[i] && m[i] == m0[i] &&
					    v[i] == v0[i];
					continue;
				}
				gi = fs[k] == 0.0f ? 0.0f : g[i];
				if (fs[k] != 0.0f && fs[k] != 1.0f)
					gi *= fs[k];
				mi = 0.9f * m0[i] + (1.0f - 0.9f) * gi;
				vi = 0.999f * v0[i] + (1.0f - 0.999f) * gi * gi;
				ok &= m[i] == mi && v[i] == vi &&
				    w[i] == w0[i] - a * mi / (sqrtf(vi) + 1e-8f);
			}
		}
	CHECK(ok);
}

/*
 * The workers' split update (norm by blocks, clip, Adam over ranges) gives
 * the digits of the one-thread train_update, clipping or not.
 */
static void
test_par_update(void)
{
	struct vae_arch		 a;
	struct vae_params	 p[2], g[2];
	struct train_hp		 hp;
	struct train_stats	 st[2];
	struct train_par	*tp;
	struct rng		 r;
	char			*cause = NULL;
	float			*m[2], *v[2];
	size_t			 n, i;
	int			 k, c;

	if (params_arch_named(&a, "mel_2bar", &cause) != 0)
		exit(99);
	for (c = 0; c < 2; c++) {
		for (k = 0; k < 2; k++) {
			if (params_alloc(&p[k], &a, &cause) != 0)
				exit(99);
			n = p[k].n_params;
			params_clone_layout(&g[k], &p[k], malloc(n * 4));
			m[k] = malloc(n * 4);
			v[k] = malloc(n * 4);
			rng_seed(&r, 41);
			fill(p[k].mem, n, &r);
			fill(g[k].mem, n, &r);
			fill(m[k], n, &r);
			fill(v[k], n, &r);
			for (i = 0; i < n; i++)
				v[k][i] = fabsf(v[k][i]);
		}
		train_hp_default(&hp, &a);
		/* c = 0: the norm (~1200) clips; c = 1: it does not. */
		if (c == 1)
			hp.clip_norm = 1e6f;
		train_update(&p[0], &g[0], m[0], v[0], &hp, 7, &st[0]);
		if ((tp = train_par_new(&p[1], 8, 2, &cause)) == NULL)
			exit(99);
		train_par_update(tp, &p[1], &g[1], m[1], v[1], &hp, 7,
		    &st[1]);
		train_par_free(tp);
		CHECK(st[0].gnorm == st[1].gnorm);
		CHECK(memcmp(p[0].mem, p[1].mem, n * 4) == 0);
		CHECK(memcmp(m[0], m[1], n * 4) == 0);
		CHECK(memcmp(v[0], v[1], n * 4) == 0);
		for (k = 0; k < 2; k++) {
			params_free(&p[k]);
			free(g[k].mem);
			free(m[k]);
			free(v[k]);
		}
	}
}

/* Loss, mu and gradient of one forward/backward pass. */
struct pass {
	double	 loss;
	float	*mu, *g;
};

static void
run_pass(const struct vae_params *p, const int *tok, int B, int backend,
    int prec, struct pass *out)
{
	struct train_net	*n;
	struct vae_params	 g;
	struct train_stats	 st;
	struct rng		 r;
	char			*cause = NULL;

	if (linalg_set_backend(backend, &cause) != 0 ||
	    (n = train_net_new(p, B, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(99);
	}
	train_net_set_precision(n, prec);
	out->g = calloc(p->n_params, sizeof(float));
	params_clone_layout(&g, p, out->g);
	rng_seed(&r, 3);
	if (train_forward(n, p, tok, B, 0.5f, 0.0f, 0.0f, 0, &r, &st,
	    &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(99);
	}
	train_backward(n, p, &g);
	out->loss = st.loss;
	out->mu = malloc((size_t)B * p->arch.z_size * sizeof(float));
	memcpy(out->mu, train_mu(n), (size_t)B * p->arch.z_size *
	    sizeof(float));
	train_net_free(n);
}

/* Largest per-tensor relative L2 error of a's gradient against b's. */
static double
worst_tensor(const struct vae_params *p, const float *a, const float *b,
    const char **which)
{
	double	worst = 0, num, den, e;
	size_t	off, k;
	int	i;

	for (i = 0; i < p->n_tensors; i++) {
		off = p->tensors[i].p - p->mem;
		num = den = 0;
		for (k = 0; k < p->tensors[i].n; k++) {
			num += ((double)a[off + k] - b[off + k]) *
			    ((double)a[off + k] - b[off + k]);
			den += (double)b[off + k] * b[off + k];
		}
		if (den == 0)
			continue;
		e = sqrt(num / den);
		if (e > worst || isnan(e)) {
			worst = isnan(e) ? INFINITY : e;
			*which = p->tensors[i].name;
		}
	}
	return (worst);
}

static void
test_train_pass(const char *arch, int B)
{
	struct vae_arch		 a;
	struct vae_params	 p;
	struct rng		 r;
	struct pass		 ob, dn, bf;
	char			*cause = NULL;
	const char		*which = "";
	int			*tok, i, T;
	double			 e;

	if (params_arch_named(&a, arch, &cause) != 0 ||
	    params_alloc(&p, &a, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(99);
	}
	rng_seed(&r, 17);
	train_init_params(&p, &r);
	/* Biases and the small denses away from zero, so every product
	   carries weight. */
	for (i = 0; i < p.n_tensors; i++)
		if (p.tensors[i].ndim == 1)
			fill(p.tensors[i].p, p.tensors[i].n, &r);
	T = a.num_steps;
	tok = malloc((size_t)B * T * sizeof *tok);
	for (i = 0; i < B * T; i++)
		tok[i] = rng_below(&r, 3) ? 0 : 2 + rng_below(&r, 60);
	run_pass(&p, tok, B, LINALG_OPENBLAS, LINALG_FP32, &ob);
	CHECK(isfinite(ob.loss) && ob.loss > 0);
	if (have_dnnl) {
		run_pass(&p, tok, B, LINALG_DNNL, LINALG_FP32, &dn);
		CHECK_MSG(fabs(dn.loss - ob.loss) <= 1e-5 * ob.loss,
		    "%s loss onednn %g openblas %g", arch, dn.loss, ob.loss);
		e = worst_tensor(&p, dn.g, ob.g, &which);
		CHECK_MSG(e <= FP32_GRAD_TOL, "%s onednn fp32 gradient of "
		    "%s: relative error %g", arch, which, e);
		printf("%s: onednn fp32 vs openblas: loss %.3g rel, worst "
		    "gradient %.3g (%s)\n", arch, fabs(dn.loss - ob.loss) /
		    ob.loss, e, which);
		free(dn.g);
		free(dn.mu);
	}
	if (have_bf16) {
		run_pass(&p, tok, B, LINALG_DNNL, LINALG_BF16, &bf);
		CHECK_MSG(fabs(bf.loss - ob.loss) <= 1e-2 * ob.loss,
		    "%s loss bf16 %g fp32 %g", arch, bf.loss, ob.loss);
		e = worst_tensor(&p, bf.g, ob.g, &which);
		CHECK_MSG(e <= BF16_GRAD_TOL, "%s bf16 gradient of %s: "
		    "relative error %g", arch, which, e);
		/* Not vacuous: bf16 moves the gradient. */
		CHECK(e > 1e-6);
		printf("%s: bf16 vs fp32: loss %.3g rel, worst gradient %.3g "
		    "(%s)\n", arch, fabs(bf.loss - ob.loss) / ob.loss, e,
		    which);
		free(bf.g);
		free(bf.mu);
	}
	free(ob.g);
	free(ob.mu);
	free(tok);
	params_free(&p);
}

/* Two workers, bf16: two runs of three steps give the same weights. */
static void
test_par_deterministic(void)
{
	struct vae_arch		 a;
	struct vae_params	 p[2], g;
	struct train_hp		 hp;
	struct train_stats	 st;
	struct train_par	*tp;
	struct rng		 r;
	char			*cause = NULL;
	float			*m, *v;
	int			*tok, i, k, B = 8;

	if (!have_bf16)
		return;
	linalg_set_backend(LINALG_DNNL, NULL);
	if (params_arch_named(&a, "mel_2bar", &cause) != 0)
		exit(99);
	tok = malloc((size_t)B * a.num_steps * sizeof *tok);
	for (k = 0; k < 2; k++) {
		if (params_alloc(&p[k], &a, &cause) != 0)
			exit(99);
		rng_seed(&r, 23);
		train_init_params(&p[k], &r);
		for (i = 0; i < B * a.num_steps; i++)
			tok[i] = rng_below(&r, 3) ? 0 : 2 + rng_below(&r, 60);
		params_clone_layout(&g, &p[k], calloc(p[k].n_params, 4));
		m = calloc(p[k].n_params, 4);
		v = calloc(p[k].n_params, 4);
		train_hp_default(&hp, &a);
		if ((tp = train_par_new(&p[k], B, 2, &cause)) == NULL ||
		    train_par_set_precision(tp, &p[k], LINALG_BF16,
		    &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			exit(99);
		}
		for (i = 0; i < 3; i++)
			if (train_par_step(tp, &p[k], &g, m, v, &hp, i, tok,
			    B, &r, &st, &cause) != 0) {
				fprintf(stderr, "%s\n", cause);
				exit(99);
			}
		train_par_free(tp);
		free(g.mem);
		free(m);
		free(v);
	}
	CHECK(memcmp(p[0].mem, p[1].mem, p[0].n_params * 4) == 0);
	/* bf16 asked of OpenBLAS: refused with a cause, no crash. */
	linalg_set_backend(LINALG_OPENBLAS, NULL);
	tp = train_par_new(&p[0], B, 2, &cause);
	CHECK(tp != NULL && train_par_set_precision(tp, &p[0], LINALG_BF16,
	    &cause) != 0 && cause != NULL && strstr(cause, "onednn") != NULL);
	train_par_free(tp);
	free(cause);
	params_free(&p[0]);
	params_free(&p[1]);
	free(tok);
}

/* A small SPD system with a known answer, two right-hand sides. */
static void
test_solve(void)
{
	/* A = L L^T with L = [2 0 0; 1 3 0; -1 2 1]. */
	float	A[9] = { 4, 2, -2, 2, 10, 5, -2, 5, 6 };
	float	X[6] = { 1, -2, 3, 0.5f, 0, -1 }, B[6];
	float	S[9] = { 1, 2, 3, 2, 4, 6, 3, 6, 9 };	/* rank 1 */
	float	R[3] = { 1, 1, 1 };
	int	i, j, r;

	for (r = 0; r < 2; r++)
		for (i = 0; i < 3; i++) {
			B[r * 3 + i] = 0;
			for (j = 0; j < 3; j++)
				B[r * 3 + i] += A[i * 3 + j] * X[r * 3 + j];
		}
	CHECK(linalg_solve_spd(3, 2, A, B) == 0);
	CHECK_CLOSE(B, X, 6, 1e-5, "spd solve");
	CHECK(linalg_solve_spd(3, 1, S, R) == -1);

	/* General: a non-symmetric A (row-major) needing a pivot (A[0][0]
	   is 0), two right-hand sides; a singular one refused. */
	{
		float	G[9] = { 0, 2, 1, 3, -1, 2, 1, 4, -2 }, G0[9];
		float	S2[9] = { 1, 2, 3, 2, 4, 6, 0, 1, 1 };
		float	R2[3] = { 1, 1, 1 };

		memcpy(G0, G, sizeof G);
		for (r = 0; r < 2; r++)
			for (i = 0; i < 3; i++) {
				B[r * 3 + i] = 0;
				for (j = 0; j < 3; j++)
					B[r * 3 + i] += G0[i * 3 + j] *
					    X[r * 3 + j];
			}
		CHECK(linalg_solve(3, 2, G, B) == 0);
		CHECK_CLOSE(B, X, 6, 1e-5, "general solve");
		CHECK(linalg_solve(3, 1, S2, R2) == -1);
	}
}

int
main(void)
{
	const char	*why = NULL;
	char		*cause = NULL;
	int		 dflt = linalg_backend();

	have_dnnl = linalg_set_backend(LINALG_DNNL, &cause) == 0;
	/* The default: oneDNN where it has its AVX-512 kernels, OpenBLAS
	   elsewhere (the faster on AVX2). */
	if (getenv("LATENTROLL_BACKEND") == NULL)
		CHECK_MSG(dflt == (have_dnnl && cpu_avx512() ? LINALG_DNNL :
		    LINALG_OPENBLAS), "default backend %s",
		    linalg_backend_name(dflt));
	if (!have_dnnl)
		printf("SKIP: onednn parts: %s\n", cause);
	free(cause);
	have_bf16 = have_dnnl && linalg_bf16_supported(&why);
	if (have_dnnl && !have_bf16)
		printf("SKIP: bf16 parts: %s\n", why);
	test_rounding();
	test_solve();
	test_products();
	test_shadow();
	test_hold();
	test_pack();
	test_elementwise();
	test_adam_update();
	test_par_update();
	test_train_pass("mel_2bar", 4);
	test_train_pass("mel_16bar", 2);
	test_par_deterministic();
	return (test_report());
}
