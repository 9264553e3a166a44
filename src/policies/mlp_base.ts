/**
 * The shared base of the MLP policies ({@link MlpPolicy}, {@link GaussianMlpPolicy}): what they hold in common over
 * one {@link MlpNet} (spaces, encoder, critic, variables, JSON weights, copies, disposal).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { encoderFor } from './encoders.js';
import {
  checkEncoded,
  MlpNet,
  VariableSet,
  withVariables,
  type Activation,
  type MlpLayout,
  type ResolvedMlpOptions,
  type VariableSpec,
} from './network.js';
import type { ObsEncoder, PolicyWeight, SpaceLike } from './types.js';

/** What a subclass hands to the {@link MlpPolicyBase} constructor (internal). */
export interface MlpPolicyBaseInit {
  /** Class name, the prefix of every error's `fn` (`'MlpPolicy'` gives `MlpPolicy.getWeights`). */
  name: string;
  /** Prefix of the tfjs variable names (`'mlp'`, `'gaussian'`). */
  prefix: string;
  /** The validated common options (from `resolveMlpOptions`). */
  options: ResolvedMlpOptions;
  /** Variables adopted from `withVariables` (clone/freeze), or undefined to create them from `specs`. */
  adopted: VariableSet | undefined;
  /** Initial values of the variables, in set order (ignored when `adopted` is given). */
  specs: readonly VariableSpec[];
  /** Which variables form the actor, critic and torso chains. */
  layout: MlpLayout;
}

/**
 * Base class of the MLP policies: an MLP over an owned variable set, with a critic V_θ(s) = f_θ(s) when
 * `hasCritic`. It holds the observation side (space, encoder, input width), the variables and what only depends
 * on them: `trainable`, `trainableVariables`, `weightsVersion`, `value`, `getWeights`/`setWeights`, `clone`/`freeze`
 * (which return the concrete subclass) and `dispose`. Subclasses add the action head: `distribution`, `act` and
 * `syncFastPath`. Not constructed directly; use {@link MlpPolicy} or {@link GaussianMlpPolicy}.
 * @typeParam P The concrete subclass, returned by `clone` and `freeze`.
 * @example
 * ```ts
 * const policies: MlpPolicyBase<MlpPolicy | GaussianMlpPolicy>[] = [discrete, gaussian];
 * for (const p of policies) saved.push(p.getWeights());
 * ```
 */
export abstract class MlpPolicyBase<P extends MlpPolicyBase<P>> {
  /** The observation space. */
  readonly obsSpace: SpaceLike;
  /** One-hot or identity encoder for `obsSpace`. */
  readonly encoder: ObsEncoder;
  /** Whether `value` is available. */
  readonly hasCritic: boolean;
  /** Hidden widths. */
  readonly hidden: readonly number[];
  /** Hidden activation. */
  readonly activation: Activation;
  readonly #inDim: number;
  readonly #net: MlpNet;
  readonly #name: string;
  readonly #prefix: string;

  /**
   * @param init The validated options, the variables (adopted or to create) and the layout.
   */
  protected constructor(init: MlpPolicyBaseInit) {
    const r = init.options;
    this.#name = init.name;
    this.#prefix = init.prefix;
    this.obsSpace = r.obsSpace;
    this.encoder = encoderFor(r.obsSpace);
    this.hasCritic = r.critic;
    this.hidden = Object.freeze(r.hidden);
    this.activation = r.activation;
    this.#inDim = r.inDim;
    this.#net = new MlpNet(init.adopted ?? new VariableSet(init.prefix, init.specs, true), init.layout, r.activation);
  }

  /** Width of an encoded observation (`encoder.size`). An accessor, so that the policy's own keys stay its public fields. */
  protected get inDim(): number {
    return this.#inDim;
  }

  /** The network over the policy's variables (an accessor, like `inDim`). */
  protected get net(): MlpNet {
    return this.#net;
  }

  /**
   * A new policy of the concrete class with the same options that adopts the copied variables `vars` (the options'
   * `rng` is not used).
   * @returns The new policy.
   */
  protected abstract rebuild(vars: VariableSet): P;

