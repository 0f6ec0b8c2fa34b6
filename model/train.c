/*
 * train.c: the MusicVAE forward pass with caches, its backward pass, the
 * loss of spec B 4 and one Adam step.
 *
 * Layout: every activation is time-major (T, B, width).  An LSTM layer
 * keeps, per step, its activated gates, the state it started from and the
 * state it produced, so the backward pass needs no recomputation and the
 * weight gradients of a layer are two large products over all T*B rows
 * (hp^T dG and x^T dG) instead of T small ones.  BLAS does those
 * products; the element-wise work is plain loops.  Several cores split the
 * batch instead (train_par.c).
 *
 * Conventions (spec A, B 3.1): kernel (in+H, 4H), rows [0,in) multiply the
 * input and [in,in+H) multiply h; gate order i, j, f, o; forget bias 1.0
 * added at run time; initial states tanh(dense(z)) split [c0,h0,c1,h1..].
 *
 * Order of the forward pass (the backward pass runs it in reverse):
 *   1. encoder: bidi LSTM layers (flat) or level 0 per segment then
 *      level 1 over segment embeddings (hierarchical)
 *   2. mu, sigma = softplus(dense), z = mu + sigma*eps, KL
 *   3. conductor (hierarchical): tanh(dense(z)) -> LSTMs on zero input,
 *      one step per segment; its top h is the context of segment k
 *   4. each core decoder split: tanh(dense(ctx)) per segment -> LSTMs on
 *      [previous token one-hot, ctx] -> output projection -> softmax CE
 */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "grad.h"
#include "linalg.h"
#include "vae.h"

#define MAX_BUFS	512
#define LN2		0.69314718055994530942
#ifndef MAX
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#endif

/* One core decoder split. */
struct dec {
	struct lstm_cache	 l[VAE_MAX_LAYERS];
	int			 D, H0, top;
	int			*tok_in;	/* (T, B) input, -1 none */
	int			*target;	/* (T, B) */
	float			*ctxp;		/* (nseg, B, 4H0) ctx W_ctx */
	float			*s;		/* (nseg, B, Sdim) tanh init */
	float			*ds;		/* (nseg, B, Sdim) */
	float			*probs;		/* (T, B, D) softmax */
	float			*dsum;		/* (nseg, B, 4H0) */
};

struct train_net {
	struct vae_arch		 a;
	int			 max_B, B, T, nseg, L, hier;
	int			 zin;		/* core decoder context width */

	struct bidi		 enc[VAE_MAX_LAYERS];
	int			 n_enc;
	float			*enc_out;	/* (B, 2n) final [h_fw, h_bw] */
	float			*denc_out;
	float			*mu, *spre, *sigma, *eps, *z; /* (B, Z) */
	float			*dz, *dmu, *dsig;
	float			*kl;		/* (B) */
	float			 beta, free_nats;
	int			 use_mu;
	float			 word_drop;	/* train_net_set_word_dropout */

	/* Conductor (hierarchical). */
	struct lstm_cache	 cond[VAE_MAX_LAYERS];
	float			*cs;		/* (B, Sc) tanh init */
	float			*dcs;

	float			*ctx;		/* (nseg, B, zin) */
	float			*dctx;
	struct dec		 dec[VAE_MAX_SPLITS];

	float			*dG;		/* scratch (T, B, 4H) max */
	size_t			 nG;		/* its floats */
	uint16_t		*dG16;		/* its bf16 rounding (bf16 only) */
	uint16_t		*held;		/* dG16 while dG is held */
	float			*tmp;		/* scratch (B, max width) */
	float			*init_h, *init_c; /* scratch (nseg, B, Hmax) */
	float			*dinit_h, *dinit_c;

	int			 prec;		/* LINALG_FP32 or LINALG_BF16 */

	void			*bufs[MAX_BUFS];
	int			 n_bufs;
	char			*err;
};

/* ------------------------------------------------------------------ */
/* Buffers and small helpers. */

static float
softplus(float x)
{
	return (x > 20.0f ? x : log1pf(expf(x)));
}

static void *
net_alloc(struct train_net *n, size_t count, size_t size)
{
	void	*p;

	p = lr_calloc(count == 0 ? 1 : count, size);
	if (n->n_bufs < MAX_BUFS)
		n->bufs[n->n_bufs++] = p;
	return (p);
}

static float *
fbuf(struct train_net *n, size_t count)
{
	return (net_alloc(n, count, sizeof(float)));
}

static void
cache_alloc(struct train_net *n, struct lstm_cache *lc, int T, int B, int H,
    int chained)
{
	size_t	th = (size_t)T * B * H;

	lc->T = T;
	lc->B = B;
	lc->H = H;
	lc->chained = chained;
	lc->g = fbuf(n, th * 4);
	lc->c = fbuf(n, th);
	lc->h = fbuf(n, th);
	lc->cp = fbuf(n, th);
	lc->hp = chained ? NULL : fbuf(n, th);
	lc->tc = fbuf(n, th);
	lc->dh = fbuf(n, th);
}

/* ------------------------------------------------------------------ */
/* The net. */

