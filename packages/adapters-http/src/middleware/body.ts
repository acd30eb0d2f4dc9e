import { ApiErrors, decodeFields, type ApiError, type RequestMeta } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Next } from 'koa';
import * as coBody from 'co-body';
import type { Ctx } from '../state.js';
import { bodyApiError, parserProblem, writeApiError, type BodyProblem } from './errors.js';
import { unsafeBodyFields } from './text-input.js';

const FORM = 'application/x-www-form-urlencoded';
/** The methods whose body is read; on others (GET, HEAD, OPTIONS) a body is left unread. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether the request's body is declared as `type` (parameters allowed), or the request has no
 * body at all while naming a content type. The common exact header is answered without parsing
 * it; anything else goes through Koa's `ctx.is` (type-is).
 */
export const declaresType = (ctx: Ctx, type: string): boolean => {
  const header = ctx.get('Content-Type');
  if (header === type) return true;
  return header !== '' && ctx.is(type) !== false;
};

/** Answers a refused body in the endpoint's own error format. */
export type BodyErrorWriter = (ctx: Ctx, problem: BodyProblem) => void;

/** The admin API's answer to a refused JSON body (docs/http-api.md#conventions). */
export const writeBodyApiError: BodyErrorWriter = (ctx, problem) => {
  writeApiError(ctx, bodyApiError(problem));
};

export interface JsonBodyOptions {
  /**
   * Whether an empty or whitespace-only body is malformed JSON (RFC 8259 §2) rather than `{}`
   * (what co-body makes of it).
   */
  readonly blankIsMalformed?: boolean;
}

/** No body, or an empty or whitespace-only one (the raw text of a body read; none for one never read). */
const isBlank = (raw: string | undefined): boolean => raw === undefined || raw.trim() === '';

/**
 * JSON request bodies: the content type is checked before anything else is read (415), then the
 * body is parsed with a size limit (413), must be well-formed (400) and must hold no unsafe text
 * (400 naming each field). Each refusal is answered by `writeError`, in the endpoint's format
 * (docs/http-api.md#conventions).
 */
export const jsonBody = (
  limitBytes: number,
  writeError: BodyErrorWriter = writeBodyApiError,
  options: JsonBodyOptions = {},
) => {
  return async (ctx: Ctx, next: Next): Promise<void> => {
    if (!declaresType(ctx, 'application/json')) {
      writeError(ctx, { kind: 'unsupported_media_type' });
      return;
    }
    let raw: string | undefined;
    if (BODY_METHODS.has(ctx.method)) {
      try {
        // co-body reads the body (inflating a Content-Encoding) up to the limit and parses it
        // strictly: an object or an array, without `__proto__` keys.
        const read = (await coBody.json(ctx, { limit: limitBytes, strict: true, returnRawBody: true })) as {
          parsed: unknown;
          raw: string;
        };
        ctx.request.body = read.parsed;
        raw = read.raw;
      } catch (error) {
        const problem = parserProblem(error);
        if (problem === undefined) throw error;
        writeError(ctx, problem);
        return;
      }
    }
    if (options.blankIsMalformed === true && isBlank(raw)) {
      writeError(ctx, { kind: 'malformed' });
      return;
    }
    const unsafe = unsafeBodyFields(ctx.request.body);
    if (unsafe.length > 0) writeError(ctx, { kind: 'unsafe_text', fields: unsafe });
    else await next();
  };
};

/**
 * Form bodies (`application/x-www-form-urlencoded`) read as text and parsed with
 * `URLSearchParams` (in `formFields`), so that a parameter given twice stays visible and nested
 * `a[b]` syntax means nothing; reading them as text also saves a second parse on the token path.
 */
export const formBody = (limitBytes: number) => {
  const parse = formParser(limitBytes);
  return async (ctx: Ctx, next: Next): Promise<void> => {
    if (!declaresType(ctx, FORM)) {
      writeApiError(ctx, ApiErrors.unsupportedMediaType(FORM));
      return;
    }
    await parse(ctx, next);
  };
};

/** The parser of `formBody` alone (co-body's text reader), for callers that checked the content type themselves. */
export const formParser =
  (limitBytes: number) =>
  async (ctx: Ctx, next: Next): Promise<void> => {
    if (BODY_METHODS.has(ctx.method))
      ctx.request.body = await coBody.text(ctx, { limit: limitBytes, encoding: 'utf-8' });
    await next();
  };

/** The parsed form fields of a `formBody` request. */
export const formFields = (ctx: Ctx): URLSearchParams => {
  const body = ctx.request.body;
  return new URLSearchParams(typeof body === 'string' ? body : '');
};

/** Decodes a JSON body with a domain codec; failures become 400 with `validations`. */
export const decodeBody = <A>(codec: t.Decoder<unknown, A>, body: unknown): E.Either<ApiError, A> =>
  typeof body === 'object' && body !== null && !Array.isArray(body)
    ? E.mapLeft((validations: ApiError['validations']) =>
        ApiErrors.badRequest('The request body is invalid.', validations),
      )(decodeFields(codec, body))
    : E.left(
        ApiErrors.badRequest('The request body must be a JSON object.', [
          { field: 'body', detail: 'must be a JSON object' },
        ]),
      );

export const requestMeta = (ctx: Ctx): RequestMeta => ({
  ip: ctx.state.clientIp,
  userAgent: (ctx.get('User-Agent') || '').slice(0, 512),
});
