/*
 * main.c: the latentroll command line.  Dispatches to one command per
 * name; with no command (or with MIDI files or --set) opens the instrument.
 * Only this file and the cmd_*.c files print and choose exit codes.
 */
#include "cmds.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct cmd_entry cmd_table[] = {
	{ .name = "inspect",
	  .args = "FILE.mid|FILE.abc [--tune X] [--track N] [--channel N]",
	  .help = "show tracks, tempo, meter, the melody and usable windows",
	  .fn = cmd_inspect },
	{ .name = "convert",
	  .args = "IN.mid|IN.abc OUT.mid [--tune X] [--window N] "
	      "[--steps 32|64|256] [--track N] [--channel N] "
	      "[--kind melody|drums|trio] [--force]",
	  .help = "write what the model would see of a clip as a MIDI file",
	  .fn = cmd_convert },
	{ .name = "encode", .args = "[--model NAME|DIR] FILE.mid [--tune X] "
	      "[--window N] [--track N] [--channel N] "
	      "[--precision bf16|fp16|fp32]",
	  .help = "print mu, sigma and tokens of a window as JSON",
	  .fn = cmd_encode },
	{ .name = "decode",
	  .args = "[--model NAME|DIR] --z Z.json [--temperature T] [--seed S] "
	      "[--out OUT.mid] [--force] [--precision bf16|fp16|fp32]",
	  .help = "decode a latent vector to tokens (and MIDI)",
	  .fn = cmd_decode },
	{ .name = "interpolate",
	  .args = "[--model NAME|DIR] A.mid B.mid -n N [--lerp] [--out DIR] "
	      "[--tune X] [--wav] [--soundfont SF2] [--track N] "
	      "[--channel N] [--force] [--precision bf16|fp16|fp32]",
	  .help = "interpolate between two clips in latent space",
	  .fn = cmd_interpolate },
	{ .name = "sample",
	  .args = "[--model NAME|DIR] -n N [--temperature T] [--seed S] "
	      "[--out DIR] [--wav] [--soundfont SF2] [--force] "
	      "[--precision bf16|fp16|fp32]",
	  .help = "new clips from the model's prior (temperature 0.5 unless "
	      "given)",
	  .fn = cmd_sample },
	{ .name = "similar",
	  .args = "[--model NAME|DIR] FILE.mid -n N --similarity S "
	      "[--temperature T] [--seed S] [--tune X] [--window N] "
	      "[--track N] [--channel N] [--out DIR] [--wav] "
	      "[--soundfont SF2] [--force] [--precision bf16|fp16|fp32]",
	  .help = "variations of a clip: z = S * its mu + (1 - S) * noise",
	  .fn = cmd_similar },
	{ .name = "export",
	  .args = "[--model NAME|DIR] --out DIR [--dtype float32|uint16|uint8] "
	      "[--force]",
	  .help = "re-save a model, quantized on request",
	  .fn = cmd_export },
	{ .name = "import", .args = "DIR [--name NAME] [--force]",
	  .help = "check a magenta.js checkpoint folder, say what model it "
	      "is, copy it to the user's models",
	  .fn = cmd_import },
	{ .name = "models", .args = "",
	  .help = "list the user's and the shipped models with their figures",
	  .fn = cmd_models },
	{ .name = "train",
	  .args = "--data DIR[,DIR...] --arch ARCH --out MODEL_DIR "
	      "[--steps N] [--batch B] [--seed S] [--resume] "
	      "[--init NAME|DIR | --init-from NAME|DIR] [--threads N] "
	      "[--transpose N] [--two-four] [--precision bf16|fp32] "
	      "[--lr R] [--max-beta B] [--beta-rate R] [--free-bits N] "
	      "[--sampling-rate K] [--word-dropout P] [--warmup N] "
	      "[--valid-every N] [--ckpt-minutes M] [--cache DIR] [--quiet]",
	  .help = "train a MusicVAE on folders of MIDI and ABC files\n"
	      "ARCH: mel_2bar, mel_16bar (hierarchical), drums_2bar, "
	      "trio_4bar (hierarchical)\n"
	      "--threads 1..16 workers (default 2); --transpose N: random "
	      "shifts of up to N semitones (default 5); --two-four: 2/4 "
	      "melodies too, two bars as one 4/4 bar; --init: start from a "
	      "model of the same shape, --init-from: from a 2-bar model's "
	      "encoder and decoder (transfer)\n"
	      "Ctrl-C saves the run; --resume goes on from it",
	  .fn = cmd_train },
	{ .name = "eval", .args = "--model NAME|DIR --data DIR "
	      "[--split test|valid|train] [--precision bf16|fp16]",
	  .help = "reconstruction accuracy and KL on a data split (JSON); "
	      "--precision: also that precision's accuracy and agreement "
	      "with float32",
	  .fn = cmd_eval },
	{ .name = "attrs",
	  .args = "--model NAME|DIR --data DIR [--force] [--max-windows N] "
	      "[--test-windows N] [--pairs N] [--seed S] [--scale X] "
	      "[--method quartile|partial|best]",
	  .help = "compute attribute vectors (attribute_vecs.json)",
	  .fn = cmd_attrs },
	{ .name = "play",
	  .args = "FILE.mid|FILE.abc [--tune X] [--bars N] [--tempo BPM] "
	      "[--loops N] "
	      "[--out DEV] [--record OUT.mid] [--force] [--offline] "
	      "[--channel N] [--program P] [--quantum bar|beat|step] "
	      "[--velocity N] [--soundfont SF2]",
	  .help = "loop a clip on a MIDI output or the built-in synth",
	  .fn = cmd_play },
	{ .name = "render",
	  .args = "IN.mid|IN.abc OUT.wav [--tune X] [--loops N] [--tempo BPM] "
	      "[--soundfont SF2] [--bars N] [--channel N] [--program P] "
	      "[--velocity N] [--force]",
	  .help = "render a clip's loops to a WAV or FLAC file (built-in "
	      "synth)",
	  .fn = cmd_render },
	{ .name = "devices", .args = "",
	  .help = "list MIDI inputs and outputs (and the built-in synth)",
	  .fn = cmd_devices },
};
#define N_CMDS (sizeof cmd_table / sizeof cmd_table[0])

