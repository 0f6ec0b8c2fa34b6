/*
 * bench_train: training throughput (examples/s) of model/train.c for the
 * mel_2bar and mel_16bar shapes (batch 64 and 32) on random melody windows,
 * and the achieved GFLOP/s against an sgemm peak measured in the same run.
 * FLOPs are counted as 3x the forward pass's dense matrix products
 * (forward + two backward products); one-hot input rows are gathers and
 * are not counted.  --json prints one object; --threads N (default 2);
 * --steps N timed steps (default 16, half that for mel_16bar, after 1
 * warm-up step; the figure is the median step's, as the PyTorch peer's,
 * so a burst of other work on a shared machine moves one step, not the
 * result); --batch N, mel_2bar's batch (default 64), --batch16 N,
 * mel_16bar's (default 32: issue J's shapes); --only2 skips mel_16bar.
 * With N threads the trainer runs N data-parallel workers with serial
 * BLAS (model/train_par.c), as
 * `latentroll train --threads N` does; --blas measures the older way, one
 * net with N OpenBLAS threads, for comparison.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linalg.h"
#include "params.h"
#include "rng.h"
#include "train.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec * 1e-9);
}

static int	use_blas;	/* --blas: one net, BLAS threads */
static int	workers = 1;
static int	prec = LINALG_FP32;	/* --precision */

/* Forward multiply-adds per example. */
static double
fwd_macs(const struct vae_arch *a)
{
	double	m = 0, T = a->num_steps, nseg = a->num_segments, Z = a->z_size;
	int	l, k, s, H, in, zin;

	for (l = 0; l < a->enc_layers; l++) {
		H = a->enc_size[l];
		in = l == 0 ? 0 : 2 * a->enc_size[l - 1];
		/* hier: level 0 over all T steps, level 1 over nseg */
		m += 2 * (nseg > 0 && l == 1 ? nseg : T) * (in + H) * 4.0 * H;
	}
	m += 2 * 2.0 * a->enc_size[a->enc_layers - 1] * Z;
	zin = a->z_size;
	if (nseg > 0) {
		m += Z * 2.0 * a->cond_size[0] * a->cond_layers;
		for (k = 0; k < a->cond_layers; k++)
			m += nseg * ((k ? a->cond_size[k - 1] : 0) +
			    a->cond_size[k]) * 4.0 * a->cond_size[k];
		zin = a->cond_size[a->cond_layers - 1];
	}
	for (s = 0; s < a->n_splits; s++) {
		m += (nseg > 0 ? nseg : 1) * zin * 2.0 * a->dec_size[0] *
		    a->dec_layers;
		for (k = 0; k < a->dec_layers; k++) {
			H = a->dec_size[k];
			in = k == 0 ? zin : a->dec_size[k - 1];
			/* the context product runs once per segment */
			m += T * ((k ? in : 0) + H) * 4.0 * H;
			if (k == 0)
				m += (nseg > 0 ? nseg : 1) * zin * 4.0 * H;
		}
		m += T * a->dec_size[a->dec_layers - 1]
		    * (double)a->out_depth[s];
	}
	return (m);
}

/*
 * GEMM peak (GFLOP/s) of the machine as the trainer uses it: `workers`
 * threads, each multiplying its own 1024^3 matrices with serial math, at
 * once (library threads would only add their spinning to the figure).
 */
struct peak_arg {
	int	prec;
	double	gflops;
};

static void *
peak_thread(void *arg)
{
	struct peak_arg	*pa = arg;
	int		 n = 1024, i, reps = 5;
	float		*A = calloc((size_t)n * n, 4), *B = calloc((size_t)n * n, 4);
	float		*C = calloc((size_t)n * n, 4);
	double		 t, best = 1e9;

	linalg_serial_begin();
	linalg_set_precision(pa->prec);
	for (i = 0; i < n * n; i++)
		A[i] = B[i] = (float)(i % 7) * 0.1f;
	linalg_gemm(0, 0, n, n, n, A, n, B, n, 0.0f, C, n);
	for (i = 0; i < reps; i++) {
		t = now();
		linalg_gemm(0, 0, n, n, n, A, n, B, n, 0.0f, C, n);
		t = now() - t;
		if (t < best)
			best = t;
	}
	linalg_serial_end();
	free(A);
	free(B);
	free(C);
	pa->gflops = 2.0 * n * n * n / best / 1e9;
	return (NULL);
}

