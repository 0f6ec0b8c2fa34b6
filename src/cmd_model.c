/*
 * cmd_model.c: not built yet (placeholder so the binary links).
 */
#include "src/cmds.h"

int
cmd_encode(int argc, char **argv)
{
	cmd_error("encode: not implemented yet");
	return (CMD_ERROR);
}

int
cmd_decode(int argc, char **argv)
{
	cmd_error("decode: not implemented yet");
	return (CMD_ERROR);
}

int
cmd_interpolate(int argc, char **argv)
{
	cmd_error("interpolate: not implemented yet");
	return (CMD_ERROR);
}

