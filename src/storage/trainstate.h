/*
 * trainstate.h: the training-state file (MODEL_DIR/trainstate.bin), our own
 * format beside the magenta.js checkpoint.  It holds everything a resumed
 * run needs to continue exactly where the last one stopped: the parameters
 * themselves (so the file is self-contained and written in one atomic
 * rename; the checkpoint beside it is for users), both Adam moments, the
 * step, the generator state, and the data position (epoch and cursor in
 * the epoch's permutation, which is a function of seed and epoch).
 *
 * Layout, all little-endian, 96-byte header then payload:
 *   0  8  magic "LRTRAIN1"
 *   8  4  u32 version (2; version 1 is still read)
 *  12  4  u32 header size (96)
 *  16  8  u64 n_params (floats per array)
 *  24  8  i64 step (steps done)
 *  32  8  u64 rng state
 *  40  8  u64 seed (data order)
 *  48  8  i64 epoch
 *  56  8  i64 cursor (windows of the epoch consumed)
 *  64  4  u32 batch size
 *  68  4  u32 BLAS threads the run used (bitwise resume needs the same)
 *  72  8  u64 data fingerprint (dataset.h)
 *  80  4  u32 CRC-32 (IEEE, zlib's) of the payload
 *  84  4  u32 CRC-32 of the header's other 92 bytes (0..83, 88..95)
 *  88  8  i64 step the Adam moments started at (0; a warm start's
 *           --init step, so bias correction counts their own steps)
 *  96     payload: params, m, v: 3 * n_params float32
 * Version 1 (older latentroll builds) is the same with 84..95 zero (so Adam
 * started at step 0): its header
 * is not covered by any CRC, so it is read as it stands (a run started by
 * an older latentroll stays resumable) provided those bytes are zero.
 * A bad magic, version, size or either CRC is refused with a one-line
 * cause naming the file; the next save writes version 2.
 */
#ifndef LR_TRAINSTATE_H
#define LR_TRAINSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct trainstate {
	size_t		 n_params;
	long		 step;
	uint64_t	 rng;
	uint64_t	 seed;
	long		 epoch;
	long		 cursor;
	int		 batch;
	int		 threads;
	uint64_t	 fingerprint;
	long		 adam_step0;
	float		*params;	/* n_params each; not owned */
	float		*m;
	float		*v;
};

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32). */
uint32_t	trainstate_crc32(uint32_t crc, const void *p, size_t n);

/* Write atomically (temporary file, fsync, rename). */
int	trainstate_save(const char *path, const struct trainstate *ts,
	    char **cause) LR_WUR;

/*
 * Read into ts; ts->params/m/v must point at n_params floats each and
 * ts->n_params say how many are expected.  -1 with "FILE: what" on a bad
 * or mismatched file.
 */
int	trainstate_load(const char *path, struct trainstate *ts,
	    char **cause) LR_WUR;

#endif
