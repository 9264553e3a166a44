/**
 * Checking what a student typed before anything is trained: each field's text becomes a setting or a message in
 * plain words attached to that field. The same messages serve the library's own errors from the worker, mapped back
 * to the field that caused them by the argument they name.
 * @module
 */
import { CONTROLLER_KINDS, MAX_UPDATES, OBJECTIVE_KINDS, type PlaygroundSettings, WORLDS } from './protocol.js';

/** The form fields, named as in the page's form and its URL parameters. */
export const FIELD_NAMES = [
  'env',
  'objective',
  'controller',
  'clipEpsilon',
  'beta',
  'targetKl',
  'seed',
  'updates',
  'backend',
  'speed',
] as const;
/** One form field. */
export type FieldName = (typeof FIELD_NAMES)[number];
/** The fields side B of an A/B comparison may set differently from A (the rest are shared: same world, seed, budget). */
export const B_FIELDS = ['objective', 'controller', 'clipEpsilon', 'beta', 'targetKl'] as const;
/** A field side B may override. */
export type BFieldName = (typeof B_FIELDS)[number];

/** Training speeds: the pause between two updates (ms). */
export const SPEEDS: Readonly<Record<string, number>> = Object.freeze({ fast: 0, normal: 40, slow: 400 });

/** The raw text of some fields (missing fields keep their current value). */
export type RawSettings = Partial<Record<FieldName, string>>;

/** A field and what is wrong with it, in words for a student. */
export interface FieldError {
  field: FieldName;
  message: string;
}

/** What each field accepts, said for a student. */
export const FIELD_MESSAGES: Readonly<Record<FieldName, string>> = Object.freeze({
  env: 'Choose one of the worlds in the list.',
  objective: 'Choose one of the objectives in the list.',
  controller: 'Choose one of the KL controllers in the list.',
  clipEpsilon: 'ε must be a number between 0 and 1 (not 0 or 1), for example 0.2.',
  beta: 'β must be 0 or more, for example 1 (0 switches the KL penalty off).',
  targetKl: 'The target KL must be more than 0, for example 0.01.',
  seed: 'The seed must be a whole number, 0 or more, for example 1.',
  updates: `Updates must be a whole number from 1 to ${MAX_UPDATES}.`,
  backend: 'Choose wasm or cpu.',
  speed: 'Choose fast, normal or slow.',
});

function numberOf(text: string): number | null {
  if (text.trim() === '') return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/**
 * Read settings from field texts.
 * @param raw Field name → text (what the inputs hold, or URL parameters).
 * @param base Values of the fields `raw` does not give.
 * @returns The settings (invalid fields keep `base`'s value) and one error per invalid field, in form order.
 * @example
 * ```ts
 * parseSettings({ beta: '-1' }, DEFAULT_SETTINGS).errors; // [{ field: 'beta', message: 'β must be 0 or more, …' }]
 * ```
 */
export function parseSettings(
  raw: RawSettings,
  base: Readonly<PlaygroundSettings>,
): { settings: PlaygroundSettings; errors: FieldError[] } {
  const s: PlaygroundSettings = { ...base };
  const errors: FieldError[] = [];
  const bad = (field: FieldName): void => {
    errors.push({ field, message: FIELD_MESSAGES[field] });
  };
  const choice = <T extends string>(field: FieldName, options: readonly string[], set: (v: T) => void): void => {
    const v = raw[field];
    if (v === undefined) return;
    if (options.includes(v)) set(v as T);
    else bad(field);
  };
  const numeric = (field: FieldName, ok: (v: number) => boolean, set: (v: number) => void): void => {
    const text = raw[field];
    if (text === undefined) return;
    const v = numberOf(text);
    if (v !== null && ok(v)) set(v);
    else bad(field);
  };
  choice(
    'env',
    WORLDS.map((w) => w.id),
    (v: string) => {
      s.env = v;
    },
  );
  choice('objective', OBJECTIVE_KINDS, (v: PlaygroundSettings['objective']) => {
    s.objective = v;
  });
  choice('controller', CONTROLLER_KINDS, (v: PlaygroundSettings['controller']) => {
    s.controller = v;
  });
  numeric(
    'clipEpsilon',
    (v) => v > 0 && v < 1,
    (v) => {
      s.clipEpsilon = v;
    },
  );
  numeric(
    'beta',
    (v) => v >= 0,
    (v) => {
      s.beta = v;
    },
  );
  numeric(
    'targetKl',
    (v) => v > 0,
    (v) => {
      s.targetKl = v;
    },
  );
  numeric(
    'seed',
    (v) => Number.isSafeInteger(v) && v >= 0,
    (v) => {
      s.seed = v;
    },
  );
  numeric(
    'updates',
    (v) => Number.isInteger(v) && v >= 1 && v <= MAX_UPDATES,
    (v) => {
      s.updates = v;
    },
  );
  choice('backend', ['wasm', 'cpu'], (v: PlaygroundSettings['backend']) => {
    s.backend = v;
  });
  if (raw.speed !== undefined && !Object.hasOwn(SPEEDS, raw.speed)) bad('speed');
  return { settings: s, errors };
}

/** Library argument names (as in its error messages) → the form field that sets them. */
const ARG_FIELDS: Readonly<Record<string, FieldName>> = Object.freeze({
  'config.beta': 'beta',
  'config.target': 'targetKl',
  'klController.beta': 'beta',
  'klController.target': 'targetKl',
  clipEpsilon: 'clipEpsilon',
  totalSteps: 'updates',
  seed: 'seed',
  env: 'env',
  objective: 'objective',
  'config.kind': 'controller',
  backend: 'backend',
});

/**
 * The form field behind a library error, with the field's plain message.
 * @param arg The argument the library named (`KlipError.arg`), if any.
 * @returns The field and its message, or null when no field of the form sets that argument.
 */
export function fieldOfLibraryError(arg: string | undefined): FieldError | null {
  if (arg === undefined) return null;
  const field = ARG_FIELDS[arg];
  return field ? { field, message: FIELD_MESSAGES[field] } : null;
}
