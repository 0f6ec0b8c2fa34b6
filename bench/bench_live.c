/*
 * bench_live.c: real-clock scheduling error of the player.  The threaded
 * player loops a dense pattern (sixteenths on three channels plus MIDI
 * clock out) on the recording sink, which notes for every message the
 * monotonic clock at the moment it was sent; error = actual - ideal.
 * Meanwhile a "UI" thread decodes nonstop as the instrument's worker
 * does on every slider move: a random-weight model of the shipped shape
 * (model/, OpenBLAS) encodes two clips, slerps the 33-point ladder and
 * decodes it (batch 33, argmax), again and again.  Target: p99 < 1 ms.
 *
 *	bench_live [--seconds N] [--json] [--no-load] [--arch NAME]
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"
#include "rng.h"
#include "train.h"
#include "vae.h"
#include "live.h"

#define LADDER	33	/* the worker's ladder (WORKER_LADDER) */

static atomic_int	load_stop;
static atomic_long	load_decodes;	/* ladder points decoded */

struct load {
	struct vae	*v;
	int		*tok;		/* A, B, then the ladder:
					   (2 + LADDER, T, S) */
	float		*z;		/* (LADDER, Z) */
	char		*error;
};

/* A random-weight model of a shipped shape, and its buffers. */
static int
load_init(struct load *ld, const char *arch, char **cause)
{
	struct vae_arch	 a;
	struct rng	 r;
	size_t		 i, ts;

	memset(ld, 0, sizeof *ld);
	if (params_arch_named(&a, arch, cause) != 0 ||
	    (ld->v = vae_new(&a, cause)) == NULL)
		return (-1);
	rng_seed(&r, 1);
	train_init_params(&ld->v->p, &r);
	ts = (size_t)a.num_steps * a.n_splits;
	ld->tok = calloc(ts * (2 + LADDER), sizeof *ld->tok);
	ld->z = calloc((size_t)LADDER * a.z_size, sizeof *ld->z);
	if (ld->tok == NULL || ld->z == NULL)
		return (lr_fail(cause, "out of memory"));
	for (i = 0; i < 2 * ts; i++)
		ld->tok[i] = (int)rng_below(&r, (uint32_t)a.out_depth[0]);
	return (0);
}

static void
load_free(struct load *ld)
{
	vae_free(ld->v);
	free(ld->tok);
	free(ld->z);
	free(ld->error);
}

/* The stand-in UI worker: encode A and B, slerp, decode, forever. */
static void *
decoder(void *arg)
{
	struct load		*ld = arg;
	const struct vae_arch	*a = &ld->v->p.arch;
	float			*za, *zb;

	za = calloc((size_t)2 * a->z_size, sizeof *za);
	zb = za + a->z_size;
	while (!atomic_load(&load_stop)) {
		if (vae_encode(ld->v, ld->tok, 2, za, NULL, &ld->error) != 0)
			break;
		vae_interpolate(ld->z, za, zb, a->z_size, LADDER, VAE_SLERP);
		if (vae_decode(ld->v, ld->z, LADDER, 0.0f, NULL, ld->tok +
		    (size_t)2 * a->num_steps * a->n_splits, &ld->error) != 0)
			break;
		/* The decoded ladder feeds nothing back: A and B stay. */
		atomic_fetch_add(&load_decodes, LADDER);
	}
	free(za);
	return (NULL);
}

static int
cmp_double(const void *x, const void *y)
{
	double	a = *(const double *)x, b = *(const double *)y;

	return (a < b ? -1 : a > b);
}

