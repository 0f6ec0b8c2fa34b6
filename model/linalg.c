/*
 * linalg.c: BLAS wrappers and their reference loops.  Everything in model/
 * that multiplies matrices comes through here, so a non-OpenBLAS build, a
 * oneDNN run or a bit-exact reference run changes one file.
 *
 * The oneDNN path (issue J) maps each product onto a matmul primitive
 * whose memory descriptors carry the row strides and transposes, so no
 * operand is copied in float32.  Primitives are made once per shape and
 * kept in a table; each call only wraps the caller's pointers in memory
 * objects.  In bf16 the operands are rounded into per-thread scratch
 * (or read from a weight block's shadow copy, linalg_shadow_add) and the
 * product accumulates into the float32 C, beta included (a sum post-op).
 * A weight operand used by many small products (the LSTMs' recurrent
 * blocks) can be registered once per update in the kernel's own blocked
 * layout (linalg_pack_add), which the kernel otherwise rebuilt on every
 * call.  Any oneDNN failure falls back to OpenBLAS for that call (or, for
 * a packed operand, to the operand as stored): slower, never wrong.
 */
#include "linalg.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#ifdef HAVE_DNNL
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

#include "common.h"

static int use_reference;

#ifdef OPENBLAS_VERSION
extern void openblas_set_num_threads(int);
/* LAPACK (Fortran calling convention) inside OpenBLAS; no header ships. */
extern void sposv_(const char *, const int *, const int *, float *,
    const int *, float *, const int *, int *);
extern void sgesv_(const int *, const int *, float *, const int *, int *,
    float *, const int *, int *);
extern int openblas_get_num_threads(void);
#endif

/* Serial sections: how many are open, and the thread count to restore. */
static pthread_mutex_t	serial_mu = PTHREAD_MUTEX_INITIALIZER;
static int		serial_depth;
static int		serial_saved;

/* Per thread: precision, and serial sections open in this thread. */
static __thread int	tl_prec;
static __thread int	tl_serial;

/* -1: not chosen yet (the first call picks the default). */
static int		backend = -1;
static pthread_once_t	backend_once = PTHREAD_ONCE_INIT;
static void		backend_default(void);
/* oneDNN's threads outside serial sections (0: its default). */
static int		dnnl_threads;

#define SHADOW_MAX	16
static struct shadow {
	const float	*base;
	size_t		 n;
	const uint16_t	*bf16;
} shadows[SHADOW_MAX];

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

const char *
linalg_backend_name(int b)
{
	return (b == LINALG_DNNL ? "onednn" : "openblas");
}

int
linalg_set_backend(int b, char **cause)
{
	(void)pthread_once(&backend_once, backend_default);
	if (b == LINALG_OPENBLAS) {
		backend = b;
		return (0);
	}
#ifdef HAVE_DNNL
	if (b == LINALG_DNNL) {
		backend = b;
		return (0);
	}
#endif
	return (lr_fail(cause, "backend %s is not built in (./configure "
	    "found no oneDNN; install libdnnl-dev)", linalg_backend_name(b)));
}

/*
 * The default, once, whichever thread asks first (linalg_set_backend
 * picks another before any product runs): LATENTROLL_BACKEND=openblas or
 * =onednn, else oneDNN on a CPU with AVX-512 (its brgemm kernels, and bf16
 * where the CPU has it) and OpenBLAS elsewhere.  On AVX2 alone (AMD Zen 3)
 * oneDNN's float32 products are its own sgemm, and OpenBLAS's Haswell
 * kernels trained 1.35x (mel_2bar) and 1.6x (mel_16bar) faster.
 */
static void
backend_default(void)
{
	const char	*e;

	if (backend >= 0)
		return;
	backend = LINALG_OPENBLAS;
#ifdef HAVE_DNNL
	__builtin_cpu_init();
	e = getenv("LATENTROLL_BACKEND");
	if (e != NULL && strcmp(e, "openblas") != 0)
		backend = LINALG_DNNL;
	else if (e == NULL && __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vl"))
		backend = LINALG_DNNL;
#else
	(void)e;
#endif
}

int
linalg_backend(void)
{
	(void)pthread_once(&backend_once, backend_default);
	return (backend);
}

int
linalg_set_precision(int prec)
{
	int	old = tl_prec;

	tl_prec = prec == LINALG_BF16 ? LINALG_BF16 : LINALG_FP32;
	return (old);
}

int
linalg_precision(void)
{
	return (tl_prec);
}

/* Probed once, whichever thread asks first. */
static pthread_once_t	bf16_once = PTHREAD_ONCE_INIT;
static int		bf16_ok;
static const char	*bf16_no;

static void
bf16_probe(void)
{
#ifdef HAVE_DNNL
	__builtin_cpu_init();
	/* LATENTROLL_NO_BF16: a CPU without it, for tests and
	   comparisons. */
	if (getenv("LATENTROLL_NO_BF16") != NULL)
		bf16_no = "LATENTROLL_NO_BF16 is set";
	else if (!__builtin_cpu_supports("avx512bf16"))
		bf16_no = "this CPU has no AVX512-BF16";
	else
		bf16_ok = 1;
#else
	bf16_no = "built without oneDNN";
#endif
}

int
linalg_bf16_supported(const char **why)
{
	int		 ok;
	const char	*no;

	(void)pthread_once(&bf16_once, bf16_probe);
	ok = bf16_ok;
	no = bf16_no;
	if (!ok && why != NULL)
		*why = no;
	return (ok);
}

/* Round to nearest even; NaN stays NaN (quiet). */
static inline uint16_t
bf16_round(float f)
{
	uint32_t	u;

	memcpy(&u, &f, sizeof u);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return ((uint16_t)((u >> 16) | 0x40));
	u += 0x7fffu + ((u >> 16) & 1);
	return ((uint16_t)(u >> 16));
}

#ifdef HAVE_DNNL
/* The same rounding with the CPU's own instruction (denormals to zero). */
__attribute__((target("avx512f,avx512bf16")))
static void
to_bf16_avx512(uint16_t *dst, const float *src, size_t n)
{
	size_t	i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m512		x = _mm512_loadu_ps(src + i);
		__m256bh	y = _mm512_cvtneps_pbh(x);

		_mm256_storeu_si256((__m256i *)(dst + i), (__m256i)y);
	}
	for (; i < n; i++)
		dst[i] = bf16_round(src[i]);
}
#endif

