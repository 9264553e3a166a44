/**
 * Worker-thread entry of `klip compare --workers N` (built to `dist/compare_worker.js`): runs the cells the main
 * thread sends with the Trainer and posts back their metric histories. Node only.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { serveCompareCells } from './compare.js';

if (parentPort) serveCompareCells(parentPort);
