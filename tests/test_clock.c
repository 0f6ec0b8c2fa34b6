/*
 * test_clock.c: following an external MIDI clock from a synthetic stream
 * (jittered 24 ppqn ticks, tempo changes, start/stop/continue, song
 * position), the player slaved to it, and CC learn driving a target.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "live.h"
#include "test.h"

static uint64_t	rng = 88172645463325252ULL;

/* Uniform in [-1, 1). */
static double
jitter(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}

static const uint8_t	TICK[1] = { 0xF8 }, START[1] = { 0xFA },
			STOP[1] = { 0xFC }, CONT[1] = { 0xFB };

/* The follower alone: tempo within 0.5 qpm, transport and position. */
static void
test_follow(void)
{
	struct clock_follow	f;
	uint8_t			spp[3] = { 0xF2, 0x10, 0x01 };
	double			t = 10.0, period;
	int			i, ticks = 0, at = 0;

	clock_follow_init(&f);
	CHECK(f.qpm == 0 && !f.running);
	CHECK(clock_follow_msg(&f, t, START, 1) == CLOCK_EV_START);
	/* 8 beats at 120 qpm with +-1 ms jitter on every tick. */
	period = 60.0 / (120 * 24);
	for (i = 0; i < 24 * 8; i++) {
		ticks += clock_follow_msg(&f, t + i * period + 0.001 *
		    jitter(), TICK, 1) == CLOCK_EV_TICK;
		/* Tick i arrived: the next one is i + 1. */
		at += f.tick == i + 1;
	}
	CHECK_MSG(ticks == 24 * 8 && at == 24 * 8, "%d ticks, %d at place",
	    ticks, at);
	CHECK_MSG(fabs(f.qpm - 120) < 0.5, "qpm %g", f.qpm);
	CHECK(f.tick == 24 * 8);
	t += 24 * 8 * period;
	/* A tempo change to 93.5: settled within a window (4 beats). */
	period = 60.0 / (93.5 * 24);
	for (i = 0; i < 24 * 6; i++)
		clock_follow_msg(&f, t + i * period + 0.001 * jitter(), TICK,
		    1);
	CHECK_MSG(fabs(f.qpm - 93.5) < 0.5, "qpm %g", f.qpm);
	t += 24 * 6 * period;
	CHECK(clock_follow_msg(&f, t, STOP, 1) == CLOCK_EV_STOP);
	CHECK(!f.running);
	/* Ticks while stopped move tempo, not position. */
	CHECK(clock_follow_msg(&f, t + period, TICK, 1) ==
	    CLOCK_EV_IDLE_TICK);
	CHECK(f.tick == 24 * 14);
	/* Song position 0x90 sixteenths (MSB 1, LSB 0x10) = 144 * 6. */
	CHECK(clock_follow_msg(&f, t, spp, 3) == CLOCK_EV_POSITION);
	CHECK(f.tick == 144 * 6);
	CHECK(clock_follow_msg(&f, t, CONT, 1) == CLOCK_EV_CONTINUE);
	CHECK(f.running && f.tick == 144 * 6);
	/* A long gap (the master paused) does not read as a slow tempo. */
	clock_follow_msg(&f, t + 5.0, TICK, 1);
	clock_follow_msg(&f, t + 5.0 + period, TICK, 1);
	CHECK_MSG(fabs(f.qpm - 93.5) < 0.5, "after gap %g", f.qpm);
	CHECK(clock_follow_msg(&f, t, (const uint8_t *)"\x90\x40\x40", 3) ==
	    CLOCK_EV_NONE);
}

/* The simulated clock only moves forward. */
static void
test_sim_clock(void)
{
	struct clock_sim	s;

	clock_sim_init(&s, 1.5);
	CHECK(s.clock.now(s.clock.arg) == 1.5);
	s.clock.sleep_until(s.clock.arg, 2.0);
	CHECK(s.clock.now(s.clock.arg) == 2.0);
	s.clock.sleep_until(s.clock.arg, 1.0);
	CHECK(s.clock.now(s.clock.arg) == 2.0);
	CHECK(clock_mono_now(NULL) > 0);
}

/* Note-offs for pitch in rec[from, to). */
static int
count_off(const struct live_event *rec, size_t from, size_t to, int pitch)
{
	int	c = 0;

	for (; from < to; from++)
		c += rec[from].status == 0x80 && rec[from].data1 == pitch;
	return (c);
}

static struct live *
slave(void)
{
	struct live_opts	 o;
	struct live		*l;
	char			*cause = NULL;

	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.offline = 1;
	o.clock_follow = 1;
	l = live_new(&o, &cause);
	if (l == NULL) {
		fprintf(stderr, "live_new: %s\n", cause);
		exit(99);
	}
	return (l);
}

