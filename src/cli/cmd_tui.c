/*
 * cmd_tui.c: the instrument's command line (latentroll with no command):
 * options into struct app_opts, then app_run().
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmds.h"

#define TUI_USAGE "(usage: latentroll [--model DIR] [--out DEV|synth] " \
	"[--in DEV] [--soundfont SF2] [--follow | --master] [--no-midi] " \
	"[A.mid B.mid | --set FILE])"

/* Options that take a value. */
static const char *
tui_value_opt(const char *arg)
{
	static const char *opts[] = { "--set", "--model", "--out", "--in",
	    "--log", "--soundfont", NULL };
	int	i;

	for (i = 0; opts[i] != NULL; i++)
		if (strcmp(arg, opts[i]) == 0)
			return (opts[i]);
	return (NULL);
}

/*
 * latentroll [--model DIR] [--out DEV|synth] [--in DEV] [--soundfont SF2]
 * [--follow | --master] [--no-midi] [A.mid B.mid | --set F]
 */
int
cmd_tui(int argc, char **argv)
{
	struct app_opts	 o;
	const char	*opt;
	char		*cause = NULL;
	int		 i, n = 0;

	memset(&o, 0, sizeof o);
	o.datadir = cmd_datadir();
	for (i = 1; i < argc; i++) {
		if ((opt = tui_value_opt(argv[i])) != NULL) {
			if (i + 1 == argc) {
				cmd_error("%s needs a value " TUI_USAGE,
				    argv[i]);
				return (CMD_USAGE);
			}
			if (strcmp(opt, "--set") == 0)
				o.set = argv[++i];
			else if (strcmp(opt, "--model") == 0)
				o.model = argv[++i];
			else if (strcmp(opt, "--out") == 0)
				o.out = argv[++i];
			else if (strcmp(opt, "--in") == 0)
				o.in = argv[++i];
			else if (strcmp(opt, "--soundfont") == 0)
				o.soundfont = argv[++i];
			else
				o.log = argv[++i];
		} else if (strcmp(argv[i], "--follow") == 0)
			o.follow = 1;
		else if (strcmp(argv[i], "--master") == 0)
			o.master = 1;
		else if (strcmp(argv[i], "--no-midi") == 0)
			o.no_midi = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			cmd_error("unknown option %s " TUI_USAGE, argv[i]);
			return (CMD_USAGE);
		} else if (n < 2)
			o.clip[n++] = argv[i];
		else {
			cmd_error("too many clips (two: A and B)");
			return (CMD_USAGE);
		}
	}
	if (o.follow && o.master) {
		cmd_error("--follow and --master: the clock comes from outside "
		    "or from here, not both");
		return (CMD_USAGE);
	}
	if (o.model != NULL && (o.model = cmd_model_path(o.model,
	    &cause)) == NULL) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	if (app_run(&o, &cause) != 0) {
		if (cause != NULL)
			cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	return (CMD_OK);
}
