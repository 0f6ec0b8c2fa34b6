/*
 * live.c: the live player.
 *
 * Thread ownership (STYLE 12).  The main/UI thread owns curses, the model,
 * libsmf and everything on the UI side of struct live (bindings, learn,
 * the front status slot, freeing old patterns).  The player thread owns
 * the sink (PortMidi) after live_new and everything in struct play.  They
 * share only: the command queue (UI -> player), the input-injection queue
 * (UI -> player), the input-event and garbage queues (player -> UI), the
 * triple-buffered status and the changed bits.  Nothing is locked.  The
 * player never allocates: patterns are built and freed on the UI side and
 * travel as pointers.
 *
 * Time.  Position is counted in MIDI clock ticks (24 per quarter, 6 per
 * step).  The ideal time of tick k is t0 + (k - tick0) * spt, and the
 * anchor (t0, tick0) moves on every start and tempo change; nothing is
 * summed.  Each message is handed to the sink at (or after) its ideal time
 * stamped with the ideal time, and PortMidi adds its latency.
 */
#include "src/live.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/clock.h"
#include "src/sink.h"
#include "src/spsc.h"

#define LIVE_QUEUE	256
#define LIVE_MAX_STEPS	4096
#define LIVE_POLL_S	0.002	/* longest sleep: command latency */

/* A pattern as the player uses it: notes sorted by start step. */
struct pat {
	unsigned		 id;
	int			 steps;
	size_t			 n;
	struct live_note	*notes;		/* (n), sorted by start */
	size_t			*first;		/* (steps + 1) index */
	int			 program[LIVE_MAX_CHANNELS];
};

enum cmd_kind {
	CMD_START,
	CMD_STOP,
	CMD_PAUSE,
	CMD_TEMPO,
	CMD_QUANTUM,
	CMD_VELOCITY,
	CMD_SWAP,
	CMD_PANIC,
	CMD_REOPEN,
	CMD_STOP_AT,
	CMD_QUIT,
};

struct cmd {
	enum cmd_kind	 kind;
	double		 x;
	int		 i, j;
	struct pat	*pat;
	char		 name[128];
};

struct inmsg {
	double	t;
	uint8_t	msg[3];
	int	len;
};

/* Player-thread state. */
struct play {
	struct pat		*pat;		/* playing, or NULL */
	struct pat		*pending;	/* waiting for a boundary */
	int			 playing;
	int			 paused;
	long			 tick;		/* next tick to process */
	long			 stop_at;	/* step, -1: none */
	double			 t0, tick0;	/* the anchor */
	double			 spt;		/* seconds per tick */
	double			 qpm;
	enum live_quantum	 quantum;
	enum live_velocity	 vel_mode;
	int			 vel;
	long			 off_at[16][128];	/* tick, -1: silent */
	unsigned		 sounding;
	unsigned		 chan_used;	/* bit per channel */
	int			 dev_error;
	int			 following;
	struct clock_follow	 cf;
	double			 qpm_reported;
	struct inmsg		 held;		/* injected, not yet due */
	int			 have_held;
	struct live_status	 st;		/* working copy */
	unsigned		 changed;
};

struct live {
	struct live_opts	 o;
	const struct live_clock	*clock;
	struct clock_sim	 sim;		/* offline */
	struct sink		*sink;
	struct spsc		*cmdq, *inq;	/* UI -> player */
	struct spsc		*evq, *garbq;	/* player -> UI */
	pthread_t		 thread;
	int			 threaded;
	int			 pipe[2];

	/* Triple buffer: player writes slots[back], publishes by swapping
	   it with `middle` (bit 4: fresh); the UI swaps `middle` with
	   front when fresh. */
	struct live_status	 slots[3];
	int			 back, front;
	_Atomic int		 middle;
	_Atomic unsigned	 changed;

	/* UI side. */
	unsigned		 next_id;
	struct live_binding	*bindings;
	size_t			 n_bindings;
	char			 learn[LIVE_TARGET_MAX];

	struct play		 p;
};

static volatile sig_atomic_t live_caught;

static void	send_msg(struct live *, double, int, int, int, int);
static void	note_off(struct live *, double, int, int);
static void	cut_all(struct live *, double);
static void	do_panic(struct live *, double);
static void	process_tick(struct live *, long, double);
static void	transport_stop(struct live *, double, int);
static void	apply_pattern(struct live *, struct pat *, double);
static void	handle_cmd(struct live *, const struct cmd *, double);
static void	handle_input(struct live *, double, const uint8_t *, int);
static void	publish(struct live *);
static int	push_cmd(struct live *, const struct cmd *);
static void	collect_garbage(struct live *);
static void	*player_main(void *);
static double	tick_time(const struct play *, long);

/* Ideal time of tick k from the anchor. */
static double
tick_time(const struct play *p, long k)
{
	return (p->t0 + ((double)k - p->tick0) * p->spt);
}

