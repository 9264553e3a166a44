/**
 * The `klip` command line (commander 14): `train`, `report`, `compare`, `frontier`, `reproduce`, `kl`, `bench`.
 * `runCli(argv, io)` runs in-process with injectable stdout/stderr and returns the exit code; `bin.ts` wires it to
 * `process`. Flags map onto `PpoConfig` and are validated by `resolvePpoConfig`, so the CLI and the library reject
 * the same values with the same words. Node only.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { KL_CONTROLLER_KINDS } from '../controllers/types.js';
import { BACKENDS, setBackend, type BackendName } from '../backend/backend.js';
import { ConfigError, KlipError, type KlipErrorDetails } from '../core/errors.js';
import { jsProbs, klProbs, tvProbs } from '../kl/probs.js';
import { controllerVerdict, formatControllerVerdict } from '../training/controller_verdict.js';
import {
  DEFAULT_PPO_CONFIG,
  hasKlTerm,
  OBJECTIVES,
  resolvePpoConfig,
  type PpoConfigInput,
  type ResolvedPpoConfig,
} from '../training/config.js';
import { WALL_CLOCK_METRICS } from '../training/metrics.js';
import { Trainer } from '../training/trainer.js';
import type { LinearScheduleSpec } from '../training/schedule.js';
import { KLIP_VERSION } from '../version.js';
import { ENV_IDS } from '../../envs/registry.js';
import { readJsonFile, writeFileAtomic, type AtomicFileSystem } from './atomic.js';
import {
  cellConfig,
  compareCells,
  compareFile,
  defaultCompareWorkers,
  formatCompareTable,
  aggregateCompare,
  mergeCompare,
  parseShard,
  readCompareFiles,
  runCompare,
  shardCells,
  writeCompareOutputs,
  type CompareGrid,
} from './compare.js';
import {
  computeFrontier,
  DEFAULT_FRONTIER_INPUTS,
  formatFrontierTable,
  frontierChart,
  isFrontierFolder,
  parseFrontierFlags,
  readFrontierFolder,
  writeFrontierFolder,
  type ReportFrontier,
} from './frontier.js';
import { parseNumberList } from './flags.js';
import { createProgress, progressModeFor, type KlLineOptions, type TextOut } from './progress.js';
import { runToFolder } from './session.js';
import { renderReportHtml, type ReportRun } from './report.js';
import {
  checkCreatable,
  createRun,
  diffMetrics,
  meanOfMetric,
  openRun,
  summarizeMetrics,
  type RunFolder,
  type RunSummary,
} from './run_folder.js';

/** Streams and context of one CLI invocation (inject them to run the CLI in-process). */
export interface CliIo {
  /** Standard output. */
  stdout: TextOut;
  /** Standard error. */
  stderr: TextOut;
  /** Folder relative paths are resolved against. @defaultValue process.cwd() */
  cwd: string;
  /** Aborting it has the effect of Ctrl-C during `train` (finish the update, checkpoint, exit 130). */
  signal?: AbortSignal;
  /** Listen for SIGINT on `process` during `train`. @defaultValue true */
  handleSigint: boolean;
  /** File-system operations for run-folder writes in `train` and `reproduce` (tests inject failures). @defaultValue NODE_ATOMIC_FS */
  fs?: AtomicFileSystem;
}

/** A named training preset: the config and the default output folder. */
export interface QuickstartPreset {
  /** The partial config handed to `Trainer.create`. */
  config: PpoConfigInput;
  /** The run folder, relative to the working directory. */
  out: string;
}

/**
 * The built-in quickstart: what `klip train` (and `npm start`) does with no flags. PPO with a clip + adaptive-KL
 * objective on slippery FrozenLake 4×4 with a tabular policy and the world's defaults (`WORLD_DEFAULTS`: 102 400 env
 * steps = 100 updates of 32 × 32), seed 1, written to `runs/quickstart` (that one folder is overwritten on each
 * plain run). With `--env`, the same objective and controller on another world with that world's defaults.
 * @example
 * ```ts
 * const trainer = await Trainer.create(QUICKSTART_CONFIG.config);
 * ```
 */
export const QUICKSTART_CONFIG: Readonly<QuickstartPreset> = Object.freeze({
  config: Object.freeze({
    env: 'frozenlake4x4',
    objective: 'clip+kl',
    klController: Object.freeze({ kind: 'adaptive' }) as PpoConfigInput['klController'] & object,
    klEstimator: 'exact',
    seed: 1,
  }) as PpoConfigInput,
  out: 'runs/quickstart',
});

/** Exit code after Ctrl-C (128 + SIGINT), as shells use. */
export const EXIT_INTERRUPTED = 130;

const KL_ESTIMATORS = ['k1', 'k3', 'exact'] as const;
const POLICY_KINDS = ['tabular', 'mlp'] as const;

/** Train flag (commander attribute) → config path, for applying flags and for naming them in errors. */
const FLAG_FIELDS: Record<string, { flag: string; path: string }> = {
  env: { flag: '--env', path: 'env' },
  objective: { flag: '--objective', path: 'objective' },
  klController: { flag: '--kl-controller', path: 'klController.kind' },
  beta: { flag: '--beta', path: 'klController.beta' },
  targetKl: { flag: '--target-kl', path: 'klController.target' },
  earlyStopKl: { flag: '--early-stop-kl', path: 'earlyStopKl' },
  klEstimator: { flag: '--kl-estimator', path: 'klEstimator' },
  policy: { flag: '--policy', path: 'policy.kind' },
  backend: { flag: '--backend', path: 'backend' },
  steps: { flag: '--steps', path: 'totalSteps' },
  seed: { flag: '--seed', path: 'seed' },
  // The hyperparameters a PPO user tunes, under CleanRL's flag names.
  lr: { flag: '--lr', path: 'lr' },
  annealLr: { flag: '--anneal-lr', path: 'annealLr' },
  numEnvs: { flag: '--num-envs', path: 'numEnvs' },
  nSteps: { flag: '--n-steps', path: 'nSteps' },
  epochs: { flag: '--epochs', path: 'epochs' },
  minibatches: { flag: '--minibatches', path: 'numMinibatches' },
  gamma: { flag: '--gamma', path: 'gamma' },
  gaeLambda: { flag: '--gae-lambda', path: 'gaeLambda' },
  clip: { flag: '--clip', path: 'clipEpsilon' },
  entCoef: { flag: '--ent-coef', path: 'entCoef' },
  vfCoef: { flag: '--vf-coef', path: 'vfCoef' },
  maxGradNorm: { flag: '--max-grad-norm', path: 'maxGradNorm' },
  hidden: { flag: '--hidden', path: 'policy.hidden' },
};

