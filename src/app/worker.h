/*
 * worker.h: the decode worker.  One thread owns the struct vae (a vae is
 * used by one thread at a time) and turns jobs (clips A and B as tokens,
 * nudges, temperature, seed, slerp/lerp) into the slider's ladder: 33
 * points from A to B decoded in one batched vae_decode call, each with its
 * measured attributes.  The point under the slider is decoded first on its
 * own, so a nudge answers in one small decode.  The UI thread submits jobs
 * and takes results; a self-pipe wakes its poll() loop.
 */
#ifndef LR_WORKER_H
#define LR_WORKER_H

#include "common.h"
#include "attrs.h"
#include "roll.h"
#include "vae.h"

/* The roll's sizes, defined once there. */
#define WORKER_LADDER	ROLL_LADDER
#define WORKER_PAD_N	ROLL_PAD_N	/* pad grid points per side */

struct worker_job {
	const int	*tok_a;		/* (T, S) */
	const int	*tok_b;		/* (T, S) */
	const int	*tok_c;		/* (T, S) pad corners, or NULL */
	const int	*tok_d;
	int		 pad;		/* 1: a 5x5 bilinear grid A B / C D
					   (point y*5+x) instead of the
					   33-point ladder A..B */
	int		 first;		/* point to decode first */
	const float	*nudge;		/* (n_vecs) amounts, may be NULL */
	float		 temperature;
	unsigned	 seed;
	int		 lerp;
	/*
	 * Speculation: when idle after a ladder, the worker decodes the
	 * shown point with nudge[attr] +/- nudge_step, so the next press of
	 * a nudge key is answered without a decode.  nudge_step 0: none.
	 */
	int		 attr;
	float		 nudge_step;
};

struct worker_result {
	unsigned	 gen;		/* worker_submit() return value */
	int		 full;		/* every point decoded */
	int		 n;		/* points: 33, or 25 for the pad */
	int		 valid[WORKER_LADDER];
	int		*tokens;	/* (33, T, S) */
	float		 attrs[WORKER_LADDER][ATTR_N];
	double		 ms;		/* submit -> this result */
	int		 speculated;	/* the first point came from the
					   speculation cache */
	char		 error[256];	/* "" or a decode error */
};

struct worker;

/*
 * Start the thread; it takes ownership of v.  vecs (n_vecs, Z) are the
 * attribute vectors (copied), n_vecs may be 0.
 */
struct worker	*worker_new(struct vae *v, const float *vecs, int n_vecs,
		    char **cause) LR_WUR;
/* Stop the thread, free the model. */
void		 worker_free(struct worker *w);
/* Queue a job (copied; replaces one not started yet); returns its gen. */
unsigned	 worker_submit(struct worker *w, const struct worker_job *j);
/* Readable when a result was published. */
int		 worker_fd(struct worker *w);
/* Allocate a result's buffers for this model. */
void		 worker_result_init(struct worker *w, struct worker_result *r);
void		 worker_result_free(struct worker_result *r);
/* Copy the newest result into r: 1 if there was a new one, else 0. */
int		 worker_take(struct worker *w, struct worker_result *r);
/* 1 while a job is queued or running. */
int		 worker_busy(struct worker *w);
/* 1 when nothing at all runs, speculation included (tests, bench). */
int		 worker_settled(struct worker *w);
/* The model's architecture (read-only; safe from any thread). */
const struct vae_arch *worker_arch(struct worker *w);
/* Monotonic milliseconds (timing of key -> result). */
double		 worker_now_ms(void);

#endif
