#!/usr/bin/python3
"""musicvae_torch.py: the PyTorch peer of latentroll's MusicVAE, for `make bench`.

Loads a magenta.js checkpoint directory (config.json, weights_manifest.json,
shards; float32 or uint8/uint16 quantized, spec B 6) with numpy and builds the
same model (spec B 2-3) twice from the same weights:

  IdiomaticVAE  what a PyTorch user would write: nn.LSTM encoder, nn.LSTMCell
                decoder loop, nn.Linear, torch.inference_mode.
  TunedVAE      what a careful one would: input projections precomputed (z part
                once per sequence, one-hot part as a row gather), both encoder
                directions in one bmm, gate columns reordered so one sigmoid and
                one tanh cover them, every buffer preallocated.

Both follow TF BasicLSTMCell semantics as magenta.js does: kernel (in+H, 4H),
gates i, j, f, o, forget bias +1 added at run time, decoder state
tanh(dense(z)) split [c0, h0, c1, h1, ...].  A third, plain numpy path
(reference_*) transcribes spec B 8 literally and is used only by --selftest.

Only melody and drum models (flat or 16-bar hierarchical) are supported; the
benchmarks need no more.  Legend: B batch, T steps, D token classes (decoder
output), Din encoder input width, N encoder units, H decoder units, Z latent.

  musicvae_torch.py --selftest DIR
  musicvae_torch.py --parity DIR [--latentroll PATH]  (exit 1: tokens differ)
  musicvae_torch.py --write-random DIR --arch mel_2bar|mel_16bar
      [--quantize uint8|uint16] [--seed S]
"""

import json
import os
import sys

import numpy as np

FORGET_BIAS = 1.0		# TF LSTMBlockCell / tfjs: added to f, never stored
SHARD_BYTES = 4 * 1024 * 1024	# tfjs converter shard size

# The shipped shapes (spec A): mel_2bar is mel_2bar_small, mel_16bar the
# mel_16bar_small_q2 recipe.  Used by the random writer and the train peer.
ARCHS = {
	"mel_2bar": dict(D=90, N=512, Z=256, H=[256, 256], T=32, S=0),
	"mel_16bar": dict(D=90, N=512, Z=256, H=[256, 256], T=256, S=16),
}


class CheckpointError(Exception):
	"""A bad checkpoint; str() is the one-line "FILE: what is wrong"."""


# ---------------------------------------------------------------- loading


def _read_json(path):
	try:
		with open(path, "rb") as f:
			return json.loads(f.read().decode("utf-8"))
	except OSError as e:
		raise CheckpointError("%s: %s" % (path, e.strerror)) from None
	except ValueError as e:
		raise CheckpointError("%s: bad JSON: %s" % (path, e)) from None


def load_checkpoint(d):
	"""Return (config dict, {name: float32 ndarray}) for checkpoint dir d."""
	config = _read_json(os.path.join(d, "config.json"))
	mpath = os.path.join(d, "weights_manifest.json")
	manifest = _read_json(mpath)
	if not isinstance(manifest, list):
		raise CheckpointError("%s: not a list of weight groups" % mpath)
	weights = {}
	for group in manifest:
		if not isinstance(group, dict) or \
		    not isinstance(group.get("paths"), list) or \
		    not isinstance(group.get("weights"), list):
			raise CheckpointError("%s: group without paths or "
			    "weights" % mpath)
		# Weights may straddle shards: the group is one byte string.
		parts = []
		for p in group["paths"]:
			try:
				with open(os.path.join(d, str(p)), "rb") as f:
					parts.append(f.read())
			except OSError as e:
				raise CheckpointError("%s: %s" % (os.path.join(d,
				    str(p)), e.strerror)) from None
		data = b"".join(parts)
		off = 0
		for w in group["weights"]:
			name, arr, off = _decode_weight(mpath, data, off, w)
			weights[name] = arr
	return config, weights


def _decode_weight(mpath, data, off, w):
	try:
		name = str(w["name"])
		shape = [int(x) for x in w["shape"]]
		dtype = w.get("dtype", "float32")
	except (KeyError, TypeError, ValueError):
		raise CheckpointError("%s: weight entry without name or "
		    "shape" % mpath) from None
	if any(x < 0 for x in shape):
		raise CheckpointError("%s: %s: negative dimension" %
		    (mpath, name))
	n = int(np.prod(shape, dtype=np.int64))
	q = w.get("quantization")
	if q is not None:
		qdt = {"uint8": "<u1", "uint16": "<u2"}.get(q.get("dtype"))
		if qdt is None:
			raise CheckpointError("%s: %s: unknown quantization "
			    "dtype %r" % (mpath, name, q.get("dtype")))
	elif dtype != "float32":
		raise CheckpointError("%s: %s: unsupported dtype %r" %
		    (mpath, name, dtype))
	else:
		qdt = "<f4"
	size = n * np.dtype(qdt).itemsize
	if off + size > len(data):
		raise CheckpointError("%s: %s: shard data too short (%d bytes "
		    "needed at offset %d, %d present)" % (mpath, name, size, off,
		    len(data)))
	raw = np.frombuffer(data, qdt, n, off)
	if q is not None:
		# tfjs dequantizes in double (JS numbers), then stores float32.
		try:
			lo, scale = float(q["min"]), float(q["scale"])
		except (KeyError, TypeError, ValueError):
			raise CheckpointError("%s: %s: quantization without "
			    "min/scale" % (mpath, name)) from None
		arr = (raw.astype(np.float64) * scale + lo).astype(np.float32)
	else:
		arr = raw.astype(np.float32)	# copy: frombuffer is read-only
	return name, arr.reshape(shape), off + size


