/*
 * synth_session.h: the live path as a listener hears it.  The player
 * runs in real time on its own thread, on the built-in synth, whose audio
 * goes through fluidsynth's "file" driver (a timer renders one period at
 * a time, in real time) to a WAV file; the session swaps patterns every
 * bar and stops and restarts at random (a key press each), then reads the
 * file back and measures: gaps where notes should sound, the level after
 * each stop and at the end, and key-press-to-sound latency.  Shared by
 * tests/test_synth_live.c and bench/bench_synth.c.
 */
#ifndef LR_SYNTH_SESSION_H
#define LR_SYNTH_SESSION_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "audio_check.h"
#include "live.h"

#define SESSION_MAX_PRESS	512

struct session {
	/* In. */
	const char	*soundfont;
	const char	*wav;		/* the file driver's output */
	int		 bars;
	double		 qpm;
	double		 stop_p;	/* chance of a stop after a bar */
	unsigned	 seed;
	/* Out. */
	int		 presses;
	double		 latency[SESSION_MAX_PRESS];	/* press to sound, s */
	double		 sent[SESSION_MAX_PRESS];	/* press to note-on
							   sent (MIDI), s */
	int		 silent_periods;	/* in sounding stretches */
	int		 checked_periods;
	double		 longest_gap_s;
	int		 stops;
	double		 worst_after_stop_db;	/* 250 ms after a stop */
	double		 end_db;		/* after the last release */
	int		 ons, offs;		/* note-ons / note-offs sent */
	double		 audio_s;		/* length of the file */
	double		 wall_s;		/* the driver ran, clock */
	int		 period;		/* frames */
	int		 kicks;			/* kicks found (the anchor) */
	double		 bound_ms[3];		/* the kicks' bounds on sample
						   0, ms after a0: median,
						   anchor (p90), latest */
	double		 gap_at_ms[4];		/* the first silent periods:
						   ms after their note-on */
	int		 gap_note[4];		/* and that note's number */
	double		 stop_off_ms;		/* longest stop press to a
						   held note's note-off */
	char		 error[256];
};

static double
session_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static void
session_sleep_until(double t)
{
	double	d;

	while ((d = t - session_now()) > 0)
		usleep(d > 0.01 ? 10000 : (useconds_t)(d * 1e6) + 1);
}

/* Two one-bar organ patterns (sustained: a gap is a dropout) and a kick. */
static void
session_patterns(struct live_pattern *p, struct live_note n[2][8])
{
	static const int	pa[4] = { 60, 64, 67, 72 };
	static const int	pb[4] = { 62, 65, 69, 74 };
	int			k, j;

	memset(n, 0, sizeof (struct live_note) * 16);
	for (k = 0; k < 2; k++) {
		memset(&p[k], 0, sizeof p[k]);
		p[k].steps = 16;
		for (j = 0; j < 4; j++) {
			n[k][j].pitch = (uint8_t)(k == 0 ? pa[j] : pb[j]);
			n[k][j].velocity = 100;
			n[k][j].channel = 0;
			n[k][j].start_step = 4 * j;
			n[k][j].end_step = 4 * j + 4;
		}
		n[k][4].pitch = 36;
		n[k][4].velocity = 110;
		n[k][4].channel = LIVE_DRUM_CHANNEL;
		n[k][4].start_step = 0;
		n[k][4].end_step = 1;
		p[k].n = 5;
		p[k].notes = n[k];
		for (j = 0; j < LIVE_MAX_CHANNELS; j++)
			p[k].program[j] = -1;
		p[k].program[0] = 19;	/* church organ: holds its level */
	}
}

/* fluidsynth's default audio.period-size, which the session keeps. */
#define SESSION_PERIOD	64

/* p-quantile (0..1) of n values (NANs count as +inf); sorts v. */
static int
session_cmp(const void *x, const void *y)
{
	double	a = *(const double *)x, b = *(const double *)y;

	if (isnan(a))
		a = INFINITY;
	if (isnan(b))
		b = INFINITY;
	return (a < b ? -1 : a > b);
}

