/*
 * bench_ui.c: key press -> new result ready, through the decode worker the
 * instrument uses (src/worker.c), on the 2-bar and 16-bar melody models.
 *   nudge: + pressed at human speed (the worker idle between presses, so
 *          the point was speculated), submit -> point ready, p50/p99;
 *   cold:  a knob change that was not speculated (one B=1 decode);
 *   sampled: the same at temperature 1 (the point first, then the ladder);
 *   ladder: submit -> all 33 points ready (what later slider moves use);
 *   slider: a move inside a decoded ladder (copy of one point), p50/p99.
 * Uses share/models/ARCH when present, else random weights of ARCH.
 * Target (issue F): nudge p99 < 5 ms on mel_2bar.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modeldir.h"
#include "rng.h"
#include "worker.h"

static int
cmp_double(const void *x, const void *y)
{
	double	a = *(const double *)x, b = *(const double *)y;

	return (a < b ? -1 : a > b);
}

static double
pct(double *v, int n, double p)
{
	int	i = (int)(p * (n - 1) + 0.5);

	qsort(v, n, sizeof *v, cmp_double);
	return (v[i]);
}

/* Wait for a result of gen with the point `first` (or all) decoded. */
static void
wait_for(struct worker *w, struct worker_result *r, unsigned gen, int first,
    int full)
{
	struct pollfd	pfd;

	for (;;) {
		if (worker_take(w, r) && r->gen == gen &&
		    (full ? r->full : r->valid[first]))
			return;
		pfd.fd = worker_fd(w);
		pfd.events = POLLIN;
		poll(&pfd, 1, 1000);
	}
}

