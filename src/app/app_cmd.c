/*
 * app_cmd.c: what the keys do in the instrument.  Pure state changes go
 * through roll_apply() (ui/roll.c); this file acts on what they report (a
 * new ladder, another point, a swap) and runs the commands that need I/O:
 * saving, sets, clips, the player, one-key questions and the prompt.
 */
#include "app.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "audiofile.h"
#include "keylock.h"
#include "midifile.h"
#include "render.h"

/* A new name in the current directory: never an existing file. */
static void
suggest_name(char *buf, size_t len, const char *stem, const char *ext)
{
	int	i;

	for (i = 1; i < 1000; i++) {
		snprintf(buf, len, "%s-%03d%s", stem, i, ext);
		if (access(buf, F_OK) != 0)
			return;
	}
}

/*
 * W: the result as audio, as heard: the loop the player gets (programs
 * of the source clip, velocities kept or fixed as the player has them,
 * channel, program =), at the tempo now, LOOPS times (default 2), through
 * the built-in synth's soundfont, then its release.  "FILE.wav [LOOPS]";
 * never over an existing file; atomic.
 */
int
app_save_audio(struct app *a, const char *text)
{
	struct live_pattern	 p;
	struct live_note	*ln = NULL;
	struct render_audio	 au;
	struct live_opts	 o = a->play.lo;
	char			 path[1024], *sp;
	char			*cause = NULL;
	size_t			 len;
	int			 loops = 2;

	/* "NAME [LOOPS]": the name may hold spaces (as s and o take
	   them); a last word of digits is the loop count. */
	snprintf(path, sizeof path, "%s", text);
	while ((len = strlen(path)) > 0 && path[len - 1] == ' ')
		path[len - 1] = '\0';
	if ((sp = strrchr(path, ' ')) != NULL && sp[1] != '\0' &&
	    strspn(sp + 1, "0123456789") == strlen(sp + 1)) {
		loops = strlen(sp + 1) > 2 ? 0 : atoi(sp + 1);
		*sp = '\0';
		while ((len = strlen(path)) > 0 && path[len - 1] == ' ')
			path[len - 1] = '\0';
	}
	if (path[0] == '\0' || loops < 1 || loops > 64) {
		app_msg(a, 1, "save audio: \"%s\": a .wav (or .flac) name, "
		    "then maybe a loop count 1-64", text);
		return (-1);
	}
	if (!audiofile_is_audio(path)) {
		app_msg(a, 1, "%s: want a .wav or .flac name", path);
		return (-1);
	}
	if (access(path, F_OK) == 0) {
		app_msg(a, 1, "%s: exists (not overwritten; choose another "
		    "name)", path);
		return (-1);
	}
	memset(&au, 0, sizeof au);
	o.qpm = app_qpm(a);
	if (app_pattern(a, &p, &ln, &cause) != 0 ||
	    render_pattern(&o, &p, loops, o.soundfont, &au, &cause) != 0 ||
	    audiofile_save(path, au.pcm, au.frames, 2, au.rate, 0,
	    &cause) != 0) {
		app_msg(a, 1, "%s", cause != NULL ? cause : "render failed");
		free(cause);
		free(ln);
		render_audio_free(&au);
		return (-1);
	}
	app_msg(a, 0, "saved %s (%d loop%s at %.0f BPM, %.1f s)", path, loops,
	    loops == 1 ? "" : "s", o.qpm, au.music_s + au.tail_s);
	free(ln);
	render_audio_free(&au);
	return (0);
}

/*
 * s: write what the result lane shows (edits and key lock included), as
 * heard.  midifile_save is atomic and refuses input clips; refusing any
 * existing file on top keeps the rule "nothing the user made is lost".
 */
