/**
 * Disk failures during training: a full disk or an unwritable folder while a checkpoint is written leaves
 * the previous checkpoint intact and `klip train` reports the file in one line and exits 1.
 * (test/node/atomic.test.ts covers `writeFileAtomic` itself; this file covers the CLI paths.)
 */
import { WORLD_DEFAULTS } from '../../src/training/world_defaults.js';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE_ATOMIC_FS, type AtomicFileSystem } from '../../src/node/atomic.js';
import { runCli } from '../../src/node/cli.js';
import { validateCheckpoint } from '../../src/training/checkpoint.js';
import { CLI, ROOT, useCliTestFolder } from '../helpers/built_cli.js';

const tmp = useCliTestFolder('klip-disk-');
beforeAll(() => chmodSync(tmp(), 0o755)); // the unprivileged child below must reach its run folder

function sink(): { write(s: string): boolean; text(): string } {
  let t = '';
  return { write: (s: string) => ((t += s), true), text: () => t };
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** An fs whose n-th checkpoint.json write fails (on the temp-file write or on the rename). */
function failingOnCheckpoint(
  n: number,
  where: 'write' | 'rename',
  code: string,
): AtomicFileSystem & { attempts(): number } {
  let seen = 0;
  const isCkpt = (p: string): boolean => p.includes('.checkpoint.json.');
  return {
    ...NODE_ATOMIC_FS,
    async writeAndSync(path, data) {
      if (isCkpt(path)) seen += 1;
      if (where === 'write' && isCkpt(path) && seen === n) {
        await NODE_ATOMIC_FS.writeAndSync(path, String(data).slice(0, 100)); // a partial temp file, then the disk is full
        throw errnoError(code, 'no space left on device, write');
      }
      await NODE_ATOMIC_FS.writeAndSync(path, data);
    },
    async rename(from, to) {
      if (where === 'rename' && isCkpt(from) && seen === n)
        throw errnoError(code, `permission denied, rename '${from}'`);
      await NODE_ATOMIC_FS.rename(from, to);
    },
    attempts: () => seen,
  };
}

/** One update of the bandit's defaults: 8 envs × 64 steps (WORLD_DEFAULTS.bandit). */
const BATCH = WORLD_DEFAULTS.bandit!.numEnvs * WORLD_DEFAULTS.bandit!.nSteps;
const TRAIN = [
  'train',
  '--env',
  'bandit',
  '--steps',
  String(10 * BATCH),
  '--seed',
  '4',
  '--backend',
  'cpu',
  '--checkpoint-every',
  '2',
];

describe('a checkpoint write fails mid-run (injected file system)', () => {
  it.each([
    ['write', 'ENOSPC', 'no space left on device'],
    ['rename', 'EACCES', 'permission denied'],
  ] as const)(
    '%s fails with %s: exit 1, one line naming checkpoint.json, the previous checkpoint loads',
    async (where, code, reason) => {
      const out = join(tmp(), `inj-${code}`);
      const fs = failingOnCheckpoint(3, where, code); // writes: update 0, update 2, then update 4 fails
      const stdout = sink();
      const stderr = sink();
      const rc = await runCli([...TRAIN, '--out', out], { stdout, stderr, handleSigint: false, fs });
      expect(rc, stderr.text()).toBe(1);
      expect(fs.attempts()).toBe(3);
      const lines = stderr
        .text()
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith('klip'));
      expect(lines, stderr.text()).toEqual([
        `klip: writeFileAtomic: ${JSON.stringify(join(out, 'checkpoint.json')).slice(1, -1)} must be writable, got "${code}". ${reason}; the previous checkpoint.json is unchanged`,
      ]);
      const ckpt = validateCheckpoint(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')));
      expect(ckpt.update).toBe(2);
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // ... and the run resumes from it once the disk is fine again.
      const again = await runCli(['train', '--resume', out], { stdout: sink(), stderr: sink(), handleSigint: false });
      expect(again).toBe(0);
      expect(validateCheckpoint(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'))).update).toBe(10);
    },
    60_000,
  );
});

describe('a real unwritable run folder', () => {
  it('klip train --resume exits 1 with one line naming the path; the old checkpoint is untouched and loads', async (ctx) => {
    // As root, chmod does not stop the writer: the child then runs as `nobody`, who must be able to read the built
    // CLI. A checkout under a folder `nobody` cannot enter (e.g. /root/klip) cannot show this; say so and skip.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI)})`], {
        uid: 65534,
        gid: 65534,
      });
      if (probe.status !== 0) {
        console.warn(`skipped: user nobody cannot read ${CLI} (the checkout sits in a folder only root can enter)`);
        ctx.skip();
        return;
      }
    }
    const out = join(tmp(), 'ro');
    const first = await runCli([...TRAIN, '--steps', String(4 * BATCH), '--out', out], {
      stdout: sink(),
      stderr: sink(),
      handleSigint: false,
    });
    expect(first).toBe(0);
    const before = readFileSync(join(out, 'checkpoint.json'), 'utf8');
    // --resume first takes the folder's write lock (a file created in the folder): that must fail, before any write.
    chmodSync(out, 0o555);
    try {
      // chmod does not stop root: run the child as `nobody` then, so the permission check is the kernel's.
      const r = await new Promise<{ code: number | null; stderr: string }>((res, rej) => {
        const child = spawn(process.execPath, [CLI, 'train', '--resume', out], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
          ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
        });
        let stderr = '';
        child.stdout.resume();
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', rej);
        child.on('close', (code) => res({ code, stderr }));
      });
      expect(r.code, r.stderr).toBe(1);
      const lines = r.stderr
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith('klip'));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^klip: train: ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/klip\\.lock must be writable, got "EACCES"\\. permission denied; nothing in the run folder was changed$`,
        ),
      );
    } finally {
      chmodSync(out, 0o755);
    }
    expect(readFileSync(join(out, 'checkpoint.json'), 'utf8')).toBe(before);
    expect(validateCheckpoint(JSON.parse(before)).update).toBe(4);
  }, 60_000);
});
