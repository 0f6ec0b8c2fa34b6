/*
 * test_parity.c: latentroll against magenta.js 1.23.1.
 *
 * tests/data/parity/<model>/ holds tiny checkpoints with seeded random
 * weights and fixtures.json, what magenta.js (tfjs 2.8.6, CPU backend)
 * computed on them: written by tools/parity/gen.js, committed so that this
 * test needs no Node.  For every model we load the checkpoint with
 * modeldir_load and require
 *   - mu of each encoded input within 1e-4 of magenta.js, relative to the
 *     largest |mu| of that vector (batched, and the last input alone);
 *   - the argmax tokens of decoding fixed z's IDENTICAL (batched, and the
 *     first z again alone, since batch 1 takes another code path);
 *   - a 5-point lerp interpolation: z's within 1e-4, tokens identical.
 * The quantized variants (uint16, uint8) are separate checkpoints with
 * their own fixtures.
 *
 * Drums: magenta.js's own DrumsConverter puts the "no hit" input bit on
 * the previous step; latentroll follows Python Magenta (same step).  The
 * generator never used DrumsConverter.toTensor: it built the unshifted
 * roll itself and fed it to MusicVAE.encodeTensors, so drum encodes are
 * compared against the magenta.js network on latentroll's input.  Drum
 * decodes do not depend on that choice and must match as they are.
 *
 * The other direction (checkpoints latentroll WRITES load in magenta.js and
 * give the same argmax tokens) needs Node, so it is not part of make check:
 * `tests/test_parity --save DIR` also re-saves every fixture model with
 * modeldir_save (float32, uint16, uint8) and writes random models of the
 * shipped shapes, each with windows.json (inputs, latentroll's mu and argmax
 * decode of that mu) for tools/parity/check.js; see tools/parity/README.md.
 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "modeldir.h"
#include "params.h"
#include "rng.h"
#include "vae.h"
#include "test.h"

#define REL_TOL	1e-4

static int	half_same, half_total;	/* fp16-weight decodes, reported */

static const char *models[] = {
	"mel_2bar", "mel_2bar_u16", "mel_2bar_u8",
	"mel_16bar", "mel_16bar_u16",
	"drums_2bar",
	"trio_4bar", "trio_4bar_u8",
};

/* A JSON array of numbers into n floats; -1 if it is not that. */
static int
get_floats(json_t *a, float *out, size_t n)
{
	size_t	 i;
	json_t	*v;

	if (!json_is_array(a) || json_array_size(a) != n)
		return (-1);
	json_array_foreach(a, i, v) {
		if (!json_is_number(v))
			return (-1);
		out[i] = (float)json_number_value(v);
	}
	return (0);
}

static int
get_ints(json_t *a, int *out, size_t n)
{
	size_t	 i;
	json_t	*v;

	if (!json_is_array(a) || json_array_size(a) != n)
		return (-1);
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v))
			return (-1);
		out[i] = (int)json_integer_value(v);
	}
	return (0);
}

/*
 * |got - want| <= REL_TOL * max|want| over one vector of Z floats.
 * Returns the error relative to that scale, for the summary line.
 */
static double
rel_err(const float *got, const float *want, int Z)
{
	double	scale = 0, err = 0;
	int	i;

	for (i = 0; i < Z; i++)
		scale = fmax(scale, fabs(want[i]));
	for (i = 0; i < Z; i++) {
		double d = fabs((double)got[i] - want[i]);
		err = isnan(d) ? INFINITY : fmax(err, d);
	}
	return (scale > 0 ? err / scale : err);
}

/* Count tokens that differ; report the first one. */
static int
diff_tokens(const int *got, const int *want, size_t n, const char *what,
    const char *model, int seq, int S)
{
	size_t	i, first = 0;
	int	bad = 0;

	for (i = 0; i < n; i++)
		if (got[i] != want[i] && bad++ == 0)
			first = i;
	if (bad != 0)
		fprintf(stderr, "%s: %s %d: %d of %zu tokens differ, first at "
		    "step %zu split %zu: %d vs magenta.js %d\n", model, what,
		    seq, bad, n, first / S, first % S, got[first],
		    want[first]);
	return (bad);
}

/* JSON array of n ints / floats. */
static json_t *
json_ints(const int *x, int n)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(x[i]));
	return (a);
}

static json_t *
json_floats(const float *x, int n)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(x[i]));
	return (a);
}

