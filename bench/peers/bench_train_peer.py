#!/usr/bin/python3
"""bench_train_peer.py: PyTorch training throughput for bench/compare.sh.

Trains the MusicVAE of spec B 2-4 the way a PyTorch user would (nn.LSTM over
whole sequences, teacher forcing, autograd, torch.optim.Adam, global-norm
clipping at 1.0) on random melody windows, and reports examples/s at the given
batch size for the mel_2bar and mel_16bar shapes (latentroll's shipped
shapes, spec A; --model DIR takes the shapes from a checkpoint instead).
Loss = summed cross-entropy + beta * max(KL - free_bits ln 2, 0), z = mu +
sigma eps.  Each figure is batch / median step time over --steps timed steps
after one warm-up step.  Prints one JSON object:

  {"threads": N, "torch": "...",
   "mel_2bar": {"ex_per_s", "step_ms", "gflops", "flop_per_ex", "shape",
                "batch"},
   "mel_16bar": {...}}

"gflops" counts the forward GEMM work of the model (one-hot inputs as dense
matrices, as nn.LSTM multiplies them) times 3 for forward plus backward.

  bench_train_peer.py [--threads N] [--batch B] [--batch16 B] [--steps S]
      [--arch mel_2bar,mel_16bar] [--model DIR]
  bench_train_peer.py --selftest
"""

import argparse
import json
import os
import statistics
import sys
import time


def flop_per_example(a):
	"""Forward GEMM flops of one example (2 per multiply-add)."""
	D, N, Z, H, T, S = a["D"], a["N"], a["Z"], a["H"], a["T"], a["S"]

	def stack(nin, steps):
		f = 0
		for h in H:
			f += steps * 2 * (nin + h) * 4 * h
			nin = h
		return f

	f = 2 * T * 2 * (D + N) * 4 * N			# encoder, both dirs
	if S:
		f += 2 * S * 2 * 3 * N * 4 * N		# bar-level encoder
	f += 2 * 2 * 2 * N * Z				# mu, sigma
	zd = Z
	if S:
		f += 2 * Z * 2 * sum(H) + stack(1, S)	# conductor
		zd = H[-1]
		f += S * 2 * zd * 2 * sum(H)		# core state per bar
	else:
		f += 2 * zd * 2 * sum(H)
	f += stack(D + zd, T) + T * 2 * H[-1] * D	# decoder, projection
	return f


