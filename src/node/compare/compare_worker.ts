/**
 * Worker-thread entry of `klip compare --workers N` (built to `dist/compare_worker.js`, beside the chunk that holds
 * `compare/run.ts`, which resolves it as `./compare_worker.js`): runs the cells the pool sends with the Trainer and
 * posts back their metric histories. Node only.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { serveWorkerJobs } from '../worker_pool.js';
import { runCellTimed } from './run.js';

if (parentPort) serveWorkerJobs(parentPort, runCellTimed);
