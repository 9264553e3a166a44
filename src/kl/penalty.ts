/**
 * The two placements of a KL-to-reference penalty used in RLHF (the TRL split: `trl/experimental/ppo/ppo_trainer.py` KL in the reward, `trl/trainer/grpo_trainer.py` k3 in the loss):
 *
 * - **in the reward** ({@link klRewardPenalty}): every token is rewarded r_t = −β·KL_t and the task score is added on
 *   the last token (Ziegler et al. 2019, https://arxiv.org/abs/1909.08593 §2; lm-human-preferences
 *   `train_policy.py`; TRL `trl/experimental/ppo/ppo_trainer.py` l.772-775). The KL then reaches the policy through the
 *   returns, as a reward, so any estimator whose *value* is right works: k1 is unbiased and the usual choice.
 * - **in the loss** ({@link klLossPenalty}): L = … + β·mean_t k3_t, differentiated directly (GRPO, Shao et al. 2024,
 *   https://arxiv.org/abs/2402.03300 eq. 3-4; TRL `trl/trainer/grpo_trainer.py` `_compute_loss`). Here the *gradient*
 *   of the estimator matters; see `docs/concepts/rlhf.md` for why k3 (not k1) goes in the loss.
 *
 * Shapes: per-token log-probabilities `[B, T]` (B sequences of T tokens), logits `[B, T, V]`, a padding mask `[B, T]`
 * of 0/1 (1 = a real token).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf, assertRank, assertSameShape } from '../core/assert.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import { toTensor } from '../core/tensor.js';
import { klEstimate } from './estimators.js';

/**
 * The per-token KL estimators accepted by {@link klRewardPenalty} (TRL `PPOConfig.kl_penalty` / `kl_estimator`):
 * `k1` = ℓ, `k3` = (e^(−ℓ) − 1) + ℓ, `abs` = |ℓ|, `mse` = ½ℓ² with ℓ = logProb − refLogProb, and `full` =
 * Σ_v π(v)·(log π(v) − log π_ref(v)), the exact KL over the vocabulary at each position.
 */
export type RewardKlEstimator = 'k1' | 'k3' | 'abs' | 'mse' | 'full';
/** All names accepted by {@link klRewardPenalty}'s `estimator`. */
export const REWARD_KL_ESTIMATORS: readonly RewardKlEstimator[] = Object.freeze([
  'k1',
  'k3',
  'abs',
  'mse',
  'full',
] as const);

/** Arguments of {@link klRewardPenalty}. */
export interface KlRewardPenaltyArgs {
  /** log π(y_t | y_<t) of the sampled tokens under the policy that generated them, `[B, T]`. Required unless `estimator` is `'full'`. */
  logProb?: tf.Tensor;
  /** log π_ref(y_t | y_<t) of the same tokens under the frozen reference, `[B, T]`. Required unless `estimator` is `'full'`. */
  refLogProb?: tf.Tensor;
  /** The task score of each sequence (reward-model output), `[B]`; added to the last unmasked token. */
  scores: tf.Tensor | ArrayLike<number>;
  /** KL coefficient β ≥ 0 (a number; e.g. `controller.coef(state)`). */
  beta: number;
  /** Which per-token KL: `'k1'` (TRL's default), `'k3'`, `'abs'`, `'mse'` or `'full'`. */
  estimator: RewardKlEstimator;
  /** Policy logits over the vocabulary at every position, `[B, T, V]`; required for `'full'`. */
  logits?: tf.Tensor;
  /** Reference logits, `[B, T, V]`; required for `'full'`. */
  refLogits?: tf.Tensor;
  /** 1 for real tokens, 0 for padding, `[B, T]`. @defaultValue all ones */
  mask?: tf.Tensor;
}

/** Result of {@link klRewardPenalty}; new tensors owned by the caller. */
export interface KlRewardPenaltyResult {
  /** r_t = −β·KL_t·mask_t, plus the score at the last unmasked token of each row, `[B, T]`. */
  rewards: tf.Tensor2D;
  /** The per-token KL estimate KL_t (0 at padding), `[B, T]`. Its row sum estimates KL(π‖π_ref) per sequence. */
  kl: tf.Tensor2D;
}

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return x !== null && typeof x === 'object' && typeof (x as { length?: unknown }).length === 'number';
}

