/*
 * cmd_model.c: encode, decode and interpolate from the command line, for
 * scripts (the output formats are stable):
 *   encode       {"mu": [...], "sigma": [...] | null, "tokens": [...]}
 *   decode       {"tokens": [...]}
 *   interpolate  one line per point: {"t": T, "tokens": [...]}
 * and export (re-save a model, optionally quantized).
 * Tokens are a flat list per step for one-split models and a list of
 * [melody, bass, drums] per step for trio models.
 */
#include "cmds.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "modeldir.h"
#include "linalg.h"
#include "lstm.h"
#include "vae.h"
#include "convert.h"
#include "dataset.h"
#include "jsonfile.h"
#include "midifile.h"
#include "musicfile.h"
#include "audiofile.h"
#include "render.h"
#include "synth.h"

static const struct option model_opts[] = {
	{ "model", required_argument, NULL, 'm' },
	{ "window", required_argument, NULL, 'w' },
	{ "z", required_argument, NULL, 'z' },
	{ "temperature", required_argument, NULL, 't' },
	{ "seed", required_argument, NULL, 's' },
	{ "out", required_argument, NULL, 'o' },
	{ "lerp", no_argument, NULL, 'l' },
	{ "force", no_argument, NULL, 'f' },
	{ "dtype", required_argument, NULL, 'd' },
	{ "track", required_argument, NULL, 'k' },
	{ "precision", required_argument, NULL, 'p' },
	{ "channel", required_argument, NULL, 'c' },
	{ "similarity", required_argument, NULL, 'S' },
	{ "tune", required_argument, NULL, 'u' },
	{ "wav", no_argument, NULL, 'W' },
	{ "soundfont", required_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 }
};

/* --precision fp16 (LINALG_ has no such product precision). */
#define PREC_FP16	(-2)

struct model_args {
	const char	*model;
	const char	*zfile;
	const char	*out;
	long		 window;
	long		 track;		/* -1: the converter's choice */
	long		 channel;	/* 0-based, -1: the converter's */
	long		 tune;		/* X of an ABC file, 0: its first */
	double		 temperature;
	int		 have_temperature;
	double		 similarity;	/* -1: not given */
	unsigned long long seed;
	long		 n;
	int		 lerp;
	int		 force;
	int		 wav;		/* --wav: each step as audio too */
	const char	*soundfont;
	const char	*dtype;
	int		 precision;	/* LINALG_FP32, LINALG_BF16 or
					   PREC_FP16 */
	char		**files;
	int		 n_files;
};

/*
 * Parse the options of a model command; -1 on a usage error.  allowed
 * lists the option letters the command takes: an option another command
 * takes (decode --window, encode -n) is a usage error, not silently
 * ignored, so a script's typo does not quietly change its result.
 * Numbers must be whole: "" or "5x" or "-5" for a seed are errors.
 */
/* The long name of option letter c, for messages. */
static const char *
opt_name(int c)
{
	const struct option	*o;

	for (o = model_opts; o->name != NULL; o++)
		if (o->val == c)
			return (o->name);
	return (c == 'n' ? "n" : "?");
}

