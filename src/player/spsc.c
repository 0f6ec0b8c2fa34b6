/*
 * spsc.c: single-producer single-consumer ring buffer.  head is written
 * only by the consumer and tail only by the producer; each side reads the
 * other's index with acquire and publishes its own with release, so the
 * element copy is visible before the index that covers it.
 */
#include "spsc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct spsc {
	size_t			 cap;	/* power of 2 */
	size_t			 size;	/* bytes per element */
	/* Indices on separate cache lines: they are written by different
	   threads, and sharing a line makes both sides stall. */
	_Alignas(64) _Atomic size_t head;	/* next to pop */
	_Alignas(64) _Atomic size_t tail;	/* next to push */
	_Alignas(64) unsigned char buf[];	/* (cap, size) */
};

/* Allocate a queue; cap is rounded up to a power of 2. */
struct spsc *
spsc_new(size_t cap, size_t size)
{
	struct spsc	*q;
	size_t		 c = 2;

	while (c < cap)
		c <<= 1;
	q = lr_calloc(1, sizeof *q + c * size);
	q->cap = c;
	q->size = size;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return (q);
}

/* Free a queue (no thread may be using it). */
void
spsc_free(struct spsc *q)
{
	free(q);
}

/* Push a copy of elem; -1 when full. */
int
spsc_push(struct spsc *q, const void *elem)
{
	size_t	t, h;

	t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	h = atomic_load_explicit(&q->head, memory_order_acquire);
	if (((t + 1) & (q->cap - 1)) == h)
		return (-1);
	memcpy(q->buf + t * q->size, elem, q->size);
	atomic_store_explicit(&q->tail, (t + 1) & (q->cap - 1),
	    memory_order_release);
	return (0);
}

/* Pop the oldest element into elem; 0 when empty. */
int
spsc_pop(struct spsc *q, void *elem)
{
	size_t	t, h;

	h = atomic_load_explicit(&q->head, memory_order_relaxed);
	t = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (h == t)
		return (0);
	memcpy(elem, q->buf + h * q->size, q->size);
	atomic_store_explicit(&q->head, (h + 1) & (q->cap - 1),
	    memory_order_release);
	return (1);
}

/* Number of queued elements. */
size_t
spsc_count(struct spsc *q)
{
	size_t	t, h;

	h = atomic_load_explicit(&q->head, memory_order_acquire);
	t = atomic_load_explicit(&q->tail, memory_order_acquire);
	return ((t - h) & (q->cap - 1));
}
