/**
 * klip — regularize policy optimization with KL divergences, on TensorFlow.js.
 * The isomorphic core: runs in Node and in the browser. Explicit named re-exports only (no `export *`).
 * @module klip
 */
export { KlipError, ShapeError, ConfigError, EnvError, CheckpointError, NumericError, describeValue } from './core/errors.js';
export type { KlipErrorDetails } from './core/errors.js';
export { createRng } from './random/rng.js';
export type { Rng, RngState, Seed } from './random/rng.js';
export { sampleCategorical, shuffleInPlace, permutation } from './random/sampling.js';
export { setBackend, getBackend, BACKENDS } from './backend/backend.js';
export type { BackendName } from './backend/backend.js';
export { readScalars, globalNorm, maskedMean } from './core/tensor.js';
export type { TensorLike } from './core/tensor.js';
export type { Distribution } from './distributions/types.js';
