/*
 * draw.c: the piano roll on screen.  Layout comes from roll_layout() (pure,
 * tested); this file only turns state into characters.  Notes are drawn in
 * plain ASCII so they read the same in monochrome and in a captured pane:
 *   [===   a note (start, then its length)
 *   {###   a result note that changed since the last swap
 * bar lines are '|', beats ':', the playhead '^' on the time axis.
 */
#include "draw.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"

#define PAIR_A		1
#define PAIR_B		2
#define PAIR_RESULT	3
#define PAIR_CHANGED	4
#define PAIR_ERROR	5
#define PAIR_GRID	6

static void	draw_lane(const struct roll *r, const struct ui_view *v,
		    const struct roll_layout *L, int slot,
		    const struct pitch_rows *pr, int view0);
static void	draw_axis(const struct ui_view *v, const struct roll_layout *L,
		    int view0);
static void	draw_slider(const struct roll *r, const struct roll_layout *L);
static void	draw_attrs(const struct roll *r, const struct ui_view *v,
		    const struct roll_layout *L);
static void	draw_status(const struct roll *r, const struct ui_view *v,
		    const struct roll_layout *L, const struct prompt *p);
static void	draw_help(const struct roll *r,
		    const struct roll_layout *L);

/* Screen columns of a UTF-8 string (one per character). */
static int
text_cols(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return (n);
}

static attr_t
pair(int n)
{
	return (has_colors() ? COLOR_PAIR(n) : A_NORMAL);
}

/* The pitches in use, of one lane or (lane < 0) of every lane. */
static int
pitch_set(const struct ui_view *v, int lane, char used[128])
{
	int	i, p, n = 0;
	size_t	j;

	memset(used, 0, 128);
	for (i = 0; i < UI_LANES; i++) {
		if (lane >= 0 && i != lane)
			continue;
		for (j = 0; j < v->lanes[i].n; j++) {
			p = v->lanes[i].notes[j].pitch;
			if (p >= 0 && p <= 127 && !used[p]) {
				used[p] = 1;
				n++;
			}
		}
	}
	return (n);
}

/* One semitone a row, lo on the bottom row. */
static void
rows_chromatic(struct pitch_rows *pr, int rows, int lo)
{
	int	i;

	if (lo + rows > 128)
		lo = 128 - rows;
	if (lo < 0)
		lo = 0;
	pr->n = rows;
	for (i = 0; i < rows; i++)
		pr->lo[i] = pr->hi[i] = lo + rows - 1 - i;
}

/* Lowest and highest pitch of a set (with at least one pitch). */
static void
pitch_span(const char used[128], int *min, int *max)
{
	for (*min = 0; *min < 127 && !used[*min]; (*min)++)
		;
	for (*max = 127; *max > 0 && !used[*max]; (*max)--)
		;
}

/*
 * A set of n pitches on `rows` rows: one semitone a row if its span fits,
 * else one row per pitch (the spare rows the semitones just above and
 * below).  Returns 0 if neither fits.
 */
static int
rows_fit(struct pitch_rows *pr, int rows, const char used[128], int n)
{
	int	asc[128], min, max, below, above, k, p;

	if (n == 0)
		return (0);
	pitch_span(used, &min, &max);
	if (max - min + 1 <= rows) {
		rows_chromatic(pr, rows, min - (rows - (max - min + 1)) / 2);
		return (1);
	}
	if (n > rows)
		return (0);
	above = (rows - n) / 2;
	if (above > 127 - max)
		above = 127 - max;
	below = rows - n - above;
	if (below > min) {
		below = min;
		above = rows - n - below;	/* rows <= 128: fits */
	}
	k = 0;
	for (p = min - below; p < min; p++)
		asc[k++] = p;
	for (p = min; p <= max; p++) {
		if (used[p])
			asc[k++] = p;
	}
	for (p = max + 1; p <= max + above; p++)
		asc[k++] = p;
	pr->n = k;
	for (p = 0; p < k; p++)
		pr->lo[p] = pr->hi[p] = asc[k - 1 - p];
	return (1);
}

/*
 * More distinct pitches than rows: one row per pitch still (a row never
 * holds two pitches, which read as one), `rows` of them from the highest
 * down, scrolled by `scroll` rows (kept in range); the lane's title counts
 * the notes out of view.
 */
