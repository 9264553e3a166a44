/**
 * ppoUpdateStep (src/training/update.ts) against an independent float64 reference.
 *
 * Setup: a two-state, three-action TabularPolicy whose logits θ and value table V are set with setWeights, and a
 * hand-built minibatch whose actions were "sampled" from a rollout policy π_rollout that DIFFERS from the policy
 * before the step π_before, so the importance weights π_before/π_rollout are far from 1 and every KL direction
 * matters. Every expected value below is computed in plain JS float64 (softmax, KL, the PPO formulas, central finite
 * differences of the float64 total loss, the closed-form first Adam step); nothing is read back from the code under
 * test except the weights after the step (to build π_after) and, in the clip-boundary test, the backend's own float32
 * ratio (to place a clip bound exactly on it).
 *
 * Which planted bug each test catches is written in the test's name ("[bug N]"), numbered:
 *   1 per-step exact KL measured from π_rollout instead of π_before
 *   2 per-step k1/k3 without the importance weight π_before/π_rollout
 *   3 rolloutKlExact in the wrong direction (KL(π_before‖π_rollout))
 *   4 the penalty's exact KL in the wrong direction (kl-penalty, klEstimator 'exact')
 *   5 gradient clipping that always rescales / never rescales
 *   6 flipped entropy-bonus sign in the total loss
 *   7 clip fraction counted with ≥ / ≤ instead of > / <
 *   8 early stopping (not applied, weights unchanged, no step KL, statistic handed to shouldStop)
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { TabularPolicy } from '../../src/policies/tabular.js';
import { encoderFor } from '../../src/policies/encoders.js';
import { Adam } from '../../src/training/adam.js';
import { createRng } from '../../src/random/rng.js';
import { ppoUpdateStep, type Minibatch, type StepCoefficients, type StepScalars } from '../../src/training/update.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

const f = Math.fround;
/** Tolerances for float32 results against float64 expectations. */
const ATOL = 1e-6;
const RTOL = 1e-5;

// ---------------------------------------------------------------------------------------------------------------
// Float64 reference (plain JS numbers, written independently of src/).
// ---------------------------------------------------------------------------------------------------------------

function logSoftmax64(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const lse = m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
  return x.map((v) => v - lse);
}
const softmax64 = (x: readonly number[]): number[] => logSoftmax64(x).map(Math.exp);
/** KL(p‖q) = Σ p log(p/q). */
const kl64 = (p: readonly number[], q: readonly number[]): number =>
  p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
/** H(p) = −Σ p log p. */
const entropy64 = (p: readonly number[]): number => -p.reduce((s, pi) => s + pi * Math.log(pi), 0);
const mean64 = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
const norm64 = (xs: readonly number[]): number => Math.sqrt(xs.reduce((s, v) => s + v * v, 0));

/** A minibatch as plain numbers (all float32-representable, so the code sees exactly these values). */
interface Case {
  S: number;
  A: number;
  states: number[];
  actions: number[];
  /** Normalized log π_rollout per sample row [M][A] (oldParams.logits). */
  rollRows: number[][];
  /** log π_rollout(a_i|s_i) = rollRows[i][a_i]. */
  oldLogProb: number[];
  adv: number[];
  ret: number[];
  oldV: number[];
}

interface Terms {
  logp: number[];
  ratio: number[];
  policyLoss: number;
  klPenalty: number;
  valueLoss: number;
  entropy: number;
  clipFraction: number;
  total: number;
  rolloutKlExact: number;
  rolloutKlK1: number;
  rolloutKlK3: number;
}

/** θ as rows [S][A] and V [S], flattened as [θ row-major…, V…] (the order of policy.trainableVariables). */
function unflatten(c: Case, x: readonly number[]): { theta: number[][]; V: number[] } {
  const theta: number[][] = [];
  for (let s = 0; s < c.S; s++) theta.push(x.slice(s * c.A, (s + 1) * c.A));
  return { theta, V: x.slice(c.S * c.A) };
}

