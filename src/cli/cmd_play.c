/*
 * cmd_play.c: `latentroll play` (loop a clip headless on a MIDI output or
 * the built-in synth, or offline on a simulated clock), `latentroll
 * render` (the same loops as an audio file) and `latentroll devices`.
 * The wiring only: loading, quantizing, options and the main loop; the
 * player is src/live.c.
 */
#include "cmds.h"

#include <getopt.h>
#include <poll.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audiofile.h"

#include "config.h"
#include "convert.h"
#include "live.h"
#include "midifile.h"
#include "musicfile.h"
#include "render.h"
#include "synth.h"

enum {
	OPT_BARS = 256,
	OPT_TEMPO,
	OPT_OUT,
	OPT_IN,
	OPT_RECORD,
	OPT_OFFLINE,
	OPT_LOOPS,
	OPT_LATENCY,
	OPT_FORCE,
	OPT_QUANTUM,
	OPT_VELOCITY,
	OPT_FOLLOW,
	OPT_MASTER,
	OPT_CHANNEL,
	OPT_PROGRAM,
	OPT_SOUNDFONT,
	OPT_TUNE,
};

static const struct option play_opts[] = {
	{ "bars", required_argument, NULL, OPT_BARS },
	{ "tempo", required_argument, NULL, OPT_TEMPO },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "in", required_argument, NULL, OPT_IN },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "loops", required_argument, NULL, OPT_LOOPS },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "velocity", required_argument, NULL, OPT_VELOCITY },
	{ "quantum", required_argument, NULL, OPT_QUANTUM },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "program", required_argument, NULL, OPT_PROGRAM },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "clock-master", no_argument, NULL, OPT_MASTER },
	{ "soundfont", required_argument, NULL, OPT_SOUNDFONT },
	{ "tune", required_argument, NULL, OPT_TUNE },
	{ NULL, 0, NULL, 0 },
};

/* render takes the options that shape what is heard. */
static const struct option render_opts[] = {
	{ "bars", required_argument, NULL, OPT_BARS },
	{ "tempo", required_argument, NULL, OPT_TEMPO },
	{ "loops", required_argument, NULL, OPT_LOOPS },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "velocity", required_argument, NULL, OPT_VELOCITY },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "program", required_argument, NULL, OPT_PROGRAM },
	{ "soundfont", required_argument, NULL, OPT_SOUNDFONT },
	{ "tune", required_argument, NULL, OPT_TUNE },
	{ NULL, 0, NULL, 0 },
};

/* A whole number of option --name in [lo, hi] into *out (opts.c). */
static int
num(const char *name, const char *arg, long lo, long hi, const char *what,
    long *out)
{
	return (opt_whole(name, arg, lo, hi, what, out) == 0 ? CMD_OK :
	    CMD_USAGE);
}

/*
 * A clip with one non-drum channel is a melody: it moves to the pattern's
 * melody channel (0), which the player puts on --channel.
 */
static void
melody_to_channel0(struct live_pattern *p, struct live_note *notes)
{
	size_t	i;
	int	ch = -1;

	for (i = 0; i < p->n; i++) {
		if (notes[i].channel == LIVE_DRUM_CHANNEL)
			continue;
		if (ch >= 0 && notes[i].channel != ch)
			return;
		ch = notes[i].channel;
	}
	if (ch <= 0)
		return;
	for (i = 0; i < p->n; i++)
		if (notes[i].channel == ch)
			notes[i].channel = 0;
	p->program[0] = p->program[ch];
	p->program[ch] = -1;
}

/* Wait until the player has stopped (at most 1 s). */
static void
wait_stopped(struct live *l)
{
	struct live_status	st;
	int			i;

	for (i = 0; i < 1000; i++) {
		live_status(l, &st);
		if (!st.playing && st.sounding == 0)
			return;
		usleep(1000);
	}
}