/* The value of option c into a; -1 after a line saying what is wrong. */
static int
parse_value(int c, const char *arg, struct model_args *a)
{
	switch (c) {
	case 'm': a->model = arg; return (0);
	case 'z': a->zfile = arg; return (0);
	case 'o': a->out = arg; return (0);
	case 'l': a->lerp = 1; return (0);
	case 'W': a->wav = 1; return (0);
	case 'F': a->soundfont = arg; return (0);
	case 'f': a->force = 1; return (0);
	case 'd': a->dtype = arg; return (0);
	case 'p':
		if (strcmp(arg, "bf16") == 0)
			a->precision = LINALG_BF16;
		else if (strcmp(arg, "fp16") == 0)
			a->precision = PREC_FP16;
		else if (strcmp(arg, "fp32") == 0)
			a->precision = LINALG_FP32;
		else {
			cmd_error("--precision %s: want bf16, fp16 or fp32",
			    arg);
			return (-1);
		}
		return (0);
	/* Windows, tracks and channels count from 1, as inspect and the
	   instrument show them. */
	case 'w':
		if (opt_whole(opt_name(c), arg, 1, 1000000, NULL,
		    &a->window) != 0)
			return (-1);
		a->window--;
		return (0);
	case 'k':
		if (opt_whole(opt_name(c), arg, 1, 65536, NULL,
		    &a->track) != 0)
			return (-1);
		a->track--;
		return (0);
	case 'c':
		if (opt_whole(opt_name(c), arg, 1, 16, NULL,
		    &a->channel) != 0)
			return (-1);
		a->channel--;
		return (0);
	case 'n':
		return (opt_whole(opt_name(c), arg, 1, 10000, NULL, &a->n));
	case 'u':
		return (opt_whole(opt_name(c), arg, 1, 1000000, NULL,
		    &a->tune));
	case 't':
		a->have_temperature = 1;
		return (opt_real("temperature", arg, 0, 1e6, "a number from 0 "
		    "(argmax) to 1e6", &a->temperature));
	case 'S':
		return (opt_real("similarity", arg, 0, 1, "a number from 0 "
		    "(a new sample) to 1 (the clip)", &a->similarity));
	case 's':
		/* Decimal, as attrs and train read it: "010" is ten. */
		return (opt_seed("seed", arg, ULLONG_MAX, &a->seed));
	default:
		return (-1);
	}
}

/*
 * Parse the options of a model command; -1 on a usage error, after a line
 * naming the option at fault and what it takes.  allowed lists the option
 * letters the command takes: an option another command takes (decode
 * --window, encode -n) is a usage error, not silently ignored, so a
 * script's typo does not quietly change its result.
 */
static int
parse(int argc, char **argv, const char *allowed, struct model_args *a)
{
	int	c;

	memset(a, 0, sizeof *a);
	a->n = -1;
	a->similarity = -1;
	a->track = a->channel = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:", model_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			cmd_error("%s: %s", argv[optind - 1], c == ':' ?
			    "wants a value" : "not an option");
			return (-1);
		}
		if (strchr(allowed, c) == NULL) {
			cmd_error("--%s: not an option of %s", opt_name(c),
			    argv[0]);
			return (-1);
		}
		if (parse_value(c, optarg, a) != 0)
			return (-1);
	}
	a->files = argv + optind;
	a->n_files = argc - optind;
	if ((a->wav || a->soundfont != NULL) && a->out == NULL) {
		cmd_error("--%s: the results go to --out DIR", a->wav ? "wav" :
		    "soundfont");
		return (-1);
	}
	/* What the command reads, no output of it may replace. */
	for (c = 0; c < a->n_files; c++)
		cmd_input(a->files[c]);
	if (a->zfile != NULL)
		cmd_input(a->zfile);
	if (a->soundfont != NULL)
		cmd_input(a->soundfont);
	return (0);
}

/* What a command lacks, said, then its usage: CMD_USAGE. */
static int
want(const char *cmd, const char *what)
{
	cmd_error("%s: wants %s", cmd, what);
	return (cmd_usage(cmd));
}

/*
 * The model of --model in --precision; bf16 or fp16 where this machine
 * cannot run it stays float32 with a one-line note (the result is the
 * float32 one).  fp16 is vae_set_half: 16-bit weights for batch-1
 * decoding only (no fp16 matrix product here), batched work in float32.
 */
static struct vae *
load_model(struct model_args *ma)
{
	struct vae	*v;
	char		*cause = NULL;

	/* A name or a folder; none: the shipped 2-bar model. */
	if ((ma->model = cmd_model_path(ma->model, &cause)) == NULL ||
	    (v = modeldir_load(ma->model, &cause)) == NULL) {
		cmd_error("%s", cause);
		free(cause);
		return (NULL);
	}
	/* Both cores where there are two: the encoder's directions, and a
	   batch-1 decode's products with 16-bit weights (same results). */
	vae_set_threads(v, sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1);
	if ((ma->precision == LINALG_BF16 &&
	    vae_set_precision(v, LINALG_BF16, &cause) != 0) ||
	    (ma->precision == PREC_FP16 && vae_set_half(v, 1, &cause) != 0)) {
		/* Without AVX512-BF16 the 16-bit weights that do run here
		   are fp16's: say so, the user asked for speed. */
		fprintf(stderr, "latentroll: note: %s%s\n", cause,
		    ma->precision == LINALG_BF16 && lstm_half_supported() ?
		    " (--precision fp16 decodes with 16-bit weights here)" :
		    "");
		free(cause);
	}
	return (v);
}

