/**
 * Checkpoint format 2 leaves the metric history out (metrics.jsonl holds it), so a checkpoint's size does not grow
 * with the run; `--resume` rebuilds the history from metrics.jsonl up to the checkpoint's update. A run folder
 * written by the klip before (format 1, `test/fixtures/v1_run`: checkpoint at update 3 of 6, a 4th record after it)
 * still validates, restores, resumes and reproduces exactly.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/backend.js';
import { runCli } from '../../src/node/index.js';
import { CHECKPOINT_VERSION, type Checkpoint, validateCheckpoint } from '../../src/training/checkpoint.js';
import type { MetricRecord } from '../../src/training/metrics.js';
import { Trainer } from '../../src/training/trainer.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const FIXTURE = new URL('../fixtures/v1_run/', import.meta.url).pathname;
const tmp = useTempFolders('klip-ckpt-format-');
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
const readJsonl = (p: string): MetricRecord[] =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as MetricRecord);

async function cli(argv: string[]): Promise<{ code: number; err: string; out: string }> {
  const q = quietCli(tmp());
  const code = await runCli(argv, q.io);
  return { code, err: q.err(), out: q.out() };
}

/** A copy of the format-1 fixture folder. */
function v1Copy(): string {
  const dir = join(tmp(), 'v1');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  await setBackend('cpu');
});

describe('checkpoint format 2', () => {
  it('a run folder checkpoint has no history, and its size does not grow with the run', async () => {
    const base = ['--env', 'bandit', '--num-envs', '2', '--n-steps', '8', '--minibatches', '1', '--epochs', '1'];
    const sizes: number[] = [];
    for (const updates of [20, 60]) {
      const dir = join(tmp(), `run-${updates}`);
      const r = await cli(['train', ...base, '--steps', String(16 * updates), '--out', dir, '--json']);
      expect(r.code, r.err).toBe(0);
      const text = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
      const ckpt = JSON.parse(text) as Record<string, unknown>;
      expect([ckpt.version, ckpt.update, 'history' in ckpt]).toEqual([CHECKPOINT_VERSION, updates, false]);
      expect(readJsonl(join(dir, 'metrics.jsonl'))).toHaveLength(updates);
      sizes.push(text.length);
    }
    // 40 more updates: with the history (≈1 KB per update) the file would be ≥ 30 KB larger.
    expect(Math.abs(sizes[1]! - sizes[0]!)).toBeLessThan(1_000);
  }, 60_000);

  it('resume drops records after the checkpoint and a torn last line, and continues exactly', async () => {
    const dir = v1Copy();
    // Run the format-1 fixture on to its end: the 4th record (after the checkpoint) is re-run, not kept.
    writeFileSync(join(dir, 'metrics.jsonl'), `${readFileSync(join(dir, 'metrics.jsonl'), 'utf8')}{"update":5,"los`);
    const r = await cli(['train', '--resume', dir, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('Resuming');
    const records = readJsonl(join(dir, 'metrics.jsonl'));
    expect(records.map((x) => x.update)).toEqual([1, 2, 3, 4, 5, 6]);
    const ckpt = readJson(join(dir, 'checkpoint.json'));
    expect([ckpt.version, ckpt.update, 'history' in ckpt]).toEqual([CHECKPOINT_VERSION, 6, false]);
    // The resumed folder (format 1 up to update 3, format 2 after) reproduces exactly from its config.json.
    const rep = await cli(['reproduce', dir]);
    expect(rep.code, rep.err).toBe(0);
    expect(rep.out).toContain('reproduced 6 updates exactly');
  }, 60_000);

  it('refuses to resume when metrics.jsonl holds fewer records than the checkpoint, in one line', async () => {
    const dir = join(tmp(), 'short');
    const r0 = await cli(['train', '--env', 'bandit', '--steps', '2048', '--checkpoint-every', '1', '--out', dir]);
    expect(r0.code, r0.err).toBe(0);
    const ckpt = readJson(join(dir, 'checkpoint.json')) as unknown as Checkpoint;
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
    ckpt.config.totalSteps *= 2; // room to continue
    const cfg = readJson(join(dir, 'config.json'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, totalSteps: ckpt.config.totalSteps }));
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(ckpt));
    writeFileSync(join(dir, 'metrics.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
    const before = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    const r = await cli(['train', '--resume', dir]);
    expect(r.code).toBe(1);
    const err = r.err.trim().split('\n');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      new RegExp(
        `^klip: train --resume: short/metrics\\.jsonl must be ${lines.length} records \\(one per update\\), got "${lines.length - 1} records"$`,
      ),
    );
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(before);
  }, 60_000);
});

describe('checkpoint format 1 (written by the klip before)', () => {
  it('validates and restores with its history; the library save() still holds the history unless asked not to', async () => {
    const ckpt = readJson(join(FIXTURE, 'checkpoint.json'));
    expect(ckpt.version).toBe(1);
    const v = validateCheckpoint(ckpt);
    expect(v.history).toHaveLength(3);
    const t = await Trainer.restore(ckpt);
    try {
      expect(t.update).toBe(3);
      expect(t.history.map((r) => r.update)).toEqual([1, 2, 3]);
      const again = await t.save();
      expect([again.version, again.history?.length]).toEqual([CHECKPOINT_VERSION, 3]);
      expect('history' in (await t.save({ history: false }))).toBe(false);
    } finally {
      t.dispose();
    }
    // A format-1 checkpoint without its history is damaged (format 1 always held it).
    const { history: _h, ...noHistory } = ckpt;
    expect(() => validateCheckpoint(noHistory)).toThrow(/checkpoint\.history must be an array of metric records/);
  });

  it('klip reproduce re-runs the fixture folder exactly', async () => {
    const r = await cli(['reproduce', v1Copy()]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('reproduced 4 updates exactly');
  }, 60_000);
});

describe('Trainer.restore({ history })', () => {
  it('takes one record per update in order, and refuses others naming opts.history', async () => {
    const ckpt = readJson(join(FIXTURE, 'checkpoint.json')) as unknown as Checkpoint;
    const history = ckpt.history!;
    const { history: _h, ...rest } = ckpt;
    const v2 = { ...rest, version: CHECKPOINT_VERSION };
    const t = await Trainer.restore(v2, { history });
    expect(t.history).toEqual(history);
    t.dispose();
    const bare = await Trainer.restore(v2);
    expect(bare.history).toEqual([]);
    bare.dispose();
    await expect(Trainer.restore(v2, { history: history.slice(1) })).rejects.toThrow(
      /^Trainer\.restore: opts\.history must be 3 records \(one per update\), got "2 records"/,
    );
  });
});
