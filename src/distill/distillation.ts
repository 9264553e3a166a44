/**
 * Knowledge distillation with a KL in either direction, and the generalized Jensen–Shannon divergence of GKD
 * (Agarwal et al. 2024, "On-Policy Distillation of Language Models: Learning from Self-Generated Mistakes",
 * https://arxiv.org/abs/2306.13649), as TRL's `GKDTrainer.generalized_jsd_loss` computes it.
 *
 * Forward KL(teacher‖student) is **mode-covering**: the student is penalised wherever the teacher has mass and it
 * has little, so a student too simple for a multimodal teacher spreads over every mode. Reverse KL(student‖teacher)
 * is **mode-seeking**: the student is penalised only where it puts mass the teacher lacks, so it may settle on one
 * mode. {@link fitGaussianStudent} shows both on a bimodal teacher.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertFiniteNumber, assertOneOf, assertProbabilities, assertRank, assertSameShape } from '../core/assert.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import { Categorical } from '../distributions/categorical.js';
import { assertRng } from '../policies/network.js';
import type { Rng } from '../random/rng.js';
import { sampleCategorical } from '../random/sampling.js';
import { Adam } from '../training/adam.js';

/** Which divergence {@link distillationLoss} minimises. */
export type DistillationKind = 'forward' | 'reverse' | 'jsd';
/** Smallest temperature τ accepted: float32 logits/τ stays finite for |logits| ≤ 3.4e34 (and τ never rounds to 0). */
const MIN_TEMPERATURE = 1e-4;

/** All values of {@link DistillationKind}. */
export const DISTILLATION_KINDS: readonly DistillationKind[] = Object.freeze(['forward', 'reverse', 'jsd'] as const);

/** Arguments of {@link distillationLoss}. */
export interface DistillationLossArgs {
  /** Student logits (gradients flow here), `[B, V]` or `[B, T, V]`. */
  studentLogits: tf.Tensor;
  /** Teacher logits (a constant), same shape. */
  teacherLogits: tf.Tensor;
  /** `'forward'`: KL(teacher‖student); `'reverse'`: KL(student‖teacher); `'jsd'`: the generalized JSD(β). */
  kind: DistillationKind;
  /**
   * JSD interpolation β ∈ [0, 1], used by `'jsd'` only: β = 0 is KL(teacher‖student) (forward), β = 1 is
   * KL(student‖teacher) (reverse), β = 0.5 the symmetric JSD. Ignored by the other kinds.
   * @defaultValue 0.5 (TRL `GKDConfig.beta`)
   */
  beta?: number;
  /**
   * Softmax temperature τ ≥ 1e-4 (smaller values overflow float32 logits/τ): both logit tensors are divided by τ first.
   * @defaultValue 1 (TRL `GKDConfig.temperature`)
   */
  temperature?: number;
  /** 1 for positions that count, 0 for padding, shape `[B]` or `[B, T]` (the logits' shape without V). @defaultValue all ones */
  mask?: tf.Tensor;
}

/** Result of {@link distillationLoss}; new tensors owned by the caller. */
export interface DistillationLossResult {
  /** Mean divergence over the unmasked positions (TRL `reduction="batchmean"` with labels: Σ / #unmasked). */
  loss: tf.Scalar;
  /** The divergence at every position, `[B]` or `[B, T]` (0 at padding). */
  divergence: tf.Tensor;
}