/*
 * Window `window` of a clip (from the part of track and channel, -1 for
 * the converter's choice) as the model's tokens (T, S); -1 after
 * reporting "FILE: what".
 */
static int
clip_tokens(const char *path, const struct vae *v, const struct model_args
    *ma, int *tok)
{
	const struct vae_arch	*a = &v->p.arch;
	struct noteseq		 s;
	struct windows		 w;
	char			*cause = NULL;
	int			 rc = -1;

	/* The loader initialises s itself; zeroed, noteseq_free is safe. */
	memset(&s, 0, sizeof s);
	windows_init(&w);
	if (musicfile_load(path, (int)ma->tune, &s, &cause) != 0) {
		cmd_error("%s", cause);
		goto out;
	}
	if (data_windows(a->kind, a->num_steps, a->n_splits, &s,
	    (int)ma->track, (int)ma->channel, path, &w, &cause) != 0) {
		cmd_error("%s", cause);
		goto out;
	}
	if (ma->window >= w.n) {
		cmd_error("%s: no window %ld (the clip has %d: 1..%d)",
		    path, ma->window + 1, w.n, w.n);
		goto out;
	}
	memcpy(tok, w.tokens + (size_t)ma->window * w.steps * w.S,
	    (size_t)w.steps * w.S * sizeof *tok);
	rc = 0;
out:
	free(cause);
	windows_free(&w);
	noteseq_free(&s);
	return (rc);
}

static json_t *
json_tokens(const struct vae_arch *a, const int *tok)
{
	json_t	*arr = json_array(), *step;
	int	 t, s;

	for (t = 0; t < a->num_steps; t++) {
		if (a->n_splits == 1) {
			json_array_append_new(arr, json_integer(tok[t]));
			continue;
		}
		step = json_array();
		for (s = 0; s < a->n_splits; s++)
			json_array_append_new(step,
			    json_integer(tok[t * a->n_splits + s]));
		json_array_append_new(arr, step);
	}
	return (arr);
}

/* Print one JSON object on one line and free it. */
static void
print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(9));
	fputc('\n', stdout);
	json_decref(o);
}

/*
 * The JSON is the result: a script reading a full disk or a closed pipe
 * must see a failure, not exit 0 with half an object.
 */
static int
stdout_check(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return (0);
	cmd_error("stdout: %s", errno != 0 ? strerror(errno) :
	    "write error");
	return (-1);
}

/*
 * A decoded clip is new material: never replace an existing file (a corpus
 * tune, a user's clip) unless asked; midifile_save only guards the files
 * this process loaded.  Checked before decoding too, so a refused --out
 * fails before anything is printed.
 */
static int
out_check(const char *path, int force)
{
	struct stat	st;

	if (cmd_out_check(path) != 0)
		return (-1);
	if (force || stat(path, &st) != 0)
		return (0);
	cmd_error("%s: exists; not overwriting it (use --force)", path);
	return (-1);
}

/* Name of result i of a command (interp, sample, similar) in dir,
   counted from 1 as a person counts them. */
static void
out_path(char *buf, size_t len, const char *dir, const char *what, int i)
{
	snprintf(buf, len, "%s/%s_%02d.mid", dir, what, i + 1);
}

/* The same result as audio (--wav). */
static void
out_wav_path(char *buf, size_t len, const char *dir, const char *what,
    int i)
{
	snprintf(buf, len, "%s/%s_%02d.wav", dir, what, i + 1);
}

/* Tokens (T, S) as notes at 120 qpm (s initialised here). */
static void
tokens_seq(const struct vae_arch *a, const int *tok, struct noteseq *s)
{
	noteseq_init(s);
	switch (a->kind) {
	case VAE_MELODY:
		convert_melody_to_noteseq(tok, a->num_steps, LR_QPM_DEFAULT, 0,
		    0, s);
		break;
	case VAE_DRUMS:
		convert_drums_to_noteseq(tok, a->num_steps, LR_QPM_DEFAULT, 0,
		    s);
		break;
	case VAE_TRIO:
		convert_trio_to_noteseq(tok, a->num_steps, LR_QPM_DEFAULT, 0,
		    s);
		break;
	}
}

