/** Escapes text for HTML element content and double-quoted attributes. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const html = (strings: TemplateStringsArray, ...values: readonly unknown[]): Html =>
  new Html(
    strings.reduce((out, chunk, i) => {
      const value = i < values.length ? values[i] : '';
      const rendered = Array.isArray(value)
        ? value.map((v) => (v instanceof Html ? v.value : escapeHtml(String(v)))).join('')
        : value instanceof Html
          ? value.value
          : value === undefined || value === null || value === false
            ? ''
            : escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));
      return out + chunk + (i < values.length ? rendered : '');
    }, ''),
  );

const STYLE = `
  :root { color-scheme: light dark; --accent: #3b5bdb; --muted: #6b7280; --border: #d1d5db; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center;
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
  main { width: min(26rem, 100% - 2rem); padding: 2rem; border: 1px solid var(--border); border-radius: 12px; }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
  p.lead { margin: 0 0 1.5rem; color: var(--muted); }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input { width: 100%; padding: .55rem .7rem; font: inherit; border: 1px solid var(--border); border-radius: 8px; background: Field; color: FieldText; }
  button { margin-top: 1.5rem; width: 100%; padding: .65rem; font: inherit; font-weight: 600; border: 0; border-radius: 8px; background: var(--accent); color: white; cursor: pointer; }
  button.secondary { background: transparent; color: CanvasText; border: 1px solid var(--border); }
  .error { padding: .6rem .8rem; border-radius: 8px; background: #fde8e8; color: #9b1c1c; margin-bottom: 1rem; }
  .hint { font-size: .875rem; color: var(--muted); }
  ul.scopes { padding-left: 1.2rem; } .brand { font-weight: 700; letter-spacing: .02em; color: var(--accent); margin-bottom: 1rem; }
  .row { display: flex; gap: .75rem; } .row button { flex: 1; }
`;

/** The page shell shared by every HTML view. */
export const layout = (title: string, body: Html): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Latchkey</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<div class="brand">Latchkey</div>
${body.value}
</main>
</body>
</html>
`;