/* The player slaved to the stream: notes on the master's ticks. */
static void
test_slaved_player(void)
{
	struct live		*l = slave();
	struct live_note	 n[4];
	struct live_pattern	 p;
	struct live_status	 st;
	struct live_input	 ev;
	const struct live_event	*rec;
	char			*cause = NULL;
	double			 period = 60.0 / (100 * 24), t0 = 1.0;
	size_t			 cnt, i, before;
	int			 k, ons = 0, starts = 0, stops = 0, tempos = 0;
	int			 ok = 1, lost = 0;

	memset(&p, 0, sizeof p);
	for (k = 0; k < 16; k++)
		p.program[k] = -1;
	for (k = 0; k < 4; k++) {
		memset(&n[k], 0, sizeof n[k]);
		n[k].pitch = (uint8_t)(60 + k);
		n[k].velocity = 100;
		n[k].start_step = k * 4;
		n[k].end_step = k * 4 + 2;
	}
	p.steps = 16;
	p.n = 4;
	p.notes = n;
	CHECK(live_swap(l, &p, &cause) > 0);
	/* The UI's start does nothing: the master drives the transport. */
	CHECK(live_start(l) == 0);
	live_status(l, &st);
	CHECK(!st.playing && st.clock_source == LIVE_CLOCK_EXTERNAL);

	CHECK(live_inject(l, t0, START, 1) == 0);
	for (k = 0; k < 24 * 8; k++)
		lost += live_inject(l, t0 + k * period, TICK, 1) != 0;
	CHECK_MSG(lost == 0, "%d ticks not queued", lost);
	CHECK(live_inject(l, t0 + 24 * 8 * period - period / 2, STOP, 1) ==
	    0);
	CHECK(live_advance(l, t0 + 10) == 0);
	cnt = live_recorded(l, &rec);
	/* Tick k carries step k/6: quarter notes at every 24th tick. */
	for (i = 0; i < cnt; i++)
		if (rec[i].status == 0x90) {
			if (fabs(rec[i].ideal - (t0 + ons * 24 * period)) >
			    1e-9 || rec[i].data1 != 60 + ons % 4)
				ok = 0;
			ons++;
		}
	CHECK_MSG(ons == 8, "%d note-ons", ons);
	CHECK(ok);
	live_status(l, &st);
	CHECK(!st.playing && st.sounding == 0);
	CHECK_MSG(fabs(st.qpm - 100) < 0.5, "qpm %g", st.qpm);
	while (live_poll_input(l, &ev)) {
		starts += ev.kind == LIVE_IN_START;
		stops += ev.kind == LIVE_IN_STOP;
		if (ev.kind == LIVE_IN_TEMPO) {
			tempos++;
			CHECK(ev.qpm > 50 && ev.qpm < 200);
		}
	}
	CHECK(starts == 1 && stops == 1 && tempos >= 1);

	/* Stopped: ticks keep coming, nothing plays. */
	before = cnt;
	for (k = 0; k < 48; k++)
		live_inject(l, t0 + 20 + k * period, TICK, 1);
	CHECK(live_advance(l, t0 + 30) == 0);
	CHECK(live_recorded(l, &rec) == before);
	/* Continue: plays from where it stopped (step 32 = loop step 0). */
	live_inject(l, t0 + 31, CONT, 1);
	live_inject(l, t0 + 31 + period, TICK, 1);
	CHECK(live_advance(l, t0 + 32) == 0);
	cnt = live_recorded(l, &rec);
	CHECK(cnt > before);
	for (i = before; i < cnt && rec[i].status != 0x90; i++)
		;
	CHECK(i < cnt && rec[i].data1 == 60 &&
	    fabs(rec[i].ideal - (t0 + 31 + period)) < 1e-9);
	live_free(l);
}

/*
 * Song position pointer in the player: while stopped it moves where
 * continue starts (a note at that step plays on the first tick); while
 * running it ends what sounds there and jumps.  The UI is told the
 * position in steps.
 */
