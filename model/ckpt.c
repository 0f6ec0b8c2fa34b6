/*
 * ckpt.c: magenta.js checkpoints (spec B 6): config.json, the weights
 * manifest and its binary shards, float32 or uint8/uint16 quantized.  The
 * only file of model/ that touches the file system.  Every cause names the
 * file and, where there is one, the tensor.
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

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

#define CKPT_SHARD_BYTES	(4 * 1024 * 1024)
#define CKPT_CONFIG		"config.json"
#define CKPT_MANIFEST		"weights_manifest.json"

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

static int	 read_file(const char *, uint8_t **, size_t *, char **);
static void	 manifest_free(struct manifest *);
static int	 manifest_load(struct manifest *, const char *, char **);
static const char *bad_shard(const struct group *);
static struct entry *find(struct manifest *, const char *);
static int	 read_config(const char *, struct vae_arch *, char **);
static int	 infer_arch(struct manifest *, struct vae_arch *,
		    const char *, char **);
static int	 fill(struct vae *, struct manifest *, const char *,
		    char **);

/* Whole file into memory (shards are at most a few MiB each). */
static int
read_file(const char *path, uint8_t **out, size_t *len, char **cause)
{
	FILE		*f;
	struct stat	 st;
	uint8_t		*buf;

	if ((f = fopen(path, "rb")) == NULL)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return (lr_fail(cause, "%s: not a regular file", path));
	}
	buf = lr_malloc((size_t)st.st_size + 1);
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		free(buf);
		return (lr_fail(cause, "%s: read error", path));
	}
	fclose(f);
	buf[st.st_size] = '\0';
	*out = buf;
	*len = (size_t)st.st_size;
	return (0);
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

/*
 * Parse the manifest and read every group's shards.  Weights of a group
 * are packed back to back in manifest order across its shards.
 */
