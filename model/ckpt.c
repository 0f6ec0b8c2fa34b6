/*
 * ckpt.c: magenta.js checkpoints (spec B 6) as bytes: config.json, the
 * weights manifest and its binary shards, float32 or uint8/uint16
 * quantized, to and from a model's tensors.  No file is opened here: the
 * caller's reader hands over each file's bytes by name, and a save comes
 * back as named buffers (src/storage/modeldir.c does the folder).  Every
 * cause names the file (as the reader's folder joined with the name) and,
 * where there is one, the tensor.
 *
 * Format, as tfjs writes it: weights_manifest.json is an array of groups
 * {"paths": [shard files], "weights": [{name, shape, dtype, quantization?}]};
 * a group's shards concatenated hold its weights back to back in manifest
 * order, row-major, little-endian, each elems * (4 | 2 | 1) bytes.  The
 * order is arbitrary, so tensors are looked up by name.  Loading checks
 * that the bytes add up exactly (short or extra shard data is an error),
 * that every tensor the inferred architecture needs is there with its
 * shape, and that every weight is finite.
 */
#include "ckpt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CKPT_SHARD_BYTES	(4 * 1024 * 1024)

/* One manifest entry, pointing into its group's concatenated shards. */
struct entry {
	const char	*name;
	int		 ndim;
	long long	 shape[4];
	size_t		 n;		/* elements */
	int		 bytes;		/* per element: 4, 2 or 1 */
	int		 quant;		/* 0 none, 1 uint8/uint16, 2 float16 */
	int		 is_int;	/* dtype int32 (global_step): not a weight */
	double		 qmin, qscale;
	const uint8_t	*data;
	size_t		 off;		/* byte offset in the group */
	int		 group;
};

struct group {
	uint8_t		*buf;
	size_t		 len;
	int		 n_paths;
	char		**paths;
	size_t		*ends;		/* byte end of each shard */
};

struct manifest {
	json_t		*root;
	struct entry	*e;
	int		 n;
	struct group	*g;
	int		 n_groups;
};

/* Where the bytes come from, and the folder name causes carry. */
struct source {
	ckpt_reader	 read;
	void		*arg;
	const char	*dir;
};

static void	 manifest_free(struct manifest *);
static int	 manifest_load(struct manifest *, const struct source *,
		    char **);
static const char *bad_shard(const struct group *);
static struct entry *find(struct manifest *, const char *);
static int	 read_config(const struct source *, struct vae_arch *,
		    char **, char **);
static int	 infer_arch(struct manifest *, struct vae_arch *,
		    const char *, char **);
static int	 fill(struct vae *, struct manifest *, const char *,
		    char **);

/* One file's bytes (NUL-terminated) by name, through the reader. */
static int
load(const struct source *s, const char *name, uint8_t **buf, size_t *len,
    char **cause)
{
	return (s->read(s->arg, name, buf, len, cause));
}

/* A JSON document by name; the cause names the file and the line. */
static json_t *
load_json(const struct source *s, const char *name, char **text,
    char **cause)
{
	json_error_t	 je;
	json_t		*root;
	uint8_t		*buf;
	size_t		 len;
	char		*path;

	if (load(s, name, &buf, &len, cause) != 0)
		return (NULL);
	if ((root = json_loadb((const char *)buf, len, 0, &je)) == NULL) {
		path = lr_path_join(s->dir, name);
		lr_fail(cause, "%s: line %d: %s", path, je.line, je.text);
		free(path);
	}
	if (root != NULL && text != NULL)
		*text = (char *)buf;
	else
		free(buf);
	return (root);
}

static void
manifest_free(struct manifest *m)
{
	int	i, k;

	for (i = 0; i < m->n_groups; i++) {
		free(m->g[i].buf);
		for (k = 0; k < m->g[i].n_paths; k++)
			free(m->g[i].paths[k]);
		free(m->g[i].paths);
		free(m->g[i].ends);
	}
	free(m->g);
	free(m->e);
	if (m->root != NULL)
		json_decref(m->root);
	memset(m, 0, sizeof *m);
}

/*
 * The shard of a group whose size is off, for the error message: the file
 * a user should look at is a shard, not the manifest.  tfjs writes every
 * shard but the last at the same size, so a shorter one among those is
 * the suspect; otherwise the last one.
 */
