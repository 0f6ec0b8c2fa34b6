/*
 * bench_infer.c: inference speed of the shipped shapes (mel_2bar,
 * mel_16bar) with random weights: encode batch 1, argmax decode batch 1,
 * a 33-point ladder decode (batch 33).  Medians over --runs calls; for
 * each the GFLOP/s and the GB/s of weights streamed (the weight bytes the
 * call reads, as vae_encode/vae_decode do it, over its time).
 *
 * Batch-1 decoding re-reads the per-step weights every step, so its
 * roofline is (weight bytes read per decode) / (read bandwidth of a buffer
 * of the per-step weights' size), measured here in the same run with the
 * widest vector loads the CPU has; the ladder is compared with the sgemm
 * peak measured here too.
 *
 *   bench_infer [--json] [--threads N] [--runs R]
 *   bench_infer --save-model DIR --arch NAME [--seed S]
 *
 * --threads N is vae_set_threads (the encoder's two directions in two
 * threads) and the BLAS thread count, which only the sgemm peak uses:
 * vae_encode and vae_decode run BLAS serially.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modeldir.h"
#include "linalg.h"
#include "params.h"
#include "rng.h"
#include "vae.h"

#define LADDER	33

struct result {
	double	enc_ms, dec_ms, lad_ms;
	double	enc_bytes, lad_bytes;	/* weights streamed per call */
	double	h16_ms;		/* batch-1 decode with fp16 weights, or 0 */
	double	h16_agree;	/* fraction of its tokens equal to float32 */
	double	h16_read_gbs;	/* of a buffer of step_bytes / 2 */
	double	ob_lad_ms;	/* the ladder on OpenBLAS, float32 */
	double	b16_enc_ms, b16_dec_ms, b16_lad_ms;	/* bf16, or 0 */
	double	b16_agree;	/* batch-1 bf16 tokens equal to float32 */
	double	b16_lad_agree;	/* bf16 ladder tokens equal to float32 */
	double	dec_bytes, dec_flops, enc_flops, lad_flops;
	double	step_bytes;	/* weights re-read every decoded step */
	double	read_gbs;	/* of a buffer of step_bytes */
	double	read_gbs_sse2;	/* the same with 128-bit loads */
	double	gather_bytes;	/* per decode: the gathered input rows */
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
	r->gather_bytes = (double)nseg * steps * 4.0 * d->cell[0].H * 4;
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

/*
 * Flops and weight bytes of one batch-1 encode, as vae_encode does it:
 * the first layer gathers one kernel row per set input (rows per step),
 * later layers multiply their whole input in one gemm (the input kernel
 * read once), and every step of a recurrence re-reads its h rows.
 */
static void
encode_cost(const struct vae *v, const int *tok, double *bytes,
    double *flops)
{
	const struct vae_arch	*a = &v->p.arch;
	int			 ns = a->num_segments > 0 ? a->num_segments : 1;
	double			 f = 0, b = 0, L = a->num_steps / ns, N = ns;
	double			 rows = 0, G;
	int			 l, H, in, t, rv[10];

	for (t = 0; t < a->num_steps; t++)
		rows += vae_input_rows(a, tok + (size_t)t * a->n_splits, rv);
	for (l = 0; l < a->enc_layers; l++) {
		H = a->enc_size[l];
		G = 4.0 * H;
		in = l == 0 ? 0 : 2 * a->enc_size[l - 1];	/* gathered */
		if (a->num_segments > 0 && l == 1) {
			L = ns;
			N = 1;
		}
		f += 2 * 2.0 * L * N * (in + H) * G;
		/* Two directions: input rows, h rows every step, bias. */
		b += 2 * 4.0 * ((l == 0 ? rows : in) * G + L * H * G + G);
	}
	H = 2 * a->enc_size[a->enc_layers - 1];
	f += 2.0 * H * a->z_size;
	b += 4.0 * (H + 1) * a->z_size;
	*bytes = b;
	*flops = f;
}

