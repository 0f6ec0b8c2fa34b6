/*
 * cmd_train.c: `latentroll train` and `latentroll eval`.
 *
 * train: windows from a MIDI folder (src/dataset.c), the trainer of
 * model/train.c, a progress line every few seconds, validation every
 * --valid-every steps, and every --ckpt-minutes (and at the end, and on
 * SIGINT/SIGTERM) three files written atomically into MODEL_DIR: the
 * magenta.js checkpoint (modeldir_save), trainstate.bin (everything --resume
 * needs, src/trainstate.h) and model_card.json.  curve.tsv gets one line
 * per validation.  A resumed run continues bitwise as if never stopped,
 * given the same --threads: the batch order is a function of (seed, epoch),
 * transpositions and the reparameterisation noise come from the one
 * generator whose state is saved, and timers never touch either.
 *
 * eval: teacher-forced accuracy (z = mu, as the paper's Table 1) and
 * sampled accuracy (argmax autoregressive decode of mu with vae_decode),
 * KL, window count; JSON on stdout.
 *
 * Saves, the model card, warm start, transfer and the measurements live in
 * src/train (run.h); this file parses, loops and prints.
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

#include "modeldir.h"
#include "linalg.h"
#include "train.h"
#include "vae.h"
#include "dataset.h"
#include "jsonfile.h"
#include "midifile.h"
#include "trainstate.h"
#include "run.h"
#include "dist.h"

#define PROGRESS_SECONDS	5.0

static volatile sig_atomic_t	train_stop;


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
	{ "word-dropout", required_argument, NULL, 'W' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "enc-size", required_argument, NULL, 'e' },
	{ "tiny", no_argument, NULL, 'T' },
	{ "ckpt-minutes", required_argument, NULL, 'c' },
	{ "valid-every", required_argument, NULL, 'v' },
	{ "transpose", required_argument, NULL, 'x' },
	{ "two-four", no_argument, NULL, '2' },
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

/* Which signal asked to stop (SIGINT, SIGTERM); 0 while running. */
static void
on_signal(int sig)
{
	train_stop = sig;
}


/* A number for option --name in [lo, hi], whole when whole is set
   (opts.c); -1 after reporting it. */
