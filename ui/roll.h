/*
 * roll.h: the instrument's UI state as plain data (like cmus's window.c):
 * slider, attribute selection and nudges, temperature, seed, edit cursor,
 * selection, undo/redo, snapshots, sweep, modes and dirty bits.  No curses,
 * no I/O: every function here is unit-tested without a terminal.
 */
#ifndef LR_ROLL_H
#define LR_ROLL_H

#include <stddef.h>

#include "common.h"
#include "ui.h"

#define ROLL_LADDER	33	/* slider points A..B, decoded as one batch */
#define ROLL_SLIDER_MAX	(ROLL_LADDER - 1)
#define ROLL_SNAPSHOTS	8
#define ROLL_UNDO	64
#define ROLL_NUDGE_STEP	0.25f
#define ROLL_NUDGE_MAX	3.0f
#define ROLL_TEMP_STEP	0.1f
#define ROLL_TEMP_MAX	2.0f
#define ROLL_NOTE_LEN	2	/* steps of a note added in edit mode */
#define ROLL_PAD_N	5	/* pad points per side (bilinear grid) */

enum roll_mode {
	ROLL_MODE_PLAY,		/* slider and knobs */
	ROLL_MODE_EDIT,		/* cursor on the result lane */
	ROLL_MODE_PAD,		/* play mode with the pad on (key lookup) */
};

/* Named commands (ui/keys.c maps keys to these). */
enum roll_cmd {
	ROLL_CMD_NONE,
	/* play mode, pure state */
	ROLL_CMD_SLIDER,	/* arg: steps of 1/32, signed */
	ROLL_CMD_JUMP,		/* arg: 0..9 (0 = A, 9 = B) */
	ROLL_CMD_ATTR,		/* arg: -1 up, +1 down */
	ROLL_CMD_NUDGE,		/* arg: +1 / -1 */
	ROLL_CMD_NUDGE_RESET,
	ROLL_CMD_TEMP,		/* arg: +1 / -1 */
	ROLL_CMD_RESEED,
	ROLL_CMD_INTERP,	/* slerp <-> lerp */
	ROLL_CMD_SNAP,		/* arg: 0..7: recall, or store if empty */
	ROLL_CMD_SNAP_STORE,	/* arg: 0..7: store (overwrite) */
	ROLL_CMD_SWEEP,		/* off -> triangle -> sine -> off */
	ROLL_CMD_SWEEP_BARS,	/* arg: +1 / -1 (bars per sweep) */
	ROLL_CMD_SWEEP_TARGET,	/* the slider <-> the selected attribute */
	ROLL_CMD_LANE,		/* which lane a small screen shows */
	ROLL_CMD_SCROLL_PITCH,	/* arg: rows, + shows lower pitches */
	ROLL_CMD_SCROLL_TIME,	/* arg: steps, signed */
	ROLL_CMD_HELP,
	ROLL_CMD_EDIT,		/* enter / leave edit mode */
	ROLL_CMD_UNDO,
	ROLL_CMD_REDO,
	/* edit mode, pure state */
	ROLL_CMD_CURSOR_STEP,	/* arg: signed steps */
	ROLL_CMD_CURSOR_PITCH,	/* arg: signed semitones */
	ROLL_CMD_NOTE_ADD,
	ROLL_CMD_NOTE_DELETE,
	ROLL_CMD_SELECT,	/* toggle the note under the cursor */
	ROLL_CMD_SELECT_NONE,
	ROLL_CMD_NOTE_MOVE,	/* arg: signed steps */
	ROLL_CMD_NOTE_LENGTH,	/* arg: signed steps */
	ROLL_CMD_TRANSPOSE,	/* arg: signed semitones */
	/* pad mode, pure state */
	ROLL_CMD_PAD,		/* enter / leave the pad */
	ROLL_CMD_PAD_X,		/* arg: +1 / -1 */
	ROLL_CMD_PAD_Y,		/* arg: +1 / -1 */
	/* need I/O: handled by src/app.c */
	ROLL_CMD_PLAY,
	ROLL_CMD_TEMPO,		/* arg: +1 / -1 */
	ROLL_CMD_DEVICE,
	ROLL_CMD_LEARN,
	ROLL_CMD_OPEN,
	ROLL_CMD_WINDOW,
	ROLL_CMD_COPY,
	ROLL_CMD_SAVE,
	ROLL_CMD_SAVE_SET,
	ROLL_CMD_SAVE_AUDIO,
	ROLL_CMD_KEYLOCK,
	ROLL_CMD_REDRAW,
	ROLL_CMD_QUIT,
	ROLL_CMD_COUNT
};

/* roll_apply() result bits: what the caller must act on. */
#define ROLL_CHG_SLIDER		0x01	/* show ladder point r->slider */
#define ROLL_CHG_LADDER		0x02	/* nudges/temperature/seed/kind:
					   decode the ladder again */
#define ROLL_CHG_EDIT		0x04	/* the edited notes changed */
#define ROLL_CHG_VIEW		0x08	/* only the screen */
#define ROLL_CHG_APP		0x10	/* not a state command: app's job */

/* Dirty bits for drawing. */
#define ROLL_DIRTY_ALL		0x01

/* A growable list of notes. */
struct roll_notes {
	struct ui_note	*v;
	size_t		 n, cap;
};

struct roll_snapshot {
	int	valid;
	int	slider;
	int	pad_on, pad_x, pad_y;	/* the pad's point, when on */
	float	nudge[UI_MAX_ATTRS];
};

enum roll_sweep {
	ROLL_SWEEP_OFF,
	ROLL_SWEEP_TRIANGLE,
	ROLL_SWEEP_SINE,
};