function requireTensor(fn: string, arg: string, x: unknown, shape: string): tf.Tensor {
  if (!isTensor(x)) throw new ConfigError({ fn, arg, expected: `a tensor of shape ${shape}`, got: x });
  return x;
}

/**
 * Exact KL(π‖π_ref) over the last axis from logits, with 0·log 0 = 0 (distrax `mul_exp`): positions where π(v) = 0
 * (a −∞ logit) contribute nothing; π(v) > 0 = π_ref(v) gives +∞. Runs in the caller's tidy.
 */
function fullKl(logits: tf.Tensor, refLogits: tf.Tensor): tf.Tensor {
  const logP = tf.logSoftmax(logits);
  const logQ = tf.logSoftmax(refLogits);
  const p = tf.exp(logP);
  const terms = tf.where(tf.greater(p, 0), tf.mul(p, tf.sub(logP, logQ)), tf.zerosLike(p));
  return tf.sum(terms, -1);
}

/**
 * Per-token rewards with a KL-to-reference penalty, the task score added on the last token (the reward placement).
 *
 * KL_t = estimator(logProb_t, refLogProb_t) (or Σ_v π_t(v)·log(π_t(v)/π_ref,t(v)) for `full`), KL_t = 0 at padding;
 * r_t = −β·KL_t + 1[t = last unmasked token]·score
 *
 * Samples y_t were drawn from π (the policy that produced `logProb`), so the row sum Σ_t KL_t estimates the sequence
 * KL(π‖π_ref): without bias for `k1`, `k3` and `full`. The rewards are data for a policy-gradient update: treat them
 * as constants (read them out, or compute them outside the gradient tape). A row whose mask is all zero gets no score.
 *
 * Source: Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences" (https://arxiv.org/abs/1909.08593)
 * §2.2, R(x, y) = r(x, y) − β·log(π(y|x)/ρ(y|x)); TRL `ppo_trainer.py` (`kl = -logr` or `(logr.exp() - 1) - logr`,
 * `non_score_reward = -kl_coef * kl`, `rewards[[actual_start, actual_end]] += scores`) and the older TRL
 * `PPOTrainer._kl_penalty` (`kl_penalty` = `kl` | `abs` | `mse` | `full`).
 *
 * @param args.logProb log π of the sampled tokens, `[B, T]` (unless `full`).
 * @param args.refLogProb log π_ref of the same tokens, `[B, T]` (unless `full`).
 * @param args.scores task score per sequence, `[B]`.
 * @param args.beta β ≥ 0.
 * @param args.estimator `'k1'` | `'k3'` | `'abs'` | `'mse'` | `'full'`.
 * @param args.logits policy logits `[B, T, V]` (for `full`).
 * @param args.refLogits reference logits `[B, T, V]` (for `full`).
 * @param args.mask 0/1 padding mask `[B, T]`.
 * @returns `{ rewards, kl }`, both `[B, T]`. Returns new tensors; caller disposes.
 * @throws ShapeError for wrong ranks or mismatched shapes (naming the argument); ConfigError for an unknown estimator,
 *   a negative or non-finite β, or a missing tensor.
 * @example
 * ```ts
 * const { rewards, kl } = klRewardPenalty({
 *   logProb: tf.tensor2d([[-0.5, -1.0]]), refLogProb: tf.tensor2d([[-0.7, -0.9]]),
 *   scores: [1], beta: 0.1, estimator: 'k1',
 * }); // kl = [[0.2, -0.1]], rewards = [[-0.02, 1.01]]
 * ```
 */
