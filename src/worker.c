/*
 * worker.c: the decode thread.  Thread ownership: after worker_new() the
 * struct vae belongs to this thread only.  The UI thread and this one share
 * `pending` (the next job) and `out` (the last result) under one mutex,
 * held only for copies; decoding runs unlocked.  A byte on the self-pipe
 * tells the UI a result is ready (cmus's notify_via_pipe).
 */
#include "src/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/rng.h"

struct worker {
	struct vae		*v;
	struct vae_arch		 arch;
	int			 T, S, Z;
	int			 n_vecs;
	float			*vecs;		/* (n_vecs, Z) */

	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 pipe[2];
	int			 quit;

	/* Shared, under mu. */
	int			 has_pending;
	int			 running;
	struct worker_job	 pending;	/* pointers into the bufs */
	int			*pend_a, *pend_b;
	float			 pend_nudge[ATTR_N];
	unsigned		 pend_gen;
	double			 pend_t0;
	unsigned		 gen;
	struct worker_result	 out;
	int			 out_new;

	/* The thread's own. */
	int			*job_a, *job_b;
	float			*za, *zb;	/* (Z) encoded clips */
	int			*enc_a, *enc_b;	/* tokens za, zb came from */
	int			 have_z;
	float			*ladder;	/* (33, Z) */
	struct worker_result	 work;
};

static void	*worker_main(void *);

double
worker_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

const struct vae_arch *
worker_arch(struct worker *w)
{
	return (&w->arch);
}

void
worker_result_init(struct worker *w, struct worker_result *r)
{
	memset(r, 0, sizeof *r);
	r->tokens = lr_calloc((size_t)WORKER_LADDER * w->T * w->S,
	    sizeof *r->tokens);
}

void
worker_result_free(struct worker_result *r)
{
	free(r->tokens);
	r->tokens = NULL;
}

static void
result_copy(struct worker *w, struct worker_result *dst,
    const struct worker_result *src)
{
	int	*tok = dst->tokens;

	*dst = *src;
	dst->tokens = tok;
	memcpy(tok, src->tokens, (size_t)WORKER_LADDER * w->T * w->S *
	    sizeof *tok);
}

struct worker *
worker_new(struct vae *v, const float *vecs, int n_vecs, char **cause)
{
	struct worker	*w;
	size_t		 ts;
	int		 i;

	w = lr_calloc(1, sizeof *w);
	w->v = v;
	w->arch = v->p.arch;
	w->T = w->arch.num_steps;
	w->S = w->arch.n_splits;
	w->Z = w->arch.z_size;
	if (n_vecs > ATTR_N)
		n_vecs = ATTR_N;
	w->n_vecs = n_vecs;
	if (n_vecs > 0) {
		w->vecs = lr_malloc((size_t)n_vecs * w->Z * sizeof *w->vecs);
		memcpy(w->vecs, vecs, (size_t)n_vecs * w->Z * sizeof *vecs);
	}
	ts = (size_t)w->T * w->S;
	w->pend_a = lr_calloc(ts, sizeof (int));
	w->pend_b = lr_calloc(ts, sizeof (int));
	w->job_a = lr_calloc(ts, sizeof (int));
	w->job_b = lr_calloc(ts, sizeof (int));
	w->enc_a = lr_calloc(ts, sizeof (int));
	w->enc_b = lr_calloc(ts, sizeof (int));
	w->za = lr_calloc(w->Z, sizeof (float));
	w->zb = lr_calloc(w->Z, sizeof (float));
	w->ladder = lr_calloc((size_t)WORKER_LADDER * w->Z, sizeof (float));
	worker_result_init(w, &w->out);
	worker_result_init(w, &w->work);
	if (pipe(w->pipe) != 0) {
		lr_fail(cause, "worker: pipe: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		fcntl(w->pipe[i], F_SETFL, fcntl(w->pipe[i], F_GETFL) |
		    O_NONBLOCK);
		fcntl(w->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		lr_fail(cause, "worker: cannot start the decode thread");
		close(w->pipe[0]);
		close(w->pipe[1]);
		w->pipe[0] = -1;
		goto fail;
	}
	return (w);
fail:
	w->v = NULL;	/* the caller still owns v on failure */
	worker_free(w);
	return (NULL);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->pipe[0] >= 0 && w->thread) {
		pthread_mutex_lock(&w->mu);
		w->quit = 1;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		close(w->pipe[0]);
		close(w->pipe[1]);
	}
	vae_free(w->v);
	free(w->vecs);
	free(w->pend_a);
	free(w->pend_b);
	free(w->job_a);
	free(w->job_b);
	free(w->enc_a);
	free(w->enc_b);
	free(w->za);
	free(w->zb);
	free(w->ladder);
	worker_result_free(&w->out);
	worker_result_free(&w->work);
	free(w);
}

unsigned
worker_submit(struct worker *w, const struct worker_job *j)
{
	size_t		ts = (size_t)w->T * w->S;
	unsigned	gen;

	pthread_mutex_lock(&w->mu);
	memcpy(w->pend_a, j->tok_a, ts * sizeof (int));
	memcpy(w->pend_b, j->tok_b, ts * sizeof (int));
	memset(w->pend_nudge, 0, sizeof w->pend_nudge);
	if (j->nudge != NULL && w->n_vecs > 0)
		memcpy(w->pend_nudge, j->nudge, w->n_vecs * sizeof (float));
	w->pending = *j;
	w->has_pending = 1;
	w->pend_gen = gen = ++w->gen;
	w->pend_t0 = worker_now_ms();
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return (gen);
}

int
worker_fd(struct worker *w)
{
	return (w->pipe[0]);
}

