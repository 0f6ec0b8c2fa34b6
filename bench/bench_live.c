/*
 * bench_live.c: real-clock scheduling error of the player.  The threaded
 * player loops a dense pattern (sixteenths on three channels plus MIDI
 * clock out) on the recording sink, which notes for every message the
 * monotonic clock at the moment it was sent; error = actual - ideal.
 * Meanwhile a "UI" thread multiplies matrices nonstop, as decoding does.
 * Target: p99 < 1 ms.
 *
 *	bench_live [--seconds N] [--json] [--no-load]
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/live.h"

#define MM	192	/* burner matrix size */

static atomic_int	burn_stop;
static atomic_long	burn_flops;

/* The stand-in UI thread: naive matmuls, no BLAS, forever. */
static void *
burner(void *arg)
{
	float	*a, *b, *c;
	int	 i, j, k;

	a = malloc(sizeof *a * MM * MM);
	b = malloc(sizeof *b * MM * MM);
	c = malloc(sizeof *c * MM * MM);
	for (i = 0; i < MM * MM; i++) {
		a[i] = (float)(i % 7) * 0.1f;
		b[i] = (float)(i % 5) * 0.2f;
	}
	while (!atomic_load(&burn_stop)) {
		for (i = 0; i < MM; i++)
			for (j = 0; j < MM; j++) {
				float s = 0;

				for (k = 0; k < MM; k++)
					s += a[i * MM + k] * b[k * MM + j];
				c[i * MM + j] = s;
			}
		a[0] = c[MM + 1] * 1e-9f;
		atomic_fetch_add(&burn_flops, 2L * MM * MM * MM);
	}
	free(a);
	free(b);
	free(c);
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
		else {
			fprintf(stderr, "usage: bench_live [--seconds N] "
			    "[--json] [--no-load]\n");
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
	if (load)
		pthread_create(&th, NULL, burner, NULL);
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
		atomic_store(&burn_stop, 1);
		pthread_join(th, NULL);
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
		    "\"load\":%s,\"burner_gflops\":%.2f,\"err_ms\":{"
		    "\"min\":%.4f,\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f,"
		    "\"max\":%.4f,\"mean\":%.4f},\"target_p99_ms\":1.0,"
		    "\"pass\":%s,\"dropped\":%llu}\n", seconds, cnt,
		    load ? "true" : "false",
		    atomic_load(&burn_flops) / seconds / 1e9, err[0], PCT(0.5),
		    PCT(0.99), PCT(0.999), err[cnt - 1], sum / (double)cnt,
		    PCT(0.99) < 1.0 ? "true" : "false",
		    (unsigned long long)st.dropped);
	else {
		printf("live scheduling error (actual send - ideal), %zu "
		    "messages over %.0f s, %s\n", cnt, seconds, load ?
		    "UI thread burning CPU (naive matmul)" : "no load");
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
	return (0);
}
