/*
 * ckpt.h: magenta.js checkpoints (spec B 6) as bytes <-> tensors:
 * config.json, weights_manifest.json and binary shards, float32 or
 * uint8/uint16 quantized.  The architecture is inferred from tensor names
 * and shapes as magenta.js does.  Nothing here touches the file system:
 * src/storage/modeldir.h reads and writes checkpoint folders.
 */
#ifndef LR_CKPT_H
#define LR_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "vae.h"

#define CKPT_CONFIG		"config.json"
#define CKPT_MANIFEST		"weights_manifest.json"

enum ckpt_dtype {
	CKPT_FLOAT32,
	CKPT_UINT16,
	CKPT_UINT8,
};

/* One file of a checkpoint: its name in the folder and its bytes. */
struct ckpt_file {
	char		*name;
	uint8_t		*data;
	size_t		 len;
};

struct ckpt_files {
	struct ckpt_file *f;
	int		 n;
};

/*
 * Hands over the bytes of the checkpoint's file name (malloc'ed, one NUL
 * past len, the caller frees them); -1 with a cause naming the path.
 */
typedef int (*ckpt_reader)(void *arg, const char *name, uint8_t **data,
		    size_t *len, char **cause);

/*
 * The model a checkpoint's files describe, read through read; NULL with a
 * cause naming the file (dir joined with its name) and the tensor.
 */
struct vae	*ckpt_decode(ckpt_reader read, void *arg, const char *dir,
		    char **cause) LR_WUR;

/*
 * v as a checkpoint's files, in the order to publish them: shards,
 * config.json, the manifest last.  Free with ckpt_files_free.
 */
int		 ckpt_encode(const struct vae *v, enum ckpt_dtype dtype,
		    struct ckpt_files *files, char **cause) LR_WUR;
void		 ckpt_files_free(struct ckpt_files *files);

/* Whether a folder entry is one of a checkpoint's own files (config,
   manifest, a shard of any count), not something kept beside them. */
int		 ckpt_own_file(const char *name);

#endif
