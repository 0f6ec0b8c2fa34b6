/*
 * grad.c: LSTM, bidirectional-layer and initial-state kernels of the
 * trainer, forward with caches and backward (see grad.h).
 */
#include "grad.h"

#include <string.h>

#include "linalg.h"
#include "lstm.h"

/* db (N) += column sums of dG (M, N): a bias gradient. */
void
grad_colsum_add(float *db, const float *dG, size_t M, int N)
{
	size_t	r;

	for (r = 0; r < M; r++)
		linalg_add(db, dG + r * N, (size_t)N);
}

/* ------------------------------------------------------------------ */
/* LSTM: one step forward, and a whole layer backward. */

/*
 * One step at time index t.  lc->g[t] holds the pre-activations from the
 * input and the bias; hp/cp is the state to start from (NULL = zeros).
 * Adds hp W_h, applies the gates and writes c[t], h[t].
 */
void
grad_lstm_step_forward(struct lstm_cache *lc, const struct lstm_w *w, int t,
    const float *hp, const float *cp)
{
	size_t	 bh = (size_t)lc->B * lc->H;
	float	*g = lc->g + (size_t)t * lc->B * 4 * lc->H;	/* (B, 4H) */
	float	*c = lc->c + (size_t)t * bh, *h = lc->h + (size_t)t * bh;
	float	*hpt = lc->chained ? NULL : lc->hp + (size_t)t * bh;
	float	*cpt = lc->cp + (size_t)t * bh;
	int	 H = lc->H;

	if (hp != NULL) {
		if (hpt != NULL) {
			memcpy(hpt, hp, bh * sizeof *hpt);
			memcpy(cpt, cp, bh * sizeof *cpt);
			hp = hpt;
			cp = cpt;
		}
		/* g += h_prev W_h: the rows [in, in+H) of the kernel. */
		linalg_gemm(0, 0, lc->B, 4 * H, H, hp, H,
		    w->kernel + (size_t)w->in * 4 * H, 4 * H, 1.0f, g, 4 * H);
	} else {
		if (hpt != NULL)
			memset(hpt, 0, bh * sizeof *hpt);
		memset(cpt, 0, bh * sizeof *cpt);
		cp = cpt;
	}
	lstm_cell_train(g, c, lc->tc + (size_t)t * bh, h, cp, lc->B, H);
}

/*
 * Backward through a whole layer that ran steps s = 0..T-1 at time
 * t = rev ? T-1-s : s, its state reset every L steps to an initial state.
 * Reads lc->dh (gradient on every h from above); writes dG (T, B, 4H, the
 * pre-activation gradients, time-indexed), and dinit_c/dinit_h (nseg, B, H)
 * when not NULL (else the reset states were zeros).  Accumulates dW_h and
 * the bias gradient; the input side is the caller's (it differs between
 * dense and token inputs).
 */
void
grad_lstm_layer_backward(float *dG, float *dinit_c, float *dinit_h,
    struct lstm_w *dw, struct lstm_cache *lc, const struct lstm_w *w, int L,
    int rev, float *scratch, uint16_t *dG16, const struct grad_each *each)
{
	int	 T = lc->T, B = lc->B, H = lc->H, s, t, b;
	size_t	 bh = (size_t)B * H;
	float	*dhr = scratch, *dcr = scratch + bh;	/* (B, H) recurrent */
	float	*dGt;
	const float *cpt;
	const float *Wh = w->kernel + (size_t)w->in * 4 * H;

	memset(dhr, 0, 2 * bh * sizeof *dhr);
	for (s = T - 1; s >= 0; s--) {
		t = rev ? T - 1 - s : s;
		dGt = dG + (size_t)t * bh * 4;
		/* The cell before the step: a chained layer's is the step
		   before's, but for the first step's zeros in cp. */
		cpt = lc->chained && s > 0 ? lc->c + (size_t)(rev ? t + 1 :
		    t - 1) * bh : lc->cp + (size_t)t * bh;
		/*
		 * Row by row, so that each row of gate gradients (8 KB at
		 * H = 512) is still in L1 for the bias gradient (rows added
		 * in order, as grad_colsum_add does), the caller's input side
		 * and the bf16 rounding the products below read.
		 */
		for (b = 0; b < B; b++) {
			size_t	 o = (size_t)t * bh + (size_t)b * H;
			float	*dgb = dGt + (size_t)b * 4 * H;

			lstm_cell_backward(dgb, dcr + (size_t)b * H,
			    lc->g + o * 4, lc->tc + o, cpt + (size_t)b * H,
			    lc->dh + o, dhr + (size_t)b * H, 1, H);
			linalg_add(dw->bias, dgb, (size_t)4 * H);
			if (each != NULL)
				each->fn(each->arg, t, b, dgb);
			if (dG16 != NULL)
				linalg_to_bf16(dG16 + o * 4, dgb,
				    (size_t)4 * H);
		}
		if (s % L == 0 && dinit_h == NULL) {
			memset(dhr, 0, 2 * bh * sizeof *dhr);
			continue;
		}
		/* dh_prev = dG W_h^T */
		linalg_gemm(0, 1, B, H, 4 * H, dGt, 4 * H, Wh, 4 * H, 0.0f,
		    dhr, H);
		if (s % L == 0) {
			memcpy(dinit_h + (size_t)(s / L) * bh, dhr,
			    bh * sizeof *dhr);
			memcpy(dinit_c + (size_t)(s / L) * bh, dcr,
			    bh * sizeof *dcr);
			memset(dhr, 0, 2 * bh * sizeof *dhr);
		}
	}
	/*
	 * dW_h += hp^T dG over all T*B rows.  Chained, the first step's
	 * zeros add nothing and the others' hp are h one step over: h of
	 * times 0..T-2 against dG of 1..T-1 forward, h of 1..T-1 against dG
	 * of 0..T-2 in reverse.
	 */
	if (!lc->chained)
		linalg_gemm(1, 0, H, 4 * H, T * B, lc->hp, H, dG, 4 * H, 1.0f,
		    dw->kernel + (size_t)w->in * 4 * H, 4 * H);
	else if (T > 1)
		linalg_gemm(1, 0, H, 4 * H, (T - 1) * B, lc->h + (rev ? bh : 0),
		    H, dG + (rev ? 0 : bh * 4), 4 * H, 1.0f, dw->kernel +
		    (size_t)w->in * 4 * H, 4 * H);
}

