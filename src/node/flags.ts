/**
 * Parsing and checking of `klip` flag values: every parser here is a commander `argParser` (or is called by a
 * command) and reports a bad value the one way the CLI reports a bad flag, a ConfigError
 * `command: --flag must be …, got "text"` that `runCli` prints as one line with exit code 2. The checks themselves
 * are the validators of `src/core/assert.ts`. Node only (CLI).
 * @module
 */
import { assertFiniteNumber, assertOneOf, assertProbabilities } from '../core/assert.js';
import { ConfigError, KlipError } from '../core/errors.js';
import type { LinearScheduleSpec } from '../training/schedule.js';

/**
 * The error of a bad flag: `fn: flag must be expected, got value[. hint]` (the CLI prints it as one line, exit 2).
 * @param fn The command (e.g. `compare`).
 * @param arg The flag (e.g. `--seeds`), or what else was wrong.
 * @param expected What the value must be.
 * @param got The value as typed.
 * @param hint The way out, if any.
 * @returns The error (not thrown).
 * @example
 * ```ts
 * throw usage('compare', '--env', 'one of bandit, …', 'nope');
 * ```
 */
export function usage(fn: string, arg: string, expected: string, got: unknown, hint?: string): ConfigError {
  return new ConfigError({ fn, arg, expected, got, ...(hint ? { hint } : {}) });
}

/**
 * Run an `assert*` check of `src/core/assert.ts` on a parsed flag value; its refusal is re-worded to name `flag`
 * and to show the value as typed.
 * @param fn The command.
 * @param flag The flag.
 * @param text The value as typed.
 * @param run The check.
 * @throws ConfigError `fn: flag must be <the check's words>, got "text"`.
 * @example
 * ```ts
 * checkFlag('frontier', '--ref', text, () => assertProbabilities('frontier', '--ref', piRef));
 * ```
 */
export function checkFlag(fn: string, flag: string, text: string, run: () => void): void {
  try {
    run();
  } catch (e) {
    if (e instanceof KlipError) throw usage(fn, flag, e.expected, text, e.hint);
    throw e;
  }
}

/**
 * A number flag (optionally an integer, optionally bounded below), checked with `assertFiniteNumber`.
 * @param fn The command.
 * @param flag The flag.
 * @param opts `integer`, `min`, `minExclusive` as in `assertFiniteNumber`.
 * @returns A commander parser.
 * @throws ConfigError `fn: flag must be a finite number ≥ min, got "text"`.
 * @example
 * ```ts
 * parseNumberFlag('train', '--beta', { min: 0 })('0.5'); // 0.5
 * ```
 */
export function parseNumberFlag(
  fn: string,
  flag: string,
  opts: { integer?: boolean; min?: number; minExclusive?: boolean } = {},
): (value: string) => number {
  return (value) => {
    const x = value.trim() === '' ? Number.NaN : Number(value);
    checkFlag(fn, flag, value, () => assertFiniteNumber(fn, flag, x, opts));
    return x;
  };
}

/**
 * A flag whose value is one of `allowed` (commander's `.choices()` lists them in the help; this reports a bad one).
 * @param fn The command.
 * @param flag The flag.
 * @param allowed The values.
 * @returns A commander parser.
 * @throws ConfigError `fn: flag must be one of 'a' | 'b', got "text"`.
 * @example
 * ```ts
 * new Option('--env <id>').choices(ENV_IDS).argParser(parseChoice('train', '--env', ENV_IDS));
 * ```
 */
export function parseChoice<T extends string>(fn: string, flag: string, allowed: readonly T[]): (value: string) => T {
  return (value) => {
    assertOneOf(fn, flag, value, allowed);
    return value;
  };
}

/**
 * A boolean flag value: `true` or `false`.
 * @param fn The command.
 * @param flag The flag.
 * @returns A commander parser.
 * @example
 * ```ts
 * parseBoolFlag('train', '--anneal-lr')('true'); // true
 * ```
 */
export function parseBoolFlag(fn: string, flag: string): (value: string) => boolean {
  const parse = parseChoice(fn, flag, ['true', 'false'] as const);
  return (value) => parse(value) === 'true';
}

/**
 * Parse a comma-separated list of finite numbers, e.g. `"0.7, 0.3"` → `[0.7, 0.3]`.
 * @param fn The command named in the error (e.g. `kl`).
 * @param flag The flag named in the error (e.g. `--p`).
 * @param text The flag's value as typed.
 * @param what What the list holds, completing "a comma-separated list of …" (e.g. `non-negative numbers`).
 * @returns The numbers, in order.
 * @throws ConfigError "fn: flag must be a comma-separated list of what, got text" for an empty entry or an entry that
 *   is not a finite number.
 * @example
 * ```ts
 * parseNumberList('frontier', '--betas', '0.1,1', 'numbers > 0'); // [0.1, 1]
 * ```
 */
export function parseNumberList(fn: string, flag: string, text: string, what: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (parts.some((s) => s === '') || xs.some((x) => !Number.isFinite(x))) {
    throw usage(fn, flag, `a comma-separated list of ${what}`, text);
  }
  return xs;
}

/**
 * A comma-separated list whose entries are among `allowed` (duplicates dropped, order kept).
 * @param fn The command.
 * @param flag The flag.
 * @param allowed The values.
 * @returns A commander parser.
 * @throws ConfigError `fn: flag must be a comma-separated list of a, b, got "text". Unknown: x`.
 * @example
 * ```ts
 * parseListFlag('compare', '--objectives', OBJECTIVES)('clip,pg'); // ['clip', 'pg']
 * ```
 */