/**
 * Distillation loss between student and teacher categoricals at every position: forward KL, reverse KL or GKD's
 * generalized JSD.
 *
 * S = softmax(studentLogits/τ), T = softmax(teacherLogits/τ), per position:
 * - forward: KL(T‖S) = Σ_v T(v)·log(T(v)/S(v))
 * - reverse: KL(S‖T) = Σ_v S(v)·log(S(v)/T(v))
 * - jsd(β):  M = β·T + (1 − β)·S,  JSD_β = β·KL(T‖M) + (1 − β)·KL(S‖M)  for 0 < β < 1;
 *            β = 0 → KL(T‖S) and β = 1 → KL(S‖T) (the endpoints are special-cased, as in TRL)
 * loss = Σ mask·divergence / max(Σ mask, 1)
 *
 * **TRL's convention, checked against `trl/trainer/gkd_trainer.py`** (`generalized_jsd_loss`): the mixture puts
 * weight β on the *teacher* (`logsumexp([student + log(1 − β), teacher + log β])`), `jsd = beta * kl_teacher +
 * (1 - beta) * kl_student` with `kl_teacher = F.kl_div(mixture, teacher, log_target=True)` = KL(T‖M); β = 0 returns
 * `F.kl_div(student, teacher)` = KL(T‖S), the forward KL, and β = 1 returns `F.kl_div(teacher, student)` = KL(S‖T),
 * the reverse KL. Inside (0, 1), JSD_β ≈ β·KL(T‖S) as β → 0 and ≈ (1 − β)·KL(S‖T) as β → 1: the interior value
 * tends to 0 at both ends (it is not continuous with the special-cased endpoints) but its direction matches them.
 *
 * Source: Agarwal et al. 2024 (https://arxiv.org/abs/2306.13649) eq. 1 and §3; Hinton et al. 2015 "Distilling the
 * Knowledge in a Neural Network" (https://arxiv.org/abs/1503.02531) for the forward-KL loss with temperature.
 *
 * @param args.studentLogits `[B, V]` or `[B, T, V]`.
 * @param args.teacherLogits the same shape.
 * @param args.kind `'forward'` | `'reverse'` | `'jsd'`.
 * @param args.beta β ∈ [0, 1] for `'jsd'`.
 * @param args.temperature τ ≥ 1e-4 (a smaller τ would overflow float32 logits/τ, or round to 0).
 * @param args.mask `[B]` or `[B, T]` 0/1 weights.
 * @returns `{ loss, divergence }`. Returns new tensors; caller disposes.
 * @throws ShapeError for a rank other than 2 or 3 or mismatched shapes; ConfigError for an unknown kind, β outside
 *   [0, 1] or τ < 1e-4.
 * @example
 * ```ts
 * const { loss } = distillationLoss({
 *   studentLogits: tf.log(tf.tensor2d([[0.4, 0.6]])), teacherLogits: tf.log(tf.tensor2d([[0.7, 0.3]])), kind: 'forward',
 * }); // KL(T‖S) ≈ 0.1838 nats; kind 'reverse' gives KL(S‖T) ≈ 0.1920
 * ```
 */
