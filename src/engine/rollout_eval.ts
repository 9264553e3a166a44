/**
 * The forward passes of an update outside the optimizer steps, on the fused engine's network: π_rollout on the
 * rollout's states (log π_rollout(a_t|s_t), V(s_t), the distribution parameters and the bootstrap values, what
 * `RolloutBuffer.fromRollout` needs), KL(π_rollout‖π_current) at the end of the update (what `rolloutToCurrentKl`
 * measures) and π(·|s) on every state of a tabular world. With one-hot observations each distinct state is forwarded
 * once and its results are shared by every sample in that state (exact: the output depends on the state alone).
 * @module
 */
import { ShapeError } from '../core/errors.js';
import type { Rollout } from '../training/rollout.js';
import type { RolloutKl } from '../training/rollout_kl.js';
import type { FusedPpoEngine } from './fused_mlp.js';
import { gaussianLogProb } from './gaussian_loss.js';
import type { FusedModel, FusedRows } from './model.js';
import { logSoftmaxRows } from './ppo_loss.js';
import { categoricalRowKl, gaussianRowKl } from './row_kl.js';

/** π_rollout's per-sample quantities of one rollout (float32, as the tfjs forward pass would store them). */
export interface RolloutForward {
  /** log π_rollout(a_t|s_t) `[B]`. */
  logProb: Float32Array;
  /** V_rollout(s_t) `[B]`. */
  values: Float32Array;
  /** V_rollout of each bootstrap observation (`rollout.bootstrapObs`), in order. */
  bootValues: Float32Array;
  /** Normalised log-probabilities `[B, A]` (categorical heads). */
  logits?: Float32Array;
  /** Means `[B, D]` (Gaussian heads). */
  mean?: Float32Array;
  /** Log-std `[B, D]`, the state-independent parameter repeated per row (Gaussian heads). */
  logStd?: Float32Array;
}

/** Rows to forward for `count` observations: distinct states (one-hot) or float rows, and each sample's row. */
interface RowPlan {
  rows: FusedRows;
  rowOf: Int32Array;
}

/**
 * The rows of `count` observations: each distinct state once (`oneHot`), else every observation as a float row
 * rounded to float32 (what the encoder's float32 tensor holds).
 */
function planRows(obs: Int32Array | Float64Array, count: number, inDim: number, oneHot: boolean): RowPlan {
  const rowOf = new Int32Array(count);
  if (oneHot) {
    const slot = new Int32Array(inDim).fill(-1);
    const states: number[] = [];
    for (let t = 0; t < count; t++) {
      const s = obs[t]!;
      if (!(Number.isInteger(s) && s >= 0 && s < inDim))
        throw new ShapeError({ fn: 'forwardRollout', arg: `obs[${t}]`, expected: `a state in [0, ${inDim})`, got: s });
      let r = slot[s]!;
      if (r < 0) {
        r = states.length;
        slot[s] = r;
        states.push(s);
      }
      rowOf[t] = r;
    }
    return { rows: { n: states.length, states: Int32Array.from(states), obs: null }, rowOf };
  }
  if (obs.length !== count * inDim)
    throw new ShapeError({ fn: 'forwardRollout', arg: 'obs', expected: `${count * inDim} numbers`, got: obs.length });
  const x = new Float64Array(count * inDim);
  for (let k = 0; k < x.length; k++) x[k] = Math.fround(obs[k]!);
  for (let t = 0; t < count; t++) rowOf[t] = t;
  return { rows: { n: count, states: null, obs: x }, rowOf };
}

/** Forward `plan`'s rows through the engine's network (values too). */
function forward(engine: FusedPpoEngine, plan: RowPlan): void {
  engine.model.reserve(plan.rows.n);
  engine.model.forward(plan.rows, true);
}

/**
 * Forward `count` observations and return each sample's row and the rows' head outputs: normalised
 * log-probabilities (a new array) for a categorical head, the means (the model's buffer) for a Gaussian one. The
 * values stay in `engine.model.values`.
 */
function forwardHeads(
  engine: FusedPpoEngine,
  obs: Int32Array | Float64Array,
  count: number,
  oneHot: boolean,
): { rowOf: Int32Array; head: Float64Array } {
  const model = engine.model;
  const plan = planRows(obs, count, model.inDim, oneHot);
  forward(engine, plan);
  if (engine.logStd !== null) return { rowOf: plan.rowOf, head: model.logits };
  const n = plan.rows.n;
  const A = model.nActions;
  const logq = new Float64Array(n * A);
  logSoftmaxRows(n, A, model.logits, logq, new Float64Array(n));
  return { rowOf: plan.rowOf, head: logq };
}