export function parseListFlag<T extends string>(
  fn: string,
  flag: string,
  allowed: readonly T[],
): (value: string) => T[] {
  const isAllowed = (x: string): x is T => (allowed as readonly string[]).includes(x);
  return (value) => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.find((i) => !isAllowed(i));
    if (items.length === 0 || bad !== undefined)
      throw usage(
        fn,
        flag,
        `a comma-separated list of ${allowed.join(', ')}`,
        value,
        bad !== undefined ? `Unknown: ${bad}` : undefined,
      );
    return [...new Set(items.filter(isAllowed))];
  };
}

/** The most seeds `klip compare --seeds` takes. */
export const MAX_COMPARE_SEEDS = 10_000;

/**
 * `klip compare --seeds`: a count n (seeds 1…n) or a comma-separated list of distinct seeds (integers ≥ 0).
 * At most {@link MAX_COMPARE_SEEDS} either way, so a typo cannot ask for a billion runs.
 * @param value The flag's value.
 * @returns The count, or the seeds.
 * @throws ConfigError naming `--seeds`.
 * @example
 * ```ts
 * parseSeeds('3'); // 3
 * parseSeeds('3,7,11'); // [3, 7, 11]
 * ```
 */
export function parseSeeds(value: string): number | number[] {
  if (!value.includes(',')) {
    const n = parseNumberFlag('compare', '--seeds', { integer: true, min: 1 })(value);
    checkFlag('compare', '--seeds', value, () =>
      assertFiniteNumber('compare', '--seeds', n, { integer: true, min: 1, max: MAX_COMPARE_SEEDS }),
    );
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

/**
 * `--max-grad-norm`: a number > 0, or `none` for no clipping (kept as 'none': commander turns a parsed null into '').
 * @param value The flag's value.
 * @returns The norm, or 'none'.
 * @example
 * ```ts
 * parseMaxGradNorm('none'); // 'none'
 * ```
 */
export function parseMaxGradNorm(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  return parseNumberFlag('train', '--max-grad-norm', { min: 0, minExclusive: true })(value);
}

/**
 * `--time-limit`: an integer ≥ 1 (steps per episode), or `none` for no limit.
 * @param value The flag's value.
 * @returns The limit, or 'none'.
 * @throws ConfigError naming `--time-limit`.
 * @example
 * ```ts
 * parseTimeLimit('none'); // 'none'
 * ```
 */
export function parseTimeLimit(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  return parseNumberFlag('train', '--time-limit', { integer: true, min: 1 })(value);
}

/**
 * `--hidden 64,64`: MLP layer sizes.
 * @param value The flag's value.
 * @returns The sizes.
 * @throws ConfigError naming `--hidden`.
 * @example
 * ```ts
 * parseHidden('64,64'); // [64, 64]
 * ```
 */
export function parseHidden(value: string): number[] {
  const what = 'layer sizes (integers ≥ 1), e.g. 64,64';
  const xs = parseNumberList('train', '--hidden', value, what);
  if (xs.some((x) => !Number.isSafeInteger(x) || x < 1))
    throw usage('train', '--hidden', `a comma-separated list of ${what}`, value);
  return xs;
}

/**
 * A schedule flag: a number, or a linear ramp `START:END` / `START:END:FRACTION` (from START to END over the first
 * FRACTION of training, SB3 `LinearSchedule`), e.g. `--ent-coef 0.5:0:0.9`.
 * @param fn The command.
 * @param flag The flag.
 * @returns A commander parser.
 * @throws ConfigError naming the flag.
 * @example
 * ```ts
 * parseScheduleFlag('train', '--clip')('0.3:0.1'); // { kind: 'linear', start: 0.3, end: 0.1, endFraction: 1 }
 * ```
 */
export function parseScheduleFlag(fn: string, flag: string): (value: string) => number | LinearScheduleSpec {
  return (value) => {
    const parts = value.split(':').map((p) => p.trim());
    const xs = parts.map(Number);
    const bad =
      parts.length > 3 ||
      parts.some((p) => p === '') ||
      xs.some((x) => !Number.isFinite(x)) ||
      (parts.length === 3 && !(xs[2]! > 0 && xs[2]! <= 1));
    if (bad) throw usage(fn, flag, 'a number, or START:END[:FRACTION] for a linear ramp (FRACTION in (0, 1])', value);
    if (parts.length === 1) return xs[0]!;
    return { kind: 'linear', start: xs[0]!, end: xs[1]!, endFraction: parts.length === 3 ? xs[2]! : 1 };
  };
}

/**
 * `--seed`: an integer when the text is one, else the string itself (string seeds are allowed).
 * @param value The flag's value.
 * @returns The seed.
 * @example
 * ```ts
 * parseSeed('7'); // 7
 * parseSeed('run-a'); // 'run-a'
 * ```
 */
export function parseSeed(value: string): number | string {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/**
 * A probability vector flag (`klip kl --p/--q`): comma-separated numbers checked with `assertProbabilities`
 * (non-negative, summing to 1 within 1e-6).
 * @param fn The command.
 * @param flag The flag.
 * @param text The flag's value.
 * @returns The probabilities.
 * @throws ConfigError naming the flag.
 * @example
 * ```ts
 * parseProbs('kl', '--p', '0.7,0.3'); // [0.7, 0.3]
 * ```
 */
export function parseProbs(fn: string, flag: string, text: string): number[] {
  const xs = parseNumberList(fn, flag, text, 'non-negative numbers, e.g. 0.7,0.3');
  checkFlag(fn, flag, text, () => assertProbabilities(fn, flag, xs));
  return xs;
}
