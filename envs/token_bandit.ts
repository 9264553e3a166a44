/**
 * A toy "language model" world for RLHF penalties: the agent writes a sequence of T tokens from a vocabulary of V, a
 * reward function scores the finished sequence, and a reference policy plays the SFT model. Small enough (V^T
 * sequences, e.g. 8^6 = 262 144) that every expectation can be computed exactly by enumeration.
 *
 * Observations are the position t ∈ {0, …, T−1} (a policy conditioned on position only, i.e. a tabular policy with
 * T states, matches the reference's form); actions are tokens. Imports no tfjs.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';
import { sampleCategorical } from '../src/random/sampling.js';
import { checkDiscreteAction, EnvBase } from './base.js';
import { Discrete } from './spaces.js';
import type { BanditFrame, ResetResult, StepResult } from './types.js';

/**
 * The built-in scores of a finished sequence y = (y_0, …, y_{L−1}):
 * - `count`: Σ_t [y_t = target], the number of target tokens;
 * - `pattern`: Σ_t [y_t = pattern_t], the positions that match a fixed pattern;
 * - `length-penalized`: the token `eos` ends the sequence early; Σ_{t<L} [y_t = target] − λ·L, with L the number of
 *   tokens before `eos` (a verbosity penalty).
 */
export type TokenRewardPreset = 'count' | 'pattern' | 'length-penalized';
/** All values of {@link TokenRewardPreset}. */
export const TOKEN_REWARD_PRESETS: readonly TokenRewardPreset[] = Object.freeze([
  'count',
  'pattern',
  'length-penalized',
] as const);

/** Options of {@link TokenBandit}. */
export interface TokenBanditOptions {
  /** Vocabulary size V ≥ 2. @defaultValue 8 */
  vocabSize?: number;
  /** Sequence length T ≥ 1 (the maximum length for `length-penalized`). @defaultValue 6 */
  length?: number;
  /** A preset name or a custom score of the token list (must be finite). @defaultValue 'count' */
  reward?: TokenRewardPreset | ((tokens: readonly number[]) => number);
  /** The target token of `count` and `length-penalized`. @defaultValue 0 */
  target?: number;
  /** The pattern of `pattern`, length T. @defaultValue [0, 1, 2, …] mod V */
  pattern?: readonly number[];
  /** The end-of-sequence token of `length-penalized` (must differ from `target`). @defaultValue V − 1 */
  eos?: number;
  /** λ, the cost per token of `length-penalized`. @defaultValue 0.5 */
  lengthPenalty?: number;
  /**
   * The reference policy π_ref (the "SFT model"): `'uniform'`, one distribution over V used at every position, or a
   * table `[T][V]` (one distribution per position). Entries must be > 0 (so KL(π‖π_ref) is finite).
   * @defaultValue 'uniform'
   */
  reference?: 'uniform' | readonly number[] | readonly (readonly number[])[];
}

const SUM_TOL = 1e-6;
/** Most sequences enumerated for a custom score's optimum. */
const MAX_ENUMERATED = 2 ** 20;

function checkDist(fn: string, arg: string, p: unknown, V: number): Float64Array {
  if (
    p === null ||
    typeof p !== 'object' ||
    typeof (p as ArrayLike<unknown>).length !== 'number' ||
    (p as ArrayLike<unknown>).length !== V
  ) {
    throw new EnvError({ fn, arg, expected: `an array of ${V} probabilities`, got: p });
  }
  const out = Float64Array.from(p as ArrayLike<number>);
  let s = 0;
  out.forEach((v, i) => {
    if (typeof (p as ArrayLike<unknown>)[i] !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new EnvError({ fn, arg: `${arg}[${i}]`, expected: 'a probability > 0', got: (p as ArrayLike<unknown>)[i] });
    }
    s += v;
  });
  if (Math.abs(s - 1) > SUM_TOL)
    throw new EnvError({
      fn,
      arg,
      expected: `probabilities summing to 1 (±${SUM_TOL})`,
      got: p,
      hint: `Its sum is ${s}`,
    });
  return out;
}

