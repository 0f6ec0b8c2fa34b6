/*
 * test_midifile.c: MIDI files in and out.  Hand-written format 0 and 1
 * fixtures (running status, velocity-0 note-offs, overlapping notes of one
 * pitch, a note left open, a tempo map), save/load round trips, refusal to
 * overwrite an input, atomic saves.
 */
#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert.h"
#include "midifile.h"
#include "test.h"

static char	tmpdir[] = "/tmp/lr_midifile.XXXXXX";

/* A growing byte buffer for fixtures. */
struct bytes {
	unsigned char	b[4096];
	size_t		n;
};

static void
put(struct bytes *b, const unsigned char *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
vlq(struct bytes *b, unsigned long v)
{
	unsigned char	tmp[5];
	int		n = 0, i;

	tmp[n++] = v & 0x7f;
	while ((v >>= 7) != 0)
		tmp[n++] = 0x80 | (v & 0x7f);
	for (i = n - 1; i >= 0; i--)
		b->b[b->n++] = tmp[i];
}

/* Delta time then raw event bytes. */
static void
ev(struct bytes *b, unsigned long delta, const char *hex)
{
	unsigned int	x;

	vlq(b, delta);
	while (*hex != '\0') {
		if (sscanf(hex, "%2x", &x) != 1)
			break;
		b->b[b->n++] = x;
		hex += 2;
		if (*hex == ' ')
			hex++;
	}
}

static void
be(struct bytes *b, unsigned long v, int n)
{
	while (n-- > 0)
		b->b[b->n++] = (v >> (8 * n)) & 0xff;
}

static void
header(struct bytes *f, int format, int ntracks, int ppqn)
{
	put(f, (const unsigned char *)"MThd", 4);
	be(f, 6, 4);
	be(f, format, 2);
	be(f, ntracks, 2);
	be(f, ppqn, 2);
}

static void
track(struct bytes *f, const struct bytes *t)
{
	put(f, (const unsigned char *)"MTrk", 4);
	be(f, t->n, 4);
	put(f, t->b, t->n);
}

static char *
write_file(const char *name, const struct bytes *f)
{
	char	*path;
	FILE	*fp;

	if (asprintf(&path, "%s/%s", tmpdir, name) == -1)
		exit(99);
	if ((fp = fopen(path, "wb")) == NULL)
		exit(99);
	fwrite(f->b, 1, f->n, fp);
	fclose(fp);
	return (path);
}

static const struct note *
find(const struct noteseq *s, int pitch, double start)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (s->notes[i].pitch == pitch &&
		    fabs(s->notes[i].start_s - start) < 1e-6)
			return (&s->notes[i]);
	return (NULL);
}

static void
test_format0(void)
{
	struct bytes		 f = { .n = 0 }, t = { .n = 0 };
	struct noteseq		 s;
	const struct note	*nt;
	char			*path, *cause = NULL;

	/* ppqn 96: at 120 qpm one tick is 1/192 s. */
	ev(&t, 0, "FF 51 03 07 A1 20");		/* 120 qpm */
	ev(&t, 0, "FF 58 04 04 02 18 08");	/* 4/4 */
	ev(&t, 0, "FF 59 02 01 00");		/* G major */
	ev(&t, 0, "C0 05");
	ev(&t, 0, "90 3C 64");			/* 60 on */
	ev(&t, 48, "3C 00");			/* running status, vel 0 */
	ev(&t, 0, "90 3E 50");			/* 62 on at 48 */
	ev(&t, 48, "90 3E 50");			/* 62 again at 96 */
	ev(&t, 48, "80 3E 40");			/* closes the first */
	ev(&t, 48, "80 3E 40");			/* closes the second */
	ev(&t, 0, "FF 51 03 0F 42 40");		/* 60 qpm at 1.0 s */
	ev(&t, 0, "99 24 64");			/* kick, channel 10 */
	ev(&t, 24, "89 24 00");
	ev(&t, 0, "91 40 64");			/* 64 on ch 2, never off */
	ev(&t, 96, "FF 2F 00");			/* end at 2.25 s */
	header(&f, 0, 1, 96);
	track(&f, &t);
	path = write_file("format0.mid", &f);

	CHECK(midifile_load(path, &s, &cause) == 0);
	CHECK_MSG(s.n == 5, "%zu notes", s.n);
	CHECK(s.n_tracks == 1);
	nt = find(&s, 60, 0.0);
	CHECK(nt != NULL && fabs(nt->end_s - 0.25) < 1e-6 &&
	    nt->velocity == 100 && nt->program == 5 && nt->channel == 0);
	/* First in, first out for the overlapping 62s. */
	nt = find(&s, 62, 0.25);
	CHECK(nt != NULL && fabs(nt->end_s - 0.75) < 1e-6);
	nt = find(&s, 62, 0.5);
	CHECK(nt != NULL && fabs(nt->end_s - 1.0) < 1e-6);
	nt = find(&s, 36, 1.0);
	CHECK(nt != NULL && nt->drum && nt->channel == 9 &&
	    fabs(nt->end_s - 1.25) < 1e-6);
	/* Left open: closed at the end of its track. */
	nt = find(&s, 64, 1.25);
	CHECK(nt != NULL && !nt->drum && nt->channel == 1 &&
	    nt->program == 0 && fabs(nt->end_s - 2.25) < 1e-6);
	CHECK(s.n_tempos == 2 && s.tempos[0].qpm == 120 &&
	    fabs(s.tempos[1].qpm - 60) < 1e-9 && s.tempos[1].tick == 192 &&
	    fabs(s.tempos[1].time_s - 1.0) < 1e-9);
	CHECK(s.n_timesigs == 1 && s.timesigs[0].num == 4 &&
	    s.timesigs[0].den == 4);
	CHECK(s.n_keysigs == 1 && s.keysigs[0].key == 1 &&
	    s.keysigs[0].minor == 0);
	CHECK(fabs(s.total_s - 2.25) < 1e-6);
	/* Sorted by start, then pitch down. */
	CHECK(s.n == 5 && s.notes[0].pitch == 60 && s.notes[4].pitch == 64);
	/* The tempo change quantizes piecewise: 1.25 s = 8 + 1 steps. */
	CHECK(convert_quantize(&s, 4, &cause) == 0);
	nt = find(&s, 64, 1.25);
	CHECK(nt != NULL && nt->start_step == 9 && nt->end_step == 13);
	noteseq_free(&s);
	free(path);
	free(cause);
}

