/*
 * tui_mkmodel.c: write a random-weight checkpoint and random attribute
 * vectors for the TUI tests and bench when no trained model is shipped:
 *	tui_mkmodel DIR [ARCH [SEED]]	(ARCH: mel_2bar, mel_16bar, ...)
 * Random (not zero) weights, so different z decode to different notes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "modeldir.h"
#include "params.h"
#include "rng.h"
#include "vae.h"

int
main(int argc, char **argv)
{
	struct vae_arch	 a;
	struct vae	*v;
	struct rng	 rng;
	char		*cause = NULL, path[4096];
	const char	*names[] = { "note_density", "avg_interval",
			    "register" };
	FILE		*f;
	size_t		 i;
	int		 k, z;

	if (argc < 2) {
		fprintf(stderr, "usage: tui_mkmodel DIR [ARCH [SEED]]\n");
		return (2);
	}
	if (params_arch_named(&a, argc > 2 ? argv[2] : "mel_2bar",
	    &cause) != 0 || (v = vae_new(&a, &cause)) == NULL) {
		fprintf(stderr, "tui_mkmodel: %s\n", cause);
		return (1);
	}
	rng_seed(&rng, argc > 3 ? strtoull(argv[3], NULL, 10) : 7);
	for (i = 0; i < v->p.n_params; i++)
		v->p.mem[i] = 0.15f * rng_normal(&rng);
	/* Favour "no event" (hold) so notes get lengths, as real ones. */
	if (v->p.dec[0].out.bias != NULL)
		v->p.dec[0].out.bias[0] += 1.5f;
	if (modeldir_save(v, argv[1], CKPT_FLOAT32, &cause) != 0) {
		fprintf(stderr, "tui_mkmodel: %s\n", cause);
		return (1);
	}
	snprintf(path, sizeof path, "%s/attribute_vecs.json", argv[1]);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		return (1);
	}
	fprintf(f, "{\n  \"_meta\": {\"how\": \"random (tests)\"}");
	for (k = 0; k < 3; k++) {
		fprintf(f, ",\n  \"%s\": [", names[k]);
		for (z = 0; z < a.z_size; z++)
			fprintf(f, "%s%.5f", z ? ", " : "",
			    1.5 * rng_normal(&rng));
		fprintf(f, "]");
	}
	fprintf(f, "\n}\n");
	fclose(f);
	vae_free(v);
	return (0);
}