/* Real time: loop until `loops` passes or a signal; report errors. */
static int
play_live(struct live *l, long steps, long loops, double qpm)
{
	struct live_status	st;
	struct pollfd		pfd;
	char			last_err[256] = "";
	double			t0 = live_now(l), dur;

	/* The player stops itself at the end (live_stop_at); the time
	   limit only guards against missing that between two polls. */
	dur = (double)(loops * steps) * 15.0 / qpm + 1.0;
	/* What play_open said already (the synth without audio). */
	live_status(l, &st);
	snprintf(last_err, sizeof last_err, "%s", st.error);
	pfd.fd = live_wakeup_fd(l);
	pfd.events = POLLIN;
	for (;;) {
		if (live_signal_caught() != 0)
			break;
		if (pfd.fd != -1 && poll(&pfd, 1, 100) > 0)
			live_wakeup_clear(l);
		live_status(l, &st);
		if (st.error[0] != '\0' && strcmp(st.error, last_err) != 0) {
			/* The device went away: keep going on the null
			   sink; the user can restart with another --out. */
			cmd_error("%s (still running without it)", st.error);
			snprintf(last_err, sizeof last_err, "%s", st.error);
			live_start(l);
		}
		if (loops > 0 && ((!st.playing && st.step > 0) ||
		    live_now(l) - t0 > dur))
			break;
	}
	live_stop(l);
	wait_stopped(l);
	return (live_signal_caught());
}

/* Load, quantize and loop a clip. */
/* What `latentroll play` was asked, then what it made. */
struct play {
	const char		*file, *record, *out, *in, *soundfont;
	long			 bars, loops, latency, vel, channel, program;
	long			 tune;		/* an ABC file's X:, 0: first */
	enum live_quantum	 quantum;
	double			 qpm;
	int			 offline, force, follow, master;

	struct config		 cfg;
	struct noteseq		 s;
	int			 have_s;
	struct live_pattern	 p;
	struct live_note	*notes;
	long			 steps;
	struct live_opts	 o;
	struct live		*l;
	struct live_status	 st;
};

/* One option into pl; CMD_OK, or CMD_USAGE after saying what is wrong. */
static int
play_option(struct play *pl, int c, const char *arg)
{
	switch (c) {
	case OPT_BARS:
		return (num("bars", arg, 1, 256, "a bar count", &pl->bars));
	case OPT_TUNE:
		return (num("tune", arg, 1, 1000000, "the X: number of an ABC "
		    "tune", &pl->tune));
	case OPT_TEMPO:
		return (opt_real("tempo", arg, LR_QPM_MIN, LR_QPM_MAX,
		    "a tempo from 20 to 400 BPM", &pl->qpm) == 0 ? CMD_OK :
		    CMD_USAGE);
	case OPT_OUT:
		pl->out = arg;
		break;
	case OPT_IN:
		pl->in = arg;
		break;
	case OPT_RECORD:
		pl->record = arg;
		break;
	case OPT_OFFLINE:
		pl->offline = 1;
		break;
	case OPT_LOOPS:
		return (num("loops", arg, 0, 1000000, "a count (0: until "
		    "interrupted)", &pl->loops));
	case OPT_LATENCY:
		return (num("latency", arg, 1, 1000, "a latency in ms",
		    &pl->latency));
	case OPT_FORCE:
		pl->force = 1;
		break;
	case OPT_VELOCITY:
		return (num("velocity", arg, 1, 127, "a velocity", &pl->vel));
	case OPT_QUANTUM:
		if (strcmp(arg, "bar") == 0)
			pl->quantum = LIVE_SWAP_BAR;
		else if (strcmp(arg, "beat") == 0)
			pl->quantum = LIVE_SWAP_BEAT;
		else if (strcmp(arg, "step") == 0)
			pl->quantum = LIVE_SWAP_STEP;
		else {
			cmd_error("--quantum %s: want bar, beat or step", arg);
			return (CMD_USAGE);
		}
		break;
	case OPT_CHANNEL:
		if (num("channel", arg, 1, 16, "a channel", &pl->channel) !=
		    CMD_OK)
			return (CMD_USAGE);
		if (pl->channel == 10) {
			cmd_error("--channel 10: the drums' channel; want "
			    "another from 1 to 16");
			return (CMD_USAGE);
		}
		break;
	case OPT_PROGRAM:
		return (num("program", arg, 0, 127, "a program", &pl->program));
	case OPT_FOLLOW:
		pl->follow = 1;
		break;
	case OPT_MASTER:
		pl->master = 1;
		break;
	case OPT_SOUNDFONT:
		pl->soundfont = arg;
		break;
	default:
		return (cmd_usage("play"));
	}
	return (CMD_OK);
}

