/**
 * Crash-safe file writes for run folders: write a temp file in the same folder, fsync it, rename it over the
 * target, fsync the folder. A crash (or a failing write) at any point leaves either the old file or the new one,
 * never a half-written file. Node only.
 * @module
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, KlipError, type KlipErrorDetails } from '../core/errors.js';

/**
 * The file-system operations `writeFileAtomic` uses. Inject a variant to simulate failures in tests
 * (a rename that throws, a write that stops halfway).
 */
export interface AtomicFileSystem {
  /** Create or truncate `path`, write all of `data`, fsync it and close it. */
  writeAndSync(path: string, data: string | Uint8Array): Promise<void>;
  /** Atomically replace `to` with `from` (POSIX rename). */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file; used to clean up the temp file after a failure. */
  unlink(path: string): Promise<void>;
  /** fsync a directory so the rename itself survives a power loss (a no-op where unsupported). */
  syncDir(path: string): Promise<void>;
}

/**
 * The real Node implementation of {@link AtomicFileSystem} (`fs/promises` with `FileHandle.sync`).
 * @example
 * ```ts
 * await writeFileAtomic('runs/a/checkpoint.json', text, { fs: NODE_ATOMIC_FS });
 * ```
 */
export const NODE_ATOMIC_FS: AtomicFileSystem = Object.freeze({
  async writeAndSync(path: string, data: string | Uint8Array): Promise<void> {
    const fh = await fsp.open(path, 'w', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from: string, to: string) => fsp.rename(from, to),
  unlink: (path: string) => fsp.unlink(path),
  async syncDir(path: string): Promise<void> {
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(path, 'r');
      await fh.sync();
    } catch {
      // Directories cannot be opened or fsynced on some platforms (Windows): the rename is still atomic there.
    } finally {
      await fh?.close();
    }
  },
});

let tempCounter = 0;

/**
 * Write `data` to `path` atomically: temp file in the same folder → fsync → rename → fsync of the folder.
 *
 * Invariant: after the returned promise settles (or the process dies at any point), `path` holds either its
 * previous content or all of `data`. On failure the temp file is removed and the error is rethrown.
 * Source: the classic POSIX recipe (rename(2) is atomic within one file system), as in npm `write-file-atomic`.
 * @param path Target file; its folder must exist.
 * @param data Text (UTF-8) or bytes.
 * @param opts.fs File-system operations (default `NODE_ATOMIC_FS`, the real `node:fs`); inject failures in tests.
 * @returns Resolves once the new content and the rename are on disk.
 * @example
 * ```ts
 * await writeFileAtomic('runs/quickstart/checkpoint.json', JSON.stringify(ckpt));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { fs?: AtomicFileSystem } = {},
): Promise<void> {
  const fs = opts.fs ?? NODE_ATOMIC_FS;
  const dir = dirname(path);
  tempCounter += 1;
  // Unique per process and call; no randomness needed (pid + counter + high-resolution time). TEMP_NAME reads it back.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${tempCounter}.${process.hrtime.bigint().toString(36)}.tmp`);
  try {
    await fs.writeAndSync(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw fileWriteError('writeFileAtomic', path, e, `the previous ${basename(path)} is unchanged`);
  }
  await fs.syncDir(dir);
}

/** The temp-file names `writeFileAtomic` uses: `.<target>.<pid>.<counter>.<time base 36>.tmp`. */
const TEMP_NAME = /^\.(.+)\.\d+\.\d+\.[0-9a-z]+\.tmp$/;

/**
 * The file a `writeFileAtomic` temp file was going to replace, or null when `name` is not such a temp file
 * (e.g. `.checkpoint.json.4242.3.lq8x1k.tmp` → `checkpoint.json`).
 * @param name A file name (no folder).
 * @example
 * ```ts
 * atomicTempTarget('.summary.json.17.2.abc.tmp'); // 'summary.json'
 * ```
 */
export function atomicTempTarget(name: string): string | null {
  return TEMP_NAME.exec(name)?.[1] ?? null;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = Object.freeze({
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a parent is not a folder',
  EISDIR: 'is a folder',
});

/**
 * Turn a failed file-system write into one typed, one-line klip error that names the file and the reason
 * (errno code and its meaning), keeping the original error as `cause`.
 *
 * Message: `fn: <path> must be writable, got "ENOSPC". no space left on device; <kept>`.
 * @param fn The function named in the message, e.g. `writeFileAtomic`.
 * @param path The file (or folder) that could not be written.
 * @param e The error thrown by `fs` (a `NodeJS.ErrnoException` or anything else).
 * @param kept Optional sentence on what stays intact, e.g. `the previous checkpoint.json is unchanged`.
 * @returns A `KlipError` (not thrown) whose `cause` is `e`; a `KlipError` input is returned unchanged.
 * @example
 * ```ts
 * try { await fsp.appendFile(p, line); } catch (e) { throw fileWriteError('appendMetrics', p, e); }
 * ```
 */
export function fileWriteError(fn: string, path: string, e: unknown, kept?: string): KlipError {
  if (e instanceof KlipError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const raw = e instanceof Error ? e.message : String(e);
  const reason = code !== undefined ? (ERRNO_TEXT[code] ?? raw) : raw;
  const err = new KlipError({
    fn,
    arg: path,
    expected: 'writable',
    got: code ?? raw,
    hint: `${code !== undefined ? `${reason}` : 'the write failed'}${kept ? `; ${kept}` : ''}`,
  });
  Object.defineProperty(err, 'cause', { value: e, enumerable: false, configurable: true, writable: true });
  return err;
}

/** Options of {@link readJsonFile}. */
export interface ReadJsonOptions {
  /** Function named in error messages. @defaultValue 'readJsonFile' */
  fn?: string;
  /** Argument named in error messages. @defaultValue 'path' */
  arg?: string;
  /** Error class thrown for a missing or malformed file. @defaultValue ConfigError */
  errorClass?: KlipErrorClass;
}

/** A KlipError subclass constructor, e.g. `CheckpointError`. */
export type KlipErrorClass = new (details: KlipErrorDetails) => KlipError;

/**
 * Read and parse a JSON file, turning "missing", "unreadable" and "malformed" into one typed klip error
 * that names the file and, for bad JSON, the parser's reason.
 * @param path The file to read.
 * @param opts Names for the error message and the error class (default `ConfigError`).
 * @returns The parsed value (`unknown`: validate it before use).
 * @throws ConfigError (or `opts.errorClass`) for a missing, unreadable or malformed file.
 * @example
 * ```ts
 * const cfg = await readJsonFile('my_config.json', { fn: 'klip train', arg: '--config' });
 * ```
 */
export async function readJsonFile(path: string, opts: ReadJsonOptions = {}): Promise<unknown> {
  const fn = opts.fn ?? 'readJsonFile';
  const arg = opts.arg ?? 'path';
  const Err = opts.errorClass ?? ConfigError;
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Err({
      fn,
      arg,
      expected: code === 'ENOENT' ? 'an existing JSON file' : 'a readable JSON file',
      got: path,
      hint: code ?? String(e),
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Err({ fn, arg, expected: 'a file of valid JSON', got: path, hint: (e as Error).message });
  }
}
