/*
 * test_lstm.c: the LSTM layer: the cell against values worked out in
 * double, the BLAS path against the plain C reference path, batch-1 gemv
 * against batched gemm, row gather against a dense one-hot product, and a
 * whole layer (both directions) against a naive double recurrence.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "lstm.h"
#include "rng.h"
#include "test.h"

static void
fill(float *x, size_t n, struct rng *r, float s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		x[i] = (rng_uniform(r) * 2.0f - 1.0f) * s;
}

/* IEEE half to float, written out so the test does not trust F16C. */
static double
half_to_float(uint16_t h)
{
	int	e = (h >> 10) & 31, m = h & 1023;
	double	v;

	if (e == 0)
		v = ldexp(m, -24);
	else
		v = ldexp(1024 + m, e - 25);
	return ((h & 0x8000) ? -v : v);
}

static double
dsig(double x)
{
	return (1.0 / (1.0 + exp(-x)));
}

/* One unit: c' = sig(i)tanh(j) + c sig(f+1), h' = tanh(c') sig(o). */
static void
test_cell_by_hand(void)
{
	float	g[4] = { 0.5f, -1.0f, 0.25f, 2.0f }, c = 0.3f, h = 0;
	float	h2 = 0;
	double	ec, eh;

	ec = dsig(0.5) * tanh(-1.0) + 0.3 * dsig(1.25);
	eh = tanh(ec) * dsig(2.0);
	lstm_cell(&h, 1, &h2, 1, &c, g, 1, 1);
	CHECK(fabs(c - ec) < 1e-6);
	CHECK(fabs(h - eh) < 1e-6);
	CHECK(h2 == h);
	/* All gates zero, c = 0: c' = 0.5 * 0 + 0 = 0, h' = 0. */
	memset(g, 0, sizeof g);
	c = 0;
	lstm_cell(&h, 1, NULL, 0, &c, g, 1, 1);
	CHECK(c == 0.0f && h == 0.0f);
	/* Saturated forget gate keeps c. */
	g[2] = 40.0f;
	c = 0.7f;
	lstm_cell(&h, 1, NULL, 0, &c, g, 1, 1);
	CHECK(fabsf(c - 0.7f) < 1e-6f);
}

/*
 * A unit gets the same bits whichever vector width takes it (16 or 8
 * lanes): the first A units of a row of width A and of a row of width
 * BW, with the same inputs, for the three cells.  With A = 24 and BW =
 * 41, units 16-23 go through 8 lanes in one and 16 in the other.
 */
static void
test_cell_paths(void)
{
	enum { A = 24, BW = 41 };
	struct rng	r;
	float		ga[4 * A], gb[4 * BW], ca[A], cb[BW], ha[A], hb[BW];
	float		ta[A], tb[BW], pa[A], pb[BW], da[A], db[BW];
	float		dga[4 * A], dgb[4 * BW], dca[A], dcb[BW];
	int		q, u, same = 1;

	rng_seed(&r, 13);
	fill(gb, 4 * BW, &r, 6.0f);
	fill(cb, BW, &r, 2.0f);
	fill(pb, BW, &r, 2.0f);
	fill(db, BW, &r, 1.0f);
	for (q = 0; q < 4; q++)
		memcpy(ga + q * A, gb + q * BW, A * sizeof *ga);
	memcpy(ca, cb, sizeof ca);
	memcpy(pa, pb, sizeof pa);
	memcpy(da, db, sizeof da);
	/* Inference cell. */
	lstm_cell(ha, A, NULL, 0, ca, ga, 1, A);
	lstm_cell(hb, BW, NULL, 0, cb, gb, 1, BW);
	same &= memcmp(ha, hb, sizeof ha) == 0 && memcmp(ca, cb, sizeof ca)
	    == 0;
	/* Trainer's cell, then its backward on what it left in g. */
	for (q = 0; q < 4; q++)
		memcpy(ga + q * A, gb + q * BW, A * sizeof *ga);
	lstm_cell_train(ga, ca, ta, ha, pa, 1, A);
	lstm_cell_train(gb, cb, tb, hb, pb, 1, BW);
	for (q = 0; q < 4; q++)
		same &= memcmp(ga + q * A, gb + q * BW, A * sizeof *ga) == 0;
	same &= memcmp(ta, tb, sizeof ta) == 0 && memcmp(ha, hb, sizeof ha)
	    == 0;
	for (u = 0; u < BW; u++)
		dcb[u] = 0.5f * db[u];
	memcpy(dca, dcb, sizeof dca);
	lstm_cell_backward(dga, dca, ga, ta, pa, da, ha, 1, A);
	lstm_cell_backward(dgb, dcb, gb, tb, pb, db, hb, 1, BW);
	for (q = 0; q < 4; q++)
		same &= memcmp(dga + q * A, dgb + q * BW, A * sizeof *dga) ==
		    0;
	same &= memcmp(dca, dcb, sizeof dca) == 0;
	CHECK_MSG(same, "a unit's bits depend on the path that took it");
}

