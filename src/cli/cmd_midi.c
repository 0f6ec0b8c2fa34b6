/*
 * cmd_midi.c: the MIDI commands that need no model.
 *   inspect FILE.mid [--track N] [--channel N]: what is in a clip and
 *	what the model would see of it (its parts, melody tokens, a small
 *	piano roll, windows and the stretches refused).
 *   convert IN.mid OUT.mid: one window, tokenized and decoded back,
 *	saved as MIDI: exactly what the model would see, audible.
 */
#include "cmds.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "midifile.h"
#include "musicfile.h"

#define ROLL_STEPS	32	/* the piano roll shows two bars */
#define MAX_REFUSED	8	/* refused stretches listed per window size */

enum {
	OPT_TRACK = 1,
	OPT_WINDOW,
	OPT_STEPS,
	OPT_FORCE,
	OPT_KIND,
	OPT_CHANNEL,
	OPT_TUNE,
};

static const struct option midi_opts[] = {
	{ "track", required_argument, NULL, OPT_TRACK },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "tune", required_argument, NULL, OPT_TUNE },
	{ NULL, 0, NULL, 0 },
};

static const char *note_names[12] = {
	"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
};

/* "C4"-style name (MIDI 60 = C4). */
static const char *
pitch_name(int pitch, char *buf, size_t len)
{
	snprintf(buf, len, "%s%d", note_names[pitch % 12], pitch / 12 - 1);
	return (buf);
}

static const char *
key_name(int key, int minor)
{
	static const char *maj[15] = { "Cb", "Gb", "Db", "Ab", "Eb", "Bb",
	    "F", "C", "G", "D", "A", "E", "B", "F#", "C#" };
	static const char *min[15] = { "Ab", "Eb", "Bb", "F", "C", "G", "D",
	    "A", "E", "B", "F#", "C#", "G#", "D#", "A#" };

	if (key < -7 || key > 7)
		return ("?");
	return (minor ? min[key + 7] : maj[key + 7]);
}

/*
 * Tracks and their parts: each (track, channel) with its program and
 * notes, one line a part; a melody comes from one part.
 */
static void
print_tracks(const struct noteseq *s)
{
	struct convert_part	*v;
	const char		*name;
	int			 n, i, t, w, shown;

	n = convert_parts(s, &v, NULL);
	printf("tracks: %d\n", s->n_tracks);
	for (t = 0, i = 0; t < s->n_tracks; t++) {
		name = s->track_names != NULL && s->track_names[t] != NULL &&
		    *s->track_names[t] != '\0' ? s->track_names[t] :
		    "(unnamed)";
		w = printf("  %d  %-20s", t + 1, name);
		for (shown = 0; i < n && v[i].track == t; i++, shown++) {
			if (shown > 0)
				printf("\n%*s", w, "");
			printf("  channel %2d  program %3d  %5d notes%s",
			    v[i].channel + 1, v[i].program, v[i].n_notes,
			    v[i].drum ? "  drums" : "");
			if (v[i].programs > 1)
				printf("  (%d programs)", v[i].programs);
		}
		printf("%s\n", shown == 0 ? "  no notes" : "");
	}
	free(v);
}

/* A tiny piano roll of the first steps of a melody window. */
static void
print_roll(const int *tok, int steps)
{
	int	 t, p, lo = 128, hi = -1, cur = -1, c;
	int	 roll[ROLL_STEPS];
	char	 nb[16];

	if (steps > ROLL_STEPS)
		steps = ROLL_STEPS;
	/* The sounding pitch at each step (-1: rest), onsets negated-2. */
	for (t = 0; t < steps; t++) {
		c = tok[t];
		if (c == MEL_NOTE_OFF)
			cur = -1;
		else if (c >= 2 && c < MEL_CLASSES) {
			cur = c + 19;
			roll[t] = -(cur + 2);
			if (cur < lo)
				lo = cur;
			if (cur > hi)
				hi = cur;
			continue;
		}
		roll[t] = cur;
	}
	if (hi < 0) {
		printf("  (silent)\n");
		return;
	}
	for (p = hi; p >= lo; p--) {
		printf("  %-4s|", pitch_name(p, nb, sizeof nb));
		for (t = 0; t < steps; t++) {
			if (roll[t] == -(p + 2))
				putchar('#');
			else if (roll[t] == p)
				putchar('=');
			else
				putchar(t % 4 == 0 ? ':' : '.');
			if (t % STEPS_PER_BAR == STEPS_PER_BAR - 1)
				putchar('|');
		}
		putchar('\n');
	}
}

