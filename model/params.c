/*
 * params.c: the parameter table of a MusicVAE, named as in magenta.js
 * checkpoints (spec B 6.4, 6.5), laid out in one float arena.
 */
#include "params.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	add(struct vae_params *, char **, int, int, const char *, ...)
		    LR_PRINTF(5, 6);
static int	add_lstm(struct vae_params *, char **, struct lstm_w *, int,
		    int, const char *);
static int	add_dense(struct vae_params *, char **, struct dense_w *, int,
		    int, const char *);
static int	sum_state(const int *, int);

static int
sum_state(const int *size, int n)
{
	int	i, s = 0;

	for (i = 0; i < n; i++)
		s += 2 * size[i];
	return (s);
}

/* Decoder initial state width: [c0,h0,c1,h1,...]. */
int
params_dec_state_size(const struct vae_arch *a)
{
	return (sum_state(a->dec_size, a->dec_layers));
}

/* Conductor initial state width. */
int
params_cond_state_size(const struct vae_arch *a)
{
	return (sum_state(a->cond_size, a->cond_layers));
}

/* Check an architecture for sanity. */
int
params_arch_check(const struct vae_arch *a, char **cause)
{
	int	i;

	if (a->num_steps <= 0)
		return (lr_fail(cause, "numSteps must be positive"));
	if (a->in_depth <= 0)
		return (lr_fail(cause, "encoder input depth must be positive"));
	if (a->n_splits < 1 || a->n_splits > VAE_MAX_SPLITS)
		return (lr_fail(cause, "%d output splits (1..%d)", a->n_splits,
		    VAE_MAX_SPLITS));
	for (i = 0; i < a->n_splits; i++)
		if (a->out_depth[i] <= 0)
			return (lr_fail(cause, "split %d has no classes", i));
	if (a->num_segments < 0)
		return (lr_fail(cause, "negative numSegments"));
	if (a->num_segments > 0) {
		if (a->num_steps % a->num_segments != 0)
			return (lr_fail(cause, "numSteps %d is not a multiple "
			    "of numSegments %d", a->num_steps, a->num_segments));
		if (a->enc_layers != 2)
			return (lr_fail(cause, "hierarchical encoder needs 2 "
			    "levels, not %d", a->enc_layers));
		if (a->cond_layers < 1 || a->cond_layers > VAE_MAX_LAYERS)
			return (lr_fail(cause, "%d conductor layers (1..%d)",
			    a->cond_layers, VAE_MAX_LAYERS));
		for (i = 0; i < a->cond_layers; i++)
			if (a->cond_size[i] <= 0)
				return (lr_fail(cause, "conductor layer %d "
				    "has no units", i));
	}
	if (a->enc_layers < 1 || a->enc_layers > VAE_MAX_LAYERS)
		return (lr_fail(cause, "%d encoder layers (1..%d)",
		    a->enc_layers, VAE_MAX_LAYERS));
	for (i = 0; i < a->enc_layers; i++)
		if (a->enc_size[i] <= 0)
			return (lr_fail(cause, "encoder layer %d has no units",
			    i));
	if (a->z_size <= 0)
		return (lr_fail(cause, "z size must be positive"));
	if (a->dec_layers < 1 || a->dec_layers > VAE_MAX_LAYERS)
		return (lr_fail(cause, "%d decoder layers (1..%d)",
		    a->dec_layers, VAE_MAX_LAYERS));
	for (i = 0; i < a->dec_layers; i++)
		if (a->dec_size[i] <= 0)
			return (lr_fail(cause, "decoder layer %d has no units",
			    i));
	return (0);
}

static int
add(struct vae_params *p, char **cause, int d0, int d1, const char *fmt, ...)
{
	struct vae_tensor	*t;
	va_list			 ap;

	if (p->n_tensors == VAE_MAX_TENSORS)
		return (lr_fail(cause, "too many tensors"));
	t = &p->tensors[p->n_tensors++];
	memset(t, 0, sizeof *t);
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof t->name, fmt, ap);
	va_end(ap);
	t->ndim = d1 > 0 ? 2 : 1;
	t->shape[0] = d0;
	t->shape[1] = d1 > 0 ? d1 : 0;
	t->n = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1);
	t->off = p->n_params;
	p->n_params += t->n;
	return (0);
}

static int
add_lstm(struct vae_params *p, char **cause, struct lstm_w *l, int in, int H,
    const char *prefix)
{
	l->in = in;
	l->H = H;
	if (add(p, cause, in + H, 4 * H, "%s/kernel", prefix) != 0)
		return (-1);
	return (add(p, cause, 4 * H, 0, "%s/bias", prefix));
}

static int
add_dense(struct vae_params *p, char **cause, struct dense_w *d, int in,
    int out, const char *prefix)
{
	d->in = in;
	d->out = out;
	if (add(p, cause, in, out, "%s/kernel", prefix) != 0)
		return (-1);
	return (add(p, cause, out, 0, "%s/bias", prefix));
}

