/**
 * `klip train` (and `--resume`): the config from preset, file and flags, the session, the summary and the report. Node only.
 * @module
 */
import { acquireRunLock, type RunLock } from '../lock.js';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, EnvError, KlipError, type KlipErrorDetails } from '../../core/errors.js';
import { CUSTOM_ENV_PREFIX, type EnvFactory } from '../../training/world.js';
import { loadEnvModule, readMapFile } from '../env_module.js';
import { controllerVerdict, formatControllerVerdict } from '../../training/controller_verdict.js';
import {
  DEFAULT_PPO_CONFIG,
  hasKlTerm,
  resolvePpoConfig,
  type PpoConfigInput,
  type ResolvedPpoConfig,
} from '../../training/config.js';
import { Trainer } from '../../training/trainer.js';
import type { LinearScheduleSpec } from '../../training/schedule.js';
import { KLIP_VERSION } from '../../version.js';
import { ENV_IDS } from '../../../envs/registry.js';
import { readJsonFile } from '../atomic.js';
import { createProgress, progressModeFor, type KlLineOptions } from '../progress.js';
import { runToFolder } from '../session.js';
import {
  discardSetAside,
  findSetAside,
  restoreSetAside,
  recoverSetAside,
  setAsideRun,
  type SetAside,
} from '../aside.js';
import { renderReportHtml } from '../report.js';
import {
  RUN_FILES,
  isKlipRunFolder,
  removeStaleTempFiles,
  checkCreatable,
  createRun,
  meanOfMetric,
  openRun,
  summarizeMetrics,
  type RunFolder,
  type RunSummary,
} from '../run_folder.js';
import {
  type CliIo,
  QUICKSTART_CONFIG,
  EXIT_INTERRUPTED,
  FLAG_FIELDS,
  flagForPath,
  usage,
  asFlagError,
  timestamp,
  isPlainObject,
  fmt,
  ENV_OPTION_FLAGS,
} from './shared.js';

/** Merge a partial config over another: nested `policy` merges, `klController` and `envOptions` replace. */
export function mergeConfig(base: PpoConfigInput, over: PpoConfigInput): PpoConfigInput {
  const out: PpoConfigInput = { ...base, ...over };
  if (base.policy || over.policy) out.policy = { ...(base.policy ?? {}), ...(over.policy ?? {}) };
  return out;
}

