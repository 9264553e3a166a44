import { describe, expect, it } from 'vitest';
import { main } from '../../examples/kl_regularized_bandit.js';
import { expectClose } from '../helpers/close.js';

describe('examples/kl_regularized_bandit', () => {
  it('main({ steps: 64 }) returns the frontier; with the default budget the trained points reach π*', async () => {
    const quick = await main({ steps: 64, print: false });
    expect(quick.trained).toHaveLength(3);
    expect(quick.curve).toHaveLength(25);
    const full = await main({ print: false });
    // Closed form at β = 0.5 (numpy: KL 0.2808266241328715, E[r] 0.5374761061113043).
    expectClose(full.optimal[1]!.kl, 0.2808266241328715, 1e-12);
    expectClose(full.optimal[1]!.expectedReward, 0.5374761061113043, 1e-12);
    for (const t of full.trained) expect(t.klToOptimum).toBeLessThan(0.01);
  });

  it('prints the table', async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      await main({ steps: 8, backend: 'cpu' });
    } finally {
      console.log = orig;
    }
    expect(lines.join('\n')).toMatch(/closed-form frontier/);
  });
});