static int
manifest_load(struct manifest *m, const char *dir, char **cause)
{
	char		*mp, *sp;
	json_error_t	 je;
	json_t		*grp, *paths, *ws, *w, *jv, *q;
	struct group	*g;
	struct entry	*e;
	size_t		 gi, k, wi, off, len, d;
	uint8_t		*buf;
	const char	*dt, *s;
	long long	 v;

	memset(m, 0, sizeof *m);
	mp = lr_path_join(dir, CKPT_MANIFEST);
	if (access(mp, R_OK) != 0) {
		lr_fail(cause, "%s: %s", mp, strerror(errno));
		goto fail;
	}
	if ((m->root = json_load_file(mp, 0, &je)) == NULL) {
		lr_fail(cause, "%s: line %d: %s", mp, je.line, je.text);
		goto fail;
	}
	if (!json_is_array(m->root) || json_array_size(m->root) == 0) {
		lr_fail(cause, "%s: not a non-empty array of weight groups",
		    mp);
		goto fail;
	}
	m->n_groups = (int)json_array_size(m->root);
	m->g = lr_calloc(m->n_groups, sizeof *m->g);
	json_array_foreach(m->root, gi, grp) {
		g = &m->g[gi];
		paths = json_object_get(grp, "paths");
		ws = json_object_get(grp, "weights");
		if (!json_is_array(paths) || !json_is_array(ws)) {
			lr_fail(cause, "%s: group %zu needs \"paths\" and "
			    "\"weights\" arrays", mp, gi + 1);
			goto fail;
		}
		g->n_paths = (int)json_array_size(paths);
		g->paths = lr_calloc(g->n_paths + 1, sizeof *g->paths);
		g->ends = lr_calloc(g->n_paths + 1, sizeof *g->ends);
		json_array_foreach(paths, k, jv) {
			s = json_string_value(jv);
			if (s == NULL || *s == '\0' || *s == '/' ||
			    strstr(s, "..") != NULL) {
				lr_fail(cause, "%s: group %zu: bad shard path",
				    mp, gi + 1);
				goto fail;
			}
			g->paths[k] = lr_strdup(s);
			sp = lr_path_join(dir, s);
			if (read_file(sp, &buf, &len, cause) != 0) {
				free(sp);
				goto fail;
			}
			free(sp);
			g->buf = lr_realloc(g->buf, g->len + len + 1);
			memcpy(g->buf + g->len, buf, len);
			free(buf);
			g->len += len;
			g->ends[k] = g->len;
		}
		m->e = lr_realloc(m->e, (m->n + json_array_size(ws)) *
		    sizeof *m->e);
		off = 0;
		json_array_foreach(ws, wi, w) {
			e = &m->e[m->n++];
			memset(e, 0, sizeof *e);
			e->group = (int)gi;
			e->name = json_string_value(json_object_get(w, "name"));
			if (e->name == NULL) {
				lr_fail(cause, "%s: weight %zu has no name",
				    mp, wi);
				goto fail;
			}
			jv = json_object_get(w, "shape");
			if (!json_is_array(jv) || json_array_size(jv) > 4) {
				lr_fail(cause, "%s: tensor %s: bad shape", mp,
				    e->name);
				goto fail;
			}
			e->ndim = (int)json_array_size(jv);
			e->n = 1;
			for (d = 0; d < (size_t)e->ndim; d++) {
				v = json_integer_value(json_array_get(jv, d));
				if (!json_is_integer(json_array_get(jv, d)) ||
				    v < 0 || v > (1LL << 31)) {
					lr_fail(cause, "%s: tensor %s: bad "
					    "shape", mp, e->name);
					goto fail;
				}
				e->shape[d] = v;
				/* A product past SIZE_MAX would wrap to a
				   small size and shift every later tensor. */
				if (v != 0 && e->n > SIZE_MAX / (size_t)v) {
					lr_fail(cause, "%s: tensor %s: shape too "
					    "large", mp, e->name);
					goto fail;
				}
				e->n *= (size_t)v;
			}
			dt = json_string_value(json_object_get(w, "dtype"));
			if (dt == NULL || (strcmp(dt, "float32") != 0 &&
			    strcmp(dt, "int32") != 0)) {
				lr_fail(cause, "%s: tensor %s: unknown dtype "
				    "%s", mp, e->name, dt ? dt : "(none)");
				goto fail;
			}
			e->bytes = 4;
			e->is_int = strcmp(dt, "int32") == 0;
			q = json_object_get(w, "quantization");
			if (q != NULL) {
				dt = json_string_value(json_object_get(q,
				    "dtype"));
				if (dt != NULL && strcmp(dt, "float16") == 0) {
					/* Newer tfjs: IEEE half, no min/scale. */
					e->bytes = 2;
					e->quant = 2;
				} else if (dt != NULL &&
				    strcmp(dt, "uint8") == 0)
					e->bytes = 1;
				else if (dt != NULL &&
				    strcmp(dt, "uint16") == 0)
					e->bytes = 2;
				else {
					lr_fail(cause, "%s: tensor %s: unknown "
					    "quantization dtype %s", mp,
					    e->name, dt ? dt : "(none)");
					goto fail;
				}
				if (e->quant == 0)
					e->quant = 1;
				e->qmin = json_number_value(json_object_get(q,
				    "min"));
				e->qscale = json_number_value(
				    json_object_get(q, "scale"));
				if (e->quant == 1 &&
				    (!json_is_number(json_object_get(q, "min")) ||
				    !json_is_number(json_object_get(q,
				    "scale")) || !isfinite(e->qmin) ||
				    !isfinite(e->qscale))) {
					lr_fail(cause, "%s: tensor %s: bad "
					    "quantization min/scale", mp,
					    e->name);
					goto fail;
				}
			}
			e->off = off;
			/* Compared by division: n * bytes may not fit. */
			if (e->n > (g->len - off) / (size_t)e->bytes) {
				lr_fail(cause, "%s/%s: short shard: tensor %s "
				    "(%zu elements of %d bytes) starts at byte "
				    "%zu of the group's %zu (per %s)", dir,
				    bad_shard(g), e->name, e->n, e->bytes, off,
				    g->len, CKPT_MANIFEST);
				goto fail;
			}
			off += e->n * e->bytes;
			e->data = g->buf + e->off;
		}
		if (off != g->len) {
			lr_fail(cause, "%s/%s: %zu extra bytes after the "
			    "last tensor of group %zu (per %s)", dir,
			    bad_shard(g), g->len - off, gi + 1,
			    CKPT_MANIFEST);
			goto fail;
		}
	}
	/* tfjs keeps the last of two weights with one name, find() the
	   first: refuse rather than pick one quietly. */
	for (wi = 0; wi < (size_t)m->n; wi++)
		for (k = 0; k < wi; k++)
			if (strcmp(m->e[k].name, m->e[wi].name) == 0) {
				lr_fail(cause, "%s: tensor %s is listed twice",
				    mp, m->e[wi].name);
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

/* The converter part of config.json: kind, steps, segments, depths. */
static int
read_config(const char *path, struct vae_arch *a, char **cause)
{
	json_error_t	 je;
	json_t		*root, *conv, *args, *jv;
	const char	*type;
	static const char *unsup[] = { "chordEncoder", "conditionOnKey",
			    "extraControls" };
	size_t		 i;
	int		 rc = -1;

	memset(a, 0, sizeof *a);
	if (access(path, R_OK) != 0)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	if ((root = json_load_file(path, 0, &je)) == NULL)
		return (lr_fail(cause, "%s: line %d: %s", path, je.line,
		    je.text));
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
	conv = json_object_get(root, "dataConverter");
	type = json_string_value(json_object_get(conv, "type"));
	args = json_object_get(conv, "args");
	if (type == NULL || !json_is_object(args)) {
		lr_fail(cause, "%s: dataConverter needs a type and args", path);
		goto out;
	}
	jv = json_object_get(args, "numSteps");
	if (!json_is_integer(jv) || json_integer_value(jv) <= 0 ||
	    json_integer_value(jv) > 4096) {
		lr_fail(cause, "%s: numSteps missing or not a positive integer",
		    path);
		goto out;
	}
	a->num_steps = (int)json_integer_value(jv);
	jv = json_object_get(args, "numSegments");
	if (jv != NULL && !json_is_null(jv)) {
		if (!json_is_integer(jv) || json_integer_value(jv) <= 0 ||
		    a->num_steps % json_integer_value(jv) != 0) {
			lr_fail(cause, "%s: numSegments must divide numSteps",
			    path);
			goto out;
		}
		a->num_segments = (int)json_integer_value(jv);
	}
	if (strcmp(type, "MelodyConverter") == 0) {
		if (check_pitch(args, path, cause) != 0)
			goto out;
		params_kind_depths(a, VAE_MELODY, 0);
	} else if (strcmp(type, "DrumsConverter") == 0) {
		params_kind_depths(a, VAE_DRUMS, 1);
	} else if (strcmp(type, "DrumsOneHotConverter") == 0) {
		params_kind_depths(a, VAE_DRUMS, 0);
	} else if (strcmp(type, "TrioConverter") == 0) {
		if (check_pitch(json_object_get(args, "melArgs"), path,
		    cause) != 0 || check_pitch(json_object_get(args,
		    "bassArgs"), path, cause) != 0)
			goto out;
		params_kind_depths(a, VAE_TRIO, 0);
	} else {
		lr_fail(cause, "%s: converter %s is not supported", path, type);
		goto out;
	}
	rc = 0;
out:
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
 * Load a checkpoint directory: converter from config.json, layer counts
 * and widths from the manifest's shapes, then every tensor by name.
 */
struct vae *
ckpt_load(const char *dir, char **cause)
{
	struct vae_arch		 a;
	struct manifest		 m;
	struct vae		*v;
	char			*cp, *mp;
	uint8_t			*text;
	size_t			 len;

	cp = lr_path_join(dir, CKPT_CONFIG);
	mp = lr_path_join(dir, CKPT_MANIFEST);
	v = NULL;
	if (read_config(cp, &a, cause) != 0)
		goto out;
	if (manifest_load(&m, dir, cause) != 0)
		goto out;
	if (infer_arch(&m, &a, mp, cause) != 0 ||
	    (v = vae_new(&a, cause)) == NULL) {
		manifest_free(&m);
		goto out;
	}
	if (fill(v, &m, dir, cause) != 0) {
		manifest_free(&m);
		vae_free(v);
		v = NULL;
		goto out;
	}
	manifest_free(&m);
	/* Keep the original config.json to write it back unchanged. */
	if (read_file(cp, &text, &len, NULL) == 0) {
		free(v->config_json);
		v->config_json = (char *)text;
	}
out:
	free(cp);
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

/*
 * Write a whole buffer to path; -1 with a cause.  fsync so that the
 * renames that follow never publish a file whose data is not on disk.
 */
static int
write_file(const char *path, const void *buf, size_t len, char **cause)
{
	FILE	*f;
	int	 bad;

	if ((f = fopen(path, "wb")) == NULL)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	bad = fwrite(buf, 1, len, f) != len;
	bad |= fflush(f) != 0;
	bad |= fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad) {
		unlink(path);
		return (lr_fail(cause, "%s: write error", path));
	}
	return (0);
}

/* A file name of the model's own set: a shard of any count, config,
   manifest. */
static int
model_name(const char *name)
{
	int	i, n, used = 0;

	if (strcmp(name, CKPT_CONFIG) == 0 || strcmp(name, CKPT_MANIFEST) == 0)
		return (1);
	return (sscanf(name, "group1-shard%dof%d%n", &i, &n, &used) == 2 &&
	    name[used] == '\0');
}

/* Remove a tree this file made; symbolic links are removed, not followed. */
static void
rm_tree(const char *path)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*sub;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = lr_path_join(path, de->d_name);
			rm_tree(sub);
			free(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/*
 * Hard-link every entry of src into dst (which exists), directories as new
 * directories linked recursively; at the top level, not the model's own
 * files.  Links share the inode, so a file held open (curve.tsv) keeps
 * being the file in the new directory.
 */
static int
link_tree(const char *src, const char *dst, int top, char **cause)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*a, *b;
	int		 rc = 0;

	if ((d = opendir(src)) == NULL)
		return (lr_fail(cause, "%s: %s", src, strerror(errno)));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (top && model_name(de->d_name)))
			continue;
		a = lr_path_join(src, de->d_name);
		b = lr_path_join(dst, de->d_name);
		if (lstat(a, &st) != 0)
			;	/* gone meanwhile */
		else if (S_ISDIR(st.st_mode)) {
			if (mkdir(b, st.st_mode & 07777) != 0)
				rc = lr_fail(cause, "%s: %s", b,
				    strerror(errno));
			else
				rc = link_tree(a, b, 0, cause);
		} else if (link(a, b) != 0 && errno != ENOENT)
			rc = lr_fail(cause, "%s: %s", b, strerror(errno));
		free(a);
		free(b);
	}
	closedir(d);
	return (rc);
}

/* The parent of dir's first k characters, and (into it) the last name. */
static char *
parent_of(const char *dir, int k, char **base)
{
	char	*parent;

	parent = lr_malloc(k + 3);
	snprintf(parent, k + 3, "%.*s", k, dir);
	if ((*base = strrchr(parent, '/')) != NULL) {
		if (*base == parent) {	/* "/name" */
			memmove(parent + 1, parent, strlen(parent) + 1);
			*base = parent + 2;
			parent[1] = '\0';
		} else
			*(*base)++ = '\0';
	} else {
		memmove(parent + 2, parent, strlen(parent) + 1);
		*base = parent + 2;
		parent[0] = '.';
		parent[1] = '\0';
	}
	return (parent);
}

/*
 * Remove what an interrupted save left beside dir: its temporary
 * directories, named dir.tmpXXXXXX (mkdtemp's six characters).
 */
static void
clean_stale(const char *dir, int k)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*parent, *base, *path;
	size_t		 n;

	parent = parent_of(dir, k, &base);
	n = strlen(base);
	if ((d = opendir(parent)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, base, n) != 0 ||
			    strncmp(de->d_name + n, ".tmp", 4) != 0 ||
			    strlen(de->d_name + n + 4) != 6)
				continue;
			path = lr_path_join(parent, de->d_name);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(path);
			free(path);
		}
		closedir(d);
	}
	free(parent);
}