static const char *
bad_shard(const struct group *g)
{
	size_t	size, full = 0;
	int	k;

	if (g->n_paths == 0)
		return ("(no shard files)");
	for (k = 0; k < g->n_paths - 1; k++) {
		size = g->ends[k] - (k > 0 ? g->ends[k - 1] : 0);
		if (size > full)
			full = size;
	}
	for (k = 0; k < g->n_paths - 1; k++) {
		size = g->ends[k] - (k > 0 ? g->ends[k - 1] : 0);
		if (size < full)
			return (g->paths[k]);
	}
	return (g->paths[g->n_paths - 1]);
}

/* A group's shards, concatenated into g->buf in "paths" order. */
static int
load_shards(struct group *g, json_t *paths, size_t gi,
    const struct source *s, const char *mp, char **cause)
{
	json_t		*jv;
	const char	*name;
	uint8_t		*buf;
	size_t		 k, len;

	g->n_paths = (int)json_array_size(paths);
	g->paths = lr_calloc(g->n_paths + 1, sizeof *g->paths);
	g->ends = lr_calloc(g->n_paths + 1, sizeof *g->ends);
	json_array_foreach(paths, k, jv) {
		name = json_string_value(jv);
		if (name == NULL || *name == '\0' || *name == '/' ||
		    strstr(name, "..") != NULL)
			return (lr_fail(cause, "%s: group %zu: bad shard path",
			    mp, gi + 1));
		g->paths[k] = lr_strdup(name);
		if (load(s, name, &buf, &len, cause) != 0)
			return (-1);
		g->buf = lr_realloc(g->buf, g->len + len + 1);
		memcpy(g->buf + g->len, buf, len);
		free(buf);
		g->len += len;
		g->ends[k] = g->len;
	}
	return (0);
}

/* A tensor's shape: at most 4 dimensions whose product fits a size_t. */
static int
parse_shape(struct entry *e, json_t *jv, const char *mp, char **cause)
{
	json_t		*d;
	size_t		 i;
	long long	 v;

	if (!json_is_array(jv) || json_array_size(jv) > 4)
		return (lr_fail(cause, "%s: tensor %s: bad shape", mp,
		    e->name));
	e->ndim = (int)json_array_size(jv);
	e->n = 1;
	json_array_foreach(jv, i, d) {
		v = json_integer_value(d);
		if (!json_is_integer(d) || v < 0 || v > (1LL << 31))
			return (lr_fail(cause, "%s: tensor %s: bad shape", mp,
			    e->name));
		e->shape[i] = v;
		/* A product past SIZE_MAX would wrap to a small size and
		   shift every later tensor. */
		if (v != 0 && e->n > SIZE_MAX / (size_t)v)
			return (lr_fail(cause, "%s: tensor %s: shape too "
			    "large", mp, e->name));
		e->n *= (size_t)v;
	}
	return (0);
}

/* dtype and quantization: bytes per element and how to read them. */
static int
parse_dtype(struct entry *e, json_t *w, const char *mp, char **cause)
{
	json_t		*q;
	const char	*dt;

	dt = json_string_value(json_object_get(w, "dtype"));
	if (dt == NULL || (strcmp(dt, "float32") != 0 &&
	    strcmp(dt, "int32") != 0))
		return (lr_fail(cause, "%s: tensor %s: unknown dtype %s", mp,
		    e->name, dt ? dt : "(none)"));
	e->bytes = 4;
	e->is_int = strcmp(dt, "int32") == 0;
	if ((q = json_object_get(w, "quantization")) == NULL)
		return (0);
	dt = json_string_value(json_object_get(q, "dtype"));
	if (dt != NULL && strcmp(dt, "float16") == 0) {
		/* Newer tfjs: IEEE half, no min/scale. */
		e->bytes = 2;
		e->quant = 2;
		return (0);
	}
	if (dt != NULL && strcmp(dt, "uint8") == 0)
		e->bytes = 1;
	else if (dt != NULL && strcmp(dt, "uint16") == 0)
		e->bytes = 2;
	else
		return (lr_fail(cause, "%s: tensor %s: unknown quantization "
		    "dtype %s", mp, e->name, dt ? dt : "(none)"));
	e->quant = 1;
	e->qmin = json_number_value(json_object_get(q, "min"));
	e->qscale = json_number_value(json_object_get(q, "scale"));
	if (!json_is_number(json_object_get(q, "min")) ||
	    !json_is_number(json_object_get(q, "scale")) ||
	    !isfinite(e->qmin) || !isfinite(e->qscale))
		return (lr_fail(cause, "%s: tensor %s: bad quantization "
		    "min/scale", mp, e->name));
	return (0);
}