/*
 * Format 0, two instruments in one track: a flute tune on channel 1 (a
 * sixteenth on every other step) and a bass on channel 2 in
 * its rests.  Loaded, the channels are two parts; the melody is the tune
 * alone by default and the bass alone on channel 2.
 */
static void
test_format0_channels(void)
{
	struct bytes		 f = { .n = 0 }, t = { .n = 0 };
	struct convert_opts	 o;
	struct convert_part	*v;
	struct windows		 w;
	struct noteseq		 s;
	char			*path, *cause = NULL, hex[16];
	int			 step, delta = 0, best, n, k, mixed;

	/* ppqn 96: a step (a sixteenth) is 24 ticks. */
	ev(&t, 0, "FF 51 03 07 A1 20");		/* 120 qpm */
	ev(&t, 0, "C0 49");			/* channel 1: flute */
	ev(&t, 0, "C1 21");			/* channel 2: bass 33 */
	for (step = 0; step < 32; step++) {
		if (step % 2 == 1) {		/* tune note off */
			snprintf(hex, sizeof hex, "80 %02X 00",
			    60 + (step / 2) % 5);
			ev(&t, delta, hex);
			delta = 0;
		}
		if (step % 4 == 2) {		/* bass off */
			snprintf(hex, sizeof hex, "81 %02X 00",
			    40 + ((step - 1) / 4) % 3);
			ev(&t, delta, hex);
			delta = 0;
		}
		if (step % 2 == 0) {
			snprintf(hex, sizeof hex, "90 %02X 60",
			    60 + (step / 2) % 5);
			ev(&t, delta, hex);
			delta = 0;
		}
		if (step % 4 == 1) {
			snprintf(hex, sizeof hex, "91 %02X 60",
			    40 + (step / 4) % 3);
			ev(&t, delta, hex);
			delta = 0;
		}
		delta += 24;
	}
	ev(&t, 0, "FF 2F 00");
	header(&f, 0, 1, 96);
	track(&f, &t);
	path = write_file("format0_2ch.mid", &f);

	CHECK(midifile_load(path, &s, &cause) == 0);
	CHECK_MSG(s.n == 24, "%zu notes", s.n);
	n = convert_parts(&s, &v, &best);
	CHECK(n == 2 && best == 0);
	if (n == 2)
		CHECK(v[0].track == 0 && v[0].channel == 0 &&
		    v[0].program == 73 && v[0].n_notes == 16 &&
		    v[1].track == 0 && v[1].channel == 1 &&
		    v[1].program == 33 && v[1].n_notes == 8);
	free(v);
	memset(&o, 0, sizeof o);
	o.kind = CONVERT_MELODY;
	o.track = -1;
	o.channel = -1;
	o.steps = 32;
	windows_init(&w);
	CHECK(convert_windows(&s, &o, &w, &cause) == 0 && w.n == 1 &&
	    w.channel == 0);
	for (k = 0, mixed = 0; w.n == 1 && k < 32; k++)
		mixed += w.tokens[k] >= 2 && w.tokens[k] < 60 - 19;
	CHECK_MSG(w.n == 1 && mixed == 0, "%d bass notes in the tune", mixed);
	CHECK(w.n == 1 && w.tokens[0] == 60 - 19 && w.tokens[1] ==
	    MEL_NOTE_OFF && w.tokens[2] == 61 - 19);
	windows_free(&w);
	o.channel = 1;
	CHECK(convert_windows(&s, &o, &w, &cause) == 0 && w.n == 1 &&
	    w.channel == 1);
	CHECK(w.n == 1 && w.tokens[0] == MEL_NO_EVENT &&
	    w.tokens[1] == 40 - 19 && w.tokens[2] == MEL_NOTE_OFF &&
	    w.tokens[4] == MEL_NO_EVENT && w.tokens[5] == 41 - 19);
	windows_free(&w);
	noteseq_free(&s);
	free(path);
	free(cause);
}