/* Whether this process's working directory is dir (a real path) or in it. */
static int
cwd_inside(const char *dir)
{
	char	*cwd;
	size_t	 n = strlen(dir);
	int	 in;

	if ((cwd = realpath(".", NULL)) == NULL)
		return (1);	/* removed already: do not make it worse */
	in = strncmp(cwd, dir, n) == 0 && (cwd[n] == '\0' || cwd[n] == '/' ||
	    strcmp(dir, "/") == 0);
	free(cwd);
	return (in);
}

/* fsync a directory, so the entries renamed into it last. */
static void
sync_dir(const char *path)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int
newer(const struct stat *a, const struct stat *b)
{
	return (a->st_mtim.tv_sec != b->st_mtim.tv_sec ?
	    a->st_mtim.tv_sec > b->st_mtim.tv_sec :
	    a->st_mtim.tv_nsec > b->st_mtim.tv_nsec);
}

/*
 * After the exchange, old (the previous directory) may hold files that
 * others wrote into dir while the new one was being linked: entries the
 * new directory lacks, or that were replaced there later than the new
 * directory's copy was written, move over.  Then old is removed.
 */
static void
reconcile(const char *old, const char *dir)
{
	struct dirent	*de;
	struct stat	 so, sn;
	DIR		*d;
	char		*a, *b;

	if ((d = opendir(old)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    model_name(de->d_name))
				continue;
			a = lr_path_join(old, de->d_name);
			b = lr_path_join(dir, de->d_name);
			if (lstat(a, &so) == 0 && !S_ISDIR(so.st_mode) &&
			    (lstat(b, &sn) != 0 || (sn.st_ino != so.st_ino &&
			    newer(&so, &sn))))
				(void)rename(a, b);
			free(a);
			free(b);
		}
		closedir(d);
	}
	rm_tree(old);
}