export function klRewardPenalty(args: KlRewardPenaltyArgs): KlRewardPenaltyResult {
  const fn = 'klRewardPenalty';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { logProb, refLogProb, scores, beta, estimator, logits?, refLogits?, mask? }',
      got: args,
    });
  }
  const { beta, estimator, mask } = args;
  assertOneOf(fn, 'estimator', estimator, REWARD_KL_ESTIMATORS);
  assertFiniteNumber(fn, 'beta', beta, { min: 0 });
  let shape: [number, number];
  let logits: tf.Tensor | undefined;
  let refLogits: tf.Tensor | undefined;
  let logProb: tf.Tensor | undefined;
  let refLogProb: tf.Tensor | undefined;
  if (estimator === 'full') {
    logits = requireTensor(fn, 'logits', args.logits, '[B, T, V] (required by estimator "full")');
    refLogits = requireTensor(fn, 'refLogits', args.refLogits, '[B, T, V] (required by estimator "full")');
    assertRank(fn, 'logits', logits, [3]);
    assertSameShape(fn, 'logits', logits, 'refLogits', refLogits);
    shape = [logits.shape[0]!, logits.shape[1]!];
  } else {
    logProb = requireTensor(fn, 'logProb', args.logProb, '[B, T]');
    refLogProb = requireTensor(fn, 'refLogProb', args.refLogProb, '[B, T]');
    assertRank(fn, 'logProb', logProb, [2]);
    assertSameShape(fn, 'logProb', logProb, 'refLogProb', refLogProb);
    shape = [logProb.shape[0]!, logProb.shape[1]!];
  }
  const [B, T] = shape;
  if (T < 1)
    throw new ShapeError({
      fn,
      arg: estimator === 'full' ? 'logits' : 'logProb',
      expected: 'of shape [B, T] with T ≥ 1',
      got: estimator === 'full' ? logits : logProb,
    });
  if (mask !== undefined) {
    requireTensor(fn, 'mask', mask, `[${B}, ${T}]`);
    if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
      throw new ShapeError({ fn, arg: 'mask', expected: `of shape [B, T] = [${B},${T}]`, got: mask });
    }
  }
  return tf.tidy(() => {
    const raw = args.scores;
    // Untyped callers may pass neither (a number, undefined): toTensor then reports it as a ShapeError.
    const s = isTensor(raw) ? raw : toTensor(fn, 'scores', isArrayLike(raw) ? Array.from(raw, Number) : raw);
    if (s.rank !== 1 || s.shape[0] !== B)
      throw new ShapeError({ fn, arg: 'scores', expected: `of shape [B] = [${B}]`, got: s });
    const perToken =
      estimator === 'full'
        ? fullKl(logits!, refLogits!)
        : klEstimate({ estimator, logProb: logProb!, refLogProb: refLogProb! });
    const m = mask === undefined ? tf.ones([B, T]) : tf.cast(mask, 'float32');
    // 0 at padding even when the padded entries hold ±∞ or NaN.
    const kl = tf.where(tf.greater(m, 0), tf.mul(perToken, m), tf.zerosLike(perToken)) as tf.Tensor2D;
    // Last unmasked position of each row: where mask_t·(t+1) reaches its row maximum (> 0); rows without a
    // real token get no score.
    const positions = tf.add(tf.range(0, T, 1, 'float32'), 1).reshape([1, T]);
    const idx = tf.mul(tf.greater(m, 0).cast('float32'), positions);
    const rowMax = tf.max(idx, 1, true);
    const isLast = tf.logicalAnd(tf.equal(idx, rowMax), tf.greater(rowMax, 0)).cast('float32');
    const scoreAt = tf.mul(isLast, s.reshape([B, 1]));
    const rewards = tf.add(tf.mul(tf.scalar(-beta), kl), scoreAt) as tf.Tensor2D;
    return { rewards, kl };
  });
}

/** Arguments of {@link klLossPenalty}. */
export interface KlLossPenaltyArgs {
  /** log π_θ of the sampled tokens (gradients flow here), `[B, T]` (or `[B]`). */
  logProb: tf.Tensor;
  /** log π_ref of the same tokens under the frozen reference (a constant), same shape. */
  refLogProb: tf.Tensor;
  /** KL coefficient β ≥ 0 (a number). */
  beta: number;
  /**
   * log π_old of the same tokens, stored at rollout time (a constant, a tensor distinct from `logProb`), same shape.
   * When given, each token's k3 is weighted by w = π_θ/π_old (TRL `use_bias_correction_kl`).
   * @defaultValue none (w = 1)
   */
  oldLogProb?: tf.Tensor;
  /** 1 for real tokens, 0 for padding, same shape. @defaultValue all ones */
  mask?: tf.Tensor;
}

/** Result of {@link klLossPenalty}; new scalars owned by the caller. */
export interface KlLossPenaltyResult {
  /** β·klMean, to add to the policy loss. */
  loss: tf.Scalar;
  /** mean over real tokens of w·k3: an unbiased estimate of the per-token KL(π_θ‖π_ref) under samples from π_old. */
  klMean: tf.Scalar;
}