/*
 * Save v as dir in dtype, load it back and write dir/windows.json for
 * tools/parity/check.js: the B input windows tok (B, T, S), the reloaded
 * model's mu and the argmax decode of that mu.
 */
static void
save_windows(struct vae *v, const char *dir, enum ckpt_dtype dtype,
    const int *tok, int B)
{
	char		 path[1200];
	char		*cause = NULL;
	struct vae	*w;
	json_t		*root, *arr, *o;
	float		*mu;
	int		*dec, L, Z, i;

	CHECK_MSG(modeldir_save(v, dir, dtype, &cause) == 0, "%s: %s", dir,
	    cause ? cause : "?");
	free(cause);
	cause = NULL;
	if ((w = modeldir_load(dir, &cause)) == NULL) {
		CHECK_MSG(0, "%s: %s", dir, cause ? cause : "?");
		free(cause);
		return;
	}
	L = w->p.arch.num_steps * w->p.arch.n_splits;
	Z = w->p.arch.z_size;
	mu = lr_calloc((size_t)B * Z, sizeof *mu);
	dec = lr_calloc((size_t)B * L, sizeof *dec);
	CHECK(vae_encode(w, tok, B, mu, NULL, NULL) == 0);
	CHECK(vae_decode(w, mu, B, 0.0f, NULL, dec, NULL) == 0);
	arr = json_array();
	for (i = 0; i < B; i++) {
		o = json_object();
		json_object_set_new(o, "tokens", json_ints(tok + i * L, L));
		json_object_set_new(o, "mu", json_floats(mu + i * Z, Z));
		json_object_set_new(o, "decoded", json_ints(dec + i * L, L));
		json_array_append_new(arr, o);
	}
	root = json_pack("{s:o}", "windows", arr);
	snprintf(path, sizeof path, "%s/windows.json", dir);
	CHECK_MSG(json_dump_file(root, path, JSON_COMPACT) == 0, "%s", path);
	json_decref(root);
	free(mu);
	free(dec);
	vae_free(w);
}

/* Random valid tokens (B, T, S) for an architecture. */
static void
random_tokens(const struct vae_arch *a, struct rng *r, int *tok, int B)
{
	int	i, s, n = B * a->num_steps;

	for (i = 0; i < n; i++)
		for (s = 0; s < a->n_splits; s++)
			tok[i * a->n_splits + s] = (int)rng_below(r,
			    (uint32_t)a->out_depth[s]);
}

/*
 * Random models of the shipped shapes (params_arch_named), weights
 * uniform with a 1/sqrt(fan-in) scale, saved for check.js: float32, and
 * uint16 for the 16-bar one as latentroll ships it.
 */
static void
save_shipped(const char *out)
{
	static const char	*names[] = { "mel_2bar", "mel_16bar",
				    "drums_2bar", "trio_4bar" };
	char			 dir[1100];
	struct vae_arch		 a;
	struct vae		*v;
	struct vae_tensor	*t;
	struct rng		 r;
	int			*tok, k;
	size_t			 i, j;
	float			 sc;

	for (k = 0; k < 4; k++) {
		CHECK(params_arch_named(&a, names[k], NULL) == 0);
		if ((v = vae_new(&a, NULL)) == NULL) {
			CHECK(0);
			continue;
		}
		rng_seed(&r, 1000 + k);
		for (j = 0; j < (size_t)v->p.n_tensors; j++) {
			t = &v->p.tensors[j];
			sc = t->ndim == 2 ? 2.0f / sqrtf((float)t->shape[0]) :
			    0.5f;
			for (i = 0; i < t->n; i++)
				t->p[i] = sc * (2.0f * rng_uniform(&r) - 1.0f);
		}
		tok = lr_calloc(5 * (size_t)a.num_steps * a.n_splits,
		    sizeof *tok);
		random_tokens(&a, &r, tok, 5);
		snprintf(dir, sizeof dir, "%s/shipped_%s", out, names[k]);
		save_windows(v, dir, k == 1 ? CKPT_UINT16 : CKPT_FLOAT32, tok,
		    5);
		free(tok);
		vae_free(v);
	}
}

