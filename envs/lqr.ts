/**
 * Linear-quadratic control: the discrete-time Riccati equation solved by iteration in float64 (discounted infinite
 * horizon and finite horizon), and {@link PointMassLqr}, a point-mass world whose optimal controller and value are
 * therefore known exactly. Imports no tfjs.
 * @module
 */
import { EnvError, NumericError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';
import { checkBoxAction, EnvBase, intField, nullableNumField, nullableVectorField, vectorField } from './base.js';
import { Box } from './spaces.js';
import type { ContinuousFrame, ResetResult, StepResult } from './types.js';

/** A dense matrix as rows. */
export type Matrix = readonly (readonly number[])[];

/**
 * A linear system with quadratic cost: x' = A x + B u + w, w ~ N(0, W), per-step cost xᵀQx + uᵀRu
 * (reward = −cost). n = state size, m = action size.
 */
export interface LqrSystem {
  /** Dynamics, n×n. */
  A: Matrix;
  /** Control matrix, n×m. */
  B: Matrix;
  /** State cost, n×n, symmetric positive semi-definite. */
  Q: Matrix;
  /** Action cost, m×m, symmetric positive definite. */
  R: Matrix;
  /** Covariance of the process noise w, n×n. @defaultValue 0 */
  W?: Matrix;
}

/** Options of {@link solveDiscreteRiccati}. */
export interface RiccatiOptions {
  /** Discount γ ∈ (0, 1]. @defaultValue 0.99 */
  gamma?: number;
  /** Stop when max_ij |P_{k+1} − P_k| ≤ tol·max(1, max_ij |P_k|). @defaultValue 1e-13 */
  tol?: number;
  /** Most iterations before giving up. @defaultValue 1 000 000 */
  maxIterations?: number;
}

/** The stabilizing solution of the discounted discrete algebraic Riccati equation. */
export interface RiccatiSolution {
  /** P, n×n, symmetric: the cost-to-go is xᵀPx (+ a constant with noise). */
  P: number[][];
  /** K, m×n: the optimal controller u = −K x. */
  K: number[][];
  /** Riccati iterations used. */
  iterations: number;
  /** max_ij of |DARE(P) − P|, the residual of the returned P. */
  residual: number;
}

/** The optimum of a discounted LQR problem from a start distribution. */
export interface LqrOptimum extends RiccatiSolution {
  /** Discount γ. */
  gamma: number;
  /** c = γ·tr(P W)/(1 − γ): the noise's share of the cost (0 without noise). V(x) = −xᵀPx − c. */
  c: number;
  /** E_{x₀}[V(x₀)] = −(tr(P Σ₀) + μ₀ᵀPμ₀) − c, the optimal expected discounted return from the start distribution. */
  startValue: number;
}

/** The optimum of a finite-horizon LQR problem (time-varying gains). */
export interface LqrFiniteHorizon {
  /** Horizon H (number of rewarded steps). */
  horizon: number;
  /** Discount γ. */
  gamma: number;
  /** P₀: the cost-to-go at t = 0 is x₀ᵀP₀x₀ + c₀. */
  P0: number[][];
  /** c₀ = Σ_{t<H} γ^{t+1}·tr(P_{t+1} W) (the noise's share). */
  c0: number;
  /** K_t for t = 0…H−1: the optimal action at step t is −K_t x_t. */
  gains: number[][][];
  /** −(tr(P₀Σ₀) + μ₀ᵀP₀μ₀) − c₀: the optimal expected return Σ_{t<H} γ^t r_t from the start distribution. */
  startValue: number;
}

/** A start distribution with mean μ₀ and covariance Σ₀ (all the optimal value depends on). */
export interface StartMoments {
  /** μ₀, length n. @defaultValue 0 */
  mean?: readonly number[];
  /** Σ₀, n×n. */
  cov: Matrix;
}

// ——— small dense float64 matrix helpers ———

function zeros(r: number, c: number): number[][] {
  return Array.from({ length: r }, () => new Array<number>(c).fill(0));
}

function mul(a: Matrix, b: Matrix): number[][] {
  const n = a.length;
  const k = b.length;
  const m = b[0]!.length;
  const out = zeros(n, m);
  for (let i = 0; i < n; i++)
    for (let l = 0; l < k; l++) {
      const x = a[i]![l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i]![j]! += x * b[l]![j]!;
    }
  return out;
}

function transpose(a: Matrix): number[][] {
  return Array.from({ length: a[0]!.length }, (_, j) => Array.from(a, (row) => row[j]!));
}

/** α·a + β·b. */
function lin(alpha: number, a: Matrix, beta: number, b: Matrix): number[][] {
  return a.map((row, i) => row.map((x, j) => alpha * x + beta * b[i]![j]!));
}

function trace(a: Matrix): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i]![i]!;
  return t;
}

