/*
 * lstm.h: one LSTM layer with TF BasicLSTMCell / LSTMBlockCell semantics
 * (spec B 3.1): kernel (in+H, 4H), rows [0,in) the input and [in,in+H) the
 * previous h, gate columns i, j, f, o, forget bias +1.0 added at run time.
 *
 * The gate pre-activations g (B, 4H) are built in pieces so that callers
 * can skip work: the bias, a dense input block (gemm), a one-hot or
 * multi-hot input block (row gather, no multiply) and the h block (gemv for
 * B == 1).  lstm_cell then applies the nonlinearity.  Matrix work goes
 * through model/linalg.h only.
 */
#ifndef LR_LSTM_H
#define LR_LSTM_H

#include "params.h"

#define LSTM_FORGET_BIAS	1.0f

/* g (B, 4H) = bias broadcast over rows. */
void	lstm_gates_bias(float *g, const struct lstm_w *w, int B);

/*
 * g (B, 4H) += x (B, n) . kernel rows [row0, row0+n).  x rows are ldx
 * floats apart.  B == 1 uses a gemv.
 */
void	lstm_gates_dense(float *g, const float *x, int ldx,
	    const struct lstm_w *w, int row0, int n, int B);

/*
 * Lay out again, in the product kernel's own layout (linalg_pack_add),
 * the weight blocks every step of a sequence reuses, as the products
 * multiply them: train, the trainer's (each LSTM's h block forward and
 * transposed, and the input block of the decoder and conductor layers
 * above the first); else inference's (the h blocks, and those layers'
 * whole [x, h] kernels).  Blocks that cannot be packed are read as
 * stored; linalg_pack_remove(p->mem, p->n_params) undoes it.
 */
void	lstm_pack_params(const struct vae_params *p, int prec, int train);

/*
 * g (4H) += sum over k < nrows of kernel row (row0 + rows[k]): the input
 * projection of a 0/1 input with nrows ones, for one sequence.
 */
void	lstm_gates_gather(float *g, const int *rows, int nrows,
	    const struct lstm_w *w, int row0);

/*
 * The cell: from g (B, 4H) and the previous c (B, H, updated in place)
 * compute the new h into h (rows ldh apart) and, if h2 is not NULL, a copy
 * into h2 (rows ldh2 apart; the next layer's input slot).
 *   c' = sig(i) tanh(j) + c sig(f + 1);  h' = tanh(c') sig(o)
 */
void	lstm_cell(float *h, int ldh, float *h2, int ldh2, float *c,
	    const float *g, int B, int H);

/*
 * A whole layer over a time-major sequence, as the encoder uses it.
 * gin (T, B, 4H): input projections with the bias already added, consumed
 * (overwritten with the gates).  Runs forward (reverse == 0) or backward
 * in time from zero state; writes h of each step into y (T, B, ldy) at
 * column offset 0 of each row (the caller offsets y for the bw half).
 * c (B, H) is scratch.  The final h is y at the last step processed.
 */
void	lstm_layer(float *y, int ldy, float *c, float *gin,
	    const struct lstm_w *w, int T, int B, int reverse);

/*
 * Half-precision weights for the batch-1 decoder (optional): the per-step
 * weights of mel_2bar are 3.25 MB in float32, more than this CPU's 2 MB
 * L2, so each step streams them from L3; as IEEE fp16 they fit.  Needs
 * AVX2, FMA and F16C at run time (checked, never assumed at build time).
 */
#include <stdint.h>

/* 1 if this CPU runs the fp16 kernels. */
int	lstm_half_supported(void);

/* Storage formats of the 16-bit weights: IEEE fp16, or bfloat16 (8 bits
   of mantissa where fp16 has 11, but float32's range). */
#define LSTM_HALF_FP16	0
#define LSTM_HALF_BF16	1
/*
 * bfloat16 for the AVX512-BF16 dot product (vdpbf16ps): the panels keep
 * rows in pairs, and the kernel rounds x to bfloat16 too (float32 sums),
 * so a step does a sixth of the instructions of LSTM_HALF_BF16.  A
 * matrix with an odd number of rows is kept as LSTM_HALF_BF16.  Only
 * where lstm_half_dp_supported().
 */
#define LSTM_HALF_BF16DP 2

/* 1 if this CPU runs LSTM_HALF_BF16DP (AVX512-BF16). */
int	lstm_half_dp_supported(void);

/*
 * Round src (K, N) to fmt (nearest even) into dst (K*N) in the kernel's
 * packed layout (column panels, rows contiguous).  Only if supported.
 */
void	lstm_half_pack(uint16_t *dst, const float *src, int K, int N,
	    int fmt);

/*
 * y (N) += x (n) . rows [row0, row0+n) of W, a packed (K, N) matrix in
 * fmt, accumulated in float.  Only if supported.
 */
void	lstm_half_gemv(float *y, const float *x, const uint16_t *W, int K,
	    int N, int row0, int n, int fmt);

/* Columns per panel of the packed layout (lstm_half_pack). */
#define LSTM_HALF_PANEL	128

/*
 * lstm_half_gemv on the panels [b0, b1) only (columns [b0, b1) x
 * LSTM_HALF_PANEL of the N / LSTM_HALF_PANEL full ones; the remainder
 * block is lstm_half_gemv's): one thread's share of the columns.  The
 * same digits as lstm_half_gemv gives those columns.
 */
void	lstm_half_gemv_panels(float *y, const float *x, const uint16_t *W,
	    int K, int row0, int n, int fmt, int b0, int b1);

/*
 * The trainer's cell on B rows: g (B, 4H) pre-activations in, activated
 * gates i, j, f, o out (in place); c = f cp + i j, tc = tanh(c),
 * h = tc o, each (B, H).  The same functions as lstm_cell.
 */
void	lstm_cell_train(float *g, float *c, float *tc, float *h,
	    const float *cp, int B, int H);

/*
 * Its backward for one step of B rows: from the activated gates g, tc =
 * tanh(c), the previous cell cp, and dh = dh_above + dh (the gradient on
 * h from the layer above and from the next step), the pre-activation
 * gradients dg (B, 4H); dc (B, H), the gradient on c from the next step,
 * becomes the gradient on cp.
 */
void	lstm_cell_backward(float *dg, float *dc, const float *g,
	    const float *tc, const float *cp, const float *dh_above,
	    const float *dh, int B, int H);

#endif
