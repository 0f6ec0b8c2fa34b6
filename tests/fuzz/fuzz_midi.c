/*
 * fuzz_midi.c: MIDI loading (midifile_load: the chunk validator, then
 * libsmf) and, for a file that loads, what the converters make of it:
 * the parts, and melody, drum and trio windows.  A loaded file must give
 * a sane sequence and windows whose tokens are in range.
 */
#include "fuzz.h"

#include "convert.h"
#include "midifile.h"
#include "noteseq.h"

static void
check_windows(const struct noteseq *s, enum convert_kind kind, int steps)
{
	struct convert_opts	 o = { .kind = kind, .track = -1, .channel = -1,
	    .steps = steps };
	struct windows		 w;
	char			*cause = NULL;
	size_t			 i, len;
	int			 k, lim;

	windows_init(&w);
	if (convert_windows(s, &o, &w, &cause) != 0) {
		fuzz_check_cause(NULL, cause);
		free(cause);
		windows_free(&w);
		return;
	}
	FUZZ_ASSERT(w.n >= 0);
	FUZZ_ASSERT(w.n > 0 || w.why != NULL);
	if (w.n > 0) {
		FUZZ_ASSERT(w.steps == steps);
		len = (size_t)w.n * w.steps * w.S;
		for (i = 0; i < len; i++) {
			k = (int)(i % (size_t)w.S);
			lim = kind == CONVERT_DRUMS ? DRUM_LABELS :
			    kind == CONVERT_TRIO && k == 2 ? DRUM_LABELS :
			    MEL_CLASSES;
			FUZZ_ASSERT(w.tokens[i] >= 0 && w.tokens[i] < lim);
		}
	}
	windows_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	const char		*path = fuzz_path("in.mid");
	struct noteseq		 s;
	struct convert_part	*parts = NULL;
	char			*cause = NULL;
	size_t			 i;
	int			 n, best;

	if (!init) {
		midifile_log_init();
		init = 1;
	}
	fuzz_write(path, data, size);
	if (midifile_load(path, &s, &cause) != 0) {
		fuzz_check_cause(path, cause);
		free(cause);
		return (0);
	}
	for (i = 0; i < s.n; i++) {
		FUZZ_ASSERT(s.notes[i].pitch >= 0 && s.notes[i].pitch < 128);
		FUZZ_ASSERT(s.notes[i].end_s >= s.notes[i].start_s &&
		    s.notes[i].velocity >= 0 && s.notes[i].channel >= 0 &&
		    s.notes[i].channel < 16);
	}
	FUZZ_ASSERT(s.n_tempos >= 1 && s.n_timesigs >= 1);
	n = convert_parts(&s, &parts, &best);
	FUZZ_ASSERT(n >= 0 && best < n);
	free(parts);
	check_windows(&s, CONVERT_MELODY, 32);
	check_windows(&s, CONVERT_DRUMS, 32);
	check_windows(&s, CONVERT_TRIO, 32);
	noteseq_free(&s);
	return (0);
}
