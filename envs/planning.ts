/**
 * Exact planning on tabular envs (or wrappers forwarding their table): value iteration, policy evaluation and
 * finite-horizon values, in float64. Terminated outcomes contribute their reward and nothing after them.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import { compileTable, type CompiledTable } from './base.js';
import type { TabularModel } from './types.js';

/** A policy as a probability table: `number[][]` (π[s][a]) or a flat row-major nStates × nActions array. */
export type PolicyTable = readonly (readonly number[])[] | ArrayLike<number>;

/** Options of {@link valueIteration}. */
export interface ValueIterationOptions {
  /** Discount γ ∈ [0, 1]. γ = 1 works for worlds where every policy that matters ends (FrozenLake, CliffWalking). */
  gamma: number;
  /** Stop when max_s |V_{k+1}(s) − V_k(s)| < tol. @defaultValue 1e-12 */
  tol?: number;
  /** Give up (EnvError) after this many sweeps. @defaultValue 100000 */
  maxIterations?: number;
}

/** What {@link valueIteration} returns. */
export interface ValueIterationResult {
  /** Optimal state values V*(s), length nStates. */
  V: Float64Array;
  /** Optimal action values Q*(s, a), row-major nStates × nActions. */
  Q: Float64Array;
  /** A greedy optimal action per state (the lowest index among ties within 1e-12). */
  policy: Int32Array;
  /** Number of sweeps done. */
  iterations: number;
}

const TABLES = new WeakMap<object, CompiledTable>();

function checkModel(fn: string, env: unknown): { m: TabularModel; t: CompiledTable } {
  const m = env as Partial<TabularModel> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    !Array.isArray(m.P) ||
    !Number.isSafeInteger(m.nStates) ||
    !Number.isSafeInteger(m.nActions)
  ) {
    throw new EnvError({
      fn,
      arg: 'env',
      expected: 'a tabular env with P, nStates, nActions (or a wrapper forwarding them)',
      got: env,
    });
  }
  const model = m as TabularModel;
  let t = TABLES.get(model.P);
  if (!t) {
    if (model.P.length !== model.nStates)
      throw new EnvError({
        fn,
        arg: 'env.P',
        expected: `${model.nStates} rows (nStates)`,
        got: `${model.P.length} rows`,
      });
    for (let s = 0; s < model.nStates; s++) {
      const row = model.P[s];
      if (!Array.isArray(row) || row.length !== model.nActions)
        throw new EnvError({ fn, arg: `env.P[${s}]`, expected: `${model.nActions} action lists (nActions)`, got: row });
      for (let a = 0; a < model.nActions; a++) {
        const list = row[a];
        if (!Array.isArray(list) || list.length === 0)
          throw new EnvError({ fn, arg: `env.P[${s}][${a}]`, expected: 'a non-empty list of transitions', got: list });
        for (const tr of list) {
          if (
            !(tr.prob >= 0) ||
            !Number.isFinite(tr.reward) ||
            !Number.isInteger(tr.next) ||
            tr.next < 0 ||
            tr.next >= model.nStates
          ) {
            throw new EnvError({
              fn,
              arg: `env.P[${s}][${a}]`,
              expected: 'transitions { prob ≥ 0, next in [0, nStates), finite reward, terminated }',
              got: tr,
            });
          }
        }
      }
    }
    t = compileTable(model.P, model.nActions);
    TABLES.set(model.P, t);
  }
  return { m: model, t };
}

function checkGamma(fn: string, gamma: unknown): number {
  if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1))
    throw new EnvError({ fn, arg: 'gamma', expected: 'a number in [0, 1]', got: gamma });
  return gamma;
}

function checkPositive(fn: string, arg: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new EnvError({ fn, arg, expected: integer ? 'a positive integer' : 'a positive finite number', got: v });
  }
  return v;
}

function checkOptions(fn: string, options: unknown): Record<string, unknown> {
  if (options === null || typeof options !== 'object')
    throw new EnvError({ fn, arg: 'options', expected: 'an object', got: options });
  return options as Record<string, unknown>;
}

