/*
 * test_roll.c: the instrument's UI state without a terminal: slider steps
 * and clamping, every edit operation, undo/redo, snapshots, sweep shapes,
 * the key table and the screen layout.
 */
#include "draw.h"
#include "keys.h"
#include "prompt.h"
#include "roll.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "test.h"

static void
test_slider(void)
{
	struct roll	r;
	int		i, chg;

	roll_init(&r, 7, 32);
	CHECK(r.slider == 16);
	CHECK(fabsf(roll_slider_value(&r) - 0.5f) < 1e-6f);
	chg = roll_apply(&r, ROLL_CMD_SLIDER, 1);
	CHECK(chg & ROLL_CHG_SLIDER);
	CHECK(fabsf(roll_slider_value(&r) - 17 / 32.0f) < 1e-6f);
	roll_apply(&r, ROLL_CMD_SLIDER, -4);
	CHECK(r.slider == 13);
	/* Clamps at both ends, and a no-op move asks for no decode. */
	for (i = 0; i < 50; i++)
		roll_apply(&r, ROLL_CMD_SLIDER, -1);
	CHECK(r.slider == 0);
	CHECK(!(roll_apply(&r, ROLL_CMD_SLIDER, -1) & ROLL_CHG_SLIDER));
	for (i = 0; i < 20; i++)
		roll_apply(&r, ROLL_CMD_SLIDER, 4);
	CHECK(r.slider == ROLL_SLIDER_MAX);
	/* Jumps: 0 = A, 9 = B, 1..8 between, increasing. */
	roll_apply(&r, ROLL_CMD_JUMP, 0);
	CHECK(r.slider == 0);
	roll_apply(&r, ROLL_CMD_JUMP, 9);
	CHECK(r.slider == ROLL_SLIDER_MAX);
	for (i = 1; i <= 8; i++) {
		int prev;

		roll_apply(&r, ROLL_CMD_JUMP, i - 1);
		prev = r.slider;
		roll_apply(&r, ROLL_CMD_JUMP, i);
		CHECK_MSG(r.slider > prev && r.slider < ROLL_SLIDER_MAX,
		    "jump %d -> %d", i, r.slider);
	}
	CHECK(roll_slider_index(-1) == 0 && roll_slider_index(2) == 32);
	CHECK(roll_slider_index(0.5f) == 16);
	CHECK(roll_slider_index(NAN) == 0);
	roll_free(&r);
}

static void
test_knobs(void)
{
	struct roll	r;
	unsigned	seed;
	int		i;

	roll_init(&r, 3, 32);
	CHECK(roll_apply(&r, ROLL_CMD_ATTR, -1) == ROLL_CHG_VIEW);
	CHECK(r.attr_sel == 2);		/* wraps */
	roll_apply(&r, ROLL_CMD_ATTR, 1);
	CHECK(r.attr_sel == 0);
	CHECK(roll_apply(&r, ROLL_CMD_NUDGE, 1) & ROLL_CHG_LADDER);
	CHECK(fabsf(r.nudge[0] - ROLL_NUDGE_STEP) < 1e-6f);
	for (i = 0; i < 100; i++)
		roll_apply(&r, ROLL_CMD_NUDGE, 1);
	CHECK(r.nudge[0] == ROLL_NUDGE_MAX);
	roll_apply(&r, ROLL_CMD_ATTR, 1);
	roll_apply(&r, ROLL_CMD_NUDGE, -1);
	CHECK(r.nudge[1] < 0 && r.nudge[0] > 0);
	roll_apply(&r, ROLL_CMD_NUDGE_RESET, 0);
	CHECK(r.nudge[0] == 0 && r.nudge[1] == 0);
	/* Temperature lands exactly on 0 after going up and down. */
	for (i = 0; i < 3; i++)
		roll_apply(&r, ROLL_CMD_TEMP, 1);
	CHECK(fabsf(r.temperature - 0.3f) < 1e-5f);
	for (i = 0; i < 5; i++)
		roll_apply(&r, ROLL_CMD_TEMP, -1);
	CHECK(r.temperature == 0);
	for (i = 0; i < 50; i++)
		roll_apply(&r, ROLL_CMD_TEMP, 1);
	CHECK(fabsf(r.temperature - ROLL_TEMP_MAX) < 1e-5f);
	seed = r.seed;
	CHECK(roll_apply(&r, ROLL_CMD_RESEED, 0) & ROLL_CHG_LADDER);
	CHECK(r.seed != seed);
	CHECK(r.lerp == 0);
	roll_apply(&r, ROLL_CMD_INTERP, 0);
	CHECK(r.lerp == 1);
	/* App commands come back to the caller. */
	CHECK(roll_apply(&r, ROLL_CMD_SAVE, 0) == ROLL_CHG_APP);
	CHECK(roll_apply(&r, ROLL_CMD_QUIT, 0) == ROLL_CHG_APP);
	roll_free(&r);
}

static const struct ui_note start_notes[] = {
	{ .pitch = 60, .start = 0, .end = 4 },
	{ .pitch = 64, .start = 4, .end = 8 },
	{ .pitch = 67, .start = 8, .end = 16 },
};

static void
test_edit(void)
{
	struct roll	r;
	int		i;

	roll_init(&r, 0, 32);
	/* Edit ops do nothing outside edit mode. */
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_ADD, 0) == 0);
	CHECK(roll_apply(&r, ROLL_CMD_EDIT, 0) == ROLL_CHG_APP);
	roll_edit_begin(&r, start_notes, 3);
	CHECK(r.mode == ROLL_MODE_EDIT && r.edit.n == 3);
	CHECK(r.cur_step == 0 && r.cur_pitch == 60);
	CHECK(roll_note_at(&r, 3, 60) == 0 && roll_note_at(&r, 4, 60) < 0);
	CHECK(!r.edit_active && !r.unsaved);

	/* Add at an empty spot; adding on a note is refused, with why. */
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_ADD, 0) & ROLL_CHG_EDIT));
	CHECK(r.refused != NULL && strstr(r.refused, "already here"));
	roll_apply(&r, ROLL_CMD_CURSOR_STEP, 20);
	roll_apply(&r, ROLL_CMD_CURSOR_PITCH, 2);
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_ADD, 0) & ROLL_CHG_EDIT);
	CHECK(r.edit.n == 4 && r.edit_active && r.unsaved);
	i = roll_note_at(&r, 20, 62);
	CHECK(i == 3 && r.edit.v[i].end == 20 + ROLL_NOTE_LEN);

	/* Lengthen, shorten (never to zero), move, transpose. */
	roll_apply(&r, ROLL_CMD_NOTE_LENGTH, 3);
	CHECK(r.edit.v[3].end == 25);
	roll_apply(&r, ROLL_CMD_NOTE_LENGTH, -4);
	CHECK(r.edit.v[3].end == 21);
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_LENGTH, -1) & ROLL_CHG_EDIT));
	CHECK(r.edit.v[3].end == 21);
	roll_apply(&r, ROLL_CMD_NOTE_MOVE, 2);
	CHECK(r.edit.v[3].start == 22 && r.edit.v[3].end == 23);
	CHECK(r.cur_step == 22);	/* the cursor follows */
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_MOVE, 20) & ROLL_CHG_EDIT));
	roll_apply(&r, ROLL_CMD_TRANSPOSE, 12);
	CHECK(r.edit.v[3].pitch == 74 && r.cur_pitch == 74);
	CHECK(!(roll_apply(&r, ROLL_CMD_TRANSPOSE, 100) & ROLL_CHG_EDIT));

	/* Selection: transpose two notes together, then delete them. */
	r.cur_step = 0;
	r.cur_pitch = 60;
	roll_apply(&r, ROLL_CMD_SELECT, 0);
	r.cur_step = 5;
	r.cur_pitch = 64;
	roll_apply(&r, ROLL_CMD_SELECT, 0);
	CHECK(r.edit.v[0].sel && r.edit.v[1].sel && !r.edit.v[2].sel);
	roll_apply(&r, ROLL_CMD_TRANSPOSE, -2);
	CHECK(r.edit.v[0].pitch == 58 && r.edit.v[1].pitch == 62);
	CHECK(r.edit.v[2].pitch == 67);
	roll_apply(&r, ROLL_CMD_NOTE_DELETE, 0);
	CHECK(r.edit.n == 2 && r.edit.v[0].pitch == 67);

	/* Undo walks back every step; redo forward again. */
	roll_apply(&r, ROLL_CMD_UNDO, 0);
	CHECK(r.edit.n == 4 && r.edit.v[0].pitch == 58);
	roll_apply(&r, ROLL_CMD_UNDO, 0);
	CHECK(r.edit.v[0].pitch == 60 && r.edit.v[1].pitch == 64);
	roll_apply(&r, ROLL_CMD_REDO, 0);
	CHECK(r.edit.v[0].pitch == 58);
	roll_apply(&r, ROLL_CMD_REDO, 0);
	CHECK(r.edit.n == 2);
	CHECK(roll_apply(&r, ROLL_CMD_REDO, 0) == ROLL_CHG_VIEW);
	for (i = 0; i < 20; i++)
		roll_apply(&r, ROLL_CMD_UNDO, 0);
	CHECK(r.edit.n == 3 && r.edit.v[0].pitch == 60);
	/* A new edit after undo forgets the redo branch. */
	roll_apply(&r, ROLL_CMD_SELECT_NONE, 0);
	r.cur_step = 0;
	r.cur_pitch = 60;
	roll_apply(&r, ROLL_CMD_NOTE_DELETE, 0);
	CHECK(r.edit.n == 2 && r.n_redo == 0);

	/* Leaving edit mode and moving the slider drops the edit to undo. */
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	CHECK(r.mode == ROLL_MODE_PLAY && r.edit_active);
	roll_apply(&r, ROLL_CMD_SLIDER, 1);
	CHECK(!r.edit_active);
	roll_apply(&r, ROLL_CMD_UNDO, 0);
	CHECK(r.edit_active && r.edit.n == 2);
	roll_free(&r);
}

