/*
 * adam.h: global-norm gradient clipping and the Adam update, as
 * tf.train.AdamOptimizer does them (spec B 4).  One layout for parameters,
 * gradients and both moments: an update may run over the whole arena or,
 * split by the training workers, over ranges of it.
 */
#ifndef LR_ADAM_H
#define LR_ADAM_H

#include <stddef.h>

/*
 * The global norm is summed in blocks of ADAM_BLOCK elements, each block
 * in double, the blocks then in order: the same digits however many
 * threads sum the blocks.
 */
#define ADAM_BLOCK	65536

/* Sum of squares of g (n <= ADAM_BLOCK: one block), in double. */
double	adam_sumsq(const float *g, size_t n);

/* Norm of g (n) by blocks, as the split sums give it. */
double	adam_norm(const float *g, size_t n);

/*
 * The factor clipping to norm clip applies for a global norm: 1, clip/norm,
 * or 0 when the norm is >= zero_at or not finite (the gradient is dropped).
 */
float	adam_clip_factor(double norm, float clip, float zero_at);

/*
 * Scale g (n) so its global L2 norm is at most clip; if the norm is
 * >= zero_at (or not finite) set g to zero instead.  Returns the norm
 * before clipping.
 */
double	adam_clip(float *g, size_t n, float clip, float zero_at);

/* g (n) *= f, the factor adam_clip_factor gave (0 clears). */
void	adam_scale(float *g, size_t n, float f);

/*
 * One Adam step t (1-based) with learning rate lr on w (n), moments m and v,
 * gradient g: lr_t = lr sqrt(1-b2^t)/(1-b1^t), w -= lr_t m/(sqrt(v)+eps).
 * Vectorised where the CPU has AVX-512; the same digits on every run of
 * one machine.
 */
void	adam_update(float *w, float *m, float *v, const float *g, size_t n,
	    long t, float lr, float b1, float b2, float eps);

/*
 * adam_scale(g, n, f) then adam_update in one pass, the same digits (g
 * itself is left as it was).
 */
void	adam_update_clipped(float *w, float *m, float *v, const float *g,
	    size_t n, long t, float lr, float b1, float b2, float eps, float f);

#endif
