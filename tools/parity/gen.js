#!/usr/bin/env node
// gen.js: write tiny magenta.js checkpoints with seeded random weights, run
// them through magenta.js 1.23.1 (tfjs 2.8.6, pure-JS CPU backend) and record
// what it computes, so tests/test_parity.c can demand the same from
// latentroll without Node.
//
//   cd tools/parity && npm ci && node gen.js ../../tests/data/parity
//
// For each model OUT/<name>/ gets config.json, weights_manifest.json, the
// shards and fixtures.json:
//   encode:      input token sequences (T*S ints, (T, S) order) and the mu
//                magenta.js's encodeTensors returns for them (one batch);
//   decode:      fixed z vectors (one batch) and the argmax tokens of
//                decodeTensors (temperature undefined = argmax);
//   interpolate: two inputs, the 5 lerp z's (getInterpolatedZs) and the
//                tokens of interpolateTensors.
// min_gap fields record the smallest gap between the two largest logits
// seen while decoding: float32 rounding moves logits by ~1e-6, so a gap
// well above that makes the argmax tokens a fair test.
//
// Drums: magenta.js's DrumsConverter.toTensor sets the "no hit" input bit on
// the previous step; latentroll (like Python Magenta) sets it on the same
// step.  We never call toTensor: every encoder input here is built by
// lib.tokensToInput the latentroll way and fed to encodeTensors, so the
// drum encode fixtures are the magenta.js network run on unshifted input.
'use strict';

const fs = require('fs');
const path = require('path');
const lib = require('./lib');

const PITCH = { minPitch: 21, maxPitch: 108 };

// Tiny shapes; decoder layers of one stack must be equal (magenta.js splits
// the initial state into equal parts), the other widths differ on purpose
// so that a transposed or misplaced tensor cannot go unnoticed.
const MODELS = [
	{ name: 'mel_2bar', seed: 101, enc: [32], z: 8, dec: [16, 16],
	    config: { type: 'MusicVAE', dataConverter: {
		type: 'MelodyConverter',
		args: Object.assign({ numSteps: 32 }, PITCH) } } },
	{ name: 'mel_2bar_u16', from: 'mel_2bar', dtype: 'uint16' },
	{ name: 'mel_2bar_u8', from: 'mel_2bar', dtype: 'uint8' },
	{ name: 'mel_16bar', seed: 202, enc: [32, 24], z: 8, cond: [16, 16],
	    dec: [12, 12], shardBytes: 16384, suffix: '.bin',
	    config: { type: 'MusicVAE', dataConverter: {
		type: 'MelodyConverter',
		args: Object.assign({ numSteps: 256, numSegments: 16 },
		    PITCH) } } },
	{ name: 'mel_16bar_u16', from: 'mel_16bar', dtype: 'uint16' },
	{ name: 'drums_2bar', seed: 303, enc: [32], z: 8, dec: [16, 16],
	    noSigma: true,
	    config: { type: 'MusicVAE', dataConverter: {
		type: 'DrumsConverter', args: { numSteps: 32 } } } },
	{ name: 'trio_4bar', seed: 404, enc: [16, 16], z: 8, cond: [16, 16],
	    dec: [12, 12],
	    config: { type: 'MusicVAE', dataConverter: {
		type: 'TrioConverter', args: { numSteps: 64, numSegments: 4,
		    melArgs: Object.assign({}, PITCH),
		    bassArgs: Object.assign({}, PITCH), drumsArgs: {} } } } },
	{ name: 'trio_4bar_u8', from: 'trio_4bar', dtype: 'uint8' },
];

// The reference melody of magenta.js's model_test.ts (spec section 8).
const SPEC8 = [50, 0, 52, 0, 54, 0, 55, 0, 57, 0, 1, 0, 62, 0, 0, 0,
    59, 0, 0, 0, 62, 0, 0, 0, 57, 0, 0, 0, 0, 0, 0, 0];

// Smallest top-2 logit gap accepted for the random decode z's.
const MIN_GAP = 5e-4;

// Gains: large enough that logits spread over several units (clear argmax
// winners) and the LSTMs do not settle into a constant output.
const GAIN = { token: 3.0, lstm: 2.0, bias: 0.5, dense: 1.5, proj: 6.0 };

function uniformTensor(rng, name, shape, gain, fanIn) {
	const n = shape.reduce((a, b) => a * b, 1);
	const a = gain * Math.sqrt(3 / fanIn);
	const data = new Float32Array(n);
	for (let i = 0; i < n; i++)
		data[i] = rng.uniform(-a, a);
	return { name, shape, data };
}

