/**
 * The fused engine (src/engine) against klip's own tfjs step, `ppoUpdateStep` (src/training/update.ts), in float32
 * on the wasm backend: the same loss terms, the same (clipped) gradients captured from the optimizer call of
 * `ppoUpdateStep`, the same parameters after K Adam steps with klip's `Adam`, and the same per-step KLs; over the
 * objective/estimator/clipping configurations the trainer can produce, with and without distinct-state reuse.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/backend.js';
import { ConfigError } from '../../src/core/errors.js';
import { FusedPpoEngine } from '../../src/engine/fused_mlp.js';
import {
  fusedEngineForPolicy,
  fusedUpdateStep,
  storePolicyWeights,
  syncEngineFromPolicy,
} from '../../src/engine/tfjs_bridge.js';
import { GaussianMlpPolicy } from '../../src/policies/gaussian_mlp.js';
import { MlpPolicy } from '../../src/policies/mlp.js';
import { TabularPolicy } from '../../src/policies/tabular.js';
import type { Policy } from '../../src/policies/types.js';
import { createRng } from '../../src/random/rng.js';
import { Adam } from '../../src/training/adam.js';
import { ppoUpdateStep, type StepCoefficients, type StepScalars } from '../../src/training/update.js';
import { batchTensors, type PairedBatch, pairedBatch, pairedGaussianBatch, relErr } from './fixtures.js';

const TOL = 1e-5;

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
  lr: 3e-3,
};

interface Config {
  name: string;
  coef: Partial<StepCoefficients>;
  reuse: boolean;
  /** Expect the gradient clip to trigger (true), not to trigger (false), or no clipping (null). */
  clipTriggers: boolean | null;
}

const CONFIGS: Config[] = [
  { name: 'clip only', coef: {}, reuse: true, clipTriggers: null },
  { name: 'clip, no reuse', coef: {}, reuse: false, clipTriggers: null },
  { name: 'clip + entropy + value clip', coef: { entCoef: 0.05, valueClip: 0.2 }, reuse: true, clipTriggers: null },
  {
    name: 'clip+kl exact',
    coef: { objective: 'clip+kl', klEstimator: 'exact', beta: 0.7 },
    reuse: true,
    clipTriggers: null,
  },
  {
    name: 'clip+kl k1',
    coef: { objective: 'clip+kl', klEstimator: 'k1', beta: 0.7 },
    reuse: false,
    clipTriggers: null,
  },
  { name: 'clip+kl k3', coef: { objective: 'clip+kl', klEstimator: 'k3', beta: 0.7 }, reuse: true, clipTriggers: null },
  {
    name: 'kl-penalty exact',
    coef: { objective: 'kl-penalty', klEstimator: 'exact', beta: 1.3 },
    reuse: true,
    clipTriggers: null,
  },
  {
    name: 'kl-penalty k3, entropy',
    coef: { objective: 'kl-penalty', klEstimator: 'k3', beta: 0.4, entCoef: 0.01 },
    reuse: false,
    clipTriggers: null,
  },
  { name: 'pg', coef: { objective: 'pg' }, reuse: true, clipTriggers: null },
  {
    name: 'dual clip, asymmetric clip',
    coef: { dualClip: 1.4, clip: { low: 0.1, high: 0.28 } },
    reuse: true,
    clipTriggers: null,
  },
  {
    name: 'grad clip that triggers',
    coef: { maxGradNorm: 0.05, entCoef: 0.01, valueClip: 0.2 },
    reuse: true,
    clipTriggers: true,
  },
  { name: 'grad clip that does not trigger', coef: { maxGradNorm: 1e3 }, reuse: false, clipTriggers: false },
];

const SCALARS = [
  'policyLoss',
  'valueLoss',
  'klPenalty',
  'entropy',
  'clipFraction',
  'totalLoss',
  'gradNorm',
  'rolloutKlExact',
  'rolloutKlK1',
  'rolloutKlK3',
] as const;

function read(s: StepScalars): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) out[k] = (v as tf.Scalar).dataSync()[0]!;
  tf.dispose(Object.values(s));
  return out;
}

function expectScalarsClose(fused: Record<string, number>, ref: Record<string, number>, keys: readonly string[]): void {
  for (const k of keys) {
    const e = ref[k]!;
    const a = fused[k]!;
    expect(Math.abs(a - e), `${k}: fused ${a} vs tfjs ${e}`).toBeLessThanOrEqual(TOL * Math.max(Math.abs(e), 0.1));
  }
}