/** Inverse by Gauss–Jordan elimination with partial pivoting; null when singular. */
function inverse(a: Matrix): number[][] | null {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    const pivot = m[p]![c]!;
    if (!(Math.abs(pivot) > 1e-300)) return null;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const row = m[c]!;
    for (let j = 0; j < 2 * n; j++) row[j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * row[j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

function maxAbs(a: Matrix): number {
  let x = 0;
  for (const row of a) for (const v of row) x = Math.max(x, Math.abs(v));
  return x;
}

function symmetrize(a: number[][]): number[][] {
  return a.map((row, i) => row.map((x, j) => (x + a[j]![i]!) / 2));
}

/** xᵀ M x. */
function quad(m: Matrix, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) for (let j = 0; j < m.length; j++) s += x[i]! * m[i]![j]! * x[j]!;
  return s;
}

function checkMatrix(fn: string, arg: string, m: unknown, rows: number, cols: number): Matrix {
  const ok =
    Array.isArray(m) &&
    m.length === rows &&
    m.every(
      (r) => Array.isArray(r) && r.length === cols && r.every((x) => typeof x === 'number' && Number.isFinite(x)),
    );
  if (!ok) throw new EnvError({ fn, arg, expected: `a ${rows}×${cols} matrix of finite numbers (rows)`, got: m });
  return m;
}

function checkGamma(fn: string, gamma: unknown): number {
  if (typeof gamma !== 'number' || !(gamma > 0 && gamma <= 1))
    throw new EnvError({ fn, arg: 'gamma', expected: 'a number in (0, 1]', got: gamma });
  return gamma;
}

interface CheckedSystem {
  A: Matrix;
  B: Matrix;
  Q: Matrix;
  R: Matrix;
  W: Matrix;
  n: number;
  m: number;
}

function checkSystem(fn: string, s: unknown): CheckedSystem {
  if (s === null || typeof s !== 'object' || !('A' in s) || !('B' in s) || !('Q' in s) || !('R' in s))
    throw new EnvError({ fn, arg: 'system', expected: 'an object { A, B, Q, R, W? }', got: s });
  const n = Array.isArray(s.A) ? s.A.length : 0;
  const m = Array.isArray(s.B) && Array.isArray(s.B[0]) ? s.B[0].length : 0;
  if (n < 1) throw new EnvError({ fn, arg: 'system.A', expected: 'a non-empty square matrix', got: s.A });
  if (m < 1) throw new EnvError({ fn, arg: 'system.B', expected: `an ${n}×m matrix with m ≥ 1`, got: s.B });
  const A = checkMatrix(fn, 'system.A', s.A, n, n);
  const B = checkMatrix(fn, 'system.B', s.B, n, m);
  const Q = checkMatrix(fn, 'system.Q', s.Q, n, n);
  const R = checkMatrix(fn, 'system.R', s.R, m, m);
  const W = 'W' in s && s.W !== undefined ? checkMatrix(fn, 'system.W', s.W, n, n) : zeros(n, n);
  for (const [name, M] of [
    ['Q', Q],
    ['R', R],
    ['W', W],
  ] as const) {
    for (let i = 0; i < M.length; i++)
      for (let j = 0; j < i; j++)
        if (Math.abs(M[i]![j]! - M[j]![i]!) > 1e-12 * Math.max(1, maxAbs(M)))
          throw new EnvError({ fn, arg: `system.${name}`, expected: 'a symmetric matrix', got: M });
  }
  return { A, B, Q, R, W, n, m };
}

/**
 * One step of the discounted Riccati recursion from P' (the next step's cost-to-go):
 * S = R + γBᵀP'B, K = γS⁻¹BᵀP'A, P = Q + γAᵀP'A − γ²AᵀP'B S⁻¹ BᵀP'A = Q + γAᵀP'(A − BK).
 */
function riccatiStep(fn: string, sys: CheckedSystem, Pn: Matrix, gamma: number): { P: number[][]; K: number[][] } {
  const { A, B, Q, R } = sys;
  const Bt = transpose(B);
  const PnB = mul(Pn, B);
  const S = lin(1, R, gamma, mul(Bt, PnB));
  const Si = inverse(S);
  if (Si === null)
    throw new NumericError({
      fn,
      arg: 'system.R',
      expected: 'R + γBᵀPB invertible (R positive definite)',
      got: S,
    });
  const K = lin(gamma, mul(Si, mul(Bt, mul(Pn, A))), 0, zeros(sys.m, sys.n));
  const closed = lin(1, A, -1, mul(B, K));
  const P = symmetrize(lin(1, Q, gamma, mul(transpose(A), mul(Pn, closed))));
  return { P, K };
}

/**
 * Solve the discounted discrete algebraic Riccati equation (DARE) by value iteration from P₀ = 0 in float64:
 *
 *   P = Q + γAᵀPA − γ²AᵀPB (R + γBᵀPB)⁻¹ BᵀPA,   K = γ (R + γBᵀPB)⁻¹ BᵀPA.
 *
 * P_k is the optimal k-step cost-to-go, which increases to the stabilizing solution when (√γA, √γB) is stabilizable
 * and Q ≻ 0 (or (A, Q^½) detectable). The optimal discounted controller is u = −Kx and, without noise, the optimal
 * value is V(x) = −xᵀPx (noise adds the constant of {@link lqrOptimum}).
 *
 * Source: Bertsekas, *Dynamic Programming and Optimal Control* Vol. I (4th ed.), §3.2 (the Riccati iteration and its
 * convergence); the discounted form: Bradtke, "Reinforcement learning applied to linear quadratic regulation",
 * NeurIPS 1992.
 * @param system `{ A, B, Q, R, W? }` (W is not used here).
 * @param options `{ gamma?, tol?, maxIterations? }`.
 * @returns `{ P, K, iterations, residual }`.
 * @throws EnvError for bad shapes, non-symmetric Q/R or γ ∉ (0, 1]; NumericError when R + γBᵀPB is singular or the
 *   iteration does not converge (the system is not stabilizable under γ).
 * @example
 * ```ts
 * const { P, K } = solveDiscreteRiccati({ A: [[1]], B: [[1]], Q: [[1]], R: [[1]] }, { gamma: 1 });
 * // P = [[(1 + √5)/2]], K = [[P/(1 + P)]]
 * ```
 */
export function solveDiscreteRiccati(system: LqrSystem, options: RiccatiOptions = {}): RiccatiSolution {
  const fn = 'solveDiscreteRiccati';
  const sys = checkSystem(fn, system);
  const gamma = checkGamma(fn, options.gamma ?? 0.99);
  const tol = options.tol ?? 1e-13;
  const maxIterations = options.maxIterations ?? 1_000_000;
  if (!(tol > 0)) throw new EnvError({ fn, arg: 'options.tol', expected: 'a number > 0', got: tol });
  if (!Number.isSafeInteger(maxIterations) || maxIterations < 1)
    throw new EnvError({ fn, arg: 'options.maxIterations', expected: 'a positive integer', got: maxIterations });
  let P: number[][] = zeros(sys.n, sys.n);
  for (let k = 1; k <= maxIterations; k++) {
    const next = riccatiStep(fn, sys, P, gamma);
    const delta = maxAbs(lin(1, next.P, -1, P));
    const scale = Math.max(1, maxAbs(next.P));
    if (!Number.isFinite(scale)) break;
    P = next.P;
    if (delta <= tol * scale) {
      const { P: again, K } = riccatiStep(fn, sys, P, gamma);
      return { P, K, iterations: k, residual: maxAbs(lin(1, again, -1, P)) };
    }
  }
  throw new NumericError({
    fn,
    arg: 'system',
    expected: `a system whose Riccati iteration converges within ${maxIterations} steps`,
    got: `max |P| = ${maxAbs(P)}`,
    hint: 'The pair (√γ·A, √γ·B) must be stabilizable: some controller must make the discounted cost finite',
  });
}

/** γ-free part of the start-value formula: tr(P Σ₀) + μ₀ᵀPμ₀. */
function startCost(fn: string, P: Matrix, start: StartMoments, n: number): number {
  if (start === null || typeof start !== 'object')
    throw new EnvError({ fn, arg: 'start', expected: 'an object { mean?, cov }', got: start });
  const cov = checkMatrix(fn, 'start.cov', start.cov, n, n);
  const mean =
    start.mean === undefined ? new Array<number>(n).fill(0) : checkMatrix(fn, 'start.mean', [start.mean], 1, n)[0]!;
  return trace(mul(P, cov)) + quad(P, mean);
}

/**
 * The discounted infinite-horizon optimum of an LQR problem: P and K of {@link solveDiscreteRiccati}, the noise
 * constant c and the optimal expected return from a start distribution:
 *
 *   V(x) = −xᵀPx − c,  c = γ·tr(P W)/(1 − γ),  E[V(x₀)] = −(tr(P Σ₀) + μ₀ᵀPμ₀) − c.
 *
 * (From V(x) = max_u −xᵀQx − uᵀRu + γ E[V(Ax + Bu + w)]: the quadratic parts give the DARE, the constants
 * c = γ(tr(PW) + c).)
 *
 * Source: Bertsekas, *Dynamic Programming and Optimal Control* Vol. I (4th ed.), §3.2 (certainty equivalence: the
 * noise adds a constant, the gain does not change).
 * @param system `{ A, B, Q, R, W? }`.
 * @param options `{ gamma?, tol?, maxIterations? }` and `start` (μ₀, Σ₀).
 * @returns `{ P, K, c, gamma, startValue, iterations, residual }`.
 * @throws EnvError for bad inputs, or noise with γ = 1 (the undiscounted cost is infinite); NumericError as
 *   {@link solveDiscreteRiccati}.
 */
export function lqrOptimum(system: LqrSystem, options: RiccatiOptions & { start: StartMoments }): LqrOptimum {
  const fn = 'lqrOptimum';
  const sys = checkSystem(fn, system);
  const gamma = checkGamma(fn, options.gamma ?? 0.99);
  const sol = solveDiscreteRiccati(system, options);
  const noise = trace(mul(sol.P, sys.W));
  if (noise > 0 && gamma === 1)
    throw new EnvError({
      fn,
      arg: 'options.gamma',
      expected: 'γ < 1 when the system has noise (the undiscounted cost grows without bound)',
      got: gamma,
    });
  const c = noise === 0 ? 0 : (gamma * noise) / (1 - gamma);
  return { ...sol, gamma, c, startValue: -startCost(fn, sol.P, options.start, sys.n) - c };
}

/**
 * The finite-horizon optimum (H rewarded steps, discount γ, no terminal cost) by the backward Riccati recursion
 * P_H = 0, c_H = 0:
 *
 *   K_t = γ(R + γBᵀP_{t+1}B)⁻¹BᵀP_{t+1}A,  P_t = Q + γAᵀP_{t+1}(A − BK_t),  c_t = γ(c_{t+1} + tr(P_{t+1}W)),
 *
 * so max E[Σ_{t<H} γ^t r_t | x₀] = −x₀ᵀP₀x₀ − c₀: what a time-limited episode of H steps can reach.
 *
 * Source: Bertsekas, *Dynamic Programming and Optimal Control* Vol. I (4th ed.), §3.2 (finite-horizon LQR).
 * @param system `{ A, B, Q, R, W? }`.
 * @param options `{ horizon, gamma?, start }` (γ defaults to 1: the undiscounted return of an episode).
 * @returns `{ horizon, gamma, P0, c0, gains, startValue }`.
 * @throws EnvError for bad inputs; NumericError when R + γBᵀPB is singular.
 */
export function lqrFiniteHorizon(
  system: LqrSystem,
  options: { horizon: number; gamma?: number; start: StartMoments },
): LqrFiniteHorizon {
  const fn = 'lqrFiniteHorizon';
  const sys = checkSystem(fn, system);
  const gamma = checkGamma(fn, options.gamma ?? 1);
  const H = options.horizon;
  if (!Number.isSafeInteger(H) || H < 1)
    throw new EnvError({ fn, arg: 'options.horizon', expected: 'a positive integer', got: H });
  let P: number[][] = zeros(sys.n, sys.n);
  let c = 0;
  const gains: number[][][] = new Array(H);
  for (let t = H - 1; t >= 0; t--) {
    c = gamma * (c + trace(mul(P, sys.W)));
    const step = riccatiStep(fn, sys, P, gamma);
    gains[t] = step.K;
    P = step.P;
  }
  return { horizon: H, gamma, P0: P, c0: c, gains, startValue: -startCost(fn, P, options.start, sys.n) - c };
}

/**
 * The linear controller's action u = −K x.
 * @param K m×n gain.
 * @param x State, length n.
 * @returns A new `Float64Array(m)`.
 */
export function linearControl(K: Matrix, x: ArrayLike<number>): Float64Array {
  const u = new Float64Array(K.length);
  for (let i = 0; i < K.length; i++) {
    let s = 0;
    for (let j = 0; j < K[i]!.length; j++) s += K[i]![j]! * x[j]!;
    u[i] = -s;
  }
  return u;
}

/** Options of {@link PointMassLqr}. */
export interface PointMassLqrOptions {
  /** Number of axes d ∈ {1, 2}: the state is (position, velocity) ∈ ℝ^{2d}, the action a force ∈ ℝ^d. @defaultValue 1 */
  dim?: number;
  /** Time step Δt > 0. @defaultValue 0.1 */
  dt?: number;
  /** q_p ≥ 0, the cost per squared unit of position. @defaultValue 1 */
  positionCost?: number;
  /** q_v ≥ 0, the cost per squared unit of velocity. @defaultValue 0.1 */
  velocityCost?: number;
  /** r > 0, the cost per squared unit of force. @defaultValue 0.1 */
  actionCost?: number;
  /** σ_w ≥ 0, the standard deviation of the process noise on every state coordinate. @defaultValue 0.01 */
  std?: number;
  /** b > 0: every start coordinate is drawn from U[−b, b]. @defaultValue 1 */
  startBound?: number;
}

function positive(fn: string, arg: string, v: unknown, allowZero: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0))
    throw new EnvError({ fn, arg, expected: `a finite number ${allowZero ? '≥ 0' : '> 0'}`, got: v });
  return v;
}

