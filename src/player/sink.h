/*
 * sink.h: where the player's MIDI goes, behind one interface: a PortMidi
 * output (and optional input), the built-in synth (synth.h), the null
 * sink, and an in-memory recording of every message with its ideal and
 * actual time (tests, --record).
 * After sink_open, only the player thread calls sink_send/read/reopen.
 */
#ifndef LR_SINK_H
#define LR_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "live.h"
#include "noteseq.h"

struct sink;

/*
 * Open the sink for o (kind, devices, latency, recording).  Never fails
 * for devices: a PortMidi sink with no (or no such) output runs as null,
 * named "no MIDI output", with sink_error() saying what was missing;
 * with o->synth_fallback and no output named, it runs on the built-in
 * synth instead.  The synth with no audio device works (silently) and
 * sink_error() says so; a synth that cannot start (soundfont) runs as
 * null, sink_error() naming the file.
 */
struct sink	*sink_open(const struct live_opts *o,
		    const struct live_clock *clock, char **cause) LR_WUR;
/* Close; waits latency + 100 ms first when a PortMidi output was used. */
void		 sink_close(struct sink *s);

/*
 * Send one message stamped with its ideal time (seconds on the clock).
 * 0, or -1 on a device error: the sink stops using the device, keeps
 * recording, and sink_error() says why (returned once per failure).
 */
int		 sink_send(struct sink *s, double ideal, const uint8_t *msg,
		    int len);
/* Poll for an asynchronous device error: -1 when it just failed. */
int		 sink_check(struct sink *s);
/* Next input message: 1 with *t, msg[3], *len; 0 if none. */
int		 sink_read(struct sink *s, double *t, uint8_t *msg, int *len);
/* Re-open the output by index or name substring (NULL: same name). */
int		 sink_reopen(struct sink *s, const char *out);

const char	*sink_name(struct sink *s);
/* 1 when a MIDI input is open. */
int		 sink_has_input(struct sink *s);
int		 sink_ok(struct sink *s);
const char	*sink_error(struct sink *s);
int		 sink_is_device(struct sink *s);
/* The synth's audio sample 0 on the clock; 0 when no synth audio runs. */
double		 sink_audio_start(struct sink *s);

/* Recorded events (safe from any thread: append only). */
size_t		 sink_recorded(struct sink *s, const struct live_event **ev);
uint64_t	 sink_dropped(struct sink *s);

/*
 * The recorded note-ons/offs as a sequence (see live_record_noteseq).
 * Built field by field, so the player links without the MIDI module.
 */
int		 sink_record_noteseq(struct sink *s, double qpm,
		    struct noteseq *out, char **cause) LR_WUR;

/* List PortMidi devices and the synth (see live_devices). */
int		 sink_devices(struct live_device *d, int max, char **cause);

#endif