/** Q(s, a) = Σ prob·(r + γ·[¬terminated]·V(next)) for one flat row. */
function backup(t: CompiledTable, row: number, gamma: number, V: Float64Array): number {
  let q = 0;
  for (let k = t.offset[row]!, end = t.offset[row + 1]!; k < end; k++) {
    q += t.prob[k]! * (t.reward[k]! + (t.terminated[k] ? 0 : gamma * V[t.next[k]!]!));
  }
  return q;
}

/**
 * One synchronous sweep of Bellman backups from V into W, for every state s:
 * Q(s, a) = backup(s, a) (written to `Q` when given) and W(s) = max_a Q(s, a) when `pi` is null (optimality),
 * else W(s) = Σ_a π(a|s)·Q(s, a) (expectation, summed in action order). Without `Q`, actions with π(a|s) = 0 are
 * skipped, so a non-finite Q(s, a) of an action π never takes cannot turn W(s) into NaN (policyEvaluation's rule;
 * finiteHorizonValue passes Q and sums every action, as it always did).
 * @returns max_s |W(s) − V(s)| (Infinity when a difference is NaN).
 */
function sweep(
  t: CompiledTable,
  S: number,
  A: number,
  gamma: number,
  V: Float64Array,
  W: Float64Array,
  pi: Float64Array | null,
  Q: Float64Array | null,
): number {
  let delta = 0;
  for (let s = 0; s < S; s++) {
    let best = -Infinity;
    let avg = 0;
    for (let a = 0; a < A; a++) {
      const i = s * A + a;
      if (pi && !Q && !(pi[i]! > 0)) continue;
      const q = backup(t, i, gamma, V);
      if (Q) Q[i] = q;
      if (q > best) best = q;
      if (pi) avg += pi[i]! * q;
    }
    const w = pi ? avg : best;
    W[s] = w;
    const d = Math.abs(w - V[s]!);
    if (d > delta || Number.isNaN(d)) delta = Number.isNaN(d) ? Infinity : d;
  }
  return delta;
}

function greedy(Q: Float64Array, S: number, A: number): Int32Array {
  const policy = new Int32Array(S);
  for (let s = 0; s < S; s++) {
    let best = 0;
    let bq = Q[s * A]!;
    for (let a = 1; a < A; a++) {
      const q = Q[s * A + a]!;
      if (q > bq + 1e-12 * Math.max(1, Math.abs(bq))) {
        best = a;
        bq = q;
      }
    }
    policy[s] = best;
  }
  return policy;
}

/**
 * Value iteration (Bellman optimality backups, synchronous sweeps):
 * Q_k(s, a) = Σ_{(p, s′, r, d) ∈ P[s][a]} p·(r + γ·(1 − d)·V_k(s′)),  V_{k+1}(s) = max_a Q_k(s, a),
 * from V₀ = 0 until max_s |V_{k+1} − V_k| < tol.
 *
 * Source: Sutton & Barto (2nd ed.), §4.4; Gymnasium `frozen_lake.py` table layout.
 * @param env A tabular env or a wrapper that forwards `P`, `nStates`, `nActions`.
 * @param options `{ gamma, tol?, maxIterations? }`.
 * @returns New arrays `{ V [nStates], Q [nStates·nActions], policy [nStates], iterations }`.
 * @throws EnvError for a bad table or options, or when the sweeps do not converge within `maxIterations`
 * (e.g. γ = 1 on a world where some policy collects reward forever).
 * @example
 * ```ts
 * const { V, policy } = valueIteration(frozenLake4x4(), { gamma: 1 });
 * V[0]; // ≈ 0.8235, the optimal success probability from the start
 * ```
 */
