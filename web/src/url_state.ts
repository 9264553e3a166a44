/**
 * The page's settings in its URL, so a configured run can be shared as a link. Parameters are named exactly as the
 * form fields (`env`, `objective`, `controller`, `clipEpsilon`, `beta`, `targetKl`, `seed`, `updates`, `backend`,
 * `speed`); `ab=1` turns on A/B mode and `b.<field>` sets side B's objective, controller, clipEpsilon, beta or
 * targetKl; `autostart=1` starts training once the page is ready; `klP` / `klQ` preload the KL explorer with
 * comma-separated probabilities (normalized to sum to 1). docs/playground.md documents them.
 * @module
 */
import { MAX_CATEGORIES } from './kl_explorer.js';
import { B_FIELDS, type BFieldName, FIELD_NAMES, type FieldName, type RawSettings } from './validate.js';

/** What a URL asks the page to show. Field values are raw text, checked like typed input. */
export interface UrlState {
  a: RawSettings;
  b: Partial<Record<BFieldName, string>>;
  ab: boolean;
  autostart: boolean;
  /** The KL explorer's raw lists, or null when not given. */
  klP: string | null;
  klQ: string | null;
  /** Parameters the page does not know (reported, not silently dropped). */
  unknown: string[];
}

const KNOWN_EXTRA = ['ab', 'autostart', 'klP', 'klQ'];

const isOn = (v: string | null): boolean => v !== null && v !== '0' && v.toLowerCase() !== 'false';

/**
 * Read a query string.
 * @param search `location.search` (with or without the leading `?`).
 * @example
 * ```ts
 * readUrl('?ab=1&objective=clip&b.objective=kl-penalty').b.objective; // 'kl-penalty'
 * ```
 */
export function readUrl(search: string): UrlState {
  const q = new URLSearchParams(search);
  const a: RawSettings = {};
  const b: Partial<Record<BFieldName, string>> = {};
  const unknown: string[] = [];
  for (const [key, raw] of q) {
    // A hand-written `objective=clip+kl` arrives as "clip kl" ('+' means a space in a query): no value has spaces.
    const value = raw.replace(/ /g, '+');
    if ((FIELD_NAMES as readonly string[]).includes(key)) a[key as FieldName] = value;
    else if (key.startsWith('b.') && (B_FIELDS as readonly string[]).includes(key.slice(2)))
      b[key.slice(2) as BFieldName] = value;
    else if (!KNOWN_EXTRA.includes(key)) unknown.push(key);
  }
  return {
    a,
    b,
    ab: isOn(q.get('ab')),
    autostart: isOn(q.get('autostart')),
    klP: q.get('klP'),
    klQ: q.get('klQ'),
    unknown,
  };
}

/**
 * The query string of the page's current settings (every field of A; only B's fields that differ from A).
 * @param a Field texts of A. @param b Field texts of B, or null outside A/B mode.
 * @param kl The explorer's distributions, or null when they are the preloaded example.
 * @returns The query string, starting with `?`.
 */
export function writeUrl(
  a: Record<FieldName, string>,
  b: Record<BFieldName, string> | null,
  kl: { p: readonly number[]; q: readonly number[] } | null,
): string {
  const q = new URLSearchParams();
  for (const f of FIELD_NAMES) q.set(f, a[f]);
  if (b) {
    q.set('ab', '1');
    for (const f of B_FIELDS) if (b[f] !== a[f]) q.set(`b.${f}`, b[f]);
  }
  if (kl) {
    const list = (d: readonly number[]): string => d.map((x) => String(Math.round(x * 1e4) / 1e4)).join(',');
    q.set('klP', list(kl.p));
    q.set('klQ', list(kl.q));
  }
  // Keep commas and dots readable in a copied link.
  return `?${q.toString().replace(/%2C/g, ',')}`;
}

/**
 * A comma-separated list of probabilities for the KL explorer, normalized to sum to 1.
 * @param text e.g. `0.45,0.05,0.05,0.45` or `9,1` (weights are fine: they are normalized).
 * @returns The distribution, or a message saying what is wrong.
 */
export function parseProbList(text: string): { probs: number[] } | { error: string } {
  const parts = text.split(',').map((t) => t.trim());
  if (parts.length < 2 || parts.length > MAX_CATEGORIES)
    return { error: `give between 2 and ${MAX_CATEGORIES} numbers separated by commas` };
  const xs = parts.map((t) => (t === '' ? Number.NaN : Number(t)));
  if (xs.some((x) => !Number.isFinite(x) || x < 0)) return { error: 'every entry must be a number, 0 or more' };
  const sum = xs.reduce((s, x) => s + x, 0);
  if (!(sum > 0)) return { error: 'at least one entry must be more than 0' };
  return { probs: xs.map((x) => x / sum) };
}

/**
 * The KL explorer's distributions from the URL's `klP` / `klQ`.
 * @returns Both distributions, null when neither is given, or a message naming the list that is wrong.
 */
export function explorerFromUrl(
  state: Pick<UrlState, 'klP' | 'klQ'>,
): { p: number[]; q: number[] } | { error: string } | null {
  if (state.klP === null && state.klQ === null) return null;
  if (state.klP === null || state.klQ === null) return { error: 'the link gives klP or klQ but not both' };
  const p = parseProbList(state.klP);
  if ('error' in p) return { error: `klP: ${p.error}` };
  const q = parseProbList(state.klQ);
  if ('error' in q) return { error: `klQ: ${q.error}` };
  if (p.probs.length !== q.probs.length)
    return { error: `klP has ${p.probs.length} entries and klQ ${q.probs.length}: give both the same number` };
  return { p: p.probs, q: q.probs };
}