static int
bench_arch(const char *name, int iters)
{
	struct vae_arch		 a;
	struct vae		*v;
	struct worker		*w;
	struct worker_result	 r;
	struct worker_job	 j;
	struct rng		 rng;
	char			 dir[512], *cause = NULL;
	const char		*src = getenv("srcdir");
	float			*vecs, nudge[ATTR_N] = { 0 };
	double			*nud, *lad, *sl, *cold, *samp, t0;
	int			*ta, *tb, *pt, i, k, T, S, Z, n_vecs = 1;
	int			 hits = 0;
	size_t			 ts, q;

	snprintf(dir, sizeof dir, "%s/share/models/%s", src != NULL ? src :
	    ".", name);
	if ((v = modeldir_load(dir, &cause)) == NULL) {
		free(cause);
		cause = NULL;
		if (params_arch_named(&a, name, &cause) != 0 ||
		    (v = vae_new(&a, &cause)) == NULL) {
			fprintf(stderr, "bench_ui: %s\n", cause);
			return (1);
		}
		rng_seed(&rng, 3);
		for (q = 0; q < v->p.n_params; q++)
			v->p.mem[q] = 0.15f * rng_normal(&rng);
		snprintf(dir, sizeof dir, "random %s", name);
	}
	T = v->p.arch.num_steps;
	S = v->p.arch.n_splits;
	Z = v->p.arch.z_size;
	ts = (size_t)T * S;
	rng_seed(&rng, 5);
	vecs = malloc(Z * sizeof *vecs);
	for (k = 0; k < Z; k++)
		vecs[k] = rng_normal(&rng);
	ta = malloc(ts * sizeof *ta);
	tb = malloc(ts * sizeof *tb);
	for (q = 0; q < ts; q++) {
		ta[q] = (int)rng_below(&rng, 90);
		tb[q] = (int)rng_below(&rng, 90);
	}
	if ((w = worker_new(v, vecs, n_vecs, &cause)) == NULL) {
		fprintf(stderr, "bench_ui: %s\n", cause);
		return (1);
	}
	worker_result_init(w, &r);
	memset(&j, 0, sizeof j);
	j.tok_a = ta;
	j.tok_b = tb;
	j.first = 16;
	j.nudge = nudge;
	j.seed = 1;
	wait_for(w, &r, worker_submit(w, &j), 16, 1);	/* warm up */

	nud = calloc(iters, sizeof *nud);
	cold = calloc(iters, sizeof *cold);
	samp = calloc(iters, sizeof *samp);
	lad = calloc(iters, sizeof *lad);
	sl = calloc(iters * 32, sizeof *sl);
	pt = malloc(ts * sizeof *pt);
	/* Cold: a knob change nobody predicted (two nudge steps away). */
	for (i = 0; i < iters; i++) {
		unsigned gen;

		nudge[0] = (i % 2) ? 0.5f : -0.5f;
		j.first = (i * 7) % 33;
		j.nudge_step = 0;
		t0 = worker_now_ms();
		gen = worker_submit(w, &j);
		wait_for(w, &r, gen, j.first, 0);
		cold[i] = worker_now_ms() - t0;
		wait_for(w, &r, gen, j.first, 1);
	}
	/* The same sampled: the point under the slider still comes first. */
	j.temperature = 1.0f;
	for (i = 0; i < iters; i++) {
		unsigned gen;

		nudge[0] = (i % 2) ? 0.5f : -0.5f;
		j.first = (i * 7) % 33;
		j.seed = 1 + i;
		t0 = worker_now_ms();
		gen = worker_submit(w, &j);
		wait_for(w, &r, gen, j.first, 0);
		samp[i] = worker_now_ms() - t0;
		wait_for(w, &r, gen, j.first, 1);
	}
	j.temperature = 0;
	j.seed = 1;
	/* A user pressing + at human speed: the worker settles between
	   presses, so each press finds its point speculated. */
	nudge[0] = 0;
	j.first = 16;
	j.attr = 0;
	j.nudge_step = 0.25f;
	wait_for(w, &r, worker_submit(w, &j), 16, 1);
	for (i = 0; i < iters; i++) {
		unsigned gen;

		while (!worker_settled(w))
			usleep(1000);
		nudge[0] += (i / 12) % 2 ? -0.25f : 0.25f;
		t0 = worker_now_ms();
		gen = worker_submit(w, &j);
		wait_for(w, &r, gen, j.first, 0);
		nud[i] = worker_now_ms() - t0;
		hits += r.speculated;
		wait_for(w, &r, gen, j.first, 1);
		lad[i] = worker_now_ms() - t0;
		/* Slider moves inside the ladder: one point's tokens. */
		for (k = 0; k < 32; k++) {
			t0 = worker_now_ms();
			memcpy(pt, r.tokens + (size_t)((k + i) % 33) * ts,
			    ts * sizeof *pt);
			sl[i * 32 + k] = worker_now_ms() - t0 + pt[0] * 0.0;
		}
	}
	printf("%-10s (%s, %d runs)\n"
	    "  nudge key (speculated %d/%d): p50 %.2f ms  p99 %.2f ms\n"
	    "  cold knob change (one decode): p50 %.2f ms  p99 %.2f ms\n"
	    "  the same at temperature 1:     p50 %.2f ms  p99 %.2f ms\n"
	    "  whole ladder after a change:   p50 %.1f ms  p99 %.1f ms\n"
	    "  slider move (cached ladder):   p99 %.4f ms\n", name, dir, iters,
	    hits, iters, pct(nud, iters, 0.5), pct(nud, iters, 0.99),
	    pct(cold, iters, 0.5), pct(cold, iters, 0.99), pct(samp, iters, 0.5),
	    pct(samp, iters, 0.99), pct(lad, iters, 0.5),
	    pct(lad, iters, 0.99), pct(sl, iters * 32, 0.99));
	worker_result_free(&r);
	worker_free(w);
	free(nud);
	free(cold);
	free(samp);
	free(lad);
	free(sl);
	free(pt);
	free(ta);
	free(tb);
	free(vecs);
	return (0);
}

int
main(void)
{
	int	rc = 0;

	rc |= bench_arch("mel_2bar", 100);
	rc |= bench_arch("mel_16bar", 8);
	return (rc);
}