struct train_net *
train_net_new(const struct vae_params *p, int max_B, char **cause)
{
	const struct vae_arch	*a = &p->arch;
	struct train_net	*n;
	int			 l, k, s, B = max_B, maxG = 0, maxH = 0, Z;
	size_t			 rows;

	if (max_B < 1)
		return (lr_fail(cause, "batch size must be positive"), NULL);
	n = lr_calloc(1, sizeof *n);
	n->a = *a;
	n->max_B = B;
	n->T = a->num_steps;
	n->hier = a->num_segments > 0;
	n->nseg = n->hier ? a->num_segments : 1;
	n->L = n->T / n->nseg;
	Z = a->z_size;

	/* Encoder layers (hier: level 0 sees nseg*B segments of L steps). */
	n->n_enc = a->enc_layers;
	for (l = 0; l < n->n_enc; l++) {
		struct bidi *e = &n->enc[l];
		int	     eT = n->T, eB = B, H = a->enc_size[l];

		if (n->hier) {
			eT = l == 0 ? n->L : n->nseg;
			eB = l == 0 ? n->nseg * B : B;
		}
		e->T = eT;
		e->B = eB;
		e->in = l == 0 ? a->in_depth : 2 * a->enc_size[l - 1];
		for (k = 0; k < 2; k++)
			cache_alloc(n, &e->d[k], eT, eB, H, 1);
		if (l == 0) {
			rows = (size_t)eT * eB;
			e->rows = net_alloc(n, rows * MAX_ROWS, sizeof(int));
			e->nrows = net_alloc(n, rows, sizeof(int));
		} else {
			e->x = fbuf(n, (size_t)eT * eB * e->in);
			e->dx = fbuf(n, (size_t)eT * eB * e->in);
		}
		maxG = MAX(maxG, eT * eB * 4 * H);
		maxH = MAX(maxH, eB * 4 * H);
	}
	l = 2 * a->enc_size[n->n_enc - 1];
	n->enc_out = fbuf(n, (size_t)B * l);
	n->denc_out = fbuf(n, (size_t)B * l);
	n->mu = fbuf(n, (size_t)B * Z);
	n->spre = fbuf(n, (size_t)B * Z);
	n->sigma = fbuf(n, (size_t)B * Z);
	n->eps = fbuf(n, (size_t)B * Z);
	n->z = fbuf(n, (size_t)B * Z);
	n->dz = fbuf(n, (size_t)B * Z);
	n->dmu = fbuf(n, (size_t)B * Z);
	n->dsig = fbuf(n, (size_t)B * Z);
	n->kl = fbuf(n, B);

	n->zin = Z;
	if (n->hier) {
		for (k = 0; k < a->cond_layers; k++) {
			cache_alloc(n, &n->cond[k], n->nseg, B,
			    a->cond_size[k], 0);
			maxG = MAX(maxG, n->nseg * B * 4 * a->cond_size[k]);
			maxH = MAX(maxH, B * 4 * a->cond_size[k]);
		}
		n->cs = fbuf(n, (size_t)B * params_cond_state_size(a));
		n->dcs = fbuf(n, (size_t)B * params_cond_state_size(a));
		n->zin = a->cond_size[a->cond_layers - 1];
	}
	n->ctx = fbuf(n, (size_t)n->nseg * B * n->zin);
	n->dctx = fbuf(n, (size_t)n->nseg * B * n->zin);
	for (s = 0; s < a->n_splits; s++) {
		struct dec *d = &n->dec[s];
		int	    Sd = params_dec_state_size(a);

		d->D = a->out_depth[s];
		d->H0 = a->dec_size[0];
		d->top = a->dec_layers - 1;
		for (k = 0; k < a->dec_layers; k++) {
			cache_alloc(n, &d->l[k], n->T, B, a->dec_size[k], 0);
			maxG = MAX(maxG, n->T * B * 4 * a->dec_size[k]);
			maxH = MAX(maxH, B * 4 * a->dec_size[k]);
		}
		d->tok_in = net_alloc(n, (size_t)n->T * B, sizeof(int));
		d->target = net_alloc(n, (size_t)n->T * B, sizeof(int));
		d->ctxp = fbuf(n, (size_t)n->nseg * B * 4 * d->H0);
		d->dsum = fbuf(n, (size_t)n->nseg * B * 4 * d->H0);
		d->s = fbuf(n, (size_t)n->nseg * B * Sd);
		d->ds = fbuf(n, (size_t)n->nseg * B * Sd);
		d->probs = fbuf(n, (size_t)n->T * B * d->D);
		maxH = MAX(maxH, B * d->D);
	}
	n->dG = fbuf(n, maxG);
	n->nG = maxG;
	n->tmp = fbuf(n, MAX(maxH, 2 * B * 1024));
	n->init_h = fbuf(n, (size_t)n->nseg * maxH);
	n->init_c = fbuf(n, (size_t)n->nseg * maxH);
	n->dinit_h = fbuf(n, (size_t)n->nseg * maxH);
	n->dinit_c = fbuf(n, (size_t)n->nseg * maxH);
	return (n);
}

void
train_net_free(struct train_net *n)
{
	int	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n_bufs; i++)
		free(n->bufs[i]);
	free(n->dG16);
	free(n);
}

const float *
train_mu(const struct train_net *n)
{
	return (n->mu);
}

const float *
train_eps(const struct train_net *n)
{
	return (n->eps);
}

/* ------------------------------------------------------------------ */
/* Forward. */