/** Set `obj[a]` or `obj[a][b]` for a flag path `a` or `a.b` (creating the inner object). */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) obj[head] = value;
  else obj[head] = { ...((obj[head] as Record<string, unknown> | undefined) ?? {}), [tail]: value };
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
  rows.push([
    'seed · backend · engine · klip',
    `${String(s.seed)} · ${s.backend} · ${s.engine ?? 'tfjs'} · ${s.klipVersion}`,
  ]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return `\nSummary of ${dir}${s.complete ? '' : ' (incomplete)'}\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

/** The run summary written to summary.json: final metrics, the exact optimum, the controller verdict, the final policy and a frame of the world. */
export async function buildSummary(trainer: Trainer, run: RunFolder, wallTimeSeconds: number): Promise<RunSummary> {
  const cfg = trainer.config;
  const s: RunSummary = {
    run: run.name,
    klipVersion: KLIP_VERSION,
    env: cfg.env,
    objective: cfg.objective,
    controller: cfg.klController.kind,
    seed: cfg.seed,
    backend: cfg.backend,
    engine: cfg.engine,
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

/** The parsed options of `klip train` (docs/cli.md lists each flag and the config field it sets). */
export interface TrainOpts {
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
  refKl?: string;
  refPlacement?: string;
  refBeta?: number;
  engine?: string;
  evalEvery?: number;
  evalEpisodes?: number;
  slippery?: boolean;
  timeLimit?: number | 'none';
  stepReward?: number;
  goalReward?: number;
  holeReward?: number;
  map?: string;
  envModule?: string;
  config?: string;
  preset: 'quickstart' | 'library';
  out?: string;
  resume?: string;
  force?: boolean;
  json?: boolean;
  checkpointEvery: number;
}

/** Resolve the train config from preset + config file + explicit flags, translating errors to flag names. */
export async function trainConfig(
  cmd: Command,
  o: TrainOpts,
  io: CliIo,
): Promise<{
  input: PpoConfigInput;
  resolved: ResolvedPpoConfig;
  fromFlags: string[];
  /** The env module's factory and path, with `--env-module`. */
  world?: { factory: EnvFactory; path: string };
}> {
  let input: PpoConfigInput =
    o.preset === 'library' ? {} : (JSON.parse(JSON.stringify(QUICKSTART_CONFIG.config)) as PpoConfigInput);
  if (o.config !== undefined) {
    const file = await readJsonFile(resolve(io.cwd, o.config), { fn: 'train', arg: '--config' });
    if (!isPlainObject(file)) throw usage('train', '--config', 'a JSON object of PpoConfig fields', file);
    input = mergeConfig(input, file as PpoConfigInput);
  }
  const fromFlags: string[] = [];
  const obj = input as Record<string, unknown>;
  const given = (attr: string): boolean => cmd.getOptionValueSource(attr) === 'cli';
  if (o.map !== undefined && o.envModule !== undefined) {
    throw usage('train', '--map', 'left out with --env-module (one world at a time)', o.map);
  }
  if ((o.map !== undefined || o.envModule !== undefined) && given('env')) {
    const flag = o.map !== undefined ? '--map' : '--env-module';
    throw usage('train', '--env', `left out with ${flag}, which names the world`, o.env);
  }
  let world: { factory: EnvFactory; path: string } | undefined;
  if (o.map !== undefined) {
    const rows = readMapFile('train', '--map', o.map, io.cwd);
    obj.envOptions = { ...(input.env === 'gridworld' ? input.envOptions : {}), map: rows };
    obj.env = 'gridworld';
  } else if (o.envModule !== undefined) {
    const bad = ENV_OPTION_FLAGS.find((a) => given(a));
    if (bad)
      throw usage('train', FLAG_FIELDS[bad]!.flag, 'left out with --env-module (the module builds its env)', o[bad]);
    world = await loadEnvModule('train', '--env-module', o.envModule, io.cwd);
    obj.env = `custom:${basename(world.path).replace(/\.[cm]?js$/, '')}`; // a placeholder until the trainer names it
    obj.envOptions = {};
  }
  for (const [attr, { path }] of Object.entries(FLAG_FIELDS)) {
    if (!given(attr)) continue;
    fromFlags.push(attr);
    const raw: unknown = Reflect.get(o, attr);
    const value = (attr === 'maxGradNorm' || attr === 'timeLimit') && raw === 'none' ? null : raw;
    if (attr === 'klController' && (input.klController?.kind ?? DEFAULT_PPO_CONFIG.klController.kind) !== value) {
      obj.klController = { kind: value }; // another rule: drop the preset's parameters, keep its defaults
    } else if (attr === 'env' && (input.env ?? DEFAULT_PPO_CONFIG.env) !== value) {
      obj.env = value; // another world: the preset's envOptions (e.g. slippery) belong to the old one
      obj.envOptions = {};
    } else if (attr === 'refBeta') {
      obj.referenceKl = { ...(input.referenceKl ?? {}), controller: { kind: 'fixed', beta: value } };
    } else if (path.startsWith('klController.') && !input.klController) {
      obj.klController = { ...DEFAULT_PPO_CONFIG.klController };
      setPath(obj, path, value);
    } else {
      setPath(obj, path, value);
    }
  }
  if (world === undefined && typeof input.env === 'string' && !(ENV_IDS as readonly string[]).includes(input.env)) {
    throw usage(
      'train',
      o.config !== undefined && !fromFlags.includes('env') ? `env (in ${o.config})` : '--env',
      `one of ${ENV_IDS.join(', ')}`,
      input.env,
    );
  }
  try {
    return { input, resolved: resolvePpoConfig(input), fromFlags, ...(world ? { world } : {}) };
  } catch (e) {
    if (e instanceof ConfigError && e.fn === 'resolvePpoConfig') {
      const flag = flagForPath(e.arg, fromFlags);
      if (flag) throw usage('train', flag, e.expected, e.got);
      if (o.config !== undefined) throw usage('train', `${e.arg} (in ${o.config})`, e.expected, e.got);
    }
    throw e;
  }
}

/**
 * The env module a run on a user's world was trained with (`envModule` in its `klip.json`), loaded again; undefined
 * for a registered world.
 * @throws ConfigError naming `flag` when the run is on a user's world and the folder does not say which module.
 */
export async function recordedWorld(
  run: RunFolder,
  env: string,
  flag: string,
  cwd: string,
): Promise<EnvFactory | undefined> {
  if (!env.startsWith(CUSTOM_ENV_PREFIX)) return undefined;
  const marker = await readJsonFile(run.path('marker'), { fn: 'train', arg: flag });
  const path = isPlainObject(marker) && typeof marker.envModule === 'string' ? marker.envModule : undefined;
  if (path === undefined) {
    throw usage('train', flag, `a run folder whose klip.json names the env module of ${env} (envModule)`, run.dir);
  }
  return (await loadEnvModule('train', flag, path, cwd)).factory;
}

/**
 * Refuse `--resume` when `config.json` no longer says what the checkpoint was trained with (an edit, or files of two
 * runs): klip would otherwise continue with the checkpoint's config and silently ignore the edit.
 * @throws ConfigError naming `--resume` and the keys that differ.
 */
export function checkConfigMatches(fileConfig: unknown, ckptConfig: object, dir: string): void {
  const file: Record<string, unknown> = isPlainObject(fileConfig) ? { ...fileConfig } : {};
  delete file.numIterations; // derived; config.json records it for readers, the checkpoint does not
  const ckpt: Record<string, unknown> = { ...ckptConfig };
  const keys = [...new Set([...Object.keys(file), ...Object.keys(ckpt)])];
  const differ = keys.filter((k) => JSON.stringify(file[k]) !== JSON.stringify(ckpt[k]));
  if (differ.length > 0) {
    throw usage(
      'train',
      '--resume',
      "a run folder whose config.json matches its checkpoint's config",
      `${dir}: config.json differs in ${differ.join(', ')}`,
      'A run continues with the config it was trained with; to change it, start a new run (--config, flags)',
    );
  }
}

/**
 * Name the flag behind a world error of `Trainer.create` (the map's options, `--map`, `--env-module`) as a usage
 * error (exit code 2): the user's file or flag is wrong, not klip.
 */
function envFlagError(e: unknown, fromFlags: readonly string[], world: { path: string } | undefined): unknown {
  if (!(e instanceof KlipError)) return e;
  const as = (flag: string): ConfigError => usage('train', `${flag} (${e.fn}: ${e.arg})`, e.expected, e.got, e.hint);
  if (world && (e.fn === 'Trainer.create' || e.fn === 'checkEnv') && (e.arg === 'env' || e instanceof EnvError))
    return as('--env-module');
  if (e.fn === 'makeEnv' && e.arg.startsWith('options.')) {
    const flag = flagForPath(`envOptions.${e.arg.slice('options.'.length)}`, fromFlags);
    if (flag) return usage('train', flag, e.expected, e.got);
  }
  if (e instanceof EnvError && e.fn.startsWith('Gridworld')) return as('--map');
  return e;
}

/** Run `klip train` (and `--resume`) with parsed options; returns the exit code. */
export async function runTrain(cmd: Command, o: TrainOpts, io: CliIo): Promise<number> {
  const locks: RunLock[] = [];
  try {
    return await trainUnderLock(cmd, o, io, locks);
  } finally {
    for (const lock of locks) lock.release();
  }
}

/**
 * Take the run folder's write lock (one writer per folder), saying so when it replaces a dead writer's lock, and
 * clean up after a killed writer: its atomic-write temp files, and a run its `--force` had set aside (put back, since
 * the replacement never reached its first checkpoint).
 */
async function lockRun(dir: string, io: CliIo, locks: RunLock[]): Promise<void> {
  const lock = acquireRunLock(dir, 'train');
  locks.push(lock);
  if (lock.tookOver) {
    io.stderr.write(`klip: took over ${lock.path} from pid ${lock.tookOver.pid}, which is no longer running\n`);
  }
  removeStaleTempFiles(dir); // left by an interrupted atomic write; no other writer holds the folder now
  for (const r of await recoverSetAside(dir, Object.values(RUN_FILES))) {
    io.stderr.write(
      r.kind === 'restored'
        ? `klip: restored the run that pid ${r.aside.pid} had set aside in ${r.aside.path} for --force (its replacement stopped before its first checkpoint)\n`
        : `klip: removed ${r.aside.path}, left by pid ${r.aside.pid} after its --force run's first checkpoint\n`,
    );
  }
}

