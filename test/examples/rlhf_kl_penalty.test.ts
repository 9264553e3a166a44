import { describe, expect, it } from 'vitest';
import { main } from '../../examples/rlhf_kl_penalty.js';
import { expectClose } from '../helpers/close.js';

describe('examples/rlhf_kl_penalty', () => {
  it('main({ steps: 64 }) runs the four placements; each moves away from π_ref toward the target', async () => {
    const r = await main({ steps: 64, print: false });
    // Closed form at β = 0.5, V = 8, T = 6, uniform π_ref: per position π*(target) = e²/(e² + 7).
    const p = Math.exp(2) / (Math.exp(2) + 7);
    expectClose(r.optimum.expectedScore, 6 * p, 1e-12);
    expect(r.runs.map((x) => x.name)).toEqual([
      'reward/k1',
      'reward/k3',
      'loss/k3 (GRPO)',
      'reward/k1 + controller (target 1)',
    ]);
    for (const run of r.runs) {
      expect(run.history).toHaveLength(64);
      expect(run.klToRef).toBeGreaterThan(0); // the policy left π_ref
      expect(run.expectedScore).toBeGreaterThan(0.75); // above π_ref's 6/8
      // No policy beats π* on the objective it maximises: E[score] − β·KL(π‖π_ref) ≤ J* = T·β·log((e^{1/β} + V − 1)/V)
      // (closed form for a uniform π_ref; β = 0.5, V = 8, T = 6), whatever placement or controller trained it.
      expect(run.expectedScore - 0.5 * run.klToRef).toBeLessThanOrEqual(
        6 * 0.5 * Math.log((Math.exp(2) + 7) / 8) + 1e-9,
      );
    }
  });

  it('prints the comparison table', async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      await main({ steps: 8, backend: 'cpu' });
    } finally {
      console.log = orig;
    }
    expect(lines.join('\n')).toMatch(/closed-form optimum π\*/);
  });
});