/** ppoUpdateStep with an optimizer stand-in that records the (clipped) gradients it is handed. */
async function tfjsGradients(
  policy: Policy,
  batch: PairedBatch,
  coef: StepCoefficients,
): Promise<{ grads: Float32Array[]; scalars: Record<string, number> }> {
  let grads: Float32Array[] = [];
  const spy = {
    applyGradients: (g: readonly tf.Tensor[]) => {
      grads = g.map((t) => t.dataSync() as Float32Array);
    },
  } as unknown as Adam;
  const res = await ppoUpdateStep({ policy, optimizer: spy, batch: batch.tensors, coef });
  return { grads, scalars: read(res.scalars) };
}

function mlp(
  seed: string,
  obs: 'discrete' | 'box',
  extra: { sharedCritic?: boolean; activation?: 'tanh' | 'relu' } = {},
) {
  return new MlpPolicy({
    obsSpace: obs === 'discrete' ? { kind: 'discrete', n: 16 } : { kind: 'box', shape: [5] },
    actionSpace: { kind: 'discrete', n: 4 },
    hidden: [16, 16],
    ...extra,
    rng: createRng(seed),
  });
}

/** Scale the actor head up so the initial policy is far from uniform (tests see real softmax curvature). */
function sharpen(policy: Policy): void {
  const w = policy
    .getWeights()
    .map((x) => (x.name.startsWith('actor/out') ? { ...x, values: x.values.map((v) => v * 150) } : x));
  policy.setWeights(w);
}

beforeAll(async () => {
  await setBackend('wasm');
});

describe('fused engine vs ppoUpdateStep: loss terms and gradients of one step', () => {
  for (const cfg of CONFIGS) {
    it(cfg.name, async () => {
      const policy = mlp('agree-init', 'discrete');
      sharpen(policy);
      const engine = fusedEngineForPolicy(policy, { eps: 1e-5 });
      const coef: StepCoefficients = { ...BASE, ...cfg.coef };
      const batch = pairedBatch(policy, createRng(`agree-${cfg.name}`), 256, { oneHot: true, inDim: 16, nActions: 4 });
      const before = tf.memory().numTensors;
      const ref = await tfjsGradients(policy, batch, coef);
      expect(tf.memory().numTensors).toBe(before);
      const res = engine.step(batch.fused, coef, { reuse: cfg.reuse });
      expect(res.applied).toBe(true);
      expectScalarsClose(res.scalars as unknown as Record<string, number>, ref.scalars, SCALARS);
      const scale = engine.gradScale;
      if (cfg.clipTriggers === true) expect(scale).toBeLessThan(0.5);
      if (cfg.clipTriggers === false) expect(scale).toBe(1);
      engine.model.grads.forEach((g, i) => {
        const applied = Array.from(g, (x) => x * scale);
        expect(relErr(applied, ref.grads[i]!), `gradient of variable ${i}`).toBeLessThanOrEqual(TOL);
      });
      tf.dispose(batchTensors(batch));
      policy.dispose();
    });
  }
});

