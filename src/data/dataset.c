/*
 * dataset.c: MIDI directory -> token windows, split by file-name hash,
 * cached, served shuffled and transposed.  See dataset.h for the rules.
 */
#include "dataset.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "abcfile.h"
#include "convert.h"
#include "midifile.h"

#define CACHE_MAGIC	"LRWINDOW"
#define CACHE_VERSION	2	/* 2: the report counts windows per meter */
#define MAX_REASONS	12
#define MAX_SOURCES	16

/* A MIDI file, or one tune of an ABC file. */
struct file_ent {
	char		*path;		/* full path (owned by tune <= 0) */
	const char	*rel;		/* relative to the data directory */
	long long	 size;
	int		 tune;		/* ABC reference number, or -1 */
	int		 owner;		/* frees path */
};

/* Windows per top-level folder of the data directory (a corpus). */
#define MAX_METERS	8
struct sources {
	char	*name[MAX_SOURCES];
	int	 used[MAX_SOURCES];
	int	 n[MAX_SOURCES][DATASET_NSPLITS];
	int	 count;
	/* Windows per source and meter (a file's first time signature). */
	char	 meter[MAX_METERS][16];
	int	 nm;
	int	 by_meter[MAX_SOURCES][MAX_METERS];
};

struct file_list {
	struct file_ent	*f;
	int		 n, cap;
};

/* Growing window buffer for one split. */
struct wbuf {
	int	*tok;
	int	 n, cap;
};

struct reasons;
static void	reason_add(struct reasons *, const char *);

/* Why files were dropped: grouped by the text with its numbers blanked,
   shown by the first one seen ("3/4 gives 12 steps per bar"). */
struct reasons {
	char	*key[MAX_REASONS];	/* numbers as "N" */
	char	*text[MAX_REASONS];	/* the first of the group */
	int	 varied[MAX_REASONS];	/* others had other numbers */
	int	 count[MAX_REASONS + 1];	/* last: "other" */
	int	 n;
};

uint32_t
dataset_name_hash(const char *path)
{
	const char	*base = strrchr(path, '/');
	uint32_t	 h = 2166136261u;

	base = base != NULL ? base + 1 : path;
	for (; *base != '\0'; base++) {
		h ^= (unsigned char)*base;
		h *= 16777619u;
	}
	return (h);
}

enum dataset_split
dataset_split_of(const char *path)
{
	uint32_t	b = dataset_name_hash(path) % 100;

	if (b < 90)
		return (DATASET_TRAIN);
	return (b < 95 ? DATASET_VALID : DATASET_TEST);
}

static uint64_t
fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ull;
	}
	return (h);
}

static int
is_midi(const char *name)
{
	const char	*dot = strrchr(name, '.');

	return (dot != NULL && (strcasecmp(dot, ".mid") == 0 ||
	    strcasecmp(dot, ".midi") == 0));
}

/*
 * The fingerprint hashes file contents, not modification times: a corpus
 * copied or re-provisioned (a restarted machine) is the same corpus, and a
 * run must resume on it. Reading ~5 MB costs a few milliseconds.
 */
static uint64_t
hash_file(uint64_t h, const char *path)
{
	FILE	*f;
	char	 buf[65536];
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return (fnv64(h, "?", 1));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		h = fnv64(h, buf, n);
	fclose(f);
	return (h);
}

