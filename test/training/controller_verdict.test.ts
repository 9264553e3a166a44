/** controllerVerdict counts, over hand-made records, against counts written out by hand for each rule's band. */
import { describe, expect, it } from 'vitest';
import { controllerVerdict, formatControllerVerdict } from '../../src/training/controller_verdict.js';
import type { MetricRecord } from '../../src/training/metrics.js';

const rec = (kl: number, beta: number, held = 0, stopped = 0): MetricRecord => ({
  'kl/exact_rollout_end': kl,
  'kl/coef': beta,
  'kl/coef_held': held,
  'kl/early_stopped': stopped,
});

// target d = 0.01; KLs: 0.005 (under both bands), 0.008 (adaptive band only: ≥ d/1.5 = 0.00667), 0.015 (both, on the
// adaptive edge), 0.018 (rllib band only: ≤ 2d), 0.03 (> 2d), 0.06 (> 5d)
const history = [
  rec(0.005, 1, 1),
  rec(0.008, 0.5),
  rec(0.015, 0.5, 0, 1),
  rec(0.018, 1),
  rec(0.03, 2, 0, 1),
  rec(0.06, 4),
];

describe('controllerVerdict', () => {
  it('adaptive: band [d/1.5, 1.5d], with bounds', () => {
    const v = controllerVerdict(history, { kind: 'adaptive', target: 0.01, band: 1.5, betaMin: 0.5, betaMax: 4 }, true);
    expect(v).toEqual({
      updates: 6,
      target: 0.01,
      band: [0.01 / 1.5, 0.015],
      inBand: 2,
      over2x: 2,
      over5x: 1,
      betaAtBound: 3,
      held: 1,
      earlyStops: 2,
    });
  });
  it('rllib: band [d/2, 2d], no bounds', () => {
    const v = controllerVerdict(history, { kind: 'rllib', target: 0.01 }, true);
    expect([v.band, v.inBand, v.betaAtBound]).toEqual([[0.005, 0.02], 4, 0]);
  });
  it('no target without a KL term or for the fixed rule, and the line says so', () => {
    for (const v of [
      controllerVerdict(history, { kind: 'adaptive', target: 0.01 }, false),
      controllerVerdict(history, { kind: 'fixed' }, true),
    ]) {
      expect([v.target, v.band, v.inBand, v.over2x]).toEqual([null, null, 0, 0]);
      expect(formatControllerVerdict(v)).toBe('no KL target (6 updates) · β at a bound 0 · β held 1 · early stops 2');
    }
  });
  it('formats the line with the band', () => {
    const v = controllerVerdict(history, { kind: 'rllib', target: 0.01 }, true);
    expect(formatControllerVerdict(v)).toBe(
      'KL of the update in band [0.0050, 0.020] on 4/6 updates · over 2× target 2 · over 5× target 1 · β at a bound 0 · β held 1 · early stops 2',
    );
  });
});