/*
 * The windows of one length and every stretch refused (wrong meter, a
 * piece too short, a silence that splits the melody), whether or not
 * some windows were made.
 */
static void
print_windows(const struct noteseq *s, int track, int channel, int steps,
    int *n)
{
	struct convert_opts	o;
	struct windows		w;
	char			*cause = NULL, line[256];
	int			 i, dups = 0, j;

	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = track;
	o.channel = channel;
	o.steps = steps;
	windows_init(&w);
	if (convert_windows(s, &o, &w, &cause) != 0) {
		printf("%d-bar windows: error: %s\n", steps / 16, cause);
		free(cause);
		return;
	}
	/* Training keeps one copy of identical windows (as Magenta). */
	for (i = 0; i < w.n; i++)
		for (j = 0; j < i; j++)
			if (memcmp(w.tokens + (size_t)i * steps,
			    w.tokens + (size_t)j * steps, steps *
			    sizeof *w.tokens) == 0) {
				dups++;
				break;
			}
	printf("%d-bar windows: %d", steps / 16, w.n);
	if (w.n > 0)
		printf(" (%d distinct)", w.n - dups);
	if (w.n == 0 && w.why != NULL)
		printf(": %s", w.why);
	putchar('\n');
	for (i = 0; i < w.n_refusals && i < MAX_REFUSED; i++) {
		convert_refused_str(&w.refused[i], steps, line, sizeof line);
		printf("  refused %s\n", line);
	}
	if (w.n_refusals > MAX_REFUSED)
		printf("  refused ... and %d more stretch%s\n",
		    w.n_refusals - MAX_REFUSED, w.n_refusals - MAX_REFUSED ==
		    1 ? "" : "es");
	*n = w.n;
	windows_free(&w);
}

/* inspect's first lines: notes, length, tempo, meter, key. */
static void
print_header(const char *file, const struct noteseq *s)
{
	size_t	i;

	printf("%s: %zu notes, %.1f s, %d steps (%d bars of 16)\n", file,
	    s->n, s->total_s, s->total_steps, (s->total_steps + 15) / 16);
	printf("tempo: %.1f qpm", noteseq_qpm(s));
	if (s->n_tempos > 1)
		printf(" (%zu changes, quantized piecewise)", s->n_tempos - 1);
	printf("\nmeter:");
	for (i = 0; i < s->n_timesigs && i < 6; i++)
		printf(" %d/%d at %.1f s", s->timesigs[i].num,
		    s->timesigs[i].den, s->timesigs[i].time_s);
	if (s->n_timesigs > 6)
		printf(" ...");
	printf("\nkey:");
	if (s->n_keysigs == 0)
		printf(" (none)");
	for (i = 0; i < s->n_keysigs && i < 4; i++)
		printf(" %s %s", key_name(s->keysigs[i].key,
		    s->keysigs[i].minor), s->keysigs[i].minor ? "minor" :
		    "major");
	putchar('\n');
}

/* The melody inspect finds first: its tokens, notes and roll. */
static int
print_melody(const char *file, struct noteseq *s, int track, int channel)
{
	struct convert_opts	 o;
	struct windows		 w;
	char			*cause = NULL, nb[16];
	int			 t;

	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = track;
	o.channel = channel;
	o.steps = ROLL_STEPS;
	windows_init(&w);
	if (convert_windows(s, &o, &w, &cause) != 0) {
		cmd_error("%s: %s", file, cause);
		free(cause);
		return (-1);
	}
	if (w.n > 0) {
		printf("melody: track %d channel %d, first window at step %d\n",
		    w.track + 1, w.channel + 1, w.start_step[0]);
		printf("  tokens:");
		for (t = 0; t < ROLL_STEPS; t++)
			printf(" %d", w.tokens[t]);
		printf("\n  notes: ");
		for (t = 0; t < ROLL_STEPS; t++)
			if (w.tokens[t] >= 2)
				printf(" %s", pitch_name(w.tokens[t] + 19, nb,
				    sizeof nb));
		putchar('\n');
		print_roll(w.tokens, ROLL_STEPS);
	} else
		printf("melody: %s\n", w.why != NULL ? w.why : "none");
	windows_free(&w);
	return (0);
}

