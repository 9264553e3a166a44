/**
 * One PPO optimizer step on one minibatch, and the per-step KL between the policy before and after it.
 *
 * The step follows tfjs-examples snake-dqn `agent.js`: `tf.variableGrads` of the loss
 * built in a tidy, an optional global-norm clip (`torch.nn.utils.clip_grad_norm_`: scale by
 * min(1, maxNorm / (‖g‖ + 1e-6))), `optimizer.applyGradients`, then dispose. Diagnostics leave the tidy with
 * `tf.keep` as scalars the caller reads once per update.
 *
 * Per-step KL (what klip reports after every step): with π_b the policy before the step and π_a after it, on the
 * minibatch states s: exact  KL(π_b‖π_a) = mean_s Σ_a π_b(a|s) log(π_b(a|s)/π_a(a|s));
 * the k1 and k3 estimates from the minibatch actions, which were sampled from π_rollout, importance-weighted
 * by w = π_b(a|s)/π_rollout(a|s) so that they estimate the same KL: mean(w·k).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { globalNorm } from '../core/tensor.js';
import { klEstimate } from '../kl/estimators.js';
import { distributionFromParams, paramsTensors } from '../distributions/from_params.js';
import type { Distribution, DistributionParams } from '../distributions/types.js';
import { KlipError } from '../core/errors.js';
import { ppoClipLoss } from '../objectives/ppo_clip.js';
import { klPenaltyLoss } from '../objectives/kl_penalty.js';
import { reinforceLoss } from '../objectives/policy_gradient.js';
import { valueLoss } from '../objectives/value.js';
import type { Policy } from '../policies/types.js';
import type { Adam } from './adam.js';
import type { ObjectiveKind, PenaltyKlKind } from './config.js';
import { type ReferenceKlEstimator, referenceKlLossMean } from './reference_kl.js';

/** One minibatch as tensors (created by the caller inside its scope; not disposed here). */
export interface Minibatch {
  /** Encoded observations [M, …]. */
  obs: tf.Tensor;
  /** Actions [M] (int32) or [M, D]. */
  actions: tf.Tensor;
  /** log π_rollout(a|s) [M]. */
  oldLogProb: tf.Tensor;
  /** Advantages [M] (already normalized if requested). */
  advantages: tf.Tensor;
  /** λ-returns [M]. */
  returns: tf.Tensor;
  /** V_rollout(s) [M]. */
  oldValues: tf.Tensor;
  /** π_rollout's parameters on these states. */
  oldParams: DistributionParams;
  /** π_ref's parameters on these states (the reference penalty in the loss). */
  refParams?: DistributionParams;
}

/** Coefficients of one step (numbers, evaluated from schedules by the trainer). */
export interface StepCoefficients {
  objective: ObjectiveKind;
  clip: number | { low: number; high: number };
  dualClip: number | null;
  /** KL coefficient β (kl-penalty and clip+kl). */
  beta: number;
  klEstimator: PenaltyKlKind;
  entCoef: number;
  vfCoef: number;
  /** Value clip range, or null for the plain squared error. */
  valueClip: number | null;
  maxGradNorm: number | null;
  lr: number;
  /** The KL-to-reference penalty in the loss (needs `batch.refParams`), or null. */
  reference?: { beta: number; estimator: ReferenceKlEstimator } | null;
}

/** Scalar diagnostics of one step (kept tensors; the caller reads and disposes them). */
export interface StepScalars {
  policyLoss: tf.Scalar;
  valueLoss: tf.Scalar;
  klPenalty: tf.Scalar;
  entropy: tf.Scalar;
  clipFraction: tf.Scalar;
  totalLoss: tf.Scalar;
  gradNorm: tf.Scalar;
  /** Pre-step KL(π_rollout‖π_b) on the minibatch: exact, k1, k3 (for early stopping). */
  rolloutKlExact: tf.Scalar;
  rolloutKlK1: tf.Scalar;
  rolloutKlK3: tf.Scalar;
  /** Per-step KL(π_b‖π_a): exact and importance-weighted k1/k3 (present when the step was applied). */
  stepKlExact?: tf.Scalar;
  stepKlK1?: tf.Scalar;
  stepKlK3?: tf.Scalar;
}

function keepAll(p: DistributionParams): DistributionParams {
  for (const t of paramsTensors(p)) tf.keep(t);
  return p;
}

/**
 * β_ref·klMean of the reference penalty in the loss ({@link referenceKlLossMean}), or 0 without it. Runs in the loss
 * closure's tidy.
 * @throws KlipError when the coefficients ask for the penalty and the minibatch carries no π_ref parameters.
 */
function refLossTerm(coef: StepCoefficients, batch: Minibatch, dist: Distribution, logProb: tf.Tensor): tf.Scalar {
  const ref = coef.reference;
  if (!ref) return tf.scalar(0);
  if (!batch.refParams)
    throw new KlipError({
      fn: 'ppoUpdateStep',
      arg: 'batch.refParams',
      expected: "π_ref's parameters (RolloutBuffer.attachReference) with coef.reference",
      got: undefined,
    });
  const klMean = referenceKlLossMean({
    dist,
    refDist: distributionFromParams(batch.refParams),
    actions: batch.actions,
    logProb,
    oldLogProb: batch.oldLogProb,
    estimator: ref.estimator,
  });
  return tf.mul(ref.beta, klMean) as tf.Scalar;
}

interface Forward {
  scalars: Omit<StepScalars, 'gradNorm'>;
  beforeParams: DistributionParams;
  logProbBefore: tf.Tensor;
}

