/**
 * RLHF in miniature on the {@link TokenBandit}: a position-conditioned tabular policy starts at the reference ("SFT
 * model"), samples sequences, and is updated with a KL-to-reference penalty placed either in the reward (PPO/RLHF,
 * TRL `PPOTrainer`) or in the loss (GRPO, TRL `GRPOTrainer`).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';
import { createKlController } from '../controllers/controllers.js';
import type { KlController, KlControllerConfig, KlControllerState } from '../controllers/types.js';
import { klLossPenalty, klRewardPenalty, REWARD_KL_ESTIMATORS, type RewardKlEstimator } from '../kl/penalty.js';
import { GROUP_SCALES, groupRelativeAdvantages, type GroupScale } from '../objectives/advantages.js';
import { reinforceLoss } from '../objectives/policy_gradient.js';
import { TabularPolicy } from '../policies/tabular.js';
import { rngFromSeed, type Rng, type Seed } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import { Adam } from '../training/adam.js';
import type { TokenBandit } from '../../envs/token_bandit.js';

/** Where the KL-to-reference penalty goes. */
export type KlPlacement = 'reward' | 'loss';
/** All values of {@link KlPlacement}. */
export const KL_PLACEMENTS: readonly KlPlacement[] = Object.freeze(['reward', 'loss'] as const);

/** Options of {@link trainTokenPolicy}. Give exactly one of `beta` and `controller`. */
export interface TrainTokenPolicyOptions {
  /** The world (its reference is π_ref, and the policy starts there). */
  bandit: TokenBandit;
  /** `'reward'`: r_t = −β·KL_t, score on the last token, REINFORCE on rewards-to-go. `'loss'`: GRPO, L = −mean(A·log π) + β·mean k3. */
  placement: KlPlacement;
  /** The per-token KL estimator of the reward placement (the loss placement always uses k3). @defaultValue 'k1' (TRL) */
  estimator?: RewardKlEstimator;
  /** A fixed β ≥ 0. */
  beta?: number;
  /**
   * A controller (or its configuration, passed to `createKlController`) that sets β before each update and observes
   * the batch's mean sequence KL after it.
   */
  controller?: KlController | KlControllerConfig;
  /** Updates. @defaultValue 200 */
  steps?: number;
  /** Sequences per update (one GRPO group). @defaultValue 32 */
  batchSize?: number;
  /** Adam learning rate. @defaultValue 0.05 */
  lr?: number;
  /** Advantage scaling of the loss placement ({@link groupRelativeAdvantages}). @defaultValue 'group' (TRL `scale_rewards`) */
  scale?: GroupScale;
  /** Seed or stream for sampling. @defaultValue 0 */
  seed?: Seed | Rng;
}

/** One update of {@link trainTokenPolicy}'s history. */
export interface TokenTrainingStep {
  /** Update index, 1-based. */
  step: number;
  /** Mean task score of the sampled batch (before the update). */
  reward: number;
  /** Exact E_π[R] of the policy after the update. */
  expectedScore: number;
  /** Exact KL(π‖π_ref) per sequence of the policy after the update (nats). */
  klToRef: number;
  /** The batch's mean per-sequence KL estimate Σ_t KL_t (what a controller observes; nats). */
  klEstimate: number;
  /** β used for this update. */
  beta: number;
}

/** Result of {@link trainTokenPolicy}. */
export interface TrainTokenPolicyResult {
  /** One record per update. */
  history: TokenTrainingStep[];
  /** The trained policy table `[T·V]`, row t = π(·|t). */
  probs: Float64Array;
}