# ---------------------------------------------------------------- the model


def _get(weights, name):
	if name not in weights:
		raise CheckpointError("weights_manifest.json: missing tensor %s" %
		    name)
	return weights[name]


def _lstm(weights, prefix):
	"""(kernel (in+H, 4H), bias (4H,)) at prefix + /kernel, /bias."""
	k = _get(weights, prefix + "/kernel")
	b = _get(weights, prefix + "/bias")
	if k.ndim != 2 or k.shape[1] % 4 != 0 or b.shape != (k.shape[1],) or \
	    k.shape[0] <= k.shape[1] // 4:
		raise CheckpointError("weights_manifest.json: %s: bad LSTM "
		    "shapes %s, %s" % (prefix, list(k.shape), list(b.shape)))
	return k, b


def _dense(weights, prefix, rows=None):
	k = _get(weights, prefix + "/kernel")
	b = _get(weights, prefix + "/bias")
	if k.ndim != 2 or b.shape != (k.shape[1],) or \
	    (rows is not None and k.shape[0] != rows):
		raise CheckpointError("weights_manifest.json: %s: bad dense "
		    "shapes %s, %s" % (prefix, list(k.shape), list(b.shape)))
	return k, b


def _layers(weights, fmt):
	"""Probe cell_0, cell_1, ... as magenta.js does (spec B 6.4)."""
	out = []
	while fmt % len(out) + "/kernel" in weights:
		out.append(_lstm(weights, fmt % len(out)))
	return out


