import { ApiErrors, decodeFields, type ApiError, type RequestMeta } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Next } from 'koa';
import { HttpMethodEnum, koaBody } from 'koa-body';
import type { Ctx } from '../state.js';
import { bodyApiError, parserProblem, writeApiError, type BodyProblem } from './errors.js';
import { unsafeBodyFields } from './text-input.js';

const FORM = 'application/x-www-form-urlencoded';
const BODY_METHODS = [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE];

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

/**
 * No body, or an empty or whitespace-only one. koa-body keeps the raw text of a body it parsed
 * (`includeUnparsed`); one it never read has none.
 */
const isBlank = (ctx: Ctx): boolean => {
  const raw = (ctx.request as { rawBody?: unknown }).rawBody;
  return typeof raw !== 'string' || raw.trim() === '';
};

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
  const parse = koaBody({
    json: true,
    jsonStrict: true,
    urlencoded: false,
    text: false,
    multipart: false,
    jsonLimit: limitBytes,
    parsedMethods: BODY_METHODS,
    includeUnparsed: options.blankIsMalformed === true,
  });
  const parsed = async (): Promise<void> => {
    /* parsed; the route runs after this middleware's own checks */
  };
  return async (ctx: Ctx, next: Next): Promise<void> => {
    if (!declaresType(ctx, 'application/json')) {
      writeError(ctx, { kind: 'unsupported_media_type' });
      return;
    }
    try {
      await parse(ctx, parsed);
    } catch (error) {
      const problem = parserProblem(error);
      if (problem === undefined) throw error;
      writeError(ctx, problem);
      return;
    }
    if (options.blankIsMalformed === true && isBlank(ctx)) {
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

/** The parser of `formBody` alone, for callers that checked the content type themselves. */
export const formParser = (limitBytes: number) =>
  koaBody({
    json: false,
    urlencoded: false,
    text: true,
    textTypes: [FORM],
    multipart: false,
    textLimit: limitBytes,
    parsedMethods: BODY_METHODS,
  });

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
