/**
 * Grid worlds from ASCII maps, with an explicit transition table (Gymnasium `gymnasium/envs/toy_text/frozen_lake.py`
 * and `cliffwalking.py`). Observation = row·cols + col; actions 0 = left, 1 = down, 2 = right, 3 = up.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';
import {
  checkDiscreteAction,
  compileTable,
  EnvBase,
  intField,
  nullableIntField,
  sampleRow,
  type CompiledTable,
} from './base.js';
import { Discrete } from './spaces.js';
import type { GridFrame, ResetResult, StepResult, TabularEnv, Transition } from './types.js';

/** Options of {@link Gridworld.fromMap}. */
export interface GridworldOptions {
  /**
   * Slip like Gymnasium's FrozenLake: the intended direction and the two perpendicular ones, 1/3 each.
   * @defaultValue false
   */
  slippery?: boolean;
  /**
   * When `slippery`, the total probability of moving perpendicular (half to each side); the intended move gets the rest.
   * @defaultValue 2/3 (Gymnasium `frozen_lake.py`: 1/3 intended, 1/3 each perpendicular)
   */
  slipProbability?: number;
  /** Reward of an ordinary move (onto `S`, `F` or `.`, or bumping a wall or edge). @defaultValue 0 */
  stepReward?: number;
  /** Reward for entering `G` (replaces `stepReward`). @defaultValue 1 (Gymnasium FrozenLake) */
  goalReward?: number;
  /** Reward for entering `H` (replaces `stepReward`). @defaultValue 0 (Gymnasium FrozenLake) */
  holeReward?: number;
  /** Reward for entering `C`, which sends the agent back to `S` without ending the episode. @defaultValue −100 (Gymnasium CliffWalking) */
  cliffReward?: number;
}

const LETTERS = new Set(['S', 'F', '.', 'H', 'G', 'C', 'W']);
const ACTION_NAMES = ['Left', 'Down', 'Right', 'Up'] as const;
const DR = [0, 1, 0, -1] as const;
const DC = [-1, 0, 1, 0] as const;

function checkReward(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new EnvError({ fn: 'Gridworld.fromMap', arg: `options.${name}`, expected: 'a finite number', got: v });
  }
  return v;
}

/**
 * A grid world built from an ASCII map: `S` start, `F`/`.` free, `H` hole (terminal, reward 0), `G` goal (terminal,
 * reward 1), `C` cliff (reward −100, back to start, not terminal), `W` wall. Moving into a wall or off the edge leaves
 * the agent in place, as in Gymnasium.
 *
 * Dynamics: P(s′ | s, a) = (1 − p_slip)·[s′ = move(s, a)] + p_slip/2·[s′ = move(s, a−1)] + p_slip/2·[s′ = move(s, a+1)]
 * (directions mod 4), with p_slip = 2/3 when slippery (Gymnasium), 0 otherwise. Terminal cells (`G`, `H`) self-loop
 * with `terminated: true`. Identical outcomes are merged, so `info.prob` is the probability of the observed outcome.
 *
 * Source: Gymnasium `gymnasium/envs/toy_text/frozen_lake.py:232-334`, `cliffwalking.py`.
 * @example
 * ```ts
 * const env = Gridworld.fromMap(['S.G', '.H.'], { stepReward: -0.01 });
 * env.reset({ seed: 0 });
 * const { obs, reward, terminated, info } = env.step(2); // right
 * ```
 */
export class Gridworld extends EnvBase<number, number> implements TabularEnv {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** `cells[r][c]`: the map letter (`.` is stored as `F`). */
  readonly cells: readonly (readonly string[])[];
  /** The start state index. */
  readonly startState: number;
  /** Discrete(rows·cols): the state index row·cols + col. */
  readonly observationSpace: Discrete;
  /** Discrete(4): 0 left, 1 down, 2 right, 3 up. */
  readonly actionSpace: Discrete;
  /** Number of states rows·cols. */
  readonly nStates: number;
  /** Number of actions, 4. */
  readonly nActions = 4;
  /** The transition table P[s][a]. */
  readonly P: Transition[][][];
  /** One-hot on the start state. */
  readonly initialStateDistribution: Float64Array;
  /** The resolved options (defaults filled in). */
  readonly options: Readonly<Required<GridworldOptions>>;