export function valueIteration(env: TabularModel, options: ValueIterationOptions): ValueIterationResult {
  const fn = 'valueIteration';
  const o = checkOptions(fn, options);
  const { m, t } = checkModel(fn, env);
  const gamma = checkGamma(fn, o.gamma);
  const tol = checkPositive(fn, 'tol', o.tol ?? 1e-12, false);
  const maxIterations = checkPositive(fn, 'maxIterations', o.maxIterations ?? 100_000, true);
  const S = m.nStates;
  const A = m.nActions;
  let V = new Float64Array(S);
  let W = new Float64Array(S);
  const Q = new Float64Array(S * A);
  for (let it = 1; it <= maxIterations; it++) {
    const delta = sweep(t, S, A, gamma, V, W, null, Q);
    [V, W] = [W, V];
    if (delta < tol) {
      // Q from the converged V, so that V = max_a Q exactly (W is scratch from here on).
      sweep(t, S, A, gamma, V, W, null, Q);
      return { V, Q, policy: greedy(Q, S, A), iterations: it };
    }
  }
  throw new EnvError({
    fn,
    arg: 'maxIterations',
    expected: `enough sweeps for the values to converge (tol ${tol}, gamma ${gamma})`,
    got: maxIterations,
    hint: 'With gamma = 1 the values converge only when every policy that matters reaches a terminal state; use gamma < 1 or finiteHorizonValue',
  });
}

function policyTable(fn: string, policy: unknown, S: number, A: number): Float64Array {
  const out = new Float64Array(S * A);
  if (Array.isArray(policy) && policy.length === S && policy.every((r) => Array.isArray(r) || ArrayBuffer.isView(r))) {
    for (let s = 0; s < S; s++) {
      const row = policy[s] as ArrayLike<number>;
      if (row.length !== A)
        throw new EnvError({ fn, arg: `policy[${s}]`, expected: `a row of ${A} probabilities (nActions)`, got: row });
      for (let a = 0; a < A; a++) out[s * A + a] = row[a]!;
    }
  } else if (
    policy !== null &&
    typeof policy === 'object' &&
    (policy as ArrayLike<unknown>).length === S * A &&
    typeof (policy as ArrayLike<unknown>)[0] === 'number'
  ) {
    out.set(policy as ArrayLike<number>);
  } else {
    throw new EnvError({
      fn,
      arg: 'policy',
      expected: `a probability table ${S} × ${A} (number[][] or a flat array of ${S * A})`,
      got: policy,
    });
  }
  for (let s = 0; s < S; s++) {
    let sum = 0;
    for (let a = 0; a < A; a++) {
      const p = out[s * A + a]!;
      if (!(p >= 0 && p <= 1))
        throw new EnvError({ fn, arg: `policy[${s}][${a}]`, expected: 'a probability in [0, 1]', got: p });
      sum += p;
    }
    if (Math.abs(sum - 1) > 1e-6)
      throw new EnvError({
        fn,
        arg: `policy[${s}]`,
        expected: 'a row summing to 1 (±1e-6)',
        got: Array.from(out.subarray(s * A, s * A + A)),
      });
  }
  return out;
}

/** Options of {@link policyEvaluation}. */
export interface PolicyEvaluationOptions {
  /** Discount γ ∈ [0, 1]. */
  gamma: number;
  /** Stop when max_s |V_{k+1}(s) − V_k(s)| < tol. @defaultValue 1e-12 */
  tol?: number;
  /** Give up (EnvError) after this many sweeps. @defaultValue 100000 */
  maxIterations?: number;
}

/**
 * Iterative policy evaluation of a stochastic policy π given as a probability table:
 * V_{k+1}(s) = Σ_a π(a|s) Σ_{(p, s′, r, d) ∈ P[s][a]} p·(r + γ·(1 − d)·V_k(s′)), from V₀ = 0 to convergence.
 *
 * Source: Sutton & Barto (2nd ed.), §4.1.
 * @param env A tabular env or a wrapper forwarding its table.
 * @param policy π[s][a] as `number[][]` or a flat row-major nStates × nActions array; rows sum to 1.
 * @param options `{ gamma, tol?, maxIterations? }`.
 * @returns A new `Float64Array` V^π of length nStates.
 * @throws EnvError for a bad table, a policy that is not a probability table, or no convergence.
 * @example
 * ```ts
 * const env = frozenLake4x4();
 * const uniform = Array.from({ length: 16 }, () => [0.25, 0.25, 0.25, 0.25]);
 * const V = policyEvaluation(env, uniform, { gamma: 1 });
 * ```
 */