int
app_save_result(struct app *a, const char *name)
{
	const struct ui_note	*cur;
	struct noteseq		 s;
	size_t			 n;
	char			*cause = NULL, path[PATH_MAX];
	const char		*base;
	int			 rc;

	if (name[0] == '\0') {
		app_msg(a, 1, "save: no file name");
		return (-1);
	}
	/* "take" is a MIDI file too: named so, or no player opens it. */
	base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
	snprintf(path, sizeof path, "%s%s", name, *base != '\0' &&
	    strchr(base, '.') == NULL ? ".mid" : "");
	/* Never over anything: a new name or nothing. */
	if (access(path, F_OK) == 0) {
		app_msg(a, 1, "%s: exists (not overwritten; choose another "
		    "name)", path);
		return (-1);
	}
	cur = app_current_notes(a, &n);
	noteseq_init(&s);
	app_result_seq(a, cur, n, &s, NULL);
	if ((rc = midifile_save(path, &s, 0, &cause)) != 0) {
		app_msg(a, 1, "%s", cause);
		free(cause);
	} else {
		/* Only the edit itself saved makes it safe to quit: a
		   dropped edit (u brings it back) is still unsaved. */
		if (a->r.edit_active)
			a->r.unsaved = 0;
		app_msg(a, 0, "saved %s (%zu notes)", path, n);
	}
	noteseq_free(&s);
	return (rc != 0 ? -1 : 0);
}

/*
 * A copied clip is in no file: S writes it beside the set as SET-B.mid
 * (SET-B-2.mid, ...: never an existing file, so never an input), through
 * midifile_save (atomic).  The name goes to name; -1 with a cause.
 */
static int
save_copy(struct app *a, int i, const char *setpath, char *name,
    size_t len, char **cause)
{
	char	stem[PATH_MAX - 16], *dot, *slash;
	int	k;

	snprintf(stem, sizeof stem, "%s", setpath);
	dot = strrchr(stem, '.');
	slash = strrchr(stem, '/');
	if (dot != NULL && (slash == NULL ? dot > stem : dot > slash + 1))
		*dot = '\0';
	for (k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(name, len, "%s-%c.mid", stem, 'A' + i);
		else
			snprintf(name, len, "%s-%c-%d.mid", stem, 'A' + i, k);
		if (access(name, F_OK) != 0)
			break;
	}
	if (k == 1000)
		return (lr_fail(cause, "%s: no free name for clip %c", stem,
		    'A' + i));
	return (midifile_save(name, &a->clips[i].seq, 0, cause));
}

/*
 * S: everything to come back to this sound.  Paths are made absolute so
 * the set opens from any directory.  A copied clip is written beside the
 * set first; if the set itself cannot be saved, those new files go again
 * (all or nothing) and the copies stay unsaved.
 */
