/*
 * app.c: the instrument.  Thread ownership: the main thread owns curses,
 * input, libsmf (clips, saving) and the player handle; the decode worker
 * owns the model (src/worker.c); the player thread owns PortMidi
 * (src/live.c).  One poll() waits on stdin, the player's wakeup fd and the
 * worker's self-pipe, with a timeout only while playing (the playhead).
 *
 * The slider never waits for the model: the worker decodes the whole
 * ladder (33 points) for the current nudges, temperature and seed, and a
 * slider move only picks another point of it.  Every shown result is sent
 * to the player at once; the player swaps it in on the next bar.
 */
#include "app.h"

#include <sys/random.h>
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
#include <time.h>
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
 * The one way to tell the user something while curses is up: the message
 * line (stderr is the screen).  err shows it in the error colour.
 */
void
app_msg(struct app *a, int err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->msg_err = err;
	a->r.dirty |= ROLL_DIRTY_ALL;
}

/*
 * r steps the seed by a fixed rule, so starting from the same seed gave
 * the same samples every session; a set restores its own.  1..65535 keeps
 * the slider line short until the first r.
 */
unsigned
app_start_seed(void)
{
	unsigned	s;

	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = (unsigned)time(NULL) ^ ((unsigned)getpid() << 8);
	return (1 + s % 65535);
}

/* ---- tokens, notes, sequences ------------------------------------- */

/* How tokens become notes now (the tempo follows the player). */
const struct clip_fmt *
app_fmt(struct app *a)
{
	a->fmt.kind = a->model.arch.kind;
	a->fmt.T = a->model.T;
	a->fmt.S = a->model.S;
	a->fmt.qpm = app_qpm(a);
	return (&a->fmt);
}

/* ---- model -------------------------------------------------------- */

/* ---- the result and the player ------------------------------------ */

/* ---- player status, MIDI input, sweep ----------------------------- */

/* Take the player's status snapshot (cmus style) and act on it. */
static void
app_status(struct app *a)
{
	live_status(a->play.live, &a->play.st);
	if (a->play.st.changed & LIVE_CHANGED_ERROR &&
	    a->play.st.error[0] != '\0')
		app_msg(a, 1, "%s%s", strncmp(a->play.st.error,
		    "built-in synth", 14) == 0 ? "" : "MIDI: ",
		    a->play.st.error);
	if (a->play.st.changed)
		a->r.dirty |= ROLL_DIRTY_ALL;
	app_play_input(a);
	app_sweep(a);
	app_edit_dropped(a);
}

/* ---- the view, the loop ------------------------------------------- */

/* The plain data ui/ draws: borrowed pointers, valid for one draw. */
static void
fill_view(struct app *a)
{
	struct ui_view	*v = &a->v;
	size_t		 n;
	int		 i;

	for (i = 0; i < 2; i++) {
		v->lanes[i].title = a->clips[i].title;
		v->lanes[i].notes = a->clips[i].notes;
		v->lanes[i].n = a->clips[i].n;
	}
	v->lanes[UI_LANE_RESULT].title = a->r.edit_active ?
	    "result (edited)" : "result";
	v->lanes[UI_LANE_RESULT].notes = app_current_notes(a, &n);
	v->lanes[UI_LANE_RESULT].n = n;
	v->steps = a->model.T;
	v->playhead = a->play.st.playing && a->play.st.pattern_steps > 0 ?
	    a->play.st.loop_step % a->model.T : -1;
	v->n_attrs = a->model.n_attrs;
	for (i = 0; i < a->model.n_attrs; i++)
		v->attr_names[i] = a->model.attr_names[i];
	v->have_vecs = a->model.have_vecs;
	v->model = a->model.model_name;
	v->device = a->play.live != NULL && !a->play.no_midi ?
	    a->play.st.device :
	    "no MIDI output";
	v->qpm = app_qpm(a);
	v->clock = a->play.st.clock_source == LIVE_CLOCK_EXTERNAL ? "ext" :
	    "int";
	v->playing = a->play.st.playing;
	v->busy = worker_busy(a->model.w);
	v->keylock = a->lane.keylock ? a->lane.key_label : NULL;
	v->message = a->msg;
	v->message_is_error = a->msg_err;
}

/*
 * The main loop: draw when dirty (at most once a turn), then one poll() on
 * stdin, the worker's pipe and the player's wakeup fd.  Signals (INT,
 * TERM, HUP) only set a flag; WINCH too: both are looked at here.
 */
