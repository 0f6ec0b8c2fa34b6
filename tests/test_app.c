/*
 * test_app.c: the instrument's non-screen parts: the decode worker (the
 * ladder matches direct vae_decode calls, the quick first point matches
 * the batch, a newer job wins, attributes are measured), set files (round
 * trip, bad files are errors naming the file), the key lock, and each
 * part of a trio or drums result played on its own channel (the parity
 * fixtures' trio_4bar and drums_2bar on the recording sink).
 */
#include <curses.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sndfile.h>

#include "attrs.h"
#include "modeldir.h"
#include "rng.h"
#include "vae.h"
#include "app.h"
#include "clip.h"
#include "config.h"
#include "keys.h"
#include "keylock.h"
#include "midifile.h"
#include "render.h"
#include "synth.h"
#include "set.h"
#include "worker.h"

#include "test.h"
#include "test_model.h"

static struct vae *
random_model(const char *name, uint64_t seed)
{
	struct vae_arch	 a;
	char		*cause = NULL;

	if (params_arch_named(&a, name, &cause) != 0) {
		fprintf(stderr, "test_app: %s\n", cause);
		exit(99);
	}
	return (test_random_vae(&a, seed, 0.15f, 1));
}

/* Wait (5 s at most) for a result of gen; full: every point. */
static int
wait_result(struct worker *w, struct worker_result *r, unsigned gen,
    int full)
{
	struct pollfd	pfd;
	int		i;

	for (i = 0; i < 500; i++) {
		if (worker_take(w, r) && r->gen == gen &&
		    (!full || r->full || r->error[0] != '\0'))
			return (1);
		pfd.fd = worker_fd(w);
		pfd.events = POLLIN;
		poll(&pfd, 1, 10);
	}
	return (0);
}

static void
test_worker(void)
{
	struct vae		*v, *ref;
	struct worker		*w;
	struct worker_result	 r, first;
	struct worker_job	 j;
	struct rng		 rng;
	float			*vec, *za, *zb, *zl, nudge[ATTR_N] = { 0 };
	float			 meas[ATTR_N];
	int			*ta, *tb, *tok, T, S, Z, i, k, same, diff;
	size_t			 ts;
	unsigned		 g1, g2;
	char			*cause = NULL;

	v = random_model("mel_2bar", 11);
	ref = random_model("mel_2bar", 11);	/* same weights */
	T = v->p.arch.num_steps;
	S = v->p.arch.n_splits;
	Z = v->p.arch.z_size;
	ts = (size_t)T * S;
	rng_seed(&rng, 2);
	ta = calloc(ts, sizeof *ta);
	tb = calloc(ts, sizeof *tb);
	for (i = 0; i < (int)ts; i++) {
		ta[i] = i % 4 == 0 ? 2 + 39 + (i / 4) % 8 : 0;
		tb[i] = i % 2 == 0 ? 2 + 50 - (i / 2) % 12 : 1;
	}
	vec = malloc(Z * sizeof *vec);
	for (i = 0; i < Z; i++)
		vec[i] = 2 * rng_normal(&rng);
	w = worker_new(v, vec, 1, &cause);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	worker_result_init(w, &r);
	worker_result_init(w, &first);
	CHECK(worker_arch(w)->num_steps == T);

	memset(&j, 0, sizeof j);
	j.tok_a = ta;
	j.tok_b = tb;
	j.first = 5;
	j.nudge = nudge;
	j.seed = 1;
	g1 = worker_submit(w, &j);
	/* The first result may be the quick single point. */
	CHECK(wait_result(w, &first, g1, 0));
	CHECK(first.valid[5] && first.error[0] == '\0');
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(r.full && r.error[0] == '\0');
	for (i = 0, same = 1; i < WORKER_LADDER; i++)
		same &= r.valid[i];
	CHECK(same);
	CHECK(memcmp(first.tokens + 5 * ts, r.tokens + 5 * ts,
	    ts * sizeof (int)) == 0);
	CHECK(!worker_busy(w));

	/* The ladder equals encode + interpolate + decode done directly. */
	za = malloc(2 * Z * sizeof *za);
	zb = za + Z;
	zl = malloc((size_t)WORKER_LADDER * Z * sizeof *zl);
	tok = malloc(WORKER_LADDER * ts * sizeof *tok);
	{
		int *both = malloc(2 * ts * sizeof *both);

		memcpy(both, ta, ts * sizeof *both);
		memcpy(both + ts, tb, ts * sizeof *both);
		CHECK(vae_encode(ref, both, 2, za, NULL, &cause) == 0);
		free(both);
	}
	vae_interpolate(zl, za, zb, Z, WORKER_LADDER, VAE_SLERP);
	CHECK(vae_decode(ref, zl, WORKER_LADDER, 0, NULL, tok, &cause) == 0);
	CHECK(memcmp(tok, r.tokens, WORKER_LADDER * ts * sizeof *tok) == 0);
	attrs_measure(&ref->p.arch, tok + 32 * ts, meas);
	CHECK_CLOSE(meas, r.attrs[32], ATTR_N, 0, "attrs of point 32");
	/* A and B decode differently (else the instrument is mute). */
	CHECK(memcmp(r.tokens, r.tokens + 32 * ts, ts * sizeof (int)) != 0);

	/* A nudge moves every point along the vector. */
	nudge[0] = 1.0f;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	for (i = 0; i < WORKER_LADDER; i++)
		for (int z = 0; z < Z; z++)
			zl[(size_t)i * Z + z] += vec[z];
	CHECK(vae_decode(ref, zl, WORKER_LADDER, 0, NULL, tok, &cause) == 0);
	CHECK(memcmp(tok, r.tokens, WORKER_LADDER * ts * sizeof *tok) == 0);

	/*
	 * Speculation: once idle, the next nudge step of attribute 0 is
	 * answered from the cache, with exactly the tokens and attributes
	 * the batch then gives for that point.
	 */
	j.attr = 0;
	j.nudge_step = 0.5f;
	j.first = 9;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	for (i = 0; i < 300 && !worker_settled(w); i++)
		usleep(10000);
	CHECK(worker_settled(w));
	nudge[0] = 1.5f;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &first, g1, 0));
	CHECK(first.speculated && first.valid[9]);
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(memcmp(first.tokens + 9 * ts, r.tokens + 9 * ts,
	    ts * sizeof (int)) == 0);
	CHECK_CLOSE(first.attrs[9], r.attrs[9], ATTR_N, 0, "spec attrs");
	for (i = 0; i < 300 && !worker_settled(w); i++)
		usleep(10000);
	nudge[0] = 3.0f;	/* never a neighbour: not speculated */
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &first, g1, 0));
	CHECK(!first.speculated);
	CHECK(wait_result(w, &r, g1, 1));
	nudge[0] = 0;
	j.nudge_step = 0;
	j.first = 5;

	/* Sampling: the same seed gives the same ladder, another seed not. */
	nudge[0] = 0;
	j.temperature = 1.0f;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	memcpy(tok, r.tokens, WORKER_LADDER * ts * sizeof *tok);
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(memcmp(tok, r.tokens, WORKER_LADDER * ts * sizeof *tok) == 0);
	j.seed = 2;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(memcmp(tok, r.tokens, WORKER_LADDER * ts * sizeof *tok) != 0);
	/*
	 * Sampled too, the point under the slider comes first on its own,
	 * equal to that point of the ladder; the ladder does not depend on
	 * which point came first (seed 1 again, first 20: the ladder above).
	 */
	j.seed = 1;
	j.first = 20;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &first, g1, 0));
	CHECK(first.valid[20]);
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(memcmp(first.tokens + 20 * ts, r.tokens + 20 * ts,
	    ts * sizeof (int)) == 0);
	CHECK(memcmp(tok, r.tokens, WORKER_LADDER * ts * sizeof *tok) == 0);
	/* A result with that one point arrives before the ladder (the
	   UI may miss it when slow: one of five seeds must show it). */
	for (k = diff = 0; k < 5 && !diff; k++) {
		j.seed = 7 + k;
		g1 = worker_submit(w, &j);
		CHECK(wait_result(w, &first, g1, 0));
		for (i = same = 0; i < WORKER_LADDER; i++)
			same += first.valid[i];
		diff = !first.full && same == 1 && first.valid[20];
		CHECK(wait_result(w, &r, g1, 1));
		CHECK(memcmp(first.tokens + 20 * ts, r.tokens + 20 * ts,
		    ts * sizeof (int)) == 0);
	}
	CHECK_MSG(diff, "no sampled point came before its ladder");
	/* The sampled points differ from the argmax ones. */
	CHECK(memcmp(r.tokens + 20 * ts, r.tokens + 21 * ts,
	    ts * sizeof (int)) != 0 || memcmp(r.tokens + 20 * ts,
	    r.tokens + 19 * ts, ts * sizeof (int)) != 0);
	/* And a sampled nudge step is speculated, equal to the batch. */
	j.attr = 0;
	j.nudge_step = 0.5f;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	for (i = 0; i < 300 && !worker_settled(w); i++)
		usleep(10000);
	nudge[0] = 0.5f;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &first, g1, 0));
	CHECK(first.speculated && first.valid[20]);
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(memcmp(first.tokens + 20 * ts, r.tokens + 20 * ts,
	    ts * sizeof (int)) == 0);
	nudge[0] = 0;
	j.nudge_step = 0;
	j.first = 5;

	/* Two quick jobs: the newest one's result arrives last. */
	j.temperature = 0;
	g1 = worker_submit(w, &j);
	j.lerp = 1;
	g2 = worker_submit(w, &j);
	CHECK(g2 > g1);
	CHECK(wait_result(w, &r, g2, 1));
	CHECK(r.gen == g2);
	for (i = diff = 0; i < 100 && worker_take(w, &r); i++)
		diff |= r.gen != g2;
	CHECK(!diff);

	/* The pad: its corners are the four clips' own decodes. */
	j.lerp = 0;
	j.pad = 1;
	j.tok_c = tb;
	j.tok_d = ta;
	j.first = 12;
	g1 = worker_submit(w, &j);
	CHECK(wait_result(w, &r, g1, 1));
	CHECK(r.full && r.n == WORKER_PAD_N * WORKER_PAD_N);
	vae_interpolate(zl, za, zb, Z, WORKER_LADDER, VAE_SLERP);
	CHECK(vae_decode(ref, zl, WORKER_LADDER, 0, NULL, tok, &cause) == 0);
	/* A = ladder point 0, B = point 32; C = B and D = A here. */
	CHECK(memcmp(r.tokens, tok, ts * sizeof (int)) == 0);
	CHECK(memcmp(r.tokens + 4 * ts, tok + 32 * ts, ts * sizeof (int)) ==
	    0);
	CHECK(memcmp(r.tokens + 20 * ts, tok + 32 * ts, ts * sizeof (int)) ==
	    0);
	CHECK(memcmp(r.tokens + 24 * ts, tok, ts * sizeof (int)) == 0);

	worker_result_free(&r);
	worker_result_free(&first);
	worker_free(w);
	vae_free(ref);
	free(ta);
	free(tb);
	free(vec);
	free(za);
	free(zl);
	free(tok);
}

