/*
 * app_play.c: the instrument's player part (struct app_play): opening it,
 * tempo, outputs, MIDI input (CC knobs, learn) and the sweep.  The player
 * thread itself is src/player/live.c.
 */
#include "app.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrs.h"
#include "modeldir.h"
#include "linalg.h"
#include "clip.h"
#include "config.h"
#include "convert.h"
#include "jsonfile.h"
#include "keylock.h"
#include "live.h"
#include "midifile.h"
#include "set.h"
#include "worker.h"
#include "draw.h"
#include "keys.h"
#include "prompt.h"
#include "roll.h"
#include "ui.h"

/*
 * The tempo: the one last asked for (the player reports it a poll later,
 * so three quick presses of > would step from a stale value), or the
 * player's when it follows an external clock.
 */
double
app_qpm(struct app *a)
{
	if (a->play.qpm_want > 0 &&
	    a->play.st.clock_source != LIVE_CLOCK_EXTERNAL)
		return (a->play.qpm_want);
	return (a->play.st.qpm > 0 ? a->play.st.qpm : 120);
}

/*
 * MIDI input from the player: CCs bound by MIDI learn drive the slider,
 * the temperature or a nudge, like the keys do.
 */
void
app_play_input(struct app *a)
{
	struct live_input	in;
	struct live_binding	b;
	char			*cause = NULL;
	int			chg;

	while (live_poll_input(a->play.live, &in)) {
		if (in.kind == LIVE_IN_LEARNED) {
			/* Keep the binding for next time, in the config. */
			memset(&b, 0, sizeof b);
			b.channel = in.channel;
			b.cc = in.number;
			snprintf(b.target, sizeof b.target, "%s", in.target);
			config_bind(&a->cfg, &b);
			if (config_save(&a->cfg, NULL, &cause) != 0) {
				app_msg(a, 1, "%s", cause);
				free(cause);
				cause = NULL;
			} else
				app_msg(a, 0, "CC %d bound to %s (saved)",
				    in.number, in.target);
		}
		if (in.kind != LIVE_IN_CC || in.target[0] == '\0')
			continue;
		if (strncmp(in.target, "attr:", 5) == 0 && !a->model.have_vecs)
			continue;
		/* As the keys: the edit is dropped, then decode or show. */
		chg = roll_cc(&a->r, in.target, in.amount);
		if (chg & ROLL_CHG_LADDER)
			app_submit(a);
		if (chg != 0)
			app_show(a);
		a->r.dirty |= ROLL_DIRTY_ALL;
	}
}

#define APP_BEATS_PER_BAR	4
#define APP_STEPS_PER_BEAT	(LIVE_STEPS_PER_BAR / APP_BEATS_PER_BAR)

/*
 * Sweep: at each beat, move the slider (or the nudge) to where the next
 * beat should be, and have the player swap on beats while it runs, so the
 * music follows the waveform (a 4-bar sweep visits 16 points, and
 * triangle and sine differ), not only its value at whole bars.
 */
void
app_sweep(struct app *a)
{
	long	beat;
	float	pos, nudge;
	int	k, on;

	on = a->r.sweep != ROLL_SWEEP_OFF && a->play.st.playing;
	if (on != a->play.sweep_quantum && a->play.live != NULL)
		live_set_quantum(a->play.live, on ? LIVE_SWAP_BEAT :
		    LIVE_SWAP_BAR);
	a->play.sweep_quantum = on;
	if (!on)
		return;
	beat = a->play.st.step / APP_STEPS_PER_BEAT;
	if (beat == a->play.sweep_beat)
		return;
	a->play.sweep_beat = beat;
	pos = roll_sweep_pos(a->r.sweep, a->r.sweep_bars,
	    (double)(beat + 1) / APP_BEATS_PER_BAR);
	if (a->r.sweep_attr) {
		/* -max .. +max on the nudge grid, so speculation can help. */
		if (!a->model.have_vecs)
			return;
		nudge = roundf((pos * 2 - 1) * ROLL_NUDGE_MAX /
		    ROLL_NUDGE_STEP) * ROLL_NUDGE_STEP;
		if (nudge != a->r.nudge[a->r.attr_sel]) {
			roll_edit_drop(&a->r);
			a->r.nudge[a->r.attr_sel] = nudge;
			app_submit(a);
			a->r.dirty |= ROLL_DIRTY_ALL;
		}
		return;
	}
	k = roll_slider_index(pos);
	if (k != a->r.slider) {
		roll_edit_drop(&a->r);
		a->r.slider = k;
		app_show(a);
	}
}