int
cmd_inspect(int argc, char **argv)
{
	struct noteseq		 s;
	const char		*file;
	char			*cause = NULL;
	long			 track = -1, channel = -1, tune = 0;
	int			 c, n2 = 0, n16 = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", midi_opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRACK:
			/* Counted from 1, as inspect lists them. */
			if (opt_whole("track", optarg, 1, 65536,
			    "a track number", &track) != 0)
				return (CMD_USAGE);
			track--;
			break;
		case OPT_CHANNEL:
			/* 1..16, as inspect lists them. */
			if (opt_whole("channel", optarg, 1, 16, "a channel",
			    &channel) != 0)
				return (CMD_USAGE);
			channel--;
			break;
		case OPT_TUNE:
			if (opt_whole("tune", optarg, 1, 1000000, "the X: "
			    "number of a tune", &tune) != 0)
				return (CMD_USAGE);
			break;
		default:
			return (cmd_usage("inspect"));
		}
	}
	if (optind != argc - 1)
		return (cmd_usage("inspect"));
	file = argv[optind];

	midifile_log_init();
	if (musicfile_load(file, (int)tune, &s, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	if (track >= s.n_tracks) {
		cmd_error("%s: no track %ld (the file has %d: 1..%d)", file,
		    track + 1, s.n_tracks, s.n_tracks);
		noteseq_free(&s);
		return (CMD_ERROR);
	}
	if (convert_quantize(&s, NOTESEQ_STEPS_PER_QUARTER, &cause) != 0) {
		cmd_error("%s: %s", file, cause);
		free(cause);
		noteseq_free(&s);
		return (CMD_ERROR);
	}
	print_header(file, &s);
	print_tracks(&s);

	if (print_melody(file, &s, (int)track, (int)channel) != 0) {
		noteseq_free(&s);
		return (CMD_ERROR);
	}
	print_windows(&s, (int)track, (int)channel, 32, &n2);
	print_windows(&s, (int)track, (int)channel, 256, &n16);
	noteseq_free(&s);
	return (CMD_OK);
}

/* convert's options; CMD_OK or the status to return. */
struct convert_args {
	struct convert_opts	 o;
	const char		*in, *out;
	long			 window, tune;
	int			 force;
};

static int
convert_parse(int argc, char **argv, struct convert_args *ca)
{
	char	*end;
	long	 track = -1, channel = -1, steps = 32;
	int	 c;

	memset(ca, 0, sizeof *ca);
	ca->o.kind = CONVERT_MELODY;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", midi_opts, NULL)) != -1) {
		switch (c) {
		case OPT_TRACK:
			/* Counted from 1, as inspect lists them. */
			if (opt_whole("track", optarg, 1, 65536,
			    "a track number", &track) != 0)
				return (CMD_USAGE);
			track--;
			break;
		case OPT_CHANNEL:
			/* 1..16, as inspect lists them. */
			if (opt_whole("channel", optarg, 1, 16, "a channel",
			    &channel) != 0)
				return (CMD_USAGE);
			channel--;
			break;
		case OPT_WINDOW:
			/* Counted from 1, as inspect and the instrument
			   count them. */
			if (opt_whole("window", optarg, 1, 1 << 20,
			    "a window number", &ca->window) != 0)
				return (CMD_USAGE);
			ca->window--;
			break;
		case OPT_STEPS:
			steps = strtol(optarg, &end, 10);
			if (*end != '\0' || (steps != 32 && steps != 64 &&
			    steps != 256)) {
				cmd_error("--steps %s: want 32, 64 or 256",
				    optarg);
				return (CMD_USAGE);
			}
			break;
		case OPT_FORCE:
			ca->force = 1;
			break;
		case OPT_TUNE:
			if (opt_whole("tune", optarg, 1, 1000000,
			    "the X: number of a tune", &ca->tune) != 0)
				return (CMD_USAGE);
			break;
		case OPT_KIND:
			if (strcmp(optarg, "melody") == 0)
				ca->o.kind = CONVERT_MELODY;
			else if (strcmp(optarg, "drums") == 0)
				ca->o.kind = CONVERT_DRUMS;
			else if (strcmp(optarg, "trio") == 0)
				ca->o.kind = CONVERT_TRIO;
			else {
				cmd_error("--kind %s: want melody, drums or "
				    "trio", optarg);
				return (CMD_USAGE);
			}
			break;
		default:
			return (cmd_usage("convert"));
		}
	}
	if (optind != argc - 2)
		return (cmd_usage("convert"));
	ca->in = argv[optind];
	ca->out = argv[optind + 1];
	ca->o.track = (int)track;
	ca->o.channel = (int)channel;
	ca->o.steps = (int)steps;
	return (CMD_OK);
}