static void
save_set(struct app *a, const char *path)
{
	struct set	 s;
	struct stat	 st, own;
	char		*cause = NULL, rp[PATH_MAX], copy[4][PATH_MAX];
	char		 what[512];
	int		 i, k, wrote[4] = { 0 };
	size_t		 off = 0;

	/* S saves over the set this session opened or saved (an editor's
	   save); any other existing file is someone's: not replaced. */
	if (stat(path, &st) == 0 && (a->set_path == NULL ||
	    stat(a->set_path, &own) != 0 || own.st_dev != st.st_dev ||
	    own.st_ino != st.st_ino)) {
		app_msg(a, 1, "%s: exists (not overwritten; choose another "
		    "name)", path);
		return;
	}
	set_init(&s);
	if (realpath(a->model.model_dir, rp) != NULL)
		s.model = lr_strdup(rp);
	for (i = 0; i < 4; i++) {
		s.window[i] = a->clips[i].wi;
		if (clip_unsaved(&a->clips[i])) {
			if (save_copy(a, i, path, copy[i], sizeof copy[i],
			    &cause) != 0)
				goto fail;
			wrote[i] = 1;
			s.clip[i] = lr_strdup(realpath(copy[i], rp) ? rp :
			    copy[i]);
			continue;	/* track: the converter's choice */
		}
		if (a->clips[i].path != NULL)
			s.clip[i] = lr_strdup(realpath(a->clips[i].path, rp) ?
			    rp : a->clips[i].path);
		s.track[i] = a->clips[i].path != NULL ?
		    a->clips[i].win.track : -1;
	}
	s.slider = a->r.slider;
	s.pad_on = a->r.pad_on;
	s.pad_x = a->r.pad_x;
	s.pad_y = a->r.pad_y;
	s.lerp = a->r.lerp;
	s.temperature = a->r.temperature;
	s.seed = a->r.seed;
	s.qpm = app_qpm(a);
	for (k = 0; k < a->model.n_attrs; k++)
		set_nudge_add(&s.nudges, a->model.attr_names[k], a->r.nudge[k]);
	for (i = 0; i < SET_SNAPSHOTS && i < ROLL_SNAPSHOTS; i++) {
		if (!a->r.snaps[i].valid)
			continue;
		s.snap_valid[i] = 1;
		s.snap_slider[i] = a->r.snaps[i].slider;
		s.snap_pad_on[i] = a->r.snaps[i].pad_on;
		s.snap_pad_x[i] = a->r.snaps[i].pad_x;
		s.snap_pad_y[i] = a->r.snaps[i].pad_y;
		for (k = 0; k < a->model.n_attrs; k++)
			set_nudge_add(&s.snap_nudges[i], a->model.attr_names[k],
			    a->r.snaps[i].nudge[k]);
	}
	if (set_save(&s, path, &cause) != 0)
		goto fail;
	what[0] = '\0';
	for (i = 0; i < 4; i++) {
		if (!wrote[i])
			continue;
		clip_set_path(&a->clips[i], copy[i]);
		off += snprintf(what + off, off < sizeof what ?
		    sizeof what - off : 0, ", copy %c in %s", 'A' + i,
		    copy[i]);
		if (off >= sizeof what)
			off = sizeof what - 1;
	}
	app_msg(a, 0, "saved set %s%s (latentroll --set %s)", path, what,
	    path);
	free(a->set_path);
	a->set_path = lr_strdup(path);
	set_free(&s);
	return;
fail:
	for (i = 0; i < 4; i++)
		if (wrote[i])
			unlink(copy[i]);
	app_msg(a, 1, "%s", cause != NULL ? cause : "save failed");
	free(cause);
	set_free(&s);
}

/* Apply a set's knobs (the clips and model are loaded by the caller). */
void
app_apply_set(struct app *a, const struct set *s)
{
	int	i, k;

	a->r.slider = s->slider;
	a->r.pad_on = s->pad_on;
	a->r.pad_x = s->pad_x;
	a->r.pad_y = s->pad_y;
	a->r.lerp = s->lerp;
	a->r.temperature = s->temperature;
	a->r.seed = s->seed;
	for (k = 0; k < a->model.n_attrs; k++)
		a->r.nudge[k] = set_nudge_get(&s->nudges,
		    a->model.attr_names[k]);
	for (i = 0; i < SET_SNAPSHOTS && i < ROLL_SNAPSHOTS; i++) {
		if (!s->snap_valid[i])
			continue;
		a->r.snaps[i].valid = 1;
		a->r.snaps[i].slider = s->snap_slider[i];
		a->r.snaps[i].pad_on = s->snap_pad_on[i];
		a->r.snaps[i].pad_x = s->snap_pad_x[i];
		a->r.snaps[i].pad_y = s->snap_pad_y[i];
		for (k = 0; k < a->model.n_attrs; k++)
			a->r.snaps[i].nudge[k] = set_nudge_get(
			    &s->snap_nudges[i], a->model.attr_names[k]);
	}
}

/* The result becomes clip i (a new endpoint). */
static void
copy_result(struct app *a, int i)
{
	const struct ui_note	*cur;
	struct noteseq		 s;
	struct windows		 w;
	size_t			 n;
	char			*cause = NULL;

	cur = app_current_notes(a, &n);
	noteseq_init(&s);
	clip_notes_to_seq(app_fmt(a), cur, n, &s);
	if (clip_windows(app_fmt(a), &s, -1, "result", &w, &cause) != 0) {
		app_msg(a, 1, "copy: %s", cause);
		free(cause);
		noteseq_free(&s);
		return;
	}
	/* The clip holds what its lane shows: the notes of the window
	   the model reads, not the raw edit.  A polyphonic edit saved as
	   it was (S) came back through clip_load's top-voice rule as other
	   notes than the lane had shown. */
	noteseq_free(&s);
	noteseq_init(&s);
	clip_tokens_to_seq(app_fmt(a), w.tokens, &s);
	clip_free(&a->clips[i]);
	a->clips[i].win = w;
	a->clips[i].seq = s;
	a->clips[i].have_seq = 1;
	clip_window(&a->clips[i], app_fmt(a), 0);
	app_msg(a, 0, "result copied into %c", 'A' + i);
	app_submit(a);
}

