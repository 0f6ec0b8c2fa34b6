/*
 * params.h: the MusicVAE architecture description and the layout of its
 * parameters in one float arena.  Names are the magenta.js checkpoint names
 * (spec B 6.4), so the checkpoint loader, the inference code and the trainer
 * all agree on one table.  The same layout serves parameters, gradients and
 * both Adam moments (STYLE.md rule 20).
 *
 * Tokens and floats only: no files, no MIDI.
 */
#ifndef LR_PARAMS_H
#define LR_PARAMS_H

#include <stddef.h>

#include "common.h"

#define VAE_MAX_LAYERS	4
#define VAE_MAX_SPLITS	3
#define VAE_MAX_TENSORS	96
#define VAE_NAME_MAX	128

/* What the tokens mean (the data converter of config.json). */
enum vae_kind {
	VAE_MELODY,	/* MelodyConverter: 90 classes in and out */
	VAE_DRUMS,	/* DrumsConverter: 10-wide roll in, 512 classes out */
	VAE_TRIO,	/* TrioConverter: 692 in, splits 90/90/512 out */
};

/*
 * The token table, once for the whole tree (spec Part A): melody classes
 * are no event, note off, then the piano's pitches 21..108; a drum step is
 * one of 2^9 sets of the 9 drum classes, or a 10-wide roll going in.
 */
#define VAE_MIN_PITCH		21
#define VAE_MAX_PITCH		108
#define VAE_MEL_CLASSES		(2 + VAE_MAX_PITCH - VAE_MIN_PITCH + 1)
#define VAE_DRUM_CLASSES	512
#define VAE_DRUM_ROLL		10


/*
 * The shapes of one model.  Flat models have num_segments == 0; hierarchical
 * ones have a 2-level encoder (per segment, then over segment embeddings) and
 * a conductor that runs num_segments steps.
 */
struct vae_arch {
	enum vae_kind	kind;
	int		num_steps;	/* T: total decoded steps (32, 64, 256) */
	int		num_segments;	/* 0 flat; else conductor steps (bars) */
	int		in_depth;	/* encoder input width per step */
	int		n_splits;	/* core decoders: 1, or 3 for trio */
	int		out_depth[VAE_MAX_SPLITS]; /* classes per split */

	int		enc_layers;	/* flat: bidi layers; hier: always 2 levels */
	int		enc_size[VAE_MAX_LAYERS]; /* units per direction */
	int		z_size;

	int		dec_layers;	/* core decoder LSTM layers */
	int		dec_size[VAE_MAX_LAYERS];
	int		cond_layers;	/* conductor layers (hier only) */
	int		cond_size[VAE_MAX_LAYERS];
};

/* LSTM layer, TF BasicLSTMCell layout. */
struct lstm_w {
	float	*kernel;	/* (in+H, 4H): rows [0,in) input, [in,in+H) h; cols i,j,f,o */
	float	*bias;		/* (4H), same gate order; forget bias +1 added at run time */
	int	 in, H;
};

/* Dense layer: y = x W + b. */
struct dense_w {
	float	*kernel;	/* (in, out) */
	float	*bias;		/* (out) */
	int	 in, out;
};

/* One categorical LSTM decoder (flat decoder, or a hierarchical core). */
struct dec_w {
	struct dense_w	z_init;		/* (zin, sum 2*dec_size): tanh -> [c0,h0,c1,h1..] */
	struct lstm_w	cell[VAE_MAX_LAYERS];
	struct dense_w	out;		/* (H_top, out_depth) */
};

/* One named tensor of the layout. */
struct vae_tensor {
	char	 name[VAE_NAME_MAX];
	int	 ndim;		/* 1 or 2 */
	int	 shape[2];
	size_t	 off;		/* offset in floats into the arena */
	size_t	 n;		/* elements */
	float	*p;		/* points into the arena once params_point() ran */
};

/*
 * A parameter set.  For a flat encoder enc_fw[l]/enc_bw[l] are the bidi
 * layers; for a hierarchical one [0] is level 0 (per segment) and [1] is
 * level 1 (over segments).
 */
struct vae_params {
	struct vae_arch		 arch;
	size_t			 n_params;
	int			 n_tensors;
	struct vae_tensor	 tensors[VAE_MAX_TENSORS];
	float			*mem;		/* n_params floats */
	int			 owns_mem;

	struct lstm_w		 enc_fw[VAE_MAX_LAYERS];
	struct lstm_w		 enc_bw[VAE_MAX_LAYERS];
	struct dense_w		 mu;		/* (2*enc_top, Z) */
	struct dense_w		 sigma;		/* (2*enc_top, Z); softplus after */

	struct dense_w		 cond_init;	/* (Z, sum 2*cond_size) hier only */
	struct lstm_w		 cond[VAE_MAX_LAYERS]; /* input width 1 (zeros) */

	struct dec_w		 dec[VAE_MAX_SPLITS];
};

/* Check an architecture for sanity; -1 with a cause naming the field. */
int	params_arch_check(const struct vae_arch *a, char **cause) LR_WUR;

/*
 * Build the tensor table for an architecture (names, shapes, offsets) and
 * count the parameters.  Does not allocate.  -1 if the arch is invalid.
 */
int	params_layout(struct vae_params *p, const struct vae_arch *a,
	    char **cause) LR_WUR;

/* Point every tensor and role pointer into mem (n_params floats). */
void	params_point(struct vae_params *p, float *mem);

/* params_layout + allocate a zeroed arena owned by p. */
int	params_alloc(struct vae_params *p, const struct vae_arch *a,
	    char **cause) LR_WUR;

/* Free the arena if p owns it. */
void	params_free(struct vae_params *p);

/* Find a tensor by name, or NULL. */
struct vae_tensor *params_find(struct vae_params *p, const char *name);

/* Copy the architecture and layout of src into dst pointing at mem. */
void	params_clone_layout(struct vae_params *dst,
	    const struct vae_params *src, float *mem);

/*
 * The depths of a kind into a: in_depth, out_depth[], n_splits.  drums_roll
 * chooses the 10-wide roll input (DrumsConverter) over the one-hot one.
 */
void	params_kind_depths(struct vae_arch *a, enum vae_kind kind,
	    int drums_roll);

/* Named architectures used by latentroll (mel_2bar, mel_16bar, ...). */
int	params_arch_named(struct vae_arch *a, const char *name, char **cause)
	    LR_WUR;

/* Width of the flat encoder's input width for a decoder split, etc. */
int	params_dec_state_size(const struct vae_arch *a);
int	params_cond_state_size(const struct vae_arch *a);

#endif