/* A group's weights, placed back to back over its concatenated shards. */
static int
parse_weights(struct manifest *m, json_t *ws, size_t gi, const char *dir,
    const char *mp, char **cause)
{
	struct group	*g = &m->g[gi];
	struct entry	*e;
	json_t		*w;
	size_t		 wi, off = 0;

	m->e = lr_realloc(m->e, (m->n + json_array_size(ws)) * sizeof *m->e);
	json_array_foreach(ws, wi, w) {
		e = &m->e[m->n++];
		memset(e, 0, sizeof *e);
		e->group = (int)gi;
		if ((e->name = json_string_value(json_object_get(w,
		    "name"))) == NULL)
			return (lr_fail(cause, "%s: weight %zu has no name",
			    mp, wi));
		if (parse_shape(e, json_object_get(w, "shape"), mp,
		    cause) != 0 || parse_dtype(e, w, mp, cause) != 0)
			return (-1);
		e->off = off;
		/* Compared by division: n * bytes may not fit. */
		if (e->n > (g->len - off) / (size_t)e->bytes)
			return (lr_fail(cause, "%s/%s: short shard: tensor %s "
			    "(%zu elements of %d bytes) starts at byte %zu of "
			    "the group's %zu (per %s)", dir, bad_shard(g),
			    e->name, e->n, e->bytes, off, g->len,
			    CKPT_MANIFEST));
		off += e->n * e->bytes;
		e->data = g->buf + e->off;
	}
	if (off != g->len)
		return (lr_fail(cause, "%s/%s: %zu extra bytes after the last "
		    "tensor of group %zu (per %s)", dir, bad_shard(g),
		    g->len - off, gi + 1, CKPT_MANIFEST));
	return (0);
}

/*
 * Parse the manifest and read every group's shards.  Weights of a group
 * are packed back to back in manifest order across its shards.
 */
static int
manifest_load(struct manifest *m, const struct source *s, char **cause)
{
	json_t	*grp, *paths, *ws;
	char	*mp;
	size_t	 gi;
	int	 i, k;

	memset(m, 0, sizeof *m);
	mp = lr_path_join(s->dir, CKPT_MANIFEST);
	if ((m->root = load_json(s, CKPT_MANIFEST, NULL, cause)) == NULL)
		goto fail;
	if (!json_is_array(m->root) || json_array_size(m->root) == 0) {
		lr_fail(cause, "%s: not a non-empty array of weight groups",
		    mp);
		goto fail;
	}
	m->n_groups = (int)json_array_size(m->root);
	m->g = lr_calloc(m->n_groups, sizeof *m->g);
	json_array_foreach(m->root, gi, grp) {
		paths = json_object_get(grp, "paths");
		ws = json_object_get(grp, "weights");
		if (!json_is_array(paths) || !json_is_array(ws)) {
			lr_fail(cause, "%s: group %zu needs \"paths\" and "
			    "\"weights\" arrays", mp, gi + 1);
			goto fail;
		}
		if (load_shards(&m->g[gi], paths, gi, s, mp, cause) != 0 ||
		    parse_weights(m, ws, gi, s->dir, mp, cause) != 0)
			goto fail;
	}
	/* tfjs keeps the last of two weights with one name, find() the
	   first: refuse rather than pick one quietly. */
	for (i = 0; i < m->n; i++)
		for (k = 0; k < i; k++)
			if (strcmp(m->e[k].name, m->e[i].name) == 0) {
				lr_fail(cause, "%s: tensor %s is listed twice",
				    mp, m->e[i].name);
				goto fail;
			}
	free(mp);
	return (0);
fail:
	free(mp);
	manifest_free(m);
	return (-1);
}