void
linalg_to_bf16(uint16_t *dst, const float *src, size_t n)
{
	size_t	i;

#ifdef HAVE_DNNL
	if (linalg_bf16_supported(NULL)) {
		to_bf16_avx512(dst, src, n);
		return;
	}
#endif
	for (i = 0; i < n; i++)
		dst[i] = bf16_round(src[i]);
}

void
linalg_from_bf16(float *dst, const uint16_t *src, size_t n)
{
	size_t		i;
	uint32_t	u;

	for (i = 0; i < n; i++) {
		u = (uint32_t)src[i] << 16;
		memcpy(&dst[i], &u, sizeof u);
	}
}

/* Tables of bf16 copies: the shadows (all threads) and this thread's
   held blocks (linalg_hold). */
static __thread struct shadow	tl_holds[LINALG_HOLD_MAX];

static int
copy_add(struct shadow *tab, int max, const float *base, size_t n,
    const uint16_t *bf16)
{
	int	i;

	for (i = 0; i < max; i++)
		if (tab[i].base == NULL || tab[i].base == base) {
			tab[i].base = base;
			tab[i].n = n;
			tab[i].bf16 = bf16;
			return (0);
		}
	return (-1);
}

static void
copy_remove(struct shadow *tab, int max, const float *base)
{
	int	i;

	for (i = 0; i < max; i++)
		if (tab[i].base == base)
			memset(&tab[i], 0, sizeof tab[i]);
}

/* The copy of p in tab, or NULL when p lies in none of its blocks. */
static const uint16_t *
copy_of(const struct shadow *tab, int max, const float *p)
{
	int	i;

	for (i = 0; i < max; i++)
		if (tab[i].base != NULL && p >= tab[i].base &&
		    p < tab[i].base + tab[i].n)
			return (tab[i].bf16 + (p - tab[i].base));
	return (NULL);
}

int
linalg_shadow_add(const float *base, size_t n, const uint16_t *bf16)
{
	return (copy_add(shadows, SHADOW_MAX, base, n, bf16));
}

void
linalg_shadow_remove(const float *base)
{
	copy_remove(shadows, SHADOW_MAX, base);
}

int
linalg_hold(const float *base, size_t n, const uint16_t *bf16)
{
	return (copy_add(tl_holds, LINALG_HOLD_MAX, base, n, bf16));
}

void
linalg_release(const float *base)
{
	copy_remove(tl_holds, LINALG_HOLD_MAX, base);
}

/* The bf16 copy of p: this thread's held blocks first, then the shadows. */
static const uint16_t *
shadow_of(const float *p)
{
	const uint16_t	*s;

	if ((s = copy_of(tl_holds, LINALG_HOLD_MAX, p)) != NULL)
		return (s);
	return (copy_of(shadows, SHADOW_MAX, p));
}

void
linalg_set_threads(int n)
{
	if (n <= 0)
		return;
	dnnl_threads = n;
#ifdef OPENBLAS_VERSION
	pthread_mutex_lock(&serial_mu);
	/* Inside a serial section the count applies when it ends. */
	if (serial_depth > 0)
		serial_saved = n;
	else
		openblas_set_num_threads(n);
	pthread_mutex_unlock(&serial_mu);
#endif
}

void
linalg_serial_begin(void)
{
	tl_serial++;
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
	if (linalg_backend() == LINALG_OPENBLAS)
		return (openblas_get_num_threads());
#endif
#ifdef HAVE_DNNL
	if (linalg_backend() == LINALG_DNNL)
		return (tl_serial > 0 ? 1 : dnnl_threads > 0 ? dnnl_threads :
		    omp_get_num_procs());
#endif
	return (1);
}

