/**
 * `klip kl`: KL, JS and TV between two probability vectors. Node only.
 * @module
 */
import { jsProbs, klProbs, tvProbs } from '../../kl/probs.js';
import { parseProbs, usage } from '../flags.js';
import type { CliIo } from './shared.js';

/** Run `klip kl` with parsed options; returns the exit code. */
export function runKl(o: { p: string; q: string; json?: boolean }, io: CliIo): number {
  const p = parseProbs('kl', '--p', o.p);
  const q = parseProbs('kl', '--q', o.q);
  if (p.length !== q.length) throw usage('kl', '--q', `as many entries as --p (${p.length})`, o.q);
  const rows = [
    { name: 'KL(p‖q)', nats: klProbs(p, q) },
    { name: 'KL(q‖p)', nats: klProbs(q, p) },
    { name: 'JS(p, q)', nats: jsProbs(p, q) },
  ];
  const tv = tvProbs(p, q);
  if (o.json) {
    io.stdout.write(
      `${JSON.stringify({ p, q, klPQ: rows[0]!.nats, klQP: rows[1]!.nats, js: rows[2]!.nats, tv, unit: 'nats' })}\n`,
    );
    return 0;
  }
  const show = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : String(x));
  io.stdout.write(`p = [${p.join(', ')}]\nq = [${q.join(', ')}]\n\n`);
  io.stdout.write(`${'divergence'.padEnd(10)}  ${'nats'.padStart(12)}  ${'bits'.padStart(12)}\n`);
  for (const r of rows)
    io.stdout.write(`${r.name.padEnd(10)}  ${show(r.nats).padStart(12)}  ${show(r.nats / Math.LN2).padStart(12)}\n`);
  io.stdout.write(`${'TV(p, q)'.padEnd(10)}  ${show(tv).padStart(12)}  ${'(no unit)'.padStart(12)}\n`);
  io.stdout.write(
    '\nKL is not symmetric: KL(p‖q) = Σ p·log(p/q) averages under p; KL(q‖p) averages log(q/p) under q.\n',
  );
  return 0;
}
