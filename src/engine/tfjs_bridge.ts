/**
 * The bridge between the fused engine and klip's tensor world: build an engine for a policy, move weights between
 * the engine and the policy's tfjs variables, read a tensor `Minibatch` into typed arrays, and
 * {@link fusedUpdateStep}, a drop-in for `ppoUpdateStep` (`src/training/update.ts`) with the same arguments (the
 * engine in place of the tensor Adam) and the same result (kept scalar tensors).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { Activation, Policy } from '../policies/types.js';
import type { AdamOptions } from '../training/adam.js';
import type { RolloutBuffer } from '../training/buffer.js';
import type { Minibatch, StepCoefficients, StepScalars } from '../training/update.js';
import { FusedRolloutBatch } from './batch.js';
import { type FusedMinibatch, FusedPpoEngine, type FusedStepScalars } from './fused_mlp.js';
import type { RolloutForward } from './rollout_eval.js';

/** The engine's record of the policy version it last loaded or stored, per engine. */
const seenVersion = new WeakMap<FusedPpoEngine, { policy: Policy; version: number }>();

/**
 * A fused engine for `policy` (an `MlpPolicy`, `GaussianMlpPolicy` or `TabularPolicy` with a critic), loaded with its current
 * weights. The Adam state starts at zero like a new `Adam`; restore a saved one with `engine.adam.setState(state)`.
 * @param policy The policy to train.
 * @param adam Adam hyper-parameters (as `new Adam(policy.trainableVariables, adam)`).
 * @returns The engine.
 * @throws ConfigError for a frozen or critic-less policy.
 * @example
 * ```ts
 * const engine = fusedEngineForPolicy(policy, { eps: 1e-5 });
 * ```
 */
export function fusedEngineForPolicy(policy: Policy, adam: AdamOptions = {}): FusedPpoEngine {
  const fn = 'fusedEngineForPolicy';
  if (policy === null || typeof policy !== 'object' || !['mlp', 'tabular', 'gaussian-mlp'].includes(policy.kind))
    throw new ConfigError({
      fn,
      arg: 'policy',
      expected: "an MlpPolicy, GaussianMlpPolicy or TabularPolicy (kind 'mlp', 'gaussian-mlp' or 'tabular')",
      got: policy?.kind ?? policy,
    });
  if (!policy.trainable)
    throw new ConfigError({ fn, arg: 'policy', expected: 'a trainable policy', got: 'a frozen policy' });
  const weights = policy.getWeights();
  const activation = (policy as { activation?: Activation }).activation;
  const engine = new FusedPpoEngine({
    names: weights.map((w) => w.name),
    shapes: weights.map((w) => w.shape),
    ...(activation ? { activation } : {}),
    adam,
  });
  engine.setParams(weights.map((w) => w.values));
  seenVersion.set(engine, { policy, version: policy.weightsVersion });
  return engine;
}

/**
 * Copy the policy's variables into the engine (float32, read synchronously).
 * @example
 * ```ts
 * policy.setWeights(saved); loadPolicyWeights(engine, policy);
 * ```
 */
export function loadPolicyWeights(engine: FusedPpoEngine, policy: Policy): void {
  engine.setParams(policy.trainableVariables.map((v) => v.dataSync() as Float32Array));
  seenVersion.set(engine, { policy, version: policy.weightsVersion });
}

/**
 * Reload the engine from the policy only when the policy's weights changed since the engine last loaded or stored
 * them (`weightsVersion` moved: `setWeights`, a checkpoint restore, a tfjs optimizer step) or when it is another
 * policy. Cheap when nothing changed (a version comparison).
 * @returns Whether the weights were reloaded.
 * @example
 * ```ts
 * syncEngineFromPolicy(engine, policy); // at the start of each update's optimize phase
 * ```
 */
export function syncEngineFromPolicy(engine: FusedPpoEngine, policy: Policy): boolean {
  const seen = seenVersion.get(engine);
  if (seen && seen.policy === policy && seen.version === policy.weightsVersion) return false;
  loadPolicyWeights(engine, policy);
  return true;
}

