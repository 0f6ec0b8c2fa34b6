/*
 * gradref_dump.c: one training step's loss and gradient, written out for
 * tests/gradref.py to recompute with PyTorch autograd from the same
 * weights, tokens and noise (tests/test_gradref.sh runs both):
 *
 *	gradref_dump ARCH|MODELDIR OUTDIR [B [SEED [split]]]
 *
 * ARCH is a named architecture (mel_2bar, mel_16bar) with random weights
 * drawn from SEED; MODELDIR a magenta.js checkpoint folder (melody only),
 * whose weights are used as loaded (dequantized).  "split" sets the
 * free-bits budget between the two smallest KLs of the batch (see
 * split_free_bits).  OUTDIR gets:
 *
 *	meta.txt	"key value" lines: shapes, beta, free_bits and the
 *			loss terms of the step (%.17g)
 *	tensors.tsv	name, ndim, rows, cols, offset (floats) per tensor
 *	params.f32	the parameter arena, host float32
 *	grad.f32	the gradient, same layout
 *	tokens.txt	B lines of T tokens
 *	eps.f32, mu.f32	(B, Z): the noise the forward drew, and mu
 *
 * The step runs in float32 on OpenBLAS, so what the comparison measures is
 * float32 rounding, not bf16's (or another backend's) products.
 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "modeldir.h"
#include "params.h"
#include "rng.h"
#include "train.h"
#include "vae.h"

/*
 * beta 1 and free bits 0: the KL term is then live for every example
 * (the trainer gives an example whose KL is under free_bits*ln2 nats no
 * KL gradient at all, and mel_16bar's default budget of 256 bits, 177
 * nats, could leave both sides agreeing on a zero), KL > 0 always keeps
 * it off the kink of max(KL - free, 0), and at beta 1 its gradient is
 * not scaled down below the reconstruction's (mel_2bar's max_beta 0.2
 * would hide a KL mistake five times deeper).  "split" then checks the
 * budget's per-example cut separately.  Scheduled sampling is off: its
 * draws are a discrete choice with no gradient, and the reference could
 * not make the same ones.
 */
#define BETA		1.0f
#define FREE_BITS	0.0f
#define SS_PROB		0.0f

static void
die(const char *what, const char *cause)
{
	fprintf(stderr, "gradref_dump: %s: %s\n", what, cause);
	exit(1);
}

static FILE *
out_open(const char *dir, const char *name, const char *mode)
{
	char	path[4096];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, mode)) == NULL)
		die(path, strerror(errno));
	return (f);
}

static void
out_close(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) != 0)
		die(name, "write failed");
}

static void
write_floats(const char *dir, const char *name, const float *x, size_t n)
{
	FILE	*f = out_open(dir, name, "wb");

	if (fwrite(x, sizeof *x, n, f) != n)
		die(name, "short write");
	out_close(f, name);
}

/*
 * Random weights at the scale a trained model has them, every path live:
 * each kernel glorot-uniform by its shape, each bias uniform in +-0.1 (as
 * bench/peers/musicvae_torch.py --write-random).  Not train_init_params:
 * its N(0, 0.001) mu, sigma and initial-state kernels leave z almost out
 * of the decoder, so the gradient reaching the encoder would be a
 * thousandth of the rest, and its zero biases would let a bias used in
 * the wrong gate of the forward pass go unseen.
 */
static void
random_weights(struct vae_params *p, struct rng *r)
{
	struct vae_tensor	*t;
	double			 lim;
	size_t			 j;
	int			 i;

	for (i = 0; i < p->n_tensors; i++) {
		t = &p->tensors[i];
		lim = t->ndim == 2 ? sqrt(6.0 / (t->shape[0] + t->shape[1])) :
		    0.1;
		for (j = 0; j < t->n; j++)
			t->p[j] = (float)((2 * rng_uniform_d(r) - 1) * lim);
	}
}

/*
 * Melody events a MelodyConverter could produce (spec B 1.2): note-ons over
 * the whole 21..108 range (so many one-hot rows carry gradient), holds, and
 * note-offs only while a note sounds.
 */
static void
melody_tokens(int *tok, int B, int T, struct rng *r)
{
	int	b, t, on;
	double	u;

	for (b = 0; b < B; b++) {
		on = 0;
		for (t = 0; t < T; t++) {
			u = rng_uniform_d(r);
			if (t == 0 || u < 0.3) {
				tok[b * T + t] = 2 + (int)rng_below(r,
				    VAE_MEL_CLASSES - 2);
				on = 1;
			} else if (on && u < 0.4) {
				tok[b * T + t] = 1;
				on = 0;
			} else
				tok[b * T + t] = 0;
		}
	}
}

/*
 * A free-bits budget halfway between the two smallest KLs of the batch
 * (each from a forward of that example alone: KL is per example), so
 * one example is under it, with no KL gradient, and the others over it;
 * both sides must agree on which.  With random weights the KLs (about 30
 * nats) lie within a few tenths of a nat of each other, so the budget is
 * some 0.05 nats from each: still 1e5 times the rounding of a KL (3e-7
 * nats).  B >= 2.
 */