/* Send one message; a device error stops playback after this tick. */
static void
send_msg(struct live *l, double t, int st, int d1, int d2, int len)
{
	struct play	*p = &l->p;
	uint8_t		 m[3];

	m[0] = (uint8_t)st;
	m[1] = (uint8_t)d1;
	m[2] = (uint8_t)d2;
	if (sink_send(l->sink, t, m, len) != 0) {
		snprintf(p->st.error, sizeof p->st.error, "%s: %s",
		    sink_name(l->sink), sink_error(l->sink));
		p->st.device_ok = 0;
		p->dev_error = 1;
		p->changed |= LIVE_CHANGED_ERROR | LIVE_CHANGED_DEVICE;
	}
	p->st.events++;
}

static void
note_off(struct live *l, double t, int ch, int pitch)
{
	struct play	*p = &l->p;

	send_msg(l, t, 0x80 | ch, pitch, 0, 3);
	p->off_at[ch][pitch] = -1;
	p->sounding--;
}

/* Note-off for every sounding note (swap cut, stop). */
static void
cut_all(struct live *l, double t)
{
	struct play	*p = &l->p;
	int		 ch, k;

	for (ch = 0; ch < 16 && p->sounding > 0; ch++)
		for (k = 0; k < 128; k++)
			if (p->off_at[ch][k] >= 0)
				note_off(l, t, ch, k);
}

/*
 * Panic: exactly the sounding notes off, then sustain off, All Notes Off
 * and All Sound Off on every channel used since the last panic.  Sent
 * even to a failed device's recording, so the record shows it.
 */
static void
do_panic(struct live *l, double t)
{
	struct play	*p = &l->p;
	int		 ch;

	cut_all(l, t);
	for (ch = 0; ch < 16; ch++) {
		if (!(p->chan_used & (1u << ch)))
			continue;
		send_msg(l, t, 0xB0 | ch, 64, 0, 3);
		send_msg(l, t, 0xB0 | ch, 123, 0, 3);
		send_msg(l, t, 0xB0 | ch, 120, 0, 3);
	}
	p->chan_used = 0;
}

/*
 * Swap in a pattern at t: cut what sounds, set programs.  The cut is the
 * panic minus All Sound Off: the exact note-offs, then sustain off and All
 * Notes Off on the channels in use, so not even a note the map does not
 * know of (a synth that missed a note-off) outlives a swap.  CC 120 would
 * also silence the release and reverb tails at every bar of a sweep, an
 * audible glitch, so it is kept for stop, errors, signals and exit.
 */
static void
apply_pattern(struct live *l, struct pat *pat, double t)
{
	struct play	*p = &l->p;
	struct pat	*old = p->pat;
	int		 ch;

	cut_all(l, t);
	for (ch = 0; ch < 16; ch++) {
		if (!(p->chan_used & (1u << ch)))
			continue;
		send_msg(l, t, 0xB0 | ch, 64, 0, 3);
		send_msg(l, t, 0xB0 | ch, 123, 0, 3);
	}
	p->pat = pat;
	for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++)
		if (pat->program[ch] >= 0)
			send_msg(l, t, 0xC0 | ch, pat->program[ch], 0, 2);
	/* The garbage queue is as deep as the command queue, which is the
	   only way patterns arrive, so this push cannot fail. */
	if (old != NULL)
		spsc_push(l->garbq, &old);
	p->st.pattern_id = pat->id;
	p->st.pattern_steps = pat->steps;
	p->changed |= LIVE_CHANGED_PATTERN;
}

/* Everything due at tick k, ideal time t. */
static void
process_tick(struct live *l, long k, double t)
{
	struct play		*p = &l->p;
	const struct live_note	*n;
	long			 step;
	int			 ch, q, ls, v;
	size_t			 i;

	if (l->o.clock_master && !p->following)
		send_msg(l, t, 0xF8, 0, 0, 1);
	if (k % LIVE_TICKS_PER_STEP != 0)
		return;
	step = k / LIVE_TICKS_PER_STEP;
	if (p->stop_at >= 0 && step >= p->stop_at) {
		p->stop_at = -1;
		transport_stop(l, t, 0);
		return;
	}

	/* Offs first, so a note repeated at its own end re-strikes. */
	for (ch = 0; ch < 16 && p->sounding > 0; ch++)
		for (i = 0; i < 128; i++)
			if (p->off_at[ch][i] >= 0 && p->off_at[ch][i] <= k)
				note_off(l, t, ch, (int)i);

	q = p->quantum == LIVE_SWAP_BAR ? LIVE_STEPS_PER_BAR :
	    p->quantum == LIVE_SWAP_BEAT ? 4 : 1;
	if (p->pending != NULL && (p->pat == NULL || step % q == 0)) {
		apply_pattern(l, p->pending, t);
		p->pending = NULL;
	}

	p->st.step = step;
	p->changed |= LIVE_CHANGED_POSITION;
	if (p->pat == NULL)
		return;
	ls = (int)(step % p->pat->steps);
	p->st.loop_step = ls;
	p->st.bar = ls / LIVE_STEPS_PER_BAR;
	for (i = p->pat->first[ls]; i < p->pat->first[ls + 1]; i++) {
		n = &p->pat->notes[i];
		if (p->off_at[n->channel][n->pitch] >= 0)
			note_off(l, t, n->channel, n->pitch);
		v = p->vel_mode == LIVE_VEL_FIXED ? p->vel : n->velocity;
		send_msg(l, t, 0x90 | n->channel, n->pitch, v, 3);
		p->off_at[n->channel][n->pitch] = k +
		    (long)(n->end_step - n->start_step) * LIVE_TICKS_PER_STEP;
		p->sounding++;
		p->chan_used |= 1u << n->channel;
	}
}

