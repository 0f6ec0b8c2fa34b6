/*
 * cmd_train.c: `latentroll train` and `latentroll eval`.
 *
 * train: windows from a MIDI folder (src/dataset.c), the trainer of
 * model/train.c, a progress line every few seconds, validation every
 * --valid-every steps, and every --ckpt-minutes (and at the end, and on
 * SIGINT/SIGTERM) three files written atomically into MODEL_DIR: the
 * magenta.js checkpoint (ckpt_save), trainstate.bin (everything --resume
 * needs, src/trainstate.h) and model_card.json.  curve.tsv gets one line
 * per validation.  A resumed run continues bitwise as if never stopped,
 * given the same --threads: the batch order is a function of (seed, epoch),
 * transpositions and the reparameterisation noise come from the one
 * generator whose state is saved, and timers never touch either.
 *
 * eval: teacher-forced accuracy (z = mu, as the paper's Table 1) and
 * sampled accuracy (argmax autoregressive decode of mu with vae_decode),
 * KL, window count; JSON on stdout.
 */
#include "cmds.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic.h"
#include "ckpt.h"
#include "attrs.h"
#include "linalg.h"
#include "train.h"
#include "vae.h"
#include "dataset.h"
#include "jsonfile.h"
#include "midifile.h"
#include "trainstate.h"

#define PROGRESS_SECONDS	5.0
#define VALID_MAX		1024	/* windows per validation */

static volatile sig_atomic_t	train_stop;

struct train_args {
	const char	*data, *arch, *out, *cache, *init, *init_from;
	int		 precision;	/* LINALG_*, or -1: the default */
	long		 steps;
	int		 batch, threads, resume, tiny, enc_size, quiet;
	unsigned long long seed;
	double		 ckpt_minutes;
	long		 valid_every;
	struct train_hp	 hp;
	int		 set_lr, set_beta, set_fb, set_ss, set_br, set_seed;
	double		 lr, max_beta, free_bits, ss_rate, beta_rate;
	int		 max_shift;
};

static const struct option train_opts[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "arch", required_argument, NULL, 'a' },
	{ "out", required_argument, NULL, 'o' },
	{ "model", required_argument, NULL, 'm' },
	{ "steps", required_argument, NULL, 'n' },
	{ "batch", required_argument, NULL, 'b' },
	{ "seed", required_argument, NULL, 's' },
	{ "resume", no_argument, NULL, 'r' },
	{ "threads", required_argument, NULL, 't' },
	{ "lr", required_argument, NULL, 'l' },
	{ "max-beta", required_argument, NULL, 'B' },
	{ "beta-rate", required_argument, NULL, 'R' },
	{ "free-bits", required_argument, NULL, 'F' },
	{ "sampling-rate", required_argument, NULL, 'S' },
	{ "enc-size", required_argument, NULL, 'e' },
	{ "tiny", no_argument, NULL, 'T' },
	{ "ckpt-minutes", required_argument, NULL, 'c' },
	{ "valid-every", required_argument, NULL, 'v' },
	{ "transpose", required_argument, NULL, 'x' },
	{ "split", required_argument, NULL, 'p' },
	{ "cache", required_argument, NULL, 'C' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "init", required_argument, NULL, 'I' },
	{ "init-from", required_argument, NULL, 'J' },
	{ "precision", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec * 1e-9);
}

static void
on_signal(int sig)
{
	(void)sig;
	train_stop = 1;
}

/* Cache name from the window shape, so train and eval share it. */
static void
cache_name(char *buf, size_t len, const struct vae_arch *a)
{
	static const char *kind[] = { "melody", "drums", "trio" };

	snprintf(buf, len, "%s%d", kind[a->kind], a->num_steps);
}

/*
 * A number for option --name: finite and in [lo, hi], and whole when
 * whole is set ("1.5" steps, "2x" or "0x10" are typos, not 1, 2 or 16;
 * "-1" for a seed or a count is not a huge or a default value).  -1 after
 * reporting it.
 */
