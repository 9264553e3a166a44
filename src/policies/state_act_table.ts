/**
 * A per-state memo of what a categorical policy's `act` computes for a discrete observation: within one weights
 * version the logits of state s are a function of s alone, so the unnormalised probabilities p_a = exp(ℓ_a − max ℓ),
 * the log-probabilities log π(a|s) = ℓ_a − max ℓ − log Σ_b p_b and V(s) are computed once per state and looked up
 * on every later visit. The stored numbers are produced by the same arithmetic as an uncached `act`, so sampling
 * from them draws the same actions from the same stream, bit for bit.
 * @module
 */

/**
 * p_a = exp(ℓ_a − max ℓ) into `out` (length A = out.length), the arithmetic of a categorical policy's `act`; then
 * log π(a|s) = ℓ_a − max − logSum, with logSum = log Σ_b p_b.
 * @returns `max` and `logSum`.
 */
export function unnormalizedProbs(logits: ArrayLike<number>, out: Float64Array): { max: number; logSum: number } {
  const A = out.length;
  let max = -Infinity;
  for (let a = 0; a < A; a++) if (logits[a]! > max) max = logits[a]!;
  let sum = 0;
  for (let a = 0; a < A; a++) {
    const e = Math.exp(logits[a]! - max);
    out[a] = e;
    sum += e;
  }
  return { max, logSum: Math.log(sum) };
}

/** The most table entries (states × actions) a {@link StateActTable} holds; larger spaces act without a memo. */
export const STATE_ACT_TABLE_MAX_ENTRIES = 1 << 20;

/** A lazily filled per-state table of unnormalised probabilities, log-probabilities and values (internal). */
export class StateActTable {
  readonly #A: number;
  readonly #filled: Uint8Array;
  readonly #probs: Float64Array;
  readonly #views: (Float64Array | undefined)[];
  readonly #logProbs: Float64Array;
  readonly #values: Float64Array;
  #any = false;

  /**
   * @param states Number of discrete states n.
   * @param actions Number of actions A.
   */
  constructor(states: number, actions: number) {
    this.#A = actions;
    this.#filled = new Uint8Array(states);
    this.#probs = new Float64Array(states * actions);
    this.#views = new Array(states);
    this.#logProbs = new Float64Array(states * actions);
    this.#values = new Float64Array(states);
  }

  /** Whether a table of `states × actions` entries is small enough to keep. */
  static fits(states: number, actions: number): boolean {
    return states * actions <= STATE_ACT_TABLE_MAX_ENTRIES;
  }

  /** Forget every state (call whenever the weights change). */
  clear(): void {
    if (this.#any) this.#filled.fill(0);
    this.#any = false;
  }

  /** Whether state s has been filled since the last {@link StateActTable.clear}. */
  has(s: number): boolean {
    return this.#filled[s] === 1;
  }

  /**
   * Store state s from its logits (length A) and value: the unnormalised probabilities and log-probabilities,
   * computed exactly as an uncached `act` does.
   */
  fill(s: number, logits: ArrayLike<number>, value: number): void {
    const A = this.#A;
    const { max, logSum } = unnormalizedProbs(logits, this.probs(s));
    const lp = this.#logProbs;
    for (let a = 0; a < A; a++) lp[s * A + a] = logits[a]! - max - logSum;
    this.#values[s] = value;
    this.#filled[s] = 1;
    this.#any = true;
  }

  /** The unnormalised probabilities of state s (a view into the table). */
  probs(s: number): Float64Array {
    let v = this.#views[s];
    if (v === undefined) {
      v = this.#probs.subarray(s * this.#A, (s + 1) * this.#A);
      this.#views[s] = v;
    }
    return v;
  }

  /** log π(a|s) of a filled state. */
  logProb(s: number, a: number): number {
    return this.#logProbs[s * this.#A + a]!;
  }

  /** V(s) of a filled state (NaN without a critic). */
  value(s: number): number {
    return this.#values[s]!;
  }
}
