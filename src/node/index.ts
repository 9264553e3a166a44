/**
 * klip/node — the Node-only parts of klip a user calls: the `klip` CLI entry, run folders, atomic JSON writes,
 * HTML reports, the reward–KL frontier and the ablation grid (`klip compare`: its cells, shards, runner, merge and
 * outputs). Their plumbing (flag parsers, number formatting, the page template, chart specs, CSV lines, the worker
 * pool) stays internal. Explicit named re-exports only (no `export *`).
 * @module klip/node
 */
export { writeFileAtomic, readJsonFile } from './atomic.js';
export type { AtomicFileSystem, ReadJsonOptions, KlipErrorClass } from './atomic.js';
export {
  RUN_FILES,
  RunFolder,
  createRun,
  openRun,
  isRunFolder,
  isKlipRunFolder,
  summarizeMetrics,
  parseMetricsJsonl,
  diffMetrics,
} from './run_folder.js';
export type { RunSummary, MetricSummary, CreateRunOptions, MetricDiff, RunFileKind } from './run_folder.js';
export { createProgress } from './progress.js';
export type { KlLineOptions, ProgressMode, ProgressOptions, ProgressReporter, TextOut } from './progress.js';
export { renderReportHtml } from './report.js';
export type { ReportRun, ReportChart, ReportPanel, ReportTable, VegaLiteSpec } from './report.js';
export {
  FRONTIER_FILES,
  DEFAULT_FRONTIER_INPUTS,
  computeFrontier,
  isFrontierFolder,
  readFrontierFolder,
  writeFrontierFolder,
} from './frontier.js';
export type { FrontierInputs, FrontierFile, ReportFrontier } from './frontier.js';
export { compareCells, shardCells } from './compare/grid.js';
export type { CompareGrid, CompareCell, Shard } from './compare/grid.js';
export { COMPARE_FILES, compareFile, readCompareFiles, isCompareFolder } from './compare/file.js';
export type { CompareResult, CompareFile } from './compare/file.js';
export { mergeCompare } from './compare/merge.js';
export type { MergedCompare } from './compare/merge.js';
export { aggregateCompare } from './compare/aggregate.js';
export type { CompareRow } from './compare/aggregate.js';
export { formatCompareTable, renderCompareHtml, writeCompareOutputs } from './compare/outputs.js';
export type { CompareCellOutputs } from './compare/outputs.js';
export { runCompare } from './compare/run.js';
export type { RunCompareOptions } from './compare/run.js';
export { runCli, QUICKSTART_CONFIG, EXIT_INTERRUPTED } from './cli.js';
export type { CliIo, QuickstartPreset } from './cli.js';
