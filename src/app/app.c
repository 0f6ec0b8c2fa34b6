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
#include "ckpt.h"
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

/* ---- tokens, notes, sequences ------------------------------------- */

/*
 * The tempo: the one last asked for (the player reports it a poll later,
 * so three quick presses of > would step from a stale value), or the
 * player's when it follows an external clock.
 */
double
app_qpm(struct app *a)
{
	if (a->qpm_want > 0 && a->st.clock_source != LIVE_CLOCK_EXTERNAL)
		return (a->qpm_want);
	return (a->st.qpm > 0 ? a->st.qpm : 120);
}

/* How tokens become notes now (the tempo follows the player). */
const struct clip_fmt *
app_fmt(struct app *a)
{
	a->fmt.kind = a->arch.kind;
	a->fmt.T = a->T;
	a->fmt.S = a->S;
	a->fmt.qpm = app_qpm(a);
	return (&a->fmt);
}

/* The notes the result lane shows: the edit, or the decoded point. */
const struct ui_note *
app_current_notes(struct app *a, size_t *n)
{
	if (a->r.edit_active) {
		*n = a->r.edit.n;
		return (a->r.edit.v);
	}
	*n = a->n_result;
	return (a->result);
}

/* ---- model -------------------------------------------------------- */

/* attribute_vecs.json beside the model: {"name": [Z floats], "_meta"}. */
static float *
load_vecs(struct app *a, int Z, char **cause)
{
	char		 path[PATH_MAX];
	json_t		*root, *v, *x;
	const char	*k;
	float		*vecs;
	size_t		 i;
	int		 n = 0;

	snprintf(path, sizeof path, "%s/attribute_vecs.json", a->model_dir);
	if (access(path, F_OK) != 0)
		return (NULL);
	if ((root = jsonfile_load(path, cause)) == NULL)
		return (NULL);
	vecs = lr_calloc((size_t)ATTR_N * Z, sizeof *vecs);
	json_object_foreach(root, k, v) {
		if (k[0] == '_' || n == ATTR_N)
			continue;
		if (!json_is_array(v) || (int)json_array_size(v) != Z) {
			lr_fail(cause, "%s: %s: expected %d numbers", path, k, Z);
			goto fail;
		}
		json_array_foreach(v, i, x) {
			if (!json_is_number(x)) {
				lr_fail(cause, "%s: %s[%zu] is not a number",
				    path, k, i);
				goto fail;
			}
			vecs[(size_t)n * Z + i] = (float)json_number_value(x);
		}
		a->attr_names[n] = lr_strdup(k);
		a->attr_id[n] = attrs_find(k);
		n++;
	}
	json_decref(root);
	a->n_attrs = n;
	a->have_vecs = n > 0;
	return (vecs);
fail:
	while (n > 0)
		free(a->attr_names[--n]);
	json_decref(root);
	free(vecs);
	return (NULL);
}

/*
 * Load the checkpoint and its attribute vectors, then hand the model to the
 * decode worker: from here on only the worker thread touches it.
 */