static void
set_qpm(struct play *p, double qpm, double now)
{
	double	pos;

	if (p->playing && p->spt > 0) {
		/* Re-anchor at the exact (fractional) position now. */
		pos = p->tick0 + (now - p->t0) / p->spt;
		if (pos > (double)p->tick)
			pos = (double)p->tick;
		p->tick0 = pos;
		p->t0 = now;
	}
	p->qpm = qpm;
	p->spt = 60.0 / (qpm * LIVE_TICKS_PER_QUARTER);
	p->st.qpm = qpm;
	p->changed |= LIVE_CHANGED_TEMPO;
}

static void
transport_stop(struct live *l, double now, int pause)
{
	struct play	*p = &l->p;

	if (p->playing && l->o.clock_master && !p->following)
		send_msg(l, now, 0xFC, 0, 0, 1);
	do_panic(l, now);
	p->playing = 0;
	p->paused = pause;
	if (!pause)
		p->tick = 0;
	if (p->pending != NULL) {
		apply_pattern(l, p->pending, now);
		p->pending = NULL;
	}
	p->st.playing = 0;
	p->st.paused = pause;
	p->changed |= LIVE_CHANGED_TRANSPORT;
}

static void
transport_start(struct live *l, double now)
{
	struct play	*p = &l->p;

	if (p->playing)
		return;
	if (!p->paused)
		p->tick = 0;
	if (l->o.clock_master && !p->following)
		send_msg(l, now, p->paused ? 0xFB : 0xFA, 0, 0, 1);
	p->t0 = now;
	p->tick0 = (double)p->tick;
	p->playing = 1;
	p->paused = 0;
	p->st.playing = 1;
	p->st.paused = 0;
	p->changed |= LIVE_CHANGED_TRANSPORT;
}

/* One command from the UI, at time now. */
static void
handle_cmd(struct live *l, const struct cmd *c, double now)
{
	struct play	*p = &l->p;

	switch (c->kind) {
	case CMD_START:
		if (!p->following)
			transport_start(l, now);
		break;
	case CMD_STOP:
	case CMD_PAUSE:
		transport_stop(l, now, c->kind == CMD_PAUSE);
		break;
	case CMD_PANIC:
		transport_stop(l, now, p->playing || p->paused);
		break;
	case CMD_TEMPO:
		if (!p->following)
			set_qpm(p, c->x, now);
		break;
	case CMD_QUANTUM:
		p->quantum = (enum live_quantum)c->i;
		break;
	case CMD_VELOCITY:
		p->vel_mode = (enum live_velocity)c->i;
		p->vel = c->j;
		break;
	case CMD_SWAP:
		/* A pattern still pending is replaced: only the newest one
		   matters at the boundary. */
		if (p->pending != NULL)
			spsc_push(l->garbq, &p->pending);
		if (p->playing)
			p->pending = c->pat;
		else
			apply_pattern(l, c->pat, now);
		break;
	case CMD_REOPEN:
		if (p->playing)
			transport_stop(l, now, 1);
		if (sink_reopen(l->sink, c->name[0] != '\0' ? c->name :
		    NULL) == 0) {
			p->st.device_ok = 1;
			p->st.error[0] = '\0';
		} else {
			p->st.device_ok = 0;
			snprintf(p->st.error, sizeof p->st.error, "%s",
			    sink_error(l->sink));
		}
		snprintf(p->st.device, sizeof p->st.device, "%s",
		    sink_name(l->sink));
		p->changed |= LIVE_CHANGED_DEVICE | LIVE_CHANGED_ERROR;
		break;
	case CMD_STOP_AT:
		p->stop_at = (long)c->x;
		break;
	case CMD_QUIT:
		break;
	}
}

static void
push_event(struct live *l, const struct live_input *ev)
{
	/* A UI that does not read its input loses the oldest news, not
	   the timing of the player. */
	spsc_push(l->evq, ev);
	l->p.changed |= 0x100;
}