static double
sgemm_peak(int precision)
{
	pthread_t	th[64];
	struct peak_arg	pa[64];
	double		sum = 0;
	int		k, n = workers < 64 ? workers : 64;

	for (k = 0; k < n; k++) {
		pa[k].prec = precision;
		pa[k].gflops = 0;
		if (k > 0 && pthread_create(&th[k], NULL, peak_thread,
		    &pa[k]) != 0)
			th[k] = 0;
	}
	peak_thread(&pa[0]);
	for (k = 1; k < n; k++)
		if (th[k] != 0)
			pthread_join(th[k], NULL);
	for (k = 0; k < n; k++)
		sum += pa[k].gflops;
	return (sum);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
run(const char *name, int B, int steps, double *ex_s, double *gflops)
{
	struct vae_arch		 a;
	struct vae_params	 p, g;
	struct train_hp		 hp;
	struct train_stats	 st;
	struct rng		 r;
	char			*cause = NULL;
	float			*m, *v;
	int			*tok, i;
	double			 t = 0, *dt;
	struct train_par	*tp;

	if (params_arch_named(&a, name, &cause) != 0 ||
	    params_alloc(&p, &a, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	params_clone_layout(&g, &p, calloc(p.n_params, sizeof(float)));
	m = calloc(p.n_params, sizeof *m);
	v = calloc(p.n_params, sizeof *v);
	rng_seed(&r, 1);
	train_init_params(&p, &r);
	tok = malloc((size_t)B * a.num_steps * sizeof *tok);
	for (i = 0; i < B * a.num_steps; i++)
		tok[i] = rng_below(&r, 4) ? 0 : 2 + rng_below(&r, 40);
	/* --blas: one worker is train_step on one net, BLAS threaded. */
	if ((tp = train_par_new(&p, B, use_blas ? 1 : workers, &cause)) ==
	    NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	if (train_par_set_precision(tp, &p, prec, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	train_hp_default(&hp, &a);
	hp.sampling_rate = 0;	/* teacher forcing, as the PyTorch peer */
	dt = calloc((size_t)steps, sizeof *dt);
	for (i = 0; i <= steps; i++) {	/* step 0 warms up */
		t = now();
		if (train_par_step(tp, &p, &g, m, v, &hp, i, tok, B, &r, &st,
		    &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			exit(1);
		}
		if (i > 0)
			dt[i - 1] = now() - t;
	}
	qsort(dt, (size_t)steps, sizeof *dt, cmp_double);
	t = steps % 2 ? dt[steps / 2] : (dt[steps / 2 - 1] + dt[steps / 2]) / 2;
	free(dt);
	*ex_s = (double)B / t;
	*gflops = 3 * 2 * fwd_macs(&a) * *ex_s / 1e9;
	train_par_free(tp);
	free(tok);
	free(m);
	free(v);
	free(g.mem);
	params_free(&p);
}

int
main(int argc, char **argv)
{
	int	i, json = 0, threads = 2, steps = 16, batch = 64, batch16 = 32;
	double	e2, g2, e16 = 0, g16 = 0, peak, peak32, peak16 = 0;
	char	*cause = NULL;
	int	only2 = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atoi(argv[++i]);
		else if (strcmp(argv[i], "--batch16") == 0 && i + 1 < argc)
			batch16 = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only2") == 0)
			only2 = 1;
		else if (strcmp(argv[i], "--blas") == 0)
			use_blas = 1;
		else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
			if ((steps = atoi(argv[++i])) < 1)
				steps = 1;
		}
		else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc)
			prec = strcmp(argv[++i], "bf16") == 0 ? LINALG_BF16 :
			    LINALG_FP32;
		else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc &&
		    linalg_set_backend(strcmp(argv[++i], "onednn") == 0 ?
		    LINALG_DNNL : LINALG_OPENBLAS, &cause) != 0) {
			fprintf(stderr, "bench_train: %s\n", cause);
			return (1);
		}
	}
	linalg_set_threads(threads);
	workers = threads;
	/* The machine's peak for the trainer's precision: the best of the
	   float32 backends, and oneDNN's bf16 product when it runs here. */
	peak32 = sgemm_peak(LINALG_FP32);
	if (linalg_backend() == LINALG_DNNL) {
		linalg_set_backend(LINALG_OPENBLAS, NULL);
		peak = sgemm_peak(LINALG_FP32);
		linalg_set_backend(LINALG_DNNL, NULL);
		if (peak > peak32)
			peak32 = peak;
		if (linalg_bf16_supported(NULL))
			peak16 = sgemm_peak(LINALG_BF16);
	}
	peak = prec == LINALG_BF16 ? peak16 : peak32;
	run("mel_2bar", batch, steps, &e2, &g2);
	if (!only2)
		run("mel_16bar", batch16, steps > 2 ? steps / 2 : 1, &e16,
		    &g16);
	if (json)
		printf("{\"mel_2bar\":{\"ex_per_s\":%.2f,\"gflops\":%.2f,"
		    "\"batch\":%d},\"mel_16bar\":{\"ex_per_s\":%.2f,"
		    "\"gflops\":%.2f,\"batch\":%d},"
		    "\"sgemm_gflops\":%.2f,\"fp32_peak_gflops\":%.2f,"
		    "\"bf16_peak_gflops\":%.2f,\"threads\":%d,"
		    "\"mode\":\"%s\",\"backend\":\"%s\","
		    "\"precision\":\"%s\"}\n",
		    e2, g2, batch, e16, g16, batch16, peak, peak32, peak16,
		    threads, use_blas ?
		    "blas" : "data-parallel", linalg_backend_name(
		    linalg_backend()), prec == LINALG_BF16 ? "bf16" : "fp32");
	else {
		char	b16[32] = "-";

		if (peak16 > 0)
			snprintf(b16, sizeof b16, "%.1f", peak16);
		printf("GEMM 1024^3 peak: fp32 %.1f, bf16 %s GFLOP/s (%d "
		    "threads); trainer: %s, %s %s\n", peak32, b16, threads,
		    use_blas ? "one net, BLAS threads" : "data-parallel "
		    "workers, serial BLAS", linalg_backend_name(
		    linalg_backend()), prec == LINALG_BF16 ? "bf16" : "fp32");
		printf("mel_2bar  batch %d: %8.1f ex/s  %6.1f GFLOP/s (%.0f%% "
		    "of peak)\n", batch, e2, g2, 100 * g2 / peak);
		if (!only2)
			printf("mel_16bar batch %d: %8.1f ex/s  %6.1f GFLOP/s "
			    "(%.0f%% of peak)\n", batch16, e16, g16,
			    100 * g16 / peak);
	}
	return (0);
}
