/*
 * mkseeds.c: seed inputs for the structured harnesses, written with the
 * project's own savers so the fuzzer starts from files that load:
 *	mkseeds NAME DIR	(ckpt set config attrvecs trainstate cache)
 * ckpt: tiny checkpoints (every converter, float32 and both quantized
 * dtypes) packed as fuzz_ckpt.c reads them; cache: the real cache of
 * fuzz_cache.c's folder (this program links that harness, built with
 * FUZZ_MKSEEDS for fuzz_cache_seed).
 */
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

#include "modeldir.h"
#include "config.h"
#include "params.h"
#include "rng.h"
#include "set.h"
#include "trainstate.h"
#include "vae.h"

static void
slurp_into(FILE *out, const char *path)
{
	FILE	*f;
	char	 buf[65536];
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(1);
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
}

static int
seed_ckpt(const char *out)
{
	static const char	*archs[] = { "mel_2bar", "mel_16bar",
				    "drums_2bar", "trio_4bar" };
	static const enum ckpt_dtype dts[] = { CKPT_FLOAT32, CKPT_UINT8,
				    CKPT_UINT16 };
	struct vae_arch		 a;
	struct vae		*v;
	struct rng		 r;
	char			*cause = NULL, dir[300], path[400], p[400];
	size_t			 i;
	int			 k, d, l;
	FILE			*f;

	for (k = 0; k < 4; k++)
		for (d = 0; d < (k == 0 ? 3 : 1); d++) {
			if (params_arch_named(&a, archs[k], &cause) != 0)
				goto fail;
			/* Tiny widths: the same tensors, a few KiB. */
			for (l = 0; l < VAE_MAX_LAYERS; l++) {
				a.enc_size[l] = a.enc_size[l] ? 3 : 0;
				a.dec_size[l] = a.dec_size[l] ? 3 : 0;
				a.cond_size[l] = a.cond_size[l] ? 2 : 0;
			}
			a.z_size = 2;
			if ((v = vae_new(&a, &cause)) == NULL)
				goto fail;
			rng_seed(&r, 1 + k);
			for (i = 0; i < v->p.n_params; i++)
				v->p.mem[i] = rng_normal(&r) * 0.2f;
			snprintf(dir, sizeof dir, "%s/m%d%d", fuzz_dir(), k, d);
			if (modeldir_save(v, dir, dts[d], &cause) != 0)
				goto fail;
			vae_free(v);
			snprintf(path, sizeof path, "%s/%s-%d", out, archs[k],
			    d);
			if ((f = fopen(path, "wb")) == NULL) {
				perror(path);
				return (1);
			}
			snprintf(p, sizeof p, "%s/config.json", dir);
			slurp_into(f, p);
			fputs("\n--8<--\n", f);
			snprintf(p, sizeof p, "%s/weights_manifest.json", dir);
			slurp_into(f, p);
			fputs("\n--8<--\n", f);
			snprintf(p, sizeof p, "%s/group1-shard1of1", dir);
			slurp_into(f, p);
			fclose(f);
		}
	return (0);
fail:
	fprintf(stderr, "mkseeds: %s\n", cause);
	return (1);
}

static int
seed_set(const char *out)
{
	struct set	 s;
	char		*cause = NULL, path[400];

	set_init(&s);
	snprintf(path, sizeof path, "%s/empty.set", out);
	if (set_save(&s, path, &cause) != 0)
		goto fail;
	s.model = strdup("models/mel_2bar");
	s.clip[0] = strdup("a.mid");
	s.clip[1] = strdup("b.mid");
	s.track[0] = 1;
	s.window[1] = 3;
	s.slider = 12;
	s.pad_on = 1;
	s.pad_x = 2;
	s.pad_y = 3;
	s.temperature = 0.7f;
	s.seed = 99;
	s.qpm = 96;
	set_nudge_add(&s.nudges, "note_density", 0.5f);
	s.snap_valid[2] = 1;
	s.snap_slider[2] = 20;
	set_nudge_add(&s.snap_nudges[2], "register", -1.0f);
	snprintf(path, sizeof path, "%s/full.set", out);
	if (set_save(&s, path, &cause) != 0)
		goto fail;
	set_free(&s);
	return (0);
fail:
	fprintf(stderr, "mkseeds: %s\n", cause);
	return (1);
}

static int
seed_text(const char *out, const char *name, const char *text)
{
	char	path[400];

	snprintf(path, sizeof path, "%s/%s", out, name);
	fuzz_write(path, text, strlen(text));
	return (0);
}

static int
seed_trainstate(const char *out)
{
	struct trainstate	 ts;
	float			 p[16], m[16], v[16];
	char			*cause = NULL, path[400];
	int			 i;

	for (i = 0; i < 16; i++) {
		p[i] = i * 0.5f;
		m[i] = -i * 0.01f;
		v[i] = i * 0.001f;
	}
	memset(&ts, 0, sizeof ts);
	ts.n_params = 16;
	ts.step = 1234;
	ts.rng = 0x12345678;
	ts.seed = 7;
	ts.epoch = 3;
	ts.cursor = 5;
	ts.batch = 8;
	ts.threads = 2;
	ts.fingerprint = 0xfeedface;
	ts.params = p;
	ts.m = m;
	ts.v = v;
	snprintf(path, sizeof path, "%s/state16.bin", out);
	if (trainstate_save(path, &ts, &cause) != 0) {
		fprintf(stderr, "mkseeds: %s\n", cause);
		return (1);
	}
	return (0);
}

int	fuzz_cache_seed(const char *);

static int
seed_cache(const char *out)
{
	char	path[400];

	snprintf(path, sizeof path, "%s/mel_2bar.cache", out);
	return (fuzz_cache_seed(path));
}

int
main(int argc, char **argv)
{
	const char	*name, *out;

	if (argc != 3) {
		fprintf(stderr, "usage: mkseeds NAME DIR\n");
		return (2);
	}
	name = argv[1];
	out = argv[2];
	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		perror(out);
		return (1);
	}
	if (strcmp(name, "ckpt") == 0)
		return (seed_ckpt(out));
	if (strcmp(name, "set") == 0)
		return (seed_set(out));
	if (strcmp(name, "trainstate") == 0)
		return (seed_trainstate(out));
	if (strcmp(name, "cache") == 0)
		return (seed_cache(out));
	if (strcmp(name, "config") == 0)
		return (seed_text(out, "full.conf",
		    "# latentroll settings\nout = FluidSynth\nin = 1\n"
		    "latency = 20\nchannel = 3\nprogram = 41\n"
		    "clock = follow\nprecision = bf16\n"
		    "bind = 1 74 slider\nbind = * 7 temperature\n"
		    "key play = p\nkey save = S\n") ||
		    seed_text(out, "empty.conf", ""));
	if (strcmp(name, "attrvecs") == 0)
		return (seed_text(out, "vecs.json",
		    "{\"note_density\": [0.5, -1, 2e-3, 0],\n"
		    " \"register\": [1, 2, 3, 4],\n"
		    " \"_meta\": {\"model\": \"mel_2bar\", \"n\": 100}}\n"));
	fprintf(stderr, "mkseeds: no seeds for %s\n", name);
	return (1);
}