/*
 * k cycles off -> key of A (its key signature, else the best-fitting major
 * scale) -> C major; K moves the lock a fifth up (G, D, ...).  A
 * post-filter on the shown result: the model and the measured attributes
 * are untouched.
 */
static void
set_keylock(struct app *a, int mode, int fifths)
{
	a->lane.keylock = mode;
	if (fifths != 0)	/* K: a chosen key, round the circle */
		a->lane.key_root = (a->lane.key_root + 7 * fifths) % 12;
	else if (mode == 1 && a->clips[0].have_seq)
		a->lane.key_root = keylock_estimate(&a->clips[0].seq);
	else
		a->lane.key_root = 0;
	keylock_name(a->lane.key_root, a->lane.key_label,
	    sizeof a->lane.key_label);
	a->model.shown_gen = 0;	/* show and swap again */
	app_show(a);
}

/*
 * q: nothing the user made may be lost.  Ask while an edit is unsaved or
 * a copied clip is in no file yet (S writes it beside the set).
 */
static void
ask_quit(struct app *a)
{
	char	copies[16];
	int	i, n = 0;

	for (i = 0; i < 4; i++)
		if (clip_unsaved(&a->clips[i]))
			copies[n++] = 'A' + i;
	copies[n] = '\0';
	if (!a->r.unsaved && n == 0) {
		a->quit = 1;
		return;
	}
	a->ask = ASK_QUIT;
	if (n == 0)
		app_msg(a, 0, "unsaved edits: quit anyway? (y/n)");
	else
		app_msg(a, 0, "unsaved %scopied clip %s (S saves it): quit "
		    "anyway? (y/n)", a->r.unsaved ? "edits and " : "",
		    copies);
}

/* A one-key answer to a question on the message line. */
static void
answer(struct app *a, int key)
{
	enum app_ask	ask = a->ask;
	int		i = key >= 'a' && key <= 'd' ? key - 'a' :
			    (key >= 'A' && key <= 'D' ? key - 'A' : -1);
	char		target[LIVE_TARGET_MAX], *cause = NULL;

	a->ask = ASK_NONE;
	a->msg[0] = '\0';
	a->r.dirty |= ROLL_DIRTY_ALL;
	switch (ask) {
	case ASK_QUIT:
		if (key == 'y' || key == 'Y')
			a->quit = 1;
		break;
	case ASK_OPEN:
		if (i >= 0) {
			char label[32];

			snprintf(label, sizeof label, "open into %c: ",
			    'A' + i);
			prompt_open(&a->p, PR_OPEN_A + i, label, "");
		}
		break;
	case ASK_COPY:
		if (i >= 0)
			copy_result(a, i);
		break;
	case ASK_WINDOW:
		if (i < 0 || a->clips[i].tokens == NULL)
			break;
		if (key >= 'A' && key <= 'D') {
			/* Upper case: the next track of that clip. */
			if (clip_next_track(&a->clips[i], app_fmt(a),
			    &cause) != 0) {
				app_msg(a, 1, "%s", cause);
				free(cause);
				break;
			}
			app_msg(a, 0, "%s", a->clips[i].title);
			app_submit(a);
			break;
		}
		if (a->clips[i].win.n <= 1) {
			app_msg(a, 0, "%c has one window", 'A' + i);
			break;
		}
		clip_window(&a->clips[i], app_fmt(a), a->clips[i].wi + 1);
		app_msg(a, 0, "%s", a->clips[i].title);
		app_submit(a);
		break;
	case ASK_LEARN:
		if (key == 's')
			snprintf(target, sizeof target, "slider");
		else if (key == 't')
			snprintf(target, sizeof target, "temperature");
		else if (key == 'a')
			snprintf(target, sizeof target, "attr:%d",
			    a->r.attr_sel);
		else
			break;
		live_learn(a->play.live, target);
		app_msg(a, 0, "learn %s: move a control", target);
		break;
	default:
		break;
	}
}