static int
walk(struct file_list *fl, const char *dir, size_t root_len, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*path;
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return (lr_fail(cause, "%s: %s", dir, strerror(errno)));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = strlen(dir) + strlen(de->d_name) + 2;
		path = lr_malloc(len);
		snprintf(path, len, "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (walk(fl, path, root_len, cause) != 0) {
				free(path);
				closedir(d);
				return (-1);
			}
			free(path);
			continue;
		}
		if (!S_ISREG(sb.st_mode) || (!is_midi(de->d_name) &&
		    !abcfile_is_abc(de->d_name))) {
			free(path);
			continue;
		}
		if (fl->n == fl->cap) {
			fl->cap = fl->cap ? 2 * fl->cap : 256;
			fl->f = lr_realloc(fl->f, fl->cap * sizeof *fl->f);
		}
		fl->f[fl->n].path = path;
		fl->f[fl->n].rel = path + root_len + 1;
		fl->f[fl->n].size = sb.st_size;
		fl->f[fl->n].tune = abcfile_is_abc(de->d_name) ? 0 : -1;
		fl->f[fl->n].owner = 1;
		fl->n++;
	}
	closedir(d);
	return (0);
}

/*
 * dir, or several folders joined by commas (corpora side by side): each
 * file's relative name then starts with its folder's last component, so
 * the report can count windows per corpus.  One folder keeps names
 * relative to itself (and the fingerprints of runs made before).
 */
static int
walk_all(struct file_list *fl, const char *dir, char **cause)
{
	struct stat	 st;
	struct {
		dev_t	dev;
		ino_t	ino;
	}		*seen;
	char		*list, *d, *next, *base;
	size_t		 len;
	int		 rc = 0, n = 0, i;

	if (strchr(dir, ',') == NULL) {
		if (*dir == '\0')
			return (lr_fail(cause, "no data folder named"));
		return (walk(fl, dir, strlen(dir), cause));
	}
	list = lr_strdup(dir);
	seen = lr_calloc(strlen(dir) + 1, sizeof *seen);
	for (d = list; d != NULL && rc == 0; d = next) {
		if ((next = strchr(d, ',')) != NULL)
			*next++ = '\0';
		/* "a,,b" or "a,": a slip, not a folder. */
		if (*d == '\0') {
			rc = lr_fail(cause, "%s: an empty name in the list of "
			    "data folders", dir);
			break;
		}
		len = strlen(d);
		while (len > 1 && d[len - 1] == '/')
			d[--len] = '\0';
		/* The same folder twice ("a,./a/") would count its
		   windows twice and weigh that corpus double. */
		if (stat(d, &st) == 0) {
			for (i = 0; i < n; i++)
				if (seen[i].dev == st.st_dev &&
				    seen[i].ino == st.st_ino)
					break;
			if (i < n) {
				rc = lr_fail(cause, "%s: named twice in the "
				    "list of data folders", d);
				break;
			}
			seen[n].dev = st.st_dev;
			seen[n++].ino = st.st_ino;
		}
		base = strrchr(d, '/');
		/* Names start at the folder's own name: "nottingham/x.mid". */
		rc = walk(fl, d, base != NULL ? (size_t)(base - d) : (size_t)-1,
		    cause);
	}
	free(seen);
	free(list);
	return (rc);
}

static int
cmp_file(const void *a, const void *b)
{
	return (strcmp(((const struct file_ent *)a)->rel,
	    ((const struct file_ent *)b)->rel));
}

/*
 * Each ABC file becomes one entry per tune, in file order; a file with no
 * tune is dropped with a reason.
 */
static void
expand_abc(struct file_list *fl, struct reasons *rs)
{
	struct file_list	 out;
	char			*cause = NULL;
	int			*xs, nx, i, k;

	memset(&out, 0, sizeof out);
	for (i = 0; i < fl->n; i++) {
		xs = NULL;
		nx = 1;
		if (fl->f[i].tune >= 0 &&
		    abcfile_tunes(fl->f[i].path, &xs, &nx, &cause) != 0) {
			const char *c = strstr(cause, ": ");

			reason_add(rs, c != NULL ? c + 2 : cause);
			free(fl->f[i].path);
			continue;
		}
		for (k = 0; k < nx; k++) {
			if (out.n == out.cap) {
				out.cap = out.cap ? 2 * out.cap : 256;
				out.f = lr_realloc(out.f, out.cap *
				    sizeof *out.f);
			}
			out.f[out.n] = fl->f[i];
			out.f[out.n].owner = k == 0;
			if (xs != NULL)
				out.f[out.n].tune = xs[k];
			out.n++;
		}
		free(xs);
	}
	free(cause);
	free(fl->f);
	*fl = out;
}

