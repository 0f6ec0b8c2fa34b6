/*
 * test_synth.c: the built-in synth offline (issue L).  The shipped clips
 * and a decoded result render to the right length, are not silent, have
 * an attack within 5 ms of every note-on of the MIDI, and fall below
 * -60 dBFS once the last note has released (no stuck note); velocity,
 * program and the drum channel reach the audio; the WAV writer is atomic
 * and refuses to overwrite; a missing or corrupt soundfont is one line
 * naming the file, never a crash.  No sound card needed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#include "audio_check.h"
#include "audiofile.h"
#include "modeldir.h"
#include "convert.h"
#include "live.h"
#include "midifile.h"
#include "render.h"
#include "synth.h"
#include "test.h"
#include "vae.h"

/* After the last note-off: the release of TimGM6mb / FluidR3 voices and
   fluidsynth's reverb, after which the audio must be under -60 dBFS. */
#define RELEASE_S	1.0
/* Not silent: the music's RMS over this. */
#define FLOOR_DB	-45.0
#define ONSET_TOL_S	0.005
#define MAX_ONSETS	24
#define FLUIDR3		"/usr/share/sounds/sf2/FluidR3_GM.sf2"

static const char	*sf2;
/*
 * The soundfont's own lead-in: some samples start with silence (TimGM6mb's
 * acoustic grand: about 7 ms), which no scheduling can remove.  An onset
 * is expected at the note-on plus the lead-in measured for its program
 * and key in a solo render (exact: the first non-zero sample), unless
 * raw (FluidR3's lead-ins are under 1.3 ms: checked as they are).
 */
static double		 lead_in[128][128];	/* + 1: unset is 0 */
static int		 raw;
static char		 tmpdir[] = "/tmp/lr-synth.XXXXXX";
static double		 worst_onset, worst_tail = -200, fastest = 1e9;

/* The first non-zero frame after a lone note-on, in seconds. */
static double
measure_lead_in(int ch, int prog, int pitch)
{
	struct live_event	ev[3];
	struct render_audio	a;
	char			*cause = NULL;
	size_t			 i, at = (size_t)(0.05 * SYNTH_RATE);
	double			 lead = 0;

	memset(ev, 0, sizeof ev);
	memset(&a, 0, sizeof a);
	ev[0].status = 0xC0 | ch; ev[0].data1 = prog; ev[0].len = 2;
	ev[1].status = 0x90 | ch; ev[1].data1 = pitch; ev[1].data2 = 100;
	ev[1].len = 3; ev[1].ideal = 0.05;
	if (render_events(ev, 2, 0, 0.1, sf2, &a, &cause) != 0) {
		free(cause);
		return (0);
	}
	for (i = at; i < a.frames; i++)
		if (fabs(a.pcm[2 * i]) > 1e-4 || fabs(a.pcm[2 * i + 1]) >
		    1e-4) {
			lead = (double)(i - at) / SYNTH_RATE;
			break;
		}
	free(a.pcm);
	return (lead);
}

static double
note_lead_in(const struct live_pattern *p, const struct live_note *n)
{
	int	prog = p->program[n->channel] >= 0 ?
		    p->program[n->channel] : 0;

	if (n->channel == LIVE_DRUM_CHANNEL)
		prog = 127;	/* a slot of its own: the drum kit */
	if (lead_in[prog][n->pitch] == 0)
		lead_in[prog][n->pitch] = 1 + measure_lead_in(n->channel,
		    prog == 127 && n->channel == LIVE_DRUM_CHANNEL ? 0 : prog,
		    n->pitch);
	return (lead_in[prog][n->pitch] - 1);
}

/*
 * Where note n (starting t s into the render) begins in a, exactly:
 * fluidsynth mixes voices linearly and is deterministic, so the render
 * without that note-on (and its note-off) equals a until the note
 * sounds, and differs from its first sample on.  Seconds after t, or NAN.
 */
