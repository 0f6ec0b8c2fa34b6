/*
 * rng.h: explicit random state (STYLE.md rule 23).  Every sampling call
 * takes a struct rng; nothing in latentroll calls rand().
 */
#ifndef LR_RNG_H
#define LR_RNG_H

#include <stdint.h>

struct rng {
	uint64_t	s;
};

/* Seed the generator; any seed (including 0) is valid. */
void		rng_seed(struct rng *r, uint64_t seed);
uint32_t	rng_u32(struct rng *r);
uint64_t	rng_u64(struct rng *r);
/* Uniform in [0, 1). */
float		rng_uniform(struct rng *r);
double		rng_uniform_d(struct rng *r);
/* Standard normal (Box-Muller, double precision inside). */
float		rng_normal(struct rng *r);
/* Uniform integer in [0, n). */
uint32_t	rng_below(struct rng *r, uint32_t n);

#endif