void
linalg_serial_end(void)
{
	if (tl_serial > 0)
		tl_serial--;
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

#ifdef HAVE_DNNL
/*
 * One matmul primitive per product shape: transposes, sizes, strides of
 * the operands as passed to oneDNN, beta and data type.
 */
struct mm_key {
	int		ta, tb, M, N, K;
	dnnl_dim_t	sa, sb;		/* row strides of A, B as stored */
	int		ldc;
	int		bf16;
	uint32_t	beta;		/* bits of beta */
	uint32_t	pack;		/* id of B's packed copy, 0 plain */
};

struct mm_ent {
	struct mm_key		k;
	int			used;
	dnnl_primitive_t	prim;
	dnnl_memory_t		mem[3];	/* src, weights, dst: made once,
					   pointed at each call's data */
};

/*
 * Each thread keeps its own primitives: a primitive executed by two
 * threads at once shares its scratchpad (Debian's oneDNN is built without
 * concurrent execution), which made two-worker training steps differ
 * from run to run.  Workers are long-lived (train_par.c), so the cost of
 * making them is paid once per thread and shape.
 */
#define MM_CACHE	4096
static dnnl_engine_t	dn_engine;
static pthread_once_t	dn_once = PTHREAD_ONCE_INIT;
static int		dn_ok;

/* Per thread: a stream, and scratch for the bf16 operands. */
static pthread_key_t	dn_key;
struct dn_thread {
	dnnl_stream_t	 stream;
	uint16_t	*a, *b;
	size_t		 na, nb;
	struct mm_ent	*cache;		/* MM_CACHE entries */
	int		 count;
};

/* An entry's primitive and memory objects. */
static void
mm_clear(struct mm_ent *e)
{
	int	i;

	for (i = 0; i < 3; i++)
		if (e->mem[i] != NULL)
			dnnl_memory_destroy(e->mem[i]);
	if (e->prim != NULL)
		dnnl_primitive_destroy(e->prim);
	memset(e->mem, 0, sizeof e->mem);
	e->prim = NULL;
}

static void
dn_thread_free(void *arg)
{
	struct dn_thread	*t = arg;
	int			 i;

	for (i = 0; i < MM_CACHE; i++)
		if (t->cache[i].used)
			mm_clear(&t->cache[i]);
	free(t->cache);
	if (t->stream != NULL)
		dnnl_stream_destroy(t->stream);
	free(t->a);
	free(t->b);
	free(t);
}

static void
dn_init(void)
{
	if (dnnl_engine_create(&dn_engine, dnnl_cpu, 0) != dnnl_success)
		return;
	if (pthread_key_create(&dn_key, dn_thread_free) != 0)
		return;
	dn_ok = 1;
}

static struct dn_thread *
dn_thread(void)
{
	struct dn_thread	*t;

	pthread_once(&dn_once, dn_init);
	if (!dn_ok)
		return (NULL);
	if ((t = pthread_getspecific(dn_key)) != NULL)
		return (t);
	t = lr_calloc(1, sizeof *t);
	t->cache = lr_calloc(MM_CACHE, sizeof *t->cache);
	if (dnnl_stream_create(&t->stream, dn_engine,
	    dnnl_stream_default_flags) != dnnl_success) {
		free(t->cache);
		free(t);
		return (NULL);
	}
	pthread_setspecific(dn_key, t);
	return (t);
}

static uint64_t
mm_hash(const struct mm_key *k)
{
	const unsigned char	*p = (const unsigned char *)k;
	uint64_t		 h = 1469598103934665603ull;
	size_t			 i;

	for (i = 0; i < sizeof *k; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (h);
}

/*
 * Make the primitive of k into e; 0 on success.  wmd: the layout of a
 * packed B (k->pack), NULL for B as stored.
 */
static int
mm_make(const struct mm_key *k, const dnnl_memory_desc_t *wmd,
    struct mm_ent *e)
{
	dnnl_data_type_t	 dt = k->bf16 ? dnnl_bf16 : dnnl_f32;
	dnnl_dims_t		 da = { k->M, k->K }, db = { k->K, k->N };
	dnnl_dims_t		 dc = { k->M, k->N };
	dnnl_dims_t		 sa, sb, sc = { k->ldc, 1 };
	dnnl_memory_desc_t	 ma, mb, mc;
	dnnl_matmul_desc_t	 md;
	dnnl_primitive_attr_t	 attr = NULL;
	dnnl_post_ops_t		 po = NULL;
	dnnl_primitive_desc_t	 pd = NULL;
	const char		*impl = NULL;
	float			 beta;
	int			 ok = 0;

	/* op(A) (M,K): stored (M,K) with stride sa, or (K,M) transposed. */
	sa[0] = k->ta ? 1 : k->sa;
	sa[1] = k->ta ? k->sa : 1;
	sb[0] = k->tb ? 1 : k->sb;
	sb[1] = k->tb ? k->sb : 1;
	memcpy(&beta, &k->beta, sizeof beta);
	if (dnnl_memory_desc_init_by_strides(&ma, 2, da, dt, sa) ||
	    dnnl_memory_desc_init_by_strides(&mb, 2, db, dt, sb) ||
	    dnnl_memory_desc_init_by_strides(&mc, 2, dc, dnnl_f32, sc))
		return (-1);
	if (wmd != NULL)
		mb = *wmd;
	if (dnnl_matmul_desc_init(&md, &ma, &mb, NULL, &mc))
		return (-1);
	if (dnnl_primitive_attr_create(&attr))
		return (-1);
	if (beta != 0.0f) {
		if (dnnl_post_ops_create(&po) ||
		    dnnl_post_ops_append_sum(po, beta) ||
		    dnnl_primitive_attr_set_post_ops(attr, po))
			goto out;
	}
	if (dnnl_primitive_desc_create(&pd, &md, attr, dn_engine, NULL))
		goto out;
	/*
	 * A packed B is worth it only on the brgemm kernels it was laid out
	 * for; oneDNN will also run a given blocked layout on its reference
	 * matmul (fp32 products of some row counts got "ref:any", hundreds
	 * of times slower): refuse, and the caller reads B as stored.
	 */
	if (wmd != NULL && (dnnl_primitive_desc_query(pd,
	    dnnl_query_impl_info_str, 0, &impl) != dnnl_success ||
	    strncmp(impl, "brg", 3) != 0))
		goto out;
	if (dnnl_primitive_create(&e->prim, pd))
		goto out;
	memcpy(&e->k, k, sizeof e->k);
	ok = 1;
out:
	if (pd != NULL)
		dnnl_primitive_desc_destroy(pd);
	if (po != NULL)
		dnnl_post_ops_destroy(po);
	dnnl_primitive_attr_destroy(attr);
	return (ok ? 0 : -1);
}

/*
 * The calling thread's entry for k (made on first use).  Entries live as
 * long as the thread; a full table returns a fresh entry the caller
 * destroys (*own = 1).
 */
static struct mm_ent *
mm_get(struct dn_thread *t, const struct mm_key *k,
    const dnnl_memory_desc_t *wmd, int *own)
{
	struct mm_ent	*e, *fresh;
	size_t		 i;

	*own = 0;
	i = mm_hash(k) % MM_CACHE;
	for (;;) {
		e = &t->cache[i];
		if (!e->used)
			break;
		if (memcmp(&e->k, k, sizeof *k) == 0)
			return (e);
		i = (i + 1) % MM_CACHE;
	}
	/* Keep a quarter free so probing stays short. */
	if (t->count >= MM_CACHE * 3 / 4) {
		fresh = lr_calloc(1, sizeof *fresh);
		if (mm_make(k, wmd, fresh) != 0) {
			free(fresh);
			return (NULL);
		}
		*own = 1;
		return (fresh);
	}
	/* A shape oneDNN cannot run stays in the table without a primitive,
	   so the next call does not try again. */
	if (mm_make(k, wmd, e) != 0) {
		memcpy(&e->k, k, sizeof e->k);
		e->prim = NULL;
	}
	e->used = 1;
	t->count++;
	return (e);
}

/* Scratch of at least n bf16 values in *buf. */
static uint16_t *
scratch(uint16_t **buf, size_t *cap, size_t n)
{
	if (*cap < n) {
		free(*buf);
		*buf = lr_malloc(n * sizeof **buf);
		*cap = n;
	}
	return (*buf);
}

/* Rows r of cols floats at stride ld, packed into dst as bf16. */
static void
pack_bf16(uint16_t *dst, const float *src, int rows, int cols, int ld)
{
	int	r;

	for (r = 0; r < rows; r++)
		linalg_to_bf16(dst + (size_t)r * cols, src + (size_t)r * ld,
		    (size_t)cols);
}

/*
 * An operand for a bf16 product: its shadow copy (same layout) or a
 * packed rounding in scratch; *ld becomes the stride used.
 */
static const uint16_t *
bf16_operand(const float *X, int rows, int cols, int *ld, uint16_t **buf,
    size_t *cap)
{
	const uint16_t	*s;
	uint16_t	*d;

	if ((s = shadow_of(X)) != NULL &&
	    shadow_of(X + (size_t)(rows - 1) * *ld + cols - 1) != NULL)
		return (s);
	d = scratch(buf, cap, (size_t)rows * cols);
	pack_bf16(d, X, rows, cols, *ld);
	*ld = cols;
	return (d);
}

/*
 * Packed weight operands (linalg_pack_add).  The layout is the one
 * oneDNN's matmul picks for B when told "any"; a product uses it by
 * naming the same descriptor, and the registration's id is part of the
 * primitive's key, so a primitive never outlives its layout's meaning.
 */
#define PACK_MAX	64
static struct pack {
	const float		*B;	/* as passed to linalg_gemm */
	int			 tb, K, N, ldb, bf16;
	uint32_t		 id;
	int			 bad;	/* laying it out failed */
	int			 own;	/* laid out by pack_ba16a64b2a */
	dnnl_memory_desc_t	 md;
	void			*data;
	dnnl_memory_t		 src, dst;
	dnnl_primitive_t	 reorder;
} packs[PACK_MAX];
static int		npacks;
static uint32_t		pack_ids;

static struct pack *
pack_of(const float *B, int tb, int K, int N, int ldb, int bf16)
{
	struct pack	*pk;
	int		 i;

	for (i = 0; i < npacks; i++) {
		pk = &packs[i];
		if (pk->B == B && pk->tb == tb && pk->K == K && pk->N == N &&
		    pk->ldb == ldb && pk->bf16 == bf16 && !pk->bad)
			return (pk);
	}
	return (NULL);
}

static void
pack_free(struct pack *pk)
{
	if (pk->reorder != NULL)
		dnnl_primitive_destroy(pk->reorder);
	if (pk->src != NULL)
		dnnl_memory_destroy(pk->src);
	if (pk->dst != NULL)
		dnnl_memory_destroy(pk->dst);
	free(pk->data);
	memset(pk, 0, sizeof *pk);
}

static void	dn_threads_here(void);

#ifdef HAVE_DNNL
/*
 * pack_ba16a64b2a's untransposed layout from two rows at a time: a row
 * pair's 16 columns rounded in one instruction (the rounding of
 * linalg_to_bf16: VCVTNE2PS2BF16 is VCVTNEPS2BF16 twice) and interleaved
 * with one permutation, where the scalar loop moved each bf16 alone (2.4%
 * of a bf16 mel_2bar step, perf, December 2026).
 */
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void
pack_pairs_avx512(uint16_t *dst, const float *B, int K, int N, int ldb)
{
	/* word 2i of the result is element i (even row), 2i+1 is 16+i */
	static const uint16_t	 order[32] = {
		0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
		8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31 };
	__m512i			 idx = _mm512_loadu_si512(order);
	const float		*ev, *od;
	uint16_t		*blk;
	int			 nb, kb, a, c;

	for (nb = 0; nb < N / 64; nb++)
		for (kb = 0; kb < K / 32; kb++) {
			blk = dst + ((size_t)nb * (K / 32) + kb) * 2048;
			for (a = 0; a < 32; a += 2) {
				ev = B + (size_t)(kb * 32 + a) * ldb + nb * 64;
				od = ev + ldb;
				for (c = 0; c < 4; c++) {
					__m512bh v = _mm512_cvtne2ps_pbh(
					    _mm512_loadu_ps(od + 16 * c),
					    _mm512_loadu_ps(ev + 16 * c));

					_mm512_storeu_si512(blk + (a / 2) *
					    128 + 32 * c,
					    _mm512_permutexvar_epi16(idx,
					    (__m512i)v));
				}
			}
		}
}

/*
 * The transposed layout (B stored as N rows of K): a row's 32 values of a
 * block, rounded in one instruction, are its 16 pairs in order, each a
 * 32-bit word landing 64 words from the last.
 */
__attribute__((target("avx512f,avx512bf16")))
static void
pack_pairs_t_avx512(uint16_t *dst, const float *B, int K, int N, int ldb)
{
	const float	*row;
	uint32_t	 pair[16];
	uint16_t	*blk;
	int		 nb, kb, b, i;

	for (nb = 0; nb < N / 64; nb++)
		for (kb = 0; kb < K / 32; kb++) {
			blk = dst + ((size_t)nb * (K / 32) + kb) * 2048;
			for (b = 0; b < 64; b++) {
				row = B + (size_t)(nb * 64 + b) * ldb + kb * 32;
				_mm512_storeu_si512(pair, (__m512i)
				    _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row +
				    16), _mm512_loadu_ps(row)));
				for (i = 0; i < 16; i++)
					memcpy(blk + 2 * (i * 64 + b), &pair[i],
					    sizeof pair[i]);
			}
		}
}
#endif

