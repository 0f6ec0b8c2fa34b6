/*
 * keys.h: the key table.  Keys map to named commands (as in cmus and tmux),
 * per mode; the same names are used by the config file ("bind KEY NAME")
 * and the help overlay lists the table.
 */
#ifndef LR_KEYS_H
#define LR_KEYS_H

#include "common/common.h"
#include "ui/roll.h"

#define KEYS_ANY_MODE	(-1)

struct key_entry {
	int		 key;	/* curses key code, | UI_KEY_ALT */
	int		 mode;	/* enum roll_mode or KEYS_ANY_MODE */
	const char	*name;	/* "slider-left" */
	enum roll_cmd	 cmd;
	int		 arg;
	const char	*help;	/* one line for the overlay, NULL: hidden */
};

/* Reset the table to the defaults (also done on first use). */
void	keys_init(void);
/* The entry for a key in a mode, or NULL. */
const struct key_entry *keys_lookup(int key, int mode);
/* The first entry with a command name, or NULL. */
const struct key_entry *keys_find(const char *name);
/* Entry i of the table (help overlay), or NULL past the end. */
const struct key_entry *keys_entry(int i);

/* Key name ("Left", "C-r", "M-1", "F1", "a") into buf. */
void	keys_name(int key, char *buf, size_t len);
/* Parse a key name; -1 if unknown. */
int	keys_parse(const char *s);
/*
 * Apply one config line "bind KEY NAME" (comments '#' and blank lines are
 * accepted): the key now runs the command NAME in that command's mode.
 */
int	keys_config_line(const char *line, char **cause) LR_WUR;

#endif
