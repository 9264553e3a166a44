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
