/**
 * Training a tabular policy on the KL-regularized bandit and the reward–KL frontier: trained policies beside the
 * closed-form curve of {@link klRegularizedFrontier}.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { ConfigError, KlipError, ShapeError, type KlipErrorDetails } from '../core/errors.js';
import { klDivergence } from '../kl/exact.js';
import { klProbs } from '../kl/probs.js';
import { groupRelativeAdvantages } from '../objectives/advantages.js';
import { reinforceLoss } from '../objectives/policy_gradient.js';
import { frozenReference } from '../policies/reference.js';
import { TabularPolicy } from '../policies/tabular.js';
import { rngFromSeed, type Rng, type Seed } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import { Adam } from '../training/adam.js';
import {
  klRegularizedFrontier,
  klRegularizedOptimum,
  type FrontierPoint,
  type KlRegularizedOptimum,
} from './bandit_optimum.js';

/** How {@link trainKlBandit} computes its gradient. */
export type KlBanditMode = 'exact' | 'sampled';
/** All values of {@link KlBanditMode}. */
export const KL_BANDIT_MODES: readonly KlBanditMode[] = Object.freeze(['exact', 'sampled'] as const);

/** Options of {@link trainKlBandit}. */
export interface TrainKlBanditOptions {
  /** π_ref over K arms; every entry must be > 0 (the policy starts at π_ref, as an RLHF policy starts at the SFT model). */
  piRef: ArrayLike<number>;
  /** r(a) per arm, length K. */
  rewards: ArrayLike<number>;
  /** β > 0. */
  beta: number;
  /**
   * `'exact'`: loss = −Σ_a π(a)r(a) + β·KL(π‖π_ref), exact over the arms (the expected reward-placed penalty with the
   * exact KL). `'sampled'`: REINFORCE on a batch of pulls with the reward-placed k1 penalty r(a) − β·(log π(a) −
   * log π_ref(a)) and the batch-mean baseline.
   * @defaultValue 'exact'
   */
  mode?: KlBanditMode;
  /** Adam steps. @defaultValue 300 */
  steps?: number;
  /** Adam learning rate. @defaultValue 0.1 */
  lr?: number;
  /** Pulls per step in `'sampled'` mode. @defaultValue 64 */
  batchSize?: number;
  /** Seed or stream for the pulls (`'sampled'` mode). @defaultValue 0 */
  seed?: Seed | Rng;
}

/** One step of {@link trainKlBandit}'s history. */
export interface KlBanditStep {
  /** Step index, 1-based (after the update). */
  step: number;
  /** J(π) = E_π[r] − β·KL(π‖π_ref) after the update. */
  objective: number;
  /** KL(π‖π*) after the update (nats). */
  klToOptimum: number;
}

/** Result of {@link trainKlBandit} (plain numbers). */
export interface TrainKlBanditResult {
  /** The trained π, length K. */
  probs: Float64Array;
  /** E_π[r]. */
  expectedReward: number;
  /** KL(π‖π_ref) (nats). */
  klToRef: number;
  /** KL(π‖π*) (nats). */
  klToOptimum: number;
  /** The closed-form optimum for this β. */
  optimum: KlRegularizedOptimum;
  /** One record per step. */
  history: KlBanditStep[];
}

/**
 * Train a one-state tabular softmax policy on the KL-regularized bandit max_π E_π[r] − β·KL(π‖π_ref) with Adam,
 * starting from π_ref, and compare it with the closed-form optimum π* ∝ π_ref·exp(r/β).
 *
 * exact:   L(θ) = −Σ_a π_θ(a)·r(a) + β·KL(π_θ‖π_ref)
 * sampled: R_i = r(a_i) − β·(log π_θ(a_i) − log π_ref(a_i)), a_i ∼ π_θ;  L(θ) = −mean_i log π_θ(a_i)·(R_i − mean R)
 *
 * Both have expected gradient −∇J(θ): the k1 penalty in the reward is an unbiased score-function estimate of
 * ∇KL(π‖π_ref) (E_π[∇log π] = 0 absorbs the extra term). Source: Ziegler et al. 2019
 * (https://arxiv.org/abs/1909.08593) eq. 2; Williams 1992 (REINFORCE).
 *
 * @param opts see {@link TrainKlBanditOptions}.
 * @returns the trained probabilities, their statistics and the history; every tensor and variable is disposed.
 * @throws ConfigError for a π_ref with a zero entry or not summing to 1, β ≤ 0, bad steps/lr/batchSize, an unknown
 *   mode; ShapeError for different lengths.
 * @example
 * ```ts
 * const run = trainKlBandit({ piRef: [0.25, 0.25, 0.25, 0.25], rewards: [1, 0.5, 0.2, 0], beta: 0.5 });
 * run.klToOptimum; // < 0.01
 * ```
 */