/*
 * Tokens (T, S) to audio at 120 qpm, one loop and the release, as the
 * player would play them on the built-in synth.  -1 after reporting.
 */
static int
write_wav(const char *path, const struct vae_arch *a, const int *tok,
    const char *soundfont, int force)
{
	struct noteseq		 s;
	struct live_pattern	 p;
	struct live_note	*ln = NULL;
	struct live_opts	 o;
	struct render_audio	 au;
	char			*cause = NULL;
	int			 rc = -1;

	if (out_check(path, force) != 0)
		return (-1);
	memset(&au, 0, sizeof au);
	memset(&o, 0, sizeof o);
	o.qpm = LR_QPM_DEFAULT;
	tokens_seq(a, tok, &s);
	/* An empty step renders as the loop's silence. */
	if (live_pattern_from_noteseq(&p, &ln, &s, a->num_steps,
	    &cause) == 0 && render_pattern(&o, &p, 1, soundfont, &au,
	    &cause) == 0 && audiofile_save(path, au.pcm, au.frames, 2,
	    au.rate, force, &cause) == 0)
		rc = 0;
	if (rc != 0) {
		cmd_error("%s", cause);
		free(cause);
	}
	free(ln);
	render_audio_free(&au);
	noteseq_free(&s);
	return (rc);
}

