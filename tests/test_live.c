/*
 * test_live.c: the player on a simulated clock with the recording sink.
 * Every expected time is computed here from the tempo and the step grid
 * (15 / qpm seconds per step), independently of the player's anchor math.
 * Also: PortMidi enumeration and "no MIDI output" handling, config files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "live.h"
#include "test.h"

#define EPS	1e-9

static struct live *
offline(enum live_quantum q, int master)
{
	struct live_opts	o;
	char			*cause = NULL;
	struct live		*l;

	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.offline = 1;
	o.qpm = 120;
	o.quantum = q;
	o.clock_master = master;
	l = live_new(&o, &cause);
	if (l == NULL) {
		fprintf(stderr, "live_new: %s\n", cause);
		exit(99);
	}
	return (l);
}

static void
pattern(struct live_pattern *p, struct live_note *n, size_t count, int steps)
{
	int	ch;

	memset(p, 0, sizeof *p);
	p->steps = steps;
	p->n = count;
	p->notes = n;
	for (ch = 0; ch < LIVE_MAX_CHANNELS; ch++)
		p->program[ch] = -1;
}

static struct live_note
mknote(int pitch, int start, int end, int ch, int vel)
{
	struct live_note	n;

	memset(&n, 0, sizeof n);
	n.pitch = (uint8_t)pitch;
	n.start_step = start;
	n.end_step = end;
	n.channel = (uint8_t)ch;
	n.velocity = (uint8_t)vel;
	return (n);
}

/* Index of the k-th event matching status/data1 (-1 if none). */
static long
find_ev(const struct live_event *ev, size_t n, int status, int d1, int k)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ev[i].status == status && (d1 < 0 || ev[i].data1 == d1) &&
		    ev[i].len > 0 && k-- == 0)
			return ((long)i);
	return (-1);
}

static size_t
count_ev(const struct live_event *ev, size_t n, int status, int d1)
{
	size_t	i, c = 0;

	for (i = 0; i < n; i++)
		if (ev[i].status == status && (d1 < 0 || ev[i].data1 == d1))
			c++;
	return (c);
}

/* A 1-bar loop of four quarter notes, two loops at 120 qpm. */
static void
test_loop_times(void)
{
	struct live		*l = offline(LIVE_SWAP_BAR, 0);
	struct live_note	 n[4];
	struct live_pattern	 p;
	const struct live_event	*ev;
	struct live_status	 st;
	size_t			 cnt;
	char			*cause = NULL;
	int			 i, loop, ok = 1, exact = 1;
	long			 k;

	for (i = 0; i < 4; i++)
		n[i] = mknote(60 + i, i * 4, i * 4 + 2, 0, 90 + i);
	pattern(&p, n, 4, 16);
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 3.999) == 0);
	cnt = live_recorded(l, &ev);
	CHECK_MSG(count_ev(ev, cnt, 0x90, -1) == 8, "%zu note-ons",
	    count_ev(ev, cnt, 0x90, -1));
	for (loop = 0; loop < 2; loop++)
		for (i = 0; i < 4; i++) {
			double on = (loop * 16 + i * 4) * 0.125;

			k = find_ev(ev, cnt, 0x90, 60 + i, loop);
			if (k < 0 || fabs(ev[k].ideal - on) > EPS ||
			    ev[k].data2 != 90 + i)
				ok = 0;
			if (k >= 0 && ev[k].actual != ev[k].ideal)
				exact = 0;
			k = find_ev(ev, cnt, 0x80, 60 + i, loop);
			if (k < 0 || fabs(ev[k].ideal - (on + 0.25)) > EPS)
				ok = 0;
		}
	CHECK_MSG(ok, "note times off the grid");
	CHECK(exact);
	live_status(l, &st);
	CHECK(st.playing == 1);
	CHECK(st.step == 31);
	CHECK(st.loop_step == 15);
	CHECK(st.pattern_steps == 16);
	CHECK(st.changed & LIVE_CHANGED_POSITION);
	live_status(l, &st);
	CHECK(st.changed == 0);

	/* The recording as notes (what --record writes). */
	{
		struct noteseq	rs;

		CHECK(live_record_noteseq(l, &rs, &cause) == 0);
		CHECK(rs.n == 8 && rs.n_tracks == 1 && rs.n_tempos == 1);
		CHECK(rs.tempos[0].qpm == 120);
		CHECK(fabs(rs.notes[5].start_s - 2.5) < EPS &&
		    fabs(rs.notes[5].end_s - 2.75) < EPS &&
		    rs.notes[5].pitch == 61 && rs.notes[5].velocity == 91);
		free(rs.notes);
		free(rs.tempos);
		free(rs.timesigs);
	}
	live_free(l);

	/* Play exactly two loops: everything ends at 4.0, nothing after. */
	l = offline(LIVE_SWAP_BAR, 0);
	n[3].end_step = 16;
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_stop_at(l, 32) == 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 10.0) == 0);
	cnt = live_recorded(l, &ev);
	CHECK(count_ev(ev, cnt, 0x90, -1) == 8);
	k = find_ev(ev, cnt, 0x80, 63, 1);
	CHECK(k >= 0 && fabs(ev[k].ideal - 4.0) < EPS);
	CHECK(fabs(ev[cnt - 1].ideal - 4.0) < EPS);
	live_status(l, &st);
	CHECK(!st.playing && st.sounding == 0);
	live_free(l);
}

