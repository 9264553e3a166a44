/**
 * The metric record of one update: read the optimizer steps' kept scalars once, assemble the record of
 * {@link METRICS} keys, and stop on a NaN before the record reaches anyone.
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { NumericError } from '../core/errors.js';
import type { EarlyStopStatistic } from '../controllers/early_stop.js';
import type { MetricKey, MetricRecord } from './metrics.js';
import type { EpisodeRecord } from './rollout.js';
import type { RolloutKl } from './rollout_kl.js';
import type { StepScalars } from './update.js';

/** The per-optimizer-step scalars of one update, as numbers (one entry per step). */
export interface StepReadings {
  /** Every step that computed a loss (including one refused by early stopping). */
  policyLoss: number[];
  valueLoss: number[];
  klPenalty: number[];
  entropy: number[];
  clipFraction: number[];
  totalLoss: number[];
  gradNorm: number[];
  /** Applied steps only: the per-step KL(π_before‖π_after), exact and importance-weighted k1/k3. */
  stepKlExact: number[];
  stepKlK1: number[];
  stepKlK3: number[];
  /** Applied steps only: the pre-step KL(π_rollout‖π_before) statistic early stopping compares. */
  preStep: number[];
}

/** A step's scalars as kept tensors (`ppoUpdateStep`) or plain numbers (the fused engine). */
export type StepScalarsLike = {
  [K in keyof StepScalars]: StepScalars[K] extends tf.Scalar ? tf.Scalar | number : tf.Scalar | number | undefined;
};

/**
 * Read the scalars of an update's optimizer steps (one device read per tensor scalar, all in flight together;
 * numbers as they are) and dispose the tensors.
 * @param steps What `ppoUpdateStep` (or the fused engine) returned, in order.
 * @param preStepStatistic The statistic early stopping reads (`exact`, `k1` or `k3`).
 */
export async function readStepScalars(
  steps: StepScalarsLike[],
  preStepStatistic: EarlyStopStatistic,
): Promise<StepReadings> {
  const applied = steps.filter((s) => s.stepKlExact !== undefined);
  const read = (pick: (s: StepScalarsLike) => tf.Scalar | number | undefined, from: StepScalarsLike[]) =>
    Promise.all(
      from.map(async (s) => {
        const x = pick(s)!;
        return typeof x === 'number' ? x : (await x.data())[0]!;
      }),
    );
  const pre = (s: StepScalarsLike): tf.Scalar | number =>
    preStepStatistic === 'exact' ? s.rolloutKlExact : preStepStatistic === 'k1' ? s.rolloutKlK1 : s.rolloutKlK3;
  const [
    policyLoss,
    valueLoss,
    klPenalty,
    entropy,
    clipFraction,
    totalLoss,
    gradNorm,
    stepKlExact,
    stepKlK1,
    stepKlK3,
    preStep,
  ] = await Promise.all([
    read((s) => s.policyLoss, steps),
    read((s) => s.valueLoss, steps),
    read((s) => s.klPenalty, steps),
    read((s) => s.entropy, steps),
    read((s) => s.clipFraction, steps),
    read((s) => s.totalLoss, steps),
    read((s) => s.gradNorm, steps),
    read((s) => s.stepKlExact, applied),
    read((s) => s.stepKlK1, applied),
    read((s) => s.stepKlK3, applied),
    read(pre, applied),
  ]);
  for (const s of steps) for (const t of Object.values(s)) if (typeof t === 'object' && t !== null) t.dispose();
  return {
    policyLoss: policyLoss!,
    valueLoss: valueLoss!,
    klPenalty: klPenalty!,
    entropy: entropy!,
    clipFraction: clipFraction!,
    totalLoss: totalLoss!,
    gradNorm: gradNorm!,
    stepKlExact: stepKlExact!,
    stepKlK1: stepKlK1!,
    stepKlK3: stepKlK3!,
    preStep: preStep!,
  };
}

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}