static int
parse_num(const char *name, const char *s, int whole, double lo, double hi,
    double *out)
{
	char	*end;

	errno = 0;
	if (whole) {
		/* strtoll, not strtod: every digit of a 64-bit seed counts. */
		*out = (double)strtoll(s, &end, 10);
		if (errno == 0 && end != s && *end == '\0' && *out >= lo &&
		    *out <= hi)
			return (0);
		cmd_error("--%s %s: want a whole number from %.0f to %.0f",
		    name, s, lo, hi);
		return (-1);
	}
	*out = strtod(s, &end);
	if (errno == 0 && end != s && *end == '\0' && isfinite(*out) &&
	    *out >= lo && *out <= hi)
		return (0);
	cmd_error("--%s %s: want a number from %g to %g", name, s, lo, hi);
	return (-1);
}

/* Mean teacher-forced accuracy and KL with z = mu over (up to) max
   windows of a split. */
static int
evaluate_tf(struct train_net *net, const struct vae_params *p,
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
static int
evaluate_sampled(struct vae *v, const struct dataset *ds,
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

static int
save_all(const struct train_args *ta, struct vae *v, struct trainstate *ts,
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
	if (ckpt_save(v, ta->out, CKPT_FLOAT32, cause) != 0)
		return (-1);
	return (write_card(ta->out, ta, &v->p.arch, ds, ts->step, train_acc,
	    valid_acc, valid_sacc, valid_kl, v->p.n_params, cause));
}

static void
fmt_eta(char *buf, size_t len, double s)
{
	if (!isfinite(s) || s < 0)
		snprintf(buf, len, "?");
	else if (s >= 3600)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600),
		    (int)fmod(s / 60, 60));
	else
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
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
static int
warm_start(const struct train_args *ta, struct vae *v, long *step,
    char **cause)
{
	struct vae		*w;
	struct vae_tensor	*t, *u;
	json_t			*card, *js;
	char			*path, *src, *dst;
	int			 i, sigma, rc;

	if ((w = ckpt_load(ta->init, cause)) == NULL)
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
 * is a new model.  Says what it took on stderr unless quiet.
 */
static int
transfer(const struct train_args *ta, struct vae *v, char **cause)
{
	struct vae		*w;
	struct vae_tensor	*t, *u;
	const char		*name;
	char			 buf[256];
	int			 i, taken = 0, hier_from_flat;
	size_t			 np = 0;

	if ((w = ckpt_load(ta->init_from, cause)) == NULL)
		return (-1);
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
		if (!ta->quiet)
			fprintf(stderr, "train: --init-from: %s <- %s\n",
			    t->name, name);
	}
	vae_free(w);
	if (taken == 0)
		return (lr_fail(cause, "%s: no tensor of --arch %s's shapes "
		    "to take", ta->init_from, ta->arch));
	if (!ta->quiet)
		fprintf(stderr, "train: --init-from %s: %d of %d tensors "
		    "(%.1fM of %.1fM parameters); the rest fresh\n",
		    ta->init_from, taken, v->p.n_tensors, np / 1e6,
		    v->p.n_params / 1e6);
	return (0);
}

static int
train_parse(int argc, char **argv, struct train_args *ta)
{
	double	 x = 0;
	char	*end;
	int	 c, rc = 0;

	memset(ta, 0, sizeof *ta);
	ta->precision = -1;
	ta->steps = 200000;
	ta->batch = 64;
	ta->threads = 2;
	ta->seed = 1;
	ta->ckpt_minutes = 5;
	ta->valid_every = 1000;
	ta->max_shift = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", train_opts, NULL)) != -1) {
		switch (c) {
		case 'd': ta->data = optarg; continue;
		case 'a': ta->arch = optarg; continue;
		case 'o': case 'm': ta->out = optarg; continue;
		case 'C': ta->cache = optarg; continue;
		case 'I': ta->init = optarg; continue;
		case 'J': ta->init_from = optarg; continue;
		case 'P':
			if (strcmp(optarg, "bf16") == 0)
				ta->precision = LINALG_BF16;
			else if (strcmp(optarg, "fp32") == 0)
				ta->precision = LINALG_FP32;
			else {
				cmd_error("--precision %s: want bf16 or fp32",
				    optarg);
				return (-1);
			}
			continue;
		case 'r': ta->resume = 1; continue;
		case 'T': ta->tiny = 1; continue;
		case 'q': ta->quiet = 1; continue;
		case 'n': rc = parse_num("steps", optarg, 1, 0, 1e12, &x);
			ta->steps = (long)x; break;
		case 'b': rc = parse_num("batch", optarg, 1, 1, 4096, &x);
			ta->batch = (int)x; break;
		case 's':
			/* Whole and exact (strtoull, not a double), and no
			   more than the card's JSON integer holds. */
			errno = 0;
			ta->seed = strtoull(optarg, &end, 10);
			ta->set_seed = 1;
			rc = 0;
			if (errno != 0 || end == optarg || *end != '\0' ||
			    optarg[strspn(optarg, " \t")] == '-' ||
			    ta->seed > (unsigned long long)LLONG_MAX) {
				cmd_error("--seed %s: want a whole number from "
				    "0 to %lld", optarg, LLONG_MAX);
				rc = -1;
			}
			break;
		case 't': rc = parse_num("threads", optarg, 1, 1, 256, &x);
			ta->threads = (int)x; break;
		case 'e': rc = parse_num("enc-size", optarg, 1, 1, 4096, &x);
			ta->enc_size = (int)x; break;
		case 'v': rc = parse_num("valid-every", optarg, 1, 0, 1e12, &x);
			ta->valid_every = (long)x; break;
		/* No shift beyond the piano's 87 semitones can apply. */
		case 'x': rc = parse_num("transpose", optarg, 1, 0, 87, &x);
			ta->max_shift = (int)x; break;
		case 'l': rc = parse_num("lr", optarg, 0, 1e-12, 10, &x);
			ta->set_lr = 1; ta->lr = x; break;
		case 'B': rc = parse_num("max-beta", optarg, 0, 0, 1e6, &x);
			ta->set_beta = 1; ta->max_beta = x; break;
		case 'R': rc = parse_num("beta-rate", optarg, 0, 0, 1, &x);
			ta->set_br = 1; ta->beta_rate = x; break;
		case 'F': rc = parse_num("free-bits", optarg, 0, 0, 1e6, &x);
			ta->set_fb = 1; ta->free_bits = x; break;
		case 'S':
			rc = parse_num("sampling-rate", optarg, 0, 0, 1e9, &x);
			ta->set_ss = 1; ta->ss_rate = x; break;
		case 'c':
			rc = parse_num("ckpt-minutes", optarg, 0, 0, 1e6, &x);
			ta->ckpt_minutes = x; break;
		default:
			return (-1);	/* '?', or --split (eval's) */
		}
		if (rc != 0)
			return (-1);
	}
	return (0);
}

