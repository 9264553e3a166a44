// The allocation-free VectorEnv.step (reused result buffers) and the hot-path changes in the worlds and wrappers must
// keep every observable behaviour. The oracle below steps independent single envs by the documented rules
// (Gymnasium sync_vector_env NEXT_STEP / SB3 same-step reset), written without looking at VectorEnv's loop.
import { describe, expect, it } from 'vitest';
import {
  BernoulliBandit,
  Box,
  ContextualBandit,
  Discrete,
  EnvError,
  EpisodeStats,
  Gridworld,
  TimeLimit,
  VectorEnv,
  createRng,
  frozenLake4x4,
  timeLimit,
} from '../../envs/index.js';
import type { AutoresetMode, Env, EnvState, RenderFrame, ResetResult, StepInfo, StepResult } from '../../envs/index.js';

interface Snapshot {
  obs: number[];
  rewards: number[];
  terminated: number[];
  truncated: number[];
  finalObs: unknown[];
  finalInfo: (StepInfo | null)[];
  infos: StepInfo[];
  episodes: { index: number; return: number; length: number; success: boolean }[];
}

/** Reference vector stepping over single envs (the obs of each copy is a number or an array of numbers). */
function referenceRun(make: () => Env, n: number, mode: AutoresetMode, seed: number, actions: number[][]): Snapshot[] {
  const envs = Array.from({ length: n }, () => make());
  envs.forEach((e, i) => e.reset({ seed: seed + i }));
  const pending = new Array<boolean>(n).fill(false);
  const ret = new Array<number>(n).fill(0);
  const len = new Array<number>(n).fill(0);
  const flat = (o: unknown): number[] => (typeof o === 'number' ? [o] : Array.from(o as ArrayLike<number>));
  return actions.map((acts) => {
    const s: Snapshot = {
      obs: [],
      rewards: [],
      terminated: [],
      truncated: [],
      finalObs: [],
      finalInfo: [],
      infos: [],
      episodes: [],
    };
    envs.forEach((e, i) => {
      if (pending[i]) {
        pending[i] = false;
        ret[i] = 0;
        len[i] = 0;
        const r = e.reset();
        s.obs.push(...flat(r.obs));
        s.rewards.push(0);
        s.terminated.push(0);
        s.truncated.push(0);
        s.finalObs.push(null);
        s.finalInfo.push(null);
        s.infos.push(r.info);
        return;
      }
      const r = e.step(acts[i]);
      ret[i]! += r.reward;
      len[i]! += 1;
      s.rewards.push(r.reward);
      s.terminated.push(r.terminated ? 1 : 0);
      s.truncated.push(r.truncated ? 1 : 0);
      const ended = r.terminated || r.truncated;
      s.finalObs.push(ended ? (typeof r.obs === 'number' ? r.obs : flat(r.obs)) : null);
      s.finalInfo.push(ended ? r.info : null);
      if (ended) s.episodes.push({ index: i, return: ret[i]!, length: len[i]!, success: r.info.success === true });
      if (ended && mode === 'same-step') {
        ret[i] = 0;
        len[i] = 0;
        const rr = e.reset();
        s.obs.push(...flat(rr.obs));
        s.infos.push(rr.info);
      } else {
        if (ended) pending[i] = true;
        s.obs.push(...flat(r.obs));
        s.infos.push(r.info);
      }
    });
    return s;
  });
}

function snapshot(r: ReturnType<VectorEnv['step']>): Snapshot {
  return {
    obs: Array.from(r.obs),
    rewards: Array.from(r.rewards),
    terminated: Array.from(r.terminated),
    truncated: Array.from(r.truncated),
    finalObs: r.finalObs.map((o) => (o === null || typeof o === 'number' ? o : Array.from(o as ArrayLike<number>))),
    finalInfo: r.finalInfo.map((i) => (i === null ? null : { ...i })),
    infos: r.infos.map((i) => ({ ...i })),
    episodes: r.episodes.map((e) => ({ ...e })),
  };
}