static struct entry *
find(struct manifest *m, const char *name)
{
	int	i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, name) == 0)
			return (&m->e[i]);
	return (NULL);
}

/* Only the piano range 21..108 (90 classes) is supported. */
static int
check_pitch(json_t *args, const char *path, char **cause)
{
	json_t	*lo = json_object_get(args, "minPitch");
	json_t	*hi = json_object_get(args, "maxPitch");

	/* A number, integer or not (21.0 is 21); anything else is bad. */
	if ((lo != NULL && (!json_is_number(lo) ||
	    json_number_value(lo) != VAE_MIN_PITCH)) || (hi != NULL &&
	    (!json_is_number(hi) ||
	    json_number_value(hi) != VAE_MAX_PITCH))) {
		if ((lo != NULL && !json_is_number(lo)) ||
		    (hi != NULL && !json_is_number(hi)))
			return (lr_fail(cause, "%s: minPitch and maxPitch "
			    "must be numbers", path));
		return (lr_fail(cause, "%s: pitch range %g..%g not "
		    "supported (only 21..108)", path,
		    lo ? json_number_value(lo) : VAE_MIN_PITCH,
		    hi ? json_number_value(hi) : VAE_MAX_PITCH));
	}
	return (0);
}

/* The converter's depths and segments from config.json's dataConverter. */
static int
read_converter(json_t *root, const char *path, struct vae_arch *a,
    char **cause)
{
	json_t		*conv, *args, *jv;
	const char	*type;

	conv = json_object_get(root, "dataConverter");
	type = json_string_value(json_object_get(conv, "type"));
	args = json_object_get(conv, "args");
	if (type == NULL || !json_is_object(args))
		return (lr_fail(cause, "%s: dataConverter needs a type and "
		    "args", path));
	jv = json_object_get(args, "numSteps");
	if (!json_is_integer(jv) || json_integer_value(jv) <= 0 ||
	    json_integer_value(jv) > 4096)
		return (lr_fail(cause, "%s: numSteps missing or not a "
		    "positive integer", path));
	a->num_steps = (int)json_integer_value(jv);
	jv = json_object_get(args, "numSegments");
	if (jv != NULL && !json_is_null(jv)) {
		if (!json_is_integer(jv) || json_integer_value(jv) <= 0 ||
		    a->num_steps % json_integer_value(jv) != 0)
			return (lr_fail(cause, "%s: numSegments must divide "
			    "numSteps", path));
		a->num_segments = (int)json_integer_value(jv);
	}
	if (strcmp(type, "MelodyConverter") == 0) {
		if (check_pitch(args, path, cause) != 0)
			return (-1);
		params_kind_depths(a, VAE_MELODY, 0);
	} else if (strcmp(type, "DrumsConverter") == 0)
		params_kind_depths(a, VAE_DRUMS, 1);
	else if (strcmp(type, "DrumsOneHotConverter") == 0)
		params_kind_depths(a, VAE_DRUMS, 0);
	else if (strcmp(type, "TrioConverter") == 0) {
		if (check_pitch(json_object_get(args, "melArgs"), path,
		    cause) != 0 || check_pitch(json_object_get(args,
		    "bassArgs"), path, cause) != 0)
			return (-1);
		params_kind_depths(a, VAE_TRIO, 0);
	} else
		return (lr_fail(cause, "%s: converter %s is not supported",
		    path, type));
	return (0);
}

/*
 * config.json: a MusicVAE without the options latentroll lacks, and its
 * converter; *text gets the file's bytes, to be written back unchanged.
 */
static int
read_config(const struct source *s, struct vae_arch *a, char **text,
    char **cause)
{
	json_t		*root;
	const char	*type;
	static const char *unsup[] = { "chordEncoder", "conditionOnKey",
			    "extraControls" };
	char		*path;
	size_t		 i;
	int		 rc = -1;

	memset(a, 0, sizeof *a);
	*text = NULL;
	if ((root = load_json(s, CKPT_CONFIG, text, cause)) == NULL)
		return (-1);
	path = lr_path_join(s->dir, CKPT_CONFIG);
	type = json_string_value(json_object_get(root, "type"));
	if (type != NULL && strcmp(type, "MusicVAE") != 0) {
		lr_fail(cause, "%s: model type %s is not MusicVAE", path,
		    type);
		goto out;
	}
	for (i = 0; i < sizeof unsup / sizeof unsup[0]; i++)
		if (json_object_get(root, unsup[i]) != NULL) {
			lr_fail(cause, "%s: %s is not supported", path,
			    unsup[i]);
			goto out;
		}
	if (json_is_true(json_object_get(root, "useBooleanDecoder"))) {
		lr_fail(cause, "%s: useBooleanDecoder is not supported", path);
		goto out;
	}
	rc = read_converter(root, path, a, cause);
out:
	if (rc != 0) {
		free(*text);
		*text = NULL;
	}
	free(path);
	json_decref(root);
	return (rc);
}

