/**
 * Multi-armed bandits as one-step tabular envs: every pull terminates the episode. Each exposes its true arm values,
 * so regret and the optimal policy are known exactly.
 * @module
 */
import { EnvError } from '../src/core/errors.js';
import type { Rng } from '../src/random/rng.js';
import { sampleCategorical } from '../src/random/sampling.js';
import { checkDiscreteAction, EnvBase, intField, nullableIntField } from './base.js';
import { Discrete } from './spaces.js';
import type { BanditFrame, ResetResult, StepResult, TabularEnv, Transition } from './types.js';

/**
 * Most arms (and contexts) a bandit may have: a policy's one-hot observations and logits grow with it, and far beyond
 * any teaching or RLHF-prototype bandit the wasm heap runs out before the first update.
 */
export const MAX_ARMS = 10_000;

function checkVector(fn: string, arg: string, v: unknown, check: (x: number) => boolean, expected: string): number[] {
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof (v as ArrayLike<unknown>).length !== 'number' ||
    (v as ArrayLike<unknown>).length === 0
  ) {
    throw new EnvError({ fn, arg, expected: 'a non-empty array of numbers', got: v });
  }
  if ((v as ArrayLike<unknown>).length > MAX_ARMS) {
    throw new EnvError({
      fn,
      arg,
      expected: `at most ${MAX_ARMS} entries (arms)`,
      got: `${(v as ArrayLike<unknown>).length} entries`,
    });
  }
  const out = Array.from(v as ArrayLike<unknown>);
  out.forEach((x, i) => {
    if (typeof x !== 'number' || !check(x)) throw new EnvError({ fn, arg: `${arg}[${i}]`, expected, got: x });
  });
  return out as number[];
}

const isProb = (x: number): boolean => x >= 0 && x <= 1;
const finite = (x: number): boolean => Number.isFinite(x);

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/**
 * Shared machinery of the bandits: one state per context, arms as actions, one-step episodes (every pull terminates).
 *
 * V* = Σ_c ρ₀(c)·max_a μ[c][a]. Source: Sutton & Barto (2nd ed.), ch. 2.
 * @example
 * ```ts
 * const env: BanditBase = new BernoulliBandit({ probs: [0.3, 0.6] });
 * ```
 */
export abstract class BanditBase extends EnvBase<number, number> implements TabularEnv {
  /** Discrete(nContexts): the context index (always 0 for a plain bandit). */
  readonly observationSpace: Discrete;
  /** Discrete(nArms). */
  readonly actionSpace: Discrete;
  /** Number of states = number of contexts. */
  readonly nStates: number;
  /** Number of arms. */
  readonly nActions: number;
  /** P[c][a]: the reward outcomes of arm a in context c (all terminal). */
  readonly P: Transition[][][];
  /** Context distribution at reset. */
  readonly initialStateDistribution: Float64Array;
  protected readonly values: readonly (readonly number[])[];
  /** max_a μ[c][a] per context, precomputed for `info.success`. */
  #best: Float64Array;
  #context = 0;
  #lastArm: number | null = null;
  #lastReward: number | null = null;

  protected constructor(
    name: string,
    kind: string,
    values: number[][],
    P: Transition[][][],
    contextProbs: Float64Array,
  ) {
    super(name, kind);
    this.#best = Float64Array.from(values, (row) => Math.max(...row));
    this.values = values;
    this.nStates = values.length;
    this.nActions = values[0]!.length;
    this.observationSpace = new Discrete(this.nStates);
    this.actionSpace = new Discrete(this.nActions);
    this.P = P;
    this.initialStateDistribution = contextProbs;
  }

  /** Draw the reward of arm `a` in context `c`; `prob` is the probability of a discrete outcome, if any. */
  protected abstract draw(c: number, a: number, rng: Rng): { reward: number; prob?: number };

  /** Arms are 0…nArms − 1. */
  protected checkAction(fn: string, action: number): void {
    checkDiscreteAction(fn, action, this.nActions);
  }