export function policyEvaluation(
  env: TabularModel,
  policy: PolicyTable,
  options: PolicyEvaluationOptions,
): Float64Array {
  const fn = 'policyEvaluation';
  const o = checkOptions(fn, options);
  const { m, t } = checkModel(fn, env);
  const gamma = checkGamma(fn, o.gamma);
  const tol = checkPositive(fn, 'tol', o.tol ?? 1e-12, false);
  const maxIterations = checkPositive(fn, 'maxIterations', o.maxIterations ?? 100_000, true);
  const S = m.nStates;
  const A = m.nActions;
  const pi = policyTable(fn, policy, S, A);
  let V = new Float64Array(S);
  let W = new Float64Array(S);
  for (let it = 1; it <= maxIterations; it++) {
    const delta = sweep(t, S, A, gamma, V, W, pi, null);
    [V, W] = [W, V];
    if (delta < tol) return V;
  }
  throw new EnvError({
    fn,
    arg: 'maxIterations',
    expected: `enough sweeps for the values to converge (tol ${tol}, gamma ${gamma})`,
    got: maxIterations,
    hint: 'With gamma = 1 the policy must reach a terminal state with probability 1 (or collect no reward when it does not)',
  });
}

/** Options of {@link finiteHorizonValue}. */
export interface FiniteHorizonOptions {
  /** Number of steps H the agent gets (a non-negative integer, e.g. the TimeLimit). */
  horizon: number;
  /** Evaluate this stationary policy (probability table) instead of optimizing. */
  policy?: PolicyTable;
  /** Discount γ ∈ [0, 1]. @defaultValue 1 */
  gamma?: number;
}

/** What {@link finiteHorizonValue} returns. */
export interface FiniteHorizonResult {
  /** V_H(s): expected return within H steps from each state (length nStates). */
  V: Float64Array;
  /** Q_H(s, a): expected return of taking a first, then acting (optimally or by the policy) for H − 1 more steps. */
  Q: Float64Array;
  /** Greedy first action per state under Q_H (the optimal first action when no policy is given). */
  policy: Int32Array;
  /** Σ_s ρ₀(s)·V_H(s), the value from the initial-state distribution. */
  startValue: number;
  /** The horizon H. */
  horizon: number;
}

/**
 * Finite-horizon values by backward induction: V₀ = 0 and
 * V_k(s) = max_a Q_k(s, a) (or Σ_a π(a|s)·Q_k(s, a)),  Q_k(s, a) = Σ p·(r + γ·(1 − d)·V_{k−1}(s′)).
 * With 0/1 goal rewards V_H(s) is the probability of reaching the goal within H steps, i.e. the best achievable
 * success rate under a `TimeLimit` of H (an optimal policy under a time limit may depend on the time left; V_H accounts for it).
 *
 * Source: Puterman, *Markov Decision Processes* (1994), §4.5 (backward induction).
 * @param env A tabular env or a wrapper forwarding its table.
 * @param options `{ horizon, policy?, gamma? }`.
 * @returns New arrays `{ V, Q, policy }`, plus `startValue` and `horizon`.
 * @throws EnvError for a bad table, horizon, gamma or policy.
 * @example
 * ```ts
 * const { startValue } = finiteHorizonValue(frozenLake4x4(), { horizon: 100 }); // ≈ 0.74
 * ```
 */
export function finiteHorizonValue(env: TabularModel, options: FiniteHorizonOptions): FiniteHorizonResult {
  const fn = 'finiteHorizonValue';
  const o = checkOptions(fn, options);
  const { m, t } = checkModel(fn, env);
  const H = o.horizon;
  if (typeof H !== 'number' || !Number.isSafeInteger(H) || H < 0)
    throw new EnvError({ fn, arg: 'horizon', expected: 'a non-negative integer', got: H });
  const gamma = checkGamma(fn, o.gamma ?? 1);
  const S = m.nStates;
  const A = m.nActions;
  const pi = o.policy === undefined ? null : policyTable(fn, o.policy, S, A);
  let V = new Float64Array(S);
  let W = new Float64Array(S);
  const Q = new Float64Array(S * A);
  for (let k = 1; k <= H; k++) {
    sweep(t, S, A, gamma, V, W, pi, Q);
    [V, W] = [W, V];
  }
  return { V, Q, policy: greedy(Q, S, A), startValue: expectedStartValue(m, V), horizon: H };
}

