/*
 * fuzz_cache.c: the dataset's window cache (windows-ARCH.cache, read by
 * dataset_load).  A folder with one fixed melody is made once; the input
 * is that folder's cache for mel_2bar.  tests/fuzz/mkseeds writes the
 * real cache of the same folder (fuzz_cache_corpus below), so the
 * fuzzer starts past the fingerprint.  Whatever the cache says, the
 * windows served must be tokens of the model's vocabulary.
 */
#include <sys/stat.h>

#include "fuzz.h"

#include "convert.h"
#include "dataset.h"
#include "midifile.h"
#include "params.h"

/* The folder: one 4-bar scale-ish tune.  Returns its path. */
static const char *
fuzz_cache_corpus(void)
{
	static char	 dir[256];
	struct noteseq	 s;
	int		 tok[64], i;
	char		*cause = NULL, path[300];

	if (dir[0] != '\0')
		return (dir);
	snprintf(dir, sizeof dir, "%s/data", fuzz_dir());
	mkdir(dir, 0700);
	for (i = 0; i < 64; i++)
		tok[i] = i % 4 == 0 ? 2 + 39 + (i / 4) % 12 : MEL_NO_EVENT;
	noteseq_init(&s);
	convert_melody_to_noteseq(tok, 64, 120.0, 0, 0, &s);
	snprintf(path, sizeof path, "%s/tune.mid", dir);
	if (midifile_save(path, &s, 1, &cause) != 0) {
		fprintf(stderr, "fuzz: %s\n", cause);
		abort();
	}
	noteseq_free(&s);
	return (dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vae_arch	 a;
	static int		 init;
	const char		*dir = fuzz_cache_corpus();
	const char		*cdir = fuzz_path("cache");
	char			 path[300], *cause = NULL;
	struct dataset		 ds;
	size_t			 i, len;
	int			 s;

	if (!init) {
		midifile_log_init();
		FUZZ_ASSERT(params_arch_named(&a, "mel_2bar", &cause) == 0);
		init = 1;
	}
	mkdir(cdir, 0700);
	snprintf(path, sizeof path, "%s/windows-mel_2bar.cache", cdir);
	fuzz_write(path, data, size);
	if (dataset_load(&ds, dir, &a, cdir, "mel_2bar", 0, &cause) != 0) {
		fuzz_check_cause(dir, cause);
		free(cause);
		return (0);
	}
	for (s = 0; s < DATASET_NSPLITS; s++) {
		FUZZ_ASSERT(ds.n[s] >= 0);
		len = (size_t)ds.n[s] * ds.steps * ds.S;
		for (i = 0; i < len; i++)
			FUZZ_ASSERT(ds.tok[s][i] >= 0 &&
			    ds.tok[s][i] < a.out_depth[0]);
	}
	FUZZ_ASSERT(ds.n_used >= 0 && ds.n_used <= ds.n_files);
	dataset_free(&ds);
	return (0);
}

#ifdef FUZZ_MKSEEDS
/*
 * For tests/fuzz/mkseeds: the real cache of the folder into path (this
 * translation unit's private folder holds it).
 */
int	fuzz_cache_seed(const char *path);

int
fuzz_cache_seed(const char *path)
{
	char	 from[300], buf[65536];
	FILE	*in, *out;
	size_t	 n;

	/* An empty cache makes dataset_load extract and write a real one. */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	snprintf(from, sizeof from, "%s/windows-mel_2bar.cache",
	    fuzz_path("cache"));
	if ((in = fopen(from, "rb")) == NULL) {
		perror(from);
		return (1);
	}
	if ((out = fopen(path, "wb")) == NULL) {
		perror(path);
		fclose(in);
		return (1);
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return (fclose(out) != 0);
}
#endif
