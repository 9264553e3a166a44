/**
 * Run folders: the on-disk record of one training run.
 *
 * ```
 * runs/NAME/
 *   config.json      resolved PpoConfig (written once, atomically)
 *   metrics.jsonl    one JSON MetricRecord per update (appended, flushed per update)
 *   metrics.csv      the same, header = METRIC_KEYS, empty cell for null
 *   checkpoint.json  Trainer.save() output (atomic: temp + fsync + rename)
 *   summary.json     final numbers (+ tabular policy and env frame for the report)
 *   wall_time.json   wall time summed over invocations up to the last checkpoint (`--resume` adds to it)
 *   report.html      standalone report (inline SVG)
 * ```
 * Node only.
 * @module
 */
import type { ControllerVerdict } from '../training/controller_verdict.js';
import { appendFileSync, existsSync, promises as fsp, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CheckpointError, ConfigError } from '../core/errors.js';
import { checkHistory, validateCheckpoint, type Checkpoint } from '../training/checkpoint.js';
import type { PolicySnapshot } from '../training/trainer.js';
import type { RenderFrame } from '../../envs/types.js';
import { METRIC_KEYS, WALL_CLOCK_METRICS, type MetricRecord } from '../training/metrics.js';
import { KLIP_VERSION } from '../version.js';
import { findSetAside } from './aside.js';
import { LOCK_FILE, lockHolder } from './lock.js';
import { atomicTempTarget, fileWriteError, readJsonFile, writeFileAtomic, type AtomicFileSystem } from './atomic.js';

/** The kinds of file in a run folder (keys of {@link RUN_FILES}). */
export type RunFileKind =
  | 'marker'
  | 'config'
  | 'metrics'
  | 'csv'
  | 'checkpoint'
  | 'best'
  | 'summary'
  | 'report'
  | 'wallTime';

/** File names inside a run folder, by kind. */
export const RUN_FILES: Readonly<Record<RunFileKind, string>> = Object.freeze({
  marker: 'klip.json',
  config: 'config.json',
  metrics: 'metrics.jsonl',
  csv: 'metrics.csv',
  checkpoint: 'checkpoint.json',
  best: 'best.json',
  summary: 'summary.json',
  report: 'report.html',
  wallTime: 'wall_time.json',
});

/** The final numbers of a metric history (see {@link summarizeMetrics}); shared by run summaries and compare cells. */
export interface MetricSummary {
  /** Last non-null `charts/episodic_return`. */
  finalReturn: number | null;
  /** Last non-null `charts/success_rate`. */
  successRate: number | null;
  /** Last non-null `charts/policy_return` (tabular worlds). */
  policyReturn: number | null;
  /** Last non-null `charts/optimal_return` (tabular worlds). */
  optimalReturn: number | null;
  /** Mean over updates of `kl/exact_old_new` (nats). */
  meanStepKl: number | null;
  /** Last `kl/coef`. */
  finalBeta: number | null;
}

/** What `summary.json` holds: the final numbers of a run. */
export interface RunSummary extends MetricSummary {
  /** Run folder name. */
  run: string;
  /** klip version that wrote the run. */
  klipVersion: string;
  /** Env preset id. */
  env: string;
  /** Objective. */
  objective: string;
  /** KL controller kind. */
  controller: string;
  /** Root seed. */
  seed: number | string;
  /** tfjs backend. */
  backend: string;
  /** The update engine that ran (`config.engine`); absent in summaries written before the setting (tfjs). */
  engine?: string;
  /** Updates completed. */
  updates: number;
  /** Env steps collected. */
  envSteps: number;
  /** Wall time in seconds, summed over every invocation of the run (the first and each `--resume`). */
  wallTimeSeconds: number;
  /** True when all configured updates ran. */
  complete: boolean;
  /** Tabular worlds: the final policy π(a|s) and critic values V(s). */
  policy?: PolicySnapshot;
  /** Tabular worlds: the first env copy's `renderFrame()` at the end of training, for the report's grid picture. */
  frame?: RenderFrame;
  /** Mean over updates of the KL of the update, `kl/exact_rollout_end` (nats). */
  meanUpdateKl?: number | null;
  /** The controller verdict: updates in the rule's band, over 2×/5× the target, β at a bound or held, early stops. */
  verdict?: ControllerVerdict;
}

