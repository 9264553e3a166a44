/**
 * The rollout buffer of one PPO update (SB3 `common/buffers.py` `RolloutBuffer`): the batch of one rollout as
 * tensors, the rollout policy's distribution parameters on every visited state, GAE advantages and λ-returns, and
 * minibatches drawn from an Rng. Everything is uploaded once per update and gathered on the device per minibatch.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { paramsTensors } from '../distributions/from_params.js';
import type { DistributionParams } from '../distributions/types.js';
import { KlipError } from '../core/errors.js';
import { gae, type GaeResult, normalizeAdvantages } from '../objectives/advantages.js';
import type { ObsEncoder, Policy } from '../policies/types.js';
import type { Rng } from '../random/rng.js';
import { permutation } from '../random/sampling.js';
import type { AdvantageNormalization } from './config.js';
import type { RolloutForward } from '../engine/rollout_eval.js';
import type { Rollout } from './rollout.js';
import type { Minibatch } from './update.js';

/** Row gather of every tensor of a parameter set. */
function gatherParams(p: DistributionParams, idx: tf.Tensor): DistributionParams {
  return p.kind === 'categorical'
    ? { kind: 'categorical', logits: tf.gather(p.logits, idx) }
    : { kind: 'diag-gaussian', mean: tf.gather(p.mean, idx), logStd: tf.gather(p.logStd, idx) };
}

/** Options of {@link RolloutBuffer.fromRollout}. */
export interface RolloutBufferOptions {
  /** The rollout (typed arrays, time-major). */
  rollout: Rollout;
  /** The policy that collected it (π_rollout); its critic gives V(s_t) and the bootstrap values. */
  policy: Policy;
  /** The observation encoder of the policy's observation space. */
  encoder: ObsEncoder;
  /** Discount γ. */
  gamma: number;
  /** GAE λ. */
  gaeLambda: number;
  /** Advantage normalization: per minibatch (SB3, CleanRL), once per batch, or none. */
  normalizeAdvantages: AdvantageNormalization;
  /**
   * π_rollout's outputs on the rollout computed elsewhere (the fused engine's `forwardRollout`); the buffer then
   * runs no forward pass and keeps these arrays as {@link RolloutBuffer.forward}.
   */
  forward?: RolloutForward;
}

/**
 * One update's batch, held as tensors from the rollout's forward pass to the end of the update.
 *
 * Build it with {@link RolloutBuffer.fromRollout} (one batched forward pass for log π_rollout(a_t|s_t), V(s_t), the
 * distribution parameters and the bootstrap values, then GAE on the CPU); draw minibatches with
 * {@link RolloutBuffer.epochIndices} and {@link RolloutBuffer.minibatch}; `dispose()` at the end of the update.
 * @example
 * ```ts
 * const buffer = await RolloutBuffer.fromRollout({ rollout, policy, encoder, gamma: 0.99, gaeLambda: 0.95, normalizeAdvantages: 'minibatch' });
 * for (const idx of buffer.epochIndices(rng, 256)) { const mb = buffer.minibatch(idx); … tf.dispose(minibatchTensors(mb)); }
 * buffer.dispose();
 * ```
 */
export class RolloutBuffer {
  /** Batch size B = T·N. */
  readonly size: number;
  /** The rollout in typed arrays. */
  readonly rollout: Rollout;
  #obs: tf.Tensor | null;
  readonly #encodeObs: (() => tf.Tensor) | null;
  /** π_rollout's outputs as typed arrays when the buffer was built from them (`RolloutBufferOptions.forward`), else null. */
  readonly forward: RolloutForward | null;
  /** Actions [B] (int32) or [B, D] (float32). */
  readonly actions: tf.Tensor;
  /** log π_rollout(a_t|s_t) [B]. */
  readonly oldLogProb: tf.Tensor;
  /** V_rollout(s_t) [B]. */
  readonly oldValues: tf.Tensor;
  /** λ-returns [B] (float32). */
  readonly returns: tf.Tensor;
  /** π_rollout's distribution parameters on every s_t. */
  readonly params: DistributionParams;
  /** GAE advantages Â_t (float64, not normalized). */
  readonly advantages: Float64Array;
  /** The advantages the policy loss sees before minibatch normalization: Â, normalized over the batch when asked. */
  readonly policyAdvantages: Float64Array;
  /** π_ref's distribution parameters on every s_t, once {@link RolloutBuffer.attachReference} ran (else null). */
  refParams: DistributionParams | null = null;
  private readonly normalization: AdvantageNormalization;
  private disposed = false;

