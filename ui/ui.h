/*
 * ui.h: the ncurses instrument screen.  Plain data in, key commands out;
 * no BLAS, no PortMidi, no libsmf here.
 */
#ifndef LR_UI_H
#define LR_UI_H

#include "common/common.h"

/* The version of the ui layer (for the --version line). */
const char	*ui_version(void);

#endif
