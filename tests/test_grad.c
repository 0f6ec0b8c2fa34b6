/*
 * test_grad: the backward pass against central finite differences, for
 * every parameter tensor of tiny models of each architecture family (flat
 * melody with 2 encoder layers, hierarchical melody, flat drums,
 * hierarchical trio).
 *
 * Per tensor the check is a directional derivative along a random +-1
 * direction v over all its entries: (L(w+hv) - L(w-hv)) / 2h against g.v,
 * which touches every entry at once (a wrong entry anywhere changes g.v),
 * plus the single entry with the largest gradient.  The forward runs on
 * the plain C reference matmul; eps of the reparameterisation is drawn
 * from a generator reseeded before every pass, so the loss is a smooth
 * deterministic function of the weights.  Scheduled sampling (a discrete
 * choice, no gradient) is off; free bits 0 so the KL term is live.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/linalg.h"
#include "model/params.h"
#include "model/rng.h"
#include "model/train.h"
#include "tests/test.h"

#define B	3
#define BETA	0.7f
#define TOL	2e-2

static struct train_net	*net;
static int		*tokens;

static double
loss_at(struct vae_params *p)
{
	struct train_stats	st;
	struct rng		r;
	char			*cause = NULL;

	rng_seed(&r, 99);
	if (train_forward(net, p, tokens, B, BETA, 0.0f, 0.0f, 0, &r, &st,
	    &cause) != 0) {
		fprintf(stderr, "forward: %s\n", cause);
		exit(99);
	}
	return (st.loss);
}

static void
check_arch(const char *label, const struct vae_arch *a)
{
	struct vae_params	 p, g;
	struct train_stats	 st;
	struct rng		 r;
	char			*cause = NULL;
	double			 worst = 0;
	int			 i, s;
	size_t			 j, T = a->num_steps;

	if (params_alloc(&p, a, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", label, cause);
		exit(99);
	}
	params_clone_layout(&g, &p, calloc(p.n_params, sizeof(float)));
	rng_seed(&r, 7);
	/* Weights large enough that every path carries gradient. */
	for (j = 0; j < p.n_params; j++)
		p.mem[j] = (2 * rng_uniform(&r) - 1) * 0.4f;
	tokens = malloc(B * T * a->n_splits * sizeof *tokens);
	for (j = 0; j < B * T; j++)
		for (s = 0; s < a->n_splits; s++)
			tokens[j * a->n_splits + s] = rng_below(&r,
			    a->out_depth[s]);
	net = train_net_new(&p, B, &cause);
	CHECK(net != NULL);

	{
		struct rng r2;

		rng_seed(&r2, 99);
		CHECK(train_forward(net, &p, tokens, B, BETA, 0.0f, 0.0f, 0,
		    &r2, &st, &cause) == 0);
		train_backward(net, &p, &g);
	}

	for (i = 0; i < p.n_tensors; i++) {
		struct vae_tensor *t = &p.tensors[i];
		float	*w = t->p, *gw = g.tensors[i].p, h = 1e-2f, save;
		signed char *v = malloc(t->n);
		double	 dot = 0, lp, lm, num, dnum, err, dir_err, gmax = -1;
		size_t	 jm = 0;

		for (j = 0; j < t->n; j++) {
			v[j] = rng_u32(&r) & 1 ? 1 : -1;
			dot += v[j] * (double)gw[j];
			if (fabs(gw[j]) > gmax) {
				gmax = fabs(gw[j]);
				jm = j;
			}
		}
		/* A direction over n entries moves the loss sqrt(n) times
		   more than one entry: scale h so the step stays small. */
		h = 3e-3f;
		for (j = 0; j < t->n; j++)
			w[j] += h * v[j];
		lp = loss_at(&p);
		for (j = 0; j < t->n; j++)
			w[j] -= 2 * h * v[j];
		lm = loss_at(&p);
		for (j = 0; j < t->n; j++)
			w[j] += h * v[j];
		num = dnum = (lp - lm) / (2 * h);
		err = fabs(num - dot) / fmax(fabs(num) + fabs(dot), 1e-2);
		dir_err = err;
		if (err > worst)
			worst = err;
		CHECK_MSG(err < TOL, "%s %s: direction: analytic %g numeric "
		    "%g rel %g", label, t->name, dot, num, err);

		/* The largest single entry. */
		h = 1e-2f;
		save = w[jm];
		w[jm] = save + h;
		lp = loss_at(&p);
		w[jm] = save - h;
		lm = loss_at(&p);
		w[jm] = save;
		num = (lp - lm) / (2 * h);
		err = fabs(num - gw[jm]) / fmax(fabs(num) + fabs(gw[jm]),
		    1e-2);
		CHECK_MSG(err < TOL, "%s %s[%zu]: analytic %g numeric %g rel "
		    "%g", label, t->name, jm, (double)gw[jm], num, err);
		if (getenv("VERBOSE") != NULL)
			fprintf(stderr, "%-10s %-80s dir %.2e (%g vs %g) "
			    "entry %.2e\n", label, t->name,
			    dir_err, dot, dnum, err);
		free(v);
	}
	fprintf(stderr, "%s: %d tensors, %zu params, worst directional "
	    "relative error %.2e\n", label, p.n_tensors, p.n_params, worst);

	/* Sanity: the gradient is not trivially zero. */
	{
		double	ss = 0;

		for (j = 0; j < g.n_params; j++)
			ss += (double)g.mem[j] * g.mem[j];
		CHECK(ss > 1e-6);
	}
	train_net_free(net);
	free(tokens);
	free(g.mem);
	params_free(&p);
}

int
main(void)
{
	struct vae_arch	a;

	linalg_set_reference(1);

	/* Flat melody, 2 encoder layers. */
	memset(&a, 0, sizeof a);
	a.kind = VAE_MELODY;
	a.num_steps = 6;
	a.in_depth = a.out_depth[0] = 90;
	a.n_splits = 1;
	a.enc_layers = 2;
	a.enc_size[0] = 5;
	a.enc_size[1] = 4;
	a.z_size = 3;
	a.dec_layers = 2;
	a.dec_size[0] = 5;
	a.dec_size[1] = 4;
	check_arch("flat-mel", &a);

	/* Hierarchical melody: 2 segments of 3 steps. */
	a.num_segments = 2;
	a.cond_layers = 2;
	a.cond_size[0] = 4;
	a.cond_size[1] = 3;
	check_arch("hier-mel", &a);

	/* Flat drums: 10-wide roll in, 512 labels out. */
	memset(&a, 0, sizeof a);
	a.kind = VAE_DRUMS;
	a.num_steps = 5;
	a.in_depth = 10;
	a.out_depth[0] = 512;
	a.n_splits = 1;
	a.enc_layers = 1;
	a.enc_size[0] = 4;
	a.z_size = 3;
	a.dec_layers = 1;
	a.dec_size[0] = 4;
	check_arch("drums", &a);

	/* Hierarchical trio: 3 split decoders. */
	memset(&a, 0, sizeof a);
	a.kind = VAE_TRIO;
	a.num_steps = 4;
	a.num_segments = 2;
	a.in_depth = 90 + 90 + 512;
	a.n_splits = 3;
	a.out_depth[0] = a.out_depth[1] = 90;
	a.out_depth[2] = 512;
	a.enc_layers = 2;
	a.enc_size[0] = a.enc_size[1] = 3;
	a.z_size = 3;
	a.cond_layers = 1;
	a.cond_size[0] = 3;
	a.dec_layers = 2;
	a.dec_size[0] = a.dec_size[1] = 3;
	check_arch("trio", &a);

	return (test_report());
}
