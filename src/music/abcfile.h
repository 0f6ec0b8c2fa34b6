/*
 * abcfile.h: ABC notation tunes in, through Debian's abcmidi.
 *
 * An ABC file holds tunes that each start with an "X: N" line.  Each tune
 * is turned into a Standard MIDI File by abc2midi (grace notes, fermatas
 * and guitar chords dropped, so only the melody is left; repeats played
 * out) and read back with midifile_load, so ABC reaches the converters as
 * the same note sequence a MIDI file would.
 */
#ifndef LR_ABCFILE_H
#define LR_ABCFILE_H

#include "common.h"
#include "noteseq.h"

/* 1 when a file name ends in .abc (any case). */
int	abcfile_is_abc(const char *name);

/*
 * The reference numbers of the tunes in path (its "X:" lines), in file
 * order, in a new array *xs of *n.  -1 with a cause if the file cannot be
 * read or holds no tune.
 */
int	abcfile_tunes(const char *path, int **xs, int *n, char **cause) LR_WUR;

/*
 * Tune x of path as a note sequence, through a MIDI file abc2midi writes
 * into tmpdir (removed again).  -1 with a cause naming the file and tune
 * when abc2midi is missing, fails or writes nothing, or the MIDI it wrote
 * does not read.
 */
int	abcfile_load(const char *path, int x, const char *tmpdir,
	    struct noteseq *seq, char **cause) LR_WUR;

#endif