/** A klip error with a note added to its hint (same class, fields and cause): what happened to the replaced run. */
function withNote(e: unknown, note: string, io: CliIo): unknown {
  if (!(e instanceof KlipError)) {
    io.stderr.write(`klip: ${note}\n`); // the unexpected error's stack follows
    return e;
  }
  const Cls = e.constructor as new (d: KlipErrorDetails) => KlipError;
  const out = new Cls({
    fn: e.fn,
    arg: e.arg,
    expected: e.expected,
    got: e.got,
    hint: e.hint ? `${e.hint}; ${note}` : note,
  });
  Object.defineProperty(out, 'cause', { value: e, enumerable: false });
  return out;
}

async function trainUnderLock(cmd: Command, o: TrainOpts, io: CliIo, locks: RunLock[]): Promise<number> {
  const human = o.json ? io.stderr : io.stdout;
  const t0 = performance.now();
  let priorWallTime = 0;
  const wallTime = (): number => priorWallTime + (performance.now() - t0) / 1000; // summed over invocations
  let trainer: Trainer;
  let run: RunFolder;
  let dir: string;
  /** The run a --force replaces, set aside until the new run's first checkpoint of a completed update. */
  let aside: SetAside | null = null;
  /** Put the replaced run back (the new one stopped before its first checkpoint); returns what to tell the user. */
  const putBack = async (from: SetAside): Promise<string> => {
    aside = null;
    try {
      await restoreSetAside(from, Object.values(RUN_FILES));
    } catch (restoreError) {
      return `the run --force replaced could not be put back: ${(restoreError as Error).message}`;
    }
    return `the run --force replaced is back in ${from.runDir}`;
  };
  /** `e`, with the note on the replaced run when there was one (see {@link putBack}). */
  const rollBack = async (e: unknown): Promise<unknown> => (aside === null ? e : withNote(e, await putBack(aside), io));
  if (o.resume !== undefined) {
    const given = [...Object.keys(FLAG_FIELDS), 'config', 'out', 'force', 'preset'].filter(
      (a) => cmd.getOptionValueSource(a) === 'cli',
    );
    if (given.length) {
      const flags = given.map((a) => FLAG_FIELDS[a]?.flag ?? `--${a}`);
      throw usage('train', flags.join(', '), 'left out with --resume (the run folder fixes the config)', flags[0]);
    }
    dir = resolve(io.cwd, o.resume);
    // A run set aside by a killed --force is put back first (openRun would otherwise refuse the folder).
    if (findSetAside(dir).length > 0) await lockRun(dir, io, locks);
    try {
      run = await openRun(dir, io.fs ? { fs: io.fs } : {});
    } catch (e) {
      throw asFlagError('--resume', e);
    }
    if (locks.length === 0) await lockRun(dir, io, locks); // before anything in the folder is read for writing
    priorWallTime = await run.readWallTime(); // earlier invocations (up to their last checkpoint)
    try {
      const ckpt = await run.readCheckpoint();
      checkConfigMatches(await run.readConfig(), ckpt.config, dir);
      const world = await recordedWorld(run, ckpt.config.env, '--resume', io.cwd);
      // The history up to the checkpoint: a version 1 checkpoint holds it, later ones leave it to metrics.jsonl.
      const history = ckpt.history ?? (await run.readHistory(ckpt.update));
      trainer = await Trainer.restore(ckpt, { history, ...(world ? { env: world } : {}) });
    } catch (e) {
      throw asFlagError('--resume', e);
    }
    await run.rewriteMetrics(trainer.history);
    human.write(`Resuming ${o.resume} at update ${trainer.update}/${trainer.config.numIterations}\n`);
  } else {
    const { input, resolved, fromFlags, world } = await trainConfig(cmd, o, io);
    const isQuickstart = o.preset === 'quickstart' && o.config === undefined && fromFlags.every((a) => a === 'backend');
    const outArg =
      o.out ??
      (isQuickstart
        ? QUICKSTART_CONFIG.out
        : `runs/${resolved.env.replace(':', '-')}-${resolved.objective}-${String(resolved.seed)}-${timestamp()}`);
    dir = resolve(io.cwd, outArg);
    const force = (o.force ?? false) || (o.out === undefined && isQuickstart);
    checkCreatable(dir, force); // before anything is written
    try {
      trainer = await Trainer.create(world ? { ...input, env: world.factory } : input);
    } catch (e) {
      throw envFlagError(e, fromFlags, world);
    }
    try {
      await lockRun(dir, io, locks); // before anything in the folder is replaced
      // --force over a run: set the old run aside until the new one has a checkpoint of a completed update.
      if (force && isKlipRunFolder(dir)) aside = await setAsideRun(dir, Object.values(RUN_FILES));
      const { batchSize: _b, minibatchSize: _m, numIterations: _n, ...plain } = trainer.config;
      run = await createRun(dir, {
        config: { ...plain, numIterations: trainer.config.numIterations },
        force,
        ...(world ? { marker: { envModule: world.path } } : {}),
        ...(io.fs ? { fs: io.fs } : {}),
      });
      // Crash safety: from the moment the folder is reported, it holds a checkpoint that loads (update 0).
      await run.writeCheckpoint(await trainer.save({ history: false }));
    } catch (e) {
      trainer.dispose();
      throw await rollBack(e);
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
    let outcome: Awaited<ReturnType<typeof runToFolder>>;
    try {
      outcome = await runToFolder(trainer, run, {
        checkpointEvery: o.checkpointEvery,
        signal: stop.signal,
        onRecord: (record) => progress.update(record),
        onCheckpoint: async (update) => {
          // The new run has a checkpoint of a completed update: the run it replaces is no longer needed.
          if (update >= 1 && aside !== null) {
            const done = aside;
            aside = null;
            await discardSetAside(done);
          }
        },
        wallTime,
      });
    } catch (e) {
      progress.stop();
      throw await rollBack(e);
    }
    progress.stop();
    if (aside !== null) {
      // Stopped before its first checkpoint past update 0 (diverged, or Ctrl-C before the first update ended).
      const note = await putBack(aside);
      io.stderr.write(
        `klip: ${outcome.kind === 'diverged' ? `NumericError at update ${outcome.attempted}/${trainer.config.numIterations}: ${outcome.error.message}` : 'interrupted before the first update ended'}. The new run stopped before its first checkpoint; ${note}\n`,
      );
      return outcome.kind === 'diverged' ? 1 : EXIT_INTERRUPTED;
    }
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
      `Wrote ${dir}/{klip.json, config.json, metrics.jsonl, metrics.csv, checkpoint.json, ${trainer.config.evalEvery !== null ? 'best.json, ' : ''}summary.json, report.html, wall_time.json}\n`,
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
export function klLineOptions(cfg: ResolvedPpoConfig): KlLineOptions {
  const verdict = controllerVerdict([], cfg.klController, hasKlTerm(cfg.objective));
  return { klTarget: verdict.target, showBeta: hasKlTerm(cfg.objective) };
}
