/**
 * Flag parsers, errors and the shared types of the `klip` commands. Node only.
 * @module
 */
import { InvalidArgumentError } from 'commander';
import { ConfigError, KlipError, type KlipErrorDetails } from '../../core/errors.js';
import type { PpoConfigInput } from '../../training/config.js';
import type { LinearScheduleSpec } from '../../training/schedule.js';
import type { AtomicFileSystem } from '../atomic.js';
import { parseNumberList } from '../flags.js';
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
};

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
 * `klip compare --seeds`: a count n (seeds 1…n) or a comma-separated list of distinct seeds (integers ≥ 0).
 * At most {@link MAX_COMPARE_SEEDS} either way, so a typo cannot ask for a billion runs.
 */
export function parseSeeds(value: string): number | number[] {
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
export const MAX_COMPARE_SEEDS = 10_000;

/** A boolean flag value: `true` or `false`. */
export function parseBool(flag: string) {
  return (value: string): boolean => {
    if (value !== 'true' && value !== 'false') throw new InvalidArgumentError(`${flag} must be true or false.`);
    return value === 'true';
  };
}

/** `--max-grad-norm`: a number > 0, or `none` for no clipping (kept as 'none': commander turns a parsed null into ''). */
export function parseMaxGradNorm(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  return parseNumber('--max-grad-norm', { min: 0, minExclusive: true })(value);
}

/** `--hidden 64,64`: layer sizes. */
export function parseHidden(value: string): number[] {
  const what = 'layer sizes (integers ≥ 1), e.g. 64,64';
  const xs = parseNumberList('train', '--hidden', value, what);
  if (xs.some((x) => !Number.isSafeInteger(x) || x < 1))
    throw usage('train', '--hidden', `a comma-separated list of ${what}`, value);
  return xs;
}

/** A commander parser for a number flag (optionally an integer, optionally bounded below); a bad value names the flag. */
export function parseNumber(flag: string, opts: { integer?: boolean; min?: number; minExclusive?: boolean } = {}) {
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
export function parseScheduleFlag(flag: string) {
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

/** `--seed`: an integer when the text is one, else the string itself (string seeds are allowed). */
export function parseSeed(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** A commander parser for a positive-integer flag; a bad value names the flag. */
export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const x = Number(value);
    if (!Number.isSafeInteger(x) || x < 1) throw new InvalidArgumentError(`${flag} must be an integer ≥ 1.`);
    return x;
  };
}

/** A ConfigError for a bad flag: `fn: arg must be expected, got value` (the CLI prints it as one line and exits 2). */
export function usage(fn: string, arg: string, expected: string, got: unknown, hint?: string): ConfigError {
  return new ConfigError({ fn, arg, expected, got, ...(hint ? { hint } : {}) });
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

/** `isPlainObject` of `src/core/assert.ts`, re-exported for the commands that import it from here. */
export { isPlainObject } from '../../core/assert.js';

/** A number of the summary tables: {@link formatNumber} with `digits` decimals, trailing zeros dropped. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return formatNumber(v, { digits });
}

/** A commander parser for a comma-separated list whose entries must be among `allowed` (duplicates dropped). */
export function parseList<T extends string>(flag: string, allowed: readonly T[]) {
  const isAllowed = (x: string): x is T => (allowed as readonly string[]).includes(x);
  return (value: string): T[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.find((i) => !isAllowed(i));
    if (items.length === 0 || bad !== undefined)
      throw new InvalidArgumentError(
        `${flag} must be a comma-separated list of ${allowed.join(', ')}${bad !== undefined ? ` (unknown: ${bad})` : ''}.`,
      );
    return [...new Set(items.filter(isAllowed))];
  };
}

/** `klip kl --p/--q`: a comma-separated probability vector (non-negative, summing to 1). */
export function parseProbs(flag: string, text: string): number[] {
  const what = 'non-negative numbers, e.g. 0.7,0.3';
  const xs = parseNumberList('kl', flag, text, what);
  if (xs.some((x) => x < 0)) throw usage('kl', flag, `a comma-separated list of ${what}`, text);
  const sum = xs.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw usage('kl', flag, 'probabilities that sum to 1', text, `They sum to ${sum}`);
  return xs;
}
