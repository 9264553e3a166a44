/**
 * The grid of `klip compare` (the ablation of the PPO paper's Table 1 on klip's worlds: objectives × KL controllers
 * × seeds), its cells, the config each cell runs, and deterministic sharding (`--shard i/n`) so a batch engine
 * (Slurm array, Kubernetes Jobs, CI matrix) can run the slices. Node only.
 * @module
 */
import type { KlControllerKind } from '../../controllers/types.js';
import { ConfigError } from '../../core/errors.js';
import type { KlControllerSettings, ObjectiveKind, PpoConfigInput } from '../../training/config.js';
import { hasKlTerm } from '../../training/kl_control.js';

/** The grid of a comparison: everything that decides which cells exist and what each one runs. */
export interface CompareGrid {
  /** Env preset id. */
  env: string;
  /** Objectives (rows of the ablation). */
  objectives: ObjectiveKind[];
  /** KL controller kinds, used by the objectives with a KL term (`kl-penalty`, `clip+kl`). */
  controllers: KlControllerKind[];
  /** Seeds. */
  seeds: Array<number | string>;
  /** Env steps per cell. */
  totalSteps: number;
  /** Other config fields shared by every cell (from `--config`, `--backend`, …). */
  base: PpoConfigInput;
}

/** One cell of the grid. `controller` is `'-'` for objectives without a KL term (they ignore β). */
export interface CompareCell {
  /** Position in the full grid (0-based); sharding and merging key on it. */
  index: number;
  /** Objective. */
  objective: ObjectiveKind;
  /** Controller kind or `'-'`. */
  controller: KlControllerKind | '-';
  /** Seed. */
  seed: number | string;
}

/** One deterministic slice of a compare grid: cells with `index % count === index − 1`. */
export interface Shard {
  /** The slice i, 1-based. */
  index: number;
  /** The number of slices n. */
  count: number;
}

/**
 * Enumerate the grid's cells in a fixed order: objective, then controller, then seed. Objectives without a KL
 * term get one controller `'-'` (β does not affect them, so running them per controller would repeat work).
 * @param grid The grid.
 * @returns Cells with their 0-based `index`.
 * @example
 * ```ts
 * compareCells({ objectives: ['clip', 'clip+kl'], controllers: ['fixed', 'adaptive'], seeds: [1, 2] }).length; // 2 + 4 = 6
 * ```
 */
export function compareCells(grid: Pick<CompareGrid, 'objectives' | 'controllers' | 'seeds'>): CompareCell[] {
  const cells: CompareCell[] = [];
  for (const objective of grid.objectives) {
    const ctls: ReadonlyArray<KlControllerKind | '-'> = hasKlTerm(objective) ? grid.controllers : ['-'];
    for (const controller of ctls)
      for (const seed of grid.seeds) cells.push({ index: cells.length, objective, controller, seed });
  }
  return cells;
}

/**
 * Parse `--shard i/n` (1-based i, 1 ≤ i ≤ n).
 * @param text e.g. `"2/4"`.
 * @returns `{ index: i, count: n }`.
 * @throws ConfigError for anything else, naming the expected form.
 * @example
 * ```ts
 * parseShard('2/4'); // { index: 2, count: 4 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(i >= 1) || i > n) {
    throw new ConfigError({ fn: 'compare', arg: '--shard', expected: 'i/n with 1 ≤ i ≤ n (e.g. 1/4)', got: text });
  }
  return { index: i, count: n };
}

/**
 * The i-th of n deterministic slices of the cells: every cell whose index ≡ i − 1 (mod n). Round-robin spreads
 * the objectives evenly; the union of the n slices is the whole grid, and they are disjoint.
 * @param cells All cells (from {@link compareCells}).
 * @param shard `{ index: i, count: n }`, 1-based.
 * @returns The slice, in grid order.
 * @example
 * ```ts
 * shardCells(compareCells(grid), { index: 1, count: 2 }); // cells 0, 2, 4, …
 * ```
 */
export function shardCells(cells: readonly CompareCell[], shard: Shard): CompareCell[] {
  return cells.filter((c) => c.index % shard.count === shard.index - 1);
}

/**
 * The config of one cell: the grid's base, then env, steps, objective, controller kind and seed. A controller kind
 * other than the base's starts from the base's β (`fixed` needs one; default: the default config's initial β, 1).
 * @param grid The grid.
 * @param cell The cell.
 * @returns A partial config for `Trainer.create`.
 * @example
 * ```ts
 * cellConfig(grid, cells[0]).objective;
 * ```
 */
export function cellConfig(grid: CompareGrid, cell: CompareCell): PpoConfigInput {
  const base = { ...grid.base };
  const cfg: PpoConfigInput = {
    ...base,
    env: grid.env,
    totalSteps: grid.totalSteps,
    objective: cell.objective,
    seed: cell.seed,
  };
  const kind = cell.controller;
  if (kind !== '-') {
    const baseCtl = base.klController;
    const ctl: KlControllerSettings =
      baseCtl && baseCtl.kind === kind
        ? { ...baseCtl }
        : kind === 'fixed'
          ? { kind, beta: baseCtl?.beta ?? 1 } // fixed: the base's β, else 1 (resolvePpoConfig's default)
          : { kind };
    cfg.klController = ctl;
  }
  return cfg;
}