/* The name a file's split is drawn from: its basename, "NAME#X" for tune
   X of an ABC file. */
static enum dataset_split
split_of(const struct file_ent *fe)
{
	char	buf[1024];

	if (fe->tune < 0)
		return (dataset_split_of(fe->path));
	snprintf(buf, sizeof buf, "%s#%d", fe->path, fe->tune);
	return (dataset_split_of(buf));
}

/* The source (top-level folder, or "." for files at the top) of rel. */
static int
source_of(struct sources *so, const char *rel)
{
	const char	*slash = strchr(rel, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - rel) : 1;
	int		 i;

	if (slash == NULL)
		rel = ".";
	for (i = 0; i < so->count; i++)
		if (strlen(so->name[i]) == n &&
		    strncmp(so->name[i], rel, n) == 0)
			return (i);
	if (so->count == MAX_SOURCES)
		return (MAX_SOURCES - 1);
	so->name[so->count] = lr_malloc(n + 1);
	memcpy(so->name[so->count], rel, n);
	so->name[so->count][n] = '\0';
	return (so->count++);
}

/*
 * The index in so of the meter seq's windows came from: its first time
 * signature of 16 sixteenths per bar (8 with two_four), the stretches the
 * converter takes (a file that opens in 6/8 and goes on in 4/4 gives 4/4
 * windows); the last slot takes any meter past MAX_METERS.
 */
static int
meter_of(struct sources *so, const struct noteseq *seq, int two_four)
{
	char	m[16];
	size_t	k;
	int	i, num = 4, den = 4, per;

	for (k = 0; k < seq->n_timesigs; k++) {
		if (seq->timesigs[k].den <= 0)
			continue;
		per = seq->timesigs[k].num * 16 / seq->timesigs[k].den;
		if (per == 16 || (two_four && per == 8)) {
			num = seq->timesigs[k].num;
			den = seq->timesigs[k].den;
			break;
		}
	}
	snprintf(m, sizeof m, "%d/%d", num, den);
	for (i = 0; i < so->nm; i++)
		if (strcmp(so->meter[i], m) == 0)
			return (i);
	if (so->nm == MAX_METERS)
		return (MAX_METERS - 1);
	memcpy(so->meter[so->nm], m, sizeof m);
	return (so->nm++);
}

/* ", by meter 4/4 N, 2/2 N" of source src into line (cap bytes). */
static void
meters_line(char *line, size_t cap, const struct sources *so, int src)
{
	size_t	n = strlen(line);
	int	i, first = 1;

	for (i = 0; i < so->nm && n < cap; i++) {
		if (so->by_meter[src][i] == 0)
			continue;
		snprintf(line + n, cap - n, "%s %s %d", first ? "; by meter" :
		    ",", so->meter[i], so->by_meter[src][i]);
		n = strlen(line);
		first = 0;
	}
}

/* Group drop reasons by their text with the numbers blanked out. */
static void
reason_add(struct reasons *rs, const char *why)
{
	char		 buf[160];
	const char	*w;
	size_t		 o = 0;
	int		 i;

	if (why == NULL)
		why = "no window";
	for (w = why; *w != '\0' && o < sizeof buf - 1; w++) {
		if (isdigit((unsigned char)*w)) {
			if (o == 0 || buf[o - 1] != 'N')
				buf[o++] = 'N';
			continue;
		}
		buf[o++] = *w;
	}
	buf[o] = '\0';
	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->key[i], buf) == 0) {
			rs->count[i]++;
			if (strcmp(rs->text[i], why) != 0)
				rs->varied[i] = 1;
			return;
		}
	if (rs->n < MAX_REASONS) {
		rs->key[rs->n] = lr_strdup(buf);
		rs->text[rs->n] = lr_strdup(why);
		rs->varied[rs->n] = 0;
		rs->count[rs->n++] = 1;
	} else
		rs->count[MAX_REASONS]++;
}