export function trainKlBandit(opts: TrainKlBanditOptions): TrainKlBanditResult {
  const fn = 'trainKlBandit';
  if (opts === null || typeof opts !== 'object')
    throw new ConfigError({ fn, arg: 'opts', expected: 'an options object', got: opts });
  const { piRef, rewards, beta } = opts;
  const mode = opts.mode ?? 'exact';
  const steps = opts.steps ?? 300;
  const lr = opts.lr ?? 0.1;
  const batchSize = opts.batchSize ?? 64;
  // Validates π_ref, rewards and β with this function's name in the message.
  let optimum: KlRegularizedOptimum;
  try {
    optimum = klRegularizedOptimum(piRef, rewards, beta);
  } catch (e) {
    if (e instanceof KlipError) {
      throw new (e.constructor as new (d: KlipErrorDetails) => KlipError)({
        fn,
        arg: e.arg,
        expected: e.expected,
        got: e.got,
      });
    }
    throw e;
  }
  assertOneOf(fn, 'mode', mode, KL_BANDIT_MODES);
  assertFiniteNumber(fn, 'steps', steps, { min: 0, integer: true });
  assertFiniteNumber(fn, 'lr', lr, { min: 0, minExclusive: true });
  assertFiniteNumber(fn, 'batchSize', batchSize, { min: 2, integer: true });
  const K = piRef.length;
  for (let a = 0; a < K; a++) {
    if (!(piRef[a]! > 0))
      throw new ConfigError({
        fn,
        arg: `piRef[${a}]`,
        expected: 'a probability > 0 (the policy starts at π_ref)',
        got: piRef[a],
      });
  }
  const rng = rngFromSeed(fn, opts.seed).fork('pulls');
  const ref64 = Float64Array.from(piRef);
  const r64 = Float64Array.from(rewards);
  const policy = new TabularPolicy({ numStates: 1, numActions: K, critic: false });
  policy.setWeights([{ name: 'logits', shape: [1, K], values: Array.from(ref64, Math.log) }]);
  const ref = frozenReference(policy);
  const vars = policy.trainableVariables;
  const opt = new Adam(vars);
  const history: KlBanditStep[] = [];
  const stats = (p: Float64Array): { er: number; kl: number } => {
    let er = 0;
    for (let a = 0; a < K; a++) er += p[a]! * r64[a]!;
    return { er, kl: klProbs(p, ref64) };
  };
  try {
    // One-hot rows for the single state (tf.oneHot rejects depth 1, so no int32 indices here).
    const obs1 = tf.ones([1, 1]);
    const rT = tf.tensor2d(Array.from(r64), [1, K]);
    const logRef = Float64Array.from(ref64, Math.log);
    try {
      for (let step = 1; step <= steps; step++) {
        let lossFn: () => tf.Scalar;
        if (mode === 'exact') {
          lossFn = () => {
            const dist = policy.distribution(obs1);
            const expected = tf.sum(tf.mul(dist.probs(), rT));
            const kl = tf.sum(klDivergence(dist, ref.distribution(obs1)));
            return tf.add(tf.neg(expected), tf.mul(beta, kl)) as tf.Scalar;
          };
        } else {
          const probs = policy.probsTable();
          const actions = new Int32Array(batchSize);
          const returns = new Float64Array(batchSize);
          for (let i = 0; i < batchSize; i++) {
            const a = sampleCategorical(probs, rng);
            actions[i] = a;
            returns[i] = r64[a]! - beta * (Math.log(probs[a]!) - logRef[a]!);
          }
          const adv = groupRelativeAdvantages(returns, { groupSize: batchSize, scale: 'none' });
          lossFn = () => {
            const obs = tf.ones([batchSize, 1]);
            const logProb = policy.distribution(obs).logProb(tf.tensor1d(actions, 'int32'));
            return reinforceLoss({ logProb, advantages: tf.tensor1d(Array.from(adv)) }).loss;
          };
        }
        const { value, grads } = tf.variableGrads(lossFn, vars);
        opt.applyGradients(
          vars.map((v) => grads[v.name]!),
          lr,
        );
        tf.dispose([value, grads]);
        const p = policy.probsTable();
        const { er, kl } = stats(p);
        history.push({ step, objective: er - beta * kl, klToOptimum: klProbs(p, optimum.probs) });
      }
    } finally {
      tf.dispose([obs1, rT]);
    }
    const probs = policy.probsTable();
    const { er, kl } = stats(probs);
    return { probs, expectedReward: er, klToRef: kl, klToOptimum: klProbs(probs, optimum.probs), optimum, history };
  } finally {
    opt.dispose();
    ref.dispose();
    policy.dispose();
  }
}

