// Docs: docs/own_env.md — train PPO on a world you wrote, with exact metrics from its transition table.
/**
 * A world of your own, trained by klip's `Trainer`: a rope bridge of 4 planks written as a subclass of `EnvBase`
 * (klip/envs), which owns seeding and the episode lifecycle, so the class holds only the dynamics. Two actions:
 * **walk** (the next plank with probability 0.9, a fall with 0.1) and **crawl** (the next plank with probability 0.5,
 * else stay; never falls). Reaching the far side pays 1. Because the class also lists its transition table
 * (`nStates`, `nActions`, `P`, `initialStateDistribution`), the trainer reports the exact return of the policy and
 * the exact optimum within the time limit: with 20 steps it is 0.9997 (the best time-dependent policy crawls, and
 * walks only when time runs short), and a policy that always crawls gets 0.9987, always walking only 0.9⁴ = 0.656.
 * Run with `npx tsx examples/own_env.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Trainer, type BackendName } from 'klip';
import {
  checkDiscreteAction,
  Discrete,
  EnvBase,
  type RenderFrame,
  type Rng,
  TimeLimit,
  type Transition,
} from 'klip/envs';

// --- the world ---
const PLANKS = 4;
const WALK = 0;
const CRAWL = 1;

/** The rope bridge: state s ∈ {0 … 4} is the plank the walker stands on (4: the far side), 5 the river. */
export class RopeBridge extends EnvBase<number, number> {
  readonly observationSpace = new Discrete(PLANKS + 2);
  readonly actionSpace = new Discrete(2);
  readonly nStates = PLANKS + 2;
  readonly nActions = 2;
  readonly initialStateDistribution = Float64Array.from({ length: PLANKS + 2 }, (_, s) => (s === 0 ? 1 : 0));
  /** P[s][a]: the outcomes of action a on plank s (the far side and the river end the episode). */
  readonly P: Transition[][][] = Array.from({ length: PLANKS + 2 }, (_, s) =>
    [WALK, CRAWL].map((a): Transition[] => {
      if (s >= PLANKS) return [{ prob: 1, next: s, reward: 0, terminated: true }];
      const across = s + 1 === PLANKS;
      const ahead = { next: s + 1, reward: across ? 1 : 0, terminated: across };
      return a === WALK
        ? [
            { prob: 0.9, ...ahead },
            { prob: 0.1, next: PLANKS + 1, reward: 0, terminated: true },
          ]
        : [
            { prob: 0.5, ...ahead },
            { prob: 0.5, next: s, reward: 0, terminated: false },
          ];
    }),
  );
  #s = 0;

  constructor() {
    super('RopeBridge', 'rope-bridge');
  }
  protected checkAction(fn: string, action: number): void {
    checkDiscreteAction(fn, action, 2);
  }
  protected resetState() {
    this.#s = 0;
    return { obs: 0, info: {} };
  }
  protected stepState(action: number, rng: Rng) {
    // Draw the outcome from the table, so the dynamics and the table cannot disagree.
    const outcomes = this.P[this.#s]![action]!;
    let u = rng.float();
    let t = outcomes[outcomes.length - 1]!;
    for (const o of outcomes) {
      if (u < o.prob) {
        t = o;
        break;
      }
      u -= o.prob;
    }
    this.#s = t.next;
    return { obs: t.next, reward: t.reward, terminated: t.terminated, truncated: false, info: {} };
  }
  protected saveState() {
    return { s: this.#s };
  }
  protected restoreState(fn: string, state: Record<string, unknown>): void {
    const s = state.s;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > PLANKS + 1)
      throw new TypeError(`${fn}: state.s must be a plank index, got ${String(s)}`);
    this.#s = s;
  }
  render(): string {
    return `${'='.repeat(this.#s)}@${'='.repeat(Math.max(0, PLANKS - this.#s))}\n`;
  }
  renderFrame(): RenderFrame {
    return { kind: 'bandit', armValues: [0.9, 0.5], lastArm: null, lastReward: null };
  }
}

// --- training ---
/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** Steps per episode (TimeLimit). */
  timeLimit: 20,
  /** Env steps of training. */
  totalSteps: 32_768,
  seed: 1,
  backend: 'wasm' as BackendName,
  print: true,
};

/** What `main` returns: the exact optimum, the trained policy's exact return and its greedy action per plank. */
export interface OwnEnvResult {
  optimalReturn: number;
  finalPolicyReturn: number;
  /** The most likely action on planks 0 … 3 (0 walk, 1 crawl). */
  greedy: number[];
}

/** Train on the bridge with the given time limit and report the exact numbers. */
export async function main(overrides: Partial<typeof DEFAULTS> = {}): Promise<OwnEnvResult> {
  const o = { ...DEFAULTS, ...overrides };
  const trainer = await Trainer.create({
    env: () => new TimeLimit(new RopeBridge(), o.timeLimit), // a factory: one fresh copy per parallel env
    totalSteps: o.totalSteps,
    seed: o.seed,
    backend: o.backend,
  });
  try {
    while (!trainer.done) await trainer.step();
    const last = trainer.history.at(-1)!;
    const greedy = Array.from(
      { length: PLANKS },
      (_, s) => trainer.policy.predict(s, { deterministic: true }) as number,
    );
    const result = {
      optimalReturn: trainer.exactOptimum!.optimalReturn,
      finalPolicyReturn: last['charts/policy_return']!,
      greedy,
    };
    if (o.print) {
      console.log(`world: ${trainer.config.env}, ${o.timeLimit}-step limit`);
      console.log(
        `exact optimum ${result.optimalReturn.toFixed(4)}, trained policy ${result.finalPolicyReturn.toFixed(4)}`,
      );
      console.log(`greedy action per plank: ${greedy.map((a) => (a === WALK ? 'walk' : 'crawl')).join(', ')}`);
    }
    return result;
  } finally {
    trainer.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