  /**
   * Start an episode: draw the context c ~ ρ₀ with one categorical draw (contextual bandits only).
   * @returns `{ obs: context, info: { prob, context } }` (prob of the drawn context).
   */
  protected resetState(rng: Rng): ResetResult<number> {
    this.#context = this.nStates > 1 ? sampleCategorical(this.initialStateDistribution, rng) : 0;
    // lastArm / lastReward are kept until the next step: a VectorEnv in 'same-step' mode resets a bandit on the
    // step that pulled the arm, and the frame must still show that pull.
    return {
      obs: this.#context,
      info: { prob: this.initialStateDistribution[this.#context]!, context: this.#context },
    };
  }

  /**
   * Pull an arm. The episode terminates.
   * @returns `{ obs: context, reward, terminated: true, truncated: false, info: { prob?, success, context } }`,
   *   where `success` is true when the pulled arm is optimal in this context.
   */
  protected stepState(action: number, rng: Rng): StepResult<number> {
    const c = this.#context;
    const { reward, prob } = this.draw(c, action, rng);
    const success = this.values[c]![action] === this.#best[c];
    this.#lastArm = action;
    this.#lastReward = reward;
    const info = prob === undefined ? { success, context: c } : { prob, success, context: c };
    return { obs: c, reward, terminated: true, truncated: false, info };
  }

  /**
   * The arms as text: one line per arm with its true value, the last pull marked.
   * @returns A multi-line string.
   */
  render(): string {
    const row = this.values[this.#context]!;
    const head = this.nStates > 1 ? `context ${this.#context}\n` : '';
    return (
      head +
      row
        .map(
          (v, a) =>
            `${a === this.#lastArm ? '>' : ' '} arm ${a}: value ${v.toFixed(3)}${a === this.#lastArm ? `  reward ${String(this.#lastReward)}` : ''}`,
        )
        .join('\n') +
      '\n'
    );
  }

  /**
   * The current state as plain data for drawing. `lastArm` / `lastReward` describe the last pull and survive a
   * reset (they are null only before the first step), so a same-step autoreset does not hide the pull.
   * @returns A new {@link BanditFrame}.
   */
  renderFrame(): BanditFrame {
    const frame: BanditFrame = {
      kind: 'bandit',
      armValues: [...this.values[this.#context]!],
      lastArm: this.#lastArm,
      lastReward: this.#lastReward,
    };
    if (this.nStates > 1) frame.context = this.#context;
    return frame;
  }

  /**
   * The bandit's fields of the JSON snapshot `{ kind, rng, started, needsReset, context, lastArm, lastReward }`.
   * @returns A new plain object.
   */
  protected saveState(): Record<string, unknown> {
    return { context: this.#context, lastArm: this.#lastArm, lastReward: this.#lastReward };
  }

  /**
   * Restore `context`, `lastArm` and `lastReward` of a snapshot from `getState()`.
   * @throws EnvError when they do not fit this bandit.
   */
  protected restoreState(fn: string, s: Record<string, unknown>): void {
    const context = intField(fn, s, 'context', 0, this.nStates);
    const lastArm = nullableIntField(fn, s, 'lastArm', 0, this.nActions);
    const lr = s.lastReward;
    if (lr !== null && (typeof lr !== 'number' || Number.isNaN(lr)))
      throw new EnvError({ fn, arg: 'state.lastReward', expected: 'null or a number', got: lr });
    this.#context = context;
    this.#lastArm = lastArm;
    this.#lastReward = lr;
  }
}

function bernoulliRow(p: number): Transition[] {
  const row: Transition[] = [];
  if (p > 0) row.push({ prob: p, next: 0, reward: 1, terminated: true });
  if (p < 1) row.push({ prob: 1 - p, next: 0, reward: 0, terminated: true });
  return row;
}

/** Options of {@link BernoulliBandit}. */
export interface BernoulliBanditOptions {
  /** Success probability p_a of each arm; reward 1 with probability p_a, else 0. */
  probs: readonly number[];
}

/**
 * A Bernoulli bandit: arm a pays r ~ Bernoulli(p_a). True values μ_a = p_a; optimal value max_a p_a.
 *
 * Source: Sutton & Barto, *Reinforcement Learning: An Introduction* (2nd ed.), §2.1.
 * @example
 * ```ts
 * const env = new BernoulliBandit({ probs: [0.2, 0.5, 0.8] });
 * env.reset({ seed: 0 });
 * env.step(2).reward; // 1 with probability 0.8
 * env.optimalArm;     // 2
 * ```
 */
export class BernoulliBandit extends BanditBase {
  /** True arm values μ_a = p_a. */
  readonly armValues: Float64Array;
  /** argmax_a μ_a (the first one on ties). */
  readonly optimalArm: number;
  /** max_a μ_a. */
  readonly optimalValue: number;

  /**
   * @param options `{ probs }`, each in [0, 1].
   * @throws EnvError for an empty list or a value outside [0, 1] (NaN included).
   */
  constructor(options: BernoulliBanditOptions) {
    const probs = checkVector(
      'BernoulliBandit',
      'probs',
      (options as Partial<BernoulliBanditOptions> | null)?.probs,
      isProb,
      'a probability in [0, 1]',
    );
    super('BernoulliBandit', 'bernoulli-bandit', [probs], [probs.map(bernoulliRow)], Float64Array.of(1));
    this.armValues = Float64Array.from(probs);
    this.optimalArm = argmax(probs);
    this.optimalValue = probs[this.optimalArm]!;
  }

  protected draw(_c: number, a: number, rng: Rng): { reward: number; prob: number } {
    const p = this.armValues[a]!;
    return rng.float() < p ? { reward: 1, prob: p } : { reward: 0, prob: 1 - p };
  }
}

/** Options of {@link GaussianBandit}. */
export interface GaussianBanditOptions {
  /** Mean reward μ_a of each arm. */
  means: readonly number[];
  /** Standard deviation σ_a of each arm (a number broadcasts). @defaultValue 1 */
  stds?: readonly number[] | number;
}

/**
 * A Gaussian bandit: arm a pays r ~ N(μ_a, σ_a²). The transition table holds the **expected** reward μ_a (one entry
 * per arm), which is all planning needs.
 *
 * Source: Sutton & Barto (2nd ed.), §2.3 (the 10-armed testbed).
 * @example
 * ```ts
 * const env = new GaussianBandit({ means: [0, 1, 0.5], stds: 1 });
 * env.reset({ seed: 0 });
 * env.step(1).reward; // ~ N(1, 1)
 * ```
 */
export class GaussianBandit extends BanditBase {
  /** True arm values μ_a. */
  readonly armValues: Float64Array;
  /** Standard deviations σ_a. */
  readonly stds: Float64Array;
  /** argmax_a μ_a. */
  readonly optimalArm: number;
  /** max_a μ_a. */
  readonly optimalValue: number;

  /**
   * @param options `{ means, stds? }`.
   * @throws EnvError for non-finite means, negative or non-finite stds, or mismatched lengths.
   */
  constructor(options: GaussianBanditOptions) {
    const o = options as Partial<GaussianBanditOptions> | null;
    const means = checkVector('GaussianBandit', 'means', o?.means, finite, 'a finite number');
    const stdsIn = o?.stds ?? 1;
    const stds =
      typeof stdsIn === 'number'
        ? checkVector(
            'GaussianBandit',
            'stds',
            means.map(() => stdsIn),
            (x) => Number.isFinite(x) && x >= 0,
            'a finite number ≥ 0',
          )
        : checkVector('GaussianBandit', 'stds', stdsIn, (x) => Number.isFinite(x) && x >= 0, 'a finite number ≥ 0');
    if (stds.length !== means.length) {
      throw new EnvError({
        fn: 'GaussianBandit',
        arg: 'stds',
        expected: `of length ${means.length} like means`,
        got: stdsIn,
      });
    }
    super(
      'GaussianBandit',
      'gaussian-bandit',
      [means],
      [means.map((m) => [{ prob: 1, next: 0, reward: m, terminated: true }])],
      Float64Array.of(1),
    );
    this.armValues = Float64Array.from(means);
    this.stds = Float64Array.from(stds);
    this.optimalArm = argmax(means);
    this.optimalValue = means[this.optimalArm]!;
  }

  protected draw(_c: number, a: number, rng: Rng): { reward: number } {
    return { reward: this.armValues[a]! + this.stds[a]! * rng.normal() };
  }
}

/** Options of {@link ContextualBandit}. */
export interface ContextualBanditOptions {
  /** `means[c][a]`: the expected reward of arm a in context c (all rows of the same length). */
  means: readonly (readonly number[])[];
  /** Context probabilities at reset (normalised). @defaultValue uniform */
  contextProbs?: readonly number[];
  /** Reward noise: Bernoulli(means[c][a]) (means must be in [0, 1]) or N(means[c][a], std²). @defaultValue 'bernoulli' */
  reward?: 'bernoulli' | 'gaussian';
  /** Standard deviation of Gaussian rewards. @defaultValue 1 */
  std?: number;
}

/**
 * A contextual bandit: at reset a context c ~ w is drawn and observed; arm a then pays a reward with mean μ[c][a].
 * The optimal policy picks argmax_a μ[c][a] in each context; optimal value Σ_c w_c·max_a μ[c][a].
 *
 * Source: Langford & Zhang, "The Epoch-Greedy Algorithm for Contextual Multi-armed Bandits", NeurIPS 2007.
 * @example
 * ```ts
 * const env = new ContextualBandit({ means: [[0.9, 0.1], [0.2, 0.7]] });
 * const { obs: context } = env.reset({ seed: 0 });
 * env.step(env.optimalArms[context]!);
 * ```
 */
export class ContextualBandit extends BanditBase {
  /** `armValues[c][a]` = μ[c][a]. */
  readonly armValues: readonly Float64Array[];
  /** The optimal arm per context. */
  readonly optimalArms: Int32Array;
  /** Σ_c w_c·max_a μ[c][a]. */
  readonly optimalValue: number;
  /** The reward noise kind. */
  readonly rewardKind: 'bernoulli' | 'gaussian';
  /** Standard deviation of Gaussian rewards. */
  readonly std: number;

  /**
   * @param options `{ means, contextProbs?, reward?, std? }`.
   * @throws EnvError for ragged or empty means, Bernoulli means outside [0, 1], or bad context probabilities.
   */
  constructor(options: ContextualBanditOptions) {
    const fn = 'ContextualBandit';
    const o = options as Partial<ContextualBanditOptions> | null;
    const rewardKind = o?.reward ?? 'bernoulli';
    if (rewardKind !== 'bernoulli' && rewardKind !== 'gaussian')
      throw new EnvError({ fn, arg: 'reward', expected: "'bernoulli' or 'gaussian'", got: rewardKind });
    const std = o?.std ?? 1;
    if (typeof std !== 'number' || !(std >= 0) || !Number.isFinite(std))
      throw new EnvError({ fn, arg: 'std', expected: 'a finite number ≥ 0', got: std });
    const m = o?.means;
    if (!Array.isArray(m) || m.length === 0)
      throw new EnvError({ fn, arg: 'means', expected: 'a non-empty array of rows (one per context)', got: m });
    const rows = m.map((row, c) =>
      rewardKind === 'bernoulli'
        ? checkVector(fn, `means[${c}]`, row, isProb, 'a probability in [0, 1] (Bernoulli rewards)')
        : checkVector(fn, `means[${c}]`, row, finite, 'a finite number'),
    );
    rows.forEach((r, c) => {
      if (r.length !== rows[0]!.length)
        throw new EnvError({
          fn,
          arg: `means[${c}]`,
          expected: `a row of ${rows[0]!.length} arms like means[0]`,
          got: r,
        });
    });
    const w =
      o?.contextProbs === undefined
        ? rows.map(() => 1)
        : checkVector(fn, 'contextProbs', o.contextProbs, (x) => Number.isFinite(x) && x >= 0, 'a finite number ≥ 0');
    if (w.length !== rows.length)
      throw new EnvError({
        fn,
        arg: 'contextProbs',
        expected: `of length ${rows.length} (one per context)`,
        got: o?.contextProbs,
      });
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0))
      throw new EnvError({ fn, arg: 'contextProbs', expected: 'weights with a positive sum', got: o?.contextProbs });
    const P = rows.map((r) =>
      r.map((mu): Transition[] =>
        rewardKind === 'bernoulli'
          ? bernoulliRow(mu).map((t) => ({ ...t }))
          : [{ prob: 1, next: 0, reward: mu, terminated: true }],
      ),
    );
    // The outcome's `next` is the (unchanged) context.
    P.forEach((rowC, c) => {
      for (const list of rowC) for (const t of list) t.next = c;
    });
    super(
      'ContextualBandit',
      'contextual-bandit',
      rows,
      P,
      Float64Array.from(w, (x) => x / total),
    );
    this.rewardKind = rewardKind;
    this.std = std;
    this.armValues = rows.map((r) => Float64Array.from(r));
    this.optimalArms = Int32Array.from(rows, argmax);
    let v = 0;
    rows.forEach((r, c) => {
      v += this.initialStateDistribution[c]! * Math.max(...r);
    });
    this.optimalValue = v;
  }

  protected draw(c: number, a: number, rng: Rng): { reward: number; prob?: number } {
    const mu = this.armValues[c]![a]!;
    if (this.rewardKind === 'gaussian') return { reward: mu + this.std * rng.normal() };
    return rng.float() < mu ? { reward: 1, prob: mu } : { reward: 0, prob: 1 - mu };
  }
}
