/**
 * Frozen reference policies for KL-to-reference penalties (TRL's `ref_model`, GRPO's π_ref).
 * @module
 */
import type { Policy } from './types.js';

/**
 * A frozen copy π_ref of `policy`: same outputs now, never trained, no gradients (its `trainableVariables` is
 * empty and its variables are non-trainable), so a penalty β·KL(π_θ‖π_ref) moves only π_θ.
 *
 * Same as `policy.freeze()`. Source: the fixed reference model of Ziegler et al. (2019), "Fine-Tuning Language
 * Models from Human Preferences", https://arxiv.org/abs/1909.08593 (lm-human-preferences `ref_policy`).
 * @param policy Any klip policy (not disposed).
 * @returns A new frozen policy of the same kind; caller disposes.
 * @example
 * ```ts
 * const ref = frozenReference(policy);
 * try {
 *   const refLogProb = tf.tidy(() => ref.distribution(obs).logProb(actions));
 * } finally { ref.dispose(); }
 * ```
 */
export function frozenReference<P extends Policy>(policy: P): ReturnType<P['freeze']> {
  return policy.freeze() as ReturnType<P['freeze']>;
}