/* The command line into pl; CMD_OK or the status to exit with. */
static int
play_parse(struct play *pl, int argc, char **argv)
{
	int	c, rc;

	memset(pl, 0, sizeof *pl);
	pl->loops = -1;
	pl->program = -1;
	pl->quantum = LIVE_SWAP_BAR;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", play_opts, NULL)) != -1)
		if ((rc = play_option(pl, c, optarg)) != CMD_OK)
			return (rc);
	if (optind != argc - 1)
		return (cmd_usage("play"));
	pl->file = argv[optind];
	if (pl->offline && pl->loops == 0) {
		cmd_error("--offline --loops 0 would never end");
		return (CMD_USAGE);
	}
	if (pl->loops < 0)
		pl->loops = pl->offline ? 1 : 0;
	cmd_input(pl->file);
	if (pl->soundfont != NULL)
		cmd_input(pl->soundfont);
	/* Refuse early rather than after minutes of playing. */
	if (pl->record != NULL && !pl->force &&
	    (strcmp(pl->record, pl->file) == 0 ||
	    access(pl->record, F_OK) == 0)) {
		cmd_error("%s: exists (use --force to overwrite)", pl->record);
		return (CMD_ERROR);
	}
	if (pl->record != NULL && cmd_out_check(pl->record) != 0)
		return (CMD_ERROR);
	return (CMD_OK);
}

/* The settings and the clip as a loop pattern; -1 after a message. */
static int
play_load(struct play *pl)
{
	char	*cause = NULL;

	if (config_load(&pl->cfg, NULL, &cause) != 0)
		goto fail;
	midifile_log_init();
	if (musicfile_load(pl->file, (int)pl->tune, &pl->s, &cause) != 0)
		goto fail;
	pl->have_s = 1;
	if (convert_quantize(&pl->s, NOTESEQ_STEPS_PER_QUARTER, &cause) != 0)
		goto fail_file;
	pl->steps = pl->bars > 0 ? pl->bars * LIVE_STEPS_PER_BAR :
	    ((pl->s.total_steps + LIVE_STEPS_PER_BAR - 1) /
	    LIVE_STEPS_PER_BAR) * LIVE_STEPS_PER_BAR;
	if (pl->steps > 256 * LIVE_STEPS_PER_BAR)
		pl->steps = 256 * LIVE_STEPS_PER_BAR;
	if (pl->s.n == 0 || pl->steps <= 0) {
		cmd_error("%s: no notes to play", pl->file);
		return (-1);
	}
	if (live_pattern_from_noteseq(&pl->p, &pl->notes, &pl->s,
	    (int)pl->steps, &cause) != 0)
		goto fail_file;
	if (pl->qpm == 0) {
		pl->qpm = noteseq_qpm(&pl->s);
		/* The file's own tempo within what --tempo takes: a
		   60000000 BPM tempo event is a broken file, not music. */
		if (!(pl->qpm >= 20 && pl->qpm <= 400)) {
			cmd_error("%s: tempo %.1f BPM, outside 20-400 (--tempo "
			    "BPM plays it at another)", pl->file, pl->qpm);
			return (-1);
		}
	}
	return (0);
fail_file:
	cmd_error("%s: %s", pl->file, cause);
	free(cause);
	return (-1);
fail:
	cmd_error("%s", cause);
	free(cause);
	return (-1);
}

