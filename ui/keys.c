/*
 * keys.c: default key bindings as a table of designated initializers, a
 * mutable copy of it that the config file can rebind, key names, and the
 * help overlay's lines: one per command, its keys read from the live table
 * so a remap shows where it went.  Lookup is a linear scan: the table has
 * 100 entries and runs once per key.
 */
#include "keys.h"

#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTRL(c)		((c) & 0x1f)
#define ALT(c)		((c) | UI_KEY_ALT)
#define KEYS_MAX	160

#define P	ROLL_MODE_PLAY
#define E	ROLL_MODE_EDIT
#define D	ROLL_MODE_PAD
#define A	KEYS_ANY_MODE

static const struct key_entry keys_default[] = {
	/* The slider. */
	{ .key = KEY_LEFT, .mode = P, .name = "slider-left",
	  .cmd = ROLL_CMD_SLIDER, .arg = -1 },
	{ .key = KEY_RIGHT, .mode = P, .name = "slider-right",
	  .cmd = ROLL_CMD_SLIDER, .arg = 1 },
	{ .key = 'H', .mode = P, .name = "slider-left-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = -4 },
	{ .key = KEY_SLEFT, .mode = P, .name = "slider-left-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = -4 },
	{ .key = 'L', .mode = P, .name = "slider-right-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = 4 },
	{ .key = KEY_SRIGHT, .mode = P, .name = "slider-right-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = 4 },
	{ .key = '0', .mode = P, .name = "jump-0", .cmd = ROLL_CMD_JUMP,
	  .arg = 0 },
	{ .key = '1', .mode = P, .name = "jump-1", .cmd = ROLL_CMD_JUMP,
	  .arg = 1 },
	{ .key = '2', .mode = P, .name = "jump-2", .cmd = ROLL_CMD_JUMP,
	  .arg = 2 },
	{ .key = '3', .mode = P, .name = "jump-3", .cmd = ROLL_CMD_JUMP,
	  .arg = 3 },
	{ .key = '4', .mode = P, .name = "jump-4", .cmd = ROLL_CMD_JUMP,
	  .arg = 4 },
	{ .key = '5', .mode = P, .name = "jump-5", .cmd = ROLL_CMD_JUMP,
	  .arg = 5 },
	{ .key = '6', .mode = P, .name = "jump-6", .cmd = ROLL_CMD_JUMP,
	  .arg = 6 },
	{ .key = '7', .mode = P, .name = "jump-7", .cmd = ROLL_CMD_JUMP,
	  .arg = 7 },
	{ .key = '8', .mode = P, .name = "jump-8", .cmd = ROLL_CMD_JUMP,
	  .arg = 8 },
	{ .key = '9', .mode = P, .name = "jump-9", .cmd = ROLL_CMD_JUMP,
	  .arg = 9 },

	/* Attributes and sampling. */
	{ .key = KEY_UP, .mode = P, .name = "attr-prev", .cmd = ROLL_CMD_ATTR,
	  .arg = -1 },
	{ .key = KEY_DOWN, .mode = P, .name = "attr-next",
	  .cmd = ROLL_CMD_ATTR, .arg = 1 },
	{ .key = '+', .mode = P, .name = "nudge-up", .cmd = ROLL_CMD_NUDGE,
	  .arg = 1 },
	{ .key = '=', .mode = P, .name = "nudge-up", .cmd = ROLL_CMD_NUDGE,
	  .arg = 1 },
	{ .key = '-', .mode = P, .name = "nudge-down", .cmd = ROLL_CMD_NUDGE,
	  .arg = -1 },
	{ .key = 'x', .mode = P, .name = "nudge-reset",
	  .cmd = ROLL_CMD_NUDGE_RESET },
	{ .key = 't', .mode = P, .name = "temp-down", .cmd = ROLL_CMD_TEMP,
	  .arg = -1 },
	{ .key = 'T', .mode = P, .name = "temp-up", .cmd = ROLL_CMD_TEMP,
	  .arg = 1 },
	{ .key = 'r', .mode = P, .name = "reseed", .cmd = ROLL_CMD_RESEED },
	{ .key = 'i', .mode = P, .name = "interp", .cmd = ROLL_CMD_INTERP },

	/* Transport and MIDI. */
	{ .key = ' ', .mode = A, .name = "play", .cmd = ROLL_CMD_PLAY },
	{ .key = '<', .mode = A, .name = "tempo-down", .cmd = ROLL_CMD_TEMPO,
	  .arg = -1 },
	{ .key = '>', .mode = A, .name = "tempo-up", .cmd = ROLL_CMD_TEMPO,
	  .arg = 1 },
	{ .key = 'd', .mode = P, .name = "device", .cmd = ROLL_CMD_DEVICE },
	{ .key = 'm', .mode = P, .name = "learn", .cmd = ROLL_CMD_LEARN },

	/* Clips, saving, snapshots, modes. */
	{ .key = 'o', .mode = P, .name = "open", .cmd = ROLL_CMD_OPEN },
	{ .key = 'w', .mode = P, .name = "window", .cmd = ROLL_CMD_WINDOW },
	{ .key = 'c', .mode = A, .name = "copy", .cmd = ROLL_CMD_COPY },
	{ .key = 's', .mode = A, .name = "save", .cmd = ROLL_CMD_SAVE },
	{ .key = 'S', .mode = A, .name = "save-set", .cmd = ROLL_CMD_SAVE_SET },
	{ .key = 'W', .mode = A, .name = "save-audio",
	  .cmd = ROLL_CMD_SAVE_AUDIO },
	{ .key = KEY_F(1), .mode = A, .name = "snap-1", .cmd = ROLL_CMD_SNAP,
	  .arg = 0 },
	{ .key = KEY_F(2), .mode = A, .name = "snap-2", .cmd = ROLL_CMD_SNAP,
	  .arg = 1 },
	{ .key = KEY_F(3), .mode = A, .name = "snap-3", .cmd = ROLL_CMD_SNAP,
	  .arg = 2 },
	{ .key = KEY_F(4), .mode = A, .name = "snap-4", .cmd = ROLL_CMD_SNAP,
	  .arg = 3 },
	{ .key = KEY_F(5), .mode = A, .name = "snap-5", .cmd = ROLL_CMD_SNAP,
	  .arg = 4 },
	{ .key = KEY_F(6), .mode = A, .name = "snap-6", .cmd = ROLL_CMD_SNAP,
	  .arg = 5 },
	{ .key = KEY_F(7), .mode = A, .name = "snap-7", .cmd = ROLL_CMD_SNAP,
	  .arg = 6 },
	{ .key = KEY_F(8), .mode = A, .name = "snap-8", .cmd = ROLL_CMD_SNAP,
	  .arg = 7 },
	{ .key = ALT('1'), .mode = A, .name = "snap-1", .cmd = ROLL_CMD_SNAP,
	  .arg = 0 },
	{ .key = ALT('2'), .mode = A, .name = "snap-2", .cmd = ROLL_CMD_SNAP,
	  .arg = 1 },
	{ .key = ALT('3'), .mode = A, .name = "snap-3", .cmd = ROLL_CMD_SNAP,
	  .arg = 2 },
	{ .key = ALT('4'), .mode = A, .name = "snap-4", .cmd = ROLL_CMD_SNAP,
	  .arg = 3 },
	{ .key = ALT('5'), .mode = A, .name = "snap-5", .cmd = ROLL_CMD_SNAP,
	  .arg = 4 },
	{ .key = ALT('6'), .mode = A, .name = "snap-6", .cmd = ROLL_CMD_SNAP,
	  .arg = 5 },
	{ .key = ALT('7'), .mode = A, .name = "snap-7", .cmd = ROLL_CMD_SNAP,
	  .arg = 6 },
	{ .key = ALT('8'), .mode = A, .name = "snap-8", .cmd = ROLL_CMD_SNAP,
	  .arg = 7 },
	{ .key = KEY_F(13), .mode = A, .name = "snap-store-1",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 0 },
	{ .key = KEY_F(14), .mode = A, .name = "snap-store-2",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 1 },
	{ .key = KEY_F(15), .mode = A, .name = "snap-store-3",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 2 },
	{ .key = KEY_F(16), .mode = A, .name = "snap-store-4",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 3 },
	{ .key = KEY_F(17), .mode = A, .name = "snap-store-5",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 4 },
	{ .key = KEY_F(18), .mode = A, .name = "snap-store-6",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 5 },
	{ .key = KEY_F(19), .mode = A, .name = "snap-store-7",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 6 },
	{ .key = KEY_F(20), .mode = A, .name = "snap-store-8",
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 7 },
	{ .key = 'p', .mode = P, .name = "sweep", .cmd = ROLL_CMD_SWEEP },
	{ .key = 'P', .mode = P, .name = "sweep-target",
	  .cmd = ROLL_CMD_SWEEP_TARGET },
	{ .key = '[', .mode = P, .name = "sweep-shorter",
	  .cmd = ROLL_CMD_SWEEP_BARS, .arg = -1 },
	{ .key = ']', .mode = P, .name = "sweep-longer",
	  .cmd = ROLL_CMD_SWEEP_BARS, .arg = 1 },
	{ .key = 'g', .mode = A, .name = "pad", .cmd = ROLL_CMD_PAD },
	{ .key = 'k', .mode = P, .name = "keylock", .cmd = ROLL_CMD_KEYLOCK },
	{ .key = 'K', .mode = P, .name = "keylock-fifth",
	  .cmd = ROLL_CMD_KEYLOCK, .arg = 1 },
	{ .key = '\t', .mode = A, .name = "lane", .cmd = ROLL_CMD_LANE },
	{ .key = KEY_PPAGE, .mode = A, .name = "scroll-up",
	  .cmd = ROLL_CMD_SCROLL_PITCH, .arg = -3 },
	{ .key = KEY_NPAGE, .mode = A, .name = "scroll-down",
	  .cmd = ROLL_CMD_SCROLL_PITCH, .arg = 3 },
	{ .key = ',', .mode = A, .name = "scroll-earlier",
	  .cmd = ROLL_CMD_SCROLL_TIME, .arg = -16 },
	{ .key = '.', .mode = A, .name = "scroll-later",
	  .cmd = ROLL_CMD_SCROLL_TIME, .arg = 16 },
	{ .key = 'e', .mode = A, .name = "edit", .cmd = ROLL_CMD_EDIT },
	{ .key = 'u', .mode = A, .name = "undo", .cmd = ROLL_CMD_UNDO },
	{ .key = CTRL('r'), .mode = A, .name = "redo", .cmd = ROLL_CMD_REDO },
	{ .key = CTRL('l'), .mode = A, .name = "redraw", .cmd = ROLL_CMD_REDRAW },
	{ .key = '?', .mode = A, .name = "help", .cmd = ROLL_CMD_HELP },
	{ .key = 'q', .mode = A, .name = "quit", .cmd = ROLL_CMD_QUIT },

	/* Pad mode (other keys as in play mode). */
	{ .key = KEY_LEFT, .mode = D, .name = "pad-left", .cmd = ROLL_CMD_PAD_X,
	  .arg = -1 },
	{ .key = KEY_RIGHT, .mode = D, .name = "pad-right",
	  .cmd = ROLL_CMD_PAD_X, .arg = 1 },
	{ .key = KEY_UP, .mode = D, .name = "pad-up", .cmd = ROLL_CMD_PAD_Y,
	  .arg = -1 },
	{ .key = KEY_DOWN, .mode = D, .name = "pad-down", .cmd = ROLL_CMD_PAD_Y,
	  .arg = 1 },
	{ .key = 27, .mode = D, .name = "pad-leave", .cmd = ROLL_CMD_PAD },

	/* Edit mode. */
	{ .key = 27, .mode = E, .name = "edit-leave", .cmd = ROLL_CMD_EDIT },
	{ .key = KEY_LEFT, .mode = E, .name = "cursor-left",
	  .cmd = ROLL_CMD_CURSOR_STEP, .arg = -1 },
	{ .key = KEY_RIGHT, .mode = E, .name = "cursor-right",
	  .cmd = ROLL_CMD_CURSOR_STEP, .arg = 1 },
	{ .key = KEY_UP, .mode = E, .name = "cursor-up",
	  .cmd = ROLL_CMD_CURSOR_PITCH, .arg = 1 },
	{ .key = KEY_DOWN, .mode = E, .name = "cursor-down",
	  .cmd = ROLL_CMD_CURSOR_PITCH, .arg = -1 },
	{ .key = 'a', .mode = E, .name = "note-add", .cmd = ROLL_CMD_NOTE_ADD },
	{ .key = '\n', .mode = E, .name = "note-add", .cmd = ROLL_CMD_NOTE_ADD },
	{ .key = 'x', .mode = E, .name = "note-delete",
	  .cmd = ROLL_CMD_NOTE_DELETE },
	{ .key = KEY_DC, .mode = E, .name = "note-delete",
	  .cmd = ROLL_CMD_NOTE_DELETE },
	{ .key = 'v', .mode = E, .name = "select", .cmd = ROLL_CMD_SELECT },
	{ .key = 'V', .mode = E, .name = "select-none",
	  .cmd = ROLL_CMD_SELECT_NONE },
	{ .key = 'H', .mode = E, .name = "note-earlier",
	  .cmd = ROLL_CMD_NOTE_MOVE, .arg = -1 },
	{ .key = 'L', .mode = E, .name = "note-later",
	  .cmd = ROLL_CMD_NOTE_MOVE, .arg = 1 },
	{ .key = '[', .mode = E, .name = "note-shorter",
	  .cmd = ROLL_CMD_NOTE_LENGTH, .arg = -1 },
	{ .key = ']', .mode = E, .name = "note-longer",
	  .cmd = ROLL_CMD_NOTE_LENGTH, .arg = 1 },
	{ .key = '+', .mode = E, .name = "transpose-up",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = 1 },
	{ .key = '=', .mode = E, .name = "transpose-up",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = 1 },
	{ .key = '-', .mode = E, .name = "transpose-down",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = -1 },
	{ .key = 'K', .mode = E, .name = "transpose-octave-up",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = 12 },
	{ .key = 'J', .mode = E, .name = "transpose-octave-down",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = -12 },
};

#undef P
#undef D
#undef E
#undef A

/*
 * The help overlay: one line per command (in the order a player learns
 * them), or per series name-1..name-N; keys come from the live table.
 */
static const struct {
	const char	*name;	/* command, series prefix ("jump-"), or NULL */
	int		 series;	/* members name1..nameN */
	const char	*text;
	const char	*one;	/* a member's own line (%d), series only */
	const char	*keys;	/* keys outside the table (prompt) */
} keys_help_table[] = {
	{ "slider-left", 0, "slider 1/32 toward A", NULL, NULL },
	{ "slider-right", 0, "slider 1/32 toward B", NULL, NULL },
	{ "slider-left-8", 0, "slider 1/8 toward A", NULL, NULL },
	{ "slider-right-8", 0, "slider 1/8 toward B", NULL, NULL },
	{ "jump-0", 0, "slider to A", NULL, NULL },
	{ "jump-", 8, "slider to 1/9 .. 8/9", "slider to %d/9", NULL },
	{ "jump-9", 0, "slider to B", NULL, NULL },
	{ "attr-prev", 0, "previous attribute", NULL, NULL },
	{ "attr-next", 0, "next attribute", NULL, NULL },
	{ "nudge-up", 0, "nudge the attribute up", NULL, NULL },
	{ "nudge-down", 0, "nudge the attribute down", NULL, NULL },
	{ "nudge-reset", 0, "reset all nudges", NULL, NULL },
	{ "temp-down", 0, "temperature down (0 = argmax)", NULL, NULL },
	{ "temp-up", 0, "temperature up", NULL, NULL },
	{ "reseed", 0, "new seed (resample)", NULL, NULL },
	{ "interp", 0, "slerp / lerp", NULL, NULL },
	{ "play", 0, "play / stop", NULL, NULL },
	{ "tempo-down", 0, "tempo down", NULL, NULL },
	{ "tempo-up", 0, "tempo up", NULL, NULL },
	{ "device", 0, "next MIDI output device", NULL, NULL },
	{ "learn", 0, "MIDI-learn the chosen control", NULL, NULL },
	{ "open", 0, "open a clip; asks window/track", NULL, NULL },
	{ "window", 0, "next window a-d / track A-D", NULL, NULL },
	{ "copy", 0, "copy the result into A or B", NULL, NULL },
	{ "save", 0, "save the result as MIDI", NULL, NULL },
	{ "save-set", 0, "save the set (for --set FILE)", NULL, NULL },
	{ "save-audio", 0, "save the result as audio (WAV)", NULL, NULL },
	{ "snap-", 8, "recall a snapshot", "recall snapshot %d", NULL },
	{ "snap-store-", 8, "store a snapshot", "store snapshot %d", NULL },
	{ "sweep", 0, "sweep: off / triangle / sine", NULL, NULL },
	{ "sweep-target", 0, "sweep the slider / attribute", NULL, NULL },
	{ "sweep-shorter", 0, "sweep period -1 bar", NULL, NULL },
	{ "sweep-longer", 0, "sweep period +1 bar", NULL, NULL },
	{ "pad", 0, "2-D pad A B/C D (o loads C D)", NULL, NULL },
	{ "keylock", 0, "key lock off/key of A/C major", NULL, NULL },
	{ "keylock-fifth", 0, "key lock a fifth up", NULL, NULL },
	{ "lane", 0, "lane shown on a small screen", NULL, NULL },
	{ "scroll-up", 0, "scroll pitch rows up", NULL, NULL },
	{ "scroll-down", 0, "scroll pitch rows down", NULL, NULL },
	{ "scroll-earlier", 0, "scroll a bar earlier (stopped)", NULL,
	  NULL },
	{ "scroll-later", 0, "scroll a bar later (stopped)", NULL, NULL },
	{ "edit", 0, "edit the result (again: leave)", NULL, NULL },
	{ "undo", 0, "undo an edit", NULL, NULL },
	{ "redo", 0, "redo", NULL, NULL },
	{ "redraw", 0, "redraw the screen", NULL, NULL },
	{ "help", 0, "this help", NULL, NULL },
	{ "quit", 0, "quit (asks if edits unsaved)", NULL, NULL },
	{ NULL, 0, "-- edit mode --", NULL, NULL },
	{ "edit-leave", 0, "leave edit mode", NULL, NULL },
	{ "cursor-left", 0, "cursor a step left", NULL, NULL },
	{ "cursor-right", 0, "cursor a step right", NULL, NULL },
	{ "cursor-up", 0, "cursor a semitone up", NULL, NULL },
	{ "cursor-down", 0, "cursor a semitone down", NULL, NULL },
	{ "note-add", 0, "add a note at the cursor", NULL, NULL },
	{ "note-delete", 0, "delete the note(s)", NULL, NULL },
	{ "select", 0, "select / unselect the note", NULL, NULL },
	{ "select-none", 0, "select nothing", NULL, NULL },
	{ "note-earlier", 0, "move the note(s) earlier", NULL, NULL },
	{ "note-later", 0, "move the note(s) later", NULL, NULL },
	{ "note-shorter", 0, "shorten the note(s)", NULL, NULL },
	{ "note-longer", 0, "lengthen the note(s)", NULL, NULL },
	{ "transpose-up", 0, "transpose a semitone up", NULL, NULL },
	{ "transpose-down", 0, "transpose a semitone down", NULL, NULL },
	{ "transpose-octave-up", 0, "transpose an octave up", NULL, NULL },
	{ "transpose-octave-down", 0, "transpose an octave down", NULL,
	  NULL },
	{ NULL, 0, "-- pad mode --", NULL, NULL },
	{ "pad-left", 0, "pad toward A / C", NULL, NULL },
	{ "pad-right", 0, "pad toward B / D", NULL, NULL },
	{ "pad-up", 0, "pad toward A / B", NULL, NULL },
	{ "pad-down", 0, "pad toward C / D", NULL, NULL },
	{ "pad-leave", 0, "leave the pad", NULL, NULL },
	{ NULL, 0, "-- in a prompt --", NULL, NULL },
	{ NULL, 0, "accept", NULL, "Enter" },
	{ NULL, 0, "cancel", NULL, "Esc C-g" },
	{ NULL, 0, "complete the path", NULL, "Tab" },
	{ NULL, 0, "delete a character", NULL, "Backspace" },
	{ NULL, 0, "clear the line", NULL, "C-u" },
	{ NULL, 0, "answer a question", NULL, "y n a-d" },
	{ NULL, 0, "window [track] (after o)", NULL, "15, 1 2" },
	/* A legend: what the screen's marks and numbers mean. */
	{ NULL, 0, "-- on the screen --", NULL, NULL },
	{ NULL, 0, "a note: start, then length", NULL, "[===" },
	{ NULL, 0, "note new since the last swap", NULL, "{###" },
	{ NULL, 0, "bar, beat; ^ is the playhead", NULL, "| :" },
	{ NULL, 0, "notes above/below the rows", NULL, "^3 v2" },
	{ NULL, 0, "nudge = measured on result", NULL, "+0.5= 2.0" },
	{ NULL, 0, "attribute not measured yet", NULL, "=    ?" },
	{ NULL, 0, "clock: own / external (in)", NULL, "int ext" },
	{ NULL, 0, "key to result; 0.0: ahead", NULL, "12.3ms" },
	{ NULL, 0, "pad: x column, y digit", NULL, "A ..2.. B" },
	{ NULL, 0, "pad: A-B top row, C-D bottom", NULL, "/ C..D" },
};

static struct key_entry	keys_table[KEYS_MAX];
static int		keys_n = -1;

static const struct {
	const char	*name;
	int		 key;
} key_names[] = {
	{ "Left", KEY_LEFT }, { "Right", KEY_RIGHT }, { "Up", KEY_UP },
	{ "Down", KEY_DOWN }, { "S-Left", KEY_SLEFT },
	{ "S-Right", KEY_SRIGHT }, { "Space", ' ' }, { "Tab", '\t' },
	{ "Enter", '\n' }, { "Esc", 27 }, { "Delete", KEY_DC },
	{ "PgUp", KEY_PPAGE }, { "PgDn", KEY_NPAGE },
	{ "Backspace", KEY_BACKSPACE },
};

void
keys_init(void)
{
	keys_n = (int)(sizeof keys_default / sizeof keys_default[0]);
	memcpy(keys_table, keys_default, sizeof keys_default);
}

static void
keys_ready(void)
{
	if (keys_n < 0)
		keys_init();
}

const struct key_entry *
keys_lookup(int key, int mode)
{
	int	i;

	keys_ready();
	/*
	 * The mode's own binding wins over an any-mode one; the pad is play
	 * mode with a few keys of its own, so play mode's come next there
	 * (a key rebound in play mode does the same on the pad).
	 */
	for (i = 0; i < keys_n; i++) {
		if (keys_table[i].key == key && keys_table[i].mode == mode)
			return (&keys_table[i]);
	}
	for (i = 0; mode == ROLL_MODE_PAD && i < keys_n; i++) {
		if (keys_table[i].key == key &&
		    keys_table[i].mode == ROLL_MODE_PLAY)
			return (&keys_table[i]);
	}
	for (i = 0; i < keys_n; i++) {
		if (keys_table[i].key == key &&
		    keys_table[i].mode == KEYS_ANY_MODE)
			return (&keys_table[i]);
	}
	return (NULL);
}

const struct key_entry *
keys_find(const char *name)
{
	size_t	i;
	int	j;

	keys_ready();
	for (j = 0; j < keys_n; j++) {
		if (strcmp(keys_table[j].name, name) == 0)
			return (&keys_table[j]);
	}
	/* A command whose keys were all taken still exists. */
	for (i = 0; i < sizeof keys_default / sizeof keys_default[0]; i++) {
		if (strcmp(keys_default[i].name, name) == 0)
			return (&keys_default[i]);
	}
	return (NULL);
}

const struct key_entry *
keys_entry(int i)
{
	keys_ready();
	if (i < 0 || i >= keys_n)
		return (NULL);
	return (&keys_table[i]);
}

/* The keys bound to a command, in table order, no repeats. */
static int
keys_of(const char *name, int *keys, int max)
{
	int	i, j, n = 0;

	for (i = 0; i < keys_n && n < max; i++) {
		if (strcmp(keys_table[i].name, name) != 0)
			continue;
		for (j = 0; j < n && keys[j] != keys_table[i].key; j++)
			;
		if (j == n)
			keys[n++] = keys_table[i].key;
	}
	return (n);
}

/* Append a key name (or "a..b") to a list. */
static void
keys_list_add(char *buf, size_t len, int a, int b)
{
	char	na[32], nb[32];
	size_t	used = strlen(buf);

	keys_name(a, na, sizeof na);
	if (a == b)
		snprintf(buf + used, len - used, "%s%s", used ? " " : "", na);
	else {
		keys_name(b, nb, sizeof nb);
		snprintf(buf + used, len - used, "%s%s..%s", used ? " " : "",
		    na, nb);
	}
}

static void
keys_help_fill(struct keys_help *h, const char *keys, const char *text)
{
	snprintf(h->line, sizeof h->line, "%-8s %s", keys[0] != '\0' ? keys :
	    "unbound", text);
}

/*
 * The lines of help table entry t into h (line k of it, when a series
 * breaks into members); returns the number of lines it has.
 */
static int
keys_help_entry(size_t t, int k, struct keys_help *h)
{
	char	name[64], list[96], text[64];
	int	keys[ROLL_SNAPSHOTS + 1][KEYS_HELP_KEYS];
	int	nk[ROLL_SNAPSHOTS + 1] = { 0 };
	int	m, j, regular, n = keys_help_table[t].series;

	memset(h, 0, sizeof *h);
	list[0] = '\0';
	if (keys_help_table[t].name == NULL) {
		if (keys_help_table[t].keys != NULL)
			keys_help_fill(h, keys_help_table[t].keys,
			    keys_help_table[t].text);
		else
			snprintf(h->line, sizeof h->line, "%s",
			    keys_help_table[t].text);
		return (1);
	}
	if (n == 0) {
		h->name = keys_help_table[t].name;
		h->n_keys = keys_of(h->name, h->keys, KEYS_HELP_KEYS);
		for (j = 0; j < h->n_keys; j++)
			keys_list_add(list, sizeof list, h->keys[j], h->keys[j]);
		keys_help_fill(h, list, keys_help_table[t].text);
		return (1);
	}
	/* A series is one line while member m's key j is key j of the
	   first plus m (1..8, F1..F8, M-1..M-8). */
	for (m = 0; m < n && m <= ROLL_SNAPSHOTS; m++) {
		snprintf(name, sizeof name, "%s%d", keys_help_table[t].name,
		    m + 1);
		nk[m] = keys_of(name, keys[m], KEYS_HELP_KEYS);
	}
	regular = nk[0] > 0;
	for (m = 1; m < n && regular; m++) {
		regular = nk[m] == nk[0];
		for (j = 0; j < nk[0] && regular; j++)
			regular = keys[m][j] == keys[0][j] + m;
	}
	if (regular) {
		if (k > 0)
			return (1);
		h->name = keys_help_table[t].name;
		for (m = 0; m < n; m++) {
			for (j = 0; j < nk[m] && h->n_keys < KEYS_HELP_KEYS;
			    j++)
				h->keys[h->n_keys++] = keys[m][j];
		}
		for (j = 0; j < nk[0]; j++)
			keys_list_add(list, sizeof list, keys[0][j],
			    keys[n - 1][j]);
		keys_help_fill(h, list, keys_help_table[t].text);
		return (1);
	}
	if (k >= n)
		return (n);
	snprintf(name, sizeof name, "%s%d", keys_help_table[t].name, k + 1);
	h->name = keys_help_table[t].name;
	for (j = 0; j < nk[k]; j++) {
		h->keys[h->n_keys++] = keys[k][j];
		keys_list_add(list, sizeof list, keys[k][j], keys[k][j]);
	}
	snprintf(text, sizeof text, keys_help_table[t].one, k + 1);
	keys_help_fill(h, list, text);
	return (n);
}

int
keys_help_lines(struct keys_help *v, int max)
{
	struct keys_help	h;
	size_t			t;
	int			n, j, k = 0;

	keys_ready();
	for (t = 0; t < sizeof keys_help_table / sizeof keys_help_table[0];
	    t++) {
		n = keys_help_entry(t, 0, &h);
		for (j = 0; j < n && k < max; j++) {
			if (j > 0)
				keys_help_entry(t, j, &h);
			v[k++] = h;
		}
	}
	return (k);
}

int
keys_help(int i, struct keys_help *h)
{
	static struct keys_help	v[KEYS_HELP_MAX];
	int			n;

	n = keys_help_lines(v, KEYS_HELP_MAX);
	if (i < 0 || i >= n)
		return (-1);
	*h = v[i];
	return (0);
}

void
keys_name(int key, char *buf, size_t len)
{
	size_t	i;

	if (key & UI_KEY_ALT) {
		char	sub[32];

		keys_name(key & ~UI_KEY_ALT, sub, sizeof sub);
		snprintf(buf, len, "M-%s", sub);
		return;
	}
	for (i = 0; i < sizeof key_names / sizeof key_names[0]; i++) {
		if (key_names[i].key == key) {
			snprintf(buf, len, "%s", key_names[i].name);
			return;
		}
	}
	if (key >= KEY_F(13) && key <= KEY_F(24))
		snprintf(buf, len, "S-F%d", key - KEY_F(12));
	else if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, len, "F%d", key - KEY_F0);
	else if (key > 0 && key < 32)
		snprintf(buf, len, "C-%c", key + 'a' - 1);
	else if (key > 32 && key < 127)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "#%d", key);
}

int
keys_parse(const char *s)
{
	size_t	i;
	int	k;

	if (strncmp(s, "M-", 2) == 0 && s[2] != '\0') {
		if ((k = keys_parse(s + 2)) < 0)
			return (-1);
		return (k | UI_KEY_ALT);
	}
	for (i = 0; i < sizeof key_names / sizeof key_names[0]; i++) {
		if (strcasecmp(key_names[i].name, s) == 0)
			return (key_names[i].key);
	}
	if (strncmp(s, "S-F", 3) == 0 && isdigit((unsigned char)s[3])) {
		k = atoi(s + 3);
		return (k >= 1 && k <= 12 ? KEY_F(12 + k) : -1);
	}
	if (s[0] == 'F' && isdigit((unsigned char)s[1])) {
		k = atoi(s + 1);
		return (k >= 1 && k <= 12 ? KEY_F(k) : -1);
	}
	if (strncmp(s, "C-", 2) == 0 && islower((unsigned char)s[2]) &&
	    s[3] == '\0')
		return (CTRL(s[2]));
	if (s[0] > 32 && s[0] < 127 && s[1] == '\0')
		return ((unsigned char)s[0]);
	return (-1);
}

int
keys_config_line(const char *line, char **cause)
{
	char			 verb[16], key[32], name[64], extra[2];
	const struct key_entry	*e;
	struct key_entry	*t, ne;
	int			 k, n, i;

	keys_ready();
	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#')
		return (0);
	n = sscanf(line, "%15s %31s %63s %1s", verb, key, name, extra);
	if (n != 3 || strcmp(verb, "bind") != 0)
		return (lr_fail(cause, "expected \"bind KEY COMMAND\""));
	if ((k = keys_parse(key)) < 0)
		return (lr_fail(cause, "unknown key %s", key));
	if (strcmp(name, "none") == 0) {
		/* Free the key: it does nothing in any mode. */
		for (i = 0; i < keys_n; i++) {
			if (keys_table[i].key != k)
				continue;
			memmove(&keys_table[i], &keys_table[i + 1],
			    (keys_n - i - 1) * sizeof keys_table[0]);
			keys_n--;
			i--;
		}
		return (0);
	}
	if ((e = keys_find(name)) == NULL)
		return (lr_fail(cause, "unknown command %s", name));
	ne = *e;	/* the table moves below */
	/*
	 * A command of every mode takes the key in every mode: a mode's own
	 * binding would win over it in lookup and the remap would do nothing
	 * there ("key play = x" left x resetting the nudges).
	 */
	for (i = 0; ne.mode == KEYS_ANY_MODE && i < keys_n; i++) {
		if (keys_table[i].key != k || keys_table[i].mode == ne.mode)
			continue;
		memmove(&keys_table[i], &keys_table[i + 1],
		    (keys_n - i - 1) * sizeof keys_table[0]);
		keys_n--;
		i--;
	}
	/* Rebind an existing entry of the key in that mode, else append. */
	for (i = 0; i < keys_n; i++) {
		t = &keys_table[i];
		if (t->key == k && t->mode == ne.mode) {
			*t = ne;
			t->key = k;
			return (0);
		}
	}
	if (keys_n == KEYS_MAX)
		return (lr_fail(cause, "too many bindings"));
	keys_table[keys_n] = ne;
	keys_table[keys_n].key = k;
	keys_n++;
	return (0);
}
