/*
 * bench_infer.c: inference speed of the shipped shapes (mel_2bar,
 * mel_16bar) with random weights: encode batch 1, argmax decode batch 1,
 * a 33-point ladder decode (batch 33).  Medians over --runs calls.
 *
 * Batch-1 decoding re-reads the per-step weights every step, so its
 * roofline is (weight bytes read per decode) / (read bandwidth of a buffer
 * of the per-step weights' size), measured here in the same run; the
 * ladder is compared with the sgemm peak measured here too.
 *
 *   bench_infer [--json] [--threads N] [--runs R]
 *   bench_infer --save-model DIR --arch NAME [--seed S]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/ckpt.h"
#include "model/linalg.h"
#include "model/params.h"
#include "model/rng.h"
#include "model/vae.h"

#define LADDER	33

struct result {
	double	enc_ms, dec_ms, lad_ms;
	double	h16_ms;		/* batch-1 decode with fp16 weights, or 0 */
	double	h16_agree;	/* fraction of its tokens equal to float32 */
	double	h16_read_gbs;	/* of a buffer of step_bytes / 2 */
	double	dec_bytes, dec_flops, enc_flops, lad_flops;
	double	step_bytes;	/* weights re-read every decoded step */
	double	read_gbs;	/* of a buffer of step_bytes */
	double	roof_frac;
};

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_d(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
median(double *t, int n)
{
	qsort(t, n, sizeof *t, cmp_d);
	return (n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]));
}

static struct vae *
random_model(const char *name, uint64_t seed)
{
	struct vae_arch	 a;
	struct vae	*v;
	struct rng	 r;
	char		*cause = NULL;
	size_t		 i;
	int		 k;

	if (params_arch_named(&a, name, &cause) != 0 ||
	    (v = vae_new(&a, &cause)) == NULL) {
		fprintf(stderr, "bench_infer: %s\n", cause);
		exit(1);
	}
	rng_seed(&r, seed);
	/* Glorot-like scale per tensor, so activations stay in range. */
	for (k = 0; k < v->p.n_tensors; k++) {
		struct vae_tensor *t = &v->p.tensors[k];
		float s = t->ndim == 2 ? sqrtf(6.0f / (t->shape[0] +
		    t->shape[1])) : 0.1f;

		for (i = 0; i < t->n; i++)
			t->p[i] = (rng_uniform(&r) * 2.0f - 1.0f) * s;
	}
	return (v);
}

/* Bytes and flops of the stack of decoder layers for one step. */
static void
stack_cost(const struct lstm_w *cell, int L, double *bytes, double *flops)
{
	int	k;
	double	rows;

	for (k = 0; k < L; k++) {
		/* Layer 0: only the h rows; its input is gathered/cached. */
		rows = k == 0 ? cell[0].H : cell[k].in + cell[k].H;
		*bytes += rows * 4 * cell[k].H * 4.0 + 4 * cell[k].H * 4.0;
		*flops += 2.0 * rows * 4 * cell[k].H;
	}
}

/* Weight traffic and flops of one batch-1 decode, as vae_decode does it. */
static void
decode_cost(const struct vae *v, struct result *r)
{
	const struct vae_params	*p = &v->p;
	const struct vae_arch	*a = &p->arch;
	const struct dec_w	*d = &p->dec[0];
	double			 b = 0, f = 0, sb = 0, sf = 0, seg;
	int			 nseg = a->num_segments > 0 ? a->num_segments : 1;
	int			 steps = a->num_steps / nseg, zin = d->z_init.in;

	/* Per step: the stack, the output projection, one gathered row. */
	stack_cost(d->cell, a->dec_layers, &sb, &sf);
	sb += (double)d->out.in * d->out.out * 4 + 4.0 * d->cell[0].H * 4;
	sf += 2.0 * d->out.in * d->out.out;
	r->step_bytes = sb;
	/* Per segment: initial state and the z part of the input. */
	seg = (double)zin * d->z_init.out + (double)zin * 4 * d->cell[0].H;
	b = nseg * (steps * sb + seg * 4);
	f = nseg * (steps * sf + 2 * seg);
	if (a->num_segments > 0) {
		b += (double)p->cond_init.in * p->cond_init.out * 4;
		f += 2.0 * p->cond_init.in * p->cond_init.out;
		sb = sf = 0;
		stack_cost(p->cond, a->cond_layers, &sb, &sf);
		b += nseg * sb;
		f += nseg * sf;
	}
	r->dec_bytes = b;
	r->dec_flops = f;
}