/* Dense input side of a layer: dW_in += x^T dG; dx (+)= dG W_in^T. */
void
grad_dense_in_backward(float *dx, float dx_beta, struct lstm_w *dw,
    const float *x, const float *dG, const struct lstm_w *w,
    int M)
{
	int	G = 4 * w->H;

	linalg_gemm(1, 0, w->in, G, M, x, w->in, dG, G, 1.0f, dw->kernel, G);
	if (dx != NULL)
		linalg_gemm(0, 1, M, w->in, G, dG, G, w->kernel, G, dx_beta,
		    dx, w->in);
}

/* Pre-activations of every step from a dense input: g = x W_in + b. */
void
grad_dense_in_forward(struct lstm_cache *lc, const struct lstm_w *w,
    const float *x)
{
	size_t	M = (size_t)lc->T * lc->B;

	linalg_set_rows(lc->g, w->bias, (int)M, 4 * w->H);
	linalg_gemm(0, 0, (int)M, 4 * w->H, w->in, x, w->in, w->kernel,
	    4 * w->H, 1.0f, lc->g, 4 * w->H);
}

/* ------------------------------------------------------------------ */
/* Bidirectional encoder layers. */

/*
 * Step t's gates from a one-hot input: a sum of kernel rows, no matmul;
 * the bias and the first row in one pass.
 */
static void
token_gates(struct lstm_cache *lc, const struct lstm_w *w,
    const struct bidi *e, int t)
{
	size_t	G = 4 * (size_t)lc->H, r;
	int	k;

	for (r = (size_t)t * lc->B; r < (size_t)(t + 1) * lc->B; r++) {
		const int *rows = e->rows + r * MAX_ROWS;

		if (e->nrows[r] == 0) {
			memcpy(lc->g + r * G, w->bias, G * sizeof(float));
			continue;
		}
		linalg_sum(lc->g + r * G, w->bias, w->kernel +
		    (size_t)rows[0] * G, G);
		for (k = 1; k < e->nrows[r]; k++)
			linalg_add(lc->g + r * G, w->kernel +
			    (size_t)rows[k] * G, G);
	}
}

void
grad_bidi_forward(struct bidi *e, const struct lstm_w *fw,
    const struct lstm_w *bw)
{
	const struct lstm_w	*w;
	struct lstm_cache	*lc;
	size_t			 bh;
	int			 d, s, t, prev;

	for (d = 0; d < 2; d++) {
		w = d == 0 ? fw : bw;
		lc = &e->d[d];
		bh = (size_t)lc->B * lc->H;
		if (e->x != NULL)
			grad_dense_in_forward(lc, w, e->x);
		for (s = 0; s < e->T; s++) {
			t = d == 0 ? s : e->T - 1 - s;
			prev = d == 0 ? t - 1 : t + 1;
			/* Token gates step by step, in cache for the step's
			   product. */
			if (e->x == NULL)
				token_gates(lc, w, e, t);
			if (s == 0)
				grad_lstm_step_forward(lc, w, t, NULL, NULL);
			else
				grad_lstm_step_forward(lc, w, t,
				    lc->h + (size_t)prev * bh,
				    lc->c + (size_t)prev * bh);
		}
	}
}