/*
 * After o: a clip with several windows (or tracks that give windows) asks
 * which, the loaded choice preselected ("1", or "1 2": window 1 of track
 * 2); Enter keeps it, so one key press reaches window 15 of a16.mid.
 */
static void
choose_ask(struct app *a, int i, const char *why)
{
	struct clip	*c = &a->clips[i];
	char		 label[256], text[32];
	int		 nt = clip_tracks(c, app_fmt(a)), off = 0;

	if (c->win.n <= 1 && nt <= 1)
		return;
	/* Asked again: the prompt holds the message line, so it says
	   what was wrong with the last answer itself. */
	if (why != NULL)
		off = snprintf(label, sizeof label, "%.150s; ", why);
	if (nt > 1) {
		snprintf(label + off, sizeof label - off, "%c: window 1-%d, "
		    "track 1-%d: ", 'A' + i, c->win.n, c->seq.n_tracks);
		snprintf(text, sizeof text, "%d %d", c->wi + 1,
		    c->win.track + 1);
	} else {
		snprintf(label + off, sizeof label - off, "%c: window 1-%d: ",
		    'A' + i, c->win.n);
		snprintf(text, sizeof text, "%d", c->wi + 1);
	}
	prompt_open(&a->p, PR_CHOOSE_A + i, label, text);
}

static void
choose_open(struct app *a, int i)
{
	choose_ask(a, i, NULL);
}

/* The answer to choose_open(): "WINDOW [TRACK]", 1-based. */
static void
choose_done(struct app *a, int i, const char *text)
{
	struct clip	*c = &a->clips[i];
	char		*cause = NULL, extra;
	int		 wi, track, n, old_wi = c->wi, old_track = c->win.track;

	n = sscanf(text, "%d %d %c", &wi, &track, &extra);
	if (n == 1)
		track = c->win.track + 1;
	/* A wrong answer asks again (Esc keeps the window shown): the
	   error alone left the first window in place as if chosen. */
	if (n != 1 && n != 2) {
		app_msg(a, 1, "%c: \"%s\": a window number, then maybe a "
		    "track number", 'A' + i, text);
		choose_ask(a, i, a->msg);
		return;
	}
	if (clip_choose(c, app_fmt(a), track - 1, wi - 1, &cause) != 0) {
		app_msg(a, 1, "%s", cause);
		free(cause);
		choose_ask(a, i, a->msg);
		return;
	}
	app_msg(a, 0, "%s", c->title);
	if (c->wi != old_wi || c->win.track != old_track)
		app_submit(a);
}

/* Enter on the prompt: do what it was opened for. */
static void
prompt_done(struct app *a)
{
	char	*cause = NULL, *text = lr_strdup(a->p.text);
	int	 i;

	prompt_close(&a->p);
	switch (a->p.purpose) {
	case PR_SAVE:
		(void)app_save_result(a, text);
		break;
	case PR_SAVE_SET:
		save_set(a, text);
		break;
	case PR_SAVE_AUDIO:
		(void)app_save_audio(a, text);
		break;
	case PR_CHOOSE_A:
	case PR_CHOOSE_A + 1:
	case PR_CHOOSE_A + 2:
	case PR_CHOOSE_A + 3:
		choose_done(a, a->p.purpose - PR_CHOOSE_A, text);
		break;
	default:
		i = a->p.purpose - PR_OPEN_A;
		if (i < 0 || i > 3)
			break;
		if (clip_load(&a->clips[i], app_fmt(a), text, -1, 0,
		    &cause) != 0) {
			app_msg(a, 1, "%s", cause);
			free(cause);
		} else {
			app_msg(a, 0, "%s", a->clips[i].title);
			app_submit(a);
			choose_open(a, i);
		}
		break;
	}
	free(text);
	a->r.dirty |= ROLL_DIRTY_ALL;
}