static double
session_quantile(double *v, int n, double p)
{
	int	k;

	if (n <= 0)
		return (NAN);
	qsort(v, (size_t)n, sizeof *v, session_cmp);
	k = (int)ceil(p * n) - 1;
	return (v[k < 0 ? 0 : k >= n ? n - 1 : k]);
}

/*
 * The first 1 ms frame in [from, to) whose attack energy is over 8 times
 * the mean of the 25 frames ending 5 before `from` (and over a floor);
 * -1 if none.
 */
static long
first_attack(const double *e, size_t ne, long from, long to)
{
	double	pre = 0;
	long	k, m = 0;

	for (k = from - 30; k < from - 5; k++)
		if (k >= 0 && (size_t)k < ne) {
			pre += e[k];
			m++;
		}
	pre = m > 0 ? pre / m : 0;
	for (k = from < 0 ? 0 : from; k < to && (size_t)k < ne; k++)
		if (e[k] > 8 * pre && e[k] > 1e-6)
			return (k);
	return (-1);
}

/* What the file says about the session (see struct session). */
static void
session_analyse(struct session *s, const struct live_event *ev, size_t n,
    const float *pcm, size_t frames, int rate, double a0,
    const double *t_press, const double *stop_at)
{
	double	*e, *bounds, t_on, t_off, db, gap = 0, a_est, a_lat;
	size_t	 ne, i, j, a, b, q;
	long	 c, k;
	int	 ch, run = 0;

	s->period = SESSION_PERIOD;
	/*
	 * The file's sample clock: the driver's sample 0 is some time
	 * around a0 (its thread starts inside the call).  Anchor it by
	 * causality instead: no kick sounds before its note-on was handed
	 * over, so sample 0 is no earlier than send - onset for every kick
	 * (1 ms frames: the bound errs towards longer latencies).  A kick
	 * sent while the driver's timer thread was stalled sounds later
	 * than that, and its bound is too late by the stall: the latest
	 * bound would shift every window of the checks below by the worst
	 * stall of the session.  So the anchor of those checks is the
	 * 90th percentile of the bounds: stalls at up to one kick in ten
	 * cannot move it, and with none it is within a period of the
	 * latest.  Key-press latency keeps the latest bound: every press
	 * starts with a kick, so by that anchor no press sounds before its
	 * note-on was sent, and a stall counts against the latency instead
	 * of making it negative (under distcheck's load the 90th percentile
	 * put two presses 2 and 8 ms before their sound).
	 */
	e = audio_attack_env(pcm, frames, rate, &ne);
	bounds = calloc(n + 1, sizeof *bounds);
	for (j = 0; j < n && bounds != NULL; j++) {
		if (ev[j].status != (0x90 | LIVE_DRUM_CHANNEL) ||
		    ev[j].data2 == 0)
			continue;
		c = lround((ev[j].actual - a0) * 1000);
		k = first_attack(e, ne, c - 20, c + 40);
		if (k >= 0)
			bounds[s->kicks++] = ev[j].actual - k / 1000.0 - a0;
	}
	a_est = a0;
	if (s->kicks > 0) {
		s->bound_ms[0] = session_quantile(bounds, s->kicks, 0.5) * 1000;
		s->bound_ms[1] = session_quantile(bounds, s->kicks, 0.9) * 1000;
		s->bound_ms[2] = session_quantile(bounds, s->kicks, 1.0) * 1000;
		a_est = a0 + s->bound_ms[1] / 1000;
	}
	free(bounds);
	a_lat = a0 + s->bound_ms[2] / 1000;
	/* Key press to sound: the first attack after the press (from the
	   silence of the stop, or of the start). */
	for (i = 0; i < (size_t)s->presses; i++) {
		c = lround((t_press[i] - a_lat) * 1000);
		k = first_attack(e, ne, c - 20, c + 300);
		s->latency[i] = k >= 0 ? a_lat + (k + 1) / 1000.0 - t_press[i] :
		    NAN;
		s->sent[i] = NAN;
		for (j = 0; j < n; j++)
			if ((ev[j].status & 0xF0) == 0x90 && ev[j].data2 > 0 &&
			    ev[j].actual >= t_press[i]) {
				s->sent[i] = ev[j].actual - t_press[i];
				break;
			}
	}
	free(e);
	/*
	 * Dropouts: every period while an organ note is held must sound,
	 * from its note-on's send + 10 ms (the next period, the timer, the
	 * attack) to 10 ms before it was released: its note-off's send, or
	 * the key press of the stop that ended it, if earlier.  A stop's
	 * note-offs are sent after the press, once the player has taken the
	 * command and begun its panic (many events: all notes off on every
	 * channel), and the synth renders nothing while the panic holds it,
	 * then catches up with the notes already off: its silence starts
	 * about where the press was, not where the note-off's send was.
	 * Where that difference passed 10 ms (ASan, a loaded machine), the
	 * check counted silent periods after the press as dropouts.
	 * The file driver also catches up after any stall of its 1 ms
	 * timer, so an event sent while it was behind lands that much
	 * earlier in the file than the anchor says: hence the 10 ms.
	 */
	for (i = 0; i < n; i++) {
		if ((ev[i].status & 0xF0) != 0x90 || ev[i].data2 == 0 ||
		    (ev[i].status & 0x0F) == LIVE_DRUM_CHANNEL)
			continue;
		s->ons++;
		ch = ev[i].status & 0x0F;
		t_on = ev[i].actual;
		t_off = -1;
		for (j = i + 1; j < n; j++)
			if ((ev[j].status == (0x80 | ch) || (ev[j].status ==
			    (0x90 | ch) && ev[j].data2 == 0)) &&
			    ev[j].data1 == ev[i].data1) {
				t_off = ev[j].actual;
				break;
			}
		if (t_off < 0)
			continue;
		s->offs++;
		for (j = 0; j < (size_t)s->stops; j++)
			if (stop_at[j] > t_on && stop_at[j] < t_off) {
				if ((t_off - stop_at[j]) * 1000 >
				    s->stop_off_ms)
					s->stop_off_ms = (t_off - stop_at[j]) *
					    1000;
				t_off = stop_at[j];
			}
		a = (size_t)((t_on + 0.010 - a_est) * rate) / SESSION_PERIOD;
		if (t_off - 0.010 <= t_on + 0.010)
			continue;	/* too short to check */
		b = (size_t)((t_off - 0.010 - a_est) * rate) / SESSION_PERIOD;
		for (q = a; q < b && (q + 1) * SESSION_PERIOD <= frames; q++) {
			s->checked_periods++;
			db = audio_rms_db(pcm, q * SESSION_PERIOD,
			    (q + 1) * SESSION_PERIOD);
			if (db < -70) {
				if (s->silent_periods < 4) {
					s->gap_at_ms[s->silent_periods] =
					    ((double)q * SESSION_PERIOD /
					    rate + a_est - t_on) * 1000;
					s->gap_note[s->silent_periods] =
					    s->ons;
				}
				s->silent_periods++;
				gap = (double)(++run) * SESSION_PERIOD / rate;
				if (gap > s->longest_gap_s)
					s->longest_gap_s = gap;
			} else
				run = 0;
		}
		run = 0;
	}
	/* Silence after each stop (the panic) and at the end. */
	s->worst_after_stop_db = -200;
	for (i = 0; i < (size_t)s->stops; i++) {
		a = (size_t)((stop_at[i] + 0.25 - a_est) * rate);
		b = (size_t)((stop_at[i] + 0.35 - a_est) * rate);
		if (b > frames)
			continue;
		db = audio_rms_db(pcm, a, b);
		if (db > s->worst_after_stop_db)
			s->worst_after_stop_db = db;
	}
	a = (size_t)((stop_at[s->stops - 1] + 1.0 - a_est) * rate);
	s->end_db = audio_rms_db(pcm, a < frames ? a : frames, frames);
}

