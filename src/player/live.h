/*
 * live.h: the live player.  One player thread loops a pattern on a MIDI
 * sink (PortMidi, null, in-memory recording), swaps patterns on bar, beat
 * or step boundaries, follows or sends MIDI clock and never leaves a note
 * on.  The UI talks to it only through these calls, which push commands on
 * a lock-free queue, read a status snapshot, and read input events.
 * All functions below are called from ONE thread (the UI/main thread).
 * Fallible calls return 0 or -1 and fill *cause (common.h).
 *
 * A UI main loop, in short:
 *	l = live_new(&opts, &cause);		stopped, device open
 *	live_signals_install();
 *	id = live_swap(l, &pattern, &cause);	(copied; at the next bar)
 *	live_start(l);
 *	for (;;) {
 *		poll({ stdin, live_wakeup_fd(l) }, 30-100 ms while playing);
 *		if (live_signal_caught()) break;
 *		live_wakeup_clear(l);
 *		live_status(l, &st);		redraw what st.changed says
 *		while (live_poll_input(l, &ev))	CC (bound: ev.target,
 *			...;			ev.amount), clock, learn
 *	}
 *	live_free(l);				panic, flush, close
 */
#ifndef LR_LIVE_H
#define LR_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "noteseq.h"

#define LIVE_MAX_CHANNELS	16
#define LIVE_TICKS_PER_QUARTER	24	/* MIDI clock resolution */
#define LIVE_TICKS_PER_STEP	6	/* 4 steps per quarter */
#define LIVE_STEPS_PER_BAR	16	/* 4/4 only, as the model */
#define LIVE_DRUM_CHANNEL	9	/* 0-based: MIDI channel 10 */

enum live_sink_kind {
	LIVE_SINK_NULL,		/* discard (still tracks notes, status) */
	LIVE_SINK_PORTMIDI,	/* a PortMidi output; falls back to NULL */
	LIVE_SINK_RECORD,	/* in memory only (tests, offline renders) */
	LIVE_SINK_SYNTH,	/* the built-in synth (synth.h) */
};

/* --out synth: the built-in synth, whatever PortMidi lists. */
#define LIVE_OUT_SYNTH	"synth"

enum live_quantum {
	LIVE_SWAP_BAR,		/* default */
	LIVE_SWAP_BEAT,
	LIVE_SWAP_STEP,
};

enum live_velocity {
	LIVE_VEL_KEEP,		/* the pattern's per-note velocity */
	LIVE_VEL_FIXED,		/* opts.velocity for every note */
};

enum live_clock_source {
	LIVE_CLOCK_INTERNAL,	/* our tempo; sends 0xF8 if clock_master */
	LIVE_CLOCK_EXTERNAL,	/* following 24 ppqn clock on the input */
};

/*
 * Time source.  now() is monotonic seconds; sleep_until() blocks until
 * now() >= t (or returns early; the player re-checks).  NULL in live_opts
 * means CLOCK_MONOTONIC.
 */
struct live_clock {
	double	(*now)(void *arg);
	void	(*sleep_until)(void *arg, double t);
	void	*arg;
};

