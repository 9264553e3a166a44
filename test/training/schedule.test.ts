import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { constantSchedule, evaluateSchedule, linearSchedule } from '../../src/training/schedule.js';

describe('schedules', () => {
  it('evaluates numbers and functions of progressRemaining', () => {
    expect(evaluateSchedule(0.2, 0.3, 'clipEpsilon')).toBe(0.2);
    expect(evaluateSchedule((p) => p * 10, 0.25, 'x')).toBe(2.5);
  });

  it('linearSchedule goes from start (p = 1) to end (p = 0)', () => {
    const s = linearSchedule(3e-4, 1e-4);
    expect(s(1)).toBeCloseTo(3e-4, 18);
    expect(s(0)).toBeCloseTo(1e-4, 18);
    expect(evaluateSchedule(s, 0.5, 'lr')).toBeCloseTo(2e-4, 18);
    expect(constantSchedule(0.7)(0.1)).toBe(0.7);
  });

  it('rejects non-finite values naming the schedule, and bad progress', () => {
    expect(() => evaluateSchedule(() => NaN, 0.5, 'entCoef')).toThrow(ConfigError);
    expect(() => evaluateSchedule(() => NaN, 0.5, 'entCoef')).toThrow(
      'evaluateSchedule: entCoef must be a schedule whose value is a finite number, got NaN. At progressRemaining = 0.5',
    );
    expect(() => evaluateSchedule(Infinity, 1, 'lr')).toThrow(/evaluateSchedule: lr must be/);
    expect(() => evaluateSchedule(0.1, 1.5, 'lr')).toThrow(
      'evaluateSchedule: progressRemaining must be a finite number ≥ 0 and ≤ 1, got 1.5',
    );
    expect(() => evaluateSchedule('0.1' as unknown as number, 1, 'lr')).toThrow(ConfigError);
    expect(() => linearSchedule(NaN, 0)).toThrow(ConfigError);
  });

  it("evaluates a linear spec as SB3's LinearSchedule(start, end, end_fraction)", () => {
    // s(p) = start + (end − start)·min(1, (1 − p)/f): at p = 1 the start, at 1 − p = f/2 halfway, from 1 − p = f on the end.
    const spec = { kind: 'linear', start: 0.5, end: 0, endFraction: 0.8 } as const;
    expect(evaluateSchedule(spec, 1, 'entCoef')).toBe(0.5);
    expect(evaluateSchedule(spec, 0.6, 'entCoef')).toBeCloseTo(0.25, 15);
    expect(evaluateSchedule(spec, 0.2, 'entCoef')).toBe(0);
    expect(evaluateSchedule(spec, 0, 'entCoef')).toBe(0);
    // endFraction defaults to 1: the whole run
    expect(evaluateSchedule({ kind: 'linear', start: 0.3, end: 0.1 }, 0.5, 'clipEpsilon')).toBeCloseTo(0.2, 15);
    expect(() => evaluateSchedule({ kind: 'linear', start: 0.3, end: 0.1, endFraction: 0 }, 0.5, 'x')).toThrow(
      /evaluateSchedule: x must be a number, \{ kind: 'linear'/,
    );
    expect(() => evaluateSchedule({ kind: 'step' } as never, 0.5, 'x')).toThrow(ConfigError);
  });
});
