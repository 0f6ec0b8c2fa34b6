/*
 * dist.h: the processes of one training job (issue I).  Built with
 * --with-mpi, a run started by mpirun is one Open MPI rank of several
 * (dist_mpi.c); otherwise, or started without mpirun, it is the only
 * one (dist_one.c) and every call below is a no-op.  The run object
 * (loop.c) is the only user: rank 0's state goes to every rank at the
 * start, and each step sums the ranks' gradients in one call.  No MPI
 * header or type crosses this interface.
 */
#ifndef LR_DIST_H
#define LR_DIST_H

#include <stddef.h>

#include "common.h"

/*
 * Join the job mpirun started (MPI_Init; only the calling thread makes
 * MPI calls later).  Without mpirun: a job of one.  -1 with a cause when
 * mpirun started this process but it cannot take part (a build without
 * MPI, or MPI failing to start).
 */
int	dist_open(char **cause) LR_WUR;
/* Leave the job (MPI_Finalize); after dist_open only. */
void	dist_close(void);
/* Stop every rank of the job now with status (MPI_Abort); a job of one
   just returns. */
void	dist_abort(int status);

int	dist_rank(void);		/* 0 .. dist_size() - 1 */
int	dist_size(void);		/* ranks in the job (1 alone) */
/* "Open MPI 4.1.4", or "none" for a build without MPI. */
const char *dist_library(void);

/* All ranks call these in the same order, with the same sizes. */
/* Every rank gets rank 0's bytes. */
int	dist_bcast(void *buf, size_t bytes, char **cause) LR_WUR;
/* Returns when every rank has called it. */
int	dist_barrier(char **cause) LR_WUR;
/* Every rank gets the element-wise sum of the ranks' buf (n floats), in
   one MPI_Allreduce; the time inside it adds to dist_sum_seconds. */
int	dist_sum(float *buf, size_t n, char **cause) LR_WUR;
double	dist_sum_seconds(void);

#endif
