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

#include "src/live.h"
#include "tests/test.h"

/* PortMidi 217 leaks its default-device strings; not ours. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return ("leak:libportmidi.so\n");
}

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

/*
 * The command line: `play --offline --record` renders a clip; a real-time
 * `play --record` with no MIDI device runs on the null sink, and SIGINT
 * ends it cleanly with every recorded note closed.
 */
static void
test_cli(void)
{
	const char	*bd = getenv("top_builddir"), *sd = test_shared_dir();
	char		 bin[1024], clip[1024], out[] = "/tmp/lr-play-XXXXXX";
	char		 rec[1100], cmd[4096];
	int		 status, ons, bal, fd;
	pid_t		 pid;

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
	/* A config dir that does not exist: defaults, not the user's. */
	snprintf(cmd, sizeof cmd, "%s.cfg", out);
	setenv("XDG_CONFIG_HOME", cmd, 1);

	snprintf(cmd, sizeof cmd, "'%s' play '%s' --offline --bars 4 "
	    "--loops 2 --record '%s' >/dev/null", bin, clip, rec);
	CHECK(system(cmd) == 0);
	bal = file_balance(rec, &ons);
	CHECK_MSG(bal == 0 && ons > 8, "offline render: balance %d, %d ons",
	    bal, ons);
	/* Refuses to overwrite without --force. */
	snprintf(cmd, sizeof cmd, "'%s' play '%s' --offline --record '%s' "
	    "2>/dev/null >/dev/null", bin, clip, rec);
	CHECK(system(cmd) != 0);
	unlink(rec);

	fflush(stdout);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(bin, "latentroll", "play", clip, "--tempo", "240",
		    "--record", rec, (char *)NULL);
		_exit(127);
	}
	usleep(1500000);
	kill(pid, SIGINT);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "play after SIGINT: status %#x", status);
	bal = file_balance(rec, &ons);
	CHECK_MSG(bal == 0 && ons > 0, "SIGINT record: balance %d, %d ons",
	    bal, ons);
	unlink(rec);
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
