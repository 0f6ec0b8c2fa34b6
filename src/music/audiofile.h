/*
 * audiofile.h: rendered audio to a file, through libsndfile.  16-bit
 * PCM WAV, or FLAC when the name ends in .flac (and libsndfile has it).
 * Atomic (common/atomic.h): the file appears whole or not at all, and
 * never over an existing one unless force.
 */
#ifndef LR_AUDIOFILE_H
#define LR_AUDIOFILE_H

#include <stddef.h>

#include "common.h"

/* 1 when path names an audio file we write (.wav, .flac). */
int	audiofile_is_audio(const char *path);

/*
 * Write frames x channels interleaved floats (clipped to [-1, 1]) at rate
 * to path.  -1 with a cause naming the file.
 */
int	audiofile_save(const char *path, const float *pcm, size_t frames,
	    int channels, int rate, int force, char **cause) LR_WUR;

#endif
