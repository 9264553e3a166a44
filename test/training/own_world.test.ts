/**
 * Training a world the user wrote: factories and single env objects, with and without a transition table, discrete
 * and box actions, a policy passed in, save/restore with the world given again, and the errors for each misuse.
 * Learnability checks run on `KLIP_LEARN_SEEDS` (default 1,2): they must pass on any seed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, EnvError } from '../../src/core/errors.js';
import { MlpPolicy } from '../../src/policies/mlp.js';
import { createRng, type Rng } from '../../src/random/rng.js';
import { deterministicPart } from '../../src/training/metrics.js';
import { Trainer } from '../../src/training/trainer.js';
import { Box, Discrete, Gridworld } from '../../envs/index.js';
import type { Env, EnvState, RenderFrame, ResetOptions, StepResult, Transition } from '../../envs/types.js';

const SEEDS = (process.env.KLIP_LEARN_SEEDS ?? '1,2').split(',').map(Number);

/** Lifecycle every hand-written env needs: step before reset and after the end throw EnvError. */
abstract class HandWritten<A> implements Env<number | Float64Array, A> {
  abstract readonly observationSpace: Discrete | Box;
  abstract readonly actionSpace: Discrete | Box;
  protected started = false;
  protected ended = false;
  get unwrapped(): Env {
    return this as Env;
  }
  protected begin(opts?: ResetOptions): void {
    if (opts?.seed !== undefined) this.seeded(opts.seed);
    this.started = true;
    this.ended = false;
  }
  protected seeded(_seed: number | string): void {}
  protected checkStep(fn: string): void {
    if (!this.started || this.ended) throw new EnvError({ fn, arg: 'env', expected: 'reset first', got: 'step()' });
  }
  abstract reset(opts?: ResetOptions): { obs: number | Float64Array; info: Record<string, unknown> };
  abstract step(action: A): StepResult<number | Float64Array>;
  render(): string {
    return 'hand-written';
  }
  renderFrame(): RenderFrame {
    return { kind: 'bandit', armValues: [0, 0], lastArm: null, lastReward: null };
  }
  abstract getState(): EnvState;
  abstract setState(state: EnvState): void;
  close(): void {}
}

/**
 * A chain of 5 states with an explicit table: Left/Right move one cell (walls at both ends), entering state 4 pays 1
 * and ends the episode. The undiscounted optimum within any horizon ≥ 4 is 1 (four moves right).
 */
class Chain extends HandWritten<number> {
  readonly observationSpace = new Discrete(5);
  readonly actionSpace = new Discrete(2);
  readonly nStates = 5;
  readonly nActions = 2;
  readonly initialStateDistribution = Float64Array.from([1, 0, 0, 0, 0]);
  readonly P: Transition[][][] = Array.from({ length: 5 }, (_, s) =>
    [-1, 1].map((d) => {
      if (s === 4) return [{ prob: 1, next: 4, reward: 0, terminated: true }];
      const next = Math.min(4, Math.max(0, s + d));
      return [{ prob: 1, next, reward: next === 4 ? 1 : 0, terminated: next === 4 }];
    }),
  );
  s = 0;
  reset(opts?: ResetOptions) {
    this.begin(opts);
    this.s = 0;
    return { obs: 0, info: {} };
  }
  step(action: number): StepResult<number> {
    this.checkStep('Chain.step');
    if (action !== 0 && action !== 1)
      throw new EnvError({ fn: 'Chain.step', arg: 'action', expected: '0 or 1', got: action });
    const t = this.P[this.s]![action]![0]!;
    this.s = t.next;
    this.ended = t.terminated;
    return { obs: t.next, reward: t.reward, terminated: t.terminated, truncated: false, info: {} };
  }
  getState(): EnvState {
    return { kind: 'chain', s: this.s, started: this.started, ended: this.ended };
  }
  setState(state: EnvState): void {
    const st: Record<string, unknown> = { ...state };
    this.s = Number(st.s);
    this.started = st.started === true;
    this.ended = st.ended === true;
  }
}

/**
 * A one-step continuous bandit without a table: reward r(a) = −(a − 0.7)² for a ∈ [−2, 2] (clipped), a noisy
 * start observation. The best action is a* = 0.7.
 */
