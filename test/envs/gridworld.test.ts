import { describe, expect, it } from 'vitest';
import {
  CLIFF_WALKING,
  EnvError,
  FROZEN_LAKE_4X4,
  FROZEN_LAKE_8X8,
  Gridworld,
  cliffWalking,
  frozenLake4x4,
  grid5x5,
} from '../../envs/index.js';

describe('Gridworld maps', () => {
  it("uses Gymnasium's FrozenLake and CliffWalking maps", () => {
    expect(FROZEN_LAKE_4X4).toEqual(['SFFF', 'FHFH', 'FFFH', 'HFFG']);
    expect(FROZEN_LAKE_8X8).toEqual([
      'SFFFFFFF',
      'FFFFFFFF',
      'FFFHFFFF',
      'FFFFFHFF',
      'FFFHFFFF',
      'FHHFFFHF',
      'FHFFHFHF',
      'FFFHFFFG',
    ]);
    const cw = cliffWalking();
    expect([cw.rows, cw.cols, cw.startState]).toEqual([4, 12, 36]); // start (3, 0) → 3·12 + 0
    expect(CLIFF_WALKING[3]).toBe('SCCCCCCCCCCG');
  });

  it('slippery FrozenLake: intended and the two perpendicular moves, 1/3 each (frozen_lake.py)', () => {
    const env = frozenLake4x4();
    // State 0, action 1 (down): perpendicular right → 1, down → 4, left → stays at 0.
    const row = [...env.P[0]![1]!].sort((a, b) => a.next - b.next);
    expect(row.map((t) => t.next)).toEqual([0, 1, 4]);
    for (const t of row) expect(t.prob).toBeCloseTo(1 / 3, 15);
    // State 0, action 0 (left): left stays, up stays (merged 2/3), down → 4.
    const left = [...env.P[0]![0]!].sort((a, b) => a.next - b.next);
    expect(left.map((t) => [t.next, t.prob])).toEqual([
      [0, 2 / 3],
      [4, 1 / 3],
    ]);
    // State 14 (row 3, col 2), action 2 (right) → goal 15 with reward 1 and terminated.
    const goal = env.P[14]![2]!.find((t) => t.next === 15)!;
    expect(goal).toEqual({ prob: 1 / 3, next: 15, reward: 1, terminated: true });
    // Holes are terminal with reward 0; terminal cells self-loop.
    expect(env.P[5]![0]).toEqual([{ prob: 1, next: 5, reward: 0, terminated: true }]);
    expect(env.P[4]![2]!.find((t) => t.next === 5)).toEqual({ prob: 1 / 3, next: 5, reward: 0, terminated: true });
  });

  it('CliffWalking: −1 per step, −100 and back to start on the cliff (not terminal), goal terminal with −1', () => {
    const env = cliffWalking();
    expect(env.P[36]![2]).toEqual([{ prob: 1, next: 36, reward: -100, terminated: false }]);
    expect(env.P[36]![3]).toEqual([{ prob: 1, next: 24, reward: -1, terminated: false }]);
    expect(env.P[35]![1]).toEqual([{ prob: 1, next: 47, reward: -1, terminated: true }]);
    expect(env.P[0]![3]).toEqual([{ prob: 1, next: 0, reward: -1, terminated: false }]); // edge: stay
  });

  it('walls leave the agent in place; "." is free', () => {
    const env = Gridworld.fromMap(['S.W', '..G']);
    expect(env.P[1]![2]).toEqual([{ prob: 1, next: 1, reward: 0, terminated: false }]);
    expect(env.cells[0]![1]).toBe('F');
  });

  it('step: deterministic world follows the action; info.prob and success on the goal', () => {
    const env = Gridworld.fromMap(['S.G']);
    expect(env.reset({ seed: 3 })).toEqual({ obs: 0, info: { prob: 1 } });
    expect(env.step(2)).toEqual({ obs: 1, reward: 0, terminated: false, truncated: false, info: { prob: 1 } });
    expect(env.step(2)).toEqual({
      obs: 2,
      reward: 1,
      terminated: true,
      truncated: false,
      info: { prob: 1, success: true },
    });
    // A hole ends the episode without success.
    const h = Gridworld.fromMap(['SH', '.G']);
    h.reset();
    expect(h.step(2)).toEqual({ obs: 1, reward: 0, terminated: true, truncated: false, info: { prob: 1 } });
  });

  it('the empirical slip frequencies match 1/3 (seeded)', () => {
    const env = frozenLake4x4();
    env.reset({ seed: 11 });
    const counts = [0, 0, 0, 0, 0];
    const n = 6000;
    for (let i = 0; i < n; i++) {
      env.setState({ ...env.getState(), state: 0, needsReset: false, started: true });
      counts[env.step(1).obs]! += 1;
    }
    for (const s of [0, 1, 4])
      expect(Math.abs(counts[s]! / n - 1 / 3)).toBeLessThan(3 * Math.sqrt(((1 / 3) * (2 / 3)) / n) + 1e-9);
  });

  it('same seed → same rollout; a different seed → a different one', () => {
    const roll = (seed: number): number[] => {
      const env = frozenLake4x4();
      const out = [env.reset({ seed }).obs];
      for (let t = 0; t < 300; t++) {
        const r = env.step(t % 4);
        out.push(r.obs);
        if (r.terminated) out.push(env.reset().obs);
      }
      return out;
    };
    expect(roll(5)).toEqual(roll(5));
    expect(roll(5)).not.toEqual(roll(6));
  });

  it('reset without a seed before any seed uses seed 0', () => {
    const a = frozenLake4x4();
    const b = frozenLake4x4();
    a.reset();
    b.reset({ seed: 0 });
    for (let t = 0; t < 50; t++) {
      const ra = a.step(1);
      const rb = b.step(1);
      expect(ra).toEqual(rb);
      if (ra.terminated) {
        a.reset();
        b.reset();
      }
    }
  });

  it('getState/setState through JSON resumes bit for bit', () => {
    const env = frozenLake4x4();
    env.reset({ seed: 9 });
    env.step(2);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    const run = (): unknown[] => {
      const out: unknown[] = [];
      for (let t = 0; t < 40; t++) {
        const r = env.step(1);
        out.push(r);
        if (r.terminated) out.push(env.reset());
      }
      return out;
    };
    const first = run();
    env.setState(saved);
    expect(run()).toEqual(first);
    expect(() => env.setState({ kind: 'bandit' })).toThrow(EnvError);
    expect(() => env.setState({ ...saved, state: 99 })).toThrow(
      'Gridworld.setState: state.state must be an integer in [0, 16), got 99',
    );
  });

  it('render (ANSI) and renderFrame', () => {
    const env = grid5x5();
    expect(env.renderFrame().agent).toBeNull();
    env.reset({ seed: 0 });
    env.step(1);
    const text = env.render();
    expect(text.split('\n')[0]).toBe('  (Down)');
    expect(text).toContain('\x1b[41mF\x1b[0m');
    expect(env.renderFrame()).toEqual({
      kind: 'grid',
      rows: 5,
      cols: 5,
      cells: grid5x5().cells.map((r) => [...r]),
      agent: { row: 1, col: 0 },
      lastAction: 1,
    });
  });
});

