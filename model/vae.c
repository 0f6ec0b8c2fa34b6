/*
 * vae.c: MusicVAE inference (spec B 2, 3, 8): the flat and hierarchical
 * bidirectional encoders, the flat, hierarchical and split (trio)
 * categorical decoders.  Tokens and floats only.
 *
 * B = batch, T = steps, S = output splits, H = lstm units, Z = latent size,
 * D = classes of a split.  Activations are time-major (T, B, width) so each
 * step's rows are contiguous for one gemm.  All buffers come from the
 * arena, laid out by the same function that measures it, so a decoded step
 * never allocates.
 */
#include "vae.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "linalg.h"
#include "lstm.h"

/* Activations of one model; grows only when a larger batch comes. */
struct vae_arena {
	int	 has_sigma;	/* 0: the checkpoint had no encoder/sigma */
	size_t	 cap;		/* floats in mem */
	float	*mem;
	size_t	 icap;		/* ints in imem */
	int	*imem;
	int	 threads;	/* 2: encoder directions run in parallel */
	uint16_t *half;		/* packed 16-bit copy of p.mem for batch 1,
				   or NULL (vae_set_half, vae_set_precision) */
	int	 half_fmt;	/* LSTM_HALF_FP16, _BF16 or _BF16DP */
	int	 prec;		/* LINALG_FP32 or LINALG_BF16 products */
	uint16_t *bf16;		/* bf16 copy of p.mem in its own layout (the
				   batched products' shadow), or NULL */
	struct team *team;	/* batch-1 decode's second thread, or NULL */
};

/* Buffers are rounded up to 16 floats (64 bytes) so rows start aligned. */
#define ALIGN_FLOATS	16

struct bump {
	float	*base;		/* NULL while measuring */
	size_t	 used;
};

/* A stack of LSTM layers run one step at a time (decoder, conductor). */
struct stack {
	const struct lstm_w	*cell;
	int			 L;
	float			*c[VAE_MAX_LAYERS];	/* (B, H_k) */
	float			*h0;			/* (B, H_0) */
	float			*xh[VAE_MAX_LAYERS];	/* k>0: (B, in_k+H_k) */
	float			*g;			/* (B, 4 max H) */
	const uint16_t		*half;	/* 16-bit weights for B == 1, or NULL */
	int			 fmt;	/* their format (LSTM_HALF_*) */
	const float		*mem;	/* p.mem: offsets into half */
	struct team		*team;	/* shares the h products, or NULL */
};

struct enc_buf {
	float	*gin[2];	/* (L, N, 4H) gates of a layer, per direction */
	float	*y[2];		/* (L, N, 2H) layer outputs, ping-pong */
	float	*c[2];		/* (N, H), per direction */
	float	*x1;		/* hier: (S, B, 2H0) level-1 input */
	float	*out;		/* (B, 2 H_top) */
	float	*tmp;		/* (B, Z) */
};

/* One direction of one bidirectional layer: a unit a thread can run. */
struct enc_dir {
	const struct vae_arch	*a;
	const struct lstm_w	*w;
	const int		*tokens;	/* first layer: rows from tokens */
	const float		*x;		/* else dense input (L, N, ldx) */
	int			 ldx, ns, L, N, dir;
	int			 prec;		/* LINALG_* of the products */
	float			*y, *gin, *c;	/* y (L, N, 2H) */
};

struct dec_buf {
	struct stack	 core;
	struct stack	 cond;
	float		*sinit;		/* (B, state) */
	float		*zp;		/* (B, 4 H_0) bias + z part */
	float		*logits;	/* (B, max D) */
	float		*emb;		/* hier: (segments, B, Hc) */
	int		*prev;		/* (S, B) previous token, -1 = zeros */
};

static float	*take(struct bump *, size_t);
static int	 arena_reserve(struct vae *, size_t, size_t, char **);
static void	 dense_fwd(float *, const float *, int, const struct dense_w *,
		    int);
static void	 stack_layout(struct stack *, struct bump *,
		    const struct lstm_w *, int, int);
static void	 stack_init(struct stack *, const float *, int);
static void	 stack_step(struct stack *, int);
static void	 team_free(struct team *);
static const float *stack_top(const struct stack *, int *);
static void	 enc_layout(struct enc_buf *, struct bump *,
		    const struct vae_arch *, int, int);
static void	 enc_dir_run(struct enc_dir *);
static void	*enc_dir_thread(void *);
static void	 enc_bidi(const struct vae *, struct enc_buf *, float *,
		    const struct lstm_w *, const struct lstm_w *,
		    const int *, const float *, int, int, int, int);
static void	 dec_layout(struct dec_buf *, struct bump *,
		    const struct vae_arch *, const struct vae_params *, int,
		    int *);
static void	 dec_segment(struct dec_buf *, const struct vae_params *,
		    int, const float *, int, int, int, float, struct rng *,
		    int, int *);
static int	 decode(struct vae *, const float *, int, float,
		    struct rng *, int, int *, char **);
static int	 decode_run(struct vae *, const float *, int, float,
		    struct rng *, int, int *, char **);
static int	 pick(const float *, int, float, struct rng *);