  private constructor(parts: {
    rollout: Rollout;
    obs: tf.Tensor | (() => tf.Tensor);
    forward?: RolloutForward;
    actions: tf.Tensor;
    oldLogProb: tf.Tensor;
    oldValues: tf.Tensor;
    returns: tf.Tensor;
    params: DistributionParams;
    advantages: Float64Array;
    normalization: AdvantageNormalization;
  }) {
    this.rollout = parts.rollout;
    this.size = parts.rollout.T * parts.rollout.N;
    this.#obs = typeof parts.obs === 'function' ? null : parts.obs;
    this.#encodeObs = typeof parts.obs === 'function' ? parts.obs : null;
    this.forward = parts.forward ?? null;
    this.actions = parts.actions;
    this.oldLogProb = parts.oldLogProb;
    this.oldValues = parts.oldValues;
    this.returns = parts.returns;
    this.params = parts.params;
    this.advantages = parts.advantages;
    this.normalization = parts.normalization;
    this.policyAdvantages = parts.normalization === 'batch' ? normalizeAdvantages(parts.advantages) : parts.advantages;
  }

  /**
   * Upload a rollout and compute its advantages: one forward pass of `policy` on the batch and on the bootstrap
   * observations, then GAE(γ, λ) on the CPU in float64 (truncated steps bootstrap from V(final obs)).
   * @returns The buffer; the caller disposes it.
   */
  static async fromRollout(o: RolloutBufferOptions): Promise<RolloutBuffer> {
    const { rollout, policy, encoder } = o;
    if (o.forward) return RolloutBuffer.fromForward(o, o.forward);
    const t = tf.tidy(() => {
      const obs = encoder.encode(rollout.obs);
      const actions = rolloutActions(rollout);
      const dist = policy.distribution(obs);
      const boot =
        rollout.bootstrapIndex.length > 0 ? policy.value(encoder.encode(rollout.bootstrapObs)) : tf.zeros([0]);
      return { obs, actions, logProb: dist.logProb(actions), values: policy.value(obs), params: dist.params(), boot };
    });
    const [values, boot] = (await Promise.all([t.values.data(), t.boot.data()])) as Float32Array[];
    t.boot.dispose();
    const { advantages, returns } = rolloutGae(o, values!, boot!);
    return new RolloutBuffer({
      rollout,
      obs: t.obs,
      actions: t.actions,
      oldLogProb: t.logProb,
      oldValues: t.values,
      returns: tf.tensor1d(Float32Array.from(returns), 'float32'),
      params: t.params,
      advantages,
      normalization: o.normalizeAdvantages,
    });
  }

  /** {@link RolloutBuffer.fromRollout} from π_rollout's outputs already computed: GAE and uploads, no forward pass. */
  private static fromForward(o: RolloutBufferOptions, fwd: RolloutForward): RolloutBuffer {
    const { rollout, encoder } = o;
    const B = rollout.T * rollout.N;
    const { advantages, returns } = rolloutGae(o, fwd.values, fwd.bootValues);
    const D = fwd.logits ? fwd.logits.length / B : (fwd.mean?.length ?? 0) / B;
    const t = tf.tidy(() => ({
      actions: rolloutActions(rollout),
      logProb: tf.tensor1d(fwd.logProb, 'float32'),
      values: tf.tensor1d(fwd.values, 'float32'),
      returns: tf.tensor1d(Float32Array.from(returns), 'float32'),
      params: (fwd.logits
        ? { kind: 'categorical', logits: tf.tensor2d(fwd.logits, [B, D]) }
        : {
            kind: 'diag-gaussian',
            mean: tf.tensor2d(fwd.mean!, [B, D]),
            logStd: tf.tensor2d(fwd.logStd!, [B, D]),
          }) as DistributionParams,
    }));
    return new RolloutBuffer({
      rollout,
      obs: () => encoder.encode(rollout.obs),
      forward: fwd,
      actions: t.actions,
      oldLogProb: t.logProb,
      oldValues: t.values,
      returns: t.returns,
      params: t.params,
      advantages,
      normalization: o.normalizeAdvantages,
    });
  }

  /** Encoded observations [B, …] (encoded on first use when the buffer was built from arrays). */
  get obs(): tf.Tensor {
    if (this.#obs === null) {
      this.alive('obs');
      this.#obs = tf.keep(this.#encodeObs!());
    }
    return this.#obs;
  }

