#!/usr/bin/python3
"""bench_infer_peer.py: PyTorch inference timings for bench/compare.sh.

For one checkpoint directory and thread count, times with both peer variants
(idiomatic, tuned) the three things bench_infer times in C: encode batch 1,
argmax decode batch 1, and the argmax decode of a 33-point ladder (batch 33).
Each figure is the median over --runs (>= 20) timed calls after warm-up.
Prints one JSON object:

  {"threads": N, "runs": R, "torch": "1.13...", "shape": {...},
   "idiomatic": {"encode_b1_ms", "decode_b1_ms", "ladder33_ms", ...min},
   "tuned": {...}, "agree": true}

"agree" says whether both variants produced the same argmax tokens for the
benchmarked z and ladder: a peer that is fast but wrong must not count.

  bench_infer_peer.py DIR [--threads N] [--runs R]
"""

import argparse
import json
import os
import statistics
import sys
import time


def _timed(fn, runs, warm=3):
	for _ in range(warm):
		fn()
	ts = []
	for _ in range(runs):
		t0 = time.perf_counter()
		fn()
		ts.append((time.perf_counter() - t0) * 1e3)
	return statistics.median(ts), min(ts)


def main(argv):
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("dir", metavar="DIR")
	ap.add_argument("--threads", type=int, default=1)
	ap.add_argument("--runs", type=int, default=20)
	ap.add_argument("--ladder", type=int, default=33)
	a = ap.parse_args(argv)
	if a.runs < 1 or a.threads < 1 or a.ladder < 2:
		ap.error("--runs, --threads must be >= 1, --ladder >= 2")
	# Thread pools are sized when torch (and OpenBLAS under it) loads.
	for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
	    "MKL_NUM_THREADS"):
		os.environ[v] = str(a.threads)
	# libgomp threads spin after each parallel region and starve the
	# OpenBLAS pthreads under them: 2-thread training ran 3-10x slower
	# than with sleeping waiters on this 2-core machine.
	os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
	sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
	import numpy as np
	import torch
	import musicvae_torch as mt
	torch.set_num_threads(a.threads)

	try:
		spec = mt.load_spec(a.dir)
	except mt.CheckpointError as e:
		print(e, file=sys.stderr)
		return 1
	variants = {"idiomatic": mt.IdiomaticVAE(spec),
	    "tuned": mt.TunedVAE(spec)}
	rng = np.random.default_rng(3)
	toks = torch.from_numpy(mt.random_tokens(rng, 2, spec.T,
	    spec.D if spec.Din == spec.D else 512))
	res = {"threads": a.threads, "runs": a.runs, "torch": torch.__version__,
	    "shape": {"T": spec.T, "segments": spec.S, "enc_units": spec.N,
	    "z": spec.Z, "dec_units": spec.H, "classes": spec.D}}
	outs = {}
	with torch.inference_mode():
		# Latents from real encodings, the ladder between two of them
		# (lerp: the interpolation kind does not change the work).
		za = variants["tuned"].encode(toks)
		w = torch.linspace(0, 1, a.ladder).unsqueeze(1)
		ladder = (1 - w) * za[:1] + w * za[1:]
		t1 = toks[:1]
		z1 = za[:1].clone()
		for name, m in variants.items():
			r = {}
			for key, fn in (("encode_b1_ms", lambda: m.encode(t1)),
			    ("decode_b1_ms", lambda: m.decode(z1)),
			    ("ladder%d_ms" % a.ladder, lambda: m.decode(ladder))):
				med, lo = _timed(fn, a.runs)
				r[key] = round(med, 4)
				r[key.replace("_ms", "_min_ms")] = round(lo, 4)
			res[name] = r
			outs[name] = (m.decode(z1).clone(), m.decode(ladder).clone())
	res["agree"] = all(torch.equal(x, y) for x, y in
	    zip(outs["idiomatic"], outs["tuned"]))
	print(json.dumps(res))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
