/**
 * The fused engine's gradients against central finite differences of an independent float64 implementation of the
 * total PPO loss, written here from the formulas (Schulman et al. 2017 eq. 7 and §4; dual clip Ye et al. 2020;
 * CleanRL `ppo.py` value clipping and entropy bonus; k1/k3 from Schulman 2020 "Approximating KL Divergence"), on a
 * tiny MLP (3 inputs, one hidden layer of 4, 3 actions, separate critic) and on a tabular policy. No tfjs involved.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { type FusedMinibatch, FusedPpoEngine } from '../../src/engine/fused_mlp.js';
import { createRng } from '../../src/random/rng.js';
import type { StepCoefficients } from '../../src/training/update.js';
import { relErr } from './fixtures.js';

const f = Math.fround;

// --- Independent float64 reference ------------------------------------------------------------------------------

type Net = (params: number[][], i: number) => { z: number[]; v: number };

/** y = tanh(x·W0 + b0); logits = y·W1 + b1 (actor); V = tanh(x·C0 + c0)·C1 + c1 (critic). W [in, out] row-major. */
function tinyMlp(x: number[][], I: number, H: number, A: number, act: (u: number) => number): Net {
  const dense = (inp: number[], W: number[], b: number[], nOut: number): number[] =>
    b.map((bj, j) => inp.reduce((s, xi, i) => s + xi * W[i * nOut + j]!, bj));
  return (p, i) => {
    const h = dense(x[i]!, p[0]!, p[1]!, H).map(act);
    const z = dense(h, p[2]!, p[3]!, A);
    const hc = dense(x[i]!, p[4]!, p[5]!, H).map(act);
    const v = dense(hc, p[6]!, p[7]!, 1)[0]!;
    void I;
    return { z, v };
  };
}

function tabular(states: number[], A: number): Net {
  return (p, i) => ({ z: p[0]!.slice(states[i]! * A, states[i]! * A + A), v: p[1]![states[i]!]! });
}

/** log π(a_i|s_i), H(π(·|s_i)) and KL(π_old(·|s_i)‖π(·|s_i)) of one sample from the network output. */
type Head = (
  out: { z: number[]; v: number },
  p: number[][],
  mb: FusedMinibatch,
  i: number,
) => { lp: number; h: number; kl: number };

/** Categorical head: log-softmax of z. */
function categorical(A: number): Head {
  return ({ z }, _p, mb, i) => {
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, t) => s + Math.exp(t - m), 0));
    const logq = z.map((t) => t - lse);
    let kl = 0;
    for (let a = 0; a < A; a++) {
      const ol = mb.oldLogits![i * A + a]!;
      kl += Math.exp(ol) * (ol - logq[a]!);
    }
    return { lp: logq[mb.actions[i]!]!, h: -logq.reduce((s, t) => s + Math.exp(t) * t, 0), kl };
  };
}

/** Diagonal Gaussian head: mean z, log-std the last parameter array (N(μ, e^{2ℓ}) log-density, entropy and KL). */
function gaussianHead(D: number): Head {
  return ({ z }, p, mb, i) => {
    const ls = p[p.length - 1]!;
    let lp = 0;
    let h = 0;
    let kl = 0;
    for (let d = 0; d < D; d++) {
      const x = mb.actions[i * D + d]!;
      lp += -0.5 * ((x - z[d]!) / Math.exp(ls[d]!)) ** 2 - ls[d]! - 0.5 * Math.log(2 * Math.PI);
      h += ls[d]! + 0.5 * Math.log(2 * Math.PI * Math.E);
      const mp = mb.oldMean![i * D + d]!;
      const lpo = mb.oldLogStd![i * D + d]!;
      kl += ls[d]! - lpo + (Math.exp(2 * lpo) + (mp - z[d]!) ** 2) / (2 * Math.exp(2 * ls[d]!)) - 0.5;
    }
    return { lp, h, kl };
  };
}