/*
 * Read bandwidth of a buffer of n bytes that stays warm, as the decoder's
 * weights do: GB/s of repeated sums into 8 independent vector accumulators
 * (so no add waits for another), with the widest loads the CPU has, picked
 * at run time (the build targets SSE2, the decoder's OpenBLAS and fp16
 * kernels use AVX2/AVX-512): a narrower yardstick understates the roofline.
 */
enum read_isa { READ_SSE2, READ_AVX2, READ_AVX512 };

static const char *read_isa_names[] = { "sse2", "avx2", "avx512" };

typedef float v4sf __attribute__((vector_size(16)));
typedef float v8sf __attribute__((vector_size(32)));
typedef float v16sf __attribute__((vector_size(64)));

/* reps passes over n floats (a multiple of 128, 64-byte aligned). */
#define READ_KERNEL(fn, vt, attr)					\
static float attr							\
fn(const float *buf, size_t n, int reps)				\
{									\
	const vt	*p = (const vt *)(const void *)buf;		\
	vt		 a0 = { 0 }, a1 = a0, a2 = a0, a3 = a0;		\
	vt		 a4 = a0, a5 = a0, a6 = a0, a7 = a0, s;		\
	size_t		 nv = n / (sizeof(vt) / sizeof(float)), i;	\
	float		 sum = 0;					\
	int		 j;						\
									\
	for (j = 0; j < reps; j++)					\
		for (i = 0; i < nv; i += 8) {				\
			a0 += p[i];					\
			a1 += p[i + 1];					\
			a2 += p[i + 2];					\
			a3 += p[i + 3];					\
			a4 += p[i + 4];					\
			a5 += p[i + 5];					\
			a6 += p[i + 6];					\
			a7 += p[i + 7];					\
		}							\
	s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;			\
	for (i = 0; i < sizeof(vt) / sizeof(float); i++)		\
		sum += s[i];						\
	return (sum);							\
}

READ_KERNEL(read_sse2, v4sf, )
READ_KERNEL(read_avx2, v8sf, __attribute__((target("avx2"))))
READ_KERNEL(read_avx512, v16sf, __attribute__((target("avx512f"))))

static enum read_isa
read_isa_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return (READ_AVX512);
	if (__builtin_cpu_supports("avx2"))
		return (READ_AVX2);
	return (READ_SSE2);
}

static double
read_bandwidth_isa(size_t n, enum read_isa isa)
{
	size_t	 nf = n / sizeof(float) / 128 * 128, i;
	float	*buf, s = 0;
	double	 t[21], t0;
	int	 r, reps;

	if (nf == 0)
		nf = 128;
	buf = aligned_alloc(64, nf * sizeof(float));
	for (i = 0; i < nf; i++)
		buf[i] = (float)(i & 7);
	reps = 1 + (int)(64e6 / (nf * sizeof(float)));
	for (r = 0; r < 21; r++) {
		t0 = now_ms();
		switch (isa) {
		case READ_AVX512:
			s += read_avx512(buf, nf, reps);
			break;
		case READ_AVX2:
			s += read_avx2(buf, nf, reps);
			break;
		default:
			s += read_sse2(buf, nf, reps);
			break;
		}
		t[r] = now_ms() - t0;
	}
	free(buf);
	if (s == 12345.0f)
		fputc(' ', stderr);	/* keep the sums alive */
	return ((double)nf * sizeof(float) * reps / (median(t, 21) * 1e6));
}

/*
 * The roofline's yardstick: the best of every load width the CPU has (the
 * widest should win; on a busy machine a run of it may not, and the
 * yardstick must not come out low).  *isa says which won.
 */
