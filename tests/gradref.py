#!/usr/bin/python3
"""gradref.py: one training step of the C trainer against PyTorch autograd.

Reads what tests/gradref_dump wrote into DIR (the weights, tokens, the noise
eps the C forward drew, its loss terms, mu and its gradient of every tensor)
and recomputes the training loss of spec B 4 by a literal PyTorch
transcription of the model, flat (mel_2bar) or hierarchical (mel_16bar),
with every checkpoint tensor a leaf that requires grad, so autograd's
gradients come out in the checkpoint's own names and layouts.  Then:

  loss, r_loss, kl,  relative error <= LOSS_RTOL (kl_loss's against the KL)
  kl_loss
  mu                 norm-wise relative error <= LOSS_RTOL (the encoder's
                     output: a forward that differs shows here first)
  every tensor       ||g_c - g_ref|| / ||g_ref|| <= GRAD_RTOL, and every
                     entry whose reference gradient is exactly zero (rows
                     of tokens the batch never feeds, the conductor's zero
                     input row) exactly zero in C too

One line per check, then exactly one line "N passed, N failed"; exit 1 when
something failed.

The semantics are those of model/train.c, which follows spec B 2-4 (the
spec's Part A wins where they differ; here they do not):

  LSTM      TF LSTMBlockCell: g = [x, h] W + b, W (in+H, 4H), gates i, j,
            f, o; c' = sig(i) tanh(j) + c sig(f + 1.0) (forget bias added
            at run time, never stored), h' = tanh(c') sig(o).
  encoder   bidirectional, zero initial states; layer l > 0 (flat) reads
            [h_fw, h_bw] of the layer below per step; output = [final
            h_fw, final h_bw] (bw final = after consuming step 0).
            Hierarchical: level 0 over each bar (16 steps) of each
            sequence, level 1 over the 16 bar outputs.
  latent    mu = dense(e), sigma = softplus(dense(e)), z = mu + sigma eps
            with the C side's eps; KL = sum over z of 0.5 (mu^2 + sigma^2
            - 1 - 2 ln sigma).
  conductor (hierarchical) states tanh(dense(z)) split [c0, h0, c1, h1],
            input a zero scalar each of its 16 steps; its top h is bar k's
            context.
  decoder   per bar (the whole sequence when flat): states tanh(dense(ctx))
            split [c0, h0, c1, h1]; step t's input [one-hot(token t-1),
            ctx], zeros at t = 0; the shift is global, so a bar's first
            input is the previous bar's last token (spec B 3.3); logits =
            dense(top h).
  loss      r_loss = cross-entropy summed over steps, mean over the batch;
            loss = r_loss + beta mean_b max(KL_b - free_bits ln 2, 0).

The reference runs in float64 from the float32 weights, so its own rounding
(about 1e-16) is nothing next to the C side's float32 rounding, which is
what the errors measure.

  gradref.py DIR [--float32]   (--float32: the reference in float32, to
                                see float32's own noise against C's)
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

FORGET_BIAS = 1.0

# The loss terms: the C side sums the cross-entropies in double, so only
# the float32 forward's rounding shows: measured 4e-11 .. 2e-9 (random
# weights), 7e-8 (the shipped models); mu 3e-7 .. 5e-7.  A wrong forward
# is off by far more: a bar's first input fed zeros instead of the last
# token moves the loss by 3e-4, the backward direction's "final" state
# taken at the last step instead of the first moves r_loss by 5e-5.
LOSS_RTOL = 1e-5

# Each gradient is float32 products through up to 256 recurrent steps
# (GEMMs over up to T*B = 512 rows), each rounding at about 6e-8.
# Measured, norm-wise: at most 5.7e-7 here (random weights, seeds 1-4,
# both models) and 2.0e-6 on the shipped trained models (gradref_dump
# share/models/mel_2bar), where PyTorch's own float32 run (--float32
# against float64) is off by as much, 1.7e-6: float32 noise, not a
# mistake.  1e-5 sits 5x above the worst of that noise (about 18x above
# this test's), against 1e-4 usual for float32 checks, because a real
# mistake can be small in norm: 1% on the forget-gate columns of one
# decoder kernel moves that tensor by only 5e-4 .. 9e-4, which 1e-4
# would catch by a factor of 5 and 1e-5 by 50; getting a gate order, the
# state split, the forget bias or a bar boundary wrong moves whole
# groups of tensors by 1e-3 .. 2.
GRAD_RTOL = 1e-5


class DumpError(Exception):
	pass


def read_dump(d):
	"""meta dict, tensor table [(name, shape, off)], params, grad, tokens
	(B, T), eps and mu (B, Z) from a gradref_dump directory."""
	def path(n):
		return os.path.join(d, n)
	meta = {}
	with open(path("meta.txt")) as f:
		for line in f:
			k, v = line.split(None, 1)
			meta[k] = v.strip()
	table = []
	with open(path("tensors.tsv")) as f:
		for line in f:
			name, nd, r, c, off = line.rstrip("\n").split("\t")
			shape = (int(r),) if nd == "1" else (int(r), int(c))
			table.append((name, shape, int(off)))
	n = int(meta["n_params"])
	params = np.fromfile(path("params.f32"), np.float32)
	grad = np.fromfile(path("grad.f32"), np.float32)
	if params.size != n or grad.size != n:
		raise DumpError("%s: params.f32/grad.f32 hold %d/%d floats, "
		    "meta.txt says %d" % (d, params.size, grad.size, n))
	B, T, Z = int(meta["B"]), int(meta["T"]), int(meta["z"])
	tokens = np.loadtxt(path("tokens.txt"), np.int64, ndmin=2)
	if tokens.shape != (B, T):
		raise DumpError("%s: tokens.txt is %s, not (%d, %d)" % (d,
		    tokens.shape, B, T))
	eps = np.fromfile(path("eps.f32"), np.float32).reshape(B, Z)
	mu = np.fromfile(path("mu.f32"), np.float32).reshape(B, Z)
	return meta, table, params, grad, tokens, eps, mu


class Weights:
	"""The checkpoint's tensors as leaves, looked up by name; remembers
	which were used, so no tensor of the table goes unchecked."""

	def __init__(self, table, params, dtype):
		self.leaf = {}
		for name, shape, off in table:
			n = int(np.prod(shape))
			a = params[off:off + n].reshape(shape)
			self.leaf[name] = torch.tensor(a, dtype=dtype,
			    requires_grad=True)
		self.used = set()

	def has(self, name):
		return name + "/kernel" in self.leaf

	def pair(self, name):
		"""(kernel, bias) of a dense layer or an LSTM cell."""
		k, b = name + "/kernel", name + "/bias"
		if k not in self.leaf or b not in self.leaf:
			raise DumpError("no tensor %s/{kernel,bias}" % name)
		self.used.update((k, b))
		return self.leaf[k], self.leaf[b]

	def stack(self, fmt):
		"""Cells fmt % 0, fmt % 1, ... while they exist."""
		cells = []
		while self.has(fmt % len(cells)):
			cells.append(self.pair(fmt % len(cells)))
		if not cells:
			raise DumpError("no tensor %s/kernel" % (fmt % 0))
		return cells


# ---------------------------------------------------------------- the model


def lstm_step(cell, x, c, h):
	"""One TF LSTMBlockCell step: W (in+H, 4H), gates i, j, f, o."""
	k, b = cell
	H = c.shape[-1]
	g = torch.cat([x, h], -1) @ k + b
	i, j, f, o = torch.split(g, H, -1)
	c = torch.sigmoid(i) * torch.tanh(j) + c * torch.sigmoid(f +
	    FORGET_BIAS)
	return c, torch.tanh(c) * torch.sigmoid(o)


def bidi(cells, X):
	"""Per-step [h_fw, h_bw] (N, T, 2H) of one bidirectional layer over X
	(N, T, in), both directions from zero states."""
	N, T = X.shape[:2]
	out = []
	for cell, order in zip(cells, (range(T), range(T - 1, -1, -1))):
		H = cell[1].shape[0] // 4
		c = h = X.new_zeros(N, H)
		hs = [None] * T
		for t in order:
			c, h = lstm_step(cell, X[:, t], c, h)
			hs[t] = h
		out.append(torch.stack(hs, 1))
	return torch.cat(out, -1)


def final(Y):
	"""[final h_fw, final h_bw]: fw after the last step, bw after the
	first."""
	H = Y.shape[-1] // 2
	return torch.cat([Y[:, -1, :H], Y[:, 0, H:]], -1)


def init_states(dense, x, Hs):
	"""tanh(dense(x)) split [c0, h0, c1, h1, ...] into [[c, h], ...] for
	layers of widths Hs."""
	k, b = dense
	s = torch.tanh(x @ k + b)
	st, o = [], 0
	for H in Hs:
		st.append([s[:, o:o + H], s[:, o + H:o + 2 * H]])
		o += 2 * H
	return st


def run_stack(cells, st, x):
	"""One step of stacked cells from states st (updated); top h."""
	for l, cell in enumerate(cells):
		st[l][0], st[l][1] = lstm_step(cell, x, st[l][0], st[l][1])
		x = st[l][1]
	return x


def cell_width(cell):
	return cell[1].shape[0] // 4


def loss_terms(w, S, tokens, eps, beta, free_bits):
	"""(loss, r_loss, kl mean, kl_loss, mu) of spec B 4 for tokens (B, T)
	with noise eps (B, Z)."""
	B, T = tokens.shape
	dt = eps.dtype
	hier = S > 0
	cell = "/bidirectional_rnn/%s/multi_rnn_cell/cell_0/lstm_cell"

	# Encoder.
	if hier:
		lv = [[w.pair("encoder/hierarchical_level_%d/cell_0" % l +
		    cell % d) for d in ("fw", "bw")] for l in (0, 1)]
		D = lv[0][0][0].shape[0] - cell_width(lv[0][0])
		X = F.one_hot(tokens, D).to(dt)
		L = T // S
		# Level 0: every bar of every sequence, rows b*S + k.
		E = final(bidi(lv[0], X.reshape(B * S, L, D))).reshape(B, S, -1)
		e = final(bidi(lv[1], E))
	else:
		layers = []
		while w.has("encoder/cell_%d" % len(layers) + cell % "fw"):
			layers.append([w.pair("encoder/cell_%d" % len(layers) +
			    cell % d) for d in ("fw", "bw")])
		if not layers:
			raise DumpError("no encoder tensors")
		D = layers[0][0][0].shape[0] - cell_width(layers[0][0])
		Y = F.one_hot(tokens, D).to(dt)
		for cells in layers:
			Y = bidi(cells, Y)
		e = final(Y)

	# Latent.
	mk, mb = w.pair("encoder/mu")
	sk, sb = w.pair("encoder/sigma")
	mu = e @ mk + mb
	sigma = F.softplus(e @ sk + sb)
	z = mu + sigma * eps
	kl = 0.5 * (mu * mu + sigma * sigma - 1 - 2 * torch.log(sigma)).sum(-1)

	# Contexts: z itself, or the conductor's top h per bar.
	if hier:
		cond = "decoder/hierarchical_level_0/"
		cells = w.stack(cond + "cell_%d/lstm_cell")
		st = init_states(w.pair(cond + "initial_state"), z,
		    [cell_width(c) for c in cells])
		ctxs = [run_stack(cells, st, z.new_zeros(B, 1)) for _ in
		    range(S)]
		core = "core_decoder/decoder"
	else:
		ctxs = [z]
		core = "decoder"

	# Core decoder, teacher forced: input t is token t-1 (zeros at 0),
	# across bar boundaries too; states re-initialised every bar.
	cells = w.stack(core + "/multi_rnn_cell/cell_%d/lstm_cell")
	dense_init = w.pair(core + "/z_to_initial_state")
	ok, ob = w.pair(core + "/output_projection")
	Dout = ob.shape[0]
	Y = F.one_hot(tokens, Dout).to(dt)
	prev = torch.cat([Y.new_zeros(B, 1, Dout), Y[:, :-1]], 1)
	L = T // len(ctxs)
	ce = eps.new_zeros(B)
	for k, ctx in enumerate(ctxs):
		st = init_states(dense_init, ctx, [cell_width(c) for c in
		    cells])
		for t in range(k * L, (k + 1) * L):
			x = torch.cat([prev[:, t], ctx], -1)
			h = run_stack(cells, st, x)
			ce = ce + F.cross_entropy(h @ ok + ob, tokens[:, t],
			    reduction="none")
	r_loss = ce.mean()
	# free_bits ln 2 as the C side rounds it (a float product).
	free_nats = float(np.float32(free_bits) * np.float32(math.log(2)))
	kl_loss = torch.clamp(kl - free_nats, min=0).mean()
	return r_loss + beta * kl_loss, r_loss, kl.mean(), kl_loss, mu


# ---------------------------------------------------------------- compare


def rel(a, b):
	"""Norm-wise relative error of a against reference b (float64)."""
	a = np.asarray(a, np.float64)
	b = np.asarray(b, np.float64)
	nb = np.linalg.norm(b)
	d = np.linalg.norm(a - b)
	return d / nb if nb > 0 else (0.0 if d == 0 else math.inf)


def main(argv):
	args = [a for a in argv if not a.startswith("--")]
	opts = [a for a in argv if a.startswith("--")]
	if len(args) != 1 or any(o != "--float32" for o in opts):
		print("usage: gradref.py DIR [--float32]", file=sys.stderr)
		return 2
	d = args[0]
	dt = torch.float32 if opts else torch.float64
	torch.set_num_threads(1)
	try:
		meta, table, params, gc, tokens, eps, mu_c = read_dump(d)
	except (OSError, ValueError, KeyError, DumpError) as e:
		print("gradref.py: %s: %s" % (d, e), file=sys.stderr)
		return 2
	w = Weights(table, params, dt)
	S = int(meta["segments"])
	try:
		loss, r_loss, kl, kl_loss, mu = loss_terms(w, S,
		    torch.from_numpy(tokens), torch.tensor(eps, dtype=dt),
		    float(meta["beta"]), float(meta["free_bits"]))
	except DumpError as e:
		print("gradref.py: %s: %s" % (d, e), file=sys.stderr)
		return 2
	loss.backward()

	passed = failed = 0

	def check(ok, line):
		nonlocal passed, failed
		if ok:
			passed += 1
		else:
			failed += 1
		print("%s %s" % ("ok  " if ok else "FAIL", line))

	print("%s: B %s, T %s, %s, free bits %s, reference in %s" %
	    (meta["model"], meta["B"], meta["T"], "%d bars" % S if S else
	    "flat", meta["free_bits"], "float32" if opts else "float64"))
	# kl_loss is the KLs less the budget: with a budget between them
	# ("split") a small difference of large numbers whose rounding is
	# the KLs', so its error is measured against the KL.
	for name, ref, scale in (("loss", loss, loss), ("r_loss", r_loss,
	    r_loss), ("kl", kl, kl), ("kl_loss", kl_loss, kl)):
		c, r = float(meta[name]), float(ref)
		e = abs(c - r) / abs(float(scale))
		check(e <= LOSS_RTOL, "%-8s C %.9g ref %.9g rel %.2e" %
		    (name, c, r, e))
	e = rel(mu_c, mu.detach().numpy())
	check(e <= LOSS_RTOL, "%-8s (%d, %d) rel %.2e" % ("mu", mu.shape[0],
	    mu.shape[1], e))

	unused = [n for n, _, _ in table if n not in w.used]
	check(not unused, "every tensor in the loss (%d)%s" % (len(table),
	    "; unused: " + ", ".join(unused) if unused else ""))

	worst, worst_name = 0.0, ""
	for name, shape, off in table:
		g = w.leaf[name].grad
		gr = np.zeros(shape) if g is None else \
		    g.detach().to(torch.float64).numpy()
		c = gc[off:off + gr.size].reshape(shape)
		e = rel(c, gr)
		# Exact zeros are structural (rows of tokens the batch never
		# feeds, forget-gate columns of a token seen only at a
		# direction's first step, where c = 0, the conductor's zero
		# input row): both sides add exact zeros there.
		zr = gr == 0
		nz = int(np.count_nonzero(c[zr]))
		if e > worst:
			worst, worst_name = e, name
		note = ""
		if zr.any():
			note = "  zeros %d" % int(zr.sum())
		if nz:
			note += ", %d of them non-zero in C" % nz
		check(e <= GRAD_RTOL and nz == 0, "%-78s %-12s rel %.2e%s" %
		    (name, "x".join(str(x) for x in shape), e, note))
	print("%s: loss rel %.2e, worst tensor rel %.2e (%s)" % (meta["model"],
	    abs(float(meta["loss"]) - float(loss)) / abs(float(loss)), worst,
	    worst_name))
	print("%d passed, %d failed" % (passed, failed))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