static double
onset_of(const struct render_audio *a, const struct live_note *n, double t)
{
	struct render_audio	 b;
	struct live_event	*ev;
	char			*cause = NULL;
	size_t			 i, k = 0, on = a->n_events, at, end;
	double			 r = NAN;
	int			 ch = -1;

	ev = calloc(a->n_events + 1, sizeof *ev);
	for (i = 0; i < a->n_events; i++) {
		const struct live_event *e = &a->events[i];

		if (on == a->n_events && (e->status & 0xF0) == 0x90 &&
		    e->data2 > 0 && e->data1 == n->pitch &&
		    fabs(e->ideal - t) < 1e-6) {
			on = i;
			ch = e->status & 0x0F;
			continue;
		}
		if (ch >= 0 && e->status == (0x80 | ch) &&
		    e->data1 == n->pitch) {
			ch = -1;	/* its note-off */
			continue;
		}
		ev[k++] = *e;
	}
	memset(&b, 0, sizeof b);
	end = (size_t)((t + 0.05) * a->rate);
	if (on < a->n_events && end <= a->frames &&
	    render_events(ev, k, 0, t + 0.05, sf2, &b, &cause) == 0) {
		for (at = 0; at < end && at < b.frames; at++)
			if (fabs(a->pcm[2 * at] - b.pcm[2 * at]) > 1e-6 ||
			    fabs(a->pcm[2 * at + 1] - b.pcm[2 * at + 1]) >
			    1e-6) {
				r = (double)at / a->rate - t;
				break;
			}
	}
	free(cause);
	free(b.pcm);
	free(ev);
	return (r);
}

/* The checks for one rendered pattern; name for the messages. */
static void
check_render(const char *name, const struct live_pattern *p, double qpm,
    long loops)
{
	struct live_opts	 o;
	struct render_audio	 a;
	char			*cause = NULL;
	double			 loop_s, t, err, music_db, tail_db, last_off = 0;
	double			 lead, peak = 0, worst_here = 0;
	size_t			 i, k, missed = 0, ons = 0, from;

	memset(&o, 0, sizeof o);
	o.qpm = qpm;
	if (render_pattern(&o, p, loops, sf2, &a, &cause) != 0) {
		CHECK_MSG(0, "%s: %s", name, cause);
		free(cause);
		return;
	}
	loop_s = p->steps * 15.0 / qpm;
	/* Length: loops x loop length + the stated tail, within 1 ms. */
	CHECK_MSG(fabs(a.music_s - loops * loop_s) < 0.001, "%s: %.4f s of "
	    "music, want %.4f", name, a.music_s, loops * loop_s);
	CHECK_MSG(fabs((double)a.frames / a.rate - (loops * loop_s +
	    RENDER_TAIL_S)) < 0.001, "%s: %zu frames", name, a.frames);
	/* Not silent. */
	music_db = audio_rms_db(a.pcm, 0, (size_t)(a.music_s * a.rate));
	CHECK_MSG(music_db > FLOOR_DB, "%s: RMS %.1f dBFS", name, music_db);
	/* Every note-on of the MIDI (the first loop's, up to MAX_ONSETS)
	   has its onset within 5 ms (+ the sample's lead-in). */
	for (i = 0; i < p->n && ons < (raw ? MAX_ONSETS / 3 : MAX_ONSETS);
	    i++) {
		t = p->notes[i].start_step * 15.0 / qpm;
		lead = raw ? 0 : note_lead_in(p, &p->notes[i]);
		err = onset_of(&a, &p->notes[i], t);
		ons++;
		if (isnan(err) || err < -0.0005 || err > lead + ONSET_TOL_S) {
			if (missed++ < 5)
				fprintf(stderr, "%s: note %zu (pitch %d) at "
				    "%.3f s: onset %+.4f s (lead-in %.4f)\n",
				    name, i, p->notes[i].pitch, t, err, lead);
			continue;
		}
		if (err - lead > worst_onset)
			worst_onset = err - lead;
		if (err > worst_here)
			worst_here = err;
	}
	CHECK_MSG(missed == 0, "%s: %zu of %zu note-ons without an onset "
	    "within 5 ms", name, missed, ons);
	/* After the last note-off and the release: under -60 dBFS. */
	for (k = 0; k < a.n_events; k++)
		if ((a.events[k].status & 0xF0) == 0x80 ||
		    ((a.events[k].status & 0xF0) == 0x90 &&
		    a.events[k].data2 == 0))
			last_off = a.events[k].ideal;
	from = (size_t)((last_off + RELEASE_S) * a.rate);
	tail_db = audio_peak_window_db(a.pcm, a.frames, from, a.rate);
	if (tail_db > worst_tail)
		worst_tail = tail_db;
	CHECK_MSG(from < a.frames && tail_db < -60, "%s: %.1f dBFS %.1f s "
	    "after the last note-off", name, tail_db, RELEASE_S);
	printf("# %s: %ld loops, %.3f s + %.1f s, RMS %.1f dBFS, %zu "
	    "onsets (latest %.2f ms after the note-on), tail peak %.1f "
	    "dBFS\n", name, loops, a.music_s, a.tail_s, music_db, ons,
	    worst_here * 1000, tail_db);
	for (k = 0; k < 2 * a.frames; k++)
		if (fabs(a.pcm[k]) > peak)
			peak = fabs(a.pcm[k]);
	CHECK_MSG(peak < 1.0, "%s: clips (peak %.3f)", name, peak);
	printf("# %s: peak %.1f dBFS, %s\n", name, 20 * log10(peak + 1e-12),
	    raw ? "onsets as they are" : "onsets after the soundfont's "
	    "lead-in");
	render_audio_free(&a);
}

