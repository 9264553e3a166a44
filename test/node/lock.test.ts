/**
 * One writer per run folder: the lock file, its refusal of a second writer, the take-over of a dead writer's lock,
 * and two `klip train` runs aimed at one folder (one refused with one line and exit 1, the other's files intact).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KlipError } from '../../src/core/errors.js';
import { runCli } from '../../src/node/cli.js';
import { acquireRunLock, LOCK_FILE } from '../../src/node/lock.js';
import { quietCli, useTempFolders } from '../helpers/cli_io.js';

const root = useTempFolders('klip-lock-')();

/** `klip train` of a few updates on the 5×5 grid into `out` (cpu, 32 env steps per update). */
const tinyTrain = (out: string, steps: number, ...extra: string[]): string[] => [
  'train',
  '--env',
  'grid5x5',
  '--num-envs',
  '2',
  '--n-steps',
  '16',
  '--steps',
  String(steps),
  '--backend',
  'cpu',
  '--out',
  out,
  ...extra,
];

/** The pid of a process that has exited (so it no longer runs on this host). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('acquireRunLock', () => {
  it('holds the folder: a second writer is refused naming the holder; release frees it', () => {
    const dir = join(root, 'a');
    const lock = acquireRunLock(dir, 'train');
    const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    expect(info).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireRunLock(dir, 'train')).toThrow(KlipError);
    expect(() => acquireRunLock(dir, 'train')).toThrow(new RegExp(`locked by pid ${process.pid} on `));
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    acquireRunLock(dir, 'train').release();
  });

  it('takes over the lock of a process that no longer runs on this host, and says whose', () => {
    const dir = join(root, 'stale');
    mkdirSync(dir);
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: 'then' }));
    const lock = acquireRunLock(dir, 'train');
    expect(lock.tookOver?.pid).toBe(pid);
    lock.release();
  });

  it('refuses a lock held from another host, with the way to take it over', () => {
    const dir = join(root, 'remote');
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'then' }));
    expect(() => acquireRunLock(dir, 'train')).toThrow(/locked by pid 1 on elsewhere\.example.*delete .*klip\.lock/);
  });
});

describe('two klip train runs into one folder', () => {
  it('one is refused with one line and exit 3; the folder holds the other run whole', async () => {
    const out = join(root, 'shared');
    const runs = [quietCli(), quietCli()];
    const codes = await Promise.all(
      runs.map((r, k) => runCli(tinyTrain(out, 320, '--seed', String(k + 1), '--force'), r.io)),
    );
    expect([...codes].sort()).toEqual([0, 3]);
    const loser = codes.indexOf(3);
    const lines = runs[loser]!.err().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/klip: train: run folder must be one writer at a time, got .* locked by pid \d+/);
    const winnerSeed = codes.indexOf(0) === 0 ? 1 : 2;
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { seed: number };
    expect(config.seed).toBe(winnerSeed);
    const updates = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { update: number }).update);
    expect(updates).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });
});

describe('klip train --force replaces only what klip wrote', () => {
  const quiet = quietCli;
  const train = (out: string): string[] => tinyTrain(out, 64, '--force');

  it("refuses a folder of a user's files (even ones named like klip's): exit 2, one line, every file kept", async () => {
    const dir = join(root, 'users');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"mine": true}');
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    const { io, err } = quiet();
    expect(await runCli(train(dir), io)).toBe(2);
    expect(err().trimEnd().split('\n')).toHaveLength(1);
    expect(err()).toMatch(
      /klip: train: --out must be a klip run folder or an empty folder to replace with --force, got .*users.*klip did not write \(config\.json, notes\.txt\)/,
    );
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"mine": true}');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
    // klip frontier --force asks for its own kind of folder
    const f = quiet();
    expect(await runCli(['frontier', '--out', dir, '--force'], f.io)).toBe(2);
    expect(f.err()).toMatch(
      /klip: frontier: --out must be a klip frontier folder or an empty folder to replace with --force/,
    );
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('writes klip.json first, and replaces its own run folder with --force', async () => {
    const dir = join(root, 'own');
    for (let i = 0; i < 2; i++) {
      const { io, err } = quiet();
      expect(await runCli(train(dir), io), err()).toBe(0);
    }
    expect(JSON.parse(readFileSync(join(dir, 'klip.json'), 'utf8'))).toMatchObject({ format: 'klip-run', version: 1 });
  });
});

describe('stray temp files of an interrupted write', () => {
  it('are removed when the next writer takes the folder; other dot files stay', async () => {
    const dir = join(root, 'temps');
    const { io, err } = quietCli();
    expect(await runCli(tinyTrain(dir, 64), io), err()).toBe(0);
    const stray = '.checkpoint.json.4242.3.lq8x1k.tmp';
    writeFileSync(join(dir, stray), '{"half": ');
    writeFileSync(join(dir, '.mine.tmp'), 'keep');
    expect(await runCli(['train', '--resume', dir], io), err()).toBe(0);
    expect(existsSync(join(dir, stray))).toBe(false);
    expect(readFileSync(join(dir, '.mine.tmp'), 'utf8')).toBe('keep');
  });
});
