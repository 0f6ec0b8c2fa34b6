/*
 * sink.c: the player's outputs.  PortMidi is opened here on the main
 * thread and then used only by the player thread (PortMidi is not
 * reentrant).  Every sink can also record what it was given, with the
 * ideal time and the clock at the moment of sending, so tests and the
 * bench measure scheduling and --record can write a MIDI file.  The
 * built-in synth is one more output: the player thread calls it at each
 * message's ideal time, and its audio driver renders what it was given.
 */
#include "sink.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <portmidi.h>

#include "clock.h"
#include "synth.h"

struct sink {
	enum live_sink_kind	 kind;		/* NULL after a fallback */
	const struct live_clock	*clock;
	double			 base;		/* clock at open: ms 0 */
	int			 latency_ms;

	PortMidiStream		*out;		/* NULL: no device */
	struct synth		*syn;		/* the built-in synth, or NULL */
	int			 synth_fallback;
	char			*soundfont;	/* as opened (reopen) */
	char			*audio_driver;
	char			*audio_file;
	int			 audio_period;
	PortMidiStream		*in;
	int			 out_id;
	int			 used;		/* something was written */
	long			 fail_after;	/* tests: fail after N */
	int			 want_pm;	/* PortMidi was asked for */
	int			 want_in;	/* an input was asked for */
	int			 pm;		/* holds a pm_start() */
	char			 wanted[128];	/* --out as given */
	char			 wanted_in[128]; /* --in as given */
	int			 ok;
	char			 name[128];
	char			 error[256];

	struct live_event	*rec;		/* (rec_max) or NULL */
	size_t			 rec_max;
	_Atomic size_t		 rec_n;
	_Atomic uint64_t	 dropped;
};

/*
 * PortMidi's device table is rebuilt by Pm_Initialize and freed by
 * Pm_Terminate.  The UI lists devices while the player may be re-opening
 * (rescanning), so both hold pm_lock around enumeration, open and close.
 * Never held around Pm_Write/Pm_Read: those touch only the open stream.
 */
static pthread_mutex_t	pm_lock = PTHREAD_MUTEX_INITIALIZER;
static int		pm_users;	/* Pm_Initialize count, under pm_lock */
static int		pm_streams;	/* streams open, all sinks, ditto */
static int		pm_up;		/* PortMidi is initialized, ditto */

static PmError	pm_init_quiet(void);
static int	pm_start(char **);
static void	pm_stop(void);
static void	open_in(struct sink *);
static void	close_streams(struct sink *);
static int	find_device(const char *, int, char **);
static PmTimestamp sink_ms(void *);
static int	is_synth_name(const char *);
static int	open_synth(struct sink *, char **);
static void	synth_failed(struct sink *, const char *);
static int	reopen_synth(struct sink *);
static int	list_synth(struct live_device *, int, int);

/*
 * Start PortMidi.  With no ALSA sequencer, ALSA prints to stderr, which
 * is the screen under curses: mute fd 2 for the duration of the call.
 */
static PmError
pm_init_quiet(void)
{
	struct quiet	q;
	PmError		e;

	quiet_begin(&q);
	e = Pm_Initialize();
	quiet_end(&q);
	return (e);
}

/* Hold PortMidi, initializing it for the first holder. */
static int
pm_start(char **cause)
{
	PmError	e;

	if (pm_users++ > 0 && pm_up)
		return (0);
	e = pm_init_quiet();
	pm_up = e == pmNoError;
	if (e != pmNoError) {
		pm_users--;
		return (lr_fail(cause, "PortMidi: %s", Pm_GetErrorText(e)));
	}
	return (0);
}

static void
pm_stop(void)
{
	if (pm_users > 0 && --pm_users == 0 && pm_up) {
		Pm_Terminate();
		pm_up = 0;
	}
}