/* Save v as a checkpoint directory. */
int
ckpt_save(const struct vae *v, const char *dir, enum ckpt_dtype dtype,
    char **cause)
{
	const struct vae_params	*p = &v->p;
	const struct vae_tensor	*t;
	json_t			*root, *grp, *ws, *w, *paths, *q;
	uint8_t			*bin = NULL;
	size_t			 len = 0, cap = 0, nb, off;
	char			*tmpdir, *cfg = NULL, *man = NULL, **names;
	char			*src, *dst, name[64], *real = NULL;
	struct stat		 st;
	int			 k, bytes, nshards, exists, rc = -1, i, nf = 0;
	int			 dlen;
	double			 qmin, qscale;
	mode_t			 mask;

	/* The binary and the manifest, in layout order. */
	ws = json_array();
	bytes = dtype == CKPT_FLOAT32 ? 4 : dtype == CKPT_UINT16 ? 2 : 1;
	for (k = 0; k < p->n_tensors; k++) {
		t = &p->tensors[k];
		if (!vae_has_sigma(v) &&
		    strncmp(t->name, "encoder/sigma/", 14) == 0)
			continue;
		nb = t->n * bytes;
		if (len + nb > cap) {
			cap = (len + nb) * 2;
			bin = lr_realloc(bin, cap);
		}
		w = json_object();
		json_object_set_new(w, "name", json_string(t->name));
		json_object_set_new(w, "shape", t->ndim == 2 ?
		    json_pack("[i,i]", t->shape[0], t->shape[1]) :
		    json_pack("[i]", t->shape[0]));
		json_object_set_new(w, "dtype", json_string("float32"));
		if (dtype == CKPT_FLOAT32)
			memcpy(bin + len, t->p, nb);
		else {
			quantize(bin + len, t->p, t->n, 8 * bytes, &qmin,
			    &qscale);
			q = json_object();
			json_object_set_new(q, "min", json_real(qmin));
			json_object_set_new(q, "scale", json_real(qscale));
			json_object_set_new(q, "dtype", json_string(bytes == 2 ?
			    "uint16" : "uint8"));
			json_object_set_new(w, "quantization", q);
		}
		json_array_append_new(ws, w);
		len += nb;
	}
	nshards = len == 0 ? 1 : (int)((len + CKPT_SHARD_BYTES - 1) /
	    CKPT_SHARD_BYTES);
	paths = json_array();
	names = lr_calloc(nshards + 2, sizeof *names);
	for (i = 0; i < nshards; i++) {
		snprintf(name, sizeof name, "group1-shard%dof%d", i + 1,
		    nshards);
		names[nf++] = lr_strdup(name);
		json_array_append_new(paths, json_string(name));
	}
	names[nf++] = lr_strdup(CKPT_CONFIG);
	names[nf++] = lr_strdup(CKPT_MANIFEST);	/* last: the commit */
	grp = json_object();
	json_object_set_new(grp, "paths", paths);
	json_object_set_new(grp, "weights", ws);
	root = json_array();
	json_array_append_new(root, grp);
	man = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	cfg = v->config_json != NULL ? lr_strdup(v->config_json) :
	    vae_config_json(&p->arch);

	/* Everything into a sibling temporary directory first.  An existing
	   directory by its real path: "." or "m/.." has no sibling name. */
	if ((real = realpath(dir, NULL)) != NULL)
		dir = real;
	nb = strlen(dir) + 16;
	tmpdir = lr_malloc(nb);
	/* "model/" names the same directory as "model": drop the slashes. */
	dlen = (int)strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	snprintf(tmpdir, nb, "%.*s.tmpXXXXXX", dlen, dir);
	clean_stale(dir, dlen);
	if (mkdtemp(tmpdir) == NULL) {
		lr_fail(cause, "%s: %s", tmpdir, strerror(errno));
		free(tmpdir);
		tmpdir = NULL;
		goto out;
	}
	/* mkdtemp makes it 0700; a model directory is as mkdir would make. */
	mask = umask(0);
	umask(mask);
	chmod(tmpdir, 0777 & ~mask);
	for (i = 0; i < nf; i++) {
		src = lr_path_join(tmpdir, names[i]);
		if (i < nshards) {
			off = (size_t)i * CKPT_SHARD_BYTES;
			nb = len - off < CKPT_SHARD_BYTES ? len - off :
			    CKPT_SHARD_BYTES;
			k = write_file(src, bin + off, nb, cause);
		} else if (i == nshards)
			k = write_file(src, cfg, strlen(cfg), cause);
		else
			k = write_file(src, man, strlen(man), cause);
		free(src);
		if (k != 0)
			goto clean;
	}
	exists = stat(dir, &st) == 0;
	if (exists && !S_ISDIR(st.st_mode)) {
		lr_fail(cause, "%s: exists and is not a directory", dir);
		goto clean;
	}
	if (!exists) {
		if (rename(tmpdir, dir) != 0) {
			lr_fail(cause, "%s: %s", dir, strerror(errno));
			goto clean;
		}
		rc = 0;
		goto out;
	}
	/*
	 * An existing model directory may hold other files (training state,
	 * curve, model card, attribute vectors): the new directory gets hard
	 * links to them, then the two are exchanged in one renameat2, so a
	 * reader or a kill -9 sees the whole old set or the whole new one.
	 * The old directory, now under the temporary name, is removed (or,
	 * after a kill, by the next save).
	 */
	chmod(tmpdir, st.st_mode & 07777);
	if (cwd_inside(dir))
		goto one_by_one;
	if (link_tree(dir, tmpdir, 1, cause) != 0)
		goto clean;
	sync_dir(tmpdir);
	if (renameat2(AT_FDCWD, tmpdir, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
		char *base, *parent = parent_of(dir, dlen, &base);

		sync_dir(parent);
		free(parent);
		reconcile(tmpdir, dir);
		rc = 0;
		goto out;
	}
	/*
	 * No exchange here (another kernel or file system, a mount point),
	 * or our own working directory is in dir (the exchange would leave
	 * us in the removed old one, where "./trainstate.bin" goes next):
	 * replace ours one by one, manifest last; a kill -9 in between can
	 * mix two saves' shards.
	 */
one_by_one:
	for (i = 0; i < nf; i++) {
		src = lr_path_join(tmpdir, names[i]);
		dst = lr_path_join(dir, names[i]);
		k = rename(src, dst);
		if (k != 0)
			lr_fail(cause, "%s: %s", dst, strerror(errno));
		free(src);
		free(dst);
		if (k != 0)
			goto clean;
	}
	rc = 0;
clean:
	rm_tree(tmpdir);
out:
	for (i = 0; i < nf; i++)
		free(names[i]);
	free(names);
	free(tmpdir);
	free(bin);
	free(cfg);
	free(man);
	free(real);
	return (rc);
}
