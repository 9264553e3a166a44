import { beforeAll } from 'vitest';
import { setBackend, type BackendName } from '../../src/backend/backend.js';

/** Both backends; tensor tests run under `describe.each(TEST_BACKENDS)`. */
export const TEST_BACKENDS: BackendName[] = ['wasm', 'cpu'];

/** Call inside a describe block: switches to `name` before its tests run. */
export function useBackend(name: BackendName): void {
  beforeAll(async () => {
    await setBackend(name);
  });
}