/*
 * PortMidi 217 leaks its default-device strings in Pm_Initialize; not
 * ours.  Here, with the only code that starts PortMidi, so the binary and
 * every test that plays tell LeakSanitizer (--enable-debug) to skip them.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return ("leak:libportmidi.so\n");
}

/* Milliseconds on the player clock since the sink opened. */
static PmTimestamp
sink_ms(void *arg)
{
	struct sink	*s = arg;

	return ((PmTimestamp)((s->clock->now(s->clock->arg) - s->base) *
	    1000.0));
}

static int
match_sub(const char *hay, const char *needle)
{
	size_t	i, j;

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; needle[j] != '\0'; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (needle[j] == '\0')
			return (1);
	}
	return (*needle == '\0');
}

/* --out synth, or the synth's name as `latentroll devices` lists it. */
static int
is_synth_name(const char *what)
{
	return (what != NULL && (strcasecmp(what, LIVE_OUT_SYNTH) == 0 ||
	    strcasecmp(what, SYNTH_OUT_NAME) == 0));
}

/*
 * Start the built-in synth as the output.  No audio device is not an
 * error (the instrument plays on, silently, and says so); a soundfont
 * that will not load is: -1 with the cause naming the file.
 */
static int
open_synth(struct sink *s, char **cause)
{
	struct synth_opts	so;

	memset(&so, 0, sizeof so);
	so.soundfont = s->soundfont;
	so.driver = s->audio_driver;
	so.file = s->audio_file;
	so.period = s->audio_period;
	if ((s->syn = synth_new(&so, 1, cause)) == NULL)
		return (-1);
	s->kind = LIVE_SINK_SYNTH;
	s->ok = 1;
	s->used = 0;
	snprintf(s->name, sizeof s->name, "%s", SYNTH_OUT_NAME);
	s->error[0] = '\0';
	if (!synth_has_audio(s->syn))
		snprintf(s->error, sizeof s->error, "%s: %s", SYNTH_OUT_NAME,
		    synth_audio_error(s->syn));
	return (0);
}

/* The synth failed to start: the null sink, with the reason. */
static void
synth_failed(struct sink *s, const char *why)
{
	s->kind = LIVE_SINK_NULL;
	s->ok = 0;
	snprintf(s->name, sizeof s->name, "no MIDI output");
	snprintf(s->error, sizeof s->error, "%s: %s", SYNTH_OUT_NAME,
	    why != NULL ? why : "cannot start");
}

/*
 * A device by index (all digits) or name substring; output if want_out.
 * NULL or "" picks the default (-1 if there is none, not an error).
 */
static int
find_device(const char *what, int want_out, char **cause)
{
	const PmDeviceInfo	*di;
	const char		*p;
	int			 i, n, id;

	n = Pm_CountDevices();
	if (what == NULL || *what == '\0') {
		id = want_out ? Pm_GetDefaultOutputDeviceID() :
		    Pm_GetDefaultInputDeviceID();
		if (id >= 0)
			return (id);
		for (i = 0; i < n; i++) {
			di = Pm_GetDeviceInfo(i);
			if (di != NULL && (want_out ? di->output : di->input))
				return (i);
		}
		return (-1);
	}
	for (p = what; isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0') {
		id = atoi(what);
		di = id < n ? Pm_GetDeviceInfo(id) : NULL;
		if (di == NULL || !(want_out ? di->output : di->input))
			return (lr_fail(cause, "%s: no MIDI %s with index %s "
			    "(latentroll devices lists them)", what,
			    want_out ? "output" : "input", what), -2);
		return (id);
	}
	/* A whole name (as `d` and the config store it) wins over a
	   longer name that contains it. */
	for (i = 0; i < n; i++) {
		di = Pm_GetDeviceInfo(i);
		if (di != NULL && (want_out ? di->output : di->input) &&
		    strcasecmp(di->name, what) == 0)
			return (i);
	}
	for (i = 0; i < n; i++) {
		di = Pm_GetDeviceInfo(i);
		if (di != NULL && (want_out ? di->output : di->input) &&
		    match_sub(di->name, what))
			return (i);
	}
	lr_fail(cause, "%s: no MIDI %s matches (latentroll devices lists "
	    "them)", what, want_out ? "output" : "input");
	return (-2);
}