/* Encoder of the B sequences; fills enc_out (B, 2n). */
static void
encoder_forward(struct train_net *n, const struct vae_params *p,
    const int *tokens)
{
	const struct vae_arch	*a = &n->a;
	struct bidi		*e0 = &n->enc[0], *e;
	int			 B = n->B, S = a->n_splits, l, t, b, q, k, u;
	int			 H, top = n->n_enc - 1;
	size_t			 r, last;

	/* Token rows, in the (T, B) order the first layer runs in. */
	e0->B = n->hier ? n->nseg * B : B;
	for (t = 0; t < e0->T; t++)
		for (q = 0; q < e0->B; q++) {
			/* hier: sequence q = k*B + b is segment k of b */
			b = q % B;
			k = q / B;
			u = n->hier ? k * n->L + t : t;
			r = (size_t)t * e0->B + q;
			e0->nrows[r] = vae_input_rows(a,
			    tokens + ((size_t)b * n->T + u) * S,
			    e0->rows + r * MAX_ROWS);
		}
	for (l = 0; l < n->n_enc; l++) {
		e = &n->enc[l];
		e->B = l == 0 ? e0->B : B;
		e->d[0].B = e->d[1].B = e->B;
		if (l > 0) {
			/* Input: [h_fw, h_bw] of the layer below. */
			struct bidi *lo = &n->enc[l - 1];

			H = lo->d[0].H;
			if (n->hier) {
				/* level 1 input t=k: level-0 final states of
				   segment k, rows k*B+b: already time-major */
				last = (size_t)(lo->T - 1) * lo->B;
				for (r = 0; r < (size_t)n->nseg * B; r++) {
					memcpy(e->x + r * 2 * H,
					    lo->d[0].h + (last + r) * H,
					    H * sizeof(float));
					memcpy(e->x + r * 2 * H + H,
					    lo->d[1].h + r * H,
					    H * sizeof(float));
				}
			} else
				for (r = 0; r < (size_t)n->T * B; r++) {
					memcpy(e->x + r * 2 * H,
					    lo->d[0].h + r * H,
					    H * sizeof(float));
					memcpy(e->x + r * 2 * H + H,
					    lo->d[1].h + r * H,
					    H * sizeof(float));
				}
		}
		grad_bidi_forward(e, &p->enc_fw[l], &p->enc_bw[l]);
	}
	e = &n->enc[top];
	H = e->d[0].H;
	for (b = 0; b < B; b++) {
		memcpy(n->enc_out + (size_t)b * 2 * H,
		    e->d[0].h + ((size_t)(e->T - 1) * B + b) * H,
		    H * sizeof(float));
		memcpy(n->enc_out + (size_t)b * 2 * H + H,
		    e->d[1].h + (size_t)b * H, H * sizeof(float));
	}
}

/* mu, sigma, z and the KL of each sequence. */
static void
latent_forward(struct train_net *n, const struct vae_params *p,
    struct rng *r)
{
	int	B = n->B, Z = n->a.z_size, in = p->mu.in, b, i;
	size_t	o;
	double	kl;

	linalg_set_rows(n->mu, p->mu.bias, B, Z);
	linalg_gemm(0, 0, B, Z, in, n->enc_out, in, p->mu.kernel, Z, 1.0f,
	    n->mu, Z);
	linalg_set_rows(n->spre, p->sigma.bias, B, Z);
	linalg_gemm(0, 0, B, Z, in, n->enc_out, in, p->sigma.kernel, Z, 1.0f,
	    n->spre, Z);
	for (b = 0; b < B; b++) {
		kl = 0;
		for (i = 0; i < Z; i++) {
			o = (size_t)b * Z + i;
			n->sigma[o] = softplus(n->spre[o]);
			n->eps[o] = n->use_mu || r == NULL ? 0.0f :
			    rng_normal(r);
			n->z[o] = n->mu[o] + n->sigma[o] * n->eps[o];
			/* KL(N(mu, s^2) || N(0, 1)), summed over z dims */
			kl += 0.5 * ((double)n->mu[o] * n->mu[o] +
			    (double)n->sigma[o] * n->sigma[o] - 1.0 -
			    2.0 * log((double)n->sigma[o]));
		}
		n->kl[b] = (float)kl;
	}
}

/* Conductor: ctx (nseg, B, zin) = top h per segment. */
static void
conductor_forward(struct train_net *n, const struct vae_params *p)
{
	const struct vae_arch	*a = &n->a;
	int			 B = n->B, Sc = params_cond_state_size(a), k, t;
	size_t			 bh;
	struct lstm_cache	*lc;

	grad_init_forward(n->cs, n->z, &p->cond_init, B);
	for (t = 0; t < n->nseg; t++)
		for (k = 0; k < a->cond_layers; k++) {
			lc = &n->cond[k];
			lc->B = B;
			bh = (size_t)B * lc->H;
			/* Input: a zero scalar at layer 0 (autoregression
			   disabled), so only the bias; h below otherwise. */
			linalg_set_rows(lc->g + (size_t)t * bh * 4,
			    p->cond[k].bias, B, 4 * lc->H);
			if (k > 0)
				linalg_gemm(0, 0, B, 4 * lc->H, p->cond[k].in,
				    n->cond[k - 1].h + (size_t)t * B *
				    n->cond[k - 1].H, p->cond[k].in,
				    p->cond[k].kernel, 4 * lc->H, 1.0f,
				    lc->g + (size_t)t * bh * 4, 4 * lc->H);
			if (t == 0) {
				grad_state_split(n->init_h, n->cs, B, Sc,
				    a->cond_size, k, 1);
				grad_state_split(n->init_c, n->cs, B, Sc,
				    a->cond_size, k, 0);
				grad_lstm_step_forward(lc, &p->cond[k], t,
				    n->init_h, n->init_c);
			} else
				grad_lstm_step_forward(lc, &p->cond[k], t,
				    lc->h + (size_t)(t - 1) * bh,
				    lc->c + (size_t)(t - 1) * bh);
		}
	lc = &n->cond[a->cond_layers - 1];
	memcpy(n->ctx, lc->h, (size_t)n->nseg * B * lc->H * sizeof(float));
}