/* One MIDI input message received at t. */
static void
handle_input(struct live *l, double t, const uint8_t *msg, int len)
{
	struct play		*p = &l->p;
	struct live_input	 ev;
	enum clock_event	 ce;
	int			 tick;

	memset(&ev, 0, sizeof ev);
	if (len == 3 && (msg[0] & 0xF0) == 0xB0) {
		ev.kind = LIVE_IN_CC;
		ev.channel = msg[0] & 0x0F;
		ev.number = msg[1];
		ev.value = msg[2];
		push_event(l, &ev);
		return;
	}
	ce = clock_follow_msg(&p->cf, t, msg, len);
	if (ce == CLOCK_EV_NONE)
		return;
	/* Tempo news at most once a beat (and on transport messages), and
	   only when it moved by more than display precision. */
	tick = ce == CLOCK_EV_TICK || ce == CLOCK_EV_IDLE_TICK;
	if (p->cf.qpm > 0 && fabs(p->cf.qpm - p->qpm_reported) > 0.05 &&
	    (!tick || p->cf.n_times % LIVE_TICKS_PER_QUARTER == 0)) {
		p->qpm_reported = p->cf.qpm;
		ev.kind = LIVE_IN_TEMPO;
		ev.qpm = p->cf.qpm;
		push_event(l, &ev);
		if (p->following) {
			p->qpm = p->cf.qpm;
			p->st.qpm = p->cf.qpm;
			p->changed |= LIVE_CHANGED_TEMPO;
		}
	}
	switch (ce) {
	case CLOCK_EV_TICK:
		if (p->following && p->playing) {
			process_tick(l, p->cf.tick - 1, t);
			p->tick = p->cf.tick;
		}
		return;
	case CLOCK_EV_START:
		ev.kind = LIVE_IN_START;
		if (p->following) {
			p->paused = 0;
			p->tick = 0;
			transport_start(l, t);
		}
		break;
	case CLOCK_EV_CONTINUE:
		ev.kind = LIVE_IN_CONTINUE;
		if (p->following) {
			p->paused = 1;
			p->tick = p->cf.tick;
			transport_start(l, t);
		}
		break;
	case CLOCK_EV_STOP:
		ev.kind = LIVE_IN_STOP;
		if (p->following && p->playing) {
			transport_stop(l, t, 1);
			p->tick = p->cf.tick;
		}
		break;
	case CLOCK_EV_POSITION:
		ev.kind = LIVE_IN_POSITION;
		ev.value = (int)(p->cf.tick / LIVE_TICKS_PER_STEP);
		if (p->following) {
			cut_all(l, t);
			p->tick = p->cf.tick;
		}
		break;
	default:
		return;
	}
	push_event(l, &ev);
}

/* Publish the working status if anything changed; wake the UI. */
static void
publish(struct live *l)
{
	struct play	*p = &l->p;
	unsigned	 ch = p->changed;
	char		 b = 1;

	if (ch == 0)
		return;
	p->changed = 0;
	p->st.sounding = p->sounding;
	p->st.dropped = sink_dropped(l->sink);
	p->st.changed = 0;
	l->slots[l->back] = p->st;
	l->back = atomic_exchange(&l->middle, l->back | 4) & 3;
	atomic_fetch_or(&l->changed, ch & 0xff);
	if (l->pipe[1] != -1 && write(l->pipe[1], &b, 1) == -1 &&
	    errno != EAGAIN) {
		/* A full pipe already means "wake up"; nothing to do. */
	}
}

/* Run injected input that is due at or before now. */
static void
drain_input(struct live *l, double now)
{
	struct play	*p = &l->p;
	uint8_t		 m[3];
	double		 t;
	int		 len;

	for (;;) {
		if (!p->have_held) {
			if (!spsc_pop(l->inq, &p->held))
				break;
			p->have_held = 1;
		}
		if (p->held.t > now)
			break;
		p->have_held = 0;
		handle_input(l, p->held.t, p->held.msg, p->held.len);
	}
	while (sink_read(l->sink, &t, m, &len))
		handle_input(l, t, m, len);
}

/* Every internal tick due by now. */
static void
run_ticks(struct live *l, double now)
{
	struct play	*p = &l->p;
	double		 t;

	while (p->playing && !p->following &&
	    (t = tick_time(p, p->tick)) <= now) {
		process_tick(l, p->tick, t);
		p->tick++;
		if (p->dev_error)
			break;
	}
	if (p->dev_error) {
		p->dev_error = 0;
		transport_stop(l, now, 1);
	}
}

