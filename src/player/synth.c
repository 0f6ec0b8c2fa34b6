/*
 * synth.c: the built-in synth.  One fluid_settings + fluid_synth per
 * synth, the soundfont loaded once, an audio driver on top when live.
 * fluidsynth's synth is thread safe (synth.threadsafe-api, on by
 * default): the player thread sends while the driver's thread renders.
 */
#include "synth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <fluidsynth.h>

#include "clock.h"

struct synth {
	fluid_settings_t	*settings;
	fluid_synth_t		*synth;
	fluid_audio_driver_t	*driver;
	char			 driver_name[32];
	char			 audio_error[256];
	double			 audio_start;
	int			 period, periods;
};

/*
 * fluidsynth logs to stderr by default, which is the screen under curses.
 * Keep the last error or warning of each thread instead: the thread that
 * asked for a soundfont or a driver reads it back as the cause.
 */
static __thread char	fl_last[256];
static pthread_once_t	fl_once = PTHREAD_ONCE_INIT;

static void
fl_log(int level, const char *msg, void *arg)
{
	if (level <= FLUID_WARN && msg != NULL)
		snprintf(fl_last, sizeof fl_last, "%s", msg);
}

static void
fl_quiet(void)
{
	int	lv;

	for (lv = FLUID_PANIC; lv <= FLUID_DBG; lv++)
		fluid_set_log_function(lv, fl_log, NULL);
}

/* Start driver `name`; 0, or -1 with the reason in why. */
static int
try_driver(struct synth *s, const char *name, char *why, size_t len)
{
	fl_last[0] = '\0';
	if (fluid_settings_setstr(s->settings, "audio.driver", name) !=
	    FLUID_OK) {
		snprintf(why, len, "%s: not built in", name);
		return (-1);
	}
	/* Before the call: the driver may render its first period
	   inside it, so sample 0 is no later than this. */
	s->audio_start = clock_mono_now(NULL);
	s->driver = new_fluid_audio_driver(s->settings, s->synth);
	if (s->driver == NULL) {
		snprintf(why, len, "%s%s%s", name, fl_last[0] != '\0' ?
		    ": " : "", fl_last);
		return (-1);
	}
	snprintf(s->driver_name, sizeof s->driver_name, "%s", name);
	return (0);
}

void
quiet_begin(struct quiet *q)
{
	fflush(stderr);
	q->saved = dup(2);
	q->null = open("/dev/null", O_WRONLY);
	if (q->saved != -1 && q->null != -1)
		dup2(q->null, 2);
}

void
quiet_end(struct quiet *q)
{
	if (q->saved != -1 && q->null != -1)
		dup2(q->saved, 2);
	if (q->saved != -1)
		close(q->saved);
	if (q->null != -1)
		close(q->null);
}

/*
 * The first driver that opens: the one asked for, else fluidsynth's
 * default and then the usual desktop ones.  None: a one-line reason.
 */
static void
start_audio(struct synth *s, const struct synth_opts *o)
{
	static const char *const order[] = { "pulseaudio", "alsa", "jack",
	    "sdl2" };
	const char	*tried[8];
	char		*def = NULL, why[160], names[96] = "";
	size_t		 i, j, n = 0;
	struct quiet	 q;
	int		 seen;

	if (o->driver != NULL && *o->driver != '\0')
		tried[n++] = o->driver;
	else {
		if (fluid_settings_getstr_default(s->settings, "audio.driver",
		    &def) == FLUID_OK && def != NULL && *def != '\0')
			tried[n++] = def;
		for (i = 0; i < sizeof order / sizeof order[0]; i++) {
			for (seen = 0, j = 0; j < n; j++)
				seen |= strcmp(tried[j], order[i]) == 0;
			if (!seen)
				tried[n++] = order[i];
		}
	}
	if (o->file != NULL)
		fluid_settings_setstr(s->settings, "audio.file.name", o->file);
	why[0] = '\0';
	/* ALSA and JACK print to stderr, the screen under curses. */
	quiet_begin(&q);
	for (i = 0; i < n; i++) {
		if (try_driver(s, tried[i], why, sizeof why) == 0)
			break;
		snprintf(names + strlen(names), sizeof names - strlen(names),
		    "%s%s", i > 0 ? ", " : "", tried[i]);
	}
	quiet_end(&q);
	if (s->driver != NULL)
		return;
	/* The last reason is the one that says most (ALSA: no card). */
	if (n == 1)
		snprintf(s->audio_error, sizeof s->audio_error,
		    "no audio device (%s)", why);
	else
		snprintf(s->audio_error, sizeof s->audio_error,
		    "no audio device (tried %s)", names);
}

/* Load the soundfont; -1 with a cause naming the file. */
static int
load_sf2(struct synth *s, const char *path, char **cause)
{
	struct stat	st;
	FILE		*f;
	char		 magic[12];

	if (stat(path, &st) != 0 || (f = fopen(path, "rb")) == NULL)
		return (lr_fail(cause, "%s: %s (the soundfont; soundfont = "
		    "PATH in the settings or --soundfont choose another)",
		    path, strerror(errno)));
	/* A RIFF "sfbk" file, or fluidsynth would name no reason. */
	if (fread(magic, 1, sizeof magic, f) != sizeof magic ||
	    memcmp(magic, "RIFF", 4) != 0 || memcmp(magic + 8, "sfbk", 4) !=
	    0) {
		fclose(f);
		return (lr_fail(cause, "%s: not a SoundFont (.sf2) file",
		    path));
	}
	fclose(f);
	fl_last[0] = '\0';
	if (fluid_synth_sfload(s->synth, path, 1) == FLUID_FAILED)
		return (lr_fail(cause, "%s: not a usable SoundFont%s%s", path,
		    fl_last[0] != '\0' ? ": " : "", fl_last));
	return (0);
}