static float *
take(struct bump *bp, size_t n)
{
	float	*p = bp->base != NULL ? bp->base + bp->used : NULL;

	bp->used += (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
	return (p);
}

/*
 * Grow the arena to nf floats and ni ints.  Only a larger batch than any
 * before grows it; the per-step loops never come here.
 */
static int
arena_reserve(struct vae *v, size_t nf, size_t ni, char **cause)
{
	struct vae_arena	*a = v->arena;

	if (nf > a->cap) {
		free(a->mem);
		if (posix_memalign((void **)&a->mem, 64, nf * sizeof(float))) {
			a->mem = NULL;
			a->cap = 0;
			return (lr_fail(cause, "out of memory for %zu "
			    "activations", nf));
		}
		a->cap = nf;
	}
	if (ni > a->icap) {
		a->imem = lr_realloc(a->imem, ni * sizeof(int));
		a->icap = ni;
	}
	return (0);
}

/* y (N, out) = x (N, in) W + b. */
static void
dense_fwd(float *y, const float *x, int ldx, const struct dense_w *d, int N)
{
	linalg_set_rows(y, d->bias, N, d->out);
	if (N == 1)
		linalg_gemv_row(d->out, d->in, x, d->kernel, d->out, 1.0f, y);
	else
		linalg_gemm(0, 0, N, d->out, d->in, x, ldx, d->kernel, d->out,
		    1.0f, y, d->out);
}

/* A model with zeroed weights. */
struct vae *
vae_new(const struct vae_arch *a, char **cause)
{
	struct vae	*v;

	v = lr_calloc(1, sizeof *v);
	if (params_alloc(&v->p, a, cause) != 0) {
		free(v);
		return (NULL);
	}
	v->config_json = vae_config_json(a);
	v->arena = lr_calloc(1, sizeof *v->arena);
	v->arena->has_sigma = 1;
	v->arena->threads = 1;	/* vae_set_threads */
	return (v);
}

/* The bf16 copy, its registration as a shadow and the packs made from
   the weights (vae_set_precision), if any. */
static void
drop_bf16(struct vae *v)
{
	struct vae_arena	*a = v->arena;

	if (a->bf16 == NULL)
		return;
	linalg_shadow_remove(v->p.mem);
	linalg_pack_remove(v->p.mem, v->p.n_params);
	free(a->bf16);
	a->bf16 = NULL;
}

void
vae_free(struct vae *v)
{
	if (v == NULL)
		return;
	params_free(&v->p);
	free(v->config_json);
	if (v->arena != NULL) {
		free(v->arena->mem);
		free(v->arena->imem);
		free(v->arena->half);
		drop_bf16(v);
		team_free(v->arena->team);
		free(v->arena);
	}
	free(v);
}

/* Threads for the encoder's two directions (1 or 2). */
void
vae_set_threads(struct vae *v, int n)
{
	v->arena->threads = n > 1 ? 2 : 1;
}

/* Pack every matrix at its own offset in fmt; vectors are not used. */
static void
pack_half(struct vae *v, int fmt)
{
	struct vae_arena	*a = v->arena;
	const struct vae_tensor	*t;
	int			 k;

	a->half = lr_calloc(v->p.n_params, sizeof *a->half);
	a->half_fmt = fmt;
	for (k = 0; k < v->p.n_tensors; k++) {
		t = &v->p.tensors[k];
		if (t->ndim == 2)
			lstm_half_pack(a->half + t->off, t->p, t->shape[0],
			    t->shape[1], fmt);
	}
}

/* fp16 decoder weights for batch 1 on or off. */
int
vae_set_half(struct vae *v, int on, char **cause)
{
	struct vae_arena	*a = v->arena;

	free(a->half);
	a->half = NULL;
	if (!on)
		return (0);
	if (!lstm_half_supported())
		return (lr_fail(cause, "half-precision weights need a CPU with "
		    "AVX2, FMA and F16C"));
	pack_half(v, LSTM_HALF_FP16);
	return (0);
}

int
vae_set_precision(struct vae *v, int prec, char **cause)
{
	struct vae_arena	*a = v->arena;
	const char		*why;

	drop_bf16(v);
	if (a->half != NULL && a->half_fmt != LSTM_HALF_FP16) {
		free(a->half);
		a->half = NULL;
	}
	a->prec = LINALG_FP32;
	if (prec != LINALG_BF16)
		return (0);
	if (!linalg_bf16_supported(&why))
		return (lr_fail(cause, "bf16: %s; float32 it is", why));
	if (!lstm_half_supported())
		return (lr_fail(cause, "bf16: this CPU lacks AVX2/FMA; float32 "
		    "it is"));
	a->bf16 = lr_malloc(v->p.n_params * sizeof *a->bf16);
	linalg_to_bf16(a->bf16, v->p.mem, v->p.n_params);
	if (linalg_shadow_add(v->p.mem, v->p.n_params, a->bf16) != 0) {
		free(a->bf16);
		a->bf16 = NULL;
		return (lr_fail(cause, "bf16: too many weight copies; float32 "
		    "it is"));
	}
	/* Batched products (the ladder, encoding) read the recurrent
	   blocks in the kernel's layout: mel_16bar's ladder spent as long
	   on oneDNN re-laying W_h at every step as on the products. */
	lstm_pack_params(&v->p, LINALG_BF16, 0);
	free(a->half);
	/* Batch 1 on AVX512-BF16's dot product where the CPU has it (h is
	   rounded too: eval --precision bf16 reports the agreement). */
	pack_half(v, lstm_half_dp_supported() ? LSTM_HALF_BF16DP :
	    LSTM_HALF_BF16);
	a->prec = LINALG_BF16;
	return (0);
}

int
vae_precision(const struct vae *v)
{
	return (v->arena->prec);
}

/* The fp16 copy of a float tensor of p.mem. */
static const uint16_t *
half_of(const struct stack *st, const float *w)
{
	return (st->half + (w - st->mem));
}

/* 1 if the model has trained encoder/sigma weights. */
int
vae_has_sigma(const struct vae *v)
{
	return (v->arena->has_sigma);
}

void
vae_set_has_sigma(struct vae *v, int on)
{
	v->arena->has_sigma = on;
}

/* config.json for an architecture (magenta.js MusicVAESpec, spec B 6.2). */
char *
vae_config_json(const struct vae_arch *a)
{
	json_t	*root, *conv, *args, *pitch;
	char	*s, *out;

	args = json_object();
	json_object_set_new(args, "numSteps", json_integer(a->num_steps));
	if (a->num_segments > 0)
		json_object_set_new(args, "numSegments",
		    json_integer(a->num_segments));
	conv = json_object();
	switch (a->kind) {
	case VAE_MELODY:
		json_object_set_new(conv, "type", json_string(
		    "MelodyConverter"));
		json_object_set_new(args, "minPitch",
		    json_integer(VAE_MIN_PITCH));
		json_object_set_new(args, "maxPitch",
		    json_integer(VAE_MAX_PITCH));
		break;
	case VAE_DRUMS:
		json_object_set_new(conv, "type", json_string(
		    a->in_depth == 10 ? "DrumsConverter" :
		    "DrumsOneHotConverter"));
		break;
	case VAE_TRIO:
		json_object_set_new(conv, "type", json_string("TrioConverter"));
		pitch = json_pack("{s:i,s:i}", "minPitch", VAE_MIN_PITCH,
		    "maxPitch", VAE_MAX_PITCH);
		json_object_set(args, "melArgs", pitch);
		json_object_set_new(args, "bassArgs", pitch);
		json_object_set_new(args, "drumsArgs", json_object());
		break;
	}
	json_object_set_new(conv, "args", args);
	root = json_object();
	json_object_set_new(root, "type", json_string("MusicVAE"));
	json_object_set_new(root, "dataConverter", conv);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	out = lr_strdup(s != NULL ? s : "{}");
	free(s);
	return (out);
}

/*
 * The input rows a step's tokens switch on (the encoder input is 0/1).
 * Returns the count; rows has room for 10.
 */
int
vae_input_rows(const struct vae_arch *a, const int *tok, int *rows)
{
	int	n = 0, k;

	switch (a->kind) {
	case VAE_MELODY:
		rows[n++] = tok[0];
		break;
	case VAE_DRUMS:
		if (a->in_depth != 10) {	/* DrumsOneHotConverter */
			rows[n++] = tok[0];
			break;
		}
		/* Roll: bit k = class k; column 9 = no hit (Python). */
		for (k = 0; k < 9; k++)
			if (tok[0] & (1 << k))
				rows[n++] = k;
		if (tok[0] == 0)
			rows[n++] = 9;
		break;
	case VAE_TRIO:
		rows[n++] = tok[0];
		rows[n++] = a->out_depth[0] + tok[1];
		rows[n++] = a->out_depth[0] + a->out_depth[1] + tok[2];
		break;
	}
	return (n);
}

/* Encoder input (T, in_depth) for T steps of tokens (T, S). */
void
vae_tokens_to_input(const struct vae_arch *a, const int *tokens, int T,
    float *x)
{
	int	rows[10], n, t, k;

	memset(x, 0, (size_t)T * a->in_depth * sizeof *x);
	for (t = 0; t < T; t++) {
		n = vae_input_rows(a, tokens + (size_t)t * a->n_splits, rows);
		for (k = 0; k < n; k++)
			x[(size_t)t * a->in_depth + rows[k]] = 1.0f;
	}
}

/* -1 if a token is outside its split's classes. */
static int
check_tokens(const struct vae_arch *a, const int *tokens, int B,
    char **cause)
{
	size_t	i, n = (size_t)B * a->num_steps * a->n_splits;
	int	s;

	for (i = 0; i < n; i++) {
		s = (int)(i % a->n_splits);
		if (tokens[i] < 0 || tokens[i] >= a->out_depth[s])
			return (lr_fail(cause, "token %d at step %zu of "
			    "sequence %zu is outside 0..%d", tokens[i],
			    (i / a->n_splits) % a->num_steps,
			    i / a->n_splits / a->num_steps,
			    a->out_depth[s] - 1));
	}
	return (0);
}

/* ---- Encoder. ---- */

/*
 * Level 0 (or the only level) runs N = B * segments sequences of
 * L = T / segments steps, all sharing weights: a hierarchical model's bars
 * batch together.
 */
static void
enc_layout(struct enc_buf *e, struct bump *bp, const struct vae_arch *a,
    int B, int two)
{
	int	ns = a->num_segments > 0 ? a->num_segments : 1;
	size_t	N = (size_t)B * ns, L = a->num_steps / ns, gmax = 0, ymax = 0;
	size_t	cmax = 0, n, l;
	int	H;

	for (l = 0; l < (size_t)a->enc_layers; l++) {
		H = a->enc_size[l];
		if (a->num_segments > 0 && l == 1) {
			N = B;
			L = ns;
		}
		n = L * N;
		gmax = n * 4 * H > gmax ? n * 4 * H : gmax;
		ymax = n * 2 * H > ymax ? n * 2 * H : ymax;
		cmax = N * H > cmax ? N * H : cmax;
	}
	/* A second direction's scratch only when it runs at the same time. */
	e->gin[0] = take(bp, gmax);
	e->gin[1] = two ? take(bp, gmax) : e->gin[0];
	e->y[0] = take(bp, ymax);
	e->y[1] = take(bp, ymax);
	e->c[0] = take(bp, cmax);
	e->c[1] = two ? take(bp, cmax) : e->c[0];
	e->x1 = a->num_segments > 0 ?
	    take(bp, (size_t)ns * B * 2 * a->enc_size[0]) : NULL;
	e->out = take(bp, (size_t)B * 2 * a->enc_size[a->enc_layers - 1]);
	e->tmp = take(bp, (size_t)B * a->z_size);
}

/*
 * One direction of a layer.  The first layer's gates come from the
 * one-hot/multi-hot input by row gather (no multiply): sequence n of N
 * covers token steps [seg*L, seg*L+L) of batch row n / ns, seg = n % ns.
 * Other layers multiply their dense input.  Then the recurrence.
 */
static void
enc_dir_run(struct enc_dir *d)
{
	const struct vae_arch	*a = d->a;
	const struct lstm_w	*w = d->w;
	const int		*tok;
	int			 rows[10], nr, t, n, G = 4 * w->H;

	lstm_gates_bias(d->gin, w, d->L * d->N);
	if (d->tokens != NULL) {
		for (t = 0; t < d->L; t++)
			for (n = 0; n < d->N; n++) {
				tok = d->tokens + ((size_t)(n / d->ns) *
				    a->num_steps + (size_t)(n % d->ns) * d->L +
				    t) * a->n_splits;
				nr = vae_input_rows(a, tok, rows);
				lstm_gates_gather(d->gin + ((size_t)t * d->N +
				    n) * G, rows, nr, w, 0);
			}
	} else
		lstm_gates_dense(d->gin, d->x, d->ldx, w, 0, w->in,
		    d->L * d->N);
	lstm_layer(d->y + d->dir * w->H, 2 * w->H, d->c, d->gin, w, d->L,
	    d->N, d->dir);
}

/* The second direction's thread: serial products in the model's
   precision, as the caller's. */
static void *
enc_dir_thread(void *arg)
{
	struct enc_dir	*d = arg;

	linalg_serial_begin();
	linalg_set_precision(d->prec);
	enc_dir_run(d);
	linalg_serial_end();
	return (NULL);
}

/*
 * A bidirectional layer into y (L, N, 2H): from tokens (first layer) or
 * from x (L, N, ldx).  The two directions share nothing but the input, so
 * with two threads the backward one runs beside the forward one, each
 * streaming its own weights.
 */
static void
enc_bidi(const struct vae *v, struct enc_buf *e, float *y,
    const struct lstm_w *fw, const struct lstm_w *bw, const int *tokens,
    const float *x, int ldx, int ns, int L, int N)
{
	struct enc_dir	d[2];
	pthread_t	th;
	int		k, spawned = 0;

	for (k = 0; k < 2; k++) {
		d[k].a = &v->p.arch;
		d[k].w = k == 0 ? fw : bw;
		d[k].tokens = tokens;
		d[k].x = x;
		d[k].ldx = ldx;
		d[k].ns = ns;
		d[k].L = L;
		d[k].N = N;
		d[k].dir = k;
		d[k].prec = v->arena->prec;
		d[k].y = y;
		d[k].gin = e->gin[k];
		d[k].c = e->c[k];
	}
	if (e->gin[1] != e->gin[0])
		spawned = pthread_create(&th, NULL, enc_dir_thread, &d[1]) == 0;
	enc_dir_run(&d[0]);
	if (spawned)
		pthread_join(th, NULL);
	else
		enc_dir_run(&d[1]);
}

/* Final states [fw h at the last step, bw h at step 0] of y (L, N, 2H). */
static void
enc_final(float *out, const float *y, int L, int N, int H)
{
	int	n;

	for (n = 0; n < N; n++) {
		memcpy(out + (size_t)n * 2 * H,
		    y + ((size_t)(L - 1) * N + n) * 2 * H, H * sizeof *out);
		memcpy(out + (size_t)n * 2 * H + H,
		    y + (size_t)n * 2 * H + H, H * sizeof *out);
	}
}

/* Encode B sequences into mu and optionally sigma. */
int
vae_encode(struct vae *v, const int *tokens, int B, float *mu, float *sigma,
    char **cause)
{
	const struct vae_params	*p = &v->p;
	const struct vae_arch	*a = &p->arch;
	struct enc_buf		 e;
	struct bump		 bp = { NULL, 0 };
	int			 ns, L, N, l, cur, H, s, b, H0, two, prec;
	size_t			 i;
	float			 x;

	if (B <= 0)
		return (lr_fail(cause, "batch size %d", B));
	if (check_tokens(a, tokens, B, cause) != 0)
		return (-1);
	two = v->arena->threads > 1;
	enc_layout(&e, &bp, a, B, two);
	if (arena_reserve(v, bp.used, 0, cause) != 0)
		return (-1);
	bp.base = v->arena->mem;
	bp.used = 0;
	enc_layout(&e, &bp, a, B, two);

	/* BLAS serial: see decode(). */
	linalg_serial_begin();
	prec = linalg_set_precision(v->arena->prec);
	ns = a->num_segments > 0 ? a->num_segments : 1;
	N = B * ns;
	L = a->num_steps / ns;
	enc_bidi(v, &e, e.y[0], &p->enc_fw[0], &p->enc_bw[0], tokens, NULL, 0,
	    ns, L, N);
	cur = 0;
	if (a->num_segments == 0) {
		/* Flat: layer l reads [fw, bw] of layer l-1 at each step. */
		for (l = 1; l < a->enc_layers; l++) {
			enc_bidi(v, &e, e.y[1 - cur], &p->enc_fw[l],
			    &p->enc_bw[l], NULL, e.y[cur],
			    2 * a->enc_size[l - 1], 1, L, N);
			cur = 1 - cur;
		}
		enc_final(e.out, e.y[cur], L, N, a->enc_size[a->enc_layers - 1]);
	} else {
		/* Level 1 runs over the bar embeddings, time-major. */
		H0 = a->enc_size[0];
		enc_final(e.y[1], e.y[0], L, N, H0);
		for (s = 0; s < ns; s++)
			for (b = 0; b < B; b++)
				memcpy(e.x1 + ((size_t)s * B + b) * 2 * H0,
				    e.y[1] + ((size_t)b * ns + s) * 2 * H0,
				    2 * H0 * sizeof(float));
		enc_bidi(v, &e, e.y[0], &p->enc_fw[1], &p->enc_bw[1], NULL,
		    e.x1, 2 * H0, 1, ns, B);
		enc_final(e.out, e.y[0], ns, B, a->enc_size[1]);
	}
	linalg_set_precision(prec);
	linalg_serial_end();
	H = 2 * a->enc_size[a->enc_layers - 1];
	dense_fwd(mu, e.out, H, &p->mu, B);
	if (sigma != NULL) {
		dense_fwd(sigma, e.out, H, &p->sigma, B);
		/* softplus, stable for large |x|. */
		for (i = 0; i < (size_t)B * a->z_size; i++) {
			x = sigma[i];
			sigma[i] = fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
		}
	}
	return (0);
}

/* ---- Decoder. ---- */

static void
stack_layout(struct stack *st, struct bump *bp, const struct lstm_w *cell,
    int L, int B)
{
	int	k, hmax = 0;

	st->cell = cell;
	st->L = L;
	for (k = 0; k < L; k++) {
		st->c[k] = take(bp, (size_t)B * cell[k].H);
		st->xh[k] = k > 0 ? take(bp, (size_t)B * (cell[k].in +
		    cell[k].H)) : NULL;
		hmax = cell[k].H > hmax ? cell[k].H : hmax;
	}
	st->h0 = take(bp, (size_t)B * cell[0].H);
	st->g = take(bp, (size_t)B * 4 * hmax);
}

/* Where layer k keeps its h: (pointer, row stride). */
static float *
stack_h(const struct stack *st, int k, int *ld)
{
	if (k == 0) {
		*ld = st->cell[0].H;
		return (st->h0);
	}
	*ld = st->cell[k].in + st->cell[k].H;
	return (st->xh[k] + st->cell[k].in);
}

static const float *
stack_top(const struct stack *st, int *ld)
{
	return (stack_h(st, st->L - 1, ld));
}

/* Initial state from s (B, sum 2H_k), split [c0, h0, c1, h1, ...]. */
static void
stack_init(struct stack *st, const float *s, int B)
{
	size_t	 w = 0, off;
	float	*h;
	int	 k, b, ld, H;

	for (k = 0; k < st->L; k++)
		w += 2 * (size_t)st->cell[k].H;
	for (k = 0, off = 0; k < st->L; k++) {
		H = st->cell[k].H;
		h = stack_h(st, k, &ld);
		for (b = 0; b < B; b++) {
			memcpy(st->c[k] + (size_t)b * H, s + b * w + off,
			    H * sizeof(float));
			memcpy(h + (size_t)b * ld, s + b * w + off + H,
			    H * sizeof(float));
		}
		off += 2 * (size_t)H;
	}
}

/*
 * Batch-1 decoding with 16-bit weights on two cores (vae_set_threads 2).
 * A step of mel_2bar reads 1.5 MB of bf16 weights, more than one core's
 * 1 MB L2, so one thread streams them from L3 at every step; split by
 * panels of gate columns, each core's half stays in its own L2.  Each
 * layer's product is split in two (team_product: posted to the helper,
 * the caller's half, then a wait); the caller then runs the cell alone.  The panels are the
 * same products either way, so the tokens are the one-thread tokens.
 * The helper spins while steps come and sleeps when none has come for
 * TEAM_SPIN polls.
 */
#define TEAM_SPIN	20000

struct team {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	_Atomic long	 go;		/* products posted */
	_Atomic long	 done;		/* products the helper finished */
	_Atomic int	 sleeping;
	_Atomic int	 quit;
	struct stack	*st;		/* the posted product: layer k of st */
	int		 k;
};

static inline void
spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Part `part` of 2 of layer k's h product: panels of each gate block. */
static void
layer_part(struct stack *st, int k, int part)
{
	const struct lstm_w	*w = &st->cell[k];
	const uint16_t		*W = half_of(st, w->kernel);
	int			 np = w->H / LSTM_HALF_PANEL, q, b0, b1;

	b0 = np * part / 2;
	b1 = np * (part + 1) / 2;
	for (q = 0; q < 4; q++)
		if (k == 0)
			lstm_half_gemv_panels(st->g, st->h0, W, w->in + w->H,
			    w->in, w->H, st->fmt, q * np + b0, q * np + b1);
		else
			lstm_half_gemv_panels(st->g, st->xh[k], W, w->in +
			    w->H, 0, w->in + w->H, st->fmt, q * np + b0,
			    q * np + b1);
}

static void *
team_main(void *arg)
{
	struct team	*t = arg;
	long		 seen = 0, g;
	int		 n;

	linalg_serial_begin();
	for (;;) {
		for (n = 0; n < TEAM_SPIN; n++) {
			if (atomic_load_explicit(&t->go,
			    memory_order_acquire) != seen ||
			    atomic_load_explicit(&t->quit,
			    memory_order_relaxed))
				break;
			spin_pause();
		}
		if (n == TEAM_SPIN) {
			pthread_mutex_lock(&t->mu);
			atomic_store(&t->sleeping, 1);
			while (atomic_load(&t->go) == seen &&
			    !atomic_load(&t->quit))
				pthread_cond_wait(&t->cv, &t->mu);
			atomic_store(&t->sleeping, 0);
			pthread_mutex_unlock(&t->mu);
		}
		if (atomic_load(&t->quit))
			break;
		g = atomic_load_explicit(&t->go, memory_order_acquire);
		layer_part(t->st, t->k, 1);
		seen = g;
		atomic_store_explicit(&t->done, g, memory_order_release);
	}
	linalg_serial_end();
	return (NULL);
}

static void
team_wake(struct team *t)
{
	if (atomic_load(&t->sleeping)) {
		pthread_mutex_lock(&t->mu);
		pthread_cond_signal(&t->cv);
		pthread_mutex_unlock(&t->mu);
	}
}

static struct team *
team_new(void)
{
	struct team	*t;

	t = lr_calloc(1, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, team_main, t) != 0) {
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
		free(t);
		return (NULL);
	}
	return (t);
}

