/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be a
 * `# HELP`, a `# TYPE` or a sample, or the parse fails naming the line. Samples keep their labels
 * as written (unescaped), so tests can compare counts and look at every label value.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each metric family. */
  readonly types: ReadonlyMap<string, string>;
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const COMMENT = new RegExp(`^# (HELP|TYPE) (${METRIC_NAME}) (.*)$`);
const SAMPLE = new RegExp(`^(${METRIC_NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

const unescape = (value: string): string =>
  value.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** A sample value as Go's `ParseFloat` reads it (the format says so): NaN and infinities in any case. */
const numberOf = (text: string, line: string): number => {
  if (/^nan$/i.test(text)) return NaN;
  const infinity = /^([+-]?)inf(inity)?$/i.exec(text);
  if (infinity !== null) return infinity[1] === '-' ? -Infinity : Infinity;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`not a sample value: ${line}`);
  return value;
};

const labelsOf = (block: string, line: string): Record<string, string> => {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < block.length) {
    const match = LABEL.exec(block);
    if (match === null) throw new Error(`malformed labels: ${line}`);
    const [, name = '', value = ''] = match;
    if (name in labels) throw new Error(`label ${name} given twice: ${line}`);
    labels[name] = unescape(value);
  }
  return labels;
};

export const parseExposition = (text: string): Exposition => {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = COMMENT.exec(line);
    if (comment !== null) {
      const [, kind, name = '', rest = ''] = comment;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`unknown metric type: ${line}`);
        if (types.has(name)) throw new Error(`metric ${name} typed twice`);
        types.set(name, rest);
      }
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (sample === null) throw new Error(`not a line of the exposition format: ${line}`);
    const [, name = '', block, value = ''] = sample;
    samples.push({
      name,
      labels: block === undefined || block === '' ? {} : labelsOf(block, line),
      value: numberOf(value, line),
    });
  }
  return { samples, types };
};

/** The value of the one sample of `name` whose labels include `labels`; 0 when there is none. */
export const valueOf = (
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number => {
  const found = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
};

/** The sum of every sample of `name` whose labels include `labels`. */
export const sumOf = (
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number =>
  exposition.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