function loss64(net: Net, p: number[][], mb: FusedMinibatch, c: StepCoefficients, head: Head): Record<string, number> {
  const n = mb.size;
  const low = typeof c.clip === 'number' ? c.clip : c.clip.low;
  const high = typeof c.clip === 'number' ? c.clip : c.clip.high;
  let clip = 0;
  let surr = 0;
  let pg = 0;
  let k1 = 0;
  let k3 = 0;
  let exact = 0;
  let ent = 0;
  let vl = 0;
  for (let i = 0; i < n; i++) {
    const out = net(p, i);
    const v = out.v;
    const { lp, h, kl } = head(out, p, mb, i);
    const r = Math.exp(lp - mb.oldLogProb[i]!);
    const adv = mb.advantages[i]!;
    let o = Math.min(r * adv, Math.min(Math.max(r, 1 - low), 1 + high) * adv);
    if (c.dualClip !== null && adv < 0) o = Math.max(o, c.dualClip * adv);
    clip += o;
    surr += r * adv;
    pg += lp * adv;
    const l = mb.oldLogProb[i]! - lp;
    k1 += l;
    k3 += Math.exp(-l) - 1 + l;
    exact += Math.max(0, kl);
    ent += h;
    const R = mb.returns[i]!;
    const u = (v - R) ** 2;
    if (c.valueClip === null) vl += u;
    else {
      const ov = mb.oldValues[i]!;
      const vc = ov + Math.min(Math.max(v - ov, -c.valueClip), c.valueClip);
      vl += Math.max(u, (vc - R) ** 2);
    }
  }
  const klMean = (c.klEstimator === 'exact' ? exact : c.klEstimator === 'k1' ? k1 : k3) / n;
  const penalty = c.objective === 'kl-penalty' || c.objective === 'clip+kl' ? c.beta * klMean : 0;
  const policy =
    c.objective === 'clip' || c.objective === 'clip+kl' ? -clip / n : c.objective === 'pg' ? -pg / n : -surr / n;
  const total = policy + penalty + (c.vfCoef * (0.5 * vl)) / n - c.entCoef * (ent / n);
  return { policyLoss: policy, klPenalty: penalty, valueLoss: (0.5 * vl) / n, entropy: ent / n, totalLoss: total };
}

function fdGrad(net: Net, p: number[][], mb: FusedMinibatch, c: StepCoefficients, head: Head): number[][] {
  const h = 1e-6;
  return p.map((arr, k) =>
    arr.map((_, j) => {
      const q = p.map((x) => [...x]);
      q[k]![j] = arr[j]! + h;
      const up = loss64(net, q, mb, c, head).totalLoss!;
      q[k]![j] = arr[j]! - h;
      const dn = loss64(net, q, mb, c, head).totalLoss!;
      return (up - dn) / (2 * h);
    }),
  );
}

// --- Fixtures ---------------------------------------------------------------------------------------------------

const BASE: StepCoefficients = {
  objective: 'clip',
  clip: 0.2,
  dualClip: null,
  beta: 0,
  klEstimator: 'k3',
  entCoef: 0,
  vfCoef: 0.5,
  valueClip: null,
  maxGradNorm: null,
  lr: 1e-3,
};

function batch(
  seed: string,
  M: number,
  A: number,
  states: Int32Array | null,
  obs: Float32Array | null,
): FusedMinibatch {
  const rng = createRng(seed);
  const oldLogits = new Float32Array(M * A);
  const actions = new Int32Array(M);
  const oldLogProb = new Float32Array(M);
  for (let i = 0; i < M; i++) {
    const row = Array.from({ length: A }, () => 1.5 * rng.normal());
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    for (let a = 0; a < A; a++) oldLogits[i * A + a] = f(row[a]! - lse);
    actions[i] = Math.floor(rng.float() * A);
    oldLogProb[i] = oldLogits[i * A + actions[i]!]!;
  }
  const vec = (s: number) => Float32Array.from({ length: M }, () => s * rng.normal());
  return {
    size: M,
    states,
    obs,
    actions,
    oldLogProb,
    advantages: vec(1),
    returns: vec(1),
    oldValues: vec(1),
    oldLogits,
  };
}

const CASES: { name: string; coef: Partial<StepCoefficients> }[] = [
  { name: 'clip, entropy, value clip', coef: { entCoef: 0.1, valueClip: 0.3 } },
  { name: 'dual clip + asymmetric clip', coef: { dualClip: 1.5, clip: { low: 0.15, high: 0.3 }, entCoef: 0.05 } },
  { name: 'clip+kl exact', coef: { objective: 'clip+kl', klEstimator: 'exact', beta: 0.8 } },
  { name: 'clip+kl k1', coef: { objective: 'clip+kl', klEstimator: 'k1', beta: 0.8 } },
  { name: 'kl-penalty k3', coef: { objective: 'kl-penalty', klEstimator: 'k3', beta: 0.8, valueClip: 0.1 } },
  { name: 'pg', coef: { objective: 'pg', entCoef: 0.2 } },
];