/**
 * Assign the engine's parameters to the policy's variables (one `assign` per variable); the policy's `weightsVersion`
 * changes, so its act fast path refreshes itself.
 * @example
 * ```ts
 * for (const mb of minibatches) engine.step(mb, coef);
 * storePolicyWeights(engine, policy);
 * ```
 */
export function storePolicyWeights(engine: FusedPpoEngine, policy: Policy): void {
  const vars = policy.trainableVariables;
  tf.tidy(() => {
    vars.forEach((v, i) => {
      v.assign(tf.tensor(engine.params[i]!, v.shape, 'float32'));
    });
  });
  seenVersion.set(engine, { policy, version: policy.weightsVersion });
}

/**
 * Read a tensor minibatch into typed arrays. One-hot observation rows (exactly one 1, zeros elsewhere) become state
 * indices, so the engine can reuse rows; other observations stay float rows.
 * @param batch The tensor minibatch (not disposed).
 * @param oneHot Whether the observations are one-hot encoded (`policy.encoder.kind === 'one-hot'`).
 * @returns New typed arrays (Gaussian minibatches carry `oldMean`/`oldLogStd` and float actions).
 */
export function readMinibatch(batch: Minibatch, oneHot: boolean): FusedMinibatch {
  const M = batch.actions.shape[0]!;
  const obs = batch.obs.dataSync() as Float32Array;
  let states: Int32Array | null = null;
  if (oneHot) {
    const S = obs.length / M;
    states = new Int32Array(M);
    for (let i = 0; i < M && states; i++) {
      let idx = -1;
      for (let j = 0; j < S; j++) {
        const x = obs[i * S + j]!;
        if (x === 1 && idx === -1) idx = j;
        else if (x !== 0) idx = -2;
      }
      if (idx < 0) states = null;
      else states[i] = idx;
    }
  }
  const common = {
    size: M,
    states,
    obs: states ? null : obs,
    oldLogProb: batch.oldLogProb.dataSync() as Float32Array,
    advantages: batch.advantages.dataSync() as Float32Array,
    returns: batch.returns.dataSync() as Float32Array,
    oldValues: batch.oldValues.dataSync() as Float32Array,
  };
  const p = batch.oldParams;
  if (p.kind === 'categorical')
    return {
      ...common,
      actions: Int32Array.from(batch.actions.dataSync()),
      oldLogits: p.logits.dataSync() as Float32Array,
    };
  return {
    ...common,
    actions: batch.actions.dataSync() as Float32Array,
    oldMean: p.mean.dataSync() as Float32Array,
    oldLogStd: p.logStd.dataSync() as Float32Array,
  };
}

/** The engine's scalars as kept float32 scalar tensors, in the shape of `StepScalars` (the caller disposes them). */
export function toStepScalars(s: FusedStepScalars): StepScalars {
  const t = (x: number): tf.Scalar => tf.keep(tf.scalar(x, 'float32'));
  const out: StepScalars = {
    policyLoss: t(s.policyLoss),
    valueLoss: t(s.valueLoss),
    klPenalty: t(s.klPenalty),
    entropy: t(s.entropy),
    clipFraction: t(s.clipFraction),
    totalLoss: t(s.totalLoss),
    gradNorm: t(s.gradNorm),
    rolloutKlExact: t(s.rolloutKlExact),
    rolloutKlK1: t(s.rolloutKlK1),
    rolloutKlK3: t(s.rolloutKlK3),
  };
  if (s.stepKlExact !== undefined) {
    out.stepKlExact = t(s.stepKlExact);
    out.stepKlK1 = t(s.stepKlK1!);
    out.stepKlK3 = t(s.stepKlK3!);
  }
  return out;
}