describe('fused engine vs ppoUpdateStep + Adam: parameters and per-step KL after K steps', () => {
  const K = 6;
  const cases: { name: string; make: () => Policy; oneHot: boolean; inDim: number; cfg: Config }[] = [
    {
      name: 'one-hot MLP, clip+kl exact, grad clip, reuse',
      make: () => mlp('k-1', 'discrete'),
      oneHot: true,
      inDim: 16,
      cfg: CONFIGS[10]!,
    },
    {
      name: 'one-hot MLP, kl-penalty k3, no reuse',
      make: () => mlp('k-2', 'discrete'),
      oneHot: true,
      inDim: 16,
      cfg: CONFIGS[7]!,
    },
    {
      name: 'box obs, shared torso, relu, dual clip',
      make: () => mlp('k-3', 'box', { sharedCritic: true, activation: 'relu' }),
      oneHot: false,
      inDim: 5,
      cfg: { ...CONFIGS[9]!, coef: { ...CONFIGS[9]!.coef, entCoef: 0.02, valueClip: 0.3 } },
    },
    {
      name: 'tabular, clip+kl k1, entropy, reuse',
      make: () => {
        const p = new TabularPolicy({
          numStates: 16,
          numActions: 4,
          init: 'random',
          initScale: 1,
          rng: createRng('tab'),
        });
        const r = createRng('tab-v');
        p.setWeights(
          p.getWeights().map((w) => (w.name === 'values' ? { ...w, values: w.values.map(() => r.normal()) } : w)),
        );
        return p;
      },
      oneHot: true,
      inDim: 16,
      cfg: {
        name: 'tab',
        coef: { objective: 'clip+kl', klEstimator: 'k1', beta: 0.3, entCoef: 0.02, maxGradNorm: 0.5 },
        reuse: true,
        clipTriggers: null,
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ref = c.make();
      if (ref.kind === 'mlp') sharpen(ref);
      const fusedPolicy = ref.clone();
      const engine = fusedEngineForPolicy(fusedPolicy, { eps: 1e-5 });
      const adam = new Adam(ref.trainableVariables, { eps: 1e-5 });
      const coef: StepCoefficients = { ...BASE, ...c.cfg.coef };
      const rng = createRng(`k-steps-${c.name}`);
      for (let k = 0; k < K; k++) {
        // Both policies hold (almost) the same weights; the batch is built from the tfjs one.
        const batch = pairedBatch(ref, rng, 128, { oneHot: c.oneHot, inDim: c.inDim, nActions: 4 });
        const r = read((await ppoUpdateStep({ policy: ref, optimizer: adam, batch: batch.tensors, coef })).scalars);
        const f = engine.step(batch.fused, coef, { reuse: c.cfg.reuse });
        expectScalarsClose(f.scalars as unknown as Record<string, number>, r, [
          ...SCALARS,
          'stepKlExact',
          'stepKlK1',
          'stepKlK3',
        ]);
        tf.dispose(batchTensors(batch));
      }
      expect(adam.step).toBe(K);
      expect(engine.adam.step).toBe(K);
      const refParams = ref.trainableVariables.map((v) => v.dataSync() as Float32Array);
      engine.params.forEach((p, i) => {
        expect(relErr(p, refParams[i]!), `parameter ${i} after ${K} steps`).toBeLessThanOrEqual(TOL);
      });
      const state = await adam.getState();
      const fs = engine.adam.getState();
      expect(fs.step).toBe(state.step);
      fs.m.forEach((m, i) => expect(relErr(m, state.m[i]!, 1e-8), `Adam m[${i}]`).toBeLessThanOrEqual(1e-4));
      // The weights reach the policy's variables (and its act fast path) through the bridge.
      storePolicyWeights(engine, fusedPolicy);
      const stored = fusedPolicy.trainableVariables.map((v) => v.dataSync() as Float32Array);
      stored.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(engine.params[i]!)));
      adam.dispose();
      ref.dispose();
      fusedPolicy.dispose();
    });
  }
});

