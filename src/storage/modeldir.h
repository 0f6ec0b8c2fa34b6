/*
 * modeldir.h: model folders, the magenta.js checkpoint layout on disk
 * (config.json, weights_manifest.json, group1-shardNofM; spec B 6).  The
 * bytes <-> tensors part is model/ckpt.h; this is the folder part.
 */
#ifndef LR_MODELDIR_H
#define LR_MODELDIR_H

#include "ckpt.h"

/* Load a model folder; NULL with a cause naming file and tensor. */
struct vae	*modeldir_load(const char *dir, char **cause) LR_WUR;
/*
 * The first name in dir that is not a model folder's own (dot files, the
 * checkpoint's files, model_card.json, attribute_vecs.json) nor one
 * `also` (may be NULL) accepts: a folder of someone's files, where model
 * files must not land.  NULL if none, or dir cannot be read; heap.
 */
char		*modeldir_foreign(const char *dir, int (*also)(const char *));

/*
 * Save v as model folder dir (created if missing), replacing an older
 * checkpoint's files as one set (atomic_dir_replace): what else the folder
 * holds (training state, curve, model card, attribute vectors) stays, and
 * shards of another shard count go.
 */
int		 modeldir_save(const struct vae *v, const char *dir,
		    enum ckpt_dtype dtype, char **cause) LR_WUR;

#endif