describe('fused gradients vs float64 finite differences', () => {
  const I = 3;
  const H = 4;
  const A = 3;
  const M = 24;
  const names = ['actor/0/kernel', 'actor/0/bias', 'actor/out/kernel', 'actor/out/bias'];
  const shapes = [[I, H], [H], [H, A], [A], [I, H], [H], [H, 1], [1]];
  const allNames = [...names, ...names.map((n) => n.replace('actor', 'critic'))];
  const rng = createRng('fd-params');
  const params = shapes.map((s) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => f(0.8 * rng.normal())));
  const obs = Float32Array.from({ length: M * I }, () => rng.normal());
  const x = Array.from({ length: M }, (_, i) => Array.from(obs.subarray(i * I, i * I + I)));

  for (const c of CASES) {
    for (const act of ['tanh', 'relu'] as const) {
      it(`tiny MLP (${act}): ${c.name}`, () => {
        const coef = { ...BASE, ...c.coef };
        const mb = batch(`fd-${c.name}`, M, A, null, obs);
        const engine = new FusedPpoEngine({ names: allNames, shapes, activation: act });
        engine.setParams(params);
        const res = engine.step(mb, coef, { shouldStop: () => true });
        const net = tinyMlp(x, I, H, A, act === 'tanh' ? Math.tanh : (u) => Math.max(0, u));
        const ref = loss64(net, params, mb, coef, categorical(A));
        for (const k of Object.keys(ref)) {
          const e = ref[k]!;
          expect(Math.abs((res.scalars as unknown as Record<string, number>)[k]! - e), k).toBeLessThanOrEqual(
            1e-12 + 1e-10 * Math.abs(e),
          );
        }
        const g = fdGrad(net, params, mb, coef, categorical(A));
        engine.model.grads.forEach((gi, k) => {
          expect(relErr(gi, g[k]!, 1e-3), `${allNames[k]}`).toBeLessThanOrEqual(1e-5);
        });
      });
    }
  }

  for (const c of CASES) {
    it(`tiny Gaussian MLP (tanh, log-std parameter): ${c.name}`, () => {
      const coef = { ...BASE, ...c.coef };
      const D = 2;
      const r = createRng(`fd-gauss-${c.name}`);
      const gShapes = [[I, H], [H], [H, D], [D], [I, H], [H], [H, 1], [1], [D]];
      const gNames = [...allNames, 'actor/log_std'];
      const gp = gShapes.map((sh) => Array.from({ length: sh.reduce((a, b) => a * b, 1) }, () => f(0.6 * r.normal())));
      const mb = batch(`fd-g-${c.name}`, M, A, null, obs);
      mb.actions = Float32Array.from({ length: M * D }, () => r.normal());
      mb.oldMean = Float32Array.from({ length: M * D }, () => r.normal());
      mb.oldLogStd = Float32Array.from({ length: M * D }, () => 0.3 * r.normal());
      delete mb.oldLogits;
      const engine = new FusedPpoEngine({ names: gNames, shapes: gShapes });
      engine.setParams(gp);
      const res = engine.step(mb, coef, { shouldStop: () => true });
      const net = tinyMlp(x, I, H, D, Math.tanh);
      const ref = loss64(net, gp, mb, coef, gaussianHead(D));
      for (const k of Object.keys(ref)) {
        const e = ref[k]!;
        expect(Math.abs((res.scalars as unknown as Record<string, number>)[k]! - e), k).toBeLessThanOrEqual(
          1e-12 + 1e-10 * Math.abs(e),
        );
      }
      const g = fdGrad(net, gp, mb, coef, gaussianHead(D));
      engine.model.grads.forEach((gi, k) => expect(relErr(gi, g[k]!, 1e-3), gNames[k]).toBeLessThanOrEqual(1e-5));
    });
  }

  it('tabular policy: clip+kl exact with entropy and value clip, repeated states, reuse on and off', () => {
    const S = 5;
    const coef = {
      ...BASE,
      objective: 'clip+kl' as const,
      klEstimator: 'exact' as const,
      beta: 0.5,
      entCoef: 0.1,
      valueClip: 0.2,
    };
    const r = createRng('fd-tab');
    const states = Int32Array.from({ length: M }, () => Math.floor(r.float() * S));
    const p = [Array.from({ length: S * A }, () => f(r.normal())), Array.from({ length: S }, () => f(r.normal()))];
    const mb = batch('fd-tab-batch', M, A, states, null);
    const engine = new FusedPpoEngine({ names: ['logits', 'values'], shapes: [[S, A], [S]] });
    engine.setParams(p);
    const g = fdGrad(tabular(Array.from(states), A), p, mb, coef, categorical(A));
    for (const reuse of [true, false]) {
      engine.step(mb, coef, { shouldStop: () => true, reuse });
      engine.model.grads.forEach((gi, k) =>
        expect(relErr(gi, g[k]!, 1e-3), `reuse ${reuse}`).toBeLessThanOrEqual(1e-5),
      );
    }
  });
});