static double
encode_flops(const struct vae *v)
{
	const struct vae_arch	*a = &v->p.arch;
	int			 ns = a->num_segments > 0 ? a->num_segments : 1;
	double			 f = 0, L = a->num_steps / ns, N = ns;
	int			 l, H, in;

	for (l = 0; l < a->enc_layers; l++) {
		H = a->enc_size[l];
		in = l == 0 ? 0 : 2 * a->enc_size[l - 1];	/* gathered */
		if (a->num_segments > 0 && l == 1) {
			L = ns;
			N = 1;
		}
		f += 2 * 2.0 * L * N * (in + H) * 4 * H;
	}
	f += 2.0 * 2 * a->enc_size[a->enc_layers - 1] * a->z_size;
	return (f);
}

/*
 * Read bandwidth of a buffer of n bytes that stays warm, as the decoder's
 * weights do: GB/s of repeated sums into 8 independent 4-float vector
 * accumulators (SSE2, the portable baseline the build targets).
 */
typedef float v4sf __attribute__((vector_size(16)));

static double
read_bandwidth(size_t n)
{
	size_t	 nv = n / sizeof(v4sf) / 8 * 8, i;
	v4sf	*buf = aligned_alloc(64, nv * sizeof(v4sf) + 64);
	v4sf	 a0 = { 0 }, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
	v4sf	 a6 = a0, a7 = a0, s;
	double	 t[21], t0;
	int	 r, j, reps;

	for (i = 0; i < nv; i++)
		buf[i] = (v4sf){ 1, 2, 3, (float)(i & 7) };
	reps = 1 + (int)(64e6 / n);
	for (r = 0; r < 21; r++) {
		t0 = now_ms();
		for (j = 0; j < reps; j++)
			for (i = 0; i < nv; i += 8) {
				a0 += buf[i];
				a1 += buf[i + 1];
				a2 += buf[i + 2];
				a3 += buf[i + 3];
				a4 += buf[i + 4];
				a5 += buf[i + 5];
				a6 += buf[i + 6];
				a7 += buf[i + 7];
			}
		t[r] = now_ms() - t0;
	}
	s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
	free(buf);
	if (s[0] == 12345.0f)
		fputc(' ', stderr);	/* keep the sums alive */
	return ((double)nv * sizeof(v4sf) * reps / (median(t, 21) * 1e6));
}

static double
sgemm_peak(void)
{
	const int	 n = 1024;
	float		*A = malloc((size_t)n * n * 4), *B = malloc((size_t)n * n *
			    4), *C = malloc((size_t)n * n * 4);
	double		 t[7], t0;
	size_t		 i;
	int		 r;

	for (i = 0; i < (size_t)n * n; i++) {
		A[i] = (float)(i % 7) * 0.1f;
		B[i] = (float)(i % 5) * 0.1f;
	}
	linalg_gemm(0, 0, n, n, n, A, n, B, n, 0.0f, C, n);
	for (r = 0; r < 7; r++) {
		t0 = now_ms();
		linalg_gemm(0, 0, n, n, n, A, n, B, n, 0.0f, C, n);
		t[r] = now_ms() - t0;
	}
	free(A);
	free(B);
	free(C);
	return (2.0 * n * n * n / (median(t, 7) * 1e6));
}

