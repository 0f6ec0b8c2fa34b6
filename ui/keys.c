/*
 * keys.c: default key bindings as a table of designated initializers, a
 * mutable copy of it that the config file can rebind, and key names.
 * Lookup is a linear scan: the table has ~80 entries and runs once per key.
 */
#include "ui/keys.h"

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
	  .cmd = ROLL_CMD_SLIDER, .arg = -1, .help = "slider 1/32 toward A" },
	{ .key = KEY_RIGHT, .mode = P, .name = "slider-right",
	  .cmd = ROLL_CMD_SLIDER, .arg = 1, .help = "slider 1/32 toward B" },
	{ .key = 'H', .mode = P, .name = "slider-left-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = -4, .help = "slider 1/8 toward A" },
	{ .key = KEY_SLEFT, .mode = P, .name = "slider-left-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = -4 },
	{ .key = 'L', .mode = P, .name = "slider-right-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = 4, .help = "slider 1/8 toward B" },
	{ .key = KEY_SRIGHT, .mode = P, .name = "slider-right-8",
	  .cmd = ROLL_CMD_SLIDER, .arg = 4 },
	{ .key = '0', .mode = P, .name = "jump-0", .cmd = ROLL_CMD_JUMP,
	  .arg = 0, .help = "slider to A" },
	{ .key = '1', .mode = P, .name = "jump-1", .cmd = ROLL_CMD_JUMP,
	  .arg = 1, .help = "slider to 1/9 .. 8/9 (1..8)" },
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
	  .arg = 9, .help = "slider to B" },

	/* Attributes and sampling. */
	{ .key = KEY_UP, .mode = P, .name = "attr-prev", .cmd = ROLL_CMD_ATTR,
	  .arg = -1, .help = "previous attribute" },
	{ .key = KEY_DOWN, .mode = P, .name = "attr-next",
	  .cmd = ROLL_CMD_ATTR, .arg = 1, .help = "next attribute" },
	{ .key = '+', .mode = P, .name = "nudge-up", .cmd = ROLL_CMD_NUDGE,
	  .arg = 1, .help = "nudge the attribute up" },
	{ .key = '=', .mode = P, .name = "nudge-up", .cmd = ROLL_CMD_NUDGE,
	  .arg = 1 },
	{ .key = '-', .mode = P, .name = "nudge-down", .cmd = ROLL_CMD_NUDGE,
	  .arg = -1, .help = "nudge the attribute down" },
	{ .key = 'x', .mode = P, .name = "nudge-reset",
	  .cmd = ROLL_CMD_NUDGE_RESET, .help = "reset all nudges" },
	{ .key = 't', .mode = P, .name = "temp-down", .cmd = ROLL_CMD_TEMP,
	  .arg = -1, .help = "temperature down (0 = argmax)" },
	{ .key = 'T', .mode = P, .name = "temp-up", .cmd = ROLL_CMD_TEMP,
	  .arg = 1, .help = "temperature up" },
	{ .key = 'r', .mode = P, .name = "reseed", .cmd = ROLL_CMD_RESEED,
	  .help = "new seed (resample)" },
	{ .key = 'i', .mode = P, .name = "interp", .cmd = ROLL_CMD_INTERP,
	  .help = "slerp / lerp" },

	/* Transport and MIDI. */
	{ .key = ' ', .mode = A, .name = "play", .cmd = ROLL_CMD_PLAY,
	  .help = "play / stop" },
	{ .key = '<', .mode = A, .name = "tempo-down", .cmd = ROLL_CMD_TEMPO,
	  .arg = -1, .help = "tempo down" },
	{ .key = '>', .mode = A, .name = "tempo-up", .cmd = ROLL_CMD_TEMPO,
	  .arg = 1, .help = "tempo up" },
	{ .key = 'd', .mode = P, .name = "device", .cmd = ROLL_CMD_DEVICE,
	  .help = "next MIDI output device" },
	{ .key = 'm', .mode = P, .name = "learn", .cmd = ROLL_CMD_LEARN,
	  .help = "MIDI-learn the selected control" },

	/* Clips, saving, snapshots, modes. */
	{ .key = 'o', .mode = P, .name = "open", .cmd = ROLL_CMD_OPEN,
	  .help = "open a clip into A or B" },
	{ .key = 'w', .mode = P, .name = "window", .cmd = ROLL_CMD_WINDOW,
	  .help = "next window a-d / track A-D" },
	{ .key = 'c', .mode = A, .name = "copy", .cmd = ROLL_CMD_COPY,
	  .help = "copy the result into A or B" },
	{ .key = 's', .mode = A, .name = "save", .cmd = ROLL_CMD_SAVE,
	  .help = "save the result as MIDI" },
	{ .key = 'S', .mode = A, .name = "save-set", .cmd = ROLL_CMD_SAVE_SET,
	  .help = "save the set (for --set FILE)" },
	{ .key = KEY_F(1), .mode = A, .name = "snap-1", .cmd = ROLL_CMD_SNAP,
	  .arg = 0, .help = "F1-8/M-1-8: recall (or store)" },
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
	  .cmd = ROLL_CMD_SNAP_STORE, .arg = 0,
	  .help = "S-F1-8: store a snapshot" },
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
	{ .key = 'p', .mode = P, .name = "sweep", .cmd = ROLL_CMD_SWEEP,
	  .help = "sweep: off / triangle / sine" },
	{ .key = 'P', .mode = P, .name = "sweep-target",
	  .cmd = ROLL_CMD_SWEEP_TARGET, .help = "sweep the slider / attribute" },
	{ .key = '[', .mode = P, .name = "sweep-shorter",
	  .cmd = ROLL_CMD_SWEEP_BARS, .arg = -1, .help = "sweep period -1 bar" },
	{ .key = ']', .mode = P, .name = "sweep-longer",
	  .cmd = ROLL_CMD_SWEEP_BARS, .arg = 1, .help = "sweep period +1 bar" },
	{ .key = 'g', .mode = A, .name = "pad", .cmd = ROLL_CMD_PAD,
	  .help = "2-D pad A B / C D (o loads C D)" },
	{ .key = 'k', .mode = P, .name = "keylock", .cmd = ROLL_CMD_KEYLOCK,
	  .help = "key lock off/key of A/C major" },
	{ .key = 'K', .mode = P, .name = "keylock-fifth",
	  .cmd = ROLL_CMD_KEYLOCK, .arg = 1, .help = "key lock a fifth up" },
	{ .key = '\t', .mode = A, .name = "lane", .cmd = ROLL_CMD_LANE,
	  .help = "lane shown on a small screen" },
	{ .key = 'e', .mode = A, .name = "edit", .cmd = ROLL_CMD_EDIT,
	  .help = "edit the result (e/Esc leave)" },
	{ .key = 'u', .mode = A, .name = "undo", .cmd = ROLL_CMD_UNDO,
	  .help = "undo an edit" },
	{ .key = CTRL('r'), .mode = A, .name = "redo", .cmd = ROLL_CMD_REDO,
	  .help = "redo" },
	{ .key = CTRL('l'), .mode = A, .name = "redraw", .cmd = ROLL_CMD_REDRAW,
	  .help = "redraw the screen" },
	{ .key = '?', .mode = A, .name = "help", .cmd = ROLL_CMD_HELP,
	  .help = "this help" },
	{ .key = 'q', .mode = A, .name = "quit", .cmd = ROLL_CMD_QUIT,
	  .help = "quit (asks if edits unsaved)" },

	/* Pad mode (other keys as in play mode). */
	{ .key = KEY_LEFT, .mode = D, .name = "pad-left", .cmd = ROLL_CMD_PAD_X,
	  .arg = -1, .help = "pad: move toward A/C (arrows)" },
	{ .key = KEY_RIGHT, .mode = D, .name = "pad-right",
	  .cmd = ROLL_CMD_PAD_X, .arg = 1 },
	{ .key = KEY_UP, .mode = D, .name = "pad-up", .cmd = ROLL_CMD_PAD_Y,
	  .arg = -1 },
	{ .key = KEY_DOWN, .mode = D, .name = "pad-down", .cmd = ROLL_CMD_PAD_Y,
	  .arg = 1 },
	{ .key = 27, .mode = D, .name = "pad-leave", .cmd = ROLL_CMD_PAD,
	  .help = "pad: leave (as g)" },

	/* Edit mode. */
	{ .key = 27, .mode = E, .name = "edit-leave", .cmd = ROLL_CMD_EDIT },
	{ .key = KEY_LEFT, .mode = E, .name = "cursor-left",
	  .cmd = ROLL_CMD_CURSOR_STEP, .arg = -1,
	  .help = "edit: arrows move the cursor" },
	{ .key = KEY_RIGHT, .mode = E, .name = "cursor-right",
	  .cmd = ROLL_CMD_CURSOR_STEP, .arg = 1 },
	{ .key = KEY_UP, .mode = E, .name = "cursor-up",
	  .cmd = ROLL_CMD_CURSOR_PITCH, .arg = 1 },
	{ .key = KEY_DOWN, .mode = E, .name = "cursor-down",
	  .cmd = ROLL_CMD_CURSOR_PITCH, .arg = -1 },
	{ .key = 'a', .mode = E, .name = "note-add", .cmd = ROLL_CMD_NOTE_ADD,
	  .help = "edit: add a note at the cursor" },
	{ .key = '\n', .mode = E, .name = "note-add", .cmd = ROLL_CMD_NOTE_ADD },
	{ .key = 'x', .mode = E, .name = "note-delete",
	  .cmd = ROLL_CMD_NOTE_DELETE, .help = "edit: delete note(s)" },
	{ .key = KEY_DC, .mode = E, .name = "note-delete",
	  .cmd = ROLL_CMD_NOTE_DELETE },
	{ .key = 'v', .mode = E, .name = "select", .cmd = ROLL_CMD_SELECT,
	  .help = "edit: select/unselect a note" },
	{ .key = 'V', .mode = E, .name = "select-none",
	  .cmd = ROLL_CMD_SELECT_NONE, .help = "edit: select nothing" },
	{ .key = 'H', .mode = E, .name = "note-earlier",
	  .cmd = ROLL_CMD_NOTE_MOVE, .arg = -1, .help = "edit: move H/L" },
	{ .key = 'L', .mode = E, .name = "note-later",
	  .cmd = ROLL_CMD_NOTE_MOVE, .arg = 1 },
	{ .key = '[', .mode = E, .name = "note-shorter",
	  .cmd = ROLL_CMD_NOTE_LENGTH, .arg = -1, .help = "edit: length [ ]" },
	{ .key = ']', .mode = E, .name = "note-longer",
	  .cmd = ROLL_CMD_NOTE_LENGTH, .arg = 1 },
	{ .key = '+', .mode = E, .name = "transpose-up",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = 1, .help = "edit: transpose + -" },
	{ .key = '=', .mode = E, .name = "transpose-up",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = 1 },
	{ .key = '-', .mode = E, .name = "transpose-down",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = -1 },
	{ .key = 'K', .mode = E, .name = "transpose-octave-up",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = 12, .help = "edit: octave K/J" },
	{ .key = 'J', .mode = E, .name = "transpose-octave-down",
	  .cmd = ROLL_CMD_TRANSPOSE, .arg = -12 },
};

#undef P
#undef D
#undef E
#undef A

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
	/* The mode's own binding wins over an any-mode one. */
	for (i = 0; i < keys_n; i++) {
		if (keys_table[i].key == key && keys_table[i].mode == mode)
			return (&keys_table[i]);
	}
	for (i = 0; i < keys_n; i++) {
		if (keys_table[i].key == key &&
		    keys_table[i].mode == KEYS_ANY_MODE)
			return (&keys_table[i]);
	}
	/* The pad keeps the play-mode knobs it does not redefine. */
	if (mode == ROLL_MODE_PAD)
		return (keys_lookup(key, ROLL_MODE_PLAY));
	return (NULL);
}

const struct key_entry *
keys_find(const char *name)
{
	int	i;

	keys_ready();
	for (i = 0; i < keys_n; i++) {
		if (strcmp(keys_table[i].name, name) == 0)
			return (&keys_table[i]);
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
	keys_table[keys_n].help = NULL;
	keys_n++;
	return (0);
}