/* Softmax of one row in place; returns the argmax. */
static int
softmax_row(float *x, int D)
{
	float	mx = x[0], sum = 0;
	int	i, am = 0;

	for (i = 1; i < D; i++)
		if (x[i] > mx) {
			mx = x[i];
			am = i;
		}
	for (i = 0; i < D; i++) {
		x[i] = expf(x[i] - mx);
		sum += x[i];
	}
	for (i = 0; i < D; i++)
		x[i] /= sum;
	return (am);
}

/* Index sampled from probabilities pr (D) with one uniform draw. */
static int
sample_row(const float *pr, int D, struct rng *r)
{
	double	u = rng_uniform_d(r), acc = 0;
	int	i;

	for (i = 0; i < D - 1; i++) {
		acc += pr[i];
		if (u < acc)
			return (i);
	}
	return (D - 1);
}

/*
 * One core decoder split, step-major so that a scheduled sample of step t's
 * output can be the input of step t+1.  Returns summed CE and counts
 * correct argmax tokens.
 */
static double
decoder_forward(struct train_net *n, const struct vae_params *p, int sp,
    const int *tokens, float ss_prob, struct rng *r, long *correct)
{
	const struct vae_arch	*a = &n->a;
	const struct dec_w	*w = &p->dec[sp];
	struct dec		*d = &n->dec[sp];
	struct lstm_cache	*lc;
	int			 B = n->B, T = n->T, L = n->L, S = a->n_splits;
	int			 Sd = params_dec_state_size(a), D = d->D;
	int			 G0 = 4 * d->H0, t, k, b, seg, tok, am;
	size_t			 bh, i;
	double			 ce = 0;
	float			*pr, *g;

	for (t = 0; t < T; t++)
		for (b = 0; b < B; b++) {
			tok = tokens[((size_t)b * T + t) * S + sp];
			d->target[(size_t)t * B + b] = tok;
			/* teacher forcing: the global shift by one */
			d->tok_in[(size_t)t * B + b] = t == 0 ? -1 :
			    tokens[((size_t)b * T + t - 1) * S + sp];
		}

	/*
	 * Word dropout (Bowman et al. 2016, "Generating sentences from a
	 * continuous space"): each previous-token input is replaced, with
	 * probability word_drop, by none (what step 0 gets: only the
	 * context), so the decoder leans on z and the conductor instead of
	 * its own last note.  Not in Magenta's recipe (spec B 4 trains with
	 * every input kept); the 16-bar model memorises its training windows
	 * without it (issue K).  Training draws only: evaluation (use_mu, or
	 * no generator) keeps every token.  The draws come before any
	 * scheduled sampling's, and a dropped input stays dropped.
	 */
	if (n->word_drop > 0 && !n->use_mu && r != NULL)
		for (i = (size_t)B; i < (size_t)T * B; i++)
			if (rng_uniform_d(r) < n->word_drop)
				d->tok_in[i] = -1;

	/* Per segment: initial states and the context's projection. */
	grad_init_forward(d->s, n->ctx, &w->z_init, n->nseg * B);
	linalg_gemm(0, 0, n->nseg * B, G0, n->zin, n->ctx, n->zin,
	    w->cell[0].kernel + (size_t)D * G0, G0, 0.0f, d->ctxp, G0);

	for (t = 0; t < T; t++) {
		seg = t / L;
		if (t > 0 && t % L != 0 && ss_prob > 0) {
			/* Scheduled sampling: the model's own previous output
			   (no gradient flows through the choice). */
			for (b = 0; b < B; b++) {
				pr = d->probs + ((size_t)(t - 1) * B + b) * D;
				if (d->tok_in[(size_t)t * B + b] >= 0 &&
				    rng_uniform_d(r) < ss_prob)
					d->tok_in[(size_t)t * B + b] =
					    sample_row(pr, D, r);
			}
		}
		for (k = 0; k <= d->top; k++) {
			lc = &d->l[k];
			lc->B = B;
			bh = (size_t)B * lc->H;
			g = lc->g + (size_t)t * bh * 4;

			if (k == 0) {
				/* bias + context + the token's row, the
				   first two in one pass. */
				for (b = 0; b < B; b++) {
					float	    *gb = g + (size_t)b * G0;
					const float *cp = d->ctxp +
					    ((size_t)seg * B + b) * G0;
					const float *row;

					tok = d->tok_in[(size_t)t * B + b];
					linalg_sum(gb, w->cell[0].bias, cp,
					    (size_t)G0);
					if (tok < 0)
						continue;
					row = w->cell[0].kernel + (size_t)tok *
					    G0;
					linalg_add(gb, row, (size_t)G0);
				}
			} else {
				linalg_set_rows(g, w->cell[k].bias, B,
				    4 * lc->H);
				linalg_gemm(0, 0, B, 4 * lc->H,
				    w->cell[k].in, d->l[k - 1].h +
				    (size_t)t * B * d->l[k - 1].H,
				    w->cell[k].in, w->cell[k].kernel,
				    4 * lc->H, 1.0f, g, 4 * lc->H);
			}
			if (t % L == 0) {
				/* Core state re-initialised every segment. */
				float *ih = n->init_h, *ic = n->init_c;

				grad_state_split(ih,
				    d->s + (size_t)seg * B * Sd, B, Sd,
				    a->dec_size, k, 1);
				grad_state_split(ic,
				    d->s + (size_t)seg * B * Sd, B, Sd,
				    a->dec_size, k, 0);
				grad_lstm_step_forward(lc, &w->cell[k], t, ih,
				    ic);
			} else
				grad_lstm_step_forward(lc, &w->cell[k], t,
				    lc->h + (size_t)(t - 1) * bh,
				    lc->c + (size_t)(t - 1) * bh);
		}
		if (ss_prob > 0) {
			lc = &d->l[d->top];
			pr = d->probs + (size_t)t * B * D;
			linalg_set_rows(pr, w->out.bias, B, D);
			linalg_gemm(0, 0, B, D, lc->H, lc->h + (size_t)t * B *
			    lc->H, lc->H, w->out.kernel, D, 1.0f, pr, D);
			for (b = 0; b < B; b++)
				(void)softmax_row(pr + (size_t)b * D, D);
		}
	}
	lc = &d->l[d->top];
	if (ss_prob <= 0) {
		/* Teacher forcing: all logits in one product. */
		linalg_set_rows(d->probs, w->out.bias, T * B, D);
		linalg_gemm(0, 0, T * B, D, lc->H, lc->h, lc->H, w->out.kernel,
		    D, 1.0f, d->probs, D);
		for (i = 0; i < (size_t)T * B; i++)
			(void)softmax_row(d->probs + i * D, D);
	}
	for (i = 0; i < (size_t)T * B; i++) {
		pr = d->probs + i * D;
		tok = d->target[i];
		ce -= log(fmax((double)pr[tok], 1e-30));
		am = 0;
		for (k = 1; k < D; k++)
			if (pr[k] > pr[am])
				am = k;
		if (am == tok)
			(*correct)++;
	}
	return (ce);
}