/* Tempo change mid-bar re-anchors at the exact position. */
static void
test_tempo_change(void)
{
	struct live		*l = offline(LIVE_SWAP_BAR, 0);
	struct live_note	 n[16];
	struct live_pattern	 p;
	const struct live_event	*ev;
	size_t			 cnt;
	char			*cause = NULL;
	int			 i, ok = 1;
	long			 k;
	double			 want;

	for (i = 0; i < 16; i++)
		n[i] = mknote(40 + i, i, i + 1, 1, 100);
	pattern(&p, n, 16, 16);
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 0.9) == 0);
	CHECK(live_set_tempo(l, 60) == 0);
	CHECK(live_set_tempo(l, 1000) == -1);
	CHECK(live_advance(l, 6.0) == 0);
	cnt = live_recorded(l, &ev);
	/* 0.9 s at 0.125 s/step is step 7.2; after it 0.25 s/step. */
	for (i = 0; i < 16; i++) {
		want = i <= 7 ? i * 0.125 : 0.9 + (i - 7.2) * 0.25;
		k = find_ev(ev, cnt, 0x91, 40 + i, 0);
		if (k < 0 || fabs(ev[k].ideal - want) > 1e-9) {
			ok = 0;
			fprintf(stderr, "step %d at %g, want %g\n", i,
			    k < 0 ? -1.0 : ev[k].ideal, want);
		}
	}
	/* Second loop: step 16 at 0.9 + 8.8 * 0.25. */
	k = find_ev(ev, cnt, 0x91, 40, 1);
	CHECK(k >= 0 && fabs(ev[k].ideal - (0.9 + 8.8 * 0.25)) < 1e-9);
	CHECK(ok);
	live_free(l);
}

/*
 * A swap at bar/beat/step: requested at 0.3 s (step 2.4), it lands at
 * step 16, 4 or 3; the old long note gets its note-off right there,
 * then sustain off and All Notes Off.
 */
static void
test_swap_quantum(void)
{
	enum live_quantum	 qs[3] = { LIVE_SWAP_BAR, LIVE_SWAP_BEAT,
				    LIVE_SWAP_STEP };
	int			 at[3] = { 16, 4, 3 };
	struct live_note	 a[1], b[16];
	struct live_pattern	 pa, pb;
	const struct live_event	*ev;
	struct live_status	 st;
	struct live		*l;
	size_t			 cnt;
	char			*cause = NULL;
	int			 q, i, idb;
	long			 k;

	a[0] = mknote(50, 0, 16, 0, 100);
	for (i = 0; i < 16; i++)
		b[i] = mknote(70, i, i + 1, 0, 100);
	pattern(&pa, a, 1, 16);
	pattern(&pb, b, 16, 16);
	pb.program[0] = 33;
	for (q = 0; q < 3; q++) {
		l = offline(qs[q], 0);
		CHECK(live_swap(l, &pa, &cause) == 1);
		CHECK(live_start(l) == 0);
		CHECK(live_advance(l, 0.3) == 0);
		idb = live_swap(l, &pb, &cause);
		CHECK(idb == 2);
		live_status(l, &st);
		CHECK(st.pattern_id == 1);
		CHECK(live_advance(l, 2.5) == 0);
		cnt = live_recorded(l, &ev);
		k = find_ev(ev, cnt, 0x80, 50, 0);
		CHECK_MSG(k >= 0 && fabs(ev[k].ideal - at[q] * 0.125) < EPS,
		    "quantum %d: cut at %g", q, k >= 0 ? ev[k].ideal : -1);
		k = find_ev(ev, cnt, 0x90, 70, 0);
		CHECK_MSG(k >= 0 && fabs(ev[k].ideal - at[q] * 0.125) < EPS,
		    "quantum %d: new at %g", q, k >= 0 ? ev[k].ideal : -1);
		k = find_ev(ev, cnt, 0xC0, 33, 0);
		CHECK(k >= 0 && fabs(ev[k].ideal - at[q] * 0.125) < EPS);
		/* Sustain off and All Notes Off at the swap, after the
		   exact note-off; no All Sound Off (it would cut tails). */
		k = find_ev(ev, cnt, 0xB0, 123, 0);
		CHECK_MSG(k >= 0 && fabs(ev[k].ideal - at[q] * 0.125) < EPS &&
		    k > find_ev(ev, cnt, 0x80, 50, 0), "quantum %d: CC 123 "
		    "at %g", q, k >= 0 ? ev[k].ideal : -1);
		k = find_ev(ev, cnt, 0xB0, 64, 0);
		CHECK(k >= 0 && fabs(ev[k].ideal - at[q] * 0.125) < EPS);
		CHECK(count_ev(ev, cnt, 0xB0, 120) == 0);
		/* The old pattern's note never starts again. */
		CHECK(count_ev(ev, cnt, 0x90, 50) == 1);
		live_status(l, &st);
		CHECK(st.pattern_id == (unsigned)idb);
		live_free(l);
	}
}

