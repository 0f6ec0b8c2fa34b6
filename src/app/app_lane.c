/*
 * app_lane.c: the result lane (struct app_lane): which decoded point it
 * shows, the notes as heard (key lock, the nearer clip's velocities and
 * programs), and handing them to the player.
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
 * A knob, a sweep, a CC or a new clip put the edit aside (roll_edit_drop):
 * it is on the undo stack, not lost, but the lane no longer shows it, so
 * say where it went.
 */
void
app_edit_dropped(struct app *a)
{
	if (!a->r.edit_dropped)
		return;
	a->r.edit_dropped = 0;
	app_msg(a, 0, "edit put aside: the result follows the knobs again "
	    "(u brings the edit back)");
}

/* The notes the result lane shows: the edit, or the decoded point. */
const struct ui_note *
app_current_notes(struct app *a, size_t *n)
{
	if (a->r.edit_active) {
		*n = a->r.edit.n;
		return (a->r.edit.v);
	}
	*n = a->lane.n_result;
	return (a->lane.result);
}

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

	tok = lr_calloc((size_t)a->model.T * a->model.S, sizeof *tok);
	clip_notes_to_tokens(app_fmt(a), cur, n, tok);
	attrs_measure(&a->model.arch, tok, m);
	free(tok);
	for (i = 0; i < a->model.n_attrs; i++)
		a->v.attr_value[i] = a->model.attr_id[i] >= 0 ?
		    m[a->model.attr_id[i]] : 0;
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
		for (k = 0; k < a->lane.n_swapped; k++)
			if (note_eq(m, &a->lane.swapped[k]))
				m->changed = 0;
	}
	free(a->lane.swapped);
	a->lane.swapped_edit = a->r.edit_active;
	a->lane.swapped = lr_calloc(n + 1, sizeof *a->lane.swapped);
	memcpy(a->lane.swapped, cur, n * sizeof *cur);
	a->lane.n_swapped = n;
	app_measure(a, cur, n);
	if (a->play.live == NULL)
		return;
	rc = app_pattern(a, &p, &ln, &cause);
	if (rc != 0 || live_swap(a->play.live, &p, &cause) < 0) {
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
	rc = live_pattern_from_noteseq(p, ln, &s, a->model.T, cause);
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
	size_t		ts = (size_t)a->model.T * a->model.S, i;
	int		k = roll_point(&a->r), fresh;

	a->v.attrs_known = 0;
	if (a->model.res.gen != a->model.gen || !a->model.res.valid[k]) {
		/* The worker is still at it: the lane keeps the result. */
		roll_edit_follow(&a->r, a->lane.result, a->lane.n_result);
		return;
	}
	fresh = a->model.shown_gen != a->model.gen ||
	    a->model.shown_slider != k;
	/* The same point again (the full ladder after the quick first
	   point) keeps its notes and their changed marks.  A new point is
	   decoded into the result even under an edit: dropping the edit
	   later shows it, not the point before. */
	if (fresh) {
		noteseq_init(&s);
		clip_tokens_to_seq(app_fmt(a), a->model.res.tokens + k * ts,
		    &s);
		clip_seq_to_notes(&s, &a->lane.result, &a->lane.n_result);
		noteseq_free(&s);
		/* A drum pitch is an instrument: the lock leaves it. */
		if (a->lane.keylock)
			for (i = 0; i < a->lane.n_result; i++)
				if (a->lane.result[i].part != UI_PART_DRUMS)
					a->lane.result[i].pitch =
					    keylock_pitch(a->lane.key_root,
					    a->lane.result[i].pitch);
	}
	/* Edit mode with nothing edited: keys edit what is shown. */
	roll_edit_follow(&a->r, a->lane.result, a->lane.n_result);
	if (fresh && a->model.t_key > 0) {
		a->v.latency_ms = worker_now_ms() - a->model.t_key;
		a->model.t_key = 0;
	}
	/* A dropped edit (a snapshot of this very point) is still what
	   the player has: send the point too. */
	if (fresh || a->lane.swapped_edit != a->r.edit_active) {
		a->model.shown_gen = a->model.gen;
		a->model.shown_slider = k;
		app_swap(a);	/* measures it too */
	} else
		a->v.attrs_known = 1;	/* as measured at the last swap */
	a->r.dirty |= ROLL_DIRTY_ALL;
}
