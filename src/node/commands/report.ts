/**
 * `klip report`: one HTML page for one or more run folders. Node only.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { frontierChart, isFrontierFolder, readFrontierFolder, type ReportFrontier } from '../frontier.js';
import { REPORT_GENERATOR, hasGenerator } from '../html_page.js';
import { renderReportHtml, type ReportRun } from '../report.js';
import { openRun, type RunFolder } from '../run_folder.js';
import { usage } from '../flags.js';
import type { CliIo } from './shared.js';

/** Whether `path` is a file written by `klip report` (its page carries the klip generator tag). */
function isKlipReport(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    return hasGenerator(readFileSync(path, 'utf8'), REPORT_GENERATOR);
  } catch {
    return false;
  }
}

/** Run `klip report` with parsed options; returns the exit code. */
export async function runReport(
  dirs: string[],
  o: { out?: string; title?: string; force?: boolean },
  io: CliIo,
): Promise<number> {
  const runs: ReportRun[] = [];
  const folders: RunFolder[] = [];
  const frontiers: ReportFrontier[] = []; // folders written by `klip frontier`
  for (const d of dirs) {
    // validate every folder before writing
    const p = resolve(io.cwd, d);
    if (isFrontierFolder(p)) frontiers.push(await readFrontierFolder(p));
    else folders.push(await openRun(p));
  }
  for (const f of folders)
    runs.push({
      name: f.name,
      config: await f.readConfig(),
      metrics: await f.readMetrics(),
      summary: await f.readSummary(),
    });
  const html = await renderReportHtml(runs, {
    ...(o.title ? { title: o.title } : {}),
    ...(frontiers.length ? { charts: [frontierChart(frontiers)], sources: frontiers.map((f) => f.name) } : {}),
  });
  const single =
    dirs.length === 1 ? (folders[0]?.path('report') ?? join(resolve(io.cwd, dirs[0]!), 'report.html')) : undefined;
  const out = o.out !== undefined ? resolve(io.cwd, o.out) : (single ?? resolve(io.cwd, 'report.html'));
  const ownFile = folders.some((f) => f.path('report') === out); // a run folder's report.html is klip's
  if (!(o.force ?? false) && !ownFile && existsSync(out) && !isKlipReport(out)) {
    throw usage(
      'report',
      '--out',
      'a new file or a klip report to replace',
      out,
      'It is not a klip report: pick another --out, or pass --force to replace it',
    );
  }
  await writeFileAtomic(out, html);
  const fr = frontiers.length
    ? `${runs.length ? ', ' : ''}${frontiers.length} frontier${frontiers.length > 1 ? 's' : ''}`
    : '';
  io.stdout.write(
    `Wrote ${out} (${runs.length || !fr ? `${runs.length} run${runs.length > 1 ? 's' : ''}` : ''}${fr})\n`,
  );
  return 0;
}