/**
 * The PPO step's loss terms in float64 (the formulas of update.ts' module doc and CleanRL ppo.py):
 *   r_i = exp(log π_θ(a_i|s_i) − log π_rollout(a_i|s_i))
 *   clip:       L_pi = −mean(min(r·Â, clip(r, 1−low, 1+high)·Â)),  clipFraction = mean(r < 1−low ∨ r > 1+high)
 *   kl-penalty: L_pi = −mean(r·Â), klPenalty = β·mean KL_i with KL_i = KL(π_rollout(·|s_i)‖π_θ(·|s_i)) (exact) or
 *               k1_i = log π_rollout(a_i) − log π_θ(a_i), k3_i = (r_i − 1) − log r_i
 *   clip+kl:    L_pi = clip loss, klPenalty as above;  pg: L_pi = −mean(log π_θ(a_i|s_i)·Â_i)
 *   L_V = ½·mean((V(s_i) − R_i)²), or ½·mean(max((V − R)², (V_old + clip(V − V_old, −c, c) − R)²))
 *   total = L_pi + klPenalty + vfCoef·L_V − entCoef·mean_i H(π_θ(·|s_i))
 */
function refTerms(c: Case, x: readonly number[], coef: StepCoefficients): Terms {
  const { theta, V } = unflatten(c, x);
  const { low, high } = typeof coef.clip === 'number' ? { low: coef.clip, high: coef.clip } : coef.clip;
  const M = c.states.length;
  const logp: number[] = [];
  const ratio: number[] = [];
  const clipObj: number[] = [];
  const surr: number[] = [];
  const pg: number[] = [];
  const outside: number[] = [];
  const ent: number[] = [];
  const klEx: number[] = [];
  const k1: number[] = [];
  const k3: number[] = [];
  const vl: number[] = [];
  for (let i = 0; i < M; i++) {
    const s = c.states[i]!;
    const a = c.actions[i]!;
    const lsm = logSoftmax64(theta[s]!);
    const lp = lsm[a]!;
    const r = Math.exp(lp - c.oldLogProb[i]!);
    const adv = c.adv[i]!;
    logp.push(lp);
    ratio.push(r);
    clipObj.push(Math.min(r * adv, Math.min(Math.max(r, 1 - low), 1 + high) * adv));
    surr.push(r * adv);
    pg.push(lp * adv);
    outside.push(r < 1 - low || r > 1 + high ? 1 : 0);
    const pi = lsm.map(Math.exp);
    ent.push(entropy64(pi));
    klEx.push(kl64(c.rollRows[i]!.map(Math.exp), pi));
    k1.push(c.oldLogProb[i]! - lp);
    k3.push(r - 1 - Math.log(r));
    const v = V[s]!;
    const R = c.ret[i]!;
    const un = (v - R) ** 2;
    if (coef.valueClip === null) vl.push(un);
    else {
      const vo = c.oldV[i]!;
      const vc = vo + Math.min(Math.max(v - vo, -coef.valueClip), coef.valueClip);
      vl.push(Math.max(un, (vc - R) ** 2));
    }
  }
  const klMean = coef.klEstimator === 'exact' ? mean64(klEx) : coef.klEstimator === 'k1' ? mean64(k1) : mean64(k3);
  let policyLoss: number;
  let klPenalty = 0;
  if (coef.objective === 'clip') policyLoss = -mean64(clipObj);
  else if (coef.objective === 'pg') policyLoss = -mean64(pg);
  else {
    klPenalty = coef.beta * klMean;
    policyLoss = coef.objective === 'kl-penalty' ? -mean64(surr) : -mean64(clipObj);
  }
  const valueLoss = 0.5 * mean64(vl);
  const entropy = mean64(ent);
  return {
    logp,
    ratio,
    policyLoss,
    klPenalty,
    valueLoss,
    entropy,
    clipFraction: mean64(outside),
    total: policyLoss + klPenalty + coef.vfCoef * valueLoss - coef.entCoef * entropy,
    rolloutKlExact: mean64(klEx),
    rolloutKlK1: mean64(k1),
    rolloutKlK3: mean64(k3),
  };
}

/** ∇ total by central differences of the float64 reference (h = 1e-6; no sample sits near a kink, see CASE). */
function refGrad(c: Case, x: readonly number[], coef: StepCoefficients, h = 1e-6): number[] {
  return x.map((_, j) => {
    const p = [...x];
    const m = [...x];
    p[j]! += h;
    m[j]! -= h;
    return (refTerms(c, p, coef).total - refTerms(c, m, coef).total) / (2 * h);
  });
}