static void
test_set(void)
{
	struct set	 s, t;
	char		 dir[] = "/tmp/test_app.XXXXXX", path[256], *cause = NULL;
	char		 other[256], buf[64];
	FILE		*f;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	set_init(&s);
	s.model = lr_strdup("/models/mel_2bar");
	s.clip[0] = lr_strdup("/clips/a.mid");
	s.window[1] = 3;
	s.slider = 25;
	s.pad_on = 1;
	s.pad_x = 3;
	s.pad_y = 1;
	s.clip[3] = lr_strdup("/clips/d.mid");
	s.lerp = 1;
	s.temperature = 0.5f;
	s.seed = 3295386429u;	/* four presses of r: above INT_MAX */
	s.track[0] = 1;
	s.qpm = 96;
	set_nudge_add(&s.nudges, "note_density", 0.75f);
	set_nudge_add(&s.nudges, "register", -1.5f);
	s.snap_valid[2] = 1;
	s.snap_slider[2] = 7;
	set_nudge_add(&s.snap_nudges[2], "register", 1.0f);
	s.snap_valid[4] = 1;
	s.snap_pad_on[4] = 1;
	s.snap_pad_x[4] = 4;
	s.snap_pad_y[4] = 2;
	snprintf(path, sizeof path, "%s/x.set", dir);
	CHECK(set_save(&s, path, &cause) == 0);
	CHECK(set_load(&t, path, &cause) == 0);
	CHECK(t.model != NULL && strcmp(t.model, s.model) == 0);
	CHECK(t.clip[0] != NULL && strcmp(t.clip[0], "/clips/a.mid") == 0);
	CHECK(t.clip[1] == NULL && t.window[1] == 3);
	CHECK(t.slider == 25 && t.lerp == 1 && t.seed == 3295386429u);
	CHECK(t.track[0] == 1 && t.track[1] == -1);
	CHECK(t.pad_on == 1 && t.pad_x == 3 && t.pad_y == 1);
	CHECK(t.clip[3] != NULL && strcmp(t.clip[3], "/clips/d.mid") == 0);
	CHECK(t.clip[2] == NULL);
	CHECK(t.temperature == 0.5f && t.qpm == 96);
	CHECK(set_nudge_get(&t.nudges, "note_density") == 0.75f);
	CHECK(set_nudge_get(&t.nudges, "register") == -1.5f);
	CHECK(set_nudge_get(&t.nudges, "note_length") == 0);
	CHECK(t.snap_valid[2] && !t.snap_valid[0] && t.snap_slider[2] == 7);
	CHECK(set_nudge_get(&t.snap_nudges[2], "register") == 1.0f);
	CHECK(!t.snap_pad_on[2] && t.snap_valid[4] && t.snap_pad_on[4] &&
	    t.snap_pad_x[4] == 4 && t.snap_pad_y[4] == 2);
	set_free(&t);
	/* A set saves over a set, never over anything else (a clip). */
	CHECK(set_save(&s, path, &cause) == 0);
	snprintf(other, sizeof other, "%s/a.mid", dir);
	f = fopen(other, "w");
	fputs("MThd not a set", f);
	fclose(f);
	CHECK(set_save(&s, other, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "not overwritten") != NULL);
	f = fopen(other, "r");
	CHECK(f != NULL && fgets(buf, sizeof buf, f) != NULL &&
	    strcmp(buf, "MThd not a set") == 0);
	if (f != NULL)
		fclose(f);
	unlink(other);

	/* Relative paths are relative to the set file. */
	f = fopen(path, "w");
	fputs("{\"latentroll_set\": 1, \"model\": \"m/mel\", \"clips\": "
	    "[{\"path\": \"a.mid\"}, {\"path\": \"/abs/b.mid\"}]}", f);
	fclose(f);
	CHECK(set_load(&t, path, &cause) == 0);
	snprintf(other, sizeof other, "%s/a.mid", dir);
	CHECK(t.clip[0] != NULL && strcmp(t.clip[0], other) == 0);
	CHECK(t.clip[1] != NULL && strcmp(t.clip[1], "/abs/b.mid") == 0);
	snprintf(other, sizeof other, "%s/m/mel", dir);
	CHECK(t.model != NULL && strcmp(t.model, other) == 0);
	set_free(&t);

	/* Bad files: errors that name the file. */
	f = fopen(path, "w");
	fputs("{\"latentroll_set\": 1, \"slider\": 99}", f);
	fclose(f);
	CHECK(set_load(&t, path, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, "slider") != NULL);
	f = fopen(path, "w");
	fputs("{\"something\": 1}", f);
	fclose(f);
	CHECK(set_load(&t, path, &cause) == -1);
	CHECK(strstr(cause, "not a latentroll set") != NULL);
	f = fopen(path, "w");
	fputs("{ broken", f);
	fclose(f);
	CHECK(set_load(&t, path, &cause) == -1);
	CHECK(strstr(cause, path) != NULL);
	unlink(path);
	CHECK(set_load(&t, path, &cause) == -1);
	free(cause);
	set_free(&s);
	rmdir(dir);
}

static void
test_keylock(void)
{
	struct noteseq	 s;
	struct note	 n[4];
	int		 p, in, root;

	/* Every snapped pitch is in the scale, and in-scale ones stay. */
	for (root = 0; root < 12; root++)
		for (p = 0; p < 128; p++) {
			in = keylock_pitch(root, p);
			if (!keylock_in_scale(root, in % 12) ||
			    abs(in - p) > 1 ||
			    (keylock_in_scale(root, p % 12) && in != p)) {
				CHECK_MSG(0, "root %d pitch %d -> %d", root, p,
				    in);
				return;
			}
		}
	CHECK(keylock_pitch(0, 61) == 60);	/* C# -> C in C major */
	CHECK(keylock_pitch(7, 65) == 64);	/* F -> E in G major */
	CHECK(keylock_pitch(7, 66) == 66);

	/* Estimate: G major notes (with F#) give G; a key signature wins. */
	memset(&s, 0, sizeof s);
	memset(n, 0, sizeof n);
	n[0].pitch = 67; n[0].end_s = 1;
	n[1].pitch = 66; n[1].end_s = 1;
	n[2].pitch = 71; n[2].end_s = 1;
	n[3].pitch = 74; n[3].end_s = 1;
	s.notes = n;
	s.n = 4;
	CHECK(keylock_estimate(&s) == 7);
	{
		struct keysig_change k = { .time_s = 0, .key = -1 };

		s.keysigs = &k;
		s.n_keysigs = 1;
		CHECK(keylock_estimate(&s) == 5);	/* one flat: F */
	}
}