/*
 * Units of an LSTM kernel (in+H, 4H), or -1 if it is not one.  The input
 * width is not checked here: params_layout derives it from the other
 * layers, and fill() then compares every shape.
 */
static int
kernel_units(struct entry *e)
{
	/* in >= 1, so more rows than units: an empty [0, 4H] would
	   otherwise size a model from a tensor of no bytes. */
	if (e->ndim != 2 || e->shape[1] % 4 != 0 || e->shape[1] == 0 ||
	    e->shape[0] <= e->shape[1] / 4)
		return (-1);
	return ((int)(e->shape[1] / 4));
}

/* Count layers cell_0, cell_1, ... as magenta.js does; sizes from shapes. */
static int
probe(struct manifest *m, const char *fmt, int *size, int *n,
    const char *mp, char **cause)
{
	char		 name[VAE_NAME_MAX];
	struct entry	*e;
	int		 k;

	for (k = 0; ; k++) {
		snprintf(name, sizeof name, fmt, k);
		if ((e = find(m, name)) == NULL)
			break;
		if (k == VAE_MAX_LAYERS)
			return (lr_fail(cause, "%s: more than %d layers at %s",
			    mp, VAE_MAX_LAYERS, name));
		if ((size[k] = kernel_units(e)) <= 0)
			return (lr_fail(cause, "%s: tensor %s is not an LSTM "
			    "kernel [in+H, 4H]", mp, name));
	}
	*n = k;
	if (k == 0) {
		snprintf(name, sizeof name, fmt, 0);
		return (lr_fail(cause, "%s: missing tensor %s", mp, name));
	}
	return (0);
}

/* Layer counts and widths from the tensor shapes (spec B 6.4, 6.5). */
static int
infer_arch(struct manifest *m, struct vae_arch *a, const char *mp,
    char **cause)
{
	const char	*lstm = "multi_rnn_cell/cell_0/lstm_cell/kernel";
	char		 fmt[2 * VAE_NAME_MAX], dpre[VAE_NAME_MAX];
	struct entry	*e;
	int		 n;

	if (a->num_segments > 0) {
		snprintf(fmt, sizeof fmt, "encoder/hierarchical_level_%%d/"
		    "cell_0/bidirectional_rnn/fw/%s", lstm);
		if (probe(m, fmt, a->enc_size, &a->enc_layers, mp, cause))
			return (-1);
		if (a->enc_layers != 2)
			return (lr_fail(cause, "%s: hierarchical encoder has "
			    "%d levels, not 2", mp, a->enc_layers));
		if (probe(m, "decoder/hierarchical_level_0/cell_%d/lstm_cell/"
		    "kernel", a->cond_size, &a->cond_layers, mp, cause) != 0)
			return (-1);
	} else {
		snprintf(fmt, sizeof fmt, "encoder/cell_%%d/"
		    "bidirectional_rnn/fw/%s", lstm);
		if (probe(m, fmt, a->enc_size, &a->enc_layers, mp, cause))
			return (-1);
	}
	if ((e = find(m, "encoder/mu/kernel")) == NULL)
		return (lr_fail(cause, "%s: missing tensor encoder/mu/kernel",
		    mp));
	if (e->ndim != 2 || e->shape[1] <= 0 || e->shape[0] <= 0)
		return (lr_fail(cause, "%s: tensor encoder/mu/kernel is not "
		    "2-D", mp));
	a->z_size = (int)e->shape[1];

	if (a->num_segments > 0)
		snprintf(dpre, sizeof dpre, a->n_splits == 1 ?
		    "core_decoder/decoder" : "core_decoder/core_decoder_0/"
		    "decoder");
	else
		snprintf(dpre, sizeof dpre, a->n_splits == 1 ? "decoder" :
		    "core_decoder_0/decoder");
	snprintf(fmt, sizeof fmt, "%s/multi_rnn_cell/cell_%%d/lstm_cell/"
	    "kernel", dpre);
	if (probe(m, fmt, a->dec_size, &n, mp, cause) != 0)
		return (-1);
	a->dec_layers = n;
	if (find(m, "decoder/nade/w_enc") != NULL)
		return (lr_fail(cause, "%s: NADE decoders are not supported",
		    mp));
	if (params_arch_check(a, cause) != 0) {
		lr_cause_prefix(cause, "%s", mp);
		return (-1);
	}
	return (0);
}

