/**
 * klip/envs — Gymnasium-style toy environments. Imports no tfjs.
 * @module klip/envs
 */
export { createRng } from '../src/random/rng.js';
export type { Rng, RngState, Seed } from '../src/random/rng.js';
export { EnvError } from '../src/core/errors.js';