function checkInt(fn: string, arg: string, x: unknown, lo: number, hi: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x >= hi)
    throw new EnvError({ fn, arg, expected: `an integer in [${lo}, ${hi})`, got: x });
  return x;
}

/**
 * The token bandit: write T tokens from V, get a score at the end.
 *
 * Episode: for t = 0…T−1, observe t, emit y_t ∈ {0, …, V−1}; the step that ends the sequence (t = T−1, or `eos` in
 * `length-penalized`) returns reward R(y) and `terminated: true`; every other step returns 0.
 *
 * A frozen reference π_ref(·|t) is part of the env, with exact helpers on position-conditioned policies π[t][v]:
 * {@link TokenBandit.expectedScore}, {@link TokenBandit.sequenceKl} and, for the additive presets,
 * {@link TokenBandit.tokenRewards} (then the KL-regularized optimum factorises per position).
 *
 * Source: the bandit-sequence abstraction of RLHF in Ziegler et al. 2019 (https://arxiv.org/abs/1909.08593) §2; the
 * Gymnasium env API (`gymnasium/core.py`).
 * @example
 * ```ts
 * const env = new TokenBandit({ vocabSize: 8, length: 6, reward: 'count', target: 3 });
 * let { obs } = env.reset({ seed: 0 });
 * let done = false;
 * while (!done) ({ obs, terminated: done } = env.step(3)); // six 3s: reward 6
 * ```
 */
export class TokenBandit extends EnvBase<number, number> {
  /** Discrete(T): the position t. */
  readonly observationSpace: Discrete;
  /** Discrete(V): the tokens. */
  readonly actionSpace: Discrete;
  /** Vocabulary size V. */
  readonly vocabSize: number;
  /** Sequence length T. */
  readonly length: number;
  /** The preset name, or `'custom'`. */
  readonly rewardKind: TokenRewardPreset | 'custom';
  /** The target token (`count`, `length-penalized`). */
  readonly target: number;
  /** The pattern (`pattern`). */
  readonly pattern: readonly number[];
  /** The end-of-sequence token (`length-penalized`), or −1 when sequences always have length T. */
  readonly eos: number;
  /** λ of `length-penalized`. */
  readonly lengthPenalty: number;
  readonly #ref: Float64Array[];
  readonly #custom: ((tokens: readonly number[]) => number) | null;
  #tokens: number[] = [];
  #lastReward: number | null = null;
  #optimal: number | null = null;

