/*
 * roll.c: the instrument's UI state, no curses.  Every key the user
 * presses ends up as a roll_apply() call (or as an app command that
 * roll_apply() hands back with ROLL_CHG_APP), so the whole behaviour of the
 * knobs and of edit mode is tested in tests/test_roll.c.
 */
#include "roll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void	notes_push(struct roll_notes *l, const struct ui_note *n);
static void	stack_push(struct roll_notes *stack, int *n,
		    const struct roll_notes *l);
static int	edit_prepare(struct roll *r);
static int	edit_targets(const struct roll *r, int *idx);
static int	edit_op(struct roll *r, enum roll_cmd cmd, int arg);
static int	edit_overlaps(const struct roll *r, const int *idx, int k,
		    enum roll_cmd cmd, int arg);
static int	knob_changed(struct roll *r);

void
roll_notes_set(struct roll_notes *dst, const struct ui_note *v, size_t n)
{
	if (n > dst->cap) {
		dst->cap = n + 16;
		dst->v = lr_realloc(dst->v, dst->cap * sizeof *dst->v);
	}
	if (n > 0)
		memcpy(dst->v, v, n * sizeof *v);
	dst->n = n;
}

void
roll_notes_free(struct roll_notes *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void
notes_push(struct roll_notes *l, const struct ui_note *n)
{
	if (l->n == l->cap) {
		l->cap = l->cap * 2 + 16;
		l->v = lr_realloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = *n;
}

void
roll_init(struct roll *r, int n_attrs, int steps)
{
	memset(r, 0, sizeof *r);
	r->mode = ROLL_MODE_PLAY;
	r->slider = ROLL_SLIDER_MAX / 2;
	r->temperature = 0;
	r->seed = 1;
	r->n_attrs = n_attrs < 0 ? 0 :
	    (n_attrs > UI_MAX_ATTRS ? UI_MAX_ATTRS : n_attrs);
	r->steps = steps > 0 ? steps : 32;
	r->cur_pitch = 60;
	r->sweep_bars = 4;
	r->lane = UI_LANE_RESULT;
	r->dirty = ROLL_DIRTY_ALL;
}

void
roll_free(struct roll *r)
{
	int	i;

	roll_notes_free(&r->edit);
	for (i = 0; i < ROLL_UNDO; i++) {
		roll_notes_free(&r->undo[i]);
		roll_notes_free(&r->redo[i]);
	}
}

int
roll_point(const struct roll *r)
{
	if (r->pad_on)
		return (r->pad_y * ROLL_PAD_N + r->pad_x);
	return (r->slider);
}

int
roll_key_mode(const struct roll *r)
{
	if (r->mode == ROLL_MODE_PLAY && r->pad_on)
		return (ROLL_MODE_PAD);
	return (r->mode);
}

float
roll_slider_value(const struct roll *r)
{
	return ((float)r->slider / ROLL_SLIDER_MAX);
}

int
roll_slider_index(float t)
{
	int	i;

	if (!(t > 0))
		return (0);
	if (t >= 1)
		return (ROLL_SLIDER_MAX);
	i = (int)lroundf(t * ROLL_SLIDER_MAX);
	return (i);
}

/*
 * Sweeps start at A (0) on bar 0 and reach B (1) half way through the
 * period, so a 4-bar triangle goes A..B in 2 bars and back in 2.
 */
float
roll_sweep_pos(enum roll_sweep shape, int bars, double bar)
{
	double	phase;

	if (shape == ROLL_SWEEP_OFF || bars <= 0)
		return (0);
	phase = fmod(bar / bars, 1.0);
	if (phase < 0)
		phase += 1.0;
	if (shape == ROLL_SWEEP_TRIANGLE)
		return ((float)(phase < 0.5 ? 2 * phase : 2 - 2 * phase));
	return ((float)(0.5 - 0.5 * cos(2 * M_PI * phase)));
}

/* Push a copy of l on a bounded stack, forgetting the oldest when full. */
static void
stack_push(struct roll_notes *stack, int *n, const struct roll_notes *l)
{
	struct roll_notes	oldest;

	if (*n == ROLL_UNDO) {
		oldest = stack[0];
		memmove(stack, stack + 1, (ROLL_UNDO - 1) * sizeof *stack);
		stack[ROLL_UNDO - 1] = oldest;
		(*n)--;
	}
	roll_notes_set(&stack[*n], l->v, l->n);
	(*n)++;
}

/* A cursor on no note goes to the first one, so x has a note to take. */
static void
cursor_on_note(struct roll *r)
{
	if (r->edit.n > 0 && roll_note_at(r, r->cur_step, r->cur_pitch) < 0) {
		r->cur_step = r->edit.v[0].start;
		r->cur_pitch = r->edit.v[0].pitch;
	}
}

void
roll_edit_begin(struct roll *r, const struct ui_note *notes, size_t n)
{
	size_t	i;

	if (!r->edit_active) {
		roll_notes_set(&r->edit, notes, n);
		for (i = 0; i < r->edit.n; i++)
			r->edit.v[i].changed = r->edit.v[i].sel = 0;
	}
	cursor_on_note(r);
	r->mode = ROLL_MODE_EDIT;
	r->dirty |= ROLL_DIRTY_ALL;
}

void
roll_edit_follow(struct roll *r, const struct ui_note *notes, size_t n)
{
	size_t	i;

	if (r->mode != ROLL_MODE_EDIT || r->edit_active)
		return;
	/* The same notes keep their selection. */
	for (i = 0; i < n && n == r->edit.n; i++)
		if (notes[i].pitch != r->edit.v[i].pitch ||
		    notes[i].start != r->edit.v[i].start ||
		    notes[i].end != r->edit.v[i].end)
			break;
	if (i == n && n == r->edit.n)
		return;
	roll_notes_set(&r->edit, notes, n);
	for (i = 0; i < r->edit.n; i++)
		r->edit.v[i].changed = r->edit.v[i].sel = 0;
	/* A decode that lands after e moved the notes under the cursor. */
	cursor_on_note(r);
	r->dirty |= ROLL_DIRTY_ALL;
}

/*
 * The result lane goes back to following the slider: the edit is not lost,
 * it goes on the undo stack (u brings it back).
 */
void
roll_edit_drop(struct roll *r)
{
	if (!r->edit_active)
		return;
	stack_push(r->undo, &r->n_undo, &r->edit);
	r->edit_active = 0;
	r->edit_dropped = 1;
	r->dirty |= ROLL_DIRTY_ALL;
}

int
roll_note_at(const struct roll *r, int step, int pitch)
{
	size_t	i;

	for (i = 0; i < r->edit.n; i++) {
		const struct ui_note *n = &r->edit.v[i];

		if (n->pitch == pitch && n->start <= step && step < n->end)
			return ((int)i);
	}
	return (-1);
}

/* Selected notes, or the one under the cursor: indices into idx. */
static int
edit_targets(const struct roll *r, int *idx)
{
	size_t	i;
	int	k = 0;

	for (i = 0; i < r->edit.n; i++) {
		if (r->edit.v[i].sel)
			idx[k++] = (int)i;
	}
	if (k == 0 && (idx[0] = roll_note_at(r, r->cur_step,
	    r->cur_pitch)) >= 0)
		k = 1;
	return (k);
}

/* Before a change: save the current notes for undo; forget redo. */
static int
edit_prepare(struct roll *r)
{
	stack_push(r->undo, &r->n_undo, &r->edit);
	r->n_redo = 0;
	return (0);
}

/*
 * Would moving, lengthening or transposing the notes idx[0..k) by arg
 * make two notes of one pitch (and part) overlap?
 */
static int
edit_overlaps(const struct roll *r, const int *idx, int k,
    enum roll_cmd cmd, int arg)
{
	struct ui_note	*v;
	size_t		 i, j;
	int		 t, hit = 0;

	/* v[].sel marks the notes that change: only their pairs count
	   (overlaps the clip came with are not this edit's doing). */
	v = lr_calloc(r->edit.n + 1, sizeof *v);
	memcpy(v, r->edit.v, r->edit.n * sizeof *v);
	for (i = 0; i < r->edit.n; i++)
		v[i].sel = 0;
	for (t = 0; t < k; t++) {
		v[idx[t]].sel = 1;
		if (cmd == ROLL_CMD_NOTE_MOVE) {
			v[idx[t]].start += arg;
			v[idx[t]].end += arg;
		} else if (cmd == ROLL_CMD_NOTE_LENGTH)
			v[idx[t]].end += arg;
		else
			v[idx[t]].pitch += arg;
	}
	for (i = 0; i < r->edit.n && !hit; i++)
		for (j = i + 1; j < r->edit.n && !hit; j++)
			hit = (v[i].sel || v[j].sel) &&
			    v[i].pitch == v[j].pitch &&
			    v[i].part == v[j].part &&
			    v[i].start < v[j].end && v[j].start < v[i].end;
	free(v);
	return (hit);
}

static int
edit_op(struct roll *r, enum roll_cmd cmd, int arg)
{
	struct ui_note	 n;
	int		*idx, k, i, j, ok = 1;

	idx = lr_calloc(r->edit.n + 1, sizeof *idx);
	k = edit_targets(r, idx);
	r->refused = NULL;
	switch (cmd) {
	case ROLL_CMD_NOTE_ADD:
		if (roll_note_at(r, r->cur_step, r->cur_pitch) >= 0) {
			r->refused = "a note is already here";
			ok = 0;
			break;
		}
		memset(&n, 0, sizeof n);
		n.pitch = r->cur_pitch;
		n.start = r->cur_step;
		n.end = r->cur_step + ROLL_NOTE_LEN;
		if (n.end > r->steps)
			n.end = r->steps;
		/* Up to the next note of its pitch, not over it. */
		for (i = 0; i < (int)r->edit.n; i++) {
			const struct ui_note *m = &r->edit.v[i];

			if (m->pitch == n.pitch && m->part == n.part &&
			    m->start > n.start && m->start < n.end)
				n.end = m->start;
		}
		edit_prepare(r);
		notes_push(&r->edit, &n);
		break;
	case ROLL_CMD_NOTE_DELETE:
		if (k == 0) {
			r->refused = "no note here (or selected) to delete";
			ok = 0;
			break;
		}
		edit_prepare(r);
		/* idx is ascending: delete from the end. */
		for (i = k - 1; i >= 0; i--) {
			memmove(&r->edit.v[idx[i]], &r->edit.v[idx[i] + 1],
			    (r->edit.n - idx[i] - 1) * sizeof *r->edit.v);
			r->edit.n--;
		}
		break;
	case ROLL_CMD_NOTE_MOVE:
	case ROLL_CMD_NOTE_LENGTH:
	case ROLL_CMD_TRANSPOSE:
		if (k == 0) {
			r->refused = "no note here (or selected)";
			ok = 0;
			break;
		}
		/* All or nothing: refuse if any note would leave the grid. */
		for (i = 0; i < k; i++) {
			const struct ui_note *m = &r->edit.v[idx[i]];

			if (cmd == ROLL_CMD_NOTE_MOVE && (m->start + arg < 0 ||
			    m->end + arg > r->steps))
				ok = 0;
			if (cmd == ROLL_CMD_NOTE_LENGTH && (m->end + arg <=
			    m->start || m->end + arg > r->steps))
				ok = 0;
			if (cmd == ROLL_CMD_TRANSPOSE && (m->pitch + arg < 0 ||
			    m->pitch + arg > 127))
				ok = 0;
		}
		if (!ok)
			r->refused = cmd == ROLL_CMD_NOTE_LENGTH ? "a note is "
			    "one step at least and ends by the loop's end" :
			    cmd == ROLL_CMD_TRANSPOSE ? "MIDI pitches are "
			    "0-127" : "the note would leave the loop";
		/* Nor make two notes of one pitch overlap: MIDI cannot say
		   it (the first note-off would end both). */
		if (ok && edit_overlaps(r, idx, k, cmd, arg)) {
			r->refused = "a note of that pitch is in the way";
			ok = 0;
		}
		if (!ok)
			break;
		edit_prepare(r);
		/* The cursor follows the note it was on. */
		j = roll_note_at(r, r->cur_step, r->cur_pitch);
		for (i = 0; i < k; i++) {
			struct ui_note *m = &r->edit.v[idx[i]];

			if (cmd == ROLL_CMD_NOTE_MOVE) {
				m->start += arg;
				m->end += arg;
				if (j == idx[i])
					r->cur_step += arg;
			} else if (cmd == ROLL_CMD_NOTE_LENGTH)
				m->end += arg;
			else {
				m->pitch += arg;
				if (j == idx[i])
					r->cur_pitch += arg;
			}
		}
		break;
	default:
		ok = 0;
		break;
	}
	free(idx);
	if (!ok)
		return (0);
	r->edit_active = 1;
	r->unsaved = 1;
	return (ROLL_CHG_EDIT);
}

/* A knob moved: the result follows the ladder again. */
static int
knob_changed(struct roll *r)
{
	roll_edit_drop(r);
	return (0);
}

static void
snap_store(struct roll *r, int i)
{
	struct roll_snapshot	*s = &r->snaps[i];

	s->valid = 1;
	s->slider = r->slider;
	s->pad_on = r->pad_on;
	s->pad_x = r->pad_x;
	s->pad_y = r->pad_y;
	memcpy(s->nudge, r->nudge, sizeof s->nudge);
}

/* Keep v in [lo, hi]. */
static int
clampi(int v, int lo, int hi)
{
	return (v < lo ? lo : v > hi ? hi : v);
}

/*
 * The state half of every command, one function each (the I/O half is
 * app_cmd.c's table, indexed by the same enum).  Each returns ROLL_CHG_*
 * bits; r->dirty is already set.
 */
static int
cmd_slider(struct roll *r, enum roll_cmd cmd, int arg)
{
	int	old = r->slider;

	if (cmd == ROLL_CMD_SLIDER)
		r->slider += arg;
	else	/* 0..9: ten points from A to B */
		r->slider = roll_slider_index(arg / 9.0f);
	r->slider = clampi(r->slider, 0, ROLL_SLIDER_MAX);
	if (r->slider == old)
		return (ROLL_CHG_VIEW);
	knob_changed(r);
	return (ROLL_CHG_SLIDER);
}

static int
cmd_attr(struct roll *r, enum roll_cmd cmd, int arg)
{
	if (r->n_attrs > 0)
		r->attr_sel = (r->attr_sel + arg + r->n_attrs) % r->n_attrs;
	return (ROLL_CHG_VIEW);
}

static int
cmd_nudge(struct roll *r, enum roll_cmd cmd, int arg)
{
	float	*v;

	if (r->n_attrs == 0)
		return (ROLL_CHG_VIEW);
	v = &r->nudge[r->attr_sel];
	*v += arg * ROLL_NUDGE_STEP;
	*v = *v > ROLL_NUDGE_MAX ? ROLL_NUDGE_MAX : *v < -ROLL_NUDGE_MAX ?
	    -ROLL_NUDGE_MAX : *v;
	knob_changed(r);
	return (ROLL_CHG_LADDER);
}

static int
cmd_nudge_reset(struct roll *r, enum roll_cmd cmd, int arg)
{
	memset(r->nudge, 0, sizeof r->nudge);
	knob_changed(r);
	return (ROLL_CHG_LADDER);
}

static int
cmd_temp(struct roll *r, enum roll_cmd cmd, int arg)
{
	r->temperature += arg * ROLL_TEMP_STEP;
	/* Round to the step so repeated presses land on 0 exactly. */
	r->temperature = roundf(r->temperature / ROLL_TEMP_STEP) *
	    ROLL_TEMP_STEP;
	if (r->temperature < 0)
		r->temperature = 0;
	if (r->temperature > ROLL_TEMP_MAX)
		r->temperature = ROLL_TEMP_MAX;
	knob_changed(r);
	return (ROLL_CHG_LADDER);
}

static int
cmd_reseed(struct roll *r, enum roll_cmd cmd, int arg)
{
	/* A fixed LCG step: reproducible from the saved seed. */
	r->seed = r->seed * 1103515245u + 12345u;
	knob_changed(r);
	return (ROLL_CHG_LADDER);
}

static int
cmd_interp(struct roll *r, enum roll_cmd cmd, int arg)
{
	r->lerp = !r->lerp;
	knob_changed(r);
	return (ROLL_CHG_LADDER);
}

/* Recall a snapshot, or store one (always, or into an empty slot). */
static int
cmd_snap(struct roll *r, enum roll_cmd cmd, int arg)
{
	struct roll_snapshot	*s;
	int			 chg = ROLL_CHG_SLIDER;

	if (arg < 0 || arg >= ROLL_SNAPSHOTS)
		return (0);
	s = &r->snaps[arg];
	if (cmd == ROLL_CMD_SNAP_STORE || !s->valid) {
		snap_store(r, arg);
		return (ROLL_CHG_VIEW);
	}
	/* The pad decodes its own grid: on <-> off is a new one. */
	if (memcmp(s->nudge, r->nudge, sizeof r->nudge) != 0 ||
	    s->pad_on != r->pad_on)
		chg |= ROLL_CHG_LADDER;
	r->slider = s->slider;
	r->pad_on = s->pad_on;
	r->pad_x = s->pad_x;
	r->pad_y = s->pad_y;
	memcpy(r->nudge, s->nudge, sizeof r->nudge);
	knob_changed(r);
	return (chg);
}

static int
cmd_sweep(struct roll *r, enum roll_cmd cmd, int arg)
{
	if (cmd == ROLL_CMD_SWEEP)
		r->sweep = (r->sweep + 1) % 3;
	else if (cmd == ROLL_CMD_SWEEP_BARS)
		r->sweep_bars = clampi(r->sweep_bars + arg, 1, 64);
	else
		r->sweep_attr = !r->sweep_attr;
	return (ROLL_CHG_VIEW);
}

static int
cmd_view(struct roll *r, enum roll_cmd cmd, int arg)
{
	int	last;

	if (cmd == ROLL_CMD_SCROLL_PITCH)	/* drawing clamps it per lane */
		r->pitch_scroll = clampi(r->pitch_scroll + arg, 0, 127);
	else if (cmd == ROLL_CMD_SCROLL_TIME) {
		/* Past the last full view it would only count on unseen
		   (and take as many presses back before the view moved);
		   a screen grown wider since has a nearer last view. */
		last = r->view_steps > 0 && r->view_steps < r->steps ?
		    r->steps - r->view_steps : r->steps > 1 ? r->steps - 1 : 0;
		r->time_scroll = clampi(clampi(r->time_scroll, 0, last) + arg,
		    0, last);
	}
	else if (cmd == ROLL_CMD_LANE)
		r->lane = (r->lane + 1) % UI_LANES;
	else
		r->help = r->help ? 0 : 1;
	return (ROLL_CHG_VIEW);
}

static int
cmd_edit(struct roll *r, enum roll_cmd cmd, int arg)
{
	if (r->mode == ROLL_MODE_EDIT) {
		r->mode = ROLL_MODE_PLAY;
		return (ROLL_CHG_VIEW);
	}
	/* Entering needs the current result: the app calls
	   roll_edit_begin() with it. */
	return (ROLL_CHG_APP);
}

/* Undo and redo: one list's top becomes the edit, the edit goes on the
   other (undo keeps no copy of an edit that is not active). */
static int
cmd_undo(struct roll *r, enum roll_cmd cmd, int arg)
{
	int			 undo = cmd == ROLL_CMD_UNDO;
	struct roll_notes	*from = undo ? r->undo : r->redo;
	int			*n = undo ? &r->n_undo : &r->n_redo;

	if (*n == 0)
		return (ROLL_CHG_VIEW);
	if (cmd == ROLL_CMD_REDO)
		stack_push(r->undo, &r->n_undo, &r->edit);
	else if (r->edit_active)
		stack_push(r->redo, &r->n_redo, &r->edit);
	(*n)--;
	roll_notes_set(&r->edit, from[*n].v, from[*n].n);
	r->edit_active = 1;
	r->unsaved = 1;
	return (ROLL_CHG_EDIT);
}

static int
cmd_pad(struct roll *r, enum roll_cmd cmd, int arg)
{
	/* The pad decodes its own grid: a new ladder either way. */
	if (r->mode == ROLL_MODE_EDIT)
		return (ROLL_CHG_VIEW);
	r->pad_on = !r->pad_on;
	/* From the slider to the pad: start on the pad's A-B edge at the
	   slider's point, not at A (the sound jumped to A). */
	if (r->pad_on) {
		r->pad_x = (int)lround(roll_slider_value(r) *
		    (ROLL_PAD_N - 1));
		r->pad_y = 0;
	}
	knob_changed(r);
	return (ROLL_CHG_LADDER);
}

static int
cmd_pad_move(struct roll *r, enum roll_cmd cmd, int arg)
{
	int	*v = cmd == ROLL_CMD_PAD_X ? &r->pad_x : &r->pad_y;
	int	 old = *v;

	if (!r->pad_on)
		return (0);
	*v = clampi(*v + arg, 0, ROLL_PAD_N - 1);
	if (*v == old)
		return (ROLL_CHG_VIEW);
	knob_changed(r);
	return (ROLL_CHG_SLIDER);
}

static int
cmd_cursor(struct roll *r, enum roll_cmd cmd, int arg)
{
	if (cmd == ROLL_CMD_CURSOR_STEP) {
		r->cur_step += arg;
		if (r->cur_step < 0)
			r->cur_step = 0;
		if (r->cur_step >= r->steps)
			r->cur_step = r->steps - 1;
	} else
		r->cur_pitch = clampi(r->cur_pitch + arg, 0, 127);
	return (ROLL_CHG_VIEW);
}

static int
cmd_select(struct roll *r, enum roll_cmd cmd, int arg)
{
	int	i;

	if (cmd == ROLL_CMD_SELECT) {
		if ((i = roll_note_at(r, r->cur_step, r->cur_pitch)) >= 0)
			r->edit.v[i].sel = !r->edit.v[i].sel;
	} else
		for (i = 0; i < (int)r->edit.n; i++)
			r->edit.v[i].sel = 0;
	return (ROLL_CHG_VIEW);
}

static int
cmd_note(struct roll *r, enum roll_cmd cmd, int arg)
{
	if (r->mode != ROLL_MODE_EDIT)
		return (0);
	return (edit_op(r, cmd, arg) | ROLL_CHG_VIEW);
}

static int
cmd_none(struct roll *r, enum roll_cmd cmd, int arg)
{
	return (0);
}

/* Commands with no entry are the app's alone (ROLL_CHG_APP). */
static int (*const roll_cmds[ROLL_CMD_COUNT])(struct roll *, enum roll_cmd,
    int) = {
	[ROLL_CMD_NONE] = cmd_none,
	[ROLL_CMD_SLIDER] = cmd_slider,
	[ROLL_CMD_JUMP] = cmd_slider,
	[ROLL_CMD_ATTR] = cmd_attr,
	[ROLL_CMD_NUDGE] = cmd_nudge,
	[ROLL_CMD_NUDGE_RESET] = cmd_nudge_reset,
	[ROLL_CMD_TEMP] = cmd_temp,
	[ROLL_CMD_RESEED] = cmd_reseed,
	[ROLL_CMD_SCROLL_PITCH] = cmd_view,
	[ROLL_CMD_SCROLL_TIME] = cmd_view,
	[ROLL_CMD_INTERP] = cmd_interp,
	[ROLL_CMD_SNAP] = cmd_snap,
	[ROLL_CMD_SNAP_STORE] = cmd_snap,
	[ROLL_CMD_SWEEP] = cmd_sweep,
	[ROLL_CMD_SWEEP_BARS] = cmd_sweep,
	[ROLL_CMD_SWEEP_TARGET] = cmd_sweep,
	[ROLL_CMD_LANE] = cmd_view,
	[ROLL_CMD_HELP] = cmd_view,
	[ROLL_CMD_EDIT] = cmd_edit,
	[ROLL_CMD_UNDO] = cmd_undo,
	[ROLL_CMD_REDO] = cmd_undo,
	[ROLL_CMD_CURSOR_STEP] = cmd_cursor,
	[ROLL_CMD_CURSOR_PITCH] = cmd_cursor,
	[ROLL_CMD_NOTE_ADD] = cmd_note,
	[ROLL_CMD_NOTE_DELETE] = cmd_note,
	[ROLL_CMD_SELECT] = cmd_select,
	[ROLL_CMD_SELECT_NONE] = cmd_select,
	[ROLL_CMD_NOTE_MOVE] = cmd_note,
	[ROLL_CMD_NOTE_LENGTH] = cmd_note,
	[ROLL_CMD_TRANSPOSE] = cmd_note,
	[ROLL_CMD_PAD] = cmd_pad,
	[ROLL_CMD_PAD_X] = cmd_pad_move,
	[ROLL_CMD_PAD_Y] = cmd_pad_move,
};

int
roll_has_state(enum roll_cmd cmd)
{
	return (cmd >= 0 && cmd < ROLL_CMD_COUNT && roll_cmds[cmd] != NULL);
}

int
roll_apply(struct roll *r, enum roll_cmd cmd, int arg)
{
	r->dirty |= ROLL_DIRTY_ALL;
	if (!roll_has_state(cmd))
		return (ROLL_CHG_APP);
	return (roll_cmds[cmd](r, cmd, arg));
}

int
roll_cc(struct roll *r, const char *target, double amount)
{
	float	v;
	int	k;

	if (!(amount >= 0))
		amount = 0;
	if (amount > 1)
		amount = 1;
	if (strcmp(target, "slider") == 0) {
		k = roll_slider_index((float)amount);
		if (k == r->slider)
			return (0);
		knob_changed(r);
		r->slider = k;
		r->dirty |= ROLL_DIRTY_ALL;
		return (ROLL_CHG_SLIDER);
	}
	if (strcmp(target, "temperature") == 0) {
		v = (float)(amount * ROLL_TEMP_MAX);
		if (v == r->temperature)
			return (0);
		knob_changed(r);
		r->temperature = v;
		r->dirty |= ROLL_DIRTY_ALL;
		return (ROLL_CHG_LADDER);
	}
	if (sscanf(target, "attr:%d", &k) == 1 && k >= 0 && k < r->n_attrs) {
		v = (float)((amount * 2 - 1) * ROLL_NUDGE_MAX);
		if (v == r->nudge[k])
			return (0);
		knob_changed(r);
		r->nudge[k] = v;
		r->dirty |= ROLL_DIRTY_ALL;
		return (ROLL_CHG_LADDER);
	}
	return (0);
}

void
roll_layout(struct roll_layout *L, const struct roll *r, int cols, int rows,
    int steps)
{
	int	fixed, avail, i, y;

	memset(L, 0, sizeof *L);
	L->cols = cols;
	L->rows = rows;
	if (steps <= 0)
		steps = 32;

	/* Attributes: several per row on a big screen, else the chosen one. */
	L->attrs_per_row = cols / 26 > 0 ? cols / 26 : 1;
	if (rows >= 20 && r->n_attrs > 0)
		L->attrs_rows = (r->n_attrs + L->attrs_per_row - 1) /
		    L->attrs_per_row;
	else {
		L->attrs_rows = 1;
		L->attrs_per_row = 1;
	}
	/* axis, slider, attributes, status, message */
	fixed = 1 + 1 + L->attrs_rows + 1 + 1;
	avail = rows - fixed;
	if (avail >= UI_LANES * 4) {
		L->n_lanes = UI_LANES;
		for (i = 0; i < UI_LANES; i++)
			L->lane_idx[i] = i;
	} else {
		L->n_lanes = 1;
		L->lane_idx[0] = r->lane;
	}
	/* Every row left goes to the lanes: the result lane first, then B. */
	avail -= L->n_lanes;	/* title rows */
	for (i = 0; i < L->n_lanes; i++) {
		L->lane_h[i] = avail / L->n_lanes;
		if (L->n_lanes - 1 - i < avail % L->n_lanes)
			L->lane_h[i]++;
		if (L->lane_h[i] < 1)
			L->lane_h[i] = 1;
	}
	for (i = 0, y = 0; i < L->n_lanes; i++) {
		L->lane_y[i] = y;
		y += 1 + L->lane_h[i];
	}
	L->axis_y = y;
	L->slider_y = L->axis_y + 1;
	L->attrs_y = L->slider_y + 1;
	L->status_y = rows - 2;
	L->message_y = rows - 1;
	L->message_rows = 1;
	roll_layout_label(L, steps, 4);
}

void
roll_layout_label(struct roll_layout *L, int steps, int label_w)
{
	if (steps <= 0)
		steps = 32;
	L->label_w = label_w;
	L->step_w = L->label_w + 2 * steps <= L->cols ? 2 : 1;
	L->view_steps = (L->cols - L->label_w) / L->step_w;
	if (L->view_steps > steps)
		L->view_steps = steps;
	if (L->view_steps < 1)
		L->view_steps = 1;
}

/* Pages of whole bars, so the grid does not jitter while playing. */
int
roll_view_start(const struct roll_layout *L, int steps, int focus)
{
	int	page, start;

	if (L->view_steps >= steps || focus < 0)
		return (0);
	page = L->view_steps - L->view_steps % 16;
	if (page <= 0)
		page = L->view_steps;
	start = (focus / page) * page;
	if (start + L->view_steps > steps)
		start = steps - L->view_steps;
	return (start < 0 ? 0 : start);
}

int
roll_view_first(const struct roll_layout *L, const struct roll *r,
    int steps, int playhead)
{
	int	start;

	if (r->mode == ROLL_MODE_EDIT)
		return (roll_view_start(L, steps, r->cur_step));
	if (playhead >= 0)
		return (roll_view_start(L, steps, playhead));
	start = r->time_scroll;
	if (start + L->view_steps > steps)
		start = steps - L->view_steps;
	return (start < 0 ? 0 : start);
}