struct live_opts {
	enum live_sink_kind	 sink;
	const char		*out;		/* output: index or name
						   substring; NULL: first */
	const char		*in;		/* input for clock/CC; NULL:
						   none */
	int			 latency_ms;	/* PortMidi latency; 0: 20 */
	double			 qpm;		/* 0: 120 */
	enum live_quantum	 quantum;
	enum live_velocity	 velocity_mode;
	int			 velocity;	/* fixed velocity; 0: 100 */
	/*
	 * Where the parts play.  A pattern's channel 0 is the melody, 1 a
	 * trio's bass, LIVE_DRUM_CHANNEL the drums (always channel 10);
	 * the melody goes to `channel` (0-based; 0: MIDI channel 1), the
	 * bass to the next channel after it (skipping 10), other channels
	 * stay.  program_fixed: `program` (0..127) on the melody channel
	 * instead of the pattern's (the source clip's).
	 */
	int			 channel;
	int			 program_fixed;
	int			 program;
	int			 clock_follow;	/* follow clock from `in` */
	int			 clock_master;	/* send 0xF8 + start/stop */
	size_t			 record_max;	/* recorded events kept;
						   0: 1<<18 (any sink) */
	int			 record;	/* keep events even when not
						   LIVE_SINK_RECORD (--record) */
	/*
	 * Offline: no thread.  The caller drives the scheduler with
	 * live_advance() on a simulated clock (tests, renders).
	 */
	int			 offline;
	const struct live_clock	*clock;		/* NULL: monotonic */
	/* Tests: the sink fails like a vanished device after this many
	   messages (0: never). */
	long			 fail_after;
	/*
	 * The built-in synth: chosen by LIVE_SINK_SYNTH or out "synth"
	 * (LIVE_OUT_SYNTH, or its device name), and, with synth_fallback,
	 * by a PortMidi sink that finds no output (none named, none
	 * there).  A missing or bad soundfont, or no audio device, is
	 * not fatal: status.error says it in one line.
	 */
	int			 synth_fallback;
	const char		*soundfont;	/* NULL: Debian's GM one */
	const char		*audio_driver;	/* NULL: the first that opens;
						   "file": audio_file */
	const char		*audio_file;
	int			 audio_period;	/* frames; 0: fluidsynth's */
};

/* One note of a pattern, on the step grid (4 steps per quarter). */
struct live_note {
	uint8_t	pitch;		/* 0..127 */
	uint8_t	velocity;	/* 1..127 (LIVE_VEL_KEEP) */
	uint8_t	channel;	/* 0..15; drums on LIVE_DRUM_CHANNEL */
	int	start_step;	/* 0 .. steps-1 */
	int	end_step;	/* > start_step; clipped to steps */
};

/*
 * A loop.  The UI builds it; live_swap() copies it, so the caller keeps
 * ownership.  program[ch] >= 0 sends a program change on ch when the
 * pattern comes in; -1 leaves the channel alone.
 */
struct live_pattern {
	int			 steps;		/* loop length: bars * 16 */
	size_t			 n;
	const struct live_note	*notes;		/* any order */
	int			 program[LIVE_MAX_CHANNELS];
};

/* live_status.changed bits. */
#define LIVE_CHANGED_TRANSPORT	0x01	/* playing / paused */
#define LIVE_CHANGED_POSITION	0x02	/* step */
#define LIVE_CHANGED_TEMPO	0x04
#define LIVE_CHANGED_DEVICE	0x08
#define LIVE_CHANGED_ERROR	0x10
#define LIVE_CHANGED_PATTERN	0x20	/* a swap took effect */

/* Snapshot of the player, copied out by live_status(). */
struct live_status {
	int			 playing;	/* transport running */
	int			 paused;
	long			 step;		/* steps since start */
	int			 loop_step;	/* step within the pattern */
	int			 bar;		/* loop_step / 16 */
	int			 pattern_steps;	/* 0: no pattern yet */
	unsigned		 pattern_id;	/* live_swap() id in effect */
	double			 qpm;
	enum live_clock_source	 clock_source;
	char			 device[128];	/* "no MIDI output" if none */
	int			 device_ok;	/* 0 after an error */
	int			 has_input;	/* a MIDI input is open (CC
						   knobs, learn, clock) */
	char			 error[256];	/* "" or last error */
	double			 audio_start;	/* the clock as the synth's
						   driver started (its sample
						   0 comes no earlier); 0: no
						   synth audio */
	unsigned		 sounding;	/* notes on right now */
	uint64_t		 events;	/* messages sent */
	uint64_t		 dropped;	/* recorded events lost */
	unsigned		 changed;	/* LIVE_CHANGED_* since the
						   last live_status() */
};

