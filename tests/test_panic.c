/*
 * test_panic.c: SIGINT, SIGTERM and SIGHUP while notes sound.  A child
 * runs the threaded player on the real clock with the recording sink and
 * the live signal handlers, exactly as `latentroll play` does; the parent
 * sends the signal mid-note and reads back what the child recorded:
 * note-offs for exactly the sounding notes, then CC 64/123/120 on each
 * used channel, nothing after, and a clean exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <smf.h>

#include "live.h"
#include "test.h"

/* The child: play until a signal, panic, write the record to fd. */
static int
child(int ready, int out)
{
	struct live_opts	 o;
	struct live_note	 n[3];
	struct live_pattern	 p;
	struct live_status	 st;
	const struct live_event	*ev;
	struct live		*l;
	struct pollfd		 pfd;
	char			*cause = NULL;
	size_t			 cnt;
	int			 k, sig;

	live_signals_install();
	memset(&o, 0, sizeof o);
	o.sink = LIVE_SINK_RECORD;
	o.qpm = 120;
	if ((l = live_new(&o, &cause)) == NULL)
		return (2);
	memset(n, 0, sizeof n);
	n[0].pitch = 60; n[0].velocity = 100; n[0].channel = 0;
	n[0].start_step = 0; n[0].end_step = 16;
	n[1].pitch = 36; n[1].velocity = 100; n[1].channel = 9;
	n[1].start_step = 0; n[1].end_step = 8;
	n[2].pitch = 38; n[2].velocity = 100; n[2].channel = 9;
	n[2].start_step = 8; n[2].end_step = 16;
	memset(&p, 0, sizeof p);
	for (k = 0; k < 16; k++)
		p.program[k] = -1;
	p.steps = 16;
	p.n = 3;
	p.notes = n;
	if (live_swap(l, &p, &cause) < 0 || live_start(l) != 0)
		return (2);
	if (write(ready, "R", 1) != 1)
		return (2);
	/* The main loop: poll the wakeup pipe; a signal interrupts it. */
	pfd.fd = live_wakeup_fd(l);
	pfd.events = POLLIN;
	while ((sig = live_signal_caught()) == 0) {
		if (poll(&pfd, 1, 50) > 0)
			live_wakeup_clear(l);
		live_status(l, &st);
	}
	live_panic(l);
	for (k = 0; k < 500; k++) {
		live_status(l, &st);
		if (!st.playing && st.sounding == 0)
			break;
		usleep(1000);
	}
	cnt = live_recorded(l, &ev);
	if (write(out, ev, cnt * sizeof *ev) != (ssize_t)(cnt * sizeof *ev))
		return (2);
	live_free(l);
	return (0);
}