describe('fusedUpdateStep: the drop-in for ppoUpdateStep', () => {
  let policy: MlpPolicy;
  let ref: MlpPolicy;
  afterAll(() => {
    policy.dispose();
    ref.dispose();
  });

  it('gives the tfjs step scalars as kept tensors, writes the weights back and reloads after setWeights', async () => {
    ref = mlp('drop-in', 'discrete');
    policy = ref.clone();
    const engine = fusedEngineForPolicy(policy);
    const adam = new Adam(ref.trainableVariables);
    const coef: StepCoefficients = { ...BASE, entCoef: 0.01, maxGradNorm: 0.5, valueClip: 0.2 };
    const rng = createRng('drop-in-batches');
    for (let k = 0; k < 3; k++) {
      const batch = pairedBatch(ref, rng, 64, { oneHot: true, inDim: 16, nActions: 4 });
      const r = read((await ppoUpdateStep({ policy: ref, optimizer: adam, batch: batch.tensors, coef })).scalars);
      const n0 = tf.memory().numTensors;
      const res = await fusedUpdateStep({ policy, engine, batch: batch.tensors, coef });
      expect(res.applied).toBe(true);
      expect(tf.memory().numTensors).toBe(n0 + 13);
      expectScalarsClose(read(res.scalars), r, [...SCALARS, 'stepKlExact']);
      tf.dispose(batchTensors(batch));
    }
    const a = policy.getWeights();
    const b = ref.getWeights();
    a.forEach((w, i) => expect(relErr(w.values, b[i]!.values)).toBeLessThanOrEqual(TOL));
    // An outside write (a checkpoint restore) is picked up before the next step.
    expect(syncEngineFromPolicy(engine, policy)).toBe(false);
    const other = mlp('drop-in-restore', 'discrete');
    sharpen(other);
    ref.setWeights(other.getWeights());
    policy.setWeights(other.getWeights());
    other.dispose();
    const batch = pairedBatch(ref, rng, 64, { oneHot: true, inDim: 16, nActions: 4 });
    await ppoUpdateStep({ policy: ref, optimizer: adam, batch: batch.tensors, coef }).then((r) =>
      tf.dispose(Object.values(r.scalars)),
    );
    const res = await fusedUpdateStep({ policy, engine, batch: batch.tensors, coef });
    tf.dispose(Object.values(res.scalars));
    const a2 = policy.getWeights();
    ref.getWeights().forEach((w, i) => expect(relErr(a2[i]!.values, w.values)).toBeLessThanOrEqual(TOL));
    tf.dispose(batchTensors(batch));
    adam.dispose();
  });

  it('refuses the step when shouldStop says so, leaving weights and Adam untouched', async () => {
    const p = mlp('stop', 'discrete');
    const engine = fusedEngineForPolicy(p);
    const batch = pairedBatch(p, createRng('stop'), 32, { oneHot: true, inDim: 16, nActions: 4 });
    const w0 = p.getWeights();
    let seen = Number.NaN;
    const res = await fusedUpdateStep({
      policy: p,
      engine,
      batch: batch.tensors,
      coef: BASE,
      shouldStop: (kl) => {
        seen = kl;
        return true;
      },
      preStepStatistic: 'exact',
    });
    expect(res.applied).toBe(false);
    expect(res.scalars.stepKlExact).toBeUndefined();
    expect(seen).toBeCloseTo(res.scalars.rolloutKlExact.dataSync()[0]!, 6);
    expect(engine.adam.step).toBe(0);
    expect(p.getWeights()).toEqual(w0);
    tf.dispose(Object.values(res.scalars));
    tf.dispose(batchTensors(batch));
    p.dispose();
  });
});

describe('FusedPpoEngine: reuse and determinism', () => {
  it('reuse on and off give the same step up to float summation order; a repeated run is bit-identical', () => {
    const p = mlp('reuse', 'discrete');
    sharpen(p);
    const weights = p.getWeights();
    const batch = pairedBatch(p, createRng('reuse'), 512, { oneHot: true, inDim: 16, nActions: 4 });
    const coef: StepCoefficients = { ...BASE, objective: 'clip+kl', klEstimator: 'exact', beta: 0.5, entCoef: 0.01 };
    const run = (reuse: boolean) => {
      const e = new FusedPpoEngine({ names: weights.map((w) => w.name), shapes: weights.map((w) => w.shape) });
      e.setParams(weights.map((w) => w.values));
      const out = [];
      for (let k = 0; k < 3; k++) out.push(e.step(batch.fused, coef, { reuse }).scalars);
      return { out, params: e.params.map((x) => Array.from(x)), grads: e.model.grads.map((g) => Array.from(g)) };
    };
    const a = run(true);
    const b = run(false);
    const c = run(true);
    expect(c).toEqual(a);
    a.grads.forEach((g, i) => expect(relErr(g, b.grads[i]!), `gradient ${i}`).toBeLessThanOrEqual(1e-12));
    a.params.forEach((x, i) => expect(relErr(x, b.params[i]!), `parameter ${i}`).toBeLessThanOrEqual(1e-6));
    tf.dispose(batchTensors(batch));
    p.dispose();
  });
});