/* Which shard file holds byte off of a group. */
static const char *
shard_of(struct manifest *m, struct entry *e, size_t off)
{
	struct group	*g = &m->g[e->group];
	int		 k;

	for (k = 0; k < g->n_paths; k++)
		if (off < g->ends[k])
			return (g->paths[k]);
	return (g->n_paths > 0 ? g->paths[g->n_paths - 1] : "?");
}

/* IEEE half to float (the tfjs "float16" quantization). */
static float
half_to_float(uint16_t h)
{
	int	e = (h >> 10) & 31, m = h & 1023;
	float	v;

	if (e == 31)
		v = m != 0 ? NAN : INFINITY;
	else if (e == 0)
		v = ldexpf((float)m, -24);
	else
		v = ldexpf((float)(1024 + m), e - 25);
	return ((h & 0x8000) ? -v : v);
}

/* "[a, b]" into buf. */
static const char *
shape_str(const long long *shape, int ndim, char *buf)
{
	int	i, n = 0;

	n += snprintf(buf + n, 64 - n, "[");
	for (i = 0; i < ndim && n < 40; i++)
		n += snprintf(buf + n, 64 - n, "%s%lld", i ? ", " : "",
		    shape[i]);
	snprintf(buf + n, 64 - n, "]");
	return (buf);
}

/* Copy every tensor of the layout from the manifest, by name. */
static int
fill(struct vae *v, struct manifest *m, const char *dir, char **cause)
{
	struct vae_params	*p = &v->p;
	struct vae_tensor	*t;
	struct entry		*e;
	const uint8_t		*q;
	char			*mp = lr_path_join(dir, CKPT_MANIFEST);
	size_t			 i;
	int			 k, rc = -1;
	long long		 want[2];
	char			 sa[64], sb[64];
	uint16_t		 u16;
	float			 f;

	if (find(m, "encoder/sigma/kernel") == NULL &&
	    find(m, "encoder/sigma/bias") == NULL)
		vae_set_has_sigma(v, 0);
	for (k = 0; k < p->n_tensors; k++) {
		t = &p->tensors[k];
		if ((e = find(m, t->name)) == NULL) {
			if (strncmp(t->name, "encoder/sigma/", 14) == 0 &&
			    !vae_has_sigma(v))
				continue;	/* zeros, recorded */
			lr_fail(cause, "%s: missing tensor %s", mp, t->name);
			goto out;
		}
		want[0] = t->shape[0];
		want[1] = t->shape[1];
		if (e->ndim != t->ndim || e->shape[0] != t->shape[0] ||
		    (t->ndim == 2 && e->shape[1] != t->shape[1])) {
			lr_fail(cause, "%s: tensor %s has shape %s, expected "
			    "%s", mp, t->name, shape_str(e->shape, e->ndim,
			    sa), shape_str(want, t->ndim, sb));
			goto out;
		}
		if (e->is_int) {
			lr_fail(cause, "%s: tensor %s has dtype int32, not "
			    "float32", mp, t->name);
			goto out;
		}
		for (i = 0; i < t->n; i++) {
			q = e->data + i * e->bytes;
			if (e->quant == 2) {
				memcpy(&u16, q, 2);
				f = half_to_float(u16);
			} else if (!e->quant)
				memcpy(&f, q, 4);	/* little-endian */
			else if (e->bytes == 1)
				f = (float)(q[0] * e->qscale + e->qmin);
			else {
				memcpy(&u16, q, 2);
				f = (float)(u16 * e->qscale + e->qmin);
			}
			if (!isfinite(f)) {
				lr_fail(cause, "%s/%s: tensor %s element %zu "
				    "is not finite", dir, shard_of(m, e,
				    e->off + i * e->bytes), t->name, i);
				goto out;
			}
			t->p[i] = f;
		}
	}
	rc = 0;
out:
	free(mp);
	return (rc);
}