/* The pad came on: fill the corners nobody opened (see app_command). */
static void
pad_corners(struct app *a)
{
	int	from_next = 0;

	/* Corners not opened yet: the next window of A (for C) and of B
	   (for D), so all four are the tunes' own phrases, not silence; a
	   one-window clip leaves its corner empty. */
	for (int i = 2; i < 4; i++) {
		struct clip *src = &a->clips[i - 2];

		if (a->clips[i].path != NULL || a->clips[i].n > 0)
			continue;
		if (src->path != NULL && src->win.n > 1 &&
		    clip_load(&a->clips[i], app_fmt(a), src->path,
		    src->win.track, src->wi + 1, NULL) == 0)
			from_next |= 1 << (i - 2);
		else
			clip_empty(&a->clips[i], app_fmt(a));
	}
	app_msg(a, 0, a->r.pad_on ? "pad: arrows move between A (top left), "
	    "B, C and D (bottom right)%s; o loads C, D" : "pad off",
	    from_next == 3 ? ", C and D the next windows of A and B" :
	    from_next == 1 ? ", C the next window of A" : from_next == 2 ?
	    ", D the next window of B" : "");
}

/*
 * The I/O half of the commands, one function each, indexed by the same
 * enum as roll.c's state half: a command roll_apply() hands back with
 * ROLL_CHG_APP runs its entry here.
 */
static void
act_edit(struct app *a, int arg)
{
	const struct ui_note	*cur;
	size_t			 n;

	cur = app_current_notes(a, &n);
	roll_edit_begin(&a->r, cur, n);
}

static void
act_play(struct app *a, int arg)
{
	if (a->play.live == NULL)
		return;
	if (a->play.st.playing)
		live_stop(a->play.live);
	else {
		a->play.sweep_beat = -1;
		live_start(a->play.live);
	}
}

static void
act_tempo(struct app *a, int arg)
{
	double	qpm;

	if (a->play.st.clock_source == LIVE_CLOCK_EXTERNAL) {
		app_msg(a, 0, "the tempo follows the external clock");
		return;
	}
	/* From the tempo asked for, not the player's last report. */
	qpm = app_qpm(a) + 5 * arg;
	if (qpm < LR_QPM_MIN || qpm > LR_QPM_MAX)
		return;
	a->play.qpm_want = qpm;
	if (a->play.live != NULL)
		live_set_tempo(a->play.live, qpm);
}

static void
act_device(struct app *a, int arg)
{
	app_play_next_device(a);
}

static void
act_learn(struct app *a, int arg)
{
	if (a->play.live == NULL)
		return;
	if (!a->play.st.has_input) {
		app_msg(a, 1, "MIDI-learn needs a MIDI input: none is open "
		    "(--in DEV, or \"in = DEV\" in the config)");
		return;
	}
	a->ask = ASK_LEARN;
	app_msg(a, 0, "MIDI-learn: (s)lider, (t)emperature or (a)ttribute "
	    "%s?", a->model.attr_names[a->r.attr_sel]);
}

static void
act_open(struct app *a, int arg)
{
	a->ask = ASK_OPEN;
	app_msg(a, 0, "open a clip into (a) or (b), or pad corner (c) or "
	    "(d)?");
}

static void
act_window(struct app *a, int arg)
{
	a->ask = ASK_WINDOW;
	app_msg(a, 0, "next window of (a) (b) (c) (d); next track: (A) (B) "
	    "(C) (D)?");
}

static void
act_copy(struct app *a, int arg)
{
	a->ask = ASK_COPY;
	app_msg(a, 0, "copy the result into (a) or (b)?");
}

static void
act_save(struct app *a, int arg)
{
	char	name[PATH_MAX];

	suggest_name(name, sizeof name, "latentroll", ".mid");
	prompt_open(&a->p, PR_SAVE, "save result as: ", name);
}

