/*
 * prompt.c: the path prompt.  Completion reads the directory with glob(3);
 * nothing here draws (ui/draw.c shows p->label, p->text and p->hint).
 */
#include "prompt.h"

#include <sys/stat.h>

#include <curses.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void	expand_home(struct prompt *);

void
prompt_open(struct prompt *p, int purpose, const char *label,
    const char *text)
{
	memset(p, 0, sizeof *p);
	p->active = 1;
	p->purpose = purpose;
	snprintf(p->label, sizeof p->label, "%s", label);
	snprintf(p->text, sizeof p->text, "%s", text != NULL ? text : "");
	p->len = strlen(p->text);
}

/* A leading ~ is $HOME, as in a shell (glob's GLOB_TILDE does not
   apply to the text the caller opens or saves). */
static void
expand_home(struct prompt *p)
{
	const char	*home = getenv("HOME");
	char		 buf[PROMPT_MAX];
	int		 n;

	if (p->text[0] != '~' || (p->text[1] != '/' && p->text[1] != '\0') ||
	    home == NULL || home[0] == '\0')
		return;
	n = snprintf(buf, sizeof buf, "%s%s", home, p->text + 1);
	if (n < 0 || (size_t)n >= sizeof buf)
		return;
	memcpy(p->text, buf, (size_t)n + 1);
	p->len = (size_t)n;
}

void
prompt_close(struct prompt *p)
{
	p->active = 0;
	p->hint[0] = '\0';
}

enum prompt_result
prompt_key(struct prompt *p, int key)
{
	switch (key) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		expand_home(p);
		return (PROMPT_ACCEPT);
	case 27:
	case 7:		/* C-g */
		return (PROMPT_CANCEL);
	case '\t':
		prompt_complete(p);
		return (PROMPT_CONTINUE);
	case KEY_BACKSPACE:
	case 127:
	case 8:
		/* A whole character: UTF-8 continuation bytes too. */
		while (p->len > 0 &&
		    ((unsigned char)p->text[p->len - 1] & 0xc0) == 0x80)
			p->len--;
		if (p->len > 0)
			p->len--;
		p->text[p->len] = '\0';
		return (PROMPT_CONTINUE);
	case 21:	/* C-u: clear, as in a shell */
		p->len = 0;
		p->text[0] = '\0';
		return (PROMPT_CONTINUE);
	}
	if (key >= 32 && key < 256 && key != 127 && p->len + 1 < PROMPT_MAX) {
		p->text[p->len++] = (char)key;
		p->text[p->len] = '\0';
	}
	return (PROMPT_CONTINUE);
}

int
prompt_complete(struct prompt *p)
{
	glob_t		 g;
	char		 pat[2 * PROMPT_MAX + 2], *e;
	size_t		 i, j, common, used;
	int		 n;

	expand_home(p);
	/* The text is a name, not a pattern: "take [2].mid" completes. */
	for (e = pat, i = 0; i < p->len; i++) {
		if (strchr("*?[\\", p->text[i]) != NULL)
			*e++ = '\\';
		*e++ = p->text[i];
	}
	*e++ = '*';
	*e = '\0';
	p->hint[0] = '\0';
	if (glob(pat, GLOB_MARK, NULL, &g) != 0) {
		snprintf(p->hint, sizeof p->hint, "(no match)");
		return (0);
	}
	n = (int)g.gl_pathc;
	/* Longest common prefix of every match. */
	common = strlen(g.gl_pathv[0]);
	for (i = 1; i < g.gl_pathc; i++) {
		for (j = 0; j < common && g.gl_pathv[i][j] ==
		    g.gl_pathv[0][j]; j++)
			;
		common = j;
	}
	if (common >= p->len && common < PROMPT_MAX) {
		memcpy(p->text, g.gl_pathv[0], common);
		p->text[common] = '\0';
		p->len = common;
	}
	/* One match is in the text now (a folder with its '/'; Tab again
	   lists what is in it): no hint repeating it. */
	if (n == 1)
		p->hint[0] = '\0';
	else {
		used = 0;
		for (i = 0; i < g.gl_pathc && used + 2 < sizeof p->hint; i++) {
			const char *base = strrchr(g.gl_pathv[i], '/');

			/* Show the last component (a trailing '/' kept). */
			if (base != NULL && base[1] == '\0' &&
			    base > g.gl_pathv[i]) {
				const char *q = base - 1;

				while (q > g.gl_pathv[i] && q[-1] != '/')
					q--;
				base = q;
			} else
				base = base != NULL ? base + 1 : g.gl_pathv[i];
			used += snprintf(p->hint + used, sizeof p->hint - used,
			    "%s ", base);
		}
		if (used >= sizeof p->hint)
			p->hint[sizeof p->hint - 1] = '\0';
	}
	globfree(&g);
	return (n);
}
