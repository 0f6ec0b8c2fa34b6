/*
 * cmd_train.c: not built yet (placeholder so the binary links).
 */
#include "src/cmds.h"

int
cmd_train(int argc, char **argv)
{
	cmd_error("train: not implemented yet");
	return (CMD_ERROR);
}

int
cmd_eval(int argc, char **argv)
{
	cmd_error("eval: not implemented yet");
	return (CMD_ERROR);
}

int
cmd_attrs(int argc, char **argv)
{
	cmd_error("attrs: not implemented yet");
	return (CMD_ERROR);
}

