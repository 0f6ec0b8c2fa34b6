/*
 * linalg.c: BLAS wrappers and their reference loops.  Everything in model/
 * that multiplies matrices comes through here, so a non-OpenBLAS build or a
 * bit-exact reference run changes one file.
 */
#include "model/linalg.h"

#include <cblas.h>
#include <pthread.h>
#include <string.h>

static int use_reference;

#ifdef OPENBLAS_VERSION
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
#endif

/* Serial sections: how many are open, and the thread count to restore. */
static pthread_mutex_t	serial_mu = PTHREAD_MUTEX_INITIALIZER;
static int		serial_depth;
static int		serial_saved;

void
linalg_set_reference(int on)
{
	use_reference = on;
}

int
linalg_reference(void)
{
	return (use_reference);
}

void
linalg_set_threads(int n)
{
#ifdef OPENBLAS_VERSION
	if (n <= 0)
		return;
	pthread_mutex_lock(&serial_mu);
	/* Inside a serial section the count applies when it ends. */
	if (serial_depth > 0)
		serial_saved = n;
	else
		openblas_set_num_threads(n);
	pthread_mutex_unlock(&serial_mu);
#else
	(void)n;
#endif
}

void
linalg_serial_begin(void)
{
#ifdef OPENBLAS_VERSION
	pthread_mutex_lock(&serial_mu);
	if (serial_depth++ == 0) {
		serial_saved = openblas_get_num_threads();
		if (serial_saved > 1)
			openblas_set_num_threads(1);
	}
	pthread_mutex_unlock(&serial_mu);
#endif
}

int
linalg_threads(void)
{
#ifdef OPENBLAS_VERSION
	return (openblas_get_num_threads());
#else
	return (1);
#endif
}

void
linalg_serial_end(void)
{
#ifdef OPENBLAS_VERSION
	pthread_mutex_lock(&serial_mu);
	if (serial_depth > 0 && --serial_depth == 0 && serial_saved > 1)
		openblas_set_num_threads(serial_saved);
	pthread_mutex_unlock(&serial_mu);
#endif
}

/* Reference: C = beta*C + op(A) op(B), accumulated in double. */
static void
gemm_ref(int ta, int tb, int M, int N, int K, const float *A, int lda,
    const float *B, int ldb, float beta, float *C, int ldc)
{
	int	i, j, k;
	double	acc;
	float	a, b;

	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++) {
			acc = 0;
			for (k = 0; k < K; k++) {
				a = ta ? A[(size_t)k * lda + i] :
				    A[(size_t)i * lda + k];
				b = tb ? B[(size_t)j * ldb + k] :
				    B[(size_t)k * ldb + j];
				acc += (double)a * b;
			}
			C[(size_t)i * ldc + j] = (beta == 0.0f ? 0.0f :
			    beta * C[(size_t)i * ldc + j]) + (float)acc;
		}
}

/* C = beta*C + op(A) op(B), row-major. */
void
linalg_gemm(int ta, int tb, int M, int N, int K, const float *A, int lda,
    const float *B, int ldb, float beta, float *C, int ldc)
{
	if (M == 0 || N == 0)
		return;
	if (use_reference) {
		gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
		return;
	}
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
	    tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
	    beta, C, ldc);
}

/* y = beta*y + x W, W (K,N) row-major: y^T = W^T x^T. */
void
linalg_gemv_row(int N, int K, const float *x, const float *W, int ldw,
    float beta, float *y)
{
	if (use_reference) {
		gemm_ref(0, 0, 1, N, K, x, K, W, ldw, beta, y, N);
		return;
	}
	cblas_sgemv(CblasRowMajor, CblasTrans, K, N, 1.0f, W, ldw, x, 1, beta,
	    y, 1);
}

/* Fill each row of out with bias. */
void
linalg_set_rows(float *out, const float *bias, int M, int N)
{
	int	i;

	for (i = 0; i < M; i++)
		memcpy(out + (size_t)i * N, bias, (size_t)N * sizeof(float));
}