/* Everything for one model directory; adds to the global counters. */
static void
run_model(const char *name, double *worst, const char *save)
{
	char			 dir[1024], fx[1100];
	char			*cause = NULL;
	struct vae		*v;
	json_t			*root, *enc, *dec, *itp, *e;
	json_error_t		 je;
	const struct vae_arch	*a;
	float			*mu = NULL, *want = NULL, *z = NULL, *zi = NULL;
	int			*tok = NULL, *got = NULL, *wt = NULL;
	int			 T, S, Z, L, B, n, i, rc;
	size_t			 k;
	double			 r;

	snprintf(dir, sizeof dir, "%s/tests/data/parity/%s", test_srcdir(),
	    name);
	snprintf(fx, sizeof fx, "%s/fixtures.json", dir);
	if ((root = json_load_file(fx, 0, &je)) == NULL) {
		CHECK_MSG(0, "%s: %s", fx, je.text);
		return;
	}
	v = modeldir_load(dir, &cause);
	CHECK_MSG(v != NULL, "%s", cause ? cause : "?");
	free(cause);
	cause = NULL;
	if (v == NULL) {
		json_decref(root);
		return;
	}
	a = &v->p.arch;
	T = a->num_steps;
	S = a->n_splits;
	Z = a->z_size;
	L = T * S;
	CHECK(json_integer_value(json_object_get(root, "num_steps")) == T);
	CHECK(json_integer_value(json_object_get(root, "n_splits")) == S);
	CHECK(json_integer_value(json_object_get(root, "z_size")) == Z);

	/* Encode every input in one batch. */
	enc = json_object_get(root, "encode");
	B = (int)json_array_size(enc);
	CHECK(B > 0);
	tok = lr_calloc((size_t)B * L + 1, sizeof *tok);
	mu = lr_calloc((size_t)B * Z + 1, sizeof *mu);
	want = lr_calloc((size_t)B * Z + 1, sizeof *want);
	json_array_foreach(enc, k, e) {
		CHECK(get_ints(json_object_get(e, "tokens"), tok + k * L,
		    L) == 0);
		CHECK(get_floats(json_object_get(e, "mu"), want + k * Z,
		    Z) == 0);
	}
	rc = vae_encode(v, tok, B, mu, NULL, &cause);
	CHECK_MSG(rc == 0, "%s: encode: %s", name, cause ? cause : "?");
	for (i = 0; rc == 0 && i < B; i++) {
		r = rel_err(mu + i * Z, want + i * Z, Z);
		*worst = fmax(*worst, r);
		CHECK_MSG(r <= REL_TOL, "%s: encode %d: mu off by %.3g of its "
		    "max (first %g vs magenta.js %g)", name, i, r,
		    (double)mu[i * Z], (double)want[i * Z]);
	}

	/* The last input again alone (batch 1 may take another path). */
	rc = vae_encode(v, tok + (B - 1) * L, 1, mu, NULL, &cause);
	CHECK_MSG(rc == 0, "%s: encode: %s", name, cause ? cause : "?");
	if (rc == 0) {
		r = rel_err(mu, want + (B - 1) * Z, Z);
		*worst = fmax(*worst, r);
		CHECK_MSG(r <= REL_TOL, "%s: encode (batch 1): mu off by "
		    "%.3g of its max", name, r);
	}

	/* Decode fixed z's, batched, and the first alone. */
	dec = json_object_get(root, "decode");
	B = (int)json_array_size(json_object_get(dec, "z"));
	CHECK(B > 0 && (int)json_array_size(json_object_get(dec,
	    "tokens")) == B);
	z = lr_calloc((size_t)B * Z + 1, sizeof *z);
	wt = lr_calloc((size_t)B * L + 1, sizeof *wt);
	got = lr_calloc((size_t)B * L + 1, sizeof *got);
	for (i = 0; i < B; i++) {
		CHECK(get_floats(json_array_get(json_object_get(dec, "z"), i),
		    z + i * Z, Z) == 0);
		CHECK(get_ints(json_array_get(json_object_get(dec, "tokens"),
		    i), wt + i * L, L) == 0);
	}
	rc = vae_decode(v, z, B, 0.0f, NULL, got, &cause);
	CHECK_MSG(rc == 0, "%s: decode: %s", name, cause ? cause : "?");
	for (i = 0; rc == 0 && i < B; i++)
		CHECK(diff_tokens(got + i * L, wt + i * L, L, "decode", name,
		    i, S) == 0);
	rc = vae_decode(v, z, 1, 0.0f, NULL, got, &cause);
	CHECK_MSG(rc == 0, "%s: decode: %s", name, cause ? cause : "?");
	if (rc == 0)
		CHECK(diff_tokens(got, wt, L, "decode (batch 1)", name, 0,
		    S) == 0);

	/*
	 * fp16 weights (vae_set_half, batch 1): logits move by ~1e-3, so a
	 * near tie may flip.  Reported, not required.
	 */
	if (vae_set_half(v, 1, NULL) == 0) {
		for (i = 0; i < B; i++) {
			half_total++;
			if (vae_decode(v, z + i * Z, 1, 0.0f, NULL, got,
			    NULL) == 0 && memcmp(got, wt + i * L, L *
			    sizeof *got) == 0)
				half_same++;
		}
		CHECK(vae_set_half(v, 0, NULL) == 0);
	}

	/* Re-save with modeldir_save for check.js (--save only). */
	for (i = 0; save != NULL && strstr(name, "_u") == NULL && i < 3;
	    i++) {
		static const char *dt[] = { "f32", "u16", "u8" };
		char	 sd[1200];

		snprintf(sd, sizeof sd, "%s/%s_%s", save, name, dt[i]);
		save_windows(v, sd, i == 0 ? CKPT_FLOAT32 : i == 1 ?
		    CKPT_UINT16 : CKPT_UINT8, tok, (int)json_array_size(enc));
	}

	/* Interpolate: encode a and b, lerp 5 points, decode them. */
	itp = json_object_get(root, "interpolate");
	n = (int)json_integer_value(json_object_get(itp, "n"));
	CHECK(n == 5);
	if (n < 2 || n > 64)
		n = 5;
	free(tok);
	free(mu);
	free(got);
	free(wt);
	tok = lr_calloc(2 * (size_t)L, sizeof *tok);
	mu = lr_calloc(2 * (size_t)Z, sizeof *mu);
	zi = lr_calloc((size_t)n * Z, sizeof *zi);
	free(want);
	want = lr_calloc((size_t)n * Z, sizeof *want);
	wt = lr_calloc((size_t)n * L, sizeof *wt);
	got = lr_calloc((size_t)n * L, sizeof *got);
	CHECK(get_ints(json_object_get(itp, "a"), tok, L) == 0);
	CHECK(get_ints(json_object_get(itp, "b"), tok + L, L) == 0);
	for (i = 0; i < n; i++) {
		CHECK(get_floats(json_array_get(json_object_get(itp, "z"), i),
		    want + i * Z, Z) == 0);
		CHECK(get_ints(json_array_get(json_object_get(itp, "tokens"),
		    i), wt + i * L, L) == 0);
	}
	rc = vae_encode(v, tok, 2, mu, NULL, &cause);
	CHECK_MSG(rc == 0, "%s: encode: %s", name, cause ? cause : "?");
	vae_interpolate(zi, mu, mu + Z, Z, n, VAE_LERP);
	for (i = 0; i < n; i++) {
		r = rel_err(zi + i * Z, want + i * Z, Z);
		*worst = fmax(*worst, r);
		CHECK_MSG(r <= REL_TOL, "%s: interpolation point %d: z off by "
		    "%.3g of its max", name, i, r);
	}
	rc = vae_decode(v, zi, n, 0.0f, NULL, got, &cause);
	CHECK_MSG(rc == 0, "%s: decode: %s", name, cause ? cause : "?");
	for (i = 0; rc == 0 && i < n; i++)
		CHECK(diff_tokens(got + i * L, wt + i * L, L, "interpolation",
		    name, i, S) == 0);

	free(cause);
	free(tok);
	free(mu);
	free(want);
	free(z);
	free(zi);
	free(wt);
	free(got);
	vae_free(v);
	json_decref(root);
}

int
main(int argc, char **argv)
{
	const char	*save = NULL;
	size_t		 i;
	double		 worst = 0;

	if (argc == 3 && strcmp(argv[1], "--save") == 0) {
		save = argv[2];
		if (mkdir(save, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "%s: %s\n", save, strerror(errno));
			return (99);
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: test_parity [--save DIR]\n");
		return (99);
	}
	for (i = 0; i < sizeof models / sizeof models[0]; i++)
		run_model(models[i], &worst, save);
	if (save != NULL)
		save_shipped(save);
	fprintf(stderr, "largest mu/z error vs magenta.js: %.3g of the "
	    "vector's max\n", worst);
	if (half_total > 0)
		fprintf(stderr, "fp16 weights (vae_set_half): %d of %d decodes "
		    "identical to magenta.js (not required)\n", half_same,
		    half_total);
	return (test_report());
}
