/*
 * vae.h: MusicVAE inference.  Tokens and floats in, tokens and floats out.
 *
 * Tokens are per step and per output split, laid out (B, T, S) where S is
 * arch.n_splits:
 *   melody  class 0..89: 0 no event, 1 note off, 2..89 pitch 21..108
 *   drums   label 0..511: bit k set = drum class k hit at this step
 *   trio    (melody class, bass class, drums label) per step
 * The encoder input for a token step is built here (one-hot, or the 10-wide
 * drum roll with its "no hit" bit on the same step, as Python Magenta does).
 *
 * A struct vae is used by one thread at a time: its activation arena is
 * sized at first use for a batch size and reused without allocation; a
 * later call with a larger batch grows it once (never inside the step
 * loops), a smaller one reuses it.
 */
#ifndef LR_VAE_H
#define LR_VAE_H

#include "common.h"
#include "params.h"
#include "rng.h"

struct vae_arena;

struct vae {
	struct vae_params	 p;
	char			*config_json;	/* config.json text to write back */
	struct vae_arena	*arena;		/* activations, lazily sized */
};

enum vae_interp_kind {
	VAE_SLERP,	/* spherical (Magenta Python, default) */
	VAE_LERP,	/* linear (magenta.js) */
};

/* A model with zeroed weights for an architecture (trainer, tests). */
struct vae	*vae_new(const struct vae_arch *a, char **cause) LR_WUR;
void		 vae_free(struct vae *v);

/* config.json text that describes an architecture (magenta.js MusicVAESpec). */
char		*vae_config_json(const struct vae_arch *a);

/*
 * Encode B token sequences (B, T, S) into mu (B, Z) and, when sigma is not
 * NULL, sigma = softplus(dense) (B, Z).
 */
int	vae_encode(struct vae *v, const int *tokens, int B, float *mu,
	    float *sigma, char **cause) LR_WUR;

/*
 * Decode B latent vectors z (B, Z) into tokens (B, T, S).  temperature 0
 * means argmax (ties to the lowest index); otherwise softmax(logits/T)
 * sampled with rng (which may be NULL only for temperature 0).
 */
int	vae_decode(struct vae *v, const float *z, int B, float temperature,
	    struct rng *rng, int *tokens, char **cause) LR_WUR;
/*
 * The same with one generator per row (rngs: B of them): row b samples
 * from rngs[b] only, so it decodes as vae_decode(z_b, 1, rngs[b]) does,
 * whatever else is in the batch.
 */
int	vae_decode_rows(struct vae *v, const float *z, int B,
	    float temperature, struct rng *rngs, int *tokens, char **cause)
	    LR_WUR;

/* n points from a to b inclusive, each of Z floats, into out (n, Z). */
void	vae_interpolate(float *out, const float *a, const float *b, int Z,
	    int n, enum vae_interp_kind kind);

/* One point at position t in [0, 1]. */
void	vae_interp_point(float *out, const float *a, const float *b, int Z,
	    float t, enum vae_interp_kind kind);

/* z' = s*z + (1-s)*eps, eps ~ N(0, I) (magenta.js "similar"). */
void	vae_similar(float *out, const float *z, int Z, float s,
	    struct rng *rng);

/* Encoder input width for one step, and build it from tokens. */
void	vae_tokens_to_input(const struct vae_arch *a, const int *tokens,
	    int T, float *x);

/*
 * The rows of the encoder input one step's S tokens set to 1 (at most 10):
 * the encoder's input projection is a sum of these kernel rows.
 */
int	vae_input_rows(const struct vae_arch *a, const int *tok, int *rows);

/*
 * Whether encoder/sigma holds real weights (0 when the checkpoint had
 * none: sigma is then zero weights and meaningless).
 */
int	vae_has_sigma(const struct vae *v);

/*
 * Batch-1 decoding with fp16 copies of the weights (on = 1): they fit in
 * L2 where float32 does not, so a decode runs several times faster; logits
 * move by ~1e-3, which can flip a near-tie argmax.  Float32 with on = 0
 * (the default).  -1 if the CPU lacks AVX2/FMA/F16C.  Call again after
 * changing the weights.
 */
int	vae_set_half(struct vae *v, int on, char **cause) LR_WUR;

/*
 * Precision of encoding and decoding (issue J): LINALG_FP32 (the default,
 * magenta.js's numbers) or LINALG_BF16: weights rounded to bfloat16 once
 * here (batch-1 decoding streams a packed bf16 copy, half the bytes of
 * float32; batched products and encoding run oneDNN's bf16 products on a
 * bf16 copy), activations and accumulation in float32.  -1 with a cause
 * when this machine cannot (no AVX512-BF16, no oneDNN): the model then
 * stays float32.  Replaces vae_set_half's copy.  Call again after
 * changing the weights.
 */
int	vae_set_precision(struct vae *v, int prec, char **cause) LR_WUR;
int	vae_precision(const struct vae *v);

/*
 * Threads for encoding and batch-1 decoding (1, the default, or 2; the
 * CLI's model commands ask for 2 where the machine has two cores, the
 * instrument keeps 1 so its audio thread has a core).  With 2 the backward direction of
 * each encoder layer runs in a second thread beside the forward one, and
 * a batch-1 decode with 16-bit weights (vae_set_half, vae_set_precision)
 * splits each step's products by panels of columns with a second thread
 * that lives as long as the model (each core keeps its half of the
 * weights in its own cache).  Results are identical either way.
 * BLAS calls inside vae_encode and a batch-1 vae_decode always run
 * serially (linalg_serial_begin), so their results never depend on
 * linalg_set_threads; a batched decode uses the BLAS threads set (faster
 * for the slider's ladder), deterministic for a given count.
 */
void	vae_set_threads(struct vae *v, int n);
void	vae_set_has_sigma(struct vae *v, int on);

#endif