/*
 * Two notes of one pitch never overlap by an edit (MIDI cannot say it: the
 * first note-off ends both): a move, lengthening or transposition that
 * would is refused whole; an added note stops where the next of its pitch
 * starts.  Overlaps the notes came with do not block other edits.
 */
static const struct ui_note same_pitch[] = {
	{ .pitch = 67, .start = 0, .end = 4 },
	{ .pitch = 67, .start = 8, .end = 12 },
	{ .pitch = 64, .start = 8, .end = 12 },
	{ .pitch = 60, .start = 16, .end = 24 },	/* two 60s, overlapping */
	{ .pitch = 60, .start = 20, .end = 28 },
};

static void
test_edit_overlap(void)
{
	struct roll	r;
	int		i;

	roll_init(&r, 0, 32);
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	roll_edit_begin(&r, same_pitch, 5);
	/* G4 at 0..4: lengthen to 8 touches the next G4, to 9 overlaps. */
	r.cur_step = 0;
	r.cur_pitch = 67;
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_LENGTH, 4) & ROLL_CHG_EDIT);
	CHECK(r.edit.v[0].end == 8);
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_LENGTH, 1) & ROLL_CHG_EDIT));
	CHECK(r.edit.v[0].end == 8 && r.edit.v[1].start == 8);
	CHECK(r.refused != NULL && strstr(r.refused, "in the way") != NULL);
	/* Moved onto the other G4: refused; by 12 past it: fine. */
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_MOVE, 2) & ROLL_CHG_EDIT));
	CHECK(r.edit.v[0].start == 0);
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_MOVE, 12) & ROLL_CHG_EDIT);
	CHECK(r.edit.v[0].start == 12 && r.edit.v[0].end == 20);
	CHECK(r.refused == NULL);
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_MOVE, 20) & ROLL_CHG_EDIT));
	CHECK(r.refused != NULL && strstr(r.refused, "leave the loop"));
	/* The E4 at 8 transposed up 3 onto the G4 at 8: refused; by 2: fine. */
	r.cur_step = 8;
	r.cur_pitch = 64;
	CHECK(!(roll_apply(&r, ROLL_CMD_TRANSPOSE, 3) & ROLL_CHG_EDIT));
	CHECK(r.edit.v[2].pitch == 64);
	CHECK(roll_apply(&r, ROLL_CMD_TRANSPOSE, 2) & ROLL_CHG_EDIT);
	CHECK(r.edit.v[2].pitch == 66);
	/* The two C4s came overlapping: other notes still move... */
	r.cur_step = 12;
	r.cur_pitch = 67;
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_MOVE, 4) & ROLL_CHG_EDIT);
	CHECK(r.edit.v[0].start == 16);
	/* ...but a note of theirs that changes is checked against them. */
	r.cur_step = 16;
	r.cur_pitch = 60;
	CHECK(!(roll_apply(&r, ROLL_CMD_NOTE_LENGTH, 1) & ROLL_CHG_EDIT));
	/* An added note stops at the next note of its pitch. */
	r.cur_step = 7;
	r.cur_pitch = 66;
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_ADD, 0) & ROLL_CHG_EDIT);
	i = roll_note_at(&r, 7, 66);
	CHECK(i >= 0 && r.edit.v[i].start == 7 && r.edit.v[i].end == 8);
	roll_free(&r);
}

/*
 * Edit mode entered, nothing edited, then the result changes (a snapshot
 * key, a sweep, a CC): keys edit the notes on screen, not the old copy.
 */
static void
test_edit_follow(void)
{
	static const struct ui_note	 other[] = {
		{ .pitch = 72, .start = 0, .end = 2 },
		{ .pitch = 74, .start = 2, .end = 4 },
	};
	struct roll			 r;

	roll_init(&r, 0, 32);
	roll_edit_begin(&r, start_notes, 3);
	r.edit.v[0].sel = 1;
	roll_edit_follow(&r, start_notes, 3);	/* same notes: kept */
	CHECK(r.edit.n == 3 && r.edit.v[0].sel);
	roll_edit_follow(&r, other, 2);
	CHECK(r.edit.n == 2 && r.edit.v[0].pitch == 72 && !r.edit.v[0].sel);
	/* The cursor was on a note of the old copy: it moves onto one of
	   the new, so x deletes (a race the TUI test hit under load). */
	CHECK(r.cur_step == 0 && r.cur_pitch == 72);
	CHECK(roll_apply(&r, ROLL_CMD_NOTE_DELETE, 0) & ROLL_CHG_EDIT);
	CHECK(r.edit.n == 1 && r.edit.v[0].pitch == 74);
	/* An edit in progress is never replaced. */
	roll_edit_follow(&r, start_notes, 3);
	CHECK(r.edit.n == 1 && r.edit_active);
	/* Nor is anything outside edit mode. */
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	roll_edit_drop(&r);
	roll_edit_follow(&r, start_notes, 3);
	CHECK(r.edit.n == 1);
	roll_free(&r);
}

/* MIDI controls act like the keys: every one drops an edit. */
static void
test_cc(void)
{
	struct roll	r;

	roll_init(&r, 3, 32);
	roll_edit_begin(&r, start_notes, 3);
	roll_apply(&r, ROLL_CMD_NOTE_DELETE, 0);
	CHECK(r.edit_active);
	CHECK(roll_cc(&r, "temperature", 0.5) == ROLL_CHG_LADDER);
	CHECK(!r.edit_active && fabsf(r.temperature - 1.0f) < 1e-6f);
	CHECK(roll_cc(&r, "temperature", 0.5) == 0);
	roll_apply(&r, ROLL_CMD_UNDO, 0);
	CHECK(r.edit_active);
	CHECK(roll_cc(&r, "attr:2", 1.0) == ROLL_CHG_LADDER);
	CHECK(!r.edit_active && r.nudge[2] == ROLL_NUDGE_MAX);
	CHECK(roll_cc(&r, "attr:3", 1.0) == 0);	/* no such attribute */
	roll_apply(&r, ROLL_CMD_UNDO, 0);
	CHECK(roll_cc(&r, "slider", 0.0) == ROLL_CHG_SLIDER);
	CHECK(!r.edit_active && r.slider == 0);
	CHECK(roll_cc(&r, "slider", 0.0) == 0);
	CHECK(roll_cc(&r, "slider", 1.0) == ROLL_CHG_SLIDER &&
	    r.slider == ROLL_SLIDER_MAX);
	CHECK(roll_cc(&r, "bogus", 1.0) == 0);
	roll_free(&r);
}

