/**
 * Benchmark: batched categorical KL(p‖q) over 65,536 rows × 16 actions — tfjs on wasm, tfjs on cpu, and a plain
 * `Float32Array` loop, in the same run. The tfjs work includes reading the result back (`await t.data()`).
 * Run: `npx tsx bench/kl.ts [--reps N] [--warmup N] [--json]`, or through `npm run bench -- --only kl`.
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { setBackend, type BackendName } from '../src/backend/backend.js';
import { Categorical } from '../src/distributions/categorical.js';
import { klDivergence } from '../src/kl/exact.js';
import { createRng } from '../src/random/rng.js';
import { parseBenchArgs, runSuite, type BenchCase, type BenchOptions } from './harness.js';

const ROWS = 65_536;
const ACTIONS = 16;
const BENCH = `categorical KL ${ROWS}x${ACTIONS}`;

/** Random logits N(0, 2²) drawn from a seeded Rng. */
function makeLogits(seed: string): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(ROWS * ACTIONS);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.normal();
  return x;
}

/** The plain-loop reference: per row, stable log-softmax of both rows, then Σ p (log p − log q). */
export function plainCategoricalKl(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  actions: number,
  out: Float32Array,
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * actions;
    let mp = -Infinity;
    let mq = -Infinity;
    for (let a = 0; a < actions; a++) {
      if (p[o + a]! > mp) mp = p[o + a]!;
      if (q[o + a]! > mq) mq = q[o + a]!;
    }
    let sp = 0;
    let sq = 0;
    for (let a = 0; a < actions; a++) {
      sp += Math.exp(p[o + a]! - mp);
      sq += Math.exp(q[o + a]! - mq);
    }
    const lzp = mp + Math.log(sp);
    const lzq = mq + Math.log(sq);
    let kl = 0;
    for (let a = 0; a < actions; a++) {
      const lp = p[o + a]! - lzp;
      const pa = Math.exp(lp);
      if (pa > 0) kl += pa * (lp - (q[o + a]! - lzq));
    }
    out[r] = kl;
  }
  return out;
}

function tfCase(backend: BackendName, p: Float32Array, q: Float32Array): BenchCase {
  let pt: tf.Tensor | undefined;
  let qt: tf.Tensor | undefined;
  return {
    bench: BENCH,
    impl: `tfjs-${backend}`,
    work: ROWS,
    unit: 'rows/s',
    setup: async () => {
      await setBackend(backend);
      pt = tf.tensor2d(p, [ROWS, ACTIONS]);
      qt = tf.tensor2d(q, [ROWS, ACTIONS]);
    },
    run: async () => {
      const kl = tf.tidy(() => klDivergence(Categorical.fromLogits(pt!), Categorical.fromLogits(qt!)));
      await kl.data();
      kl.dispose();
    },
    teardown: () => tf.dispose([pt!, qt!]),
  };
}

/** Run the KL benchmark and print rows/s and the ratio to the plain loop. */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  const p = makeLogits('bench-kl/p');
  const q = makeLogits('bench-kl/q');
  const out = new Float32Array(ROWS);
  const cases: BenchCase[] = [
    {
      bench: BENCH,
      impl: 'plain-js',
      work: ROWS,
      unit: 'rows/s',
      run: () => plainCategoricalKl(p, q, ROWS, ACTIONS, out),
    },
    tfCase('wasm', p, q),
    tfCase('cpu', p, q),
  ];
  await runSuite('Batched categorical KL (klDivergence vs a plain Float32Array loop)', cases, opts, {
    baseline: 'plain-js',
    goals: { 'tfjs-wasm': 0.8 },
    notes: [
      'goal: tfjs-wasm ≥ 0.8× the plain loop; tfjs-cpu is expected to be far slower (pure-JS kernels, one op at a time) — it is kept selectable and tested, not fast.',
      'tfjs timings include reading the result back with await t.data().',
    ],
  });
  await setBackend('wasm');
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
