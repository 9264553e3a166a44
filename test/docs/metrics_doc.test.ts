/** docs/metrics.md documents every metric key the trainer reports, and nothing else. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_KEYS } from '../../src/training/metrics.js';

const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
const sections = [...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim());

describe('docs/metrics.md', () => {
  it('has one section per metric key, in METRICS order', () => {
    expect(sections).toEqual([...METRIC_KEYS]);
  });
  it('every section says something', () => {
    for (const key of METRIC_KEYS) {
      const start = doc.indexOf(`## ${key}\n`);
      const next = doc.indexOf('\n## ', start + 3);
      const body = doc.slice(start + key.length + 4, next < 0 ? undefined : next).trim();
      expect(body.length, key).toBeGreaterThan(25);
    }
  });
});
