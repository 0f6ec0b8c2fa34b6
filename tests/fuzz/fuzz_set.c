/*
 * fuzz_set.c: set files (set_load).  A set that loads must be in range
 * and survive a save and a second load unchanged in its counts.
 */
#include "fuzz.h"

#include "set.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*path = fuzz_path("in.set");
	const char	*again = fuzz_path("again.set");
	struct set	 s, t;
	char		*cause = NULL;
	int		 i;

	fuzz_write(path, data, size);
	set_init(&s);
	if (set_load(&s, path, &cause) != 0) {
		fuzz_check_cause(path, cause);
		free(cause);
		set_free(&s);
		return (0);
	}
	FUZZ_ASSERT(s.slider >= 0 && s.slider <= 32);
	FUZZ_ASSERT(s.pad_x >= 0 && s.pad_x <= 4 && s.pad_y >= 0 &&
	    s.pad_y <= 4);
	FUZZ_ASSERT(s.nudges.n >= 0 && s.nudges.n <= SET_MAX_ATTRS);
	for (i = 0; i < SET_SNAPSHOTS; i++)
		FUZZ_ASSERT(s.snap_nudges[i].n >= 0 &&
		    s.snap_nudges[i].n <= SET_MAX_ATTRS);
	if (set_save(&s, again, &cause) != 0) {
		fuzz_check_cause(again, cause);
		free(cause);
		set_free(&s);
		return (0);
	}
	set_init(&t);
	if (set_load(&t, again, &cause) != 0) {
		fprintf(stderr, "fuzz: a saved set does not load: %s\n", cause);
		abort();
	}
	FUZZ_ASSERT(t.nudges.n == s.nudges.n && t.slider == s.slider &&
	    t.pad_on == s.pad_on && t.seed == s.seed);
	for (i = 0; i < 4; i++)
		FUZZ_ASSERT((t.clip[i] == NULL) == (s.clip[i] == NULL));
	set_free(&t);
	set_free(&s);
	return (0);
}
