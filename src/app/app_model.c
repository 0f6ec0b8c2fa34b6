/*
 * app_model.c: the instrument's model part (struct app_model): the model
 * and its attribute vectors loaded, decode jobs submitted to the worker
 * (src/app/worker.c, which owns the model while it runs) and their
 * results taken back.
 */
#include "app.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrs.h"
#include "modeldir.h"
#include "linalg.h"
#include "clip.h"
#include "config.h"
#include "convert.h"
#include "jsonfile.h"
#include "keylock.h"
#include "live.h"
#include "midifile.h"
#include "set.h"
#include "worker.h"
#include "draw.h"
#include "keys.h"
#include "prompt.h"
#include "roll.h"
#include "ui.h"

/* attribute_vecs.json beside the model: {"name": [Z floats], "_meta"}. */
float *
app_load_vecs(struct app *a, int Z, char **cause)
{
	char		 path[PATH_MAX];
	json_t		*root, *v, *x;
	const char	*k;
	float		*vecs;
	size_t		 i;
	int		 n = 0;

	snprintf(path, sizeof path, "%s/attribute_vecs.json",
	    a->model.model_dir);
	if (access(path, F_OK) != 0)
		return (NULL);
	if ((root = jsonfile_load(path, cause)) == NULL)
		return (NULL);
	vecs = lr_calloc((size_t)ATTR_N * Z, sizeof *vecs);
	json_object_foreach(root, k, v) {
		if (k[0] == '_' || n == ATTR_N)
			continue;
		if (!json_is_array(v) || (int)json_array_size(v) != Z) {
			lr_fail(cause, "%s: %s: expected %d numbers", path, k,
			    Z);
			goto fail;
		}
		json_array_foreach(v, i, x) {
			if (!json_is_number(x)) {
				lr_fail(cause, "%s: %s[%zu] is not a number",
				    path, k, i);
				goto fail;
			}
			vecs[(size_t)n * Z + i] = (float)json_number_value(x);
		}
		a->model.attr_names[n] = lr_strdup(k);
		a->model.attr_id[n] = attrs_find(k);
		n++;
	}
	json_decref(root);
	a->model.n_attrs = n;
	a->model.have_vecs = n > 0;
	return (vecs);
fail:
	while (n > 0)
		free(a->model.attr_names[--n]);
	json_decref(root);
	free(vecs);
	return (NULL);
}

/*
 * Load the checkpoint and its attribute vectors, then hand the model to the
 * decode worker: from here on only the worker thread touches it.
 */
int
app_model_load(struct app *a, char **cause)
{
	struct vae	*v;
	float		*vecs;
	char		*vcause = NULL;
	const char	*base;
	int		 i;

	if ((v = modeldir_load(a->model.model_dir, cause)) == NULL)
		return (-1);
	a->model.arch = v->p.arch;
	a->model.T = a->model.arch.num_steps;
	a->model.S = a->model.arch.n_splits;
	base = strrchr(a->model.model_dir, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : a->model.model_dir;
	snprintf(a->model.model_name, sizeof a->model.model_name, "%s", base);

	vecs = app_load_vecs(a, a->model.arch.z_size, &vcause);
	if (vcause != NULL) {
		app_msg(a, 1, "%s", vcause);
		free(vcause);
	}
	if (!a->model.have_vecs) {
		/* Still show (and measure) every attribute, without knobs. */
		a->model.n_attrs = ATTR_N;
		for (i = 0; i < ATTR_N; i++) {
			a->model.attr_names[i] = lr_strdup(attrs_name(i));
			a->model.attr_id[i] = i;
		}
	}
	/* The config's precision (its errors are reported by app_config). */
	{
		struct config	c;
		char		*pc = NULL;

		config_init(&c);
		if (config_load(&c, NULL, NULL) == 0 &&
		    ((c.precision == CONFIG_PREC_BF16 &&
		    vae_set_precision(v, LINALG_BF16, &pc) != 0) ||
		    (c.precision == CONFIG_PREC_FP16 &&
		    vae_set_half(v, 1, &pc) != 0))) {
			app_msg(a, 1, "%s", pc);
			free(pc);
		}
	}
	a->model.w = worker_new(v, vecs, a->model.have_vecs ?
	    a->model.n_attrs : 0, cause);
	free(vecs);
	if (a->model.w == NULL) {
		vae_free(v);
		return (-1);
	}
	worker_result_init(a->model.w, &a->model.res);
	return (0);
}

/*
 * Ask the worker for a new ladder (or pad grid) after a change of clips or
 * knobs.  Stale results are recognised by gen and ignored; the clock
 * starts here for the key -> result latency on the status line.  The
 * result follows the new ladder: an edit goes to the undo stack, as on a
 * knob (a new clip, window or track was not heard while an edit played).
 */
void
app_submit(struct app *a)
{
	struct worker_job	j;

	roll_edit_drop(&a->r);

	memset(&j, 0, sizeof j);
	j.tok_a = a->clips[0].tokens;
	j.tok_b = a->clips[1].tokens;
	j.tok_c = a->clips[2].tokens;
	j.tok_d = a->clips[3].tokens;
	j.pad = a->r.pad_on;
	j.first = roll_point(&a->r);
	j.nudge = a->r.nudge;
	j.temperature = a->r.temperature;
	j.seed = a->r.seed;
	j.lerp = a->r.lerp;
	j.attr = a->model.have_vecs ? a->r.attr_sel : -1;
	j.nudge_step = ROLL_NUDGE_STEP;
	a->model.gen = worker_submit(a->model.w, &j);
	a->model.t_key = worker_now_ms();
}

int
app_take(struct app *a)
{
	if (!worker_take(a->model.w, &a->model.res))
		return (0);
	if (a->model.res.error[0] != '\0')
		app_msg(a, 1, "%s", a->model.res.error);
	app_show(a);
	a->r.dirty |= ROLL_DIRTY_ALL;
	return (1);
}