/* Tokens (T, S) to a MIDI file at 120 qpm. */
static int
write_midi(const char *path, const struct vae_arch *a, const int *tok,
    int force)
{
	struct noteseq	 s;
	char		*cause = NULL;
	int		 rc = 0;

	if (out_check(path, force) != 0)
		return (-1);
	tokens_seq(a, tok, &s);
	if (midifile_save(path, &s, force, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		rc = -1;
	}
	noteseq_free(&s);
	return (rc);
}

/*
 * Before any work: --out DIR can take the n files of what (a folder to
 * be made needs a parent that can hold it; files there are replaced only
 * with --force).  -1 after saying why.
 */
static int
out_dir_check(const struct model_args *a, const char *what)
{
	struct stat		 st;
	struct synth_opts	 so;
	struct synth		*sy;
	char			 path[4096], *cause = NULL;
	int			 i;

	/* The soundfont of --wav before any file is written: a bad one
	   would fail after the first clip, leaving it behind. */
	if (a->wav || a->soundfont != NULL) {
		memset(&so, 0, sizeof so);
		so.soundfont = a->soundfont;
		if ((sy = synth_new(&so, 0, &cause)) == NULL) {
			cmd_error("%s", cause);
			free(cause);
			return (-1);
		}
		synth_free(sy);
	}
	if (stat(a->out, &st) != 0)
		return (cmd_out_check(a->out));
	if (!S_ISDIR(st.st_mode)) {
		cmd_error("%s: not a directory", a->out);
		return (-1);
	}
	for (i = 0; i < a->n; i++) {
		out_path(path, sizeof path, a->out, what, i);
		if (out_check(path, a->force) != 0)
			return (-1);
		out_wav_path(path, sizeof path, a->out, what, i);
		if (a->wav && out_check(path, a->force) != 0)
			return (-1);
	}
	return (0);
}

/* The n results (tok: n x T x S) as MIDI files in --out DIR. */
static int
out_dir_write(const struct model_args *a, const char *what,
    const struct vae_arch *arch, const int *tok)
{
	struct stat	 st;
	char		 path[4096];
	size_t		 TS = (size_t)arch->num_steps * arch->n_splits;
	int		 i;

	if (stat(a->out, &st) != 0 && mkdir(a->out, 0777) != 0) {
		cmd_error("%s: %s", a->out, strerror(errno));
		return (-1);
	}
	for (i = 0; i < a->n; i++) {
		out_path(path, sizeof path, a->out, what, i);
		if (write_midi(path, arch, tok + i * TS, a->force) != 0)
			return (-1);
		out_wav_path(path, sizeof path, a->out, what, i);
		if (a->wav && write_wav(path, arch, tok + i * TS,
		    a->soundfont, a->force) != 0)
			return (-1);
	}
	return (0);
}

/*
 * latentroll encode --model DIR FILE.mid [--window N] [--track N]
 *     [--channel N]
 */
int
cmd_encode(int argc, char **argv)
{
	struct model_args	 a;
	struct vae		*v;
	json_t			*o;
	char			*cause = NULL;
	int			*tok = NULL, Z, rc = CMD_ERROR;
	float			*mu = NULL, *sg = NULL;

	if (parse(argc, argv, "mwkcpu", &a) != 0 || a.n_files != 1)
		return (cmd_usage("encode"));
	midifile_log_init();
	if ((v = load_model(&a)) == NULL)
		return (CMD_ERROR);
	Z = v->p.arch.z_size;
	tok = calloc((size_t)v->p.arch.num_steps * v->p.arch.n_splits,
	    sizeof *tok);
	mu = calloc(Z, sizeof *mu);
	sg = calloc(Z, sizeof *sg);
	if (clip_tokens(a.files[0], v, &a, tok) != 0)
		goto out;
	if (vae_encode(v, tok, 1, mu, sg, &cause) != 0) {
		cmd_error("%s: %s", a.files[0], cause);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "mu", jsonfile_floats(mu, Z));
	json_object_set_new(o, "sigma", vae_has_sigma(v) ?
	    jsonfile_floats(sg, Z) : json_null());
	json_object_set_new(o, "tokens", json_tokens(&v->p.arch, tok));
	print_json(o);
	if (stdout_check() != 0)
		goto out;
	rc = CMD_OK;
out:
	free(cause);
	free(tok);
	free(mu);
	free(sg);
	vae_free(v);
	return (rc);
}

/* Read {"z": [...]} or {"mu": [...]} of exactly Z numbers. */
static int
read_z(const char *path, float *z, int Z)
{
	json_t		*o, *arr, *x;
	char		*cause = NULL;
	size_t		 i;
	int		 rc = -1;

	if ((o = jsonfile_load(path, &cause)) == NULL) {
		cmd_error("%s", cause);
		free(cause);
		return (-1);
	}
	arr = json_object_get(o, "z");
	if (arr == NULL)
		arr = json_object_get(o, "mu");
	if (!json_is_array(arr)) {
		cmd_error("%s: needs a \"z\" or \"mu\" array", path);
		goto out;
	}
	if (json_array_size(arr) != (size_t)Z) {
		cmd_error("%s: z has %zu values, the model needs %d", path,
		    json_array_size(arr), Z);
		goto out;
	}
	json_array_foreach(arr, i, x) {
		if (!json_is_number(x) || !isfinite(json_number_value(x))) {
			cmd_error("%s: z[%zu] is not a finite number", path, i);
			goto out;
		}
		z[i] = (float)json_number_value(x);
	}
	rc = 0;
out:
	json_decref(o);
	return (rc);
}

/* latentroll decode --model DIR --z Z.json [--temperature T] [--seed S]
 * [--out OUT.mid] */
int
cmd_decode(int argc, char **argv)
{
	struct model_args	 a;
	struct vae		*v;
	struct rng		 r;
	json_t			*o;
	char			*cause = NULL;
	int			*tok = NULL, rc = CMD_ERROR;
	float			*z = NULL;

	if (parse(argc, argv, "mztsofp", &a) != 0)
		return (cmd_usage("decode"));
	if (a.n_files != 0 || a.zfile == NULL)
		return (want("decode", a.n_files != 0 ? "no file but --z "
		    "Z.json (encode writes one)" : "--z Z.json"));
	if (a.out != NULL && out_check(a.out, a.force) != 0)
		return (CMD_ERROR);
	midifile_log_init();
	if ((v = load_model(&a)) == NULL)
		return (CMD_ERROR);
	z = calloc(v->p.arch.z_size, sizeof *z);
	tok = calloc((size_t)v->p.arch.num_steps * v->p.arch.n_splits,
	    sizeof *tok);
	if (read_z(a.zfile, z, v->p.arch.z_size) != 0)
		goto out;
	rng_seed(&r, a.seed);
	if (vae_decode(v, z, 1, (float)a.temperature, &r, tok, &cause) != 0) {
		cmd_error("%s: %s", a.zfile, cause);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "tokens", json_tokens(&v->p.arch, tok));
	print_json(o);
	if (stdout_check() != 0)
		goto out;
	if (a.out != NULL && write_midi(a.out, &v->p.arch, tok, a.force) != 0)
		goto out;
	rc = CMD_OK;
out:
	free(cause);
	free(tok);
	free(z);
	vae_free(v);
	return (rc);
}

/*
 * latentroll interpolate --model DIR A.mid B.mid -n N [--lerp] [--out DIR]
 *     [--track N] [--channel N] (the same part choice for A and B)
 */
int
cmd_interpolate(int argc, char **argv)
{
	struct model_args	 a;
	struct vae		*v;
	json_t			*o;
	char			*cause = NULL;
	int			*tok = NULL, *ta, *tb, rc = CMD_ERROR, Z, i;
	size_t			 TS;
	float			*mu = NULL, *zs = NULL;

	if (parse(argc, argv, "mwnlofkcpuWF", &a) != 0)
		return (cmd_usage("interpolate"));
	if (a.n_files != 2 || a.n < 1)
		return (want("interpolate", a.n_files != 2 ? "two clips, "
		    "A.mid B.mid" : "-n N (the points, both ends among "
		    "them)"));
	if (a.out != NULL && out_dir_check(&a, "interp") != 0)
		return (CMD_ERROR);
	midifile_log_init();
	if ((v = load_model(&a)) == NULL)
		return (CMD_ERROR);
	Z = v->p.arch.z_size;
	TS = (size_t)v->p.arch.num_steps * v->p.arch.n_splits;
	tok = calloc(TS * (a.n > 2 ? a.n : 2), sizeof *tok);
	mu = calloc(2 * (size_t)Z, sizeof *mu);
	zs = calloc((size_t)a.n * Z, sizeof *zs);
	ta = tok;
	tb = tok + TS;
	if (clip_tokens(a.files[0], v, &a, ta) != 0 ||
	    clip_tokens(a.files[1], v, &a, tb) != 0)
		goto out;
	if (vae_encode(v, tok, 2, mu, NULL, &cause) != 0) {
		cmd_error("%s: %s", a.files[0], cause);
		goto out;
	}
	vae_interpolate(zs, mu, mu + Z, Z, (int)a.n,
	    a.lerp ? VAE_LERP : VAE_SLERP);
	/* The whole ladder in one batched decode. */
	if (vae_decode(v, zs, (int)a.n, 0.0f, NULL, tok, &cause) != 0) {
		cmd_error("%s: %s", a.model, cause);
		goto out;
	}
	for (i = 0; i < a.n; i++) {
		o = json_object();
		json_object_set_new(o, "t", json_real(a.n == 1 ? 0.0 :
		    (double)i / (a.n - 1)));
		json_object_set_new(o, "tokens", json_tokens(&v->p.arch,
		    tok + i * TS));
		print_json(o);
	}
	if (stdout_check() != 0)
		goto out;
	if (a.out != NULL && out_dir_write(&a, "interp", &v->p.arch, tok) != 0)
		goto out;
	rc = CMD_OK;
out:
	free(cause);
	free(tok);
	free(mu);
	free(zs);
	vae_free(v);
	return (rc);
}

/*
 * latentroll export --model DIR --out DIR [--dtype float32|uint16|uint8]
 * [--force]: re-save a model in the magenta.js format, quantized on
 * request (a shipped model over 20 MB goes out as uint16). The input is
 * never the output; an existing model directory is replaced only with
 * --force. model_card.json comes along with the weights' dtype added;
 * attribute vectors do not: quantization moves mu, so run attrs again.
 */
int
cmd_export(int argc, char **argv)
{
	struct model_args	 a;
	struct vae		*v;
	enum ckpt_dtype		 dt = CKPT_FLOAT32;
	json_t			*card = NULL;
	char			*cause = NULL, *src = NULL, *dst = NULL;
	char			 path[4096];
	static const char	*sidecar[] = { "weights_manifest.json",
				    "model_card.json", "attribute_vecs.json" };
	char			*other;
	size_t			 i;
	int			 rc = CMD_ERROR;

	if (parse(argc, argv, "mdof", &a) != 0 || a.n_files != 0 ||
	    a.out == NULL)
		return (cmd_usage("export"));
	if (a.dtype == NULL || strcmp(a.dtype, "float32") == 0)
		dt = CKPT_FLOAT32;
	else if (strcmp(a.dtype, "uint16") == 0)
		dt = CKPT_UINT16;
	else if (strcmp(a.dtype, "uint8") == 0)
		dt = CKPT_UINT8;
	else {
		cmd_error("--dtype %s: want float32, uint16 or uint8", a.dtype);
		return (cmd_usage("export"));
	}
	if ((a.model = cmd_model_path(a.model, &cause)) == NULL) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	src = realpath(a.model, NULL);
	dst = realpath(a.out, NULL);
	if (src != NULL && dst != NULL && strcmp(src, dst) == 0) {
		cmd_error("%s: is the input model; export to another directory",
		    a.out);
		goto done;
	}
	/* The card and the vectors describe the model beside them: they
	   are part of what --force replaces, and without it are kept. */
	for (i = 0; i < sizeof sidecar / sizeof sidecar[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", a.out, sidecar[i]);
		if (!a.force && access(path, F_OK) == 0) {
			cmd_error("%s: holds %s; not replacing it (use "
			    "--force)", a.out, i == 0 ? "a model" : sidecar[i]);
			goto done;
		}
	}
	/* A folder of someone's other files is no model folder: the
	   shards would land among them. */
	if ((other = modeldir_foreign(a.out, NULL)) != NULL) {
		cmd_error("%s: holds other files (%s); export to a new "
		    "folder or a model's", a.out, other);
		free(other);
		goto done;
	}
	/* The card is read before anything is written: a broken one must
	   not leave weights without it. */
	snprintf(path, sizeof path, "%s/model_card.json", a.model);
	if (access(path, F_OK) == 0) {
		if ((card = jsonfile_load(path, &cause)) == NULL) {
			cmd_error("%s", cause);
			goto done;
		}
		if (!json_is_object(card)) {
			cmd_error("%s: not a JSON object", path);
			goto done;
		}
	}
	if ((v = load_model(&a)) == NULL)
		goto done;
	if (modeldir_save(v, a.out, dt, &cause) != 0) {
		cmd_error("%s", cause);
		vae_free(v);
		goto done;
	}
	vae_free(v);
	/* The old model's vectors and card (when this one has none) must
	   not pass for the new one's: quantization moves mu. */
	for (i = 1; i < sizeof sidecar / sizeof sidecar[0]; i++) {
		if (i == 1 && card != NULL)
			continue;
		snprintf(path, sizeof path, "%s/%s", a.out, sidecar[i]);
		if (unlink(path) != 0 && errno != ENOENT) {
			cmd_error("%s: %s", path, strerror(errno));
			goto done;
		}
	}
	if (card != NULL) {
		json_object_set_new(card, "weights_dtype", json_string(
		    a.dtype != NULL ? a.dtype : "float32"));
		/* The measured numbers are the float32 source's: quantized
		   weights were not measured, so they are kept as the
		   source's, not passed off as these (models shows none). */
		if (dt != CKPT_FLOAT32 && json_object_get(card, "test")) {
			json_object_set(card, "source_test",
			    json_object_get(card, "test"));
			json_object_del(card, "test");
		}
		snprintf(path, sizeof path, "%s/model_card.json", a.out);
		if (jsonfile_save(card, path, &cause) != 0) {
			cmd_error("%s", cause);
			goto done;
		}
	}
	rc = CMD_OK;
done:
	if (card != NULL)
		json_decref(card);
	free(cause);
	free(src);
	free(dst);
	return (rc);
}

/* Print each of n results as {"i", "tokens"} and write --out DIR. */
static int
emit_results(const struct model_args *a, const char *what,
    const struct vae_arch *arch, const int *tok)
{
	size_t	TS = (size_t)arch->num_steps * arch->n_splits;
	json_t	*o;
	int	i;

	for (i = 0; i < a->n; i++) {
		o = json_object();
		json_object_set_new(o, "i", json_integer(i + 1));
		json_object_set_new(o, "tokens", json_tokens(arch,
		    tok + i * TS));
		print_json(o);
	}
	if (stdout_check() != 0)
		return (-1);
	if (a->out != NULL && out_dir_write(a, what, arch, tok) != 0)
		return (-1);
	return (0);
}

/*
 * n latent points z = similarity * base + (1 - similarity) * N(0, I)
 * (base NULL: 0, a plain prior sample), decoded at the temperature (0.5
 * unless given, as Magenta's sample and magenta.js's similar), each with
 * its own generator from the seed.
 */
static int
generate(const struct model_args *a, struct vae *v, const float *base,
    double similarity, const char *what)
{
	struct rng	 r, *rs = NULL;
	size_t		 TS = (size_t)v->p.arch.num_steps * v->p.arch.n_splits;
	float		*z;
	char		*cause = NULL;
	int		*tok, Z = v->p.arch.z_size, i, k, rc = -1;
	double		 temp = a->have_temperature ? a->temperature : 0.5;

	z = lr_calloc((size_t)a->n * Z, sizeof *z);
	tok = lr_calloc(TS * a->n, sizeof *tok);
	rs = lr_calloc(a->n, sizeof *rs);
	rng_seed(&r, a->seed);
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < Z; k++)
			z[(size_t)i * Z + k] = (float)(similarity *
			    (base != NULL ? base[k] : 0) + (1 - similarity) *
			    rng_normal(&r));
		rng_seed(&rs[i], a->seed + 1 + (unsigned long long)i);
	}
	if (vae_decode_rows(v, z, a->n, (float)temp, rs, tok, &cause) != 0)
		cmd_error("%s: %s", a->model, cause);
	else
		rc = emit_results(a, what, &v->p.arch, tok);
	free(cause);
	free(rs);
	free(tok);
	free(z);
	return (rc);
}

