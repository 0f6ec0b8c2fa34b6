/*
 * cmd_play.c: not built yet (placeholder so the binary links).
 */
#include "src/cmds.h"

int
cmd_play(int argc, char **argv)
{
	cmd_error("play: not implemented yet");
	return (CMD_ERROR);
}

int
cmd_devices(int argc, char **argv)
{
	cmd_error("devices: not implemented yet");
	return (CMD_ERROR);
}