export function distillationLoss(args: DistillationLossArgs): DistillationLossResult {
  const fn = 'distillationLoss';
  if (args === null || typeof args !== 'object') {
    throw new ConfigError({
      fn,
      arg: 'args',
      expected: 'an object { studentLogits, teacherLogits, kind, beta?, temperature?, mask? }',
      got: args,
    });
  }
  const { studentLogits, teacherLogits, kind, mask } = args;
  const beta = args.beta ?? 0.5;
  const temperature = args.temperature ?? 1;
  if (!(studentLogits instanceof tf.Tensor))
    throw new ConfigError({
      fn,
      arg: 'studentLogits',
      expected: 'a tensor of shape [B, V] or [B, T, V]',
      got: studentLogits,
    });
  if (!(teacherLogits instanceof tf.Tensor))
    throw new ConfigError({
      fn,
      arg: 'teacherLogits',
      expected: 'a tensor of shape [B, V] or [B, T, V]',
      got: teacherLogits,
    });
  assertRank(fn, 'studentLogits', studentLogits, [2, 3]);
  assertSameShape(fn, 'studentLogits', studentLogits, 'teacherLogits', teacherLogits);
  assertOneOf(fn, 'kind', kind, DISTILLATION_KINDS);
  assertFiniteNumber(fn, 'beta', beta, { min: 0, max: 1 });
  assertFiniteNumber(fn, 'temperature', temperature, { min: MIN_TEMPERATURE });
  const posShape = studentLogits.shape.slice(0, -1);
  const V = studentLogits.shape[studentLogits.rank - 1]!;
  if (mask !== undefined) {
    if (!(mask instanceof tf.Tensor))
      throw new ConfigError({ fn, arg: 'mask', expected: `a tensor of shape [${posShape.join(',')}]`, got: mask });
    if (mask.rank !== posShape.length || mask.shape.some((d, i) => d !== posShape[i])) {
      throw new ShapeError({
        fn,
        arg: 'mask',
        expected: `of shape [${posShape.join(',')}] (the logits' shape without V)`,
        got: mask,
      });
    }
  }
  const n = posShape.reduce((a, d) => a * d, 1);
  return tf.tidy(() => {
    // Positions become rows of a batch of categoricals [N, V] (Categorical takes rank ≤ 2).
    const s = tf.reshape(temperature === 1 ? studentLogits : tf.div(studentLogits, temperature), [n, V]);
    const t = tf.reshape(temperature === 1 ? teacherLogits : tf.div(teacherLogits, temperature), [n, V]);
    const S = Categorical.fromLogits(s);
    const T = Categorical.fromLogits(t);
    let div: tf.Tensor;
    if (kind === 'forward' || (kind === 'jsd' && beta === 0)) {
      div = T.kl(S);
    } else if (kind === 'reverse' || (kind === 'jsd' && beta === 1)) {
      div = S.kl(T);
    } else {
      // log M = logsumexp(log S + log(1 − β), log T + log β), as TRL.
      const logS = tf.logSoftmax(s);
      const logT = tf.logSoftmax(t);
      const logM = tf.logSumExp(tf.stack([tf.add(logS, Math.log1p(-beta)), tf.add(logT, Math.log(beta))]), 0);
      const M = Categorical.fromLogits(logM);
      div = tf.add(tf.mul(beta, T.kl(M)), tf.mul(1 - beta, S.kl(M)));
    }
    const divergence = tf.reshape(div, posShape);
    if (mask === undefined) return { loss: tf.mean(divergence) as tf.Scalar, divergence };
    const m = tf.cast(mask, 'float32');
    const masked = tf.where(tf.greater(m, 0), tf.mul(divergence, m), tf.zerosLike(divergence));
    const loss = tf.div(tf.sum(masked), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
    return { loss, divergence: masked };
  });
}

/** Options of {@link bimodalTeacher}. */
export interface BimodalTeacherOptions {
  /** Number of bins V on the line 0…V−1. @defaultValue 21 */
  size?: number;
  /** Centres of the two modes (bin coordinates). @defaultValue [5, 15] */
  modes?: readonly [number, number];
  /** Standard deviation of each mode, in bins. @defaultValue 1.5 */
  width?: number;
  /** Mixture weights of the two modes (normalised). @defaultValue [0.5, 0.5] */
  weights?: readonly [number, number];
}

/**
 * A bimodal teacher on V bins: a two-component Gaussian mixture evaluated at the bin centres and normalised.
 *
 * T(i) ∝ w₁·exp(−(i − m₁)²/(2σ²)) + w₂·exp(−(i − m₂)²/(2σ²)),  i = 0…V−1
 *
 * Source: the mode-covering vs mode-seeking picture of Bishop, *Pattern Recognition and Machine Learning* (2006),
 * Fig. 10.3; Minka 2005, "Divergence measures and message passing".
 * @param opts see {@link BimodalTeacherOptions}.
 * @returns the probabilities, a new `Float64Array(V)` summing to 1.
 * @throws ConfigError for a size < 2, a width ≤ 0, non-finite modes or weights that are negative or sum to 0.
 * @example
 * ```ts
 * const teacher = bimodalTeacher({ size: 21, modes: [5, 15], width: 1.5 });
 * ```
 */
export function bimodalTeacher(opts: BimodalTeacherOptions = {}): Float64Array {
  const fn = 'bimodalTeacher';
  const size = opts.size ?? 21;
  const modes = opts.modes ?? [5, 15];
  const width = opts.width ?? 1.5;
  const weights = opts.weights ?? [0.5, 0.5];
  assertFiniteNumber(fn, 'size', size, { min: 2, integer: true });
  assertFiniteNumber(fn, 'width', width, { min: 0, minExclusive: true });
  if (!Array.isArray(modes) || modes.length !== 2)
    throw new ConfigError({ fn, arg: 'modes', expected: 'a pair [m1, m2]', got: modes });
  if (!Array.isArray(weights) || weights.length !== 2)
    throw new ConfigError({ fn, arg: 'weights', expected: 'a pair [w1, w2]', got: weights });
  modes.forEach((m, i) => {
    assertFiniteNumber(fn, `modes[${i}]`, m);
  });
  weights.forEach((w, i) => {
    assertFiniteNumber(fn, `weights[${i}]`, w, { min: 0 });
  });
  if (!(weights[0] + weights[1] > 0))
    throw new ConfigError({ fn, arg: 'weights', expected: 'non-negative weights with a positive sum', got: weights });
  const p = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    p[i] =
      weights[0] * Math.exp(-((i - modes[0]) ** 2) / (2 * width * width)) +
      weights[1] * Math.exp(-((i - modes[1]) ** 2) / (2 * width * width));
    sum += p[i]!;
  }
  if (!(sum > 0))
    throw new ConfigError({
      fn,
      arg: 'modes',
      expected: 'modes close enough to the bins 0…size−1 to give them mass',
      got: modes,
    });
  for (let i = 0; i < size; i++) p[i]! /= sum;
  return p;
}