/*
 * oneDNN's bf16 layout BA16a64b2a of op(B) (K,N), the one its AVX512-BF16
 * matmul asks for: blocks of 32 x 64, the N blocks outermost; in a block,
 * element (a, b) at (a/2)*128 + 2b + a%2 (pairs along K for the dot
 * product instruction).  oneDNN's reorder does the same work, but from a
 * transposed B (the backward's W_h^T) it took 1.8 ms for 2048 x 512 where
 * this takes a fraction; test_linalg checks the two agree.
 */
static void
pack_ba16a64b2a(uint16_t *dst, const float *B, int tb, int K, int N,
    int ldb)
{
	uint16_t	 row[64], *blk;
	int		 nb, kb, a, b;

#ifdef HAVE_DNNL
	if (tb && linalg_bf16_supported(NULL)) {
		pack_pairs_t_avx512(dst, B, K, N, ldb);
		return;
	}
	if (!tb && linalg_bf16_supported(NULL) &&
	    __builtin_cpu_supports("avx512bw")) {
		pack_pairs_avx512(dst, B, K, N, ldb);
		return;
	}
#endif
	for (nb = 0; nb < N / 64; nb++)
		for (kb = 0; kb < K / 32; kb++) {
			blk = dst + ((size_t)nb * (K / 32) + kb) * 2048;
			if (!tb)
				for (a = 0; a < 32; a++) {
					linalg_to_bf16(row, B + (size_t)(kb *
					    32 + a) * ldb + nb * 64, 64);
					for (b = 0; b < 64; b++)
						blk[(a / 2) * 128 + b * 2 +
						    (a & 1)] = row[b];
				}
			else
				for (b = 0; b < 64; b++) {
					linalg_to_bf16(row, B + (size_t)(nb *
					    64 + b) * ldb + kb * 32, 32);
					for (a = 0; a < 32; a++)
						blk[(a / 2) * 128 + b * 2 +
						    (a & 1)] = row[a];
				}
		}
}