static void
team_free(struct team *t)
{
	if (t == NULL)
		return;
	atomic_store(&t->quit, 1);
	pthread_mutex_lock(&t->mu);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Layer k's h product, half here and half on the helper. */
static void
team_product(struct team *t, struct stack *st, int k)
{
	long	g;

	t->st = st;
	t->k = k;
	g = atomic_load_explicit(&t->go, memory_order_relaxed) + 1;
	atomic_store(&t->go, g);	/* seq_cst: then sleeping is read */
	team_wake(t);
	layer_part(st, k, 0);
	while (atomic_load_explicit(&t->done, memory_order_acquire) != g)
		spin_pause();
}

/* 1 if every layer of st splits into whole panels per gate. */
static int
team_fits(const struct stack *st)
{
	int	k;

	for (k = 0; k < st->L; k++)
		if (st->cell[k].H % LSTM_HALF_PANEL != 0)
			return (0);
	return (1);
}

/*
 * One step of the stack.  st->g already holds layer 0's bias and input
 * part; only the h blocks are multiplied here.  Each layer's new h is also
 * copied into the next layer's input slot, so layer k>0 needs one gemv over
 * its contiguous [x, h] rows.
 */
static void
stack_step(struct stack *st, int B)
{
	const struct lstm_w	*w;
	float			*h, *nx;
	int			 k, ld, ldn = 0;

	for (k = 0; k < st->L; k++) {
		w = &st->cell[k];
		if (st->team != NULL && B == 1) {
			if (k > 0)
				lstm_gates_bias(st->g, w, B);
			team_product(st->team, st, k);
		} else if (st->half != NULL && B == 1 && k == 0)
			lstm_half_gemv(st->g, st->h0, half_of(st, w->kernel),
			    w->in + w->H, 4 * w->H, w->in, w->H, st->fmt);
		else if (st->half != NULL && B == 1) {
			lstm_gates_bias(st->g, w, B);
			lstm_half_gemv(st->g, st->xh[k], half_of(st, w->kernel),
			    w->in + w->H, 4 * w->H, 0, w->in + w->H, st->fmt);
		} else if (k == 0)
			lstm_gates_dense(st->g, st->h0, w->H, w, w->in, w->H,
			    B);
		else {
			lstm_gates_bias(st->g, w, B);
			lstm_gates_dense(st->g, st->xh[k], w->in + w->H, w, 0,
			    w->in + w->H, B);
		}
		h = stack_h(st, k, &ld);
		nx = NULL;
		if (k + 1 < st->L) {
			nx = st->xh[k + 1];
			ldn = st->cell[k + 1].in + st->cell[k + 1].H;
		}
		lstm_cell(h, ld, nx, ldn, st->c[k], st->g, B, w->H);
	}
}

static void
dec_layout(struct dec_buf *d, struct bump *bp, const struct vae_arch *a,
    const struct vae_params *p, int B, int *ni)
{
	int	s, dmax = 0, state;

	state = params_dec_state_size(a);
	if (params_cond_state_size(a) > state)
		state = params_cond_state_size(a);
	stack_layout(&d->core, bp, p->dec[0].cell, a->dec_layers, B);
	d->sinit = take(bp, (size_t)B * state);
	d->zp = take(bp, (size_t)B * 4 * a->dec_size[0]);
	for (s = 0; s < a->n_splits; s++)
		dmax = a->out_depth[s] > dmax ? a->out_depth[s] : dmax;
	d->logits = take(bp, (size_t)B * dmax);
	if (a->num_segments > 0) {
		stack_layout(&d->cond, bp, p->cond, a->cond_layers, B);
		d->emb = take(bp, (size_t)a->num_segments * B *
		    a->cond_size[a->cond_layers - 1]);
	} else
		d->emb = NULL;
	*ni = a->n_splits * B;
}

/*
 * Sample a class: argmax (first maximum) at temperature 0, else inverse
 * CDF of softmax(logits / T) in double with one uniform draw.
 */
static int
pick(const float *l, int D, float temperature, struct rng *rng)
{
	double	sum = 0, u, acc = 0, m;
	int	i, best = 0;

	for (i = 1; i < D; i++)
		if (l[i] > l[best])
			best = i;
	if (temperature <= 0.0f)
		return (best);
	m = l[best];
	for (i = 0; i < D; i++)
		sum += exp(((double)l[i] - m) / temperature);
	u = rng_uniform_d(rng) * sum;
	for (i = 0; i < D; i++) {
		acc += exp(((double)l[i] - m) / temperature);
		if (u < acc)
			return (i);
	}
	return (best);	/* u rounded past the total: the mode is safe */
}

/*
 * Decode nsteps of split s from e (B, zin): initial state tanh(dense(e)),
 * input [previous one-hot, e].  prev (B) carries the previous token in and
 * out (-1: zeros).  Tokens go to steps [t0, t0+nsteps) of (B, T, S).
 * rows: rng is an array, row b samples from rng[b].
 */
static void
dec_segment(struct dec_buf *d, const struct vae_params *p, int s,
    const float *e, int B, int t0, int nsteps, float temperature,
    struct rng *rng, int rows, int *tokens)
{
	const struct vae_arch	*a = &p->arch;
	const struct dec_w	*dw = &p->dec[s];
	const struct lstm_w	*w0 = &dw->cell[0];
	struct stack		*st = &d->core;
	const float		*top;
	int			*prev = d->prev + (size_t)s * B;
	int			 D = a->out_depth[s], zin = dw->z_init.in;
	int			 G = 4 * w0->H, t, b, ld, tok;
	size_t			 i, n;

	/* Same shapes for every split: only the weights differ. */
	st->cell = dw->cell;
	dense_fwd(d->sinit, e, zin, &dw->z_init, B);
	n = (size_t)B * dw->z_init.out;
	for (i = 0; i < n; i++)
		d->sinit[i] = tanhf(d->sinit[i]);
	stack_init(st, d->sinit, B);

	/* e is constant over the segment: its gate part once. */
	lstm_gates_bias(d->zp, w0, B);
	lstm_gates_dense(d->zp, e, zin, w0, D, zin, B);

	for (t = 0; t < nsteps; t++) {
		memcpy(st->g, d->zp, (size_t)B * G * sizeof(float));
		for (b = 0; b < B; b++)
			if (prev[b] >= 0)
				lstm_gates_gather(st->g + (size_t)b * G,
				    &prev[b], 1, w0, 0);
		stack_step(st, B);
		top = stack_top(st, &ld);
		linalg_set_rows(d->logits, dw->out.bias, B, D);
		if (st->half != NULL && B == 1)
			lstm_half_gemv(d->logits, top, half_of(st,
			    dw->out.kernel), dw->out.in, D, 0, dw->out.in,
			    st->fmt);
		else if (B == 1)
			linalg_gemv_row(D, dw->out.in, top, dw->out.kernel, D,
			    1.0f, d->logits);
		else
			linalg_gemm(0, 0, B, D, dw->out.in, top, ld,
			    dw->out.kernel, D, 1.0f, d->logits, D);
		for (b = 0; b < B; b++) {
			tok = pick(d->logits + (size_t)b * D, D, temperature,
			    rows ? &rng[b] : rng);
			prev[b] = tok;
			tokens[((size_t)b * a->num_steps + t0 + t) *
			    a->n_splits + s] = tok;
		}
	}
}

/* Decode B latent vectors into tokens (B, T, S). */
int
vae_decode(struct vae *v, const float *z, int B, float temperature,
    struct rng *rng, int *tokens, char **cause)
{
	return (decode(v, z, B, temperature, rng, 0, tokens, cause));
}

int
vae_decode_rows(struct vae *v, const float *z, int B, float temperature,
    struct rng *rngs, int *tokens, char **cause)
{
	return (decode(v, z, B, temperature, rngs, 1, tokens, cause));
}

/*
 * Encoding always runs BLAS serially: beside the encoder's own second
 * thread OpenBLAS's put four busy threads on two cores, its workers
 * spinning after every call (mel_16bar encode 30.5 ms with two threads
 * against 22.1 with one), and it picks other kernels when it may use
 * threads, so mu would depend on its thread count.  A batch-1 decode runs
 * serially too: its threads do not pay on matrix-vector products
 * (mel_2bar 1.87 ms with two against 1.67 with one).  A batched decode
 * (the slider's 33-point ladder) keeps them: there they do pay (mel_2bar
 * ladder 17.0 ms with two against 25.2 serial, mel_16bar 157 against
 * 222), so its tokens are deterministic for a given BLAS thread count.
 */
static int
decode(struct vae *v, const float *z, int B, float temperature,
    struct rng *rng, int rows, int *tokens, char **cause)
{
	int	rc, prec;

	prec = linalg_set_precision(v->arena->prec);
	if (B > 1)
		rc = decode_run(v, z, B, temperature, rng, rows, tokens,
		    cause);
	else {
		linalg_serial_begin();
		rc = decode_run(v, z, B, temperature, rng, rows, tokens,
		    cause);
		linalg_serial_end();
	}
	linalg_set_precision(prec);
	return (rc);
}

static int
decode_run(struct vae *v, const float *z, int B, float temperature,
    struct rng *rng, int rows, int *tokens, char **cause)
{
	const struct vae_params	*p = &v->p;
	const struct vae_arch	*a = &p->arch;
	struct dec_buf		 d;
	struct bump		 bp = { NULL, 0 };
	struct stack		*cs;
	const float		*top;
	int			 ni, s, k, b, ld, Hc, nseg, steps;
	size_t			 i, n;

	if (B <= 0)
		return (lr_fail(cause, "batch size %d", B));
	if (!(temperature >= 0.0f) || isinf(temperature))
		return (lr_fail(cause, "temperature %g is not >= 0",
		    (double)temperature));
	if (temperature > 0.0f && rng == NULL)
		return (lr_fail(cause, "sampling needs a random generator"));
	for (i = 0; i < (size_t)B * a->z_size; i++)
		if (!isfinite(z[i]))
			return (lr_fail(cause, "z[%zu] is not finite", i));
	dec_layout(&d, &bp, a, p, B, &ni);
	if (arena_reserve(v, bp.used, (size_t)ni, cause) != 0)
		return (-1);
	bp.base = v->arena->mem;
	bp.used = 0;
	dec_layout(&d, &bp, a, p, B, &ni);
	d.prev = v->arena->imem;
	/* fp16 only pays where weights are re-read per row: batch 1. */
	d.core.half = d.cond.half = B == 1 ? v->arena->half : NULL;
	d.core.fmt = d.cond.fmt = v->arena->half_fmt;
	d.core.mem = d.cond.mem = p->mem;
	d.core.team = d.cond.team = NULL;
	/* The helper outlives a vae_set_threads(v, 1): used only at 2. */
	if (d.core.half != NULL && v->arena->threads > 1 &&
	    v->arena->team == NULL)
		v->arena->team = team_new();	/* NULL: one thread, as before */
	if (d.core.half != NULL && v->arena->threads > 1 &&
	    v->arena->team != NULL) {
		d.core.team = team_fits(&d.core) ? v->arena->team : NULL;
		d.cond.team = a->num_segments > 0 && team_fits(&d.cond) ?
		    v->arena->team : NULL;
	}
	for (i = 0; i < (size_t)ni; i++)
		d.prev[i] = -1;	/* y_{-1} = zeros */

	if (a->num_segments == 0) {
		for (s = 0; s < a->n_splits; s++)
			dec_segment(&d, p, s, z, B, 0, a->num_steps,
			    temperature, rng, rows, tokens);
		return (0);
	}

	/*
	 * Conductor: initial state tanh(dense(z)), input a zero scalar (its
	 * kernel row adds nothing), one step per segment.  Its top h is the
	 * "z" of every core decoder for that segment.
	 */
	cs = &d.cond;
	nseg = a->num_segments;
	steps = a->num_steps / nseg;
	Hc = a->cond_size[a->cond_layers - 1];
	dense_fwd(d.sinit, z, a->z_size, &p->cond_init, B);
	n = (size_t)B * p->cond_init.out;
	for (i = 0; i < n; i++)
		d.sinit[i] = tanhf(d.sinit[i]);
	stack_init(cs, d.sinit, B);
	for (k = 0; k < nseg; k++) {
		lstm_gates_bias(cs->g, &p->cond[0], B);
		stack_step(cs, B);
		top = stack_top(cs, &ld);
		for (b = 0; b < B; b++)
			memcpy(d.emb + ((size_t)k * B + b) * Hc,
			    top + (size_t)b * ld, Hc * sizeof(float));
	}
	/* Each segment re-initialises the core; the last token carries. */
	for (k = 0; k < nseg; k++)
		for (s = 0; s < a->n_splits; s++)
			dec_segment(&d, p, s, d.emb + (size_t)k * B * Hc, B,
			    k * steps, steps, temperature, rng, rows, tokens);
	return (0);
}
