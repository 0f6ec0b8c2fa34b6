/*
 * live_ctl.c: the UI side of the live player.  Creating and freeing it,
 * the commands the UI queues for the player thread, patterns built (and
 * freed) here, the status snapshot, the wakeup pipe, CC bindings, offline
 * input injection, recordings, signals and devices.  Thread ownership is
 * written down at the top of live.c.
 */
#include "live.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "live_int.h"
#include "sink.h"
#include "spsc.h"

#define LIVE_QUEUE	256
#define LIVE_MAX_STEPS	4096

static volatile sig_atomic_t live_caught;

static int	push_cmd(struct live *, const struct cmd *);

static int
push_cmd(struct live *l, const struct cmd *c)
{
	int	tries;

	live_collect_garbage(l);
	for (tries = 0; spsc_push(l->cmdq, c) != 0; tries++) {
		if (!l->threaded || tries > 100)
			return (-1);
		usleep(1000);
	}
	if (!l->threaded) {
		/* Offline: apply now, at the simulated time. */
		struct cmd	x;

		while (spsc_pop(l->cmdq, &x))
			live_handle_cmd(l, &x, l->sim.t);
		live_publish(l);
	}
	return (0);
}

static void
pat_free(struct pat *pat)
{
	free(pat);
}

/* Free the patterns the player is done with (UI side). */
void
live_collect_garbage(struct live *l)
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
		l->o.qpm = LR_QPM_DEFAULT;
	if (l->o.velocity <= 0 || l->o.velocity > 127)
		l->o.velocity = 100;
	/* Channel 10 is the drums': a melody there would play as drums. */
	if (l->o.channel < 0 || l->o.channel > 15 ||
	    l->o.channel == LIVE_DRUM_CHANNEL)
		l->o.channel = 0;
	if (l->o.program < 0 || l->o.program > 127)
		l->o.program_fixed = 0;
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

	for (ch = 0; ch < 16; ch++) {
		for (k = 0; k < 128; k++)
			l->p.off_at[ch][k] = -1;
		l->p.prog_sent[ch] = -1;
	}
	l->p.stop_at = -1;
	l->p.quantum = o->quantum;
	l->p.vel_mode = o->velocity_mode;
	l->p.vel = l->o.velocity;
	l->p.following = o->clock_follow;
	clock_follow_init(&l->p.cf);
	live_set_qpm(&l->p, l->o.qpm, 0);
	l->p.st.clock_source = o->clock_follow ? LIVE_CLOCK_EXTERNAL :
	    LIVE_CLOCK_INTERNAL;
	l->p.st.device_ok = sink_ok(l->sink);
	l->p.st.has_input = sink_has_input(l->sink);
	l->p.st.audio_start = sink_audio_start(l->sink);
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
	atomic_init(&l->reopened, 0);
	l->next_id = 1;

	if (!o->offline) {
		if (pthread_create(&l->thread, NULL, live_player_main,
		    l) != 0) {
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
		live_do_panic(l, l->sim.t);
		live_publish(l);
	}
	sink_close(l->sink);
	if (l->cmdq != NULL) {
		while (spsc_pop(l->cmdq, &c))
			if (c.kind == CMD_SWAP)
				pat_free(c.pat);
		live_collect_garbage(l);
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
	if (!(qpm >= LR_QPM_MIN && qpm <= LR_QPM_MAX))
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

/* The next channel after the melody's, skipping the drums'. */
int
live_bass_channel(int melody)
{
	int	ch = (melody + 1) % LIVE_MAX_CHANNELS;

	if (ch == LIVE_DRUM_CHANNEL)
		ch = (ch + 1) % LIVE_MAX_CHANNELS;
	return (ch);
}

/* Where a pattern channel plays (live_opts.channel). */
static int
map_channel(const struct live_opts *o, int ch)
{
	if (ch == 0)
		return (o->channel);
	if (ch == 1)
		return (live_bass_channel(o->channel));
	return (ch);
}

/* Build the player's copy of a pattern (UI side: allocates). */
static struct pat *
pat_build(const struct live_opts *o, const struct live_pattern *lp,
    char **cause)
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
	/* Melody and bass last: on a clash with a channel that stays,
	   the part wins. */
	for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++)
		pat->program[ch] = -1;
	for (ch = LIVE_MAX_CHANNELS - 1; ch >= 0; ch--)
		if (lp->program[ch] >= 0)
			pat->program[map_channel(o, ch)] = lp->program[ch];
	if (o->program_fixed)
		pat->program[o->channel] = o->program;

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
			pat->notes[count[s] + fill[s]].channel =
			    (uint8_t)map_channel(o, n->channel);
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

	pat = pat_build(&l->o, lp, cause);
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
	live_collect_garbage(l);
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

/*
 * Rescan the devices: the player re-opens the same output and input
 * after restarting PortMidi (sink_reopen), so live_devices() then lists
 * what is plugged in now.  Waits for it (at most 3 s).
 */
int
live_rescan(struct live *l, char **cause)
{
	unsigned	before = atomic_load(&l->reopened);
	int		i;

	if (live_reopen(l, NULL) != 0)
		return (lr_fail(cause, "player busy: rescan not queued"));
	for (i = 0; i < 3000 && atomic_load(&l->reopened) == before; i++)
		usleep(1000);
	if (atomic_load(&l->reopened) == before)
		return (lr_fail(cause, "player did not rescan in 3 s"));
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

/* The source clip's melody program (most used, lowest on a tie). */
void
live_pattern_programs(struct live_pattern *p, const struct noteseq *ref)
{
	int	count[128], k, best = -1;
	size_t	i;

	memset(count, 0, sizeof count);
	for (i = 0; ref != NULL && i < ref->n; i++) {
		k = ref->notes[i].program;
		if (!ref->notes[i].drum && k >= 0 && k <= 127)
			count[k]++;
	}
	for (k = 0; k < 128; k++)
		if (count[k] > 0 && (best < 0 || count[k] > count[best]))
			best = k;
	p->program[0] = best;
}

/*
 * The velocity of the reference note nearest to a note starting at step on
 * channel ch: one on the same channel wins, then the smaller distance,
 * then the earlier note.  -1 when ref has no usable note.
 */
int
live_ref_velocity(const struct noteseq *ref, int step, int ch)
{
	size_t	j;
	int	best = -1, d, v = -1, same, best_same = 0;

	if (ref == NULL || ref->n == 0 || !ref->quantized)
		return (-1);
	for (j = 0; j < ref->n; j++) {
		d = abs(ref->notes[j].start_step - step);
		same = ref->notes[j].channel == ch;
		if (best == -1 || (same && !best_same) ||
		    (same == best_same && d < best)) {
			best = d;
			best_same = same;
			v = ref->notes[j].velocity;
		}
	}
	return (v >= 1 && v <= 127 ? v : -1);
}
