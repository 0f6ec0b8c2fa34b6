/*
 * set.c: set files through jansson.  Loading is strict about types (a
 * wrong type is an error naming the field) and lenient about missing
 * fields (defaults), so an older or hand-written set still opens.
 */
#include "set.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonfile.h"

void
set_init(struct set *s)
{
	int	i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < 4; i++)
		s->track[i] = -1;
	s->slider = 16;
	s->seed = 1;
	s->qpm = LR_QPM_DEFAULT;
}

static void
nudges_free(struct set_nudges *n)
{
	int	i;

	for (i = 0; i < n->n; i++)
		free(n->name[i]);
	n->n = 0;
}

void
set_free(struct set *s)
{
	int	i;

	free(s->model);
	for (i = 0; i < 4; i++)
		free(s->clip[i]);
	nudges_free(&s->nudges);
	for (i = 0; i < SET_SNAPSHOTS; i++)
		nudges_free(&s->snap_nudges[i]);
	set_init(s);
}

void
set_nudge_add(struct set_nudges *n, const char *name, float v)
{
	if (n->n == SET_MAX_ATTRS)
		return;
	n->name[n->n] = lr_strdup(name);
	n->value[n->n++] = v;
}

float
set_nudge_get(const struct set_nudges *n, const char *name)
{
	int	i;

	for (i = 0; i < n->n; i++)
		if (strcmp(n->name[i], name) == 0)
			return (n->value[i]);
	return (0);
}

static json_t *
nudges_json(const struct set_nudges *n)
{
	json_t	*o = json_object();
	int	 i;

	for (i = 0; i < n->n; i++)
		json_object_set_new(o, n->name[i], json_real(n->value[i]));
	return (o);
}

static int
nudges_load(struct set_nudges *n, json_t *o, const char *path,
    const char *what, char **cause)
{
	const char	*k;
	json_t		*v;

	if (o == NULL)
		return (0);
	if (!json_is_object(o))
		return (lr_fail(cause, "%s: %s is not an object", path, what));
	json_object_foreach(o, k, v) {
		if (!json_is_number(v))
			return (lr_fail(cause, "%s: %s.%s is not a number",
			    path, what, k));
		set_nudge_add(n, k, (float)json_number_value(v));
	}
	return (0);
}

/*
 * A set may replace an older set (S again saves over the set in use), but
 * nothing else: not a clip, not a file the user made for something else.
 */
static int
replaceable(const char *path)
{
	json_t	*root;
	int	 ok;

	if (access(path, F_OK) != 0)
		return (1);
	if ((root = jsonfile_load(path, NULL)) == NULL)
		return (0);
	ok = json_is_object(root) &&
	    json_object_get(root, "latentroll_set") != NULL;
	json_decref(root);
	return (ok);
}