/* Stop and pause: panic, nothing after; resume keeps the position. */
static void
test_stop_pause(void)
{
	struct live		*l = offline(LIVE_SWAP_BAR, 1);
	struct live_note	 n[2];
	struct live_pattern	 p;
	const struct live_event	*ev;
	struct live_status	 st;
	size_t			 cnt, before, i;
	char			*cause = NULL;
	long			 k;

	n[0] = mknote(60, 0, 8, 2, 100);
	n[1] = mknote(36, 4, 12, LIVE_DRUM_CHANNEL, 120);
	pattern(&p, n, 2, 16);
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 0.6) == 0);
	live_status(l, &st);
	CHECK(st.sounding == 2);
	CHECK(live_pause(l) == 0);
	live_status(l, &st);
	CHECK(st.sounding == 0 && st.paused && !st.playing);
	cnt = live_recorded(l, &ev);
	k = find_ev(ev, cnt, 0x82, 60, 0);
	CHECK(k >= 0 && fabs(ev[k].ideal - 0.6) < EPS);
	k = find_ev(ev, cnt, 0x89, 36, 0);
	CHECK(k >= 0 && fabs(ev[k].ideal - 0.6) < EPS);
	CHECK(find_ev(ev, cnt, 0xB2, 64, 0) > k);
	CHECK(find_ev(ev, cnt, 0xB2, 123, 0) > k);
	CHECK(find_ev(ev, cnt, 0xB2, 120, 0) > k);
	CHECK(find_ev(ev, cnt, 0xB9, 120, 0) > k);
	/* Only used channels get the CCs. */
	CHECK(find_ev(ev, cnt, 0xB0, 123, 0) == -1);
	/* Clock master: 24 ticks per quarter, start then stop. */
	CHECK(find_ev(ev, cnt, 0xFA, -1, 0) == 0);
	CHECK(find_ev(ev, cnt, 0xFC, -1, 0) >= 0);
	CHECK(count_ev(ev, cnt, 0xF8, -1) == 29);	/* ticks 0..28 */
	k = find_ev(ev, cnt, 0xF8, -1, 24);
	CHECK(k >= 0 && fabs(ev[k].ideal - 0.5) < EPS);

	/* Paused: time passes, nothing is sent. */
	before = cnt;
	CHECK(live_advance(l, 5.0) == 0);
	cnt = live_recorded(l, &ev);
	CHECK(cnt == before);
	/* Resume at 5.0 from tick 29 (step 4.83): step 5 at 5 + 1/48. */
	CHECK(live_set_velocity(l, LIVE_VEL_FIXED, 77) == 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 7.0) == 0);
	cnt = live_recorded(l, &ev);
	CHECK(find_ev(ev, cnt, 0xFB, -1, 0) >= 0);
	k = find_ev(ev, cnt, 0x92, 60, 1);	/* next loop, step 16 */
	CHECK_MSG(k >= 0 && fabs(ev[k].ideal - (5.0 + (96 - 29) /
	    48.0)) < EPS, "resume at %g", k >= 0 ? ev[k].ideal : -1);
	CHECK(k >= 0 && ev[k].data2 == 77);
	CHECK(live_stop(l) == 0);
	live_status(l, &st);
	CHECK(st.sounding == 0 && !st.playing && !st.paused && st.step >= 0);
	before = live_recorded(l, &ev);
	CHECK(live_advance(l, 9.0) == 0);
	CHECK(live_recorded(l, &ev) == before);
	/* Stop rewinds: a new start plays step 0 at once. */
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 9.0) == 0);
	cnt = live_recorded(l, &ev);
	for (i = before; i < cnt && ev[i].status != 0x92; i++)
		;
	CHECK(i < cnt && fabs(ev[i].ideal - 9.0) < EPS);
	live_free(l);
	(void)cnt;
}