static int
load_pattern(const char *path, struct live_pattern *p,
    struct live_note **notes, double *qpm)
{
	struct noteseq	 s;
	char		*cause = NULL;
	int		 steps;

	if (midifile_load(path, &s, &cause) != 0 ||
	    convert_quantize(&s, 4, &cause) != 0) {
		CHECK_MSG(0, "%s: %s", path, cause);
		free(cause);
		return (-1);
	}
	steps = (int)((s.total_steps + 15) / 16 * 16);
	*qpm = noteseq_qpm(&s);
	if (live_pattern_from_noteseq(p, notes, &s, steps, &cause) != 0) {
		CHECK_MSG(0, "%s: %s", path, cause);
		free(cause);
		noteseq_free(&s);
		return (-1);
	}
	noteseq_free(&s);
	return (0);
}

static void
test_clips(const char *srcdir)
{
	static const char *const clips[] = { "a.mid", "b.mid", "a16.mid",
	    "b16.mid" };
	struct live_pattern	 p;
	struct live_note	*notes;
	char			 path[4096];
	const char		*saved;
	double			 qpm;
	size_t			 i;

	for (i = 0; i < sizeof clips / sizeof clips[0]; i++) {
		snprintf(path, sizeof path, "%s/share/clips/%s", srcdir,
		    clips[i]);
		if (load_pattern(path, &p, &notes, &qpm) != 0)
			continue;
		check_render(clips[i], &p, qpm, i < 2 ? 2 : 1);
		/* The bigger soundfont, with no lead-in allowance. */
		if (i == 0 && access(FLUIDR3, R_OK) == 0) {
			saved = sf2;
			sf2 = FLUIDR3;
			raw = 1;
			check_render("a.mid (FluidR3_GM)", &p, qpm, 2);
			raw = 0;
			sf2 = saved;
		}
		free(notes);
	}
}

