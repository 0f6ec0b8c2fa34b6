#!/usr/bin/python3
"""report.py: the ratio tables of bench/compare.sh.

Reads the JSON files compare.sh left in DIR for each thread count N:
  c_infer_N.json        bench/bench_infer --json --threads N
  p_infer_ARCH_N.json   bench_infer_peer.py (ARCH = mel_2bar, mel_16bar)
  c_train_N.json        bench/bench_train --json --threads N
  p_train_N.json        bench_train_peer.py
and prints, per thread count, raw numbers for C / idiomatic / tuned PyTorch,
the C speedups, each against its target (issue B and C "Speed"), and for
each of C's encode b1, decode b1 and ladder 33 its GFLOP/s and GB/s of
weights streamed.  A
missing or unreadable file shows as "-"; a target without both sides as "n/a".

  report.py DIR N...
"""

import json
import os
import sys

ARCHS = ("mel_2bar", "mel_16bar")


def _load(path):
	try:
		with open(path) as f:
			return json.load(f)
	except (OSError, ValueError):
		return {}


def _num(d, *keys):
	for k in keys:
		if not isinstance(d, dict):
			return None
		d = d.get(k)
	return d if isinstance(d, (int, float)) and not isinstance(d, bool) \
	    else None


def _f(x, fmt="%.3f"):
	return "-" if x is None else fmt % x


def _ratio(a, b):
	"""How many times faster a time a is than b (b / a)."""
	return None if a is None or b is None or a <= 0 else b / a


def _verdict(x, goal):
	"""A target whose two sides were not both measured is a miss."""
	if x is None:
		return "MISS (a side missing)"
	return "ok" if x >= goal else "MISS"


def infer_table(d, n, out):
	c = _load(os.path.join(d, "c_infer_%s.json" % n))
	misses = 0
	for arch in ARCHS:
		p = _load(os.path.join(d, "p_infer_%s_%s.json" % (arch, n)))
		ci, pi, pt = c.get(arch, {}), p.get("idiomatic", {}), \
		    p.get("tuned", {})
		print("inference %s, %s thread(s), medians in ms%s" % (arch, n,
		    "" if p.get("agree", True) else
		    "  [PEER VARIANTS DISAGREE: peer numbers invalid]"), file=out)
		print("  %-10s %10s %10s %10s %9s %9s %8s %7s  %s" % ("", "C",
		    "idiomatic", "tuned", "C/idiom", "C/tuned", "C GF/s",
		    "C GB/s", "target"), file=out)
		rows = (("encode b1", "encode_b1_ms", ((10, "idiom"),),
		    "encode"),
		    ("decode b1", "decode_b1_ms", ((20, "idiom"), (3, "tuned")),
		    "decode"),
		    ("ladder 33", "ladder33_ms", ((3, "best"),), "ladder"))
		# issue J: against OpenBLAS in the same run, and bf16
		ob, bl = _num(ci, "ladder33_openblas_ms"), _num(ci,
		    "ladder33_bf16_ms")
		r = _ratio(bl, ob)
		v = _verdict(r, 2.5)
		misses += v.startswith("MISS")
		# Where OpenBLAS is the default backend (no AVX-512) the
		# default's ladder is the OpenBLAS one: say it once.
		be = ci.get("backend", "onednn")
		dl = "" if be == "openblas" else ", %s fp32 %s" % (be,
		    _f(_num(ci, "ladder33_ms")))
		print("  ladder 33: openblas fp32 %s%s, bf16 %s "
		    "ms (agree %s): bf16 %s openblas, >=2.5x %s" % (_f(ob),
		    dl, _f(bl), _f(_num(ci, "bf16_ladder_agree"), "%.4f"),
		    _f(r, "%.2fx"), v), file=out)
		d1, db = _num(ci, "decode_b1_ms"), _num(ci, "decode_b1_bf16_ms")
		ag = _num(ci, "bf16_token_agree")
		r = _ratio(db, d1)
		v = _verdict(r, 1.7)
		misses += v.startswith("MISS")
		print("  decode b1 bf16 weights: %s ms, %s float32, tokens "
		    "agree %s (random weights): >=1.7x %s" % (_f(db),
		    _f(r, "%.2fx"), _f(ag, "%.4f"), v), file=out)
		for label, key, goals, what in rows:
			tc, ti, tt = _num(ci, key), _num(pi, key), _num(pt, key)
			ri, rt = _ratio(tc, ti), _ratio(tc, tt)
			best = min([x for x in (ti, tt) if x is not None],
			    default=None)
			marks = []
			for goal, who in goals:
				r = {"idiom": ri, "tuned": rt,
				    "best": _ratio(tc, best)}[who]
				v = _verdict(r, goal)
				misses += v.startswith("MISS")
				marks.append(">=%gx %s %s" % (goal, {"idiom":
				    "idiomatic", "tuned": "tuned", "best":
				    "best PyTorch"}[who], v))
			print("  %-10s %10s %10s %10s %9s %9s %8s %7s  %s" % (
			    label, _f(tc), _f(ti), _f(tt), _f(ri, "%.1fx"),
			    _f(rt, "%.1fx"),
			    _f(_num(ci, "gflops_" + what), "%.1f"),
			    _f(_num(ci, "gbs_" + what), "%.1f"),
			    "; ".join(marks)), file=out)
		roof = _num(ci, "roofline_frac")
		v = _verdict(roof, 0.70)
		misses += v.startswith("MISS")
		print("  C decode b1: %s of roofline (target >= 0.70 %s), %s "
		    "GFLOP/s, %s GB/s of weights" % (_f(roof, "%.2f"), v,
		    _f(_num(ci, "gflops_decode"), "%.1f"),
		    _f(_num(ci, "gbs_decode"), "%.1f")), file=out)
	print("  sgemm peak %s GFLOP/s, read bandwidth %s GB/s (%s loads; "
	    "sse2 %s; measured by bench_infer)" % (
	    _f(_num(c, "sgemm_gflops"), "%.1f"),
	    _f(_num(c, "read_gbs"), "%.1f"), c.get("read_isa", "-"),
	    _f(_num(c, "read_gbs_sse2"), "%.1f")), file=out)
	return misses