static int
open_out(struct sink *s, int id, char **cause)
{
	const PmDeviceInfo	*di = Pm_GetDeviceInfo(id);
	PmError			 e;

	e = Pm_OpenOutput(&s->out, id, NULL, 1024, sink_ms, s,
	    s->latency_ms);
	if (e != pmNoError) {
		s->out = NULL;
		return (lr_fail(cause, "%s: %s", di != NULL ? di->name : "?",
		    Pm_GetErrorText(e)));
	}
	pm_streams++;
	s->out_id = id;
	s->ok = 1;
	snprintf(s->name, sizeof s->name, "%s", di != NULL ? di->name : "?");
	return (0);
}

/* Open a sink as o says. */
struct sink *
sink_open(const struct live_opts *o, const struct live_clock *clock,
    char **cause)
{
	struct sink	*s;
	char		*err = NULL;
	int		 id, synth;

	s = lr_calloc(1, sizeof *s);
	s->kind = o->sink;
	s->clock = clock;
	s->base = clock->now(clock->arg);
	s->latency_ms = o->latency_ms > 0 ? o->latency_ms : 20;
	s->ok = 1;
	s->out_id = -1;
	s->fail_after = o->fail_after;
	synth = !o->offline && (o->sink == LIVE_SINK_SYNTH ||
	    (o->sink == LIVE_SINK_PORTMIDI && is_synth_name(o->out)));
	s->want_pm = (o->sink == LIVE_SINK_PORTMIDI ||
	    o->sink == LIVE_SINK_SYNTH) && !o->offline;
	s->synth_fallback = o->synth_fallback;
	s->soundfont = o->soundfont != NULL ? lr_strdup(o->soundfont) : NULL;
	s->audio_driver = o->audio_driver != NULL ?
	    lr_strdup(o->audio_driver) : NULL;
	s->audio_file = o->audio_file != NULL ? lr_strdup(o->audio_file) :
	    NULL;
	s->audio_period = o->audio_period;
	s->want_in = !o->offline && (o->in != NULL || o->clock_follow);
	snprintf(s->wanted, sizeof s->wanted, "%s", o->out != NULL ? o->out :
	    "");
	snprintf(s->wanted_in, sizeof s->wanted_in, "%s", o->in != NULL ?
	    o->in : "");
	atomic_init(&s->rec_n, 0);
	atomic_init(&s->dropped, 0);
	snprintf(s->name, sizeof s->name, "%s", o->sink == LIVE_SINK_RECORD ?
	    "recording" : "null");
	if (o->sink == LIVE_SINK_RECORD || o->record) {
		s->rec_max = o->record_max > 0 ? o->record_max : 1 << 18;
		s->rec = lr_calloc(s->rec_max, sizeof *s->rec);
	}
	/* Offline runs never touch devices: input comes by live_inject. */
	if (o->offline || (o->sink != LIVE_SINK_PORTMIDI && !synth &&
	    !o->clock_follow && o->in == NULL))
		return (s);
	if (synth && open_synth(s, &err) != 0) {
		synth_failed(s, err);
		free(err);
		err = NULL;
	}
	if (synth && !s->want_in)
		return (s);

	/* PortMidi: not starting is "no MIDI output", not an error. */
	pthread_mutex_lock(&pm_lock);
	if (pm_start(NULL) == 0)
		s->pm = 1;
	else {
		pthread_mutex_unlock(&pm_lock);
		if (o->sink == LIVE_SINK_PORTMIDI && !synth &&
		    s->synth_fallback && (o->out == NULL || *o->out == '\0')) {
			if (open_synth(s, &err) != 0) {
				synth_failed(s, err);
				free(err);
			}
		} else if (o->sink == LIVE_SINK_PORTMIDI && !synth) {
			s->kind = LIVE_SINK_NULL;
			snprintf(s->name, sizeof s->name, "no MIDI output");
		}
		return (s);
	}
	/*
	 * A device that is named but absent or busy is not fatal either:
	 * the instrument keeps running and says why (sink_error), and the
	 * device can be re-opened once it is plugged in.
	 */
	if (o->sink == LIVE_SINK_PORTMIDI && !synth) {
		id = find_device(o->out, 1, &err);
		if (id == -1 && s->synth_fallback) {
			/* Nothing named and nothing there: the synth. */
			if (open_synth(s, &err) != 0)
				synth_failed(s, err);
		} else if (id < 0 || open_out(s, id, &err) != 0) {
			s->kind = LIVE_SINK_NULL;
			snprintf(s->name, sizeof s->name, "no MIDI output");
			if (err != NULL) {
				s->ok = 0;
				snprintf(s->error, sizeof s->error, "%s",
				    err);
			}
		}
	}
	if (s->want_in)
		open_in(s);
	free(err);
	pthread_mutex_unlock(&pm_lock);
	return (s);
}

