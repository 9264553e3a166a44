/**
 * Seeded minibatches for the fused-engine tests: the same numbers as a tensor `Minibatch` (for klip's
 * `ppoUpdateStep`) and as a `FusedMinibatch`. The rollout policy π_rollout is the current policy's logits plus
 * N(0, noise²) per entry, so ratios are far from 1 and clipping, dual clipping and every KL direction matter.
 */
import * as tf from '@tensorflow/tfjs';
import type { Categorical } from '../../src/distributions/categorical.js';
import type { FusedMinibatch } from '../../src/engine/fused_mlp.js';
import type { Policy } from '../../src/policies/types.js';
import type { Rng } from '../../src/random/rng.js';
import type { Minibatch } from '../../src/training/update.js';

/** A minibatch in both forms. */
export interface PairedBatch {
  tensors: Minibatch;
  fused: FusedMinibatch;
}

/**
 * Draw M samples: states uniform over S (one-hot) or observations N(0, 1) (box, `obsDim` floats), actions uniform,
 * advantages N(0, 1), returns N(0, 1), oldValues = V(s) + N(0, 0.3²), π_rollout = softmax(logits(s) + N(0, noise²)).
 */
export function pairedBatch(
  policy: Policy,
  rng: Rng,
  M: number,
  opts: { oneHot: boolean; inDim: number; nActions: number; noise?: number },
): PairedBatch {
  const { inDim: S, nActions: A } = opts;
  const noise = opts.noise ?? 0.5;
  const states = new Int32Array(M);
  const obs = new Float32Array(M * S);
  for (let i = 0; i < M; i++) {
    if (opts.oneHot) {
      states[i] = Math.floor(rng.float() * S);
      obs[i * S + states[i]!] = 1;
    } else for (let j = 0; j < S; j++) obs[i * S + j] = rng.normal();
  }
  const actions = new Int32Array(M);
  for (let i = 0; i < M; i++) actions[i] = Math.floor(rng.float() * A);
  const obsT = tf.tensor2d(obs, [M, S]);
  const [logits, values] = tf.tidy(() => [
    (policy.distribution(obsT) as Categorical).logits().dataSync() as Float32Array,
    policy.value(obsT).dataSync() as Float32Array,
  ]);
  const oldLogits = new Float32Array(M * A);
  const oldLogProb = new Float32Array(M);
  for (let i = 0; i < M; i++) {
    const row = Array.from({ length: A }, (_, a) => logits![i * A + a]! + noise * rng.normal());
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    for (let a = 0; a < A; a++) oldLogits[i * A + a] = row[a]! - lse;
    oldLogProb[i] = oldLogits[i * A + actions[i]!]!;
  }
  const advantages = Float32Array.from({ length: M }, () => rng.normal());
  const returns = Float32Array.from({ length: M }, () => rng.normal());
  const oldValues = Float32Array.from({ length: M }, (_, i) => values![i]! + 0.3 * rng.normal());
  const tensors: Minibatch = {
    obs: obsT,
    actions: tf.tensor1d(actions, 'int32'),
    oldLogProb: tf.tensor1d(oldLogProb),
    advantages: tf.tensor1d(advantages),
    returns: tf.tensor1d(returns),
    oldValues: tf.tensor1d(oldValues),
    oldParams: { kind: 'categorical', logits: tf.tensor2d(oldLogits, [M, A]) },
  };
  const fused: FusedMinibatch = {
    size: M,
    states: opts.oneHot ? states : null,
    obs: opts.oneHot ? null : obs,
    actions,
    oldLogProb,
    advantages,
    returns,
    oldValues,
    oldLogits,
  };
  return { tensors, fused };
}

/** Every tensor of a paired batch. */
export function batchTensors(b: PairedBatch): tf.Tensor[] {
  const t = b.tensors;
  const p = t.oldParams;
  const params = p.kind === 'categorical' ? [p.logits] : [p.mean, p.logStd];
  return [t.obs, t.actions, t.oldLogProb, t.advantages, t.returns, t.oldValues, ...params];
}

/** max_i |a_i − b_i| / max(max_i |b_i|, floor): the error relative to the array's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let d = 0;
  let m = floor;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/**
 * A Gaussian-action minibatch in both forms: π_rollout = N(μ(s) + N(0, noise²), e^{2(ℓ + N(0, (noise/2)²))}) per
 * row, actions drawn from π_rollout, log π_rollout(a|s) in float64 then rounded to float32.
 */
export function pairedGaussianBatch(
  policy: Policy,
  rng: Rng,
  M: number,
  opts: { oneHot: boolean; inDim: number; actionDim: number; noise?: number },
): PairedBatch {
  const { inDim: S, actionDim: D } = opts;
  const noise = opts.noise ?? 0.3;
  const states = new Int32Array(M);
  const obs = new Float32Array(M * S);
  for (let i = 0; i < M; i++) {
    if (opts.oneHot) {
      states[i] = Math.floor(rng.float() * S);
      obs[i * S + states[i]!] = 1;
    } else for (let j = 0; j < S; j++) obs[i * S + j] = rng.normal();
  }
  const obsT = tf.tensor2d(obs, [M, S]);
  const [mean, logStd, values] = tf.tidy(() => {
    const p = policy.distribution(obsT).params() as { mean: tf.Tensor; logStd: tf.Tensor };
    return [
      p.mean.dataSync() as Float32Array,
      p.logStd.dataSync() as Float32Array,
      policy.value(obsT).dataSync() as Float32Array,
    ];
  });
  const oldMean = new Float32Array(M * D);
  const oldLogStd = new Float32Array(M * D);
  const actions = new Float32Array(M * D);
  const oldLogProb = new Float32Array(M);
  for (let i = 0; i < M; i++) {
    let lp = 0;
    for (let d = 0; d < D; d++) {
      const k = i * D + d;
      oldMean[k] = mean![k]! + noise * rng.normal();
      oldLogStd[k] = logStd![k]! + 0.5 * noise * rng.normal();
      actions[k] = oldMean[k]! + Math.exp(oldLogStd[k]!) * rng.normal();
      const z = (actions[k]! - oldMean[k]!) / Math.exp(oldLogStd[k]!);
      lp += -0.5 * z * z - oldLogStd[k]! - 0.5 * Math.log(2 * Math.PI);
    }
    oldLogProb[i] = lp;
  }
  const advantages = Float32Array.from({ length: M }, () => rng.normal());
  const returns = Float32Array.from({ length: M }, () => rng.normal());
  const oldValues = Float32Array.from({ length: M }, (_, i) => values![i]! + 0.3 * rng.normal());
  const tensors: Minibatch = {
    obs: obsT,
    actions: tf.tensor2d(actions, [M, D]),
    oldLogProb: tf.tensor1d(oldLogProb),
    advantages: tf.tensor1d(advantages),
    returns: tf.tensor1d(returns),
    oldValues: tf.tensor1d(oldValues),
    oldParams: { kind: 'diag-gaussian', mean: tf.tensor2d(oldMean, [M, D]), logStd: tf.tensor2d(oldLogStd, [M, D]) },
  };
  const fused: FusedMinibatch = {
    size: M,
    states: opts.oneHot ? states : null,
    obs: opts.oneHot ? null : obs,
    actions,
    oldLogProb,
    advantages,
    returns,
    oldValues,
    oldMean,
    oldLogStd,
  };
  return { tensors, fused };
}