/* Run the session and measure it; -1 with s->error. */
static int
session_run(struct session *s)
{
	struct live_pattern	 p[2];
	struct live_note	 notes[2][8];
	struct live_opts	 o;
	struct live_status	 st;
	struct live		*l;
	const struct live_event	*ev;
	struct live_event	*evc;
	double			 t_press[SESSION_MAX_PRESS], stop_at[256];
	double			 bar_s, t, a0, t_end;
	char			*cause = NULL;
	int			 b, k = 0, cur = 0;
	size_t			 n;
	SF_INFO			 info;
	SNDFILE			*f;
	float			*pcm;
	size_t			 frames;

	srand(s->seed);
	session_patterns(p, notes);
	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_SYNTH;
	o.soundfont = s->soundfont;
	o.audio_driver = "file";
	o.audio_file = s->wav;
	o.qpm = s->qpm;
	o.record = 1;
	o.record_max = 1 << 20;
	if ((l = live_new(&o, &cause)) == NULL) {
		snprintf(s->error, sizeof s->error, "%s", cause);
		free(cause);
		return (-1);
	}
	live_status(l, &st);
	if (st.audio_start == 0) {
		snprintf(s->error, sizeof s->error, "no file audio: %.200s",
		    st.error);
		live_free(l);
		return (-1);
	}
	a0 = st.audio_start;
	bar_s = 16 * 15.0 / s->qpm;
	if (live_swap(l, &p[0], &cause) < 0) {
		snprintf(s->error, sizeof s->error, "%s", cause);
		free(cause);
		live_free(l);
		return (-1);
	}
	/* Let the driver settle, then press play. */
	session_sleep_until(session_now() + 0.2);
	t_press[s->presses++] = session_now();
	live_start(l);
	t = t_press[0];
	for (b = 1; b <= s->bars; b++) {
		/* Mid-bar: queue the other pattern for the next bar. */
		session_sleep_until(t + bar_s * 0.5);
		cur = !cur;
		if (live_swap(l, &p[cur], &cause) < 0) {
			free(cause);
			cause = NULL;
		}
		session_sleep_until(t + bar_s * 0.9);
		if (b < s->bars && (double)rand() / RAND_MAX < s->stop_p &&
		    s->presses < SESSION_MAX_PRESS && k < 256) {
			/* A random stop a little into the next bar, a pause,
			   then play again: one key press. */
			session_sleep_until(t + bar_s * (1.1 +
			    0.5 * rand() / RAND_MAX));
			stop_at[k++] = session_now();
			live_stop(l);
			session_sleep_until(session_now() + 0.4 +
			    0.2 * rand() / RAND_MAX);
			t_press[s->presses++] = t = session_now();
			live_start(l);
			continue;
		}
		t += bar_s;
	}
	session_sleep_until(t + bar_s);
	stop_at[k++] = t_end = session_now();
	live_stop(l);
	s->stops = k;
	session_sleep_until(t_end + 1.5);
	n = live_recorded(l, &ev);
	evc = calloc(n + 1, sizeof *evc);
	memcpy(evc, ev, n * sizeof *ev);
	s->wall_s = session_now() - a0;
	live_free(l);

	/* The file as the listener got it. */
	memset(&info, 0, sizeof info);
	if ((f = sf_open(s->wav, SFM_READ, &info)) == NULL ||
	    info.channels != 2) {
		snprintf(s->error, sizeof s->error, "%s: %s", s->wav,
		    sf_strerror(f));
		if (f != NULL)
			sf_close(f);
		free(evc);
		return (-1);
	}
	frames = (size_t)info.frames;
	pcm = calloc(frames * 2 + 2, sizeof *pcm);
	frames = (size_t)sf_readf_float(f, pcm, (sf_count_t)frames);
	sf_close(f);
	s->audio_s = (double)frames / info.samplerate;
	session_analyse(s, evc, n, pcm, frames, info.samplerate, a0,
	    t_press, stop_at);
	free(pcm);
	free(evc);
	return (0);
}

#endif
