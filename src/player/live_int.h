/*
 * live_int.h: private to the live*.c files (live.c, the player thread;
 * live_ctl.c, the UI side).  The structs both sides share and the few
 * functions one side calls in the other.  Nothing else includes this.
 */
#ifndef LR_LIVE_INT_H
#define LR_LIVE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "live.h"

struct sink;
struct spsc;

/* A pattern as the player uses it: notes sorted by start step. */
struct pat {
	unsigned		 id;
	int			 steps;
	size_t			 n;
	struct live_note	*notes;		/* (n), sorted by start */
	size_t			*first;		/* (steps + 1) index */
	int			 program[LIVE_MAX_CHANNELS];
};

enum cmd_kind {
	CMD_START,
	CMD_STOP,
	CMD_PAUSE,
	CMD_TEMPO,
	CMD_QUANTUM,
	CMD_VELOCITY,
	CMD_SWAP,
	CMD_PANIC,
	CMD_REOPEN,
	CMD_STOP_AT,
	CMD_QUIT,
};

struct cmd {
	enum cmd_kind	 kind;
	double		 x;
	int		 i, j;
	struct pat	*pat;
	char		 name[128];
};

struct inmsg {
	double	t;
	uint8_t	msg[3];
	int	len;
};

/* Player-thread state. */
struct play {
	struct pat		*pat;		/* playing, or NULL */
	struct pat		*pending;	/* waiting for a boundary */
	int			 playing;
	int			 paused;
	long			 tick;		/* next tick to process */
	long			 stop_at;	/* step, -1: none */
	double			 t0, tick0;	/* the anchor */
	double			 spt;		/* seconds per tick */
	double			 qpm;
	enum live_quantum	 quantum;
	enum live_velocity	 vel_mode;
	int			 vel;
	long			 off_at[16][128];	/* tick, -1: silent */
	unsigned		 sounding;
	unsigned		 chan_used;	/* bit per channel */
	int			 prog_sent[LIVE_MAX_CHANNELS]; /* -1: none */
	int			 dev_error;
	int			 following;
	struct clock_follow	 cf;
	double			 qpm_reported;
	struct inmsg		 held;		/* injected, not yet due */
	int			 have_held;
	struct live_status	 st;		/* working copy */
	unsigned		 changed;
};

struct live {
	struct live_opts	 o;
	const struct live_clock	*clock;
	struct clock_sim	 sim;		/* offline */
	struct sink		*sink;
	struct spsc		*cmdq, *inq;	/* UI -> player */
	struct spsc		*evq, *garbq;	/* player -> UI */
	pthread_t		 thread;
	int			 threaded;
	int			 pipe[2];

	/* Triple buffer: player writes slots[back], publishes by swapping
	   it with `middle` (bit 4: fresh); the UI swaps `middle` with
	   front when fresh. */
	struct live_status	 slots[3];
	int			 back, front;
	_Atomic int		 middle;
	_Atomic unsigned	 changed;
	_Atomic unsigned	 reopened;	/* CMD_REOPENs done */

	/* UI side. */
	unsigned		 next_id;
	struct live_binding	*bindings;
	size_t			 n_bindings;
	char			 learn[LIVE_TARGET_MAX];

	struct play		 p;
};

/* live.c: the player (player thread, or the caller offline). */
void	 live_do_panic(struct live *, double);
void	 live_handle_cmd(struct live *, const struct cmd *, double);
void	 live_publish(struct live *);
void	 live_set_qpm(struct play *, double, double);
void	*live_player_main(void *);

/* live_ctl.c: the UI side. */
void	 live_collect_garbage(struct live *);

#endif /* LR_LIVE_INT_H */