  /**
   * Throw ConfigError when the policy has been disposed.
   * @param method The method name for the error's `fn` (`getWeights` → `MlpPolicy.getWeights`).
   */
  protected alive(method: string): void {
    if (this.net.vars.isDisposed)
      throw new ConfigError({
        fn: `${this.#name}.${method}`,
        arg: 'this',
        expected: 'a policy that has not been disposed',
        got: 'a disposed policy',
      });
  }

  /** False for a frozen copy. */
  get trainable(): boolean {
    return this.net.vars.trainable;
  }

  /** Every variable (kernels and biases of actor, critic and torso, plus `actor/log_std` when Gaussian); empty when frozen. */
  get trainableVariables(): tf.Variable[] {
    return this.net.vars.trainable ? [...this.net.vars.variables] : [];
  }

  /** Counts assignments to the variables (optimizer steps, `setWeights`). */
  get weightsVersion(): number {
    return this.net.vars.version;
  }

  /**
   * V_θ(s) on a batch of encoded observations.
   * @param obs Encoded float32 observations `[B, encoder.size]`.
   * @returns A new tensor `[B]`; caller disposes.
   * @throws ConfigError without a critic; ShapeError for a bad `obs`.
   * @example
   * ```ts
   * const v = policy.value(x); // [B]
   * ```
   */
  value(obs: tf.Tensor): tf.Tensor {
    const fn = `${this.#name}.value`;
    this.alive('value');
    if (!this.hasCritic)
      throw new ConfigError({
        fn,
        arg: 'this',
        expected: 'a policy with a critic (critic: true)',
        got: 'critic: false',
      });
    const x = checkEncoded(fn, obs, this.inDim);
    return tf.tidy(() => this.net.forward(x, false, true).critic!);
  }

  /**
   * The weights as JSON records named `actor/0/kernel`, `actor/0/bias`, …, `actor/out/kernel`, `critic/…`
   * (`torso/…` when the critic is shared; `actor/log_std` last for a Gaussian policy), in a fixed order.
   * @returns New plain arrays.
   * @throws ConfigError after `dispose`.
   * @example
   * ```ts
   * const saved = JSON.stringify(policy.getWeights());
   * ```
   */
  getWeights(): PolicyWeight[] {
    this.alive('getWeights');
    return this.net.vars.getWeights();
  }

  /**
   * Replace the weights with records from {@link MlpPolicyBase.getWeights}; everything is checked before anything
   * is assigned. Non-finite numbers are accepted; `null` is not.
   * @param weights The records (same names, order and shapes).
   * @throws CheckpointError for a non-array, a wrong count or name, or a non-number; ShapeError for a wrong shape;
   * ConfigError after `dispose`.
   * @example
   * ```ts
   * policy.setWeights(JSON.parse(saved));
   * ```
   */
  setWeights(weights: readonly PolicyWeight[]): void {
    this.net.vars.setWeights(`${this.#name}.setWeights`, weights);
  }

  /**
   * A trainable deep copy with its own variables.
   * @returns A new policy of the same class; caller disposes.
   * @throws ConfigError after `dispose`.
   * @example
   * ```ts
   * const copy = policy.clone();
   * ```
   */
  clone(): P {
    this.alive('clone');
    return withVariables(this.net.vars.copy(this.#prefix, true), (vars) => this.rebuild(vars));
  }

  /**
   * A frozen copy (non-trainable variables, `trainableVariables` empty), e.g. π_ref.
   * @returns A new policy of the same class; caller disposes.
   * @throws ConfigError after `dispose`.
   * @example
   * ```ts
   * const ref = policy.freeze();
   * ```
   */
  freeze(): P {
    this.alive('freeze');
    return withVariables(this.net.vars.copy(this.#prefix, false), (vars) => this.rebuild(vars));
  }

  /**
   * Free every variable; later calls throw ConfigError. Disposing twice is a no-op.
   * @example
   * ```ts
   * policy.dispose();
   * ```
   */
  dispose(): void {
    this.net.vars.dispose();
  }
}
