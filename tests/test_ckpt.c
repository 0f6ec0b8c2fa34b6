/*
 * test_ckpt.c: checkpoint save/load round trips (float32 exact, uint16 and
 * uint8 within a quantization step) and every corruption giving a one-line
 * cause that names the file and the tensor.  Works in a temporary
 * directory under /tmp (or TMPDIR).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "modeldir.h"
#include "params.h"
#include "rng.h"
#include "vae.h"
#include "test.h"
#include "test_model.h"

static char	root[256];

static void
arch_small(struct vae_arch *a, int kind)
{
	memset(a, 0, sizeof *a);
	a->num_steps = 8;
	a->n_splits = 1;
	a->enc_layers = 1;
	a->enc_size[0] = 6;
	a->z_size = 4;
	a->dec_layers = 2;
	a->dec_size[0] = 5;
	a->dec_size[1] = 3;
	if (kind == 0) {
		a->kind = VAE_MELODY;
		a->in_depth = a->out_depth[0] = 90;
	} else if (kind == 1) {
		a->kind = VAE_DRUMS;
		a->in_depth = 10;
		a->out_depth[0] = 512;
	} else {
		a->kind = VAE_TRIO;
		a->num_segments = 2;
		a->in_depth = 692;
		a->n_splits = 3;
		a->out_depth[0] = a->out_depth[1] = 90;
		a->out_depth[2] = 512;
		a->enc_layers = 2;
		a->enc_size[1] = 4;
		a->cond_layers = 2;
		a->cond_size[0] = 3;
		a->cond_size[1] = 4;
	}
}

static struct vae *
random_model(int kind, uint64_t seed)
{
	struct vae_arch	a;

	arch_small(&a, kind);
	return (test_random_vae(&a, seed, 0.7f, 0));
}

static char *
dirname_for(const char *name)
{
	static char	buf[512];

	snprintf(buf, sizeof buf, "%s/%s", root, name);
	return (buf);
}

static void
rm_dir(const char *d)
{
	char	cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "rm failed: %s\n", d);
}

static void
cp_dir(const char *from, const char *to)
{
	char	cmd[1200];

	rm_dir(to);
	snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", from, to);
	if (system(cmd) != 0)
		exit(99);
}

static void
test_roundtrip(int kind, enum ckpt_dtype dt)
{
	struct vae	*v, *w;
	char		*cause = NULL, *d;
	double		 step, md;
	size_t		 i;
	int		 k, ok = 1;
	const char	*lab[] = { "mel", "drums", "trio" };
	const char	*dtn[] = { "f32", "u16", "u8" };
	char		 name[64];
	float		 z[2 * 4];
	int		 t1[2 * 8 * 3], t2[2 * 8 * 3];

	v = random_model(kind, 7 + kind);
	snprintf(name, sizeof name, "rt-%s-%s", lab[kind], dtn[dt]);
	d = dirname_for(name);
	CHECK_MSG(modeldir_save(v, d, dt, &cause) == 0, "save %s: %s", name,
	    cause ? cause : "");
	w = modeldir_load(d, &cause);
	CHECK_MSG(w != NULL, "load %s: %s", name, cause ? cause : "");
	if (w == NULL) {
		vae_free(v);
		return;
	}
	CHECK(memcmp(&w->p.arch, &v->p.arch, sizeof v->p.arch) == 0);
	CHECK(w->p.n_params == v->p.n_params);
	if (dt == CKPT_FLOAT32) {
		CHECK(memcmp(w->p.mem, v->p.mem, v->p.n_params * 4) == 0);
		for (i = 0; i < 8; i++)
			z[i] = (float)i / 4.0f - 1.0f;
		CHECK(vae_decode(v, z, 2, 0.0f, NULL, t1, NULL) == 0);
		CHECK(vae_decode(w, z, 2, 0.0f, NULL, t2, NULL) == 0);
		CHECK(memcmp(t1, t2, sizeof(int) * 16 *
		    v->p.arch.n_splits) == 0);
	} else {
		/* Within half a step of the tensor's range (+ float). */
		for (k = 0; k < v->p.n_tensors; k++) {
			const struct vae_tensor *a = &v->p.tensors[k];
			const struct vae_tensor *b = &w->p.tensors[k];
			float mn = 0, mx = 0;

			for (i = 0; i < a->n; i++) {
				mn = fminf(mn, a->p[i]);
				mx = fmaxf(mx, a->p[i]);
			}
			step = (mx - mn) / (dt == CKPT_UINT16 ? 65535.0 : 255.0);
			md = 0;
			for (i = 0; i < a->n; i++)
				md = fmax(md, fabs((double)a->p[i] - b->p[i]));
			if (md > step * 0.5 + 1e-6 || md == 0)
				ok = 0;
		}
		CHECK_MSG(ok, "%s: quantized within half a step", name);
	}
	vae_free(v);
	vae_free(w);
	free(cause);
}