static void
test_snapshots(void)
{
	struct roll	r;
	int		chg;

	roll_init(&r, 2, 32);
	roll_apply(&r, ROLL_CMD_JUMP, 0);
	roll_apply(&r, ROLL_CMD_NUDGE, 1);
	CHECK(roll_apply(&r, ROLL_CMD_SNAP, 2) == ROLL_CHG_VIEW); /* store */
	CHECK(r.snaps[2].valid && r.snaps[2].slider == 0);
	roll_apply(&r, ROLL_CMD_JUMP, 9);
	roll_apply(&r, ROLL_CMD_NUDGE_RESET, 0);
	chg = roll_apply(&r, ROLL_CMD_SNAP, 2);		/* recall */
	CHECK(chg & ROLL_CHG_SLIDER && chg & ROLL_CHG_LADDER);
	CHECK(r.slider == 0 && r.nudge[0] == ROLL_NUDGE_STEP);
	/* Recall with equal nudges needs no new ladder. */
	roll_apply(&r, ROLL_CMD_SLIDER, 3);
	chg = roll_apply(&r, ROLL_CMD_SNAP, 2);
	CHECK(chg == ROLL_CHG_SLIDER && r.slider == 0);
	/* Store overwrites. */
	roll_apply(&r, ROLL_CMD_SLIDER, 5);
	roll_apply(&r, ROLL_CMD_SNAP_STORE, 2);
	CHECK(r.snaps[2].slider == 5);
	CHECK(roll_apply(&r, ROLL_CMD_SNAP, 8) == 0);	/* out of range */
	/* A snapshot of a pad point recalls that point (it recalled the
	   hidden slider: nothing happened). */
	roll_apply(&r, ROLL_CMD_PAD, 0);
	roll_apply(&r, ROLL_CMD_PAD_X, -(ROLL_PAD_N - 1));	/* to A's side */
	roll_apply(&r, ROLL_CMD_PAD_X, 3);
	roll_apply(&r, ROLL_CMD_PAD_Y, 1);
	roll_apply(&r, ROLL_CMD_SNAP, 5);
	roll_apply(&r, ROLL_CMD_PAD_X, -3);
	chg = roll_apply(&r, ROLL_CMD_SNAP, 5);
	CHECK(chg == ROLL_CHG_SLIDER && roll_point(&r) == 1 * ROLL_PAD_N + 3);
	roll_apply(&r, ROLL_CMD_PAD, 0);		/* pad off */
	chg = roll_apply(&r, ROLL_CMD_SNAP, 5);
	CHECK(chg & ROLL_CHG_LADDER && r.pad_on && r.pad_x == 3);
	chg = roll_apply(&r, ROLL_CMD_SNAP, 2);		/* a slider one */
	CHECK(chg & ROLL_CHG_LADDER && !r.pad_on && r.slider == 5);
	roll_free(&r);
}

static void
test_sweep(void)
{
	struct roll	r;

	/* Triangle over 4 bars: A at 0, B at 2, A at 4; linear between. */
	CHECK(roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 0) == 0);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 1) - 0.5f) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 2) - 1) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 3) - 0.5f) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 4)) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 6) - 1) < 1e-6f);
	/* Sine: same ends, but 1 bar in it is at (1 - cos(pi/2)) / 2. */
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_SINE, 4, 0)) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_SINE, 4, 1) - 0.5f) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_SINE, 4, 2) - 1) < 1e-6f);
	CHECK(fabsf(roll_sweep_pos(ROLL_SWEEP_SINE, 4, 0.5) -
	    (float)(0.5 - 0.5 * cos(M_PI / 4))) < 1e-6f);
	CHECK(roll_sweep_pos(ROLL_SWEEP_SINE, 4, 0.5) <
	    roll_sweep_pos(ROLL_SWEEP_TRIANGLE, 4, 0.5));
	CHECK(roll_sweep_pos(ROLL_SWEEP_OFF, 4, 1) == 0);
	roll_init(&r, 0, 32);
	roll_apply(&r, ROLL_CMD_SWEEP, 0);
	CHECK(r.sweep == ROLL_SWEEP_TRIANGLE);
	roll_apply(&r, ROLL_CMD_SWEEP, 0);
	CHECK(r.sweep == ROLL_SWEEP_SINE);
	roll_apply(&r, ROLL_CMD_SWEEP, 0);
	CHECK(r.sweep == ROLL_SWEEP_OFF);
	roll_apply(&r, ROLL_CMD_SWEEP_BARS, -10);
	CHECK(r.sweep_bars == 1);
	CHECK(!r.sweep_attr);
	roll_apply(&r, ROLL_CMD_SWEEP_TARGET, 0);
	CHECK(r.sweep_attr);
	CHECK(keys_lookup('P', ROLL_MODE_PLAY)->cmd == ROLL_CMD_SWEEP_TARGET);
	roll_free(&r);
}

static void
test_pad(void)
{
	struct roll	r;
	int		i;

	roll_init(&r, 0, 32);
	CHECK(roll_point(&r) == r.slider);
	CHECK(roll_apply(&r, ROLL_CMD_PAD_X, 1) == 0);	/* pad off */
	CHECK(roll_apply(&r, ROLL_CMD_PAD, 0) & ROLL_CHG_LADDER);
	CHECK(r.pad_on && roll_key_mode(&r) == ROLL_MODE_PAD);
	/* It starts on the A-B edge where the slider was (0.50). */
	CHECK_MSG(roll_point(&r) == (ROLL_PAD_N - 1) / 2, "%d",
	    roll_point(&r));
	CHECK(roll_apply(&r, ROLL_CMD_PAD_X, 1) & ROLL_CHG_SLIDER);
	roll_apply(&r, ROLL_CMD_PAD_Y, 1);
	CHECK(roll_point(&r) == ROLL_PAD_N + (ROLL_PAD_N - 1) / 2 + 1);
	for (i = 0; i < 10; i++) {
		roll_apply(&r, ROLL_CMD_PAD_X, 1);
		roll_apply(&r, ROLL_CMD_PAD_Y, 1);
	}
	CHECK(roll_point(&r) == ROLL_PAD_N * ROLL_PAD_N - 1);	/* D */
	CHECK(roll_apply(&r, ROLL_CMD_PAD_X, 1) == ROLL_CHG_VIEW);
	/* Pad keys: arrows move the pad, other keys are play mode's. */
	CHECK(keys_lookup(KEY_LEFT, ROLL_MODE_PAD)->cmd == ROLL_CMD_PAD_X);
	CHECK(keys_lookup(KEY_UP, ROLL_MODE_PAD)->cmd == ROLL_CMD_PAD_Y);
	CHECK(keys_lookup('+', ROLL_MODE_PAD)->cmd == ROLL_CMD_NUDGE);
	/* Edit mode from the pad comes back to the pad. */
	roll_edit_begin(&r, start_notes, 3);
	CHECK(roll_key_mode(&r) == ROLL_MODE_EDIT);
	CHECK(roll_apply(&r, ROLL_CMD_PAD, 0) == ROLL_CHG_VIEW);
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	CHECK(roll_key_mode(&r) == ROLL_MODE_PAD);
	roll_apply(&r, ROLL_CMD_PAD, 0);
	CHECK(!r.pad_on && roll_point(&r) == r.slider);
	roll_free(&r);
}

/* A help line whose keys column starts with keys and which says text. */
static int
help_line_with(const char *keys, const char *text)
{
	struct keys_help	h;
	size_t			n = strlen(keys);
	int			i;

	for (i = 0; keys_help(i, &h) == 0; i++) {
		if (strncmp(h.line, keys, n) == 0 && h.line[n] == ' ' &&
		    strncmp(h.line + (n < 8 ? 8 : n) + 1, text,
		    strlen(text)) == 0)
			return (1);
	}
	return (0);
}

/* Help lines of a command. */
static int
help_count(const char *name)
{
	struct keys_help	h;
	int			i, n = 0;

	for (i = 0; keys_help(i, &h) == 0; i++)
		n += h.name != NULL && strcmp(h.name, name) == 0;
	return (n);
}

/*
 * Every entry of the key table is listed: its key is among the keys of a
 * help line of its command (or of its series, "jump-" for jump-3), and
 * every help line fits the 39 columns of an overlay column.
 */
static int
help_covers_table(void)
{
	const struct key_entry	*e;
	struct keys_help	 h;
	size_t			 n;
	int			 i, j, k, found, ok = 1;

	for (i = 0; keys_help(i, &h) == 0; i++) {
		if (strlen(h.line) > 39) {
			CHECK_MSG(0, "help line too wide: \"%s\"", h.line);
			ok = 0;
		}
	}
	CHECK(i > 60);
	for (i = 0; (e = keys_entry(i)) != NULL; i++) {
		found = 0;
		for (j = 0; !found && keys_help(j, &h) == 0; j++) {
			if (h.name == NULL)
				continue;
			n = strlen(h.name);
			if (strcmp(h.name, e->name) != 0 &&
			    !(h.name[n - 1] == '-' &&
			    strncmp(h.name, e->name, n) == 0 &&
			    e->name[n] >= '1' && e->name[n] <= '9' &&
			    e->name[n + 1] == '\0'))
				continue;
			for (k = 0; k < h.n_keys; k++)
				found |= h.keys[k] == e->key;
		}
		if (!found) {
			char	kn[32];

			keys_name(e->key, kn, sizeof kn);
			CHECK_MSG(0, "key %s (%s) not in the help", kn,
			    e->name);
			ok = 0;
		}
	}
	return (ok);
}

