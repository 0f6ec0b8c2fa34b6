/*
 * adam.h: global-norm gradient clipping and the Adam update, as
 * tf.train.AdamOptimizer does them (spec B 4).  One loop over a whole
 * arena: parameters, gradients and both moments share one layout.
 */
#ifndef LR_ADAM_H
#define LR_ADAM_H

#include <stddef.h>

/*
 * Scale g (n) so its global L2 norm is at most clip; if the norm is
 * >= zero_at (or not finite) set g to zero instead.  Returns the norm
 * before clipping.
 */
double	adam_clip(float *g, size_t n, float clip, float zero_at);

/*
 * One Adam step t (1-based) with learning rate lr on w (n), moments m and v,
 * gradient g: lr_t = lr sqrt(1-b2^t)/(1-b1^t), w -= lr_t m/(sqrt(v)+eps).
 */
void	adam_update(float *w, float *m, float *v, const float *g, size_t n,
	    long t, float lr, float b1, float b2, float eps);

#endif
