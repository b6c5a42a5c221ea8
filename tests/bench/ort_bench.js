#!/usr/bin/env node
// ONNX Runtime's speed on the networks torch_bench measures: the inference rows only.
//   node ort_bench.js --manifest FILE [--seconds X] [--steps N] [--core-gflops C]
// FILE: tests/bench/onnx_export.py's lines "arch width size batch threads model.onnx",
// the ONNX of torch_bench's networks (same weights) with, beside each, torch_bench's input
// (.in.f32), PyTorch's logits for it (.out.f32) and the multiply-adds of one forward
// (.macs). Each model runs on onnxruntime-node's CPU execution provider with
// intraOpNumThreads = the row's threads, interOpNumThreads 1, sequential execution,
// graphOptimizationLevel 'all'; one warm-up run, whose logits are checked against
// PyTorch's (a '# ort check' line; exit 1 past the tolerance), then runs timed for
// --seconds (at least one), or exactly --steps. Rows in nn_bench's layout with a trailing
// `ort` tag; cam and train are not measured (ORT has no backward here): no rows for them.
// torch_bench's other arguments are accepted and ignored, so that run.sh can pass the
// same ones to every benchmark. onnxruntime-node comes from NODE_PATH (run.sh sets it to
// build/onnx/node_modules, where `make bench-deps` installs it).
'use strict';
const fs = require('fs');

const TOL = 1e-4; // max |ort - torch| allowed, relative to max(1, max |torch|)

function usage(msg) {
  if (msg) console.error(`ort_bench: ${msg}`);
  console.error('usage: ort_bench.js --manifest FILE [--seconds X] [--steps N] [--core-gflops C]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { manifest: null, seconds: 2, steps: 0, coreGflops: 0 };
  const ignoredWithValue = new Set(['--arch', '--width', '--size', '--batch', '--mode',
    '--threads', '--batches', '--device']);
  const ignoredFlags = new Set(['--profile', '--profile-cpu', '--no-peak', '--tf32']);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    const num = () => {
      const x = Number(v);
      if (v === undefined || !Number.isFinite(x)) usage(`${k} wants a number`);
      i++;
      return x;
    };
    if (k === '--manifest') { if (v === undefined) usage('--manifest wants a file'); a.manifest = v; i++; }
    else if (k === '--seconds') a.seconds = num();
    else if (k === '--steps') a.steps = num();
    else if (k === '--core-gflops') a.coreGflops = num();
    else if (ignoredWithValue.has(k)) i++;
    else if (ignoredFlags.has(k)) { /* nn_bench's or torch_bench's: nothing to do here */ }
    else usage(`unknown argument ${k}`);
  }
  if (!a.manifest) usage('--manifest is needed');
  return a;
}

function readF32(file) {
  const b = fs.readFileSync(file);
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(4 * i);
  return out;
}

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function row(ort, a, job) {
  const [arch, width, size, batch, threads, model] = job;
  const base = model.replace(/\.onnx$/, '');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const x = new ort.Tensor('float32', readF32(`${base}.in.f32`), [batch, 1, size, size]);
  const want = readF32(`${base}.out.f32`);
  const macs = Number(fs.readFileSync(`${base}.macs`, 'utf8'));
  const feeds = { [session.inputNames[0]]: x };
  const out = session.outputNames[0];

  // warm-up (first allocations) and the check against PyTorch's logits
  const z = (await session.run(feeds))[out].data;
  if (z.length !== want.length) throw new Error(`${model}: ${z.length} logits, torch has ${want.length}`);
  let diff = 0, mag = 0;
  for (let i = 0; i < z.length; i++) {
    diff = Math.max(diff, Math.abs(z[i] - want[i]));
    mag = Math.max(mag, Math.abs(want[i]));
  }
  const ok = diff <= TOL * Math.max(1, mag);
  console.log(`# ort check ${arch} ${width} ${size} ${batch}: max |ort - torch| = ${diff.toExponential(2)}` +
              ` over ${z.length} logits (max |torch| = ${mag.toFixed(3)})${ok ? '' : ' DISAGREES'}`);

  let steps = 0;
  const t0 = process.hrtime.bigint(), c0 = cpuSeconds();
  for (;;) {
    await session.run(feeds);
    steps++;
    if (a.steps > 0 ? steps >= a.steps : Number(process.hrtime.bigint() - t0) / 1e9 >= a.seconds) break;
  }
  const dt = Number(process.hrtime.bigint() - t0) / 1e9, dc = cpuSeconds() - c0;
  await session.release();
  const flop = 2 * macs * steps;
  const peak = a.coreGflops > 0 ? `${(100 * flop / dc / 1e9 / a.coreGflops).toFixed(1)}%`.padStart(7)
                                : '-'.padStart(7);
  console.log(`${arch.padEnd(10)} ${String(width).padStart(5)} ${String(size).padStart(5)} ` +
              `${String(batch).padStart(5)} ${'infer'.padEnd(6)} ${(steps * batch / dt).toFixed(2).padStart(10)} ` +
              `${(flop / dt / 1e9).toFixed(1).padStart(8)} ${(steps * batch / dc).toFixed(2).padStart(10)} ` +
              `${peak} ${String(threads).padStart(7)} ort`);
  return ok;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    console.error('ort_bench: onnxruntime-node is not installed (make bench-deps)');
    return 1;
  }
  const jobs = fs.readFileSync(a.manifest === '-' ? 0 : a.manifest, 'utf8').split('\n')
    .map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
      const f = l.split(/\s+/);
      if (f.length !== 6) usage(`manifest line "${l}" has ${f.length} fields, not 6`);
      return [f[0], Number(f[1]), Number(f[2]), Number(f[3]), Number(f[4]), f[5]];
    });
  const threads = [...new Set(jobs.map((j) => j[4]))].join(',') || '-';
  console.log(`onnxruntime-node ${ort.env.versions.node} (CPU execution provider) on ${threads} intra-op ` +
              `threads, 1 inter-op; graph optimisation 'all'; models from onnx_export.py`);
  console.log(`${'arch'.padEnd(10)} ${'width'.padStart(5)} ${'size'.padStart(5)} ${'batch'.padStart(5)} ` +
              `${'mode'.padEnd(6)} ${'images/s'.padStart(10)} ${'GFLOP/s'.padStart(8)} ` +
              `${'img/cpu-s'.padStart(10)} ${'%peak'.padStart(7)} ${'threads'.padStart(7)}`);
  let ok = true;
  for (const job of jobs) ok = (await row(ort, a, job)) && ok;
  return ok ? 0 : 1;
}

main().then((rc) => { process.exitCode = rc; }, (e) => {
  console.error(`ort_bench: ${e && e.message ? e.message : e}`);
  process.exitCode = 1;
});
