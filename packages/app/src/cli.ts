#!/usr/bin/env node
import { runCli } from './cli/program.js';

/** `latchkey`, the admin CLI (docs/cli.md): one command per run, its result on stdout. */
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