struct synth *
synth_new(const struct synth_opts *o, int audio, char **cause)
{
	struct synth	*s;
	const char	*sf2;

	pthread_once(&fl_once, fl_quiet);
	s = lr_calloc(1, sizeof *s);
	if ((s->settings = new_fluid_settings()) == NULL) {
		free(s);
		return (lr_fail(cause, "fluidsynth: cannot make settings"),
		    NULL);
	}
	fluid_settings_setnum(s->settings, "synth.sample-rate", SYNTH_RATE);
	/* fluidsynth's 0.2 leaves a melody near -45 dBFS RMS. */
	fluid_settings_setnum(s->settings, "synth.gain", SYNTH_GAIN);
	if (o->period > 0)
		fluid_settings_setint(s->settings, "audio.period-size",
		    o->period);
	if (o->periods > 0)
		fluid_settings_setint(s->settings, "audio.periods", o->periods);
	fluid_settings_getint(s->settings, "audio.period-size", &s->period);
	fluid_settings_getint(s->settings, "audio.periods", &s->periods);
	if ((s->synth = new_fluid_synth(s->settings)) == NULL) {
		lr_fail(cause, "fluidsynth: cannot start the synth%s%s",
		    fl_last[0] != '\0' ? ": " : "", fl_last);
		goto fail;
	}
	sf2 = o->soundfont != NULL && *o->soundfont != '\0' ? o->soundfont :
	    SYNTH_DEFAULT_SF2;
	if (load_sf2(s, sf2, cause) != 0)
		goto fail;
	if (audio)
		start_audio(s, o);
	return (s);
fail:
	if (s->synth != NULL)
		delete_fluid_synth(s->synth);
	delete_fluid_settings(s->settings);
	free(s);
	return (NULL);
}

void
synth_free(struct synth *s)
{
	if (s == NULL)
		return;
	synth_silence(s);
	if (s->driver != NULL)
		delete_fluid_audio_driver(s->driver);
	delete_fluid_synth(s->synth);
	delete_fluid_settings(s->settings);
	free(s);
}

void
synth_midi(struct synth *s, const uint8_t *msg, int len)
{
	int	st = msg[0] & 0xF0, ch = msg[0] & 0x0F;
	int	d1 = len > 1 ? msg[1] & 0x7F : 0, d2 = len > 2 ? msg[2] & 0x7F :
		    0;

	switch (st) {
	case 0x80:
		fluid_synth_noteoff(s->synth, ch, d1);
		break;
	case 0x90:
		/* Velocity 0 is a note-off (fluidsynth knows it too). */
		if (d2 == 0)
			fluid_synth_noteoff(s->synth, ch, d1);
		else
			fluid_synth_noteon(s->synth, ch, d1, d2);
		break;
	case 0xA0:
		fluid_synth_key_pressure(s->synth, ch, d1, d2);
		break;
	case 0xB0:
		/* The panic's CC 123 and 120, as their own calls. */
		if (d1 == 123)
			fluid_synth_all_notes_off(s->synth, ch);
		else if (d1 == 120)
			fluid_synth_all_sounds_off(s->synth, ch);
		else
			fluid_synth_cc(s->synth, ch, d1, d2);
		break;
	case 0xC0:
		fluid_synth_program_change(s->synth, ch, d1);
		break;
	case 0xD0:
		fluid_synth_channel_pressure(s->synth, ch, d1);
		break;
	case 0xE0:
		fluid_synth_pitch_bend(s->synth, ch, d1 | d2 << 7);
		break;
	default:
		/* Clock, start/stop, sysex: nothing for a synth to do. */
		break;
	}
}

void
synth_silence(struct synth *s)
{
	fluid_synth_all_notes_off(s->synth, -1);
	fluid_synth_all_sounds_off(s->synth, -1);
}

int
synth_has_audio(const struct synth *s)
{
	return (s->driver != NULL);
}

const char *
synth_audio_error(const struct synth *s)
{
	return (s->audio_error);
}

const char *
synth_driver(const struct synth *s)
{
	return (s->driver_name);
}

double
synth_audio_start(const struct synth *s)
{
	return (s->driver != NULL ? s->audio_start : 0);
}

void
synth_period(const struct synth *s, int *period, int *periods)
{
	*period = s->period;
	*periods = s->periods;
}

int
synth_voices(struct synth *s)
{
	return (fluid_synth_get_active_voice_count(s->synth));
}

void
synth_write(struct synth *s, float *out, size_t frames)
{
	size_t	done, k;

	/* fluidsynth takes an int count: large renders go in slices. */
	for (done = 0; done < frames; done += k) {
		k = frames - done < 65536 ? frames - done : 65536;
		fluid_synth_write_float(s->synth, (int)k, out + 2 * done, 0, 2,
		    out + 2 * done, 1, 2);
	}
}
