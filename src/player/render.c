/*
 * render.c: offline audio.  The scheduler is the live player's own
 * (offline, on its simulated clock), so a render sounds as the instrument
 * plays; the synth is driven by sample count, not by a clock.
 */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

int
render_events(const struct live_event *ev, size_t n, double t0,
    double seconds, const char *soundfont, struct render_audio *out,
    char **cause)
{
	struct synth_opts	 so;
	struct synth		*syn;
	uint8_t			 m[3];
	size_t			 i, pos = 0, at;
	double			 x;

	memset(&so, 0, sizeof so);
	so.soundfont = soundfont;
	if ((syn = synth_new(&so, 0, cause)) == NULL)
		return (-1);
	out->rate = SYNTH_RATE;
	out->frames = (size_t)llround(seconds * SYNTH_RATE);
	free(out->pcm);
	out->pcm = lr_calloc(out->frames * 2 + 2, sizeof *out->pcm);
	for (i = 0; i < n; i++) {
		x = (ev[i].ideal - t0) * SYNTH_RATE;
		at = x <= 0 ? 0 : (size_t)llround(x);
		if (at > out->frames)
			at = out->frames;
		if (at > pos) {
			synth_write(syn, out->pcm + 2 * pos, at - pos);
			pos = at;
		}
		/* The stop's panic would cut the release short. */
		if ((ev[i].status & 0xF0) == 0xB0 && (ev[i].data1 == 120 ||
		    ev[i].data1 == 123))
			continue;
		m[0] = ev[i].status;
		m[1] = ev[i].data1;
		m[2] = ev[i].data2;
		synth_midi(syn, m, ev[i].len);
	}
	if (out->frames > pos)
		synth_write(syn, out->pcm + 2 * pos, out->frames - pos);
	synth_free(syn);
	return (0);
}

int
render_pattern(const struct live_opts *lo, const struct live_pattern *p,
    long loops, const char *soundfont, struct render_audio *out,
    char **cause)
{
	struct live_opts	 o = *lo;
	struct live_status	 st;
	const struct live_event	*ev;
	struct live		*l;
	double			 loop_s, t;
	size_t			 n;
	long			 k;

	memset(out, 0, sizeof *out);
	if (loops < 1 || p->steps < 1)
		return (lr_fail(cause, "nothing to render (%ld loops of %d "
		    "steps)", loops, p->steps));
	o.sink = LIVE_SINK_RECORD;
	o.offline = 1;
	o.clock = NULL;
	o.out = o.in = NULL;
	o.clock_follow = o.clock_master = 0;
	o.synth_fallback = 0;
	o.fail_after = 0;
	o.record_max = (p->n * 2 + 64) * (size_t)loops + 4096;
	if ((l = live_new(&o, cause)) == NULL)
		return (-1);
	if (live_swap(l, p, cause) < 0) {
		live_free(l);
		return (-1);
	}
	live_stop_at(l, loops * p->steps);
	live_start(l);
	live_status(l, &st);
	loop_s = (double)p->steps * 15.0 / (o.qpm > 0 ? o.qpm :
	    LR_QPM_DEFAULT);
	/* A loop at a time, then past the end so the stop is taken. */
	for (k = 1, t = 0; k <= loops; k++)
		live_advance(l, t = (double)k * loop_s);
	live_advance(l, t + 0.5);
	n = live_recorded(l, &ev);
	out->music_s = (double)loops * loop_s;
	out->tail_s = RENDER_TAIL_S;
	out->n_events = n;
	out->events = lr_calloc(n + 1, sizeof *out->events);
	memcpy(out->events, ev, n * sizeof *ev);
	live_free(l);
	if (render_events(out->events, n, 0, out->music_s + out->tail_s,
	    soundfont, out, cause) != 0) {
		render_audio_free(out);
		return (-1);
	}
	return (0);
}

void
render_audio_free(struct render_audio *a)
{
	free(a->pcm);
	free(a->events);
	memset(a, 0, sizeof *a);
}
