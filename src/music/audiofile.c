/*
 * audiofile.c: WAV and FLAC through libsndfile, written to the atomic
 * writer's temporary file and renamed into place.
 */
#include "audiofile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sndfile.h>

#include "atomic.h"

struct audio_job {
	const float	*pcm;
	size_t		 frames;
	int		 channels, rate, format;
};

/* The format for the name's extension, or 0. */
static int
format_for(const char *path)
{
	const char	*dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return (0);
	if (strcasecmp(dot, ".wav") == 0)
		return (SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	if (strcasecmp(dot, ".flac") == 0)
		return (SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
	return (0);
}

int
audiofile_is_audio(const char *path)
{
	return (format_for(path) != 0);
}

static int
fill(const char *tmp, void *arg, char **cause)
{
	struct audio_job	*j = arg;
	SF_INFO			 info;
	SNDFILE			*f;
	sf_count_t		 w;
	int			 clip = 1;

	memset(&info, 0, sizeof info);
	info.samplerate = j->rate;
	info.channels = j->channels;
	info.format = j->format;
	if ((f = sf_open(tmp, SFM_WRITE, &info)) == NULL)
		return (lr_fail(cause, "%s", sf_strerror(NULL)));
	/* Floats beyond full scale clip rather than wrap. */
	sf_command(f, SFC_SET_CLIPPING, NULL, clip);
	w = sf_writef_float(f, j->pcm, (sf_count_t)j->frames);
	if (w != (sf_count_t)j->frames) {
		lr_fail(cause, "%s", sf_strerror(f));
		sf_close(f);
		return (-1);
	}
	if (sf_close(f) != 0)
		return (lr_fail(cause, "cannot finish the file"));
	return (0);
}

int
audiofile_save(const char *path, const float *pcm, size_t frames,
    int channels, int rate, int force, char **cause)
{
	struct audio_job	j;
	SF_INFO			info;

	memset(&j, 0, sizeof j);
	j.pcm = pcm;
	j.frames = frames;
	j.channels = channels;
	j.rate = rate;
	if ((j.format = format_for(path)) == 0)
		return (lr_fail(cause, "%s: want a .wav or .flac name", path));
	memset(&info, 0, sizeof info);
	info.samplerate = rate;
	info.channels = channels;
	info.format = j.format;
	if (!sf_format_check(&info))
		return (lr_fail(cause, "%s: this libsndfile cannot write %s",
		    path, (j.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC ?
		    "FLAC (use .wav)" : "this format"));
	if (!force && access(path, F_OK) == 0)
		return (lr_fail(cause, "%s: exists (use --force to overwrite)",
		    path));
	return (atomic_write_path(path, fill, &j, cause));
}
