/*
 * fuzz.h: what the fuzz harnesses (tests/fuzz/fuzz_*.c) share.  Each
 * harness defines LLVMFuzzerTestOneInput: the input is written to a file
 * in a private temporary folder and handed to one loader of the project,
 * as a user's file would be.  The harness then checks what every loader
 * promises: a good input gives a consistent result, a bad one -1 and one
 * line naming the file.  A broken promise aborts (libFuzzer and the
 * regression driver, tests/fuzz/driver.c, report it as a crash).
 * FUZZ_VERBOSE=1 in the environment prints every refusal's cause.
 *
 * Built two ways: with clang's libFuzzer (configure --enable-fuzz, make
 * fuzz) and, for make check, with driver.c's main, which runs every file
 * of the regression folders through the same function.
 */
#ifndef LR_FUZZ_H
#define LR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private folder, made once per process and removed at exit. */
static char	fuzz_dir_path[64];

static inline void
fuzz_dir_rm(void)
{
	char	cmd[128];

	if (fuzz_dir_path[0] == '\0')
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
}

static inline const char *
fuzz_dir(void)
{
	if (fuzz_dir_path[0] == '\0') {
		snprintf(fuzz_dir_path, sizeof fuzz_dir_path,
		    "/tmp/lr_fuzz.XXXXXX");
		if (mkdtemp(fuzz_dir_path) == NULL) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fuzz_dir_rm);
	}
	return (fuzz_dir_path);
}

/* Write n bytes to path (a set-up failure aborts: it is not the input's). */
static inline void
fuzz_write(const char *path, const void *data, size_t n)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL ||
	    (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* "DIR/name" in a static buffer (one at a time per name slot). */
static inline const char *
fuzz_path(const char *name)
{
	static char	buf[4][256];
	static int	slot;

	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof buf[slot], "%s/%s", fuzz_dir(), name);
	return (buf[slot]);
}

/*
 * The project's error promise: a cause is set, is one line and names
 * what (a file or folder) went wrong.  Aborts otherwise.
 */
static inline void
fuzz_check_cause(const char *what, const char *cause)
{
	if (cause == NULL) {
		fprintf(stderr, "fuzz: %s: failed without a cause\n",
		    what != NULL ? what : "(no file)");
		abort();
	}
	if (getenv("FUZZ_VERBOSE") != NULL && *getenv("FUZZ_VERBOSE") != '\0')
		fprintf(stderr, "fuzz: refused: %s\n", cause);
	if (strchr(cause, '\n') != NULL) {
		fprintf(stderr, "fuzz: cause is not one line: %s\n", cause);
		abort();
	}
	if (what != NULL && strstr(cause, what) == NULL) {
		fprintf(stderr, "fuzz: cause does not name %s: %s\n", what,
		    cause);
		abort();
	}
}

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__,	\
		    #c);						\
		abort();						\
	}								\
} while (0)

#endif
