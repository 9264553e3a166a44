/**
 * A checkpoint is checked before it is trusted: weights inside the float32 range, history records of numbers in
 * update order, an update count within the run, observations inside the observation space; and `klip train --resume`
 * refuses a run folder whose config.json no longer matches its checkpoint. Each damaged case loads nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/core/errors.js';
import { runCli } from '../../src/node/index.js';
import { type Checkpoint, validateCheckpoint } from '../../src/training/checkpoint.js';
import { Trainer } from '../../src/training/trainer.js';
import { quietCli } from '../helpers/cli_io.js';
import { tinyCheckpoint } from '../helpers/checkpoint.js';

const CFG = { env: 'frozenlake4x4', numEnvs: 2, nSteps: 16, totalSteps: 64, backend: 'cpu' as const };
let base: Checkpoint;
beforeAll(async () => {
  base = await tinyCheckpoint(CFG);
});
const damaged = (edit: (c: Checkpoint & Record<string, unknown>) => void): Checkpoint => {
  const c = JSON.parse(JSON.stringify(base)) as Checkpoint & Record<string, unknown>;
  edit(c);
  return c;
};

describe('validateCheckpoint', () => {
  it('refuses a weight that float32 cannot hold (1e39 is finite in JSON, Infinity once loaded)', () => {
    const c = damaged((x) => (x.policy[0]!.values[0] = 1e39));
    expect(() => validateCheckpoint(c)).toThrow(
      /checkpoint\.policy\[0\]\.values must be numbers within the float32 range \(\|v\| ≤ 3\.4028234663852886e\+38\), got 1e\+39/,
    );
    // The largest float32 itself loads.
    expect(() => validateCheckpoint(damaged((x) => (x.policy[0]!.values[0] = 3.4028234663852886e38)))).not.toThrow();
  });

  it('refuses history records that are not metric records in update order', () => {
    expect(() => validateCheckpoint(damaged((x) => ((x.history as unknown[])[0] = 'x')))).toThrow(
      /checkpoint\.history\[0\] must be a metric record/,
    );
    expect(() => validateCheckpoint(damaged((x) => ((x.history![0] as Record<string, unknown>).update = 7)))).toThrow(
      /checkpoint\.history\[0\]\.update must be 1 \(records in update order\), got 7/,
    );
    expect(() =>
      validateCheckpoint(damaged((x) => ((x.history![0] as Record<string, unknown>)['kl/coef'] = [] as unknown))),
    ).toThrow(/checkpoint\.history\[0\]\.kl\/coef must be a number or null/);
  });
});

describe('Trainer.restore', () => {
  it('refuses an update count beyond the run and observations outside the space, and leaks nothing', async () => {
    await expect(Trainer.restore(damaged((x) => (x.update = 40)))).rejects.toThrow(CheckpointError);
    // update 40 needs 40 history records to pass the format check first: check the range with a consistent file.
    const far = damaged((x) => {
      x.update = 5; // the run has 64 / 32 = 2 updates
      x.history = Array.from({ length: 5 }, (_, i) => ({ ...x.history![0]!, update: i + 1 }));
    });
    await expect(Trainer.restore(far)).rejects.toThrow(
      /Trainer\.restore: checkpoint\.update must be at most numIterations = 2, got 5/,
    );
    await expect(Trainer.restore(damaged((x) => (x.obs = [999, 0])))).rejects.toThrow(
      /checkpoint\.obs\[0\] must be a state index in \[0, 16\), got 999/,
    );
    await expect(Trainer.restore(damaged((x) => (x.obs = ['3', 0] as never)))).rejects.toThrow(/checkpoint\.obs\[0\]/);
    await expect(Trainer.restore(damaged((x) => (x.obs = [0])))).rejects.toThrow(
      /checkpoint\.obs must be 2 numbers \(numEnvs × observation size\), got "1 values"/,
    );
    const ok = await Trainer.restore(base);
    expect(ok.update).toBe(1);
    ok.dispose();
  });
});

describe('klip train --resume', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'klip-trust-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a folder whose config.json was edited after the checkpoint, naming the keys, and resumes it once it's put back", async () => {
    const out = join(dir, 'run');
    const first = quietCli(dir);
    expect(await runCli(['train', '--steps', '2048', '--out', out, '--backend', 'cpu'], first.io), first.err()).toBe(0);
    const path = join(out, 'config.json');
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(original), lr: 0.9, seed: 7 }, null, 2));
    const edited = quietCli(dir);
    expect(await runCli(['train', '--resume', out], edited.io)).toBe(2);
    expect(edited.err().trim().split('\n')).toHaveLength(1);
    expect(edited.err()).toMatch(
      /klip: train: --resume must be a run folder whose config\.json matches its checkpoint's config, got ".*config\.json differs in lr, seed"/,
    );
    writeFileSync(path, original);
    const again = quietCli(dir);
    expect(await runCli(['train', '--resume', out], again.io), again.err()).toBe(0);
  });
});
