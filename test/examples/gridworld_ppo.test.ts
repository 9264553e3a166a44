import { describe, expect, it } from 'vitest';
import { main } from '../../examples/gridworld_ppo.js';
import { FROZEN_LAKE_4X4 } from '../../envs/index.js';

/** Follow the greedy actions on the non-slippery map from S (0 left, 1 down, 2 right, 3 up; walls keep you in place). */
function greedyWalk(greedy: number[]): string {
  const moves = [
    [0, -1],
    [1, 0],
    [0, 1],
    [-1, 0],
  ] as const;
  let r = 0;
  let c = 0;
  for (let t = 0; t < 100; t++) {
    const cell = FROZEN_LAKE_4X4[r]![c]!;
    if (cell === 'H' || cell === 'G') return cell;
    const [dr, dc] = moves[greedy[r * 4 + c]!]!;
    r = Math.min(3, Math.max(0, r + dr));
    c = Math.min(3, Math.max(0, c + dc));
  }
  return 'time limit';
}

describe('examples/gridworld_ppo', () => {
  it('non-slippery FrozenLake, 25 small updates: the exact return climbs to the optimum 1 and the greedy policy walks to G', async () => {
    const r = await main({ slippery: false, numEnvs: 4, nSteps: 64, updates: 25, backend: 'cpu', print: false });
    // Without slip the goal is reached surely in 6 moves, well within the 100-step limit: the optimum is exactly 1.
    expect(r.optimalReturn).toBe(1);
    expect(r.history).toHaveLength(25);
    expect(r.firstPolicyReturn).toBeLessThan(0.2); // near-uniform start: rarely reaches G
    expect(r.finalPolicyReturn).toBeGreaterThan(0.9);
    expect(greedyWalk(r.greedy)).toBe('G');
  });

  it('the default slippery world reports its exact optimum (≈ 0.74 within 100 steps) and prints the greedy map', async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    let r: Awaited<ReturnType<typeof main>>;
    try {
      r = await main({ numEnvs: 2, nSteps: 32, updates: 2, backend: 'cpu' });
    } finally {
      console.log = orig;
    }
    // Gymnasium's FrozenLake-v1 success probability under the optimal policy is ≈ 0.82 without a limit; less within 100 steps.
    expect(r.optimalReturn).toBeGreaterThan(0.7);
    expect(r.optimalReturn).toBeLessThan(0.8235);
    const text = lines.join('\n');
    expect(text).toMatch(/update {3}1 {2}exact return/);
    // The map rows: holes and goal at their places, arrows elsewhere.
    expect(lines.at(-2)).toMatch(/^ {2}[←↓→↑] [←↓→↑] [←↓→↑] H$/);
    expect(lines.at(-1)).toMatch(/^ {2}H [←↓→↑] [←↓→↑] G$/);
  });
});
