/*
 * synth.h: the built-in General MIDI synth, on libfluidsynth.  MIDI
 * messages in (the same bytes a PortMidi port gets), audio out through
 * one of fluidsynth's drivers (PulseAudio, ALSA, JACK, SDL2: the first
 * that opens), or through its "file" driver in real time (tests, bench),
 * or rendered offline into a buffer at sample-exact times (render.h).
 *
 * fluidsynth's own log goes nowhere (it would print under curses); its
 * last error on the calling thread becomes the cause of a failure.
 */
#ifndef LR_SYNTH_H
#define LR_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Debian's General MIDI soundfont (an alternatives link). */
#define SYNTH_DEFAULT_SF2	"/usr/share/sounds/sf2/default-GM.sf2"
#define SYNTH_RATE		44100
/* Output gain: a melody of the shipped clips near -35 dBFS RMS, chords
   and drums well clear of full scale. */
#define SYNTH_GAIN		0.6
/* The name the synth goes by as an output (--out synth, devices). */
#define SYNTH_OUT_NAME		"built-in synth"

struct synth_opts {
	const char	*soundfont;	/* NULL or "": SYNTH_DEFAULT_SF2 */
	/*
	 * Live audio: NULL tries fluidsynth's default driver, then
	 * pulseaudio, alsa, jack, sdl2; a name tries that one only.
	 * "file" writes what a listener would hear to `file`, in real
	 * time.
	 */
	const char	*driver;
	const char	*file;
	int		 period;	/* frames per period; 0: fluidsynth's */
	int		 periods;	/* periods buffered; 0: fluidsynth's */
};

struct synth;

/*
 * A synth with the soundfont loaded: -1 cause (NULL back) names the file
 * when it is missing or not a SoundFont.  audio: also start an audio
 * driver; when none opens the synth still works (silently):
 * synth_audio_error() says why, in one line.
 */
struct synth	*synth_new(const struct synth_opts *o, int audio,
		    char **cause) LR_WUR;
/* All sound off, the driver stopped, freed. */
void		 synth_free(struct synth *s);

/* One MIDI message (channel voice and mode messages; others ignored). */
void		 synth_midi(struct synth *s, const uint8_t *msg, int len);
/* All notes off and all sound off on every channel, now. */
void		 synth_silence(struct synth *s);

/* 1 when an audio driver runs. */
int		 synth_has_audio(const struct synth *s);
/* "" or why there is no audio ("no audio device (...)"). */
const char	*synth_audio_error(const struct synth *s);
/* The driver's name ("pulseaudio", "file", ...) or "". */
const char	*synth_driver(const struct synth *s);
/* Monotonic seconds as the driver was started (its sample 0 comes no
   earlier: the file driver's 5-20 ms later); 0: none. */
double		 synth_audio_start(const struct synth *s);
/* Frames per period and periods buffered, as the driver was given. */
void		 synth_period(const struct synth *s, int *period,
		    int *periods);
/* Voices sounding now (releasing ones included). */
int		 synth_voices(struct synth *s);

/*
 * Offline: render `frames` stereo frames (interleaved floats) into out,
 * continuing where the last call ended.  Messages given between calls
 * take effect at the next of fluidsynth's 64-frame blocks.
 */
void		 synth_write(struct synth *s, float *out, size_t frames);

/*
 * fd 2 to /dev/null from quiet_begin to quiet_end: ALSA, JACK and
 * PortMidi print there while opening, and stderr is the screen under
 * curses.
 */
struct quiet {
	int	saved, null;
};
void	quiet_begin(struct quiet *q);
void	quiet_end(struct quiet *q);

#endif