/* The player's options: the command line's over the config's. */
static void
play_opts_fill(struct play *pl)
{
	struct live_opts	*o = &pl->o;

	memset(o, 0, sizeof *o);
	o->sink = pl->offline ? LIVE_SINK_RECORD : LIVE_SINK_PORTMIDI;
	o->offline = pl->offline;
	o->record = pl->record != NULL;
	o->record_max = 1 << 22;
	o->out = pl->out != NULL ? pl->out : (pl->cfg.out[0] != '\0' ?
	    pl->cfg.out : NULL);
	o->in = pl->in != NULL ? pl->in : (pl->cfg.in[0] != '\0' ?
	    pl->cfg.in : NULL);
	o->latency_ms = pl->latency > 0 ? (int)pl->latency :
	    pl->cfg.latency_ms;
	o->qpm = pl->qpm;
	o->velocity_mode = pl->vel > 0 ? LIVE_VEL_FIXED : LIVE_VEL_KEEP;
	o->velocity = (int)pl->vel;
	o->clock_follow = pl->follow;
	o->clock_master = pl->master;
	o->quantum = pl->quantum;
	/* Nothing to play on: the built-in synth. */
	o->synth_fallback = 1;
	/* Channel, program, soundfont: the config's, then the command
	   line's. */
	config_live_opts(&pl->cfg, o);
	if (pl->soundfont != NULL)
		o->soundfont = pl->soundfont;
	if (pl->channel > 0)
		o->channel = (int)pl->channel - 1;
	if (pl->program >= 0) {
		o->program_fixed = 1;
		o->program = (int)pl->program;
	}
	if (pl->channel > 0 || pl->cfg.channel > 0)
		melody_to_channel0(&pl->p, pl->notes);
}

/*
 * The player on its device: a device named on the command line must open;
 * one remembered in the config but gone gives way to the default.  A
 * device chosen here is remembered.  -1 after a message.
 */
static int
play_open(struct play *pl)
{
	char	*cause = NULL;
	int	 synth_err;

	play_opts_fill(pl);
	if ((pl->l = live_new(&pl->o, &cause)) == NULL)
		goto fail;
	live_status(pl->l, &pl->st);
	synth_err = strncmp(pl->st.error, SYNTH_OUT_NAME,
	    strlen(SYNTH_OUT_NAME)) == 0;
	if (!pl->offline && synth_err && (pl->st.device_ok ||
	    pl->o.out == NULL)) {
		/* The synth without audio, or the fallback synth without
		   its soundfont: one line, and play on (silently). */
		cmd_error("%s", pl->st.error);
		if (!pl->st.device_ok)
			cmd_error("no MIDI output; playing on the null sink");
		return (0);
	}
	if (!pl->offline && pl->st.error[0] != '\0') {
		if (pl->out != NULL || pl->in != NULL) {
			/* Asked for by name on the command line: a typo
			   should not play silently. */
			cmd_error("%s", pl->st.error);
			return (-1);
		}
		/* Remembered in the config but gone: use the default. */
		cmd_error("%s (remembered device; using the default)",
		    pl->st.error);
		live_free(pl->l);
		pl->o.out = pl->o.in = NULL;
		if ((pl->l = live_new(&pl->o, &cause)) == NULL)
			goto fail;
		live_status(pl->l, &pl->st);
	}
	if (pl->offline)
		return (0);
	if (!pl->st.device_ok || strcmp(pl->st.device, "no MIDI output") == 0)
		cmd_error("no MIDI output; playing on the null sink%s",
		    pl->record != NULL ? " (recording)" : "");
	else if (pl->out != NULL || pl->in != NULL) {
		/* Remember the choice for next time. */
		if (pl->out != NULL)
			snprintf(pl->cfg.out, sizeof pl->cfg.out, "%s",
			    pl->out);
		if (pl->in != NULL)
			snprintf(pl->cfg.in, sizeof pl->cfg.in, "%s", pl->in);
		if (config_save(&pl->cfg, NULL, &cause) != 0) {
			cmd_error("%s (device not remembered)", cause);
			free(cause);
		}
	}
	return (0);
fail:
	cmd_error("%s", cause);
	free(cause);
	return (-1);
}

/* Play the loops (offline: as fast as it computes); the signal that
   stopped it, or 0. */