static float
split_free_bits(struct train_net *net, const struct vae_params *p,
    const int *tok, int B, int T)
{
	struct train_stats	 st;
	struct rng		 r;
	char			*cause = NULL;
	double			 kl, lo = INFINITY, lo2 = INFINITY;
	int			 b;

	for (b = 0; b < B; b++) {
		rng_seed(&r, 1);
		if (train_forward(net, p, tok + (size_t)b * T, 1, BETA, 0.0f,
		    SS_PROB, 0, &r, &st, &cause) != 0)
			die("train_forward", cause);
		kl = st.kl;
		if (kl < lo) {
			lo2 = lo;
			lo = kl;
		} else if (kl < lo2)
			lo2 = kl;
	}
	return ((float)((lo + lo2) / 2 / M_LN2));
}

int
main(int argc, char **argv)
{
	struct vae_arch		 a;
	struct vae_params	 own, *p, g;
	struct vae		*v = NULL;
	struct vae_tensor	*t;
	struct train_net	*net;
	struct train_stats	 st;
	struct rng		 r;
	struct stat		 sb;
	const char		*model, *dir;
	char			*cause = NULL;
	FILE			*f;
	uint64_t		 seed;
	float			 free_bits = FREE_BITS;
	int			*tok, B, T, Z, b, i, k, split;

	if (argc < 3 || argc > 6 || (argc == 6 &&
	    strcmp(argv[5], "split") != 0)) {
		fprintf(stderr, "usage: gradref_dump ARCH|MODELDIR OUTDIR "
		    "[B [SEED [split]]]\n");
		return (2);
	}
	model = argv[1];
	dir = argv[2];
	B = argc > 3 ? atoi(argv[3]) : 2;
	seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
	split = argc > 5;
	if (B < 1 + split || B > 64)
		die("batch", split ? "must be 2..64 with split" :
		    "must be 1..64");
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		die(dir, strerror(errno));

	if (linalg_set_backend(LINALG_OPENBLAS, &cause) != 0)
		die("openblas", cause);
	linalg_set_precision(LINALG_FP32);
	/* One BLAS thread: the check runs beside others under make -j2. */
	linalg_set_threads(1);

	rng_seed(&r, seed);
	if (stat(model, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if ((v = modeldir_load(model, &cause)) == NULL)
			die(model, cause);
		p = &v->p;
	} else {
		if (params_arch_named(&a, model, &cause) != 0 ||
		    params_alloc(&own, &a, &cause) != 0)
			die(model, cause);
		p = &own;
		random_weights(p, &r);
	}
	if (p->arch.kind != VAE_MELODY || p->arch.n_splits != 1)
		die(model, "melody models only (tests/gradref.py)");
	T = p->arch.num_steps;
	Z = p->arch.z_size;

	tok = calloc((size_t)B * T, sizeof *tok);
	melody_tokens(tok, B, T, &r);
	params_clone_layout(&g, p, calloc(p->n_params, sizeof(float)));
	if (tok == NULL || g.mem == NULL)
		die("memory", "out of memory");
	if ((net = train_net_new(p, B, &cause)) == NULL)
		die("train_net_new", cause);
	train_net_set_precision(net, LINALG_FP32);
	if (split)
		free_bits = split_free_bits(net, p, tok, B, T);
	if (train_forward(net, p, tok, B, BETA, free_bits, SS_PROB, 0, &r,
	    &st, &cause) != 0)
		die("train_forward", cause);
	train_backward(net, p, &g);

	f = out_open(dir, "meta.txt", "w");
	fprintf(f, "model %s\nB %d\nT %d\nsegments %d\nz %d\nbeta %.9g\n"
	    "free_bits %.9g\nn_params %zu\n", model, B, T,
	    p->arch.num_segments, Z, (double)BETA, (double)free_bits,
	    p->n_params);
	fprintf(f, "loss %.17g\nr_loss %.17g\nkl %.17g\nkl_loss %.17g\n"
	    "acc %.17g\n", st.loss, st.r_loss, st.kl, st.kl_loss, st.acc);
	out_close(f, "meta.txt");

	f = out_open(dir, "tensors.tsv", "w");
	for (i = 0; i < p->n_tensors; i++) {
		t = &p->tensors[i];
		fprintf(f, "%s\t%d\t%d\t%d\t%zu\n", t->name, t->ndim,
		    t->shape[0], t->ndim == 2 ? t->shape[1] : 0, t->off);
	}
	out_close(f, "tensors.tsv");

	f = out_open(dir, "tokens.txt", "w");
	for (b = 0; b < B; b++)
		for (k = 0; k < T; k++)
			fprintf(f, "%d%c", tok[b * T + k], k + 1 < T ? ' ' :
			    '\n');
	out_close(f, "tokens.txt");

	write_floats(dir, "params.f32", p->mem, p->n_params);
	write_floats(dir, "grad.f32", g.mem, g.n_params);
	write_floats(dir, "eps.f32", train_eps(net), (size_t)B * Z);
	write_floats(dir, "mu.f32", train_mu(net), (size_t)B * Z);

	fprintf(stderr, "gradref_dump: %s B %d: loss %.6f (r_loss %.6f, kl "
	    "%.6f, kl_loss %.6f, free bits %g), %zu params\n", model, B,
	    st.loss, st.r_loss, st.kl, st.kl_loss, (double)free_bits,
	    p->n_params);
	train_net_free(net);
	free(g.mem);
	free(tok);
	if (v != NULL)
		vae_free(v);
	else
		params_free(&own);
	return (0);
}