def train_table(d, n, out):
	c = _load(os.path.join(d, "c_train_%s.json" % n))
	ob = _load(os.path.join(d, "c_train_ob_%s.json" % n))
	p = _load(os.path.join(d, "p_train_%s.json" % n))
	pa = _load(os.path.join(d, "p_train_ac_%s.json" % n))
	misses = 0
	print("training, %s thread(s), examples/s; C %s" % (n,
	    "%s %s" % (c.get("backend", "-"), c.get("precision", "-")) if c
	    else "not run (see the note above)"), file=out)
	print("  %-10s %9s %9s %9s %9s %8s %8s %8s  %s" % ("", "C",
	    "C openblas", "PyTorch", "autocast", "/openblas", "/PyTorch",
	    "/autocast", "targets (3x, 4x, 1.5x)"), file=out)
	for arch in ARCHS:
		ec, eo = _num(c, arch, "ex_per_s"), _num(ob, arch, "ex_per_s")
		ep, ea = _num(p, arch, "ex_per_s"), _num(pa, arch, "ex_per_s")
		# A ratio only between the same batch: a side that ran
		# another one (or did not say) is not measured.
		bs = [_num(x, arch, "batch") for x in (c, ob, p, pa)]
		if ec is None:
			print("  %-10s no C figure: no ratio" % arch, file=out)
		elif bs[0] is None or any(b != bs[0] for b in bs):
			ec = None
			print("  %-10s batches differ (C, C openblas, PyTorch, "
			    "autocast: %s): no ratio" % (arch, ", ".join(
			    _f(b, "%d") for b in bs)), file=out)
		else:
			print("  %-10s batch %d" % (arch, bs[0]), file=out)
		rs = [None if x is None or ec is None or x <= 0 else ec / x
		    for x in (eo, ep, ea)]
		vs = [_verdict(r, g) for r, g in zip(rs, (3, 4, 1.5))]
		misses += sum(v.startswith("MISS") for v in vs)
		print("  %-10s %9s %9s %9s %9s %8s %8s %8s  %s" % (arch,
		    _f(ec, "%.1f"), _f(eo, "%.1f"), _f(ep, "%.1f"),
		    _f(ea, "%.1f"), _f(rs[0], "%.2fx"), _f(rs[1], "%.2fx"),
		    _f(rs[2], "%.2fx"), ", ".join(vs)), file=out)
		peak = _num(c, "bf16_peak_gflops") if c.get("precision") == \
		    "bf16" else _num(c, "fp32_peak_gflops")
		g = _num(c, arch, "gflops")
		share = None if g is None or not peak else g / peak
		print("  %-10s GEMM share of the measured %s peak (%s GFLOP/s): "
		    "%s (aim >= 0.60)" % ("", c.get("precision", "-"),
		    _f(peak, "%.1f"), _f(share, "%.2f")), file=out)
	print("  sgemm peak %s GFLOP/s (measured by bench_train)" %
	    _f(_num(c, "sgemm_gflops"), "%.1f"), file=out)
	return misses


def main(argv):
	if len(argv) < 2:
		print("usage: report.py DIR N...", file=sys.stderr)
		return 2
	d, misses = argv[0], 0
	for n in argv[1:]:
		misses += infer_table(d, n, sys.stdout)
		misses += train_table(d, n, sys.stdout)
	print("%d target(s) missed (a target with a side not measured counts "
	    "as missed)" % misses)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