static void
test_keys(void)
{
	const struct key_entry	*e;
	char			 name[32], *cause = NULL;
	int			 i;

	keys_init();
	e = keys_lookup(KEY_LEFT, ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_SLIDER && e->arg == -1);
	e = keys_lookup(KEY_LEFT, ROLL_MODE_EDIT);
	CHECK(e != NULL && e->cmd == ROLL_CMD_CURSOR_STEP);
	e = keys_lookup('L', ROLL_MODE_PLAY);
	CHECK(e != NULL && e->arg == 4);
	e = keys_lookup('5', ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_JUMP && e->arg == 5);
	e = keys_lookup(18, ROLL_MODE_EDIT);	/* C-r from any mode */
	CHECK(e != NULL && e->cmd == ROLL_CMD_REDO);
	e = keys_lookup('3' | UI_KEY_ALT, ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_SNAP && e->arg == 2);
	e = keys_lookup(KEY_F(8), ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_SNAP && e->arg == 7);
	CHECK(keys_lookup('Z', ROLL_MODE_PLAY) == NULL);
	CHECK(keys_lookup('q', ROLL_MODE_EDIT)->cmd == ROLL_CMD_QUIT);
	/* Every key of the table is on the help line of its command, and
	   every help line fits a column of the overlay (39 of 40). */
	CHECK(help_covers_table());
	CHECK(help_line_with("H S-Left", "slider 1/8 toward A"));
	CHECK(help_line_with("L S-Right", "slider 1/8 toward B"));
	CHECK(help_line_with("a Enter", "add a note"));
	CHECK(help_line_with("x Delete", "delete the note"));
	CHECK(help_line_with("Esc", "leave edit mode"));
	CHECK(help_line_with("1..8", "slider to 1/9"));
	CHECK(help_line_with("F1..F8 M-1..M-8", "recall a snapshot"));
	CHECK(help_line_with("Tab", "complete the path"));
	CHECK(help_line_with("C-u", "clear the line"));
	CHECK(help_line_with("Esc C-g", "cancel"));
	/* Names round-trip. */
	for (i = 0; (e = keys_entry(i)) != NULL; i++) {
		keys_name(e->key, name, sizeof name);
		CHECK_MSG(keys_parse(name) == e->key, "key %s", name);
	}
	/* Rebinding through a config line. */
	CHECK(keys_config_line("bind Z quit", &cause) == 0);
	e = keys_lookup('Z', ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_QUIT);
	/* A command of every mode takes the key in every mode. */
	CHECK(keys_config_line("bind x play", &cause) == 0);
	e = keys_lookup('x', ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_PLAY);
	e = keys_lookup('x', ROLL_MODE_EDIT);
	CHECK(e != NULL && e->cmd == ROLL_CMD_PLAY);
	/* A play-mode one only in play mode. */
	CHECK(keys_config_line("bind s reseed", &cause) == 0);
	CHECK(keys_lookup('s', ROLL_MODE_PLAY)->cmd == ROLL_CMD_RESEED);
	CHECK(keys_lookup('s', ROLL_MODE_EDIT)->cmd == ROLL_CMD_SAVE);
	/* ... and on the pad, which is play mode with arrows. */
	CHECK(keys_lookup('s', ROLL_MODE_PAD)->cmd == ROLL_CMD_RESEED);
	CHECK(keys_config_line("# comment", &cause) == 0);
	CHECK(keys_config_line("bind Z no-such-cmd", &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "no-such-cmd") != NULL);
	CHECK(keys_config_line("bind Qx quit", &cause) == -1);
	CHECK(keys_config_line("frob", &cause) == -1);
	free(cause);
	keys_init();
	CHECK(keys_lookup('Z', ROLL_MODE_PLAY) == NULL);
	CHECK(help_covers_table());
}

/*
 * A remap (config "key COMMAND = KEY") makes the key run the command and
 * takes it from what it ran before; the command keeps its other keys
 * until freed with "none", and the help shows the keys bound now.
 */
static void
test_remap(void)
{
	const struct key_entry	*e;
	char			*cause = NULL;

	keys_init();
	CHECK(help_line_with("p", "sweep: off"));
	CHECK(keys_config_line("bind p play", &cause) == 0);
	e = keys_lookup('p', ROLL_MODE_PLAY);
	CHECK(e != NULL && e->cmd == ROLL_CMD_PLAY);
	CHECK(keys_lookup('p', ROLL_MODE_PAD)->cmd == ROLL_CMD_PLAY);
	CHECK(keys_lookup(' ', ROLL_MODE_PLAY)->cmd == ROLL_CMD_PLAY);
	CHECK(help_line_with("Space p", "play / stop"));
	/* Sweep lost its only key: still listed, as unbound. */
	CHECK(help_line_with("unbound", "sweep: off"));
	CHECK(help_count("sweep") == 1);
	/* Its new key takes it from sweep-target, which is listed too. */
	CHECK(keys_config_line("bind P sweep", &cause) == 0);
	CHECK(keys_lookup('P', ROLL_MODE_PLAY)->cmd == ROLL_CMD_SWEEP);
	CHECK(help_line_with("P", "sweep: off"));
	CHECK(help_line_with("unbound", "sweep the slider"));
	/* Freeing a key: Space does nothing, play is on p alone. */
	CHECK(keys_config_line("bind Space none", &cause) == 0);
	CHECK(keys_lookup(' ', ROLL_MODE_PLAY) == NULL);
	CHECK(keys_lookup(' ', ROLL_MODE_EDIT) == NULL);
	CHECK(help_line_with("p", "play / stop"));
	/* A series with a key out of sequence: one line per member. */
	CHECK(keys_config_line("bind z jump-3", &cause) == 0);
	CHECK(keys_lookup('z', ROLL_MODE_PLAY)->arg == 3);
	CHECK(help_line_with("3 z", "slider to 3/9"));
	CHECK(help_line_with("4", "slider to 4/9"));
	CHECK(!help_line_with("1..8", "slider to 1/9"));
	/* An edit-mode remap stays in edit mode. */
	CHECK(keys_config_line("bind x note-add", &cause) == 0);
	CHECK(keys_lookup('x', ROLL_MODE_EDIT)->cmd == ROLL_CMD_NOTE_ADD);
	CHECK(keys_lookup('x', ROLL_MODE_PLAY)->cmd == ROLL_CMD_NUDGE_RESET);
	CHECK(help_line_with("a Enter x", "add a note"));
	CHECK(help_line_with("Delete", "delete the note"));
	/* Every command whose keys went can be bound again. */
	CHECK(keys_config_line("bind C-d note-delete", &cause) == 0);
	CHECK(keys_lookup(4, ROLL_MODE_EDIT)->cmd == ROLL_CMD_NOTE_DELETE);
	CHECK(help_line_with("Delete C-d", "delete the note"));
	CHECK(help_covers_table());
	free(cause);
	keys_init();
	CHECK(keys_lookup(' ', ROLL_MODE_PLAY)->cmd == ROLL_CMD_PLAY);
}

static void
test_layout(void)
{
	struct roll		r;
	struct roll_layout	L;

	roll_init(&r, 7, 32);
	roll_layout(&L, &r, 80, 24, 32);
	CHECK(L.n_lanes == 3 && L.lane_h[0] >= 4);
	/* Every row is used: the lanes take what the panel leaves, the
	   result lane the most. */
	CHECK_MSG(L.attrs_y + L.attrs_rows == L.status_y, "attrs end %d, "
	    "status %d", L.attrs_y + L.attrs_rows, L.status_y);
	CHECK(L.lane_h[2] >= L.lane_h[1] && L.lane_h[1] >= L.lane_h[0]);
	CHECK(L.lane_h[2] - L.lane_h[0] <= 1);
	CHECK(L.step_w == 2 && L.view_steps == 32);
	CHECK(L.attrs_y + L.attrs_rows <= L.status_y);
	CHECK(L.axis_y < L.slider_y && L.status_y == 22);
	/* 40x12: one lane (the result), one attribute row, still fits. */
	roll_layout(&L, &r, 40, 12, 32);
	CHECK(L.n_lanes == 1 && L.lane_idx[0] == UI_LANE_RESULT);
	CHECK(L.step_w == 1 && L.view_steps == 32);
	CHECK(L.attrs_rows == 1 && L.attrs_y + 1 == L.status_y);
	CHECK(L.lane_h[0] == 12 - 6);
	roll_apply(&r, ROLL_CMD_LANE, 0);
	roll_layout(&L, &r, 40, 12, 32);
	CHECK(L.lane_idx[0] == UI_LANE_A);
	/* 16 bars on 80 columns: pages of whole bars. */
	roll_layout(&L, &r, 80, 24, 256);
	CHECK(L.view_steps == 76);
	CHECK(roll_view_start(&L, 256, 10) == 0);
	CHECK(roll_view_start(&L, 256, 70) == 64);
	CHECK(roll_view_start(&L, 256, 250) == 256 - 76);
	/* Tiny terminals do not produce negative sizes. */
	roll_layout(&L, &r, 5, 3, 32);
	CHECK(L.lane_h[0] >= 1 && L.view_steps >= 1);

	roll_free(&r);
}

/* A note: pitch, steps [s, e), changed since the last swap (result). */
#define N(p, s, e, chg)	\
	{ .pitch = (p), .start = (s), .end = (e), .changed = (chg) }