/*
 * libsmf 1.3 asserts on escaped (0xF7) events and reads a meta event's
 * length as one byte; the loader rewrites both as plain sysex events of
 * the same size, so such files load with every note in place.
 */
static void
test_libsmf_traps(void)
{
	struct bytes		 f = { .n = 0 }, t = { .n = 0 };
	struct noteseq		 s;
	const struct note	*nt;
	char			*path, *cause = NULL;
	int			 i, len;

	for (len = 127; len <= 300; len += 173) {
		f.n = t.n = 0;
		ev(&t, 0, "FF 51 03 07 A1 20");		/* 120 qpm */
		/* A text meta event of len bytes (2-byte VLQ when >= 128). */
		ev(&t, 0, "FF 01");
		vlq(&t, len);
		for (i = 0; i < len; i++)
			t.b[t.n++] = 'a' + i % 26;
		ev(&t, 0, "F7 02 F8 F8");		/* escaped clock bytes */
		ev(&t, 0, "90 3C 64");
		ev(&t, 96, "80 3C 40");
		ev(&t, 0, "90 40 64");
		ev(&t, 96, "80 40 40");
		ev(&t, 0, "FF 2F 00");
		header(&f, 0, 1, 96);
		track(&f, &t);
		path = write_file("traps.mid", &f);
		CHECK_MSG(midifile_load(path, &s, &cause) == 0, "%s",
		    cause != NULL ? cause : "");
		CHECK_MSG(s.n == 2, "meta of %d bytes: %zu notes", len, s.n);
		nt = find(&s, 64, 0.5);
		CHECK(nt != NULL && fabs(nt->end_s - 1.0) < 1e-6);
		noteseq_free(&s);
		free(path);
	}
	free(cause);
}

static void
test_format1(void)
{
	struct bytes	 f = { .n = 0 }, t0 = { .n = 0 }, t1 = { .n = 0 };
	struct bytes	 t2 = { .n = 0 };
	struct noteseq	 s;
	char		*path, *cause = NULL;

	ev(&t0, 0, "FF 03 04 54 75 6E 65");	/* "Tune" */
	ev(&t0, 0, "FF 51 03 09 27 C0");	/* 100 qpm */
	ev(&t0, 0, "FF 58 04 03 02 18 08");	/* 3/4 */
	ev(&t0, 0, "FF 2F 00");
	ev(&t1, 0, "FF 03 06 4D 65 6C 6F 64 79");	/* "Melody" */
	ev(&t1, 0, "C0 49");			/* flute */
	ev(&t1, 0, "90 48 60");
	ev(&t1, 480, "80 48 00");
	ev(&t1, 0, "FF 2F 00");
	ev(&t2, 240, "90 30 60");		/* bass, empty name */
	ev(&t2, 480, "90 30 00");
	ev(&t2, 0, "FF 2F 00");
	header(&f, 1, 3, 480);
	track(&f, &t0);
	track(&f, &t1);
	track(&f, &t2);
	path = write_file("format1.mid", &f);
	CHECK(midifile_load(path, &s, &cause) == 0);
	CHECK(s.n == 2 && s.n_tracks == 3);
	CHECK(s.track_names != NULL && s.track_names[0] != NULL &&
	    strcmp(s.track_names[0], "Tune") == 0 &&
	    s.track_names[1] != NULL &&
	    strcmp(s.track_names[1], "Melody") == 0);
	CHECK(s.name != NULL && strcmp(s.name, "Tune") == 0);
	CHECK(fabs(noteseq_qpm(&s) - 100) < 1e-9);
	CHECK(s.n_timesigs == 1 && s.timesigs[0].num == 3);
	if (s.n == 2) {
		CHECK(s.notes[0].pitch == 72 && s.notes[0].track == 1 &&
		    s.notes[0].program == 73 &&
		    fabs(s.notes[0].end_s - 0.6) < 1e-9);
		CHECK(s.notes[1].pitch == 48 && s.notes[1].track == 2 &&
		    fabs(s.notes[1].start_s - 0.3) < 1e-9);
	}
	noteseq_free(&s);
	free(path);
	free(cause);
}