/* Lay B out again; on failure the registration is not used. */
static void
pack_run(struct pack *pk)
{
	struct dn_thread	*t;
	dnnl_exec_arg_t		 args[2];

	if (pk->own) {
		pack_ba16a64b2a(pk->data, pk->B, pk->tb, pk->K, pk->N,
		    pk->ldb);
		return;
	}

	if ((t = dn_thread()) == NULL) {
		pk->bad = 1;
		return;
	}
	dn_threads_here();
	args[0].arg = DNNL_ARG_FROM;
	args[0].memory = pk->src;
	args[1].arg = DNNL_ARG_TO;
	args[1].memory = pk->dst;
	if (dnnl_primitive_execute(pk->reorder, t->stream, 2, args) ||
	    dnnl_stream_wait(t->stream))
		pk->bad = 1;
}
#endif

int
linalg_pack_add(int tb, int K, int N, const float *B, int ldb, int prec)
{
#ifdef HAVE_DNNL
	struct pack		*pk;
	dnnl_data_type_t	 dt;
	dnnl_dims_t		 da = { 32, K }, db = { K, N }, dc = { 32, N };
	dnnl_dims_t		 sb;
	dnnl_memory_desc_t	 ma, mb, many, mc, mown;
	dnnl_matmul_desc_t	 md;
	dnnl_primitive_desc_t	 pd = NULL, rpd = NULL;
	const dnnl_memory_desc_t *w;
	const char		*impl = NULL;
	size_t			 size;
	int			 bf16 = prec == LINALG_BF16, rc = -1;

	if (linalg_backend() != LINALG_DNNL || use_reference ||
	    (bf16 && !linalg_bf16_supported(NULL)) || dn_thread() == NULL)
		return (-1);
	if (pack_of(B, tb, K, N, ldb, bf16) != NULL)
		return (0);
	if (npacks >= PACK_MAX)
		return (-1);
	dt = bf16 ? dnnl_bf16 : dnnl_f32;
	sb[0] = tb ? 1 : ldb;
	sb[1] = tb ? ldb : 1;
	/*
	 * The layout the kernel wants for products of 32 rows (a worker's
	 * slice).  oneDNN 2.6 picks the same one from 16 to 64 rows; where
	 * it has no brgemm kernel for a product's rows in that layout, that
	 * product reads B as stored (gemm_dnnl).
	 */
	if (dnnl_memory_desc_init_by_tag(&ma, 2, da, dt, dnnl_ab) ||
	    dnnl_memory_desc_init_by_tag(&many, 2, db, dt, dnnl_format_tag_any) ||
	    dnnl_memory_desc_init_by_tag(&mc, 2, dc, dnnl_f32, dnnl_ab) ||
	    dnnl_memory_desc_init_by_strides(&mb, 2, db, dnnl_f32, sb) ||
	    dnnl_matmul_desc_init(&md, &ma, &many, NULL, &mc) ||
	    dnnl_primitive_desc_create(&pd, &md, NULL, dn_engine, NULL))
		goto out;
	/*
	 * Only brgemm kernels (AVX-512) read a packed B: on a CPU without
	 * them (AVX2: oneDNN's own sgemm, which packs B itself) gemm_dnnl
	 * would read B as stored anyway, and laying it out after every
	 * update would be work for nothing.
	 */
	if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0,
	    &impl) != dnnl_success || strncmp(impl, "brg", 3) != 0)
		goto out;
	if ((w = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md,
	    0)) == NULL)
		goto out;
	pk = &packs[npacks];
	memset(pk, 0, sizeof *pk);
	pk->md = *w;
	if (bf16 && K % 32 == 0 && N % 64 == 0 &&
	    getenv("LATENTROLL_PACK_REORDER") == NULL &&
	    dnnl_memory_desc_init_by_tag(&mown, 2, db, dnnl_bf16,
	    dnnl_BA16a64b2a) == dnnl_success &&
	    dnnl_memory_desc_equal(&mown, &pk->md))
		pk->own = 1;
	size = dnnl_memory_desc_get_size(&pk->md);
	pk->data = lr_malloc(size > 0 ? size : 1);
	if (dnnl_memory_create(&pk->src, &mb, dn_engine, (void *)B) ||
	    dnnl_memory_create(&pk->dst, &pk->md, dn_engine, pk->data) ||
	    dnnl_reorder_primitive_desc_create(&rpd, &mb, dn_engine,
	    &pk->md, dn_engine, NULL) ||
	    dnnl_primitive_create(&pk->reorder, rpd)) {
		pack_free(pk);
		goto out;
	}
	pk->B = B;
	pk->tb = tb;
	pk->K = K;
	pk->N = N;
	pk->ldb = ldb;
	pk->bf16 = bf16;
	pk->id = ++pack_ids;
	npacks++;
	pack_run(pk);
	rc = pk->bad ? -1 : 0;