  /**
   * Forward the frozen reference once on every s_t and keep its parameters, so each minibatch carries π_ref on its
   * states (the reference penalty in the loss). Replaces parameters attached before.
   * @param reference π_ref.
   */
  attachReference(reference: Policy): void {
    this.alive('attachReference');
    if (this.refParams) tf.dispose(paramsTensors(this.refParams));
    this.refParams = tf.tidy(() => reference.distribution(this.obs).params());
  }

  /**
   * The minibatch index sets of one epoch: a fresh permutation of [0, B) from `rng`, cut into slices of
   * `minibatchSize` (the last one shorter when B is not a multiple).
   */
  epochIndices(rng: Rng, minibatchSize: number): Int32Array[] {
    const perm = permutation(this.size, rng);
    const out: Int32Array[] = [];
    for (let start = 0; start < this.size; start += minibatchSize)
      out.push(perm.subarray(start, start + minibatchSize));
    return out;
  }

  /**
   * The minibatch at `idx`: rows gathered on the device, advantages normalized over the minibatch in float64 when
   * the buffer's normalization is `'minibatch'` (Â ← (Â − mean)/(std + 1e-8), SB3 `ppo.py`).
   * @returns New tensors; free them with `tf.dispose(minibatchTensors(mb))`.
   */
  minibatch(idx: Int32Array): Minibatch {
    this.alive('minibatch');
    const adv = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) adv[i] = this.policyAdvantages[idx[i]!]!;
    const advantages = Float32Array.from(this.normalization === 'minibatch' ? normalizeAdvantages(adv) : adv);
    return tf.tidy(() => {
      const at = tf.tensor1d(idx, 'int32');
      return {
        obs: tf.gather(this.obs, at),
        actions: tf.gather(this.actions, at),
        oldLogProb: tf.gather(this.oldLogProb, at),
        advantages: tf.tensor1d(advantages, 'float32'),
        returns: tf.gather(this.returns, at),
        oldValues: tf.gather(this.oldValues, at),
        oldParams: gatherParams(this.params, at),
        ...(this.refParams ? { refParams: gatherParams(this.refParams, at) } : {}),
      };
    });
  }

  /** Free the buffer's tensors (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.#obs) this.#obs.dispose();
    tf.dispose([this.actions, this.oldLogProb, this.oldValues, this.returns, ...paramsTensors(this.params)]);
    if (this.refParams) tf.dispose(paramsTensors(this.refParams));
  }

  private alive(fn: string): void {
    if (this.disposed)
      throw new KlipError({
        fn: `RolloutBuffer.${fn}`,
        arg: 'buffer',
        expected: 'not disposed',
        got: 'a disposed buffer',
      });
  }
}

/**
 * GAE(γ, λ) of a rollout in float64 (`gae`, Schulman et al. 2016) from V_rollout(s_t) and the values of the
 * bootstrap observations (one per `rollout.bootstrapIndex` entry; truncated steps bootstrap from V(final obs)).
 */
function rolloutGae(o: RolloutBufferOptions, values: ArrayLike<number>, bootValues: ArrayLike<number>): GaeResult {
  const { rollout } = o;
  const bootstrapValues = new Float64Array(rollout.T * rollout.N);
  rollout.bootstrapIndex.forEach((k, j) => {
    bootstrapValues[k] = bootValues[j]!;
  });
  return gae({
    rewards: rollout.rewards,
    values: Float64Array.from(values),
    terminated: rollout.terminated,
    truncated: rollout.truncated,
    bootstrapValues,
    gamma: o.gamma,
    lambda: o.gaeLambda,
    numEnvs: rollout.N,
  });
}

/** Every tensor of a minibatch, to dispose them together. */
export function minibatchTensors(mb: Minibatch): tf.Tensor[] {
  return [
    mb.obs,
    mb.actions,
    mb.oldLogProb,
    mb.advantages,
    mb.returns,
    mb.oldValues,
    ...paramsTensors(mb.oldParams),
    ...(mb.refParams ? paramsTensors(mb.refParams) : []),
  ];
}

/**
 * A rollout's actions as a tensor: int32 `[B]` for discrete actions, float32 `[B, actDim]` for boxes (B = T·N).
 * Returns a new tensor; the caller disposes it (or runs this inside `tf.tidy`).
 */
export function rolloutActions(rollout: Rollout): tf.Tensor {
  return rollout.actions instanceof Int32Array
    ? tf.tensor1d(rollout.actions, 'int32')
    : tf.tensor2d(Float32Array.from(rollout.actions), [rollout.T * rollout.N, rollout.actDim]);
}