struct roll {
	enum roll_mode		 mode;
	int			 slider;	/* ladder index 0..32 */
	int			 lerp;		/* 0 slerp, 1 lerp */
	float			 temperature;	/* 0 = argmax */
	unsigned		 seed;

	int			 n_attrs;
	int			 attr_sel;
	float			 nudge[UI_MAX_ATTRS];

	/* Edit mode works on a copy of the result. */
	int			 steps;		/* loop length */
	int			 cur_step;
	int			 cur_pitch;
	struct roll_notes	 edit;
	int			 edit_active;	/* result lane shows edit */
	int			 unsaved;	/* edits not saved yet */
	int			 edit_dropped;	/* roll_edit_drop() put the edit
						   on the undo stack; the app
						   says so and clears it */
	struct roll_notes	 undo[ROLL_UNDO];
	int			 n_undo;
	struct roll_notes	 redo[ROLL_UNDO];
	int			 n_redo;

	struct roll_snapshot	 snaps[ROLL_SNAPSHOTS];

	enum roll_sweep		 sweep;
	int			 sweep_bars;	/* period in bars */
	int			 sweep_attr;	/* 1: sweep the selected nudge
						   from -max to +max instead */

	int			 pad_on;	/* 2-D pad instead of slider */
	int			 pad_x, pad_y;	/* 0..ROLL_PAD_N-1 */

	int			 help;		/* help overlay page, 0: off */
	int			 lane;		/* lane shown when small */
	int			 pitch_scroll;	/* rows scrolled down from the
						   highest, when a lane's
						   pitches do not fit */
	int			 time_scroll;	/* first step shown when
						   stopped (not editing) */
	const char		*refused;	/* why the last edit key did
						   nothing, or NULL */
	int			 view_steps;	/* steps the last drawing
						   showed (0: not drawn):
						   time_scroll stops at
						   steps - view_steps */
	unsigned		 dirty;
};

void	roll_init(struct roll *r, int n_attrs, int steps);
void	roll_free(struct roll *r);

/*
 * Apply one command's state change (roll.c's table); returns ROLL_CHG_*
 * bits, ROLL_CHG_APP for a command that is the app's alone.
 */
int	roll_apply(struct roll *r, enum roll_cmd cmd, int arg);
/* Whether cmd changes roll state (has an entry in roll.c's table). */
int	roll_has_state(enum roll_cmd cmd);

/*
 * A MIDI control bound by learn ("slider", "temperature", "attr:K") moved
 * to amount in [0, 1]: the same change as the keys make, the edit dropped
 * like theirs.  Returns ROLL_CHG_SLIDER, ROLL_CHG_LADDER or 0 (no change).
 */
int	roll_cc(struct roll *r, const char *target, double amount);

/*
 * The decoded point the result lane shows: the slider's ladder index, or
 * with the pad on pad_y * ROLL_PAD_N + pad_x.
 */
int	roll_point(const struct roll *r);
/* The mode keys are looked up in (ROLL_MODE_PAD when the pad is on). */
int	roll_key_mode(const struct roll *r);
/* Slider position as a number in [0, 1]. */
float	roll_slider_value(const struct roll *r);
/* The ladder point for a position in [0, 1] (nearest). */
int	roll_slider_index(float t);

/*
 * Start editing from the current result (copied); the cursor goes to the
 * first note.  Leaves edit_active as it was if already editing.
 */
void	roll_edit_begin(struct roll *r, const struct ui_note *notes, size_t n);
/*
 * The result lane shows new notes while edit mode has nothing edited yet:
 * edit those (a key in edit mode works on what is on screen).
 */
void	roll_edit_follow(struct roll *r, const struct ui_note *notes,
	    size_t n);
/* The result is being replaced: keep the edit on the undo stack. */
void	roll_edit_drop(struct roll *r);
/* Index of the note under the cursor, or -1. */
int	roll_note_at(const struct roll *r, int step, int pitch);

/* Sweep position in [0, 1] at a (fractional) bar count since the start. */
float	roll_sweep_pos(enum roll_sweep shape, int bars, double bar);

/* Copy the notes of one list into another (replacing it). */
void	roll_notes_set(struct roll_notes *dst, const struct ui_note *v,
	    size_t n);
void	roll_notes_free(struct roll_notes *l);

/*
 * Screen layout (pure, so it is tested): which lanes are shown, where.
 * At 80x24 all three lanes stack; below that one lane at a time (Tab).
 */
struct roll_layout {
	int	cols, rows;
	int	n_lanes;		/* lanes shown */
	int	lane_idx[UI_LANES];	/* which */
	int	lane_y[UI_LANES];	/* title row */
	int	lane_h[UI_LANES];	/* pitch rows of each lane (every spare
					   row goes to a lane, the result
					   lane first) */
	int	axis_y;			/* time axis row */
	int	label_w;		/* pitch label columns */
	int	step_w;			/* columns per step (1 or 2) */
	int	view_steps;		/* steps visible */
	int	slider_y;
	int	attrs_y, attrs_rows, attrs_per_row;
	int	status_y;
	int	message_y;
	int	message_rows;		/* 1, more when a long message wraps
					   (draw_layout) */
};

void	roll_layout(struct roll_layout *L, const struct roll *r, int cols,
	    int rows, int steps);
/* Widen the pitch labels to label_w columns (fewer steps may fit). */
void	roll_layout_label(struct roll_layout *L, int steps, int label_w);
/* First step shown so the cursor/playhead stays visible. */
int	roll_view_start(const struct roll_layout *L, int steps, int focus);
/*
 * First step shown: the edit cursor's page, the playhead's while playing,
 * else where , and . scrolled to (r->time_scroll, kept on the loop).
 */
int	roll_view_first(const struct roll_layout *L, const struct roll *r,
	    int steps, int playhead);

#endif
