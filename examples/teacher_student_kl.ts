// Docs: docs/concepts/kl.md — forward vs reverse KL, JS, TV and cross-entropy between a teacher and a student.
/**
 * Teacher/student divergences, computed twice: in float64 with the plain-number functions and with tensors on a
 * tfjs backend, to show they agree. Run with `npm start` (or `npx tsx examples/teacher_student_kl.ts`).
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  Categorical,
  crossEntropy,
  crossEntropyProbs,
  jsDivergence,
  jsProbs,
  klDivergence,
  klProbs,
  setBackend,
  totalVariation,
  tvProbs,
  type BackendName,
} from 'klip';

// --- setup ---
/** Defaults of this example; `main(overrides)` replaces any of them. */
export const DEFAULTS = {
  /** The teacher (data) distribution T over two actions: the target a student should imitate. */
  teacher: [0.7, 0.3] as number[],
  /** The student (model) distribution S over the same actions. */
  student: [0.4, 0.6] as number[],
  /** tfjs backend for the tensor computation: 'wasm' (klip's default) or 'cpu'. */
  backend: 'wasm' as BackendName,
  /** Print the table (set false in tests). */
  print: true,
};

/** One row of the result table: a divergence in nats and bits, from float64 and from tensors. */
export interface DivergenceRow {
  /** e.g. `KL(T‖S)`. */
  name: string;
  /** float64 value, nats. */
  nats: number;
  /** float64 value, bits (nats / ln 2); TV has no unit and repeats its value. */
  bits: number;
  /** The same divergence from tensors (float32) on the chosen backend, nats. */
  tensorNats: number;
}

/** Compute and print the teacher/student divergences. Returns the rows keyed by short names. */
export async function main(overrides: Partial<typeof DEFAULTS> = {}): Promise<{
  backend: BackendName;
  klTS: DivergenceRow;
  klST: DivergenceRow;
  js: DivergenceRow;
  tv: DivergenceRow;
  ceTS: DivergenceRow;
  maxAbsDiff: number;
}> {
  const cfg = { ...DEFAULTS, ...overrides };
  const T = cfg.teacher;
  const S = cfg.student;
  const backend = await setBackend(cfg.backend);

  // --- algorithm ---
  // float64, plain numbers
  const f64 = {
    klTS: klProbs(T, S),
    klST: klProbs(S, T),
    js: jsProbs(T, S),
    tv: tvProbs(T, S),
    ceTS: crossEntropyProbs(T, S),
  };
  // float32 tensors on the backend; distributions are views, created inside the tidy
  const tensors = tf.tidy(() => {
    const teacher = Categorical.fromProbs(T);
    const student = Categorical.fromProbs(S);
    return tf.stack([
      klDivergence(teacher, student), // forward KL: expectation under the teacher
      klDivergence(student, teacher), // reverse KL: expectation under the student
      jsDivergence(teacher, student),
      totalVariation(teacher, student),
      crossEntropy(teacher, student),
    ]);
  });
  const t32 = Array.from(await tensors.data());
  tensors.dispose();

  const row = (name: string, nats: number, tensorNats: number, unitless = false): DivergenceRow => ({
    name,
    nats,
    bits: unitless ? nats : nats / Math.LN2,
    tensorNats,
  });
  const out = {
    backend,
    klTS: row('KL(T‖S)', f64.klTS, t32[0]!),
    klST: row('KL(S‖T)', f64.klST, t32[1]!),
    js: row('JS(T, S)', f64.js, t32[2]!),
    tv: row('TV(T, S)', f64.tv, t32[3]!, true),
    ceTS: row('H(T, S)', f64.ceTS, t32[4]!),
    maxAbsDiff: 0,
  };
  const rows = [out.klTS, out.klST, out.js, out.tv, out.ceTS];
  out.maxAbsDiff = Math.max(...rows.map((r) => Math.abs(r.nats - r.tensorNats)));

  // --- logging ---
  if (cfg.print) {
    const n = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : String(x));
    console.log(`teacher T = [${T.join(', ')}], student S = [${S.join(', ')}]`);
    console.log(
      `${'divergence'.padEnd(10)} ${'nats (f64)'.padStart(12)} ${'bits (f64)'.padStart(12)} ${`nats (${backend})`.padStart(14)}`,
    );
    for (const r of rows) {
      const bits = r === out.tv ? '(no unit)' : n(r.bits);
      console.log(
        `${r.name.padEnd(10)} ${n(r.nats).padStart(12)} ${bits.padStart(12)} ${n(r.tensorNats).padStart(14)}`,
      );
    }
    console.log(`float64 and ${backend} tensors agree to ${out.maxAbsDiff.toExponential(1)} nats.`);
    console.log(
      'Forward KL(T‖S) averages log T/S under the teacher: minimised over S it is mode-covering (S must cover every action T uses); ' +
        'reverse KL(S‖T) averages under the student: minimised over S it is mode-seeking (S may drop actions, but is punished for mass where T has little).',
    );
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
