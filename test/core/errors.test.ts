import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  ConfigError,
  EnvError,
  KlipError,
  NumericError,
  ShapeError,
  describeValue,
} from '../../src/core/errors.js';

describe('KlipError', () => {
  it('builds "fn: arg must be expected, got value" and keeps the fields', () => {
    const e = new ConfigError({ fn: 'resolvePpoConfig', arg: 'clip', expected: 'in (0, 1)', got: 1.5 });
    expect(e.message).toBe('resolvePpoConfig: clip must be in (0, 1), got 1.5');
    expect(e).toBeInstanceOf(KlipError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ConfigError');
    expect([e.fn, e.arg, e.expected, e.got]).toEqual(['resolvePpoConfig', 'clip', 'in (0, 1)', 1.5]);
  });

  it('every subclass is a KlipError with its own name', () => {
    for (const C of [ShapeError, ConfigError, EnvError, CheckpointError, NumericError]) {
      const e = new C({ fn: 'f', arg: 'x', expected: 'y', got: 0 });
      expect(e).toBeInstanceOf(KlipError);
      expect(e.name).toBe(C.name);
    }
  });

  it('omits ", got" when no value is given and appends a hint', () => {
    expect(
      new EnvError({ fn: 'step', arg: 'env', expected: 'reset before step', hint: 'Call reset() first' }).message,
    ).toBe('step: env must be reset before step. Call reset() first');
  });

  it('keeps the hint as a field, so a caller can re-word the error without parsing the message', () => {
    expect(
      new EnvError({ fn: 'step', arg: 'env', expected: 'reset before step', hint: 'Call reset() first' }).hint,
    ).toBe('Call reset() first');
    expect(new EnvError({ fn: 'step', arg: 'env', expected: 'reset before step' }).hint).toBeUndefined();
  });

  it('describes values readably', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue('nope')).toBe('"nope"');
    expect(describeValue([1, NaN])).toBe('[1,NaN]');
    expect(describeValue(new Float32Array([0.5, 2]))).toBe('[0.5,2]');
    expect(describeValue({ shape: [2, 3] })).toBe('a tensor of shape [2,3]');
    expect(describeValue({ a: Infinity })).toBe('{"a":"Infinity"}');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(Array.from({ length: 20 }, (_, i) => i))).toMatch(/… \(20 items\)\]$/);
  });
});
