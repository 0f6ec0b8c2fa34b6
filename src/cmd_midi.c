/*
 * cmd_midi.c: not built yet (placeholder so the binary links).
 */
#include "src/cmds.h"

int
cmd_inspect(int argc, char **argv)
{
	cmd_error("inspect: not implemented yet");
	return (CMD_ERROR);
}

int
cmd_convert(int argc, char **argv)
{
	cmd_error("convert: not implemented yet");
	return (CMD_ERROR);
}

