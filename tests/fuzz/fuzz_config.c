/*
 * fuzz_config.c: the settings file (config_load).  Settings that load
 * must be in range and survive a save and a second load.
 */
#include "fuzz.h"

#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*path = fuzz_path("latentroll.conf");
	const char	*again = fuzz_path("again.conf");
	struct config	 c, d;
	char		*cause = NULL;

	fuzz_write(path, data, size);
	config_init(&c);
	if (config_load(&c, path, &cause) != 0) {
		fuzz_check_cause(path, cause);
		free(cause);
		return (0);
	}
	FUZZ_ASSERT(c.n_bindings <= CONFIG_MAX_BINDINGS);
	FUZZ_ASSERT(c.n_keys <= CONFIG_MAX_KEYS);
	FUZZ_ASSERT(c.channel >= 0 && c.channel <= 16);
	FUZZ_ASSERT(c.program >= -1 && c.program <= 127);
	FUZZ_ASSERT(memchr(c.out, '\0', sizeof c.out) != NULL);
	FUZZ_ASSERT(memchr(c.in, '\0', sizeof c.in) != NULL);
	if (config_save(&c, again, &cause) != 0) {
		fuzz_check_cause(again, cause);
		free(cause);
		return (0);
	}
	config_init(&d);
	if (config_load(&d, again, &cause) != 0) {
		fprintf(stderr, "fuzz: saved settings do not load: %s\n",
		    cause);
		abort();
	}
	FUZZ_ASSERT(d.n_bindings == c.n_bindings && d.n_keys == c.n_keys &&
	    d.channel == c.channel && d.program == c.program &&
	    d.clock == c.clock && strcmp(d.out, c.out) == 0);
	return (0);
}