/** A tiny Box-observation env: obs = [k, −k, t] after t steps, episode terminates after 3 steps (action a adds a to k). */
class BoxCounter implements Env<Float64Array, number> {
  readonly observationSpace = new Box(-100, 100, [3]);
  readonly actionSpace = new Discrete(3);
  #k = 0;
  #t = 0;
  #rng = createRng(0);
  get unwrapped(): Env {
    return this;
  }
  reset(opts?: { seed?: number | string }): ResetResult<Float64Array> {
    if (opts?.seed !== undefined) this.#rng = createRng(opts.seed);
    this.#k = this.#rng.int(0, 5);
    this.#t = 0;
    return { obs: Float64Array.of(this.#k, -this.#k, 0), info: { start: this.#k } };
  }
  step(a: number): StepResult<Float64Array> {
    this.#k += a;
    this.#t++;
    return {
      obs: Float64Array.of(this.#k, -this.#k, this.#t),
      reward: a,
      terminated: this.#t >= 3,
      truncated: false,
      info: { t: this.#t },
    };
  }
  render(): string {
    return '';
  }
  renderFrame(): RenderFrame {
    return { kind: 'bandit', armValues: [], lastArm: null, lastReward: null };
  }
  getState(): EnvState {
    return { kind: 'box-counter', k: this.#k, t: this.#t, rng: this.#rng.state() };
  }
  setState(s: EnvState): void {
    this.#k = s.k as number;
    this.#t = s.t as number;
    this.#rng = createRng.fromState(s.rng as never);
  }
  close(): void {}
}

describe('VectorEnv.step with reused buffers equals a reference loop over single envs', () => {
  const lake = () => new EpisodeStats(timeLimit(frozenLake4x4(), 6));
  const cases: [string, () => Env, number][] = [
    ['slippery FrozenLake, TimeLimit 6, EpisodeStats', lake, 4],
    ['Box observations', () => new BoxCounter(), 3],
    [
      'contextual bandit',
      () =>
        new ContextualBandit({
          means: [
            [0, 1],
            [1, 0],
            [0.5, 0.5],
          ],
        }),
      2,
    ],
  ];
  for (const mode of ['same-step', 'next-step'] as const) {
    for (const [name, make, nA] of cases) {
      it(`${mode}: ${name}`, () => {
        const n = 5;
        const arng = createRng(`actions/${name}/${mode}`);
        const actions = Array.from({ length: 120 }, () => Array.from({ length: n }, () => arng.int(0, nA)));
        const expected = referenceRun(make, n, mode, 7, actions);
        const venv = new VectorEnv(
          Array.from({ length: n }, () => make),
          { autoreset: mode },
        );
        venv.reset({ seed: 7 });
        const got = actions.map((a) => snapshot(venv.step(a)));
        expect(got).toEqual(expected);
        // Both kinds of endings happen, so the final-obs hand-back and the episode records are really exercised.
        expect(expected.some((s) => s.terminated.includes(1))).toBe(true);
        if (name.includes('TimeLimit'))
          expect(expected.some((s) => s.truncated.includes(1) && s.finalInfo.some((i) => i?.episode))).toBe(true);
        // currentObs() follows the last step, also for Box observations.
        expect(Array.from(venv.currentObs())).toEqual(expected.at(-1)!.obs);
        expect(venv.getState().obs).toEqual(expected.at(-1)!.obs);
      });
    }
  }
});

describe('VectorEnv.step result ownership', () => {
  it('returns the same object and arrays every step, overwritten in place (documented; copies keep the values)', () => {
    const venv = new VectorEnv([() => timeLimit(Gridworld.fromMap(['S.G']), 5)], { autoreset: 'same-step' });
    venv.reset({ seed: 0 });
    const r1 = venv.step([2]);
    const kept = { obs: r1.obs.slice(), episodes: r1.episodes.map((e) => ({ ...e })) };
    const r2 = venv.step([2]); // reaches G: episode ends, copy resets to S
    expect(r2).toBe(r1);
    expect(r2.obs).toBe(r1.obs);
    expect(Array.from(kept.obs)).toEqual([1]);
    expect(Array.from(r1.obs)).toEqual([0]); // overwritten by the second step
    expect(kept.episodes).toEqual([]);
    expect(r2.episodes).toEqual([{ index: 0, return: 1, length: 2, success: true }]);
    const r3 = venv.step([2]);
    expect(r3.episodes).toEqual([]); // the previous step's records do not leak into the next
    expect(r3.finalObs).toEqual([null]);
    expect(Array.from(r3.terminated)).toEqual([0]);
  });

  it('mutating a returned obs array does not change currentObs() or getState()', () => {
    const venv = new VectorEnv([() => timeLimit(Gridworld.fromMap(['S.G']), 5)]);
    venv.reset({ seed: 0 });
    const r = venv.step([2]);
    r.obs[0] = 99;
    expect(Array.from(venv.currentObs())).toEqual([1]);
    expect(venv.getState().obs).toEqual([1]);
  });

  it('reset() still returns new arrays', () => {
    const venv = new VectorEnv([() => timeLimit(Gridworld.fromMap(['S.G']), 5)]);
    const a = venv.reset({ seed: 0 });
    const b = venv.reset({ seed: 0 });
    expect(a.obs).not.toBe(b.obs);
  });
});

describe('hot-path details of the worlds and wrappers', () => {
  it('wrappers forward the tabular model through getters shared by all instances (one hidden class per wrapper kind)', () => {
    const a = new TimeLimit(frozenLake4x4(), 10);
    const b = new TimeLimit(Gridworld.fromMap(['S.G']), 3);
    for (const key of ['nStates', 'nActions', 'P', 'initialStateDistribution'] as const) {
      const da = Object.getOwnPropertyDescriptor(a, key)!;
      const db = Object.getOwnPropertyDescriptor(b, key)!;
      expect(da.get).toBe(db.get);
      expect(da.enumerable).toBe(true);
    }
    expect(a.P).toBe(a.env.P);
    expect(b.nStates).toBe(3);
    expect(new EpisodeStats(b).initialStateDistribution).toBe(b.env.initialStateDistribution);
  });

  it('Gridworld.step: success only on entering G; invalid actions still throw the same EnvError', () => {
    const g = Gridworld.fromMap(['SHG', '...']);
    g.reset({ seed: 0 });
    const hole = g.step(2);
    expect(hole).toEqual({ obs: 1, reward: 0, terminated: true, truncated: false, info: { prob: 1 } });
    expect('success' in hole.info).toBe(false);
    const g2 = Gridworld.fromMap(['S.G']);
    g2.reset({ seed: 0 });
    g2.step(2);
    expect(g2.step(2).info).toEqual({ prob: 1, success: true });
    g2.reset();
    for (const bad of [2.5, -1, 4, Number.NaN, '1', null]) {
      expect(() => g2.step(bad as number)).toThrow(EnvError);
      expect(() => g2.step(bad as number)).toThrow('Gridworld.step: action must be an integer in [0, 4)');
    }
    expect(g2.step(-0).obs).toBe(0); // −0 is the integer 0, as before
  });

  it('bandits: success is true exactly for the optimal arms of the context (ties included)', () => {
    const b = new BernoulliBandit({ probs: [0.2, 0.8, 0.8] });
    b.reset({ seed: 1 });
    const wins = [0, 1, 2].map((a) => {
      b.reset();
      return b.step(a).info.success;
    });
    expect(wins).toEqual([false, true, true]);
    expect(() => b.step(0)).toThrow('BernoulliBandit.step: env must be reset after an episode ends');
    const c = new ContextualBandit({
      means: [
        [0, 1],
        [0.9, 0.1],
      ],
    });
    let { obs } = c.reset({ seed: 3 });
    for (let t = 0; t < 20; t++) {
      const a = t % 2;
      expect(c.step(a).info.success).toBe(a === (obs === 0 ? 1 : 0));
      ({ obs } = c.reset());
    }
  });
});