int
train_forward(struct train_net *n, const struct vae_params *p,
    const int *tokens, int B, float beta, float free_bits, float ss_prob,
    int use_mu, struct rng *r, struct train_stats *st, char **cause)
{
	const struct vae_arch	*a = &n->a;
	int			 s, b, prec;
	size_t			 i, nt;
	long			 correct = 0;
	double			 ce = 0, kl = 0, klc = 0;

	if (B < 1 || B > n->max_B)
		return (lr_fail(cause, "batch of %d (net sized for %d)", B,
		    n->max_B));
	nt = (size_t)B * n->T;
	for (i = 0; i < nt; i++)
		for (s = 0; s < a->n_splits; s++)
			if (tokens[i * a->n_splits + s] < 0 ||
			    tokens[i * a->n_splits + s] >= a->out_depth[s])
				return (lr_fail(cause, "token %d out of range "
				    "(0..%d) at step %zu", tokens[i *
				    a->n_splits + s], a->out_depth[s] - 1, i));
	n->B = B;
	n->beta = beta;
	n->free_nats = free_bits * (float)LN2;
	n->use_mu = use_mu;

	prec = linalg_set_precision(n->prec);
	encoder_forward(n, p, tokens);
	latent_forward(n, p, r);
	if (n->hier)
		conductor_forward(n, p);
	else
		memcpy(n->ctx, n->z, (size_t)B * a->z_size * sizeof(float));
	for (s = 0; s < a->n_splits; s++)
		ce += decoder_forward(n, p, s, tokens, ss_prob, r, &correct);
	linalg_set_precision(prec);

	for (b = 0; b < B; b++) {
		kl += n->kl[b];
		klc += fmax(n->kl[b] - n->free_nats, 0.0);
	}
	st->r_loss = ce / B;
	st->kl = kl / B;
	st->kl_loss = klc / B;
	st->beta = beta;
	st->loss = st->r_loss + beta * st->kl_loss;
	st->acc = (double)correct / ((double)nt * a->n_splits);
	st->ss_prob = ss_prob;
	return (0);
}

/* ------------------------------------------------------------------ */
/* Backward: the forward in reverse order. */

struct dec_tokens {
	const struct train_net	*n;
	struct dec		*d;
	float			*dk;	/* layer 0's kernel gradient */
};

/*
 * Layer 0's input side at step t, while its rows of dG are in cache
 * (grad_each): each token's kernel row, and the context's gradient summed
 * over the steps of its segment (one product after the layer).
 */
static void
dec_tokens(void *arg, int t, int b, const float *dg)
{
	const struct dec_tokens	*dt = arg;
	struct dec		*d = dt->d;
	int			 B = dt->n->B, G0 = 4 * d->H0, tok;
	int			 seg = t / dt->n->L;

	linalg_add(d->dsum + ((size_t)seg * B + b) * G0, dg, (size_t)G0);
	tok = d->tok_in[(size_t)t * B + b];
	if (tok >= 0)
		linalg_add(dt->dk + (size_t)tok * G0, dg, (size_t)G0);
}