/**
 * π_rollout on a rollout, on the engine's network (whose parameters must be the policy's: call
 * `syncEngineFromPolicy` first): per sample t, log π(a_t|s_t) (log-softmax of the logits, or the diagonal Gaussian
 * log-density), V(s_t), the distribution parameters, and V of each bootstrap observation; rounded to float32.
 * @param engine The fused engine of the policy that collected the rollout.
 * @param rollout The rollout.
 * @param oneHot Whether observations are one-hot state indices (`policy.encoder.kind === 'one-hot'`).
 * @returns New float32 arrays.
 * @throws ShapeError for observations outside the network's input.
 * @example
 * ```ts
 * syncEngineFromPolicy(engine, policy);
 * const fwd = forwardRollout(engine, rollout, true); // fwd.logProb[t] = log π_rollout(a_t|s_t)
 * ```
 */
export function forwardRollout(engine: FusedPpoEngine, rollout: Rollout, oneHot: boolean): RolloutForward {
  const model = engine.model;
  const B = rollout.T * rollout.N;
  const A = model.nActions;
  const { rowOf, head } = forwardHeads(engine, rollout.obs, B, oneHot);
  const logProb = new Float32Array(B);
  const values = new Float32Array(B);
  for (let t = 0; t < B; t++) values[t] = model.values[rowOf[t]!]!;
  const out: RolloutForward = { logProb, values, bootValues: new Float32Array(0) };
  const logStd = engine.logStd;
  if (logStd === null) {
    const logits = new Float32Array(B * A);
    const actions = rollout.actions;
    for (let t = 0; t < B; t++) {
      const o = rowOf[t]! * A;
      for (let a = 0; a < A; a++) logits[t * A + a] = head[o + a]!;
      logProb[t] = head[o + actions[t]!]!;
    }
    out.logits = logits;
  } else {
    const mean = new Float32Array(B * A);
    const ls = new Float32Array(B * A);
    const x = Float32Array.from(rollout.actions);
    for (let t = 0; t < B; t++) {
      const o = rowOf[t]! * A;
      for (let d = 0; d < A; d++) {
        mean[t * A + d] = head[o + d]!;
        ls[t * A + d] = logStd[d]!;
      }
      logProb[t] = gaussianLogProb(A, x, t * A, head, o, logStd);
    }
    out.mean = mean;
    out.logStd = ls;
  }
  const nb = rollout.bootstrapIndex.length;
  if (nb > 0) {
    const boot = planRows(rollout.bootstrapObs, nb, model.inDim, oneHot);
    forward(engine, boot);
    out.bootValues = Float32Array.from({ length: nb }, (_, j) => model.values[boot.rowOf[j]!]!);
  }
  return out;
}

/** What {@link fusedRolloutKl} reads of an update's batch (the fields of `RolloutBuffer` as typed arrays). */
export interface RolloutKlInputs {
  /** The rollout (observations and actions). */
  rollout: Rollout;
  /** π_rollout on the rollout (from {@link forwardRollout}). */
  forward: RolloutForward;
}

/**
 * KL(π_rollout‖π_current) on an update's batch, computed on the engine's network (its parameters are π_current):
 * the exact mean_t KL(π_rollout(·|s_t)‖π_current(·|s_t)) (categorical Σ_a p(a)(log p(a) − log q(a)); diagonal
 * Gaussian Σ_d log σ_q/σ_p + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½), k1 = mean_t (log π_rollout(a_t|s_t) − log π_current(a_t|s_t)),
 * k3 = mean_t (r_t − 1 − log r_t) with r_t = π_current/π_rollout (Schulman 2020), and with `advantages` the
 * surrogate gains mean_t (r_t − 1)·Â_t and mean_t [min(r_t·Â_t, clip(r_t, 1 ± ε)·Â_t) − Â_t] (Schulman et al. 2017,
 * eq. 7), Â rounded to float32 as the tfjs path does; per-state KLs below 0 (float32 rounding) count as 0, and the
 * means are rounded to float32. The same numbers as `rolloutToCurrentKl` up to float rounding.
 * @param engine The fused engine, holding π_current's parameters.
 * @param batch The rollout and π_rollout's forward pass on it.
 * @param oneHot Whether observations are one-hot state indices.
 * @param opts `advantages` Â (length B) for the gains, and the clip range `epsilon` (default 0.2).
 * @returns Plain numbers (`gain`/`clipGain` NaN without advantages).
 * @example
 * ```ts
 * const { exact, k1, k3 } = fusedRolloutKl(engine, { rollout, forward: fwd }, true); // 0 before any step
 * ```
 */