  /**
   * @param opts see {@link TokenBanditOptions}.
   * @throws EnvError for sizes out of range, an unknown preset, a bad target/pattern/eos/λ or reference.
   */
  constructor(opts: TokenBanditOptions = {}) {
    super('TokenBandit', 'token-bandit');
    const fn = 'TokenBandit';
    if (opts === null || typeof opts !== 'object')
      throw new EnvError({ fn, arg: 'opts', expected: 'an options object', got: opts });
    const V = checkInt(fn, 'vocabSize', opts.vocabSize ?? 8, 2, 2 ** 16);
    const T = checkInt(fn, 'length', opts.length ?? 6, 1, 2 ** 16);
    this.vocabSize = V;
    this.length = T;
    this.observationSpace = new Discrete(T);
    this.actionSpace = new Discrete(V);
    const reward = opts.reward ?? 'count';
    if (typeof reward === 'function') {
      this.rewardKind = 'custom';
      this.#custom = reward;
    } else {
      if (!(TOKEN_REWARD_PRESETS as readonly unknown[]).includes(reward)) {
        throw new EnvError({
          fn,
          arg: 'reward',
          expected: `one of ${TOKEN_REWARD_PRESETS.map((p) => `'${p}'`).join(' | ')} or a function`,
          got: reward,
        });
      }
      this.rewardKind = reward;
      this.#custom = null;
    }
    this.target = checkInt(fn, 'target', opts.target ?? 0, 0, V);
    const pattern = opts.pattern ?? Array.from({ length: T }, (_, t) => t % V);
    if (!Array.isArray(pattern) || pattern.length !== T)
      throw new EnvError({ fn, arg: 'pattern', expected: `an array of ${T} tokens`, got: pattern });
    pattern.forEach((p, i) => {
      checkInt(fn, `pattern[${i}]`, p, 0, V);
    });
    this.pattern = Object.freeze([...pattern]);
    if (this.rewardKind === 'length-penalized') {
      this.eos = checkInt(fn, 'eos', opts.eos ?? V - 1, 0, V);
      if (this.eos === this.target)
        throw new EnvError({ fn, arg: 'eos', expected: `a token other than target (${this.target})`, got: this.eos });
    } else {
      this.eos = -1;
    }
    const lp = opts.lengthPenalty ?? 0.5;
    if (typeof lp !== 'number' || !Number.isFinite(lp))
      throw new EnvError({ fn, arg: 'lengthPenalty', expected: 'a finite number', got: lp });
    this.lengthPenalty = lp;
    const ref = opts.reference ?? 'uniform';
    if (ref === 'uniform') {
      this.#ref = Array.from({ length: T }, () => new Float64Array(V).fill(1 / V));
    } else if (Array.isArray(ref) && ref.length > 0 && Array.isArray(ref[0])) {
      if (ref.length !== T)
        throw new EnvError({
          fn,
          arg: 'reference',
          expected: `'uniform', an array of ${V} probabilities or a table [${T}][${V}]`,
          got: `${ref.length} rows`,
        });
      this.#ref = (ref as readonly (readonly number[])[]).map((row, t) => checkDist(fn, `reference[${t}]`, row, V));
    } else {
      const row = checkDist(fn, 'reference', ref, V);
      this.#ref = Array.from({ length: T }, () => Float64Array.from(row));
    }
  }

