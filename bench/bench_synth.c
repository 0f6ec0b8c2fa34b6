/*
 * bench_synth.c: the built-in synth (issue L).
 *
 * Latency: the live session of tests/synth_session.h (the player on the
 * synth, fluidsynth's "file" driver in real time, a swap every bar, a
 * stop and restart after half the bars): key press (live_start) to the
 * first attack in the audio, against the peer measured in the same run,
 * key press to the note-on handed to the output (what a PortMidi port
 * gets at that moment, before its own latency, 20 ms by default).  A
 * sound card adds its buffer: fluidsynth's default 16 periods of 64
 * frames, 23.2 ms.  Target: press to sound + that buffer, p99 < 30 ms.
 *
 * Render: share/clips/a.mid, 8 loops, through render_pattern, timed
 * against the audio's length (real time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "midifile.h"
#include "render.h"
#include "synth_session.h"

#define DEVICE_BUFFER_MS	(16 * 64 / 44.1)
#define PORTMIDI_LATENCY_MS	20.0

static const char *
soundfont(void)
{
	if (access("/usr/share/sounds/sf2/TimGM6mb.sf2", R_OK) == 0)
		return ("/usr/share/sounds/sf2/TimGM6mb.sf2");
	return ("/usr/share/sounds/sf2/default-GM.sf2");
}

/* Seconds to render `loops` loops of clip; audio seconds in *audio_s. */
static double
render_speed(const char *clip, long loops, double *audio_s)
{
	struct noteseq		 s;
	struct live_pattern	 p;
	struct live_note	*notes;
	struct live_opts	 o;
	struct render_audio	 a;
	char			*cause = NULL;
	double			 t0, dt = -1;

	midifile_log_init();
	if (midifile_load(clip, &s, &cause) != 0 ||
	    convert_quantize(&s, 4, &cause) != 0 ||
	    live_pattern_from_noteseq(&p, &notes, &s, (int)((s.total_steps +
	    15) / 16 * 16), &cause) != 0) {
		fprintf(stderr, "bench_synth: %s\n", cause);
		free(cause);
		return (-1);
	}
	memset(&o, 0, sizeof o);
	o.qpm = noteseq_qpm(&s);
	t0 = session_now();
	if (render_pattern(&o, &p, loops, soundfont(), &a, &cause) == 0) {
		dt = session_now() - t0;
		*audio_s = a.music_s + a.tail_s;
		render_audio_free(&a);
	} else {
		fprintf(stderr, "bench_synth: %s\n", cause);
		free(cause);
	}
	free(notes);
	noteseq_free(&s);
	return (dt);
}

int
main(int argc, char **argv)
{
	struct session	 s;
	char		 dir[] = "/tmp/lr-benchsynth.XXXXXX", wav[128];
	char		 clip[4096];
	const char	*srcdir = getenv("srcdir");
	double		 snd50, snd99, sent50, sent99, dt, audio_s = 0;
	int		 json = argc > 1 && strcmp(argv[1], "--json") == 0;

	memset(&s, 0, sizeof s);
	s.soundfont = soundfont();
	if (access(s.soundfont, R_OK) != 0) {
		printf("bench_synth: SKIP: no General MIDI soundfont\n");
		return (0);
	}
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(wav, sizeof wav, "%s/live.wav", dir);
	s.wav = wav;
	s.bars = 64;
	s.qpm = 400;
	s.stop_p = 0.5;
	s.seed = 2026;
	if (session_run(&s) != 0) {
		fprintf(stderr, "bench_synth: %s\n", s.error);
		return (1);
	}
	unlink(wav);
	rmdir(dir);
	snd50 = session_quantile(s.latency, s.presses, 0.5) * 1000;
	snd99 = session_quantile(s.latency, s.presses, 0.99) * 1000;
	sent50 = session_quantile(s.sent, s.presses, 0.5) * 1000;
	sent99 = session_quantile(s.sent, s.presses, 0.99) * 1000;
	snprintf(clip, sizeof clip, "%s/share/clips/a.mid",
	    srcdir != NULL ? srcdir : ".");
	dt = render_speed(clip, 8, &audio_s);
	if (json) {
		printf("{\"bench\":\"synth\",\"presses\":%d,\"press_to_sound_ms"
		    "\":{\"p50\":%.2f,\"p99\":%.2f},\"press_to_send_ms\":{"
		    "\"p50\":%.2f,\"p99\":%.2f},\"device_buffer_ms\":%.1f,"
		    "\"total_p99_ms\":%.2f,\"target_ms\":30,\"pass\":%s,"
		    "\"silent_periods\":%d,\"render_x_realtime\":%.1f}\n",
		    s.presses, snd50, snd99, sent50, sent99, DEVICE_BUFFER_MS,
		    snd99 + DEVICE_BUFFER_MS, snd99 + DEVICE_BUFFER_MS < 30 ?
		    "true" : "false", s.silent_periods, dt > 0 ? audio_s / dt :
		    0);
		return (0);
	}
	printf("built-in synth, %s: %d key presses over %.0f s of audio "
	    "(file driver, %d-frame periods)\n", s.soundfont, s.presses,
	    s.audio_s, s.period);
	printf("  (sample clock anchored on %d kicks: no sound before its "
	    "note-on)\n", s.kicks);
	printf("  %-34s %8s %8s\n", "", "p50 ms", "p99 ms");
	printf("  %-34s %8.2f %8.2f\n", "press -> sound (synth)", snd50,
	    snd99);
	printf("  %-34s %8.2f %8.2f\n", "press -> note-on sent (peer)",
	    sent50, sent99);
	printf("  %-34s %8s %8.2f\n", "ratio synth / peer", "",
	    sent99 > 0 ? snd99 / sent99 : 0);
	printf("  %-34s %8s %8.2f\n", "+ device buffer (16 x 64 frames)",
	    "", snd99 + DEVICE_BUFFER_MS);
	printf("  %-34s %8s %8.2f\n", "peer + PortMidi latency (20 ms)", "",
	    sent99 + PORTMIDI_LATENCY_MS);
	printf("  target press -> sound + buffer p99 < 30 ms: %s\n",
	    snd99 + DEVICE_BUFFER_MS < 30 ? "PASS" : "FAIL");
	printf("  dropouts: %d silent periods of %d held; after stops "
	    "%.0f dBFS\n", s.silent_periods, s.checked_periods,
	    s.worst_after_stop_db);
	if (dt > 0)
		printf("render a.mid x 8 loops: %.1f s of audio in %.2f s "
		    "(%.0fx real time)\n", audio_s, dt, audio_s / dt);
	return (0);
}