/**
 * First Adam step from zero moments (PyTorch form, as documented in src/training/adam.ts):
 * m = (1−β₁)g, v = (1−β₂)g², θ ← θ − lr/(1−β₁) · m/(√v/√(1−β₂) + ε) = θ − lr·g/(|g| + ε).
 * With a large ε the step depends on the scale of g, so a wrong clip scale shows in the weights.
 */
const adamFirstStep = (x: readonly number[], g: readonly number[], lr: number, eps: number): number[] =>
  x.map((xi, j) => xi - (lr * g[j]!) / (Math.abs(g[j]!) + eps));

// ---------------------------------------------------------------------------------------------------------------
// The scenario. Numbers were chosen with a float64 scratch script (same formulas as above):
//   θ_before  s0: [0.5, −0.3, 0.1] → π_b = [0.472, 0.212, 0.316];   s1: [−0.2, 0.4, 0.0] → [0.247, 0.451, 0.302]
//   rollout   s0: [1.6, −0.2, 0.2] → π_r = [0.708, 0.117, 0.175];   s1: [−2.0, 0.3, 0.4] → [0.045, 0.453, 0.501]
//   samples (s, a) = (0,0) (0,1) (1,1) (1,2) (1,0): ratios π_b/π_r ≈ [0.666, 1.811, 0.994, 0.603, 5.440]
//   batch mean KL(π_r‖π_b) ≈ 0.1535 but KL(π_b‖π_r) ≈ 0.2067 (asymmetric by > 0.05).
// With ε = 0.2 no ratio is within 0.1 of a clip bound, and no value residual sits at a max/clip kink, so the
// finite differences are smooth.
// ---------------------------------------------------------------------------------------------------------------
const THETA0 = [0.5, -0.3, 0.1, -0.2, 0.4, 0.0].map(f);
const V0 = [0.3, -0.1].map(f);
const ROLL_LOGITS = [
  [1.6, -0.2, 0.2],
  [-2.0, 0.3, 0.4],
];

function makeCase(
  states: number[],
  actions: number[],
  adv: number[],
  ret: number[],
  oldV: number[],
  roll = ROLL_LOGITS,
): Case {
  const rowsByState = roll.map((r) => logSoftmax64(r).map(f));
  const rollRows = states.map((s) => [...rowsByState[s]!]);
  return {
    S: roll.length,
    A: roll[0]!.length,
    states,
    actions,
    rollRows,
    oldLogProb: states.map((s, i) => rowsByState[s]![actions[i]!]!),
    adv: adv.map(f),
    ret: ret.map(f),
    oldV: oldV.map(f),
  };
}

const CASE = makeCase(
  [0, 0, 1, 1, 1],
  [0, 1, 1, 2, 0],
  [1.0, -0.5, 0.8, -1.2, 0.3],
  [1.0, 0.2, 0.4, -0.5, 0.1],
  [0.25, 0.25, -0.5, -0.5, -0.5],
);

const BASE: StepCoefficients = {
  objective: 'clip',
  clip: 0.2,
  dualClip: null,
  beta: 0,
  klEstimator: 'k3',
  entCoef: 0.05,
  vfCoef: 0.5,
  valueClip: null,
  maxGradNorm: null,
  lr: 0.1,
};

function makePolicy(c: Case, theta: readonly number[], V: readonly number[]): TabularPolicy {
  const policy = new TabularPolicy({ numStates: c.S, numActions: c.A, rng: createRng(7), critic: true });
  policy.setWeights([
    { name: 'logits', shape: [c.S, c.A], values: [...theta] },
    { name: 'values', shape: [c.S], values: [...V] },
  ]);
  return policy;
}

function makeBatch(c: Case): Minibatch {
  return {
    obs: encoderFor({ kind: 'discrete', n: c.S }).encode(c.states),
    actions: tf.tensor1d(c.actions, 'int32'),
    oldLogProb: tf.tensor1d(c.oldLogProb),
    advantages: tf.tensor1d(c.adv),
    returns: tf.tensor1d(c.ret),
    oldValues: tf.tensor1d(c.oldV),
    oldParams: { kind: 'categorical', logits: tf.tensor2d(c.rollRows) },
  };
}

function disposeBatch(b: Minibatch): void {
  tf.dispose([
    b.obs,
    b.actions,
    b.oldLogProb,
    b.advantages,
    b.returns,
    b.oldValues,
    b.oldParams.kind === 'categorical' ? b.oldParams.logits : [],
  ]);
}

type Readings = Partial<Record<keyof StepScalars, number>>;