out:
	if (rpd != NULL)
		dnnl_primitive_desc_destroy(rpd);
	if (pd != NULL)
		dnnl_primitive_desc_destroy(pd);
	return (rc);
#else
	(void)tb; (void)K; (void)N; (void)B; (void)ldb; (void)prec;
	return (-1);
#endif
}

void
linalg_pack_refresh(const float *base, size_t n, int part, int parts)
{
#ifdef HAVE_DNNL
	int	i, j = 0;

	for (i = 0; i < npacks; i++)
		if (packs[i].B >= base && packs[i].B < base + n &&
		    j++ % parts == part && !packs[i].bad)
			pack_run(&packs[i]);
#else
	(void)base; (void)n; (void)part; (void)parts;
#endif
}

void
linalg_pack_remove(const float *base, size_t n)
{
#ifdef HAVE_DNNL
	int	i;

	for (i = 0; i < npacks; )
		if (packs[i].B >= base && packs[i].B < base + n) {
			pack_free(&packs[i]);
			packs[i] = packs[--npacks];
			memset(&packs[npacks], 0, sizeof packs[npacks]);
		} else
			i++;
#else
	(void)base; (void)n;
#endif
}

int
linalg_pack_count(void)
{
#ifdef HAVE_DNNL
	int	i, c = 0;

	for (i = 0; i < npacks; i++)
		c += !packs[i].bad;
	return (c);
#else
	return (0);
#endif
}

#ifdef HAVE_DNNL
/* Keep oneDNN's OpenMP team at the count asked (1 in serial sections). */
static void
dn_threads_here(void)
{
	int	want;

	want = tl_serial > 0 ? 1 : dnnl_threads;
	if (want > 0 && omp_get_max_threads() != want)
		omp_set_num_threads(want);
}

/*
 * oneDNN product; -1 to fall back to BLAS.  packed: read B's packed copy
 * when it has one (0: B as stored).
 */
