// lib.js: shared helpers for the magenta.js parity tools.
//
// - a seeded PRNG (mulberry32) so the random checkpoints are reproducible
//   byte for byte without depending on Math.random;
// - a writer for the magenta.js checkpoint format (config.json,
//   weights_manifest.json, shards; float32 or uint8/uint16 quantized the way
//   tfjs-converter quantizes: affine, zero nudged to be exact);
// - a loopback HTTP server (magenta.js loads checkpoints with fetch; it must
//   answer with "Connection: close" or Node keeps the process alive);
// - loading a MusicVAE from a directory and converting latentroll token
//   sequences (T, S) to the one-hot / drum-roll tensors magenta.js eats.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

// magenta.js logs progress with console.log; keep stdout for our JSON.
console.log = console.error;
const tf = require('@tensorflow/tfjs');
const mvae = require('@magenta/music/node/music_vae');

function mulberry32(seed) {
	let a = seed >>> 0;
	return function () {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// Seeded generator with uniform, integer and normal draws.
class Rng {
	constructor(seed) {
		this.u = mulberry32(seed);
	}
	uniform(lo, hi) {
		return lo + (hi - lo) * this.u();
	}
	int(n) {
		return Math.floor(this.u() * n);
	}
	normal() {
		// Box-Muller; 1 - u keeps log() away from 0.
		const u1 = 1 - this.u(), u2 = this.u();
		return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
	}
}

// Affine quantization as tfjs-converter's quantization.py does it.
function quantize(data, bits) {
	const qmax = Math.pow(2, bits) - 1;
	let lo = Infinity, hi = -Infinity;
	for (const x of data) {
		lo = Math.min(lo, x);
		hi = Math.max(hi, x);
	}
	// The range must contain 0 so that 0 is exactly representable.
	lo = Math.min(lo, 0);
	hi = Math.max(hi, 0);
	let scale = (hi - lo) / qmax;
	if (scale === 0)
		scale = 1;
	const zp = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
	const nmin = -zp * scale, nmax = nmin + qmax * scale;
	const q = bits === 8 ? new Uint8Array(data.length) :
	    new Uint16Array(data.length);
	for (let i = 0; i < data.length; i++) {
		const c = Math.min(nmax, Math.max(nmin, data[i]));
		q[i] = Math.round((c - nmin) / scale);
	}
	return { q, min: nmin, scale };
}

// Write a checkpoint.  tensors: [{name, shape, data: Float32Array}].
// opts: dtype 'float32'|'uint16'|'uint8', shardBytes, suffix ('' or '.bin').
function writeCheckpoint(dir, config, tensors, opts) {
	const dtype = opts.dtype || 'float32';
	const shardBytes = opts.shardBytes || 4 * 1024 * 1024;
	const suffix = opts.suffix || '';
	const parts = [], weights = [];

	fs.mkdirSync(dir, { recursive: true });
	for (const t of tensors) {
		const w = { name: t.name, shape: t.shape, dtype: 'float32' };
		if (dtype === 'float32') {
			parts.push(Buffer.from(t.data.buffer, t.data.byteOffset,
			    t.data.byteLength));
		} else {
			const r = quantize(t.data, dtype === 'uint8' ? 8 : 16);
			w.quantization = { min: r.min, scale: r.scale,
			    dtype: dtype };
			// Little-endian on every machine we run on; be explicit.
			const b = Buffer.alloc(r.q.length * r.q.BYTES_PER_ELEMENT);
			for (let i = 0; i < r.q.length; i++) {
				if (dtype === 'uint8')
					b.writeUInt8(r.q[i], i);
				else
					b.writeUInt16LE(r.q[i], 2 * i);
			}
			parts.push(b);
		}
		weights.push(w);
	}
	const all = Buffer.concat(parts);
	const n = Math.max(1, Math.ceil(all.length / shardBytes));
	const paths = [];
	for (let k = 0; k < n; k++) {
		const name = `group1-shard${k + 1}of${n}${suffix}`;
		fs.writeFileSync(path.join(dir, name),
		    all.subarray(k * shardBytes, (k + 1) * shardBytes));
		paths.push(name);
	}
	fs.writeFileSync(path.join(dir, 'weights_manifest.json'),
	    JSON.stringify([{ paths, weights }], null, 1) + '\n');
	fs.writeFileSync(path.join(dir, 'config.json'),
	    JSON.stringify(config, null, 1) + '\n');
	return all.length;
}

// Serve dir on 127.0.0.1 (random port); resolves to {url, close}.
function serve(dir) {
	const server = http.createServer((req, res) => {
		const rel = decodeURIComponent(req.url.split('?')[0]);
		const file = path.join(dir, path.normalize(rel));
		if (!file.startsWith(path.resolve(dir)) ||
		    !fs.existsSync(file) || !fs.statSync(file).isFile()) {
			res.writeHead(404, { Connection: 'close' });
			res.end();
			return;
		}
		const body = fs.readFileSync(file);
		res.writeHead(200, { 'Content-Length': body.length,
		    'Content-Type': 'application/octet-stream',
		    Connection: 'close' });
		res.end(body);
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			const port = server.address().port;
			resolve({ url: `http://127.0.0.1:${port}`,
			    close: () => new Promise((r) => server.close(r)) });
		});
	});
}

