/**
 * The crash-safety matrix: one row per way a run can go wrong, each exercised for real (a live lock, a foreign
 * folder, a run diverging or failing to write at update 1, a SIGKILL between `--force` and the first checkpoint, a
 * double Ctrl-C, a reader closing the pipe, β overflowing), each checking that nothing of what was there is lost and
 * that the CLI says what happened in one line with its documented exit code. Tiny runs (bandit, 2 envs × 8 steps).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASIDE_MANIFEST, findSetAside, recoverSetAside } from '../../src/node/aside.js';
import { NODE_ATOMIC_FS, type AtomicFileSystem } from '../../src/node/atomic.js';
import { runCli } from '../../src/node/cli.js';
import { acquireRunLock, LOCK_FILE } from '../../src/node/lock.js';
import { openRun, RUN_FILES } from '../../src/node/run_folder.js';
import { validateCheckpoint } from '../../src/training/checkpoint.js';
import { Trainer } from '../../src/training/trainer.js';
import { CLI, ROOT, useCliTestFolder } from '../helpers/built_cli.js';
import { quietCli } from '../helpers/cli_io.js';
import { divergingBandit } from '../helpers/diverging.js';

const tmp = useCliTestFolder('klip-crash-');
const TINY = ['--env', 'bandit', '--num-envs', '2', '--n-steps', '8', '--minibatches', '1', '--epochs', '1'];
const TINY_CPU = [...TINY, '--backend', 'cpu'];
/** The value loss overflows float32 at update 1. */
const DIVERGE_AT_1 = divergingBandit('update-1');

interface Result {
  code: number;
  out: string;
  err: string;
}
async function cli(argv: string[], io: Partial<Parameters<typeof runCli>[1]> = {}): Promise<Result> {
  const q = quietCli(tmp());
  const code = await runCli(argv, { ...q.io, ...io });
  return { code, out: q.out(), err: q.err() };
}
/** The exit code, and exactly one stderr line `klip: …` matching `pattern` (beside the `Training …` banner). */
function oneLine(r: Result, code: number, pattern: RegExp): void {
  expect(r.code, r.err).toBe(code);
  const lines = r.err.trimEnd().split('\n');
  expect(
    lines.filter((l) => !/^Training /.test(l)),
    r.err,
  ).toHaveLength(1);
  expect(lines.at(-1)).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}
/** Every file under `dir` (hidden ones too) with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** A finished tiny run (3 updates) named `name`. */
let counter = 0;
async function finishedRun(name: string, seed = 1): Promise<string> {
  const dir = join(tmp(), `${name}-${++counter}`);
  const r = await cli(['train', ...TINY_CPU, '--steps', '48', '--seed', String(seed), '--out', dir, '--json']);
  expect(r.code, r.err).toBe(0);
  return dir;
}

let base: string; // one finished run, copied by rows that need an existing run
beforeAll(async () => {
  base = await finishedRun('base');
});
function copyOfRun(name: string): string {
  const dir = join(tmp(), `${name}-${++counter}`);
  cpSync(base, dir, { recursive: true });
  return dir;
}

