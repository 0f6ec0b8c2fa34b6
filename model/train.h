/*
 * train.h: MusicVAE training: the forward pass with caches, the backward
 * pass, the loss of spec B 4 and one optimisation step.
 *
 * The net works time-major internally: every activation is (T, B, width),
 * so one step of a layer is a contiguous (B, width) block and the input and
 * weight gradients of a whole layer are single big matrix products.
 *
 * A struct train_net holds the activation caches of one architecture for
 * up to max_B sequences; it never reallocates (a larger batch is an error).
 * Parameters and gradients are struct vae_params with the same layout
 * (params_clone_layout), so the optimiser is a loop over n_params.
 *
 * Tokens and floats only: no files, no printing.
 */
#ifndef LR_TRAIN_H
#define LR_TRAIN_H

#include "common.h"
#include "params.h"
#include "rng.h"

struct train_net;

/* Hyper-parameters (spec B 4; defaults are cat-mel_2bar_small's). */
struct train_hp {
	float	max_beta;	/* 0.2 */
	float	beta_rate;	/* 0.99999: beta = (1 - rate^step) max_beta */
	float	free_bits;	/* 0: KL below free_bits*ln2 nats is free */
	float	sampling_rate;	/* inverse-sigmoid k for scheduled
				   sampling, 0 = teacher forcing only */
	float	word_dropout;	/* 0: share of the decoder's previous-token
				   inputs dropped in training (not spec) */
	float	lr;		/* 1e-3 */
	float	min_lr;		/* 1e-5 */
	float	decay_rate;	/* 0.9999 */
	long	warmup;		/* 0: steps of a linear ramp of the rate
				   from lr/warmup, counted from adam_step0
				   (a fresh Adam's first steps after --init
				   are full-size; not spec) */
	float	clip_norm;	/* 1.0: global-norm clipping */
	float	zero_norm;	/* 1e4: zero the step's gradient above */
	long	adam_step0;	/* step the Adam moments started at: 0, or
				   a warm start's (--init) step, so their
				   bias correction counts their own steps */
};

/* Measurements of one forward pass (means over the batch). */
struct train_stats {
	double	loss;		/* r_loss + beta*kl_loss */
	double	r_loss;		/* cross-entropy summed over time */
	double	kl;		/* KL(q(z|x) || N(0,I)) in nats */
	double	kl_loss;	/* max(KL - free nats, 0) */
	double	acc;		/* per-token argmax accuracy */
	double	beta;
	double	ss_prob;	/* scheduled-sampling probability used */
	double	gnorm;		/* global gradient norm before clipping */
	double	lr;
};

/* Default hyper-parameters for an architecture (spec B 4 table). */
void	train_hp_default(struct train_hp *hp, const struct vae_arch *a);

/* Schedules of spec B 4 at a step. */
double	train_beta(const struct train_hp *hp, long step);
double	train_lr(const struct train_hp *hp, long step);
double	train_ss_prob(const struct train_hp *hp, long step);

/*
 * Initialise parameters from scratch (spec B 4): glorot-uniform LSTM and
 * output-projection kernels, N(0, 0.001) for mu, sigma and the
 * initial-state denses, zero biases.
 */
void	train_init_params(struct vae_params *p, struct rng *r);

/* Caches for up to max_B sequences of the architecture of p. */
struct train_net *train_net_new(const struct vae_params *p, int max_B,
	    char **cause) LR_WUR;
void	train_net_free(struct train_net *n);
/*
 * Precision of the net's matrix products (LINALG_FP32, the default, or
 * LINALG_BF16, linalg.h): every element-wise step, the cell state, the
 * loss and the gradients' accumulation stay float32 either way.
 */
void	train_net_set_precision(struct train_net *n, int prec);
/* Word dropout for the training forwards that follow (hp->word_dropout;
   train_step and the pool set it each step); evaluation ignores it. */
void	train_net_set_word_dropout(struct train_net *n, float p);

/*
 * Forward pass on B token sequences (B, T, S) with the loss of spec B 4.
 * z = mu + sigma*eps with eps drawn from r (use_mu: z = mu, eps unused);
 * ss_prob > 0 feeds the decoder samples of its own logits (drawn from r)
 * instead of the previous target with that probability.  Fills st (loss
 * terms, accuracy).  -1 if B is larger than the net or a token is out of
 * range.
 */
