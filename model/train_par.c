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
 *
 * The workers also share the rest of a step, which one thread spent 17% of
 * a mel_2bar step on while the other waited: the sum of the slice
 * gradients, the global norm (in fixed blocks, adam.h), clipping, Adam and
 * the bf16 copy each over a range of the arena, then the packed weights
 * (linalg_pack_add) a share each.
 */
#include "train.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "linalg.h"
#include "lstm.h"

/* What the workers run when the pool wakes. */
enum job {
	JOB_GRAD,	/* forward and backward of a slice */
	JOB_SUM,	/* slice gradients into g, over a range */
	JOB_NORM,	/* sums of squares of g's blocks in a range */
	JOB_UPDATE,	/* clip, Adam and the bf16 copy over a range */
	JOB_PACK,	/* a share of the packed weights */
};

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
	struct train_par	*tp;
	int			 k;
	float			 f;	/* slice weight B / total_B */
	int			 dirty;	/* g (k > 0) not cleared since work */
};

struct train_par {
	/* Worker threads 1..n-1 live as long as tp (thread-local scratch of
	   oneDNN and of the kernels stays warm); the caller is worker 0. */
	pthread_t		 th[TRAIN_MAX_WORKERS];
	int			 nth;		/* threads started */
	pthread_mutex_t		 mu;
	pthread_cond_t		 go, done;
	long			 gen;		/* steps handed out */
	int			 busy;		/* workers still running */
	int			 quit;
	int			 active;	/* workers in this step */
	enum job		 job;

	/* The update's operands, for JOB_SUM .. JOB_PACK. */
	struct vae_params	*up, *ug;
	float			*um, *uv;
	float			 uf, ulr;	/* clip factor, learning rate */
	long			 ut;		/* Adam's step */
	int			 un;		/* workers sharing it */
	double			*part;		/* per ADAM_BLOCK */
	int			 sum_norm;	/* JOB_SUM fills part too */
	int			 norm_ready;	/* part is the summed g's */

	int			 n;		/* workers */
	int			 max_B;
	int			 slice;		/* most examples a net takes */
	struct worker		 w[TRAIN_MAX_WORKERS];
	struct train_net	*one;		/* n == 1: train_step's net */
	int			 prec;
	const float		*shadowed;	/* p->mem with a bf16 copy */
	const float		*packed;	/* p->mem with packed LSTMs */
	uint16_t		*bf16;		/* the copy (n_params) */
	size_t			 n_params;
};

/* Floats of each array the update does at once (JOB_UPDATE). */
#define UPDATE_BLOCK	8192

static void	*work(void *);
static void	 run_job(struct worker *);

/* A pool thread: run its slice each time gen moves, until quit. */
static void *
pool_main(void *arg)
{
	struct worker		*w = arg;
	struct train_par	*tp = w->tp;
	long			 seen = 0;

	pthread_mutex_lock(&tp->mu);
	for (;;) {
		while (!tp->quit && tp->gen == seen)
			pthread_cond_wait(&tp->go, &tp->mu);
		if (tp->quit)
			break;
		seen = tp->gen;
		if (w->k >= tp->active)
			continue;
		pthread_mutex_unlock(&tp->mu);
		run_job(w);
		pthread_mutex_lock(&tp->mu);
		if (--tp->busy == 0)
			pthread_cond_signal(&tp->done);
	}
	pthread_mutex_unlock(&tp->mu);
	return (NULL);
}

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
	tp->part = lr_calloc(p->n_params / ADAM_BLOCK + 1, sizeof *tp->part);
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
		w->tp = tp;
		w->k = k;
	}
	pthread_mutex_init(&tp->mu, NULL);
	pthread_cond_init(&tp->go, NULL);
	pthread_cond_init(&tp->done, NULL);
	/* A thread that cannot start leaves its slice to the caller. */
	for (k = 1; k < workers; k++) {
		if (pthread_create(&tp->th[k], NULL, pool_main, &tp->w[k]) != 0)
			break;
		tp->nth = k;
	}
	return (tp);
}

