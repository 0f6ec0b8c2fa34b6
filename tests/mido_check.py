#!/usr/bin/python3
"""mido_check.py DIR: read every DIR/*.mid with mido (an independent MIDI
reader) and compare its notes with DIR/*.txt ("pitch channel velocity start
end" per line, seconds), note for note.  Where DIR/X.meta exists, compare
the rest with it too: the tempo map ("tempo S QPM"), time signatures
("meter S NUM DEN"), key signatures ("key S KEY MINOR", KEY in sharps),
the conductor's name ("name NAME") and each part's track ("track
NAME|CHANNEL|PROGRAM": its name, channel and program change, -1 for none).
Prints "N passed, N failed".  Exit 77 if mido is missing."""
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


MAJOR = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E",
         "B", "F#", "C#"]
MINOR = ["Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#",
         "G#", "D#", "A#"]


def meta_of(path):
    """What mido finds besides notes, in the .meta file's terms."""
    f = mido.MidiFile(path)
    got = {"tempo": [], "meter": [], "key": [], "name": [], "track": []}
    now = 0.0
    for msg in f:                       # merged, times in seconds
        now += msg.time
        if msg.type == "set_tempo":
            got["tempo"].append((now, mido.tempo2bpm(msg.tempo)))
        elif msg.type == "time_signature":
            got["meter"].append((now, msg.numerator, msg.denominator))
        elif msg.type == "key_signature":
            got["key"].append((now, msg.key))
    for i, tr in enumerate(f.tracks):
        name = None
        chans = set()
        progs = set()
        for msg in tr:
            if msg.type == "track_name" and name is None:
                name = msg.name
            elif msg.type == "program_change":
                progs.add((msg.channel, msg.program))
            elif msg.type == "note_on":
                chans.add(msg.channel)
        if i == 0:
            got["name"].append(name)
            continue
        if not chans:
            continue
        for c in sorted(chans):
            p = [q for (ch, q) in progs if ch == c]
            got["track"].append("%s|%d|%d" % (name, c,
                                               p[0] if len(p) == 1 else -1))
    return got


def meta_want(path):
    want = {"tempo": [], "meter": [], "key": [], "name": [], "track": []}
    with open(path) as f:
        for line in f:
            kind, rest = line.rstrip("\n").split(" ", 1)
            if kind == "tempo":
                t, q = rest.split()
                want[kind].append((float(t), float(q)))
            elif kind == "meter":
                t, n, d = rest.split()
                want[kind].append((float(t), int(n), int(d)))
            elif kind == "key":
                t, k, m = rest.split()
                k = int(k)
                want[kind].append((float(t), MINOR[k + 7] + "m" if int(m)
                                   else MAJOR[k + 7]))
            else:
                want[kind].append(rest)
    return want


def meta_diff(got, want):
    """None if they match, else what differs."""
    for kind in ("name", "tempo", "meter", "key", "track"):
        g, w = got[kind], want[kind]
        if kind == "track":
            g, w = sorted(g), sorted(w)
        if len(g) != len(w):
            return "%s: got %s want %s" % (kind, g, w)
        for x, y in zip(g, w):
            if isinstance(x, str) or x is None:
                same = x == y
            else:
                same = abs(x[0] - y[0]) <= 2e-3 and (
                    abs(x[1] - y[1]) <= 0.01 if kind == "tempo"
                    else x[1:] == y[1:])
            if not same:
                return "%s: got %s want %s" % (kind, x, y)
    return None


def key(n):
    return (round(n[3], 3), -n[0], n[1])


def main():
    passed = failed = metas = 0
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
        meta = mid[:-4] + ".meta"
        if os.path.exists(meta):
            bad = meta_diff(meta_of(mid), meta_want(meta))
            if bad is None:
                passed += 1
            else:
                failed += 1
                print("FAIL: %s: %s" % (mid, bad), file=sys.stderr)
            metas += 1
    if not files:
        failed += 1
        print("FAIL: no files in %s" % sys.argv[1], file=sys.stderr)
    if metas == 0:
        failed += 1
        print("FAIL: no .meta file in %s: tempo map, meters, names and "
              "programs unchecked" % sys.argv[1], file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