int	train_forward(struct train_net *n, const struct vae_params *p,
	    const int *tokens, int B, float beta, float free_bits,
	    float ss_prob, int use_mu, struct rng *r, struct train_stats *st,
	    char **cause) LR_WUR;

/* Backward pass of the last forward: accumulates (+=) into g. */
void	train_backward(struct train_net *n, const struct vae_params *p,
	    struct vae_params *g);

/* mu (B, Z) of the last forward. */
const float *train_mu(const struct train_net *n);
/* eps (B, Z) the last forward drew (zeros for use_mu), so a reference
   implementation can take the same z (tests/gradref_dump.c). */
const float *train_eps(const struct train_net *n);

/*
 * The update of one step from its gradient g (clobbered): global-norm
 * clip, then Adam with the step's learning rate, its bias correction
 * counted from hp->adam_step0; fills st->gnorm, st->lr.
 */
void	train_update(struct vae_params *p, struct vae_params *g, float *m,
	    float *v, const struct train_hp *hp, long step,
	    struct train_stats *st);

/*
 * One optimisation step: zero g, forward, backward, clip, Adam update of p
 * with moments m and v (all four with the same layout).  step counts from
 * 0; the schedules use it.
 */
int	train_step(struct train_net *n, struct vae_params *p,
	    struct vae_params *g, float *m, float *v,
	    const struct train_hp *hp, long step, const int *tokens, int B,
	    struct rng *r, struct train_stats *st, char **cause) LR_WUR;

/*
 * Data-parallel steps (train_par.c): each of `workers` threads takes a
 * contiguous slice of the batch through its own net with serial BLAS; the
 * slice gradients are averaged by slice size, then one clip and one Adam
 * update as in train_step.  Deterministic for a seed and a worker count;
 * one worker is exactly train_step.
 */
#define TRAIN_MAX_WORKERS	16
struct train_par;

struct train_par *train_par_new(const struct vae_params *p, int max_B,
	    int workers, char **cause) LR_WUR;
void	train_par_free(struct train_par *tp);
/* Workers in use (at most max_B). */
int	train_par_workers(const struct train_par *tp);
/* A net for forward passes of up to *max_B sequences between steps
   (validation): the first worker's. */
struct train_net *train_par_net(struct train_par *tp, int *max_B);
/*
 * Precision of every worker's products.  LINALG_BF16 keeps a bf16 copy of
 * p's weights (linalg_shadow_add), made here and again after each update
 * of train_par_step, so each weight matrix is rounded once per step;
 * p must stay the same block of weights and change only through
 * train_par_step.  -1 if bf16 is not supported here (the cause says why).
 */
int	train_par_set_precision(struct train_par *tp,
	    const struct vae_params *p, int prec, char **cause) LR_WUR;
int	train_par_step(struct train_par *tp, struct vae_params *p,
	    struct vae_params *g, float *m, float *v,
	    const struct train_hp *hp, long step, const int *tokens, int B,
	    struct rng *r, struct train_stats *st, char **cause) LR_WUR;

/*
 * The two halves of train_par_step, for a trainer whose batch is spread
 * over several processes that sum their gradients between the halves
 * (src/train/dist.c).  train_par_grad: the B examples at tokens are part
 * of a batch of total_B; worker k (min(workers, B) of them) draws its
 * noise from a generator seeded with seeds[k], one worker included (then
 * as a pool worker, not train_step), and g gets the sum over slices of
 * (slice size / total_B) x (slice mean gradient), st the slices' loss
 * terms weighted alike: the sum of g over the processes is the batch
 * mean.  With total_B == B and seeds drawn from r it is train_par_step's
 * gradient for two or more workers, bit for bit.  train_par_update: clip
 * and Adam on the summed g, as train_par_step ends.
 */
int	train_par_grad(struct train_par *tp, const struct vae_params *p,
	    struct vae_params *g, const struct train_hp *hp, long step,
	    const int *tokens, int B, int total_B, const uint64_t *seeds,
	    struct train_stats *st, char **cause) LR_WUR;
void	train_par_update(struct train_par *tp, struct vae_params *p,
	    struct vae_params *g, float *m, float *v,
	    const struct train_hp *hp, long step, struct train_stats *st);

#endif
