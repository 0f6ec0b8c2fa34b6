/*
 * trainstate.c: the training-state file (layout in trainstate.h).
 */
#include "trainstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"

#define TS_MAGIC	"LRTRAIN1"
#define TS_VERSION	2	/* written; 1 (no header CRC) is still read */
#define TS_HEADER	96
#define TS_HCRC		84	/* version 2: CRC-32 of the rest of the header */

uint32_t
trainstate_crc32(uint32_t crc, const void *p, size_t n)
{
	static uint32_t		 table[256];
	static int		 ready;
	const unsigned char	*c = p;
	uint32_t		 x;
	int			 i, k;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			x = i;
			for (k = 0; k < 8; k++)
				x = x & 1 ? 0xedb88320u ^ (x >> 1) : x >> 1;
			table[i] = x;
		}
		ready = 1;
	}
	crc = ~crc;
	while (n-- > 0)
		crc = table[(crc ^ *c++) & 0xff] ^ (crc >> 8);
	return (~crc);
}

static void
put(unsigned char *b, uint64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get(const unsigned char *b, int n)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return (v);
}

/* Floats in little-endian order (the host is little-endian here; a
   big-endian host would swap). */
static const float *
payload(const struct trainstate *ts, int k)
{
	return (k == 0 ? ts->params : k == 1 ? ts->m : ts->v);
}

/* Version 2's header CRC: bytes 0..83 and 88..95, all but itself. */
static uint32_t
header_crc(const unsigned char *h)
{
	uint32_t	crc;

	crc = trainstate_crc32(0, h, TS_HCRC);
	return (trainstate_crc32(crc, h + TS_HCRC + 4, TS_HEADER - TS_HCRC -
	    4));
}

/*
 * Check the header of either version before any of its fields is believed.
 * Version 1 had no header CRC and wrote zeros in 84..95: a version-2 file
 * whose version field was damaged into 1 still has its header CRC there,
 * so non-zero bytes are refused instead of read as an unprotected header.
 */
static int
header_check(const char *path, const unsigned char *h, char **cause)
{
	uint32_t	version = (uint32_t)get(h + 8, 4);
	int		i;

	if (memcmp(h, TS_MAGIC, 8) != 0)
		return (lr_fail(cause, "%s: not a latentroll training state "
		    "(bad magic)", path));
	if (version == 0 || version > TS_VERSION)
		return (lr_fail(cause, "%s: training-state format version %u "
		    "is not one this latentroll reads (1 to %u): written by a "
		    "newer latentroll, or the file is corrupted", path,
		    (unsigned)version, TS_VERSION));
	if (version == 1) {
		for (i = TS_HCRC; i < TS_HEADER; i++)
			if (h[i] != 0)
				return (lr_fail(cause, "%s: version-1 header "
				    "with non-zero reserved byte %d (file "
				    "corrupted)", path, i));
	} else if (get(h + TS_HCRC, 4) != header_crc(h))
		return (lr_fail(cause, "%s: header CRC mismatch (file "
		    "corrupted)", path));
	if (get(h + 12, 4) != TS_HEADER)
		return (lr_fail(cause, "%s: header size %u, expected %u (file "
		    "corrupted)", path, (unsigned)get(h + 12, 4), TS_HEADER));
	return (0);
}

/* The header and the three payloads, for atomic_write. */
struct ts_out {
	const struct trainstate	*ts;
	const unsigned char	*h;
	size_t			 bytes;
};

static int
fill_state(FILE *f, void *arg, char **cause)
{
	const struct ts_out	*o = arg;
	int			 k;

	(void)cause;
	if (fwrite(o->h, 1, TS_HEADER, f) != TS_HEADER)
		return (-1);
	for (k = 0; k < 3; k++)
		if (fwrite(payload(o->ts, k), 1, o->bytes, f) != o->bytes)
			return (-1);
	return (0);
}