/* Clips: windows from the chosen track, next track, lane notes. */
static void
test_clip(void)
{
	struct clip_fmt	 f = { .kind = VAE_MELODY, .T = 32, .S = 1,
			    .qpm = 120 };
	struct clip	 c;
	struct note	*nt;
	char		*cause = NULL;
	int		 i, t;

	memset(&c, 0, sizeof c);
	c.letter = 'A';
	noteseq_init(&c.seq);
	c.have_seq = 1;
	c.seq.n_tracks = 2;
	/* Track 0: C4 D4 E4 F4 in quarters; track 1: an octave up. */
	for (t = 0; t < 2; t++)
		for (i = 0; i < 16; i++) {
			nt = noteseq_add(&c.seq);
			memset(nt, 0, sizeof *nt);
			nt->pitch = 60 + 12 * t + (i % 4) * 2;
			nt->velocity = 100;
			nt->track = t;
			nt->start_s = i * 0.5;
			nt->end_s = i * 0.5 + 0.5;
		}
	noteseq_sort(&c.seq);
	CHECK(convert_quantize(&c.seq, 4, &cause) == 0);
	CHECK(clip_windows(&f, &c.seq, 0, "two.mid", &c.win, &cause) == 0);
	CHECK(c.win.n > 1 && c.win.track == 0);
	clip_window(&c, &f, 1);
	CHECK(c.wi == 1 && c.n == 8 && c.notes[0].pitch < 72);
	CHECK(strstr(c.title, "track 1/2") != NULL);
	CHECK(strstr(c.title, "window 2/") != NULL);
	/* The velocity reference holds the window's notes from step 0. */
	CHECK(c.have_ref && c.ref.n == 8 && c.ref.notes[0].start_step == 0);
	CHECK(c.ref.notes[0].velocity == 100);
	CHECK(clip_next_track(&c, &f, &cause) == 0);
	CHECK(c.win.track == 1 && c.wi == 0 && c.notes[0].pitch >= 72);
	CHECK(strstr(c.title, "track 2/2") != NULL);
	CHECK(clip_next_track(&c, &f, &cause) == 0);
	CHECK(c.win.track == 0);
	/* o's choice: any window of any track at once; a bad one is an
	   error naming the clip, and the clip stays. */
	CHECK(clip_tracks(&c, &f) == 2);
	CHECK(clip_choose(&c, &f, 1, c.win.n - 1, &cause) == 0);
	CHECK(c.win.track == 1 && c.wi == c.win.n - 1 &&
	    c.notes[0].pitch >= 72);
	CHECK(clip_choose(&c, &f, 1, c.win.n, &cause) == -1);
	CHECK(cause != NULL && strncmp(cause, "A: window", 9) == 0);
	CHECK(clip_choose(&c, &f, 5, 0, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "track 6") != NULL);
	CHECK(clip_choose(&c, &f, 0, 99, &cause) == -1);
	CHECK(c.win.track == 1 && c.wi == c.win.n - 1);
	CHECK(clip_choose(&c, &f, 0, 0, &cause) == 0 && c.win.track == 0 &&
	    c.wi == 0);
	/* A window count the model cannot use is an error naming the clip. */
	f.T = 256;
	windows_free(&c.win);
	CHECK(clip_windows(&f, &c.seq, 0, "two.mid", &c.win, &cause) == -1);
	CHECK(cause != NULL && strncmp(cause, "two.mid:", 8) == 0);
	f.T = 32;
	clip_empty(&c, &f);
	clip_free(&c);

	/* A format-0 file: the melody on channel 1 (velocity 100, eighths),
	   chords on channel 2 (velocity 30, half notes) in the same track.
	   The melody's velocities alone are its reference. */
	memset(&c, 0, sizeof c);
	c.letter = 'A';
	noteseq_init(&c.seq);
	c.have_seq = 1;
	c.seq.n_tracks = 1;
	for (i = 0; i < 16; i++) {
		nt = noteseq_add(&c.seq);
		memset(nt, 0, sizeof *nt);
		nt->pitch = 72 + (i % 5);
		nt->velocity = 100;
		nt->start_s = i * 0.25;
		nt->end_s = i * 0.25 + 0.25;
		if (i % 4 != 0)
			continue;
		for (t = 0; t < 3; t++) {
			nt = noteseq_add(&c.seq);
			memset(nt, 0, sizeof *nt);
			nt->pitch = 48 + 4 * t;
			nt->velocity = 30;
			nt->channel = 1;
			nt->start_s = i * 0.25;
			nt->end_s = i * 0.25 + 1;
		}
	}
	noteseq_sort(&c.seq);
	CHECK(convert_quantize(&c.seq, 4, &cause) == 0);
	CHECK(clip_windows(&f, &c.seq, -1, "f0.mid", &c.win, &cause) == 0);
	CHECK(c.win.track == 0 && c.win.channel == 0);
	clip_window(&c, &f, 0);
	CHECK_MSG(c.have_ref && c.ref.n == 16, "%zu reference notes",
	    c.ref.n);
	for (i = t = 0; i < (int)c.ref.n; i++)
		t += c.ref.notes[i].velocity != 100 ||
		    c.ref.notes[i].channel != 0;
	CHECK_MSG(t == 0, "%d reference notes not the melody's", t);
	clip_empty(&c, &f);
	CHECK(c.n == 0 && c.letter == 'A' && strstr(c.title, "(empty)"));
	free(cause);
	clip_free(&c);
}

/* Add a note of track/channel at quantized steps (120 qpm: 1/8 s each). */
static void
poly_note(struct noteseq *s, int track, int ch, int pitch, int from, int to)
{
	struct note	*nt = noteseq_add(s);

	memset(nt, 0, sizeof *nt);
	nt->pitch = pitch;
	nt->velocity = 80;
	nt->track = track;
	nt->channel = ch;
	nt->start_s = from * 0.125;
	nt->end_s = to * 0.125;
	nt->start_step = from;
	nt->end_step = to;
}

/*
 * A chorale as Bach's are often filed: track 1 the soprano (half notes),
 * track 2 the three lower voices (alto quarters, tenor eighths, bass
 * quarters).  The lower voices have more onsets, so the converter alone
 * takes them and flattens them into one line jumping between the voices;
 * the instrument takes the monophonic soprano, and track 2 shows its top
 * voice (the alto) and says so.  A legato line is not polyphonic.
 */