static double
read_bandwidth(size_t n, enum read_isa *isa)
{
	enum read_isa	k, top = read_isa_best();
	double		bw, best = 0;

	for (k = READ_SSE2; k <= top; k++) {
		bw = read_bandwidth_isa(n, k);
		if (bw > best) {
			best = bw;
			if (isa != NULL)
				*isa = k;
		}
	}
	return (best);
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
	/* Before the decodes below overwrite tok. */
	encode_cost(v, tok, &res->enc_bytes, &res->enc_flops);
	TIME(vae_decode(v, z, 1, 0.0f, NULL, tok, &cause), res->dec_ms);
	TIME(vae_decode(v, z, LADDER, 0.0f, NULL, tok, &cause), res->lad_ms);
	/* The same ladder on OpenBLAS: the peer of the oneDNN path (the
	   ladder above when OpenBLAS is the backend already). */
	res->ob_lad_ms = res->lad_ms;
	if (linalg_backend() == LINALG_DNNL) {
		int *tob = calloc(TS * LADDER, sizeof *tob);

		linalg_set_backend(LINALG_OPENBLAS, NULL);
		TIME(vae_decode(v, z, LADDER, 0.0f, NULL, tob, &cause),
		    res->ob_lad_ms);
		linalg_set_backend(LINALG_DNNL, NULL);
		free(tob);
	}
	res->b16_dec_ms = res->b16_lad_ms = res->b16_enc_ms = 0;
	if (vae_set_precision(v, LINALG_BF16, NULL) == 0) {
		int *tb = calloc(TS * LADDER, sizeof *tb), agree = 0;
		float mb[512];

		TIME(vae_encode(v, tok, 1, mb, NULL, &cause), res->b16_enc_ms);
		TIME(vae_decode(v, z, 1, 0.0f, NULL, tb, &cause),
		    res->b16_dec_ms);
		TIME(vae_decode(v, z, LADDER, 0.0f, NULL, tb, &cause),
		    res->b16_lad_ms);
		for (i = 0; i < TS * LADDER; i++)
			agree += tb[i] == tok[i];
		res->b16_lad_agree = (double)agree / (TS * LADDER);
		agree = 0;
		for (k = 0; k < LADDER; k++)
			if (vae_decode(v, z + (size_t)k * a->z_size, 1, 0.0f,
			    NULL, tb + k * TS, &cause) != 0)
				goto fail;
		for (i = 0; i < TS * LADDER; i++)
			agree += tb[i] == tok[i];
		res->b16_agree = (double)agree / (TS * LADDER);
		free(tb);
		if (vae_set_precision(v, LINALG_FP32, &cause) != 0)
			goto fail;
	}
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
	/*
	 * The ladder is decode flops x 33; its weights are read once a step
	 * for the whole batch, only the gathered input rows are per point.
	 */
	res->lad_flops = res->dec_flops * LADDER;
	res->lad_bytes = res->dec_bytes + (LADDER - 1) * res->gather_bytes;
	res->read_gbs = read_bandwidth((size_t)res->step_bytes, NULL);
	res->read_gbs_sse2 = read_bandwidth_isa((size_t)res->step_bytes,
	    READ_SSE2);
	res->roof_frac = res->dec_bytes / (res->read_gbs * 1e6) / res->dec_ms;
	res->h16_read_gbs = read_bandwidth((size_t)res->step_bytes / 2, NULL);
	free(t);
	free(tok);
	free(z);
	vae_free(v);
	return;
fail:
	fprintf(stderr, "bench_infer: %s: %s\n", name, cause);
	exit(1);
}

/* GFLOP/s or GB/s of x flops or bytes in ms milliseconds. */
static double
rate(double x, double ms)
{
	return (ms > 0 ? x / (ms * 1e6) : 0);
}

