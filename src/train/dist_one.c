/*
 * dist_one.c: a job of one process (dist.h), for builds without MPI.
 *
 * mpirun can still start such a build N times; each copy would train
 * alone and all would write the same folder, so dist_open refuses when
 * the launcher says there are other ranks.
 */
#include "dist.h"

#include <stdlib.h>
#include <string.h>

/* Ranks in the job as a launcher (Open MPI's, or a PMI one) tells it. */
static long
launcher_size(void)
{
	static const char	*vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
	    "PMIX_SIZE" };
	const char		*s;
	size_t			 i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if ((s = getenv(vars[i])) != NULL && *s != '\0')
			return (strtol(s, NULL, 10));
	return (1);
}

int
dist_open(char **cause)
{
	long	n = launcher_size();

	if (n > 1)
		return (lr_fail(cause, "started as one of %ld ranks, but this "
		    "latentroll was built without MPI (./configure "
		    "--with-mpi)", n));
	return (0);
}

void
dist_close(void)
{
}

void
dist_abort(int status)
{
}

int
dist_rank(void)
{
	return (0);
}

int
dist_size(void)
{
	return (1);
}

const char *
dist_library(void)
{
	return ("none");
}

int
dist_bcast(void *buf, size_t bytes, char **cause)
{
	return (0);
}

int
dist_barrier(char **cause)
{
	return (0);
}

int
dist_sum(float *buf, size_t n, char **cause)
{
	return (0);
}

double
dist_sum_seconds(void)
{
	return (0);
}
