/**
 * klip/node — the Node-only parts of klip: the `klip` CLI, run folders, atomic file writes, progress display,
 * HTML reports (Vega-Lite rendered to SVG) and the ablation grid. Explicit named re-exports only (no `export *`).
 * @module klip/node
 */
export { writeFileAtomic, readJsonFile, NODE_ATOMIC_FS, fileWriteError } from './atomic.js';
export type { AtomicFileSystem, ReadJsonOptions, KlipErrorClass } from './atomic.js';
export {
  RUN_FILES,
  RunFolder,
  createRun,
  openRun,
  isRunFolder,
  checkCreatable,
  summarizeMetrics,
  csvHeader,
  csvLine,
  parseMetricsJsonl,
  diffMetrics,
} from './run_folder.js';
export type { RunSummary, MetricSummary, FrameLike, CreateRunOptions, MetricDiff, RunFileKind } from './run_folder.js';
export { createProgress, progressModeFor, formatProgressLine } from './progress.js';
export type { KlLineOptions, ProgressMode, ProgressOptions, ProgressReporter, TextOut } from './progress.js';
export {
  renderReportHtml,
  reportCharts,
  gridPolicySpec,
  renderSpecToSvg,
  escapeHtml,
  ACTION_ARROWS,
} from './report.js';
export type { ReportRun, ReportChart, ReportTable, VegaLiteSpec } from './report.js';
export {
  FRONTIER_FILES,
  FRONTIER_SERIES,
  DEFAULT_FRONTIER_INPUTS,
  parseFrontierFlags,
  computeFrontier,
  isFrontierFolder,
  readFrontierFolder,
  formatFrontierTable,
  frontierSpec,
  frontierChart,
  writeFrontierFolder,
} from './frontier.js';
export type { FrontierInputs, FrontierFile, ReportFrontier } from './frontier.js';
export {
  compareCells,
  parseShard,
  shardCells,
  cellConfig,
  resultFromMetrics,
  aggregateCompare,
  compareCsv,
  compareRunsCsv,
  formatCompareTable,
  compareSpec,
  renderCompareHtml,
  runCompare,
  compareFile,
  readCompareFiles,
  mergeCompare,
  writeCompareOutputs,
  runCellWithTrainer,
  defaultCompareWorkers,
  serializeError,
  deserializeError,
  serveCompareCells,
} from './compare.js';
export type {
  CompareGrid,
  CompareCell,
  CompareResult,
  CompareFile,
  CompareRow,
  RunCompareOptions,
  SerializedError,
  Shard,
  MergedCompare,
} from './compare.js';
export { runCli, QUICKSTART_CONFIG, EXIT_INTERRUPTED, formatSummaryTable } from './cli.js';
export type { CliIo, QuickstartPreset } from './cli.js';
