import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError } from '../../src/core/errors.js';
import { NODE_ATOMIC_FS, readJsonFile, writeFileAtomic, type AtomicFileSystem } from '../../src/node/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'klip-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the content and leaves no temp file behind', async () => {
    const p = join(dir, 'a.json');
    writeFileSync(p, 'old');
    await writeFileAtomic(p, '{"new":true}');
    expect(readFileSync(p, 'utf8')).toBe('{"new":true}');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('round-trips any text (property)', async () => {
    const p = join(dir, 'p.txt');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (s) => {
        await writeFileAtomic(p, s);
        expect(readFileSync(p, 'utf8')).toBe(Buffer.from(s, 'utf8').toString('utf8'));
      }),
      { numRuns: 30 },
    );
    expect(readdirSync(dir)).toEqual(['p.txt']);
  });

  it('a failing rename leaves the previous file intact, removes the temp file and rethrows', async () => {
    const p = join(dir, 'checkpoint.json');
    writeFileSync(p, 'previous checkpoint');
    const failing: AtomicFileSystem = { ...NODE_ATOMIC_FS, rename: async () => { throw new Error('EIO: rename failed'); } };
    await expect(writeFileAtomic(p, 'new checkpoint', { fs: failing })).rejects.toThrow('EIO: rename failed');
    expect(readFileSync(p, 'utf8')).toBe('previous checkpoint');
    expect(readdirSync(dir)).toEqual(['checkpoint.json']);
  });

  it('a write that stops halfway (disk full) leaves the previous file intact', async () => {
    const p = join(dir, 'checkpoint.json');
    writeFileSync(p, 'previous checkpoint');
    let tempSeen = '';
    const halfway: AtomicFileSystem = {
      ...NODE_ATOMIC_FS,
      async writeAndSync(path, data) {
        tempSeen = path;
        await fsp.writeFile(path, String(data).slice(0, 5)); // a partial temp file exists at this point
        throw new Error('ENOSPC: no space left on device');
      },
    };
    await expect(writeFileAtomic(p, 'a much longer new checkpoint', { fs: halfway })).rejects.toThrow('ENOSPC');
    expect(tempSeen).not.toBe(p);
    expect(tempSeen.startsWith(join(dir, '.checkpoint.json.'))).toBe(true); // same folder, so rename is atomic
    expect(readFileSync(p, 'utf8')).toBe('previous checkpoint');
    expect(existsSync(tempSeen)).toBe(false);
  });

  it('fsyncs the folder after the rename', async () => {
    const calls: string[] = [];
    const spy: AtomicFileSystem = {
      writeAndSync: async (path, data) => { calls.push('write'); await NODE_ATOMIC_FS.writeAndSync(path, data); },
      rename: async (a, b) => { calls.push('rename'); await NODE_ATOMIC_FS.rename(a, b); },
      unlink: async (path) => { calls.push('unlink'); await NODE_ATOMIC_FS.unlink(path); },
      syncDir: async (path) => { calls.push(`syncDir:${path === dir}`); await NODE_ATOMIC_FS.syncDir(path); },
    };
    await writeFileAtomic(join(dir, 'x'), 'y', { fs: spy });
    expect(calls).toEqual(['write', 'rename', 'syncDir:true']);
  });
});

describe('readJsonFile', () => {
  it('parses a JSON file', async () => {
    writeFileSync(join(dir, 'c.json'), '{"a":[1,2]}');
    expect(await readJsonFile(join(dir, 'c.json'))).toEqual({ a: [1, 2] });
  });

  it('names the function, the argument and the file for a missing file', async () => {
    const p = join(dir, 'missing.json');
    const err = await readJsonFile(p, { fn: 'train', arg: '--config' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`train: --config must be an existing JSON file, got ${JSON.stringify(p)}. ENOENT`);
  });

  it('reports malformed JSON with the parser reason, in the requested error class', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{"a": 1,');
    const err = await readJsonFile(p, { errorClass: CheckpointError }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/^readJsonFile: path must be a file of valid JSON, got ".*bad\.json"\. .+/);
  });
});