/**
 * Drop-in for `ppoUpdateStep` running on the fused engine: reloads the policy's weights when they changed since the
 * engine last saw them (`weightsVersion`), reads the minibatch, takes one fused step, assigns the new weights to the
 * policy's variables and returns the scalars as kept tensors. The Adam state lives in `engine.adam`
 * (`getState`/`setState` in the `AdamState` format of `src/training/adam.ts`).
 * @returns `applied` and the scalars, as `ppoUpdateStep`.
 * @throws as {@link FusedPpoEngine.step}.
 * @example
 * ```ts
 * const res = await fusedUpdateStep({ policy, engine, batch, coef });
 * ```
 */
export async function fusedUpdateStep(args: {
  policy: Policy;
  engine: FusedPpoEngine;
  batch: Minibatch;
  coef: StepCoefficients;
  shouldStop?: (preStepKl: number) => boolean;
  preStepStatistic?: 'exact' | 'k1' | 'k3';
  reuse?: boolean;
}): Promise<{ applied: boolean; scalars: StepScalars }> {
  const { policy, engine } = args;
  syncEngineFromPolicy(engine, policy);
  const mb = readMinibatch(args.batch, policy.encoder.kind === 'one-hot');
  const res = engine.step(mb, args.coef, {
    ...(args.shouldStop ? { shouldStop: args.shouldStop } : {}),
    ...(args.preStepStatistic ? { preStepStatistic: args.preStepStatistic } : {}),
    ...(args.reuse !== undefined ? { reuse: args.reuse } : {}),
  });
  if (res.applied) storePolicyWeights(engine, policy);
  return { applied: res.applied, scalars: toStepScalars(res.scalars) };
}

/**
 * Read a `RolloutBuffer` once into a {@link FusedRolloutBatch} (one `dataSync` per tensor): states from the rollout
 * when the policy's observations are one-hot, else the encoded float32 observations; the rollout policy's
 * log-probabilities, values, returns and distribution parameters (logits, or mean and log-std); and the policy
 * advantages.
 * @param buffer The update's buffer.
 * @param oneHot Whether the observations are one-hot (`policy.encoder.kind === 'one-hot'`).
 * @param normalization The trainer's `normalizeAdvantages` setting (the buffer keeps its own private).
 * @returns The batch; its minibatches match `buffer.minibatch(idx)` value for value.
 * @example
 * ```ts
 * const data = fusedBatchFromBuffer(buffer, policy.encoder.kind === 'one-hot', cfg.normalizeAdvantages);
 * ```
 */
export function fusedBatchFromBuffer(
  buffer: RolloutBuffer,
  oneHot: boolean,
  normalization: 'minibatch' | 'batch' | 'none',
): FusedRolloutBatch {
  const ro = buffer.rollout;
  const p = buffer.params;
  const fwd = buffer.forward;
  // π_rollout's outputs: the arrays the fused engine computed them into, else read back from the buffer's tensors.
  const old: Omit<RolloutForward, 'bootValues'> = fwd ?? {
    logProb: buffer.oldLogProb.dataSync() as Float32Array,
    values: buffer.oldValues.dataSync() as Float32Array,
    ...(p.kind === 'categorical'
      ? { logits: p.logits.dataSync() as Float32Array }
      : { mean: p.mean.dataSync() as Float32Array, logStd: p.logStd.dataSync() as Float32Array }),
  };
  return new FusedRolloutBatch({
    states: oneHot ? Int32Array.from(ro.obs) : null,
    // a buffer built from arrays encodes its observations only on demand: round them to float32 here instead
    obs: oneHot ? null : fwd ? Float32Array.from(ro.obs) : (buffer.obs.dataSync() as Float32Array),
    actions: p.kind === 'categorical' ? Int32Array.from(ro.actions) : (buffer.actions.dataSync() as Float32Array),
    oldLogProb: old.logProb,
    oldValues: old.values,
    returns: buffer.returns.dataSync() as Float32Array,
    ...(old.logits ? { oldLogits: old.logits } : { oldMean: old.mean!, oldLogStd: old.logStd! }),
    policyAdvantages: buffer.policyAdvantages,
    normalization,
  });
}