static void
bench_arch(const char *name, int runs, int threads, struct result *res)
{
	struct vae	*v = random_model(name, 1);
	struct rng	 r;
	const struct vae_arch *a = &v->p.arch;
	int		*tok, k;
	float		*z, mu[512];
	double		*t = calloc(runs, sizeof *t), t0;
	char		*cause = NULL;
	size_t		 i, TS = (size_t)a->num_steps * a->n_splits;

	vae_set_threads(v, threads);
	tok = calloc(TS * LADDER, sizeof *tok);
	z = calloc((size_t)LADDER * a->z_size, sizeof *z);
	rng_seed(&r, 2);
	for (i = 0; i < TS; i++)
		tok[i] = (int)rng_below(&r, a->out_depth[0]);
	for (i = 0; i < (size_t)2 * a->z_size; i++)
		z[i] = rng_normal(&r);
	vae_interpolate(z + 2 * a->z_size, z, z + a->z_size, a->z_size,
	    LADDER - 2, VAE_SLERP);

#define TIME(expr, out) do {						\
	for (k = 0; k < 3; k++)						\
		if ((expr) != 0)					\
			goto fail;					\
	for (k = 0; k < runs; k++) {					\
		t0 = now_ms();						\
		if ((expr) != 0)					\
			goto fail;					\
		t[k] = now_ms() - t0;					\
	}								\
	(out) = median(t, runs);					\
} while (0)

	TIME(vae_encode(v, tok, 1, mu, NULL, &cause), res->enc_ms);
	TIME(vae_decode(v, z, 1, 0.0f, NULL, tok, &cause), res->dec_ms);
	TIME(vae_decode(v, z, LADDER, 0.0f, NULL, tok, &cause), res->lad_ms);
	res->h16_ms = 0;
	if (vae_set_half(v, 1, NULL) == 0) {
		int *t16 = calloc(TS * LADDER, sizeof *t16), agree = 0;

		TIME(vae_decode(v, z, 1, 0.0f, NULL, t16, &cause),
		    res->h16_ms);
		/* Agreement over the ladder's points, decoded one by one. */
		for (k = 0; k < LADDER; k++)
			if (vae_decode(v, z + (size_t)k * a->z_size, 1, 0.0f,
			    NULL, t16 + k * TS, &cause) != 0)
				goto fail;
		for (i = 0; i < TS * LADDER; i++)
			agree += t16[i] == tok[i];
		res->h16_agree = (double)agree / (TS * LADDER);
		free(t16);
		if (vae_set_half(v, 0, &cause) != 0)
			goto fail;
	}
	decode_cost(v, res);
	res->enc_flops = encode_flops(v);
	/* The ladder is decode flops x 33 (weights shared over the batch). */
	res->lad_flops = res->dec_flops * LADDER;
	res->read_gbs = read_bandwidth((size_t)res->step_bytes);
	res->roof_frac = res->dec_bytes / (res->read_gbs * 1e6) / res->dec_ms;
	res->h16_read_gbs = read_bandwidth((size_t)res->step_bytes / 2);
	free(t);
	free(tok);
	free(z);
	vae_free(v);
	return;
fail:
	fprintf(stderr, "bench_infer: %s: %s\n", name, cause);
	exit(1);
}

static void
print_json(const char *name, const struct result *r, int last)
{
	printf("\"%s\": {\"encode_b1_ms\": %.4f, \"decode_b1_ms\": %.4f, "
	    "\"ladder33_ms\": %.4f, \"roofline_frac\": %.3f, "
	    "\"gflops_decode\": %.3f, \"gbs_decode\": %.3f, "
	    "\"gflops_encode\": %.3f, \"gflops_ladder\": %.3f, "
	    "\"decode_weight_mb\": %.3f, \"step_weight_mb\": %.3f, "
	    "\"step_read_gbs\": %.2f, \"decode_b1_f16_ms\": %.4f, "
	    "\"f16_token_agree\": %.4f, \"roofline_frac_f16\": %.3f}%s",
	    name, r->enc_ms, r->dec_ms, r->lad_ms, r->roof_frac,
	    r->dec_flops / (r->dec_ms * 1e6), r->dec_bytes / (r->dec_ms * 1e6),
	    r->enc_flops / (r->enc_ms * 1e6), r->lad_flops / (r->lad_ms * 1e6),
	    r->dec_bytes / 1e6, r->step_bytes / 1e6, r->read_gbs, r->h16_ms,
	    r->h16_agree, r->h16_ms > 0 ? r->dec_bytes / 2 /
	    (r->h16_read_gbs * 1e6) / r->h16_ms : 0, last ? "" : ", ");
}

