/*
 * dist_mpi.c: the processes of a training job as Open MPI ranks (dist.h).
 *
 * The only file of latentroll that includes mpi.h (tools/check_layers.sh
 * holds it to that).  Started by mpirun (the launcher's variables say
 * so), dist_open joins MPI_COMM_WORLD; started by hand it stays a job of
 * one without MPI_Init, so a --with-mpi build trains alone exactly as a
 * plain one.  Errors come back as codes (MPI_ERRORS_RETURN), never as an
 * abort inside the library; a rank that dies is mpirun's to report: it
 * stops the others.
 */
#include "dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <mpi.h>

static int	dist_on;	/* MPI_Init done */
static int	dist_me, dist_n = 1;
static double	dist_sum_s;

/* Started by a launcher: Open MPI's mpirun, or a PMI one (srun). */
static int
launched(void)
{
	return (getenv("OMPI_COMM_WORLD_SIZE") != NULL ||
	    getenv("PMIX_RANK") != NULL || getenv("PMI_RANK") != NULL);
}

/* A failed call's cause: what was asked and MPI's own words. */
static int
mpi_fail(char **cause, const char *what, int rc)
{
	char	msg[MPI_MAX_ERROR_STRING];
	int	len = 0;

	if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
		snprintf(msg, sizeof msg, "error %d", rc);
	return (lr_fail(cause, "rank %d of %d: %s: %.*s", dist_me, dist_n,
	    what, len > 0 ? len : (int)sizeof msg - 1, msg));
}

int
dist_open(char **cause)
{
	int	rc, got;

	if (!launched())
		return (0);
	/* Worker threads never call MPI: only this one does. */
	if ((rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &got)) !=
	    MPI_SUCCESS)
		return (lr_fail(cause, "MPI_Init_thread failed (error %d)",
		    rc));
	dist_on = 1;
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	MPI_Comm_rank(MPI_COMM_WORLD, &dist_me);
	MPI_Comm_size(MPI_COMM_WORLD, &dist_n);
	return (0);
}

void
dist_close(void)
{
	if (dist_on)
		MPI_Finalize();
	dist_on = 0;
	dist_me = 0;
	dist_n = 1;
}

void
dist_abort(int status)
{
	if (dist_on && dist_n > 1)
		MPI_Abort(MPI_COMM_WORLD, status);
}

int
dist_rank(void)
{
	return (dist_me);
}

int
dist_size(void)
{
	return (dist_n);
}

const char *
dist_library(void)
{
	static char	name[64];

	snprintf(name, sizeof name, "Open MPI %d.%d.%d", OMPI_MAJOR_VERSION,
	    OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
	return (name);
}

int
dist_bcast(void *buf, size_t bytes, char **cause)
{
	char	*p = buf;
	size_t	 k;
	int	 rc;

	if (dist_n == 1)
		return (0);
	/* Counts are ints: a big arena goes in pieces. */
	while (bytes > 0) {
		k = bytes < (size_t)INT_MAX ? bytes : (size_t)INT_MAX;
		if ((rc = MPI_Bcast(p, (int)k, MPI_BYTE, 0, MPI_COMM_WORLD)) !=
		    MPI_SUCCESS)
			return (mpi_fail(cause, "MPI_Bcast", rc));
		p += k;
		bytes -= k;
	}
	return (0);
}

int
dist_barrier(char **cause)
{
	int	rc;

	if (dist_n > 1 && (rc = MPI_Barrier(MPI_COMM_WORLD)) != MPI_SUCCESS)
		return (mpi_fail(cause, "MPI_Barrier", rc));
	return (0);
}

int
dist_sum(float *buf, size_t n, char **cause)
{
	double	t;
	int	rc;

	if (dist_n == 1)
		return (0);
	/* One call for the whole arena: no piecing, so a larger one is
	   refused rather than split. */
	if (n > (size_t)INT_MAX)
		return (lr_fail(cause, "%zu floats to sum: more than one "
		    "MPI_Allreduce takes", n));
	t = MPI_Wtime();
	rc = MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM,
	    MPI_COMM_WORLD);
	dist_sum_s += MPI_Wtime() - t;
	if (rc != MPI_SUCCESS)
		return (mpi_fail(cause, "MPI_Allreduce", rc));
	return (0);
}

double
dist_sum_seconds(void)
{
	return (dist_sum_s);
}
