import { openApiDocument } from '@latchkey/adapters-http';
import type { Overrides } from '@latchkey/app';
import { BUILT_IN_SCOPES } from '@latchkey/domain';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ServerResponse } from 'node:http';

/*
 * Holds the HTTP test suites to the OpenAPI document (docs/http-api.md#conventions): every
 * request a test server receives and every answer it gives is checked against the document, and
 * each mismatch is recorded as a violation, which fails the test (see `startTestServer`).
 *
 * The rule, precisely:
 *
 * - The operation is found by path template (one trailing slash allowed, as the router allows it)
 *   and method. A path or method the document does not list is a violation, unless the answer is
 *   the documented unknown-route 404 (`components.responses.RouteNotFound`, JSON or an HTML page):
 *   a test may probe routes that do not exist, and the server must refuse them that way.
 * - The answer is always checked, whatever the request was: its status must be documented for
 *   the operation (exactly, or by a range such as `4XX`); its required headers present and
 *   matching; a body only where the document gives content, with a documented content type, and
 *   a JSON body matching the schema.
 * - The request is checked only when the server accepted it (a 2xx answer): security
 *   requirement met (the credential is present), path and query parameters, the body's content
 *   type and the body itself. A bad request the server refuses with a documented error status is
 *   the server doing its job, which the suites test on purpose (malformed JSON, hostile text,
 *   odd parameter names); a bad request the server accepted means the document or the server is
 *   wrong.
 */

type Json = unknown;
type JsonObject = Record<string, unknown>;

