/*
 * eval.c: measurements of a model on a data split: teacher-forced and
 * sampled accuracy, what a musician hears in the inputs and the decodes,
 * and the latent's use.
 */
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attrs.h"

/* Mean teacher-forced accuracy and KL with z = mu over (up to) max
   windows of a split. */
int
run_eval_tf(struct train_net *net, const struct vae_params *p,
    const struct dataset *ds, enum dataset_split sp, int B, int max,
    double *acc, double *kl, double *rloss, char **cause)
{
	struct train_stats	 st;
	size_t			 len = (size_t)ds->steps * ds->S;
	int			 n = ds->n[sp], i, b, done = 0;
	int			*tok;
	double			 sa = 0, sk = 0, sr = 0;

	if (max > 0 && n > max)
		n = max;
	tok = lr_malloc((size_t)B * len * sizeof *tok);
	for (i = 0; i < n; i += b) {
		b = n - i < B ? n - i : B;
		memcpy(tok, ds->tok[sp] + (size_t)i * len,
		    (size_t)b * len * sizeof *tok);
		if (train_forward(net, p, tok, b, 0.0f, 0.0f, 0.0f, 1, NULL,
		    &st, cause) != 0) {
			free(tok);
			return (-1);
		}
		sa += st.acc * b;
		sk += st.kl * b;
		sr += st.r_loss * b;
		done += b;
	}
	free(tok);
	*acc = done ? sa / done : 0;
	*kl = done ? sk / done : 0;
	*rloss = done ? sr / done : 0;
	return (0);
}

/* Sampled accuracy: encode mu, argmax-decode autoregressively (the
   paper's Table 1 "sampled"), over (up to) max windows of a split. */
int
run_eval_sampled(struct vae *v, const struct dataset *ds,
    enum dataset_split sp, int B, int max, double *acc, char **cause)
{
	size_t	 len = (size_t)ds->steps * ds->S, j;
	int	 n = ds->n[sp], i, b;
	long	 correct = 0, total = 0;
	float	*mu;
	int	*out;
	const int *tok;

	if (max > 0 && n > max)
		n = max;
	mu = lr_malloc((size_t)B * v->p.arch.z_size * sizeof *mu);
	out = lr_malloc((size_t)B * len * sizeof *out);
	for (i = 0; i < n; i += b) {
		b = n - i < B ? n - i : B;
		tok = ds->tok[sp] + (size_t)i * len;
		if (vae_encode(v, tok, b, mu, NULL, cause) != 0 ||
		    vae_decode(v, mu, b, 0.0f, NULL, out, cause) != 0) {
			free(mu);
			free(out);
			return (-1);
		}
		for (j = 0; j < (size_t)b * len; j++)
			correct += out[j] == tok[j];
		total += (long)(b * len);
	}
	free(mu);
	free(out);
	*acc = total ? (double)correct / total : 0;
	return (0);
}

void
run_heard_add(struct run_heard *h, const struct vae_arch *a, const int *tok, int n)
{
	float	at[ATTR_N];
	size_t	len = (size_t)a->num_steps * a->n_splits;
	int	i, same;

	for (i = 0; i < n; i++) {
		h->distinct += attrs_bars(a, tok + i * len, &same);
		h->loops += same;
		attrs_measure(a, tok + i * len, at);
		h->density += at[ATTR_NOTE_DENSITY];
		h->n++;
	}
}

json_t *
run_heard_json(const struct run_heard *h)
{
	double	n = h->n > 0 ? (double)h->n : 1;

	return (json_pack("{s:f, s:f, s:f}", "one_bar_loops", h->loops / n,
	    "distinct_bars", h->distinct / n, "note_density",
	    h->density / n));
}

