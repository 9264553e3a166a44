/**
 * Backend selection. wasm is the default in Node and in the browser (measured by `npm run bench`, bench/kl.ts: ~13× faster than tfjs-cpu for
 * batched KL); `cpu` stays selectable. In Node the wasm binaries are read from the installed
 * `@tensorflow/tfjs-backend-wasm` package directory: no network is used.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '../core/errors.js';

/** The backends klip supports. */
export type BackendName = 'wasm' | 'cpu';
/** The list of supported backends, for validation and help texts. */
export const BACKENDS: readonly BackendName[] = Object.freeze(['wasm', 'cpu'] as const);

/**
 * Switch tfjs to `name` and wait until it is ready.
 * @param name `'wasm'` (default) or `'cpu'`.
 * @param opts.wasmPaths In a browser, the URL prefix (ending in `/`) where the `.wasm` files are served;
 *   a bundler such as Vite can supply it. Not needed in Node.
 * @returns The backend now active.
 * @throws ConfigError for an unknown name, or when the backend cannot be initialised.
 * @example
 * ```ts
 * await setBackend('cpu');
 * getBackend(); // 'cpu'
 * ```
 */
export async function setBackend(name: BackendName = 'wasm', opts: { wasmPaths?: string } = {}): Promise<BackendName> {
  if (name !== 'wasm' && name !== 'cpu') {
    throw new ConfigError({
      fn: 'setBackend',
      arg: 'name',
      expected: `one of ${BACKENDS.map((b) => `'${b}'`).join(' | ')}`,
      got: name,
    });
  }
  if (name === 'wasm' && opts.wasmPaths !== undefined) setWasmPaths(opts.wasmPaths);
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new ConfigError({
      fn: 'setBackend',
      arg: 'name',
      expected: 'a backend that initialises on this platform',
      got: name,
      hint: (e as Error).message,
    });
  }
  if (!ok || tf.getBackend() !== name) {
    throw new ConfigError({
      fn: 'setBackend',
      arg: 'name',
      expected: 'a backend that initialises on this platform',
      got: name,
    });
  }
  if (name === 'cpu') {
    // tfjs-backend-cpu prints a multi-line banner recommending tfjs-node on its first write in Node
    // (`MathBackendCPU.write`, flag `firstUse`); klip never uses tfjs-node, so the banner only misleads.
    const backend = tf.backend();
    if (Reflect.get(backend, 'firstUse') === true) Reflect.set(backend, 'firstUse', false);
  }
  return name;
}

/**
 * The active backend name, or `undefined` before any backend was chosen.
 */
export function getBackend(): BackendName | undefined {
  const b = tf.engine().backendName as string | null;
  return b === 'wasm' || b === 'cpu' ? b : undefined;
}

/** Options of {@link ready}. */
export interface ReadyOptions {
  /** The backend to run on; default: the one already active, else `'wasm'`. */
  readonly backend?: BackendName;
  /**
   * In a browser, the URL prefix (ending in `/`) where the `.wasm` files of `@tensorflow/tfjs-backend-wasm` are
   * served (see docs/web.md). Not needed in Node, where they are read from the installed package.
   */
  readonly wasmPaths?: string;
}

/** The start of a backend that is under way, shared by concurrent calls of {@link ready}. */
let starting: { name: BackendName; promise: Promise<BackendName> } | undefined;

/**
 * Make sure a tensor backend is ready; await it once before the first tensor. tfjs initialises the wasm backend
 * asynchronously (it compiles a WebAssembly module), so a tensor created before that finishes fails; klip's tensor
 * entry points then throw `BackendError` naming this function.
 *
 * Idempotent: when a klip backend is already active and `options.backend` is absent or names it, this returns at
 * once without switching; concurrent calls share one start. Otherwise it calls {@link setBackend} with
 * `options.backend ?? 'wasm'` (the default: ~13× faster than tfjs-cpu for batched KL, `npm run bench`).
 * @returns The backend now active.
 * @throws ConfigError for an unknown backend name, or when the backend cannot be initialised.
 * @example
 * ```ts
 * import { klDivergence, Categorical, ready } from 'klip';
 * await ready();                      // 'wasm'; ready({ backend: 'cpu' }) selects tfjs-cpu
 * klDivergence(Categorical.fromProbs([[0.7, 0.3]]), Categorical.fromProbs([[0.4, 0.6]])).print(); // [0.1837869]
 * ```
 */
export async function ready(options: ReadyOptions = {}): Promise<BackendName> {
  const want = options.backend;
  if (starting !== undefined && (want === undefined || want === starting.name)) return starting.promise;
  const active = getBackend();
  if (active !== undefined && (want === undefined || want === active)) {
    await tf.ready(); // a setBackend that was not awaited may still be starting it
    if (getBackend() === active) return active;
  }
  const name = want ?? 'wasm';
  const promise = setBackend(name, options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths });
  const entry = { name, promise };
  starting = entry;
  try {
    return await promise;
  } finally {
    if (starting === entry) starting = undefined;
  }
}