static int
parse_num(const char *name, const char *s, int whole, double lo, double hi,
    double *out)
{
	long	v;
	char	what[64];

	if (whole) {
		if (opt_whole(name, s, (long)lo, (long)hi, NULL, &v) != 0)
			return (-1);
		*out = (double)v;
		return (0);
	}
	snprintf(what, sizeof what, "a number from %g to %g", lo, hi);
	return (opt_real(name, s, lo, hi, what, out));
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






static int
train_parse(int argc, char **argv, struct train_args *ta)
{
	double	 x = 0;
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
		case '2': ta->two_four = 1; continue;
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
			/* Whole and exact, and no more than the card's JSON
			   integer holds. */
			ta->set_seed = 1;
			rc = opt_seed("seed", optarg, LLONG_MAX, &ta->seed);
			break;
		case 't': rc = parse_num("threads", optarg, 1, 1,
			    TRAIN_MAX_WORKERS, &x);
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
		case 'W':
			rc = parse_num("word-dropout", optarg, 0, 0, 0.95, &x);
			ta->set_wd = 1; ta->word_dropout = x; break;
		case 'w': rc = parse_num("warmup", optarg, 1, 0, 1e9, &x);
			ta->warmup = (long)x; break;
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

/* The architecture and hyper-parameters asked for; -1 after a message. */
static int
train_setup(struct train_args *ta, struct vae_arch *a)
{
	char	*cause = NULL;
	int	 l;

	if (params_arch_named(a, ta->arch, &cause) != 0) {
		cmd_error("train: %s", cause);
		free(cause);
		return (-1);
	}
	if (ta->init != NULL && ta->init_from != NULL) {
		cmd_error("train: --init and --init-from: one start only");
		return (-1);
	}
	/* A start by name (mel_2bar) or folder. */
	if ((ta->init != NULL && (ta->init = cmd_model_path(ta->init,
	    &cause)) == NULL) || (ta->init_from != NULL &&
	    (ta->init_from = cmd_model_path(ta->init_from, &cause)) == NULL)) {
		cmd_error("train: %s", cause);
		free(cause);
		return (-1);
	}
	/* bf16 where it runs natively (the quality guard in the README
	   holds there), else float32 with a note once the run starts. */
	if (ta->precision < 0) {
		const char *why = NULL;

		ta->precision = LINALG_FP32;
		if (!linalg_bf16_supported(&why))
			ta->fp32_why = why;
		else if (linalg_backend() != LINALG_DNNL)
			ta->fp32_why = "backend openblas";
		else
			ta->precision = LINALG_BF16;
	}
	if (ta->enc_size > 0)
		for (l = 0; l < a->enc_layers; l++)
			a->enc_size[l] = ta->enc_size;
	if (ta->tiny) {
		/* Small shapes for tests: same structure, tiny widths. */
		for (l = 0; l < a->enc_layers; l++)
			a->enc_size[l] = 24;
		a->z_size = 8;
		for (l = 0; l < a->dec_layers; l++)
			a->dec_size[l] = 24;
		for (l = 0; l < a->cond_layers; l++)
			a->cond_size[l] = 24;
	}
	train_hp_default(&ta->hp, a);
	if (ta->set_lr)
		ta->hp.lr = ta->lr;
	if (ta->set_beta)
		ta->hp.max_beta = ta->max_beta;
	if (ta->set_br)
		ta->hp.beta_rate = ta->beta_rate;
	if (ta->set_fb)
		ta->hp.free_bits = ta->free_bits;
	if (ta->set_ss)
		ta->hp.sampling_rate = ta->ss_rate;
	if (ta->set_wd)
		ta->hp.word_dropout = (float)ta->word_dropout;
	ta->hp.warmup = ta->warmup;
	if (ta->max_shift < 0)	/* no --transpose: +-5 if it has pitches */
		ta->max_shift = dataset_default_shift(a->kind);
	return (0);
}

/* Recent training numbers, for the progress line and the curve. */
struct recent {
	double	acc, loss, kl, last_acc;
	long	n;
};

static void
progress(const struct train_args *ta, const struct run *r,
    const struct train_stats *st, struct recent *rc, double rate)
{
	char	eta[32];

	fmt_eta(eta, sizeof eta, (ta->steps - r->step) / rate);
	fprintf(stderr, "step %ld  loss %.3f  acc %.4f  kl %.2f  beta %.4f  "
	    "ss %.3f  |g| %.2f  lr %.2e  %.1f ex/s  ETA %s\n", r->step,
	    rc->loss / rc->n, rc->acc / rc->n, rc->kl / rc->n, st->beta,
	    st->ss_prob, st->gnorm, st->lr, rate * ta->batch, eta);
	rc->last_acc = rc->acc / rc->n;
	rc->acc = rc->loss = rc->kl = 0;
	rc->n = 0;
}

/* What a job of several ranks spent summing gradients. */
static void
dist_report(const struct run *r, long steps, double seconds)
{
	double	sum = dist_sum_seconds();

	fprintf(stderr, "train: %d ranks x %d thread%s (%s): %.1f ex/s; "
	    "MPI_Allreduce of %zu bytes took %.2f ms a step, %.1f%% of the "
	    "step\n", r->ranks, r->ta->threads,
	    r->ta->threads == 1 ? "" : "s", dist_library(),
	    steps * r->ta->batch / seconds, r->sum_n * sizeof(float),
	    1e3 * sum / steps, 100 * sum / seconds);
}

int
cmd_train(int argc, char **argv)
{
	struct train_args	 ta;
	struct vae_arch		 a;
	struct run		 r;
	struct train_stats	 st;
	struct recent		 rc;
	char			*cause = NULL;
	long			 step0;
	double			 t0, tlast, tckpt;

	if (train_parse(argc, argv, &ta) != 0)
		return (cmd_usage("train"));
	if (ta.data == NULL || ta.arch == NULL || ta.out == NULL) {
		cmd_error("train: --data, --arch and --out are required");
		return (cmd_usage("train"));
	}
	/* Under mpirun, one rank of a job (dist.h): rank 0 alone prints. */
	if (dist_open(&cause) != 0) {
		cmd_error("train: %s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	if (dist_rank() > 0)
		ta.quiet = 1;
	if (train_setup(&ta, &a) != 0) {
		dist_close();
		return (CMD_USAGE);
	}
	linalg_set_threads(ta.threads);
	midifile_log_init();
	t0 = now();
	if (run_open(&r, &ta, &a, &cause) != 0)
		goto fail;
	if (!ta.quiet) {
		fprintf(stderr, "data: %s%s(%.1f s)\n", r.ds.report,
		    r.ds.from_cache ? "  from cache " : "  ", now() - t0);
		if (r.notes != NULL)
			fputs(r.notes, stderr);
		/* After the run opened: a run that cannot start says only
		   why it cannot. */
		if (ta.fp32_why != NULL)
			fprintf(stderr, "train: float32 products (%s)\n",
			    ta.fp32_why);
	}
	memset(&rc, 0, sizeof rc);
	step0 = r.step;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tlast = tckpt = t0 = now();
	while (r.step < ta.steps && !run_stop(&r, train_stop)) {
		if (run_step(&r, &st, &cause) != 0)
			goto fail;
		rc.acc += st.acc;
		rc.loss += st.loss;
		rc.kl += st.kl;
		rc.n++;
		if (!ta.quiet && (now() - tlast >= PROGRESS_SECONDS ||
		    r.step == ta.steps)) {
			progress(&ta, &r, &st, &rc, (r.step - step0) /
			    (now() - t0));
			tlast = now();
		}
		if (ta.valid_every > 0 && (r.step % ta.valid_every == 0 ||
		    r.step == ta.steps) && r.ds.n[DATASET_VALID] > 0) {
			if (rc.n > 0)
				rc.last_acc = rc.acc / rc.n;
			if (run_validate(&r, rc.last_acc, &cause) != 0)
				goto fail;
			if (!ta.quiet)
				fprintf(stderr, "valid step %ld  tf-acc %.4f  "
				    "sampled-acc %.4f  r_loss %.3f  kl %.2f\n",
				    r.step, r.vacc, r.vsacc, r.vr, r.vkl);
		}
		if (now() - tckpt >= ta.ckpt_minutes * 60) {
			if (run_checkpoint(&r, rc.last_acc, &cause) != 0)
				goto fail;
			if (!ta.quiet)
				fprintf(stderr, "checkpoint at step %ld\n",
				    r.step);
			tckpt = now();
		}
	}
	if (rc.n > 0)
		rc.last_acc = rc.acc / rc.n;
	if (run_checkpoint(&r, rc.last_acc, &cause) != 0)
		goto fail;
	if (!ta.quiet && r.ranks > 1 && r.step > step0)
		dist_report(&r, r.step - step0, now() - t0);
	if (!ta.quiet)
		fprintf(stderr, "train: %s at step %ld; model in %s\n",
		    train_stop || r.step < ta.steps ? "stopped" : "done",
		    r.step, ta.out);
	run_close(&r);
	dist_close();
	/* Stopped by a signal: saved, and the shell still hears how it
	   ended (130 for Ctrl-C), so a script does not go on as if done. */
	return (train_stop ? 128 + train_stop : CMD_OK);
fail:
	cmd_error("%s", cause != NULL ? cause : "train failed");
	free(cause);
	/* The other ranks would wait for this one's gradients forever. */
	dist_abort(CMD_ERROR);
	run_close(&r);
	dist_close();
	return (CMD_ERROR);
}

/* ------------------------------------------------------------------ */








/* eval's options; CMD_OK or the status to return. */
struct eval_args {
	struct train_args	 ta;
	enum dataset_split	 sp;
	const char		*split;
	const char		*prec16;	/* "bf16", "fp16" or NULL */
	int			 batch;
};

static int
eval_parse(int argc, char **argv, struct eval_args *ea)
{
	struct train_args	*ta = &ea->ta;
	char			*cause = NULL;
	double			 x;
	int			 c;

	memset(ea, 0, sizeof *ea);
	ta->threads = 2;
	ea->batch = 64;
	ea->split = "test";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", train_opts, NULL)) != -1) {
		switch (c) {
		case 'm': case 'o': ta->out = optarg; break;
		case 'd': ta->data = optarg; break;
		case 'p': ea->split = optarg; break;
		case 'C': ta->cache = optarg; break;
		case 't':
			if (parse_num("threads", optarg, 1, 1,
			    TRAIN_MAX_WORKERS, &x) != 0)
				return (cmd_usage("eval"));
			ta->threads = (int)x;
			break;
		case 'b':
			if (parse_num("batch", optarg, 1, 1, 4096, &x) != 0)
				return (cmd_usage("eval"));
			ea->batch = (int)x;
			break;
		case 'P':
			if (strcmp(optarg, "bf16") != 0 &&
			    strcmp(optarg, "fp16") != 0 &&
			    strcmp(optarg, "fp32") != 0) {
				cmd_error("eval: --precision bf16|fp16|fp32, "
				    "not '%s'", optarg);
				return (CMD_USAGE);
			}
			ea->prec16 = strcmp(optarg, "fp32") == 0 ? NULL :
			    strcmp(optarg, "bf16") == 0 ? "bf16" : "fp16";
			break;
		default: return (cmd_usage("eval"));
		}
	}
	if (ta->out == NULL || ta->data == NULL || ea->batch < 1 ||
	    ta->threads < 1)
		return (cmd_usage("eval"));
	if ((ta->out = cmd_model_path(ta->out, &cause)) == NULL) {
		cmd_error("eval: %s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	if (strcmp(ea->split, "test") == 0)
		ea->sp = DATASET_TEST;
	else if (strcmp(ea->split, "valid") == 0)
		ea->sp = DATASET_VALID;
	else if (strcmp(ea->split, "train") == 0)
		ea->sp = DATASET_TRAIN;
	else {
		cmd_error("eval: --split test|valid|train, not '%s'",
		    ea->split);
		return (CMD_USAGE);
	}
	return (CMD_OK);
}

int
cmd_eval(int argc, char **argv)
{
	struct eval_args	 ea;
	struct train_args	*ta = &ea.ta;
	struct dataset		 ds;
	struct vae		*v, *v16 = NULL;
	char			*cause = NULL, cname[32], *s;
	int			 rc;
	json_t			*js;

	if ((rc = eval_parse(argc, argv, &ea)) != CMD_OK)
		return (rc);
	linalg_set_threads(ta->threads);
	midifile_log_init();
	if ((v = modeldir_load(ta->out, &cause)) == NULL) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	/* --precision bf16 or fp16: a second copy in that precision,
	   measured against the float32 one (its sampled accuracy, and its
	   batch-1 decodes of float32's mu token for token). */
	if (ea.prec16 != NULL && ((v16 = modeldir_load(ta->out, &cause)) ==
	    NULL || (strcmp(ea.prec16, "bf16") == 0 ?
	    vae_set_precision(v16, LINALG_BF16, &cause) :
	    vae_set_half(v16, 1, &cause)) != 0)) {
		cmd_error("eval: %s", cause);
		free(cause);
		vae_free(v16);
		vae_free(v);
		return (CMD_ERROR);
	}
	run_cache_name(cname, sizeof cname, &v->p.arch);
	memset(&ds, 0, sizeof ds);
	rc = CMD_ERROR;
	if (dataset_load(&ds, ta->data, &v->p.arch, ta->cache, cname, 0,
	    &cause) != 0)
		cmd_error("%s", cause);
	else if (ds.n[ea.sp] == 0)
		cmd_error("%s: no window in the %s split", ta->data, ea.split);
	else if ((js = run_eval_split(v, v16, ea.prec16, &ds, ea.sp, ea.batch,
	    &cause)) == NULL)
		cmd_error("%s", cause != NULL ? cause : "eval failed");
	else {
		json_object_set_new(js, "model", json_string(ta->out));
		json_object_set_new(js, "split", json_string(ea.split));
		s = json_dumps(js, JSON_SORT_KEYS);
		printf("%s\n", s);
		free(s);
		json_decref(js);
		rc = CMD_OK;
	}
	free(cause);
	dataset_free(&ds);
	vae_free(v16);
	vae_free(v);
	return (rc);
}
