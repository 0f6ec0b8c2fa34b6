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

#include "linalg.h"

#define VALID_MAX	1024	/* windows per validation */

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

/* The folder can take a run: made, a folder, writable, not a model. */
static int
check_out(struct run *r, char **cause)
{
	const struct train_args	*ta = r->ta;
	struct stat		 sb;
	char			*man;
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
	if (ts->threads != ta->threads)
		note(r, "train: warning: run used %d threads, now %d: not "
		    "bitwise reproducible", ts->threads, ta->threads);
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

int
run_open(struct run *r, struct train_args *ta, const struct vae_arch *a,
    char **cause)
{
	char	cname[32], *cp;

	memset(r, 0, sizeof *r);
	r->ta = ta;
	r->vacc = r->vsacc = -1;
	if (check_out(r, cause) != 0)
		goto fail;
	run_cache_name(cname, sizeof cname, a);
	/* --cache names where the windows are kept (a run's folder by
	   default), as for eval. */
	if (dataset_load(&r->ds, ta->data, a, ta->cache != NULL ? ta->cache :
	    ta->out, cname, cause) != 0)
		goto fail;
	r->have_ds = 1;
	if (r->ds.n[DATASET_TRAIN] == 0) {
		lr_fail(cause, "%s: no window falls in the train split (%d "
		    "files; the split hashes file names)", ta->data,
		    r->ds.n_files);
		goto fail;
	}
	if ((r->v = vae_new(a, cause)) == NULL)
		goto fail;
	vae_set_has_sigma(r->v, 1);
	r->gm = lr_calloc(r->v->p.n_params, sizeof *r->gm);
	r->m = lr_calloc(r->v->p.n_params, sizeof *r->m);
	r->vv = lr_calloc(r->v->p.n_params, sizeof *r->vv);
	params_clone_layout(&r->g, &r->v->p, r->gm);
	r->ts.n_params = r->v->p.n_params;
	r->ts.params = r->v->p.mem;
	r->ts.m = r->m;
	r->ts.v = r->vv;
	if ((ta->resume && access(r->tspath, F_OK) == 0 ? resume(r, cause) :
	    start(r, cause)) != 0)
		goto fail;
	ta->hp.adam_step0 = r->ts.adam_step0;
	r->step = r->ts.step;
	r->ts.seed = ta->seed;
	r->ts.batch = ta->batch;
	r->ts.threads = ta->threads;
	r->ts.fingerprint = r->ds.fingerprint;

	/* --threads N: N workers on slices of the batch, BLAS serial in
	   each (model/train_par.c); validation uses the first one's net. */
	if ((r->tp = train_par_new(&r->v->p, ta->batch, ta->threads,
	    cause)) == NULL ||
	    train_par_set_precision(r->tp, &r->v->p, ta->precision,
	    cause) != 0)
		goto fail;
	r->net = train_par_net(r->tp, &r->vb);
	r->perm = lr_malloc(r->ds.n[DATASET_TRAIN] * sizeof *r->perm);
	dataset_permutation(r->perm, r->ds.n[DATASET_TRAIN], ta->seed,
	    r->epoch);
	r->len = (size_t)a->num_steps * a->n_splits;
	r->tok = lr_malloc((size_t)ta->batch * r->len * sizeof *r->tok);
	cp = lr_path_join(ta->out, "curve.tsv");
	r->curve = fopen(cp, "a");
	free(cp);
	return (0);
fail:
	/* A run that never started leaves nothing behind: not the folders
	   it made, nor the window cache it wrote into them. */
	if (r->made != NULL)
		atomic_dir_remove(r->made);
	run_close(r);
	return (-1);
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
	if (train_par_step(r->tp, &r->v->p, &r->g, r->m, r->vv, &ta->hp,
	    r->step, r->tok, ta->batch, &r->rng, st, cause) != 0)
		return (-1);
	r->step++;
	return (0);
}

int
run_validate(struct run *r, double train_acc, char **cause)
{
	if (r->ds.n[DATASET_VALID] == 0)
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
