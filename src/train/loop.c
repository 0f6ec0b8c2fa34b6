/*
 * loop.c: a training run as an object with phases (run.h): open (the
 * folder's checks, the windows, a fresh, warm-started, transferred or
 * resumed state, the workers), step, validate, checkpoint, close.  The
 * CLI drives it and prints; nothing here prints.
 *
 * A resumed run continues bitwise as if never stopped, given the same
 * --threads: the batch order is a function of (seed, epoch),
 * transpositions and the reparameterisation noise come from the one
 * generator whose state is saved, and timers never touch either.
 *
 * A job of several ranks (dist.h, issue I) is the same run spread out.
 * Rank 0's state (fresh, warm-started or resumed) goes to every rank.
 * Every rank draws each whole batch of --batch windows in the one order
 * and the one generator, then the ranks x threads noise seeds; the batch
 * is cut into that many slices as train_par cuts it among threads, rank
 * k running slices k x threads onwards.  Each rank weights its slices by
 * their share of the whole batch, one dist_sum adds the ranks' gradients
 * (and their loss terms and stop wishes, in the arena's tail), and every
 * rank makes the same update.  So R ranks of T threads draw the same
 * examples and noise as one process of R x T threads, and differ from it
 * only in the order floats are added.
 */
#include "atomic.h"
#include "run.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist.h"
#include "modeldir.h"
#include "linalg.h"

#define VALID_MAX	1024	/* windows per validation */
/* After the gradient in the arena dist_sum adds: the step's loss terms
   (already weighted by the rank's share) and its stop wish. */
enum { TAIL_LOSS, TAIL_RLOSS, TAIL_KL, TAIL_KLLOSS, TAIL_ACC, TAIL_STOP,
	RUN_TAIL };

/* Append a line to the run's notes (shown by the caller). */
static void
note(struct run *r, const char *fmt, ...) LR_PRINTF(2, 3);

static void
note(struct run *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	size_t	 n = r->notes != NULL ? strlen(r->notes) : 0;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		return;
	r->notes = lr_realloc(r->notes, n + strlen(line) + 2);
	memcpy(r->notes + n, line, strlen(line));
	r->notes[n + strlen(line)] = '\n';
	r->notes[n + strlen(line) + 1] = '\0';
	free(line);
}

/* A file a run writes in its folder beside the model's (or a save's
   temporary): modeldir_foreign's `also`. */
static int
run_file(const char *name)
{
	size_t	n = strlen(name);

	return (strcmp(name, "curve.tsv") == 0 ||
	    strcmp(name, "trainstate.bin") == 0 ||
	    (strncmp(name, "windows-", 8) == 0 && n > 6 &&
	    strcmp(name + n - 6, ".cache") == 0) ||
	    strstr(name, ".tmp") != NULL);
}

/* The folder can take a run: made, a folder, writable, not a model. */
static int
check_out(struct run *r, char **cause)
{
	const struct train_args	*ta = r->ta;
	struct stat		 sb;
	char			*man, *other;
	int			 is_model;

	/* runs/mel_2bar with no runs/ yet: made, parents too, and removed
	   again if the run fails to start (run_open). */
	if (stat(ta->out, &sb) != 0 && atomic_mkdir_p(ta->out, &r->made,
	    cause) != 0)
		return (-1);
	/* Now, not at the first checkpoint minutes (or hours) later. */
	if (stat(ta->out, &sb) == 0 && !S_ISDIR(sb.st_mode))
		return (lr_fail(cause, "%s: not a directory", ta->out));
	if (access(ta->out, W_OK) != 0)
		return (lr_fail(cause, "%s: %s", ta->out, strerror(errno)));
	r->tspath = lr_path_join(ta->out, "trainstate.bin");
	if (!ta->resume && access(r->tspath, F_OK) == 0)
		return (lr_fail(cause, "%s: a run is already there (use "
		    "--resume, or another --out)", ta->out));
	/* A model that is no run of ours (a shipped or exported one, a
	   magenta.js checkpoint): training would replace its weights with
	   fresh ones, --resume or not, since there is nothing to resume. */
	if (access(r->tspath, F_OK) == 0)
		return (0);
	man = lr_path_join(ta->out, "weights_manifest.json");
	is_model = access(man, F_OK) == 0;
	free(man);
	if (is_model)
		return (lr_fail(cause, "%s: holds a model that is not a "
		    "training run; not replacing it (use another --out)",
		    ta->out));
	/* A folder of someone's files (the data itself, say) is no
	   place for shards. */
	if ((other = modeldir_foreign(ta->out, run_file)) != NULL) {
		lr_fail(cause, "%s: holds other files (%s); a run needs a "
		    "folder of its own (use a new --out)", ta->out, other);
		free(other);
		return (-1);
	}
	return (0);
}