class Target extends HandWritten<ArrayLike<number>> {
  readonly observationSpace = new Box(-1, 1, [1]);
  readonly actionSpace = new Box(-2, 2, [1]);
  rng = createRng(0);
  reset(opts?: ResetOptions) {
    this.begin(opts);
    return { obs: Float64Array.of(0), info: {} };
  }
  protected override seeded(seed: number | string): void {
    this.rng = createRng(seed);
  }
  step(action: ArrayLike<number>): StepResult<Float64Array> {
    this.checkStep('Target.step');
    if (action?.length !== 1 || !Number.isFinite(action[0]))
      throw new EnvError({ fn: 'Target.step', arg: 'action', expected: 'one finite number', got: action });
    const a = Math.min(2, Math.max(-2, action[0]!));
    this.ended = true;
    return { obs: Float64Array.of(0), reward: -((a - 0.7) ** 2), terminated: true, truncated: false, info: {} };
  }
  getState(): EnvState {
    return { kind: 'target', rng: this.rng.state(), started: this.started, ended: this.ended };
  }
  setState(state: EnvState): void {
    const st: Record<string, unknown> = { ...state };
    this.rng = createRng.fromState(st.rng as ReturnType<Rng['state']>);
    this.started = st.started === true;
    this.ended = st.ended === true;
  }
}

const live: Trainer[] = [];
async function create(input: Parameters<typeof Trainer.create>[0]): Promise<Trainer> {
  const t = await Trainer.create(input);
  live.push(t);
  return t;
}
afterEach(() => {
  for (const t of live.splice(0)) t.dispose();
});