export function fusedRolloutKl(
  engine: FusedPpoEngine,
  batch: RolloutKlInputs,
  oneHot: boolean,
  opts: { advantages?: Float64Array; epsilon?: number } = {},
): RolloutKl {
  const { rollout, forward: old } = batch;
  const model = engine.model;
  const B = rollout.T * rollout.N;
  const A = model.nActions;
  const eps = opts.epsilon ?? 0.2;
  const { rowOf, head: logq } = forwardHeads(engine, rollout.obs, B, oneHot);
  const logStd = engine.logStd;
  const x = logStd === null ? null : Float32Array.from(rollout.actions);
  const adv = opts.advantages;
  let exact = 0;
  let k1 = 0;
  let k3 = 0;
  let gain = 0;
  let clipGain = 0;
  for (let t = 0; t < B; t++) {
    const o = rowOf[t]! * A;
    let kl: number;
    let lpNew: number;
    if (logStd === null) {
      kl = categoricalRowKl(old.logits!, t * A, logq, o, A);
      lpNew = logq[o + rollout.actions[t]!]!;
    } else {
      kl = gaussianRowKl(old.mean!, t * A, old.logStd!, t * A, logq, o, logStd, 0, A);
      lpNew = gaussianLogProb(A, x!, t * A, logq, o, logStd);
    }
    exact += kl > 0 ? kl : 0; // ≥ 0 in exact arithmetic; float32 log-probabilities can leave a −1e-8
    const l = old.logProb[t]! - lpNew;
    k1 += l;
    const r = Math.exp(-l);
    k3 += r - 1 + l;
    if (adv) {
      const a = Math.fround(adv[t]!);
      gain += (r - 1) * a;
      const rc = r < 1 - eps ? 1 - eps : r > 1 + eps ? 1 + eps : r;
      clipGain += Math.min(r * a, rc * a) - a;
    }
  }
  // Rounded to float32 like the tfjs means: these drive β and early stopping, and float32 hides the last-bit
  // differences of Math.exp/Math.log between JavaScript engines (Node's V8 and Chromium's), so runs agree bit for bit.
  const f = Math.fround;
  return {
    exact: f(exact / B),
    k1: f(k1 / B),
    k3: f(k3 / B),
    gain: adv ? f(gain / B) : NaN,
    clipGain: adv ? f(clipGain / B) : NaN,
  };
}

/** Forward the states 0…S−1 of a one-hot world through the engine's network; its output buffers hold the result. */
function forwardEveryState(engine: FusedPpoEngine, withValues: boolean): FusedModel {
  const model = engine.model;
  const S = model.inDim;
  model.reserve(S);
  model.forward({ n: S, states: Int32Array.from({ length: S }, (_, s) => s), obs: null }, withValues);
  return model;
}

/**
 * π(·|s) on every state 0…S−1 of a one-hot world, on the engine's network: a row-major `[S, A]` table of
 * probabilities exp(log-softmax(logits)), rounded to float32 as the tfjs path's.
 * @param engine The fused engine (its parameters are the policy's).
 * @returns A new float64 table.
 * @example
 * ```ts
 * const probs = fusedStateProbs(engine); // probs[s * A + a] = π(a|s)
 * ```
 */
export function fusedStateProbs(engine: FusedPpoEngine): Float64Array {
  const model = forwardEveryState(engine, false);
  const S = model.inDim;
  const A = model.nActions;
  const out = new Float64Array(S * A);
  logSoftmaxRows(S, A, model.logits, out, new Float64Array(S));
  for (let k = 0; k < out.length; k++) out[k] = Math.fround(Math.exp(out[k]!)); // float32, as the tfjs probabilities
  return out;
}

/**
 * V(s) on every state 0…S−1 of a one-hot world, on the engine's critic, rounded to float32 as the tfjs path's
 * values; null when the network has no critic.
 * @param engine The fused engine (its parameters are the policy's).
 * @returns A new float64 array `[S]`, or null.
 * @example
 * ```ts
 * const v = fusedStateValues(engine); // v[s] = V(s)
 * ```
 */
export function fusedStateValues(engine: FusedPpoEngine): Float64Array | null {
  if (!engine.model.hasCritic) return null;
  const model = forwardEveryState(engine, true);
  const S = model.inDim;
  const out = new Float64Array(S);
  for (let s = 0; s < S; s++) out[s] = Math.fround(model.values[s]!);
  return out;
}