/* Load a corrupted copy; expect one line naming file and (opt.) tensor. */
static void
expect_fail(const char *d, const char *what, const char *file,
    const char *tensor)
{
	struct vae	*v;
	char		*cause = NULL;

	v = modeldir_load(d, &cause);
	CHECK_MSG(v == NULL, "%s: loaded anyway", what);
	vae_free(v);
	CHECK_MSG(cause != NULL && strchr(cause, '\n') == NULL,
	    "%s: one-line cause", what);
	if (cause == NULL)
		return;
	if (getenv("VERBOSE") != NULL)
		fprintf(stderr, "%s: %s\n", what, cause);
	CHECK_MSG(strstr(cause, file) != NULL, "%s: cause '%s' lacks %s",
	    what, cause, file);
	if (tensor != NULL)
		CHECK_MSG(strstr(cause, tensor) != NULL,
		    "%s: cause '%s' lacks %s", what, cause, tensor);
	free(cause);
}

/* Edit the manifest of dir with fn. */
static void
edit_manifest(const char *d, void (*fn)(json_t *))
{
	char	 p[600];
	json_t	*m;

	snprintf(p, sizeof p, "%s/weights_manifest.json", d);
	m = json_load_file(p, 0, NULL);
	if (m == NULL)
		exit(99);
	fn(m);
	json_dump_file(m, p, 0);
	json_decref(m);
}

static json_t *
weight_named(json_t *m, const char *name, size_t *at)
{
	json_t	*ws = json_object_get(json_array_get(m, 0), "weights"), *w;
	size_t	 i;

	json_array_foreach(ws, i, w)
		if (strcmp(json_string_value(json_object_get(w, "name")),
		    name) == 0) {
			if (at != NULL)
				*at = i;
			return (w);
		}
	return (NULL);
}

#define T_MU	"encoder/mu/kernel"
#define T_OUT	"decoder/output_projection/bias"

static void
ed_missing(json_t *m)
{
	json_t	*ws = json_object_get(json_array_get(m, 0), "weights");
	size_t	 at = 0;

	weight_named(m, T_OUT, &at);
	json_array_remove(ws, at);	/* the last tensor: offsets still fit */
}

static void
ed_shape(json_t *m)
{
	json_t	*w = weight_named(m, T_MU, NULL);

	/* Same element count, other shape. */
	json_object_set_new(w, "shape", json_pack("[i,i]", 4, 12));
}

static void
ed_dtype(json_t *m)
{
	json_object_set_new(weight_named(m, T_MU, NULL), "dtype",
	    json_string("float16"));
}

static void
ed_qdtype(json_t *m)
{
	json_object_set_new(weight_named(m, T_MU, NULL), "quantization",
	    json_pack("{s:f,s:f,s:s}", "min", 0.0, "scale", 1.0, "dtype",
	    "uint4"));
}

/*
 * An extra tensor whose element count wraps: 2^31 * 2^31 * 4 elements of
 * 4 bytes is 2^66 bytes, 0 modulo 2^64, so without a checked product it
 * took no room and the checkpoint loaded.
 */
static void
ed_huge(json_t *m)
{
	json_t	*ws = json_object_get(json_array_get(m, 0), "weights");

	json_array_insert_new(ws, 0, json_pack("{s:s,s:[I,I,i],s:s}",
	    "name", "extra/huge", "shape", (json_int_t)1 << 31,
	    (json_int_t)1 << 31, 4, "dtype", "float32"));
}

/* 2^31 * 2^30 * 4 elements: fits size_t, but not in bytes (2^64). */
static void
ed_huge_bytes(json_t *m)
{
	json_t	*ws = json_object_get(json_array_get(m, 0), "weights");

	json_array_insert_new(ws, 0, json_pack("{s:s,s:[I,I,i],s:s}",
	    "name", "extra/huge", "shape", (json_int_t)1 << 31,
	    (json_int_t)1 << 30, 4, "dtype", "float32"));
}

/* The last tensor again, at the end (its bytes appended by the caller). */
static void
ed_dup(json_t *m)
{
	json_t	*ws = json_object_get(json_array_get(m, 0), "weights");

	json_array_append_new(ws, json_deep_copy(weight_named(m, T_OUT,
	    NULL)));
}

