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
 *
 * This file is the player side: what runs on the player thread (or, in
 * offline mode, in live_advance on the caller's).  The UI side is in
 * live_ctl.c; the structs both share are in live_int.h.
 */
#include "live.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "live_int.h"
#include "sink.h"
#include "spsc.h"

#define LIVE_POLL_S	0.002	/* longest sleep: command latency */

static void	send_msg(struct live *, double, int, int, int, int);
static void	note_off(struct live *, double, int, int);
static void	cut_all(struct live *, double);
static void	process_tick(struct live *, long, double);
static void	transport_stop(struct live *, double, int);
static void	apply_pattern(struct live *, struct pat *, double);
static void	send_programs(struct live *, double);
static void	handle_input(struct live *, double, const uint8_t *, int);
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
void
live_do_panic(struct live *l, double t)
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
	send_programs(l, t);
	/* The garbage queue is as deep as the command queue, which is the
	   only way patterns arrive, so this push cannot fail. */
	if (old != NULL)
		spsc_push(l->garbq, &old);
	p->st.pattern_id = pat->id;
	p->st.pattern_steps = pat->steps;
	p->changed |= LIVE_CHANGED_PATTERN;
}

/*
 * The playing pattern's programs, each only when the synth does not have
 * it already: many synths reset a channel's voices on a program change,
 * so one at every swap of a sweep would be heard.
 */
static void
send_programs(struct live *l, double t)
{
	struct play	*p = &l->p;
	int		 ch, prog;

	if (p->pat == NULL)
		return;
	for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++) {
		prog = p->pat->program[ch];
		if (prog < 0 || prog == p->prog_sent[ch])
			continue;
		send_msg(l, t, 0xC0 | ch, prog, 0, 2);
		p->prog_sent[ch] = prog;
	}
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

void
live_set_qpm(struct play *p, double qpm, double now)
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
	live_do_panic(l, now);
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
void
live_handle_cmd(struct live *l, const struct cmd *c, double now)
{
	struct play	*p = &l->p;
	int		 was, ch;

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
			live_set_qpm(p, c->x, now);
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
		/* Rescan and re-open: the sounding notes end first (the
		   streams close), playing goes on afterwards, and the new
		   synth gets the programs. */
		was = p->playing;
		if (was)
			transport_stop(l, now, 1);
		if (sink_reopen(l->sink, c->name[0] != '\0' ? c->name :
		    NULL) == 0) {
			p->st.device_ok = 1;
			/* The synth without audio still says so. */
			snprintf(p->st.error, sizeof p->st.error, "%s",
			    sink_error(l->sink));
		} else {
			p->st.device_ok = 0;
			snprintf(p->st.error, sizeof p->st.error, "%s",
			    sink_error(l->sink));
		}
		snprintf(p->st.device, sizeof p->st.device, "%s",
		    sink_name(l->sink));
		p->st.has_input = sink_has_input(l->sink);
		p->st.audio_start = sink_audio_start(l->sink);
		p->changed |= LIVE_CHANGED_DEVICE | LIVE_CHANGED_ERROR;
		now = l->clock->now(l->clock->arg);
		for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++)
			p->prog_sent[ch] = -1;
		send_programs(l, now);
		if (was)
			transport_start(l, now);
		atomic_fetch_add(&l->reopened, 1);
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
void
live_publish(struct live *l)
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
void *
live_player_main(void *arg)
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
			live_handle_cmd(l, &cmd, now);
			if (cmd.kind == CMD_QUIT)
				quit = 1;
		}
		drain_input(l, now);
		live_publish(l);
		if (quit)
			break;
		next = now + LIVE_POLL_S;
		if (p->playing && !p->following &&
		    tick_time(p, p->tick) < next)
			next = tick_time(p, p->tick);
		c->sleep_until(c->arg, next);
	}
	live_do_panic(l, c->now(c->arg));
	p->changed |= LIVE_CHANGED_TRANSPORT;
	live_publish(l);
	return (NULL);
}

/* Offline: run everything due up to simulated time t. */
int
live_advance(struct live *l, double t)
{
	struct play	*p = &l->p;
	double		 next;

	if (l->threaded)
		return (-1);
	live_collect_garbage(l);
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
		live_publish(l);
		/* Everything due by `next` ran; each turn moves forward. */
		if (next >= t)
			break;
	}
	l->sim.t = t;
	return (0);
}
