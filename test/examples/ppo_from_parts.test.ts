import { describe, expect, it } from 'vitest';
import { main } from '../../examples/ppo_from_parts.js';
import { Trainer } from '../../src/index.js';

/*
 * The student's file and the library compute the same thing: for one seed, examples/ppo_from_parts.ts and
 * `Trainer` with { objective: 'clip+kl', klControllerHold: false } (the published adaptive loop) on the tfjs engine
 * (the example is written in tfjs ops) give the same β,
 * the same KL of every update, the same number of optimizer steps and the same final weights, bit for bit. Either
 * side drifting (a changed loss term, stream, early-stop rule or controller input) breaks the equality.
 */
describe('examples/ppo_from_parts', () => {
  it.each([1, 7])(
    'seed %i: same β, KL of the update, optimizer steps and weights as Trainer, for 6 updates',
    async (seed) => {
      const parts = await main({ seed, updates: 6, backend: 'cpu', print: false });
      const trainer = await Trainer.create({
        env: 'frozenlake4x4',
        objective: 'clip+kl',
        klControllerHold: false,
        engine: 'tfjs',
        seed,
        backend: 'cpu',
        totalSteps: 6 * 1024,
      });
      while (!trainer.done) await trainer.step();
      const h = trainer.history;
      expect(parts.log.map((l) => l.beta)).toEqual(h.map((r) => r['kl/coef']));
      expect(parts.log.map((l) => l.klOfUpdate)).toEqual(h.map((r) => r['kl/exact_rollout_end']));
      expect(parts.log.map((l) => l.optimizerSteps)).toEqual(h.map((r) => r['kl/optimizer_steps']));
      expect(parts.log.map((l) => l.policyReturn)).toEqual(h.map((r) => r['charts/policy_return']));
      expect(parts.weights).toEqual(trainer.policy.getWeights());
      // the comparison is not vacuous: the policy moved, β moved, and early stopping cut at least one update
      expect(parts.log.at(-1)!.policyReturn).not.toBe(h[0]!['charts/policy_return']);
      expect(new Set(parts.log.map((l) => l.beta)).size).toBeGreaterThan(1);
      expect(parts.log.some((l) => l.optimizerSteps < 16)).toBe(true);
      trainer.dispose();
    },
  );
});
