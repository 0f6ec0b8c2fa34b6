/*
 * ckpt.h: load and save magenta.js checkpoints (spec B 6): config.json,
 * weights_manifest.json and binary shards, float32 or uint8/uint16
 * quantized.  The architecture is inferred from tensor names and shapes as
 * magenta.js does.  This is the only file in model/ that touches files.
 */
#ifndef LR_CKPT_H
#define LR_CKPT_H

#include "common.h"
#include "vae.h"

enum ckpt_dtype {
	CKPT_FLOAT32,
	CKPT_UINT16,
	CKPT_UINT8,
};

/* Load a checkpoint directory; NULL with a cause naming file and tensor. */
struct vae	*ckpt_load(const char *dir, char **cause) LR_WUR;

/*
 * Save v as a checkpoint directory dir (created if missing).  The whole
 * set is written into a sibling dir.tmpXXXXXX; if dir exists, that gets
 * hard links to dir's other files (training state, curve, card, attribute
 * vectors: they stay, by the same path) and the two directories are
 * exchanged in one renameat2(RENAME_EXCHANGE), so a crash or a reader sees
 * either the old set or the new one, never shards of two saves (another
 * process whose working directory is dir is left in the removed old one).
 * A file system without the exchange, or a dir holding our own working
 * directory, falls back to renaming file by file, manifest last.
 * Temporary folders an interrupted save left are removed by the next
 * save; so are shards of another shard count.
 */
int		 ckpt_save(const struct vae *v, const char *dir,
		    enum ckpt_dtype dtype, char **cause) LR_WUR;

#endif