describe('Gaussian head (state-independent log-std, CleanRL ppo_continuous_action.py) vs ppoUpdateStep', () => {
  const gaussian = (seed: string, obs: 'discrete' | 'box') =>
    new GaussianMlpPolicy({
      obsSpace: obs === 'discrete' ? { kind: 'discrete', n: 16 } : { kind: 'box', shape: [5] },
      actionSpace: { kind: 'box', shape: [2] },
      hidden: [16, 16],
      initLogStd: -0.3,
      rng: createRng(seed),
    });
  const configs: Config[] = [
    { name: 'clip, entropy, value clip', coef: { entCoef: 0.05, valueClip: 0.2 }, reuse: false, clipTriggers: null },
    {
      name: 'clip+kl exact, grad clip',
      coef: { objective: 'clip+kl', klEstimator: 'exact', beta: 0.7, maxGradNorm: 0.05 },
      reuse: true,
      clipTriggers: true,
    },
    {
      name: 'kl-penalty k3, dual clip',
      coef: { objective: 'kl-penalty', klEstimator: 'k3', beta: 0.5, dualClip: 1.5 },
      reuse: true,
      clipTriggers: null,
    },
    {
      name: 'clip+kl k1, no reuse',
      coef: { objective: 'clip+kl', klEstimator: 'k1', beta: 0.5, entCoef: 0.01 },
      reuse: false,
      clipTriggers: null,
    },
  ];
  for (const cfg of configs) {
    for (const obs of ['discrete', 'box'] as const) {
      it(`${cfg.name} (${obs} obs): gradients, then parameters and step KLs after K Adam steps`, async () => {
        const inDim = obs === 'discrete' ? 16 : 5;
        const oneHot = obs === 'discrete';
        const ref = gaussian(`g-${cfg.name}`, obs);
        const fusedPolicy = ref.clone();
        const engine = fusedEngineForPolicy(fusedPolicy, { eps: 1e-5 });
        const coef: StepCoefficients = { ...BASE, ...cfg.coef };
        const rng = createRng(`g-batch-${cfg.name}-${obs}`);
        // One step's gradients through klip's own ppoUpdateStep.
        const b0 = pairedGaussianBatch(ref, rng, 128, { oneHot, inDim, actionDim: 2 });
        const g = await tfjsGradients(ref, b0, coef);
        const f0 = engine.step(b0.fused, coef, { reuse: cfg.reuse, shouldStop: () => true });
        expectScalarsClose(f0.scalars as unknown as Record<string, number>, g.scalars, SCALARS);
        const scale = coef.maxGradNorm === null ? 1 : Math.min(1, coef.maxGradNorm / (f0.scalars.gradNorm + 1e-6));
        if (cfg.clipTriggers) expect(scale).toBeLessThan(0.5);
        engine.model.grads.forEach((gi, i) => {
          const applied = Array.from(gi, (x) => x * scale);
          expect(relErr(applied, g.grads[i]!), `gradient of variable ${i}`).toBeLessThanOrEqual(TOL);
        });
        tf.dispose(batchTensors(b0));
        // K Adam steps on both sides.
        const adam = new Adam(ref.trainableVariables, { eps: 1e-5 });
        for (let k = 0; k < 4; k++) {
          const batch = pairedGaussianBatch(ref, rng, 128, { oneHot, inDim, actionDim: 2 });
          const r = read((await ppoUpdateStep({ policy: ref, optimizer: adam, batch: batch.tensors, coef })).scalars);
          const f = engine.step(batch.fused, coef, { reuse: cfg.reuse });
          expectScalarsClose(f.scalars as unknown as Record<string, number>, r, [
            ...SCALARS,
            'stepKlExact',
            'stepKlK1',
            'stepKlK3',
          ]);
          tf.dispose(batchTensors(batch));
        }
        const refParams = ref.trainableVariables.map((v) => v.dataSync() as Float32Array);
        engine.params.forEach((p, i) => expect(relErr(p, refParams[i]!), `parameter ${i}`).toBeLessThanOrEqual(TOL));
        adam.dispose();
        ref.dispose();
        fusedPolicy.dispose();
      });
    }
  }
});

describe('fusedEngineForPolicy: policies it cannot train', () => {
  it('rejects a frozen policy and a policy without a critic with a ConfigError naming the argument', () => {
    const p = mlp('frozen', 'discrete');
    const frozen = p.freeze();
    expect(() => fusedEngineForPolicy(frozen)).toThrowError(ConfigError);
    expect(() => fusedEngineForPolicy(frozen)).toThrowError(/policy/);
    const noCritic = new MlpPolicy({
      obsSpace: { kind: 'discrete', n: 4 },
      actionSpace: { kind: 'discrete', n: 2 },
      critic: false,
      rng: createRng('no-critic'),
    });
    expect(() => fusedEngineForPolicy(noCritic)).toThrowError(/names/);
    expect(() => fusedEngineForPolicy({ kind: 'other' } as unknown as Policy)).toThrowError(/policy/);
    for (const x of [p, frozen, noCritic]) x.dispose();
  });
});
