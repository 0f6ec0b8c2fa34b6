/*
 * noteseq.c: the shared note sequence: allocation, copy, order.
 * An initialised sequence always has one tempo (120 qpm) and one time
 * signature (4/4) at time 0, so readers never test for empty maps.
 */
#include "noteseq.h"

#include <stdlib.h>
#include <string.h>

void
noteseq_init(struct noteseq *s)
{
	memset(s, 0, sizeof *s);
	s->tempos = lr_calloc(1, sizeof *s->tempos);
	s->tempos[0].tick = 0;
	s->tempos[0].qpm = LR_QPM_DEFAULT;
	s->n_tempos = 1;
	s->timesigs = lr_calloc(1, sizeof *s->timesigs);
	s->timesigs[0].num = 4;
	s->timesigs[0].den = 4;
	s->n_timesigs = 1;
	s->steps_per_quarter = NOTESEQ_STEPS_PER_QUARTER;
}

void
noteseq_free(struct noteseq *s)
{
	int	i;

	free(s->notes);
	free(s->tempos);
	free(s->timesigs);
	free(s->keysigs);
	if (s->track_names != NULL) {
		for (i = 0; i < s->n_tracks; i++)
			free(s->track_names[i]);
		free(s->track_names);
	}
	free(s->name);
	/* Zeroed: freeing twice is harmless; noteseq_init before reuse. */
	memset(s, 0, sizeof *s);
}

static void *
dup_array(const void *p, size_t n, size_t size)
{
	void	*q;

	if (p == NULL)
		return (NULL);
	q = lr_malloc(n * size);
	memcpy(q, p, n * size);
	return (q);
}

void
noteseq_copy(struct noteseq *dst, const struct noteseq *src)
{
	int	i;

	*dst = *src;
	dst->notes = dup_array(src->notes, src->n, sizeof *src->notes);
	dst->cap = src->n;
	dst->tempos = dup_array(src->tempos, src->n_tempos,
	    sizeof *src->tempos);
	dst->timesigs = dup_array(src->timesigs, src->n_timesigs,
	    sizeof *src->timesigs);
	dst->keysigs = dup_array(src->keysigs, src->n_keysigs,
	    sizeof *src->keysigs);
	if (src->track_names != NULL) {
		dst->track_names = lr_calloc(src->n_tracks > 0 ?
		    src->n_tracks : 1, sizeof *dst->track_names);
		for (i = 0; i < src->n_tracks; i++)
			if (src->track_names[i] != NULL)
				dst->track_names[i] =
				    lr_strdup(src->track_names[i]);
	}
	dst->name = src->name != NULL ? lr_strdup(src->name) : NULL;
}

struct note *
noteseq_add(struct noteseq *s)
{
	struct note	*nt;

	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 64 : s->cap * 2;
		s->notes = lr_realloc(s->notes, s->cap * sizeof *s->notes);
	}
	nt = &s->notes[s->n++];
	memset(nt, 0, sizeof *nt);
	return (nt);
}

/* By start time (steps when quantized, else seconds), then pitch down. */
static int
note_cmp(const void *a, const void *b)
{
	const struct note	*x = a, *y = b;

	if (x->start_s != y->start_s)
		return (x->start_s < y->start_s ? -1 : 1);
	if (x->start_step != y->start_step)
		return (x->start_step < y->start_step ? -1 : 1);
	if (x->pitch != y->pitch)
		return (x->pitch > y->pitch ? -1 : 1);
	/* Stable enough for equal notes: track, then channel. */
	if (x->track != y->track)
		return (x->track < y->track ? -1 : 1);
	return (x->channel - y->channel);
}

void
noteseq_sort(struct noteseq *s)
{
	if (s->n > 1)
		qsort(s->notes, s->n, sizeof *s->notes, note_cmp);
}

double
noteseq_qpm(const struct noteseq *s)
{
	if (s->n_tempos == 0 || s->tempos == NULL || !(s->tempos[0].qpm > 0))
		return (LR_QPM_DEFAULT);
	return (s->tempos[0].qpm);
}