/*
 * A checkpoint from its files: converter from config.json, layer counts
 * and widths from the manifest's shapes, then every tensor by name.
 */
struct vae *
ckpt_decode(ckpt_reader read, void *arg, const char *dir, char **cause)
{
	struct source	 s = { read, arg, dir };
	struct vae_arch	 a;
	struct manifest	 m;
	struct vae	*v = NULL;
	char		*mp, *text;

	if (read_config(&s, &a, &text, cause) != 0)
		return (NULL);
	mp = lr_path_join(dir, CKPT_MANIFEST);
	if (manifest_load(&m, &s, cause) != 0)
		goto out;
	if (infer_arch(&m, &a, mp, cause) == 0 &&
	    (v = vae_new(&a, cause)) != NULL &&
	    fill(v, &m, dir, cause) != 0) {
		vae_free(v);
		v = NULL;
	}
	manifest_free(&m);
	if (v != NULL) {
		/* Keep the original config.json to write it back unchanged. */
		free(v->config_json);
		v->config_json = text;
		text = NULL;
	}
out:
	free(text);
	free(mp);
	return (v);
}

/*
 * tfjs-converter's affine quantizer: scale = (max - min) / qmax; when the
 * range covers 0 the minimum is nudged so that 0 is exactly representable,
 * otherwise min and max are kept; q = round((clip(x) - min) / scale) with
 * ties to even, as numpy rounds.  A constant tensor is all zeros with
 * min = the value and scale 1.
 */
static void
quantize(uint8_t *out, const float *x, size_t n, int bits, double *qmin,
    double *qscale)
{
	double	mn = INFINITY, mx = -INFINITY, qmax, scale, nmin, nmax;
	double	y, r;
	size_t	i;
	uint16_t u;

	for (i = 0; i < n; i++) {
		mn = x[i] < mn ? x[i] : mn;
		mx = x[i] > mx ? x[i] : mx;
	}
	qmax = bits == 8 ? 255.0 : 65535.0;
	if (n == 0 || mn == mx) {
		nmin = n == 0 ? 0 : mn;
		scale = 1.0;
		nmax = nmin;
	} else {
		scale = (mx - mn) / qmax;
		if (mn <= 0 && 0 <= mx) {
			nmin = -nearbyint((0 - mn) / scale) * scale;
			nmax = qmax * scale + nmin;
		} else {
			nmin = mn;
			nmax = mx;
		}
	}
	for (i = 0; i < n; i++) {
		y = x[i] < nmin ? nmin : x[i] > nmax ? nmax : x[i];
		r = nearbyint((y - nmin) / scale);
		r = r < 0 ? 0 : r > qmax ? qmax : r;
		if (bits == 8)
			out[i] = (uint8_t)r;
		else {
			u = (uint16_t)r;
			memcpy(out + 2 * i, &u, 2);
		}
	}
	*qmin = nmin;
	*qscale = scale;
}

/* Whether name is a file of a checkpoint's own set: config, manifest, a
   shard of any count. */
int
ckpt_own_file(const char *name)
{
	int	i, n, used = 0;

	if (strcmp(name, CKPT_CONFIG) == 0 || strcmp(name, CKPT_MANIFEST) == 0)
		return (1);
	return (sscanf(name, "group1-shard%dof%d%n", &i, &n, &used) == 2 &&
	    name[used] == '\0');
}

/* Append a named buffer (taken over) to the set. */
static void
add_file(struct ckpt_files *fs, const char *name, uint8_t *data, size_t len)
{
	struct ckpt_file	*f;

	fs->f = lr_realloc(fs->f, (fs->n + 1) * sizeof *fs->f);
	f = &fs->f[fs->n++];
	f->name = lr_strdup(name);
	f->data = data;
	f->len = len;
}