int
set_save(const struct set *s, const char *path, char **cause)
{
	json_t	*root, *clips, *c, *snaps, *sn;
	int	 i, rc;

	root = json_object();
	json_object_set_new(root, "latentroll_set", json_integer(1));
	if (s->model != NULL)
		json_object_set_new(root, "model", json_string(s->model));
	clips = json_array();
	/* Pad corners C, D only when one is loaded (indices stay). */
	for (i = 0; i < (s->clip[2] != NULL || s->clip[3] != NULL ? 4 : 2);
	    i++) {
		c = json_object();
		json_object_set_new(c, "path", s->clip[i] != NULL ?
		    json_string(s->clip[i]) : json_null());
		if (s->track[i] >= 0)
			json_object_set_new(c, "track",
			    json_integer(s->track[i]));
		json_object_set_new(c, "window", json_integer(s->window[i]));
		json_array_append_new(clips, c);
	}
	json_object_set_new(root, "clips", clips);
	json_object_set_new(root, "slider", json_integer(s->slider));
	c = json_object();
	json_object_set_new(c, "on", json_boolean(s->pad_on));
	json_object_set_new(c, "x", json_integer(s->pad_x));
	json_object_set_new(c, "y", json_integer(s->pad_y));
	json_object_set_new(root, "pad", c);
	json_object_set_new(root, "interp", json_string(s->lerp ? "lerp" :
	    "slerp"));
	json_object_set_new(root, "temperature", json_real(s->temperature));
	json_object_set_new(root, "seed", json_integer(s->seed));
	json_object_set_new(root, "qpm", json_real(s->qpm));
	json_object_set_new(root, "nudges", nudges_json(&s->nudges));
	snaps = json_array();
	for (i = 0; i < SET_SNAPSHOTS; i++) {
		if (!s->snap_valid[i])
			continue;
		sn = json_object();
		json_object_set_new(sn, "slot", json_integer(i));
		json_object_set_new(sn, "slider", json_integer(s->snap_slider[i]));
		c = json_object();
		json_object_set_new(c, "on", json_boolean(s->snap_pad_on[i]));
		json_object_set_new(c, "x", json_integer(s->snap_pad_x[i]));
		json_object_set_new(c, "y", json_integer(s->snap_pad_y[i]));
		json_object_set_new(sn, "pad", c);
		json_object_set_new(sn, "nudges", nudges_json(&s->snap_nudges[i]));
		json_array_append_new(snaps, sn);
	}
	json_object_set_new(root, "snapshots", snaps);

	if (!replaceable(path)) {
		json_decref(root);
		return (lr_fail(cause, "%s: exists and is not a set file (not "
		    "overwritten; choose another name)", path));
	}
	rc = jsonfile_save(root, path, cause);
	json_decref(root);
	return (rc);
}

static int
get_int(json_t *root, const char *key, int *out, int lo, int hi,
    const char *path, char **cause)
{
	json_t	*v = json_object_get(root, key);

	if (v == NULL)
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return (lr_fail(cause, "%s: %s must be an integer in %d..%d",
		    path, key, lo, hi));
	*out = (int)json_integer_value(v);
	return (0);
}

/*
 * A relative path in a set is relative to the set file, as in a playlist:
 * a hand-written set beside its clips opens from any directory.
 */
static char *
set_path_dup(const char *set_path, const char *p)
{
	const char	*slash = strrchr(set_path, '/');
	char		*out;

	if (p[0] == '/' || slash == NULL)
		return (lr_strdup(p));
	if (asprintf(&out, "%.*s/%s", (int)(slash - set_path), set_path,
	    p) == -1)
		return (lr_strdup(p));
	return (out);
}

/* The one message for a field of the wrong type or range. */
static int
bad_type(const char *path, char **cause)
{
	return (lr_fail(cause, "%s: a field has the wrong type or range",
	    path));
}

/* "clips": up to four {path, track, window}. */
static int
load_clips(struct set *s, json_t *v, const char *path, char **cause)
{
	json_t	*c, *p;
	size_t	 i;

	if (!json_is_array(v) || json_array_size(v) > 4)
		return (bad_type(path, cause));
	json_array_foreach(v, i, c) {
		p = json_object_get(c, "path");
		if (!json_is_object(c))
			return (bad_type(path, cause));
		if (json_is_string(p))
			s->clip[i] = set_path_dup(path, json_string_value(p));
		if (get_int(c, "track", &s->track[i], -1, 1 << 16, path,
		    cause) != 0 || get_int(c, "window", &s->window[i], 0,
		    1 << 20, path, cause) != 0)
			return (-1);
	}
	return (0);
}

/* A pad object {x, y, on} into x, y and on. */
static int
load_pad(json_t *v, int *x, int *y, int *on, const char *path, char **cause)
{
	if (!json_is_object(v) || get_int(v, "x", x, 0, 4, path, cause) != 0 ||
	    get_int(v, "y", y, 0, 4, path, cause) != 0)
		return (bad_type(path, cause));
	*on = json_is_true(json_object_get(v, "on"));
	return (0);
}

