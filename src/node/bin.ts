#!/usr/bin/env node
/**
 * The `klip` executable (built to `dist/cli.js`): runs the command line on `process.argv` and sets the exit code.
 * @module
 */
import { runCli } from './cli.js';

// A reader that closes early (`klip train --json | head -1`) is not an error: end quietly with 0. Any other failure
// to write our own output ends with one line and 1, never a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && stream !== process.stderr)
      process.stderr.write(`klip: cannot write the output: ${e.code ?? e.message}\n`);
    process.exit(e.code === 'EPIPE' ? 0 : 1);
  });
}

process.exitCode = await runCli(process.argv.slice(2));
