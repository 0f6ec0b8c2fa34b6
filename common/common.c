/*
 * common.c: error causes and checked allocation.
 * Out-of-memory is the one error that aborts (STYLE.md rule 10).
 */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set *cause to a formatted message and return -1. */
int
lr_fail(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (cause == NULL)
		return (-1);
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	free(*cause);
	*cause = s;
	return (-1);
}

/* Prefix an existing cause with more context. */
void
lr_cause_prefix(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*pre, *s;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&pre, fmt, ap) == -1)
		pre = NULL;
	va_end(ap);
	if (pre == NULL)
		return;
	if (asprintf(&s, "%s: %s", pre, *cause != NULL ? *cause : "error") == -1)
		s = NULL;
	free(pre);
	if (s == NULL)
		return;
	free(*cause);
	*cause = s;
}

static void
oom(size_t n)
{
	char	buf[96];
	int	len;

	len = snprintf(buf, sizeof buf, "latentroll: out of memory (%zu bytes)\n", n);
	if (len > 0)
		(void)write(STDERR_FILENO, buf, (size_t)len);
	abort();
}

void *
lr_malloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		oom(n);
	return (p);
}

void *
lr_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		oom(n * size);
	return (p);
}

void *
lr_realloc(void *p, size_t n)
{
	void	*q;

	if ((q = realloc(p, n == 0 ? 1 : n)) == NULL)
		oom(n);
	return (q);
}

char *
lr_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		oom(strlen(s) + 1);
	return (p);
}

char *
lr_path_join(const char *dir, const char *name)
{
	size_t	 n = strlen(dir) + strlen(name) + 2;
	char	*p = lr_malloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return (p);
}