/* A wide cell (vector path plus remainder) against double, incl. extremes. */
static void
test_cell_wide(void)
{
	enum { H = 37, B = 2 };
	struct rng	r;
	float		g[B * 4 * H], c[B * H], h[B * H], ec[B * H], eh[B * H];
	double		dc;
	int		b, u, fin = 1;

	rng_seed(&r, 12);
	fill(g, B * 4 * H, &r, 12.0f);
	fill(c, B * H, &r, 3.0f);
	g[0] = 100.0f;
	g[H + 1] = -100.0f;
	g[2 * H + 2] = -200.0f;
	g[3 * H + 3] = 200.0f;
	for (b = 0; b < B; b++)
		for (u = 0; u < H; u++) {
			const float *gb = g + b * 4 * H;

			dc = c[b * H + u] * dsig(gb[2 * H + u] + 1.0) +
			    dsig(gb[u]) * tanh(gb[H + u]);
			ec[b * H + u] = (float)dc;
			eh[b * H + u] = (float)(tanh(dc) * dsig(gb[3 * H + u]));
		}
	lstm_cell(h, H, NULL, 0, c, g, B, H);
	for (u = 0; u < B * H; u++)
		fin &= isfinite(h[u]) && isfinite(c[u]);
	CHECK(fin);
	CHECK_CLOSE(c, ec, B * H, 2e-6, "wide cell c");
	CHECK_CLOSE(h, eh, B * H, 2e-6, "wide cell h");
}