static void
test_signal(int sig)
{
	struct live_event	ev[4096];
	int			rp[2], op[2], status = -1, on[16][128];
	int			ch, k, offs_at_panic = 0, left = 0, bad = 0;
	int			cc64 = 0, cc123 = 0, cc120 = 0, ons = 0;
	size_t			n = 0, i;
	ssize_t			r;
	pid_t			pid;
	char			c;

	if (pipe(rp) != 0 || pipe(op) != 0) {
		CHECK(0);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(rp[0]);
		close(op[0]);
		_exit(child(rp[1], op[1]));
	}
	close(rp[1]);
	close(op[1]);
	CHECK(read(rp[0], &c, 1) == 1);
	/* 300 ms at 120 qpm: inside the first beat, 2 notes sounding. */
	usleep(300000);
	kill(pid, sig);
	while ((r = read(op[0], (char *)ev + n, sizeof ev - n)) > 0)
		n += (size_t)r;
	n /= sizeof ev[0];
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "signal %d: child status %#x", sig, status);
	close(rp[0]);
	close(op[0]);

	memset(on, 0, sizeof on);
	for (i = 0; i < n; i++) {
		ch = ev[i].status & 0x0F;
		k = ev[i].data1;
		switch (ev[i].status & 0xF0) {
		case 0x90:
			if (cc120)	/* a note after the panic */
				bad++;
			on[ch][k] = 1;
			ons++;
			break;
		case 0x80:
			if (!on[ch][k])
				bad++;	/* an off for a silent note */
			on[ch][k] = 0;
			offs_at_panic++;
			break;
		case 0xB0:
			if (k == 64 && ev[i].data2 == 0)
				cc64 |= 1 << ch;
			if (k == 123)
				cc123 |= 1 << ch;
			if (k == 120) {
				cc120 |= 1 << ch;
				for (k = 0; k < 128; k++)
					left += on[ch][k];
			}
			break;
		}
	}
	CHECK_MSG(ons >= 2, "signal %d: %d note-ons", sig, ons);
	CHECK(offs_at_panic == ons);
	CHECK_MSG(bad == 0 && left == 0, "signal %d: bad %d left %d", sig,
	    bad, left);
	/* Used channels 1 and 10, and only those. */
	CHECK_MSG(cc64 == 0x201 && cc123 == 0x201 && cc120 == 0x201,
	    "signal %d: CC channels %#x %#x %#x", sig, cc64, cc123, cc120);
	/* The panic is the end of the record. */
	CHECK(n > 0 && (ev[n - 1].status & 0xF0) == 0xB0 &&
	    ev[n - 1].data1 == 120);
}

/* Note-ons minus note-offs in a MIDI file (libsmf), or -1000. */
static int
file_balance(const char *path, int *ons)
{
	smf_t		*smf;
	smf_event_t	*e;
	int		 bal = 0, st;

	*ons = 0;
	if ((smf = smf_load(path)) == NULL)
		return (-1000);
	while ((e = smf_get_next_event(smf)) != NULL) {
		if (smf_event_is_metadata(e) || e->midi_buffer_length < 3)
			continue;
		st = e->midi_buffer[0] & 0xF0;
		if (st == 0x90 && e->midi_buffer[2] > 0) {
			bal++;
			(*ons)++;
		} else if (st == 0x80 || st == 0x90)
			bal--;
	}
	smf_delete(smf);
	return (bal);
}

/* A 2-bar clip of one note (C4, 8 quarters long) on MIDI channel 1. */
static int
write_long_note(const char *path)
{
	smf_t		*smf = smf_new();
	smf_track_t	*tr = smf_track_new();
	int		 r;

	if (smf == NULL || tr == NULL)
		return (-1);
	smf_add_track(smf, tr);
	smf_track_add_event_pulses(tr, smf_event_new_from_bytes(0x90, 60,
	    90), 0);
	smf_track_add_event_pulses(tr, smf_event_new_from_bytes(0x80, 60,
	    0), 8 * smf->ppqn);
	r = smf_save(smf, path);
	smf_delete(smf);
	return (r);
}

/* What a recorded file holds, channel by channel. */
struct file_sum {
	int	ons, bal, ons_ch[16], vel_min, vel_max, prog[16];
	int	notes;		/* note-on/off pairs */
	double	last_off;	/* seconds */
};

static int
file_sum(const char *path, struct file_sum *fs)
{
	smf_t		*smf;
	smf_event_t	*e;
	int		 st, ch;

	memset(fs, 0, sizeof *fs);
	memset(fs->prog, -1, sizeof fs->prog);
	fs->vel_min = 128;
	if ((smf = smf_load(path)) == NULL)
		return (-1);
	while ((e = smf_get_next_event(smf)) != NULL) {
		if (smf_event_is_metadata(e) || e->midi_buffer_length < 2)
			continue;
		st = e->midi_buffer[0] & 0xF0;
		ch = e->midi_buffer[0] & 0x0F;
		if (st == 0xC0)
			fs->prog[ch] = e->midi_buffer[1];
		if (e->midi_buffer_length < 3)
			continue;
		if (st == 0x90 && e->midi_buffer[2] > 0) {
			fs->bal++;
			fs->ons++;
			fs->ons_ch[ch]++;
			if (e->midi_buffer[2] < fs->vel_min)
				fs->vel_min = e->midi_buffer[2];
			if (e->midi_buffer[2] > fs->vel_max)
				fs->vel_max = e->midi_buffer[2];
		} else if (st == 0x80 || st == 0x90) {
			fs->bal--;
			fs->notes++;
			fs->last_off = e->time_seconds;
		}
	}
	smf_delete(smf);
	return (0);
}

