#!/usr/bin/env node
/**
 * The `klip` executable (built to `dist/cli.js`): runs the command line on `process.argv` and sets the exit code.
 * @module
 */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));