static void
act_save_audio(struct app *a, int arg)
{
	char	name[PATH_MAX];

	suggest_name(name, sizeof name, "latentroll", ".wav");
	prompt_open(&a->p, PR_SAVE_AUDIO, "save audio as (name [loops]): ",
	    name);
}

static void
act_save_set(struct app *a, int arg)
{
	char	name[PATH_MAX];

	if (a->set_path != NULL)
		snprintf(name, sizeof name, "%s", a->set_path);
	else
		suggest_name(name, sizeof name, "latentroll", ".set");
	prompt_open(&a->p, PR_SAVE_SET, "save set as: ", name);
}

static void
act_keylock(struct app *a, int arg)
{
	if (arg != 0)
		set_keylock(a, a->lane.keylock ? a->lane.keylock : 2, arg);
	else
		set_keylock(a, (a->lane.keylock + 1) % 3, 0);
	if (a->lane.keylock)
		app_msg(a, 0, "key lock: %s", a->lane.key_label);
	else
		app_msg(a, 0, "key lock off");
}

static void
act_redraw(struct app *a, int arg)
{
	ui_redraw();
}

static void
act_quit(struct app *a, int arg)
{
	ask_quit(a);
}

static void (*const app_acts[ROLL_CMD_COUNT])(struct app *, int) = {
	[ROLL_CMD_EDIT] = act_edit,
	[ROLL_CMD_PLAY] = act_play,
	[ROLL_CMD_TEMPO] = act_tempo,
	[ROLL_CMD_DEVICE] = act_device,
	[ROLL_CMD_LEARN] = act_learn,
	[ROLL_CMD_OPEN] = act_open,
	[ROLL_CMD_WINDOW] = act_window,
	[ROLL_CMD_COPY] = act_copy,
	[ROLL_CMD_SAVE] = act_save,
	[ROLL_CMD_SAVE_AUDIO] = act_save_audio,
	[ROLL_CMD_SAVE_SET] = act_save_set,
	[ROLL_CMD_KEYLOCK] = act_keylock,
	[ROLL_CMD_REDRAW] = act_redraw,
	[ROLL_CMD_QUIT] = act_quit,
};

/* Every command has a state half (roll.c), an I/O half (here), or both. */
int
app_command_known(enum roll_cmd cmd)
{
	return (cmd > ROLL_CMD_NONE && cmd < ROLL_CMD_COUNT &&
	    (roll_has_state(cmd) || app_acts[cmd] != NULL));
}

/*
 * p, P, [ and ] change the sweep; with the sweep off nothing on screen
 * shows that, so the message line says what the sweep is now.
 */
static void
sweep_msg(struct app *a)
{
	static const char	*shapes[] = { "off", "triangle", "sine" };
	const struct roll	*r = &a->r;
	char			 target[96];

	if (r->sweep_attr)
		snprintf(target, sizeof target, "the attribute %s",
		    r->n_attrs > 0 ? a->model.attr_names[r->attr_sel] :
		    "(none: the model has no attribute vectors)");
	else
		snprintf(target, sizeof target, "the slider");
	if (r->sweep == ROLL_SWEEP_OFF)
		app_msg(a, 0, "sweep off (p starts it): it would move %s "
		    "over %d bar%s", target, r->sweep_bars,
		    r->sweep_bars == 1 ? "" : "s");
	else
		app_msg(a, 0, "sweep %s: %s over %d bar%s%s",
		    shapes[r->sweep], target, r->sweep_bars,
		    r->sweep_bars == 1 ? "" : "s", a->play.st.playing ? "" :
		    " (moves while playing: Space)");
}

/*
 * Run one named command: pure state through roll_apply(), then what its
 * result bits ask for (a new ladder, another point, a swap), or the app's
 * own half of it (I/O: player, files, prompts).
 */