int
trainstate_save(const char *path, const struct trainstate *ts, char **cause)
{
	unsigned char	 h[TS_HEADER];
	size_t		 bytes = ts->n_params * sizeof(float);
	uint32_t	 crc = 0;
	struct ts_out	 o;
	int		 k;

	for (k = 0; k < 3; k++)
		crc = trainstate_crc32(crc, payload(ts, k), bytes);
	memset(h, 0, sizeof h);
	memcpy(h, TS_MAGIC, 8);
	put(h + 8, TS_VERSION, 4);
	put(h + 12, TS_HEADER, 4);
	put(h + 16, ts->n_params, 8);
	put(h + 24, (uint64_t)ts->step, 8);
	put(h + 32, ts->rng, 8);
	put(h + 40, ts->seed, 8);
	put(h + 48, (uint64_t)ts->epoch, 8);
	put(h + 56, (uint64_t)ts->cursor, 8);
	put(h + 64, (uint32_t)ts->batch, 4);
	put(h + 68, (uint32_t)ts->threads, 4);
	put(h + 72, ts->fingerprint, 8);
	put(h + 80, crc, 4);
	put(h + 88, (uint64_t)ts->adam_step0, 8);
	put(h + TS_HCRC, header_crc(h), 4);
	o.ts = ts;
	o.h = h;
	o.bytes = bytes;
	return (atomic_write(path, fill_state, &o, cause));
}

int
trainstate_load(const char *path, struct trainstate *ts, char **cause)
{
	unsigned char	 h[TS_HEADER];
	size_t		 bytes = ts->n_params * sizeof(float);
	uint32_t	 crc = 0;
	FILE		*f;
	int		 k;

	if ((f = fopen(path, "rb")) == NULL)
		return (lr_fail(cause, "%s: %s", path, strerror(errno)));
	if (fread(h, 1, sizeof h, f) != sizeof h) {
		fclose(f);
		return (lr_fail(cause, "%s: truncated header", path));
	}
	if (header_check(path, h, cause) != 0) {
		fclose(f);
		return (-1);
	}
	if (get(h + 16, 8) != ts->n_params) {
		fclose(f);
		return (lr_fail(cause, "%s: the run has %llu parameters, this "
		    "--arch %zu (resume with the run's own --arch)", path,
		    (unsigned long long)get(h + 16, 8), ts->n_params));
	}
	for (k = 0; k < 3; k++)
		if (fread((float *)payload(ts, k), 1, bytes, f) != bytes) {
			fclose(f);
			return (lr_fail(cause, "%s: truncated payload", path));
		}
	fclose(f);
	for (k = 0; k < 3; k++)
		crc = trainstate_crc32(crc, payload(ts, k), bytes);
	if (crc != get(h + 80, 4))
		return (lr_fail(cause, "%s: CRC mismatch (file corrupted)",
		    path));
	ts->step = (long)get(h + 24, 8);
	ts->rng = get(h + 32, 8);
	ts->seed = get(h + 40, 8);
	ts->epoch = (long)get(h + 48, 8);
	ts->cursor = (long)get(h + 56, 8);
	ts->batch = (int)get(h + 64, 4);
	ts->threads = (int)get(h + 68, 4);
	ts->fingerprint = get(h + 72, 8);
	ts->adam_step0 = (long)get(h + 88, 8);	/* zero in version 1 */
	/* A version-1 header has no CRC: a negative cursor indexed the
	   epoch's permutation before its start. */
	if (ts->step < 0 || ts->epoch < 0 || ts->cursor < 0 ||
	    ts->batch < 1 || ts->threads < 0)
		return (lr_fail(cause, "%s: step %ld, epoch %ld, cursor %ld, "
		    "batch %d, threads %d: out of range (file corrupted)",
		    path, ts->step, ts->epoch, ts->cursor, ts->batch,
		    ts->threads));
	if (ts->adam_step0 < 0 || ts->adam_step0 > ts->step)
		return (lr_fail(cause, "%s: Adam's first step %ld is not in "
		    "0..%ld, the run's steps (file corrupted)", path,
		    ts->adam_step0, ts->step));
	return (0);
}