/**
 * A point mass on d ∈ {1, 2} frictionless axes pushed by a force: the double integrator with zero-order hold,
 *
 *   x = (p, v) ∈ ℝ^{2d},  p' = p + Δt·v + ½Δt²·u,  v' = v + Δt·u,  plus w ~ N(0, σ_w²·I),
 *   r(x, u) = −(xᵀQx + uᵀRu),  Q = diag(q_p·I_d, q_v·I_d),  R = r·I_d,
 *
 * with x₀ ~ U[−b, b]^{2d} drawn from the env's Rng at reset (2d uniforms, then 2d normals per step for w). The
 * observation is x (an unbounded `Box` of size 2d), the action u (an unbounded `Box` of size d). The world never
 * terminates: register it with a time limit (`makeEnv('lqr-pointmass')` cuts episodes at 100 steps).
 *
 * The optimum is known: u = −Kx with P, K from the discounted Riccati equation ({@link PointMassLqr.optimum}:
 * V(x) = −xᵀPx − c), or the time-varying gains of the finite-horizon recursion for a time-limited episode
 * ({@link PointMassLqr.finiteHorizonOptimum}).
 *
 * Source: the double integrator, Åström & Murray, *Feedback Systems* (2nd ed.), Example 7.4 / §6.3 (sampled
 * systems); LQR: Bertsekas, *Dynamic Programming and Optimal Control* Vol. I, §3.2; as an RL benchmark: Recht,
 * "A Tour of Reinforcement Learning: The View from Continuous Control" (2019, https://arxiv.org/abs/1806.09460).
 * @example
 * ```ts
 * const env = new PointMassLqr();
 * const { K } = env.optimum(0.99);
 * let { obs } = env.reset({ seed: 0 });
 * for (let t = 0; t < 100; t++) ({ obs } = env.step(linearControl(K, obs)));
 * ```
 */
