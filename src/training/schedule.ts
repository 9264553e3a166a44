/**
 * Hyper-parameter schedules: a number, a linear ramp given as data, or a function of the remaining progress (1 at
 * the start of training, 0 at the end), as SB3 `common/utils.py` (`FloatSchedule`, `LinearSchedule`,
 * `ConstantSchedule`).
 * @module
 */
import { assertFiniteNumber } from '../core/assert.js';
import { ConfigError } from '../core/errors.js';

/**
 * A linear ramp as plain data (so that checkpoints and `config.json` can hold it): SB3 `LinearSchedule(start, end,
 * end_fraction)`. The value goes from `start` to `end` over the first `endFraction` of training and stays at `end`.
 *
 * s(p) = start + (end − start)·min(1, (1 − p)/endFraction),  p = progressRemaining
 * @example
 * ```ts
 * const entCoef: LinearScheduleSpec = { kind: 'linear', start: 0.5, end: 0, endFraction: 0.9 };
 * ```
 */
export interface LinearScheduleSpec {
  /** Discriminant. */
  kind: 'linear';
  /** Value at the start of training. */
  start: number;
  /** Value from `endFraction` of training on. */
  end: number;
  /** Fraction of training the ramp takes, in (0, 1]. @defaultValue 1 */
  endFraction?: number;
}

/**
 * A constant, a {@link LinearScheduleSpec}, or a function of `progressRemaining` ∈ [0, 1] (1 → 0 over training).
 * Numbers and linear specs can be stored in checkpoints; functions cannot.
 */
export type Schedule = number | LinearScheduleSpec | ((progressRemaining: number) => number);

/**
 * Evaluate a schedule at `progressRemaining`.
 *
 * value = s if s is a number, else s(progressRemaining)
 *
 * Source: SB3 `common/utils.py` `FloatSchedule`.
 * @param schedule a number or a function of the remaining progress.
 * @param progressRemaining p ∈ [0, 1]: 1 − (updates done)/(updates planned).
 * @param name the schedule's name, used in error messages (e.g. `'clipEpsilon'`).
 * @returns the value, a finite number.
 * @throws ConfigError when `progressRemaining` is outside [0, 1], the schedule is neither a number nor a function, or
 *   the value is not finite (the message names the schedule).
 * @example
 * ```ts
 * evaluateSchedule(linearSchedule(3e-4, 0), 0.5, 'lr'); // 1.5e-4
 * ```
 */
export function evaluateSchedule(schedule: Schedule, progressRemaining: number, name: string): number {
  const fn = 'evaluateSchedule';
  assertFiniteNumber(fn, 'progressRemaining', progressRemaining, { min: 0, max: 1 });
  let value: unknown;
  if (typeof schedule === 'number') value = schedule;
  else if (typeof schedule === 'function') value = schedule(progressRemaining);
  else if (isLinearSpec(schedule)) {
    const f = schedule.endFraction ?? 1;
    value = schedule.start + (schedule.end - schedule.start) * Math.min(1, (1 - progressRemaining) / f);
  } else {
    throw new ConfigError({
      fn,
      arg: name,
      expected: "a number, { kind: 'linear', start, end, endFraction? } or a function of progressRemaining",
      got: schedule,
    });
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError({
      fn,
      arg: name,
      expected: 'a schedule whose value is a finite number',
      got: value,
      hint: `At progressRemaining = ${progressRemaining}`,
    });
  }
  return value;
}

function isLinearSpec(x: unknown): x is LinearScheduleSpec {
  const o = x as Partial<LinearScheduleSpec> | null;
  return (
    o !== null &&
    typeof o === 'object' &&
    o.kind === 'linear' &&
    typeof o.start === 'number' &&
    typeof o.end === 'number' &&
    (o.endFraction === undefined || (typeof o.endFraction === 'number' && o.endFraction > 0 && o.endFraction <= 1))
  );
}

/**
 * A schedule that goes linearly from `start` (progressRemaining = 1) to `end` (progressRemaining = 0).
 *
 * s(p) = end + (start − end)·p
 *
 * Source: SB3 `common/utils.py` `LinearSchedule` (with `end_fraction` = 1); CleanRL `anneal_lr` is `linearSchedule(lr, 0)`.
 * @param start value at the start of training.
 * @param end value at the end of training.
 * @returns a schedule function.
 * @throws ConfigError when `start` or `end` is not finite.
 * @example
 * ```ts
 * const lr = linearSchedule(2.5e-4, 0); lr(1); // 2.5e-4
 * ```
 */
export function linearSchedule(start: number, end: number): (progressRemaining: number) => number {
  assertFiniteNumber('linearSchedule', 'start', start);
  assertFiniteNumber('linearSchedule', 'end', end);
  return (p: number) => end + (start - end) * p;
}

/**
 * A schedule that always returns `x`.
 *
 * s(p) = x
 *
 * Source: SB3 `common/utils.py` `ConstantSchedule`.
 * @param x the value.
 * @returns a schedule function.
 * @throws ConfigError when `x` is not finite.
 * @example
 * ```ts
 * constantSchedule(0.2)(0.3); // 0.2
 * ```
 */
export function constantSchedule(x: number): (progressRemaining: number) => number {
  assertFiniteNumber('constantSchedule', 'x', x);
  return () => x;
}
