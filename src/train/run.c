/*
 * run.c: what a training run writes and reads besides its steps: the
 * checkpoint, training state and model card of a save, the window cache's
 * name, a warm start (--init) and a transfer (--init-from).  The CLI
 * (src/cli/cmd_train.c) parses, loops and prints.
 */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic.h"
#include "modeldir.h"
#include "jsonfile.h"
#include "linalg.h"

/* Cache name from the window shape, so train and eval share it. */
void
run_cache_name(char *buf, size_t len, const struct vae_arch *a)
{
	static const char *kind[] = { "melody", "drums", "trio" };

	snprintf(buf, len, "%s%d", kind[a->kind], a->num_steps);
}

static int
write_card(const char *out, const struct train_args *ta,
    const struct vae_arch *a, const struct dataset *ds, long step,
    double train_acc, double valid_acc, double valid_sacc, double valid_kl,
    size_t n_params, char **cause)
{
	json_t		*card, *hp, *data, *arch, *old = NULL;
	char		*path, date[64];
	time_t		 t = time(NULL);
	int		 rc = 0;

	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	arch = json_object();
	json_object_set_new(arch, "name", json_string(ta->arch));
	json_object_set_new(arch, "num_steps", json_integer(a->num_steps));
	json_object_set_new(arch, "num_segments",
	    json_integer(a->num_segments));
	json_object_set_new(arch, "enc_size", json_integer(a->enc_size[0]));
	json_object_set_new(arch, "z_size", json_integer(a->z_size));
	json_object_set_new(arch, "dec_layers", json_integer(a->dec_layers));
	json_object_set_new(arch, "dec_size", json_integer(a->dec_size[0]));
	json_object_set_new(arch, "n_params", json_integer(n_params));
	data = json_object();
	json_object_set_new(data, "dir", json_string(ta->data));
	json_object_set_new(data, "files", json_integer(ds->n_files));
	json_object_set_new(data, "files_used", json_integer(ds->n_used));
	json_object_set_new(data, "windows_train",
	    json_integer(ds->n[DATASET_TRAIN]));
	json_object_set_new(data, "windows_valid",
	    json_integer(ds->n[DATASET_VALID]));
	json_object_set_new(data, "windows_test",
	    json_integer(ds->n[DATASET_TEST]));
	json_object_set_new(data, "split", json_string("FNV-1a 32 of the "
	    "file basename mod 100: <90 train, <95 valid, else test"));
	json_object_set_new(data, "transpose", json_integer(ta->max_shift));
	json_object_set_new(data, "meters", json_string(ta->two_four ?
	    "4/4 and 2/2; 2/4 with two bars as one (--two-four)" :
	    "4/4 and 2/2"));
	json_object_set_new(data, "transpose_rule", json_string("uniform "
	    "shift in [-transpose, +transpose], narrowed per window so every "
	    "pitch stays in 21..108"));
	json_object_set_new(data, "report", json_string(ds->report));
	hp = json_object();
	json_object_set_new(hp, "batch", json_integer(ta->batch));
	json_object_set_new(hp, "seed", json_integer(ta->seed));
	json_object_set_new(hp, "threads", json_integer(ta->threads));
	json_object_set_new(hp, "precision", json_string(ta->precision ==
	    LINALG_BF16 ? "bf16" : "fp32"));
	json_object_set_new(hp, "backend", json_string(linalg_backend_name(
	    linalg_backend())));
	json_object_set_new(hp, "lr", json_real(ta->hp.lr));
	json_object_set_new(hp, "min_lr", json_real(ta->hp.min_lr));
	json_object_set_new(hp, "decay_rate", json_real(ta->hp.decay_rate));
	json_object_set_new(hp, "max_beta", json_real(ta->hp.max_beta));
	json_object_set_new(hp, "beta_rate", json_real(ta->hp.beta_rate));
	json_object_set_new(hp, "free_bits", json_real(ta->hp.free_bits));
	json_object_set_new(hp, "sampling_rate",
	    json_real(ta->hp.sampling_rate));
	json_object_set_new(hp, "word_dropout",
	    json_real(ta->hp.word_dropout));
	json_object_set_new(hp, "warmup", json_integer(ta->hp.warmup));
	json_object_set_new(hp, "clip_norm", json_real(ta->hp.clip_norm));
	/* 0: fresh weights; else the step of the model --init began from,
	   where Adam's moments began too. */
	json_object_set_new(hp, "init_step", json_integer(ta->hp.adam_step0));
	if (ta->init != NULL)
		json_object_set_new(hp, "init", json_string(ta->init));
	if (ta->init_from != NULL)
		json_object_set_new(hp, "init_from",
		    json_string(ta->init_from));
	card = json_object();
	json_object_set_new(card, "trainer", json_string("latentroll train"));
	json_object_set_new(card, "arch", arch);
	json_object_set_new(card, "data", data);
	json_object_set_new(card, "hyper_parameters", hp);
	json_object_set_new(card, "steps", json_integer(step));
	json_object_set_new(card, "train_acc_recent", json_real(train_acc));
	json_object_set_new(card, "valid_tf_acc", json_real(valid_acc));
	json_object_set_new(card, "valid_sampled_acc", json_real(valid_sacc));
	json_object_set_new(card, "valid_kl_nats", json_real(valid_kl));
	json_object_set_new(card, "date", json_string(date));

	/* Merge into an existing card: keys other commands wrote (latentroll
	   attrs: attribute experiment, interpolation quality) survive a
	   checkpoint. An unreadable card is replaced. */
	path = lr_path_join(out, "model_card.json");
	if (access(path, F_OK) == 0 &&
	    (old = jsonfile_load(path, NULL)) != NULL &&
	    json_is_object(old)) {
		json_object_update(old, card);
		json_decref(card);
		card = old;
	} else if (old != NULL)
		json_decref(old);
	rc = jsonfile_save(card, path, cause);
	free(path);
	json_decref(card);
	return (rc);
}