static void
reasons_free(struct reasons *rs)
{
	int	i;

	for (i = 0; i < rs->n; i++) {
		free(rs->key[i]);
		free(rs->text[i]);
	}
	rs->n = 0;
}

static void
wbuf_add(struct wbuf *wb, const int *tok, int len)
{
	if (wb->n == wb->cap) {
		wb->cap = wb->cap ? 2 * wb->cap : 1024;
		wb->tok = lr_realloc(wb->tok, (size_t)wb->cap * len *
		    sizeof *wb->tok);
	}
	memcpy(wb->tok + (size_t)wb->n * len, tok, len * sizeof *tok);
	wb->n++;
}

/* ------------------------------------------------------------------ */
/* Cache. */

static void
put32(FILE *f, uint32_t v)
{
	unsigned char	b[4] = { v, v >> 8, v >> 16, v >> 24 };

	fwrite(b, 1, 4, f);
}

static int
get32(FILE *f, uint32_t *v)
{
	unsigned char	b[4];

	if (fread(b, 1, 4, f) != 4)
		return (-1);
	*v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return (0);
}

static char *
cache_path(const char *cache_dir, const char *arch_name)
{
	size_t	len = strlen(cache_dir) + strlen(arch_name) + 32;
	char	*p = lr_malloc(len);

	snprintf(p, len, "%s/windows-%s.cache", cache_dir, arch_name);
	return (p);
}

/*
 * The cache is only trusted as far as it is checked: counts that fit the
 * file's size exactly (a huge or negative count was allocated as asked)
 * and tokens inside the model's classes (a token past them indexed the
 * one-hot tables of training out of bounds).
 */
static int
cache_read(struct dataset *ds, const char *path, const struct vae_arch *a)
{
	FILE		*f;
	struct stat	 sb;
	char		 magic[8];
	uint32_t	 v[5], lo, hi, cnt[5], rl;
	uint64_t	 need = 0;
	size_t		 len, i;
	int		 s;
	unsigned char	 b[2];

	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	if (fstat(fileno(f), &sb) != 0)
		goto bad;
	if (fread(magic, 1, 8, f) != 8 || memcmp(magic, CACHE_MAGIC, 8) != 0)
		goto bad;
	for (i = 0; i < 4; i++)
		if (get32(f, &v[i]) != 0)
			goto bad;
	if (get32(f, &lo) != 0 || get32(f, &hi) != 0)
		goto bad;
	if (v[0] != CACHE_VERSION || (int)v[1] != ds->steps ||
	    (int)v[2] != ds->S || v[3] != (uint32_t)ds->kind ||
	    ((uint64_t)hi << 32 | lo) != ds->fingerprint)
		goto bad;
	for (i = 0; i < 5; i++)
		if (get32(f, &cnt[i]) != 0)
			goto bad;
	if (get32(f, &rl) != 0 || rl > 1 << 20)
		goto bad;
	if (cnt[0] > INT32_MAX || cnt[1] > cnt[0])
		goto bad;
	for (s = 0; s < DATASET_NSPLITS; s++) {
		if (cnt[2 + s] > INT32_MAX)
			goto bad;
		need += (uint64_t)cnt[2 + s] * ds->steps * ds->S * 2;
	}
	/* 56 header bytes, the report, the windows: nothing more. */
	if ((uint64_t)sb.st_size != 56 + (uint64_t)rl + need)
		goto bad;
	ds->report = lr_malloc(rl + 1);
	if (fread(ds->report, 1, rl, f) != rl)
		goto bad;
	ds->report[rl] = '\0';
	for (s = 0; s < DATASET_NSPLITS; s++) {
		ds->n[s] = cnt[2 + s];
		len = (size_t)ds->n[s] * ds->steps * ds->S;
		ds->tok[s] = lr_malloc((len ? len : 1) * sizeof(int));
		for (i = 0; i < len; i++) {
			if (fread(b, 1, 2, f) != 2)
				goto bad;
			ds->tok[s][i] = b[0] | b[1] << 8;
			if (ds->tok[s][i] >= a->out_depth[i % ds->S])
				goto bad;
		}
	}
	fclose(f);
	/* Only now: a cache refused half way must leave the counts to
	   the extraction that follows (it added to them). */
	ds->n_files = cnt[0];
	ds->n_used = cnt[1];
	ds->from_cache = 1;
	return (0);
bad:
	fclose(f);
	for (s = 0; s < DATASET_NSPLITS; s++) {
		free(ds->tok[s]);
		ds->tok[s] = NULL;
		ds->n[s] = 0;
	}
	free(ds->report);
	ds->report = NULL;
	return (-1);
}

