/*
 * clock.h: time for the player.  The monotonic clock and a simulated one
 * behind the live_clock interface, and MIDI clock following: 24 ppqn
 * ticks, start/stop/continue, song position, and a smoothed tempo.
 * No I/O: messages in, state out.
 */
#ifndef LR_CLOCK_H
#define LR_CLOCK_H

#include <stdint.h>

#include "live.h"

/* CLOCK_MONOTONIC in seconds, and an absolute sleep on it. */
double	clock_mono_now(void *arg);
void	clock_mono_sleep_until(void *arg, double t);
/* The monotonic clock as a live_clock. */
extern const struct live_clock clock_mono;

/* A simulated clock: now() is *t, sleep_until() just moves *t forward. */
struct clock_sim {
	double			t;
	struct live_clock	clock;	/* points at this struct */
};
void	clock_sim_init(struct clock_sim *s, double t0);

/* What a message did to the follower. */
enum clock_event {
	CLOCK_EV_NONE,		/* not a clock/transport message */
	CLOCK_EV_TICK,		/* 0xF8 while running: position advanced */
	CLOCK_EV_IDLE_TICK,	/* 0xF8 while stopped (tempo only) */
	CLOCK_EV_START,		/* 0xFA: position 0, running */
	CLOCK_EV_CONTINUE,	/* 0xFB: running from position */
	CLOCK_EV_STOP,		/* 0xFC */
	CLOCK_EV_POSITION,	/* 0xF2: position set */
};

#define CLOCK_WINDOW	96	/* ticks in the tempo window (4 beats) */

struct clock_follow {
	int	running;
	long	tick;			/* ticks since start (24 ppqn); the
					   next tick to arrive has this index */
	double	times[CLOCK_WINDOW];	/* arrival of recent ticks, ring */
	long	n_times;		/* ticks seen since the last reset */
	double	qpm;			/* smoothed estimate; 0: unknown */
};

void	clock_follow_init(struct clock_follow *f);
/*
 * Feed one input message received at time t (seconds).  Returns what
 * happened; on CLOCK_EV_TICK the tick index that arrived is f->tick - 1.
 */
enum clock_event clock_follow_msg(struct clock_follow *f, double t,
	    const uint8_t *msg, int len);

#endif