static int
gemm_dnnl(int ta, int tb, int M, int N, int K, const float *A, int lda,
    const float *B, int ldb, float beta, float *C, int ldc, int bf16,
    int packed)
{
	struct dn_thread	*t;
	struct mm_key		 k;
	struct mm_ent		*e;
	const_dnnl_primitive_desc_t pd;
	dnnl_exec_arg_t		 args[3];
	static const dnnl_query_t q[3] = { dnnl_query_src_md,
	    dnnl_query_weights_md, dnnl_query_dst_md };
	void			*h[3];
	int			 i;
	const void		*pa = A, *pb = B;
	struct pack		*pk;
	int			 own, rc = -1, lda0 = lda;

	if ((t = dn_thread()) == NULL)
		return (-1);
	memset(&k, 0, sizeof k);
	pk = packed && npacks > 0 ? pack_of(B, tb, K, N, ldb, bf16) : NULL;
	if (bf16) {
		/* Stored shapes: A is (M,K) or (K,M), B (K,N) or (N,K). */
		pa = bf16_operand(A, ta ? K : M, ta ? M : K, &lda, &t->a,
		    &t->na);
		if (pk == NULL)
			pb = bf16_operand(B, tb ? N : K, tb ? K : N, &ldb,
			    &t->b, &t->nb);
	}
	if (pk != NULL)
		pb = pk->data;
	k.ta = ta;
	k.tb = tb;
	k.M = M;
	k.N = N;
	k.K = K;
	k.sa = lda;
	k.sb = ldb;
	k.ldc = ldc;
	k.bf16 = bf16;
	memcpy(&k.beta, &beta, sizeof k.beta);
	k.pack = pk != NULL ? pk->id : 0;
	if ((e = mm_get(t, &k, pk != NULL ? &pk->md : NULL, &own)) == NULL ||
	    e->prim == NULL) {
		if (pk == NULL)
			return (-1);
		/* No fast kernel for these rows in that layout (the table
		   remembers): B as stored. */
		return (gemm_dnnl(ta, tb, M, N, K, A, lda0, B, ldb, beta, C,
		    ldc, bf16, 0));
	}
	dn_threads_here();
	/*
	 * The entry's memory objects are made on its first call and then
	 * only pointed at this call's operands: creating and destroying
	 * three per product, a few hundred small products per worker and
	 * step, cost a bf16 mel_2bar training step about 4%.
	 */
	h[0] = (void *)pa;
	h[1] = (void *)pb;
	h[2] = C;
	for (i = 0; i < 3; i++) {
		if (e->mem[i] != NULL) {
			if (dnnl_memory_set_data_handle(e->mem[i], h[i]))
				goto out;
			continue;
		}
		if (dnnl_primitive_get_primitive_desc(e->prim, &pd) ||
		    dnnl_memory_create(&e->mem[i],
		    dnnl_primitive_desc_query_md(pd, q[i], 0), dn_engine,
		    h[i])) {
			e->mem[i] = NULL;
			goto out;
		}
	}
	args[0].arg = DNNL_ARG_SRC;
	args[0].memory = e->mem[0];
	args[1].arg = DNNL_ARG_WEIGHTS;
	args[1].memory = e->mem[1];
	args[2].arg = DNNL_ARG_DST;
	args[2].memory = e->mem[2];
	if (dnnl_primitive_execute(e->prim, t->stream, 3, args) ||
	    dnnl_stream_wait(t->stream))
		goto out;
	rc = 0;
out:
	if (own) {
		mm_clear(e);
		free(e);
	}
	return (rc);
}
#endif

/* C = beta*C for K == 0 (no product to add). */
static void
scale_rows(int M, int N, float beta, float *C, int ldc)
{
	int	i, j;

	for (i = 0; i < M; i++)
		for (j = 0; j < N; j++)
			C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f :
			    beta * C[(size_t)i * ldc + j];
}

/* C = beta*C + op(A) op(B), row-major. */
void
linalg_gemm(int ta, int tb, int M, int N, int K, const float *A, int lda,
    const float *B, int ldb, float beta, float *C, int ldc)
{
	if (M == 0 || N == 0)
		return;
	if (K == 0) {
		scale_rows(M, N, beta, C, ldc);
		return;
	}
	if (use_reference) {
		gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
		return;
	}
#ifdef HAVE_DNNL
	if (linalg_backend() == LINALG_DNNL &&
	    gemm_dnnl(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc,
	    tl_prec == LINALG_BF16 && linalg_bf16_supported(NULL), 1) == 0)
		return;
#endif
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
	/*
	 * Float32 in every precision: a one-row product through oneDNN costs
	 * more in its per-call set-up than it saves (bf16 encoding ran 0.7x
	 * float32's speed that way); the batch-1 decoder has its own bf16
	 * kernel (lstm_half_gemv).
	 */
	cblas_sgemv(CblasRowMajor, CblasTrans, K, N, 1.0f, W, ldw, x, 1, beta,
	    y, 1);
}

#if defined(__x86_64__)
/*
 * The element-wise kernels at one vector width: each returns how many
 * elements it did (whole vectors), the caller's scalar loop does the rest.
 * Products and sums stay separate operations (no fused multiply-add, and
 * the AVX2 target leaves FMA out so the compiler cannot fuse them): every
 * element gets the scalar loop's roundings, on any path.
 */
#define EW_KERNELS(SUF, TGT, VT, W, LD, ST, ADD, MUL, SET1, ZERO)	\
TGT static size_t							\
sum_##SUF(float *y, const float *a, const float *b, size_t n)		\
{									\
	size_t	i;							\
									\
	for (i = 0; i + W <= n; i += W)					\
		ST(y + i, ADD(LD(a + i), LD(b + i)));			\
	return (i);							\
}									\
									\