static int
app_loop(struct app *a)
{
	struct pollfd	pfd[3];
	int		n, key, timeout;

	while (!a->quit) {
		if (live_signal_caught())
			break;
		if (ui_resized())
			a->r.dirty |= ROLL_DIRTY_ALL;
		if (a->r.dirty) {
			fill_view(a);
			a->r.view_steps = draw_screen(&a->r, &a->v, &a->p);
			a->r.dirty = 0;
		}
		n = 0;
		pfd[n].fd = STDIN_FILENO;
		pfd[n++].events = POLLIN;
		pfd[n].fd = worker_fd(a->model.w);
		pfd[n++].events = POLLIN;
		if (a->play.live != NULL) {
			pfd[n].fd = live_wakeup_fd(a->play.live);
			pfd[n++].events = POLLIN;
		}
		/* Idle: sleep until something happens; playing: the
		   playhead; decoding: the "decoding" mark. */
		timeout = a->play.st.playing ? 50 : -1;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			return (-1);
		if (pfd[1].revents & POLLIN)
			app_take(a);
		if (a->play.live != NULL) {
			if (n > 2 && pfd[2].revents & POLLIN)
				live_wakeup_clear(a->play.live);
			app_status(a);
		}
		while ((key = ui_getkey()) != -1 && !a->quit)
			app_key(a, key);
		if (a->play.st.playing)
			a->r.dirty |= ROLL_DIRTY_ALL;
	}
	return (0);
}

/* Key remaps from the config file ("key COMMAND = KEY"). */
static void
app_config(struct app *a, struct config *c)
{
	char	*cause = NULL, line[128];
	size_t	 i;

	config_init(c);
	if (config_load(c, NULL, &cause) != 0) {
		app_msg(a, 1, "%s", cause);
		free(cause);
		return;
	}
	for (i = 0; i < c->n_keys; i++) {
		snprintf(line, sizeof line, "bind %s %s", c->keys[i].key,
		    c->keys[i].command);
		if (keys_config_line(line, &cause) != 0) {
			app_msg(a, 1, "config: %s", cause);
			free(cause);
			cause = NULL;
		}
	}
}

/* Player first: live_free() panics (note-offs, CC 123/120) and flushes. */
void
app_free(struct app *a)
{
	int	i;

	if (a->play.live != NULL)
		live_free(a->play.live);	/* panics, flushes, closes */
	a->play.live = NULL;
	worker_free(a->model.w);
	a->model.w = NULL;
	worker_result_free(&a->model.res);
	for (i = 0; i < 4; i++)
		clip_free(&a->clips[i]);
	for (i = 0; i < a->model.n_attrs; i++)
		free(a->model.attr_names[i]);
	free(a->lane.result);
	free(a->lane.swapped);
	free(a->model.model_dir);
	free(a->set_path);
	roll_free(&a->r);
}

/*
 * Clips A and B (--clip, else the set's, else the shipped examples when
 * neither was named) and the set's C and D.  A clip that does not load
 * is left empty, its lane title saying why.  With only one of A and B,
 * the other end is that clip's next window (or the clip itself) rather
 * than silence: a ladder towards silence sounds like a broken model.
 * Returns what to tell the user (heap; NULL: nothing), *err set when it
 * includes a clip that did not load.
 */
char *
app_clips(struct app *a, const struct app_opts *o, const struct set *set,
    int *err)
{
	char		 path[PATH_MAX], *cause = NULL, msg[1024];
	char		 failed[4][96] = { "", "", "", "" };
	const char	*clip, *base;
	struct clip	*c, *src;
	int		 i, k, wi, named[4] = { 0 };
	size_t		 off = 0;

	*err = 0;
	msg[0] = '\0';
	for (i = 0; i < 4; i++) {
		clip = i < 2 ? o->clip[i] : NULL;
		if (clip == NULL && set != NULL)
			clip = set->clip[i];
		/* The shipped examples: a.mid, b.mid (4 bars), or their
		   16-bar versions for a 16-bar model. */
		if (i < 2 && clip == NULL && o->clip[0] == NULL &&
		    set == NULL) {
			snprintf(path, sizeof path, "%s/clips/%c%s.mid",
			    o->datadir, 'a' + i, a->model.T > 64 ? "16" : "");
			clip = path;
		}
		named[i] = clip != NULL;
		/* A set's track and window belong to the set's clip. */
		k = set != NULL && (i >= 2 || o->clip[i] == NULL);
		if (clip != NULL && clip_load(&a->clips[i], app_fmt(a), clip,
		    k ? set->track[i] : -1, k ? set->window[i] : 0,
		    &cause) != 0) {
			off += snprintf(msg + off, off < sizeof msg ?
			    sizeof msg - off : 0, "%s%c: %s", *err ? "; " : "",
			    'A' + i, cause);
			off = off < sizeof msg ? off : sizeof msg - 1;
			*err = 1;
			if ((base = strrchr(clip, '/')) == NULL)
				base = clip;
			else
				base++;
			snprintf(failed[i], sizeof failed[i], "%.60s did not "
			    "load", base);
			clip_missing(&a->clips[i], app_fmt(a), cause);
			free(cause);
			cause = NULL;
		} else if (a->clips[i].tokens == NULL)
			clip_missing(&a->clips[i], app_fmt(a), NULL);
	}
	for (i = 0; i < 2; i++) {
		c = &a->clips[i];
		src = &a->clips[1 - i];
		if (c->win.n > 0 || src->path == NULL || src->win.n == 0)
			continue;
		wi = src->win.n > 1 ? src->wi + 1 : src->wi;
		if (clip_load(c, app_fmt(a), src->path, src->win.track, wi,
		    NULL) != 0)
			continue;
		if (failed[i][0] != '\0')
			clip_stand_in(c, failed[i]);
		off += snprintf(msg + off, off < sizeof msg ? sizeof msg - off :
		    0, "%s%s%c is %c's %s instead of silence (o opens "
		    "another %c)", off > 0 ? "; " : "", named[i] ? "" :
		    "one clip: ", 'A' + i, 'A' + 1 - i, src->win.n > 1 ?
		    "next window" : "clip too", 'A' + i);
		off = off < sizeof msg ? off : sizeof msg - 1;
	}
	return (msg[0] != '\0' ? lr_strdup(msg) : NULL);
}

