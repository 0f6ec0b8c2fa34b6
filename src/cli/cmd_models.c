/*
 * cmd_models.c: the models a user has.  `import DIR` checks a magenta.js
 * checkpoint folder (one downloaded from Google's catalogue, spec B 6.6,
 * or exported by latentroll), says what model it is, and copies it into
 * the user's model folder; `models` lists that folder and the shipped
 * models with their cards' figures.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic.h"
#include "jsonfile.h"
#include "modeldir.h"
#include "cmds.h"

/* Google's magenta.js checkpoints whose shapes latentroll loads (spec
   B 6.5, 6.6), by parameter count and kind. */
static const struct {
	size_t		 n_params;
	enum vae_kind	 kind;
	int		 steps;
	const char	*name;
} published[] = {
	{ 4423770, VAE_MELODY, 32, "mel_2bar_small" },
	{ 4636672, VAE_DRUMS, 32, "drums_2bar_lokl_small or "
	    "drums_2bar_hikl_small" },
	{ 11771994, VAE_MELODY, 256, "mel_16bar_small_q2" },
	{ 17636532, VAE_TRIO, 64, "trio_4bar (trio_4bar_lokl_small_q1)" },
};

static const char *
kind_name(enum vae_kind k)
{
	return (k == VAE_DRUMS ? "drums" : k == VAE_TRIO ? "trio" : "melody");
}

/* One line on what a model is: kind, length, decoder, sizes. */
static void
describe(const struct vae *v, char *buf, size_t len)
{
	const struct vae_arch	*a = &v->p.arch;
	size_t			 i, n = 0;

	n += snprintf(buf + n, len - n, "%s, %d bars (%d steps), %s "
	    "decoder, z %d, encoder %d, decoder %dx%d", kind_name(a->kind),
	    a->num_steps / 16, a->num_steps, a->num_segments > 0 ?
	    "hierarchical" : "flat", a->z_size, a->enc_size[0],
	    a->dec_layers, a->dec_size[0]);
	if (a->num_segments > 0 && n < len)
		n += snprintf(buf + n, len - n, ", conductor %d over %d "
		    "segments", a->cond_size[0], a->num_segments);
	if (n < len)
		n += snprintf(buf + n, len - n, ", %.1fM parameters",
		    v->p.n_params / 1e6);
	for (i = 0; i < sizeof published / sizeof published[0]; i++)
		if (published[i].n_params == v->p.n_params &&
		    published[i].kind == a->kind &&
		    published[i].steps == a->num_steps && n < len)
			n += snprintf(buf + n, len - n, "; the shapes of "
			    "Google's %s", published[i].name);
}

/* Every regular file of dir (a model folder is flat), read whole. */
static int
read_folder(const char *dir, struct atomic_file **out, int *n_out)
{
	struct atomic_file	*f = NULL;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	FILE			*fp;
	char			*path;
	void			*buf;
	int			 n = 0, rc = 0;

	if ((d = opendir(dir)) == NULL) {
		cmd_error("%s: %s", dir, strerror(errno));
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		path = lr_path_join(dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		buf = lr_malloc((size_t)st.st_size + 1);
		if ((fp = fopen(path, "rb")) == NULL ||
		    fread(buf, 1, st.st_size, fp) != (size_t)st.st_size) {
			cmd_error("%s: %s", path, fp == NULL ?
			    strerror(errno) : "read error");
			free(buf);
			rc = -1;
		} else {
			f = lr_realloc(f, (n + 1) * sizeof *f);
			f[n].name = lr_strdup(de->d_name);
			f[n].data = buf;
			f[n].len = st.st_size;
			n++;
		}
		if (fp != NULL)
			fclose(fp);
		free(path);
	}
	closedir(d);
	*out = f;
	*n_out = n;
	return (rc);
}

static void
free_folder(struct atomic_file *f, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free((char *)f[i].name);
		free((void *)f[i].data);
	}
	free(f);
}

/* The manifest last: it is what makes the other files a model. */
static int
manifest_last(const void *x, const void *y)
{
	const struct atomic_file *a = x, *b = y;

	if ((strcmp(a->name, CKPT_MANIFEST) == 0) !=
	    (strcmp(b->name, CKPT_MANIFEST) == 0))
		return (strcmp(a->name, CKPT_MANIFEST) == 0 ? 1 : -1);
	return (strcmp(a->name, b->name));
}

/* Every entry of the old folder is replaced: nothing is carried over. */
static int
own_all(const char *name)
{
	return (1);
}

/* The name a folder imports under: its last component. */
static const char *
base_name(const char *dir, char *buf, size_t len)
{
	size_t	n = strlen(dir);
	const char *slash;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s", (int)n, dir);
	slash = strrchr(buf, '/');
	return (slash != NULL ? slash + 1 : buf);
}

/*
 * latentroll import DIR [--name NAME] [--force]: load it whole (every
 * tensor, shape and number checked), say what it is, copy its files into
 * the user's model folder as one set.
 */
