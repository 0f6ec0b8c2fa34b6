/*
 * fault_save.c: every saver of latentroll against a file system that
 * fails (tests/test_faults.sh sets the scene):
 *	fault_save good DIR	save a MIDI clip, a set, the settings, a JSON
 *				document (attribute vectors), a training
 *				state, a model folder and a WAV take into
 *				DIR
 *	fault_save bad DIR	save other contents over them, DIR being full
 *				or read-only: each save must fail with one
 *				line naming its path, and leave the file
 *				saved by "good" byte for byte as it was
 *	fault_save gone DIR	DIR no longer exists: each save fails with
 *				one line naming its path, nothing is made
 * Ends with "N passed, N failed".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "audiofile.h"
#include "modeldir.h"
#include "config.h"
#include "convert.h"
#include "jsonfile.h"
#include "midifile.h"
#include "params.h"
#include "set.h"
#include "test.h"
#include "trainstate.h"
#include "vae.h"

#define NKINDS	7
#define WAV	5
/* The settings file last: it makes its folder (config.h), so in a
   vanished folder it is the one save that succeeds. */
#define CONFIG	(NKINDS - 1)
static const char *names[NKINDS] = { "clip.mid", "live.set",
			    "attribute_vecs.json", "trainstate.bin",
			    "model", "take.wav", "config" };

/* Save kind k into path with contents variant v (0 good, 1 bad). */
static int
save(int k, const char *path, int v, char **cause)
{
	struct noteseq		 s;
	struct set		 st;
	struct config		 c;
	struct trainstate	 ts;
	struct vae_arch		 a;
	struct vae		*m;
	json_t			*j;
	float			 p[8], mo[8], va[8], pcm[2 * 4410];
	int			 tok[32], i, rc;
	size_t			 n;

	switch (k) {
	case 0:
		for (i = 0; i < 32; i++)
			tok[i] = i % 4 == 0 ? 40 + v + i / 4 : MEL_NO_EVENT;
		noteseq_init(&s);
		convert_melody_to_noteseq(tok, 32, 120.0, 0, 0, &s);
		rc = midifile_save(path, &s, 1, cause);
		noteseq_free(&s);
		return (rc);
	case 1:
		set_init(&st);
		st.slider = 3 + v;
		st.seed = 11 + v;
		st.clip[0] = strdup("a.mid");
		rc = set_save(&st, path, cause);
		set_free(&st);
		return (rc);
	case WAV:
		/* A tenth of a second of stereo, as render writes it. */
		for (n = 0; n < 2 * 4410; n++)
			pcm[n] = 0.1f * (float)((n % 100) + v) / 100.0f;
		return (audiofile_save(path, pcm, 4410, 2, 44100, 1, cause));
	case CONFIG:
		config_init(&c);
		c.channel = 2 + v;
		snprintf(c.out, sizeof c.out, "synth %d", v);
		return (config_save(&c, path, cause));
	case 2:
		j = json_pack("{s:[f,f], s:{s:i}}", "note_density", 0.5 + v,
		    -1.0, "_meta", "v", v);
		rc = jsonfile_save(j, path, cause);
		json_decref(j);
		return (rc);
	case 3:
		for (i = 0; i < 8; i++) {
			p[i] = (float)(i + v);
			mo[i] = 0.5f * i;
			va[i] = 0.25f * i;
		}
		memset(&ts, 0, sizeof ts);
		ts.n_params = 8;
		ts.step = 100 + v;
		ts.batch = 4;
		ts.threads = 1;
		ts.params = p;
		ts.m = mo;
		ts.v = va;
		return (trainstate_save(path, &ts, cause));
	default:
		if (params_arch_named(&a, "mel_2bar", cause) != 0)
			return (-1);
		for (i = 0; i < VAE_MAX_LAYERS; i++) {
			a.enc_size[i] = a.enc_size[i] ? 3 : 0;
			a.dec_size[i] = a.dec_size[i] ? 3 : 0;
		}
		a.z_size = 2;
		if ((m = vae_new(&a, cause)) == NULL)
			return (-1);
		for (n = 0; n < m->p.n_params; n++)
			m->p.mem[n] = 0.01f * (float)(n % 97) + v;
		rc = modeldir_save(m, path, CKPT_FLOAT32, cause);
		vae_free(m);
		return (rc);
	}
}