function lastNumber(metrics: readonly MetricRecord[], key: string): number | null {
  for (let i = metrics.length - 1; i >= 0; i--) {
    const v = metrics[i]![key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * The mean of one metric over the records that report a finite number for it.
 * @param metrics Metric records.
 * @param key A metric key, e.g. `kl/exact_rollout_end` (the KL of the update).
 * @returns The mean, or null when no record has a finite value.
 * @example
 * ```ts
 * meanOfMetric(history, 'kl/exact_rollout_end');
 * ```
 */
export function meanOfMetric(metrics: readonly MetricRecord[], key: string): number | null {
  let s = 0;
  let n = 0;
  for (const r of metrics) {
    const v = r[key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      s += v;
      n += 1;
    }
  }
  return n ? s / n : null;
}

/**
 * The summary numbers of a metric history: last non-null value of each chart, mean per-step KL, final β.
 *
 * meanStepKl = (1/U) Σ_u `kl/exact_old_new`_u over the updates u that report it.
 * @param metrics One record per update (in order).
 * @returns Plain numbers (`null` where the history has none).
 * @example
 * ```ts
 * summarizeMetrics(run.readMetrics()).finalReturn;
 * ```
 */
export function summarizeMetrics(metrics: readonly MetricRecord[]): MetricSummary {
  return {
    finalReturn: lastNumber(metrics, 'charts/episodic_return'),
    successRate: lastNumber(metrics, 'charts/success_rate'),
    policyReturn: lastNumber(metrics, 'charts/policy_return'),
    optimalReturn: lastNumber(metrics, 'charts/optimal_return'),
    meanStepKl: meanOfMetric(metrics, 'kl/exact_old_new'),
    finalBeta: lastNumber(metrics, 'kl/coef'),
  };
}

/**
 * The CSV header line of `metrics.csv`: the metric keys in `METRIC_KEYS` order.
 * @returns `update,global_step,kl/exact_old_new,…` followed by a newline.
 * @example
 * ```ts
 * csvHeader().startsWith('update,global_step'); // true
 * ```
 */
export function csvHeader(): string {
  return `${METRIC_KEYS.join(',')}\n`;
}

/**
 * One CSV line of a metric record, in `METRIC_KEYS` order: numbers as `String(x)` (exact round trip),
 * `null`/missing as an empty cell. Keys outside `METRIC_KEYS` are left out (they stay in metrics.jsonl).
 * @param record A metric record.
 * @returns The line, ending in a newline.
 * @example
 * ```ts
 * csvLine({ update: 1, global_step: 512 }); // "1,512,,,…\n"
 * ```
 */
export function csvLine(record: MetricRecord): string {
  return `${METRIC_KEYS.map((k) => {
    const v = record[k];
    return typeof v === 'number' ? String(v) : '';
  }).join(',')}\n`;
}

/**
 * Parse `metrics.jsonl` text into records, naming the line of the first malformed record.
 * @param text File content.
 * @param where File name used in the error.
 * @returns The records.
 * @throws ConfigError for a line that is not a JSON object.
 * @example
 * ```ts
 * parseMetricsJsonl('{"update":1}\n'); // [{ update: 1 }]
 * ```
 */
export function parseMetricsJsonl(text: string, where: string = RUN_FILES.metrics): MetricRecord[] {
  const out: MetricRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new ConfigError({
        fn: 'parseMetricsJsonl',
        arg: `${where} line ${i + 1}`,
        expected: 'a JSON object (one metric record)',
        got: line,
      });
    }
    out.push(v as MetricRecord);
  });
  return out;
}