async function readAndDispose(scalars: StepScalars): Promise<Readings> {
  const out: Readings = {};
  for (const [k, t] of Object.entries(scalars) as [keyof StepScalars, tf.Scalar][]) {
    out[k] = (await t.data())[0]!;
    t.dispose();
  }
  return out;
}

/** Flat weights [θ…, V…] as stored (float32 values). */
function flatWeights(policy: TabularPolicy): number[] {
  const w = policy.getWeights();
  expect(w.map((x) => x.name)).toEqual(['logits', 'values']);
  return [...w[0]!.values, ...w[1]!.values];
}

interface StepRun {
  applied: boolean;
  r: Readings;
  before: number[];
  after: number[];
  optimizer: Adam;
  policy: TabularPolicy;
  dispose(): void;
}

async function runStep(
  c: Case,
  coef: StepCoefficients,
  opts: {
    theta?: readonly number[];
    V?: readonly number[];
    eps?: number;
    shouldStop?: (kl: number) => boolean;
    preStepStatistic?: 'exact' | 'k1' | 'k3';
  } = {},
): Promise<StepRun> {
  const policy = makePolicy(c, opts.theta ?? THETA0, opts.V ?? V0);
  const optimizer = new Adam(policy.trainableVariables, { eps: opts.eps ?? 1e-5 });
  const before = flatWeights(policy);
  const batch = makeBatch(c);
  const { applied, scalars } = await ppoUpdateStep({
    policy,
    optimizer,
    batch,
    coef,
    ...(opts.shouldStop ? { shouldStop: opts.shouldStop } : {}),
    ...(opts.preStepStatistic ? { preStepStatistic: opts.preStepStatistic } : {}),
  });
  const r = await readAndDispose(scalars);
  disposeBatch(batch);
  const after = flatWeights(policy);
  return {
    applied,
    r,
    before,
    after,
    optimizer,
    policy,
    dispose: () => {
      optimizer.dispose();
      policy.dispose();
    },
  };
}