/** Options of {@link fitGaussianStudent}. */
export interface FitGaussianStudentOptions {
  /** The teacher probabilities T over V bins (e.g. {@link bimodalTeacher}). */
  teacher: ArrayLike<number>;
  /** Which divergence to minimise. */
  kind: DistillationKind;
  /** β for `'jsd'`. @defaultValue 0.5 */
  beta?: number;
  /** Adam steps. @defaultValue 400 */
  steps?: number;
  /** Adam learning rate. @defaultValue 0.1 */
  lr?: number;
  /**
   * Initial mean μ₀ (bin coordinate). @defaultValue a bin drawn from the teacher with `rng` (so the student starts on
   * the teacher's support; started in the valley between two far-apart modes, a reverse-KL fit can first widen and
   * stall in a broad local minimum)
   */
  initMean?: number;
  /** Initial standard deviation σ₀ in bins. @defaultValue 1 */
  initStd?: number;
  /** Stream for the initial mean when `initMean` is not given. */
  rng?: Rng;
}

/** Result of {@link fitGaussianStudent} (plain numbers). */
export interface FitGaussianStudentResult {
  /** Fitted μ. */
  mean: number;
  /** Fitted σ. */
  std: number;
  /** The student's probabilities S over the V bins. */
  probs: Float64Array;
  /** The final loss (the chosen divergence, nats). */
  loss: number;
  /** The loss after each step. */
  history: number[];
}

/**
 * Fit a one-mode student, a discretised Gaussian S(i) ∝ exp(−(i − μ)²/(2σ²)) on the teacher's bins, by minimising a
 * {@link distillationLoss} with Adam. The demo of forward (mode-covering) vs reverse (mode-seeking) KL: on a bimodal
 * teacher the forward student spreads over both modes, the reverse student collapses onto one.
 *
 * logits_i = −(i − μ)²/(2σ²), σ = e^{log σ};  (μ, log σ) ← Adam(∇ distillationLoss(logits, log T))
 *
 * Source: Bishop (2006) Fig. 10.3; Agarwal et al. 2024 (https://arxiv.org/abs/2306.13649) Fig. A.16 (forward vs
 * reverse KL on a mixture).
 * @param opts see {@link FitGaussianStudentOptions}.
 * @returns `{ mean, std, probs, loss, history }`; every tensor it creates is disposed.
 * @throws ConfigError for a bad teacher, kind, steps, lr, σ₀, or neither `initMean` nor `rng`.
 * @example
 * ```ts
 * const teacher = bimodalTeacher();
 * const fwd = fitGaussianStudent({ teacher, kind: 'forward', rng: createRng(2) }); // μ ≈ 9.5, σ ≈ 7: covers both modes
 * const rev = fitGaussianStudent({ teacher, kind: 'reverse', rng: createRng(2) }); // μ ≈ 5, σ ≈ 1.5: one mode
 * ```
 */
