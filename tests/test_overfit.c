/*
 * test_overfit: a tiny model learns a handful of windows by heart.
 * Teacher-forced accuracy (z = mu, as eval measures it) must reach 0.99
 * within a bounded number of Adam steps, for a flat and a hierarchical
 * melody model; the loss must fall; and two runs from the same seed must
 * give the same parameters bit for bit (determinism of forward, backward
 * and optimiser).  Also: the default hyper-parameters of every
 * architecture the trainer offers are spec B 4's table row for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "rng.h"
#include "train.h"
#include "test.h"

#define NWIN	8
#define STEPS	32
#define MAXIT	2000
#define HIER_MAXIT	4000

/* Melody-like windows: notes held a few steps, some rests. */
static void
make_windows(int *tok, struct rng *r)
{
	int	i, t, hold;

	for (i = 0; i < NWIN; i++) {
		t = 0;
		while (t < STEPS) {
			tok[i * STEPS + t++] = rng_below(r, 4) == 0 ? 1 :
			    2 + 40 + (int)rng_below(r, 24);
			hold = 1 + (int)rng_below(r, 3);
			while (hold-- > 0 && t < STEPS)
				tok[i * STEPS + t++] = 0;
		}
	}
}

/* Train; returns the step at which accuracy reached 0.99, or -1. */
static int
overfit(const char *label, const struct vae_arch *a, const int *tok,
    float lr, int maxit, uint64_t seed, float *out_params, size_t *out_n)
{
	struct vae_params	 p, g;
	struct train_net	*n;
	struct train_hp		 hp;
	struct train_stats	 st;
	struct rng		 r;
	char			*cause = NULL;
	float			*m, *v;
	double			 first = 0;
	int			 it, reached = -1;

	if (params_alloc(&p, a, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", label, cause);
		exit(99);
	}
	params_clone_layout(&g, &p, calloc(p.n_params, sizeof(float)));
	m = calloc(p.n_params, sizeof *m);
	v = calloc(p.n_params, sizeof *v);
	rng_seed(&r, seed);
	train_init_params(&p, &r);
	n = train_net_new(&p, NWIN, &cause);
	train_hp_default(&hp, a);
	hp.lr = lr;
	hp.decay_rate = 1.0f;
	hp.max_beta = 0.0f;
	hp.sampling_rate = 0.0f;
	for (it = 0; it < maxit; it++) {
		if (train_step(n, &p, &g, m, v, &hp, it, tok, NWIN, &r, &st,
		    &cause) != 0) {
			fprintf(stderr, "%s: %s\n", label, cause);
			exit(99);
		}
		if (it == 0)
			first = st.r_loss;
		/* Teacher-forced accuracy as eval measures it: z = mu. */
		if (it % 25 == 24) {
			struct train_stats ev;

			if (train_forward(n, &p, tok, NWIN, 0.0f, 0.0f, 0.0f, 1,
			    NULL, &ev, &cause) != 0)
				exit(99);
			if (ev.acc >= 0.99) {
				st.acc = ev.acc;
				reached = it;
				break;
			}
		}
	}
	fprintf(stderr, "%s: %zu params, loss %.3f -> %.3f, acc %.4f at "
	    "step %d\n", label, p.n_params, first, st.r_loss, st.acc, it);
	CHECK(st.r_loss < first / 10);
	if (out_params != NULL) {
		memcpy(out_params, p.mem, p.n_params * sizeof(float));
		*out_n = p.n_params;
	}
	train_net_free(n);
	free(m);
	free(v);
	free(g.mem);
	params_free(&p);
	return (reached);
}

/*
 * Spec B 4's table: the row each offered architecture follows.  The
 * architecture list is taken from params_arch_named's own error message,
 * so an architecture added without a row here fails.
 */
static const struct {
	const char	*arch, *row;
	float		 free_bits, max_beta, beta_rate, sampling_rate;
} spec_rows[] = {
	{ "mel_2bar", "cat-mel_2bar_small", 0, 0.2f, 0.99999f, 1000 },
	{ "mel_16bar", "hierdec-mel_16bar", 256, 0.2f, 0, 0 },
	{ "drums_2bar", "cat-drums_2bar_small", 48, 0.2f, 0, 1000 },
	{ "trio_4bar", "hierdec-trio_16bar", 256, 0.2f, 0, 0 },
};

static void
test_hp_defaults(void)
{
	struct vae_arch	 a;
	struct train_hp	 hp;
	char		*cause = NULL, *list, *name, *save;
	size_t		 i;
	int		 n = 0, found;

	CHECK(params_arch_named(&a, "no such arch", &cause) == -1);
	list = cause != NULL ? strchr(cause, '(') : NULL;
	CHECK(list != NULL);
	if (list == NULL)
		return;
	list++;
	list[strcspn(list, ")")] = '\0';
	for (name = strtok_r(list, ", ", &save); name != NULL;
	    name = strtok_r(NULL, ", ", &save)) {
		n++;
		found = 0;
		for (i = 0; i < sizeof spec_rows / sizeof spec_rows[0]; i++) {
			if (strcmp(spec_rows[i].arch, name) != 0)
				continue;
			found = 1;
			CHECK(params_arch_named(&a, name, NULL) == 0);
			memset(&hp, 0xff, sizeof hp);
			train_hp_default(&hp, &a);
			CHECK_MSG(hp.free_bits == spec_rows[i].free_bits &&
			    hp.max_beta == spec_rows[i].max_beta &&
			    hp.beta_rate == spec_rows[i].beta_rate &&
			    hp.sampling_rate == spec_rows[i].sampling_rate,
			    "%s: free_bits %g max_beta %g beta_rate %g "
			    "sampling %g, spec row %s has %g %g %g %g", name,
			    hp.free_bits, hp.max_beta, hp.beta_rate,
			    hp.sampling_rate, spec_rows[i].row,
			    spec_rows[i].free_bits, spec_rows[i].max_beta,
			    spec_rows[i].beta_rate,
			    spec_rows[i].sampling_rate);
			/* Every row: Adam lr 1e-3 decaying 0.9999 to 1e-5,
			   clip at global norm 1, zero at 10000. */
			CHECK(hp.lr == 1e-3f && hp.min_lr == 1e-5f &&
			    hp.decay_rate == 0.9999f && hp.clip_norm == 1.0f &&
			    hp.zero_norm == 1e4f);
		}
		CHECK_MSG(found, "architecture %s has no spec row in the "
		    "test", name);
	}
	CHECK(n == (int)(sizeof spec_rows / sizeof spec_rows[0]));
	free(cause);
}

int
main(void)
{
	struct vae_arch	 a;
	struct rng	 r;
	int		 tok[NWIN * STEPS], got, seed;
	float		*p1, *p2;
	size_t		 n1 = 0, n2 = 0;

	test_hp_defaults();
	rng_seed(&r, 5);
	make_windows(tok, &r);

	memset(&a, 0, sizeof a);
	a.kind = VAE_MELODY;
	a.num_steps = STEPS;
	a.in_depth = a.out_depth[0] = 90;
	a.n_splits = 1;
	a.enc_layers = 1;
	a.enc_size[0] = 32;
	a.z_size = 8;
	a.dec_layers = 2;
	a.dec_size[0] = a.dec_size[1] = 32;
	p1 = malloc(200000 * sizeof *p1);
	p2 = malloc(200000 * sizeof *p2);
	got = overfit("flat", &a, tok, 1e-2f, MAXIT, 1, p1, &n1);
	CHECK_MSG(got >= 0, "flat model did not reach 0.99 in %d steps",
	    MAXIT);

	/* Same seed, same data: bitwise the same parameters. */
	(void)overfit("flat again", &a, tok, 1e-2f, MAXIT, 1, p2, &n2);
	CHECK(n1 == n2 && memcmp(p1, p2, n1 * sizeof *p1) == 0);

	a.num_segments = 2;
	a.enc_layers = 2;
	a.enc_size[1] = 32;
	a.cond_layers = 1;
	a.cond_size[0] = 32;
	/*
	 * The hierarchical decoder starts every bar from the conductor with
	 * a zero input, so only z tells the windows' bar openings apart.
	 * Training can stall at 0.957 (11 of 256 tokens wrong, about as
	 * many as the bar openings and the notes after them that need z).
	 * At 2e-2 most starts stay there (5 of 6 for 8000 steps; 3 of 6
	 * for 2000 on a build whose float sums differ only in order); at
	 * 3e-3 all 16 tried on the two builds got past it, in 2124-3549
	 * steps.  Two starts, so one lucky start does not hide a model
	 * that cannot use z.
	 */
	for (seed = 1; seed <= 2; seed++) {
		got = overfit(seed == 1 ? "hier" : "hier, second start", &a,
		    tok, 3e-3f, HIER_MAXIT, seed, NULL, NULL);
		CHECK_MSG(got >= 0, "hierarchical model (start %d) did not "
		    "reach 0.99 in %d steps", seed, HIER_MAXIT);
	}
	free(p1);
	free(p2);
	return (test_report());
}