TGT static size_t							\
axpy_##SUF(float *y, float a, const float *x, size_t n)		\
{									\
	VT	va = SET1(a);						\
	size_t	i;							\
									\
	for (i = 0; i + W <= n; i += W)					\
		ST(y + i, ADD(LD(y + i), MUL(va, LD(x + i))));		\
	return (i);							\
}									\
									\
TGT static size_t							\
axpy_take_##SUF(float *y, float a, float *x, size_t n)			\
{									\
	VT	va = SET1(a), z = ZERO();				\
	size_t	i;							\
									\
	for (i = 0; i + W <= n; i += W) {				\
		ST(y + i, ADD(LD(y + i), MUL(va, LD(x + i))));		\
		ST(x + i, z);						\
	}								\
	return (i);							\
}									\
									\
TGT static size_t							\
axpby_take_##SUF(float *y, float b, float a, float *x, size_t n)	\
{									\
	VT	va = SET1(a), vb = SET1(b), z = ZERO();			\
	size_t	i;							\
									\
	for (i = 0; i + W <= n; i += W) {				\
		ST(y + i, ADD(MUL(vb, LD(y + i)), MUL(va, LD(x + i))));	\
		ST(x + i, z);						\
	}								\
	return (i);							\
}									\
									\
TGT static size_t							\
scale_##SUF(float *y, float a, size_t n)				\
{									\
	VT	va = SET1(a);						\
	size_t	i;							\
									\
	for (i = 0; i + W <= n; i += W)					\
		ST(y + i, MUL(va, LD(y + i)));				\
	return (i);							\
}

EW_KERNELS(avx512, __attribute__((target("avx512f"))), __m512, 16,
    _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps, _mm512_mul_ps,
    _mm512_set1_ps, _mm512_setzero_ps)
EW_KERNELS(avx2, __attribute__((target("avx2"))), __m256, 8,
    _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps, _mm256_mul_ps,
    _mm256_set1_ps, _mm256_setzero_ps)

/* The widest of the kernels the CPU runs: 2 AVX-512, 1 AVX2, 0 none. */
static pthread_once_t	ew_once = PTHREAD_ONCE_INIT;
static int		ew_width;

static void
ew_probe(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		ew_width = 2;
	else if (__builtin_cpu_supports("avx2"))
		ew_width = 1;
}

static int
ew_level(void)
{
	(void)pthread_once(&ew_once, ew_probe);
	return (ew_width);
}

/* i = the kernel's share of the n elements, at the widest width. */
#define EW_RUN(i, name, ...) do {					\
	switch (ew_level()) {						\
	case 2: (i) = name##_avx512(__VA_ARGS__); break;		\
	case 1: (i) = name##_avx2(__VA_ARGS__); break;			\
	}								\
} while (0)
#else
#define EW_RUN(i, name, ...) do { } while (0)
#endif

int
linalg_solve_spd(int n, int nrhs, float *A, float *B)
{
	int	info = 0;

	if (n <= 0 || nrhs < 0)
		return (-1);
	if (nrhs == 0)
		return (0);
	sposv_("U", &n, &nrhs, A, &n, B, &n, &info);
	return (info == 0 ? 0 : -1);
}

int
linalg_solve(int n, int nrhs, float *A, float *B)
{
	int	info = 0, *piv, i, j;
	float	t;

	if (n <= 0 || nrhs < 0)
		return (-1);
	if (nrhs == 0)
		return (0);
	/* Row-major in, LAPACK's column-major: transpose A in place. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			t = A[(size_t)i * n + j];
			A[(size_t)i * n + j] = A[(size_t)j * n + i];
			A[(size_t)j * n + i] = t;
		}
	if ((piv = malloc((size_t)n * sizeof *piv)) == NULL)
		return (-1);
	sgesv_(&n, &nrhs, A, &n, piv, B, &n, &info);
	free(piv);
	return (info == 0 ? 0 : -1);
}

void
linalg_add(float *y, const float *x, size_t n)
{
	size_t	i = 0;

	EW_RUN(i, sum, y, y, x, n);	/* y = y + x: the sum's kernel */
	for (; i < n; i++)
		y[i] += x[i];
}

void
linalg_sum(float *y, const float *a, const float *b, size_t n)
{
	size_t	i = 0;

	EW_RUN(i, sum, y, a, b, n);
	for (; i < n; i++)
		y[i] = a[i] + b[i];
}

void
linalg_axpy(float *y, float a, const float *x, size_t n)
{
	size_t	i = 0;

	EW_RUN(i, axpy, y, a, x, n);
	for (; i < n; i++)
		y[i] += a * x[i];
}

void
linalg_axpy_take(float *y, float a, float *x, size_t n)
{
	size_t	i = 0;

	EW_RUN(i, axpy_take, y, a, x, n);
	for (; i < n; i++) {
		y[i] += a * x[i];
		x[i] = 0;
	}
}

void
linalg_axpby_take(float *y, float b, float a, float *x, size_t n)
{
	size_t	i = 0;

	EW_RUN(i, axpby_take, y, b, a, x, n);
	for (; i < n; i++) {
		y[i] = b * y[i] + a * x[i];
		x[i] = 0;
	}
}

void
linalg_scale(float *y, float a, size_t n)
{
	size_t	i = 0;

	EW_RUN(i, scale, y, a, n);
	for (; i < n; i++)
		y[i] *= a;
}

/* Fill each row of out with bias. */
void
linalg_set_rows(float *out, const float *bias, int M, int N)
{
	int	i;

	for (i = 0; i < M; i++)
		memcpy(out + (size_t)i * N, bias, (size_t)N * sizeof(float));
}