/** The first difference between two metric histories, as found by {@link diffMetrics}. */
export type MetricDiff =
  | {
      /** A value differs (or a key is present on one side only). */
      kind: 'value';
      /** 0-based record index. */
      index: number;
      /** The record's `update` (from the recorded side), or index + 1 when it has none. */
      update: number;
      /** The metric key. */
      key: string;
      /** Recorded value (`undefined`: the key is missing). */
      recorded: number | null | undefined;
      /** Reproduced value (`undefined`: the key is missing). */
      reproduced: number | null | undefined;
    }
  | {
      /** The histories have different lengths (and agree on their common prefix). */
      kind: 'length';
      /** Number of recorded records. */
      recorded: number;
      /** Number of reproduced records. */
      reproduced: number;
    };

/**
 * Compare two metric histories record by record and key by key, exactly (`Object.is` on the numbers, so
 * 0.1 + 0.2 ≠ 0.3 and `null` ≠ missing), leaving out the wall-clock keys. Used by `klip reproduce`.
 * @param recorded The reference history (e.g. a run folder's `metrics.jsonl`).
 * @param reproduced The history to check.
 * @param ignore Keys left out of the comparison. @defaultValue WALL_CLOCK_METRICS (`charts/env_steps_per_s`)
 * @returns The first difference (lowest record index, then key order of the recorded record), or null when equal.
 * @example
 * ```ts
 * diffMetrics([{ update: 1, 'loss/total': 0.5 }], [{ update: 1, 'loss/total': 0.25 }]);
 * // { kind: 'value', index: 0, update: 1, key: 'loss/total', recorded: 0.5, reproduced: 0.25 }
 * ```
 */
export function diffMetrics(
  recorded: readonly MetricRecord[],
  reproduced: readonly MetricRecord[],
  ignore: readonly string[] = WALL_CLOCK_METRICS,
): MetricDiff | null {
  const n = Math.min(recorded.length, reproduced.length);
  for (let i = 0; i < n; i++) {
    const a = recorded[i]!;
    const b = reproduced[i]!;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !ignore.includes(k));
    for (const key of keys) {
      // A metric added by a later klip is absent from an older run's records; left null it is not a difference.
      if (!Object.hasOwn(a, key) && b[key] === null) continue;
      if (!Object.is(a[key], b[key])) {
        const u = a.update;
        return {
          kind: 'value',
          index: i,
          update: typeof u === 'number' ? u : i + 1,
          key,
          recorded: a[key],
          reproduced: b[key],
        };
      }
    }
  }
  return recorded.length === reproduced.length
    ? null
    : { kind: 'length', recorded: recorded.length, reproduced: reproduced.length };
}

/**
 * Remove the temp files an interrupted atomic write left in a run folder (`.<file>.<pid>.<n>.<time>.tmp` of one of
 * {@link RUN_FILES}, e.g. after a second Ctrl-C during a checkpoint). Call it only while holding the folder's lock:
 * then no other writer can own them.
 * @param dir The run folder.
 * @returns The names removed.
 * @example
 * ```ts
 * removeStaleTempFiles('runs/quickstart'); // [] in a clean folder
 * ```
 */
export function removeStaleTempFiles(dir: string): string[] {
  const names = new Set(Object.values(RUN_FILES));
  const removed: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const target = atomicTempTarget(entry);
    if (target === null || !names.has(target)) continue;
    try {
      unlinkSync(join(dir, entry));
      removed.push(entry);
    } catch {
      // already gone
    }
  }
  return removed;
}

/** A checkpoint without its metric history (version 1 checkpoints are written as they are: they need it). */
function withoutHistory(checkpoint: Checkpoint): Checkpoint {
  if (checkpoint.history === undefined || checkpoint.version === 1) return checkpoint;
  const { history: _history, ...rest } = checkpoint;
  return rest;
}

