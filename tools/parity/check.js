#!/usr/bin/env node
// check.js: load any checkpoint directory (ours or Google's) in magenta.js
// 1.23.1 and encode/decode token windows, so latentroll's results can be
// checked against magenta.js on real models.
//
//   node check.js MODEL_DIR WINDOWS.json [ENC.json=DEC.json ...] [--tol X]
//
// Each file argument holds one window or a list of them (a JSON array, or
// {"windows": [...]}).  A window is one of
//   [tokens...]                      melody/drums: T ints; trio: T [m, b, d]
//   {"tokens": [...], "mu": [...]?, "decoded": [...]?}
//   {"z": [...], "decoded": [...]?}  decode only
// `latentroll encode` output ({"mu", "sigma", "tokens"}) is such a window.
// ENC.json=DEC.json pairs a `latentroll encode` output with the
// `latentroll decode --z ENC.json` output: DEC's "tokens" become "decoded".
//
// For each window magenta.js encodes the tokens (mu; drum "no hit" bit on
// the same step, as latentroll does), then decodes with argmax the given
// "z", else the given "mu" (so a decoder is compared on the very same z),
// else its own mu.  It prints one JSON line per window:
//   {"window": i, "mu": [...], "tokens": [...], "min_gap": g,
//    "mu_rel_err": e, "mu_ok": bool, "tokens_ok": bool}
// (the last three only when there was something to compare).  mu_ok means
// max|mu - given| <= tol * max|given| (tol 1e-4).  Exit status 1 if any
// comparison failed, 2 on bad usage or input.
'use strict';

const fs = require('fs');
const path = require('path');
const lib = require('./lib');

function die(msg) {
	console.error(`check.js: ${msg}`);
	process.exit(2);
}

function readJson(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		die(`${file}: ${e.message}`);
	}
}

// Flatten [T] or [T][S] tokens to T*S ints and check them.
function flatTokens(file, tok, layout, T) {
	const S = layout.outDepth.length;
	const flat = [].concat(...tok.map((x) => Array.isArray(x) ? x : [x]));
	if (flat.length !== T * S)
		die(`${file}: ${flat.length} tokens, the model needs ${T} steps ` +
		    `x ${S}`);
	flat.forEach((x, i) => {
		const d = layout.outDepth[i % S];
		if (!Number.isInteger(x) || x < 0 || x >= d)
			die(`${file}: token ${x} at step ${Math.floor(i / S)} is ` +
			    `not in 0..${d - 1}`);
	});
	return flat;
}

// A token window by itself: T*S ints, or (trio) T arrays of S ints.
function isTokens(x, S) {
	return Array.isArray(x) && x.length > 0 && (x.every(Number.isInteger) ||
	    (S > 1 && x.every((r) => Array.isArray(r) && r.length === S &&
	    r.every(Number.isInteger))));
}

async function main() {
	const args = process.argv.slice(2);
	let tol = 1e-4;
	const ti = args.indexOf('--tol');
	if (ti >= 0) {
		tol = Number(args[ti + 1]);
		args.splice(ti, 2);
	}
	if (args.length < 2 || !(tol > 0))
		die('usage: node check.js MODEL_DIR WINDOWS.json ' +
		    '[ENC.json=DEC.json ...] [--tol X]');
	const dir = args[0];
	const config = readJson(path.join(dir, 'config.json'));
	const layout = lib.layoutOf(config);
	const T = config.dataConverter.args.numSteps;

	// A file holds one window or a list; trio windows may be [T][3], so
	// tell one from many by looking at the elements.
	let wins = [];
	for (const a of args.slice(1)) {
		let w = readJson(a.split('=')[0]);
		if (w && !Array.isArray(w) && Array.isArray(w.windows))
			w = w.windows;
		if (!Array.isArray(w) || isTokens(w, layout.outDepth.length))
			w = [w];
		w = w.map((x) => Array.isArray(x) ? { tokens: x } : x);
		const dec = a.split('=')[1];
		if (dec !== undefined) {
			if (w.length !== 1)
				die(`${a}: a pair needs exactly one window`);
			w[0].decoded = readJson(dec).tokens;
		}
		wins = wins.concat(w.map((x) => Object.assign({ file: a }, x)));
	}

	const model = await lib.loadModel(dir);
	const gaps = lib.watchGaps(model);
	let bad = 0, compared = 0;
	for (let i = 0; i < wins.length; i++) {
		const w = wins[i], out = { window: i };
		let z = w.z;
		if (w.tokens !== undefined) {
			const tok = flatTokens(w.file, w.tokens, layout, T);
			const x = lib.tf.tensor3d(lib.tokensToInput(layout, tok,
			    T), [1, T, layout.inDepth]);
			const mu = await model.encodeTensors(x, {});
			out.mu = Array.from(mu.dataSync());
			x.dispose();
			mu.dispose();
			if (Array.isArray(w.mu)) {
				let scale = 0, err = 0;
				w.mu.forEach((g, k) => {
					scale = Math.max(scale, Math.abs(g));
					err = Math.max(err, Math.abs(g - out.mu[k]));
				});
				out.mu_rel_err = scale > 0 ? err / scale : err;
				out.mu_ok = w.mu.length === out.mu.length &&
				    out.mu_rel_err <= tol;
				compared++;
				bad += out.mu_ok ? 0 : 1;
			}
			if (z === undefined)
				z = Array.isArray(w.mu) ? w.mu : out.mu;
		}
		if (!Array.isArray(z) || z.length !== model.zDims)
			die(`${w.file}: window ${i} has no tokens and no z of ` +
			    `${model.zDims} floats`);
		const zt = lib.tf.tensor2d([z]);
		gaps.min = Infinity;
		const y = await model.decodeTensors(zt);
		out.tokens = lib.onehotToTokens(layout, y.dataSync(), 1, T)[0];
		out.min_gap = gaps.min;
		zt.dispose();
		y.dispose();
		if (w.decoded !== undefined) {
			const want = flatTokens(w.file, w.decoded, layout, T);
			out.tokens_ok = want.every((t, k) => t === out.tokens[k]);
			compared++;
			bad += out.tokens_ok ? 0 : 1;
		}
		process.stdout.write(JSON.stringify(out) + '\n');
	}
	model.dispose();
	console.error(`check.js: ${wins.length} windows, ${compared} ` +
	    `comparisons, ${bad} failed`);
	process.exit(bad === 0 ? 0 : 1);
}

main().catch((e) => die(e.stack || String(e)));
