/*
 * dataset.h: the training data pipeline.  Walks a directory for MIDI files,
 * extracts token windows with convert_windows (melody, drums or trio, the
 * window length of the architecture), splits them train/valid/test by a
 * hash of the file name, caches them, and serves shuffled, transposed
 * batches.
 *
 * Split rule (stable, documented in the model card): h = FNV-1a 32-bit of
 * the file's basename (bytes as stored, no path); h % 100 < 90 train,
 * < 95 valid, else test.  Every window of one file lands in the same split.
 *
 * Cache: OUT/windows-<arch>.cache, little-endian: "LRWINDOW" magic, u32
 * version, u32 steps, u32 S, u32 kind, u64 corpus fingerprint (FNV-1a 64
 * over the sorted relative names, sizes and mtimes of the files, and the
 * window shape), u32 counts (files seen, files used, windows per split),
 * u32 report length, the report text, then the windows as u16 tokens
 * (train, valid, test).  A cache whose header does not match is rebuilt.
 */
#ifndef LR_DATASET_H
#define LR_DATASET_H

#include <stdint.h>

#include "common.h"
#include "convert.h"
#include "params.h"
#include "rng.h"

enum dataset_split {
	DATASET_TRAIN,
	DATASET_VALID,
	DATASET_TEST,
};
#define DATASET_NSPLITS	3

struct dataset {
	int		 steps;		/* window length */
	int		 S;		/* tokens per step */
	enum vae_kind	 kind;
	int		 n[DATASET_NSPLITS];	/* windows per split */
	int		*tok[DATASET_NSPLITS];	/* (n, steps, S) */
	int		 n_files;	/* MIDI files found */
	int		 n_used;	/* files giving at least one window */
	uint64_t	 fingerprint;
	char		*report;	/* lines: counts and drop reasons */
	int		 from_cache;
};

/*
 * Load (from cache_dir's cache when it matches, else by extraction, then
 * written to the cache) the windows of dir for architecture a.  cache_dir
 * may be NULL (no cache).  flags: DATASET_TWO_FOUR takes melodies in 2/4
 * too (convert_opts.two_four); the flags are part of the fingerprint.
 * -1 with a cause if dir cannot be read or gives no window at all.
 */
#define DATASET_TWO_FOUR	0x1
/* Read the cache but write none (not part of the fingerprint): a caller
   that may still refuse the data writes it with dataset_cache_save. */
#define DATASET_NO_CACHE_WRITE	0x2
int	dataset_load(struct dataset *ds, const char *dir,
	    const struct vae_arch *a, const char *cache_dir,
	    const char *arch_name, int flags, char **cause) LR_WUR;
/* Write ds to cache_dir's cache for arch_name, unless it came from it. */
void	dataset_cache_save(struct dataset *ds, const char *cache_dir,
	    const char *arch_name);
void	dataset_free(struct dataset *ds);

/* FNV-1a 32-bit of a file's basename, and its split. */
uint32_t	dataset_name_hash(const char *path);
enum dataset_split dataset_split_of(const char *path);

/*
 * The window order of an epoch: a permutation of the train split from
 * (seed, epoch) alone, so a resumed run sees the same order.
 */
void	dataset_permutation(int *perm, int n, uint64_t seed, long epoch);

/*
 * Copy window idx of a split into out (steps, S), transposed by a random
 * shift in [-max_shift, max_shift] drawn from r and narrowed so every
 * pitch stays in 21..108 (melody and trio melody/bass parts; drums are
 * never transposed).  max_shift 0 copies.
 */
void	dataset_window(const struct dataset *ds, enum dataset_split split,
	    int idx, int max_shift, struct rng *r, int *out);

/*
 * The default max_shift `train` uses for an architecture kind: 5 for
 * every kind with pitches (melody of any length; trio, whose melody and
 * bass move together and whose drums stay), 0 for drums.  Spec part A:
 * the shipped models are trained with transposition within 21..108.
 */
int	dataset_default_shift(enum vae_kind kind);

/* The converter of a model kind: the one mapping in the tree. */
enum convert_kind data_conv_kind(enum vae_kind k);

/*
 * The token windows (T steps of S tokens) a model of kind takes from s,
 * through that converter: track and channel -1 for its choice.  -1 with
 * "name: what" (windows_free done) when the converter refuses, finds no
 * window, or gives other shapes.
 */
int	data_windows(enum vae_kind kind, int T, int S, const struct noteseq *s,
	    int track, int channel, const char *name, struct windows *w,
	    char **cause) LR_WUR;

#endif