/* The player's options: the command line's over the config's. */
void
app_play_opts(struct app *a, const struct app_opts *o,
    const struct set *set, struct live_opts *lo)
{
	memset(lo, 0, sizeof *lo);
	lo->sink = o->no_midi ? LIVE_SINK_NULL : LIVE_SINK_PORTMIDI;
	/* No MIDI output (none named, none there): the built-in synth. */
	lo->synth_fallback = 1;
	lo->out = o->out != NULL ? o->out : (a->cfg.out[0] != '\0' ?
	    a->cfg.out : NULL);
	/*
	 * Input, for MIDI-learned knobs and clock: --in, the config's, else
	 * the default input ("" = the default or first one, if any), so a
	 * controller plugged in works without setting anything up.
	 */
	if (!o->no_midi)
		lo->in = o->in != NULL ? o->in : a->cfg.in;
	lo->clock_follow = !o->no_midi && (o->follow ||
	    (!o->master && a->cfg.clock == CONFIG_CLOCK_FOLLOW));
	lo->clock_master = !lo->clock_follow && (o->master ||
	    a->cfg.clock == CONFIG_CLOCK_MASTER);
	lo->latency_ms = a->cfg.latency_ms;
	config_live_opts(&a->cfg, lo);	/* channel =, program =, soundfont = */
	if (o->soundfont != NULL)
		lo->soundfont = o->soundfont;
	lo->qpm = set != NULL ? set->qpm : (a->clips[0].have_seq ?
	    noteseq_qpm(&a->clips[0].seq) : LR_QPM_DEFAULT);
	if (lo->qpm < LR_QPM_MIN || lo->qpm > LR_QPM_MAX)
		lo->qpm = LR_QPM_DEFAULT;
}

/*
 * d: the next MIDI output, re-opened by the player (PortMidi is its).
 * The player rescans first, so a synth started after us is offered; the
 * choice is re-opened by name (indices move when devices come and go)
 * and remembered in the config.
 */
void
app_play_next_device(struct app *a)
{
	struct live_device	d[32];
	char			*cause = NULL;
	int			 n, i, k;

	if (a->play.live == NULL)
		return;
	if (a->play.no_midi) {
		app_msg(a, 1, "--no-midi: no MIDI output to choose");
		return;
	}
	if (live_rescan(a->play.live, &cause) != 0 ||
	    (n = live_devices(d, 32, &cause)) <= 0) {
		app_msg(a, 1, "%s", cause != NULL ? cause : "no MIDI outputs");
		free(cause);
		return;
	}
	for (k = 0; k < n; k++) {
		i = (a->play.dev_i + 1 + k) % n;
		if (!d[i].output)
			continue;
		a->play.dev_i = i;
		if (live_reopen(a->play.live, d[i].name) != 0) {
			app_msg(a, 1, "cannot open %s", d[i].name);
			return;
		}
		snprintf(a->cfg.out, sizeof a->cfg.out, "%s", d[i].name);
		if (config_save(&a->cfg, NULL, &cause) != 0) {
			app_msg(a, 1, "output: %s (not remembered: %s)",
			    d[i].name, cause);
			free(cause);
		} else
			app_msg(a, 0, "output: %s", d[i].name);
		return;
	}
	app_msg(a, 1, "no MIDI outputs");
}
