/*
 * worker.c: the decode thread.  Thread ownership: after worker_new() the
 * struct vae belongs to this thread only.  The UI thread and this one share
 * `pending` (the next job) and `out` (the last result) under one mutex,
 * held only for copies; decoding runs unlocked.  A byte on the self-pipe
 * tells the UI a result is ready (cmus's notify_via_pipe).
 */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"

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
	int			 speculating;
	struct worker_job	 pending;	/* pointers into the bufs */
	int			*pend[4];	/* clips A B C D */
	float			 pend_nudge[ATTR_N];
	unsigned		 pend_gen;
	double			 pend_t0;
	unsigned		 gen;
	struct worker_result	 out;
	int			 out_new;

	/* The thread's own. */
	int			*job[4];
	float			*z4;		/* (4, Z) encoded clips */
	int			*enc[4];	/* tokens z4 came from */
	int			 have_z;
	float			*ladder;	/* (33, Z) */
	struct worker_result	 work;

	/* Speculated neighbours of the last job: nudge k +/- one step at
	   spec[2k], spec[2k+1]. */
	struct spec {
		int	 valid;
		float	 nudge[ATTR_N];
		int	 first, lerp, pad;
		float	 temperature;
		unsigned seed;
		int	*tokens;		/* (T, S) */
		float	 attrs[ATTR_N];
	}			 spec[2 * ATTR_N];
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

