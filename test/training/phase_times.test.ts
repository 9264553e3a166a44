import { describe, expect, it } from 'vitest';
import { nowMs, PhaseClock, emptyPhaseTimes } from '../../src/training/phase_times.js';
import { Trainer } from '../../src/training/trainer.js';

function busyWait(ms: number): void {
  const end = nowMs() + ms;
  while (nowMs() < end) {
    // spin: the time must land in the phase that is open
  }
}

describe('phase times', () => {
  it('PhaseClock charges each lap to its phase', () => {
    const times = emptyPhaseTimes();
    const clock = new PhaseClock(times);
    busyWait(30);
    clock.lap('rollout');
    busyWait(10);
    clock.lap('update');
    expect(times.rollout).toBeGreaterThanOrEqual(0.03);
    expect(times.update).toBeGreaterThanOrEqual(0.01);
    expect(times.update).toBeLessThan(times.rollout);
    expect(times.advantages + times.metrics + times.listeners).toBe(0);
  });

  it("Trainer.phaseTimes splits each step's wall time and charges listeners to 'listeners'", async () => {
    const trainer = await Trainer.create({ env: 'grid5x5', numEnvs: 2, nSteps: 32, totalSteps: 3 * 64, seed: 1 });
    try {
      trainer.onUpdate(() => busyWait(40));
      const t0 = nowMs();
      await trainer.step();
      await trainer.step();
      const wall = (nowMs() - t0) / 1000;
      const t = trainer.phaseTimes;
      expect(t.updates).toBe(2);
      expect(t.listeners).toBeGreaterThanOrEqual(0.08);
      expect(t.listeners).toBeLessThan(wall);
      for (const k of ['rollout', 'advantages', 'update', 'metrics'] as const) expect(t[k]).toBeGreaterThan(0);
      const sum = t.rollout + t.advantages + t.update + t.metrics + t.listeners;
      expect(sum).toBeLessThanOrEqual(wall + 1e-9);
      expect(sum).toBeGreaterThan(0.9 * wall);
      t.update = 1e9; // a copy: the trainer's record is not writable from outside
      expect(trainer.phaseTimes.update).toBeLessThan(1e9);
    } finally {
      trainer.dispose();
    }
  });
});