/** A trained point of {@link rewardKlFrontier}. */
export interface TrainedFrontierPoint {
  /** β of this run. */
  beta: number;
  /** E_π[r] of the trained policy. */
  expectedReward: number;
  /** KL(π‖π_ref) of the trained policy (nats). */
  kl: number;
  /** KL(π‖π*_β) (nats): how far training is from the closed form. */
  klToOptimum: number;
}

/** Result of {@link rewardKlFrontier}. */
export interface RewardKlFrontier {
  /** The closed-form curve (KL(π*‖π_ref), E_π*[r]) on a dense β grid (log-spaced between the extreme β's). */
  curve: FrontierPoint[];
  /** The closed-form optimum at each requested β. */
  optimal: FrontierPoint[];
  /** The trained policy at each requested β. */
  trained: TrainedFrontierPoint[];
}

/**
 * Sweep β, train a tabular policy at each ({@link trainKlBandit}) and return its (KL(π‖π_ref), E_π[r]) beside the
 * closed-form frontier, the data of `klip report`'s reward–KL plot and of `examples/kl_regularized_bandit.ts`.
 *
 * for each β: π_β = trainKlBandit(β), point = (KL(π_β‖π_ref), E_π_β[r]); curve = {(KL(π*_β‖π_ref), E_π*_β[r])}
 *
 * Source: Gao et al. 2022 (https://arxiv.org/abs/2210.10760) for reward-vs-KL plots; the curve is
 * {@link klRegularizedFrontier}.
 * @param opts `{ piRef, rewards, betas, mode?, steps?, lr?, batchSize?, seed?, curvePoints? }`; each run gets its own
 *   stream `seed/beta-i`.
 * @returns `{ curve, optimal, trained }` (plain numbers).
 * @throws the errors of {@link trainKlBandit}; ShapeError for an empty `betas`; ConfigError for `curvePoints` < 2.
 * @example
 * ```ts
 * const f = rewardKlFrontier({ piRef: [0.25, 0.25, 0.25, 0.25], rewards: [1, 0.5, 0.2, 0], betas: [0.1, 0.5, 2] });
 * f.trained.map((p) => [p.kl, p.expectedReward]);
 * ```
 */
export function rewardKlFrontier(
  opts: Omit<TrainKlBanditOptions, 'beta'> & { betas: readonly number[]; curvePoints?: number },
): RewardKlFrontier {
  const fn = 'rewardKlFrontier';
  if (opts === null || typeof opts !== 'object')
    throw new ConfigError({ fn, arg: 'opts', expected: 'an options object', got: opts });
  const { betas, piRef, rewards } = opts;
  const curvePoints = opts.curvePoints ?? 50;
  if (!Array.isArray(betas) || betas.length === 0)
    throw new ShapeError({ fn, arg: 'betas', expected: 'a non-empty array of numbers > 0', got: betas });
  betas.forEach((b, i) => {
    assertFiniteNumber(fn, `betas[${i}]`, b, { min: 0, minExclusive: true });
  });
  assertFiniteNumber(fn, 'curvePoints', curvePoints, { min: 2, integer: true });
  const root = rngFromSeed(fn, opts.seed);
  const lo = Math.log(Math.min(...betas) / 2);
  const hi = Math.log(Math.max(...betas) * 2);
  const grid = Array.from({ length: curvePoints }, (_, i) => Math.exp(lo + ((hi - lo) * i) / (curvePoints - 1)));
  const curve = klRegularizedFrontier(piRef, rewards, grid);
  const optimal = klRegularizedFrontier(piRef, rewards, betas);
  const trained = betas.map((beta, i) => {
    const run = trainKlBandit({ ...opts, beta, seed: root.fork(`beta-${i}`) });
    return { beta, expectedReward: run.expectedReward, kl: run.klToRef, klToOptimum: run.klToOptimum };
  });
  return { curve, optimal, trained };
}