/* The first window of share/clips/a.mid and b.mid, and a result between. */
static const struct ui_note clip_a[] = {
	N(67, 0, 4, 0), N(69, 4, 6, 0), N(71, 6, 8, 0),
	N(72, 8, 12, 0), N(71, 12, 16, 0), N(69, 16, 18, 0),
	N(67, 18, 20, 0), N(69, 20, 22, 0), N(71, 22, 24, 0),
	N(74, 24, 32, 0),
};
static const struct ui_note clip_b[] = {
	N(64, 0, 2, 0), N(66, 2, 4, 0), N(67, 4, 6, 0),
	N(69, 6, 8, 0), N(71, 8, 10, 0), N(69, 10, 12, 0),
	N(67, 12, 14, 0), N(66, 14, 16, 0), N(64, 16, 18, 0),
	N(67, 18, 20, 0), N(71, 20, 22, 0), N(67, 22, 24, 0),
	N(69, 24, 26, 0), N(66, 26, 28, 0), N(62, 28, 30, 0),
	N(66, 30, 32, 0),
};
static const struct ui_note clip_r[] = {
	N(67, 0, 4, 0), N(69, 4, 6, 1), N(71, 6, 8, 0),
	N(72, 8, 12, 0), N(71, 12, 16, 0), N(64, 16, 18, 1),
	N(67, 18, 20, 0), N(71, 20, 22, 0), N(67, 22, 24, 0),
	N(69, 24, 26, 0), N(66, 26, 28, 1), N(62, 28, 30, 0),
	N(66, 30, 32, 0),
};

static void
view_clips(struct ui_view *v)
{
	memset(v, 0, sizeof *v);
	v->lanes[0].notes = clip_a;
	v->lanes[0].n = sizeof clip_a / sizeof clip_a[0];
	v->lanes[1].notes = clip_b;
	v->lanes[1].n = sizeof clip_b / sizeof clip_b[0];
	v->lanes[2].notes = clip_r;
	v->lanes[2].n = sizeof clip_r / sizeof clip_r[0];
	v->steps = 32;
	v->playhead = -1;
	v->n_attrs = 7;
	v->qpm = 120;
	v->latency_ms = -1;
}

/* "F#4" (or "F#" with the octave given) to a MIDI pitch; -1 if not one. */
static int
parse_note(const char *s, size_t len, int octave)
{
	static const int	 base[7] = { 9, 11, 0, 2, 4, 5, 7 };	/* A-G */
	char			 buf[16];
	int			 p;

	if (len == 0 || len >= sizeof buf || s[0] < 'A' || s[0] > 'G')
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = base[buf[0] - 'A'];
	s = buf + 1;
	if (*s == '#') {
		p++;
		s++;
	}
	if (*s != '\0')
		octave = atoi(s);
	return ((octave + 1) * 12 + p);
}

/* A row label names the pitch, or a range "F#-G4"/"B3-C4" holding it. */
static int
label_holds(const char *label, int pitch)
{
	const char	*dash;
	int		 lo, hi;

	for (dash = label + 1; *dash != '\0'; dash++) {
		if (dash[0] == '-' && dash[1] >= 'A' && dash[1] <= 'G')
			break;
	}
	if (*dash == '\0')
		return (parse_note(label, strlen(label), 0) == pitch);
	hi = parse_note(dash + 1, strlen(dash + 1), 0);
	lo = parse_note(label, dash - label, hi / 12 - 1);
	return (lo >= 0 && lo < hi && pitch >= lo && pitch <= hi);
}

/* The title row y says notes are above (up) or below the rows. */
static int
title_counts(int y, int cols, int up)
{
	char	t[512];
	int	x;

	for (x = 0; x < cols && x + 1 < (int)sizeof t; x++)
		t[x] = (char)(mvinch(y, x) & A_CHARTEXT);
	t[x] = '\0';
	return (strstr(t, up ? " ^" : " v") != NULL);
}

/*
 * Draw the screen into a curses screen that writes to /dev/null and read
 * it back: every note start ('[' or '{') must sit on a row whose label
 * names its pitch (or a range holding it), and in play mode every note in
 * the time view must be drawn.
 */
static void
check_screen(const struct roll *r, const struct ui_view *v, int cols,
    int rows, const char *what)
{
	struct roll_layout	 L;
	struct pitch_rows	 pr[UI_LANES];
	const struct ui_lane	*lane;
	SCREEN			*sc;
	FILE			*out, *in;
	char			 label[32];
	int			 slot, row, x, y, k, c, found, view0, bad = 0;
	size_t			 j;

	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	if (out == NULL || in == NULL ||
	    (sc = newterm("vt100", out, in)) == NULL) {
		CHECK_MSG(0, "%s: no curses screen (vt100)", what);
		if (out != NULL)
			fclose(out);
		if (in != NULL)
			fclose(in);
		return;
	}
	resizeterm(rows, cols);
	draw_screen(r, v, NULL);
	draw_layout(&L, r, v, cols, rows, pr);
	view0 = roll_view_start(&L, v->steps, r->mode == ROLL_MODE_EDIT ?
	    r->cur_step : v->playhead);
	for (slot = 0; slot < L.n_lanes; slot++) {
		lane = &v->lanes[L.lane_idx[slot]];
		for (j = 0; j < lane->n; j++) {
			const struct ui_note	*n = &lane->notes[j];

			if (n->start < view0 || n->start >= view0 + L.view_steps)
				continue;
			x = L.label_w + (n->start - view0) * L.step_w;
			found = 0;
			for (row = 0; row < L.lane_h[slot]; row++) {
				y = L.lane_y[slot] + 1 + row;
				c = (int)(mvinch(y, x) & A_CHARTEXT);
				if (c != '[' && c != '{')
					continue;
				found++;
				for (k = 0; k < L.label_w && k + 1 <
				    (int)sizeof label; k++)
					label[k] = (char)(mvinch(y, k) &
					    A_CHARTEXT);
				while (k > 0 && label[k - 1] == ' ')
					k--;
				label[k] = '\0';
				if (!label_holds(label, n->pitch)) {
					bad++;
					CHECK_MSG(0, "%s: lane %d: pitch %d at "
					    "step %d drawn on a row labelled "
					    "\"%s\"", what, L.lane_idx[slot],
					    n->pitch, n->start, label);
				}
			}
			/* A note out of the rows is counted in the title
			   ("^3 v2"); every other one is drawn once. */
			if (draw_pitch_row(&pr[slot], n->pitch) >= 0)
				CHECK_MSG(found == 1, "%s: lane %d: pitch %d at "
				    "step %d drawn %d times", what,
				    L.lane_idx[slot], n->pitch, n->start, found);
			else
				CHECK_MSG(found == 0 && title_counts(
				    L.lane_y[slot], cols, n->pitch > pr[slot].hi[0]),
				    "%s: lane %d: pitch %d hidden, not counted",
				    what, L.lane_idx[slot], n->pitch);
		}
	}
	CHECK(bad == 0);
	endwin();
	delscreen(sc);
	fclose(out);
	fclose(in);
}

/* Rows are well formed: n rows, disjoint, descending, labels honest. */
static int
rows_sane(const struct pitch_rows *pr, int rows)
{
	char	label[16];
	int	i;

	if (pr->n != rows)
		return (0);
	for (i = 0; i < pr->n; i++) {
		if (pr->lo[i] > pr->hi[i] || pr->lo[i] < 0 || pr->hi[i] > 127)
			return (0);
		if (i > 0 && pr->hi[i] >= pr->lo[i - 1])
			return (0);
		draw_row_label(pr, i, label, sizeof label);
		if (!label_holds(label, pr->lo[i]) ||
		    !label_holds(label, pr->hi[i]))
			return (0);
	}
	return (1);
}