/**
 * Train a position-conditioned softmax policy π_θ(v|t) (a `TabularPolicy` with T states and V actions, initialised
 * at π_ref) on a {@link TokenBandit} with a KL-to-reference penalty.
 *
 * reward placement: r_t = −β·KL_t (+ R(y) at the last token), G_t = Σ_{s≥t} r_s, A_t = G_t − mean_batch(G_t),
 *                   L = −mean_{b,t} A_t·log π_θ(y_t|t)                                  (Ziegler et al. 2019)
 * loss placement:   A_b = groupRelativeAdvantages(R(y_b)),  L = −mean_{b,t} A_b·log π_θ(y_t|t) + β·mean_{b,t} k3_t
 *                                                                                        (Shao et al. 2024, GRPO)
 * One Adam step per batch (on-policy, so no ratio clipping is needed). With a controller, β = coef(state) before the
 * update and state ← update(state, { kl: max(0, mean_b Σ_t KL_t), nSteps: batchSize }) after it; the proportional
 * rule's target is then in nats per sequence, as in TRL.
 *
 * Source: Ziegler et al. 2019 (https://arxiv.org/abs/1909.08593) §2.2; Shao et al. 2024 (https://arxiv.org/abs/2402.03300)
 * §4.1; TRL `ppo_trainer.py` / `grpo_trainer.py`.
 * @param opts see {@link TrainTokenPolicyOptions}.
 * @returns `{ history, probs }`; every tensor and variable is disposed.
 * @throws ConfigError for a missing world, an unknown placement/estimator/scale, both or neither of β and controller,
 *   or bad steps/batchSize/lr.
 * @example
 * ```ts
 * const bandit = new TokenBandit({ vocabSize: 8, length: 6, reward: 'count', target: 3 });
 * const { history } = trainTokenPolicy({ bandit, placement: 'reward', estimator: 'k1', beta: 0.5, steps: 100 });
 * history.at(-1); // { step: 100, reward, expectedScore, klToRef, klEstimate, beta: 0.5 }
 * ```
 */