export class PointMassLqr extends EnvBase<Float64Array, ArrayLike<number>> {
  /** Box(−∞, ∞, [2d]): (positions, velocities). */
  readonly observationSpace: Box;
  /** Box(−∞, ∞, [d]): the force. */
  readonly actionSpace: Box;
  /** Number of axes d. */
  readonly dim: number;
  /** Δt. */
  readonly dt: number;
  /** σ_w, the process noise standard deviation. */
  readonly std: number;
  /** b: start coordinates ~ U[−b, b]. */
  readonly startBound: number;
  /** The system matrices `{ A, B, Q, R, W }` (W = σ_w²·I). */
  readonly system: Readonly<Required<LqrSystem>>;
  #x: Float64Array;
  #steps = 0;
  #lastAction: Float64Array | null = null;
  #lastReward: number | null = null;

  /**
   * @param options `{ dim?, dt?, positionCost?, velocityCost?, actionCost?, std?, startBound? }`.
   * @throws EnvError for d ∉ {1, 2}, or a cost, Δt, σ_w or b out of range.
   */
  constructor(options: PointMassLqrOptions = {}) {
    super('PointMassLqr', 'lqr-pointmass');
    const fn = 'PointMassLqr';
    if (options === null || typeof options !== 'object')
      throw new EnvError({ fn, arg: 'options', expected: 'an object', got: options });
    const d = options.dim ?? 1;
    if (d !== 1 && d !== 2) throw new EnvError({ fn, arg: 'dim', expected: '1 or 2', got: d });
    const dt = positive(fn, 'dt', options.dt ?? 0.1, false);
    const qp = positive(fn, 'positionCost', options.positionCost ?? 1, true);
    const qv = positive(fn, 'velocityCost', options.velocityCost ?? 0.1, true);
    const r = positive(fn, 'actionCost', options.actionCost ?? 0.1, false);
    this.std = positive(fn, 'std', options.std ?? 0.01, true);
    this.startBound = positive(fn, 'startBound', options.startBound ?? 1, false);
    this.dim = d;
    this.dt = dt;
    const n = 2 * d;
    const A = zeros(n, n);
    const B = zeros(n, d);
    const Q = zeros(n, n);
    const W = zeros(n, n);
    for (let i = 0; i < d; i++) {
      A[i]![i] = 1;
      A[i]![d + i] = dt;
      A[d + i]![d + i] = 1;
      B[i]![i] = (dt * dt) / 2;
      B[d + i]![i] = dt;
      Q[i]![i] = qp;
      Q[d + i]![d + i] = qv;
    }
    for (let i = 0; i < n; i++) W[i]![i] = this.std * this.std;
    const R = zeros(d, d).map((row, i) => row.map((_, j) => (i === j ? r : 0)));
    this.system = Object.freeze({ A, B, Q, R, W });
    this.observationSpace = new Box(-Infinity, Infinity, [n]);
    this.actionSpace = new Box(-Infinity, Infinity, [d]);
    this.#x = new Float64Array(n);
  }