/* A result of the shipped model: z = 0, argmax. */
static void
test_decoded(const char *srcdir)
{
	struct vae		*v;
	struct noteseq		 s;
	struct live_pattern	 p;
	struct live_note	*notes;
	char			 path[4096], *cause = NULL;
	float			*z;
	int			*tok;

	snprintf(path, sizeof path, "%s/share/models/mel_2bar", srcdir);
	if ((v = modeldir_load(path, &cause)) == NULL) {
		CHECK_MSG(0, "%s: %s", path, cause);
		free(cause);
		return;
	}
	z = calloc((size_t)v->p.arch.z_size, sizeof *z);
	tok = calloc((size_t)v->p.arch.num_steps * v->p.arch.n_splits,
	    sizeof *tok);
	CHECK(vae_decode(v, z, 1, 0.0f, NULL, tok, &cause) == 0);
	noteseq_init(&s);
	convert_melody_to_noteseq(tok, v->p.arch.num_steps, LR_QPM_DEFAULT,
	    0, 0, &s);
	CHECK(s.n > 0);
	if (s.n > 0 && live_pattern_from_noteseq(&p, &notes, &s,
	    v->p.arch.num_steps, &cause) == 0) {
		check_render("decoded mel_2bar z=0", &p, LR_QPM_DEFAULT, 4);
		free(notes);
	}
	noteseq_free(&s);
	free(z);
	free(tok);
	vae_free(v);
}

/* One note on ch with program prog and velocity vel: its RMS in dBFS. */
static double
one_note_db(int ch, int pitch, int prog, int vel, float **pcm_out,
    size_t *frames)
{
	struct live_event	ev[4];
	struct render_audio	a;
	char			*cause = NULL;
	double			 db;

	memset(ev, 0, sizeof ev);
	memset(&a, 0, sizeof a);
	ev[0].status = 0xC0 | ch; ev[0].data1 = prog; ev[0].len = 2;
	ev[1].status = 0x90 | ch; ev[1].data1 = pitch; ev[1].data2 = vel;
	ev[1].len = 3; ev[1].ideal = 0.1;
	ev[2].status = 0x80 | ch; ev[2].data1 = pitch; ev[2].len = 3;
	ev[2].ideal = 0.4;
	if (render_events(ev, 3, 0, 0.6, sf2, &a, &cause) != 0) {
		CHECK_MSG(0, "%s", cause);
		free(cause);
		return (-200);
	}
	db = audio_rms_db(a.pcm, (size_t)(0.1 * a.rate),
	    (size_t)(0.4 * a.rate));
	/* Nothing before the note-on. */
	CHECK(audio_rms_db(a.pcm, 0, (size_t)(0.099 * a.rate)) < -100);
	if (pcm_out != NULL) {
		*pcm_out = a.pcm;
		*frames = a.frames;
	} else
		free(a.pcm);
	return (db);
}

/* Velocity, programs and channel 10 reach the audio. */
static void
test_midi_semantics(void)
{
	float	*x, *y;
	size_t	 nx, ny, i;
	double	 soft, loud, diff = 0;

	soft = one_note_db(0, 60, 0, 30, NULL, NULL);
	loud = one_note_db(0, 60, 0, 120, NULL, NULL);
	CHECK_MSG(loud > soft + 6, "velocity 120: %.1f dB, 30: %.1f dB",
	    loud, soft);
	/* Piano and an organ differ; so do channel 1 and the drums. */
	one_note_db(0, 60, 0, 100, &x, &nx);
	one_note_db(0, 60, 19, 100, &y, &ny);
	for (i = 0; i < 2 * nx && i < 2 * ny; i++)
		diff += fabs((double)x[i] - y[i]);
	CHECK_MSG(diff > 1.0, "program 0 and 19 sound the same (%g)", diff);
	free(y);
	one_note_db(9, 60, 0, 100, &y, &ny);
	for (diff = 0, i = 0; i < 2 * nx && i < 2 * ny; i++)
		diff += fabs((double)x[i] - y[i]);
	CHECK_MSG(diff > 1.0, "channel 10 sounds as channel 1 (%g)", diff);
	CHECK(one_note_db(9, 36, 0, 100, NULL, NULL) > FLOOR_DB);
	free(x);
	free(y);
}