static int
app_model(struct app *a, char **cause)
{
	struct vae	*v;
	float		*vecs;
	char		*vcause = NULL;
	const char	*base;
	int		 i;

	if ((v = ckpt_load(a->model_dir, cause)) == NULL)
		return (-1);
	a->arch = v->p.arch;
	a->T = a->arch.num_steps;
	a->S = a->arch.n_splits;
	base = strrchr(a->model_dir, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : a->model_dir;
	snprintf(a->model_name, sizeof a->model_name, "%s", base);

	vecs = load_vecs(a, a->arch.z_size, &vcause);
	if (vcause != NULL) {
		app_msg(a, 1, "%s", vcause);
		free(vcause);
	}
	if (!a->have_vecs) {
		/* Still show (and measure) every attribute, without knobs. */
		a->n_attrs = ATTR_N;
		for (i = 0; i < ATTR_N; i++) {
			a->attr_names[i] = lr_strdup(attrs_name(i));
			a->attr_id[i] = i;
		}
	}
	/* The config's precision (its errors are reported by app_config). */
	{
		struct config	c;
		char		*pc = NULL;

		config_init(&c);
		if (config_load(&c, NULL, NULL) == 0 && c.bf16 &&
		    vae_set_precision(v, LINALG_BF16, &pc) != 0) {
			app_msg(a, 1, "%s", pc);
			free(pc);
		}
	}
	a->w = worker_new(v, vecs, a->have_vecs ? a->n_attrs : 0, cause);
	free(vecs);
	if (a->w == NULL) {
		vae_free(v);
		return (-1);
	}
	worker_result_init(a->w, &a->res);
	return (0);
}

/*
 * Ask the worker for a new ladder (or pad grid) after a change of clips or
 * knobs.  Stale results are recognised by gen and ignored; the clock
 * starts here for the key -> result latency on the status line.  The
 * result follows the new ladder: an edit goes to the undo stack, as on a
 * knob (a new clip, window or track was not heard while an edit played).
 */
void
app_submit(struct app *a)
{
	struct worker_job	j;

	roll_edit_drop(&a->r);

	memset(&j, 0, sizeof j);
	j.tok_a = a->clips[0].tokens;
	j.tok_b = a->clips[1].tokens;
	j.tok_c = a->clips[2].tokens;
	j.tok_d = a->clips[3].tokens;
	j.pad = a->r.pad_on;
	j.first = roll_point(&a->r);
	j.nudge = a->r.nudge;
	j.temperature = a->r.temperature;
	j.seed = a->r.seed;
	j.lerp = a->r.lerp;
	j.attr = a->have_vecs ? a->r.attr_sel : -1;
	j.nudge_step = ROLL_NUDGE_STEP;
	a->gen = worker_submit(a->w, &j);
	a->t_key = worker_now_ms();
}

/* ---- the result and the player ------------------------------------ */

static int
note_eq(const struct ui_note *x, const struct ui_note *y)
{
	return (x->pitch == y->pitch && x->start == y->start &&
	    x->end == y->end && x->part == y->part);
}

/*
 * The attribute panel measures what the result lane shows and the player
 * plays (an edit, the key lock), not the bare decode; a trio's lane notes
 * know their parts, so its edits are measured too.
 */
static void
app_measure(struct app *a, const struct ui_note *cur, size_t n)
{
	float	m[ATTR_N];
	int	*tok, i;

	tok = lr_calloc((size_t)a->T * a->S, sizeof *tok);
	clip_notes_to_tokens(app_fmt(a), cur, n, tok);
	attrs_measure(&a->arch, tok, m);
	free(tok);
	for (i = 0; i < a->n_attrs; i++)
		a->v.attr_value[i] = a->attr_id[i] >= 0 ? m[a->attr_id[i]] : 0;
	a->v.attrs_known = 1;
}

/*
 * The program of one part of a velocity reference (its pattern channel
 * ch, clip_ref): the player's choice (live_pattern_programs) over that
 * part's notes alone, so a trio's bass does not pick the melody's sound.
 * -1: no such part.
 */
static int
ref_program(const struct noteseq *ref, int ch)
{
	struct live_pattern	p;
	struct noteseq		one;
	size_t			i;

	if (ref == NULL)
		return (-1);
	noteseq_init(&one);
	for (i = 0; i < ref->n; i++)
		if (ref->notes[i].channel == ch)
			*noteseq_add(&one) = ref->notes[i];
	live_pattern_programs(&p, &one);
	noteseq_free(&one);
	return (p.program[0]);
}

/*
 * The clip whose velocities and programs the result takes: the nearer one
 * (pad: the nearer column), or the other when it has no notes.  NULL when
 * neither has.
 */
static const struct noteseq *
app_ref(struct app *a)
{
	int	k;

	k = a->r.pad_on ? (a->r.pad_x * 2 < ROLL_PAD_N - 1 ? 0 : 1) :
	    (a->r.slider * 2 <= ROLL_SLIDER_MAX ? 0 : 1);
	if (a->clips[k].have_ref)
		return (&a->clips[k].ref);
	return (a->clips[1 - k].have_ref ? &a->clips[1 - k].ref : NULL);
}

/*
 * The result notes as heard (clip_notes_to_seq): each with the velocity
 * of the nearest note of the reference clip (live_ref_velocity's
 * rule), each pitched part with that clip's program for it (or the
 * config's fixed program for the melody).  The player and the saved file
 * both start from this, so a saved clip sounds like what was played.
 * ref_prog (if not NULL) gets the clip's own melody and bass programs
 * (-1: none), the ones the player sends.
 */
void
app_result_seq(struct app *a, const struct ui_note *cur, size_t n,
    struct noteseq *s, int ref_prog[2])
{
	const struct noteseq	*ref = app_ref(a);
	struct note		*nt;
	size_t			 i;
	int			 v, mel, bass;

	clip_notes_to_seq(app_fmt(a), cur, n, s);
	mel = ref_program(ref, 0);
	bass = ref_program(ref, CLIP_BASS_CHANNEL);
	if (ref_prog != NULL) {
		ref_prog[0] = mel;
		ref_prog[1] = bass;
	}
	if (a->cfg.program >= 0 && a->cfg.program <= 127)
		mel = a->cfg.program;
	for (i = 0; i < s->n; i++) {
		nt = &s->notes[i];
		if ((v = live_ref_velocity(ref, nt->start_step,
		    nt->drum ? NOTESEQ_DRUM_CHANNEL : nt->channel)) > 0)
			nt->velocity = v;
		if (nt->drum)
			continue;
		if (nt->channel == 0 && mel >= 0)
			nt->program = mel;
		else if (nt->channel == CLIP_BASS_CHANNEL && bass >= 0)
			nt->program = bass;
	}
}

/* Send what the result lane shows to the player (next bar). */
void
app_swap(struct app *a)
{
	const struct ui_note	*cur;
	struct live_pattern	 p;
	struct live_note	*ln = NULL;
	size_t			 n, i, k;
	char			*cause = NULL;
	int			 rc;

	cur = app_current_notes(a, &n);
	/* Changed = not in the last pattern sent to the player. */
	for (i = 0; i < n; i++) {
		struct ui_note *m = (struct ui_note *)&cur[i];

		m->changed = 1;
		for (k = 0; k < a->n_swapped; k++)
			if (note_eq(m, &a->swapped[k]))
				m->changed = 0;
	}
	free(a->swapped);
	a->swapped_edit = a->r.edit_active;
	a->swapped = lr_calloc(n + 1, sizeof *a->swapped);
	memcpy(a->swapped, cur, n * sizeof *cur);
	a->n_swapped = n;
	app_measure(a, cur, n);
	if (a->live == NULL)
		return;
	rc = app_pattern(a, &p, &ln, &cause);
	if (rc != 0 || live_swap(a->live, &p, &cause) < 0) {
		app_msg(a, 1, "player: %s", cause != NULL ? cause : "swap");
		free(cause);
	}
	free(ln);
}

/* What the result lane shows as the player's loop. */
int
app_pattern(struct app *a, struct live_pattern *p, struct live_note **ln,
    char **cause)
{
	const struct ui_note	*cur;
	struct noteseq		 s;
	size_t			 n;
	int			 rc, prog[2];

	cur = app_current_notes(a, &n);
	noteseq_init(&s);
	app_result_seq(a, cur, n, &s, prog);
	rc = live_pattern_from_noteseq(p, ln, &s, a->T, cause);
	if (rc == 0) {
		/* The programs of the reference clip, not the result's
		   program 0 (issue E; live_opts.program_fixed overrides
		   it): the melody's, and a trio's bass's when the clip has
		   one.  -1 (no clip) leaves the synth's sound alone. */
		p->program[0] = prog[0];
		if (prog[1] >= 0)
			p->program[CLIP_BASS_CHANNEL] = prog[1];
	}
	noteseq_free(&s);
	return (rc);
}

/* Show the point under the slider (or pad) if decoded; send it on. */
void
app_show(struct app *a)
{
	struct noteseq	s;
	size_t		ts = (size_t)a->T * a->S, i;
	int		k = roll_point(&a->r), fresh;

	a->v.attrs_known = 0;
	if (a->res.gen != a->gen || !a->res.valid[k]) {
		/* The worker is still at it: the lane keeps the result. */
		roll_edit_follow(&a->r, a->result, a->n_result);
		return;
	}
	fresh = a->shown_gen != a->gen || a->shown_slider != k;
	/* The same point again (the full ladder after the quick first
	   point) keeps its notes and their changed marks.  A new point is
	   decoded into the result even under an edit: dropping the edit
	   later shows it, not the point before. */
	if (fresh) {
		noteseq_init(&s);
		clip_tokens_to_seq(app_fmt(a), a->res.tokens + k * ts, &s);
		clip_seq_to_notes(&s, &a->result, &a->n_result);
		noteseq_free(&s);
		/* A drum pitch is an instrument: the lock leaves it. */
		if (a->keylock)
			for (i = 0; i < a->n_result; i++)
				if (a->result[i].part != UI_PART_DRUMS)
					a->result[i].pitch = keylock_pitch(
					    a->key_root, a->result[i].pitch);
	}
	/* Edit mode with nothing edited: keys edit what is shown. */
	roll_edit_follow(&a->r, a->result, a->n_result);
	if (fresh && a->t_key > 0) {
		a->v.latency_ms = worker_now_ms() - a->t_key;
		a->t_key = 0;
	}
	/* A dropped edit (a snapshot of this very point) is still what
	   the player has: send the point too. */
	if (fresh || a->swapped_edit != a->r.edit_active) {
		a->shown_gen = a->gen;
		a->shown_slider = k;
		app_swap(a);	/* measures it too */
	} else
		a->v.attrs_known = 1;	/* as measured at the last swap */
	a->r.dirty |= ROLL_DIRTY_ALL;
}

int
app_take(struct app *a)
{
	if (!worker_take(a->w, &a->res))
		return (0);
	if (a->res.error[0] != '\0')
		app_msg(a, 1, "%s", a->res.error);
	app_show(a);
	a->r.dirty |= ROLL_DIRTY_ALL;
	return (1);
}

/* ---- player status, MIDI input, sweep ----------------------------- */

/*
 * MIDI input from the player: CCs bound by MIDI learn drive the slider,
 * the temperature or a nudge, like the keys do.
 */
static void
app_input(struct app *a)
{
	struct live_input	in;
	struct live_binding	b;
	char			*cause = NULL;
	int			chg;

	while (live_poll_input(a->live, &in)) {
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
		if (strncmp(in.target, "attr:", 5) == 0 && !a->have_vecs)
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

	on = a->r.sweep != ROLL_SWEEP_OFF && a->st.playing;
	if (on != a->sweep_quantum && a->live != NULL)
		live_set_quantum(a->live, on ? LIVE_SWAP_BEAT : LIVE_SWAP_BAR);
	a->sweep_quantum = on;
	if (!on)
		return;
	beat = a->st.step / APP_STEPS_PER_BEAT;
	if (beat == a->sweep_beat)
		return;
	a->sweep_beat = beat;
	pos = roll_sweep_pos(a->r.sweep, a->r.sweep_bars,
	    (double)(beat + 1) / APP_BEATS_PER_BAR);
	if (a->r.sweep_attr) {
		/* -max .. +max on the nudge grid, so speculation can help. */
		if (!a->have_vecs)
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

/* Take the player's status snapshot (cmus style) and act on it. */
static void
app_status(struct app *a)
{
	live_status(a->live, &a->st);
	if (a->st.changed & LIVE_CHANGED_ERROR && a->st.error[0] != '\0')
		app_msg(a, 1, "%s%s", strncmp(a->st.error, "built-in synth",
		    14) == 0 ? "" : "MIDI: ", a->st.error);
	if (a->st.changed)
		a->r.dirty |= ROLL_DIRTY_ALL;
	app_input(a);
	app_sweep(a);
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
	v->steps = a->T;
	v->playhead = a->st.playing && a->st.pattern_steps > 0 ?
	    a->st.loop_step % a->T : -1;
	v->n_attrs = a->n_attrs;
	for (i = 0; i < a->n_attrs; i++)
		v->attr_names[i] = a->attr_names[i];
	v->have_vecs = a->have_vecs;
	v->model = a->model_name;
	v->device = a->live != NULL && !a->no_midi ? a->st.device :
	    "no MIDI output";
	v->qpm = app_qpm(a);
	v->clock = a->st.clock_source == LIVE_CLOCK_EXTERNAL ? "ext" : "int";
	v->playing = a->st.playing;
	v->busy = worker_busy(a->w);
	v->keylock = a->keylock ? a->key_label : NULL;
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
			draw_screen(&a->r, &a->v, &a->p);
			a->r.dirty = 0;
		}
		n = 0;
		pfd[n].fd = STDIN_FILENO;
		pfd[n++].events = POLLIN;
		pfd[n].fd = worker_fd(a->w);
		pfd[n++].events = POLLIN;
		if (a->live != NULL) {
			pfd[n].fd = live_wakeup_fd(a->live);
			pfd[n++].events = POLLIN;
		}
		/* Idle: sleep until something happens; playing: the
		   playhead; decoding: the "decoding" mark. */
		timeout = a->st.playing ? 50 : -1;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			return (-1);
		if (pfd[1].revents & POLLIN)
			app_take(a);
		if (a->live != NULL) {
			if (n > 2 && pfd[2].revents & POLLIN)
				live_wakeup_clear(a->live);
			app_status(a);
		}
		while ((key = ui_getkey()) != -1 && !a->quit)
			app_key(a, key);
		if (a->st.playing)
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

	if (a->live != NULL)
		live_free(a->live);	/* panics, flushes, closes */
	a->live = NULL;
	worker_free(a->w);
	a->w = NULL;
	worker_result_free(&a->res);
	for (i = 0; i < 4; i++)
		clip_free(&a->clips[i]);
	for (i = 0; i < a->n_attrs; i++)
		free(a->attr_names[i]);
	free(a->result);
	free(a->swapped);
	free(a->model_dir);
	free(a->set_path);
	roll_free(&a->r);
}

/*
 * Clips A and B (--clip, else the set's, else the shipped examples when
 * neither was named) and the set's C and D; a clip that does not load is
 * left empty.  Returns the first error (heap) for the status line, or
 * NULL.
 */
static char *
app_clips(struct app *a, const struct app_opts *o, const struct set *set)
{
	char		 path[PATH_MAX], *cause = NULL, *first_err = NULL;
	const char	*clip;
	int		 i, k;

	for (i = 0; i < 4; i++) {
		clip = i < 2 ? o->clip[i] : NULL;
		if (clip == NULL && set != NULL)
			clip = set->clip[i];
		/* The shipped examples: a.mid, b.mid (4 bars), or their
		   16-bar versions for a 16-bar model. */
		if (i < 2 && clip == NULL && o->clip[0] == NULL &&
		    set == NULL) {
			snprintf(path, sizeof path, "%s/clips/%c%s.mid",
			    o->datadir, 'a' + i, a->T > 64 ? "16" : "");
			clip = path;
		}
		/* A set's track and window belong to the set's clip. */
		k = set != NULL && (i >= 2 || o->clip[i] == NULL);
		if (clip != NULL && clip_load(&a->clips[i], app_fmt(a), clip,
		    k ? set->track[i] : -1, k ? set->window[i] : 0,
		    &cause) != 0) {
			if (first_err == NULL)
				first_err = cause;
			else
				free(cause);
			cause = NULL;
		}
		if (a->clips[i].tokens == NULL)
			clip_empty(&a->clips[i], app_fmt(a));
	}
	return (first_err);
}

/* The player's options: the command line's over the config's. */
static void
app_player_opts(struct app *a, const struct app_opts *o,
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

int
app_run(const struct app_opts *o, char **err)
{
	struct app	 a;
	struct set	 set;
	struct live_opts lo;
	char		 path[PATH_MAX], *cause = NULL, *first_err = NULL;
	int		 i, have_set = 0, rc = 0, devnull;

	memset(&a, 0, sizeof a);
	set_init(&set);
	a.stderr_fd = -1;
	a.sweep_beat = -1;
	a.no_midi = o->no_midi;
	midifile_log_init();
	keys_init();
	if (o->set != NULL) {
		if (set_load(&set, o->set, err) != 0)
			return (-1);
		have_set = 1;
		a.set_path = lr_strdup(o->set);
	}

	/* The model: --model, the set's, or the shipped one. */
	if (o->model != NULL)
		a.model_dir = lr_strdup(o->model);
	else if (have_set && set.model != NULL)
		a.model_dir = lr_strdup(set.model);
	else {
		snprintf(path, sizeof path, "%s/models/mel_2bar",
		    o->datadir);
		a.model_dir = lr_strdup(path);
	}
	roll_init(&a.r, 0, 32);
	for (i = 0; i < 4; i++)
		a.clips[i].letter = 'A' + i;
	if (app_model(&a, &cause) != 0) {
		lr_fail(err, "%s (pass a model with --model DIR)", cause);
		free(cause);
		app_free(&a);
		set_free(&set);
		return (-1);
	}
	roll_free(&a.r);
	roll_init(&a.r, a.n_attrs, a.T);
	a.v.latency_ms = -1;

	/* Clips: errors go to the status line, the app goes on. */
	first_err = app_clips(&a, o, have_set ? &set : NULL);
	if (have_set)
		app_apply_set(&a, &set);

	app_config(&a, &a.cfg);
	app_player_opts(&a, o, have_set ? &set : NULL, &lo);
	a.qpm_want = lo.qpm;
	a.lo = lo;
	/* PortMidi may print while opening: before curses, not on it. */
	if ((a.live = live_new(&lo, &cause)) == NULL) {
		app_msg(&a, 1, "player: %s", cause);
		free(cause);
		cause = NULL;
	} else {
		live_set_bindings(a.live, a.cfg.bindings, a.cfg.n_bindings);
		live_status(a.live, &a.st);
		/* The synth without audio (or its soundfont): one line. */
		if (a.st.error[0] != '\0')
			app_msg(&a, 1, "%s", a.st.error);
	}
	set_free(&set);
	if (first_err != NULL) {
		app_msg(&a, 1, "%s", first_err);
		free(first_err);
	} else if (a.msg[0] == '\0')
		app_msg(&a, 0, "%s ready  (? lists the keys, q quits)",
		    a.model_name);

	live_signals_install();
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		lr_fail(err, "the instrument needs a terminal");
		app_free(&a);
		return (-1);
	}
	if (ui_start(err) != 0) {
		app_free(&a);
		return (-1);
	}
	/* Stderr is the screen now: send stray library output away. */
	fflush(stderr);
	a.stderr_fd = dup(STDERR_FILENO);
	devnull = open(o->log != NULL ? o->log : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (devnull >= 0) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	app_submit(&a);
	if (app_loop(&a) != 0)
		rc = -1;	/* already on the status line */
	ui_stop();
	if (a.stderr_fd >= 0) {
		dup2(a.stderr_fd, STDERR_FILENO);
		close(a.stderr_fd);
	}
	app_free(&a);
	return (rc);
}
