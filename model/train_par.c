/*
 * train_par.c: data-parallel training steps on several cores.
 *
 * Splitting each small matrix product of one batch across OpenBLAS's
 * threads costs more than it gains on two cores: a profile of the
 * 16-bar run spent 22% of its time in sched_yield and the kernel while
 * the workers waited on each other, and the element-wise LSTM work ran on
 * one core while the other spun.  Here each worker takes a contiguous
 * slice of the batch through its own train_net with BLAS serial
 * (linalg_serial_begin), and the slice gradients are averaged, weighted by
 * slice size, in a fixed order.  Two single-thread mel_2bar trainers at
 * batch 32 together ran 220 examples/s where one trainer with two BLAS
 * threads at batch 64 ran 165.
 *
 * Each worker draws its eps and scheduled-sampling choices from its own
 * generator, seeded from r at every step, so a step is a function of
 * (parameters, batch, r, workers): deterministic for a seed and a worker
 * count, and resumable from the saved r.  One worker is train_step itself.
 */
#include "model/train.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/linalg.h"

struct worker {
	struct train_net	*net;
	struct vae_params	 g;		/* this slice's gradient */
	const struct vae_params	*p;
	const int		*tokens;
	int			 B;
	float			 beta, free_bits, ssp;
	struct rng		 r;
	struct train_stats	 st;
	int			 rc;
	char			*cause;
};

struct train_par {
	int			 n;		/* workers */
	int			 max_B;
	int			 slice;		/* most examples a net takes */
	struct worker		 w[TRAIN_MAX_WORKERS];
	struct train_net	*one;		/* n == 1: train_step's net */
};

struct train_par *
train_par_new(const struct vae_params *p, int max_B, int workers,
    char **cause)
{
	struct train_par	*tp;
	int			 k;

	if (workers < 1 || workers > TRAIN_MAX_WORKERS)
		return (lr_fail(cause, "%d training workers (1..%d)", workers,
		    TRAIN_MAX_WORKERS), NULL);
	if (max_B < 1)
		return (lr_fail(cause, "batch size must be positive"), NULL);
	/* No empty slices: at most one worker per example. */
	if (workers > max_B)
		workers = max_B;
	tp = lr_calloc(1, sizeof *tp);
	tp->n = workers;
	tp->max_B = max_B;
	tp->slice = (max_B + workers - 1) / workers;
	if (workers == 1) {
		if ((tp->one = train_net_new(p, max_B, cause)) == NULL) {
			free(tp);
			return (NULL);
		}
		return (tp);
	}
	for (k = 0; k < workers; k++) {
		struct worker *w = &tp->w[k];

		if ((w->net = train_net_new(p, tp->slice, cause)) == NULL) {
			train_par_free(tp);
			return (NULL);
		}
		/* Worker 0 accumulates into the caller's g. */
		if (k > 0)
			params_clone_layout(&w->g, p,
			    lr_calloc(p->n_params, sizeof(float)));
	}
	return (tp);
}

void
train_par_free(struct train_par *tp)
{
	int	k;

	if (tp == NULL)
		return;
	train_net_free(tp->one);
	for (k = 0; k < tp->n; k++) {
		train_net_free(tp->w[k].net);
		if (k > 0)
			free(tp->w[k].g.mem);
		free(tp->w[k].cause);
	}
	free(tp);
}

int
train_par_workers(const struct train_par *tp)
{
	return (tp->n);
}

struct train_net *
train_par_net(struct train_par *tp, int *max_B)
{
	*max_B = tp->slice;
	return (tp->one != NULL ? tp->one : tp->w[0].net);
}

/* One slice: forward and backward with BLAS in this thread only. */
static void *
work(void *arg)
{
	struct worker	*w = arg;

	linalg_serial_begin();
	memset(w->g.mem, 0, w->g.n_params * sizeof(float));
	w->rc = train_forward(w->net, w->p, w->tokens, w->B, w->beta,
	    w->free_bits, w->ssp, 0, &w->r, &w->st, &w->cause);
	if (w->rc == 0)
		train_backward(w->net, w->p, &w->g);
	linalg_serial_end();
	return (NULL);
}

int
train_par_step(struct train_par *tp, struct vae_params *p,
    struct vae_params *g, float *m, float *v, const struct train_hp *hp,
    long step, const int *tokens, int B, struct rng *r,
    struct train_stats *st, char **cause)
{
	const struct vae_arch	*a = &p->arch;
	size_t			 ex = (size_t)a->num_steps * a->n_splits, i;
	pthread_t		 th[TRAIN_MAX_WORKERS];
	int			 k, n, off = 0, started[TRAIN_MAX_WORKERS];
	double			 f;

	if (tp->one != NULL)
		return (train_step(tp->one, p, g, m, v, hp, step, tokens, B, r,
		    st, cause));
	if (B < 1 || B > tp->max_B)
		return (lr_fail(cause, "batch of %d (net sized for %d)", B,
		    tp->max_B));
	n = tp->n < B ? tp->n : B;
	for (k = 0; k < n; k++) {
		struct worker *w = &tp->w[k];

		/* Slices as even as they go: the first B % n one longer. */
		w->B = B / n + (k < B % n);
		w->tokens = tokens + (size_t)off * ex;
		off += w->B;
		w->p = p;
		w->beta = (float)train_beta(hp, step);
		w->free_bits = hp->free_bits;
		w->ssp = (float)train_ss_prob(hp, step);
		rng_seed(&w->r, rng_u64(r));
		if (k == 0)
			params_clone_layout(&w->g, p, g->mem);
		free(w->cause);
		w->cause = NULL;
	}
	for (k = 1; k < n; k++)
		started[k] = pthread_create(&th[k], NULL, work, &tp->w[k]) == 0;
	work(&tp->w[0]);
	for (k = 1; k < n; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		else
			work(&tp->w[k]);	/* no thread: run it here */
	}
	for (k = 0; k < n; k++)
		if (tp->w[k].rc != 0) {
			lr_fail(cause, "%s", tp->w[k].cause != NULL ?
			    tp->w[k].cause : "training step failed");
			return (-1);
		}

	/* Each slice's gradient is its own batch mean: weight by size. */
	f = (double)tp->w[0].B / B;
	for (i = 0; i < p->n_params; i++)
		g->mem[i] *= (float)f;
	for (k = 1; k < n; k++) {
		const float	*gk = tp->w[k].g.mem;
		float		 fk = (float)((double)tp->w[k].B / B);

		for (i = 0; i < p->n_params; i++)
			g->mem[i] += fk * gk[i];
	}
	memset(st, 0, sizeof *st);
	for (k = 0; k < n; k++) {
		const struct train_stats *s = &tp->w[k].st;

		f = (double)tp->w[k].B / B;
		st->loss += f * s->loss;
		st->r_loss += f * s->r_loss;
		st->kl += f * s->kl;
		st->kl_loss += f * s->kl_loss;
		st->acc += f * s->acc;
	}
	st->beta = tp->w[0].st.beta;
	st->ss_prob = tp->w[0].st.ss_prob;
	train_update(p, g, m, v, hp, step, st);
	return (0);
}