/* The cache file's bytes, for atomic_write. */
static int
fill_cache(FILE *f, void *arg, char **cause)
{
	const struct dataset	*ds = arg;
	size_t			 len, i;
	int			 s;
	unsigned char		 b[2];

	(void)cause;
	fwrite(CACHE_MAGIC, 1, 8, f);
	put32(f, CACHE_VERSION);
	put32(f, ds->steps);
	put32(f, ds->S);
	put32(f, ds->kind);
	put32(f, (uint32_t)ds->fingerprint);
	put32(f, (uint32_t)(ds->fingerprint >> 32));
	put32(f, ds->n_files);
	put32(f, ds->n_used);
	for (s = 0; s < DATASET_NSPLITS; s++)
		put32(f, ds->n[s]);
	put32(f, strlen(ds->report));
	fwrite(ds->report, 1, strlen(ds->report), f);
	for (s = 0; s < DATASET_NSPLITS; s++) {
		len = (size_t)ds->n[s] * ds->steps * ds->S;
		for (i = 0; i < len; i++) {
			b[0] = ds->tok[s][i] & 0xff;
			b[1] = ds->tok[s][i] >> 8;
			fwrite(b, 1, 2, f);
		}
	}
	return (ferror(f) ? -1 : 0);
}

/*
 * Save the cache (atomic_write).  It only saves time later, so a failure
 * is said in the report, not fatal.
 */
static void
cache_write(struct dataset *ds, const char *path)
{
	char	*cause = NULL, line[512];
	size_t	 n;

	if (atomic_write(path, fill_cache, ds, &cause) == 0)
		return;
	snprintf(line, sizeof line, "  windows not cached: %s\n", cause);
	n = strlen(ds->report);
	ds->report = lr_realloc(ds->report, n + strlen(line) + 1);
	memcpy(ds->report + n, line, strlen(line) + 1);
	free(cause);
}

/* ------------------------------------------------------------------ */
/* Extraction. */

/*
 * A file's notes: MIDI by libsmf, an ABC tune through abc2midi in a
 * temporary folder made on first use (*have_tmp: 1 made, -1 failed).
 */
static int
load_file(const struct file_ent *f, char *tmpdir, size_t tmplen,
    int *have_tmp, struct noteseq *seq, char **cause)
{
	const char	*t;

	if (f->tune < 0)
		return (midifile_load(f->path, seq, cause));
	if (*have_tmp == 0) {
		t = getenv("TMPDIR");
		snprintf(tmpdir, tmplen, "%s/lr-abc.XXXXXX",
		    t != NULL && strlen(t) < 40 ? t : "/tmp");
		*have_tmp = mkdtemp(tmpdir) != NULL ? 1 : -1;
	}
	if (*have_tmp < 0)
		return (lr_fail(cause, "%s: no temporary folder for abc2midi",
		    f->path));
	return (abcfile_load(f->path, f->tune, tmpdir, seq, cause));
}