/** What `klip.json` holds: the folder is a klip run folder, written by this format and klip version. */
export const RUN_MARKER = Object.freeze({ format: 'klip-run', version: 1 });

/**
 * Whether `dir` is a folder klip wrote: it holds `klip.json` with the run format, or (folders written before the
 * marker existed) both `config.json` and `metrics.jsonl`. `--force` replaces only such folders, or empty ones.
 * @example
 * ```ts
 * isKlipRunFolder('runs/quickstart'); // true after `npm start`
 * ```
 */
export function isKlipRunFolder(dir: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(dir, RUN_FILES.marker), 'utf8')) as { format?: unknown };
    if (marker?.format === RUN_MARKER.format) return true;
  } catch {
    // no marker, or not JSON: fall back to the legacy test
  }
  return isRunFolder(dir);
}

/**
 * True when `dir` is a klip run folder: a directory holding `config.json` and `metrics.jsonl`.
 * @param dir Folder path.
 * @returns Whether the folder looks like a run.
 * @example
 * ```ts
 * if (!isRunFolder('runs/a')) console.log('not a run');
 * ```
 */
export function isRunFolder(dir: string): boolean {
  try {
    return (
      statSync(dir).isDirectory() && existsSync(join(dir, RUN_FILES.config)) && existsSync(join(dir, RUN_FILES.metrics))
    );
  } catch {
    return false;
  }
}

/** Options of {@link createRun}. */
export interface CreateRunOptions {
  /** The resolved configuration to store in `config.json`. */
  config: unknown;
  /** Replace the run files of an existing folder. @defaultValue false */
  force?: boolean;
  /** File-system operations for atomic writes (tests inject failures). */
  fs?: AtomicFileSystem;
  /** Extra fields of `klip.json`, e.g. `envModule`: the module of a user's world, which `--resume` loads again. */
  marker?: {
    /** Absolute path of the `--env-module` the run's world comes from. */
    envModule?: string;
  };
}

/**
 * A run folder, open for writing. Create with {@link createRun} or reopen with {@link openRun}.
 * @example
 * ```ts
 * const run = await createRun('runs/a', { config: trainer.config });
 * await run.appendMetrics(await trainer.step());
 * await run.writeCheckpoint(await trainer.save());
 * ```
 */
export class RunFolder {
  /** Absolute folder path. */
  readonly dir: string;
  /** Folder name, used as the run's label. */
  readonly name: string;
  private readonly fs: AtomicFileSystem | undefined;

  /** Use {@link createRun} or {@link openRun}. */
  constructor(dir: string, opts: { fs?: AtomicFileSystem } = {}) {
    this.dir = resolve(dir);
    this.name = basename(this.dir);
    this.fs = opts.fs;
  }