static void
test_gates(void)
{
	enum { IN = 37, H = 19, B = 5 };
	struct lstm_w	w;
	struct rng	r;
	float		kernel[(IN + H) * 4 * H], bias[4 * H];
	float		x[B * IN], g1[B * 4 * H], g2[B * 4 * H], g3[4 * H];
	float		oh[IN];
	int		b, rows[2] = { 3, 30 };

	rng_seed(&r, 9);
	fill(kernel, sizeof kernel / 4, &r, 1.0f);
	fill(bias, 4 * H, &r, 1.0f);
	fill(x, B * IN, &r, 1.0f);
	w.kernel = kernel;
	w.bias = bias;
	w.in = IN;
	w.H = H;

	/* BLAS vs the double-accumulating reference. */
	lstm_gates_bias(g1, &w, B);
	lstm_gates_dense(g1, x, IN, &w, 0, IN, B);
	linalg_set_reference(1);
	lstm_gates_bias(g2, &w, B);
	lstm_gates_dense(g2, x, IN, &w, 0, IN, B);
	linalg_set_reference(0);
	CHECK_CLOSE(g1, g2, B * 4 * H, 1e-5, "gemm vs reference");

	/* Batch 1 (gemv) rows == batched rows. */
	for (b = 0; b < B; b++) {
		lstm_gates_bias(g3, &w, 1);
		lstm_gates_dense(g3, x + b * IN, IN, &w, 0, IN, 1);
		CHECK_CLOSE(g3, g1 + b * 4 * H, 4 * H, 1e-5, "gemv vs gemm");
	}

	/* A block of rows (the h part) with a row stride. */
	lstm_gates_bias(g1, &w, 2);
	lstm_gates_dense(g1, x, IN, &w, IN, H, 2);
	linalg_set_reference(1);
	lstm_gates_bias(g2, &w, 2);
	lstm_gates_dense(g2, x, IN, &w, IN, H, 2);
	linalg_set_reference(0);
	CHECK_CLOSE(g1, g2, 2 * 4 * H, 1e-5, "row block, strided x");

	/* Gather of rows 3 and 30 == dense product with a 2-hot input. */
	memset(oh, 0, sizeof oh);
	oh[3] = oh[30] = 1.0f;
	lstm_gates_bias(g1, &w, 1);
	lstm_gates_dense(g1, oh, IN, &w, 0, IN, 1);
	lstm_gates_bias(g2, &w, 1);
	lstm_gates_gather(g2, rows, 2, &w, 0);
	CHECK_CLOSE(g1, g2, 4 * H, 1e-6, "gather vs one-hot gemv");
}

/* A full layer vs a naive double recurrence, forward and reverse. */
static void
test_layer(void)
{
	enum { IN = 7, H = 6, B = 3, T = 5 };
	struct lstm_w	w;
	struct rng	r;
	float		kernel[(IN + H) * 4 * H], bias[4 * H];
	float		x[T * B * IN], gin[T * B * 4 * H], y[T * B * 2 * H];
	float		c[B * H], ey[T * B * 2 * H];
	double		dc[H], dh[H], g[4 * H];
	int		rev, b, s, t, u, k;

	rng_seed(&r, 4);
	fill(kernel, sizeof kernel / 4, &r, 0.8f);
	fill(bias, 4 * H, &r, 0.8f);
	fill(x, T * B * IN, &r, 1.0f);
	w.kernel = kernel;
	w.bias = bias;
	w.in = IN;
	w.H = H;
	for (rev = 0; rev < 2; rev++) {
		lstm_gates_bias(gin, &w, T * B);
		lstm_gates_dense(gin, x, IN, &w, 0, IN, T * B);
		/* The reverse half goes into columns [H, 2H) of y. */
		lstm_layer(y + rev * H, 2 * H, c, gin, &w, T, B, rev);
		for (b = 0; b < B; b++) {
			memset(dc, 0, sizeof dc);
			memset(dh, 0, sizeof dh);
			for (s = 0; s < T; s++) {
				t = rev ? T - 1 - s : s;
				for (u = 0; u < 4 * H; u++) {
					g[u] = bias[u];
					for (k = 0; k < IN; k++)
						g[u] += (double)x[(t * B + b) *
						    IN + k] * kernel[k * 4 * H +
						    u];
					for (k = 0; k < H; k++)
						g[u] += dh[k] *
						    kernel[(IN + k) * 4 * H + u];
				}
				for (u = 0; u < H; u++) {
					dc[u] = dc[u] * dsig(g[2 * H + u] +
					    1.0) + dsig(g[u]) * tanh(g[H + u]);
					dh[u] = tanh(dc[u]) *
					    dsig(g[3 * H + u]);
					ey[(t * B + b) * 2 * H + rev * H + u] =
					    (float)dh[u];
				}
			}
		}
	}
	CHECK_CLOSE(y, ey, T * B * 2 * H, 2e-6, "layer vs double");
}