/* A file's bytes (heap) and size; NULL if it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*b;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(n > 0 ? (size_t)n : 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return (NULL);
	}
	fclose(f);
	*len = (size_t)n;
	return (b);
}

/* The files a save of kind k leaves under path (a model: three). */
static int
files_of(int k, const char *path, char out[3][600])
{
	if (k != 4) {
		snprintf(out[0], 600, "%s", path);
		return (1);
	}
	snprintf(out[0], 600, "%s/config.json", path);
	snprintf(out[1], 600, "%s/weights_manifest.json", path);
	snprintf(out[2], 600, "%s/group1-shard1of1", path);
	return (3);
}

/* 1 if dir holds nothing but the saves' own names (no temporary left). */
static int
only_saves(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	int		 k, ok = 1, known;

	if ((d = opendir(dir)) == NULL)
		return (1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		known = 0;
		for (k = 0; k < NKINDS; k++)
			known |= strcmp(de->d_name, names[k]) == 0;
		if (!known) {
			fprintf(stderr, "%s: left behind: %s\n", dir,
			    de->d_name);
			ok = 0;
		}
	}
	closedir(d);
	return (ok);
}

int
main(int argc, char **argv)
{
	char		 path[512], files[3][600], *cause, *before[3], *after;
	size_t		 blen[3], alen;
	struct stat	 sb;
	const char	*mode, *dir;
	int		 k, i, nf, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: fault_save good|bad|gone DIR\n");
		return (99);
	}
	mode = argv[1];
	dir = argv[2];
	midifile_log_init();
	for (k = 0; k < NKINDS; k++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[k]);
		cause = NULL;
		if (strcmp(mode, "good") == 0) {
			rc = save(k, path, 0, &cause);
			CHECK_MSG(rc == 0, "%s: %s", path, cause ? cause : "");
			free(cause);
			continue;
		}
		nf = files_of(k, path, files);
		for (i = 0; i < nf; i++)
			before[i] = slurp(files[i], &blen[i]);
		rc = save(k, path, 1, &cause);
		if (k == CONFIG && strcmp(mode, "gone") == 0) {
			CHECK_MSG(rc == 0 && stat(path, &sb) == 0,
			    "%s: the settings did not make their folder: %s",
			    path, cause ? cause : "");
			free(cause);
			continue;
		}
		CHECK_MSG(rc == -1, "%s %s: the save did not fail", mode, path);
		CHECK_MSG(cause != NULL && strchr(cause, '\n') == NULL &&
		    strstr(cause, dir) != NULL, "%s %s: cause \"%s\"", mode,
		    path, cause ? cause : "(none)");
		if (cause != NULL)
			printf("%s %s: %s\n", mode, names[k], cause);
		free(cause);
		for (i = 0; i < nf; i++) {
			after = slurp(files[i], &alen);
			if (strcmp(mode, "gone") == 0)
				CHECK_MSG(after == NULL && stat(dir, &sb) != 0,
				    "%s: made in a vanished folder", files[i]);
			else
				CHECK_MSG(before[i] != NULL && after != NULL &&
				    alen == blen[i] && memcmp(before[i], after,
				    alen) == 0, "%s %s: changed by a failed save",
				    mode, files[i]);
			free(before[i]);
			free(after);
		}
	}
	if (strcmp(mode, "good") != 0)
		CHECK_MSG(only_saves(dir), "%s %s: temporary files left", mode,
		    dir);
	return (test_report());
}
