import { describe, expect, it } from 'vitest';
import { createProgress, formatProgressLine, progressModeFor } from '../../src/node/progress.js';
import type { MetricRecord } from '../../src/training/metrics.js';

function sink(isTTY = false): { out: { write(s: string): boolean; isTTY: boolean }; text: () => string } {
  const chunks: string[] = [];
  return { out: { write: (s: string) => (chunks.push(s), true), isTTY }, text: () => chunks.join('') };
}

const rec = (u: number): MetricRecord => ({
  update: u,
  global_step: 512 * u,
  'charts/env_steps_per_s': 1234.6,
  'charts/episodic_return': u === 1 ? null : 0.5,
  'kl/exact_rollout_end': 0.0123456,
  'kl/coef': 2,
});

describe('progress', () => {
  it('picks json when asked, a bar on a TTY and lines otherwise', () => {
    expect(progressModeFor({ write: () => true, isTTY: true }, true)).toBe('json');
    expect(progressModeFor({ write: () => true, isTTY: true }, false)).toBe('bar');
    expect(progressModeFor({ write: () => true }, false)).toBe('lines');
  });

  it('formats a line with update, steps, steps/s, return, KL and β', () => {
    expect(formatProgressLine(rec(2), 10)).toBe(
      'update 2/10 | steps 1024 | 1235 steps/s | return 0.500 | KL of the update 0.0123 | KL per step – | β 2.000',
    );
    expect(formatProgressLine({ ...rec(2), 'kl/exact_old_new': 2.5e-5 }, 10, { klTarget: 0.01 })).toBe(
      'update 2/10 | steps 1024 | 1235 steps/s | return 0.500 | KL of the update 0.0123 (target 0.01) | KL per step 2.5e-5 | β 2.000',
    );
    expect(formatProgressLine(rec(2), 10, { klTarget: null, showBeta: false })).not.toContain('β');
    expect(formatProgressLine(rec(1), 10)).toContain('return –');
  });

  it('lines mode prints the first update, every ⌈total/10⌉-th and the last', () => {
    const s = sink();
    const p = createProgress({ mode: 'lines', out: s.out, totalUpdates: 25 });
    for (let u = 1; u <= 25; u++) p.update(rec(u));
    p.stop();
    const updates = s
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => Number(/^update (\d+)\//.exec(l)![1]));
    expect(updates).toEqual([1, 3, 6, 9, 12, 15, 18, 21, 24, 25]);
  });

  it('json mode prints exactly one parseable record per update', () => {
    const s = sink();
    const p = createProgress({ mode: 'json', out: s.out, totalUpdates: 3 });
    for (let u = 1; u <= 3; u++) p.update(rec(u));
    const lines = s.text().trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as MetricRecord)).toEqual([rec(1), rec(2), rec(3)]);
  });

  it('bar mode draws a cli-progress bar with return and KL on a TTY stream', () => {
    const s = sink(true);
    const p = createProgress({ mode: 'bar', out: s.out, totalUpdates: 4 });
    for (let u = 1; u <= 4; u++) p.update(rec(u));
    p.stop();
    expect(s.text()).toContain('4/4 updates');
    expect(s.text()).toContain('return 0.500');
    expect(s.text()).toContain('KL of the update 0.0123');
  });

  it('silent mode writes nothing', () => {
    const s = sink();
    const p = createProgress({ mode: 'silent', out: s.out, totalUpdates: 2 });
    p.update(rec(1));
    p.stop();
    expect(s.text()).toBe('');
  });
});