  /** The tokens written so far in this episode (a copy). */
  get tokens(): number[] {
    return [...this.#tokens];
  }

  /**
   * π_ref(·|t), the reference distribution at position t.
   * @param t A position in [0, T).
   * @returns A new `Float64Array(V)`.
   * @throws EnvError for a bad position.
   */
  referenceProbs(t: number): Float64Array {
    checkInt('TokenBandit.referenceProbs', 't', t, 0, this.length);
    return Float64Array.from(this.#ref[t]!);
  }

  /**
   * The reference as a table `[T][V]` (a copy), e.g. to initialise a policy at π_ref.
   * @returns New arrays.
   */
  referenceTable(): number[][] {
    return this.#ref.map((r) => Array.from(r));
  }

  /**
   * The score R(y) of a finished sequence (what the last `step` returns). A `length-penalized` sequence ends at its
   * first `eos` (later tokens are ignored).
   * @param tokens The sequence, 1…T tokens in [0, V).
   * @returns R(y).
   * @throws EnvError for a bad token list or a non-finite custom score.
   */
  score(tokens: readonly number[]): number {
    const fn = 'TokenBandit.score';
    if (!Array.isArray(tokens) || tokens.length === 0 || tokens.length > this.length) {
      throw new EnvError({ fn, arg: 'tokens', expected: `an array of 1…${this.length} tokens`, got: tokens });
    }
    tokens.forEach((y, i) => {
      checkInt(fn, `tokens[${i}]`, y, 0, this.vocabSize);
    });
    return this.#score(tokens);
  }

  #score(tokens: readonly number[]): number {
    switch (this.rewardKind) {
      case 'count':
        return tokens.reduce((s, y) => s + (y === this.target ? 1 : 0), 0);
      case 'pattern':
        return tokens.reduce((s, y, t) => s + (y === this.pattern[t] ? 1 : 0), 0);
      case 'length-penalized': {
        let L = 0;
        let hits = 0;
        for (const y of tokens) {
          if (y === this.eos) break;
          L++;
          if (y === this.target) hits++;
        }
        return hits - this.lengthPenalty * L;
      }
      case 'custom': {
        const r = this.#custom!(tokens);
        if (typeof r !== 'number' || !Number.isFinite(r))
          throw new EnvError({ fn: 'TokenBandit.score', arg: 'reward(tokens)', expected: 'a finite number', got: r });
        return r;
      }
    }
  }

  /**
   * Per-position token rewards r_t(v) when the score is additive, R(y) = Σ_t r_t(y_t) (`count`, `pattern`); then the
   * KL-regularized optimum over position-conditioned policies is π*_t(v) ∝ π_ref(v|t)·exp(r_t(v)/β) at each t.
   * @returns A new table `[T][V]`, or `null` for `length-penalized` and custom scores.
   */
  tokenRewards(): number[][] | null {
    if (this.rewardKind === 'count')
      return Array.from({ length: this.length }, () =>
        Array.from({ length: this.vocabSize }, (_, v) => (v === this.target ? 1 : 0)),
      );
    if (this.rewardKind === 'pattern')
      return this.pattern.map((p) => Array.from({ length: this.vocabSize }, (_, v) => (v === p ? 1 : 0)));
    return null;
  }

  /**
   * The best score any policy can reach, max_y R(y) (the world is deterministic, so no policy beats the best sequence;
   * E_π[R] is multilinear in the position rows π_t, so a position-conditioned policy reaches it too).
   * - additive scores (`count`, `pattern`): Σ_t max_v r_t(v);
   * - `length-penalized` (R = #target − λ·L, L = tokens before the first `eos`): dynamic programming over positions,
   *   W_T = 0, W_t = max(0 (write eos: the sequence ends), max_{v≠eos} ([v = target] − λ + W_{t+1})), optimum W_0;
   * - a custom score: max over the V^T sequences (V^T ≤ 2^20).
   * @returns max_y R(y) (cached after the first call).
   * @throws EnvError for a custom score with V^T > 2^20 sequences.
   * @example
   * ```ts
   * new TokenBandit({ vocabSize: 8, length: 6, reward: 'count' }).optimalScore(); // 6
   * ```
   */
  optimalScore(): number {
    if (this.#optimal !== null) return this.#optimal;
    const V = this.vocabSize;
    const T = this.length;
    const rt = this.tokenRewards();
    let best: number;
    if (rt) {
      best = rt.reduce((sum, row) => sum + Math.max(...row), 0);
    } else if (this.rewardKind === 'length-penalized') {
      let w = 0; // W_{t+1}, from W_T = 0
      for (let t = T - 1; t >= 0; t--) {
        let b = 0; // write eos
        for (let v = 0; v < V; v++)
          if (v !== this.eos) b = Math.max(b, (v === this.target ? 1 : 0) - this.lengthPenalty + w);
        w = b;
      }
      best = w;
    } else {
      if (V ** T > MAX_ENUMERATED) {
        throw new EnvError({
          fn: 'TokenBandit.optimalScore',
          arg: 'vocabSize^length',
          expected: `at most 2^20 sequences for a custom score`,
          got: V ** T,
        });
      }
      best = -Infinity;
      const y = new Array<number>(T).fill(0);
      for (let k = 0; k < V ** T; k++) {
        for (let t = 0, r = k; t < T; t++, r = Math.floor(r / V)) y[t] = r % V;
        best = Math.max(best, this.#score(y));
      }
    }
    this.#optimal = best;
    return best;
  }

  #checkTable(fn: string, table: ArrayLike<number>): void {
    const n = this.length * this.vocabSize;
    if (table === null || typeof table !== 'object' || table.length !== n) {
      throw new EnvError({
        fn,
        arg: 'policy',
        expected: `a flat table of T·V = ${n} probabilities (row t holds π(·|t))`,
        got: table,
      });
    }
    for (let t = 0; t < this.length; t++) {
      let s = 0;
      for (let v = 0; v < this.vocabSize; v++) {
        const p = table[t * this.vocabSize + v]!;
        if (!(p >= 0) || !Number.isFinite(p))
          throw new EnvError({ fn, arg: `policy[${t * this.vocabSize + v}]`, expected: 'a probability ≥ 0', got: p });
        s += p;
      }
      if (Math.abs(s - 1) > 1e-4)
        throw new EnvError({ fn, arg: `policy row ${t}`, expected: 'probabilities summing to 1', got: s });
    }
  }

  /** Probability of still writing at position t: Π_{s<t} (1 − π_s(eos)) (1 without `eos`). */
  #alive(table: ArrayLike<number>): Float64Array {
    const alive = new Float64Array(this.length);
    let a = 1;
    for (let t = 0; t < this.length; t++) {
      alive[t] = a;
      if (this.eos >= 0) a *= 1 - table[t * this.vocabSize + this.eos]!;
    }
    return alive;
  }

  /**
   * Exact E_{y∼π}[R(y)] for a position-conditioned policy, by a closed form for the presets and by enumerating all
   * V^T sequences for a custom score.
   *
   * count/pattern: Σ_t π_t(r_t = 1); length-penalized: Σ_t alive_t·(π_t(target) − λ·(1 − π_t(eos)))
   * @param policy A flat table `[T·V]`, row t = π(·|t) (e.g. `TabularPolicy.probsTable()`).
   * @returns The expected score.
   * @throws EnvError for a bad table, or a custom score with V^T > 2^20 sequences.
   */
  expectedScore(policy: ArrayLike<number>): number {
    const fn = 'TokenBandit.expectedScore';
    this.#checkTable(fn, policy);
    const V = this.vocabSize;
    const T = this.length;
    const rt = this.tokenRewards();
    if (rt) {
      let e = 0;
      for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) e += policy[t * V + v]! * rt[t]![v]!;
      return e;
    }
    if (this.rewardKind === 'length-penalized') {
      const alive = this.#alive(policy);
      let e = 0;
      for (let t = 0; t < T; t++)
        e += alive[t]! * (policy[t * V + this.target]! - this.lengthPenalty * (1 - policy[t * V + this.eos]!));
      return e;
    }
    if (V ** T > MAX_ENUMERATED)
      throw new EnvError({
        fn,
        arg: 'policy',
        expected: `a world with at most 2^20 sequences for a custom score (V^T = ${V}^${T})`,
        got: V ** T,
      });
    const y = new Array<number>(T).fill(0);
    let e = 0;
    const rec = (t: number, p: number): void => {
      if (p === 0) return;
      if (t === T) {
        e += p * this.#score(y);
        return;
      }
      for (let v = 0; v < V; v++) {
        y[t] = v;
        rec(t + 1, p * policy[t * V + v]!);
      }
    };
    rec(0, 1);
    return e;
  }

