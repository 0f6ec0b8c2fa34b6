/*
 * app.h: the instrument: wiring of the piano roll (ui/), the decode worker
 * (src/app/worker.c), the player (src/player/), clips and sets.  cmd_tui()
 * (src/cli/cmd_tui.c) parses the command line into app_opts and runs
 * app_run().
 * struct app is shared by src/app.c (setup, the loop, the result and the
 * player) and src/app_cmd.c (what keys do); nothing else uses it.
 */
#ifndef LR_APP_H
#define LR_APP_H

#include "common.h"
#include "clip.h"
#include "config.h"
#include "live.h"
#include "set.h"
#include "worker.h"
#include "keys.h"
#include "prompt.h"
#include "roll.h"
#include "ui.h"

struct app_opts {
	const char	*clip[2];	/* A and B, NULL: the shipped ones */
	const char	*model;		/* checkpoint dir, NULL: shipped */
	const char	*set;		/* --set FILE */
	const char	*out;		/* MIDI output (name or index) */
	const char	*soundfont;	/* the built-in synth's (--soundfont) */
	const char	*in;		/* MIDI input for CC knobs and clock */
	int		 follow;	/* follow an external clock */
	int		 master;	/* send clock */
	int		 no_midi;	/* null sink */
	const char	*log;		/* --log FILE for stray stderr */
	const char	*datadir;	/* shipped models and clips */
};

/* Run the instrument until q; -1 with a cause when it cannot start or
   stops on an error. */
int	app_run(const struct app_opts *o, char **cause) LR_WUR;

/* A one-key question on the message line, and what the prompt is for. */
enum app_ask {
	ASK_NONE,
	ASK_QUIT,
	ASK_OPEN,
	ASK_COPY,
	ASK_WINDOW,
	ASK_LEARN,
};

enum app_prompt {
	PR_OPEN_A,	/* .. PR_OPEN_A + 3: D */
	PR_SAVE = PR_OPEN_A + 4,
	PR_SAVE_SET,
	PR_SAVE_AUDIO,
	PR_CHOOSE_A,	/* .. PR_CHOOSE_A + 3: window and track of D */
};


/* The model and its decode worker (app_model.c). */
struct app_model {
	char			*model_dir;
	char			 model_name[64];
	struct vae_arch		 arch;
	int			 T, S;
	struct worker		*w;
	struct worker_result	 res;
	unsigned		 gen;		/* last job submitted */
	unsigned		 shown_gen;	/* gen of the shown result */
	int			 shown_slider;
	double			 t_key;		/* ms when the change asked */

	int			 have_vecs;
	int			 n_attrs;
	char			*attr_names[UI_MAX_ATTRS];
	int			 attr_id[UI_MAX_ATTRS];	/* ATTR_* or -1 */
};

/* The result lane: what is decoded, what the player has (app_lane.c). */
struct app_lane {
	struct ui_note		*result;	/* decoded (+ key lock) */
	size_t			 n_result;
	struct ui_note		*swapped;	/* last sent to the player */
	size_t			 n_swapped;
	int			 swapped_edit;	/* it was the edit */

	int			 keylock;	/* 0 off, 1 key of A, 2 C */
	int			 key_root;
	char			 key_label[32];
};

/* The player and what it last reported (app_play.c). */
struct app_play {
	struct live		*live;
	struct live_opts	 lo;		/* as the player was opened */
	struct live_status	 st;
	double			 qpm_want;	/* tempo asked for (st.qpm lags
						   a burst of < >); 0: none */
	int			 dev_i;
	long			 sweep_beat;	/* beat the sweep moved on */
	int			 sweep_quantum;	/* 1: swaps on beats */
	int			 no_midi;
};

/*
 * The instrument: the screen's state (roll, view, prompt, question,
 * message; app.c and app_cmd.c) and its parts, each with its own file.
 */
struct app {
	struct roll		 r;
	struct ui_view		 v;
	struct prompt		 p;
	enum app_ask		 ask;

	struct app_model	 model;
	struct app_lane		 lane;
	struct app_play		 play;

	struct clip		 clips[4];	/* A, B; pad corners C, D */
	struct clip_fmt		 fmt;		/* see app_fmt() */

	char			*set_path;
	char			 msg[512];
	int			 msg_err;
	int			 quit;
	int			 stderr_fd;
	struct config		 cfg;		/* user config: keys, CCs */
};

/* app.c */
/* A seed for r: a new one each start (the status line shows it). */
unsigned app_start_seed(void);
void	app_msg(struct app *a, int err, const char *fmt, ...) LR_PRINTF(3, 4);
const struct clip_fmt *app_fmt(struct app *a);
/* Load clips A-D at start; what to say about them (heap) or NULL. */
char	*app_clips(struct app *a, const struct app_opts *o,
	    const struct set *set, int *err);
/* Free everything a holds (a zeroed struct app is fine); the player first. */
void	app_free(struct app *a);

/* app_model.c */
/* a->model.model_dir's attribute_vecs.json: ATTR_N x Z floats (heap),
   names in a->model.attr_names; NULL with no file (cause untouched) or a
   bad one. */
float	*app_load_vecs(struct app *a, int Z, char **cause);
/* Load the model folder and its attribute vectors; -1 with a cause. */
int	app_model_load(struct app *a, char **cause) LR_WUR;
void	app_submit(struct app *a);
/* Take a result from the worker and show it: 1 if there was one. */
int	app_take(struct app *a);

/* app_lane.c */
/* Say so when the edit was put on the undo stack (roll.edit_dropped). */
void	app_edit_dropped(struct app *a);
/* The notes the result lane shows: the edit, or the decoded point. */
const struct ui_note *app_current_notes(struct app *a, size_t *n);
/* The result notes as heard: velocities and programs of the nearer clip;
   ref_prog (or NULL) gets that clip's melody and bass programs. */
void	app_result_seq(struct app *a, const struct ui_note *cur, size_t n,
	    struct noteseq *s, int ref_prog[2]);
void	app_swap(struct app *a);
void	app_show(struct app *a);
/* The result lane as the player's pattern (*ln backs p->notes). */
int	app_pattern(struct app *a, struct live_pattern *p,
	    struct live_note **ln, char **cause);

/* app_play.c */
double	app_qpm(struct app *a);
/* The player's options from the command line, the set and the config. */
void	app_play_opts(struct app *a, const struct app_opts *o,
	    const struct set *set, struct live_opts *lo);
/* MIDI input: learned bindings saved, CC knobs applied. */
void	app_play_input(struct app *a);
/* The next output (the device key), remembered in the config. */
void	app_play_next_device(struct app *a);
/* The sweep: at each new beat of st.step, move to the next beat's point. */
void	app_sweep(struct app *a);

/* app_cmd.c */
void	app_key(struct app *a, int key);
/* Whether a command has a state half (ui/roll.c's table), an I/O half
   (app_cmd.c's table) or both: true of every ROLL_CMD_* but NONE. */
int	app_command_known(enum roll_cmd cmd);
/* s: save the result lane as heard to a new MIDI file; 0, or -1 with the
   message set. */
int	app_save_result(struct app *a, const char *path);
/* W: "FILE.wav [LOOPS]": the result as audio, as heard. */
int	app_save_audio(struct app *a, const char *text);
void	app_apply_set(struct app *a, const struct set *s);

#endif