class Spec:
	"""Weights of one melody/drums MusicVAE in TF layout, shapes checked."""

	def __init__(self, config, weights):
		try:
			args = config["dataConverter"]["args"]
			self.T = int(args["numSteps"])
			self.S = int(args.get("numSegments") or 0)
			self.conv = str(config["dataConverter"]["type"])
		except (KeyError, TypeError, ValueError):
			raise CheckpointError("config.json: no dataConverter with "
			    "numSteps") from None
		if self.conv == "TrioConverter":
			raise CheckpointError("config.json: trio models are not "
			    "supported by the PyTorch peer")
		if self.S and self.T % self.S != 0:
			raise CheckpointError("config.json: numSteps %d not a "
			    "multiple of numSegments %d" % (self.T, self.S))
		cell = "/cell_0/bidirectional_rnn/%s/multi_rnn_cell/cell_0/" \
		    "lstm_cell"
		if self.S:
			lv = "encoder/hierarchical_level_%d" + cell
			self.enc = [[_lstm(weights, lv % (l, d)) for d in
			    ("fw", "bw")] for l in (0, 1)]
		else:
			if "encoder/cell_1" + cell % "fw" + "/kernel" in weights:
				raise CheckpointError("weights_manifest.json: "
				    "multi-layer flat encoders are not supported")
			self.enc = [[_lstm(weights, "encoder" + cell % d) for d
			    in ("fw", "bw")]]
		self.N = self.enc[0][0][1].shape[0] // 4
		self.Din = self.enc[0][0][0].shape[0] - self.N
		for lvl in self.enc:
			for k, _ in lvl:
				if k.shape[1] != 4 * self.N:
					raise CheckpointError("weights_manifest.json: "
					    "encoder widths differ")
		if self.S and self.enc[1][0][0].shape[0] != 3 * self.N:
			raise CheckpointError("weights_manifest.json: "
			    "hierarchical_level_1 kernel is not (2N+N, 4N)")
		self.mu = _dense(weights, "encoder/mu", 2 * self.N)
		self.Z = self.mu[0].shape[1]
		core = "core_decoder/decoder" if self.S else "decoder"
		self.dec = _layers(weights, core + "/multi_rnn_cell/cell_%d/"
		    "lstm_cell")
		if not self.dec:
			raise CheckpointError("weights_manifest.json: missing "
			    "tensor %s/multi_rnn_cell/cell_0/lstm_cell/kernel" % core)
		self.H = [b.shape[0] // 4 for _, b in self.dec]
		self.out = _dense(weights, core + "/output_projection",
		    self.H[-1])
		self.D = self.out[0].shape[1]
		# The core decoder's "z" is the conductor output when hierarchical.
		self.Zd = self.Z
		if self.S:
			self.cond = _layers(weights, "decoder/hierarchical_level_0/"
			    "cell_%d/lstm_cell")
			if not self.cond:
				raise CheckpointError("weights_manifest.json: "
				    "missing conductor cells")
			self.HC = [b.shape[0] // 4 for _, b in self.cond]
			self.cond_init = _dense(weights, "decoder/"
			    "hierarchical_level_0/initial_state", self.Z)
			self._check_stack("conductor", self.cond, self.HC, 1,
			    self.cond_init)
			self.Zd = self.HC[-1]
		self.init = _dense(weights, core + "/z_to_initial_state", self.Zd)
		self._check_stack("decoder", self.dec, self.H, self.D + self.Zd,
		    self.init)
		if self.Din not in (self.D, 10) or (self.Din == 10 and
		    self.D != 512):
			raise CheckpointError("weights_manifest.json: encoder input "
			    "width %d does not fit output width %d" % (self.Din,
			    self.D))

	@staticmethod
	def _check_stack(what, cells, Hs, nin, init):
		for i, (k, _) in enumerate(cells):
			if k.shape[0] != nin + Hs[i]:
				raise CheckpointError("weights_manifest.json: %s "
				    "cell_%d kernel has %d rows, expected %d" %
				    (what, i, k.shape[0], nin + Hs[i]))
			nin = Hs[i]
		if init[0].shape[1] != 2 * sum(Hs):
			raise CheckpointError("weights_manifest.json: %s initial "
			    "state has %d columns, expected %d" % (what,
			    init[0].shape[1], 2 * sum(Hs)))

	def input_np(self, tokens):
		"""Encoder input (B, T, Din) float32 from tokens (B, T)."""
		tokens = np.asarray(tokens)
		if self.Din == self.D:
			return np.eye(self.D, dtype=np.float32)[tokens]
		# Drums roll (spec B 1.3): 9 hit flags, then "no hit" on the
		# same step (Python Magenta, not the magenta.js shift).
		bits = (tokens[..., None] >> np.arange(9)) & 1
		return np.concatenate([bits, (tokens[..., None] == 0)],
		    -1).astype(np.float32)


def load_spec(d):
	"""Spec of checkpoint dir d; errors name the file inside d."""
	config, weights = load_checkpoint(d)
	try:
		return Spec(config, weights)
	except CheckpointError as e:
		raise CheckpointError(os.path.join(d, str(e))) from None


def random_tokens(rng, B, T, D):
	"""Plausible-looking tokens: mostly holds, some notes and offs."""
	t = rng.integers(2, D, size=(B, T))
	r = rng.random((B, T))
	t[r < 0.5] = 0
	t[(r >= 0.5) & (r < 0.6)] = 1
	return t


# ---------------------------------------------------------------- numpy


def _np_sig(x):
	return 1.0 / (1.0 + np.exp(-x))


def _np_step(k, b, x, c, h):
	H = c.shape[-1]
	g = np.concatenate([x, h], -1) @ k + b
	i, j, f, o = g[..., :H], g[..., H:2*H], g[..., 2*H:3*H], g[..., 3*H:]
	c = _np_sig(i) * np.tanh(j) + c * _np_sig(f + FORGET_BIAS)
	return c, np.tanh(c) * _np_sig(o)


def _np_bidi(cells, X):
	"""Final [h_fw, h_bw] (B, 2N) of one bidirectional layer over X."""
	res = []
	for (k, b), order in zip(cells, (range(X.shape[1]),
	    reversed(range(X.shape[1])))):
		N = b.shape[0] // 4
		c = h = np.zeros((X.shape[0], N), np.float32)
		for t in order:
			c, h = _np_step(k, b, X[:, t], c, h)
		res.append(h)
	return np.concatenate(res, -1)


def reference_encode(spec, tokens):
	"""mu (B, Z) by spec B 8, in float32 numpy."""
	X = spec.input_np(tokens)
	if spec.S:
		B = X.shape[0]
		E = _np_bidi(spec.enc[0], X.reshape(B * spec.S, spec.T // spec.S,
		    -1)).reshape(B, spec.S, -1)
		e = _np_bidi(spec.enc[1], E)
	else:
		e = _np_bidi(spec.enc[0], X)
	return e @ spec.mu[0] + spec.mu[1]


def _np_states(init, cells, z):
	s = np.tanh(z @ init[0] + init[1])
	st, o = [], 0
	for _, b in cells:
		H = b.shape[0] // 4
		st.append([s[:, o:o+H], s[:, o+H:o+2*H]])	# [c, h]
		o += 2 * H
	return st


def _np_decode_flat(spec, z, T, y):
	st = _np_states(spec.init, spec.dec, z)
	toks = []
	for _ in range(T):
		x = np.concatenate([y, z], -1)
		for l, (k, b) in enumerate(spec.dec):
			st[l][0], st[l][1] = _np_step(k, b, x, st[l][0], st[l][1])
			x = st[l][1]
		idx = np.argmax(x @ spec.out[0] + spec.out[1], -1)
		y = np.eye(spec.D, dtype=np.float32)[idx]
		toks.append(idx)
	return np.stack(toks, 1), y


def reference_decode(spec, z):
	"""Argmax tokens (B, T) by spec B 8, in float32 numpy."""
	z = np.asarray(z, np.float32)
	y = np.zeros((z.shape[0], spec.D), np.float32)
	if not spec.S:
		return _np_decode_flat(spec, z, spec.T, y)[0]
	st = _np_states(spec.cond_init, spec.cond, z)
	out = []
	for _ in range(spec.S):
		x = np.zeros((z.shape[0], 1), np.float32)
		for l, (k, b) in enumerate(spec.cond):
			st[l][0], st[l][1] = _np_step(k, b, x, st[l][0], st[l][1])
			x = st[l][1]
		toks, y = _np_decode_flat(spec, x, spec.T // spec.S, y)
		out.append(toks)
	return np.concatenate(out, 1)


# ---------------------------------------------------------------- torch

import torch			# noqa: E402 (numpy-only users stop above)
import torch.nn as nn		# noqa: E402
import torch.nn.functional as F	# noqa: E402


def _t(a):
	return torch.from_numpy(np.ascontiguousarray(a, np.float32))


def _torch_gates(k, b, nin):
	"""TF (in+H, 4H) i,j,f,o -> PyTorch weight_ih (4H, in), weight_hh
	(4H, H), bias (4H,) in PyTorch's i,f,g,o order, forget bias folded."""
	i, j, f, o = np.split(k.T, 4, axis=0)
	w = np.concatenate([i, f, j, o], 0)
	bi, bj, bf, bo = np.split(b, 4)
	return w[:, :nin], w[:, nin:], np.concatenate([bi, bf + FORGET_BIAS,
	    bj, bo])


def _set_lstm(mod, cells, nin):
	"""Load a bidirectional one-layer nn.LSTM from TF (fw, bw) cells."""
	for (k, b), suf in zip(cells, ("", "_reverse")):
		wi, wh, bias = _torch_gates(k, b, nin)
		getattr(mod, "weight_ih_l0" + suf).copy_(_t(wi))
		getattr(mod, "weight_hh_l0" + suf).copy_(_t(wh))
		getattr(mod, "bias_ih_l0" + suf).copy_(_t(bias))
		getattr(mod, "bias_hh_l0" + suf).zero_()


def _linear(kb):
	k, b = kb
	m = nn.Linear(k.shape[0], k.shape[1])
	with torch.no_grad():
		m.weight.copy_(_t(k.T))
		m.bias.copy_(_t(b))
	return m


def _cells(cells, nin):
	ms = nn.ModuleList()
	for k, b in cells:
		H = b.shape[0] // 4
		m = nn.LSTMCell(nin, H)
		wi, wh, bias = _torch_gates(k, b, nin)
		with torch.no_grad():
			m.weight_ih.copy_(_t(wi))
			m.weight_hh.copy_(_t(wh))
			m.bias_ih.copy_(_t(bias))
			m.bias_hh.zero_()
		ms.append(m)
		nin = H
	return ms


class IdiomaticVAE(nn.Module):
	"""The textbook PyTorch MusicVAE: library layers, a Python step loop."""

	def __init__(self, spec):
		super().__init__()
		self.spec = spec
		N = spec.N
		self.enc = nn.ModuleList()
		for l, cells in enumerate(spec.enc):
			m = nn.LSTM(spec.Din if l == 0 else 2 * N, N,
			    batch_first=True, bidirectional=True)
			with torch.no_grad():
				_set_lstm(m, cells, spec.Din if l == 0 else 2 * N)
			self.enc.append(m)
		self.mu = _linear(spec.mu)
		self.init = _linear(spec.init)
		self.cells = _cells(spec.dec, spec.D + spec.Zd)
		self.out = _linear(spec.out)
		if spec.S:
			self.cond_init = _linear(spec.cond_init)
			self.cond = _cells(spec.cond, 1)
		self.eval()

	def input(self, tokens):
		"""Encoder input (B, T, Din) from tokens (B, T) int64."""
		if self.spec.Din == self.spec.D:
			return F.one_hot(tokens, self.spec.D).float()
		bits = (tokens.unsqueeze(-1) >> torch.arange(9)) & 1
		return torch.cat([bits, (tokens == 0).long().unsqueeze(-1)],
		    -1).float()

	def encode(self, tokens):
		"""mu (B, Z) from tokens (B, T)."""
		s = self.spec
		x = self.input(tokens)
		if s.S:
			B = x.shape[0]
			_, (h, _) = self.enc[0](x.reshape(B * s.S, s.T // s.S, -1))
			x = torch.cat([h[0], h[1]], -1).reshape(B, s.S, -1)
			_, (h, _) = self.enc[1](x)
		else:
			_, (h, _) = self.enc[0](x)
		return self.mu(torch.cat([h[0], h[1]], -1))

	@staticmethod
	def _states(init, cells, z):
		sizes = [m.hidden_size for m in cells for _ in (0, 1)]
		s = torch.tanh(init(z)).split(sizes, -1)
		return [(s[2*l + 1], s[2*l]) for l in range(len(cells))]  # (h, c)

	def _decode_flat(self, z, T, y):
		st = self._states(self.init, self.cells, z)
		toks = []
		for _ in range(T):
			x = torch.cat([y, z], -1)
			for l, cell in enumerate(self.cells):
				st[l] = cell(x, st[l])
				x = st[l][0]
			idx = self.out(x).argmax(-1)
			y = F.one_hot(idx, self.spec.D).float()
			toks.append(idx)
		return torch.stack(toks, 1), y

	def decode(self, z):
		"""Argmax tokens (B, T) from z (B, Z)."""
		s = self.spec
		y = torch.zeros(z.shape[0], s.D)
		if not s.S:
			return self._decode_flat(z, s.T, y)[0]
		st = self._states(self.cond_init, self.cond, z)
		zero = torch.zeros(z.shape[0], 1)
		out = []
		for _ in range(s.S):
			x = zero
			for l, cell in enumerate(self.cond):
				st[l] = cell(x, st[l])
				x = st[l][0]
			toks, y = self._decode_flat(x, s.T // s.S, y)
			out.append(toks)
		return torch.cat(out, 1)


def _reorder(k):
	"""Columns i,j,f,o -> i,f,o,j: one sigmoid over [0,3H), tanh on the
	rest."""
	i, j, f, o = np.split(k, 4, axis=-1)
	return np.concatenate([i, f, o, j], -1)


def _fold(b):
	b = b.copy()
	H = b.shape[0] // 4
	b[2*H:3*H] += FORGET_BIAS
	return _reorder(b)


class _Stack:
	"""A stacked LSTM (decoder or conductor) with preallocated state.

	hh (B, sum H) holds every layer's h side by side, so layer l's input
	[h_{l-1}, h_l] is one contiguous row slice and its gates are a single
	addmm with the TF kernel as stored (rows: input, then h)."""

	def __init__(self, cells, init, nin_first):
		self.H = [b.shape[0] // 4 for _, b in cells]
		self.off = np.concatenate([[0], np.cumsum(self.H)]).tolist()
		k0, b0 = cells[0]
		# Layer 0: the caller supplies the input part of its gates.
		self.kin0 = _t(_reorder(k0[:nin_first]))	# (nin, 4H0)
		self.kh0 = _t(_reorder(k0[nin_first:]))		# (H0, 4H0)
		self.b0 = _t(_fold(b0))
		self.k = [None] + [_t(_reorder(k)) for k, _ in cells[1:]]
		self.b = [None] + [_t(_fold(b)) for _, b in cells[1:]]
		# Transposed copies, (4H, in): batch 1 runs on gemv, which
		# streams a weight matrix faster than a one-row gemm.
		self.kh0t = self.kh0.t().contiguous()
		self.kt = [None] + [k.t().contiguous() for k in self.k[1:]]
		# State dense with its columns regrouped to (h layers | c layers)
		# so that one addmm + tanh fills hh and cc directly.
		k, b = init
		hcols = np.concatenate([np.arange(2*self.off[l] + self.H[l],
		    2*self.off[l] + 2*self.H[l]) for l in range(len(self.H))])
		ccols = np.concatenate([np.arange(2*self.off[l], 2*self.off[l] +
		    self.H[l]) for l in range(len(self.H))])
		cols = np.concatenate([hcols, ccols])
		self.ik, self.ib = _t(k[:, cols]), _t(b[cols])
		self.B = 0

	def alloc(self, B):
		if self.B == B:
			return
		self.B = B
		S = self.off[-1]
		self.st = torch.empty(B, 2 * S)			# [hh | cc]
		self.hh, self.cc = self.st[:, :S], self.st[:, S:]
		self.g = [torch.empty(B, 4 * H) for H in self.H]
		# Every slice the step loop touches is made once here: creating
		# a view costs about as much as a small kernel launch.
		self.cell = []
		for l, H in enumerate(self.H):
			g, o = self.g[l], self.off[l]
			sg, tg = torch.empty(B, 3 * H), torch.empty(B, H)
			self.cell.append((g[:, :3*H], g[:, 3*H:], sg, tg,
			    sg[:, :H], sg[:, H:2*H], sg[:, 2*H:],
			    self.cc[:, o:o+H], self.hh[:, o:o+H]))
		# Per layer: (gates out, input [h_{l-1}, h_l], kernel, bias);
		# batch 1 uses vectors and the transposed kernels (gemv).
		if B == 1:
			h = self.hh[0]
			self.mm = [(self.g[0][0], h[:self.H[0]], self.kh0t,
			    None)] + [(self.g[l][0], h[self.off[l-1]:self.off[l+1]],
			    self.kt[l], self.b[l]) for l in range(1, len(self.H))]
		else:
			self.mm = [(self.g[0], self.hh[:, :self.H[0]], self.kh0,
			    None)] + [(self.g[l], self.hh[:, self.off[l-1]:
			    self.off[l+1]], self.k[l], self.b[l]) for l in
			    range(1, len(self.H))]
		self.top = self.hh[:, self.off[-2]:]

	def start(self, z):
		torch.addmm(self.ib, z, self.ik, out=self.st)
		self.st.tanh_()

	def step(self):
		"""Advance every layer; self.g[0] already holds layer 0's input
		part of the gates.  Returns the top h (B, H)."""
		mv = self.B == 1
		for (g, x, k, b), (gs, gt, sg, tg, i, f, o, c, h) in zip(self.mm,
		    self.cell):
			if b is None:		# layer 0: accumulate onto the input
				if mv:
					g.addmv_(k, x)
				else:
					g.addmm_(x, k)
			elif mv:
				torch.addmv(b, k, x, out=g)
			else:
				torch.addmm(b, x, k, out=g)
			torch.sigmoid(gs, out=sg)	# i, f, o
			torch.tanh(gt, out=tg)		# j
			c.mul_(f).addcmul_(i, tg)
			torch.tanh(c, out=tg)
			torch.mul(tg, o, out=h)
		return self.top


class TunedVAE:
	"""Hand-tuned PyTorch MusicVAE with the same weights and results."""

	def __init__(self, spec):
		self.spec = spec
		s = spec
		# Encoder: both directions' input kernels side by side, (Din, 8N):
		# one GEMM (or row gather) for all steps; recurrent kernels
		# (N, 4N) per direction, and transposed (4N, N) for gemv.
		self.enc = []
		for l, cells in enumerate(s.enc):
			nin = s.Din if l == 0 else 2 * s.N
			kx = np.concatenate([_reorder(k[:nin]) for k, _ in cells],
			    -1)
			bx = np.concatenate([_fold(b) for _, b in cells])
			kh = [_t(_reorder(k[nin:])) for k, _ in cells]
			self.enc.append((_t(kx), _t(bx), kh,
			    [m.t().contiguous() for m in kh]))
		self.mu_k, self.mu_b = _t(s.mu[0]), _t(s.mu[1])
		self.dec = _Stack(s.dec, s.init, s.D + s.Zd)
		# (D+1, 4H0) one-hot rows; the first step's "previous output" is
		# all zeros, not class 0: index D, an appended zero row.
		self.ky = torch.cat([self.dec.kin0[:s.D], torch.zeros(1,
		    4 * s.H[0])])
		self.kz = self.dec.kin0[s.D:]		# (Zd, 4H0) z rows
		self.out_k, self.out_b = _t(s.out[0]), _t(s.out[1])
		if s.S:
			self.cond = _Stack(s.cond, s.cond_init, 1)
		self.B = 0

	def _alloc(self, B):
		if self.B == B:
			return
		self.B = B
		s = self.spec
		self.dec.alloc(B)
		self.zp = torch.empty(B, 4 * s.H[0])	# z part of layer-0 gates
		self.logits = torch.empty(B, s.D)
		self.idx = torch.zeros(B, dtype=torch.long)
		if s.S:
			self.cond.alloc(B)
		self.eg = {}

	def _bidi(self, l, x):
		"""Final [h_fw, h_bw] (B, 2N) of encoder layer l over x (B, T,
		nin), or over token ids (B, T) for the one-hot first layer."""
		kx, bx, khs, khts = self.enc[l]
		N = khs[0].shape[0]
		if x.dtype == torch.long:
			xp = kx.index_select(0, x.reshape(-1)).view(*x.shape, -1)
			xp += bx
		else:
			xp = torch.addmm(bx, x.reshape(-1, x.shape[-1]),
			    kx).view(*x.shape[:2], -1)
		B, T = xp.shape[:2]
		xs = xp.transpose(0, 1).contiguous()	# (T, B, 8N)
		key = (l, B)
		if key not in self.eg:
			self.eg[key] = (torch.empty(B, 4 * N),
			    torch.empty(B, 3 * N), torch.empty(B, N),
			    torch.empty(B, N), torch.empty(B, 2 * N))
		g, sg, tg, c, hh = self.eg[key]
		# One direction after the other: each recurrent kernel (4 MB at
		# N = 512) then stays in cache for all T steps.
		for d in (0, 1):
			h = hh[:, d * N:(d + 1) * N]
			c.zero_()
			h.zero_()
			for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
				xt = xs[t, :, d * 4 * N:(d + 1) * 4 * N]
				if B == 1:	# gemv streams the kernel faster
					torch.addmv(xt[0], khts[d], h[0], out=g[0])
				else:
					torch.addmm(xt, h, khs[d], out=g)
				torch.sigmoid(g[:, :3*N], out=sg)
				torch.tanh(g[:, 3*N:], out=tg)
				c.mul_(sg[:, N:2*N]).addcmul_(sg[:, :N], tg)
				torch.tanh(c, out=tg)
				torch.mul(tg, sg[:, 2*N:], out=h)
		return hh

	def encode(self, tokens):
		"""mu (B, Z) from tokens (B, T)."""
		s = self.spec
		self._alloc(tokens.shape[0])
		x = tokens
		if s.Din != s.D:		# drums roll: a real matrix input
			x = IdiomaticVAE.input(self, tokens)
		if s.S:
			B = tokens.shape[0]
			e = self._bidi(0, x.reshape(B * s.S, s.T // s.S,
			    *x.shape[2:]))
			e = self._bidi(1, e.view(B, s.S, -1))
		else:
			e = self._bidi(0, x)
		return torch.addmm(self.mu_b, e, self.mu_k)

	def _decode_flat(self, z, T, out, t0):
		d = self.dec
		d.start(z)
		torch.mm(z, self.kz, out=self.zp)
		self.zp += d.b0
		for t in range(T):
			# Layer-0 input gates: one-hot rows gathered, plus z part.
			torch.index_select(self.ky, 0, self.idx, out=d.g[0])
			d.g[0] += self.zp
			h = d.step()
			torch.addmm(self.out_b, h, self.out_k, out=self.logits)
			torch.argmax(self.logits, 1, out=self.idx)
			out[:, t0 + t] = self.idx

	def decode(self, z):
		"""Argmax tokens (B, T) from z (B, Z)."""
		s = self.spec
		B = z.shape[0]
		self._alloc(B)
		out = torch.empty(B, s.T, dtype=torch.long)
		self.idx.fill_(s.D)
		if not s.S:
			self._decode_flat(z, s.T, out, 0)
			return out
		c = self.cond
		c.start(z)
		L = s.T // s.S
		for k in range(s.S):
			# The conductor input is a zero scalar: only the bias.
			c.g[0].copy_(c.b0.expand(B, -1))
			e = c.step()
			self._decode_flat(e, L, out, k * L)
		return out


# ---------------------------------------------------------------- writer


def write_random(d, arch, quantize=None, seed=1):
	"""Write a random-weight checkpoint of a shipped shape to dir d."""
	a = ARCHS[arch]
	rng = np.random.default_rng(seed)
	D, N, Z, H, T, S = a["D"], a["N"], a["Z"], a["H"], a["T"], a["S"]
	ws = []

	def glorot(name, rows, cols):
		lim = np.sqrt(6.0 / (rows + cols))
		ws.append((name + "/kernel", rng.uniform(-lim, lim,
		    (rows, cols))))
		ws.append((name + "/bias", rng.uniform(-0.1, 0.1, cols)))

	cell = "/cell_0/bidirectional_rnn/%s/multi_rnn_cell/cell_0/lstm_cell"
	for d_ in ("fw", "bw"):
		if S:
			glorot("encoder/hierarchical_level_0" + cell % d_, D + N,
			    4 * N)
			glorot("encoder/hierarchical_level_1" + cell % d_, 3 * N,
			    4 * N)
		else:
			glorot("encoder" + cell % d_, D + N, 4 * N)
	glorot("encoder/mu", 2 * N, Z)
	glorot("encoder/sigma", 2 * N, Z)
	core, zd = "decoder", Z
	if S:
		glorot("decoder/hierarchical_level_0/initial_state", Z,
		    2 * sum(H))
		nin = 1
		for l, h in enumerate(H):
			glorot("decoder/hierarchical_level_0/cell_%d/lstm_cell" %
			    l, nin + h, 4 * h)
			nin = h
		core, zd = "core_decoder/decoder", H[-1]
	glorot(core + "/z_to_initial_state", zd, 2 * sum(H))
	nin = D + zd
	for l, h in enumerate(H):
		glorot(core + "/multi_rnn_cell/cell_%d/lstm_cell" % l, nin + h,
		    4 * h)
		nin = h
	glorot(core + "/output_projection", H[-1], D)

	entries, blobs = [], []
	for name, v in ws:
		v = v.astype(np.float32)
		e = {"name": name, "shape": list(v.shape), "dtype": "float32"}
		if quantize:
			bits = {"uint8": 8, "uint16": 16}[quantize]
			lo, hi = float(v.min()), float(v.max())
			scale = (hi - lo) / (2 ** bits - 1) or 1.0
			q = np.round((v.astype(np.float64) - lo) / scale)
			blobs.append(q.astype("<u%d" % (bits // 8)).tobytes())
			e["quantization"] = {"min": lo, "scale": scale,
			    "dtype": quantize}
		else:
			blobs.append(v.astype("<f4").tobytes())
		entries.append(e)
	data = b"".join(blobs)
	n = max(1, -(-len(data) // SHARD_BYTES))
	os.makedirs(d, exist_ok=True)
	paths = []
	for i in range(n):
		p = "group1-shard%dof%d.bin" % (i + 1, n)
		with open(os.path.join(d, p), "wb") as f:
			f.write(data[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
		paths.append(p)
	args = {"numSteps": T, "minPitch": 21, "maxPitch": 108}
	if S:
		args["numSegments"] = S
	cfg = {"type": "MusicVAE", "dataConverter": {"type": "MelodyConverter",
	    "args": args}}
	for name, obj in (("config.json", cfg), ("weights_manifest.json",
	    [{"paths": paths, "weights": entries}])):
		with open(os.path.join(d, name), "w") as f:
			json.dump(obj, f)


# ---------------------------------------------------------------- self-test


def selftest(d, out=sys.stdout):
	"""Check both variants (and numpy) agree on checkpoint d; return the
	number of failures.  Prints one line per check."""
	spec = load_spec(d)
	idio, tuned = IdiomaticVAE(spec), TunedVAE(spec)
	rng = np.random.default_rng(7)
	fails = 0

	def check(ok, what):
		nonlocal fails
		fails += not ok
		print("%s: %s" % ("ok" if ok else "FAIL", what), file=out)

	toks = random_tokens(rng, 3, spec.T, spec.D if spec.Din == spec.D
	    else 512)
	tt = torch.from_numpy(toks)
	with torch.inference_mode():
		mi = idio.encode(tt).numpy()
		mt = tuned.encode(tt).numpy()
	mr = reference_encode(spec, toks[:1])
	scale = float(np.abs(mr).max()) or 1.0
	for name, m in (("idiomatic", mi), ("tuned", mt)):
		err = float(np.abs(m[:1] - mr).max()) / scale
		check(err < 1e-4, "%s mu vs numpy: max rel err %.2e" % (name,
		    err))
	err = float(np.abs(mi - mt).max()) / (float(np.abs(mi).max()) or 1.0)
	check(err < 1e-4, "idiomatic vs tuned mu, batch 3: max rel err %.2e" %
	    err)
	# Decode the encodings plus random z (batch), then row 0 alone.
	z = np.concatenate([mi, rng.standard_normal((2, spec.Z))]).astype(
	    np.float32)
	zt = torch.from_numpy(z)
	with torch.inference_mode():
		di = idio.decode(zt).numpy()
		dt = tuned.decode(zt).numpy()
		d1 = tuned.decode(zt[:1]).numpy()
	dr = reference_decode(spec, z[:1])
	check(np.array_equal(di[:1], dr), "idiomatic argmax tokens == numpy "
	    "(%d steps)" % spec.T)
	check(np.array_equal(dt, di), "tuned argmax tokens == idiomatic, "
	    "batch %d" % z.shape[0])
	check(np.array_equal(d1, dt[:1]), "tuned batch-1 == batch row 0")
	distinct = len(set(di.reshape(-1).tolist()))
	check(distinct > 3, "decodes are not degenerate (%d distinct "
	    "tokens)" % distinct)
	return fails


def parity(d, latentroll, tmp, out=sys.stdout):
	"""Compare `latentroll decode` with the tuned peer on checkpoint d for
	three z.  Returns 0 same tokens, 1 different, 2 C side unavailable."""
	import subprocess
	spec = load_spec(d)
	tuned = TunedVAE(spec)
	rng = np.random.default_rng(11)
	for i in range(3):
		z = rng.standard_normal((1, spec.Z)).astype(np.float32)
		zf = os.path.join(tmp, "parity_z%d.json" % i)
		with open(zf, "w") as f:
			json.dump({"z": [float(x) for x in z[0]]}, f)
		try:
			r = subprocess.run([latentroll, "decode", "--model", d,
			    "--z", zf], capture_output=True, timeout=60)
		except (OSError, subprocess.SubprocessError) as e:
			print("parity: C decode unavailable: %s" % e, file=out)
			return 2
		try:
			got = json.loads(r.stdout.decode())["tokens"]
		except (ValueError, KeyError, TypeError):
			why = r.stderr.decode().strip().split("\n")[0] or \
			    "exit %d, no tokens" % r.returncode
			print("parity: C decode unavailable: %s" % why, file=out)
			return 2
		got = np.asarray(got).reshape(-1)
		with torch.inference_mode():
			want = tuned.decode(torch.from_numpy(z)).numpy().reshape(-1)
		if not np.array_equal(got, want):
			bad = int(np.argmax(got != want)) if got.shape == \
			    want.shape else -1
			print("parity: C and PyTorch argmax tokens differ for z%d "
			    "(first at step %d)" % (i, bad), file=out)
			return 1
	print("parity: C and PyTorch argmax tokens equal (3 z, %d steps)" %
	    spec.T, file=out)
	return 0


def main(argv):
	import argparse
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--selftest", metavar="DIR")
	ap.add_argument("--write-random", metavar="DIR")
	ap.add_argument("--arch", choices=sorted(ARCHS), default="mel_2bar")
	ap.add_argument("--quantize", choices=("uint8", "uint16"))
	ap.add_argument("--seed", type=int, default=1)
	ap.add_argument("--parity", metavar="DIR")
	ap.add_argument("--latentroll", default="latentroll")
	a = ap.parse_args(argv)
	if not a.selftest and not a.write_random and not a.parity:
		ap.error("give --selftest DIR, --write-random DIR or --parity DIR")
	try:
		if a.parity:
			import tempfile
			with tempfile.TemporaryDirectory() as tmp:
				return parity(a.parity, a.latentroll, tmp)
		if a.write_random:
			write_random(a.write_random, a.arch, a.quantize, a.seed)
		if a.selftest:
			torch.set_num_threads(1)
			f = selftest(a.selftest)
			if f:
				print("%s: %d self-test checks failed" %
				    (a.selftest, f), file=sys.stderr)
				return 1
	except CheckpointError as e:
		print(e, file=sys.stderr)
		return 1
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