/** The train flag that sets a config path (`policy.hidden[1]` is set by `--hidden`), if one was given. */
function flagForPath(path: string, given: readonly string[]): string | undefined {
  const hit = Object.entries(FLAG_FIELDS).find(
    ([attr, f]) =>
      given.includes(attr) && (f.path === path || path.startsWith(`${f.path}[`) || path.startsWith(`${f.path}.`)),
  );
  if (!hit) return undefined;
  const inner = path.startsWith(`${hit[1].path}.`) ? path.slice(hit[1].path.length + 1) : '';
  return inner ? `${hit[1].flag} (${inner})` : hit[1].flag;
}

/**
 * `klip compare --seeds`: a count n (seeds 1…n) or a comma-separated list of distinct seeds (integers ≥ 0).
 * At most {@link MAX_COMPARE_SEEDS} either way, so a typo cannot ask for a billion runs.
 */
function parseSeeds(value: string): number | number[] {
  if (!value.includes(',')) {
    const n = parsePositiveInt('--seeds')(value);
    if (n > MAX_COMPARE_SEEDS) throw new InvalidArgumentError(`--seeds must be at most ${MAX_COMPARE_SEEDS} seeds.`);
    return n;
  }
  const what = `distinct integers ≥ 0 (at most ${MAX_COMPARE_SEEDS}), e.g. 3,7,11`;
  const xs = parseNumberList('compare', '--seeds', value, what);
  if (
    xs.some((x) => !Number.isSafeInteger(x) || x < 0) ||
    new Set(xs).size !== xs.length ||
    xs.length > MAX_COMPARE_SEEDS
  ) {
    throw usage('compare', '--seeds', `a count or a comma-separated list of ${what}`, value);
  }
  return xs;
}

/** The most seeds `klip compare --seeds` takes. */
const MAX_COMPARE_SEEDS = 10_000;

/** A boolean flag value: `true` or `false`. */
function parseBool(flag: string) {
  return (value: string): boolean => {
    if (value !== 'true' && value !== 'false') throw new InvalidArgumentError(`${flag} must be true or false.`);
    return value === 'true';
  };
}

/** `--max-grad-norm`: a number > 0, or `none` for no clipping (kept as 'none': commander turns a parsed null into ''). */
function parseMaxGradNorm(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  return parseNumber('--max-grad-norm', { min: 0, minExclusive: true })(value);
}

/** `--hidden 64,64`: layer sizes. */
function parseHidden(value: string): number[] {
  const what = 'layer sizes (integers ≥ 1), e.g. 64,64';
  const xs = parseNumberList('train', '--hidden', value, what);
  if (xs.some((x) => !Number.isSafeInteger(x) || x < 1))
    throw usage('train', '--hidden', `a comma-separated list of ${what}`, value);
  return xs;
}

function parseNumber(flag: string, opts: { integer?: boolean; min?: number; minExclusive?: boolean } = {}) {
  const kind = opts.integer ? 'an integer' : 'a number';
  const bound = opts.min === undefined ? '' : ` ${opts.minExclusive ? '>' : '≥'} ${opts.min}`;
  return (value: string): number => {
    const x = Number(value);
    const below = opts.min !== undefined && (opts.minExclusive ? x <= opts.min : x < opts.min);
    if (value.trim() === '' || !Number.isFinite(x) || (opts.integer && !Number.isInteger(x)) || below) {
      throw new InvalidArgumentError(`${flag} must be ${kind}${bound}.`);
    }
    return x;
  };
}

/**
 * A schedule flag: a number, or a linear ramp `START:END` / `START:END:FRACTION` (from START to END over the first
 * FRACTION of training, SB3 `LinearSchedule`), e.g. `--ent-coef 0.5:0:0.9`.
 */
function parseScheduleFlag(flag: string) {
  return (value: string): number | LinearScheduleSpec => {
    const parts = value.split(':').map((p) => p.trim());
    const xs = parts.map(Number);
    const bad =
      parts.length > 3 ||
      parts.some((p) => p === '') ||
      xs.some((x) => !Number.isFinite(x)) ||
      (parts.length === 3 && !(xs[2]! > 0 && xs[2]! <= 1));
    if (bad)
      throw new InvalidArgumentError(
        `${flag} must be a number, or START:END[:FRACTION] for a linear ramp (FRACTION in (0, 1]), got ${value}.`,
      );
    if (parts.length === 1) return xs[0]!;
    return { kind: 'linear', start: xs[0]!, end: xs[1]!, endFraction: parts.length === 3 ? xs[2]! : 1 };
  };
}

function parseSeed(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const x = Number(value);
    if (!Number.isSafeInteger(x) || x < 1) throw new InvalidArgumentError(`${flag} must be an integer ≥ 1.`);
    return x;
  };
}

function usage(fn: string, arg: string, expected: string, got: unknown, hint?: string): ConfigError {
  return new ConfigError({ fn, arg, expected, got, ...(hint ? { hint } : {}) });
}

/**
 * Re-word a library error about a value the user passed with `flag` so the one line the CLI prints names the flag
 * (docs/errors.md, CLI table): same class, `fn` = `train`, `arg` = `--flag (where: the inner argument)`.
 */
function asFlagError(flag: string, e: unknown): unknown {
  if (!(e instanceof KlipError) || e.message.includes(flag)) return e;
  const Cls = e.constructor as new (d: KlipErrorDetails) => KlipError;
  const inner = e.fn === 'openRun' ? '' : ` (${e.fn}: ${e.arg})`;
  const out = new Cls({
    fn: 'train',
    arg: `${flag}${inner}`,
    expected: e.expected,
    got: e.got,
    ...(e.hint ? { hint: e.hint } : {}),
  });
  Object.defineProperty(out, 'cause', { value: e, enumerable: false });
  return out;
}

function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Merge a partial config over another: nested `policy` merges, `klController` and `envOptions` replace. */
function mergeConfig(base: PpoConfigInput, over: PpoConfigInput): PpoConfigInput {
  const out: PpoConfigInput = { ...base, ...over };
  if (base.policy || over.policy) out.policy = { ...(base.policy ?? {}), ...(over.policy ?? {}) };
  return out;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) obj[head] = value;
  else obj[head] = { ...((obj[head] as Record<string, unknown> | undefined) ?? {}), [tail]: value };
}

