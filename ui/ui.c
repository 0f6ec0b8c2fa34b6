/*
 * ui.c: terminal setup and teardown (the one place that changes terminal
 * modes, as tmux's tty_start_tty/tty_stop_tty), key reading and SIGWINCH.
 */
#include "ui.h"

#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

static int			ui_on;
static volatile sig_atomic_t	ui_winch;

static void
ui_winch_handler(int sig)
{
	(void)sig;
	ui_winch = 1;	/* only a flag: the main loop resizes */
}

void
ui_winch_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_winch_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
}

int
ui_start(char **cause)
{
	if (ui_on)
		return (0);
	/* ESC arrives alone or as Alt: 25 ms is plenty on a local tty. */
	set_escdelay(25);
	/* UTF-8 names (clips, paths typed at the prompt) drawn as such;
	   only the character type, so numbers keep their '.'. */
	setlocale(LC_CTYPE, "");
	if (initscr() == NULL)
		return (lr_fail(cause, "cannot start curses (TERM?)"));
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);		/* A */
		init_pair(2, COLOR_MAGENTA, -1);	/* B */
		init_pair(3, COLOR_GREEN, -1);		/* result */
		init_pair(4, COLOR_YELLOW, -1);		/* changed */
		init_pair(5, COLOR_RED, -1);		/* errors */
		init_pair(6, COLOR_BLUE, -1);		/* grid */
	}
	ui_on = 1;
	ui_winch_install();
	return (0);
}

int
ui_active(void)
{
	return (ui_on);
}

void
ui_stop(void)
{
	if (!ui_on)
		return;
	ui_on = 0;
	curs_set(1);
	endwin();
}

int
ui_resized(void)
{
	struct winsize	ws;

	if (!ui_winch)
		return (0);
	ui_winch = 0;
	if (ui_on) {
		/* The new size from the terminal itself.  Not endwin +
		   refresh: endwin leaves keypad transmit mode, and an
		   arrow pressed next came in as ESC [ C, read as Alt-[
		   then C (in a prompt: a stray letter in a file name). */
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_row > 0 && ws.ws_col > 0)
			resizeterm(ws.ws_row, ws.ws_col);
		clear();
	}
	return (1);
}

int
ui_getkey(void)
{
	int	c, d;

	if (!ui_on)
		return (-1);
	/* resizeterm queues a KEY_RESIZE: ui_resized has done the work,
	   so skip it (returning -1 would strand keys curses has already
	   read from the tty, where poll() no longer sees them). */
	while ((c = getch()) == KEY_RESIZE)
		continue;
	if (c == ERR)
		return (-1);
	if (c == '\r')
		c = '\n';
	if (c == 27) {
		/* Alt+x is ESC followed at once by x.  ESC then an arrow
		   or another ESC (Esc pressed just before them) is two
		   keys: the second is read next time. */
		d = getch();
		if (d == ERR)
			return (27);
		if (d == 27 || d > 255) {
			ungetch(d);
			return (27);
		}
		return (d | UI_KEY_ALT);
	}
	return (c);
}

void
ui_redraw(void)
{
	if (ui_on)
		clearok(curscr, TRUE);
}

void
ui_size(int *cols, int *rows)
{
	*cols = ui_on ? COLS : 80;
	*rows = ui_on ? LINES : 24;
}

void
ui_note_name(int pitch, char *buf, size_t len)
{
	static const char *names[12] = { "C", "C#", "D", "D#", "E", "F",
	    "F#", "G", "G#", "A", "A#", "B" };

	if (pitch < 0 || pitch > 127) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s%d", names[pitch % 12], pitch / 12 - 1);
}

const char *
ui_version(void)
{
	return ("ui 1");
}