int
main(int argc, char **argv)
{
	struct live_opts	 o;
	struct live_note	 n[48];
	struct live_pattern	 p;
	struct live_status	 st;
	const struct live_event	*ev;
	struct live		*l;
	pthread_t		 th;
	struct load		 ld;
	const char		*arch = "mel_2bar";
	char			*cause = NULL;
	double			 seconds = 60, *err, sum = 0, t0, t1;
	size_t			 cnt, i, k = 0;
	int			 json = 0, load = 1, c, s;

	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--seconds") == 0 && c + 1 < argc)
			seconds = atof(argv[++c]);
		else if (strcmp(argv[c], "--json") == 0)
			json = 1;
		else if (strcmp(argv[c], "--no-load") == 0)
			load = 0;
		else if (strcmp(argv[c], "--arch") == 0 && c + 1 < argc)
			arch = argv[++c];
		else {
			fprintf(stderr, "usage: bench_live [--seconds N] "
			    "[--json] [--no-load] [--arch NAME]\n");
			return (2);
		}
	}
	if (!(seconds > 0))
		seconds = 60;

	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.qpm = 120;
	o.clock_master = 1;
	o.record_max = (size_t)(seconds * 200) + 4096;
	if ((l = live_new(&o, &cause)) == NULL) {
		fprintf(stderr, "bench_live: %s\n", cause);
		return (1);
	}
	memset(&p, 0, sizeof p);
	for (c = 0; c < LIVE_MAX_CHANNELS; c++)
		p.program[c] = -1;
	for (s = 0; s < 16; s++)
		for (c = 0; c < 3; c++) {
			n[k].pitch = (uint8_t)(48 + 12 * c + s % 12);
			n[k].velocity = (uint8_t)(60 + 4 * s);
			n[k].channel = (uint8_t)(c == 2 ? 9 : c);
			n[k].start_step = s;
			n[k].end_step = s + 1;
			k++;
		}
	p.steps = 16;
	p.n = k;
	p.notes = n;
	if (live_swap(l, &p, &cause) < 0) {
		fprintf(stderr, "bench_live: %s\n", cause);
		return (1);
	}
	if (load && load_init(&ld, arch, &cause) != 0) {
		fprintf(stderr, "bench_live: %s: %s\n", arch, cause);
		return (1);
	}
	if (load && pthread_create(&th, NULL, decoder, &ld) != 0) {
		fprintf(stderr, "bench_live: cannot start the decoder\n");
		return (1);
	}
	t0 = live_now(l);
	live_start(l);
	/* The UI loop: swap the same pattern every bar, as a moving slider
	   would, and read the status. */
	while ((t1 = live_now(l)) - t0 < seconds) {
		usleep(100000);
		live_status(l, &st);
		if ((int)((t1 - t0) * 10) % 20 == 0 &&
		    live_swap(l, &p, &cause) < 0)
			break;
	}
	live_stop(l);
	usleep(50000);
	if (load) {
		atomic_store(&load_stop, 1);
		pthread_join(th, NULL);
		if (ld.error != NULL) {
			fprintf(stderr, "bench_live: decoding: %s\n",
			    ld.error);
			return (1);
		}
	}
	live_status(l, &st);
	cnt = live_recorded(l, &ev);
	err = calloc(cnt + 1, sizeof *err);
	for (i = 0; i < cnt; i++) {
		err[i] = (ev[i].actual - ev[i].ideal) * 1000.0;
		sum += err[i];
	}
	qsort(err, cnt, sizeof *err, cmp_double);
	if (cnt == 0) {
		fprintf(stderr, "bench_live: nothing was sent\n");
		return (1);
	}
#define PCT(q) err[(size_t)((double)(cnt - 1) * (q))]
	if (json)
		printf("{\"bench\":\"live\",\"seconds\":%.1f,\"events\":%zu,"
		    "\"load\":%s,\"arch\":\"%s\",\"decodes_per_s\":%.1f,"
		    "\"err_ms\":{"
		    "\"min\":%.4f,\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f,"
		    "\"max\":%.4f,\"mean\":%.4f},\"target_p99_ms\":1.0,"
		    "\"pass\":%s,\"dropped\":%llu}\n", seconds, cnt,
		    load ? "true" : "false", load ? arch : "",
		    atomic_load(&load_decodes) / seconds, err[0], PCT(0.5),
		    PCT(0.99), PCT(0.999), err[cnt - 1], sum / (double)cnt,
		    PCT(0.99) < 1.0 ? "true" : "false",
		    (unsigned long long)st.dropped);
	else {
		printf("live scheduling error (actual send - ideal), %zu "
		    "messages over %.0f s, ", cnt, seconds);
		if (load)
			printf("UI thread decoding %s ladders (%.0f points/s)"
			    "\n", arch, atomic_load(&load_decodes) / seconds);
		else
			printf("no load\n");
		printf("  %-8s %10s\n", "stat", "ms");
		printf("  %-8s %10.4f\n", "min", err[0]);
		printf("  %-8s %10.4f\n", "p50", PCT(0.5));
		printf("  %-8s %10.4f\n", "p99", PCT(0.99));
		printf("  %-8s %10.4f\n", "p99.9", PCT(0.999));
		printf("  %-8s %10.4f\n", "max", err[cnt - 1]);
		printf("  %-8s %10.4f\n", "mean", sum / (double)cnt);
		printf("  target p99 < 1 ms: %s\n", PCT(0.99) < 1.0 ? "PASS" :
		    "FAIL");
	}
	free(err);
	live_free(l);
	if (load)
		load_free(&ld);
	return (0);
}