/* Add a file's windows to its split, each once (Magenta keeps a set of
   tuples per file); how many were new. */
static int
keep_windows(struct wbuf *wb, const struct windows *w, int len)
{
	int	j, k, dup, kept = 0;

	for (j = 0; j < w->n; j++) {
		dup = 0;
		for (k = 0; k < j && !dup; k++)
			dup = memcmp(w->tokens + (size_t)k * len,
			    w->tokens + (size_t)j * len,
			    len * sizeof(int)) == 0;
		if (dup)
			continue;
		wbuf_add(wb, w->tokens + (size_t)j * len, len);
		kept++;
	}
	return (kept);
}

/* Append a line to the report, growing it. */
static void
report_add(struct dataset *ds, size_t *rlen, size_t *rcap, const char *line)
{
	size_t	n = strlen(line);

	if (*rlen + n + 1 > *rcap) {
		*rcap = (*rlen + n + 1) * 2;
		ds->report = lr_realloc(ds->report, *rcap);
	}
	memcpy(ds->report + *rlen, line, n + 1);
	*rlen += n;
}

/* What was used and what was dropped, and why (frees the reasons). */
static void
write_report(struct dataset *ds, struct sources *so, struct reasons *rs,
    int total)
{
	char	line[512];
	size_t	rlen = 0, rcap = 4096;
	int	i;

	ds->report = lr_malloc(rcap);
	ds->report[0] = '\0';
	snprintf(line, sizeof line, "%d MIDI files and ABC tunes, %d used, "
	    "%d windows of %d steps (train %d, valid %d, test %d)",
	    ds->n_files, ds->n_used, total, ds->steps, ds->n[0], ds->n[1],
	    ds->n[2]);
	if (so->count == 1)
		meters_line(line, sizeof line - 1, so, 0);
	strcat(line, "\n");
	report_add(ds, &rlen, &rcap, line);
	/* Per corpus, when there are several. */
	for (i = 0; so->count > 1 && i < so->count; i++) {
		snprintf(line, sizeof line, "  from %s: %d used, %d windows "
		    "(train %d, valid %d, test %d)", so->name[i],
		    so->used[i], so->n[i][0] + so->n[i][1] + so->n[i][2],
		    so->n[i][0], so->n[i][1], so->n[i][2]);
		meters_line(line, sizeof line - 1, so, i);
		strcat(line, "\n");
		report_add(ds, &rlen, &rcap, line);
	}
	for (i = 0; i < so->count; i++)
		free(so->name[i]);
	for (i = 0; i <= rs->n; i++) {
		if (i == rs->n && rs->count[MAX_REASONS] == 0)
			break;
		snprintf(line, sizeof line, "  dropped %d: %s%s\n",
		    i < rs->n ? rs->count[i] : rs->count[MAX_REASONS],
		    i < rs->n ? rs->text[i] : "other reasons",
		    i < rs->n && rs->varied[i] ? " (the first of them; the "
		    "others' numbers differ)" : "");
		report_add(ds, &rlen, &rcap, line);
	}
	reasons_free(rs);
}

