/*
 * clock.c: time sources and MIDI clock following.  The tempo estimate is
 * the mean tick period over a window of up to CLOCK_WINDOW ticks (first
 * and last arrival divided by the count), so per-tick jitter is divided
 * by the window length instead of being averaged into an EMA.
 */
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

const struct live_clock clock_mono = {
	.now = clock_mono_now,
	.sleep_until = clock_mono_sleep_until,
	.arg = NULL,
};

static double	sim_now(void *);
static void	sim_sleep_until(void *, double);

/* Seconds on CLOCK_MONOTONIC. */
double
clock_mono_now(void *arg)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

/* Sleep until CLOCK_MONOTONIC reaches t (absolute, so no drift). */
void
clock_mono_sleep_until(void *arg, double t)
{
	struct timespec	ts;

	if (t <= 0)
		return;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
	    NULL) == EINTR)
		;
}

static double
sim_now(void *arg)
{
	return (((struct clock_sim *)arg)->t);
}

static void
sim_sleep_until(void *arg, double t)
{
	struct clock_sim	*s = arg;

	if (t > s->t)
		s->t = t;
}

/* A simulated clock starting at t0. */
void
clock_sim_init(struct clock_sim *s, double t0)
{
	s->t = t0;
	s->clock.now = sim_now;
	s->clock.sleep_until = sim_sleep_until;
	s->clock.arg = s;
}

/* A follower that has seen nothing: stopped at 0, tempo unknown. */
void
clock_follow_init(struct clock_follow *f)
{
	memset(f, 0, sizeof *f);
}

/* Record a tick arrival and refresh the tempo estimate. */
static void
follow_tick(struct clock_follow *f, double t)
{
	long	w;
	double	first, period;

	/* A gap of over a second between ticks is a paused master, not a
	   tempo of 2.5 qpm: restart the window from this tick. */
	if (f->n_times > 0 &&
	    t - f->times[(f->n_times - 1) % CLOCK_WINDOW] > 1.0)
		f->n_times = 0;
	f->times[f->n_times % CLOCK_WINDOW] = t;
	f->n_times++;
	if (f->n_times < 2)
		return;
	w = f->n_times - 1 < CLOCK_WINDOW - 1 ? f->n_times - 1 :
	    CLOCK_WINDOW - 1;
	first = f->times[(f->n_times - 1 - w) % CLOCK_WINDOW];
	period = (t - first) / (double)w;
	if (period > 0)
		f->qpm = 60.0 / (period * LIVE_TICKS_PER_QUARTER);
}

/* Feed one message received at t. */
enum clock_event
clock_follow_msg(struct clock_follow *f, double t, const uint8_t *msg,
    int len)
{
	if (len < 1)
		return (CLOCK_EV_NONE);
	switch (msg[0]) {
	case 0xF8:
		follow_tick(f, t);
		if (!f->running)
			return (CLOCK_EV_IDLE_TICK);
		f->tick++;
		return (CLOCK_EV_TICK);
	case 0xFA:
		f->running = 1;
		f->tick = 0;
		return (CLOCK_EV_START);
	case 0xFB:
		f->running = 1;
		return (CLOCK_EV_CONTINUE);
	case 0xFC:
		f->running = 0;
		return (CLOCK_EV_STOP);
	case 0xF2:
		if (len < 3)
			return (CLOCK_EV_NONE);
		/* Song position counts MIDI beats: sixteenths, 6 ticks. */
		f->tick = (long)((msg[1] & 0x7f) | ((msg[2] & 0x7f) << 7)) *
		    LIVE_TICKS_PER_STEP;
		return (CLOCK_EV_POSITION);
	}
	return (CLOCK_EV_NONE);
}