/** What one update produced, gathered by the trainer's phases. */
export interface UpdateOutcome {
  /** Updates completed, this one included. */
  update: number;
  /** Env steps collected so far, this update's included. */
  globalStep: number;
  /** The optimizer steps' scalars. */
  steps: StepReadings;
  /** KL(π_rollout‖π_end) of the update (and the gain). */
  end: RolloutKl;
  /** The visitation-weighted exact KL, or null without an MDP model. */
  visitationKl: number | null;
  /** β used by this update's loss. */
  beta: number;
  /** Whether the controller rule received this update's KL. */
  fedRule: boolean;
  /** The penalty binding ratio ρ, or null for objectives without a KL term. */
  binding: number | null;
  /** Whether early stopping ended the update. */
  earlyStopped: boolean;
  /** The rolling window of finished episodes (at most 100). */
  window: readonly EpisodeRecord[];
  /** Episodes finished so far. */
  episodes: number;
  /** The learning rate of this update. */
  lr: number;
  /** Env steps per second of wall time, this update. */
  envStepsPerSecond: number;
  /** Exact expected return of π_end, or null. */
  policyReturn: number | null;
  /** The exact optimum, or null. */
  optimalReturn: number | null;
  /** The KL to the reference on this rollout and β_ref, or undefined/null without `referenceKl`. */
  reference?: { exact: number; estimate: number; beta: number } | null;
  /** The evaluation after this update, or undefined/null on updates without one. */
  evaluation?: { meanReturn: number; stdReturn: number; exactReturn: number | null } | null;
}

/**
 * The record of {@link METRICS} keys for one update (`docs/metrics.md` gives each key's formula). Means over the
 * update's optimizer steps; the per-step KL keys over the applied steps only (0 when early stopping refused the
 * first step).
 */
export function updateRecord(o: UpdateOutcome): MetricRecord {
  const s = o.steps;
  const anyApplied = s.stepKlExact.length > 0;
  const w = o.window;
  const record: Record<MetricKey, number | null> = {
    update: o.update,
    global_step: o.globalStep,
    'kl/exact_old_new': anyApplied ? mean(s.stepKlExact) : 0,
    'kl/exact_old_new_max': anyApplied ? Math.max(...s.stepKlExact) : 0,
    'kl/k1': anyApplied ? mean(s.stepKlK1) : 0,
    'kl/k3': anyApplied ? mean(s.stepKlK3) : 0,
    'kl/exact_rollout_end': o.end.exact,
    'kl/k1_rollout_end': o.end.k1,
    'kl/k3_rollout_end': o.end.k3,
    'kl/exact_visitation': o.visitationKl,
    'kl/pre_step_max': anyApplied ? Math.max(...s.preStep) : 0,
    'kl/coef': o.beta,
    'kl/coef_held': o.fedRule ? 0 : 1,
    'kl/binding': o.binding,
    'kl/early_stopped': o.earlyStopped ? 1 : 0,
    'kl/optimizer_steps': s.stepKlExact.length,
    'policy/clip_fraction': mean(s.clipFraction),
    'policy/entropy': mean(s.entropy),
    'loss/policy': mean(s.policyLoss),
    'loss/value': mean(s.valueLoss),
    'loss/kl_penalty': mean(s.klPenalty),
    'loss/total': mean(s.totalLoss),
    'loss/grad_norm': mean(s.gradNorm),
    'charts/episodic_return': w.length ? mean(w.map((e) => e.return)) : null,
    'charts/episode_length': w.length ? mean(w.map((e) => e.length)) : null,
    'charts/success_rate': w.length ? mean(w.map((e) => (e.success ? 1 : 0))) : null,
    'charts/episodes': o.episodes,
    'charts/lr': o.lr,
    'charts/env_steps_per_s': o.envStepsPerSecond,
    'charts/policy_return': o.policyReturn,
    'charts/optimal_return': o.optimalReturn,
    'charts/regret': o.optimalReturn !== null && o.policyReturn !== null ? o.optimalReturn - o.policyReturn : null,
    'kl/ref_exact': o.reference?.exact ?? null,
    'kl/ref_estimate': o.reference?.estimate ?? null,
    'kl/ref_coef': o.reference?.beta ?? null,
    'eval/return': o.evaluation?.meanReturn ?? null,
    'eval/return_std': o.evaluation?.stdReturn ?? null,
    'eval/exact_return': o.evaluation?.exactReturn ?? null,
  };
  return record;
}

/** The keys whose NaN stops training (the KL of the update may be +∞, the others must be finite). */
const GUARDED_KEYS = ['loss/policy', 'loss/value', 'loss/total', 'kl/exact_rollout_end', 'policy/entropy'] as const;

/**
 * Stop training on a broken update: NaN in a loss, the entropy or the KL of the update, or ±∞ in a loss or the
 * entropy.
 * @throws NumericError naming the metric and the update.
 */
export function assertFiniteRecord(record: MetricRecord, fn = 'Trainer.step'): void {
  for (const key of GUARDED_KEYS) {
    const v = record[key];
    if (typeof v !== 'number' || Number.isNaN(v) || (key !== 'kl/exact_rollout_end' && !Number.isFinite(v))) {
      throw new NumericError({ fn, arg: `${key} at update ${record.update}`, expected: 'a finite number', got: v });
    }
  }
}
