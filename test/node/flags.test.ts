/**
 * The flag parsers of src/node/flags.ts: each bad value is a ConfigError `command: --flag must be …, got "text"`
 * (the value as typed), whatever the check underneath; good values parse to the numbers and lists they spell.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  MAX_COMPARE_SEEDS,
  parseBoolFlag,
  parseChoice,
  parseListFlag,
  parseNumberFlag,
  parseProbs,
  parseScheduleFlag,
  parseSeeds,
} from '../../src/node/flags.js';

function refusal(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('no refusal');
}

describe('flag parsers', () => {
  it('numbers: bounds and integers from core/assert, the text as typed in the message', () => {
    const steps = parseNumberFlag('train', '--steps', { integer: true, min: 1 });
    expect(steps('2048')).toBe(2048);
    expect(refusal(() => steps('12.5')).message).toBe('train: --steps must be a finite integer ≥ 1, got "12.5"');
    expect(refusal(() => steps('')).message).toBe('train: --steps must be a finite integer ≥ 1, got ""');
    expect(refusal(() => steps('0')).arg).toBe('--steps');
    const lr = parseNumberFlag('train', '--lr', { min: 0, minExclusive: true });
    expect(lr('2.5e-4')).toBe(2.5e-4);
    expect(refusal(() => lr('0')).message).toBe('train: --lr must be a finite number > 0, got "0"');
    expect(refusal(() => lr('Infinity')).fn).toBe('train');
  });

  it('choices, booleans and lists', () => {
    expect(parseChoice('train', '--backend', ['wasm', 'cpu'])('cpu')).toBe('cpu');
    expect(refusal(() => parseChoice('train', '--backend', ['wasm', 'cpu'])('gpu')).message).toBe(
      `train: --backend must be one of 'wasm' | 'cpu', got "gpu"`,
    );
    expect(parseBoolFlag('train', '--anneal-lr')('false')).toBe(false);
    expect(refusal(() => parseBoolFlag('train', '--anneal-lr')('no')).arg).toBe('--anneal-lr');
    const list = parseListFlag('compare', '--objectives', ['clip', 'pg']);
    expect(list(' pg, clip,pg ')).toEqual(['pg', 'clip']);
    expect(refusal(() => list('clip,nope')).message).toBe(
      'compare: --objectives must be a comma-separated list of clip, pg, got "clip,nope". Unknown: nope',
    );
    expect(refusal(() => list(',')).hint).toBeUndefined();
  });

  it('seeds: a count up to the cap, or distinct integers ≥ 0', () => {
    expect(parseSeeds('3')).toBe(3);
    expect(parseSeeds('3, 7,11')).toEqual([3, 7, 11]);
    expect(parseSeeds(String(MAX_COMPARE_SEEDS))).toBe(MAX_COMPARE_SEEDS);
    expect(refusal(() => parseSeeds(String(MAX_COMPARE_SEEDS + 1))).message).toBe(
      `compare: --seeds must be a finite integer ≥ 1 and ≤ ${MAX_COMPARE_SEEDS}, got "${MAX_COMPARE_SEEDS + 1}"`,
    );
    expect(refusal(() => parseSeeds('1,1')).arg).toBe('--seeds');
    expect(refusal(() => parseSeeds('1,-2')).arg).toBe('--seeds');
  });

  it('schedules and probability vectors', () => {
    expect(parseScheduleFlag('train', '--clip')('0.3:0.1:0.5')).toEqual({
      kind: 'linear',
      start: 0.3,
      end: 0.1,
      endFraction: 0.5,
    });
    expect(refusal(() => parseScheduleFlag('train', '--clip')('0.3:0.1:2')).arg).toBe('--clip');
    expect(parseProbs('kl', '--p', '0.25,0.75')).toEqual([0.25, 0.75]);
    expect(refusal(() => parseProbs('kl', '--p', '-0.5,1.5')).message).toBe(
      'kl: --p must be a non-negative probability, got "-0.5,1.5"',
    );
    expect(refusal(() => parseProbs('kl', '--q', '0.5,0.6')).hint).toBe('Its sum is 1.1');
  });
});
