/*
 * windows.c: the one path from a note sequence to a model's token windows,
 * for the data set, the commands and the instrument alike.
 */
#include "dataset.h"

#include <string.h>

enum convert_kind
data_conv_kind(enum vae_kind k)
{
	if (k == VAE_DRUMS)
		return (CONVERT_DRUMS);
	return (k == VAE_TRIO ? CONVERT_TRIO : CONVERT_MELODY);
}

int
data_windows(enum vae_kind kind, int T, int S, const struct noteseq *s,
    int track, int channel, const char *name, struct windows *w,
    char **cause)
{
	struct convert_opts	o;

	memset(&o, 0, sizeof o);
	o.kind = data_conv_kind(kind);
	o.track = track;
	o.channel = channel;
	o.steps = T;
	windows_init(w);
	if (convert_windows(s, &o, w, cause) != 0) {
		lr_cause_prefix(cause, "%s", name);
		windows_free(w);
		return (-1);
	}
	if (w->n == 0) {
		lr_fail(cause, "%s: no usable %d-step window (%s)", name, T,
		    w->why != NULL ? w->why : "no notes");
		windows_free(w);
		return (-1);
	}
	if (w->S != S || w->steps != T) {
		lr_fail(cause, "%s: converter gave %d x %d tokens, the model "
		    "needs %d x %d", name, w->steps, w->S, T, S);
		windows_free(w);
		return (-1);
	}
	return (0);
}