/* The player thread. */
static void *
player_main(void *arg)
{
	struct live		*l = arg;
	const struct live_clock	*c = l->clock;
	struct play		*p = &l->p;
	struct sched_param	 sp;
	struct cmd		 cmd;
	double			 now, next, next_check = 0;
	int			 quit = 0;

	/* Real-time priority when allowed (root, rtprio limit); a plain
	   thread still works, with more jitter under load. */
	memset(&sp, 0, sizeof sp);
	sp.sched_priority = sched_get_priority_min(SCHED_FIFO) + 10;
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

	while (!quit) {
		now = c->now(c->arg);
		if (now >= next_check) {
			next_check = now + 0.1;
			if (sink_check(l->sink) != 0) {
				snprintf(p->st.error, sizeof p->st.error,
				    "%s: %s", sink_name(l->sink),
				    sink_error(l->sink));
				p->st.device_ok = 0;
				p->changed |= LIVE_CHANGED_ERROR |
				    LIVE_CHANGED_DEVICE;
				if (p->playing)
					transport_stop(l, now, 1);
			}
		}
		run_ticks(l, now);
		while (spsc_pop(l->cmdq, &cmd)) {
			handle_cmd(l, &cmd, now);
			if (cmd.kind == CMD_QUIT)
				quit = 1;
		}
		drain_input(l, now);
		publish(l);
		if (quit)
			break;
		next = now + LIVE_POLL_S;
		if (p->playing && !p->following &&
		    tick_time(p, p->tick) < next)
			next = tick_time(p, p->tick);
		c->sleep_until(c->arg, next);
	}
	do_panic(l, c->now(c->arg));
	p->changed |= LIVE_CHANGED_TRANSPORT;
	publish(l);
	return (NULL);
}

static int
push_cmd(struct live *l, const struct cmd *c)
{
	int	tries;

	collect_garbage(l);
	for (tries = 0; spsc_push(l->cmdq, c) != 0; tries++) {
		if (!l->threaded || tries > 100)
			return (-1);
		usleep(1000);
	}
	if (!l->threaded) {
		/* Offline: apply now, at the simulated time. */
		struct cmd	x;

		while (spsc_pop(l->cmdq, &x))
			handle_cmd(l, &x, l->sim.t);
		publish(l);
	}
	return (0);
}

static void
pat_free(struct pat *pat)
{
	free(pat);
}

/* Free the patterns the player is done with (UI side). */
static void
collect_garbage(struct live *l)
{
	struct pat	*pat;

	while (spsc_pop(l->garbq, &pat))
		pat_free(pat);
}

/* Create the player. */
struct live *
live_new(const struct live_opts *o, char **cause)
{
	struct live	*l;
	int		 ch, k, i;

	l = lr_calloc(1, sizeof *l);
	l->o = *o;
	l->o.out = o->out != NULL ? lr_strdup(o->out) : NULL;
	l->o.in = o->in != NULL ? lr_strdup(o->in) : NULL;
	if (l->o.latency_ms <= 0)
		l->o.latency_ms = 20;
	if (l->o.qpm <= 0)
		l->o.qpm = 120;
	if (l->o.velocity <= 0 || l->o.velocity > 127)
		l->o.velocity = 100;
	clock_sim_init(&l->sim, 0);
	if (o->offline)
		l->clock = &l->sim.clock;
	else
		l->clock = o->clock != NULL ? o->clock : &clock_mono;
	l->pipe[0] = l->pipe[1] = -1;

	l->sink = sink_open(&l->o, l->clock, cause);
	if (l->sink == NULL) {
		free((char *)l->o.out);
		free((char *)l->o.in);
		free(l);
		return (NULL);
	}
	l->cmdq = spsc_new(LIVE_QUEUE, sizeof (struct cmd));
	l->inq = spsc_new(4096, sizeof (struct inmsg));
	l->evq = spsc_new(1024, sizeof (struct live_input));
	/* Patterns in flight: queued commands + pending + playing. */
	l->garbq = spsc_new(LIVE_QUEUE * 2 + 4, sizeof (struct pat *));
	if (pipe(l->pipe) == 0) {
		for (k = 0; k < 2; k++) {
			fcntl(l->pipe[k], F_SETFL,
			    fcntl(l->pipe[k], F_GETFL) | O_NONBLOCK);
			fcntl(l->pipe[k], F_SETFD, FD_CLOEXEC);
		}
	} else
		l->pipe[0] = l->pipe[1] = -1;

	for (ch = 0; ch < 16; ch++)
		for (k = 0; k < 128; k++)
			l->p.off_at[ch][k] = -1;
	l->p.stop_at = -1;
	l->p.quantum = o->quantum;
	l->p.vel_mode = o->velocity_mode;
	l->p.vel = l->o.velocity;
	l->p.following = o->clock_follow;
	clock_follow_init(&l->p.cf);
	set_qpm(&l->p, l->o.qpm, 0);
	l->p.st.clock_source = o->clock_follow ? LIVE_CLOCK_EXTERNAL :
	    LIVE_CLOCK_INTERNAL;
	l->p.st.device_ok = sink_ok(l->sink);
	snprintf(l->p.st.device, sizeof l->p.st.device, "%s",
	    sink_name(l->sink));
	snprintf(l->p.st.error, sizeof l->p.st.error, "%s",
	    sink_error(l->sink));
	for (i = 0; i < 3; i++)
		l->slots[i] = l->p.st;
	l->back = 0;
	atomic_init(&l->middle, 1);
	l->front = 2;
	atomic_init(&l->changed, 0);
	l->next_id = 1;

	if (!o->offline) {
		if (pthread_create(&l->thread, NULL, player_main, l) != 0) {
			lr_fail(cause, "cannot start the player thread");
			l->threaded = 0;
			live_free(l);
			return (NULL);
		}
		l->threaded = 1;
	}
	return (l);
}

