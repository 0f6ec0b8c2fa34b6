/*
 * cmds.h: the latentroll commands.  Each takes argc/argv from the command
 * name on (argv[0] is the command) and returns the exit status:
 * 0 success, 1 a user error (already reported as "latentroll: FILE: what"),
 * 2 a usage error.
 */
#ifndef LR_CMDS_H
#define LR_CMDS_H

#define CMD_OK		0
#define CMD_ERROR	1
#define CMD_USAGE	2

struct cmd_entry {
	const char	*name;
	const char	*args;		/* one-line synopsis */
	const char	*help;		/* what it does */
	int		(*fn)(int, char **);
};

/* src/cli/cmd_midi.c */
int	cmd_inspect(int, char **);
int	cmd_convert(int, char **);
/* src/cli/cmd_model.c */
int	cmd_encode(int, char **);
int	cmd_decode(int, char **);
int	cmd_interpolate(int, char **);
int	cmd_export(int, char **);
int	cmd_sample(int, char **);
int	cmd_similar(int, char **);
int	cmd_import(int, char **);
int	cmd_models(int, char **);
/* src/cli/cmd_train.c, cmd_attrs.c */
int	cmd_train(int, char **);
int	cmd_eval(int, char **);
int	cmd_attrs(int, char **);
/* src/cli/cmd_play.c */
int	cmd_play(int, char **);
int	cmd_devices(int, char **);
int	cmd_render(int, char **);
/* src/cli/cmd_tui.c: the instrument (TUI) */
int	cmd_tui(int, char **);

/* src/cli/main.c: report a user error as "latentroll: msg" on stderr. */
void	cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "usage: latentroll CMD ..." on stderr and return CMD_USAGE. */
int	cmd_usage(const char *name);
/* Can a new file go at path (a regular file or none, not a directory,
   not one of cmd_input's files, in a writable folder)?  -1 after
   reporting why not.  --force is the caller's: this holds with it. */
int	cmd_out_check(const char *path);
/* path (FILE or FILE.abc#X) is read by this command: no output of it
   may replace it (cmd_out_check).  Call before checking outputs. */
void	cmd_input(const char *path);
/*
 * opts.c: a number of option --name (or -n for a one-letter name), on one
 * line when it is wrong: "--NAME S: want WHAT from LO to HI" (WHAT: "a
 * whole number" unless given; opt_real's what is the whole phrase).
 * 0, or -1 after saying so.
 */
int	opt_whole(const char *name, const char *s, long lo, long hi,
	    const char *what, long *out);
int	opt_real(const char *name, const char *s, double lo, double hi,
	    const char *what, double *out);
int	opt_seed(const char *name, const char *s, unsigned long long max,
	    unsigned long long *out);

/* where.c: the folder of shipped data (models, clips; see where.c for
   the order it is looked up in), and --data-dir's override of it. */
const char *cmd_datadir(void);
void	cmd_set_datadir(const char *dir);
/* The user's model folder ($XDG_DATA_HOME/latentroll/models). */
char	*cmd_user_models(void);
/* The folder of --model NAME|DIR (NULL: the shipped 2-bar model), kept
   until exit; NULL with a cause saying where it looked. */
const char *cmd_model_path(const char *name, char **cause);

#endif
