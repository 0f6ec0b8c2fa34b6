/*
 * keys.h: the key table.  Keys map to named commands (as in cmus and tmux),
 * per mode; the same names are used by the config file ("bind KEY NAME")
 * and the help overlay lists every command with the keys bound to it now.
 */
#ifndef LR_KEYS_H
#define LR_KEYS_H

#include "common.h"
#include "roll.h"

#define KEYS_ANY_MODE	(-1)

struct key_entry {
	int		 key;	/* curses key code, | UI_KEY_ALT */
	int		 mode;	/* enum roll_mode or KEYS_ANY_MODE */
	const char	*name;	/* "slider-left" */
	enum roll_cmd	 cmd;
	int		 arg;
};

#define KEYS_HELP_KEYS	32
#define KEYS_HELP_MAX	160	/* lines of the help overlay, at most */

/* One line of the help overlay. */
struct keys_help {
	char		 line[128];	/* "H S-Left slider 1/8 toward A" */
	const char	*name;		/* its (first) command; NULL: a heading
					   or keys outside the table (prompt) */
	int		 keys[KEYS_HELP_KEYS];	/* the table's keys it lists */
	int		 n_keys;
};

/* Reset the table to the defaults (also done on first use). */
void	keys_init(void);
/* The entry for a key in a mode, or NULL. */
const struct key_entry *keys_lookup(int key, int mode);
/* The first entry with a command name, or NULL. */
const struct key_entry *keys_find(const char *name);
/* Entry i of the table (help overlay), or NULL past the end. */
const struct key_entry *keys_entry(int i);

/*
 * Line i of the help overlay, after remaps: every command of the table
 * with the keys bound to it ("unbound" if none), a series (jump-1..8)
 * on one line while its keys are in sequence, then the prompt's keys.
 * Returns 0, or -1 past the last line.
 */
int	keys_help(int i, struct keys_help *h);
/* All the lines at once into v (at most max); returns how many. */
int	keys_help_lines(struct keys_help *v, int max);

/* Key name ("Left", "C-r", "M-1", "F1", "a") into buf. */
void	keys_name(int key, char *buf, size_t len);
/* Parse a key name; -1 if unknown. */
int	keys_parse(const char *s);
/*
 * Apply one config line "bind KEY NAME" (comments '#' and blank lines are
 * accepted): the key now runs the command NAME in that command's mode (and
 * no longer what it ran there before); the command's other keys stay.
 * "bind KEY none" frees the key in every mode.
 */
int	keys_config_line(const char *line, char **cause) LR_WUR;

#endif