/* Notes match in pitch, channel, program, drum, velocity and time. */
static int
same_notes(const struct noteseq *a, const struct noteseq *b, double tol)
{
	size_t	i;

	if (a->n != b->n)
		return (0);
	for (i = 0; i < a->n; i++) {
		const struct note *x = &a->notes[i], *y = &b->notes[i];

		if (x->pitch != y->pitch || x->channel != y->channel ||
		    x->drum != y->drum || x->velocity != y->velocity ||
		    (!x->drum && x->program != y->program) ||
		    fabs(x->start_s - y->start_s) > tol ||
		    fabs(x->end_s - y->end_s) > tol) {
			fprintf(stderr, "note %zu: %d %d %.4f-%.4f vs %d %d "
			    "%.4f-%.4f\n", i, x->pitch, x->channel,
			    x->start_s, x->end_s, y->pitch, y->channel,
			    y->start_s, y->end_s);
			return (0);
		}
	}
	return (1);
}

static void
test_roundtrip(void)
{
	struct noteseq	 s, r, q;
	struct note	*nt;
	char		*path, *cause = NULL;
	int		 i, trial, ok = 0, qok = 0;

	if (asprintf(&path, "%s/round.mid", tmpdir) == -1)
		exit(99);
	srand(3);
	for (trial = 0; trial < 20; trial++) {
		noteseq_init(&s);
		s.tempos[0].qpm = 60 + rand() % 120;
		s.timesigs[0].num = trial % 3 == 0 ? 3 : 4;
		for (i = 0; i < 40; i++) {
			nt = noteseq_add(&s);
			nt->channel = rand() % 3 == 0 ? 9 : rand() % 4;
			nt->drum = nt->channel == 9;
			nt->pitch = nt->drum ? 36 + rand() % 10 :
			    30 + rand() % 70;
			nt->program = nt->drum ? 0 : nt->channel * 8;
			nt->velocity = 1 + rand() % 127;
			nt->start_step = rand() % 128;
			nt->end_step = nt->start_step + 1 + rand() % 12;
			nt->start_s = nt->start_step * 15.0 / s.tempos[0].qpm;
			nt->end_s = nt->end_step * 15.0 / s.tempos[0].qpm;
			nt->track = nt->channel;
		}
		/* No two notes of one pitch and channel may overlap, or the
		   pairing would legitimately differ. */
		noteseq_sort(&s);
		for (i = 0; i < (int)s.n; i++) {
			size_t j;

			for (j = 0; j < (size_t)i; j++)
				if (s.notes[j].pitch == s.notes[i].pitch &&
				    s.notes[j].channel == s.notes[i].channel &&
				    s.notes[j].end_step >
				    s.notes[i].start_step)
					s.notes[i].pitch = -1;
		}
		for (i = 0; i < (int)s.n; i++)
			if (s.notes[i].pitch < 0)
				s.notes[i--] = s.notes[--s.n];
		noteseq_sort(&s);
		s.n_tracks = 10;
		s.quantized = trial % 2;
		s.steps_per_quarter = 4;
		if (midifile_save(path, &s, 1, &cause) != 0) {
			fprintf(stderr, "save: %s\n", cause);
			noteseq_free(&s);
			continue;
		}
		if (midifile_load(path, &r, &cause) != 0) {
			fprintf(stderr, "load: %s\n", cause);
			noteseq_free(&s);
			continue;
		}
		ok += same_notes(&s, &r, 2e-3) &&
		    fabs(noteseq_qpm(&r) - s.tempos[0].qpm) < 0.01 &&
		    r.timesigs[0].num == s.timesigs[0].num;
		/* Steps survive exactly. */
		noteseq_copy(&q, &r);
		if (convert_quantize(&q, 4, &cause) == 0) {
			int good = q.n == s.n;

			for (i = 0; good && i < (int)s.n; i++)
				good = q.notes[i].start_step ==
				    s.notes[i].start_step &&
				    q.notes[i].end_step == s.notes[i].end_step;
			qok += good;
		}
		noteseq_free(&q);
		noteseq_free(&r);
		noteseq_free(&s);
	}
	CHECK_MSG(ok == 20, "%d of 20 save/load round trips", ok);
	CHECK_MSG(qok == 20, "%d of 20 quantized round trips", qok);
	free(path);
	free(cause);
}

