/*
 * midifile.h: Standard MIDI Files in and out through libsmf.
 * libsmf logs through glib; midifile_log_init() routes those messages into
 * our error causes instead of the terminal.
 */
#ifndef LR_MIDIFILE_H
#define LR_MIDIFILE_H

#include "common.h"
#include "noteseq.h"

/* Route glib/libsmf log messages away from stderr (call once, early). */
void	midifile_log_init(void);

/*
 * Load a Standard MIDI File (format 0 or 1) into s (initialised here).
 * -1 with a one-line cause "FILE: what is wrong" on any bad input.
 */
int	midifile_load(const char *path, struct noteseq *s, char **cause) LR_WUR;

/*
 * Save s as a format 1 file: tempo, time signature, track name, program.
 * Atomic (temporary file + rename).  Refuses to overwrite a file that was
 * loaded as an input (midifile_load registers it) unless force is set.
 */
int	midifile_save(const char *path, const struct noteseq *s, int force,
	    char **cause) LR_WUR;

/* 1 if path names a file loaded as an input in this process. */
int	midifile_is_input(const char *path);

#endif
