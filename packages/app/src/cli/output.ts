import type { Validation } from '@latchkey/domain';

/** Where the CLI writes: a command's result to stdout, failures to stderr. */
export interface Streams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * A failure as `--json` prints it on stderr, `{"error": {…}}` (docs/cli.md#output): `kind` is
 * stable and machine-readable, `message` is for people.
 */
export interface ErrorBody {
  readonly kind: string;
  readonly message: string;
  readonly detail?: string;
  readonly validations?: readonly Validation[];
  readonly [more: string]: unknown;
}

/**
 * Text stored by others (an app's or a user's name, a registered client's metadata) may hold
 * control characters; a terminal would act on them, so the human output shows `?` instead.
 * `--json` output escapes them as JSON does.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
export const printable = (text: string): string => text.replace(CONTROL, '?');

/** Columns padded to their widest cell, two spaces apart. */
export const table = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const lines = [headers, ...rows].map((row) => row.map(printable));
  const widths = headers.map((_, i) => Math.max(...lines.map((row) => (row[i] ?? '').length)));
  return lines
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
};

/** `label: value` lines, the values aligned. */
export const fields = (pairs: readonly (readonly [string, string])[]): string => {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 1;
  return (
    pairs.map(([label, value]) => `${`${label}:`.padEnd(width)} ${printable(value)}`.trimEnd()).join('\n') +
    '\n'
  );
};

export interface Output {
  readonly json: boolean;
  /** A command's result on stdout: `value` as one line of JSON, or `human()`. */
  result(value: unknown, human: () => string): void;
  /** A failure on stderr: `{"error": body}`, or `latchkey: message` with the details below it. */
  failure(body: ErrorBody): void;
}

export const makeOutput = (streams: Streams, json: boolean): Output => ({
  json,
  result: (value, human) => {
    streams.stdout.write(json ? `${JSON.stringify(value)}\n` : human());
  },
  failure: (body) => {
    if (json) {
      streams.stderr.write(`${JSON.stringify({ error: body })}\n`);
      return;
    }
    const lines = [`latchkey: ${printable(body.message)}`];
    if (body.detail !== undefined) lines.push(`  ${printable(body.detail)}`);
    for (const v of body.validations ?? []) lines.push(`  ${printable(v.field)}: ${printable(v.detail)}`);
    streams.stderr.write(`${lines.join('\n')}\n`);
  },
});
