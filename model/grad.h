/*
 * grad.h: the trainer's layer kernels, forward and backward on raw
 * time-major buffers (used by model/train.c only).  An LSTM layer keeps
 * per step its activated gates, the state it started from, the state it
 * produced and tanh(c), so the backward pass recomputes nothing and the
 * weight gradients of a layer are single products over all T*B rows.
 *
 * Conventions (spec A, B 3.1): kernel (in+H, 4H), rows [0,in) multiply the
 * input and [in,in+H) multiply h; gate order i, j, f, o; forget bias 1.0
 * added at run time; initial states tanh(dense) split [c0,h0,c1,h1..].
 * Backward functions accumulate (+=) into weight gradients.
 */
#ifndef LR_GRAD_H
#define LR_GRAD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"

#define MAX_ROWS	16	/* input rows one encoder step can set */

/* One LSTM layer's cache over T steps of B sequences. */
struct lstm_cache {
	int	 T, B, H;
	float	*g;	/* (T, B, 4H) activated gates i, j, f, o */
	float	*c;	/* (T, B, H) cell after the step */
	float	*h;	/* (T, B, H) output after the step */
	float	*cp;	/* (T, B, H) cell before the step */
	float	*hp;	/* (T, B, H) output before the step; NULL chained */
	float	*tc;	/* (T, B, H) tanh(c), kept for the backward pass */
	float	*dh;	/* (T, B, H) gradient arriving on h from above */
	/*
	 * chained: every step starts from the state the one before it
	 * (in its direction) ended with, the first from zeros: a layer of
	 * the encoder.  There is no hp then, and cp is not copied: the
	 * steps read h and c where they are, and only the first step's
	 * rows of cp (zeros) are written.
	 */
	int	 chained;
};

/* A bidirectional layer: [0] forward in time, [1] backward. */
struct bidi {
	struct lstm_cache	 d[2];
	int			 T, B, in;
	float			*x;	/* (T, B, in) dense input, or NULL */
	int			*rows;	/* (T, B, MAX_ROWS) token input rows */
	int			*nrows;	/* (T, B) */
	float			*dx;	/* (T, B, in) input gradient */
};

static inline float
grad_sigm(float x)
{
	return (1.0f / (1.0f + expf(-x)));
}

/* tanh through one expf: glibc's tanhf (expm1f) was 15% of a step. */
static inline float
grad_tanh(float x)
{
	float	t;

	if (x >= 0) {
		t = expf(-2.0f * x);
		return ((1.0f - t) / (1.0f + t));
	}
	t = expf(2.0f * x);
	return ((t - 1.0f) / (1.0f + t));
}

/* db (N) += column sums of dG (M, N). */
void	grad_colsum_add(float *db, const float *dG, size_t M, int N);

/* One step t of a layer from state hp/cp (NULL: zeros); lc->g[t] holds
   the input and bias pre-activations. */
void	grad_lstm_step_forward(struct lstm_cache *lc, const struct lstm_w *w,
	    int t, const float *hp, const float *cp);

/* A whole layer backward (steps reset every L, reversed if rev); fills
   dG (T, B, 4H) and the reset-state gradients, accumulates dW_h, db.
   dG16 (or NULL): each step's rows of dG rounded to bf16 as soon as they
   are written, at the same offsets (the caller holds dG with it,
   linalg_hold, so the layer's bf16 products round dG once).
   each (or NULL): called with each row of dG (example b at step t, 4H
   floats) while it is in cache, for the input side of token inputs (a
   scatter into kernel rows, which would otherwise read the whole of dG
   again). */
struct grad_each {
	void	(*fn)(void *arg, int t, int b, const float *dg);
	void	 *arg;
};
void	grad_lstm_layer_backward(float *dG, float *dinit_c, float *dinit_h,
	    struct lstm_w *dw, struct lstm_cache *lc, const struct lstm_w *w,
	    int L, int rev, float *scratch, uint16_t *dG16,
	    const struct grad_each *each);

/* Dense input side: g = x W_in + b; dW_in += x^T dG, dx = dG W_in^T. */
void	grad_dense_in_forward(struct lstm_cache *lc, const struct lstm_w *w,
	    const float *x);
void	grad_dense_in_backward(float *dx, float dx_beta, struct lstm_w *dw,
	    const float *x, const float *dG, const struct lstm_w *w, int M);

/* Bidirectional layer over token rows or a dense input. */
void	grad_bidi_forward(struct bidi *e, const struct lstm_w *fw,
	    const struct lstm_w *bw);
void	grad_bidi_backward(struct lstm_w *dfw, struct lstm_w *dbw,
	    struct bidi *e, const struct lstm_w *fw, const struct lstm_w *bw,
	    float *dG, float *scratch, uint16_t *dG16);

/* Initial states: s = tanh(x W + b) split [c0,h0,c1,h1..] and back. */
void	grad_state_split(float *out, const float *s, int M, int Sdim,
	    const int *size, int k, int which);
void	grad_state_join(float *ds, const float *d, int M, int Sdim,
	    const int *size, int k, int which);
void	grad_init_forward(float *s, const float *x, const struct dense_w *w,
	    int M);
void	grad_init_backward(float *dx, float *ds, const float *s,
	    const float *x, const struct dense_w *w, struct dense_w *dw, int M);

#endif