int
run_save(const struct train_args *ta, struct vae *v, struct trainstate *ts,
    const struct dataset *ds, double train_acc, double valid_acc,
    double valid_sacc, double valid_kl, char **cause)
{
	char	*path;
	int	 rc;

	path = lr_path_join(ta->out, "trainstate.bin");
	rc = trainstate_save(path, ts, cause);
	free(path);
	if (rc != 0)
		return (-1);
	if (modeldir_save(v, ta->out, CKPT_FLOAT32, cause) != 0)
		return (-1);
	return (write_card(ta->out, ta, &v->p.arch, ds, ts->step, train_acc,
	    valid_acc, valid_sacc, valid_kl, v->p.n_params, cause));
}

/* src's bytes, for atomic_write. */
static int
fill_copy(FILE *out, void *arg, char **cause)
{
	FILE	*in = arg;
	char	 buf[8192];
	size_t	 n;

	(void)cause;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return (-1);
	return (ferror(in) ? -1 : 0);
}

/* Copy a small file to dst (atomic_write). */
static int
copy_file(const char *src, const char *dst, char **cause)
{
	FILE	*in;
	int	 rc;

	if ((in = fopen(src, "rb")) == NULL)
		return (lr_fail(cause, "%s: %s", src, strerror(errno)));
	rc = atomic_write(dst, fill_copy, in, cause);
	fclose(in);
	return (rc);
}

/*
 * --init DIR: start a run from a checkpoint's weights (a shipped model, an
 * exported run, a magenta.js checkpoint) instead of fresh ones.  Every
 * tensor of the layout must be there with the same shape, except the
 * encoder's sigma, which inference-only checkpoints may lack: it keeps its
 * fresh initialisation.  The schedules (learning rate, beta, scheduled
 * sampling) go on from the step in DIR's model_card.json when it is one of
 * ours, else from 0; the Adam moments start from zero there, with their
 * own bias correction (hp.adam_step0), as no checkpoint carries them.
 * The checkpoint's curve.tsv is copied so the run's curve reads on.
 */
