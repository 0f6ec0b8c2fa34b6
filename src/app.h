/*
 * app.h: the instrument: wiring of the piano roll (ui/), the decode worker
 * (src/worker.c), the player (src/live.h), clips and sets.  cmd_tui()
 * (src/cmds.h) parses the command line into app_opts and runs app_run().
 */
#ifndef LR_APP_H
#define LR_APP_H

#include "common/common.h"

struct app_opts {
	const char	*clip[2];	/* A and B, NULL: the shipped ones */
	const char	*model;		/* checkpoint dir, NULL: shipped */
	const char	*set;		/* --set FILE */
	const char	*out;		/* MIDI output (name or index) */
	int		 no_midi;	/* null sink */
	const char	*log;		/* -v log file, NULL: none */
};

/* Run the instrument until q; returns a CMD_* exit status. */
int	app_run(const struct app_opts *o);

#endif