  /**
   * Exact sequence-level KL(π‖π_ref) for a position-conditioned policy: the sum of per-position KLs, each weighted by
   * the probability that position t is written (sequences stop at `eos`).
   *
   * KL(π‖π_ref) = Σ_t alive_t · Σ_v π_t(v)·log(π_t(v)/π_ref(v|t)),  alive_t = Π_{s<t}(1 − π_s(eos)) (1 without eos)
   * @param policy A flat table `[T·V]`, row t = π(·|t).
   * @returns KL in nats per sequence (≥ 0).
   * @throws EnvError for a bad table.
   */
  sequenceKl(policy: ArrayLike<number>): number {
    this.#checkTable('TokenBandit.sequenceKl', policy);
    const V = this.vocabSize;
    const alive = this.#alive(policy);
    let kl = 0;
    for (let t = 0; t < this.length; t++) {
      let k = 0;
      for (let v = 0; v < V; v++) {
        const p = policy[t * V + v]!;
        if (p > 0) k += p * Math.log(p / this.#ref[t]![v]!);
      }
      kl += alive[t]! * Math.max(k, 0);
    }
    return kl;
  }

  /**
   * Sample a whole sequence from the reference (stopping at `eos`).
   * @param rng The stream (one draw per token).
   * @returns The tokens.
   */
  sampleReference(rng: Rng): number[] {
    const out: number[] = [];
    for (let t = 0; t < this.length; t++) {
      const y = sampleCategorical(this.#ref[t]!, rng);
      out.push(y);
      if (y === this.eos) break;
    }
    return out;
  }

  /** Actions are tokens 0…V − 1. */
  protected checkAction(fn: string, action: number): void {
    checkDiscreteAction(fn, action, this.vocabSize);
  }

  /**
   * Start a sequence (the world is deterministic; the Rng is not drawn from).
   * @returns `{ obs: 0, info: {} }`.
   */
  protected resetState(): ResetResult<number> {
    this.#tokens = [];
    this.#lastReward = null;
    return { obs: 0, info: {} };
  }

  /**
   * Emit one token.
   * @returns `{ obs: next position, reward, terminated, truncated: false, info }`: reward 0 and `terminated: false`
   *   until the sequence ends, then R(y), `terminated: true` and `info.tokens`.
   */
  protected stepState(action: number): StepResult<number> {
    this.#tokens.push(action);
    const done = this.#tokens.length === this.length || action === this.eos;
    if (!done) return { obs: this.#tokens.length, reward: 0, terminated: false, truncated: false, info: {} };
    const reward = this.#score(this.#tokens);
    this.#lastReward = reward;
    const success =
      this.rewardKind === 'custom' && this.vocabSize ** this.length > MAX_ENUMERATED
        ? false
        : reward >= this.optimalScore() - 1e-9;
    return {
      obs: this.#tokens.length - 1,
      reward,
      terminated: true,
      truncated: false,
      info: { tokens: [...this.#tokens], success },
    };
  }

  /**
   * The sequence so far as text, e.g. `3 1 3 _ _ _`.
   * @returns One line.
   */
  render(): string {
    const rest = Array.from({ length: this.length - this.#tokens.length }, () => '_');
    return `${[...this.#tokens.map(String), ...rest].join(' ')}${this.#lastReward === null ? '' : `  reward ${this.#lastReward}`}\n`;
  }

  /**
   * A bandit-style frame: `armValues` holds π_ref at the current position, `lastArm` the last token.
   * @returns A new {@link BanditFrame}.
   */
  renderFrame(): BanditFrame {
    const t = Math.min(this.#tokens.length, this.length - 1);
    return {
      kind: 'bandit',
      armValues: Array.from(this.#ref[t]!),
      lastArm: this.#tokens.at(-1) ?? null,
      lastReward: this.#lastReward,
    };
  }

  /**
   * The token bandit's fields of the JSON snapshot `{ kind: 'token-bandit', rng, started, needsReset, tokens,
   * lastReward }`.
   * @returns A new plain object.
   */
  protected saveState(): Record<string, unknown> {
    return { tokens: [...this.#tokens], lastReward: this.#lastReward };
  }

  /**
   * Restore `tokens` and `lastReward` of a snapshot from `getState()`.
   * @throws EnvError when they do not fit this world.
   */
  protected restoreState(fn: string, s: Record<string, unknown>): void {
    const tokens = s.tokens;
    if (!Array.isArray(tokens) || tokens.length > this.length)
      throw new EnvError({
        fn,
        arg: 'state.tokens',
        expected: `an array of at most ${this.length} tokens`,
        got: tokens,
      });
    const checked = tokens.map((y, i) => checkInt(fn, `state.tokens[${i}]`, y, 0, this.vocabSize));
    const lr = s.lastReward;
    if (lr !== null && (typeof lr !== 'number' || Number.isNaN(lr)))
      throw new EnvError({ fn, arg: 'state.lastReward', expected: 'null or a number', got: lr });
    this.#tokens = checked;
    this.#lastReward = lr;
  }
}
