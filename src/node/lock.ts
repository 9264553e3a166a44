/**
 * One writer per run folder: an exclusive lock file (`klip.lock`, created with `O_EXCL`) holding the writer's pid,
 * host and start time. A second writer is refused with one line naming the holder; a lock left by a process that no
 * longer runs on this host (SIGKILL, a crash) is taken over, and the caller says so. Node only.
 * @module
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KlipError } from '../core/errors.js';
import { fileWriteError } from './atomic.js';

/** The lock file's name inside a run folder. */
export const LOCK_FILE = 'klip.lock';

/**
 * Another writer holds the folder's lock. Every command refuses a locked folder with this error, and the CLI exits
 * with {@link EXIT_LOCKED}: nothing is wrong with the command, it can be run again once the other writer is done.
 */
export class FolderLockedError extends KlipError {}

/** The exit code of a command refused because another writer holds its folder's lock (`FolderLockedError`). */
export const EXIT_LOCKED = 3;

/** What a lock file records. */
export interface LockInfo {
  /** Process id of the writer. */
  pid: number;
  /** Host name of the writer. */
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** A held lock; `release()` removes the file (idempotent, also run at process exit). */
export interface RunLock {
  /** The lock file's path. */
  readonly path: string;
  /** The stale lock this one replaced (a dead process on this host), or null. */
  readonly tookOver: LockInfo | null;
  /** Remove the lock file. */
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const x = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return typeof x.pid === 'number' && typeof x.host === 'string'
      ? { pid: x.pid, host: x.host, since: String(x.since ?? '') }
      : null;
  } catch {
    return null; // being written, or damaged
  }
}

/**
 * The writer holding `dir`'s lock, when one may still be running: a live process on this host, or any process on
 * another host (its liveness cannot be checked from here). Null when the folder has no lock or a dead writer's.
 * @param dir The run folder.
 * @example
 * ```ts
 * if (lockHolder('runs/a') === null) console.log('no klip writes runs/a now');
 * ```
 */
export function lockHolder(dir: string): LockInfo | null {
  const held = readLock(join(dir, LOCK_FILE));
  if (held === null) return null;
  return held.host !== hostname() || held.pid === process.pid || alive(held.pid) ? held : null;
}

/**
 * Take the exclusive write lock of `dir` (created if missing).
 * @param dir The run folder.
 * @param fn The command, named in the error (e.g. `train`).
 * @returns The held lock.
 * @throws FolderLockedError when another live process (or a process on another host) holds the lock: the message names
 *   its pid, host and start time and how to take over a lock whose run is gone; KlipError naming the lock file when
 *   the folder cannot be written (permissions, a read-only or full disk).
 * @example
 * ```ts
 * const lock = acquireRunLock('runs/quickstart', 'train');
 * try { … } finally { lock.release(); }
 * ```
 */
export function acquireRunLock(dir: string, fn: string): RunLock {
  return acquire(dir, fn, {
    arg: 'run folder',
    hint: 'Wait for that run to end or stop it',
    kept: 'nothing in the run folder was changed',
  });
}

/**
 * Take the exclusive write lock of an output folder of `klip compare`, `klip frontier` or `klip reproduce --out`
 * (created if missing): the same `klip.lock` as {@link acquireRunLock}, but a folder in use is a usage error naming
 * `--out`, since the way out is another `--out` (or waiting).
 * @param dir The output folder.
 * @param fn The command, named in the error (e.g. `compare`).
 * @returns The held lock.
 * @throws FolderLockedError `fn: --out must be one writer at a time, got DIR locked by pid …` when another live process (or
 *   a process on another host) holds the lock; KlipError naming the lock file when the folder cannot be written.
 * @example
 * ```ts
 * const lock = acquireOutputLock('runs/cmp', 'compare');
 * try { … } finally { lock.release(); }
 * ```
 */
export function acquireOutputLock(dir: string, fn: string): RunLock {
  return acquire(dir, fn, {
    arg: '--out',
    hint: 'Wait for that command to end or pick another --out',
    kept: 'nothing in the folder was changed',
  });
}

/** How a refusal reads: the argument it names, the first words of its hint, and what a failed write kept. */
interface Refusal {
  arg: string;
  hint: string;
  kept: string;
}

function acquire(dir: string, fn: string, refusal: Refusal): RunLock {
  const path = join(dir, LOCK_FILE);
  try {
    return takeLock(dir, path, fn, refusal);
  } catch (e) {
    throw fileWriteError(fn, path, e, refusal.kept);
  }
}

function takeLock(dir: string, path: string, fn: string, refusal: Refusal): RunLock {
  mkdirSync(dir, { recursive: true });
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  let tookOver: LockInfo | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = readLock(path);
      const stale = held !== null && held.host === me.host && held.pid !== me.pid && !alive(held.pid);
      if (attempt === 0 && stale) {
        tookOver = held;
        unlinkSync(path);
        continue;
      }
      throw new FolderLockedError({
        fn,
        arg: refusal.arg,
        expected: 'one writer at a time',
        got: held ? `${dir} locked by pid ${held.pid} on ${held.host} since ${held.since}` : `${dir} locked (${path})`,
        hint: `${refusal.hint}; if it is gone (another host, or the lock is damaged), delete ${path}`,
      });
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        if (readLock(path)?.pid === me.pid) unlinkSync(path);
      } catch {
        // already gone
      }
    };
    process.on('exit', release);
    return { path, tookOver, release };
  }
  throw new KlipError({ fn, arg: 'run folder', expected: 'a lock that can be taken', got: path });
}
