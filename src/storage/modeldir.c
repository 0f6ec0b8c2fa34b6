/*
 * modeldir.c: model folders on disk; model/ckpt.c turns their bytes into
 * tensors and back.
 */
#include "modeldir.h"

#include <sys/stat.h>

#include <dirent.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"

/* A file of the folder arg, whole, into memory (shards are a few MiB). */
static int
read_file(void *arg, const char *name, uint8_t **out, size_t *len,
    char **cause)
{
	FILE		*f;
	struct stat	 st;
	uint8_t		*buf;
	char		*path = lr_path_join(arg, name);
	int		 rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		lr_fail(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		lr_fail(cause, "%s: not a regular file", path);
		goto out;
	}
	buf = lr_malloc((size_t)st.st_size + 1);
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		lr_fail(cause, "%s: read error", path);
		free(buf);
		goto out;
	}
	buf[st.st_size] = '\0';
	*out = buf;
	*len = (size_t)st.st_size;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(path);
	return (rc);
}

char *
modeldir_foreign(const char *dir, int (*also)(const char *))
{
	DIR		*d;
	struct dirent	*e;
	const char	*n;
	char		*name = NULL;

	if ((d = opendir(dir)) == NULL)
		return (NULL);
	while (name == NULL && (e = readdir(d)) != NULL) {
		n = e->d_name;
		if (n[0] != '.' && !ckpt_own_file(n) &&
		    strcmp(n, "model_card.json") != 0 &&
		    strcmp(n, "attribute_vecs.json") != 0 &&
		    (also == NULL || !also(n)))
			name = lr_strdup(n);
	}
	closedir(d);
	return (name);
}

struct vae *
modeldir_load(const char *dir, char **cause)
{
	struct stat	 st;
	char		*cfg;
	int		 have;

	/* Say what is wrong with the folder itself, not with a file the
	   user never named ("nope/config.json: No such file"). */
	if (stat(dir, &st) != 0) {
		lr_fail(cause, "%s: %s", dir, strerror(errno));
		return (NULL);
	}
	if (!S_ISDIR(st.st_mode)) {
		lr_fail(cause, "%s: not a model folder (a model is a folder "
		    "with config.json and weights)", dir);
		return (NULL);
	}
	cfg = lr_path_join(dir, "config.json");
	have = stat(cfg, &st) == 0;
	free(cfg);
	if (!have) {
		lr_fail(cause, "%s: not a model folder (no config.json)",
		    dir);
		return (NULL);
	}
	return (ckpt_decode(read_file, (void *)dir, dir, cause));
}

int
modeldir_save(const struct vae *v, const char *dir, enum ckpt_dtype dtype,
    char **cause)
{
	struct ckpt_files	 fs;
	struct atomic_file	*af;
	int			 i, rc;

	if (ckpt_encode(v, dtype, &fs, cause) != 0)
		return (-1);
	af = lr_calloc(fs.n, sizeof *af);
	for (i = 0; i < fs.n; i++) {
		af[i].name = fs.f[i].name;
		af[i].data = fs.f[i].data;
		af[i].len = fs.f[i].len;
	}
	rc = atomic_dir_replace(dir, af, fs.n, ckpt_own_file, cause);
	free(af);
	ckpt_files_free(&fs);
	return (rc);
}
