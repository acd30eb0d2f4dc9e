// SQL text helpers of the pgbench replay (bench/lib/pgbench.mjs), free of any dependency so that
// bench/latchkey-server.mjs can use them too: the text the `pg` driver sends for a parameter
// value, a small tokenizer that tells literals, parameters and the rest of a statement apart, and
// the substitution of `$n` parameters by literals.
import { Buffer } from 'node:buffer';

// ---------------------------------------------------------------------------------------------
// Parameter values

const hex = (view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('hex');

/** A JS array as PostgreSQL's array input syntax, element by element as the `pg` driver does. */
const arrayText = (values) =>
  `{${values
    .map((value) => {
      if (value === null || value === undefined) return 'NULL';
      if (Array.isArray(value)) return arrayText(value);
      if (ArrayBuffer.isView(value)) return `\\\\x${hex(value)}`;
      return `"${paramText(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    })
    .join(',')}}`;

/**
 * The text of a parameter value as the `pg` driver sends it (its `prepareValue`), or null for SQL
 * NULL: arrays in PostgreSQL's array syntax with every element quoted, byte arrays as `\x…` hex,
 * objects as JSON (or their `toPostgres()`), everything else `String(value)`. The one difference:
 * timestamps are written in UTC (`Date#toISOString`) where the driver uses the local offset; both
 * name the same instant. The driver sends every such parameter untyped (type OID 0), so PostgreSQL
 * infers its type from the statement exactly as it does for a quoted literal in its place.
 */
export const paramText = (value) => {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `\\x${hex(value)}`;
  if (Array.isArray(value)) return arrayText(value);
  if (typeof value === 'object') {
    return typeof value.toPostgres === 'function'
      ? paramText(value.toPostgres(paramText))
      : JSON.stringify(value);
  }
  return String(value);
};

/** `value` as a standard SQL string literal. */
export const quote = (value) => `'${value.replace(/'/g, "''")}'`;

// ---------------------------------------------------------------------------------------------
// Tokens

/**
 * Splits `sql` into parts whose texts concatenate back to `sql`:
 * - `{type: 'literal', text, prefix, body}`: a quoted string (`'…'`, `E'…'`, `N'…'`, `U&'…'`,
 *   `B'…'`, `X'…'`) or a dollar-quoted one (prefix `$tag$`). `body` is the value between the
 *   quotes, with `''` unescaped except in `E'…'`, where it stays raw.
 * - `{type: 'param', text, index}`: a `$n` parameter.
 * - `{type: 'code', text}`: everything else, double-quoted identifiers and comments included.
 */
export const tokenize = (sql) => {
  const parts = [];
  let code = '';
  const flush = () => {
    if (code !== '') parts.push({ type: 'code', text: code });
    code = '';
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const rest = sql.slice(i);
    if (c === "'") {
      // A prefix letter glued to the quote (and not the end of a longer identifier).
      const prefix = /(?:^|[^A-Za-z0-9_$])((?:[EeNnBbXx]|[Uu]&))$/.exec(code)?.[1] ?? '';
      code = code.slice(0, code.length - prefix.length);
      const escapes = prefix.toLowerCase() === 'e';
      let j = i + 1;
      let body = '';
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated string literal in: ${sql}`);
        if (escapes && sql[j] === '\\') {
          body += sql.slice(j, j + 2);
          j += 2;
        } else if (sql[j] === "'" && sql[j + 1] === "'") {
          body += escapes ? "''" : "'";
          j += 2;
        } else if (sql[j] === "'") {
          break;
        } else {
          body += sql[j];
          j += 1;
        }
      }
      flush();
      parts.push({ type: 'literal', text: prefix + sql.slice(i, j + 1), prefix, body });
      i = j + 1;
    } else if (c === '$' && !/[A-Za-z0-9_$]$/.test(code)) {
      const param = /^\$(\d+)/.exec(rest);
      const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
      if (param !== null) {
        flush();
        parts.push({ type: 'param', text: param[0], index: Number(param[1]) });
        i += param[0].length;
      } else if (dollar !== null) {
        const tag = dollar[0];
        const end = sql.indexOf(tag, i + tag.length);
        if (end < 0) throw new Error(`unterminated dollar-quoted string in: ${sql}`);
        flush();
        parts.push({
          type: 'literal',
          text: sql.slice(i, end + tag.length),
          prefix: tag,
          body: sql.slice(i + tag.length, end),
        });
        i = end + tag.length;
      } else {
        code += c;
        i += 1;
      }
    } else if (c === '"' || rest.startsWith('--') || rest.startsWith('/*')) {
      // Identifiers and comments are code, skipped whole so that no quote or `$` inside counts.
      const end =
        c === '"'
          ? /^"(?:[^"]|"")*"/.exec(rest)?.[0].length
          : rest.startsWith('--')
            ? (/^--[^\n]*/.exec(rest)?.[0].length ?? 0)
            : rest.indexOf('*/') + 2;
      if (end === undefined || end < 2) throw new Error(`unterminated identifier or comment in: ${sql}`);
      code += rest.slice(0, end);
      i += end;
    } else {
      code += c;
      i += 1;
    }
  }
  flush();
  return parts;
};

/** The values of the plain (unprefixed or `N`) string literals of `sql`. */
export const literalsOf = (sql) =>
  tokenize(sql)
    .filter((part) => part.type === 'literal' && (part.prefix === '' || part.prefix.toLowerCase() === 'n'))
    .map((part) => part.body);

/**
 * `text` with every `$n` replaced by `values[n - 1]` as a quoted literal (`NULL` for null): the
 * same statement as the driver's, with the values the server bound. Literals are left untyped
 * (no cast added), like the driver's parameters, so PostgreSQL resolves both the same way.
 */
export const inlineParams = (text, values) =>
  tokenize(text)
    .map((part) => {
      if (part.type !== 'param') return part.text;
      if (part.index < 1 || part.index > values.length) {
        throw new Error(`${part.text} has no value (${values.length} bound) in: ${text}`);
      }
      const value = values[part.index - 1];
      return value === null ? 'NULL' : quote(value);
    })
    .join('');
