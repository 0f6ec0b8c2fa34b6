/*
 * midifile.c: Standard MIDI Files in and out through libsmf.
 *
 * Loading is two passes.  First we check the chunk structure ourselves
 * (header, chunk lengths against the file size, event bytes in each
 * track), because libsmf trusts its input: on some garbage it reads past
 * buffers or asserts.  Only a file that passes goes to smf_load(), whose
 * glib messages we catch into a per-thread buffer that becomes the cause.
 *
 * Note pairing: a note-off (or note-on with velocity 0) closes the OLDEST
 * open note of the same (track, channel, pitch): first in, first out, as
 * pretty_midi and note-seq do.  Notes still open when their track ends are
 * closed at the track's last event (its end-of-track).
 */
#include "midifile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <smf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

/* Longest clip we accept: beyond this the delta times are nonsense. */
#define MIDIFILE_MAX_SECONDS	(6.0 * 3600.0)
#define MIDIFILE_MAX_BYTES	(64L * 1024 * 1024)
#define MIDIFILE_PPQN		480

/* ------------------------------------------------------------------ */
/* glib log capture. */

static __thread char	log_buf[256];
static __thread int	log_have;

static void
log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
    gpointer data)
{
	const char	*p;

	/* Debug and info chatter ("Loaded file ...") is dropped. */
	if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
	    G_LOG_LEVEL_WARNING)) == 0 || msg == NULL)
		return;
	/* Keep the first message: later ones are "... failed" echoes. */
	if (log_have)
		return;
	p = msg;
	if (strncmp(p, "SMF error: ", 11) == 0)
		p += 11;
	else if (strncmp(p, "SMF warning: ", 13) == 0)
		p += 13;
	snprintf(log_buf, sizeof log_buf, "%s", p);
	/* One line: cut at the first newline. */
	log_buf[strcspn(log_buf, "\n")] = '\0';
	log_have = 1;
}

void
midifile_log_init(void)
{
	g_log_set_default_handler(log_handler, NULL);
	g_log_set_handler("libsmf", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
	    G_LOG_FLAG_RECURSION, log_handler, NULL);
	g_log_set_handler(NULL, G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
	    G_LOG_FLAG_RECURSION, log_handler, NULL);
}