static void
test_song_position(void)
{
	struct live		*l = slave();
	struct live_note	 n[4];
	struct live_pattern	 p;
	struct live_status	 st;
	struct live_input	 ev;
	const struct live_event	*rec;
	char			*cause = NULL;
	double			 period = 60.0 / (120 * 24), t, t_spp;
	uint8_t			 spp[3] = { 0xF2, 8, 0 };	/* step 8 */
	size_t			 cnt, before, i;
	int			 k, pos = -1, ons;
	long			 j;

	memset(&p, 0, sizeof p);
	for (k = 0; k < 16; k++)
		p.program[k] = -1;
	for (k = 0; k < 4; k++) {
		memset(&n[k], 0, sizeof n[k]);
		n[k].pitch = (uint8_t)(60 + k);
		n[k].velocity = 100;
		n[k].start_step = k * 4;
		n[k].end_step = k * 4 + 3;
	}
	p.steps = 16;
	p.n = 4;
	p.notes = n;
	CHECK(live_swap(l, &p, &cause) > 0);

	/* Stopped: position to step 8, continue, one tick: note 62. */
	t = 1.0;
	live_inject(l, t, spp, 3);
	live_inject(l, t + 0.1, CONT, 1);
	live_inject(l, t + 0.1 + period, TICK, 1);
	CHECK(live_advance(l, t + 0.5) == 0);
	cnt = live_recorded(l, &rec);
	for (i = 0; i < cnt && rec[i].status != 0x90; i++)
		;
	CHECK_MSG(i < cnt && rec[i].data1 == 62 &&
	    fabs(rec[i].ideal - (t + 0.1 + period)) < 1e-9,
	    "after SPP 8 + continue: note %d at %g", i < cnt ?
	    rec[i].data1 : -1, i < cnt ? rec[i].ideal : -1);
	while (live_poll_input(l, &ev))
		if (ev.kind == LIVE_IN_POSITION)
			pos = ev.value;
	CHECK_MSG(pos == 8, "position event %d", pos);
	live_status(l, &st);
	CHECK(st.playing && st.sounding == 1 && st.step == 8);

	/* Running: 5 more ticks (62 still sounds), then position 0: 62
	   ends at the pointer, and the next tick plays note 60. */
	t += 0.1 + period;
	for (j = 1; j <= 5; j++)
		live_inject(l, t + j * period, TICK, 1);
	t_spp = t + 5.5 * period;
	spp[1] = 0;
	live_inject(l, t_spp, spp, 3);
	live_inject(l, t + 6 * period, TICK, 1);
	before = cnt;
	CHECK(live_advance(l, t + 0.5) == 0);
	cnt = live_recorded(l, &rec);
	ons = 0;
	for (i = before; i < cnt; i++) {
		if (rec[i].status == 0x80 && rec[i].data1 == 62)
			CHECK_MSG(fabs(rec[i].ideal - t_spp) < 1e-9,
			    "62 off at %g, SPP at %g", rec[i].ideal, t_spp);
		if (rec[i].status == 0x90) {
			ons++;
			CHECK_MSG(rec[i].data1 == 60 && fabs(rec[i].ideal -
			    (t + 6 * period)) < 1e-9, "after SPP 0: note %d "
			    "at %g", rec[i].data1, rec[i].ideal);
		}
	}
	CHECK(ons == 1);
	CHECK(count_off(rec, before, cnt, 62) == 1);
	live_status(l, &st);
	CHECK(st.sounding == 1 && st.step == 0);
	live_free(l);
}

/* CC learn binds the next CC; bound CCs report target and amount. */
static void
test_cc_learn(void)
{
	struct live			*l = slave();
	struct live_input		 ev;
	const struct live_binding	*b;
	struct live_binding		 preset;
	uint8_t				 cc[3] = { 0xB2, 74, 64 };

	live_inject(l, 0.1, cc, 3);
	CHECK(live_advance(l, 0.2) == 0);
	CHECK(live_poll_input(l, &ev) == 1);
	CHECK(ev.kind == LIVE_IN_CC && ev.channel == 2 && ev.number == 74 &&
	    ev.value == 64 && ev.target[0] == '\0');
	CHECK(live_poll_input(l, &ev) == 0);

	live_learn(l, "slider");
	live_inject(l, 0.3, cc, 3);
	cc[2] = 127;
	live_inject(l, 0.4, cc, 3);
	cc[0] = 0xB0;
	live_inject(l, 0.5, cc, 3);	/* other channel: unbound */
	CHECK(live_advance(l, 0.6) == 0);
	CHECK(live_poll_input(l, &ev) == 1);
	CHECK(ev.kind == LIVE_IN_LEARNED && strcmp(ev.target, "slider") == 0);
	CHECK(live_poll_input(l, &ev) == 1);
	CHECK(ev.kind == LIVE_IN_CC && strcmp(ev.target, "slider") == 0 &&
	    fabs(ev.amount - 1.0) < 1e-12);
	CHECK(live_poll_input(l, &ev) == 1);
	CHECK(ev.target[0] == '\0');
	CHECK(live_bindings(l, &b) == 1 && b[0].channel == 2 && b[0].cc == 74);

	/* Relearning a target moves it; "any channel" bindings match. */
	memset(&preset, 0, sizeof preset);
	preset.channel = -1;
	preset.cc = 1;
	snprintf(preset.target, sizeof preset.target, "temperature");
	live_set_bindings(l, &preset, 1);
	cc[0] = 0xB5; cc[1] = 1; cc[2] = 0;
	live_inject(l, 0.7, cc, 3);
	CHECK(live_advance(l, 0.8) == 0);
	CHECK(live_poll_input(l, &ev) == 1);
	CHECK(strcmp(ev.target, "temperature") == 0 && ev.amount == 0);
	live_free(l);
}

int
main(void)
{
	test_follow();
	test_sim_clock();
	test_slaved_player();
	test_song_position();
	test_cc_learn();
	return (test_report());
}