static void
app_command(struct app *a, const struct key_entry *e)
{
	int	chg, snap, store;

	/* Storing changes nothing on screen: say so.  An empty slot's
	   recall key stores too (roll_apply's rule). */
	snap = e->cmd == ROLL_CMD_SNAP || e->cmd == ROLL_CMD_SNAP_STORE ?
	    e->arg : -1;
	if (snap >= ROLL_SNAPSHOTS)
		snap = -1;
	store = snap >= 0 && (e->cmd == ROLL_CMD_SNAP_STORE ||
	    !a->r.snaps[snap].valid);
	a->r.refused = NULL;
	chg = roll_apply(&a->r, e->cmd, e->arg);
	/* An edit key that did nothing says why; one that did clears the
	   message of the key before it. */
	if (a->r.refused != NULL)
		app_msg(a, 1, "%s: %s", e->name, a->r.refused);
	else if (chg & ROLL_CHG_EDIT)
		app_msg(a, 0, "%s", "");
	if (store)
		app_msg(a, 0, "snapshot %d stored (F%d or M-%d recalls it, "
		    "S-F%d stores over it)", snap + 1, snap + 1, snap + 1,
		    snap + 1);
	else if (snap >= 0)
		app_msg(a, 0, "snapshot %d recalled", snap + 1);
	if (e->cmd == ROLL_CMD_PAD && chg & ROLL_CHG_LADDER)
		pad_corners(a);
	if (chg & ROLL_CHG_LADDER) {
		if (!a->model.have_vecs && e->cmd == ROLL_CMD_NUDGE) {
			a->r.nudge[a->r.attr_sel] = 0;
			app_msg(a, 1, "no attribute_vecs.json beside the "
			    "model: nudges do nothing");
			return;
		}
		app_submit(a);
		app_show(a);
		app_edit_dropped(a);
		return;
	}
	if (chg & ROLL_CHG_SLIDER) {
		a->model.t_key = worker_now_ms();
		app_show(a);
		app_edit_dropped(a);
		return;
	}
	if (chg & ROLL_CHG_EDIT) {
		app_swap(a);
		return;
	}
	if (e->cmd == ROLL_CMD_SWEEP || e->cmd == ROLL_CMD_SWEEP_BARS ||
	    e->cmd == ROLL_CMD_SWEEP_TARGET)
		sweep_msg(a);
	/* , and . move the view when it stands still: say why not. */
	if (e->cmd == ROLL_CMD_SCROLL_TIME && a->r.mode == ROLL_MODE_EDIT)
		app_msg(a, 0, "%s: the view follows the edit cursor",
		    e->name);
	else if (e->cmd == ROLL_CMD_SCROLL_TIME && a->play.st.playing)
		app_msg(a, 0, "%s: the view follows the playhead while "
		    "playing (Space stops)", e->name);
	if (!(chg & ROLL_CHG_APP))
		return;
	if (e->cmd > ROLL_CMD_NONE && e->cmd < ROLL_CMD_COUNT &&
	    app_acts[e->cmd] != NULL)
		app_acts[e->cmd](a, e->arg);
	a->r.dirty |= ROLL_DIRTY_ALL;
}

/* A key goes to the prompt, a pending question, the help, or the table. */
void
app_key(struct app *a, int key)
{
	const struct key_entry	*e;
	char			 kn[32];

	if (a->p.active) {
		switch (prompt_key(&a->p, key)) {
		case PROMPT_ACCEPT:
			prompt_done(a);
			break;
		case PROMPT_CANCEL:
			prompt_close(&a->p);
			break;
		default:
			break;
		}
		a->r.dirty |= ROLL_DIRTY_ALL;
		return;
	}
	if (a->ask != ASK_NONE) {
		answer(a, key);
		return;
	}
	if (a->r.help) {
		/* ? pages through the overlay, any other key closes it. */
		if (key == '?')
			a->r.help++;
		else
			a->r.help = 0;
		a->r.dirty |= ROLL_DIRTY_ALL;
		return;
	}
	if ((e = keys_lookup(key, roll_key_mode(&a->r))) == NULL) {
		keys_name(key, kn, sizeof kn);
		app_msg(a, 0, "%s: no command (? lists the keys)", kn);
		return;
	}
	app_command(a, e);
}