describe('FusedAdam: the closed-form first step', () => {
  it('moves every parameter by lr·sign(g)·|g|/(|g| + ε) on the first step (bias-corrected m/√v = g/|g|)', () => {
    const engine = new FusedPpoEngine({ names: ['logits', 'values'], shapes: [[2, 3], [2]], adam: { eps: 1e-5 } });
    const p0 = [
      [0.1, -0.2, 0.3, 0, 0.5, -1],
      [0.25, -0.5],
    ];
    engine.setParams(p0);
    const mb = batch('adam', 6, 3, Int32Array.from([0, 1, 1, 0, 1, 0]), null);
    const res = engine.step(mb, { ...BASE, lr: 0.01, entCoef: 0.1 });
    expect(res.applied).toBe(true);
    const g = engine.model.grads;
    p0.forEach((arr, k) =>
      arr.forEach((x, j) => {
        const gj = f(g[k]![j]!);
        const expected = x - (0.01 * gj) / (Math.abs(gj) + 1e-5);
        expect(Math.abs(engine.params[k]![j]! - expected), `param ${k}[${j}]`).toBeLessThanOrEqual(
          2e-7 * Math.max(1, Math.abs(x)),
        );
      }),
    );
  });
});

describe('FusedPpoEngine: bad input gives a typed error naming the argument', () => {
  const names = ['logits', 'values'];
  const shapes = [[4, 2], [4]];
  const good = (): FusedMinibatch => batch('err', 3, 2, Int32Array.from([0, 1, 3]), null);
  const engine = new FusedPpoEngine({ names, shapes });

  it('rejects an out-of-range action or state, short arrays and float rows for a tabular policy', () => {
    const mb = good();
    mb.actions[1] = 2;
    expect(() => engine.step(mb, BASE)).toThrowError(ConfigError);
    expect(() => engine.step(mb, BASE)).toThrowError(/batch\.actions\[1\]/);
    const mb2 = good();
    mb2.states![2] = 4;
    expect(() => engine.step(mb2, BASE)).toThrowError(/batch\.states\[2\]/);
    const mb3 = { ...good(), returns: new Float32Array(2) };
    expect(() => engine.step(mb3, BASE)).toThrowError(ShapeError);
    expect(() => engine.step(mb3, BASE)).toThrowError(/batch\.returns/);
    const mb4 = { ...good(), oldLogits: new Float32Array(3) };
    expect(() => engine.step(mb4, BASE)).toThrowError(/batch\.oldLogits/);
    const mb5 = { ...good(), states: null, obs: new Float32Array(12) };
    expect(() => engine.step(mb5, BASE)).toThrowError(/batch\.states/);
    expect(() => engine.step({ ...good(), size: 0 }, BASE)).toThrowError(/batch\.size/);
  });

  it('rejects bad coefficients', () => {
    expect(() => engine.step(good(), { ...BASE, objective: 'ppo' as never })).toThrowError(/coef\.objective/);
    expect(() => engine.step(good(), { ...BASE, klEstimator: 'k2' as never })).toThrowError(/coef\.klEstimator/);
    expect(() => engine.step(good(), { ...BASE, dualClip: 0.5 })).toThrowError(/coef\.dualClip/);
    expect(() => engine.step(good(), { ...BASE, lr: Number.NaN })).toThrowError(/coef\.lr/);
    expect(() => engine.step(good(), { ...BASE, clip: { low: 1.2, high: 0.2 } })).toThrowError(/coef\.clip\.low/);
    expect(() => engine.step(good(), { ...BASE, clip: 1 })).toThrowError(/coef\.clip/);
  });

  it('rejects layouts it cannot train: unknown names, a log-std of the wrong size, no critic, mismatched shapes; and wrong parameter sizes', () => {
    expect(
      () =>
        new FusedPpoEngine({
          names: ['actor/out/kernel', 'actor/out/bias', 'actor/scale', 'critic/out/kernel', 'critic/out/bias'],
          shapes: [[3, 2], [2], [2], [3, 1], [1]],
        }),
    ).toThrowError(/names\[2\]/);
    expect(
      () =>
        new FusedPpoEngine({
          names: ['actor/out/kernel', 'actor/out/bias', 'critic/out/kernel', 'critic/out/bias', 'actor/log_std'],
          shapes: [[3, 2], [2], [3, 1], [1], [3]],
        }),
    ).toThrowError(/shapes\[4\]/);
    expect(() => new FusedPpoEngine({ names: ['logits'], shapes: [[4, 2]] })).toThrowError(ConfigError);
    expect(() => new FusedPpoEngine({ names: ['actor/0/kernel', 'actor/0/bias'], shapes: [[3, 2], [3]] })).toThrowError(
      ShapeError,
    );
    expect(() => new FusedPpoEngine({ names, shapes, activation: 'gelu' as never })).toThrowError(/activation/);
    expect(() => engine.setParams([[1, 2]])).toThrowError(/values/);
    expect(() => engine.setParams([new Float32Array(8), new Float32Array(3)])).toThrowError(/values\[1\]/);
  });
});