const close = (actual: number | undefined, expected: number, what: string): void => {
  expect(actual, `${what} is missing`).toBeTypeOf('number');
  try {
    expectClose(actual!, expected, ATOL, RTOL);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
};

describe.each(TEST_BACKENDS)('ppoUpdateStep on %s', (backend) => {
  useBackend(backend);

  // Sanity of the scenario itself (float64 only): the asymmetries the tests rely on are large.
  it('scenario: π_rollout ≠ π_before, KL asymmetric, importance weights far from 1', () => {
    const ref = refTerms(CASE, [...THETA0, ...V0], BASE);
    const piB = [softmax64(THETA0.slice(0, 3)), softmax64(THETA0.slice(3, 6))];
    const reverse = mean64(CASE.states.map((s, i) => kl64(piB[s]!, CASE.rollRows[i]!.map(Math.exp))));
    expect(Math.abs(ref.rolloutKlExact - reverse)).toBeGreaterThan(0.05);
    expect(Math.min(...ref.ratio.map((x) => Math.abs(x - 1)))).toBeLessThan(0.01); // one sample inside the clip range
    expect(Math.max(...ref.ratio.map((x) => Math.abs(x - 1)))).toBeGreaterThan(1); // and some far outside
    for (const x of ref.ratio) expect(Math.min(Math.abs(x - 0.8), Math.abs(x - 1.2))).toBeGreaterThan(0.1);
  });

  for (const variant of [
    { name: 'clip', coef: { ...BASE } },
    { name: 'pg', coef: { ...BASE, objective: 'pg' as const } },
    {
      name: 'kl-penalty with k1',
      coef: { ...BASE, objective: 'kl-penalty' as const, klEstimator: 'k1' as const, beta: 0.7 },
    },
    {
      name: 'clip+kl with k3 and value clipping',
      coef: { ...BASE, objective: 'clip+kl' as const, klEstimator: 'k3' as const, beta: 0.3, valueClip: 0.2 },
    },
  ]) {
    it(`${variant.name}: every loss scalar, totalLoss and gradNorm equal the float64 reference [bugs 6, 7]`, async () => {
      const x0 = [...THETA0, ...V0];
      const ref = refTerms(CASE, x0, variant.coef);
      const g = refGrad(CASE, x0, variant.coef);
      const run = await runStep(CASE, variant.coef);
      close(run.r.policyLoss, ref.policyLoss, 'policyLoss');
      close(run.r.valueLoss, ref.valueLoss, 'valueLoss');
      close(run.r.klPenalty, ref.klPenalty, 'klPenalty');
      close(run.r.entropy, ref.entropy, 'entropy');
      close(run.r.clipFraction, ref.clipFraction, 'clipFraction');
      // Bug 6: the entropy bonus enters with a minus sign; a flipped sign moves totalLoss by 2·entCoef·H ≈ 0.1.
      close(run.r.totalLoss, ref.total, 'totalLoss');
      expect(2 * variant.coef.entCoef * ref.entropy).toBeGreaterThan(0.05); // ≫ tolerance
      // gradNorm is the global norm of ∇(total) over [logits, values], before any clipping.
      close(run.r.gradNorm, norm64(g), 'gradNorm');
      expect(run.applied).toBe(true);
      run.dispose();
    });
  }

  it('clip objective: clip fraction counts the samples clearly outside [1−ε, 1+ε] (4 of 5 at ε = 0.2, 1 of 5 for {0.45, 0.9}) [bug 7, coarse]', async () => {
    // Ratios ≈ [0.666, 1.811, 0.994, 0.603, 5.440]; the float64 reference counts them with strict < and >.
    const a = await runStep(CASE, BASE);
    close(a.r.clipFraction, 4 / 5, 'clipFraction(ε=0.2)');
    a.dispose();
    const b = await runStep(CASE, { ...BASE, clip: { low: 0.45, high: 0.9 } });
    close(b.r.clipFraction, 1 / 5, 'clipFraction({0.45, 0.9})');
    b.dispose();
  });

  it('clip fraction does not count ratios exactly at 1−low and 1+high (strict > / <, not ≥ / ≤) [bug 7]', async () => {
    // test/objectives/ppo_clip.test.ts only uses ratios away from the bounds (and r = 1 exactly), so the exact
    // boundary is covered here. One state, three actions; oldLogProb is chosen so the ratios are ≈ 1.25, ≈ 0.8, ≈ 2.
    // The backend's own float32 ratio of samples 0 and 1 is read (same ops as the step: logProb of the policy,
    // sub, exp) and the clip bounds are put exactly on them: high = r₀ − 1, low = 1 − r₁ (both exact in float64,
    // and 1 + high, 1 − low round back to r₀, r₁ in float32). Only sample 2 (r ≈ 2 > 1 + high) lies outside, so the
    // fraction is 1/3; counting with ≥ / ≤ gives 3/3.
    const theta = [0.2, -0.1, 0.4].map(f);
    const lsm = logSoftmax64(theta);
    const targets = [1.25, 0.8, 2.0];
    const c: Case = {
      S: 1,
      A: 3,
      states: [0, 0, 0],
      actions: [0, 1, 2],
      rollRows: [0, 1, 2].map(() => logSoftmax64([0.1, 0.2, 0.3]).map(f)),
      oldLogProb: targets.map((t, i) => f(lsm[i]! - Math.log(t))),
      adv: [1, -1, 0.5].map(f),
      ret: [0, 0, 0],
      oldV: [0, 0, 0],
    };
    const probe = makePolicy(c, theta, [0]);
    const batch = makeBatch(c);
    const rT = tf.tidy(() => tf.exp(tf.sub(probe.distribution(batch.obs).logProb(batch.actions), batch.oldLogProb)));
    const r = Array.from(await rT.data());
    tf.dispose(rT);
    disposeBatch(batch);
    probe.dispose();
    expectClose(r, targets, 1e-5, 1e-5);
    const high = r[0]! - 1;
    const low = 1 - r[1]!;
    expect(f(1 + high)).toBe(r[0]);
    expect(f(1 - low)).toBe(r[1]);
    const run = await runStep(c, { ...BASE, clip: { low, high } }, { theta, V: [0] });
    expectClose(run.r.clipFraction!, 1 / 3, 1e-7);
    run.dispose();
  });

  it('rolloutKlExact = mean KL(π_rollout‖π_before), not KL(π_before‖π_rollout); k1/k3 from the rollout actions [bug 3]', async () => {
    const ref = refTerms(CASE, [...THETA0, ...V0], BASE);
    const piB = [softmax64(THETA0.slice(0, 3)), softmax64(THETA0.slice(3, 6))];
    const wrongDirection = mean64(CASE.states.map((s, i) => kl64(piB[s]!, CASE.rollRows[i]!.map(Math.exp))));
    expect(Math.abs(ref.rolloutKlExact - wrongDirection)).toBeGreaterThan(0.05);
    const run = await runStep(CASE, BASE);
    close(run.r.rolloutKlExact, ref.rolloutKlExact, 'rolloutKlExact');
    // k1 = mean(log π_r(a) − log π_b(a)), k3 = mean((r − 1) − log r), r = π_b(a)/π_r(a), a ~ π_rollout.
    close(run.r.rolloutKlK1, ref.rolloutKlK1, 'rolloutKlK1');
    close(run.r.rolloutKlK3, ref.rolloutKlK3, 'rolloutKlK3');
    run.dispose();
  });

  it("kl-penalty with klEstimator 'exact': klPenalty = β·mean KL(π_rollout‖π_θ) (not the reverse), loss and gradient match [bug 4]", async () => {
    const coef: StepCoefficients = { ...BASE, objective: 'kl-penalty', klEstimator: 'exact', beta: 0.7 };
    const x0 = [...THETA0, ...V0];
    const ref = refTerms(CASE, x0, coef);
    const piB = [softmax64(THETA0.slice(0, 3)), softmax64(THETA0.slice(3, 6))];
    const reverse = 0.7 * mean64(CASE.states.map((s, i) => kl64(piB[s]!, CASE.rollRows[i]!.map(Math.exp))));
    expect(Math.abs(ref.klPenalty - reverse)).toBeGreaterThan(0.03);
    const g = refGrad(CASE, x0, coef);
    const run = await runStep(CASE, coef);
    close(run.r.klPenalty, ref.klPenalty, 'klPenalty');
    close(run.r.policyLoss, ref.policyLoss, 'policyLoss (unclipped surrogate −mean(r·Â))');
    close(run.r.totalLoss, ref.total, 'totalLoss');
    // The gradient of the exact KL term flows through π_θ; a reversed KL has a different gradient.
    close(run.r.gradNorm, norm64(g), 'gradNorm');
    run.dispose();
  });

  it('per-step exact KL is KL(π_before‖π_after) from the weights after the step, not from π_rollout [bug 1]', async () => {
    const coef: StepCoefficients = { ...BASE, lr: 0.3 };
    const run = await runStep(CASE, coef);
    expect(run.applied).toBe(true);
    const b = unflatten(CASE, run.before).theta;
    const a = unflatten(CASE, run.after).theta;
    expect(run.after).not.toEqual(run.before);
    const piB = b.map(softmax64);
    const piA = a.map(softmax64);
    const expected = mean64(CASE.states.map((s) => kl64(piB[s]!, piA[s]!)));
    const fromRollout = mean64(CASE.states.map((s, i) => kl64(CASE.rollRows[i]!.map(Math.exp), piA[s]!)));
    const reverse = mean64(CASE.states.map((s) => kl64(piA[s]!, piB[s]!)));
    expect(expected).toBeGreaterThan(1e-3);
    expect(Math.abs(expected - fromRollout)).toBeGreaterThan(0.05);
    expect(Math.abs(expected - reverse)).toBeGreaterThan(1e-5 + 1e-5 * expected); // distinguishable at this tolerance
    close(run.r.stepKlExact, expected, 'stepKlExact');
    run.dispose();
  });

  it('per-step k1/k3 are importance-weighted: mean(w·k) with w = π_before(a|s)/π_rollout(a|s) [bug 2]', async () => {
    const coef: StepCoefficients = { ...BASE, lr: 0.3 };
    const run = await runStep(CASE, coef);
    const b = unflatten(CASE, run.before).theta;
    const a = unflatten(CASE, run.after).theta;
    const k1: number[] = [];
    const k3: number[] = [];
    const w: number[] = [];
    CASE.states.forEach((s, i) => {
      const act = CASE.actions[i]!;
      const lb = logSoftmax64(b[s]!)[act]!;
      const la = logSoftmax64(a[s]!)[act]!;
      w.push(Math.exp(lb - CASE.oldLogProb[i]!));
      k1.push(lb - la); // log π_b(a) − log π_a(a)
      const rho = Math.exp(la - lb); // π_a(a)/π_b(a)
      k3.push(rho - 1 - Math.log(rho));
    });
    const expK1 = mean64(k1.map((k, i) => w[i]! * k));
    const expK3 = mean64(k3.map((k, i) => w[i]! * k));
    // Without the weight the values differ by far more than the tolerance.
    expect(Math.abs(expK1 - mean64(k1))).toBeGreaterThan(1e-3);
    expect(Math.abs(expK3 - mean64(k3))).toBeGreaterThan(1e-3);
    close(run.r.stepKlK1, expK1, 'stepKlK1');
    close(run.r.stepKlK3, expK3, 'stepKlK3');
    run.dispose();
  });

  it('gradient clipping with maxGradNorm > ‖g‖ leaves the gradient alone: weights = unclipped first Adam step [bug 5, always-rescale]', async () => {
    const x0 = [...THETA0, ...V0];
    const g = refGrad(CASE, x0, BASE);
    const gn = norm64(g);
    const lr = 0.1;
    const eps = 0.5; // a large ε makes the first Adam step lr·g/(|g| + ε) depend on the scale of g
    const expected = adamFirstStep(x0, g, lr, eps);
    // A clip that always rescales (g·maxNorm/‖g‖) would give a clearly different step:
    const rescaled = adamFirstStep(
      x0,
      g.map((gi) => gi * 10) /* scale maxNorm/‖g‖ = 10 */,
      lr,
      eps,
    );
    expect(Math.max(...expected.map((e, j) => Math.abs(e - rescaled[j]!)))).toBeGreaterThan(1e-3);

    const run = await runStep(CASE, { ...BASE, lr, maxGradNorm: 10 * gn }, { eps });
    close(run.r.gradNorm, gn, 'gradNorm');
    expectClose(run.after, expected, ATOL, RTOL);
    // The gradient Adam received: its first moment is (1 − β₁)·g.
    const m = (await run.optimizer.getState()).m.flat().map((v) => v / (1 - run.optimizer.beta1));
    expectClose(m, g, 1e-5, 1e-4);
    // And the same as with clipping off.
    const off = await runStep(CASE, { ...BASE, lr, maxGradNorm: null }, { eps });
    expect(run.after).toEqual(off.after);
    run.dispose();
    off.dispose();
  });

  it('gradient clipping with maxGradNorm < ‖g‖ rescales g to norm maxGradNorm before Adam [bug 5, never-rescale]', async () => {
    const x0 = [...THETA0, ...V0];
    const g = refGrad(CASE, x0, BASE);
    const gn = norm64(g);
    const maxNorm = 0.25 * gn;
    const scale = maxNorm / (gn + 1e-6); // torch.nn.utils.clip_grad_norm_
    const gc = g.map((gi) => gi * scale);
    const lr = 0.1;
    const eps = 0.5;
    const expected = adamFirstStep(x0, gc, lr, eps);
    const unclipped = adamFirstStep(x0, g, lr, eps);
    expect(Math.max(...expected.map((e, j) => Math.abs(e - unclipped[j]!)))).toBeGreaterThan(1e-3);

    const run = await runStep(CASE, { ...BASE, lr, maxGradNorm: maxNorm }, { eps });
    close(run.r.gradNorm, gn, 'gradNorm (reported before clipping)');
    expectClose(run.after, expected, ATOL, RTOL);
    const received = (await run.optimizer.getState()).m.flat().map((v) => v / (1 - run.optimizer.beta1));
    expectClose(received, gc, 1e-5, 1e-4);
    expectClose(norm64(received), maxNorm, 1e-6, 1e-4);
    run.dispose();
  });

  it('entropy bonus lowers the total loss: totalLoss(entCoef) − totalLoss(0) = −entCoef·H [bug 6]', async () => {
    const x0 = [...THETA0, ...V0];
    const H = refTerms(CASE, x0, BASE).entropy;
    const withEnt = await runStep(CASE, { ...BASE, entCoef: 0.2 });
    const noEnt = await runStep(CASE, { ...BASE, entCoef: 0 });
    close(withEnt.r.entropy, H, 'entropy');
    expectClose(withEnt.r.totalLoss! - noEnt.r.totalLoss!, -0.2 * H, 2e-6, RTOL);
    close(withEnt.r.totalLoss, refTerms(CASE, x0, { ...BASE, entCoef: 0.2 }).total, 'totalLoss');
    withEnt.dispose();
    noEnt.dispose();
  });

  it('early stop: shouldStop → true leaves weights and optimizer untouched and reports no step KL [bug 8]', async () => {
    const seen: number[] = [];
    const run = await runStep(
      CASE,
      { ...BASE, lr: 0.3 },
      { shouldStop: (kl) => (seen.push(kl), true), preStepStatistic: 'exact' },
    );
    expect(run.applied).toBe(false);
    expect(seen).toHaveLength(1);
    expect(run.after).toEqual(run.before);
    expect(run.optimizer.step).toBe(0);
    expect('stepKlExact' in run.r).toBe(false);
    expect('stepKlK1' in run.r).toBe(false);
    expect('stepKlK3' in run.r).toBe(false);
    // The pre-step diagnostics are still there (the loss was computed).
    const ref = refTerms(CASE, [...THETA0, ...V0], BASE);
    close(run.r.totalLoss, ref.total, 'totalLoss');
    close(run.r.rolloutKlExact, ref.rolloutKlExact, 'rolloutKlExact');
    run.dispose();
  });

  it("shouldStop receives the requested pre-step statistic of KL(π_rollout‖π_before): 'exact', 'k1', 'k3' (default k3) [bug 8]", async () => {
    const ref = refTerms(CASE, [...THETA0, ...V0], BASE);
    // The three statistics are far apart here, so handing over the wrong one is visible.
    expect(Math.abs(ref.rolloutKlExact - ref.rolloutKlK1)).toBeGreaterThan(0.05);
    expect(Math.abs(ref.rolloutKlK3 - ref.rolloutKlK1)).toBeGreaterThan(0.05);
    expect(Math.abs(ref.rolloutKlK3 - ref.rolloutKlExact)).toBeGreaterThan(0.05);
    const expected = { exact: ref.rolloutKlExact, k1: ref.rolloutKlK1, k3: ref.rolloutKlK3 } as const;
    for (const stat of ['exact', 'k1', 'k3'] as const) {
      let got = NaN;
      const run = await runStep(CASE, BASE, { shouldStop: (kl) => ((got = kl), true), preStepStatistic: stat });
      close(got, expected[stat], `statistic ${stat}`);
      expect(run.applied).toBe(false);
      run.dispose();
    }
    let got = NaN;
    const dflt = await runStep(CASE, BASE, { shouldStop: (kl) => ((got = kl), true) });
    close(got, ref.rolloutKlK3, 'default statistic (k3)');
    dflt.dispose();
    // shouldStop → false: the step is applied and the per-step KL is reported.
    let got2 = NaN;
    const go = await runStep(CASE, BASE, { shouldStop: (kl) => ((got2 = kl), false), preStepStatistic: 'k1' });
    close(got2, ref.rolloutKlK1, 'statistic k1 (not stopping)');
    expect(go.applied).toBe(true);
    expect(go.after).not.toEqual(go.before);
    expect(go.optimizer.step).toBe(1);
    expect(go.r.stepKlExact).toBeTypeOf('number');
    go.dispose();
  });

  it('leaks no tensor: applied and early-stopped steps, after disposing the scalars and the batch', async () => {
    const policy = makePolicy(CASE, THETA0, V0);
    const optimizer = new Adam(policy.trainableVariables);
    for (const shouldStop of [undefined, () => true, () => false]) {
      const before = tf.memory().numTensors;
      const batch = makeBatch(CASE);
      const { scalars } = await ppoUpdateStep({
        policy,
        optimizer,
        batch,
        coef: { ...BASE, objective: 'clip+kl', klEstimator: 'exact', beta: 0.5, valueClip: 0.2, maxGradNorm: 0.1 },
        ...(shouldStop ? { shouldStop } : {}),
      });
      tf.dispose(Object.values(scalars));
      disposeBatch(batch);
      expect(tf.memory().numTensors).toBe(before);
    }
    optimizer.dispose();
    policy.dispose();
  });

  it('leaks no tensor when shouldStop throws: the error reaches the caller, every tensor of the step is freed', async () => {
    const policy = makePolicy(CASE, THETA0, V0);
    const optimizer = new Adam(policy.trainableVariables);
    const batch = makeBatch(CASE);
    const before = tf.memory().numTensors;
    await expect(
      ppoUpdateStep({
        policy,
        optimizer,
        batch,
        coef: { ...BASE, objective: 'clip' },
        shouldStop: () => {
          throw new Error('stop check failed');
        },
      }),
    ).rejects.toThrow('stop check failed');
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    optimizer.dispose();
    policy.dispose();
  });
});