/* Trio tokens -> MIDI file -> trio tokens: three tracks survive. */
static void
test_trio_file(void)
{
	struct convert_opts	 o;
	struct windows		 w;
	struct noteseq		 s, r;
	char			*path, *cause = NULL;
	int			 tok[32 * 3], t;

	memset(tok, 0, sizeof tok);
	for (t = 0; t < 32; t += 2) {
		tok[t * 3] = 50 + t % 7;
		tok[t * 3 + 2] = 1 + (t % 5) * 37;
	}
	tok[0 * 3 + 1] = 20;
	tok[12 * 3 + 1] = 1;
	tok[16 * 3 + 1] = 22;
	noteseq_init(&s);
	convert_trio_to_noteseq(tok, 32, 110, 0, &s);
	if (asprintf(&path, "%s/trio.mid", tmpdir) == -1)
		exit(99);
	CHECK(midifile_save(path, &s, 0, &cause) == 0);
	CHECK(midifile_load(path, &r, &cause) == 0);
	CHECK(r.n == s.n && r.n_tracks == 4);	/* conductor + 3 */
	memset(&o, 0, sizeof o);
	o.kind = CONVERT_TRIO;
	o.track = -1;
	o.channel = -1;
	o.steps = 32;
	windows_init(&w);
	CHECK(convert_windows(&r, &o, &w, &cause) == 0 && w.n == 1 &&
	    w.S == 3);
	if (w.n == 1)
		CHECK(memcmp(w.tokens, tok, sizeof tok) == 0);
	windows_free(&w);
	noteseq_free(&r);
	noteseq_free(&s);
	free(path);
	free(cause);
}

static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0)
			n++;
	closedir(d);
	return (n);
}

static void
test_overwrite(void)
{
	struct noteseq	 s, r;
	char		*in, *out, *sub, *cause = NULL;
	int		 tok[32] = { 41, 0, 0, 0, 43 }, before;
	struct stat	 sb;

	if (asprintf(&sub, "%s/atomic", tmpdir) == -1 ||
	    mkdir(sub, 0700) != 0)
		exit(99);
	if (asprintf(&in, "%s/in.mid", sub) == -1 ||
	    asprintf(&out, "%s/out.mid", sub) == -1)
		exit(99);
	noteseq_init(&s);
	convert_melody_to_noteseq(tok, 32, 120, 0, 0, &s);
	CHECK(midifile_save(in, &s, 0, &cause) == 0);
	CHECK(count_entries(sub) == 1);		/* no temporary left */
	CHECK(stat(in, &sb) == 0 && (sb.st_mode & 0777) != 0600);
	CHECK(!midifile_is_input(in));
	CHECK(midifile_load(in, &r, &cause) == 0);
	CHECK(midifile_is_input(in));
	noteseq_free(&r);
	/* A loaded input is not overwritten unless forced. */
	CHECK(midifile_save(in, &s, 0, &cause) == -1 && cause != NULL &&
	    strstr(cause, in) != NULL && strstr(cause, "input") != NULL);
	CHECK(midifile_save(in, &s, 1, &cause) == 0);
	/* Nor is a read-only file (rename would let root through). */
	CHECK(midifile_save(out, &s, 0, &cause) == 0 && chmod(out, 0444) == 0);
	CHECK(midifile_save(out, &s, 0, &cause) == -1 && cause != NULL &&
	    strstr(cause, "read-only") != NULL);
	CHECK(midifile_save(out, &s, 1, &cause) == 0);
	/* Another file is fine; a bad directory fails cleanly. */
	CHECK(midifile_save(out, &s, 0, &cause) == 0);
	before = count_entries(sub);
	CHECK(before == 2);
	free(out);
	if (asprintf(&out, "%s/nodir/out.mid", sub) == -1)
		exit(99);
	CHECK(midifile_save(out, &s, 0, &cause) == -1 && cause != NULL &&
	    strncmp(cause, out, strlen(out)) == 0 &&
	    strchr(cause, '\n') == NULL);
	CHECK(count_entries(sub) == before);
	/* A pitch MIDI cannot hold is an error, not a dropped note. */
	s.notes[0].pitch = 128;
	CHECK(midifile_save(out, &s, 0, &cause) == -1 && cause != NULL &&
	    strstr(cause, "pitch 128") != NULL);
	s.notes[0].pitch = 60;
	CHECK(count_entries(sub) == before);
	noteseq_free(&s);
	free(in);
	free(out);
	free(sub);
	free(cause);
}

/*
 * glib messages (libsmf's and anyone's) never reach stderr once
 * midifile_log_init ran: stderr is the screen when curses is up.  Also
 * files libsmf grumbles about (format 0 with two tracks, an unknown
 * chunk) load without a word.
 */