export function fitGaussianStudent(opts: FitGaussianStudentOptions): FitGaussianStudentResult {
  const fn = 'fitGaussianStudent';
  if (opts === null || typeof opts !== 'object')
    throw new ConfigError({ fn, arg: 'opts', expected: 'an options object', got: opts });
  const { teacher, kind } = opts;
  assertProbabilities(fn, 'teacher', teacher);
  const V = teacher.length;
  assertOneOf(fn, 'kind', kind, DISTILLATION_KINDS);
  const beta = opts.beta ?? 0.5;
  const steps = opts.steps ?? 400;
  const lr = opts.lr ?? 0.1;
  const initStd = opts.initStd ?? 1;
  assertFiniteNumber(fn, 'beta', beta, { min: 0, max: 1 });
  assertFiniteNumber(fn, 'steps', steps, { min: 0, integer: true });
  assertFiniteNumber(fn, 'lr', lr, { min: 0, minExclusive: true });
  assertFiniteNumber(fn, 'initStd', initStd, { min: 0, minExclusive: true });
  let initMean = opts.initMean;
  if (initMean === undefined) {
    if (opts.rng === undefined)
      throw new ConfigError({ fn, arg: 'rng', expected: 'an Rng when initMean is not given', got: undefined });
    assertRng(fn, 'rng', opts.rng);
    initMean = sampleCategorical(teacher, opts.rng);
  }
  assertFiniteNumber(fn, 'initMean', initMean);
  const mu0 = initMean;
  // Variables survive tidy; the initial scalars do not.
  const mu = tf.tidy(() => tf.variable(tf.scalar(mu0), true, undefined, 'float32'));
  const logStd = tf.tidy(() => tf.variable(tf.scalar(Math.log(initStd)), true, undefined, 'float32'));
  const vars = [mu, logStd];
  const opt = new Adam(vars);
  const teacherLogits = tf.tidy(() => tf.log(tf.tensor2d(Array.from(teacher), [1, V])));
  const bins = tf.tidy(() => tf.range(0, V, 1, 'float32').reshape([1, V]));
  const logitsOf = (): tf.Tensor => tf.div(tf.neg(tf.square(tf.sub(bins, mu))), tf.mul(2, tf.exp(tf.mul(2, logStd))));
  const history: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const { value, grads } = tf.variableGrads(
        () => distillationLoss({ studentLogits: logitsOf(), teacherLogits, kind, beta }).loss,
        vars,
      );
      opt.applyGradients(
        vars.map((v) => grads[v.name]!),
        lr,
      );
      history.push(value.dataSync()[0]!);
      tf.dispose([value, grads]);
    }
    const [probs, loss] = tf.tidy(() => {
      const logits = logitsOf();
      return [
        tf.softmax(logits).reshape([V]),
        distillationLoss({ studentLogits: logits, teacherLogits, kind, beta }).loss,
      ];
    });
    const p = Float64Array.from(probs.dataSync());
    const result: FitGaussianStudentResult = {
      mean: mu.dataSync()[0]!,
      std: Math.exp(logStd.dataSync()[0]!),
      probs: p,
      loss: loss.dataSync()[0]!,
      history,
    };
    tf.dispose([probs, loss]);
    return result;
  } finally {
    opt.dispose();
    tf.dispose([mu, logStd, teacherLogits, bins]);
  }
}