static int
play_run(struct play *pl)
{
	double	t_end, t;
	int	sig;

	if (pl->loops > 0)
		live_stop_at(pl->l, pl->loops * pl->steps);
	live_start(pl->l);
	if (!pl->offline) {
		fprintf(stderr, "latentroll: playing %s on %s, %ld bars at "
		    "%.1f BPM%s\n", pl->file, strcmp(pl->st.device,
		    "no MIDI output") == 0 ? "the null sink" : pl->st.device,
		    pl->steps / 16, pl->qpm, pl->loops == 0 ?
		    " (Ctrl-C stops)" : "");
		return (play_live(pl->l, pl->steps, pl->loops, pl->qpm));
	}
	/* A loop at a time: the handlers only set a flag, so one call for
	   --loops 1000000 could not be stopped (Ctrl-C, kill) short of
	   SIGKILL. */
	t_end = (double)(pl->loops * pl->steps) * 15.0 / pl->qpm + 1;
	t = 0;
	while ((sig = live_signal_caught()) == 0 && t < t_end) {
		t += (double)pl->steps * 15.0 / pl->qpm;
		live_advance(pl->l, t < t_end ? t : t_end);
	}
	live_stop(pl->l);
	return (sig);
}

/* Save what was played (--record); -1 after a message. */
static int
play_record(struct play *pl)
{
	struct noteseq	 rec;
	char		*cause = NULL;
	double		 loop_s, loops;
	int		 c;

	if (pl->record == NULL)
		return (0);
	if (live_record_noteseq(pl->l, &rec, &cause) != 0) {
		cmd_error("%s: %s", pl->record, cause);
		free(cause);
		return (-1);
	}
	/* A recording is whole loops: the file ends where its last loop
	   ends, not at the last note-off (a rest at the end is part of the
	   clip, and a loop played back must keep its length). */
	loop_s = pl->steps * 15.0 / rec.tempos[0].qpm;
	if (loop_s > 0) {
		loops = ceil(rec.total_s / loop_s - 1e-6);
		rec.total_s = (loops < 1 ? 1 : loops) * loop_s;
	}
	c = midifile_save(pl->record, &rec, pl->force, &cause);
	noteseq_free(&rec);
	if (c != 0) {
		cmd_error("%s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

int
cmd_play(int argc, char **argv)
{
	struct play	 pl;
	char		*cause = NULL;
	int		 rc, sig;

	if ((rc = play_parse(&pl, argc, argv)) != CMD_OK)
		return (rc);
	rc = CMD_ERROR;
	if (play_load(&pl) != 0 || play_open(&pl) != 0)
		goto out;
	if (live_swap(pl.l, &pl.p, &cause) < 0) {
		cmd_error("%s: %s", pl.file, cause);
		free(cause);
		goto out;
	}
	live_signals_install();
	sig = play_run(&pl);
	live_status(pl.l, &pl.st);
	if (play_record(&pl) != 0)
		goto out;
	printf("%s: %llu MIDI messages, %ld steps per loop, %.1f BPM, %s%s\n",
	    pl.file, (unsigned long long)pl.st.events, pl.steps, pl.st.qpm,
	    pl.offline ? "offline" : pl.st.device,
	    sig != 0 ? " (interrupted)" : "");
	rc = CMD_OK;
out:
	if (pl.l != NULL)
		live_free(pl.l);
	free(pl.notes);
	if (pl.have_s)
		noteseq_free(&pl.s);
	return (rc);
}

/* List MIDI inputs and outputs. */
int
cmd_devices(int argc, char **argv)
{
	struct live_device	 d[128];
	char			*cause = NULL;
	int			 i, n;

	if (argc > 1)
		return (cmd_usage("devices"));
	n = live_devices(d, 128, &cause);
	if (n < 0) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	printf("%-5s %-6s %-8s %s\n", "index", "kind", "api", "name");
	for (i = 0; i < n; i++) {
		if (d[i].index < 0)
			printf("%-5s %-6s %-8s %s (--out synth)\n", "-",
			    "output", d[i].interf, d[i].name);
		else
			printf("%-5d %-6s %-8s %s\n", d[i].index,
			    d[i].output ? "output" : "input", d[i].interf,
			    d[i].name);
	}
	if (n == 1)
		printf("no MIDI devices (no ALSA sequencer?): the built-in "
		    "synth plays\n");
	return (CMD_OK);
}

/* IN.mid OUT.wav and the options into pl; CMD_OK or the exit status. */
static int
render_parse(struct play *pl, const char **out, int argc, char **argv)
{
	int	c, rc;

	memset(pl, 0, sizeof *pl);
	pl->loops = 1;
	pl->program = -1;
	pl->quantum = LIVE_SWAP_BAR;
	pl->offline = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", render_opts, NULL)) != -1) {
		if (c == OPT_LOOPS && strcmp(optarg, "0") == 0) {
			cmd_error("--loops 0: a render needs 1 or more");
			return (CMD_USAGE);
		}
		if (c == '?' || c == ':')
			return (cmd_usage("render"));
		if ((rc = play_option(pl, c, optarg)) != CMD_OK)
			return (rc);
	}
	if (optind != argc - 2)
		return (cmd_usage("render"));
	pl->file = argv[optind];
	*out = argv[optind + 1];
	if (!audiofile_is_audio(*out)) {
		cmd_error("%s: want a .wav or .flac name", *out);
		return (CMD_ERROR);
	}
	cmd_input(pl->file);
	if (pl->soundfont != NULL)
		cmd_input(pl->soundfont);
	/* Refuse before the work, not after it. */
	if (!pl->force && (strcmp(*out, pl->file) == 0 ||
	    access(*out, F_OK) == 0)) {
		cmd_error("%s: exists (use --force to overwrite)", *out);
		return (CMD_ERROR);
	}
	if (cmd_out_check(*out) != 0)
		return (CMD_ERROR);
	return (CMD_OK);
}

static double
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

/* The longest render: an hour of music. */
#define RENDER_MAX_S	3600

/* latentroll render IN.mid OUT.wav: the loops as the player plays them. */
int
cmd_render(int argc, char **argv)
{
	struct play		 pl;
	struct render_audio	 a;
	const char		*out = NULL;
	char			*cause = NULL;
	double			 t0, dt, music_s;
	int			 rc;

	if ((rc = render_parse(&pl, &out, argc, argv)) != CMD_OK)
		return (rc);
	rc = CMD_ERROR;
	memset(&a, 0, sizeof a);
	if (play_load(&pl) != 0)
		goto done;
	play_opts_fill(&pl);
	/* The samples are held in memory as floats (1.3 GB an hour) and a
	   WAV stops at 4 GiB (6.7 hours): refuse up front, not hours on. */
	music_s = (double)pl.loops * (double)pl.steps * 15.0 / pl.qpm;
	if (music_s > RENDER_MAX_S) {
		cmd_error("%s: %ld loops of %.1f s are %.1f hours; a render "
		    "holds %d minutes at most", out, pl.loops, music_s /
		    (double)pl.loops, music_s / 3600, RENDER_MAX_S / 60);
		goto done;
	}
	t0 = wall_now();
	if (render_pattern(&pl.o, &pl.p, pl.loops, pl.o.soundfont, &a,
	    &cause) != 0 || audiofile_save(out, a.pcm, a.frames, 2, a.rate,
	    pl.force, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		goto done;
	}
	dt = wall_now() - t0;
	printf("%s: %ld loop%s of %ld steps at %.1f BPM: %.3f s + %.1f s "
	    "release, %d Hz stereo, rendered in %.2f s (%.0fx real time)\n",
	    out, pl.loops, pl.loops == 1 ? "" : "s", pl.steps, pl.qpm,
	    a.music_s, a.tail_s, a.rate, dt, dt > 0 ? (a.music_s +
	    a.tail_s) / dt : 0);
	rc = CMD_OK;
done:
	render_audio_free(&a);
	free(pl.notes);
	if (pl.have_s)
		noteseq_free(&pl.s);
	return (rc);
}
