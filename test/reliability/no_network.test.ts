/**
 * No network: training (wasm backend init included), reports, compare, reproduce and kl make no network
 * request. Every way out of the process is stubbed to record the call and throw: `fetch`, `http(s).request/get`,
 * `net.connect/createConnection`, `net.Socket.prototype.connect`, `tls.connect`, `dns.lookup` (callback and promise
 * forms). `syncBuiltinESMExports()` makes named ESM imports (`import { request } from 'node:http'`) see the stubs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/node/cli.js';

const require = createRequire(import.meta.url);
type Patchable = Record<string, unknown>;
const targets: Array<[Patchable, string, string]> = [
  [globalThis as unknown as Patchable, 'fetch', 'fetch'],
  [require('node:http') as Patchable, 'request', 'http.request'],
  [require('node:http') as Patchable, 'get', 'http.get'],
  [require('node:https') as Patchable, 'request', 'https.request'],
  [require('node:https') as Patchable, 'get', 'https.get'],
  [require('node:net') as Patchable, 'connect', 'net.connect'],
  [require('node:net') as Patchable, 'createConnection', 'net.createConnection'],
  [
    (require('node:net') as { Socket: { prototype: Patchable } }).Socket.prototype,
    'connect',
    'net.Socket.prototype.connect',
  ],
  [require('node:tls') as Patchable, 'connect', 'tls.connect'],
  [require('node:dns') as Patchable, 'lookup', 'dns.lookup'],
  [(require('node:dns') as { promises: Patchable }).promises, 'lookup', 'dns.promises.lookup'],
];

const calls: string[] = [];
const saved: unknown[] = [];
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'klip-nonet-'));
  for (const [obj, key, name] of targets) {
    saved.push(obj[key]);
    obj[key] = (...args: unknown[]): never => {
      calls.push(`${name}(${args.map((a) => (typeof a === 'string' ? a : typeof a)).join(', ')})`);
      throw new Error(`network access attempted: ${name}`);
    };
  }
  syncBuiltinESMExports();
});
afterAll(() => {
  targets.forEach(([obj, key], i) => (obj[key] = saved[i]));
  syncBuiltinESMExports();
  rmSync(tmp, { recursive: true, force: true });
});

function sink(): { write(s: string): boolean; text(): string } {
  let t = '';
  return { write: (s: string) => ((t += s), true), text: () => t };
}

async function cli(args: string[]): Promise<void> {
  const stderr = sink();
  const code = await runCli(args, { stdout: sink(), stderr, cwd: tmp, handleSigint: false });
  expect(code, `${args.join(' ')}\n${stderr.text()}`).toBe(0);
}

describe('no network access', () => {
  it('the stubs catch every route (including named ESM imports)', async () => {
    const http = await import('node:http');
    const dnsP = await import('node:dns/promises');
    expect(() => http.get('http://example.com')).toThrow('network access attempted: http.get');
    expect(() => globalThis.fetch('https://example.com')).toThrow('network access attempted: fetch');
    expect(() => dnsP.lookup('example.com')).toThrow('network access attempted: dns.promises.lookup');
    expect(calls).toEqual([
      'http.get(http://example.com)',
      'fetch(https://example.com)',
      'dns.promises.lookup(example.com)',
    ]);
    calls.length = 0;
  });

  it('train (wasm backend), report, reproduce, compare and kl make zero network calls', async () => {
    await cli(['train', '--steps', '2048', '--seed', '3', '--out', 'run', '--backend', 'wasm']);
    await cli(['report', 'run']);
    await cli(['reproduce', 'run']);
    await cli([
      'compare',
      '--env',
      'bandit',
      '--objectives',
      'clip',
      '--controllers',
      'adaptive',
      '--seeds',
      '1',
      '--steps',
      '512',
      '--out',
      'cmp',
      '--backend',
      'wasm',
      '--workers',
      '1',
    ]);
    await cli(['kl', '--p', '0.7,0.3', '--q', '0.4,0.6']);
    expect(calls).toEqual([]);
  }, 60_000);
});