/**
 * Compute the loss of one minibatch and its gradients; optionally stop before applying them when
 * `shouldStop(preStepKl)` says so (SB3's per-minibatch target-KL check); otherwise clip, apply, and measure the
 * per-step KL old→new.
 * @param preStepStatistic Which pre-step KL(π_rollout‖π_b) statistic `shouldStop` receives.
 * @returns `applied` and kept scalar tensors: the caller reads them (e.g. with `readScalars`) and disposes them.
 */
export async function ppoUpdateStep(args: {
  policy: Policy;
  optimizer: Adam;
  batch: Minibatch;
  coef: StepCoefficients;
  shouldStop?: (preStepKl: number) => boolean;
  preStepStatistic?: 'exact' | 'k1' | 'k3';
}): Promise<{ applied: boolean; scalars: StepScalars }> {
  const { policy, optimizer, batch, coef } = args;
  const vars = policy.trainableVariables;
  let fwd: Forward | undefined;
  const lossFn = (): tf.Scalar =>
    tf.tidy(() => {
      const dist = policy.distribution(batch.obs);
      const oldDist = distributionFromParams(batch.oldParams);
      const logProb = dist.logProb(batch.actions);
      const entropy = tf.mean(dist.entropy()) as tf.Scalar;
      const exactKl = oldDist.kl(dist); // KL(π_rollout‖π_θ) per state
      const clipped = ppoClipLoss({
        logProb,
        oldLogProb: batch.oldLogProb,
        advantages: batch.advantages,
        clip: coef.clip,
        ...(coef.dualClip !== null ? { dualClip: coef.dualClip } : {}),
      });
      let policyLoss: tf.Scalar;
      let klPenalty: tf.Scalar = tf.scalar(0);
      if (coef.objective === 'clip') {
        policyLoss = clipped.loss;
      } else if (coef.objective === 'pg') {
        policyLoss = reinforceLoss({ logProb, advantages: batch.advantages }).loss;
      } else {
        const pen = klPenaltyLoss({
          logProb,
          oldLogProb: batch.oldLogProb,
          advantages: batch.advantages,
          beta: coef.beta,
          kl: coef.klEstimator === 'exact' ? exactKl : coef.klEstimator,
        });
        klPenalty = tf.mul(coef.beta, pen.klMean);
        policyLoss = coef.objective === 'kl-penalty' ? pen.surrogate : clipped.loss;
      }
      const values = policy.value!(batch.obs);
      const vLoss = valueLoss({
        values,
        returns: batch.returns,
        ...(coef.valueClip !== null ? { oldValues: batch.oldValues, clipRange: coef.valueClip } : {}),
      }).loss;
      const refPenalty = refLossTerm(coef, batch, dist, logProb);
      const total = tf.addN([
        policyLoss,
        klPenalty,
        refPenalty,
        tf.mul(coef.vfCoef, vLoss),
        tf.mul(-coef.entCoef, entropy),
      ]) as tf.Scalar;
      fwd = {
        scalars: {
          policyLoss: tf.keep(policyLoss),
          valueLoss: tf.keep(vLoss),
          klPenalty: tf.keep(klPenalty),
          entropy: tf.keep(entropy),
          clipFraction: tf.keep(clipped.clipFraction),
          totalLoss: tf.keep(tf.clone(total)),
          rolloutKlExact: tf.keep(tf.mean(exactKl) as tf.Scalar),
          rolloutKlK1: tf.keep(clipped.approxKlK1),
          rolloutKlK3: tf.keep(clipped.approxKlK3),
        },
        beforeParams: keepAll(dist.params()),
        logProbBefore: tf.keep(logProb),
      };
      return total;
    });

  const { value, grads } = tf.variableGrads(lossFn, vars);
  const f = fwd!;
  const gradList = vars.map((v) => grads[v.name]!);
  const gradNorm = globalNorm(gradList);
  const scalars: StepScalars = { ...f.scalars, gradNorm };
  const release = (): void =>
    tf.dispose([value, ...Object.values(grads), f.logProbBefore, ...paramsTensors(f.beforeParams)]);

  try {
    if (args.shouldStop) {
      const stat = args.preStepStatistic ?? 'k3';
      const t =
        stat === 'exact' ? f.scalars.rolloutKlExact : stat === 'k1' ? f.scalars.rolloutKlK1 : f.scalars.rolloutKlK3;
      const kl = (await t.data())[0]!;
      if (args.shouldStop(kl)) return { applied: false, scalars };
    }

    const clippedGrads = tf.tidy(() => {
      if (coef.maxGradNorm === null) return gradList.map((g) => tf.clone(g));
      const scale = tf.minimum(1, tf.div(coef.maxGradNorm, tf.add(gradNorm, 1e-6)));
      return gradList.map((g) => tf.mul(g, scale));
    });
    optimizer.applyGradients(clippedGrads, coef.lr);
    tf.dispose(clippedGrads);

    const after = tf.tidy(() => {
      const before = distributionFromParams(f.beforeParams);
      const dist = policy.distribution(batch.obs);
      const logProbAfter = dist.logProb(batch.actions);
      const w = tf.exp(tf.sub(f.logProbBefore, batch.oldLogProb));
      // Estimates of KL(π_b‖π_a) per sample: logProb = log π_b, refLogProb = log π_a.
      const est = { logProb: f.logProbBefore, refLogProb: logProbAfter };
      return {
        stepKlExact: tf.mean(before.kl(dist)) as tf.Scalar,
        stepKlK1: tf.mean(tf.mul(w, klEstimate({ estimator: 'k1', ...est }))) as tf.Scalar,
        stepKlK3: tf.mean(tf.mul(w, klEstimate({ estimator: 'k3', ...est }))) as tf.Scalar,
      };
    });
    return { applied: true, scalars: { ...scalars, ...after } };
  } catch (e) {
    tf.dispose(Object.values(scalars)); // the caller never receives them
    throw e;
  } finally {
    release();
  }
}
