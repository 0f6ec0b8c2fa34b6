/*
 * draw.h: the only module that calls curses drawing.  It reads the state
 * and the view and never changes them.
 */
#ifndef LR_DRAW_H
#define LR_DRAW_H

#include "prompt.h"
#include "roll.h"
#include "ui.h"

/* Draw the whole screen (curses sends only what changed); the steps
   its lanes show (for roll.view_steps). */
int	draw_screen(const struct roll *r, const struct ui_view *v,
	    const struct prompt *p);

#define DRAW_ROWS_MAX	128	/* pitch rows of a lane that get notes */

/*
 * The pitch axis of one lane, top row first: row i holds the pitches
 * lo[i]..hi[i] (one pitch when equal) and is labelled with their names, so
 * a label never names a pitch other than the notes drawn in its row.
 */
struct pitch_rows {
	int	n;
	int	lo[DRAW_ROWS_MAX];
	int	hi[DRAW_ROWS_MAX];
};

/*
 * Map the pitches of lane `lane` to `rows` rows (pure, for the tests).  In
 * order of preference: one semitone a row over the notes of every lane (a
 * shared axis), one row per distinct pitch of every lane ("fold"), the same
 * two over the lane's own notes, and last one row per pitch of the lane
 * from the highest, scrolled down by r->pitch_scroll (PgUp/PgDn).  The
 * result lane in edit mode is one semitone a row around the cursor, so it
 * reaches any pitch.
 */
void	draw_pitch_rows(const struct ui_view *v, const struct roll *r,
	    int lane, int rows, struct pitch_rows *pr);
/* Notes of a lane out of its rows: above the top one, below. */
void	draw_hidden(const struct ui_lane *lane, const struct pitch_rows *pr,
	    int *above, int *below);
/* The row of a pitch, or -1 if the lane does not show it. */
int	draw_pitch_row(const struct pitch_rows *pr, int pitch);
/* The label of a row: "G4", or a range "F#-G4", "B3-C4". */
void	draw_row_label(const struct pitch_rows *pr, int row, char *buf,
	    size_t len);
#define DRAW_MSG_LINES	3	/* a long message wraps to this many rows */

/*
 * Break s into lines of at most width columns, at spaces where it can (a
 * word longer than a line is cut), for at most max lines: line i is
 * s[start[i]] for len[i] bytes.  Returns the lines used (0 for "").
 */
int	draw_wrap(const char *s, int width, int max, int *start, int *len);
/*
 * The layout of the screen, the labels widened to what the lanes need; a
 * message longer than the screen is wide takes up to DRAW_MSG_LINES rows
 * at the bottom, the rest laid out above it.
 */
void	draw_layout(struct roll_layout *L, const struct roll *r,
	    const struct ui_view *v, int cols, int rows,
	    struct pitch_rows pr[UI_LANES]);
/*
 * The status line that fits in cols: the least needed fields shortened or
 * dropped first; play state, EDIT and unsaved always stay.
 */
void	draw_status_line(char *line, size_t len, const struct roll *r,
	    const struct ui_view *v, int cols);

#endif
