/*
 * fuzz_trainstate.c: the training-state file (trainstate_load).  Each
 * input is tried as it stands (its CRCs almost never match: the refusal
 * path) and, when it has a whole header, with both CRCs made right, so
 * the fuzzer reaches what lies behind them.  The run expects the n_params
 * the header names when that is small (else 16).
 */
#include "fuzz.h"

#include "trainstate.h"

static void
try_load(const char *path, size_t n_params)
{
	struct trainstate	 ts;
	char			*cause = NULL;

	memset(&ts, 0, sizeof ts);
	ts.n_params = n_params;
	ts.params = calloc(n_params + 1, sizeof(float));
	ts.m = calloc(n_params + 1, sizeof(float));
	ts.v = calloc(n_params + 1, sizeof(float));
	FUZZ_ASSERT(ts.params != NULL && ts.m != NULL && ts.v != NULL);
	if (trainstate_load(path, &ts, &cause) != 0) {
		fuzz_check_cause(path, cause);
		free(cause);
	} else {
		FUZZ_ASSERT(ts.n_params == n_params);
		FUZZ_ASSERT(ts.step >= 0 && ts.epoch >= 0 && ts.cursor >= 0);
		FUZZ_ASSERT(ts.batch > 0);
	}
	free(ts.params);
	free(ts.m);
	free(ts.v);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*path = fuzz_path("trainstate.bin");
	uint8_t		*b;
	uint64_t	 np = 0;
	uint32_t	 crc;
	int		 i;

	if (size >= 24)
		for (i = 0; i < 8; i++)
			np |= (uint64_t)data[16 + i] << (8 * i);
	if (np == 0 || np > 4096)
		np = 16;
	fuzz_write(path, data, size);
	try_load(path, (size_t)np);
	if (size < 96)
		return (0);
	b = malloc(size);
	FUZZ_ASSERT(b != NULL);
	memcpy(b, data, size);
	put32(b + 80, trainstate_crc32(0, b + 96, size - 96));
	crc = trainstate_crc32(0, b, 84);
	crc = trainstate_crc32(crc, b + 88, 8);
	put32(b + 84, crc);
	fuzz_write(path, b, size);
	free(b);
	try_load(path, (size_t)np);
	return (0);
}
