#!/usr/bin/python3
"""mido_check.py DIR: read every DIR/*.mid with mido (an independent MIDI
reader) and compare its notes with DIR/*.txt ("pitch channel velocity start
end" per line, seconds), note for note.  Prints "N passed, N failed".
Exit 77 if mido is missing."""
import glob
import os
import sys

try:
    import mido
except ImportError:
    print("SKIP: python3-mido is not installed")
    sys.exit(77)


def notes_of(path):
    """Notes in seconds; note-offs close the oldest open note (FIFO)."""
    now = 0.0
    open_notes = {}
    out = []
    for msg in mido.MidiFile(path):     # merged tracks, tempo applied
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            open_notes.setdefault((msg.channel, msg.note), []).append(
                (now, msg.velocity))
        elif msg.type in ("note_on", "note_off"):
            q = open_notes.get((msg.channel, msg.note))
            if q:
                start, vel = q.pop(0)
                out.append((msg.note, msg.channel, vel, start, now))
    return out


def key(n):
    return (round(n[3], 3), -n[0], n[1])


def main():
    passed = failed = 0
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.mid")))
    for mid in files:
        want = []
        with open(mid[:-4] + ".txt") as f:
            for line in f:
                p, c, v, s, e = line.split()
                want.append((int(p), int(c), int(v), float(s), float(e)))
        got = notes_of(mid)
        want.sort(key=key)
        got.sort(key=key)
        bad = None
        if len(got) != len(want):
            bad = "%d notes, want %d" % (len(got), len(want))
        else:
            for i, (g, w) in enumerate(zip(got, want)):
                if (g[:3] != w[:3] or abs(g[3] - w[3]) > 2e-3 or
                        abs(g[4] - w[4]) > 2e-3):
                    bad = "note %d: got %s want %s" % (i, g, w)
                    break
        if bad is None:
            passed += 1
        else:
            failed += 1
            print("FAIL: %s: %s" % (mid, bad), file=sys.stderr)
    if not files:
        failed += 1
        print("FAIL: no files in %s" % sys.argv[1], file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