/* Core decoder split sp: output, layers top-down, initial states. */
static void
decoder_backward(struct train_net *n, const struct vae_params *p,
    struct vae_params *g, int sp)
{
	const struct vae_arch	*a = &n->a;
	const struct dec_w	*w = &p->dec[sp];
	struct dec_w		*dw = &g->dec[sp];
	struct dec		*d = &n->dec[sp];
	struct lstm_cache	*lc;
	int			 B = n->B, T = n->T, L = n->L, D = d->D;
	int			 Sd = params_dec_state_size(a), G0 = 4 * d->H0;
	int			 k;
	size_t			 i, j, M = (size_t)T * B;
	float			 invB = 1.0f / B;
	struct dec_tokens	 dt;
	struct grad_each	 each;

	/* dlogits = (softmax - onehot) / B, in place of the probabilities:
	   r_loss is summed over time and averaged over the batch. */
	for (i = 0; i < M; i++) {
		float *pr = d->probs + i * D;

		pr[d->target[i]] -= 1.0f;
		for (j = 0; j < (size_t)D; j++)
			pr[j] *= invB;
	}
	lc = &d->l[d->top];
	linalg_gemm(1, 0, lc->H, D, (int)M, lc->h, lc->H, d->probs, D, 1.0f,
	    dw->out.kernel, D);
	grad_colsum_add(dw->out.bias, d->probs, M, D);
	linalg_gemm(0, 1, (int)M, lc->H, D, d->probs, D, w->out.kernel, D,
	    0.0f, lc->dh, lc->H);

	memset(d->dsum, 0, (size_t)n->nseg * B * G0 * sizeof(float));
	dt.n = n;
	dt.d = d;
	dt.dk = dw->cell[0].kernel;
	each.fn = dec_tokens;
	each.arg = &dt;
	for (k = d->top; k >= 0; k--) {
		lc = &d->l[k];
		grad_lstm_layer_backward(n->dG, n->dinit_c, n->dinit_h,
		    &dw->cell[k], lc, &w->cell[k], L, 0, n->tmp, n->held,
		    k == 0 ? &each : NULL);
		grad_state_join(d->ds, n->dinit_h, n->nseg * B, Sd, a->dec_size,
		    k, 1);
		grad_state_join(d->ds, n->dinit_c, n->nseg * B, Sd, a->dec_size,
		    k, 0);
		if (k > 0) {
			grad_dense_in_backward(d->l[k - 1].dh, 0.0f,
			    &dw->cell[k], d->l[k - 1].h, n->dG, &w->cell[k],
			    (int)M);
			continue;
		}
		/* Layer 0: the token rows and the context's sums came with
		   each step (dec_tokens); the context's product now. */
		linalg_gemm(1, 0, n->zin, G0, n->nseg * B, n->ctx, n->zin,
		    d->dsum, G0, 1.0f, dw->cell[0].kernel + (size_t)D * G0,
		    G0);
		linalg_gemm(0, 1, n->nseg * B, n->zin, G0, d->dsum, G0,
		    w->cell[0].kernel + (size_t)D * G0, G0, 1.0f, n->dctx,
		    n->zin);
	}
	grad_init_backward(n->dctx, d->ds, d->s, n->ctx, &w->z_init,
	    &dw->z_init, n->nseg * B);
}

static void
conductor_backward(struct train_net *n, const struct vae_params *p,
    struct vae_params *g)
{
	const struct vae_arch	*a = &n->a;
	struct lstm_cache	*lc;
	int			 B = n->B, Sc = params_cond_state_size(a), k;
	int			 top = a->cond_layers - 1;

	memcpy(n->cond[top].dh, n->dctx,
	    (size_t)n->nseg * B * n->cond[top].H * sizeof(float));
	for (k = top; k >= 0; k--) {
		lc = &n->cond[k];
		grad_lstm_layer_backward(n->dG, n->dinit_c, n->dinit_h,
		    &g->cond[k], lc, &p->cond[k], n->nseg, 0, n->tmp, n->held,
		    NULL);
		grad_state_join(n->dcs, n->dinit_h, B, Sc, a->cond_size, k, 1);
		grad_state_join(n->dcs, n->dinit_c, B, Sc, a->cond_size, k, 0);
		if (k > 0)
			grad_dense_in_backward(n->cond[k - 1].dh, 0.0f,
			    &g->cond[k], n->cond[k - 1].h, n->dG, &p->cond[k],
			    n->nseg * B);
		/* layer 0's input is a constant zero: no kernel gradient */
	}
	grad_init_backward(n->dz, n->dcs, n->cs, n->z, &p->cond_init,
	    &g->cond_init, B);
}

/* dz -> dmu, dsigma (+ the KL terms) -> d enc_out. */
static void
latent_backward(struct train_net *n, const struct vae_params *p,
    struct vae_params *g)
{
	int	B = n->B, Z = n->a.z_size, in = p->mu.in, b, i;
	size_t	o;
	float	kb, invB = 1.0f / B;

	for (b = 0; b < B; b++) {
		/* Free bits: no KL gradient while KL is under the budget. */
		kb = n->kl[b] > n->free_nats ? n->beta * invB : 0.0f;
		for (i = 0; i < Z; i++) {
			o = (size_t)b * Z + i;
			n->dmu[o] = n->dz[o] + kb * n->mu[o];
			n->dsig[o] = (n->dz[o] * n->eps[o] + kb *
			    (n->sigma[o] - 1.0f / n->sigma[o])) *
			    grad_sigm(n->spre[o]);	/* softplus' */
		}
	}
	linalg_gemm(1, 0, in, Z, B, n->enc_out, in, n->dmu, Z, 1.0f,
	    g->mu.kernel, Z);
	grad_colsum_add(g->mu.bias, n->dmu, B, Z);
	linalg_gemm(1, 0, in, Z, B, n->enc_out, in, n->dsig, Z, 1.0f,
	    g->sigma.kernel, Z);
	grad_colsum_add(g->sigma.bias, n->dsig, B, Z);
	linalg_gemm(0, 1, B, in, Z, n->dmu, Z, p->mu.kernel, Z, 0.0f,
	    n->denc_out, in);
	linalg_gemm(0, 1, B, in, Z, n->dsig, Z, p->sigma.kernel, Z, 1.0f,
	    n->denc_out, in);
}