static int
extract(struct dataset *ds, const struct file_list *fl,
    const struct vae_arch *a, int flags, struct reasons *rsp)
{
	struct convert_opts	 o;
	struct wbuf		 wb[DATASET_NSPLITS];
	struct reasons		 rs = *rsp;
	struct sources		 so;
	struct noteseq		 seq;
	struct windows		 w;
	char			*cause = NULL, tmpdir[64];
	int			 i, sp, kept, total = 0, src, have_tmp = 0;

	memset(wb, 0, sizeof wb);
	memset(&so, 0, sizeof so);
	memset(&o, 0, sizeof o);
	o.kind = data_conv_kind(a->kind);
	o.track = -1;
	o.channel = -1;
	o.steps = ds->steps;
	o.two_four = (flags & DATASET_TWO_FOUR) != 0;
	for (i = 0; i < fl->n; i++) {
		if (load_file(&fl->f[i], tmpdir, sizeof tmpdir, &have_tmp, &seq,
		    &cause) != 0) {
			/* the cause starts with the path: keep the rest */
			const char *c = strstr(cause, ": ");

			reason_add(&rs, c != NULL ? c + 2 : cause);
			continue;
		}
		windows_init(&w);
		if (convert_windows(&seq, &o, &w, &cause) != 0)
			reason_add(&rs, cause);
		else if (w.n == 0)
			reason_add(&rs, w.why);
		else {
			sp = split_of(&fl->f[i]);
			src = source_of(&so, fl->f[i].rel);
			kept = keep_windows(&wb[sp], &w, ds->steps * ds->S);
			so.n[src][sp] += kept;
			so.by_meter[src][meter_of(&so, &seq, o.two_four)] += kept;
			total += kept;
			so.used[src]++;
			ds->n_used++;
		}
		noteseq_free(&seq);
		windows_free(&w);
	}
	free(cause);
	for (sp = 0; sp < DATASET_NSPLITS; sp++) {
		ds->n[sp] = wb[sp].n;
		ds->tok[sp] = wb[sp].tok != NULL ? wb[sp].tok :
		    lr_malloc(sizeof(int));
	}
	if (have_tmp > 0)
		rmdir(tmpdir);
	write_report(ds, &so, &rs, total);
	return (total);
}

void
dataset_cache_save(struct dataset *ds, const char *cache_dir,
    const char *arch_name)
{
	char	*cp;

	if (ds->from_cache)
		return;
	cp = cache_path(cache_dir, arch_name);
	cache_write(ds, cp);
	free(cp);
}

int
dataset_load(struct dataset *ds, const char *dir, const struct vae_arch *a,
    const char *cache_dir, const char *arch_name, int flags, char **cause)
{
	struct file_list	 fl;
	struct reasons		 rs;
	char			*cp = NULL;
	int			 i, total, fflags;
	uint64_t		 h = 14695981039346656037ull;

	memset(ds, 0, sizeof *ds);
	memset(&fl, 0, sizeof fl);
	memset(&rs, 0, sizeof rs);
	ds->steps = a->num_steps;
	ds->S = a->n_splits;
	ds->kind = a->kind;
	if (walk_all(&fl, dir, cause) != 0) {
		/* The folders before the one refused were listed. */
		for (i = 0; i < fl.n; i++)
			if (fl.f[i].owner)
				free(fl.f[i].path);
		free(fl.f);
		return (-1);
	}
	if (fl.n == 0) {
		free(fl.f);
		return (lr_fail(cause, "%s: no .mid, .midi or .abc files",
		    dir));
	}
	/* Sorted, so the fingerprint and the window order do not depend on
	   readdir's order. */
	qsort(fl.f, fl.n, sizeof *fl.f, cmp_file);
	for (i = 0; i < fl.n; i++) {
		h = fnv64(h, fl.f[i].rel, strlen(fl.f[i].rel) + 1);
		h = fnv64(h, &fl.f[i].size, sizeof fl.f[i].size);
		h = hash_file(h, fl.f[i].path);
	}
	expand_abc(&fl, &rs);
	ds->n_files = fl.n;
	h = fnv64(h, &ds->steps, sizeof ds->steps);
	h = fnv64(h, &ds->S, sizeof ds->S);
	/* Only what changes the windows: 0 keeps the fingerprints of
	   earlier runs. */
	if ((fflags = flags & ~DATASET_NO_CACHE_WRITE) != 0)
		h = fnv64(h, &fflags, sizeof fflags);
	ds->fingerprint = h;

	if (cache_dir != NULL) {
		cp = cache_path(cache_dir, arch_name);
		if (cache_read(ds, cp, a) == 0) {
			reasons_free(&rs);
			goto done;
		}
	}
	total = extract(ds, &fl, a, flags, &rs);
	if (total == 0) {
		lr_fail(cause, "%s: no usable window in %d files (%s)", dir,
		    fl.n, ds->report);
		for (i = 0; (*cause)[i] != '\0'; i++)
			if ((*cause)[i] == '\n')
				(*cause)[i] = ' ';
		goto fail;
	}
	/* An empty split is the caller's business: eval of a folder of
	   test tunes needs no train window, train does. */
	if (cp != NULL && !(flags & DATASET_NO_CACHE_WRITE))
		cache_write(ds, cp);
done:
	free(cp);
	for (i = 0; i < fl.n; i++)
		if (fl.f[i].owner)
			free(fl.f[i].path);
	free(fl.f);
	return (0);
fail:
	free(cp);
	for (i = 0; i < fl.n; i++)
		if (fl.f[i].owner)
			free(fl.f[i].path);
	free(fl.f);
	dataset_free(ds);
	return (-1);
}