static void
test_log_routing(void)
{
	struct bytes	 f = { .n = 0 }, t = { .n = 0 }, e = { .n = 0 };
	struct noteseq	 s;
	char		*p1, *p2, *errpath, *cause = NULL;
	int		 saved, fd;
	struct stat	 sb;

	ev(&e, 0, "FF 2F 00");
	ev(&t, 0, "90 3C 64");
	ev(&t, 240, "80 3C 00");
	ev(&t, 0, "FF 2F 00");
	header(&f, 0, 2, 480);
	track(&f, &e);
	track(&f, &t);
	p1 = write_file("f0two.mid", &f);
	f.n = 0;
	header(&f, 1, 1, 480);
	track(&f, &t);
	put(&f, (const unsigned char *)"XFIH\0\0\0\2ab", 10);
	p2 = write_file("unknown_chunk.mid", &f);
	if (asprintf(&errpath, "%s/stderr.txt", tmpdir) == -1)
		exit(99);
	fflush(stderr);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	g_log("libsmf", G_LOG_LEVEL_CRITICAL, "SMF error: a test message");
	g_log("libsmf", G_LOG_LEVEL_WARNING, "SMF warning: a test message");
	g_warning("a test message in the default domain");
	CHECK(midifile_load(p1, &s, &cause) == 0 && s.n == 1);
	noteseq_free(&s);
	CHECK(midifile_load(p2, &s, &cause) == 0 && s.n == 1);
	noteseq_free(&s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_MSG(stat(errpath, &sb) == 0 && sb.st_size == 0,
	    "%lld bytes reached stderr", (long long)sb.st_size);
	free(p1);
	free(p2);
	free(errpath);
	free(cause);
}

/*
 * Chunks libsmf reads wrong on its own: an unknown chunk before the first
 * track (libsmf stopped there: no tracks, no notes), more tracks than the
 * header says (the extra ones were dropped), a header longer than 6 bytes
 * (refused).  All load every note.
 */
static void
test_chunks(void)
{
	struct bytes	 f = { .n = 0 }, t = { .n = 0 }, e = { .n = 0 };
	struct noteseq	 s;
	char		*p, *cause = NULL;

	ev(&e, 0, "FF 03 01 63");
	ev(&e, 0, "FF 2F 00");
	ev(&t, 0, "90 3C 64");
	ev(&t, 240, "80 3C 00");
	ev(&t, 0, "FF 2F 00");

	header(&f, 1, 1, 480);
	put(&f, (const unsigned char *)"XFIH\0\0\0\2ab", 10);
	track(&f, &t);
	p = write_file("chunk_first.mid", &f);
	CHECK_MSG(midifile_load(p, &s, &cause) == 0 && s.n == 1 &&
	    s.n_tracks == 1, "unknown chunk first: %zu notes", s.n);
	noteseq_free(&s);
	free(p);

	f.n = 0;
	header(&f, 1, 1, 480);
	track(&f, &e);
	track(&f, &t);
	p = write_file("more_tracks.mid", &f);
	CHECK_MSG(midifile_load(p, &s, &cause) == 0 && s.n == 1 &&
	    s.n_tracks == 2 && s.notes[0].track == 1,
	    "more tracks than the header: %zu notes", s.n);
	noteseq_free(&s);
	free(p);

	f.n = 0;
	put(&f, (const unsigned char *)"MThd\0\0\0\10\0\0\0\1\1\340\0\0",
	    16);
	track(&f, &t);
	p = write_file("long_header.mid", &f);
	CHECK_MSG(midifile_load(p, &s, &cause) == 0 && s.n == 1,
	    "8-byte header: %s", cause ? cause : "");
	noteseq_free(&s);
	free(p);
	free(cause);
}

/*
 * A sequence with everything a saved file carries besides notes: a tempo
 * map with two changes, three meters, two keys, named tracks, programs
 * (two parts in the first track), drums.  Times are in seconds.
 */
static const char *meta_names[3] = { "Flute tune", "Bass line", "Kit" };
static const double meta_tempo[3][2] = { { 0, 100 }, { 2.4, 140 },
    { 4.0, 75 } };
static const double meta_meter[3][3] = { { 0, 4, 4 }, { 2.4, 3, 4 },
    { 4.0, 6, 8 } };
static const int meta_key[2][2] = { { -2, 0 }, { 1, 1 } };	/* Bb, e */
static const int meta_part[4][3] = {	/* track, channel, program */
	{ 0, 0, 73 }, { 0, 2, 40 }, { 1, 1, 33 }, { 2, 9, 0 },
};

static void
meta_seq(struct noteseq *s)
{
	struct note	*nt;
	int		 i, k;

	noteseq_init(s);
	s->tempos = realloc(s->tempos, 3 * sizeof *s->tempos);
	s->timesigs = realloc(s->timesigs, 3 * sizeof *s->timesigs);
	s->keysigs = realloc(s->keysigs, 2 * sizeof *s->keysigs);
	if (s->tempos == NULL || s->timesigs == NULL || s->keysigs == NULL)
		exit(99);
	for (i = 0; i < 3; i++) {
		s->tempos[i].time_s = meta_tempo[i][0];
		s->tempos[i].tick = -1;
		s->tempos[i].qpm = meta_tempo[i][1];
		s->timesigs[i].time_s = meta_meter[i][0];
		s->timesigs[i].num = (int)meta_meter[i][1];
		s->timesigs[i].den = (int)meta_meter[i][2];
	}
	s->n_tempos = s->n_timesigs = 3;
	for (i = 0; i < 2; i++) {
		s->keysigs[i].time_s = meta_tempo[i][0];
		s->keysigs[i].key = meta_key[i][0];
		s->keysigs[i].minor = meta_key[i][1];
	}
	s->n_keysigs = 2;
	s->n_tracks = 3;
	s->track_names = calloc(3, sizeof *s->track_names);
	for (i = 0; i < 3; i++)
		s->track_names[i] = strdup(meta_names[i]);
	s->name = strdup("Meta test");
	/* Notes on both sides of each change, 0.3 s apart. */
	for (i = 0; i < 20; i++)
		for (k = 0; k < 4; k++) {
			if ((i + k) % 2 != 0)
				continue;
			nt = noteseq_add(s);
			nt->track = meta_part[k][0];
			nt->channel = meta_part[k][1];
			nt->program = meta_part[k][2];
			nt->drum = nt->channel == NOTESEQ_DRUM_CHANNEL;
			nt->pitch = nt->drum ? 36 + i % 10 : 48 + 7 * k + i % 5;
			nt->velocity = 40 + 4 * i + k;
			nt->start_s = 0.1 + 0.3 * i;
			nt->end_s = nt->start_s + 0.25;
		}
	s->total_s = 0.1 + 0.3 * 20;
	noteseq_sort(s);
}

/* The part (index in meta_part) of a loaded note, by channel. */
static int
meta_part_of(const struct note *nt)
{
	int	k;

	for (k = 0; k < 4; k++)
		if (meta_part[k][1] == nt->channel)
			return (k);
	return (-1);
}

/* Saved and loaded by us: tempo map, meters, keys, names, programs. */
static void
test_meta_roundtrip(void)
{
	struct noteseq	 s, r;
	char		*path, *cause = NULL;
	size_t		 i;
	int		 k, names_ok = 1, progs_ok = 1, tracks = 1;

	meta_seq(&s);
	if (asprintf(&path, "%s/meta.mid", tmpdir) == -1)
		exit(99);
	CHECK(midifile_save(path, &s, 0, &cause) == 0);
	CHECK(midifile_load(path, &r, &cause) == 0);
	CHECK(same_notes(&s, &r, 2e-3));
	CHECK_MSG(r.n_tempos == 3, "%zu tempos", r.n_tempos);
	for (i = 0; i < 3 && i < r.n_tempos; i++)
		CHECK_MSG(fabs(r.tempos[i].time_s - meta_tempo[i][0]) < 2e-3 &&
		    fabs(r.tempos[i].qpm - meta_tempo[i][1]) < 0.01,
		    "tempo %zu: %.4f s %.3f qpm", i, r.tempos[i].time_s,
		    r.tempos[i].qpm);
	CHECK_MSG(r.n_timesigs == 3, "%zu meters", r.n_timesigs);
	for (i = 0; i < 3 && i < r.n_timesigs; i++)
		CHECK_MSG(fabs(r.timesigs[i].time_s - meta_meter[i][0]) < 2e-3
		    && r.timesigs[i].num == (int)meta_meter[i][1] &&
		    r.timesigs[i].den == (int)meta_meter[i][2],
		    "meter %zu: %d/%d at %.4f", i, r.timesigs[i].num,
		    r.timesigs[i].den, r.timesigs[i].time_s);
	CHECK_MSG(r.n_keysigs == 2, "%zu keys", r.n_keysigs);
	for (i = 0; i < 2 && i < r.n_keysigs; i++)
		CHECK(fabs(r.keysigs[i].time_s - meta_tempo[i][0]) < 2e-3 &&
		    r.keysigs[i].key == meta_key[i][0] &&
		    r.keysigs[i].minor == meta_key[i][1]);
	CHECK(r.name != NULL && strcmp(r.name, "Meta test") == 0);
	/* A conductor, then one track per part, named after its source. */
	CHECK_MSG(r.n_tracks == 5, "%d tracks", r.n_tracks);
	for (i = 0; i < r.n; i++) {
		k = meta_part_of(&r.notes[i]);
		if (k < 0 || r.notes[i].track <= 0 ||
		    r.notes[i].track >= r.n_tracks) {
			names_ok = 0;
			continue;
		}
		if (r.notes[i].track + 1 > tracks)
			tracks = r.notes[i].track + 1;
		if (r.track_names == NULL ||
		    r.track_names[r.notes[i].track] == NULL ||
		    strcmp(r.track_names[r.notes[i].track],
		    meta_names[meta_part[k][0]]) != 0)
			names_ok = 0;
		if (!r.notes[i].drum && r.notes[i].program != meta_part[k][2])
			progs_ok = 0;
	}
	CHECK(names_ok && tracks == 5);
	CHECK(progs_ok);
	noteseq_free(&r);
	noteseq_free(&s);
	free(path);
	free(cause);
}

static void
rm_rf(const char *dir)
{
	char	*cmd;

	if (asprintf(&cmd, "rm -rf '%s'", dir) != -1) {
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	}
}

/* DIR/savedK.meta for meta_seq (see write_for_reader). */
static int
write_meta(const char *dir, int k)
{
	FILE	*f;
	char	*path;
	int	 i;

	if (asprintf(&path, "%s/saved%d.meta", dir, k) == -1 ||
	    (f = fopen(path, "w")) == NULL)
		return (-1);
	for (i = 0; i < 3; i++)
		fprintf(f, "tempo %.6f %.6f\n", meta_tempo[i][0],
		    meta_tempo[i][1]);
	for (i = 0; i < 3; i++)
		fprintf(f, "meter %.6f %d %d\n", meta_meter[i][0],
		    (int)meta_meter[i][1], (int)meta_meter[i][2]);
	for (i = 0; i < 2; i++)
		fprintf(f, "key %.6f %d %d\n", meta_tempo[i][0],
		    meta_key[i][0], meta_key[i][1]);
	fprintf(f, "name Meta test\n");
	for (i = 0; i < 4; i++)
		fprintf(f, "track %s|%d|%d\n", meta_names[meta_part[i][0]],
		    meta_part[i][1], meta_part[i][1] == NOTESEQ_DRUM_CHANNEL ?
		    -1 : meta_part[i][2]);
	fclose(f);
	free(path);
	return (0);
}

/*
 * --write DIR: save a few sequences and, beside each, the notes we meant
 * (one "pitch channel velocity start end" line each) for an independent
 * reader (tests/mido_check.py) to compare against; for the last, the
 * meta_seq one, also what else it must find (FILE.meta: "tempo S QPM",
 * "meter S NUM DEN", "key S KEY MINOR", "name NAME", then one
 * "track NAME|CHANNEL|PROGRAM" per part, program -1 for drums).
 */
static int
write_for_reader(const char *dir)
{
	struct noteseq	 s;
	struct note	*nt;
	char		*path, *cause = NULL;
	FILE		*f;
	int		 k, i, tok[64 * 3];
	size_t		 j;

	srand(11);
	for (k = 0; k < 7; k++) {
		noteseq_init(&s);
		if (k == 6) {
			noteseq_free(&s);
			meta_seq(&s);
		} else if (k < 3) {
			/* Free timing, one tempo each, every channel. */
			s.tempos[0].qpm = 90 + 20 * k;
			for (i = 0; i < 50 + 30 * k; i++) {
				nt = noteseq_add(&s);
				nt->channel = i % 16;
				nt->drum = nt->channel == 9;
				nt->pitch = 21 + (i * 7 + k) % 88;
				nt->velocity = 1 + (i * 13) % 127;
				nt->program = nt->drum ? 0 : i % 128;
				nt->track = nt->channel;
				nt->start_s = i * 0.173 + 0.05 * k;
				nt->end_s = nt->start_s + 0.1 + (i % 5) * 0.21;
			}
			s.n_tracks = 16;
		} else {
			for (i = 0; i < 64 * 3; i++)
				tok[i] = i % 3 == 2 ? rand() % 512 :
				    (rand() % 3 == 0 ? 2 + rand() % 88 :
				    rand() % 2);
			if (k == 3)
				convert_trio_to_noteseq(tok, 64, 133, 0, &s);
			else if (k == 4)
				convert_drums_to_noteseq(tok, 64, 97, 100,
				    &s);
			else
				convert_melody_to_noteseq(tok, 64, 120, 41,
				    70, &s);
		}
		noteseq_sort(&s);
		if (asprintf(&path, "%s/saved%d.mid", dir, k) == -1)
			return (99);
		if (midifile_save(path, &s, 1, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			return (99);
		}
		free(path);
		if (asprintf(&path, "%s/saved%d.txt", dir, k) == -1 ||
		    (f = fopen(path, "w")) == NULL)
			return (99);
		for (j = 0; j < s.n; j++)
			fprintf(f, "%d %d %d %.6f %.6f\n", s.notes[j].pitch,
			    s.notes[j].channel, s.notes[j].velocity,
			    s.notes[j].start_s, s.notes[j].end_s);
		fclose(f);
		free(path);
		if (k == 6 && write_meta(dir, k) != 0)
			return (99);
		noteseq_free(&s);
	}
	free(cause);
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return (write_for_reader(argv[2]));
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (99);
	}
	midifile_log_init();
	test_format0();
	test_format0_channels();
	test_libsmf_traps();
	test_format1();
	test_roundtrip();
	test_trio_file();
	test_meta_roundtrip();
	test_overwrite();
	test_log_routing();
	test_chunks();
	rm_rf(tmpdir);
	return (test_report());
}