/* The state of a run being resumed, checked against what was asked. */
static int
resume(struct run *r, char **cause)
{
	struct train_args	*ta = r->ta;
	struct trainstate	*ts = &r->ts;

	if (trainstate_load(r->tspath, ts, cause) != 0)
		return (-1);
	if (ts->fingerprint != r->ds.fingerprint)
		return (lr_fail(cause, "%s: the data changed since this run "
		    "started (fingerprint differs)", r->tspath));
	if (ts->batch != ta->batch)
		return (lr_fail(cause, "%s: run used --batch %d", r->tspath,
		    ts->batch));
	/* The seed orders the data: a resumed run keeps its own, so
	   another one asked for is not quietly dropped. */
	if (ta->set_seed && ts->seed != ta->seed)
		return (lr_fail(cause, "%s: run used --seed %llu", r->tspath,
		    (unsigned long long)ts->seed));
	/* The noise streams follow ranks x threads; the batches do not. */
	if (ts->threads != ta->threads * r->ranks && r->ranks == 1)
		note(r, "train: warning: run used %d threads, now %d: not "
		    "bitwise reproducible", ts->threads, ta->threads);
	else if (ts->threads != ta->threads * r->ranks)
		note(r, "train: warning: run used %d workers (ranks x "
		    "threads), now %d x %d: the same batches, other noise "
		    "draws: not bitwise reproducible", ts->threads, r->ranks,
		    ta->threads);
	r->rng.s = ts->rng;
	ta->seed = ts->seed;
	r->epoch = ts->epoch;
	r->cursor = ts->cursor;
	note(r, "train: resuming at step %ld%s", ts->step, ta->init != NULL ?
	    " (--init is where the run began, not read again)" : "");
	return (0);
}

/* A new run: fresh weights, then --init-from's or --init's. */
static int
start(struct run *r, char **cause)
{
	struct train_args	*ta = r->ta;
	struct trainstate	*ts = &r->ts;
	char			*rep = NULL;

	rng_seed(&r->rng, ta->seed);
	train_init_params(&r->v->p, &r->rng);
	ts->step = 0;
	if (ta->init_from != NULL) {
		if (run_transfer(ta, r->v, &rep, cause) != 0)
			return (-1);
		note(r, "%.*s", (int)strlen(rep) - 1, rep);
		free(rep);
	}
	if (ta->init != NULL) {
		if (run_warm_start(ta, r->v, &ts->step, cause) != 0)
			return (-1);
		note(r, "train: starting from %s's weights at step %ld",
		    ta->init, ts->step);
	}
	ts->adam_step0 = ts->step;
	return (0);
}

/*
 * Every rank takes rank 0's state: weights and moments, step, generator,
 * seed and data position.  Each rank read its own data: the same windows
 * or the ranks would train on different batches.
 */
static int
share_state(struct run *r, char **cause)
{
	struct train_args	*ta = r->ta;
	struct trainstate	*ts = &r->ts;
	size_t			 n = r->v->p.n_params;
	uint64_t		 s[8];

	s[0] = r->rng.s;
	s[1] = ta->seed;
	s[2] = (uint64_t)r->epoch;
	s[3] = (uint64_t)r->cursor;
	s[4] = (uint64_t)ts->step;
	s[5] = (uint64_t)ts->adam_step0;
	s[6] = r->ds.fingerprint;
	s[7] = (uint64_t)r->ds.n[DATASET_TRAIN];
	if (dist_bcast(s, sizeof s, cause) != 0)
		return (-1);
	if (s[6] != r->ds.fingerprint ||
	    s[7] != (uint64_t)r->ds.n[DATASET_TRAIN])
		return (lr_fail(cause, "rank %d: %s: not the data rank 0 has "
		    "(%d training windows here, %llu there)", r->rank,
		    ta->data, r->ds.n[DATASET_TRAIN],
		    (unsigned long long)s[7]));
	r->rng.s = s[0];
	ta->seed = s[1];
	r->epoch = (long)s[2];
	r->cursor = (long)s[3];
	ts->step = (long)s[4];
	ts->adam_step0 = (long)s[5];
	if (dist_bcast(r->v->p.mem, n * sizeof(float), cause) != 0 ||
	    dist_bcast(r->m, n * sizeof(float), cause) != 0 ||
	    dist_bcast(r->vv, n * sizeof(float), cause) != 0)
		return (-1);
	return (0);
}

/*
 * This rank's part of every batch: of the ranks x threads slices (as
 * even as they go, the first batch % slices one longer, as train_par
 * cuts), its threads' consecutive ones.
 */