  /** Path of one of the run files. */
  path(file: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[file]);
  }

  private atomic(file: keyof typeof RUN_FILES, data: string): Promise<void> {
    return writeFileAtomic(this.path(file), data, this.fs ? { fs: this.fs } : {});
  }

  /** Write `config.json` atomically. */
  async writeConfig(config: unknown): Promise<void> {
    await this.atomic('config', `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Read `config.json`. @throws ConfigError when missing or malformed. */
  async readConfig(): Promise<Record<string, unknown>> {
    const c = await readJsonFile(this.path('config'), { fn: 'openRun', arg: RUN_FILES.config });
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      throw new ConfigError({
        fn: 'openRun',
        arg: `${this.name}/${RUN_FILES.config}`,
        expected: 'a JSON object (the resolved config)',
        got: c,
      });
    }
    return c as Record<string, unknown>;
  }

  /**
   * Append one record to `metrics.jsonl` and `metrics.csv`. Each append opens, writes and closes the file,
   * so the line is in the OS's hands (survives a process crash) when the promise resolves. The appends are
   * synchronous: two short writes to the page cache take microseconds, while the asynchronous calls' thread-pool
   * round trips (open, write, close per file) left the training loop idle for about a millisecond per update. A
   * crash (SIGKILL) in the middle of an append can leave a torn last line; `klip train --resume` reads only the records up to the
   * checkpoint's update ({@link RunFolder.readHistory}) and rewrites both files with them.
   * @throws KlipError naming the file and the errno reason when the append fails.
   */
  async appendMetrics(record: MetricRecord): Promise<void> {
    for (const [file, line] of [
      ['metrics', `${JSON.stringify(record)}\n`],
      ['csv', csvLine(record)],
    ] as const) {
      try {
        appendFileSync(this.path(file), line);
      } catch (e) {
        throw fileWriteError('RunFolder.appendMetrics', this.path(file), e, 'the checkpoint is unchanged');
      }
    }
  }

  /** Replace `metrics.jsonl` and `metrics.csv` with exactly `records` (used on resume: the history up to the checkpoint). */
  async rewriteMetrics(records: readonly MetricRecord[]): Promise<void> {
    await this.atomic('metrics', records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await this.atomic('csv', csvHeader() + records.map(csvLine).join(''));
  }

  /**
   * The metric history up to a checkpoint: the first `update` records of `metrics.jsonl`, one per update in order.
   * Lines after them are not read (a SIGKILL during an append may have torn the last one; resume drops them).
   * @param update The checkpoint's update count.
   * @param fn The command named in the error. @defaultValue 'train --resume'
   * @throws CheckpointError naming `metrics.jsonl` when it is missing, holds fewer records, or a record is malformed
   *   or out of order.
   */
  async readHistory(update: number, fn = 'train --resume'): Promise<MetricRecord[]> {
    const arg = `${this.name}/${RUN_FILES.metrics}`;
    let text: string;
    try {
      text = await fsp.readFile(this.path('metrics'), 'utf8');
    } catch (e) {
      throw new CheckpointError({
        fn,
        arg,
        expected: `the ${update} metric records up to the checkpoint`,
        got: (e as NodeJS.ErrnoException).code ?? String(e),
      });
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    let records: MetricRecord[];
    try {
      records = parseMetricsJsonl(lines.slice(0, update).join('\n'), arg);
    } catch (e) {
      const err = e as ConfigError;
      throw new CheckpointError({ fn, arg: err.arg, expected: err.expected, got: err.got });
    }
    checkHistory(records, update, arg, fn);
    return records;
  }

  /** Read `metrics.jsonl`. @throws ConfigError for a malformed line. */
  async readMetrics(): Promise<MetricRecord[]> {
    return parseMetricsJsonl(await fsp.readFile(this.path('metrics'), 'utf8'), `${this.name}/${RUN_FILES.metrics}`);
  }

  /**
   * Write `checkpoint.json` atomically (a failure leaves the previous checkpoint intact). A `history` in
   * `checkpoint` is left out: `metrics.jsonl` holds it, so the file's size does not grow with the run.
   * @throws KlipError naming the file and the errno reason (e.g. ENOSPC, EACCES) when the write fails.
   */
  async writeCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.atomic('checkpoint', JSON.stringify(withoutHistory(checkpoint)));
  }

  /** Write `best.json` atomically: the checkpoint of the update with the best `eval/return` so far (no history). */
  async writeBest(checkpoint: Checkpoint): Promise<void> {
    await this.atomic('best', JSON.stringify(withoutHistory(checkpoint)));
  }

  /** Read and validate `best.json`. @throws CheckpointError when missing, malformed or damaged. */
  async readBest(): Promise<Checkpoint> {
    const raw = await readJsonFile(this.path('best'), {
      fn: 'eval --best',
      arg: `${this.name}/${RUN_FILES.best}`,
      errorClass: CheckpointError,
    });
    return validateCheckpoint(raw);
  }

  /** True when the folder holds a checkpoint. */
  hasCheckpoint(): boolean {
    return existsSync(this.path('checkpoint'));
  }

  /** Read and validate `checkpoint.json`. @throws CheckpointError when missing, malformed or damaged. */
  async readCheckpoint(): Promise<Checkpoint> {
    const raw = await readJsonFile(this.path('checkpoint'), {
      fn: 'train --resume',
      arg: `${this.name}/${RUN_FILES.checkpoint}`,
      errorClass: CheckpointError,
    });
    return validateCheckpoint(raw);
  }

  /** Write `summary.json` atomically. */
  async writeSummary(summary: RunSummary): Promise<void> {
    await this.atomic('summary', `${JSON.stringify(summary, null, 2)}\n`);
  }

  /** Read `summary.json`, or null when the run has none yet. @throws ConfigError when malformed. */
  async readSummary(): Promise<RunSummary | null> {
    if (!existsSync(this.path('summary'))) return null;
    return (await readJsonFile(this.path('summary'), {
      fn: 'openRun',
      arg: `${this.name}/${RUN_FILES.summary}`,
    })) as RunSummary;
  }

  /**
   * Wall time spent on this run by earlier invocations (seconds), as recorded by {@link RunFolder.writeWallTime}
   * next to the last checkpoint; 0 when none was recorded.
   * @throws ConfigError when `wall_time.json` is malformed.
   */
  async readWallTime(): Promise<number> {
    if (!existsSync(this.path('wallTime'))) return 0;
    const x = (await readJsonFile(this.path('wallTime'), {
      fn: 'openRun',
      arg: `${this.name}/${RUN_FILES.wallTime}`,
    })) as { wallTimeSeconds?: unknown } | null;
    const v = x?.wallTimeSeconds;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ConfigError({
        fn: 'openRun',
        arg: `${this.name}/${RUN_FILES.wallTime}`,
        expected: 'a JSON object {"wallTimeSeconds": seconds ≥ 0}',
        got: x,
      });
    }
    return v;
  }

  /** Write `wall_time.json` atomically: the run's wall time so far, summed over invocations (seconds). */
  async writeWallTime(seconds: number): Promise<void> {
    await this.atomic('wallTime', `${JSON.stringify({ wallTimeSeconds: seconds })}\n`);
  }

  /** Write `report.html` atomically. */
  async writeReport(html: string): Promise<void> {
    await this.atomic('report', html);
  }
}

/**
 * Create a run folder (and its parents) with `config.json`, an empty `metrics.jsonl` and a `metrics.csv` header.
 * Refuses a folder that already holds files unless `force` (then the known run files are replaced; other files stay).
 * @param dir Folder path.
 * @param opts The config to store, `force`, and an optional injected file system.
 * @returns The open run folder.
 * @throws ConfigError when `dir` exists as a file, or is a non-empty folder and `force` is not set; KlipError
 *   naming the path when the folder or its files cannot be written (permissions, full disk).
 * @example
 * ```ts
 * const run = await createRun('runs/exp1', { config: resolvePpoConfig({}) });
 * ```
 */
export async function createRun(dir: string, opts: CreateRunOptions): Promise<RunFolder> {
  checkCreatable(dir, opts.force ?? false);
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    throw fileWriteError('createRun', resolve(dir), e);
  }
  const run = new RunFolder(dir, opts.fs ? { fs: opts.fs } : {});
  if (opts.force) {
    for (const f of ['checkpoint', 'best', 'summary', 'report', 'wallTime'] as const)
      await fsp.rm(run.path(f), { force: true });
  }
  await writeFileAtomic(
    run.path('marker'),
    `${JSON.stringify({ ...RUN_MARKER, klipVersion: KLIP_VERSION, ...(opts.marker ?? {}) })}\n`,
    opts.fs ? { fs: opts.fs } : {},
  );
  await run.writeConfig(opts.config);
  await run.rewriteMetrics([]);
  return run;
}

/**
 * Check, without touching anything, that an output folder (`--out`) can be written: it does not exist, or it is an
 * empty folder, or `force` is given and the folder is klip's own output (`isOwn`: a run folder with `klip.json`, or a
 * frontier folder), so `--force` never deletes a user's files. Used for run folders ({@link createRun}) and for the
 * folders of `klip frontier` and `klip reproduce --out`.
 * @param dir Folder path.
 * @param force Whether replacing existing contents is allowed.
 * @param fn The command named in the error. @defaultValue 'train'
 * @param own Which non-empty folders are this command's own output, and their name in the error.
 *   @defaultValue klip run folders ({@link isKlipRunFolder})
 * @throws ConfigError naming `--out` and the way out (`--force`, `--resume` for a run, another `--out`).
 * @example
 * ```ts
 * checkCreatable('runs/new', false);
 * ```
 */
export function checkCreatable(
  dir: string,
  force: boolean,
  fn = 'train',
  own: { is: (dir: string) => boolean; what: string } = { is: isKlipRunFolder, what: 'klip run folder' },
): void {
  if (!existsSync(dir)) return;
  const st = statSync(dir);
  if (!st.isDirectory()) throw new ConfigError({ fn, arg: '--out', expected: 'a folder path (not a file)', got: dir });
  const entries = readdirSync(dir).filter((name) => name !== LOCK_FILE);
  if (entries.length === 0) return;
  if (force) {
    if (own.is(dir) || findSetAside(dir).length > 0) return; // a run a killed --force set aside is klip's too
    throw new ConfigError({
      fn,
      arg: '--out',
      expected: `a ${own.what} or an empty folder to replace with --force`,
      got: dir,
      hint: `It holds files klip did not write (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): pick another --out`,
    });
  }
  throw new ConfigError({
    fn,
    arg: '--out',
    expected: 'a new or empty folder',
    got: dir,
    hint:
      fn === 'train' && isRunFolder(dir)
        ? 'It holds a run: continue it with --resume, replace it with --force, or pick another --out'
        : 'Pick another --out or pass --force',
  });
}

/**
 * Open an existing run folder, checking that it is one.
 * @param dir Folder path.
 * @param opts Optional injected file system for atomic writes.
 * @returns The run folder.
 * @throws ConfigError when `dir` does not exist or is not a run folder (no config.json / metrics.jsonl).
 * @example
 * ```ts
 * const run = await openRun('runs/quickstart');
 * const metrics = await run.readMetrics();
 * ```
 */
export async function openRun(dir: string, opts: { fs?: AtomicFileSystem } = {}): Promise<RunFolder> {
  if (!existsSync(dir))
    throw new ConfigError({ fn: 'openRun', arg: 'run', expected: 'an existing run folder', got: dir });
  checkNoSetAside(dir);
  if (!isRunFolder(dir)) {
    throw new ConfigError({
      fn: 'openRun',
      arg: 'run',
      expected: `a klip run folder (with ${RUN_FILES.config} and ${RUN_FILES.metrics})`,
      got: dir,
      hint: 'Create one with `klip train --out DIR`',
    });
  }
  const run = new RunFolder(dir, opts);
  await run.readConfig();
  return run;
}

/**
 * Refuse a folder holding a run that a killed `klip train --force` had set aside (its replacement never reached a
 * checkpoint of a completed update), naming it and the way to put it back. An aside folder of a live writer is fine.
 */
function checkNoSetAside(dir: string): void {
  const left = findSetAside(dir);
  if (left.length === 0 || lockHolder(dir) !== null) return;
  throw new ConfigError({
    fn: 'openRun',
    arg: 'run',
    expected: 'a run folder without a run set aside by a killed `klip train --force`',
    got: dir,
    hint: `The run it replaced is whole in ${left[0]!.path} (pid ${left[0]!.pid} stopped before the new run's first checkpoint); \`klip train --resume ${dir}\` puts it back and continues it`,
  });
}