static void
test_clip_poly(void)
{
	struct clip_fmt	 f = { .kind = VAE_MELODY, .T = 32, .S = 1,
			    .qpm = 120 };
	struct noteseq	 s, raw;
	struct windows	 w;
	struct clip	 c;
	char		 path[64], *cause = NULL;
	int		 t, lo = 127, hi = 0, sop;
	size_t		 i;
	int		 fd;

	noteseq_init(&s);
	s.n_tracks = 2;
	for (t = 0; t < 128; t += 8)
		poly_note(&s, 0, 0, 72 + (t / 8) % 5, t, t + 8);
	for (t = 0; t < 128; t += 4) {
		poly_note(&s, 1, 1, 64 + (t / 4) % 4, t, t + 4);
		poly_note(&s, 1, 1, 43 + (t / 4) % 5, t, t + 4);
		poly_note(&s, 1, 1, 55 + (t / 2) % 6, t, t + 2);
		poly_note(&s, 1, 1, 55 + (t / 2 + 1) % 6, t + 2, t + 4);
	}
	noteseq_sort(&s);
	s.quantized = 1;
	s.steps_per_quarter = 4;
	s.total_steps = 128;
	s.total_s = 16;
	snprintf(path, sizeof path, "/tmp/test_app_chorale.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	unlink(path);
	CHECK_MSG(midifile_save(path, &s, 0, &cause) == 0, "%s", cause);
	noteseq_free(&s);

	/* The fixture is the case: the converter alone takes the lower
	   voices (a conductor track comes first in the file). */
	/* midifile_load initialises raw itself (an init before it leaks). */
	CHECK(midifile_load(path, &raw, &cause) == 0);
	CHECK(convert_quantize(&raw, 4, &cause) == 0);
	CHECK(clip_windows(&f, &raw, -1, "chorale", &w, &cause) == 0);
	sop = w.track - 1;
	CHECK_MSG(raw.n_tracks == 3 && w.track == 2, "%d tracks, melody "
	    "from %d", raw.n_tracks, w.track);
	windows_free(&w);
	noteseq_free(&raw);

	memset(&c, 0, sizeof c);
	c.letter = 'A';
	CHECK_MSG(clip_load(&c, &f, path, -1, 0, &cause) == 0, "%s", cause);
	CHECK_MSG(c.win.track == sop && strstr(c.title, "polyphonic") ==
	    NULL, "track %d: %s", c.win.track, c.title);
	for (i = 0; i < c.n; i++)
		CHECK(c.notes[i].pitch >= 72);
	CHECK(clip_next_track(&c, &f, &cause) == 0);
	CHECK_MSG(c.win.track == 2 && strstr(c.title, "track 3/3") != NULL &&
	    strstr(c.title, "  polyphonic, top voice") != NULL, "%s",
	    c.title);
	for (i = 0; i < c.n; i++) {
		lo = c.notes[i].pitch < lo ? c.notes[i].pitch : lo;
		hi = c.notes[i].pitch > hi ? c.notes[i].pitch : hi;
	}
	CHECK_MSG(c.n > 0 && lo >= 64 && hi <= 67, "top voice %d..%d", lo,
	    hi);
	clip_free(&c);
	unlink(path);

	/* Legato: each note overlaps the next by a step; one voice. */
	noteseq_init(&s);
	s.n_tracks = 1;
	for (t = 0; t < 64; t += 4)
		poly_note(&s, 0, 0, 72 - (t / 4) % 7, t, t + 5);
	noteseq_sort(&s);
	s.quantized = 1;
	CHECK(convert_top_voice(&s, 0, 0, 0) == 0);
	/* A chord: its two lower notes are under the top one. */
	poly_note(&s, 0, 0, 48, 64, 72);
	poly_note(&s, 0, 0, 52, 64, 72);
	poly_note(&s, 0, 0, 55, 64, 72);
	noteseq_sort(&s);
	CHECK(convert_top_voice(&s, 0, 0, 1) == 2 && s.n == 17);
	noteseq_free(&s);
	free(cause);
}

/* A config that did not load is never rewritten (MIDI learn saves). */
static void
test_config(void)
{
	struct config		 c;
	struct live_binding	 b;
	char			 dir[] = "/tmp/test_app.XXXXXX", path[256];
	char			 buf[256], *cause = NULL;
	const char		*text = "out = Synth\nbogus line\nlatency = 30\n";
	FILE			*f;
	size_t			 n;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/config", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	CHECK(config_load(&c, path, &cause) == -1);
	memset(&b, 0, sizeof b);
	b.cc = 74;
	snprintf(b.target, sizeof b.target, "slider");
	config_bind(&c, &b);
	CHECK(config_save(&c, path, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, path) != NULL);
	f = fopen(path, "r");
	n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
	CHECK(strcmp(buf, text) == 0);
	/* A good one round-trips with the new binding. */
	f = fopen(path, "w");
	fputs("out = Synth\n", f);
	fclose(f);
	CHECK(config_load(&c, path, &cause) == 0);
	config_bind(&c, &b);
	CHECK(config_save(&c, path, &cause) == 0);
	CHECK(config_load(&c, path, &cause) == 0 && c.n_bindings == 1 &&
	    strcmp(c.out, "Synth") == 0);
	CHECK(c.clock == CONFIG_CLOCK_INTERNAL);
	/* The clock source and the input round-trip; a bad value is an
	   error naming the line. */
	f = fopen(path, "w");
	fputs("in = Keys\nclock = follow\n", f);
	fclose(f);
	CHECK(config_load(&c, path, &cause) == 0 &&
	    c.clock == CONFIG_CLOCK_FOLLOW && strcmp(c.in, "Keys") == 0);
	c.clock = CONFIG_CLOCK_MASTER;
	CHECK(config_save(&c, path, &cause) == 0);
	CHECK(config_load(&c, path, &cause) == 0 &&
	    c.clock == CONFIG_CLOCK_MASTER && strcmp(c.in, "Keys") == 0);
	f = fopen(path, "w");
	fputs("clock = slave\n", f);
	fclose(f);
	CHECK(config_load(&c, path, &cause) == -1 && cause != NULL &&
	    strstr(cause, ":1: clock") != NULL);
	free(cause);
	cause = NULL;
	/* The precision: fp16 and bf16 round-trip, fp32 is the default and
	   not written, anything else names the line. */
	f = fopen(path, "w");
	fputs("precision = fp16\n", f);
	fclose(f);
	CHECK(config_load(&c, path, &cause) == 0 &&
	    c.precision == CONFIG_PREC_FP16);
	c.precision = CONFIG_PREC_BF16;
	CHECK(config_save(&c, path, &cause) == 0);
	CHECK(config_load(&c, path, &cause) == 0 &&
	    c.precision == CONFIG_PREC_BF16);
	c.precision = CONFIG_PREC_FP32;
	CHECK(config_save(&c, path, &cause) == 0);
	CHECK(config_load(&c, path, &cause) == 0 &&
	    c.precision == CONFIG_PREC_FP32);
	f = fopen(path, "w");
	fputs("out = x\nprecision = fp8\n", f);
	fclose(f);
	CHECK(config_load(&c, path, &cause) == -1 && cause != NULL &&
	    strstr(cause, ":2: precision") != NULL);
	free(cause);
	unlink(path);
	rmdir(dir);
}

/* ---- the app without a terminal ----------------------------------- */

/* A clip from pitches in eighths (2 steps each), path NULL. */
static void
fixture_clip(struct clip *c, const struct clip_fmt *f, const int *pitch,
    int n)
{
	struct note	*nt;
	char		*cause = NULL;
	int		 i;

	noteseq_init(&c->seq);
	c->have_seq = 1;
	c->seq.n_tracks = 1;
	for (i = 0; i < n; i++) {
		nt = noteseq_add(&c->seq);
		memset(nt, 0, sizeof *nt);
		nt->pitch = pitch[i];
		nt->velocity = 90;
		nt->start_s = i * 0.25;
		nt->end_s = i * 0.25 + 0.25;
	}
	noteseq_sort(&c->seq);
	if (convert_quantize(&c->seq, 4, &cause) != 0 ||
	    clip_windows(f, &c->seq, -1, "fixture", &c->win, &cause) != 0) {
		fprintf(stderr, "test_app: %s\n", cause);
		exit(99);
	}
	clip_window(c, f, 0);
}

/*
 * A struct app as app_run() builds it, minus the terminal, on model v
 * (taken) with attribute vectors vec (n_vec, may be 0): empty clips, and
 * an offline player (lo; NULL: the null sink at 100 qpm) whose clock the
 * test drives.
 */
static void
fixture_model(struct app *a, struct vae *v, const float *vec, int n_vec,
    const struct live_opts *lo)
{
	struct live_opts	 o;
	char			*cause = NULL;
	int			 i;

	memset(a, 0, sizeof *a);
	config_init(&a->cfg);	/* as app_config: program -1 */
	keys_init();
	a->play.qpm_want = 100;
	a->model.arch = v->p.arch;
	a->model.T = a->model.arch.num_steps;
	a->model.S = a->model.arch.n_splits;
	a->model.n_attrs = n_vec > 0 ? ATTR_N : 0;
	a->model.have_vecs = n_vec > 0;
	for (i = 0; i < a->model.n_attrs; i++) {
		a->model.attr_names[i] = lr_strdup(attrs_name(i));
		a->model.attr_id[i] = i;
	}
	if ((a->model.w = worker_new(v, vec, n_vec, &cause)) == NULL) {
		fprintf(stderr, "test_app: %s\n", cause);
		exit(99);
	}
	worker_result_init(a->model.w, &a->model.res);
	roll_init(&a->r, a->model.n_attrs, a->model.T);
	a->v.latency_ms = -1;
	a->play.sweep_beat = -1;
	a->play.no_midi = 1;
	for (i = 0; i < 4; i++) {
		a->clips[i].letter = 'A' + i;
		clip_empty(&a->clips[i], app_fmt(a));
	}
	memset(&o, 0, sizeof o);
	if (lo != NULL)
		o = *lo;
	else
		o.sink = LIVE_SINK_NULL;
	o.offline = 1;
	o.qpm = a->play.qpm_want;
	if ((a->play.live = live_new(&o, &cause)) == NULL) {
		fprintf(stderr, "test_app: %s\n", cause);
		exit(99);
	}
	live_status(a->play.live, &a->play.st);
}

/*
 * The mel_2bar fixture: a random model with one attribute vector
 * (note_density) and clips A, B.
 */
static void
fixture_new(struct app *a)
{
	static const int	 pa[] = { 60, 62, 64, 65, 67, 65, 64, 62,
				     60, 64, 67, 72, 67, 64, 60, 55 };
	static const int	 pb[] = { 61, 66, 63, 70, 68, 73, 66, 61,
				     75, 70, 66, 63, 70, 75, 78, 73 };
	struct vae		*v;
	struct rng		 rng;
	float			*vec;
	int			 i, Z;

	v = random_model("mel_2bar", 11);
	Z = v->p.arch.z_size;
	vec = malloc(Z * sizeof *vec);
	rng_seed(&rng, 4);
	for (i = 0; i < Z; i++)
		vec[i] = 2 * rng_normal(&rng);
	fixture_model(a, v, vec, 1, NULL);
	free(vec);
	fixture_clip(&a->clips[0], app_fmt(a), pa, 16);
	fixture_clip(&a->clips[1], app_fmt(a), pb, 16);
}

/* Run the app's loop on the worker until the whole ladder is shown. */
static int
fixture_settle(struct app *a)
{
	struct pollfd	pfd;
	int		i;

	for (i = 0; i < 500; i++) {
		app_take(a);
		if (a->model.res.gen == a->model.gen && a->model.res.full &&
		    worker_settled(a->model.w))
			return (1);
		pfd.fd = worker_fd(a->model.w);
		pfd.events = POLLIN;
		poll(&pfd, 1, 10);
	}
	return (0);
}

/*
 * < and >: three presses in one burst step from the tempo asked for, not
 * from the player's report (which lags until its next status): 100 ->
 * 115, and the player gets there too.
 */
static void
test_app_tempo(void)
{
	struct app	a;

	fixture_new(&a);
	CHECK(app_qpm(&a) == 100 && a.play.st.qpm == 100);
	app_key(&a, '>');
	app_key(&a, '>');
	app_key(&a, '>');
	CHECK_MSG(app_qpm(&a) == 115, "%g", app_qpm(&a));
	CHECK(live_advance(a.play.live, 0.5) == 0);
	live_status(a.play.live, &a.play.st);
	CHECK_MSG(a.play.st.qpm == 115, "player at %g", a.play.st.qpm);
	app_key(&a, '<');
	app_key(&a, '<');
	CHECK(app_qpm(&a) == 105);
	CHECK(live_advance(a.play.live, 1.0) == 0);
	live_status(a.play.live, &a.play.st);
	CHECK(a.play.st.qpm == 105);
	app_free(&a);
}

/*
 * The attribute panel measures the notes shown and played: the bare
 * decode's values only while nothing decorates it, the key-locked pitches
 * under k, and an edit's notes (deleting them all measures silence).
 */
static void
test_app_measure(void)
{
	struct app	 a;
	float		 want[ATTR_N], got[ATTR_N], dens0;
	int		*tok, k, i, t, n0;
	size_t		 ts;

	fixture_new(&a);
	ts = (size_t)a.model.T * a.model.S;
	tok = calloc(ts, sizeof *tok);
	app_submit(&a);
	CHECK(fixture_settle(&a));
	k = roll_point(&a.r);
	CHECK(a.v.attrs_known && a.lane.n_result > 2);
	for (i = 0; i < ATTR_N; i++)
		got[i] = a.v.attr_value[i];
	CHECK_CLOSE(got, a.model.res.attrs[k], ATTR_N, 1e-6, "plain result");

	/* k k: key lock to C major.  Expected: the decoded tokens with
	   each pitch snapped, measured. */
	app_key(&a, 'k');
	app_key(&a, 'k');
	CHECK(a.lane.keylock == 2 && a.lane.key_root == 0);
	memcpy(tok, a.model.res.tokens + k * ts, ts * sizeof *tok);
	for (t = 0; t < a.model.T; t++)
		if (tok[t] >= 2)
			tok[t] = keylock_pitch(0, tok[t] + 19) - 19;
	attrs_measure(&a.model.arch, tok, want);
	for (i = 0; i < ATTR_N; i++)
		got[i] = a.v.attr_value[i];
	CHECK(a.v.attrs_known);
	CHECK_CLOSE(got, want, ATTR_N, 1e-6, "key-locked result");
	/* The random model's decode is not in C major; the lock is. */
	CHECK_MSG(a.model.res.attrs[k][ATTR_C_DIATONIC] < 1, "%g",
	    (double)a.model.res.attrs[k][ATTR_C_DIATONIC]);
	CHECK(got[ATTR_C_DIATONIC] == 1);
	app_key(&a, 'k');
	CHECK(a.lane.keylock == 0);

	/* e, then x on each note: the measured density follows. */
	dens0 = a.v.attr_value[ATTR_NOTE_DENSITY];
	CHECK(dens0 > 0);
	app_key(&a, 'e');
	n0 = (int)a.r.edit.n;
	for (i = 0; i < n0; i++) {
		a.r.cur_step = a.r.edit.v[0].start;
		a.r.cur_pitch = a.r.edit.v[0].pitch;
		app_key(&a, 'x');
		if (i == 0)
			CHECK_MSG(a.v.attr_value[ATTR_NOTE_DENSITY] < dens0,
			    "%g after one delete, %g before",
			    (double)a.v.attr_value[ATTR_NOTE_DENSITY],
			    (double)dens0);
	}
	CHECK(a.r.edit_active && a.r.edit.n == 0);
	CHECK(a.v.attrs_known && a.v.attr_value[ATTR_NOTE_DENSITY] == 0);
	CHECK(a.model.res.attrs[k][ATTR_NOTE_DENSITY] == dens0);
	/* u: the edit before the last delete: one note again. */
	app_key(&a, 'u');
	CHECK(a.r.edit.n == 1 && a.v.attr_value[ATTR_NOTE_DENSITY] > 0);
	free(tok);
	app_free(&a);
}

/*
 * The sweep moves every beat: over a 4-bar sweep (16 beats) the slider
 * takes more than 4 points, and triangle and sine take different ones
 * (at whole bars alone they agree: 0, 0.5, 1, 0.5).
 */
/*
 * Snapshots: storing says so (nothing else on screen changes) and a recall
 * brings the slider back, saying which one.
 */
static void
test_app_snapshots(void)
{
	struct app	 a;
	int		 was;

	fixture_new(&a);
	app_submit(&a);
	CHECK(fixture_settle(&a));
	was = a.r.slider;
	app_key(&a, KEY_F(15));		/* S-F3: store 3 */
	CHECK_MSG(!a.msg_err && strstr(a.msg, "snapshot 3 stored") != NULL,
	    "store: %s", a.msg);
	app_key(&a, KEY_RIGHT);
	app_key(&a, KEY_RIGHT);
	CHECK(a.r.slider != was);
	app_key(&a, KEY_F(3));
	CHECK_MSG(a.r.slider == was && strstr(a.msg, "snapshot 3 recalled") !=
	    NULL, "recall: slider %d (stored %d): %s", a.r.slider, was, a.msg);
	app_key(&a, KEY_F(5));		/* an empty slot stores */
	CHECK_MSG(strstr(a.msg, "snapshot 5 stored") != NULL, "F5: %s", a.msg);
	app_free(&a);
}

/*
 * Clips at start: a clip that does not load says which and why, for each
 * of A and B (the lane titles too); with one clip the other end is its
 * next window, not silence.  A bare struct app: app_clips needs only the
 * model's shape, no weights.
 */
static void
clips_start(struct app *a, int T)
{
	int	i;

	memset(a, 0, sizeof *a);
	a->model.arch.kind = VAE_MELODY;
	a->model.T = T;
	a->model.S = 1;
	a->play.qpm_want = 120;
	for (i = 0; i < 4; i++)
		a->clips[i].letter = 'A' + i;
}

static void
test_app_clips(void)
{
	struct app	 a;
	char		 pa[PATH_MAX], pb[PATH_MAX], *msg;
	const char	*src = getenv("srcdir") != NULL ? getenv("srcdir") : ".";
	int		 err, i;

	snprintf(pa, sizeof pa, "%s/share/clips/a.mid", src);
	snprintf(pb, sizeof pb, "%s/share/clips/b.mid", src);

	/* B unreadable: said, and B is A's next window. */
	clips_start(&a, 32);
	msg = app_clips(&a, &(struct app_opts){ .clip = { pa,
	    "/nonexistent/b.mid" }, .datadir = "." }, NULL, &err);
	CHECK_MSG(msg != NULL && err && strncmp(msg, "B: /nonexistent/b.mid:",
	    22) == 0 && strstr(msg, "B is A's next window") != NULL,
	    "B missing: %s", msg);
	CHECK(a.clips[1].win.n > 0 && a.clips[1].n > 0 &&
	    a.clips[1].wi == a.clips[0].wi + 1);
	free(msg);
	for (i = 0; i < 4; i++)
		clip_free(&a.clips[i]);

	/* One clip named: not an error, said, no silence. */
	clips_start(&a, 32);
	msg = app_clips(&a, &(struct app_opts){ .clip = { pb, NULL },
	    .datadir = "." }, NULL, &err);
	CHECK_MSG(msg != NULL && !err && strstr(msg, "one clip: B is A's") !=
	    NULL, "one clip: %s", msg);
	CHECK(a.clips[1].n > 0 && strstr(a.clips[1].title, "b.mid") != NULL);
	free(msg);
	for (i = 0; i < 4; i++)
		clip_free(&a.clips[i]);

	/* A 16-bar model and two 4-bar clips: both say why, in the message
	   and in their lanes. */
	clips_start(&a, 256);
	msg = app_clips(&a, &(struct app_opts){ .clip = { pa, pb },
	    .datadir = "." }, NULL, &err);
	CHECK_MSG(msg != NULL && err && strncmp(msg, "A: ", 3) == 0 &&
	    strstr(msg, "; B: ") != NULL && strstr(msg, "too short") != NULL,
	    "16 bars: %s", msg);
	for (i = 0; i < 2; i++)
		CHECK_MSG(a.clips[i].n == 0 && strstr(a.clips[i].title,
		    "(empty: ") != NULL && strstr(a.clips[i].title, "short") !=
		    NULL, "lane %d: %s", i, a.clips[i].title);
	free(msg);
	for (i = 0; i < 4; i++)
		clip_free(&a.clips[i]);
}

/*
 * What the instrument says instead of staying silent: a knob after an
 * edit (the edit goes on the undo stack, u brings it back), P, [ and ]
 * with no sweep running, o with an empty path; and r starts from a new
 * seed each session.
 */
static void
test_app_feedback(void)
{
	struct app	 a;
	unsigned	 s1, s2, s3;
	int		 n;

	fixture_new(&a);
	app_submit(&a);
	CHECK(fixture_settle(&a));
	app_key(&a, 'e');
	CHECK(a.r.edit.n > 0);
	app_key(&a, 'x');		/* delete the first note: an edit */
	CHECK(a.r.edit_active);
	app_key(&a, 27);		/* leave edit mode, the edit shown */
	CHECK(a.r.edit_active && a.r.mode == ROLL_MODE_PLAY);
	n = a.r.n_undo;
	app_key(&a, KEY_RIGHT);
	CHECK(!a.r.edit_active && a.r.n_undo == n + 1);
	CHECK_MSG(strstr(a.msg, "u brings the edit back") != NULL,
	    "slider after an edit: %s", a.msg);
	app_key(&a, 'u');
	CHECK(a.r.edit_active);
	/* Said at each drop, and only then. */
	app_key(&a, KEY_RIGHT);
	CHECK(!a.r.edit_active && strstr(a.msg, "u brings") != NULL);
	a.msg[0] = '\0';
	app_key(&a, KEY_RIGHT);
	CHECK_MSG(a.msg[0] == '\0', "slider, no edit: %s", a.msg);

	CHECK(a.r.sweep == ROLL_SWEEP_OFF);
	app_key(&a, 'P');
	CHECK_MSG(strstr(a.msg, "sweep off (p starts it)") != NULL &&
	    strstr(a.msg, a.model.attr_names[a.r.attr_sel]) != NULL, "P: %s",
	    a.msg);
	app_key(&a, ']');
	CHECK_MSG(strstr(a.msg, "over 5 bars") != NULL, "]: %s", a.msg);
	app_key(&a, 'p');
	CHECK_MSG(strstr(a.msg, "sweep triangle: the attribute") != NULL &&
	    strstr(a.msg, "while playing") != NULL, "p: %s", a.msg);

	app_key(&a, 'o');
	app_key(&a, 'b');
	CHECK(a.p.active);
	app_key(&a, '\n');		/* an empty path */
	CHECK_MSG(a.msg_err && strcmp(a.msg, "B: no file name given") == 0,
	    "o, empty path: %s", a.msg);
	app_free(&a);

	s1 = app_start_seed();
	s2 = app_start_seed();
	s3 = app_start_seed();
	CHECK(s1 > 0 && s2 > 0 && s3 > 0);
	CHECK_MSG(s1 != s2 || s2 != s3, "seeds %u %u %u", s1, s2, s3);
}

/*
 * g with C and D never opened: they are the next windows of A and B (the
 * shipped clips have 3 windows each), and the pad's ladder decodes them.
 */
static void
test_app_pad_corners(void)
{
	struct app	 a;
	char		 path[2][4096], *cause = NULL;
	int		 i;

	fixture_new(&a);
	for (i = 0; i < 2; i++) {
		snprintf(path[i], sizeof path[i], "%s/share/clips/%s",
		    test_srcdir(), i == 0 ? "a.mid" : "b.mid");
		if (clip_load(&a.clips[i], app_fmt(&a), path[i], -1, 0,
		    &cause) != 0) {
			CHECK_MSG(0, "%s", cause);
			free(cause);
			app_free(&a);
			return;
		}
	}
	app_submit(&a);
	CHECK(fixture_settle(&a));
	app_key(&a, 'g');
	CHECK_MSG(a.r.pad_on && strstr(a.msg, "next windows of A and B") !=
	    NULL, "pad: %s", a.msg);
	for (i = 2; i < 4; i++) {
		const struct clip *c = &a.clips[i], *src = &a.clips[i - 2];

		CHECK_MSG(c->path != NULL && strcmp(c->path, src->path) == 0 &&
		    src->win.n > 1 && c->wi == 1 && c->n > 0 &&
		    memcmp(c->tokens, src->tokens, (size_t)a.model.T *
		    a.model.S * sizeof *c->tokens) != 0, "corner %c: %s "
		    "window %d of %d, %zu notes", 'A' + i, c->path != NULL ? c->path : "(none)",
		    c->wi, c->win.n, c->n);
	}
	CHECK(fixture_settle(&a));
	app_free(&a);
}

static void
test_app_sweep(void)
{
	struct app	 a;
	int		 pos[2][64], shape, step, i, distinct, differ = 0;

	fixture_new(&a);
	app_submit(&a);
	CHECK(fixture_settle(&a));
	a.play.st.playing = 1;
	for (shape = 0; shape < 2; shape++) {
		a.r.sweep = shape == 0 ? ROLL_SWEEP_TRIANGLE : ROLL_SWEEP_SINE;
		a.r.sweep_bars = 4;
		a.play.sweep_beat = -1;
		for (step = 0; step < 64; step++) {
			a.play.st.step = step;
			app_sweep(&a);
			pos[shape][step] = a.r.slider;
		}
		CHECK(a.play.sweep_quantum == 1);
		for (i = distinct = 0; i < 64; i++)
			distinct += i == 0 || pos[shape][i] != pos[shape][i - 1];
		CHECK_MSG(distinct > 4, "%s: %d points",
		    shape == 0 ? "triangle" : "sine", distinct);
		/* Steps of one beat share a point. */
		for (i = 0; i < 64; i++)
			if (pos[shape][i] != pos[shape][i - i % 4])
				break;
		CHECK(i == 64);
		/* The point shown is the one swapped in. */
		CHECK(a.model.shown_slider == a.r.slider);
	}
	for (i = 0; i < 64; i++)
		differ += pos[0][i] != pos[1][i];
	CHECK_MSG(differ > 0, "triangle and sine visit the same points");
	/* The first beat of each: on its way from A, the next beat's. */
	CHECK(pos[0][0] == roll_slider_index(0.125f) &&
	    pos[1][0] == roll_slider_index(roll_sweep_pos(ROLL_SWEEP_SINE, 4,
	    0.25)));
	a.r.sweep = ROLL_SWEEP_OFF;
	app_sweep(&a);
	CHECK(a.play.sweep_quantum == 0);
	app_free(&a);
}

/*
 * A clip of f->T steps in one track (a format-0 file) with every part on
 * its own channel and velocity: melody in eighths on channel 1 (program
 * 24, velocity 90), bass in quarters on channel 2 (program 34, velocity
 * 70), drums on channel 10 (kick and snare in quarters, hi-hat in
 * eighths, velocity 110).  up moves the pitched parts.
 */
static void
fixture_parts(struct clip *c, const struct clip_fmt *f, int up)
{
	struct note	*nt;
	char		*cause = NULL;
	int		 t, part;

	noteseq_init(&c->seq);
	c->have_seq = 1;
	c->seq.n_tracks = 1;
	for (t = 0; t < f->T; t += 2)
		for (part = 0; part < 4; part++) {
			if ((part == 1 || part == 2) && t % 4 != 0)
				continue;
			nt = noteseq_add(&c->seq);
			memset(nt, 0, sizeof *nt);
			switch (part) {
			case 0:
				nt->pitch = 60 + up + (t * 5 / 2) % 12;
				nt->velocity = 90;
				nt->program = 24;
				break;
			case 1:
				nt->pitch = 36 + up + (t / 4 % 4) * 2;
				nt->velocity = 70;
				nt->channel = 1;
				nt->program = 34;
				break;
			default:
				nt->pitch = part == 3 ? 42 :
				    (t % 8 == 0 ? 36 : 38);
				nt->velocity = 110;
				nt->channel = NOTESEQ_DRUM_CHANNEL;
				nt->drum = 1;
				break;
			}
			/* 120 qpm: 0.125 s a step. */
			nt->start_s = t * 0.125;
			nt->end_s = (t + (part == 1 ? 4 : 2)) * 0.125;
		}
	noteseq_sort(&c->seq);
	if (convert_quantize(&c->seq, 4, &cause) != 0 ||
	    clip_windows(f, &c->seq, -1, "parts", &c->win, &cause) != 0) {
		fprintf(stderr, "test_app: %s\n", cause);
		exit(99);
	}
	clip_window(c, f, 0);
}

/*
 * Each part of the result plays on its channel: a trio's melody on the
 * chosen channel (3), its bass on the next (4), drums on 10 with drum
 * pitches; a drums model all on 10.  Every result note is played once a
 * loop, with the velocity of its own part in the clip, and each pitched
 * part gets the clip's program for it.  The key lock leaves drums alone.
 */
static void
test_app_parts(const char *name)
{
	struct app		 a;
	struct live_opts	 lo;
	const struct live_event	*ev;
	struct vae		*v;
	char			 dir[4096], *cause = NULL;
	int			 want[3] = { 0 }, on[16] = { 0 };
	int			 badvel[16] = { 0 }, prog[16];
	int			 chan[3] = { 2, 3, NOTESEQ_DRUM_CHANNEL };
	int			 vel[3] = { 90, 70, 110 }, *pitch, trio, ch, i;
	int			 nodrum = 0, badref = 0, badtok = 0, *tok;
	const int		*dec;
	float			 m[ATTR_N];
	size_t			 n, k, ts;
	struct noteseq		 saved;
	char			 path[256];

	snprintf(dir, sizeof dir, "%s/tests/data/parity/%s", test_srcdir(),
	    name);
	if ((v = modeldir_load(dir, &cause)) == NULL) {
		CHECK_MSG(0, "%s", cause);
		free(cause);
		return;
	}
	memset(&lo, 0, sizeof lo);
	lo.sink = LIVE_SINK_RECORD;
	lo.channel = 2;
	fixture_model(&a, v, NULL, 0, &lo);
	trio = a.model.arch.kind == VAE_TRIO;
	fixture_parts(&a.clips[0], app_fmt(&a), 0);
	fixture_parts(&a.clips[1], app_fmt(&a), 2);
	/* The velocity reference keeps the parts the model sees, each on
	   its pattern channel. */
	for (k = 0; k < a.clips[0].ref.n; k++) {
		const struct note *r = &a.clips[0].ref.notes[k];

		ch = r->channel == NOTESEQ_DRUM_CHANNEL ? 2 : r->channel;
		if (ch < 0 || ch > 2 || r->velocity != vel[ch] ||
		    (!trio && ch != 2))
			badref++;
	}
	CHECK_MSG(a.clips[0].ref.n > 0 && badref == 0, "%s: %d of %zu "
	    "reference notes in the wrong part", name, badref,
	    a.clips[0].ref.n);
	app_submit(&a);
	CHECK(fixture_settle(&a));
	for (k = 0; k < a.lane.n_result; k++) {
		CHECK(a.lane.result[k].part >= 0 && a.lane.result[k].part < 3);
		want[a.lane.result[k].part]++;
	}
	CHECK_MSG(want[2] > 0 && (trio ? want[0] > 0 && want[1] > 0 :
	    want[0] == 0 && want[1] == 0), "%s: %d melody, %d bass, %d drum "
	    "notes", name, want[0], want[1], want[2]);

	/* The lane turns back into the decoded tokens, each part into its
	   split (note-ons and drum hits exactly), and measures as they do. */
	ts = (size_t)a.model.T * a.model.S;
	tok = calloc(ts, sizeof *tok);
	clip_notes_to_tokens(app_fmt(&a), a.lane.result, a.lane.n_result, tok);
	dec = a.model.res.tokens + roll_point(&a.r) * ts;
	for (k = 0; k < ts; k++)
		if ((a.model.arch.kind == VAE_DRUMS || k % a.model.S == 2) ?
		    tok[k] != dec[k] : dec[k] >= 2 && tok[k] != dec[k])
			badtok++;
	CHECK_MSG(badtok == 0, "%s: %d of %zu tokens differ", name, badtok,
	    ts);
	attrs_measure(&a.model.arch, tok, m);
	CHECK_CLOSE(m, a.model.res.attrs[roll_point(&a.r)], ATTR_N, 1e-6, name);
	free(tok);

	/* One loop (at 100 qpm) on the recording sink. */
	CHECK(live_start(a.play.live) == 0);
	CHECK(live_advance(a.play.live, a.model.T * 0.15 - 0.01) == 0);
	for (i = 0; i < 16; i++)
		prog[i] = -1;
	n = live_recorded(a.play.live, &ev);
	for (k = 0; k < n; k++) {
		ch = ev[k].status & 0x0f;
		if ((ev[k].status & 0xf0) == 0xc0)
			prog[ch] = ev[k].data1;
		if ((ev[k].status & 0xf0) != 0x90 || ev[k].data2 == 0)
			continue;
		on[ch]++;
		if (ch == NOTESEQ_DRUM_CHANNEL &&
		    convert_drum_class(ev[k].data1) < 0)
			nodrum++;
		for (i = 0; i < 3; i++)
			if (ch == chan[i] && ev[k].data2 != vel[i])
				badvel[ch]++;
	}
	for (i = 0; i < 3; i++)
		CHECK_MSG(on[chan[i]] == want[i] && badvel[chan[i]] == 0,
		    "%s: channel %d: %d notes played (%d wrong velocities), "
		    "%d in the result", name, chan[i] + 1, on[chan[i]],
		    badvel[chan[i]], want[i]);
	for (ch = 0; ch < 16; ch++)
		if (ch != chan[0] && ch != chan[1] && ch != chan[2])
			CHECK_MSG(on[ch] == 0, "%s: %d notes on channel %d",
			    name, on[ch], ch + 1);
	CHECK_MSG(nodrum == 0, "%s: %d drum notes without a drum pitch",
	    name, nodrum);
	if (trio)
		CHECK_MSG(prog[2] == 24 && prog[3] == 34, "%s: programs %d, "
		    "%d", name, prog[2], prog[3]);

	/* s: the saved file sounds as played: every note with its part's
	   velocity in the clip (not a fixed one), each pitched part with the
	   clip's program for it; and s never writes over a file. */
	snprintf(path, sizeof path, "/tmp/test_app_save.%ld.%s.mid",
	    (long)getpid(), name);
	unlink(path);
	CHECK_MSG(app_save_result(&a, path) == 0, "%s: save: %s", name,
	    a.msg);
	memset(&saved, 0, sizeof saved);	/* midifile_load initialises */
	if (midifile_load(path, &saved, &cause) != 0) {
		CHECK_MSG(0, "%s: %s", name, cause);
		free(cause);
		cause = NULL;
	} else {
		int	badsave = 0, bad_prog = 0;

		for (k = 0; k < saved.n; k++) {
			const struct note *sn = &saved.notes[k];

			i = sn->drum ? 2 : (sn->channel == 1 ? 1 : 0);
			badsave += sn->velocity != vel[i];
			if (!sn->drum && sn->program != (i == 0 ? 24 : 34))
				bad_prog++;
		}
		CHECK_MSG(saved.n == a.lane.n_result && badsave == 0 &&
		    (!trio || bad_prog == 0), "%s: saved %zu of %zu notes, "
		    "%d wrong velocities, %d wrong programs", name, saved.n,
		    a.lane.n_result, badsave, bad_prog);
	}
	noteseq_free(&saved);
	CHECK_MSG(app_save_result(&a, path) == -1 && a.msg_err,
	    "%s: saved over %s", name, path);
	unlink(path);
	/* A name without an extension gets .mid. */
	snprintf(path, sizeof path, "/tmp/test_app_take.%ld.%s",
	    (long)getpid(), name);
	for (k = 0; path[k] != '\0'; k++)	/* no '.' in the name */
		if (path[k] == '.' && k > 5)
			path[k] = '_';
	CHECK_MSG(app_save_result(&a, path) == 0, "%s: save: %s", name,
	    a.msg);
	CHECK_MSG(access(path, F_OK) != 0, "%s: %s saved bare", name, path);
	strcat(path, ".mid");
	CHECK_MSG(access(path, F_OK) == 0 && strstr(a.msg, path) != NULL,
	    "%s: %s not saved: %s", name, path, a.msg);
	unlink(path);
	snprintf(path, sizeof path, "/tmp/test_app_save.%ld.%s.mid",
	    (long)getpid(), name);
	/* program = 5 in the config: the melody is saved with it. */
	a.cfg.program = 5;
	memset(&saved, 0, sizeof saved);	/* midifile_load initialises */
	if (trio && app_save_result(&a, path) == 0 &&
	    midifile_load(path, &saved, &cause) == 0) {
		int	fixed = 0;

		for (k = 0; k < saved.n; k++)
			fixed += !saved.notes[k].drum &&
			    saved.notes[k].channel == 0 &&
			    saved.notes[k].program == 5;
		CHECK_MSG(fixed > 0 && fixed == want[0], "%s: %d of %d "
		    "melody notes saved with the fixed program", name, fixed,
		    want[0]);
	} else if (trio)
		CHECK_MSG(0, "%s: save with a fixed program: %s", name,
		    cause != NULL ? cause : a.msg);
	noteseq_free(&saved);
	unlink(path);
	a.cfg.program = -1;

	/* W: the result as audio, as heard: one loop at the tempo now and
	   the release, not silent; never over a file. */
	snprintf(path, sizeof path, "/tmp/test_app_save.%ld.%s.wav",
	    (long)getpid(), name);
	unlink(path);
	if (access("/usr/share/sounds/sf2/TimGM6mb.sf2", R_OK) == 0)
		a.play.lo.soundfont = "/usr/share/sounds/sf2/TimGM6mb.sf2";
	if (access(a.play.lo.soundfont != NULL ? a.play.lo.soundfont :
	    SYNTH_DEFAULT_SF2, R_OK) == 0) {
		SF_INFO	 info;
		SNDFILE	*f;
		float	*pcm;
		double	 sum = 0, len_s;
		char	 text[sizeof path + 8];

		snprintf(text, sizeof text, "%s 1", path);
		CHECK_MSG(app_save_audio(&a, text) == 0, "%s: W: %s", name,
		    a.msg);
		memset(&info, 0, sizeof info);
		f = sf_open(path, SFM_READ, &info);
		CHECK_MSG(f != NULL, "%s: %s", name, path);
		if (f != NULL) {
			len_s = a.model.T * 15.0 / app_qpm(&a) + RENDER_TAIL_S;
			CHECK_MSG(fabs((double)info.frames / info.samplerate -
			    len_s) < 0.001, "%s: %.4f s of audio, want %.4f",
			    name, (double)info.frames / info.samplerate, len_s);
			pcm = calloc((size_t)info.frames * 2 + 2, sizeof *pcm);
			sf_readf_float(f, pcm, info.frames);
			for (k = 0; k < (size_t)info.frames * 2; k++)
				sum += (double)pcm[k] * pcm[k];
			CHECK_MSG(a.lane.n_result == 0 || 10 * log10(sum /
			    (2.0 * info.frames) + 1e-20) > -50, "%s: %.1f dBFS",
			    name, 10 * log10(sum / (2.0 * info.frames) + 1e-20));
			free(pcm);
			sf_close(f);
		}
		CHECK_MSG(app_save_audio(&a, text) == -1 && a.msg_err,
		    "%s: W saved over %s", name, path);
		unlink(path);
		CHECK(app_save_audio(&a, "x.ogg") == -1 && a.msg_err);
		/* A name may hold spaces; a last word that is not a count
		   belongs to the name; counts outside 1-64 are refused. */
		snprintf(path, sizeof path, "/tmp/test app save %ld %s.wav",
		    (long)getpid(), name);
		unlink(path);
		snprintf(text, sizeof text, "%s 1 ", path);
		CHECK_MSG(app_save_audio(&a, text) == 0 && access(path,
		    F_OK) == 0, "%s: W with spaces: %s", name, a.msg);
		unlink(path);
		snprintf(text, sizeof text, "%s abc", path);
		CHECK_MSG(app_save_audio(&a, text) == -1 && a.msg_err &&
		    strstr(a.msg, "want a .wav") != NULL, "%s: %s", name,
		    a.msg);
		snprintf(text, sizeof text, "%s 65", path);
		CHECK(app_save_audio(&a, text) == -1 && a.msg_err);
		snprintf(text, sizeof text, "%s 0", path);
		CHECK(app_save_audio(&a, text) == -1 && a.msg_err);
		CHECK(access(path, F_OK) != 0);
	}
	a.play.lo.soundfont = NULL;

	/* k k: C major.  Drum pitches stay, the pitched parts snap. */
	pitch = calloc(a.lane.n_result + 1, sizeof *pitch);
	for (k = 0; k < a.lane.n_result; k++)
		pitch[k] = a.lane.result[k].pitch;
	app_key(&a, 'k');
	app_key(&a, 'k');
	CHECK(a.lane.keylock == 2);
	for (k = 0; k < a.lane.n_result; k++)
		if (a.lane.result[k].part == UI_PART_DRUMS)
			CHECK(a.lane.result[k].pitch == pitch[k]);
		else
			CHECK(a.lane.result[k].pitch ==
			    keylock_pitch(0, pitch[k]));
	free(pitch);

	/* c a: the result becomes A, its parts found again (a trio's copy
	   needs its bass and drums apart from the melody). */
	app_key(&a, 'c');
	app_key(&a, 'a');
	CHECK_MSG(!a.msg_err && a.clips[0].win.n > 0 && a.clips[0].n ==
	    a.lane.n_result, "%s: copy: %s", name, a.msg);
	free(cause);
	app_free(&a);
}

/*
 * The one command table, in two halves: every command has a state half
 * (ui/roll.c), an I/O half (app_cmd.c) or both, and every key of the
 * default table names such a command.
 */
static void
test_command_table(void)
{
	const struct key_entry	*e;
	int			 c, i, unknown = 0;

	for (c = ROLL_CMD_NONE + 1; c < ROLL_CMD_COUNT; c++)
		if (!app_command_known(c)) {
			CHECK_MSG(0, "command %d has no state or I/O half", c);
			unknown++;
		}
	CHECK(unknown == 0);
	CHECK(!app_command_known(ROLL_CMD_NONE));
	CHECK(!app_command_known(ROLL_CMD_COUNT));
	for (i = 0; (e = keys_entry(i)) != NULL; i++)
		CHECK_MSG(app_command_known(e->cmd), "key %s: command %d "
		    "unknown", e->name, e->cmd);
}

int
main(void)
{
	test_command_table();
	test_config();
	test_clip();
	test_clip_poly();
	test_set();
	test_keylock();
	test_worker();
	test_app_tempo();
	test_app_measure();
	test_app_sweep();
	test_app_snapshots();
	test_app_feedback();
	test_app_clips();
	test_app_pad_corners();
	test_app_parts("trio_4bar");
	test_app_parts("drums_2bar");
	return (test_report());
}