let backendReady = null;

// Load a MusicVAE from a local checkpoint directory over loopback HTTP.
async function loadModel(dir) {
	if (backendReady === null)
		backendReady = tf.setBackend('cpu');
	await backendReady;
	const srv = await serve(path.resolve(dir));
	const model = new mvae.MusicVAE(srv.url);
	try {
		await model.initialize();
	} finally {
		await srv.close();
	}
	return model;
}

// What a converter spec means for tokens: splits and their depths.
function layoutOf(config) {
	const conv = config.dataConverter;
	switch (conv.type) {
	case 'MelodyConverter':
		return { kind: 'melody', outDepth: [90], inDepth: 90 };
	case 'DrumsConverter':
		return { kind: 'drums', outDepth: [512], inDepth: 10 };
	case 'TrioConverter':
		return { kind: 'trio', outDepth: [90, 90, 512], inDepth: 692 };
	default:
		throw new Error(`config.json: unsupported converter ${conv.type}`);
	}
}

// Encoder input for one sequence of tokens (T*S ints, (T, S) order), as
// latentroll builds it: one-hot per split; for drums the 10-wide roll with
// the "no hit" bit on the SAME step (Python Magenta; magenta.js's own
// DrumsConverter.toTensor puts it on the previous step).
function tokensToInput(layout, tokens, T) {
	const S = layout.outDepth.length;
	const x = new Float32Array(T * layout.inDepth);
	for (let t = 0; t < T; t++) {
		const row = t * layout.inDepth;
		if (layout.kind === 'drums') {
			const lab = tokens[t];
			for (let k = 0; k < 9; k++)
				if (lab & (1 << k))
					x[row + k] = 1;
			if (lab === 0)
				x[row + 9] = 1;
			continue;
		}
		let off = 0;
		for (let s = 0; s < S; s++) {
			x[row + off + tokens[t * S + s]] = 1;
			off += layout.outDepth[s];
		}
	}
	return x;
}

// Argmax tokens (B, T, S) from a decoded one-hot tensor [B, T, sum depth].
function onehotToTokens(layout, data, B, T) {
	const S = layout.outDepth.length;
	const D = layout.outDepth.reduce((a, b) => a + b, 0);
	const out = [];
	for (let b = 0; b < B; b++) {
		const seq = [];
		for (let t = 0; t < T; t++) {
			let off = (b * T + t) * D;
			for (let s = 0; s < S; s++) {
				let best = 0;
				for (let k = 1; k < layout.outDepth[s]; k++)
					if (data[off + k] > data[off + best])
						best = k;
				seq.push(best);
				off += layout.outDepth[s];
			}
		}
		out.push(seq);
	}
	return out;
}

// Wrap every categorical decoder's sample() to record the smallest gap
// between the two largest logits (how close an argmax came to a tie).
function watchGaps(model) {
	const st = { min: Infinity };
	const decs = [];
	const d = model.decoder;
	if (d.splitDecoder)
		decs.push(...d.splitDecoder.coreDecoders);
	else if (d.coreDecoders)
		decs.push(...d.coreDecoders);
	else
		decs.push(d);
	for (const dec of decs) {
		const orig = dec.sample.bind(dec);
		dec.sample = (logits, temp) => {
			const v = logits.dataSync(), n = logits.shape[1];
			for (let r = 0; r < logits.shape[0]; r++) {
				let a = -Infinity, b = -Infinity;
				for (let k = 0; k < n; k++) {
					const x = v[r * n + k];
					if (x > a) {
						b = a;
						a = x;
					} else if (x > b)
						b = x;
				}
				st.min = Math.min(st.min, a - b);
			}
			return orig(logits, temp);
		};
	}
	return st;
}

module.exports = { tf, mvae, Rng, quantize, writeCheckpoint, serve,
    loadModel, layoutOf, tokensToInput, onehotToTokens, watchGaps };