/**
 * The KL-to-reference penalty placed in the loss, GRPO style: β times the token mean of the k3 estimator.
 *
 * ℓ_t = logProb_t − refLogProb_t,  k3_t = e^(−ℓ_t) − 1 + ℓ_t = π_ref/π_θ − 1 − log(π_ref/π_θ) ≥ 0,
 * w_t = exp(logProb_t − oldLogProb_t) (1 without `oldLogProb`),
 * klMean = Σ_t mask_t·w_t·k3_t / Σ_t mask_t,  loss = β·klMean
 *
 * Gradient (tokens sampled from π_old): E_old[∇(w·k3)] = ∇KL(π_θ‖π_ref) exactly, because w keeps its gradient, as in
 * TRL (`per_token_kl * coef_1`, `coef_1` not detached). Without `oldLogProb` (w = 1, on-policy) the expected gradient
 * is E_θ[(1 − π_ref/π_θ)·∇log π_θ] = ∇KL(π_ref‖π_θ): the reverse direction, which also vanishes only at π_θ = π_ref
 * (Schulman 2020, http://joschu.net/blog/kl-approx.html; docs/concepts/rlhf.md). k1 must not be used here: its
 * expected gradient E_θ[∇log π_θ] is 0.
 *
 * Source: Shao et al. 2024, "DeepSeekMath" (https://arxiv.org/abs/2402.03300) eq. 4; TRL `grpo_trainer.py`
 * (`per_token_kl = exp(ref - logps) - (ref - logps) - 1`; `per_token_loss + beta * per_token_kl`); the importance
 * correction from DeepSeek-V3.2 (https://arxiv.org/abs/2512.02556), TRL `GRPOConfig.use_bias_correction_kl`.
 *
 * @param args.logProb log π_θ, `[B, T]` or `[B]`.
 * @param args.refLogProb log π_ref, same shape.
 * @param args.beta β ≥ 0.
 * @param args.oldLogProb log π_old, same shape (optional).
 * @param args.mask 0/1 padding mask, same shape (optional).
 * @returns `{ loss, klMean }` scalars. Returns new tensors; caller disposes.
 * @throws ShapeError for a rank other than 1 or 2 or mismatched shapes; ConfigError for a negative/non-finite β or a
 *   non-tensor input.
 * @example
 * ```ts
 * const { loss, klMean } = klLossPenalty({ logProb, refLogProb, oldLogProb, beta: 0.04, mask });
 * const total = tf.add(policyLoss, loss);
 * ```
 */
export function klLossPenalty(args: KlLossPenaltyArgs): KlLossPenaltyResult {
  const fn = 'klLossPenalty';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { logProb, refLogProb, beta, oldLogProb?, mask? }',
      got: args,
    });
  }
  const { beta, oldLogProb, mask } = args;
  const logProb = requireTensor(fn, 'logProb', args.logProb, '[B, T] or [B]');
  const refLogProb = requireTensor(fn, 'refLogProb', args.refLogProb, '[B, T] or [B]');
  assertRank(fn, 'logProb', logProb, [1, 2]);
  assertSameShape(fn, 'logProb', logProb, 'refLogProb', refLogProb);
  if (oldLogProb !== undefined) {
    requireTensor(fn, 'oldLogProb', oldLogProb, `[${logProb.shape.join(', ')}]`);
    assertSameShape(fn, 'logProb', logProb, 'oldLogProb', oldLogProb);
  }
  if (mask !== undefined) {
    requireTensor(fn, 'mask', mask, `[${logProb.shape.join(', ')}]`);
    assertSameShape(fn, 'logProb', logProb, 'mask', mask);
  }
  assertFiniteNumber(fn, 'beta', beta, { min: 0 });
  return tf.tidy(() => {
    const k3 = klEstimate({ estimator: 'k3', logProb, refLogProb });
    const weighted = oldLogProb === undefined ? k3 : tf.mul(tf.exp(tf.sub(logProb, oldLogProb)), k3);
    // A fresh tensor (not onesLike(weighted)): `greater` has no gradient and must stay off the tape.
    const m = mask === undefined ? tf.ones(logProb.shape) : tf.cast(mask, 'float32');
    const safe = tf.where(tf.greater(m, 0), tf.mul(weighted, m), tf.zerosLike(weighted));
    const klMean = tf.div(tf.sum(safe), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
    const loss = tf.mul(tf.scalar(beta), klMean) as tf.Scalar;
    return { loss, klMean };
  });
}