static void
rows_scroll(struct pitch_rows *pr, int rows, const char used[128],
    int scroll)
{
	int	desc[128], n = 0, p, i;

	for (p = 127; p >= 0; p--) {
		if (used[p])
			desc[n++] = p;
	}
	if (scroll > n - rows)
		scroll = n - rows;
	if (scroll < 0)
		scroll = 0;
	pr->n = 0;
	for (i = scroll; i < n && pr->n < rows; i++) {
		pr->lo[pr->n] = pr->hi[pr->n] = desc[i];
		pr->n++;
	}
}

void
draw_pitch_rows(const struct ui_view *v, const struct roll *r, int lane,
    int rows, struct pitch_rows *pr)
{
	char	all[128], own[128];
	int	n_all, n_own, min, max, lo;

	if (rows > DRAW_ROWS_MAX)
		rows = DRAW_ROWS_MAX;
	pr->n = 0;
	if (rows < 1)
		return;
	n_all = pitch_set(v, -1, all);
	if (lane == UI_LANE_RESULT && r->mode == ROLL_MODE_EDIT) {
		/* Editing: one semitone a row, the notes centred while the
		   cursor is among them, else the cursor. */
		lo = r->cur_pitch - rows / 2;
		if (n_all > 0) {
			pitch_span(all, &min, &max);
			if (max - min + 1 <= rows &&
			    r->cur_pitch >= min - (rows - (max - min + 1)) / 2 &&
			    r->cur_pitch < min - (rows - (max - min + 1)) / 2 +
			    rows)
				lo = min - (rows - (max - min + 1)) / 2;
			else if (max - min + 1 > rows &&
			    r->cur_pitch >= min && r->cur_pitch <= max) {
				/* More pitches than rows: the cursor's
				   window, but no empty rows past the notes
				   while notes are hidden on the other side. */
				if (lo < min)
					lo = min;
				if (lo + rows - 1 > max)
					lo = max - rows + 1;
			}
		}
		rows_chromatic(pr, rows, lo);
		return;
	}
	if (n_all == 0) {
		rows_chromatic(pr, rows, 66 - rows / 2);
		return;
	}
	if (rows_fit(pr, rows, all, n_all))
		return;
	n_own = pitch_set(v, lane, own);
	if (rows_fit(pr, rows, own, n_own))
		return;
	rows_scroll(pr, rows, n_own > 0 ? own : all, r->pitch_scroll);
}

int
draw_pitch_row(const struct pitch_rows *pr, int pitch)
{
	int	i;

	for (i = 0; i < pr->n; i++) {
		if (pitch >= pr->lo[i] && pitch <= pr->hi[i])
			return (i);
	}
	return (-1);
}

void
draw_row_label(const struct pitch_rows *pr, int row, char *buf, size_t len)
{
	char	lo[8], hi[8];
	int	a, b;

	if (row < 0 || row >= pr->n) {
		snprintf(buf, len, "%s", "");
		return;
	}
	a = pr->lo[row];
	b = pr->hi[row];
	ui_note_name(b, hi, sizeof hi);
	if (a == b) {
		snprintf(buf, len, "%s", hi);
		return;
	}
	ui_note_name(a, lo, sizeof lo);
	/* Same octave: "F#-G4"; else "B3-C4". */
	if (a / 12 == b / 12)
		lo[strcspn(lo, "-0123456789")] = '\0';
	snprintf(buf, len, "%s-%s", lo, hi);
}

int
draw_wrap(const char *s, int width, int max, int *start, int *len)
{
	int	n = 0, off = 0, end, cut, cols, i;

	if (width < 1)
		width = 1;
	while (s[off] != '\0' && n < max) {
		/* Up to width characters (UTF-8 continuations ride along). */
		for (i = off, cols = 0, cut = -1; s[i] != '\0'; i++) {
			if (((unsigned char)s[i] & 0xc0) == 0x80)
				continue;
			if (cols == width)
				break;
			if (s[i] == ' ')
				cut = i;
			cols++;
		}
		end = i;
		/* A line that ends on a word's end needs no cut. */
		if (s[i] != '\0' && s[i] != ' ' && n < max - 1 && cut > off)
			end = cut;
		if (start != NULL)
			start[n] = off;
		if (len != NULL)
			len[n] = end - off;
		n++;
		off = end;
		while (s[off] == ' ')
			off++;
	}
	return (n);
}

