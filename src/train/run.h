/*
 * run.h: training runs and evaluation (src/train): a run's options, its
 * saves (checkpoint, training state, model card), warm start and transfer,
 * and the measurements eval and validation make.  Uses the data, storage
 * and model layers; prints nothing.
 */
#ifndef LR_RUN_H
#define LR_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common.h"
#include "dataset.h"
#include "trainstate.h"
#include "train.h"
#include "vae.h"

/* What `latentroll train` was asked (the model card records it). */
struct train_args {
	const char	*data, *arch, *out, *cache, *init, *init_from;
	int		 precision;	/* LINALG_*, or -1: the default */
	const char	*fp32_why;	/* the default fell to float32: why */
	long		 steps;
	int		 batch, threads, resume, tiny, enc_size, quiet;
	unsigned long long seed;
	double		 ckpt_minutes;
	long		 valid_every;
	struct train_hp	 hp;
	int		 set_lr, set_beta, set_fb, set_ss, set_br, set_seed;
	int		 set_wd;
	double		 lr, max_beta, free_bits, ss_rate, beta_rate;
	double		 word_dropout;
	long		 warmup;	/* --warmup: 0, none */
	int		 max_shift;
	int		 two_four;	/* --two-four: 2/4 melodies too */
};

/*
 * A training run, phase by phase: run_open (checks the folder, loads the
 * windows, starts fresh, from --init or --init-from, or resumes, makes
 * the workers), run_step, run_validate (valid split, one curve.tsv line),
 * run_checkpoint (run_save), run_close.  notes holds lines for the user
 * (data report, resuming, what a transfer took); the caller prints them.
 */
struct run {
	struct train_args	*ta;
	struct dataset		 ds;
	int			 have_ds;
	struct vae		*v;
	struct vae_params	 g;
	float			*gm, *m, *vv;	/* gradient, Adam moments */
	struct trainstate	 ts;
	struct rng		 rng;
	struct train_par	*tp;
	struct train_net	*net;		/* validation's */
	int			 vb;		/* its batch */
	int			*perm, *tok;
	size_t			 len;		/* tokens per window */
	long			 step, epoch, cursor;
	/* A job of several ranks (dist.h): each takes the examples
	   [shard_off, shard_off + shard_B) of every batch of ta->batch,
	   and its workers the noise seeds [rank x threads, ...) of the
	   ranks x threads drawn per step. */
	int			 rank, ranks;
	int			 shard_off, shard_B;
	uint64_t		*seeds;
	size_t			 sum_n;		/* floats summed a step */
	int			 asked, agreed;	/* stopping (run_stop) */
	double			 vacc, vsacc, vkl, vr;	/* last validation */
	FILE			*curve;
	char			*tspath;
	char			*notes;
	char			*made;		/* the first folder run_open
						   made for --out, or NULL */
};

int	run_open(struct run *r, struct train_args *ta,
	    const struct vae_arch *a, char **cause) LR_WUR;
int	run_step(struct run *r, struct train_stats *st, char **cause) LR_WUR;
int	run_validate(struct run *r, double train_acc, char **cause) LR_WUR;
int	run_checkpoint(struct run *r, double train_acc, char **cause) LR_WUR;
void	run_close(struct run *r);
/*
 * Whether to stop before the next step, asked: this process wants to
 * (a signal).  Alone that is the answer; in a job of several ranks the
 * wish travels with the next step's gradients and every rank stops
 * after the step in which any rank asked, so all stop at the same step.
 */
int	run_stop(struct run *r, int asked);
/*
 * Several ranks: rank 0 alone validates and writes (run_validate and
 * run_checkpoint do nothing on the others), every rank steps.
 */

/* The window cache's name from the window shape ("melody256"). */
void	run_cache_name(char *buf, size_t len, const struct vae_arch *a);

/*
 * Save a run into ta->out: trainstate.bin, the checkpoint (float32) and
 * model_card.json (merged into an existing card, so what attrs wrote
 * stays), each written atomically.
 */
int	run_save(const struct train_args *ta, struct vae *v,
	    struct trainstate *ts, const struct dataset *ds, double train_acc,
	    double valid_acc, double valid_sacc, double valid_kl,
	    char **cause) LR_WUR;

/*
 * --init: every tensor from ta->init (same shapes; an inference-only
 * checkpoint's missing sigma keeps its fresh values); *step from its card
 * (0 without one); its curve.tsv copied beside the run's.
 */
int	run_warm_start(const struct train_args *ta, struct vae *v, long *step,
	    char **cause) LR_WUR;

/*
 * --init-from: transfer every tensor of ta->init_from with the same role
 * and shape (a flat model's encoder and decoder into a hierarchical one's
 * first encoder level and core decoder); *report (heap) lists them.
 */
int	run_transfer(const struct train_args *ta, struct vae *v, char **report,
	    char **cause) LR_WUR;

/* Mean teacher-forced accuracy, KL and reconstruction loss with z = mu
   over (up to) max windows of a split (max 0: all). */
int	run_eval_tf(struct train_net *net, const struct vae_params *p,
	    const struct dataset *ds, enum dataset_split sp, int B, int max,
	    double *acc, double *kl, double *rloss, char **cause) LR_WUR;

/* Sampled accuracy: argmax decodes of mu (the paper's Table 1). */
int	run_eval_sampled(struct vae *v, const struct dataset *ds,
	    enum dataset_split sp, int B, int max, double *acc,
	    char **cause) LR_WUR;

/*
 * What a musician hears in a set of melodies (issue K): how many are one
 * bar looped, distinct bars per melody, note onsets per step.
 */
struct run_heard {
	long	n, loops, distinct;
	double	density;
};

void	run_heard_add(struct run_heard *h, const struct vae_arch *a,
	    const int *tok, int n);
json_t	*run_heard_json(const struct run_heard *h);

/*
 * The latent's use: per-dimension KL(q(z_d|x) || N(0,1)) averaged over
 * windows, and active units (dimensions whose mu varies across windows,
 * variance > 0.01; Burda et al. 2016).
 */
struct run_latent {
	int	 Z;
	long	 n;
	double	*kl, *s1, *s2;		/* per dimension */
};

void	run_latent_add(struct run_latent *l, const float *mu,
	    const float *sigma, int n);
json_t	*run_latent_json(const struct run_latent *l);

/*
 * Everything `latentroll eval` reports on split sp (it has windows) as a
 * JSON object: teacher-forced and sampled accuracy, KL and reconstruction
 * loss, the trainer's mu against the inference one, what a musician hears
 * in the inputs and decodes, the latent's use, and with v16 (the same
 * model in 16-bit precision, whose name prefixes its keys: "bf16",
 * "fp16") its sampled accuracy and its batch-1 agreement with float32.
 * NULL with a cause on error.
 */
json_t	*run_eval_split(struct vae *v, struct vae *v16, const char *name16,
	    const struct dataset *ds, enum dataset_split sp, int B,
	    char **cause);

#endif