describe('Gridworld errors', () => {
  it('bad maps throw EnvError naming the row and column', () => {
    expect(() => Gridworld.fromMap(['F.G'])).toThrow('Gridworld.fromMap: map must be a map with exactly one start S');
    expect(() => Gridworld.fromMap(['S.G', '.S.'])).toThrow(
      'map[1][1] (row 1, column 1) must be the only start S (another S is at row 0, column 0)',
    );
    expect(() => Gridworld.fromMap(['S.G', '..'])).toThrow(
      'lines[1] (row 1) must be a row of 3 cells like row 0 (ragged map), got ".."',
    );
    expect(() => Gridworld.fromMap(['S.G', '.X.'])).toThrow(
      'map[1][1] (row 1, column 1) must be one of S, F, ., H, G, C, W, got "X"',
    );
    expect(() => Gridworld.fromMap(['SW', 'WG'])).toThrow(
      'map must be a map with a goal G reachable from the start at row 0, column 0',
    );
    expect(() => Gridworld.fromMap(['SHG'])).toThrow(/reachable/); // only through a hole
    expect(() => Gridworld.fromMap(['S..'])).toThrow(/reachable/); // no goal at all
    expect(() => Gridworld.fromMap([])).toThrow(EnvError);
    expect(() => Gridworld.fromMap(['S.G'], { slipProbability: 1.5 })).toThrow(EnvError);
    expect(() => Gridworld.fromMap(['S.G'], { stepReward: Number.NaN })).toThrow(EnvError);
    expect(() => Gridworld.fromMap(['S.G'], { slipery: true } as never)).toThrow('options.slipery');
  });

  it('invalid actions, step before reset and step after the end throw EnvError', () => {
    const env = Gridworld.fromMap(['SG']);
    expect(() => env.step(0)).toThrow(
      'Gridworld.step: env must be reset before the first step, got "step() before reset()"',
    );
    env.reset({ seed: 0 });
    for (const a of [4, -1, 1.5, Number.NaN, Infinity]) expect(() => env.step(a)).toThrow(EnvError);
    expect(() => env.step(Number.NaN)).toThrow('Gridworld.step: action must be an integer in [0, 4), got NaN');
    expect(() => env.step('1' as never)).toThrow(EnvError);
    expect(env.step(2).terminated).toBe(true);
    expect(() => env.step(2)).toThrow('Gridworld.step: env must be reset after an episode ends');
    expect(() => env.reset({ seed: -1 })).toThrow(EnvError);
  });
});
