/**
 * The optimize phase of one Trainer update (epochs × minibatches on a `RolloutBuffer`, src/training/trainer.ts)
 * run twice: with klip's tensor minibatches, `ppoUpdateStep` and `Adam`, and with `fusedBatchFromBuffer` and the
 * fused engine. The minibatches agree value for value and the parameters after the update agree within 1e-5.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/backend.js';
import { ShapeError } from '../../src/core/errors.js';
import { FusedRolloutBatch } from '../../src/engine/batch.js';
import { fusedBatchFromBuffer, fusedEngineForPolicy, storePolicyWeights } from '../../src/engine/tfjs_bridge.js';
import { GaussianMlpPolicy } from '../../src/policies/gaussian_mlp.js';
import { MlpPolicy } from '../../src/policies/mlp.js';
import { createRng } from '../../src/random/rng.js';
import { Adam } from '../../src/training/adam.js';
import { minibatchTensors, RolloutBuffer } from '../../src/training/buffer.js';
import type { Rollout } from '../../src/training/rollout.js';
import { ppoUpdateStep, type StepCoefficients } from '../../src/training/update.js';
import { relErr } from './fixtures.js';

const S = 16;
const A = 4;

/** A synthetic rollout of T steps × N envs on S states (time-major), with some terminations. */
function rollout(seed: string, T: number, N: number): Rollout {
  const rng = createRng(seed);
  const B = T * N;
  const terminated = Uint8Array.from({ length: B }, () => (rng.float() < 0.1 ? 1 : 0));
  const bootstrapIndex: number[] = [];
  for (let n = 0; n < N; n++) if (!terminated[(T - 1) * N + n]) bootstrapIndex.push((T - 1) * N + n);
  return {
    T,
    N,
    obsDim: 1,
    actDim: 1,
    obs: Int32Array.from({ length: B }, () => Math.floor(rng.float() * S)),
    actions: Int32Array.from({ length: B }, () => Math.floor(rng.float() * A)),
    rewards: Float64Array.from({ length: B }, () => (rng.float() < 0.2 ? 1 : 0)),
    terminated,
    truncated: new Uint8Array(B),
    bootstrapIndex: Int32Array.from(bootstrapIndex),
    bootstrapObs: Int32Array.from(bootstrapIndex, () => Math.floor(rng.float() * S)),
    episodes: [],
  };
}

beforeAll(async () => {
  await setBackend('wasm');
});

describe('one update, tensor path vs fused path', () => {
  it('minibatches of fusedBatchFromBuffer equal RolloutBuffer.minibatch; parameters agree after 2 epochs × 4 steps', async () => {
    const ref = new MlpPolicy({
      obsSpace: { kind: 'discrete', n: S },
      actionSpace: { kind: 'discrete', n: A },
      hidden: [32, 32],
      rng: createRng('loop-init'),
    });
    const fusedPolicy = ref.clone();
    const engine = fusedEngineForPolicy(fusedPolicy, { eps: 1e-5 });
    const adam = new Adam(ref.trainableVariables, { eps: 1e-5 });
    const coef: StepCoefficients = {
      objective: 'clip+kl',
      clip: 0.2,
      dualClip: null,
      beta: 0.3,
      klEstimator: 'k3',
      entCoef: 0.01,
      vfCoef: 0.5,
      valueClip: 0.2,
      maxGradNorm: 0.5,
      lr: 1e-2,
    };
    const buffer = await RolloutBuffer.fromRollout({
      rollout: rollout('loop', 32, 4),
      policy: ref,
      encoder: ref.encoder,
      gamma: 0.99,
      gaeLambda: 0.95,
      normalizeAdvantages: 'minibatch',
    });
    const data = fusedBatchFromBuffer(buffer, true, 'minibatch');
    const idxRng = createRng('loop-idx');
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const idx of buffer.epochIndices(idxRng, 32)) {
        const mb = buffer.minibatch(idx);
        const fmb = data.minibatch(idx);
        expect(Array.from(fmb.advantages.subarray(0, 32))).toEqual(Array.from(mb.advantages.dataSync()));
        expect(Array.from(fmb.oldLogits!.subarray(0, 32 * A))).toEqual(
          Array.from((mb.oldParams as { logits: tf.Tensor }).logits.dataSync()),
        );
        expect(Array.from(fmb.returns.subarray(0, 32))).toEqual(Array.from(mb.returns.dataSync()));
        const states = Array.from(mb.obs.argMax(-1).dataSync());
        expect(Array.from(fmb.states!.subarray(0, 32))).toEqual(states);
        const r = await ppoUpdateStep({ policy: ref, optimizer: adam, batch: mb, coef });
        const tl = r.scalars.totalLoss.dataSync()[0]!;
        tf.dispose(Object.values(r.scalars));
        tf.dispose(minibatchTensors(mb));
        const f = engine.step(fmb, coef);
        expect(Math.abs(f.scalars.totalLoss - tl)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(tl)));
      }
    }
    storePolicyWeights(engine, fusedPolicy);
    const a = fusedPolicy.getWeights();
    ref.getWeights().forEach((w, i) => expect(relErr(a[i]!.values, w.values), w.name).toBeLessThanOrEqual(1e-5));
    buffer.dispose();
    adam.dispose();
    ref.dispose();
    fusedPolicy.dispose();
  });
});