/*
 * latentroll sample [--model NAME|DIR] -n N [--temperature T] [--seed S]
 *     [--out DIR] [--force]: new clips from the prior.
 */
int
cmd_sample(int argc, char **argv)
{
	struct model_args	 a;
	struct vae		*v;
	int			 rc;

	if (parse(argc, argv, "mntsofpWF", &a) != 0)
		return (cmd_usage("sample"));
	if (a.n_files != 0 || a.n < 1)
		return (want("sample", a.n_files != 0 ? "no file (similar "
		    "varies a clip)" : "-n N (how many)"));
	if (a.out != NULL && out_dir_check(&a, "sample") != 0)
		return (CMD_ERROR);
	midifile_log_init();
	if ((v = load_model(&a)) == NULL)
		return (CMD_ERROR);
	rc = generate(&a, v, NULL, 0.0, "sample") == 0 ? CMD_OK : CMD_ERROR;
	vae_free(v);
	return (rc);
}

/*
 * latentroll similar [--model NAME|DIR] FILE -n N --similarity S
 *     [--temperature T] [--seed S] [--window N] [--track N] [--channel N]
 *     [--out DIR] [--force]: variations on a clip, nearer it as S -> 1.
 */
int
cmd_similar(int argc, char **argv)
{
	struct model_args	 a;
	struct vae		*v;
	char			*cause = NULL;
	int			*tok = NULL, rc = CMD_ERROR;
	float			*mu = NULL;

	if (parse(argc, argv, "mnStsofpwkcuWF", &a) != 0)
		return (cmd_usage("similar"));
	if (a.n_files != 1 || a.n < 1 || a.similarity < 0)
		return (want("similar", a.n_files != 1 ? "one clip" :
		    a.n < 1 ? "-n N (how many)" : "--similarity S (0 to 1; "
		    "1 is the clip's own code)"));
	if (a.out != NULL && out_dir_check(&a, "similar") != 0)
		return (CMD_ERROR);
	midifile_log_init();
	if ((v = load_model(&a)) == NULL)
		return (CMD_ERROR);
	tok = lr_calloc((size_t)v->p.arch.num_steps * v->p.arch.n_splits,
	    sizeof *tok);
	mu = lr_calloc(v->p.arch.z_size, sizeof *mu);
	if (clip_tokens(a.files[0], v, &a, tok) != 0)
		goto out;
	if (vae_encode(v, tok, 1, mu, NULL, &cause) != 0) {
		cmd_error("%s: %s", a.files[0], cause);
		goto out;
	}
	if (generate(&a, v, mu, a.similarity, "similar") == 0)
		rc = CMD_OK;
out:
	free(cause);
	free(mu);
	free(tok);
	vae_free(v);
	return (rc);
}