int
worker_busy(struct worker *w)
{
	int	busy;

	pthread_mutex_lock(&w->mu);
	busy = w->has_pending || w->running;
	pthread_mutex_unlock(&w->mu);
	return (busy);
}

int
worker_take(struct worker *w, struct worker_result *r)
{
	char	buf[64];
	int	got;

	while (read(w->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&w->mu);
	got = w->out_new;
	if (got)
		result_copy(w, r, &w->out);
	w->out_new = 0;
	pthread_mutex_unlock(&w->mu);
	return (got);
}

static void
publish(struct worker *w, double t0)
{
	char	c = 1;

	w->work.ms = worker_now_ms() - t0;
	pthread_mutex_lock(&w->mu);
	result_copy(w, &w->out, &w->work);
	w->out_new = 1;
	/* Done (or failed): not busy any more, before the UI wakes up. */
	if (w->work.full || w->work.error[0] != '\0')
		w->running = 0;
	pthread_mutex_unlock(&w->mu);
	/* A full pipe already means "wake up": ignore EAGAIN. */
	(void)!write(w->pipe[1], &c, 1);
}

/* A newer job arrived: stop the current one between decodes. */
static int
superseded(struct worker *w)
{
	int	yes;

	pthread_mutex_lock(&w->mu);
	yes = w->has_pending || w->quit;
	pthread_mutex_unlock(&w->mu);
	return (yes);
}

/*
 * One job: encode the clips (only when they changed), build the ladder
 * z_i = interp(za, zb, i/32) + sum_k nudge_k vec_k, decode the slider's
 * point alone (argmax only: a sampled point must come from the same batch
 * draw as its neighbours to be reproducible), then the whole ladder.
 */
static void
run_job(struct worker *w, const struct worker_job *j, const float *nudge,
    double t0)
{
	struct rng	 rng;
	size_t		 ts = (size_t)w->T * w->S;
	float		 mu[2 * 512];
	int		*both = NULL;
	int		 i, k, z, Z = w->Z, first;
	char		*cause = NULL;

	memset(w->work.valid, 0, sizeof w->work.valid);
	w->work.full = 0;
	w->work.error[0] = '\0';
	if (!w->have_z || memcmp(w->enc_a, j->tok_a, ts * sizeof (int)) ||
	    memcmp(w->enc_b, j->tok_b, ts * sizeof (int))) {
		both = lr_malloc(2 * ts * sizeof (int));
		memcpy(both, j->tok_a, ts * sizeof (int));
		memcpy(both + ts, j->tok_b, ts * sizeof (int));
		if (Z > 512 || vae_encode(w->v, both, 2, mu, NULL,
		    &cause) != 0) {
			snprintf(w->work.error, sizeof w->work.error,
			    "encode: %s", cause != NULL ? cause : "z too big");
			free(cause);
			free(both);
			publish(w, t0);
			return;
		}
		free(both);
		memcpy(w->za, mu, Z * sizeof (float));
		memcpy(w->zb, mu + Z, Z * sizeof (float));
		memcpy(w->enc_a, j->tok_a, ts * sizeof (int));
		memcpy(w->enc_b, j->tok_b, ts * sizeof (int));
		w->have_z = 1;
	}
	vae_interpolate(w->ladder, w->za, w->zb, Z, WORKER_LADDER,
	    j->lerp ? VAE_LERP : VAE_SLERP);
	for (k = 0; k < w->n_vecs; k++) {
		if (nudge[k] == 0)
			continue;
		for (i = 0; i < WORKER_LADDER; i++)
			for (z = 0; z < Z; z++)
				w->ladder[(size_t)i * Z + z] += nudge[k] *
				    w->vecs[(size_t)k * Z + z];
	}

	first = j->first < 0 ? 0 : (j->first >= WORKER_LADDER ?
	    WORKER_LADDER - 1 : j->first);
	if (j->temperature == 0) {
		if (vae_decode(w->v, w->ladder + (size_t)first * Z, 1, 0, NULL,
		    w->work.tokens + first * ts, &cause) != 0)
			goto fail;
		attrs_measure(&w->arch, w->work.tokens + first * ts,
		    w->work.attrs[first]);
		w->work.valid[first] = 1;
		publish(w, t0);
		if (superseded(w))
			return;
	}
	rng_seed(&rng, j->seed);
	if (vae_decode(w->v, w->ladder, WORKER_LADDER, j->temperature,
	    &rng, w->work.tokens, &cause) != 0)
		goto fail;
	for (i = 0; i < WORKER_LADDER; i++) {
		attrs_measure(&w->arch, w->work.tokens + i * ts,
		    w->work.attrs[i]);
		w->work.valid[i] = 1;
	}
	w->work.full = 1;
	publish(w, t0);
	return;
fail:
	snprintf(w->work.error, sizeof w->work.error, "decode: %s",
	    cause != NULL ? cause : "failed");
	free(cause);
	publish(w, t0);
}

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct worker_job	 j;
	float			 nudge[ATTR_N];
	size_t			 ts = (size_t)w->T * w->S;
	double			 t0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->has_pending && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		j = w->pending;
		memcpy(w->job_a, w->pend_a, ts * sizeof (int));
		memcpy(w->job_b, w->pend_b, ts * sizeof (int));
		memcpy(nudge, w->pend_nudge, sizeof nudge);
		j.tok_a = w->job_a;
		j.tok_b = w->job_b;
		j.nudge = nudge;
		w->work.gen = w->pend_gen;
		t0 = w->pend_t0;
		w->has_pending = 0;
		w->running = 1;
		pthread_mutex_unlock(&w->mu);

		run_job(w, &j, nudge, t0);

		pthread_mutex_lock(&w->mu);
		w->running = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return (NULL);
}