function fmt(v: number | null | undefined, digits = 4): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(3);
  return String(Number(v.toFixed(digits)));
}

/**
 * The end-of-training summary table printed by `klip train`.
 * @param s The run summary.
 * @param dir The run folder (shown in the title).
 * @returns Aligned plain text.
 * @example
 * ```ts
 * process.stdout.write(formatSummaryTable(summary, 'runs/quickstart'));
 * ```
 */
export function formatSummaryTable(s: RunSummary, dir: string): string {
  const pct = (v: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(1)} %`);
  const rows: Array<[string, string]> = [
    ['final return (last 100 episodes)', fmt(s.finalReturn)],
    ['success rate (last 100 episodes)', pct(s.successRate)],
  ];
  if (s.optimalReturn !== null) {
    rows.push(['policy return (exact)', fmt(s.policyReturn)]);
    rows.push(['optimal return (exact)', fmt(s.optimalReturn)]);
    if (s.policyReturn !== null && s.optimalReturn > 0)
      rows.push(['policy / optimum', pct(s.policyReturn / s.optimalReturn)]);
  }
  const target = s.verdict?.target ?? null;
  if (s.meanUpdateKl !== undefined)
    rows.push([
      'KL of the update (mean, exact, nats)',
      `${fmt(s.meanUpdateKl, 6)}${target === null ? '' : ` (target ${target})`}`,
    ]);
  rows.push(['KL per optimizer step (mean, exact, nats)', fmt(s.meanStepKl, 6)]);
  if (hasKlTerm(s.objective)) rows.push(['final β', fmt(s.finalBeta)]);
  if (s.verdict) rows.push(['controller', formatControllerVerdict(s.verdict)]);
  rows.push(['wall time', `${s.wallTimeSeconds.toFixed(1)} s`]);
  rows.push(['updates / env steps', `${s.updates} / ${s.envSteps}`]);
  rows.push(['env · objective · controller', `${s.env} · ${s.objective} · ${s.controller}`]);
  rows.push(['seed · backend · klip', `${String(s.seed)} · ${s.backend} · ${s.klipVersion}`]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return `\nSummary of ${dir}${s.complete ? '' : ' (incomplete)'}\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

async function buildSummary(trainer: Trainer, run: RunFolder, wallTimeSeconds: number): Promise<RunSummary> {
  const cfg = trainer.config;
  const s: RunSummary = {
    run: run.name,
    klipVersion: KLIP_VERSION,
    env: cfg.env,
    objective: cfg.objective,
    controller: cfg.klController.kind,
    seed: cfg.seed,
    backend: cfg.backend,
    updates: trainer.update,
    envSteps: trainer.globalStep,
    wallTimeSeconds,
    ...summarizeMetrics(trainer.history),
    complete: trainer.done,
    meanUpdateKl: meanOfMetric(trainer.history, 'kl/exact_rollout_end'),
    verdict: controllerVerdict(trainer.history, cfg.klController, hasKlTerm(cfg.objective)),
  };
  if (s.optimalReturn === null && trainer.exactOptimum) s.optimalReturn = trainer.exactOptimum.optimalReturn;
  const snap = await trainer.policySnapshot();
  if (snap) {
    s.policy = snap;
    const frame = trainer.frame();
    if (frame) s.frame = frame;
  }
  return s;
}

interface TrainOpts {
  env?: string;
  objective?: string;
  klController?: string;
  beta?: number;
  targetKl?: number;
  earlyStopKl?: number;
  klEstimator?: string;
  policy?: string;
  backend?: string;
  steps?: number;
  seed?: number | string;
  lr?: number;
  annealLr?: boolean;
  numEnvs?: number;
  nSteps?: number;
  epochs?: number;
  minibatches?: number;
  gamma?: number;
  gaeLambda?: number;
  clip?: number | LinearScheduleSpec;
  entCoef?: number | LinearScheduleSpec;
  vfCoef?: number;
  maxGradNorm?: number | 'none';
  hidden?: number[];
  config?: string;
  preset: 'quickstart' | 'library';
  out?: string;
  resume?: string;
  force?: boolean;
  json?: boolean;
  checkpointEvery: number;
}

/** Resolve the train config from preset + config file + explicit flags, translating errors to flag names. */
async function trainConfig(
  cmd: Command,
  o: TrainOpts,
  io: CliIo,
): Promise<{ input: PpoConfigInput; resolved: ResolvedPpoConfig; fromFlags: string[] }> {
  let input: PpoConfigInput =
    o.preset === 'library' ? {} : (JSON.parse(JSON.stringify(QUICKSTART_CONFIG.config)) as PpoConfigInput);
  if (o.config !== undefined) {
    const file = await readJsonFile(resolve(io.cwd, o.config), { fn: 'train', arg: '--config' });
    if (!isPlainObject(file)) throw usage('train', '--config', 'a JSON object of PpoConfig fields', file);
    input = mergeConfig(input, file as PpoConfigInput);
  }
  const fromFlags: string[] = [];
  const obj = input as Record<string, unknown>;
  for (const [attr, { path }] of Object.entries(FLAG_FIELDS)) {
    if (cmd.getOptionValueSource(attr) !== 'cli') continue;
    fromFlags.push(attr);
    const raw = (o as unknown as Record<string, unknown>)[attr];
    const value = attr === 'maxGradNorm' && raw === 'none' ? null : raw;
    if (attr === 'klController' && (input.klController?.kind ?? DEFAULT_PPO_CONFIG.klController.kind) !== value) {
      obj.klController = { kind: value }; // another rule: drop the preset's parameters, keep its defaults
    } else if (attr === 'env' && (input.env ?? DEFAULT_PPO_CONFIG.env) !== value) {
      obj.env = value; // another world: the preset's envOptions (e.g. slippery) belong to the old one
      obj.envOptions = {};
    } else if (path.startsWith('klController.') && !input.klController) {
      obj.klController = { ...DEFAULT_PPO_CONFIG.klController };
      setPath(obj, path, value);
    } else {
      setPath(obj, path, value);
    }
  }
  if (typeof input.env === 'string' && !(ENV_IDS as readonly string[]).includes(input.env)) {
    throw usage(
      'train',
      o.config !== undefined && !fromFlags.includes('env') ? `env (in ${o.config})` : '--env',
      `one of ${ENV_IDS.join(', ')}`,
      input.env,
    );
  }
  try {
    return { input, resolved: resolvePpoConfig(input), fromFlags };
  } catch (e) {
    if (e instanceof ConfigError && e.fn === 'resolvePpoConfig') {
      const flag = flagForPath(e.arg, fromFlags);
      if (flag) throw usage('train', flag, e.expected, e.got);
      if (o.config !== undefined) throw usage('train', `${e.arg} (in ${o.config})`, e.expected, e.got);
    }
    throw e;
  }
}

async function runTrain(cmd: Command, o: TrainOpts, io: CliIo): Promise<number> {
  const human = o.json ? io.stderr : io.stdout;
  const t0 = performance.now();
  let priorWallTime = 0;
  const wallTime = (): number => priorWallTime + (performance.now() - t0) / 1000; // summed over invocations
  let trainer: Trainer;
  let run: RunFolder;
  let dir: string;
  if (o.resume !== undefined) {
    const given = [...Object.keys(FLAG_FIELDS), 'config', 'out', 'force', 'preset'].filter(
      (a) => cmd.getOptionValueSource(a) === 'cli',
    );
    if (given.length) {
      const flags = given.map((a) => FLAG_FIELDS[a]?.flag ?? `--${a}`);
      throw usage('train', flags.join(', '), 'left out with --resume (the run folder fixes the config)', flags[0]);
    }
    dir = resolve(io.cwd, o.resume);
    try {
      run = await openRun(dir, io.fs ? { fs: io.fs } : {});
    } catch (e) {
      throw asFlagError('--resume', e);
    }
    priorWallTime = await run.readWallTime(); // earlier invocations (up to their last checkpoint)
    try {
      trainer = await Trainer.restore(await run.readCheckpoint());
    } catch (e) {
      throw asFlagError('--resume', e);
    }
    await run.rewriteMetrics(trainer.history);
    human.write(`Resuming ${o.resume} at update ${trainer.update}/${trainer.config.numIterations}\n`);
  } else {
    const { input, resolved, fromFlags } = await trainConfig(cmd, o, io);
    const isQuickstart = o.preset === 'quickstart' && o.config === undefined && fromFlags.every((a) => a === 'backend');
    const outArg =
      o.out ??
      (isQuickstart
        ? QUICKSTART_CONFIG.out
        : `runs/${resolved.env}-${resolved.objective}-${String(resolved.seed)}-${timestamp()}`);
    dir = resolve(io.cwd, outArg);
    const force = (o.force ?? false) || (o.out === undefined && isQuickstart);
    checkCreatable(dir, force); // before anything is written
    trainer = await Trainer.create(input);
    try {
      const { batchSize: _b, minibatchSize: _m, numIterations: _n, ...plain } = trainer.config;
      run = await createRun(dir, {
        config: { ...plain, numIterations: trainer.config.numIterations },
        force,
        ...(io.fs ? { fs: io.fs } : {}),
      });
      // Crash safety: from the moment the folder is reported, it holds a checkpoint that loads (update 0).
      await run.writeCheckpoint(await trainer.save());
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    human.write(
      `Training ${resolved.objective} on ${resolved.env} (${resolved.numIterations} updates × ${resolved.batchSize} steps, seed ${String(resolved.seed)}, ${resolved.backend}) → ${outArg}\n`,
    );
  }

  const stop = new AbortController();
  const onInterrupt = (): void => {
    if (stop.signal.aborted) return;
    stop.abort();
    io.stderr.write('\nklip: interrupted; finishing the current update and writing a checkpoint…\n');
  };
  const onSigint = (): void => {
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED); // second Ctrl-C: checkpoints are atomic, so stopping now is safe
    onInterrupt();
  };
  if (io.handleSigint) process.on('SIGINT', onSigint);
  io.signal?.addEventListener('abort', onInterrupt);
  if (io.signal?.aborted) onInterrupt();
  const progressOut = o.json ? io.stdout : io.stderr;
  const progress = createProgress({
    mode: progressModeFor(progressOut, o.json ?? false),
    out: progressOut,
    totalUpdates: trainer.config.numIterations,
    startUpdate: trainer.update,
    kl: klLineOptions(trainer.config),
  });
  try {
    const outcome = await runToFolder(trainer, run, {
      checkpointEvery: o.checkpointEvery,
      signal: stop.signal,
      onRecord: (record) => progress.update(record),
      wallTime,
    });
    progress.stop();
    if (outcome.kind === 'diverged') {
      // Training diverged: the checkpoint was not touched (it holds the last good state); say where.
      io.stderr.write(
        `klip: NumericError at update ${outcome.attempted}/${trainer.config.numIterations}: ${outcome.error.message}. Training stopped; the last good checkpoint (update ${outcome.lastCheckpoint}) stays in ${run.path('checkpoint')}\n`,
      );
      return 1;
    }
    if (outcome.kind === 'interrupted') {
      const rel = o.resume ?? dir;
      io.stderr.write(
        `klip: checkpoint written at update ${trainer.update}/${trainer.config.numIterations}. Resume with: klip train --resume ${rel}\n`,
      );
      return EXIT_INTERRUPTED;
    }
    const summary = await buildSummary(trainer, run, wallTime());
    await run.writeSummary(summary);
    await run.writeReport(
      await renderReportHtml([{ name: run.name, config: await run.readConfig(), metrics: trainer.history, summary }]),
    );
    human.write(formatSummaryTable(summary, o.resume ?? o.out ?? dir));
    human.write(
      `Wrote ${dir}/{config.json, metrics.jsonl, metrics.csv, checkpoint.json, summary.json, report.html, wall_time.json}\n`,
    );
    return 0;
  } finally {
    progress.stop();
    if (io.handleSigint) process.off('SIGINT', onSigint);
    io.signal?.removeEventListener('abort', onInterrupt);
    trainer.dispose();
  }
}

/** The target printed beside the KL of the update, and whether β matters (objectives with a KL term). */
function klLineOptions(cfg: ResolvedPpoConfig): KlLineOptions {
  const verdict = controllerVerdict([], cfg.klController, hasKlTerm(cfg.objective));
  return { klTarget: verdict.target, showBeta: hasKlTerm(cfg.objective) };
}

/** The klip version recorded in a run folder: checkpoint.json's `klipVersion`, else summary.json's; null if neither. */
async function recordedVersion(run: RunFolder): Promise<string | null> {
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

const fmtMetric = (v: number | null | undefined): string => (v === undefined ? 'missing' : String(v));

async function runReproduce(dirArg: string, o: { out?: string }, io: CliIo): Promise<number> {
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
  const { numIterations: _n, batchSize: _b, minibatchSize: _m, ...input } = config;
  if (o.out !== undefined) checkCreatable(resolve(io.cwd, o.out), false, 'reproduce'); // before any work
  const trainer = await Trainer.create(input as PpoConfigInput);
  let outDir: string | null = null;
  let temp = false;
  try {
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
    trainer.dispose();
    if (temp && outDir !== null) await rm(outDir, { recursive: true, force: true });
  }
}

async function runReport(dirs: string[], o: { out?: string; title?: string }, io: CliIo): Promise<number> {
  const runs: ReportRun[] = [];
  const folders: RunFolder[] = [];
  const frontiers: ReportFrontier[] = []; // folders written by `klip frontier`
  for (const d of dirs) {
    // validate every folder before writing
    const p = resolve(io.cwd, d);
    if (isFrontierFolder(p)) frontiers.push(await readFrontierFolder(p));
    else folders.push(await openRun(p));
  }
  for (const f of folders)
    runs.push({
      name: f.name,
      config: await f.readConfig(),
      metrics: await f.readMetrics(),
      summary: await f.readSummary(),
    });
  const html = await renderReportHtml(runs, {
    ...(o.title ? { title: o.title } : {}),
    ...(frontiers.length ? { charts: [frontierChart(frontiers)], sources: frontiers.map((f) => f.name) } : {}),
  });
  const single =
    dirs.length === 1 ? (folders[0]?.path('report') ?? join(resolve(io.cwd, dirs[0]!), 'report.html')) : undefined;
  const out = o.out !== undefined ? resolve(io.cwd, o.out) : (single ?? resolve(io.cwd, 'report.html'));
  await writeFileAtomic(out, html);
  const fr = frontiers.length
    ? `${runs.length ? ', ' : ''}${frontiers.length} frontier${frontiers.length > 1 ? 's' : ''}`
    : '';
  io.stdout.write(
    `Wrote ${out} (${runs.length || !fr ? `${runs.length} run${runs.length > 1 ? 's' : ''}` : ''}${fr})\n`,
  );
  return 0;
}

interface FrontierOpts {
  rewards?: string;
  ref?: string;
  betas?: string;
  mode?: string;
  steps?: number;
  seed?: number | string;
  backend: BackendName;
  out?: string;
  force?: boolean;
  json?: boolean;
}

async function runFrontierCmd(o: FrontierOpts, io: CliIo): Promise<number> {
  const { backend, out, force, json, ...flags } = o;
  const inputs = parseFrontierFlags(flags); // every check before anything runs or is written
  const outArg = out ?? `runs/frontier-${timestamp()}`;
  const dir = resolve(io.cwd, outArg);
  checkCreatable(dir, force ?? false, 'frontier');
  const human = json ? io.stderr : io.stdout;
  human.write(
    `Training at β = ${inputs.betas.join(', ')} (${inputs.mode}, ${inputs.steps} Adam steps each, seed ${String(inputs.seed)}, ${backend}) → ${outArg}\n`,
  );
  await setBackend(backend);
  const file = computeFrontier(inputs);
  await writeFrontierFolder(dir, file);
  if (json) io.stdout.write(`${JSON.stringify(file)}\n`);
  human.write(
    `\nπ_ref = [${inputs.piRef.map((p) => Number(p.toFixed(4))).join(', ')}], r = [${inputs.rewards.join(', ')}]\n${formatFrontierTable(file)}`,
  );
  human.write(`Wrote ${outArg}/{frontier.json, report.html}\n`);
  return 0;
}

function parseList(flag: string, allowed: readonly string[]) {
  return (value: string): string[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.find((i) => !allowed.includes(i));
    if (items.length === 0 || bad !== undefined)
      throw new InvalidArgumentError(
        `${flag} must be a comma-separated list of ${allowed.join(', ')}${bad !== undefined ? ` (unknown: ${bad})` : ''}.`,
      );
    return [...new Set(items)];
  };
}

interface CompareOpts {
  env: string;
  objectives: string[];
  controllers: string[];
  seeds: number | number[];
  steps: number;
  backend?: string;
  config?: string;
  shard?: string;
  merge?: string[];
  out?: string;
  force?: boolean;
  workers?: number;
}

async function runCompareCmd(o: CompareOpts, io: CliIo): Promise<number> {
  if (o.merge) {
    const files = await readCompareFiles(o.merge.map((p) => resolve(io.cwd, p)));
    const { merged, missing } = mergeCompare(files);
    if (missing.length) {
      throw usage(
        'compare --merge',
        'folders',
        'shards that together cover the grid',
        `${files.length} folder(s)`,
        `Missing cells: ${missing.map((c) => `${c.index} (${c.objective}/${c.controller}/seed ${String(c.seed)})`).join(', ')}`,
      );
    }
    const outDir = resolve(io.cwd, o.out ?? `runs/compare-${merged.grid.env}-merged-${timestamp()}`);
    await writeCompareOutputs(outDir, merged);
    io.stdout.write(formatCompareTable(aggregateCompare(merged.results)));
    io.stdout.write(`Wrote ${outDir}/{compare.json, compare.csv, compare_runs.csv, compare.html}\n`);
    return 0;
  }
  if (!(ENV_IDS as readonly string[]).includes(o.env))
    throw usage('compare', '--env', `one of ${ENV_IDS.join(', ')}`, o.env);
  let base: PpoConfigInput = {};
  if (o.config !== undefined) {
    const file = await readJsonFile(resolve(io.cwd, o.config), { fn: 'compare', arg: '--config' });
    if (!isPlainObject(file)) throw usage('compare', '--config', 'a JSON object of PpoConfig fields', file);
    base = file as PpoConfigInput;
  }
  if (o.backend !== undefined) base = { ...base, backend: o.backend as never };
  const grid: CompareGrid = {
    env: o.env,
    objectives: o.objectives,
    controllers: o.controllers,
    seeds: Array.isArray(o.seeds) ? o.seeds : Array.from({ length: o.seeds }, (_, i) => i + 1),
    totalSteps: o.steps,
    base,
  };
  const shard = o.shard !== undefined ? parseShard(o.shard) : null;
  const all = compareCells(grid);
  const cells = shard ? shardCells(all, shard) : all;
  try {
    for (const c of cells.slice(0, 1)) resolvePpoConfig(cellConfig(grid, c)); // fail fast on a bad grid, before any file
  } catch (e) {
    if (e instanceof ConfigError && e.arg === 'totalSteps') throw usage('compare', '--steps', e.expected, e.got);
    throw e;
  }
  const outArg = o.out ?? `runs/compare-${o.env}${shard ? `-shard${shard.index}of${shard.count}` : ''}-${timestamp()}`;
  const outDir = resolve(io.cwd, outArg);
  if (existsSync(join(outDir, 'compare.json')) && !o.force) {
    throw usage('compare', '--out', 'a folder without a compare.json', outArg, 'Pick another --out or pass --force');
  }
  if (o.workers !== undefined && o.workers < 0)
    throw usage('compare', '--workers', 'an integer ≥ 0 (0 or 1 = in-process)', o.workers);
  const workers = Math.min(o.workers ?? defaultCompareWorkers(cells.length), cells.length);
  const results = await runCompare(grid, cells, {
    workers,
    onStart: ({ workers: used }) =>
      io.stderr.write(
        `Comparing ${cells.length}${shard ? ` of ${all.length}` : ''} runs on ${o.env} (${o.steps} env steps each)${shard ? `, shard ${shard.index}/${shard.count}` : ''}, ${used > 1 ? `${used} worker threads` : 'in-process'}\n`,
      ),
    onResult: (r, done, total) =>
      io.stderr.write(
        `  [${done}/${total}] ${r.objective} / ${r.controller} / seed ${String(r.seed)}: final return ${fmt(r.finalReturn)}, KL per optimizer step (mean) ${fmt(r.meanStepKl, 6)}\n`,
      ),
  });
  const file = compareFile(grid, shard, results);
  await writeCompareOutputs(outDir, file, { html: shard === null });
  io.stdout.write(formatCompareTable(aggregateCompare(results)));
  io.stdout.write(
    shard
      ? `Wrote shard ${shard.index}/${shard.count} to ${outArg}/compare.json; join the shards with: klip compare --merge <shard folders…>\n`
      : `Wrote ${outArg}/{compare.json, compare.csv, compare_runs.csv, compare.html}\n`,
  );
  return 0;
}

function parseProbs(flag: string, text: string): number[] {
  const what = 'non-negative numbers, e.g. 0.7,0.3';
  const xs = parseNumberList('kl', flag, text, what);
  if (xs.some((x) => x < 0)) throw usage('kl', flag, `a comma-separated list of ${what}`, text);
  const sum = xs.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw usage('kl', flag, 'probabilities that sum to 1', text, `They sum to ${sum}`);
  return xs;
}

function runKl(o: { p: string; q: string; json?: boolean }, io: CliIo): number {
  const p = parseProbs('--p', o.p);
  const q = parseProbs('--q', o.q);
  if (p.length !== q.length) throw usage('kl', '--q', `as many entries as --p (${p.length})`, o.q);
  const rows = [
    { name: 'KL(p‖q)', nats: klProbs(p, q) },
    { name: 'KL(q‖p)', nats: klProbs(q, p) },
    { name: 'JS(p, q)', nats: jsProbs(p, q) },
  ];
  const tv = tvProbs(p, q);
  if (o.json) {
    io.stdout.write(
      `${JSON.stringify({ p, q, klPQ: rows[0]!.nats, klQP: rows[1]!.nats, js: rows[2]!.nats, tv, unit: 'nats' })}\n`,
    );
    return 0;
  }
  const show = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : String(x));
  io.stdout.write(`p = [${p.join(', ')}]\nq = [${q.join(', ')}]\n\n`);
  io.stdout.write(`${'divergence'.padEnd(10)}  ${'nats'.padStart(12)}  ${'bits'.padStart(12)}\n`);
  for (const r of rows)
    io.stdout.write(`${r.name.padEnd(10)}  ${show(r.nats).padStart(12)}  ${show(r.nats / Math.LN2).padStart(12)}\n`);
  io.stdout.write(`${'TV(p, q)'.padEnd(10)}  ${show(tv).padStart(12)}  ${'(no unit)'.padStart(12)}\n`);
  io.stdout.write(
    '\nKL is not symmetric: KL(p‖q) = Σ p·log(p/q) averages under p; KL(q‖p) averages log(q/p) under q.\n',
  );
  return 0;
}

function findRepoRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'bench', 'index.ts'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'klip') return dir;
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