  #table: CompiledTable;
  #goal: Uint8Array;
  #state = 0;
  #lastAction: number | null = null;
  #steps = 0;

  /**
   * Build a grid world from map lines; prefer {@link Gridworld.fromMap}.
   * @param lines One string per row (or one string with newlines), all of the same length.
   * @param options Rewards and slip.
   * @throws EnvError naming the row and column for bad maps.
   */
  constructor(lines: readonly string[] | string, options: GridworldOptions = {}) {
    super('Gridworld', 'gridworld');
    const fn = 'Gridworld.fromMap';
    let rowsIn: readonly string[];
    if (typeof lines === 'string')
      rowsIn = lines
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    else if (Array.isArray(lines)) rowsIn = lines;
    else
      throw new EnvError({
        fn,
        arg: 'lines',
        expected: 'an array of strings or a string with one row per line',
        got: lines,
      });
    if (rowsIn.length === 0) throw new EnvError({ fn, arg: 'lines', expected: 'at least one row', got: rowsIn });
    if (options === null || typeof options !== 'object')
      throw new EnvError({ fn, arg: 'options', expected: 'an object', got: options });
    const known = ['slippery', 'slipProbability', 'stepReward', 'goalReward', 'holeReward', 'cliffReward'];
    for (const k of Object.keys(options)) {
      if (!known.includes(k))
        throw new EnvError({
          fn,
          arg: `options.${k}`,
          expected: `one of the known options ${known.join(', ')}`,
          got: k,
        });
    }
    const slippery = options.slippery ?? false;
    if (typeof slippery !== 'boolean')
      throw new EnvError({ fn, arg: 'options.slippery', expected: 'a boolean', got: slippery });
    const slipProbability = options.slipProbability ?? 2 / 3;
    if (typeof slipProbability !== 'number' || !(slipProbability >= 0 && slipProbability <= 1)) {
      throw new EnvError({
        fn,
        arg: 'options.slipProbability',
        expected: 'a probability in [0, 1]',
        got: slipProbability,
      });
    }
    this.options = Object.freeze({
      slippery,
      slipProbability,
      stepReward: checkReward('stepReward', options.stepReward ?? 0),
      goalReward: checkReward('goalReward', options.goalReward ?? 1),
      holeReward: checkReward('holeReward', options.holeReward ?? 0),
      cliffReward: checkReward('cliffReward', options.cliffReward ?? -100),
    });

    const cols = typeof rowsIn[0] === 'string' ? rowsIn[0].length : -1;
    const cells: string[][] = [];
    let start: [number, number] | null = null;
    for (let r = 0; r < rowsIn.length; r++) {
      const line = rowsIn[r];
      if (typeof line !== 'string') throw new EnvError({ fn, arg: `lines[${r}]`, expected: 'a string', got: line });
      if (line.length !== cols || cols === 0) {
        throw new EnvError({
          fn,
          arg: `lines[${r}] (row ${r})`,
          expected: `a row of ${cols} cells like row 0 (ragged map)`,
          got: line,
        });
      }
      const row: string[] = [];
      for (let c = 0; c < cols; c++) {
        const ch = line[c]!;
        if (!LETTERS.has(ch)) {
          throw new EnvError({
            fn,
            arg: `map[${r}][${c}] (row ${r}, column ${c})`,
            expected: 'one of S, F, ., H, G, C, W',
            got: ch,
          });
        }
        if (ch === 'S') {
          if (start) {
            throw new EnvError({
              fn,
              arg: `map[${r}][${c}] (row ${r}, column ${c})`,
              expected: `the only start S (another S is at row ${start[0]}, column ${start[1]})`,
              got: ch,
            });
          }
          start = [r, c];
        }
        row.push(ch === '.' ? 'F' : ch);
      }
      cells.push(row);
    }
    if (!start) throw new EnvError({ fn, arg: 'map', expected: 'a map with exactly one start S', got: rowsIn });
    this.rows = rowsIn.length;
    this.cols = cols;
    this.cells = cells;
    this.nStates = this.rows * this.cols;
    this.startState = start[0] * cols + start[1];
    this.observationSpace = new Discrete(this.nStates);
    this.actionSpace = new Discrete(4);
    this.initialStateDistribution = new Float64Array(this.nStates);
    this.initialStateDistribution[this.startState] = 1;
    this.P = this.#buildTable();
    this.#checkGoalReachable(start);
    this.#table = compileTable(this.P, 4);
    // goal[k] = 1 when outcome k of the compiled table enters a goal cell (info.success), precomputed for step().
    this.#goal = Uint8Array.from(this.#table.next, (n, k) =>
      this.#table.terminated[k] === 1 && this.#letter(n) === 'G' ? 1 : 0,
    );
  }

  /**
   * Build a grid world from an ASCII map (see the class doc for the letters and rules).
   * @param lines One string per row, or one string with a row per line.
   * @param options Rewards and slip.
   * @returns A new unwrapped {@link Gridworld} (no time limit; wrap with {@link timeLimit}).
   * @throws EnvError for no or several `S`, ragged rows, unknown letters, or no goal reachable from `S`, naming the row and column.
   * @example
   * ```ts
   * const env = Gridworld.fromMap(['SFF', 'FHF', 'FFG'], { slippery: true });
   * ```
   */
  static fromMap(lines: readonly string[] | string, options: GridworldOptions = {}): Gridworld {
    return new Gridworld(lines, options);
  }

  #letter(s: number): string {
    return this.cells[Math.floor(s / this.cols)]![s % this.cols]!;
  }

  #move(s: number, a: number): number {
    const r = Math.floor(s / this.cols);
    const c = s % this.cols;
    const nr = Math.min(this.rows - 1, Math.max(0, r + DR[a as 0]));
    const nc = Math.min(this.cols - 1, Math.max(0, c + DC[a as 0]));
    return this.cells[nr]![nc] === 'W' ? s : nr * this.cols + nc;
  }

  #outcome(s: number, a: number, prob: number): Transition {
    const next = this.#move(s, a);
    const o = this.options;
    switch (this.#letter(next)) {
      case 'C':
        return { prob, next: this.startState, reward: o.cliffReward, terminated: false };
      case 'G':
        return { prob, next, reward: o.goalReward, terminated: true };
      case 'H':
        return { prob, next, reward: o.holeReward, terminated: true };
      default:
        return { prob, next, reward: o.stepReward, terminated: false };
    }
  }

  #buildTable(): Transition[][][] {
    const P: Transition[][][] = [];
    const slip = this.options.slippery ? this.options.slipProbability : 0;
    for (let s = 0; s < this.nStates; s++) {
      const letter = this.#letter(s);
      const row: Transition[][] = [];
      for (let a = 0; a < 4; a++) {
        if (letter === 'G' || letter === 'H' || letter === 'W') {
          row.push([{ prob: 1, next: s, reward: 0, terminated: true }]);
          continue;
        }
        // 1/3 exactly for Gymnasium's rule (1 − 2/3 would round to 0.33333333333333337).
        const intended = slip === 2 / 3 ? 1 / 3 : 1 - slip;
        const candidates: [number, number][] = [
          [(a + 3) % 4, slip / 2],
          [a, intended],
          [(a + 1) % 4, slip / 2],
        ];
        const list: Transition[] = [];
        for (const [b, p] of candidates) {
          if (p <= 0) continue;
          const t = this.#outcome(s, b, p);
          const same = list.find((x) => x.next === t.next && x.reward === t.reward && x.terminated === t.terminated);
          if (same) same.prob += p;
          else list.push(t);
        }
        row.push(list);
      }
      P.push(row);
    }
    return P;
  }

  #checkGoalReachable(start: [number, number]): void {
    const seen = new Uint8Array(this.nStates);
    const queue = [this.startState];
    seen[this.startState] = 1;
    while (queue.length > 0) {
      const s = queue.pop()!;
      for (let a = 0; a < 4; a++) {
        for (const t of this.P[s]![a]!) {
          if (t.terminated && this.#letter(t.next) === 'G') return;
          if (!t.terminated && !seen[t.next]) {
            seen[t.next] = 1;
            queue.push(t.next);
          }
        }
      }
    }
    throw new EnvError({
      fn: 'Gridworld.fromMap',
      arg: 'map',
      expected: `a map with a goal G reachable from the start at row ${start[0]}, column ${start[1]}`,
      got: this.cells.map((r) => r.join('')),
    });
  }

  /** Actions are 0 left, 1 down, 2 right, 3 up. */
  protected checkAction(fn: string, action: number): void {
    checkDiscreteAction(fn, action, 4);
  }

  /**
   * Start an episode at `S` (the Rng is not drawn from).
   * @returns `{ obs: startState, info: { prob: 1 } }`.
   */
  protected resetState(): ResetResult<number> {
    this.#state = this.startState;
    this.#lastAction = null;
    this.#steps = 0;
    return { obs: this.#state, info: { prob: 1 } };
  }

  /**
   * Draw one outcome of P[s][a] with one uniform from the env's Rng.
   * @returns `{ obs, reward, terminated, truncated: false, info: { prob, success? } }`.
   */
  protected stepState(action: number, rng: Rng): StepResult<number> {
    const t = this.#table;
    const k = sampleRow(t, this.#state * 4 + action, rng);
    const next = t.next[k]!;
    const reward = t.reward[k]!;
    const prob = t.prob[k]!;
    this.#state = next;
    this.#lastAction = action;
    this.#steps++;
    if (t.terminated[k] === 1) {
      if (this.#goal[k] === 1)
        return { obs: next, reward, terminated: true, truncated: false, info: { prob, success: true } };
      return { obs: next, reward, terminated: true, truncated: false, info: { prob } };
    }
    return { obs: next, reward, terminated: false, truncated: false, info: { prob } };
  }

  /**
   * The map as text with the agent's cell highlighted (ANSI red background), preceded by the last action,
   * like Gymnasium's `render_mode="ansi"`.
   * @returns A multi-line string.
   */
  render(): string {
    const lines: string[] = [];
    if (this.#lastAction !== null) lines.push(`  (${ACTION_NAMES[this.#lastAction]})`);
    const ar = this.started ? Math.floor(this.#state / this.cols) : -1;
    const ac = this.started ? this.#state % this.cols : -1;
    for (let r = 0; r < this.rows; r++) {
      lines.push(this.cells[r]!.map((ch, c) => (r === ar && c === ac ? `\x1b[41m${ch}\x1b[0m` : ch)).join(''));
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * The current state as plain data for drawing.
   * @returns A new {@link GridFrame}.
   */
  renderFrame(): GridFrame {
    return {
      kind: 'grid',
      rows: this.rows,
      cols: this.cols,
      cells: this.cells.map((r) => [...r]),
      agent: this.started ? { row: Math.floor(this.#state / this.cols), col: this.#state % this.cols } : null,
      lastAction: this.#lastAction,
    };
  }

  /**
   * The grid's fields of the JSON snapshot `{ kind: 'gridworld', rng, started, needsReset, state, lastAction, steps }`.
   * @returns A new plain object.
   */
  protected saveState(): Record<string, unknown> {
    return { state: this.#state, lastAction: this.#lastAction, steps: this.#steps };
  }

  /**
   * Restore `state`, `lastAction` and `steps` of a snapshot from {@link Gridworld.getState}.
   * @throws EnvError when they do not fit this grid.
   */
  protected restoreState(fn: string, s: Record<string, unknown>): void {
    const pos = intField(fn, s, 'state', 0, this.nStates);
    const lastAction = nullableIntField(fn, s, 'lastAction', 0, 4);
    const steps = intField(fn, s, 'steps', 0, Number.MAX_SAFE_INTEGER);
    this.#state = pos;
    this.#lastAction = lastAction;
    this.#steps = steps;
  }
}
