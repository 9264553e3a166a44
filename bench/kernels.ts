/**
 * The fused engine's WebAssembly SIMD kernels against its JavaScript loops, which give bitwise the same results:
 * dense forward (the product, no activation) and backward (float64, 256 rows, the shapes of a 64-64 MLP on a 16-wide float observation) and
 * one Adam step over the 140 k parameters of the actor and critic of a 64-64 MLP on a 32×32 grid, and tanh (against
 * its scalar twin and against `Math.tanh`). Reports GFLOP/s (dense: 2 flops per multiply-add; backward counts ∂W
 * and ∂x) or ns per parameter or value, and the speed-up.
 *
 * The two sides alternate in interleaved rounds in one process; the speed-up is the median of per-round ratios.
 * Usage: `npx tsx bench/kernels.ts [--reps N] [--warmup N] [--json]`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { FusedAdam } from '../src/engine/adam.js';
import { denseBackward, denseForward } from '../src/engine/dense.js';
import { setWasmAdamEnabled } from '../src/engine/wasm/adam_kernel.js';
import { setWasmDenseEnabled } from '../src/engine/wasm/dense_kernel.js';
import { setWasmTanhEnabled, tanhF64, tanhInPlace, wasmTanhAvailable } from '../src/engine/wasm/tanh_kernel.js';
import { createRng } from '../src/random/rng.js';
import { type BenchOptions, parseBenchArgs } from './harness.js';

interface Case {
  name: string;
  unit: string;
  /** Work per call in the unit's numerator (flops or parameters). */
  work: number;
  /** Build a call for one side (wasm on or off); the build runs with that side enabled. */
  make(): () => void;
  /** Higher is better (GFLOP/s) or lower is better (ns/param). */
  rate(work: number, ms: number): number;
  higherIsBetter: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function denseCase(n: number, inDim: number, outDim: number, backward: boolean): Case {
  const rng = createRng(`kernels-${n}-${inDim}-${outDim}`);
  const W = Float32Array.from({ length: inDim * outDim }, () => 0.3 * rng.normal());
  const b = Float32Array.from({ length: outDim }, () => 0.1 * rng.normal());
  const x = Float64Array.from({ length: n * inDim }, () => rng.normal());
  const y = Float64Array.from({ length: n * outDim }, () => Math.tanh(rng.normal()));
  const d0 = Float64Array.from({ length: n * outDim }, () => rng.normal());
  const flops = (backward ? 4 : 2) * n * inDim * outDim;
  return {
    name: `dense ${backward ? 'backward' : 'forward'} ${n} × ${inDim} → ${outDim}`,
    unit: 'GFLOP/s',
    work: flops,
    higherIsBetter: true,
    rate: (work, ms) => work / ms / 1e6,
    make() {
      const out = new Float64Array(n * outDim);
      const d = new Float64Array(n * outDim);
      const gW = new Float64Array(inDim * outDim);
      const gb = new Float64Array(outDim);
      const dIn = new Float64Array(n * inDim);
      return backward
        ? () => {
            d.set(d0);
            denseBackward(n, inDim, outDim, W, x, null, y, 1, d, gW, gb, dIn, false);
          }
        : () => denseForward(n, inDim, outDim, W, b, x, null, out, 0);
    },
  };
}

function adamCase(): Case {
  // Actor and critic of a 64-64 MLP on 1024 one-hot states with 4 actions.
  const sizes = [1024 * 64, 64, 64 * 64, 64, 64 * 4, 4, 1024 * 64, 64, 64 * 64, 64, 64, 1];
  const rng = createRng('kernels-adam');
  const grads = sizes.map((n) => Float64Array.from({ length: n }, () => 0.01 * rng.normal()));
  const total = sizes.reduce((s, n) => s + n, 0);
  return {
    name: `Adam step, ${(total / 1000).toFixed(0)} k parameters`,
    unit: 'ns/param',
    work: total,
    higherIsBetter: false,
    rate: (work, ms) => (ms * 1e6) / work,
    make() {
      const params = sizes.map((n) => Float32Array.from({ length: n }, () => 0.1 * rng.normal()));
      const adam = new FusedAdam(sizes, { eps: 1e-5 });
      return () => adam.apply(params, grads, 1, 2.5e-4);
    },
  };
}

/**
 * tanh over 16 k values in [−3, 3]: the kernel (`tanhInPlace`) against a JavaScript loop of `tanhF64` (its bitwise
 * twin) or of `Math.tanh` (what the engine used before, not bitwise the same).
 */
function tanhCase(js: 'tanhF64' | 'Math.tanh'): Case {
  const rng = createRng('kernels-tanh');
  const src = Float64Array.from({ length: 16384 }, () => 6 * rng.float() - 3);
  const a = new Float64Array(src.length);
  const f = js === 'tanhF64' ? tanhF64 : Math.tanh;
  return {
    name: `tanh of 16 k values, JavaScript = ${js}`,
    unit: 'ns/value',
    work: src.length,
    make: () => {
      const on = wasmTanhAvailable();
      return () => {
        a.set(src);
        if (on) tanhInPlace(a, 0, a.length);
        else for (let i = 0; i < a.length; i++) a[i] = f(a[i]!);
      };
    },
    rate: (work, ms) => (ms * 1e6) / work,
    higherIsBetter: false,
  };
}

function setWasm(on: boolean): void {
  setWasmAdamEnabled(on);
  setWasmDenseEnabled(on);
  setWasmTanhEnabled(on);
}

/** Time `calls` calls of `fn` (ms). */
function time(fn: () => void, calls: number): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return performance.now() - t0;
}

/** Run the kernel benchmark. */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const rounds = Math.max(3, Math.min(opts.reps, 9));
  const cases = [
    denseCase(256, 16, 64, false),
    denseCase(256, 64, 64, false),
    denseCase(256, 16, 64, true),
    denseCase(256, 64, 64, true),
    adamCase(),
    tanhCase('tanhF64'),
    tanhCase('Math.tanh'),
  ];
  const rows = [];
  for (const c of cases) {
    const fns = [false, true].map((on) => {
      setWasm(on);
      const fn = c.make();
      return () => {
        setWasm(on);
        fn();
      };
    });
    const calls = Math.max(5, Math.ceil(3e7 / c.work));
    for (let w = 0; w < Math.max(opts.warmup, 2); w++) for (const fn of fns) time(fn, calls);
    const js: number[] = [];
    const wasm: number[] = [];
    for (let r = 0; r < rounds; r++) {
      js.push(c.rate(c.work * calls, time(fns[0]!, calls)));
      wasm.push(c.rate(c.work * calls, time(fns[1]!, calls)));
    }
    const speedup = median(js.map((j, i) => (c.higherIsBetter ? wasm[i]! / j : j / wasm[i]!)));
    rows.push({ name: c.name, unit: c.unit, js: median(js), wasm: median(wasm), speedup });
  }
  setWasm(true);
  if (opts.json) {
    for (const r of rows) process.stdout.write(`${JSON.stringify({ bench: 'kernels', ...r })}\n`);
    return;
  }
  console.log(`\nFused-engine kernels: WebAssembly SIMD vs JavaScript (${rounds} interleaved rounds, medians)\n`);
  console.log('| kernel | unit | JavaScript | WebAssembly SIMD | speed-up |');
  console.log('|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.name} | ${r.unit} | ${r.js.toFixed(2)} | ${r.wasm.toFixed(2)} | ${r.speedup.toFixed(2)}× |`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
