/** summary.json's wall time is summed over invocations: the first run and each `--resume` (kept in wall_time.json). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/node/run_folder.js';
import { runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const dir = useCliTestFolder('klip-wall-');

const json = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

describe('wall time over --resume', () => {
  it('records the wall time beside the checkpoint and adds the resumed invocation to it', async () => {
    const out = join(dir(), 'run');
    const t0 = Date.now();
    const first = await runBuiltCli(['train', '--env', 'bandit', '--steps', '2048', '--backend', 'cpu', '--out', out]);
    const firstElapsed = (Date.now() - t0) / 1000;
    expect(first.code).toBe(0);
    const s1 = json<RunSummary>(join(out, 'summary.json'));
    const w1 = json<{ wallTimeSeconds: number }>(join(out, 'wall_time.json')).wallTimeSeconds;
    expect(w1).toBeGreaterThan(0);
    expect(s1.wallTimeSeconds).toBeGreaterThanOrEqual(w1); // written at the last checkpoint, just before the summary
    expect(s1.wallTimeSeconds).toBeLessThan(firstElapsed);

    // Earlier invocations count: pretend they took 1000 s, then resume (the run is complete, so it only re-summarizes).
    writeFileSync(join(out, 'wall_time.json'), JSON.stringify({ wallTimeSeconds: 1000 }));
    const t1 = Date.now();
    const again = await runBuiltCli(['train', '--resume', out]);
    const againElapsed = (Date.now() - t1) / 1000;
    expect(again.code).toBe(0);
    const s2 = json<RunSummary>(join(out, 'summary.json'));
    expect(s2.wallTimeSeconds).toBeGreaterThanOrEqual(1000);
    expect(s2.wallTimeSeconds).toBeLessThan(1000 + againElapsed);
    expect(s2.updates).toBe(s1.updates);

    // a malformed record is refused with one line naming the file
    writeFileSync(join(out, 'wall_time.json'), JSON.stringify({ wallTimeSeconds: -1 }));
    const bad = await runBuiltCli(['train', '--resume', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^klip: openRun: run\/wall_time\.json must be a JSON object/);
  }, 120_000);
});