static void
test_pitch_axis(void)
{
	static const struct ui_note	 close[] = {
		N(60, 0, 2, 0), N(61, 2, 4, 0), N(62, 4, 6, 0),
		N(64, 6, 8, 0), N(65, 8, 10, 0),
	};
	struct roll			 r;
	struct ui_view			 v;
	struct pitch_rows		 pr;
	char				 label[16];
	int				 i, p;

	roll_init(&r, 7, 32);
	memset(&v, 0, sizeof v);
	/* Span fits: one semitone a row, true names. */
	v.lanes[0].notes = close;
	v.lanes[0].n = 5;
	draw_pitch_rows(&v, &r, 0, 8, &pr);
	CHECK(rows_sane(&pr, 8));
	for (i = 0; i < pr.n; i++)
		CHECK(pr.lo[i] == pr.hi[i] && (i == 0 ||
		    pr.lo[i] == pr.lo[i - 1] - 1));
	CHECK(draw_pitch_row(&pr, 60) >= 0 && draw_pitch_row(&pr, 65) >= 0);
	/* Five pitches in five rows (span 6): folded, one row each, and
	   the semitone neighbours 60 61 62 apart. */
	draw_pitch_rows(&v, &r, 0, 5, &pr);
	CHECK(rows_sane(&pr, 5));
	for (i = 0; i < 5; i++) {
		p = close[i].pitch;
		CHECK_MSG(draw_pitch_row(&pr, p) >= 0 &&
		    pr.lo[draw_pitch_row(&pr, p)] == p &&
		    pr.hi[draw_pitch_row(&pr, p)] == p, "fold %d", p);
	}
	draw_row_label(&pr, draw_pitch_row(&pr, 61), label, sizeof label);
	CHECK_MSG(strcmp(label, "C#4") == 0, "%s", label);
	/* Three rows: one pitch a row still, from the highest; the two
	   below are counted, and PgDn scrolls to them (no further). */
	draw_pitch_rows(&v, &r, 0, 3, &pr);
	CHECK(rows_sane(&pr, 3));
	for (i = 0; i < 3; i++)
		CHECK(pr.lo[i] == pr.hi[i]);
	CHECK(pr.hi[0] == 65 && pr.lo[2] == 62);
	draw_hidden(&v.lanes[0], &pr, &i, &p);
	CHECK_MSG(i == 0 && p == 2, "above %d below %d", i, p);
	roll_apply(&r, ROLL_CMD_SCROLL_PITCH, 3);
	draw_pitch_rows(&v, &r, 0, 3, &pr);
	CHECK(rows_sane(&pr, 3) && pr.hi[0] == 62 && pr.lo[2] == 60);
	draw_hidden(&v.lanes[0], &pr, &i, &p);
	CHECK_MSG(i == 2 && p == 0, "above %d below %d", i, p);
	roll_apply(&r, ROLL_CMD_SCROLL_PITCH, -3);
	CHECK(r.pitch_scroll == 0);

	/* A shared axis when the pitches of every lane fit; the lane's own
	   when only those do. */
	view_clips(&v);
	draw_pitch_rows(&v, &r, 0, 8, &pr);
	CHECK(rows_sane(&pr, 8) && draw_pitch_row(&pr, 62) >= 0);
	draw_pitch_rows(&v, &r, 0, 5, &pr);
	CHECK(rows_sane(&pr, 5));
	for (i = 0; i < (int)(sizeof clip_a / sizeof clip_a[0]); i++) {
		p = draw_pitch_row(&pr, clip_a[i].pitch);
		CHECK(p >= 0 && pr.lo[p] == clip_a[i].pitch &&
		    pr.hi[p] == clip_a[i].pitch);
	}
	/* Edit mode: the result lane is one semitone a row around the
	   cursor, which reaches every pitch. */
	roll_edit_begin(&r, clip_r, sizeof clip_r / sizeof clip_r[0]);
	for (p = 0; p < 128; p += 9) {
		r.cur_pitch = p == 126 ? 127 : p;
		draw_pitch_rows(&v, &r, UI_LANE_RESULT, 4, &pr);
		CHECK(rows_sane(&pr, 4));
		i = draw_pitch_row(&pr, r.cur_pitch);
		CHECK_MSG(i >= 0 && pr.lo[i] == r.cur_pitch, "cursor %d",
		    r.cur_pitch);
		CHECK(pr.lo[0] - pr.lo[3] == 3);
	}
	r.cur_pitch = 67;
	draw_pitch_rows(&v, &r, UI_LANE_RESULT, 13, &pr);
	CHECK(rows_sane(&pr, 13) && pr.lo[12] == 62 && pr.lo[0] == 74);

	/* On screen, at 80x24 and 40x12 (each lane in turn), play and edit
	   mode: every note on a row named after it. */
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	check_screen(&r, &v, 80, 24, "80x24");
	for (i = 0; i < UI_LANES; i++) {
		r.lane = i;
		check_screen(&r, &v, 40, 12, "40x12");
	}
	check_screen(&r, &v, 60, 16, "60x16");
	check_screen(&r, &v, 100, 40, "100x40");
	r.mode = ROLL_MODE_EDIT;
	r.cur_pitch = 69;
	check_screen(&r, &v, 80, 24, "80x24 edit");
	r.lane = UI_LANE_RESULT;
	check_screen(&r, &v, 40, 12, "40x12 edit");
	roll_free(&r);
}

/* Draw the screen at cols x rows and read back row y (< 0: from the end). */
static void
screen_row(const struct roll *r, const struct ui_view *v, int cols,
    int rows, int y, char *buf, size_t len)
{
	SCREEN	*sc;
	FILE	*out, *in;
	int	 x, n = 0;

	buf[0] = '\0';
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	if (out == NULL || in == NULL ||
	    (sc = newterm("vt100", out, in)) == NULL) {
		CHECK_MSG(0, "no curses screen (vt100)");
		if (out != NULL)
			fclose(out);
		if (in != NULL)
			fclose(in);
		return;
	}
	resizeterm(rows, cols);
	draw_screen(r, v, NULL);
	if (y < 0)
		y += rows;
	for (x = 0; x < cols && n + 1 < (int)len; x++)
		buf[n++] = (char)(mvinch(y, x) & A_CHARTEXT);
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	endwin();
	delscreen(sc);
	fclose(out);
	fclose(in);
}

/*
 * A lane title wider than the screen is cut before the counts of notes
 * out of view, not through them: they say the lane hides something.
 */
static void
test_title_cut(void)
{
	struct roll	r;
	struct ui_view	v;
	struct ui_note	many[24];
	char		line[512];
	size_t		n;
	int		i;

	roll_init(&r, 7, 32);
	view_clips(&v);
	/* 24 pitches: more than a 12-row screen's lane shows. */
	memset(many, 0, sizeof many);
	for (i = 0; i < 24; i++) {
		many[i].pitch = 48 + i;
		many[i].start = i;
		many[i].end = i + 1;
	}
	v.lanes[0].notes = many;
	v.lanes[0].n = 24;
	v.lanes[0].title = "A a_clip_with_a_long_name.mid  track 2/2  "
	    "window 2/3 (bar 2)";
	r.lane = UI_LANE_A;
	screen_row(&r, &v, 40, 12, 0, line, sizeof line);
	n = strlen(line);
	CHECK_MSG(n <= 40 && strncmp(line, "-- A a_clip", 11) == 0 &&
	    strchr(line, '>') != NULL && (strstr(line, "> ^") != NULL ||
	    strstr(line, "> v") != NULL), "40: \"%s\"", line);
	/* Wide enough: the whole title, no cut mark. */
	screen_row(&r, &v, 100, 40, 0, line, sizeof line);
	CHECK_MSG(strstr(line, "(bar 2)") != NULL && strchr(line, '>') ==
	    NULL, "100: \"%s\"", line);
	roll_free(&r);
}

/*
 * Editing notes that span more pitches than the lane has rows: the rows
 * hold the cursor and stay inside the notes' span (no empty rows below
 * the lowest note while higher ones are out of view).
 */
static void
test_edit_rows(void)
{
	struct roll		r;
	struct ui_view		v;
	struct pitch_rows	pr;
	struct ui_note		many[11];
	int			i, lo = 127, hi = 0;

	roll_init(&r, 7, 32);
	view_clips(&v);
	memset(many, 0, sizeof many);
	for (i = 0; i < 11; i++) {
		many[i].pitch = 60 + i;
		many[i].start = 2 * i;
		many[i].end = 2 * i + 2;
	}
	for (i = 0; i < UI_LANES; i++) {
		v.lanes[i].notes = many;
		v.lanes[i].n = 11;
	}
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	roll_edit_begin(&r, many, 11);
	r.cur_pitch = 60;	/* the lowest note */
	draw_pitch_rows(&v, &r, UI_LANE_RESULT, 5, &pr);
	for (i = 0; i < pr.n; i++) {
		lo = pr.lo[i] < lo ? pr.lo[i] : lo;
		hi = pr.hi[i] > hi ? pr.hi[i] : hi;
	}
	CHECK_MSG(pr.n == 5 && lo == 60 && hi == 64, "rows %d, %d..%d",
	    pr.n, lo, hi);
	r.cur_pitch = 70;	/* the highest */
	draw_pitch_rows(&v, &r, UI_LANE_RESULT, 5, &pr);
	for (i = 0, lo = 127, hi = 0; i < pr.n; i++) {
		lo = pr.lo[i] < lo ? pr.lo[i] : lo;
		hi = pr.hi[i] > hi ? pr.hi[i] : hi;
	}
	CHECK_MSG(lo == 66 && hi == 70, "rows %d..%d", lo, hi);
	roll_free(&r);
}