/* Window k of w as notes, with the program of the source's first chosen
   note (to keep its sound). */
static void
convert_window_notes(const struct noteseq *s, const struct windows *w,
    long k, enum convert_kind kind, struct noteseq *out)
{
	const int	*tok = w->tokens + (size_t)k * w->steps * w->S;
	size_t		 i;
	int		 program = 0;

	for (i = 0; i < s->n; i++)
		if (s->notes[i].track == w->track && !s->notes[i].drum &&
		    (w->channel < 0 || s->notes[i].channel == w->channel)) {
			program = s->notes[i].program;
			break;
		}
	switch (kind) {
	case CONVERT_DRUMS:
		convert_drums_to_noteseq(tok, w->steps, noteseq_qpm(s), 0,
		    out);
		break;
	case CONVERT_TRIO:
		convert_trio_to_noteseq(tok, w->steps, noteseq_qpm(s), 0,
		    out);
		break;
	default:
		convert_melody_to_noteseq(tok, w->steps, noteseq_qpm(s),
		    program, 0, out);
		break;
	}
}

int
cmd_convert(int argc, char **argv)
{
	struct convert_args	 ca;
	struct windows		 w;
	struct noteseq		 s, out;
	char			*cause = NULL;
	long			 k;
	int			 rc;

	if ((rc = convert_parse(argc, argv, &ca)) != CMD_OK)
		return (rc);
	/* Like every command that writes: an existing file (a corpus tune,
	   a user's clip) is replaced only with --force; the input never. */
	cmd_input(ca.in);
	if (cmd_out_check(ca.out) != 0)
		return (CMD_ERROR);
	if (!ca.force && access(ca.out, F_OK) == 0) {
		cmd_error("%s: exists; not overwriting it (use --force)",
		    ca.out);
		return (CMD_ERROR);
	}
	midifile_log_init();
	if (musicfile_load(ca.in, (int)ca.tune, &s, &cause) != 0) {
		cmd_error("%s", cause);
		free(cause);
		return (CMD_ERROR);
	}
	rc = CMD_ERROR;
	k = ca.window;
	noteseq_init(&out);
	windows_init(&w);
	if (convert_windows(&s, &ca.o, &w, &cause) != 0)
		cmd_error("%s: %s", ca.in, cause);
	else if (w.n == 0)
		cmd_error("%s: no %d-step window: %s", ca.in, ca.o.steps,
		    w.why != NULL ? w.why : "no notes");
	else if (k >= w.n)
		cmd_error("%s: no window %ld (there are %d: 1..%d)", ca.in,
		    k + 1, w.n, w.n);
	else {
		convert_window_notes(&s, &w, k, ca.o.kind, &out);
		if (midifile_save(ca.out, &out, ca.force, &cause) != 0)
			cmd_error("%s", cause);
		else {
			printf("%s: window %ld of %d (steps %d..%d of track "
			    "%d", ca.out, k + 1, w.n, w.start_step[k],
			    w.start_step[k] + w.steps, w.track + 1);
			if (w.channel >= 0)
				printf(" channel %d", w.channel + 1);
			printf("), %zu notes, %.1f qpm\n", out.n,
			    noteseq_qpm(&out));
			rc = CMD_OK;
		}
	}
	free(cause);
	windows_free(&w);
	noteseq_free(&out);
	noteseq_free(&s);
	return (rc);
}