static void
encoder_backward(struct train_net *n, const struct vae_params *p,
    struct vae_params *g)
{
	struct bidi	*e, *lo;
	int		 B = n->B, l, H, d;
	size_t		 r, bh, last;

	e = &n->enc[n->n_enc - 1];
	H = e->d[0].H;
	/* Only the final states reach mu and sigma. */
	for (d = 0; d < 2; d++)
		memset(e->d[d].dh, 0, (size_t)e->T * e->B * H * sizeof(float));
	bh = (size_t)B * H;
	for (r = 0; r < (size_t)B; r++) {
		memcpy(e->d[0].dh + (size_t)(e->T - 1) * bh + r * H,
		    n->denc_out + r * 2 * H, H * sizeof(float));
		memcpy(e->d[1].dh + r * H, n->denc_out + r * 2 * H + H,
		    H * sizeof(float));
	}
	for (l = n->n_enc - 1; l >= 0; l--) {
		e = &n->enc[l];
		grad_bidi_backward(&g->enc_fw[l], &g->enc_bw[l], e,
		    &p->enc_fw[l], &p->enc_bw[l], n->dG, n->tmp, n->held);
		if (l == 0)
			break;
		lo = &n->enc[l - 1];
		H = lo->d[0].H;
		for (d = 0; d < 2; d++)
			memset(lo->d[d].dh, 0, (size_t)lo->T * lo->B * H *
			    sizeof(float));
		if (n->hier) {
			/* level-1 step k <- level-0 finals of segment k */
			last = (size_t)(lo->T - 1) * lo->B;
			for (r = 0; r < (size_t)n->nseg * B; r++) {
				memcpy(lo->d[0].dh + (last + r) * H,
				    e->dx + r * 2 * H, H * sizeof(float));
				memcpy(lo->d[1].dh + r * H,
				    e->dx + r * 2 * H + H, H * sizeof(float));
			}
		} else
			for (r = 0; r < (size_t)n->T * B; r++) {
				memcpy(lo->d[0].dh + r * H, e->dx + r * 2 * H,
				    H * sizeof(float));
				memcpy(lo->d[1].dh + r * H,
				    e->dx + r * 2 * H + H, H * sizeof(float));
			}
	}
}

void
train_backward(struct train_net *n, const struct vae_params *p,
    struct vae_params *g)
{
	const struct vae_arch	*a = &n->a;
	int			 s, prec;

	prec = linalg_set_precision(n->prec);
	/* Each layer's gate gradients are rounded once, for the four bf16
	   products that read them (grad_lstm_layer_backward). */
	n->held = NULL;
	if (n->prec == LINALG_BF16 && n->dG16 != NULL &&
	    linalg_hold(n->dG, n->nG, n->dG16) == 0)
		n->held = n->dG16;
	memset(n->dctx, 0, (size_t)n->nseg * n->B * n->zin * sizeof(float));
	for (s = a->n_splits - 1; s >= 0; s--)
		decoder_backward(n, p, g, s);
	if (n->hier) {
		memset(n->dz, 0, (size_t)n->B * a->z_size * sizeof(float));
		conductor_backward(n, p, g);
	} else
		memcpy(n->dz, n->dctx,
		    (size_t)n->B * a->z_size * sizeof(float));
	latent_backward(n, p, g);
	encoder_backward(n, p, g);
	if (n->held != NULL)
		linalg_release(n->dG);
	n->held = NULL;
	linalg_set_precision(prec);
}

void
train_net_set_word_dropout(struct train_net *n, float p)
{
	n->word_drop = p > 0 ? p : 0;
}

void
train_net_set_precision(struct train_net *n, int prec)
{
	n->prec = prec;
	if (prec != LINALG_BF16) {
		free(n->dG16);
		n->dG16 = NULL;
	} else if (n->dG16 == NULL)
		n->dG16 = lr_malloc((n->nG > 0 ? n->nG : 1) * sizeof *n->dG16);
}

/* ------------------------------------------------------------------ */
/* Schedules, initialisation, one step. */

void
train_hp_default(struct train_hp *hp, const struct vae_arch *a)
{
	/*
	 * Spec B 4's table, the row each architecture follows (every row has
	 * max_beta 0.2; "none" sampling is rate 0):
	 *   drums_2bar  cat-drums_2bar_small  free_bits 48, beta_rate 0,
	 *               inv_sigmoid 1000
	 *   mel_16bar   hierdec-mel_16bar     256, 0, none
	 *   trio_4bar   hierdec-trio_16bar    256, 0, none (the table has no
	 *               4-bar trio row; this is its hierarchical trio row)
	 *   mel_2bar    cat-mel_2bar_small    0, 0.99999, inv_sigmoid 1000
	 */
	hp->max_beta = 0.2f;
	if (a->kind == VAE_DRUMS) {
		hp->free_bits = 48.0f;
		hp->beta_rate = 0.0f;
		hp->sampling_rate = 1000.0f;
	} else if (a->num_segments > 0) {
		hp->free_bits = 256.0f;
		hp->beta_rate = 0.0f;
		hp->sampling_rate = 0.0f;
	} else {
		hp->free_bits = 0.0f;
		hp->beta_rate = 0.99999f;
		hp->sampling_rate = 1000.0f;
	}
	hp->word_dropout = 0.0f;
	hp->lr = 1e-3f;
	hp->min_lr = 1e-5f;
	hp->decay_rate = 0.9999f;
	hp->warmup = 0;
	hp->clip_norm = 1.0f;
	hp->zero_norm = 1e4f;
	hp->adam_step0 = 0;
}