int
cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct atomic_file	*files = NULL;
	struct stat		 st;
	struct vae		*v;
	const char		*name = NULL;
	char			*cause = NULL, *user, *dest = NULL, what[512];
	char			*shipped, *other;
	char			 nb[PATH_MAX];
	int			 c, force = 0, n = 0, rc = CMD_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'f')
			force = 1;
		else
			return (cmd_usage("import"));
	}
	if (optind != argc - 1)
		return (cmd_usage("import"));
	if (name == NULL)
		name = base_name(argv[optind], nb, sizeof nb);
	if (*name == '\0' || *name == '.' || strchr(name, '/') != NULL) {
		cmd_error("--name %s: want a plain folder name", name);
		return (CMD_USAGE);
	}
	if ((user = cmd_user_models()) == NULL) {
		cmd_error("no home folder for the user's models");
		return (CMD_ERROR);
	}
	dest = lr_path_join(user, name);
	if (stat(dest, &st) == 0 && !force) {
		cmd_error("%s: exists; not replacing it (use --force)", dest);
		goto out;
	}
	if ((v = modeldir_load(argv[optind], &cause)) == NULL) {
		cmd_error("%s", cause);
		goto out;
	}
	describe(v, what, sizeof what);
	vae_free(v);
	printf("%s: %s\n", argv[optind], what);
	if (atomic_mkdir_p(user, NULL, &cause) != 0 ||
	    read_folder(argv[optind], &files, &n) != 0) {
		if (cause != NULL)
			cmd_error("%s", cause);
		goto out;
	}
	qsort(files, n, sizeof *files, manifest_last);
	if (atomic_dir_replace(dest, files, n, own_all, &cause) != 0) {
		cmd_error("%s", cause);
		goto out;
	}
	printf("imported as %s (%s): --model %s\n", name, dest, name);
	/* A name the shipped models have: the user's now stands first. */
	shipped = lr_path_join(cmd_datadir(), "models");
	other = lr_path_join(shipped, name);
	if (stat(other, &st) == 0)
		fprintf(stderr, "latentroll: note: --model %s now means this "
		    "import; the shipped %s is at %s\n", name, name, other);
	free(other);
	free(shipped);
	rc = CMD_OK;
out:
	free_folder(files, n);
	free(cause);
	free(dest);
	free(user);
	return (rc);
}

/* One line of `models` from a folder's card, or its config alone. */
static void
list_one(const char *dir, const char *name, const char *where)
{
	json_t		*card, *arch, *test;
	char		*path = lr_path_join(dir, "model_card.json");
	const char	*kind = NULL;
	long long	 steps = 0, params = 0, zs = 0;
	double		 tf = -1, sa = -1;

	card = jsonfile_load(path, NULL);
	free(path);
	if (card != NULL) {
		arch = json_object_get(card, "arch");
		test = json_object_get(card, "test");
		kind = json_string_value(json_object_get(arch, "name"));
		params = json_integer_value(json_object_get(arch,
		    "n_params"));
		zs = json_integer_value(json_object_get(arch, "z_size"));
		steps = json_integer_value(json_object_get(card, "steps"));
		if (json_is_number(json_object_get(test, "tf_acc")))
			tf = json_number_value(json_object_get(test,
			    "tf_acc"));
		if (json_is_number(json_object_get(test, "sampled_acc")))
			sa = json_number_value(json_object_get(test,
			    "sampled_acc"));
	}
	printf("%-20s %-8s %-10s", name, where, kind != NULL ? kind : "-");
	if (zs > 0)
		printf(" z %-4lld %6.1fM", zs, params / 1e6);
	else
		printf(" %-14s", "(no card)");
	if (tf >= 0 && sa >= 0)
		printf("  test %.3f / %.3f", tf, sa);
	if (steps > 0)
		printf("  %lld steps", steps);
	putchar('\n');
	json_decref(card);
}

/*
 * Every model folder (one with a manifest) in dir, sorted by name; one
 * that a model of the same name in shadow hides (--model NAME finds that
 * one first) says so.
 */
static int
list_folder(const char *dir, const char *where, const char *shadow,
    int *n_hidden)
{
	struct dirent	**de;
	char		 *sub, *man, *other;
	int		  i, n, shown = 0, hidden;

	if ((n = scandir(dir, &de, NULL, alphasort)) < 0)
		return (0);
	for (i = 0; i < n; i++) {
		sub = lr_path_join(dir, de[i]->d_name);
		man = lr_path_join(sub, CKPT_MANIFEST);
		if (de[i]->d_name[0] != '.' && access(man, R_OK) == 0) {
			hidden = 0;
			if (shadow != NULL) {
				other = lr_path_join(shadow, de[i]->d_name);
				free(man);
				man = lr_path_join(other, CKPT_MANIFEST);
				hidden = access(man, R_OK) == 0;
				free(other);
			}
			list_one(sub, de[i]->d_name, hidden ? "hidden" : where);
			*n_hidden += hidden;
			shown++;
		}
		free(man);
		free(sub);
		free(de[i]);
	}
	free(de);
	return (shown);
}

/* latentroll models: the user's models, then the shipped ones. */
int
cmd_models(int argc, char **argv)
{
	char	*user, *shipped;
	int	 n = 0, hid = 0;

	if (argc != 1)
		return (cmd_usage("models"));
	user = cmd_user_models();
	shipped = lr_path_join(cmd_datadir(), "models");
	printf("%-20s %-8s %-10s %-14s  %s\n", "NAME", "WHERE", "ARCH",
	    "SIZE", "TEST TF / SAMPLED ACC, TRAINING");
	if (user != NULL)
		n += list_folder(user, "user", NULL, &hid);
	n += list_folder(shipped, "shipped", user, &hid);
	if (n == 0)
		printf("(none: the shipped models are not in %s; "
		    "--data-dir DIR)\n", shipped);
	printf("user models: %s\n", user != NULL ? user : "(no home)");
	if (hid > 0)
		printf("hidden: a shipped model behind a user model of its "
		    "name (--model %s/NAME reaches it)\n", shipped);
	free(user);
	free(shipped);
	return (CMD_OK);
}
