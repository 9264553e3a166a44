/**
 * `engine: 'fused'` in the trainer: the metric stream equals the tfjs engine's up to float32 summation order, is
 * bit-identical to itself across runs, and a checkpoint moves a run from one engine to the other.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { autoEngine, DEFAULT_PPO_CONFIG, migrateRecordedConfig, resolvePpoConfig } from '../../src/training/config.js';
import { deterministicPart, type MetricRecord } from '../../src/training/metrics.js';
import { Trainer } from '../../src/training/trainer.js';
import type { TrainerInput } from '../../src/training/trainer.js';

async function history(cfg: TrainerInput, updates = Infinity): Promise<MetricRecord[]> {
  const t = await Trainer.create(cfg);
  try {
    while (!t.done && t.update < updates) await t.step();
    return t.history.map(deterministicPart);
  } finally {
    t.dispose();
  }
}

/** Every numeric key within `tol` (absolute + relative); nulls and integers-as-counts equal. */
function expectClose(a: MetricRecord[], b: MetricRecord[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((ra, i) => {
    const rb = b[i]!;
    expect(Object.keys(rb).sort()).toEqual(Object.keys(ra).sort());
    for (const [k, va] of Object.entries(ra)) {
      const vb = rb[k];
      if (va === null || vb === null) expect(vb, `${k} at update ${i + 1}`).toBe(va);
      else
        expect(Math.abs(va - vb!), `${k} at update ${i + 1}: ${va} vs ${vb}`).toBeLessThanOrEqual(
          tol * (1 + Math.abs(va)),
        );
    }
  });
}

const TABULAR: TrainerInput = { env: 'frozenlake4x4', numEnvs: 8, nSteps: 32, totalSteps: 8 * 32 * 4 };
const MLP: TrainerInput = {
  env: 'frozenlake4x4',
  policy: { kind: 'mlp', hidden: [16, 16] },
  numEnvs: 4,
  nSteps: 64,
  totalSteps: 4 * 64 * 3,
};

describe("Trainer engine: 'fused'", () => {
  for (const [name, cfg] of [
    ['tabular', TABULAR],
    ['mlp', MLP],
    ['clip+kl k3, early stop per epoch', { ...TABULAR, klEstimator: 'k3', earlyStopGranularity: 'epoch' }],
  ] as const) {
    it(`gives the tfjs engine's metrics to float32 rounding (${name})`, async () => {
      const tfjs = await history({ ...cfg, engine: 'tfjs' });
      const fused = await history({ ...cfg, engine: 'fused' });
      expectClose(fused, tfjs, 2e-4);
    });
  }

  it('is bit-identical to itself for the same seed', async () => {
    expect(await history({ ...MLP, engine: 'fused' })).toEqual(await history({ ...MLP, engine: 'fused' }));
  });

  it('continues a tfjs run from its checkpoint (and back) with the same Adam state', async () => {
    const full = await history({ ...TABULAR, engine: 'tfjs' });
    for (const [from, to] of [
      ['tfjs', 'fused'],
      ['fused', 'tfjs'],
    ] as const) {
      const t = await Trainer.create({ ...TABULAR, engine: from });
      await t.step();
      await t.step();
      const ckpt = await t.save();
      t.dispose();
      ckpt.config.engine = to;
      const resumed = await Trainer.restore(JSON.parse(JSON.stringify(ckpt)));
      try {
        expect(resumed.config.engine).toBe(to);
        while (!resumed.done) await resumed.step();
        expectClose(resumed.history.map(deterministicPart), full, 2e-4);
      } finally {
        resumed.dispose();
      }
    }
  });

  for (const [name, cfg] of [
    ['tabular', TABULAR],
    ['mlp', MLP],
  ] as const)
    it(`policySnapshot comes from the engine's network without a tensor, equal to the tfjs policy (${name})`, async () => {
      const t = await Trainer.create({ ...cfg, engine: 'fused' });
      try {
        await t.step();
        const before = tf.memory().numTensors;
        const snap = (await t.policySnapshot())!;
        expect(tf.memory().numTensors).toBe(before);
        // The same weights through the policy's tfjs forward pass.
        const [probs, values] = tf.tidy(() => {
          const obs = t.policy.encoder.encode(Int32Array.from({ length: 16 }, (_, s) => s));
          const params = t.policy.distribution(obs).params();
          if (params.kind !== 'categorical') throw new Error('expected a categorical head');
          return [tf.softmax(params.logits).arraySync(), t.policy.value(obs).arraySync()];
        }) as [number[][], number[]];
        expect(snap.probs).toHaveLength(16);
        snap.probs.forEach((row, s) =>
          row.forEach((p, a) => expect(Math.abs(p - probs[s]![a]!)).toBeLessThanOrEqual(1e-6)),
        );
        snap.values!.forEach((v, s) => expect(Math.abs(v - values[s]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v))));
        // After an update the table follows the new weights.
        await t.step();
        const next = (await t.policySnapshot())!;
        expect(next.probs).not.toEqual(snap.probs);
      } finally {
        t.dispose();
      }
    });

  it('names the engine in a bad config', async () => {
    await expect(Trainer.create({ engine: 'gpu' as never })).rejects.toThrow(
      /resolvePpoConfig: engine must be one of 'auto' \| 'tfjs' \| 'fused', got "gpu"/,
    );
  });
});