static void
append(const char *path, const char *bytes, size_t n)
{
	FILE	*f = fopen(path, "ab");

	if (f == NULL || fwrite(bytes, 1, n, f) != n)
		exit(99);
	fclose(f);
}

static void
write_text(const char *path, const char *s)
{
	FILE	*f = fopen(path, "wb");

	if (f == NULL)
		exit(99);
	fputs(s, f);
	fclose(f);
}

static void
test_corrupt(void)
{
	struct vae	*v, *w;
	char		 good[512], bad[512], p[600], *cause = NULL;
	float		 nan = NAN;
	FILE		*f;
	long		 sz;
	size_t		 off;
	int		 k;

	v = random_model(0, 3);
	snprintf(good, sizeof good, "%s", dirname_for("good"));
	snprintf(bad, sizeof bad, "%s", dirname_for("bad"));
	if (modeldir_save(v, good, CKPT_FLOAT32, NULL) != 0)
		exit(99);

	cp_dir(good, bad);
	edit_manifest(bad, ed_missing);
	/* The shard still holds the removed tensor's bytes: extra bytes. */
	expect_fail(bad, "removed entry", "weights_manifest.json", NULL);
	snprintf(p, sizeof p, "%s/group1-shard1of1", bad);
	f = fopen(p, "rb+");
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fclose(f);
	if (truncate(p, sz - 90 * 4) != 0)
		exit(99);
	expect_fail(bad, "missing tensor", "weights_manifest.json", T_OUT);

	cp_dir(good, bad);
	edit_manifest(bad, ed_shape);
	expect_fail(bad, "wrong shape", "weights_manifest.json", T_MU);

	cp_dir(good, bad);
	edit_manifest(bad, ed_huge);
	expect_fail(bad, "shape overflow", "weights_manifest.json",
	    "extra/huge");
	cp_dir(good, bad);
	edit_manifest(bad, ed_huge_bytes);
	expect_fail(bad, "byte size overflow", "weights_manifest.json",
	    "extra/huge");

	cp_dir(good, bad);
	edit_manifest(bad, ed_dtype);
	expect_fail(bad, "unknown dtype", "weights_manifest.json", T_MU);

	cp_dir(good, bad);
	edit_manifest(bad, ed_qdtype);
	expect_fail(bad, "unknown quantization", "weights_manifest.json",
	    T_MU);

	cp_dir(good, bad);
	snprintf(p, sizeof p, "%s/group1-shard1of1", bad);
	if (truncate(p, sz - 3) != 0)
		exit(99);
	expect_fail(bad, "short shard", "weights_manifest.json", T_OUT);

	cp_dir(good, bad);
	append(p, "xyz", 3);
	expect_fail(bad, "extra bytes", "weights_manifest.json", NULL);

	/* Bytes and entry both there: tfjs would use the second copy. */
	cp_dir(good, bad);
	edit_manifest(bad, ed_dup);
	{
		char	zeros[90 * 4];

		memset(zeros, 0, sizeof zeros);
		append(p, zeros, sizeof zeros);
	}
	expect_fail(bad, "tensor listed twice", "weights_manifest.json",
	    T_OUT);

	cp_dir(good, bad);
	unlink(p);
	expect_fail(bad, "missing shard", "group1-shard1of1", NULL);

	cp_dir(good, bad);
	snprintf(p, sizeof p, "%s/config.json", bad);
	write_text(p, "{\"type\": \"MusicVAE\", \"dataConverter\": {");
	expect_fail(bad, "bad config JSON", "config.json", NULL);
	write_text(p, "{\"dataConverter\": {\"type\": \"MelodyConverter\", "
	    "\"args\": {\"numSteps\": 8, \"minPitch\": 0, "
	    "\"maxPitch\": 127}}}");
	expect_fail(bad, "pitch range", "config.json", NULL);
	/* 21.0 is 21: was refused as "pitch range 0..0". */
	write_text(p, "{\"dataConverter\": {\"type\": \"MelodyConverter\", "
	    "\"args\": {\"numSteps\": 8, \"minPitch\": 21.0, "
	    "\"maxPitch\": 108.0}}}");
	w = modeldir_load(bad, &cause);
	CHECK_MSG(w != NULL, "minPitch 21.0: %s", cause ? cause : "");
	vae_free(w);
	write_text(p, "{\"dataConverter\": {\"type\": \"MelodyConverter\", "
	    "\"args\": {\"numSteps\": 8, \"minPitch\": \"21\"}}}");
	expect_fail(bad, "minPitch a string", "config.json", NULL);
	write_text(p, "{\"dataConverter\": {\"type\": \"MelodyConverter\", "
	    "\"args\": {}}}");
	expect_fail(bad, "no numSteps", "config.json", NULL);
	unlink(p);
	expect_fail(bad, "no config", "config.json", NULL);

	cp_dir(good, bad);
	snprintf(p, sizeof p, "%s/weights_manifest.json", bad);
	write_text(p, "[{\"paths\": [\"group1-shard1of1\"], \"weights\": [");
	expect_fail(bad, "bad manifest JSON", "weights_manifest.json", NULL);
	write_text(p, "{}");
	expect_fail(bad, "manifest not an array", "weights_manifest.json",
	    NULL);

	/* A NaN inside the mu kernel. */
	cp_dir(good, bad);
	off = 0;
	for (k = 0; k < v->p.n_tensors; k++)
		if (strcmp(v->p.tensors[k].name, T_MU) == 0)
			break;
	off = v->p.tensors[k].off * 4 + 8;	/* layout order is saved */
	snprintf(p, sizeof p, "%s/group1-shard1of1", bad);
	f = fopen(p, "rb+");
	fseek(f, (long)off, SEEK_SET);
	fwrite(&nan, 4, 1, f);
	fclose(f);
	expect_fail(bad, "NaN weight", "group1-shard1of1", T_MU);

	/* A clean copy loads, with sigma. */
	cp_dir(good, bad);
	w = modeldir_load(bad, &cause);
	CHECK(w != NULL && vae_has_sigma(w));
	vae_free(w);

	/* An existing directory keeps its other files. */
	snprintf(p, sizeof p, "%s/model_card.json", good);
	write_text(p, "{}");
	CHECK(modeldir_save(v, good, CKPT_UINT16, &cause) == 0);
	CHECK(access(p, F_OK) == 0);
	w = modeldir_load(good, &cause);
	CHECK(w != NULL);
	vae_free(w);
	/* A new directory named with a trailing slash. */
	snprintf(p, sizeof p, "%s/slash/", root);
	CHECK(modeldir_save(v, p, CKPT_UINT8, &cause) == 0);
	w = modeldir_load(p, &cause);
	CHECK(w != NULL);
	vae_free(w);
	/* A save that cannot happen leaves no trace and a cause. */
	CHECK(modeldir_save(v, "/nonexistent-dir/x/model", CKPT_FLOAT32,
	    &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "/nonexistent-dir") != NULL);
	free(cause);
	vae_free(v);
}