/* Bad patterns are refused with a cause, good ones get increasing ids. */
static void
test_bad_pattern(void)
{
	struct live		*l = offline(LIVE_SWAP_BAR, 0);
	struct live_note	 n[1];
	struct live_pattern	 p;
	char			*cause = NULL;

	n[0] = mknote(60, 16, 18, 0, 100);
	pattern(&p, n, 1, 16);
	CHECK(live_swap(l, &p, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "note 0") != NULL);
	n[0] = mknote(60, 0, 2, 0, 0);
	CHECK(live_swap(l, &p, &cause) == -1);
	n[0] = mknote(60, 0, 2, 16, 100);
	CHECK(live_swap(l, &p, &cause) == -1);
	p.steps = 0;
	CHECK(live_swap(l, &p, &cause) == -1);
	n[0] = mknote(60, 14, 40, 0, 100);	/* clipped to the loop */
	pattern(&p, n, 1, 16);
	CHECK(live_swap(l, &p, &cause) == 1);
	free(cause);
	live_free(l);
}

/* Patterns from note sequences, and velocity kept from the input. */
static void
test_from_noteseq(void)
{
	struct noteseq		 s;
	struct note		 notes[3];
	struct live_pattern	 p;
	struct live_note	*buf;
	char			*cause = NULL;

	memset(&s, 0, sizeof s);
	memset(notes, 0, sizeof notes);
	s.notes = notes;
	s.n = 3;
	s.quantized = 1;
	s.total_steps = 40;
	notes[0].pitch = 60; notes[0].velocity = 30; notes[0].program = 5;
	notes[0].start_step = 0; notes[0].end_step = 4;
	notes[1].pitch = 36; notes[1].velocity = 110; notes[1].drum = 1;
	notes[1].channel = 3; notes[1].start_step = 8; notes[1].end_step = 9;
	notes[2].pitch = 62; notes[2].velocity = 50; notes[2].program = 5;
	notes[2].start_step = 30; notes[2].end_step = 40;
	CHECK(live_pattern_from_noteseq(&p, &buf, &s, 32, &cause) == 0);
	CHECK(p.steps == 32 && p.n == 3);
	CHECK(buf[2].end_step == 32);
	CHECK(buf[1].channel == LIVE_DRUM_CHANNEL);
	CHECK(p.program[0] == 5 && p.program[LIVE_DRUM_CHANNEL] == -1);
	free(buf);
	s.quantized = 0;
	CHECK(live_pattern_from_noteseq(&p, &buf, &s, 32, &cause) == -1);
	s.quantized = 1;

	/* Nearest in start step on the same channel: 29 -> the note at 30,
	   2 -> the one at 0 (the drum at 8 is on another channel). */
	CHECK(live_ref_velocity(&s, 29, 0) == 50);
	CHECK(live_ref_velocity(&s, 2, 0) == 30);
	free(cause);
}

/* The channel of the first event with this status high nibble and
   data1, or -1. */
static int
chan_of(const struct live_event *ev, size_t n, int hi, int d1)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((ev[i].status & 0xF0) == hi && ev[i].data1 == d1)
			return (ev[i].status & 0x0F);
	return (-1);
}

/*
 * Channel and program: a trio pattern (melody 0, bass 1, drums) with the
 * melody on a chosen channel: the bass on the next one (skipping 10 when
 * it is next), drums on 10; the melody's program from the pattern or
 * fixed; the source clip's program for a result.
 */