/* Copy a result, keeping dst's own token buffer. */
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
	for (i = 0; i < 4; i++) {
		w->pend[i] = lr_calloc(ts, sizeof (int));
		w->job[i] = lr_calloc(ts, sizeof (int));
		w->enc[i] = lr_calloc(ts, sizeof (int));
	}
	w->z4 = lr_calloc(4 * (size_t)w->Z, sizeof (float));
	for (i = 0; i < 2 * ATTR_N; i++)
		w->spec[i].tokens = lr_calloc(ts, sizeof (int));
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
	int	i;

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
	for (i = 0; i < 4; i++) {
		free(w->pend[i]);
		free(w->job[i]);
		free(w->enc[i]);
	}
	free(w->z4);
	for (i = 0; i < 2 * ATTR_N; i++)
		free(w->spec[i].tokens);
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
	memcpy(w->pend[0], j->tok_a, ts * sizeof (int));
	memcpy(w->pend[1], j->tok_b, ts * sizeof (int));
	/* Missing pad corners are silence (all "no event" tokens). */
	if (j->tok_c != NULL)
		memcpy(w->pend[2], j->tok_c, ts * sizeof (int));
	else
		memset(w->pend[2], 0, ts * sizeof (int));
	if (j->tok_d != NULL)
		memcpy(w->pend[3], j->tok_d, ts * sizeof (int));
	else
		memset(w->pend[3], 0, ts * sizeof (int));
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
worker_settled(struct worker *w)
{
	int	idle;

	pthread_mutex_lock(&w->mu);
	idle = !w->has_pending && !w->running && !w->speculating;
	pthread_mutex_unlock(&w->mu);
	return (idle);
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

/* Hand work to the UI (it takes the newest) and wake its poll(). */
static void
publish(struct worker *w, double t0)
{
	char	c = 1;

	w->work.ms = worker_now_ms() - t0;
	pthread_mutex_lock(&w->mu);
	result_copy(w, &w->out, &w->work);
	w->out_new = 1;
	/* Done (or failed): not busy any more, before the UI wakes up. */
	if (w->work.full || w->work.error[0] != '\0') {
		w->running = 0;
		/* Set here, in the same lock, so nobody sees the worker
		   idle between the ladder and its speculation. */
		w->speculating = w->work.full;
	}
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

/* Encode the clips of a job unless they are the ones encoded last. */
static int
encode_clips(struct worker *w, const struct worker_job *j, char **cause)
{
	const int	*tok[4] = { j->tok_a, j->tok_b, j->tok_c, j->tok_d };
	size_t		 ts = (size_t)w->T * w->S;
	int		*all, i, n = j->pad ? 4 : 2, same = w->have_z;

	for (i = 0; i < n && same; i++)
		same = memcmp(w->enc[i], tok[i], ts * sizeof (int)) == 0;
	if (same && (n == 2 || w->have_z == 4))
		return (0);
	all = lr_malloc(n * ts * sizeof (int));
	for (i = 0; i < n; i++)
		memcpy(all + i * ts, tok[i], ts * sizeof (int));
	if (vae_encode(w->v, all, n, w->z4, NULL, cause) != 0) {
		free(all);
		w->have_z = 0;
		return (-1);
	}
	free(all);
	for (i = 0; i < n; i++)
		memcpy(w->enc[i], tok[i], ts * sizeof (int));
	w->have_z = n;
	/* New clips: the speculated points belong to the old ones. */
	for (i = 0; i < 2 * ATTR_N; i++)
		w->spec[i].valid = 0;
	return (0);
}

/*
 * The points of a job into w->ladder: the slider's ladder
 * z_i = interp(zA, zB, i/32), or the pad's bilinear grid
 * z(x, y) = (1-x)(1-y) zA + x(1-y) zB + (1-x)y zC + xy zD (Beat Blender),
 * then + sum_k nudge_k vec_k on every point.
 */
static int
build_points(struct worker *w, const struct worker_job *j,
    const float *nudge)
{
	const float	*za = w->z4, *zb = za + w->Z, *zc = zb + w->Z;
	const float	*zd = zc + w->Z;
	float		 x, y, *p;
	int		 i, k, z, n, Z = w->Z;

	if (j->pad) {
		n = WORKER_PAD_N * WORKER_PAD_N;
		for (i = 0; i < n; i++) {
			x = (float)(i % WORKER_PAD_N) / (WORKER_PAD_N - 1);
			y = (float)(i / WORKER_PAD_N) / (WORKER_PAD_N - 1);
			p = w->ladder + (size_t)i * Z;
			for (z = 0; z < Z; z++)
				p[z] = (1 - x) * (1 - y) * za[z] +
				    x * (1 - y) * zb[z] + (1 - x) * y * zc[z] +
				    x * y * zd[z];
		}
	} else {
		n = WORKER_LADDER;
		vae_interpolate(w->ladder, za, zb, Z, n,
		    j->lerp ? VAE_LERP : VAE_SLERP);
	}
	for (k = 0; k < w->n_vecs; k++) {
		if (nudge[k] == 0)
			continue;
		for (i = 0; i < n; i++)
			for (z = 0; z < Z; z++)
				w->ladder[(size_t)i * Z + z] += nudge[k] *
				    w->vecs[(size_t)k * Z + z];
	}
	return (n);
}

/* The latent of one point with given nudges into z (Z). */
static void
point_z(struct worker *w, const struct worker_job *j, const float *nudge,
    int i, float *z)
{
	const float	*za = w->z4, *zb = za + w->Z, *zc = zb + w->Z;
	const float	*zd = zc + w->Z;
	float		 x, y;
	int		 k, d, Z = w->Z;

	if (j->pad) {
		x = (float)(i % WORKER_PAD_N) / (WORKER_PAD_N - 1);
		y = (float)(i / WORKER_PAD_N) / (WORKER_PAD_N - 1);
		for (d = 0; d < Z; d++)
			z[d] = (1 - x) * (1 - y) * za[d] + x * (1 - y) * zb[d] +
			    (1 - x) * y * zc[d] + x * y * zd[d];
	} else
		vae_interp_point(z, za, zb, Z, (float)i / (WORKER_LADDER - 1),
		    j->lerp ? VAE_LERP : VAE_SLERP);
	for (k = 0; k < w->n_vecs; k++)
		if (nudge[k] != 0)
			for (d = 0; d < Z; d++)
				z[d] += nudge[k] * w->vecs[(size_t)k * Z + d];
}

/*
 * Each point samples from its own generator, seeded from the job's seed
 * and the point's index: a point decodes the same alone (first, or
 * speculated) as in the ladder's batch (vae_decode_rows), and the same
 * whichever point was decoded first.
 */
static void
point_rng(struct rng *r, unsigned seed, int i)
{
	struct rng	m;

	rng_seed(&m, (uint64_t)seed << 32 | (uint32_t)i);
	rng_seed(r, rng_u64(&m));
}

/*
 * A speculated point answers a job when everything it was made from is
 * the same: clips (checked on encode), point, kind, nudges, temperature
 * and seed.
 */
static int
spec_match(const struct spec *sp, const struct worker_job *j,
    const float *nudge, int first, int n_vecs)
{
	return (sp->valid && sp->first == first && sp->lerp == j->lerp &&
	    sp->pad == j->pad && sp->temperature == j->temperature &&
	    (j->temperature == 0 || sp->seed == j->seed) &&
	    memcmp(sp->nudge, nudge, n_vecs * sizeof (float)) == 0);
}

/*
 * Idle after a ladder: decode the shown point one nudge step up and down
 * on every attribute, the selected one first, so the next nudge key (even
 * after Up/Down) is answered from cache.  Stops as soon as a job arrives.
 */
static void
speculate(struct worker *w, const struct worker_job *j, const float *nudge,
    int first)
{
	struct spec	*sp;
	struct rng	 rng;
	float		 z[1024];
	char		*cause = NULL;
	int		 k, n;

	if (j->nudge_step == 0 || w->n_vecs == 0 || j->attr < 0 ||
	    j->attr >= w->n_vecs || w->Z > 1024)
		return;
	for (n = 0; n < 2 * w->n_vecs; n++) {
		if (superseded(w))
			break;
		k = (j->attr + n / 2) % w->n_vecs;
		sp = &w->spec[2 * k + n % 2];
		memcpy(sp->nudge, nudge, sizeof sp->nudge);
		sp->nudge[k] += n % 2 == 0 ? j->nudge_step : -j->nudge_step;
		sp->first = first;
		sp->lerp = j->lerp;
		sp->pad = j->pad;
		sp->temperature = j->temperature;
		sp->seed = j->seed;
		point_z(w, j, sp->nudge, first, z);
		point_rng(&rng, j->seed, first);
		sp->valid = vae_decode_rows(w->v, z, 1, j->temperature, &rng,
		    sp->tokens, &cause) == 0;
		free(cause);
		cause = NULL;
		if (sp->valid)
			attrs_measure(&w->arch, sp->tokens, sp->attrs);
	}
}

/*
 * One job: encode the clips (only when they changed), build the points,
 * decode the point on screen alone (at any temperature: each point has
 * its own generator, see point_rng), then every point in one batched
 * call.
 */
static void
run_job(struct worker *w, const struct worker_job *j, const float *nudge,
    double t0)
{
	struct rng	 rng[WORKER_LADDER];
	size_t		 ts = (size_t)w->T * w->S;
	int		 i, n, Z = w->Z, first;
	char		*cause = NULL;

	memset(w->work.valid, 0, sizeof w->work.valid);
	w->work.full = 0;
	w->work.error[0] = '\0';
	if (encode_clips(w, j, &cause) != 0) {
		snprintf(w->work.error, sizeof w->work.error, "encode: %s",
		    cause != NULL ? cause : "failed");
		free(cause);
		publish(w, t0);
		return;
	}
	n = build_points(w, j, nudge);
	w->work.n = n;
	first = j->first < 0 ? 0 : (j->first >= n ? n - 1 : j->first);
	w->work.speculated = 0;
	for (i = 0; i < 2 * w->n_vecs; i++) {
		if (!spec_match(&w->spec[i], j, nudge, first, w->n_vecs))
			continue;
		memcpy(w->work.tokens + first * ts, w->spec[i].tokens,
		    ts * sizeof (int));
		memcpy(w->work.attrs[first], w->spec[i].attrs,
		    sizeof w->spec[i].attrs);
		w->work.valid[first] = 1;
		w->work.speculated = 1;
		publish(w, t0);
		break;
	}
	if (!w->work.speculated) {
		point_rng(&rng[0], j->seed, first);
		if (vae_decode_rows(w->v, w->ladder + (size_t)first * Z, 1,
		    j->temperature, rng, w->work.tokens + first * ts,
		    &cause) != 0)
			goto fail;
		attrs_measure(&w->arch, w->work.tokens + first * ts,
		    w->work.attrs[first]);
		w->work.valid[first] = 1;
		publish(w, t0);
		if (superseded(w))
			return;
	}
	for (i = 0; i < n; i++)
		point_rng(&rng[i], j->seed, i);
	if (vae_decode_rows(w->v, w->ladder, n, j->temperature, rng,
	    w->work.tokens, &cause) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		attrs_measure(&w->arch, w->work.tokens + i * ts,
		    w->work.attrs[i]);
		w->work.valid[i] = 1;
	}
	w->work.full = 1;
	publish(w, t0);
	speculate(w, j, nudge, first);
	pthread_mutex_lock(&w->mu);
	w->speculating = 0;
	pthread_mutex_unlock(&w->mu);
	return;
fail:
	snprintf(w->work.error, sizeof w->work.error, "decode: %s",
	    cause != NULL ? cause : "failed");
	free(cause);
	publish(w, t0);
}

/* Take the newest job (older ones are simply overwritten) and run it. */
static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct worker_job	 j;
	float			 nudge[ATTR_N];
	size_t			 ts = (size_t)w->T * w->S;
	double			 t0;
	int			 i;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->has_pending && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit)
			break;
		j = w->pending;
		for (i = 0; i < 4; i++)
			memcpy(w->job[i], w->pend[i], ts * sizeof (int));
		memcpy(nudge, w->pend_nudge, sizeof nudge);
		j.tok_a = w->job[0];
		j.tok_b = w->job[1];
		j.tok_c = w->job[2];
		j.tok_d = w->job[3];
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