describe('Trainer on a world the user wrote', () => {
  it('records a factory world under its class name, with exact metrics from its table', async () => {
    const t = await create({ env: () => new Chain(), numEnvs: 2, nSteps: 16, totalSteps: 64, backend: 'cpu' });
    expect(t.config.env).toBe('custom:Chain');
    expect(t.config.policy.kind).toBe('tabular'); // discrete observations and actions
    // The chain's optimum, by hand: four moves right, reward 1, no discount within the horizon.
    expect(t.exactOptimum?.optimalReturn).toBe(1);
    const r = await t.step();
    expect(r['charts/policy_return']).toBeGreaterThan(0);
    expect(r['charts/policy_return']).toBeLessThanOrEqual(1 + 1e-6); // float32 probabilities
  });

  for (const seed of SEEDS) {
    it(`learns the chain's optimum (seed ${seed})`, async () => {
      const t = await create({ env: () => new Chain(), seed, totalSteps: 8192, backend: 'cpu' });
      while (!t.done) await t.step();
      expect(t.history.at(-1)!['charts/policy_return']).toBeGreaterThan(0.95);
    });

    it(`learns a continuous action to within 0.1 of the best one (seed ${seed})`, async () => {
      const t = await create({
        env: () => new Target(),
        seed,
        numEnvs: 8,
        nSteps: 64,
        totalSteps: 12_288,
        lr: 3e-3,
        policy: { hidden: [16] },
      });
      expect(t.config.policy.kind).toBe('gaussian'); // box actions
      while (!t.done) await t.step();
      // The policy's mean action on the start observation.
      const mean = t.policy.predict(Float64Array.of(0), { deterministic: true }) as Float64Array;
      expect(Math.abs(mean[0]! - 0.7)).toBeLessThan(0.1);
    });
  }

  it('trains one Env object with numEnvs 1 and refuses more copies', async () => {
    const t = await create({ env: new Chain(), nSteps: 16, totalSteps: 32, backend: 'cpu' });
    expect(t.config.numEnvs).toBe(1);
    await expect(Trainer.create({ env: new Chain(), numEnvs: 4, backend: 'cpu' })).rejects.toThrow(
      /Trainer\.create: numEnvs must be 1 with a single Env object/,
    );
  });

  it('trains a Gridworld.fromMap factory with the exact optimum of its map', async () => {
    // 'SG': one move right reaches the goal; the optimum within any horizon is 1.
    const t = await create({
      env: () => Gridworld.fromMap(['SFG']),
      numEnvs: 2,
      nSteps: 8,
      totalSteps: 16,
      backend: 'cpu',
    });
    expect(t.config.env).toBe('custom:Gridworld');
    expect(t.exactOptimum?.optimalReturn).toBe(1);
  });

  it('takes a policy object and refuses one built for other spaces', async () => {
    const policy = new MlpPolicy({
      obsSpace: new Discrete(5),
      actionSpace: new Discrete(2),
      hidden: [8],
      rng: createRng(1),
    });
    const t = await create({ env: () => new Chain(), policy, numEnvs: 2, nSteps: 8, totalSteps: 16, backend: 'cpu' });
    expect(t.policy).toBe(policy);
    expect(t.config.policy.kind).toBe('mlp');
    const wrong = new MlpPolicy({
      obsSpace: new Discrete(3),
      actionSpace: new Discrete(2),
      hidden: [8],
      rng: createRng(1),
    });
    await expect(Trainer.create({ env: () => new Chain(), policy: wrong, backend: 'cpu' })).rejects.toThrow(
      /Trainer\.create: policy must be .*observations Discrete\(3\) vs the world's Discrete\(5\)/,
    );
    wrong.dispose();
  });

  it("restores a run on a user's world only with the world given again, bit for bit", async () => {
    const cfg = { env: () => new Chain(), numEnvs: 2, nSteps: 16, totalSteps: 128, backend: 'cpu' as const, seed: 5 };
    const full = await create(cfg);
    while (!full.done) await full.step();
    const half = await create(cfg);
    await half.step();
    await half.step();
    const ckpt = JSON.parse(JSON.stringify(await half.save()));
    await expect(Trainer.restore(ckpt)).rejects.toThrow(
      /Trainer\.restore: opts\.env must be the world this run was trained on \(custom:Chain\)/,
    );
    const resumed = await Trainer.restore(ckpt, { env: () => new Chain() });
    live.push(resumed);
    while (!resumed.done) await resumed.step();
    expect(resumed.history.map(deterministicPart)).toEqual(full.history.map(deterministicPart));
  });

  it('names what is wrong with a world that is not one', async () => {
    await expect(Trainer.create({ env: 42 as never })).rejects.toThrow(
      /Trainer\.create: env must be a registered id \(frozenlake4x4.*\), a factory \(\) => Env, or an Env object, got 42/,
    );
    await expect(Trainer.create({ env: () => ({}) as never })).rejects.toThrow(ConfigError);
    await expect(
      Trainer.create({
        env: () => {
          throw new Error('no map file');
        },
      }),
    ).rejects.toThrow(/env must be a factory that returns an Env, got "a factory that threw: no map file"/);
    await expect(Trainer.create({ env: () => new Chain(), envOptions: { slippery: true } })).rejects.toThrow(
      /envOptions must be empty with a user's world/,
    );
    class Leaky extends Chain {
      override step(action: number): StepResult<number> {
        const r = super.step(action);
        return { ...r, obs: 7 }; // outside Discrete(5)
      }
    }
    const err = await Trainer.create({ env: () => new Leaky() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvError);
    expect(String((err as Error).message)).toMatch(/step\(\) returned an observation outside observationSpace: 7/);
  });
});

describe('Trainer on the continuous bandit', () => {
  it('reports the exact return of the Gaussian policy, −(‖μ − a*‖² + σ²)/2, and the optimum 0', async () => {
    const t = await create({ env: 'continuous-bandit', numEnvs: 4, nSteps: 16, totalSteps: 128, backend: 'cpu' });
    expect(t.config.policy.kind).toBe('gaussian');
    const r = await t.step();
    const mu = (t.policy.predict(0, { deterministic: true }) as Float64Array)[0]!;
    const logStd = t.policy.getWeights().find((w) => w.name.endsWith('log_std'))!.values[0]!;
    // The default world: a* = 1 in one dimension.
    expect(r['charts/policy_return']!).toBeCloseTo(-((mu - 1) ** 2 + Math.exp(logStd) ** 2) / 2, 5);
    expect(r['charts/optimal_return']).toBe(0);
  });
});