async function runBench(args: string[], io: CliIo): Promise<number> {
  const root = findRepoRoot(io.cwd);
  if (!root) {
    throw new KlipError({
      fn: 'bench',
      arg: 'working folder',
      expected: 'inside a klip source checkout (with bench/index.ts)',
      got: io.cwd,
      hint: 'The benchmarks are not shipped in the npm package: clone the repository and run `npm run bench` there',
    });
  }
  return new Promise<number>((res) => {
    const child = spawn('npx', ['tsx', 'bench/index.ts', ...args], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    child.on('error', (e) => {
      io.stderr.write(`klip: bench: could not start npx tsx (${e.message})\n`);
      res(1);
    });
    child.on('exit', (code, sig) => res(code ?? (sig ? 1 : 0)));
  });
}

function buildProgram(io: CliIo, setCode: (c: number) => void): Command {
  const program = new Command('klip');
  program
    .description(
      'Regularize policy optimization with KL divergences: train, report, compare and explore KL from the command line.',
    )
    .version(KLIP_VERSION, '-V, --version', 'print the klip version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(`klip: ${s.replace(/^error: /, '').trimEnd()}\n`),
    });

  const q = QUICKSTART_CONFIG.config;
  program
    .command('train')
    .description(
      'Train PPO with KL regularization and write a run folder (no flags: the quickstart on slippery FrozenLake 4×4).',
    )
    .addOption(new Option('--env <id>', 'environment').choices([...ENV_IDS]).default(q.env))
    .addOption(new Option('--objective <name>', 'objective').choices([...OBJECTIVES]).default(q.objective))
    .addOption(
      new Option('--kl-controller <kind>', 'KL coefficient rule')
        .choices([...KL_CONTROLLER_KINDS])
        .default(q.klController?.kind),
    )
    .addOption(
      new Option(
        '--beta <x>',
        "initial KL coefficient β (klController.beta; default: the rule's, 1 for adaptive and fixed, 0.2 for proportional and rllib)",
      ).argParser(parseNumber('--beta', { min: 0 })),
    )
    .addOption(
      new Option(
        '--target-kl <x>',
        "target of the KL of the update in nats (klController.target; default: the world's, 0.005 on frozenlake4x4, 0.01 elsewhere)",
      ).argParser(parseNumber('--target-kl', { min: 0, minExclusive: true })),
    )
    .addOption(
      new Option(
        '--early-stop-kl <x>',
        'early-stopping KL threshold (earlyStopKl): stop an update once its KL exceeds 1.5× this; default: the controller target for KL objectives, off otherwise',
      ).argParser(parseNumber('--early-stop-kl', { min: 0, minExclusive: true })),
    )
    .addOption(
      new Option('--kl-estimator <name>', 'KL estimator of the penalty and the controller (klEstimator)')
        .choices([...KL_ESTIMATORS])
        .default(q.klEstimator),
    )
    .addOption(
      new Option('--policy <kind>', 'policy kind').choices([...POLICY_KINDS]).default(DEFAULT_PPO_CONFIG.policy.kind),
    )
    .addOption(
      new Option('--backend <name>', 'tfjs backend').choices([...BACKENDS]).default(DEFAULT_PPO_CONFIG.backend),
    )
    .addOption(
      new Option(
        '--steps <n>',
        "total env steps (totalSteps; default: the world's budget, 102400 on frozenlake4x4)",
      ).argParser(parseNumber('--steps', { integer: true })),
    )
    .addOption(new Option('--seed <s>', 'root seed (integer or string)').argParser(parseSeed).default(q.seed))
    .addOption(
      new Option('--lr <x>', "Adam learning rate (lr; default: the world's, 0.2 tabular, 2.5e-4 MLP)").argParser(
        parseNumber('--lr', { min: 0, minExclusive: true }),
      ),
    )
    .addOption(
      new Option(
        '--anneal-lr <bool>',
        "anneal the learning rate linearly to 0 (annealLr; default: the world's)",
      ).argParser(parseBool('--anneal-lr')),
    )
    .addOption(
      new Option('--num-envs <n>', "parallel env copies (numEnvs; default: the world's, 32 on the grids)").argParser(
        parseNumber('--num-envs', { integer: true }),
      ),
    )
    .addOption(
      new Option('--n-steps <n>', "steps per env per update (nSteps; default: the world's)").argParser(
        parseNumber('--n-steps', { integer: true }),
      ),
    )
    .addOption(
      new Option('--epochs <n>', 'passes over each batch (epochs; default: 4)').argParser(
        parseNumber('--epochs', { integer: true }),
      ),
    )
    .addOption(
      new Option('--minibatches <n>', 'minibatches per epoch (numMinibatches; default: 4)').argParser(
        parseNumber('--minibatches', { integer: true }),
      ),
    )
    .addOption(
      new Option('--gamma <x>', "discount γ (default: the world's, 0.99; 0.995 on frozenlake8x8)").argParser(
        parseNumber('--gamma'),
      ),
    )
    .addOption(
      new Option('--gae-lambda <x>', "GAE λ (gaeLambda; default: the world's)").argParser(parseNumber('--gae-lambda')),
    )
    .addOption(
      new Option(
        '--clip <x>',
        'PPO clip range ε, or START:END[:FRACTION] for a linear ramp (clipEpsilon; default: 0.2)',
      ).argParser(parseScheduleFlag('--clip')),
    )
    .addOption(
      new Option(
        '--ent-coef <x>',
        "entropy bonus coefficient, or START:END[:FRACTION] for a linear ramp (entCoef; default: the world's, 0.01)",
      ).argParser(parseScheduleFlag('--ent-coef')),
    )
    .addOption(
      new Option('--vf-coef <x>', 'value loss coefficient (vfCoef; default: 0.5)').argParser(parseNumber('--vf-coef')),
    )
    .addOption(
      new Option('--max-grad-norm <x>', 'global gradient-norm clip, or none (maxGradNorm; default: 0.5)').argParser(
        parseMaxGradNorm,
      ),
    )
    .addOption(
      new Option('--hidden <sizes>', 'MLP hidden layer sizes, e.g. 64,64 (policy.hidden; default: 64,64)').argParser(
        parseHidden,
      ),
    )
    .addOption(new Option('--config <file.json>', 'partial PpoConfig as JSON; flags override it'))
    .addOption(
      new Option('--preset <name>', 'base config under --config and flags: the quickstart, or the library defaults')
        .choices(['quickstart', 'library'])
        .default('quickstart'),
    )
    .addOption(
      new Option(
        '--out <dir>',
        `run folder (default: ${QUICKSTART_CONFIG.out} for the plain quickstart, else runs/<env>-<objective>-<seed>-<yyyymmdd-hhmmss>)`,
      ),
    )
    .addOption(new Option('--resume <dir>', 'continue the run in <dir> from its checkpoint'))
    .addOption(new Option('--force', 'replace an existing run folder').default(false))
    .addOption(
      new Option('--checkpoint-every <n>', 'write checkpoint.json every n updates (and at the end)')
        .argParser(parsePositiveInt('--checkpoint-every'))
        .default(10),
    )
    .addOption(
      new Option('--json', 'print one JSON metric record per update on stdout (human output goes to stderr)').default(
        false,
      ),
    )
    .action(async (opts: TrainOpts, cmd: Command) => setCode(await runTrain(cmd, opts, io)));

  program
    .command('report')
    .description('Write a standalone report.html (inline SVG charts) for one or more runs; several runs overlay.')
    .argument('<runs...>', 'run folders')
    .addOption(
      new Option(
        '--out <file>',
        'output HTML file (default: <run>/report.html for one run, ./report.html for several)',
      ),
    )
    .addOption(new Option('--title <text>', 'page title').default('klip report'))
    .action(async (dirs: string[], opts: { out?: string; title?: string }) => setCode(await runReport(dirs, opts, io)));

  program
    .command('compare')
    .description(
      'Ablation grid (PPO paper Table 1 style): objectives × KL controllers × seeds; --shard i/n runs one slice, --merge joins slices.',
    )
    .addOption(new Option('--env <id>', 'environment').choices([...ENV_IDS]).default('frozenlake4x4'))
    .addOption(
      new Option('--objectives <list>', 'comma-separated objectives')
        .argParser(parseList('--objectives', OBJECTIVES))
        .default([...OBJECTIVES], OBJECTIVES.join(',')),
    )
    .addOption(
      new Option('--controllers <list>', 'comma-separated KL controllers (for kl-penalty and clip+kl)')
        .argParser(parseList('--controllers', KL_CONTROLLER_KINDS))
        .default(['adaptive'], 'adaptive'),
    )
    .addOption(
      new Option('--seeds <n|list>', 'seeds per cell: a count n (seeds 1…n) or a list, e.g. 3,7,11')
        .argParser(parseSeeds)
        .default(3),
    )
    .addOption(new Option('--steps <n>', 'env steps per run').argParser(parsePositiveInt('--steps')).default(20_480))
    .addOption(
      new Option('--backend <name>', 'tfjs backend (default: from --config, else wasm)').choices([...BACKENDS]),
    )
    .addOption(new Option('--config <file.json>', 'partial PpoConfig shared by every run'))
    .addOption(new Option('--shard <i/n>', 'run only the i-th of n deterministic slices (1-based)'))
    .addOption(new Option('--merge <dirs...>', 'join the compare.json of shard folders instead of running'))
    .addOption(
      new Option('--out <dir>', 'output folder (default: runs/compare-<env>[-shard<i>of<n>]-<yyyymmdd-hhmmss>)'),
    )
    .addOption(new Option('--force', 'overwrite an existing compare.json').default(false))
    .addOption(
      new Option(
        '--workers <n>',
        'worker threads running cells in parallel; 0 or 1 = in-process (default: min(available cores, cells))',
      ).argParser(parseNumber('--workers', { integer: true })),
    )
    .action(async (opts: CompareOpts) => setCode(await runCompareCmd(opts, io)));

  const fd = DEFAULT_FRONTIER_INPUTS;
  program
    .command('frontier')
    .description(
      'Reward–KL frontier: train a tabular policy on the KL-regularized bandit at each β and plot E[r] against KL(π‖π_ref) beside the closed form.',
    )
    .addOption(new Option('--rewards <list>', 'reward per arm, comma-separated').default(fd.rewards.join(',')))
    .addOption(
      new Option('--ref <probs>', 'π_ref: "uniform" or comma-separated probabilities > 0 (one per arm)').default(
        'uniform',
      ),
    )
    .addOption(new Option('--betas <list>', 'KL coefficients β > 0, comma-separated').default(fd.betas.join(',')))
    .addOption(
      new Option('--mode <mode>', 'gradient: exact over the arms, or sampled (REINFORCE with the k1 reward penalty)')
        .choices(['exact', 'sampled'])
        .default(fd.mode),
    )
    .addOption(
      new Option('--steps <n>', 'Adam steps per β (lr 0.1)').argParser(parsePositiveInt('--steps')).default(fd.steps),
    )
    .addOption(new Option('--seed <s>', 'root seed (integer or string)').argParser(parseSeed).default(fd.seed))
    .addOption(
      new Option('--backend <name>', 'tfjs backend').choices([...BACKENDS]).default(DEFAULT_PPO_CONFIG.backend),
    )
    .addOption(new Option('--out <dir>', 'output folder (default: runs/frontier-<yyyymmdd-hhmmss>)'))
    .addOption(new Option('--force', 'replace the files of an existing folder').default(false))
    .addOption(new Option('--json', 'print frontier.json on stdout (the table goes to stderr)').default(false))
    .action(async (opts: FrontierOpts) => setCode(await runFrontierCmd(opts, io)));

  program
    .command('reproduce')
    .description(
      "Re-run a run folder's config.json (same seed and backend) and check that metrics.jsonl comes out identical, record by record (wall-clock keys excepted).",
    )
    .argument('<dir>', 'run folder')
    .addOption(
      new Option('--out <dir>', 'keep the re-run in this new folder (default: a temporary folder, removed afterwards)'),
    )
    .action(async (dir: string, opts: { out?: string }) => setCode(await runReproduce(dir, opts, io)));

  program
    .command('kl')
    .description('Forward and reverse KL, JS and TV between two categorical distributions, in nats and bits.')
    .requiredOption('--p <probs>', 'first distribution, e.g. 0.7,0.3')
    .requiredOption('--q <probs>', 'second distribution, e.g. 0.4,0.6')
    .option('--json', 'print one JSON object', false)
    .action((opts: { p: string; q: string; json?: boolean }) => setCode(runKl(opts, io)));

  program
    .command('bench')
    .description('Run the benchmarks (from a klip source checkout: npx tsx bench/index.ts [args]).')
    .argument('[args...]', 'passed to bench/index.ts (e.g. --json)')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => setCode(await runBench(args, io)));

  return program;
}