/* Panic, stop the thread, close the sink after its latency, free. */
void
live_free(struct live *l)
{
	struct cmd	 c;
	size_t		 i;

	if (l == NULL)
		return;
	memset(&c, 0, sizeof c);
	c.kind = CMD_QUIT;
	if (l->threaded) {
		while (spsc_push(l->cmdq, &c) != 0)
			usleep(1000);
		pthread_join(l->thread, NULL);
	} else if (l->cmdq != NULL) {
		do_panic(l, l->sim.t);
		publish(l);
	}
	sink_close(l->sink);
	if (l->cmdq != NULL) {
		while (spsc_pop(l->cmdq, &c))
			if (c.kind == CMD_SWAP)
				pat_free(c.pat);
		collect_garbage(l);
		pat_free(l->p.pat);
		pat_free(l->p.pending);
		spsc_free(l->cmdq);
		spsc_free(l->inq);
		spsc_free(l->evq);
		spsc_free(l->garbq);
	}
	for (i = 0; i < 2; i++)
		if (l->pipe[i] != -1)
			close(l->pipe[i]);
	free(l->bindings);
	free((char *)l->o.out);
	free((char *)l->o.in);
	free(l);
}

static int
simple_cmd(struct live *l, enum cmd_kind k, double x, int i, int j)
{
	struct cmd	c;

	memset(&c, 0, sizeof c);
	c.kind = k;
	c.x = x;
	c.i = i;
	c.j = j;
	return (push_cmd(l, &c));
}

/* Start (or resume after pause). */
int
live_start(struct live *l)
{
	return (simple_cmd(l, CMD_START, 0, 0, 0));
}

/* Stop: panic and rewind. */
int
live_stop(struct live *l)
{
	return (simple_cmd(l, CMD_STOP, 0, 0, 0));
}

/* Pause: panic, keep the position. */
int
live_pause(struct live *l)
{
	return (simple_cmd(l, CMD_PAUSE, 0, 0, 0));
}

/* Stop when a step begins. */
int
live_stop_at(struct live *l, long step)
{
	return (simple_cmd(l, CMD_STOP_AT, (double)step, 0, 0));
}

/* Change tempo now. */
int
live_set_tempo(struct live *l, double qpm)
{
	if (!(qpm >= 20 && qpm <= 400))
		return (-1);
	return (simple_cmd(l, CMD_TEMPO, qpm, 0, 0));
}

/* Where swaps take effect. */
int
live_set_quantum(struct live *l, enum live_quantum q)
{
	return (simple_cmd(l, CMD_QUANTUM, 0, (int)q, 0));
}

/* Velocity kept per note or fixed. */
int
live_set_velocity(struct live *l, enum live_velocity m, int velocity)
{
	if (velocity < 1 || velocity > 127)
		velocity = l->o.velocity;
	return (simple_cmd(l, CMD_VELOCITY, 0, (int)m, velocity));
}

/* Panic now (stops the transport, keeps the position). */
void
live_panic(struct live *l)
{
	simple_cmd(l, CMD_PANIC, 0, 0, 0);
}

/* Build the player's copy of a pattern (UI side: allocates). */
static struct pat *
pat_build(const struct live_pattern *lp, char **cause)
{
	struct pat		*pat;
	const struct live_note	*n;
	size_t			 i, sz;
	int			 s, ch;
	size_t			*count;

	if (lp->steps < 1 || lp->steps > LIVE_MAX_STEPS)
		return (lr_fail(cause, "pattern: %d steps (1..%d)", lp->steps,
		    LIVE_MAX_STEPS), NULL);
	for (i = 0; i < lp->n; i++) {
		n = &lp->notes[i];
		if (n->pitch > 127 || n->channel > 15 || n->velocity < 1 ||
		    n->velocity > 127)
			return (lr_fail(cause, "pattern: note %zu: pitch %d, "
			    "velocity %d, channel %d out of range", i,
			    n->pitch, n->velocity, n->channel), NULL);
		if (n->start_step < 0 || n->start_step >= lp->steps ||
		    n->end_step <= n->start_step)
			return (lr_fail(cause, "pattern: note %zu: steps "
			    "%d..%d outside 0..%d", i, n->start_step,
			    n->end_step, lp->steps), NULL);
	}
	for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++)
		if (lp->program[ch] > 127)
			return (lr_fail(cause, "pattern: program %d on "
			    "channel %d", lp->program[ch], ch + 1), NULL);

	/* One block: header, index, notes (in falling alignment). */
	sz = sizeof *pat + (size_t)(lp->steps + 1) * sizeof *pat->first +
	    lp->n * sizeof *pat->notes;
	pat = lr_calloc(1, sz);
	pat->first = (size_t *)(pat + 1);
	pat->notes = (struct live_note *)(pat->first + lp->steps + 1);
	pat->steps = lp->steps;
	pat->n = lp->n;
	memcpy(pat->program, lp->program, sizeof pat->program);

	/* Counting sort by start step (stable). */
	count = pat->first;
	for (i = 0; i < lp->n; i++)
		count[lp->notes[i].start_step + 1]++;
	for (s = 0; s < lp->steps; s++)
		count[s + 1] += count[s];
	{
		size_t	*fill = lr_calloc((size_t)lp->steps, sizeof *fill);

		for (i = 0; i < lp->n; i++) {
			n = &lp->notes[i];
			s = n->start_step;
			pat->notes[count[s] + fill[s]] = *n;
			/* A note cannot outlast the loop: it ends there. */
			if (n->end_step > lp->steps)
				pat->notes[count[s] + fill[s]].end_step =
				    lp->steps;
			fill[s]++;
		}
		free(fill);
	}
	return (pat);
}