export function trainTokenPolicy(opts: TrainTokenPolicyOptions): TrainTokenPolicyResult {
  const fn = 'trainTokenPolicy';
  if (opts === null || typeof opts !== 'object')
    throw new ConfigError({ fn, arg: 'opts', expected: 'an options object', got: opts });
  const { bandit, placement } = opts;
  // Structural check (no instanceof across entry points: 'klip' and 'klip/envs' are separate bundles).
  const b = bandit as Partial<TokenBandit> | null;
  if (
    b === null ||
    typeof b !== 'object' ||
    typeof b.score !== 'function' ||
    typeof b.referenceTable !== 'function' ||
    typeof b.expectedScore !== 'function' ||
    typeof b.sequenceKl !== 'function' ||
    typeof b.length !== 'number' ||
    typeof b.vocabSize !== 'number'
  ) {
    throw new ConfigError({ fn, arg: 'bandit', expected: 'a TokenBandit (from klip/envs)', got: bandit });
  }
  assertOneOf(fn, 'placement', placement, KL_PLACEMENTS);
  const estimator = opts.estimator ?? 'k1';
  assertOneOf(fn, 'estimator', estimator, REWARD_KL_ESTIMATORS);
  const scale = opts.scale ?? 'group';
  assertOneOf(fn, 'scale', scale, GROUP_SCALES);
  if ((opts.beta === undefined) === (opts.controller === undefined)) {
    throw new ConfigError({
      fn,
      arg: 'beta',
      expected: 'given exactly when no controller is given (one of beta | controller)',
      got: opts.beta,
    });
  }
  if (opts.beta !== undefined) assertFiniteNumber(fn, 'beta', opts.beta, { min: 0 });
  const c = opts.controller;
  if (c !== undefined && (c === null || typeof c !== 'object')) {
    throw new ConfigError({
      fn,
      arg: 'controller',
      expected: 'a KlController or a controller configuration { kind, … }',
      got: c,
    });
  }
  const controller: KlController | undefined =
    c === undefined
      ? undefined
      : typeof (c as KlController).coef === 'function'
        ? (c as KlController)
        : createKlController(c as KlControllerConfig);
  const steps = opts.steps ?? 200;
  const B = opts.batchSize ?? 32;
  const lr = opts.lr ?? 0.05;
  assertFiniteNumber(fn, 'steps', steps, { min: 0, integer: true });
  assertFiniteNumber(fn, 'batchSize', B, { min: 2, integer: true });
  assertFiniteNumber(fn, 'lr', lr, { min: 0, minExclusive: true });
  const rng = rngFromSeed('trainTokenPolicy', opts.seed).fork('sequences');
  const T = bandit.length;
  const V = bandit.vocabSize;
  const refTable = bandit.referenceTable();
  const logRef = Float64Array.from(refTable.flat(), Math.log);
  const policy = new TabularPolicy({ numStates: T, numActions: V, critic: false });
  policy.setWeights([{ name: 'logits', shape: [T, V], values: Array.from(logRef) }]);
  const vars = policy.trainableVariables;
  const opt = new Adam(vars);
  let ctlState: KlControllerState | undefined = controller?.init();
  const history: TokenTrainingStep[] = [];
  // One-hot position rows for every (b, t): built once (tf.oneHot rejects depth 1).
  const posOneHot = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) posOneHot[(b * T + t) * T + t] = 1;
  const obs = tf.tensor2d(posOneHot, [B * T, T]);
  try {
    for (let step = 1; step <= steps; step++) {
      const beta = controller ? controller.coef(ctlState!) : opts.beta!;
      // --- rollout (plain numbers) ---
      const probs = policy.probsTable();
      const tokens = new Int32Array(B * T);
      const mask = new Float32Array(B * T);
      const lp = new Float32Array(B * T);
      const lref = new Float32Array(B * T);
      const scores = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        const seq: number[] = [];
        for (let t = 0; t < T; t++) {
          const row = probs.subarray(t * V, (t + 1) * V);
          const y = sampleCategorical(row, rng);
          const k = b * T + t;
          tokens[k] = y;
          mask[k] = 1;
          lp[k] = Math.log(row[y]!);
          lref[k] = logRef[t * V + y]!;
          seq.push(y);
          if (y === bandit.eos) break;
        }
        scores[b] = bandit.score(seq);
      }
      // --- per-token KL (and rewards for the reward placement) ---
      const [rewards, kl] = tf.tidy((): tf.Tensor[] => {
        const args = {
          logProb: tf.tensor2d(lp, [B, T]),
          refLogProb: tf.tensor2d(lref, [B, T]),
          scores: Array.from(scores),
          beta,
          estimator: placement === 'reward' ? estimator : ('k3' as const),
          mask: tf.tensor2d(mask, [B, T]),
        };
        if (args.estimator !== 'full') {
          const r = klRewardPenalty(args);
          return [r.rewards, r.kl];
        }
        const logits = tf.tensor3d(
          Array.from({ length: B }, () =>
            Array.from({ length: T }, (_, t) => Array.from(probs.subarray(t * V, (t + 1) * V), Math.log)),
          ),
        );
        const refLogits = tf.tensor3d(Array.from({ length: B }, () => refTable.map((r) => r.map(Math.log))));
        const r = klRewardPenalty({ ...args, logits, refLogits });
        return [r.rewards, r.kl];
      });
      const rw = rewards!.dataSync();
      const klv = kl!.dataSync();
      tf.dispose([rewards, kl]);
      let klEst = 0;
      for (let k = 0; k < B * T; k++) klEst += klv[k]!;
      klEst /= B;
      // --- advantages ---
      const adv = new Float32Array(B * T);
      if (placement === 'reward') {
        const G = new Float64Array(B * T);
        for (let b = 0; b < B; b++) {
          let g = 0;
          for (let t = T - 1; t >= 0; t--) {
            g += rw[b * T + t]!;
            G[b * T + t] = g;
          }
        }
        for (let t = 0; t < T; t++) {
          let n = 0;
          let mean = 0;
          for (let b = 0; b < B; b++)
            if (mask[b * T + t]) {
              n++;
              mean += G[b * T + t]!;
            }
          mean = n > 0 ? mean / n : 0;
          for (let b = 0; b < B; b++) if (mask[b * T + t]) adv[b * T + t] = G[b * T + t]! - mean;
        }
      } else {
        const a = groupRelativeAdvantages(scores, { groupSize: B, scale });
        for (let k = 0; k < B * T; k++) adv[k] = mask[k] ? a[Math.floor(k / T)]! : 0;
      }
      // --- update ---
      const { value, grads } = tf.variableGrads(() => {
        const logProbFlat = policy.distribution(obs).logProb(tf.tensor1d(tokens, 'int32'));
        const pg = reinforceLoss({ logProb: logProbFlat, advantages: tf.tensor1d(adv) }).loss;
        if (placement === 'reward') return pg;
        const pen = klLossPenalty({
          logProb: logProbFlat.reshape([B, T]),
          refLogProb: tf.tensor2d(lref, [B, T]),
          beta,
          mask: tf.tensor2d(mask, [B, T]),
        }).loss;
        return tf.add(pg, pen) as tf.Scalar;
      }, vars);
      opt.applyGradients(
        vars.map((v) => grads[v.name]!),
        lr,
      );
      tf.dispose([value, grads]);
      if (controller) ctlState = controller.update(ctlState!, { kl: Math.max(0, klEst), nSteps: B });
      // --- logging ---
      const after = policy.probsTable();
      let meanScore = 0;
      for (let b = 0; b < B; b++) meanScore += scores[b]!;
      history.push({
        step,
        reward: meanScore / B,
        expectedScore: bandit.expectedScore(after),
        klToRef: bandit.sequenceKl(after),
        klEstimate: klEst,
        beta,
      });
    }
    return { history, probs: policy.probsTable() };
  } finally {
    obs.dispose();
    opt.dispose();
    policy.dispose();
  }
}