/* Open the input asked for, if any (under pm_lock). */
static void
open_in(struct sink *s)
{
	char	*err = NULL;
	int	 id;

	id = find_device(s->wanted_in, 0, &err);
	if (id >= 0 && Pm_OpenInput(&s->in, id, NULL, 256, sink_ms,
	    s) == pmNoError) {
		Pm_SetFilter(s->in, PM_FILT_ACTIVE | PM_FILT_SYSEX);
		pm_streams++;
	} else {
		s->in = NULL;
		if (err != NULL && s->error[0] == '\0')
			snprintf(s->error, sizeof s->error, "%s", err);
	}
	free(err);
}

/* Close our streams (under pm_lock). */
static void
close_streams(struct sink *s)
{
	if (s->out != NULL) {
		Pm_Close(s->out);
		s->out = NULL;
		pm_streams--;
	}
	if (s->in != NULL) {
		Pm_Close(s->in);
		s->in = NULL;
		pm_streams--;
	}
	s->used = 0;
}

/* Close: give PortMidi latency + 100 ms to deliver what is stamped. */
void
sink_close(struct sink *s)
{
	if (s == NULL)
		return;
	if (s->out != NULL && s->used)
		clock_mono_sleep_until(NULL, clock_mono_now(NULL) +
		    (s->latency_ms + 100) / 1000.0);
	pthread_mutex_lock(&pm_lock);
	close_streams(s);
	if (s->pm)
		pm_stop();
	pthread_mutex_unlock(&pm_lock);
	synth_free(s->syn);
	free(s->soundfont);
	free(s->audio_driver);
	free(s->audio_file);
	free(s->rec);
	free(s);
}

static void
record(struct sink *s, double ideal, double actual, const uint8_t *msg,
    int len)
{
	struct live_event	*ev;
	size_t			 n;

	n = atomic_load_explicit(&s->rec_n, memory_order_relaxed);
	if (n >= s->rec_max) {
		atomic_fetch_add(&s->dropped, 1);
		return;
	}
	ev = &s->rec[n];
	ev->ideal = ideal;
	ev->actual = actual;
	ev->status = msg[0];
	ev->data1 = len > 1 ? msg[1] : 0;
	ev->data2 = len > 2 ? msg[2] : 0;
	ev->len = (uint8_t)len;
	/* Publish after the copy: readers trust [0, rec_n). */
	atomic_store_explicit(&s->rec_n, n + 1, memory_order_release);
}

