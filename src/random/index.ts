/** The random module: the one part of `src/` that `envs/` may import. */
export { createRng } from './rng.js';
export type { Rng, RngState, Seed } from './rng.js';
export { sampleCategorical, shuffleInPlace, permutation } from './sampling.js';
