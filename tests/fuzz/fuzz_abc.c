/*
 * fuzz_abc.c: ABC files (abcfile_tunes, then abcfile_load of the first
 * two tunes through abc2midi and midifile_load).  A tune that loads is
 * a sane note sequence; a bad file or tune gives one line naming the
 * file.  Without abc2midi only the tune listing is fuzzed.
 */
#include <sys/stat.h>

#include "fuzz.h"

#include "abcfile.h"
#include "midifile.h"
#include "noteseq.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	const char	*path = fuzz_path("in.abc");
	const char	*tmp = fuzz_path("abctmp");
	struct noteseq	 s;
	char		*cause = NULL;
	int		*xs = NULL, n = 0, i;
	size_t		 k;

	if (!init) {
		midifile_log_init();
		init = 1;
	}
	mkdir(tmp, 0700);
	fuzz_write(path, data, size);
	FUZZ_ASSERT(abcfile_is_abc(path));
	if (abcfile_tunes(path, &xs, &n, &cause) != 0) {
		fuzz_check_cause(path, cause);
		free(cause);
		return (0);
	}
	FUZZ_ASSERT(n > 0);
	for (i = 0; i < n && i < 2; i++) {
		if (abcfile_load(path, xs[i], tmp, &s, &cause) != 0) {
			fuzz_check_cause(path, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		for (k = 0; k < s.n; k++)
			FUZZ_ASSERT(s.notes[k].pitch >= 0 &&
			    s.notes[k].pitch < 128);
		noteseq_free(&s);
	}
	free(xs);
	return (0);
}