/* What the player reports from the MIDI input (live_poll_input). */
enum live_input_kind {
	LIVE_IN_CC,		/* a control change (maybe bound) */
	LIVE_IN_START,		/* external transport */
	LIVE_IN_STOP,
	LIVE_IN_CONTINUE,
	LIVE_IN_POSITION,	/* song position pointer (value = steps) */
	LIVE_IN_TEMPO,		/* followed tempo estimate changed */
	LIVE_IN_LEARNED,	/* a CC was bound to `target` by learn */
};

#define LIVE_TARGET_MAX	32

struct live_input {
	enum live_input_kind	 kind;
	int			 channel;	/* CC: 0..15 */
	int			 number;	/* CC number */
	int			 value;		/* CC 0..127; POSITION steps */
	double			 qpm;		/* TEMPO */
	char			 target[LIVE_TARGET_MAX]; /* "" if unbound */
	double			 amount;	/* bound: value / 127 */
};

/*
 * A CC binding: (channel, cc) drives a named target: "slider",
 * "temperature", "attr:N" (attribute amount N).  Kept by the UI side of
 * live (no state shared with the player); saved by config.c.
 */
struct live_binding {
	int	channel;	/* 0..15, -1: any */
	int	cc;		/* 0..127 */
	char	target[LIVE_TARGET_MAX];
};

/* One message the sink was given (recording; time in seconds). */
struct live_event {
	double	ideal;		/* scheduled time */
	double	actual;		/* clock at the moment of sending */
	uint8_t	status;
	uint8_t	data1;
	uint8_t	data2;
	uint8_t	len;		/* 1..3 */
};

struct live;

/*
 * Open the sink and (unless offline) start the player thread, stopped.
 * A PortMidi sink with no usable output does not fail: it runs on the
 * null sink, status.device says "no MIDI output", and when a device was
 * named (opts.out/in) but is absent, status.error says so and
 * status.device_ok is 0 (live_reopen tries again).
 */
struct live	*live_new(const struct live_opts *o, char **cause) LR_WUR;
/* Panic, wait the latency (+100 ms) so PortMidi flushes, close, free. */
void		 live_free(struct live *l);

/* Transport.  Start resumes after pause; stop rewinds to step 0. */
int		 live_start(struct live *l);
int		 live_stop(struct live *l);
int		 live_pause(struct live *l);
/* Stop (panic, rewind) exactly when step `step` (since start) begins;
   -1 cancels.  For "play N loops" without cutting the last note. */
int		 live_stop_at(struct live *l, long step);
/* Tempo in quarter notes per minute (LR_QPM_MIN..LR_QPM_MAX); takes effect
   now. */
int		 live_set_tempo(struct live *l, double qpm);
int		 live_set_quantum(struct live *l, enum live_quantum q);
int		 live_set_velocity(struct live *l, enum live_velocity m,
		     int velocity);

/*
 * Queue a new loop, taking effect at the next quantum boundary (at once
 * when stopped).  Notes sounding at the swap get their note-off there.
 * Returns the pattern id (> 0, reported in status.pattern_id once in
 * effect) or -1 with *cause (bad pattern, queue full).
 */
int		 live_swap(struct live *l, const struct live_pattern *p,
		     char **cause) LR_WUR;

/*
 * Note-offs for exactly the notes sounding, then CC64=0, CC123, CC120 on
 * the channels used; stops the transport.
 */
void		 live_panic(struct live *l);

/* Copy the status snapshot; clears the changed bits. */
void		 live_status(struct live *l, struct live_status *st);
/* A descriptor that becomes readable when status or input changed. */
int		 live_wakeup_fd(struct live *l);
/* Drain the wakeup descriptor (after poll() said readable). */
void		 live_wakeup_clear(struct live *l);

