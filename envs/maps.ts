/**
 * Preset maps and grid worlds: Gymnasium's FrozenLake 4×4 and 8×8 (`frozen_lake.py` `MAPS`), CliffWalking
 * (`cliffwalking.py`, 4×12) and a 5×5 teaching grid. The factories return unwrapped envs; {@link makeEnv} adds
 * Gymnasium's time limits.
 * @module
 */
import { Gridworld, type GridworldOptions } from './gridworld.js';

/**
 * Gymnasium's FrozenLake 4×4 map (`frozen_lake.py` `MAPS["4x4"]`).
 * @example
 * ```ts
 * Gridworld.fromMap(FROZEN_LAKE_4X4, { slippery: true });
 * ```
 */
export const FROZEN_LAKE_4X4: readonly string[] = Object.freeze(['SFFF', 'FHFH', 'FFFH', 'HFFG']);

/**
 * Gymnasium's FrozenLake 8×8 map (`frozen_lake.py` `MAPS["8x8"]`).
 * @example
 * ```ts
 * Gridworld.fromMap(FROZEN_LAKE_8X8, { slippery: true });
 * ```
 */
export const FROZEN_LAKE_8X8: readonly string[] = Object.freeze([
  'SFFFFFFF',
  'FFFFFFFF',
  'FFFHFFFF',
  'FFFFFHFF',
  'FFFHFFFF',
  'FHHFFFHF',
  'FHFFHFHF',
  'FFFHFFFG',
]);

/**
 * CliffWalking's 4×12 map (Gymnasium `cliffwalking.py`): start (3, 0), goal (3, 11), cliff (3, 1…10).
 * @example
 * ```ts
 * Gridworld.fromMap(CLIFF_WALKING, { stepReward: -1, goalReward: -1 });
 * ```
 */
export const CLIFF_WALKING: readonly string[] = Object.freeze([
  '............',
  '............',
  '............',
  'SCCCCCCCCCCG',
]);

/**
 * A 5×5 teaching grid with walls and holes; the shortest safe path takes 10 steps.
 * @example
 * ```ts
 * Gridworld.fromMap(GRID_5X5);
 * ```
 */
export const GRID_5X5: readonly string[] = Object.freeze(['S.H..', '.W...', '...W.', '.H.H.', '...WG']);

/**
 * FrozenLake 4×4 as in Gymnasium: slippery by default (1/3 intended, 1/3 each perpendicular), reward 1 at `G`, 0 else.
 *
 * Optimal success probability from the start with no time limit (γ = 1): ≈ 0.8235.
 *
 * Source: Gymnasium `gymnasium/envs/toy_text/frozen_lake.py`.
 * @param options Grid options; `slippery` defaults to true here.
 * @returns A new unwrapped {@link Gridworld}; `makeEnv('frozenlake4x4')` adds the 100-step limit.
 * @example
 * ```ts
 * const env = frozenLake4x4({ slippery: false });
 * ```
 */
export function frozenLake4x4(options: GridworldOptions = {}): Gridworld {
  return Gridworld.fromMap(FROZEN_LAKE_4X4, { slippery: true, ...options });
}

/**
 * FrozenLake 8×8 as in Gymnasium (slippery by default).
 *
 * Source: Gymnasium `gymnasium/envs/toy_text/frozen_lake.py`.
 * @param options Grid options; `slippery` defaults to true here.
 * @returns A new unwrapped {@link Gridworld}; `makeEnv('frozenlake8x8')` adds the 200-step limit.
 * @example
 * ```ts
 * const env = frozenLake8x8();
 * ```
 */
export function frozenLake8x8(options: GridworldOptions = {}): Gridworld {
  return Gridworld.fromMap(FROZEN_LAKE_8X8, { slippery: true, ...options });
}

/**
 * CliffWalking as in Gymnasium: −1 per step (including the step onto `G`), −100 and back to start on the cliff,
 * episode ends at `G`. Optimal return −13.
 *
 * Source: Gymnasium `gymnasium/envs/toy_text/cliffwalking.py`.
 * @param options Grid options; defaults `stepReward: −1`, `goalReward: −1`, `cliffReward: −100`, no slip.
 * @returns A new unwrapped {@link Gridworld} (no time limit, like Gymnasium).
 * @example
 * ```ts
 * const env = cliffWalking();
 * ```
 */
export function cliffWalking(options: GridworldOptions = {}): Gridworld {
  return Gridworld.fromMap(CLIFF_WALKING, { stepReward: -1, goalReward: -1, cliffReward: -100, ...options });
}

/**
 * The 5×5 teaching grid {@link GRID_5X5}: no slip, reward 1 at `G`, 0 else.
 * @param options Grid options.
 * @returns A new unwrapped {@link Gridworld}; `makeEnv('grid5x5')` adds a 50-step limit.
 * @example
 * ```ts
 * const env = grid5x5({ stepReward: -0.01 });
 * ```
 */
export function grid5x5(options: GridworldOptions = {}): Gridworld {
  return Gridworld.fromMap(GRID_5X5, options);
}