// oneHot: how many leading input rows see one-hot tokens.  They get
// O(1) weights (not 1/sqrt(fan-in)): a token then moves the gates as much
// as the recurrent state does, so a decoder's next token depends on its
// previous one and the output keeps changing instead of settling.
function lstm(out, rng, pre, inW, H, oneHot) {
	const k = uniformTensor(rng, pre + 'kernel', [inW + H, 4 * H],
	    GAIN.lstm, inW + H);
	for (let i = 0; i < (oneHot || 0) * 4 * H; i++)
		k.data[i] = rng.uniform(-GAIN.token, GAIN.token);
	out.push(k);
	out.push(uniformTensor(rng, pre + 'bias', [4 * H], GAIN.bias, 1));
}

function dense(out, rng, pre, inW, outW, gain) {
	out.push(uniformTensor(rng, pre + '/kernel', [inW, outW], gain, inW));
	out.push(uniformTensor(rng, pre + '/bias', [outW], GAIN.bias, 1));
}

// One categorical decoder stack under prefix pre (".../decoder").
function decoder(out, rng, pre, zW, depth, dec) {
	dense(out, rng, pre + '/z_to_initial_state', zW,
	    2 * dec.reduce((a, b) => a + b, 0), GAIN.dense);
	for (let k = 0; k < dec.length; k++)
		lstm(out, rng, `${pre}/multi_rnn_cell/cell_${k}/lstm_cell/`,
		    k === 0 ? depth + zW : dec[k - 1], dec[k],
		    k === 0 ? depth : 0);
	dense(out, rng, pre + '/output_projection', dec[dec.length - 1],
	    depth, GAIN.proj);
}

// Every tensor of a model, names per spec B 6.4, shapes per B 6.5.
function buildTensors(m, layout) {
	const rng = new lib.Rng(m.seed);
	const out = [];
	const bidi = 'bidirectional_rnn/%s/multi_rnn_cell/cell_0/lstm_cell/';
	const hier = m.cond !== undefined;
	let inW = layout.inDepth;

	for (let l = 0; l < m.enc.length; l++) {
		for (const d of ['fw', 'bw']) {
			const pre = (hier ? `encoder/hierarchical_level_${l}/` +
			    'cell_0/' : `encoder/cell_${l}/`) +
			    bidi.replace('%s', d);
			lstm(out, rng, pre, inW, m.enc[l],
			    l === 0 ? inW : 0);
		}
		inW = 2 * m.enc[l];
	}
	dense(out, rng, 'encoder/mu', inW, m.z, GAIN.dense);
	if (!m.noSigma)
		dense(out, rng, 'encoder/sigma', inW, m.z, GAIN.dense);
	let zW = m.z;
	if (hier) {
		dense(out, rng, 'decoder/hierarchical_level_0/initial_state',
		    m.z, 2 * m.cond.reduce((a, b) => a + b, 0), GAIN.dense);
		for (let k = 0; k < m.cond.length; k++)
			lstm(out, rng, `decoder/hierarchical_level_0/cell_${k}/` +
			    'lstm_cell/', k === 0 ? 1 : m.cond[k - 1], m.cond[k]);
		zW = m.cond[m.cond.length - 1];
	}
	const S = layout.outDepth.length;
	for (let s = 0; s < S; s++) {
		let pre = S === 1 ? 'decoder' : `core_decoder_${s}/decoder`;
		if (hier)
			pre = 'core_decoder/' + pre;
		decoder(out, rng, pre, zW, layout.outDepth[s], m.dec);
	}
	return out;
}

// Plausible token sequences: notes, holds, note-offs; sparse drum hits.
function melodyTokens(rng, T) {
	const seq = [];
	let on = false;
	for (let t = 0; t < T; t++) {
		const r = rng.u();
		if (r < 0.35 || t === 0) {
			seq.push(2 + 55 - 21 + rng.int(30));
			on = true;
		} else if (r < 0.45 && on) {
			seq.push(1);
			on = false;
		} else
			seq.push(0);
	}
	return seq;
}

function drumTokens(rng, T) {
	const p = [0.3, 0.25, 0.5, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1];
	const seq = [];
	for (let t = 0; t < T; t++) {
		let lab = 0;
		for (let k = 0; k < 9; k++)
			if (rng.u() < p[k])
				lab |= 1 << k;
		seq.push(lab);
	}
	return seq;
}

function inputTokens(rng, layout, T) {
	if (layout.kind === 'melody')
		return melodyTokens(rng, T);
	if (layout.kind === 'drums')
		return drumTokens(rng, T);
	const mel = melodyTokens(rng, T), bass = melodyTokens(rng, T);
	const dr = drumTokens(rng, T);
	const seq = [];
	for (let t = 0; t < T; t++)
		seq.push(mel[t], bass[t], dr[t]);
	return seq;
}

function inputTensor(layout, seqs, T) {
	const x = new Float32Array(seqs.length * T * layout.inDepth);
	seqs.forEach((s, b) => x.set(lib.tokensToInput(layout, s, T),
	    b * T * layout.inDepth));
	return lib.tf.tensor3d(x, [seqs.length, T, layout.inDepth]);
}