/*
 * A real-time `latentroll play --record` (no MIDI device: the null sink)
 * that gets sig while its one 8-second note sounds.  The child says on
 * stderr when it starts playing; the signal comes 1 s later.  The record
 * must hold that note, ended at the signal (the panic's note-off, well
 * before its own end), and the child must exit 0 saying it was
 * interrupted.
 */
static void
cli_signal(const char *bin, const char *clip, const char *rec, int sig)
{
	struct file_sum	 fs;
	char		 buf[4096];
	size_t		 got = 0;
	ssize_t		 r;
	int		 ep[2], op[2], status, started = 0;
	pid_t		 pid;

	unlink(rec);
	if (pipe(ep) != 0 || pipe(op) != 0) {
		CHECK(0);
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(op[1], 1);
		dup2(ep[1], 2);
		close(ep[0]);
		close(op[0]);
		execl(bin, "latentroll", "play", clip, "--tempo", "60",
		    "--bars", "2", "--record", rec, (char *)NULL);
		_exit(127);
	}
	close(ep[1]);
	close(op[1]);
	/* Wait (at most 20 s, a loaded machine) for "playing". */
	while (got < sizeof buf - 1) {
		struct pollfd	pfd = { ep[0], POLLIN, 0 };

		if (poll(&pfd, 1, 20000) <= 0 ||
		    (r = read(ep[0], buf + got, sizeof buf - 1 - got)) <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "latentroll: playing") != NULL) {
			started = 1;
			break;
		}
	}
	CHECK_MSG(started, "signal %d: play did not start: %s", sig, buf);
	usleep(1000000);
	kill(pid, sig);
	got = 0;
	while (got < sizeof buf - 1 &&
	    (r = read(op[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	CHECK(waitpid(pid, &status, 0) == pid);
	close(ep[0]);
	close(op[0]);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "play after signal %d: status %#x", sig, status);
	CHECK_MSG(strstr(buf, "(interrupted)") != NULL,
	    "signal %d: stdout %s", sig, buf);
	CHECK(file_sum(rec, &fs) == 0);
	CHECK_MSG(fs.bal == 0 && fs.ons == 1 && fs.notes == 1,
	    "signal %d record: balance %d, %d ons", sig, fs.bal, fs.ons);
	/* Cut by the panic about 1 s in, not at its own end (8 s). */
	if (getenv("LR_TEST_VERBOSE") != NULL)
		printf("signal %d: note cut at %.3f s\n", sig, fs.last_off);
	CHECK_MSG(fs.last_off > 0.5 && fs.last_off < 4.0,
	    "signal %d: the note ends at %.3f s", sig, fs.last_off);
	unlink(rec);
}

/*
 * The command line: `play --offline --record` renders a clip, with the
 * channel, program, velocity and quantum options; a real-time `play
 * --record` ends cleanly on SIGINT, SIGTERM and SIGHUP.
 */
static void
test_cli(void)
{
	const char	*bd = getenv("top_builddir"), *sd = test_shared_dir();
	char		 bin[1024], clip[1024], out[] = "/tmp/lr-play-XXXXXX";
	char		 rec[1100], lclip[1100], cmd[4096];
	struct file_sum	 fs;
	int		 ons, bal, fd, ch;

	snprintf(bin, sizeof bin, "%s/latentroll", bd != NULL ? bd : ".");
	snprintf(clip, sizeof clip, "%s/data/nottingham/ashover1.mid",
	    sd != NULL ? sd : "../shared");
	if (access(bin, X_OK) != 0 || access(clip, R_OK) != 0) {
		printf("SKIP: CLI checks need %s and %s\n", bin, clip);
		return;
	}
	if ((fd = mkstemp(out)) == -1) {
		CHECK(0);
		return;
	}
	close(fd);
	unlink(out);
	snprintf(rec, sizeof rec, "%s.mid", out);
	snprintf(lclip, sizeof lclip, "%s-long.mid", out);
	/* A config dir that does not exist: defaults, not the user's. */
	snprintf(cmd, sizeof cmd, "%s.cfg", out);
	setenv("XDG_CONFIG_HOME", cmd, 1);

	snprintf(cmd, sizeof cmd, "'%s' play '%s' --offline --bars 4 "
	    "--loops 2 --record '%s' >/dev/null", bin, clip, rec);
	CHECK(system(cmd) == 0);
	bal = file_balance(rec, &ons);
	CHECK_MSG(bal == 0 && ons > 8, "offline render: balance %d, %d ons",
	    bal, ons);
	/* Velocity kept from the clip by default; channel 1. */
	{
		struct file_sum	src;

		CHECK(file_sum(rec, &fs) == 0 && file_sum(clip, &src) == 0);
		CHECK_MSG(fs.vel_min == src.vel_min &&
		    fs.vel_max == src.vel_max, "velocities %d..%d, the "
		    "clip's %d..%d", fs.vel_min, fs.vel_max, src.vel_min,
		    src.vel_max);
		CHECK_MSG(fs.ons_ch[0] == fs.ons, "melody not on channel 1");
	}
	/* Refuses to overwrite without --force. */
	snprintf(cmd, sizeof cmd, "'%s' play '%s' --offline --record '%s' "
	    "2>/dev/null >/dev/null", bin, clip, rec);
	CHECK(system(cmd) != 0);
	unlink(rec);

	/* Channel 3, program 41, fixed velocity 55, swaps on the beat. */
	snprintf(cmd, sizeof cmd, "'%s' play '%s' --offline --bars 4 "
	    "--channel 3 --program 41 --velocity 55 --quantum beat "
	    "--record '%s' >/dev/null", bin, clip, rec);
	CHECK(system(cmd) == 0);
	CHECK(file_sum(rec, &fs) == 0);
	CHECK_MSG(fs.ons > 8 && fs.ons_ch[2] == fs.ons && fs.bal == 0,
	    "--channel 3: %d of %d ons on channel 3", fs.ons_ch[2], fs.ons);
	CHECK_MSG(fs.vel_min == 55 && fs.vel_max == 55,
	    "--velocity 55: velocities %d..%d", fs.vel_min, fs.vel_max);
	CHECK_MSG(fs.prog[2] == 41, "--program 41: program %d", fs.prog[2]);
	for (ch = 0; ch < 16; ch++)
		if (ch != 2)
			CHECK(fs.prog[ch] == -1);
	unlink(rec);
	/* Bad values: usage errors (exit 2), naming the option. */
	{
		const char	*bad[] = { "--quantum bars", "--channel 10",
				    "--channel 17", "--program 128",
				    "--velocity 0" };
		size_t		 i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			snprintf(cmd, sizeof cmd, "'%s' play '%s' --offline "
			    "%s --record '%s' >/dev/null 2>&1", bin, clip,
			    bad[i], rec);
			fd = system(cmd);
			CHECK_MSG(WIFEXITED(fd) && WEXITSTATUS(fd) == 2 &&
			    access(rec, F_OK) != 0, "%s: status %#x", bad[i],
			    fd);
		}
	}

	if (write_long_note(lclip) != 0) {
		CHECK(0);
		return;
	}
	cli_signal(bin, lclip, rec, SIGINT);
	cli_signal(bin, lclip, rec, SIGTERM);
	cli_signal(bin, lclip, rec, SIGHUP);
	unlink(lclip);
}

int
main(void)
{
	test_signal(SIGINT);
	test_signal(SIGTERM);
	test_signal(SIGHUP);
	test_cli();
	return (test_report());
}