void
dataset_free(struct dataset *ds)
{
	int	s;

	for (s = 0; s < DATASET_NSPLITS; s++) {
		free(ds->tok[s]);
		ds->tok[s] = NULL;
	}
	free(ds->report);
	ds->report = NULL;
}

/* Fisher-Yates from a generator seeded by (seed, epoch) only. */
void
dataset_permutation(int *perm, int n, uint64_t seed, long epoch)
{
	struct rng	r;
	int		i, j, t;

	rng_seed(&r, seed * 0x9e3779b97f4a7c15ull + (uint64_t)epoch + 1);
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = rng_below(&r, i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

/* Melody classes 2..89 are pitches 21..108: a shift moves them. */
static void
pitch_span(const int *tok, int steps, int S, int part, int *lo, int *hi)
{
	int	t, c;

	for (t = 0; t < steps; t++) {
		c = tok[t * S + part];
		if (c < 2)
			continue;
		if (c < *lo)
			*lo = c;
		if (c > *hi)
			*hi = c;
	}
}

int
dataset_default_shift(enum vae_kind kind)
{
	/* Spec B 1.2 has Magenta augment 2-bar melody only; part A (our
	   shipped models) asks for transposition within 21..108 for every
	   model with pitches.  dataset_window moves trio melody and bass by
	   one shift and never moves drums. */
	return (kind == VAE_DRUMS ? 0 : 5);
}

void
dataset_window(const struct dataset *ds, enum dataset_split split, int idx,
    int max_shift, struct rng *r, int *out)
{
	size_t	 len = (size_t)ds->steps * ds->S;
	int	 lo = 1000, hi = -1, smin, smax, shift, t, p, parts;

	memcpy(out, ds->tok[split] + (size_t)idx * len, len * sizeof *out);
	if (max_shift <= 0 || ds->kind == VAE_DRUMS)
		return;
	parts = ds->kind == VAE_TRIO ? 2 : 1;	/* melody (and bass) */
	for (p = 0; p < parts; p++)
		pitch_span(out, ds->steps, ds->S, p, &lo, &hi);
	/* The shift range is narrowed so no note leaves 21..108 (rather
	   than deleting notes as Magenta does): a window stays whole. */
	smin = -max_shift;
	smax = max_shift;
	if (hi >= 0) {
		if (smin < 2 - lo)
			smin = 2 - lo;
		if (smax > MEL_CLASSES - 1 - hi)
			smax = MEL_CLASSES - 1 - hi;
	}
	shift = smin + (int)rng_below(r, smax - smin + 1);
	if (shift == 0)
		return;
	for (t = 0; t < ds->steps; t++)
		for (p = 0; p < parts; p++)
			if (out[t * ds->S + p] >= 2)
				out[t * ds->S + p] += shift;
}