static int
shard(struct run *r, char **cause)
{
	int	B = r->ta->batch, T = r->ta->threads, W = r->ranks * T, i;

	if (B < W)
		return (lr_fail(cause, "--batch %d across %d ranks x %d "
		    "threads: want at least one example per thread", B,
		    r->ranks, T));
	r->shard_off = r->shard_B = 0;
	for (i = 0; i < (r->rank + 1) * T; i++) {
		if (i < r->rank * T)
			r->shard_off += B / W + (i < B % W);
		else
			r->shard_B += B / W + (i < B % W);
	}
	r->seeds = lr_calloc(W, sizeof *r->seeds);
	r->sum_n = r->v->p.n_params + RUN_TAIL;
	return (0);
}

int
run_open(struct run *r, struct train_args *ta, const struct vae_arch *a,
    char **cause)
{
	char	cname[32], *cp;
	int	resuming;

	memset(r, 0, sizeof *r);
	r->ta = ta;
	r->vacc = r->vsacc = -1;
	r->rank = dist_rank();
	r->ranks = dist_size();
	if (check_out(r, cause) != 0)
		goto fail;
	run_cache_name(cname, sizeof cname, a);
	/* --cache names where the windows are kept (a run's folder by
	   default), as for eval.  Rank 0 reads the folder first, so where
	   the ranks share a disk the others find its cache, not write
	   their own. */
	if (r->rank > 0 && dist_barrier(cause) != 0)
		goto fail;
	/* A run to resume may yet refuse the data (its fingerprint): the
	   cache it has is left as it was until the run goes on. */
	resuming = ta->resume && access(r->tspath, F_OK) == 0;
	if (dataset_load(&r->ds, ta->data, a, ta->cache != NULL ? ta->cache :
	    ta->out, cname, (ta->two_four ? DATASET_TWO_FOUR : 0) |
	    (resuming ? DATASET_NO_CACHE_WRITE : 0), cause) != 0)
		goto fail;
	r->have_ds = 1;
	if (r->ranks > 1 && r->rank == 0 && dist_barrier(cause) != 0)
		goto fail;
	if (r->ds.n[DATASET_TRAIN] == 0) {
		lr_fail(cause, "%s: no window falls in the train split (%d "
		    "files; the split hashes file names)", ta->data,
		    r->ds.n_files);
		goto fail;
	}
	if ((r->v = vae_new(a, cause)) == NULL)
		goto fail;
	vae_set_has_sigma(r->v, 1);
	r->gm = lr_calloc(r->v->p.n_params + RUN_TAIL, sizeof *r->gm);
	r->m = lr_calloc(r->v->p.n_params, sizeof *r->m);
	r->vv = lr_calloc(r->v->p.n_params, sizeof *r->vv);
	params_clone_layout(&r->g, &r->v->p, r->gm);
	r->ts.n_params = r->v->p.n_params;
	r->ts.params = r->v->p.mem;
	r->ts.m = r->m;
	r->ts.v = r->vv;
	if ((resuming ? resume(r, cause) : start(r, cause)) != 0)
		goto fail;
	if (resuming)
		dataset_cache_save(&r->ds, ta->cache != NULL ? ta->cache :
		    ta->out, cname);
	if (r->ranks > 1 && (share_state(r, cause) != 0 ||
	    shard(r, cause) != 0))
		goto fail;
	ta->hp.adam_step0 = r->ts.adam_step0;
	r->step = r->ts.step;
	r->ts.seed = ta->seed;
	r->ts.batch = ta->batch;
	r->ts.threads = ta->threads * r->ranks;
	r->ts.fingerprint = r->ds.fingerprint;

	/* --threads N: N workers on slices of the batch, BLAS serial in
	   each (model/train_par.c); validation uses the first one's net. */
	if ((r->tp = train_par_new(&r->v->p, r->ranks > 1 ? r->shard_B :
	    ta->batch, ta->threads, cause)) == NULL ||
	    train_par_set_precision(r->tp, &r->v->p, ta->precision,
	    cause) != 0)
		goto fail;
	r->net = train_par_net(r->tp, &r->vb);
	r->perm = lr_malloc(r->ds.n[DATASET_TRAIN] * sizeof *r->perm);
	dataset_permutation(r->perm, r->ds.n[DATASET_TRAIN], ta->seed,
	    r->epoch);
	r->len = (size_t)a->num_steps * a->n_splits;
	r->tok = lr_malloc((size_t)ta->batch * r->len * sizeof *r->tok);
	if (r->rank == 0) {
		cp = lr_path_join(ta->out, "curve.tsv");
		r->curve = fopen(cp, "a");
		free(cp);
	}
	return (0);
fail:
	/* A run that never started leaves nothing behind: not the folders
	   it made, nor the window cache it wrote into them. */
	if (r->made != NULL)
		atomic_dir_remove(r->made);
	run_close(r);
	return (-1);
}