/* Queue a new pattern. */
int
live_swap(struct live *l, const struct live_pattern *lp, char **cause)
{
	struct cmd	 c;
	struct pat	*pat;

	pat = pat_build(lp, cause);
	if (pat == NULL)
		return (-1);
	pat->id = l->next_id++;
	if (l->next_id > 0x7fffffff)
		l->next_id = 1;
	memset(&c, 0, sizeof c);
	c.kind = CMD_SWAP;
	c.pat = pat;
	if (push_cmd(l, &c) != 0) {
		pat_free(pat);
		return (lr_fail(cause, "player busy: swap queue full"));
	}
	return ((int)pat->id);
}

/* Copy the latest status. */
void
live_status(struct live *l, struct live_status *st)
{
	collect_garbage(l);
	if (atomic_load(&l->middle) & 4)
		l->front = atomic_exchange(&l->middle, l->front) & 3;
	*st = l->slots[l->front];
	st->changed = atomic_exchange(&l->changed, 0);
}

/* Readable when the player has news. */
int
live_wakeup_fd(struct live *l)
{
	return (l->pipe[0]);
}

/* Empty the wakeup pipe. */
void
live_wakeup_clear(struct live *l)
{
	char	buf[64];

	if (l->pipe[0] == -1)
		return;
	while (read(l->pipe[0], buf, sizeof buf) > 0)
		;
}

static struct live_binding *
binding_find(struct live *l, int ch, int cc)
{
	size_t	i;

	for (i = 0; i < l->n_bindings; i++)
		if (l->bindings[i].cc == cc && (l->bindings[i].channel == -1 ||
		    l->bindings[i].channel == ch))
			return (&l->bindings[i]);
	return (NULL);
}

/* Next input event, with CC learn and bindings applied (UI side). */
int
live_poll_input(struct live *l, struct live_input *ev)
{
	struct live_binding	*b;
	size_t			 i;

	if (!spsc_pop(l->evq, ev))
		return (0);
	if (ev->kind != LIVE_IN_CC)
		return (1);
	if (l->learn[0] != '\0') {
		/* One CC per target and one target per CC: drop both old
		   bindings before adding. */
		for (i = 0; i < l->n_bindings; i++) {
			b = &l->bindings[i];
			if (strcmp(b->target, l->learn) == 0 ||
			    (b->cc == ev->number && (b->channel == -1 ||
			    b->channel == ev->channel))) {
				l->bindings[i] = l->bindings[--l->n_bindings];
				i--;
			}
		}
		l->bindings = lr_realloc(l->bindings, (l->n_bindings + 1) *
		    sizeof *l->bindings);
		b = &l->bindings[l->n_bindings++];
		b->channel = ev->channel;
		b->cc = ev->number;
		snprintf(b->target, sizeof b->target, "%s", l->learn);
		l->learn[0] = '\0';
		ev->kind = LIVE_IN_LEARNED;
	}
	b = binding_find(l, ev->channel, ev->number);
	if (b != NULL) {
		snprintf(ev->target, sizeof ev->target, "%s", b->target);
		ev->amount = ev->value / 127.0;
	}
	return (1);
}

/* Bind the next CC to target. */
void
live_learn(struct live *l, const char *target)
{
	snprintf(l->learn, sizeof l->learn, "%s", target != NULL ? target :
	    "");
}

/* Replace the bindings. */
void
live_set_bindings(struct live *l, const struct live_binding *b, size_t n)
{
	free(l->bindings);
	l->bindings = NULL;
	l->n_bindings = 0;
	if (n == 0)
		return;
	l->bindings = lr_calloc(n, sizeof *b);
	memcpy(l->bindings, b, n * sizeof *b);
	l->n_bindings = n;
}

/* The current bindings. */
size_t
live_bindings(struct live *l, const struct live_binding **b)
{
	*b = l->bindings;
	return (l->n_bindings);
}

/* Re-open the output device. */
int
live_reopen(struct live *l, const char *out)
{
	struct cmd	c;

	memset(&c, 0, sizeof c);
	c.kind = CMD_REOPEN;
	if (out != NULL)
		snprintf(c.name, sizeof c.name, "%s", out);
	return (push_cmd(l, &c));
}