void
train_par_free(struct train_par *tp)
{
	int	k;

	if (tp == NULL)
		return;
	if (tp->one == NULL) {
		pthread_mutex_lock(&tp->mu);
		tp->quit = 1;
		pthread_cond_broadcast(&tp->go);
		pthread_mutex_unlock(&tp->mu);
		for (k = 1; k <= tp->nth; k++)
			pthread_join(tp->th[k], NULL);
		pthread_mutex_destroy(&tp->mu);
		pthread_cond_destroy(&tp->go);
		pthread_cond_destroy(&tp->done);
	}
	if (tp->shadowed != NULL)
		linalg_shadow_remove(tp->shadowed);
	if (tp->packed != NULL)
		linalg_pack_remove(tp->packed, tp->n_params);
	free(tp->bf16);
	free(tp->part);
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
train_par_set_precision(struct train_par *tp, const struct vae_params *p,
    int prec, char **cause)
{
	const char	*why;
	int		 k;

	if (prec == LINALG_BF16 && !linalg_bf16_supported(&why))
		return (lr_fail(cause, "bf16 training: %s", why));
	if (prec == LINALG_BF16 && linalg_backend() != LINALG_DNNL)
		return (lr_fail(cause, "bf16 training needs the onednn "
		    "backend (LATENTROLL_BACKEND is openblas)"));
	if (tp->shadowed != NULL)
		linalg_shadow_remove(tp->shadowed);
	if (tp->packed != NULL)
		linalg_pack_remove(tp->packed, tp->n_params);
	free(tp->bf16);
	tp->bf16 = NULL;
	tp->shadowed = NULL;
	tp->packed = NULL;
	tp->prec = prec;
	if (tp->one != NULL)
		train_net_set_precision(tp->one, prec);
	for (k = 0; k < tp->n; k++)
		if (tp->w[k].net != NULL)
			train_net_set_precision(tp->w[k].net, prec);
	lstm_pack_params(p, prec, 1);
	tp->packed = p->mem;
	tp->n_params = p->n_params;
	if (prec != LINALG_BF16)
		return (0);
	tp->n_params = p->n_params;
	tp->bf16 = lr_malloc(p->n_params * sizeof *tp->bf16);
	linalg_to_bf16(tp->bf16, p->mem, p->n_params);
	if (linalg_shadow_add(p->mem, p->n_params, tp->bf16) != 0) {
		free(tp->bf16);
		tp->bf16 = NULL;
		return (lr_fail(cause, "bf16 training: too many weight "
		    "copies"));
	}
	tp->shadowed = p->mem;
	return (0);
}

/* After an update: the bf16 copy and the packed ones follow the weights. */
static void
refresh_shadow(struct train_par *tp, const struct vae_params *p)
{
	if (tp->bf16 != NULL && tp->shadowed == p->mem &&
	    tp->n_params == p->n_params)
		linalg_to_bf16(tp->bf16, p->mem, p->n_params);
	if (tp->packed == p->mem && tp->n_params == p->n_params) {
		linalg_serial_begin();
		linalg_pack_refresh(p->mem, p->n_params, 0, 1);
		linalg_serial_end();
	}
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
	/* Worker 0's g is the caller's; the others' own arenas were
	   cleared by the sum that read them (sum_range). */
	if (w->k == 0 || w->dirty)
		memset(w->g.mem, 0, w->g.n_params * sizeof(float));
	w->dirty = w->k > 0;
	w->rc = train_forward(w->net, w->p, w->tokens, w->B, w->beta,
	    w->free_bits, w->ssp, 0, &w->r, &w->st, &w->cause);
	if (w->rc == 0)
		train_backward(w->net, w->p, &w->g);
	linalg_serial_end();
	return (NULL);
}

/*
 * Worker k's range of an arena of n floats, split among parts on
 * ADAM_BLOCK bounds (so each block's sum of squares is one worker's).
 */
static void
range_of(int k, int parts, size_t n, size_t *lo, size_t *hi)
{
	size_t	nb = (n + ADAM_BLOCK - 1) / ADAM_BLOCK;

	*lo = nb * k / parts * ADAM_BLOCK;
	*hi = nb * (k + 1) / parts * ADAM_BLOCK;
	if (*lo > n)
		*lo = n;
	if (*hi > n)
		*hi = n;
}

/*
 * g[lo,hi) = sum of the slice gradients, each times its weight; the
 * slices of workers 1.. are cleared as they are read, for their next step
 * (work), and marked clean once the whole arena has been (train_par_grad).
 */
static void
sum_range(struct train_par *tp, struct worker *ws, size_t lo, size_t hi)
{
	float	*g = tp->ug->mem;
	int	 k;

	if (tp->un < 2) {
		adam_scale(g + lo, hi - lo, ws[0].f);
		return;
	}
	/* Weights are positive (no slice is empty): scale and add as one
	   pass, the digits of adam_scale then linalg_axpy_take. */
	linalg_axpby_take(g + lo, ws[0].f, ws[1].f, ws[1].g.mem + lo,
	    hi - lo);
	for (k = 2; k < tp->un; k++)
		linalg_axpy_take(g + lo, ws[k].f, ws[k].g.mem + lo, hi - lo);
}

/* Worker w's part of a job other than its slice. */
static void
run_job(struct worker *w)
{
	struct train_par	*tp = w->tp;
	struct vae_params	*p = tp->up;
	const float		*g;
	size_t			 lo, hi, b, e;
	int			 parts = tp->n, shadow;

	if (tp->job == JOB_GRAD) {
		work(w);
		return;
	}
	range_of(w->k, parts, tp->ug->n_params, &lo, &hi);
	switch (tp->job) {
	/*
	 * Block by block (lo is on a block bound), so that each pass after
	 * the first finds its block in cache: the sum and its squares; the
	 * clipping, Adam and the bf16 copy.  Element-wise, so the digits are
	 * those of whole-range passes.
	 */
	case JOB_SUM:
		g = tp->ug->mem;
		for (b = lo; b < hi; b += ADAM_BLOCK) {
			e = hi - b < ADAM_BLOCK ? hi : b + ADAM_BLOCK;
			sum_range(tp, tp->w, b, e);
			if (tp->sum_norm)
				tp->part[b / ADAM_BLOCK] = adam_sumsq(g + b,
				    e - b);
		}
		break;
	case JOB_NORM:
		g = tp->ug->mem;
		for (b = lo; b < hi; b += ADAM_BLOCK) {
			e = hi - b < ADAM_BLOCK ? hi : b + ADAM_BLOCK;
			tp->part[b / ADAM_BLOCK] = adam_sumsq(g + b, e - b);
		}
		break;
	case JOB_UPDATE:
		/* Five arrays: smaller blocks, so all stay in L2. */
		shadow = tp->bf16 != NULL && tp->shadowed == p->mem &&
		    tp->n_params == p->n_params;
		for (b = lo; b < hi; b += UPDATE_BLOCK) {
			e = hi - b < UPDATE_BLOCK ? hi : b + UPDATE_BLOCK;
			adam_update_clipped(p->mem + b, tp->um + b,
			    tp->uv + b, tp->ug->mem + b, e - b, tp->ut,
			    tp->ulr, 0.9f, 0.999f, 1e-8f, tp->uf);
			if (shadow)
				linalg_to_bf16(tp->bf16 + b, p->mem + b, e - b);
		}
		break;
	case JOB_PACK:
		/* One thread per reorder: the workers are the threads. */
		linalg_serial_begin();
		linalg_pack_refresh(p->mem, p->n_params, w->k, parts);
		linalg_serial_end();
		break;
	default:
		break;
	}
}

/*
 * Runs job on workers 0..n-1: those with a pool thread there, the rest
 * (and worker 0) in the calling thread; returns when all are done.
 */
static void
dispatch(struct train_par *tp, enum job job, int n)
{
	int	pooled, k;

	pooled = n - 1 < tp->nth ? n - 1 : tp->nth;
	pthread_mutex_lock(&tp->mu);
	tp->job = job;
	tp->active = pooled + 1;
	tp->busy = pooled;
	tp->gen++;
	pthread_cond_broadcast(&tp->go);
	pthread_mutex_unlock(&tp->mu);
	run_job(&tp->w[0]);
	for (k = pooled + 1; k < n; k++)
		run_job(&tp->w[k]);	/* no thread: run it here */
	pthread_mutex_lock(&tp->mu);
	while (tp->busy > 0)
		pthread_cond_wait(&tp->done, &tp->mu);
	pthread_mutex_unlock(&tp->mu);
}

/*
 * Runs slices of B examples, each weighted by its size over total_B, into
 * g; worker k's generator seeded with seeds[k].
 */
int
train_par_grad(struct train_par *tp, const struct vae_params *p,
    struct vae_params *g, const struct train_hp *hp, long step,
    const int *tokens, int B, int total_B, const uint64_t *seeds,
    struct train_stats *st, char **cause)
{
	const struct vae_arch	*a = &p->arch;
	size_t			 ex = (size_t)a->num_steps * a->n_splits;
	struct worker		 solo, *ws = tp->w;
	int			 k, n, off = 0;
	double			 f;

	if (B < 1 || B > tp->max_B || total_B < B)
		return (lr_fail(cause, "batch of %d of %d (net sized for %d)",
		    B, total_B, tp->max_B));
	n = tp->n < B ? tp->n : B;
	memset(&solo, 0, sizeof solo);
	if (tp->one != NULL) {
		/* One worker, run as a pool worker would (own generator,
		   serial BLAS), so it is any one slice of a larger step. */
		solo.net = tp->one;
		ws = &solo;
	}
	for (k = 0; k < n; k++) {
		struct worker *w = &ws[k];

		/* Slices as even as they go: the first B % n one longer. */
		w->B = B / n + (k < B % n);
		w->tokens = tokens + (size_t)off * ex;
		off += w->B;
		w->p = p;
		w->beta = (float)train_beta(hp, step);
		w->free_bits = hp->free_bits;
		w->ssp = (float)train_ss_prob(hp, step);
		train_net_set_word_dropout(w->net, hp->word_dropout);
		rng_seed(&w->r, seeds[k]);
		if (k == 0)
			params_clone_layout(&w->g, p, g->mem);
		free(w->cause);
		w->cause = NULL;
	}
	if (tp->one != NULL)
		work(ws);
	else
		dispatch(tp, JOB_GRAD, n);
	for (k = 0; k < n; k++)
		if (ws[k].rc != 0) {
			lr_fail(cause, "%s", ws[k].cause != NULL ?
			    ws[k].cause : "training step failed");
			free(solo.cause);
			return (-1);
		}

	/* Each slice's gradient is its own batch mean: weight by size. */
	for (k = 0; k < n; k++)
		ws[k].f = (float)((double)ws[k].B / total_B);
	tp->ug = g;
	tp->un = n;
	tp->norm_ready = 0;
	if (tp->one != NULL)
		sum_range(tp, ws, 0, p->n_params);
	else {
		dispatch(tp, JOB_SUM, tp->n);
		tp->norm_ready = tp->sum_norm;
		for (k = 1; k < n; k++)
			ws[k].dirty = 0;
	}
	memset(st, 0, sizeof *st);
	for (k = 0; k < n; k++) {
		const struct train_stats *s = &ws[k].st;

		f = (double)ws[k].B / total_B;
		st->loss += f * s->loss;
		st->r_loss += f * s->r_loss;
		st->kl += f * s->kl;
		st->kl_loss += f * s->kl_loss;
		st->acc += f * s->acc;
	}
	st->beta = ws[0].st.beta;
	st->ss_prob = ws[0].st.ss_prob;
	return (0);
}

void
train_par_update(struct train_par *tp, struct vae_params *p,
    struct vae_params *g, float *m, float *v, const struct train_hp *hp,
    long step, struct train_stats *st)
{
	double	ss = 0;
	size_t	b;

	if (tp->one != NULL) {
		train_update(p, g, m, v, hp, step, st);
		refresh_shadow(tp, p);
		return;
	}
	/* As train_update does it, a range per worker. */
	tp->up = p;
	tp->ug = g;
	tp->um = m;
	tp->uv = v;
	/* train_par_step's sum brought the squares along (JOB_SUM). */
	if (!tp->norm_ready)
		dispatch(tp, JOB_NORM, tp->n);
	tp->norm_ready = 0;
	for (b = 0; b * ADAM_BLOCK < p->n_params; b++)
		ss += tp->part[b];
	st->gnorm = sqrt(ss);
	st->lr = train_lr(hp, step);
	tp->uf = adam_clip_factor(st->gnorm, hp->clip_norm, hp->zero_norm);
	tp->ulr = (float)st->lr;
	tp->ut = step - hp->adam_step0 + 1;
	dispatch(tp, JOB_UPDATE, tp->n);
	if (tp->packed == p->mem && tp->n_params == p->n_params)
		dispatch(tp, JOB_PACK, tp->n);
}

int
train_par_step(struct train_par *tp, struct vae_params *p,
    struct vae_params *g, float *m, float *v, const struct train_hp *hp,
    long step, const int *tokens, int B, struct rng *r,
    struct train_stats *st, char **cause)
{
	uint64_t	seeds[TRAIN_MAX_WORKERS];
	int		k, n, rc;

	if (tp->one != NULL) {
		if (train_step(tp->one, p, g, m, v, hp, step, tokens, B, r,
		    st, cause) != 0)
			return (-1);
		refresh_shadow(tp, p);
		return (0);
	}
	if (B < 1 || B > tp->max_B)
		return (lr_fail(cause, "batch of %d (net sized for %d)", B,
		    tp->max_B));
	n = tp->n < B ? tp->n : B;
	for (k = 0; k < n; k++)
		seeds[k] = rng_u64(r);
	/* Nothing changes g between the two halves here, so the sum's
	   pass can square it too. */
	tp->sum_norm = 1;
	rc = train_par_grad(tp, p, g, hp, step, tokens, B, B, seeds, st,
	    cause);
	tp->sum_norm = 0;
	if (rc != 0)
		return (-1);
	train_par_update(tp, p, g, m, v, hp, step, st);
	return (0);
}
