/**
 * Crash safety: SIGKILL the built `klip train` at seeded pseudo-random moments, over and over. After every
 * kill the run folder must hold a checkpoint that validates and restores (with the history up to it in
 * metrics.jsonl), and `--resume` until done must give the
 * same metrics.jsonl as an uninterrupted run (wall-clock keys aside).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFolder } from '../../src/node/run_folder.js';
import { createRng } from '../../src/random/rng.js';
import { validateCheckpoint } from '../../src/training/checkpoint.js';
import { deterministicPart } from '../../src/training/metrics.js';
import { Trainer } from '../../src/training/trainer.js';
import { CLI, readJsonl, ROOT, runBuiltCli, useCliTestFolder } from '../helpers/built_cli.js';

const tmp = useCliTestFolder('klip-sigkill-');

/** Run the CLI; `delayMs` after it reports the run folder ("Training …" / "Resuming …" on stdout), SIGKILL it. */
function runAndKill(
  args: string[],
  delayMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let armed = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!armed && /(Training|Resuming) /.test(stdout)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      res({ code, signal, stdout, stderr });
    });
  });
}

describe('klip train under SIGKILL', () => {
  it('always leaves a loadable checkpoint, and --resume reaches the uninterrupted metrics', async () => {
    // 30 updates of 8 envs × 128 steps on slippery FrozenLake 4×4 (tabular), a checkpoint every 2 updates.
    const args = ['train', '--steps', String(30 * 1024), '--seed', '11', '--checkpoint-every', '2', '--backend', 'cpu'];
    const full = join(tmp(), 'full');
    const part = join(tmp(), 'part');
    const rng = createRng('klip-sigkill-test'); // seeded kill delays (no Math.random)
    const reference = runBuiltCli([...args, '--out', full], { timeoutMs: 80_000 });

    let kills = 0;
    let finished = false;
    let lastUpdate = -1;
    let tornLineAdded = false;
    for (let attempt = 0; attempt < 5 && !finished; attempt++) {
      const delay = rng.int(0, 700); // ms after the folder is reported
      const r = await runAndKill(attempt === 0 ? [...args, '--out', part] : ['train', '--resume', part], delay);
      if (r.code === 0) {
        finished = true;
        break;
      }
      expect(r.signal, `attempt ${attempt}: ${r.stderr}`).toBe('SIGKILL');
      kills += 1;
      const ckpt = validateCheckpoint(JSON.parse(readFileSync(join(part, 'checkpoint.json'), 'utf8')));
      expect(ckpt.update).toBeGreaterThanOrEqual(lastUpdate); // never goes back
      expect(ckpt.update).toBeLessThanOrEqual(30);
      expect(ckpt.history).toBeUndefined(); // metrics.jsonl holds the history, complete up to the checkpoint
      expect(await new RunFolder(part).readHistory(ckpt.update)).toHaveLength(ckpt.update);
      lastUpdate = ckpt.update;
      const t = await Trainer.restore(ckpt); // the checkpoint really restores
      expect(t.update).toBe(ckpt.update);
      t.dispose();
      if (!tornLineAdded) {
        // A SIGKILL in the middle of an append leaves a torn last line: resume must not read it.
        appendFileSync(join(part, 'metrics.jsonl'), '{"update":99,"global_st');
        tornLineAdded = true;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 3 && !finished; i++) {
      const r = await runBuiltCli(['train', '--resume', part], { timeoutMs: 80_000 });
      expect(r.code, r.stderr).toBe(0);
      finished = true;
    }
    const ref = await reference;
    expect(ref.code, ref.stderr).toBe(0);
    const want = readJsonl(join(full, 'metrics.jsonl')).map(deterministicPart);
    const got = readJsonl(join(part, 'metrics.jsonl')).map(deterministicPart);
    expect(want).toHaveLength(30);
    expect(got).toEqual(want);
    expect(readFileSync(join(part, 'metrics.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(31);
  }, 120_000);
});
