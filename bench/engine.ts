/**
 * Fused engine speed: samples/s of one PPO minibatch step (loss, gradients, grad clip, Adam, per-step KL) with
 * CleanRL `ppo.py` coefficients, MLP 64-64 tanh on FrozenLake 4×4 one-hot observations (16 states, 4 actions), at
 * B = 256 and 2048. Implementations: klip's `ppoUpdateStep` on tfjs-wasm, the fused engine without and with
 * distinct-state reuse, and the drop-in `fusedUpdateStep` (reads the tensor minibatch, writes the weights back).
 *
 * The implementations run in interleaved rounds in one process (round k times every implementation once), so a
 * load change on the shared machine hits all of them; the ratios are medians of the per-round ratios.
 * Usage: `npx tsx bench/engine.ts [--reps N] [--warmup N] [--json]`.
 */
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setBackend } from '../src/backend/backend.js';
import type { Categorical } from '../src/distributions/categorical.js';
import type { FusedMinibatch } from '../src/engine/fused_mlp.js';
import { fusedEngineForPolicy, fusedUpdateStep } from '../src/engine/tfjs_bridge.js';
import { MlpPolicy } from '../src/policies/mlp.js';
import { createRng } from '../src/random/rng.js';
import { Adam } from '../src/training/adam.js';
import { type Minibatch, ppoUpdateStep, type StepCoefficients } from '../src/training/update.js';
import { type BenchOptions, parseBenchArgs } from './harness.js';

const S = 16;
const A = 4;
const COEF: StepCoefficients = {
  objective: 'clip',
  clip: 0.2,
  dualClip: null,
  beta: 0,
  klEstimator: 'k3',
  entCoef: 0.01,
  vfCoef: 0.5,
  valueClip: 0.2,
  maxGradNorm: 0.5,
  lr: 2.5e-4,
};

function policy(): MlpPolicy {
  return new MlpPolicy({
    obsSpace: { kind: 'discrete', n: S },
    actionSpace: { kind: 'discrete', n: A },
    hidden: [64, 64],
    rng: createRng('bench-engine'),
  });
}

/** A minibatch of B uniform states with the policy's own log-probabilities and values as the rollout's. */
function minibatch(p: MlpPolicy, B: number): { tensors: Minibatch; fused: FusedMinibatch } {
  const rng = createRng(`bench-engine-${B}`);
  const states = Int32Array.from({ length: B }, () => Math.floor(rng.float() * S));
  const actions = Int32Array.from({ length: B }, () => Math.floor(rng.float() * A));
  const obs = p.encoder.encode(states);
  const [oldLogits, oldValues] = tf.tidy(() => [
    (p.distribution(obs) as Categorical).logits().dataSync() as Float32Array,
    p.value(obs).dataSync() as Float32Array,
  ]);
  const oldLogProb = Float32Array.from({ length: B }, (_, i) => oldLogits![i * A + actions[i]!]!);
  const advantages = Float32Array.from({ length: B }, () => rng.normal());
  const returns = Float32Array.from({ length: B }, () => rng.normal());
  return {
    tensors: {
      obs,
      actions: tf.tensor1d(actions, 'int32'),
      oldLogProb: tf.tensor1d(oldLogProb),
      advantages: tf.tensor1d(advantages),
      returns: tf.tensor1d(returns),
      oldValues: tf.tensor1d(oldValues!),
      oldParams: { kind: 'categorical', logits: tf.tensor2d(oldLogits!, [B, A]) },
    },
    fused: {
      size: B,
      states,
      obs: null,
      actions,
      oldLogProb,
      advantages,
      returns,
      oldValues: oldValues!,
      oldLogits: oldLogits!,
    },
  };
}

interface Impl {
  name: string;
  /** Steps per timed call. */
  steps: number;
  run: () => Promise<void> | void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function benchAt(B: number, opts: BenchOptions): Promise<void> {
  const pTf = policy();
  const pFused = policy();
  const pDrop = policy();
  const adam = new Adam(pTf.trainableVariables, { eps: 1e-5 });
  const eNoReuse = fusedEngineForPolicy(pFused, { eps: 1e-5 });
  const eReuse = fusedEngineForPolicy(pFused, { eps: 1e-5 });
  const eDrop = fusedEngineForPolicy(pDrop, { eps: 1e-5 });
  const mb = minibatch(pTf, B);
  const scale = B === 256 ? 1 : 0.25;
  const impls: Impl[] = [
    {
      name: 'tfjs-wasm ppoUpdateStep',
      steps: Math.max(2, Math.round(20 * scale)),
      run: async () => {
        const r = await ppoUpdateStep({ policy: pTf, optimizer: adam, batch: mb.tensors, coef: COEF });
        tf.dispose(Object.values(r.scalars));
      },
    },
    {
      name: 'fused',
      steps: Math.max(2, Math.round(60 * scale)),
      run: () => {
        eNoReuse.step(mb.fused, COEF, { reuse: false });
      },
    },
    {
      name: 'fused+reuse',
      steps: Math.max(2, Math.round(1500 * scale * scale)),
      run: () => {
        eReuse.step(mb.fused, COEF, { reuse: true });
      },
    },
    {
      name: 'fusedUpdateStep (drop-in)',
      steps: Math.max(2, Math.round(150 * scale)),
      run: async () => {
        const r = await fusedUpdateStep({ policy: pDrop, engine: eDrop, batch: mb.tensors, coef: COEF });
        tf.dispose(Object.values(r.scalars));
      },
    },
  ];
  const time = async (impl: Impl): Promise<number> => {
    const t0 = performance.now();
    for (let k = 0; k < impl.steps; k++) await impl.run();
    return (impl.steps * B) / ((performance.now() - t0) / 1000);
  };
  for (let w = 0; w < opts.warmup; w++) for (const impl of impls) await time(impl);
  const rates = impls.map(() => [] as number[]);
  for (let r = 0; r < opts.reps; r++) for (let i = 0; i < impls.length; i++) rates[i]!.push(await time(impls[i]!));
  const base = rates[0]!;
  const rows = impls.map((impl, i) => {
    const ratios = rates[i]!.map((x, r) => x / base[r]!);
    return {
      impl: impl.name,
      median: median(rates[i]!),
      min: Math.min(...rates[i]!),
      max: Math.max(...rates[i]!),
      ratio: median(ratios),
    };
  });
  if (opts.json) {
    for (const r of rows)
      process.stdout.write(`${JSON.stringify({ bench: `ppo step B=${B}`, ...r, unit: 'samples/s' })}\n`);
  } else {
    console.log(`\nPPO minibatch step, MLP 64-64 tanh, one-hot 16 states, B = ${B} (${opts.reps} interleaved rounds)`);
    for (const r of rows) {
      const k = (x: number): string => `${(x / 1e3).toFixed(1)} k`;
      console.log(
        `${r.impl.padEnd(28)} ${k(r.median).padStart(10)} samples/s  (${k(r.min)} – ${k(r.max)})  ${r.ratio.toFixed(2)}× tfjs`,
      );
    }
  }
  tf.dispose(Object.values(mb.tensors).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
  tf.dispose((mb.tensors.oldParams as { logits: tf.Tensor }).logits);
  adam.dispose();
  for (const p of [pTf, pFused, pDrop]) p.dispose();
}

/** Run the benchmark at B = 256 and 2048. */
export async function main(opts: BenchOptions = parseBenchArgs()): Promise<void> {
  await setBackend('wasm');
  for (const B of [256, 2048]) await benchAt(B, opts);
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
