import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, KlipError } from '../../src/core/errors.js';
import {
  atomicTempTarget,
  fileWriteError,
  NODE_ATOMIC_FS,
  readJsonFile,
  writeFileAtomic,
  type AtomicFileSystem,
} from '../../src/node/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'klip-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('names its temp files so that atomicTempTarget reads the target back; other names are not temp files', async () => {
    const temps: string[] = [];
    const fs: AtomicFileSystem = {
      ...NODE_ATOMIC_FS,
      writeAndSync: async (path, data) => {
        temps.push(path.slice(dir.length + 1));
        await NODE_ATOMIC_FS.writeAndSync(path, data);
      },
    };
    await writeFileAtomic(join(dir, 'checkpoint.json'), '{}', { fs });
    await writeFileAtomic(join(dir, 'checkpoint.json'), '{}', { fs });
    expect(temps).toHaveLength(2);
    expect(temps[0]).not.toBe(temps[1]);
    expect(temps.map(atomicTempTarget)).toEqual(['checkpoint.json', 'checkpoint.json']);
    for (const name of ['checkpoint.json', '.mine.tmp', '.checkpoint.json.tmp', 'x.checkpoint.json.1.2.a.tmp']) {
      expect(atomicTempTarget(name), name).toBeNull();
    }
  });

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
    const failing: AtomicFileSystem = {
      ...NODE_ATOMIC_FS,
      rename: async () => {
        throw new Error('EIO: rename failed');
      },
    };
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
      writeAndSync: async (path, data) => {
        calls.push('write');
        await NODE_ATOMIC_FS.writeAndSync(path, data);
      },
      rename: async (a, b) => {
        calls.push('rename');
        await NODE_ATOMIC_FS.rename(a, b);
      },
      unlink: async (path) => {
        calls.push('unlink');
        await NODE_ATOMIC_FS.unlink(path);
      },
      syncDir: async (path) => {
        calls.push(`syncDir:${path === dir}`);
        await NODE_ATOMIC_FS.syncDir(path);
      },
    };
    await writeFileAtomic(join(dir, 'x'), 'y', { fs: spy });
    expect(calls).toEqual(['write', 'rename', 'syncDir:true']);
  });
});

describe('typed write errors', () => {
  const errno = (code: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: raw node message`), { code });

  it.each([
    ['writeAndSync', 'ENOSPC', 'no space left on device'],
    ['rename', 'EACCES', 'permission denied'],
    ['rename', 'EROFS', 'read-only file system'],
  ] as const)(
    '%s failing with %s gives a KlipError naming the file, the code and its meaning (cause kept)',
    async (op, code, text) => {
      const p = join(dir, 'checkpoint.json');
      writeFileSync(p, 'previous');
      const cause = errno(code);
      const failing: AtomicFileSystem = {
        ...NODE_ATOMIC_FS,
        [op]: async () => {
          throw cause;
        },
      };
      const err = await writeFileAtomic(p, 'new', { fs: failing }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KlipError);
      expect((err as Error).message).toBe(
        `writeFileAtomic: ${p} must be writable, got "${code}". ${text}; the previous checkpoint.json is unchanged`,
      );
      expect((err as Error & { cause?: unknown }).cause).toBe(cause);
      expect(readFileSync(p, 'utf8')).toBe('previous');
    },
  );

  it('a real unwritable target (a parent that is a file) is reported with its path and code', async () => {
    writeFileSync(join(dir, 'afile'), 'x');
    const p = join(dir, 'afile', 'checkpoint.json');
    await expect(writeFileAtomic(p, 'y')).rejects.toThrow(
      `writeFileAtomic: ${p} must be writable, got "ENOTDIR". a parent is not a folder`,
    );
  });

  it('fileWriteError passes klip errors through and describes code-less errors by their message', () => {
    const k = new ConfigError({ fn: 'f', arg: 'a', expected: 'b' });
    expect(fileWriteError('g', '/x', k)).toBe(k);
    expect(fileWriteError('g', '/x', new Error('boom')).message).toBe(
      'g: /x must be writable, got "boom". the write failed',
    );
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
    expect((err as Error).message).toBe(
      `train: --config must be an existing JSON file, got ${JSON.stringify(p)}. ENOENT`,
    );
  });

  it('reports malformed JSON with the parser reason, in the requested error class', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{"a": 1,');
    const err = await readJsonFile(p, { errorClass: CheckpointError }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/^readJsonFile: path must be a file of valid JSON, got ".*bad\.json"\. .+/);
  });
});