void
run_latent_add(struct run_latent *l, const float *mu, const float *sigma, int n)
{
	int	i, d;
	double	m, sg;

	for (i = 0; i < n; i++, l->n++)
		for (d = 0; d < l->Z; d++) {
			m = mu[(size_t)i * l->Z + d];
			sg = fmax(sigma[(size_t)i * l->Z + d], 1e-12);
			l->kl[d] += 0.5 * (m * m + sg * sg - 1) - log(sg);
			l->s1[d] += m;
			l->s2[d] += m * m;
		}
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

json_t *
run_latent_json(const struct run_latent *l)
{
	double	*k = lr_malloc(l->Z * sizeof *k), tot = 0, var;
	int	 d, active = 0, over = 0;
	json_t	*js;

	for (d = 0; d < l->Z; d++) {
		k[d] = l->kl[d] / l->n;
		tot += k[d];
		var = l->s2[d] / l->n - (l->s1[d] / l->n) * (l->s1[d] / l->n);
		active += var > 0.01;
		over += k[d] > 0.1;
	}
	qsort(k, l->Z, sizeof *k, cmp_double);
	js = json_pack("{s:f, s:i, s:i, s:f, s:f, s:f}", "kl_total", tot,
	    "active_units", active, "dims_kl_over_0.1", over, "kl_dim_min",
	    k[0], "kl_dim_median", k[l->Z / 2], "kl_dim_max", k[l->Z - 1]);
	free(k);
	return (js);
}

/* What run_eval_split adds up over the batches. */
struct tally {
	struct vae		*v, *v16;
	struct train_net	*net;
	size_t			 len;		/* tokens per window */
	float			*mu, *sig, *mu16;
	int			*out, *out16;
	long			 correct, correct16, agree16, total;
	double			 mudiff;
	struct run_heard	 h_in, h_out;
	struct run_latent	 lat;
};

/* One batch of b windows: sampled decodes, bf16's, the trainer's mu. */
static int
tally_batch(struct tally *t, const int *tok, int b, char **cause)
{
	const struct vae_arch	*a = &t->v->p.arch;
	struct train_stats	 st;
	size_t			 j, n = (size_t)b * t->len;
	int			 k;

	if (vae_encode(t->v, tok, b, t->mu, t->sig, cause) != 0 ||
	    vae_decode(t->v, t->mu, b, 0.0f, NULL, t->out, cause) != 0)
		return (-1);
	run_heard_add(&t->h_in, a, tok, b);
	run_heard_add(&t->h_out, a, t->out, b);
	if (vae_has_sigma(t->v))
		run_latent_add(&t->lat, t->mu, t->sig, b);
	for (j = 0; j < n; j++)
		t->correct += t->out[j] == tok[j];
	t->total += (long)n;
	if (t->v16 != NULL) {
		if (vae_encode(t->v16, tok, b, t->mu16, NULL, cause) != 0 ||
		    vae_decode(t->v16, t->mu16, b, 0.0f, NULL, t->out16,
		    cause) != 0)
			return (-1);
		for (j = 0; j < n; j++)
			t->correct16 += t->out16[j] == tok[j];
		/* batch 1, as the instrument decodes */
		for (k = 0; k < b; k++)
			if (vae_decode(t->v16, t->mu + (size_t)k * a->z_size, 1,
			    0.0f, NULL, t->out16 + k * t->len, cause) != 0)
				return (-1);
		for (j = 0; j < n; j++)
			t->agree16 += t->out16[j] == t->out[j];
	}
	/* The trainer's encoder must agree with the inference one. */
	if (train_forward(t->net, &t->v->p, tok, b, 0, 0, 0, 1, NULL, &st,
	    cause) != 0)
		return (-1);
	for (j = 0; j < (size_t)b * a->z_size; j++)
		t->mudiff = fmax(t->mudiff, fabs(t->mu[j] -
		    train_mu(t->net)[j]));
	return (0);
}

json_t *
run_eval_split(struct vae *v, struct vae *v16, const char *name16,
    const struct dataset *ds, enum dataset_split sp, int B, char **cause)
{
	char		 key[64];
	struct tally	 t;
	size_t		 Z = v->p.arch.z_size;
	double		 tfacc, kl, rl;
	json_t		*js = NULL;
	int		 i, b, n = ds->n[sp];

	memset(&t, 0, sizeof t);
	t.v = v;
	t.v16 = v16;
	t.len = (size_t)ds->steps * ds->S;
	if ((t.net = train_net_new(&v->p, B, cause)) == NULL)
		return (NULL);
	if (run_eval_tf(t.net, &v->p, ds, sp, B, 0, &tfacc, &kl, &rl,
	    cause) != 0)
		goto out;
	t.mu = lr_malloc(B * Z * sizeof *t.mu);
	t.sig = lr_malloc(B * Z * sizeof *t.sig);
	t.out = lr_malloc(B * t.len * sizeof *t.out);
	if (v16 != NULL) {
		t.mu16 = lr_malloc(B * Z * sizeof *t.mu16);
		t.out16 = lr_malloc(B * t.len * sizeof *t.out16);
	}
	t.lat.Z = (int)Z;
	t.lat.kl = lr_calloc(3 * Z, sizeof *t.lat.kl);
	t.lat.s1 = t.lat.kl + Z;
	t.lat.s2 = t.lat.s1 + Z;
	for (i = 0; i < n; i += b) {
		b = n - i < B ? n - i : B;
		if (tally_batch(&t, ds->tok[sp] + (size_t)i * t.len, b,
		    cause) != 0)
			goto out;
	}
	js = json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "windows", n,
	    "tf_acc", tfacc, "sampled_acc", (double)t.correct / t.total,
	    "kl_nats", kl, "r_loss", rl, "mu_train_vs_infer_maxdiff",
	    t.mudiff);
	json_object_set_new(js, "inputs", run_heard_json(&t.h_in));
	json_object_set_new(js, "decodes", run_heard_json(&t.h_out));
	if (t.lat.n > 0)
		json_object_set_new(js, "latent", run_latent_json(&t.lat));
	if (v16 != NULL) {
		snprintf(key, sizeof key, "%s_sampled_acc", name16);
		json_object_set_new(js, key,
		    json_real((double)t.correct16 / t.total));
		snprintf(key, sizeof key, "%s_token_agree", name16);
		json_object_set_new(js, key,
		    json_real((double)t.agree16 / t.total));
	}
out:
	free(t.mu);
	free(t.sig);
	free(t.mu16);
	free(t.out);
	free(t.out16);
	free(t.lat.kl);
	train_net_free(t.net);
	return (js);
}