/* Send one message (player thread). */
int
sink_send(struct sink *s, double ideal, const uint8_t *msg, int len)
{
	PmEvent	ev;
	PmError	e;
	double	now;

	now = s->clock->now(s->clock->arg);
	if (s->rec != NULL)
		record(s, ideal, now, msg, len);
	if (s->fail_after > 0 && s->ok && --s->fail_after == 0) {
		/* The test stand-in for a device unplugged mid-play. */
		s->ok = 0;
		snprintf(s->error, sizeof s->error, "device removed");
		return (-1);
	}
	if (s->syn != NULL) {
		/* Now is the ideal time (the player sleeps until it): the
		   next audio period plays it. */
		if (s->ok)
			synth_midi(s->syn, msg, len);
		s->used = 1;
		return (0);
	}
	if (s->out == NULL || !s->ok)
		return (0);
	ev.message = Pm_Message(msg[0], len > 1 ? msg[1] : 0,
	    len > 2 ? msg[2] : 0);
	ev.timestamp = (PmTimestamp)((ideal - s->base) * 1000.0 + 0.5);
	e = Pm_Write(s->out, &ev, 1);
	s->used = 1;
	if (e == pmNoError)
		return (0);
	s->ok = 0;
	if (e == pmHostError) {
		Pm_GetHostErrorText(s->error, sizeof s->error);
		if (s->error[0] == '\0')
			snprintf(s->error, sizeof s->error, "host error");
	} else
		snprintf(s->error, sizeof s->error, "%s", Pm_GetErrorText(e));
	return (-1);
}

/*
 * Poll for an asynchronous host error (ALSA reports a vanished port
 * here, not always from Pm_Write).  0 fine, -1 newly failed.
 */
int
sink_check(struct sink *s)
{
	if (s->out == NULL || !s->ok || !Pm_HasHostError(s->out))
		return (0);
	s->ok = 0;
	Pm_GetHostErrorText(s->error, sizeof s->error);
	if (s->error[0] == '\0')
		snprintf(s->error, sizeof s->error, "host error");
	return (-1);
}