void
draw_hidden(const struct ui_lane *lane, const struct pitch_rows *pr,
    int *above, int *below)
{
	size_t	j;

	*above = *below = 0;
	if (pr->n == 0)
		return;
	for (j = 0; j < lane->n; j++) {
		if (draw_pitch_row(pr, lane->notes[j].pitch) >= 0)
			continue;
		if (lane->notes[j].pitch > pr->hi[0])
			(*above)++;
		else
			(*below)++;
	}
}

void
draw_layout(struct roll_layout *L, const struct roll *r,
    const struct ui_view *v, int cols, int rows,
    struct pitch_rows pr[UI_LANES])
{
	char	label[16];
	int	i, j, w, n;

	n = v->message != NULL ? draw_wrap(v->message, cols - 1,
	    DRAW_MSG_LINES, NULL, NULL) : 1;
	if (n < 1)
		n = 1;
	roll_layout(L, r, cols, rows - (n - 1), v->steps);
	L->message_rows = n;
	w = L->label_w;
	for (i = 0; i < L->n_lanes; i++) {
		draw_pitch_rows(v, r, L->lane_idx[i], L->lane_h[i], &pr[i]);
		for (j = 0; j < pr[i].n; j++) {
			draw_row_label(&pr[i], j, label, sizeof label);
			if ((int)strlen(label) + 1 > w)
				w = (int)strlen(label) + 1;
		}
	}
	/* Labels never take more than half the screen. */
	if (w > L->label_w && w <= cols / 2)
		roll_layout_label(L, v->steps, w);
}

static void
draw_lane(const struct roll *r, const struct ui_view *v,
    const struct roll_layout *L, int slot, const struct pitch_rows *pr,
    int view0)
{
	static const char	*titles[UI_LANES] = { "A", "B", "result" };
	static const int	 pairs[UI_LANES] = { PAIR_A, PAIR_B,
				     PAIR_RESULT };
	const struct ui_lane	*lane;
	char			 label[16], title[300], more[32], *t;
	int			 li, y0, row, s, x, y, c, i, len;
	int			 above, below, cut;
	size_t			 j;

	li = L->lane_idx[slot];
	lane = &v->lanes[li];
	y0 = L->lane_y[slot];

	/* Title row: "-- A a.mid ------", "^3 v2" for notes out of view. */
	draw_hidden(lane, pr, &above, &below);
	snprintf(more, sizeof more, "%s%.0d%s%.0d", above > 0 ? " ^" : "",
	    above, below > 0 ? " v" : "", below);
	snprintf(title, sizeof title, "-- %s", lane->title != NULL ?
	    lane->title : titles[li]);
	/* Too wide: the title is cut, not the counts of notes out of
	   view after it (they say the lane hides something). */
	cut = L->cols - text_cols(more) - 1;
	if (text_cols(title) > cut && cut > 3) {
		for (t = title, x = 0; *t != '\0' && x < cut - 1; x++)
			do
				t++;
			while (((unsigned char)*t & 0xc0) == 0x80);
		snprintf(t, sizeof title - (size_t)(t - title), ">");
	}
	snprintf(title + strlen(title), sizeof title - strlen(title), "%s ",
	    more);
	len = text_cols(title);
	attron(pair(pairs[li]) | A_BOLD);
	mvaddnstr(y0, 0, title, L->cols);
	for (x = len; x < L->cols; x++)
		mvaddch(y0, x, '-');
	attroff(pair(pairs[li]) | A_BOLD);

	/* Pitch labels and the grid. */
	for (row = 0; row < L->lane_h[slot]; row++) {
		y = y0 + 1 + row;
		draw_row_label(pr, row, label, sizeof label);
		/* A cut label would name another pitch: none then. */
		if ((int)strlen(label) >= L->label_w)
			label[0] = '\0';
		mvprintw(y, 0, "%-*s", L->label_w, label);
		attron(pair(PAIR_GRID));
		for (i = 0; i < L->view_steps; i++) {
			s = view0 + i;
			c = s % 16 == 0 ? '|' : (s % 4 == 0 ? ':' : ' ');
			for (x = 0; x < L->step_w; x++)
				mvaddch(y, L->label_w + i * L->step_w + x,
				    x == 0 ? c : ' ');
		}
		attroff(pair(PAIR_GRID));
	}

	/* Notes, clipped to the view. */
	for (j = 0; j < lane->n; j++) {
		const struct ui_note	*n = &lane->notes[j];
		attr_t			 a;

		row = draw_pitch_row(pr, n->pitch);
		if (row < 0 || row >= L->lane_h[slot])
			continue;
		y = y0 + 1 + row;
		a = pair(n->changed ? PAIR_CHANGED : pairs[li]);
		if (n->sel)
			a |= A_REVERSE;
		if (n->changed)
			a |= A_BOLD;
		attron(a);
		for (s = n->start; s < n->end; s++) {
			if (s < view0 || s >= view0 + L->view_steps)
				continue;
			for (x = 0; x < L->step_w; x++) {
				if (s == n->start && x == 0)
					c = n->changed ? '{' : '[';
				else
					c = n->changed ? '#' : '=';
				mvaddch(y, L->label_w + (s - view0) * L->step_w
				    + x, c);
			}
		}
		attroff(a);
	}

	/* The edit cursor, on the result lane. */
	row = draw_pitch_row(pr, r->cur_pitch);
	if (li == UI_LANE_RESULT && r->mode == ROLL_MODE_EDIT && row >= 0 &&
	    row < L->lane_h[slot] && r->cur_step >= view0 &&
	    r->cur_step < view0 + L->view_steps) {
		y = y0 + 1 + row;
		x = L->label_w + (r->cur_step - view0) * L->step_w;
		mvchgat(y, x, L->step_w, A_REVERSE, 0, NULL);
	}
}