def build(torch, nn, a):
	"""The training model for shape dict a (see musicvae_torch.ARCHS)."""
	D, N, Z, H, T, S = a["D"], a["N"], a["Z"], a["H"], a["T"], a["S"]
	if len(set(H)) != 1:
		raise ValueError("decoder layers of unequal width")
	L, Hd = len(H), H[0]
	F = torch.nn.functional

	class TrainVAE(nn.Module):
		def __init__(self):
			super().__init__()
			self.enc0 = nn.LSTM(D, N, batch_first=True,
			    bidirectional=True)
			if S:
				self.enc1 = nn.LSTM(2 * N, N, batch_first=True,
				    bidirectional=True)
				self.cond_init = nn.Linear(Z, 2 * L * Hd)
				self.cond = nn.LSTM(1, Hd, L, batch_first=True)
			self.mu = nn.Linear(2 * N, Z)
			self.sigma = nn.Linear(2 * N, Z)
			zd = Hd if S else Z
			self.init = nn.Linear(zd, 2 * L * Hd)
			self.dec = nn.LSTM(D + zd, Hd, L, batch_first=True)
			self.out = nn.Linear(Hd, D)

		@staticmethod
		def _state(init, z):
			# tanh(dense(z)) split [c0, h0, c1, h1, ...] -> (h, c),
			# each (L, B, H) as nn.LSTM wants.
			s = torch.tanh(init(z)).view(-1, L, 2, Hd)
			return (s[:, :, 1].transpose(0, 1).contiguous(),
			    s[:, :, 0].transpose(0, 1).contiguous())

		def forward(self, x, target, eps):
			B = x.shape[0]
			if S:
				_, (h, _) = self.enc0(x.reshape(B * S, T // S, D))
				e = torch.cat([h[0], h[1]], -1).view(B, S, 2 * N)
				_, (h, _) = self.enc1(e)
			else:
				_, (h, _) = self.enc0(x)
			e = torch.cat([h[0], h[1]], -1)
			mu = self.mu(e)
			sigma = F.softplus(self.sigma(e))
			z = mu + sigma * eps
			# Teacher forcing: the input at t is the target at t-1.
			y = F.pad(x[:, :-1], (0, 0, 1, 0))
			if S:
				c, _ = self.cond(z.new_zeros(B, S, 1),
				    self._state(self.cond_init, z))
				z = c.reshape(B * S, Hd)
				y = y.reshape(B * S, T // S, D)
			inp = torch.cat([y, z.unsqueeze(1).expand(-1, y.shape[1],
			    -1)], -1)
			o, _ = self.dec(inp, self._state(self.init, z))
			logits = self.out(o).reshape(-1, D)
			r = F.cross_entropy(logits, target.reshape(-1),
			    reduction="sum") / B
			kl = 0.5 * (mu * mu + sigma * sigma - 1 -
			    2 * torch.log(sigma)).sum(-1).mean()
			return r, kl

	return TrainVAE()


def bench(torch, nn, mt, a, batch, steps, seed, autocast=False):
	import numpy as np
	torch.manual_seed(seed)
	model = build(torch, nn, a)
	opt = torch.optim.Adam(model.parameters(), lr=1e-3)
	rng = np.random.default_rng(seed)
	beta, free_nats = 0.2, 0.0	# mel_2bar_small: max_beta, free_bits
	times = []
	for i in range(steps + 1):
		t0 = time.perf_counter()
		tok = torch.from_numpy(mt.random_tokens(rng, batch, a["T"],
		    a["D"]))
		x = torch.nn.functional.one_hot(tok, a["D"]).float()
		eps = torch.randn(batch, a["Z"])
		# --autocast: PyTorch's own mixed precision, bf16 matrix
		# products on the CPU, the peer of latentroll's bf16 path.
		with torch.autocast("cpu", dtype=torch.bfloat16,
		    enabled=autocast):
			r, kl = model(x, tok, eps)
		r, kl = r.float(), kl.float()
		loss = r + beta * torch.clamp(kl - free_nats, min=0)
		opt.zero_grad(set_to_none=True)
		loss.backward()
		torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
		opt.step()
		if i > 0:		# step 0 warms allocators and Adam state
			times.append(time.perf_counter() - t0)
	step = statistics.median(times)
	f = flop_per_example(a)
	return {"ex_per_s": round(batch / step, 3),
	    "step_ms": round(step * 1e3, 2), "gflops": round(3 * f * batch /
	    step / 1e9, 3), "flop_per_ex": 3 * f, "loss": round(float(loss), 3),
	    "shape": a}


def selftest(torch, nn, mt):
	"""The peer must really learn: a tiny model of each kind overfits one
	fixed batch (loss falls below a quarter of its start).  Returns the
	number of failures, printing one line per model."""
	import numpy as np
	fails = 0
	for S in (0, 4):
		a = dict(D=12, N=16, Z=8, H=[16, 16], T=16, S=S)
		torch.manual_seed(0)
		model = build(torch, nn, a)
		opt = torch.optim.Adam(model.parameters(), lr=1e-2)
		tok = torch.from_numpy(mt.random_tokens(np.random.default_rng(0),
		    4, a["T"], a["D"]))
		x = torch.nn.functional.one_hot(tok, a["D"]).float()
		losses = []
		for _ in range(300):
			r, kl = model(x, tok, torch.zeros(4, a["Z"]))
			opt.zero_grad(set_to_none=True)
			(r + 0.01 * kl).backward()
			torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
			opt.step()
			losses.append(float(r))
		ok = losses[-1] < losses[0] / 4
		fails += not ok
		print("%s: %s train peer overfits one batch: loss %.2f -> %.2f" %
		    ("ok" if ok else "FAIL", "hierarchical" if S else "flat",
		    losses[0], losses[-1]))
	return fails


def main(argv):
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--threads", type=int, default=1)
	ap.add_argument("--batch", type=int, default=64,
	    help="mel_2bar's batch (the flat shape's)")
	ap.add_argument("--batch16", type=int, default=32,
	    help="mel_16bar's batch (the hierarchical shape's; issue J's 32)")
	ap.add_argument("--steps", type=int, default=3)
	ap.add_argument("--arch", default="mel_2bar,mel_16bar")
	ap.add_argument("--model", metavar="DIR", action="append", default=[],
	    help="take one shape from this checkpoint (repeatable)")
	ap.add_argument("--seed", type=int, default=1)
	ap.add_argument("--selftest", action="store_true")
	ap.add_argument("--autocast", action="store_true",
	    help="torch.autocast('cpu', dtype=torch.bfloat16) around forward")
	a = ap.parse_args(argv)
	if a.threads < 1 or a.batch < 1 or a.batch16 < 1 or a.steps < 1:
		ap.error("--threads, --batch, --batch16, --steps must be >= 1")
	for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
	    "MKL_NUM_THREADS"):
		os.environ[v] = str(a.threads)
	# libgomp threads spin after each parallel region and starve the
	# OpenBLAS pthreads under them: 2-thread training ran 3-10x slower
	# than with sleeping waiters on this 2-core machine.
	os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
	sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
	import torch
	import torch.nn as nn
	import musicvae_torch as mt
	torch.set_num_threads(a.threads)
	if a.selftest:
		return 1 if selftest(torch, nn, mt) else 0

	shapes = {}
	for d in a.model:
		try:
			s = mt.load_spec(d)
		except mt.CheckpointError as e:
			print(e, file=sys.stderr)
			return 1
		name = "mel_16bar" if s.S else "mel_2bar"
		shapes[name] = dict(D=s.D, N=s.N, Z=s.Z, H=s.H, T=s.T, S=s.S)
	for name in a.arch.split(","):
		if name not in mt.ARCHS:
			ap.error("unknown arch %s" % name)
		shapes.setdefault(name, mt.ARCHS[name])
	res = {"threads": a.threads, "steps": a.steps,
	    "torch": torch.__version__, "autocast": a.autocast}
	for name, shape in shapes.items():
		b = a.batch16 if shape["S"] else a.batch
		res[name] = bench(torch, nn, mt, shape, b, a.steps, a.seed,
		    a.autocast)
		res[name]["batch"] = b
	print(json.dumps(res))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
