/*
 * test_dataset: the training data pipeline (src/dataset.c).
 * FNV-1a values and the split rule; epoch permutations (a permutation,
 * reproducible, different per epoch); transposition (every note moves by
 * the same shift, stays in 21..108, rests untouched, drums never move;
 * trio melody and bass by one shift, its drums not; default +-5 for every
 * kind but drums);
 * and, with SHARED_DIR, the Nottingham corpus: windows in range, the split
 * near 90/5/5 by files, a second load served from the cache with identical
 * windows, and a corrupted cache rebuilt rather than trusted. The corpus
 * fingerprint (what --resume checks) follows contents, not mtimes.  ABC
 * tunes come in through abc2midi beside MIDI files.
 */
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"
#include "rng.h"
#include "dataset.h"
#include "test.h"

static void
test_hash(void)
{
	/* FNV-1a 32 reference values. */
	CHECK(dataset_name_hash("") == 0x811c9dc5u);
	CHECK(dataset_name_hash("a") == 0xe40c292cu);
	CHECK(dataset_name_hash("foobar") == 0xbf9cf968u);
	/* Only the basename counts. */
	CHECK(dataset_name_hash("/x/y/foobar") == 0xbf9cf968u);
	CHECK(dataset_split_of("/a/b/foobar") == dataset_split_of("foobar"));
}

static void
test_perm(void)
{
	int	a[100], b[100], c[100], seen[100], i, ok = 1, same = 1;

	dataset_permutation(a, 100, 7, 0);
	dataset_permutation(b, 100, 7, 0);
	dataset_permutation(c, 100, 7, 1);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < 100; i++) {
		if (a[i] < 0 || a[i] >= 100 || seen[a[i]]++)
			ok = 0;
		if (a[i] != c[i])
			same = 0;
	}
	CHECK(ok);
	CHECK(memcmp(a, b, sizeof a) == 0);
	CHECK(!same);
}

static void
test_transpose(void)
{
	struct dataset	ds;
	struct rng	r;
	int		tok[32], out[32], t, shift, ok = 1, moved = 0, k;

	memset(&ds, 0, sizeof ds);
	ds.steps = 32;
	ds.S = 1;
	ds.kind = VAE_MELODY;
	ds.n[DATASET_TRAIN] = 1;
	ds.tok[DATASET_TRAIN] = tok;
	for (t = 0; t < 32; t++)
		tok[t] = t % 4 == 0 ? 2 + (t % 8 == 0 ? 0 : 85) : t % 4 == 2;
	/* notes at pitch 21 (class 2) and 106 (class 87): shifts in [0, 2] */
	rng_seed(&r, 1);
	for (k = 0; k < 200; k++) {
		dataset_window(&ds, DATASET_TRAIN, 0, 5, &r, out);
		shift = out[0] - tok[0];
		if (shift < 0 || shift > 2)
			ok = 0;
		if (shift != 0)
			moved = 1;
		for (t = 0; t < 32; t++) {
			if (tok[t] < 2 && out[t] != tok[t])
				ok = 0;
			if (tok[t] >= 2 && (out[t] != tok[t] + shift ||
			    out[t] > 89))
				ok = 0;
		}
	}
	CHECK(ok);
	CHECK(moved);
	dataset_window(&ds, DATASET_TRAIN, 0, 0, &r, out);
	CHECK(memcmp(out, tok, sizeof tok) == 0);
	ds.kind = VAE_DRUMS;
	dataset_window(&ds, DATASET_TRAIN, 0, 5, &r, out);
	CHECK(memcmp(out, tok, sizeof tok) == 0);
}

/*
 * Trio: melody and bass move by one shift, narrowed by both parts' span;
 * the drum part never moves.  And the default shift per kind: every kind
 * with pitches gets +-5, drums none.
 */
static void
test_transpose_trio(void)
{
	struct dataset	ds;
	struct rng	r;
	int		tok[32 * 3], out[32 * 3], t, shift, ok = 1, k;
	int		seen[3] = { 0, 0, 0 };

	memset(&ds, 0, sizeof ds);
	ds.steps = 32;
	ds.S = 3;
	ds.kind = VAE_TRIO;
	ds.n[DATASET_TRAIN] = 1;
	ds.tok[DATASET_TRAIN] = tok;
	for (t = 0; t < 32; t++) {
		/* melody 60..67 (classes 41..48), bass down to 24 (class 5),
		   drums a mix of classes. */
		tok[t * 3] = t % 2 == 0 ? 41 + t % 8 : 0;
		tok[t * 3 + 1] = t % 4 == 0 ? 5 + t % 3 : t % 4 == 1;
		tok[t * 3 + 2] = (t * 37) % 512;
	}
	/* bass lowest class 5: shifts in [-3, 5] */
	rng_seed(&r, 2);
	for (k = 0; k < 300; k++) {
		dataset_window(&ds, DATASET_TRAIN, 0, 5, &r, out);
		shift = out[0] - tok[0];
		if (shift < -3 || shift > 5)
			ok = 0;
		seen[shift < 0 ? 0 : shift == 0 ? 1 : 2] = 1;
		for (t = 0; t < 32; t++) {
			if (out[t * 3] != tok[t * 3] +
			    (tok[t * 3] >= 2 ? shift : 0))
				ok = 0;
			if (out[t * 3 + 1] != tok[t * 3 + 1] +
			    (tok[t * 3 + 1] >= 2 ? shift : 0))
				ok = 0;
			if (out[t * 3 + 2] != tok[t * 3 + 2])
				ok = 0;
		}
	}
	CHECK(ok);
	CHECK(seen[0] && seen[1] && seen[2]);

	CHECK(dataset_default_shift(VAE_MELODY) == 5);
	CHECK(dataset_default_shift(VAE_TRIO) == 5);
	CHECK(dataset_default_shift(VAE_DRUMS) == 0);
}