static void
draw_axis(const struct ui_view *v, const struct roll_layout *L, int view0)
{
	int	i, s, x, c;

	move(L->axis_y, 0);
	clrtoeol();
	for (i = 0; i < L->view_steps; i++) {
		s = view0 + i;
		x = L->label_w + i * L->step_w;
		if (s % 16 == 0)
			mvprintw(L->axis_y, x, "%d", s / 16 + 1);
		else if (s % 4 == 0)
			mvaddch(L->axis_y, x, '.');
	}
	if (v->playhead >= view0 && v->playhead < view0 + L->view_steps) {
		x = L->label_w + (v->playhead - view0) * L->step_w;
		/* On a digit of a bar number the mark is the digit shown
		   reversed: a '^' there would turn bar 10 into "1^". */
		c = (int)(mvinch(L->axis_y, x) & A_CHARTEXT);
		if (c >= '0' && c <= '9')
			mvchgat(L->axis_y, x, 1, A_BOLD | A_REVERSE, 0, NULL);
		else {
			attron(A_BOLD | A_REVERSE);
			mvaddch(L->axis_y, x, '^');
			attroff(A_BOLD | A_REVERSE);
		}
	}
}

/*
 * The slider's tail at a level of detail: 0 " slerp t 0.5 seed 7 sweep
 * tri/4 attr", 1 " slerp t0.5 s7 tri/4a", 2 without the seed, 3 nothing.
 */
static void
slider_tail(char *tail, size_t len, const struct roll *r, int level)
{
	static const char	*sweeps[] = { "", "tri", "sin" };
	const char		*kind = r->lerp ? "lerp" : "slerp";
	char			 sweep[32], seed[24];

	tail[0] = sweep[0] = seed[0] = '\0';
	if (level >= 3)
		return;
	if (r->sweep != ROLL_SWEEP_OFF)
		snprintf(sweep, sizeof sweep, level == 0 ? " sweep %s/%d%s" :
		    " %s/%d%s", sweeps[r->sweep], r->sweep_bars, r->sweep_attr ?
		    (level == 0 ? " attr" : "a") : "");
	if (level == 0)
		snprintf(seed, sizeof seed, " seed %u", r->seed);
	else if (level == 1)
		snprintf(seed, sizeof seed, " s%u", r->seed);
	snprintf(tail, len, " %s t%s%.1f%s%s", kind, level == 0 ? " " : "",
	    (double)r->temperature, seed, sweep);
}