static void
test_channel_program(void)
{
	struct live_opts	 o;
	struct live_note	 n[3];
	struct live_pattern	 p;
	const struct live_event	*ev;
	struct live		*l;
	struct noteseq		 ref;
	struct note		 rn[5];
	size_t			 cnt;
	char			*cause = NULL;
	int			 t, mel[3] = { 3, 8, 0 }, bass[3] = { 4, 10, 1 };

	n[0] = mknote(72, 0, 4, 0, 100);
	n[1] = mknote(40, 0, 4, 1, 100);
	n[2] = mknote(36, 0, 1, LIVE_DRUM_CHANNEL, 100);
	for (t = 0; t < 3; t++) {
		memset(&o, 0, sizeof o);
		o.sink = LIVE_SINK_RECORD;
		o.offline = 1;
		o.qpm = 120;
		o.channel = mel[t];
		o.program_fixed = t == 1;
		o.program = 12;
		if ((l = live_new(&o, &cause)) == NULL) {
			CHECK(0);
			return;
		}
		pattern(&p, n, 3, 16);
		p.program[0] = 5;
		p.program[1] = 33;
		CHECK(live_swap(l, &p, &cause) > 0);
		CHECK(live_start(l) == 0);
		CHECK(live_advance(l, 1.0) == 0);
		cnt = live_recorded(l, &ev);
		CHECK_MSG(chan_of(ev, cnt, 0x90, 72) == mel[t] &&
		    chan_of(ev, cnt, 0x80, 72) == mel[t],
		    "melody on %d, want %d", chan_of(ev, cnt, 0x90, 72),
		    mel[t]);
		CHECK_MSG(chan_of(ev, cnt, 0x90, 40) == bass[t],
		    "bass on %d, want %d", chan_of(ev, cnt, 0x90, 40),
		    bass[t]);
		CHECK(chan_of(ev, cnt, 0x90, 36) == LIVE_DRUM_CHANNEL);
		CHECK(chan_of(ev, cnt, 0xC0, 33) == bass[t]);
		if (t == 1) {
			CHECK(chan_of(ev, cnt, 0xC0, 12) == mel[t]);
			CHECK(count_ev(ev, cnt, 0xC0 | mel[t], 5) == 0);
		} else
			CHECK(chan_of(ev, cnt, 0xC0, 5) == mel[t]);
		/* No program change on the drum channel. */
		CHECK(count_ev(ev, cnt, 0xC0 | LIVE_DRUM_CHANNEL, -1) == 0);
		live_free(l);
	}

	/* A result's program: the source clip's most used (24), not 0;
	   drums do not count; no source leaves the synth alone. */
	memset(&ref, 0, sizeof ref);
	memset(rn, 0, sizeof rn);
	ref.notes = rn;
	ref.n = 5;
	rn[0].program = 24; rn[1].program = 24; rn[2].program = 0;
	rn[3].program = 7; rn[3].drum = 1; rn[4].program = 7; rn[4].drum = 1;
	pattern(&p, n, 1, 16);
	p.program[0] = 0;
	live_pattern_programs(&p, &ref);
	CHECK(p.program[0] == 24);
	live_pattern_programs(&p, NULL);
	CHECK(p.program[0] == -1);
	free(cause);
}

/* A device that vanishes mid-play: error, silence, app alive, reopen. */
static void
test_device_vanishes(void)
{
	struct live_opts	 o;
	struct live_note	 n[1];
	struct live_pattern	 p;
	struct live_status	 st;
	struct live		*l;
	char			*cause = NULL;
	size_t			 before;
	const struct live_event	*ev;

	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.offline = 1;
	o.fail_after = 5;
	l = live_new(&o, &cause);
	CHECK(l != NULL);
	if (l == NULL)
		return;
	n[0] = mknote(60, 0, 3, 0, 100);
	pattern(&p, n, 1, 4);
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 2.0) == 0);
	live_status(l, &st);
	CHECK(st.changed & LIVE_CHANGED_ERROR);
	CHECK(!st.device_ok && strstr(st.error, "device removed") != NULL);
	CHECK(!st.playing && st.sounding == 0);
	before = live_recorded(l, &ev);
	CHECK(live_advance(l, 3.0) == 0);
	CHECK(live_recorded(l, &ev) == before);
	CHECK(live_reopen(l, NULL) == 0);
	live_status(l, &st);
	CHECK(st.device_ok && st.error[0] == '\0');
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 4.0) == 0);
	live_status(l, &st);
	CHECK(st.playing && st.device_ok);
	CHECK(live_recorded(l, &ev) > before);
	live_free(l);
}

/*
 * A rescan while playing (the `d` key; a synth started after us): on the
 * recording sink it runs the same player path as with PortMidi.  The
 * note sounding at the rescan ends there, playing goes on, and the
 * program, sent once at the first swap and not again at a second swap
 * with the same program, is sent again for the re-opened synth.
 */