/* Files in dir, . and .. aside. */
static int
entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;

	if (d == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

/* WAV out: readable back, atomic, never over a file without force. */
static void
test_wav(void)
{
	float	 pcm[2 * 441];
	char	 path[512], *cause = NULL;
	SF_INFO	 info;
	SNDFILE	*f;
	float	 back[2 * 441];
	size_t	 i;
	int	 rc;

	for (i = 0; i < 441; i++)
		pcm[2 * i] = pcm[2 * i + 1] = (float)(0.5 * sin(i * 0.1));
	snprintf(path, sizeof path, "%s/x.wav", tmpdir);
	CHECK(audiofile_save(path, pcm, 441, 2, 44100, 0, &cause) == 0);
	memset(&info, 0, sizeof info);
	f = sf_open(path, SFM_READ, &info);
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK(info.frames == 441 && info.channels == 2 &&
		    info.samplerate == 44100);
		CHECK(sf_readf_float(f, back, 441) == 441);
		CHECK_CLOSE(back, pcm, 2 * 441, 1.0 / 16384, "wav samples");
		sf_close(f);
	}
	rc = audiofile_save(path, pcm, 441, 2, 44100, 0, &cause);
	CHECK(rc == -1 && cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, "--force") != NULL);
	free(cause);
	cause = NULL;
	CHECK(audiofile_save(path, pcm, 100, 2, 44100, 1, &cause) == 0);
	unlink(path);
	snprintf(path, sizeof path, "%s/x.flac", tmpdir);
	if (audiofile_save(path, pcm, 441, 2, 44100, 0, &cause) == 0) {
		CHECK(access(path, F_OK) == 0);
		unlink(path);
	} else {
		CHECK(strstr(cause, "FLAC") != NULL);
		free(cause);
		cause = NULL;
	}
	snprintf(path, sizeof path, "%s/x.ogg", tmpdir);
	CHECK(audiofile_save(path, pcm, 441, 2, 44100, 0, &cause) == -1 &&
	    strstr(cause, "x.ogg") != NULL);
	free(cause);
	/* No temporary file left behind (the refused and the bad name
	   included). */
	CHECK(entries(tmpdir) == 0);
}

/* A missing or corrupt soundfont: one line naming it, never a crash. */
static void
test_bad_soundfont(void)
{
	struct live_event	 ev = { 0, 0, 0x90, 60, 100, 3 };
	struct render_audio	 a;
	struct live_opts	 o;
	struct live_status	 st;
	struct live		*l;
	char			 path[512], *cause = NULL;
	FILE			*f;
	const char		*bad[3];
	int			 i;

	snprintf(path, sizeof path, "%s/junk.sf2", tmpdir);
	f = fopen(path, "w");
	fputs("RIFF\x20\x00\x00\x00sfbkLIST not a soundfont at all", f);
	fclose(f);
	bad[0] = "/nonexistent/gm.sf2";
	bad[1] = path;
	bad[2] = "/etc/hostname";
	for (i = 0; i < 3; i++) {
		memset(&a, 0, sizeof a);
		CHECK(render_events(&ev, 1, 0, 0.1, bad[i], &a, &cause) ==
		    -1);
		CHECK_MSG(cause != NULL && strstr(cause, bad[i]) != NULL &&
		    strchr(cause, '\n') == NULL, "%s", cause);
		free(cause);
		cause = NULL;
		/* As the output: the player runs (null), saying why. */
		memset(&o, 0, sizeof o);
		o.sink = LIVE_SINK_SYNTH;
		o.soundfont = bad[i];
		o.audio_driver = "file";
		o.audio_file = "/dev/null";
		l = live_new(&o, &cause);
		CHECK(l != NULL);
		if (l == NULL)
			continue;
		live_status(l, &st);
		CHECK_MSG(!st.device_ok && strstr(st.error, bad[i]) != NULL &&
		    strncmp(st.error, SYNTH_OUT_NAME, strlen(SYNTH_OUT_NAME))
		    == 0, "%s", st.error);
		CHECK(strcmp(st.device, "no MIDI output") == 0);
		live_free(l);
	}
	unlink(path);
}