/* Report a user error. */
void
cmd_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("latentroll: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void	usage_line(FILE *, const char *, const char *, const char *);

/* Print a command's usage line and return CMD_USAGE. */
int
cmd_usage(const char *name)
{
	size_t	i;

	for (i = 0; i < N_CMDS; i++)
		if (strcmp(cmd_table[i].name, name) == 0) {
			usage_line(stderr, "usage: latentroll ",
			    cmd_table[i].name, cmd_table[i].args);
			return (CMD_USAGE);
		}
	fprintf(stderr, "usage: latentroll [A.mid B.mid | --set FILE]\n");
	return (CMD_USAGE);
}

/*
 * The files this command reads (cmd_input), which no output may replace,
 * --force or not: "convert in.mid in.mid --force" would lose the tune it
 * converts.  Known by device and inode, so another name for the same file
 * (./in.mid, a hard link, a symlink to it) is the same input.
 */
#define MAX_INPUTS	8
static struct {
	dev_t	dev;
	ino_t	ino;
}		inputs[MAX_INPUTS];
static int	n_inputs;

void
cmd_input(const char *path)
{
	struct stat	 sb;
	const char	*hash;
	char		 file[4096];

	/* "tunes.abc#12" names tune 12 of tunes.abc. */
	if (stat(path, &sb) != 0) {
		if ((hash = strrchr(path, '#')) == NULL ||
		    (size_t)(hash - path) >= sizeof file)
			return;
		snprintf(file, sizeof file, "%.*s", (int)(hash - path), path);
		if (stat(file, &sb) != 0)
			return;
	}
	if (n_inputs < MAX_INPUTS) {
		inputs[n_inputs].dev = sb.st_dev;
		inputs[n_inputs].ino = sb.st_ino;
		n_inputs++;
	}
}

/*
 * Can a new file be written at path?  Not a directory, not a device, FIFO
 * or socket (a save replaces the name with a regular file: /dev/null would
 * stop being one), not one of the command's inputs, and its folder exists
 * and is writable: said before the work (a decode, minutes of playing),
 * not after it.  -1 after reporting it.
 */
int
cmd_out_check(const char *path)
{
	struct stat	 sb, lsb;
	const char	*slash;
	char		 dir[4096];
	int		 err, i, have;

	/* The name (a symlink is replaced, not followed) and its file. */
	have = stat(path, &sb) == 0;
	if (have && S_ISDIR(sb.st_mode)) {
		cmd_error("%s: is a directory", path);
		return (-1);
	}
	if (lstat(path, &lsb) == 0 && !S_ISREG(lsb.st_mode) &&
	    !S_ISLNK(lsb.st_mode)) {
		cmd_error("%s: not a regular file; not replacing it", path);
		return (-1);
	}
	if (have)
		for (i = 0; i < n_inputs; i++)
			if (inputs[i].dev == sb.st_dev &&
			    inputs[i].ino == sb.st_ino) {
				cmd_error("%s: is an input of this command; "
				    "write to another file", path);
				return (-1);
			}
	if ((slash = strrchr(path, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if (stat(dir, &sb) != 0)
		err = errno;
	else if (!S_ISDIR(sb.st_mode))
		err = ENOTDIR;
	else if (access(dir, W_OK) != 0)
		err = errno;
	else
		return (0);
	cmd_error("%s: %s", path, strerror(err));
	return (-1);
}

/*
 * text onward from column col, on lines of 80 columns at most: it breaks
 * only at a space outside brackets (an option stays whole) and at '\n';
 * a wrapped line starts at column indent.
 */
static void
wrap(FILE *f, int col, int indent, const char *text)
{
	const char	*p = text, *q;
	int		 depth, n, fresh = col == 0;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\n') {	/* a line of its own */
			fputc('\n', f);
			col = 0;
			fresh = 1;
			p++;
			continue;
		}
		for (q = p, depth = 0; *q != '\0' && *q != '\n' &&
		    (*q != ' ' || depth > 0); q++) {
			if (*q == '[')
				depth++;
			else if (*q == ']' && depth > 0)
				depth--;
		}
		if (q == p)
			break;
		n = (int)(q - p);
		if (!fresh && col + 1 + n > 80 && col > indent) {
			col = fprintf(f, "\n%*s", indent, "") - 1;
			fresh = 1;
		}
		col += fprintf(f, "%s%.*s", fresh ? "" : " ", n, p);
		fresh = 0;
		p = q;
	}
}

/* "LEAD NAME ARGS", continuation lines under the first option. */
static void
usage_line(FILE *f, const char *lead, const char *name, const char *args)
{
	int	col;

	col = fprintf(f, "%s%s", lead, name);
	wrap(f, col, col + 1 > 40 ? 8 : col + 1, args);
	fputc('\n', f);
}

static void
usage_all(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: latentroll [--model NAME|DIR] [--out DEV] "
	    "[--in DEV] [--no-midi]\n"
	    "           [--follow | --master] [A.mid B.mid | --set FILE]  "
	    "open the instrument\n");
	for (i = 0; i < N_CMDS; i++)
		usage_line(f, "       latentroll ", cmd_table[i].name,
		    cmd_table[i].args);
	fprintf(f, "Options: --data-dir DIR, --version, --help; "
	    "COMMAND --help for details.\n");
}

static int
command_help(const struct cmd_entry *c)
{
	usage_line(stdout, "usage: latentroll ", c->name, c->args);
	wrap(stdout, 0, 0, c->help);
	putchar('\n');
	return (CMD_OK);
}

/* A command's output that could not be written is an error too. */
static int
finish(int rc)
{
	/* A command that failed has said why already. */
	if (rc == CMD_OK && (fflush(stdout) != 0 || ferror(stdout))) {
		cmd_error("stdout: %s", strerror(errno));
		return (CMD_ERROR);
	}
	return (rc);
}

int
main(int argc, char **argv)
{
	struct stat	sb;
	size_t		i;
	int		j;

	/* Global options come before the command. */
	while (argc > 1 && argv[1][0] == '-') {
		if (strcmp(argv[1], "--version") == 0) {
			printf("latentroll %s\n", PACKAGE_VERSION);
			return (finish(CMD_OK));
		}
		if (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			usage_all(stdout);
			return (finish(CMD_OK));
		}
		if (strcmp(argv[1], "--data-dir") == 0) {
			if (argc < 3) {
				usage_all(stderr);
				return (CMD_USAGE);
			}
			/* Its models and clips are looked up there: a
			   folder that is not would hide them silently. */
			if (stat(argv[2], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
				cmd_error("--data-dir %s: %s", argv[2],
				    stat(argv[2], &sb) != 0 ? strerror(errno) :
				    "not a folder");
				return (CMD_USAGE);
			}
			cmd_set_datadir(argv[2]);
			argv += 2;
			argc -= 2;
			continue;
		}
		break;	/* --set and other options belong to the TUI */
	}
	if (argc > 1) {
		for (i = 0; i < N_CMDS; i++) {
			if (strcmp(argv[1], cmd_table[i].name) != 0)
				continue;
			for (j = 2; j < argc; j++)
				if (strcmp(argv[j], "--help") == 0 ||
				    strcmp(argv[j], "-h") == 0)
					return (finish(command_help(
					    &cmd_table[i])));
			return (finish(cmd_table[i].fn(argc - 1, argv + 1)));
		}
		/* Not a command: a clip path or an option of the TUI. */
		if (argv[1][0] != '-' && strchr(argv[1], '.') == NULL &&
		    strchr(argv[1], '/') == NULL) {
			if (stat(argv[1], &sb) != 0) {
				cmd_error("unknown command '%s'", argv[1]);
				usage_all(stderr);
				return (CMD_USAGE);
			}
		}
	}
	return (cmd_tui(argc, argv));
}