/* A step of a job of several ranks: this rank's slices, then the sum. */
static int
step_shard(struct run *r, struct train_stats *st, char **cause)
{
	struct train_args	*ta = r->ta;
	size_t			 n = r->v->p.n_params;
	float			*tail = r->gm + n;
	int			 k, W = r->ranks * ta->threads;

	for (k = 0; k < W; k++)
		r->seeds[k] = rng_u64(&r->rng);
	if (train_par_grad(r->tp, &r->v->p, &r->g, &ta->hp, r->step,
	    r->tok + (size_t)r->shard_off * r->len, r->shard_B, ta->batch,
	    r->seeds + r->rank * ta->threads, st, cause) != 0)
		return (-1);
	tail[TAIL_LOSS] = (float)st->loss;
	tail[TAIL_RLOSS] = (float)st->r_loss;
	tail[TAIL_KL] = (float)st->kl;
	tail[TAIL_KLLOSS] = (float)st->kl_loss;
	tail[TAIL_ACC] = (float)st->acc;
	tail[TAIL_STOP] = r->asked ? 1 : 0;
	if (dist_sum(r->gm, r->sum_n, cause) != 0)
		return (-1);
	st->loss = tail[TAIL_LOSS];
	st->r_loss = tail[TAIL_RLOSS];
	st->kl = tail[TAIL_KL];
	st->kl_loss = tail[TAIL_KLLOSS];
	st->acc = tail[TAIL_ACC];
	r->agreed = tail[TAIL_STOP] > 0;
	train_par_update(r->tp, &r->v->p, &r->g, r->m, r->vv, &ta->hp,
	    r->step, st);
	return (0);
}

int
run_step(struct run *r, struct train_stats *st, char **cause)
{
	struct train_args	*ta = r->ta;
	int			 i, n = r->ds.n[DATASET_TRAIN];

	for (i = 0; i < ta->batch; i++) {
		if (r->cursor >= n) {
			r->epoch++;
			r->cursor = 0;
			dataset_permutation(r->perm, n, ta->seed, r->epoch);
		}
		dataset_window(&r->ds, DATASET_TRAIN, r->perm[r->cursor++],
		    ta->max_shift, &r->rng, r->tok + (size_t)i * r->len);
	}
	if (r->ranks > 1) {
		if (step_shard(r, st, cause) != 0)
			return (-1);
	} else if (train_par_step(r->tp, &r->v->p, &r->g, r->m, r->vv,
	    &ta->hp, r->step, r->tok, ta->batch, &r->rng, st, cause) != 0)
		return (-1);
	r->step++;
	return (0);
}

int
run_stop(struct run *r, int asked)
{
	r->asked = asked;
	return (r->ranks > 1 ? r->agreed : asked);
}

int
run_validate(struct run *r, double train_acc, char **cause)
{
	if (r->ds.n[DATASET_VALID] == 0 || r->rank != 0)
		return (0);
	if (run_eval_tf(r->net, &r->v->p, &r->ds, DATASET_VALID, r->vb,
	    VALID_MAX, &r->vacc, &r->vkl, &r->vr, cause) != 0 ||
	    run_eval_sampled(r->v, &r->ds, DATASET_VALID, r->ta->batch,
	    VALID_MAX, &r->vsacc, cause) != 0)
		return (-1);
	if (r->curve != NULL) {
		/* step, train acc, valid tf acc, valid sampled acc, valid
		   KL, valid r_loss */
		fprintf(r->curve, "%ld\t%.5f\t%.5f\t%.5f\t%.4f\t%.3f\n",
		    r->step, train_acc, r->vacc, r->vsacc, r->vkl, r->vr);
		fflush(r->curve);
	}
	return (0);
}

int
run_checkpoint(struct run *r, double train_acc, char **cause)
{
	if (r->rank != 0)
		return (0);
	r->ts.step = r->step;
	r->ts.rng = r->rng.s;
	r->ts.epoch = r->epoch;
	r->ts.cursor = r->cursor;
	return (run_save(r->ta, r->v, &r->ts, &r->ds, train_acc, r->vacc,
	    r->vsacc, r->vkl, cause));
}

void
run_close(struct run *r)
{
	if (r->curve != NULL)
		fclose(r->curve);
	free(r->tspath);
	free(r->perm);
	free(r->tok);
	free(r->seeds);
	free(r->gm);
	free(r->m);
	free(r->vv);
	free(r->notes);
	free(r->made);
	train_par_free(r->tp);
	vae_free(r->v);
	if (r->have_ds)
		dataset_free(&r->ds);
	memset(r, 0, sizeof *r);
}
