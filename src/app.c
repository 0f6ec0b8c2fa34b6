/*
 * app.c: not built yet (placeholder so the binary links).
 */
#include "src/cmds.h"

int
cmd_tui(int argc, char **argv)
{
	cmd_error("tui: not implemented yet");
	return (CMD_ERROR);
}