/**
 * The value from the initial-state distribution: J = Σ_s ρ₀(s)·V(s).
 *
 * Source: Sutton & Barto (2nd ed.), §13.2 (the performance measure J(θ) = v_π(s₀)).
 * @param env Anything with `initialStateDistribution` (length nStates).
 * @param V State values of the same length.
 * @returns A number.
 * @throws EnvError when the lengths differ.
 * @example
 * ```ts
 * const env = frozenLake4x4();
 * expectedStartValue(env, valueIteration(env, { gamma: 1 }).V); // ≈ 0.8235
 * ```
 */
export function expectedStartValue(env: Pick<TabularModel, 'initialStateDistribution'>, V: ArrayLike<number>): number {
  const fn = 'expectedStartValue';
  const rho = (env as Partial<TabularModel> | null)?.initialStateDistribution;
  if (rho === undefined || rho === null || typeof rho.length !== 'number') {
    throw new EnvError({ fn, arg: 'env', expected: 'an env with initialStateDistribution', got: env });
  }
  if (V === null || typeof V !== 'object' || V.length !== rho.length) {
    throw new EnvError({ fn, arg: 'V', expected: `an array of ${rho.length} values (nStates)`, got: V });
  }
  let j = 0;
  for (let s = 0; s < rho.length; s++) if (rho[s]! > 0) j += rho[s]! * V[s]!;
  return j;
}

/**
 * Normalised expected state-visitation distribution of a policy over one episode of at most `horizon` steps:
 *
 * d(s) ∝ Σ_{t<H} Pr(s_t = s, episode not ended before t), with Pr(s₀) = ρ₀ and
 * Pr(s_{t+1} = s′) = Σ_s Pr(s_t = s) Σ_a π(a|s) P(s′, not terminal | s, a).
 *
 * Stops early once the surviving mass is below 1e-12. The trainer weights `kl/exact_visitation` by it.
 *
 * Source: Sutton & Barto (2nd ed.), §9.2 (the on-policy distribution for episodic tasks).
 * @param env A tabular env or a wrapper forwarding its table.
 * @param policy The policy as a probability table (`number[][]` or flat row-major nStates × nActions).
 * @param horizon Maximum episode length H ≥ 1 (the time limit; a large number for envs without one).
 * @returns A new `Float64Array(nStates)` summing to 1.
 * @throws EnvError for a bad table, policy or horizon.
 * @example
 * ```ts
 * const env = frozenLake4x4();
 * const uniform = Array.from({ length: 16 }, () => [0.25, 0.25, 0.25, 0.25]);
 * stateVisitation(env, uniform, 100)[0]; // the start state gets the largest share
 * ```
 */
export function stateVisitation(env: TabularModel, policy: PolicyTable, horizon: number): Float64Array {
  const fn = 'stateVisitation';
  const { m } = checkModel(fn, env);
  if (typeof horizon !== 'number' || !Number.isSafeInteger(horizon) || horizon < 1) {
    throw new EnvError({ fn, arg: 'horizon', expected: 'a positive integer (the episode length limit)', got: horizon });
  }
  const S = m.nStates;
  const A = m.nActions;
  const pi = policyTable(fn, policy, S, A);
  let cur = Float64Array.from(m.initialStateDistribution);
  let nxt = new Float64Array(S);
  const d = new Float64Array(S);
  for (let t = 0; t < horizon; t++) {
    let mass = 0;
    for (let s = 0; s < S; s++) {
      d[s]! += cur[s]!;
      mass += cur[s]!;
    }
    if (mass < 1e-12) break;
    nxt.fill(0);
    for (let s = 0; s < S; s++) {
      const ps = cur[s]!;
      if (ps === 0) continue;
      for (let a = 0; a < A; a++) {
        const pa = ps * pi[s * A + a]!;
        if (pa === 0) continue;
        for (const tr of m.P[s]![a]!) if (!tr.terminated) nxt[tr.next]! += pa * tr.prob;
      }
    }
    [cur, nxt] = [nxt, cur];
  }
  let total = 0;
  for (let s = 0; s < S; s++) total += d[s]!;
  for (let s = 0; s < S; s++) d[s]! /= total;
  return d;
}
