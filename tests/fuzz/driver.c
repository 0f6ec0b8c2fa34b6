/*
 * driver.c: main for the fuzz harnesses outside libFuzzer (make check,
 * gcc builds): every file named, or every file of every folder named, is
 * read and passed to LLVMFuzzerTestOneInput once.  A harness aborts on a
 * broken promise, so a regression input that fails again stops this
 * program with a signal; each file that passes prints "ok FILE".  Ends
 * with "N passed, 0 failed" like every test program.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int	run_file(const char *);
static int	cmp_str(const void *, const void *);

static int
run_file(const char *path)
{
	FILE		*f;
	uint8_t		*buf;
	long		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		perror(path);
		return (-1);
	}
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		fprintf(stderr, "%s: read error\n", path);
		return (-1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	printf("ok %s\n", path);
	return (0);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
main(int argc, char **argv)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		**names, path[4096];
	size_t		 n, cap, k;
	int		 i, pass = 0, fail = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			if (run_file(argv[i]) == 0)
				pass++;
			else
				fail++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			fail++;
			continue;
		}
		names = NULL;
		n = cap = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				names = realloc(names, cap * sizeof *names);
				if (names == NULL)
					abort();
			}
			if ((names[n++] = strdup(de->d_name)) == NULL)
				abort();
		}
		closedir(d);
		qsort(names, n, sizeof *names, cmp_str);
		for (k = 0; k < n; k++) {
			snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
			if (run_file(path) == 0)
				pass++;
			else
				fail++;
			free(names[k]);
		}
		free(names);
	}
	printf("%d passed, %d failed\n", pass, fail);
	return (fail > 0);
}
