/*
 * spsc.h: a bounded lock-free queue for exactly one producer thread and
 * one consumer thread (C11 atomics), of fixed-size elements.  The player
 * and the UI talk only through these.  No allocation after spsc_new.
 */
#ifndef LR_SPSC_H
#define LR_SPSC_H

#include <stddef.h>

struct spsc;

/* A queue of up to cap - 1 elements of size bytes (cap a power of 2). */
struct spsc	*spsc_new(size_t cap, size_t size);
void		 spsc_free(struct spsc *q);
/* Producer: copy elem in; 0, or -1 if full. */
int		 spsc_push(struct spsc *q, const void *elem);
/* Consumer: copy the oldest element out; 1, or 0 if empty. */
int		 spsc_pop(struct spsc *q, void *elem);
/* Elements waiting (approximate from either side). */
size_t		 spsc_count(struct spsc *q);

#endif