/*
 * Random byte changes to the manifest and config: every load either
 * succeeds or fails with a one-line cause; none crashes.
 */
static void
test_fuzz(void)
{
	struct vae	*v, *w;
	struct rng	 r;
	char		 good[512], bad[512], p[600], *cause = NULL, *text;
	const char	*names[2] = { "weights_manifest.json", "config.json" };
	FILE		*f;
	long		 len;
	int		 it, k, lines_ok = 1, loaded = 0, failed = 0;

	v = random_model(0, 21);
	snprintf(good, sizeof good, "%s", dirname_for("fz-good"));
	snprintf(bad, sizeof bad, "%s", dirname_for("fz-bad"));
	if (modeldir_save(v, good, CKPT_UINT8, NULL) != 0)
		exit(99);
	rng_seed(&r, 77);
	for (it = 0; it < 120; it++) {
		cp_dir(good, bad);
		snprintf(p, sizeof p, "%s/%s", bad, names[it % 2]);
		f = fopen(p, "rb+");
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		text = malloc(len);
		fseek(f, 0, SEEK_SET);
		if (fread(text, 1, len, f) != (size_t)len)
			exit(99);
		for (k = 0; k < 1 + (int)rng_below(&r, 3); k++)
			text[rng_below(&r, (uint32_t)len)] =
			    "0123456789-.,:[]{}\"ae \xff"[rng_below(&r, 23)];
		fseek(f, 0, SEEK_SET);
		fwrite(text, 1, len, f);
		fclose(f);
		free(text);
		w = modeldir_load(bad, &cause);
		if (w != NULL)
			loaded++;
		else {
			failed++;
			lines_ok &= cause != NULL && strchr(cause, '\n') == NULL;
		}
		vae_free(w);
	}
	CHECK(lines_ok);
	CHECK(failed > 0);
	free(cause);
	vae_free(v);
}