/**
 * Run the `klip` command line in-process.
 *
 * Exit codes: 0 success; 2 usage or configuration errors (unknown flag, bad value, malformed config, not a run
 * folder); 1 other errors (damaged checkpoint, runtime failure; unexpected errors also print their stack);
 * 130 after Ctrl-C (a checkpoint was written; `--resume` continues).
 * @param argv Arguments after the program name, e.g. `['train', '--steps', '2048']`.
 * @param io Optional streams, working folder, abort signal and SIGINT handling (defaults: `process`).
 * @returns The exit code.
 * @example
 * ```ts
 * const code = await runCli(['kl', '--p', '0.7,0.3', '--q', '0.4,0.6']);
 * ```
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    handleSigint: io.handleSigint ?? true,
    ...(io.fs ? { fs: io.fs } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  let code = 0;
  const program = buildProgram(full, (c) => (code = c));
  if (argv.length === 0) {
    // No command is a usage error (exit 2), not a success: say what is expected after the help.
    full.stderr.write(program.helpInformation());
    full.stderr.write(
      `klip: a command is required (${program.commands.map((c) => c.name()).join(', ')}); try klip train\n`,
    );
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof KlipError) {
      full.stderr.write(`klip: ${e.message}\n`);
      return e instanceof ConfigError ? 2 : 1;
    }
    full.stderr.write(`klip: unexpected error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