struct scatter {
	const struct bidi	*e;
	float			*dk;
	size_t			 G;
};

/* dW rows of example b's tokens at step t += its row of dG (grad_each). */
static void
scatter_rows(void *arg, int t, int b, const float *dg)
{
	const struct scatter	*sc = arg;
	const struct bidi	*e = sc->e;
	size_t			 r = (size_t)t * e->B + b;
	int			 k;

	for (k = 0; k < e->nrows[r]; k++)
		linalg_add(sc->dk + (size_t)e->rows[r * MAX_ROWS + k] * sc->G,
		    dg, sc->G);
}

/* Backward of a bidi layer whose d[].dh are filled; fills e->dx if any. */
void
grad_bidi_backward(struct lstm_w *dfw, struct lstm_w *dbw, struct bidi *e,
    const struct lstm_w *fw, const struct lstm_w *bw, float *dG,
    float *scratch, uint16_t *dG16)
{
	const struct lstm_w	*w;
	struct lstm_w		*dw;
	struct lstm_cache	*lc;
	struct scatter		 sc;
	struct grad_each	 each;
	size_t			 G;
	int			 d, M = e->T * e->B;

	for (d = 0; d < 2; d++) {
		w = d == 0 ? fw : bw;
		dw = d == 0 ? dfw : dbw;
		lc = &e->d[d];
		G = 4 * (size_t)lc->H;
		if (e->x != NULL) {
			grad_lstm_layer_backward(dG, NULL, NULL, dw, lc, w,
			    e->T, d, scratch, dG16, NULL);
			grad_dense_in_backward(e->dx, d == 0 ? 0.0f : 1.0f, dw,
			    e->x, dG, w, M);
			continue;
		}
		/* Token rows: each step's gradient into the kernel rows its
		   tokens took, while in cache. */
		sc.e = e;
		sc.dk = dw->kernel;
		sc.G = G;
		each.fn = scatter_rows;
		each.arg = &sc;
		grad_lstm_layer_backward(dG, NULL, NULL, dw, lc, w, e->T, d,
		    scratch, dG16, &each);
	}
}

/* ------------------------------------------------------------------ */
/* Initial states: tanh(dense) split [c0, h0, c1, h1, ...]. */

/* Copy layer k's c or h (which = 0 c, 1 h) out of s (M, Sdim). */
void
grad_state_split(float *out, const float *s, int M, int Sdim, const int *size,
    int k, int which)
{
	int	off = 0, j, r;

	for (j = 0; j < k; j++)
		off += 2 * size[j];
	off += which * size[k];
	for (r = 0; r < M; r++)
		memcpy(out + (size_t)r * size[k], s + (size_t)r * Sdim + off,
		    size[k] * sizeof *out);
}

void
grad_state_join(float *ds, const float *d, int M, int Sdim, const int *size,
    int k, int which)
{
	int	off = 0, j, r;

	for (j = 0; j < k; j++)
		off += 2 * size[j];
	off += which * size[k];
	for (r = 0; r < M; r++)
		memcpy(ds + (size_t)r * Sdim + off, d + (size_t)r * size[k],
		    size[k] * sizeof *ds);
}

/* s (M, Sdim) = tanh(x W + b) */
void
grad_init_forward(float *s, const float *x, const struct dense_w *w,
    int M)
{
	size_t	i;

	linalg_set_rows(s, w->bias, M, w->out);
	linalg_gemm(0, 0, M, w->out, w->in, x, w->in, w->kernel, w->out,
	    1.0f, s, w->out);
	for (i = 0; i < (size_t)M * w->out; i++)
		s[i] = grad_tanh(s[i]);
}

/* ds holds dL/ds; turns it into dL/dpre and accumulates dW, db, dx. */
void
grad_init_backward(float *dx, float *ds, const float *s, const float *x,
    const struct dense_w *w, struct dense_w *dw, int M)
{
	size_t	i;

	for (i = 0; i < (size_t)M * w->out; i++)
		ds[i] *= 1 - s[i] * s[i];
	linalg_gemm(1, 0, w->in, w->out, M, x, w->in, ds, w->out, 1.0f,
	    dw->kernel, w->out);
	grad_colsum_add(dw->bias, ds, M, w->out);
	linalg_gemm(0, 1, M, w->in, w->out, ds, w->out, w->kernel, w->out,
	    1.0f, dx, w->in);
}