double
train_beta(const struct train_hp *hp, long step)
{
	return ((1.0 - pow(hp->beta_rate, (double)step)) * hp->max_beta);
}

double
train_lr(const struct train_hp *hp, long step)
{
	double	lr, t;

	lr = (hp->lr - hp->min_lr) * pow(hp->decay_rate, (double)step) +
	    hp->min_lr;
	/* The ramp multiplies the decayed rate: the schedule a warm start
	   goes on with is unchanged after it. */
	t = (double)(step - hp->adam_step0 + 1);
	if (hp->warmup > 0 && t < (double)hp->warmup)
		lr *= t / (double)hp->warmup;
	return (lr);
}

/* Inverse sigmoid: p = 1 - k/(k + exp(step/k)). */
double
train_ss_prob(const struct train_hp *hp, long step)
{
	double	k = hp->sampling_rate, x;

	if (k <= 0)
		return (0);
	x = (double)step / k;
	if (x > 700)
		return (1);
	return (1.0 - k / (k + exp(x)));
}

static void
glorot(float *w, int fan_in, int fan_out, size_t n, struct rng *r)
{
	double	lim = sqrt(6.0 / (fan_in + fan_out));
	size_t	i;

	for (i = 0; i < n; i++)
		w[i] = (float)((2 * rng_uniform_d(r) - 1) * lim);
}

static void
normal(float *w, size_t n, float sd, struct rng *r)
{
	size_t	i;

	for (i = 0; i < n; i++)
		w[i] = rng_normal(r) * sd;
}

void
train_init_params(struct vae_params *p, struct rng *r)
{
	const struct vae_arch	*a = &p->arch;
	int			 l, k, s;

	memset(p->mem, 0, p->n_params * sizeof(float));
	for (l = 0; l < a->enc_layers; l++) {
		struct lstm_w	*w[2] = { &p->enc_fw[l], &p->enc_bw[l] };

		for (k = 0; k < 2; k++)
			glorot(w[k]->kernel, w[k]->in + w[k]->H, 4 * w[k]->H,
			    (size_t)(w[k]->in + w[k]->H) * 4 * w[k]->H, r);
	}
	normal(p->mu.kernel, (size_t)p->mu.in * p->mu.out, 0.001f, r);
	normal(p->sigma.kernel, (size_t)p->sigma.in * p->sigma.out, 0.001f, r);
	if (a->num_segments > 0) {
		normal(p->cond_init.kernel, (size_t)p->cond_init.in *
		    p->cond_init.out, 0.001f, r);
		for (k = 0; k < a->cond_layers; k++)
			glorot(p->cond[k].kernel, p->cond[k].in +
			    p->cond[k].H, 4 * p->cond[k].H,
			    (size_t)(p->cond[k].in + p->cond[k].H) * 4 *
			    p->cond[k].H, r);
	}
	for (s = 0; s < a->n_splits; s++) {
		struct dec_w *d = &p->dec[s];

		normal(d->z_init.kernel, (size_t)d->z_init.in * d->z_init.out,
		    0.001f, r);
		for (k = 0; k < a->dec_layers; k++)
			glorot(d->cell[k].kernel, d->cell[k].in +
			    d->cell[k].H, 4 * d->cell[k].H,
			    (size_t)(d->cell[k].in + d->cell[k].H) * 4 *
			    d->cell[k].H, r);
		glorot(d->out.kernel, d->out.in, d->out.out,
		    (size_t)d->out.in * d->out.out, r);
	}
}

void
train_update(struct vae_params *p, struct vae_params *g, float *m, float *v,
    const struct train_hp *hp, long step, struct train_stats *st)
{
	double	lr = train_lr(hp, step);

	st->gnorm = adam_clip(g->mem, g->n_params, hp->clip_norm,
	    hp->zero_norm);
	st->lr = lr;
	adam_update(p->mem, m, v, g->mem, p->n_params,
	    step - hp->adam_step0 + 1, (float)lr,
	    0.9f, 0.999f, 1e-8f);
}

int
train_step(struct train_net *n, struct vae_params *p, struct vae_params *g,
    float *m, float *v, const struct train_hp *hp, long step,
    const int *tokens, int B, struct rng *r, struct train_stats *st,
    char **cause)
{
	float	beta = (float)train_beta(hp, step);
	float	ssp = (float)train_ss_prob(hp, step);

	memset(g->mem, 0, g->n_params * sizeof(float));
	train_net_set_word_dropout(n, hp->word_dropout);
	if (train_forward(n, p, tokens, B, beta, hp->free_bits, ssp, 0, r, st,
	    cause) != 0)
		return (-1);
	train_backward(n, p, g);
	train_update(p, g, m, v, hp, step, st);
	return (0);
}