/** The document the suites check against; the issuer only shows in `servers` and examples. */
const DOCUMENT = openApiDocument({ issuer: 'http://127.0.0.1', supportedScopes: BUILT_IN_SCOPES });

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const pointerOf = (path: readonly string[]): string =>
  `#/${path.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

const atPointer = (pointer: string): unknown => {
  let node: unknown = DOCUMENT;
  for (const raw of pointer.replace(/^#\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return node;
};

/** An OpenAPI object with its `$ref` (to a response, parameter or header) followed, and its pointer. */
const resolve = (
  value: unknown,
  pointer: string,
): { readonly node: JsonObject; readonly pointer: string } => {
  let node = value;
  let at = pointer;
  while (isObject(node) && typeof node.$ref === 'string') {
    at = node.$ref;
    node = atPointer(at);
  }
  if (!isObject(node)) throw new Error(`the document has nothing at ${at}`);
  return { node, pointer: at };
};

// `unicode: false`: lengths in UTF-16 code units, as the server's own checks (`string.length`) count
// them. Ajv calls the option deprecated (it still honours it); that one warning is not repeated.
const ajv = new Ajv2020.default({
  strict: false,
  allErrors: true,
  unicode: false,
  logger: {
    log: console.log,
    warn: (...args: unknown[]) => {
      if (!String(args[0]).includes('option unicode')) console.warn(...args);
    },
    error: console.error,
  },
});
addFormats.default(ajv);
ajv.addSchema(DOCUMENT, 'openapi.json');

type Validate = (value: unknown) => string | undefined;
const validators = new Map<string, Validate>();
/** The schema at `pointer` in the document, compiled once. */
const schemaAt = (pointer: string): Validate => {
  const known = validators.get(pointer);
  if (known !== undefined) return known;
  // RFC 6901 §6: a JSON pointer in a URI fragment is percent-encoded (`{app}` in a path template).
  const fragment = pointer
    .split('/')
    .map((part, i) => (i === 0 ? part : encodeURIComponent(part)))
    .join('/');
  const compiled = ajv.compile({ $ref: `openapi.json${fragment}` });
  const validate: Validate = (value) =>
    compiled(value)
      ? undefined
      : (compiled.errors ?? [])
          .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
          .join('; ');
  validators.set(pointer, validate);
  return validate;
};

interface Route {
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly item: JsonObject;
}

/** Path templates as patterns; literal paths first, so that they win over templated ones. */
const ROUTES: readonly Route[] = Object.entries(DOCUMENT.paths as JsonObject)
  .map(([template, item]): Route => {
    const names: string[] = [];
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        names.push(name);
        return '([^/]+)';
      })
      .join('');
    // The router takes a path with one trailing slash as the path without it (@koa/router's
    // default, `strict: false`), so the check does too.
    return { template, pattern: new RegExp(`^${source}/?$`), names, item: item as JsonObject };
  })
  .sort((a, b) => a.names.length - b.names.length);

const mediaType = (header: string | undefined): string | undefined =>
  header === undefined || header === '' ? undefined : (header.split(';')[0] ?? '').trim().toLowerCase();

/** What a request looked like, as far as the document describes it. */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  readonly header: (name: string) => string;
  /** The parsed body, when the route read one: an object for JSON, the raw text of a form. */
  readonly body: unknown;
}

/** What went out on the wire. */
export interface ObservedResponse {
  readonly status: number;
  readonly header: (name: string) => string | string[] | undefined;
  readonly body: Buffer;
}

const statusEntry = (responses: JsonObject, status: number): [string, unknown] | undefined => {
  const exact = responses[String(status)];
  if (exact !== undefined) return [String(status), exact];
  const range = `${String(status).charAt(0)}XX`;
  return responses[range] === undefined ? undefined : [range, responses[range]];
};

const checkResponseObject = (
  responseObject: unknown,
  pointer: string,
  method: string,
  response: ObservedResponse,
): string[] => {
  const problems: string[] = [];
  const { node, pointer: at } = resolve(responseObject, pointer);
  for (const [name, header] of Object.entries((node.headers ?? {}) as JsonObject)) {
    if (name.toLowerCase() === 'content-type') continue;
    const { node: spec, pointer: headerAt } = resolve(header, `${at}/headers/${name}`);
    const value = response.header(name);
    if (value === undefined) {
      if (spec.required === true) problems.push(`response header ${name} is missing`);
      continue;
    }
    if (spec.schema === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      const error = schemaAt(`${headerAt}/schema`)(one);
      if (error !== undefined) problems.push(`response header ${name}: ${error}`);
    }
  }
  const content = node.content as JsonObject | undefined;
  const empty = response.body.length === 0;
  if (method === 'HEAD' || response.status === 204 || response.status === 304) {
    if (!empty) problems.push(`a ${response.status} answer has a body`);
    return problems;
  }
  if (content === undefined) {
    if (!empty) problems.push('the answer has a body, and the document gives none for this status');
    return problems;
  }
  if (empty) {
    problems.push('the answer has no body, and the document gives one for this status');
    return problems;
  }
  const raw = response.header('content-type');
  const type = mediaType(Array.isArray(raw) ? raw[0] : raw);
  if (type === undefined || content[type] === undefined) {
    problems.push(
      `response content type ${type ?? '(none)'} is not documented (${Object.keys(content).join(', ')})`,
    );
    return problems;
  }
  const schemaPointer = `${at}/content/${pointerOf([type]).slice(2)}/schema`;
  let body: Json = response.body.toString('utf8');
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      body = JSON.parse(body as string) as Json;
    } catch {
      problems.push('the JSON response body is not JSON');
      return problems;
    }
  }
  const error = schemaAt(schemaPointer)(body);
  if (error !== undefined) problems.push(`response body: ${error}`);
  return problems;
};

const present = (scheme: JsonObject, request: ObservedRequest): boolean => {
  const authorization = request.header('authorization');
  if (scheme.type === 'http' && scheme.scheme === 'bearer') return /^Bearer /i.test(authorization);
  if (scheme.type === 'http' && scheme.scheme === 'basic') return /^Basic /i.test(authorization);
  if (scheme.type === 'oauth2') return /^Bearer /i.test(authorization);
  if (scheme.type === 'apiKey' && scheme.in === 'cookie')
    return request
      .header('cookie')
      .split(';')
      .some((pair) => pair.trim().startsWith(`${String(scheme.name)}=`));
  if (scheme.type === 'apiKey' && scheme.in === 'header') return request.header(String(scheme.name)) !== '';
  return false;
};

const checkRequest = (
  operation: JsonObject,
  operationPointer: string,
  pathItem: JsonObject,
  pathPointer: string,
  params: Readonly<Record<string, string>>,
  request: ObservedRequest,
): string[] => {
  const problems: string[] = [];
  const requirements = (operation.security ?? DOCUMENT.security ?? []) as JsonObject[];
  const schemes = (DOCUMENT.components as { securitySchemes: JsonObject }).securitySchemes;
  const met =
    requirements.length === 0 ||
    requirements.some((requirement) =>
      Object.keys(requirement).every((name) => present(schemes[name] as JsonObject, request)),
    );
  if (!met) problems.push('the request carries none of the documented credentials, yet was answered 2xx');

  const declared = [
    ...((pathItem.parameters ?? []) as unknown[]).map((p, i) => resolve(p, `${pathPointer}/parameters/${i}`)),
    ...((operation.parameters ?? []) as unknown[]).map((p, i) =>
      resolve(p, `${operationPointer}/parameters/${i}`),
    ),
  ];
  for (const { node: parameter, pointer } of declared) {
    const name = String(parameter.name);
    const value =
      parameter.in === 'path'
        ? params[name]
        : parameter.in === 'query'
          ? request.query[name]
          : parameter.in === 'header'
            ? request.header(name) || undefined
            : undefined;
    if (value === undefined || value === '') {
      if (parameter.required === true) problems.push(`${String(parameter.in)} parameter ${name} is missing`);
      continue;
    }
    const error = schemaAt(`${pointer}/schema`)(value);
    if (error !== undefined) problems.push(`${String(parameter.in)} parameter ${name}: ${error}`);
  }

  if (operation.requestBody !== undefined) {
    const { node: requestBody, pointer } = resolve(operation.requestBody, `${operationPointer}/requestBody`);
    const content = requestBody.content as JsonObject;
    const type = mediaType(request.header('content-type'));
    if (type === undefined) {
      if (requestBody.required === true)
        problems.push('the request has no body, and the document requires one');
    } else if (content[type] === undefined) {
      problems.push(`request content type ${type} is not documented`);
    } else if (request.body !== undefined) {
      const value =
        type === 'application/x-www-form-urlencoded' && typeof request.body === 'string'
          ? formObject(request.body)
          : request.body;
      const error = schemaAt(`${pointer}/content/${pointerOf([type]).slice(2)}/schema`)(value);
      if (error !== undefined) problems.push(`request body: ${error}`);
    }
  }
  return problems;
};

/** Form fields as an object: a repeated field becomes a list. */
const formObject = (text: string): JsonObject => {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = fields[name];
    fields[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return { ...fields };
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Every way `request` → `response` departs from the document; empty when it does not. */
export const checkExchange = (request: ObservedRequest, response: ObservedResponse): string[] => {
  const method = request.method.toLowerCase() === 'head' ? 'get' : request.method.toLowerCase();
  const unknownRoute = (what: string): string[] => {
    const notFound = (DOCUMENT.components as { responses: JsonObject }).responses.RouteNotFound;
    if (
      response.status === 404 &&
      checkResponseObject(notFound, '#/components/responses/RouteNotFound', request.method, response)
        .length === 0
    )
      return [];
    return [`${what}, and the answer (${response.status}) is not the documented unknown-route 404`];
  };
  for (const route of ROUTES) {
    const match = route.pattern.exec(request.path);
    if (match === null) continue;
    const pathPointer = pointerOf(['paths', route.template]);
    const operation = route.item[method];
    if (!METHODS.has(method) || !isObject(operation))
      return unknownRoute(`${request.method} is not documented for ${route.template}`);
    const operationPointer = pointerOf(['paths', route.template, method]);
    const responses = operation.responses as JsonObject;
    const entry = statusEntry(responses, response.status);
    if (entry === undefined)
      return [`status ${response.status} is not documented for ${request.method} ${route.template}`];
    const problems = checkResponseObject(
      entry[1],
      `${operationPointer}/responses/${entry[0]}`,
      request.method,
      response,
    );
    if (response.status >= 200 && response.status < 300) {
      const params = Object.fromEntries(
        route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]),
      );
      problems.push(...checkRequest(operation, operationPointer, route.item, pathPointer, params, request));
    }
    return problems;
  }
  return unknownRoute(`${request.path} is not documented`);
};

/** The test server's middleware type (Koa's, via the composition's `Overrides`). */
type HttpMiddleware = NonNullable<Overrides['httpMiddleware']>[number];
type Ctx = Parameters<HttpMiddleware>[0];

/**
 * Records every request and answer of one test server and checks them against the document.
 * Installed outermost, it sees the answer as it goes out (`res.end`, so also what the MCP SDK
 * writes itself) and checks it before the client can read it, so a test's last request is
 * judged before the test ends.
 */
export class OpenApiRecorder {
  private found: string[] = [];

  readonly middleware: HttpMiddleware = async (ctx, next) => {
    this.watch(ctx);
    await next();
  };

  /** The violations so far, which are then forgotten. */
  take(): string[] {
    const found = this.found;
    this.found = [];
    return found;
  }

  private watch(ctx: Ctx): void {
    const res = ctx.res;
    type Writer = (...args: unknown[]) => unknown;
    const patched = res as unknown as Record<'write' | 'end' | 'writeHead', Writer>;
    const original = {
      write: patched.write.bind(res),
      end: patched.end.bind(res),
      writeHead: patched.writeHead.bind(res),
    };
    const chunks: Buffer[] = [];
    const written: Record<string, string | string[]> = {};
    const keep = (chunk: unknown, encoding?: unknown): void => {
      if (typeof chunk === 'string')
        chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    patched.writeHead = (...args: unknown[]) => {
      // Headers handed to `writeHead` (the MCP SDK does) are not visible through `getHeader`.
      const headers = args.find((arg, i) => i > 0 && isObject(arg));
      if (isObject(headers))
        for (const [name, value] of Object.entries(headers))
          written[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
      return original.writeHead(...args);
    };
    patched.write = (...args: unknown[]) => {
      keep(args[0], args[1]);
      return original.write(...args);
    };
    let ended = false;
    patched.end = (...args: unknown[]) => {
      if (!ended) {
        ended = true;
        if (typeof args[0] !== 'function') keep(args[0], args[1]);
        this.judge(ctx, res, written, Buffer.concat(chunks));
      }
      return original.end(...args);
    };
  }

  private judge(
    ctx: Ctx,
    res: ServerResponse,
    written: Record<string, string | string[]>,
    body: Buffer,
  ): void {
    const request: ObservedRequest = {
      method: ctx.method,
      path: ctx.path,
      query: ctx.query,
      header: (name) => ctx.get(name),
      body: (ctx.request as { body?: unknown }).body,
    };
    const response: ObservedResponse = {
      status: res.statusCode,
      header: (name) => {
        const value = res.getHeader(name) ?? written[name.toLowerCase()];
        return value === undefined ? undefined : Array.isArray(value) ? value.map(String) : String(value);
      },
      body,
    };
    try {
      for (const problem of checkExchange(request, response))
        this.found.push(`${ctx.method} ${ctx.path} → ${res.statusCode}: ${problem}`);
    } catch (error) {
      this.found.push(`${ctx.method} ${ctx.path} → ${res.statusCode}: the check failed: ${String(error)}`);
    }
  }
}

/** The recorders of the servers now running in this process (a mocha worker). */
const running = new Set<OpenApiRecorder>();

export const watchRecorder = (recorder: OpenApiRecorder): void => {
  running.add(recorder);
};

export const forgetRecorder = (recorder: OpenApiRecorder): void => {
  running.delete(recorder);
};

/** The violations of every running server, forgotten once taken. */
export const takeRunningViolations = (): string[] => [...running].flatMap((recorder) => recorder.take());

export class OpenApiViolations extends Error {
  constructor(readonly violations: readonly string[]) {
    super(`The HTTP exchanges departed from the OpenAPI document:\n  ${violations.join('\n  ')}`);
    this.name = 'OpenApiViolations';
  }
}
