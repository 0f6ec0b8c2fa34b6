/*
 * test_resume: N training steps straight vs N/2 steps, a save of the
 * training state (src/trainstate.c), everything freed, a load into fresh
 * buffers and N/2 more steps: the parameters must be bitwise identical.
 * Also: the training-state file refuses a flipped payload byte (CRC), any
 * damaged header byte (header CRC, version 2), a bad magic, a newer
 * version, a truncated file and a parameter-count mismatch, each with a
 * one-line cause naming the file; a version-1 file (no header CRC, as
 * written by older builds) still loads.
 * And the magenta.js checkpoint's replacement (model/ckpt.c) is atomic as
 * a set: a save into a directory keeps its other files (an open curve
 * keeps growing in it), drops another shard count's shards, removes what
 * an interrupted save left beside it, and a save killed with SIGKILL at
 * random moments always leaves one whole save's model.  (tests/test_resume.sh does the same through the
 * CLI with kill -9.)
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modeldir.h"
#include "adam.h"
#include "linalg.h"
#include "params.h"
#include "rng.h"
#include "train.h"
#include "trainstate.h"
#include "test.h"

#define NWIN	16
#define B	4
#define STEPS	40

static struct vae_arch	arch;
static int		tok[NWIN * 32];

struct run {
	struct vae_params	 p, g;
	float			*m, *v;
	struct train_net	*net;
	struct rng		 r;
	long			 step;
};

static void
run_new(struct run *u)
{
	char	*cause = NULL;

	if (params_alloc(&u->p, &arch, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		exit(99);
	}
	params_clone_layout(&u->g, &u->p, calloc(u->p.n_params,
	    sizeof(float)));
	u->m = calloc(u->p.n_params, sizeof(float));
	u->v = calloc(u->p.n_params, sizeof(float));
	u->net = train_net_new(&u->p, B, &cause);
	u->step = 0;
}

static void
run_free(struct run *u)
{
	train_net_free(u->net);
	free(u->m);
	free(u->v);
	free(u->g.mem);
	params_free(&u->p);
}

/* Steps until `until`; batches cycle through the windows by step. */
static void
run_to(struct run *u, long until)
{
	struct train_hp		hp;
	struct train_stats	st;
	char			*cause = NULL;

	train_hp_default(&hp, &arch);
	hp.sampling_rate = 50;	/* exercise the sampling draws too */
	hp.word_dropout = 0.25f;	/* and the word-dropout draws */
	hp.beta_rate = 0.99f;
	for (; u->step < until; u->step++) {
		const int *bt = tok + (u->step % (NWIN / B)) * B * 32;

		if (train_step(u->net, &u->p, &u->g, u->m, u->v, &hp, u->step,
		    bt, B, &u->r, &st, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			exit(99);
		}
	}
}

static void
fill_ts(struct trainstate *ts, struct run *u)
{
	memset(ts, 0, sizeof *ts);
	ts->n_params = u->p.n_params;
	ts->params = u->p.mem;
	ts->m = u->m;
	ts->v = u->v;
	ts->step = u->step;
	ts->rng = u->r.s;
	ts->seed = 42;
	ts->epoch = 3;
	ts->cursor = 7;
	ts->batch = B;
	ts->threads = 2;
	ts->fingerprint = 0x1234567890abcdefull;
}

/* Little-endian store, as the file's layout (trainstate.h). */
static void
le(unsigned char *b, uint64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* Cause names the file and is one line. */
static int
one_line(const char *cause, const char *file)
{
	return (cause != NULL && strstr(cause, file) != NULL &&
	    strchr(cause, '\n') == NULL);
}

/*
 * Every header byte of a version-2 file, damaged three ways, is refused
 * with a one-line cause; the undamaged file loads again afterwards.
 */
static void
header_flips(const char *file, struct run *u)
{
	static const unsigned char	 masks[] = { 0x01, 0x80, 0xff };
	struct trainstate		 ts;
	unsigned char			 h[96];
	char				*cause = NULL;
	FILE				*f;
	int				 i, k, refused = 0, oneline = 0;

	fill_ts(&ts, u);
	CHECK(trainstate_save(file, &ts, &cause) == 0);
	f = fopen(file, "rb");
	CHECK(f != NULL && fread(h, 1, sizeof h, f) == sizeof h);
	if (f != NULL)
		fclose(f);
	CHECK(h[8] == 2 && h[84] + h[85] + h[86] + h[87] != 0);
	for (i = 0; i < 96; i++) {
		for (k = 0; k < 3; k++) {
			f = fopen(file, "r+b");
			fseek(f, i, SEEK_SET);
			fputc(h[i] ^ masks[k], f);
			fclose(f);
			fill_ts(&ts, u);
			free(cause);
			cause = NULL;
			if (trainstate_load(file, &ts, &cause) == -1)
				refused++;
			else
				fprintf(stderr, "header byte %d ^ 0x%02x "
				    "loaded\n", i, masks[k]);
			if (one_line(cause, file))
				oneline++;
			f = fopen(file, "r+b");
			fseek(f, i, SEEK_SET);
			fputc(h[i], f);
			fclose(f);
		}
	}
	CHECK(refused == 96 * 3);
	CHECK(oneline == 96 * 3);
	fill_ts(&ts, u);
	CHECK(trainstate_load(file, &ts, &cause) == 0);

	/* A newer version: refused, saying so. */
	f = fopen(file, "r+b");
	fseek(f, 8, SEEK_SET);
	fputc(3, f);
	fclose(f);
	CHECK(trainstate_load(file, &ts, &cause) == -1);
	CHECK(one_line(cause, file) && strstr(cause, "version 3") != NULL &&
	    strstr(cause, "newer") != NULL);
	free(cause);
}

/*
 * A version-1 file, laid out by hand as older builds wrote it (CRC of the
 * payload only, 84..95 zero), loads with every field; damaging its
 * reserved bytes (as a version-2 file whose version became 1 would look)
 * is refused.
 */
static void
version1(const char *file, struct run *u)
{
	struct trainstate	 ts;
	unsigned char		 h[96];
	size_t			 bytes = u->p.n_params * sizeof(float);
	uint32_t		 crc;
	char			*cause = NULL;
	float			*p0;
	FILE			*f;

	crc = trainstate_crc32(0, u->p.mem, bytes);
	crc = trainstate_crc32(crc, u->m, bytes);
	crc = trainstate_crc32(crc, u->v, bytes);
	memset(h, 0, sizeof h);
	memcpy(h, "LRTRAIN1", 8);
	le(h + 8, 1, 4);
	le(h + 12, 96, 4);
	le(h + 16, u->p.n_params, 8);
	le(h + 24, 1234, 8);
	le(h + 32, 0xfeedfacecafebeefull, 8);
	le(h + 40, 99, 8);
	le(h + 48, 5, 8);
	le(h + 56, 17, 8);
	le(h + 64, 8, 4);
	le(h + 68, 2, 4);
	le(h + 72, 0x0123456789abcdefull, 8);
	le(h + 80, crc, 4);
	f = fopen(file, "wb");
	fwrite(h, 1, sizeof h, f);
	fwrite(u->p.mem, 1, bytes, f);
	fwrite(u->m, 1, bytes, f);
	fwrite(u->v, 1, bytes, f);
	fclose(f);

	p0 = malloc(bytes);
	memcpy(p0, u->p.mem, bytes);
	memset(&ts, 0, sizeof ts);
	ts.n_params = u->p.n_params;
	ts.params = calloc(u->p.n_params, sizeof(float));
	ts.m = calloc(u->p.n_params, sizeof(float));
	ts.v = calloc(u->p.n_params, sizeof(float));
	CHECK(trainstate_load(file, &ts, &cause) == 0);
	CHECK(ts.step == 1234 && ts.rng == 0xfeedfacecafebeefull &&
	    ts.seed == 99 && ts.epoch == 5 && ts.cursor == 17 &&
	    ts.batch == 8 && ts.threads == 2 &&
	    ts.fingerprint == 0x0123456789abcdefull);
	CHECK(memcmp(ts.params, p0, bytes) == 0 &&
	    memcmp(ts.m, u->m, bytes) == 0 && memcmp(ts.v, u->v, bytes) == 0);

	/* Saved again, it is version 2 and loads the same. */
	CHECK(trainstate_save(file, &ts, &cause) == 0);
	f = fopen(file, "rb");
	CHECK(f != NULL && fread(h, 1, sizeof h, f) == sizeof h && h[8] == 2);
	if (f != NULL)
		fclose(f);
	ts.step = 0;
	CHECK(trainstate_load(file, &ts, &cause) == 0 && ts.step == 1234);

	/* Version 1 with a non-zero reserved byte. */
	le(h + 8, 1, 4);
	f = fopen(file, "r+b");
	fwrite(h, 1, sizeof h, f);
	fclose(f);
	CHECK(trainstate_load(file, &ts, &cause) == -1);
	CHECK(one_line(cause, file) && strstr(cause, "reserved") != NULL);

	free(ts.params);
	free(ts.m);
	free(ts.v);
	free(p0);
	free(cause);
}

static void
put_file(const char *dir, const char *name, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int
has_text(const char *dir, const char *name, const char *text)
{
	char	 path[512], buf[256];
	size_t	 n;
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return (0);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (strcmp(buf, text) == 0);
}

static int
exists(const char *dir, const char *name)
{
	char		path[512];
	struct stat	st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return (lstat(path, &st) == 0);
}

/* Entries of the parent of dir named dir.tmp* (temporary folders). */
static int
stray_temps(const char *parent, const char *base)
{
	struct dirent	*de;
	DIR		*d;
	char		 pre[256];
	int		 n = 0;

	snprintf(pre, sizeof pre, "%s.tmp", base);
	if ((d = opendir(parent)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, pre, strlen(pre)) == 0)
			n++;
	closedir(d);
	return (n);
}

/* Every weight of v set to x: one save is recognisable in any shard. */
static void
fill_all(struct vae *v, float x)
{
	size_t	j;

	for (j = 0; j < v->p.n_params; j++)
		v->p.mem[j] = x;
}

/* 1 when every weight loaded from dir is the same value; that in *x. */
static int
one_save(const char *dir, float *x)
{
	struct vae	*v;
	char		*cause = NULL;
	size_t		 j;
	int		 ok;

	if ((v = modeldir_load(dir, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return (0);
	}
	*x = v->p.mem[0];
	ok = 1;
	for (j = 0; j < v->p.n_params; j++)
		if (v->p.mem[j] != *x)
			ok = 0;
	vae_free(v);
	return (ok);
}

static void
ckpt_atomic(void)
{
	struct vae_arch	 a;
	struct vae	*v;
	struct timespec	 ts, t0, t1;
	char		 top[] = "/tmp/test_ckptswap.XXXXXX", dir[256];
	char		 stale[300], cmd[300], *cause = NULL, c, here[512];
	FILE		*curve;
	float		 x;
	double		 tsave;
	pid_t		 pid;
	int		 i, st, whole = 0, mid = 0, nkill = 6, fd[2];

	if (mkdtemp(top) == NULL)
		return;
	snprintf(dir, sizeof dir, "%s/model", top);
	/* Two shards (4 MiB each), so a mix of two saves could show. */
	memset(&a, 0, sizeof a);
	a.kind = VAE_MELODY;
	a.num_steps = 32;
	a.in_depth = a.out_depth[0] = 90;
	a.n_splits = 1;
	a.enc_layers = 1;
	a.enc_size[0] = 256;
	a.z_size = 16;
	a.dec_layers = 2;
	a.dec_size[0] = a.dec_size[1] = 160;
	v = vae_new(&a, &cause);
	CHECK(v != NULL);
	if (v == NULL)
		return;
	vae_set_has_sigma(v, 1);
	CHECK(v->p.n_params * 4 > 4 * 1024 * 1024);

	fill_all(v, 1);
	CHECK(modeldir_save(v, dir, CKPT_FLOAT32, &cause) == 0);
	/* The run's other files, a stale shard of another count, a
	   subfolder, and what a killed save leaves beside the folder. */
	put_file(dir, "model_card.json", "{\"card\": 1}\n");
	put_file(dir, "trainstate.bin", "state");
	put_file(dir, "attribute_vecs.json", "{}\n");
	put_file(dir, "group1-shard1of9", "old");
	snprintf(stale, sizeof stale, "%s/sub", dir);
	mkdir(stale, 0777);
	put_file(stale, "x", "kept");
	snprintf(stale, sizeof stale, "%s.tmpAbC123", dir);
	mkdir(stale, 0700);
	put_file(stale, "group1-shard1of2", "stale");
	snprintf(stale, sizeof stale, "%s.tmpKeep", dir);	/* not ours */
	mkdir(stale, 0700);
	snprintf(cmd, sizeof cmd, "%s/curve.tsv", dir);
	curve = fopen(cmd, "a");
	fputs("step1\n", curve);
	fflush(curve);

	fill_all(v, 2);
	CHECK(modeldir_save(v, dir, CKPT_FLOAT32, &cause) == 0);
	fputs("step2\n", curve);	/* still the folder's curve */
	fclose(curve);
	CHECK(one_save(dir, &x) && x == 2);
	CHECK(has_text(dir, "model_card.json", "{\"card\": 1}\n"));
	CHECK(has_text(dir, "trainstate.bin", "state"));
	CHECK(has_text(dir, "attribute_vecs.json", "{}\n"));
	CHECK(has_text(dir, "curve.tsv", "step1\nstep2\n"));
	CHECK(has_text(dir, "sub/x", "kept"));
	CHECK(!exists(dir, "group1-shard1of9"));
	CHECK(exists(dir, "group1-shard1of2") &&
	    exists(dir, "group1-shard2of2"));
	CHECK(stray_temps(top, "model") == 1);	/* model.tmpKeep only */
	CHECK(access(stale, F_OK) == 0);

	/* Saved from inside the folder (train --out .): the folder we are
	   in must stay the model's, so it is replaced file by file. */
	if (getcwd(here, sizeof here) != NULL && chdir(dir) == 0) {
		fill_all(v, 4);
		CHECK(modeldir_save(v, ".", CKPT_FLOAT32, &cause) == 0);
		CHECK(one_save(".", &x) && x == 4);
		CHECK(has_text(".", "model_card.json", "{\"card\": 1}\n"));
		CHECK(one_save(dir, &x) && x == 4);
		CHECK(chdir(here) == 0);
	}

	/*
	 * kill -9 at random moments of back-to-back saves: the child says
	 * when its first save is done, then dies within about one more.
	 * Six kills at least, and more (up to 60) until one has come
	 * mid-save: how many do depends on the machine's timing (under
	 * ASan the first save, which sets the delays, is not like the
	 * child's), what each must leave does not.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(modeldir_save(v, dir, CKPT_FLOAT32, &cause) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tsave = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	srand(1);
	for (i = 0; i < nkill || (mid == 0 && i < 60); i++) {
		if (pipe(fd) != 0)
			break;
		if ((pid = fork()) == 0) {
			float k;

			close(fd[0]);
			for (k = 10 + 100 * i; ; k++) {
				fill_all(v, k);
				if (modeldir_save(v, dir, CKPT_FLOAT32, NULL) != 0)
					_exit(1);
				if (write(fd[1], "s", 1) != 1)
					_exit(1);
			}
		}
		close(fd[1]);
		if (read(fd[0], &c, 1) != 1)
			c = 0;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(tsave * 1.2 * (rand() % 100) / 100);
		if (ts.tv_nsec > 999999999)
			ts.tv_nsec = 999999999;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		close(fd[0]);
		x = 0;
		if (c == 's' && one_save(dir, &x) && x >= 10 + 100 * i)
			whole++;
		if (stray_temps(top, "model") > 1)
			mid++;
	}
	nkill = i;
	CHECK_MSG(whole == nkill, "%d of %d kills left one whole save of "
	    "this round", whole, nkill);
	/* Not vacuous: some kills came mid-save (a temporary folder was
	   left), the rest between saves. */
	CHECK_MSG(mid >= 1, "no kill of %d landed mid-save", nkill);
	fprintf(stderr, "ckpt: %d kills, %d left one whole save, %d landed "
	    "mid-save (a save takes %.0f ms)\n", nkill, whole, mid,
	    tsave / 1e6);
	CHECK(has_text(dir, "model_card.json", "{\"card\": 1}\n"));
	CHECK(has_text(dir, "curve.tsv", "step1\nstep2\n"));
	/* The next save removes what the kills left. */
	fill_all(v, 3);
	CHECK(modeldir_save(v, dir, CKPT_FLOAT32, &cause) == 0);
	CHECK(one_save(dir, &x) && x == 3);
	CHECK(stray_temps(top, "model") == 1);

	vae_free(v);
	free(cause);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
}

/*
 * A data-parallel step (model/train_par.c) with 2 workers on a batch of 5
 * is, bit for bit, the step worked out here in sequence: slices of 3 and
 * 2 windows, each through its own net with a generator seeded from the
 * step's, gradients weighted 3/5 and 2/5, one clip, one Adam update.  A
 * slice weighted wrong, a slice left out or a shared generator all fail.
 * Two runs of 3 steps agree bitwise, and with one worker it is train_step.
 */
static void
test_par(void)
{
	struct vae_params	 p, q, g, g1;
	struct train_par	*tp, *tp1;
	struct train_net	*n0, *n1;
	struct train_hp		 hp;
	struct train_stats	 st, s0, s1;
	struct rng		 r, rq, r0, r1;
	float			*m, *v, *mq, *vq;
	char			*cause = NULL;
	size_t			 i, diff = 0;
	int			 k;

	if (params_alloc(&p, &arch, &cause) != 0 ||
	    params_alloc(&q, &arch, &cause) != 0) {
		CHECK_MSG(0, "%s", cause);
		return;
	}
	rng_seed(&r, 5);
	train_init_params(&p, &r);
	memcpy(q.mem, p.mem, p.n_params * sizeof(float));
	params_clone_layout(&g, &p, calloc(p.n_params, sizeof(float)));
	params_clone_layout(&g1, &p, calloc(p.n_params, sizeof(float)));
	m = calloc(p.n_params, sizeof *m);
	v = calloc(p.n_params, sizeof *v);
	mq = calloc(p.n_params, sizeof *mq);
	vq = calloc(p.n_params, sizeof *vq);
	train_hp_default(&hp, &arch);
	hp.sampling_rate = 50;
	hp.beta_rate = 0.99f;
	tp = train_par_new(&p, 5, 2, &cause);
	n0 = train_net_new(&p, 3, &cause);
	n1 = train_net_new(&p, 2, &cause);
	CHECK(tp != NULL && n0 != NULL && n1 != NULL &&
	    train_par_workers(tp) == 2);

	rng_seed(&r, 9);
	CHECK(train_par_step(tp, &p, &g, m, v, &hp, 4, tok, 5, &r, &st,
	    &cause) == 0);

	rng_seed(&rq, 9);
	rng_seed(&r0, rng_u64(&rq));
	rng_seed(&r1, rng_u64(&rq));
	linalg_serial_begin();
	memset(g.mem, 0, g.n_params * sizeof(float));
	CHECK(train_forward(n0, &q, tok, 3, (float)train_beta(&hp, 4),
	    hp.free_bits, (float)train_ss_prob(&hp, 4), 0, &r0, &s0,
	    &cause) == 0);
	train_backward(n0, &q, &g);
	CHECK(train_forward(n1, &q, tok + 3 * 32, 2, (float)train_beta(&hp,
	    4), hp.free_bits, (float)train_ss_prob(&hp, 4), 0, &r1, &s1,
	    &cause) == 0);
	train_backward(n1, &q, &g1);
	linalg_serial_end();
	for (i = 0; i < g.n_params; i++) {
		g.mem[i] *= (float)(3.0 / 5);
		g.mem[i] += (float)(2.0 / 5) * g1.mem[i];
	}
	train_update(&q, &g, mq, vq, &hp, 4, &s0);
	for (i = 0; i < p.n_params; i++)
		diff += p.mem[i] != q.mem[i];
	CHECK_MSG(diff == 0, "data-parallel step: %zu of %zu parameters "
	    "differ from the sequential one", diff, p.n_params);
	CHECK_MSG(fabs(st.loss - (3 * s0.loss + 2 * s1.loss) / 5) <=
	    1e-9 * fabs(st.loss) && fabs(st.acc - (3 * s0.acc + 2 * s1.acc) /
	    5) <= 1e-12, "stats: loss %g acc %g", st.loss, st.acc);
	CHECK(rq.s == r.s);

	/* Deterministic: the same 3 steps again from the same start. */
	rng_seed(&r, 5);
	train_init_params(&p, &r);
	memcpy(q.mem, p.mem, p.n_params * sizeof(float));
	memset(m, 0, p.n_params * sizeof *m);
	memset(v, 0, p.n_params * sizeof *v);
	memset(mq, 0, p.n_params * sizeof *mq);
	memset(vq, 0, p.n_params * sizeof *vq);
	rng_seed(&r, 1);
	rng_seed(&rq, 1);
	for (k = 0; k < 3; k++) {
		CHECK(train_par_step(tp, &p, &g, m, v, &hp, k, tok + k * 32,
		    5, &r, &st, &cause) == 0);
		CHECK(train_par_step(tp, &q, &g, mq, vq, &hp, k, tok + k * 32,
		    5, &rq, &st, &cause) == 0);
	}
	CHECK(memcmp(p.mem, q.mem, p.n_params * sizeof(float)) == 0);

	/* One worker: train_step itself, same generator use. */
	tp1 = train_par_new(&p, 5, 1, &cause);
	memcpy(q.mem, p.mem, p.n_params * sizeof(float));
	memcpy(mq, m, p.n_params * sizeof *m);
	memcpy(vq, v, p.n_params * sizeof *v);
	rng_seed(&r, 2);
	rng_seed(&rq, 2);
	CHECK(tp1 != NULL && train_par_step(tp1, &p, &g, m, v, &hp, 3, tok,
	    5, &r, &st, &cause) == 0);
	n0 = n0 != NULL ? (train_net_free(n0), train_net_new(&p, 5, &cause)) :
	    NULL;
	CHECK(n0 != NULL && train_step(n0, &q, &g1, mq, vq, &hp, 3, tok, 5,
	    &rq, &s0, &cause) == 0);
	CHECK(memcmp(p.mem, q.mem, p.n_params * sizeof(float)) == 0 &&
	    r.s == rq.s);
	/* A batch larger than the nets is refused with a cause. */
	CHECK(train_par_step(tp, &p, &g, m, v, &hp, 0, tok, 6, &r, &st,
	    &cause) == -1 && cause != NULL);
	free(cause);

	train_par_free(tp);
	train_par_free(tp1);
	train_net_free(n0);
	train_net_free(n1);
	free(m);
	free(v);
	free(mq);
	free(vq);
	free(g.mem);
	free(g1.mem);
	params_free(&p);
	params_free(&q);
}

/*
 * The global norm's block sums: sixteen double lanes, then the lanes in
 * order, then the tail (adam.c), on whichever path the CPU takes; the
 * threads' partial sums and the whole-arena norm must agree to the digit.
 */
static void
test_sumsq(void)
{
	static const size_t ns[] = { 0, 1, 15, 16, 17, 255, 4099, 65536 };
	float		*g = malloc(65536 * sizeof *g);
	double		 lane[16], want, got, all;
	struct rng	 r;
	size_t		 i, k, n;
	int		 j;

	rng_seed(&r, 11);
	for (i = 0; i < 65536; i++)
		g[i] = (float)rng_normal(&r) * (i % 7 == 0 ? 1e3f : 1e-3f);
	for (k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		n = ns[k];
		memset(lane, 0, sizeof lane);
		for (i = 0; i + 16 <= n; i += 16)
			for (j = 0; j < 16; j++)
				lane[j] += (double)g[i + j] * g[i + j];
		want = 0;
		for (j = 0; j < 16; j++)
			want += lane[j];
		for (; i < n; i++)
			want += (double)g[i] * g[i];
		got = adam_sumsq(g, n);
		CHECK(got == want);
		if (got != want)
			fprintf(stderr, "sumsq of %zu: %.17g, want %.17g\n", n,
			    got, want);
	}
	/* Blocks in order: the norm two workers' parts give. */
	all = adam_norm(g, 65536);
	got = sqrt(adam_sumsq(g, 40000) + adam_sumsq(g + 40000, 25536));
	CHECK(isfinite(all) && all > 0);
	CHECK(fabs(all - got) <= 1e-12 * all);
	free(g);
}

/*
 * A warm start (--init) begins Adam's moments at zero at a late step:
 * with hp.adam_step0 = that step, bias correction counts from there, so
 * the first update moves each weight by the step's learning rate, as
 * Adam's first step always does, not by sqrt(1 - b2) / (1 - b1) = 3.2
 * times it, which is what counting from step 0 would give.
 */
static void
test_adam_warm(void)
{
	struct vae_params	 p, g;
	struct train_hp		 hp;
	struct train_stats	 st;
	struct rng		 r;
	float			*m, *v, *w0;
	char			*cause = NULL;
	double			 lr, d, lo = 1e9, hi = 0;
	size_t			 i;
	long			 step = 5000;
	int			 k;

	if (params_alloc(&p, &arch, &cause) != 0) {
		CHECK_MSG(0, "%s", cause);
		return;
	}
	rng_seed(&r, 21);
	train_init_params(&p, &r);
	params_clone_layout(&g, &p, calloc(p.n_params, sizeof(float)));
	m = calloc(p.n_params, sizeof *m);
	v = calloc(p.n_params, sizeof *v);
	w0 = malloc(p.n_params * sizeof *w0);
	train_hp_default(&hp, &arch);
	lr = train_lr(&hp, step);
	for (k = 0; k < 2; k++) {
		hp.adam_step0 = k == 0 ? step : 0;
		memset(m, 0, p.n_params * sizeof *m);
		memset(v, 0, p.n_params * sizeof *v);
		memcpy(w0, p.mem, p.n_params * sizeof *w0);
		/* Adam's first step does not depend on the gradient's
		   scale (clipped or not) once eps (1e-8) is negligible. */
		for (i = 0; i < p.n_params; i++)
			g.mem[i] = (i % 2 ? 1e-3f : -2e-3f);
		train_update(&p, &g, m, v, &hp, step, &st);
		lo = 1e9;
		hi = 0;
		for (i = 0; i < p.n_params; i++) {
			d = fabs(p.mem[i] - w0[i]);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		if (k == 0)
			CHECK_MSG(lo > 0.98 * lr && hi < 1.02 * lr,
			    "warm start: first update %g..%g, lr %g", lo, hi,
			    lr);
		else
			CHECK_MSG(lo > 3.0 * lr,
			    "from step 0 the same moments give %g..%g, lr %g",
			    lo, hi, lr);
		memcpy(p.mem, w0, p.n_params * sizeof *w0);
	}
	free(w0);
	free(m);
	free(v);
	free(g.mem);
	params_free(&p);
}

/*
 * --warmup N: the rate ramps linearly over the optimiser's first N steps
 * (counted from adam_step0) to the schedule it would have had, and
 * follows the schedule exactly from then on; 0 is no ramp.  A warm
 * start's first update is lr/N per weight.
 */
static void
test_warmup(void)
{
	struct train_hp	 hp, plain;
	long		 s0 = 5000, t;
	int		 ok = 1;

	train_hp_default(&hp, &arch);
	plain = hp;
	hp.adam_step0 = plain.adam_step0 = s0;
	hp.warmup = 100;
	for (t = 0; t < 300; t++) {
		double	want = train_lr(&plain, s0 + t);

		if (t < 100)
			want *= (double)(t + 1) / 100.0;
		if (fabs(train_lr(&hp, s0 + t) - want) > 1e-12 * want)
			ok = 0;
	}
	CHECK_MSG(ok, "warmup 100 from step %ld: not the ramp", s0);
	CHECK(fabs(train_lr(&hp, s0) - train_lr(&plain, s0) / 100.0) <
	    1e-12);
	CHECK(train_lr(&hp, s0 + 99) == train_lr(&plain, s0 + 99));
	CHECK(train_lr(&hp, s0 + 1000) == train_lr(&plain, s0 + 1000));
	hp.warmup = 0;
	CHECK(train_lr(&hp, s0) == train_lr(&plain, s0));
	/* From a fresh start the ramp counts from step 0. */
	hp.warmup = 10;
	hp.adam_step0 = plain.adam_step0 = 0;
	CHECK(fabs(train_lr(&hp, 4) - train_lr(&plain, 4) * 0.5) < 1e-12);
}

int
main(void)
{
	struct run		 a, b;
	struct trainstate	 ts;
	struct rng		 r;
	char			 path[] = "/tmp/test_resume.XXXXXX";
	char			*cause = NULL, file[64];
	int			 fd, i;
	FILE			*f;
	long			 size;
	unsigned char		 c;

	memset(&arch, 0, sizeof arch);
	arch.kind = VAE_MELODY;
	arch.num_steps = 32;
	arch.in_depth = arch.out_depth[0] = 90;
	arch.n_splits = 1;
	arch.enc_layers = 1;
	arch.enc_size[0] = 16;
	arch.z_size = 4;
	arch.dec_layers = 2;
	arch.dec_size[0] = arch.dec_size[1] = 16;
	rng_seed(&r, 3);
	for (i = 0; i < NWIN * 32; i++)
		tok[i] = rng_below(&r, 3) ? 0 : 2 + rng_below(&r, 30);

	test_par();
	test_adam_warm();
	test_warmup();
	test_sumsq();

	if ((fd = mkstemp(path)) < 0)
		return (99);
	close(fd);
	snprintf(file, sizeof file, "%s", path);

	/* Straight. */
	run_new(&a);
	rng_seed(&a.r, 11);
	train_init_params(&a.p, &a.r);
	run_to(&a, STEPS);

	/* Half, save, free, load, rest. */
	run_new(&b);
	rng_seed(&b.r, 11);
	train_init_params(&b.p, &b.r);
	run_to(&b, STEPS / 2);
	fill_ts(&ts, &b);
	ts.adam_step0 = STEPS / 2 + 1;	/* after the run's step: corrupt */
	CHECK(trainstate_save(file, &ts, &cause) == 0);
	CHECK(trainstate_load(file, &ts, &cause) == -1 && cause != NULL &&
	    strstr(cause, file) != NULL && strstr(cause, "Adam") != NULL);
	free(cause);
	cause = NULL;
	fill_ts(&ts, &b);
	ts.adam_step0 = 5;
	CHECK(trainstate_save(file, &ts, &cause) == 0);
	run_free(&b);
	memset(&b, 0, sizeof b);
	run_new(&b);
	fill_ts(&ts, &b);
	ts.step = 0;
	ts.rng = 0;
	CHECK(trainstate_load(file, &ts, &cause) == 0);
	CHECK(ts.step == STEPS / 2 && ts.adam_step0 == 5 && ts.seed == 42 &&
	    ts.epoch == 3 &&
	    ts.cursor == 7 && ts.batch == B && ts.threads == 2 &&
	    ts.fingerprint == 0x1234567890abcdefull);
	b.step = ts.step;
	b.r.s = ts.rng;
	run_to(&b, STEPS);
	CHECK(memcmp(a.p.mem, b.p.mem, a.p.n_params * sizeof(float)) == 0);
	CHECK(memcmp(a.m, b.m, a.p.n_params * sizeof(float)) == 0);
	/* And training moved the weights at all. */
	{
		struct run c0;

		run_new(&c0);
		rng_seed(&c0.r, 11);
		train_init_params(&c0.p, &c0.r);
		CHECK(memcmp(c0.p.mem, a.p.mem, a.p.n_params *
		    sizeof(float)) != 0);
		run_free(&c0);
	}

	/* Corruption: flip one payload byte. */
	f = fopen(file, "r+b");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	c = (unsigned char)fgetc(f);
	fseek(f, size / 2, SEEK_SET);
	fputc(c ^ 0x10, f);
	fclose(f);
	fill_ts(&ts, &b);
	CHECK(trainstate_load(file, &ts, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "CRC") != NULL &&
	    strstr(cause, file) != NULL);

	/* Wrong parameter count. */
	fill_ts(&ts, &b);
	CHECK(trainstate_save(file, &ts, &cause) == 0);
	ts.n_params--;
	CHECK(trainstate_load(file, &ts, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "parameters") != NULL);

	/* Truncated. */
	CHECK(truncate(file, size / 3) == 0);
	fill_ts(&ts, &b);
	CHECK(trainstate_load(file, &ts, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "truncated") != NULL);

	/* Bad magic. */
	f = fopen(file, "r+b");
	fputc('X', f);
	fclose(f);
	CHECK(trainstate_load(file, &ts, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "magic") != NULL);

	header_flips(file, &b);
	version1(file, &b);
	ckpt_atomic();

	/* CRC-32 check value of "123456789" (IEEE). */
	CHECK(trainstate_crc32(0, "123456789", 9) == 0xcbf43926u);

	unlink(file);
	free(cause);
	run_free(&a);
	run_free(&b);
	return (test_report());
}