static void
test_rescan(void)
{
	struct live		*l = offline(LIVE_SWAP_BAR, 0);
	struct live_note	 n[1];
	struct live_pattern	 p;
	const struct live_event	*ev;
	struct live_status	 st;
	size_t			 cnt, i;
	char			*cause = NULL;
	long			 k;
	int			 ons = 0, offs = 0, bad = 0, on = 0;

	n[0] = mknote(60, 0, 16, 0, 100);	/* a whole bar: 2 s */
	pattern(&p, n, 1, 16);
	p.program[0] = 41;
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	CHECK(live_advance(l, 1.0) == 0);
	CHECK(live_swap(l, &p, &cause) > 0);	/* same program */
	CHECK(live_advance(l, 2.5) == 0);
	cnt = live_recorded(l, &ev);
	CHECK_MSG(count_ev(ev, cnt, 0xC0, 41) == 1, "%zu program changes "
	    "for two swaps with the same program",
	    count_ev(ev, cnt, 0xC0, 41));
	CHECK(live_rescan(l, &cause) == 0);
	live_status(l, &st);
	CHECK(st.playing && st.device_ok);
	cnt = live_recorded(l, &ev);
	/* The note that started at 2 s ended at the rescan (2.5 s). */
	k = find_ev(ev, cnt, 0x80, 60, 1);
	CHECK_MSG(k >= 0 && fabs(ev[k].ideal - 2.5) < EPS, "off at %g",
	    k >= 0 ? ev[k].ideal : -1);
	CHECK(count_ev(ev, cnt, 0xC0, 41) == 2);
	k = find_ev(ev, cnt, 0xC0, 41, 1);
	CHECK(k >= 0 && fabs(ev[k].ideal - 2.5) < EPS);
	CHECK(live_advance(l, 6.5) == 0);
	live_status(l, &st);
	CHECK(st.playing && st.sounding == 1);
	/* Going on from where it was: the next bar 1.5 s later (less the
	   tick already run at 2.5 s, 1/48 s). */
	cnt = live_recorded(l, &ev);
	k = find_ev(ev, cnt, 0x90, 60, 2);
	CHECK_MSG(k >= 0 && fabs(ev[k].ideal - (4.0 - 1.0 / 48)) < 1e-6,
	    "resumed note at %g", k >= 0 ? ev[k].ideal : -1);
	CHECK(live_stop(l) == 0);
	cnt = live_recorded(l, &ev);
	for (i = 0; i < cnt; i++) {
		if (ev[i].status == 0x90) {
			bad += on;
			on = 1;
			ons++;
		} else if (ev[i].status == 0x80) {
			bad += !on;
			on = 0;
			offs++;
		}
	}
	/* 0 s, 2 s, then (resumed) about 4 s and 6 s. */
	CHECK_MSG(ons == 4 && offs == 4 && bad == 0, "ons %d offs %d bad %d",
	    ons, offs, bad);
	live_free(l);
	free(cause);
}

/* PortMidi for real: enumeration, and no device is not fatal. */
static void
test_portmidi(void)
{
	struct live_device	 d[64];
	struct live_opts	 o;
	struct live_status	 st;
	struct live		*l;
	char			*cause = NULL;
	int			 n, i, outs = 0;

	n = live_devices(d, 64, &cause);
	CHECK_MSG(n >= 0, "live_devices: %s", cause ? cause : "?");
	for (i = 0; i < n; i++) {
		CHECK(d[i].name[0] != '\0' && (d[i].input || d[i].output));
		/* PortMidi's; the built-in synth is listed last. */
		outs += d[i].output && d[i].index >= 0;
	}
	CHECK(n >= 1 && d[n - 1].index == -1 && d[n - 1].output &&
	    strcmp(d[n - 1].interf, "synth") == 0);
	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_PORTMIDI;
	o.record = 1;
	l = live_new(&o, &cause);
	CHECK(l != NULL);
	if (l != NULL) {
		live_status(l, &st);
		if (outs == 0)
			CHECK(strcmp(st.device, "no MIDI output") == 0);
		else
			CHECK(st.device[0] != '\0');
		CHECK(st.device_ok);
		CHECK(live_wakeup_fd(l) >= 0);
		/* A rescan while running keeps the player up and lists
		   the same devices (none plugged in since). */
		CHECK(live_rescan(l, &cause) == 0);
		CHECK(live_devices(d, 64, &cause) == n);
		live_status(l, &st);
		if (outs == 0)
			CHECK(strcmp(st.device, "no MIDI output") == 0);
		else
			CHECK(st.device_ok && st.device[0] != '\0');
		/* Reopen rescans; with nothing plugged in it says so and
		   the player keeps running. */
		if (outs == 0) {
			CHECK(live_reopen(l, NULL) == 0);
			for (i = 0; i < 200; i++) {
				live_status(l, &st);
				if (st.changed & LIVE_CHANGED_DEVICE)
					break;
				usleep(1000);
			}
			CHECK(!st.device_ok &&
			    strstr(st.error, "no MIDI output") != NULL);
			/* Listing while the player rescans: no race (the
			   TSAN build of this test checks it). */
			for (i = 0; i < 20; i++) {
				CHECK(live_reopen(l, NULL) == 0);
				CHECK(live_devices(d, 64, &cause) == n);
			}
			CHECK(live_start(l) == 0);
			/* Until the player thread says so (under TSan a
			   fixed 20 ms was not always enough). */
			for (i = 0; i < 2000; i++) {
				live_status(l, &st);
				if (st.playing)
					break;
				usleep(1000);
			}
			CHECK(st.playing);
		}
		live_free(l);
	}
	/* A named device that does not exist: a clear error in the
	   status, and the player still runs (on the null sink). */
	o.out = "no-such-synth-xyz";
	l = live_new(&o, &cause);
	CHECK(l != NULL);
	if (l != NULL) {
		live_status(l, &st);
		CHECK(!st.device_ok);
		CHECK(strstr(st.error, "no-such-synth-xyz") != NULL);
		CHECK(strcmp(st.device, "no MIDI output") == 0);
		CHECK(live_start(l) == 0);
		live_free(l);
	}
	if (outs == 0)
		printf("SKIP: no MIDI output device (no ALSA sequencer): "
		    "real-device playback not tested\n");
	free(cause);
}