/* The model: --model, the set's, or the shipped one; -1 with err. */
static int
app_open_model(struct app *a, const struct app_opts *o,
    const struct set *set, char **err)
{
	char	path[PATH_MAX], *cause = NULL;
	int	i;

	if (o->model != NULL)
		a->model.model_dir = lr_strdup(o->model);
	else if (set != NULL && set->model != NULL)
		a->model.model_dir = lr_strdup(set->model);
	else {
		snprintf(path, sizeof path, "%s/models/mel_2bar",
		    o->datadir);
		a->model.model_dir = lr_strdup(path);
	}
	roll_init(&a->r, 0, 32);
	for (i = 0; i < 4; i++)
		a->clips[i].letter = 'A' + i;
	if (app_model_load(a, &cause) != 0) {
		lr_fail(err, "%s (%s)", cause, o->model != NULL ? "--model "
		    "NAME|DIR names another" : "the shipped model: --data-dir "
		    "DIR names the data folder, --model NAME|DIR another "
		    "model");
		free(cause);
		return (-1);
	}
	roll_free(&a->r);
	roll_init(&a->r, a->model.n_attrs, a->model.T);
	a->r.seed = app_start_seed();
	a->v.latency_ms = -1;
	return (0);
}

/* The player as the options, set and config ask; errors go to the
   status line, and the instrument runs without it. */
static void
app_open_player(struct app *a, const struct app_opts *o,
    const struct set *set)
{
	struct live_opts	 lo;
	char			*cause = NULL;

	app_play_opts(a, o, set, &lo);
	a->play.qpm_want = lo.qpm;
	a->play.lo = lo;
	/* PortMidi may print while opening: before curses, not on it. */
	if ((a->play.live = live_new(&lo, &cause)) == NULL) {
		app_msg(a, 1, "player: %s", cause);
		free(cause);
		return;
	}
	live_set_bindings(a->play.live, a->cfg.bindings, a->cfg.n_bindings);
	live_status(a->play.live, &a->play.st);
	/* The synth without audio (or its soundfont): one line. */
	if (a->play.st.error[0] != '\0')
		app_msg(a, 1, "%s", a->play.st.error);
}

/* Curses up, stray library output away from the screen, the loop, then
   the terminal and stderr back as they were. */
static int
app_screen(struct app *a, const struct app_opts *o, char **err)
{
	int	devnull, rc = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return (lr_fail(err, "the instrument needs a terminal"));
	if (ui_start(err) != 0)
		return (-1);
	/* Stderr is the screen now: send stray library output away. */
	fflush(stderr);
	a->stderr_fd = dup(STDERR_FILENO);
	devnull = open(o->log != NULL ? o->log : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (devnull >= 0) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	app_submit(a);
	if (app_loop(a) != 0)
		rc = -1;	/* already on the status line */
	ui_stop();
	if (a->stderr_fd >= 0) {
		dup2(a->stderr_fd, STDERR_FILENO);
		close(a->stderr_fd);
		a->stderr_fd = -1;
	}
	return (rc);
}

int
app_run(const struct app_opts *o, char **err)
{
	struct app	 a;
	struct set	 set;
	char		*first_err = NULL;
	int		 have_set = 0, rc, clips_err;

	memset(&a, 0, sizeof a);
	set_init(&set);
	a.stderr_fd = -1;
	a.play.sweep_beat = -1;
	a.play.no_midi = o->no_midi;
	midifile_log_init();
	keys_init();
	if (o->set != NULL) {
		if (set_load(&set, o->set, err) != 0)
			return (-1);
		have_set = 1;
		a.set_path = lr_strdup(o->set);
	}
	if (app_open_model(&a, o, have_set ? &set : NULL, err) != 0) {
		app_free(&a);
		set_free(&set);
		return (-1);
	}
	/* Clips: errors go to the status line, the app goes on. */
	first_err = app_clips(&a, o, have_set ? &set : NULL, &clips_err);
	if (have_set)
		app_apply_set(&a, &set);
	app_config(&a, &a.cfg);
	app_open_player(&a, o, have_set ? &set : NULL);
	set_free(&set);
	if (first_err != NULL) {
		app_msg(&a, clips_err, "%s", first_err);
		free(first_err);
	} else if (a.msg[0] == '\0')
		app_msg(&a, 0, "%s ready  (? lists the keys, q quits)",
		    a.model.model_name);
	live_signals_install();
	rc = app_screen(&a, o, err);
	app_free(&a);
	return (rc);
}