static void
draw_slider(const struct roll *r, const struct roll_layout *L)
{
	char	tail[96];
	int	w, x, pos, level, y = L->slider_y;

	move(y, 0);
	clrtoeol();
	if (r->pad_on) {
		/* A row of the pad: x across, y as the row number. */
		mvprintw(y, 0, "pad x %.2f y %.2f  A ",
		    (double)r->pad_x / (ROLL_PAD_N - 1),
		    (double)r->pad_y / (ROLL_PAD_N - 1));
		for (x = 0; x < ROLL_PAD_N; x++)
			addch(x == r->pad_x ? ('0' + r->pad_y) | A_REVERSE |
			    A_BOLD : '.');
		addstr(" B / C..D");
		/* The most of the tail that fits whole. */
		for (level = 0; level < 3; level++) {
			slider_tail(tail, sizeof tail, r, level);
			if (getcurx(stdscr) + (int)strlen(tail) <= L->cols)
				break;
		}
		slider_tail(tail, sizeof tail, r, level);
		addnstr(tail, L->cols - getcurx(stdscr));
		return;
	}
	mvprintw(y, 0, "slider %.2f ", (double)roll_slider_value(r));
	/*
	 * The bar takes what is left, at least 5 cells; on a narrow screen
	 * the tail goes short first, then the bar down to 3 cells, then the
	 * seed, and only then the kind and temperature.
	 */
	for (level = 0; level < 4; level++) {
		slider_tail(tail, sizeof tail, r, level < 2 ? level :
		    level - 1);
		w = L->cols - 12 - 2 - (int)strlen(tail);
		if (w >= (level == 2 ? 3 : 5))
			break;
	}
	if (level == 4) {
		tail[0] = '\0';
		w = L->cols - 12 - 2;
	}
	if (w < 3)
		return;
	pos = (r->slider * (w - 1) + ROLL_SLIDER_MAX / 2) / ROLL_SLIDER_MAX;
	addch('A');
	for (x = 0; x < w; x++)
		addch(x == pos ? ('|' | A_BOLD | A_REVERSE) :
		    (x < pos ? '=' : '-'));
	addch('B');
	addnstr(tail, L->cols - getcurx(stdscr));
}

static void
draw_attrs(const struct roll *r, const struct ui_view *v,
    const struct roll_layout *L)
{
	char	cell[64], val[16];
	int	i, first, cw, y, x, slot;

	for (y = 0; y < L->attrs_rows; y++) {
		move(L->attrs_y + y, 0);
		clrtoeol();
	}
	if (v->n_attrs == 0) {
		mvaddnstr(L->attrs_y, 0, "no attribute vectors", L->cols);
		return;
	}
	cw = L->cols / L->attrs_per_row;
	/* On a small screen only the selected attribute fits. */
	first = L->attrs_per_row == 1 && L->attrs_rows == 1 ? r->attr_sel : 0;
	for (i = first, slot = 0; i < v->n_attrs &&
	    slot < L->attrs_rows * L->attrs_per_row; i++, slot++) {
		if (v->attrs_known)
			snprintf(val, sizeof val, "%5.2f",
			    (double)v->attr_value[i]);
		else
			snprintf(val, sizeof val, "    ?");
		snprintf(cell, sizeof cell, "%c%-12.12s%+5.2f=%s",
		    i == r->attr_sel ? '>' : ' ', v->attr_names[i],
		    (double)r->nudge[i], val);
		y = L->attrs_y + slot / L->attrs_per_row;
		x = (slot % L->attrs_per_row) * cw;
		if (i == r->attr_sel)
			attron(A_BOLD);
		if (!v->have_vecs)
			attron(A_DIM);
		mvaddnstr(y, x, cell, cw - 1 > 0 ? cw - 1 : 1);
		attroff(A_BOLD | A_DIM);
	}
}

/*
 * What the status line gives up, least needed first, one step a level, so
 * that the state a player must see (play state, edit mode, unsaved edits)
 * stays at 40 columns whatever the device is called.
 */
enum {
	ST_CLOCK = 1,		/* "int" goes ("ext" stays) */
	ST_LAT_SHORT,		/* "101ms" */
	ST_DEV12,		/* device name cut to 12, at a word */
	ST_MODEL10,		/* model name cut to 10 */
	ST_DEV8,
	ST_MODEL_OFF,
	ST_SEP,			/* "|" between fields, not " | " */
	ST_WORDS,		/* "play", "stop", "120bpm", "key " goes */
	ST_LAT_OFF,
	ST_DEV_OFF,
	ST_TEMPO_OFF,
	ST_KEY_OFF,
	ST_BUSY_OFF,		/* last: play state, EDIT, unsaved stay */
	ST_LAST = ST_BUSY_OFF
};