static void
log_clear(void)
{
	log_have = 0;
	log_buf[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Inputs we must not overwrite. */

/*
 * An input is known by its real path, and by device, inode, size and
 * mtime (another name for the same file).  The inode alone is not enough:
 * once an input is replaced by rename, the kernel may give its inode to
 * the next file created.
 */
struct input_id {
	char		*real;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

static pthread_mutex_t	 inputs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct input_id	*inputs;
static size_t		 n_inputs;

static void
input_register(const char *path, const struct stat *sb)
{
	struct input_id	*in;
	char		*real = realpath(path, NULL);
	size_t		 i;

	pthread_mutex_lock(&inputs_lock);
	/* A path loaded again (the instrument reopening a clip) updates
	   its entry: the list grows with the files, not the loads. */
	for (i = 0; i < n_inputs; i++)
		if (real != NULL && inputs[i].real != NULL &&
		    strcmp(real, inputs[i].real) == 0)
			break;
	if (i < n_inputs) {
		in = &inputs[i];
		free(in->real);
	} else {
		inputs = lr_realloc(inputs, (n_inputs + 1) * sizeof *inputs);
		in = &inputs[n_inputs++];
	}
	in->real = real;
	in->dev = sb->st_dev;
	in->ino = sb->st_ino;
	in->size = sb->st_size;
	in->mtime = sb->st_mtim;
	pthread_mutex_unlock(&inputs_lock);
}

int
midifile_is_input(const char *path)
{
	struct stat	 sb;
	struct input_id	*in;
	char		*real;
	size_t		 i;
	int		 found = 0;

	if (stat(path, &sb) != 0)
		return (0);
	real = realpath(path, NULL);
	pthread_mutex_lock(&inputs_lock);
	for (i = 0; i < n_inputs && !found; i++) {
		in = &inputs[i];
		found = (real != NULL && in->real != NULL &&
		    strcmp(real, in->real) == 0) ||
		    (in->dev == sb.st_dev && in->ino == sb.st_ino &&
		    in->size == sb.st_size &&
		    in->mtime.tv_sec == sb.st_mtim.tv_sec &&
		    in->mtime.tv_nsec == sb.st_mtim.tv_nsec);
	}
	pthread_mutex_unlock(&inputs_lock);
	free(real);
	return (found);
}

/* ------------------------------------------------------------------ */
/* Structural check before libsmf sees the bytes. */

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Read a variable-length quantity; -1 if longer than 4 bytes or cut. */
static long
read_vlq(const unsigned char *p, size_t len, size_t *off)
{
	long	v = 0;
	int	i;

	for (i = 0; i < 4; i++) {
		if (*off >= len)
			return (-1);
		v = (v << 7) | (p[*off] & 0x7f);
		if ((p[(*off)++] & 0x80) == 0)
			return (v);
	}
	return (-1);
}

/* Bytes of data after a channel status byte. */
static int
channel_len(int status)
{
	switch (status & 0xf0) {
	case 0xc0:
	case 0xd0:
		return (1);
	default:
		return (2);
	}
}

/*
 * Rewrite the n bytes of an event at p in place as a sysex event (0xF0,
 * VLQ length, data) of the same total size, which libsmf parses correctly
 * and the note reader ignores.  The length is written as a padded VLQ so
 * any n >= 3 fits.
 */
static void
as_sysex(unsigned char *p, size_t n)
{
	size_t	v, k, L;

	for (v = 1; v < 4; v++) {
		L = n - 1 - v;
		if (n > 1 + v && L < ((size_t)1 << (7 * v)))
			break;
	}
	L = n - 1 - v;
	p[0] = 0xf0;
	for (k = 0; k < v; k++)
		p[1 + k] = (unsigned char)(((L >> (7 * (v - 1 - k))) & 0x7f) |
		    (k + 1 < v ? 0x80 : 0));
}

/*
 * Walk one track's events: every length must fit the chunk, running
 * status must have a status to run on, and the summed delta times must
 * stay in range.  Fills *last_tick.  Returns NULL or a static reason.
 */
static const char *
check_track(unsigned char *p, size_t len, long *ticks)
{
	size_t	off = 0, start, vstart;
	long	delta, total = 0, mlen;
	int	status = 0, b, n, eot = 0, type;

	while (off < len) {
		/* libsmf asserts if a track goes on after, or runs out
		   before, its end-of-track event. */
		if (eot)
			return ("events after the end-of-track event");
		if ((delta = read_vlq(p, len, &off)) < 0)
			return ("bad delta time");
		total += delta;
		if (total > INT_MAX / 2)
			return ("delta times add up beyond the range of a "
			    "MIDI file");
		if (off >= len)
			return ("track ends inside an event");
		b = p[off];
		if (b == 0xff) {
			if (len - off < 3)
				return ("track ends inside a meta event");
			type = p[off + 1];
			start = off;
			off += 2;
			vstart = off;
			if ((mlen = read_vlq(p, len, &off)) < 0 ||
			    (size_t)mlen > len - off)
				return ("meta event longer than its track");
			eot = type == 0x2f;
			if (off - vstart > 1) {
				/* libsmf 1.3 reads a meta length as one byte. */
				if (eot)
					return ("end-of-track event with data");
				as_sysex(p + start, off - start + mlen);
			}
			off += mlen;
			status = 0;
		} else if (b == 0xf0 || b == 0xf7) {
			/* libsmf 1.3 asserts on escaped (0xF7) events. */
			p[off] = 0xf0;
			off++;
			if ((mlen = read_vlq(p, len, &off)) < 0 ||
			    (size_t)mlen > len - off)
				return ("sysex event longer than its track");
			off += mlen;
			status = 0;
		} else if (b >= 0xf1) {
			return ("system message inside a track");
		} else {
			if (b & 0x80) {
				status = b;
				off++;
			} else if (status == 0)
				return ("data byte without a status byte");
			n = channel_len(status);
			if ((size_t)n > len - off)
				return ("track ends inside an event");
			for (; n > 0; n--, off++)
				if (p[off] & 0x80)
					return ("status byte where data "
					    "was expected");
		}
	}
	if (!eot)
		return ("no end-of-track event (empty or cut short)");
	*ticks = total;
	return (NULL);
}

/* Check the file's chunks.  -1 with a cause (without the path). */
static int
check_bytes(unsigned char *p, size_t len, char **cause)
{
	size_t		off, clen;
	int		format, ntracks, division, seen = 0;
	long		ticks;
	const char	*why;

	if (len == 0)
		return (lr_fail(cause, "empty file"));
	if (len < 14 || memcmp(p, "MThd", 4) != 0)
		return (lr_fail(cause, "not a MIDI file (no MThd header)"));
	if (be32(p + 4) < 6 || be32(p + 4) > len - 8)
		return (lr_fail(cause, "bad header length %u",
		    (unsigned)be32(p + 4)));
	format = p[8] << 8 | p[9];
	ntracks = p[10] << 8 | p[11];
	division = p[12] << 8 | p[13];
	if (format > 2)
		return (lr_fail(cause, "unknown MIDI file format %d", format));
	if (format == 2)
		return (lr_fail(cause, "format 2 MIDI files (independent "
		    "patterns) are not supported"));
	if (ntracks == 0)
		return (lr_fail(cause, "no tracks"));
	if (division & 0x8000)
		return (lr_fail(cause, "SMPTE time division is not "
		    "supported"));
	if (division == 0)
		return (lr_fail(cause, "zero pulses per quarter note"));
	off = 8 + be32(p + 4);
	while (off < len) {
		if (len - off < 8)
			return (lr_fail(cause, "truncated chunk header at "
			    "byte %zu", off));
		clen = be32(p + off + 4);
		if (clen > len - off - 8)
			return (lr_fail(cause, "chunk at byte %zu claims %zu "
			    "bytes, only %zu left (truncated?)", off, clen,
			    len - off - 8));
		if (memcmp(p + off, "MTrk", 4) == 0) {
			if ((why = check_track(p + off + 8, clen, &ticks)) !=
			    NULL)
				return (lr_fail(cause, "track %d: %s", seen + 1,
				    why));
			if (++seen > 0xffff)
				return (lr_fail(cause, "more than %d tracks",
				    0xffff));
		}
		off += 8 + clen;
	}
	if (seen == 0)
		return (lr_fail(cause, "no track chunks"));
	if (seen < ntracks)
		return (lr_fail(cause, "header says %d tracks, file has %d "
		    "(truncated?)", ntracks, seen));
	return (0);
}

/*
 * The checked bytes as libsmf reads them right: a 6-byte header whose
 * track count is the number of MTrk chunks, then those chunks only.
 * libsmf 1.3 stops at an unknown chunk before a track (losing every track
 * after it), reads only as many tracks as the header says (more is legal
 * in practice and mido reads them all) and refuses a longer header.
 */
static void
keep_tracks(unsigned char **buf, size_t *len)
{
	unsigned char	*p = *buf, *out;
	size_t		 off, clen, n;
	int		 seen = 0;

	out = lr_malloc(*len + 1);
	memcpy(out, p, 14);
	out[4] = out[5] = out[6] = 0;
	out[7] = 6;
	n = 14;
	for (off = 8 + be32(p + 4); off < *len; off += 8 + clen) {
		clen = be32(p + off + 4);
		if (memcmp(p + off, "MTrk", 4) != 0)
			continue;
		memcpy(out + n, p + off, 8 + clen);
		n += 8 + clen;
		seen++;
	}
	out[10] = (unsigned char)(seen >> 8);
	out[11] = (unsigned char)seen;
	free(p);
	*buf = out;
	*len = n;
}

static int
read_file(const char *path, unsigned char **buf, size_t *len,
    struct stat *sb, char **cause)
{
	FILE	*f;
	size_t	 got, cap;

	if (stat(path, sb) != 0)
		return (lr_fail(cause, "%s", strerror(errno)));
	if (S_ISDIR(sb->st_mode))
		return (lr_fail(cause, "is a directory"));
	if (!S_ISREG(sb->st_mode))
		return (lr_fail(cause, "not a regular file"));
	if (sb->st_size > MIDIFILE_MAX_BYTES)
		return (lr_fail(cause, "too large for a MIDI clip (%lld "
		    "bytes)", (long long)sb->st_size));
	if ((f = fopen(path, "rb")) == NULL)
		return (lr_fail(cause, "%s", strerror(errno)));
	/* To the end, not to st_size: a file of /proc says 0 bytes, and
	   one still being written says less than it holds. */
	cap = (size_t)sb->st_size + 1 > 4096 ? (size_t)sb->st_size + 1 :
	    4096;
	*buf = lr_malloc(cap + 1);
	*len = 0;
	while ((got = fread(*buf + *len, 1, cap - *len, f)) > 0) {
		*len += got;
		if (*len > MIDIFILE_MAX_BYTES)
			break;
		if (*len == cap) {
			cap *= 2;
			*buf = lr_realloc(*buf, cap + 1);
		}
	}
	if (ferror(f) || *len > MIDIFILE_MAX_BYTES) {
		fclose(f);
		free(*buf);
		*buf = NULL;
		return (*len > MIDIFILE_MAX_BYTES ? lr_fail(cause, "too large "
		    "for a MIDI clip (over %ld bytes)", MIDIFILE_MAX_BYTES) :
		    lr_fail(cause, "read error"));
	}
	fclose(f);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Loading. */

struct open_note {
	int	track, channel, pitch, velocity, program;
	double	start_s;
	long	seq;		/* arrival order, for first-in first-out */
};

struct loader {
	struct noteseq		*s;
	struct open_note	*open;
	size_t			 n_open, cap_open;
	long			 seq;
	int			 program[16];
	double			*track_end;	/* seconds, per track */
};

static void
open_add(struct loader *ld, int track, int ch, int pitch, int vel,
    double t)
{
	struct open_note	*o;

	if (ld->n_open == ld->cap_open) {
		ld->cap_open = ld->cap_open == 0 ? 32 : ld->cap_open * 2;
		ld->open = lr_realloc(ld->open, ld->cap_open *
		    sizeof *ld->open);
	}
	o = &ld->open[ld->n_open++];
	o->track = track;
	o->channel = ch;
	o->pitch = pitch;
	o->velocity = vel;
	o->program = ld->program[ch];
	o->start_s = t;
	o->seq = ld->seq++;
}

static void
open_close(struct loader *ld, size_t i, double end)
{
	struct open_note	*o = &ld->open[i];
	struct note		*nt;

	nt = noteseq_add(ld->s);
	nt->pitch = o->pitch;
	nt->velocity = o->velocity;
	nt->channel = o->channel;
	nt->program = o->program;
	nt->drum = o->channel == NOTESEQ_DRUM_CHANNEL;
	nt->track = o->track;
	nt->start_s = o->start_s;
	nt->end_s = end > o->start_s ? end : o->start_s;
	ld->open[i] = ld->open[--ld->n_open];
}

/* Close the oldest open note of (track, channel, pitch), if any. */
static void
note_off(struct loader *ld, int track, int ch, int pitch, double t)
{
	size_t	i, best = SIZE_MAX;

	for (i = 0; i < ld->n_open; i++) {
		if (ld->open[i].track != track || ld->open[i].channel != ch ||
		    ld->open[i].pitch != pitch)
			continue;
		if (best == SIZE_MAX || ld->open[i].seq < ld->open[best].seq)
			best = i;
	}
	if (best != SIZE_MAX)
		open_close(ld, best, t);
}

static void
meta_event(struct loader *ld, smf_event_t *ev, int track)
{
	struct noteseq		*s = ld->s;
	const unsigned char	*b = ev->midi_buffer;
	size_t			 off = 2;
	long			 mlen;
	char			*text;

	if (ev->midi_buffer_length < 3)
		return;
	mlen = read_vlq(b, (size_t)ev->midi_buffer_length, &off);
	if (mlen < 0 || (size_t)mlen > (size_t)ev->midi_buffer_length - off)
		return;
	switch (b[1]) {
	case 0x03:	/* track name */
		if (track < 0 || track >= s->n_tracks ||
		    s->track_names[track] != NULL)
			break;
		if ((text = smf_event_extract_text(ev)) != NULL) {
			s->track_names[track] = lr_strdup(text);
			free(text);
		}
		break;
	case 0x59:	/* key signature: sf (signed), mi */
		if (mlen < 2)
			break;
		s->keysigs = lr_realloc(s->keysigs, (s->n_keysigs + 1) *
		    sizeof *s->keysigs);
		s->keysigs[s->n_keysigs].time_s = ev->time_seconds;
		s->keysigs[s->n_keysigs].key = (signed char)b[off];
		s->keysigs[s->n_keysigs].minor = b[off + 1] != 0;
		if (s->keysigs[s->n_keysigs].key < -7 ||
		    s->keysigs[s->n_keysigs].key > 7)
			break;	/* nonsense: ignore */
		/* Format 1 files often repeat the key in every track. */
		if (s->n_keysigs > 0 &&
		    s->keysigs[s->n_keysigs - 1].key ==
		    s->keysigs[s->n_keysigs].key &&
		    s->keysigs[s->n_keysigs - 1].minor ==
		    s->keysigs[s->n_keysigs].minor)
			break;
		s->n_keysigs++;
		break;
	}
}

/* Tempo and meter changes from libsmf's combined tempo map. */
static void
tempo_map(struct noteseq *s, smf_t *smf)
{
	smf_tempo_t	*t;
	int		 i;
	double		 qpm;

	s->n_tempos = 0;
	s->n_timesigs = 0;
	for (i = 0; (t = smf_get_tempo_by_number(smf, i)) != NULL; i++) {
		if (t->microseconds_per_quarter_note <= 0)
			continue;
		qpm = 60e6 / t->microseconds_per_quarter_note;
		if (s->n_tempos == 0 ||
		    s->tempos[s->n_tempos - 1].qpm != qpm) {
			s->tempos = lr_realloc(s->tempos, (s->n_tempos + 1) *
			    sizeof *s->tempos);
			s->tempos[s->n_tempos].time_s = t->time_seconds;
			s->tempos[s->n_tempos].tick = t->time_pulses;
			s->tempos[s->n_tempos].qpm = qpm;
			/* Two changes at one instant: the later wins. */
			if (s->n_tempos > 0 && s->tempos[s->n_tempos - 1].tick
			    == t->time_pulses)
				s->tempos[s->n_tempos - 1] =
				    s->tempos[s->n_tempos];
			else
				s->n_tempos++;
		}
		if (t->numerator > 0 && t->denominator > 0 &&
		    (s->n_timesigs == 0 ||
		    s->timesigs[s->n_timesigs - 1].num != t->numerator ||
		    s->timesigs[s->n_timesigs - 1].den != t->denominator)) {
			s->timesigs = lr_realloc(s->timesigs,
			    (s->n_timesigs + 1) * sizeof *s->timesigs);
			s->timesigs[s->n_timesigs].time_s = t->time_seconds;
			s->timesigs[s->n_timesigs].num = t->numerator;
			s->timesigs[s->n_timesigs].den = t->denominator;
			if (s->n_timesigs > 0 &&
			    s->timesigs[s->n_timesigs - 1].time_s ==
			    t->time_seconds)
				s->timesigs[s->n_timesigs - 1] =
				    s->timesigs[s->n_timesigs];
			else
				s->n_timesigs++;
		}
	}
	/* The map always starts at 0 (120 qpm, 4/4 if the file says not). */
	if (s->n_tempos == 0 || s->tempos[0].tick > 0) {
		s->tempos = lr_realloc(s->tempos, (s->n_tempos + 1) *
		    sizeof *s->tempos);
		memmove(s->tempos + 1, s->tempos, s->n_tempos *
		    sizeof *s->tempos);
		s->tempos[0].time_s = 0;
		s->tempos[0].tick = 0;
		s->tempos[0].qpm = LR_QPM_DEFAULT;
		s->n_tempos++;
	}
	if (s->n_timesigs == 0 || s->timesigs[0].time_s > 0) {
		s->timesigs = lr_realloc(s->timesigs, (s->n_timesigs + 1) *
		    sizeof *s->timesigs);
		memmove(s->timesigs + 1, s->timesigs, s->n_timesigs *
		    sizeof *s->timesigs);
		s->timesigs[0].time_s = 0;
		s->timesigs[0].num = 4;
		s->timesigs[0].den = 4;
		s->n_timesigs++;
	}
}

static int
load_smf(struct loader *ld, smf_t *smf, char **cause)
{
	struct noteseq	*s = ld->s;
	smf_event_t	*ev;
	smf_track_t	*tr;
	const unsigned char *b;
	int		 i, tk, st, ch;
	double		 t;

	s->n_tracks = smf->number_of_tracks;
	s->track_names = lr_calloc(s->n_tracks > 0 ? s->n_tracks : 1,
	    sizeof *s->track_names);
	ld->track_end = lr_calloc(s->n_tracks > 0 ? s->n_tracks : 1,
	    sizeof *ld->track_end);
	for (i = 0; i < s->n_tracks; i++) {
		tr = smf_get_track_by_number(smf, i + 1);
		if (tr != NULL && (ev = smf_track_get_last_event(tr)) != NULL)
			ld->track_end[i] = ev->time_seconds;
	}
	tempo_map(s, smf);

	/* All tracks merged in time order, so program changes apply in
	   time whatever track they sit in. */
	smf_rewind(smf);
	while ((ev = smf_get_next_event(smf)) != NULL) {
		t = ev->time_seconds;
		if (!isfinite(t) || t < 0 || t > MIDIFILE_MAX_SECONDS)
			return (lr_fail(cause, "event at %.0f s: delta times "
			    "too large", t));
		tk = ev->track != NULL ? ev->track->track_number - 1 : 0;
		if (tk < 0 || tk >= s->n_tracks)
			tk = 0;
		if (t > s->total_s)
			s->total_s = t;
		if (ev->midi_buffer_length < 1)
			continue;
		b = ev->midi_buffer;
		if (b[0] == 0xff) {
			meta_event(ld, ev, tk);
			continue;
		}
		if (b[0] < 0x80 || b[0] >= 0xf0)
			continue;
		st = b[0] & 0xf0;
		ch = b[0] & 0x0f;
		if (ev->midi_buffer_length < (st == 0xc0 || st == 0xd0 ? 2 : 3))
			continue;
		if (st == 0xc0)
			ld->program[ch] = b[1] & 0x7f;
		else if (st == 0x90 && b[2] > 0)
			open_add(ld, tk, ch, b[1] & 0x7f, b[2], t);
		else if (st == 0x80 || st == 0x90)
			note_off(ld, tk, ch, b[1] & 0x7f, t);
	}
	/* Notes never switched off end with their track. */
	while (ld->n_open > 0) {
		t = ld->track_end[ld->open[0].track];
		open_close(ld, 0, t);
	}
	for (i = 0; (size_t)i < s->n; i++)
		if (s->notes[i].end_s > s->total_s)
			s->total_s = s->notes[i].end_s;
	if (s->n_tracks > 0 && s->track_names[0] != NULL)
		s->name = lr_strdup(s->track_names[0]);
	noteseq_sort(s);
	return (0);
}

int
midifile_load(const char *path, struct noteseq *s, char **cause)
{
	struct loader	 ld;
	struct stat	 sb;
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	smf_t		*smf;
	int		 rc;

	noteseq_init(s);
	if (read_file(path, &buf, &len, &sb, cause) != 0 ||
	    check_bytes(buf, len, cause) != 0) {
		free(buf);
		noteseq_free(s);	/* a failed load leaves nothing */
		lr_cause_prefix(cause, "%s", path);
		return (-1);
	}
	keep_tracks(&buf, &len);
	log_clear();
	smf = smf_load_from_memory(buf, (int)len);
	free(buf);
	if (smf == NULL) {
		noteseq_free(s);
		return (lr_fail(cause, "%s: %s", path, log_have ? log_buf :
		    "libsmf could not parse the file"));
	}
	memset(&ld, 0, sizeof ld);
	ld.s = s;
	rc = load_smf(&ld, smf, cause);
	free(ld.open);
	free(ld.track_end);
	smf_delete(smf);
	if (rc != 0) {
		noteseq_free(s);
		lr_cause_prefix(cause, "%s", path);
		return (-1);
	}
	input_register(path, &sb);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Saving. */

struct out_event {
	long		tick;
	int		order;		/* at one tick: offs, then ons */
	unsigned char	b[3];
};

static int
out_cmp(const void *a, const void *b)
{
	const struct out_event	*x = a, *y = b;

	if (x->tick != y->tick)
		return (x->tick < y->tick ? -1 : 1);
	if (x->order != y->order)
		return (x->order - y->order);
	return (x->b[1] - y->b[1]);
}

/* Seconds to quarter notes through the tempo map. */
static double
seconds_to_quarters(const struct noteseq *s, double t)
{
	double	q = 0, qpm = LR_QPM_DEFAULT, at = 0;
	size_t	i;

	for (i = 0; i < s->n_tempos; i++) {
		if (s->tempos[i].time_s > t)
			break;
		q += (s->tempos[i].time_s - at) * qpm / 60.0;
		at = s->tempos[i].time_s;
		if (s->tempos[i].qpm > 0)
			qpm = s->tempos[i].qpm;
	}
	return (q + (t - at) * qpm / 60.0);
}

/* A note's ticks: exact from steps when quantized, else via seconds. */
static void
note_ticks(const struct noteseq *s, const struct note *nt, long *on,
    long *off)
{
	int	spq = s->steps_per_quarter > 0 ? s->steps_per_quarter :
		    NOTESEQ_STEPS_PER_QUARTER;

	if (s->quantized) {
		*on = (long)nt->start_step * MIDIFILE_PPQN / spq;
		*off = (long)nt->end_step * MIDIFILE_PPQN / spq;
	} else {
		*on = lround(seconds_to_quarters(s, nt->start_s) *
		    MIDIFILE_PPQN);
		*off = lround(seconds_to_quarters(s, nt->end_s) *
		    MIDIFILE_PPQN);
	}
	if (*on < 0)
		*on = 0;
	if (*off <= *on)
		*off = *on + 1;
}

static int
add_meta(smf_track_t *tr, long tick, const unsigned char *b, int len)
{
	smf_event_t	*ev;

	if ((ev = smf_event_new_from_pointer((void *)b, len)) == NULL)
		return (-1);
	smf_track_add_event_pulses(tr, ev, (int)tick);
	return (0);
}

/* The sequence's length in ticks: tracks end there, not at the last
   note, so a clip with a rest at its end keeps its length. */
static long
end_ticks(const struct noteseq *s)
{
	int	spq = s->steps_per_quarter > 0 ? s->steps_per_quarter :
		    NOTESEQ_STEPS_PER_QUARTER;

	if (s->quantized && s->total_steps > 0)
		return ((long)s->total_steps * MIDIFILE_PPQN / spq);
	if (s->total_s > 0 && s->total_s < MIDIFILE_MAX_SECONDS)
		return (lround(seconds_to_quarters(s, s->total_s) *
		    MIDIFILE_PPQN));
	return (0);
}

/* The conductor track: name, tempo map, meter, key. */
static int
save_conductor(smf_t *smf, const struct noteseq *s)
{
	smf_track_t	*tr = smf_track_new();
	smf_event_t	*ev;
	unsigned char	 b[8];
	long		 us, tick;
	size_t		 i;
	int		 d, lg;

	smf_add_track(smf, tr);
	if ((ev = smf_event_new_textual(0x03, s->name != NULL ? s->name :
	    "latentroll")) != NULL)
		smf_track_add_event_pulses(tr, ev, 0);
	for (i = 0; i < s->n_tempos; i++) {
		if (!(s->tempos[i].qpm > 0))
			continue;
		us = lround(60e6 / s->tempos[i].qpm);
		if (us > 0xffffff)
			us = 0xffffff;
		tick = i == 0 ? 0 : lround(seconds_to_quarters(s,
		    s->tempos[i].time_s) * MIDIFILE_PPQN);
		b[0] = 0xff; b[1] = 0x51; b[2] = 3;
		b[3] = us >> 16; b[4] = us >> 8; b[5] = us;
		if (add_meta(tr, tick, b, 6) != 0)
			return (-1);
	}
	for (i = 0; i < s->n_timesigs; i++) {
		for (d = s->timesigs[i].den, lg = 0; d > 1; d >>= 1)
			lg++;
		tick = i == 0 ? 0 : lround(seconds_to_quarters(s,
		    s->timesigs[i].time_s) * MIDIFILE_PPQN);
		b[0] = 0xff; b[1] = 0x58; b[2] = 4;
		b[3] = s->timesigs[i].num; b[4] = lg; b[5] = 24; b[6] = 8;
		if (add_meta(tr, tick, b, 7) != 0)
			return (-1);
	}
	for (i = 0; i < s->n_keysigs; i++) {
		tick = lround(seconds_to_quarters(s, s->keysigs[i].time_s) *
		    MIDIFILE_PPQN);
		b[0] = 0xff; b[1] = 0x59; b[2] = 2;
		b[3] = (unsigned char)(signed char)s->keysigs[i].key;
		b[4] = s->keysigs[i].minor;
		if (add_meta(tr, tick, b, 5) != 0)
			return (-1);
	}
	ev = smf_track_get_last_event(tr);
	tick = end_ticks(s);
	if (ev != NULL && ev->time_pulses > tick)
		tick = ev->time_pulses;
	return (smf_track_add_eot_pulses(tr, (int)tick));
}

/*
 * One output track per (source track, channel, program) in order of first
 * appearance, so a melody/bass/drums trio gets three tracks.
 */
static int
save_tracks(smf_t *smf, const struct noteseq *s)
{
	struct out_key { int track, channel, program; } *key;
	struct out_event	*ev;
	smf_track_t		*tr;
	smf_event_t		*e;
	size_t			 i, n;
	int			 nk = 0, k;
	long			 on, off, last;
	char			 name[64];

	key = lr_calloc(s->n + 1, sizeof *key);
	for (i = 0; i < s->n; i++) {
		for (k = 0; k < nk; k++)
			if (key[k].track == s->notes[i].track &&
			    key[k].channel == s->notes[i].channel &&
			    key[k].program == s->notes[i].program)
				break;
		if (k == nk) {
			key[nk].track = s->notes[i].track;
			key[nk].channel = s->notes[i].channel;
			key[nk].program = s->notes[i].program;
			nk++;
		}
	}
	ev = lr_calloc(2 * s->n + 2, sizeof *ev);
	for (k = 0; k < nk; k++) {
		tr = smf_track_new();
		smf_add_track(smf, tr);
		if (key[k].track >= 0 && key[k].track < s->n_tracks &&
		    s->track_names != NULL &&
		    s->track_names[key[k].track] != NULL)
			snprintf(name, sizeof name, "%s",
			    s->track_names[key[k].track]);
		else
			snprintf(name, sizeof name, "%s",
			    key[k].channel == NOTESEQ_DRUM_CHANNEL ? "drums" :
			    (key[k].program >= 32 && key[k].program < 40 ?
			    "bass" : "melody"));
		if ((e = smf_event_new_textual(0x03, name)) != NULL)
			smf_track_add_event_pulses(tr, e, 0);
		if (key[k].channel != NOTESEQ_DRUM_CHANNEL) {
			e = smf_event_new_from_bytes(0xc0 | key[k].channel,
			    key[k].program & 0x7f, -1);
			if (e != NULL)
				smf_track_add_event_pulses(tr, e, 0);
		}
		n = 0;
		last = end_ticks(s);
		for (i = 0; i < s->n; i++) {
			const struct note *nt = &s->notes[i];

			if (nt->track != key[k].track ||
			    nt->channel != key[k].channel ||
			    nt->program != key[k].program)
				continue;
			if (nt->pitch < 0 || nt->pitch > 127)
				continue;
			note_ticks(s, nt, &on, &off);
			ev[n].tick = on;
			ev[n].order = 1;
			ev[n].b[0] = 0x90 | (nt->channel & 0x0f);
			ev[n].b[1] = nt->pitch;
			ev[n].b[2] = nt->velocity > 0 && nt->velocity < 128 ?
			    nt->velocity : 80;
			n++;
			ev[n].tick = off;
			ev[n].order = 0;
			ev[n].b[0] = 0x80 | (nt->channel & 0x0f);
			ev[n].b[1] = nt->pitch;
			ev[n].b[2] = 64;
			n++;
			if (off > last)
				last = off;
		}
		qsort(ev, n, sizeof *ev, out_cmp);
		for (i = 0; i < n; i++) {
			e = smf_event_new_from_bytes(ev[i].b[0], ev[i].b[1],
			    ev[i].b[2]);
			if (e == NULL) {
				free(ev);
				free(key);
				return (-1);
			}
			smf_track_add_event_pulses(tr, e, (int)ev[i].tick);
		}
		if (smf_track_add_eot_pulses(tr, (int)last) != 0) {
			free(ev);
			free(key);
			return (-1);
		}
	}
	free(ev);
	free(key);
	return (0);
}

/* The sequence as a format 1 file through libsmf, for atomic_write_path. */
static int
fill_smf(const char *tmp, void *arg, char **cause)
{
	const struct noteseq	*s = arg;
	smf_t			*smf;
	int			 rc;

	log_clear();
	smf = smf_new();
	rc = smf == NULL || smf_set_ppqn(smf, MIDIFILE_PPQN) != 0 ||
	    save_conductor(smf, s) != 0 || save_tracks(smf, s) != 0 ||
	    smf_set_format(smf, 1) != 0 || smf_save(smf, tmp) != 0 ? -1 : 0;
	if (smf != NULL)
		smf_delete(smf);
	if (rc != 0)
		lr_fail(cause, "%s", log_have ? log_buf :
		    "libsmf could not write the file");
	return (rc);
}

int
midifile_save(const char *path, const struct noteseq *s, int force,
    char **cause)
{
	struct stat	 sb;
	size_t		 i;

	if (!force && midifile_is_input(path))
		return (lr_fail(cause, "%s: is an input clip; refusing to "
		    "overwrite it (use --force)", path));
	/* A read-only file is someone's data (a corpus, say): even root,
	   which rename lets through, must ask with force. */
	if (!force && stat(path, &sb) == 0 && (sb.st_mode & 0222) == 0)
		return (lr_fail(cause, "%s: is read-only; refusing to "
		    "overwrite it (use --force)", path));
	/* Refuse what MIDI cannot say rather than drop it quietly. */
	for (i = 0; i < s->n; i++)
		if (s->notes[i].pitch < 0 || s->notes[i].pitch > 127 ||
		    s->notes[i].channel < 0 || s->notes[i].channel > 15)
			return (lr_fail(cause, "%s: note %zu has pitch %d on "
			    "channel %d (MIDI has 0..127 on 0..15)", path, i,
			    s->notes[i].pitch, s->notes[i].channel));
	return (atomic_write_path(path, fill_smf, (void *)s, cause));
}
