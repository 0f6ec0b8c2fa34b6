/*
 * render.h: a pattern as audio, faster than real time.  The player runs
 * offline on a simulated clock, exactly as it would live (same swaps,
 * velocities, programs, channels, tempo and loop count: live_opts), its
 * messages are recorded with their ideal times, and the built-in synth
 * renders them, each at its own sample (fluidsynth applies a message at
 * its next 64-frame block: at most 1.45 ms late at 44.1 kHz).  Samples
 * only: writing a file is the caller's (audiofile.h).
 */
#ifndef LR_RENDER_H
#define LR_RENDER_H

#include <stddef.h>

#include "live.h"

/* Seconds of audio after the last loop: the notes' release and reverb. */
#define RENDER_TAIL_S	1.5

struct render_audio {
	float			*pcm;		/* frames x 2, interleaved */
	size_t			 frames;
	int			 rate;		/* SYNTH_RATE */
	double			 music_s;	/* loops x loop length */
	double			 tail_s;	/* after it */
	struct live_event	*events;	/* what was rendered (times
						   from the first loop's
						   start) */
	size_t			 n_events;
};

/*
 * Render `loops` loops of p as the player would play them with lo (its
 * sink, offline and clock fields are ignored) through the soundfont (NULL:
 * the default).  Then RENDER_TAIL_S of release.  -1 with a cause.
 */
int	render_pattern(const struct live_opts *lo,
	    const struct live_pattern *p, long loops, const char *soundfont,
	    struct render_audio *out, char **cause) LR_WUR;

/*
 * Render recorded messages (times in seconds, t0 at sample 0) for
 * `seconds` into out->pcm; out->events is left alone.  The panic's CC 120
 * and 123 are skipped so the last notes release into the tail.
 */
int	render_events(const struct live_event *ev, size_t n, double t0,
	    double seconds, const char *soundfont, struct render_audio *out,
	    char **cause) LR_WUR;

void	render_audio_free(struct render_audio *a);

#endif
