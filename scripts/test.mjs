// `pnpm test`: every check, on two cores at once where the checks allow it.
//
// 1. `tsc -b` and `prettier --check .` side by side (Prettier reads only the sources).
// 2. `eslint .` (its type information comes from the packages' built declarations) side by side
//    with the suites (`mocha`, two worker processes, which leave part of a core idle while their
//    servers wait on sockets and the database). ESLint's output is held back until the suites end.
//
// The suites' output is passed through as it comes, and their closing line
// ("N passed, N failed") stays the last line, which CI reads: when ESLint finds problems, its
// report is printed before that line is repeated. The exit status is the first failure's.
import { spawn } from 'node:child_process';
import process from 'node:process';

/** Runs `command` from node_modules/.bin; `capture` keeps its output instead of printing it. */
const run = (command, args, { capture = false, onStdout } = {}) =>
  new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', capture || onStdout ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
    });
    let output = '';
    if (capture) {
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
    } else if (onStdout !== undefined) {
      child.stdout.on('data', onStdout);
    }
    child.on('error', (error) => resolve({ code: 1, output: `${command}: ${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output }));
  });

const [build, format] = await Promise.all([run('tsc', ['-b']), run('prettier', ['--check', '.'])]);
if (build.code !== 0 || format.code !== 0) process.exit(build.code || format.code);

let lastLine = '';
let pending = '';
const lint = run('eslint', ['.', '--max-warnings', '0'], { capture: true });
const suites = run('mocha', [], {
  onStdout: (chunk) => {
    process.stdout.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    const filled = lines.filter((line) => line.trim() !== '');
    if (filled.length > 0) lastLine = filled.at(-1);
  },
});
const [linted, tested] = await Promise.all([lint, suites]);
if (pending.trim() !== '') lastLine = pending;
if (linted.code !== 0) {
  process.stdout.write(`\nESLint:\n${linted.output}\n${lastLine}\n`);
  process.exit(linted.code);
}
process.exit(tested.code);