/*
 * The 16-bit gemv (fp16 and bf16 storage) against double sums over the
 * rounded weights, on a matrix with two full panels and a remainder, for
 * a block of rows [r0, r0+nr); each stored weight within half a unit of
 * its format's last place of the float (2^-11 relative for fp16, 2^-8 for
 * bf16).  LSTM_HALF_BF16DP rounds x to bf16 as well (the reference does
 * the same) and keeps rows in pairs when K is even; blocks that start or
 * end inside a pair take one row of it.
 */
static void
test_half(int fmt, int K, int r0, int nr)
{
	enum { KMAX = 40, N = 2 * 128 + 90 };
	struct rng	 r;
	static float	 w[KMAX * N], y[N], y0[N];
	static uint16_t	 h[KMAX * N];
	float		 x[KMAX], wf, xf;
	double		 e, md = 0, wh, ulp;
	int		 n, k, b, bf = fmt != LSTM_HALF_FP16;
	int		 pairs = fmt == LSTM_HALF_BF16DP && K % 2 == 0;
	size_t		 at;
	const char	*name = fmt == LSTM_HALF_FP16 ? "fp16" :
			    fmt == LSTM_HALF_BF16 ? "bf16" : "bf16 pairs";

	if (!lstm_half_supported()) {
		fprintf(stderr, "no AVX2/FMA/F16C: 16-bit kernel not tested\n");
		return;
	}
	if (fmt == LSTM_HALF_BF16DP && !lstm_half_dp_supported()) {
		printf("SKIP %s: no AVX512-BF16 here\n", name);
		return;
	}
	ulp = bf ? 256.0 : 2048.0;
	rng_seed(&r, 8);
	fill(w, K * N, &r, 1.0f);
	fill(x, K, &r, 1.0f);
	fill(y0, N, &r, 1.0f);
	lstm_half_pack(h, w, K, N, fmt);
	memcpy(y, y0, sizeof y);
	lstm_half_gemv(y, x, h, K, N, r0, nr, fmt);
	for (n = 0; n < N; n++) {
		e = y0[n];
		for (k = r0; k < r0 + nr; k++) {
			/* Where the packed layout keeps (k, n). */
			b = n / 128;
			if (b < N / 128 && pairs)
				at = ((size_t)b * K + (k & ~1)) * 128 +
				    2 * (n % 128) + (k & 1);
			else if (b < N / 128)
				at = ((size_t)b * K + k) * 128 + n % 128;
			else
				at = (size_t)(N / 128) * K * 128 +
				    (size_t)k * (N % 128) + n % 128;
			if (bf) {
				linalg_from_bf16(&wf, &h[at], 1);
				wh = wf;
			} else
				wh = half_to_float(h[at]);
			/* Rounded to nearest: within half an ulp. */
			if (fabs(wh - w[k * N + n]) > fabs(w[k * N + n]) / ulp)
				md = INFINITY;
			xf = x[k - r0];
			if (pairs && b < N / 128) {
				uint16_t xh;

				linalg_to_bf16(&xh, &xf, 1);
				linalg_from_bf16(&xf, &xh, 1);
			}
			e += (double)xf * wh;
		}
		md = fmax(md, fabs(e - y[n]));
	}
	CHECK_MSG(md < 1e-5, "%s gemv vs double (K %d, rows %d..%d): %g",
	    name, K, r0, r0 + nr, md);
}

int
main(void)
{
	test_cell_by_hand();
	test_cell_wide();
	test_cell_paths();
	test_gates();
	test_layer();
	test_half(LSTM_HALF_FP16, 37, 5, 30);
	test_half(LSTM_HALF_BF16, 37, 5, 30);
	/* Pairs: odd K (kept plain), blocks from/to inside a pair, all. */
	test_half(LSTM_HALF_BF16DP, 37, 5, 30);
	test_half(LSTM_HALF_BF16DP, 38, 5, 30);
	test_half(LSTM_HALF_BF16DP, 38, 6, 31);
	test_half(LSTM_HALF_BF16DP, 38, 7, 1);
	test_half(LSTM_HALF_BF16DP, 40, 0, 40);
	return (test_report());
}