int
run_warm_start(const struct train_args *ta, struct vae *v, long *step,
    char **cause)
{
	struct vae		*w;
	struct vae_tensor	*t, *u;
	json_t			*card, *js;
	char			*path, *src, *dst;
	int			 i, sigma, rc;

	if ((w = modeldir_load(ta->init, cause)) == NULL)
		return (-1);
	sigma = vae_has_sigma(w);
	for (i = 0; i < v->p.n_tensors; i++) {
		t = &v->p.tensors[i];
		u = params_find(&w->p, t->name);
		if (u == NULL || u->ndim != t->ndim ||
		    u->shape[0] != t->shape[0] || (t->ndim == 2 &&
		    u->shape[1] != t->shape[1])) {
			lr_fail(cause, "%s: not a model of --arch %s's shapes "
			    "(tensor %s %s)", ta->init, ta->arch, t->name,
			    u == NULL ? "missing" : "has another shape");
			vae_free(w);
			return (-1);
		}
		if (!sigma && strncmp(t->name, "encoder/sigma/", 14) == 0)
			continue;
		memcpy(t->p, u->p, t->n * sizeof(float));
	}
	vae_free(w);

	*step = 0;
	path = lr_path_join(ta->init, "model_card.json");
	if (access(path, F_OK) == 0) {
		if ((card = jsonfile_load(path, cause)) == NULL) {
			free(path);
			return (-1);
		}
		js = json_object_get(card, "steps");
		if (!json_is_integer(js) || json_integer_value(js) < 0) {
			lr_fail(cause, "%s: \"steps\" is not a whole number",
			    path);
			json_decref(card);
			free(path);
			return (-1);
		}
		*step = (long)json_integer_value(js);
		json_decref(card);
	}
	free(path);

	src = lr_path_join(ta->init, "curve.tsv");
	dst = lr_path_join(ta->out, "curve.tsv");
	rc = 0;
	if (access(src, F_OK) == 0 && access(dst, F_OK) != 0)
		rc = copy_file(src, dst, cause);
	free(src);
	free(dst);
	return (rc);
}

/*
 * The name a tensor of a hierarchical model has in a flat one, where the
 * two play the same part (issue K): the first encoder level is a flat
 * model's encoder, and the core decoder a flat model's decoder with the
 * conductor's output where z was.  NULL when it has no counterpart.
 */
static const char *
flat_name(const char *hier, char *buf, size_t len)
{
	static const char *map[][2] = {
		{ "encoder/hierarchical_level_0/", "encoder/" },
		{ "core_decoder/decoder/", "decoder/" },
	};
	size_t	i, n;

	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		n = strlen(map[i][0]);
		if (strncmp(hier, map[i][0], n) == 0) {
			snprintf(buf, len, "%s%s", map[i][1], hier + n);
			return (buf);
		}
	}
	return (NULL);
}

/*
 * --init-from DIR: transfer.  Every tensor of the new model with a
 * counterpart of the same shape in DIR's (the same name, or for a
 * hierarchical model from a flat one the name flat_name gives) is copied;
 * the rest keep their fresh initialisation.  Schedules start at step 0: it
 * is a new model.  *report (heap) says what it took, a line a tensor and
 * a summary line.
 */
int
run_transfer(const struct train_args *ta, struct vae *v, char **report,
    char **cause)
{
	struct vae		*w;
	struct vae_tensor	*t, *u;
	const char		*name;
	char			 buf[256];
	int			 i, taken = 0, hier_from_flat;
	size_t			 np = 0, len = 0;
	char			*r = NULL;
	FILE			*f;

	*report = NULL;
	if ((w = modeldir_load(ta->init_from, cause)) == NULL)
		return (-1);
	if ((f = open_memstream(&r, &len)) == NULL) {
		vae_free(w);
		return (lr_fail(cause, "%s: out of memory", ta->init_from));
	}
	hier_from_flat = v->p.arch.num_segments > 0 &&
	    w->p.arch.num_segments == 0;
	for (i = 0; i < v->p.n_tensors; i++) {
		t = &v->p.tensors[i];
		name = hier_from_flat ? flat_name(t->name, buf, sizeof buf) :
		    t->name;
		if (name == NULL || (u = params_find(&w->p, name)) == NULL ||
		    u->ndim != t->ndim || u->shape[0] != t->shape[0] ||
		    (t->ndim == 2 && u->shape[1] != t->shape[1]))
			continue;
		if (!vae_has_sigma(w) &&
		    strncmp(name, "encoder/sigma/", 14) == 0)
			continue;
		memcpy(t->p, u->p, t->n * sizeof(float));
		taken++;
		np += t->n;
		fprintf(f, "train: --init-from: %s <- %s\n", t->name, name);
	}
	vae_free(w);
	fprintf(f, "train: --init-from %s: %d of %d tensors (%.1fM of %.1fM "
	    "parameters); the rest fresh\n", ta->init_from, taken,
	    v->p.n_tensors, np / 1e6, v->p.n_params / 1e6);
	fclose(f);
	if (taken == 0) {
		free(r);
		return (lr_fail(cause, "%s: no tensor of --arch %s's shapes "
		    "to take", ta->init_from, ta->arch));
	}
	*report = r;
	return (0);
}
