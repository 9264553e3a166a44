/**
 * `klip train --force` over an existing run, as a transaction: the old run's files are first moved aside into
 * `.klip-old-<pid>/` inside the run folder (renames on the same file system), and deleted only once the new run has
 * a checkpoint of a completed update. If the new run fails before that, the old files are moved back. A process
 * killed in between leaves the aside folder with its manifest; the next `klip train` on the folder (holding its lock)
 * finds it and finishes the job with {@link recoverSetAside}. Node only.
 *
 * Crash-safety invariant: the manifest (`klip-aside.json`, written atomically before the first file moves) lists the
 * files set aside; while it exists, each listed file is either in the aside folder or still (or again) in the run
 * folder, never lost. Deleting the manifest first is what commits the replacement.
 * @module
 */
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KlipError } from '../core/errors.js';
import { fileWriteError, writeFileAtomic } from './atomic.js';

/** The name prefix of an aside folder inside a run folder: `.klip-old-<pid>`. */
export const ASIDE_PREFIX = '.klip-old-';
/** The manifest file inside an aside folder. */
export const ASIDE_MANIFEST = 'klip-aside.json';

/** A run set aside by `--force`. */
export interface SetAside {
  /** The run folder. */
  readonly runDir: string;
  /** The aside folder, `<runDir>/.klip-old-<pid>`. */
  readonly path: string;
  /** The pid of the process that set it aside. */
  readonly pid: number;
}

interface Manifest {
  format: 'klip-aside';
  pid: number;
  host: string;
  since: string;
  files: string[];
}

/**
 * The aside folders in a run folder (any pid), oldest pid first.
 * @param runDir The run folder.
 * @returns The aside folders found (none when the folder is missing).
 * @example
 * ```ts
 * findSetAside('runs/quickstart'); // [] unless a --force run is in progress or was killed
 * ```
 */
export function findSetAside(runDir: string): SetAside[] {
  let entries: string[];
  try {
    entries = readdirSync(runDir);
  } catch {
    return [];
  }
  const out: SetAside[] = [];
  for (const name of entries) {
    const m = /^\.klip-old-(\d+)$/.exec(name);
    if (m) out.push({ runDir, path: join(runDir, name), pid: Number(m[1]) });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

function readManifest(aside: SetAside): Manifest | null {
  try {
    const m = JSON.parse(readFileSync(join(aside.path, ASIDE_MANIFEST), 'utf8')) as Partial<Manifest>;
    if (m.format === 'klip-aside' && Array.isArray(m.files) && m.files.every((f) => typeof f === 'string'))
      return m as Manifest;
  } catch {
    // missing or unreadable: see recoverSetAside
  }
  return null;
}

/**
 * Move the run files `files` of `runDir` (those that exist) into `<runDir>/.klip-old-<pid>/`, after writing the
 * manifest that lists them. Other files of the folder (a user's notes, the lock) stay where they are.
 * Call it only while holding the folder's lock.
 * @param runDir The run folder.
 * @param files The names of the run files (`Object.values(RUN_FILES)`).
 * @returns The aside folder, to {@link discardSetAside} or {@link restoreSetAside} later.
 * @throws KlipError naming the folder when it cannot be written; the files already moved are moved back first.
 * @example
 * ```ts
 * const aside = await setAsideRun('runs/a', Object.values(RUN_FILES));
 * ```
 */
export async function setAsideRun(runDir: string, files: readonly string[]): Promise<SetAside> {
  const aside: SetAside = { runDir, path: join(runDir, `${ASIDE_PREFIX}${process.pid}`), pid: process.pid };
  const present = files.filter((f) => existsSync(join(runDir, f)));
  const manifest: Manifest = {
    format: 'klip-aside',
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    files: present,
  };
  try {
    await fsp.mkdir(aside.path, { recursive: true });
    await writeFileAtomic(join(aside.path, ASIDE_MANIFEST), `${JSON.stringify(manifest)}\n`);
    for (const f of present) await fsp.rename(join(runDir, f), join(aside.path, f));
  } catch (e) {
    await restoreSetAside(aside, files).catch(() => undefined);
    throw fileWriteError('train --force', aside.path, e, 'the run in the folder is unchanged');
  }
  return aside;
}

/**
 * Commit the replacement: delete the manifest (from then on nothing in the aside folder is needed), then the folder.
 * @param aside The aside folder from {@link setAsideRun}.
 */
export async function discardSetAside(aside: SetAside): Promise<void> {
  await fsp.rm(join(aside.path, ASIDE_MANIFEST), { force: true });
  await fsp.rm(aside.path, { recursive: true, force: true });
}

/**
 * Roll the replacement back: delete the new run's files (`files` not listed in the manifest), move every listed file
 * that is in the aside folder back over the new run's, then delete the manifest and the aside folder. Idempotent:
 * a restore interrupted by a crash can be run again.
 * @param aside The aside folder.
 * @param files The names of the run files (`Object.values(RUN_FILES)`).
 * @throws KlipError naming the aside folder when a file cannot be moved back (it then stays there, whole).
 */
export async function restoreSetAside(aside: SetAside, files: readonly string[]): Promise<void> {
  const manifest = readManifest(aside);
  if (manifest === null) {
    // Nothing was moved yet (the manifest is written first) or the replacement was committed: nothing to restore.
    await fsp.rm(aside.path, { recursive: true, force: true });
    return;
  }
  try {
    for (const f of files) {
      if (!manifest.files.includes(f)) await fsp.rm(join(aside.runDir, f), { force: true });
    }
    for (const f of manifest.files) {
      if (existsSync(join(aside.path, f))) await fsp.rename(join(aside.path, f), join(aside.runDir, f));
    }
  } catch (e) {
    throw new KlipError({
      fn: 'train --force',
      arg: 'the replaced run',
      expected: 'moved back into its folder',
      got: (e as NodeJS.ErrnoException).code ?? String(e),
      hint: `It is whole in ${aside.path}: move its files back into ${aside.runDir} by hand`,
    });
  }
  await fsp.rm(join(aside.path, ASIDE_MANIFEST), { force: true });
  await fsp.rm(aside.path, { recursive: true, force: true });
}

/** What {@link recoverSetAside} did with one aside folder. */
export interface AsideRecovery {
  /** `restored`: the old run is back in place; `removed`: the folder held nothing still needed. */
  kind: 'restored' | 'removed';
  /** The aside folder. */
  aside: SetAside;
}

/**
 * Finish what a killed `klip train --force` left in `runDir`: an aside folder with its manifest holds the old run
 * (the new one never reached its first checkpoint), so it is moved back; one without a manifest was being deleted
 * after the new run's first checkpoint, so the deletion is finished. Call it only while holding the folder's lock
 * (then no live process owns an aside folder).
 * @param runDir The run folder.
 * @param files The names of the run files (`Object.values(RUN_FILES)`).
 * @returns What was done, one entry per aside folder found.
 * @throws KlipError naming the aside folder when a file cannot be moved back.
 * @example
 * ```ts
 * for (const r of await recoverSetAside('runs/a', Object.values(RUN_FILES))) console.log(r.kind, r.aside.path);
 * ```
 */
export async function recoverSetAside(runDir: string, files: readonly string[]): Promise<AsideRecovery[]> {
  const out: AsideRecovery[] = [];
  for (const aside of findSetAside(runDir)) {
    const restore = readManifest(aside) !== null;
    await restoreSetAside(aside, files);
    out.push({ kind: restore ? 'restored' : 'removed', aside });
  }
  return out;
}