/* Build the tensor table for an architecture. */
int
params_layout(struct vae_params *p, const struct vae_arch *a, char **cause)
{
	static const char	*dir[2] = { "fw", "bw" };
	char			 pre[VAE_NAME_MAX], dpre[64];	/* dpre: at most ~40 */
	int			 l, d, k, s, in, zin, top, hier;
	struct lstm_w		*lw;

	memset(p, 0, sizeof *p);
	if (params_arch_check(a, cause) != 0)
		return (-1);
	p->arch = *a;
	hier = a->num_segments > 0;

	/* Encoder. */
	for (l = 0; l < a->enc_layers; l++) {
		in = l == 0 ? a->in_depth : 2 * a->enc_size[l - 1];
		for (d = 0; d < 2; d++) {
			lw = d == 0 ? &p->enc_fw[l] : &p->enc_bw[l];
			if (hier)
				snprintf(pre, sizeof pre, "encoder/"
				    "hierarchical_level_%d/cell_0/"
				    "bidirectional_rnn/%s/multi_rnn_cell/"
				    "cell_0/lstm_cell", l, dir[d]);
			else
				snprintf(pre, sizeof pre, "encoder/cell_%d/"
				    "bidirectional_rnn/%s/multi_rnn_cell/"
				    "cell_0/lstm_cell", l, dir[d]);
			if (add_lstm(p, cause, lw, in, a->enc_size[l], pre))
				return (-1);
		}
	}
	top = 2 * a->enc_size[a->enc_layers - 1];
	if (add_dense(p, cause, &p->mu, top, a->z_size, "encoder/mu") != 0)
		return (-1);
	if (add_dense(p, cause, &p->sigma, top, a->z_size, "encoder/sigma"))
		return (-1);

	/* Conductor. */
	zin = a->z_size;
	if (hier) {
		if (add_dense(p, cause, &p->cond_init, a->z_size,
		    params_cond_state_size(a),
		    "decoder/hierarchical_level_0/initial_state") != 0)
			return (-1);
		for (k = 0; k < a->cond_layers; k++) {
			in = k == 0 ? 1 : a->cond_size[k - 1];
			snprintf(pre, sizeof pre, "decoder/hierarchical_level_0/"
			    "cell_%d/lstm_cell", k);
			if (add_lstm(p, cause, &p->cond[k], in,
			    a->cond_size[k], pre) != 0)
				return (-1);
		}
		zin = a->cond_size[a->cond_layers - 1];
	}

	/* Core decoder(s). */
	for (s = 0; s < a->n_splits; s++) {
		if (hier && a->n_splits == 1)
			snprintf(dpre, sizeof dpre, "core_decoder/decoder");
		else if (hier)
			snprintf(dpre, sizeof dpre,
			    "core_decoder/core_decoder_%d/decoder", s);
		else if (a->n_splits == 1)
			snprintf(dpre, sizeof dpre, "decoder");
		else
			snprintf(dpre, sizeof dpre, "core_decoder_%d/decoder",
			    s);
		snprintf(pre, sizeof pre, "%s/z_to_initial_state", dpre);
		if (add_dense(p, cause, &p->dec[s].z_init, zin,
		    params_dec_state_size(a), pre) != 0)
			return (-1);
		for (k = 0; k < a->dec_layers; k++) {
			in = k == 0 ? a->out_depth[s] + zin : a->dec_size[k - 1];
			snprintf(pre, sizeof pre,
			    "%s/multi_rnn_cell/cell_%d/lstm_cell", dpre, k);
			if (add_lstm(p, cause, &p->dec[s].cell[k], in,
			    a->dec_size[k], pre) != 0)
				return (-1);
		}
		snprintf(pre, sizeof pre, "%s/output_projection", dpre);
		if (add_dense(p, cause, &p->dec[s].out,
		    a->dec_size[a->dec_layers - 1], a->out_depth[s], pre) != 0)
			return (-1);
	}
	return (0);
}

static float *
at(struct vae_params *p, int *i)
{
	return (p->tensors[(*i)++].p);
}