/* Append a field to the line with the separator of the level. */
static void
status_add(char *line, size_t len, int level, const char *field)
{
	size_t	n = strlen(line);

	if (field[0] == '\0' || n + 1 >= len)
		return;
	snprintf(line + n, len - n, "%s%s", n == 0 ? "" : (level >= ST_SEP ?
	    "|" : " | "), field);
}

/* A name cut to w bytes, at a word if one ends past half of it. */
static void
status_cut(char *buf, size_t len, const char *s, int w)
{
	size_t	n, i, want;
	char	*sp;

	snprintf(buf, len, "%.*s", w, s);
	n = strlen(buf);
	if (n < strlen(s) && s[n] != ' ' && (sp = strrchr(buf, ' ')) != NULL &&
	    sp - buf >= w / 2)
		*sp = '\0';
	/* Not in the middle of a UTF-8 character. */
	n = strlen(buf);
	for (i = n; i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80; i--)
		;
	if (i > 0 && (unsigned char)buf[i - 1] >= 0xc0) {
		want = (unsigned char)buf[i - 1] >= 0xf0 ? 4 :
		    ((unsigned char)buf[i - 1] >= 0xe0 ? 3 : 2);
		if (i - 1 + want > n)
			buf[i - 1] = '\0';
	}
	n = strlen(buf);
	while (n > 0 && strchr(" :(-", buf[n - 1]) != NULL)
		buf[--n] = '\0';
}

static void
status_text(char *line, size_t len, const struct roll *r,
    const struct ui_view *v, int level)
{
	char		 f[96];
	const char	*model = v->model != NULL ? v->model : "no model";
	const char	*dev = v->device != NULL ? v->device : "no MIDI output";
	int		 words = level >= ST_WORDS;

	line[0] = '\0';
	if (level < ST_MODEL_OFF) {
		status_cut(f, sizeof f, model, level >= ST_MODEL10 ? 10 : 64);
		status_add(line, len, level, f);
	}
	if (level < ST_DEV_OFF) {
		status_cut(f, sizeof f, dev, level >= ST_DEV8 ? 8 :
		    (level >= ST_DEV12 ? 12 : 64));
		status_add(line, len, level, f);
	}
	if (level < ST_TEMPO_OFF) {
		if (level < ST_CLOCK)
			snprintf(f, sizeof f, "%.0f bpm %s", v->qpm,
			    v->clock != NULL ? v->clock : "int");
		else
			snprintf(f, sizeof f, "%.0f%sbpm%s", v->qpm,
			    words ? "" : " ", v->clock != NULL &&
			    strcmp(v->clock, "ext") == 0 ? " ext" : "");
		status_add(line, len, level, f);
	}
	snprintf(f, sizeof f, "%s%s", v->playing ? (words ? "play" :
	    "playing") : (words ? "stop" : "stopped"), v->busy &&
	    level < ST_BUSY_OFF ? " decoding" : "");
	status_add(line, len, level, f);
	if (level < ST_LAT_OFF) {
		if (v->latency_ms < 0)
			snprintf(f, sizeof f, "-");
		else if (level >= ST_LAT_SHORT)
			snprintf(f, sizeof f, "%.0fms", v->latency_ms);
		else
			snprintf(f, sizeof f, "%.1fms", v->latency_ms);
		status_add(line, len, level, f);
	}
	if (r->mode == ROLL_MODE_EDIT)
		status_add(line, len, level, "EDIT");
	if (r->unsaved)
		status_add(line, len, level, "unsaved");
	if (v->keylock != NULL && level < ST_KEY_OFF) {
		snprintf(f, sizeof f, "%s%s", words ? "" : "key ", v->keylock);
		status_add(line, len, level, f);
	}
}

void
draw_status_line(char *line, size_t len, const struct roll *r,
    const struct ui_view *v, int cols)
{
	int	level;

	for (level = 0; level <= ST_LAST; level++) {
		status_text(line, len, r, v, level);
		if (text_cols(line) <= cols)
			break;
	}
}

