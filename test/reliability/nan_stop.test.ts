/**
 * NaN stop: a run that diverges stops with a one-line NumericError naming the update; the checkpoint in
 * the folder is the last good one (loads, finite weights, earlier update) and the metrics hold no row past it
 * that is not finite.
 *
 * The divergence is realistic, not injected: a contextual bandit whose rare context (p = 0.01) pays rewards of
 * 1e30. The value loss ½·(V − 1e30)² overflows float32 the first time that context is drawn, which with seed 2 is
 * mid-run. The failing update is read from the message, not hard-coded.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCheckpoint } from '../../src/training/checkpoint.js';
import { Trainer } from '../../src/training/trainer.js';
import { readJsonl, runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';
import { divergingBandit } from '../helpers/diverging.js';

const tmp = useCliTestFolder('klip-nan-');

const DIVERGING = divergingBandit('later');

describe('klip train on a diverging run', () => {
  it('stops with NumericError naming the update and keeps the last good checkpoint', async () => {
    const cfg = join(tmp(), 'diverge.json');
    writeFileSync(cfg, JSON.stringify(DIVERGING));
    const out = join(tmp(), 'run');
    const every = 3;
    const r = await runBuiltCli([
      'train',
      '--preset',
      'library',
      '--config',
      cfg,
      '--out',
      out,
      '--checkpoint-every',
      String(every),
    ]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .filter((l) => l.startsWith('klip: '));
    expect(lines, r.stderr).toHaveLength(1);
    const m =
      /^klip: NumericError at update (\d+)\/30: Trainer\.step: (\S+) at update (\d+) must be a finite number, got (NaN|-?Infinity)\. Training stopped; the last good checkpoint \(update (\d+)\) stays in (.+)$/.exec(
        lines[0]!,
      );
    expect(m, lines[0]).not.toBeNull();
    const failing = Number(m![1]);
    expect(Number(m![3])).toBe(failing);
    expect(m![6]).toBe(join(out, 'checkpoint.json'));
    expect(failing).toBeGreaterThan(every); // mid-run, after at least one periodic checkpoint

    // The checkpoint on disk is the last periodic one before the failure: it validates (finite weights) and restores.
    const ckpt = validateCheckpoint(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')));
    expect(ckpt.update).toBe(Math.floor((failing - 1) / every) * every);
    expect(Number(m![5])).toBe(ckpt.update);
    expect(ckpt.update).toBeLessThan(failing);
    const t = await Trainer.restore(ckpt);
    expect(t.update).toBe(ckpt.update);
    t.dispose();

    // metrics.jsonl: exactly the finished updates 1 … failing−1, every loss finite; no summary (the run is not done).
    const records = readJsonl(join(out, 'metrics.jsonl'));
    expect(records.map((x) => x.update)).toEqual(Array.from({ length: failing - 1 }, (_, i) => i + 1));
    for (const rec of records) {
      for (const k of ['loss/policy', 'loss/value', 'loss/total', 'policy/entropy'] as const)
        expect(Number.isFinite(rec[k]), `${k} at ${rec.update}`).toBe(true);
    }
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
  }, 90_000);
});
