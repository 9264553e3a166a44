import { describe, expect, it } from 'vitest';
import { main } from '../../examples/adaptive_kl.js';

describe('examples/adaptive_kl', () => {
  it('16 updates per run: fixed β stays put, the adaptive rule moves β and holds the exact KL near the target', async () => {
    const r = await main({ updates: 16, backend: 'cpu', print: false });
    const [fixed, adaptive, proportional] = r.runs;
    expect(r.runs.map((x) => x.kind)).toEqual(['fixed', 'adaptive', 'proportional']);
    for (const run of r.runs) {
      expect(run.kl).toHaveLength(16);
      for (const k of run.kl) expect(Number.isFinite(k) && k > -1e-6).toBe(true);
      for (const b of run.beta) expect(Number.isFinite(b) && b > 0).toBe(true);
    }
    // fixed: β is the same number every update.
    expect(new Set(fixed!.beta)).toEqual(new Set([1]));
    // adaptive: each β follows the rule of Schulman et al. 2017 §4 applied to the KL the previous update reported
    // (f = 2, band 1.5), written here independently of the controller code.
    const d = r.target;
    for (let u = 0; u + 1 < adaptive!.beta.length; u++) {
      const kl = Math.max(adaptive!.kl[u]!, 0);
      const next = kl > 1.5 * d ? adaptive!.beta[u]! * 2 : kl < d / 1.5 ? adaptive!.beta[u]! / 2 : adaptive!.beta[u]!;
      expect(adaptive!.beta[u + 1]).toBeCloseTo(next, 12);
    }
    // proportional (Ziegler et al. 2019): β ×= 1 + clip(KL/d − 1, ±0.2)·n/H with n = 8·64 env steps, H = 2048.
    for (let u = 0; u + 1 < proportional!.beta.length; u++) {
      const e = Math.min(Math.max(Math.max(proportional!.kl[u]!, 0) / d - 1, -0.2), 0.2);
      expect(proportional!.beta[u + 1]).toBeCloseTo(proportional!.beta[u]! * (1 + (e * 512) / 2048), 12);
    }
    expect(Math.max(...adaptive!.beta)).toBeGreaterThan(1); // it really moved
    // The point of the example: the adaptive run's KL sits near the target, clearly nearer than the fixed run's.
    expect(adaptive!.medianLogError).toBeLessThan(Math.log(2));
    expect(adaptive!.withinBand).toBeGreaterThanOrEqual(0.5);
    expect(fixed!.medianLogError).toBeGreaterThan(adaptive!.medianLogError + 0.5);
    expect(fixed!.withinBand).toBeLessThan(adaptive!.withinBand);
    expect(r.optimalReturn).toBeGreaterThan(0.7);
  });
});