/* The playhead on a bar number shows the number (reversed), not "1^". */
static void
test_playhead_axis(void)
{
	struct roll	r;
	struct ui_view	v;
	char		line[512];
	int		y, axis = -1;

	roll_init(&r, 7, 32);
	view_clips(&v);
	v.playhead = 16;	/* bar 2's first step, where its "2" is */
	for (y = 0; y < 24 && axis < 0; y++) {
		screen_row(&r, &v, 80, 24, y, line, sizeof line);
		if (strncmp(line, "    1", 5) == 0)
			axis = y;
	}
	CHECK_MSG(axis >= 0 && strstr(line, " 2 ") != NULL &&
	    strchr(line, '^') == NULL, "on bar 2: \"%s\"", line);
	v.playhead = 17;
	if (axis >= 0)
		screen_row(&r, &v, 80, 24, axis, line, sizeof line);
	CHECK_MSG(axis >= 0 && strstr(line, " 2 ^") != NULL, "after it: \"%s\"",
	    line);
	roll_free(&r);
}

static void
test_status(void)
{
	struct roll		r;
	struct roll_layout	L;
	struct pitch_rows	pr[UI_LANES];
	struct ui_view		v;
	char			line[512];

	roll_init(&r, 7, 32);
	view_clips(&v);
	v.model = "mel_2bar";
	v.device = "FLUID Synth (128:0): Synth input port";
	v.playing = 1;
	v.busy = 1;
	v.latency_ms = 3.2;
	v.keylock = "G major";
	roll_edit_begin(&r, clip_r, sizeof clip_r / sizeof clip_r[0]);
	roll_apply(&r, ROLL_CMD_NOTE_DELETE, 0);
	CHECK(r.mode == ROLL_MODE_EDIT && r.unsaved);
	/* 80 columns: everything, the long names cut. */
	draw_status_line(line, sizeof line, &r, &v, 80);
	CHECK_MSG(strlen(line) <= 80 && strstr(line, "playing decoding") &&
	    strstr(line, "EDIT") && strstr(line, "unsaved") &&
	    strstr(line, "key G major") && strstr(line, "ms") &&
	    strstr(line, "FLUID") && strstr(line, " | 120 bpm | "),
	    "80: \"%s\"", line);
	/* A short device name, not decoding: the model too. */
	v.device = "no MIDI output";
	v.busy = 0;
	draw_status_line(line, sizeof line, &r, &v, 80);
	CHECK_MSG(strlen(line) <= 80 && strstr(line, "mel_2bar | no MIDI") &&
	    strstr(line, "| playing | 3ms | EDIT | unsaved | key G major"),
	    "80: \"%s\"", line);
	v.device = "FLUID Synth (128:0): Synth input port";
	v.busy = 1;
	/* 40 columns: play state, EDIT, unsaved first, then what fits. */
	screen_row(&r, &v, 40, 12, -2, line, sizeof line);
	CHECK_MSG(strlen(line) <= 40 && strstr(line, "play") &&
	    strstr(line, "EDIT") && strstr(line, "unsaved") &&
	    strstr(line, "G major") && strstr(line, "decoding"),
	    "40: \"%s\"", line);
	/* Nothing but state: tempo, latency and the device come back. */
	v.busy = 0;
	v.keylock = NULL;
	v.device = "no MIDI output";
	roll_apply(&r, ROLL_CMD_EDIT, 0);
	r.unsaved = 0;
	draw_status_line(line, sizeof line, &r, &v, 40);
	CHECK_MSG(strlen(line) <= 40 && strstr(line, "play") &&
	    strstr(line, "ms") && strstr(line, "bpm") &&
	    strstr(line, "no MIDI"), "40 idle: \"%s\"", line);
	/* Even at 24 columns the state a player needs stays. */
	r.mode = ROLL_MODE_EDIT;
	r.unsaved = 1;
	draw_status_line(line, sizeof line, &r, &v, 24);
	CHECK_MSG(strlen(line) <= 24 && strstr(line, "play") &&
	    strstr(line, "EDIT") && strstr(line, "unsaved"), "24: \"%s\"",
	    line);
	r.mode = ROLL_MODE_PLAY;

	/* The slider line keeps slerp/lerp, temperature and seed at 40. */
	r.seed = 2524885223u;
	r.temperature = 0.5f;
	draw_layout(&L, &r, &v, 40, 12, pr);
	screen_row(&r, &v, 40, 12, L.slider_y, line, sizeof line);
	CHECK_MSG(strlen(line) <= 40 && strncmp(line, "slider 0.50 A", 13) ==
	    0 && strstr(line, "slerp") && strstr(line, "t0.5") &&
	    strstr(line, "2524885223"), "40: \"%s\"", line);
	r.seed = 7;
	screen_row(&r, &v, 40, 12, L.slider_y, line, sizeof line);
	CHECK_MSG(strstr(line, "slerp t 0.5 seed 7") != NULL, "40: \"%s\"",
	    line);
	/* A sweep is shown before the seed. */
	r.seed = 2524885223u;
	roll_apply(&r, ROLL_CMD_SWEEP, 0);
	roll_apply(&r, ROLL_CMD_INTERP, 0);
	screen_row(&r, &v, 40, 12, L.slider_y, line, sizeof line);
	CHECK_MSG(strlen(line) <= 40 && strstr(line, "lerp t0.5") &&
	    strstr(line, "tri/"), "40 sweep: \"%s\"", line);
	draw_layout(&L, &r, &v, 80, 24, pr);
	screen_row(&r, &v, 80, 24, L.slider_y, line, sizeof line);
	CHECK_MSG(strstr(line, "lerp t 0.5 seed 2524885223 sweep tri/") !=
	    NULL, "80: \"%s\"", line);
	/* The pad row keeps what of it fits whole. */
	roll_apply(&r, ROLL_CMD_PAD, 0);
	draw_layout(&L, &r, &v, 40, 12, pr);
	screen_row(&r, &v, 40, 12, L.slider_y, line, sizeof line);
	CHECK_MSG(strncmp(line, "pad x 0.50 y 0.00", 17) == 0 &&
	    strlen(line) <= 40, "40 pad: \"%s\"", line);
	roll_free(&r);
}

/*
 * The overlay on screen: paging with ? shows every help line whole, at
 * 80x24 (two columns) and 40x12 (one).
 */
static void
test_help_screen(void)
{
	static const int	 sizes[][2] = { { 80, 24 }, { 40, 12 } };
	struct roll		 r;
	struct ui_view		 v;
	struct keys_help	 h;
	SCREEN			*sc;
	FILE			*out, *in;
	char			 row[128], *seen;
	int			 n, i, z, page, y, x, k;
	size_t			 len, used;

	keys_init();
	for (n = 0; keys_help(n, &h) == 0; n++)
		;
	roll_init(&r, 7, 32);
	view_clips(&v);
	for (z = 0; z < 2; z++) {
		int	cols = sizes[z][0], rows = sizes[z][1];

		len = (size_t)(rows * (cols + 1) + 1) * 40;
		seen = calloc(1, len);
		used = 0;
		out = fopen("/dev/null", "w");
		in = fopen("/dev/null", "r");
		if (seen == NULL || out == NULL || in == NULL ||
		    (sc = newterm("vt100", out, in)) == NULL) {
			CHECK_MSG(0, "no curses screen (vt100)");
			free(seen);
			if (out != NULL)
				fclose(out);
			if (in != NULL)
				fclose(in);
			continue;
		}
		resizeterm(rows, cols);
		/* Enough pages for every line, each cell read back. */
		for (page = 1; page <= n / ((rows - 3) * (cols >= 80 ? 2 :
		    1)) + 1; page++) {
			r.help = page;
			draw_screen(&r, &v, NULL);
			for (y = 1; y < rows - 2; y++) {
				for (x = 0; x < cols; x += cols >= 80 ?
				    cols / 2 : cols) {
					for (k = 0; k < (cols >= 80 ? cols / 2 :
					    cols); k++)
						row[k] = (char)(mvinch(y, x + k) &
						    A_CHARTEXT);
					while (k > 0 && row[k - 1] == ' ')
						k--;
					row[k] = '\0';
					used += snprintf(seen + used, len - used,
					    "\n%s\n", row);
				}
			}
		}
		endwin();
		delscreen(sc);
		fclose(out);
		fclose(in);
		for (i = 0; i < n; i++) {
			char	want[160];

			keys_help(i, &h);
			snprintf(want, sizeof want, "\n%s\n", h.line);
			CHECK_MSG(strstr(seen, want) != NULL, "%dx%d: help "
			    "line \"%s\" not shown whole", cols, rows, h.line);
		}
		free(seen);
	}
	r.help = 0;
	roll_free(&r);
}

