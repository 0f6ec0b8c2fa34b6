/*
 * ui.c: placeholder entry of the ui layer until the piano roll lands.
 */
#include "ui/ui.h"

const char *
ui_version(void)
{
	return ("ui 0");
}