int
cmd_train(int argc, char **argv)
{
	struct train_args	 ta;
	struct vae_arch		 a;
	struct dataset		 ds;
	struct stat		 sb;
	struct vae		*v = NULL;
	struct vae_params	 g;
	struct train_net	*net = NULL;
	struct train_par	*tp = NULL;
	int			 vb = 1;
	struct train_stats	 st;
	struct trainstate	 ts;
	struct rng		 r;
	char			*cause = NULL, *tspath = NULL, cname[32];
	char			 eta[32];
	float			*gm = NULL, *m = NULL, *vv = NULL;
	int			*perm = NULL, *tok = NULL, i, l, rc = CMD_ERROR;
	size_t			 len;
	long			 step, epoch = 0, cursor = 0, nacc = 0;
	long			 step0;
	double			 t0, tlast, tckpt, sacc = 0, sloss = 0, skl = 0;
	double			 last_acc = 0, vacc = -1, vkl = 0, vr;
	double			 vsacc = -1;
	FILE			*curve = NULL;

	if (train_parse(argc, argv, &ta) != 0)
		return (cmd_usage("train"));
	if (ta.data == NULL || ta.arch == NULL || ta.out == NULL) {
		cmd_error("train: --data, --arch and --out are required");
		return (cmd_usage("train"));
	}
	if (params_arch_named(&a, ta.arch, &cause) != 0) {
		cmd_error("train: %s", cause);
		free(cause);
		return (CMD_USAGE);
	}
	if (ta.init != NULL && ta.init_from != NULL) {
		cmd_error("train: --init and --init-from: one start only");
		return (CMD_USAGE);
	}
	/* bf16 where it runs natively (the quality guard in the README
	   holds there), else float32 with a note. */
	if (ta.precision < 0) {
		const char *why = NULL;

		ta.precision = LINALG_FP32;
		if (linalg_backend() == LINALG_DNNL &&
		    linalg_bf16_supported(&why))
			ta.precision = LINALG_BF16;
		else if (!ta.quiet)
			fprintf(stderr, "train: float32 products (%s)\n",
			    why != NULL ? why : "backend openblas");
	}
	if (ta.enc_size > 0)
		for (l = 0; l < a.enc_layers; l++)
			a.enc_size[l] = ta.enc_size;
	if (ta.tiny) {
		/* Small shapes for tests: same structure, tiny widths. */
		for (l = 0; l < a.enc_layers; l++)
			a.enc_size[l] = 24;
		a.z_size = 8;
		for (l = 0; l < a.dec_layers; l++)
			a.dec_size[l] = 24;
		for (l = 0; l < a.cond_layers; l++)
			a.cond_size[l] = 24;
	}
	train_hp_default(&ta.hp, &a);
	if (ta.set_lr)
		ta.hp.lr = ta.lr;
	if (ta.set_beta)
		ta.hp.max_beta = ta.max_beta;
	if (ta.set_br)
		ta.hp.beta_rate = ta.beta_rate;
	if (ta.set_fb)
		ta.hp.free_bits = ta.free_bits;
	if (ta.set_ss)
		ta.hp.sampling_rate = ta.ss_rate;
	if (ta.max_shift < 0)	/* no --transpose: +-5 if it has pitches */
		ta.max_shift = dataset_default_shift(a.kind);
	linalg_set_threads(ta.threads);
	midifile_log_init();

	if (mkdir(ta.out, 0777) != 0 && errno != EEXIST) {
		cmd_error("%s: %s", ta.out, strerror(errno));
		return (CMD_ERROR);
	}
	/* Now, not at the first checkpoint minutes (or hours) later. */
	if (stat(ta.out, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
		cmd_error("%s: not a directory", ta.out);
		return (CMD_ERROR);
	}
	if (access(ta.out, W_OK) != 0) {
		cmd_error("%s: %s", ta.out, strerror(errno));
		return (CMD_ERROR);
	}
	tspath = lr_path_join(ta.out, "trainstate.bin");
	if (!ta.resume && access(tspath, F_OK) == 0) {
		cmd_error("%s: a run is already there (use --resume, or "
		    "another --out)", ta.out);
		free(tspath);
		return (CMD_ERROR);
	}
	/* A model that is no run of ours (a shipped or exported one, a
	   magenta.js checkpoint): training would replace its weights with
	   fresh ones, --resume or not, since there is nothing to resume. */
	if (access(tspath, F_OK) != 0) {
		char *man = lr_path_join(ta.out, "weights_manifest.json");

		if (access(man, F_OK) == 0) {
			cmd_error("%s: holds a model that is not a training "
			    "run; not replacing it (use another --out)",
			    ta.out);
			free(man);
			free(tspath);
			return (CMD_ERROR);
		}
		free(man);
	}

	cache_name(cname, sizeof cname, &a);
	t0 = now();
	/* --cache names where the windows are kept (a run's folder by
	   default), as for eval. */
	if (dataset_load(&ds, ta.data, &a, ta.cache != NULL ? ta.cache :
	    ta.out, cname, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		free(tspath);
		return (CMD_ERROR);
	}
	if (!ta.quiet)
		fprintf(stderr, "data: %s%s(%.1f s)\n", ds.report,
		    ds.from_cache ? "  from cache " : "  ", now() - t0);
	if (ds.n[DATASET_TRAIN] == 0) {
		cmd_error("%s: no window falls in the train split (%d files; "
		    "the split hashes file names)", ta.data, ds.n_files);
		dataset_free(&ds);
		free(tspath);
		return (CMD_ERROR);
	}

	if ((v = vae_new(&a, &cause)) == NULL)
		goto fail;
	vae_set_has_sigma(v, 1);
	gm = lr_calloc(v->p.n_params, sizeof *gm);
	m = lr_calloc(v->p.n_params, sizeof *m);
	vv = lr_calloc(v->p.n_params, sizeof *vv);
	params_clone_layout(&g, &v->p, gm);

	memset(&ts, 0, sizeof ts);
	ts.n_params = v->p.n_params;
	ts.params = v->p.mem;
	ts.m = m;
	ts.v = vv;
	if (ta.resume && access(tspath, F_OK) == 0) {
		if (trainstate_load(tspath, &ts, &cause) != 0)
			goto fail;
		if (ts.fingerprint != ds.fingerprint) {
			lr_fail(&cause, "%s: the data changed since this run "
			    "started (fingerprint differs)", tspath);
			goto fail;
		}
		if (ts.batch != ta.batch) {
			lr_fail(&cause, "%s: run used --batch %d", tspath,
			    ts.batch);
			goto fail;
		}
		/* The seed orders the data: a resumed run keeps its own,
		   so another one asked for is not quietly dropped. */
		if (ta.set_seed && ts.seed != ta.seed) {
			lr_fail(&cause, "%s: run used --seed %llu", tspath,
			    (unsigned long long)ts.seed);
			goto fail;
		}
		if (ts.threads != ta.threads && !ta.quiet)
			fprintf(stderr, "train: warning: run used %d threads, "
			    "now %d: not bitwise reproducible\n", ts.threads,
			    ta.threads);
		r.s = ts.rng;
		ta.seed = ts.seed;
		epoch = ts.epoch;
		cursor = ts.cursor;
		if (!ta.quiet)
			fprintf(stderr, "train: resuming at step %ld%s\n",
			    ts.step, ta.init != NULL ? " (--init is where the "
			    "run began, not read again)" : "");
	} else {
		rng_seed(&r, ta.seed);
		train_init_params(&v->p, &r);
		ts.step = 0;
		if (ta.init_from != NULL && transfer(&ta, v, &cause) != 0)
			goto fail;
		if (ta.init != NULL) {
			if (warm_start(&ta, v, &ts.step, &cause) != 0)
				goto fail;
			if (!ta.quiet)
				fprintf(stderr, "train: starting from %s's "
				    "weights at step %ld\n", ta.init,
				    ts.step);
		}
		ts.adam_step0 = ts.step;
	}
	ta.hp.adam_step0 = ts.adam_step0;
	step = ts.step;
	step0 = step;
	ts.seed = ta.seed;
	ts.batch = ta.batch;
	ts.threads = ta.threads;
	ts.fingerprint = ds.fingerprint;

	/* --threads N: N workers on slices of the batch, BLAS serial in
	   each (model/train_par.c); validation uses the first one's net. */
	if ((tp = train_par_new(&v->p, ta.batch, ta.threads, &cause)) == NULL)
		goto fail;
	if (train_par_set_precision(tp, &v->p, ta.precision, &cause) != 0)
		goto fail;
	net = train_par_net(tp, &vb);
	perm = lr_malloc(ds.n[DATASET_TRAIN] * sizeof *perm);
	dataset_permutation(perm, ds.n[DATASET_TRAIN], ta.seed, epoch);
	len = (size_t)a.num_steps * a.n_splits;
	tok = lr_malloc((size_t)ta.batch * len * sizeof *tok);
	{
		char *cp = lr_path_join(ta.out, "curve.tsv");

		curve = fopen(cp, "a");
		free(cp);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tlast = tckpt = t0 = now();
	while (step < ta.steps && !train_stop) {
		for (i = 0; i < ta.batch; i++) {
			if (cursor >= ds.n[DATASET_TRAIN]) {
				epoch++;
				cursor = 0;
				dataset_permutation(perm, ds.n[DATASET_TRAIN],
				    ta.seed, epoch);
			}
			dataset_window(&ds, DATASET_TRAIN, perm[cursor++],
			    ta.max_shift, &r, tok + (size_t)i * len);
		}
		if (train_par_step(tp, &v->p, &g, m, vv, &ta.hp, step, tok,
		    ta.batch, &r, &st, &cause) != 0)
			goto fail;
		step++;
		sacc += st.acc;
		sloss += st.loss;
		skl += st.kl;
		nacc++;
		if (!ta.quiet && (now() - tlast >= PROGRESS_SECONDS ||
		    step == ta.steps)) {
			double el = now() - t0;
			double rate = (step - step0) / el;

			fmt_eta(eta, sizeof eta, (ta.steps - step) / rate);
			fprintf(stderr, "step %ld  loss %.3f  acc %.4f  kl %.2f"
			    "  beta %.4f  ss %.3f  |g| %.2f  lr %.2e  %.1f ex/s"
			    "  ETA %s\n", step, sloss / nacc, sacc / nacc,
			    skl / nacc, st.beta, st.ss_prob, st.gnorm, st.lr,
			    rate * ta.batch, eta);
			last_acc = sacc / nacc;
			sacc = sloss = skl = 0;
			nacc = 0;
			tlast = now();
		}
		if (ta.valid_every > 0 && (step % ta.valid_every == 0 ||
		    step == ta.steps) && ds.n[DATASET_VALID] > 0) {
			if (evaluate_tf(net, &v->p, &ds, DATASET_VALID,
			    vb, VALID_MAX, &vacc, &vkl, &vr, &cause) != 0)
				goto fail;
			if (evaluate_sampled(v, &ds, DATASET_VALID, ta.batch,
			    VALID_MAX, &vsacc, &cause) != 0)
				goto fail;
			if (nacc > 0)
				last_acc = sacc / nacc;
			if (!ta.quiet)
				fprintf(stderr, "valid step %ld  tf-acc %.4f  "
				    "sampled-acc %.4f  r_loss %.3f  kl %.2f\n",
				    step, vacc, vsacc, vr, vkl);
			if (curve != NULL) {
				/* step, train acc, valid tf acc, valid sampled
				   acc, valid KL, valid r_loss */
				fprintf(curve, "%ld\t%.5f\t%.5f\t%.5f\t%.4f\t"
				    "%.3f\n", step, last_acc, vacc, vsacc, vkl,
				    vr);
				fflush(curve);
			}
		}
		if (now() - tckpt >= ta.ckpt_minutes * 60) {
			ts.step = step;
			ts.rng = r.s;
			ts.epoch = epoch;
			ts.cursor = cursor;
			if (save_all(&ta, v, &ts, &ds, last_acc, vacc, vsacc,
			    vkl, &cause) != 0)
				goto fail;
			if (!ta.quiet)
				fprintf(stderr, "checkpoint at step %ld\n",
				    step);
			tckpt = now();
		}
	}
	ts.step = step;
	ts.rng = r.s;
	ts.epoch = epoch;
	ts.cursor = cursor;
	if (nacc > 0)
		last_acc = sacc / nacc;
	if (save_all(&ta, v, &ts, &ds, last_acc, vacc, vsacc, vkl,
	    &cause) != 0)
		goto fail;
	if (!ta.quiet)
		fprintf(stderr, "train: %s at step %ld; model in %s\n",
		    train_stop ? "stopped" : "done", step, ta.out);
	rc = CMD_OK;
	goto out;
fail:
	cmd_error("%s", cause != NULL ? cause : "train failed");
out:
	free(cause);
	if (curve != NULL)
		fclose(curve);
	free(tspath);
	free(perm);
	free(tok);
	free(gm);
	free(m);
	free(vv);
	train_par_free(tp);
	vae_free(v);
	dataset_free(&ds);
	return (rc);
}

/* ------------------------------------------------------------------ */

/*
 * What a musician hears in a set of melodies (issue K): how many are one
 * bar looped, distinct bars per melody, note onsets per step.
 */
struct heard {
	long	n, loops, distinct;
	double	density;
};

static void
heard_add(struct heard *h, const struct vae_arch *a, const int *tok, int n)
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

static json_t *
heard_json(const struct heard *h)
{
	double	n = h->n > 0 ? (double)h->n : 1;

	return (json_pack("{s:f, s:f, s:f}", "one_bar_loops", h->loops / n,
	    "distinct_bars", h->distinct / n, "note_density",
	    h->density / n));
}

/*
 * The latent's use: per-dimension KL(q(z_d|x) || N(0,1)) averaged over
 * windows, and active units (dimensions whose mu varies across windows,
 * variance > 0.01; Burda et al. 2016).
 */
struct latent {
	int	 Z;
	long	 n;
	double	*kl, *s1, *s2;		/* per dimension */
};

static void
latent_add(struct latent *l, const float *mu, const float *sigma, int n)
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

static json_t *
latent_json(const struct latent *l)
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

int
cmd_eval(int argc, char **argv)
{
	struct train_args	 ta;
	struct dataset		 ds;
	struct vae		*v, *v16 = NULL;
	struct train_net	*net = NULL;
	enum dataset_split	 sp = DATASET_TEST;
	long			 agree16 = 0, correct16 = 0;
	struct heard		 h_in, h_out;
	struct latent		 lat;
	float			*sig = NULL;
	int			*out16 = NULL, bf16 = 0, k;
	float			*mu16 = NULL;
	const char		*split = "test";
	char			*cause = NULL, cname[32];
	double			 tfacc, kl, rl, mudiff = 0, x;
	float			*mu = NULL;
	int			*tok = NULL, *out = NULL, i, b, B, n, c;
	long			 correct = 0, total = 0;
	size_t			 len, j;
	json_t			*js;

	memset(&lat, 0, sizeof lat);
	memset(&ta, 0, sizeof ta);
	ta.threads = 2;
	B = 64;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", train_opts, NULL)) != -1) {
		switch (c) {
		case 'm': case 'o': ta.out = optarg; break;
		case 'd': ta.data = optarg; break;
		case 'p': split = optarg; break;
		case 'C': ta.cache = optarg; break;
		case 't':
			if (parse_num("threads", optarg, 1, 1, 256, &x) != 0)
				return (cmd_usage("eval"));
			ta.threads = (int)x;
			break;
		case 'b':
			if (parse_num("batch", optarg, 1, 1, 4096, &x) != 0)
				return (cmd_usage("eval"));
			B = (int)x;
			break;
		case 'P':
			if (strcmp(optarg, "bf16") != 0 &&
			    strcmp(optarg, "fp32") != 0) {
				cmd_error("eval: --precision bf16|fp32, not "
				    "'%s'", optarg);
				return (CMD_USAGE);
			}
			bf16 = strcmp(optarg, "bf16") == 0;
			break;
		default: return (cmd_usage("eval"));
		}
	}
	if (ta.out == NULL || ta.data == NULL || B < 1 || ta.threads < 1)
		return (cmd_usage("eval"));
	if (strcmp(split, "test") == 0)
		sp = DATASET_TEST;
	else if (strcmp(split, "valid") == 0)
		sp = DATASET_VALID;
	else if (strcmp(split, "train") == 0)
		sp = DATASET_TRAIN;
	else {
		cmd_error("eval: --split test|valid|train, not '%s'", split);
		return (CMD_USAGE);
	}
	linalg_set_threads(ta.threads);
	midifile_log_init();
	if ((v = ckpt_load(ta.out, &cause)) == NULL) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	/* --precision bf16: a second copy in bf16, measured against the
	   float32 one (its sampled accuracy, and its batch-1 decodes of
	   float32's mu token for token). */
	if (bf16 && ((v16 = ckpt_load(ta.out, &cause)) == NULL ||
	    vae_set_precision(v16, LINALG_BF16, &cause) != 0)) {
		cmd_error("eval: %s", cause);
		free(cause);
		vae_free(v16);
		vae_free(v);
		return (CMD_ERROR);
	}
	cache_name(cname, sizeof cname, &v->p.arch);
	if (dataset_load(&ds, ta.data, &v->p.arch, ta.cache, cname,
	    &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		vae_free(v16);
		vae_free(v);
		return (CMD_ERROR);
	}
	n = ds.n[sp];
	if (n == 0) {
		cmd_error("%s: no window in the %s split", ta.data, split);
		goto fail_quiet;
	}
	if ((net = train_net_new(&v->p, B, &cause)) == NULL)
		goto fail;
	if (evaluate_tf(net, &v->p, &ds, sp, B, 0, &tfacc, &kl, &rl,
	    &cause) != 0)
		goto fail;

	/* Sampled: encode mu, argmax-decode autoregressively. */
	len = (size_t)ds.steps * ds.S;
	mu = lr_malloc((size_t)B * v->p.arch.z_size * sizeof *mu);
	out = lr_malloc((size_t)B * len * sizeof *out);
	mu16 = lr_malloc((size_t)B * v->p.arch.z_size * sizeof *mu16);
	sig = lr_malloc((size_t)B * v->p.arch.z_size * sizeof *sig);
	memset(&h_in, 0, sizeof h_in);
	memset(&h_out, 0, sizeof h_out);
	lat.Z = v->p.arch.z_size;
	lat.kl = lr_calloc(3 * (size_t)lat.Z, sizeof *lat.kl);
	lat.s1 = lat.kl + lat.Z;
	lat.s2 = lat.s1 + lat.Z;
	out16 = lr_malloc((size_t)B * len * sizeof *out16);
	for (i = 0; i < n; i += b) {
		struct train_stats st;

		b = n - i < B ? n - i : B;
		tok = ds.tok[sp] + (size_t)i * len;
		if (vae_encode(v, tok, b, mu, sig, &cause) != 0 ||
		    vae_decode(v, mu, b, 0.0f, NULL, out, &cause) != 0)
			goto fail;
		heard_add(&h_in, &v->p.arch, tok, b);
		heard_add(&h_out, &v->p.arch, out, b);
		if (vae_has_sigma(v))
			latent_add(&lat, mu, sig, b);
		for (j = 0; j < (size_t)b * len; j++)
			correct += out[j] == tok[j];
		total += (long)(b * len);
		if (v16 != NULL) {
			if (vae_encode(v16, tok, b, mu16, NULL, &cause) != 0 ||
			    vae_decode(v16, mu16, b, 0.0f, NULL, out16,
			    &cause) != 0)
				goto fail;
			for (j = 0; j < (size_t)b * len; j++)
				correct16 += out16[j] == tok[j];
			/* batch 1, as the instrument decodes */
			for (k = 0; k < b; k++)
				if (vae_decode(v16, mu + (size_t)k *
				    v->p.arch.z_size, 1, 0.0f, NULL, out16 +
				    k * len, &cause) != 0)
					goto fail;
			for (j = 0; j < (size_t)b * len; j++)
				agree16 += out16[j] == out[j];
		}
		/* The trainer's encoder must agree with the inference one. */
		if (train_forward(net, &v->p, tok, b, 0, 0, 0, 1, NULL, &st,
		    &cause) != 0)
			goto fail;
		for (j = 0; j < (size_t)b * v->p.arch.z_size; j++)
			mudiff = fmax(mudiff, fabs(mu[j] - train_mu(net)[j]));
	}
	js = json_pack("{s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:f}",
	    "model", ta.out, "split", split, "windows", n,
	    "tf_acc", tfacc, "sampled_acc", (double)correct / total,
	    "kl_nats", kl, "r_loss", rl, "mu_train_vs_infer_maxdiff", mudiff);
	json_object_set_new(js, "inputs", heard_json(&h_in));
	json_object_set_new(js, "decodes", heard_json(&h_out));
	if (lat.n > 0)
		json_object_set_new(js, "latent", latent_json(&lat));
	if (v16 != NULL) {
		json_object_set_new(js, "bf16_sampled_acc",
		    json_real((double)correct16 / total));
		json_object_set_new(js, "bf16_token_agree",
		    json_real((double)agree16 / total));
	}
	{
		char *s = json_dumps(js, JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
	}
	json_decref(js);
	free(mu);
	free(out);
	free(mu16);
	free(out16);
	free(sig);
	free(lat.kl);
	train_net_free(net);
	dataset_free(&ds);
	vae_free(v16);
	vae_free(v);
	return (CMD_OK);
fail:
	cmd_error("%s", cause != NULL ? cause : "eval failed");
fail_quiet:
	free(cause);
	free(mu);
	free(out);
	free(mu16);
	free(out16);
	free(sig);
	free(lat.kl);
	train_net_free(net);
	dataset_free(&ds);
	vae_free(v16);
	vae_free(v);
	return (CMD_ERROR);
}