static void
print_json(const char *name, const struct result *r, int last)
{
	printf("\"%s\": {\"encode_b1_ms\": %.4f, \"decode_b1_ms\": %.4f, "
	    "\"ladder33_ms\": %.4f, \"roofline_frac\": %.3f, "
	    "\"gflops_decode\": %.3f, \"gbs_decode\": %.3f, "
	    "\"gflops_encode\": %.3f, \"gbs_encode\": %.3f, "
	    "\"gflops_ladder\": %.3f, \"gbs_ladder\": %.3f, "
	    "\"encode_weight_mb\": %.3f, \"ladder_weight_mb\": %.3f, "
	    "\"decode_weight_mb\": %.3f, \"step_weight_mb\": %.3f, "
	    "\"step_read_gbs\": %.2f, \"step_read_gbs_sse2\": %.2f, "
	    "\"decode_b1_f16_ms\": %.4f, "
	    "\"f16_token_agree\": %.4f, \"roofline_frac_f16\": %.3f, "
	    "\"ladder33_openblas_ms\": %.4f, \"decode_b1_bf16_ms\": %.4f, "
	    "\"bf16_token_agree\": %.4f, \"ladder33_bf16_ms\": %.4f, "
	    "\"bf16_ladder_agree\": %.4f, \"encode_b1_bf16_ms\": %.4f, "
	    "\"backend\": \"%s\"}%s",
	    name, r->enc_ms, r->dec_ms, r->lad_ms, r->roof_frac,
	    rate(r->dec_flops, r->dec_ms), rate(r->dec_bytes, r->dec_ms),
	    rate(r->enc_flops, r->enc_ms), rate(r->enc_bytes, r->enc_ms),
	    rate(r->lad_flops, r->lad_ms), rate(r->lad_bytes, r->lad_ms),
	    r->enc_bytes / 1e6, r->lad_bytes / 1e6,
	    r->dec_bytes / 1e6, r->step_bytes / 1e6, r->read_gbs,
	    r->read_gbs_sse2, r->h16_ms,
	    r->h16_agree, r->h16_ms > 0 ? r->dec_bytes / 2 /
	    (r->h16_read_gbs * 1e6) / r->h16_ms : 0, r->ob_lad_ms,
	    r->b16_dec_ms, r->b16_agree, r->b16_lad_ms, r->b16_lad_agree,
	    r->b16_enc_ms, linalg_backend_name(linalg_backend()),
	    last ? "" : ", ");
}

/* One shape: encode, decode and ladder rows, each ms, GFLOP/s, GB/s. */
static void
print_rows(const char *name, const struct result *r, double peak)
{
	printf("%-10s %-10s %9.3f %8.1f %8.1f  roofline %.1f%%\n", name,
	    "decode b1", r->dec_ms, rate(r->dec_flops, r->dec_ms),
	    rate(r->dec_bytes, r->dec_ms), 100 * r->roof_frac);
	printf("%-10s %-10s %9.3f %8.1f %8.1f\n", "", "encode b1",
	    r->enc_ms, rate(r->enc_flops, r->enc_ms),
	    rate(r->enc_bytes, r->enc_ms));
	printf("%-10s %-10s %9.3f %8.1f %8.1f  %.1f%% of sgemm peak\n", "",
	    "ladder 33", r->lad_ms, rate(r->lad_flops, r->lad_ms),
	    rate(r->lad_bytes, r->lad_ms),
	    100 * rate(r->lad_flops, r->lad_ms) / peak);
}

