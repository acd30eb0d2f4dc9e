/**
 * U+0000, or a UTF-16 surrogate without its other half. No PostgreSQL text type can hold U+0000
 * (and `jsonb` refuses `\u0000`), and a lone surrogate has no UTF-8 encoding (RFC 3629 §3), so
 * neither can be stored or sent on faithfully. docs/http-api.md#request-bodies-and-input-text: text inputs holding either are a
 * 400 in the endpoint's format.
 */
const UNSAFE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const isUnsafeText = (text: string): boolean => UNSAFE_TEXT.test(text);

/** What `validations[].detail` says of such a field. */
export const UNSAFE_TEXT_DETAIL = 'must not contain U+0000 or unpaired surrogates';

/**
 * Member names that may appear in an answer: short and plain, so that an error names a field
 * without repeating arbitrary client text (and an OAuth `error_description` stays within the
 * characters RFC 6749 §5.2 allows).
 */
const PLAIN_NAME = /^[A-Za-z0-9_$-]{1,64}$/;

/** How an answer names the parameter or member `name`: itself when plain, else `otherwise`. */
export const fieldLabel = (name: string, otherwise: string): string =>
  PLAIN_NAME.test(name) ? name : otherwise;

/**
 * The fields of `value` (a parsed JSON body, query or form: any nesting of objects and arrays)
 * holding unsafe text, each named once and in the order met, as `validations` name fields: the
 * path of member names joined with dots, array indexes left out. A member whose name is unsafe
 * itself, or not plain, is reported under its parent's path (`root` at the top). Walks with an
 * explicit stack: a deeply nested body cannot overflow the call stack.
 */
export const unsafeTextFields = (value: unknown, root = 'body'): string[] => {
  const found = new Set<string>();
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, path] = next;
    if (typeof current === 'string') {
      if (isUnsafeText(current)) found.add(path === '' ? root : path);
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1) pending.push([current[i], path]);
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [name, member] = entries[i] as [string, unknown];
        if (isUnsafeText(name)) {
          found.add(path === '' ? root : path);
          continue;
        }
        const label = fieldLabel(name, '');
        pending.push([member, label === '' ? path : path === '' ? label : `${path}.${label}`]);
      }
    }
  }
  return [...found];
};