static void
test_corpus(const char *shared)
{
	struct dataset	 a, b;
	struct vae_arch	 arch;
	char		 data[1024], path[1100];
	char		 dir[] = "/tmp/test_dataset.XXXXXX";
	char		*cause = NULL;
	size_t		 i, len;
	int		 s, ok = 1, total = 0;
	FILE		*f;

	snprintf(data, sizeof data, "%s/data/nottingham", shared);
	if (access(data, R_OK) != 0 || mkdtemp(dir) == NULL) {
		printf("SKIP corpus part: %s not readable\n", data);
		return;
	}
	CHECK(params_arch_named(&arch, "mel_2bar", &cause) == 0);
	if (dataset_load(&a, data, &arch, dir, "melody32", 0, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		return;
	}
	CHECK(!a.from_cache);
	CHECK(a.n_files > 1000 && a.n_used > 100);
	for (s = 0; s < DATASET_NSPLITS; s++) {
		len = (size_t)a.n[s] * a.steps;
		for (i = 0; i < len; i++)
			if (a.tok[s][i] < 0 || a.tok[s][i] >= 90)
				ok = 0;
		total += a.n[s];
	}
	CHECK(ok);
	fprintf(stderr, "corpus: %s", a.report);
	/* The report counts windows per meter (the model card states them):
	   Nottingham's are 4/4 and 2/2, and they add up to the total. */
	{
		const char	*m = strstr(a.report, "; by meter ");
		int		 sum = 0, cnt, nm = 0, used;
		char		 name[16];

		CHECK(m != NULL);
		if (m != NULL) {
			m += strlen("; by meter ");
			while (sscanf(m, " %15[0-9/] %d%n", name, &cnt,
			    &used) == 2) {
				sum += cnt;
				nm++;
				CHECK(strcmp(name, "4/4") == 0 ||
				    strcmp(name, "2/2") == 0);
				m += used;
				if (*m == ',')
					m++;
			}
		}
		CHECK_MSG(nm >= 1 && sum == (int)total, "per meter %d windows "
		    "in %d meters, want %d", sum, nm, (int)total);
	}
	/* Splits by files: windows near 90/5/5 (files differ in length). */
	CHECK(a.n[DATASET_TRAIN] > 0.8 * total);
	CHECK(a.n[DATASET_VALID] > 0.01 * total &&
	    a.n[DATASET_VALID] < 0.12 * total);
	CHECK(a.n[DATASET_TEST] > 0.01 * total &&
	    a.n[DATASET_TEST] < 0.12 * total);

	CHECK(dataset_load(&b, data, &arch, dir, "melody32", 0, &cause) == 0);
	CHECK(b.from_cache);
	for (s = 0; s < DATASET_NSPLITS; s++)
		CHECK(a.n[s] == b.n[s] && memcmp(a.tok[s], b.tok[s],
		    (size_t)a.n[s] * a.steps * sizeof(int)) == 0);
	dataset_free(&b);

	/* A corrupted header is not trusted: rebuilt from the MIDI files. */
	snprintf(path, sizeof path, "%s/windows-melody32.cache", dir);
	f = fopen(path, "r+b");
	fseek(f, 20, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	CHECK(dataset_load(&b, data, &arch, dir, "melody32", 0, &cause) == 0);
	CHECK(!b.from_cache && b.n[0] == a.n[0]);
	dataset_free(&b);
	dataset_free(&a);
	unlink(path);
	rmdir(dir);
	free(cause);
}

static int
copy_file(const char *from, const char *to)
{
	FILE	*in, *out;
	char	 buf[4096];
	size_t	 n;
	int	 ok = 1;

	if ((in = fopen(from, "rb")) == NULL)
		return (-1);
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return (-1);
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ok = 0;
	fclose(in);
	if (fclose(out) != 0)
		ok = 0;
	return (ok ? 0 : -1);
}

/* A copied or re-provisioned corpus (new mtimes, same bytes) keeps its
   fingerprint so a run resumes; different bytes change it. */
static void
test_fingerprint(void)
{
	struct dataset	 ds;
	struct vae_arch	 arch;
	struct timeval	 tv[2] = { { 1000000, 0 }, { 1000000, 0 } };
	char		 dir[] = "/tmp/test_dataset_fp.XXXXXX";
	char		 a[1100], b[1100], p1[1100], p2[1100];
	char		*cause = NULL;
	uint64_t	 fp0, fp1, fp2;

	snprintf(a, sizeof a, "%s/share/clips/a.mid", test_srcdir());
	snprintf(b, sizeof b, "%s/share/clips/b.mid", test_srcdir());
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(p1, sizeof p1, "%s/one.mid", dir);
	snprintf(p2, sizeof p2, "%s/two.mid", dir);
	CHECK(copy_file(a, p1) == 0 && copy_file(b, p2) == 0);
	CHECK(params_arch_named(&arch, "mel_2bar", &cause) == 0);
	if (dataset_load(&ds, dir, &arch, NULL, "melody32", 0, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		goto out;
	}
	fp0 = ds.fingerprint;
	dataset_free(&ds);
	CHECK(utimes(p1, tv) == 0 && utimes(p2, tv) == 0);
	CHECK(dataset_load(&ds, dir, &arch, NULL, "melody32", 0, &cause) == 0);
	fp1 = ds.fingerprint;
	dataset_free(&ds);
	CHECK(fp1 == fp0);
	CHECK(copy_file(a, p2) == 0);	/* same names, other bytes */
	CHECK(dataset_load(&ds, dir, &arch, NULL, "melody32", 0, &cause) == 0);
	fp2 = ds.fingerprint;
	dataset_free(&ds);
	CHECK(fp2 != fp0);
out:
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	free(cause);
}

/*
 * ABC tunes (issue K): a file of two 4/4 tunes gives windows from both
 * (each tune's split drawn from "NAME#X"), the same notes abc2midi plays;
 * a file with no tune is dropped with its reason; MIDI files beside them
 * keep their windows.  SKIP without abc2midi.
 */
static void
test_abc(void)
{
	static const char *two =
	    "X: 1\nT: One\nM: 4/4\nL: 1/8\nK: G\n"
	    "|: GABc dedB | dBGB A2 GA | GABc dedB | c2 A2 G4 :|\n"
	    "|: dggf g2 fe | dBGB A2 GA | dggf g2 fe | c2 A2 G4 :|\n\n"
	    "X: 7\nT: Two\nM: 4/4\nL: 1/8\nK: D\n"
	    "|: d2 fd A2 FA | d2 fd e2 ce | d2 fd A2 FA | B2 e2 d4 :|\n";
	struct dataset	 ds;
	struct vae_arch	 arch;
	char		 dir[] = "/tmp/test_dataset_abc.XXXXXX";
	char		 p1[1100], p2[1100], p3[1100], a[1100];
	char		*cause = NULL;
	FILE		*f;
	int		 total;

	if (system("abc2midi -ver >/dev/null 2>&1") != 0) {
		printf("SKIP abc part: abc2midi not found (apt-get install "
		    "abcmidi)\n");
		return;
	}
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(p1, sizeof p1, "%s/tunes.abc", dir);
	snprintf(p2, sizeof p2, "%s/empty.abc", dir);
	snprintf(p3, sizeof p3, "%s/one.mid", dir);
	snprintf(a, sizeof a, "%s/share/clips/a.mid", test_srcdir());
	CHECK((f = fopen(p1, "w")) != NULL && fputs(two, f) >= 0 &&
	    fclose(f) == 0);
	CHECK((f = fopen(p2, "w")) != NULL && fputs("T: none\n", f) >= 0 &&
	    fclose(f) == 0);
	CHECK(params_arch_named(&arch, "mel_2bar", &cause) == 0);
	if (dataset_load(&ds, dir, &arch, NULL, "melody32", 0, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		CHECK(0);
		goto out;
	}
	total = ds.n[0] + ds.n[1] + ds.n[2];
	/* Tune 1 plays 8 bars twice over, tune 7 4 bars twice: windows of
	   2 bars from both, deduplicated per tune. */
	CHECK_MSG(ds.n_files == 2 && ds.n_used == 2 && total >= 4,
	    "files %d used %d windows %d: %s", ds.n_files, ds.n_used, total,
	    ds.report);
	CHECK(strstr(ds.report, "no tune") != NULL);
	dataset_free(&ds);
	CHECK(copy_file(a, p3) == 0);
	CHECK(dataset_load(&ds, dir, &arch, NULL, "melody32", 0, &cause) == 0);
	CHECK(ds.n_files == 3 && ds.n_used == 3 &&
	    ds.n[0] + ds.n[1] + ds.n[2] > total);
	dataset_free(&ds);
out:
	unlink(p1);
	unlink(p2);
	unlink(p3);
	rmdir(dir);
	free(cause);
}

int
main(void)
{
	const char	*shared = test_shared_dir();

	test_hash();
	test_perm();
	test_transpose();
	test_transpose_trio();
	test_fingerprint();
	test_abc();
	if (shared != NULL)
		test_corpus(shared);
	else
		printf("SKIP corpus part: SHARED_DIR not set\n");
	return (test_report());
}
