/**
 * Statistics of a comparison over seeds: one row per (objective, controller) with the mean and sample standard
 * deviation of the final return and of the mean per-step KL. Node only.
 * @module
 */
import type { CompareResult } from './file.js';

/** Aggregated row of the comparison table: one per (objective, controller). */
export interface CompareRow {
  /** Objective. */
  objective: string;
  /** Controller kind or `'-'`. */
  controller: string;
  /** Seeds aggregated. */
  n: number;
  /** Mean of the final return over seeds. */
  returnMean: number | null;
  /** Sample standard deviation (n − 1) of the final return (0 for one seed). */
  returnStd: number | null;
  /** Mean over seeds of the mean per-step KL. */
  klMean: number | null;
  /** Sample std over seeds of the mean per-step KL. */
  klStd: number | null;
  /** Mean exact policy return (tabular worlds). */
  policyReturnMean: number | null;
  /** Exact optimum (tabular worlds). */
  optimalReturn: number | null;
}

/**
 * Mean and sample standard deviation s = √(Σ(x − x̄)² / (n − 1)) (Bessel's correction; 0 for one value, null for
 * none).
 * @param xs Finite values.
 * @returns `{ mean, std }`.
 * @example
 * ```ts
 * meanStd([1, 2, 3]); // { mean: 2, std: 1 }
 * ```
 */
export function meanStd(xs: readonly number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

function finite(xs: Array<number | null>): number[] {
  return xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Aggregate results per (objective, controller) over seeds: mean ± sample std (n − 1) of the final return and of the
 * mean per-step KL, mean exact policy return and the optimum. Rows follow the grid order; missing values (no finished
 * episode) are left out of the statistics.
 * @param results Cell results.
 * @returns One row per (objective, controller).
 * @example
 * ```ts
 * aggregateCompare(results)[0].returnMean;
 * ```
 */
export function aggregateCompare(results: readonly CompareResult[]): CompareRow[] {
  const groups = new Map<string, CompareResult[]>();
  for (const r of [...results].sort((a, b) => a.index - b.index)) {
    const k = `${r.objective}\u0000${r.controller}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((g) => {
    const ret = meanStd(finite(g.map((r) => r.finalReturn)));
    const kl = meanStd(finite(g.map((r) => r.meanStepKl)));
    const opt = finite(g.map((r) => r.optimalReturn));
    return {
      objective: g[0]!.objective,
      controller: g[0]!.controller,
      n: g.length,
      returnMean: ret.mean,
      returnStd: ret.std,
      klMean: kl.mean,
      klStd: kl.std,
      policyReturnMean: meanStd(finite(g.map((r) => r.policyReturn))).mean,
      optimalReturn: opt.length ? opt[0]! : null,
    };
  });
}
