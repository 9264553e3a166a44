/**
 * The contract between the fused PPO step (`fused_mlp.ts`) and a network: a batched forward pass over `n` rows that
 * writes the logits and values into scratch buffers, and a backward pass that turns the gradients of the loss with
 * respect to those outputs into parameter gradients. Rows are either one-hot state indices or float observations.
 * @module
 */

/** The inputs of one forward/backward call: `n` rows as state indices (one-hot input) or as float vectors. */
export interface FusedRows {
  /** Number of rows. */
  n: number;
  /** State index of each row (the one-hot observation), or null for float rows. */
  states: Int32Array | null;
  /** Row-major float observations `[n, inDim]`, or null for state rows. */
  obs: Float64Array | null;
}

/**
 * A network whose forward and backward passes run on plain typed arrays with preallocated buffers.
 *
 * Parameters are float32 (`params`, the same values the tfjs variables hold, in `VariableSet` order); activations and
 * gradients are float64.
 */
export interface FusedModel {
  /** Number of actions A (width of the logits). */
  readonly nActions: number;
  /** Encoded observation width (S for one-hot input). */
  readonly inDim: number;
  /** Whether the model has a value head. */
  readonly hasCritic: boolean;
  /** Parameters, one flat row-major array per variable, in the policy's variable order. */
  readonly params: Float32Array[];
  /** Gradients of the last {@link FusedModel.backward}, same shapes as `params`. */
  readonly grads: Float64Array[];
  /** Logits of the last forward pass, `[n, A]` (valid for the first n rows). */
  readonly logits: Float64Array;
  /** Values of the last forward pass, `[n]` (when asked for). */
  readonly values: Float64Array;
  /** Grow the row buffers to hold at least `n` rows (allocates only when `n` exceeds the capacity). */
  reserve(n: number): void;
  /** Forward the rows: logits always, values when `withValues` and the model has a critic. */
  forward(rows: FusedRows, withValues: boolean): void;
  /**
   * Backward pass for the rows of the last forward pass (which must have included the values when `dValues` is
   * non-null): `grads` ← ∂L/∂θ given ∂L/∂logits `[n, A]` and ∂L/∂values `[n]`.
   */
  backward(rows: FusedRows, dLogits: Float64Array, dValues: Float64Array | null): void;
}