static int
save_model(const char *dir, const char *arch, uint64_t seed)
{
	struct vae	*v = random_model(arch, seed);
	char		*cause = NULL;

	if (modeldir_save(v, dir, CKPT_FLOAT32, &cause) != 0) {
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
	double		 peak, bw, bw_sse2;
	const char	*isa;
	enum read_isa	 won = READ_SSE2;

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
	bw = read_bandwidth(64u << 20, &won);
	bw_sse2 = read_bandwidth_isa(64u << 20, READ_SSE2);
	isa = read_isa_names[won];
	if (json) {
		printf("{");
		print_json("mel_2bar", &r2, 0);
		print_json("mel_16bar", &r16, 0);
		printf("\"sgemm_gflops\": %.2f, \"read_gbs\": %.2f, "
		    "\"read_gbs_sse2\": %.2f, \"read_isa\": \"%s\", "
		    "\"threads\": %d, \"runs\": %d}\n", peak, bw, bw_sse2, isa,
		    threads, runs);
		return (0);
	}
	printf("bench_infer: %d thread(s), median of %d runs; sgemm 1024 "
	    "peak %.1f GFLOP/s; read 64 MiB %.1f GB/s (%s; sse2 %.1f)\n",
	    threads, runs, peak, bw, isa, bw_sse2);
	printf("%-10s %-10s %9s %8s %8s  (GB/s: weights streamed)\n",
	    "shape", "", "ms", "GFLOP/s", "GB/s");
	print_rows("mel_2bar", &r2, peak);
	print_rows("mel_16bar", &r16, peak);
	if (linalg_backend() == LINALG_DNNL)
		printf("ladder 33 on OpenBLAS (float32): mel_2bar %.3f ms "
		    "(onednn %.2fx), mel_16bar %.3f ms (onednn %.2fx)\n",
		    r2.ob_lad_ms, r2.ob_lad_ms / r2.lad_ms, r16.ob_lad_ms,
		    r16.ob_lad_ms / r16.lad_ms);
	if (r2.b16_dec_ms > 0) {
		printf("bf16 (vae_set_precision): mel_2bar decode b1 %.3f ms "
		    "(%.2fx float32, tokens agree %.2f%%), ladder %.3f ms "
		    "(%.2fx, agree %.2f%%), encode %.3f ms (%.2fx)\n",
		    r2.b16_dec_ms, r2.dec_ms / r2.b16_dec_ms,
		    100 * r2.b16_agree, r2.b16_lad_ms, r2.lad_ms /
		    r2.b16_lad_ms, 100 * r2.b16_lad_agree, r2.b16_enc_ms,
		    r2.enc_ms / r2.b16_enc_ms);
		printf("bf16 (vae_set_precision): mel_16bar decode b1 %.3f ms "
		    "(%.2fx float32, tokens agree %.2f%%), ladder %.3f ms "
		    "(%.2fx, agree %.2f%%), encode %.3f ms (%.2fx)\n",
		    r16.b16_dec_ms, r16.dec_ms / r16.b16_dec_ms,
		    100 * r16.b16_agree, r16.b16_lad_ms, r16.lad_ms /
		    r16.b16_lad_ms, 100 * r16.b16_lad_agree, r16.b16_enc_ms,
		    r16.enc_ms / r16.b16_enc_ms);
	}
	if (r2.h16_ms > 0)
		printf("fp16 weights (vae_set_half), batch-1 decode: mel_2bar "
		    "%.3f ms (%.1fx, roofline %.0f%%, tokens agree %.1f%%), "
		    "mel_16bar %.3f ms (%.1fx, tokens agree %.1f%%)\n",
		    r2.h16_ms, r2.dec_ms / r2.h16_ms, 100 * r2.dec_bytes / 2 /
		    (r2.h16_read_gbs * 1e6) / r2.h16_ms, 100 * r2.h16_agree,
		    r16.h16_ms, r16.dec_ms / r16.h16_ms, 100 * r16.h16_agree);
	printf("roofline: decode weight bytes / read GB/s of a step buffer: "
	    "mel_2bar %.2f MB %.1f GB/s, mel_16bar %.2f MB %.1f GB/s (best "
	    "of sse2..%s loads; sse2 alone %.1f and %.1f)\n",
	    r2.step_bytes / 1e6, r2.read_gbs, r16.step_bytes / 1e6,
	    r16.read_gbs, read_isa_names[read_isa_best()], r2.read_gbs_sse2,
	    r16.read_gbs_sse2);
	return (0);
}
