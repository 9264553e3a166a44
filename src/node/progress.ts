/**
 * Training progress for the CLI: a `cli-progress` bar on a TTY (steps/s, return, KL, β), plain periodic lines
 * otherwise, or one JSON record per update (`--json`) for piping. Node only.
 * @module
 */
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { MetricRecord } from '../training/metrics.js';
import { formatNumber } from './format.js';

/** A minimal writable text stream (`process.stdout`, or a test double). */
export interface TextOut {
  /** Write text. */
  write(chunk: string): unknown;
  /** True for an interactive terminal. */
  isTTY?: boolean;
}

/** How progress is shown. */
export type ProgressMode = 'bar' | 'lines' | 'json' | 'silent';

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** `bar` (TTY), `lines` (logs, CI), `json` (one record per line on `out`), `silent`. */
  mode: ProgressMode;
  /** Where progress goes. For `json` this should be stdout; for `bar`/`lines`, stderr or stdout. */
  out: TextOut;
  /** Total updates of the run. */
  totalUpdates: number;
  /** Updates already done (resume). @defaultValue 0 */
  startUpdate?: number;
  /** `lines` mode: print every this many updates (and the last). @defaultValue ⌈total/10⌉ */
  every?: number;
  /** The KL target to print beside the KL of the update, and whether to show β. @defaultValue no target, β shown */
  kl?: KlLineOptions;
}

/** A progress display fed one metric record per update. */
export interface ProgressReporter {
  /** Show one finished update. */
  update(record: MetricRecord): void;
  /** Finish the display (stops the bar). */
  stop(): void;
}

/**
 * Pick the progress mode for a stream: `json` when asked, `bar` on a TTY, `lines` otherwise.
 * @param out The stream progress would go to.
 * @param json Whether `--json` was given.
 * @returns The mode.
 * @example
 * ```ts
 * progressModeFor(process.stderr, false); // 'bar' in a terminal, 'lines' in CI
 * ```
 */
export function progressModeFor(out: TextOut, json: boolean): ProgressMode {
  if (json) return 'json';
  return out.isTTY ? 'bar' : 'lines';
}

/** A number of the progress line: fixed decimals (the line does not jitter), a one-decimal exponent form below 1e-3. */
function num(v: unknown, digits = 3): string {
  return formatNumber(v, { digits, fixed: true, expDigits: 1 });
}

/**
 * The stream cli-progress draws on: `out` itself when it is a Node stream (process.stderr), else a `Writable` that
 * forwards to `out.write` and carries its `isTTY` (a test double).
 */
function barStream(out: TextOut): NodeJS.WritableStream {
  if (out instanceof Writable) return out;
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      out.write(String(chunk));
      done();
    },
  });
  return Object.assign(w, { isTTY: out.isTTY === true });
}

/** What the progress line says about the KL: the controller's target and whether β is used. */
export interface KlLineOptions {
  /** Target KL of the update (printed beside it), or null when there is none. */
  klTarget?: number | null;
  /** Show β (objectives with a KL term). @defaultValue true */
  showBeta?: boolean;
}

/**
 * One human-readable progress line for an update:
 * `update 5/100 | steps 2560 | 1234 steps/s | return 0.420 | KL of the update 4.3e-3 (target 0.01) | KL per step 2.1e-5 | β 0.500`.
 * "KL of the update" is `kl/exact_rollout_end`, KL(π_rollout‖π_end): what the controller sees; "KL per step" is
 * `kl/exact_old_new`, the mean exact KL(π_before‖π_after) of one optimizer step.
 * @param record The update's metrics.
 * @param total Total updates.
 * @param kl The target to print and whether to show β.
 * @returns The line without a newline.
 * @example
 * ```ts
 * formatProgressLine({ update: 1, global_step: 512 }, 10); // "update 1/10 | steps 512 | …"
 * ```
 */
export function formatProgressLine(record: MetricRecord, total: number, kl: KlLineOptions = {}): string {
  const sps = record['charts/env_steps_per_s'];
  return [
    `update ${record.update ?? '?'}/${total}`,
    `steps ${record.global_step ?? '?'}`,
    `${typeof sps === 'number' ? Math.round(sps) : '–'} steps/s`,
    `return ${num(record['charts/episodic_return'])}`,
    klOfUpdate(record, kl.klTarget ?? null),
    `KL per step ${num(record['kl/exact_old_new'], 4)}`,
    ...(kl.showBeta === false ? [] : [`β ${num(record['kl/coef'])}`]),
  ].join(' | ');
}

function klOfUpdate(record: MetricRecord, target: number | null): string {
  return `KL of the update ${num(record['kl/exact_rollout_end'], 4)}${target === null ? '' : ` (target ${target})`}`;
}

/**
 * Create a progress display.
 * @param opts Mode, stream, total updates, start (resume) and the line period.
 * @returns A reporter: call `update(record)` after each update and `stop()` at the end.
 * @example
 * ```ts
 * const p = createProgress({ mode: progressModeFor(process.stderr, false), out: process.stderr, totalUpdates: 100 });
 * p.update(await trainer.step());
 * p.stop();
 * ```
 */
export function createProgress(opts: ProgressOptions): ProgressReporter {
  const total = opts.totalUpdates;
  const start = opts.startUpdate ?? 0;
  switch (opts.mode) {
    case 'silent':
      return { update: () => undefined, stop: () => undefined };
    case 'json':
      return { update: (r) => void opts.out.write(`${JSON.stringify(r)}\n`), stop: () => undefined };
    case 'lines': {
      const every = Math.max(1, opts.every ?? Math.ceil(total / 10));
      return {
        update(r) {
          const u = typeof r.update === 'number' ? r.update : 0;
          if (u % every === 0 || u === total || u === start + 1)
            opts.out.write(`${formatProgressLine(r, total, opts.kl)}\n`);
        },
        stop: () => undefined,
      };
    }
    case 'bar': {
      const bar = new cliProgress.SingleBar(
        {
          format: ` {bar} {value}/{total} updates | {sps} steps/s | return {ret} | {kl} | KL per step {step}${opts.kl?.showBeta === false ? '' : ' | β {beta}'}`,
          stream: barStream(opts.out),
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, start, { sps: '–', ret: '–', kl: 'KL of the update –', step: '–', beta: '–' });
      return {
        update(r) {
          const sps = r['charts/env_steps_per_s'];
          bar.update(typeof r.update === 'number' ? r.update : start, {
            sps: typeof sps === 'number' ? String(Math.round(sps)) : '–',
            ret: num(r['charts/episodic_return']),
            kl: klOfUpdate(r, opts.kl?.klTarget ?? null),
            step: num(r['kl/exact_old_new'], 4),
            beta: num(r['kl/coef']),
          });
        },
        stop: () => bar.stop(),
      };
    }
  }
}
