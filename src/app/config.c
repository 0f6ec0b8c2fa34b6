/*
 * config.c: read and write the XDG config file (format in config.h).
 * Plain stdio; the file is tiny and read once at startup.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

static char	*trim(char *);
static int	 mkdirs(const char *);

/* Defaults: nothing chosen, no bindings. */
void
config_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->program = -1;
}

/* Set what the config chooses for the player. */
void
config_live_opts(const struct config *c, struct live_opts *o)
{
	if (c->channel >= 1 && c->channel <= 16)
		o->channel = c->channel - 1;
	if (c->soundfont[0] != '\0')
		o->soundfont = c->soundfont;
	if (c->program >= 0 && c->program <= 127) {
		o->program_fixed = 1;
		o->program = c->program;
	}
}

/* A whole number in [lo, hi], or -1. */
static int
parse_int(const char *v, int lo, int hi)
{
	char	*end;
	long	 n;

	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < lo || n > hi)
		return (-1);
	return ((int)n);
}

/* $XDG_CONFIG_HOME/latentroll/config or $HOME/.config/latentroll/config. */
char *
config_path(void)
{
	const char	*x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	char		*p;
	size_t		 len;

	if (x != NULL && *x == '/') {
		len = strlen(x) + sizeof "/latentroll/config";
		p = lr_malloc(len);
		snprintf(p, len, "%s/latentroll/config", x);
		return (p);
	}
	if (h == NULL || *h == '\0')
		return (NULL);
	len = strlen(h) + sizeof "/.config/latentroll/config";
	p = lr_malloc(len);
	snprintf(p, len, "%s/.config/latentroll/config", h);
	return (p);
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

/* Add or replace the binding of b->target (one CC per target). */
void
config_bind(struct config *c, const struct live_binding *b)
{
	size_t	i;

	for (i = 0; i < c->n_bindings; i++)
		if (strcmp(c->bindings[i].target, b->target) == 0) {
			c->bindings[i] = *b;
			return;
		}
	if (c->n_bindings < CONFIG_MAX_BINDINGS)
		c->bindings[c->n_bindings++] = *b;
}

static int
parse_bind(struct config *c, char *v)
{
	struct live_binding	 b;
	char			 chs[8], target[LIVE_TARGET_MAX];
	int			 cc;

	memset(&b, 0, sizeof b);
	if (sscanf(v, "%7s %d %31s", chs, &cc, target) != 3 || cc < 0 ||
	    cc > 127)
		return (-1);
	if (strcmp(chs, "*") == 0)
		b.channel = -1;
	else {
		b.channel = atoi(chs) - 1;
		if (b.channel < 0 || b.channel > 15)
			return (-1);
	}
	b.cc = cc;
	snprintf(b.target, sizeof b.target, "%s", target);
	config_bind(c, &b);
	return (0);
}

/* Load the config; a missing file is not an error. */
/* One "key = value" line of path into c; -1 with a cause naming the line. */
static int
config_set(struct config *c, char *k, char *v, const char *path,
    int lineno, char **cause)
{
	if (strcmp(k, "out") == 0)
		snprintf(c->out, sizeof c->out, "%s", v);
	else if (strcmp(k, "in") == 0)
		snprintf(c->in, sizeof c->in, "%s", v);
	else if (strcmp(k, "soundfont") == 0)
		snprintf(c->soundfont, sizeof c->soundfont, "%s", v);
	else if (strcmp(k, "latency") == 0) {
		if ((c->latency_ms = parse_int(v, 0, 1000)) < 0)
			return (lr_fail(cause, "%s:%d: latency %s not in "
			    "0..1000 ms", path, lineno, v));
	} else if (strcmp(k, "channel") == 0) {
		c->channel = parse_int(v, 1, 16);
		if (c->channel < 0 || c->channel == 10)
			return (lr_fail(cause, "%s:%d: channel %s: want 1..16, "
			    "not 10 (the drums')", path, lineno, v));
	} else if (strcmp(k, "program") == 0) {
		if ((c->program = parse_int(v, 0, 127)) < 0)
			return (lr_fail(cause, "%s:%d: program %s not in "
			    "0..127", path, lineno, v));
	} else if (strcmp(k, "clock") == 0) {
		if (strcmp(v, "internal") == 0)
			c->clock = CONFIG_CLOCK_INTERNAL;
		else if (strcmp(v, "follow") == 0)
			c->clock = CONFIG_CLOCK_FOLLOW;
		else if (strcmp(v, "master") == 0)
			c->clock = CONFIG_CLOCK_MASTER;
		else
			return (lr_fail(cause, "%s:%d: clock is internal, "
			    "follow or master, not \"%s\"", path, lineno, v));
	} else if (strcmp(k, "precision") == 0) {
		if (strcmp(v, "fp32") == 0)
			c->precision = CONFIG_PREC_FP32;
		else if (strcmp(v, "bf16") == 0)
			c->precision = CONFIG_PREC_BF16;
		else if (strcmp(v, "fp16") == 0)
			c->precision = CONFIG_PREC_FP16;
		else
			return (lr_fail(cause, "%s:%d: precision is bf16, "
			    "fp16 or fp32, not \"%s\"", path, lineno, v));
	} else if (strcmp(k, "bind") == 0) {
		if (parse_bind(c, v) != 0)
			return (lr_fail(cause, "%s:%d: bind wants CHANNEL(1-16 "
			    "or *) CC(0-127) TARGET", path, lineno));
	} else if (strncmp(k, "key ", 4) == 0) {
		if (c->n_keys < CONFIG_MAX_KEYS) {
			snprintf(c->keys[c->n_keys].command,
			    sizeof c->keys[0].command, "%s", trim(k + 4));
			snprintf(c->keys[c->n_keys].key,
			    sizeof c->keys[0].key, "%s", v);
			c->n_keys++;
		}
	} else
		return (lr_fail(cause, "%s:%d: unknown setting \"%s\"", path,
		    lineno, k));
	return (0);
}

int
config_load(struct config *c, const char *path, char **cause)
{
	FILE	*f;
	char	 line[512], *k, *v, *eq, *def = NULL;
	int	 lineno = 0, r = -1;

	config_init(c);
	if (path == NULL && (path = def = config_path()) == NULL)
		return (0);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			r = 0;
		else
			lr_fail(cause, "%s: %s", path, strerror(errno));
		c->bad = r != 0;
		free(def);
		return (r);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if ((k = strchr(line, '#')) != NULL)
			*k = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			lr_fail(cause, "%s:%d: expected key = value", path,
			    lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (config_set(c, k, v, path, lineno, cause) != 0)
			goto out;
	}
	if (ferror(f))
		lr_fail(cause, "%s: read error", path);
	else
		r = 0;
out:
	c->bad = r != 0;
	fclose(f);
	free(def);
	return (r);
}

/* mkdir -p of the directory part of path. */
static int
mkdirs(const char *path)
{
	char	*d = lr_strdup(path), *p;

	for (p = d + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0755) != 0 && errno != EEXIST) {
			free(d);
			return (-1);
		}
		*p = '/';
	}
	free(d);
	return (0);
}