describe('one update with a Gaussian policy (box observations and actions), tensor path vs fused path', () => {
  it('minibatches agree value for value; parameters agree after 2 epochs × 4 steps', async () => {
    const O = 3;
    const D = 2;
    const ref = new GaussianMlpPolicy({
      obsSpace: { kind: 'box', shape: [O] },
      actionSpace: { kind: 'box', shape: [D] },
      hidden: [16],
      rng: createRng('loop-g-init'),
    });
    const fusedPolicy = ref.clone();
    const engine = fusedEngineForPolicy(fusedPolicy, { eps: 1e-5 });
    const adam = new Adam(ref.trainableVariables, { eps: 1e-5 });
    const coef: StepCoefficients = {
      objective: 'clip+kl',
      clip: 0.2,
      dualClip: null,
      beta: 0.3,
      klEstimator: 'exact',
      entCoef: 0.01,
      vfCoef: 0.5,
      valueClip: null,
      maxGradNorm: 0.5,
      lr: 1e-2,
    };
    const base = rollout('loop-g', 32, 4);
    const r = createRng('loop-g-floats');
    const B = 128;
    const ro: Rollout = {
      ...base,
      obsDim: O,
      actDim: D,
      obs: Float64Array.from({ length: B * O }, () => r.normal()),
      actions: Float64Array.from({ length: B * D }, () => r.normal()),
      bootstrapObs: Float64Array.from({ length: base.bootstrapIndex.length * O }, () => r.normal()),
    };
    const buffer = await RolloutBuffer.fromRollout({
      rollout: ro,
      policy: ref,
      encoder: ref.encoder,
      gamma: 0.99,
      gaeLambda: 0.95,
      normalizeAdvantages: 'minibatch',
    });
    const data = fusedBatchFromBuffer(buffer, false, 'minibatch');
    const idxRng = createRng('loop-g-idx');
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const idx of buffer.epochIndices(idxRng, 32)) {
        const mb = buffer.minibatch(idx);
        const fmb = data.minibatch(idx);
        const p = mb.oldParams as { mean: tf.Tensor; logStd: tf.Tensor };
        expect(Array.from(fmb.actions.subarray(0, 32 * D))).toEqual(Array.from(mb.actions.dataSync()));
        expect(Array.from(fmb.oldMean!.subarray(0, 32 * D))).toEqual(Array.from(p.mean.dataSync()));
        expect(Array.from(fmb.oldLogStd!.subarray(0, 32 * D))).toEqual(Array.from(p.logStd.dataSync()));
        expect(Array.from(fmb.obs!.subarray(0, 32 * O))).toEqual(Array.from(mb.obs.dataSync()));
        const res = await ppoUpdateStep({ policy: ref, optimizer: adam, batch: mb, coef });
        const tl = res.scalars.totalLoss.dataSync()[0]!;
        tf.dispose(Object.values(res.scalars));
        tf.dispose(minibatchTensors(mb));
        const f = engine.step(fmb, coef);
        expect(Math.abs(f.scalars.totalLoss - tl)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(tl)));
      }
    }
    storePolicyWeights(engine, fusedPolicy);
    const a = fusedPolicy.getWeights();
    ref.getWeights().forEach((w, i) => expect(relErr(a[i]!.values, w.values), w.name).toBeLessThanOrEqual(1e-5));
    buffer.dispose();
    adam.dispose();
    ref.dispose();
    fusedPolicy.dispose();
  });
});

describe('FusedRolloutBatch: bad input', () => {
  const arrays = () => ({
    states: Int32Array.from([0, 1, 2]),
    obs: null,
    actions: Int32Array.from([0, 1, 0]),
    oldLogProb: new Float32Array(3),
    oldValues: new Float32Array(3),
    returns: new Float32Array(3),
    oldLogits: new Float32Array(6),
    policyAdvantages: new Float64Array(3),
    normalization: 'none' as const,
  });
  it('names the array whose length disagrees, and a bad row index', () => {
    expect(() => new FusedRolloutBatch({ ...arrays(), returns: new Float32Array(2) })).toThrowError(ShapeError);
    expect(() => new FusedRolloutBatch({ ...arrays(), returns: new Float32Array(2) })).toThrowError(/returns/);
    expect(() => new FusedRolloutBatch({ ...arrays(), oldLogits: new Float32Array(7) })).toThrowError(/oldLogits/);
    expect(() => new FusedRolloutBatch({ ...arrays(), states: new Int32Array(2) })).toThrowError(/states/);
    const b = new FusedRolloutBatch(arrays());
    expect(() => b.minibatch(Int32Array.from([0, 3]))).toThrowError(/idx\[1\]/);
    expect(() => b.minibatch(new Int32Array(0))).toThrowError(/idx/);
    expect(b.minibatch(Int32Array.from([2, 0])).states!.subarray(0, 2)).toEqual(Int32Array.from([2, 0]));
  });
});
