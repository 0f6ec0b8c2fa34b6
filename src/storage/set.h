/*
 * set.h: a "set" file: everything needed to come back to the same sound
 * (model, clips and their windows, slider, slerp/lerp, temperature, seed,
 * tempo, nudges by attribute name, snapshots), as JSON:
 *
 *	{ "latentroll_set": 1, "model": "DIR",
 *	  "clips": [ { "path": "a.mid", "track": 1, "window": 0 }, { ... } ],
 *	  "slider": 16, "pad": { "on": false, "x": 2, "y": 2 }, "interp": "slerp", "temperature": 0.0, "seed": 1,
 *	  "qpm": 120, "nudges": { "note_density": 0.5 },
 *	  "snapshots": [ { "slot": 0, "slider": 4, "pad": { ... },
 *	    "nudges": { ... } } ] }
 *
 * `latentroll --set FILE` reopens it.
 */
#ifndef LR_SET_H
#define LR_SET_H

#include "common.h"

#define SET_MAX_ATTRS	16
#define SET_SNAPSHOTS	8

struct set_nudges {
	int	 n;
	char	*name[SET_MAX_ATTRS];
	float	 value[SET_MAX_ATTRS];
};

struct set {
	char			*model;		/* heap or NULL */
	char			*clip[4];	/* A B, pad C D; heap/NULL */
	int			 track[4];	/* -1: the converter's choice */
	int			 window[4];	/* of that track's windows */
	int			 slider;	/* 0..32 */
	int			 pad_on;
	int			 pad_x, pad_y;	/* 0..4 */
	int			 lerp;
	float			 temperature;
	unsigned		 seed;
	double			 qpm;
	struct set_nudges	 nudges;
	int			 snap_valid[SET_SNAPSHOTS];
	int			 snap_slider[SET_SNAPSHOTS];
	int			 snap_pad_on[SET_SNAPSHOTS];
	int			 snap_pad_x[SET_SNAPSHOTS];
	int			 snap_pad_y[SET_SNAPSHOTS];
	struct set_nudges	 snap_nudges[SET_SNAPSHOTS];
};

void	set_init(struct set *s);
void	set_free(struct set *s);
/* Add a nudge by name (the name is copied). */
void	set_nudge_add(struct set_nudges *n, const char *name, float v);
/* The value for a name, 0 if absent. */
float	set_nudge_get(const struct set_nudges *n, const char *name);

/* Load; -1 with "FILE: what is wrong". */
int	set_load(struct set *s, const char *path, char **cause) LR_WUR;
/*
 * Save atomically (temp + rename).  Never over a file that is not a set
 * (a clip, anything else): -1 with "FILE: ... not overwritten".
 */
int	set_save(const struct set *s, const char *path, char **cause) LR_WUR;

#endif
