/*
 * common.h: the few helpers every layer shares: error causes and
 * attributes.  No I/O, no printing: callers decide what to show.
 */
#ifndef LR_COMMON_H
#define LR_COMMON_H

#include <stddef.h>

#define LR_WUR __attribute__((warn_unused_result))
#define LR_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Fallible functions return 0 on success and -1 on failure.  On failure
 * they set *cause (when cause is not NULL) to a heap string, one line, no
 * trailing newline, that the caller frees.  A cause already set is
 * replaced (the old one is freed).
 */
int	lr_fail(char **cause, const char *fmt, ...) LR_PRINTF(2, 3);

/* Prefix an existing cause: "prefix: old cause". */
void	lr_cause_prefix(char **cause, const char *fmt, ...) LR_PRINTF(2, 3);

/* Tempo in quarter notes per minute: the default, and the range every
   part of latentroll accepts. */
#define LR_QPM_DEFAULT	120.0
#define LR_QPM_MIN	20.0
#define LR_QPM_MAX	400.0

/* Allocation that cannot fail: aborts with a message on out-of-memory. */
void	*lr_malloc(size_t n);
void	*lr_calloc(size_t n, size_t size);
void	*lr_realloc(void *p, size_t n);
char	*lr_strdup(const char *s);
/* "dir/name", newly allocated. */
char	*lr_path_join(const char *dir, const char *name);

#endif
