/*
 * test_model.h: the random-weight model the model and app tests share.
 * Weights drawn from one generator seeded with seed, in the order of
 * p.mem: uniform in [-scale, scale], or (normal) with standard deviation
 * scale.  Exits 99 (a set-up error) if the model cannot be made.
 */
#ifndef LR_TEST_MODEL_H
#define LR_TEST_MODEL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "params.h"
#include "rng.h"
#include "vae.h"

static inline struct vae *
test_random_vae(const struct vae_arch *a, uint64_t seed, float scale,
    int normal)
{
	struct vae	*v;
	struct rng	 r;
	char		*cause = NULL;
	size_t		 i;

	if ((v = vae_new(a, &cause)) == NULL) {
		fprintf(stderr, "vae_new: %s\n", cause);
		exit(99);
	}
	rng_seed(&r, seed);
	for (i = 0; i < v->p.n_params; i++)
		v->p.mem[i] = normal ? scale * rng_normal(&r) :
		    (rng_uniform(&r) * 2.0f - 1.0f) * scale;
	return (v);
}

#endif