/* Offline: run everything due up to simulated time t. */
int
live_advance(struct live *l, double t)
{
	struct play	*p = &l->p;
	double		 next;

	if (l->threaded)
		return (-1);
	collect_garbage(l);
	for (;;) {
		next = t;
		if (p->playing && !p->following && tick_time(p, p->tick) < next)
			next = tick_time(p, p->tick);
		if (!p->have_held && spsc_pop(l->inq, &p->held))
			p->have_held = 1;
		if (p->have_held && p->held.t < next)
			next = p->held.t;
		if (next < l->sim.t)
			next = l->sim.t;
		l->sim.t = next;
		drain_input(l, next);
		run_ticks(l, next);
		publish(l);
		/* Everything due by `next` ran; each turn moves forward. */
		if (next >= t)
			break;
	}
	l->sim.t = t;
	return (0);
}

/* The player's clock now. */
double
live_now(struct live *l)
{
	return (l->clock->now(l->clock->arg));
}

/* Feed an input message as if from the device at t. */
int
live_inject(struct live *l, double t, const uint8_t *msg, int len)
{
	struct inmsg	m;

	if (len < 1 || len > 3)
		return (-1);
	memset(&m, 0, sizeof m);
	m.t = t;
	memcpy(m.msg, msg, (size_t)len);
	m.len = len;
	return (spsc_push(l->inq, &m));
}

/* What was sent so far. */
size_t
live_recorded(struct live *l, const struct live_event **ev)
{
	return (sink_recorded(l->sink, ev));
}

/* The recording as a note sequence at the current tempo. */
int
live_record_noteseq(struct live *l, struct noteseq *out, char **cause)
{
	struct live_status	st;

	live_status(l, &st);
	return (sink_record_noteseq(l->sink, st.qpm, out, cause));
}

static void
on_signal(int sig)
{
	live_caught = sig;
}

/* SIGINT, SIGTERM, SIGHUP only set a flag. */
void
live_signals_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a poll() in the main loop returns EINTR. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The signal caught, or 0. */
int
live_signal_caught(void)
{
	return (live_caught);
}

/* List devices. */
int
live_devices(struct live_device *d, int max, char **cause)
{
	return (sink_devices(d, max, cause));
}

/* A pattern from a quantized sequence. */
int
live_pattern_from_noteseq(struct live_pattern *p, struct live_note **notes,
    const struct noteseq *s, int steps, char **cause)
{
	struct live_note	*out;
	size_t			 i, k = 0;
	int			 ch;

	*notes = NULL;
	if (!s->quantized)
		return (lr_fail(cause, "pattern: sequence is not quantized"));
	if (steps <= 0)
		steps = s->total_steps;
	if (steps <= 0 || steps > LIVE_MAX_STEPS)
		return (lr_fail(cause, "pattern: %d steps (1..%d)", steps,
		    LIVE_MAX_STEPS));
	memset(p, 0, sizeof *p);
	for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++)
		p->program[ch] = -1;
	out = lr_calloc(s->n > 0 ? s->n : 1, sizeof *out);
	for (i = 0; i < s->n; i++) {
		const struct note	*n = &s->notes[i];

		if (n->start_step < 0 || n->start_step >= steps ||
		    n->pitch < 0 || n->pitch > 127 || n->channel < 0 ||
		    n->channel > 15)
			continue;
		out[k].pitch = (uint8_t)n->pitch;
		out[k].velocity = (uint8_t)(n->velocity >= 1 &&
		    n->velocity <= 127 ? n->velocity : 100);
		out[k].channel = (uint8_t)(n->drum ? LIVE_DRUM_CHANNEL :
		    n->channel);
		out[k].start_step = n->start_step;
		out[k].end_step = n->end_step > n->start_step ? n->end_step :
		    n->start_step + 1;
		if (out[k].end_step > steps)
			out[k].end_step = steps;
		if (!n->drum && n->program >= 0 && n->program <= 127)
			p->program[out[k].channel] = n->program;
		k++;
	}
	p->steps = steps;
	p->n = k;
	p->notes = out;
	*notes = out;
	return (0);
}

/* Each note takes the velocity of the nearest reference note. */
void
live_velocity_nearest(struct live_note *notes, size_t n,
    const struct noteseq *ref)
{
	size_t	i, j;
	int	best, d, v, same, best_same;

	if (ref == NULL || ref->n == 0 || !ref->quantized)
		return;
	for (i = 0; i < n; i++) {
		best = -1;
		best_same = 0;
		v = notes[i].velocity;
		for (j = 0; j < ref->n; j++) {
			d = abs(ref->notes[j].start_step - notes[i].start_step);
			same = ref->notes[j].channel == notes[i].channel;
			/* Same channel wins; then the smaller distance. */
			if (best == -1 || (same && !best_same) ||
			    (same == best_same && d < best)) {
				best = d;
				best_same = same;
				v = ref->notes[j].velocity;
			}
		}
		if (v >= 1 && v <= 127)
			notes[i].velocity = (uint8_t)v;
	}
}
