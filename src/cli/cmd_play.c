/*
 * cmd_play.c: `latentroll play` (loop a clip headless on a MIDI output,
 * or render it offline on a simulated clock) and `latentroll devices`.
 * The wiring only: loading, quantizing, options and the main loop; the
 * player is src/live.c.
 */
#include "cmds.h"

#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "convert.h"
#include "live.h"
#include "midifile.h"

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
	{ NULL, 0, NULL, 0 },
};

/* A whole number in [lo, hi] or -1. */
static long
parse_num(const char *s, long lo, long hi)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return (-1);
	return (v);
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
int
cmd_play(int argc, char **argv)
{
	struct live_opts	 o;
	struct live_pattern	 p;
	struct live_note	*notes = NULL;
	struct live_status	 st;
	struct config		 cfg;
	struct noteseq		 s;
	struct live		*l;
	const char		*file, *record = NULL, *out = NULL, *in = NULL;
	char			*cause = NULL, *end;
	long			 bars = 0, loops = -1, latency = 0, vel = 0;
	long			 steps, channel = 0, program = -1;
	enum live_quantum	 quantum = LIVE_SWAP_BAR;
	double			 qpm = 0, t_end, t;
	int			 c, offline = 0, force = 0, follow = 0;
	int			 master = 0, rc = CMD_ERROR, sig;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", play_opts, NULL)) != -1) {
		switch (c) {
		case OPT_BARS:
			if ((bars = parse_num(optarg, 1, 256)) < 0) {
				cmd_error("--bars %s: want 1..256", optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_TEMPO:
			/* strtod, not atof: "120x" is a typo, not 120. */
			qpm = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(qpm >= LR_QPM_MIN && qpm <= LR_QPM_MAX)) {
				cmd_error("--tempo %s: want %g..%g BPM",
				    optarg, LR_QPM_MIN, LR_QPM_MAX);
				return (CMD_USAGE);
			}
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_IN:
			in = optarg;
			break;
		case OPT_RECORD:
			record = optarg;
			break;
		case OPT_OFFLINE:
			offline = 1;
			break;
		case OPT_LOOPS:
			if ((loops = parse_num(optarg, 0, 1000000)) < 0) {
				cmd_error("--loops %s: want a count (0: "
				    "until interrupted)", optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_LATENCY:
			if ((latency = parse_num(optarg, 1, 1000)) < 0) {
				cmd_error("--latency %s: want 1..1000 ms",
				    optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_VELOCITY:
			if ((vel = parse_num(optarg, 1, 127)) < 0) {
				cmd_error("--velocity %s: want 1..127",
				    optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_QUANTUM:
			if (strcmp(optarg, "bar") == 0)
				quantum = LIVE_SWAP_BAR;
			else if (strcmp(optarg, "beat") == 0)
				quantum = LIVE_SWAP_BEAT;
			else if (strcmp(optarg, "step") == 0)
				quantum = LIVE_SWAP_STEP;
			else {
				cmd_error("--quantum %s: want bar, beat or "
				    "step", optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_CHANNEL:
			if ((channel = parse_num(optarg, 1, 16)) < 0 ||
			    channel == 10) {
				cmd_error("--channel %s: want 1..16, not 10 "
				    "(the drums')", optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_PROGRAM:
			if ((program = parse_num(optarg, 0, 127)) < 0) {
				cmd_error("--program %s: want 0..127",
				    optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_FOLLOW:
			follow = 1;
			break;
		case OPT_MASTER:
			master = 1;
			break;
		default:
			return (cmd_usage("play"));
		}
	}
	if (optind != argc - 1)
		return (cmd_usage("play"));
	file = argv[optind];
	if (offline && loops == 0) {
		cmd_error("--offline --loops 0 would never end");
		return (CMD_USAGE);
	}
	if (loops < 0)
		loops = offline ? 1 : 0;
	/* Refuse early rather than after minutes of playing. */
	if (record != NULL && !force && (strcmp(record, file) == 0 ||
	    access(record, F_OK) == 0)) {
		cmd_error("%s: exists (use --force to overwrite)", record);
		return (CMD_ERROR);
	}
	if (record != NULL && cmd_out_check(record) != 0)
		return (CMD_ERROR);

	if (config_load(&cfg, NULL, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	midifile_log_init();
	if (midifile_load(file, &s, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	if (convert_quantize(&s, NOTESEQ_STEPS_PER_QUARTER, &cause) != 0) {
		cmd_error("%s: %s", file, cause);
		goto out;
	}
	steps = bars > 0 ? bars * LIVE_STEPS_PER_BAR :
	    ((s.total_steps + LIVE_STEPS_PER_BAR - 1) / LIVE_STEPS_PER_BAR) *
	    LIVE_STEPS_PER_BAR;
	if (steps > 256 * LIVE_STEPS_PER_BAR)
		steps = 256 * LIVE_STEPS_PER_BAR;
	if (s.n == 0 || steps <= 0) {
		cmd_error("%s: no notes to play", file);
		goto out;
	}
	if (live_pattern_from_noteseq(&p, &notes, &s, (int)steps,
	    &cause) != 0) {
		cmd_error("%s: %s", file, cause);
		goto out;
	}
	if (qpm == 0)
		qpm = noteseq_qpm(&s);

	memset(&o, 0, sizeof o);
	o.sink = offline ? LIVE_SINK_RECORD : LIVE_SINK_PORTMIDI;
	o.offline = offline;
	o.record = record != NULL;
	o.record_max = 1 << 22;
	o.out = out != NULL ? out : (cfg.out[0] != '\0' ? cfg.out : NULL);
	o.in = in != NULL ? in : (cfg.in[0] != '\0' ? cfg.in : NULL);
	o.latency_ms = latency > 0 ? (int)latency : cfg.latency_ms;
	o.qpm = qpm;
	o.velocity_mode = vel > 0 ? LIVE_VEL_FIXED : LIVE_VEL_KEEP;
	o.velocity = (int)vel;
	o.clock_follow = follow;
	o.clock_master = master;
	o.quantum = quantum;
	/* Channel and program: the config's, then the command line's. */
	config_live_opts(&cfg, &o);
	if (channel > 0)
		o.channel = (int)channel - 1;
	if (program >= 0) {
		o.program_fixed = 1;
		o.program = (int)program;
	}
	if (channel > 0 || cfg.channel > 0)
		melody_to_channel0(&p, notes);
	if ((l = live_new(&o, &cause)) == NULL) {
		cmd_error("%s", cause);
		goto out;
	}
	live_status(l, &st);
	if (!offline && st.error[0] != '\0') {
		if (out != NULL || in != NULL) {
			/* Asked for by name on the command line: a typo
			   should not play silently. */
			cmd_error("%s", st.error);
			live_free(l);
			goto out;
		}
		/* Remembered in the config but gone: use the default. */
		cmd_error("%s (remembered device; using the default)",
		    st.error);
		live_free(l);
		o.out = o.in = NULL;
		if ((l = live_new(&o, &cause)) == NULL) {
			cmd_error("%s", cause);
			goto out;
		}
		live_status(l, &st);
	}
	if (!offline) {
		if (!st.device_ok || strcmp(st.device, "no MIDI output") == 0)
			cmd_error("no MIDI output; playing on the null sink%s",
			    record != NULL ? " (recording)" : "");
		else if (out != NULL || in != NULL) {
			/* Remember the choice for next time. */
			if (out != NULL)
				snprintf(cfg.out, sizeof cfg.out, "%s", out);
			if (in != NULL)
				snprintf(cfg.in, sizeof cfg.in, "%s", in);
			if (config_save(&cfg, NULL, &cause) != 0)
				cmd_error("%s (device not remembered)", cause);
		}
	}
	if (live_swap(l, &p, &cause) < 0) {
		cmd_error("%s: %s", file, cause);
		live_free(l);
		goto out;
	}
	live_signals_install();
	if (loops > 0)
		live_stop_at(l, loops * steps);
	live_start(l);
	if (offline) {
		/* A loop at a time: the handlers only set a flag, so one
		   call for --loops 1000000 could not be stopped (Ctrl-C,
		   kill) short of SIGKILL. */
		t_end = (double)(loops * steps) * 15.0 / qpm + 1;
		t = 0;
		while ((sig = live_signal_caught()) == 0 && t < t_end) {
			t += (double)steps * 15.0 / qpm;
			live_advance(l, t < t_end ? t : t_end);
		}
		live_stop(l);
	} else {
		fprintf(stderr, "latentroll: playing %s on %s, %ld bars at "
		    "%.1f BPM%s\n", file, strcmp(st.device, "no MIDI output")
		    == 0 ? "the null sink" : st.device, steps / 16, qpm,
		    loops == 0 ? " (Ctrl-C stops)" : "");
		sig = play_live(l, steps, loops, qpm);
	}
	live_status(l, &st);
	if (record != NULL) {
		struct noteseq	rec;

		if (live_record_noteseq(l, &rec, &cause) != 0) {
			cmd_error("%s: %s", record, cause);
			live_free(l);
			goto out;
		}
		c = midifile_save(record, &rec, force, &cause);
		noteseq_free(&rec);
		if (c != 0) {
			cmd_error("%s", cause);
			live_free(l);
			goto out;
		}
	}
	printf("%s: %llu MIDI messages, %ld steps per loop, %.1f BPM, %s%s\n",
	    file, (unsigned long long)st.events, steps, st.qpm,
	    offline ? "offline" : st.device,
	    sig != 0 ? " (interrupted)" : "");
	live_free(l);
	rc = CMD_OK;
out:
	free(notes);
	free(cause);
	noteseq_free(&s);
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
	if (n == 0) {
		printf("no MIDI devices (no ALSA sequencer?): no MIDI output; "
		    "play --offline still works\n");
		return (CMD_OK);
	}
	printf("%-5s %-6s %-8s %s\n", "index", "kind", "api", "name");
	for (i = 0; i < n; i++)
		printf("%-5d %-6s %-8s %s\n", d[i].index, d[i].output ?
		    "output" : "input", d[i].interf, d[i].name);
	return (CMD_OK);
}
