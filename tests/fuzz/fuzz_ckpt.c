/*
 * fuzz_ckpt.c: model folders (modeldir_load): config.json, the manifest and
 * one shard, split from the input at the first two lines "--8<--"
 * (tests/fuzz/mkseeds writes tiny real checkpoints this way).  A folder
 * that loads must hold finite weights; one that does not, one line
 * naming the folder.
 */
#include <math.h>
#include <sys/stat.h>

#include "fuzz.h"

#include "modeldir.h"
#include "vae.h"

#define SEP	"\n--8<--\n"

static void
put(const char *dir, const char *name, const uint8_t *p, size_t n, int have)
{
	char	path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (have)
		fuzz_write(path, p, n);
	else
		unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*dir = fuzz_path("model");
	const uint8_t	*part[3] = { data, data, data }, *end = data + size, *s;
	size_t		 len[3] = { 0, 0, 0 }, i;
	struct vae	*v;
	char		*cause = NULL;
	int		 k;

	mkdir(dir, 0700);
	part[0] = data;
	for (k = 0; k < 2; k++) {
		s = memmem(part[k], (size_t)(end - part[k]), SEP,
		    sizeof SEP - 1);
		if (s == NULL)
			break;
		len[k] = (size_t)(s - part[k]);
		part[k + 1] = s + sizeof SEP - 1;
	}
	len[k] = (size_t)(end - part[k]);
	put(dir, "config.json", part[0], len[0], 1);
	put(dir, "weights_manifest.json", part[1], len[1], k >= 1);
	put(dir, "group1-shard1of1", part[2], len[2], k >= 2);
	if ((v = modeldir_load(dir, &cause)) == NULL) {
		fuzz_check_cause(dir, cause);
		free(cause);
		return (0);
	}
	for (i = 0; i < v->p.n_params; i++)
		FUZZ_ASSERT(isfinite(v->p.mem[i]));
	vae_free(v);
	return (0);
}