/* No sound card: the synth plays on silently and says so in one line. */
static void
test_no_audio_device(void)
{
	struct live_opts	 o;
	struct live_status	 st;
	struct live		*l;
	char			*cause = NULL;

	if (access("/dev/snd", F_OK) == 0) {
		printf("# /dev/snd exists: the no-device check is skipped\n");
		return;
	}
	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_PORTMIDI;
	o.out = LIVE_OUT_SYNTH;
	o.soundfont = sf2;
	o.audio_driver = "alsa";
	l = live_new(&o, &cause);
	CHECK(l != NULL);
	if (l == NULL)
		return;
	live_status(l, &st);
	CHECK(st.device_ok);
	CHECK(strcmp(st.device, SYNTH_OUT_NAME) == 0);
	CHECK_MSG(strncmp(st.error, "built-in synth: no audio device (",
	    33) == 0 && strchr(st.error, '\n') == NULL, "%s", st.error);
	CHECK(st.audio_start == 0);
	live_free(l);
}

/*
 * The synth as one output among the ports: chosen when no port is there
 * (synth_fallback), and by re-opening (d in the instrument) to it and
 * away from it, with the panic's messages and the programs reaching it.
 */
static void
test_output_switching(void)
{
	struct live_device	 d[64];
	struct live_opts	 o;
	struct live_status	 st;
	struct live		*l;
	char			*cause = NULL;
	int			 n, i, outs = 0;

	n = live_devices(d, 64, &cause);
	for (i = 0; i < n; i++)
		outs += d[i].output && d[i].index >= 0;
	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_PORTMIDI;
	o.synth_fallback = 1;
	o.soundfont = sf2;
	o.audio_driver = "alsa";
	if ((l = live_new(&o, &cause)) == NULL) {
		CHECK_MSG(0, "%s", cause);
		free(cause);
		return;
	}
	live_status(l, &st);
	if (outs == 0)
		CHECK_MSG(strcmp(st.device, SYNTH_OUT_NAME) == 0 &&
		    st.device_ok, "no port: %s (%s)", st.device, st.error);
	/* To a port that is not there: said, and the synth is let go. */
	CHECK(live_reopen(l, "no-such-port-latentroll") == 0);
	for (i = 0; i < 300; i++) {
		usleep(10000);
		live_status(l, &st);
		if (strcmp(st.device, SYNTH_OUT_NAME) != 0)
			break;
	}
	CHECK_MSG(!st.device_ok && strstr(st.error, "no-such-port") != NULL,
	    "%s / %s", st.device, st.error);
	/* And back by its listed name. */
	CHECK(live_reopen(l, SYNTH_OUT_NAME) == 0);
	for (i = 0; i < 300; i++) {
		usleep(10000);
		live_status(l, &st);
		if (strcmp(st.device, SYNTH_OUT_NAME) == 0)
			break;
	}
	CHECK_MSG(strcmp(st.device, SYNTH_OUT_NAME) == 0 && st.device_ok,
	    "%s / %s", st.device, st.error);
	live_free(l);
}

int
main(void)
{
	const char	*srcdir = getenv("srcdir");

	if (srcdir == NULL)
		srcdir = ".";
	if (access("/usr/share/sounds/sf2/TimGM6mb.sf2", R_OK) == 0)
		sf2 = "/usr/share/sounds/sf2/TimGM6mb.sf2";
	else if (access(SYNTH_DEFAULT_SF2, R_OK) == 0)
		sf2 = SYNTH_DEFAULT_SF2;
	else {
		printf("SKIP: no General MIDI soundfont (apt-get install "
		    "timgm6mb-soundfont)\n");
		return (77);
	}
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return (99);
	}
	midifile_log_init();
	test_clips(srcdir);
	test_decoded(srcdir);
	test_midi_semantics();
	test_wav();
	test_bad_soundfont();
	test_no_audio_device();
	test_output_switching();
	printf("# %s: worst onset error %.2f ms past the lead-in, loudest "
	    "tail %.1f dBFS, piano G4 lead-in %.1f ms\n", sf2, worst_onset * 1000, worst_tail,
	    (lead_in[0][67] - 1) * 1000);
	(void)fastest;
	rmdir(tmpdir);
	return (test_report());
}
