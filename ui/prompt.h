/*
 * prompt.h: a one-line text prompt (paths, yes/no questions) as plain
 * state, fed one key at a time from the main loop so the player and the
 * worker keep running while the user types.  Tab completes a path.
 */
#ifndef LR_PROMPT_H
#define LR_PROMPT_H

#include <stddef.h>

#include "common.h"

#define PROMPT_MAX	1024

enum prompt_result {
	PROMPT_CONTINUE,
	PROMPT_ACCEPT,		/* Enter */
	PROMPT_CANCEL,		/* Esc or C-g */
};

struct prompt {
	int	 active;
	int	 purpose;		/* the caller's tag (what to do) */
	char	 label[256];		/* "save as: " */
	char	 text[PROMPT_MAX];
	size_t	 len;
	char	 hint[256];		/* completion candidates, one line */
};

/* Open the prompt with a label and an initial text. */
void	prompt_open(struct prompt *p, int purpose, const char *label,
	    const char *text);
void	prompt_close(struct prompt *p);
/*
 * Feed a key (curses code); PROMPT_ACCEPT leaves the text in p->text, a
 * leading ~ turned into $HOME (Tab does that too).
 */
enum prompt_result prompt_key(struct prompt *p, int key);
/*
 * Complete p->text as a path: the longest common prefix of the matches,
 * a '/' after a directory; candidates go to p->hint.  Returns the number
 * of matches.
 */
int	prompt_complete(struct prompt *p);

#endif
