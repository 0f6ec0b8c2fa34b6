/*
 * linalg.h: the only door to BLAS (STYLE.md rule 21).  Row-major float32
 * matrix products used by the LSTM, dense layers and their gradients, with a
 * plain C reference path (linalg_set_reference) that tests compare against.
 *
 * M, N, K follow BLAS: C (M,N) = A (M,K) * B (K,N).
 */
#ifndef LR_LINALG_H
#define LR_LINALG_H

#include <stddef.h>

/* Use the plain C loops instead of BLAS (1) or BLAS (0, default). */
void	linalg_set_reference(int on);
int	linalg_reference(void);

/* Threads BLAS may use (0 = leave OpenBLAS's default). */
void	linalg_set_threads(int n);

/*
 * A section whose BLAS calls run in the calling thread only (inference,
 * which runs its own threads, vae_set_threads): OpenBLAS splitting each
 * small call again would put four busy threads on two cores and leave its
 * workers spinning after every call, and it picks other kernels when
 * threaded, so results would depend on the thread count.  Sections nest
 * and may be entered from several threads; the thread count set before
 * comes back when the last one ends.  The count is process-wide: BLAS
 * calls of other threads meanwhile run serially too.
 */
void	linalg_serial_begin(void);
void	linalg_serial_end(void);

/* Threads BLAS uses now (1 inside a serial section; 1 without OpenBLAS). */
int	linalg_threads(void);

/*
 * C = beta*C + A*B, with optional transposes.  lda/ldb/ldc are row strides
 * in floats of the matrices as stored (row-major), so a block of columns of
 * a wider matrix can be used in place.
 */
void	linalg_gemm(int trans_a, int trans_b, int M, int N, int K,
	    const float *A, int lda, const float *B, int ldb, float beta,
	    float *C, int ldc);

/* y = beta*y + x*W for one row vector x (K) and W (K,N): the batch-1 path. */
void	linalg_gemv_row(int N, int K, const float *x, const float *W,
	    int ldw, float beta, float *y);

/* out (M,N) = bias broadcast over rows. */
void	linalg_set_rows(float *out, const float *bias, int M, int N);

#endif
