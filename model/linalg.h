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
#include <stdint.h>

/*
 * Backends (issue J).  OpenBLAS is the reference and the fallback; oneDNN
 * (when built in, ./configure --with-dnnl) runs its AVX-512 brgemm kernels
 * on this CPU, where Debian's OpenBLAS 0.3.21 runs Haswell ones, and has
 * the bfloat16 matrix products.  The default is oneDNN when built in and
 * the CPU has AVX-512, else OpenBLAS (on AVX2 alone OpenBLAS is the faster);
 * LATENTROLL_BACKEND=openblas or =onednn in the environment overrides it.
 */
#define LINALG_OPENBLAS	0
#define LINALG_DNNL	1
int	linalg_set_backend(int backend, char **cause);
int	linalg_backend(void);
const char *linalg_backend_name(int backend);

/*
 * Precision of the matrix products of the calling thread: LINALG_FP32
 * (default), or LINALG_BF16: both operands rounded to bfloat16, products
 * accumulated and written in float32 (oneDNN only).  Returns the previous
 * precision, so a caller can put it back.  bf16 needs
 * linalg_bf16_supported(); without it the products stay float32.
 */
#define LINALG_FP32	0
#define LINALG_BF16	1
int	linalg_set_precision(int prec);
int	linalg_precision(void);
/* 1 when bf16 products run natively here; else 0 and *why says why. */
int	linalg_bf16_supported(const char **why);

/* Round to bfloat16 (nearest even) and back. */
void	linalg_to_bf16(uint16_t *dst, const float *src, size_t n);
void	linalg_from_bf16(float *dst, const uint16_t *src, size_t n);

/*
 * A bf16 copy of a block of float32 weights [base, base+n): a bf16
 * product whose operand lies in the block reads the copy instead of
 * rounding the operand again, so weights are rounded once per update, not
 * once per call.  The owner refreshes the copy after changing the weights
 * and removes it before freeing either.  Add and remove only while no
 * product runs (between training steps).  -1 when the table is full.
 */
int	linalg_shadow_add(const float *base, size_t n, const uint16_t *bf16);
void	linalg_shadow_remove(const float *base);

/*
 * The same for this thread only, for an activation block the caller has
 * rounded itself (or will have, row by row, before each product reads
 * it): until linalg_release(base), this thread's bf16 products read
 * [base, base+n) as bf16 (same layout).  The trainer rounds each LSTM
 * layer's gate gradients once, for the four products that read them.
 * The caller keeps the two copies equal.  Up to LINALG_HOLD_MAX at once;
 * -1 when full (products then round as before).
 */
#define LINALG_HOLD_MAX	4
int	linalg_hold(const float *base, size_t n, const uint16_t *bf16);
void	linalg_release(const float *base);

/*
 * Packed weights (oneDNN).  A product that uses one weight operand for
 * many calls of few rows (an LSTM's recurrent product: T calls per
 * training step, 32 rows each) spent as long re-laying the operand out for
 * the kernel (oneDNN does it on every call for a plain layout) as
 * multiplying.  linalg_pack_add registers an operand B exactly as it is
 * passed to linalg_gemm (trans_b, K, N, ldb) for products of precision
 * prec; linalg_pack_refresh lays every registration out again in the
 * kernel's own blocked layout (call it after the weights change) for
 * the registrations whose B lies in [base, base+n), share part of parts
 * (threads may lay out shares at once; 0, 1 for all); a product whose B,
 * shape and precision match a registration reads the packed copy.  Add, refresh and remove only while no product runs.
 * Returns -1 and packs nothing when oneDNN is not the backend, the table
 * is full or oneDNN has no packed layout for the shape or no kernel here
 * that reads one (brgemm needs AVX-512): products then read B as before.
 */
int	linalg_pack_add(int trans_b, int K, int N, const float *B, int ldb,
	    int prec);
void	linalg_pack_refresh(const float *base, size_t n, int part,
	    int parts);
/* Drop the registrations whose B lies in [base, base+n). */
void	linalg_pack_remove(const float *base, size_t n);
/* Registrations in use (for tests). */
int	linalg_pack_count(void);

/* Use the plain C loops instead of BLAS (1) or BLAS (0, default). */
void	linalg_set_reference(int on);
int	linalg_reference(void);

/* Threads BLAS and oneDNN may use (0 = leave the libraries' default). */
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

/*
 * y = beta*y + x*W for one row vector x (K) and W (K,N): the batch-1 path.
 * Float32 in every precision (the batch-1 decoder's bf16 weights have their
 * own kernel, lstm_half_gemv).
 */
void	linalg_gemv_row(int N, int K, const float *x, const float *W,
	    int ldw, float beta, float *y);

/*
 * Solve A X = B for a small symmetric positive definite A (n, n, row- or
 * column-major: the same) and nrhs right-hand sides stored one after
 * another (B: nrhs rows of n).  A is overwritten by its Cholesky factor,
 * B by X.  LAPACK's sposv (OpenBLAS has it); -1 if A is not positive
 * definite.
 */
int	linalg_solve_spd(int n, int nrhs, float *A, float *B);

/*
 * The same for a general square A (n, n, row-major), by LU with partial
 * pivoting (LAPACK's sgesv): A is overwritten (by its factors, in
 * LAPACK's column-major order), B by X.  -1 if A is singular.
 */
int	linalg_solve(int n, int nrhs, float *A, float *B);

/*
 * y (n) += x (n): the element-wise sums of the trainer (token-row
 * gathers and scatters, bias gradients, the workers' gradient sum), in
 * AVX-512 where the CPU has it.  Each element is one addition, so the
 * digits do not depend on the path.
 */
void	linalg_add(float *y, const float *x, size_t n);
/* y (n) = a + b: a bias and a gathered row in one pass. */
void	linalg_sum(float *y, const float *a, const float *b, size_t n);
/* y (n) += a*x */
void	linalg_axpy(float *y, float a, const float *x, size_t n);
/* y (n) += a*x, then x = 0, in one pass (a worker's gradient summed and
   cleared for its next step while in cache) */
void	linalg_axpy_take(float *y, float a, float *x, size_t n);
/* y (n) = b*y + a*x, then x = 0: the same roundings as linalg_scale then
   linalg_axpy_take, in one pass */
void	linalg_axpby_take(float *y, float b, float a, float *x, size_t n);
/* y (n) *= a */
void	linalg_scale(float *y, float a, size_t n);

/* out (M,N) = bias broadcast over rows. */
void	linalg_set_rows(float *out, const float *bias, int M, int N);

#endif
