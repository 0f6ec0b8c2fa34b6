/*
 * lstm.c: the LSTM layer (TF BasicLSTMCell semantics, as magenta.js runs
 * it).  No allocation here: every buffer is the caller's, so the decoder's
 * per-step loop never mallocs.
 *
 * B = batch rows, T = steps, H = units, in = input width.
 */
#include "model/lstm.h"

#include <math.h>
#include <string.h>

#include "model/linalg.h"

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

/* Gate nonlinearities; gate blocks i, j, f, o of width H. */
void
lstm_cell(float *h, int ldh, float *h2, int ldh2, float *c, const float *g,
    int B, int H)
{
	const float	*gi, *gj, *gf, *go;
	float		*cb, *hb, nc;
	int		 b, u;

	for (b = 0; b < B; b++) {
		gi = g + (size_t)b * 4 * H;
		gj = gi + H;
		gf = gj + H;
		go = gf + H;
		cb = c + (size_t)b * H;
		hb = h + (size_t)b * ldh;
		for (u = 0; u < H; u++) {
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
