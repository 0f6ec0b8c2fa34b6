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
