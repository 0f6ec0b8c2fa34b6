/*
 * draw.h: the only module that calls curses drawing.  It reads the state
 * and the view and never changes them.
 */
#ifndef LR_DRAW_H
#define LR_DRAW_H

#include "ui/prompt.h"
#include "ui/roll.h"
#include "ui/ui.h"

/* Draw the whole screen (curses sends only what changed). */
void	draw_screen(const struct roll *r, const struct ui_view *v,
	    const struct prompt *p);

/*
 * The shared pitch window of the lanes: rows of `per_row` semitones from
 * *lo upward (pure; exported for the tests).
 */
void	draw_pitch_window(const struct ui_view *v, const struct roll *r,
	    int rows, int *lo, int *per_row);

#endif
