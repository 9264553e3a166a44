/**
 * `klip reproduce`: re-run a run folder and compare its metric stream with the recorded one. Node only.
 * @module
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { KlipError } from '../../core/errors.js';
import { migrateRecordedConfig, type PpoConfigInput } from '../../training/config.js';
import { WALL_CLOCK_METRICS } from '../../training/metrics.js';
import { Trainer } from '../../training/trainer.js';
import { KLIP_VERSION } from '../../version.js';
import { readJsonFile } from '../atomic.js';
import { formatNumber } from '../format.js';
import { runToFolder } from '../session.js';
import { acquireOutputLock } from '../lock.js';
import { checkCreatable, createRun, diffMetrics, openRun, type RunFolder } from '../run_folder.js';
import { usage } from '../flags.js';
import type { CliIo } from './shared.js';

/** The klip version recorded in a run folder: checkpoint.json's `klipVersion`, else summary.json's; null if neither. */
export async function recordedVersion(run: RunFolder): Promise<string | null> {
  for (const file of ['checkpoint', 'summary'] as const) {
    if (!existsSync(run.path(file))) continue;
    try {
      const x = (await readJsonFile(run.path(file))) as { klipVersion?: unknown } | null;
      if (typeof x?.klipVersion === 'string') return x.klipVersion;
    } catch {
      // damaged: try the next file
    }
  }
  return null;
}

/** A recorded metric value for the error line: full precision, `null` as recorded, `missing` when the record lacks the key. */
const fmtMetric = (v: number | null | undefined): string =>
  v === null ? 'null' : formatNumber(v, { exact: true, missing: 'missing' });

/** Run `klip reproduce` with parsed options; returns the exit code. */
export async function runReproduce(dirArg: string, o: { out?: string }, io: CliIo): Promise<number> {
  const run = await openRun(resolve(io.cwd, dirArg));
  const config = await run.readConfig();
  const recorded = await run.readMetrics();
  if (recorded.length === 0)
    throw usage('reproduce', `${dirArg}/metrics.jsonl`, 'a history with at least one update', 'no records');
  const written = await recordedVersion(run);
  if (written === null)
    io.stderr.write(
      `klip: warning: ${dirArg} does not record which klip version wrote it; this is klip ${KLIP_VERSION}\n`,
    );
  else if (written !== KLIP_VERSION)
    io.stderr.write(
      `klip: warning: ${dirArg} was written by klip ${written}, this is klip ${KLIP_VERSION}: metrics may differ between versions\n`,
    );
  const {
    numIterations: _n,
    batchSize: _b,
    minibatchSize: _m,
    ...input
  } = migrateRecordedConfig(config) as Record<string, unknown>;
  if (o.out !== undefined) checkCreatable(resolve(io.cwd, o.out), false, 'reproduce'); // before any work
  // one writer per --out folder, held until the re-run is checked
  const lock = o.out !== undefined ? acquireOutputLock(resolve(io.cwd, o.out), 'reproduce') : null;
  let trainer: Trainer | null = null;
  let outDir: string | null = null;
  let temp = false;
  try {
    trainer = await Trainer.create(input as PpoConfigInput);
    if (o.out !== undefined) outDir = resolve(io.cwd, o.out);
    else {
      outDir = await mkdtemp(join(tmpdir(), 'klip-reproduce-'));
      temp = true;
    }
    const out = await createRun(outDir, { config, ...(io.fs ? { fs: io.fs } : {}) });
    const target = Math.min(recorded.length, trainer.config.numIterations);
    io.stderr.write(
      `Reproducing ${dirArg}: ${target} updates (seed ${String(trainer.config.seed)}, ${trainer.config.backend}) → ${temp ? 'a temporary folder' : o.out}\n`,
    );
    const outcome = await runToFolder(trainer, out, { checkpointEvery: Number.POSITIVE_INFINITY, until: target });
    if (outcome.kind === 'diverged') throw outcome.error;
    const diff = diffMetrics(recorded, await out.readMetrics());
    const ignored = `wall-clock keys not compared: ${WALL_CLOCK_METRICS.join(', ')}`;
    if (diff?.kind === 'value') {
      throw new KlipError({
        fn: 'reproduce',
        arg: `update ${diff.update} ${diff.key}`,
        expected: `${fmtMetric(diff.recorded)} as recorded in ${dirArg}/metrics.jsonl`,
        got: diff.reproduced === undefined ? 'missing' : diff.reproduced,
        hint: `First difference (${ignored})`,
      });
    }
    if (diff?.kind === 'length') {
      throw new KlipError({
        fn: 'reproduce',
        arg: 'number of updates',
        expected: `${diff.recorded} as recorded in ${dirArg}/metrics.jsonl`,
        got: diff.reproduced,
        hint: `config.json runs ${trainer.config.numIterations} updates`,
      });
    }
    io.stdout.write(
      `reproduced ${recorded.length} updates exactly (${ignored})${temp ? '' : `; the re-run is in ${o.out}`}\n`,
    );
    return 0;
  } finally {
    trainer?.dispose();
    lock?.release();
    if (temp && outDir !== null) await rm(outDir, { recursive: true, force: true });
  }
}