/* float -> IEEE half, nearest (test helper; weights are in normal range). */
static uint16_t
f2h(float f)
{
	uint16_t	sign = f < 0 ? 0x8000 : 0;
	double		m;
	int		e, E, frac;

	if (f == 0.0f)
		return (sign);
	m = frexp(fabs(f), &e);		/* |f| = m 2^e, m in [0.5, 1) */
	E = e - 1 + 15;
	if (E <= 0)
		return (sign | (uint16_t)nearbyint(fabs(f) * 16777216.0));
	frac = (int)nearbyint((m * 2 - 1) * 1024);
	if (frac == 1024) {
		frac = 0;
		E++;
	}
	return (sign | (uint16_t)(E << 10) | (uint16_t)frac);
}

/*
 * A checkpoint in the newer tfjs "float16" quantization loads as the
 * rounded weights; an int32 tensor where a weight belongs is refused.
 */
static void
test_float16(void)
{
	struct vae	*v, *w;
	char		 d[512], p[600], *cause = NULL;
	json_t		*m, *ws, *e;
	float		*f;
	uint16_t	*h;
	size_t		 i, n, at;
	FILE		*fp;
	double		 md = 0;

	v = random_model(0, 9);
	snprintf(d, sizeof d, "%s", dirname_for("f16"));
	if (modeldir_save(v, d, CKPT_FLOAT32, NULL) != 0)
		exit(99);
	n = v->p.n_params;
	f = malloc(n * 4);
	h = malloc(n * 2);
	snprintf(p, sizeof p, "%s/group1-shard1of1", d);
	fp = fopen(p, "rb");
	if (fp == NULL || fread(f, 4, n, fp) != n)
		exit(99);
	fclose(fp);
	for (i = 0; i < n; i++)
		h[i] = f2h(f[i]);
	fp = fopen(p, "wb");
	fwrite(h, 2, n, fp);
	fclose(fp);
	snprintf(p, sizeof p, "%s/weights_manifest.json", d);
	m = json_load_file(p, 0, NULL);
	ws = json_object_get(json_array_get(m, 0), "weights");
	json_array_foreach(ws, at, e)
		json_object_set_new(e, "quantization", json_pack("{s:s}",
		    "dtype", "float16"));
	json_dump_file(m, p, 0);
	w = modeldir_load(d, &cause);
	CHECK_MSG(w != NULL, "float16: %s", cause ? cause : "");
	if (w != NULL) {
		for (i = 0; i < n; i++)
			md = fmax(md, fabs((double)w->p.mem[i] - v->p.mem[i]) /
			    fmax(fabs(v->p.mem[i]), 1e-4));
		CHECK_MSG(md <= 1.0 / 2048 + 1e-7, "float16 error %g", md);
		vae_free(w);
	}
	/* int32 where a weight should be. */
	e = weight_named(m, T_MU, NULL);
	json_object_del(e, "quantization");
	json_object_set_new(e, "dtype", json_string("int32"));
	json_dump_file(m, p, 0);
	json_decref(m);
	/* (The shard is now short of 2 bytes per mu element: pad it.) */
	snprintf(p, sizeof p, "%s/group1-shard1of1", d);
	fp = fopen(p, "ab");
	for (i = 0; i < (size_t)2 * 12 * 4; i++)
		fputc(0, fp);
	fclose(fp);
	expect_fail(d, "int32 weight", "weights_manifest.json", T_MU);
	free(f);
	free(h);
	free(cause);
	vae_free(v);
}

/* Drop sigma from the manifest and its bytes from the shard. */
static void
test_no_sigma(void)
{
	struct vae	*v, *w;
	char		*cause = NULL, d[512];
	float		 mu[4], sg[4];
	int		 tok[8] = { 0 };

	v = random_model(0, 5);
	vae_set_has_sigma(v, 0);
	snprintf(d, sizeof d, "%s", dirname_for("nosigma"));
	CHECK(modeldir_save(v, d, CKPT_FLOAT32, &cause) == 0);
	w = modeldir_load(d, &cause);
	CHECK_MSG(w != NULL, "no sigma: %s", cause ? cause : "");
	if (w != NULL) {
		CHECK(!vae_has_sigma(w));
		CHECK(vae_encode(w, tok, 1, mu, sg, &cause) == 0);
		vae_free(w);
	}
	vae_free(v);
	free(cause);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 k;

	snprintf(root, sizeof root, "%s/test_ckpt.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror(root);
		return (99);
	}
	for (k = 0; k < 3; k++) {
		test_roundtrip(k, CKPT_FLOAT32);
		test_roundtrip(k, CKPT_UINT16);
		test_roundtrip(k, CKPT_UINT8);
	}
	test_corrupt();
	test_no_sigma();
	test_float16();
	test_fuzz();
	rm_dir(root);
	return (test_report());
}