/* The manifest entry of tensor t; quantized into out when dtype asks. */
static json_t *
encode_tensor(const struct vae_tensor *t, enum ckpt_dtype dtype,
    uint8_t *out)
{
	json_t	*w, *q;
	double	 qmin, qscale;
	int	 bytes = dtype == CKPT_FLOAT32 ? 4 : dtype == CKPT_UINT16 ? 2 :
		    1;

	w = json_object();
	json_object_set_new(w, "name", json_string(t->name));
	json_object_set_new(w, "shape", t->ndim == 2 ?
	    json_pack("[i,i]", t->shape[0], t->shape[1]) :
	    json_pack("[i]", t->shape[0]));
	json_object_set_new(w, "dtype", json_string("float32"));
	if (dtype == CKPT_FLOAT32) {
		memcpy(out, t->p, t->n * 4);
		return (w);
	}
	quantize(out, t->p, t->n, 8 * bytes, &qmin, &qscale);
	q = json_object();
	json_object_set_new(q, "min", json_real(qmin));
	json_object_set_new(q, "scale", json_real(qscale));
	json_object_set_new(q, "dtype", json_string(bytes == 2 ? "uint16" :
	    "uint8"));
	json_object_set_new(w, "quantization", q);
	return (w);
}

/*
 * v as the files of a checkpoint, in the order a writer should publish
 * them: the shards (4 MiB each, as tfjs cuts them), config.json, and the
 * manifest last (it is what makes the others a model).
 */
int
ckpt_encode(const struct vae *v, enum ckpt_dtype dtype,
    struct ckpt_files *fs, char **cause)
{
	const struct vae_params	*p = &v->p;
	const struct vae_tensor	*t;
	json_t			*root, *grp, *ws, *paths;
	uint8_t			*bin;
	size_t			 len = 0, total = 0, off, nb;
	char			 name[64], *text;
	int			 k, bytes, nshards, i;

	memset(fs, 0, sizeof *fs);
	bytes = dtype == CKPT_FLOAT32 ? 4 : dtype == CKPT_UINT16 ? 2 : 1;
	for (k = 0; k < p->n_tensors; k++)
		total += p->tensors[k].n * bytes;
	bin = lr_malloc(total + 1);
	ws = json_array();
	for (k = 0; k < p->n_tensors; k++) {
		t = &p->tensors[k];
		if (!vae_has_sigma(v) &&
		    strncmp(t->name, "encoder/sigma/", 14) == 0)
			continue;
		json_array_append_new(ws, encode_tensor(t, dtype, bin + len));
		len += t->n * bytes;
	}
	nshards = len == 0 ? 1 : (int)((len + CKPT_SHARD_BYTES - 1) /
	    CKPT_SHARD_BYTES);
	paths = json_array();
	for (i = 0; i < nshards; i++) {
		snprintf(name, sizeof name, "group1-shard%dof%d", i + 1,
		    nshards);
		json_array_append_new(paths, json_string(name));
		off = (size_t)i * CKPT_SHARD_BYTES;
		nb = len - off < CKPT_SHARD_BYTES ? len - off :
		    CKPT_SHARD_BYTES;
		add_file(fs, name, memcpy(lr_malloc(nb + 1), bin + off, nb),
		    nb);
	}
	free(bin);
	text = v->config_json != NULL ? lr_strdup(v->config_json) :
	    vae_config_json(&p->arch);
	add_file(fs, CKPT_CONFIG, (uint8_t *)text, strlen(text));
	grp = json_object();
	json_object_set_new(grp, "paths", paths);
	json_object_set_new(grp, "weights", ws);
	root = json_array();
	json_array_append_new(root, grp);
	if ((text = json_dumps(root, JSON_INDENT(1) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(root);
		ckpt_files_free(fs);
		return (lr_fail(cause, "%s: out of memory", CKPT_MANIFEST));
	}
	json_decref(root);
	add_file(fs, CKPT_MANIFEST, (uint8_t *)text, strlen(text));
	return (0);
}

void
ckpt_files_free(struct ckpt_files *fs)
{
	int	i;

	for (i = 0; i < fs->n; i++) {
		free(fs->f[i].name);
		free(fs->f[i].data);
	}
	free(fs->f);
	memset(fs, 0, sizeof *fs);
}