/* Next input message, if any (player thread). */
int
sink_read(struct sink *s, double *t, uint8_t *msg, int *len)
{
	PmEvent	ev;
	int	st;

	if (s->in == NULL || Pm_Poll(s->in) != TRUE)
		return (0);
	if (Pm_Read(s->in, &ev, 1) != 1)
		return (0);
	st = Pm_MessageStatus(ev.message);
	msg[0] = (uint8_t)st;
	msg[1] = (uint8_t)Pm_MessageData1(ev.message);
	msg[2] = (uint8_t)Pm_MessageData2(ev.message);
	if (st >= 0xF8 || st == 0xF6)
		*len = 1;
	else if ((st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 || st == 0xF3 ||
	    st == 0xF1)
		*len = 2;
	else
		*len = 3;
	*t = s->base + (double)ev.timestamp / 1000.0;
	return (1);
}

/*
 * The synth as the output (player thread): a PortMidi output closes
 * (after its latency), a running synth is silenced and kept, a missing
 * one starts; an input stays as it is.
 */
static int
reopen_synth(struct sink *s)
{
	char	*cause = NULL;

	if (s->out != NULL) {
		if (s->used)
			clock_mono_sleep_until(NULL, clock_mono_now(NULL) +
			    (s->latency_ms + 100) / 1000.0);
		pthread_mutex_lock(&pm_lock);
		Pm_Close(s->out);
		s->out = NULL;
		pm_streams--;
		pthread_mutex_unlock(&pm_lock);
	}
	if (s->syn != NULL) {
		synth_silence(s->syn);
		s->kind = LIVE_SINK_SYNTH;
		s->ok = 1;
		return (0);
	}
	if (open_synth(s, &cause) != 0) {
		synth_failed(s, cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * Re-open the output and input (player thread: it owns PortMidi now).
 * PortMidi enumerates devices only in Pm_Initialize, so a synth started
 * after us, or a device that vanished and came back, is seen only after
 * Pm_Terminate + Pm_Initialize, which frees every open stream: our
 * streams are closed first (after the latency, so what is stamped is
 * delivered), PortMidi restarts, and the input and the output (`out`,
 * NULL: the same name) open again.  When another sink holds a stream,
 * the restart would pull it from under it: then only the output is
 * re-opened, on the device table as it is.
 */
int
sink_reopen(struct sink *s, const char *out)
{
	char	*cause = NULL;
	int	 id, mine;

	if (out != NULL)
		snprintf(s->wanted, sizeof s->wanted, "%s", out);
	if (s->want_pm && (is_synth_name(s->wanted) || (out == NULL &&
	    s->syn != NULL)))
		return (reopen_synth(s));
	if (s->syn != NULL) {
		/* From the synth to a port. */
		synth_free(s->syn);
		s->syn = NULL;
		s->error[0] = '\0';
	}
	if (!s->want_pm && !s->want_in) {
		/* Null/recording: nothing to open; a simulated failure
		   clears, as a replugged device would. */
		s->ok = 1;
		s->error[0] = '\0';
		return (0);
	}
	if (s->out != NULL && s->used)
		clock_mono_sleep_until(NULL, clock_mono_now(NULL) +
		    (s->latency_ms + 100) / 1000.0);
	pthread_mutex_lock(&pm_lock);
	mine = (s->out != NULL) + (s->in != NULL);
	if (pm_streams == mine) {
		close_streams(s);
		if (s->pm) {
			Pm_Terminate();
			if (pm_init_quiet() != pmNoError) {
				/* Down for every user: the next
				   pm_start initializes again. */
				pm_up = 0;
				pm_users--;
				s->pm = 0;
			}
		}
	} else if (s->out != NULL) {
		Pm_Close(s->out);
		s->out = NULL;
		s->used = 0;
		pm_streams--;
	}
	if (!s->pm && pm_start(NULL) == 0)
		s->pm = 1;
	s->error[0] = '\0';
	if (s->pm && s->want_in && s->in == NULL)
		open_in(s);
	id = -1;
	if (s->pm && s->want_pm) {
		id = find_device(s->wanted, 1, &cause);
		if (id >= 0 && open_out(s, id, &cause) != 0)
			id = -1;
	}
	pthread_mutex_unlock(&pm_lock);
	if (!s->want_pm) {
		/* An input only (recording or null output). */
		s->ok = 1;
		return (0);
	}
	if (id == -1 && s->synth_fallback && s->wanted[0] == '\0') {
		free(cause);
		return (reopen_synth(s));
	}
	if (id < 0) {
		snprintf(s->error, sizeof s->error, "%s",
		    cause != NULL ? cause : "no MIDI output");
		snprintf(s->name, sizeof s->name, "no MIDI output");
		free(cause);
		s->kind = LIVE_SINK_NULL;
		s->ok = 0;
		return (-1);
	}
	s->kind = LIVE_SINK_PORTMIDI;
	return (0);
}

/* 1 when a MIDI input is open. */
int
sink_has_input(struct sink *s)
{
	return (s->in != NULL);
}

const char *
sink_name(struct sink *s)
{
	return (s->name);
}

int
sink_ok(struct sink *s)
{
	return (s->ok);
}

const char *
sink_error(struct sink *s)
{
	return (s->error);
}

int
sink_is_device(struct sink *s)
{
	return (s->out != NULL || s->syn != NULL);
}

double
sink_audio_start(struct sink *s)
{
	return (s->syn != NULL ? synth_audio_start(s->syn) : 0);
}

/* Recorded events so far. */
size_t
sink_recorded(struct sink *s, const struct live_event **ev)
{
	*ev = s->rec;
	if (s->rec == NULL)
		return (0);
	return (atomic_load_explicit(&s->rec_n, memory_order_acquire));
}

uint64_t
sink_dropped(struct sink *s)
{
	return (atomic_load(&s->dropped));
}

static int
note_cmp(const void *a, const void *b)
{
	const struct note	*x = a, *y = b;

	if (x->start_s != y->start_s)
		return (x->start_s < y->start_s ? -1 : 1);
	return (y->pitch - x->pitch);
}

/* Pair recorded note-ons and note-offs into a sequence. */
int
sink_record_noteseq(struct sink *s, double qpm, struct noteseq *out,
    char **cause)
{
	const struct live_event	*ev;
	struct note		*n;
	size_t			 count, i;
	double			 t0, on_t[16][128];
	int			 on_v[16][128], prog[16], track[16];
	int			 ch, k, st;

	memset(out, 0, sizeof *out);
	count = sink_recorded(s, &ev);
	for (i = 0; i < count; i++)
		if ((ev[i].status & 0xF0) == 0x90)
			break;
	if (i == count)
		return (lr_fail(cause, "nothing was played"));
	out->notes = lr_calloc(count, sizeof *out->notes);
	out->cap = count;
	out->tempos = lr_calloc(1, sizeof *out->tempos);
	out->tempos[0].qpm = qpm > 0 ? qpm : LR_QPM_DEFAULT;
	out->tempos[0].tick = -1;
	out->n_tempos = 1;
	out->timesigs = lr_calloc(1, sizeof *out->timesigs);
	out->timesigs[0].num = out->timesigs[0].den = 4;
	out->n_timesigs = 1;
	out->steps_per_quarter = 4;
	for (ch = 0; ch < 16; ch++) {
		prog[ch] = 0;
		track[ch] = -1;
		for (k = 0; k < 128; k++)
			on_t[ch][k] = -1;
	}
	t0 = ev[0].ideal;
	for (i = 0; i < count; i++) {
		st = ev[i].status & 0xF0;
		ch = ev[i].status & 0x0F;
		k = ev[i].data1 & 0x7F;
		if (st == 0xC0)
			prog[ch] = k;
		if (st == 0x90 && ev[i].data2 > 0) {
			on_t[ch][k] = ev[i].ideal - t0;
			on_v[ch][k] = ev[i].data2;
			continue;
		}
		if (!(st == 0x80 || st == 0x90) || on_t[ch][k] < 0)
			continue;
		/* One track per channel, in order of first use. */
		if (track[ch] < 0)
			track[ch] = out->n_tracks++;
		n = &out->notes[out->n++];
		n->pitch = k;
		n->velocity = on_v[ch][k];
		n->channel = ch;
		n->program = prog[ch];
		n->drum = ch == LIVE_DRUM_CHANNEL;
		n->track = track[ch];
		n->start_s = on_t[ch][k];
		n->end_s = ev[i].ideal - t0;
		if (n->end_s <= n->start_s)
			n->end_s = n->start_s + 0.001;
		if (n->end_s > out->total_s)
			out->total_s = n->end_s;
		on_t[ch][k] = -1;
	}
	qsort(out->notes, out->n, sizeof *out->notes, note_cmp);
	return (0);
}

/* The synth as the last output in d[k]; the new count. */
static int
list_synth(struct live_device *d, int k, int max)
{
	if (k >= max)
		return (k);
	memset(&d[k], 0, sizeof d[k]);
	d[k].index = -1;
	d[k].output = 1;
	snprintf(d[k].name, sizeof d[k].name, "%s", SYNTH_OUT_NAME);
	snprintf(d[k].interf, sizeof d[k].interf, "synth");
	return (k + 1);
}

/* List PortMidi devices. */
int
sink_devices(struct live_device *d, int max, char **cause)
{
	const PmDeviceInfo	*di;
	int			 i, n, k = 0;

	pthread_mutex_lock(&pm_lock);
	if (pm_start(NULL) != 0) {
		/* No ALSA sequencer: the synth is still there. */
		pthread_mutex_unlock(&pm_lock);
		return (list_synth(d, 0, max));
	}
	n = Pm_CountDevices();
	for (i = 0; i < n && k < max; i++) {
		di = Pm_GetDeviceInfo(i);
		if (di == NULL)
			continue;
		d[k].index = i;
		d[k].input = di->input;
		d[k].output = di->output;
		snprintf(d[k].name, sizeof d[k].name, "%s", di->name);
		snprintf(d[k].interf, sizeof d[k].interf, "%s", di->interf);
		k++;
	}
	pm_stop();
	pthread_mutex_unlock(&pm_lock);
	return (list_synth(d, k, max));
}