/* Next input event: 1 and *ev filled, or 0 if none. */
int		 live_poll_input(struct live *l, struct live_input *ev);
/* Bind the next incoming CC to target (CC learn); "" cancels. */
void		 live_learn(struct live *l, const char *target);
/* Replace / read the CC bindings (UI side, not shared). */
void		 live_set_bindings(struct live *l,
		     const struct live_binding *b, size_t n);
size_t		 live_bindings(struct live *l,
		     const struct live_binding **b);

/*
 * Re-open the output (after a device error or vanish), by index, name or
 * name substring (NULL: the same name).  PortMidi is restarted first, so
 * a device plugged in or started since (a synth) is found; the sounding
 * notes end, and playing goes on after.  Queued: status.device and
 * status.error say how it went.
 */
int		 live_reopen(struct live *l, const char *out);
/*
 * Rescan now (live_reopen(l, NULL), waited for, at most 3 s): call it
 * before live_devices() to list what is plugged in while playing.
 */
int		 live_rescan(struct live *l, char **cause) LR_WUR;

/*
 * Offline mode only: run the scheduler up to simulated time t (seconds
 * from live_new).  Also feeds queued injected input.
 */
int		 live_advance(struct live *l, double t);
/* Simulated/real clock now, seconds (the clock the player uses). */
double		 live_now(struct live *l);
/* Feed a MIDI input message as if it came from the input device at
   time t (tests, or a non-PortMidi source). */
int		 live_inject(struct live *l, double t, const uint8_t *msg,
		     int len);

/*
 * The recorded events so far (sink RECORD or opts.record).  Safe at any
 * time: the player only appends.  Returns the count.
 */
size_t		 live_recorded(struct live *l, const struct live_event **ev);
/*
 * What was played (recording) as a note sequence: seconds from the first
 * message, one track per channel, tempo = current qpm.  out is filled
 * here (free with noteseq_free); save it with midifile_save.  -1 if
 * nothing was recorded.
 */
int		 live_record_noteseq(struct live *l, struct noteseq *out,
		     char **cause) LR_WUR;

/*
 * Signals: SIGINT, SIGTERM, SIGHUP handlers that only set a flag; the
 * main loop polls live_signal_caught() (the signal number or 0) and then
 * calls live_free(), which panics.
 */
void		 live_signals_install(void);
int		 live_signal_caught(void);

/*
 * A pattern from the first `steps` steps of a quantized sequence (notes
 * clipped to the loop, channel and program from each note).  *notes is
 * allocated here and backs p->notes; the caller frees it.
 */
int		 live_pattern_from_noteseq(struct live_pattern *p,
		     struct live_note **notes, const struct noteseq *s,
		     int steps, char **cause) LR_WUR;
/*
 * The programs of the source clip: the melody (channel 0) takes the most
 * used program among ref's non-drum notes; no ref, or no such note,
 * leaves the synth's program alone (-1).  For a result, whose notes say
 * program 0 because the model knows no instrument.
 */
void		 live_pattern_programs(struct live_pattern *p,
		     const struct noteseq *ref);
/* The channel the bass of a trio plays on, for a melody on `melody`. */
int		 live_bass_channel(int melody);
/*
 * Velocity kept from the input clips: a note starting at step on channel
 * ch takes the velocity of the input note (quantized ref) nearest in start
 * step, same channel first.  -1 when ref has none.
 */
int		 live_ref_velocity(const struct noteseq *ref, int step,
		     int ch);

/* Devices (UI thread; safe while playing: enumeration and re-open share
   a lock, never held while sending). */
struct live_device {
	int	 index;		/* PortMidi device id; -1: the synth */
	int	 input, output;
	char	 name[128];
	char	 interf[32];	/* "ALSA" */
};
/*
 * List the PortMidi devices into d (up to max), then the built-in synth
 * (an output, index -1, interf "synth"); returns the count, -1 with
 * *cause when PortMidi cannot start.
 */
int		 live_devices(struct live_device *d, int max, char **cause);

#endif