/* Point every tensor and role pointer into mem. */
void
params_point(struct vae_params *p, float *mem)
{
	const struct vae_arch	*a = &p->arch;
	int			 i, l, k, s;

	p->mem = mem;
	for (i = 0; i < p->n_tensors; i++)
		p->tensors[i].p = mem + p->tensors[i].off;

	/* Walk the table in the order params_layout() built it. */
	i = 0;
	for (l = 0; l < a->enc_layers; l++) {
		p->enc_fw[l].kernel = at(p, &i);
		p->enc_fw[l].bias = at(p, &i);
		p->enc_bw[l].kernel = at(p, &i);
		p->enc_bw[l].bias = at(p, &i);
	}
	p->mu.kernel = at(p, &i);
	p->mu.bias = at(p, &i);
	p->sigma.kernel = at(p, &i);
	p->sigma.bias = at(p, &i);
	if (a->num_segments > 0) {
		p->cond_init.kernel = at(p, &i);
		p->cond_init.bias = at(p, &i);
		for (k = 0; k < a->cond_layers; k++) {
			p->cond[k].kernel = at(p, &i);
			p->cond[k].bias = at(p, &i);
		}
	}
	for (s = 0; s < a->n_splits; s++) {
		p->dec[s].z_init.kernel = at(p, &i);
		p->dec[s].z_init.bias = at(p, &i);
		for (k = 0; k < a->dec_layers; k++) {
			p->dec[s].cell[k].kernel = at(p, &i);
			p->dec[s].cell[k].bias = at(p, &i);
		}
		p->dec[s].out.kernel = at(p, &i);
		p->dec[s].out.bias = at(p, &i);
	}
}

/* Lay out and allocate a zeroed arena. */
int
params_alloc(struct vae_params *p, const struct vae_arch *a, char **cause)
{
	if (params_layout(p, a, cause) != 0)
		return (-1);
	params_point(p, lr_calloc(p->n_params, sizeof(float)));
	p->owns_mem = 1;
	return (0);
}

/* Free the arena if owned. */
void
params_free(struct vae_params *p)
{
	if (p->owns_mem)
		free(p->mem);
	p->mem = NULL;
	p->owns_mem = 0;
}

/* Find a tensor by name. */
struct vae_tensor *
params_find(struct vae_params *p, const char *name)
{
	int	i;

	for (i = 0; i < p->n_tensors; i++)
		if (strcmp(p->tensors[i].name, name) == 0)
			return (&p->tensors[i]);
	return (NULL);
}

/* Same layout as src, pointing at mem (gradients, Adam moments). */
void
params_clone_layout(struct vae_params *dst, const struct vae_params *src,
    float *mem)
{
	*dst = *src;
	dst->owns_mem = 0;
	params_point(dst, mem);
}

/* Architectures latentroll ships or knows by name (spec Part A, B 6.5). */
void
params_kind_depths(struct vae_arch *a, enum vae_kind kind, int drums_roll)
{
	a->kind = kind;
	a->n_splits = 1;
	switch (kind) {
	case VAE_MELODY:
		a->in_depth = a->out_depth[0] = VAE_MEL_CLASSES;
		break;
	case VAE_DRUMS:
		a->in_depth = drums_roll ? VAE_DRUM_ROLL : VAE_DRUM_CLASSES;
		a->out_depth[0] = VAE_DRUM_CLASSES;
		break;
	case VAE_TRIO:
		a->n_splits = 3;
		a->out_depth[0] = a->out_depth[1] = VAE_MEL_CLASSES;
		a->out_depth[2] = VAE_DRUM_CLASSES;
		a->in_depth = 2 * VAE_MEL_CLASSES + VAE_DRUM_CLASSES;
		break;
	}
}

int
params_arch_named(struct vae_arch *a, const char *name, char **cause)
{
	memset(a, 0, sizeof *a);
	a->z_size = 256;
	a->dec_layers = 2;
	a->dec_size[0] = a->dec_size[1] = 256;
	if (strcmp(name, "mel_2bar") == 0) {
		params_kind_depths(a, VAE_MELODY, 0);
		a->num_steps = 32;
		a->enc_layers = 1;
		a->enc_size[0] = 512;
	} else if (strcmp(name, "mel_16bar") == 0) {
		/* mel_16bar_small_q2 recipe: hierarchical, 16 bars of 16. */
		params_kind_depths(a, VAE_MELODY, 0);
		a->num_steps = 256;
		a->num_segments = 16;
		a->enc_layers = 2;
		a->enc_size[0] = a->enc_size[1] = 512;
		a->cond_layers = 2;
		a->cond_size[0] = a->cond_size[1] = 256;
	} else if (strcmp(name, "drums_2bar") == 0) {
		params_kind_depths(a, VAE_DRUMS, 1);
		a->num_steps = 32;
		a->enc_layers = 1;
		a->enc_size[0] = 512;
	} else if (strcmp(name, "trio_4bar") == 0) {
		params_kind_depths(a, VAE_TRIO, 0);
		a->num_steps = 64;
		a->num_segments = 4;
		a->enc_layers = 2;
		a->enc_size[0] = a->enc_size[1] = 512;
		a->cond_layers = 2;
		a->cond_size[0] = a->cond_size[1] = 256;
	} else
		return (lr_fail(cause, "unknown architecture '%s' (mel_2bar, "
		    "mel_16bar, drums_2bar, trio_4bar)", name));
	return (0);
}