/* The XDG config round-trips and reports bad lines. */
static void
test_config(void)
{
	char			 dir[] = "/tmp/lr-cfg-XXXXXX", path[256];
	struct config		 c, c2;
	struct live_binding	 b;
	char			*cause = NULL, *p;
	FILE			*f;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	setenv("XDG_CONFIG_HOME", dir, 1);
	p = config_path();
	snprintf(path, sizeof path, "%s/latentroll/config", dir);
	CHECK(p != NULL && strcmp(p, path) == 0);
	free(p);
	CHECK(config_load(&c, NULL, &cause) == 0);	/* missing: ok */
	CHECK(c.n_bindings == 0 && c.out[0] == '\0');
	snprintf(c.out, sizeof c.out, "FluidSynth");
	snprintf(c.soundfont, sizeof c.soundfont, "/opt/sf2/My GM.sf2");
	c.latency_ms = 30;
	memset(&b, 0, sizeof b);
	b.channel = 0; b.cc = 74;
	snprintf(b.target, sizeof b.target, "slider");
	config_bind(&c, &b);
	b.channel = -1; b.cc = 1;
	snprintf(b.target, sizeof b.target, "attr:2");
	config_bind(&c, &b);
	b.cc = 2;
	config_bind(&c, &b);		/* replaces attr:2 */
	snprintf(c.keys[0].command, sizeof c.keys[0].command, "play");
	snprintf(c.keys[0].key, sizeof c.keys[0].key, "p");
	c.n_keys = 1;
	CHECK(config_save(&c, NULL, &cause) == 0);
	CHECK(config_load(&c2, NULL, &cause) == 0);
	CHECK(strcmp(c2.out, "FluidSynth") == 0 && c2.latency_ms == 30);
	/* soundfont = PATH (spaces kept) reaches the player's options. */
	CHECK(strcmp(c2.soundfont, "/opt/sf2/My GM.sf2") == 0);
	{
		struct live_opts	lo;

		memset(&lo, 0, sizeof lo);
		config_live_opts(&c2, &lo);
		CHECK(lo.soundfont != NULL &&
		    strcmp(lo.soundfont, c2.soundfont) == 0);
	}
	CHECK(c2.n_bindings == 2);
	CHECK(c2.bindings[1].channel == -1 && c2.bindings[1].cc == 2);
	CHECK(strcmp(c2.bindings[0].target, "slider") == 0);
	CHECK(c2.n_keys == 1 && strcmp(c2.keys[0].key, "p") == 0);
	f = fopen(path, "w");
	fprintf(f, "out = x\nbogus = 1\n");
	fclose(f);
	CHECK(config_load(&c2, NULL, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, ":2: unknown") != NULL);
	f = fopen(path, "w");
	fprintf(f, "bind = 17 3 slider\n");
	fclose(f);
	CHECK(config_load(&c2, NULL, &cause) == -1);
	/* Channel and program: defaults, a round trip, the player's
	   options, and the values refused. */
	CHECK(config_load(&c, "/nonexistent/lr-config", &cause) == 0);
	CHECK(c.channel == 0 && c.program == -1);
	c.channel = 5;
	c.program = 0;
	CHECK(config_save(&c, NULL, &cause) == 0);
	CHECK(config_load(&c2, NULL, &cause) == 0);
	CHECK(c2.channel == 5 && c2.program == 0);
	{
		struct live_opts	o;

		memset(&o, 0, sizeof o);
		config_live_opts(&c2, &o);
		CHECK(o.channel == 4 && o.program_fixed && o.program == 0);
		c.program = -1;
		memset(&o, 0, sizeof o);
		config_live_opts(&c, &o);
		CHECK(!o.program_fixed);
	}
	{
		const char	*bad[] = { "channel = 10", "channel = 17",
				    "channel = 0", "channel = 2x",
				    "program = 128", "program = -1" };
		size_t		 i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			f = fopen(path, "w");
			fprintf(f, "%s\n", bad[i]);
			fclose(f);
			free(cause);
			cause = NULL;
			CHECK_MSG(config_load(&c2, NULL, &cause) == -1 &&
			    cause != NULL && strstr(cause, ":1: ") != NULL,
			    "%s: %s", bad[i], cause ? cause : "accepted");
		}
	}
	unlink(path);
	snprintf(path, sizeof path, "%s/latentroll", dir);
	rmdir(path);
	rmdir(dir);
	free(cause);
}