describe('crash matrix', () => {
  it('lock contention: every writer command exits 3 with one line; nothing of the holder is touched', async () => {
    const dir = copyOfRun('locked');
    const empty = join(tmp(), `locked-out-${++counter}`);
    mkdirSync(empty);
    const before = snapshot(dir);
    const held = [acquireRunLock(dir, 'test'), acquireRunLock(empty, 'test')]; // a live holder: this process
    try {
      const locked = new RegExp(`one writer at a time, got .* locked by pid ${process.pid} on `);
      oneLine(await cli(['train', ...TINY_CPU, '--steps', '48', '--out', dir, '--force']), 3, locked);
      oneLine(await cli(['train', '--resume', dir]), 3, locked);
      oneLine(await cli(['reproduce', base, '--out', empty]), 3, locked);
      oneLine(await cli(['frontier', '--steps', '5', '--out', empty]), 3, locked);
      oneLine(
        await cli([
          'compare',
          '--env',
          'bandit',
          '--objectives',
          'clip',
          '--seeds',
          '1',
          '--steps',
          '512',
          '--out',
          empty,
        ]),
        3,
        locked,
      );
      expect(readdirSync(empty)).toEqual([LOCK_FILE]);
    } finally {
      for (const l of held) l.release();
    }
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);

  it('--force on a foreign folder: exit 2, one line, nothing deleted', async () => {
    const dir = join(tmp(), `users-${++counter}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    writeFileSync(join(dir, 'config.json'), '{"mine": true}');
    const before = snapshot(dir);
    oneLine(
      await cli(['train', ...TINY_CPU, '--steps', '48', '--out', dir, '--force']),
      2,
      /^klip: train: --out must be a klip run folder or an empty folder to replace with --force, got .*klip did not write/,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('failure at update 1 (divergence) under --force: exit 1, the old run is back byte for byte', async () => {
    const dir = copyOfRun('diverge');
    writeFileSync(join(dir, 'notes.txt'), 'a user file beside the run');
    const before = snapshot(dir);
    const cfg = join(tmp(), 'diverge.json');
    writeFileSync(cfg, JSON.stringify(DIVERGE_AT_1));
    const r = await cli(['train', '--preset', 'library', '--config', cfg, '--out', dir, '--force', '--json']);
    oneLine(
      r,
      1,
      new RegExp(
        `^klip: NumericError at update 1/30: .*\\. The new run stopped before its first checkpoint; the run --force replaced is back in ${dir}$`,
      ),
    );
    expect(snapshot(dir)).toEqual(before);
    expect(findSetAside(dir)).toEqual([]);
  }, 60_000);

  it('failure at update 1 (a checkpoint write fails) under --force: exit 1, the line says the old run is back', async () => {
    const dir = copyOfRun('enospc');
    const before = snapshot(dir);
    let checkpoints = 0;
    const fs: AtomicFileSystem = {
      ...NODE_ATOMIC_FS,
      async writeAndSync(path, data) {
        // The update-0 checkpoint goes through; the one after update 1 finds the disk full.
        if (path.includes('.checkpoint.json.') && ++checkpoints > 1)
          throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        await NODE_ATOMIC_FS.writeAndSync(path, data);
      },
    };
    const r = await cli(
      [
        'train',
        ...TINY_CPU,
        '--steps',
        '48',
        '--seed',
        '7',
        '--checkpoint-every',
        '1',
        '--out',
        dir,
        '--force',
        '--json',
      ],
      { fs },
    );
    oneLine(
      r,
      1,
      new RegExp(
        `^klip: writeFileAtomic: .*checkpoint\\.json must be writable, got "ENOSPC".*; the run --force replaced is back in ${dir}$`,
      ),
    );
    expect(snapshot(dir)).toEqual(before);
    // Without the failure the same --force replaces the run and leaves no aside folder.
    const ok = await cli(['train', ...TINY_CPU, '--steps', '48', '--seed', '7', '--out', dir, '--force', '--json']);
    expect(ok.code, ok.err).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { seed: number }).seed).toBe(7);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('SIGKILL between --force and the first checkpoint: readers name the aside folder; the next train restores it', async () => {
    const dir = copyOfRun('sigkill');
    const before = snapshot(dir);
    // A long run checkpointing only at update 1000: kill it once it has logged an update.
    const child = spawn(
      process.execPath,
      [
        CLI,
        'train',
        ...TINY_CPU,
        '--steps',
        String(16 * 100_000),
        '--checkpoint-every',
        '1000',
        '--out',
        dir,
        '--force',
        '--json',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const closed = new Promise<NodeJS.Signals | null>((res) => child.on('close', (_c, s) => res(s)));
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('"update":1,')) child.kill('SIGKILL');
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    expect(await closed).toBe('SIGKILL');
    clearTimeout(guard);
    const asides = findSetAside(dir);
    expect(asides.map((a) => a.pid)).toEqual([child.pid]);
    expect(existsSync(join(asides[0]!.path, ASIDE_MANIFEST))).toBe(true);

    const aside = new RegExp(`\\.klip-old-${child.pid}.*klip train --resume`);
    oneLine(await cli(['report', dir, '--out', join(tmp(), `r${++counter}.html`)]), 2, aside);
    oneLine(await cli(['eval', dir]), 2, aside);
    oneLine(await cli(['reproduce', dir]), 2, aside);
    expect(findSetAside(dir)).toHaveLength(1); // readers touch nothing

    const r = await cli(['train', '--resume', dir, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`restored the run that pid ${child.pid} had set aside`);
    const after = snapshot(dir);
    for (const f of [RUN_FILES.marker, RUN_FILES.config, RUN_FILES.metrics, RUN_FILES.csv, RUN_FILES.checkpoint])
      expect(after[f], f).toBe(before[f]);
    expect(Object.keys(after).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 90_000);

  it('a kill in the middle of setting aside or of deleting the aside folder: recovery loses nothing', async () => {
    // Killed while moving: the manifest lists the run's files, 2 moved, the others still in place.
    const dir = copyOfRun('half-moved');
    const before = snapshot(dir);
    const asideDir = join(dir, '.klip-old-999999');
    mkdirSync(asideDir);
    const files = Object.values(RUN_FILES).filter((f) => existsSync(join(dir, f)));
    expect(files.length).toBeGreaterThan(4);
    writeFileSync(
      join(asideDir, ASIDE_MANIFEST),
      JSON.stringify({ format: 'klip-aside', pid: 999999, host: 'h', since: '', files }),
    );
    for (const f of files.slice(0, 2)) cpSync(join(dir, f), join(asideDir, f));
    for (const f of files.slice(0, 2)) writeFileSync(join(dir, f), 'the new run wrote this');
    writeFileSync(join(dir, RUN_FILES.best), 'a file of the new run only');
    const done = await recoverSetAside(dir, Object.values(RUN_FILES));
    expect(done.map((d) => d.kind)).toEqual(['restored']);
    expect(snapshot(dir)).toEqual(before);
    // Killed while deleting after the new run's first checkpoint: the manifest went first, the rest is garbage.
    mkdirSync(asideDir);
    writeFileSync(join(asideDir, RUN_FILES.metrics), 'old');
    expect((await recoverSetAside(dir, Object.values(RUN_FILES))).map((d) => d.kind)).toEqual(['removed']);
    expect(snapshot(dir)).toEqual(before);
    await openRun(dir); // a clean run folder again
    // The next `train --force` after such a kill: the old run is put back first, then replaced as asked.
    mkdirSync(asideDir);
    writeFileSync(
      join(asideDir, ASIDE_MANIFEST),
      JSON.stringify({ format: 'klip-aside', pid: 999999, host: 'h', since: '', files }),
    );
    for (const f of files) cpSync(join(dir, f), join(asideDir, f));
    const r = await cli(['train', ...TINY_CPU, '--steps', '32', '--seed', '5', '--out', dir, '--force', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('restored the run that pid 999999 had set aside');
    expect((JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as { seed: number }).seed).toBe(5);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('double Ctrl-C: exit 130 at once; the next start leaves no stray .tmp and the checkpoint loads', async () => {
    const dir = join(tmp(), `ctrlc-${++counter}`);
    const child = spawn(
      process.execPath,
      [CLI, 'train', ...TINY_CPU, '--steps', String(16 * 100_000), '--out', dir, '--json'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const closed = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    let stdout = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && stdout.includes('"update":2,')) {
        sent = true;
        child.kill('SIGINT');
        child.kill('SIGINT');
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    expect(await closed).toBe(130);
    clearTimeout(guard);
    // What a second Ctrl-C in the middle of an atomic write leaves behind (the real one may or may not have).
    writeFileSync(join(dir, `.${RUN_FILES.checkpoint}.${child.pid}.7.lq8x1k.tmp`), '{"format":"klip-checkp');
    // The next start: resume, stopped again at once (an aborted signal: one checkpoint, exit 130).
    const stop = new AbortController();
    stop.abort();
    const r = await cli(['train', '--resume', dir, '--json'], { signal: stop.signal });
    expect(r.code, r.err).toBe(130);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const ckpt = validateCheckpoint(JSON.parse(readFileSync(join(dir, RUN_FILES.checkpoint), 'utf8')));
    const history = await (await openRun(dir)).readHistory(ckpt.update);
    const t = await Trainer.restore(ckpt, { history });
    expect(t.update).toBe(ckpt.update);
    t.dispose();
  }, 90_000);

  it('EPIPE: klip train --json | head -1 ends quietly with 0', async () => {
    const dir = join(tmp(), `epipe-${++counter}`);
    const child = spawn(
      process.execPath,
      [CLI, 'train', ...TINY_CPU, '--steps', String(16 * 100_000), '--json', '--out', dir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy()); // like `head -1`
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    clearTimeout(guard);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/Error|\n\s+at |klip: /);
  }, 60_000);

  it('β overflow: NumericError in one line, exit 1; the last good checkpoint loads and resumes', async () => {
    const dir = join(tmp(), `beta-${++counter}`);
    // kl-penalty with the adaptive rule doubling β from 1e37 under an unreachable target: β passes float32 at update 7
    // (in the tfjs engine's float32 loss; the fused engine's float64 loss would go on to 1e308).
    const argv = [
      'train',
      ...TINY_CPU,
      '--engine',
      'tfjs',
      '--objective',
      'kl-penalty',
      '--kl-controller',
      'adaptive',
      '--beta',
      '1e37',
    ];
    const r = await cli([
      ...argv,
      '--target-kl',
      '1e-9',
      '--steps',
      '160',
      '--checkpoint-every',
      '1',
      '--out',
      dir,
      '--json',
    ]);
    oneLine(r, 1, /^klip: NumericError at update (\d+)\/10: .* the last good checkpoint \(update (\d+)\) stays in /);
    const [, failing, last] = /update (\d+)\/10: .*\(update (\d+)\)/.exec(r.err)!.map(Number);
    expect(last).toBe(failing! - 1);
    const ckpt = validateCheckpoint(JSON.parse(readFileSync(join(dir, RUN_FILES.checkpoint), 'utf8')));
    expect(ckpt.update).toBe(last);
    expect(Number.isFinite(ckpt.controller.beta)).toBe(true);
    const history = await (await openRun(dir)).readHistory(ckpt.update);
    const t = await Trainer.restore(ckpt, { history });
    expect(t.history).toHaveLength(last!);
    t.dispose();
  }, 60_000);
});