static void
test_prompt(void)
{
	struct prompt	p;
	char		dir[] = "/tmp/test_roll.XXXXXX", path[256];
	FILE		*f;

	prompt_open(&p, 1, "save as: ", "ab");
	CHECK(p.active && strcmp(p.text, "ab") == 0);
	prompt_key(&p, 'c');
	prompt_key(&p, KEY_BACKSPACE);
	prompt_key(&p, 'd');
	CHECK(strcmp(p.text, "abd") == 0);
	/* Backspace takes a whole UTF-8 character ("é" is two bytes). */
	prompt_key(&p, 0xc3);
	prompt_key(&p, 0xa9);
	CHECK(strcmp(p.text, "abd\xc3\xa9") == 0);
	prompt_key(&p, KEY_BACKSPACE);
	CHECK(strcmp(p.text, "abd") == 0 && p.len == 3);
	CHECK(prompt_key(&p, '\n') == PROMPT_ACCEPT);
	CHECK(prompt_key(&p, 27) == PROMPT_CANCEL);
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/clip_one.mid", dir);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	snprintf(path, sizeof path, "%s/clip_two.mid", dir);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	snprintf(path, sizeof path, "%s/cl", dir);
	prompt_open(&p, 1, "open: ", path);
	CHECK(prompt_key(&p, '\t') == PROMPT_CONTINUE);
	snprintf(path, sizeof path, "%s/clip_", dir);
	CHECK_MSG(strcmp(p.text, path) == 0, "%s", p.text);
	CHECK(strstr(p.hint, "clip_one.mid") != NULL);
	prompt_key(&p, 't');
	CHECK(prompt_complete(&p) == 1);
	snprintf(path, sizeof path, "%s/clip_two.mid", dir);
	CHECK(strcmp(p.text, path) == 0);
	/* One match, a folder: completed with its '/', no hint that only
	   repeats it; Tab again lists what is in it. */
	snprintf(path, sizeof path, "%s/sub dir", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sub dir/inner.mid", dir);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	snprintf(path, sizeof path, "%s/su", dir);
	prompt_open(&p, 1, "save: ", path);
	CHECK(prompt_complete(&p) == 1);
	snprintf(path, sizeof path, "%s/sub dir/", dir);
	CHECK_MSG(strcmp(p.text, path) == 0 && p.hint[0] == '\0', "%s / %s",
	    p.text, p.hint);
	CHECK(prompt_complete(&p) == 1);
	snprintf(path, sizeof path, "%s/sub dir/inner.mid", dir);
	CHECK_MSG(strcmp(p.text, path) == 0, "%s", p.text);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub dir", dir);
	rmdir(path);
	/* Brackets in a name are not a pattern. */
	snprintf(path, sizeof path, "%s/take [2].mid", dir);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	snprintf(path, sizeof path, "%s/take [", dir);
	prompt_open(&p, 1, "open: ", path);
	CHECK(prompt_complete(&p) == 1);
	snprintf(path, sizeof path, "%s/take [2].mid", dir);
	CHECK_MSG(strcmp(p.text, path) == 0, "%s", p.text);
	unlink(path);
	snprintf(path, sizeof path, "%s/clip_two.mid", dir);
	/* ~ is $HOME, in completion and on Enter. */
	setenv("HOME", dir, 1);
	prompt_open(&p, 1, "open: ", "~/clip_t");
	CHECK(prompt_complete(&p) == 1);
	CHECK_MSG(strcmp(p.text, path) == 0, "%s", p.text);
	prompt_open(&p, 1, "save as: ", "~/new.mid");
	CHECK(prompt_key(&p, '\n') == PROMPT_ACCEPT);
	snprintf(path, sizeof path, "%s/new.mid", dir);
	CHECK_MSG(strcmp(p.text, path) == 0, "%s", p.text);
	prompt_open(&p, 1, "save as: ", "~user/x");	/* not ours */
	prompt_key(&p, '\n');
	CHECK(strcmp(p.text, "~user/x") == 0);
	snprintf(path, sizeof path, "%s/clip_two.mid", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/clip_one.mid", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * A long message wraps at spaces onto up to DRAW_MSG_LINES rows at the
 * bottom (the roll laid out above them), instead of being cut at the
 * screen's width; a short one keeps one row.
 */
static void
test_message_wrap(void)
{
	static const char	*msg = "A: /home/someone/music/a-long-name.mid: "
				    "too short: the melody is 16 steps, a window "
				    "needs 256; B: b.mid: No such file or "
				    "directory";
	struct roll		 r;
	struct ui_view		 v;
	struct roll_layout	 L, L1;
	struct pitch_rows	 pr[UI_LANES];
	char			 line[128];
	int			 start[4], len[4], n, i;

	n = draw_wrap("one two three", 7, 3, start, len);
	CHECK(n == 2 && len[0] == 7 && start[1] == 8 && len[1] == 5);
	n = draw_wrap("one two three", 6, 3, start, len);
	CHECK(n == 3 && len[0] == 3 && start[1] == 4 && len[1] == 3);
	CHECK(draw_wrap("abcdefghij", 4, 2, start, len) == 2 &&
	    len[0] == 4 && len[1] == 4);
	CHECK(draw_wrap("", 10, 3, start, len) == 0);
	n = draw_wrap(msg, 79, DRAW_MSG_LINES, start, len);
	CHECK(n == 2);
	for (i = 0; i < n; i++)
		CHECK(len[i] <= 79 && msg[start[i]] != ' ');
	CHECK(start[1] + len[1] == (int)strlen(msg));

	roll_init(&r, 5, 32);
	view_clips(&v);
	v.message = "ready";
	draw_layout(&L1, &r, &v, 80, 24, pr);
	CHECK(L1.message_rows == 1 && L1.message_y == 23);
	v.message = msg;
	v.message_is_error = 1;
	draw_layout(&L, &r, &v, 80, 24, pr);
	CHECK_MSG(L.message_rows == 2 && L.message_y == 22 &&
	    L.status_y == 21 && L.n_lanes == UI_LANES, "rows %d y %d",
	    L.message_rows, L.message_y);
	screen_row(&r, &v, 80, 24, 22, line, sizeof line);
	CHECK_MSG(strncmp(line, "A: /home/someone", 16) == 0, "\"%s\"", line);
	screen_row(&r, &v, 80, 24, 23, line, sizeof line);
	CHECK_MSG(strstr(line, "No such file or directory") != NULL &&
	    strncmp(line, msg + start[1], strlen(line)) == 0, "\"%s\"", line);
	roll_free(&r);
}

/*
 * , and . scroll a long loop in time while stopped; playing, the view
 * follows the playhead, editing, the cursor.  The legend is in the help.
 */
static void
test_scroll_time(void)
{
	struct roll		r;
	struct roll_layout	L;
	int			i;

	roll_init(&r, 5, 256);
	roll_layout(&L, &r, 80, 24, 256);
	CHECK(L.view_steps < 256);
	CHECK(roll_view_first(&L, &r, 256, -1) == 0);
	roll_apply(&r, ROLL_CMD_SCROLL_TIME, 16);
	CHECK(roll_view_first(&L, &r, 256, -1) == 16);
	for (i = 0; i < 40; i++)
		roll_apply(&r, ROLL_CMD_SCROLL_TIME, 16);
	CHECK(roll_view_first(&L, &r, 256, -1) == 256 - L.view_steps);
	CHECK(roll_view_first(&L, &r, 256, 3) == 0);	/* playing */
	for (i = 0; i < 40; i++)
		roll_apply(&r, ROLL_CMD_SCROLL_TIME, -16);
	CHECK(r.time_scroll == 0);
	/* With the width drawn known, the scroll stops at the last full
	   view: one press back moves the view at once. */
	r.view_steps = L.view_steps;
	for (i = 0; i < 40; i++)
		roll_apply(&r, ROLL_CMD_SCROLL_TIME, 16);
	CHECK(r.time_scroll == 256 - L.view_steps);
	roll_apply(&r, ROLL_CMD_SCROLL_TIME, -16);
	CHECK(roll_view_first(&L, &r, 256, -1) == 256 - L.view_steps - 16);
	CHECK(keys_lookup(',', ROLL_MODE_PLAY)->cmd == ROLL_CMD_SCROLL_TIME);
	CHECK(keys_lookup(KEY_NPAGE, ROLL_MODE_EDIT)->cmd ==
	    ROLL_CMD_SCROLL_PITCH);
	CHECK(help_line_with("{###", "note new since the last swap"));
	CHECK(help_line_with("12.3ms", "key to result; 0.0: ahead"));
	CHECK(help_line_with("PgDn", "scroll pitch rows down"));
	roll_free(&r);
}

int
main(void)
{
	test_slider();
	test_knobs();
	test_edit();
	test_edit_overlap();
	test_edit_follow();
	test_cc();
	test_snapshots();
	test_sweep();
	test_keys();
	test_remap();
	test_pad();
	test_layout();
	test_pitch_axis();
	test_status();
	test_title_cut();
	test_playhead_axis();
	test_edit_rows();
	test_help_screen();
	test_prompt();
	test_message_wrap();
	test_scroll_time();
	return (test_report());
}
