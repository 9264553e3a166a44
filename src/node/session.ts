/**
 * The training session loop shared by `klip train`, `klip train --resume` and `klip reproduce`: step the trainer,
 * append each record to the run folder, write a checkpoint on a cadence and at the end, stop cleanly after the
 * current update when asked, and stop without touching the last good checkpoint when training diverges. Node only.
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { NumericError } from '../core/errors.js';
import type { MetricRecord } from '../training/metrics.js';
import type { Trainer } from '../training/trainer.js';
import type { RunFolder } from './run_folder.js';

/** Options of {@link runToFolder}. */
export interface SessionOptions {
  /** Write a checkpoint every this many updates (and always at the last one). `Infinity`: only at the end. */
  checkpointEvery: number;
  /** Aborting it ends the session after the current update, with a checkpoint (Ctrl-C, a test's AbortController). */
  signal?: AbortSignal;
  /** Stop after this update instead of at the end of training (`klip reproduce` re-runs only the recorded ones). */
  until?: number;
  /** Called with each record after it is in `metrics.jsonl` (the progress display). */
  onRecord?: (record: MetricRecord) => void;
  /** Seconds of training so far, written to `wall_time.json` with every checkpoint; without it none is written. */
  wallTime?: () => number;
  /** Called with the update of each checkpoint once it is in the folder (`--force` then drops the run it replaced). */
  onCheckpoint?: (update: number) => Promise<void>;
}

/** How a session ended; `lastCheckpoint` is the update of the checkpoint now in the folder. */
export type SessionOutcome =
  | {
      /** Training reached its end (or `until`); a checkpoint of the last update is in the folder. */
      kind: 'done';
      lastCheckpoint: number;
    }
  | {
      /** The signal was aborted; a checkpoint of the last completed update is in the folder. */
      kind: 'interrupted';
      lastCheckpoint: number;
    }
  | {
      /** An update produced NaN/±∞; the checkpoint of `lastCheckpoint` was left as it was. */
      kind: 'diverged';
      lastCheckpoint: number;
      /** The update that failed. */
      attempted: number;
      /** What the trainer threw. */
      error: NumericError;
    };

/**
 * True when the last record's `eval/return` beats every earlier evaluation of the run (SB3 `EvalCallback` saves
 * `best_model` on a new best mean reward): the history of a resumed run holds the earlier ones.
 */
export function isNewBest(history: readonly MetricRecord[]): boolean {
  const last = history.at(-1)?.['eval/return'];
  if (typeof last !== 'number') return false;
  for (let i = 0; i < history.length - 1; i++) {
    const v = history[i]!['eval/return'];
    if (typeof v === 'number' && v >= last) return false;
  }
  return true;
}

/**
 * Run `trainer` to its end (or to `opts.until`) into `run`: after each update the record is appended to
 * `metrics.jsonl`; every `checkpointEvery` updates and at the last one `checkpoint.json` (and `wall_time.json`) are
 * written atomically. An aborted `signal` ends the session after the current update with a checkpoint; a
 * `NumericError` ends it without writing, so the folder keeps its last good checkpoint. Other errors propagate.
 * @param trainer A live trainer (not disposed here).
 * @param run The run folder it writes to.
 * @param opts Cadence, stop signal, progress hook and wall clock.
 * @returns How the session ended.
 * @example
 * ```ts
 * const outcome = await runToFolder(trainer, run, { checkpointEvery: 10, signal: controller.signal });
 * if (outcome.kind === 'interrupted') console.log(`resume with klip train --resume ${run.dir}`);
 * ```
 */
export async function runToFolder(trainer: Trainer, run: RunFolder, opts: SessionOptions): Promise<SessionOutcome> {
  const until = Math.min(opts.until ?? trainer.config.numIterations, trainer.config.numIterations);
  let lastCheckpoint = trainer.update;
  const checkpoint = async (): Promise<void> => {
    await run.writeCheckpoint(await trainer.save({ history: false }));
    lastCheckpoint = trainer.update;
    if (opts.wallTime) await run.writeWallTime(opts.wallTime());
    await opts.onCheckpoint?.(lastCheckpoint);
  };
  while (trainer.update < until && !opts.signal?.aborted) {
    const attempted = trainer.update + 1;
    let record: MetricRecord;
    try {
      record = await trainer.step();
    } catch (e) {
      if (e instanceof NumericError) return { kind: 'diverged', lastCheckpoint, attempted, error: e };
      throw e;
    }
    await run.appendMetrics(record);
    if (isNewBest(trainer.history)) await run.writeBest(await trainer.save({ history: false }));
    opts.onRecord?.(record);
    if (trainer.update % opts.checkpointEvery === 0 || trainer.update === until) await checkpoint();
    // One event-loop turn per update: a step and the (synchronous) appends never leave the microtask queue, so
    // without it a Ctrl-C, the progress bar's timer and piped stdout would wait for the end of the run.
    await nextTurn();
  }
  if (trainer.update < until) {
    await checkpoint();
    return { kind: 'interrupted', lastCheckpoint };
  }
  return { kind: 'done', lastCheckpoint };
}
