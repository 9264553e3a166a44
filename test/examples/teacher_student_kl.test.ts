import { describe, expect, it } from 'vitest';
import { main } from '../../examples/teacher_student_kl.js';
import { expectClose } from '../helpers/close.js';

/*
 * Expected values, float64 (scipy):
 *   T, S = np.array([.7, .3]), np.array([.4, .6])
 *   rel_entr(T, S).sum() = 0.18378689738681217; rel_entr(S, T).sum() = 0.19204199316179815
 *   jensenshannon(T, S)**2 = 0.04620082918151349; 0.5*abs(T-S).sum() = 0.3; -(T*log S).sum() = 0.7946511994417057
 */
describe('examples/teacher_student_kl', () => {
  it.each(['wasm', 'cpu'] as const)(
    'main() on %s returns the float64 values and agreeing tensor values',
    async (backend) => {
      const r = await main({ backend, print: false });
      expect(r.backend).toBe(backend);
      expectClose(r.klTS.nats, 0.18378689738681217, 1e-12);
      expectClose(r.klST.nats, 0.19204199316179815, 1e-12);
      expectClose(r.js.nats, 0.04620082918151349, 1e-12);
      expectClose(r.tv.nats, 0.3, 1e-12);
      expectClose(r.ceTS.nats, 0.7946511994417057, 1e-12);
      expectClose(r.klTS.bits, 0.18378689738681217 / Math.LN2, 1e-12);
      for (const row of [r.klTS, r.klST, r.js, r.tv, r.ceTS]) expectClose(row.tensorNats, row.nats, 1e-5);
      expect(r.maxAbsDiff).toBeLessThan(1e-5);
    },
  );

  it('overrides change the inputs (identical distributions give zero divergences)', async () => {
    const r = await main({ teacher: [0.5, 0.5], student: [0.5, 0.5], backend: 'cpu', print: false });
    expect(r.klTS.nats).toBe(0);
    expect(r.tv.nats).toBe(0);
    expectClose(r.ceTS.nats, Math.LN2, 1e-12);
  });

  it('prints a table with the default inputs', async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      await main({ backend: 'cpu' });
    } finally {
      console.log = orig;
    }
    const text = lines.join('\n');
    expect(text).toContain('KL(T‖S)');
    expect(text).toContain('0.183787');
    expect(text).toContain('0.192042');
    expect(text).toMatch(/mode-covering/);
  });
});
