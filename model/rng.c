/*
 * rng.c: splitmix64 stream.  Small state (one word) so that training state
 * files and UI snapshots can store it exactly.
 */
#include "rng.h"

#include <math.h>

void
rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ^ 0x9e3779b97f4a7c15ULL;
}

/* splitmix64 (Steele, Lea, Flood 2014). */
uint64_t
rng_u64(struct rng *r)
{
	uint64_t	z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

uint32_t
rng_u32(struct rng *r)
{
	return ((uint32_t)(rng_u64(r) >> 32));
}

float
rng_uniform(struct rng *r)
{
	return ((float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f));
}

double
rng_uniform_d(struct rng *r)
{
	return ((double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0));
}

float
rng_normal(struct rng *r)
{
	double	u1, u2;

	do
		u1 = rng_uniform_d(r);
	while (u1 <= 0.0);
	u2 = rng_uniform_d(r);
	return ((float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2)));
}

/* Lemire's multiply-shift; the bias for n << 2^32 is negligible here. */
uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return ((uint32_t)(((uint64_t)rng_u32(r) * n) >> 32));
}
