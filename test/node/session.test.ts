/**
 * The session loop of `klip train` / `--resume` / `reproduce`: what is in the run folder after a session that ends,
 * one that is interrupted, and one that diverges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRun } from '../../src/node/run_folder.js';
import { runToFolder } from '../../src/node/session.js';
import { Trainer } from '../../src/training/trainer.js';
import type { PpoConfigInput } from '../../src/training/config.js';

const root = mkdtempSync(join(tmpdir(), 'klip-session-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SMALL: PpoConfigInput = { env: 'grid5x5', numEnvs: 2, nSteps: 16, totalSteps: 6 * 32, backend: 'cpu', seed: 3 };

async function setup(name: string): Promise<{ trainer: Trainer; run: Awaited<ReturnType<typeof createRun>> }> {
  const trainer = await Trainer.create(SMALL);
  const run = await createRun(join(root, name), { config: { ...SMALL } });
  return { trainer, run };
}

describe('runToFolder', () => {
  it('runs to the end: every record in metrics.jsonl, checkpoints on the cadence and at the last update', async () => {
    const { trainer, run } = await setup('done');
    const seen: number[] = [];
    const checkpoints: number[] = [];
    const write = run.writeCheckpoint.bind(run);
    run.writeCheckpoint = async (c) => {
      checkpoints.push(c.update);
      await write(c);
    };
    let clock = 0;
    const outcome = await runToFolder(trainer, run, {
      checkpointEvery: 4,
      onRecord: (r) => seen.push(r.update!),
      wallTime: () => (clock += 1.5),
    });
    expect(outcome).toEqual({ kind: 'done', lastCheckpoint: 6 });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(checkpoints).toEqual([4, 6]);
    expect((await run.readMetrics()).map((r) => r.update)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await run.readCheckpoint()).update).toBe(6);
    expect(await run.readWallTime()).toBe(3); // written with each of the two checkpoints
    trainer.dispose();
  });

  it('stops after the current update when the signal is aborted, with a checkpoint of that update', async () => {
    const { trainer, run } = await setup('interrupted');
    const stop = new AbortController();
    const outcome = await runToFolder(trainer, run, {
      checkpointEvery: 100,
      signal: stop.signal,
      onRecord: (r) => {
        if (r.update === 2) stop.abort();
      },
    });
    expect(outcome).toEqual({ kind: 'interrupted', lastCheckpoint: 2 });
    expect((await run.readCheckpoint()).update).toBe(2);
    expect((await run.readMetrics()).length).toBe(2);
    trainer.dispose();
  });

  it('stops at `until` and writes its checkpoint there', async () => {
    const { trainer, run } = await setup('until');
    const outcome = await runToFolder(trainer, run, { checkpointEvery: Number.POSITIVE_INFINITY, until: 3 });
    expect(outcome).toEqual({ kind: 'done', lastCheckpoint: 3 });
    expect((await run.readCheckpoint()).update).toBe(3);
    trainer.dispose();
  });

  it('leaves the last good checkpoint in place when an update diverges', async () => {
    const { trainer, run } = await setup('diverged');
    const outcome = await runToFolder(trainer, run, {
      checkpointEvery: 2,
      onRecord: (r) => {
        // after update 3, poison the weights: update 4 throws NumericError before it runs
        if (r.update === 3)
          trainer.policy.setWeights(
            trainer.policy.getWeights().map((w) => ({ ...w, values: w.values.map(() => Number.NaN) })),
          );
      },
    });
    expect(outcome.kind).toBe('diverged');
    if (outcome.kind !== 'diverged') return;
    expect(outcome.attempted).toBe(4);
    expect(outcome.lastCheckpoint).toBe(2);
    expect(outcome.error.message).toMatch(/NaN|Infinity/);
    expect((await run.readCheckpoint()).update).toBe(2);
    expect((await run.readMetrics()).length).toBe(3);
    trainer.dispose();
  });
});