  /** The start distribution's moments: mean 0, Σ₀ = (b²/3)·I (U[−b, b] per coordinate). */
  get startMoments(): StartMoments {
    const n = 2 * this.dim;
    const v = (this.startBound * this.startBound) / 3;
    return {
      mean: new Array<number>(n).fill(0),
      cov: zeros(n, n).map((row, i) => row.map((_, j) => (i === j ? v : 0))),
    };
  }

  /** The current state x = (p, v) (a copy). */
  get state(): Float64Array {
    return Float64Array.from(this.#x);
  }

  /**
   * The discounted infinite-horizon optimum: {@link lqrOptimum} of this system and start distribution.
   * @param gamma Discount γ ∈ (0, 1). @defaultValue 0.99
   * @returns `{ P, K, c, startValue, … }`: act with u = −Kx ({@link linearControl}); V(x) = −xᵀPx − c.
   */
  optimum(gamma = 0.99): LqrOptimum {
    return lqrOptimum(this.system, { gamma, start: this.startMoments });
  }

  /**
   * The optimum of an episode of `horizon` steps: {@link lqrFiniteHorizon} of this system (time-varying gains).
   * @param horizon H, e.g. the registered time limit 100.
   * @param gamma Discount. @defaultValue 1 (the undiscounted episode return)
   * @returns `{ gains, startValue, … }`: `startValue` is the best expected return of an H-step episode.
   */
  finiteHorizonOptimum(horizon: number, gamma = 1): LqrFiniteHorizon {
    return lqrFiniteHorizon(this.system, { horizon, gamma, start: this.startMoments });
  }

  /** Actions are d finite numbers. */
  protected checkAction(fn: string, action: ArrayLike<number>): void {
    checkBoxAction(fn, action, this.dim);
  }

  /**
   * Draw x₀ ~ U[−b, b]^{2d} (2d uniforms).
   * @returns `{ obs: x₀, info: {} }`.
   */
  protected resetState(rng: Rng): ResetResult<Float64Array> {
    const b = this.startBound;
    for (let i = 0; i < this.#x.length; i++) this.#x[i] = -b + 2 * b * rng.float();
    this.#steps = 0;
    this.#lastAction = null;
    this.#lastReward = null;
    return { obs: Float64Array.from(this.#x), info: {} };
  }

  /**
   * r = −(xᵀQx + uᵀRu), then x' = Ax + Bu + w with 2d normal draws for w.
   * @returns `{ obs: x', reward, terminated: false, truncated: false, info: {} }`.
   */
  protected stepState(action: ArrayLike<number>, rng: Rng): StepResult<Float64Array> {
    const { A, B, Q, R } = this.system;
    const x = this.#x;
    const n = x.length;
    const reward = -(quad(Q, x) + quad(R, action));
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i]![j]! * x[j]!;
      for (let j = 0; j < this.dim; j++) s += B[i]![j]! * action[j]!;
      next[i] = s + this.std * rng.normal();
    }
    this.#x = next;
    this.#steps++;
    this.#lastAction = Float64Array.from(action);
    this.#lastReward = reward;
    return { obs: Float64Array.from(next), reward, terminated: false, truncated: false, info: {} };
  }

  /** `{ x, steps, lastAction, lastReward }` of the JSON snapshot. */
  protected saveState(): Record<string, unknown> {
    return {
      x: Array.from(this.#x),
      steps: this.#steps,
      lastAction: this.#lastAction ? Array.from(this.#lastAction) : null,
      lastReward: this.#lastReward,
    };
  }

  /** Restore `x`, `steps`, `lastAction` and `lastReward`. */
  protected restoreState(fn: string, s: Record<string, unknown>): void {
    const x = vectorField(fn, s, 'x', 2 * this.dim);
    const steps = intField(fn, s, 'steps', 0, Number.MAX_SAFE_INTEGER);
    const lastAction = nullableVectorField(fn, s, 'lastAction', this.dim);
    const lastReward = nullableNumField(fn, s, 'lastReward');
    this.#x = x;
    this.#steps = steps;
    this.#lastAction = lastAction;
    this.#lastReward = lastReward;
  }

  /**
   * Position and velocity as text.
   * @returns One line.
   */
  render(): string {
    const f = (v: ArrayLike<number>): string => `[${Array.from(v, (x) => x.toFixed(3)).join(', ')}]`;
    const d = this.dim;
    return `t ${this.#steps}  position ${f(this.#x.subarray(0, d))}  velocity ${f(this.#x.subarray(d))}\n`;
  }

  /**
   * The mass and its velocity, with the origin as target.
   * @returns A new {@link ContinuousFrame}.
   */
  renderFrame(): ContinuousFrame {
    const d = this.dim;
    return {
      kind: 'continuous',
      position: this.started ? Array.from(this.#x.subarray(0, d)) : null,
      velocity: this.started ? Array.from(this.#x.subarray(d)) : null,
      target: new Array<number>(d).fill(0),
      lastAction: this.#lastAction ? Array.from(this.#lastAction) : null,
      lastReward: this.#lastReward,
    };
  }
}
