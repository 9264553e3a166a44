/** Loader for test/fixtures/kl_oracle.json (written by test/fixtures/generate_kl_oracle.py, float64, math + random only). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Num = number | 'Infinity' | '-Infinity';

/** One oracle case, with the JSON strings "Infinity" / "-Infinity" turned back into numbers. */
export interface OracleCase {
  name: string;
  pLogits: number[];
  qLogits: number[];
  p: number[];
  q: number[];
  klPQ: number;
  klQP: number;
  js: number;
  tv: number;
  cePQ: number;
  entropyP: number;
  entropyQ: number;
}

const dec = (x: Num): number => (x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x);

/** All cases of the committed oracle file. */
export function loadKlOracle(): OracleCase[] {
  const path = fileURLToPath(new URL('../fixtures/kl_oracle.json', import.meta.url));
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { cases: Record<string, Num | Num[] | string>[] };
  return raw.cases.map((c) => ({
    name: c.name as string,
    pLogits: (c.pLogits as Num[]).map(dec),
    qLogits: (c.qLogits as Num[]).map(dec),
    p: c.p as number[],
    q: c.q as number[],
    klPQ: dec(c.klPQ as Num),
    klQP: dec(c.klQP as Num),
    js: c.js as number,
    tv: c.tv as number,
    cePQ: dec(c.cePQ as Num),
    entropyP: c.entropyP as number,
    entropyQ: c.entropyQ as number,
  }));
}

/** fast-check-free helper: normalise non-negative weights (at least one positive) to a probability vector. */
export function normalize(w: readonly number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}