/* The knobs: slider, seed, pad, interpolation, temperature, tempo. */
static int
load_knobs(struct set *s, json_t *root, const char *path, char **cause)
{
	json_t	*v;

	if (get_int(root, "slider", &s->slider, 0, 32, path, cause) != 0)
		return (-1);
	/* The seed is a full 32-bit LCG state (r reseeds): 0..2^32-1. */
	if ((v = json_object_get(root, "seed")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 0xffffffffLL)
			return (lr_fail(cause, "%s: seed must be an integer in "
			    "0..4294967295", path));
		s->seed = (unsigned)json_integer_value(v);
	}
	if ((v = json_object_get(root, "pad")) != NULL &&
	    load_pad(v, &s->pad_x, &s->pad_y, &s->pad_on, path, cause) != 0)
		return (-1);
	if ((v = json_object_get(root, "interp")) != NULL) {
		if (!json_is_string(v))
			return (bad_type(path, cause));
		s->lerp = strcmp(json_string_value(v), "lerp") == 0;
	}
	if ((v = json_object_get(root, "temperature")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 10)
			return (bad_type(path, cause));
		s->temperature = (float)json_number_value(v);
	}
	if ((v = json_object_get(root, "qpm")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < LR_QPM_MIN ||
		    json_number_value(v) > LR_QPM_MAX)
			return (bad_type(path, cause));
		s->qpm = json_number_value(v);
	}
	return (0);
}

/* "snapshots": [{slot, slider, pad?, nudges}]. */
static int
load_snapshots(struct set *s, json_t *v, const char *path, char **cause)
{
	json_t	*sn, *c;
	size_t	 i;
	int	 slot;

	if (!json_is_array(v))
		return (bad_type(path, cause));
	json_array_foreach(v, i, sn) {
		slot = -1;
		if (!json_is_object(sn) || get_int(sn, "slot", &slot, 0,
		    SET_SNAPSHOTS - 1, path, cause) != 0 || slot < 0)
			return (bad_type(path, cause));
		s->snap_valid[slot] = 1;
		if ((c = json_object_get(sn, "pad")) != NULL &&
		    load_pad(c, &s->snap_pad_x[slot], &s->snap_pad_y[slot],
		    &s->snap_pad_on[slot], path, cause) != 0)
			return (-1);
		if (get_int(sn, "slider", &s->snap_slider[slot], 0, 32, path,
		    cause) != 0 || nudges_load(&s->snap_nudges[slot],
		    json_object_get(sn, "nudges"), path, "snapshot",
		    cause) != 0)
			return (-1);
	}
	return (0);
}

int
set_load(struct set *s, const char *path, char **cause)
{
	json_t	*root, *v;
	FILE	*f;
	char	 head[4];
	size_t	 n;
	int	 rc = -1;

	set_init(s);
	if ((root = jsonfile_load(path, cause)) == NULL) {
		/* A clip given for a set (--set a.mid) gets a word on what
		   a set is, not JSON's complaint about the bytes 'MThd'. */
		if ((f = fopen(path, "rb")) != NULL) {
			n = fread(head, 1, sizeof head, f);
			fclose(f);
			if (n == sizeof head && memcmp(head, "MThd", 4) == 0)
				return (lr_fail(cause, "%s: a MIDI file, not a "
				    "set (a set is the .set file S saves; "
				    "clips open as A.mid B.mid)", path));
		}
		return (-1);
	}
	if (!json_is_object(root) ||
	    json_object_get(root, "latentroll_set") == NULL) {
		json_decref(root);
		return (lr_fail(cause, "%s: not a latentroll set file", path));
	}
	if ((v = json_object_get(root, "model")) != NULL) {
		if (!json_is_string(v)) {
			bad_type(path, cause);
			goto out;
		}
		s->model = set_path_dup(path, json_string_value(v));
	}
	if ((v = json_object_get(root, "clips")) != NULL &&
	    load_clips(s, v, path, cause) != 0)
		goto out;
	if (load_knobs(s, root, path, cause) != 0 ||
	    nudges_load(&s->nudges, json_object_get(root, "nudges"), path,
	    "nudges", cause) != 0)
		goto out;
	if ((v = json_object_get(root, "snapshots")) != NULL &&
	    load_snapshots(s, v, path, cause) != 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		set_free(s);
	return (rc);
}
