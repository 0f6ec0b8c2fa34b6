/*
 * config.h: the user's settings in $XDG_CONFIG_HOME/latentroll/config
 * (default ~/.config/latentroll/config), a small key = value file:
 *
 *	out = FluidSynth		output device: name substring or index
 *					("synth": the built-in synth)
 *	in = nanoKONTROL		input device (clock, CC)
 *	soundfont = /usr/share/sounds/sf2/FluidR3_GM.sf2
 *					the built-in synth's soundfont
 *	latency = 20			PortMidi latency, ms
 *	channel = 1			melody channel 1-16 (not 10)
 *	program = 0			program 0-127 (default: the clip's)
 *	bind = 1 74 slider		CC learn: channel (1-16 or *), CC, target
 *	key play = p			key remap: command = key
 *
 * '#' starts a comment.  Unknown keys are an error naming file and line.
 */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include <stddef.h>

#include "common.h"
#include "live.h"

#define CONFIG_MAX_BINDINGS	64
#define CONFIG_MAX_KEYS		64

struct config_key {
	char	command[32];
	char	key[16];
};

/* Where the instrument's tempo comes from ("clock = ..."). */
enum config_clock {
	CONFIG_CLOCK_INTERNAL,	/* own tempo, no clock out */
	CONFIG_CLOCK_FOLLOW,	/* follow 24 ppqn clock on the input */
	CONFIG_CLOCK_MASTER,	/* own tempo, clock out to the output */
};

/* precision = fp32 (the default), bf16 or fp16 (batch-1 weights). */
#define CONFIG_PREC_FP32	0
#define CONFIG_PREC_BF16	1
#define CONFIG_PREC_FP16	2

struct config {
	char			out[128];	/* "" : default */
	char			in[128];
	char			soundfont[1024]; /* "": Debian's default */
	int			latency_ms;	/* 0: default */
	int			channel;	/* 1..16, 0: default (1) */
	int			program;	/* 0..127, -1: the source's */
	int			clock;		/* CONFIG_CLOCK_* */
	int			precision;	/* CONFIG_PREC_* */
	struct live_binding	bindings[CONFIG_MAX_BINDINGS];
	size_t			n_bindings;
	struct config_key	keys[CONFIG_MAX_KEYS];
	size_t			n_keys;
	int			bad;		/* the file did not load: saving
						   would lose what follows the
						   error, so config_save refuses */
};

void	config_init(struct config *c);
/* The config file path (heap), or NULL when neither XDG_CONFIG_HOME nor
   HOME is set. */
char	*config_path(void);
/* Load path (NULL: config_path()); a missing file leaves defaults. */
int	config_load(struct config *c, const char *path, char **cause) LR_WUR;
/*
 * Save atomically (temp + rename), creating the directory; -1 when c came
 * from a file that failed to load (it holds only part of it).
 */
int	config_save(const struct config *c, const char *path,
	    char **cause) LR_WUR;
/* Channel, program and soundfont for the player (channel =, program =,
   soundfont =; o->soundfont then points into c). */
void	config_live_opts(const struct config *c, struct live_opts *o);
/* Add or replace the binding for b->target. */
void	config_bind(struct config *c, const struct live_binding *b);

#endif