static void
print_row(const char *name, const struct result *r, double peak)
{
	printf("%-10s %9.3f %9.3f %10.3f %8.1f %8.1f %7.2f%% %9.1f %6.1f%%\n",
	    name, r->enc_ms, r->dec_ms, r->lad_ms,
	    r->dec_flops / (r->dec_ms * 1e6), r->dec_bytes / (r->dec_ms * 1e6),
	    100 * r->roof_frac, r->lad_flops / (r->lad_ms * 1e6),
	    100 * r->lad_flops / (r->lad_ms * 1e6) / peak);
}

static int
save_model(const char *dir, const char *arch, uint64_t seed)
{
	struct vae	*v = random_model(arch, seed);
	char		*cause = NULL;

	if (ckpt_save(v, dir, CKPT_FLOAT32, &cause) != 0) {
		fprintf(stderr, "bench_infer: %s\n", cause);
		free(cause);
		vae_free(v);
		return (1);
	}
	vae_free(v);
	return (0);
}

int
main(int argc, char **argv)
{
	struct result	 r2, r16;
	const char	*save = NULL, *arch = "mel_2bar";
	int		 json = 0, threads = 1, runs = 20, i;
	uint64_t	 seed = 1;
	double		 peak, bw;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--save-model") == 0 && i + 1 < argc)
			save = argv[++i];
		else if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc)
			arch = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: bench_infer [--json] "
			    "[--threads N] [--runs R] | --save-model DIR "
			    "--arch NAME [--seed S]\n");
			return (2);
		}
	}
	if (save != NULL)
		return (save_model(save, arch, seed));
	if (threads < 1 || runs < 20) {
		fprintf(stderr, "bench_infer: --threads >= 1, --runs >= 20\n");
		return (2);
	}
	linalg_set_threads(threads);
	bench_arch("mel_2bar", runs, threads, &r2);
	bench_arch("mel_16bar", runs, threads, &r16);
	peak = sgemm_peak();
	bw = read_bandwidth(64u << 20);
	if (json) {
		printf("{");
		print_json("mel_2bar", &r2, 0);
		print_json("mel_16bar", &r16, 0);
		printf("\"sgemm_gflops\": %.2f, \"read_gbs\": %.2f, "
		    "\"threads\": %d, \"runs\": %d}\n", peak, bw, threads,
		    runs);
		return (0);
	}
	printf("bench_infer: %d thread(s), median of %d runs; sgemm 1024 "
	    "peak %.1f GFLOP/s; read 64 MiB %.1f GB/s\n", threads, runs, peak,
	    bw);
	printf("%-10s %9s %9s %10s %8s %8s %8s %9s %7s\n", "shape",
	    "enc1 ms", "dec1 ms", "ladder ms", "GFLOP/s", "GB/s", "roofline",
	    "lad GF/s", "of peak");
	print_row("mel_2bar", &r2, peak);
	print_row("mel_16bar", &r16, peak);
	if (r2.h16_ms > 0)
		printf("fp16 weights (vae_set_half), batch-1 decode: mel_2bar "
		    "%.3f ms (%.1fx, roofline %.0f%%, tokens agree %.1f%%), "
		    "mel_16bar %.3f ms (%.1fx, tokens agree %.1f%%)\n",
		    r2.h16_ms, r2.dec_ms / r2.h16_ms, 100 * r2.dec_bytes / 2 /
		    (r2.h16_read_gbs * 1e6) / r2.h16_ms, 100 * r2.h16_agree,
		    r16.h16_ms, r16.dec_ms / r16.h16_ms, 100 * r16.h16_agree);
	printf("roofline: decode weight bytes / read GB/s of a %.2f MB "
	    "(mel_2bar step) buffer = %.1f GB/s\n", r2.step_bytes / 1e6,
	    r2.read_gbs);
	return (0);
}