static void
draw_status(const struct roll *r, const struct ui_view *v,
    const struct roll_layout *L, const struct prompt *p)
{
	char	line[512];

	draw_status_line(line, sizeof line, r, v, L->cols);
	move(L->status_y, 0);
	clrtoeol();
	attron(A_REVERSE);
	if (text_cols(line) <= L->cols)
		mvaddstr(L->status_y, 0, line);
	else
		mvaddnstr(L->status_y, 0, line, L->cols);
	for (int x = text_cols(line); x < L->cols; x++)
		addch(' ');
	attroff(A_REVERSE);

	for (int y = 0; y < L->message_rows; y++) {
		move(L->message_y + y, 0);
		clrtoeol();
	}
	if (p != NULL && p->active) {
		const char	*t = p->text;
		int		 room, skip;

		/* The label, its start where it is longer than the screen
		   leaves beside 12 columns of typing (a question asked again
		   begins with what was wrong), none if narrower still. */
		move(L->message_y, 0);
		room = L->cols - 1 - text_cols(p->label);
		if (room >= 8)
			addstr(p->label);
		else if (L->cols - 1 - 12 >= 8) {
			const char	*l = p->label;
			int		 n = L->cols - 1 - 12 - 1;

			for (; *l != '\0' && n > 0; n--) {
				do
					addch((unsigned char)*l++);
				while (((unsigned char)*l & 0xc0) == 0x80);
			}
			addch('>');
			room = 12;
		} else
			room = L->cols - 1;
		/* A long path: its end, where the typing is, stays in
		   view behind a '<'. */
		if ((skip = text_cols(t) - room) > 0) {
			for (skip++; skip > 0 && *t != '\0'; skip--)
				do
					t++;
				while (((unsigned char)*t & 0xc0) == 0x80);
			addch('<');
		}
		addstr(t);
		if (p->hint[0] != '\0' && getcurx(stdscr) + 3 < L->cols) {
			attron(A_DIM);
			addnstr("  ", 2);
			addnstr(p->hint, L->cols - getcurx(stdscr) - 1);
			attroff(A_DIM);
		}
		return;
	}
	if (v->message == NULL)
		return;
	if (v->message_is_error)
		attron(pair(PAIR_ERROR) | A_BOLD);
	{
		int	start[DRAW_MSG_LINES], len[DRAW_MSG_LINES], n, i;

		n = draw_wrap(v->message, L->cols - 1, L->message_rows, start,
		    len);
		for (i = 0; i < n; i++)
			mvaddnstr(L->message_y + i, 0, v->message + start[i],
			    len[i]);
	}
	if (v->message_is_error)
		attroff(pair(PAIR_ERROR) | A_BOLD);
}

static void
draw_help(const struct roll *r, const struct roll_layout *L)
{
	static struct keys_help	 h[KEYS_HELP_MAX];
	char			 line[128];
	int			 i, total, cols, per, w, y, x;
	int			 pages, page, first;

	cols = L->cols >= 80 ? 2 : 1;
	w = L->cols / cols;
	per = L->rows - 3;	/* title, then the status and message lines */
	if (per < 1)
		return;
	total = keys_help_lines(h, KEYS_HELP_MAX);
	pages = (total + per * cols - 1) / (per * cols);
	page = (r->help - 1) % (pages > 0 ? pages : 1);
	first = page * per * cols;
	for (y = 0; y < L->rows - 2; y++) {
		move(y, 0);
		clrtoeol();
	}
	snprintf(line, sizeof line, "keys, page %d/%d (? next page, any "
	    "other key closes)", page + 1, pages);
	attron(A_BOLD);
	mvaddnstr(0, 0, line, L->cols);
	attroff(A_BOLD);
	for (i = first; i < first + per * cols && i < total; i++) {
		y = 1 + (i - first) % per;
		x = ((i - first) / per) * w;
		/* Headings ("-- edit mode --") in bold. */
		if (h[i].name == NULL && h[i].line[0] == '-')
			attron(A_BOLD);
		mvaddnstr(y, x, h[i].line, w - 1);
		attroff(A_BOLD);
	}
}

int
draw_screen(const struct roll *r, const struct ui_view *v,
    const struct prompt *p)
{
	struct roll_layout	L;
	struct pitch_rows	pr[UI_LANES];
	int			view0, i;

	draw_layout(&L, r, v, COLS, LINES, pr);
	erase();
	if (r->help) {
		draw_help(r, &L);
		draw_status(r, v, &L, p);
		refresh();
		return (L.view_steps);
	}
	view0 = roll_view_first(&L, r, v->steps, v->playhead);
	for (i = 0; i < L.n_lanes; i++)
		draw_lane(r, v, &L, i, &pr[i], view0);
	draw_axis(v, &L, view0);
	draw_slider(r, &L);
	draw_attrs(r, v, &L);
	draw_status(r, v, &L, p);
	refresh();
	return (L.view_steps);
}
