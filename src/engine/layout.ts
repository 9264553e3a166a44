/**
 * The parameter layout of a policy as the fused engine sees it, read from the logical variable names and shapes of
 * its `VariableSet` (`src/policies/network.ts`): the same variables in the same order, so weights load from and store
 * to the policy's own variables and checkpoints are unchanged.
 *
 * - MLP (`MlpPolicy`, built by `buildMlp`): `torso/<l>/kernel|bias` (shared hidden layers, all activated),
 *   `actor/<l>/…` then `actor/out/…` (the head, not activated), `critic/<l>/…` then `critic/out/…`. Kernels are
 *   `[in, out]` (y = x·W + b).
 * - Gaussian MLP (`GaussianMlpPolicy`): the MLP variables followed by `actor/log_std` `[D]` (the state-independent
 *   log σ of CleanRL `ppo_continuous_action.py`); the actor head outputs the mean.
 * - Tabular (`TabularPolicy`): `logits` `[S, A]` and optionally `values` `[S]`.
 * @module
 */
import { ConfigError, ShapeError } from '../core/errors.js';

/** One dense layer y = x·W + b, W `[inDim, outDim]`: indices of its kernel and bias in the parameter list. */
export interface FusedDense {
  /** Index of the kernel `[inDim, outDim]`. */
  kernel: number;
  /** Index of the bias `[outDim]`. */
  bias: number;
  /** Input width. */
  inDim: number;
  /** Output width. */
  outDim: number;
  /** Whether the hidden activation follows this layer. */
  activate: boolean;
}

/** The layout of an MLP policy: shared torso (possibly empty), actor chain, critic chain or null. */
export interface FusedMlpLayout {
  kind: 'mlp';
  /** Shared hidden layers (empty for separate actor and critic networks, CleanRL `ppo.py` `Agent`). */
  torso: FusedDense[];
  /** Actor layers after the torso, ending with the logits head. */
  actor: FusedDense[];
  /** Critic layers after the torso, ending with the value head, or null. */
  critic: FusedDense[] | null;
  /** Encoded observation width (the one-hot size for a discrete observation space). */
  inDim: number;
  /** Number of actions A (the action dimension D for a Gaussian head). */
  nActions: number;
  /** Index of `actor/log_std` for a Gaussian head, or null for a categorical one. */
  logStd: number | null;
}

/** The layout of a tabular policy: logits θ `[S, A]` (index 0) and values V `[S]` (index 1) when present. */
export interface FusedTabularLayout {
  kind: 'tabular';
  /** Number of states S. */
  nStates: number;
  /** Number of actions A. */
  nActions: number;
  /** Whether the value table is present. */
  hasCritic: boolean;
}

/** Either layout. */
export type FusedLayout = FusedMlpLayout | FusedTabularLayout;

/**
 * Derive the layout from the variables' logical names and shapes, in `VariableSet` order.
 * @param names Logical names (`actor/0/kernel`, …, or `logits`, `values`).
 * @param shapes The shape of each variable.
 * @returns The layout.
 * @throws ConfigError for a name the engine does not know; ShapeError when the
 *   shapes of consecutive layers do not chain.
 * @example
 * ```ts
 * const layout = layoutFromVariables(['logits', 'values'], [[16, 4], [16]]); // tabular, S = 16, A = 4
 * ```
 */
export function layoutFromVariables(names: readonly string[], shapes: readonly (readonly number[])[]): FusedLayout {
  const fn = 'layoutFromVariables';
  if (names.length !== shapes.length)
    throw new ShapeError({ fn, arg: 'shapes', expected: `${names.length} shapes, one per name`, got: shapes.length });
  if (names[0] === 'logits') {
    const s = shapes[0]!;
    if (s.length !== 2) throw new ShapeError({ fn, arg: 'shapes[0]', expected: 'logits of shape [S, A]', got: s });
    const hasCritic = names.length === 2 && names[1] === 'values';
    if (names.length > 2 || (names.length === 2 && !hasCritic))
      throw new ConfigError({ fn, arg: 'names', expected: "['logits'] or ['logits', 'values']", got: names });
    if (hasCritic && (shapes[1]!.length !== 1 || shapes[1]![0] !== s[0]))
      throw new ShapeError({ fn, arg: 'shapes[1]', expected: `values of shape [${s[0]}]`, got: shapes[1] });
    return { kind: 'tabular', nStates: s[0]!, nActions: s[1]!, hasCritic };
  }
  const chains: Record<'torso' | 'actor' | 'critic', FusedDense[]> = { torso: [], actor: [], critic: [] };
  const logStd = names[names.length - 1] === 'actor/log_std' ? names.length - 1 : null;
  const end = logStd ?? names.length;
  for (let i = 0; i < end; i += 2) {
    const m = /^(torso|actor|critic)\/(\d+|out)\/kernel$/.exec(names[i]!);
    const bias = names[i + 1];
    if (!m || bias !== names[i]!.replace(/kernel$/, 'bias'))
      throw new ConfigError({
        fn,
        arg: `names[${i}]`,
        expected: 'an MLP kernel followed by its bias (torso|actor|critic/<layer|out>/kernel), or tabular logits',
        got: names[i],
      });
    const k = shapes[i]!;
    const b = shapes[i + 1]!;
    if (k.length !== 2 || b.length !== 1 || b[0] !== k[1])
      throw new ShapeError({ fn, arg: `shapes[${i}]`, expected: 'a kernel [in, out] and a bias [out]', got: [k, b] });
    const chain = chains[m[1] as 'torso' | 'actor' | 'critic'];
    const prev = chain[chain.length - 1];
    if (prev && prev.outDim !== k[0])
      throw new ShapeError({ fn, arg: `shapes[${i}]`, expected: `a kernel with ${prev.outDim} rows`, got: k });
    chain.push({ kernel: i, bias: i + 1, inDim: k[0]!, outDim: k[1]!, activate: m[1] === 'torso' || m[2] !== 'out' });
  }
  if (chains.actor.length === 0)
    throw new ConfigError({ fn, arg: 'names', expected: 'at least an actor head (actor/out/kernel)', got: names });
  const first = chains.torso[0] ?? chains.actor[0]!;
  const hiddenOut = chains.torso.length ? chains.torso[chains.torso.length - 1]!.outDim : first.inDim;
  for (const c of [chains.actor, chains.critic]) {
    if (c.length && c[0]!.inDim !== hiddenOut)
      throw new ShapeError({ fn, arg: 'shapes', expected: `heads that take ${hiddenOut} inputs`, got: c[0]!.inDim });
  }
  const critic = chains.critic.length ? chains.critic : null;
  if (critic && critic[critic.length - 1]!.outDim !== 1)
    throw new ShapeError({ fn, arg: 'shapes', expected: 'a value head with one output', got: critic.at(-1)!.outDim });
  const nActions = chains.actor[chains.actor.length - 1]!.outDim;
  if (logStd !== null && (shapes[logStd]!.length !== 1 || shapes[logStd]![0] !== nActions))
    throw new ShapeError({
      fn,
      arg: `shapes[${logStd}]`,
      expected: `actor/log_std of shape [${nActions}]`,
      got: shapes[logStd],
    });
  return { kind: 'mlp', torso: chains.torso, actor: chains.actor, critic, inDim: first.inDim, nActions, logStd };
}