describe("engine: 'auto' (the default)", () => {
  const box = { policyKind: 'mlp', referenceKlPlacement: null, observation: 'box' } as const;

  it('picks the fused engine at every width and observation kind, tfjs only for the reference KL in the loss', () => {
    expect(autoEngine({ ...box, policyKind: 'tabular' })).toBe('fused');
    expect(autoEngine({ ...box, observation: 'discrete' })).toBe('fused');
    expect(autoEngine(box)).toBe('fused');
    expect(autoEngine({ ...box, policyKind: 'gaussian' })).toBe('fused');
    // only the tfjs loss has the reference term
    expect(autoEngine({ ...box, observation: 'discrete', referenceKlPlacement: 'loss' })).toBe('tfjs');
    expect(autoEngine({ ...box, policyKind: 'gaussian', referenceKlPlacement: 'loss' })).toBe('tfjs');
    expect(autoEngine({ ...box, observation: 'discrete', referenceKlPlacement: 'reward' })).toBe('fused');
  });

  it('resolves to a concrete engine, which the config records; an explicit engine is kept', async () => {
    expect(DEFAULT_PPO_CONFIG.engine).toBe('auto');
    expect(resolvePpoConfig({}).engine).toBe('fused'); // tabular FrozenLake 4×4
    expect(resolvePpoConfig({ engine: 'tfjs' }).engine).toBe('tfjs');
    // a wide MLP on either observation kind; the reference KL in the loss takes tfjs
    const wide = { policy: { kind: 'mlp' as const, hidden: [512] } };
    expect(resolvePpoConfig(wide).engine).toBe('fused');
    expect(resolvePpoConfig(wide, { observation: 'box' }).engine).toBe('fused');
    expect(resolvePpoConfig({ ...wide, referenceKl: { placement: 'loss' } }, { observation: 'box' }).engine).toBe(
      'tfjs',
    );
    expect(() => resolvePpoConfig(wide, { observation: 'grid' as never })).toThrow(
      /resolvePpoConfig: context\.observation must be one of 'discrete' \| 'box', got "grid"/,
    );
    expect(() => resolvePpoConfig(wide, null as never)).toThrow(/resolvePpoConfig: context must be an object/);
    const t = await Trainer.create({ ...wide, totalSteps: 512, numEnvs: 2, nSteps: 64 });
    try {
      expect(t.config.engine).toBe('fused');
    } finally {
      t.dispose();
    }
    const ref = await Trainer.create({
      referenceKl: { placement: 'loss' },
      totalSteps: 512,
      numEnvs: 2,
      nSteps: 64,
    });
    try {
      expect(ref.config.engine).toBe('tfjs');
    } finally {
      ref.dispose();
    }
  });

  it('a config recorded without an engine (every run before the setting) resumes on tfjs, bit for bit', async () => {
    const full = await history({ ...TABULAR, engine: 'tfjs' });
    const t = await Trainer.create({ ...TABULAR, engine: 'tfjs' });
    await t.step();
    const ckpt = JSON.parse(JSON.stringify(await t.save())) as { config: Record<string, unknown> };
    t.dispose();
    delete ckpt.config.engine;
    expect(migrateRecordedConfig(ckpt.config)).toMatchObject({ engine: 'tfjs' });
    expect(migrateRecordedConfig({ targetKl: 0.02 })).toEqual({ earlyStopKl: 0.02, engine: 'tfjs' });
    expect(migrateRecordedConfig({ engine: 'fused' })).toEqual({ engine: 'fused' });
    const resumed = await Trainer.restore(ckpt);
    try {
      expect(resumed.config.engine).toBe('tfjs');
      while (!resumed.done) await resumed.step();
      expect(resumed.history.map(deterministicPart)).toEqual(full);
    } finally {
      resumed.dispose();
    }
  });
});
