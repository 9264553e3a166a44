/**
 * The shared types and helpers of the `klip` commands (io, the quickstart preset, train's flag ↔ config map, folder
 * names). Flag parsers live in `../flags.ts`. Node only.
 * @module
 */
import { KlipError, type KlipErrorDetails } from '../../core/errors.js';
import type { PpoConfigInput } from '../../training/config.js';
import type { AtomicFileSystem } from '../atomic.js';
import { formatNumber } from '../format.js';
import type { TextOut } from '../progress.js';

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

/** Train flag (commander attribute) → config path, for applying flags and for naming them in errors. */
export const FLAG_FIELDS: Record<string, { flag: string; path: string }> = {
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
  refKl: { flag: '--ref-kl', path: 'referenceKl.estimator' },
  refPlacement: { flag: '--ref-placement', path: 'referenceKl.placement' },
  refBeta: { flag: '--ref-beta', path: 'referenceKl.controller' },
  engine: { flag: '--engine', path: 'engine' },
  evalEvery: { flag: '--eval-every', path: 'evalEvery' },
  evalEpisodes: { flag: '--eval-episodes', path: 'evalEpisodes' },
  // Options of the grid worlds (the presets and a --map).
  slippery: { flag: '--slippery', path: 'envOptions.slippery' },
  timeLimit: { flag: '--time-limit', path: 'envOptions.maxEpisodeSteps' },
  stepReward: { flag: '--step-reward', path: 'envOptions.stepReward' },
  goalReward: { flag: '--goal-reward', path: 'envOptions.goalReward' },
  holeReward: { flag: '--hole-reward', path: 'envOptions.holeReward' },
};

/** The flags that set `envOptions` (refused beside `--env-module`, whose module builds its own env). */
export const ENV_OPTION_FLAGS = ['slippery', 'timeLimit', 'stepReward', 'goalReward', 'holeReward'] as const;

/** The train flag that sets a config path (`policy.hidden[1]` is set by `--hidden`), if one was given. */
export function flagForPath(path: string, given: readonly string[]): string | undefined {
  const hit = Object.entries(FLAG_FIELDS).find(
    ([attr, f]) =>
      given.includes(attr) && (f.path === path || path.startsWith(`${f.path}[`) || path.startsWith(`${f.path}.`)),
  );
  if (!hit) return undefined;
  const inner = path.startsWith(`${hit[1].path}.`) ? path.slice(hit[1].path.length + 1) : '';
  return inner ? `${hit[1].flag} (${inner})` : hit[1].flag;
}

/**
 * Re-word a library error about a value the user passed with `flag` so the one line the CLI prints names the flag
 * (docs/errors.md, CLI table): same class, `fn` = `train`, `arg` = `--flag (where: the inner argument)`.
 */
export function asFlagError(flag: string, e: unknown): unknown {
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

/** Local time as `YYYYMMDD-hhmmss`, for default run-folder names. */
export function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** `isPlainObject` of `src/core/assert.ts` and `usage` of `../flags.ts`, re-exported for `train.ts`, which imports them from here. */
export { isPlainObject } from '../../core/assert.js';
export { usage } from '../flags.js';

/** A number of the summary tables: {@link formatNumber} with `digits` decimals, trailing zeros dropped. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return formatNumber(v, { digits });
}
