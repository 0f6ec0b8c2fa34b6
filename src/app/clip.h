/*
 * clip.h: the clips of the instrument (A, B and the pad corners C, D):
 * a MIDI file, its model-sized windows, the window in use as tokens and as
 * notes for its lane; plus the token <-> note conversions the screen and
 * the player need.  Wraps src/midifile.h and src/convert.h for src/app.c.
 */
#ifndef LR_CLIP_H
#define LR_CLIP_H

#include "common.h"
#include "params.h"
#include "convert.h"
#include "noteseq.h"
#include "ui.h"

/* Where a trio's bass plays in a pattern (src/live.h; 0-based: 2). */
#define CLIP_BASS_CHANNEL	1

/* How tokens become notes for one model, at the current tempo. */
struct clip_fmt {
	enum vae_kind	kind;
	int		T, S;		/* steps, splits */
	double		qpm;
};

struct clip {
	int		 letter;	/* 'A'..'D', kept by clip_free */
	char		*path;		/* NULL: empty or copied */
	struct noteseq	 seq;		/* quantized source */
	int		 have_seq;
	struct windows	 win;
	int		 wi;		/* window in use */
	int		*tokens;	/* (T, S) what the model sees */
	struct ui_note	*notes;		/* the lane */
	size_t		 n;
	struct noteseq	 ref;		/* the window's notes with their
					   velocities, steps from 0 */
	int		 have_ref;
	char		 title[256];	/* "A a.mid  window 2/5 (bar 2)" */
	char		*poly;		/* [n_tracks]: the track had several
					   voices, its top voice is kept
					   (melody models); or NULL */
	char		 why[160];	/* an empty clip: why ("b.mid: too
					   short ..."), or "" */
};

/* Model tokens (T, S) to a quantized sequence (out initialised). */
void	clip_tokens_to_seq(const struct clip_fmt *f, const int *tok,
	    struct noteseq *out);
/* A decoded sequence to lane notes, each with its part (*v reallocated). */
void	clip_seq_to_notes(const struct noteseq *s, struct ui_note **v,
	    size_t *n);
/*
 * Lane notes to a quantized sequence at f->qpm (out initialised), each
 * part on its pattern channel: melody 0, bass CLIP_BASS_CHANNEL, drums
 * NOTESEQ_DRUM_CHANNEL (every note of a drums model).
 */
void	clip_notes_to_seq(const struct clip_fmt *f, const struct ui_note *v,
	    size_t n, struct noteseq *out);
/*
 * Lane notes back to model tokens (T, S), to measure what is shown and
 * played: melody: a note-on where a note starts (the highest of notes
 * starting together; pitches clamped to the model's range), a note-off
 * where the sounding note ends; drums: the classes hit at each step;
 * trio: each part's notes (ui_note.part) into its own split.
 */
void	clip_notes_to_tokens(const struct clip_fmt *f, const struct ui_note *v,
	    size_t n, int *tok);
/* c, loaded from another clip's file in place of its own, says why in
   its title ("a.mid did not load") until a clip_load replaces it. */
void	clip_stand_in(struct clip *c, const char *why);
/*
 * Every model-sized window of s from one track (-1: the converter's
 * choice); -1 with "NAME: why" when there is none.
 */
int	clip_windows(const struct clip_fmt *f, const struct noteseq *s,
	    int track, const char *name, struct windows *w, char **cause)
	    LR_WUR;

/*
 * Load a MIDI file into c from one track (-1: a monophonic part when the
 * file also has polyphonic ones, else the converter's choice; a track that
 * no longer gives windows falls back to that) at window wi; a melody
 * model gets the top voice of a polyphonic part.  On error c is
 * unchanged.
 */
int	clip_load(struct clip *c, const struct clip_fmt *f, const char *path,
	    int track, int wi, char **cause) LR_WUR;
/* Use window wi (modulo the count) of c's windows. */
void	clip_window(struct clip *c, const struct clip_fmt *f, int wi);
/*
 * The next track of a multi-track clip that gives windows (cyclic), from
 * its first window.  -1 with a cause when no other track does.
 */
int	clip_next_track(struct clip *c, const struct clip_fmt *f,
	    char **cause) LR_WUR;
/* How many tracks of c give windows (the choices after opening it). */
int	clip_tracks(const struct clip *c, const struct clip_fmt *f);
/*
 * Use window wi (0-based) of track (0-based; the one in use: c->win.track)
 * of c; -1 with a cause and c unchanged when that track gives no window
 * or has no window wi.
 */
int	clip_choose(struct clip *c, const struct clip_fmt *f, int track,
	    int wi, char **cause) LR_WUR;
/* A result copied into c (c) that is in no file yet. */
int	clip_unsaved(const struct clip *c);
/* c's notes were written to path: the clip is that file from now on. */
void	clip_set_path(struct clip *c, const char *path);
/* An empty clip: silence, so the app runs without a usable clip. */
void	clip_empty(struct clip *c, const struct clip_fmt *f);
/* The same, its title saying why (NULL: nothing was named). */
void	clip_missing(struct clip *c, const struct clip_fmt *f,
	    const char *why);
void	clip_free(struct clip *c);

#endif