/* The settings' lines, for atomic_write. */
static int
fill_config(FILE *f, void *arg, char **cause)
{
	const struct config	*c = arg;
	size_t			 i;

	(void)cause;
	fprintf(f, "# latentroll settings (written by latentroll)\n");
	if (c->out[0] != '\0')
		fprintf(f, "out = %s\n", c->out);
	if (c->in[0] != '\0')
		fprintf(f, "in = %s\n", c->in);
	if (c->soundfont[0] != '\0')
		fprintf(f, "soundfont = %s\n", c->soundfont);
	if (c->latency_ms > 0)
		fprintf(f, "latency = %d\n", c->latency_ms);
	if (c->channel >= 1 && c->channel <= 16)
		fprintf(f, "channel = %d\n", c->channel);
	if (c->program >= 0 && c->program <= 127)
		fprintf(f, "program = %d\n", c->program);
	if (c->clock != CONFIG_CLOCK_INTERNAL)
		fprintf(f, "clock = %s\n", c->clock == CONFIG_CLOCK_FOLLOW ?
		    "follow" : "master");
	if (c->precision != CONFIG_PREC_FP32)
		fprintf(f, "precision = %s\n", c->precision ==
		    CONFIG_PREC_BF16 ? "bf16" : "fp16");
	for (i = 0; i < c->n_bindings; i++) {
		if (c->bindings[i].channel < 0)
			fprintf(f, "bind = * %d %s\n", c->bindings[i].cc,
			    c->bindings[i].target);
		else
			fprintf(f, "bind = %d %d %s\n",
			    c->bindings[i].channel + 1, c->bindings[i].cc,
			    c->bindings[i].target);
	}
	for (i = 0; i < c->n_keys; i++)
		fprintf(f, "key %s = %s\n", c->keys[i].command,
		    c->keys[i].key);
	return (ferror(f) ? -1 : 0);
}

/* Save atomically (atomic_write), making the folder first. */
int
config_save(const struct config *c, const char *path, char **cause)
{
	char	*def = NULL;
	int	 r;

	if (path == NULL && (path = def = config_path()) == NULL)
		return (lr_fail(cause, "config: neither XDG_CONFIG_HOME nor "
		    "HOME is set"));
	if (c->bad) {
		lr_fail(cause, "%s: did not load, so it is not rewritten (fix "
		    "it; the binding holds until quit)", path);
		free(def);
		return (-1);
	}
	if (mkdirs(path) != 0) {
		lr_fail(cause, "%s: %s", path, strerror(errno));
		free(def);
		return (-1);
	}
	r = atomic_write(path, fill_config, (void *)c, cause);
	free(def);
	return (r);
}