function rows(t) {
	const v = Array.from(t.dataSync());
	const n = t.shape[1], r = [];
	for (let i = 0; i < t.shape[0]; i++)
		r.push(v.slice(i * n, (i + 1) * n));
	return r;
}

async function decodeTokens(model, layout, zt, T) {
	const y = await model.decodeTensors(zt);
	const tok = lib.onehotToTokens(layout, y.dataSync(), zt.shape[0], T);
	y.dispose();
	return tok;
}

function distinct(seqs) {
	return seqs.map((s) => new Set(s).size);
}

// Run magenta.js on the checkpoint in dir and write dir/fixtures.json.
async function record(dir, m, layout) {
	const T = m.config.dataConverter.args.numSteps;
	const rng = new lib.Rng(m.seed * 7 + 1);
	const model = await lib.loadModel(dir);
	const gaps = lib.watchGaps(model);
	const fx = { generator: 'tools/parity/gen.js',
	    magenta: '@magenta/music 1.23.1', tfjs: lib.tf.version.tfjs,
	    backend: lib.tf.getBackend(), model: m.name, num_steps: T,
	    n_splits: layout.outDepth.length, z_size: model.zDims,
	    drums_input: layout.kind === 'drums' ? 'unshifted no-hit bit ' +
		'(latentroll/Python), fed through encodeTensors' : undefined };

	// Encode a batch of inputs.
	const seqs = [];
	if (layout.kind === 'melody' && T === SPEC8.length)
		seqs.push(SPEC8);
	while (seqs.length < 4)
		seqs.push(inputTokens(rng, layout, T));
	const xt = inputTensor(layout, seqs, T);
	const mu = await model.encodeTensors(xt, {});
	fx.encode = seqs.map((s, i) => ({ tokens: s, mu: rows(mu)[i] }));
	xt.dispose();

	// Decode fixed z vectors (one batch), plus the encoded mus.
	// Random z's whose own decode has no near tie (gap >= MIN_GAP);
	// the rejected draws are skipped deterministically.
	const zs = [];
	for (let tries = 0; zs.length < 4 && tries < 100; tries++) {
		const z = [];
		for (let k = 0; k < model.zDims; k++)
			z.push(Math.fround(1.5 * rng.normal()));
		const one = lib.tf.tensor2d([z]);
		gaps.min = Infinity;
		await decodeTokens(model, layout, one, T);
		one.dispose();
		if (gaps.min >= MIN_GAP)
			zs.push(z);
	}
	zs.push(...rows(mu));
	const zt = lib.tf.tensor2d(zs);
	gaps.min = Infinity;
	const toks = await decodeTokens(model, layout, zt, T);
	fx.decode = { min_gap: gaps.min, z: zs, tokens: toks };
	zt.dispose();
	mu.dispose();

	// Interpolate between the first two inputs, 5 points, as magenta.js.
	const it = inputTensor(layout, [seqs[0], seqs[1]], T);
	const ab = await model.encodeTensors(it, {});
	const iz = model.getInterpolatedZs(ab, 5);
	gaps.min = Infinity;
	const y = await model.interpolateTensors(it, 5);
	fx.interpolate = { n: 5, kind: 'lerp', min_gap: gaps.min,
	    a: seqs[0], b: seqs[1], z: rows(iz),
	    tokens: lib.onehotToTokens(layout, y.dataSync(), 5, T) };
	[it, ab, iz, y].forEach((t) => t.dispose());
	model.dispose();

	fs.writeFileSync(path.join(dir, 'fixtures.json'),
	    JSON.stringify(fx) + '\n');
	return { gapDecode: fx.decode.min_gap,
	    gapInterp: fx.interpolate.min_gap,
	    distinct: distinct(fx.decode.tokens) };
}

async function main() {
	const outDir = process.argv[2];
	if (!outDir) {
		console.error('usage: node gen.js OUTDIR');
		process.exit(2);
	}
	const byName = {};
	for (const spec of MODELS) {
		const m = spec.from ? Object.assign({}, byName[spec.from], spec) :
		    spec;
		byName[spec.name] = m;
		const layout = lib.layoutOf(m.config);
		const dir = path.join(outDir, m.name);
		fs.rmSync(dir, { recursive: true, force: true });
		const bytes = lib.writeCheckpoint(dir, m.config,
		    buildTensors(m, layout), { dtype: m.dtype || 'float32',
		    shardBytes: m.shardBytes, suffix: m.suffix });
		const r = await record(dir, m, layout);
		process.stdout.write(`${m.name}: ${bytes} weight bytes, ` +
		    `min top-2 logit gap decode ${r.gapDecode.toExponential(2)}` +
		    ` interp ${r.gapInterp.toExponential(2)}, distinct tokens ` +
		    `per decode ${r.distinct.join(' ')}\n`);
	}
}

main().catch((e) => {
	console.error(`gen.js: ${e.stack || e}`);
	process.exit(1);
});
