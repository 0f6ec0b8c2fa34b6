/*
 * ui.h: the ncurses instrument screen.  Plain data in, key commands out;
 * no BLAS, no PortMidi, no libsmf, no model headers here.  src/app.c fills
 * a struct ui_view (what to show), reads keys with ui_getkey(), turns them
 * into commands through ui/keys.c and applies the pure-state ones to a
 * struct roll (ui/roll.c).  Only ui/draw.c calls curses drawing.
 */
#ifndef LR_UI_H
#define LR_UI_H

#include <stddef.h>

#include "common.h"

#define UI_LANES	3	/* A, B, result */
#define UI_LANE_A	0
#define UI_LANE_B	1
#define UI_LANE_RESULT	2
#define UI_MAX_ATTRS	16
#define UI_KEY_ALT	0x100000	/* or-ed into a key read after ESC */

/* The part of a note: a trio has all three, a drums model drums only. */
#define UI_PART_MELODY	0
#define UI_PART_BASS	1
#define UI_PART_DRUMS	2

/* One note on the step grid (4 steps per quarter, 16 per bar). */
struct ui_note {
	int	pitch;		/* 0..127 */
	int	start;		/* step */
	int	end;		/* step, > start */
	int	part;		/* UI_PART_*; an added note: melody */
	int	changed;	/* result lane: differs from the last swap */
	int	sel;		/* edit mode: selected */
};

/* One piano-roll lane: a borrowed array of notes. */
struct ui_lane {
	const char		*title;	/* "A a.mid", "result" */
	const struct ui_note	*notes;
	size_t			 n;
};

/*
 * Everything the screen shows that does not live in struct roll: filled by
 * src/app.c from the model, the player and the clips.  Strings are
 * borrowed for the duration of one draw.
 */
struct ui_view {
	struct ui_lane	 lanes[UI_LANES];
	int		 steps;		/* time axis length (loop) */
	int		 playhead;	/* step within the loop, -1: stopped */

	int		 n_attrs;
	const char	*attr_names[UI_MAX_ATTRS];
	float		 attr_value[UI_MAX_ATTRS];	/* measured on result */
	int		 attrs_known;	/* attr_value valid */
	int		 have_vecs;	/* attribute_vecs.json found */

	const char	*model;		/* "mel_2bar" */
	const char	*device;	/* "no MIDI output" */
	double		 qpm;
	const char	*clock;		/* "int" / "ext" */
	int		 playing;
	double		 latency_ms;	/* key -> new result, < 0: none yet */
	int		 busy;		/* the worker is decoding */
	const char	*keylock;	/* NULL: off, else "G major" */
	const char	*pad;		/* NULL: off, else the pad summary */
	const char	*message;	/* last message or error */
	int		 message_is_error;
};

/* Terminal setup and teardown (ui.c).  ui_stop is safe to call twice. */
int	ui_start(char **cause) LR_WUR;
void	ui_stop(void);
int	ui_active(void);
/* Install the SIGWINCH handler (sets a flag only). */
void	ui_winch_install(void);
/* 1 (once) if the terminal was resized since the last call; resizes curses. */
int	ui_resized(void);
/* Read one key without blocking: -1 if none; Alt+x as x | UI_KEY_ALT. */
int	ui_getkey(void);
/* Repaint the whole terminal on the next draw (C-l). */
void	ui_redraw(void);
/* Current terminal size. */
void	ui_size(int *cols, int *rows);
/* The version of the ui layer (for the --version line). */
const char	*ui_version(void);

/* Note name of a MIDI pitch ("C4", "F#5") into buf (at least 5 bytes). */
void	ui_note_name(int pitch, char *buf, size_t len);

#endif
