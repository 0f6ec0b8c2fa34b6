/*
 * musicfile.h: a music file a user names, MIDI or ABC, as a note
 * sequence.  The one way every command and the instrument open a clip,
 * and the same path the training data takes (abcfile.c through
 * abc2midi, midifile.c through libsmf).
 */
#ifndef LR_MUSICFILE_H
#define LR_MUSICFILE_H

#include "common.h"
#include "noteseq.h"

/*
 * path as a note sequence.  An ABC file gives its tune with reference
 * number tune ("X: 3"), or its first tune for 0; "FILE.abc#3" names tune 3
 * too.  tune must be 0 for a MIDI file.  -1 with a cause naming the file
 * (and tune).
 */
int	musicfile_load(const char *path, int tune, struct noteseq *seq,
	    char **cause) LR_WUR;

#endif
