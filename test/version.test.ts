import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { KLIP_VERSION } from '../src/version.js';

it('KLIP_VERSION matches package.json (checkpoints record it)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(KLIP_VERSION).toBe(pkg.version);
});
