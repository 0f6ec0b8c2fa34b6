/*
 * fuzz_attrvecs.c: attribute_vecs.json beside a model (app_load_vecs),
 * for a model of z size 4.  Vectors that load have names; a bad file
 * gives one line naming it.
 */
#include <limits.h>
#include <sys/stat.h>

#include "fuzz.h"

#include "app.h"

#define Z	4

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct app	 a;
	char			 path[PATH_MAX];
	float			*vecs;
	char			*cause = NULL;
	int			 i;

	memset(&a, 0, sizeof a);
	a.model.model_dir = (char *)fuzz_path("model");
	mkdir(a.model.model_dir, 0700);
	snprintf(path, sizeof path, "%s/attribute_vecs.json", a.model.model_dir);
	fuzz_write(path, data, size);
	vecs = app_load_vecs(&a, Z, &cause);
	if (vecs == NULL) {
		fuzz_check_cause(path, cause);
		free(cause);
		FUZZ_ASSERT(a.model.n_attrs == 0);
		return (0);
	}
	FUZZ_ASSERT(cause == NULL);
	FUZZ_ASSERT(a.model.n_attrs >= 0 && a.model.n_attrs <= UI_MAX_ATTRS);
	for (i = 0; i < a.model.n_attrs; i++) {
		FUZZ_ASSERT(a.model.attr_names[i] != NULL);
		free(a.model.attr_names[i]);
	}
	free(vecs);
	return (0);
}