/* The threaded player on the real clock: it plays, and stops cleanly. */
static void
test_threaded(void)
{
	struct live_opts	 o;
	struct live_note	 n[4];
	struct live_pattern	 p;
	struct live_status	 st;
	const struct live_event	*ev;
	struct live		*l;
	char			*cause = NULL;
	size_t			 cnt, i;
	int			 k, ons = 0, offs = 0;

	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.qpm = 240;
	l = live_new(&o, &cause);
	CHECK(l != NULL);
	if (l == NULL)
		return;
	for (k = 0; k < 4; k++)
		n[k] = mknote(60 + k, k, k + 1, 0, 100);
	pattern(&p, n, 4, 16);
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	usleep(300000);
	live_status(l, &st);
	CHECK(st.playing && st.step > 0);
	/* A rescan from the UI thread while the player plays: waited
	   for, and playing goes on. */
	CHECK(live_rescan(l, &cause) == 0);
	live_status(l, &st);
	CHECK(st.playing && st.device_ok);
	usleep(100000);
	CHECK(live_stop(l) == 0);
	for (k = 0; k < 100; k++) {
		live_status(l, &st);
		if (!st.playing)
			break;
		usleep(2000);
	}
	CHECK(!st.playing && st.sounding == 0);
	cnt = live_recorded(l, &ev);
	for (i = 0; i < cnt; i++) {
		ons += ev[i].status == 0x90;
		offs += ev[i].status == 0x80;
	}
	CHECK(ons > 0 && ons == offs);
	live_free(l);
}

/*
 * The same failure on the threaded player (the PortMidi case: the player
 * thread sends, the UI thread polls and reopens): the error reaches the
 * status, nothing is left sounding, the UI thread's reopen and start
 * resume playing, and a stop then ends every note.  Under TSan in CI.
 */
static void
test_threaded_device_fails(void)
{
	struct live_opts	 o;
	struct live_note	 n[4];
	struct live_pattern	 p;
	struct live_status	 st;
	const struct live_event	*ev;
	struct live		*l;
	char			*cause = NULL;
	size_t			 before;
	int			 k;

	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.qpm = 480;
	o.fail_after = 12;
	l = live_new(&o, &cause);
	CHECK(l != NULL);
	if (l == NULL)
		return;
	for (k = 0; k < 4; k++)
		n[k] = mknote(60 + k, k, k + 1, 0, 100);
	pattern(&p, n, 4, 16);
	CHECK(live_swap(l, &p, &cause) > 0);
	CHECK(live_start(l) == 0);
	for (k = 0; k < 300; k++) {
		live_status(l, &st);
		if (!st.device_ok)
			break;
		usleep(10000);
	}
	CHECK_MSG(!st.device_ok && strstr(st.error, "device removed") != NULL,
	    "no failure seen after 3 s: device_ok %d, error \"%s\"",
	    st.device_ok, st.error);
	for (k = 0; k < 100; k++) {
		live_status(l, &st);
		if (!st.playing)
			break;
		usleep(2000);
	}
	CHECK(!st.playing && st.sounding == 0);
	before = live_recorded(l, &ev);
	CHECK(live_reopen(l, NULL) == 0);
	for (k = 0; k < 100; k++) {
		live_status(l, &st);
		if (st.device_ok)
			break;
		usleep(10000);
	}
	CHECK(st.device_ok && st.error[0] == '\0');
	CHECK(live_start(l) == 0);
	usleep(200000);
	live_status(l, &st);
	CHECK(st.playing && st.device_ok);
	CHECK(live_recorded(l, &ev) > before);
	CHECK(live_stop(l) == 0);
	for (k = 0; k < 100; k++) {
		live_status(l, &st);
		if (!st.playing)
			break;
		usleep(2000);
	}
	CHECK(!st.playing && st.sounding == 0);
	live_free(l);
}

int
main(void)
{
	test_loop_times();
	test_tempo_change();
	test_swap_quantum();
	test_stop_pause();
	test_bad_pattern();
	test_device_vanishes();
	test_rescan();
	test_from_noteseq();
	test_channel_program();
	test_portmidi();
	test_config();
	test_threaded();
	test_threaded_device_fails();
	return (test_report());
}
