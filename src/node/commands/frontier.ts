/**
 * `klip frontier`: the reward–KL frontier of the KL-regularized bandit. Node only.
 * @module
 */
import { resolve } from 'node:path';
import { setBackend, type BackendName } from '../../backend/backend.js';
import {
  computeFrontier,
  formatFrontierTable,
  isFrontierFolder,
  parseFrontierFlags,
  writeFrontierFolder,
  type FrontierFile,
} from '../frontier.js';
import { acquireOutputLock } from '../lock.js';
import { checkCreatable } from '../run_folder.js';
import { type CliIo, timestamp } from './shared.js';

/** The parsed options of `klip frontier` (docs/cli.md lists each flag). */
export interface FrontierOpts {
  rewards?: string;
  ref?: string;
  betas?: string;
  mode?: string;
  steps?: number;
  seed?: number | string;
  backend: BackendName;
  out?: string;
  force?: boolean;
  json?: boolean;
}

/** Run `klip frontier` with parsed options; returns the exit code. */
export async function runFrontierCmd(o: FrontierOpts, io: CliIo): Promise<number> {
  const { backend, out, force, json, ...flags } = o;
  const inputs = parseFrontierFlags(flags); // every check before anything runs or is written
  const outArg = out ?? `runs/frontier-${timestamp()}`;
  const dir = resolve(io.cwd, outArg);
  checkCreatable(dir, force ?? false, 'frontier', { is: isFrontierFolder, what: 'klip frontier folder' });
  const human = json ? io.stderr : io.stdout;
  human.write(
    `Training at β = ${inputs.betas.join(', ')} (${inputs.mode}, ${inputs.steps} Adam steps each, seed ${String(inputs.seed)}, ${backend}) → ${outArg}\n`,
  );
  const lock = acquireOutputLock(dir, 'frontier'); // one writer per folder
  let file: FrontierFile;
  try {
    await setBackend(backend);
    file = computeFrontier(inputs);
    await writeFrontierFolder(dir, file);
  } finally {
    lock.release();
  }
  if (json) io.stdout.write(`${JSON.stringify(file)}\n`);
  human.write(
    `\nπ_ref = [${inputs.piRef.map((p) => Number(p.toFixed(4))).join(', ')}], r = [${inputs.rewards.join(', ')}]\n${formatFrontierTable(file)}`,
  );
  human.write(`Wrote ${outArg}/{frontier.json, report.html}\n`);
  return 0;
}
